"""The small MNIST models every chapter shares.

All builders return an uncompiled :class:`keras.Model` whose last layer outputs
**logits** (no softmax): losses use ``from_logits=True``, and distillation can
soften the logits with a temperature. :func:`compile_classifier` adds the usual
loss and accuracy metric.

Example::

    >>> import numpy as np
    >>> from dltips.models import mlp, compile_classifier, evaluate
    >>> model = compile_classifier(mlp((128,), dropout=0.2, seed=0), optimizer="sgd")
    >>> model.count_params()
    101770
    >>> evaluate(model, np.zeros((2, 28, 28), "float32"), [0, 1]).examples
    2
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from dltips.checks import check_int, check_rate, check_sizes

__all__ = [
    "MNIST_SHAPE",
    "Evaluation",
    "EvaluateEachEpoch",
    "compile_classifier",
    "evaluate",
    "mlp",
    "predict_labels",
    "small_cnn",
    "steps_per_execution",
]

#: The shape of one MNIST image, the default input shape of the builders.
MNIST_SHAPE = (28, 28)


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

    Returns:
        An uncompiled functional model that outputs logits (its last layer is named ``"logits"``).

    Raises:
        ValueError: a hidden size or ``num_classes`` below 1, or a dropout rate
            outside ``[0, 1)``.

    Example::

        >>> model = mlp((128,), dropout=0.2, seed=0)
        >>> model.count_params(), model.output.shape
        (101770, (None, 10))
        >>> mlp(dropout="0.5")
        Traceback (most recent call last):
        ...
        ValueError: dropout must be a number in [0.0, 1.0), got '0.5'
    """
    hidden = check_sizes("hidden", hidden)
    check_int("num_classes", num_classes)
    dropout = check_rate("dropout", dropout)
    input_dropout = check_rate("input_dropout", input_dropout)
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

    Args:
        filters: the number of filters of each convolution.
        dense: the width of the dense layer before the logits.
        dropout: dropout rate before the logits, in ``[0, 1)``.
        input_shape: ``(28, 28)`` for images (a channel axis is added), or ``(h, w, c)``.
        num_classes: size of the logits layer.
        seed: seeds the initializers and the dropout layer.
        name: the model's name.

    Returns:
        An uncompiled functional model that outputs logits.

    Raises:
        ValueError: a filter count, ``dense`` or ``num_classes`` below 1, or a
            dropout rate outside ``[0, 1)``.

    Example::

        >>> model = small_cnn((8,), dense=16, seed=0)
        >>> model.output.shape
        (None, 10)
    """
    filters = check_sizes("filters", filters)
    check_int("dense", dense)
    check_int("num_classes", num_classes)
    dropout = check_rate("dropout", dropout)
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

    Args:
        model: a model that outputs logits.
        optimizer: a Keras optimizer or its name.
        **compile_kwargs: passed on to ``model.compile`` (``steps_per_execution``, for example).

    Returns:
        ``model``, compiled.

    Example::

        >>> model = compile_classifier(mlp(), keras.optimizers.SGD(0.1))
        >>> model.compiled, model.loss.name
        (True, 'sparse_categorical_crossentropy')
    """
    compile_kwargs.setdefault("loss", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    compile_kwargs.setdefault("metrics", ["accuracy"])
    model.compile(optimizer=optimizer, **compile_kwargs)
    return model


def steps_per_execution(examples: int, batch_size: int, *, cap: int = 64) -> int:
    """How many training steps one call of Keras's compiled step should run: an epoch's batches, at most ``cap``.

    ``compile(steps_per_execution=k)`` makes ``fit`` run ``k`` updates per call of its
    compiled function instead of one. The updates, their order and the batches are the same,
    so the trained weights are too; only the Python overhead between steps goes, which for
    the small networks of this book is a large share of the time (a 10-epoch run of an MLP
    with 128 hidden units on 4,000 images took 40 % less). The experiments use it; the timing
    measurements of chapters 2 and 6, which are *about* the cost of each update, do not.

    Args:
        examples: training examples per epoch.
        batch_size: examples per update.
        cap: the most steps per call (a callback that acts on every batch sees only every ``k``-th).

    Raises:
        ValueError: a value below 1.

    Example::

        >>> steps_per_execution(1000, 64), steps_per_execution(60_000, 128), steps_per_execution(10, 64)
        (16, 64, 1)
    """
    for name, value in (("examples", examples), ("batch_size", batch_size), ("cap", cap)):
        check_int(name, value)
    return int(min(cap, -(-examples // batch_size)))


def predict_labels(model: keras.Model, x: np.ndarray, *, batch_size: int = 1000) -> np.ndarray:
    """The arg-max class of ``model``'s output for each row of ``x``.

    Args:
        model: a classifier (logits or probabilities).
        x: the inputs.
        batch_size: examples per prediction batch.

    Returns:
        One integer label per row of ``x``.

    Example::

        >>> predict_labels(mlp(seed=0), np.zeros((3, 28, 28), "float32")).shape
        (3,)
    """
    return np.argmax(model.predict(x, batch_size=batch_size, verbose=0), axis=-1)


@dataclass(frozen=True)
class Evaluation:
    """How well a classifier does on a labelled set, measured in inference mode (no dropout).

    Attributes:
        loss: mean cross-entropy of the true labels.
        accuracy: fraction classified correctly.
        errors: number misclassified (Hinton et al. report MNIST results as errors out of 10,000).
        examples: size of the set.

    Example::

        >>> evaluation = Evaluation(loss=0.09, accuracy=0.9719, errors=281, examples=10_000)
        >>> evaluation.examples - evaluation.errors  # classified correctly
        9719
    """

    loss: float
    accuracy: float
    errors: int
    examples: int


def evaluate(
    model: keras.Model, x: np.ndarray, y: np.ndarray, *, from_logits: bool = True, batch_size: int = 10_000
) -> Evaluation:
    """Cross-entropy, accuracy and error count of a classifier on ``(x, y)``, in inference mode.

    The book's one way to measure a model: every chapter, experiment and
    callback calls it, so a number means the same wherever it appears. Unlike
    the running averages ``fit`` reports, it measures the final weights, with
    dropout off and without any weight penalty. The loss is computed in float64
    from the model's outputs: logits (every builder here), or probabilities
    with ``from_logits=False`` (a model ending in a softmax, as the article's do).

    Args:
        model: a classifier with one output per class.
        x, y: inputs and integer labels, same length.
        from_logits: whether the model outputs logits (``True``) or probabilities.
        batch_size: examples per forward pass (the models are called eagerly, in chunks).

    Raises:
        ValueError: ``x`` and ``y`` differ in length, or are empty.

    Example::

        >>> model = mlp(seed=0)
        >>> x, y = np.zeros((4, 28, 28), "float32"), np.array([0, 1, 2, 3])
        >>> result = evaluate(model, x, y)
        >>> result.examples, 0 <= result.errors <= 4, round(result.accuracy + result.errors / 4, 6)
        (4, True, 1.0)
    """
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    if len(x) == 0:
        raise ValueError("x must hold at least one example")
    y = np.asarray(y).astype(np.int64)
    # Eager calls: predict_on_batch would trace a new function per model and input size.
    outputs = np.concatenate(
        [np.asarray(model(x[i : i + batch_size], training=False), dtype=np.float64) for i in range(0, len(x), batch_size)]
    )
    if from_logits:
        shifted = outputs - outputs.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    else:
        log_probs = np.log(np.clip(outputs, 1e-12, 1.0))
    errors = int(np.sum(outputs.argmax(axis=1) != y))
    loss = float(-log_probs[np.arange(len(y)), y].mean())
    return Evaluation(loss=loss, accuracy=1.0 - errors / len(y), errors=errors, examples=len(y))


class EvaluateEachEpoch(keras.callbacks.Callback):
    """Evaluates the model on named sets at the end of every epoch (and, if asked, before training).

    Keras's own training metrics are running averages over an epoch, taken with
    dropout on and with any weight penalty in the loss; evaluating with
    :func:`evaluate` after each epoch measures the model that the test set sees.
    ``history`` holds ``<name>_loss`` and ``<name>_accuracy`` lists, one entry
    per evaluation.

    Args:
        sets: name → ``(x, y)``, for example ``{"train": (x, y), "test": (xt, yt)}``.
        initial: also evaluate before the first epoch (entry 0 is the untrained model).

    Example::

        >>> x, y = np.zeros((8, 28, 28), "float32"), np.arange(8) % 10
        >>> model = compile_classifier(mlp((8,), seed=0), "sgd")
        >>> curves = EvaluateEachEpoch({"train": (x, y), "val": (x[:4], y[:4])})
        >>> _ = model.fit(x, y, epochs=3, callbacks=[curves], verbose=0)
        >>> sorted(curves.history), len(curves.history["val_loss"])
        (['train_accuracy', 'train_loss', 'val_accuracy', 'val_loss'], 3)
    """

    def __init__(self, sets: Mapping[str, tuple[np.ndarray, np.ndarray]], *, initial: bool = False) -> None:
        super().__init__()
        if not sets:
            raise ValueError("sets must name at least one (x, y) pair")
        self.sets = dict(sets)
        self.initial = initial
        self.history: dict[str, list[float]] = {f"{n}_{m}": [] for n in self.sets for m in ("loss", "accuracy")}

    def record(self) -> None:
        """Evaluate every set now and append the results to ``history``."""
        for name, (x, y) in self.sets.items():
            result = evaluate(self.model, x, y)
            self.history[f"{name}_loss"].append(result.loss)
            self.history[f"{name}_accuracy"].append(result.accuracy)

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Keras calls this once, before the first epoch."""
        if self.initial and not any(self.history.values()):
            self.record()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Keras calls this at the end of every epoch."""
        self.record()
