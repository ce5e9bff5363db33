"""The paper's MNIST numbers, the paper-sized experiments' results, and the one reader of their recording.

Everything here is plain data and its presentation, without TensorFlow: the paper's
numbers (:data:`PAPER_ERRORS`, :data:`PAPER_OMITTED_DIGIT`), the results of
:func:`~dltips.distillation.paper_experiment` and :func:`~dltips.distillation.omitted_digit_experiment`
(:class:`PaperDistillationResult`, :class:`OmittedDigitResult`), and the tables and figure
the book makes of the recorded run, each reading the recording through
:meth:`PaperDistillationResult.from_dict`. A page that only shows the recording (the
conclusion, the Performance page) imports this module and starts in about a second
instead of loading TensorFlow; :mod:`dltips.distillation.paper` trains the models.

Example::

    >>> from dltips import recorded
    >>> result = PaperDistillationResult.from_dict(recorded("distillation"))
    >>> result.teacher_errors < result.students["paper"].scratch[0]
    True
"""

from __future__ import annotations

import copy
import dataclasses
import statistics
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dltips.distillation.figures import plot_student_errors
from dltips.distillation.recipe import PaperRecipe
from dltips.recordings import Machine
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


# --- the paper's table --------------------------------------------------------------------


def gap_recovered(scratch: float, distilled: float, teacher: float) -> float:
    """Share of the scratch-to-teacher gap that distillation recovers: ``(scratch − distilled) / (scratch − teacher)``.

    1 means the distilled student is as good as its teacher, 0 no better than
    from scratch, negative worse. The paper's MNIST run: (146 − 74) / (146 − 67) ≈ 0.91.

    Args:
        scratch, distilled, teacher: test errors of the student from scratch, of the
            distilled student and of the teacher (or their means over seeds).

    Returns:
        The share, a float (1 at most when the teacher is the best of the three).

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

    Example::

        >>> s = StudentComparison(name="2×800", hidden=(800, 800), params=1_276_810, inference_seconds=0.1,
        ...                       temperature=20.0, alpha=0.1, chosen_on="the paper's T",
        ...                       scratch={0: 140, 1: 136}, distilled={0: 96, 1: 92})
        >>> round(s.gap_recovered(teacher_errors=80), 2), s.separated()
        (0.76, True)
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
        machine: for a recording, where it ran (:class:`~dltips.recordings.Machine`); ``None``
            for a result just computed.
        command: for a recording, the command that made it (``""`` otherwise).
        quick: whether the recording was a ``--quick`` check.

    Example::

        >>> from dltips import recorded
        >>> result = PaperDistillationResult.from_dict(recorded("distillation"))
        >>> sorted(result.students), result.recipe.temperature, result.machine.cores
        (['compact', 'paper'], 20.0, 2)
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
    machine: Machine | None = None
    command: str = ""
    quick: bool = False

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
        the errors, not read. A recording's ``machine`` and the ``command`` and ``quick`` of
        its ``run`` are read into the fields of the same names.

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
            recipe=PaperRecipe(**settings),
            machine=Machine.from_dict(data["machine"]) if "machine" in data else None,
            command=str(data.get("run", {}).get("command", "")), quick=bool(data.get("run", {}).get("quick", False)))

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
        formats = {"teacher_errors": "{:.0f}", "paper_gap_recovered": "{:.1%}", "compact_gap_recovered": "{:.1%}",
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

    Example::

        >>> r = OmittedDigitResult(omitted=3, transfer_size=9000, removed=1000, test_size=10_000, test_omitted=1010,
        ...                        teacher_errors=150, teacher_errors_on_omitted=20, errors_before=300,
        ...                        errors_on_omitted_before=200, bias_shift=2.5, errors_after=200,
        ...                        errors_on_omitted_after=50, validation_size=2000, validation_errors={0.0: 90, 2.5: 60},
        ...                        settings={}, seconds=30.0)
        >>> f"{r.omitted_accuracy_before:.1%} → {r.omitted_accuracy_after:.1%}"
        '80.2% → 95.0%'
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

    Args:
        recording: a distillation recording, as read from its JSON file.

    Returns:
        ``True`` for the paper-sized run.

    Example::

        >>> from dltips import recorded
        >>> is_paper_recording(recorded("distillation_sweep"))
        False
    """
    return "students" in recording and "teacher" in recording


def _paper_result(recording: dict[str, Any]) -> PaperDistillationResult:
    """The one reader of a recording: the paper-sized run's result, or a ``ValueError`` for another recording."""
    if not is_paper_recording(recording):
        raise ValueError("recording must be the paper-sized run (python -m benchmarks.bench_distillation)")
    return PaperDistillationResult.from_dict(recording)


def recorded_table(recording: dict[str, Any]) -> str:
    """The paper-sized recording as a Markdown table, beside Hinton et al.'s numbers.

    The teacher and both students (from scratch and distilled): test errors out of
    10,000, mean ± standard deviation and each seed's errors, and the share of the
    scratch-to-teacher gap each distilled student recovers
    (:meth:`PaperDistillationResult.rows`).

    Args:
        recording: the paper-sized run's recording (``dltips.recorded("distillation")``).

    Returns:
        The table as Markdown.

    Raises:
        ValueError: the recording is not the paper-sized run.

    Example::

        >>> from dltips import recorded
        >>> recorded_table(recorded("distillation")).splitlines()[0]
        '| model | paper | this run | per seed | gap recovered |'
    """
    return format_table(_paper_result(recording).rows())


def recorded_summary(recording: dict[str, Any]) -> str:
    """One line under the table: the compression student's size and speed, its chosen T and α, the run's time.

    Args:
        recording: the paper-sized run's recording (``dltips.recorded("distillation")``).

    Returns:
        The line, with the command and machine of the run where the recording has them.

    Raises:
        ValueError: the recording is not the paper-sized run.

    Example::

        >>> from dltips import recorded
        >>> recorded_summary(recorded("distillation")).startswith("compression student: 1/")
        True
    """
    result = _paper_result(recording)
    ratio, chosen = result.compression(), result.chosen
    line = (f"compression student: 1/{1 / ratio['param_ratio']:.0f} of the teacher's parameters, "
            f"{ratio['speedup']:.1f}x faster inference; its T = {chosen['temperature']:g} and "
            f"alpha = {chosen['alpha']:g} chosen on validation images")
    if result.command:
        line += (f"; recorded with `{result.command}` in {result.wall_seconds / 60:.0f} min wall "
                 f"({result.cpu_seconds / 60:.0f} min CPU")
        line += f", {result.machine.cores} cores)" if result.machine else ")"
    return line


def plot_recorded(recording: dict[str, Any]) -> Any:
    """The paper-sized recording as a figure: each student from scratch and distilled, per seed, beside the teacher and the paper.

    Args:
        recording: the paper-sized run's recording (``dltips.recorded("distillation")``).

    Returns:
        The Matplotlib figure (:func:`~dltips.distillation.plot_student_errors`).

    Raises:
        ValueError: the recording is not the paper-sized run.

    Example::

        >>> from dltips import recorded
        >>> len(plot_recorded(recorded("distillation")).axes[0].patches)  # two students, scratch and distilled
        4
    """
    result = _paper_result(recording)
    students = {s.name.replace(" (", "\n("): {"scratch": list(s.scratch.values()), "distilled": list(s.distilled.values())}
                for s in result.students.values()}
    return plot_student_errors(result.teacher_errors, students, paper=PAPER_ERRORS).figure
