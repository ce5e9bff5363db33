"""The figures of gradient descent: paths on a loss surface, and the race of batch sizes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["plot_descent_paths", "plot_descent_race"]


def plot_descent_paths(
    loss: Callable[[np.ndarray], np.ndarray],
    paths: Mapping[str, np.ndarray],
    *,
    minimum: Sequence[float] | np.ndarray | None = None,
    limits: tuple[tuple[float, float], tuple[float, float]] | None = None,
    levels: int = 25,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Trajectories of two-parameter descents drawn over the contours of their loss.

    Args:
        loss: vectorized loss, mapping an ``(n, 2)`` array of weights to ``n`` values.
        paths: name → ``(updates + 1, 2)`` array of weights (start, then after each update),
            such as ``DescentHistory.weights`` of a two-weight model.
        minimum: where to mark the minimizer with a star.
        limits: ``((w1_min, w1_max), (w2_min, w2_max))``; default: around every path.
        levels: number of contour lines (log-spaced above the lowest loss on the grid).
        ax: draw here instead of on a new figure.
        title: the axes title.

    Raises:
        ValueError: no paths, or a path that is not an ``(n, 2)`` array.

    Example::

        >>> quadratic = lambda w: w[:, 0] ** 2 + 10 * w[:, 1] ** 2
        >>> ax = plot_descent_paths(quadratic, {"GD": np.array([[1.0, 1.0], [0.8, -0.5], [0.6, 0.2]])})
    """
    if not paths:
        raise ValueError("paths must hold at least one trajectory")
    arrays = {name: np.asarray(p, dtype=float) for name, p in paths.items()}
    for name, p in arrays.items():
        if p.ndim != 2 or p.shape[1] != 2 or len(p) < 1:
            raise ValueError(f"path {name!r} must be an (n, 2) array of weights, got shape {p.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    if limits is None:
        points = np.vstack([*arrays.values(), *([np.reshape(minimum, (1, 2))] if minimum is not None else [])])
        low, high = points.min(axis=0), points.max(axis=0)
        pad = 0.15 * np.maximum(high - low, 1e-3)
        limits = ((low[0] - pad[0], high[0] + pad[0]), (low[1] - pad[1], high[1] + pad[1]))
    w1, w2 = np.meshgrid(np.linspace(*limits[0], 200), np.linspace(*limits[1], 200))
    z = np.asarray(loss(np.column_stack([w1.ravel(), w2.ravel()]))).reshape(w1.shape)
    # Log-spaced levels, from the floor of the valley up to the highest loss on a path,
    # show both the flat bottom and the steep walls the paths actually cross.
    floor = float(z.min())
    top = max(float(np.max(loss(np.vstack(list(arrays.values()))))) - floor, 1e-12)
    ax.contour(w1, w2, z, levels=floor + np.geomspace(top * 1e-3, top * 1.5, levels), cmap="Greys", linewidths=0.7)
    for name, p in arrays.items():
        ax.plot(p[:, 0], p[:, 1], marker="o", markersize=2.5, linewidth=1.2, label=f"{name}, {len(p) - 1} updates")
    ax.plot(*arrays[next(iter(arrays))][0], "ks", markersize=6, label="start")
    if minimum is not None:
        ax.plot(*np.ravel(minimum), "r*", markersize=13, label="minimum")
    ax.set_xlim(limits[0])
    ax.set_ylim(limits[1])
    ax.set_aspect("equal")  # keeps the valley's true shape: gradients are perpendicular to contours
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.legend(fontsize=8, loc="best")
    if title:
        ax.set_title(title)
    return ax


def plot_descent_race(histories: Mapping[str, Any], *, title: str | None = None) -> Figure:
    """The loss on the evaluation set against epochs, updates and seconds, one panel each.

    Args:
        histories: name → a ``dltips.descent.DescentHistory`` (anything with its
            ``eval_examples``, ``eval_updates``, ``eval_seconds``, ``eval_loss``
            and ``num_examples`` attributes).
        title: the figure's title.

    Every axis is logarithmic (the variants differ by orders of magnitude in
    updates per epoch), so the evaluation before the first update is left out.

    Raises:
        ValueError: no histories.
    """
    if not histories:
        raise ValueError("histories must hold at least one run")
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), sharey=True)
    for name, h in histories.items():
        after_start = np.asarray(h.eval_updates) > 0
        loss = np.asarray(h.eval_loss)[after_start]
        xs = (
            np.asarray(h.eval_examples)[after_start] / h.num_examples,
            np.asarray(h.eval_updates)[after_start],
            np.asarray(h.eval_seconds)[after_start],
        )
        for ax, x in zip(axes, xs):
            ax.plot(x, loss, marker=".", markersize=3, label=name)
    for ax, label in zip(axes, ("epochs (passes over the data)", "updates (weight changes)", "training seconds (wall clock)")):
        ax.set_xscale("log")
        ax.set_xlabel(label)
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("loss on the whole training set")
    axes[0].set_title("per epoch")
    axes[1].set_title("per update")
    axes[2].set_title("per second")
    axes[2].legend(fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
