"""The learning-rate experiment: one MLP, one SGD budget, eight plans for the rate.

:func:`compare_schedules` is the experiment of chapter 3, of the FAQ, of
``dltips run schedules`` (``command``) and of the benchmarks; its defaults
(and :func:`book_schedules`, the five decays over the budget) are the book's
settings, written once here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from dltips import data, models, runtime
from dltips.checks import check_int, check_number, check_sizes
from dltips.experiments import ExperimentResult, RunOptions, figure_of
from dltips.schedules.decays import (
    LearningRateRecorder,
    constant,
    cosine_decay,
    exponential_decay,
    inverse_time_decay,
    learning_rates,
    linear_decay,
    step_decay,
)
from dltips.schedules.figures import plot_learning_rates, plot_schedule_runs

__all__ = [
    "ScheduleBudget", "ScheduleComparison", "ScheduleRun", "book_schedules", "compare_schedules", "train_with_schedule",
]


@dataclass(frozen=True)
class ScheduleRun:
    """What one training run with a learning-rate schedule gives (see :func:`train_with_schedule`).

    Args:
        step_rates: the rate of every update.
        epoch_rates: the rate of each epoch's last update.
        epoch_loss: the mean training loss of each epoch.
        final_train_loss: the final weights' loss on the whole training set.
        test_accuracy: the final model's accuracy on the test set.

    Example::

        >>> run = ScheduleRun(np.array([0.1, 0.05]), np.array([0.05]), np.array([0.9]), 0.6, 0.85)
        >>> float(run.step_rates.max()), run.test_accuracy
        (0.1, 0.85)
    """

    step_rates: np.ndarray
    """The rate each update used, one per optimizer step (from :class:`LearningRateRecorder`)."""
    epoch_rates: np.ndarray
    """``history.history["learning_rate"]``: the rate of each epoch's last update."""
    epoch_loss: np.ndarray
    """``history.history["loss"]``: the mean training loss over each epoch, as the weights moved."""
    final_train_loss: float
    """The loss of the final weights on the whole training set (``nan`` if training diverged)."""
    test_accuracy: float
    """Fraction of the test set the final model classifies correctly."""


def train_with_schedule(
    learning_rate: keras.optimizers.schedules.LearningRateSchedule | float,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    hidden: Sequence[int] = (128,),
    seed: int = 0,
) -> ScheduleRun:
    """Train the book's MLP with plain SGD under one learning rate or schedule, and measure it.

    Every call with the same ``seed`` starts from the same initial weights and
    sees the batches in the same order, so runs differ only in their learning
    rates.

    Args:
        learning_rate: a Keras schedule, or a constant rate > 0.
        x_train, y_train: the training set.
        x_test, y_test: the test set.
        epochs: passes over the training set (>= 1).
        batch_size: examples per update (>= 1).
        hidden: the MLP's hidden-layer sizes.
        seed: seeds the initial weights and the batch order (an integer >= 0).

    Returns:
        A :class:`ScheduleRun`.

    Example::

        >>> x, y = np.zeros((64, 28, 28), "float32"), np.arange(64) % 10
        >>> run = train_with_schedule(cosine_decay(0.1, total_steps=4), x, y, x, y, epochs=2, batch_size=32,
        ...                           hidden=(8,))
        >>> run.step_rates.round(4).tolist()
        [0.1, 0.0854, 0.05, 0.0146]

    Raises:
        ValueError: ``epochs`` or ``batch_size`` is not a positive integer, a
            plain ``learning_rate`` is not a finite number > 0 (a negative or NaN
            rate would train, to nothing), a layer size is not an integer >= 1 or
            ``seed`` not an integer >= 0; all before training.
    """
    check_int("epochs", epochs)
    check_int("batch_size", batch_size)
    if not isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        check_number("learning_rate", learning_rate, low=0.0, low_open=True)
    hidden = check_sizes("hidden", hidden)
    check_int("seed", seed, minimum=0)
    keras.utils.set_random_seed(seed)
    model = models.compile_classifier(models.mlp(hidden, seed=seed), keras.optimizers.SGD(learning_rate=learning_rate),
                                      steps_per_execution=models.steps_per_execution(len(x_train), batch_size))
    recorder = LearningRateRecorder()
    history = model.fit(
        x_train, y_train, epochs=epochs, batch_size=batch_size, shuffle=True, callbacks=[recorder], verbose=0
    )
    # A diverged run ends with NaN weights: its loss is NaN and it guesses one class.
    train_loss = models.evaluate(model, x_train, y_train).loss
    return ScheduleRun(
        step_rates=np.array(recorder.step_rates),
        epoch_rates=np.array(history.history["learning_rate"]),
        epoch_loss=np.array(history.history["loss"]),
        final_train_loss=train_loss,
        test_accuracy=models.evaluate(model, x_test, y_test).accuracy,
    )


