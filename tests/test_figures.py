"""dltips.figures, the figures every chapter shares: they draw what they are given and reject what they cannot."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dltips import figures  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _digits(n: int) -> np.ndarray:
    return np.random.default_rng(0).uniform(size=(n, 28, 28)).astype("float32")


def test_show_digits_titles_each_digit_and_marks_wrong_predictions_red():
    fig = figures.show_digits(_digits(3).reshape(3, 784), [1, 2, 3], predictions=[1, 7, 3], columns=2)
    axes = fig.axes
    assert len(axes) == 4 and not axes[3].images  # two rows of two, the last cell left empty
    assert [ax.get_title() for ax in axes[:3]] == ["1→1", "2→7", "3→3"]
    assert axes[0].images[0].get_array().shape == (28, 28)  # flat rows drawn as 28×28 images
    colors = [matplotlib.colors.to_hex(ax.title.get_color()) for ax in axes[:3]]
    assert colors[1] == matplotlib.colors.to_hex("tab:red") and colors[0] == colors[2] != colors[1]


def test_show_mistakes_shows_only_wrong_predictions_one_row_per_model():
    labels = np.array([0, 1, 2, 3, 4, 5])
    predictions = {"good": np.array([0, 1, 2, 3, 4, 9]), "bad": np.array([1, 1, 0, 0, 0, 5])}
    fig = figures.show_mistakes(_digits(6), labels, predictions, per_model=3)
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
        figures.show_mistakes(**arguments)


def test_plot_series_draws_one_line_per_series_with_labels():
    ax = figures.plot_series({"a": [3, 2, 1], "b": [1, 1, 1]}, ylabel="loss", title="t", logy=True)
    assert [line.get_label() for line in ax.get_lines()] == ["a", "b"]
    assert list(ax.get_lines()[0].get_xdata()) == [0, 1, 2]
    assert ax.get_yscale() == "log" and ax.get_title() == "t"
    with pytest.raises(ValueError, match="x has"):
        figures.plot_series({"a": [1, 2]}, x=[1, 2, 3])
    with pytest.raises(ValueError, match="at least one"):
        figures.plot_series({})


def test_plot_bars_draws_one_labelled_bar_per_value_first_on_top():
    ax = figures.plot_bars({"teacher": 0.98, "student": 0.95, "distilled": 0.96}, fmt="{:.0%}",
                           xlim=(0.9, 1.0), highlight=["distilled"], xlabel="test accuracy")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["teacher", "student", "distilled"]
    assert [round(p.get_width(), 2) for p in ax.patches] == [0.98, 0.95, 0.96]
    assert ax.yaxis_inverted() and ax.get_xlim() == (0.9, 1.0) and ax.get_xlabel() == "test accuracy"
    assert [t.get_text() for t in ax.texts] == ["98%", "95%", "96%"]
    assert ax.patches[2].get_facecolor() != ax.patches[0].get_facecolor()


def test_plot_bars_starts_positive_values_at_zero():
    ax = figures.plot_bars({"a": 2.0, "b": 4.0})
    assert ax.get_xlim()[0] == 0 and ax.get_xlim()[1] > 4.0


@pytest.mark.parametrize(("values", "kwargs", "match"), [
    ({}, {}, "at least one"),
    ({"a": float("nan")}, {}, "finite"),
    ({"a": 1.0}, {"highlight": ["b"]}, "not among"),
])
def test_plot_bars_rejects_what_it_cannot_draw(values, kwargs, match):
    with pytest.raises(ValueError, match=match):
        figures.plot_bars(values, **kwargs)
