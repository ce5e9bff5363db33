"""Every public function of the five techniques refuses a bad number before doing any work.

The table below is written from the docstrings: for each public function (and
class) of ``dltips.regularization``, ``schedules``, ``descent``, ``parallel`` and
``distillation`` (plus the parallel entry points that start processes), each
numeric argument with the range its docstring gives. For every argument, each of
a string, NaN, a negative number and zero that lies outside that range must
raise a ``ValueError`` that names the argument, before any data is read, any
model is trained or any process is started. Two more tests keep the table
honest: every numeric argument of every public name is in it (or listed below as
data, with the reason), and every function in it documents its ``ValueError``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf

from dltips import data, descent, distillation, models, parallel, regularization, schedules
from dltips.parallel import allreduce, launcher, mirrored, multiworker, parameter_server

TECHNIQUES = {"regularization": regularization, "schedules": schedules, "descent": descent, "parallel": parallel,
              "distillation": distillation}
PARALLEL_ENTRY_POINTS = {
    "parallel.multiworker.train_custom_loop": multiworker.train_custom_loop,
    "parallel.multiworker.train_multiworker": multiworker.train_multiworker,
    "parallel.parameter_server.train_async": parameter_server.train_async,
    "parallel.mirrored.compare_in_child": mirrored.compare_in_child,
    "parallel.launcher.launch_workers": launcher.launch_workers,
    "parallel.launcher.run_child": launcher.run_child,
    "parallel.allreduce.replica_gradients": allreduce.replica_gradients,
    "parallel.multiworker.MultiWorkerSettings": multiworker.MultiWorkerSettings,
    "parallel.multiworker.worker_args": multiworker.worker_args,
    "parallel.parameter_server.AsyncSettings": parameter_server.AsyncSettings,
    "parallel.mirrored.MirroredSettings": mirrored.MirroredSettings,
}


# --- accepted ranges, and the bad values each one refuses --------------------------------------


@dataclass(frozen=True)
class Range:
    """An accepted range; ``refused`` gives the string, NaN, negative and zero values it excludes."""

    name: str
    integer: bool = False
    negative_ok: bool = False
    zero_ok: bool = False
    wrap: Callable[[Any], Any] = lambda v: v  # a sequence argument gets each bad value as one of its items

    def refused(self) -> dict[str, Any]:
        bad = {"a string": "2" if self.integer else "0.5", "NaN": math.nan}
        if not self.negative_ok:
            bad["a negative"] = -1 if self.integer else -0.5
        if not self.zero_ok:
            bad["zero"] = 0 if self.integer else 0.0
        return {label: self.wrap(value) for label, value in bad.items()}


POSITIVE = Range("a number > 0")
NONNEGATIVE = Range("a number >= 0", zero_ok=True)
RATE = Range("a number in [0, 1)", zero_ok=True)
UNIT = Range("a number in [0, 1]", zero_ok=True)
FRACTION = Range("a number in (0, 1]")
REAL = Range("any finite number", negative_ok=True, zero_ok=True)
COUNT = Range("an integer >= 1", integer=True)
INDEX = Range("an integer >= 0", integer=True, zero_ok=True)
SEED = Range("an integer >= 0 (a NumPy seed)", integer=True, zero_ok=True)
ANY_INT = Range("any integer", integer=True, negative_ok=True, zero_ok=True)
TWO_OR_MORE = Range("an integer >= 2", integer=True)
MORE_THAN_256 = Range("an integer > 256 (more examples than the largest mini-batch)", integer=True)
SIZES = Range("layer sizes, integers >= 1", integer=True, wrap=lambda v: (4, v))
POSITIVES = Range("numbers > 0", wrap=lambda v: (1.0, v))
SIZE = Range("(width, height), numbers > 0", wrap=lambda v: (3.0, v))
TEMPERATURE_KEYS = Range("temperatures > 0 as keys", wrap=lambda v: {1.0: 10, v: 12})
UNITS = Range("numbers in [0, 1]", zero_ok=True, wrap=lambda v: (0.5, v))
REALS = Range("finite numbers", negative_ok=True, zero_ok=True, wrap=lambda v: (1.0, v))
NONNEGATIVES = Range("numbers >= 0", zero_ok=True, wrap=lambda v: (0.0, v))
BATCHES = Range("batch sizes, integers >= 1", integer=True, wrap=lambda v: (4, v))
SEEDS = Range("distinct integers >= 0 (NumPy seeds)", integer=True, zero_ok=True, wrap=lambda v: (1, v))
CLASS = Range("a class label, an integer >= 0 below the number of classes", integer=True, zero_ok=True)
SUBSET = Range("an integer in 20..54210 (a class-balanced subset of the training images)", integer=True)


# --- the table: function -> (call with defaults, argument -> accepted range) --------------------

W = np.ones(3, "float32")
X = np.random.default_rng(0).random((16, 4), dtype=np.float32)
Y = np.arange(16) % 3
LOGITS = np.array([[2.0, 0.0, -1.0]], "float32")
IMAGES = np.zeros((16, 28, 28), "float32")  # for the paper-sized models, which take MNIST images


class StartedWork(Exception):
    """Raised by the guards when a function reads data, trains or starts a process."""


@pytest.fixture(scope="module")
def tiny():
    """A tiny classifier (4 inputs, 3 classes) and a distiller, for the functions that take models."""
    model = models.mlp((), input_shape=(4,), num_classes=3, seed=0)
    teacher = models.mlp((4,), input_shape=(4,), num_classes=3, seed=1)
    return {"model": model, "teacher": teacher, "distiller": distillation.Distiller(teacher, models.mlp(
        (), input_shape=(4,), num_classes=3, seed=2))}


@pytest.fixture
def no_work(monkeypatch):
    """Any data read, training run or process start fails the test: arguments must be refused before."""

    def refuse(*args, **kwargs):
        raise StartedWork("the function started working before refusing its argument")

    for module, name in ((data, "load_mnist"), (data, "train_subset"), (launcher, "_start"),
                         (keras.Model, "fit"), (keras.Model, "predict")):
        monkeypatch.setattr(module, name, refuse)


def _call(function: Callable, *args: Any, **defaults: Any) -> Callable[..., Any]:
    return lambda tiny, **bad: function(*args, **{**defaults, **bad})


def _with(key: str, function: Callable, *args: Any, **defaults: Any) -> Callable[..., Any]:
    """A call whose first argument is one of the ``tiny`` fixture's models."""
    return lambda tiny, **bad: function(tiny[key], *args, **{**defaults, **bad})