def book_schedules(
    total_steps: int, steps_per_epoch: int, *, peak: float = 1.0
) -> dict[str, keras.optimizers.schedules.LearningRateSchedule]:
    """The five decays the book compares, each from ``peak`` over the same budget of ``total_steps`` updates.

    ======================  =====================================================
    name                    schedule
    ======================  =====================================================
    ``exponential``         ``peak · 0.01^(t/T)``: 1 % of the peak at the end
    ``step``                ``peak · 0.1^⌊t/⌈T/3⌉⌋``: ten times lower each third
    ``linear``              ``peak · (1 − t/T)``
    ``inverse time``        ``peak / (1 + 9t/T)``: a tenth of the peak at the end
    ``cosine + warm-up``    one epoch of linear warm-up, then a half cosine to 0
    ======================  =====================================================

    Args:
        total_steps: ``T``, the updates of the whole budget (>= 2).
        steps_per_epoch: updates per epoch: the warm-up's length (>= 1).
        peak: the rate every decay starts from (> 0).

    Returns:
        Name → schedule, in the table's order.

    Raises:
        ValueError: ``total_steps`` not an integer >= 2, ``steps_per_epoch`` not an
            integer >= 1, ``peak`` not a finite number > 0.

    Example::

        >>> plans = book_schedules(total_steps=630, steps_per_epoch=63)
        >>> {name: round(float(learning_rates(s, [629])[0]), 4) for name, s in plans.items()}
        {'exponential': 0.0101, 'step': 0.01, 'linear': 0.0016, 'inverse time': 0.1001, 'cosine + warm-up': 0.0}
    """
    total_steps = check_int("total_steps", total_steps, minimum=2)
    steps_per_epoch = check_int("steps_per_epoch", steps_per_epoch)
    peak = check_number("peak", peak, low=0.0, low_open=True)
    warmup = min(steps_per_epoch, total_steps - 1)
    return {
        "exponential": exponential_decay(peak, decay_rate=0.01, decay_steps=total_steps),
        "step": step_decay(peak, gamma=0.1, step_size=math.ceil(total_steps / 3)),
        "linear": linear_decay(peak, total_steps=total_steps),
        "inverse time": inverse_time_decay(peak, decay=9 / total_steps),
        "cosine + warm-up": cosine_decay(peak, total_steps=total_steps, warmup_steps=warmup),
    }


