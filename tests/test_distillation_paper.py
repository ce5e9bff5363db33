"""dltips.distillation at the paper's size: training (jitter, one trainer), the recipe, the paper run, the omitted digit."""

from __future__ import annotations

import json

import dltips

dltips.configure(seed=0)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dltips import costs, models  # noqa: E402
from dltips.distillation import (  # noqa: E402
    Distiller,
    OmittedDigitSettings,
    PaperDistillationResult,
    PaperRecipe,
    RandomShift,
    SoftTargetLoss,
    StudentComparison,
    build_student,
    build_teacher,
    choose_bias_shift,
    gap_recovered,
    omitted_digit_experiment,
    pack_targets,
    paper_experiment,
    raise_class_bias,
    train_student,
    train_teacher,
    without_class,
)


def _dots(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Images with one bright pixel each, away from the border (so any shift of up to 4 keeps it inside)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 28, 28), "float32")
    rows, cols = rng.integers(4, 24, size=n), rng.integers(4, 24, size=n)
    x[np.arange(n), rows, cols] = 1.0
    return x, np.stack([rows, cols], axis=1)


# --- jitter ---------------------------------------------------------------------------------


@pytest.mark.parametrize("max_shift", [1, 2, 3])
def test_jitter_moves_each_image_by_whole_pixels_up_to_max_shift(max_shift):
    x, where = _dots(512)
    moved = np.asarray(RandomShift(max_shift, seed=1)(x, training=True))
    assert moved.shape == x.shape
    assert np.array_equal(moved.sum(axis=(1, 2)), np.ones(512))  # one pixel, moved whole, never blurred
    assert set(np.unique(moved).tolist()) == {0.0, 1.0}
    new = np.array([np.argwhere(m)[0] for m in moved])
    shift = new - where
    assert np.abs(shift).max() == max_shift  # up to, and (over 512 images) reaching, max_shift
    assert {tuple(s) for s in shift.tolist()} == {(dy, dx) for dy in range(-max_shift, max_shift + 1)
                                                   for dx in range(-max_shift, max_shift + 1)}


def test_jitter_is_per_image_and_fills_with_zeros():
    x = np.ones((64, 28, 28), "float32")
    moved = np.asarray(RandomShift(2, seed=0)(x, training=True))
    # A shift of (dy, dx) leaves |dy| rows and |dx| columns of zeros; different images get different shifts.
    blank = [(28 * 28 - int(m.sum())) for m in moved]
    assert len(set(blank)) > 3 and max(blank) <= 28 * 28 - 26 * 26
    assert {int(m[0].sum() == 0) + int(m[-1].sum() == 0) for m in moved} <= {0, 1}


def test_jitter_is_off_at_evaluation():
    x, _ = _dots(16)
    layer = RandomShift(2, seed=0)
    assert np.array_equal(np.asarray(layer(x)), x)
    assert np.array_equal(np.asarray(layer(x, training=False)), x)
    teacher = build_teacher((16,), max_shift=2, seed=0)
    assert np.array_equal(teacher.predict(x, verbose=0), teacher.predict(x, verbose=0))
    assert np.allclose(teacher(x, training=False), teacher.get_layer("teacher_net")(x, training=False))


def test_jitter_handles_channels_and_zero_shift():
    x, _ = _dots(8)
    assert np.array_equal(np.asarray(RandomShift(0)(x, training=True)), x)
    with_channels = np.repeat(x[..., None], 3, axis=-1)
    moved = np.asarray(RandomShift(2, seed=3)(with_channels, training=True))
    assert np.array_equal(moved[..., 0], moved[..., 2]) and moved.sum() == pytest.approx(8 * 3)


def test_random_shift_serializes():
    layer = RandomShift(2, seed=5, name="jitter")
    restored = RandomShift.from_config(layer.get_config())
    assert restored.max_shift == 2 and restored.seed == 5


# --- the loss with precomputed teacher logits -----------------------------------------------