def _descent_step(tiny, **bad):
    model = tiny["model"]
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return descent.gradient_descent_step(model, loss, tf.constant(X[:4]), tf.constant(Y[:4]),
                                         descent.make_velocities(model.trainable_variables),
                                         **{"learning_rate": 0.1, "momentum": 0.9, **bad})


def _sgd_update(tiny, **bad):
    w = [tf.Variable([1.0])]
    return descent.apply_sgd_update(w, [tf.constant([1.0])], descent.make_velocities(w),
                                    **{"learning_rate": 0.1, "momentum": 0.9, **bad})


TRAINING = dict(batch_size=4, learning_rate=0.1, epochs=1, momentum=0.0, seed=0)
LOOP = dict(steps=2, global_batch_size=8, learning_rate=0.1, hidden=(4,), seed=0)
OMITTED = dict(train_size=20, validation_size=10, teacher_hidden=(4,), teacher_epochs=1, student_hidden=(4,),
               student_epochs=1, bias_shifts=(0.0, 1.0), batch_size=8, test_size=10, seed=0)

HESSIAN = np.diag([1.0, 0.3])
TABLE: dict[str, tuple[Callable[..., Any], dict[str, Range]]] = {
    # regularization
    "regularization.high_dimensional_regression": (
        _call(regularization.high_dimensional_regression, lams=(0.0, 1.0), n_train=4, n_test=4, dim=3, epochs=1),
        {"lams": NONNEGATIVES, "n_train": COUNT, "n_test": COUNT, "dim": COUNT, "epochs": COUNT, "batch_size": COUNT,
         "learning_rate": POSITIVE, "seed": SEED}),
    "regularization.train_with_early_stopping": (
        _call(regularization.train_with_early_stopping, n_train=20, n_val=10, hidden=(4,), epochs=1),
        {"patience": COUNT, "n_train": COUNT, "n_val": COUNT, "hidden": SIZES, "epochs": COUNT, "batch_size": COUNT,
         "learning_rate": POSITIVE, "seed": SEED, "data_seed": SEED}),
    "regularization.constrained_minimum": (_call(regularization.constrained_minimum, (1.6, 0.7), HESSIAN, radius=1.0,
                                                 norm="l2"), {"radius": POSITIVE}),
    "regularization.draw_constraint_regions": (_call(regularization.draw_constraint_regions),
                                               {"radius": POSITIVE, "size": SIZE}),
    "regularization.draw_dropout_subnetworks": (_call(regularization.draw_dropout_subnetworks),
                                                {"layers": SIZES, "thinned": COUNT, "rate": RATE, "seed": SEED,
                                                 "size": SIZE}),
    "regularization.l1_penalty": (_call(regularization.l1_penalty, W, lam=0.1), {"lam": NONNEGATIVE}),
    "regularization.l2_penalty": (_call(regularization.l2_penalty, W, lam=0.1), {"lam": NONNEGATIVE}),
    "regularization.elastic_net_penalty": (_call(regularization.elastic_net_penalty, W, l1=0.1, l2=0.1),
                                           {"l1": NONNEGATIVE, "l2": NONNEGATIVE}),
    "regularization.article_to_keras_lambda": (_call(regularization.article_to_keras_lambda, lam=1.0, m=100),
                                               {"lam": NONNEGATIVE, "m": COUNT}),
    "regularization.keras_to_article_lambda": (_call(regularization.keras_to_article_lambda, lam=1.0, m=100),
                                               {"lam": NONNEGATIVE, "m": COUNT}),
    "regularization.dropout": (_call(regularization.dropout, W, rate=0.5, training=True, seed=0),
                               {"rate": RATE, "seed": ANY_INT}),
    "regularization.l2_to_weight_decay": (_call(regularization.l2_to_weight_decay, lam=0.1), {"lam": NONNEGATIVE}),
    "regularization.sgd_step_l2": (_call(regularization.sgd_step_l2, W, W, learning_rate=0.1, lam=0.1),
                                   {"learning_rate": POSITIVE, "lam": NONNEGATIVE}),
    "regularization.sgd_step_weight_decay": (_call(regularization.sgd_step_weight_decay, W, W, learning_rate=0.1,
                                                   decay=0.1), {"learning_rate": POSITIVE, "decay": NONNEGATIVE}),
    "regularization.keras_l2_vs_weight_decay": (
        _call(regularization.keras_l2_vs_weight_decay, lam=1e-3, learning_rate=0.1, steps=2, batch_size=4, seed=0),
        {"lam": NONNEGATIVE, "learning_rate": POSITIVE, "momentum": UNIT, "steps": COUNT, "batch_size": COUNT,
         "seed": SEED}),
    "regularization.Variant": (_call(regularization.Variant, "v"),
                               {"l1": NONNEGATIVE, "l2": NONNEGATIVE, "dropout": RATE, "input_dropout": RATE}),
    "regularization.default_variants": (_call(regularization.default_variants),
                                        {"l1": NONNEGATIVE, "l2": NONNEGATIVE, "dropout": RATE, "input_dropout": RATE}),
    "regularization.compare_regularizers": (
        _call(regularization.compare_regularizers, n_train=100, n_val=100, hidden=(8,), epochs=1, batch_size=32,
              learning_rate=0.1, seed=0, data_seed=0, progress=False),
        {"n_train": COUNT, "n_val": COUNT, "hidden": SIZES, "epochs": COUNT, "batch_size": COUNT,
         "learning_rate": POSITIVE, "seed": SEED, "data_seed": SEED}),
    "regularization.plot_regularization_curves": (_call(regularization.plot_regularization_curves, None),
                                                  {"columns": COUNT, "size": SIZE}),
    "regularization.plot_weight_histograms": (_call(regularization.plot_weight_histograms, None),
                                              {"bins": TWO_OR_MORE, "limit": POSITIVE, "size": SIZE}),
    # schedules
    "schedules.Constant": (_call(schedules.Constant, initial_learning_rate=0.1), {"initial_learning_rate": POSITIVE}),
    "schedules.ExponentialDecay": (_call(schedules.ExponentialDecay, initial_learning_rate=0.1, decay_rate=0.5,
                                         decay_steps=10),
                                   {"initial_learning_rate": POSITIVE, "decay_rate": FRACTION, "decay_steps": POSITIVE}),
    "schedules.LinearDecay": (_call(schedules.LinearDecay, initial_learning_rate=0.1, total_steps=10),
                              {"initial_learning_rate": POSITIVE, "total_steps": COUNT, "end_learning_rate": NONNEGATIVE}),
    "schedules.StepDecay": (_call(schedules.StepDecay, initial_learning_rate=0.1, gamma=0.5, step_size=10),
                            {"initial_learning_rate": POSITIVE, "gamma": FRACTION, "step_size": COUNT}),
    "schedules.InverseTimeDecay": (_call(schedules.InverseTimeDecay, initial_learning_rate=0.1, decay=0.01),
                                   {"initial_learning_rate": POSITIVE, "decay": NONNEGATIVE}),
    "schedules.CosineDecay": (_call(schedules.CosineDecay, initial_learning_rate=0.1, total_steps=10),
                              {"initial_learning_rate": POSITIVE, "total_steps": COUNT, "warmup_steps": INDEX,
                               "min_learning_rate": NONNEGATIVE}),
    "schedules.learning_rates": (_call(schedules.learning_rates, schedules.constant(0.1), steps=5), {"steps": INDEX}),
    "schedules.ScheduleBudget": (_call(schedules.ScheduleBudget, n_train=256, epochs=2, batch_size=64, peak=1.0),
                                 {"n_train": COUNT, "epochs": COUNT, "batch_size": COUNT, "peak": POSITIVE}),
    "schedules.book_schedules": (_call(schedules.book_schedules, total_steps=100, steps_per_epoch=10, peak=1.0),
                                 {"total_steps": TWO_OR_MORE, "steps_per_epoch": COUNT, "peak": POSITIVE}),
    "schedules.compare_schedules": (_call(schedules.compare_schedules, ["linear"], n_test=100, hidden=(8,), seed=0,
                                          progress=False),
                                    {"n_test": COUNT, "hidden": SIZES, "seed": SEED}),
    "schedules.train_with_schedule": (_call(schedules.train_with_schedule, learning_rate=0.1, x_train=X, y_train=Y,
                                            x_test=X, y_test=Y, epochs=1, batch_size=8,
                                            hidden=(4,), seed=0),
                                      {"learning_rate": POSITIVE, "epochs": COUNT, "batch_size": COUNT, "hidden": SIZES,
                                       "seed": SEED}),
    "schedules.plot_learning_rates": (_call(schedules.plot_learning_rates, {"a": [0.1, 0.2]}),
                                      {"steps_per_epoch": COUNT}),
    "schedules.plot_schedule_runs": (_call(schedules.plot_schedule_runs, {"a": [0.1, 0.2]}, {"a": [1.0]}),
                                     {"steps_per_epoch": COUNT}),
    # descent
    "descent.apply_sgd_update": (_sgd_update, {"learning_rate": POSITIVE, "momentum": UNIT}),
    "descent.gradient_descent_step": (_descent_step, {"learning_rate": POSITIVE, "momentum": UNIT}),
    "descent.epoch_batches": (_call(descent.epoch_batches, num_examples=10, batch_size=4, epoch=0, seed=0),
                              {"num_examples": COUNT, "batch_size": COUNT, "epoch": INDEX, "seed": SEED}),
    "descent.train_gradient_descent": (_with("model", descent.train_gradient_descent, x=X, y=Y, **TRAINING),
                                       {"batch_size": COUNT, "learning_rate": POSITIVE, "epochs": COUNT,
                                        "momentum": UNIT, "seed": SEED, "eval_at": COUNT}),
    "descent.train_with_keras_sgd": (_with("model", descent.train_with_keras_sgd, x=X, y=Y, **TRAINING),
                                     {"batch_size": COUNT, "learning_rate": POSITIVE, "epochs": COUNT, "momentum": UNIT,
                                      "seed": SEED}),
    "descent.ridge_closed_form": (_call(descent.ridge_closed_form, X, Y, lam=0.1), {"lam": NONNEGATIVE}),
    "descent.ridge_model": (_call(descent.ridge_model, num_features=2, lam=0.1, num_examples=10),
                            {"num_features": COUNT, "lam": NONNEGATIVE, "num_examples": COUNT}),
    "descent.ridge_objective": (_call(descent.ridge_objective, np.ones(4), b=0.0, x=X, y=Y, lam=0.1),
                                {"b": REAL, "lam": NONNEGATIVE}),
    "descent.valley_problem": (_call(descent.valley_problem, num_examples=40, seed=0),
                               {"num_examples": TWO_OR_MORE, "seed": SEED}),
    "descent.race_settings": (_call(descent.race_settings, n=1000), {"n": MORE_THAN_256}),
    "descent.descent_race": (_call(descent.descent_race, n=1000, epochs=1, target_loss=0.5, seed=0, progress=False),
                             {"n": MORE_THAN_256, "epochs": COUNT, "target_loss": POSITIVE, "seed": SEED}),
    "descent.plot_descent_paths": (_call(descent.plot_descent_paths, lambda w: w[:, 0] ** 2, {"a": np.zeros((2, 2))}),
                                   {"levels": COUNT}),
    # parallel
    "parallel.scaling_experiment": (_call(parallel.scaling_experiment, n=512, global_batch_size=64, hidden=(8,),
                                          epochs=1, seed=0, progress=False),
                                    {"n": TWO_OR_MORE, "global_batch_size": TWO_OR_MORE, "hidden": SIZES, "epochs": COUNT,
                                     "seed": SEED}),
    "parallel.plot_async_training": (_call(parallel.plot_async_training, [1.0, 0.5], [1.0, 0.4], [0, 1]),
                                     {"window": COUNT}),
    "parallel.multiworker.train_custom_loop": (_call(multiworker.train_custom_loop, X, Y, **LOOP),
                                               {"steps": COUNT, "global_batch_size": COUNT, "learning_rate": POSITIVE,
                                                "hidden": SIZES, "seed": SEED, "checkpoint_every": INDEX,
                                                "warmup_steps": INDEX}),
    "parallel.multiworker.train_multiworker": (
        _call(multiworker.train_multiworker, X, Y, num_workers=2, threads=1, timeout=60, **LOOP),
        {"num_workers": COUNT, "steps": COUNT, "global_batch_size": COUNT, "learning_rate": POSITIVE, "hidden": SIZES,
         "seed": SEED, "checkpoint_every": INDEX, "warmup_steps": INDEX, "threads": COUNT, "crash_at_step": COUNT,
         "timeout": POSITIVE}),
    "parallel.parameter_server.train_async": (
        _call(parameter_server.train_async, X, Y, num_workers=2, num_ps=1, steps=2, batch_size=8, learning_rate=0.1,
              hidden=(4,), seed=0, timeout=60),
        {"num_workers": COUNT, "num_ps": COUNT, "steps": COUNT, "batch_size": COUNT, "learning_rate": POSITIVE,
         "hidden": SIZES, "seed": SEED, "timeout": POSITIVE}),
    "parallel.mirrored.compare_in_child": (
        _call(mirrored.compare_in_child, X, Y, num_replicas=2, global_batch_size=8, epochs=1, learning_rate=0.1,
              hidden=(4,), seed=0, timeout=60),
        {"num_replicas": COUNT, "global_batch_size": COUNT, "epochs": COUNT, "learning_rate": POSITIVE,
         "hidden": SIZES, "seed": SEED, "timeout": POSITIVE}),
    "parallel.launcher.launch_workers": (_call(launcher.launch_workers, ["-c", "pass"], num_workers=2, timeout=60),
                                         {"num_workers": COUNT, "timeout": POSITIVE}),
    "parallel.launcher.run_child": (_call(launcher.run_child, ["-c", "pass"], timeout=60), {"timeout": POSITIVE}),
    "parallel.multiworker.MultiWorkerSettings": (
        _call(multiworker.MultiWorkerSettings, crash_at_step=3, **LOOP),
        {"steps": COUNT, "global_batch_size": COUNT, "learning_rate": POSITIVE, "hidden": SIZES, "seed": SEED,
         "checkpoint_every": INDEX, "warmup_steps": INDEX, "threads": COUNT, "log_every": COUNT, "crash_at_step": COUNT,
         "crash_worker": INDEX}),
    "parallel.multiworker.worker_args": (
        _call(multiworker.worker_args, "mnist", "out", threads=1, crash_at_step=3, **LOOP),
        {"steps": COUNT, "global_batch_size": COUNT, "learning_rate": POSITIVE, "hidden": SIZES, "seed": SEED,
         "checkpoint_every": INDEX, "warmup_steps": INDEX, "threads": COUNT, "log_every": COUNT, "crash_at_step": COUNT,
         "crash_worker": INDEX}),
    "parallel.parameter_server.AsyncSettings": (
        _call(parameter_server.AsyncSettings),
        {"num_workers": COUNT, "num_ps": COUNT, "steps": COUNT, "batch_size": COUNT, "learning_rate": POSITIVE,
         "hidden": SIZES, "seed": SEED}),
    "parallel.mirrored.MirroredSettings": (
        _call(mirrored.MirroredSettings, num_replicas=1),
        {"num_replicas": COUNT, "global_batch_size": COUNT, "epochs": COUNT, "learning_rate": POSITIVE,
         "hidden": SIZES, "seed": SEED}),
    # distillation
    "distillation.soft_targets": (_call(distillation.soft_targets, LOGITS, temperature=2.0), {"temperature": POSITIVE}),
    "distillation.distillation_loss": (_call(distillation.distillation_loss, LOGITS, LOGITS, temperature=2.0),
                                       {"temperature": POSITIVE}),
    "distillation.soft_loss_gradient_norm": (_call(distillation.soft_loss_gradient_norm, LOGITS, LOGITS,
                                                   temperature=2.0), {"temperature": POSITIVE}),
    "distillation.Distiller.compile": (lambda tiny, **bad: tiny["distiller"].compile("sgd", **bad),
                                       {"alpha": UNIT, "temperature": POSITIVE}),
    "distillation.pseudo_label": (_with("teacher", distillation.pseudo_label, X), {"batch_size": COUNT}),
    "distillation.distillation_experiment": (
        _call(distillation.distillation_experiment, progress=False),
        {"teacher_hidden": SIZES, "teacher_dropout": RATE, "teacher_epochs": COUNT, "teacher_train_size": COUNT,
         "student_hidden": SIZES, "student_epochs": COUNT, "student_train_size": COUNT, "alpha": UNIT,
         "temperature": POSITIVE, "sweep_temperatures": POSITIVES, "batch_size": COUNT, "learning_rate": POSITIVE,
         "timing_repeats": COUNT, "seed": SEED}),
    "distillation.plot_soft_targets": (_call(distillation.plot_soft_targets, [2.0, 0.0]), {"temperatures": POSITIVES}),
    "distillation.plot_gradient_scale": (lambda tiny, temperatures: distillation.plot_gradient_scale(
        temperatures, [1.0, 1.0], [1.0, 0.5]), {"temperatures": POSITIVES}),
    "distillation.plot_temperature_sweep": (lambda tiny, sweep: distillation.plot_temperature_sweep(sweep),
                                            {"sweep": TEMPERATURE_KEYS}),
    # distillation at the paper's size, and the omitted digit
    "distillation.SoftTargetLoss": (_call(distillation.SoftTargetLoss, temperature=2.0, alpha=0.1),
                                    {"temperature": POSITIVE, "alpha": UNIT}),
    "distillation.PaperRecipe": (
        _call(distillation.PaperRecipe.tiny),
        {"teacher_hidden": SIZES, "teacher_input_dropout": RATE, "teacher_dropout": RATE, "max_shift": INDEX,
         "teacher_epochs": COUNT, "teacher_learning_rate": POSITIVE, "student_hidden": SIZES, "temperature": POSITIVE,
         "alpha": UNIT, "compact_hidden": SIZES, "compact_temperatures": POSITIVES, "compact_alphas": UNITS,
         "student_sweep": POSITIVES, "student_epochs": COUNT, "compact_epochs": COUNT,
         "student_learning_rate": POSITIVE, "validation_size": COUNT, "seeds": SEEDS, "batch_size": COUNT,
         "train_size": SUBSET, "test_size": COUNT}),
    "distillation.RandomShift": (_call(distillation.RandomShift, max_shift=2, seed=0),
                                 {"max_shift": INDEX, "seed": SEED}),
    "distillation.build_teacher": (_call(distillation.build_teacher, hidden=(4,), max_shift=2, seed=0),
                                   {"hidden": SIZES, "dropout": RATE, "input_dropout": RATE, "max_shift": INDEX,
                                    "seed": SEED}),
    "distillation.build_student": (_call(distillation.build_student, hidden=(4,), seed=0),
                                   {"hidden": SIZES, "seed": SEED}),
    "distillation.train_teacher": (
        _call(distillation.train_teacher, IMAGES, Y, hidden=(4,), max_shift=2, epochs=1, batch_size=8, seed=0),
        {"hidden": SIZES, "dropout": RATE, "input_dropout": RATE, "max_shift": INDEX, "epochs": COUNT,
         "learning_rate": POSITIVE, "batch_size": COUNT, "max_steps_per_execution": COUNT, "seed": SEED}),
    "distillation.teacher_logits": (_with("teacher", distillation.teacher_logits, X, batch_size=8),
                                    {"batch_size": COUNT}),
    "distillation.train_student": (
        _call(distillation.train_student, IMAGES, Y, hidden=(4,), temperature=2.0, alpha=0.1, epochs=1,
              learning_rate=0.1, batch_size=8, seed=0),
        {"hidden": SIZES, "temperature": POSITIVE, "alpha": UNIT, "epochs": COUNT, "learning_rate": POSITIVE,
         "batch_size": COUNT, "max_steps_per_execution": COUNT, "seed": SEED, "init_seed": SEED}),
    "distillation.paper_experiment": (_call(distillation.paper_experiment, distillation.PaperRecipe.tiny(),
                                            progress=False, timing_repeats=1), {"timing_repeats": COUNT}),
    "distillation.without_class": (_call(distillation.without_class, X, Y, omitted=1), {"omitted": CLASS}),
    "distillation.raise_class_bias": (_with("model", distillation.raise_class_bias, cls=1, shift=1.0),
                                      {"cls": CLASS, "shift": REAL}),
    "descent.contraction_factors": (_call(descent.contraction_factors, (0.1, 1.0), learning_rate=0.5),
                                    {"learning_rate": POSITIVE, "momentum": RATE}),
    "descent.measured_contraction": (_call(descent.measured_contraction, 0.5 ** np.arange(10.0), start=1, stop=5),
                                     {"start": INDEX, "stop": COUNT}),
    "descent.optimal_gradient_descent": (_call(descent.optimal_gradient_descent, lam_min=0.1, lam_max=1.0),
                                         {"lam_min": POSITIVE, "lam_max": POSITIVE}),
    "descent.optimal_heavy_ball": (_call(descent.optimal_heavy_ball, lam_min=0.1, lam_max=1.0),
                                   {"lam_min": POSITIVE, "lam_max": POSITIVE}),
    "descent.quadratic_descent_errors": (_call(descent.quadratic_descent_errors, HESSIAN, (1.0, 1.0), learning_rate=0.5,
                                               steps=3), {"learning_rate": POSITIVE, "steps": COUNT, "momentum": RATE}),
    "descent.velocity_from_gradients": (_call(descent.velocity_from_gradients, np.ones((3, 2)), learning_rate=0.1,
                                              momentum=0.9), {"learning_rate": POSITIVE, "momentum": RATE}),
    "descent.common_rate_losses": (_call(descent.common_rate_losses, n=300, batch_sizes=(4, 8), updates=2),
                                   {"n": COUNT, "learning_rates": POSITIVES, "batch_sizes": BATCHES, "updates": COUNT,
                                    "seed": SEED}),
    "descent.plot_momentum_valley": (_call(descent.plot_momentum_valley, steps=3),
                                     {"curvatures": POSITIVES, "start": REALS, "learning_rates": POSITIVES,
                                      "momentum": RATE, "steps": COUNT}),
    "parallel.draw_data_parallelism": (_call(parallel.draw_data_parallelism), {"num_workers": TWO_OR_MORE}),
    "parallel.draw_ring_allreduce": (_call(parallel.draw_ring_allreduce), {"num_workers": TWO_OR_MORE}),
    "parallel.allreduce.replica_gradients": (_with("model", allreduce.replica_gradients, X[:8], Y[:8], num_replicas=2),
                                             {"num_replicas": COUNT}),
    "distillation.draw_distillation": (_call(distillation.draw_distillation), {"temperature": POSITIVE, "alpha": UNIT}),
    "distillation.choose_bias_shift": (_call(distillation.choose_bias_shift, LOGITS, Y[:1], cls=1, shifts=(0.0, 1.0)),
                                       {"cls": CLASS, "shifts": REALS}),
    "distillation.OmittedDigitSettings": (
        _call(distillation.OmittedDigitSettings, **OMITTED),
        {"omitted": CLASS, "train_size": SUBSET, "validation_size": COUNT, "teacher_hidden": SIZES,
         "teacher_epochs": COUNT, "teacher_dropout": RATE, "teacher_input_dropout": RATE, "max_shift": INDEX,
         "student_hidden": SIZES, "student_epochs": COUNT, "temperature": POSITIVE, "alpha": UNIT,
         "bias_shifts": REALS, "batch_size": COUNT, "test_size": COUNT, "seed": SEED}),
    "distillation.omitted_digit_experiment": (
        _call(distillation.omitted_digit_experiment, **OMITTED),
        {"omitted": CLASS, "train_size": SUBSET, "validation_size": COUNT, "teacher_hidden": SIZES,
         "teacher_epochs": COUNT, "teacher_dropout": RATE, "teacher_input_dropout": RATE, "max_shift": INDEX,
         "student_hidden": SIZES, "student_epochs": COUNT, "temperature": POSITIVE, "alpha": UNIT,
         "bias_shifts": REALS, "batch_size": COUNT, "test_size": COUNT, "seed": SEED}),
}

