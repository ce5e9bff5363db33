"""The learning-rate experiment of chapter 3 under several seeds: do its claims hold beyond seed 0?

Chapter 3 trains the same MLP under eight learning-rate plans on one budget
(:func:`dltips.schedules.compare_schedules`, the book's defaults) with seed 0, and
checks its claims on that run. This script runs the same experiment, unchanged,
for seeds 0 to 4 (each seed draws its own 4,000-image subset, initial weights and
batch order) and records, per seed and plan, the final training loss, the test
accuracy and the share of updates made at a fifth of the peak rate or less. The
chapter reads the recording and checks every claim on every seed. About 10
minutes of CPU time on two cores::

    python -m benchmarks.bench_schedule_seeds          # records companion/dltips/recordings/schedule_seeds.json
    python -m benchmarks.bench_schedule_seeds --quick  # two seeds at tiny sizes; prints, writes nothing
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from benchmarks.common import machine, recording_path

RESULTS = recording_path("schedule_seeds")
SEEDS = (0, 1, 2, 3, 4)
QUICK_SEEDS = (0, 1)


def run(quick: bool = False) -> dict[str, Any]:
    """Run the experiment for every seed; returns plain data (the recording)."""
    import numpy as np

    import dltips

    dltips.configure(seed=0)
    from dltips.schedules import ScheduleBudget, compare_schedules

    budget = ScheduleBudget(n_train=256, epochs=2) if quick else ScheduleBudget()
    seeds = QUICK_SEEDS if quick else SEEDS
    wall, cpu = time.perf_counter(), time.process_time()
    runs: dict[str, dict[str, dict[str, float]]] = {}
    for seed in seeds:
        print(f"seed {seed}: training {len(budget.plans())} plans ...", flush=True)
        result = compare_schedules(budget=budget, n_test=1000 if quick else 10_000, seed=seed, progress=False)
        runs[str(seed)] = {
            name: {
                "final_train_loss": run.final_train_loss,
                "test_accuracy": run.test_accuracy,
                "first_epoch_loss": float(run.epoch_loss[0]),
                "share_at_most_a_fifth_of_peak": float(np.mean(run.step_rates <= 0.2 * budget.peak)),
            }
            for name, run in result.runs.items()
        }
    return {
        "benchmark": "bench_schedule_seeds",
        "command": "python -m benchmarks.bench_schedule_seeds" + (" --quick" if quick else ""),
        "settings": {"n_train": budget.n_train, "epochs": budget.epochs, "batch_size": budget.batch_size,
                     "peak": budget.peak, "total_steps": budget.total_steps, "seeds": list(seeds)},
        "runs": runs,
        "run": {
            "wall_seconds": round(time.perf_counter() - wall, 1),
            "cpu_seconds": round(time.process_time() - cpu, 1),
        },
        "machine": machine(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke test; prints, does not write the results file")
    args = parser.parse_args(argv)
    out = run(quick=args.quick)
    text = json.dumps(out, indent=1)
    if args.quick:
        print(text)
        return
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
