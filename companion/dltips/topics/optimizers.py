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
from dltips.checks import check_int, check_number, check_rate

__all__ = [
    "AdamState",
    "LionState",
    "OptimizerRun",
    "RMSpropState",
    "adam_update",
    "compare_optimizers",
    "lion_update",
    "rmsprop_update",
]


def _check_hyperparameters(learning_rate: float, **betas: float) -> None:
    # A learning rate and its decay rates, checked together before any update.
    check_number("learning_rate", learning_rate, low=0.0, low_open=True)
    for name, value in betas.items():
        check_rate(name, value)


class RMSpropState(NamedTuple):
    """RMSprop's state: the running mean of squared gradients, per variable.

    Args:
        velocity: the running mean ``v`` of ``g²``, shaped like the weights.

    Example::

        >>> _, state = rmsprop_update(np.array([1.0]), np.array([2.0]))
        >>> state.velocity
        array([0.4])
    """
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

    ``state=None`` starts from ``v = 0``.

    Args:
        w: the weights.
        g: their gradient.
        state: the previous :class:`RMSpropState`, or ``None`` for the first step.
        learning_rate: ``η > 0``.
        rho: the decay of the running mean, in ``[0, 1)``.
        epsilon: added to ``v`` under the square root, for stability.

    Returns:
        The new weights and the new :class:`RMSpropState`.

    Raises:
        ValueError: ``learning_rate`` not positive or ``rho`` outside ``[0, 1)``.

    Example::

        >>> w, state = rmsprop_update(np.array([1.0]), np.array([2.0]), learning_rate=0.1)
        >>> np.round(w, 4)
        array([0.6838])
    """
    _check_hyperparameters(learning_rate, rho=rho)
    velocity = np.zeros_like(w) if state is None else state.velocity
    velocity = rho * velocity + (1 - rho) * g**2
    w = w - learning_rate * g / np.sqrt(velocity + epsilon)
    return w, RMSpropState(velocity)


class AdamState(NamedTuple):
    """Adam's state: first and second moment estimates and the step count.

    Args:
        m: the running mean of ``g``.
        v: the running mean of ``g²``.
        t: the number of updates made so far.

    Example::

        >>> adam_update(np.array([1.0]), np.array([2.0]))[1].t
        1
    """
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

    Args:
        w: the weights.
        g: their gradient.
        state: the previous :class:`AdamState`, or ``None`` for the first step.
        learning_rate: ``η > 0``.
        beta_1, beta_2: the decays of the two moment estimates, in ``[0, 1)``.
        epsilon: added to ``sqrt(v)``, for stability.
        weight_decay: AdamW's ``λ >= 0``; 0 is plain Adam.

    Returns:
        The new weights and the new :class:`AdamState`.

    Raises:
        ValueError: ``learning_rate`` not positive, a beta outside ``[0, 1)``,
            or a negative ``weight_decay``.

    Example::

        >>> w, _ = adam_update(np.array([1.0, -2.0]), np.array([2.0, -4.0]), learning_rate=0.1)
        >>> np.round(w, 3)  # the first step moves every weight by about η
        array([ 0.9, -1.9])
    """
    _check_hyperparameters(learning_rate, beta_1=beta_1, beta_2=beta_2)
    check_number("weight_decay", weight_decay, low=0.0)
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
    """Lion's state: the momentum, per variable.

    Args:
        m: the momentum, a running mean of ``g`` with rate ``β₂``.

    Example::

        >>> lion_update(np.array([1.0]), np.array([2.0]))[1].m
        array([0.02])
    """
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

    Args:
        w: the weights.
        g: their gradient.
        state: the previous :class:`LionState`, or ``None`` for the first step.
        learning_rate: ``η > 0``.
        beta_1: the interpolation between momentum and gradient in the step, in ``[0, 1)``.
        beta_2: the decay of the momentum, in ``[0, 1)``.
        weight_decay: ``λ >= 0``.

    Returns:
        The new weights and the new :class:`LionState`.

    Raises:
        ValueError: ``learning_rate`` not positive, a beta outside ``[0, 1)``,
            or a negative ``weight_decay``.

    Example::

        >>> w, _ = lion_update(np.array([1.0, -2.0]), np.array([0.5, -3.0]), learning_rate=0.1)
        >>> w
        array([ 0.9, -1.9])
    """
    _check_hyperparameters(learning_rate, beta_1=beta_1, beta_2=beta_2)
    check_number("weight_decay", weight_decay, low=0.0)
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

    Args:
        train_loss: the training loss before training and after each epoch.
        test_accuracy: accuracy on the test set after training.
        seconds: wall time of training and the measurements.
        model: the trained model.

    Example::

        >>> run = OptimizerRun([2.3, 0.4, 0.3], 0.91, 4.2, model=None)
        >>> len(run.train_loss) - 1  # epochs
        2
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

    Example::

        >>> x, y = np.zeros((32, 28, 28), "float32"), np.arange(32) % 10
        >>> runs = compare_optimizers({"Adam": lambda: keras.optimizers.Adam(1e-3)}, x, y, x, y,
        ...                           hidden=(8,), epochs=1, batch_size=32, progress=False)
        >>> len(runs["Adam"].train_loss)
        2
    """
    if not optimizers:
        raise ValueError("optimizers must name at least one optimizer factory")
    check_int("epochs", epochs)
    check_int("batch_size", batch_size)
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
