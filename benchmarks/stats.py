"""The statistics behind every benchmark verdict: ABBA schedule, bootstrap interval, verdict, calibration.

A *race* times two contenders, A and B, in interleaved rounds. Each round runs both once, and
who goes first alternates (:func:`abba_order`: A B, B A, A B, ...), so the sequence of runs is
A B B A A B B A: a load that rises or falls steadily over the race hits both alike, and the
position in a round (first or second) favours neither. Each round gives one paired ratio
(for example examples/s of A over examples/s of B); the figure is the median of these ratios
(not their mean: a round hit by a burst of other load does not drag it), and its uncertainty
is a percentile bootstrap over rounds (:func:`bootstrap_interval`).

A target is judged by the interval, not by the median (:func:`judge`): *met* when the whole
interval is on the right side of the target, *missed* when the whole interval is on the wrong
side, *undecided* when it straddles the target. Every race-based section also races one path
against itself; its interval must contain 1.0 (:func:`calibration_passed`), or the run is too
noisy (or biased) to judge on that clock, and every verdict of that section on that clock
says so (:func:`final_verdict`).

Everything here is plain NumPy and deterministic (a seeded generator), so it is tested on
synthetic timings without TensorFlow.

>>> abba_order(4)
[('a', 'b'), ('b', 'a'), ('a', 'b'), ('b', 'a')]
>>> judge((0.97, 1.02), at_least=0.95)
'met'
>>> judge((0.93, 0.99), at_least=0.95)
'undecided'
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np

Verdict = Literal["met", "missed", "undecided", "too noisy"]
CONFIDENCE = 0.95
RESAMPLES = 10_000
SEED = 0
RESOLUTION = 0.05  # the difference a run should resolve: a 5 % ratio
FEW = 6  # below this many rounds, the interval of a median is [min, max] (see median_interval)


def abba_order(rounds: int) -> list[tuple[str, str]]:
    """Which contender runs first in each of ``rounds`` rounds: ``a`` then ``b``, then ``b`` then ``a``, and so on.

    Flattened, the runs follow the pattern A B B A A B B A; with an even number of rounds each
    contender is first in exactly half of them.

    >>> "".join(x for pair in abba_order(4) for x in pair)
    'abbaabba'
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    return [("a", "b") if r % 2 == 0 else ("b", "a") for r in range(rounds)]


def paired_ratios(numerator: Sequence[float], denominator: Sequence[float]) -> list[float]:
    """Per-round ratios ``numerator[i] / denominator[i]`` (both measured in the same round).

    For a throughput ratio A/B from durations, pass B's seconds as numerator and A's as denominator.
    """
    if len(numerator) != len(denominator) or not numerator:
        raise ValueError(f"need two equally long, non-empty series, got {len(numerator)} and {len(denominator)}")
    if min(numerator) <= 0 or min(denominator) <= 0:
        raise ValueError("timings and rates must be positive")
    return [float(n) / float(d) for n, d in zip(numerator, denominator)]


