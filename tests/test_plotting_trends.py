"""dltips.plotting, the figures of chapters 1, 2 and 5: they draw what they are given and refuse mismatches."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dltips import plotting  # noqa: E402
from dltips.capacity import CapacityPoint, LearningCurves  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_plot_series_draws_one_line_per_series_with_labels():
    ax = plotting.plot_series({"a": [3, 2, 1], "b": [1, 1, 1]}, ylabel="loss", title="t", logy=True)
    assert [line.get_label() for line in ax.get_lines()] == ["a", "b"]
    assert list(ax.get_lines()[0].get_xdata()) == [0, 1, 2]
    assert ax.get_yscale() == "log" and ax.get_title() == "t"
    with pytest.raises(ValueError, match="x has"):
        plotting.plot_series({"a": [1, 2]}, x=[1, 2, 3])
    with pytest.raises(ValueError, match="at least one"):
        plotting.plot_series({})


def test_plot_train_test_curves_has_a_loss_and_an_accuracy_panel():
    curves = LearningCurves([2.0, 1.0], [0.1, 0.9], [2.0, 1.5], [0.1, 0.7])
    fig = plotting.plot_train_test_curves(curves, title="memorizing")
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    assert list(fig.axes[1].get_lines()[1].get_ydata()) == [0.1, 0.7]


def test_plot_capacity_puts_gap_against_size_and_accuracy_against_params():
    points = [CapacityPoint(h, n, h * 100, 1.0, 0.5 + h / 100 + n / 10_000) for n in (100, 1000) for h in (4, 16)]
    fig = plotting.plot_capacity(points)
    left, right = fig.axes
    assert len(left.get_lines()) == 2 and list(left.get_lines()[0].get_xdata()) == [100, 1000]
    assert list(right.get_lines()[0].get_xdata()) == [400, 1600]


def test_plot_saliency_shows_images_over_maps():
    fig = plotting.plot_saliency(np.zeros((3, 28, 28)), np.ones((3, 784)), labels=[1, 2, 3])
    assert len(fig.axes) == 6
    with pytest.raises(ValueError, match="equally many"):
        plotting.plot_saliency(np.zeros((3, 28, 28)), np.ones((2, 784)))


def test_markdown_table_formats_numbers():
    text = plotting.markdown_table(["model", "params", "accuracy"], [["mlp", 101770, 0.97834]])
    assert text.splitlines() == ["| model | params | accuracy |", "| --- | --- | --- |", "| mlp | 101,770 | 0.978 |"]
    with pytest.raises(ValueError, match="3 cells"):
        plotting.markdown_table(["a", "b", "c"], [[1, 2]])
