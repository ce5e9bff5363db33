"""What a model costs: parameters, arithmetic, training time, inference time and file size.

A model's cost has several faces the book keeps apart:

* **parameters** (memory for weights, optimizer state and gradients):
  :func:`count_params`;
* **multiply-adds** (arithmetic) per example for one forward pass,
  :func:`multiply_adds`. For a ``Dense`` layer with ``n_in`` inputs and
  ``n_out`` units it is ``n_in · n_out``; for a 2-D convolution with a
  ``k_h × k_w`` kernel, ``c_in`` input and ``c_out`` output channels and an
  ``h_out × w_out`` output it is ``h_out · w_out · k_h · k_w · c_in · c_out``.
  A training step costs about three forward passes: back-propagation through a
  dense layer multiplies by the same matrix twice more, once for the gradient
  with respect to its input and once for the gradient with respect to its weights;
* **time**, measured: :func:`time_per_epoch` reports wall-clock and process CPU
  seconds, because on a shared machine only the second is stable; the callback
  :class:`EpochTimer` measures the same during a training run of your own;
* **deployment**: :func:`inference_seconds` (one forward pass over a test set)
  and :func:`saved_size_bytes` (the ``.keras`` file a deployment would ship).

Example::

    >>> from dltips.models import mlp
    >>> multiply_adds(mlp((128,)))  # 784·128 + 128·10
    101632
"""

from __future__ import annotations

import math
import os
import statistics
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass

import keras
import numpy as np

from dltips.checks import check_int

__all__ = [
    "EpochTimer",
    "EpochTiming",
    "count_params",
    "inference_seconds",
    "multiply_adds",
    "saved_size_bytes",
    "time_per_epoch",
]


def count_params(model: keras.Model, *, trainable_only: bool = False) -> int:
    """Number of parameters of ``model`` (all weights, or only the trainable ones).

    Args:
        model: a built Keras model.
        trainable_only: count the trainable weights only.

    Returns:
        The number of scalar weights.

    Example::

        >>> from dltips.models import mlp
        >>> count_params(mlp((128,)))  # 784·128 + 128 + 128·10 + 10
        101770
    """
    weights = model.trainable_weights if trainable_only else model.weights
    return int(sum(int(keras.ops.size(w)) for w in weights))


def _layer_multiply_adds(layer: keras.layers.Layer) -> int:
    if isinstance(layer, keras.layers.Dense):
        in_shape = layer.input.shape
        positions = math.prod(int(d) for d in in_shape[1:-1])  # Dense applies per position on >2-D input
        return positions * int(in_shape[-1]) * int(layer.units)
    if isinstance(layer, keras.layers.Conv2D):
        if layer.data_format != "channels_last":
            raise ValueError(f"multiply_adds supports channels_last convolutions only; layer {layer.name!r} is not")
        kh, kw, c_in_per_group, c_out = (int(d) for d in layer.kernel.shape)
        _, h_out, w_out, _ = layer.output.shape
        return int(h_out) * int(w_out) * kh * kw * c_in_per_group * c_out
    if layer.weights:
        raise ValueError(
            f"multiply_adds does not know how to count layer {layer.name!r} ({type(layer).__name__}); "
            "it counts Dense and Conv2D layers and weightless layers (Flatten, Dropout, pooling, reshaping)"
        )
    return 0  # reshaping, dropout, pooling and activations: no multiply-adds worth counting


def multiply_adds(model: keras.Model) -> int:
    """Multiply-add operations of one forward pass for one example.

    Counts ``Dense`` and ``Conv2D`` layers (bias additions, activations and
    pooling are lower-order and left out). The model must be built (a functional
    model, or one called once).

    Args:
        model: a built Keras model (nested models are counted through).

    Returns:
        Multiply-adds per example.

    Raises:
        ValueError: the model holds a layer with weights of another kind, whose
            cost this function would otherwise silently get wrong.

    Example::

        >>> from dltips.models import small_cnn
        >>> multiply_adds(small_cnn((8,), dense=16))  # 28·28·3·3·1·8 + (14·14·8)·16 + 16·10
        81696
    """
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            total += multiply_adds(layer)
        else:
            total += _layer_multiply_adds(layer)
    return total


