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

import math
import statistics
import time
from collections.abc import Iterable, Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from dltips import costs, models, runtime
from dltips import data as _data
from dltips.distillation.loss import SoftTargetLoss, pack_targets
from dltips.distillation.results import (
    OmittedDigitResult,
    PaperDistillationResult,
    PaperRecipe,
    StudentComparison,
    _check_alpha,
    _check_class,
    _check_hidden,
    _check_int,
    _check_optional_int,
    _check_positive,
    _check_rate,
    _check_temperature,
    _is_number,
    _size_name,
)

__all__ = [
    "RandomShift",
    "build_student",
    "build_teacher",
    "choose_bias_shift",
    "omitted_digit_experiment",
    "paper_experiment",
    "raise_class_bias",
    "teacher_logits",
    "train_student",
    "train_teacher",
    "without_class",
]


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


