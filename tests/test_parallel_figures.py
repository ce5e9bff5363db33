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
