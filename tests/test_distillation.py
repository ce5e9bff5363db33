"""dltips.distillation: our loss against keras.distillation, the Distiller's training, pseudo-labels, the experiment."""

from __future__ import annotations

import json
import zipfile

import dltips

dltips.configure(seed=0)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from dltips import costs, models  # noqa: E402
from dltips.distillation import (  # noqa: E402
    Distiller,
    distillation_experiment,
    distillation_loss,
    pseudo_label,
    soft_loss_gradient_norm,
    soft_targets,
)

CE = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(0)
    x = rng.random((32, 28, 28)).astype("float32")
    y = rng.integers(0, 10, size=32).astype("uint8")
    return x, y


def _pair(teacher_seed=0, student_seed=1):
    return models.mlp((32,), seed=teacher_seed, name="teacher"), models.mlp((8,), seed=student_seed, name="student")


def _relative(a, b):
    return abs(float(a) - float(b)) / max(abs(float(b)), 1e-12)


def _kl_reference(teacher_logits, student_logits, temperature):
    """T² · mean KL(p ‖ q) in float64 NumPy, straight from the definition."""
    def softmax(z):
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    p = softmax(np.asarray(teacher_logits, np.float64) / temperature)
    q = softmax(np.asarray(student_logits, np.float64) / temperature)
    return temperature**2 * np.mean(np.sum(p * np.log(p / q), axis=-1))


# --- the loss against its definition and against keras.distillation ---------------------


@pytest.mark.parametrize("temperature", [0.5, 1.0, 4.0, 20.0])
def test_distillation_loss_matches_definition(temperature):
    rng = np.random.default_rng(1)
    t, s = rng.normal(0, 3, (16, 10)), rng.normal(0, 3, (16, 10))
    assert _relative(distillation_loss(t, s, temperature), _kl_reference(t, s, temperature)) < 1e-5
    unscaled = distillation_loss(t, s, temperature, scale_by_t_squared=False)
    assert _relative(unscaled, _kl_reference(t, s, temperature) / temperature**2) < 1e-5


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(-30, 30), min_size=10, max_size=10),
    st.lists(st.floats(-30, 30), min_size=10, max_size=10),
    st.floats(0.1, 50),
)
def test_distillation_loss_is_nonnegative_and_zero_only_for_equal_logits(t, s, temperature):
    t, s = np.array([t]), np.array([s])
    assert float(distillation_loss(t, s, temperature)) >= -1e-5
    # shifting all logits by a constant does not change a softmax
    assert abs(float(distillation_loss(t, t + 3.0, temperature))) < 1e-4


@pytest.fixture
def floatx(request):
    """Build models and losses in float32 (as trained) or float64 (to compare without rounding)."""
    previous = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx(request.param)
    keras.config.set_dtype_policy(request.param)  # layers follow the policy, which caches the old floatx
    yield request.param
    keras.config.set_floatx(previous[0])
    keras.config.set_dtype_policy(previous[1])


@pytest.mark.parametrize(
    ("floatx", "alpha", "temperature"),
    [("float32", 0.1, 4.0), ("float32", 0.5, 1.0), ("float32", 0.3, 2.5), ("float32", 0.9, 8.0),
     ("float64", 0.1, 4.0), ("float64", 0.0, 20.0)],
    indirect=["floatx"],
)
def test_loss_equals_keras_distiller_with_kl_divergence_instance(batch, floatx, alpha, temperature):
    """Our loss = Keras's Distiller with LogitsDistillation(T, loss=KLDivergence()) and student_loss_weight=alpha.

    At T = 20 both distributions are nearly uniform and the KL divergence is a small
    difference of logarithms: in float32, rounding alone moves either implementation
    by about 2e-5 (relative) from the exact value, so that case is compared in float64.
    """
    x, y = batch
    x = x.astype(floatx)
    ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    teacher, student = _pair()
    ours = Distiller(teacher, student)
    ours.compile("sgd", alpha=alpha, temperature=temperature)
    reference = keras.distillation.Distiller(
        teacher,
        student,
        keras.distillation.LogitsDistillation(temperature=temperature, loss=keras.losses.KLDivergence()),
        student_loss_weight=alpha,  # our alpha is Keras's student_loss_weight
    )
    reference.compile("sgd", loss=ce)
    # Keras's KLDivergence clips probabilities to [1e-7, 1]; the comparison is exact only without clipping.
    assert float(keras.ops.min(soft_targets(teacher(x), temperature))) > 1e-6
    assert float(keras.ops.min(soft_targets(student(x), temperature))) > 1e-6
    student_logits = student(x)
    assert student_logits.dtype == floatx
    ours_loss = ours.compute_loss(x, y, student_logits)
    keras_loss = reference.compute_loss(x, y, student_logits)
    assert _relative(ours_loss, keras_loss) < 1e-5
    expected = alpha * float(ce(y, student_logits)) + (1 - alpha) * _kl_reference(teacher(x), student_logits, temperature)
    assert _relative(ours_loss, expected) < 1e-5


