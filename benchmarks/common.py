"""What every benchmark shares: repeated timing with medians and spread, and a machine description.

A *figure* is a dict ``{"value": median, "unit": ..., "spread": [min, max], "n": repeats}``;
ratios and targets are added by the benchmark that computes them. Timings are reported, never
asserted: the unit tests only check that the runner works.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from importlib import metadata
from typing import Any

Figure = dict[str, Any]


def figure(samples: list[float], unit: str, **extra: Any) -> Figure:
    """Summarize repeated measurements as median and [min, max]."""
    if not samples:
        raise ValueError("samples must hold at least one measurement")
    return {
        "value": statistics.median(samples),
        "unit": unit,
        "spread": [min(samples), max(samples)],
        "n": len(samples),
        **extra,
    }


def timed(fn: Callable[[], Any]) -> float:
    """Wall-clock seconds of one call of ``fn``."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def with_target(fig: Figure, *, at_most: float | None = None, at_least: float | None = None) -> Figure:
    """Attach a target to a figure and say whether its median meets it."""
    if at_most is not None:
        fig.update(target=f"<= {at_most:g} {fig['unit']}", met=bool(fig["value"] <= at_most))
    if at_least is not None:
        fig.update(target=f">= {at_least:g} {fig['unit']}", met=bool(fig["value"] >= at_least))
    return fig


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def machine() -> dict[str, Any]:
    """Where and with what the figures were measured."""
    try:
        import psutil

        memory_gib = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:  # pragma: no cover - psutil is a test dependency
        memory_gib = None
    cpu_model = platform.processor()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu_model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu_model)
    except OSError:
        pass
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "cpu": cpu_model,
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "python": sys.version.split()[0],
        "versions": {name: _version(name) for name in ("dltips", "tensorflow", "keras", "numpy", "jupyter-book")},
    }
