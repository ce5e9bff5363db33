"""dltips.topics.privacy: DP-SGD agrees with brute-force per-example loops; the accountant with published values."""

from __future__ import annotations

import doctest
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from dltips import data, models
from dltips.topics import privacy


@pytest.fixture(scope="module")
def batch():
    keras.utils.set_random_seed(0)
    model = models.mlp((12,), input_shape=(30,), seed=0)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(9, 30)).astype("float32") * 3.0  # large inputs give large gradients, so clipping bites
    y = rng.integers(0, 10, 9)
    return model, x, y


def _loop_gradients(model, x, y):
    """The brute-force reference: one GradientTape per example."""
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    grads = []
    for i in range(len(x)):
        with tf.GradientTape() as tape:
            loss = loss_fn(y[i:i + 1], model(x[i:i + 1], training=True))
        grads.append([g.numpy() for g in tape.gradient(loss, model.trainable_variables)])
    return [np.stack(per_var) for per_var in zip(*grads)]


def test_per_example_gradients_match_a_loop_over_examples(batch):
    model, x, y = batch
    fast = privacy.per_example_gradients(model, x, y)
    for ours, reference in zip(fast, _loop_gradients(model, x, y)):
        np.testing.assert_allclose(ours.numpy(), reference, rtol=1e-5, atol=1e-6)


def test_mean_of_per_example_gradients_is_the_batch_gradient(batch):
    model, x, y = batch
    with tf.GradientTape() as tape:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, model(x, training=True))
    batch_grads = tape.gradient(loss, model.trainable_variables)
    for per_example, g in zip(privacy.per_example_gradients(model, x, y), batch_grads):
        np.testing.assert_allclose(tf.reduce_mean(per_example, axis=0).numpy(), g.numpy(), rtol=1e-5, atol=1e-6)


def test_clipping_matches_a_per_example_loop(batch):
    model, x, y = batch
    clip = 1.0
    clipped, norms = privacy.clip_per_example(privacy.per_example_gradients(model, x, y), clip)
    reference = _loop_gradients(model, x, y)
    for i in range(len(x)):
        norm = math.sqrt(sum(float(np.sum(g[i] ** 2)) for g in reference))
        assert norms[i].numpy() == pytest.approx(norm, rel=1e-5)
        scale = 1.0 / max(1.0, norm / clip)
        for ours, ref in zip(clipped, reference):
            np.testing.assert_allclose(ours[i].numpy(), ref[i] * scale, rtol=1e-5, atol=1e-7)
    clipped_norms = np.sqrt(sum(np.sum(g.numpy().reshape(len(x), -1) ** 2, axis=1) for g in clipped))
    assert (clipped_norms <= clip * (1 + 1e-5)).all()
    assert (norms.numpy() > clip).any() and (norms.numpy() < clip * 50).all(), "the test should exercise clipping"


def test_per_example_norms_are_the_global_norm_over_all_weights(batch):
    model, x, y = batch
    grads = _loop_gradients(model, x, y)
    expected = np.sqrt(sum(np.sum(g.reshape(len(x), -1) ** 2, axis=1) for g in grads))
    np.testing.assert_allclose(privacy.per_example_norms([tf.constant(g) for g in grads]), expected, rtol=1e-5)


def test_small_gradients_are_left_alone(batch):
    model, x, y = batch
    grads = privacy.per_example_gradients(model, x, y)
    clipped, _ = privacy.clip_per_example(grads, 1e6)
    for a, b in zip(clipped, grads):
        np.testing.assert_allclose(a.numpy(), b.numpy())


def test_noise_has_the_promised_standard_deviation():
    clipped = [tf.zeros((50, 200, 100))]
    generator = tf.random.Generator.from_seed(0)
    noisy = privacy.noisy_average(clipped, l2_norm_clip=2.0, noise_multiplier=1.5, generator=generator)[0].numpy()
    assert noisy.shape == (200, 100)
    # σ C / B = 1.5 · 2 / 50; 20,000 draws estimate it within about 1 %.
    assert noisy.std() == pytest.approx(1.5 * 2.0 / 50, rel=0.03)
    assert abs(noisy.mean()) < 0.002


def test_without_noise_the_private_gradient_is_the_mean_clipped_gradient(batch):
    model, x, y = batch
    clipped, _ = privacy.clip_per_example(privacy.per_example_gradients(model, x, y), 0.5)
    averaged = privacy.noisy_average(clipped, l2_norm_clip=0.5, noise_multiplier=0.0,
                                     generator=tf.random.Generator.from_seed(0))
    for a, c in zip(averaged, clipped):
        np.testing.assert_allclose(a.numpy(), tf.reduce_mean(c, axis=0).numpy(), rtol=1e-6, atol=1e-8)


