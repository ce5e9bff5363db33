"""Read a benchmark run and print its verdicts: ``python -m benchmarks.report [FILE]``.

The tables, figure and closing note of the book's Performance page live in the package
(:mod:`dltips.recordings`), so that the page needs only ``dltips``; this module reads a run
(by default the recorded ``latest.json`` the package ships, or any file ``python -m
benchmarks --out FILE`` wrote) and prints what the page would conclude from it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.common import recording_path
from dltips import recordings


def load(path: str | Path | None = None) -> dict[str, Any]:
    """A benchmark run: the recorded ``latest`` by default (raises FileNotFoundError naming the command that makes one)."""
    if path is None:
        return recordings.recorded("latest")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: run `make bench` (python -m benchmarks --out {path}) first")
    return json.loads(path.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report", description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=None,
                        help=f"a run written by `python -m benchmarks` (default: the recorded {recording_path('latest').name})")
    args = parser.parse_args(argv)
    run = load(args.file)
    print(recordings.Machine.of(run).describe() + (" A --quick check, not a record." if run.get("quick") else ""))
    print(recordings.closing_note(run))
    missed = recordings.missed_targets(run)
    print("\n".join(["targets missed:", *missed]) if missed else "no target missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