# Public names with no argument of their own to check, and numeric-looking arguments that are data, not
# settings (what a plot draws, the arrays a loss is computed on): the completeness test skips these.
NOT_SETTINGS = {
    "regularization.NEAR_ZERO": "a constant",
    "regularization.RegularizationResult": "a result, made by compare_regularizers",
    "regularization.VariantResult": "a result",
    "regularization.EarlyStoppingResult": "a result, made by train_with_early_stopping",
    "regularization.RegressionFit": "a result, made by high_dimensional_regression",
    "regularization.constrained_minimum.center": "a point (data)",
    "regularization.draw_constraint_regions.center": "a point to draw (data)",
    "regularization.constrained_minimum.hessian": "a loss's curvature (data)",
    "regularization.draw_constraint_regions.hessian": "a loss's curvature to draw (data)",
    "descent.Tuning": "a result, made by optimal_gradient_descent and optimal_heavy_ball",
    "descent.measured_contraction.errors": "errors to fit (data)",
    "descent.contraction_factors.eigenvalues": "a Hessian's eigenvalues (data)",
    "descent.quadratic_descent_errors.start_error": "a starting point (data)",
    "distillation.draw_distillation.logits": "logits to draw (data)",
    "schedules.LearningRateRecorder": "takes no argument",
    "schedules.ScheduleComparison": "a result, made by compare_schedules",
    "schedules.ScheduleRun": "a result",
    "descent.LossFn": "a type",
    "descent.DescentHistory": "a result, made by train_gradient_descent",
    "descent.DescentRace": "a result",
    "descent.ValleyProblem": "a problem's arrays, made by valley_problem",
    "parallel.ScalingResult": "a result, made by scaling_experiment",
    "parallel.ParallelRecording": "a recording, read by ParallelRecording.recorded",
    "parallel.RecordedJob": "a row of a recording",
    "schedules.SeedRecording": "a recording, read by SeedRecording.recorded",
    "schedules.SeedRun": "a row of a recording",
    "distillation.PAPER_ERRORS": "a constant",
    "distillation.PAPER_MODELS": "a constant",
    "distillation.DistillationResult": "a result",
    "distillation.ModelReport": "a result",
    "distillation.Distiller": "its numbers are compile's (Distiller.compile in the table)",
    "distillation.PaperDistillationResult": "a result, made by paper_experiment",
    "distillation.StudentComparison": "a result, made by paper_experiment",
    "distillation.OmittedDigitResult": "a result, made by omitted_digit_experiment",
    "descent.plot_descent_paths.minimum": "a point to mark (data)",
    "descent.plot_descent_paths.limits": "axis limits, any numbers (data)",
    "parallel.plot_scaling.measured": "throughputs to draw (data)",
    "parallel.plot_scaling.projected": "throughputs to draw (data)",
    "parallel.plot_scaling.fitted": "throughputs to draw (data)",
    "parallel.plot_async_training.async_losses": "losses to draw (data)",
    "parallel.plot_async_training.sync_losses": "losses to draw (data)",
    "parallel.plot_async_training.staleness": "staleness values to draw (data)",
    "schedules.plot_learning_rates.curves": "rates to draw (data)",
    "schedules.plot_schedule_runs.step_rates": "rates to draw (data)",
    "schedules.plot_schedule_runs.epoch_loss": "losses to draw (data)",
    "distillation.plot_soft_targets.logits": "logits to draw (data)",
    "distillation.plot_gradient_scale.with_t_squared": "norms to draw (data)",
    "distillation.plot_gradient_scale.without_t_squared": "norms to draw (data)",
    "distillation.plot_temperature_sweep.baselines": "error counts to draw (data)",
    "distillation.plot_student_errors.teacher_errors": "an error count to draw (data)",
    "distillation.plot_student_errors.students": "error counts to draw (data)",
    "distillation.plot_student_errors.paper": "the paper's error counts to draw (data)",
    "distillation.plot_bias_shift.validation_errors": "error counts to draw (data)",
    "distillation.plot_bias_shift.chosen": "the shift to mark, one of validation_errors (data)",
    "distillation.gap_recovered.scratch": "an error count (data)",
    "distillation.gap_recovered.distilled": "an error count (data)",
    "distillation.gap_recovered.teacher": "an error count (data)",
    "parallel.multiworker.train_multiworker.crash_worker": "an index checked against num_workers (see test_parallel)",
    "parallel.multiworker.train_multiworker.ports": "port numbers (see test_parallel_launcher)",
    "parallel.launcher.launch_workers.ports": "port numbers (see test_parallel_launcher)",
    "parallel.multiworker.train_custom_loop.on_step": "a callback",
}

