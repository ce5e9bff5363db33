"""The figures of regularization: dropout's thinned networks, the L1 and L2 constraint regions, learning curves, weight histograms."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from dltips.checks import check_choice, check_int, check_number, check_numbers

__all__ = [
    "constrained_minimum",
    "draw_constraint_regions",
    "draw_dropout_subnetworks",
    "plot_regularization_curves",
    "plot_weight_histograms",
]

DROPPED_COLOR = "lightgray"
"""Face colour of a dropped unit in :func:`draw_dropout_subnetworks`."""


def _dropout_masks(layers: tuple[int, ...], rate: float, rng: np.random.Generator) -> list[np.ndarray]:
    """One keep-mask per layer; the output layer is never dropped, and every layer keeps a unit."""
    masks = []
    for i, n in enumerate(layers):
        if i == len(layers) - 1:
            masks.append(np.ones(n, bool))
            continue
        keep = rng.random(n) >= rate
        while not keep.any():
            keep = rng.random(n) >= rate
        masks.append(keep)
    return masks


def draw_dropout_subnetworks(
    layers: Sequence[int] = (4, 5, 5, 2),
    *,
    thinned: int = 3,
    rate: float = 0.5,
    seed: int = 0,
    size: tuple[float, float] = (3.0, 3.0),
) -> Figure:
    """A small fully connected network and ``thinned`` sub-networks that dropout samples from it.

    Each training step of dropout keeps every input and hidden unit with
    probability ``1 − rate`` and trains only the *thinned* network that is left:
    dropped units are drawn grey and crossed out, and every edge into or out of
    them is removed. The output units are never dropped. The first panel is the
    full network used at inference.

    Args:
        layers: units per layer, input first (at least two layers, each >= 1 unit).
        thinned: how many sampled sub-networks to draw (>= 1).
        rate: the dropout rate, in ``[0, 1)``.
        seed: the masks' random draw.
        size: inches per panel (width, height).

    Returns:
        A figure with ``1 + thinned`` panels. Units are ``Circle`` patches (dropped
        ones filled with ``DROPPED_COLOR``); each panel's edges are one
        ``LineCollection``.

    Raises:
        ValueError: fewer than two layers, a layer with no unit, ``thinned`` < 1,
            a ``rate`` outside ``[0, 1)``, a negative ``seed`` or a bad ``size``.

    Example::

        >>> fig = draw_dropout_subnetworks((3, 4, 2), thinned=2, seed=1)
        >>> len(fig.axes), len(fig.axes[0].collections[0].get_segments())  # 3·4 + 4·2 edges
        (3, 20)
    """
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Circle

    from dltips.checks import check_rate, check_sizes

    layers = check_sizes("layers", layers, allow_empty=False)
    if len(layers) < 2:
        raise ValueError(f"layers must hold at least two layer sizes, got {layers}")
    thinned = check_int("thinned", thinned)
    rate = check_rate("rate", rate)
    size = check_numbers("size", size, low=0.0, low_open=True, length=2)
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    panels = [[np.ones(n, bool) for n in layers]] + [_dropout_masks(layers, rate, rng) for _ in range(thinned)]
    tallest = max(layers)
    positions = [[(i, (n - 1) / 2 - j) for j in range(n)] for i, n in enumerate(layers)]
    fig, axes = plt.subplots(1, len(panels), figsize=(size[0] * len(panels), size[1]), squeeze=False)
    for k, (ax, masks) in enumerate(zip(axes[0], panels)):
        segments = [
            [positions[i][a], positions[i + 1][b]]
            for i in range(len(layers) - 1)
            for a in range(layers[i])
            for b in range(layers[i + 1])
            if masks[i][a] and masks[i + 1][b]
        ]
        ax.add_collection(LineCollection(segments, colors="tab:gray", linewidths=0.8, zorder=1))
        for i, layer_positions in enumerate(positions):
            for j, (px, py) in enumerate(layer_positions):
                kept = masks[i][j]
                color = ("tab:blue" if i == 0 else "tab:orange" if i < len(layers) - 1 else "tab:green")
                ax.add_patch(Circle((px, py), 0.18, facecolor=color if kept else DROPPED_COLOR,
                                    edgecolor="black" if kept else "gray", zorder=2))
                if not kept:
                    ax.plot([px - 0.13, px + 0.13], [py - 0.13, py + 0.13], color="black", lw=1.2, zorder=3)
                    ax.plot([px - 0.13, px + 0.13], [py + 0.13, py - 0.13], color="black", lw=1.2, zorder=3)
        ax.set_xlim(-0.5, len(layers) - 0.5)
        ax.set_ylim(-(tallest - 1) / 2 - 0.5, (tallest - 1) / 2 + 0.5)
        ax.set_aspect("equal")
        ax.axis("off")
        dropped = sum(int((~m).sum()) for m in masks)
        ax.set_title("full network (inference)" if k == 0 else f"thinned network {k}: {dropped} units dropped",
                     fontsize=10)
    fig.suptitle(f"Dropout (rate {rate:g}) trains a different thinned network at each step")
    fig.tight_layout()
    return fig


def _ball_minimum_l2(center: np.ndarray, hessian: np.ndarray, radius: float) -> np.ndarray:
    """argmin of ½(w − c)ᵀH(w − c) over ‖w‖₂ ≤ radius: w(μ) = (H + μI)⁻¹Hc with ‖w(μ)‖ = radius."""
    eye = np.eye(len(center))

    def point(mu: float) -> np.ndarray:
        return np.linalg.solve(hessian + mu * eye, hessian @ center)

    low, high = 0.0, 1.0
    while np.linalg.norm(point(high)) > radius:
        high *= 2.0
    for _ in range(200):  # bisection on the multiplier μ
        mid = (low + high) / 2
        low, high = (mid, high) if np.linalg.norm(point(mid)) > radius else (low, mid)
    return point(high)


def _ball_minimum_l1(center: np.ndarray, hessian: np.ndarray, radius: float) -> np.ndarray:
    """argmin of ½(w − c)ᵀH(w − c) over |w₁| + |w₂| ≤ radius: the best point of the diamond's four edges."""
    vertices = [np.array(v, float) * radius for v in ((1, 0), (0, 1), (-1, 0), (0, -1))]
    best, best_value = vertices[0], np.inf
    for a, b in zip(vertices, vertices[1:] + vertices[:1]):
        d = b - a  # the edge a + s·d, s in [0, 1]: a quadratic in s, minimized in closed form
        curvature = d @ hessian @ d
        s = float(np.clip(d @ hessian @ (center - a) / curvature, 0.0, 1.0))
        w = a + s * d
        value = (w - center) @ hessian @ (w - center)
        if value < best_value:
            best, best_value = w, value
    return best


