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


# --- schedules ---

from collections.abc import Mapping  # noqa: E402  (each technique's block keeps its own imports)

from matplotlib.axes import Axes  # noqa: E402


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
