"""The student edition of the book: every exercise, no solution.

``python tools/student_edition.py OUT`` (or ``make student``) copies the book's sources
(``_config.yml``, ``_toc.yml``, ``chapters/``) to the folder ``OUT`` with every solution
removed from the chapter notebooks: the cells from a ``{solution-start}`` to its
``{solution-end}`` (the code of a worked solution included), and every Markdown cell that
holds a ``{solution}`` directive. The exercises, their labels and numbers stay. Hand out the
notebooks of ``OUT/chapters``, or build the edition as a book::

    python tools/student_edition.py _build/student-edition
    jupyter-book build _build/student-edition

Exercises are written with the ``sphinx-exercise`` directives (see the README): an
``exercise`` with a ``:label:``, then its solution, either one Markdown cell
``:::{solution} <label>`` or, when it runs code, a ``:::{solution-start} <label>`` cell,
the code cells, and a ``:::{solution-end}`` cell.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXERCISE = re.compile(r"^:{3,}\{exercise(?:-start)?\}.*?\n:label: *(?P<label>[\w-]+)", re.M)
SOLUTION = re.compile(r"^:{3,}\{solution(?:-start)?\} *(?P<label>[\w-]+)", re.M)


def _text(cell: dict) -> str:
    return "".join(cell["source"])


def solution_cells(cells: list[dict]) -> set[int]:
    """Indices of the cells that belong to a solution (gated ranges included, both ends)."""
    inside, found = False, set()
    for i, cell in enumerate(cells):
        text = _text(cell) if cell["cell_type"] == "markdown" else ""
        if "{solution-start}" in text:
            inside = True
        if inside or (cell["cell_type"] == "markdown" and SOLUTION.search(text)):
            found.add(i)
        if "{solution-end}" in text:
            if not inside:
                raise ValueError(f"cell {i}: a solution-end without a solution-start")
            inside = False
    if inside:
        raise ValueError("a solution-start without a solution-end")
    return found


def exercises(cells: list[dict]) -> list[str]:
    """The labels of the exercises, in order."""
    return [m["label"] for cell in cells if cell["cell_type"] == "markdown" for m in EXERCISE.finditer(_text(cell))]


def solutions(cells: list[dict]) -> list[str]:
    """The labels the solutions answer, in order."""
    return [m["label"] for cell in cells if cell["cell_type"] == "markdown" for m in SOLUTION.finditer(_text(cell))]


def strip(notebook: dict) -> dict:
    """A copy of ``notebook`` without its solutions."""
    drop = solution_cells(notebook["cells"])
    kept = [cell for i, cell in enumerate(notebook["cells"]) if i not in drop]
    return {**notebook, "cells": kept}


def export(out: Path) -> list[Path]:
    """Write the student edition to ``out`` (replaced if it exists); returns the notebooks written."""
    out = Path(out)
    if out.resolve() == ROOT.resolve() or ROOT.resolve().is_relative_to(out.resolve()):
        raise ValueError(f"refusing to write the student edition over the book itself: {out}")
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(ROOT / "chapters", out / "chapters")
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(ROOT / name, out / name)
    written = []
    for path in sorted((out / "chapters").rglob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps(strip(notebook), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Export the student edition to the folder given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the student edition to (replaced if it exists)")
    args = parser.parse_args(argv)
    written = export(args.out)
    count = sum(len(exercises(json.loads(p.read_text(encoding="utf-8"))["cells"])) for p in written)
    print(f"wrote {len(written)} notebooks with {count} exercises and no solutions to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
