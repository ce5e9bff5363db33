"""One way to build and train a teacher and a student, for the chapter's experiment and the paper run alike.

* :func:`build_teacher`, :func:`train_teacher`: a ReLU MLP with dropout, optionally on
  inputs jittered by whole pixels (:class:`RandomShift`, the paper's "up to two pixels");
* :func:`build_student`, :func:`train_student`: a ReLU MLP without regularization, trained on
  the true labels alone, or distilled from a teacher's soft targets, either with the teacher
  called on every batch (:class:`~dltips.distillation.Distiller`) or with its logits computed
  once (:func:`teacher_logits`, :class:`~dltips.distillation.SoftTargetLoss`: the same loss,
  at a fraction of the cost, for a frozen teacher that sees the same images every epoch).

Every model is trained with Adam, at a constant rate or with cosine decay to zero over the
run (``cosine_decay``), running up to ``max_steps_per_execution`` updates per call of
Keras's compiled step (:func:`dltips.models.steps_per_execution`). The callers pass their
own settings: the chapter's laptop-sized experiment (:func:`~dltips.distillation.distillation_experiment`)
a constant rate and up to 64 steps per call, the paper-sized runs
(:func:`~dltips.distillation.paper_experiment`, :func:`~dltips.distillation.omitted_digit_experiment`)
cosine decay and up to 16.

Default temperature: :func:`train_student` uses the loss's, ``T = 3`` (Keras's
``LogitsDistillation`` and :class:`~dltips.distillation.Distiller`), see
:mod:`dltips.distillation.loss`; every experiment passes its own.

Example::

    >>> import numpy as np
    >>> x, y = np.zeros((64, 28, 28), "float32"), np.arange(64) % 10
    >>> teacher, _ = train_teacher(x, y, (16,), epochs=1, batch_size=32)
    >>> student, history = train_student(x, y, (8,), logits=teacher_logits(teacher, x), epochs=1, batch_size=32)
    >>> sorted(history)
    ['loss', 'seconds_per_epoch']
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from dltips import models
from dltips.checks import check_int, check_number, check_rate, check_sizes
from dltips.distillation.loss import Distiller, SoftTargetLoss, pack_targets

__all__ = ["RandomShift", "build_student", "build_teacher", "teacher_logits", "train_student", "train_teacher"]


# --- input jitter -------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="dltips")
class RandomShift(keras.layers.Layer):
    """Translate each image by a random whole number of pixels, during training only.

    Every example gets its own vertical and horizontal shift, each drawn uniformly
    from ``-max_shift .. max_shift`` (so up to ``(2·max_shift + 1)²`` positions);
    pixels shifted in from outside the image are zero (MNIST's background). The
    labels are untouched: a digit moved by two pixels is the same digit. Called
    with ``training=False`` (``predict``, ``evaluate``) the layer returns its input
    unchanged, so the jitter exists only while the model trains.

    The shift is two matrix products with one-hot shift matrices, ``S_y · x · S_xᵀ``,
    exact for whole pixels (each output pixel is one input pixel or zero) and cheap
    next to a 2×1200 network.

    Args:
        max_shift: the largest shift in pixels, in each direction (the paper: 2).
        seed: seeds the shifts; the same seed gives the same sequence of shifts.

    Input: ``(batch, height, width)`` or ``(batch, height, width, channels)`` images.

    Raises:
        ValueError: ``max_shift`` is not an integer >= 0, or ``seed`` is neither ``None``
            nor an integer >= 0.

    Example::

        >>> x = np.zeros((1, 28, 28), "float32"); x[0, 14, 14] = 1
        >>> moved = np.asarray(RandomShift(2, seed=0)(x, training=True))
        >>> int(moved.sum()), bool(np.abs(np.argwhere(moved[0])[0] - 14).max() <= 2)  # one pixel, moved whole
        (1, True)
        >>> bool(np.array_equal(RandomShift(2)(x), x))  # training=False: unchanged
        True
    """

    def __init__(self, max_shift: int = 2, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_shift = check_int("max_shift", max_shift, minimum=0)
        self.seed = None if seed is None else check_int("seed", seed, minimum=0)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        """Shift each image by whole pixels (training only); unchanged at inference."""
        if not training or self.max_shift == 0:
            return inputs
        if len(inputs.shape) not in (3, 4):
            raise ValueError(f"RandomShift expects (batch, height, width[, channels]) images, got shape {inputs.shape}")
        x = ops.convert_to_tensor(inputs)
        batch, height, width = ops.shape(x)[0], x.shape[1], x.shape[2]
        m = self.max_shift
        dy = keras.random.randint((batch,), -m, m + 1, seed=self.seed_generator)
        dx = keras.random.randint((batch,), -m, m + 1, seed=self.seed_generator)
        # Row i of the output is row i − dy of the input: one_hot(i − dy) selects it, and an
        # index outside the image gives an all-zero row, i.e. zero padding.
        rows = ops.one_hot(ops.arange(height)[None, :] - dy[:, None], height, dtype=x.dtype)  # (batch, H, H)
        cols = ops.one_hot(ops.arange(width)[None, :] - dx[:, None], width, dtype=x.dtype)  # (batch, W, W)
        if len(x.shape) == 3:
            return ops.matmul(ops.matmul(rows, x), ops.transpose(cols, (0, 2, 1)))
        return ops.einsum("bij,bjkc,blk->bilc", rows, x, cols)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """Same shape as the input."""
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """The layer's arguments, so a saved model restores it."""
        return {**super().get_config(), "max_shift": self.max_shift, "seed": self.seed}



# --- the models -----------------------------------------------------------------------------


def build_teacher(
    hidden: Sequence[int],
    *,
    dropout: float = 0.5,
    input_dropout: float = 0.0,
    max_shift: int = 0,
    seed: int = 0,
) -> keras.Model:
    """A teacher: a ReLU MLP with dropout, behind :class:`RandomShift` on the inputs when ``max_shift`` > 0.

    Both the jitter and the dropout act only in training, so ``predict`` gives the
    plain network's logits. Without jitter the teacher is the MLP itself (named
    ``"teacher"``); with it, a model named ``"teacher"`` holding the layer ``"jitter"``
    and the MLP ``"teacher_net"``.

    Args:
        hidden: the hidden layer sizes (the paper: 2×1200).
        dropout, input_dropout: dropout rates on the hidden units and on the pixels, in ``[0, 1)``.
        max_shift: jitter of the inputs in whole pixels (the paper: 2; 0: none).
        seed: seeds the initial weights, the dropout and the jitter.

    Returns:
        An uncompiled ``keras.Model`` that outputs logits.

    Raises:
        ValueError: a bad ``hidden``, dropout rate, ``max_shift`` or ``seed``, named.

    Example::

        >>> [layer.name for layer in build_teacher((16,), max_shift=2).layers]
        ['image', 'jitter', 'teacher_net']
        >>> build_teacher((16,)).name
        'teacher'
    """
    hidden = check_sizes("hidden", hidden, allow_empty=False)
    dropout, input_dropout = check_rate("dropout", dropout), check_rate("input_dropout", input_dropout)
    max_shift = check_int("max_shift", max_shift, minimum=0)
    seed = check_int("seed", seed, minimum=0)
    if max_shift == 0:
        return models.mlp(hidden, dropout=dropout, input_dropout=input_dropout, seed=seed, name="teacher")
    inputs = keras.Input(shape=models.MNIST_SHAPE, name="image")
    shifted = RandomShift(max_shift, seed=seed, name="jitter")(inputs)
    net = models.mlp(hidden, dropout=dropout, input_dropout=input_dropout, seed=seed, name="teacher_net")
    return keras.Model(inputs, net(shifted), name="teacher")


def build_student(hidden: Sequence[int], *, seed: int = 0, name: str = "student") -> keras.Model:
    """A ReLU MLP without any regularization (the paper's students).

    Args:
        hidden: the hidden layer sizes (at least one layer).
        seed: seeds the initial weights.
        name: the model's name.

    Returns:
        An uncompiled ``keras.Model`` that outputs logits.

    Raises:
        ValueError: ``hidden`` is not a non-empty sequence of integers >= 1, or ``seed``
            is not an integer >= 0.

    Example::

        >>> build_student((32,)).count_params()  # 784·32 + 32 + 32·10 + 10
        25450
    """
    return models.mlp(check_sizes("hidden", hidden, allow_empty=False), seed=check_int("seed", seed, minimum=0),
                      name=name)


def teacher_logits(teacher: keras.Model, x: np.ndarray, *, batch_size: int = 1000) -> np.ndarray:
    """The teacher's logits for every image of ``x`` (no jitter, no dropout), computed once for all students.

    Args:
        teacher: a model that outputs logits.
        x: the images.
        batch_size: images per forward pass.

    Returns:
        ``(len(x), classes)`` float32 logits.

    Raises:
        ValueError: ``batch_size`` is not an integer >= 1.

    Example::

        >>> teacher_logits(build_teacher((8,)), np.zeros((3, 28, 28), "float32")).shape
        (3, 10)
    """
    batch_size = check_int("batch_size", batch_size)
    return np.asarray(teacher.predict(x, batch_size=batch_size, verbose=0), dtype=np.float32)


# --- training -------------------------------------------------------------------------------


def _adam(learning_rate: float, cosine_decay: bool, epochs: int, n: int, batch_size: int) -> keras.optimizers.Optimizer:
    if not cosine_decay:
        return keras.optimizers.Adam(learning_rate)
    steps = epochs * math.ceil(n / batch_size)
    return keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps))


