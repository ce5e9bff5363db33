"""Learning-rate schedules: how the step size of gradient descent changes during training.

A schedule is a function ``t ↦ α_t`` of the optimizer step ``t`` (the number of
updates done so far; the first update uses ``α_0``). Each one here is a
``keras.optimizers.schedules.LearningRateSchedule``, so it can be given to any
Keras optimizer, serialized with ``get_config``/``from_config`` and saved with a
``.keras`` model. Every schedule is written from scratch and tested against its
Keras built-in (see ``tests/test_schedules.py``).

Every argument after the first is keyword-only, except in :class:`ExponentialDecay`,
which takes Keras's arguments in Keras's order: code ported positionally from
Keras either means the same thing or fails at once with a ``TypeError``, never
silently builds another schedule. The lower-case names (``cosine_decay``, …) are
aliases of the classes, as Keras's ``l2`` is of ``L2``.

========================  ==============================================  ====================================
schedule                  formula (``t`` = step)                          Keras built-in that agrees
========================  ==============================================  ====================================
``Constant``              ``α0`` (no decay at all)                        a plain float learning rate
``ExponentialDecay``      ``α0 · γ^(t/s)`` (``⌊t/s⌋`` with staircase)     ``ExponentialDecay``
``LinearDecay``           ``α0 + (α_end − α0) · min(t, T)/T``             ``PolynomialDecay(power=1)``
``StepDecay``             ``α0 · γ^⌊t/k⌋``                                ``ExponentialDecay(staircase=True)``
``InverseTimeDecay``      ``α0 / (1 + d · t)``                            ``InverseTimeDecay(decay_steps=1)``
``CosineDecay``           linear warm-up, then cosine down to ``α_min``   ``CosineDecay`` with warm-up
========================  ==============================================  ====================================

Example::

    >>> import keras
    >>> from dltips import schedules
    >>> schedule = schedules.cosine_decay(0.1, total_steps=1000, warmup_steps=100)
    >>> optimizer = keras.optimizers.SGD(learning_rate=schedule)
    >>> schedules.learning_rates(schedule, [0, 50, 100, 1000]).round(4).tolist()
    [0.0, 0.05, 0.1, 0.0]
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import keras
import numpy as np
from keras import ops

from dltips.checks import check_int, check_number

__all__ = [
    "Constant",
    "CosineDecay",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateRecorder",
    "LinearDecay",
    "StepDecay",
    "constant",
    "cosine_decay",
    "exponential_decay",
    "inverse_time_decay",
    "learning_rates",
    "linear_decay",
    "step_decay",
]

# Keras schedules compute in float32, the dtype of the optimizer's learning rate;
# computing in the same dtype keeps ours equal to theirs to the last bits.
_DTYPE = "float32"


def _step_as_float(step: Any) -> Any:
    return ops.cast(step, _DTYPE)


def _rate(value: float) -> Any:
    return ops.convert_to_tensor(value, _DTYPE)


@keras.saving.register_keras_serializable(package="dltips")
class Constant(keras.optimizers.schedules.LearningRateSchedule):
    """``α_t = α0`` for every step: a fixed learning rate, i.e. no decay at all.

    ``keras.optimizers.SGD(learning_rate=Constant(0.1))`` trains exactly like
    ``keras.optimizers.SGD(learning_rate=0.1)``; as a schedule it can stand in a
    table of schedules beside the others. ``constant`` is an alias.

    Args:
        initial_learning_rate: ``α0 > 0``.

    Returns:
        A ``LearningRateSchedule``: called with a step (or a tensor of steps), the rate.

    Raises:
        ValueError: ``initial_learning_rate`` not a finite number > 0.

    Example::

        >>> learning_rates(Constant(0.1), 3).round(6).tolist()
        [0.1, 0.1, 0.1]
    """

    def __init__(self, initial_learning_rate: float):
        self.initial_learning_rate = check_number(
            "initial_learning_rate", initial_learning_rate, low=0.0, low_open=True)

    def __call__(self, step: Any) -> Any:
        """The learning rate at ``step``."""
        return ops.full_like(_step_as_float(step), self.initial_learning_rate)

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments, so ``keras.saving`` can rebuild the schedule (``from_config``)."""
        return {"initial_learning_rate": self.initial_learning_rate}


