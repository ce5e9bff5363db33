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


# --- learning curves (the CLI's baseline experiment) ---


def learning_curves(
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

        >>> history = model.fit(x, y, validation_split=0.2, epochs=5, verbose=0).history
        >>> fig = learning_curves(history, title="Baseline MLP")
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
