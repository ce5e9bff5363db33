"""The figures of parallel SGD: measured and projected scaling, asynchronous training and staleness."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from dltips.checks import check_int

__all__ = ["draw_data_parallelism", "draw_ring_allreduce", "plot_async_training", "plot_scaling"]


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

    One colour per model. Efficiency is throughput(N) / (N · throughput(1)); a
    model's 1-worker point (measured if there is one, else projected) is its reference.

    Args:
        measured: ``{model: {workers: examples per second}}``, drawn as dots.
        projected: ``{model: {workers: examples per second}}`` from a cost model, solid lines.
        fitted: optional, the same for the cost model on the measuring machine, dashed lines.
        ideal: also draw perfect linear scaling from each model's 1-worker point (dotted).
        title: the figure's title.
        projection_label, fitted_label: the legend's words for the two kinds of line.

    Returns:
        The matplotlib figure.

    Raises:
        ValueError: a model of ``measured`` or ``fitted`` with no projection, or no projection at all.

    Example::

        >>> import matplotlib.pyplot as plt
        >>> fig = plot_scaling({"MLP": {1: 1000.0, 2: 1800.0}}, {"MLP": {1: 1000.0, 2: 1900.0, 4: 3500.0}})
        >>> len(fig.axes)
        2
        >>> plt.close(fig)
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

    Args:
        async_losses: the asynchronous run's mini-batch loss of each step.
        sync_losses: the synchronous run's, for the same number of steps.
        staleness: τ of each asynchronous step.
        window: steps of the moving average, an integer >= 1.
        title: the figure's title.

    Returns:
        The matplotlib figure.

    Raises:
        ValueError: an empty sequence, or ``window`` not an integer >= 1.

    Example::

        >>> import matplotlib.pyplot as plt
        >>> fig = plot_async_training([2.3, 1.9, 1.2], [2.3, 1.8, 1.1], [0, 1, 0], window=2)
        >>> fig.axes[1].get_title()
        'staleness (mean 0.33)'
        >>> plt.close(fig)
    """
    window = check_int("window", window)
    if not len(async_losses) or not len(sync_losses) or not len(staleness):
        raise ValueError("async_losses, sync_losses and staleness must not be empty")

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


def _box(ax, x: float, y: float, text: str, *, width: float = 0.24, height: float = 0.12, color: str = "#dbe9f6") -> None:
    ax.add_patch(plt.Rectangle((x - width / 2, y - height / 2), width, height, facecolor=color, edgecolor="black",
                               linewidth=1.0, gid="box"))
    ax.text(x, y, text, ha="center", va="center", fontsize=8)


def _arrow(ax, start: tuple[float, float], end: tuple[float, float], text: str = "", *, style: str = "-",
           at: float = 0.5) -> None:
    ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "->", "linestyle": style, "linewidth": 1.0},
                annotation_clip=False).set_gid("arrow")
    if text:
        ax.text(start[0] + at * (end[0] - start[0]) - 0.01, start[1] + at * (end[1] - start[1]), text, fontsize=7,
                ha="right", va="center")


def draw_data_parallelism(num_workers: int = 3) -> Figure:
    """Synchronous data parallelism beside asynchronous parameter-server training, as a diagram.

    Left: ``num_workers`` replicas, each on its own shard of the batch, send their gradients
    :math:`g_k` to one all-reduce, which gives every replica the same mean
    :math:`\\bar g = \\frac1N \\sum_k g_k` and so the same update. Right: the same workers
    each pull the weights from a parameter server and push their gradient whenever it is ready,
    so a gradient may have been computed on weights :math:`w_{t-\\tau}` that are :math:`\\tau`
    updates old (dashed arrows).

    Args:
        num_workers: the workers drawn in each panel, 2 to 6.

    Returns:
        A figure with two panels, each with one box per worker and one for the all-reduce or
        the server; every box is a ``Rectangle`` with gid ``"box"`` and every arrow an
        annotation with gid ``"arrow"``.

    Raises:
        ValueError: if ``num_workers`` is not an integer from 2 to 6.

    Example::

        >>> fig = draw_data_parallelism(3)
        >>> [ax.get_title().split(":")[0] for ax in fig.axes]
        ['synchronous', 'asynchronous']
    """
    n = check_int("num_workers", num_workers, minimum=2, maximum=6)
    fig, (sync, asyn) = plt.subplots(1, 2, figsize=(10, 3.8))
    xs = np.linspace(0.15, 0.85, n)
    for ax in (sync, asyn):
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.axis("off")
    sync.set_title("synchronous: all-reduce, one update", fontsize=10)
    _box(sync, 0.5, 0.82, "all-reduce\n" r"$\bar g = \frac{1}{N}\sum_k g_k$", width=0.34, height=0.16, color="#fde2c8")
    for k, x in enumerate(xs, start=1):
        _box(sync, x, 0.25, f"replica {k}\nshard {k} of the batch", width=0.8 / n, height=0.16)
        _arrow(sync, (x - 0.03, 0.33), (0.5 - 0.03, 0.74), f"$g_{k}$" if k == 1 else "")
        _arrow(sync, (0.5 + 0.03, 0.74), (x + 0.03, 0.33))
    sync.text(0.5, 0.04, r"every replica applies the same $w \leftarrow w - \eta\,\bar g$", ha="center", fontsize=8)
    asyn.set_title("asynchronous: parameter server, stale gradients", fontsize=10)
    _box(asyn, 0.5, 0.82, "parameter server\n" r"$w_t$", width=0.34, height=0.16, color="#fde2c8")
    for k, x in enumerate(xs, start=1):
        _box(asyn, x, 0.25, f"worker {k}\n" + (r"reads $w_{t-\tau}$" if k == n else r"reads $w_t$"),
             width=0.8 / n, height=0.16)
        _arrow(asyn, (x - 0.03, 0.33), (0.5 - 0.03, 0.74), "push $g$" if k == 1 else "",
               style="--" if k == n else "-", at=0.25)
        _arrow(asyn, (0.5 + 0.03, 0.74), (x + 0.03, 0.33), "pull $w$" if k == 1 else "", at=0.75)
    asyn.text(0.5, 0.04, "each push is applied at once; nobody waits", ha="center", fontsize=8)
    fig.tight_layout()
    return fig