@keras.saving.register_keras_serializable(package="dltips")
class ExponentialDecay(keras.optimizers.schedules.LearningRateSchedule):
    """``α_t = α0 · γ^(t/s)``: the rate is multiplied by ``γ`` every ``s`` steps, smoothly.

    With ``staircase=True`` the exponent is ``⌊t/s⌋``, so the rate drops all at
    once every ``s`` steps: that is step decay (:class:`StepDecay` with
    ``step_size=s``). The arguments are Keras's, in Keras's order:
    ``ExponentialDecay(α0, s, γ, staircase)`` here and
    ``keras.optimizers.schedules.ExponentialDecay(α0, s, γ, staircase)`` give
    the same rates. ``exponential_decay`` is an alias.

    Args:
        initial_learning_rate: ``α0 > 0``.
        decay_steps: ``s > 0``, the steps over which the rate is multiplied by ``γ``.
        decay_rate: ``γ`` in ``(0, 1]``.
        staircase: drop the rate at whole multiples of ``s`` only.

    Returns:
        A ``LearningRateSchedule``: called with a step (or a tensor of steps), the rate.

    Raises:
        ValueError: ``initial_learning_rate`` or ``decay_steps`` not a finite number > 0,
            ``decay_rate`` outside ``(0, 1]``.

    Example::

        >>> learning_rates(ExponentialDecay(0.1, 100, 0.5), [0, 100, 200]).round(6).tolist()
        [0.1, 0.05, 0.025]
    """

    def __init__(self, initial_learning_rate: float, decay_steps: float,
                 decay_rate: float, staircase: bool = False):
        self.initial_learning_rate = check_number(
            "initial_learning_rate", initial_learning_rate, low=0.0, low_open=True)
        self.decay_steps = check_number(
            "decay_steps", decay_steps, low=0.0, low_open=True)
        self.decay_rate = check_number(
            "decay_rate", decay_rate, low=0.0, high=1.0, low_open=True, high_open=False)
        self.staircase = bool(staircase)

    def __call__(self, step: Any) -> Any:
        """The learning rate at ``step``."""
        exponent = _step_as_float(step) / self.decay_steps
        if self.staircase:  # whole intervals only: the rate drops in steps
            exponent = ops.floor(exponent)
        gamma = ops.cast(self.decay_rate, _DTYPE)
        return _rate(self.initial_learning_rate) * ops.power(gamma, exponent)

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments, so ``keras.saving`` can rebuild the schedule (``from_config``)."""
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate,
                "staircase": self.staircase}


@keras.saving.register_keras_serializable(package="dltips")
class LinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """``α_t = α0 + (α_end − α0) · min(t, T)/T``: a straight line from ``α0`` to ``α_end`` in ``T`` steps.

    With the default ``end_learning_rate=0`` this is ``α0 · (1 − t/T)`` (the formula the
    source article wrongly calls exponential decay); after step ``T`` the rate
    stays at ``end_learning_rate``. Agrees with
    ``keras.optimizers.schedules.PolynomialDecay(α0, T, α_end, power=1)``.
    ``linear_decay`` is an alias.

    Args:
        initial_learning_rate: ``α0 > 0``.
        total_steps: ``T``, an integer >= 1 (keyword-only).
        end_learning_rate: ``α_end`` in ``[0, α0]`` (keyword-only).

    Returns:
        A ``LearningRateSchedule``: called with a step (or a tensor of steps), the rate.

    Raises:
        ValueError: ``initial_learning_rate`` not a finite number > 0, ``total_steps`` not
            an integer >= 1, ``end_learning_rate`` outside ``[0, initial_learning_rate]``.

    Example::

        >>> learning_rates(LinearDecay(0.1, total_steps=100), [0, 25, 100, 200]).round(6).tolist()
        [0.1, 0.075, 0.0, 0.0]
    """

    def __init__(self, initial_learning_rate: float, *, total_steps: int,
                 end_learning_rate: float = 0.0):
        self.initial_learning_rate = check_number(
            "initial_learning_rate", initial_learning_rate, low=0.0, low_open=True)
        self.total_steps = check_int("total_steps", total_steps, minimum=1)
        self.end_learning_rate = check_number(
            "end_learning_rate", end_learning_rate, low=0.0, high=self.initial_learning_rate, high_open=False)

    def __call__(self, step: Any) -> Any:
        """The learning rate at ``step``."""
        total = float(self.total_steps)
        done = ops.minimum(_step_as_float(step), total) / total
        start = _rate(self.initial_learning_rate)
        end = _rate(self.end_learning_rate)
        return (start - end) * (1.0 - done) + end

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments, so ``keras.saving`` can rebuild the schedule (``from_config``)."""
        return {"initial_learning_rate": self.initial_learning_rate,
                "total_steps": self.total_steps,
                "end_learning_rate": self.end_learning_rate}


