"""The recorded parallel benchmark, read into types: :class:`ParallelRecording` and its :class:`RecordedJob` rows.

``benchmarks/bench_parallel.py`` races jobs of 1 and 2 synchronous worker
processes on two models and writes ``recordings/parallel.json``; chapter 3's
page on parallel SGD, the FAQ, the conclusion and the Performance page read it
through :meth:`ParallelRecording.recorded`, never by raw keys. Plain data: no
TensorFlow.

Example::

    >>> bench = ParallelRecording.recorded()
    >>> bench.machine.cores, bench.global_batch_size, [job.num_workers for job in bench.jobs][:2]
    (2, 4096, [1, 2])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from dltips.parallel import cost_model
from dltips.recordings import Machine, interval_text, recorded
from dltips.tables import format_table

__all__ = ["ParallelRecording", "RecordedJob"]


@dataclasses.dataclass(frozen=True)
class RecordedJob:
    """One configuration of the benchmark: a model trained by ``num_workers`` workers, its medians over rounds.

    Attributes:
        model: the model's name, ``"large (MLP 784-1024-1024-10)"``.
        hidden: its hidden layers.
        parameters: its parameter count; ``gradient_bytes`` the float32 gradient all-reduced per step.
        gradient_bytes: bytes all-reduced per step.
        num_workers: worker processes (one thread each).
        examples_per_second: the median throughput over the configuration's jobs.
        examples_per_second_interval: the interval of that median.
        step_seconds: the step time the median throughput implies.
        rounds: the jobs the median is over.
        timed_steps: the steps timed in each job (the first, which trace the graph, are not).
        job_wall_seconds: the median wall time of a whole job, start-up included.
        workers_cpu_seconds: the CPU time of all its workers.
        chief_cpu_seconds_per_step: the chief's CPU time per step.

    Example::

        >>> job = ParallelRecording.recorded().jobs[0]
        >>> round(job.step_seconds * job.examples_per_second)  # one step: the global batch
        4096
    """

    model: str
    hidden: tuple[int, ...]
    parameters: int
    gradient_bytes: int
    num_workers: int
    examples_per_second: float
    examples_per_second_interval: tuple[float, float]
    step_seconds: float
    rounds: int
    timed_steps: int
    job_wall_seconds: float
    workers_cpu_seconds: float
    chief_cpu_seconds_per_step: float

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> RecordedJob:
        """Read one row of the recording's ``results``.

        Args:
            row: the row, as the benchmark wrote it.

        Returns:
            The job.

        Raises:
            ValueError: a row of another layout (a key missing or unknown).
        """
        names = [f.name for f in dataclasses.fields(cls)]
        if set(row) != set(names):
            raise ValueError(f"a parallel benchmark row has {', '.join(names)}; this one has {', '.join(row)}")
        return cls(**{**row, "hidden": tuple(row["hidden"]),
                      "examples_per_second_interval": tuple(row["examples_per_second_interval"])})


@dataclasses.dataclass(frozen=True)
class ParallelRecording:
    """The recorded race of 1 and 2 synchronous workers (``recorded("parallel")``).

    Attributes:
        command: the command that recorded it.
        quick: whether it was a ``--quick`` check (never the shipped recording).
        machine: where it ran (:class:`~dltips.recordings.Machine`).
        global_batch_size: the batch of one step, shared by the workers (strong scaling).
        threads_per_worker: threads each worker process was restricted to.
        timed_steps: steps timed per job.
        jobs: one :class:`RecordedJob` per model and number of workers.
        speedups: model → the speed-up of 2 workers over 1, a recorded figure (median,
            interval, target and verdict for the large model).
        calibration: the race of 1 worker against itself, whose interval must hold 1.
        target: the target, in words; ``verdict`` what the interval says of it.
        verdict: ``"met"``, ``"missed"`` or ``"undecided"``.
        load_average_before, load_average_after: the machine's load around the run.

    Example::

        >>> bench = ParallelRecording.recorded()
        >>> small, large = bench.models()
        >>> bench.speedup(small) < 1 < bench.speedup(large)
        True
    """

    command: str
    quick: bool
    machine: Machine
    global_batch_size: int
    threads_per_worker: int
    timed_steps: int
    jobs: tuple[RecordedJob, ...]
    speedups: dict[str, dict[str, Any]]
    calibration: dict[str, Any]
    target: str
    verdict: str
    load_average_before: tuple[float, ...] = ()
    load_average_after: tuple[float, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ParallelRecording:
        """Read the benchmark's JSON (``recorded("parallel")`` or ``recorded("latest")["results"]["parallel"]``).

        Args:
            data: the recording.

        Returns:
            The recording, typed.

        Raises:
            ValueError: a recording of another layout.
        """
        try:
            return cls(
                command=data["command"], quick=bool(data["quick"]), machine=Machine.from_dict(data["machine"]),
                global_batch_size=int(data["global_batch_size"]), threads_per_worker=int(data["threads_per_worker"]),
                timed_steps=int(data["timed_steps"]), jobs=tuple(RecordedJob.from_dict(r) for r in data["results"]),
                speedups=dict(data["speedup_figures"]), calibration=dict(data["calibration"]),
                target=data["target"], verdict=data["verdict"],
                load_average_before=tuple(data.get("load_average_before") or ()),
                load_average_after=tuple(data.get("load_average_after") or ()),
            )
        except KeyError as missing:
            raise ValueError(f"not a parallel benchmark recording: it has no {missing}") from None

    @classmethod
    def recorded(cls) -> ParallelRecording:
        """The recording shipped with the package (``dltips.recorded("parallel")``)."""
        return cls.from_dict(recorded("parallel"))

    def models(self) -> list[str]:
        """The models, smallest gradient first."""
        sizes = {job.model: job.gradient_bytes for job in self.jobs}
        return sorted(sizes, key=sizes.get)

    def speedup(self, model: str) -> float:
        """The median speed-up of 2 workers over 1 for ``model``."""
        return float(self.speedups[model]["value"])

    def throughput(self, model: str) -> dict[int, float]:
        """Workers → recorded examples per second, for ``model``."""
        return {job.num_workers: job.examples_per_second for job in self.jobs if job.model == model}

    def fit(self) -> tuple[cost_model.Network, dict[str, float]]:
        """The cost model fitted to the recorded points (:func:`~dltips.parallel.cost_model.fit_benchmark`).

        Returns:
            ``(the measuring machine's link, {model: compute seconds of one step})``.
        """
        return cost_model.fit_benchmark([dataclasses.asdict(job) for job in self.jobs])

    def table(self) -> str:
        """A Markdown table: throughput of 1 and 2 workers per model, and the speed-up with its interval."""
        rows = []
        for job in self.jobs:
            speedup = interval = ""
            if job.num_workers != 1:
                fig = self.speedups[job.model]
                speedup, interval = f"{fig['value']:.2f}×", interval_text(fig)
            rows.append([job.model, job.parameters, job.num_workers, round(job.examples_per_second), job.rounds,
                         speedup, interval])
        headers = ["model", "parameters", "workers", "examples/s (median)", "runs", "speed-up over 1 worker", "interval"]
        return format_table(rows, headers)
