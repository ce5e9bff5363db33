"""Recorded sections of figures (median, interval, target, verdict): their tables, verdicts and the book's cost.

A *figure* is a dict ``{"value": median, "unit": ..., "n": runs}``; the benchmarks add
``"interval"`` (the interval of the median) with its ``"confidence"``, a ``"target"``
and a ``"verdict"`` (met, missed, undecided, or too noisy when the calibration race of
its section failed). A *section* is one benchmark's mapping of names to figures (and
its settings, which are not figures); ``recorded("latest")["results"]`` holds one per
benchmark. These functions turn them into what the book's Performance page shows.

Example::

    >>> from dltips.recordings import recorded, table
    >>> print(table(recorded("latest")["results"]["startup"]).splitlines()[0])
    | figure | median | interval | runs | target | verdict |
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dltips.tables import format_table

if TYPE_CHECKING:  # reading a recording needs no Matplotlib; only plot_book_cost imports it
    import matplotlib.figure

__all__ = [
    "CONFIDENCE",
    "closing_note",
    "interval_text",
    "is_calibration",
    "is_figure",
    "judged_figures",
    "label",
    "missed_targets",
    "plot_book_cost",
    "table",
    "verdict_text",
]

#: The confidence of an interval of a median unless a figure records another (fewer than six runs).
CONFIDENCE = 0.95
CLOCKS = {"cpu": "CPU time", "wall": "wall time", "end_to_end": "wall time, whole call"}
VERDICTS = {"met": "met", "missed": "**missed**", "undecided": "undecided", "too noisy": "too noisy to judge"}


def is_figure(entry: Any) -> bool:
    """Whether a recorded entry is a figure (it has a ``value`` and a ``unit``).

    Args:
        entry: one entry of a recording.

    Returns:
        ``True`` for a mapping with a ``value`` and a ``unit``.

    Example::

        >>> is_figure({"value": 1.2, "unit": "s", "n": 3}), is_figure({"examples_per_round": 4096})
        (True, False)
    """
    return isinstance(entry, dict) and "value" in entry and "unit" in entry


def is_calibration(fig: Any) -> bool:
    """Whether a figure is a calibration race: one path raced against itself, whose ratio must come out even.

    Args:
        fig: a recorded figure (see :func:`is_figure`).

    Returns:
        ``True`` when its ``role`` is ``"calibration"``.

    Example::

        >>> is_calibration({"value": 1.01, "unit": "ratio", "role": "calibration"})
        True
    """
    return isinstance(fig, dict) and fig.get("role") == "calibration"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def label(name: str, fig: dict[str, Any]) -> str:
    """A figure's name for a reader, with its clock spelled out.

    Args:
        name: the figure's key in its section.
        fig: the figure (its ``clock``, if any, names the clock).

    Returns:
        The name with spaces, ``models_ratio_cpu`` as ``models ratio (CPU time)``.

    Example::

        >>> label("models_ratio_cpu", {"value": 0.97, "unit": "ratio", "clock": "cpu"})
        'models ratio (CPU time)'
    """
    clock = fig.get("clock")
    if clock and name.endswith(f"_{clock}"):
        name = f"{name[: -len(clock) - 1]} ({CLOCKS.get(clock, clock)})"
    return name.replace("_", " ")


def interval_text(fig: dict[str, Any]) -> str:
    """The interval of a figure's median, ``lo to hi``, with its confidence when it is not :data:`CONFIDENCE`.

    Args:
        fig: a figure.

    Returns:
        The interval as text, or ``not recorded`` for a figure recorded without one.

    Example::

        >>> interval_text({"value": 20.0, "unit": "s", "interval": [19.0, 21.0], "confidence": 0.75})
        '19 to 21 (75%)'
        >>> interval_text({"value": 20.0, "unit": "s"})
        'not recorded'
    """
    if "interval" not in fig:
        return "not recorded"
    lo, hi = fig["interval"]
    confidence = fig.get("confidence", CONFIDENCE)
    note = "" if abs(confidence - CONFIDENCE) < 1e-9 else f" ({confidence:.0%})"
    return f"{_fmt(lo)} to {_fmt(hi)}{note}"


def verdict_text(fig: dict[str, Any]) -> str:
    """What a figure's interval says about its target (for a calibration race: whether the run can judge).

    Args:
        fig: a figure.

    Returns:
        ``met``, ``**missed**``, ``undecided`` or ``too noisy to judge``; for a
        calibration, whether its interval holds 1; empty for a figure without a target.

    Example::

        >>> verdict_text({"value": 0.9, "unit": "ratio", "verdict": "missed"})
        '**missed**'
        >>> verdict_text({"value": 0.2, "unit": "s"})
        ''
    """
    if is_calibration(fig):
        return "passed: holds 1" if fig["passed"] else "**failed**: too noisy to judge"
    return VERDICTS.get(fig["verdict"], fig["verdict"]) if "verdict" in fig else ""


def table(section: dict[str, Any]) -> str:
    """A Markdown table of every figure in a section: median, interval of the median, runs, target, verdict.

    Args:
        section: one section of a recording (entries that are not figures, such as
            its settings, are left out).

    Returns:
        The table in Markdown (display it with ``IPython.display.Markdown``).

    Example::

        >>> from dltips.recordings import recorded
        >>> startup = recorded("latest")["results"]["startup"]
        >>> print(table(startup).splitlines()[0])
        | figure | median | interval | runs | target | verdict |
    """
    rows = []
    for name, fig in section.items():
        if not is_figure(fig):
            continue
        target = "1 (same path)" if is_calibration(fig) else fig.get("target", "")
        rows.append([label(name, fig), f"{_fmt(fig['value'])} {fig['unit']}", interval_text(fig),
                     fig.get("n", 1), target, verdict_text(fig)])
    return format_table(rows, ["figure", "median", "interval", "runs", "target", "verdict"])


def plot_book_cost(book: dict[str, Any]) -> matplotlib.figure.Figure:
    """Bars: the time to execute each chapter against its budget, with the interval of the median where recorded.

    Args:
        book: the ``book`` section of a recording (``<chapter>_time`` figures whose
            target reads ``<= seconds s``).

    Returns:
        The Matplotlib figure.

    Example::

        >>> from dltips.recordings import recorded
        >>> fig = plot_book_cost(recorded("book"))
        >>> len(fig.axes[0].get_yticklabels()) >= 6
        True
    """
    import matplotlib.pyplot as plt

    names_ = sorted(k[: -len("_time")] for k in book if k.endswith("_time") and k != "book_execution_time")
    figs = [book[f"{n}_time"] for n in names_]
    times = [f["value"] for f in figs]
    budgets = [float(f["target"].split()[1]) for f in figs]
    fig, ax = plt.subplots(figsize=(7, 3))
    y = range(len(names_))
    ax.barh(y, budgets, color="0.85", label="budget")
    errors = None
    if all("interval" in f for f in figs):
        errors = [[t - f["interval"][0] for t, f in zip(times, figs)], [f["interval"][1] - t for t, f in zip(times, figs)]]
    ax.barh(y, times, color="tab:blue", height=0.5, label="measured (median)", xerr=errors, capsize=3)
    ax.set(yticks=list(y), yticklabels=names_, xlabel="seconds to execute on the 2-core machine")
    ax.invert_yaxis()
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def _section_figures(section_name: str, section: dict[str, Any]) -> dict[str, Any]:
    """Every figure of a section, the parallel section's speed-ups and calibration included."""
    if section_name == "parallel":
        figures = {f"speedup {model}": fig for model, fig in section.get("speedup_figures", {}).items()}
        if "calibration" in section:
            figures["calibration"] = section["calibration"]
        return figures
    return {k: v for k, v in section.items() if is_figure(v)}