class _EpochBar(keras.callbacks.Callback):
    """Advances a shared tqdm bar by one per finished epoch and shows the latest loss."""

    def __init__(self, bar: Any, label: str) -> None:
        super().__init__()
        self.bar, self.label = bar, label

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.bar is not None:
            loss = (logs or {}).get("loss")
            self.bar.update(1)
            self.bar.set_postfix_str(f"{self.label}, epoch {epoch + 1}" + ("" if loss is None else f", loss {float(loss):.4f}"))


def _fit(model: keras.Model, x: np.ndarray, y: np.ndarray, *, epochs: int, batch_size: int,
         bar: Any, label: str) -> dict[str, list[float]]:
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, shuffle=True,
                        callbacks=[_EpochBar(bar, label)])
    out = {k: [float(v) for v in vs] for k, vs in history.history.items()}
    out["seconds_per_epoch"] = [(time.perf_counter() - start) / epochs]
    return out


def _check_lengths(x: np.ndarray, y: np.ndarray, logits: np.ndarray | None = None) -> None:
    if len(x) == 0 or len(x) != len(y) or (logits is not None and len(logits) != len(y)):
        sizes = f"x {len(x)}, y {len(y)}" + ("" if logits is None else f", logits {len(logits)}")
        raise ValueError(f"x, y (and logits) must hold the same number of examples, at least one; got {sizes}")