@dataclass(frozen=True)
class ScheduleBudget:
    """The training budget every plan shares, and the plans the book compares on it.

    Attributes:
        n_train: size of the class-balanced training subset.
        epochs: passes over it.
        batch_size: examples per update.
        peak: the rate every decay starts from (after warm-up).

    Raises:
        ValueError: a size that is not an integer >= 1 (``batch_size`` at most
            ``n_train``), a ``peak`` that is not a finite number > 0, or a budget
            of fewer than 2 updates.

    Example::

        >>> budget = ScheduleBudget()
        >>> budget.steps_per_epoch, budget.total_steps
        (63, 630)
        >>> list(budget.plans())
        ['constant 0.3', 'constant 1.0', 'exponential', 'step', 'linear', 'inverse time', 'cosine + warm-up', 'constant 3.0']
    """

    n_train: int = 4000
    epochs: int = 10
    batch_size: int = 64
    peak: float = 1.0

    def __post_init__(self) -> None:
        check_int("n_train", self.n_train)
        check_int("epochs", self.epochs)
        check_int("batch_size", self.batch_size, maximum=self.n_train)
        check_number("peak", self.peak, low=0.0, low_open=True)
        if self.total_steps < 2:
            raise ValueError(f"the budget must hold at least 2 updates, got {self.total_steps}")

    @property
    def steps_per_epoch(self) -> int:
        """Updates per epoch, ``⌈n_train / batch_size⌉``."""
        return math.ceil(self.n_train / self.batch_size)

    @property
    def total_steps(self) -> int:
        """Updates in the whole run."""
        return self.epochs * self.steps_per_epoch

    def plans(self) -> dict[str, keras.optimizers.schedules.LearningRateSchedule]:
        """The eight plans: constant 0.3, the peak held constant, the five decays of :func:`book_schedules`, constant 3.0."""
        return {"constant 0.3": constant(0.3), f"constant {self.peak!r}": constant(self.peak),
                **book_schedules(self.total_steps, self.steps_per_epoch, peak=self.peak), "constant 3.0": constant(3.0)}


@dataclass
class ScheduleComparison:
    """What :func:`compare_schedules` measured.

    Attributes:
        runs: plan name → :class:`ScheduleRun`, in the order trained.
        schedules: plan name → the schedule it trained with.
        budget: the :class:`ScheduleBudget` every run shared.
        settings: the arguments of the run.

    Example::

        >>> run = ScheduleRun(np.array([0.1]), np.array([0.1]), np.array([0.9]), 0.6, 0.85)
        >>> budget = ScheduleBudget()
        >>> comparison = ScheduleComparison({"constant": run}, {"constant": 0.1}, budget)
        >>> comparison.runs["constant"].test_accuracy
        0.85
    """

    runs: dict[str, ScheduleRun]
    schedules: dict[str, keras.optimizers.schedules.LearningRateSchedule]
    budget: ScheduleBudget
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def steps_per_epoch(self) -> int:
        """Updates per epoch."""
        return self.budget.steps_per_epoch

    @property
    def total_steps(self) -> int:
        """Updates in the whole run (the budget every plan shares)."""
        return self.budget.total_steps

    def curves(self) -> dict[str, np.ndarray]:
        """The rate of every decaying plan at each update (constant plans left out), for a plot."""
        return {name: learning_rates(s, self.total_steps) for name, s in self.schedules.items()
                if not name.startswith("constant")}

    def untrained(self) -> list[str]:
        """Plans that did not train: test accuracy below 0.2 (guessing gets 0.1) or a NaN loss."""
        return [name for name, run in self.runs.items()
                if run.test_accuracy < 0.2 or math.isnan(run.final_train_loss)]

    def table(self) -> list[dict[str, Any]]:
        """One row per plan: final training loss, test accuracy, and the rates it used."""
        return [
            {"plan": name, "final training loss": run.final_train_loss, "test accuracy": run.test_accuracy,
             "first rate": float(run.step_rates[0]), "last rate": float(run.step_rates[-1]),
             "mean rate": float(run.step_rates.mean())}
            for name, run in self.runs.items()
        ]

    def report(self) -> ExperimentResult:
        """What ``dltips run schedules`` prints and saves: the table, the best plan, the rates and the losses."""
        runs, settings = self.runs, self.settings
        untrained = self.untrained()
        best = max(runs, key=lambda name: runs[name].test_accuracy)
        lowest = min((name for name in runs if name not in untrained), key=lambda name: runs[name].final_train_loss,
                     default=best)
        return ExperimentResult(
            description=f"MLP ({settings['hidden'][0]} hidden units), plain SGD, {settings['n_train']:,} MNIST images, "
            f"{settings['epochs']} epochs = {self.total_steps} updates of {settings['batch_size']}; "
            f"test accuracy on {settings['n_test']:,} test images",
            table=self.table(),
            metrics={
                "best plan (test accuracy)": best,
                "its test accuracy": runs[best].test_accuracy,
                "lowest final training loss": f"{runs[lowest].final_train_loss:.4f} ({lowest})",
                "plans that did not train (test accuracy < 0.2)": ", ".join(untrained) or "none",
            },
            figures={
                "learning_rates": figure_of(plot_learning_rates(
                    self.curves(), steps_per_epoch=self.steps_per_epoch,
                    title=f"Five decays over the same {self.total_steps} updates")),
                "schedule_runs": plot_schedule_runs(
                    {n: r.step_rates for n, r in runs.items()}, {n: r.epoch_loss for n, r in runs.items()},
                    steps_per_epoch=self.steps_per_epoch,
                    title=f"MLP on {settings['n_train']:,} MNIST images, SGD, {self.total_steps} updates"),
            },
            details={
                "epoch_loss": {n: r.epoch_loss for n, r in runs.items()},
                "epoch_rates": {n: r.epoch_rates for n, r in runs.items()},
                "updates": self.total_steps, "settings": settings,
            },
        )


