"""Batch, stochastic and mini-batch gradient descent, with momentum and Nesterov, from scratch.

One training loop covers the three variants; only the batch size changes:

=====================  ===========================  ========================
variant                ``batch_size``               updates per epoch
=====================  ===========================  ========================
batch (BGD)            ``len(x)``                   1
stochastic (SGD)       ``1``                        ``len(x)``
mini-batch             anything in between          ``ceil(len(x) / batch_size)``
=====================  ===========================  ========================

Each update averages the gradient of the loss over one batch ``B`` and moves
the weights against it. With learning rate ``η`` and momentum ``μ`` the update
is written exactly as ``keras.optimizers.SGD`` writes it, so the two agree step
by step (a test checks it)::

    plain SGD (μ = 0):   w ← w − η·g
    momentum:            v ← μ·v − η·g;   w ← w + v
    Nesterov:            v ← μ·v − η·g;   w ← w + μ·v − η·g

where ``g = ∇_w (1/|B|) Σ_{i∈B} loss_i(w) + ∇_w penalty(w)`` and the velocity
``v`` starts at zero. :func:`objective_and_gradients` computes ``g`` and
:func:`apply_sgd_update` applies the update; each works on its own, for reuse
in other training loops.

The article's worked example is ridge regression,
``J(w) = 1/(2m) Σ (h(x_i) − y_i)² + λ/(2m) Σ_j w_j²``, which batch gradient
descent drives to the closed form computed by :func:`ridge_closed_form`.

Example::

    >>> import numpy as np
    >>> from dltips.descent import train_gradient_descent
    >>> from dltips.models import mlp
    >>> x = np.random.default_rng(0).random((100, 784), dtype=np.float32)
    >>> y = np.arange(100) % 10
    >>> history = train_gradient_descent(mlp((), input_shape=(784,), seed=0), x, y,
    ...                                  batch_size=32, lr=0.1, epochs=2)
    >>> history.updates_per_epoch, len(history.loss), int(history.examples_seen[-1])
    (4, 8, 200)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf

LossFn = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]
_EVAL_CHUNK = 10_000  # examples per forward pass when evaluating the whole set


# --- the update rule ------------------------------------------------------------------------


def make_velocities(variables: Sequence[tf.Variable]) -> list[tf.Variable]:
    """One zero-initialized velocity (the momentum buffer ``v``) per variable."""
    return [tf.Variable(tf.zeros_like(w), trainable=False, name="velocity") for w in variables]


def apply_sgd_update(
    variables: Sequence[tf.Variable],
    gradients: Sequence[tf.Tensor],
    velocities: Sequence[tf.Variable] = (),
    *,
    lr: float | tf.Tensor,
    momentum: float = 0.0,
    nesterov: bool = False,
) -> None:
    """Apply one SGD update, with optional momentum or Nesterov momentum, in place.

    Keras's parameterization (``keras.optimizers.SGD``)::

        μ = 0:      w ← w − η·g
        momentum:   v ← μ·v − η·g;   w ← w + v
        Nesterov:   v ← μ·v − η·g;   w ← w + μ·v − η·g

    As in Keras, ``nesterov`` has no effect when ``momentum`` is 0. Works eagerly
    and inside ``tf.function`` (``momentum`` and ``nesterov`` are Python values,
    fixed when the function is traced).

    Args:
        variables: the weights ``w`` to update.
        gradients: ``g``, one per variable, same shapes.
        velocities: ``v``, one per variable (see :func:`make_velocities`);
            ignored, and may be empty, when ``momentum`` is 0.
        lr: the learning rate ``η``.
        momentum: ``μ`` in ``[0, 1)``.
        nesterov: use the Nesterov form.

    Example::

        >>> w = tf.Variable([1.0]); v = make_velocities([w])
        >>> apply_sgd_update([w], [tf.constant([2.0])], v, lr=0.1, momentum=0.9)
        >>> round(float(w[0]), 6), round(float(v[0][0]), 6)
        (0.8, -0.2)
    """
    if len(gradients) != len(variables):
        raise ValueError(f"gradients must have one entry per variable ({len(variables)}), got {len(gradients)}")
    if momentum == 0:
        for w, g in zip(variables, gradients):
            w.assign_sub(g * lr)
        return
    if len(velocities) != len(variables):
        raise ValueError(f"velocities must have one entry per variable ({len(variables)}), got {len(velocities)}")
    for w, g, v in zip(variables, gradients, velocities):
        v.assign(v * momentum - g * lr)
        if nesterov:
            w.assign_add(v * momentum - g * lr)
        else:
            w.assign_add(v)


# --- the training loop ----------------------------------------------------------------------


@dataclass
class DescentHistory:
    """What :func:`train_gradient_descent` measured, per update, per epoch and at evaluations.

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
    """

    batch_size: int
    num_examples: int
    updates_per_epoch: int
    lr: float
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


def epoch_batches(num_examples: int, batch_size: int, *, epoch: int, seed: int = 0, shuffle: bool = True) -> list[np.ndarray]:
    """The example indices of each batch of one epoch, in order.

    The order is a permutation drawn from ``(seed, epoch)`` (or ``0..n-1`` when
    ``shuffle`` is false), cut into consecutive batches. When ``batch_size``
    does not divide ``num_examples`` the LAST batch is smaller: it holds the
    ``num_examples % batch_size`` remaining examples and is used like any other
    batch (its gradient is the mean over its own examples), as ``model.fit``
    does. Every example is thus used exactly once per epoch.

    Example::

        >>> [len(b) for b in epoch_batches(10, 4, epoch=0)]
        [4, 4, 2]
    """
    order = np.random.default_rng([seed, epoch]).permutation(num_examples) if shuffle else np.arange(num_examples)
    return [order[i : i + batch_size] for i in range(0, num_examples, batch_size)]


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_arguments(x, y, batch_size, lr, epochs, momentum, eval_at) -> None:
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    n = len(x)
    if n == 0:
        raise ValueError("x must hold at least one example")
    if not _is_int(batch_size) or not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must be an integer in 1..{n} (the number of examples), got {batch_size!r}")
    if not (isinstance(lr, (int, float, np.floating)) and not isinstance(lr, bool) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0, got {lr!r}")
    if not _is_int(epochs) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if not (isinstance(momentum, (int, float, np.floating)) and not isinstance(momentum, bool) and 0 <= momentum < 1):
        raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
    if eval_at is not None:
        points = [eval_at] if _is_int(eval_at) else list(eval_at)
        if not all(_is_int(p) and p >= 1 for p in points):
            raise ValueError(f"eval_at must be a positive integer or a collection of positive integers, got {eval_at!r}")


def _evaluation_points(eval_at: int | Iterable[int] | None, total_updates: int) -> set[int]:
    if eval_at is None:
        return set()
    if _is_int(eval_at):
        return set(range(eval_at, total_updates + 1, int(eval_at)))
    return {int(u) for u in eval_at if u <= total_updates}


def _penalty(model: keras.Model) -> tf.Tensor:
    # Weight penalties (kernel_regularizer=...) are part of the objective J(w).
    return tf.add_n(model.losses) if model.losses else tf.constant(0.0)


def objective_and_gradients(
    model: keras.Model, loss_fn: LossFn, x_batch: tf.Tensor, y_batch: tf.Tensor
) -> tuple[tf.Tensor, list[tf.Tensor]]:
    """The batch objective and its gradient ``g`` with respect to ``model.trainable_variables``.

    The objective is ``loss_fn(y_batch, model(x_batch))``, a mean over the
    batch, plus the model's weight penalties (``model.losses``), the same
    quantity ``model.fit`` differentiates. Works eagerly and inside ``tf.function``.
    """
    with tf.GradientTape() as tape:
        objective = loss_fn(y_batch, model(x_batch, training=True)) + _penalty(model)
    return objective, tape.gradient(objective, model.trainable_variables)


def train_gradient_descent(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int,
    lr: float,
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

    Each update computes ``g``, the gradient of the batch's mean loss plus the
    model's weight penalties (:func:`objective_and_gradients`, with
    ``tf.GradientTape`` inside a ``tf.function``), then applies
    :func:`apply_sgd_update`.

    Args:
        model: a built Keras model; its trainable weights are updated in place.
        x, y: training inputs and targets, same length.
        batch_size: examples per update, in ``1..len(x)``.
        lr: learning rate ``η > 0``.
        epochs: passes over the data, ``>= 1``.
        momentum: ``μ`` in ``[0, 1)``; 0 is plain gradient descent.
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
            ``batch_size`` outside ``1..len(x)``, ``lr <= 0``, ``momentum``
            outside ``[0, 1)``, ``epochs < 1`` or a non-positive ``eval_at``.
    """
    _check_arguments(x, y, batch_size, lr, epochs, momentum, eval_at)
    loss_fn = loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    n = len(x)
    updates_per_epoch = math.ceil(n / batch_size)
    eval_points = _evaluation_points(eval_at, epochs * updates_per_epoch)
    x_all, y_all = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
    x_eval, y_eval = (x_all, y_all) if eval_data is None else (tf.convert_to_tensor(a) for a in eval_data)
    variables = model.trainable_variables
    velocities = make_velocities(variables) if momentum else []

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int32)])
    def train_step(indices: tf.Tensor) -> tf.Tensor:
        objective, gradients = objective_and_gradients(model, loss_fn, tf.gather(x_all, indices), tf.gather(y_all, indices))
        apply_sgd_update(variables, gradients, velocities, lr=lr, momentum=momentum, nesterov=nesterov)
        return objective

    @tf.function
    def summed_loss(xb: tf.Tensor, yb: tf.Tensor) -> tf.Tensor:
        return loss_fn(yb, model(xb, training=False)) * tf.cast(tf.shape(xb)[0], tf.float32)

    def evaluation_loss() -> float:
        chunks = range(0, len(x_eval), _EVAL_CHUNK)
        total = sum(float(summed_loss(x_eval[i : i + _EVAL_CHUNK], y_eval[i : i + _EVAL_CHUNK])) for i in chunks)
        return total / len(x_eval) + float(_penalty(model))

    def flat_weights() -> np.ndarray:
        return np.concatenate([np.ravel(w.numpy()) for w in variables])

    tic = time.perf_counter()
    # Trace, and run one throw-away update (TensorFlow optimizes a graph on its first run),
    # before the clock starts, so that no update is charged for either. Calling the concrete
    # function also skips tf.function's per-call argument matching.
    step = train_step.get_concrete_function()
    saved = [v.numpy() for v in model.variables]
    step(np.arange(batch_size, dtype=np.int32))
    for v, value in zip(model.variables, saved):
        v.assign(value)
    for v in velocities:
        v.assign(tf.zeros_like(v))
    compile_seconds = time.perf_counter() - tic

    batch_losses: list[tf.Tensor] = []
    seen: list[int] = []
    seconds: list[float] = []
    epoch_seconds: list[float] = []
    evals = [(0, 0, 0.0, evaluation_loss())] if evaluate else []
    weights = [flat_weights()] if record_weights else []
    examples = 0
    paused = 0.0  # time spent evaluating, kept off the training clock
    start = time.perf_counter()
    for epoch in range(epochs):
        batches = epoch_batches(n, batch_size, epoch=epoch, seed=seed, shuffle=shuffle)
        for i, indices in enumerate(batches, 1):
            batch_losses.append(step(indices.astype(np.int32)))
            examples += len(indices)
            seconds.append(time.perf_counter() - start - paused)
            seen.append(examples)
            if record_weights:
                weights.append(flat_weights())
            if evaluate and (len(seen) in eval_points or i == len(batches)):
                tic = time.perf_counter()
                evals.append((len(seen), examples, seconds[-1], evaluation_loss()))
                paused += time.perf_counter() - tic
        epoch_seconds.append(seconds[-1])

    loss_values = np.array([float(v) for v in batch_losses])
    sizes = np.diff(np.array([0, *seen]))
    epoch_loss = [np.average(chunk, weights=w) for chunk, w in zip(
        np.split(loss_values, epochs), np.split(sizes, epochs))]
    ev = np.array(evals, dtype=float).reshape(-1, 4)
    return DescentHistory(
        batch_size=int(batch_size),
        num_examples=n,
        updates_per_epoch=updates_per_epoch,
        lr=float(lr),
        momentum=float(momentum),
        nesterov=bool(nesterov),
        loss=loss_values,
        examples_seen=np.array(seen, dtype=np.int64),
        seconds=np.array(seconds),
        epoch_loss=np.array(epoch_loss),
        epoch_seconds=np.array(epoch_seconds),
        eval_updates=ev[:, 0].astype(np.int64),
        eval_examples=ev[:, 1].astype(np.int64),
        eval_seconds=ev[:, 2],
        eval_loss=ev[:, 3],
        compile_seconds=compile_seconds,
        weights=np.stack(weights) if record_weights else None,
    )


