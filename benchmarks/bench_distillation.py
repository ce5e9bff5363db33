"""Knowledge distillation at the paper's size: Hinton, Vinyals and Dean's MNIST table, and the omitted digit.

Hinton, Vinyals and Dean (2015) train a 2×1200 ReLU teacher with dropout on all 60,000
MNIST images jittered by up to two pixels (67 test errors out of 10,000), a 2×800
student without regularization (146) and the same student distilled at T = 20 (74),
which recovers 91 % of the gap between the two. This benchmark runs that recipe
(:func:`dltips.distillation.paper.paper_experiment`, default :class:`PaperRecipe`),
each student once per seed, plus a compression student whose temperature and
soft-target weight are chosen on held-out training images, and the omitted-digit
experiment (:func:`dltips.distillation.omitted_digit.omitted_digit_experiment`). It writes the
result to ``companion/dltips/recordings/distillation.json``; the book shows the recorded
numbers (``dltips.recorded("distillation")``). It takes about an hour on two otherwise idle CPU cores (up to an hour and a
half when other work shares them)::

    python -m benchmarks.bench_distillation             # full run, writes the JSON file
    python -m benchmarks --only distillation            # the same, through the runner
    python -m benchmarks.bench_distillation --seeds 0,1 # two seeds per student instead of three
    python -m benchmarks.bench_distillation --quick     # a smoke test in under a minute, prints only
    python -m benchmarks.bench_distillation --quick --out /tmp/quick.json  # the smoke test's JSON, elsewhere
    python -m benchmarks.bench_distillation --plan      # epochs per model of the full run, trains nothing
    python -m benchmarks.bench_distillation --sweep     # the earlier, smaller run: a temperature sweep

``--sweep`` runs the book's earlier recording, kept for its temperature sweep: the chapter's
experiment (:func:`dltips.distillation.distillation_experiment`) with a 2×1200 teacher
trained 12 epochs without jitter and 2×64 students trained 20 epochs on all 60,000 images,
distilled at T = 1, 2, 4, 8 and 20 (about 11 minutes of CPU time); it writes
``companion/dltips/recordings/distillation_sweep.json``. A ``--quick`` run never writes either
recorded file: it prints its JSON, or writes it to the file ``--out`` names.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from benchmarks.common import machine, recording_path

RESULTS = recording_path("distillation")
SWEEP_RESULTS = recording_path("distillation_sweep")

#: ``--sweep``: the earlier recording's settings of :func:`dltips.distillation.distillation_experiment`.
SWEEP = dict(teacher_hidden=(1200, 1200), teacher_dropout=0.5, teacher_epochs=12, teacher_train_size=None,
             student_hidden=(64, 64), student_epochs=20, student_train_size=None, alpha=0.1, temperature=4.0,
             sweep_temperatures=(1, 2, 4, 8, 20), batch_size=128, timing_repeats=5)
#: ``--sweep --quick``: tiny sizes, to check that it runs.
SWEEP_QUICK = dict(teacher_hidden=(256, 256), teacher_dropout=0.3, teacher_epochs=1, teacher_train_size=2_000,
                   student_hidden=(16, 16), student_epochs=2, student_train_size=1_000, alpha=0.1, temperature=4.0,
                   sweep_temperatures=(1, 20), batch_size=128, timing_repeats=2)

#: The omitted-digit experiment: its defaults (under a minute), in both modes but smaller when quick.
OMITTED_QUICK = dict(train_size=1_000, validation_size=300, teacher_hidden=(64,), teacher_epochs=1,
                     student_hidden=(32,), student_epochs=2, test_size=1_000)


def recipe(quick: bool = False, seeds: tuple[int, ...] | None = None) -> Any:
    """The :class:`~dltips.distillation.recipe.PaperRecipe` the benchmark runs: the paper's sizes, or a tiny one."""
    from dltips.distillation import PaperRecipe

    chosen = PaperRecipe.tiny(seeds=(0,), compact_temperatures=(4.0,), test_size=1_000) if quick else PaperRecipe()
    return chosen if seeds is None else chosen.replace(seeds=tuple(seeds))


def run(quick: bool = False, seeds: tuple[int, ...] | None = None) -> dict[str, Any]:
    """Run the benchmark and return its result as plain data.

    The keys are those of :meth:`PaperDistillationResult.to_dict` (teacher, students with
    errors per seed and their spread, the validation grid and choice, targets, seconds
    per epoch), plus ``omitted_digit`` (:meth:`OmittedDigitResult.to_dict`) and ``run``
    (wall and CPU time, machine, load average, versions, command). ``quick=True`` runs
    tiny models on a few hundred images, to check that the benchmark works, not to
    measure anything.
    """
    import dltips

    dltips.configure(seed=0)
    from dltips.distillation import omitted_digit_experiment, paper_experiment

    load_before = _load_average()
    wall, cpu = time.perf_counter(), time.process_time()
    result = paper_experiment(recipe(quick, seeds), progress=True, timing_repeats=2 if quick else 5)
    out = result.to_dict()
    out["table"] = result.table().splitlines()
    omitted = omitted_digit_experiment(**(OMITTED_QUICK if quick else {}), seed=0)
    out["omitted_digit"] = omitted.to_dict()
    out["omitted_digit"]["table"] = omitted.table().splitlines()
    out["machine"] = machine()
    out["run"] = _run_record(quick, wall, cpu, load_before, "python -m benchmarks.bench_distillation"
                             + (" --quick" if quick else "")
                             + ("" if seeds is None else f" --seeds {','.join(map(str, seeds))}"))
    return out