def compare_schedules(
    names: Sequence[str] | None = None,
    *,
    budget: ScheduleBudget | None = None,
    n_test: int = 10_000,
    hidden: Sequence[int] = (128,),
    seed: int = 0,
    progress: bool = True,
) -> ScheduleComparison:
    """Train the same MLP with plain SGD under each plan for the learning rate, on the same budget.

    The plans are those of :meth:`ScheduleBudget.plans`: two constant rates
    around the peak (``0.3``, ``3.0``), the peak held constant, and the five
    decays of :func:`book_schedules`, all over the budget's updates. Every run
    starts from the same weights (``seed``) and sees the same batches, so runs
    differ only in the rates they used.

    Args:
        names: the plans to train, by name (default: all eight, in the book's order).
        budget: the shared budget (default :class:`ScheduleBudget`'s: 4,000 images,
            10 epochs of batches of 64, peak 1.0).
        n_test: test images the accuracy is measured on (the first ``n_test``).
        hidden: hidden layer sizes of the MLP.
        seed: initial weights, batch order and the subset.
        progress: show a progress bar over the plans.

    Returns:
        A :class:`ScheduleComparison`.

    Raises:
        ValueError: an unknown plan name, a bad size or ``seed``, before any training.

    Example::

        >>> result = compare_schedules(["constant 0.3", "linear"], budget=ScheduleBudget(n_train=256, epochs=2),
        ...                            n_test=500, progress=False)
        >>> len(result.runs["linear"].step_rates) == result.total_steps == 8
        True
    """
    budget = ScheduleBudget() if budget is None else budget
    if not isinstance(budget, ScheduleBudget):
        raise ValueError(f"budget must be a ScheduleBudget, got {budget!r}")
    n_test = check_int("n_test", n_test, maximum=10_000)
    hidden = check_sizes("hidden", hidden)
    check_int("seed", seed, minimum=0)
    plan = budget.plans()
    chosen = list(plan) if names is None else list(names)
    unknown = [n for n in chosen if n not in plan]
    if unknown or not chosen:
        raise ValueError(f"names must be plans among {list(plan)}, got {unknown or chosen}")
    x, y = data.train_subset(budget.n_train, seed=seed)
    mnist = data.load_mnist()
    x_test, y_test = mnist.x_test[:n_test], mnist.y_test[:n_test]
    runs = {
        name: train_with_schedule(plan[name], x, y, x_test, y_test, epochs=budget.epochs,
                                  batch_size=budget.batch_size, hidden=hidden, seed=seed)
        for name in runtime.progress(chosen, "schedules", enabled=progress)
    }
    settings = dict(n_train=budget.n_train, n_test=n_test, epochs=budget.epochs, batch_size=budget.batch_size,
                    peak=budget.peak, hidden=list(hidden), seed=seed)
    return ScheduleComparison(runs, {n: plan[n] for n in chosen}, budget, settings)


#: ``dltips run schedules --quick``: tiny sizes, seconds.
QUICK = dict(n_train=256, epochs=2)


def command(options: RunOptions) -> ExperimentResult:
    """``dltips run schedules``: :func:`compare_schedules` with the book's defaults, reported."""
    return compare_schedules(budget=ScheduleBudget(**options.sizes(QUICK)), n_test=1000 if options.quick else 10_000,
                             seed=options.seed).report()