def _check_budget(epochs: int, learning_rate: float, batch_size: int, max_steps_per_execution: int,
                  seed: int) -> tuple[int, float, int, int, int]:
    # the settings every training run shares, checked together before anything is built
    return (check_int("epochs", epochs), check_number("learning_rate", learning_rate, low=0.0, low_open=True),
            check_int("batch_size", batch_size), check_int("max_steps_per_execution", max_steps_per_execution),
            check_int("seed", seed, minimum=0))


def train_teacher(
    x: np.ndarray,
    y: np.ndarray,
    hidden: Sequence[int],
    *,
    dropout: float = 0.5,
    input_dropout: float = 0.0,
    max_shift: int = 0,
    epochs: int = 10,
    learning_rate: float = 1e-3,
    batch_size: int = 128,
    cosine_decay: bool = True,
    max_steps_per_execution: int = 16,
    seed: int = 0,
    bar: Any = None,
) -> tuple[keras.Model, dict[str, list[float]]]:
    """Train :func:`build_teacher` on ``(x, y)``: sparse cross-entropy, Adam, the same seed for weights and batches.

    Args:
        x, y: the training images and their labels.
        hidden, dropout, input_dropout, max_shift: the teacher (:func:`build_teacher`).
        epochs, learning_rate, batch_size: Adam's passes over ``x``, rate and mini-batch size.
        cosine_decay: decay the rate to zero over the run (``True``) or keep it constant.
        max_steps_per_execution: the most updates per call of Keras's compiled step.
        seed: seeds the weights, the dropout, the jitter and the batch order.
        bar: a tqdm bar to advance by one per epoch, or ``None``.

    Returns:
        The model and its history (``loss`` and ``accuracy`` per epoch, ``seconds_per_epoch``).

    Raises:
        ValueError: a bad setting, named, or ``x`` and ``y`` of different lengths; before anything is trained.

    Example::

        >>> x, y = np.zeros((32, 28, 28), "float32"), np.arange(32) % 10
        >>> teacher, history = train_teacher(x, y, (8,), epochs=2, batch_size=16)
        >>> len(history["loss"]), teacher.name
        (2, 'teacher')
    """
    epochs, learning_rate, batch_size, max_steps_per_execution, seed = _check_budget(
        epochs, learning_rate, batch_size, max_steps_per_execution, seed)
    _check_lengths(x, y)
    build = dict(hidden=hidden, dropout=dropout, input_dropout=input_dropout, max_shift=max_shift, seed=seed)
    keras.utils.set_random_seed(seed)
    teacher = build_teacher(**build)
    models.compile_classifier(
        teacher, _adam(learning_rate, cosine_decay, epochs, len(x), batch_size),
        steps_per_execution=models.steps_per_execution(len(x), batch_size, cap=max_steps_per_execution))
    history = _fit(teacher, x, y, epochs=epochs, batch_size=batch_size, bar=bar, label="teacher")
    return teacher, history


