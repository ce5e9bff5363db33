"""The `dltips` command as a course uses it: subcommands, help, one-line errors with exit status 2, files written."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dltips import cli

BIN = Path(sys.executable).parent


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
    assert names == list(cli.EXPERIMENTS) and "baseline" in names


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
    steps = math.ceil(record["train_examples"] / record["batch_size"])
    assert f"{steps}/{steps}" in done.stderr, "the progress bar must reach its end"
    assert "Traceback" not in done.stderr


# --- in-process units (no child process, no TensorFlow) ---


def test_epochs_or_prefers_the_command_line_then_quick_then_default():
    assert cli.RunOptions(epochs=7).epochs_or(default=10, quick=2) == 7
    assert cli.RunOptions(quick=True).epochs_or(default=10, quick=2) == 2
    assert cli.RunOptions().epochs_or(default=10, quick=2) == 10


def test_experiment_registry_refuses_duplicates_and_bad_names():
    with pytest.raises(ValueError, match="already registered"):
        cli.experiment("baseline", "again")
    with pytest.raises(ValueError, match="lower-case word"):
        cli.experiment("Two Words", "bad")
    assert "Two Words" not in cli.EXPERIMENTS


def test_results_table_aligns_names_and_formats_numbers():
    table = cli.results_table({"test accuracy": 0.98765, "parameters": 101770, "errors": "12 / 1,000"})
    lines = table.splitlines()
    assert lines[0].split() == ["metric", "value"]
    assert lines[2] == "test accuracy  0.9877"
    assert lines[3] == "parameters     101,770"
    assert lines[4] == "errors         12 / 1,000"


def test_learning_curves_draws_training_and_validation_per_metric():
    import matplotlib

    matplotlib.use("Agg")
    from dltips.plotting import learning_curves

    history = {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6], "accuracy": [0.6, 0.8, 0.9]}
    fig = learning_curves(history, title="t")
    loss_ax, acc_ax = fig.axes
    assert [line.get_label() for line in loss_ax.lines] == ["training", "validation"]
    assert [line.get_label() for line in acc_ax.lines] == ["training"]
    assert list(loss_ax.lines[1].get_ydata()) == [1.1, 0.7, 0.6]
    with pytest.raises(ValueError, match="'f1'"):
        learning_curves(history, metrics=("f1",))
