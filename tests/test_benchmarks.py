"""The benchmark runner works on a tiny configuration and writes valid JSON (timings are never asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from benchmarks import bench_book, report
from benchmarks.common import figure, with_target

ROOT = Path(__file__).resolve().parents[1]


def _is_figure(entry) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry["value"], (int, float))
        and isinstance(entry["unit"], str)
        and entry["spread"][0] <= entry["value"] <= entry["spread"][1]
        and entry["n"] >= 1
    )


def test_quick_run_writes_valid_json(tmp_path):
    out = tmp_path / "latest.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "startup", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    assert data["quick"] is True
    assert {"date", "cores", "python", "versions"} <= set(data["machine"])
    assert data["machine"]["versions"]["tensorflow"]
    startup = data["results"]["startup"]
    assert {"import_dltips", "load_mnist_from_file"} <= set(startup)
    assert all(_is_figure(f) for f in startup.values())
    assert "| import dltips |" in report.table(startup)


def test_unknown_benchmark_is_a_usage_error(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--only", "nope", "--out", str(tmp_path / "x.json")],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2 and "unknown benchmark" in done.stderr
    assert not (tmp_path / "x.json").exists()


def test_execute_measures_a_notebook(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = bytearray(50 * 2**20)\nprint(len(x))")]
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    wall, rss = bench_book.execute(path, timeout=120)
    assert wall > 0 and rss > 0.05  # the kernel held at least the 50 MiB it allocated


def test_execute_reports_a_failing_notebook(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("raise RuntimeError('boom')")]
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(RuntimeError, match="broken.ipynb failed"):
        bench_book.execute(path, timeout=120)


def test_figure_and_target_helpers():
    fig = with_target(figure([3.0, 1.0, 2.0], "s"), at_most=2.5)
    assert fig["value"] == 2.0 and fig["spread"] == [1.0, 3.0] and fig["met"] is True
    assert with_target(figure([0.7], "x"), at_least=0.8)["met"] is False
    with pytest.raises(ValueError):
        figure([], "s")