def train_student(
    x: np.ndarray,
    y: np.ndarray,
    hidden: Sequence[int],
    *,
    teacher: keras.Model | None = None,
    logits: np.ndarray | None = None,
    temperature: float = 3.0,
    alpha: float = 0.1,
    epochs: int = 30,
    learning_rate: float = 1e-3,
    batch_size: int = 128,
    cosine_decay: bool = True,
    max_steps_per_execution: int = 16,
    seed: int = 0,
    init_seed: int | None = None,
    bar: Any = None,
    label: str = "student",
) -> tuple[keras.Model, dict[str, list[float]]]:
    """Train a student without regularization: on the labels alone, or distilled from a teacher.

    The student learns from the true labels alone (no ``teacher``, no ``logits``); from
    the labels and ``teacher``'s soft targets, the teacher called on every batch
    (:class:`~dltips.distillation.Distiller`); or from the labels and the teacher's
    ``logits`` computed once (:class:`~dltips.distillation.SoftTargetLoss`, the same
    loss). The same ``seed`` and ``init_seed`` give the same initial weights and batch
    order whatever the targets, so students differ only in what they learn from.

    Args:
        x, y: the transfer set and its true labels.
        hidden: the student's hidden layer sizes.
        teacher: a trained teacher to distil from, called on every batch, or ``None``.
        logits: the teacher's logits for ``x`` (:func:`teacher_logits`), or ``None``.
        temperature, alpha: the distillation's ``T > 0`` and weight of the true labels, in ``[0, 1]``.
        epochs, learning_rate, batch_size: Adam's passes over ``x``, rate and mini-batch size.
        cosine_decay: decay the rate to zero over the run (``True``) or keep it constant.
        max_steps_per_execution: the most updates per call of Keras's compiled step.
        seed: seeds the batch order (and, unless ``init_seed`` is given, the initial weights).
        init_seed: seeds the initial weights; ``None``: ``seed``.
        bar, label: a tqdm bar to advance by one per epoch (or ``None``), and the run's name on it.

    Returns:
        The student and its history (``loss`` per epoch, the two loss terms with a
        ``teacher``, ``seconds_per_epoch``).

    Raises:
        ValueError: a bad ``hidden``, ``temperature``, ``alpha``, ``epochs``, ``learning_rate``,
            ``batch_size``, ``max_steps_per_execution``, ``seed`` or ``init_seed``, named; both a
            ``teacher`` and ``logits``; or ``x``, ``y`` and ``logits`` of different lengths;
            before anything is trained.

    Example::

        >>> x, y = np.zeros((32, 28, 28), "float32"), np.arange(32) % 10
        >>> student, history = train_student(x, y, (8,), epochs=2, batch_size=16)
        >>> len(history["loss"]), student.name
        (2, 'student')
    """
    hidden = check_sizes("hidden", hidden, allow_empty=False)
    temperature = check_number("temperature", temperature, low=0.0, low_open=True)
    alpha = check_number("alpha", alpha, low=0.0, high=1.0, high_open=False)
    epochs, learning_rate, batch_size, max_steps_per_execution, seed = _check_budget(
        epochs, learning_rate, batch_size, max_steps_per_execution, seed)
    init_seed = seed if init_seed is None else check_int("init_seed", init_seed, minimum=0)
    if teacher is not None and logits is not None:
        raise ValueError("teacher and logits: give at most one (logits are the teacher's, computed once)")
    _check_lengths(x, y, logits)
    keras.utils.set_random_seed(seed)
    student = build_student(hidden, seed=init_seed)
    optimizer = _adam(learning_rate, cosine_decay, epochs, len(x), batch_size)
    steps = models.steps_per_execution(len(x), batch_size, cap=max_steps_per_execution)
    trainer, targets = student, np.asarray(y)
    if logits is not None:
        student.compile(optimizer, loss=SoftTargetLoss(temperature, alpha), steps_per_execution=steps)
        targets = pack_targets(y, logits)
    elif teacher is not None:
        trainer = Distiller(teacher, student)
        trainer.compile(optimizer, metrics=["accuracy"], alpha=alpha, temperature=temperature,
                        steps_per_execution=steps)
    else:
        models.compile_classifier(student, optimizer, steps_per_execution=steps)
    history = _fit(trainer, x, targets, epochs=epochs, batch_size=batch_size, bar=bar, label=label)
    return student, history
