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


@pytest.mark.parametrize(("kwargs", "name"), [({"seed": -1}, "seed"), ({"threads": 0}, "threads"),
                                                ({"graph_optimizer": "off"}, "graph_optimizer"),
                                                ({"graph_optimizer": 0}, "graph_optimizer")])
def test_configure_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        dltips.configure(**kwargs)


def test_configure_refuses_a_malformed_graph_optimizer_variable(monkeypatch):
    monkeypatch.setenv(runtime.GRAPH_OPTIMIZER_ENV, "off")
    with pytest.raises(ValueError, match="DLTIPS_GRAPH_OPTIMIZER must be 0 or 1"):
        dltips.configure(seed=0)


def test_graph_optimizer_switch_sets_tensorflow_and_the_variable_children_inherit(monkeypatch):
    import tensorflow as tf

    monkeypatch.delenv(runtime.GRAPH_OPTIMIZER_ENV, raising=False)
    try:
        dltips.configure(seed=0, graph_optimizer=False)
        assert tf.config.optimizer.get_experimental_options()["disable_meta_optimizer"] is True
        assert __import__("os").environ[runtime.GRAPH_OPTIMIZER_ENV] == "0"
        dltips.configure(seed=0)  # None: the variable decides, still off
        assert tf.config.optimizer.get_experimental_options()["disable_meta_optimizer"] is True
        dltips.configure(seed=0, graph_optimizer=True)
        assert tf.config.optimizer.get_experimental_options()["disable_meta_optimizer"] is False
        assert __import__("os").environ[runtime.GRAPH_OPTIMIZER_ENV] == "1"
    finally:
        tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": False})


_SAME_WEIGHTS = """
import hashlib, numpy as np, dltips
dltips.configure(seed=0)  # reads DLTIPS_GRAPH_OPTIMIZER, as a worker process does
import keras, tensorflow as tf
from dltips import data, distillation, models
x, y = data.train_subset(300, seed=0)
def digest(model):
    return hashlib.md5(b"".join(np.asarray(w).tobytes() for w in model.get_weights())).hexdigest()
print(tf.config.optimizer.get_experimental_options()["disable_meta_optimizer"])
for build in (lambda: models.mlp((64,), dropout=0.2, seed=0), lambda: models.small_cnn(seed=0)):
    keras.utils.set_random_seed(0)
    model = models.compile_classifier(build(), keras.optimizers.Adam(1e-3), steps_per_execution=4)
    model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    print(digest(model))
run = distillation.distillation_experiment(
    teacher_hidden=(32,), teacher_epochs=1, teacher_train_size=300, student_hidden=(16,),
    student_train_size=300, student_epochs=2, sweep_temperatures=(4,), timing_repeats=1, progress=False)
print(digest(run.models["distilled"]))
"""


def test_the_graph_optimizer_changes_no_weight():
    """With Grappler off, an MLP with dropout, the CNN and a distilled student train to the same bits."""
    import os

    outputs = {}
    for setting in ("1", "0"):
        env = {**os.environ, runtime.GRAPH_OPTIMIZER_ENV: setting}
        done = subprocess.run([sys.executable, "-c", _SAME_WEIGHTS], capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr[-2000:]
        outputs[setting] = done.stdout.split()
    assert outputs["1"][0] == "False" and outputs["0"][0] == "True", "the variable must reach TensorFlow"
    assert len(outputs["0"]) == 4 and outputs["1"][1:] == outputs["0"][1:]


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


def test_progress_draws_a_bar_on_stderr_that_names_each_item_and_reaches_its_end(capsys):
    seen = list(runtime.progress(["a", "b"], "demo", label=str.upper))
    assert seen == ["a", "b"]
    out, err = capsys.readouterr()
    assert out == "", "stdout is kept for results"
    final = err.replace("\r", "\n").strip().splitlines()[-1]
    assert final.startswith("demo: 100%") and "2/2" in final and "B" in final
    list(runtime.progress(["a"], "quiet", enabled=False))
    assert capsys.readouterr() == ("", "")


def test_keras_progress_is_tqdms_callback_and_counts_epochs(capsys):
    import keras
    import numpy as np

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(np.zeros((8, 2)), np.zeros(8), epochs=3, verbose=0, callbacks=runtime.keras_progress("fit"))
    err = capsys.readouterr().err
    assert "fit: 100%" in err and "3/3" in err
    assert runtime.keras_progress("fit", enabled=False) == []
