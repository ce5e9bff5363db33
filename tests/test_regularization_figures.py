"""dltips.regularization's figures: each draws what it is given and rejects what it cannot draw."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dltips import regularization  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


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
    fig = regularization.plot_regularization_curves(fake_reg_result, columns=2)
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
    fig = regularization.plot_regularization_curves(fake_reg_result, names=["L2", "none"], metric="loss")
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("L2") and titles[1].startswith("none")
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), fake_reg_result["L2"].history["train_loss"])


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"names": ["L3"]}, "names"), ({"names": []}, "names"), ({"metric": "auc"}, "metric"), ({"columns": 0}, "columns")],
)


def test_learning_curves_reject_bad_arguments(fake_reg_result, kwargs, name):
    with pytest.raises(ValueError, match=name):
        regularization.plot_regularization_curves(fake_reg_result, **kwargs)


def test_weight_histograms_count_every_weight_and_show_the_spike(fake_reg_result):
    fig = regularization.plot_weight_histograms(fake_reg_result, names=["L1", "L2"], bins=41)
    assert len(fig.axes) == 2
    l1_ax, l2_ax = fig.axes
    assert l1_ax.get_yscale() == "log" and l1_ax.get_xlabel() == "weight value"
    heights = [p.get_height() for p in l1_ax.patches]
    assert sum(heights) == 2000  # the default range holds every weight
    assert max(heights) == heights[20] >= 1200  # the spike at zero sits in the middle bin
    assert "60.0%" in l1_ax.get_title()  # 1200 of 2000 weights are exactly zero
    narrow = regularization.plot_weight_histograms(fake_reg_result, names=["L1"], bins=5, limit=0.02)
    assert sum(p.get_height() for p in narrow.axes[0].patches) == 1200 + np.sum(np.abs(fake_reg_result["L1"].weights[1200:]) <= 0.02)


@pytest.mark.parametrize(
    ("kwargs", "name"), [({"names": ["L1", "nope"]}, "names"), ({"bins": 1}, "bins"), ({"limit": 0.0}, "limit")]
)


def test_weight_histograms_reject_bad_arguments(fake_reg_result, kwargs, name):
    with pytest.raises(ValueError, match=name):
        regularization.plot_weight_histograms(fake_reg_result, **kwargs)
