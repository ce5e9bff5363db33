"""The figures of gradient descent: paths on a loss surface, the momentum-valley diagram, and the race of batch sizes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from dltips.checks import check_int, check_number, check_numbers
from dltips.descent.momentum import quadratic_descent_errors

__all__ = ["plot_descent_paths", "plot_descent_race", "plot_momentum_valley"]


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
        ValueError: no paths, a path that is not an ``(n, 2)`` array, or ``levels`` not an integer >= 1.

    Example::

        >>> quadratic = lambda w: w[:, 0] ** 2 + 10 * w[:, 1] ** 2
        >>> ax = plot_descent_paths(quadratic, {"GD": np.array([[1.0, 1.0], [0.8, -0.5], [0.6, 0.2]])})
    """
    levels = check_int("levels", levels)
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

    Returns:
        The figure, three panels sharing the loss axis.

    Raises:
        ValueError: no histories.

    Example::

        >>> from types import SimpleNamespace
        >>> run = SimpleNamespace(num_examples=100, eval_examples=[0, 100, 200], eval_updates=[0, 4, 8],
        ...                       eval_seconds=[0.0, 0.1, 0.2], eval_loss=[2.3, 0.9, 0.6])
        >>> fig = plot_descent_race({"b = 25": run})
        >>> [ax.get_title() for ax in fig.axes]
        ['per epoch', 'per update', 'per second']
        >>> plt.close(fig)
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


def plot_momentum_valley(
    *,
    curvatures: tuple[float, float] = (0.02, 1.0),
    start: tuple[float, float] = (-9.0, 1.6),
    learning_rates: tuple[float, float] = (1.75, 0.4),
    momentum: float = 0.85,
    steps: int = 30,
    ax: Axes | None = None,
) -> Axes:
    """The conceptual picture of momentum: plain gradient descent against momentum in a narrow valley.

    Draws the elliptical contours of ``J(w) = ½ (λ_along w₁² + λ_across w₂²)``, a
    valley along ``w₁`` whose walls (``w₂``) are ``λ_across / λ_along`` times more
    curved than its floor, and, from the same ``start``, the path of plain
    gradient descent (``w ← w − η∇J``, at a rate near its stability limit
    ``2 / λ_across``: each step overshoots across the valley, so it zig-zags,
    and creeps along the floor) and of momentum (``v ← μv − η∇J; w ← w + v``,
    at a smaller rate: the across-valley components of successive gradients
    cancel in the velocity, the along-valley ones add up, so it swings
    smoothly and travels further). Two notes name what each path does, with
    arrows to it.

    Args:
        curvatures: ``(λ_along, λ_across)``, both > 0, the first the smaller.
        start: the starting weights, up the valley.
        learning_rates: ``η`` of gradient descent (below ``2 / λ_across``, so that it
            converges) and of momentum, both > 0.
        momentum: ``μ`` of the momentum path, in ``[0, 1)``.
        steps: updates drawn on each path.
        ax: draw here instead of on a new figure.

    Returns:
        The axes, with the contours (one contour set), the two paths (lines
        labelled ``"gradient descent"`` and ``"momentum"``), the start and the
        minimum, and the two notes (``ax.texts``).

    Raises:
        ValueError: a curvature that is not > 0, ``λ_along >= λ_across``, a
            gradient-descent rate outside ``(0, 2 / λ_across)``, a momentum rate
            that is not > 0, a momentum outside
            ``[0, 1)``, ``steps`` not an integer >= 1 or a ``start`` that is
            not two finite numbers.

    Example::

        >>> ax = plot_momentum_valley(steps=10)
        >>> [line.get_label() for line in ax.get_lines()]
        ['gradient descent', 'momentum', 'start', 'minimum']
    """
    along = check_number("curvatures[0]", curvatures[0], low=0.0, low_open=True)
    across = check_number("curvatures[1]", curvatures[1], low=0.0, low_open=True)
    if along >= across:
        raise ValueError(f"curvatures must be (along, across) with along < across, got {curvatures!r}")
    eta_gd = check_number("learning_rates[0]", learning_rates[0], low=0.0, high=2 / across, low_open=True)
    eta_mom = check_number("learning_rates[1]", learning_rates[1], low=0.0, low_open=True)
    mu = check_number("momentum", momentum, low=0.0, high=1.0)
    steps = check_int("steps", steps)
    start = check_numbers("start", start, length=2)
    hessian = np.diag([along, across])
    paths = {
        "gradient descent": quadratic_descent_errors(hessian, start, learning_rate=eta_gd, steps=steps),
        "momentum": quadratic_descent_errors(hessian, start, learning_rate=eta_mom, steps=steps, momentum=mu),
    }
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.6))
    x_max = 1.1 * abs(start[0])
    y_max = 1.6 * max(abs(start[1]), float(np.max(np.abs(np.vstack(list(paths.values()))[:, 1]))))
    w1, w2 = np.meshgrid(np.linspace(-x_max, x_max, 300), np.linspace(-y_max, y_max, 200))
    z = 0.5 * (along * w1**2 + across * w2**2)
    top = 0.5 * (along * start[0] ** 2 + across * start[1] ** 2)
    ax.contour(w1, w2, z, levels=top * np.geomspace(2e-3, 1.5, 9), colors="0.6", linewidths=0.8)
    styles = {"gradient descent": dict(color="tab:red", marker="o"), "momentum": dict(color="tab:blue", marker="s")}
    for name, path in paths.items():
        ax.plot(path[:, 0], path[:, 1], markersize=3.5, linewidth=1.4, label=name, **styles[name])
    ax.plot(*start, "ks", markersize=7, label="start")
    ax.plot(0, 0, "k*", markersize=14, label="minimum")
    gd, mom = paths["gradient descent"], paths["momentum"]
    ax.annotate("gradient descent: every step overshoots across the\nsteep walls (zig-zag) and creeps along the flat floor",
                xy=gd[3], xytext=(-0.95 * x_max, -0.93 * y_max), fontsize=9, color="tab:red",
                arrowprops=dict(arrowstyle="->", color="tab:red"))
    ax.annotate("momentum: the across-valley pushes cancel,\nthe along-valley ones add up to a longer step",
                xy=mom[min(9, steps)], xytext=(-0.3 * x_max, 0.62 * y_max), fontsize=9, color="tab:blue",
                arrowprops=dict(arrowstyle="->", color="tab:blue"))
    ax.set_xlim(-x_max, x_max)
    ax.set_ylim(-y_max, y_max)
    ax.set_aspect("equal")
    ax.set_xlabel("$w_1$ (along the valley: flat)")
    ax.set_ylabel("$w_2$ (across: steep)")
    ax.set_title(f"{steps} steps from the same start: gradient descent ($\\eta$ = {eta_gd:g}) "
                 f"and momentum ($\\eta$ = {eta_mom:g}, $\\mu$ = {mu:g})")
    ax.legend(fontsize=8, loc="lower right")
    return ax