@pytest.mark.parametrize(("alpha", "temperature"), [(0.1, 20.0), (0.5, 4.0), (0.0, 1.0), (1.0, 2.0)])
def test_soft_target_loss_equals_the_distiller(alpha, temperature):
    rng = np.random.default_rng(0)
    x = rng.random((32, 28, 28)).astype("float32")
    y = rng.integers(0, 10, size=32).astype("uint8")
    teacher, student = models.mlp((32,), seed=0), models.mlp((8,), seed=1)
    distiller = Distiller(teacher, student)
    distiller.compile("sgd", alpha=alpha, temperature=temperature)
    z_s = student(x)
    expected = float(distiller.compute_loss(x, y, z_s))
    packed = pack_targets(y, np.asarray(teacher(x)))
    assert float(SoftTargetLoss(temperature, alpha)(packed, z_s)) == pytest.approx(expected, rel=1e-5)


def test_pack_targets_checks_shapes():
    with pytest.raises(ValueError, match="logits"):
        pack_targets(np.zeros(3), np.zeros((4, 10)))
    packed = pack_targets(np.array([3, 7]), np.ones((2, 10)))
    assert packed.shape == (2, 11) and packed[:, 0].tolist() == [3.0, 7.0]


def test_same_seed_same_start_for_scratch_and_distilled():
    rng = np.random.default_rng(0)
    x = rng.random((64, 28, 28)).astype("float32")
    y = rng.integers(0, 10, size=64)
    a = build_student((16,), seed=3)
    b = build_student((16,), seed=3)
    assert all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights()))
    student, history = train_student(x, y, (16,), logits=rng.normal(size=(64, 10)), epochs=2, batch_size=32)
    assert len(history["loss"]) == 2 and history["seconds_per_epoch"][0] > 0
    assert costs.count_params(student) == costs.count_params(models.mlp((16,)))


def test_gap_recovered():
    assert gap_recovered(146, 74, 67) == pytest.approx(72 / 79)
    assert gap_recovered(100, 100, 50) == 0.0
    with pytest.raises(ValueError, match="no gap"):
        gap_recovered(50, 40, 60)


# --- the omitted digit ----------------------------------------------------------------------


def test_transfer_set_without_the_omitted_class():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, size=500)
    x = np.arange(500)
    logits = rng.normal(size=(500, 10))
    xt, yt, lt = without_class(x, y, 3, logits)
    assert 3 not in set(yt.tolist()) and len(yt) == int(np.sum(y != 3))
    assert np.array_equal(lt, logits[y != 3]) and np.array_equal(xt, x[y != 3])
    with pytest.raises(ValueError, match="omitted"):
        without_class(x, y, 10)


def test_raising_the_bias_changes_only_that_class_logit():
    model = models.mlp((16,), seed=0)
    x = np.random.default_rng(0).random((20, 28, 28)).astype("float32")
    before = np.asarray(model(x))
    raised = raise_class_bias(model, 3, 2.5)
    after = np.asarray(raised(x))
    assert np.allclose(after[:, 3] - before[:, 3], 2.5, atol=1e-5)
    others = [c for c in range(10) if c != 3]
    assert np.array_equal(after[:, others], before[:, others])
    assert np.array_equal(np.asarray(model(x)), before)  # the original is untouched
    with pytest.raises(ValueError, match="cls"):
        raise_class_bias(model, 12, 1.0)
    with pytest.raises(ValueError, match="shift"):
        raise_class_bias(model, 3, float("nan"))


def test_bias_shift_is_chosen_by_errors_on_the_given_data():
    # Class 3 is the truth for the first half but always scores 1 below the best other class.
    logits = np.zeros((10, 10))
    y = np.array([3] * 5 + [0] * 5)
    logits[:, 0] = 1.0
    logits[:, 3] = 0.0
    logits[5:, 3] = -5.0
    best, errors = choose_bias_shift(logits, y, 3, [0, 0.5, 1.5, 3.0, 10.0])
    assert best == 1.5 and errors[0.0] == 5 and errors[1.5] == 0 and errors[10.0] == 5
    with pytest.raises(ValueError, match="shifts"):
        choose_bias_shift(logits, y, 3, [])


