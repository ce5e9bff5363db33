"""dltips.descent: the from-scratch loop agrees with keras.optimizers.SGD, BGD solves ridge, batches are as documented."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from dltips import descent
from dltips.models import mlp


def _classification_data(n: int = 40, features: int = 6, classes: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features)).astype(np.float32)
    y = rng.integers(0, classes, n).astype(np.int32)
    return x, y


def _tiny_model(seed: int = 0, regularizer=None) -> keras.Model:
    return mlp((8,), input_shape=(6,), num_classes=3, seed=seed, kernel_regularizer=regularizer)


def _max_difference(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return max(float(np.max(np.abs(u - v))) for u, v in zip(a, b))


@pytest.mark.parametrize(
    ("momentum", "nesterov", "regularizer"),
    [(0.0, False, None), (0.9, False, None), (0.9, True, None), (0.5, True, 1e-2)],
    ids=["sgd", "momentum", "nesterov", "nesterov+l2"],
)
def test_same_weights_as_keras_sgd_after_60_updates(momentum, nesterov, regularizer):
    x, y = _classification_data()
    batch_size, epochs, lr = 7, 10, 0.1  # 6 updates per epoch, the last on 5 examples
    penalty = keras.regularizers.L2(regularizer) if regularizer else None
    ours, reference = _tiny_model(regularizer=penalty), _tiny_model(regularizer=penalty)
    reference.set_weights(ours.get_weights())

    history = descent.train_gradient_descent(
        ours, x, y, batch_size=batch_size, learning_rate=lr, epochs=epochs, momentum=momentum, nesterov=nesterov, seed=3
    )
    assert len(history.loss) == 60

    # The same batches in the same order, fed to model.fit with keras.optimizers.SGD.
    keras_updates = descent.train_with_keras_sgd(
        reference, x, y, batch_size=batch_size, learning_rate=lr, epochs=epochs, momentum=momentum, nesterov=nesterov, seed=3
    )

    assert keras_updates == 60
    assert _max_difference(ours.get_weights(), reference.get_weights()) < 1e-5
    # The weights did move: agreement is not the trivial kind.
    assert _max_difference(ours.get_weights(), _tiny_model().get_weights()) > 1e-2


@pytest.mark.parametrize(("momentum", "nesterov"), [(0.0, False), (0.8, False), (0.8, True)])
def test_apply_sgd_update_matches_keras_step_by_step(momentum, nesterov):
    rng = np.random.default_rng(1)
    start = [rng.standard_normal((3, 2)).astype(np.float32), rng.standard_normal(2).astype(np.float32)]
    ours = [tf.Variable(w) for w in start]
    theirs = [tf.Variable(w) for w in start]
    velocities = descent.make_velocities(ours)
    optimizer = keras.optimizers.SGD(0.05, momentum=momentum, nesterov=nesterov)
    for _ in range(5):
        grads = [tf.constant(rng.standard_normal(w.shape).astype(np.float32)) for w in start]
        descent.apply_sgd_update(ours, grads, velocities, learning_rate=0.05, momentum=momentum, nesterov=nesterov)
        optimizer.apply_gradients(zip(grads, theirs))
        assert _max_difference([v.numpy() for v in ours], [v.numpy() for v in theirs]) < 1e-6


@pytest.mark.parametrize(("momentum", "nesterov"), [(0.0, False), (0.9, True)])
def test_gradient_descent_step_is_one_keras_sgd_update_and_returns_the_objective_before_it(momentum, nesterov):
    x, y = np.random.default_rng(2).random((16, 784), dtype=np.float32), np.arange(16) % 10
    penalty = keras.regularizers.L2(1e-3)
    ours, theirs = (mlp((8,), input_shape=(784,), kernel_regularizer=penalty, seed=0) for _ in range(2))
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    velocities = descent.make_velocities(ours.trainable_variables)
    optimizer = keras.optimizers.SGD(0.1, momentum=momentum, nesterov=nesterov)
    for _ in range(3):
        expected = float(loss_fn(y, ours(x)) + tf.add_n(ours.losses))
        objective = descent.gradient_descent_step(ours, loss_fn, x, y, velocities, learning_rate=0.1,
                                                  momentum=momentum, nesterov=nesterov)
        assert float(objective) == pytest.approx(expected, rel=1e-6)
        with tf.GradientTape() as tape:
            total = loss_fn(y, theirs(x, training=True)) + tf.add_n(theirs.losses)
        optimizer.apply_gradients(zip(tape.gradient(total, theirs.trainable_variables), theirs.trainable_variables))
    assert _max_difference(ours.get_weights(), theirs.get_weights()) < 1e-6


def test_apply_sgd_update_refuses_a_momentum_keras_refuses():
    w = [tf.Variable([1.0])]
    v = descent.make_velocities(w)
    for momentum in (2.0, -0.5, "0.9"):
        with pytest.raises(ValueError, match="momentum"):
            descent.apply_sgd_update(w, [tf.constant([1.0])], v, learning_rate=0.1, momentum=momentum)
        with pytest.raises(ValueError):  # and Keras agrees
            keras.optimizers.SGD(0.1, momentum=momentum)
    with pytest.raises(ValueError, match="momentum"):  # Keras lets NaN through (NaN > 1 is false); we do not
        descent.apply_sgd_update(w, [tf.constant([1.0])], v, learning_rate=0.1, momentum=float("nan"))
    descent.apply_sgd_update(w, [tf.constant([1.0])], v, learning_rate=0.1, momentum=1.0)  # Keras accepts 1 too
    keras.optimizers.SGD(0.1, momentum=1.0)
    assert float(w[0][0]) == pytest.approx(0.9)


def test_momentum_of_one_is_accepted_by_the_training_loop_as_by_keras():
    """apply_sgd_update and Keras accept μ = 1; the training loop used to refuse it (its range was [0, 1))."""
    x, y = _classification_data(12)
    history = descent.train_gradient_descent(_tiny_model(), x, y, batch_size=4, learning_rate=0.01, epochs=1,
                                             momentum=1.0, evaluate=False)
    assert history.momentum == 1.0 and len(history.loss) == 3


def test_nan_inputs_are_refused_before_training():
    x, y = _classification_data(12)
    x = x.copy()
    x[3, 0] = np.nan
    model = _tiny_model()
    with pytest.raises(ValueError, match="NaN"):
        descent.train_gradient_descent(model, x, y, batch_size=4, learning_rate=0.1, epochs=1)


def test_apply_sgd_update_needs_one_gradient_and_velocity_per_variable():
    w = [tf.Variable([1.0]), tf.Variable([2.0])]
    with pytest.raises(ValueError, match="gradients"):
        descent.apply_sgd_update(w, [tf.constant([1.0])], learning_rate=0.1)
    with pytest.raises(ValueError, match="velocities"):
        descent.apply_sgd_update(w, [tf.constant([1.0])] * 2, [], learning_rate=0.1, momentum=0.9)


def _ridge_data(m: int = 200, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((m, 3)).astype(np.float32)
    y = (x @ np.array([1.5, -2.0, 0.5]) + 0.7 + 0.3 * rng.standard_normal(m)).astype(np.float32)
    return x, y


def test_bgd_on_ridge_reaches_the_closed_form():
    x, y = _ridge_data()
    lam = 20.0  # large enough that the penalty visibly shrinks the weights
    model = descent.ridge_model(3, lam=lam, num_examples=len(x))
    history = descent.train_gradient_descent(
        model, x, y, batch_size=len(x), learning_rate=0.5, epochs=300, loss=descent.half_squared_error
    )
    w_closed, b_closed = descent.ridge_closed_form(x, y, lam)
    kernel, bias = model.get_weights()
    assert np.max(np.abs(kernel.ravel() - w_closed)) < 1e-4
    assert abs(float(bias[0]) - b_closed) < 1e-4
    # The recorded objective is the article's J(w), penalty included.
    assert history.eval_loss[-1] == pytest.approx(descent.ridge_objective(w_closed, b_closed, x, y, lam), abs=1e-5)
    w_plain, _ = descent.ridge_closed_form(x, y, 0.0)
    assert np.linalg.norm(w_closed) < np.linalg.norm(w_plain) - 0.05


def test_objective_and_gradients_is_the_articles_ridge_gradient():
    x, y = _ridge_data(30, seed=2)
    lam = 4.0
    model = descent.ridge_model(3, lam=lam, num_examples=30)
    w = np.array([0.5, -1.0, 2.0], np.float32)
    model.set_weights([w.reshape(3, 1), np.array([0.25], np.float32)])
    objective, (grad_w, grad_b) = descent.objective_and_gradients(model, descent.half_squared_error, x, y)
    residual = x.astype(float) @ w + 0.25 - y
    assert float(objective) == pytest.approx(descent.ridge_objective(w, 0.25, x, y, lam), rel=1e-5)
    assert np.allclose(grad_w.numpy().ravel(), x.T @ residual / 30 + lam * w / 30, atol=1e-5)
    assert float(grad_b[0]) == pytest.approx(residual.mean(), abs=1e-5)


def test_ridge_closed_form_zeroes_the_gradient():
    x, y = _ridge_data(50, seed=1)
    w, b = descent.ridge_closed_form(x, y, 3.0)
    residual = x.astype(float) @ w + b - y
    assert np.allclose(x.T @ residual + 3.0 * w, 0.0, atol=1e-8)
    assert abs(residual.sum()) < 1e-8  # the bias is not penalized
    with pytest.raises(ValueError, match="lam"):
        descent.ridge_closed_form(x, y, -1.0)
    with pytest.raises(ValueError, match="lam"):
        descent.ridge_model(3, lam=-1.0, num_examples=50)


@pytest.mark.parametrize(("batch_size", "updates_per_epoch"), [(12, 1), (1, 12), (5, 3), (4, 3)])
def test_updates_per_epoch(batch_size, updates_per_epoch):
    x, y = _classification_data(12)
    history = descent.train_gradient_descent(_tiny_model(), x, y, batch_size=batch_size, learning_rate=0.1, epochs=2)
    assert history.updates_per_epoch == updates_per_epoch
    assert len(history.loss) == len(history.seconds) == 2 * updates_per_epoch
    assert history.examples_seen[updates_per_epoch - 1] == 12
    assert history.examples_seen[-1] == 24
    assert np.all(np.diff(history.seconds) >= 0)


def test_last_partial_batch_is_a_normal_update_on_the_remaining_examples():
    # 10 examples, batch 4, no shuffling: updates on examples 0-3, 4-7, then 8-9 alone,
    # each with the MEAN gradient over its own examples (as the docstring says).
    rng = np.random.default_rng(2)
    x = rng.standard_normal((10, 2)).astype(np.float32)
    y = rng.standard_normal(10).astype(np.float32)
    model = descent.ridge_model(2, lam=0.0, num_examples=10)
    lr = 0.3
    history = descent.train_gradient_descent(
        model, x, y, batch_size=4, learning_rate=lr, epochs=1, shuffle=False, loss=descent.half_squared_error
    )
    w, b = np.zeros(2), 0.0
    for batch in (slice(0, 4), slice(4, 8), slice(8, 10)):
        residual = x[batch] @ w + b - y[batch]
        w, b = w - lr * x[batch].T @ residual / len(residual), b - lr * residual.mean()
    kernel, bias = model.get_weights()
    assert np.allclose(kernel.ravel(), w, atol=1e-6) and abs(float(bias[0]) - b) < 1e-6
    assert history.examples_seen.tolist() == [4, 8, 10]
    # The epoch loss weighs each batch's mean loss by its size, as model.fit reports it.
    assert history.epoch_loss[0] == pytest.approx(np.average(history.loss, weights=[4, 4, 2]))


def test_epoch_batches_cover_every_example_once_and_reshuffle():
    first = descent.epoch_batches(10, 4, epoch=0, seed=5)
    assert [len(b) for b in first] == [4, 4, 2]
    assert sorted(np.concatenate(first).tolist()) == list(range(10))
    second = descent.epoch_batches(10, 4, epoch=1, seed=5)
    assert not np.array_equal(np.concatenate(first), np.concatenate(second))
    assert np.array_equal(np.concatenate(first), np.concatenate(descent.epoch_batches(10, 4, epoch=0, seed=5)))
    assert np.concatenate(descent.epoch_batches(10, 4, epoch=0, shuffle=False)).tolist() == list(range(10))


def test_history_records_evaluations_weights_and_a_clock_without_tracing():
    x, y = _classification_data(20)
    model = _tiny_model()
    start = np.concatenate([w.ravel() for w in model.get_weights()])
    history = descent.train_gradient_descent(
        model, x, y, batch_size=5, learning_rate=0.1, epochs=2, eval_at=[2, 3, 99], record_weights=True
    )
    # Update 0, the requested points that exist, and the end of each epoch (4 and 8).
    assert history.eval_updates.tolist() == [0, 2, 3, 4, 8]
    assert history.eval_examples.tolist() == [0, 10, 15, 20, 40]
    assert history.loss_after_updates(0) > history.loss_after_epochs(2)
    with pytest.raises(ValueError, match="no evaluation"):
        history.loss_after_updates(5)
    assert history.eval_epochs.tolist() == [0.0, 0.5, 0.75, 1.0, 2.0]
    assert history.eval_seconds[0] == 0.0 and np.all(np.diff(history.eval_seconds) >= 0)
    assert history.epoch_seconds.tolist() == [history.seconds[3], history.seconds[7]]
    assert history.compile_seconds > 0 and history.examples_per_second > 0
    assert history.seconds_to_reach(-1.0) == math.inf
    assert history.seconds_to_reach(history.eval_loss[0]) == 0.0
    assert history.weights.shape == (9, len(start))
    assert np.array_equal(history.weights[0], start)
    assert np.allclose(history.weights[-1], np.concatenate([w.ravel() for w in model.get_weights()]))
    every = descent.train_gradient_descent(_tiny_model(), x, y, batch_size=5, learning_rate=0.1, epochs=2, eval_at=3)
    assert every.eval_updates.tolist() == [0, 3, 4, 6, 8]


def test_evaluate_false_skips_evaluations_but_not_training():
    x, y = _classification_data(20)
    model = _tiny_model()
    history = descent.train_gradient_descent(model, x, y, batch_size=5, learning_rate=0.1, epochs=1, evaluate=False)
    assert len(history.eval_loss) == len(history.eval_updates) == 0
    assert len(history.loss) == 4 and history.examples_per_second > 0


def test_same_seed_same_run():
    x, y = _classification_data(30)
    runs = [descent.train_gradient_descent(_tiny_model(), x, y, batch_size=4, learning_rate=0.1, epochs=2, seed=1) for _ in range(2)]
    assert np.array_equal(runs[0].loss, runs[1].loss)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": -1}, "batch_size"),
        ({"batch_size": 13}, "batch_size"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"learning_rate": -0.1}, "learning_rate"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"momentum": -0.1}, "momentum"),
        ({"momentum": 1.5}, "momentum"),
        ({"momentum": "0.9"}, "momentum"),
        ({"learning_rate": "0.1"}, "learning_rate"),
        ({"y": np.full(12, 10)}, "class labels"),
        ({"y": np.full(12, -1)}, "class labels"),
        ({"epochs": 0}, "epochs"),
        ({"eval_at": 0}, "eval_at"),
        ({"y": np.zeros(11, np.int32)}, "same length"),
    ],
)
def test_bad_arguments_raise_before_training(kwargs, argument):
    x, y = _classification_data(12)
    model = _tiny_model()
    before = model.get_weights()
    arguments = {"batch_size": 4, "learning_rate": 0.1, "epochs": 1, "y": y, **kwargs}
    y_arg = arguments.pop("y")
    with pytest.raises(ValueError, match=argument):
        descent.train_gradient_descent(model, x, y_arg, **arguments)
    assert _max_difference(before, model.get_weights()) == 0.0


def test_valley_problem_is_ill_conditioned_and_its_minimum_is_least_squares():
    problem = descent.valley_problem(seed=0)
    eigenvalues = np.linalg.eigvalsh(problem.x.T.astype(float) @ problem.x / len(problem.x))
    assert eigenvalues[1] / eigenvalues[0] > 10
    grid = problem.minimum + np.array([[0.0, 0.0], [0.01, 0.0], [0.0, -0.01]])
    values = problem.loss(grid)
    assert values.shape == (3,) and values[0] < values[1] and values[0] < values[2]
    model = problem.model()
    assert np.allclose(model.get_weights()[0].ravel(), problem.start)
    # The model's half squared error is the problem's loss at its starting weights.
    start_loss = float(descent.half_squared_error(problem.y, model(problem.x)))
    assert start_loss == pytest.approx(problem.loss(problem.start), rel=1e-5)
    assert start_loss > values[0] + 0.1


# Why momentum helps: the eigen-analysis and the leaky average (dltips.descent.momentum)

def _spectral_radius(matrix: np.ndarray) -> float:
    return float(np.max(np.abs(np.linalg.eigvals(matrix))))


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("learning_rate, momentum", [(0.3, 0.0), (0.5, 0.8), (1.9, 0.5), (2.5, 0.9)])
def test_contraction_factors_are_the_spectral_radius_of_the_update_map(learning_rate, momentum, nesterov):
    lams = np.array([0.04, 0.3, 1.0])
    got = descent.contraction_factors(lams, learning_rate=learning_rate, momentum=momentum, nesterov=nesterov)
    for lam, rho in zip(lams, got):
        a = learning_rate * lam
        # the linear map of (error, velocity) along one eigen-direction, Keras's updates written out
        if nesterov and momentum:
            step = np.array([[1 - a * (1 + momentum), momentum**2], [-a, momentum]])
        else:
            step = np.array([[1 - a, momentum], [-a, momentum]])
        assert rho == pytest.approx(_spectral_radius(step), abs=1e-9)


def test_contraction_factors_predict_the_runs_of_the_updates():
    hessian = np.diag([0.05, 1.0])
    for lr, mu, nest in [(1.5, 0.0, False), (0.5, 0.8, False), (0.5, 0.8, True)]:
        errors = descent.quadratic_descent_errors(hessian, [1.0, 1.0], learning_rate=lr, momentum=mu,
                                                  nesterov=nest, steps=200)
        predicted = descent.contraction_factors([0.05, 1.0], learning_rate=lr, momentum=mu, nesterov=nest).max()
        assert descent.measured_contraction(errors, start=50, stop=150) == pytest.approx(predicted, abs=0.01)


def test_quadratic_descent_errors_follow_the_package_update_in_float64():
    # the same three rules as apply_sgd_update (and Keras), on the gradient H e
    hessian = np.array([[1.0, 0.3], [0.3, 0.2]])
    for mu, nest in [(0.0, False), (0.9, False), (0.9, True)]:
        e = tf.Variable([1.0, -2.0], dtype=tf.float64)
        v = descent.make_velocities([e])
        expected = [e.numpy().copy()]
        for _ in range(5):
            descent.apply_sgd_update([e], [tf.linalg.matvec(hessian, e)], v, learning_rate=0.4, momentum=mu,
                                     nesterov=nest)
            expected.append(e.numpy().copy())
        got = descent.quadratic_descent_errors(hessian, [1.0, -2.0], learning_rate=0.4, momentum=mu,
                                               nesterov=nest, steps=5)
        np.testing.assert_allclose(got, np.array(expected), atol=1e-12)


def test_stability_limits_of_gradient_descent_and_momentum():
    lam = [1.0]
    assert descent.contraction_factors(lam, learning_rate=1.99)[0] < 1 < descent.contraction_factors(
        lam, learning_rate=2.01)[0]
    mu = 0.5  # momentum converges while ηλ < 2(1 + μ)
    assert descent.contraction_factors(lam, learning_rate=2.99, momentum=mu)[0] < 1
    assert descent.contraction_factors(lam, learning_rate=3.01, momentum=mu)[0] > 1
    # complex roots: the error spirals in at √μ whatever the curvature
    np.testing.assert_allclose(descent.contraction_factors([0.5, 1.0], learning_rate=0.5, momentum=0.81), 0.9)


def test_optimal_tunings_balance_the_extreme_directions_and_give_the_root_kappa_speedup():
    lam_min, lam_max = 0.04, 1.0
    kappa = lam_max / lam_min
    gd, hb = descent.optimal_gradient_descent(lam_min, lam_max), descent.optimal_heavy_ball(lam_min, lam_max)
    assert gd.rate == pytest.approx((kappa - 1) / (kappa + 1))
    assert hb.rate == pytest.approx((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1))
    assert hb.momentum == pytest.approx(hb.rate**2)
    for tuning in (gd, hb):
        factors = descent.contraction_factors([lam_min, 0.3, lam_max], learning_rate=tuning.learning_rate,
                                              momentum=tuning.momentum)
        assert factors.max() == pytest.approx(tuning.rate, abs=1e-6)
    # no nearby rate does better than the optimum
    for lr in (gd.learning_rate * 0.95, gd.learning_rate * 1.05):
        assert descent.contraction_factors([lam_min, lam_max], learning_rate=lr).max() > gd.rate
    # steps to shrink the error by e: 1/ln(1/ρ); gradient descent needs about √κ times more
    assert math.log(hb.rate) / math.log(gd.rate) == pytest.approx(math.sqrt(kappa), rel=0.05)


def test_velocity_is_the_leaky_sum_of_the_gradients():
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((12, 3))
    v = np.zeros(3)
    for g in grads:
        v = 0.7 * v - 0.2 * g
    np.testing.assert_allclose(descent.velocity_from_gradients(grads, learning_rate=0.2, momentum=0.7), v)
    # a constant gradient: the effective rate η/(1 − μ)
    steady = descent.velocity_from_gradients(np.ones((200, 1)), learning_rate=0.2, momentum=0.7)
    assert steady.item() == pytest.approx(-0.2 / (1 - 0.7))


@pytest.mark.parametrize("call, argument", [
    (lambda: descent.contraction_factors([-1.0], learning_rate=0.1), "eigenvalues"),
    (lambda: descent.contraction_factors([1.0], learning_rate=0.0), "learning_rate"),
    (lambda: descent.contraction_factors([1.0], learning_rate=0.1, momentum=1.0), "momentum"),
    (lambda: descent.optimal_gradient_descent(0.0, 1.0), "lam_min"),
    (lambda: descent.optimal_heavy_ball(2.0, 1.0), "lam_max"),
    (lambda: descent.quadratic_descent_errors(np.eye(3), [1.0, 2.0], learning_rate=0.1, steps=3), "hessian"),
    (lambda: descent.quadratic_descent_errors(np.eye(1), [1.0], learning_rate=0.1, steps=0), "steps"),
    (lambda: descent.measured_contraction(np.ones(5), start=2, stop=9), "stop"),
    (lambda: descent.measured_contraction(np.zeros(5), start=0, stop=3), "errors"),
    (lambda: descent.velocity_from_gradients(np.zeros((0, 2)), learning_rate=0.1, momentum=0.5), "gradients"),
])
def test_momentum_analysis_refuses_bad_arguments(call, argument):
    with pytest.raises(ValueError, match=argument):
        call()


def test_common_rate_losses_runs_every_batch_size_at_every_rate():
    losses = descent.common_rate_losses(1000, learning_rates=(0.05, 0.2), batch_sizes=(8, 1000), updates=4)
    assert set(losses) == {0.05, 0.2} and all(set(by_size) == {8, 1000} for by_size in losses.values())
    # the full batch at 0.2 after 4 updates is the race's loop after 4 epochs
    race = descent.train_gradient_descent(mlp((), seed=0), *descent_data(1000), batch_size=1000,
                                          learning_rate=0.2, epochs=4, seed=0)
    assert losses[0.2][1000] == pytest.approx(race.eval_loss[-1], abs=1e-5)
    with pytest.raises(ValueError, match="learning_rates"):
        descent.common_rate_losses(1000, learning_rates=(0.0,))


def descent_data(n: int):
    from dltips import data

    return data.train_subset(n, seed=0)
