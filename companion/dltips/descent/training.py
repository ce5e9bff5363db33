"""The training loop of batch, stochastic and mini-batch gradient descent, from scratch.

One training loop covers the three variants; only the batch size changes:

=====================  ===========================  ========================
variant                ``batch_size``               updates per epoch
=====================  ===========================  ========================
batch (BGD)            ``len(x)``                   1
stochastic (SGD)       ``1``                        ``len(x)``
mini-batch             anything in between          ``ceil(len(x) / batch_size)``
=====================  ===========================  ========================

Each update averages the gradient of the loss over one batch ``B`` and moves
the weights against it with :func:`dltips.descent.apply_sgd_update`, the update
rule that ``keras.optimizers.SGD`` applies: one
:func:`~dltips.descent.gradient_descent_step` per batch (see ``dltips.descent.update``).

Example::

    >>> import numpy as np
    >>> from dltips.descent import train_gradient_descent
    >>> from dltips.models import mlp
    >>> x = np.random.default_rng(0).random((100, 784), dtype=np.float32)
    >>> y = np.arange(100) % 10
    >>> history = train_gradient_descent(mlp((), input_shape=(784,), seed=0), x, y,
    ...                                  batch_size=32, learning_rate=0.1, epochs=2)
    >>> history.updates_per_epoch, len(history.loss), int(history.examples_seen[-1])
    (4, 8, 200)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from dltips.checks import check_int, check_number
from dltips.descent.update import LossFn, gradient_descent_step, make_velocities, penalty

__all__ = ["DescentHistory", "epoch_batches", "train_gradient_descent", "train_with_keras_sgd"]

_EVAL_CHUNK = 10_000  # examples per forward pass when evaluating the whole set


@dataclass
class DescentHistory:
    """What :func:`train_gradient_descent` measured, per update, per epoch and at evaluations.

    Attributes:
        batch_size, num_examples, updates_per_epoch: the run's shape.
        learning_rate, momentum, nesterov: its update rule.
        compile_seconds: tracing and the warm-up update (not in ``seconds``).
        loss, examples_seen, seconds, epoch_loss, epoch_seconds, eval_updates,
            eval_examples, eval_seconds, eval_loss, weights: the arrays below.

    Per update (one entry per update, in order):
        ``loss``: the objective on that update's batch (mean loss over the batch
        plus any weight penalty), at the weights *before* the update;
        ``examples_seen``: examples processed so far, this update's batch included;
        ``seconds``: training wall-clock time so far, at the end of this update.

    Per epoch: ``epoch_loss`` (the example-weighted mean of the batch losses of
    the epoch, which is what ``model.fit`` reports), ``epoch_seconds`` (training
    time at the end of the epoch).

    At evaluations (before the first update, at the updates asked for with
    ``eval_at`` and at the end of every epoch): ``eval_updates``,
    ``eval_examples``, ``eval_seconds`` and ``eval_loss``, the objective on the
    whole evaluation set. These are the curves to compare variants on: every
    variant is judged on the same data, not on its own batches.

    ``seconds`` never include evaluations, nor ``compile_seconds``: tracing the
    update and one throw-away warm-up update, whose effect is undone.
    ``weights`` holds the flattened trainable weights before the first update
    and after every update, when asked for with ``record_weights=True``.

    Example::

        >>> from dltips.descent.problems import half_squared_error, ridge_model
        >>> x, y = np.eye(4, 2, dtype="float32"), np.array([1.0, 2.0, 0.0, 0.0], "float32")
        >>> history = train_gradient_descent(ridge_model(2, lam=0.0, num_examples=4), x, y, batch_size=2,
        ...                                  learning_rate=0.5, epochs=3, loss=half_squared_error)
        >>> history.updates_per_epoch, len(history.loss), history.eval_updates.tolist()
        (2, 6, [0, 2, 4, 6])
        >>> history.loss_after_epochs(3) < history.loss_after_epochs(0)
        True
    """

    batch_size: int
    num_examples: int
    updates_per_epoch: int
    learning_rate: float
    momentum: float
    nesterov: bool
    loss: np.ndarray
    examples_seen: np.ndarray
    seconds: np.ndarray
    epoch_loss: np.ndarray
    epoch_seconds: np.ndarray
    eval_updates: np.ndarray
    eval_examples: np.ndarray
    eval_seconds: np.ndarray
    eval_loss: np.ndarray
    compile_seconds: float
    weights: np.ndarray | None = field(default=None, repr=False)

    @property
    def updates(self) -> np.ndarray:
        """Update counts 1, 2, ... matching the per-update arrays."""
        return np.arange(1, len(self.loss) + 1)

    @property
    def eval_epochs(self) -> np.ndarray:
        """Evaluation points in epochs (examples seen / training-set size)."""
        return self.eval_examples / self.num_examples

    @property
    def examples_per_second(self) -> float:
        """Training throughput over the whole run (examples per training second)."""
        return float(self.examples_seen[-1] / self.seconds[-1])

    def loss_after_updates(self, updates: int) -> float:
        """The evaluation loss after exactly ``updates`` updates (0 is the starting point).

        Raises:
            ValueError: no evaluation was made there (ask for it with ``eval_at``).
        """
        hits = np.flatnonzero(self.eval_updates == updates)
        if not len(hits):
            raise ValueError(f"no evaluation after {updates} updates; evaluated after {self.eval_updates.tolist()}")
        return float(self.eval_loss[hits[0]])

    def loss_after_epochs(self, epochs: int) -> float:
        """The evaluation loss at the end of epoch ``epochs`` (0 is the starting point)."""
        if not 0 <= epochs <= len(self.epoch_loss):
            raise ValueError(f"epochs must be in 0..{len(self.epoch_loss)}, got {epochs!r}")
        return self.loss_after_updates(epochs * self.updates_per_epoch)

    def seconds_to_reach(self, target: float) -> float:
        """Training seconds at the first evaluation whose loss is ``<= target``; ``inf`` if none is."""
        hits = np.flatnonzero(self.eval_loss <= target)
        return float(self.eval_seconds[hits[0]]) if len(hits) else math.inf


def epoch_batches(
    num_examples: int, batch_size: int, *, epoch: int, seed: int = 0,
    shuffle: bool = True,
) -> list[np.ndarray]:
    """The example indices of each batch of one epoch, in order.

    The order is a permutation drawn from ``(seed, epoch)`` (or ``0..n-1`` when
    ``shuffle`` is false), cut into consecutive batches. When ``batch_size``
    does not divide ``num_examples`` the LAST batch is smaller: it holds the
    ``num_examples % batch_size`` remaining examples and is used like any other
    batch (its gradient is the mean over its own examples), as ``model.fit``
    does. Every example is thus used exactly once per epoch.

    Args:
        num_examples: the training-set size (>= 1).
        batch_size: examples per batch (>= 1).
        epoch: the epoch's number (>= 0), which picks its permutation.
        seed: seeds the permutations (>= 0).
        shuffle: draw a permutation; otherwise keep the order ``0..n-1``.

    Returns:
        One index array per batch, ``ceil(num_examples / batch_size)`` in all.

    Raises:
        ValueError: ``num_examples`` or ``batch_size`` not an integer >= 1, ``epoch``
            or ``seed`` not an integer >= 0.

    Example::

        >>> [len(b) for b in epoch_batches(10, 4, epoch=0)]
        [4, 4, 2]
    """
    check_int("num_examples", num_examples)
    check_int("batch_size", batch_size)
    check_int("epoch", epoch, minimum=0)
    check_int("seed", seed, minimum=0)
    order = np.arange(num_examples)
    if shuffle:  # a new order every epoch, the same for the same (seed, epoch)
        order = np.random.default_rng([seed, epoch]).permutation(num_examples)
    return [order[i : i + batch_size]
            for i in range(0, num_examples, batch_size)]


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_arguments(x, y, batch_size, learning_rate, epochs, momentum, eval_at, seed) -> None:
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    n = len(x)
    if n == 0:
        raise ValueError("x must hold at least one example")
    check_int("batch_size", batch_size, minimum=1, maximum=n)
    check_number("learning_rate", learning_rate, low=0.0, low_open=True)
    check_int("epochs", epochs)
    check_number("momentum", momentum, low=0.0, high=1.0, high_open=False)  # Keras's SGD accepts 1 too
    check_int("seed", seed, minimum=0)
    if eval_at is not None:
        iterable = not isinstance(eval_at, (str, bytes)) and hasattr(eval_at, "__iter__")
        points = list(eval_at) if iterable else [eval_at]
        for point in points:
            check_int("eval_at", point)
    _check_finite_inputs(x, y)


def _check_finite_inputs(x: np.ndarray, y: np.ndarray) -> None:
    # NaN inputs train to a NaN loss, and a label outside the classes fails deep in TensorFlow.
    x = np.asarray(x)
    if np.issubdtype(x.dtype, np.floating) and not np.all(np.isfinite(x)):
        raise ValueError("x must hold finite numbers; it holds NaN or infinity")
    y = np.asarray(y)
    if np.issubdtype(y.dtype, np.floating) and not np.all(np.isfinite(y)):
        raise ValueError("y must hold finite numbers; it holds NaN or infinity")


def _evaluation_points(eval_at: int | Iterable[int] | None, total_updates: int) -> set[int]:
    if eval_at is None:
        return set()
    if _is_int(eval_at):
        return set(range(eval_at, total_updates + 1, int(eval_at)))
    return {int(u) for u in eval_at if u <= total_updates}


def train_gradient_descent(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int,
    learning_rate: float,
    epochs: int,
    momentum: float = 0.0,
    nesterov: bool = False,
    shuffle: bool = True,
    seed: int = 0,
    loss: LossFn | None = None,
    eval_at: int | Iterable[int] | None = None,
    eval_data: tuple[np.ndarray, np.ndarray] | None = None,
    evaluate: bool = True,
    record_weights: bool = False,
) -> DescentHistory:
    """Train ``model`` in place by gradient descent on ``(x, y)``; return what happened.

    ``batch_size=len(x)`` is batch gradient descent (one update per epoch),
    ``batch_size=1`` is stochastic gradient descent (``len(x)`` updates per
    epoch), anything between is mini-batch. The batches of each epoch come from
    :func:`epoch_batches`: a fresh permutation per epoch (unless ``shuffle`` is
    false) cut into consecutive batches. **Last partial batch:** when
    ``batch_size`` does not divide ``len(x)``, the last batch of every epoch
    holds the ``len(x) % batch_size`` remaining examples and makes a normal
    update with the mean gradient over those examples (as ``model.fit`` does),
    so an epoch has ``ceil(len(x) / batch_size)`` updates and uses every
    example exactly once.

    Each update is one :func:`~dltips.descent.gradient_descent_step` inside a
    ``tf.function``: ``g``, the gradient of the batch's mean loss plus the
    model's weight penalties (with ``tf.GradientTape``), then
    :func:`~dltips.descent.apply_sgd_update`.

    Args:
        model: a built Keras model; its trainable weights are updated in place.
        x, y: training inputs and targets, same length.
        batch_size: examples per update, in ``1..len(x)``.
        learning_rate: learning rate ``η > 0``.
        epochs: passes over the data, ``>= 1``.
        momentum: ``μ`` in ``[0, 1]``; 0 is plain gradient descent.
        nesterov: use Nesterov momentum (no effect when ``momentum`` is 0, as in Keras).
        shuffle: draw a new order every epoch; otherwise keep the given order.
        seed: seeds the shuffling (see :func:`epoch_batches`).
        loss: ``loss(y_true, y_pred) -> scalar`` averaged over the batch;
            default sparse categorical cross-entropy from logits.
        eval_at: extra evaluations of the objective on the evaluation set,
            besides update 0 and every epoch's end: an integer ``k`` means
            every ``k`` updates, a collection means after those update numbers.
        eval_data: ``(x_eval, y_eval)`` for evaluations; default ``(x, y)``.
        evaluate: ``False`` skips every evaluation (for timing runs); the
            ``eval_*`` arrays of the history are then empty.
        record_weights: keep the flattened trainable weights before the first
            and after every update in ``history.weights`` (small models only).

    Returns:
        A :class:`DescentHistory`.

    Raises:
        ValueError: before any training, for mismatched ``x``/``y`` lengths,
            ``batch_size`` outside ``1..len(x)``, ``learning_rate <= 0``, ``momentum``
            outside ``[0, 1]``, NaN in ``x`` or ``y``, labels outside the model's classes, ``epochs < 1``,
            a non-positive ``eval_at`` or a ``seed`` that is not an integer >= 0.

    Example::

        >>> from dltips.descent.problems import valley_problem
        >>> problem = valley_problem()
        >>> mse = lambda y, p: 0.5 * keras.ops.mean((keras.ops.reshape(p, [-1]) - y) ** 2)
        >>> history = train_gradient_descent(problem.model(), problem.x, problem.y, batch_size=8,
        ...                                  learning_rate=0.5, epochs=2, momentum=0.9, loss=mse)
        >>> len(history.loss), bool(history.eval_loss[-1] < history.eval_loss[0])
        (10, True)
    """
    _check_arguments(x, y, batch_size, learning_rate, epochs, momentum, eval_at, seed)
    loss_fn = loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    _check_labels(model, loss_fn, y, loss is None)
    n = len(x)
    updates_per_epoch = math.ceil(n / batch_size)
    eval_points = _evaluation_points(eval_at, epochs * updates_per_epoch)
    x_all, y_all = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
    x_eval, y_eval = (x_all, y_all) if eval_data is None else (tf.convert_to_tensor(a) for a in eval_data)
    step, compile_seconds, velocities = _compiled_step(
        model, loss_fn, x_all, y_all, batch_size=batch_size, learning_rate=learning_rate, momentum=momentum,
        nesterov=nesterov)
    run = _run_epochs(
        step, model, n, batch_size=batch_size, epochs=epochs, shuffle=shuffle, seed=seed, eval_points=eval_points,
        evaluation_loss=_evaluation_loss(model, loss_fn, x_eval, y_eval) if evaluate else None,
        record_weights=record_weights)
    return run.history(batch_size=int(batch_size), num_examples=n, updates_per_epoch=updates_per_epoch,
                       learning_rate=float(learning_rate), momentum=float(momentum), nesterov=bool(nesterov),
                       epochs=epochs, compile_seconds=compile_seconds)


def _check_labels(model: keras.Model, loss_fn: LossFn, y: np.ndarray, default_loss: bool) -> None:
    if not default_loss:
        return  # a loss of the caller's own: its targets are its business
    outputs = model.outputs[0].shape[-1] if getattr(model, "outputs", None) else None
    y = np.asarray(y)
    if outputs is not None and (not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= outputs):
        raise ValueError(f"y must hold integer class labels in 0..{outputs - 1} (the model has {outputs} outputs), "
                         f"got values from {y.min()!r} to {y.max()!r}")


def _compiled_step(
    model: keras.Model, loss_fn: LossFn, x_all: tf.Tensor, y_all: tf.Tensor, *, batch_size: int,
    learning_rate: float, momentum: float, nesterov: bool,
) -> tuple[Callable[[np.ndarray], tf.Tensor], float, list[tf.Variable]]:
    """The traced update (indices of a batch → its objective), the seconds spent tracing, and the velocities.

    Traces, and runs one throw-away update (TensorFlow optimizes a graph on its
    first run) whose effect is undone, before any clock starts, so that no
    update is charged for either. The concrete function also skips
    ``tf.function``'s per-call argument matching.
    """
    variables = model.trainable_variables
    velocities = make_velocities(variables) if momentum else []

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int32)])
    def train_step(indices: tf.Tensor) -> tf.Tensor:
        return gradient_descent_step(model, loss_fn, tf.gather(x_all, indices), tf.gather(y_all, indices), velocities,
                                     learning_rate=learning_rate, momentum=momentum, nesterov=nesterov)

    tic = time.perf_counter()
    step = train_step.get_concrete_function()
    saved = [v.numpy() for v in model.variables]
    step(np.arange(batch_size, dtype=np.int32))
    for v, value in zip(model.variables, saved):
        v.assign(value)
    for v in velocities:
        v.assign(tf.zeros_like(v))
    return step, time.perf_counter() - tic, velocities


def _evaluation_loss(model: keras.Model, loss_fn: LossFn, x_eval: tf.Tensor, y_eval: tf.Tensor) -> Callable[[], float]:
    """A function giving the objective on the whole evaluation set (data loss in chunks, plus the penalty)."""

    @tf.function
    def summed_loss(xb: tf.Tensor, yb: tf.Tensor) -> tf.Tensor:
        return loss_fn(yb, model(xb, training=False)) * tf.cast(tf.shape(xb)[0], tf.float32)

    def evaluation_loss() -> float:
        chunks = range(0, len(x_eval), _EVAL_CHUNK)
        total = sum(float(summed_loss(x_eval[i : i + _EVAL_CHUNK], y_eval[i : i + _EVAL_CHUNK])) for i in chunks)
        return total / len(x_eval) + float(penalty(model))

    return evaluation_loss


@dataclass
class _Run:
    """The raw records of the training loop, turned into a :class:`DescentHistory` by :meth:`history`."""

    batch_losses: list[tf.Tensor] = field(default_factory=list)
    seen: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    evals: list[tuple[int, int, float, float]] = field(default_factory=list)
    weights: list[np.ndarray] = field(default_factory=list)

    def history(self, *, epochs: int, **fields: Any) -> DescentHistory:
        loss_values = np.array([float(v) for v in self.batch_losses])
        sizes = np.diff(np.array([0, *self.seen]))
        epoch_loss = [np.average(chunk, weights=w)
                      for chunk, w in zip(np.split(loss_values, epochs), np.split(sizes, epochs))]
        ev = np.array(self.evals, dtype=float).reshape(-1, 4)
        return DescentHistory(
            **fields,
            loss=loss_values,
            examples_seen=np.array(self.seen, dtype=np.int64),
            seconds=np.array(self.seconds),
            epoch_loss=np.array(epoch_loss),
            epoch_seconds=np.array(self.epoch_seconds),
            eval_updates=ev[:, 0].astype(np.int64),
            eval_examples=ev[:, 1].astype(np.int64),
            eval_seconds=ev[:, 2],
            eval_loss=ev[:, 3],
            weights=np.stack(self.weights) if self.weights else None,
        )


def _run_epochs(
    step: Callable[[np.ndarray], tf.Tensor], model: keras.Model, n: int, *, batch_size: int, epochs: int,
    shuffle: bool, seed: int, eval_points: set[int], evaluation_loss: Callable[[], float] | None,
    record_weights: bool,
) -> _Run:
    """The training loop: every batch of every epoch, timed, with the evaluations kept off the clock."""
    variables = model.trainable_variables

    def flat_weights() -> np.ndarray:
        return np.concatenate([np.ravel(w.numpy()) for w in variables])

    run = _Run()
    if evaluation_loss is not None:
        run.evals.append((0, 0, 0.0, evaluation_loss()))
    if record_weights:
        run.weights.append(flat_weights())
    examples = 0
    paused = 0.0  # time spent evaluating, kept off the training clock
    start = time.perf_counter()
    for epoch in range(epochs):
        batches = epoch_batches(n, batch_size, epoch=epoch, seed=seed, shuffle=shuffle)
        for i, indices in enumerate(batches, 1):
            run.batch_losses.append(step(indices.astype(np.int32)))
            examples += len(indices)
            run.seconds.append(time.perf_counter() - start - paused)
            run.seen.append(examples)
            if record_weights:
                run.weights.append(flat_weights())
            if evaluation_loss is not None and (len(run.seen) in eval_points or i == len(batches)):
                tic = time.perf_counter()
                run.evals.append((len(run.seen), examples, run.seconds[-1], evaluation_loss()))
                paused += time.perf_counter() - tic
        run.epoch_seconds.append(run.seconds[-1])
    return run


def train_with_keras_sgd(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int,
    learning_rate: float,
    epochs: int,
    momentum: float = 0.0,
    nesterov: bool = False,
    shuffle: bool = True,
    seed: int = 0,
    loss: LossFn | None = None,
) -> int:
    """The reference for :func:`train_gradient_descent`: the same training by ``keras.optimizers.SGD`` and ``model.fit``.

    The model is compiled with ``SGD(learning_rate, momentum, nesterov)`` and, epoch by
    epoch, fitted on exactly the batches :func:`epoch_batches` gives (fit
    keeps the last partial batch too), so that from the same initial weights
    both functions should end with the same weights up to float rounding.

    Args:
        model: a built Keras model, compiled here and trained in place.
        x, y, batch_size, learning_rate, epochs, momentum, nesterov, shuffle, seed, loss:
            as in :func:`train_gradient_descent`.

    Returns:
        The number of updates Keras made (``optimizer.iterations``).

    Raises:
        ValueError: the arguments :func:`train_gradient_descent` refuses, before training.

    Example::

        >>> from dltips.descent.problems import half_squared_error, ridge_model
        >>> x, y = np.eye(4, 2, dtype="float32"), np.array([1.0, 2.0, 0.0, 0.0], "float32")
        >>> train_with_keras_sgd(ridge_model(2, lam=0.0, num_examples=4), x, y, batch_size=3,
        ...                      learning_rate=0.5, epochs=2, loss=half_squared_error)  # 2 batches per epoch
        4
    """
    _check_arguments(x, y, batch_size, learning_rate, epochs, momentum, None, seed)
    model.compile(
        optimizer=keras.optimizers.SGD(float(learning_rate), momentum=float(momentum), nesterov=nesterov),
        loss=loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    for epoch in range(epochs):
        order = np.concatenate(epoch_batches(len(x), batch_size, epoch=epoch, seed=seed, shuffle=shuffle))
        model.fit(x[order], y[order], batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    return int(model.optimizer.iterations)
