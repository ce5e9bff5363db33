"""The figures every chapter shares: digits, mistakes, training histories, named series, bars.

Each technique keeps its own figures beside it (``dltips.regularization.figures``
and so on); what is here belongs to no technique. Every function draws on a
Matplotlib ``Axes`` or ``Figure`` it creates (or is given) and returns it, so a
notebook can add a title or save it, and a course can reuse it as it is.

Example::

    >>> from dltips.data import load_mnist
    >>> from dltips.figures import show_digits
    >>> mnist = load_mnist()
    >>> fig = show_digits(mnist.x_train[:12], mnist.y_train[:12])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from dltips.checks import check_int

__all__ = ["plot_bars", "plot_history", "plot_series", "show_digits", "show_mistakes"]


def show_digits(
    images: np.ndarray,
    labels: Sequence[int] | np.ndarray | None = None,
    *,
    predictions: Sequence[int] | np.ndarray | None = None,
    columns: int = 10,
    size: float = 1.1,
) -> Figure:
    """A grid of digits with their label (and prediction, in red when it is wrong) above each.

    Args:
        images: ``(n, 28, 28)`` or ``(n, 784)`` pixels, ``uint8`` or floats in ``[0, 1]``.
        labels: the true label of each image, shown as the title.
        predictions: a model's label for each image; shown as ``label → prediction``.
        columns: images per row.
        size: inches per image.

    Returns:
        The figure, ``columns`` images per row.

    Raises:
        ValueError: no images, or labels/predictions of another length than images.

    Example::

        >>> fig = show_digits(np.zeros((12, 28, 28)), labels=range(12), predictions=[0] * 12, columns=6)
        >>> len(fig.axes), fig.axes[1].get_title()
        (12, '1→0')
        >>> plt.close(fig)
    """
    images = np.asarray(images)
    n = len(images)
    if n == 0:
        raise ValueError("images must hold at least one image")
    for name, seq in (("labels", labels), ("predictions", predictions)):
        if seq is not None and len(seq) != n:
            raise ValueError(f"{name} must have one entry per image ({n}), got {len(seq)}")
    check_int("columns", columns)
    cols = min(columns, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * 1.15 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            _draw_digit(ax, images[i], None if labels is None else labels[i],
                        None if labels is None or predictions is None else predictions[i])
    fig.tight_layout()
    return fig


def _draw_digit(ax: Axes, image: np.ndarray, label: int | None = None, prediction: int | None = None) -> None:
    """One digit, titled with its label, or ``label→prediction`` (red when wrong)."""
    image = np.asarray(image)
    side = int(round(np.sqrt(image.size)))
    ax.imshow(image.reshape(side, side), cmap="gray_r")
    if label is not None and prediction is not None:
        wrong = int(label) != int(prediction)
        ax.set_title(f"{int(label)}→{int(prediction)}", fontsize=9, color="tab:red" if wrong else "black")
    elif label is not None:
        ax.set_title(str(int(label)), fontsize=9)


def plot_history(
    history: dict[str, Sequence[float]],
    *,
    title: str | None = None,
    metrics: Sequence[str] = ("loss", "accuracy"),
) -> Figure:
    """Training and validation curves per epoch, one panel per metric.

    Args:
        history: Keras's ``model.fit(...).history``: ``{"loss": [...], "val_loss": [...], ...}``.
        title: the figure's title.
        metrics: the metrics to draw; ``val_<metric>`` is drawn beside each when present.

    Raises:
        ValueError: a metric missing from ``history``, or an empty history.

    Example::

        >>> history = {"loss": [1.2, 0.6, 0.4], "val_loss": [1.0, 0.7, 0.6],
        ...            "accuracy": [0.6, 0.8, 0.9], "val_accuracy": [0.7, 0.78, 0.8]}
        >>> len(plot_history(history, title="Baseline MLP").axes)
        2
    """
    metrics = tuple(metrics)
    if not metrics:
        raise ValueError("metrics must name at least one metric")
    for name in metrics:
        if name not in history or len(history[name]) == 0:
            raise ValueError(f"history has no values for metric {name!r}; it has {sorted(history)}")
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.4), squeeze=False)
    for ax, name in zip(axes.flat, metrics):
        epochs = np.arange(1, len(history[name]) + 1)
        ax.plot(epochs, history[name], marker="o", label="training")
        if history.get(f"val_{name}"):
            ax.plot(epochs, history[f"val_{name}"], marker="s", label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_series(
    series: Mapping[str, Sequence[float]],
    *,
    x: Sequence[float] | None = None,
    xlabel: str = "epoch",
    ylabel: str = "",
    title: str = "",
    logy: bool = False,
    logx: bool = False,
    marker: str | None = None,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """One line per entry of ``series`` (name → values), sharing the x values ``x`` (default ``0, 1, 2, …``).

    Args:
        series: name → values, one line each.
        x: the shared x values; ``None`` is ``0, 1, 2, …``.
        xlabel, ylabel, title: the axes' labels and title.
        logy, logx: logarithmic axes.
        marker: a Matplotlib marker for the points, or ``None`` for lines only.
        ax: the axes to draw on; ``None`` makes a new figure.

    Returns:
        The axes drawn on.

    Raises:
        ValueError: no series, or a series whose length differs from ``x``.

    Example::

        >>> ax = plot_series({"train": [0.9, 0.5, 0.3], "test": [1.0, 0.7, 0.6]}, ylabel="loss")
        >>> [line.get_label() for line in ax.get_lines()]
        ['train', 'test']
        >>> plt.close(ax.figure)
    """
    if not series:
        raise ValueError("series must hold at least one named sequence")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.8))
    for name, values in series.items():
        xs = range(len(values)) if x is None else x
        if len(xs) != len(values):
            raise ValueError(f"series {name!r} has {len(values)} values but x has {len(xs)}")
        ax.plot(list(xs), list(values), marker=marker, label=name)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if logy:
        ax.set_yscale("log")
    if logx:
        ax.set_xscale("log")
        if x is not None:  # label the measured points, not powers of ten
            ax.set_xticks(list(x), labels=[f"{v:,}" for v in x])
            ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def plot_bars(
    values: Mapping[str, float],
    *,
    xlabel: str = "",
    title: str = "",
    fmt: str = "{:.3g}",
    xlim: tuple[float, float] | None = None,
    highlight: Sequence[str] = (),
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """One horizontal bar per entry of ``values`` (name → value), top to bottom, each labelled with its value.

    For comparisons a table alone makes hard to take in: the accuracy of a few
    models, the throughput of a few batch sizes.

    Args:
        values: name → value, drawn in this order from the top.
        xlabel: what the values are (with their unit).
        title: the panel's title.
        fmt: how each value is written at the end of its bar, e.g. ``"{:.1%}"``.
        xlim: the value axis's limits (default: from 0, or Matplotlib's choice
            when a value is negative).
        highlight: names whose bars are drawn in a second colour.
        ax: the Axes to draw on (default: a new figure).

    Raises:
        ValueError: no values, a value that is not finite, or a highlighted name
            that is not among them.

    Example::

        >>> ax = plot_bars({"teacher": 0.98, "student": 0.95}, fmt="{:.0%}", xlim=(0.9, 1.0))
        >>> [t.get_text() for t in ax.get_yticklabels()]
        ['teacher', 'student']
    """
    if not values:
        raise ValueError("values must hold at least one named value")
    numbers = np.array([float(v) for v in values.values()])
    if not np.all(np.isfinite(numbers)):
        raise ValueError(f"every value must be a finite number, got {dict(values)!r}")
    unknown = [name for name in highlight if name not in values]
    if unknown:
        raise ValueError(f"highlight names {unknown!r} are not among the values {list(values)!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 0.45 * len(values) + 1.2))
    names = list(values)
    colors = ["tab:orange" if name in highlight else "tab:blue" for name in names]
    bars = ax.barh(range(len(names)), numbers, color=colors)
    ax.set_yticks(range(len(names)), labels=names)
    ax.invert_yaxis()  # the first entry on top
    ax.bar_label(bars, labels=[fmt.format(v) for v in numbers], padding=3, fontsize=8)
    if xlim is not None:
        ax.set_xlim(*xlim)
    elif numbers.min() >= 0:
        ax.set_xlim(0, 1.15 * numbers.max() or 1.0)  # room for the labels
    ax.set(xlabel=xlabel, title=title)
    ax.grid(axis="x", alpha=0.3)
    return ax


def show_mistakes(
    images: np.ndarray,
    labels: Sequence[int] | np.ndarray,
    predictions: Mapping[str, Sequence[int] | np.ndarray],
    *,
    per_model: int = 8,
    size: float = 1.0,
) -> Figure:
    """The first ``per_model`` images each model gets wrong: one row per model, titled ``label→prediction``.

    Args:
        images: ``(n, 28, 28)`` or ``(n, 784)`` pixels, for example the test images.
        labels: the true label of each image.
        predictions: model name → that model's label for each image.
        per_model: mistakes shown per model (a model with fewer shows them all).
        size: inches per image.

    Raises:
        ValueError: no models, ``per_model`` below 1, or labels/predictions of another
            length than images.

    Example::

        >>> preds = {"teacher": models.predict_labels(teacher, x_test)}  # doctest: +SKIP
        >>> fig = show_mistakes(x_test, y_test, preds, per_model=6)  # doctest: +SKIP
    """
    images, labels = np.asarray(images), np.asarray(labels)
    if not predictions:
        raise ValueError("predictions must hold at least one model")
    check_int("per_model", per_model)
    for name, seq in (("labels", labels), *((f"predictions[{k!r}]", v) for k, v in predictions.items())):
        if len(seq) != len(images):
            raise ValueError(f"{name} must have one entry per image ({len(images)}), got {len(seq)}")
    fig, axes = plt.subplots(len(predictions), per_model, figsize=(size * (per_model + 1.5), size * 1.2 * len(predictions)),
                             squeeze=False)
    for row, (name, predicted) in zip(axes, predictions.items()):
        predicted = np.asarray(predicted)
        wrong = np.flatnonzero(predicted != labels)[:per_model]
        for ax in row:
            ax.axis("off")
        for ax, i in zip(row, wrong):
            _draw_digit(ax, images[i], labels[i], predicted[i])
        row[0].text(-0.15, 0.5, name, transform=row[0].transAxes, ha="right", va="center", fontsize=9)
    fig.tight_layout()
    return fig
