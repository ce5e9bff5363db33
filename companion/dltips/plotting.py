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


# --- distillation ---

from collections.abc import Mapping  # noqa: E402  (kept in this section so sections merge cleanly)


def plot_soft_targets(
    logits: Sequence[float] | np.ndarray,
    temperatures: Sequence[float] = (1.0, 4.0, 20.0),
    *,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Bars of ``softmax(logits / T)`` for each class, one group of bars per temperature.

    Shows what a temperature does: at ``T = 1`` almost all the mass sits on the top
    class; higher temperatures reveal how the other classes rank (the "dark knowledge").

    Raises:
        ValueError: empty logits or a temperature that is not positive.
    """
    z = np.asarray(logits, dtype=np.float64).ravel()
    if z.size == 0:
        raise ValueError("logits must hold at least one value")
    if not temperatures or any(not t > 0 for t in temperatures):
        raise ValueError(f"temperatures must be positive numbers, got {list(temperatures)!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3), layout="constrained")
    width = 0.8 / len(temperatures)
    classes = np.arange(z.size)
    for i, t in enumerate(temperatures):
        p = np.exp((z - z.max()) / t)
        ax.bar(classes + (i - (len(temperatures) - 1) / 2) * width, p / p.sum(), width, label=f"T = {t:g}")
    ax.set_xticks(classes)
    ax.set_xlabel("class")
    ax.set_ylabel("probability")
    ax.set_yscale("log")
    ax.set_title("Soft targets: the teacher's softmax at several temperatures")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def plot_gradient_scale(
    temperatures: Sequence[float],
    with_t_squared: Sequence[float],
    without_t_squared: Sequence[float],
    *,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Gradient norm of the soft-target loss against the temperature, with and without the ``T²`` factor (log-log).

    Raises:
        ValueError: the three sequences differ in length or are empty.
    """
    if not len(temperatures) or not len(temperatures) == len(with_t_squared) == len(without_t_squared):
        raise ValueError("temperatures, with_t_squared and without_t_squared must be non-empty and of equal length")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
    ax.loglog(temperatures, with_t_squared, "o-", label="T² · KL (Hinton et al.)")
    ax.loglog(temperatures, without_t_squared, "s--", label="KL alone")
    ax.set_xticks(temperatures, [f"{t:g}" for t in temperatures])
    ax.minorticks_off()
    ax.set_xlabel("temperature T")
    ax.set_ylabel("gradient norm w.r.t. student logits")
    ax.set_title("Why the loss is multiplied by T²")
    ax.legend()
    return ax


def plot_temperature_sweep(
    sweep: Mapping[float, int],
    *,
    baselines: Mapping[str, int] | None = None,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Test errors (out of 10,000) of the distilled student against the temperature, with baselines as lines.

    Args:
        sweep: errors of the distilled student for each temperature.
        baselines: other models' errors (for example the teacher and the scratch
            student), drawn as labelled horizontal lines.

    Raises:
        ValueError: an empty sweep or a temperature that is not positive.
    """
    if not sweep:
        raise ValueError("sweep must hold at least one temperature")
    temperatures = sorted(sweep)
    if temperatures[0] <= 0:
        raise ValueError(f"temperatures must be positive, got {temperatures!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(temperatures, [sweep[t] for t in temperatures], "o-", color="black", label="distilled student")
    for i, (name, errors) in enumerate((baselines or {}).items()):
        ax.axhline(errors, linestyle="--", color=f"C{i}", label=f"{name} ({errors})")
    ax.set_xscale("log")
    ax.set_xticks(temperatures, [f"{t:g}" for t in temperatures])
    ax.minorticks_off()
    ax.set_xlabel("temperature T")
    ax.set_ylabel("test errors (out of 10,000)")
    ax.set_title("Distilled student: test errors against temperature")
    ax.legend(fontsize=8)
    return ax
