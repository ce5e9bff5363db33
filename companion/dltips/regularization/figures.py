"""The figures of regularization: per-variant learning curves and weight histograms."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

__all__ = ["plot_regularization_curves", "plot_weight_histograms"]


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
        ValueError: an unknown variant name or metric, or ``columns < 1``.

    Example::

        >>> fig = plot_regularization_curves(reg_result, names=["none", "L2"])  # doctest: +SKIP
    """
    if metric not in ("accuracy", "loss"):
        raise ValueError(f"metric must be 'accuracy' or 'loss', got {metric!r}")
    if columns < 1:
        raise ValueError(f"columns must be positive, got {columns!r}")
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
        ValueError: an unknown or empty list of names, ``bins < 2`` or ``limit <= 0``.

    Example::

        >>> fig = plot_weight_histograms(reg_result, names=["L1", "L2"])  # doctest: +SKIP
    """
    if bins < 2:
        raise ValueError(f"bins must be at least 2, got {bins!r}")
    if limit is not None and not limit > 0:
        raise ValueError(f"limit must be positive, got {limit!r}")
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
