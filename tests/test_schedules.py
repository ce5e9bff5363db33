"""dltips.schedules: every schedule agrees with its Keras built-in, behaves as a decay, survives saving."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from keras.optimizers import schedules as keras_schedules

from dltips import schedules


# The optimizer calls a schedule with its scalar int64 iteration counter; so do the comparisons.
def _at(schedule, steps) -> np.ndarray:
    return np.array([float(schedule(keras.ops.convert_to_tensor(np.int64(t)))) for t in steps])


def _steps_around(*marks: int) -> list[int]:
    """Step 0, a spread of steps, and each mark with its neighbours, up to far beyond the last mark."""
    end = max(marks)
    near = {m + d for m in marks for d in (-1, 0, 1)}
    return sorted({0, 1, 2, *near, *np.linspace(0, end, 23).astype(int).tolist(), 2 * end, 10 * end, 1000 * end} - {-1})


def _assert_close(ours: np.ndarray, reference: np.ndarray) -> None:
    assert np.all(reference >= 0)
    zero = reference == 0
    assert np.all(ours[zero] == 0), "where Keras gives exactly 0, so must we"
    relative = np.abs(ours[~zero] - reference[~zero]) / reference[~zero]
    assert relative.max(initial=0.0) < 1e-6, f"largest relative error {relative.max():.3g}"


def _step_decay_reference(initial_learning_rate: float, gamma: float, step_size: int, drops: int):
    # PiecewiseConstantDecay keeps values[i] up to and including boundaries[i], hence the -1.
    boundaries = [k * step_size - 1 for k in range(1, drops + 1)]
    return keras_schedules.PiecewiseConstantDecay(boundaries, [initial_learning_rate * gamma**k for k in range(drops + 1)])


AGREEMENT_CASES = {
    "exponential": (
        # Called exactly as Keras's: the same arguments in the same order.
        schedules.ExponentialDecay(0.1, 100, 0.96),
        keras_schedules.ExponentialDecay(0.1, 100, 0.96),
        _steps_around(100, 2000),
    ),
    "exponential, fractional steps": (
        schedules.ExponentialDecay(0.5, 7.5, 0.3),
        keras_schedules.ExponentialDecay(0.5, 7.5, 0.3),
        _steps_around(7, 8, 150),
    ),
    "exponential, staircase": (
        schedules.ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5, staircase=True),
        keras_schedules.ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5, staircase=True),
        _steps_around(100, 200, 1000),
    ),
    "step vs PiecewiseConstantDecay": (
        schedules.StepDecay(0.1, gamma=0.5, step_size=30),
        _step_decay_reference(0.1, 0.5, 30, drops=40),
        # The reference holds its last value after its last boundary (step 1199): stop before.
        [t for t in _steps_around(30, 60, 90, 590) if t < 1200],
    ),
    "step vs staircase ExponentialDecay": (
        schedules.StepDecay(0.3, gamma=0.1, step_size=25),
        keras_schedules.ExponentialDecay(0.3, decay_steps=25, decay_rate=0.1, staircase=True),
        _steps_around(25, 50, 250),
    ),
    "linear to 0": (
        schedules.LinearDecay(0.1, total_steps=1000),
        keras_schedules.PolynomialDecay(0.1, decay_steps=1000, end_learning_rate=0.0, power=1.0),
        _steps_around(500, 1000),
    ),
    "linear to end_learning_rate": (
        schedules.LinearDecay(0.2, total_steps=300, end_learning_rate=0.01),
        keras_schedules.PolynomialDecay(0.2, decay_steps=300, end_learning_rate=0.01, power=1.0),
        _steps_around(150, 300),
    ),
    "inverse time": (
        schedules.InverseTimeDecay(0.1, decay=0.01),
        keras_schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.01),
        _steps_around(100, 5000),
    ),
    "cosine, no warm-up": (
        schedules.CosineDecay(0.1, total_steps=1000),
        keras_schedules.CosineDecay(0.1, decay_steps=1000),
        _steps_around(500, 999, 1000),
    ),
    "cosine, min_learning_rate": (
        schedules.CosineDecay(0.1, total_steps=1000, min_learning_rate=0.002),
        keras_schedules.CosineDecay(0.1, decay_steps=1000, alpha=0.02),
        _steps_around(500, 1000),
    ),
    "cosine, warm-up": (
        schedules.CosineDecay(0.1, total_steps=1000, warmup_steps=100),
        keras_schedules.CosineDecay(0.0, decay_steps=900, warmup_target=0.1, warmup_steps=100),
        _steps_around(50, 100, 550, 1000),
    ),
    "cosine, warm-up and min_learning_rate": (
        schedules.CosineDecay(0.4, total_steps=630, warmup_steps=63, min_learning_rate=0.004),
        keras_schedules.CosineDecay(0.0, decay_steps=567, alpha=0.01, warmup_target=0.4, warmup_steps=63),
        _steps_around(63, 630),
    ),
}


@pytest.mark.parametrize("case", AGREEMENT_CASES)
def test_schedule_equals_keras_builtin(case):
    ours, reference, steps = AGREEMENT_CASES[case]
    _assert_close(_at(ours, steps), _at(reference, steps))


def test_constant_is_the_same_rate_at_every_step():
    assert np.all(_at(schedules.constant(0.05), [0, 1, 10**6]) == np.float32(0.05))


def test_formulas_by_hand():
    lr = schedules.learning_rates
    assert lr(schedules.LinearDecay(0.1, total_steps=100), [0, 25, 100, 200]) == pytest.approx([0.1, 0.075, 0.0, 0.0])
    assert lr(schedules.StepDecay(0.1, gamma=0.1, step_size=30), [29, 30, 60]) == pytest.approx([0.1, 0.01, 0.001])
    assert lr(schedules.ExponentialDecay(0.1, 100, 0.5), [200]) == pytest.approx([0.025])
    assert lr(schedules.InverseTimeDecay(0.1, decay=0.01), [100]) == pytest.approx([0.05])
    assert lr(schedules.CosineDecay(0.1, total_steps=100), [50]) == pytest.approx([0.05])
    # Warm-up starts at 0, reaches initial_learning_rate at the end of warm-up, and cosine takes over from there.
    assert lr(schedules.CosineDecay(0.1, total_steps=1000, warmup_steps=100), [0, 50, 100, 550, 1000]) == pytest.approx(
        [0.0, 0.05, 0.1, 0.05, 0.0], abs=1e-8
    )


# --- the shape of a decay: positive and non-increasing (after warm-up) ------------------------------

_initial_learning_rate = st.floats(1e-4, 10.0)
_steps = st.lists(st.integers(0, 100_000), min_size=2, max_size=40)


def _f32(value: float) -> float:
    """A parameter as the schedule holds it in float32: γ = 0.99999 becomes 0.9999899864, and γ^7442 moves by 4e-4."""
    return float(np.float32(value))


DECAYS = {
    "exponential": (
        st.builds(schedules.ExponentialDecay, _initial_learning_rate, st.floats(1.0, 10_000.0), st.floats(0.01, 1.0), st.booleans()),
        # The staircase exponent floors t / s computed in float32, as Keras does: 603 / 1.8 is 335 there, 334.99… in float64.
        lambda s, t: s.initial_learning_rate * _f32(s.decay_rate) ** (
            float(np.floor(np.float32(t) / np.float32(s.decay_steps))) if s.staircase else (t / s.decay_steps)),
    ),
    "step": (
        st.builds(schedules.StepDecay, _initial_learning_rate, gamma=st.floats(0.01, 1.0), step_size=st.integers(1, 10_000)),
        lambda s, t: s.initial_learning_rate * _f32(s.gamma) ** (t // s.step_size),
    ),
    "inverse time": (
        st.builds(schedules.InverseTimeDecay, _initial_learning_rate, decay=st.floats(0.0, 10.0)),
        lambda s, t: s.initial_learning_rate / (1 + _f32(s.decay) * t),
    ),
    "linear": (
        st.builds(schedules.LinearDecay, _initial_learning_rate, total_steps=st.integers(1, 100_000),
                  end_learning_rate=st.floats(0.0, 1e-4)),
        # The fraction in parentheses, so it is exactly 1 from step T on, as in float32.
        lambda s, t: s.initial_learning_rate + (s.end_learning_rate - s.initial_learning_rate) * (min(t, s.total_steps) / s.total_steps),
    ),
    "cosine": (
        st.integers(2, 100_000).flatmap(
            lambda total: st.builds(
                schedules.CosineDecay, _initial_learning_rate, total_steps=st.just(total),
                warmup_steps=st.integers(0, total - 1), min_learning_rate=st.floats(0.0, 1e-4),
            )
        ),
        lambda s, t: _cosine_with_warmup(s.initial_learning_rate, s.total_steps, s.warmup_steps, s.min_learning_rate, t),
    ),
}


def _cosine_with_warmup(initial_learning_rate: float, total: int, warmup: int, min_learning_rate: float, t: int) -> float:
    if t < warmup:
        return initial_learning_rate * t / warmup
    fraction_done = min(t - warmup, total - warmup) / (total - warmup)
    return min_learning_rate + (initial_learning_rate - min_learning_rate) * 0.5 * (1 + math.cos(math.pi * fraction_done))


def _decay_starts(schedule) -> int:
    return getattr(schedule, "warmup_steps", 0)


@pytest.mark.parametrize("kind", DECAYS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_decay_is_positive_and_non_increasing_after_warmup(kind, data):
    strategy, exact = DECAYS[kind]
    schedule = data.draw(strategy, label="schedule")
    steps = sorted(set(data.draw(_steps, label="steps")) | {_decay_starts(schedule)})
    steps = [t for t in steps if t >= _decay_starts(schedule)]
    rates = _at(schedule, steps)
    exact_rates = np.array([exact(schedule, t) for t in steps])
    assert np.all(rates >= 0)
    # Positive wherever the exact rate is: not once a linear or cosine decay has
    # reached an end value of 0, nor below what float32 can hold (~1e-38), nor in
    # the cosine's last steps, where 1 + cos(πf) is below float32's resolution near 1
    # (about 6e-8; Keras computes in float32 too): 7 steps before the end of 99,520.
    assert np.all(rates[exact_rates > 1e-6 * schedule.initial_learning_rate] > 0)
    assert np.all(np.diff(rates) <= 0), f"rates went up: {rates}"
    assert rates[0] == pytest.approx(schedule.initial_learning_rate, rel=1e-6)
    np.testing.assert_allclose(rates, exact_rates, rtol=1e-4, atol=schedule.initial_learning_rate * 1e-6)


@settings(max_examples=30, deadline=None)
@given(initial_learning_rate=_initial_learning_rate, total=st.integers(2, 10_000), data=st.data())
def test_warmup_rises_from_zero_to_lr0(initial_learning_rate, total, data):
    warmup = data.draw(st.integers(1, total - 1), label="warmup_steps")
    schedule = schedules.CosineDecay(initial_learning_rate, total_steps=total, warmup_steps=warmup)
    rates = _at(schedule, sorted({0, warmup // 2, warmup - 1, warmup}))
    assert rates[0] == 0
    assert np.all(np.diff(rates) >= 0)
    assert rates[-1] == pytest.approx(initial_learning_rate, rel=1e-6)


# --- serialization ------------------------------------------------------------------------------

ALL_SCHEDULES = {
    "constant": schedules.Constant(0.1),
    "exponential": schedules.ExponentialDecay(0.1, 3, 0.5, staircase=True),
    "linear": schedules.LinearDecay(0.1, total_steps=10, end_learning_rate=0.01),
    "step": schedules.StepDecay(0.1, gamma=0.5, step_size=2),
    "inverse time": schedules.InverseTimeDecay(0.1, decay=0.3),
    "cosine": schedules.CosineDecay(0.1, total_steps=12, warmup_steps=3, min_learning_rate=0.001),
}
_SOME_STEPS = [0, 1, 2, 3, 5, 8, 12, 20]


@pytest.mark.parametrize("name", ALL_SCHEDULES)
def test_config_round_trip(name):
    schedule = ALL_SCHEDULES[name]
    config = schedule.get_config()
    again = type(schedule).from_config(config)
    assert again.get_config() == config
    np.testing.assert_array_equal(_at(again, _SOME_STEPS), _at(schedule, _SOME_STEPS))
    # Keras's own (de)serialization finds the class by its registered name.
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert type(revived) is type(schedule) and revived.get_config() == config


@pytest.mark.parametrize("name", ALL_SCHEDULES)
def test_saved_model_gives_the_same_rate_at_the_same_step(name, tmp_path):
    schedule = ALL_SCHEDULES[name]
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=schedule), loss="mse")
    model.fit(np.ones((8, 3), "float32"), np.zeros((8, 2), "float32"), batch_size=2, epochs=1, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations) == 4
    assert float(loaded.optimizer.learning_rate) == float(model.optimizer.learning_rate)
    for step in _SOME_STEPS:
        model.optimizer.iterations.assign(step)
        loaded.optimizer.iterations.assign(step)
        assert float(loaded.optimizer.learning_rate) == float(model.optimizer.learning_rate) == _at(schedule, [step])[0]


# --- porting Keras 2's SGD(lr, decay=d) -----------------------------------------------------------------


def _keras2_sgd_with_decay(w, x, y, lr, decay, steps):
    """Keras 2's SGD with ``decay``, by hand: update ``t`` (from 0) uses ``lr / (1 + decay · t)``; loss = MSE."""
    rates, weights = [], []
    for t in range(steps):
        rate = np.float32(lr) / (np.float32(1) + np.float32(decay) * np.float32(t))
        gradient = 2.0 * x.T @ (x @ w - y) / y.size
        w = w - rate * gradient
        rates.append(rate)
        weights.append(w)
    return np.array(rates), weights


