"""What the book costs: wall-clock time and peak memory to execute each notebook of the book.

Each notebook is executed by ``jupyter nbconvert --execute`` in a child process, exactly as a
reader's laptop would run it top to bottom (the six chapters, their exercise solutions
included, then the conclusion and the Performance page); ``os.wait4`` gives the peak resident memory of the
largest process in that tree (the kernel) and the CPU time of the whole tree. The whole book
costs the sum of its chapters.

The book is executed 3 times (about 23 minutes), chapters in order, then in reverse order, then
in order again, so that a load that rises or falls during the runs weighs on every chapter alike.
Each chapter's time is the median of its runs; with 3 runs the interval of that median is the
fastest to the slowest run (which holds the median with 75 % confidence, see
:func:`benchmarks.stats.median_interval`), and each budget is judged by that interval: met,
missed or undecided.

The host's own speed drifts (a shared machine ran the unchanged chapters 1 and 2 in 62 s one
hour and 51 s the next), so before each run a fixed workload, :func:`host_probe`, is timed too:
``book_host_probe`` tells a reader whether a recording was made on a fast or a slow hour, and
``book_execution_time_in_probes`` (the book's time over the probe's, run by run) compares two
recordings with that drift taken out.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from benchmarks import stats

ROOT = Path(__file__).resolve().parents[1]
# Every page that executes, in reading order: the six chapters (chapter 3's five section pages after
# its chapter page), then the conclusion and this Performance page.
SECTIONS = ["regularization", "schedules", "descent", "parallel", "distillation"]
CHAPTERS = [*sorted((ROOT / "chapters").glob("0[12]*.ipynb")), ROOT / "chapters" / "03_algorithms.ipynb",
            *[ROOT / "chapters" / "03_algorithms" / f"{name}.ipynb" for name in SECTIONS],
            *sorted((ROOT / "chapters").glob("0[456]*.ipynb")), ROOT / "chapters" / "conclusion.ipynb",
            ROOT / "chapters" / "performance.ipynb"]
#: Chapter 3 is its chapter page and its five section pages: together at most 3 minutes.
CHAPTER_3 = ["03_algorithms", *SECTIONS]
TARGET_CHAPTER_3_S = 3 * 60
TARGET_S: dict[str, float] = {}
DEFAULT_TARGET_S = 2 * 60
TARGET_BOOK_S = 6 * 60  # the whole book, exercise solutions included
TARGET_RSS_GIB = 3.0
RUNS = 3


class Execution(NamedTuple):
    """The cost of executing one notebook."""

    wall_s: float
    peak_rss_gib: float
    cpu_s: float  # user + system time of the whole process tree (the kernel included)


def execute(notebook: Path, timeout: int = 1800) -> Execution:
    """Execute one notebook in a child process; return its wall seconds, peak RSS in GiB and CPU seconds."""
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
    # ru_maxrss is in KiB on Linux; the usage of a child counts its own waited-for children (the kernel)
    return Execution(wall, usage.ru_maxrss / 2**20, usage.ru_utime + usage.ru_stime)


def host_probe(rounds: int = 5) -> float:
    """Wall seconds of a fixed workload, the host's speed at the moment (lower is faster).

    The workload mixes what executing the book spends its time on: interpreted Python (a
    loop of 3 million additions) and dense float32 algebra on the machine's threads (64
    products of 512 x 512 matrices), each round the same; the figure is the median of ``rounds``.

    >>> 0 < host_probe(rounds=1) < 60
    True
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    a = np.random.default_rng(0).standard_normal((512, 512), dtype=np.float32)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        total = 0
        for i in range(3_000_000):
            total += i
        b = a
        for _ in range(64):
            b = np.tanh(b @ a / 512)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def run(quick: bool = False) -> dict[str, Any]:
    """Execute every chapter ``RUNS`` times (quick: the first chapter twice); figures with intervals and verdicts."""
    chapters = CHAPTERS[:1] if quick else CHAPTERS
    runs = 2 if quick else RUNS
    costs: dict[str, list[Execution]] = {nb.stem: [] for nb in chapters}
    totals, probes = [], []
    for r in range(runs):
        probes.append(host_probe())
        print(f"run {r + 1}/{runs}: host probe {probes[-1]:.3f} s", flush=True)
        total = 0.0
        for nb in chapters if r % 2 == 0 else chapters[::-1]:
            print(f"run {r + 1}/{runs}: executing {nb.name} ...", flush=True)
            cost = execute(nb)
            costs[nb.stem].append(cost)
            total += cost.wall_s
            print(f"  {cost.wall_s:.0f} s (CPU {cost.cpu_s:.0f} s), peak {cost.peak_rss_gib:.2f} GiB", flush=True)
        totals.append(total)
    result: dict[str, Any] = {}
    for stem, runs_of in costs.items():
        result[f"{stem}_time"] = stats.summarize([c.wall_s for c in runs_of], "s", at_most=TARGET_S.get(stem, DEFAULT_TARGET_S))
        result[f"{stem}_cpu"] = stats.summarize([c.cpu_s for c in runs_of], "s", note="CPU time of the kernel and nbconvert")
        result[f"{stem}_peak_rss"] = stats.summarize([c.peak_rss_gib for c in runs_of], "GiB", at_most=TARGET_RSS_GIB)
    if not quick:
        chapter_3 = [sum(costs[stem][r].wall_s for stem in CHAPTER_3) for r in range(runs)]
        result["chapter_3_time"] = stats.summarize(
            chapter_3, "s", at_most=TARGET_CHAPTER_3_S, note="chapter 3's page and its five section pages, run by run")
        result["book_execution_time"] = stats.summarize(
            totals, "s", at_most=TARGET_BOOK_S, note="sum of the chapters, executed one after another as the build does",
        )
        result["book_host_probe"] = stats.summarize(
            probes, "s", note="a fixed workload timed before each run: the host's speed (lower is faster)")
        result["book_execution_time_in_probes"] = stats.summarize(
            [t / p for t, p in zip(totals, probes)], "probes",
            note="the book's time over the host probe's, run by run: comparable across fast and slow hours")
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
