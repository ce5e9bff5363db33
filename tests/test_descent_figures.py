"""dltips.descent's figures: each draws what it is given and rejects what it cannot draw."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dltips import descent  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _quadratic(w: np.ndarray) -> np.ndarray:
    return w[:, 0] ** 2 + 10 * w[:, 1] ** 2


def test_plot_descent_paths_draws_each_path_the_start_and_the_minimum():
    paths = {
        "GD": np.array([[1.0, 1.0], [0.8, -0.6], [0.6, 0.3]]),
        "momentum": np.array([[1.0, 1.0], [0.5, 0.2]]),
    }
    ax = descent.plot_descent_paths(_quadratic, paths, minimum=[0.0, 0.0], title="paths")
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["GD, 2 updates", "momentum, 1 updates", "start", "minimum"]
    assert np.array_equal(ax.get_lines()[0].get_xydata(), paths["GD"])
    assert ax.get_title() == "paths"
    assert ax.collections, "the loss contours are missing"
    # The default limits hold every path and the minimum.
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert x0 < 0.0 and x1 > 1.0 and y0 < -0.6 and y1 > 1.0


def test_plot_descent_paths_uses_given_axes_and_limits():
    fig, ax = plt.subplots()
    out = descent.plot_descent_paths(_quadratic, {"GD": np.zeros((3, 2))}, limits=((-2, 2), (-1, 1)), ax=ax)
    assert out is ax
    assert ax.get_xlim() == (-2, 2) and ax.get_ylim() == (-1, 1)


@pytest.mark.parametrize("paths", [{}, {"bad": np.zeros((3, 3))}, {"flat": np.zeros(4)}])
def test_plot_descent_paths_rejects_what_it_cannot_draw(paths):
    with pytest.raises(ValueError, match="path"):
        descent.plot_descent_paths(_quadratic, paths)


def _fake_history(batch_size: int, n: int = 100, epochs: int = 2) -> SimpleNamespace:
    updates = np.arange(0, epochs * n // batch_size + 1)
    return SimpleNamespace(
        num_examples=n,
        eval_updates=updates,
        eval_examples=updates * batch_size,
        eval_seconds=updates * 0.01 * batch_size**0.5,
        eval_loss=2.0 / (1 + updates),
    )


def test_plot_descent_race_has_three_log_panels_with_one_curve_per_run():
    histories = {"b = 10": _fake_history(10), "b = 50": _fake_history(50)}
    fig = descent.plot_descent_race(histories, title="race")
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["per epoch", "per update", "per second"]
    assert all(ax.get_xscale() == "log" for ax in axes)
    assert fig._suptitle.get_text() == "race"
    for ax in axes:
        assert [line.get_label() for line in ax.get_lines()] == ["b = 10", "b = 50"]
    # Update 0 cannot sit on a log axis: it is left out, the rest is drawn in epochs.
    epochs = axes[0].get_lines()[1].get_xdata()
    assert np.allclose(epochs, [0.5, 1.0, 1.5, 2.0])
    assert np.allclose(axes[1].get_lines()[0].get_xdata(), np.arange(1, 21))


def test_plot_descent_race_needs_a_run():
    with pytest.raises(ValueError, match="histories"):
        descent.plot_descent_race({})