# --- argument checks, before any training ---------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        ({"teacher_epochs": 0}, "teacher_epochs"),
        ({"teacher_dropout": 1.0}, "teacher_dropout"),
        ({"teacher_input_dropout": -0.1}, "teacher_input_dropout"),
        ({"max_shift": -1}, "max_shift"),
        ({"temperature": 0}, "temperature"),
        ({"alpha": 1.5}, "alpha"),
        ({"compact_temperatures": (4, -1)}, "compact_temperatures"),
        ({"compact_alphas": ()}, "compact_alphas"),
        ({"student_sweep": (float("inf"),)}, "student_sweep"),
        ({"seeds": ()}, "seeds"),
        ({"seeds": (0, 0)}, "seeds"),
        ({"student_hidden": (800, 0)}, "student_hidden"),
        ({"validation_size": 40_000}, "validation_size"),
        ({"train_size": 100_000}, "train_size"),
        ({"test_size": 0}, "test_size"),
        ({"batch_size": 0}, "batch_size"),
        ({"student_learning_rate": -1e-3}, "student_learning_rate"),
    ],
)
def test_recipe_rejects_bad_settings_by_name(changes, name):
    with pytest.raises(ValueError, match=name):
        PaperRecipe(**changes)
    with pytest.raises(ValueError, match=name):
        paper_experiment(PaperRecipe.tiny(), progress=False, **changes)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"omitted": 10}, "omitted"),
        ({"temperature": -2}, "temperature"),
        ({"alpha": -0.5}, "alpha"),
        ({"student_epochs": 0}, "student_epochs"),
        ({"bias_shifts": ()}, "bias_shifts"),
        ({"train_size": 60_000}, "train_size"),
        ({"teacher_hidden": ()}, "teacher_hidden"),
    ],
)
def test_omitted_digit_rejects_bad_arguments_by_name(kwargs, name):
    with pytest.raises(ValueError, match=name):
        omitted_digit_experiment(**kwargs)


def test_training_functions_check_their_arguments_first():
    x, y = np.zeros((8, 28, 28), "float32"), np.zeros(8, "uint8")
    with pytest.raises(ValueError, match="learning_rate"):
        train_student(x, y, (4,), learning_rate=0)
    with pytest.raises(ValueError, match="hidden"):
        train_student(x, y, (0,))
    with pytest.raises(ValueError, match="logits"):
        train_student(x, y, (4,), logits=np.zeros((5, 10)))
    with pytest.raises(ValueError, match="seed"):
        train_teacher(x, y, (4,), seed=-1)
    with pytest.raises(ValueError, match="timing_repeats"):
        paper_experiment(PaperRecipe.tiny(), progress=False, timing_repeats=0)


def test_teacher_saves_and_loads_with_its_jitter_layer(tmp_path):
    teacher = build_teacher((16,), max_shift=2, seed=0)
    path = tmp_path / "teacher.keras"
    teacher.save(path)
    restored = keras.models.load_model(path)
    x, _ = _dots(4)
    assert np.allclose(restored.predict(x, verbose=0), teacher.predict(x, verbose=0))
    assert restored.get_layer("jitter").max_shift == 2


def test_recipe_defaults_are_the_papers_networks():
    recipe = PaperRecipe()
    assert recipe.teacher_hidden == (1200, 1200) and recipe.student_hidden == (800, 800)
    assert recipe.max_shift == 2 and recipe.temperature == 20 and recipe.alpha == pytest.approx(0.1)
    assert len(recipe.seeds) >= 2
    teacher = build_teacher(recipe.teacher_hidden, max_shift=recipe.max_shift)
    compact = build_student(recipe.compact_hidden)
    assert costs.count_params(compact) <= costs.count_params(teacher) / 10
    assert json.loads(json.dumps(recipe.to_dict()))["teacher_hidden"] == [1200, 1200]


