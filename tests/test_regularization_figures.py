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


# --------------------------------------------------------------------------- conceptual diagrams


def _units(ax):
    from matplotlib.patches import Circle

    return [p for p in ax.patches if isinstance(p, Circle)]


def test_dropout_diagram_draws_the_full_network_and_thinned_ones_without_the_dropped_edges():
    from matplotlib.colors import to_rgba

    layers = (4, 5, 5, 2)
    fig = regularization.draw_dropout_subnetworks(layers, thinned=3, rate=0.5, seed=0)
    assert len(fig.axes) == 4  # the full network and three thinned ones
    grey = to_rgba(regularization.figures.DROPPED_COLOR)
    full, *thinned = fig.axes
    assert len(_units(full)) == sum(layers)
    assert len(full.collections[0].get_segments()) == 4 * 5 + 5 * 5 + 5 * 2
    assert not any(p.get_facecolor() == grey for p in _units(full))
    for ax in thinned:
        units = _units(ax)
        assert len(units) == sum(layers)  # dropped units are still drawn, greyed
        kept = [p.get_facecolor() != grey for p in units]
        assert all(kept[-2:])  # the output units are never dropped
        assert 0 < sum(not k for k in kept) < sum(layers) - 2
        # the edges left are exactly those between kept units of adjacent layers
        start = np.cumsum((0,) + layers)
        expected = sum(sum(kept[start[i]:start[i + 1]]) * sum(kept[start[i + 1]:start[i + 2]])
                       for i in range(len(layers) - 1))
        assert len(ax.collections[0].get_segments()) == expected
        assert len(ax.get_lines()) == 2 * sum(not k for k in kept)  # a cross on every dropped unit
        assert f"{sum(not k for k in kept)} units dropped" in ax.get_title()


def test_dropout_diagram_is_reproducible_and_varies_with_the_seed():
    def dropped(seed):
        fig = regularization.draw_dropout_subnetworks(seed=seed)
        grey = matplotlib.colors.to_rgba(regularization.figures.DROPPED_COLOR)
        return [[p.get_facecolor() == grey for p in _units(ax)] for ax in fig.axes]

    assert dropped(3) == dropped(3) and dropped(3) != dropped(4)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"layers": (4,)}, "layers"), ({"layers": (3, 0, 2)}, "layers"), ({"thinned": 0}, "thinned"),
     ({"rate": 1.0}, "rate"), ({"size": (1.0,)}, "size")],
)
def test_dropout_diagram_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        regularization.draw_dropout_subnetworks(**kwargs)


def _marked(ax, label):
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return np.array([line.get_xdata()[0], line.get_ydata()[0]], float)


def test_constraint_diagram_puts_l1s_minimum_on_an_axis_and_l2s_off_it():
    from matplotlib.patches import Polygon

    fig = regularization.draw_constraint_regions((1.6, 0.7), ((1.0, 0.0), (0.0, 0.3)), radius=1.0)
    l1_ax, l2_ax = fig.axes
    assert l1_ax.get_title().startswith("L1") and l2_ax.get_title().startswith("L2")
    diamond = [p for p in l1_ax.patches if isinstance(p, Polygon)][0].get_xy()
    assert len(np.unique(np.round(diamond, 9), axis=0)) == 4  # four corners
    np.testing.assert_allclose(_marked(l1_ax, "unconstrained minimum"), [1.6, 0.7])
    w_l1, w_l2 = _marked(l1_ax, "constrained minimum"), _marked(l2_ax, "constrained minimum")
    np.testing.assert_allclose(w_l1, [1.0, 0.0], atol=1e-9)  # a corner: w2 is exactly zero
    assert np.all(np.abs(w_l2) > 0.1)  # on the disc, both weights non-zero
    assert np.linalg.norm(w_l2) == pytest.approx(1.0, abs=1e-6)
    assert len(l1_ax.collections) >= 2  # the loss's contours are drawn


def test_constrained_minimum_agrees_with_a_search_over_the_region():
    rng = np.random.default_rng(0)
    hessian = np.array([[2.0, 0.6], [0.6, 0.5]])
    center = np.array([1.2, -1.5])

    def loss(w):
        d = w - center
        return 0.5 * np.einsum("...i,ij,...j->...", d, hessian, d)

    for norm, inside in (("l1", lambda w: np.abs(w).sum(-1) <= 1), ("l2", lambda w: np.linalg.norm(w, axis=-1) <= 1)):
        best = regularization.constrained_minimum(center, hessian, radius=1.0, norm=norm)
        samples = rng.uniform(-1, 1, size=(200_000, 2))
        samples = samples[inside(samples)]
        assert loss(best) <= loss(samples).min() + 1e-9
        assert inside(best[None] * (1 - 1e-9))[0]
    inner = regularization.constrained_minimum((0.2, 0.1), hessian, radius=1.0, norm="l1")
    np.testing.assert_allclose(inner, [0.2, 0.1])  # inside the ball: the loss's own minimum


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"center": (1.0,)}, "center"), ({"hessian": ((1.0, 2.0), (2.0, 1.0))}, "hessian"),
     ({"radius": 0.0}, "radius"), ({"norm": "l3"}, "norm")],
)
def test_constrained_minimum_rejects_bad_arguments(kwargs, name):
    args = {"center": (1.0, 1.0), "hessian": ((1.0, 0.0), (0.0, 1.0)), "radius": 1.0, "norm": "l1"} | kwargs
    with pytest.raises(ValueError, match=name):
        regularization.constrained_minimum(args.pop("center"), args.pop("hessian"), **args)