def test_keras_default_logits_distillation_is_not_the_hinton_loss(batch):
    """Pins Keras 3.15's behaviour: the default loss="kl_divergence" skips the softmax and the T² factor."""
    x, _ = batch
    temperature = 4.0
    teacher, student = _pair()
    default = keras.distillation.LogitsDistillation(temperature=temperature)
    t, s = teacher(x), student(x)
    keras_value = default.compute_loss(t, s)
    # what it does compute: kl_divergence on the scaled logits themselves (clipped to [1e-7, 1])
    on_logits = keras.ops.mean(keras.losses.kl_divergence(t / temperature, s / temperature))
    assert _relative(keras_value, on_logits) < 1e-6
    assert _relative(keras_value, distillation_loss(t, s, temperature)) > 0.1
    # passing the loss object restores the Hinton loss
    fixed = keras.distillation.LogitsDistillation(temperature=temperature, loss=keras.losses.KLDivergence())
    assert _relative(fixed.compute_loss(t, s), distillation_loss(t, s, temperature)) < 1e-5


def test_t_squared_keeps_the_gradient_size_comparable_across_temperatures():
    rng = np.random.default_rng(2)
    t, s = rng.normal(0, 4, (64, 10)), rng.normal(0, 4, (64, 10))
    scaled = {T: soft_loss_gradient_norm(t, s, T) for T in (4.0, 8.0, 20.0)}
    unscaled = {T: soft_loss_gradient_norm(t, s, T, scale_by_t_squared=False) for T in (4.0, 8.0, 20.0)}
    assert 0.8 < scaled[20.0] / scaled[8.0] < 1.25
    assert 0.6 < scaled[20.0] / scaled[4.0] < 1.5
    # without T² the gradient shrinks like 1/T²
    assert unscaled[20.0] / unscaled[8.0] == pytest.approx((8 / 20) ** 2, rel=0.2)


