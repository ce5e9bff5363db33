"""dltips.parallel's figures: each draws what it is given and rejects what it cannot draw."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from dltips import parallel  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_plot_scaling_draws_measured_points_and_projections():
    measured = {"small": {1: 1000.0, 2: 1800.0}}
    projected = {"small": {1: 1000.0, 2: 1850.0, 8: 5000.0}, "large": {1: 100.0, 8: 700.0}}
    fig = parallel.plot_scaling(measured, projected, fitted={"small": {1: 1000.0, 2: 1800.0}})
    throughput, efficiency = fig.axes
    assert throughput.get_xscale() == "log" and throughput.get_ylabel() == "examples per second"
    labels = [line.get_label() for line in throughput.get_lines()]
    assert "small: measured" in labels and "large: cost model" in labels
    assert "small: cost model, fitted to the measurements" in labels and len(fig.legends) == 1
    measured_line = next(line for line in throughput.get_lines() if line.get_label() == "small: measured")
    assert list(measured_line.get_ydata()) == [1000.0, 1800.0]
    eff = efficiency.get_lines()[0]  # small, projected: 1850 / (2 · 1000)
    assert list(eff.get_ydata())[:2] == pytest.approx([1.0, 0.925])
    plt.close(fig)
    with pytest.raises(ValueError, match="measured but not projected"):
        parallel.plot_scaling({"other": {1: 1.0}}, projected)


def test_plot_async_training_shows_losses_and_staleness_histogram():
    fig = parallel.plot_async_training([2.0, 1.5, 1.0, 0.8], [2.0, 1.4, 1.0, 0.7], [0, 1, 1, 2], window=2)
    loss_ax, tau_ax = fig.axes
    assert len(loss_ax.get_lines()) == 2 and list(loss_ax.get_lines()[0].get_ydata()) == pytest.approx([1.75, 1.25, 0.9])
    assert [p.get_height() for p in tau_ax.patches] == [1, 2, 1]
    assert "mean 1.00" in tau_ax.get_title()
    plt.close(fig)
    with pytest.raises(ValueError, match="window"):
        parallel.plot_async_training([1.0], [1.0], [0], window=0)


def _gids(fig, gid):
    return [[a for a in ax.get_children() if a.get_gid() == gid] for ax in fig.axes]


@pytest.mark.parametrize("n", [2, 3, 5])
def test_data_parallelism_diagram_draws_one_box_per_worker_and_two_arrows_each(n):
    fig = parallel.draw_data_parallelism(n)
    assert [ax.get_title().split(":")[0] for ax in fig.axes] == ["synchronous", "asynchronous"]
    boxes, arrows = _gids(fig, "box"), _gids(fig, "arrow")
    assert [len(b) for b in boxes] == [n + 1, n + 1]  # the workers and the all-reduce / the server
    assert [len(a) for a in arrows] == [2 * n, 2 * n]  # a gradient up and the weights back, per worker
    dashed = [a for a in arrows[1] if a.arrow_patch.get_linestyle() != "-"]
    assert len(dashed) == 1 and not [a for a in arrows[0] if a.arrow_patch.get_linestyle() != "-"]
    plt.close(fig)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_ring_allreduce_diagram_has_2n_minus_2_steps_with_every_chunk_sent_once_per_step(n):
    fig = parallel.draw_ring_allreduce(n)
    assert len(fig.axes) == 2 * (n - 1)
    assert [ax.get_title().split(",")[0] for ax in fig.axes] == ["reduce-scatter"] * (n - 1) + ["all-gather"] * (n - 1)
    for ax, arrows in zip(fig.axes, _gids(fig, "arrow")):
        assert len(arrows) == n  # every worker sends to its neighbour at every step
        chunks = sorted(t.get_text() for t in ax.texts if t.get_text().startswith("c"))
        assert chunks == [f"c{i}" for i in range(n)]  # each chunk travels on exactly one link
    plt.close(fig)


@pytest.mark.parametrize("bad", [1, 7, 2.5, "3", True])
def test_diagrams_refuse_a_worker_count_they_cannot_draw(bad):
    with pytest.raises(ValueError, match="num_workers"):
        parallel.draw_data_parallelism(bad)
    with pytest.raises(ValueError, match="num_workers"):
        parallel.draw_ring_allreduce(bad)
