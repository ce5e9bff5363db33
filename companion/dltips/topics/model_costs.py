"""What the models of the book cost: parameters, arithmetic, time per epoch, and the accuracy they buy.

Chapter 2 compares the four reference models of the book (softmax regression,
two MLPs and a small CNN) on the faces of cost that :mod:`dltips.costs` keeps
apart: parameters (memory), multiply-adds per example (arithmetic) and the
measured time of a training epoch, next to the test accuracy each reaches.
:func:`measure_models` trains each model for one timed epoch on the same data
with the same seed; :func:`plot_model_costs` draws the four faces side by side,
so that a reader sees at once that they do not rank the models alike.

Example::

    >>> from dltips import data, models
    >>> x, y = data.train_subset(500, seed=0)
    >>> mnist = data.load_mnist()
    >>> results = measure_models({"softmax": lambda: models.mlp((), seed=0)}, x, y,
    ...                          mnist.x_test[:500], mnist.y_test[:500], progress=False)
    >>> results[0].params, results[0].multiply_adds
    (7850, 7840)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import keras
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from dltips import costs, models, runtime
from dltips.checks import check_int, check_number

__all__ = ["ModelCost", "measure_models", "plot_model_costs"]


@dataclass(frozen=True)
class ModelCost:
    """One model's costs, and the test accuracy after its timed epoch (:func:`measure_models`).

    Args:
        name: the model's name in the comparison.
        params: its parameter count.
        multiply_adds: multiply-adds per example of one forward pass.
        timing: the :class:`dltips.costs.EpochTiming` of its timed epoch.
        test_accuracy: accuracy on the test set after that epoch.

    Example::

        >>> from dltips import costs
        >>> ModelCost("MLP", 101770, 101632, costs.EpochTiming(2.0, 1.4, 157, 10000), 0.9).timing.steps
        157
    """

    name: str
    params: int
    multiply_adds: int
    timing: costs.EpochTiming
    test_accuracy: float


def measure_models(
    builders: Mapping[str, Callable[[], keras.Model]],
    x: np.ndarray,
    y: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    seed: int = 0,
    progress: bool = True,
) -> list[ModelCost]:
    """Build, count, train for one timed epoch with Adam, and evaluate each model.

    Args:
        builders: name → a function returning a fresh (uncompiled) logits model,
            for example ``{"MLP 128": lambda: models.mlp((128,), seed=0)}``.
        x, y: the training data of the timed epoch.
        x_test, y_test: the data the accuracy is measured on.
        batch_size: examples per update.
        learning_rate: Adam's learning rate.
        seed: set before each model is built and trained (same batch order for all).
        progress: show a progress bar over the models.

    Returns:
        One :class:`ModelCost` per builder, in the order given.

    Raises:
        ValueError: no builders, a non-positive learning rate, or a bad
            ``batch_size`` (see :func:`dltips.costs.time_per_epoch`).

    Example::

        >>> from dltips import models
        >>> x, y = np.zeros((64, 28, 28), "float32"), np.arange(64) % 10
        >>> [cost] = measure_models({"linear": lambda: models.mlp((), seed=0)}, x, y, x, y, progress=False)
        >>> cost.params, cost.timing.steps
        (7850, 1)
    """
    if not builders:
        raise ValueError("builders must name at least one model")
    check_int("batch_size", batch_size)
    check_number("learning_rate", learning_rate, low=0.0, low_open=True)
    results = []
    for name in runtime.progress(builders, "timing", enabled=progress):
        keras.utils.set_random_seed(seed)
        model = models.compile_classifier(builders[name](), keras.optimizers.Adam(learning_rate))
        timing = costs.time_per_epoch(model, x, y, batch_size=batch_size)
        results.append(ModelCost(name, costs.count_params(model), costs.multiply_adds(model), timing,
                                 models.evaluate(model, x_test, y_test).accuracy))
    return results


def plot_model_costs(results: Sequence[ModelCost]) -> Figure:
    """Four panels, one bar per model: parameters, multiply-adds per example, CPU seconds per epoch, test accuracy.

    Parameters and multiply-adds span orders of magnitude, so their axes are
    logarithmic; time and accuracy are drawn from zero. Each bar is labelled
    with its value.

    Args:
        results: the :class:`ModelCost` list of :func:`measure_models`.

    Returns:
        The figure, one panel per cost.

    Raises:
        ValueError: ``results`` is empty.

    Example::

        >>> from dltips import costs
        >>> cost = ModelCost("MLP", 101770, 101632, costs.EpochTiming(2.0, 1.4, 157, 10000), 0.9)
        >>> [ax.get_title() for ax in plot_model_costs([cost]).axes]
        ['parameters', 'multiply-adds per example', 'CPU seconds per epoch', 'test accuracy']
    """
    if not results:
        raise ValueError("results must hold at least one ModelCost")
    names = [r.name for r in results]
    panels = [
        ("parameters", [r.params for r in results], True, "{:,.0f}"),
        ("multiply-adds per example", [r.multiply_adds for r in results], True, "{:,.0f}"),
        ("CPU seconds per epoch", [r.timing.cpu_seconds for r in results], False, "{:.2f}"),
        ("test accuracy", [r.test_accuracy for r in results], False, "{:.1%}"),
    ]
    # room for the value labels right of the longest bar (accuracy: 100 % and the label)
    upper = {"parameters": 20.0, "multiply-adds per example": 20.0, "CPU seconds per epoch": 1.45}
    fig, axes = plt.subplots(1, len(panels), figsize=(13, 0.55 * len(results) + 1.6), sharey=True)
    positions = np.arange(len(results))
    for ax, (title, values, log, fmt) in zip(axes, panels):
        bars = ax.barh(positions, values, color=[f"C{i}" for i in range(len(results))])
        ax.bar_label(bars, labels=[fmt.format(v) for v in values], fontsize=8, padding=2)
        ax.set_title(title, fontsize=10)
        if log:
            ax.set_xscale("log")
            ax.set_xlim(min(values) / 2, max(values) * upper[title])
        else:
            ax.set_xlim(0, max(values) * upper[title] if title in upper else 1.2)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(positions, labels=names)
    axes[0].invert_yaxis()  # the first model on top
    fig.tight_layout()
    return fig