def test_soft_targets_are_distributions_that_soften_with_temperature():
    logits = np.array([[6.0, 2.0, 0.0, -1.0]])
    sharp, soft = soft_targets(logits, 1.0).numpy(), soft_targets(logits, 8.0).numpy()
    np.testing.assert_allclose(sharp.sum(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(soft.sum(), 1.0, rtol=1e-6)
    assert soft.max() < sharp.max() and soft.min() > sharp.min()
    assert np.argmax(soft) == np.argmax(sharp) == 0


# --- training with the Distiller ---------------------------------------------------------


def test_teacher_is_frozen_and_student_trains(batch):
    x, y = batch
    teacher, student = _pair()
    teacher_before = [w.copy() for w in teacher.get_weights()]
    student_before = [w.copy() for w in student.get_weights()]
    distiller = Distiller(teacher, student)
    distiller.compile(keras.optimizers.SGD(0.1), alpha=0.1, temperature=4.0)
    distiller.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for before, after in zip(teacher_before, teacher.get_weights()):
        np.testing.assert_array_equal(before, after)
    assert any(not np.allclose(b, a) for b, a in zip(student_before, student.get_weights()))
    assert not teacher.trainable and len(distiller.trainable_weights) == len(student.trainable_weights)


def test_alpha_one_temperature_one_is_plain_cross_entropy_training(batch):
    x, y = batch
    teacher, student = _pair()
    plain = models.mlp((8,), seed=1, name="plain")  # same seed: same initial weights as the student
    distiller = Distiller(teacher, student)
    distiller.compile(keras.optimizers.SGD(0.05), alpha=1.0, temperature=1.0)
    models.compile_classifier(plain, keras.optimizers.SGD(0.05))
    assert _relative(distiller.compute_loss(x, y, student(x)), CE(y, plain(x))) < 1e-6
    h_distilled = distiller.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0).history
    h_plain = plain.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0).history
    np.testing.assert_allclose(h_distilled["loss"], h_plain["loss"], rtol=1e-5)
    np.testing.assert_allclose(h_distilled["student_loss"], h_plain["loss"], rtol=1e-5)
    for a, b in zip(student.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_history_and_evaluate_report_both_loss_terms(batch):
    x, y = batch
    alpha, temperature = 0.25, 3.0
    distiller = Distiller(*_pair())
    distiller.compile("adam", metrics=["accuracy"], alpha=alpha, temperature=temperature)
    history = distiller.fit(x, y, epochs=2, batch_size=32, verbose=0).history
    assert {"loss", "student_loss", "distillation_loss", "accuracy"} <= set(history)
    assert len(history["student_loss"]) == 2
    scores = distiller.evaluate(x, y, verbose=0, return_dict=True)
    # one full batch: the total is exactly the weighted sum of the two reported terms
    combined = alpha * scores["student_loss"] + (1 - alpha) * scores["distillation_loss"]
    assert scores["loss"] == pytest.approx(combined, rel=1e-5)
    assert scores["student_loss"] == pytest.approx(float(CE(y, distiller.student(x))), rel=1e-5)


def test_student_regularization_losses_are_added(batch):
    x, y = batch
    teacher = models.mlp((32,), seed=0)
    student = models.mlp((8,), seed=1, kernel_regularizer=keras.regularizers.L2(0.01))
    distiller = Distiller(teacher, student)
    distiller.compile("sgd", alpha=0.5, temperature=2.0)
    logits = student(x)
    unregularized = 0.5 * float(CE(y, logits)) + 0.5 * float(distillation_loss(teacher(x), logits, 2.0))
    penalty = float(keras.ops.sum(student.losses))
    assert penalty > 0
    assert float(distiller.compute_loss(x, y, logits)) == pytest.approx(unregularized + penalty, rel=1e-5)


def test_distilled_student_saves_and_loads_without_dltips(batch, tmp_path):
    x, y = batch
    distiller = Distiller(*_pair())
    distiller.compile("adam", alpha=0.1, temperature=4.0)
    distiller.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "student.keras"
    distiller.student.save(path)
    with zipfile.ZipFile(path) as archive:
        assert "dltips" not in archive.read("config.json").decode()
    loaded = keras.saving.load_model(path)  # no custom_objects
    np.testing.assert_allclose(loaded.predict(x, verbose=0), distiller.student.predict(x, verbose=0), rtol=1e-6)


def test_calling_the_distiller_calls_the_student(batch):
    x, _ = batch
    teacher, student = _pair()
    np.testing.assert_allclose(Distiller(teacher, student)(x), student(x), rtol=1e-6)


# --- pseudo-labels ------------------------------------------------------------------------


def test_pseudo_label_is_one_arg_max_label_per_image(batch):
    x, _ = batch
    teacher = models.mlp((32,), seed=0)
    labels = pseudo_label(teacher, x, batch_size=7)
    assert labels.shape == (len(x),)
    np.testing.assert_array_equal(labels, np.argmax(teacher.predict(x, verbose=0), axis=-1))


def test_pseudo_label_rejects_labels_passed_instead_of_images(batch):
    """The source article's bug: teacher_model.predict(train_labels)."""
    _, y = batch
    with pytest.raises(ValueError, match="labels instead of images"):
        pseudo_label(models.mlp((32,), seed=0), y)


# --- bad arguments --------------------------------------------------------------------------


@pytest.mark.parametrize("temperature", [0, -1.0, float("nan"), "4"])
def test_bad_temperature_raises(temperature):
    distiller = Distiller(*_pair())
    with pytest.raises(ValueError, match="temperature"):
        distiller.compile("sgd", temperature=temperature)
    with pytest.raises(ValueError, match="temperature"):
        distillation_loss(np.zeros((1, 10)), np.zeros((1, 10)), temperature)


@pytest.mark.parametrize("alpha", [-0.1, 1.5, True, "0.5", float("nan")])
def test_alpha_outside_unit_interval_raises(alpha):
    with pytest.raises(ValueError, match=r"alpha.*\[0.0, 1.0\]"):
        Distiller(*_pair()).compile("sgd", alpha=alpha)


def test_different_output_sizes_raise():
    with pytest.raises(ValueError, match="same output size"):
        Distiller(models.mlp((16,), seed=0), models.mlp((8,), num_classes=5, seed=1))


def test_student_that_is_the_teacher_raises():
    teacher = models.mlp((16,), seed=0)
    with pytest.raises(ValueError, match="student must be a different model from teacher"):
        Distiller(teacher, teacher)


def test_non_model_and_mismatched_logits_raise():
    with pytest.raises(ValueError, match="teacher must be a keras.Model"):
        Distiller(lambda x: x, models.mlp((8,), seed=1))
    with pytest.raises(ValueError, match="same shape"):
        distillation_loss(np.zeros((2, 10)), np.zeros((2, 5)), 2.0)


def test_sample_weight_is_refused_not_ignored(batch):
    x, y = batch
    distiller = Distiller(*_pair())
    distiller.compile("sgd")
    with pytest.raises(ValueError, match="sample_weight"):
        distiller.fit(x, y, sample_weight=np.ones(len(y)), epochs=1, verbose=0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"alpha": 2.0}, "alpha"),
        ({"temperature": -1}, "temperature"),
        ({"sweep_temperatures": (1, 0)}, "temperature"),
        ({"student_epochs": 0}, "student_epochs"),
        ({"teacher_dropout": 1.0}, "teacher_dropout"),
        ({"student_train_size": -5}, "student_train_size"),
        ({"student_hidden": (0,)}, "student_hidden"),
        ({"teacher_hidden": (64, "8")}, "teacher_hidden"),
        ({"alpha": "0.5"}, "alpha"),
    ],
)
def test_experiment_validates_arguments_before_training(kwargs, match):
    with pytest.raises(ValueError, match=match):
        distillation_experiment(**kwargs, progress=False)


