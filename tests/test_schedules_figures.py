"""dltips.schedules's figures: each draws what it is given and rejects what it cannot draw."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dltips import schedules  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_plot_learning_rates_draws_one_labelled_line_per_schedule():
    curves = {"constant": [0.1] * 30, "linear": np.linspace(0.1, 0.0, 20)}
    ax = schedules.plot_learning_rates(curves, steps_per_epoch=10)
    lines = [line for line in ax.get_lines() if line.get_label() in curves]
    assert [line.get_label() for line in lines] == ["constant", "linear"]
    np.testing.assert_allclose(lines[1].get_ydata(), curves["linear"])
    np.testing.assert_array_equal(lines[0].get_xdata(), np.arange(30))
    epoch_marks = [line for line in ax.get_lines() if line not in lines]
    assert [line.get_xdata()[0] for line in epoch_marks] == [10, 20]
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title() == "Learning-rate schedules"
    plt.close(ax.figure)


def test_plot_learning_rates_log_scale_and_given_axes():
    fig, ax = plt.subplots()
    assert schedules.plot_learning_rates({"exp": [1.0, 0.1, 0.01]}, log_scale=True, ax=ax) is ax
    assert ax.get_yscale() == "log"
    plt.close(fig)


def test_plot_learning_rates_rejects_bad_input():
    with pytest.raises(ValueError, match="curves"):
        schedules.plot_learning_rates({})
    with pytest.raises(ValueError, match="steps_per_epoch"):
        schedules.plot_learning_rates({"c": [0.1]}, steps_per_epoch=0)


def test_plot_schedule_runs_shows_rates_and_losses_even_of_a_diverged_run():
    rates = {"constant": [0.1] * 20, "too high": [5.0] * 20}
    losses = {"constant": [0.9, 0.5], "too high": [12.0, np.nan]}
    fig = schedules.plot_schedule_runs(rates, losses, steps_per_epoch=10, title="runs")
    ax_rate, ax_loss = fig.axes
    assert ax_rate.get_yscale() == "log" and ax_loss.get_yscale() == "log"
    assert ax_rate.get_legend() is None  # one legend, beside the loss panel, serves both
    assert [t.get_text() for t in ax_loss.get_legend().get_texts()] == ["constant", "too high"]
    assert {line.get_label() for line in ax_rate.get_lines()} >= {"constant", "too high"}
    loss_lines = {line.get_label(): line for line in ax_loss.get_lines()}
    assert set(loss_lines) == {"constant", "too high"}
    np.testing.assert_array_equal(loss_lines["constant"].get_xdata(), [1, 2])
    assert np.isnan(loss_lines["too high"].get_ydata()[1])
    assert fig.get_suptitle() == "runs"
    plt.close(fig)


def test_plot_schedule_runs_rejects_mismatched_runs():
    with pytest.raises(ValueError, match="same runs"):
        schedules.plot_schedule_runs({"a": [0.1]}, {"b": [1.0]})
    with pytest.raises(ValueError, match="at least one"):
        schedules.plot_schedule_runs({}, {})
