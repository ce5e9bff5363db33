"""dltips.models: the shared builders produce the architecture they promise, reproducibly."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from dltips import costs, models


def test_mlp_shape_and_parameter_count():
    model = models.mlp((128, 64), seed=0)
    assert model.output_shape == (None, 10)
    assert costs.count_params(model) == (784 * 128 + 128) + (128 * 64 + 64) + (64 * 10 + 10)
    assert costs.count_params(model) == model.count_params()


def test_mlp_outputs_logits_not_probabilities():
    model = models.mlp((32,), seed=0)
    out = model(np.random.default_rng(0).random((8, 28, 28), dtype=np.float32)).numpy()
    assert (out < 0).any(), "a softmax output would be non-negative"
    assert not np.allclose(out.sum(axis=1), 1.0)


def test_softmax_regression_and_flat_input():
    model = models.mlp((), input_shape=(784,), seed=0)
    assert costs.count_params(model) == 784 * 10 + 10
    assert model(np.zeros((2, 784), np.float32)).shape == (2, 10)


def test_same_seed_same_weights_different_seed_different_weights():
    a, b, c = models.mlp(seed=1), models.mlp(seed=1), models.mlp(seed=2)
    assert all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights()))
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])


def test_dropout_is_active_in_training_only():
    model = models.mlp((64,), dropout=0.5, seed=0)
    x = np.ones((4, 28, 28), np.float32)
    np.testing.assert_allclose(model(x, training=False), model(x, training=False))
    assert not np.allclose(model(x, training=True), model(x, training=False))


def test_kernel_regularizer_applies_to_every_kernel_not_biases():
    model = models.mlp((16, 16), kernel_regularizer=keras.regularizers.L2(0.1), seed=0)
    model(np.zeros((1, 28, 28), np.float32))
    assert len(model.losses) == 3
    kernels = [w for w in model.weights if w.path.endswith("kernel")]
    expected = sum(0.1 * float(np.sum(np.square(k.numpy()))) for k in kernels)
    assert float(sum(model.losses)) == pytest.approx(expected, rel=1e-5)


def test_compile_classifier_trains_one_step():
    model = models.compile_classifier(models.mlp((8,), seed=0), keras.optimizers.SGD(0.1))
    x = np.random.default_rng(0).random((32, 28, 28), dtype=np.float32)
    y = np.arange(32) % 10
    history = model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    assert set(history.history) >= {"loss", "accuracy"}
    assert history.history["loss"][1] < history.history["loss"][0]


def test_small_cnn():
    model = models.small_cnn((4, 8), dense=16, seed=0)
    assert model(np.zeros((2, 28, 28), np.float32)).shape == (2, 10)
    assert costs.count_params(model, trainable_only=True) == model.count_params()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dropout": 1.0}, "dropout must be a number in \\[0.0, 1.0\\)"),
        ({"dropout": -0.1}, "dropout must be a number in \\[0.0, 1.0\\)"),
        ({"input_dropout": 1.5}, "dropout must be a number in \\[0.0, 1.0\\)"),
        ({"dropout": "0.5"}, "dropout must be a number in \\[0.0, 1.0\\), got '0.5'"),
        ({"hidden": (0,)}, "hidden must be an integer >= 1"),
        ({"hidden": (64.0,)}, "hidden must be an integer >= 1"),
        ({"num_classes": 0}, "num_classes must be an integer >= 1"),
    ],
)
def test_mlp_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        models.mlp(**kwargs)


def test_small_cnn_rejects_bad_arguments():
    with pytest.raises(ValueError, match="filters must be an integer >= 1"):
        models.small_cnn((0,))
    with pytest.raises(ValueError, match="dense must be an integer >= 1"):
        models.small_cnn(dense=0)
    with pytest.raises(ValueError, match="dropout"):
        models.small_cnn(dropout=1.0)


def test_errors_and_accuracy_count_wrong_predictions():
    model = models.mlp((), input_shape=(2,), num_classes=2, seed=0)
    model.set_weights([np.array([[1.0, 0.0], [0.0, 1.0]], np.float32), np.zeros(2, np.float32)])
    x = np.array([[1, 0], [0, 1], [1, 0], [0, 1]], np.float32)  # predicts class 0, 1, 0, 1
    y = np.array([0, 1, 1, 1])
    assert models.predict_labels(model, x).tolist() == [0, 1, 0, 1]
    assert models.evaluate(model, x, y).errors == 1
    assert models.evaluate(model, x, y).accuracy == 0.75
    with pytest.raises(ValueError, match="same length"):
        models.evaluate(model, x, y[:3])


def test_evaluate_matches_keras_evaluate():
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 28, 28), dtype=np.float32), rng.integers(0, 10, 64)
    model = models.compile_classifier(models.mlp((16,), seed=0), "sgd")
    result = models.evaluate(model, x, y)
    keras_loss, keras_acc = model.evaluate(x, y, verbose=0)
    assert result.loss == pytest.approx(keras_loss, rel=1e-5)
    assert result.accuracy == pytest.approx(keras_acc)
    assert result.errors == round((1 - keras_acc) * 64) and result.examples == 64


def test_evaluate_reads_probabilities_when_told_and_refuses_empty_sets():
    probabilities = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    x, y = np.array([[1.0, 0.0], [0.0, 1.0]], "float32"), np.array([0, 1])
    result = models.evaluate(probabilities, x, y, from_logits=False)
    expected = -np.mean(np.log(np.asarray(probabilities(x))[[0, 1], [0, 1]]))
    assert result.loss == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="at least one"):
        models.evaluate(probabilities, x[:0], y[:0])


def test_evaluate_each_epoch_records_every_set_in_inference_mode():
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 28, 28), dtype=np.float32), rng.integers(0, 10, 64)
    model = models.compile_classifier(models.mlp((16,), dropout=0.5, seed=0), "sgd")
    curves = models.EvaluateEachEpoch({"train": (x, y), "test": (x[:32], y[:32])}, initial=True)
    model.fit(x, y, epochs=2, callbacks=[curves], verbose=0)
    assert sorted(curves.history) == ["test_accuracy", "test_loss", "train_accuracy", "train_loss"]
    assert all(len(v) == 3 for v in curves.history.values())  # before training, then after each epoch
    # The last entry is the final model, measured with dropout off: evaluate() gives the same number.
    assert curves.history["train_loss"][-1] == pytest.approx(models.evaluate(model, x, y).loss)
    with pytest.raises(ValueError, match="at least one"):
        models.EvaluateEachEpoch({})


def test_steps_per_execution_is_an_epochs_batches_capped_and_checks_its_arguments():
    assert models.steps_per_execution(1000, 64) == 16  # 15 full batches and a partial one
    assert models.steps_per_execution(60_000, 128) == 64
    assert models.steps_per_execution(60_000, 128, cap=8) == 8
    assert models.steps_per_execution(10, 64) == 1
    for kwargs, name in [(dict(examples=0, batch_size=4), "examples"), (dict(examples=10, batch_size=0), "batch_size"),
                         (dict(examples=10, batch_size=4, cap=0), "cap"), (dict(examples=10.0, batch_size=4), "examples"),
                         (dict(examples=True, batch_size=4), "examples")]:
        with pytest.raises(ValueError, match=name):
            models.steps_per_execution(**kwargs)


def test_several_steps_per_execution_train_the_same_weights_as_one():
    # What the experiments rely on: the same updates in the same order, dropout masks included.
    rng = np.random.default_rng(0)
    x, y = rng.random((100, 28, 28), dtype=np.float32), rng.integers(0, 10, 100)
    weights = []
    for spe in (1, models.steps_per_execution(len(x), 16)):
        keras.utils.set_random_seed(0)
        model = models.compile_classifier(models.mlp((8,), dropout=0.5, seed=0), keras.optimizers.SGD(0.1),
                                          steps_per_execution=spe)
        model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("bad", ["0.5", True, float("nan"), 1.0, -0.1, None])
@pytest.mark.parametrize("argument", ["dropout", "input_dropout"])
def test_mlp_refuses_a_dropout_rate_that_is_not_a_number_in_range_with_a_value_error(argument, bad):
    with pytest.raises(ValueError, match=argument):
        models.mlp((8,), **{argument: bad})


@pytest.mark.parametrize("bad", ["0.5", False, float("inf"), 1.0])
def test_small_cnn_refuses_a_bad_dropout_rate_with_a_value_error(bad):
    with pytest.raises(ValueError, match="dropout"):
        models.small_cnn(dropout=bad)
