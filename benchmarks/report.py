"""Turn a recorded ``latest.json`` into the tables and figure of the book's Performance page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


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


def table(section: dict[str, Any]) -> str:
    """A Markdown table of every figure in a section: median, spread, repeats, target, met."""
    rows = ["| figure | median | spread (min to max) | runs | target | met |", "|---|---|---|---|---|---|"]
    for name, fig in section.items():
        if not is_figure(fig):
            continue
        lo, hi = fig.get("spread", [fig["value"], fig["value"]])
        met = {True: "yes", False: "**no**"}.get(fig.get("met"), "")
        rows.append(
            f"| {name.replace('_', ' ')} | {_fmt(fig['value'])} {fig['unit']} | {_fmt(lo)} to {_fmt(hi)} | "
            f"{fig.get('n', 1)} | {fig.get('target', '')} | {met} |"
        )
    return "\n".join(rows)


def plot_book_cost(book: dict[str, Any]) -> Figure:
    """Execution time of each chapter against its budget."""
    names = sorted(k[: -len("_time")] for k in book if k.endswith("_time") and k != "book_execution_time")
    times = [book[f"{n}_time"]["value"] for n in names]
    budgets = [float(book[f"{n}_time"]["target"].split()[1]) for n in names]
    fig, ax = plt.subplots(figsize=(7, 3))
    y = range(len(names))
    ax.barh(y, budgets, color="0.85", label="budget")
    ax.barh(y, times, color="tab:blue", height=0.5, label="measured")
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
    """The from-scratch loop's benchmark (its own format) as figures, so :func:`table` shows it."""
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
    """Measured throughput of 1 and 2 single-thread synchronous workers, and the speed-up."""
    rows = ["| model | parameters | workers | examples/s | speed-up over 1 worker |", "|---|---|---|---|---|"]
    by_model: dict[str, dict[int, float]] = {}
    for r in section["results"]:
        by_model.setdefault(r["model"], {})[r["num_workers"]] = r["examples_per_second"]
        one = by_model[r["model"]].get(1)
        speedup = f"{r['examples_per_second'] / one:.2f}×" if one else ""
        rows.append(f"| {r['model']} | {r['parameters']:,} | {r['num_workers']} | {r['examples_per_second']:,.0f} | {speedup} |")
    return "\n".join(rows)


def distillation_table(section: dict[str, Any]) -> str:
    """Teacher and students: errors out of 10,000, parameters, saved size, inference time."""
    rows = ["| model | test errors (of 10,000) | parameters | saved size | inference, 10,000 images |", "|---|---|---|---|---|"]
    order = ("teacher", "scratch", "pseudo_label", "distilled")  # the JSON file stores keys sorted
    reports = section["reports"]
    for r in [reports[k] for k in order if k in reports] + [v for k, v in reports.items() if k not in order]:
        rows.append(
            f"| {r['name']} | {r['errors']} | {r['params']:,} | {r['saved_bytes'] / 2**20:.2f} MiB | "
            f"{1000 * r['inference_seconds']:.1f} ms |"
        )
    return "\n".join(rows)


def missed_targets(recorded: dict[str, Any]) -> list[str]:
    """Every figure in the report that has a target and missed it, as ``section: figure (value, target)``."""
    missed = []
    for section_name, section in recorded["results"].items():
        figures = descent_figures(section) if section_name == "descent" else section
        for name, fig in figures.items():
            if is_figure(fig) and fig.get("met") is False:
                missed.append(f"{section_name}: {name} = {_fmt(fig['value'])} {fig['unit']} (target {fig['target']})")
        if section_name == "parallel" and not section.get("target_met", True):
            missed.append(f"parallel: {section['target']} (measured {section['speedup_2_workers']})")
    return missed
