"""The `dltips` command as a course uses it: subcommands, help, one-line errors with exit status 2, files written.

Every experiment runs once, with `--quick`, in a child process as a terminal would run it
(each one starts TensorFlow, a few seconds of CPU); the helpers of the command are tested in
this process.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from dltips import cli, experiments

BIN = Path(sys.executable).parent
EXPERIMENTS = ["baseline", "regularization", "schedules", "descent", "parallel", "distillation"]


def dltips(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `python -m dltips ARGS` in a child process, as a terminal would."""
    return subprocess.run(
        [sys.executable, "-m", "dltips", *args],
        capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("args", [["--help"], ["list", "--help"], ["run", "--help"]])
def test_help_of_each_command(args):
    done = dltips(*args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: dltips")
    if args[0] == "run":
        for option in ("--quick", "--epochs N", "--out DIR", "--seed S", "technique"):
            assert option in done.stdout


def test_console_script_is_installed_and_lists_the_experiments():
    script = BIN / "dltips"
    assert script.is_file(), f"no `dltips` console script beside {sys.executable}: install the project (pip install -e .)"
    done = subprocess.run([str(script), "list"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    names = [line.split()[0] for line in done.stdout.splitlines()]
    assert names == list(experiments.registered()) == EXPERIMENTS


def test_list_and_help_do_not_import_tensorflow_or_matplotlib():
    code = (
        "import sys, contextlib, io\n"
        "from dltips import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert cli.main(['list']) == 0\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


BAD_INPUTS = {
    "unknown technique": (["run", "nonexistent", "--quick"], "unknown technique 'nonexistent'"),
    "zero epochs": (["run", "baseline", "--epochs", "0"], "--epochs"),
    "zero epochs, another experiment": (["run", "parallel", "--epochs", "0"], "--epochs"),
    "misspelt technique": (["run", "regularisation"], "unknown technique 'regularisation'"),
    "negative epochs": (["run", "baseline", "--epochs", "-3"], "--epochs"),
    "epochs not a number": (["run", "baseline", "--epochs", "ten"], "--epochs"),
    "too many epochs": (["run", "baseline", "--epochs", "100000"], "--epochs"),
    "negative seed": (["run", "baseline", "--seed", "-1"], "--seed"),
    "fractional seed": (["run", "baseline", "--seed", "1.5"], "--seed"),
    "unknown option": (["run", "baseline", "--fast"], "unrecognized arguments: --fast"),
    "no technique": (["run"], "technique"),
    "no command": ([], "a command is required"),
    "unknown command": (["train"], "invalid choice: 'train'"),
}


@pytest.mark.parametrize(("args", "expected"), list(BAD_INPUTS.values()), ids=list(BAD_INPUTS))
def test_bad_input_is_one_line_on_stderr_and_exit_status_2(args, expected):
    done = dltips(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("dltips") and "error:" in lines[0] and expected in lines[0]
    assert "Traceback" not in done.stderr


def test_unwritable_out_is_refused_before_training(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    # A path below a regular file can never be created, whoever runs the test (root included).
    done = dltips("run", "baseline", "--quick", "--out", str(blocker / "results"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "--out" in done.stderr and "not a writable folder" in done.stderr
    assert "baseline:" not in done.stderr, "the check must come before any training"


def test_missing_mnist_is_a_one_line_error(tmp_path):
    done = dltips("run", "baseline", "--quick", "--out", str(tmp_path), env={"DLTIPS_MNIST": str(tmp_path / "missing.npz")})
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "DLTIPS_MNIST" in lines[0] and "Traceback" not in done.stderr
    assert not (tmp_path / "metrics.json").exists()


def test_run_baseline_writes_figures_and_metrics_and_prints_a_table(tmp_path, mnist_file):
    out = tmp_path / "nested" / "baseline"
    done = dltips("run", "baseline", "--quick", "--epochs", "1", "--seed", "3", "--out", str(out))
    assert done.returncode == 0, done.stderr

    record = json.loads((out / "metrics.json").read_text())
    assert record["experiment"] == "baseline"
    assert record["options"] == {"quick": True, "epochs": 1, "seed": 3}
    assert len(record["history"]["loss"]) == 1 == len(record["history"]["val_accuracy"])
    assert 0.0 <= record["metrics"]["test accuracy"] <= 1.0
    assert record["metrics"]["test accuracy"] > 0.3, "one epoch on 500 images already beats chance (0.1) by far"
    assert record["figures"] == ["learning_curves.png"]
    png = (out / "learning_curves.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000

    assert "metric" in done.stdout and "test accuracy" in done.stdout and "metrics.json" in done.stdout
    epochs = record["settings"]["epochs"]
    assert f"{epochs}/{epochs}" in done.stderr, "the progress bar (one step per epoch) must reach its end"
    assert "Traceback" not in done.stderr


# --- in-process units (no child process, no TensorFlow) ---


@pytest.fixture
def register():
    """Register throw-away experiments for one test; they are removed afterwards."""
    added = []

    def add(name, command):
        experiments.register(name, "a throw-away experiment of the tests", f"{__name__}:{command.__name__}")
        added.append(name)

    yield add
    for name in added:
        experiments.unregister(name)


def _diverging(options):
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    return experiments.ExperimentResult(
        metrics={"final loss": float("nan"), "runs": 2},
        table=[{"run": "too fast", "loss": np.float32("nan")}, {"run": "fine", "loss": np.float32(0.5)}],
        figures={"curve": fig}, details={"losses": np.array([2.3, np.inf])},
    )


def _worker_dies(options):
    from dltips.parallel.launcher import WorkerError

    raise WorkerError("worker 1 was killed by SIGKILL; every process was ended. Last lines of its log:\nstep 13",
                      worker="worker 1")


def _bug(options):
    raise RuntimeError("a bug in an experiment")


def test_run_saves_strict_json_and_prints_the_rows(register, tmp_path, capsys):
    register("diverging", _diverging)
    assert cli.main(["run", "diverging", "--seed", "4", "--out", str(tmp_path)]) == 0
    record = _strict_json((tmp_path / "metrics.json").read_text())
    assert record["metrics"] == {"final loss": None, "runs": 2}
    assert record["table"] == [{"run": "too fast", "loss": None}, {"run": "fine", "loss": 0.5}]
    assert record["losses"] == [2.3, None] and record["figures"] == ["curve.png"]
    assert record["options"] == {"quick": False, "epochs": None, "seed": 4}
    lines = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["too", "fast", "n/a"] in lines and ["final", "loss", "n/a"] in lines


def test_a_failed_worker_is_a_short_error_and_other_bugs_keep_their_traceback(register, tmp_path, capsys):
    register("worker-dies", _worker_dies)
    register("bug", _bug)
    assert cli.main(["run", "worker-dies", "--out", str(tmp_path)]) == cli.RUN_ERROR
    err = capsys.readouterr().err
    assert err.startswith("dltips: error: worker 1 was killed by SIGKILL") and "step 13" in err
    with pytest.raises(RuntimeError, match="a bug in an experiment"):
        cli.main(["run", "bug", "--out", str(tmp_path)])


# --- every experiment, in a child process ---

FIGURES = {
    "regularization": ["regularization_curves.png", "weight_histograms.png"],
    "schedules": ["learning_rates.png", "schedule_runs.png"],
    "descent": ["descent_race.png"],
    "parallel": ["scaling.png"],
    "distillation": ["temperature_sweep.png", "soft_targets.png", "gradient_scale.png"],
}
ROWS = {  # the first column of the printed table, one row per model or run compared
    "regularization": ["none", "L1", "L2", "elastic net", "dropout", "L2 + dropout"],
    "schedules": ["constant 0.3", "constant 1.0", "exponential", "step", "linear", "inverse time",
                  "cosine + warm-up", "constant 3.0"],
    "descent": ["b = 1 (SGD)", "b = 32", "b = 256", "b = 1,000 (BGD)"],
    "parallel": [1, 2],
    "distillation": ["teacher", "student, scratch", "student, pseudo-labels", "student, distilled T=4"],
}
ARGS = {  # besides --quick: check that --epochs and --seed reach the experiment
    "regularization": ["--epochs", "1", "--seed", "2"],
    "schedules": ["--epochs", "1"],
    "descent": [],
    "parallel": [],
    "distillation": ["--epochs", "1"],
}


def _strict_json(text: str) -> dict:
    def refuse(name: str) -> None:
        raise ValueError(f"metrics.json holds {name}, which strict JSON does not allow")

    return json.loads(text, parse_constant=refuse)


def _run_watching_children(args: list[str]) -> tuple[subprocess.CompletedProcess, list[psutil.Process]]:
    """Run `python -m dltips ARGS`; also return any process it started that is still alive after it exited."""
    with subprocess.Popen([sys.executable, "-m", "dltips", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as child:
        stdout, stderr = child.communicate(timeout=300)
    left = []
    for process in psutil.process_iter():
        try:
            # Processes started by the dltips launcher carry the pid of the process that started them.
            if process.environ().get("DLTIPS_EXIT_WITH_PARENT") == str(child.pid):
                left.append(process)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr), left


@pytest.mark.parametrize("technique", list(FIGURES))
def test_run_each_technique_quick_writes_figures_metrics_and_a_table(technique, tmp_path, mnist_file):
    out = tmp_path / technique
    done, left = _run_watching_children(["run", technique, "--quick", *ARGS[technique], "--out", str(out)])
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert not left, f"processes left running: {left}"

    record = _strict_json((out / "metrics.json").read_text())
    assert record["experiment"] == technique
    assert {"dltips_version", "options", "description", "metrics", "table", "figures"} <= set(record)
    assert record["figures"] == FIGURES[technique]
    for name in FIGURES[technique]:
        png = (out / name).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    first_column = [next(iter(row.values())) for row in record["table"]]
    assert first_column == ROWS[technique]

    # The printed table: its header, a row per run, the headline metrics, the files written.
    header = "  ".join(record["table"][0])
    assert header.split()[0] in done.stdout and str(ROWS[technique][-1]) in done.stdout
    assert all(name in done.stdout for name in record["metrics"])
    assert "metrics.json" in done.stdout.splitlines()[-1]
    total = len(ROWS[technique]) + (technique == "distillation")  # its sweep trains one more student
    assert f"{total}/{total}" in done.stderr, "the progress bar must reach its end"
    CHECKS[technique](record)


def _check_regularization(record: dict) -> None:
    assert record["options"] == {"quick": True, "epochs": 1, "seed": 2}
    assert record["settings"]["seed"] == record["settings"]["data_seed"] == 2
    assert all(len(h["val_accuracy"]) == 1 for h in record["histories"].values())
    assert all(0.0 <= row["test_accuracy"] <= 1.0 for row in record["table"])
    assert record["metrics"]["best variant (test accuracy)"] in ROWS["regularization"]


def _check_schedules(record: dict) -> None:
    settings = record["settings"]
    assert settings["epochs"] == 1 and record["updates"] == math.ceil(settings["n_train"] / settings["batch_size"])
    assert all(len(losses) == 1 for losses in record["epoch_loss"].values())
    rows = {row["plan"]: row for row in record["table"]}
    assert rows["constant 0.3"]["first rate"] == pytest.approx(0.3) == rows["constant 0.3"]["last rate"]
    assert rows["cosine + warm-up"]["first rate"] == 0.0, "the warm-up starts from zero"
    assert rows["exponential"]["last rate"] < rows["exponential"]["first rate"]


def _check_descent(record: dict) -> None:
    rows = {row["run"]: row for row in record["table"]}
    assert [row["updates/epoch"] for row in record["table"]] == [1000, 32, 4, 1]
    assert rows["b = 1 (SGD)"]["learning rate"] == 0.01 and rows["b = 1,000 (BGD)"]["epochs"] == 50
    curves = record["curves"]["b = 1,000 (BGD)"]
    assert curves["eval_loss"][-1] < curves["eval_loss"][0], "fifty full-batch steps lower the loss"


def _check_parallel(record: dict) -> None:
    assert [(row["workers"], row["replicas"]) for row in record["table"]] == [(1, 1), (2, 2)]
    assert all(row["steps"] == record["settings"]["steps"] for row in record["table"])
    # Synchronous data parallelism: two workers end with the weights one worker (one device) reaches.
    assert record["metrics"]["largest weight difference, 2 workers vs 1"] < 1e-5
    efficiency = {p["scaling"]: p["efficiency"] for p in record["projection"] if p["num_workers"] == 512}
    assert efficiency["strong"] < efficiency["weak"] <= 1.0


def _check_distillation(record: dict) -> None:
    settings = record["distillation"]["settings"]
    assert settings["student_epochs"] == 1 and settings["temperature"] == 4.0
    assert all(0 <= row["test errors"] <= 10_000 for row in record["table"])
    assert set(record["distillation"]["sweep"]) == {"1", "4"}
    assert record["distillation"]["reports"]["distilled"]["params"] < record["distillation"]["reports"]["teacher"]["params"]


CHECKS = {"regularization": _check_regularization, "schedules": _check_schedules, "descent": _check_descent,
          "parallel": _check_parallel, "distillation": _check_distillation}
