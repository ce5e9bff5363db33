"""Small problems to watch gradient descent on: the article's ridge regression and a narrow valley.

The article's worked example is ridge regression,
``J(w) = 1/(2m) Σ (h(x_i) − y_i)² + λ/(2m) Σ_j w_j²``, which batch gradient
descent drives to the closed form :func:`ridge_closed_form`; :func:`valley_problem`
is a two-weight least-squares problem whose long, narrow valley shows why
momentum helps.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from dltips.checks import check_int, check_number

__all__ = [
    "ValleyProblem",
    "half_squared_error",
    "ridge_closed_form",
    "ridge_model",
    "ridge_objective",
    "valley_problem",
]


def half_squared_error(y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
    """``1/(2|B|) Σ (h(x_i) − y_i)²`` over a batch: the data term of the article's ``J(w)``.

    ``y_pred`` of shape ``(batch, 1)`` and ``y_true`` of shape ``(batch,)`` are
    both flattened first (so they never broadcast into a matrix).

    Args:
        y_true: the targets, shape ``(batch,)`` or ``(batch, 1)``.
        y_pred: the predictions, shape ``(batch, 1)`` or ``(batch,)``.

    Returns:
        A scalar tensor.

    Example::

        >>> float(half_squared_error(tf.constant([1.0, 3.0]), tf.constant([[2.0], [1.0]])))  # (1 + 4) / 4
        1.25
    """
    y_pred = tf.reshape(y_pred, [-1])
    y_true = tf.cast(tf.reshape(y_true, [-1]), y_pred.dtype)
    return 0.5 * tf.reduce_mean(tf.square(y_pred - y_true))


def ridge_model(num_features: int, *, lam: float, num_examples: int) -> keras.Model:
    """A linear model ``h(x) = x·w + b`` whose penalty is the article's ``λ/(2m) Σ_j w_j²``.

    The bias ``b`` is not penalized. Train it with :func:`half_squared_error`
    as the loss; with ``batch_size=num_examples`` the objective is exactly
    ``J(w) = 1/(2m) Σ (h(x_i) − y_i)² + λ/(2m) Σ_j w_j²``. Weights start at zero.

    Args:
        num_features: the number of inputs (>= 1).
        lam: the article's ``λ >= 0``.
        num_examples: ``m``, the training-set size (>= 1) that ``λ`` is divided by.

    Returns:
        An uncompiled Keras model with one ``Dense(1)`` layer named ``"linear"``.

    Raises:
        ValueError: ``num_features`` or ``num_examples`` below 1, or ``lam < 0``.

    Example::

        >>> model = ridge_model(3, lam=2.0, num_examples=100)
        >>> model.count_params(), float(model.get_layer("linear").kernel_regularizer.l2)  # λ/(2m)
        (4, 0.01)
    """
    num_features = check_int("num_features", num_features)
    num_examples = check_int("num_examples", num_examples)
    lam = check_number("lam", lam, low=0.0)
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

    Args:
        x: the inputs, shape ``(m, features)``.
        y: the ``m`` targets.
        lam: the article's ``λ >= 0``.

    Returns:
        ``(w, b)``: the weights (shape ``(features,)``) and the bias.

    Example::

        >>> x = np.array([[0.0], [1.0], [2.0]]); y = np.array([1.0, 3.0, 5.0])
        >>> w, b = ridge_closed_form(x, y, lam=0.0)
        >>> np.round(w, 6).tolist(), round(b, 6)
        ([2.0], 1.0)

    Raises:
        ValueError: ``x`` not ``(m, features)`` with ``y`` of ``m`` values, or ``lam``
            negative or not a finite number.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if x.ndim != 2 or len(x) != len(y):
        raise ValueError(f"x must be (m, features) and y (m,), got shapes {x.shape} and {y.shape}")
    lam = check_number("lam", lam, low=0.0)
    design = np.hstack([x, np.ones((len(x), 1))])
    penalty = lam * np.eye(design.shape[1])
    penalty[-1, -1] = 0.0  # the bias is not penalized
    solution = np.linalg.solve(design.T @ design + penalty, design.T @ y)
    return solution[:-1], float(solution[-1])


def ridge_objective(w: np.ndarray, b: float, x: np.ndarray, y: np.ndarray, lam: float) -> float:
    """The article's ``J(w) = 1/(2m) Σ (x_i·w + b − y_i)² + λ/(2m) Σ_j w_j²``, in NumPy.

    Args:
        w: the weights, shape ``(features,)``.
        b: the bias.
        x: the inputs, shape ``(m, features)``.
        y: the ``m`` targets.
        lam: the article's ``λ >= 0``.

    Returns:
        ``J`` as a float.

    Raises:
        ValueError: ``b`` not a finite number, ``lam`` negative or not a finite number.

    Example::

        >>> ridge_objective(np.array([2.0]), 1.0, np.array([[0.0], [1.0]]), np.array([1.0, 3.0]), lam=0.0)
        0.0
    """
    b = check_number("b", b)
    lam = check_number("lam", lam, low=0.0)
    x = np.asarray(x, dtype=np.float64)
    residual = x @ np.ravel(w) + b - np.ravel(y)
    m = len(x)
    return float(residual @ residual / (2 * m) + lam * np.sum(np.square(w)) / (2 * m))


@dataclass(frozen=True)
class ValleyProblem:
    """Least squares in two weights, ``J(w) = 1/(2m) Σ (x_i·w − y_i)²``, whose contours form a long, narrow valley.

    ``x`` has a large spread along one direction and a small one across it, so
    the Hessian ``XᵀX/m`` is ill-conditioned: the loss is steep across the
    valley and nearly flat along it, the case where plain gradient descent
    zigzags and momentum helps. ``start`` lies up the valley, away from ``minimum``.

    Args:
        x: the inputs, shape ``(m, 2)``.
        y: the ``m`` targets.
        start: the initial weights, shape ``(2,)``.
        minimum: the least-squares weights, shape ``(2,)``.

    Example::

        >>> problem = ValleyProblem(np.eye(2), np.array([1.0, 1.0]), np.zeros(2), np.ones(2))
        >>> float(problem.loss(problem.start)), float(problem.loss(problem.minimum))
        (0.5, 0.0)
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

    Args:
        num_examples: ``m``, an integer >= 2.
        seed: seeds the inputs, an integer >= 0.

    Returns:
        A :class:`ValleyProblem`.

    Raises:
        ValueError: ``num_examples`` not an integer >= 2, ``seed`` not an integer >= 0.

    Example::

        >>> problem = valley_problem(seed=0)
        >>> bool(problem.loss(problem.minimum) < problem.loss(problem.start))
        True
    """
    num_examples = check_int("num_examples", num_examples, minimum=2)
    check_int("seed", seed, minimum=0)
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
