"""dltips.plotting: each figure function draws what it is given and rejects what it cannot draw."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dltips import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --- descent ---


def _quadratic(w: np.ndarray) -> np.ndarray:
    return w[:, 0] ** 2 + 10 * w[:, 1] ** 2


def test_plot_descent_paths_draws_each_path_the_start_and_the_minimum():
    paths = {
        "GD": np.array([[1.0, 1.0], [0.8, -0.6], [0.6, 0.3]]),
        "momentum": np.array([[1.0, 1.0], [0.5, 0.2]]),
    }
    ax = plotting.plot_descent_paths(_quadratic, paths, minimum=[0.0, 0.0], title="paths")
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
    out = plotting.plot_descent_paths(_quadratic, {"GD": np.zeros((3, 2))}, limits=((-2, 2), (-1, 1)), ax=ax)
    assert out is ax
    assert ax.get_xlim() == (-2, 2) and ax.get_ylim() == (-1, 1)


@pytest.mark.parametrize("paths", [{}, {"bad": np.zeros((3, 3))}, {"flat": np.zeros(4)}])
def test_plot_descent_paths_rejects_what_it_cannot_draw(paths):
    with pytest.raises(ValueError, match="path"):
        plotting.plot_descent_paths(_quadratic, paths)


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
    fig = plotting.plot_descent_race(histories, title="race")
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
        plotting.plot_descent_race({})


# --- schedules ---


def test_plot_learning_rates_draws_one_labelled_line_per_schedule():
    curves = {"constant": [0.1] * 30, "linear": np.linspace(0.1, 0.0, 20)}
    ax = plotting.plot_learning_rates(curves, steps_per_epoch=10)
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
    assert plotting.plot_learning_rates({"exp": [1.0, 0.1, 0.01]}, log_scale=True, ax=ax) is ax
    assert ax.get_yscale() == "log"
    plt.close(fig)


def test_plot_learning_rates_rejects_bad_input():
    with pytest.raises(ValueError, match="curves"):
        plotting.plot_learning_rates({})
    with pytest.raises(ValueError, match="steps_per_epoch"):
        plotting.plot_learning_rates({"c": [0.1]}, steps_per_epoch=0)


def test_plot_schedule_runs_shows_rates_and_losses_even_of_a_diverged_run():
    rates = {"constant": [0.1] * 20, "too high": [5.0] * 20}
    losses = {"constant": [0.9, 0.5], "too high": [12.0, np.nan]}
    fig = plotting.plot_schedule_runs(rates, losses, steps_per_epoch=10, title="runs")
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
        plotting.plot_schedule_runs({"a": [0.1]}, {"b": [1.0]})
    with pytest.raises(ValueError, match="at least one"):
        plotting.plot_schedule_runs({}, {})


# --- regularization ---


@pytest.fixture


def fake_reg_result():
    """A RegularizationResult built by hand (no training): known curves and weights."""
    from dltips.regularization import RegularizationResult, Variant, VariantResult

    rng = np.random.default_rng(0)
    epochs = 5
    sparse = rng.choice([-1.0, 1.0], size=2000) * rng.uniform(0.01, 0.1, size=2000)
    sparse[:1200] = 0.0  # exactly 60% zeros, and no other weight below 1e-3
    variants = []
    for name, weights, l1 in (("none", rng.normal(scale=0.05, size=2000), 0.0),
                              ("L1", sparse, 1e-3),
                              ("L2", rng.normal(scale=0.02, size=2000), 0.0)):
        history = {
            "train_loss": list(np.linspace(2.0, 0.1, epochs)),
            "train_accuracy": list(np.linspace(0.5, 1.0, epochs)),
            "val_loss": list(np.linspace(2.0, 0.5, epochs)),
            "val_accuracy": list(np.linspace(0.5, 0.9, epochs)),
        }
        variants.append(VariantResult(Variant(name, l1=l1), history, 1.0, 0.9, weights.astype(np.float32)))
    result = RegularizationResult(variants, n_train=100, n_val=50, n_test=10_000, epochs=epochs)
    yield result
    plt.close("all")


def test_learning_curves_one_panel_per_variant_with_train_and_validation(fake_reg_result):
    fig = plotting.plot_regularization_curves(fake_reg_result, columns=2)
    used = [ax for ax in fig.axes if ax.axison]
    assert len(used) == 3 and len(fig.axes) == 4  # 2x2 grid, one spare panel hidden
    for ax, name in zip(used, ["none", "L1", "L2"]):
        assert ax.get_title().startswith(name)
        train, val = (line.get_ydata() for line in ax.get_lines())
        np.testing.assert_allclose(train, fake_reg_result[name].history["train_accuracy"])
        np.testing.assert_allclose(val, fake_reg_result[name].history["val_accuracy"])
    assert used[0].get_ylabel() == "accuracy" and used[-1].get_xlabel() == "epoch"
    assert fig._suptitle is not None


def test_learning_curves_of_selected_variants_and_loss(fake_reg_result):
    fig = plotting.plot_regularization_curves(fake_reg_result, names=["L2", "none"], metric="loss")
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("L2") and titles[1].startswith("none")
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), fake_reg_result["L2"].history["train_loss"])


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"names": ["L3"]}, "names"), ({"names": []}, "names"), ({"metric": "auc"}, "metric"), ({"columns": 0}, "columns")],
)


def test_learning_curves_reject_bad_arguments(fake_reg_result, kwargs, name):
    with pytest.raises(ValueError, match=name):
        plotting.plot_regularization_curves(fake_reg_result, **kwargs)


def test_weight_histograms_count_every_weight_and_show_the_spike(fake_reg_result):
    fig = plotting.plot_weight_histograms(fake_reg_result, names=["L1", "L2"], bins=41)
    assert len(fig.axes) == 2
    l1_ax, l2_ax = fig.axes
    assert l1_ax.get_yscale() == "log" and l1_ax.get_xlabel() == "weight value"
    heights = [p.get_height() for p in l1_ax.patches]
    assert sum(heights) == 2000  # the default range holds every weight
    assert max(heights) == heights[20] >= 1200  # the spike at zero sits in the middle bin
    assert "60.0%" in l1_ax.get_title()  # 1200 of 2000 weights are exactly zero
    narrow = plotting.plot_weight_histograms(fake_reg_result, names=["L1"], bins=5, limit=0.02)
    assert sum(p.get_height() for p in narrow.axes[0].patches) == 1200 + np.sum(np.abs(fake_reg_result["L1"].weights[1200:]) <= 0.02)


@pytest.mark.parametrize(
    ("kwargs", "name"), [({"names": ["L1", "nope"]}, "names"), ({"bins": 1}, "bins"), ({"limit": 0.0}, "limit")]
)


def test_weight_histograms_reject_bad_arguments(fake_reg_result, kwargs, name):
    with pytest.raises(ValueError, match=name):
        plotting.plot_weight_histograms(fake_reg_result, **kwargs)


# --- parallel ---


def test_plot_scaling_draws_measured_points_and_projections():
    measured = {"small": {1: 1000.0, 2: 1800.0}}
    projected = {"small": {1: 1000.0, 2: 1850.0, 8: 5000.0}, "large": {1: 100.0, 8: 700.0}}
    fig = plotting.plot_scaling(measured, projected, fitted={"small": {1: 1000.0, 2: 1800.0}})
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
        plotting.plot_scaling({"other": {1: 1.0}}, projected)


def test_plot_async_training_shows_losses_and_staleness_histogram():
    fig = plotting.plot_async_training([2.0, 1.5, 1.0, 0.8], [2.0, 1.4, 1.0, 0.7], [0, 1, 1, 2], window=2)
    loss_ax, tau_ax = fig.axes
    assert len(loss_ax.get_lines()) == 2 and list(loss_ax.get_lines()[0].get_ydata()) == pytest.approx([1.75, 1.25, 0.9])
    assert [p.get_height() for p in tau_ax.patches] == [1, 2, 1]
    assert "mean 1.00" in tau_ax.get_title()
    plt.close(fig)
    with pytest.raises(ValueError, match="window"):
        plotting.plot_async_training([1.0], [1.0], [0], window=0)


@pytest.fixture(autouse=True)


# --- distillation ---


def test_plot_soft_targets_draws_one_normalized_bar_group_per_temperature():
    ax = plotting.plot_soft_targets([5.0, 1.0, 0.0, -2.0], temperatures=(1, 4))
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == 8
    assert sum(heights[:4]) == pytest.approx(1.0) and sum(heights[4:]) == pytest.approx(1.0)
    assert max(heights[4:]) < max(heights[:4])  # the higher temperature is softer
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["T = 1", "T = 4"]


@pytest.mark.parametrize(("logits", "temperatures"), [([], (1,)), ([1.0, 2.0], (0,)), ([1.0], ())])


def test_plot_soft_targets_rejects_bad_input(logits, temperatures):
    with pytest.raises(ValueError):
        plotting.plot_soft_targets(logits, temperatures)


def test_plot_gradient_scale_draws_both_curves():
    ax = plotting.plot_gradient_scale([1, 4, 20], [1.0, 0.9, 0.88], [1.0, 0.06, 0.002])
    assert len(ax.lines) == 2 and ax.get_xscale() == "log" and ax.get_yscale() == "log"
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [1.0, 0.06, 0.002])
    with pytest.raises(ValueError, match="equal length"):
        plotting.plot_gradient_scale([1, 2], [1.0], [1.0, 2.0])


def test_plot_temperature_sweep_sorts_temperatures_and_draws_baselines():
    ax = plotting.plot_temperature_sweep({4.0: 550, 1.0: 730, 20.0: 540}, baselines={"teacher": 257, "scratch": 741})
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1.0, 4.0, 20.0])
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [730, 550, 540])
    assert len(ax.lines) == 3
    assert "teacher (257)" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


@pytest.mark.parametrize("sweep", [{}, {0.0: 10}])


def test_plot_temperature_sweep_rejects_bad_input(sweep):
    with pytest.raises(ValueError):
        plotting.plot_temperature_sweep(sweep)


# --- worked example ---


def _digits(n: int) -> np.ndarray:
    return np.random.default_rng(0).uniform(size=(n, 28, 28)).astype("float32")


def test_show_digits_titles_each_digit_and_marks_wrong_predictions_red():
    fig = plotting.show_digits(_digits(3).reshape(3, 784), [1, 2, 3], predictions=[1, 7, 3], columns=2)
    axes = fig.axes
    assert len(axes) == 4 and not axes[3].images  # two rows of two, the last cell left empty
    assert [ax.get_title() for ax in axes[:3]] == ["1→1", "2→7", "3→3"]
    assert axes[0].images[0].get_array().shape == (28, 28)  # flat rows drawn as 28×28 images
    colors = [matplotlib.colors.to_hex(ax.title.get_color()) for ax in axes[:3]]
    assert colors[1] == matplotlib.colors.to_hex("tab:red") and colors[0] == colors[2] != colors[1]


def test_show_mistakes_shows_only_wrong_predictions_one_row_per_model():
    labels = np.array([0, 1, 2, 3, 4, 5])
    predictions = {"good": np.array([0, 1, 2, 3, 4, 9]), "bad": np.array([1, 1, 0, 0, 0, 5])}
    fig = plotting.show_mistakes(_digits(6), labels, predictions, per_model=3)
    assert len(fig.axes) == 2 * 3
    good, bad = fig.axes[:3], fig.axes[3:]
    assert [ax.get_title() for ax in good] == ["5→9", "", ""]  # one mistake: the rest of the row stays empty
    assert [ax.get_title() for ax in bad] == ["0→1", "2→0", "3→0"]  # the first three of its four mistakes
    assert [t.get_text() for t in good[0].texts] == ["good"] and [t.get_text() for t in bad[0].texts] == ["bad"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"predictions": {}}, "at least one model"),
        ({"per_model": 0}, "per_model"),
        ({"labels": [0, 1]}, "labels"),
        ({"predictions": {"m": [0, 1]}}, "predictions\\['m'\\]"),
    ],
)
def test_show_mistakes_rejects_what_it_cannot_draw(kwargs, match):
    arguments = {"images": _digits(3), "labels": [0, 1, 2], "predictions": {"m": [0, 1, 1]}, **kwargs}
    with pytest.raises(ValueError, match=match):
        plotting.show_mistakes(**arguments)
