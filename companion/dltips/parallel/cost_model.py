"""A cost model of synchronous data-parallel SGD: compute shrinks with N, the all-reduce does not.

One step with N workers and a fixed global batch takes

.. math::  t(N) = \\frac{C}{N} + \\underbrace{\\frac{2(N-1)}{N}\\,\\frac{M}{\\beta} + 2(N-1)\\,\\alpha}_{\\text{ring all-reduce}}

where C is the compute time of the whole batch on one worker, M the bytes of
gradients, β the bandwidth of a link and α the latency of one message. A ring
all-reduce (Patarasuk & Yuan, 2009) passes the gradients around the ring in N
pieces twice (reduce-scatter, then all-gather): each worker sends
``2(N−1)/N · M`` bytes in ``2(N−1)`` messages. The bandwidth term stays almost
constant as N grows and the latency term grows with N, so past some N adding
workers slows a step down. With a fixed batch *per worker* (weak scaling)
the compute term stays C instead of C/N.

Example::

    >>> net = Network(bandwidth=1.25e9, latency=25e-6, name="10 Gb/s Ethernet")
    >>> round(step_seconds(8, compute_seconds=0.2, num_bytes=4e6, network=net), 5)
    0.03095
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dltips.checks import check_choice, check_int, check_number

__all__ = ["ETHERNET_10G", "SCALINGS", "Network", "Projection", "efficiency", "fit_benchmark", "fit_compute_seconds",
           "fit_two_worker_network", "project", "ring_allreduce_seconds", "step_seconds", "throughput"]

#: The two ways to add workers: a fixed global batch (``"strong"``) or a fixed batch per worker (``"weak"``).
SCALINGS = ("strong", "weak")


@dataclass(frozen=True)
class Network:
    """A link between workers: ``bandwidth`` in bytes per second, ``latency`` (α) in seconds per message.

    Args:
        bandwidth: β, bytes per second, a finite number > 0.
        latency: α, seconds per message, a finite number >= 0.
        name: a label for tables and plots.

    Raises:
        ValueError: a ``bandwidth`` or ``latency`` outside its range.

    Example::

        >>> Network(bandwidth=1.25e9, latency=25e-6).latency
        2.5e-05
        >>> Network(bandwidth=0, latency=1e-5)
        Traceback (most recent call last):
        ...
        ValueError: bandwidth must be a number in (0.0, inf), got 0.0
    """

    bandwidth: float
    latency: float
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "bandwidth", check_number("bandwidth", self.bandwidth, low=0.0, low_open=True))
        object.__setattr__(self, "latency", check_number("latency", self.latency, low=0.0))


#: An assumption, not a measurement: a commodity cluster network (10 Gb/s, α = 25 µs).
ETHERNET_10G = Network(bandwidth=10e9 / 8, latency=25e-6, name="10 Gb/s Ethernet, α = 25 µs")


def ring_allreduce_seconds(num_workers: int, num_bytes: float, network: Network) -> float:
    """``2(N−1)/N · M/β + 2(N−1)·α``: the time to sum ``num_bytes`` of gradients over a ring of N workers.

    Args:
        num_workers: N, an integer >= 1.
        num_bytes: M, the bytes of gradients, a finite number >= 0.
        network: the link (β and α).

    Returns:
        Seconds.

    Raises:
        ValueError: ``num_workers`` or ``num_bytes`` outside its range.

    Example::

        >>> ring_allreduce_seconds(2, 4e6, Network(1e9, 1e-5))
        0.00402
    """
    n = check_int("num_workers", num_workers)
    num_bytes = check_number("num_bytes", num_bytes, low=0.0)
    return 2 * (n - 1) / n * num_bytes / network.bandwidth + 2 * (n - 1) * network.latency


def step_seconds(num_workers: int, compute_seconds: float, num_bytes: float, network: Network,
                 *, scaling: str = "strong") -> float:
    """Time of one synchronous step: ``C/N`` (``C`` if ``scaling="weak"``) plus the ring all-reduce.

    Args:
        num_workers: N, an integer >= 1.
        compute_seconds: C, the compute time of one step on one worker, a finite number >= 0.
        num_bytes: M, the bytes of gradients.
        network: the link.
        scaling: ``"strong"`` (fixed global batch) or ``"weak"`` (fixed batch per worker).

    Returns:
        Seconds per step.

    Raises:
        ValueError: an argument outside its range, or an unknown ``scaling``.

    Example::

        >>> round(step_seconds(2, 0.1, 4e6, Network(1e9, 1e-5)), 6)
        0.05402
    """
    check_choice("scaling", scaling, SCALINGS)
    num_workers = check_int("num_workers", num_workers)
    compute_seconds = check_number("compute_seconds", compute_seconds, low=0.0)
    compute = compute_seconds / num_workers if scaling == "strong" else compute_seconds
    return compute + ring_allreduce_seconds(num_workers, num_bytes, network)


def throughput(num_workers: int, batch_size: int, compute_seconds: float, num_bytes: float, network: Network,
               *, scaling: str = "strong") -> float:
    """Examples per second; ``batch_size`` is the global batch (strong) or the per-worker batch (weak).

    Args:
        num_workers, compute_seconds, num_bytes, network, scaling: as for :func:`step_seconds`.
        batch_size: examples per step (global) or per worker and step (weak), an integer >= 1.

    Returns:
        Examples per second.

    Raises:
        ValueError: an argument outside its range.

    Example::

        >>> round(throughput(2, 1024, 0.1, 4e6, Network(1e9, 1e-5)))
        18956
    """
    batch_size = check_int("batch_size", batch_size)
    examples = batch_size if scaling == "strong" else batch_size * num_workers
    return examples / step_seconds(num_workers, compute_seconds, num_bytes, network, scaling=scaling)


def efficiency(num_workers: int, compute_seconds: float, num_bytes: float, network: Network,
               *, scaling: str = "strong") -> float:
    """Throughput with N workers over N times the throughput of one (1 means perfect scaling).

    Strong scaling: ``C / (N·t(N))``; weak scaling: ``C / t(N)``.

    Args:
        num_workers, num_bytes, network, scaling: as for :func:`step_seconds`.
        compute_seconds: C, a finite number > 0.

    Returns:
        The efficiency, in (0, 1].

    Raises:
        ValueError: an argument outside its range.

    Example::

        >>> round(efficiency(2, 0.1, 4e6, Network(1e9, 1e-5)), 3)
        0.926
    """
    compute_seconds = check_number("compute_seconds", compute_seconds, low=0.0, low_open=True)
    t = step_seconds(num_workers, compute_seconds, num_bytes, network, scaling=scaling)
    return compute_seconds / (num_workers * t) if scaling == "strong" else compute_seconds / t


def fit_compute_seconds(num_workers: Sequence[int], measured_step_seconds: Sequence[float], num_bytes: float,
                        network: Network) -> float:
    """Least-squares C in ``t(N) = C/N + all-reduce(N)`` from measured step times (fixed global batch).

    Args:
        num_workers: the worker counts measured.
        measured_step_seconds: one step time per worker count.
        num_bytes: M, the bytes of gradients.
        network: the link.

    Returns:
        C in seconds (0 if the fit is negative).

    Raises:
        ValueError: no measurement, or not one step time per worker count.

    Example::

        >>> net = Network(1e9, 1e-5)
        >>> round(fit_compute_seconds([1, 2], [0.1, step_seconds(2, 0.1, 4e6, net)], 4e6, net), 6)
        0.1
    """
    if len(num_workers) != len(measured_step_seconds) or not num_workers:
        raise ValueError("need one measured step time per worker count, and at least one")
    inv_n = 1.0 / np.asarray(num_workers, dtype=float)
    compute_part = np.asarray(measured_step_seconds, float) - [
        ring_allreduce_seconds(int(n), num_bytes, network) for n in num_workers
    ]
    return float(max(np.sum(compute_part * inv_n) / np.sum(inv_n**2), 0.0))


def fit_two_worker_network(overheads: Iterable[tuple[float, float]], name: str = "fitted") -> Network:
    """α and β of the link from ``(bytes, seconds)`` pairs: the extra time of a 2-worker step, ``t(2) − t(1)/2``.

    With N = 2 the model says ``overhead = M/β + 2α``, a straight line in M.
    Fitted by least squares; a negative intercept (noise) is set to α = 0.

    Args:
        overheads: ``(bytes, seconds)`` pairs, one per model.
        name: the fitted network's label.

    Returns:
        The fitted :class:`Network`.

    Raises:
        ValueError: no pair.

    Example::

        >>> net = fit_two_worker_network([(1e6, 1e-3 + 2e-4), (4e6, 4e-3 + 2e-4)])
        >>> round(net.bandwidth), round(net.latency, 6)
        (1000000000, 0.0001)
    """
    points = np.asarray(list(overheads), dtype=float)
    if points.ndim != 2 or len(points) < 1:
        raise ValueError("overheads must hold (bytes, seconds) pairs")
    m, t = points[:, 0], np.maximum(points[:, 1], 0.0)
    if len(points) >= 2 and np.ptp(m) > 0:
        slope, intercept = np.polyfit(m, t, 1)
        if slope > 0 and intercept >= 0:
            return Network(bandwidth=1.0 / slope, latency=intercept / 2, name=name)
    slope = float(np.sum(m * t) / np.sum(m * m))  # through the origin: α = 0
    return Network(bandwidth=1.0 / max(slope, 1e-15), latency=0.0, name=name)


@dataclass(frozen=True)
class Projection:
    """Projected step time, throughput and efficiency of one model on ``num_workers`` workers.

    Args:
        model: the model's name.
        num_workers: N.
        scaling: ``"strong"`` or ``"weak"``.
        step_seconds: the time of one step.
        examples_per_second: the throughput.
        efficiency: throughput over N times the 1-worker throughput.

    Example::

        >>> Projection("MLP", 8, "strong", 0.01, 1e5, 0.9).efficiency
        0.9
    """

    model: str
    num_workers: int
    scaling: str
    step_seconds: float
    examples_per_second: float
    efficiency: float


def project(model: str, compute_seconds: float, num_bytes: float, batch_size: int, network: Network,
            workers: Iterable[int] = (1, 2, 8, 64, 512), *, scaling: str = "strong") -> list[Projection]:
    """:class:`Projection` rows for each worker count.

    Args:
        model: the model's name.
        compute_seconds, num_bytes, network, scaling: as for :func:`step_seconds`.
        batch_size: as for :func:`throughput`.
        workers: the worker counts to project to.

    Returns:
        One :class:`Projection` per worker count, in order.

    Raises:
        ValueError: an argument outside its range.

    Example::

        >>> [p.num_workers for p in project("MLP", 0.1, 4e6, 1024, ETHERNET_10G, workers=(1, 8))]
        [1, 8]
    """
    return [
        Projection(model, n, scaling, step_seconds(n, compute_seconds, num_bytes, network, scaling=scaling),
                   throughput(n, batch_size, compute_seconds, num_bytes, network, scaling=scaling),
                   efficiency(n, compute_seconds, num_bytes, network, scaling=scaling))
        for n in workers
    ]


def fit_benchmark(rows: Iterable[Mapping[str, Any]]) -> tuple[Network, dict[str, float]]:
    """Fit the model to benchmark rows measured with 1 and 2 workers per model (fixed global batch).

    Each row needs ``model``, ``num_workers``, ``step_seconds`` and
    ``gradient_bytes``. The link is fitted to the 2-worker overheads
    ``t(2) − t(1)/2`` of all models (:func:`fit_two_worker_network`), then each
    model's compute time C to its own points (:func:`fit_compute_seconds`).

    Args:
        rows: the benchmark's rows.

    Returns:
        ``(network of the measuring machine, {model: C in seconds})``.

    Raises:
        ValueError: a model without both a 1-worker and a 2-worker row.

    Example::

        >>> net = Network(1e9, 1e-4)
        >>> rows = [{"model": "m", "num_workers": n, "gradient_bytes": 4e6,
        ...          "step_seconds": step_seconds(n, 0.1, 4e6, net)} for n in (1, 2)]
        >>> round(fit_benchmark(rows)[1]["m"], 6)
        0.1
    """
    by_model: dict[str, dict[int, Mapping[str, Any]]] = {}
    for row in rows:
        by_model.setdefault(row["model"], {})[int(row["num_workers"])] = row
    if not by_model or any(set(points) < {1, 2} for points in by_model.values()):
        raise ValueError("every model needs a 1-worker and a 2-worker measurement")
    overheads = [(p[2]["gradient_bytes"], p[2]["step_seconds"] - p[1]["step_seconds"] / 2) for p in by_model.values()]
    network = fit_two_worker_network(overheads, name="the measuring machine (localhost), fitted")
    compute = {
        model: fit_compute_seconds(list(points), [p["step_seconds"] for p in points.values()],
                                   points[1]["gradient_bytes"], network)
        for model, points in by_model.items()
    }
    return network, compute