def test_train_dp_sgd_without_clipping_or_noise_is_plain_sgd(mnist_file):
    # The same batches through Keras's own SGD must give the same weights.
    x, y = data.train_subset(64, seed=0, flatten=True)
    ours = models.mlp((8,), input_shape=(784,), seed=0)
    privacy.train_dp_sgd(ours, x, y, x[:10], y[:10], l2_norm_clip=None, noise_multiplier=0.0,
                         learning_rate=0.1, batch_size=16, epochs=1, seed=5, progress=False)
    reference = models.compile_classifier(models.mlp((8,), input_shape=(784,), seed=0), keras.optimizers.SGD(0.1))
    order = np.random.default_rng(5).permutation(64)
    reference.fit(x[order], y[order], batch_size=16, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_train_dp_sgd_records_one_accuracy_per_epoch(mnist_file):
    x, y = data.train_subset(100, seed=0, flatten=True)
    result = privacy.train_dp_sgd(models.mlp((8,), input_shape=(784,), seed=0), x, y, x, y,
                                  l2_norm_clip=1.0, noise_multiplier=1.0, batch_size=25, epochs=2,
                                  progress=False)
    assert len(result.test_accuracy) == 2 and len(result.mean_gradient_norm) == 2
    assert all(0.0 <= a <= 1.0 for a in result.test_accuracy)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"l2_norm_clip": 0.0}, "l2_norm_clip"), ({"noise_multiplier": -1.0}, "noise_multiplier"),
     ({"l2_norm_clip": None, "noise_multiplier": 1.0}, "l2_norm_clip"), ({"learning_rate": 0.0}, "learning_rate"),
     ({"batch_size": 0}, "batch_size"), ({"batch_size": 11}, "batch_size")],
)
def test_train_dp_sgd_refuses_bad_arguments(kwargs, name):
    model = models.mlp((4,), input_shape=(3,))
    x, y = np.zeros((10, 3), "float32"), np.zeros(10, "int64")
    with pytest.raises(ValueError, match=name):
        privacy.train_dp_sgd(model, x, y, x, y, progress=False, **kwargs)


def test_rdp_of_the_unsampled_gaussian_is_alpha_over_two_sigma_squared():
    for sigma in (0.7, 1.0, 3.0):
        for order in (2, 5, 32):
            assert privacy.rdp_sampled_gaussian(1.0, sigma, order) == pytest.approx(order / (2 * sigma**2))


def test_rdp_binomial_sum_matches_numerical_integration():
    # A_α = E_{z~N(0,σ²)}[((1-q) + q·exp((2z-1)/(2σ²)))^α], integrated on a fine grid.
    q, sigma = 0.05, 1.3
    z = np.linspace(-40, 40, 400_001)
    density = np.exp(-z**2 / (2 * sigma**2)) / (sigma * math.sqrt(2 * math.pi))
    for order in (2, 3, 8, 20):
        integrand = density * ((1 - q) + q * np.exp((2 * z - 1) / (2 * sigma**2))) ** order
        reference = math.log(np.trapezoid(integrand, z)) / (order - 1)
        assert privacy.rdp_sampled_gaussian(q, sigma, order) == pytest.approx(reference, rel=1e-6)


