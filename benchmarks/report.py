"""Turn a recorded ``latest.json`` into the tables, figure and closing note of the book's Performance page.

Figures recorded with intervals (see :mod:`benchmarks.stats`) show the median, the interval of
the median and its confidence, the number of rounds or runs, the target and the verdict (met,
missed, undecided, or too noisy when the section's calibration race failed). Figures recorded
before intervals existed show their median and say that they were not judged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from benchmarks.stats import CONFIDENCE, is_calibration

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
CLOCKS = {"cpu": "CPU time", "wall": "wall time", "end_to_end": "wall time, whole call"}
VERDICTS = {"met": "met", "missed": "**missed**", "undecided": "undecided", "too noisy": "too noisy to judge"}


def load(path: str | Path = RESULTS) -> dict[str, Any]:
    """The recorded benchmark report (raises FileNotFoundError naming the command that makes it)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: run `make bench` (python -m benchmarks) first")
    return json.loads(path.read_text())


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def is_figure(entry: Any) -> bool:
    return isinstance(entry, dict) and "value" in entry and "unit" in entry


def label(name: str, fig: dict[str, Any]) -> str:
    """A figure's name for a reader: ``models_ratio_cpu`` becomes ``models ratio (CPU time)``."""
    clock = fig.get("clock")
    if clock and name.endswith(f"_{clock}"):
        name = f"{name[: -len(clock) - 1]} ({CLOCKS.get(clock, clock)})"
    return name.replace("_", " ")


def interval_text(fig: dict[str, Any]) -> str:
    """``lo to hi``, with the confidence when it is not 95 %; a dash for a figure recorded without one."""
    if "interval" not in fig:
        return "not recorded"
    lo, hi = fig["interval"]
    confidence = fig.get("confidence", CONFIDENCE)
    note = "" if abs(confidence - CONFIDENCE) < 1e-9 else f" ({confidence:.0%})"
    return f"{_fmt(lo)} to {_fmt(hi)}{note}"


def verdict_text(fig: dict[str, Any]) -> str:
    """What the figure's interval says about its target (or, for a calibration, whether the run can judge)."""
    if is_calibration(fig):
        return "passed: holds 1" if fig["passed"] else "**failed**: too noisy to judge"
    if "verdict" in fig:
        return VERDICTS.get(fig["verdict"], fig["verdict"])
    if "met" in fig:  # recorded before intervals: the median alone cannot decide
        return f"not judged (median {'met' if fig['met'] else 'missed'})"
    return ""


def table(section: dict[str, Any]) -> str:
    """A Markdown table of every figure in a section: median, interval of the median, runs, target, verdict."""
    rows = ["| figure | median | interval | runs | target | verdict |", "|---|---|---|---|---|---|"]
    for name, fig in section.items():
        if not is_figure(fig):
            continue
        target = "1 (same path)" if is_calibration(fig) else fig.get("target", "")
        rows.append(
            f"| {label(name, fig)} | {_fmt(fig['value'])} {fig['unit']} | {interval_text(fig)} | "
            f"{fig.get('n', 1)} | {target} | {verdict_text(fig)} |"
        )
    return "\n".join(rows)


