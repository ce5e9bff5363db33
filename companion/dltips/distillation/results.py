"""The paper's MNIST numbers, the paper-sized run's results, and reading them back from a recording.

Everything here is plain data and its presentation, without TensorFlow: the
recipe (:class:`PaperRecipe`), the results of :func:`dltips.distillation.paper_experiment`
and :func:`dltips.distillation.omitted_digit_experiment` (:class:`PaperDistillationResult`,
:class:`OmittedDigitResult`) and the tables and figure the book makes of the recorded
run. A page that only shows the recording (the conclusion, the Performance page)
imports this module and starts in about a second instead of loading TensorFlow;
:mod:`dltips.distillation.paper` trains the models.

Example::

    >>> from dltips import recorded
    >>> result = PaperDistillationResult.from_dict(recorded("distillation"))
    >>> result.teacher_errors < result.students["paper"].scratch[0]
    True
"""

from __future__ import annotations

import copy
import dataclasses
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from dltips import data as _data
from dltips.distillation.figures import plot_student_errors
from dltips.tables import format_table

if TYPE_CHECKING:
    import keras

__all__ = [
    "PAPER_ERRORS",
    "PAPER_MODELS",
    "PAPER_OMITTED_DIGIT",
    "PAPER_TEMPERATURE_REMARK",
    "OmittedDigitResult",
    "PaperDistillationResult",
    "PaperRecipe",
    "StudentComparison",
    "gap_recovered",
    "is_paper_recording",
    "plot_recorded",
    "recorded_summary",
    "recorded_table",
]

#: The paper's MNIST results (Hinton et al. 2015, section 3): test errors out of 10,000.
PAPER_ERRORS = {"teacher": 67, "scratch": 146, "distilled": 74}
#: The networks behind :data:`PAPER_ERRORS`.
PAPER_MODELS = {
    "teacher": "2×1200 ReLU, dropout, weight constraints, inputs jittered by up to 2 pixels",
    "scratch": "2×800 ReLU, no regularization",
    "distilled": "the same 2×800 net, distilled at T = 20",
}
#: The paper's omitted-digit result (Hinton et al. 2015, section 3): a 2×800 student distilled
#: on a transfer set without any 3, errors on the 10,000 test images and on its 1,010 threes,
#: before and after the bias of class 3 was raised by 3.5 (chosen on the test set).
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