def constrained_minimum(center: Sequence[float], hessian: Sequence[Sequence[float]], *,
                        radius: float, norm: str) -> np.ndarray:
    """The minimum of a quadratic loss in two weights inside an L1 or L2 ball.

    The loss is ``½ (w − c)ᵀ H (w − c)``, with its unconstrained minimum at
    ``c`` and a symmetric positive definite ``H``; the constraint is
    ``|w₁| + |w₂| ≤ radius`` (``norm="l1"``, a diamond) or
    ``w₁² + w₂² ≤ radius²`` (``norm="l2"``, a disc). Each constraint is the
    penalty ``λ‖w‖₁`` or ``λ‖w‖₂²`` for some ``λ`` (Lagrange duality).

    Args:
        center: ``c``, two numbers.
        hessian: ``H``, 2×2, symmetric positive definite.
        radius: the ball's radius (> 0).
        norm: ``"l1"`` or ``"l2"``.

    Returns:
        The constrained minimum, an array of two numbers (``c`` itself when it
        lies inside the ball).

    Raises:
        ValueError: ``center`` not two numbers, ``hessian`` not 2×2 symmetric
            positive definite, ``radius`` not > 0, or an unknown ``norm``.

    Example::

        >>> H = [[1.0, 0.0], [0.0, 0.3]]
        >>> constrained_minimum((2.0, 1.0), H, radius=1.0, norm="l1").round(3).tolist()
        [1.0, 0.0]
        >>> bool(np.all(np.abs(constrained_minimum((2.0, 1.0), H, radius=1.0, norm="l2")) > 0.1))
        True
    """
    c = np.asarray(check_numbers("center", center, length=2), float)
    h = np.asarray(hessian, float)
    if h.shape != (2, 2) or not np.all(np.isfinite(h)) or not np.allclose(h, h.T) or np.any(np.linalg.eigvalsh(h) <= 0):
        raise ValueError(f"hessian must be a 2×2 symmetric positive definite matrix, got {hessian!r}")
    radius = check_number("radius", radius, low=0.0, low_open=True)
    check_choice("norm", norm, ("l1", "l2"))
    inside = np.abs(c).sum() <= radius if norm == "l1" else np.linalg.norm(c) <= radius
    if inside:
        return c
    return _ball_minimum_l1(c, h, radius) if norm == "l1" else _ball_minimum_l2(c, h, radius)


