"""The update rule of gradient descent, from scratch: SGD, momentum and Nesterov, as Keras writes them.

With learning rate ``η`` and momentum ``μ`` the update is written exactly as
``keras.optimizers.SGD`` writes it, so the two agree step by step (a test checks it)::

    plain SGD (μ = 0):   w ← w − η·g
    momentum:            v ← μ·v − η·g;   w ← w + v
    Nesterov:            v ← μ·v − η·g;   w ← w + μ·v − η·g

where ``g = ∇_w (1/|B|) Σ_{i∈B} loss_i(w) + ∇_w penalty(w)`` and the velocity
``v`` starts at zero. :func:`objective_and_gradients` computes ``g`` and
:func:`apply_sgd_update` applies the update; each works on its own, for reuse
in other training loops.

The Nesterov line is Sutskever et al.'s look-ahead method, reparametrized: with
the look-ahead point ``u = w + μ·v`` as the stored weights, the gradient is
taken at the stored weights and the update above follows (see chapter 3).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import tensorflow as tf

from dltips.checks import check_number

__all__ = ["apply_sgd_update", "gradient_descent_step", "make_velocities", "objective_and_gradients", "penalty"]

LossFn = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]  # loss(y_true, y_pred) -> a scalar, averaged over the batch


def make_velocities(variables: Sequence[tf.Variable]) -> list[tf.Variable]:
    """One zero-initialized velocity (the momentum buffer ``v``) per variable.

    Args:
        variables: the variables the velocities go with (``model.trainable_variables``).

    Returns:
        One non-trainable ``tf.Variable`` of zeros per variable, of its shape.

    Example::

        >>> [v.numpy().tolist() for v in make_velocities([tf.Variable([1.0, 2.0])])]
        [[0.0, 0.0]]
    """
    return [tf.Variable(tf.zeros_like(w), trainable=False, name="velocity") for w in variables]


def apply_sgd_update(
    variables: Sequence[tf.Variable],
    gradients: Sequence[tf.Tensor],
    velocities: Sequence[tf.Variable] = (),
    *,
    learning_rate: float | tf.Tensor,
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
        learning_rate: the learning rate ``η``.
        momentum: ``μ`` in ``[0, 1]``, as Keras accepts.
        nesterov: use the Nesterov form.

    Raises:
        ValueError: a ``momentum`` outside ``[0, 1]`` or a ``learning_rate`` that
            is not a finite number > 0 (when given as Python numbers), or lists
            of the wrong length.

    Example::

        >>> w = tf.Variable([1.0]); v = make_velocities([w])
        >>> apply_sgd_update([w], [tf.constant([2.0])], v, learning_rate=0.1, momentum=0.9)
        >>> round(float(w[0]), 6), round(float(v[0][0]), 6)
        (0.8, -0.2)
    """
    lr, mu = _check_update(variables, gradients, velocities,
                           learning_rate, momentum)
    if mu == 0:  # plain SGD: no velocity
        for w, g in zip(variables, gradients):
            w.assign_sub(g * lr)
        return
    for w, g, v in zip(variables, gradients, velocities):
        v.assign(v * mu - g * lr)
        if nesterov:
            w.assign_add(v * mu - g * lr)
        else:
            w.assign_add(v)


def _check_update(variables, gradients, velocities, learning_rate, momentum) -> tuple:
    """``(learning_rate, momentum)`` checked, with one gradient (and velocity) per variable."""
    if not isinstance(momentum, tf.Tensor):
        # Keras's SGD refuses these too; a momentum of 2 would diverge without a word.
        momentum = check_number("momentum", momentum, low=0.0, high=1.0, high_open=False)
    if not isinstance(learning_rate, tf.Tensor):
        learning_rate = check_number("learning_rate", learning_rate, low=0.0, low_open=True)
    if len(gradients) != len(variables):
        raise ValueError(f"gradients must have one entry per variable ({len(variables)}), got {len(gradients)}")
    if momentum != 0 and len(velocities) != len(variables):
        raise ValueError(f"velocities must have one entry per variable ({len(variables)}), got {len(velocities)}")
    return learning_rate, momentum