def train_with_keras_sgd(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int,
    lr: float,
    epochs: int,
    momentum: float = 0.0,
    nesterov: bool = False,
    shuffle: bool = True,
    seed: int = 0,
    loss: LossFn | None = None,
) -> int:
    """The reference for :func:`train_gradient_descent`: the same training by ``keras.optimizers.SGD`` and ``model.fit``.

    The model is compiled with ``SGD(lr, momentum, nesterov)`` and, epoch by
    epoch, fitted on exactly the batches :func:`epoch_batches` gives (fit
    keeps the last partial batch too), so that from the same initial weights
    both functions should end with the same weights up to float rounding.

    Returns:
        The number of updates Keras made (``optimizer.iterations``).
    """
    _check_arguments(x, y, batch_size, lr, epochs, momentum, None)
    model.compile(
        optimizer=keras.optimizers.SGD(float(lr), momentum=float(momentum), nesterov=nesterov),
        loss=loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    for epoch in range(epochs):
        order = np.concatenate(epoch_batches(len(x), batch_size, epoch=epoch, seed=seed, shuffle=shuffle))
        model.fit(x[order], y[order], batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    return int(model.optimizer.iterations)


# --- the article's worked example: ridge regression -----------------------------------------


def half_squared_error(y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
    """``1/(2|B|) Σ (h(x_i) − y_i)²`` over a batch: the data term of the article's ``J(w)``.

    ``y_pred`` of shape ``(batch, 1)`` and ``y_true`` of shape ``(batch,)`` are
    both flattened first (so they never broadcast into a matrix).
    """
    y_pred = tf.reshape(y_pred, [-1])
    y_true = tf.cast(tf.reshape(y_true, [-1]), y_pred.dtype)
    return 0.5 * tf.reduce_mean(tf.square(y_pred - y_true))


def ridge_model(num_features: int, *, lam: float, num_examples: int) -> keras.Model:
    """A linear model ``h(x) = x·w + b`` whose penalty is the article's ``λ/(2m) Σ_j w_j²``.

    The bias ``b`` is not penalized. Train it with :func:`half_squared_error`
    as the loss; with ``batch_size=num_examples`` the objective is exactly
    ``J(w) = 1/(2m) Σ (h(x_i) − y_i)² + λ/(2m) Σ_j w_j²``. Weights start at zero.

    Raises:
        ValueError: ``num_features`` or ``num_examples`` below 1, or ``lam < 0``.
    """
    if num_features < 1 or num_examples < 1:
        raise ValueError(f"num_features and num_examples must be positive, got {num_features!r} and {num_examples!r}")
    if not lam >= 0:
        raise ValueError(f"lam must be >= 0, got {lam!r}")
    inputs = keras.Input(shape=(num_features,))
    outputs = keras.layers.Dense(
        1,
        kernel_initializer="zeros",
        # keras.regularizers.L2(c) adds c·Σw², so c = λ/(2m) gives the article's penalty.
        kernel_regularizer=keras.regularizers.L2(lam / (2 * num_examples)) if lam else None,
        name="linear",
    )(inputs)
    return keras.Model(inputs, outputs, name="ridge")


def ridge_closed_form(x: np.ndarray, y: np.ndarray, lam: float) -> tuple[np.ndarray, float]:
    """The minimizer ``(w, b)`` of ``J(w) = 1/(2m) Σ (x_i·w + b − y_i)² + λ/(2m) Σ_j w_j²``.

    Setting the gradient to zero gives the normal equations with ``λ`` added
    to the diagonal of every weight (not the bias)::

        [XᵀX + λI   Xᵀ1] [w]   [Xᵀy]
        [1ᵀX        m  ] [b] = [1ᵀy]

    solved in float64.

    Example::

        >>> x = np.array([[0.0], [1.0], [2.0]]); y = np.array([1.0, 3.0, 5.0])
        >>> w, b = ridge_closed_form(x, y, lam=0.0)
        >>> np.round(w, 6).tolist(), round(b, 6)
        ([2.0], 1.0)
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if x.ndim != 2 or len(x) != len(y):
        raise ValueError(f"x must be (m, features) and y (m,), got shapes {x.shape} and {y.shape}")
    if not lam >= 0:
        raise ValueError(f"lam must be >= 0, got {lam!r}")
    design = np.hstack([x, np.ones((len(x), 1))])
    penalty = lam * np.eye(design.shape[1])
    penalty[-1, -1] = 0.0  # the bias is not penalized
    solution = np.linalg.solve(design.T @ design + penalty, design.T @ y)
    return solution[:-1], float(solution[-1])


def ridge_objective(w: np.ndarray, b: float, x: np.ndarray, y: np.ndarray, lam: float) -> float:
    """The article's ``J(w) = 1/(2m) Σ (x_i·w + b − y_i)² + λ/(2m) Σ_j w_j²``, in NumPy."""
    x = np.asarray(x, dtype=np.float64)
    residual = x @ np.ravel(w) + b - np.ravel(y)
    m = len(x)
    return float(residual @ residual / (2 * m) + lam * np.sum(np.square(w)) / (2 * m))


# --- a two-weight problem to draw ------------------------------------------------------------


@dataclass(frozen=True)
class ValleyProblem:
    """Least squares in two weights, ``J(w) = 1/(2m) Σ (x_i·w − y_i)²``, whose contours form a long, narrow valley.

    ``x`` has a large spread along one direction and a small one across it, so
    the Hessian ``XᵀX/m`` is ill-conditioned: the loss is steep across the
    valley and nearly flat along it, the case where plain gradient descent
    zigzags and momentum helps. ``start`` lies up the valley, away from ``minimum``.
    """

    x: np.ndarray
    y: np.ndarray
    start: np.ndarray
    minimum: np.ndarray

    def loss(self, weights: np.ndarray) -> np.ndarray:
        """``J`` at each row of ``weights`` (shape ``(n, 2)``, or one ``(2,)`` point)."""
        w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
        residuals = w @ self.x.T.astype(np.float64) - self.y.astype(np.float64)
        values = np.sum(residuals**2, axis=1) / (2 * len(self.x))
        return values if np.ndim(weights) == 2 else values[0]

    def model(self) -> keras.Model:
        """A fresh linear model ``h(x) = x·w`` (no bias) whose weights start at ``start``."""
        inputs = keras.Input(shape=(2,))
        outputs = keras.layers.Dense(1, use_bias=False, name="linear")(inputs)
        model = keras.Model(inputs, outputs, name="valley")
        model.set_weights([self.start.reshape(2, 1)])
        return model


def valley_problem(num_examples: int = 40, *, seed: int = 0) -> ValleyProblem:
    """A :class:`ValleyProblem`: Hessian eigenvalues about 1 and 0.04 (condition number about 25).

    Example::

        >>> problem = valley_problem(seed=0)
        >>> bool(problem.loss(problem.minimum) < problem.loss(problem.start))
        True
    """
    if num_examples < 2:
        raise ValueError(f"num_examples must be at least 2, got {num_examples!r}")
    rng = np.random.default_rng(seed)
    angle = np.deg2rad(110)
    steep = np.array([np.cos(angle), np.sin(angle)])  # the direction of large spread (and curvature)
    flat = np.array([-np.sin(angle), np.cos(angle)])
    spread = rng.standard_normal((num_examples, 2)) * np.array([1.0, 0.2])
    x = spread[:, :1] * steep + spread[:, 1:] * flat
    y = x @ np.array([1.0, 2.0]) + 0.3 * rng.standard_normal(num_examples)
    x, y = x.astype(np.float32), y.astype(np.float32)
    minimum = np.linalg.solve(x.T.astype(np.float64) @ x, x.T.astype(np.float64) @ y)
    start = minimum + 3.0 * flat + 0.6 * steep
    return ValleyProblem(x=x, y=y, start=start.astype(np.float32), minimum=minimum)
