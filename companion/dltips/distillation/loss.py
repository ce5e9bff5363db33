"""The distillation loss from scratch: soft targets at temperature T, Hinton's loss, and a ``Distiller``.

Hinton, Vinyals and Dean (2015) train the student on a weighted sum of two losses:

.. math::

    L = \\alpha \\, \\mathrm{CE}(y, \\mathrm{softmax}(z_s))
        + (1 - \\alpha) \\, T^2 \\, \\mathrm{KL}\\big(\\mathrm{softmax}(z_t / T) \\,\\|\\, \\mathrm{softmax}(z_s / T)\\big)

where :math:`z_t` and :math:`z_s` are the teacher's and the student's logits, :math:`y`
the true label and :math:`T > 0` the temperature. A high temperature softens the
teacher's distribution, so the student also learns which wrong classes the teacher
finds plausible (a "2" that looks like a "7"). The gradient of the KL term with
respect to :math:`z_s` is :math:`(q - p) / T`, which shrinks like :math:`1/T^2` for
large :math:`T`; the factor :math:`T^2` keeps it comparable across temperatures.

What is here:

* :func:`distillation_loss`: the soft-target term above, from logits.
* :class:`Distiller`: a ``keras.Model`` that trains a student against a frozen
  teacher with ``compile``/``fit``/``evaluate``; ``distiller.student`` is a plain
  Keras model afterwards.
* :func:`pseudo_label`: the source article's method (train on the teacher's
  arg-max labels), with its bug fixed; the baseline soft targets are compared with.

Default temperature: ``T = 3`` for :meth:`Distiller.compile` and :class:`SoftTargetLoss`
(and :func:`~dltips.distillation.train_student`, built on them), Keras's default in
``keras.distillation.LogitsDistillation`` and the keras-io example's, so a port from Keras
keeps its temperature; :func:`soft_targets`, :func:`distillation_loss` and
:func:`soft_loss_gradient_norm` take ``T`` without a default. The experiments pass their own
(:mod:`dltips.distillation` lists them).

Relation to ``keras.distillation`` (Keras 3.15): ``Distiller(teacher, student,
LogitsDistillation(temperature=T, loss=keras.losses.KLDivergence()),
student_loss_weight=alpha)`` compiled with sparse cross-entropy from logits computes
the same loss as our ``Distiller`` with ``alpha`` and ``temperature`` (``alpha`` is
Keras's ``student_loss_weight``). Keras's default ``LogitsDistillation(temperature=T)``
does **not**: its default ``loss="kl_divergence"`` is resolved to the plain
function ``keras.losses.kl_divergence``, which fails the ``isinstance(...,
KLDivergence)`` test that would apply the softmax and the :math:`T^2` factor, so it
computes ``mean(kl_divergence(z_t / T, z_s / T))`` on *logits* clipped to
``[1e-7, 1]``. The tests pin both relations.

Example::

    >>> from dltips import models
    >>> from dltips.distillation import Distiller
    >>> teacher = models.mlp((256,), seed=0)   # trained beforehand
    >>> student = models.mlp((32,), seed=1)
    >>> distiller = Distiller(teacher, student)
    >>> distiller.compile("adam", metrics=["accuracy"], alpha=0.1, temperature=4.0)
    >>> history = distiller.fit(x_train, y_train, epochs=3, verbose=0)  # doctest: +SKIP
    >>> sorted(history.history)  # doctest: +SKIP
    ['accuracy', 'distillation_loss', 'loss', 'student_loss']
    >>> distiller.student.save("student.keras")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from dltips.checks import check_int, check_number

__all__ = [
    "Distiller",
    "SoftTargetLoss",
    "distillation_loss",
    "pack_targets",
    "pseudo_label",
    "soft_loss_gradient_norm",
    "soft_targets",
]

def soft_targets(logits: Any, temperature: float) -> Any:
    """The softened distribution ``softmax(logits / T)``; ``T = 1`` gives the usual softmax.

    Args:
        logits: ``(..., classes)`` logits.
        temperature: ``T > 0`` (no default: every caller says which).

    Returns:
        A float32 tensor of the same shape, each row summing to 1.

    Raises:
        ValueError: ``temperature`` not a finite number > 0.

    Example::

        >>> soft_targets(np.array([[4.0, 2.0, 0.0]]), 2.0).numpy().round(3)
        array([[0.665, 0.245, 0.09 ]], dtype=float32)
    """
    temperature = check_number("temperature", temperature, low=0.0, low_open=True)
    z = ops.convert_to_tensor(logits, "float32")
    return ops.softmax(z / temperature, axis=-1)


def distillation_loss(
    teacher_logits: Any,
    student_logits: Any,
    temperature: float,
    *,
    scale_by_t_squared: bool = True,
) -> Any:
    """Soft-target loss ``T² · mean over the batch of KL(softmax(z_t/T) ‖ softmax(z_s/T))``.

    The KL divergence runs from the teacher's distribution ``p`` to the student's
    ``q``: ``KL(p ‖ q) = Σ p (log p − log q)``. It differs from the cross-entropy
    ``−Σ p log q`` only by the teacher's entropy, a constant for the student, so the
    gradients are the same; KL is zero when the student matches the teacher.
    Computed with ``log_softmax`` (no clipping), so it stays finite for any logits;
    in ``float32`` at high temperatures, where both distributions are nearly uniform,
    rounding limits its relative precision to about ``1e-5`` (pass ``float64``
    logits to compute in ``float64``).

    Args:
        teacher_logits, student_logits: ``(batch, classes)`` logits (not probabilities).
        temperature: ``T > 0``.
        scale_by_t_squared: multiply by ``T²`` (Hinton et al.), which keeps the
            gradient's size about the same whatever ``T``; ``False`` drops the factor.

    Returns:
        A scalar tensor.

    Raises:
        ValueError: ``temperature <= 0`` or logits of different shapes.

    Example::

        >>> t = np.array([[5.0, 1.0, 0.0]]); s = np.array([[2.0, 1.0, 0.0]])
        >>> float(distillation_loss(t, s, temperature=1.0))  # doctest: +ELLIPSIS
        0.309...
        >>> float(distillation_loss(t, t, temperature=4.0))
        0.0
    """
    temperature = check_number("temperature", temperature, low=0.0, low_open=True)
    z_t = ops.convert_to_tensor(teacher_logits)
    z_s = ops.convert_to_tensor(student_logits)
    if tuple(z_t.shape) != tuple(z_s.shape):
        raise ValueError(
            "teacher_logits and student_logits must have the same shape, "
            f"got {tuple(z_t.shape)} and {tuple(z_s.shape)}")
    # float32, unless the logits come in float64
    dtype = keras.backend.result_type(z_t.dtype, z_s.dtype, "float32")
    log_p = ops.log_softmax(ops.cast(z_t, dtype) / temperature, axis=-1)
    log_q = ops.log_softmax(ops.cast(z_s, dtype) / temperature, axis=-1)
    kl = ops.mean(ops.sum(ops.exp(log_p) * (log_p - log_q), axis=-1))
    return kl * temperature**2 if scale_by_t_squared else kl


def soft_loss_gradient_norm(
    teacher_logits: Any,
    student_logits: Any,
    temperature: float,
    *,
    scale_by_t_squared: bool = True,
) -> float:
    """Euclidean norm of the gradient of :func:`distillation_loss` with respect to the student's logits.

    Shows numerically why the ``T²`` factor is there: without it the gradient falls
    like ``1/T²``; with it the gradient tends to ``(z_s − z_t) / N`` (for centred
    logits and ``N`` classes) as ``T`` grows, the same whatever ``T``.

    Args:
        teacher_logits, student_logits: ``(batch, classes)`` logits.
        temperature: ``T > 0``.
        scale_by_t_squared: include the factor ``T²`` (as :func:`distillation_loss`).

    Returns:
        The norm, a Python float.

    Raises:
        ValueError: ``temperature`` not a finite number > 0, or logits of different shapes.

    Example::

        >>> z = np.array([[3.0, 1.0, 0.0]])
        >>> soft_loss_gradient_norm(z, z, temperature=4.0)
        0.0
    """
    import tensorflow as tf

    student = tf.convert_to_tensor(student_logits, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(student)
        loss = distillation_loss(teacher_logits, student, temperature, scale_by_t_squared=scale_by_t_squared)
    return float(tf.norm(tape.gradient(loss, student)))


def _output_size(model: keras.Model) -> int | None:
    outputs = getattr(model, "outputs", None)
    if not outputs:
        return None  # a subclassed model: its output size is known only after a call
    return outputs[0].shape[-1]


class Distiller(keras.Model):
    """Trains ``student`` on true labels and on a frozen ``teacher``'s soft targets.

    The loss (Hinton, Vinyals and Dean, 2015)::

        alpha · student_loss_fn(y, z_s) + (1 − alpha) · distillation_loss_fn(z_t, z_s, T)

    with, by default, sparse cross-entropy from logits and :func:`distillation_loss`
    (``T² · KL(softmax(z_t/T) ‖ softmax(z_s/T))``). The student's own regularization
    losses (``kernel_regularizer``) are added, as in plain training. The teacher runs
    with ``training=False`` (no dropout) and is frozen (``teacher.trainable = False``).

    ``fit`` and ``evaluate`` report ``loss`` (the total), ``student_loss`` and
    ``distillation_loss`` separately, plus any compiled ``metrics`` computed on the
    student's output. Calling the distiller calls the student. After training,
    ``distiller.student`` is a plain Keras model: save and load it on its own.

    Args:
        teacher: a trained ``keras.Model`` that outputs logits.
        student: the ``keras.Model`` to train, same input and output size; not the teacher itself.

    Raises:
        ValueError: ``teacher`` or ``student`` is not a Keras model, the student is the
            teacher object, or their output sizes differ.

    Example::

        >>> from dltips import models
        >>> distiller = Distiller(models.mlp((32,), seed=0), models.mlp((8,), seed=1))
        >>> distiller.compile(keras.optimizers.Adam(1e-3), metrics=["accuracy"], alpha=0.1, temperature=4)
        >>> x, y = np.zeros((16, 28, 28), "float32"), np.arange(16) % 10
        >>> sorted(distiller.fit(x, y, epochs=1, verbose=0).history)
        ['accuracy', 'distillation_loss', 'loss', 'student_loss']
    """

    def __init__(self, teacher: keras.Model, student: keras.Model, *, name: str = "distiller", **kwargs: Any) -> None:
        for role, model in (("teacher", teacher), ("student", student)):
            if not isinstance(model, keras.Model):
                raise ValueError(f"{role} must be a keras.Model, got {type(model).__name__}")
        if student is teacher:
            raise ValueError("student must be a different model from teacher (got the same object for both)")
        t_size, s_size = _output_size(teacher), _output_size(student)
        if t_size is not None and s_size is not None and t_size != s_size:
            raise ValueError(
                f"teacher and student must have the same output size (number of classes), "
                f"got teacher {t_size} and student {s_size}"
            )
        super().__init__(name=name, **kwargs)
        self.teacher = teacher
        self.student = student
        self.teacher.trainable = False
        self.student_loss_tracker = keras.metrics.Mean(name="student_loss")
        self.distillation_loss_tracker = keras.metrics.Mean(name="distillation_loss")
        self.alpha = 0.1
        self.temperature = 3.0
        self.student_loss_fn: Callable[..., Any] = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.distillation_loss_fn: Callable[..., Any] = distillation_loss

    def compile(
        self,
        optimizer: keras.optimizers.Optimizer | str = "adam",
        metrics: Sequence[Any] | None = None,
        student_loss_fn: Callable[..., Any] | None = None,
        distillation_loss_fn: Callable[..., Any] | None = None,
        alpha: float = 0.1,
        temperature: float = 3.0,
        **kwargs: Any,
    ) -> None:
        """Configure training (the keras-io example's signature).

        Args:
            optimizer: updates the student's weights only.
            metrics: computed on the true labels and the student's logits.
            student_loss_fn: ``(y, student_logits) -> loss``; default sparse
                cross-entropy from logits.
            distillation_loss_fn: ``(teacher_logits, student_logits, temperature) -> loss``;
                default :func:`distillation_loss`.
            alpha: weight of the hard-label loss, in ``[0, 1]`` (Keras's
                ``student_loss_weight``); ``1 − alpha`` weighs the soft targets.
            temperature: ``T > 0``.

        Raises:
            ValueError: ``alpha`` outside ``[0, 1]`` or ``temperature <= 0``.
        """
        self.alpha = check_number("alpha", alpha, low=0.0, high=1.0, high_open=False)
        self.temperature = check_number("temperature", temperature, low=0.0, low_open=True)
        if student_loss_fn is not None:
            self.student_loss_fn = student_loss_fn
        if distillation_loss_fn is not None:
            self.distillation_loss_fn = distillation_loss_fn
        super().compile(optimizer=optimizer, metrics=metrics, **kwargs)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        """The student's logits (the teacher only enters the loss)."""
        return self.student(inputs, training=training)

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Any:
        """The loss of one batch: ``alpha`` times the hard-label loss plus ``1 − alpha`` times the soft-target loss.

        The student's own regularization losses are added. ``fit`` and ``evaluate``
        call this method; it also updates the ``student_loss`` and
        ``distillation_loss`` metrics.

        Raises:
            ValueError: ``sample_weight`` is given (sample or class weights are not supported).
        """
        if sample_weight is not None:
            raise ValueError("Distiller does not support sample_weight "
                             "(class_weight or sample weights)")
        if y_pred is None:
            y_pred = self(x, training=training)  # the student's logits
        z_t = ops.stop_gradient(self.teacher(x, training=False))
        student_loss = self.student_loss_fn(y, y_pred)
        soft_loss = self.distillation_loss_fn(z_t, y_pred, self.temperature)
        loss = self.alpha * student_loss + (1.0 - self.alpha) * soft_loss
        if self.student.losses:  # the student's own penalties, if it has any
            loss = loss + ops.sum(self.student.losses)
        self.student_loss_tracker.update_state(student_loss)
        self.distillation_loss_tracker.update_state(soft_loss)
        return loss


def pseudo_label(teacher: keras.Model, x: np.ndarray, *, batch_size: int = 1000) -> np.ndarray:
    """The source article's "distillation": the teacher's arg-max label for every image.

    The article calls ``teacher_model.predict(train_labels)``; the teacher must of
    course predict on the *images*. Training a student on these hard labels keeps
    only the teacher's top class and throws away the soft targets (how likely the
    teacher finds every other class), which is the information distillation transfers.

    Args:
        teacher: a model whose output is one score per class.
        x: inputs shaped like the teacher's input, e.g. ``(n, 28, 28)`` images.

    Returns:
        ``(n,)`` integer labels, ``argmax`` of the teacher's output.

    Raises:
        ValueError: ``x`` does not have the teacher's input shape (for example
            labels ``(n,)`` passed instead of images, the article's bug), or
            ``batch_size`` is not an integer >= 1.

    Example::

        >>> from dltips import models
        >>> teacher = models.mlp((16,), seed=0)
        >>> pseudo_label(teacher, np.zeros((4, 28, 28), "float32")).shape
        (4,)
    """
    check_int("batch_size", batch_size)
    x = np.asarray(x)
    inputs = getattr(teacher, "inputs", None)
    if inputs:
        expected = tuple(inputs[0].shape[1:])
        if x.shape[1:] != expected:
            raise ValueError(
                f"x must be a batch of inputs shaped (n, {', '.join(map(str, expected))}) like the teacher's input, "
                f"got shape {x.shape}" + (" (labels instead of images?)" if x.ndim == 1 else "")
            )
    if len(x) == 0:
        raise ValueError("x must hold at least one input")
    return np.argmax(teacher.predict(x, batch_size=batch_size, verbose=0), axis=-1)


def pack_targets(y: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """``(n, 1 + classes)`` float32 targets for :class:`SoftTargetLoss`: the label, then the teacher's logits.

    Args:
        y: the ``n`` true labels.
        logits: the teacher's ``(n, classes)`` logits for the same examples.

    Returns:
        One float32 row per example, its label followed by its logits.

    Raises:
        ValueError: ``logits`` is not shaped ``(len(y), classes)``.

    Example::

        >>> pack_targets(np.array([3]), np.array([[0.5, 2.0]]))
        array([[3. , 0.5, 2. ]], dtype=float32)
    """
    y, logits = np.asarray(y), np.asarray(logits)
    if logits.ndim != 2 or len(logits) != len(y):
        raise ValueError(f"logits must be shaped (len(y), classes) = ({len(y)}, classes), got {logits.shape}")
    return np.concatenate([y.reshape(-1, 1).astype(np.float32), logits.astype(np.float32)], axis=1)


@keras.saving.register_keras_serializable(package="dltips")
class SoftTargetLoss(keras.losses.Loss):
    """Hinton's loss with the teacher's logits precomputed and packed into the targets.

    ``y_true`` is :func:`pack_targets`'s ``(batch, 1 + classes)`` array; the loss is
    ``alpha · CE(y, z_s) + (1 − alpha) · distillation_loss(z_t, z_s, T)`` averaged over
    the batch, the same number :class:`Distiller` computes when it calls the teacher
    on the same images (the tests check it). A frozen teacher that sees the same
    images every epoch gives the same logits every time: computing them once instead
    of on every batch saves most of the time of distilling from a large teacher.

    Args:
        temperature: ``T > 0``.
        alpha: weight of the hard-label loss, in ``[0, 1]``.
        name: the loss's name, passed on to ``keras.losses.Loss``.
        **kwargs: passed on to ``keras.losses.Loss``.

    Raises:
        ValueError: ``temperature <= 0`` or ``alpha`` outside ``[0, 1]``.

    Example::

        >>> loss = SoftTargetLoss(temperature=4.0, alpha=0.1)
        >>> packed = pack_targets(np.array([0]), np.array([[3.0, 0.0]]))
        >>> round(float(loss(packed, np.array([[3.0, 0.0]]))), 4)  # soft term 0: 0.1 · CE left
        0.0049
    """

    def __init__(self, temperature: float = 3.0, alpha: float = 0.1, name: str = "soft_target_loss", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.temperature = check_number("temperature", temperature, low=0.0, low_open=True)
        self.alpha = check_number("alpha", alpha, low=0.0, high=1.0, high_open=False)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        """Hinton's loss on packed targets: hard labels and the teacher's logits side by side."""
        labels = ops.cast(y_true[:, 0], "int32")
        hard = ops.mean(keras.losses.sparse_categorical_crossentropy(labels, y_pred, from_logits=True))
        if self.alpha == 1.0:
            return hard
        soft = distillation_loss(y_true[:, 1:], y_pred, self.temperature)
        return self.alpha * hard + (1.0 - self.alpha) * soft

    def get_config(self) -> dict[str, Any]:
        """The loss's arguments, so a saved model restores it."""
        return {**super().get_config(), "temperature": self.temperature, "alpha": self.alpha}
