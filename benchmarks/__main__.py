"""Run the benchmarks and record their figures: ``python -m benchmarks [--quick] [--only a,b] [--out FILE]``.

Writes one JSON file (default ``companion/dltips/recordings/latest.json``: the package's data,
which ship with ``dltips`` and which ``dltips.recorded("latest")`` reads) with the machine
description, package versions, the date and, per benchmark, every figure with its unit, median,
interval and, where it has a target, its verdict (see ``benchmarks/stats.py``); ``calibration``
lists, per section and clock, whether the path raced against itself came out even, and
``too_noisy`` the ones that did not (their verdicts read "too noisy"). A full (not ``--quick``)
run also writes each benchmark's own ``<name>.json`` beside it, which the chapters read
(``dltips.recorded(name)``); a ``--quick`` check writes only the file given with ``--out``.
A full run takes about an hour on a quiet 2-core machine, longer on a busy one.
With ``--only``, the other sections already in the file are kept, so one benchmark can be
re-run without repeating the others.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

from benchmarks.common import machine, recording_path
from dltips.recordings import is_calibration

SECTIONS = ("startup", "book", "overhead", "descent", "parallel", "distillation")
DEFAULT_OUT = recording_path("latest")


def calibrations(results: dict) -> tuple[dict[str, dict[str, bool]], list[str]]:
    """Per section and clock, whether its calibration race passed; and the ``section clock`` pairs that failed."""
    passed: dict[str, dict[str, bool]] = {}
    for section, figures in results.items():
        for fig in (figures.values() if isinstance(figures, dict) else []):
            if is_calibration(fig):
                passed.setdefault(section, {})[fig.get("clock", "wall")] = bool(fig["passed"])
    return passed, [f"{s} {clock}" for s, clocks in passed.items() for clock, ok in clocks.items() if not ok]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes and few repeats: checks that everything runs; records nothing without --out")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {', '.join(SECTIONS)}")
    parser.add_argument("--out", type=Path, default=None, help=f"JSON file to write (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown or not chosen:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {', '.join(SECTIONS)}")
    # The recordings ship with the package and the book shows them: a quick check never replaces them.
    out = args.out if args.out is not None or args.quick else DEFAULT_OUT

    report = json.loads(out.read_text()) if out and out.exists() and args.only != parser.get_default("only") else {}
    report.setdefault("results", {})
    report["machine"] = machine()
    report["quick"] = args.quick
    for name in chosen:
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        module = importlib.import_module(f"benchmarks.bench_{name}")
        report["results"][name] = module.run(quick=args.quick)
        report.setdefault("durations_s", {})[name] = round(time.perf_counter() - start, 1)
        report["calibration"], report["too_noisy"] = calibrations(report["results"])
        if out is None:
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        if not args.quick:  # the chapters read a section's own file (e.g. parallel.json); quick runs never replace it
            (out.parent / f"{name}.json").write_text(json.dumps(report["results"][name], indent=1) + "\n")
        out.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")  # after each, in case a later one fails
    print(f"wrote {out}" if out else "a quick check: nothing recorded (--out FILE keeps its figures)")
    return 0

if __name__ == "__main__":
    sys.exit(main())
