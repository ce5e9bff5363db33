"""Regularization: L1, L2 (weight decay), elastic net and dropout, from scratch and measured.

**The convention used throughout** is Keras's: a penalty is *added to the mean
loss over the batch*, and its coefficient multiplies the plain sum over the
weights (biases are not penalized)::

    L1(λ):        λ · Σ|w|
    L2(λ):        λ · Σw²          (the *squared* L2 norm ‖w‖², not ‖w‖ = sqrt(Σw²))
    L1L2(λ1, λ2): λ1 · Σ|w| + λ2 · Σw²

Textbooks (and the article the book follows) often write the L2-regularized
cost for ``m`` training examples as ``J = CE + λ/(2m) · Σw²``, where ``CE`` is
the mean cross-entropy. Both describe the same objective when
``λ_keras = λ_article / (2m)``: see :func:`article_to_keras_lambda`.

For plain SGD, an L2 penalty is the same thing as *weight decay*::

    w ← w − η (∇L + 2λw)  =  (1 − 2ηλ) w − η ∇L

so ``keras.optimizers.SGD(weight_decay=2λ)`` (which applies
``w ← w − η·weight_decay·w`` before the gradient step) trains exactly like
``L2(λ)`` on the kernels. For adaptive optimizers such as Adam the two differ,
which is why AdamW decouples the decay (Loshchilov & Hutter, 2019).

Example::

    >>> import numpy as np
    >>> from dltips import regularization as reg
    >>> w = [np.ones((2, 3), "float32"), -np.ones(4, "float32")]
    >>> float(reg.l1_penalty(w, 0.1)), float(reg.l2_penalty(w, 0.1))
    (1.0, 1.0)
    >>> reg.article_to_keras_lambda(5.0, m=1000)
    0.0025
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from dltips import models as _models
from dltips.checks import check_int, check_number, check_rate

__all__ = [
    "article_to_keras_lambda",
    "dropout",
    "elastic_net_penalty",
    "keras_l2_vs_weight_decay",
    "keras_to_article_lambda",
    "l1_penalty",
    "l2_penalty",
    "l2_to_weight_decay",
    "sgd_step_l2",
    "sgd_step_weight_decay",
]

TensorLike = Any  # a NumPy array, a tf.Tensor or a keras.Variable


def _weight_list(weights: TensorLike | Sequence[TensorLike]) -> list[TensorLike]:
    ws = list(weights) if isinstance(weights, (list, tuple)) else [weights]
    if not ws:
        raise ValueError("weights must hold at least one tensor, got an empty list")
    return ws


# --------------------------------------------------------------------------- penalties


def l1_penalty(
    weights: TensorLike | Sequence[TensorLike], lam: float
) -> TensorLike:
    """The L1 (lasso) penalty ``λ · Σ|w|`` summed over one tensor or a list of tensors.

    Equals ``keras.regularizers.L1(lam)`` applied to each tensor and summed.
    Its gradient ``λ · sign(w)`` has the same size for every weight, however
    small, so L1 pulls small weights to zero as hard as large ones and selects
    a few weights (Tibshirani, 1996). Exact zeros need a proximal
    (soft-thresholding) step; plain gradient descent leaves the weights it
    would zero jittering within ``ηλ`` of zero.

    Args:
        weights: one tensor or a list of tensors (the kernels).
        lam: ``λ >= 0``.

    Returns:
        A scalar tensor.

    Raises:
        ValueError: ``lam`` negative or not finite, or ``weights`` an empty list.

    Example::

        >>> float(l1_penalty(np.array([1.0, -2.0], "float32"), 0.5))
        1.5
    """
    lam = check_number("lam", lam, low=0.0)
    return lam * sum(ops.sum(ops.absolute(w)) for w in _weight_list(weights))


def l2_penalty(
    weights: TensorLike | Sequence[TensorLike], lam: float
) -> TensorLike:
    """The L2 (ridge, weight-decay) penalty ``λ · Σw²`` over one tensor or a list of tensors.

    Note the *squared* norm: ``Σw² = ‖w‖²``, not ``‖w‖ = sqrt(Σw²)``. Equals
    ``keras.regularizers.L2(lam)`` summed over the tensors. Its gradient
    ``2λw`` shrinks each weight in proportion to its size, so weights get small
    but rarely exactly zero (Krogh & Hertz, 1992).

    The article's form ``λ_a/(2m) · Σw²`` is ``l2_penalty(w, article_to_keras_lambda(λ_a, m))``.

    Args:
        weights: one tensor or a list of tensors (the kernels).
        lam: ``λ >= 0``.

    Returns:
        A scalar tensor.

    Raises:
        ValueError: ``lam`` negative or not finite, or ``weights`` an empty list.

    Example::

        >>> float(l2_penalty(np.array([1.0, -2.0], "float32"), 0.5))
        2.5
    """
    lam = check_number("lam", lam, low=0.0)
    return lam * sum(ops.sum(ops.square(w)) for w in _weight_list(weights))


def elastic_net_penalty(
    weights: TensorLike | Sequence[TensorLike], l1: float, l2: float
) -> TensorLike:
    """The elastic-net penalty ``λ1 · Σ|w| + λ2 · Σw²`` (Zou & Hastie, 2005).

    Equals ``keras.regularizers.L1L2(l1=l1, l2=l2)`` summed over the tensors.

    Args:
        weights: one tensor or a list of tensors (the kernels).
        l1: ``λ1 >= 0``.
        l2: ``λ2 >= 0``.

    Returns:
        A scalar tensor.

    Raises:
        ValueError: ``l1`` or ``l2`` negative or not finite, or ``weights`` an empty list.

    Example::

        >>> float(elastic_net_penalty(np.array([1.0, -2.0], "float32"), l1=0.5, l2=0.5))
        4.0
    """
    l1 = check_number("l1", l1, low=0.0)
    l2 = check_number("l2", l2, low=0.0)
    return l1_penalty(weights, l1) + l2_penalty(weights, l2)


def article_to_keras_lambda(lam: float, m: int) -> float:
    """Convert the article's ``λ`` in ``J = CE + λ/(2m)·Σw²`` to Keras's ``L2(λ)`` coefficient.

    ``CE`` is the mean loss over ``m`` examples, which is also what Keras
    minimizes, so the two objectives agree when ``λ_keras = λ_article / (2m)``.

    Args:
        lam: the article's ``λ >= 0``.
        m: the number of training examples (>= 1).

    Returns:
        Keras's coefficient ``λ / (2m)``.

    Raises:
        ValueError: ``lam`` negative or ``m`` not a positive integer.

    Example::

        >>> article_to_keras_lambda(2.0, m=1000)
        0.001
    """
    lam = check_number("lam", lam, low=0.0)
    m = check_int("m", m, minimum=1)
    return lam / (2 * m)


def keras_to_article_lambda(lam: float, m: int) -> float:
    """The inverse of :func:`article_to_keras_lambda`: ``λ_article = 2m · λ_keras``.

    Args:
        lam: Keras's ``L2`` coefficient (>= 0).
        m: the number of training examples (>= 1).

    Returns:
        The article's ``λ``.

    Raises:
        ValueError: ``lam`` negative or ``m`` not a positive integer.

    Example::

        >>> keras_to_article_lambda(0.001, m=1000)
        2.0
    """
    lam = check_number("lam", lam, low=0.0)
    m = check_int("m", m, minimum=1)
    return 2 * m * lam


# --------------------------------------------------------------------------- dropout


def dropout(
    x: TensorLike, rate: float, *, training: bool, seed: int | None = None
) -> TensorLike:
    """Inverted dropout: zero each entry with probability ``rate``, scale the rest by ``1/(1 − rate)``.

    The scaling keeps the expectation unchanged (``E[dropout(x)] = x``), so at
    inference (``training=False``) the layer is simply the identity and no
    rescaling is needed (Srivastava et al., 2014). With an integer ``seed``
    the mask is the one ``keras.random.dropout(x, rate, seed=seed)`` draws.

    Args:
        x: any tensor.
        rate: probability of dropping an entry, in ``[0, 1)``.
        training: apply the mask (``True``) or return ``x`` unchanged (``False``).
        seed: an integer gives the same mask every call; ``None`` draws a new one.

    Raises:
        ValueError: ``rate`` outside ``[0, 1)``, or a ``seed`` that is not an integer.

    Example::

        >>> y = dropout(np.ones((2, 4), "float32"), 0.5, training=True, seed=0)
        >>> sorted(set(np.asarray(y).ravel().tolist())) in ([0.0, 2.0], [0.0], [2.0])
        True
    """
    rate = check_rate("rate", rate)
    if seed is not None:
        check_int("seed", seed, minimum=-(2**63))
    x = ops.convert_to_tensor(x)
    if not training or rate == 0.0:
        return x
    uniform = keras.random.uniform(ops.shape(x), dtype=x.dtype, seed=seed)
    keep = ops.cast(uniform >= rate, x.dtype)  # 1 with probability 1 - rate
    return x * keep / ops.cast(1.0 - rate, x.dtype)


# --------------------------------------------------------------------------- weight decay


def l2_to_weight_decay(lam: float) -> float:
    """The ``weight_decay`` of ``keras.optimizers.SGD`` that trains like ``L2(lam)``: ``2·lam``.

    Keras's decay step is ``w ← w − η·weight_decay·w``; the gradient of
    ``λ·Σw²`` is ``2λw``, hence the factor 2.

    Args:
        lam: the ``L2`` coefficient (>= 0).

    Returns:
        ``2 · lam``.

    Raises:
        ValueError: ``lam`` negative or not finite.

    Example::

        >>> l2_to_weight_decay(0.005)
        0.01
    """
    return 2.0 * check_number("lam", lam, low=0.0)


def sgd_step_l2(
    weights: TensorLike, grad: TensorLike, learning_rate: float, lam: float
) -> TensorLike:
    """One plain SGD step on ``loss + λ·Σw²``: ``w ← w − η (∇L + 2λw)``.

    ``grad`` is ``∇L``, the gradient of the data loss alone.

    Args:
        weights: ``w``.
        grad: ``∇L``, the gradient of the data loss at ``w``.
        learning_rate: ``η > 0``.
        lam: ``λ >= 0``.

    Returns:
        The new weights.

    Raises:
        ValueError: ``learning_rate`` not positive, or ``lam`` negative.

    Example::

        >>> np.asarray(sgd_step_l2(np.array([1.0, -2.0]), np.array([0.5, 0.5]), 0.1, lam=0.5)).tolist()
        [0.85, -1.85]
    """
    eta = check_number("learning_rate", learning_rate, low=0.0, low_open=True)
    lam = check_number("lam", lam, low=0.0)
    w, g = ops.convert_to_tensor(weights), ops.convert_to_tensor(grad)
    return w - eta * (g + 2.0 * lam * w)


def sgd_step_weight_decay(
    weights: TensorLike, grad: TensorLike, learning_rate: float, decay: float
) -> TensorLike:
    """One SGD step with decoupled weight decay: ``w ← (1 − η·decay) w − η ∇L``.

    With ``decay = 2λ`` (:func:`l2_to_weight_decay`) this equals
    :func:`sgd_step_l2` exactly (up to float rounding). Keras's
    ``SGD(weight_decay=decay)`` performs the same update.

    Args:
        weights: ``w``.
        grad: ``∇L``, the gradient of the data loss at ``w``.
        learning_rate: ``η > 0``.
        decay: the decay rate (>= 0).

    Returns:
        The new weights.

    Raises:
        ValueError: ``learning_rate`` not positive, or ``decay`` negative.

    Example::

        >>> w, g = np.array([1.0, -2.0]), np.array([0.5, 0.5])
        >>> bool(np.allclose(sgd_step_weight_decay(w, g, 0.1, decay=l2_to_weight_decay(0.5)),
        ...                  sgd_step_l2(w, g, 0.1, lam=0.5)))
        True
    """
    eta = check_number("learning_rate", learning_rate, low=0.0, low_open=True)
    decay = check_number("decay", decay, low=0.0)
    w, g = ops.convert_to_tensor(weights), ops.convert_to_tensor(grad)
    return (1.0 - eta * decay) * w - eta * g


def keras_l2_vs_weight_decay(
    lam: float = 1e-3,
    *,
    learning_rate: float = 0.1,
    momentum: float = 0.0,
    exclude_bias: bool = True,
    steps: int = 20,
    batch_size: int = 32,
    seed: int = 0,
) -> float:
    """Train two copies of a tiny MLP on the same batches and return the largest weight difference.

    One copy has ``kernel_regularizer=L2(lam)`` and ``SGD(learning_rate, momentum)``;
    the other has no regularizer and ``SGD(learning_rate, momentum,
    weight_decay=2·lam)``. Keras regularizers penalize kernels only, while
    ``weight_decay`` decays *every* variable, biases included, unless told
    otherwise: with ``exclude_bias=True`` (the default) the biases are excluded
    with ``optimizer.exclude_from_weight_decay(var_names=["bias"])``.

    With plain SGD (``momentum=0``) and biases excluded the two trainings are
    the same, and the returned maximum absolute difference is at float32
    rounding level. With biases decayed, or with momentum (which carries the
    penalty's gradient ``2λw`` in its velocity but applies the decay to the
    weights directly), the two differ.

    Args:
        lam: the ``L2`` coefficient (>= 0).
        learning_rate: SGD's ``η > 0``.
        momentum: SGD's momentum, in ``[0, 1)``.
        exclude_bias: exclude the biases from the weight decay.
        steps: updates (>= 1).
        batch_size: examples per update (>= 1).
        seed: seeds the data and the initial weights (an integer >= 0).

    Returns:
        The largest absolute difference between the two trainings' weights.

    Raises:
        ValueError: ``lam`` negative, ``learning_rate`` not positive,
            ``momentum`` outside ``[0, 1)``, ``steps`` or ``batch_size`` not a
            positive integer, ``seed`` not an integer >= 0.

    Example::

        >>> keras_l2_vs_weight_decay(1e-2) < 1e-6
        True
        >>> keras_l2_vs_weight_decay(1e-2, exclude_bias=False) > 1e-4
        True
    """
    lam = check_number("lam", lam, low=0.0)
    learning_rate = check_number("learning_rate", learning_rate, low=0.0, low_open=True)
    momentum = check_number("momentum", momentum, low=0.0, high=1.0)
    steps = check_int("steps", steps, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    check_int("seed", seed, minimum=0)
    rng = np.random.default_rng(seed)
    x = rng.random((steps * batch_size, 20), dtype=np.float32)
    y = rng.integers(0, 3, size=steps * batch_size)

    def build(regularizer: keras.regularizers.Regularizer | None) -> keras.Model:
        return _models.mlp((16,), input_shape=(20,), num_classes=3, kernel_regularizer=regularizer, seed=seed)

    penalized = _models.compile_classifier(
        build(keras.regularizers.L2(lam)), keras.optimizers.SGD(learning_rate, momentum=momentum))
    decayed_opt = keras.optimizers.SGD(learning_rate, momentum=momentum, weight_decay=l2_to_weight_decay(lam))
    if exclude_bias:
        decayed_opt.exclude_from_weight_decay(var_names=["bias"])
    decayed = _models.compile_classifier(build(None), decayed_opt)
    for model in (penalized, decayed):
        model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    return max(
        float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
        for a, b in zip(penalized.get_weights(), decayed.get_weights())
    )