@keras.saving.register_keras_serializable(package="dltips")
class StepDecay(keras.optimizers.schedules.LearningRateSchedule):
    """``α_t = α0 · γ^⌊t/k⌋``: the rate is multiplied by ``γ`` once every ``k = step_size`` steps.

    The exact Keras built-in is ``keras.optimizers.schedules.ExponentialDecay(α0,
    decay_steps=k, decay_rate=γ, staircase=True)``. It also agrees with
    ``PiecewiseConstantDecay`` with boundaries ``k−1, 2k−1, …`` (Keras keeps a
    value up to and *including* its boundary) and values ``α0, α0·γ, α0·γ², …``,
    up to its last boundary. ``step_decay`` is an alias.

    Args:
        initial_learning_rate: ``α0 > 0``.
        gamma: ``γ`` in ``(0, 1]``, the factor of each drop (keyword-only).
        step_size: ``k``, an integer >= 1 (keyword-only).

    Returns:
        A ``LearningRateSchedule``: called with a step (or a tensor of steps), the rate.

    Raises:
        ValueError: ``initial_learning_rate`` not a finite number > 0, ``gamma`` outside
            ``(0, 1]``, ``step_size`` not an integer >= 1.

    Example::

        >>> learning_rates(StepDecay(0.1, gamma=0.1, step_size=30), [29, 30, 60]).round(6).tolist()
        [0.1, 0.01, 0.001]
    """

    def __init__(self, initial_learning_rate: float, *, gamma: float,
                 step_size: int):
        self.initial_learning_rate = check_number(
            "initial_learning_rate", initial_learning_rate, low=0.0, low_open=True)
        self.gamma = check_number(
            "gamma", gamma, low=0.0, high=1.0, low_open=True, high_open=False)
        self.step_size = check_int("step_size", step_size, minimum=1)

    def __call__(self, step: Any) -> Any:
        """The learning rate at ``step``."""
        drops = ops.floor(_step_as_float(step) / float(self.step_size))
        gamma = ops.cast(self.gamma, _DTYPE)
        return _rate(self.initial_learning_rate) * ops.power(gamma, drops)

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments, so ``keras.saving`` can rebuild the schedule (``from_config``)."""
        return {"initial_learning_rate": self.initial_learning_rate,
                "gamma": self.gamma,
                "step_size": self.step_size}


@keras.saving.register_keras_serializable(package="dltips")
class InverseTimeDecay(keras.optimizers.schedules.LearningRateSchedule):
    """``α_t = α0 / (1 + d · t)``: the ``1/t`` decay that ``SGD(decay=d)`` applied in Keras up to 2.10 and in the legacy optimizers.

    Keras 3 removed the ``decay=`` argument of its optimizers; old code
    ``SGD(lr=α0, decay=d)`` ports to ``SGD(learning_rate=InverseTimeDecay(α0, decay=d))``.
    Agrees with ``keras.optimizers.schedules.InverseTimeDecay(α0, decay_steps=1, decay_rate=d)``;
    ``decay`` is keyword-only, so Keras's positional ``InverseTimeDecay(α0, 1, d)``
    fails here instead of reading ``1`` as ``d``. ``inverse_time_decay`` is an alias.

    Args:
        initial_learning_rate: ``α0 > 0``.
        decay: ``d >= 0``, per step (keyword-only).

    Returns:
        A ``LearningRateSchedule``: called with a step (or a tensor of steps), the rate.

    Raises:
        ValueError: ``initial_learning_rate`` not a finite number > 0, ``decay`` negative or not finite.

    Example::

        >>> learning_rates(InverseTimeDecay(0.1, decay=0.01), [0, 100]).round(6).tolist()
        [0.1, 0.05]
    """

    def __init__(self, initial_learning_rate: float, *, decay: float):
        self.initial_learning_rate = check_number(
            "initial_learning_rate", initial_learning_rate, low=0.0, low_open=True)
        self.decay = check_number("decay", decay, low=0.0)

    def __call__(self, step: Any) -> Any:
        """The learning rate at ``step``."""
        d = ops.cast(self.decay, _DTYPE)
        return _rate(self.initial_learning_rate) / (1.0 + d * _step_as_float(step))

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments, so ``keras.saving`` can rebuild the schedule (``from_config``)."""
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay": self.decay}