def test_inverse_time_decay_reproduces_keras2_sgd_decay_step_by_step():
    lr, decay, steps = 0.05, 0.1, 25
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    w0 = rng.normal(size=(3, 1)).astype("float32")
    expected_rates, expected_weights = _keras2_sgd_with_decay(w0.astype("float64"), x, y, lr, decay, steps)

    kernel = keras.Variable(w0)
    optimizer = keras.optimizers.SGD(learning_rate=schedules.InverseTimeDecay(lr, decay=decay))
    for t in range(steps):
        used = float(optimizer.learning_rate)  # the rate this update will use
        assert abs(used - expected_rates[t]) / expected_rates[t] < 1e-6, f"step {t}"
        with tf.GradientTape() as tape:
            loss = keras.ops.mean((keras.ops.matmul(x, kernel) - y) ** 2)
        optimizer.apply_gradients([(tape.gradient(loss, kernel), kernel)])
        np.testing.assert_allclose(kernel.numpy(), expected_weights[t], rtol=1e-5, atol=1e-6, err_msg=f"after step {t}")
    # A constant rate would have ended elsewhere: the comparison can fail.
    constant_rate_weights = _keras2_sgd_with_decay(w0.astype("float64"), x, y, lr, 0.0, steps)[1]
    assert not np.allclose(expected_weights[-1], constant_rate_weights[-1], rtol=1e-3)