# --- measurements and the experiment --------------------------------------------------------


def test_tiny_experiment_reports_every_model_and_the_sweep(mnist_file, capsys):
    result = distillation_experiment(
        teacher_hidden=(64,), teacher_epochs=1, teacher_train_size=600,
        student_hidden=(8,), student_epochs=1, student_train_size=300,
        temperature=4.0, sweep_temperatures=(1, 20), timing_repeats=1,
    )
    assert list(result.reports) == ["teacher", "scratch", "pseudo_label", "distilled"]
    assert list(result.sweep) == [1.0, 4.0, 20.0]
    assert result.sweep[4.0] == result.reports["distilled"].errors
    for report in result.reports.values():
        assert 0 <= report.errors <= 10_000
        assert report.accuracy == pytest.approx(1 - report.errors / 10_000)
        assert report.saved_bytes > 0 and report.inference_seconds > 0
    assert result.reports["teacher"].params == costs.count_params(models.mlp((64,)))
    assert result.param_ratio == pytest.approx(costs.count_params(models.mlp((8,))) / costs.count_params(models.mlp((64,))))
    assert {"student_loss", "distillation_loss"} <= set(result.history)
    assert "student, distilled T=4" in str(result) and result.table()[0]["model"] == "teacher"
    assert json.loads(json.dumps(result.to_dict()))["sweep"] == {"1": result.sweep[1.0], "4": result.sweep[4.0], "20": result.sweep[20.0]}
    assert "6/6" in capsys.readouterr().err, "the progress bar counts the teacher, three students and the sweep"
