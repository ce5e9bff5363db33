"""tools/cell_times.py: per-cell execution times of a notebook, the exercise solutions' share apart."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools import cell_times  # noqa: E402


def _notebook(path: Path) -> Path:
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    notebook = nbformat.v4.new_notebook(cells=[
        code("import time"), md(":::{exercise}\n:label: ex-wait\nWait.\n:::"),
        md(":::{solution-start} ex-wait\n:class: dropdown\n:::"), code("time.sleep(0.3)\nassert True is True"),
        md(":::{solution-end}\n:::"), code("x = 1"),
    ])
    nbformat.write(notebook, path)
    return path


def test_cell_times_flags_the_solution_cells_and_sums_them(tmp_path, capsys):
    path = _notebook(tmp_path / "lesson.ipynb")
    out = tmp_path / "times.json"
    assert cell_times.main([str(path), "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["lesson"]
    assert [(r["cell"], r["solution"]) for r in rows] == [(0, False), (3, True), (5, False)]
    assert rows[1]["seconds"] >= 0.3 and rows[1]["source"] == "time.sleep(0.3)"
    printed = capsys.readouterr().out
    assert "lesson.ipynb: cells" in printed and "(1 exercises)" in printed and "cell   3 (solution)" in printed


def test_cell_times_names_a_missing_notebook_before_running_anything(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cell_times.main([str(tmp_path / "nowhere.ipynb")])
    assert "no such notebook" in capsys.readouterr().err