# --- tiny end-to-end runs -------------------------------------------------------------------


def test_student_comparison_reports_spread_and_gap_per_seed():
    compact = StudentComparison(name="2×100", hidden=(100, 100), params=89_610, inference_seconds=0.01,
                                temperature=4.0, alpha=0.5, chosen_on="validation",
                                scratch={0: 200, 1: 210}, distilled={0: 150, 1: 170})
    assert compact.gap_recovered(100) == pytest.approx((205 - 160) / (205 - 100))
    assert compact.gap_recovered_per_seed(100) == {0: pytest.approx(0.5), 1: pytest.approx(40 / 110)}
    out = json.loads(json.dumps(compact.to_dict(teacher_errors=100)))
    assert out["scratch"] == {"0": 200, "1": 210} and out["hidden"] == [100, 100]
    assert out["distilled_spread"] == {"mean": 160.0, "std": pytest.approx(np.std([150, 170], ddof=1)),
                                       "min": 150.0, "max": 170.0, "n": 2}
    assert json.loads(json.dumps(compact.to_dict(teacher_errors=300)))["gap_recovered"] is None  # no gap


def test_recipe_plans_the_epochs_of_each_model():
    recipe = PaperRecipe(teacher_epochs=100, student_epochs=40, compact_epochs=30, seeds=(0, 1, 2),
                         compact_temperatures=(2.0, 4.0), compact_alphas=(0.5,), student_sweep=(8.0,))
    plan = recipe.epochs_by_model()
    assert plan["teacher"] == 100
    assert plan["paper student"] == pytest.approx(6 * 40 + 40 * 50_000 / 60_000)
    assert plan["compact student"] == pytest.approx(6 * 30 + 2 * 30 * 50_000 / 60_000)


def test_tiny_paper_experiment_reports_the_table(mnist_file):
    recipe = PaperRecipe.tiny(seeds=(3,), compact_temperatures=(2.0, 8.0), student_sweep=(4.0,))
    result = paper_experiment(recipe, progress=False, timing_repeats=1)
    assert set(result.students) == {"paper", "compact"}
    for student in result.students.values():
        assert set(student.scratch) == set(student.distilled) == {3}
        assert all(0 <= e <= recipe.test_size for e in [*student.scratch.values(), *student.distilled.values()])
    assert [(r["temperature"], r["alpha"]) for r in result.selection] == recipe.grid()
    best = min(r["validation_errors"] for r in result.selection)
    chosen = result.students["compact"]
    assert next(r["validation_errors"] for r in result.selection
                if (r["temperature"], r["alpha"]) == (chosen.temperature, chosen.alpha)) == best
    assert [r["temperature"] for r in result.sweep] == [4.0]
    assert result.students["paper"].temperature == recipe.temperature
    out = json.loads(json.dumps(result.to_dict()))
    assert out["paper"]["errors"] == {"teacher": 67, "scratch": 146, "distilled": 74}
    assert set(out["targets"]) >= {"teacher_errors", "paper_gap_recovered", "compact_gap_recovered"}
    assert out["students"]["paper"]["scratch_spread"]["n"] == 1
    assert set(out["seconds_per_epoch"]) >= {"teacher", "paper student, scratch", "compact student, distilled"}
    assert "gap recovered" in result.table() and "2×32" in result.table()


