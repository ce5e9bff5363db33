"""dltips.topics.capacity: learning curves measure what they claim; the sweep trains what it promises."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest

from dltips import data, models
from dltips.topics import capacity
from dltips.topics.capacity import CapacityPoint, LearningCurves


def test_learning_curves_start_untrained_and_memorize_a_tiny_set(mnist_file):
    x, y = data.train_subset(50, seed=0)
    mnist = data.load_mnist()
    keras.utils.set_random_seed(0)
    model = models.compile_classifier(models.mlp((64,), seed=0), keras.optimizers.Adam(1e-2))
    curves = capacity.learning_curves(model, x, y, mnist.x_test[:200], mnist.y_test[:200], epochs=15, batch_size=10)
    assert all(len(c) == 16 for c in dataclasses.astuple(curves))
    assert curves.train_accuracy[0] < 0.3, "entry 0 is the untrained model"
    assert curves.train_accuracy[-1] == 1.0
    assert curves.gap[-1] == pytest.approx(curves.train_accuracy[-1] - curves.test_accuracy[-1])
    assert curves.gap[-1] > 0.2, "50 examples cannot teach MNIST: the test accuracy stays far below"


def test_learning_curves_refuse_bad_arguments():
    model = models.compile_classifier(models.mlp((8,)), "sgd")
    x, y = np.zeros((4, 28, 28)), np.zeros(4)
    with pytest.raises(ValueError, match="epochs"):
        capacity.learning_curves(model, x, y, x, y, epochs=0)
    with pytest.raises(ValueError, match="x_test and y_test"):
        capacity.learning_curves(model, x, y, x, y[:3], epochs=1)
    with pytest.raises(ValueError, match="compiled"):
        capacity.learning_curves(models.mlp((8,)), x, y, x, y, epochs=1)


def test_repeated_epochs_visit_every_example_once_per_pass():
    order = capacity.repeated_epochs(7, 20, seed=3)
    assert len(order) == 21
    for start in range(0, 21, 7):
        assert sorted(order[start:start + 7].tolist()) == list(range(7))
    assert not np.array_equal(order[:7], order[7:14]), "each pass is reshuffled"


def test_capacity_sweep_returns_one_point_per_pair(mnist_file):
    mnist = data.load_mnist()
    points = capacity.capacity_sweep((4, 16), (30, 60), mnist.x_test[:100], mnist.y_test[:100],
                                     steps=20, batch_size=10, progress=False)
    assert [(p.hidden, p.train_size) for p in points] == [(4, 30), (16, 30), (4, 60), (16, 60)]
    assert [p.params for p in points[:2]] == [784 * 4 + 4 + 4 * 10 + 10, 784 * 16 + 16 + 16 * 10 + 10]
    assert all(0.0 <= p.test_accuracy <= 1.0 and p.gap == p.train_accuracy - p.test_accuracy for p in points)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"hidden_sizes": ()}, "hidden_sizes"), ({"train_sizes": (0,)}, "train_sizes"),
     ({"steps": 0}, "steps"), ({"learning_rate": -1.0}, "learning_rate")],
)
def test_capacity_sweep_refuses_bad_arguments_before_training(kwargs, name):
    args = {"hidden_sizes": (4,), "train_sizes": (10,), **kwargs}
    with pytest.raises(ValueError, match=name):
        capacity.capacity_sweep(args.pop("hidden_sizes"), args.pop("train_sizes"), np.zeros((1, 28, 28)),
                                np.zeros(1), progress=False, **args)


def test_plot_train_test_curves_has_a_loss_and_an_accuracy_panel():
    curves = LearningCurves([2.0, 1.0], [0.1, 0.9], [2.0, 1.5], [0.1, 0.7])
    fig = capacity.plot_train_test_curves(curves, title="memorizing")
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    assert list(fig.axes[1].get_lines()[1].get_ydata()) == [0.1, 0.7]


def test_plot_capacity_puts_gap_against_size_and_accuracy_against_params():
    points = [CapacityPoint(h, n, h * 100, 1.0, 0.5 + h / 100 + n / 10_000) for n in (100, 1000) for h in (4, 16)]
    fig = capacity.plot_capacity(points)
    left, right = fig.axes
    assert len(left.get_lines()) == 2 and list(left.get_lines()[0].get_xdata()) == [100, 1000]
    assert list(right.get_lines()[0].get_xdata()) == [400, 1600]
