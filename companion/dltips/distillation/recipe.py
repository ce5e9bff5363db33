"""The settings of the paper-sized run, :class:`PaperRecipe`: Hinton et al.'s MNIST networks and T = 20.

Plain data, without TensorFlow: the benchmark plans a run (:meth:`PaperRecipe.epochs_by_model`)
and the book reads a recording's settings back (:meth:`PaperDistillationResult.from_dict
<dltips.distillation.PaperDistillationResult.from_dict>`) in a second.
:func:`~dltips.distillation.paper_experiment` runs a recipe.

Default temperature: ``temperature = 20``, the paper's for its 2×800 student; the
compression student's is chosen from ``compact_temperatures`` on held-out images.

Example::

    >>> recipe = PaperRecipe.tiny(seeds=(0,))
    >>> recipe.temperature, recipe.student_hidden, recipe.seeds
    (20.0, (32, 32), (0,))
"""

from __future__ import annotations

import dataclasses
from typing import Any

from dltips import data as _data
from dltips.checks import check_int, check_number, check_numbers, check_rate, check_sizes

__all__ = ["PaperRecipe"]


@dataclasses.dataclass(frozen=True)
class PaperRecipe:
    """Every setting of :func:`~dltips.distillation.paper_experiment`, with the paper-sized defaults.

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

    Example::

        >>> PaperRecipe().teacher_hidden, PaperRecipe().temperature
        ((1200, 1200), 20.0)
        >>> PaperRecipe(alpha=1.5)
        Traceback (most recent call last):
        ...
        ValueError: alpha must be a number in [0.0, 1.0], got 1.5
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
    compact_hidden: tuple[int, ...] = (200, 200)
    compact_temperatures: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 20.0)
    compact_alphas: tuple[float, ...] = (0.1,)
    student_sweep: tuple[float, ...] = ()
    student_epochs: int = 60
    compact_epochs: int = 60
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
            object.__setattr__(self, name, check_sizes(name, getattr(self, name), allow_empty=False))
        check_rate("teacher_input_dropout", self.teacher_input_dropout)
        check_rate("teacher_dropout", self.teacher_dropout)
        check_int("max_shift", self.max_shift, minimum=0)
        for name in ("teacher_epochs", "student_epochs", "compact_epochs", "batch_size", "validation_size"):
            check_int(name, getattr(self, name))
        for name in ("teacher_learning_rate", "student_learning_rate", "temperature"):
            check_number(name, getattr(self, name), low=0.0, low_open=True)
        check_number("alpha", self.alpha, low=0.0, high=1.0, high_open=False)
        object.__setattr__(self, "compact_temperatures",
                           check_numbers("compact_temperatures", self.compact_temperatures, low=0.0, low_open=True))
        object.__setattr__(self, "compact_alphas",
                           check_numbers("compact_alphas", self.compact_alphas, low=0.0, high=1.0, high_open=False))
        sweep = self.student_sweep  # may be empty: no sweep
        empty = isinstance(sweep, (tuple, list)) and not sweep
        object.__setattr__(self, "student_sweep",
                           () if empty else check_numbers("student_sweep", sweep, low=0.0, low_open=True))
        seeds = check_sizes("seeds", self.seeds, minimum=0, allow_empty=False)
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds must be distinct integers >= 0, got {self.seeds!r}")
        object.__setattr__(self, "seeds", seeds)
        # a class-balanced subset: at most ten times the smallest class (5,421 fives)
        train_size = None if self.train_size is None else check_int("train_size", self.train_size, minimum=20,
                                                                    maximum=10 * 5421)
        n_train = _data.EXPECTED_SIZES["train"] if train_size is None else train_size
        if self.validation_size > n_train // 2:
            raise ValueError(
                f"validation_size must be at most half the training images ({n_train // 2}), got {self.validation_size!r}"
            )
        if self.test_size is not None:
            check_int("test_size", self.test_size, maximum=_data.EXPECTED_SIZES["test"])

    def epochs_by_model(self) -> dict[str, float]:
        """Epochs over all the training images that :func:`~dltips.distillation.paper_experiment` trains, per model size.

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