def draw_constraint_regions(
    center: Sequence[float] = (1.6, 0.7),
    hessian: Sequence[Sequence[float]] = ((1.0, 0.0), (0.0, 0.3)),
    *,
    radius: float = 1.0,
    size: tuple[float, float] = (4.2, 4.0),
) -> Figure:
    """The L1 diamond and the L2 disc against the elliptical contours of a loss in two weights.

    Minimizing the loss subject to ``‖w‖₁ ≤ radius`` or ``‖w‖₂ ≤ radius`` picks
    the point where the smallest contour touches the region. The diamond's
    corners stick out along the axes, so the touching point is often a corner,
    where one weight is exactly zero; the disc has no corners, so its touching
    point generally has both weights non-zero.

    Args:
        center: the loss's unconstrained minimum (outside both regions for the figure to say anything).
        hessian: the loss's curvature, 2×2 symmetric positive definite.
        radius: the regions' radius.
        size: inches per panel (width, height).

    Returns:
        A figure with two panels, L1 then L2. In each, the region is a
        ``Polygon`` patch, the unconstrained minimum a line labelled
        ``"unconstrained minimum"`` and the constrained one a line labelled
        ``"constrained minimum"`` (its point from :func:`constrained_minimum`).

    Raises:
        ValueError: as :func:`constrained_minimum`, or a bad ``size``.

    Example::

        >>> fig = draw_constraint_regions()
        >>> [ax.get_title().split(":")[0] for ax in fig.axes]
        ['L1 ball (diamond)', 'L2 ball (disc)']
    """
    from matplotlib.patches import Polygon

    size = check_numbers("size", size, low=0.0, low_open=True, length=2)
    c = np.asarray(check_numbers("center", center, length=2), float)
    h = np.asarray(hessian, float)
    optima = {n: constrained_minimum(c, h, radius=radius, norm=n) for n in ("l1", "l2")}
    span = 1.25 * max(radius, float(np.max(np.abs(c))) + 0.5)
    grid = np.linspace(-span, span, 301)
    w1, w2 = np.meshgrid(grid, grid)
    d1, d2 = w1 - c[0], w2 - c[1]
    loss = 0.5 * (h[0, 0] * d1**2 + 2 * h[0, 1] * d1 * d2 + h[1, 1] * d2**2)
    theta = np.linspace(0, 2 * np.pi, 361)
    shapes = {
        "l1": radius * np.array([[1, 0], [0, 1], [-1, 0], [0, -1]], float),
        "l2": radius * np.column_stack([np.cos(theta), np.sin(theta)]),
    }
    fig, axes = plt.subplots(1, 2, figsize=(size[0] * 2, size[1]), squeeze=False)
    for ax, norm in zip(axes[0], ("l1", "l2")):
        w = optima[norm]
        touching = 0.5 * (w - c) @ h @ (w - c)
        ax.contour(w1, w2, loss, levels=touching * np.array([0.3, 0.6, 1.6, 2.5, 3.6]), colors="tab:gray",
                   linewidths=0.8)
        ax.contour(w1, w2, loss, levels=[touching], colors="tab:red", linewidths=1.6)
        ax.add_patch(Polygon(shapes[norm], closed=True, facecolor="tab:blue", alpha=0.25, edgecolor="tab:blue"))
        ax.axhline(0, color="black", lw=0.6)
        ax.axvline(0, color="black", lw=0.6)
        ax.plot(*c, "k*", markersize=11, label="unconstrained minimum")
        ax.plot(*w, "o", color="tab:red", markersize=8, label="constrained minimum")
        ax.set_xlim(-span, span)
        ax.set_ylim(-span, span)
        ax.set_aspect("equal")
        ax.set_xlabel("$w_1$")
        ax.set_ylabel("$w_2$")
        name = "L1 ball (diamond)" if norm == "l1" else "L2 ball (disc)"
        ax.set_title(f"{name}: minimum at ({w[0]:.2f}, {w[1]:.2f})", fontsize=10)
        ax.legend(loc="lower left", fontsize=8)
    fig.suptitle("The smallest contour (red) touching each region: on an axis for L1, not for L2")
    fig.tight_layout()
    return fig


def _pick_variants(result, names: Sequence[str] | None) -> list:
    """The variants of a regularization result, in the order ``names`` gives (all if ``None``)."""
    variants = list(result.variants)
    if names is None:
        return variants
    by_name = {v.name: v for v in variants}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise ValueError(f"names holds unknown variants {missing}; the result has {list(by_name)}")
    if not names:
        raise ValueError("names must hold at least one variant name")
    return [by_name[n] for n in names]