def draw_ring_allreduce(num_workers: int = 3) -> Figure:
    """Ring all-reduce, step by step: ``N - 1`` reduce-scatter steps, then ``N - 1`` all-gather steps.

    Each of the ``N`` workers cuts its gradient into ``N`` chunks. At every step worker
    ``r`` sends one chunk to worker ``r + 1`` (mod ``N``): during reduce-scatter the receiver
    adds it to its own copy of that chunk, so after ``N - 1`` steps each worker holds one chunk
    summed over all workers; during all-gather the finished chunks travel on around the ring.
    Every worker sends :math:`2(N-1)` chunks of about :math:`M/N` numbers, whatever ``N``.

    Args:
        num_workers: the workers in the ring, 2 to 6.

    Returns:
        A figure with one panel per step (``2(N - 1)`` panels), each with ``N`` workers on a
        circle and ``N`` arrows (annotations with gid ``"arrow"``) labelled with the chunk sent.

    Raises:
        ValueError: if ``num_workers`` is not an integer from 2 to 6.

    Example::

        >>> fig = draw_ring_allreduce(3)
        >>> len(fig.axes), fig.axes[0].get_title()
        (4, 'reduce-scatter, step 1')
    """
    n = check_int("num_workers", num_workers, minimum=2, maximum=6)
    steps = 2 * (n - 1)
    fig, axes = plt.subplots(1, steps, figsize=(2.6 * steps, 2.8))
    axes = np.atleast_1d(axes)
    angles = np.pi / 2 - 2 * np.pi * np.arange(n) / n
    points = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    for step, ax in enumerate(axes):
        phase, k = ("reduce-scatter", step) if step < n - 1 else ("all-gather", step - (n - 1))
        ax.set_title(f"{phase}, step {k + 1}", fontsize=9)
        ax.set_xlim(-1.5, 1.5)
        ax.set_ylim(-1.5, 1.5)
        ax.set_aspect("equal")
        ax.axis("off")
        for r, (x, y) in enumerate(points):
            ax.add_patch(plt.Circle((x, y), 0.28, facecolor="#dbe9f6", edgecolor="black", gid="worker"))
            ax.text(x, y, f"w{r}", ha="center", va="center", fontsize=8)
        for r in range(n):
            # reduce-scatter: worker r passes chunk r - k; all-gather: the finished chunk r + 1 - k
            chunk = (r - k) % n if phase == "reduce-scatter" else (r + 1 - k) % n
            start, end = points[r], points[(r + 1) % n]
            direction = (end - start) / np.linalg.norm(end - start)
            a, b = start + 0.32 * direction, end - 0.32 * direction
            ax.annotate("", xy=tuple(b), xytext=tuple(a), arrowprops={"arrowstyle": "->"}).set_gid("arrow")
            middle = (a + b) / 2 + 0.18 * np.array([direction[1], -direction[0]])
            ax.text(*middle, f"c{chunk}", fontsize=7, ha="center", va="center", color="#c0392b")
    fig.suptitle(f"ring all-reduce over {n} workers: each sends {steps} chunks of 1/{n} of the gradient", fontsize=10)
    fig.tight_layout()
    return fig