def _recorded(scratch=None, distilled=None, compact_scratch=None, compact_distilled=None, teacher_errors=80,
              seeds=(0, 1)):
    """A recording as the benchmark writes it (no training): two seeds, both students."""
    def student(name, hidden, params, t, a, sc, di):
        return StudentComparison(name=name, hidden=hidden, params=params, inference_seconds=0.01, temperature=t,
                                 alpha=a, chosen_on="validation", scratch=sc, distilled=di)

    result = PaperDistillationResult(
        teacher={"hidden": [1200, 1200], "params": 2_395_210, "errors": teacher_errors, "inference_seconds": 0.2,
                 "epochs": 100, "max_shift": 2, "training_loss": [0.5, 0.1]},
        students={"paper": student("2×800 (the paper's student)", (800, 800), 1_276_810, 20.0, 0.1,
                                   scratch or {0: 140, 1: 136}, distilled or {0: 96, 1: 92}),
                  "compact": student("2×100 (compression student)", (100, 100), 89_610, 4.0, 0.5,
                                     compact_scratch or {0: 190, 1: 200}, compact_distilled or {0: 170, 1: 172})},
        selection=[{"temperature": 4.0, "alpha": 0.5, "validation_errors": 160, "test_errors": 171}],
        sweep=[], chosen={"temperature": 4.0, "alpha": 0.5}, seconds_per_epoch={"teacher": 20.0},
        wall_seconds=5000.0, cpu_seconds=9000.0, recipe=PaperRecipe(seeds=seeds))
    out = json.loads(json.dumps(result.to_dict()))
    out["run"] = {"command": "python -m benchmarks.bench_distillation --seeds 0,1", "wall_seconds": 5000.0,
                  "cpu_seconds": 9000.0, "machine": "x86_64, 2 CPU cores"}
    return out


def test_a_recording_reads_back_into_the_result_with_its_table_and_verdicts():
    recording = _recorded()
    result = PaperDistillationResult.from_dict(recording)
    assert result.students["paper"].scratch == {0: 140, 1: 136} and result.recipe.seeds == (0, 1)
    assert result.gap_recovered("paper") == pytest.approx(recording["students"]["paper"]["gap_recovered"])
    assert json.loads(json.dumps(result.to_dict())) == {k: v for k, v in recording.items() if k != "run"}
    rows = result.rows()
    assert [r["paper"] for r in rows] == [67, 146, 74, "–", "–"]
    assert rows[2]["this run"] == "94.0 ± 2.8" and rows[2]["per seed"] == "96, 92"
    assert rows[2]["gap recovered"] == f"{(138 - 94) / (138 - 80):.0%}" and rows[1]["gap recovered"] == ""
    verdicts = {r["target"]: r["verdict"] for r in result.verdicts()}
    assert verdicts["teacher: test errors ≤ 85"] == "met"
    assert verdicts["2×800 student: gap recovered ≥ 70 %"] == "met"  # 76 %
    assert verdicts["compression student: gap recovered ≥ 40 %"] == "missed"  # 21 %
    assert sum(v == "met" for v in verdicts.values()) == 6 and len(verdicts) == 7


def test_verdicts_report_a_missed_target_and_overlapping_seeds():
    result = PaperDistillationResult.from_dict(_recorded(distilled={0: 100, 1: 141}, teacher_errors=90))
    verdicts = {r["target"]: (r["measured"], r["verdict"]) for r in result.verdicts()}
    assert verdicts["teacher: test errors ≤ 85"] == ("90", "missed")
    key = "2×800: distilled better than scratch on every seed, beyond the seeds' spread"
    assert verdicts[key] == ("distilled 100–141, scratch 136–140", "missed")
    assert not result.students["paper"].separated() and result.students["compact"].separated()


def test_a_one_seed_recording_states_no_spread():
    result = PaperDistillationResult.from_dict(_recorded(
        scratch={0: 140}, distilled={0: 96}, compact_scratch={0: 190}, compact_distilled={0: 170}, seeds=(0,)))
    rows = result.rows()
    assert rows[2]["this run"] == "96" and rows[2]["per seed"] == "96"
    verdicts = {r["target"]: (r["measured"], r["verdict"]) for r in result.verdicts()}
    key = "2×800: distilled better than scratch (one seed: the spread between seeds is not measured)"
    assert verdicts[key] == ("distilled 96, scratch 140", "met")
    assert "students: one seed, 0;" in result.table() and "±" not in result.table()


