"""dltips.parallel.cost_model: the ring all-reduce α-β formula, the fits, and the projections."""

from __future__ import annotations

import math

import pytest

from dltips.parallel import cost_model as cm

NET = cm.Network(bandwidth=1e9, latency=1e-5)


def test_ring_allreduce_follows_the_alpha_beta_formula():
    assert cm.ring_allreduce_seconds(1, 4e6, NET) == 0.0  # one worker: nothing to exchange
    assert cm.ring_allreduce_seconds(2, 4e6, NET) == pytest.approx(4e6 / 1e9 + 2e-5)
    assert cm.ring_allreduce_seconds(8, 4e6, NET) == pytest.approx(2 * 7 / 8 * 4e-3 + 14e-5)
    # The bandwidth term tends to 2·M/β; the latency term grows without bound.
    assert cm.ring_allreduce_seconds(10**6, 4e6, cm.Network(1e9, 0.0)) == pytest.approx(8e-3, rel=1e-5)


def test_step_time_throughput_and_efficiency():
    assert cm.step_seconds(1, 0.2, 4e6, NET) == pytest.approx(0.2)
    assert cm.step_seconds(4, 0.2, 4e6, NET) == pytest.approx(0.05 + 1.5 * 4e-3 + 6e-5)
    assert cm.step_seconds(4, 0.2, 4e6, NET, scaling="weak") == pytest.approx(0.2 + 1.5 * 4e-3 + 6e-5)
    assert cm.throughput(1, 512, 0.2, 4e6, NET) == pytest.approx(2560)
    assert cm.throughput(4, 128, 0.2, 4e6, NET, scaling="weak") == pytest.approx(512 / cm.step_seconds(4, 0.2, 4e6, NET, scaling="weak"))
    strong = [cm.efficiency(n, 0.2, 4e6, NET) for n in (1, 2, 8, 64, 512)]
    assert strong[0] == pytest.approx(1.0)
    assert all(a > b for a, b in zip(strong, strong[1:])), "strong-scaling efficiency must fall with N"
    for n in (2, 8, 64):  # weak scaling keeps the compute term, so it scales better
        assert cm.efficiency(n, 0.2, 4e6, NET, scaling="weak") > cm.efficiency(n, 0.2, 4e6, NET)


def test_fits_recover_the_parameters_that_generated_the_data():
    truth = cm.Network(bandwidth=2e9, latency=3e-4)
    sizes = {"small": (0.01, 4e5), "large": (0.2, 7.5e6)}
    step = {m: {n: cm.step_seconds(n, c, b, truth) for n in (1, 2)} for m, (c, b) in sizes.items()}
    net = cm.fit_two_worker_network([(b, step[m][2] - step[m][1] / 2) for m, (_, b) in sizes.items()])
    assert net.bandwidth == pytest.approx(2e9, rel=1e-6) and net.latency == pytest.approx(3e-4, rel=1e-6)
    for m, (c, b) in sizes.items():
        assert cm.fit_compute_seconds([1, 2], [step[m][1], step[m][2]], b, net) == pytest.approx(c, rel=1e-6)


def test_network_fit_falls_back_to_zero_latency_on_noisy_data():
    net = cm.fit_two_worker_network([(1e6, 0.001), (2e6, 0.0009)])  # the larger model looks cheaper: noise
    assert net.latency == 0.0 and math.isfinite(net.bandwidth) and net.bandwidth > 0


def test_projection_rows():
    rows = cm.project("m", 0.2, 4e6, 512, NET, workers=(1, 8))
    assert [r.num_workers for r in rows] == [1, 8]
    assert rows[1].examples_per_second == pytest.approx(512 / rows[1].step_seconds)
    assert rows[0].efficiency == pytest.approx(1.0) and 0 < rows[1].efficiency < 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: cm.Network(0, 1e-5), "bandwidth must be a number in \\(0.0, inf\\)"),
        (lambda: cm.Network(1e9, -1), "latency must be a number in \\[0.0, inf\\)"),
        (lambda: cm.ring_allreduce_seconds(0, 1, NET), "num_workers must be an integer >= 1"),
        (lambda: cm.ring_allreduce_seconds(2, -1, NET), "num_bytes must be a number in \\[0.0, inf\\)"),
        (lambda: cm.step_seconds(2, 0.1, 1, NET, scaling="diagonal"), "scaling must be 'strong' or 'weak'"),
        (lambda: cm.step_seconds(2, -0.1, 1, NET), "compute_seconds must be a number in \\[0.0, inf\\)"),
        (lambda: cm.fit_compute_seconds([1, 2], [0.1], 1, NET), "one measured step time per worker count"),
    ],
)
def test_bad_arguments_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_fit_benchmark_reproduces_the_measured_points():
    truth = cm.Network(bandwidth=1.5e9, latency=2e-4)
    models = {"small": (0.015, 4e5), "large": (0.12, 7.5e6)}
    rows = [{"model": m, "num_workers": n, "gradient_bytes": b, "step_seconds": cm.step_seconds(n, c, b, truth)}
            for m, (c, b) in models.items() for n in (1, 2)]
    network, compute = cm.fit_benchmark(rows)
    assert compute == pytest.approx({m: c for m, (c, _) in models.items()}, rel=1e-6)
    assert network.latency == pytest.approx(2e-4, rel=1e-6)
    with pytest.raises(ValueError, match="1-worker and a 2-worker"):
        cm.fit_benchmark(rows[:1])
