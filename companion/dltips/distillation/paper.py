"""Distillation at the paper's size: Hinton, Vinyals and Dean (2015), section 3, on MNIST.

The paper's MNIST experiment, and how this module runs it:

* **Teacher**: a 2×1200 ReLU network with dropout, trained on all 60,000 training
  images "jittered by up to two pixels in any direction" (67 test errors in the paper).
  Here: input dropout 0.2, hidden dropout 0.5, :class:`~dltips.distillation.RandomShift` on the inputs,
  and Adam with cosine decay instead of the paper's SGD with max-norm weight
  constraints (a simpler recipe; the recorded run shows how close it comes).
* **Student from scratch**: a 2×800 ReLU network without any regularization (146).
* **Distilled student**: the same 2×800 network trained on the teacher's soft targets
  at T = 20 plus the true labels (74), here with weight 0.9 on the soft targets.
* **Compression student** (not in the paper's table): a much smaller network
  (2×200 by default: 1/12 of the teacher's parameters), whose temperature and
  soft-target weight are chosen on held-out training images, never on the test set
  (by default the temperature alone, at the 2×800's weight).

The paper's second experiment, the omitted digit, is :mod:`dltips.distillation.omitted_digit`.

Results are test errors out of 10,000, as in the paper, and the share of the
scratch-to-teacher gap that distillation recovers,
``(scratch − distilled) / (scratch − teacher)`` (the paper: 91 %).

The teacher is frozen once trained, and the students see the training images
without jitter, so the teacher's logits are computed once (:func:`teacher_logits`)
and the students train on them (:class:`~dltips.distillation.SoftTargetLoss`), which is what
:class:`dltips.distillation.Distiller` computes with the teacher called on every batch,
at a fraction of the cost.

All the settings live in one place, :class:`~dltips.distillation.PaperRecipe` (T = 20, the
paper's), and the models are built and trained by :mod:`dltips.distillation.training`;
:func:`paper_experiment` runs the recipe. The full recipe takes about an hour on a two-core CPU, so the book shows
a recorded run (``python -m benchmarks.bench_distillation``); a tiny recipe checks
that the code works::

    >>> from dltips.distillation import PaperRecipe, paper_experiment
    >>> tiny = PaperRecipe.tiny()
    >>> # a few seconds on MNIST, so not run as a doctest:
    >>> result = paper_experiment(tiny, progress=False)  # doctest: +SKIP
    >>> print(result.table())  # doctest: +SKIP
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import keras
import numpy as np

from dltips import costs, models, runtime
from dltips import data as _data
from dltips.checks import check_int
from dltips.distillation.recipe import PaperRecipe
from dltips.distillation.results import PaperDistillationResult, StudentComparison, _size_name
from dltips.distillation.training import teacher_logits, train_student, train_teacher

__all__ = ["paper_experiment"]


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

    1. The teacher (:func:`~dltips.distillation.build_teacher`) trains on all the training images with
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

    Returns:
        A :class:`~dltips.distillation.PaperDistillationResult`, the teacher and the first
        seed's students included.

    Example::

        >>> paper_experiment(timing_repeats=0)  # refused before any data is read
        Traceback (most recent call last):
        ...
        ValueError: timing_repeats must be an integer >= 1, got 0
        >>> # MNIST and several seconds even at the tiny size, so not run here:
        >>> result = paper_experiment(PaperRecipe.tiny(), progress=False)  # doctest: +SKIP
        >>> result.gap_recovered("paper")  # doctest: +SKIP
    """
    recipe = (recipe or PaperRecipe()).replace(**overrides)  # replace() validates
    check_int("timing_repeats", timing_repeats)
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
        teacher, history = train_teacher(
            x, y, recipe.teacher_hidden, dropout=recipe.teacher_dropout, input_dropout=recipe.teacher_input_dropout,
            max_shift=recipe.max_shift, epochs=recipe.teacher_epochs, learning_rate=recipe.teacher_learning_rate,
            batch_size=recipe.batch_size, seed=recipe.seeds[0], bar=bar)
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
