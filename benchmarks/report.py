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
