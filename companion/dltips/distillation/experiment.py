"""The distillation experiment: teacher, students from scratch, on pseudo-labels and distilled, measured like the paper.

:func:`distillation_experiment` is the experiment of chapter 3, of ``dltips run
distillation`` (``command``) and of the benchmarks; its defaults are the
book's laptop-sized settings. Each model is measured as Hinton et al. report
theirs (test errors out of 10,000) and as a deployment would (parameters, saved
size, inference time).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import keras
import numpy as np

from dltips import costs, data, models, runtime
from dltips.checks import check_int, check_number, check_numbers, check_rate, check_sizes
from dltips.distillation.figures import plot_gradient_scale, plot_soft_targets, plot_temperature_sweep
from dltips.distillation.loss import pseudo_label, soft_loss_gradient_norm
from dltips.distillation.training import teacher_logits, train_student, train_teacher
from dltips.experiments import ExperimentResult, RunOptions, figure_of
from dltips.tables import format_table

__all__ = ["GRADIENT_IMAGES", "DistillationResult", "ModelReport", "distillation_experiment"]

#: The test images on which :func:`distillation_experiment` measures the soft-target gradient's scale.
GRADIENT_IMAGES = 256


@dataclasses.dataclass
class ModelReport:
    """One row of the paper's table, measured on the 10,000 MNIST test images.

    Attributes:
        name: the model's display name.
        errors, accuracy: test errors out of 10,000 and the share right.
        params, saved_bytes: parameters and the size of the saved ``.keras`` file.
        inference_seconds: one forward pass over the test images.

    Example::

        >>> r = ModelReport(name="teacher", errors=150, accuracy=0.985, params=669_706, saved_bytes=8_100_000,
        ...                 inference_seconds=0.2)
        >>> r.errors, round(r.saved_bytes / 1024)
        (150, 7910)
    """

    name: str
    errors: int
    accuracy: float
    params: int
    saved_bytes: int
    inference_seconds: float

    @classmethod
    def measure_all(
        cls, trained: Mapping[str, keras.Model], names: Mapping[str, str], x_test: np.ndarray, y_test: np.ndarray,
        *, repeats: int = 5,
    ) -> dict[str, ModelReport]:
        """Measure every model; ``names`` gives each key's display name.

        Args:
            trained: the models, by key.
            names: each key's display name.
            x_test, y_test: the test images and labels.
            repeats: timed forward passes per model.

        Returns:
            One :class:`ModelReport` per key.
        """
        seconds = costs.inference_seconds(trained, x_test, repeats=repeats)
        reports = {}
        for key, model in trained.items():
            result = models.evaluate(model, x_test, y_test)
            reports[key] = cls(
                name=names[key],
                errors=result.errors,
                accuracy=result.accuracy,
                params=costs.count_params(model),
                saved_bytes=costs.saved_size_bytes(model),
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
        example_logits: the teacher's logits for the first test image (what the soft targets
            at each temperature are computed from).
        gradient_scale: the norm of the soft-target term's gradient with respect to the
            distilled student's logits on the first :data:`GRADIENT_IMAGES` test images, at
            each temperature of the sweep: ``{"temperatures": [...], "with_t2": [...],
            "without_t2": [...]}`` (:func:`~dltips.distillation.soft_loss_gradient_norm`).

    Example::

        >>> rows = {k: ModelReport(name=k, errors=e, accuracy=1 - e / 10_000, params=p, saved_bytes=1, inference_seconds=t)
        ...         for k, e, p, t in (("teacher", 150, 669_706, 0.2), ("scratch", 400, 55_050, 0.02),
        ...                            ("pseudo_label", 380, 55_050, 0.02), ("distilled", 300, 55_050, 0.02))}
        >>> result = DistillationResult(reports=rows, sweep={4.0: 300}, history={}, settings={})
        >>> result.errors()["scratch"] - result.errors()["distilled"], round(result.speedup)
        (100, 10)
    """

    reports: dict[str, ModelReport]
    sweep: dict[float, int]
    history: dict[str, list[float]]
    settings: dict[str, Any]
    models: dict[str, keras.Model] = dataclasses.field(default_factory=dict, repr=False)
    example_logits: list[float] = dataclasses.field(default_factory=list)
    gradient_scale: dict[str, list[float]] = dataclasses.field(default_factory=dict)

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

    def table(self) -> list[dict[str, Any]]:
        """One row per model: test errors, accuracy, parameters, saved size and inference time."""
        return [
            {"model": r.name, "test errors": r.errors, "accuracy": r.accuracy, "parameters": r.params,
             "saved KB": round(r.saved_bytes / 1024), "inference ms": 1000 * r.inference_seconds}
            for r in self.reports.values()
        ]

    def __str__(self) -> str:
        """The :meth:`table` as aligned plain text."""
        return format_table(self.table(), style="text")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (temperatures as strings)."""
        return {
            "reports": {k: dataclasses.asdict(v) for k, v in self.reports.items()},
            "sweep": {f"{t:g}": e for t, e in self.sweep.items()},
            "history": self.history,
            "param_ratio": self.param_ratio,
            "speedup": self.speedup,
            "settings": self.settings,
            "example_logits": self.example_logits,
            "gradient_scale": self.gradient_scale,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DistillationResult:
        """The result back from :meth:`to_dict`'s data (a recording, say); no models.

        Args:
            data: :meth:`to_dict`'s data; a recording's ``machine`` and ``run`` are left out
                (``recorded("distillation_sweep")["machine"]`` is read by
                :class:`~dltips.recordings.Machine`).

        Returns:
            The result; :attr:`param_ratio` and :attr:`speedup` are recomputed from the reports.

        Raises:
            ValueError: data of another layout.

        Example::

            >>> from dltips import recorded
            >>> old = DistillationResult.from_dict(recorded("distillation_sweep"))
            >>> old.errors()["teacher"] < old.errors()["scratch"], sorted(old.sweep)[0]
            (True, 1.0)
        """
        try:
            return cls(reports={k: ModelReport(**v) for k, v in data["reports"].items()},
                       sweep={float(t): int(e) for t, e in data["sweep"].items()},
                       history={k: list(v) for k, v in data["history"].items()}, settings=dict(data["settings"]),
                       example_logits=list(data.get("example_logits", [])),
                       gradient_scale=dict(data.get("gradient_scale", {})))
        except (KeyError, TypeError) as error:
            raise ValueError(f"not a distillation result: {error}") from None

    def report(self) -> ExperimentResult:
        """What ``dltips run distillation`` prints and saves: the table, the sweep, the soft targets, the gradient scale.

        Every figure is drawn from numbers this result holds (the sweep's errors, the
        teacher's :attr:`example_logits`, the measured :attr:`gradient_scale`); a result
        made without the last two (by hand, say) reports without their figures.
        """
        errors = self.errors()
        names = {key: report.name for key, report in self.reports.items()}
        settings = self.settings
        figures = {"temperature_sweep": figure_of(plot_temperature_sweep(
            self.sweep, baselines={names[k]: errors[k] for k in ("teacher", "scratch", "pseudo_label")}))}
        if self.example_logits:
            figures["soft_targets"] = figure_of(plot_soft_targets(
                np.asarray(self.example_logits), temperatures=(1.0, settings["temperature"], 20.0)))
        if self.gradient_scale:
            scale = self.gradient_scale
            figures["gradient_scale"] = figure_of(plot_gradient_scale(
                scale["temperatures"], scale["with_t2"], scale["without_t2"]))
        return ExperimentResult(
            description=f"teacher MLP {tuple(settings['teacher_hidden'])} on {settings['teacher_train_size']:,} MNIST "
            f"images, students MLP {tuple(settings['student_hidden'])} on {settings['student_train_size']:,} images "
            f"for {settings['student_epochs']} epochs; errors out of all 10,000 test images",
            table=self.table(),
            metrics={
                "errors: teacher / scratch / distilled":
                    f"{errors['teacher']} / {errors['scratch']} / {errors['distilled']}",
                "errors saved by distillation (scratch − distilled)": errors["scratch"] - errors["distilled"],
                "best temperature of the sweep": f"T = {min(self.sweep, key=self.sweep.get):g}",
                "student parameters / teacher's": self.param_ratio,
                "inference speed-up of the student": self.speedup,
            },
            figures=figures,
            details={"distillation": self.to_dict()},
        )


def distillation_experiment(
    *,
    teacher_hidden: Sequence[int] = (512, 512),
    teacher_dropout: float = 0.3,
    teacher_epochs: int = 2,
    teacher_train_size: int | None = None,
    student_hidden: Sequence[int] = (64, 64),
    student_epochs: int = 30,
    student_train_size: int | None = 3_000,
    alpha: float = 0.1,
    temperature: float = 4.0,
    sweep_temperatures: Sequence[float] = (1, 2, 4, 8, 20),
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    timing_repeats: int = 5,
    seed: int = 0,
    progress: bool = True,
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
       above) and records its test errors. The teacher is frozen and sees the same
       images every epoch, so the sweep computes its logits once and trains on them
       (:class:`SoftTargetLoss`: the :class:`Distiller`'s loss, without calling the
       teacher on every batch).

    The defaults fit a laptop CPU in about a minute: the teacher sees all the data
    once or twice, the students see a 3,000-image transfer set many times, which is
    where soft targets carry the most information. The paper trains everything on
    all 60,000 images for much longer (see the benchmark).

    Every model is trained by ``dltips.distillation.training`` with Adam at a constant
    ``learning_rate`` and up to 64 steps per call of Keras's compiled step; each student
    starts from the same weights (seeded with ``seed + 1``) and sees the same batches.

    Args:
        teacher_hidden, teacher_dropout, teacher_epochs: the teacher, without jitter.
        teacher_train_size, student_train_size: class-balanced training images for the
            teacher and the students (``None``: all 60,000).
        student_hidden, student_epochs: the students.
        alpha: the weight of the true labels, in ``[0, 1]``.
        temperature: the distilled student's ``T > 0``; the default 4 suits the small
            2×64 student (the paper found 2.5 to 4 best for small students).
        sweep_temperatures: the temperatures of the sweep, each > 0.
        batch_size, learning_rate: every model's mini-batch size and Adam's rate.
        timing_repeats: forward passes timed per model.
        seed: seeds the subsets, the weights and the batch order.
        progress: show a progress bar over the models.

    Returns:
        A :class:`DistillationResult`, the models included.

    Raises:
        ValueError: a bad size, epoch count, dropout rate, ``alpha``, temperature,
            learning rate or ``seed``, before anything is trained.

    Example::

        >>> distillation_experiment(temperature=0)
        Traceback (most recent call last):
        ...
        ValueError: temperature must be a number in (0.0, inf), got 0.0
        >>> # about a minute on MNIST, so not run here:
        >>> result = distillation_experiment(student_epochs=5, progress=False)  # doctest: +SKIP
        >>> print(result)  # doctest: +SKIP
    """
    alpha = check_number("alpha", alpha, low=0.0, high=1.0, high_open=False)
    temperature = check_number("temperature", temperature, low=0.0, low_open=True)
    sweep = check_numbers("sweep_temperatures", sweep_temperatures, low=0.0, low_open=True)
    temperatures = sorted(set(sweep) | {temperature})
    for name, value in dict(teacher_epochs=teacher_epochs, student_epochs=student_epochs, batch_size=batch_size,
                            timing_repeats=timing_repeats).items():
        check_int(name, value)
    for name, value in dict(teacher_train_size=teacher_train_size, student_train_size=student_train_size).items():
        if value is not None:
            check_int(name, value, maximum=60_000)
    for name, sizes in dict(teacher_hidden=teacher_hidden, student_hidden=student_hidden).items():
        check_sizes(name, sizes, allow_empty=False)  # a layer of 0 units would fail only after the teacher has trained
    check_rate("teacher_dropout", teacher_dropout)
    check_number("learning_rate", learning_rate, low=0.0, low_open=True)
    check_int("seed", seed, minimum=0)
    mnist = data.load_mnist()

    def training_images(n: int | None) -> tuple[np.ndarray, np.ndarray]:
        return (mnist.x_train, mnist.y_train) if n is None else data.train_subset(n, seed=seed)

    x_teacher, y_teacher = training_images(teacher_train_size)
    x, y = training_images(student_train_size)

    # the chapter's budget: Adam at a constant rate, up to 64 steps per call; every student starts
    # from the same weights (seed + 1) and sees the same batches (seed), so they differ only in their targets
    budget = dict(epochs=student_epochs, batch_size=batch_size, learning_rate=learning_rate, cosine_decay=False,
                  max_steps_per_execution=64, seed=seed, init_seed=seed + 1)
    trained: dict[str, keras.Model] = {}
    history: dict[str, list[float]] = {}
    sweep: dict[float, int] = {}
    logits: np.ndarray | None = None  # the teacher's, computed once for the sweep
    extra_temperatures = [t for t in temperatures if t != temperature]
    steps = ["teacher", "scratch", "pseudo_label", "distilled", *extra_temperatures]
    names = {"teacher": "teacher", "scratch": "student, scratch", "pseudo_label": "student, pseudo-labels",
             "distilled": f"student, distilled T={temperature:g}"}
    for step in runtime.progress(steps, "distillation", enabled=progress,
                                 label=lambda s: names[s] if s in names else f"sweep, student distilled T={s:g}"):
        if step == "teacher":
            trained["teacher"], _ = train_teacher(
                x_teacher, y_teacher, teacher_hidden, dropout=teacher_dropout, epochs=teacher_epochs,
                learning_rate=learning_rate, batch_size=batch_size, cosine_decay=False, max_steps_per_execution=64,
                seed=seed)
        elif step == "scratch":
            trained["scratch"], _ = train_student(x, y, student_hidden, **budget)
        elif step == "pseudo_label":
            hard_labels = pseudo_label(trained["teacher"], x)
            trained["pseudo_label"], _ = train_student(x, hard_labels, student_hidden, **budget)
        elif step == "distilled":
            trained["distilled"], history = train_student(
                x, y, student_hidden, teacher=trained["teacher"], alpha=alpha, temperature=temperature, **budget)
            sweep[temperature] = models.evaluate(trained["distilled"], mnist.x_test, mnist.y_test).errors
        else:
            if logits is None:
                logits = teacher_logits(trained["teacher"], x)
            student, _ = train_student(x, y, student_hidden, logits=logits, alpha=alpha, temperature=step,
                                       **budget)
            sweep[step] = models.evaluate(student, mnist.x_test, mnist.y_test).errors
    reports = ModelReport.measure_all(trained, names, mnist.x_test, mnist.y_test, repeats=timing_repeats)
    images = mnist.x_test[:GRADIENT_IMAGES]
    t_logits = np.asarray(trained["teacher"].predict_on_batch(images))
    s_logits = np.asarray(trained["distilled"].predict_on_batch(images))
    gradient_scale = {"temperatures": [float(t) for t in temperatures]}
    for key, scaled in (("with_t2", True), ("without_t2", False)):
        gradient_scale[key] = [soft_loss_gradient_norm(t_logits, s_logits, t, scale_by_t_squared=scaled)
                               for t in temperatures]
    settings = dict(teacher_hidden=list(teacher_hidden), teacher_dropout=teacher_dropout,
                    teacher_epochs=teacher_epochs, teacher_train_size=len(x_teacher),
                    student_hidden=list(student_hidden), student_epochs=student_epochs,
                    student_train_size=len(x), alpha=alpha, temperature=temperature,
                    sweep_temperatures=temperatures, batch_size=batch_size, learning_rate=learning_rate,
                    timing_repeats=timing_repeats, seed=seed)
    return DistillationResult(reports=reports, sweep=dict(sorted(sweep.items())), history=history,
                              settings=settings, models=trained, example_logits=t_logits[0].tolist(),
                              gradient_scale=gradient_scale)


#: ``dltips run distillation --quick``: tiny sizes, seconds.
QUICK = dict(teacher_hidden=(64,), teacher_epochs=1, teacher_train_size=1000, student_hidden=(16,),
             student_train_size=500, student_epochs=2, sweep_temperatures=(1, 4), timing_repeats=1)


def command(options: RunOptions) -> ExperimentResult:
    """``dltips run distillation``: :func:`distillation_experiment` with the book's defaults, reported."""
    return distillation_experiment(**options.sizes(QUICK, epochs="student_epochs"), seed=options.seed).report()
