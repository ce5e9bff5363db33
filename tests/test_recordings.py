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


# --- one description of the machine, typed readers beside the techniques -------------------

# Copies of sections of `latest`, which describes their machine (every other recording has its own).
SECTIONS_OF_LATEST = {"book", "overhead", "startup"}


@pytest.mark.parametrize("name", sorted(set(recordings.names()) - SECTIONS_OF_LATEST))
def test_every_recording_describes_its_machine_in_the_one_layout(name):
    recording = recordings.recorded(name)
    machine = recordings.Machine.of(recording)
    assert machine.cores >= 1 and machine.python.startswith("3.")
    assert recordings.Machine.from_dict(machine.to_dict()) == machine
    sections = recording["results"] if name == "latest" else {}
    for section_name, section in sections.items():
        if "machine" in section:
            assert recordings.Machine.of(section).cores >= 1, section_name


def test_a_machine_of_another_layout_is_refused_naming_the_key():
    with pytest.raises(ValueError, match="also has cpu_count"):
        recordings.Machine.from_dict({"cpu_count": 2, "python": "3.11.7"})
    with pytest.raises(ValueError, match="lacks cores or python"):
        recordings.Machine.from_dict({"python": "3.11.7"})
    with pytest.raises(ValueError, match="cores must be a whole number"):
        recordings.Machine(cores=0, python="3.11.7")
    with pytest.raises(ValueError, match="no 'machine' entry"):
        recordings.Machine.of(recordings.recorded("book"))


def test_the_machine_here_is_what_the_benchmarks_record():
    here = recordings.Machine.here()
    assert here.cores >= 1 and here.date and here.versions["dltips"] == dltips.__version__
    assert "tensorflow" not in sys.modules or here.versions.get("tensorflow")
    assert recordings.Machine.from_dict(json.loads(json.dumps(here.to_dict()))) == here


def test_the_parallel_recording_reads_the_same_from_its_file_and_from_latest():
    from dltips.parallel import ParallelRecording, RecordedJob

    bench = ParallelRecording.recorded()
    assert bench == ParallelRecording.from_dict(recordings.recorded("latest")["results"]["parallel"])
    small, large = bench.models()
    assert [job.num_workers for job in bench.jobs if job.model == large] == [1, 2]
    assert bench.throughput(large)[2] > bench.throughput(large)[1]
    link, compute = bench.fit()
    assert link.latency > 0 and set(compute) == {small, large}
    row = dict(recordings.recorded("parallel")["results"][0])
    row["examples"] = row.pop("examples_per_second")
    with pytest.raises(ValueError, match="this one has .*, examples$"):
        RecordedJob.from_dict(row)
    with pytest.raises(ValueError, match="not a parallel benchmark recording"):
        ParallelRecording.from_dict(recordings.recorded("schedule_seeds"))


def test_the_seed_recording_reads_every_seed_and_refuses_a_mismatch():
    from dltips.schedules import SeedRecording

    seeds = SeedRecording.recorded()
    assert seeds.seeds == (0, 1, 2, 3, 4) and set(seeds.runs) == set(seeds.seeds)
    assert len(seeds.ratio("exponential", "constant 0.3")) == 5 and len(seeds.best()) == 5
    data = recordings.recorded("schedule_seeds")
    data["settings"]["seeds"] = [0, 1]
    with pytest.raises(ValueError, match="runs are for seeds"):
        SeedRecording.from_dict(data)


def test_the_distillation_recordings_read_back_into_their_result_types():
    from dltips.distillation import DistillationResult, PaperDistillationResult

    sweep = recordings.recorded("distillation_sweep")
    old = DistillationResult.from_dict(sweep)
    assert DistillationResult.from_dict(old.to_dict()).to_dict() == old.to_dict()
    assert old.to_dict()["reports"] == sweep["reports"] and old.param_ratio == pytest.approx(sweep["param_ratio"])
    paper = PaperDistillationResult.from_dict(recordings.recorded("distillation"))
    assert paper.machine.cores == 2 and paper.command.startswith("python -m benchmarks.bench_distillation")
    assert not paper.quick
    with pytest.raises(ValueError, match="not a distillation result"):
        DistillationResult.from_dict(recordings.recorded("parallel"))


# Keys that only a recording's raw layout has: a chapter reads them through the typed readers.
RAW_KEYS = ("machine", "run", "speedup_2_workers", "speedup_figures", "runs", "reports")


def test_no_page_reads_a_recordings_raw_layout():
    for path in sorted((ROOT / "chapters").rglob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        for key in RAW_KEYS:
            assert f'["{key}"]' not in code and f"['{key}']" not in code, f"{path.name} indexes a recording by {key!r}"
