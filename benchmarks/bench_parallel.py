"""Throughput of synchronous multi-worker SGD with 1 and 2 workers, one core each, at two model sizes.

Each job starts its workers with ``python -m dltips.parallel.worker``
(``MultiWorkerMirroredStrategy``, ring all-reduce over gRPC on localhost), every
worker limited to one intra-op and one inter-op thread, so that a worker is one
core of the machine. The global batch is fixed (strong scaling): with 2 workers
each computes half of it. The first steps (graph tracing) are not timed: a job's
clock is the chief's wall time over its timed steps.

For each model, jobs of 1 and 2 workers race in rounds in ABBA order (see
:mod:`benchmarks.stats`); the speed-up of a round is its 2-worker throughput over
its 1-worker throughput, and a model's speed-up is the median over rounds with a
95 % bootstrap interval. The target (2 workers at least 1.6 times as fast as 1
on the large model) is judged by that interval: met, missed or undecided. A
calibration race of the large model's 1-worker job against itself comes first;
if its interval does not hold 1.0, the verdict is ``too noisy``. Speed-up is a
wall-clock matter, so only wall time is judged here; the workers' CPU seconds
are recorded beside it. Rounds, each added until the interval is narrower than
5 % or the time budget is spent: 12 or more (300 s) for the calibration, after
one untimed pair, 8 or more (240 s) for the large model, and 4 for the small one,
which has no target; about 12 minutes in all. (With 8 calibration rounds and no
warm-up, one run's calibration came out at 1.06 [1.01, 1.15]: a bootstrap
interval over so few rounds is too narrow, and the run was too noisy to judge.)

Run ``python benchmarks/bench_parallel.py`` (``--quick`` for a short check that
writes nothing unless ``--out`` is given) on an otherwise idle machine with at
least two cores; it writes ``companion/dltips/recordings/parallel.json``, which the book reads
(``dltips.recorded("parallel")``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "companion"))  # the checkout's dltips, installed or not
sys.path.insert(0, str(ROOT))  # benchmarks.*, when run as a script

from benchmarks import stats  # noqa: E402
from benchmarks.common import Clocks, calibration_figures, describe_race, machine, race, recording_path  # noqa: E402
from dltips.parallel import common, launcher  # noqa: E402
from dltips.parallel.multiworker import worker_args  # noqa: E402

RESULTS = recording_path("parallel")
SMALL = "small (MLP 784-128-10)"
LARGE = "large (MLP 784-1024-1024-10)"
MODELS = {  # name: hidden layer sizes of the MLP on 28×28 inputs
    SMALL: (128,),
    LARGE: (1024, 1024),
}
GLOBAL_BATCH = 4096
WORKERS = (1, 2)
TARGET = 1.6
FULL = {"steps": 20, "warmup": 3, "calibration": dict(min_rounds=12, budget_s=300.0),
        LARGE: dict(min_rounds=8, budget_s=240.0), SMALL: dict(min_rounds=4, max_rounds=4)}
QUICK = {"steps": 5, "warmup": 2, "calibration": dict(min_rounds=2, max_rounds=2),
         LARGE: dict(min_rounds=2, max_rounds=2), SMALL: dict(min_rounds=2, max_rounds=2)}


def mlp_parameters(hidden: tuple[int, ...], inputs: int = 784, classes: int = 10) -> int:
    sizes = (inputs, *hidden, classes)
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def measure(hidden: tuple[int, ...], num_workers: int, data: Path, work: Path, steps: int, warmup: int) -> dict:
    """One job: examples/s of the chief (timed steps only), CPU seconds of all workers together."""
    out = work / f"{'-'.join(map(str, hidden))}-{num_workers}"
    args = worker_args(str(data), out, steps=warmup + steps, global_batch_size=GLOBAL_BATCH, learning_rate=0.01,
                       hidden=hidden, warmup_steps=warmup, threads=1, log_every=10**6)
    start = time.perf_counter()
    launcher.launch_workers(args, num_workers, timeout=900, log_dir=out)
    wall = time.perf_counter() - start
    reports = [common.read_json(out / f"result-{i}.json") for i in range(num_workers)]
    return {
        "num_workers": num_workers,
        "examples_per_second": reports[0]["examples_per_second"],
        "step_seconds": reports[0]["seconds"] / steps,
        "timed_steps": steps,
        "job_wall_seconds": wall,
        "workers_cpu_seconds": sum(r["cpu_seconds"] for r in reports),
        # CPU time per timed step of the chief: close to its step time when the worker had its core to itself.
        "chief_cpu_seconds_per_step": reports[0]["loop_cpu_seconds"] / steps,
    }


def run(quick: bool = False) -> dict:
    """Race 1 against 2 workers for every model, after a calibration race; returns the results (also what ``__main__`` writes)."""
    plan = QUICK if quick else FULL
    steps, warmup = plan["steps"], plan["warmup"]
    load_before = os.getloadavg()
    jobs: dict[tuple[str, int], list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-parallel-") as tmp:
        work = Path(tmp)
        rng = np.random.default_rng(0)
        # Throughput does not depend on the pixel values: random images avoid needing MNIST.
        data = common.save_arrays(work / "data.npz", rng.random((4 * GLOBAL_BATCH, 28, 28), dtype=np.float32),
                                  rng.integers(0, 10, 4 * GLOBAL_BATCH))

        def job(name: str, num_workers: int, record: bool = True) -> Callable[[], Clocks]:
            def run_job() -> Clocks:
                row = measure(MODELS[name], num_workers, data, work, steps, warmup)
                if record:
                    jobs.setdefault((name, num_workers), []).append(row)
                return {"wall": row["step_seconds"] * steps}

            return run_job

        print(f"calibration ({LARGE}, 1 worker against itself): racing ...", flush=True)
        # One untimed pair first: the first jobs of a run start on a cold machine (file cache, clock speed).
        cal = race(job(LARGE, 1, record=False), job(LARGE, 1, record=False), warmup=1, clocks=("wall",),
                   **plan["calibration"])
        calibration = calibration_figures("calibration", cal, clocks=("wall",),
                                          contenders=f"{LARGE}, a 1-worker job against itself")
        print(describe_race("calibration", calibration), flush=True)
        calibrated = calibration["calibration_ratio_wall"]["passed"]
        speedups = {}
        for name in (LARGE, SMALL):
            print(f"{name}, 2 workers against 1: racing ...", flush=True)
            outcome = race(job(name, 2), job(name, 1), warmup=0, clocks=("wall",), **plan[name])
            speedups[name] = stats.summarize(
                outcome.throughput_ratios("wall"), "ratio", clock="wall", stopped=outcome.stopped,
                **({"at_least": TARGET, "calibrated": calibrated} if name == LARGE else {}),
            )
            print(describe_race(name, {"speedup": speedups[name]}), flush=True)
    rows = []
    for name, hidden in MODELS.items():
        for n in WORKERS:
            rows.append(summarize_jobs(jobs[(name, n)], hidden) | {"model": name})
    large = speedups[LARGE]
    return {
        "benchmark": "bench_parallel",
        "command": "python benchmarks/bench_parallel.py" + (" --quick" if quick else ""),
        "quick": quick,
        "machine": machine(),
        "load_average_before": list(load_before),
        "load_average_after": list(os.getloadavg()),
        "global_batch_size": GLOBAL_BATCH,
        "threads_per_worker": 1,
        "timed_steps": steps,
        "results": rows,
        "jobs": {f"{name}, {n} worker{'s' if n > 1 else ''}": runs for (name, n), runs in jobs.items()},
        "speedup_2_workers": {name: fig["value"] for name, fig in speedups.items()},
        "speedup_figures": speedups,
        "calibration": calibration["calibration_ratio_wall"],
        "target": f"2 workers >= {TARGET:g}x the throughput of 1 for the large model",
        "verdict": large["verdict"],
        "target_met": large["verdict"] == "met",
    }


def summarize_jobs(runs: list[dict], hidden: tuple[int, ...]) -> dict:
    """One row of the table: medians over the rounds' jobs of one model and worker count, with the interval of examples/s."""
    rate = stats.summarize([r["examples_per_second"] for r in runs], "examples/s")
    parameters = mlp_parameters(hidden)
    # The step time the median throughput implies (not the median of step times: with an even
    # number of rounds the two medians are means of different pairs), so that a cost model fitted
    # to step times reproduces the recorded throughputs.
    return {
        "num_workers": runs[0]["num_workers"],
        "examples_per_second": rate["value"],
        "examples_per_second_interval": rate["interval"],
        "rounds": len(runs),
        "step_seconds": GLOBAL_BATCH / rate["value"],
        "timed_steps": runs[0]["timed_steps"],
        "job_wall_seconds": statistics.median(r["job_wall_seconds"] for r in runs),
        "workers_cpu_seconds": statistics.median(r["workers_cpu_seconds"] for r in runs),
        "chief_cpu_seconds_per_step": statistics.median(r["chief_cpu_seconds_per_step"] for r in runs),
        "hidden": list(hidden),
        "parameters": parameters,
        "gradient_bytes": 4 * parameters,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and rounds; writes only with --out")
    parser.add_argument("--out", default=None, help=f"JSON file to write (default: {RESULTS.relative_to(ROOT)})")
    options = parser.parse_args()
    if options.out is None and not options.quick:
        options.out = str(RESULTS)
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    outcome = run(quick=options.quick)
    outcome["benchmark_wall_seconds"] = time.perf_counter() - wall_start
    print(json.dumps(outcome["speedup_2_workers"], indent=1), outcome["verdict"])
    if options.out:
        Path(options.out).parent.mkdir(parents=True, exist_ok=True)
        Path(options.out).write_text(json.dumps(outcome, indent=1) + "\n", encoding="utf-8")
        print(f"written to {options.out}")
