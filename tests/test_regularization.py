"""dltips.regularization: the from-scratch penalties, dropout and weight decay agree with Keras."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from dltips import data
from dltips import regularization as reg

SHAPES = [(7,), (5, 3), (4, 3, 2), (2, 3, 4, 5)]


def _random_weights(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s).astype(np.float32) for s in SHAPES]


def _keras_total(regularizer: keras.regularizers.Regularizer, weights: list[np.ndarray]) -> float:
    return float(sum(float(regularizer(keras.ops.convert_to_tensor(w))) for w in weights))


def _rel_err(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-30)


# --------------------------------------------------------------------------- penalties


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("lam", [1e-5, 3e-3, 0.7])
def test_l1_and_l2_match_keras_on_one_tensor(shape, lam):
    w = np.random.default_rng(1).normal(size=shape).astype(np.float32)
    assert _rel_err(float(reg.l1_penalty(w, lam)), float(keras.regularizers.L1(lam)(w))) < 1e-6
    assert _rel_err(float(reg.l2_penalty(w, lam)), float(keras.regularizers.L2(lam)(w))) < 1e-6


@pytest.mark.parametrize(("l1", "l2"), [(1e-4, 0.0), (0.0, 2e-3), (5e-4, 1e-3), (0.3, 0.02)])
def test_penalties_on_a_list_of_tensors_match_keras(l1, l2):
    ws = _random_weights()
    assert _rel_err(float(reg.l1_penalty(ws, l1)), _keras_total(keras.regularizers.L1(l1), ws)) < 1e-6
    assert _rel_err(float(reg.l2_penalty(ws, l2)), _keras_total(keras.regularizers.L2(l2), ws)) < 1e-6
    ours = float(reg.elastic_net_penalty(ws, l1, l2))
    assert _rel_err(ours, _keras_total(keras.regularizers.L1L2(l1=l1, l2=l2), ws)) < 1e-6


def test_l2_penalty_is_the_squared_norm_not_the_norm():
    w = np.array([3.0, 4.0], np.float32)  # ‖w‖ = 5, ‖w‖² = 25
    assert float(reg.l2_penalty(w, 1.0)) == pytest.approx(25.0)


def test_penalty_accepts_keras_variables():
    v = keras.Variable(np.array([[1.0, -2.0]], np.float32))
    assert float(reg.l1_penalty([v], 0.5)) == pytest.approx(1.5)


@pytest.mark.parametrize("m", [1, 60, 1000, 60_000])
@pytest.mark.parametrize("lam_article", [0.01, 1.0, 5.0])
def test_article_lambda_converts_to_the_keras_coefficient(m, lam_article):
    ws = _random_weights(2)
    article_penalty = lam_article / (2 * m) * sum(float(np.sum(w.astype(np.float64) ** 2)) for w in ws)
    keras_lam = reg.article_to_keras_lambda(lam_article, m)
    assert _rel_err(_keras_total(keras.regularizers.L2(keras_lam), ws), article_penalty) < 1e-6
    assert _rel_err(float(reg.l2_penalty(ws, keras_lam)), article_penalty) < 1e-6
    assert reg.keras_to_article_lambda(keras_lam, m) == pytest.approx(lam_article, rel=1e-12)


def test_article_lambda_matches_a_keras_model_loss():
    """The penalty Keras adds to the mean loss of a model equals the article's λ/(2m)·Σw²."""
    m, lam_article = 500, 3.0
    layer = keras.layers.Dense(
        4, kernel_regularizer=keras.regularizers.L2(reg.article_to_keras_lambda(lam_article, m)),
        kernel_initializer=keras.initializers.RandomNormal(seed=0),
    )
    model = keras.Sequential([keras.Input((6,)), layer])
    kernel = np.asarray(layer.kernel, np.float64)
    added = float(sum(model.losses))
    assert _rel_err(added, lam_article / (2 * m) * float(np.sum(kernel**2))) < 1e-6


# --------------------------------------------------------------------------- gradients


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda ws: reg.l1_penalty(ws, 3e-3), keras.regularizers.L1(3e-3)),
        (lambda ws: reg.l2_penalty(ws, 2e-2), keras.regularizers.L2(2e-2)),
        (lambda ws: reg.elastic_net_penalty(ws, 1e-3, 4e-3), keras.regularizers.L1L2(l1=1e-3, l2=4e-3)),
    ],
    ids=["l1", "l2", "elastic_net"],
)
def test_penalty_gradients_match_keras_regularizer_gradients(ours, theirs):
    vs = [tf.Variable(w) for w in _random_weights(3)]
    with tf.GradientTape() as tape:
        our_value = ours(vs)
    our_grads = tape.gradient(our_value, vs)
    with tf.GradientTape() as tape:
        their_value = tf.add_n([theirs(v) for v in vs])
    their_grads = tape.gradient(their_value, vs)
    for a, b in zip(our_grads, their_grads):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-9)


