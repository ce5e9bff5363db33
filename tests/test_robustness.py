"""dltips.topics.robustness: FGSM is ε·sign(∇x loss), checked against a gradient computed by hand."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from dltips import models
from dltips.topics import robustness


@pytest.fixture(scope="module")
def linear_model():
    """Softmax regression: ∇x CE(Wx + b, y) = W (softmax(Wx + b) − onehot(y)), known in closed form."""
    model = models.mlp((), input_shape=(20,), seed=0)
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(size=(20, 10)).astype("float32"), rng.normal(size=10).astype("float32")])
    x = rng.random((16, 20)).astype("float32")
    y = rng.integers(0, 10, 16)
    return model, x, y


def _closed_form_gradient(model, x, y):
    w, b = model.get_weights()
    logits = x.astype(np.float64) @ w + b
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1.0
    return p @ w.T


def test_input_gradient_matches_the_closed_form(linear_model):
    model, x, y = linear_model
    np.testing.assert_allclose(robustness.input_gradient(model, x, y), _closed_form_gradient(model, x, y),
                               rtol=1e-4, atol=1e-6)


def test_fgsm_is_epsilon_times_the_sign_of_the_gradient(linear_model):
    model, x, y = linear_model
    x = 0.25 + 0.5 * x  # pixels away from 0 and 1, so clipping does not interfere
    eps = 0.05
    x_adv = robustness.fgsm(model, x, y, eps)
    np.testing.assert_allclose(x_adv - x, eps * np.sign(_closed_form_gradient(model, x, y)), atol=1e-6)


def test_fgsm_stays_in_the_pixel_range_and_within_epsilon():
    model = models.mlp((8,), seed=0)
    rng = np.random.default_rng(1)
    x = (rng.random((10, 28, 28)) > 0.5).astype("float32")  # pure black and white pixels
    y = rng.integers(0, 10, 10)
    x_adv = robustness.fgsm(model, x, y, 0.3)
    assert x_adv.min() >= 0.0 and x_adv.max() <= 1.0
    assert np.abs(x_adv - x).max() <= 0.3 + 1e-6


def test_fgsm_raises_the_loss(linear_model):
    model, x, y = linear_model
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)
    before = loss(y, model(x)).numpy()
    after = loss(y, model(robustness.fgsm(model, x, y, 0.05))).numpy()
    assert (after > before).all()


def test_accuracy_under_fgsm_matches_fgsm_one_epsilon_at_a_time(linear_model):
    model, x, y = linear_model
    epsilons = [0.0, 0.01, 0.1]
    curve = robustness.accuracy_under_fgsm(model, x, y, epsilons, batch_size=5)
    for eps, acc in zip(epsilons, curve):
        predictions = np.argmax(model.predict(robustness.fgsm(model, x, y, eps), verbose=0), axis=1)
        assert acc == pytest.approx(np.mean(predictions == y))
    assert curve[0] >= curve[-1]


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_epsilon_outside_the_pixel_range_is_refused(linear_model, bad):
    model, x, y = linear_model
    with pytest.raises(ValueError, match="epsilon"):
        robustness.fgsm(model, x, y, bad)
    with pytest.raises(ValueError, match="epsilon"):
        robustness.accuracy_under_fgsm(model, x, y, [0.0, bad])
