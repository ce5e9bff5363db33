"""Knowledge distillation at (closer to) paper size: everything trained on all 60,000 images.

Hinton, Vinyals and Dean (2015) train a 2×1200 ReLU teacher with dropout and a small
student on all of MNIST and report test errors out of 10,000 (teacher 67, small net
146, distilled small net 74). This benchmark runs :func:`dltips.distillation.distillation_experiment`
in that setting (the paper's teacher, the students on all 60,000 images, longer
training) and writes the result to ``companion/dltips/recordings/distillation.json``; the book
shows the recorded numbers (``dltips.recorded("distillation")``). It takes about 15 minutes of CPU time on two cores::

    python -m benchmarks.bench_distillation          # full run, writes the JSON file
    python -m benchmarks.bench_distillation --quick  # a smoke test in well under a minute
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from typing import Any

from benchmarks.common import recording_path

RESULTS = recording_path("distillation")

FULL = dict(
    teacher_hidden=(1200, 1200),
    teacher_dropout=0.5,
    teacher_epochs=12,
    teacher_train_size=None,
    student_hidden=(64, 64),
    student_epochs=20,
    student_train_size=None,
    alpha=0.1,
    temperature=4.0,
    sweep_temperatures=(1, 2, 4, 8, 20),
    batch_size=128,
    timing_repeats=5,
)

QUICK = dict(
    teacher_hidden=(256, 256),
    teacher_dropout=0.3,
    teacher_epochs=1,
    teacher_train_size=2_000,
    student_hidden=(16, 16),
    student_epochs=2,
    student_train_size=1_000,
    alpha=0.1,
    temperature=4.0,
    sweep_temperatures=(1, 20),
    batch_size=128,
    timing_repeats=2,
)


def run(quick: bool = False) -> dict[str, Any]:
    """Run the benchmark and return its result as plain data (see ``DistillationResult.to_dict``).

    ``quick=True`` runs tiny models on a few thousand images, to check that the
    benchmark works, not to measure anything.
    """
    import dltips

    dltips.configure(seed=0)
    from dltips.distillation import distillation_experiment

    wall, cpu = time.perf_counter(), time.process_time()
    result = distillation_experiment(**(QUICK if quick else FULL), seed=0)
    out = result.to_dict()
    out["run"] = {
        "quick": quick,
        "wall_seconds": round(time.perf_counter() - wall, 1),
        "cpu_seconds": round(time.process_time() - cpu, 1),
        "machine": f"{platform.machine()}, {_cpu_count()} CPU cores, Python {platform.python_version()}",
        "versions": _versions(),
        "command": "python -m benchmarks.bench_distillation" + (" --quick" if quick else ""),
    }
    return out


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _versions() -> dict[str, str]:
    import keras
    import tensorflow as tf

    return {"tensorflow": tf.__version__, "keras": keras.__version__}


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
    print({k: v["errors"] for k, v in out["reports"].items()}, "sweep", out["sweep"])


if __name__ == "__main__":
    main()