def test_l2_gradient_is_two_lambda_w_and_l1_gradient_is_lambda_sign_w():
    w = tf.Variable(_random_weights(4)[1])
    with tf.GradientTape(persistent=True) as tape:
        p1, p2 = reg.l1_penalty(w, 0.1), reg.l2_penalty(w, 0.1)
    np.testing.assert_allclose(tape.gradient(p2, w).numpy(), 0.2 * w.numpy(), rtol=1e-6)
    np.testing.assert_allclose(tape.gradient(p1, w).numpy(), 0.1 * np.sign(w.numpy()), rtol=1e-6)


# --------------------------------------------------------------------------- dropout


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5, 0.8])
def test_dropout_zeroes_at_the_expected_rate_and_preserves_the_mean(rate):
    n = 200_000
    x = np.random.default_rng(0).uniform(0.5, 1.5, size=(400, n // 400)).astype(np.float32)
    y = np.asarray(reg.dropout(x, rate, training=True, seed=11))
    dropped = np.mean(y == 0)
    # 6 standard deviations of a binomial proportion: a wrong rate fails, chance does not.
    assert abs(dropped - rate) < 6 * np.sqrt(rate * (1 - rate) / n)
    kept = y != 0
    np.testing.assert_allclose(y[kept], x[kept] / (1 - rate), rtol=1e-6)
    # E[y] = x: the sample mean of y/x is 1 within 6 standard errors (Var(y/x) = rate/(1-rate)).
    assert abs(np.mean(y / x) - 1.0) < 6 * np.sqrt(rate / (1 - rate) / n)


def test_dropout_is_the_identity_when_not_training_or_at_rate_zero():
    x = np.random.default_rng(1).normal(size=(8, 9)).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(reg.dropout(x, 0.5, training=False, seed=0)), x)
    np.testing.assert_array_equal(np.asarray(reg.dropout(x, 0.0, training=True, seed=0)), x)


def test_dropout_same_seed_same_mask_other_seed_other_mask():
    x = np.ones((50, 40), np.float32)
    a = np.asarray(reg.dropout(x, 0.5, training=True, seed=3))
    b = np.asarray(reg.dropout(x, 0.5, training=True, seed=3))
    c = np.asarray(reg.dropout(x, 0.5, training=True, seed=4))
    np.testing.assert_array_equal(a, b)
    assert np.mean(a != c) > 0.3


def test_dropout_draws_the_same_mask_as_keras_random_dropout():
    x = np.random.default_rng(2).uniform(1, 2, size=(30, 70)).astype(np.float32)
    ours = np.asarray(reg.dropout(x, 0.4, training=True, seed=9))
    theirs = np.asarray(keras.random.dropout(keras.ops.convert_to_tensor(x), 0.4, seed=9))
    np.testing.assert_array_equal(ours == 0, theirs == 0)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


# --------------------------------------------------------------------------- weight decay


@pytest.mark.parametrize(("eta", "lam"), [(0.1, 1e-3), (0.01, 5e-2), (0.5, 1e-4)])
def test_l2_sgd_step_equals_decoupled_weight_decay_step(eta, lam):
    w, g = _random_weights(5)[2], _random_weights(6)[2]
    penalized = np.asarray(reg.sgd_step_l2(w, g, eta, lam))
    decayed = np.asarray(reg.sgd_step_weight_decay(w, g, eta, reg.l2_to_weight_decay(lam)))
    np.testing.assert_allclose(penalized, decayed, rtol=1e-6, atol=1e-7)
    # and both are the textbook update, computed in float64
    expected = w.astype(np.float64) - eta * (g.astype(np.float64) + 2 * lam * w.astype(np.float64))
    np.testing.assert_allclose(penalized, expected, rtol=1e-6, atol=1e-7)


def test_keras_sgd_weight_decay_is_the_decoupled_step():
    w0, g = _random_weights(7)[1], _random_weights(8)[1]
    var = keras.Variable(w0)
    opt = keras.optimizers.SGD(0.1, weight_decay=0.02)
    opt.apply_gradients([(keras.ops.convert_to_tensor(g), var)])
    np.testing.assert_allclose(np.asarray(var), np.asarray(reg.sgd_step_weight_decay(w0, g, 0.1, 0.02)), rtol=1e-6, atol=1e-7)


def test_keras_l2_regularizer_and_keras_weight_decay_train_identically():
    assert reg.keras_l2_vs_weight_decay(1e-2, learning_rate=0.1, steps=8, batch_size=16) < 1e-6


def test_keras_weight_decay_equals_l2_only_without_momentum_and_with_biases_excluded():
    # Keras decays every variable, biases included, unless told otherwise ...
    assert reg.keras_l2_vs_weight_decay(1e-2, learning_rate=0.1, steps=8, batch_size=16, exclude_bias=False) > 1e-4
    # ... and with momentum the penalty's gradient goes through the velocity, the decay does not.
    assert reg.keras_l2_vs_weight_decay(1e-2, learning_rate=0.1, momentum=0.9, steps=8, batch_size=16) > 1e-3
    with pytest.raises(ValueError, match="momentum"):
        reg.keras_l2_vs_weight_decay(1e-2, momentum=1.0)


def test_keras_weight_decay_differs_from_l2_when_the_factor_two_is_forgotten():
    """Guards the factor 2: a test that cannot fail would not show the convention."""
    w, g = _random_weights(9)[3], _random_weights(10)[3]
    wrong = np.asarray(reg.sgd_step_weight_decay(w, g, 0.1, 1e-2))  # decay = λ instead of 2λ
    assert np.max(np.abs(wrong - np.asarray(reg.sgd_step_l2(w, g, 0.1, 1e-2)))) > 1e-4


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: reg.l1_penalty(np.ones(3), -0.1), "lam"),
        (lambda: reg.l2_penalty(np.ones(3), float("nan")), "lam"),
        (lambda: reg.l2_penalty([], 0.1), "weights"),
        (lambda: reg.l1_penalty((), 0.1), "weights"),
        (lambda: reg.elastic_net_penalty(np.ones(3), -1.0, 0.1), "l1"),
        (lambda: reg.elastic_net_penalty(np.ones(3), 0.1, -1.0), "l2"),
        (lambda: reg.dropout(np.ones(3), 1.0, training=True), "rate"),
        (lambda: reg.dropout(np.ones(3), -0.1, training=False), "rate"),
        (lambda: reg.article_to_keras_lambda(-1.0, 100), "lam"),
        (lambda: reg.article_to_keras_lambda(1.0, 0), "m"),
        (lambda: reg.keras_to_article_lambda(1.0, 2.5), "m"),
        (lambda: reg.sgd_step_l2(np.ones(2), np.ones(2), -0.1, 0.1), "learning_rate"),
        (lambda: reg.sgd_step_weight_decay(np.ones(2), np.ones(2), 0.1, -0.1), "decay"),
        (lambda: reg.Variant("x", dropout=1.0), "dropout"),
        (lambda: reg.Variant("x", l2=-1e-3), "l2"),
        (lambda: reg.Variant("x", input_dropout=-0.2), "input_dropout"),
        (lambda: reg.Variant("x", l2="0.1"), "l2"),
        (lambda: reg.Variant("x", dropout="0.5"), "dropout"),
        (lambda: reg.l1_penalty(np.ones(2), "0.1"), "lam"),
        (lambda: reg.l2_penalty(np.ones(2), float("nan")), "lam"),
        (lambda: reg.elastic_net_penalty(np.ones(2), 0.1, "0.1"), "l2"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"epochs": 0}, "epochs"),
        ({"n_train": 0}, "n_train"),
        ({"n_train": 50_000, "n_val": 10_000}, "n_train"),
        ({"batch_size": -1}, "batch_size"),
        ({"optimizer": "rmsprop"}, "optimizer"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"variants": []}, "variants"),
        ({"variants": [reg.Variant("a"), reg.Variant("a", l2=1e-3)]}, "unique"),
    ],
)
def test_compare_regularizers_checks_arguments_before_training(kwargs, name, monkeypatch):
    def fail(*args, **kw):
        raise AssertionError("data were loaded before the arguments were checked")

    monkeypatch.setattr(data, "train_subset", fail)
    with pytest.raises(ValueError, match=name):
        reg.compare_regularizers(**kwargs)


