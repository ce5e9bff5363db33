"""Knowledge distillation: a small student learns from a large teacher's soft targets.

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
* :func:`distillation_experiment`: teacher, scratch student, pseudo-label student
  and distilled student trained on the same budget and measured like the paper
  (test errors out of 10,000, parameters, saved size, inference time), plus a
  temperature sweep.

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

import dataclasses
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from dltips import models as _models
from dltips.runtime import progress

#: The paper's MNIST results (Hinton et al. 2015, section 3): test errors out of 10,000.
PAPER_ERRORS = {"teacher": 67, "scratch": 146, "distilled": 74}
#: The networks behind :data:`PAPER_ERRORS`.
PAPER_MODELS = {
    "teacher": "2×1200 ReLU, dropout, weight constraints, inputs jittered by up to 2 pixels",
    "scratch": "2×800 ReLU, no regularization",
    "distilled": "the same 2×800 net, distilled at T = 20",
}


def _check_temperature(temperature: float) -> float:
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.floating, np.integer)):
        raise ValueError(f"temperature must be a number > 0, got {temperature!r}")
    if not np.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be a finite number > 0, got {temperature!r}")
    return float(temperature)


def _check_alpha(alpha: float) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating, np.integer)) or not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha (the weight of the hard-label loss) must be in [0, 1], got {alpha!r}")
    return float(alpha)


def soft_targets(logits: Any, temperature: float) -> Any:
    """The softened distribution ``softmax(logits / T)``; ``T = 1`` gives the usual softmax.

    Example::

        >>> soft_targets(np.array([[4.0, 2.0, 0.0]]), 2.0).numpy().round(3)
        array([[0.665, 0.245, 0.09 ]], dtype=float32)
    """
    temperature = _check_temperature(temperature)
    return ops.softmax(ops.convert_to_tensor(logits, "float32") / temperature, axis=-1)


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
    temperature = _check_temperature(temperature)
    teacher, student = ops.convert_to_tensor(teacher_logits), ops.convert_to_tensor(student_logits)
    dtype = keras.backend.result_type(teacher.dtype, student.dtype, "float32")  # float32 unless given float64
    teacher = ops.cast(teacher, dtype) / temperature
    student = ops.cast(student, dtype) / temperature
    if tuple(teacher.shape) != tuple(student.shape):
        raise ValueError(
            f"teacher_logits and student_logits must have the same shape, got {tuple(teacher.shape)} "
            f"and {tuple(student.shape)}"
        )
    log_p = ops.log_softmax(teacher, axis=-1)
    log_q = ops.log_softmax(student, axis=-1)
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

        >>> distiller = Distiller(teacher, student)  # doctest: +SKIP
        >>> distiller.compile(keras.optimizers.Adam(1e-3), metrics=["accuracy"], alpha=0.1, temperature=4)  # doctest: +SKIP
        >>> distiller.fit(x, y, epochs=5, verbose=0).history["distillation_loss"]  # doctest: +SKIP
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
        self.alpha = _check_alpha(alpha)
        self.temperature = _check_temperature(temperature)
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
            raise ValueError("Distiller does not support sample_weight (class_weight or sample weights)")
        if y_pred is None:
            y_pred = self(x, training=training)
        teacher_logits = ops.stop_gradient(self.teacher(x, training=False))
        student_loss = self.student_loss_fn(y, y_pred)
        soft_loss = self.distillation_loss_fn(teacher_logits, y_pred, self.temperature)
        loss = self.alpha * student_loss + (1.0 - self.alpha) * soft_loss
        if self.student.losses:
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
            labels ``(n,)`` passed instead of images, the article's bug).

    Example::

        >>> labels = pseudo_label(teacher, x_train)   # doctest: +SKIP
        >>> student.fit(x_train, labels, epochs=5)    # doctest: +SKIP
    """
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


# --- measuring a model the way the paper and a deployment would -----------------------


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

    Example::

        >>> inference_seconds({"teacher": teacher, "student": student}, x_test)  # doctest: +SKIP
        {'teacher': 0.21, 'student': 0.012}
    """
    if isinstance(repeats, bool) or not isinstance(repeats, (int, np.integer)) or repeats < 1:
        raise ValueError(f"repeats must be a positive integer, got {repeats!r}")
    named = {"model": models} if isinstance(models, keras.Model) else dict(models)
    x = ops.convert_to_tensor(x)
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
    """Size of the model saved as a ``.keras`` file for inference (weights and architecture, no optimizer state)."""
    # A fresh, uncompiled copy from the architecture alone: clone_model and
    # model_from_json also restore the compile state, and the optimizer's slots
    # would triple the file of a model trained with Adam.
    inference_copy = type(model).from_config(model.get_config())
    inference_copy.set_weights(model.get_weights())
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        inference_copy.save(path)
        return os.path.getsize(path)


@dataclasses.dataclass
class ModelReport:
    """One row of the paper's table, measured on the 10,000 MNIST test images."""

    name: str
    errors: int
    accuracy: float
    params: int
    saved_bytes: int
    inference_seconds: float

    @classmethod
    def measure_all(
        cls, models: Mapping[str, keras.Model], names: Mapping[str, str], x_test: np.ndarray, y_test: np.ndarray,
        *, repeats: int = 5,
    ) -> dict[str, "ModelReport"]:
        """Measure every model; ``names`` gives each key's display name."""
        seconds = inference_seconds(models, x_test, repeats=repeats)
        reports = {}
        for key, model in models.items():
            errors = _models.count_errors(model, x_test, y_test)
            reports[key] = cls(
                name=names[key],
                errors=errors,
                accuracy=1.0 - errors / len(y_test),
                params=_models.count_params(model),
                saved_bytes=saved_size_bytes(model),
                inference_seconds=seconds[key],
            )
        return reports