# --- bad arguments --------------------------------------------------------------------------------------

BAD = [
    (schedules.Constant, dict(initial_learning_rate=0.0), "initial_learning_rate"),
    (schedules.Constant, dict(initial_learning_rate=-0.1), "initial_learning_rate"),
    (schedules.Constant, dict(initial_learning_rate=float("nan")), "initial_learning_rate"),
    (schedules.Constant, dict(initial_learning_rate="0.1"), "initial_learning_rate"),
    (schedules.Constant, dict(initial_learning_rate=True), "initial_learning_rate"),
    (schedules.ExponentialDecay, dict(initial_learning_rate=0.0, decay_steps=10, decay_rate=0.5), "initial_learning_rate"),
    (schedules.ExponentialDecay, dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.0), "decay_rate"),
    (schedules.ExponentialDecay, dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=1.5), "decay_rate"),
    (schedules.ExponentialDecay, dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=-0.5), "decay_rate"),
    (schedules.ExponentialDecay, dict(initial_learning_rate=0.1, decay_steps=0, decay_rate=0.5), "decay_steps"),
    (schedules.ExponentialDecay, dict(initial_learning_rate=0.1, decay_steps="10", decay_rate=0.5), "decay_steps"),
    (schedules.LinearDecay, dict(initial_learning_rate=-1.0, total_steps=10), "initial_learning_rate"),
    (schedules.LinearDecay, dict(initial_learning_rate=0.1, total_steps=0), "total_steps"),
    (schedules.LinearDecay, dict(initial_learning_rate=0.1, total_steps=10.5), "total_steps"),
    (schedules.LinearDecay, dict(initial_learning_rate=0.1, total_steps=True), "total_steps"),
    (schedules.LinearDecay, dict(initial_learning_rate=0.1, total_steps=10, end_learning_rate=0.2), "end_learning_rate"),
    (schedules.LinearDecay, dict(initial_learning_rate=0.1, total_steps=10, end_learning_rate=-0.01), "end_learning_rate"),
    (schedules.StepDecay, dict(initial_learning_rate=0.0, gamma=0.5, step_size=10), "initial_learning_rate"),
    (schedules.StepDecay, dict(initial_learning_rate=0.1, gamma=1.1, step_size=10), "gamma"),
    (schedules.StepDecay, dict(initial_learning_rate=0.1, gamma=float("nan"), step_size=10), "gamma"),
    (schedules.StepDecay, dict(initial_learning_rate=0.1, gamma=0.5, step_size=0), "step_size"),
    (schedules.StepDecay, dict(initial_learning_rate=0.1, gamma=0.5, step_size=-3), "step_size"),
    (schedules.InverseTimeDecay, dict(initial_learning_rate=0.0, decay=0.1), "initial_learning_rate"),
    (schedules.InverseTimeDecay, dict(initial_learning_rate=0.1, decay=-0.1), "decay"),
    (schedules.InverseTimeDecay, dict(initial_learning_rate=0.1, decay=float("inf")), "decay"),
    (schedules.CosineDecay, dict(initial_learning_rate=0.0, total_steps=100), "initial_learning_rate"),
    (schedules.CosineDecay, dict(initial_learning_rate=0.1, total_steps=0), "total_steps"),
    (schedules.CosineDecay, dict(initial_learning_rate=0.1, total_steps=100, warmup_steps=101), "warmup_steps"),
    (schedules.CosineDecay, dict(initial_learning_rate=0.1, total_steps=100, warmup_steps=100), "warmup_steps"),
    (schedules.CosineDecay, dict(initial_learning_rate=0.1, total_steps=100, warmup_steps=-1), "warmup_steps"),
    (schedules.CosineDecay, dict(initial_learning_rate=0.1, total_steps=100, min_learning_rate=0.5), "min_learning_rate"),
]


