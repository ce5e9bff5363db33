"""dltips.recordings: the recorded results ship with the package and read without TensorFlow or the repository.

The tables and verdicts the Performance page makes of them are tested with the benchmarks'
statistics, in tests/test_benchmarks.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import dltips
from dltips import recordings

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "companion" / "dltips" / "recordings"
# What the chapters and the Performance page read: every one must ship.
READ_BY_THE_BOOK = {"latest", "parallel", "distillation"}


def test_names_are_the_json_files_of_the_package():
    assert recordings.names() == sorted(p.stem for p in FOLDER.glob("*.json"))
    assert READ_BY_THE_BOOK <= set(recordings.names())


@pytest.mark.parametrize("name", sorted(READ_BY_THE_BOOK))
def test_recorded_reads_the_file_the_benchmark_wrote(name):
    assert dltips.recorded(name) == json.loads((FOLDER / f"{name}.json").read_text(encoding="utf-8"))


def test_recorded_returns_a_new_copy_each_time():
    first = dltips.recorded("parallel")
    first["results"].clear()
    assert dltips.recorded("parallel")["results"]


@pytest.mark.parametrize("name", ["paralel", "../pyproject", "parallel.json", "", 3, None])
def test_an_unknown_name_is_refused_with_the_list_of_recordings(name):
    with pytest.raises(ValueError) as error:
        dltips.recorded(name)
    assert f"no recording named {name!r}" in str(error.value)
    assert ", ".join(recordings.names()) in str(error.value)


def test_reading_a_recording_starts_no_tensorflow_and_needs_no_repository(tmp_path):
    code = ("import sys, dltips; run = dltips.recorded('latest'); from dltips import recordings; "
            "recordings.table(run['results']['startup']); recordings.closing_note(run); "
            "print([m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_performance_page_and_the_chapters_read_recordings_through_the_package():
    # No notebook reaches into the repository for a recording or edits sys.path to find one.
    for path in sorted((ROOT / "chapters").rglob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        assert "benchmarks/results" not in code and "sys.path" not in code, path.name
        assert "recordings/" not in code, f"{path.name}: read a recording with dltips.recorded(name)"