@pytest.mark.parametrize(("sigma", "epochs", "published"), [(1.12, 60, 2.92), (0.6, 30, 9.74), (1.2, 10, 1.20)])
def test_rdp_epsilon_reproduces_tensorflow_privacy_mnist_table(sigma, epochs, published):
    # TensorFlow Privacy's MNIST tutorial: batch 256 of 60,000 examples, δ = 1e-5. It also searches
    # fractional orders, so its ε can be slightly smaller than ours (integer orders only).
    eps = privacy.rdp_epsilon(sigma, 256 / 60_000, epochs * 60_000 // 256, delta=1e-5)
    assert published * 0.995 <= eps <= published * 1.01


def test_rdp_epsilon_falls_with_noise_and_grows_with_steps():
    q = 0.01
    assert privacy.rdp_epsilon(2.0, q, 1000) < privacy.rdp_epsilon(1.0, q, 1000)
    assert privacy.rdp_epsilon(1.0, q, 1000) < privacy.rdp_epsilon(1.0, q, 4000)


@pytest.mark.parametrize(
    ("args", "name"),
    [((1.0, 0.0, 10), "sampling_rate"), ((0.0, 0.1, 10), "noise_multiplier"), ((1.0, 0.1, 0), "steps")],
)
def test_rdp_epsilon_refuses_bad_arguments(args, name):
    with pytest.raises(ValueError, match=name):
        privacy.rdp_epsilon(*args)


# The (ε, δ) conversion: the basic bound (the book's) and the improved one (Google's dp_accounting).

def test_basic_conversion_is_mironovs_proposition_3():
    assert privacy.rdp_to_epsilon(0.5, 11, 1e-5) == pytest.approx(0.5 + math.log(1e5) / 10)
    assert privacy.rdp_to_epsilon(0.5, 11, 1e-5, "basic") == privacy.rdp_to_epsilon(0.5, 11, 1e-5)


def test_improved_conversion_reproduces_dp_accounting_pure_dp_value():
    # dp_accounting's rdp_privacy_accountant_test, test_compute_epsilon_delta_pure_dp: a constant
    # RDP of 1.1 at orders 2..32 and δ = 1e-5 give ε = 1.32783806176, at order 32.
    eps = {a: privacy.rdp_to_epsilon(1.1, a, 1e-5, "improved") for a in range(2, 33)}
    assert min(eps.values()) == pytest.approx(1.32783806176, abs=1e-10)
    assert min(eps, key=eps.get) == 32


def test_improved_conversion_reproduces_dp_accounting_gaussian_value():
    # dp_accounting's test_compute_epsilon_delta_gaussian: the unsampled Gaussian mechanism with
    # σ = 4.530877117 is exactly (1, 1e-6)-DP over the orders 1.001, 1.002, ..., 99.999.
    sigma = 4.530877117
    eps = min(privacy.rdp_to_epsilon(a / (2 * sigma**2), a, 1e-6, "improved")
              for a in (0.001 * i for i in range(1001, 100_000)))
    assert eps == pytest.approx(1.0, abs=1e-7)


@pytest.mark.parametrize(
    ("n", "batch", "sigma", "epochs", "delta", "published", "order"),
    [(60_000, 150, 1.3, 15, 1e-5, 0.7242234026109595, 19), (100_000, 100, 1.0, 30, 1e-7, 1.4154988495444842, 13)],
)
def test_improved_rdp_epsilon_reproduces_tensorflow_privacy_dp_sgd_values(n, batch, sigma, epochs, delta,
                                                                        published, order):
    # TensorFlow Privacy's compute_dp_sgd_privacy_test (which calls dp_accounting's RDP accountant):
    # the optimal orders there are integers, which our accountant searches too.
    steps = math.ceil(epochs * n / batch)
    eps = privacy.rdp_epsilon(sigma, batch / n, steps, delta=delta, conversion="improved")
    assert eps == pytest.approx(published, rel=1e-9)
    rdp = steps * privacy.rdp_sampled_gaussian(batch / n, sigma, order)
    assert privacy.rdp_to_epsilon(rdp, order, delta, "improved") == pytest.approx(published, rel=1e-9)


def test_improved_conversion_is_below_the_basic_one_at_every_order():
    for rdp in (0.01, 0.3, 2.0, 40.0):
        for order in (1.5, 2, 3, 10, 64, 256):
            for delta in (1e-3, 1e-5, 1e-9):
                assert privacy.rdp_to_epsilon(rdp, order, delta, "improved") < privacy.rdp_to_epsilon(rdp, order, delta)


def test_improved_conversion_is_zero_when_the_kl_bound_already_gives_delta():
    # δ > sqrt(1 - exp(-ε_α)) bounds the total variation: (0, δ)-DP.
    assert privacy.rdp_to_epsilon(1e-4, 2, 0.5, "improved") == 0.0
    assert privacy.rdp_to_epsilon(1e-4, 2, 0.5, "basic") > 0.5


def test_improved_bound_on_tensorflow_privacy_mnist_setting_is_about_14_percent_lower():
    # The book's comparison (chapter 5): 60,000 examples, batches of 256, σ = 1.12, 60 epochs, δ = 1e-5.
    setting = dict(noise_multiplier=1.12, sampling_rate=256 / 60_000, steps=60 * 60_000 // 256, delta=1e-5)
    basic = privacy.rdp_epsilon(**setting)
    improved = privacy.rdp_epsilon(**setting, conversion="improved")
    assert basic == pytest.approx(2.92, abs=0.005)
    assert improved == pytest.approx(2.52, abs=0.005)
    assert 0.13 < 1 - improved / basic < 0.15


def test_conversion_docstring_examples_hold():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    for function in (privacy.rdp_to_epsilon, privacy.rdp_epsilon):
        for test in finder.find(function, globs=vars(privacy)):
            assert test.examples, f"{function.__name__} lost its example"
            runner.run(test)
    assert runner.failures == 0


@pytest.mark.parametrize(
    ("args", "name"),
    [((-0.1, 2, 1e-5), "rdp"), ((0.1, 1, 1e-5), "order"), ((0.1, 2, 0.0), "delta"), ((0.1, 2, 1.0), "delta"),
     ((0.1, 2, 1e-5, "tight"), "conversion")],
)
def test_rdp_to_epsilon_refuses_bad_arguments(args, name):
    with pytest.raises(ValueError, match=name):
        privacy.rdp_to_epsilon(*args)


def test_rdp_epsilon_refuses_an_unknown_conversion():
    with pytest.raises(ValueError, match="conversion"):
        privacy.rdp_epsilon(1.0, 0.1, 10, conversion="pld")
