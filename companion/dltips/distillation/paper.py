"""Distillation at the paper's size: Hinton, Vinyals and Dean (2015), section 3, on MNIST.

The paper's MNIST experiment, and how this module runs it:

* **Teacher**: a 2×1200 ReLU network with dropout, trained on all 60,000 training
  images "jittered by up to two pixels in any direction" (67 test errors in the paper).
  Here: input dropout 0.2, hidden dropout 0.5, :class:`RandomShift` on the inputs,
  and Adam with cosine decay instead of the paper's SGD with max-norm weight
  constraints (a simpler recipe; the recorded run shows how close it comes).
* **Student from scratch**: a 2×800 ReLU network without any regularization (146).
* **Distilled student**: the same 2×800 network trained on the teacher's soft targets
  at T = 20 plus the true labels (74), here with weight 0.9 on the soft targets.
* **Compression student** (not in the paper's table): a much smaller network
  (2×100 by default: under 1/25 of the teacher's parameters), whose temperature and
  soft-target weight are chosen on held-out training images, never on the test set.
* **The omitted digit** (the paper's second experiment): a student distilled on a
  transfer set without a single 3 still recognizes most test 3s once the bias of
  class 3 is raised (:func:`omitted_digit_experiment`).

Results are test errors out of 10,000, as in the paper, and the share of the
scratch-to-teacher gap that distillation recovers,
``(scratch − distilled) / (scratch − teacher)`` (the paper: 91 %).

The teacher is frozen once trained, and the students see the training images
without jitter, so the teacher's logits are computed once (:func:`teacher_logits`)
and the students train on them (:class:`SoftTargetLoss`), which is what
:class:`dltips.distillation.Distiller` computes with the teacher called on every batch,
at a fraction of the cost.

All the settings live in one place, :class:`PaperRecipe`; :func:`paper_experiment`
runs it. The full recipe takes about an hour on a two-core CPU, so the book shows
a recorded run (``python -m benchmarks.bench_distillation``); a tiny recipe checks
that the code works::

    >>> from dltips.distillation import PaperRecipe, paper_experiment
    >>> tiny = PaperRecipe.tiny()
    >>> result = paper_experiment(tiny, progress=False)  # doctest: +SKIP
    >>> print(result.table())  # doctest: +SKIP
"""

from __future__ import annotations

import copy
import dataclasses
import math
import statistics
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from dltips import costs, models, runtime
from dltips import data as _data
from dltips.distillation.experiment import PAPER_ERRORS
from dltips.distillation.figures import plot_student_errors
from dltips.distillation.loss import SoftTargetLoss, pack_targets
from dltips.tables import format_table

#: The paper's omitted-digit result (Hinton et al. 2015, section 3): a 2×800 student distilled
#: on a transfer set without any 3, errors on the 10,000 test images and on its 1,010 threes,
#: before and after the bias of class 3 was raised by 3.5 (chosen on the test set).
__all__ = [
    "PAPER_OMITTED_DIGIT",
    "PAPER_TEMPERATURE_REMARK",
    "OmittedDigitResult",
    "PaperDistillationResult",
    "PaperRecipe",
    "RandomShift",
    "StudentComparison",
    "build_student",
    "build_teacher",
    "choose_bias_shift",
    "gap_recovered",
    "omitted_digit_experiment",
    "paper_experiment",
    "raise_class_bias",
    "teacher_logits",
    "train_student",
    "train_teacher",
    "without_class",
    "is_paper_recording",
    "plot_recorded",
    "recorded_summary",
    "recorded_table",
]

PAPER_OMITTED_DIGIT = {
    "omitted": 3,
    "test_threes": 1010,
    "errors_before": 206,
    "errors_on_omitted_before": 133,
    "bias_shift": 3.5,
    "errors_after": 109,
    "errors_on_omitted_after": 14,
    "bias_chosen_on": "the test set",
}

#: The paper's remark on temperatures for its MNIST students (section 3).
PAPER_TEMPERATURE_REMARK = (
    "with 300 or more units in each of the two hidden layers, all temperatures above 8 gave fairly "
    "similar results; with 30 units per layer, temperatures from 2.5 to 4 worked significantly better "
    "than higher or lower ones"
)


# --- argument checks ----------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))


