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

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
from matplotlib.axes import Axes
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


# --- descent ---


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


# --- schedules ---


def plot_learning_rates(
    curves: Mapping[str, Sequence[float] | np.ndarray],
    *,
    steps_per_epoch: int | None = None,
    log_scale: bool = False,
    title: str = "Learning-rate schedules",
    ax: Axes | None = None,
) -> Axes:
    """One line per schedule: the learning rate against the optimizer step.

    Args:
        curves: name → the rate at steps 0, 1, 2, … (for example from
            :func:`dltips.schedules.learning_rates` or a
            :class:`~dltips.schedules.LearningRateRecorder`'s ``step_rates``).
        steps_per_epoch: if given, dotted vertical lines mark the epoch ends.
        log_scale: a logarithmic rate axis (shows the tail of fast decays).
        title: the axes title.
        ax: draw here instead of on a new figure.

    Raises:
        ValueError: no curves, or ``steps_per_epoch`` not positive.

    Example::

        >>> from dltips import schedules
        >>> ax = plot_learning_rates({"cosine": schedules.learning_rates(schedules.cosine_decay(0.1, 100), 120)})
    """
    if not curves:
        raise ValueError("curves must hold at least one schedule")
    if steps_per_epoch is not None and steps_per_epoch < 1:
        raise ValueError(f"steps_per_epoch must be a positive integer or None, got {steps_per_epoch!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    longest = 0
    for name, rates in curves.items():
        rates = np.asarray(rates, dtype=float)
        ax.plot(np.arange(len(rates)), rates, label=name, lw=1.6)
        longest = max(longest, len(rates))
    if steps_per_epoch is not None:
        for end in range(steps_per_epoch, longest, steps_per_epoch):
            ax.axvline(end, color="0.85", lw=0.8, ls=":", zorder=0)
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel("optimizer step t")
    ax.set_ylabel("learning rate α_t")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def plot_schedule_runs(
    step_rates: Mapping[str, Sequence[float] | np.ndarray],
    epoch_loss: Mapping[str, Sequence[float] | np.ndarray],
    *,
    steps_per_epoch: int | None = None,
    title: str = "Same model, same budget, different learning rates",
) -> Figure:
    """Two panels for a schedule comparison: the rate each run actually used, and its training loss per epoch.

    Args:
        step_rates: run name → the rate of each update (``LearningRateRecorder.step_rates``).
        epoch_loss: run name → the mean training loss of each epoch (``history.history["loss"]``);
            the loss axis is logarithmic, and a diverged run (``nan``/``inf``) is drawn up to where it was finite.
        steps_per_epoch: if given, dotted vertical lines mark the epoch ends in the left panel.
        title: the figure title.

    Raises:
        ValueError: no runs, or the two mappings name different runs.

    Example::

        >>> fig = plot_schedule_runs({"constant": [0.1] * 20}, {"constant": [0.9, 0.5]}, steps_per_epoch=10)
    """
    if not step_rates:
        raise ValueError("step_rates must hold at least one run")
    if list(step_rates) != list(epoch_loss):
        raise ValueError(
            f"step_rates and epoch_loss must name the same runs, got {list(step_rates)} and {list(epoch_loss)}"
        )
    fig, (ax_rate, ax_loss) = plt.subplots(1, 2, figsize=(13, 4.2))
    plot_learning_rates(
        step_rates, steps_per_epoch=steps_per_epoch, log_scale=True, title="Learning rate actually used", ax=ax_rate
    )
    ax_rate.get_legend().remove()  # both panels draw the runs in the same colours; one legend serves both
    for name, losses in epoch_loss.items():
        losses = np.asarray(losses, dtype=float)
        finite = np.where(np.isfinite(losses), losses, np.nan)  # a diverged epoch leaves a gap, not a spike
        ax_loss.plot(np.arange(1, len(losses) + 1), finite, marker="o", ms=3, label=name)
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("mean training loss over the epoch")
    ax_loss.set_title("Training loss")
    ax_loss.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.suptitle(title)
    fig.tight_layout()
    return fig


# --- trends ---


# Figures and tables of chapters 1, 2 and 5 (overfitting, cost, optimizers, saliency, privacy, robustness).




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


def plot_train_test_curves(curves, *, title: str = "") -> Figure:
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


# --- regularization ---


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


# --- parallel ---


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


# --- distillation ---


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


# --- worked example ---


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
    if isinstance(per_model, bool) or not isinstance(per_model, (int, np.integer)) or per_model < 1:
        raise ValueError(f"per_model must be a positive integer, got {per_model!r}")
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
