"""Adaptive and recent optimizers: their update rules from scratch, and a fair comparison on MNIST.

Plain SGD moves every weight by the same multiple of its gradient ``g``.
Adaptive methods keep running statistics of the gradient and scale each
weight's step by them (``t`` counts updates from 1, ``η`` is the learning rate):

* **RMSprop** (Tieleman and Hinton, 2012): ``v ← ρ v + (1 − ρ) g²``;
  ``w ← w − η g / sqrt(v + ε)``.
* **Adam** (Kingma and Ba, 2015): ``m ← β₁ m + (1 − β₁) g``;
  ``v ← β₂ v + (1 − β₂) g²``; ``w ← w − η_t m / (sqrt(v) + ε)`` with the bias
  correction folded into ``η_t = η sqrt(1 − β₂ᵗ) / (1 − β₁ᵗ)`` (the form Keras uses).
* **AdamW** (Loshchilov and Hutter, 2019): Adam, after a decoupled weight decay
  ``w ← w − η λ w`` that does not pass through the adaptive scaling. Here, as in
  Keras (``BaseOptimizer._apply_weight_decay``) and PyTorch, ``η`` is the current
  learning rate; the paper multiplies ``λ`` by the schedule multiplier ``η_t``
  alone, so its ``λ`` is this ``λ`` times the base learning rate.
* **Lion** (Chen et al., 2023): ``w ← w − η (sign(β₁ m + (1 − β₁) g) + λ w)``,
  then ``m ← β₂ m + (1 − β₂) g``. Without weight decay (``λ = 0``) every weight
  moves by exactly ``±η``; with decay the step is ``±η − η λ w``, no longer the
  same for every weight. Only one state vector is kept instead of Adam's two.

The functions below implement one update of each rule in NumPy, as pure
functions of ``(w, g, state)``; the tests check them against
``keras.optimizers`` step by step. :func:`compare_optimizers` trains the same
model with several Keras optimizers and records what a reader wants to compare.

Example::

    >>> w, state = np.array([1.0, -2.0]), None
    >>> for _ in range(3):
    ...     w, state = adam_update(w, 2 * w, state, learning_rate=0.1)
    >>> np.round(w, 3)
    array([ 0.702, -1.701])
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

import keras
import numpy as np

from dltips import models, runtime


def _check_hyperparameters(learning_rate: float, **betas: float) -> None:
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate!r}")
    for name, value in betas.items():
        if not 0.0 <= value < 1.0:
            raise ValueError(f"{name} must be in [0, 1), got {value!r}")


class RMSpropState(NamedTuple):
    """RMSprop's state: the running mean of squared gradients, per variable."""
    velocity: np.ndarray  # running mean of g²


def rmsprop_update(
    w: np.ndarray,
    g: np.ndarray,
    state: RMSpropState | None = None,
    *,
    learning_rate: float = 1e-3,
    rho: float = 0.9,
    epsilon: float = 1e-7,
) -> tuple[np.ndarray, RMSpropState]:
    """One RMSprop step: ``v ← ρ v + (1 − ρ) g²``, ``w ← w − η g / sqrt(v + ε)``.

    ``state=None`` starts from ``v = 0``. Returns the new weights and state.

    Raises:
        ValueError: ``learning_rate`` not positive or ``rho`` outside ``[0, 1)``.
    """
    _check_hyperparameters(learning_rate, rho=rho)
    velocity = np.zeros_like(w) if state is None else state.velocity
    velocity = rho * velocity + (1 - rho) * g**2
    w = w - learning_rate * g / np.sqrt(velocity + epsilon)
    return w, RMSpropState(velocity)


class AdamState(NamedTuple):
    """Adam's state: first and second moment estimates and the step count."""
    m: np.ndarray  # running mean of g
    v: np.ndarray  # running mean of g²
    t: int  # updates made so far


def adam_update(
    w: np.ndarray,
    g: np.ndarray,
    state: AdamState | None = None,
    *,
    learning_rate: float = 1e-3,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-7,
    weight_decay: float = 0.0,
) -> tuple[np.ndarray, AdamState]:
    """One Adam step; with ``weight_decay > 0`` one AdamW step (decay first, then Adam).

    ``m ← β₁ m + (1 − β₁) g``, ``v ← β₂ v + (1 − β₂) g²``,
    ``w ← w − η sqrt(1 − β₂ᵗ) / (1 − β₁ᵗ) · m / (sqrt(v) + ε)``.
    AdamW first applies ``w ← w − η λ w``: the decay is not divided by
    ``sqrt(v)``, which is what makes it differ from an L2 penalty in the loss.
    ``η`` here is the learning rate, as in Keras and PyTorch; Loshchilov and
    Hutter scale ``λ`` by the schedule multiplier only.

    Raises:
        ValueError: ``learning_rate`` not positive, a beta outside ``[0, 1)``,
            or a negative ``weight_decay``.
    """
    _check_hyperparameters(learning_rate, beta_1=beta_1, beta_2=beta_2)
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
    if state is None:
        state = AdamState(np.zeros_like(w), np.zeros_like(w), 0)
    m, v, t = state
    t += 1
    w = w - learning_rate * weight_decay * w
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    step_size = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - step_size * m / (np.sqrt(v) + epsilon), AdamState(m, v, t)