@dataclass(frozen=True)
class EpochTiming:
    """Measured cost of one training epoch (averaged over the timed epochs).

    Attributes:
        wall_seconds: wall-clock seconds per epoch.
        cpu_seconds: process CPU seconds per epoch (all threads).
        steps: updates per epoch.
        examples: training examples per epoch.

    Example::

        >>> timing = EpochTiming(wall_seconds=2.0, cpu_seconds=3.1, steps=94, examples=6000)
        >>> round(timing.examples / timing.wall_seconds)  # examples per second
        3000
    """

    wall_seconds: float
    cpu_seconds: float
    steps: int
    examples: int

    @property
    def examples_per_second(self) -> float:
        """The training throughput, in examples per wall-clock second."""
        return self.examples / self.wall_seconds


def time_per_epoch(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int = 32,
    epochs: int = 1,
) -> EpochTiming:
    """Train a compiled ``model`` for ``epochs`` epochs on ``(x, y)`` and time them.

    One untimed warm-up batch comes first: the first call of ``fit`` traces and
    compiles the training step, which is a one-off cost, not a per-epoch one.
    CPU time is the whole process's (every TensorFlow thread), so with two busy
    cores it can be twice the wall time; on a machine shared with other jobs the
    wall time grows while the CPU time stays put.

    Args:
        model: a compiled Keras model (it is trained: pass a fresh one if the
            weights matter afterwards).
        x, y: the training data of one epoch.
        batch_size: examples per update; an epoch has ``ceil(len(x) / batch_size)`` steps.
        epochs: epochs to time; the result is their average.

    Raises:
        ValueError: the model is not compiled, ``batch_size`` or ``epochs`` is
            below 1, or ``x`` and ``y`` differ in length.

    Example::

        >>> from dltips.models import mlp, compile_classifier
        >>> x = np.zeros((256, 28, 28), "float32"); y = np.zeros(256, "uint8")
        >>> time_per_epoch(compile_classifier(mlp(), "sgd"), x, y, batch_size=64).steps
        4
    """
    if not getattr(model, "compiled", False):
        raise ValueError("model must be compiled before it is timed (see dltips.models.compile_classifier)")
    check_int("batch_size", batch_size)
    check_int("epochs", epochs)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    model.fit(x[:batch_size], y[:batch_size], batch_size=batch_size, epochs=1, verbose=0)
    wall, cpu = time.perf_counter(), time.process_time()
    model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=0)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return EpochTiming(wall / epochs, cpu / epochs, math.ceil(len(x) / batch_size), len(x))