@pytest.mark.parametrize(("schedule", "kwargs", "argument"), BAD,
                         ids=[f"{c.__name__}-{a}-{i}" for i, (c, _, a) in enumerate(BAD)])
def test_bad_arguments_raise_naming_the_argument(schedule, kwargs, argument):
    with pytest.raises(ValueError, match=rf"^{argument} must be"):
        schedule(**kwargs)


# --- ported from Keras positionally: the same schedule, or a TypeError; never another schedule ---------

# Each Keras schedule called positionally, as code written for Keras calls it, and our class of the
# same idea called with the same positional arguments.
KERAS_POSITIONAL = [
    (keras_schedules.ExponentialDecay, schedules.ExponentialDecay, (0.1, 1, 0.5)),
    (keras_schedules.ExponentialDecay, schedules.ExponentialDecay, (0.1, 100, 0.96, True)),
    (keras_schedules.InverseTimeDecay, schedules.InverseTimeDecay, (0.1, 1, 0.01)),
    (keras_schedules.CosineDecay, schedules.CosineDecay, (0.1, 1000)),
    (keras_schedules.CosineDecay, schedules.CosineDecay, (0.1, 1000, 0.02)),
    (keras_schedules.PolynomialDecay, schedules.LinearDecay, (0.1, 1000, 0.0)),
    (keras_schedules.ExponentialDecay, schedules.StepDecay, (0.1, 30, 0.5, True)),
]