def judged_figures(recording: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every figure with a target or a calibration role, in recorded order.

    Args:
        recording: a full run (``recorded("latest")``: its ``results`` hold the sections).

    Returns:
        ``(section, name, figure)`` triples.

    Example::

        >>> timed = {"value": 41.0, "unit": "s", "target": "<= 120 s", "verdict": "met"}
        >>> untargeted = {"value": 0.2, "unit": "s"}
        >>> judged_figures({"results": {"book": {"01_background_time": timed, "load": untargeted}}})
        [('book', '01_background_time', {'value': 41.0, 'unit': 's', 'target': '<= 120 s', 'verdict': 'met'})]
    """
    out = []
    for section_name, section in recording["results"].items():
        for name, fig in _section_figures(section_name, section).items():
            if is_calibration(fig) or "target" in fig:
                out.append((section_name, name, fig))
    return out


def missed_targets(recording: dict[str, Any]) -> list[str]:
    """Every target whose interval lies entirely on the wrong side of it.

    Args:
        recording: a full run (``recorded("latest")``).

    Returns:
        One line per missed target, empty when none was missed.

    Example::

        >>> missed_targets({"results": {"startup": {"import_dltips": {
        ...     "value": 3.2, "unit": "s", "target": "<= 2 s", "verdict": "missed"}}}})
        ['startup: import dltips = 3.2 s (target <= 2 s)']
    """
    missed = []
    for section_name, name, fig in judged_figures(recording):
        if fig.get("verdict") == "missed":
            missed.append(f"{section_name}: {label(name, fig)} = {_fmt(fig['value'])} {fig['unit']} (target {fig['target']})")
    return missed


def closing_note(recording: dict[str, Any]) -> str:
    """Each calibration and each judged ratio with its interval and verdict, then a count of all verdicts.

    Chapter times and memory are only counted (their table is on the page); ratios and
    calibrations are listed one per line.

    Args:
        recording: a full run (``recorded("latest")``).

    Returns:
        The note, one item per line, ending with ``targets: <count> <verdict>, ...``.

    Example::

        >>> from dltips.recordings import recorded
        >>> closing_note(recorded("latest")).splitlines()[-1].startswith("targets: ")
        True
    """
    lines, counts = [], {}
    for section_name, name, fig in judged_figures(recording):
        lo, hi = fig["interval"]
        text = f"{section_name}: {label(name, fig)} = {fig['value']:.3f} [{lo:.3f}, {hi:.3f}]"
        if is_calibration(fig):
            lines.append(f"{text}, calibration {'passed' if fig['passed'] else 'FAILED: too noisy to judge'}"
                         f" ({fig['n']} rounds; 5 % needs about {fig['rounds_for_5_percent']})")
            continue
        counts[fig["verdict"]] = counts.get(fig["verdict"], 0) + 1
        if fig["unit"] == "ratio":
            lines.append(f"{text}, target {fig['target']}: {fig['verdict']}")
    summary = ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "nothing judged"
    return "\n".join([*lines, f"targets: {summary}"])