def bootstrap_interval(
    samples: Sequence[float],
    statistic: Callable[..., Any] = np.median,
    *,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` over ``samples`` (one sample per round).

    Rounds are resampled with replacement ``resamples`` times with a generator seeded by ``seed``,
    so the same samples always give the same interval. With very few samples the percentile
    interval claims more confidence than it has: :func:`median_interval` decides when to use it.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    values = np.asarray(samples, dtype=float)
    if values.ndim != 1 or values.size == 0:
        raise ValueError("samples must be a non-empty sequence of numbers")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, values.size, size=(resamples, values.size))
    estimates = statistic(values[picks], axis=1)
    tail = (1 - confidence) / 2
    lo, hi = np.quantile(estimates, [tail, 1 - tail])
    return float(lo), float(hi)


def median_interval(samples: Sequence[float]) -> tuple[tuple[float, float], float]:
    """An interval for the median of ``samples`` and its confidence level.

    From :data:`FEW` samples on, the 95 % bootstrap interval. Below that, a bootstrap would claim
    more than the samples know: the interval is then [min, max], which holds the median with
    probability ``1 - 2 ** (1 - n)`` (75 % for 3 runs, 94 % for 5), and that is the confidence
    recorded.
    """
    n = len(samples)
    if n >= FEW:
        return bootstrap_interval(samples), CONFIDENCE
    return (float(min(samples)), float(max(samples))), 1 - 2.0 ** (1 - n)


def judge(interval: Sequence[float], *, at_least: float | None = None, at_most: float | None = None) -> Verdict:
    """Met, missed or undecided: where the whole interval lies relative to the target.

    With ``at_least``: met when the interval lies at or above it, missed when entirely below,
    undecided when it straddles. With ``at_most``, mirrored.
    """
    if (at_least is None) == (at_most is None):
        raise ValueError("give exactly one of at_least and at_most")
    lo, hi = interval
    if lo > hi:
        raise ValueError(f"interval must be (low, high), got {tuple(interval)}")
    if at_least is not None:
        return "met" if lo >= at_least else "missed" if hi < at_least else "undecided"
    return "met" if hi <= at_most else "missed" if lo > at_most else "undecided"


def calibration_passed(interval: Sequence[float], expected: float = 1.0) -> bool:
    """Whether a path raced against itself came out even: its ratio interval contains ``expected``."""
    lo, hi = interval
    return bool(lo <= expected <= hi)


def final_verdict(verdict: Verdict, calibrated: bool | None) -> Verdict:
    """The verdict a reader sees: ``too noisy`` when the section's calibration failed."""
    return "too noisy" if calibrated is False else verdict


def relative_width(samples: Sequence[float], **bootstrap: Any) -> float:
    """Width of the 95 % interval of the median of ``samples``, relative to the median (0.05 is 5 %)."""
    lo, hi = bootstrap_interval(samples, **bootstrap)
    return (hi - lo) / float(np.median(samples))


def rounds_needed(samples: Sequence[float], resolution: float = RESOLUTION, **bootstrap: Any) -> int:
    """Rounds a race of the observed spread needs for its interval to be narrower than ``resolution``.

    An interval of the median narrows as one over the square root of the number of rounds, so
    ``n`` rounds with an interval of relative width ``w`` need about ``n (w / resolution)²``. An
    interval narrower than 5 % cannot hold both 1.0 and 0.95: the race resolves a 5 % difference.
    """
    width = relative_width(samples, **bootstrap)
    return max(len(samples), math.ceil(len(samples) * (width / resolution) ** 2))


def spread(samples: Sequence[float]) -> float | None:
    """Relative spread of per-round values: standard deviation of their logarithms (0.05 is about ±5 %).

    ``None`` for fewer than two values or values that are not all positive (a difference of timings can be negative).
    """
    values = np.asarray(samples, dtype=float)
    if values.size < 2 or np.any(values <= 0):
        return None
    return float(np.std(np.log(values), ddof=1))


def summarize(
    samples: Sequence[float],
    unit: str,
    *,
    at_least: float | None = None,
    at_most: float | None = None,
    calibrated: bool | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A figure with its interval: median, [min, max], rounds, interval of the median, relative spread, verdict.

    The result is the benchmarks' JSON *figure* (``value``, ``unit``, ``spread``, ``n``) plus
    ``interval`` and its ``confidence`` (see :func:`median_interval`: 0.95 from six rounds on)
    and ``rel_sd`` (:func:`spread`); with a target also ``target``,
    ``interval_verdict`` (from the interval alone) and ``verdict`` (``too noisy`` when
    ``calibrated`` is False).
    """
    values = [float(v) for v in samples]
    if not values:
        raise ValueError("samples must hold at least one measurement")
    interval, confidence = median_interval(values)
    fig: dict[str, Any] = {
        "value": float(np.median(values)),
        "unit": unit,
        "spread": [min(values), max(values)],
        "n": len(values),
        "interval": list(interval),
        "confidence": confidence,
        "rel_sd": spread(values),
        **extra,
    }
    if at_least is not None or at_most is not None:
        raw = judge(interval, at_least=at_least, at_most=at_most)
        bound = f">= {at_least:g}" if at_least is not None else f"<= {at_most:g}"
        fig.update(target=f"{bound} {unit}", interval_verdict=raw, verdict=final_verdict(raw, calibrated))
    return fig


def calibration(ratios: Sequence[float], **extra: Any) -> dict[str, Any]:
    """The figure of a path raced against itself: a ratio figure with ``role``, ``passed`` and the rounds 5 % needs.

    ``passed`` says whether the interval holds 1.0 (see :func:`calibration_passed`);
    ``resolves_5_percent`` whether the interval is narrower than 5 %; ``rounds_for_5_percent``
    how many rounds of this spread would make it so (:func:`rounds_needed`).
    """
    fig = summarize(ratios, "ratio", **extra)
    fig.update(
        role="calibration",
        passed=calibration_passed(fig["interval"]),
        resolves_5_percent=bool((fig["interval"][1] - fig["interval"][0]) / fig["value"] < RESOLUTION),
        rounds_for_5_percent=rounds_needed(ratios),
    )
    return fig


def is_calibration(fig: Any) -> bool:
    """Whether a figure is a calibration case (a path raced against itself)."""
    return isinstance(fig, dict) and fig.get("role") == "calibration"