@pytest.mark.parametrize(("theirs", "ours", "args"), KERAS_POSITIONAL,
                         ids=[f"{o.__name__}{a}" for _, o, a in KERAS_POSITIONAL])
def test_a_positional_port_from_keras_agrees_or_fails_loudly(theirs, ours, args):
    reference = theirs(*args)
    try:
        schedule = ours(*args)
    except TypeError as error:
        assert "positional argument" in str(error), error
        return
    steps = _steps_around(1, 100, 1000)
    _assert_close(_at(schedule, steps), _at(reference, steps))


def test_only_exponential_decay_takes_positional_arguments_after_the_first():
    # The rule the test above relies on: a new schedule must not quietly accept Keras-like positions.
    import inspect

    for name in ("Constant", "LinearDecay", "StepDecay", "InverseTimeDecay", "CosineDecay"):
        parameters = list(inspect.signature(getattr(schedules, name)).parameters.values())[1:]
        assert all(p.kind is p.KEYWORD_ONLY for p in parameters), name
    assert [p.kind for p in inspect.signature(schedules.ExponentialDecay).parameters.values()] == [
        inspect.Parameter.POSITIONAL_OR_KEYWORD] * 4


def test_the_lower_case_names_are_aliases_of_the_classes():
    assert schedules.constant is schedules.Constant
    assert schedules.exponential_decay is schedules.ExponentialDecay
    assert schedules.linear_decay is schedules.LinearDecay
    assert schedules.step_decay is schedules.StepDecay
    assert schedules.inverse_time_decay is schedules.InverseTimeDecay
    assert schedules.cosine_decay is schedules.CosineDecay


