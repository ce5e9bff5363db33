"""dltips.topics.model_costs: one cost record per model, counted like dltips.costs, drawn in four panels."""

from __future__ import annotations

import numpy as np
import pytest

from dltips import costs, models
from dltips.topics import model_costs


@pytest.fixture(scope="module")
def results():
    rng = np.random.default_rng(0)
    x, y = rng.random((128, 28, 28)).astype("float32"), rng.integers(0, 10, 128)
    builders = {"softmax regression": lambda: models.mlp((), seed=0), "MLP 16": lambda: models.mlp((16,), seed=0)}
    return model_costs.measure_models(builders, x, y, x[:32], y[:32], batch_size=32, progress=False)


def test_measure_models_counts_each_model_as_dltips_costs_does(results):
    assert [r.name for r in results] == ["softmax regression", "MLP 16"]
    assert [r.params for r in results] == [784 * 10 + 10, 784 * 16 + 16 + 16 * 10 + 10]
    assert [r.multiply_adds for r in results] == [784 * 10, 784 * 16 + 16 * 10]
    assert all(r.timing.steps == 4 and r.timing.cpu_seconds > 0 and 0 <= r.test_accuracy <= 1 for r in results)


def test_measure_models_is_repeatable_with_the_same_seed(results):
    rng = np.random.default_rng(0)
    x, y = rng.random((128, 28, 28)).astype("float32"), rng.integers(0, 10, 128)
    again = model_costs.measure_models({"MLP 16": lambda: models.mlp((16,), seed=0)}, x, y, x[:32], y[:32],
                                       batch_size=32, progress=False)
    assert again[0].test_accuracy == results[1].test_accuracy


def test_measure_models_refuses_bad_arguments_before_training():
    x, y = np.zeros((4, 28, 28), "float32"), np.zeros(4, "int64")
    with pytest.raises(ValueError, match="builders"):
        model_costs.measure_models({}, x, y, x, y)
    with pytest.raises(ValueError, match="learning_rate"):
        model_costs.measure_models({"m": lambda: models.mlp(())}, x, y, x, y, learning_rate=0.0)


def test_plot_model_costs_draws_four_panels_with_one_labelled_bar_per_model():
    records = [model_costs.ModelCost(name, p, m, costs.EpochTiming(1.0, t, 10, 640), a)
               for name, p, m, t, a in [("a", 7850, 7840, 0.5, 0.85), ("b", 105866, 1117056, 4.0, 0.94)]]
    fig = model_costs.plot_model_costs(records)
    assert [ax.get_title() for ax in fig.axes] == ["parameters", "multiply-adds per example", "CPU seconds per epoch",
                                                  "test accuracy"]
    assert [ax.get_xscale() for ax in fig.axes] == ["log", "log", "linear", "linear"]
    assert [round(p.get_width()) for p in fig.axes[1].patches] == [7840, 1117056]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a", "b"]
    with pytest.raises(ValueError, match="results"):
        model_costs.plot_model_costs([])
