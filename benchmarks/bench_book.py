"""What the book costs: wall-clock time and peak memory to execute each chapter notebook.

Each notebook is executed by ``jupyter nbconvert --execute`` in a child process, exactly as a
reader's laptop would run it top to bottom; ``os.wait4`` gives the peak resident memory of the
largest process in that tree (the kernel). The whole book costs the sum of its chapters, plus the
rendering, measured separately with ``jupyter-book build`` once the execution cache is warm.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import figure, with_target

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("0*.ipynb"))
TARGET_S = {"03_algorithms": 7 * 60}
DEFAULT_TARGET_S = 2 * 60
TARGET_BOOK_S = 15 * 60
TARGET_RSS_GIB = 3.0


def execute(notebook: Path, timeout: int = 1800) -> tuple[float, float]:
    """Execute one notebook in a child process; return (wall seconds, peak RSS in GiB)."""
    bindir = Path(sys.executable).parent
    jupyter = bindir / "jupyter"
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [str(jupyter), "nbconvert", "--to", "notebook", "--execute", f"--ExecutePreprocessor.timeout={timeout}",
               "--output-dir", tmp, "--log-level=ERROR", str(notebook)]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=notebook.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{notebook.name} failed to execute:\n{stderr[-2000:]}")
    return wall, usage.ru_maxrss / 2**20  # ru_maxrss is in KiB on Linux


def run(quick: bool = False) -> dict[str, Any]:
    chapters = CHAPTERS[:1] if quick else CHAPTERS
    result: dict[str, Any] = {}
    total = 0.0
    for nb in chapters:
        print(f"executing {nb.name} ...", flush=True)
        wall, rss = execute(nb)
        total += wall
        result[f"{nb.stem}_time"] = with_target(figure([wall], "s"), at_most=TARGET_S.get(nb.stem, DEFAULT_TARGET_S))
        result[f"{nb.stem}_peak_rss"] = with_target(figure([rss], "GiB"), at_most=TARGET_RSS_GIB)
        print(f"  {wall:.0f} s, peak {rss:.2f} GiB", flush=True)
    if not quick:
        result["book_execution_time"] = with_target(
            figure([total], "s", note="sum of the chapters, executed one after another as the build does"),
            at_most=TARGET_BOOK_S,
        )
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
