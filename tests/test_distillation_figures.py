"""dltips.distillation's figures: each draws what it is given and rejects what it cannot draw."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dltips import distillation  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_plot_soft_targets_draws_one_normalized_bar_group_per_temperature():
    ax = distillation.plot_soft_targets([5.0, 1.0, 0.0, -2.0], temperatures=(1, 4))
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == 8
    assert sum(heights[:4]) == pytest.approx(1.0) and sum(heights[4:]) == pytest.approx(1.0)
    assert max(heights[4:]) < max(heights[:4])  # the higher temperature is softer
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["T = 1", "T = 4"]


@pytest.mark.parametrize(("logits", "temperatures"), [([], (1,)), ([1.0, 2.0], (0,)), ([1.0], ())])


def test_plot_soft_targets_rejects_bad_input(logits, temperatures):
    with pytest.raises(ValueError):
        distillation.plot_soft_targets(logits, temperatures)


def test_plot_gradient_scale_draws_both_curves():
    ax = distillation.plot_gradient_scale([1, 4, 20], [1.0, 0.9, 0.88], [1.0, 0.06, 0.002])
    assert len(ax.lines) == 2 and ax.get_xscale() == "log" and ax.get_yscale() == "log"
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [1.0, 0.06, 0.002])
    with pytest.raises(ValueError, match="equal length"):
        distillation.plot_gradient_scale([1, 2], [1.0], [1.0, 2.0])


def test_plot_temperature_sweep_sorts_temperatures_and_draws_baselines():
    ax = distillation.plot_temperature_sweep({4.0: 550, 1.0: 730, 20.0: 540}, baselines={"teacher": 257, "scratch": 741})
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [1.0, 4.0, 20.0])
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [730, 550, 540])
    assert len(ax.lines) == 3
    assert "teacher (257)" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


@pytest.mark.parametrize("sweep", [{}, {0.0: 10}])


def test_plot_temperature_sweep_rejects_bad_input(sweep):
    with pytest.raises(ValueError):
        distillation.plot_temperature_sweep(sweep)


def test_plot_temperature_sweep_adds_a_second_sweep_to_the_same_axes():
    ax = distillation.plot_temperature_sweep({1.0: 300, 4.0: 250}, label="α = 0.1", ylabel="validation errors")
    distillation.plot_temperature_sweep({1.0: 310, 4.0: 240}, label="α = 0.5", ax=ax)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["α = 0.1", "α = 0.5"]
    assert ax.lines[0].get_color() != ax.lines[1].get_color() and ax.get_ylabel() == "validation errors"


def test_plot_student_errors_draws_means_seeds_teacher_and_paper():
    students = {"2×800": {"scratch": [140, 136], "distilled": [96, 92]},
                "2×100": {"scratch": [190, 200], "distilled": [170, 172]}}
    ax = distillation.plot_student_errors(80, students, paper={"teacher": 67, "scratch": 146, "distilled": 74})
    assert sorted(p.get_height() for p in ax.patches) == [94, 138, 171, 195]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"scratch", "distilled", "one seed", "the paper", "teacher (80)", "the paper's teacher (67)"} <= set(labels)
    crosses = [line for line in ax.lines if line.get_marker() == "X"]
    assert sorted(float(line.get_ydata()[0]) for line in crosses) == [74, 146]
    with pytest.raises(ValueError, match="both"):
        distillation.plot_student_errors(80, {"2×800": {"scratch": [1]}})
    with pytest.raises(ValueError, match="at least one"):
        distillation.plot_student_errors(80, {})


def test_plot_bias_shift_marks_the_chosen_shift():
    ax = distillation.plot_bias_shift({0.0: 90, 1.0: 70, 2.0: 85}, 1.0)
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [0.0, 1.0, 2.0])
    assert ax.lines[1].get_ydata()[0] == 70 and "chosen: +1 (70 errors)" in ax.get_legend().get_texts()[0].get_text()
    with pytest.raises(ValueError, match="chosen"):
        distillation.plot_bias_shift({0.0: 90}, 1.0)


def test_draw_distillation_draws_teacher_soft_targets_student_and_the_loss():
    from matplotlib.text import Annotation

    fig = distillation.draw_distillation([5.0, 1.0, 0.0, -2.0], temperature=4.0, alpha=0.1)
    (diagram,) = fig.axes
    (bars,) = diagram.child_axes
    boxes = [t.get_text() for t in diagram.texts if t.get_bbox_patch() is not None]
    assert len(boxes) == 5
    assert any("teacher" in b for b in boxes) and any("student" in b for b in boxes)
    assert any("true label" in b for b in boxes)
    loss = next(b for b in boxes if "KL" in b)
    assert "0.1" in loss and "0.9" in loss and "4^2" in loss  # α, 1 − α and T²
    arrows = [t for t in diagram.texts if isinstance(t, Annotation)]
    assert len(arrows) == 7  # x→teacher, x→student, z→p(T), p(T)→L, v→L, y→L, L→student
    assert sum(a.arrow_patch.get_linestyle() == "--" for a in arrows) == 1  # the gradient
    heights = [p.get_height() for p in bars.patches]
    assert len(heights) == 8  # four classes at T = 1 and at T = 4
    assert sum(heights[:4]) == pytest.approx(1.0) and sum(heights[4:]) == pytest.approx(1.0)
    assert max(heights[4:]) < max(heights[:4])  # T = 4 is softer
    assert [t.get_text() for t in bars.get_legend().get_texts()] == ["T = 1", "T = 4"]


@pytest.mark.parametrize("kwargs", [{"logits": [1.0]}, {"logits": [1.0, float("nan")]},
                                    {"temperature": 1.0}, {"alpha": 1.5}])
def test_draw_distillation_rejects_bad_input(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        distillation.draw_distillation(**kwargs)
