"""dltips.runtime and the package root: seeding works, bad arguments are refused, import is lazy."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import dltips
from dltips import runtime


def test_configure_makes_random_numbers_repeat():
    import tensorflow as tf

    runtime.configure(seed=7)
    first = (np.random.random(3), tf.random.uniform((3,)).numpy())
    runtime.configure(seed=7)
    again = (np.random.random(3), tf.random.uniform((3,)).numpy())
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])


@pytest.mark.parametrize(("kwargs", "name"), [({"seed": -1}, "seed"), ({"threads": 0}, "threads")])
def test_configure_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        dltips.configure(**kwargs)


def test_import_is_lazy_and_public_names_resolve():
    code = "import sys, dltips; print('tensorflow' in sys.modules); print(sorted(dltips.__all__))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[0] == "False", "import dltips must not import TensorFlow"
    assert dltips.__version__.count(".") == 2
    assert dltips.data.load_mnist is not None and dltips.models.mlp is not None
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        dltips.nonexistent  # noqa: B018


def test_quiet_configure_hides_tensorflow_start_up_noise():
    code = "import dltips; dltips.configure(0); import tensorflow as tf; print(int(tf.constant(2) * 3))"
    env = {k: v for k, v in __import__("os").environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert done.stdout.strip() == "6"
    assert "oneDNN" not in done.stderr and "cuda" not in done.stderr.lower(), done.stderr


def test_progress_draws_a_bar_on_stderr_that_names_each_item_and_reaches_its_end(capsys, monkeypatch):
    monkeypatch.delenv("DLTIPS_PROGRESS", raising=False)  # the test run itself turns bars off
    seen = list(runtime.progress(["a", "b"], "demo", label=str.upper))
    assert seen == ["a", "b"]
    out, err = capsys.readouterr()
    assert out == "", "stdout is kept for results"
    final = err.replace("\r", "\n").strip().splitlines()[-1]
    assert final.startswith("demo: 100%") and "2/2" in final and "B" in final
    list(runtime.progress(["a"], "quiet", enabled=False))
    assert capsys.readouterr() == ("", "")


def test_keras_progress_is_tqdms_callback_and_counts_epochs(capsys, monkeypatch):
    monkeypatch.delenv("DLTIPS_PROGRESS", raising=False)
    import keras
    import numpy as np

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(np.zeros((8, 2)), np.zeros(8), epochs=3, verbose=0, callbacks=runtime.keras_progress("fit"))
    err = capsys.readouterr().err
    assert "fit: 100%" in err and "3/3" in err
    assert runtime.keras_progress("fit", enabled=False) == []


@pytest.mark.parametrize("setting", ["0", "off", "False", " no "])
def test_dltips_progress_turns_every_bar_off_and_nothing_else(capsys, monkeypatch, setting):
    # The book's build and the test runs set it: an executed notebook keeps no bar fragments.
    monkeypatch.setenv("DLTIPS_PROGRESS", setting)
    assert list(runtime.progress(["a", "b"], "demo")) == ["a", "b"]
    with runtime.progress_bar(3, "epochs", unit="epoch") as bar:
        bar.update(3)
    assert runtime.keras_progress("fit") == []
    assert capsys.readouterr() == ("", "")
    monkeypatch.setenv("DLTIPS_PROGRESS", "1")
    assert runtime.progress_enabled(True) and not runtime.progress_enabled(False)
