"""dltips.experiments: the registry the `dltips` command dispatches to, and the helpers its results go through."""

from __future__ import annotations

import math
import subprocess
import sys

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


def test_epochs_or_prefers_the_command_line_then_quick_then_default():
    assert experiments.RunOptions(epochs=7, quick=True).epochs_or(10, quick=2) == 7
    assert experiments.RunOptions(quick=True).epochs_or(10, quick=2) == 2
    assert experiments.RunOptions().epochs_or(10, quick=2) == 10


def test_jsonable_turns_numpy_into_python_and_nan_into_null():
    value = {"a": np.float32(1.5), "b": np.array([1, 2]), "c": (math.nan, math.inf), 3: [np.int64(4)]}
    assert experiments.jsonable(value) == {"a": 1.5, "b": [1, 2], "c": [None, None], "3": [4]}