def test_the_recording_and_its_tables_load_without_tensorflow():
    """The conclusion and the Performance page only show recordings: they must not wait for TensorFlow."""
    import os
    import subprocess
    import sys

    code = ("import sys, dltips\n"
            "from dltips import distillation, recordings\n"
            "from dltips.distillation import PaperDistillationResult\n"
            "d = dltips.recorded('distillation')\n"
            "PaperDistillationResult.from_dict(d).verdicts(); distillation.recorded_table(d)\n"
            "distillation.recorded_summary(d); distillation.plot_recorded(d)\n"
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "MPLBACKEND": "Agg"})
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_an_older_recording_is_refused_by_name():
    with pytest.raises(KeyError):
        PaperDistillationResult.from_dict({"reports": {}, "sweep": {}})


def test_the_performance_page_renders_the_paper_sized_recording_and_refuses_the_earlier_one():
    from dltips.distillation import results as paper

    recording = _recorded()
    assert paper.is_paper_recording(recording)
    table = paper.recorded_table(recording)
    assert table.splitlines()[0] == "| model | paper | this run | per seed | gap recovered |"
    assert "| 2×800 (the paper's student), distilled (T = 20, α = 0.1) | 74 | 94.0 ± 2.8 | 96, 92 |" in table
    assert len(paper.plot_recorded(recording).axes[0].patches) == 4
    summary = paper.recorded_summary(recording)
    assert "1/27 of the teacher's parameters" in summary and "--seeds 0,1" in summary
    older = dltips.recorded("distillation_sweep")
    assert not paper.is_paper_recording(older)
    for render in (paper.recorded_table, paper.recorded_summary, paper.plot_recorded):
        with pytest.raises(ValueError, match="paper-sized run"):
            render(older)


def test_quick_benchmark_never_writes_the_recorded_files(tmp_path):
    from benchmarks import bench_distillation

    for recorded in (bench_distillation.RESULTS, bench_distillation.SWEEP_RESULTS):
        with pytest.raises(SystemExit):
            bench_distillation.main(["--quick", "--out", str(recorded)])
    with pytest.raises(SystemExit):
        bench_distillation.main(["--sweep", "--plan"])


def test_tiny_omitted_digit_experiment(mnist_file):
    result = omitted_digit_experiment(train_size=600, validation_size=200, teacher_hidden=(32,), teacher_epochs=1,
                                      student_hidden=(16,), student_epochs=1, test_size=300)
    assert result.removed > 0 and result.transfer_size == 600 - result.removed
    assert result.test_omitted == int(np.sum(keras.ops.convert_to_numpy(
        dltips.data.load_mnist().y_test[:300]) == 3))
    assert result.bias_shift in result.validation_errors
    assert result.validation_errors[result.bias_shift] == min(result.validation_errors.values())
    assert 0 <= result.errors_on_omitted_after <= result.test_omitted
    out = json.loads(json.dumps(result.to_dict()))
    assert out["paper"]["errors_on_omitted_after"] == 14 and "models" not in out
    assert "bias of 3 raised" in result.table()
    assert set(result.models) == {"teacher", "student", "adjusted"}
    rows = result.rows()
    assert [r["test errors"] for r in rows] == [result.teacher_errors, result.errors_before, result.errors_after]
    assert rows[2]["errors on 3s"] == result.errors_on_omitted_after and rows[1]["paper: on 3s"] == 133
    assert rows[2]["3s right"] == f"{result.omitted_accuracy_after:.1%}"


def test_omitted_digit_experiment_can_reuse_a_trained_teacher(mnist_file):
    teacher = models.mlp((16,), seed=0, name="given_teacher")
    result = omitted_digit_experiment(train_size=400, validation_size=100, student_hidden=(8,), student_epochs=1,
                                      test_size=200, teacher=teacher)
    assert result.models["teacher"] is teacher
    assert result.settings["teacher"].startswith("given: 'given_teacher'") and "teacher_hidden" not in result.settings
    x = dltips.data.load_mnist().x_test[:50]
    z, z_adj = np.asarray(result.models["student"](x)), np.asarray(result.models["adjusted"](x))
    assert np.allclose(z_adj[:, 3] - z[:, 3], result.bias_shift, atol=1e-5)
    with pytest.raises(ValueError, match="teacher"):
        omitted_digit_experiment(teacher="not a model")


