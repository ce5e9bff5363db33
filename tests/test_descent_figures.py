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


def test_plot_momentum_valley_draws_the_zig_zag_and_the_smoother_momentum_path():
    ax = descent.plot_momentum_valley(steps=20)
    lines = {line.get_label(): line.get_xydata() for line in ax.get_lines()}
    assert list(lines) == ["gradient descent", "momentum", "start", "minimum"]
    gd, mom = lines["gradient descent"], lines["momentum"]
    assert len(gd) == len(mom) == 21  # the start and 20 steps each
    assert np.array_equal(gd[0], mom[0]) and np.array_equal(gd[0], [-9.0, 1.6])
    # gradient descent zig-zags: the across-valley coordinate flips sign at every step
    assert np.all(np.sign(gd[1:, 1]) == -np.sign(gd[:-1, 1]))
    # momentum swings smoothly: far fewer sign changes, and it ends closer to the minimum
    assert np.sum(np.diff(np.sign(mom[:, 1])) != 0) <= 4
    assert np.linalg.norm(mom[-1]) < 0.8 * np.linalg.norm(gd[-1])
    assert len(ax.collections) >= 1, "the contours are missing"
    notes = [t.get_text() for t in ax.texts]
    assert len(notes) == 2 and notes[0].startswith("gradient descent") and notes[1].startswith("momentum")


def test_plot_momentum_valley_uses_given_axes():
    fig, ax = plt.subplots()
    assert descent.plot_momentum_valley(steps=3, ax=ax) is ax


@pytest.mark.parametrize("kwargs, argument", [
    ({"curvatures": (1.0, 0.5)}, "curvatures"),
    ({"learning_rates": (2.5, 0.4)}, r"learning_rates\[0\]"),
    ({"learning_rates": (1.0, 0.0)}, r"learning_rates\[1\]"),
    ({"momentum": 1.0}, "momentum"),
    ({"steps": 0}, "steps"),
])
def test_plot_momentum_valley_rejects_what_it_cannot_draw(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        descent.plot_momentum_valley(**kwargs)