def _check_int(name: str, value: Any, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_optional_int(name: str, value: Any, *, minimum: int = 1) -> int | None:
    return None if value is None else _check_int(name, value, minimum=minimum)


def _check_temperature(name: str, value: Any) -> float:
    if not _is_number(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _check_alpha(name: str, value: Any) -> float:
    if not _is_number(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} (the weight of the hard-label loss) must be in [0, 1], got {value!r}")
    return float(value)


def _check_rate(name: str, value: Any) -> float:
    if not _is_number(value) or not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be a dropout rate in [0, 1), got {value!r}")
    return float(value)


def _check_positive(name: str, value: Any) -> float:
    if not _is_number(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _check_hidden(name: str, value: Any) -> tuple[int, ...]:
    try:
        sizes = tuple(value)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of positive layer sizes, got {value!r}") from None
    if not sizes or any(isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1 for h in sizes):
        raise ValueError(f"{name} must be a non-empty sequence of positive integer layer sizes, got {value!r}")
    return tuple(int(h) for h in sizes)


def _check_class(name: str, value: Any, num_classes: int = _data.NUM_CLASSES) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < num_classes:
        raise ValueError(f"{name} must be a class label in 0..{num_classes - 1}, got {value!r}")
    return int(value)


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
        >>> moved = RandomShift(2, seed=0)(x, training=True)
        >>> [int(v) for v in np.argwhere(np.asarray(moved)[0])[0]]  # doctest: +SKIP
        [12, 16]
        >>> bool(np.array_equal(RandomShift(2)(x), x))  # training=False: unchanged
        True
    """

    def __init__(self, max_shift: int = 2, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_shift = _check_int("max_shift", max_shift, minimum=0)
        self.seed = _check_optional_int("seed", seed, minimum=0)
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


# --- the recipe ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PaperRecipe:
    """Every setting of :func:`paper_experiment`, with the paper-sized defaults.

    Attributes:
        teacher_hidden, teacher_input_dropout, teacher_dropout: the teacher (2×1200,
            dropout 0.2 on the pixels and 0.5 on the hidden units).
        max_shift: jitter of the teacher's inputs, in pixels (the paper: up to 2).
        teacher_epochs, teacher_learning_rate: Adam with cosine decay to zero over
            ``teacher_epochs`` passes over the training images.
        student_hidden: the paper's student (2×800), trained without regularization.
        temperature, alpha: the paper's distillation, T = 20, with ``alpha`` the weight
            of the true labels (0.1: weight 0.9 on the soft targets).
        compact_hidden: the compression student (at most 1/10 of the teacher's parameters).
        compact_temperatures, compact_alphas: the grid its temperature and ``alpha``
            are chosen from, by errors on the validation images.
        student_sweep: other temperatures for the paper's student, one run each, scored
            like the grid (reported beside the paper's remark on temperatures; ``()``: none).
        student_epochs, compact_epochs: passes over the transfer set of the paper's student
            and of the compression student (their sweep and grid runs included).
        student_learning_rate: every student's Adam, with cosine decay to zero.
        validation_size: the last ``validation_size`` training images, held out from
            the students trained for the choice (the final students train on all).
        seeds: one run per seed for every student in the table; the teacher uses the first.
        batch_size: mini-batch size for every model.
        train_size, test_size: ``None`` for all 60,000 / 10,000 images; smaller
            (a class-balanced training subset, the first test images) for smoke runs.

    Raises:
        ValueError: a bad setting, named with its accepted range (:meth:`validate`),
            when the recipe is made or changed.
    """

    teacher_hidden: tuple[int, ...] = (1200, 1200)
    teacher_input_dropout: float = 0.2
    teacher_dropout: float = 0.5
    max_shift: int = 2
    teacher_epochs: int = 100
    teacher_learning_rate: float = 1e-3
    student_hidden: tuple[int, ...] = (800, 800)
    temperature: float = 20.0
    alpha: float = 0.1
    compact_hidden: tuple[int, ...] = (100, 100)
    compact_temperatures: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 20.0)
    compact_alphas: tuple[float, ...] = (0.1, 0.5)
    student_sweep: tuple[float, ...] = ()
    student_epochs: int = 40
    compact_epochs: int = 40
    student_learning_rate: float = 1e-3
    validation_size: int = 10_000
    seeds: tuple[int, ...] = (0, 1, 2)
    batch_size: int = 128
    train_size: int | None = None
    test_size: int | None = None

    def __post_init__(self) -> None:
        self.validate()

    @classmethod
    def tiny(cls, **overrides: Any) -> PaperRecipe:
        """A recipe that runs in seconds (tiny networks, a few hundred images): checks the code, measures nothing."""
        settings: dict[str, Any] = dict(
            teacher_hidden=(64, 64), teacher_epochs=2, student_hidden=(32, 32), compact_hidden=(8, 8),
            compact_temperatures=(2.0, 20.0), compact_alphas=(0.1,), student_epochs=2, compact_epochs=2,
            validation_size=200,
            seeds=(0, 1), batch_size=64, train_size=800, test_size=500,
        )
        return cls(**{**settings, **overrides})

    def replace(self, **changes: Any) -> PaperRecipe:
        """A copy with some settings changed (checked like the constructor's)."""
        return dataclasses.replace(self, **changes)

    def validate(self) -> None:
        """Check every setting; raise ``ValueError`` naming the first bad one and its accepted range."""
        for name in ("teacher_hidden", "student_hidden", "compact_hidden"):
            object.__setattr__(self, name, _check_hidden(name, getattr(self, name)))
        _check_rate("teacher_input_dropout", self.teacher_input_dropout)
        _check_rate("teacher_dropout", self.teacher_dropout)
        _check_int("max_shift", self.max_shift, minimum=0)
        for name in ("teacher_epochs", "student_epochs", "compact_epochs", "batch_size", "validation_size"):
            _check_int(name, getattr(self, name))
        for name in ("teacher_learning_rate", "student_learning_rate"):
            _check_positive(name, getattr(self, name))
        _check_temperature("temperature", self.temperature)
        _check_alpha("alpha", self.alpha)
        for name, check, may_be_empty in (("compact_temperatures", _check_temperature, False),
                                          ("compact_alphas", _check_alpha, False),
                                          ("student_sweep", _check_temperature, True)):
            values = getattr(self, name)
            if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
                raise ValueError(f"{name} must be a sequence, got {values!r}")
            values = tuple(check(name, v) for v in values)
            if not values and not may_be_empty:
                raise ValueError(f"{name} must be a non-empty sequence, got ()")
            object.__setattr__(self, name, values)
        seeds = self.seeds
        if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Iterable):
            raise ValueError(f"seeds must be a non-empty sequence of distinct integers >= 0, got {seeds!r}")
        seeds = tuple(_check_int("seeds", s, minimum=0) for s in seeds)
        if not seeds or len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds must be a non-empty sequence of distinct integers >= 0, got {self.seeds!r}")
        object.__setattr__(self, "seeds", seeds)
        train_size = _check_optional_int("train_size", self.train_size, minimum=20)
        n_train = _data.EXPECTED_SIZES["train"] if train_size is None else train_size
        if train_size is not None and train_size > 10 * 5421:  # a class-balanced subset: ten times the smallest class
            raise ValueError(f"train_size must be None (all 60,000) or an integer in 20..54210, got {train_size!r}")
        if self.validation_size > n_train // 2:
            raise ValueError(
                f"validation_size must be at most half the training images ({n_train // 2}), got {self.validation_size!r}"
            )
        test_size = _check_optional_int("test_size", self.test_size)
        if test_size is not None and test_size > _data.EXPECTED_SIZES["test"]:
            raise ValueError(f"test_size must be None or an integer in 1..10000, got {test_size!r}")

    def epochs_by_model(self) -> dict[str, float]:
        """Epochs over all the training images that :func:`paper_experiment` trains, per model size.

        Runs on the training images less the validation ones count in proportion.
        Multiply by measured seconds per epoch to project the run's time.
        """
        n = _data.EXPECTED_SIZES["train"] if self.train_size is None else self.train_size
        fit_share = (n - self.validation_size) / n
        runs = 2 * len(self.seeds)  # scratch and distilled, per seed
        return {
            "teacher": float(self.teacher_epochs),
            "paper student": (runs + len(self.student_sweep) * fit_share) * self.student_epochs,
            "compact student": (runs + len(self.grid()) * fit_share) * self.compact_epochs,
        }

    def grid(self) -> list[tuple[float, float]]:
        """The ``(temperature, alpha)`` pairs tried for the compression student, in order."""
        return [(t, a) for t in self.compact_temperatures for a in self.compact_alphas]

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready data."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}


# --- models and training ------------------------------------------------------------------


def build_teacher(recipe: PaperRecipe | None = None, *, seed: int = 0) -> keras.Model:
    """The paper's teacher: :class:`RandomShift` on the inputs, then a ReLU MLP with input and hidden dropout.

    Both the jitter and the dropout act only in training, so ``predict`` gives the
    plain network's logits.

    Raises:
        ValueError: ``seed`` is not an integer >= 0.
    """
    seed = _check_int("seed", seed, minimum=0)
    recipe = recipe or PaperRecipe()
    inputs = keras.Input(shape=models.MNIST_SHAPE, name="image")
    shifted = RandomShift(recipe.max_shift, seed=seed, name="jitter")(inputs)
    net = models.mlp(recipe.teacher_hidden, dropout=recipe.teacher_dropout,
                      input_dropout=recipe.teacher_input_dropout, seed=seed, name="teacher_net")
    return keras.Model(inputs, net(shifted), name="teacher")


def build_student(hidden: Sequence[int], *, seed: int = 0, name: str = "student") -> keras.Model:
    """A ReLU MLP without any regularization (the paper's students).

    Raises:
        ValueError: ``hidden`` is not a non-empty sequence of integers >= 1, or ``seed``
            is not an integer >= 0.
    """
    return models.mlp(_check_hidden("hidden", hidden), seed=_check_int("seed", seed, minimum=0), name=name)


def _cosine_adam(learning_rate: float, epochs: int, n: int, batch_size: int) -> keras.optimizers.Optimizer:
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


def _steps_per_execution(n: int, batch_size: int) -> int:
    # Several steps per call of the compiled train function: the same updates, less Python per step.
    return max(1, min(16, n // batch_size))


def train_teacher(
    x: np.ndarray, y: np.ndarray, recipe: PaperRecipe | None = None, *, seed: int = 0,
    epochs: int | None = None, bar: Any = None,
) -> tuple[keras.Model, dict[str, list[float]]]:
    """Train :func:`build_teacher` on ``(x, y)`` with jitter, dropout and Adam with cosine decay.

    Returns the model and its history (``loss``, ``accuracy`` per epoch and ``seconds_per_epoch``).

    Raises:
        ValueError: ``epochs`` (when given) is not an integer >= 1, ``seed`` is not an
            integer >= 0, or ``x`` and ``y`` differ in length; before anything is trained.
    """
    recipe = recipe or PaperRecipe()
    epochs = recipe.teacher_epochs if epochs is None else _check_int("epochs", epochs)
    seed = _check_int("seed", seed, minimum=0)
    _check_lengths(x, y)
    keras.utils.set_random_seed(seed)
    teacher = build_teacher(recipe, seed=seed)
    models.compile_classifier(
        teacher, _cosine_adam(recipe.teacher_learning_rate, epochs, len(x), recipe.batch_size),
        steps_per_execution=_steps_per_execution(len(x), recipe.batch_size))
    history = _fit(teacher, x, y, epochs=epochs, batch_size=recipe.batch_size, bar=bar, label="teacher")
    return teacher, history


def teacher_logits(teacher: keras.Model, x: np.ndarray, *, batch_size: int = 1000) -> np.ndarray:
    """The teacher's logits for every image of ``x`` (no jitter, no dropout), computed once for all students.

    Raises:
        ValueError: ``batch_size`` is not an integer >= 1.
    """
    batch_size = _check_int("batch_size", batch_size)
    return np.asarray(teacher.predict(x, batch_size=batch_size, verbose=0), dtype=np.float32)


def train_student(
    x: np.ndarray,
    y: np.ndarray,
    hidden: Sequence[int],
    *,
    logits: np.ndarray | None = None,
    temperature: float = 20.0,
    alpha: float = 0.1,
    epochs: int = 30,
    learning_rate: float = 1e-3,
    batch_size: int = 128,
    seed: int = 0,
    bar: Any = None,
    label: str = "student",
) -> tuple[keras.Model, dict[str, list[float]]]:
    """Train a student without regularization: on the labels alone (``logits=None``) or distilled.

    The same ``seed`` gives the same initial weights and batch order with or without
    a teacher, so a scratch and a distilled student differ only in their targets.

    Args:
        x, y: the transfer set and its true labels.
        hidden: the student's hidden layer sizes.
        logits: the teacher's logits for ``x`` (:func:`teacher_logits`), or ``None``.
        temperature, alpha: the distillation's ``T`` and weight of the true labels.
        epochs, learning_rate, batch_size: Adam with cosine decay to zero.

    Returns:
        The student and its history (``loss`` per epoch, ``seconds_per_epoch``).

    Raises:
        ValueError: a bad ``hidden``, ``temperature``, ``alpha``, ``epochs``,
            ``learning_rate``, ``batch_size`` or ``seed``, named, or ``x``, ``y`` and
            ``logits`` of different lengths; before anything is trained.
    """
    hidden = _check_hidden("hidden", hidden)
    epochs = _check_int("epochs", epochs)
    temperature, alpha = _check_temperature("temperature", temperature), _check_alpha("alpha", alpha)
    learning_rate = _check_positive("learning_rate", learning_rate)
    batch_size = _check_int("batch_size", batch_size)
    seed = _check_int("seed", seed, minimum=0)
    _check_lengths(x, y, logits)
    keras.utils.set_random_seed(seed)
    student = build_student(hidden, seed=seed)
    optimizer = _cosine_adam(learning_rate, epochs, len(x), batch_size)
    spe = _steps_per_execution(len(x), batch_size)
    if logits is None:
        student.compile(optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                        steps_per_execution=spe)
        targets = np.asarray(y)
    else:
        student.compile(optimizer, loss=SoftTargetLoss(temperature, alpha), steps_per_execution=spe)
        targets = pack_targets(y, logits)
    history = _fit(student, x, targets, epochs=epochs, batch_size=batch_size, bar=bar, label=label)
    return student, history


# --- the paper's table --------------------------------------------------------------------


def gap_recovered(scratch: float, distilled: float, teacher: float) -> float:
    """Share of the scratch-to-teacher gap that distillation recovers: ``(scratch − distilled) / (scratch − teacher)``.

    1 means the distilled student is as good as its teacher, 0 no better than
    from scratch, negative worse. The paper's MNIST run: (146 − 74) / (146 − 67) ≈ 0.91.

    Raises:
        ValueError: the student from scratch is not worse than the teacher (no gap to recover).

    Example::

        >>> round(gap_recovered(scratch=146, distilled=74, teacher=67), 2)
        0.91
    """
    if not scratch > teacher:
        raise ValueError(f"scratch errors ({scratch}) must exceed the teacher's ({teacher}): there is no gap to recover")
    return (scratch - distilled) / (scratch - teacher)


def _spread(values: Sequence[float]) -> dict[str, float]:
    values = [float(v) for v in values]
    return {
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else 0.0,
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def _span(values: Sequence[int]) -> str:
    """``"92–96"`` for a sorted range of errors, ``"94"`` for one value."""
    return f"{values[0]}" if values[0] == values[-1] else f"{values[0]}–{values[-1]}"


@dataclasses.dataclass
class StudentComparison:
    """One student architecture trained from scratch and distilled, once per seed, errors on the test set.

    Attributes:
        name: e.g. ``"2×800 (the paper's student)"``.
        hidden: hidden layer sizes.
        params, inference_seconds: size and time of one forward pass over the test images.
        temperature, alpha: the distillation's settings (``alpha``: weight of the true labels).
        chosen_on: how they were chosen (the paper's values, or the validation images).
        scratch, distilled: test errors per seed (same seed: same initial weights and batch order).
    """

    name: str
    hidden: tuple[int, ...]
    params: int
    inference_seconds: float
    temperature: float
    alpha: float
    chosen_on: str
    scratch: dict[int, int]
    distilled: dict[int, int]

    def gap_recovered(self, teacher_errors: float) -> float:
        """:func:`gap_recovered` of the mean errors over seeds."""
        return gap_recovered(statistics.fmean(self.scratch.values()), statistics.fmean(self.distilled.values()),
                             teacher_errors)

    def gap_recovered_per_seed(self, teacher_errors: float) -> dict[int, float]:
        """:func:`gap_recovered` of each seed's pair of students."""
        return {s: gap_recovered(self.scratch[s], self.distilled[s], teacher_errors) for s in self.scratch}

    def separated(self) -> bool:
        """Whether every seed's distilled student beats every seed's student from scratch.

        The two ranges of errors over seeds do not overlap: the difference that
        distillation makes is larger than the spread between seeds.
        """
        return max(self.distilled.values()) < min(self.scratch.values())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StudentComparison:
        """The comparison back from :meth:`to_dict`'s data (derived entries such as the spread are recomputed)."""
        return cls(
            name=str(data["name"]), hidden=tuple(int(h) for h in data["hidden"]), params=int(data["params"]),
            inference_seconds=float(data["inference_seconds"]), temperature=float(data["temperature"]),
            alpha=float(data["alpha"]), chosen_on=str(data["chosen_on"]),
            scratch={int(s): int(e) for s, e in data["scratch"].items()},
            distilled={int(s): int(e) for s, e in data["distilled"].items()})

    def to_dict(self, teacher_errors: float | None = None) -> dict[str, Any]:
        """Plain JSON-ready data; ``teacher_errors`` adds the gap recovered per seed."""
        out = dataclasses.asdict(self)
        out["hidden"] = list(self.hidden)
        out["scratch"] = {str(s): e for s, e in self.scratch.items()}
        out["distilled"] = {str(s): e for s, e in self.distilled.items()}
        out["scratch_spread"] = _spread(list(self.scratch.values()))
        out["distilled_spread"] = _spread(list(self.distilled.values()))
        if teacher_errors is not None:
            try:
                out["gap_recovered"] = self.gap_recovered(teacher_errors)
                out["gap_recovered_per_seed"] = {str(s): g for s, g in self.gap_recovered_per_seed(teacher_errors).items()}
            except ValueError:  # a smoke run whose student beats its teacher
                out["gap_recovered"], out["gap_recovered_per_seed"] = None, None
        return out


@dataclasses.dataclass
class PaperDistillationResult:
    """What :func:`paper_experiment` measured; ``to_dict()`` gives JSON-ready data.

    Attributes:
        teacher: the teacher's test errors, parameters, inference time and training settings.
        students: ``"paper"`` (2×800 at T = 20) and ``"compact"`` (the compression student).
        selection: the compression student's grid, one row per ``(temperature, alpha)``
            with its errors on the validation images (which decided) and on the test
            set (reported, never used to choose).
        sweep: the same for the paper's student at other temperatures (empty unless asked).
        chosen: the compression student's ``temperature`` and ``alpha``.
        seconds_per_epoch: measured training time of one epoch of each model.
        wall_seconds, cpu_seconds: the whole run.
        recipe: the settings.
        models: the teacher and the first seed's students (not part of :meth:`to_dict`).
    """

    teacher: dict[str, Any]
    students: dict[str, StudentComparison]
    selection: list[dict[str, Any]]
    sweep: list[dict[str, Any]]
    chosen: dict[str, float]
    seconds_per_epoch: dict[str, float]
    wall_seconds: float
    cpu_seconds: float
    recipe: PaperRecipe
    models: dict[str, keras.Model] = dataclasses.field(default_factory=dict, repr=False)

    @property
    def teacher_errors(self) -> int:
        """The teacher's test errors out of 10,000."""
        return int(self.teacher["errors"])

    def gap_recovered(self, student: str = "paper") -> float:
        """Share of the gap recovered by ``student`` (``"paper"`` or ``"compact"``), from mean errors over seeds."""
        return self.students[student].gap_recovered(self.teacher_errors)

    def compression(self) -> dict[str, float]:
        """The compression student's parameters as a share of the teacher's, and its inference speed-up."""
        compact = self.students["compact"]
        return {"param_ratio": compact.params / self.teacher["params"],
                "speedup": self.teacher["inference_seconds"] / compact.inference_seconds}

    def targets(self) -> dict[str, dict[str, Any]]:
        """The issue's targets, each with the measured value and whether it is met."""
        def target(value: float | None, text: str, ok: bool) -> dict[str, Any]:
            return {"value": value, "target": text, "met": bool(ok)}

        out = {"teacher_errors": target(self.teacher_errors, "<= 85", self.teacher_errors <= 85)}
        for key, least in (("paper", 0.70), ("compact", 0.40)):
            try:
                gap = self.gap_recovered(key)
            except ValueError:
                gap = None
            out[f"{key}_gap_recovered"] = target(gap, f">= {least:.2f}", gap is not None and gap >= least)
        ratio = self.compression()
        out["compact_param_ratio"] = target(ratio["param_ratio"], "<= 0.1", ratio["param_ratio"] <= 0.1)
        out["compact_speedup"] = target(ratio["speedup"], ">= 5", ratio["speedup"] >= 5)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PaperDistillationResult:
        """The result back from :meth:`to_dict`'s data, for example a recording read from JSON; no models.

        Entries that :meth:`to_dict` derives (spreads, gaps, targets) are recomputed from
        the errors, not read; other entries of ``data`` (the benchmark's ``run``, say) are ignored.

        Raises:
            KeyError: ``data`` lacks an entry :meth:`to_dict` writes (for example an
                older recording of another experiment).
        """
        fields = {f.name for f in dataclasses.fields(PaperRecipe)}
        settings = {k: tuple(v) if isinstance(v, list) else v for k, v in data["recipe"].items() if k in fields}
        return cls(
            teacher=dict(data["teacher"]),
            students={k: StudentComparison.from_dict(v) for k, v in data["students"].items()},
            selection=[dict(row) for row in data["selection"]], sweep=[dict(row) for row in data["sweep"]],
            chosen=dict(data["chosen"]), seconds_per_epoch=dict(data["seconds_per_epoch"]),
            wall_seconds=float(data["wall_seconds"]), cpu_seconds=float(data["cpu_seconds"]),
            recipe=PaperRecipe(**settings))

    def rows(self) -> list[dict[str, Any]]:
        """The paper's table beside this run, one row per model, for :func:`dltips.tables.format_table`.

        Columns: the model, the paper's test errors, this run's (mean ± standard deviation
        over seeds for the students), the errors of each seed, and the share of the
        scratch-to-teacher gap that the distilled student recovers (from the means).
        """
        rows = [{"model": f"teacher ({_size_name(self.teacher['hidden'])}, jitter, dropout)",
                 "paper": PAPER_ERRORS["teacher"], "this run": self.teacher_errors, "per seed": "",
                 "gap recovered": ""}]
        for key, student in self.students.items():
            for kind in ("scratch", "distilled"):
                errors = getattr(student, kind)
                spread = _spread(list(errors.values()))
                label = f"{student.name}, {kind}" + (
                    f" (T = {student.temperature:g}, α = {student.alpha:g})" if kind == "distilled" else "")
                gap = ""
                if kind == "distilled":
                    try:
                        gap = f"{student.gap_recovered(self.teacher_errors):.0%}"
                    except ValueError:
                        gap = "n/a"
                # one seed has no spread to state: its errors alone, not "± 0.0"
                measured = f"{spread['mean']:.1f} ± {spread['std']:.1f}" if spread["n"] > 1 else f"{spread['mean']:.0f}"
                rows.append({"model": label, "paper": PAPER_ERRORS[kind] if key == "paper" else "–",
                             "this run": measured,
                             "per seed": ", ".join(str(errors[s]) for s in sorted(errors)), "gap recovered": gap})
        return rows

    def verdicts(self) -> list[dict[str, Any]]:
        """Each target of the run beside what was measured and whether it was met.

        The targets: the teacher at most 85 test errors; the paper's student recovering
        at least 70 % of its gap, the compression student at least 40 %; the compression
        student at most 1/10 of the teacher's parameters and at least 5× faster; and,
        for each student, the seeds' ranges of errors from scratch and distilled not
        overlapping (:meth:`StudentComparison.separated`).
        """
        names = {"teacher_errors": "teacher: test errors ≤ 85",
                 "paper_gap_recovered": "2×800 student: gap recovered ≥ 70 %",
                 "compact_gap_recovered": "compression student: gap recovered ≥ 40 %",
                 "compact_param_ratio": "compression student: parameters ≤ 1/10 of the teacher's",
                 "compact_speedup": "compression student: inference ≥ 5× faster"}
        formats = {"teacher_errors": "{:.0f}", "paper_gap_recovered": "{:.0%}", "compact_gap_recovered": "{:.0%}",
                   "compact_param_ratio": "{:.3f}", "compact_speedup": "{:.1f}×"}
        rows = []
        for key, target in self.targets().items():
            value = target["value"]
            rows.append({"target": names[key], "measured": "n/a" if value is None else formats[key].format(value),
                         "verdict": "met" if target["met"] else "missed"})
        one_seed = len(self.recipe.seeds) == 1
        for student in self.students.values():
            scratch, distilled = sorted(student.scratch.values()), sorted(student.distilled.values())
            target = ("distilled better than scratch (one seed: the spread between seeds is not measured)" if one_seed
                      else "distilled better than scratch on every seed, beyond the seeds' spread")
            rows.append({"target": f"{student.name.split(' ')[0]}: {target}",
                         "measured": f"distilled {_span(distilled)}, scratch {_span(scratch)}",
                         "verdict": "met" if student.separated() else "missed"})
        return rows

    def table(self) -> str:
        """The paper's table beside ours as aligned text (:meth:`rows`), with a line saying how it was measured."""
        seeds = ", ".join(map(str, self.recipe.seeds))
        students = f"mean ± std over seeds {seeds}" if len(self.recipe.seeds) > 1 else f"one seed, {seeds}"
        note = (f"(test errors out of {self.recipe.test_size or 10_000:,}; students: {students}; the paper's gap recovered: "
                f"{gap_recovered(**PAPER_ERRORS):.0%})")
        return format_table(self.rows(), style="text") + "\n" + note

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "paper": {"errors": dict(PAPER_ERRORS), "gap_recovered": gap_recovered(**PAPER_ERRORS),
                      "temperature_remark": PAPER_TEMPERATURE_REMARK},
            "teacher": self.teacher,
            "students": {k: v.to_dict(self.teacher_errors) for k, v in self.students.items()},
            "selection": self.selection,
            "chosen": self.chosen,
            "sweep": self.sweep,
            "compression": self.compression(),
            "targets": self.targets(),
            "seconds_per_epoch": self.seconds_per_epoch,
            "wall_seconds": self.wall_seconds,
            "cpu_seconds": self.cpu_seconds,
            "recipe": self.recipe.to_dict(),
        }


def _size_name(hidden: Sequence[int]) -> str:
    """``(800, 800)`` → ``"2×800"``; unequal layers → ``"300×100"``."""
    hidden = tuple(hidden)
    return f"{len(hidden)}×{hidden[0]}" if len(set(hidden)) == 1 else "×".join(map(str, hidden))


def _paper_data(recipe: PaperRecipe) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if recipe.train_size is None:
        mnist = _data.load_mnist()
        x, y = mnist.x_train, mnist.y_train
    else:
        mnist = _data.load_mnist()
        x, y = _data.train_subset(recipe.train_size, seed=0)
    n_test = len(mnist.y_test) if recipe.test_size is None else recipe.test_size
    return x, y, mnist.x_test[:n_test], mnist.y_test[:n_test]


def paper_experiment(recipe: PaperRecipe | None = None, *, progress: bool = True, timing_repeats: int = 5,
                     **overrides: Any) -> PaperDistillationResult:
    """Hinton et al.'s MNIST table, measured the paper's way, plus a compression student.

    1. The teacher (:func:`build_teacher`) trains on all the training images with
       jitter and dropout; its logits on those images are computed once.
    2. The compression student's ``(temperature, alpha)`` is chosen from the recipe's
       grid: one student per pair trains on all but the last ``validation_size``
       training images and is scored on those (errors; ties go to the earlier pair).
       Optionally the paper's student is swept over ``student_sweep`` temperatures
       the same way (reported, not used).
    3. For each seed, the paper's student (2×800) and the compression student train
       from scratch and distilled (the paper's student at the paper's T = 20 and
       ``alpha``; the compression student at the chosen values) on all the training
       images, without jitter; every model is scored on the test set.

    Args:
        recipe: the settings (default :class:`PaperRecipe`, the paper's sizes).
        progress: show a tqdm progress bar (on stderr) over all the epochs of the run.
        timing_repeats: forward passes timed per model for the inference speed.
        **overrides: settings to change in ``recipe``, e.g. ``teacher_epochs=10``.

    Raises:
        ValueError: a bad setting, named, before anything is trained.

    Example::

        >>> result = paper_experiment(PaperRecipe.tiny(), progress=False)  # doctest: +SKIP
        >>> result.gap_recovered("paper")  # doctest: +SKIP
    """
    recipe = (recipe or PaperRecipe()).replace(**overrides)  # replace() validates
    _check_int("timing_repeats", timing_repeats)
    wall, cpu = time.perf_counter(), time.process_time()
    x, y, x_test, y_test = _paper_data(recipe)
    n_fit = len(x) - recipe.validation_size
    x_val, y_val = x[n_fit:], y[n_fit:]
    grid = recipe.grid()
    n_epochs = (recipe.teacher_epochs + recipe.student_epochs * (len(recipe.student_sweep) + 2 * len(recipe.seeds))
                + recipe.compact_epochs * (len(grid) + 2 * len(recipe.seeds)))
    bar = runtime.progress_bar(n_epochs, "distillation (paper)", unit="epoch", enabled=progress)
    seconds: dict[str, list[float]] = {}

    def record(name: str, history: dict[str, list[float]]) -> None:
        seconds.setdefault(name, []).extend(history["seconds_per_epoch"])

    budget = dict(learning_rate=recipe.student_learning_rate, batch_size=recipe.batch_size, bar=bar)
    with bar:
        teacher, history = train_teacher(x, y, recipe, seed=recipe.seeds[0], bar=bar)
        record("teacher", history)
        logits = teacher_logits(teacher, x)

        def choose(hidden: tuple[int, ...], n_epochs: int, pairs: list[tuple[float, float]],
                   label: str) -> list[dict[str, Any]]:
            rows = []
            for t, a in pairs:
                student, hist = train_student(x[:n_fit], y[:n_fit], hidden, logits=logits[:n_fit], temperature=t,
                                              alpha=a, seed=recipe.seeds[0], label=f"{label} T={t:g} α={a:g}",
                                              epochs=n_epochs, **budget)
                record(f"{label}, distilled", hist)
                rows.append({"temperature": t, "alpha": a,
                             "validation_errors": models.evaluate(student, x_val, y_val).errors,
                             "test_errors": models.evaluate(student, x_test, y_test).errors})
            return rows

        selection = choose(recipe.compact_hidden, recipe.compact_epochs, grid, "compact (choice)")
        best = min(selection, key=lambda row: row["validation_errors"])  # min keeps the first of equals
        chosen = {"temperature": best["temperature"], "alpha": best["alpha"]}
        sweep = choose(recipe.student_hidden, recipe.student_epochs,
                       [(t, recipe.alpha) for t in recipe.student_sweep], "paper student (sweep)")

        kinds = {
            "paper": (recipe.student_hidden, recipe.student_epochs, recipe.temperature, recipe.alpha,
                      "the paper's T; alpha fixed in advance"),
            "compact": (recipe.compact_hidden, recipe.compact_epochs, chosen["temperature"], chosen["alpha"],
                        f"validation errors on the last {recipe.validation_size:,} training images"),
        }
        errors: dict[str, dict[str, dict[int, int]]] = {k: {"scratch": {}, "distilled": {}} for k in kinds}
        kept: dict[str, keras.Model] = {"teacher": teacher}
        for seed in recipe.seeds:
            for key, (hidden, n_epochs, t, a, _) in kinds.items():
                size = _size_name(hidden)
                for kind, soft in (("scratch", None), ("distilled", logits)):
                    student, hist = train_student(x, y, hidden, logits=soft, temperature=t, alpha=a, seed=seed,
                                                  label=f"{size} {kind} seed {seed}", epochs=n_epochs, **budget)
                    record(f"{key} student, {kind}", hist)
                    errors[key][kind][seed] = models.evaluate(student, x_test, y_test).errors
                    kept.setdefault(f"{key}_{kind}", student)

    timing = costs.inference_seconds({k: kept[k] for k in ("teacher", "paper_distilled", "compact_distilled")}, x_test,
                               repeats=timing_repeats)
    teacher_report = {
        "hidden": list(recipe.teacher_hidden), "params": costs.count_params(teacher),
        "errors": models.evaluate(teacher, x_test, y_test).errors, "inference_seconds": timing["teacher"],
        "epochs": recipe.teacher_epochs, "max_shift": recipe.max_shift,
        "training_loss": history["loss"],
    }
    students = {}
    for key, (hidden, _, t, a, how) in kinds.items():
        students[key] = StudentComparison(
            name=_size_name(hidden) + (" (the paper's student)" if key == "paper" else " (compression student)"),
            hidden=hidden, params=costs.count_params(kept[f"{key}_distilled"]),
            inference_seconds=timing[f"{key}_distilled"], temperature=t, alpha=a, chosen_on=how,
            scratch=errors[key]["scratch"], distilled=errors[key]["distilled"])
    return PaperDistillationResult(
        teacher=teacher_report, students=students, selection=selection, sweep=sweep, chosen=chosen,
        seconds_per_epoch={k: statistics.median(v) for k, v in seconds.items()},
        wall_seconds=time.perf_counter() - wall, cpu_seconds=time.process_time() - cpu,
        recipe=recipe, models=kept)


# --- the omitted digit --------------------------------------------------------------------


def without_class(x: np.ndarray, y: np.ndarray, omitted: int, *extra: np.ndarray) -> tuple[np.ndarray, ...]:
    """``x``, ``y`` (and any ``extra`` arrays aligned with them) without the examples of class ``omitted``.

    Raises:
        ValueError: ``omitted`` is not a class label in ``0..9``.

    Example::

        >>> x, y = np.arange(6), np.array([0, 3, 1, 3, 2, 3])
        >>> without_class(x, y, 3)
        (array([0, 2, 4]), array([0, 1, 2]))
    """
    omitted = _check_class("omitted", omitted)
    y = np.asarray(y)
    keep = y != omitted
    return tuple(np.asarray(a)[keep] for a in (x, y, *extra))


def raise_class_bias(model: keras.Model, cls: int, shift: float) -> keras.Model:
    """A copy of ``model`` whose last layer's bias for class ``cls`` is raised by ``shift``.

    Raising one output bias adds ``shift`` to that class's logit for every input and
    leaves every other logit unchanged; ``model`` itself is not modified.

    Raises:
        ValueError: ``cls`` is not a class of the model, ``shift`` is not finite, or the
            last layer has no bias.
    """
    last = model.layers[-1]
    bias = getattr(last, "bias", None)
    if bias is None:
        raise ValueError(f"the last layer of {model.name!r} has no bias to raise")
    cls = _check_class("cls", cls, int(bias.shape[0]))
    if not _is_number(shift) or not math.isfinite(shift):
        raise ValueError(f"shift must be a finite number, got {shift!r}")
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
    cls = _check_class("cls", cls, logits.shape[-1])
    given = tuple(shifts) if isinstance(shifts, Iterable) and not isinstance(shifts, (str, bytes)) else ()
    if not given or not all(_is_number(s) and math.isfinite(s) for s in given):
        raise ValueError(f"shifts must be a non-empty sequence of finite numbers, got {shifts!r}")
    shifts = sorted(float(s) for s in given)
    errors = {}
    for s in shifts:
        moved = logits.copy()
        moved[:, cls] += s  # what raising the bias of cls by s does
        errors[s] = int(np.sum(np.argmax(moved, axis=-1) != y))
    best = min(shifts, key=lambda s: (errors[s], s))  # ties: the smallest
    return best, errors


@dataclasses.dataclass
class OmittedDigitResult:
    """What :func:`omitted_digit_experiment` measured (test errors of the distilled student).

    Attributes:
        omitted: the class missing from the transfer set.
        transfer_size, removed: images in the transfer set, and images of ``omitted`` removed from it.
        test_size, test_omitted: test images, and those of the omitted class.
        teacher_errors, teacher_errors_on_omitted: the teacher, which did see the class.
        errors_before, errors_on_omitted_before: the student as trained.
        bias_shift: how much the bias of ``omitted`` was raised, chosen on
            ``validation_size`` held-out training images (:func:`choose_bias_shift`).
        errors_after, errors_on_omitted_after: the student with the raised bias.
        validation_errors: validation errors for every shift tried.
        settings, seconds: the arguments and the run's wall time.
        models: ``teacher``, ``student`` and ``adjusted`` (the student with the raised
            bias); not part of :meth:`to_dict`.
    """

    omitted: int
    transfer_size: int
    removed: int
    test_size: int
    test_omitted: int
    teacher_errors: int
    teacher_errors_on_omitted: int
    errors_before: int
    errors_on_omitted_before: int
    bias_shift: float
    errors_after: int
    errors_on_omitted_after: int
    validation_size: int
    validation_errors: dict[float, int]
    settings: dict[str, Any]
    seconds: float
    models: dict[str, keras.Model] = dataclasses.field(default_factory=dict, repr=False)

    @property
    def omitted_accuracy_before(self) -> float:
        """Fraction of the test images of the omitted digit classified correctly before the bias is raised."""
        return 1.0 - self.errors_on_omitted_before / self.test_omitted

    @property
    def omitted_accuracy_after(self) -> float:
        """The same fraction after the bias is raised."""
        return 1.0 - self.errors_on_omitted_after / self.test_omitted

    def rows(self) -> list[dict[str, Any]]:
        """The teacher, the student and the student with the raised bias, for :func:`dltips.tables.format_table`.

        Columns: test errors, errors on the omitted digit, the share of its test images
        classified correctly, and the paper's errors (overall, on the digit) where it has them.
        """
        p, c = PAPER_OMITTED_DIGIT, self.omitted
        lines = [("teacher (saw every digit)", self.teacher_errors, self.teacher_errors_on_omitted, "–", "–"),
                 (f"student, no {c} in its transfer set", self.errors_before, self.errors_on_omitted_before,
                  p["errors_before"], p["errors_on_omitted_before"]),
                 (f"same student, bias of {c} raised by {self.bias_shift:g}", self.errors_after,
                  self.errors_on_omitted_after, p["errors_after"], p["errors_on_omitted_after"])]
        return [{"model": name, "test errors": errors, f"errors on {c}s": on, f"{c}s right": f"{1 - on / self.test_omitted:.1%}",
                 "paper: errors": paper, f"paper: on {c}s": paper_on} for name, errors, on, paper, paper_on in lines]

    def table(self) -> str:
        """Errors of the teacher and of the student before and after the bias shift, beside the paper's (:meth:`rows`)."""
        p, c = PAPER_OMITTED_DIGIT, self.omitted
        note = (f"(test images: {self.test_size:,}, of which {self.test_omitted:,} {c}s; the paper: 10,000 and "
                f"{p['test_threes']:,}; its bias shift {p['bias_shift']:g} was chosen on the test set, ours on "
                f"{self.validation_size:,} held-out training images)")
        return format_table(self.rows(), style="text") + "\n" + note

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (shifts as strings)."""
        out = {f.name: copy.deepcopy(getattr(self, f.name)) for f in dataclasses.fields(self) if f.name != "models"}
        out["validation_errors"] = {f"{s:g}": e for s, e in self.validation_errors.items()}
        out["omitted_accuracy_before"] = self.omitted_accuracy_before
        out["omitted_accuracy_after"] = self.omitted_accuracy_after
        out["paper"] = dict(PAPER_OMITTED_DIGIT)
        return out


def omitted_digit_experiment(
    *,
    omitted: int = 3,
    train_size: int = 10_000,
    validation_size: int = 2_000,
    teacher_hidden: Sequence[int] = (512, 512),
    teacher_epochs: int = 10,
    teacher_dropout: float = 0.3,
    teacher_input_dropout: float = 0.0,
    max_shift: int = 2,
    student_hidden: Sequence[int] = (256, 256),
    student_epochs: int = 15,
    temperature: float = 20.0,
    alpha: float = 0.1,
    bias_shifts: Sequence[float] = tuple(np.arange(0.0, 15.01, 0.25)),
    batch_size: int = 128,
    test_size: int | None = None,
    seed: int = 0,
    teacher: keras.Model | None = None,
    progress: bool = False,
) -> OmittedDigitResult:
    """The paper's "mythical digit": distil a student on a transfer set without any ``omitted``, then raise that class's bias.

    1. ``train_size + validation_size`` class-balanced training images are drawn; the
       last ``validation_size`` are held out from the student and its bias choice.
    2. A teacher (jitter and dropout, as :func:`build_teacher`, lighter than the
       paper's because it trains for a few epochs only) trains on the
       ``train_size`` images, every digit included; or, as in the paper, where
       the omitted-digit student learns from the teacher of the main experiment,
       ``teacher`` is a model already trained on every digit (the ``teacher_*``
       and ``max_shift`` arguments are then unused).
    3. The student trains on those images *without* the omitted digit (the transfer
       set), on the true labels and the teacher's soft targets at ``temperature``.
    4. The bias of the omitted class in the student's last layer is raised by the
       shift from ``bias_shifts`` that makes the fewest errors on the held-out
       validation images (which do contain the digit; the paper used the test set).
    5. Test errors, overall and on the omitted digit, before and after.

    The defaults run in well under a minute on a two-core CPU.

    Raises:
        ValueError: a bad argument, named, before anything is trained (``teacher``
            not a Keras model included).
    """
    if teacher is not None and not isinstance(teacher, keras.Model):
        raise ValueError(f"teacher must be None or a trained keras.Model, got {type(teacher).__name__}")
    omitted = _check_class("omitted", omitted)
    train_size = _check_int("train_size", train_size, minimum=20)
    validation_size = _check_int("validation_size", validation_size, minimum=10)
    if train_size + validation_size > 10 * 5421:
        raise ValueError(f"train_size + validation_size must be at most 54210, got {train_size + validation_size}")
    teacher_hidden = _check_hidden("teacher_hidden", teacher_hidden)
    student_hidden = _check_hidden("student_hidden", student_hidden)
    teacher_epochs = _check_int("teacher_epochs", teacher_epochs)
    student_epochs = _check_int("student_epochs", student_epochs)
    max_shift = _check_int("max_shift", max_shift, minimum=0)
    teacher_dropout = _check_rate("teacher_dropout", teacher_dropout)
    teacher_input_dropout = _check_rate("teacher_input_dropout", teacher_input_dropout)
    temperature = _check_temperature("temperature", temperature)
    alpha = _check_alpha("alpha", alpha)
    shifts = tuple(bias_shifts) if isinstance(bias_shifts, Iterable) and not isinstance(bias_shifts, (str, bytes)) else ()
    if not shifts or not all(_is_number(s) and math.isfinite(s) for s in shifts):
        raise ValueError(f"bias_shifts must be a non-empty sequence of finite numbers, got {bias_shifts!r}")
    batch_size = _check_int("batch_size", batch_size)
    test_size = _check_optional_int("test_size", test_size)
    if test_size is not None and test_size > _data.EXPECTED_SIZES["test"]:
        raise ValueError(f"test_size must be None or an integer in 1..10000, got {test_size!r}")
    seed = _check_int("seed", seed, minimum=0)

    start = time.perf_counter()
    mnist = _data.load_mnist()
    x_all, y_all = _data.train_subset(train_size + validation_size, seed=seed)
    x, y = x_all[:train_size], y_all[:train_size]
    x_val, y_val = x_all[train_size:], y_all[train_size:]
    n_test = len(mnist.y_test) if test_size is None else test_size
    x_test, y_test = mnist.x_test[:n_test], mnist.y_test[:n_test]
    recipe = PaperRecipe(teacher_hidden=teacher_hidden, teacher_dropout=teacher_dropout,
                         teacher_input_dropout=teacher_input_dropout, max_shift=max_shift,
                         teacher_epochs=teacher_epochs, batch_size=batch_size)
    given = teacher is not None
    n_epochs = student_epochs + (0 if given else teacher_epochs)
    bar = runtime.progress_bar(n_epochs, f"distillation without the {omitted}s", unit="epoch", enabled=progress)
    with bar:
        if teacher is None:
            teacher, _ = train_teacher(x, y, recipe, seed=seed, bar=bar)
        x_transfer, y_transfer, logits_transfer = without_class(x, y, omitted, teacher_logits(teacher, x))
        student, _ = train_student(x_transfer, y_transfer, student_hidden, logits=logits_transfer,
                                   temperature=temperature, alpha=alpha, epochs=student_epochs,
                                   batch_size=batch_size, seed=seed, bar=bar, label="student")
    student_logits = np.asarray(student.predict(x_val, batch_size=1000, verbose=0))
    shift, val_errors = choose_bias_shift(student_logits, y_val, omitted, shifts)
    adjusted = raise_class_bias(student, omitted, shift)
    is_omitted = y_test == omitted

    def errors(model: keras.Model) -> tuple[int, int]:
        wrong = models.predict_labels(model, x_test) != y_test
        return int(wrong.sum()), int(wrong[is_omitted].sum())

    teacher_all, teacher_omitted = errors(teacher)
    before, before_omitted = errors(student)
    after, after_omitted = errors(adjusted)
    teacher_settings: dict[str, Any] = (
        dict(teacher=f"given: {teacher.name!r}, {costs.count_params(teacher):,} parameters") if given else
        dict(teacher_hidden=list(teacher_hidden), teacher_epochs=teacher_epochs, teacher_dropout=teacher_dropout,
             teacher_input_dropout=teacher_input_dropout, max_shift=max_shift))
    settings = dict(omitted=omitted, train_size=train_size, validation_size=validation_size, **teacher_settings,
                    student_hidden=list(student_hidden), student_epochs=student_epochs, temperature=temperature,
                    alpha=alpha, bias_shifts=[float(s) for s in shifts], batch_size=batch_size, test_size=n_test,
                    seed=seed)
    return OmittedDigitResult(
        omitted=omitted, transfer_size=len(y_transfer), removed=int(np.sum(y == omitted)), test_size=n_test,
        test_omitted=int(is_omitted.sum()), teacher_errors=teacher_all, teacher_errors_on_omitted=teacher_omitted,
        errors_before=before, errors_on_omitted_before=before_omitted, bias_shift=shift, errors_after=after,
        errors_on_omitted_after=after_omitted, validation_size=validation_size, validation_errors=val_errors,
        settings=settings, seconds=time.perf_counter() - start,
        models={"teacher": teacher, "student": student, "adjusted": adjusted})


# --- reading a recording back (the chapter and the Performance page) -----------------------


def is_paper_recording(recording: dict[str, Any]) -> bool:
    """Whether a distillation recording is the paper-sized run (``python -m benchmarks.bench_distillation``).

    The earlier recording (``--sweep``, ``dltips.recorded("distillation_sweep")``) holds
    one row per model under ``reports`` instead.

    Example::

        >>> from dltips import recorded
        >>> is_paper_recording(recorded("distillation_sweep"))
        False
    """
    return "students" in recording and "teacher" in recording


def recorded_table(recording: dict[str, Any]) -> str:
    """The paper-sized recording as a Markdown table, beside Hinton et al.'s numbers.

    The teacher and both students (from scratch and distilled): test errors out of
    10,000, mean ± standard deviation and each seed's errors, and the share of the
    scratch-to-teacher gap each distilled student recovers
    (:meth:`PaperDistillationResult.rows`).

    Raises:
        ValueError: the recording is not the paper-sized run.
    """
    if not is_paper_recording(recording):
        raise ValueError("recording must be the paper-sized run (python -m benchmarks.bench_distillation)")
    return format_table(PaperDistillationResult.from_dict(recording).rows())


def recorded_summary(recording: dict[str, Any]) -> str:
    """One line under the table: the compression student's size and speed, its chosen T and α, the run's time.

    Raises:
        ValueError: the recording is not the paper-sized run.
    """
    if not is_paper_recording(recording):
        raise ValueError("recording must be the paper-sized run (python -m benchmarks.bench_distillation)")
    ratio, run, chosen = recording["compression"], recording.get("run", {}), recording["chosen"]
    line = (f"compression student: 1/{1 / ratio['param_ratio']:.0f} of the teacher's parameters, "
            f"{ratio['speedup']:.1f}x faster inference; its T = {chosen['temperature']:g} and "
            f"alpha = {chosen['alpha']:g} chosen on validation images")
    if run:
        line += (f"; recorded with `{run['command']}` in {run['wall_seconds'] / 60:.0f} min wall "
                 f"({run['cpu_seconds'] / 60:.0f} min CPU, {run['machine']})")
    return line


def plot_recorded(recording: dict[str, Any]) -> Any:
    """The paper-sized recording as a figure: each student from scratch and distilled, per seed, beside the teacher and the paper.

    Raises:
        ValueError: the recording is not the paper-sized run.
    """
    if not is_paper_recording(recording):
        raise ValueError("recording must be the paper-sized run (python -m benchmarks.bench_distillation)")
    result = PaperDistillationResult.from_dict(recording)
    students = {s.name.replace(" (", "\n("): {"scratch": list(s.scratch.values()), "distilled": list(s.distilled.values())}
                for s in result.students.values()}
    return plot_student_errors(result.teacher_errors, students, paper=PAPER_ERRORS).figure