def test_benchmark_plan_and_seed_option():
    import argparse

    from benchmarks import bench_distillation

    planned = bench_distillation.plan()
    assert planned["recipe"]["teacher_hidden"] == [1200, 1200] and planned["epochs_by_model"]["teacher"] >= 60
    assert 0 < planned["projected_minutes_on_a_busy_machine"] < 120
    assert bench_distillation.plan(seeds=(0, 1))["recipe"]["seeds"] == [0, 1]
    assert bench_distillation._seeds("0, 1,2") == (0, 1, 2)
    with pytest.raises(argparse.ArgumentTypeError):
        bench_distillation._seeds("a,b")
    quick = bench_distillation.recipe(quick=True)
    assert quick.train_size is not None and quick.teacher_epochs <= 2


# --- the layout: settings objects, one trainer, names without TensorFlow ----------------------


def test_every_tensorflow_free_name_imports_without_tensorflow():
    """Each name of the modules without TensorFlow, asked for from the package, loads neither TensorFlow nor Keras."""
    import importlib
    import os
    import subprocess
    import sys

    from dltips import distillation

    names = [n for m in distillation._WITHOUT_TENSORFLOW
             for n in importlib.import_module(f"dltips.distillation.{m}").__all__]
    assert {"PaperRecipe", "PAPER_ERRORS", "OmittedDigitResult", "recorded_table", "plot_student_errors"} <= set(names)
    # Every name asked for alone, in a fresh interpreter each (the look-up must never pass a module with TensorFlow).
    code = ("import sys, importlib\n"
            f"for name in {names!r}:\n"
            "    for m in [m for m in sys.modules if m.startswith(('dltips', 'tensorflow', 'keras'))]:\n"
            "        del sys.modules[m]\n"
            "    exec(f'from dltips.distillation import {name}')\n"
            "    heavy = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)\n"
            "    print(name, heavy)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "MPLBACKEND": "Agg"})
    lines = out.stdout.strip().splitlines()
    assert len(lines) == len(names), out.stdout + out.stderr
    assert all(line.endswith(" []") for line in lines), out.stdout


def test_omitted_digit_settings_are_one_checked_object():
    settings = OmittedDigitSettings(train_size=600, validation_size=200, student_epochs=1)
    assert settings.replace(seed=2).seed == 2 and settings.seed == 0
    assert settings.bias_shifts[:3] == (0.0, 0.25, 0.5) and settings.bias_shifts[-1] == 15.0
    with pytest.raises(ValueError, match="bias_shifts"):
        settings.replace(bias_shifts=(0.0, float("nan")))
    with pytest.raises(ValueError, match="teacher_dropout"):
        omitted_digit_experiment(settings, teacher_dropout=1.0)


def test_one_student_trainer_for_every_kind_of_target():
    rng = np.random.default_rng(0)
    x = rng.random((48, 28, 28)).astype("float32")
    y = rng.integers(0, 10, size=48)
    teacher = build_teacher((16,), seed=0)
    assert teacher.name == "teacher" and not any(layer.name == "jitter" for layer in teacher.layers)
    common = dict(epochs=1, batch_size=16, seed=4, init_seed=5)
    scratch, _ = train_student(x, y, (8,), cosine_decay=False, max_steps_per_execution=64, **common)
    _, with_teacher = train_student(x, y, (8,), teacher=teacher, temperature=4.0, **common)
    assert {"student_loss", "distillation_loss"} <= set(with_teacher)
    # init_seed sets the initial weights: the same as a student built with that seed
    fresh = build_student((8,), seed=5)
    assert scratch.count_params() == fresh.count_params()
    with pytest.raises(ValueError, match="teacher and logits"):
        train_student(x, y, (8,), teacher=teacher, logits=np.zeros((48, 10)))
    with pytest.raises(ValueError, match="max_steps_per_execution"):
        train_student(x, y, (8,), max_steps_per_execution=0)
