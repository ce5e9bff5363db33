"""The figures of the book, one function per kind of figure.

Every function draws on a Matplotlib ``Axes`` or ``Figure`` it creates (or is
given) and returns it, so a notebook can add a title or save it, and a course
can reuse it as it is.

Example::

    >>> from dltips.data import load_mnist
    >>> from dltips.plotting import show_digits
    >>> mnist = load_mnist()
    >>> fig = show_digits(mnist.x_train[:12], mnist.y_train[:12])
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


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

    Raises:
        ValueError: no images, or labels/predictions of another length than images.
    """
    images = np.asarray(images)
    n = len(images)
    if n == 0:
        raise ValueError("images must hold at least one image")
    for name, seq in (("labels", labels), ("predictions", predictions)):
        if seq is not None and len(seq) != n:
            raise ValueError(f"{name} must have one entry per image ({n}), got {len(seq)}")
    if columns < 1:
        raise ValueError(f"columns must be positive, got {columns!r}")
    side = int(round(np.sqrt(images[0].size)))
    cols = min(columns, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * 1.15 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i].reshape(side, side), cmap="gray_r")
        if labels is not None and predictions is not None:
            wrong = int(labels[i]) != int(predictions[i])
            ax.set_title(f"{int(labels[i])}→{int(predictions[i])}", fontsize=9, color="tab:red" if wrong else "black")
        elif labels is not None:
            ax.set_title(str(int(labels[i])), fontsize=9)
    fig.tight_layout()
    return fig


# --- trends ---
# Figures and tables of chapters 1, 2 and 5 (overfitting, cost, optimizers, saliency, privacy, robustness).

from collections.abc import Mapping  # noqa: E402

import matplotlib.ticker  # noqa: E402


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

    Raises:
        ValueError: no series, or a series whose length differs from ``x``.
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


def plot_learning_curves(curves, *, title: str = "") -> Figure:
    """Loss and accuracy on the training and test sets against epochs, for a :class:`dltips.capacity.LearningCurves`."""
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
    """Two views of a :func:`dltips.capacity.capacity_sweep`: the gap against data size, accuracy against parameters."""
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


def plot_saliency(
    images: np.ndarray, maps: np.ndarray, labels: Sequence[int] | None = None, *, size: float = 1.4
) -> Figure:
    """Images in the top row, their saliency maps (brighter = more influential pixel) in the bottom row.

    Raises:
        ValueError: ``images`` and ``maps`` differ in number.
    """
    if len(images) != len(maps) or len(images) == 0:
        raise ValueError(f"images and maps must be non-empty and equally many, got {len(images)} and {len(maps)}")
    n = len(images)
    fig, axes = plt.subplots(2, n, figsize=(size * n, size * 2.2), squeeze=False)
    for i in range(n):
        side = int(round(np.sqrt(np.asarray(images[i]).size)))
        axes[0, i].imshow(np.asarray(images[i]).reshape(side, side), cmap="gray_r")
        axes[1, i].imshow(np.asarray(maps[i]).reshape(side, side), cmap="inferno")
        if labels is not None:
            axes[0, i].set_title(str(int(labels[i])), fontsize=9)
        for ax in axes[:, i]:
            ax.axis("off")
    axes[0, 0].text(-4, 14, "image", rotation=90, va="center", ha="right", fontsize=9)
    axes[1, 0].text(-4, 14, "saliency", rotation=90, va="center", ha="right", fontsize=9)
    fig.tight_layout()
    return fig


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, digits: int = 3) -> str:
    """A Markdown table (for ``IPython.display.Markdown``); floats are rounded to ``digits`` significant digits.

    Raises:
        ValueError: a row with another number of cells than ``headers``.
    """
    def cell(value: object) -> str:
        if isinstance(value, (float, np.floating)):
            return f"{float(value):.{digits}g}"
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return f"{int(value):,}"
        return str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"every row needs {len(headers)} cells, got {len(row)}: {row!r}")
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines)
