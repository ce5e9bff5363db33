"""What every benchmark shares: repeated timing, interleaved races, and a machine description.

A *figure* is a dict ``{"value": median, "unit": ..., "spread": [min, max], "n": repeats}``;
figures with a 95 % interval, a target and a verdict come from :func:`benchmarks.stats.summarize`.

:func:`race` runs two contenders in ABBA order after a warm-up, reading two clocks per run:
wall time and the process's CPU time (every thread of it: TensorFlow runs several). It keeps
adding rounds until every ratio's interval is narrower than 5 % or the race's time budget is
spent, so the number of rounds follows the spread the run observes. :func:`ratio_figures`
turns a race into figures with intervals and verdicts. Timings are reported, never asserted:
the unit tests check the runner and the statistics on synthetic timings.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import stats
from dltips.recordings import is_calibration

Figure = dict[str, Any]
Clocks = dict[str, float]
CLOCK_NAMES = {"cpu": "CPU time", "wall": "wall time"}
#: Where the recorded results go: the package's data in this checkout, so that they ship with
#: ``dltips`` and a chapter reads them with ``dltips.recorded(name)`` wherever it runs.
RECORDINGS = Path(__file__).resolve().parents[1] / "companion" / "dltips" / "recordings"


def recording_path(name: str) -> Path:
    """The file of the recording ``name`` (``dltips.recorded(name)`` reads it once the package is installed)."""
    return RECORDINGS / f"{name}.json"


def figure(samples: list[float], unit: str, **extra: Any) -> Figure:
    """Summarize repeated measurements as median and [min, max] (no interval: see :func:`benchmarks.stats.summarize`)."""
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


def clocked(fn: Callable[[], Any]) -> Callable[[], Clocks]:
    """Wrap ``fn`` so that each call returns ``{"wall": seconds, "cpu": process CPU seconds}``.

    CPU time is :func:`time.process_time`: the whole process, every thread, so it counts the
    work done and not the time spent waiting for a core that another program holds.
    """

    def run() -> Clocks:
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}

    return run


@dataclass
class Race:
    """The clock readings of a race: ``readings[who][clock]`` is one duration per round, ``who`` in ``a``, ``b``."""

    readings: dict[str, dict[str, list[float]]]
    rounds: int
    stopped: str  # "resolved" (every interval narrow enough), "budget" (time spent) or "rounds" (max_rounds reached)
    seconds: float
    order: list[str] = field(default_factory=list)  # who ran, in order: "abbaabba..."

    def throughput_ratios(self, clock: str) -> list[float]:
        """Per-round speed of A relative to B on ``clock``: B's seconds over A's (above 1: A is faster)."""
        return stats.paired_ratios(self.readings["b"][clock], self.readings["a"][clock])


def race(
    a: Callable[[], Clocks],
    b: Callable[[], Clocks],
    *,
    min_rounds: int,
    max_rounds: int | None = None,
    budget_s: float | None = None,
    clocks: Sequence[str] = ("wall", "cpu"),
    resolution: float = stats.RESOLUTION,
    warmup: int = 1,
    block: int = 4,
    progress: Callable[[Race], None] | None = None,
) -> Race:
    """Time two contenders in interleaved rounds (ABBA order) until their ratio is known to ``resolution``.

    ``a`` and ``b`` run once per round and return their clock readings (see :func:`clocked`; a
    contender may return clocks of its own, such as a training clock that leaves out set-up).
    ``warmup`` untimed runs of each come first: they trace every graph and warm TensorFlow's
    kernels, so no timed run includes tracing.

    Rounds are added ``block`` at a time (4 completes an A B B A A B B A pattern). After
    ``min_rounds``, the race stops as soon as the 95 % interval of the ratio on every clock in
    ``clocks`` is narrower than ``resolution`` (relative to the ratio), or when ``budget_s``
    seconds have gone by, or at ``max_rounds``. Stopping depends only on the width of the
    intervals, never on where they lie, so it cannot steer a verdict.
    """
    if min_rounds < 1 or (max_rounds is not None and max_rounds < min_rounds):
        raise ValueError(f"need 1 <= min_rounds <= max_rounds, got {min_rounds} and {max_rounds}")
    for _ in range(warmup):
        a(), b()
    contenders = {"a": a, "b": b}
    result = Race(readings={"a": {}, "b": {}}, rounds=0, stopped="rounds", seconds=0.0)
    start = time.perf_counter()
    limit = max_rounds if max_rounds is not None else sys.maxsize
    while result.rounds < limit:
        first, second = stats.abba_order(result.rounds + 1)[-1]
        for who in (first, second):
            for clock, seconds in contenders[who]().items():
                result.readings[who].setdefault(clock, []).append(seconds)
            result.order.append(who)
        result.rounds += 1
        result.seconds = time.perf_counter() - start
        if result.rounds < min_rounds or (result.rounds % block and result.rounds < limit):
            continue
        if progress is not None:
            progress(result)
        if all(stats.relative_width(result.throughput_ratios(c), resamples=2_000) < resolution for c in clocks):
            result.stopped = "resolved"
            break
        if budget_s is not None and result.seconds >= budget_s:
            result.stopped = "budget"
            break
    return result


def ratio_figures(
    name: str,
    result: Race,
    *,
    clocks: Sequence[str] = ("cpu", "wall"),
    at_least: float | None = None,
    calibration: dict[str, bool] | None = None,
    **extra: Any,
) -> dict[str, Figure]:
    """``{name}_ratio_{clock}`` figures (speed of A over B, per clock) with interval, target and verdict.

    ``calibration`` maps a clock to whether that clock's calibration race passed; a failed one
    turns the verdicts on that clock into ``too noisy``.
    """
    out = {}
    for clock in clocks:
        out[f"{name}_ratio_{clock}"] = stats.summarize(
            result.throughput_ratios(clock), "ratio", at_least=at_least,
            calibrated=None if calibration is None else calibration[clock],
            clock=clock, stopped=result.stopped, **extra,
        )
    return out


def calibration_figures(name: str, result: Race, *, clocks: Sequence[str] = ("cpu", "wall"), **extra: Any) -> dict[str, Figure]:
    """``{name}_ratio_{clock}`` figures of a path raced against itself, each with ``passed`` (interval holds 1.0)."""
    return {
        f"{name}_ratio_{clock}": stats.calibration(result.throughput_ratios(clock), clock=clock, stopped=result.stopped, **extra)
        for clock in clocks
    }


def calibration_passed(figures: dict[str, Figure]) -> dict[str, bool]:
    """Per clock, whether the calibration figures among ``figures`` passed."""
    return {fig["clock"]: bool(fig["passed"]) for fig in figures.values() if is_calibration(fig)}


def describe_race(name: str, figures: dict[str, Figure]) -> str:
    """One line for the console: each clock's ratio, interval and verdict."""
    parts = []
    for fig in figures.values():
        lo, hi = fig["interval"]
        verdict = ("passed" if fig["passed"] else "FAILED") if is_calibration(fig) else fig.get("verdict", "")
        parts.append(f"{CLOCK_NAMES.get(fig.get('clock'), '')} {fig['value']:.3f} [{lo:.3f}, {hi:.3f}] {verdict}")
    first = next(iter(figures.values()))
    return f"{name}: {'; '.join(parts)} ({first['n']} rounds, {first.get('stopped', '')})"


def epoch_clock() -> Any:
    """A Keras callback that reads wall and process CPU time at the start and end of each epoch.

    ``clock.reading`` holds the sums over the epochs of the last ``fit`` call. Pass it last in
    ``callbacks`` so that the other callbacks' work at the end of an epoch is counted.
    """
    import keras

    class EpochClock(keras.callbacks.Callback):
        def on_train_begin(self, logs: dict | None = None) -> None:
            self.reading = {"wall": 0.0, "cpu": 0.0}

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self._started = (time.perf_counter(), time.process_time())

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            self.reading["wall"] += time.perf_counter() - self._started[0]
            self.reading["cpu"] += time.process_time() - self._started[1]

    return EpochClock()


def load_average() -> float:
    """The 1-minute load average (0.0 where the system does not report one)."""
    try:
        return os.getloadavg()[0]
    except OSError:  # pragma: no cover - not on Linux
        return 0.0


def machine() -> dict[str, Any]:
    """Where and with what the figures were measured: :meth:`dltips.recordings.Machine.here`, as JSON data."""
    from dltips.recordings import Machine

    return Machine.here().to_dict()
