"""dltips.topics.saliency: saliency is |∂ logit / ∂ pixel|, checked against a tape gradient and a linear model."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from dltips import models
from dltips.topics import saliency


def test_linear_model_saliency_is_the_absolute_class_weight():
    model = models.mlp((), seed=0)
    x = np.random.default_rng(0).random((3, 28, 28)).astype("float32")
    maps = saliency.gradient_saliency(model, x, class_index=[2, 7, 7])
    kernel = model.get_weights()[0]
    for m, c in zip(maps, [2, 7, 7]):
        np.testing.assert_allclose(m.reshape(-1), np.abs(kernel[:, c]), rtol=1e-6)


def test_saliency_equals_a_per_image_tape_gradient_of_the_predicted_logit():
    model = models.mlp((32, 16), seed=1)
    x = np.random.default_rng(1).random((4, 28, 28)).astype("float32")
    maps = saliency.gradient_saliency(model, x)
    predicted = np.argmax(model(x).numpy(), axis=1)
    for i in range(len(x)):
        xi = tf.constant(x[i:i + 1])
        with tf.GradientTape() as tape:
            tape.watch(xi)
            score = model(xi)[0, predicted[i]]
        np.testing.assert_allclose(maps[i], np.abs(tape.gradient(score, xi).numpy()[0]), rtol=1e-5, atol=1e-8)


def test_one_class_for_every_image_broadcasts():
    model = models.mlp((8,), seed=0)
    x = np.random.default_rng(2).random((3, 28, 28)).astype("float32")
    np.testing.assert_allclose(saliency.gradient_saliency(model, x, 4), saliency.gradient_saliency(model, x, [4, 4, 4]))


@pytest.mark.parametrize("bad", [10, -1, [1, 2]])
def test_bad_class_index_is_refused(bad):
    model = models.mlp((8,), seed=0)
    with pytest.raises(ValueError, match="class_index"):
        saliency.gradient_saliency(model, np.zeros((3, 28, 28), "float32"), bad)


def test_plot_saliency_shows_images_over_maps():
    fig = saliency.plot_saliency(np.zeros((3, 28, 28)), np.ones((3, 784)), labels=[1, 2, 3])
    assert len(fig.axes) == 6
    with pytest.raises(ValueError, match="equally many"):
        saliency.plot_saliency(np.zeros((3, 28, 28)), np.ones((2, 784)))
