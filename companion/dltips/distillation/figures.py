"""The figures of knowledge distillation: soft targets, T², temperature sweeps, the paper-sized run, the omitted digit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from dltips.checks import check_numbers

__all__ = [
    "plot_bias_shift",
    "plot_gradient_scale",
    "plot_soft_targets",
    "plot_student_errors",
    "plot_temperature_sweep",
]


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
        ValueError: empty logits, or temperatures that are not finite numbers > 0.

    Example::

        >>> ax = plot_soft_targets([5.0, 2.0, 0.0], temperatures=(1, 4))
    """
    temperatures = check_numbers("temperatures", temperatures, low=0.0, low_open=True)
    z = np.asarray(logits, dtype=np.float64).ravel()
    if z.size == 0:
        raise ValueError("logits must hold at least one value")
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
        ValueError: the three sequences differ in length or are empty, or a
            temperature is not a finite number > 0 (the axes are logarithmic).

    Example::

        >>> ax = plot_gradient_scale([1, 4], [0.3, 0.3], [0.3, 0.02])
    """
    temperatures = check_numbers("temperatures", temperatures, low=0.0, low_open=True)
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
    label: str = "distilled student",
    ylabel: str | None = None,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Test errors (out of 10,000) of the distilled student against the temperature, with baselines as lines.

    Call it again with the same ``ax`` (and another ``label``) to add a second sweep.

    Args:
        sweep: errors of the distilled student for each temperature.
        baselines: other models' errors (for example the teacher and the scratch
            student), drawn as labelled horizontal lines.
        label: the sweep's name in the legend.
        ylabel: the vertical axis's label (default: test errors out of 10,000; a second
            sweep on the same axes keeps the first one's label unless given).

    Raises:
        ValueError: an empty sweep, or a temperature that is not a finite number > 0.

    Example::

        >>> ax = plot_temperature_sweep({1: 180, 4: 150}, baselines={"teacher": 120})
    """
    if not sweep:
        raise ValueError("sweep must hold at least one temperature")
    temperatures = sorted(check_numbers("sweep (its temperatures)", list(sweep), low=0.0, low_open=True))
    sweep = {float(t): errors for t, errors in sweep.items()}
    first = ax is None or not ax.lines
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(temperatures, [sweep[t] for t in temperatures], "o-", color="black" if first else None, label=label)
    for i, (name, errors) in enumerate((baselines or {}).items()):
        ax.axhline(errors, linestyle="--", color=f"C{i}", label=f"{name} ({errors})")
    ax.set_xscale("log")
    ax.set_xticks(temperatures, [f"{t:g}" for t in temperatures])
    ax.minorticks_off()
    ax.set_xlabel("temperature T")
    if ylabel is not None or first:
        ax.set_ylabel(ylabel or "test errors (out of 10,000)")
    ax.set_title("Distilled student: test errors against temperature")
    ax.legend(fontsize=8)
    return ax


def plot_student_errors(
    teacher_errors: float,
    students: Mapping[str, Mapping[str, Sequence[float]]],
    *,
    paper: Mapping[str, float] | None = None,
    paper_student: str | None = None,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Test errors of each student from scratch and distilled (bars: mean over seeds; dots: each seed).

    The teacher is a dashed line. ``paper`` (the paper's ``teacher``, ``scratch`` and
    ``distilled`` errors) adds the paper's teacher as a dotted line and its two students
    as crosses on the bars of ``paper_student`` (default: the first student).

    Args:
        teacher_errors: the teacher's test errors.
        students: student name → ``{"scratch": errors per seed, "distilled": errors per seed}``.
        paper: the paper's errors, or ``None``.
        paper_student: which student the paper's errors belong beside.

    Raises:
        ValueError: no students, or a student without both kinds of errors.
    """
    if not students:
        raise ValueError("students must name at least one student")
    for name, runs in students.items():
        if not runs.get("scratch") or not runs.get("distilled"):
            raise ValueError(f"student {name!r} needs errors for both 'scratch' and 'distilled'")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.8), layout="constrained")
    width = 0.38
    beside = paper_student if paper_student is not None else next(iter(students))
    for i, (name, runs) in enumerate(students.items()):
        for j, kind in enumerate(("scratch", "distilled")):
            values = np.asarray(runs[kind], dtype=float)
            x = i + (j - 0.5) * width
            ax.bar(x, values.mean(), width * 0.9, color=f"C{j}", alpha=0.8, label=kind if i == 0 else None)
            ax.plot(np.full(values.size, x), values, "o", color="black", markersize=4,
                    label="one seed" if i == 0 and j == 0 else None)
            if paper is not None and name == beside:
                ax.plot(x, paper[kind], "X", color="tab:red", markersize=9,
                        label="the paper" if j == 0 else None)
    ax.axhline(teacher_errors, color="black", linestyle="--", label=f"teacher ({teacher_errors:g})")
    if paper is not None:
        ax.axhline(paper["teacher"], color="tab:red", linestyle=":", label=f"the paper's teacher ({paper['teacher']:g})")
    ax.set_xticks(range(len(students)), list(students))
    ax.set_ylabel("test errors (out of 10,000)")
    ax.set_ylim(0, None)
    ax.set_title("Students from scratch and distilled, beside their teacher")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def plot_bias_shift(
    validation_errors: Mapping[float, int],
    chosen: float,
    *,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Validation errors against the shift added to one class's bias, with the chosen shift marked.

    Raises:
        ValueError: no shifts, or ``chosen`` is not one of them.
    """
    if not validation_errors:
        raise ValueError("validation_errors must hold at least one shift")
    if chosen not in validation_errors:
        raise ValueError(f"chosen must be one of the shifts tried, got {chosen!r}")
    shifts = sorted(validation_errors)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
    ax.plot(shifts, [validation_errors[s] for s in shifts], ".-", color="black")
    ax.plot([chosen], [validation_errors[chosen]], "o", color="tab:red", markersize=9,
            label=f"chosen: +{chosen:g} ({validation_errors[chosen]} errors)")
    ax.set_xlabel("shift added to the omitted class's bias")
    ax.set_ylabel("validation errors")
    ax.set_title("Choosing the bias shift on held-out images")
    ax.legend()
    return ax

