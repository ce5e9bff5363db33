"""The benchmarks' method: interleaving, intervals, verdicts and calibration on synthetic timings, and the runner.

The statistics tests are fast and deterministic: timings come from a seeded generator, never
from a clock, and TensorFlow is not imported. Real timings are never asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from benchmarks import bench_book, report, stats
from benchmarks.common import RECORDINGS, calibration_figures, calibration_passed, figure, race, ratio_figures
from dltips import recordings

ROOT = Path(__file__).resolve().parents[1]


def synthetic_race(ratio: float, noise: float, rounds: int, *, seed: int = 0, second_penalty: float = 0.0,
                   abba: bool = True, balanced: bool = True) -> tuple[list[float], list[float]]:
    """Seconds per round of A and B, where A is ``ratio`` times as fast as B.

    Every run is slowed by a load shared within its round (drifting upward over the race) and by
    its own lognormal noise of relative size ``noise``; the contender that runs second in a round
    is slowed by ``second_penalty`` more (a position effect), and ``abba=False`` always runs A
    first, as a naive benchmark would. ``balanced`` mirrors the noise of the first half of the
    rounds in the second half, so that the race's noise is symmetric and its realized ratio is
    the true one: a test of one race then checks the judging, not the luck of one draw.
    Unbalanced races (independent noise) are for tests over many seeds.
    """
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, noise, size=(rounds, 2))
    if balanced:
        half = rounds // 2
        z[rounds - half:] = -z[:half]
    a, b = [], []
    order = stats.abba_order(rounds) if abba else [("a", "b")] * rounds
    for r, pair in enumerate(order):
        load = 1 + 0.3 * r / rounds + 0.2 * rng.random()
        base = {"a": 1.0 / ratio, "b": 1.0}
        for position, who in enumerate(pair):
            seconds = base[who] * load * float(np.exp(z[r, position])) * (1 + second_penalty * position)
            (a if who == "a" else b).append(seconds)
    return a, b


def ratio_verdict(ratio: float, noise: float, rounds: int, target: float = 0.95, seed: int = 0,
                  balanced: bool = True) -> str:
    a, b = synthetic_race(ratio, noise, rounds, seed=seed, balanced=balanced)
    return stats.summarize(stats.paired_ratios(b, a), "ratio", at_least=target)["verdict"]


# --- the schedule -------------------------------------------------------------------------


def test_abba_order_is_abba():
    runs = "".join(who for pair in stats.abba_order(8) for who in pair)
    assert runs == "abbaabbaabbaabba"
    assert stats.abba_order(1) == [("a", "b")]
    with pytest.raises(ValueError, match="rounds"):
        stats.abba_order(0)


def test_race_runs_the_contenders_in_abba_order_after_a_warm_up():
    calls: list[str] = []

    def contender(name: str):
        def run():
            calls.append(name)
            return {"wall": 1.0, "cpu": 1.0}
        return run

    result = race(contender("a"), contender("b"), min_rounds=4, max_rounds=4)
    assert "".join(calls) == "ab" + "abbaabba"  # one warm-up run of each, then ABBA
    assert "".join(result.order) == "abbaabba"
    assert result.rounds == 4 and result.readings["a"]["wall"] == [1.0] * 4


def test_race_adds_rounds_until_the_interval_is_narrow_enough():
    rng = np.random.default_rng(1)

    def noisy(size: float):
        return lambda: {"wall": float(np.exp(rng.normal(0, size))), "cpu": float(np.exp(rng.normal(0, size)))}

    quiet = race(noisy(0.001), noisy(0.001), min_rounds=8, max_rounds=200, warmup=0)
    assert quiet.stopped == "resolved" and quiet.rounds == 8
    loud = race(noisy(0.2), noisy(0.2), min_rounds=8, max_rounds=40, warmup=0)
    assert loud.stopped == "rounds" and loud.rounds == 40  # 20 % noise needs far more than 40 rounds for 5 %
    medium = race(noisy(0.03), noisy(0.03), min_rounds=8, max_rounds=400, warmup=0)
    assert medium.stopped == "resolved" and 8 < medium.rounds < 400 and medium.rounds % 4 == 0
    assert stats.relative_width(medium.throughput_ratios("wall")) < stats.RESOLUTION


def test_race_stops_when_its_budget_is_spent():
    rng = np.random.default_rng(2)
    result = race(lambda: {"wall": 1.0}, lambda: {"wall": float(rng.lognormal(0, 0.5))},
                  min_rounds=4, budget_s=0.0, clocks=("wall",), warmup=0)
    assert result.stopped == "budget" and result.rounds == 4


# --- intervals and verdicts -----------------------------------------------------------------


def test_bootstrap_interval_is_deterministic_and_covers_the_median():
    a, b = synthetic_race(1.0, 0.05, 40)
    ratios = stats.paired_ratios(b, a)
    lo, hi = stats.bootstrap_interval(ratios)
    assert (lo, hi) == stats.bootstrap_interval(ratios)  # seeded
    assert lo < float(np.median(ratios)) < hi
    wider = stats.bootstrap_interval(ratios, confidence=0.99)
    assert wider[0] <= lo and hi <= wider[1]


@pytest.mark.parametrize(
    ("ratio", "noise", "rounds", "expected"),
    [
        (1.00, 0.03, 40, "met"),  # truly 5 % faster than the target, measured well
        (0.85, 0.03, 40, "missed"),  # truly 10 % slower than the target
        (0.95, 0.03, 40, "undecided"),  # exactly on the target: no interval can decide
        (1.00, 0.30, 12, "undecided"),  # 5 % above the target, but 30 % noise and 12 rounds cannot tell
        (0.97, 0.01, 200, "met"),  # a 2 % margin is resolved by little noise and many rounds
    ],
)
def test_a_known_ratio_with_known_noise_is_judged_correctly(ratio, noise, rounds, expected):
    assert ratio_verdict(ratio, noise, rounds) == expected


def test_verdicts_hold_over_many_synthetic_races():
    """Clear cases are decided right almost always; a ratio on the target is rarely called either way."""
    clear = [ratio_verdict(1.03, 0.04, 60, seed=s, balanced=False) for s in range(40)]
    assert clear.count("met") >= 38 and "missed" not in clear
    on_target = [ratio_verdict(0.95, 0.04, 60, seed=s, balanced=False) for s in range(40)]
    assert on_target.count("undecided") >= 34  # a 95 % interval wrongly decides about 5 % of such races


def test_judge_at_least_and_at_most():
    assert stats.judge((0.96, 1.04), at_least=0.95) == "met"
    assert stats.judge((0.90, 0.94), at_least=0.95) == "missed"
    assert stats.judge((0.93, 1.01), at_least=0.95) == "undecided"
    assert stats.judge((40.0, 55.0), at_most=120) == "met"
    assert stats.judge((130.0, 150.0), at_most=120) == "missed"
    assert stats.judge((110.0, 125.0), at_most=120) == "undecided"
    with pytest.raises(ValueError, match="exactly one"):
        stats.judge((1, 2))
    with pytest.raises(ValueError, match="low, high"):
        stats.judge((2, 1), at_least=1)


def test_few_runs_give_min_to_max_with_its_true_confidence():
    (lo, hi), confidence = stats.median_interval([50.0, 40.0, 45.0])
    assert (lo, hi) == (40.0, 50.0) and confidence == 0.75
    fig = stats.summarize([50.0, 40.0, 45.0], "s", at_most=120)
    assert fig["verdict"] == "met" and fig["confidence"] == 0.75 and fig["n"] == 3
    assert stats.summarize(list(np.linspace(1, 2, 10)), "s")["confidence"] == stats.CONFIDENCE


def test_rounds_needed_grows_with_the_square_of_the_spread():
    a, b = synthetic_race(1.0, 0.10, 40)
    ratios = stats.paired_ratios(b, a)
    needed = stats.rounds_needed(ratios)
    width = stats.relative_width(ratios)
    assert needed == pytest.approx(40 * (width / 0.05) ** 2, abs=1)
    assert stats.rounds_needed(ratios, resolution=0.10) == pytest.approx(needed / 4, rel=0.05)


def test_spread_is_relative_and_undefined_for_differences():
    assert stats.spread([1.0, 1.0, 1.0]) == 0.0
    assert stats.spread([1.0, 1.1, 0.9]) == pytest.approx(0.1, abs=0.01)
    assert stats.spread([0.1, -0.1]) is None and stats.spread([1.0]) is None


# --- calibration ----------------------------------------------------------------------------


def test_calibration_passes_for_a_fair_race_of_a_path_against_itself():
    a, b = synthetic_race(1.0, 0.05, 40)
    fig = stats.calibration(stats.paired_ratios(b, a))
    assert fig["passed"] and fig["role"] == "calibration" and recordings.is_calibration(fig)
    assert fig["rounds_for_5_percent"] >= 40 and not fig["resolves_5_percent"]
    passed = []
    for seed in range(100):
        a, b = synthetic_race(1.0, 0.05, 40, seed=seed, balanced=False)
        passed.append(stats.calibration_passed(stats.bootstrap_interval(stats.paired_ratios(b, a), resamples=2_000)))
    assert 90 <= sum(passed) <= 99  # a 95 % interval holds the true ratio about 95 times in 100


def test_calibration_detects_a_biased_race_of_a_path_against_itself():
    # The second run of each round is 8 % slower (say, a cache the first one evicted). Always
    # running A first turns that into a false 8 % difference, which the calibration catches...
    a, b = synthetic_race(1.0, 0.03, 40, second_penalty=0.08, abba=False)
    biased = stats.calibration(stats.paired_ratios(b, a))
    assert not biased["passed"] and biased["interval"][0] > 1.0
    # ... and a failed calibration turns every verdict of its section into "too noisy".
    assert stats.summarize([1.2] * 10, "ratio", at_least=0.95, calibrated=False)["verdict"] == "too noisy"
    # ABBA order cancels the position effect: the same race, interleaved, comes out even.
    a, b = synthetic_race(1.0, 0.03, 40, second_penalty=0.08, abba=True)
    assert stats.calibration(stats.paired_ratios(b, a))["passed"]


def test_ratio_figures_carry_the_calibration_verdict_per_clock():
    a, b = synthetic_race(1.0, 0.02, 40)
    readings = {"a": {"cpu": a, "wall": a}, "b": {"cpu": b, "wall": b}}
    from benchmarks.common import Race

    result = Race(readings=readings, rounds=40, stopped="resolved", seconds=1.0)
    cal = calibration_figures("calibration", result)
    assert calibration_passed(cal) == {"cpu": True, "wall": True}
    figs = ratio_figures("models", result, at_least=0.95, calibration={"cpu": True, "wall": False})
    assert figs["models_ratio_cpu"]["verdict"] == "met"
    assert figs["models_ratio_wall"]["verdict"] == "too noisy"
    assert figs["models_ratio_wall"]["interval_verdict"] == "met"


# --- the report (dltips.recordings: the Performance page's tables and verdicts) ---------------


def _recorded() -> dict:
    a, b = synthetic_race(1.0, 0.02, 40)
    fair = stats.paired_ratios(b, a)
    return {"results": {
        "overhead": {
            "settings": {"examples_per_round": 4096},
            "calibration_ratio_cpu": stats.calibration(fair, clock="cpu"),
            "models_ratio_cpu": stats.summarize(fair, "ratio", at_least=0.95, clock="cpu", calibrated=True),
            "models_ratio_wall": stats.summarize([r * 0.85 for r in fair], "ratio", at_least=0.95, clock="wall"),
        },
        "book": {"01_background_time": stats.summarize([20.0, 21.0, 19.0], "s", at_most=120)},
    }}


def test_report_table_shows_interval_and_verdict():
    text = recordings.table(_recorded()["results"]["overhead"])
    assert "| figure | median | interval | runs | target | verdict |" in text
    assert "| models ratio (CPU time) |" in text and "| met |" in text
    assert "**missed**" in text and "passed: holds 1" in text
    assert "settings" not in text
    untargeted = recordings.table({"load": {"value": 0.2, "unit": "s", "n": 1}})
    assert untargeted.splitlines()[-1] == "| load | 0.2 s | not recorded | 1 |  |  |"
    assert "(75%)" in recordings.table(_recorded()["results"]["book"])


def test_closing_note_gives_each_ratio_and_the_calibration_with_intervals():
    note = recordings.closing_note(_recorded())
    lines = note.splitlines()
    assert any(line.startswith("overhead: calibration ratio (CPU time) = 1.0") and "calibration passed" in line
               for line in lines)
    assert any("models ratio (wall time)" in line and line.endswith("missed") for line in lines)
    assert lines[-1] == "targets: 2 met, 1 missed"
    assert recordings.missed_targets(_recorded()) == [
        f"overhead: models ratio (wall time) = {recordings.sections._fmt(_recorded()['results']['overhead']['models_ratio_wall']['value'])}"
        " ratio (target >= 0.95 ratio)"
    ]


def test_report_reads_the_recorded_run_the_package_ships():
    recorded = report.load()
    assert recorded == recordings.recorded("latest")
    assert recordings.closing_note(recorded).splitlines()[-1].startswith("targets:")
    for name in ("book", "overhead", "startup"):
        assert recordings.table(recorded["results"][name]).count("\n") >= 2
    from dltips.parallel import ParallelRecording

    assert ParallelRecording.from_dict(recorded["results"]["parallel"]).table().count("\n") >= 5


def test_report_prints_the_verdicts_of_a_run(tmp_path, capsys):
    run = _recorded() | {"machine": recordings.recorded("latest")["machine"], "quick": True}
    (tmp_path / "run.json").write_text(json.dumps(run))
    assert report.main([str(tmp_path / "run.json")]) == 0
    out = capsys.readouterr().out
    assert "A --quick check, not a record." in out and "targets: 2 met, 1 missed" in out
    assert "targets missed:\noverhead: models ratio (wall time)" in out
    with pytest.raises(FileNotFoundError, match="python -m benchmarks --out"):
        report.load(tmp_path / "missing.json")


def test_the_distillation_sweep_reads_back_with_the_teacher_first():
    from dltips.distillation import DistillationResult

    rows = DistillationResult.from_dict(recordings.recorded("distillation_sweep")).table()
    assert [row["model"] for row in rows[:2]] == ["teacher", "student, scratch"]


# --- the runner -----------------------------------------------------------------------------


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
    assert all(_is_figure(f) and len(f["interval"]) == 2 for f in startup.values())
    assert "| import dltips |" in recordings.table(startup)


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
    cost = bench_book.execute(path, timeout=120)
    assert cost.wall_s > 0 and cost.cpu_s > 0
    assert cost.peak_rss_gib > 0.05  # the kernel held at least the 50 MiB it allocated


def test_host_probe_times_a_fixed_workload():
    assert 0 < bench_book.host_probe(rounds=1) < 60
    with pytest.raises(ValueError, match="rounds"):
        bench_book.host_probe(rounds=0)


def test_execute_reports_a_failing_notebook(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("raise RuntimeError('boom')")]
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(RuntimeError, match="broken.ipynb failed"):
        bench_book.execute(path, timeout=120)


def test_figure_helper():
    fig = figure([3.0, 1.0, 2.0], "s")
    assert fig["value"] == 2.0 and fig["spread"] == [1.0, 3.0] and fig["n"] == 3
    with pytest.raises(ValueError):
        figure([], "s")
    with pytest.raises(ValueError):
        stats.summarize([], "s")


def test_runner_marks_a_run_too_noisy_where_a_calibration_failed():
    from benchmarks.__main__ import calibrations

    a, b = synthetic_race(1.0, 0.03, 40)
    fair = stats.calibration(stats.paired_ratios(b, a), clock="cpu")
    a, b = synthetic_race(1.0, 0.03, 40, second_penalty=0.08, abba=False)
    biased = stats.calibration(stats.paired_ratios(b, a), clock="wall")
    results = {"overhead": {"calibration_ratio_cpu": fair, "calibration_ratio_wall": biased, "settings": {}},
               "parallel": {"calibration": fair | {"clock": "wall"}, "results": []}}
    passed, too_noisy = calibrations(results)
    assert passed == {"overhead": {"cpu": True, "wall": False}, "parallel": {"wall": True}}
    assert too_noisy == ["overhead wall"]


def test_a_quick_check_never_replaces_the_recordings(tmp_path, monkeypatch):
    from benchmarks import __main__ as runner
    from benchmarks import bench_startup

    before = {p.name: p.read_bytes() for p in RECORDINGS.glob("*.json")}
    monkeypatch.setattr(runner, "DEFAULT_OUT", tmp_path / "latest.json")
    monkeypatch.setattr(runner, "machine", lambda: {"cores": 2})
    monkeypatch.setattr(bench_startup, "run", lambda quick: {"import_dltips": figure([0.01], "s")})
    assert runner.main(["--quick", "--only", "startup"]) == 0
    assert not list(tmp_path.iterdir()), "a --quick check without --out wrote a file"
    assert {p.name: p.read_bytes() for p in RECORDINGS.glob("*.json")} == before


def test_benchmarks_record_into_the_package():
    from benchmarks import __main__ as runner
    from benchmarks import bench_descent, bench_distillation, bench_parallel

    assert RECORDINGS == ROOT / "companion" / "dltips" / "recordings"
    assert runner.DEFAULT_OUT == RECORDINGS / "latest.json"
    assert {bench_parallel.RESULTS, bench_distillation.RESULTS, bench_descent.RESULT_FILE} == {
        RECORDINGS / "parallel.json", RECORDINGS / "distillation.json", RECORDINGS / "descent.json"}
    assert not (ROOT / "benchmarks" / "results").exists(), "recordings belong in the package (dltips.recorded)"


def test_parallel_rows_give_the_step_time_their_median_throughput_implies():
    # With an even number of rounds the median of step times and that of throughputs are means of
    # different pairs; the row must be self-consistent, or a cost model fitted to its step times
    # would not reproduce its throughputs (chapter 3 checks that it does).
    from benchmarks import bench_parallel

    runs = [{"num_workers": 2, "examples_per_second": rate, "step_seconds": bench_parallel.GLOBAL_BATCH / rate,
             "timed_steps": 20, "job_wall_seconds": 9.0, "workers_cpu_seconds": 15.0, "chief_cpu_seconds_per_step": 0.1}
            for rate in (9000.0, 8000.0, 9500.0, 7000.0)]
    row = bench_parallel.summarize_jobs(runs, (1024, 1024))
    assert row["examples_per_second"] == 8500.0 and row["rounds"] == 4
    assert row["step_seconds"] * row["examples_per_second"] == pytest.approx(bench_parallel.GLOBAL_BATCH)
    assert row["parameters"] == bench_parallel.mlp_parameters((1024, 1024)) and row["gradient_bytes"] == 4 * row["parameters"]


def test_the_book_benchmark_executes_every_page_of_the_book_once_in_reading_order():
    sys.path.insert(0, str(ROOT / "tools"))
    import book_pages

    toc = [ROOT / f"{f}.ipynb" for f in book_pages.toc_files() if (ROOT / f"{f}.ipynb").is_file()]
    assert bench_book.CHAPTERS == toc
    assert set(bench_book.CHAPTER_3) == {p.stem for p in toc if "03_algorithms" in p.as_posix()}