@pytest.mark.parametrize("name", ALL_SCHEDULES)
def test_an_optimizer_round_trips_its_schedule_through_its_config(name):
    schedule = ALL_SCHEDULES[name]
    optimizer = keras.optimizers.SGD(learning_rate=schedule, momentum=0.9)
    revived = keras.optimizers.SGD.from_config(optimizer.get_config())
    assert type(revived._learning_rate) is type(schedule)
    assert revived._learning_rate.get_config() == schedule.get_config()
    for step in _SOME_STEPS:
        optimizer.iterations.assign(step)
        revived.iterations.assign(step)
        assert float(revived.learning_rate) == float(optimizer.learning_rate)


def test_bad_arguments_are_rejected_by_from_config_too():
    with pytest.raises(ValueError, match="decay_rate"):
        schedules.ExponentialDecay.from_config({"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 2.0, "staircase": False})


# --- evaluating a schedule and recording the rate used -------------------------------------------------


def test_learning_rates_takes_a_count_or_steps_and_any_schedule():
    schedule = schedules.LinearDecay(1.0, total_steps=4)
    np.testing.assert_allclose(schedules.learning_rates(schedule, 5), [1.0, 0.75, 0.5, 0.25, 0.0])
    np.testing.assert_allclose(schedules.learning_rates(schedule, range(2, 7, 2)), [0.5, 0.0, 0.0])
    assert schedules.learning_rates(schedule, 0).shape == (0,)
    # Keras's CosineDecay with warm-up branches on a scalar step: evaluated step by step.
    keras_cosine = keras_schedules.CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=10)
    np.testing.assert_allclose(schedules.learning_rates(keras_cosine, [0, 5, 10, 20]), [0.0, 0.5, 1.0, 0.0], atol=1e-7)
    np.testing.assert_allclose(schedules.learning_rates(lambda step: 0.25, 3), [0.25, 0.25, 0.25])
    with pytest.raises(ValueError, match="steps"):
        schedules.learning_rates(schedule, np.zeros((2, 2), int))


def _fit_unit_gradient_model(learning_rate, *, epochs, batches):
    """A one-weight model whose loss is its weight: every update lowers the weight by exactly the rate used."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss=lambda y_true, y_pred: keras.ops.mean(y_pred)
    )
    recorder = schedules.LearningRateRecorder()
    x, y = np.ones((batches, 1), "float32"), np.zeros((batches, 1), "float32")
    history = model.fit(x, y, batch_size=1, epochs=epochs, callbacks=[recorder], verbose=0)
    return model, recorder, history


def test_recorder_logs_the_rate_each_update_actually_used():
    schedule = schedules.StepDecay(0.5, gamma=0.5, step_size=3)
    model, recorder, history = _fit_unit_gradient_model(schedule, epochs=3, batches=4)
    expected = schedules.learning_rates(schedule, 12)
    np.testing.assert_allclose(recorder.step_rates, expected, rtol=1e-6)
    # What the optimizer did: the weight moved by exactly the sum of the recorded rates.
    assert float(model.get_weights()[0].item()) == pytest.approx(-sum(recorder.step_rates), rel=1e-6)
    # One value per epoch in History: the rate of that epoch's last update (steps 3, 7, 11).
    assert history.history["learning_rate"] == pytest.approx(expected[[3, 7, 11]].tolist(), rel=1e-6)


def test_recorder_with_a_plain_float_rate_and_a_second_fit():
    model, recorder, history = _fit_unit_gradient_model(0.125, epochs=2, batches=3)
    assert recorder.step_rates == [0.125] * 6
    assert history.history["learning_rate"] == [0.125, 0.125]
    model.fit(np.ones((2, 1), "float32"), np.zeros((2, 1), "float32"), batch_size=1, callbacks=[recorder], verbose=0)
    assert recorder.step_rates == [0.125] * 2  # each fit starts a fresh record


# --- the experiment helper -------------------------------------------------------------------------------


def test_train_with_schedule_records_the_schedule_it_trained_with():
    rng = np.random.default_rng(0)
    x = rng.random((96, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 96).astype("uint8")
    schedule = schedules.cosine_decay(0.1, total_steps=6, warmup_steps=2)
    run = schedules.train_with_schedule(schedule, x, y, x[:32], y[:32], epochs=2, batch_size=32, hidden=(8,))
    np.testing.assert_allclose(run.step_rates, schedules.learning_rates(schedule, 6), rtol=1e-6, atol=1e-9)
    assert run.epoch_rates == pytest.approx(run.step_rates[[2, 5]].tolist())
    assert run.epoch_loss.shape == (2,) and np.isfinite(run.final_train_loss)
    assert 0.0 <= run.test_accuracy <= 1.0
    again = schedules.train_with_schedule(schedule, x, y, x[:32], y[:32], epochs=2, batch_size=32, hidden=(8,))
    assert again.final_train_loss == pytest.approx(run.final_train_loss, rel=1e-5)  # same seed, same run
    with pytest.raises(ValueError, match="epochs"):
        schedules.train_with_schedule(0.1, x, y, x, y, epochs=0, batch_size=32)


@pytest.mark.parametrize("rate", [-0.1, float("nan"), 0.0, "0.1"])
def test_train_with_schedule_refuses_a_rate_that_cannot_train_before_building_a_model(rate, monkeypatch):
    """A negative or NaN rate used to train (to nothing); it is refused before a model exists."""
    from dltips import models

    monkeypatch.setattr(models, "mlp", lambda *a, **k: pytest.fail("a model was built"))
    x, y = np.zeros((8, 28, 28), np.float32), np.zeros(8, np.uint8)
    with pytest.raises(ValueError, match="learning_rate must be a number in \\(0.0, inf\\)"):
        schedules.train_with_schedule(rate, x, y, x, y, epochs=1, batch_size=4)