CASES = [
    pytest.param(name, argument, label, value, id=f"{name}-{argument}-{label}")
    for name, (_, ranges) in TABLE.items()
    for argument, accepted in ranges.items()
    for label, value in accepted.refused().items()
]


@pytest.mark.parametrize(("name", "argument", "label", "value"), CASES)
def test_bad_number_is_refused_before_any_work(name, argument, label, value, tiny, no_work):
    call, _ = TABLE[name]
    with pytest.raises(ValueError, match=argument):
        call(tiny, **{argument: value})


def _public(module_name: str, module: Any) -> dict[str, Any]:
    return {f"{module_name}.{n}": getattr(module, n) for n in module.__all__}


def _numeric(annotation: Any) -> bool:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    return any(word in text for word in ("int", "float"))


def test_the_table_covers_every_numeric_argument_of_every_public_name():
    public = {name: obj for mod_name, mod in TECHNIQUES.items() for name, obj in _public(mod_name, mod).items()}
    public.update(PARALLEL_ENTRY_POINTS)
    covered = {id(public[name]) for name in TABLE if name in public}
    missing = []
    for name, obj in public.items():
        if name in NOT_SETTINGS or (name not in TABLE and id(obj) in covered):  # an alias of a name in the table
            continue
        parameters = inspect.signature(obj).parameters.values() if callable(obj) else ()
        if name not in TABLE:
            if any(_numeric(p.annotation) and f"{name}.{p.name}" not in NOT_SETTINGS for p in parameters):
                missing.append(name)
            continue
        for parameter in parameters:
            qualified = f"{name}.{parameter.name}"
            if _numeric(parameter.annotation) and parameter.name not in TABLE[name][1] and qualified not in NOT_SETTINGS:
                missing.append(qualified)
    assert not missing, f"numeric arguments missing from the table: {missing}"


@pytest.mark.parametrize("name", list(TABLE))
def test_every_function_of_the_table_documents_its_value_error(name):
    module_name, _, attribute = name.partition(".")
    if name in PARALLEL_ENTRY_POINTS:
        obj = PARALLEL_ENTRY_POINTS[name]
    elif attribute == "Distiller.compile":
        obj = distillation.Distiller.compile
    else:
        obj = getattr(TECHNIQUES[module_name], attribute)
    doc = inspect.getdoc(obj.__init__ if inspect.isclass(obj) and "Raises:" not in (obj.__doc__ or "") else obj) or ""
    doc = doc + (inspect.getdoc(obj) or "")
    raises = doc.split("Raises:", 1)[1] if "Raises:" in doc else ""
    assert "ValueError" in raises, f"{name} refuses bad numbers: its docstring must say so under Raises"