@keras.saving.register_keras_serializable(package="dltips")
class CosineDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from 0 to ``α0`` in ``W`` steps, then a half cosine down to ``α_min`` at step ``T``.

    Formula::

        α_t = α0 · t / W                                 for t < W
        α_t = α_min + (α0 − α_min) · ½ (1 + cos(π f))    for t ≥ W,  f = min(t − W, T − W) / (T − W)

    ``T = total_steps`` counts the warm-up steps too; after ``T`` the rate stays
    at ``α_min``. Agrees with ``keras.optimizers.schedules.CosineDecay(0.0,
    decay_steps=T−W, alpha=α_min/α0, warmup_target=α0, warmup_steps=W)``
    (or ``CosineDecay(α0, T, alpha=α_min/α0)`` without warm-up). Every argument
    after the first is keyword-only: Keras's third positional argument is
    ``alpha``, a fraction, and its ``decay_steps`` leaves out the warm-up, so a
    positional port must not be read silently. ``cosine_decay`` is an alias.

    Args:
        initial_learning_rate: ``α0 > 0``, the peak.
        total_steps: ``T``, an integer >= 1, warm-up included.
        warmup_steps: ``W`` in ``0..T−1``.
        min_learning_rate: ``α_min`` in ``[0, α0]``.

    Returns:
        A ``LearningRateSchedule``: called with a step (or a tensor of steps), the rate.

    Raises:
        ValueError: ``initial_learning_rate`` not a finite number > 0, ``total_steps`` not
            an integer >= 1, ``warmup_steps`` not an integer in ``0..total_steps-1``,
            ``min_learning_rate`` outside ``[0, initial_learning_rate]``.

    Example::

        >>> rates = learning_rates(CosineDecay(0.1, total_steps=1000, warmup_steps=100), [0, 50, 100, 550, 1000])
        >>> rates.round(4).tolist()
        [0.0, 0.05, 0.1, 0.05, 0.0]
    """

    def __init__(self, initial_learning_rate: float, *, total_steps: int,
                 warmup_steps: int = 0, min_learning_rate: float = 0.0):
        self.initial_learning_rate = check_number(
            "initial_learning_rate", initial_learning_rate, low=0.0, low_open=True)
        self.total_steps = check_int("total_steps", total_steps, minimum=1)
        # The cosine part needs at least one step to go from α0 to α_min.
        self.warmup_steps = check_int("warmup_steps", warmup_steps, minimum=0,
                                      maximum=self.total_steps - 1)
        self.min_learning_rate = check_number(
            "min_learning_rate", min_learning_rate, low=0.0, high=self.initial_learning_rate, high_open=False)

    def __call__(self, step: Any) -> Any:
        """The learning rate at ``step``."""
        t = _step_as_float(step)
        peak, low = _rate(self.initial_learning_rate), self.min_learning_rate
        decay_steps = float(self.total_steps - self.warmup_steps)
        done = ops.clip((t - self.warmup_steps) / decay_steps, 0.0, 1.0)
        cosine = 0.5 * (1.0 + ops.cos(_rate(math.pi) * done))
        decayed = (peak - low) * cosine + low
        if self.warmup_steps == 0:
            return decayed
        warming_up = peak * (t / float(self.warmup_steps))
        return ops.where(t < self.warmup_steps, warming_up, decayed)

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments, so ``keras.saving`` can rebuild the schedule (``from_config``)."""
        return {"initial_learning_rate": self.initial_learning_rate,
                "total_steps": self.total_steps,
                "warmup_steps": self.warmup_steps,
                "min_learning_rate": self.min_learning_rate}


