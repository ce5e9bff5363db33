"""The paper's omitted digit: a student distilled without any 3 still recognizes most 3s once one bias is raised.

Hinton, Vinyals and Dean (2015), section 3: a 2×800 student distilled on a transfer set
from which every 3 had been removed got 206 test errors, 133 of them on the 1,010 test 3s;
raising the bias of class 3 by 3.5 brought it to 109 errors, 14 on the 3s. The paper chose
the shift on the test set; :func:`omitted_digit_experiment` chooses it on held-out training
images (:func:`choose_bias_shift`). Its settings are one frozen object,
:class:`OmittedDigitSettings`, checked when made; the result is
:class:`~dltips.distillation.OmittedDigitResult`. The teacher and the student are trained by
:mod:`dltips.distillation.training`, as in the paper-sized run.

Default temperature: ``temperature = 20``, the paper's for this experiment.

Example::

    >>> settings = OmittedDigitSettings(train_size=600, validation_size=200, student_epochs=1)
    >>> settings.omitted, settings.temperature, settings.replace(omitted=7).omitted
    (3, 20.0, 7)
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from dltips import costs, models, runtime
from dltips import data as _data
from dltips.checks import check_int, check_number, check_numbers, check_rate, check_sizes
from dltips.distillation.results import OmittedDigitResult
from dltips.distillation.training import teacher_logits, train_student, train_teacher

__all__ = ["OmittedDigitSettings", "choose_bias_shift", "omitted_digit_experiment", "raise_class_bias",
           "without_class"]


def without_class(x: np.ndarray, y: np.ndarray, omitted: int, *extra: np.ndarray) -> tuple[np.ndarray, ...]:
    """``x``, ``y`` (and any ``extra`` arrays aligned with them) without the examples of class ``omitted``.

    Args:
        x, y: the examples and their labels.
        omitted: the class to remove, in ``0..9``.
        *extra: more arrays aligned with ``y`` (the teacher's logits, say), filtered alike.

    Returns:
        ``(x, y, *extra)`` without the rows whose label is ``omitted``.

    Raises:
        ValueError: ``omitted`` is not a class label in ``0..9``.

    Example::

        >>> x, y = np.arange(6), np.array([0, 3, 1, 3, 2, 3])
        >>> without_class(x, y, 3)
        (array([0, 2, 4]), array([0, 1, 2]))
    """
    omitted = check_int("omitted", omitted, minimum=0, maximum=_data.NUM_CLASSES - 1)
    y = np.asarray(y)
    keep = y != omitted
    return tuple(np.asarray(a)[keep] for a in (x, y, *extra))


def raise_class_bias(model: keras.Model, cls: int, shift: float) -> keras.Model:
    """A copy of ``model`` whose last layer's bias for class ``cls`` is raised by ``shift``.

    Raising one output bias adds ``shift`` to that class's logit for every input and
    leaves every other logit unchanged; ``model`` itself is not modified.

    Args:
        model: a classifier whose last layer has a bias (one per class).
        cls: the class whose bias to raise.
        shift: how much to add to it (any finite number; negative lowers it).

    Returns:
        A new model with the same weights but that one bias.

    Raises:
        ValueError: ``cls`` is not a class of the model, ``shift`` is not finite, or the
            last layer has no bias.

    Example::

        >>> from dltips import models
        >>> model = models.mlp((4,), seed=0)
        >>> x = np.zeros((1, 28, 28), "float32")
        >>> raised = raise_class_bias(model, 3, 2.0)
        >>> round(float((raised(x) - model(x))[0, 3]), 4), float(abs(raised(x) - model(x))[0, 0])
        (2.0, 0.0)
    """
    last = model.layers[-1]
    bias = getattr(last, "bias", None)
    if bias is None:
        raise ValueError(f"the last layer of {model.name!r} has no bias to raise")
    cls = check_int("cls", cls, minimum=0, maximum=int(bias.shape[0]) - 1)
    shift = check_number("shift", shift)
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    new_bias = np.array(copy.layers[-1].bias.numpy())
    new_bias[cls] += shift
    copy.layers[-1].bias.assign(new_bias)
    return copy


def choose_bias_shift(
    logits: np.ndarray, y: np.ndarray, cls: int, shifts: Sequence[float]
) -> tuple[float, dict[float, int]]:
    """The shift of class ``cls``'s logit, from ``shifts``, that makes the fewest errors on ``(logits, y)``.

    Raising the bias of class ``cls`` by ``s`` adds ``s`` to that class's logit for
    every input (:func:`raise_class_bias`), so the errors of every shift follow from
    the logits computed once. Meant for held-out validation data: choosing it on the
    test set (as the paper did) would report a test error tuned on the test set.
    Ties go to the smallest shift.

    Args:
        logits: ``(n, classes)`` logits of the model, computed once.
        y: the ``n`` true labels.
        cls: the class whose logit is shifted.
        shifts: the shifts to try (finite numbers).

    Returns:
        ``(best shift, errors for every shift)``.

    Raises:
        ValueError: ``cls`` is not a class of ``logits``, or ``shifts`` is not a non-empty sequence
            of finite numbers.

    Example::

        >>> logits = np.array([[2.0, 1.0], [2.0, 1.5]])   # both images look like class 0
        >>> choose_bias_shift(logits, np.array([0, 1]), 1, [0.0, 0.75, 2.0])
        (0.75, {0.0: 1, 0.75: 0, 2.0: 1})
    """
    logits, y = np.asarray(logits, np.float64), np.asarray(y)
    cls = check_int("cls", cls, minimum=0, maximum=logits.shape[-1] - 1)
    shifts = sorted(check_numbers("shifts", shifts))
    errors = {}
    for s in shifts:
        moved = logits.copy()
        moved[:, cls] += s  # what raising the bias of cls by s does
        errors[s] = int(np.sum(np.argmax(moved, axis=-1) != y))
    best = min(shifts, key=lambda s: (errors[s], s))  # ties: the smallest
    return best, errors


@dataclasses.dataclass(frozen=True)
class OmittedDigitSettings:
    """Every setting of :func:`omitted_digit_experiment`, with its laptop-sized defaults (well under a minute).

    Attributes:
        omitted: the class left out of the student's transfer set, in ``0..9`` (the paper: 3).
        train_size, validation_size: class-balanced training images; the last
            ``validation_size`` are held out from the student and choose the bias shift
            (``train_size`` >= 20, ``validation_size`` >= 10, together at most 54,210).
        teacher_hidden, teacher_epochs, teacher_dropout, teacher_input_dropout, max_shift:
            the teacher (:func:`~dltips.distillation.build_teacher`), trained on all
            ``train_size`` images, every digit included; unused when a trained teacher is given.
        student_hidden, student_epochs: the student, trained without the omitted digit.
        temperature, alpha: the distillation's ``T > 0`` (the paper's 20) and the weight
            of the true labels, in ``[0, 1]``.
        bias_shifts: the shifts of the omitted class's bias to try (finite numbers).
        batch_size: mini-batch size of both models.
        test_size: ``None`` for all 10,000 test images, else the first ``test_size``.
        seed: seeds the subset, the weights and the batch order.

    Raises:
        ValueError: a bad setting, named with its accepted range, when the settings are
            made or changed (:meth:`replace`).

    Example::

        >>> OmittedDigitSettings().student_hidden
        (256, 256)
        >>> OmittedDigitSettings(omitted=10)
        Traceback (most recent call last):
        ...
        ValueError: omitted must be an integer in 0..9, got 10
    """

    omitted: int = 3
    train_size: int = 10_000
    validation_size: int = 2_000
    teacher_hidden: tuple[int, ...] = (512, 512)
    teacher_epochs: int = 10
    teacher_dropout: float = 0.3
    teacher_input_dropout: float = 0.0
    max_shift: int = 2
    student_hidden: tuple[int, ...] = (256, 256)
    student_epochs: int = 15
    temperature: float = 20.0
    alpha: float = 0.1
    bias_shifts: tuple[float, ...] = tuple(float(s) for s in np.arange(0.0, 15.01, 0.25))
    batch_size: int = 128
    test_size: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        def store(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        store("omitted", check_int("omitted", self.omitted, minimum=0, maximum=_data.NUM_CLASSES - 1))
        check_int("train_size", self.train_size, minimum=20)
        check_int("validation_size", self.validation_size, minimum=10)
        if self.train_size + self.validation_size > 10 * 5421:  # a class-balanced subset: ten times the fives
            raise ValueError(f"train_size + validation_size must be at most 54210, "
                             f"got {self.train_size + self.validation_size}")
        for name in ("teacher_hidden", "student_hidden"):
            store(name, check_sizes(name, getattr(self, name), allow_empty=False))
        for name in ("teacher_epochs", "student_epochs", "batch_size"):
            check_int(name, getattr(self, name))
        check_int("max_shift", self.max_shift, minimum=0)
        check_rate("teacher_dropout", self.teacher_dropout)
        check_rate("teacher_input_dropout", self.teacher_input_dropout)
        check_number("temperature", self.temperature, low=0.0, low_open=True)
        check_number("alpha", self.alpha, low=0.0, high=1.0, high_open=False)
        store("bias_shifts", check_numbers("bias_shifts", self.bias_shifts))
        if self.test_size is not None:
            check_int("test_size", self.test_size, maximum=_data.EXPECTED_SIZES["test"])
        check_int("seed", self.seed, minimum=0)

    def replace(self, **changes: Any) -> OmittedDigitSettings:
        """A copy with some settings changed, checked like the constructor's.

        Args:
            **changes: settings to change, by name.

        Returns:
            The new settings.

        Raises:
            ValueError: a bad setting, named.

        Example::

            >>> OmittedDigitSettings().replace(seed=1).seed
            1
        """
        return dataclasses.replace(self, **changes)


def omitted_digit_experiment(
    settings: OmittedDigitSettings | None = None,
    *,
    teacher: keras.Model | None = None,
    progress: bool = False,
    **overrides: Any,
) -> OmittedDigitResult:
    """The paper's "mythical digit": distil a student on a transfer set without any ``omitted``, then raise that class's bias.

    1. ``train_size + validation_size`` class-balanced training images are drawn; the
       last ``validation_size`` are held out from the student and its bias choice.
    2. A teacher (jitter and dropout, as :func:`~dltips.distillation.build_teacher`, lighter
       than the paper's because it trains for a few epochs only) trains on the
       ``train_size`` images, every digit included; or, as in the paper, where
       the omitted-digit student learns from the teacher of the main experiment,
       ``teacher`` is a model already trained on every digit (the ``teacher_*``
       and ``max_shift`` settings are then unused).
    3. The student trains on those images *without* the omitted digit (the transfer
       set), on the true labels and the teacher's soft targets at ``temperature``.
    4. The bias of the omitted class in the student's last layer is raised by the
       shift from ``bias_shifts`` that makes the fewest errors on the held-out
       validation images (which do contain the digit; the paper used the test set).
    5. Test errors, overall and on the omitted digit, before and after.

    Args:
        settings: the settings (default :class:`OmittedDigitSettings`, well under a minute
            on a two-core CPU).
        teacher: a trained ``keras.Model`` to distil from, or ``None`` to train one.
        progress: show a tqdm progress bar (on stderr) over the epochs.
        **overrides: settings to change in ``settings``, e.g. ``seed=1``.

    Returns:
        An :class:`~dltips.distillation.OmittedDigitResult`, the models included.

    Raises:
        ValueError: a bad setting, named, before anything is trained (``teacher``
            not a Keras model included).

    Example::

        >>> omitted_digit_experiment(seed=-1)
        Traceback (most recent call last):
        ...
        ValueError: seed must be an integer >= 0, got -1
        >>> # MNIST and a minute of training, so not run here:
        >>> result = omitted_digit_experiment(train_size=600, validation_size=200)  # doctest: +SKIP
        >>> print(result.table())  # doctest: +SKIP
    """
    s = (settings or OmittedDigitSettings()).replace(**overrides)  # replace() checks
    if teacher is not None and not isinstance(teacher, keras.Model):
        raise ValueError(f"teacher must be None or a trained keras.Model, got {type(teacher).__name__}")
    start = time.perf_counter()
    mnist = _data.load_mnist()
    x_all, y_all = _data.train_subset(s.train_size + s.validation_size, seed=s.seed)
    x, y = x_all[:s.train_size], y_all[:s.train_size]
    x_val, y_val = x_all[s.train_size:], y_all[s.train_size:]
    n_test = len(mnist.y_test) if s.test_size is None else s.test_size
    x_test, y_test = mnist.x_test[:n_test], mnist.y_test[:n_test]
    given = teacher is not None
    n_epochs = s.student_epochs + (0 if given else s.teacher_epochs)
    bar = runtime.progress_bar(n_epochs, f"distillation without the {s.omitted}s", unit="epoch", enabled=progress)
    with bar:
        if teacher is None:
            teacher, _ = train_teacher(x, y, s.teacher_hidden, dropout=s.teacher_dropout,
                                       input_dropout=s.teacher_input_dropout, max_shift=s.max_shift,
                                       epochs=s.teacher_epochs, batch_size=s.batch_size, seed=s.seed, bar=bar)
        x_transfer, y_transfer, logits_transfer = without_class(x, y, s.omitted, teacher_logits(teacher, x))
        student, _ = train_student(x_transfer, y_transfer, s.student_hidden, logits=logits_transfer,
                                   temperature=s.temperature, alpha=s.alpha, epochs=s.student_epochs,
                                   batch_size=s.batch_size, seed=s.seed, bar=bar, label="student")
    student_logits = np.asarray(student.predict(x_val, batch_size=1000, verbose=0))
    shift, val_errors = choose_bias_shift(student_logits, y_val, s.omitted, s.bias_shifts)
    adjusted = raise_class_bias(student, s.omitted, shift)
    is_omitted = y_test == s.omitted

    def errors(model: keras.Model) -> tuple[int, int]:
        wrong = models.predict_labels(model, x_test) != y_test
        return int(wrong.sum()), int(wrong[is_omitted].sum())

    teacher_all, teacher_omitted = errors(teacher)
    before, before_omitted = errors(student)
    after, after_omitted = errors(adjusted)
    teacher_settings: dict[str, Any] = (
        dict(teacher=f"given: {teacher.name!r}, {costs.count_params(teacher):,} parameters") if given else
        dict(teacher_hidden=list(s.teacher_hidden), teacher_epochs=s.teacher_epochs,
             teacher_dropout=s.teacher_dropout, teacher_input_dropout=s.teacher_input_dropout,
             max_shift=s.max_shift))
    recorded = dict(omitted=s.omitted, train_size=s.train_size, validation_size=s.validation_size, **teacher_settings,
                    student_hidden=list(s.student_hidden), student_epochs=s.student_epochs,
                    temperature=s.temperature, alpha=s.alpha, bias_shifts=list(s.bias_shifts),
                    batch_size=s.batch_size, test_size=n_test, seed=s.seed)
    return OmittedDigitResult(
        omitted=s.omitted, transfer_size=len(y_transfer), removed=int(np.sum(y == s.omitted)), test_size=n_test,
        test_omitted=int(is_omitted.sum()), teacher_errors=teacher_all, teacher_errors_on_omitted=teacher_omitted,
        errors_before=before, errors_on_omitted_before=before_omitted, bias_shift=shift, errors_after=after,
        errors_on_omitted_after=after_omitted, validation_size=s.validation_size, validation_errors=val_errors,
        settings=recorded, seconds=time.perf_counter() - start,
        models={"teacher": teacher, "student": student, "adjusted": adjusted})