class LionState(NamedTuple):
    """Lion's state: the momentum, per variable."""
    m: np.ndarray  # momentum: running mean of g with rate β₂


def lion_update(
    w: np.ndarray,
    g: np.ndarray,
    state: LionState | None = None,
    *,
    learning_rate: float = 1e-4,
    beta_1: float = 0.9,
    beta_2: float = 0.99,
    weight_decay: float = 0.0,
) -> tuple[np.ndarray, LionState]:
    """One Lion step: a signed momentum step, of size exactly ``η`` per weight without decay.

    ``w ← w − η (sign(β₁ m + (1 − β₁) g) + λ w)``, then ``m ← β₂ m + (1 − β₂) g``.
    With ``weight_decay=0`` every weight moves by exactly ``±η`` (or not at all
    where the signed quantity is exactly zero); with ``λ > 0`` the decay term
    ``η λ w`` is added, so the step differs from weight to weight.

    The sign makes every step the same size, so Lion wants a learning rate
    3-10 times smaller than AdamW's (Chen et al., 2023); the default here is
    ``1e-4`` (Keras's ``Lion`` defaults to ``1e-3``).

    Raises:
        ValueError: ``learning_rate`` not positive, a beta outside ``[0, 1)``,
            or a negative ``weight_decay``.
    """
    _check_hyperparameters(learning_rate, beta_1=beta_1, beta_2=beta_2)
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
    m = np.zeros_like(w) if state is None else state.m
    w = w - learning_rate * weight_decay * w
    w = w - learning_rate * np.sign(beta_1 * m + (1 - beta_1) * g)
    return w, LionState(beta_2 * m + (1 - beta_2) * g)


@dataclass(frozen=True)
class OptimizerRun:
    """What one optimizer achieved.

    ``train_loss`` holds the loss on the whole training set before training and
    after each epoch; ``seconds`` is the wall time of training and of those
    measurements; ``model`` is the trained model.
    """

    train_loss: list[float]
    test_accuracy: float
    seconds: float
    model: keras.Model


def compare_optimizers(
    optimizers: Mapping[str, Callable[[], keras.optimizers.Optimizer]],
    x: np.ndarray,
    y: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    hidden: tuple[int, ...] = (128,),
    epochs: int = 8,
    batch_size: int = 64,
    seed: int = 0,
    progress: bool = True,
) -> dict[str, OptimizerRun]:
    """Train the same MLP (same initial weights, same batches) once per optimizer.

    Args:
        optimizers: name → a function that returns a fresh optimizer, e.g.
            ``{"Adam": lambda: keras.optimizers.Adam(1e-3)}``; a fresh one per
            run, since an optimizer keeps state.
        x, y, x_test, y_test: training data and the test set.
        hidden: hidden-layer sizes of :func:`dltips.models.mlp`.
        epochs, batch_size: the training budget, equal for every optimizer.
        seed: seeds the initial weights and the batch order of every run.

    Returns:
        name → :class:`OptimizerRun`; ``train_loss[0]`` is the loss of the
        untrained model, then one entry per epoch (loss on the whole training
        set, measured after the epoch).

    Raises:
        ValueError: no optimizers, or ``epochs``/``batch_size`` below 1.
    """
    if not optimizers:
        raise ValueError("optimizers must name at least one optimizer factory")
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be positive, got {epochs!r} and {batch_size!r}")
    runs = {}
    for name in runtime.progress(optimizers, "optimizers", enabled=progress):
        keras.utils.set_random_seed(seed)  # same batch order for every optimizer
        model = models.compile_classifier(models.mlp(hidden, seed=seed), optimizers[name](),
                                          steps_per_execution=models.steps_per_execution(len(x), batch_size))
        losses = [models.evaluate(model, x, y).loss]
        start = time.perf_counter()
        for _ in range(epochs):
            model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
            losses.append(models.evaluate(model, x, y).loss)
        runs[name] = OptimizerRun(losses, models.evaluate(model, x_test, y_test).accuracy,
                                  time.perf_counter() - start, model)
    return runs
