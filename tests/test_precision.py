"""dltips.topics.precision: policies change compute dtypes, keep weights in float32, and are always restored."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from dltips import models
from dltips.topics import precision


@pytest.mark.parametrize(("policy", "compute"), [("mixed_float16", "float16"), ("mixed_bfloat16", "bfloat16")])
def test_mixed_policies_compute_in_16_bits_and_store_float32(policy, compute):
    with precision.dtype_policy(policy):
        model = models.mlp((8,), seed=0)
    layer = model.get_layer("dense_0")
    assert layer.compute_dtype == compute and layer.kernel.dtype == "float32"
    assert model(np.zeros((2, 28, 28), "float32")).dtype == compute
    assert keras.config.dtype_policy().name == "float32", "the global policy must be restored"


def test_policy_is_restored_after_an_exception():
    with pytest.raises(RuntimeError):
        with precision.dtype_policy("mixed_float16"):
            raise RuntimeError("boom")
    assert keras.config.dtype_policy().name == "float32"


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="policy"):
        with precision.dtype_policy("float8"):
            pass
    with pytest.raises(ValueError, match="policy"):
        precision.compare_policies(["float32", "half"], lambda: models.mlp((4,)), np.zeros((4, 28, 28)),
                                   np.zeros(4), np.zeros((4, 28, 28)), np.zeros(4))


def test_compare_policies_reports_dtypes_and_loss_scaling():
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 28, 28)).astype("float32"), rng.integers(0, 10, 64)
    runs = precision.compare_policies(precision.POLICIES, lambda: models.mlp((8,), seed=0), x, y, x, y,
                                      batch_size=32, epochs=1, progress=False)
    assert [(r.policy, r.compute_dtype, r.variable_dtype, r.loss_scaling) for r in runs] == [
        ("float32", "float32", "float32", False),
        ("mixed_float16", "float16", "float32", True),
        ("mixed_bfloat16", "bfloat16", "float32", False),
    ]
    assert all(r.timing.steps == 2 and 0.0 <= r.test_accuracy <= 1.0 for r in runs)


def test_plot_policies_has_a_time_and_an_accuracy_panel_with_one_bar_per_policy():
    from dltips import costs

    runs = [precision.PolicyRun(p, "x", "float32", p == "mixed_float16", costs.EpochTiming(2.0 + i, 1.0 + i, 10, 640),
                                0.9 + 0.01 * i) for i, p in enumerate(precision.POLICIES)]
    fig = precision.plot_policies(runs)
    time_ax, accuracy_ax = fig.axes
    assert [t.get_text() for t in time_ax.get_xticklabels()] == list(precision.POLICIES)
    assert len(time_ax.patches) == 2 * len(runs) and len(accuracy_ax.patches) == len(runs)
    assert [round(p.get_height(), 2) for p in accuracy_ax.patches] == [0.9, 0.91, 0.92]
    assert accuracy_ax.get_ylim()[0] == 0  # equal accuracies look equal
    with pytest.raises(ValueError, match="runs"):
        precision.plot_policies([])