def penalty(model: keras.Model) -> tf.Tensor:
    """The sum of the model's weight penalties (``kernel_regularizer=...``), part of the objective ``J(w)``; 0 without any.

    Args:
        model: a built Keras model.

    Returns:
        A scalar tensor.

    Example::

        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(
        ...     1, kernel_initializer="ones", kernel_regularizer=keras.regularizers.L2(0.5))])
        >>> _ = model(tf.zeros((1, 2)))
        >>> float(penalty(model))  # 0.5 · (1² + 1²)
        1.0
    """
    return tf.add_n(model.losses) if model.losses else tf.constant(0.0)


def objective_and_gradients(
    model: keras.Model, loss_fn: LossFn, x_batch: tf.Tensor, y_batch: tf.Tensor,
) -> tuple[tf.Tensor, list[tf.Tensor]]:
    """The batch objective and its gradient ``g`` with respect to ``model.trainable_variables``.

    The objective is ``loss_fn(y_batch, model(x_batch))``, a mean over the
    batch, plus the model's weight penalties (``model.losses``), the same
    quantity ``model.fit`` differentiates. Works eagerly and inside ``tf.function``.

    Args:
        model: a built Keras model.
        loss_fn: ``loss(y_true, y_pred) -> scalar``, a mean over the batch.
        x_batch, y_batch: one batch of inputs and targets.

    Returns:
        The objective (a scalar tensor) and one gradient per trainable variable.

    Example::

        >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False,
        ...                                                                 kernel_initializer="ones")])
        >>> loss, [g] = objective_and_gradients(model, keras.losses.MeanSquaredError(),
        ...                                     tf.constant([[2.0]]), tf.constant([[0.0]]))
        >>> float(loss), float(g[0, 0])  # (2w)² at w = 1, and its derivative 8w
        (4.0, 8.0)
    """
    with tf.GradientTape() as tape:
        predictions = model(x_batch, training=True)
        objective = loss_fn(y_batch, predictions) + penalty(model)
    return objective, tape.gradient(objective, model.trainable_variables)


def gradient_descent_step(
    model: keras.Model,
    loss_fn: LossFn,
    x_batch: tf.Tensor,
    y_batch: tf.Tensor,
    velocities: Sequence[tf.Variable] = (),
    *,
    learning_rate: float | tf.Tensor,
    momentum: float = 0.0,
    nesterov: bool = False,
) -> tf.Tensor:
    """One update of gradient descent on one batch; returns the batch's objective before the update.

    The core of :func:`~dltips.descent.train_gradient_descent`: the gradient ``g``
    of the batch's mean loss plus the weight penalties
    (:func:`objective_and_gradients`), then the update
    (:func:`apply_sgd_update`). Works eagerly and inside ``tf.function``.

    Args:
        model: a built Keras model, updated in place.
        loss_fn: ``loss(y_true, y_pred) -> scalar``, a mean over the batch.
        x_batch, y_batch: one batch of inputs and targets.
        velocities: one per trainable variable (:func:`make_velocities`) when ``momentum > 0``.
        learning_rate: ``η > 0`` (a tensor inside ``tf.function``).
        momentum: ``μ`` in ``[0, 1]``.
        nesterov: use Nesterov momentum.

    Returns:
        The batch's objective before the update, a scalar tensor.

    Raises:
        ValueError: a ``momentum`` outside ``[0, 1]`` or a ``learning_rate`` that
            is not a finite number > 0 (as :func:`apply_sgd_update`).

    Example::

        >>> import numpy as np
        >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
        >>> model.set_weights([np.array([[1.0]], "float32")])
        >>> mse = keras.losses.MeanSquaredError()
        >>> x, y = np.array([[1.0]], "float32"), np.array([[0.0]], "float32")
        >>> float(gradient_descent_step(model, mse, x, y, learning_rate=0.25))  # (1 - 0)²
        1.0
        >>> float(model.get_weights()[0][0, 0])  # 1 - 0.25 · 2·(1 - 0)
        0.5
    """
    objective, gradients = objective_and_gradients(
        model, loss_fn, x_batch, y_batch)
    apply_sgd_update(model.trainable_variables, gradients, velocities,
                     learning_rate=learning_rate, momentum=momentum,
                     nesterov=nesterov)
    return objective