def run_sweep(quick: bool = False) -> dict[str, Any]:
    """The earlier, smaller recording (:data:`SWEEP`): :meth:`DistillationResult.to_dict` plus ``run``."""
    import dltips

    dltips.configure(seed=0)
    from dltips.distillation import distillation_experiment

    load_before = _load_average()
    wall, cpu = time.perf_counter(), time.process_time()
    out = distillation_experiment(**(SWEEP_QUICK if quick else SWEEP), progress=True).to_dict()
    out["machine"] = machine()
    out["run"] = _run_record(quick, wall, cpu, load_before,
                             "python -m benchmarks.bench_distillation --sweep" + (" --quick" if quick else ""))
    return out


def _run_record(quick: bool, wall: float, cpu: float, load_before: list[float] | None, command: str) -> dict[str, Any]:
    return {
        "quick": quick,
        "wall_seconds": round(time.perf_counter() - wall, 1),
        "cpu_seconds": round(time.process_time() - cpu, 1),
        "load_average_before": load_before,
        "load_average_after": _load_average(),
        "command": command,
    }


#: Seconds per epoch over the 60,000 training images, measured on the book's 2-core machine
#: while other jobs kept about one core busy (an idle machine is faster), for :func:`plan`.
SECONDS_PER_EPOCH = {"teacher": 20.5, "paper student": 10.5, "compact student": 1.3}
#: Time outside the epochs: logits, scoring, inference timing, tracing, the omitted digit.
OTHER_SECONDS = 150


def plan(quick: bool = False, seeds: tuple[int, ...] | None = None) -> dict[str, Any]:
    """What the run trains (epochs per model size, over all training images) and how long that should take.

    Trains nothing; the projection multiplies by :data:`SECONDS_PER_EPOCH`.
    """
    import dltips

    dltips.configure(seed=0)
    chosen = recipe(quick, seeds)
    epochs = chosen.epochs_by_model()
    seconds = sum(n * SECONDS_PER_EPOCH[name] for name, n in epochs.items()) + OTHER_SECONDS
    return {"recipe": chosen.to_dict(), "epochs_by_model": epochs, "seconds_per_epoch": SECONDS_PER_EPOCH,
            "projected_minutes_on_a_busy_machine": round(seconds / 60, 1)}


def _seeds(text: str) -> tuple[int, ...]:
    try:
        seeds = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds must be comma-separated integers, got {text!r}") from None
    if not seeds:
        raise argparse.ArgumentTypeError("seeds must name at least one seed")
    return seeds


def _load_average() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (AttributeError, OSError):  # pragma: no cover - not on every platform
        return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a smoke test; prints its JSON (or writes it to --out), never the recorded files")
    parser.add_argument("--plan", action="store_true", help="print the epochs each model trains, and stop")
    parser.add_argument("--seeds", type=_seeds, default=None,
                        help="comma-separated seeds for the students (default: the recipe's 0,1,2)")
    parser.add_argument("--sweep", action="store_true",
                        help="the earlier, smaller run and its temperature sweep (writes distillation_sweep.json)")
    parser.add_argument("--out", type=Path, default=None,
                        help="the JSON file to write (default: the recording distillation.json, "
                             "distillation_sweep.json with --sweep; --quick: print)")
    args = parser.parse_args(argv)
    recorded = SWEEP_RESULTS if args.sweep else RESULTS
    if args.quick and args.out is not None and args.out.resolve() in (RESULTS.resolve(), SWEEP_RESULTS.resolve()):
        parser.error(f"--quick never writes the recorded {args.out.name}: name another file with --out")
    if args.sweep and (args.plan or args.seeds is not None):
        parser.error("--sweep runs one seed and has no plan: it takes neither --plan nor --seeds")
    if args.plan:
        print(json.dumps(plan(quick=args.quick, seeds=args.seeds), indent=1))
        return
    out = run_sweep(quick=args.quick) if args.sweep else run(quick=args.quick, seeds=args.seeds)
    text = json.dumps(out, indent=1)
    target = args.out if args.out is not None else (None if args.quick else recorded)
    if target is None:
        print(text)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {target}")
    if not args.sweep:
        print("\n".join(out["table"]))
        print("\n".join(out["omitted_digit"]["table"]))


if __name__ == "__main__":
    main()
