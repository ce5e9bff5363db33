"""Where a notebook's execution time goes: ``python tools/cell_times.py chapters/03_algorithms/distillation.ipynb ...``.

Executes each notebook named on the command line top to bottom in a fresh kernel (in its own
folder, as the book build does), times every code cell, and prints per notebook: the total of
its cells, the part spent in exercise solutions (the code cells between a ``{solution-start}``
and its ``{solution-end}``, found as :mod:`tools.student_edition` finds them), the exercise
count, and its slowest cells. ``--json FILE`` also writes every cell's time. The totals leave out
the kernel's start (a few seconds per notebook), which the book benchmark
(``python -m benchmarks --only book``) includes; use this to find what to make faster, and the
benchmark to judge a budget. A failing cell stops the notebook with its error, as in the build.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tools.*, when run as a script

from tools.student_edition import exercises, solution_cells  # noqa: E402


def time_cells(path: Path, timeout: int = 1800) -> list[dict]:
    """Execute ``path`` and return one ``{"cell", "seconds", "solution", "source"}`` per code cell, in order."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    in_solution = solution_cells(notebook.cells)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    rows = []
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            start = time.perf_counter()
            client.execute_cell(cell, index)
            rows.append({"cell": index, "seconds": time.perf_counter() - start, "solution": index in in_solution,
                         "source": cell.source.splitlines()[0] if cell.source else ""})
    return rows


def summary(path: Path, rows: list[dict], slowest: int = 8) -> str:
    """The lines printed for one notebook: totals, the solutions' share, the slowest cells."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    total = sum(r["seconds"] for r in rows)
    solutions = sum(r["seconds"] for r in rows if r["solution"])
    lines = [f"{path.name}: cells {total:.1f} s, of which exercise solutions {solutions:.1f} s "
             f"({len(exercises(notebook['cells']))} exercises)"]
    for r in sorted(rows, key=lambda r: -r["seconds"])[:slowest]:
        lines.append(f"  {r['seconds']:6.1f} s  cell {r['cell']:3d}{' (solution)' if r['solution'] else ''}: "
                     f"{r['source'][:70]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Time every notebook named in ``argv`` and print the summaries; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--json", type=Path, default=None, help="also write every cell's time to this file")
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.notebooks if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    everything, total, solutions = {}, 0.0, 0.0
    for path in args.notebooks:
        rows = time_cells(path.resolve())
        everything[path.stem] = rows
        total += sum(r["seconds"] for r in rows)
        solutions += sum(r["seconds"] for r in rows if r["solution"])
        print(summary(path, rows), flush=True)
    print(f"all {len(args.notebooks)} notebooks: cells {total:.1f} s, of which exercise solutions {solutions:.1f} s")
    if args.json:
        args.json.write_text(json.dumps(everything, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
