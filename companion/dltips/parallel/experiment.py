"""The parallel-SGD experiment: synchronous training on 1 and 2 worker processes, measured and projected.

:func:`scaling_experiment` is the experiment of ``dltips run parallel``
(``command``) and of the benchmarks; its defaults are the book's settings: a
model large enough for its compute to outweigh the all-reduce on two cores,
one thread per worker (a worker stands for one machine), the first steps left
out of the throughput (they trace the graph). The cost model fitted to the two
measured points then projects the throughput to more workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dltips import costs, data, runtime
from dltips.checks import check_int, check_sizes
from dltips.experiments import ExperimentResult, RunOptions
from dltips.parallel import common, cost_model, multiworker
from dltips.parallel.figures import plot_scaling

__all__ = ["ScalingResult", "scaling_experiment"]


@dataclass
class ScalingResult:
    """What :func:`scaling_experiment` measured and projected.

    Args:
        jobs: number of workers → the finished job (weights, losses, throughput).
        label: the model's name, e.g. ``"MLP 784-1024-1024-10"``.
        gradient_bytes: bytes all-reduced per step (float32 gradients).
        link: the network fitted to the measured runs (this machine's loopback).
        compute_seconds: the fitted compute time of one step on one worker.
        projection: ``(workers, scaling)`` → the cost model's projection on 10 Gb/s Ethernet.
        settings: the arguments of the run.

    Example::

        >>> import numpy as np
        >>> from dltips.parallel import cost_model, multiworker
        >>> def job(rate: float) -> multiworker.LoopResult:
        ...     return multiworker.LoopResult([np.zeros(2)], [2.3, 1.9], 0, 2, 1, 1.0, rate)
        >>> result = ScalingResult({1: job(1000.0), 2: job(1800.0)}, "MLP", 4_000_000, cost_model.Network(1e8, 1e-4),
        ...                        0.05, {}, {"global_batch_size": 64})
        >>> result.measured, result.weight_difference
        ({1: 1000.0, 2: 1800.0}, 0.0)
    """

    jobs: dict[int, multiworker.LoopResult]
    label: str
    gradient_bytes: int
    link: cost_model.Network
    compute_seconds: float
    projection: dict[tuple[int, str], cost_model.Projection]
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def weight_difference(self) -> float:
        """Largest absolute difference between the weights trained by 2 workers and by 1."""
        return multiworker.max_abs_difference(self.jobs[2].weights, self.jobs[1].weights)

    @property
    def measured(self) -> dict[int, float]:
        """Workers → examples per second measured."""
        return {w: job.examples_per_second for w, job in self.jobs.items()}

    def projected(self, workers: Sequence[int], network: cost_model.Network = cost_model.ETHERNET_10G) -> dict[int, float]:
        """Workers → examples per second the cost model projects on ``network``."""
        batch = self.settings["global_batch_size"]
        return {w: cost_model.throughput(w, batch, self.compute_seconds, self.gradient_bytes, network) for w in workers}

    def table(self) -> list[dict[str, Any]]:
        """One row per job: workers, replicas, steps, final loss, throughput and CPU time."""
        return [
            {"workers": w, "replicas": job.num_replicas, "steps": job.final_step, "final loss": job.losses[-1],
             "examples/s": job.examples_per_second, "CPU s (all workers)": job.cpu_seconds}
            for w, job in self.jobs.items()
        ]

    def report(self) -> ExperimentResult:
        """What ``dltips run parallel`` prints and saves: the table, the speed-up, the cost model's projection."""
        settings, label, measured = self.settings, self.label, self.measured
        fitted = {w: cost_model.throughput(w, settings["global_batch_size"], self.compute_seconds,
                                           self.gradient_bytes, self.link) for w in (1, 2)}
        return ExperimentResult(
            description=f"{label}, plain SGD on {settings['n']:,} MNIST images, global batch "
            f"{settings['global_batch_size']}, {settings['steps']} steps, "
            "MultiWorkerMirroredStrategy with 1 and 2 local worker processes (one thread each)",
            table=self.table(),
            metrics={
                "largest weight difference, 2 workers vs 1": self.weight_difference,
                "throughput, 2 workers / 1 worker": measured[2] / measured[1],
                "fitted compute time of one step (s)": self.compute_seconds,
                **{f"projected efficiency, 64 workers on 10 Gb/s, {s} scaling": self.projection[64, s].efficiency
                   for s in cost_model.SCALINGS},
            },
            figures={"scaling": plot_scaling(
                {label: measured}, {label: self.projected([2**k for k in range(10)])}, fitted={label: fitted},
                projection_label="cost model, 10 Gb/s Ethernet", fitted_label="cost model, fitted here (loopback link)",
                title="Synchronous SGD: measured throughput (points) and cost-model projection (lines)")},
            details={
                "losses": {f"{w} worker(s)": job.losses for w, job in self.jobs.items()},
                "projection": [vars(p) for p in self.projection.values()],
                "fitted_link": {"bandwidth_bytes_per_s": self.link.bandwidth, "latency_s": self.link.latency},
                "gradient_bytes": self.gradient_bytes, "settings": settings,
            },
        )


def scaling_experiment(
    *,
    n: int = 8192,
    global_batch_size: int = 2048,
    hidden: Sequence[int] = (1024, 1024),
    epochs: int = 3,
    seed: int = 0,
    progress: bool = True,
) -> ScalingResult:
    """Train the same MLP with synchronous SGD on 1 and on 2 local worker processes; fit and project the cost model.

    Each worker is a process with one thread (standing for one machine) that
    runs ``MultiWorkerMirroredStrategy`` with a custom loop
    (:func:`dltips.parallel.multiworker.train_multiworker`, which ends every
    process it starts). Both jobs see the same global batches, so their weights
    agree to float precision; their throughputs give two points to which the
    cost model's compute time and link are fitted.

    Args:
        n: training images (a class-balanced subset).
        global_batch_size: examples per synchronous step, over all workers.
        hidden: hidden layer sizes of the MLP.
        epochs: passes over the ``n`` images.
        seed: initial weights and the subset.
        progress: show a progress bar over the two jobs.

    Returns:
        A :class:`ScalingResult`.

    Raises:
        ValueError: a bad size or ``seed``, before any worker starts.

    Example::

        >>> result = scaling_experiment(n=512, global_batch_size=64, hidden=(32,), epochs=1,
        ...                             progress=False)  # doctest: +SKIP
        >>> result.weight_difference < 1e-5  # doctest: +SKIP
        True
    """
    n = check_int("n", n, minimum=2)
    global_batch_size = check_int("global_batch_size", global_batch_size, minimum=2, maximum=n)
    epochs = check_int("epochs", epochs)
    hidden = check_sizes("hidden", hidden)
    check_int("seed", seed, minimum=0)
    steps = epochs * (n // global_batch_size)
    warmup = min(2, steps - 1)  # the first steps trace the graph: left out of the throughput
    x, y = data.train_subset(n, seed=seed)
    label = f"MLP 784-{'-'.join(map(str, hidden))}-10"
    gradient_bytes = 4 * costs.count_params(common.build_model(hidden, x.shape[1:], seed))  # float32
    jobs = {}
    for workers in runtime.progress((1, 2), "parallel", enabled=progress,
                                    label=lambda w: f"{w} worker process{'es' if w > 1 else ''}"):
        jobs[workers] = multiworker.train_multiworker(
            x, y, num_workers=workers, steps=steps, global_batch_size=global_batch_size, hidden=hidden,
            seed=seed, warmup_steps=warmup, threads=1)
    rows = [{"model": label, "num_workers": w, "step_seconds": global_batch_size / job.examples_per_second,
             "gradient_bytes": gradient_bytes} for w, job in jobs.items()]
    link, compute = cost_model.fit_benchmark(rows)
    projection = {(p.num_workers, scaling): p for scaling in cost_model.SCALINGS for p in cost_model.project(
        label, compute[label], gradient_bytes, global_batch_size, cost_model.ETHERNET_10G, workers=(8, 64, 512),
        scaling=scaling)}
    settings = dict(n=n, global_batch_size=global_batch_size, hidden=list(hidden), epochs=epochs, steps=steps,
                    warmup_steps=warmup, seed=seed)
    return ScalingResult(jobs, label, gradient_bytes, link, compute[label], projection, settings)


#: ``dltips run parallel --quick``: tiny sizes, seconds.
QUICK = dict(n=512, global_batch_size=64, hidden=(32,), epochs=1)


def command(options: RunOptions) -> ExperimentResult:
    """``dltips run parallel``: :func:`scaling_experiment` with the book's defaults, reported."""
    return scaling_experiment(**options.sizes(QUICK), seed=options.seed).report()
