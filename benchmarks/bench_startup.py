"""Start-up costs: ``import dltips`` in a fresh interpreter, and ``load_mnist()`` from the local file.

Each figure is the median of 7 runs with the interval of that median (no targets here).
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from benchmarks.common import timed
from benchmarks.stats import abba_order, summarize


def _fresh_python(code: str) -> float:
    return timed(lambda: subprocess.run([sys.executable, "-c", code], check=True, capture_output=True))


def run(quick: bool = False) -> dict[str, Any]:
    repeats = 2 if quick else 7
    code = {"a": "import dltips", "b": "pass"}
    import_cost = []
    for pair in abba_order(repeats):  # an empty interpreter's start beside each import, ABBA order
        seconds = {who: _fresh_python(code[who]) for who in pair}
        import_cost.append(seconds["a"] - seconds["b"])

    from dltips.data import _load_from_path_cached, load_mnist

    load_times = []
    for _ in range(repeats):
        _load_from_path_cached.cache_clear()  # measure the read from disk, not the in-process cache
        load_times.append(timed(load_mnist))
    cached = [timed(load_mnist) for _ in range(repeats)]
    return {
        "import_dltips": summarize(import_cost, "s", note="fresh interpreter, minus an empty interpreter's start"),
        "load_mnist_from_file": summarize(load_times, "s", note="read, validate, normalize the 70,000 images"),
        "load_mnist_cached": summarize(cached, "s", note="second call in the same process: validate skipped, copy + normalize"),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