def plot_regularization_curves(
    result,
    *,
    names: Sequence[str] | None = None,
    metric: str = "accuracy",
    columns: int = 3,
    size: tuple[float, float] = (3.6, 2.8),
) -> Figure:
    """One panel per regularization variant: training and validation curves per epoch, side by side.

    The space between the two curves is the generalization gap as it opens
    during training; shared axes make the panels comparable at a glance.

    Args:
        result: a :class:`dltips.regularization.RegularizationResult`.
        names: the variants to show, in order (default: all).
        metric: ``"accuracy"`` or ``"loss"`` (cross-entropy without the penalty).
        columns: panels per row.
        size: inches per panel (width, height).

    Raises:
        ValueError: an unknown variant name or metric, ``columns`` not an integer
            >= 1, or a ``size`` that is not two numbers > 0.

    Example::

        >>> fig = plot_regularization_curves(reg_result, names=["none", "L2"])  # doctest: +SKIP
    """
    check_choice("metric", metric, ("accuracy", "loss"))
    columns = check_int("columns", columns)
    size = check_numbers("size", size, low=0.0, low_open=True, length=2)
    variants = _pick_variants(result, names)
    cols = min(columns, len(variants))
    rows = int(np.ceil(len(variants) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(size[0] * cols, size[1] * rows), sharex=True, sharey=True, squeeze=False)
    for ax, v in zip(axes.flat, variants):
        train, val = np.asarray(v.history[f"train_{metric}"]), np.asarray(v.history[f"val_{metric}"])
        epochs = np.arange(1, len(train) + 1)
        ax.plot(epochs, train, label="training", color="tab:blue")
        ax.plot(epochs, val, label="validation", color="tab:orange")
        ax.fill_between(epochs, train, val, color="tab:gray", alpha=0.15, linewidth=0)
        ax.set_title(f"{v.name} (test {100 * v.test_accuracy:.1f}%)", fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(variants):]:
        ax.axis("off")
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    for ax in axes[:, 0]:
        ax.set_ylabel(metric if metric == "accuracy" else "cross-entropy")
    axes.flat[0].legend(loc="lower right" if metric == "accuracy" else "upper right", fontsize=8)
    fig.suptitle(f"Training vs validation {metric} per regularizer (shaded: the gap)")
    fig.tight_layout()
    return fig


def plot_weight_histograms(
    result,
    *,
    names: Sequence[str] = ("none", "L1", "L2"),
    bins: int = 121,
    limit: float | None = None,
    size: tuple[float, float] = (3.8, 3.0),
) -> Figure:
    """Histograms of the kernel weights of some variants, side by side on a log count scale.

    L1's constant pull ``λ·sign(w)`` piles weights up in a spike at zero
    (sparsity); L2's proportional pull ``2λw`` narrows the whole distribution
    (shrinkage) but leaves few weights exactly at zero.

    Args:
        result: a :class:`dltips.regularization.RegularizationResult`.
        names: the variants to show, in order.
        bins: number of histogram bins (shared by all panels).
        limit: weights in ``[-limit, limit]`` are shown (the rare larger ones
            are left out); default: the largest ``|w|`` of the shown variants.
            With an odd number of bins of width ``2e-3`` (``limit=0.101,
            bins=101``) the middle bin holds exactly the weights with ``|w| < 1e-3``.
        size: inches per panel (width, height).

    Raises:
        ValueError: an unknown or empty list of names, ``bins`` not an integer >= 2,
            ``limit`` not a number > 0, or a ``size`` that is not two numbers > 0.

    Example::

        >>> fig = plot_weight_histograms(reg_result, names=["L1", "L2"])  # doctest: +SKIP
    """
    bins = check_int("bins", bins, minimum=2)
    if limit is not None:
        limit = check_number("limit", limit, low=0.0, low_open=True)
    size = check_numbers("size", size, low=0.0, low_open=True, length=2)
    variants = _pick_variants(result, list(names))
    if limit is None:
        limit = max(float(np.max(np.abs(v.weights))) for v in variants)
    edges = np.linspace(-limit, limit, bins + 1)
    fig, axes = plt.subplots(1, len(variants), figsize=(size[0] * len(variants), size[1]), sharex=True, sharey=True, squeeze=False)
    for ax, v in zip(axes[0], variants):
        ax.hist(v.weights, bins=edges, color="tab:purple", alpha=0.8)
        ax.set_yscale("log")
        ax.set_title(f"{v.name}\n{100 * v.near_zero_fraction:.1f}% of |w| < 1e-3, ‖w‖ = {v.weight_norm:.1f}", fontsize=10)
        ax.set_xlabel("weight value")
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("number of weights (log scale)")
    fig.suptitle("Kernel weights after training: L1 sparsity vs L2 shrinkage")
    fig.tight_layout()
    return fig