class EpochTimer(keras.callbacks.Callback):
    """Records the wall-clock and process CPU seconds of every epoch of a ``fit``.

    :func:`time_per_epoch` trains extra epochs to time a model; this callback times
    the training you are doing anyway. The first epoch also traces and compiles the
    training step, so :meth:`per_epoch` leaves it out when there are later epochs,
    and takes the median of the rest, which a burst of load from another process
    moves less than the mean.

    Example::

        >>> from dltips.models import compile_classifier, mlp
        >>> x, y = np.zeros((64, 28, 28), "float32"), np.zeros(64, "uint8")
        >>> timer = EpochTimer()
        >>> _ = compile_classifier(mlp((8,)), "sgd").fit(x, y, batch_size=32, epochs=2, callbacks=[timer], verbose=0)
        >>> timer.per_epoch(examples=len(x)).steps, len(timer.wall_seconds)
        (2, 2)
    """

    def __init__(self) -> None:
        super().__init__()
        self.wall_seconds: list[float] = []
        self.cpu_seconds: list[float] = []
        self.steps: int | None = None
        self._start = (0.0, 0.0)

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Keras calls this once, before the first epoch."""
        self.wall_seconds, self.cpu_seconds = [], []
        self.steps = self.params.get("steps")

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Keras calls this at the start of every epoch."""
        self._start = (time.perf_counter(), time.process_time())

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Keras calls this at the end of every epoch."""
        wall, cpu = self._start
        self.wall_seconds.append(time.perf_counter() - wall)
        self.cpu_seconds.append(time.process_time() - cpu)

    def per_epoch(self, examples: int = 0) -> EpochTiming:
        """Median seconds per epoch, without the first epoch when there are later ones.

        Args:
            examples: training examples per epoch, stored in the result (it gives
                ``examples_per_second``); the callback cannot see the data itself.

        Raises:
            ValueError: no epoch has been timed yet.
        """
        if not self.wall_seconds:
            raise ValueError("no epoch has been timed: pass the EpochTimer to fit(callbacks=[...]) first")
        start = 1 if len(self.wall_seconds) > 1 else 0
        return EpochTiming(
            float(np.median(self.wall_seconds[start:])),
            float(np.median(self.cpu_seconds[start:])),
            int(self.steps or 0),
            int(examples),
        )


def inference_seconds(
    models: keras.Model | Mapping[str, keras.Model], x: np.ndarray, *, repeats: int = 5
) -> float | dict[str, float]:
    """Median wall time of one forward pass over all of ``x`` (one batch), after a warm-up call.

    ``x`` is converted to a tensor once, before timing, so the time is the model's
    alone (copying 10,000 NumPy images into a tensor takes a few milliseconds, as
    long as a small model's whole forward pass).

    Given several models (a mapping of name to model), times them in turn within
    each repeat, so a burst of load from other processes hits them all alike, and
    returns the median per name.

    Args:
        models: one model, or a mapping of name to model.
        x: the inputs of the forward pass, one batch.
        repeats: timed passes per model (>= 1); the median is returned.

    Returns:
        Seconds for one model; a dict of name to seconds for a mapping.

    Raises:
        ValueError: ``repeats`` is not a positive integer.

    Example::

        >>> from dltips.models import mlp
        >>> x = np.zeros((100, 28, 28), "float32")
        >>> seconds = inference_seconds({"small": mlp((8,)), "large": mlp((256,))}, x, repeats=2)
        >>> sorted(seconds), all(s > 0 for s in seconds.values())
        (['large', 'small'], True)
    """
    check_int("repeats", repeats)
    named = {"model": models} if isinstance(models, keras.Model) else dict(models)
    x = keras.ops.convert_to_tensor(x)
    for model in named.values():
        model.predict_on_batch(x[:2])  # builds and traces the predict function
    times: dict[str, list[float]] = {name: [] for name in named}
    for _ in range(repeats):
        for name, model in named.items():
            start = time.perf_counter()
            model.predict_on_batch(x)
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) for name, t in times.items()}
    return medians["model"] if isinstance(models, keras.Model) else medians


def saved_size_bytes(model: keras.Model) -> int:
    """Size of the model saved as a ``.keras`` file for inference (weights and architecture, no optimizer state).

    Args:
        model: a built Keras model.

    Returns:
        The file's size in bytes.

    Example::

        >>> from dltips.models import mlp
        >>> 400_000 < saved_size_bytes(mlp((128,))) < 500_000  # 101,770 float32 weights and the architecture
        True
    """
    # A fresh, uncompiled copy from the architecture alone: clone_model and
    # model_from_json also restore the compile state, and the optimizer's slots
    # would triple the file of a model trained with Adam.
    inference_copy = type(model).from_config(model.get_config())
    inference_copy.set_weights(model.get_weights())
    with tempfile.TemporaryDirectory(prefix="dltips-") as folder:
        path = os.path.join(folder, "model.keras")
        inference_copy.save(path)
        return os.path.getsize(path)