@dataclasses.dataclass
class DistillationResult:
    """What :func:`distillation_experiment` measured.

    Attributes:
        reports: ``teacher``, ``scratch``, ``pseudo_label`` and ``distilled`` rows.
        sweep: test errors of the distilled student for each temperature of the sweep.
        history: per-epoch ``loss``, ``student_loss`` and ``distillation_loss`` of the distilled student.
        settings: the arguments of the run.
        models: the four trained models (not part of :meth:`to_dict`).
    """

    reports: dict[str, ModelReport]
    sweep: dict[float, int]
    history: dict[str, list[float]]
    settings: dict[str, Any]
    models: dict[str, keras.Model] = dataclasses.field(default_factory=dict, repr=False)

    @property
    def param_ratio(self) -> float:
        """Student parameters / teacher parameters."""
        return self.reports["distilled"].params / self.reports["teacher"].params

    @property
    def speedup(self) -> float:
        """Teacher inference time / student inference time on the test set."""
        return self.reports["teacher"].inference_seconds / self.reports["distilled"].inference_seconds

    def errors(self) -> dict[str, int]:
        """Test errors out of 10,000 per model."""
        return {key: r.errors for key, r in self.reports.items()}

    def table(self) -> str:
        """The results as a fixed-width text table."""
        head = f"{'model':<24}{'errors/10k':>11}{'accuracy':>10}{'params':>11}{'saved KB':>10}{'infer ms':>10}"
        rows = [head, "-" * len(head)]
        for r in self.reports.values():
            rows.append(
                f"{r.name:<24}{r.errors:>11d}{r.accuracy:>10.2%}{r.params:>11,d}"
                f"{r.saved_bytes / 1024:>10.0f}{r.inference_seconds * 1000:>10.1f}"
            )
        return "\n".join(rows)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (temperatures as strings)."""
        return {
            "reports": {k: dataclasses.asdict(v) for k, v in self.reports.items()},
            "sweep": {f"{t:g}": e for t, e in self.sweep.items()},
            "history": self.history,
            "param_ratio": self.param_ratio,
            "speedup": self.speedup,
            "settings": self.settings,
        }


def _train_student(
    build: Callable[[], keras.Model],
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    teacher: keras.Model | None = None,
    alpha: float = 0.1,
    temperature: float = 1.0,
) -> tuple[keras.Model, dict[str, list[float]]]:
    # Same seed before every student: same initial weights and same batch order, so
    # the students differ only in their targets.
    keras.utils.set_random_seed(seed)
    student = build()
    optimizer = keras.optimizers.Adam(learning_rate)
    # Several steps per call of the compiled step function: the same updates, with
    # less Python overhead per step, which dominates for a network this small.
    steps_per_execution = max(1, min(16, len(x) // batch_size))
    if teacher is None:
        trainer = _models.compile_classifier(student, optimizer, steps_per_execution=steps_per_execution)
    else:
        trainer = Distiller(teacher, student)
        trainer.compile(optimizer, metrics=["accuracy"], alpha=alpha, temperature=temperature,
                        steps_per_execution=steps_per_execution)
    history = trainer.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    return student, {k: [float(v) for v in vs] for k, vs in history.history.items()}


def _check_positive(**values: int | None) -> None:
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def distillation_experiment(
    *,
    teacher_hidden: Sequence[int] = (512, 512),
    teacher_dropout: float = 0.3,
    teacher_epochs: int = 2,
    teacher_train_size: int | None = None,
    student_hidden: Sequence[int] = (64, 64),
    student_epochs: int = 40,
    student_train_size: int | None = 3_000,
    alpha: float = 0.1,
    temperature: float = 4.0,
    sweep_temperatures: Sequence[float] = (1, 2, 4, 8, 20),
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    timing_repeats: int = 5,
    seed: int = 0,
    verbose: bool = True,
) -> DistillationResult:
    """Teacher, scratch student, pseudo-label student and distilled student on MNIST, same budget.

    1. The teacher (``teacher_hidden`` ReLU layers with dropout) trains on
       ``teacher_train_size`` class-balanced training images (``None``: all 60,000).
    2. Three students with the same architecture, initial weights, training images
       (``student_train_size`` class-balanced images, ``None``: all 60,000),
       optimizer (Adam), batch order and number of epochs learn from: the true labels
       (``scratch``); the teacher's arg-max labels (``pseudo_label``, the article's
       method); the true labels and the teacher's soft targets at ``temperature``
       (``distilled``, :class:`Distiller`).
    3. Each model is measured on the 10,000 test images (:class:`ModelReport`).
    4. The sweep distils the same student, with the same budget, at each of
       ``sweep_temperatures`` (the run at ``temperature`` is the distilled student
       above) and records its test errors.

    The defaults fit a laptop CPU in about a minute: the teacher sees all the data
    once or twice, the students see a 3,000-image transfer set many times, which is
    where soft targets carry the most information. The paper trains everything on
    all 60,000 images for much longer (see the benchmark).

    Raises:
        ValueError: a bad size, epoch count, dropout rate, ``alpha`` or temperature,
            before anything is trained.

    Example::

        >>> result = distillation_experiment(student_epochs=5, verbose=False)  # doctest: +SKIP
        >>> print(result.table())  # doctest: +SKIP
    """
    from dltips import data

    alpha = _check_alpha(alpha)
    temperature = _check_temperature(temperature)
    temperatures = sorted({_check_temperature(t) for t in sweep_temperatures} | {temperature})
    _check_positive(teacher_epochs=teacher_epochs, student_epochs=student_epochs, batch_size=batch_size,
                    timing_repeats=timing_repeats, teacher_train_size=teacher_train_size,
                    student_train_size=student_train_size)
    if not 0.0 <= teacher_dropout < 1.0:
        raise ValueError(f"teacher_dropout must be in [0, 1), got {teacher_dropout!r}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate!r}")
    mnist = data.load_mnist()

    def training_images(n: int | None) -> tuple[np.ndarray, np.ndarray]:
        return (mnist.x_train, mnist.y_train) if n is None else data.train_subset(n, seed=seed)

    x_teacher, y_teacher = training_images(teacher_train_size)
    x, y = training_images(student_train_size)

    def build_student() -> keras.Model:
        return _models.mlp(student_hidden, seed=seed + 1, name="student")

    budget = dict(epochs=student_epochs, batch_size=batch_size, learning_rate=learning_rate, seed=seed)
    trained: dict[str, keras.Model] = {}
    history: dict[str, list[float]] = {}
    sweep: dict[float, int] = {}
    extra_temperatures = [t for t in temperatures if t != temperature]
    steps = ["teacher", "scratch", "pseudo_label", "distilled", *extra_temperatures]
    names = {"teacher": "teacher", "scratch": "student, scratch", "pseudo_label": "student, pseudo-labels",
             "distilled": f"student, distilled T={temperature:g}"}
    for step in progress(steps, "distillation", label=lambda s: names[s] if s in names else f"sweep, student distilled T={s:g}",
                         enabled=verbose):
        if step == "teacher":
            keras.utils.set_random_seed(seed)
            teacher = _models.mlp(teacher_hidden, dropout=teacher_dropout, seed=seed, name="teacher")
            _models.compile_classifier(teacher, keras.optimizers.Adam(learning_rate))
            teacher.fit(x_teacher, y_teacher, batch_size=batch_size, epochs=teacher_epochs, verbose=0)
            trained["teacher"] = teacher
        elif step == "scratch":
            trained["scratch"], _ = _train_student(build_student, x, y, **budget)
        elif step == "pseudo_label":
            hard_labels = pseudo_label(trained["teacher"], x)
            trained["pseudo_label"], _ = _train_student(build_student, x, hard_labels, **budget)
        elif step == "distilled":
            trained["distilled"], history = _train_student(
                build_student, x, y, teacher=trained["teacher"], alpha=alpha, temperature=temperature, **budget)
            sweep[temperature] = _models.count_errors(trained["distilled"], mnist.x_test, mnist.y_test)
        else:
            student, _ = _train_student(build_student, x, y, teacher=trained["teacher"], alpha=alpha,
                                        temperature=step, **budget)
            sweep[step] = _models.count_errors(student, mnist.x_test, mnist.y_test)
    reports = ModelReport.measure_all(trained, names, mnist.x_test, mnist.y_test, repeats=timing_repeats)
    settings = dict(teacher_hidden=list(teacher_hidden), teacher_dropout=teacher_dropout,
                    teacher_epochs=teacher_epochs, teacher_train_size=len(x_teacher),
                    student_hidden=list(student_hidden), student_epochs=student_epochs,
                    student_train_size=len(x), alpha=alpha, temperature=temperature,
                    sweep_temperatures=temperatures, batch_size=batch_size, learning_rate=learning_rate,
                    timing_repeats=timing_repeats, seed=seed)
    return DistillationResult(reports=reports, sweep=dict(sorted(sweep.items())), history=history,
                              settings=settings, models=trained)
