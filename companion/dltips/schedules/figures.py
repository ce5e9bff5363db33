"""The figures of learning-rate schedules: the rates over the steps, and the runs they drive."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from dltips.checks import check_int

__all__ = ["plot_learning_rates", "plot_schedule_runs"]


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
        ValueError: no curves, or ``steps_per_epoch`` not an integer >= 1.

    Example::

        >>> from dltips import schedules
        >>> ax = plot_learning_rates({"cosine": schedules.learning_rates(schedules.cosine_decay(0.1, total_steps=100), 120)})
    """
    if not curves:
        raise ValueError("curves must hold at least one schedule")
    if steps_per_epoch is not None:
        check_int("steps_per_epoch", steps_per_epoch)
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
        ValueError: no runs, the two mappings name different runs, or
            ``steps_per_epoch`` not an integer >= 1.

    Example::

        >>> fig = plot_schedule_runs({"constant": [0.1] * 20}, {"constant": [0.9, 0.5]}, steps_per_epoch=10)
    """
    if not step_rates:
        raise ValueError("step_rates must hold at least one run")
    if steps_per_epoch is not None:
        check_int("steps_per_epoch", steps_per_epoch)
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
