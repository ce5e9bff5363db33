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

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from dltips import data as _data
from dltips import models as _models
from dltips.runtime import progress

NEAR_ZERO = 1e-3
"""Weights with ``|w|`` below this count as (near) zero in the sparsity statistics."""

TensorLike = Any  # a NumPy array, a tf.Tensor or a keras.Variable


# --------------------------------------------------------------------------- checks


def _check_lambda(value: float, name: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a non-negative finite number, got {value!r}") from None
    if not (math.isfinite(value) and value >= 0.0):
        raise ValueError(f"{name} must be a non-negative finite number, got {value!r}")
    return value


def _check_rate(rate: float) -> float:
    rate = float(rate)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"rate must be in [0, 1), got {rate!r}")
    return rate


def _check_positive(value: float, name: str) -> float:
    if not (isinstance(value, (int, float, np.number)) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def _weight_list(weights: TensorLike | Sequence[TensorLike]) -> list[TensorLike]:
    ws = list(weights) if isinstance(weights, (list, tuple)) else [weights]
    if not ws:
        raise ValueError("weights must hold at least one tensor, got an empty list")
    return ws


# --------------------------------------------------------------------------- penalties


def l1_penalty(weights: TensorLike | Sequence[TensorLike], lam: float) -> TensorLike:
    """The L1 (lasso) penalty ``λ · Σ|w|`` summed over one tensor or a list of tensors.

    Equals ``keras.regularizers.L1(lam)`` applied to each tensor and summed.
    Its gradient ``λ · sign(w)`` has the same size for every weight, however
    small, so L1 drives weights all the way to zero (sparsity) (Tibshirani, 1996).

    Raises:
        ValueError: ``lam`` negative or not finite, or ``weights`` an empty list.

    Example::

        >>> float(l1_penalty(np.array([1.0, -2.0], "float32"), 0.5))
        1.5
    """
    lam = _check_lambda(lam, "lam")
    ws = _weight_list(weights)
    terms = [keras.ops.sum(keras.ops.absolute(w)) for w in ws]
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return keras.ops.cast(lam, total.dtype) * total


def l2_penalty(weights: TensorLike | Sequence[TensorLike], lam: float) -> TensorLike:
    """The L2 (ridge, weight-decay) penalty ``λ · Σw²`` over one tensor or a list of tensors.

    Note the *squared* norm: ``Σw² = ‖w‖²``, not ``‖w‖ = sqrt(Σw²)``. Equals
    ``keras.regularizers.L2(lam)`` summed over the tensors. Its gradient
    ``2λw`` shrinks each weight in proportion to its size, so weights get small
    but rarely exactly zero (Krogh & Hertz, 1992).

    The article's form ``λ_a/(2m) · Σw²`` is ``l2_penalty(w, article_to_keras_lambda(λ_a, m))``.

    Raises:
        ValueError: ``lam`` negative or not finite, or ``weights`` an empty list.

    Example::

        >>> float(l2_penalty(np.array([1.0, -2.0], "float32"), 0.5))
        2.5
    """
    lam = _check_lambda(lam, "lam")
    ws = _weight_list(weights)
    terms = [keras.ops.sum(keras.ops.square(w)) for w in ws]
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return keras.ops.cast(lam, total.dtype) * total


def elastic_net_penalty(weights: TensorLike | Sequence[TensorLike], l1: float, l2: float) -> TensorLike:
    """The elastic-net penalty ``λ1 · Σ|w| + λ2 · Σw²`` (Zou & Hastie, 2005).

    Equals ``keras.regularizers.L1L2(l1=l1, l2=l2)`` summed over the tensors.

    Raises:
        ValueError: ``l1`` or ``l2`` negative or not finite, or ``weights`` an empty list.

    Example::

        >>> float(elastic_net_penalty(np.array([1.0, -2.0], "float32"), l1=0.5, l2=0.5))
        4.0
    """
    l1 = _check_lambda(l1, "l1")
    l2 = _check_lambda(l2, "l2")
    return l1_penalty(weights, l1) + l2_penalty(weights, l2)


def article_to_keras_lambda(lam: float, m: int) -> float:
    """Convert the article's ``λ`` in ``J = CE + λ/(2m)·Σw²`` to Keras's ``L2(λ)`` coefficient.

    ``CE`` is the mean loss over ``m`` examples, which is also what Keras
    minimizes, so the two objectives agree when ``λ_keras = λ_article / (2m)``.

    Raises:
        ValueError: ``lam`` negative or ``m`` not a positive integer.

    Example::

        >>> article_to_keras_lambda(2.0, m=1000)
        0.001
    """
    lam = _check_lambda(lam, "lam")
    m = _check_count(m, "m")
    return lam / (2 * m)


def keras_to_article_lambda(lam: float, m: int) -> float:
    """The inverse of :func:`article_to_keras_lambda`: ``λ_article = 2m · λ_keras``.

    Example::

        >>> keras_to_article_lambda(0.001, m=1000)
        2.0
    """
    lam = _check_lambda(lam, "lam")
    m = _check_count(m, "m")
    return 2 * m * lam


def _check_count(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


# --------------------------------------------------------------------------- dropout


def dropout(x: TensorLike, rate: float, *, training: bool, seed: int | None = None) -> TensorLike:
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
        ValueError: ``rate`` outside ``[0, 1)``.

    Example::

        >>> y = dropout(np.ones((2, 4), "float32"), 0.5, training=True, seed=0)
        >>> sorted(set(np.asarray(y).ravel().tolist())) in ([0.0, 2.0], [0.0], [2.0])
        True
    """
    rate = _check_rate(rate)
    x = keras.ops.convert_to_tensor(x)
    if not training or rate == 0.0:
        return x
    uniform = keras.random.uniform(keras.ops.shape(x), dtype=x.dtype, seed=seed)
    keep = keras.ops.cast(uniform >= rate, x.dtype)
    return x * keep / keras.ops.cast(1.0 - rate, x.dtype)


# --------------------------------------------------------------------------- weight decay


def l2_to_weight_decay(lam: float) -> float:
    """The ``weight_decay`` of ``keras.optimizers.SGD`` that trains like ``L2(lam)``: ``2·lam``.

    Keras's decay step is ``w ← w − η·weight_decay·w``; the gradient of
    ``λ·Σw²`` is ``2λw``, hence the factor 2.
    """
    return 2.0 * _check_lambda(lam, "lam")


def sgd_step_l2(weights: TensorLike, grad: TensorLike, learning_rate: float, lam: float) -> TensorLike:
    """One plain SGD step on ``loss + λ·Σw²``: ``w ← w − η (∇L + 2λw)``.

    ``grad`` is ``∇L``, the gradient of the data loss alone.

    Raises:
        ValueError: ``learning_rate`` not positive, or ``lam`` negative.
    """
    eta = _check_positive(learning_rate, "learning_rate")
    lam = _check_lambda(lam, "lam")
    w = keras.ops.convert_to_tensor(weights)
    return w - eta * (keras.ops.convert_to_tensor(grad) + 2.0 * lam * w)


def sgd_step_weight_decay(weights: TensorLike, grad: TensorLike, learning_rate: float, decay: float) -> TensorLike:
    """One SGD step with decoupled weight decay: ``w ← (1 − η·decay) w − η ∇L``.

    With ``decay = 2λ`` (:func:`l2_to_weight_decay`) this equals
    :func:`sgd_step_l2` exactly (up to float rounding). Keras's
    ``SGD(weight_decay=decay)`` performs the same update.

    Raises:
        ValueError: ``learning_rate`` not positive, or ``decay`` negative.
    """
    eta = _check_positive(learning_rate, "learning_rate")
    decay = _check_lambda(decay, "decay")
    w = keras.ops.convert_to_tensor(weights)
    return (1.0 - eta * decay) * w - eta * keras.ops.convert_to_tensor(grad)


def keras_l2_vs_weight_decay(
    lam: float = 1e-3,
    *,
    learning_rate: float = 0.1,
    steps: int = 20,
    batch_size: int = 32,
    seed: int = 0,
) -> float:
    """Train two copies of a tiny MLP on the same batches and return the largest weight difference.

    One copy has ``kernel_regularizer=L2(lam)`` and ``SGD(learning_rate)``; the
    other has no regularizer and ``SGD(learning_rate, weight_decay=2·lam)``
    with biases excluded from the decay (Keras regularizers penalize kernels
    only). If the two conventions match, the returned maximum absolute
    difference is at float32 rounding level.

    Raises:
        ValueError: ``lam`` negative, ``learning_rate`` not positive, ``steps``
            or ``batch_size`` not a positive integer.
    """
    lam = _check_lambda(lam, "lam")
    learning_rate = _check_positive(learning_rate, "learning_rate")
    steps = _check_count(steps, "steps")
    batch_size = _check_count(batch_size, "batch_size")
    rng = np.random.default_rng(seed)
    x = rng.random((steps * batch_size, 20), dtype=np.float32)
    y = rng.integers(0, 3, size=steps * batch_size)

    def build(regularizer: keras.regularizers.Regularizer | None) -> keras.Model:
        return _models.mlp((16,), input_shape=(20,), num_classes=3, kernel_regularizer=regularizer, seed=seed)

    penalized = _models.compile_classifier(build(keras.regularizers.L2(lam)), keras.optimizers.SGD(learning_rate))
    decayed_opt = keras.optimizers.SGD(learning_rate, weight_decay=l2_to_weight_decay(lam))
    decayed_opt.exclude_from_weight_decay(var_names=["bias"])
    decayed = _models.compile_classifier(build(None), decayed_opt)
    for model in (penalized, decayed):
        model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    return max(
        float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
        for a, b in zip(penalized.get_weights(), decayed.get_weights())
    )


# --------------------------------------------------------------------------- the experiment


@dataclass(frozen=True)
class Variant:
    """One regularization setting: L1 and L2 coefficients (Keras convention) and dropout rates.

    ``dropout`` acts after each hidden layer, ``input_dropout`` on the pixels
    (Srivastava et al. used 0.5 and 0.2 for MNIST MLPs).
    """

    name: str
    l1: float = 0.0
    l2: float = 0.0
    dropout: float = 0.0
    input_dropout: float = 0.0

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("Variant name must be a non-empty string")
        _check_lambda(self.l1, "l1")
        _check_lambda(self.l2, "l2")
        for name in ("dropout", "input_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)!r}")

    def regularizer(self) -> keras.regularizers.Regularizer | None:
        """The Keras regularizer for the kernels, or ``None`` without a penalty."""
        if self.l1 and self.l2:
            return keras.regularizers.L1L2(l1=self.l1, l2=self.l2)
        if self.l1:
            return keras.regularizers.L1(self.l1)
        if self.l2:
            return keras.regularizers.L2(self.l2)
        return None


def default_variants(
    *, l1: float = 1e-3, l2: float = 5e-3, dropout: float = 0.5, input_dropout: float = 0.2
) -> tuple[Variant, ...]:
    """The six settings the chapter compares: none, L1, L2, elastic net, dropout, L2 + dropout.

    Elastic net uses half of each coefficient, so its total pull is comparable.
    """
    return (
        Variant("none"),
        Variant("L1", l1=l1),
        Variant("L2", l2=l2),
        Variant("elastic net", l1=l1 / 2, l2=l2 / 2),
        Variant("dropout", dropout=dropout, input_dropout=input_dropout),
        Variant("L2 + dropout", l2=l2, dropout=dropout, input_dropout=input_dropout),
    )


@dataclass
class VariantResult:
    """What one trained variant achieved.

    Attributes:
        variant: the setting that was trained.
        history: per epoch, ``train_loss``, ``train_accuracy``, ``val_loss`` and
            ``val_accuracy``, all measured in inference mode (no dropout) and
            without the penalty, so curves of different variants compare directly.
        train_accuracy: final accuracy on the training subset (inference mode).
        test_accuracy: final accuracy on the full 10,000-image test set.
        weights: every ``Dense`` kernel entry, flattened (biases excluded).
        seconds: training and evaluation wall time.
    """

    variant: Variant
    history: dict[str, list[float]]
    train_accuracy: float
    test_accuracy: float
    weights: np.ndarray = field(repr=False)
    seconds: float = 0.0

    @property
    def name(self) -> str:
        return self.variant.name

    @property
    def gap(self) -> float:
        """The generalization gap, training accuracy minus test accuracy."""
        return self.train_accuracy - self.test_accuracy

    @property
    def near_zero_fraction(self) -> float:
        """Fraction of kernel weights with ``|w| < 1e-3``."""
        return float(np.mean(np.abs(self.weights) < NEAR_ZERO))

    @property
    def weight_norm(self) -> float:
        """``‖w‖ = sqrt(Σw²)`` over all kernels."""
        return float(np.sqrt(np.sum(np.square(self.weights, dtype=np.float64))))


@dataclass
class RegularizationResult:
    """The outcome of :func:`compare_regularizers`: one :class:`VariantResult` per variant."""

    variants: list[VariantResult]
    n_train: int
    n_val: int
    n_test: int
    epochs: int
    settings: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> VariantResult:
        for v in self.variants:
            if v.name == name:
                return v
        raise KeyError(f"no variant named {name!r}; have {[v.name for v in self.variants]}")

    def names(self) -> list[str]:
        return [v.name for v in self.variants]

    def table(self) -> list[dict[str, Any]]:
        """One row per variant: accuracies, gap, near-zero fraction and weight norm."""
        return [
            {
                "variant": v.name,
                "train_accuracy": v.train_accuracy,
                "test_accuracy": v.test_accuracy,
                "gap": v.gap,
                "near_zero_fraction": v.near_zero_fraction,
                "weight_norm": v.weight_norm,
            }
            for v in self.variants
        ]

    def format_table(self) -> str:
        """The :meth:`table` as aligned plain text (accuracies and fractions in percent)."""
        header = f"{'variant':<14}{'train acc':>10}{'test acc':>10}{'gap':>8}{'|w|<1e-3':>10}{'‖w‖':>8}"
        lines = [header, "-" * len(header)]
        for row in self.table():
            lines.append(
                f"{row['variant']:<14}{100 * row['train_accuracy']:>9.1f}%{100 * row['test_accuracy']:>9.1f}%"
                f"{100 * row['gap']:>7.1f}%{100 * row['near_zero_fraction']:>9.1f}%{row['weight_norm']:>8.2f}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format_table()


def _kernels(model: keras.Model) -> np.ndarray:
    return np.concatenate([np.asarray(w).ravel() for w in model.weights if w.path.endswith("kernel")])


def _loss_and_accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    # An eager call: predict_on_batch would trace a new function per model and input size.
    logits = np.asarray(model(x, training=False))
    loss = keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)
    return float(np.mean(loss)), float(np.mean(np.argmax(logits, axis=-1) == y))


class _InferenceCurves(keras.callbacks.Callback):
    """Records data loss and accuracy on the training and validation sets at every epoch end.

    Keras's own training metrics are running averages taken with dropout on
    and include the penalty, which would make variants look different for
    reasons unrelated to generalization.
    """

    def __init__(self, train: tuple[np.ndarray, np.ndarray], val: tuple[np.ndarray, np.ndarray]):
        super().__init__()
        self.train, self.val = train, val
        self.history: dict[str, list[float]] = {k: [] for k in ("train_loss", "train_accuracy", "val_loss", "val_accuracy")}

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for split, (x, y) in (("train", self.train), ("val", self.val)):
            loss, acc = _loss_and_accuracy(self.model, x, y)
            self.history[f"{split}_loss"].append(loss)
            self.history[f"{split}_accuracy"].append(acc)


_OPTIMIZERS = ("sgd", "adam")


def compare_regularizers(
    variants: Sequence[Variant] | None = None,
    *,
    n_train: int = 1000,
    n_val: int = 1000,
    hidden: Sequence[int] = (256,),
    epochs: int = 30,
    batch_size: int = 64,
    optimizer: str = "sgd",
    learning_rate: float = 0.1,
    seed: int = 0,
    data_seed: int = 0,
    mnist_path: str | None = None,
    verbose: bool = True,
) -> RegularizationResult:
    """Train the same MLP with each regularization variant and measure how well it generalizes.

    The data are a class-balanced, shuffled subset of ``n_train + n_val`` MNIST
    training images (the first ``n_train`` for training, the rest for the
    per-epoch validation curves) and the full 10,000-image test set for the
    final accuracy. Every variant starts from the same initial weights
    (``seed``) and sees the batches in the same order.

    Args:
        variants: the settings to train; default :func:`default_variants`.
        n_train, n_val: training and validation subset sizes.
        hidden: hidden layer sizes of :func:`dltips.models.mlp`.
        epochs, batch_size: training length and mini-batch size.
        optimizer: ``"sgd"`` (plain SGD, where L2 equals weight decay) or ``"adam"``.
        learning_rate: the optimizer's step size.
        seed: initial weights, dropout masks and batch order.
        data_seed: which images form the subset.
        mnist_path: passed to :func:`dltips.data.load_mnist`.
        verbose: print one line per finished variant.

    Returns:
        A :class:`RegularizationResult`; ``print(result)`` shows the table.

    Raises:
        ValueError: any argument out of range (checked before training starts).

    Example::

        >>> result = compare_regularizers(epochs=2, n_train=200, verbose=False)  # doctest: +SKIP
        >>> result["L1"].near_zero_fraction > result["L2"].near_zero_fraction  # doctest: +SKIP
        True
    """
    variants = tuple(default_variants() if variants is None else variants)
    if not variants:
        raise ValueError("variants must hold at least one Variant")
    if not all(isinstance(v, Variant) for v in variants):
        raise ValueError("variants must be Variant instances (see default_variants)")
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        raise ValueError(f"variant names must be unique, got {names}")
    n_train = _check_count(n_train, "n_train")
    n_val = _check_count(n_val, "n_val")
    if n_train + n_val > 54_210:
        raise ValueError(f"n_train + n_val must be at most 54210 (class-balanced MNIST), got {n_train + n_val}")
    epochs = _check_count(epochs, "epochs")
    batch_size = _check_count(batch_size, "batch_size")
    if optimizer not in _OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {_OPTIMIZERS}, got {optimizer!r}")
    learning_rate = _check_positive(learning_rate, "learning_rate")
    if seed < 0 or data_seed < 0:
        raise ValueError(f"seed and data_seed must be non-negative, got {seed!r} and {data_seed!r}")

    x, y = _data.train_subset(n_train + n_val, seed=data_seed, path=mnist_path)
    x_train, y_train, x_val, y_val = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    test = _data.load_mnist(mnist_path)
    results = []
    for variant in progress(variants, "regularizers", label=lambda v: v.name, enabled=verbose):
        start = time.perf_counter()
        keras.utils.set_random_seed(seed)
        model = _models.mlp(
            hidden,
            dropout=variant.dropout,
            input_dropout=variant.input_dropout,
            kernel_regularizer=variant.regularizer(),
            seed=seed,
        )
        opt = keras.optimizers.SGD(learning_rate) if optimizer == "sgd" else keras.optimizers.Adam(learning_rate)
        _models.compile_classifier(model, opt)
        curves = _InferenceCurves((x_train, y_train), (x_val, y_val))
        model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, callbacks=[curves], verbose=0)
        results.append(
            VariantResult(
                variant=variant,
                history=curves.history,
                train_accuracy=_models.accuracy(model, x_train, y_train),
                test_accuracy=_models.accuracy(model, test.x_test, test.y_test),
                weights=_kernels(model),
                seconds=time.perf_counter() - start,
            )
        )
    settings = dict(hidden=tuple(hidden), batch_size=batch_size, optimizer=optimizer,
                    learning_rate=learning_rate, seed=seed, data_seed=data_seed)
    return RegularizationResult(results, n_train, n_val, len(test.y_test), epochs, settings)


__all__ = [
    "NEAR_ZERO",
    "RegularizationResult",
    "Variant",
    "VariantResult",
    "article_to_keras_lambda",
    "compare_regularizers",
    "default_variants",
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
