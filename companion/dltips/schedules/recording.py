"""The recorded schedule comparison over five seeds, read into types: :class:`SeedRecording`.

``python -m benchmarks.bench_schedule_seeds`` runs chapter 3's eight learning-rate
plans (:func:`~dltips.schedules.compare_schedules`, the book's budget) once per seed
and writes ``recordings/schedule_seeds.json``; the schedules page, the FAQ and the
conclusion read it through :meth:`SeedRecording.recorded`. Plain data: no TensorFlow.

Example::

    >>> seeds = SeedRecording.recorded()
    >>> seeds.seeds, seeds.total_steps, len(seeds.plans())
    ((0, 1, 2, 3, 4), 630, 8)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from dltips.recordings import Machine, recorded

__all__ = ["SeedRecording", "SeedRun"]


@dataclasses.dataclass(frozen=True)
class SeedRun:
    """One plan trained with one seed.

    Attributes:
        final_train_loss: the training loss after the last epoch.
        test_accuracy: on the test images.
        first_epoch_loss: the training loss after the first epoch (how a too-high rate shows).
        share_at_most_a_fifth_of_peak: the share of the updates made at a rate at most a
            fifth of the plan's peak.

    Example::

        >>> run = SeedRecording.recorded().runs[0]["constant 0.3"]
        >>> 0.9 < run.test_accuracy < 1
        True
    """

    final_train_loss: float
    test_accuracy: float
    first_epoch_loss: float
    share_at_most_a_fifth_of_peak: float


@dataclasses.dataclass(frozen=True)
class SeedRecording:
    """The eight plans, trained once per seed with the same budget (``recorded("schedule_seeds")``).

    Attributes:
        command: the command that recorded it.
        machine: where it ran (:class:`~dltips.recordings.Machine`).
        n_train, epochs, batch_size: the budget every plan shares.
        peak: the peak rate of the decaying plans.
        total_steps: the updates of each run.
        seeds: the seeds, in order.
        runs: seed → plan name → :class:`SeedRun`.
        wall_seconds, cpu_seconds: what the whole recording took.

    Example::

        >>> seeds = SeedRecording.recorded()
        >>> [round(r, 2) for r in seeds.ratio("exponential", "constant 0.3")][:2]
        [2.21, 2.53]
    """

    command: str
    machine: Machine
    n_train: int
    epochs: int
    batch_size: int
    peak: float
    total_steps: int
    seeds: tuple[int, ...]
    runs: dict[int, dict[str, SeedRun]]
    wall_seconds: float
    cpu_seconds: float

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SeedRecording:
        """Read the benchmark's JSON.

        Args:
            data: the recording, as ``recorded("schedule_seeds")`` returns it.

        Returns:
            The recording, typed.

        Raises:
            ValueError: a recording of another layout, or runs that do not match its seeds.
        """
        try:
            settings = data["settings"]
            runs = {int(seed): {name: SeedRun(**run) for name, run in plans.items()}
                    for seed, plans in data["runs"].items()}
            recording = cls(command=data["command"], machine=Machine.from_dict(data["machine"]),
                            n_train=settings["n_train"], epochs=settings["epochs"], batch_size=settings["batch_size"],
                            peak=settings["peak"], total_steps=settings["total_steps"], seeds=tuple(settings["seeds"]),
                            runs=runs, wall_seconds=data["run"]["wall_seconds"], cpu_seconds=data["run"]["cpu_seconds"])
        except (KeyError, TypeError) as error:
            raise ValueError(f"not a schedule-seeds recording: {error}") from None
        if tuple(recording.runs) != recording.seeds:
            raise ValueError(f"the recording's runs are for seeds {list(recording.runs)}, its settings say {recording.seeds}")
        return recording

    @classmethod
    def recorded(cls) -> SeedRecording:
        """The recording shipped with the package (``dltips.recorded("schedule_seeds")``)."""
        return cls.from_dict(recorded("schedule_seeds"))

    def plans(self) -> list[str]:
        """The plans' names, in the order they were trained."""
        return list(self.runs[self.seeds[0]])

    def ratio(self, plan: str, reference: str) -> list[float]:
        """Per seed: the final training loss of ``plan`` over that of ``reference``."""
        return [self.runs[s][plan].final_train_loss / self.runs[s][reference].final_train_loss for s in self.seeds]

    def best(self) -> list[str]:
        """Per seed: the plan with the best test accuracy."""
        return [max(self.runs[s], key=lambda name: self.runs[s][name].test_accuracy) for s in self.seeds]
