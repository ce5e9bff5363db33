"""The figures of knowledge distillation: the method, soft targets, T², temperature sweeps, the paper run, the omitted digit.

Plain Matplotlib, without TensorFlow: each function draws numbers it is given. Default
temperatures: :func:`draw_distillation` shows the chapter's ``T = 4``; :func:`plot_soft_targets`
compares ``T = 1`` (the plain softmax), the chapter's 4 and the paper's 20.

Example::

    >>> ax = plot_temperature_sweep({1: 180, 4: 150, 20: 170})
    >>> [int(v) for v in ax.lines[0].get_ydata()]
    [180, 150, 170]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from dltips.checks import check_number, check_numbers

__all__ = [
    "EXAMPLE_LOGITS",
    "draw_distillation",
    "plot_bias_shift",
    "plot_gradient_scale",
    "plot_soft_targets",
    "plot_student_errors",
    "plot_temperature_sweep",
]

#: Made-up logits of a teacher for one image of a 7 (classes 0 to 9): confident, with 2 and 9 as runners-up.
EXAMPLE_LOGITS = (1.0, 0.5, 4.0, 2.5, -1.0, 0.0, -2.0, 9.0, 1.5, 3.5)


def draw_distillation(
    logits: Sequence[float] | np.ndarray = EXAMPLE_LOGITS,
    temperature: float = 4.0,
    alpha: float = 0.1,
) -> plt.Figure:
    """The method at a glance: the teacher, its soft targets at ``T = 1`` and at ``temperature``, and the student.

    One image goes to both networks. The frozen teacher's logits ``z`` give the soft
    targets ``p(T) = softmax(z / T)``, drawn as bars at ``T = 1`` and at the higher
    ``temperature`` (the inset). The student is trained on the weighted sum of the
    two losses, with ``q(T) = softmax(v / T)`` for its logits ``v``::

        L = alpha · CE(y, q(1)) + (1 − alpha) · T² · KL(p(T) ‖ q(T))

    Args:
        logits: the teacher's logits for one image (at least two classes).
        temperature: the higher temperature, ``T > 1``.
        alpha: the weight of the hard-label loss, in ``[0, 1]``.

    Returns:
        A figure with one axes, the diagram (its boxes are texts with a ``bbox``, its
        arrows :class:`~matplotlib.text.Annotation` objects), whose inset
        (``fig.axes[0].child_axes[0]``) holds the soft targets: one group of bars
        per temperature, each summing to 1.

    Raises:
        ValueError: fewer than two logits, a logit that is not a finite number, a
            ``temperature`` not > 1, or ``alpha`` outside ``[0, 1]``.

    Example::

        >>> fig = draw_distillation([3.0, 1.0, 0.0], temperature=4.0)
        >>> bars = fig.axes[0].child_axes[0]
        >>> len(bars.patches)  # 3 classes at T = 1 and at T = 4
        6
    """
    z = np.asarray(check_numbers("logits", logits), dtype=np.float64)
    if z.size < 2:
        raise ValueError(f"logits must hold at least two classes, got {list(z)}")
    temperature = check_number("temperature", temperature, low=1.0, low_open=True)
    alpha = check_number("alpha", alpha, low=0.0, high=1.0, high_open=False)
    fig, ax = plt.subplots(figsize=(10, 4.6))
    ax.set(xlim=(0, 12), ylim=(0, 6))
    ax.axis("off")

    def box(x: float, y: float, text: str, color: str) -> None:
        ax.text(x, y, text, ha="center", va="center", fontsize=10,
                bbox={"boxstyle": "round,pad=0.5", "facecolor": color, "edgecolor": "black"})

    def arrow(start: tuple[float, float], end: tuple[float, float], label: str = "", **style: object) -> None:
        ax.annotate("", xy=end, xytext=start,
                    arrowprops={"arrowstyle": "->", "lw": 1.4, "color": "black", **style})
        if label:
            ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 0.25, label,
                    ha="center", va="bottom", fontsize=9)

    box(1.0, 3.0, "one image x", "white")
    box(3.6, 4.7, "teacher\n(large, trained,\nfrozen)", "lightsteelblue")
    box(3.6, 1.4, "student\n(small)", "navajowhite")
    box(7.0, 2.4, "true label y", "white")
    loss = (f"$L = {alpha:g}\\,\\mathrm{{CE}}(y, q(1))$\n"
            f"$+\\;{1 - alpha:g} \\cdot {temperature:g}^2\\,\\mathrm{{KL}}(p(T) \\,\\|\\, q(T))$")
    box(10.3, 2.4, loss, "lightyellow")
    arrow((1.7, 3.3), (2.7, 4.3))
    arrow((1.7, 2.7), (2.8, 1.7))
    arrow((4.6, 4.7), (5.7, 4.7), "logits z")
    arrow((9.4, 4.3), (10.3, 3.05), "p(T)")
    arrow((4.3, 1.4), (9.3, 1.95))
    ax.text(6.8, 1.3, "logits v: q(T), q(1)", ha="center", va="top", fontsize=9)
    arrow((7.8, 2.4), (9.1, 2.4))
    arrow((10.3, 1.8), (3.6, 0.75), "", linestyle="--", connectionstyle="arc3,rad=-0.2")
    ax.text(7.2, 0.2, "the gradient of L updates the student only", ha="center", fontsize=9, style="italic")

    bars = ax.inset_axes((6.3, 3.5, 3.1, 2.3), transform=ax.transData)
    classes = np.arange(z.size)
    for i, t in enumerate((1.0, temperature)):
        p = np.exp((z - z.max()) / t)
        bars.bar(classes + (i - 0.5) * 0.4, p / p.sum(), 0.4, color=f"C{i + 2}", label=f"T = {t:g}")
    bars.set_xticks(classes)
    bars.tick_params(labelsize=7)
    bars.set_ylim(0, 1)
    bars.set_title("soft targets p(T) = softmax(z / T)", fontsize=9)
    bars.set_xlabel("class", fontsize=8)
    bars.legend(fontsize=7)
    fig.suptitle(f"Knowledge distillation: a small student learns from a teacher's soft targets at T = {temperature:g}")
    return fig


def plot_soft_targets(
    logits: Sequence[float] | np.ndarray,
    temperatures: Sequence[float] = (1.0, 4.0, 20.0),
    *,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Bars of ``softmax(logits / T)`` for each class, one group of bars per temperature.

    Shows what a temperature does: at ``T = 1`` almost all the mass sits on the top
    class; higher temperatures reveal how the other classes rank (the "dark knowledge").

    Args:
        logits: one image's logits, one per class.
        temperatures: the temperatures to draw, each > 0: 1 (the plain softmax), the
            chapter's 4 and the paper's 20 by default.
        ax: the axes to draw on, or ``None`` for a new figure.

    Returns:
        The axes.

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

    Args:
        temperatures: the temperatures, each > 0.
        with_t_squared, without_t_squared: the gradient norms at each temperature
            (:func:`~dltips.distillation.soft_loss_gradient_norm`).
        ax: the axes to draw on, or ``None`` for a new figure.

    Returns:
        The axes.

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
        ax: the axes to draw on, or ``None`` for a new figure.

    Returns:
        The axes.

    Raises:
        ValueError: no students, or a student without both kinds of errors.

    Example::

        >>> ax = plot_student_errors(80, {"2×800": {"scratch": [140, 136], "distilled": [96, 92]}},
        ...                          paper={"teacher": 67, "scratch": 146, "distilled": 74})
        >>> len(ax.patches)  # one bar each for scratch and distilled
        2
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

    Args:
        validation_errors: errors on the validation images for each shift tried
            (:func:`~dltips.distillation.choose_bias_shift`).
        chosen: the shift chosen, one of them.
        ax: the axes to draw on, or ``None`` for a new figure.

    Returns:
        The axes.

    Raises:
        ValueError: no shifts, or ``chosen`` is not one of them.

    Example::

        >>> ax = plot_bias_shift({0.0: 30, 1.0: 12, 2.0: 15}, chosen=1.0)
        >>> ax.get_legend().get_texts()[0].get_text()
        'chosen: +1 (12 errors)'
    """
    if not validation_errors:
        raise ValueError("validation_errors must hold at least one shift")
    if chosen not in validation_errors:
        raise ValueError(f"chosen must be a shift that was tried, got {chosen!r}")
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

