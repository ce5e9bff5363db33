"""The small MNIST models every chapter shares.

All builders return an uncompiled :class:`keras.Model` whose last layer outputs
**logits** (no softmax): losses use ``from_logits=True``, and distillation can
soften the logits with a temperature. :func:`compile_classifier` adds the usual
loss and accuracy metric.

Example::

    >>> from dltips.models import mlp, compile_classifier
    >>> model = compile_classifier(mlp((128,), dropout=0.2, seed=0), optimizer="sgd")
    >>> model.count_params()
    101770
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

MNIST_SHAPE = (28, 28)


def _check_rate(dropout: float) -> None:
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")


def _initializer(seed: int | None, offset: int) -> keras.initializers.Initializer:
    return keras.initializers.GlorotUniform(seed=None if seed is None else seed + offset)


def mlp(
    hidden: Sequence[int] = (128,),
    *,
    activation: str = "relu",
    dropout: float = 0.0,
    input_dropout: float = 0.0,
    kernel_regularizer: keras.regularizers.Regularizer | str | None = None,
    input_shape: Sequence[int] = MNIST_SHAPE,
    num_classes: int = 10,
    seed: int | None = None,
    name: str = "mlp",
) -> keras.Model:
    """A multilayer perceptron: Flatten, then ``Dense(h, activation)`` (+ Dropout) per hidden size.

    Args:
        hidden: sizes of the hidden layers; ``()`` gives softmax regression.
        activation: activation of the hidden layers.
        dropout: dropout rate after each hidden layer, in ``[0, 1)``.
        input_dropout: dropout rate on the input pixels, in ``[0, 1)``.
        kernel_regularizer: applied to every ``Dense`` kernel (biases are never
            penalized), for example ``keras.regularizers.L2(1e-4)``.
        input_shape: ``(28, 28)`` for images, ``(784,)`` for flattened input.
        num_classes: size of the logits layer.
        seed: seeds the initializers (layer ``i`` uses ``seed + i``) and the
            dropout layers, so the same seed builds the same model.
        name: the model's name.

    Raises:
        ValueError: a hidden size or ``num_classes`` below 1, or a dropout rate
            outside ``[0, 1)``.
    """
    hidden = tuple(hidden)
    if any(int(h) < 1 for h in hidden):
        raise ValueError(f"hidden sizes must be positive integers, got {hidden!r}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
    _check_rate(dropout)
    _check_rate(input_dropout)
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = keras.layers.Flatten(name="flatten")(inputs) if len(input_shape) > 1 else inputs
    if input_dropout:
        x = keras.layers.Dropout(input_dropout, seed=seed, name="input_dropout")(x)
    for i, units in enumerate(hidden):
        x = keras.layers.Dense(
            int(units),
            activation=activation,
            kernel_initializer=_initializer(seed, i),
            kernel_regularizer=kernel_regularizer,
            name=f"dense_{i}",
        )(x)
        if dropout:
            x = keras.layers.Dropout(dropout, seed=None if seed is None else seed + 100 + i, name=f"dropout_{i}")(x)
    logits = keras.layers.Dense(
        num_classes,
        kernel_initializer=_initializer(seed, len(hidden)),
        kernel_regularizer=kernel_regularizer,
        name="logits",
    )(x)
    return keras.Model(inputs, logits, name=name)


def small_cnn(
    filters: Sequence[int] = (16, 32),
    *,
    dense: int = 64,
    dropout: float = 0.0,
    input_shape: Sequence[int] = MNIST_SHAPE,
    num_classes: int = 10,
    seed: int | None = None,
    name: str = "small_cnn",
) -> keras.Model:
    """A small convolutional network: per entry of ``filters``, a 3×3 ReLU convolution and 2×2 max-pooling.

    Raises:
        ValueError: a filter count, ``dense`` or ``num_classes`` below 1, or a
            dropout rate outside ``[0, 1)``.
    """
    filters = tuple(filters)
    if any(int(f) < 1 for f in filters) or dense < 1 or num_classes < 1:
        raise ValueError(
            f"filters, dense and num_classes must be positive, got {filters!r}, {dense!r}, {num_classes!r}"
        )
    _check_rate(dropout)
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = keras.layers.Reshape((*tuple(input_shape)[:2], 1))(inputs) if len(input_shape) == 2 else inputs
    for i, f in enumerate(filters):
        x = keras.layers.Conv2D(int(f), 3, activation="relu", padding="same",
                                kernel_initializer=_initializer(seed, i), name=f"conv_{i}")(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool_{i}")(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(dense, activation="relu", kernel_initializer=_initializer(seed, 50), name="dense")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, seed=seed, name="dropout")(x)
    logits = keras.layers.Dense(num_classes, kernel_initializer=_initializer(seed, 51), name="logits")(x)
    return keras.Model(inputs, logits, name=name)


def compile_classifier(
    model: keras.Model,
    optimizer: keras.optimizers.Optimizer | str = "adam",
    **compile_kwargs: Any,
) -> keras.Model:
    """Compile a logits model with sparse categorical cross-entropy and accuracy; returns the model.

    Example::

        >>> model = compile_classifier(mlp(), keras.optimizers.SGD(0.1))
    """
    compile_kwargs.setdefault("loss", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    compile_kwargs.setdefault("metrics", ["accuracy"])
    model.compile(optimizer=optimizer, **compile_kwargs)
    return model


def count_params(model: keras.Model, *, trainable_only: bool = False) -> int:
    """Number of parameters of ``model`` (all weights, or only the trainable ones)."""
    weights = model.trainable_weights if trainable_only else model.weights
    return int(sum(int(keras.ops.size(w)) for w in weights))


def predict_labels(model: keras.Model, x: np.ndarray, *, batch_size: int = 1000) -> np.ndarray:
    """The arg-max class of ``model``'s output for each row of ``x``."""
    return np.argmax(model.predict(x, batch_size=batch_size, verbose=0), axis=-1)


def count_errors(model: keras.Model, x: np.ndarray, y: np.ndarray, *, batch_size: int = 1000) -> int:
    """Number of misclassified examples (Hinton et al. report MNIST results as errors out of 10,000)."""
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    return int(np.sum(predict_labels(model, x, batch_size=batch_size) != np.asarray(y)))


def accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray, *, batch_size: int = 1000) -> float:
    """Fraction of correctly classified examples."""
    return 1.0 - count_errors(model, x, y, batch_size=batch_size) / len(y)