# The lower-case spellings are aliases of the classes (as Keras's ``l2`` is of ``L2``), not factories.
constant = Constant
exponential_decay = ExponentialDecay
linear_decay = LinearDecay
step_decay = StepDecay
inverse_time_decay = InverseTimeDecay
cosine_decay = CosineDecay


def learning_rates(
    schedule: keras.optimizers.schedules.LearningRateSchedule | Any, steps: int | Iterable[int]
) -> np.ndarray:
    """The rate a schedule gives at each step, as a float64 NumPy array (for plots and tables).

    Args:
        schedule: any Keras ``LearningRateSchedule`` (ours or Keras's own), or any
            callable of a step.
        steps: a number ``n`` (meaning steps ``0 … n−1``) or the steps themselves.

    All steps go through the schedule in one call when it works elementwise (all
    of ours do); a schedule that branches on a scalar step (Keras's
    ``CosineDecay`` with warm-up) is called once per step instead. Vectorized
    ``pow``/``cos`` kernels can differ from the scalar ones the optimizer uses in
    the last bit (about 1e-7 relative), far below what a plot shows.

    Raises:
        ValueError: a number of steps, or a step, that is not an integer >= 0.

    Example::

        >>> learning_rates(step_decay(1.0, gamma=0.5, step_size=2), 5).tolist()
        [1.0, 1.0, 0.5, 0.5, 0.25]
    """
    if isinstance(steps, (numbers.Number, str, bytes)):
        steps = np.arange(check_int("steps", steps, minimum=0))
    else:
        steps = np.asarray([check_int("steps", s, minimum=0) for s in steps], dtype=np.int64)
    try:
        rates = np.asarray(ops.convert_to_numpy(schedule(ops.convert_to_tensor(steps))), dtype=np.float64)
    except (ValueError, TypeError):
        rates = None
    if rates is None or rates.shape != steps.shape:
        rates = np.array([float(ops.convert_to_numpy(schedule(ops.convert_to_tensor(s)))) for s in steps])
    return rates


class LearningRateRecorder(keras.callbacks.Callback):
    """Records the learning rate the optimizer actually used, into ``History`` as ``"learning_rate"``.

    The optimizer's update number ``t`` (counted from 0) uses ``schedule(t)``.
    At the end of each epoch this callback reads how many updates the optimizer
    has made and evaluates its schedule at each of the epoch's update numbers,
    storing one rate per update in ``step_rates``; it adds the rate of the
    epoch's last update to the logs, so ``history.history["learning_rate"]``
    holds one value per epoch. Reading the rate once per epoch, not before every
    batch, keeps ``fit`` from waiting on the host at each step (a per-batch read
    cost about 40% of the throughput of a small MLP). A rate changed by hand
    during an epoch (a plain float rate that a callback such as
    ``ReduceLROnPlateau`` edits) is recorded as its end-of-epoch value.

    Example::

        >>> recorder = LearningRateRecorder()
        >>> history = model.fit(x, y, epochs=3, callbacks=[recorder], verbose=0)  # doctest: +SKIP
        >>> history.history["learning_rate"], len(recorder.step_rates)  # doctest: +SKIP
    """

    def __init__(self) -> None:
        super().__init__()
        self.step_rates: list[float] = []
        self._next_step = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Keras calls this once, before the first epoch."""
        self.step_rates = []
        self._next_step = int(ops.convert_to_numpy(self.model.optimizer.iterations))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Keras calls this at the end of every epoch."""
        optimizer = self.model.optimizer
        done = int(ops.convert_to_numpy(optimizer.iterations))
        # Keras keeps the schedule object it was given here; a plain rate is a variable.
        schedule = getattr(optimizer, "_learning_rate", None)
        if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
            rates = learning_rates(schedule, range(self._next_step, done)).tolist()
        else:
            rates = [float(ops.convert_to_numpy(optimizer.learning_rate))] * (done - self._next_step)
        self.step_rates.extend(rates)
        self._next_step = done
        if logs is not None and self.step_rates:
            logs["learning_rate"] = self.step_rates[-1]