def plot_book_cost(book: dict[str, Any]) -> Figure:
    """Execution time of each chapter against its budget, with the interval of the median where recorded."""
    names = sorted(k[: -len("_time")] for k in book if k.endswith("_time") and k != "book_execution_time")
    figs = [book[f"{n}_time"] for n in names]
    times = [f["value"] for f in figs]
    budgets = [float(f["target"].split()[1]) for f in figs]
    fig, ax = plt.subplots(figsize=(7, 3))
    y = range(len(names))
    ax.barh(y, budgets, color="0.85", label="budget")
    errors = None
    if all("interval" in f for f in figs):
        errors = [[t - f["interval"][0] for t, f in zip(times, figs)], [f["interval"][1] - t for t, f in zip(times, figs)]]
    ax.barh(y, times, color="tab:blue", height=0.5, label="measured (median)", xerr=errors, capsize=3)
    ax.set(yticks=list(y), yticklabels=names, xlabel="seconds to execute on the 2-core machine")
    ax.invert_yaxis()
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def describe_machine(recorded: dict[str, Any]) -> str:
    """One line: when, on what, with which versions the figures were recorded."""
    m = recorded["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
    return f"Recorded {m['date'][:10]} on {m['cores']} cores of {m['cpu']} ({m['memory_gib']} GiB), Python {m['python']}; {versions}."


def descent_figures(section: dict[str, Any]) -> dict[str, Any]:
    """The from-scratch loop's figures, so :func:`table` shows them (older recordings are converted)."""
    if "ratio_per_round" not in section:
        return {k: v for k, v in section.items() if is_figure(v)}

    def fig(summary: dict[str, Any], unit: str) -> dict[str, Any]:
        return {"value": summary["median"], "unit": unit, "spread": [summary["min"], summary["max"]], "n": len(summary["runs"])}

    ratio = fig(section["ratio_per_round"], "ratio")
    ratio.update(value=section["ratio"], target=f">= {section['target_ratio']:g} ratio", met=section["ratio"] >= section["target_ratio"])
    return {
        "descent_dltips": fig(section["ours_examples_per_second"], "examples/s"),
        "descent_keras_fit": fig(section["fit_examples_per_second"], "examples/s"),
        "descent_ratio": ratio,
    }


def parallel_table(section: dict[str, Any]) -> str:
    """Measured throughput of 1 and 2 single-thread synchronous workers, and the speed-up with its interval."""
    rows = ["| model | parameters | workers | examples/s (median) | runs | speed-up over 1 worker | interval |",
            "|---|---|---|---|---|---|---|"]
    speedups = section.get("speedup_figures", {})
    for r in section["results"]:
        speedup = interval = ""
        if r["num_workers"] != 1:
            fig = speedups.get(r["model"], {"value": section["speedup_2_workers"][r["model"]]})
            speedup, interval = f"{fig['value']:.2f}×", interval_text(fig)
        rows.append(f"| {r['model']} | {r['parameters']:,} | {r['num_workers']} | {r['examples_per_second']:,.0f} | "
                    f"{r.get('rounds', 1)} | {speedup} | {interval} |")
    return "\n".join(rows)


def is_paper_distillation(section: dict[str, Any]) -> bool:
    """Whether a distillation recording is the paper-sized run (``python -m benchmarks.bench_distillation``).

    Older recordings (and ``--sweep``'s) hold one row per model under ``reports``.
    """
    return "students" in section and "teacher" in section


def distillation_table(section: dict[str, Any]) -> str:
    """The recorded distillation run as a Markdown table.

    The paper-sized recording: the teacher and both students (from scratch and distilled),
    test errors out of 10,000 beside Hinton et al.'s, mean ± standard deviation and each
    seed's errors, and the share of the scratch-to-teacher gap each distilled student
    recovers (:meth:`dltips.distillation.PaperDistillationResult.rows`). An older
    recording: one row per model with errors, parameters, saved size and inference time.
    """
    if is_paper_distillation(section):
        from dltips.distillation import PaperDistillationResult
        from dltips.tables import format_table

        return format_table(PaperDistillationResult.from_dict(section).rows())
    rows = ["| model | test errors (of 10,000) | parameters | saved size | inference, 10,000 images |", "|---|---|---|---|---|"]
    order = ("teacher", "scratch", "pseudo_label", "distilled")  # the JSON file stores keys sorted
    reports = section["reports"]
    for r in [reports[k] for k in order if k in reports] + [v for k, v in reports.items() if k not in order]:
        rows.append(
            f"| {r['name']} | {r['errors']} | {r['params']:,} | {r['saved_bytes'] / 2**20:.2f} MiB | "
            f"{1000 * r['inference_seconds']:.1f} ms |"
        )
    return "\n".join(rows)


def distillation_summary(section: dict[str, Any]) -> str:
    """One line under the distillation table: the compression student's size and speed, the run's time and command."""
    if not is_paper_distillation(section):
        return (f"student/teacher parameters: 1/{1 / section['param_ratio']:.0f}; "
                f"inference speed-up: {section['speedup']:.1f}x")
    ratio, run = section["compression"], section.get("run", {})
    chosen = section["chosen"]
    line = (f"compression student: 1/{1 / ratio['param_ratio']:.0f} of the teacher's parameters, "
            f"{ratio['speedup']:.1f}x faster inference; its T = {chosen['temperature']:g} and "
            f"alpha = {chosen['alpha']:g} chosen on validation images")
    if run:
        line += (f"; recorded with `{run['command']}` in {run['wall_seconds'] / 60:.0f} min wall "
                 f"({run['cpu_seconds'] / 60:.0f} min CPU, {run['machine']})")
    return line


def plot_distillation(section: dict[str, Any]) -> Figure:
    """The paper-sized recording as a figure: each student from scratch and distilled, per seed, beside the teacher and the paper."""
    from dltips.distillation import PAPER_ERRORS, PaperDistillationResult, plot_student_errors

    result = PaperDistillationResult.from_dict(section)
    students = {s.name.replace(" (", "\n("): {"scratch": list(s.scratch.values()), "distilled": list(s.distilled.values())}
                for s in result.students.values()}
    return plot_student_errors(result.teacher_errors, students, paper=PAPER_ERRORS).figure


def _section_figures(section_name: str, section: dict[str, Any]) -> dict[str, Any]:
    """Every figure of a section, the parallel section's speed-ups and calibration included."""
    if section_name == "descent":
        return descent_figures(section)
    if section_name == "parallel":
        figures = {f"speedup {model}": fig for model, fig in section.get("speedup_figures", {}).items()}
        if "calibration" in section:
            figures["calibration"] = section["calibration"]
        return figures
    return {k: v for k, v in section.items() if is_figure(v)}


def judged_figures(recorded: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """``(section, name, figure)`` for every figure with a target or a calibration role, in recorded order."""
    out = []
    for section_name, section in recorded["results"].items():
        for name, fig in _section_figures(section_name, section).items():
            if is_calibration(fig) or "target" in fig:
                out.append((section_name, name, fig))
    return out


def missed_targets(recorded: dict[str, Any]) -> list[str]:
    """Every target whose interval lies entirely on the wrong side (or, in older recordings, whose median missed)."""
    missed = []
    for section_name, name, fig in judged_figures(recorded):
        if fig.get("verdict") == "missed" or fig.get("met") is False:
            missed.append(f"{section_name}: {label(name, fig)} = {_fmt(fig['value'])} {fig['unit']} (target {fig['target']})")
    parallel = recorded["results"].get("parallel", {})
    if "verdict" not in parallel and not parallel.get("target_met", True):
        missed.append(f"parallel: {parallel['target']} (measured {parallel['speedup_2_workers']})")
    return missed


def closing_note(recorded: dict[str, Any]) -> str:
    """Each calibration and each judged ratio with its interval and verdict, then a count of the verdicts.

    Chapter times and memory are summed up in the count (their table is above); ratios and
    calibrations are listed one per line.
    """
    lines, counts = [], {}
    for section_name, name, fig in judged_figures(recorded):
        if "interval" not in fig:
            counts["not judged"] = counts.get("not judged", 0) + 1
            if fig["unit"] == "ratio":
                lines.append(f"{section_name}: {label(name, fig)} = {_fmt(fig['value'])}, recorded without an interval: "
                             "not judged (run `make bench` again)")
            continue
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
