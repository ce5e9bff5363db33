"""dltips.experiments: the registry the `dltips` command dispatches to, and the helpers its results go through."""

from __future__ import annotations

import ast
import inspect
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from dltips import experiments


def test_the_six_experiments_register_themselves_beside_their_techniques():
    registered = experiments.registered()
    assert sorted(registered) == ["baseline", "descent", "distillation", "parallel", "regularization", "schedules"]
    for name, experiment in registered.items():
        if name != "baseline":
            assert experiment.target == f"dltips.{name}.experiment:command"
        assert experiment.summary


def test_registering_is_lazy_and_the_command_resolves_on_demand():
    code = ("import sys; from dltips import experiments; e = experiments.registered(); "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules; "
            "print(e['schedules'].command().__module__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "dltips.schedules.experiment"


def test_register_refuses_duplicates_bad_names_and_bad_targets():
    experiments.register("example", "summary", "dltips.baseline:command")
    try:
        experiments.register("example", "again, same target", "dltips.baseline:command")  # a reload: fine
        with pytest.raises(ValueError, match="already registered"):
            experiments.register("example", "summary", "dltips.schedules.experiment:command")
    finally:
        experiments.unregister("example")
    with pytest.raises(ValueError, match="lower-case word"):
        experiments.register("Bad Name", "summary", "dltips.baseline:command")
    with pytest.raises(ValueError, match="package.module:function"):
        experiments.register("fine", "summary", "dltips.baseline")
    assert "fine" not in experiments.registered()


def test_sizes_gives_quick_sizes_under_quick_and_epochs_under_the_experiments_name():
    quick = {"n_train": 500, "epochs": 2}
    assert experiments.RunOptions().sizes(quick) == {}  # the experiment's own defaults
    assert experiments.RunOptions(quick=True).sizes(quick) == quick
    assert experiments.RunOptions(quick=True, epochs=7).sizes(quick) == {"n_train": 500, "epochs": 7}
    assert experiments.RunOptions(epochs=3).sizes(quick, epochs="student_epochs") == {"student_epochs": 3}
    sizes = experiments.RunOptions(quick=True).sizes(quick)
    sizes["n_train"] = 1
    assert quick["n_train"] == 500, "a copy: the module's QUICK is never changed"


def test_every_command_only_maps_options_to_its_experiment_and_returns_the_results_report():
    """The adapters compute nothing: one return of ``experiment(...).report()``, so the chapter's
    experiment function and ``dltips run`` produce the same numbers and draw them the same way."""
    for name, experiment in experiments.registered().items():
        function = experiment.command()
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        body = tree.body[0].body
        if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # the docstring
        assert len(body) == 1 and isinstance(body[0], ast.Return), f"{name}: the adapter does more than map options"
        call = body[0].value
        assert isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "report", name
        result_type = inspect.signature(function).return_annotation
        assert result_type in ("ExperimentResult", experiments.ExperimentResult), name


def test_a_workers_failure_is_an_experiment_error_so_the_command_line_needs_no_technique():
    from dltips.parallel.launcher import WorkerError, WorkerTimeout

    assert issubclass(WorkerError, experiments.ExperimentError) and issubclass(WorkerTimeout, experiments.ExperimentError)
    assert issubclass(experiments.ExperimentError, RuntimeError)
    cli_source = (Path(experiments.__file__).parent / "cli.py").read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(cli_source)):
        if isinstance(node, ast.ImportFrom):
            imported |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
        elif isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
    techniques = [name for name in imported if name.startswith(experiments.PACKAGES)]
    assert not techniques, f"the command line imports a technique: {techniques}"


def test_jsonable_turns_numpy_into_python_and_nan_into_null():
    value = {"a": np.float32(1.5), "b": np.array([1, 2]), "c": (math.nan, math.inf), 3: [np.int64(4)]}
    assert experiments.jsonable(value) == {"a": 1.5, "b": [1, 2], "c": [None, None], "3": [4]}


def test_registered_lists_the_book_order_whatever_was_imported_first():
    code = ("import dltips.distillation, dltips.descent; from dltips import experiments; "
            "print(list(experiments.registered()))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == str(["baseline", "regularization", "schedules", "descent", "parallel", "distillation"])
