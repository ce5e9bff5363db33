"""dltips.topics.optimizers: each from-scratch update rule agrees with keras.optimizers, step by step."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from dltips import data
from dltips.topics import optimizers


def _keras_trajectory(optimizer: keras.optimizers.Optimizer, w0: np.ndarray, grads: list[np.ndarray]) -> list:
    w = keras.Variable(w0.astype("float32"))
    out = []
    for g in grads:
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(g.astype("float32")), w)])
        out.append(np.array(w.numpy(), dtype=np.float64))
    return out


def _our_trajectory(update, w0: np.ndarray, grads: list[np.ndarray], **kwargs) -> list[np.ndarray]:
    w, state, out = w0.astype(np.float64), None, []
    for g in grads:
        w, state = update(w, g.astype(np.float64), state, **kwargs)
        out.append(w)
    return out


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(5, 3))
    # Gradients that change sign and scale, so every term of each rule matters.
    grads = [rng.normal(scale=10.0 ** rng.integers(-3, 2), size=(5, 3)) for _ in range(12)]
    return w0, grads


@pytest.mark.parametrize(
    ("update", "factory", "kwargs"),
    [
        (optimizers.rmsprop_update, lambda: keras.optimizers.RMSprop(0.01, rho=0.8),
         {"learning_rate": 0.01, "rho": 0.8}),
        (optimizers.adam_update, lambda: keras.optimizers.Adam(0.01, beta_1=0.8, beta_2=0.95),
         {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.95}),
        (optimizers.adam_update, lambda: keras.optimizers.AdamW(0.01, weight_decay=0.1),
         {"learning_rate": 0.01, "weight_decay": 0.1}),
        (optimizers.lion_update, lambda: keras.optimizers.Lion(0.01, beta_1=0.8, beta_2=0.95),
         {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.95}),
        (optimizers.lion_update, lambda: keras.optimizers.Lion(0.01, weight_decay=0.5),
         {"learning_rate": 0.01, "weight_decay": 0.5}),
    ],
    ids=["rmsprop", "adam", "adamw", "lion", "lion-decay"],
)
def test_update_rules_match_keras(problem, update, factory, kwargs):
    w0, grads = problem
    ours = _our_trajectory(update, w0, grads, **kwargs)
    theirs = _keras_trajectory(factory(), w0, grads)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=f"step {step + 1}")


def test_adamw_decay_is_not_an_l2_penalty(problem):
    # Folding λw into the gradient (L2) and decoupling it (AdamW) give different weights.
    w0, grads = problem
    decoupled = _our_trajectory(optimizers.adam_update, w0, grads, learning_rate=0.01, weight_decay=0.1)
    w, state = w0.copy(), None
    for g in grads:
        w, state = optimizers.adam_update(w, g + 0.1 * w, state, learning_rate=0.01)
    assert np.abs(decoupled[-1] - w).max() > 1e-3


def test_lion_moves_every_weight_by_exactly_the_learning_rate():
    w0 = np.array([1.0, -1.0, 0.5])
    w1, _ = optimizers.lion_update(w0, np.array([3.0, -1e-6, 200.0]), learning_rate=0.01)
    np.testing.assert_allclose(np.abs(w1 - w0), 0.01)


@pytest.mark.parametrize(
    ("update", "kwargs", "name"),
    [
        (optimizers.rmsprop_update, {"learning_rate": 0.0}, "learning_rate"),
        (optimizers.rmsprop_update, {"rho": 1.0}, "rho"),
        (optimizers.adam_update, {"beta_2": -0.1}, "beta_2"),
        (optimizers.adam_update, {"weight_decay": -1.0}, "weight_decay"),
        (optimizers.lion_update, {"beta_1": 1.5}, "beta_1"),
    ],
)
def test_update_rules_refuse_bad_hyperparameters(update, kwargs, name):
    with pytest.raises(ValueError, match=name):
        update(np.zeros(2), np.ones(2), None, **kwargs)


def test_compare_optimizers_gives_every_optimizer_the_same_start(mnist_file):
    x, y = data.train_subset(200, seed=0)
    mnist = data.load_mnist()
    runs = optimizers.compare_optimizers(
        {"SGD": lambda: keras.optimizers.SGD(0.05), "Adam": lambda: keras.optimizers.Adam(1e-3)},
        x, y, mnist.x_test[:100], mnist.y_test[:100], hidden=(16,), epochs=2, batch_size=50, progress=False,
    )
    assert list(runs) == ["SGD", "Adam"]
    assert runs["SGD"].train_loss[0] == pytest.approx(runs["Adam"].train_loss[0]), "same initial weights"
    assert all(len(r.train_loss) == 3 and r.train_loss[-1] < r.train_loss[0] for r in runs.values())
    with pytest.raises(ValueError, match="at least one"):
        optimizers.compare_optimizers({}, x, y, x, y)