def test_variant_regularizer_is_the_matching_keras_class():
    assert reg.Variant("none").regularizer() is None
    assert isinstance(reg.Variant("a", l1=1e-3).regularizer(), keras.regularizers.L1)
    assert isinstance(reg.Variant("b", l2=1e-3).regularizer(), keras.regularizers.L2)
    both = reg.Variant("c", l1=1e-3, l2=2e-3).regularizer()
    assert isinstance(both, keras.regularizers.L1L2) and both.get_config() == {"l1": 1e-3, "l2": 2e-3}


# --------------------------------------------------------------------------- the experiment


@pytest.fixture(scope="module")
def tiny_comparison(mnist_file):
    variants = [reg.Variant("none"), reg.Variant("strong L1", l1=3e-2), reg.Variant("dropout", dropout=0.5)]
    return reg.compare_regularizers(
        variants, n_train=200, n_val=100, hidden=(16,), epochs=3, batch_size=50, learning_rate=0.1, progress=False
    )


def test_compare_regularizers_returns_curves_and_statistics(tiny_comparison):
    r = tiny_comparison
    assert r.names() == ["none", "strong L1", "dropout"]
    assert (r.n_train, r.n_val, r.n_test, r.epochs) == (200, 100, 10_000, 3)
    for v in r.variants:
        assert set(v.history) == {"train_loss", "train_accuracy", "val_loss", "val_accuracy"}
        assert all(len(curve) == 3 for curve in v.history.values())
        assert 0.0 <= v.test_accuracy <= 1.0 and 0.0 <= v.train_accuracy <= 1.0
        assert v.gap == pytest.approx(v.train_accuracy - v.test_accuracy)
        assert v.weights.shape == (784 * 16 + 16 * 10,)
        assert v.weight_norm == pytest.approx(float(np.linalg.norm(v.weights)), rel=1e-5)
    assert r["none"].test_accuracy > 0.3  # it learned something in 3 epochs
    # a strong L1 penalty zeroes many weights; the unpenalized model almost none
    assert r["strong L1"].near_zero_fraction > r["none"].near_zero_fraction + 0.05
    with pytest.raises(KeyError, match="L2"):
        r["L2"]


