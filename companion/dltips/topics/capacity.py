"""Overfitting made visible: learning curves, and model capacity against data size.

A network with enough parameters can memorize a small training set: its
training accuracy reaches 100 % while its test accuracy stops improving and its
test loss climbs again. The gap between the two,

.. math::

    \\text{generalization gap} = \\text{accuracy}_\\text{train} - \\text{accuracy}_\\text{test},

shrinks when the model gets more data. The classical picture has it grow with
capacity at a fixed amount of data; past the interpolation threshold (the
capacity that fits the training set exactly) it often does not, the regime of
double descent (Belkin et al., 2019; Nakkiran et al., 2020). :func:`learning_curves` records both accuracies and losses
after every epoch; :func:`capacity_sweep` trains one model per (hidden width,
training-set size) pair on the same budget of updates.

Example::

    >>> from dltips import data, models
    >>> x, y = data.train_subset(500, seed=0)
    >>> mnist = data.load_mnist()
    >>> model = models.compile_classifier(models.mlp((256,), seed=0), "adam")
    >>> curves = learning_curves(model, x, y, mnist.x_test[:2000], mnist.y_test[:2000], epochs=30)
    >>> curves.train_accuracy[-1] > curves.test_accuracy[-1]
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import keras
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from dltips import costs, data, models, runtime
from dltips.checks import check_int, check_number, check_sizes
from dltips.figures import plot_series

__all__ = [
    "CapacityPoint",
    "LearningCurves",
    "capacity_sweep",
    "learning_curves",
    "plot_capacity",
    "plot_train_test_curves",
    "repeated_epochs",
]


@dataclass(frozen=True)
class LearningCurves:
    """Loss and accuracy on the training and test sets, before training (index 0) and after each epoch.

    Returned by :func:`learning_curves`; :attr:`gap` is the generalization gap
    ``accuracy_train − accuracy_test`` per epoch.

    Args:
        train_loss, train_accuracy: cross-entropy and accuracy on the training set.
        test_loss, test_accuracy: the same on the test set.

    Example::

        >>> curves = LearningCurves([2.3, 0.5], [0.1, 0.9], [2.3, 0.7], [0.1, 0.8])
        >>> [round(g, 2) for g in curves.gap]
        [0.0, 0.1]
    """

    train_loss: list[float]
    train_accuracy: list[float]
    test_loss: list[float]
    test_accuracy: list[float]

    @property
    def gap(self) -> list[float]:
        """Training minus test accuracy, per epoch."""
        return [a - b for a, b in zip(self.train_accuracy, self.test_accuracy)]


def learning_curves(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    epochs: int,
    batch_size: int = 32,
) -> LearningCurves:
    """Train a compiled classifier and record train/test loss and accuracy after every epoch.

    The model must output logits, as every :mod:`dltips.models` builder does;
    the curves report its cross-entropy and accuracy measured in inference
    mode. Entry 0 of each list is the untrained model, so the lists have
    ``epochs + 1`` entries.

    Args:
        model: a compiled classifier that outputs logits.
        x, y: the training images and labels.
        x_test, y_test: the test images and labels.
        epochs: the number of training epochs (>= 1).
        batch_size: the mini-batch size (>= 1).

    Returns:
        A :class:`LearningCurves` with ``epochs + 1`` entries per list.

    Raises:
        ValueError: the model is not compiled, ``epochs`` or ``batch_size`` is
            below 1, or inputs and labels differ in length.

    Example::

        >>> from dltips import models
        >>> x, y = np.zeros((8, 2), "float32"), np.arange(8) % 2
        >>> model = models.compile_classifier(models.mlp((), input_shape=(2,), num_classes=2, seed=0), "sgd")
        >>> len(learning_curves(model, x, y, x, y, epochs=1, batch_size=8).test_loss)
        2
    """
    if not getattr(model, "compiled", False):
        raise ValueError("model must be compiled before training (see dltips.models.compile_classifier)")
    check_int("epochs", epochs)
    check_int("batch_size", batch_size)
    for name, (a, b) in (("x and y", (x, y)), ("x_test and y_test", (x_test, y_test))):
        if len(a) != len(b):
            raise ValueError(f"{name} must have the same length, got {len(a)} and {len(b)}")
    recorder = models.EvaluateEachEpoch({"train": (x, y), "test": (x_test, y_test)}, initial=True)
    model.fit(x, y, epochs=epochs, batch_size=batch_size, callbacks=[recorder], verbose=0)
    return LearningCurves(**recorder.history)


@dataclass(frozen=True)
class CapacityPoint:
    """One trained model of a capacity sweep (:func:`capacity_sweep`).

    Args:
        hidden: the hidden layer's width.
        train_size: the number of training examples.
        params: the model's parameter count.
        train_accuracy, test_accuracy: accuracy on the training and the test set.

    Example::

        >>> round(CapacityPoint(64, 500, 50_890, 1.0, 0.86).gap, 2)
        0.14
    """

    hidden: int
    train_size: int
    params: int
    train_accuracy: float
    test_accuracy: float

    @property
    def gap(self) -> float:
        """Training minus test accuracy."""
        return self.train_accuracy - self.test_accuracy


def capacity_sweep(
    hidden_sizes: Sequence[int],
    train_sizes: Sequence[int],
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    steps: int = 600,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    seed: int = 0,
    progress: bool = True,
) -> list[CapacityPoint]:
    """Train a one-hidden-layer MLP for every (width, training-set size) pair and measure its gap.

    Every model gets the same budget of about ``steps`` updates (whole epochs,
    rounded up; so the smallest sets are seen for many epochs), with Adam at
    ``learning_rate``. Training sets are class-balanced MNIST subsets drawn with
    ``seed``; the models are initialized with ``seed`` too.

    Args:
        hidden_sizes: the hidden widths to try (integers >= 1).
        train_sizes: the training-set sizes to try (integers >= 1).
        x_test, y_test: the test set every model is measured on.
        steps: the budget of updates per model (>= 1).
        batch_size: the mini-batch size (>= 1).
        learning_rate: Adam's learning rate (> 0).
        seed: seeds the subsets, the batch order and the initial weights.
        progress: show a progress bar.

    Returns:
        One :class:`CapacityPoint` per pair, data sizes in the outer loop.

    Raises:
        ValueError: an empty or non-positive list of sizes, ``steps`` or
            ``batch_size`` below 1, or a non-positive learning rate.

    Example::

        >>> # Reads MNIST and trains four models: not run as a doctest.
        >>> capacity_sweep([64, 512], [100, 1000], x_test, y_test)  # doctest: +SKIP
        [CapacityPoint(hidden=64, train_size=100, ...), ...]
        >>> capacity_sweep([], [100], None, None)
        Traceback (most recent call last):
        ...
        ValueError: hidden_sizes must hold at least one value
    """
    hidden_sizes = list(check_sizes("hidden_sizes", hidden_sizes, allow_empty=False))
    train_sizes = list(check_sizes("train_sizes", train_sizes, allow_empty=False))
    check_int("steps", steps)
    check_int("batch_size", batch_size)
    check_number("learning_rate", learning_rate, low=0.0, low_open=True)
    grid = [(h, n) for n in train_sizes for h in hidden_sizes]
    points = []
    for hidden, n in runtime.progress(grid, "capacity", label=lambda hn: f"width {hn[0]}, {hn[1]} examples",
                                      enabled=progress):
        x, y = data.train_subset(n, seed=seed)
        order = repeated_epochs(n, steps * batch_size, seed=seed)
        model = models.compile_classifier(models.mlp((hidden,), seed=seed), keras.optimizers.Adam(learning_rate),
                                          steps_per_execution=models.steps_per_execution(len(order), batch_size))
        model.fit(x[order], y[order], epochs=1, batch_size=batch_size, shuffle=False, verbose=0)
        points.append(CapacityPoint(hidden, n, costs.count_params(model),
                                    models.evaluate(model, x, y).accuracy,
                                    models.evaluate(model, x_test, y_test).accuracy))
    return points


def repeated_epochs(n: int, examples: int, *, seed: int = 0) -> np.ndarray:
    """Indices that visit ``range(n)`` in a fresh random order each pass, whole passes, at least ``examples`` long.

    Feeding ``x[order]`` to a single ``fit`` epoch equals several shuffled epochs
    over ``x`` without paying Keras's per-epoch overhead, which dominates for
    sets of a few hundred examples.

    Args:
        n: the number of examples (>= 1).
        examples: the least length of the result (>= 1).
        seed: seeds the permutations.

    Returns:
        An integer array of ``n · ceil(examples / n)`` indices.

    Raises:
        ValueError: ``n`` or ``examples`` not an integer >= 1.

    Example::

        >>> order = repeated_epochs(4, 10, seed=0)
        >>> len(order), sorted(order[:4].tolist()) == [0, 1, 2, 3]
        (12, True)
    """
    check_int("n", n)
    check_int("examples", examples)
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.permutation(n) for _ in range(math.ceil(examples / n))])


# --- figures ---


def plot_train_test_curves(curves, *, title: str = "") -> Figure:
    """Loss and accuracy on the training and test sets against epochs, for a :class:`LearningCurves`.

    Args:
        curves: a :class:`LearningCurves`, from :func:`learning_curves`.
        title: a title above both panels.

    Returns:
        A figure with the loss (log scale) on the left and the accuracy on the right.

    Example::

        >>> fig = plot_train_test_curves(LearningCurves([2.3, 0.5], [0.1, 0.9], [2.3, 0.7], [0.1, 0.8]))
        >>> len(fig.axes)
        2
        >>> plt.close(fig)
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    plot_series({"train": curves.train_loss, "test": curves.test_loss}, ylabel="cross-entropy (log scale)", ax=left,
                title="loss", logy=True)
    plot_series({"train": curves.train_accuracy, "test": curves.test_accuracy}, ylabel="accuracy", ax=right,
                title="accuracy")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_capacity(points) -> Figure:
    """Two views of a :func:`capacity_sweep`: the gap against data size, accuracy against parameters.

    Args:
        points: the :class:`CapacityPoint` list of a sweep, one per (width, size) pair.

    Returns:
        The figure, two panels.

    Example::

        >>> points = [CapacityPoint(h, n, 10 * h, 1.0, 0.8) for n in (100, 1000) for h in (8, 64)]
        >>> fig = plot_capacity(points)
        >>> len(fig.axes)
        2
        >>> plt.close(fig)
    """
    widths = sorted({p.hidden for p in points})
    sizes = sorted({p.train_size for p in points})
    by_key = {(p.hidden, p.train_size): p for p in points}
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    plot_series({f"{w} hidden units": [by_key[w, n].gap for n in sizes] for w in widths}, x=sizes, logx=True,
                marker="o", xlabel="training examples", ylabel="train − test accuracy",
                title="generalization gap shrinks with data", ax=left)
    plot_series({f"{n} examples": [by_key[w, n].test_accuracy for w in widths] for n in sizes},
                x=[by_key[w, sizes[0]].params for w in widths], logx=True, marker="o", xlabel="parameters",
                ylabel="test accuracy", title="accuracy against model size", ax=right)
    fig.tight_layout()
    return fig
