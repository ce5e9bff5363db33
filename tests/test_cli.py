"""The `dltips` command as a course uses it: subcommands, help, one-line errors with exit status 2, files written.

Every experiment runs once, with `--quick`, in a child process as a terminal would run it
(each one starts TensorFlow, a few seconds of CPU); the helpers of the command are tested in
this process.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
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
    "empty --out": (["run", "baseline", "--quick", "--out", ""], "--out"),  # used to write into the current folder
    "blank --out": (["run", "baseline", "--quick", "--out", "  "], "--out"),
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


def _cannot_finish(options):
    from dltips.experiments import ExperimentError

    raise ExperimentError("the experiment could not finish: its data server went away")


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
    register("cannot-finish", _cannot_finish)  # any technique's ExperimentError, not only the parallel package's
    assert cli.main(["run", "cannot-finish", "--out", str(tmp_path)]) == cli.RUN_ERROR
    assert capsys.readouterr().err == "dltips: error: the experiment could not finish: its data server went away\n"
    with pytest.raises(RuntimeError, match="a bug in an experiment"):
        cli.main(["run", "bug", "--out", str(tmp_path)])


def _reads_mnist(options):
    from dltips import data

    data.train_subset(100)
    raise AssertionError("the bad MNIST file was read without an error")


def _bad_mnist_files(folder: Path) -> dict[str, Path]:
    import struct
    import zipfile

    def npz(name: str, header: str, payload: bytes = b"") -> Path:
        text = header + " " * (63 - (10 + len(header)) % 64) + "\n"
        member = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1") + payload
        with zipfile.ZipFile(folder / name, "w") as archive:
            for key in ("x_train", "y_train", "x_test", "y_test"):
                archive.writestr(f"{key}.npy", member)
        return folder / name

    idx = folder / "idx"
    idx.mkdir()
    for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (idx / stem).write_bytes(struct.pack(">HBB", 0, 0x08, 3) + bytes(4))  # 3 dimensions announced, 1 given
    return {
        "garbled npz header": npz("garbled.npz", "{'descr': '|u1', 'fortran_order': False, 'shape': (6"),
        "a terabyte announced": npz("huge.npz", "{'descr': '|u1', 'fortran_order': False, 'shape': (1000000000000,), }",
                                    bytes(10)),
        "IDX header cut short": idx,
    }


def test_a_bad_mnist_file_is_a_one_line_error_naming_it(register, tmp_path, capsys, monkeypatch):
    register("reads-mnist", _reads_mnist)
    for problem, path in _bad_mnist_files(tmp_path).items():
        monkeypatch.setenv("DLTIPS_MNIST", str(path))
        assert cli.main(["run", "reads-mnist", "--out", str(tmp_path / "out")]) == cli.RUN_ERROR, problem
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("dltips: error: "), (problem, lines)
        assert str(path) in lines[0], problem


def _interrupted(options):
    raise KeyboardInterrupt


def _refused(options):
    raise ValueError("an argument the experiment refused")


def _fails_while_saving(options):
    result = _diverging(options)

    def half_written(path, **kwargs):
        Path(path).write_bytes(b"\x89PNG half a figure")
        raise OSError(28, "No space left on device")

    result.figures["curve"].savefig = half_written
    return result


def test_a_run_replaces_the_results_of_an_earlier_one_and_leaves_only_whole_files(register, tmp_path, capsys):
    register("diverging", _diverging)
    (tmp_path / "metrics.json").write_text(json.dumps({"figures": ["old_curve.png", "curve.png"]}))
    (tmp_path / "old_curve.png").write_bytes(b"an earlier run's figure")
    (tmp_path / "curve.png").write_bytes(b"an earlier run's figure")
    (tmp_path / "notes.txt").write_text("the user's own file")
    assert cli.main(["run", "diverging", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curve.png", "metrics.json", "notes.txt"]
    assert (tmp_path / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert _strict_json((tmp_path / "metrics.json").read_text())["figures"] == ["curve.png"]


@pytest.mark.parametrize(
    ("command", "status", "reason"),
    [(_interrupted, cli.INTERRUPTED, "was interrupted (Ctrl-C)"), (_refused, cli.RUN_ERROR, "failed (ValueError"),
     (_fails_while_saving, None, "failed (OSError")],
    ids=["interrupted", "refused", "disk full while saving"],
)
def test_an_unfinished_run_leaves_a_marker_and_no_half_written_file(register, tmp_path, capsys, command, status, reason):
    register("unfinished", command)
    (tmp_path / "metrics.json").write_text(json.dumps({"figures": ["curve.png"]}))
    (tmp_path / "curve.png").write_bytes(b"an earlier run's figure")
    if status is None:
        with pytest.raises(OSError, match="No space left"):
            cli.main(["run", "unfinished", "--out", str(tmp_path)])
    else:
        assert cli.main(["run", "unfinished", "--out", str(tmp_path)]) == status
    assert sorted(p.name for p in tmp_path.iterdir()) == [cli.MARKER], "no earlier result, no half-written file"
    marker = (tmp_path / cli.MARKER).read_text()
    assert marker.startswith("dltips run unfinished " + reason) and "not complete" in marker


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
    # The figures are drawn from the result: the gradient scale at the sweep's own temperatures.
    scale = record["distillation"]["gradient_scale"]
    assert scale["temperatures"] == [1.0, 4.0] and len(scale["with_t2"]) == len(scale["without_t2"]) == 2
    assert scale["without_t2"][1] < scale["without_t2"][0], "without T² the gradient shrinks as T grows"
    assert len(record["distillation"]["example_logits"]) == 10
    assert record["distillation"]["reports"]["distilled"]["params"] < record["distillation"]["reports"]["teacher"]["params"]


CHECKS = {"regularization": _check_regularization, "schedules": _check_schedules, "descent": _check_descent,
          "parallel": _check_parallel, "distillation": _check_distillation}


def test_sigterm_ends_a_parallel_run_with_its_workers_and_temporary_folders(tmp_path, mnist_file):
    """`kill` (SIGTERM) of `dltips run parallel`: one line, every worker ended, nothing of ours left in TMPDIR."""
    private = tmp_path / "tmp"
    private.mkdir()
    out = tmp_path / "out"
    child = subprocess.Popen([sys.executable, "-m", "dltips", "run", "parallel", "--quick", "--epochs", "50",
                              "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "TMPDIR": str(private)})
    try:
        deadline = time.time() + 240
        while time.time() < deadline and child.poll() is None:
            if any(": step " in log.read_text() for log in private.glob("dltips-*/worker-*.log")):
                break
            time.sleep(0.2)
        assert child.poll() is None, child.communicate()[1]
        workers = [p for p in psutil.process_iter()
                   if _environ(p).get("DLTIPS_EXIT_WITH_PARENT") == str(child.pid)]
        assert workers, "the workers never started"
        child.send_signal(signal.SIGTERM)
        stdout, stderr = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == cli.TERMINATED, stderr
    assert stderr.strip().splitlines()[-1] == "dltips: terminated (SIGTERM); every process it started was ended"
    assert "Traceback" not in stderr
    _, alive = psutil.wait_procs(workers, timeout=5)
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE], f"workers left running: {alive}"
    assert sorted(p.name for p in private.iterdir()) == [], "temporary folders left behind"
    assert (out / cli.MARKER).read_text().startswith("dltips run parallel was terminated (SIGTERM)")
    assert not (out / "metrics.json").exists()


def _environ(process: psutil.Process) -> dict[str, str]:
    try:
        return process.environ()
    except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
        return {}