def test_compare_regularizers_table_and_text(tiny_comparison):
    rows = tiny_comparison.table()
    assert [row["variant"] for row in rows] == tiny_comparison.names()
    assert set(rows[0]) == {"variant", "train_accuracy", "test_accuracy", "gap", "near_zero_fraction", "weight_norm"}
    text = str(tiny_comparison)
    assert text.splitlines()[0].startswith("variant") and "strong L1" in text and "%" in text


def test_compare_regularizers_is_reproducible_and_prints_progress(mnist_file, capsys):
    kwargs = dict(n_train=100, n_val=50, hidden=(8,), epochs=1, batch_size=50)
    a = reg.compare_regularizers([reg.Variant("dropout", dropout=0.3)], **kwargs)
    assert "1/1" in capsys.readouterr().err, "a progress bar over the variants, on stderr"
    b = reg.compare_regularizers([reg.Variant("dropout", dropout=0.3)], progress=False, **kwargs)
    assert capsys.readouterr() == ("", "")
    np.testing.assert_array_equal(a["dropout"].weights, b["dropout"].weights)
    assert a["dropout"].history == b["dropout"].history


# --------------------------------------------------------------------------- demonstrations


def test_l2_rescues_high_dimensional_regression_on_few_examples():
    none, l2 = reg.high_dimensional_regression((0.0, 3.0))
    assert none.train_mse < 1e-3 < none.test_mse / 100  # fits the 20 examples, fails on new ones
    assert l2.test_mse < none.test_mse / 100 and l2.weight_norm < none.weight_norm / 10
    again = reg.high_dimensional_regression((0.0,))
    assert again[0] == none  # deterministic, and the same start for every λ


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"lams": ()}, "lams"), ({"lams": (-1.0,)}, "lams"), ({"n_train": 0}, "n_train"),
     ({"learning_rate": 0.0}, "learning_rate"), ({"batch_size": 0}, "batch_size")],
)
def test_high_dimensional_regression_rejects_bad_arguments(kwargs, name):
    args = {"lams": (0.0,)} | kwargs
    with pytest.raises(ValueError, match=name):
        reg.high_dimensional_regression(args.pop("lams"), **args)


@pytest.mark.parametrize(("kwargs", "name"), [({"patience": 0}, "patience"), ({"learning_rate": -1.0}, "learning_rate"),
                                              ({"n_train": 60_000}, "n_train")])
def test_early_stopping_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        reg.train_with_early_stopping(**kwargs)


def test_early_stopping_restores_the_validation_minimum(mnist_file):
    stopped = reg.train_with_early_stopping(n_train=300, n_val=300, hidden=(32,), epochs=12, patience=2,
                                            learning_rate=0.5)
    val = stopped.history["val_loss"]
    assert stopped.best_epoch == int(np.argmin(val)) + 1
    assert stopped.epochs_run == len(val) <= 12
    if stopped.epochs_run < 12:  # it stopped: the last `patience` epochs did not improve
        assert stopped.epochs_run == stopped.best_epoch + 2
    assert stopped.test_accuracy == pytest.approx(stopped.history["test_accuracy"][stopped.best_epoch - 1], abs=1e-9)
