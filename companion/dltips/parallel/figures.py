"""The figures of parallel SGD: measured and projected scaling, asynchronous training and staleness."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

__all__ = ["plot_async_training", "plot_scaling"]


def plot_scaling(
    measured: dict[str, dict[int, float]],
    projected: dict[str, dict[int, float]],
    *,
    fitted: dict[str, dict[int, float]] | None = None,
    ideal: bool = True,
    title: str = "Synchronous data parallelism: measured and projected throughput",
    projection_label: str = "cost model",
    fitted_label: str = "cost model, fitted to the measurements",
) -> Figure:
    """Throughput (left) and scaling efficiency (right) against the number of workers, log-log.

    One colour per model. Args:
        measured: ``{model: {workers: examples per second}}``, drawn as dots.
        projected: ``{model: {workers: examples per second}}`` from a cost model, solid lines.
        fitted: optional, the same for the cost model on the measuring machine, dashed lines.
        ideal: also draw perfect linear scaling from each model's 1-worker point (dotted).

    Efficiency is throughput(N) / (N · throughput(1)); a model's 1-worker point
    (measured if there is one, else projected) is its reference.

    Raises:
        ValueError: a model of ``measured`` or ``fitted`` with no projection, or no projection at all.
    """
    if not projected:
        raise ValueError("projected must hold at least one model")
    missing = (set(measured) | set(fitted or {})) - set(projected)
    if missing:
        raise ValueError(f"models measured but not projected: {sorted(missing)}")
    fig, (ax_tp, ax_eff) = plt.subplots(1, 2, figsize=(11, 4.6))
    for i, model in enumerate(projected):
        color = f"C{i}"
        points = dict(sorted(measured.get(model, {}).items()))
        base = points.get(1, projected[model].get(1))
        series = [(projected[model], "-", f"{model}: {projection_label}")]
        if fitted and model in fitted:
            series.append((fitted[model], "--", f"{model}: {fitted_label}"))
        for values, style, label in series:
            values = dict(sorted(values.items()))
            ax_tp.plot(list(values), list(values.values()), style, color=color, label=label)
            ax_eff.plot(list(values), [v / (n * base) for n, v in values.items()], style, color=color)
        if points:
            ax_tp.plot(list(points), list(points.values()), "o", color=color, markersize=8, label=f"{model}: measured")
            ax_eff.plot(list(points), [v / (n * base) for n, v in points.items()], "o", color=color, markersize=8)
        if ideal and base:
            top = max(projected[model])
            ax_tp.plot([1, top], [base, base * top], ":", color=color, alpha=0.6)
    for ax in (ax_tp, ax_eff):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("workers N")
        ax.grid(True, which="major", alpha=0.3)
    ax_tp.set_yscale("log")
    ax_tp.set_ylabel("examples per second")
    ax_tp.set_title("throughput (dotted: perfect scaling)")
    ax_eff.set_ylim(0, 1.1)
    ax_eff.set_ylabel("efficiency")
    ax_eff.set_title("efficiency = throughput(N) / (N · throughput(1))")
    fig.suptitle(title)
    handles, labels = ax_tp.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.03 + 0.035 * ((len(labels) + 1) // 2), 1, 1))
    return fig


def plot_async_training(
    async_losses: Sequence[float],
    sync_losses: Sequence[float],
    staleness: Sequence[int],
    *,
    window: int = 10,
    title: str = "Asynchronous (parameter server) against synchronous SGD, same number of steps",
) -> Figure:
    """Mini-batch loss per step, async against sync (left), and the staleness histogram (right).

    The loss curves are moving averages over ``window`` steps (single
    mini-batch losses are noisy). Staleness τ counts the updates other
    workers applied between a worker's read of the weights and its own update.
    """
    if not len(async_losses) or not len(sync_losses) or not len(staleness):
        raise ValueError("async_losses, sync_losses and staleness must not be empty")
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window!r}")

    def smooth(values: Sequence[float]) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        w = min(window, len(values))
        return np.convolve(values, np.ones(w) / w, mode="valid")

    fig, (ax_loss, ax_tau) = plt.subplots(1, 2, figsize=(11, 3.8))
    for values, label in ((async_losses, "asynchronous (parameter server)"), (sync_losses, "synchronous, one device")):
        curve = smooth(values)
        ax_loss.plot(np.arange(len(curve)) + min(window, len(values)), curve, label=label)
    ax_loss.set_xlabel("step")
    ax_loss.set_ylabel(f"training loss (mean of {window} steps)")
    ax_loss.set_title("loss")
    ax_loss.legend()
    taus = np.asarray(staleness, dtype=int)
    counts = np.bincount(taus)
    ax_tau.bar(np.arange(len(counts)), counts, color="C2")
    ax_tau.set_xticks(np.arange(len(counts)))
    ax_tau.set_xlabel("staleness τ (updates by other workers during the step)")
    ax_tau.set_ylabel("steps")
    ax_tau.set_title(f"staleness (mean {taus.mean():.2f})")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
