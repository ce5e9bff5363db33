"""dltips.costs: multiply-adds match hand counts, timing reports what it measured, bad input is refused."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from dltips import costs, models


def test_multiply_adds_of_mlps_match_the_hand_count():
    assert costs.multiply_adds(models.mlp(())) == 784 * 10
    assert costs.multiply_adds(models.mlp((128,))) == 784 * 128 + 128 * 10
    assert costs.multiply_adds(models.mlp((512, 512))) == 784 * 512 + 512 * 512 + 512 * 10


def test_multiply_adds_of_a_cnn_count_every_output_position():
    model = models.small_cnn((8, 4), dense=16)
    conv0 = 28 * 28 * 3 * 3 * 1 * 8  # "same" padding keeps 28×28
    conv1 = 14 * 14 * 3 * 3 * 8 * 4  # after 2×2 pooling
    dense = (7 * 7 * 4) * 16 + 16 * 10
    assert costs.multiply_adds(model) == conv0 + conv1 + dense


def test_multiply_adds_of_dense_layers_equal_their_kernel_sizes():
    # An independent count: a Dense layer's forward pass is one matmul of (1, n_in) by (n_in, n_out).
    model = models.mlp((32, 16), input_shape=(20,))
    kernels = [w.shape for w in model.weights if w.path.endswith("kernel")]
    assert costs.multiply_adds(model) == sum(a * b for a, b in kernels)


def test_multiply_adds_refuses_layers_it_cannot_count():
    inputs = keras.Input((28, 28, 1))
    outputs = keras.layers.BatchNormalization()(inputs)
    with pytest.raises(ValueError, match="BatchNormalization"):
        costs.multiply_adds(keras.Model(inputs, outputs))


def test_time_per_epoch_counts_steps_and_reports_positive_times():
    model = models.compile_classifier(models.mlp((8,), seed=0), "sgd")
    x, y = np.zeros((100, 28, 28), "float32"), np.zeros(100, "uint8")
    timing = costs.time_per_epoch(model, x, y, batch_size=32, epochs=2)
    assert timing.steps == 4 and timing.examples == 100
    assert timing.wall_seconds > 0 and timing.cpu_seconds > 0
    assert timing.examples_per_second == pytest.approx(100 / timing.wall_seconds)


@pytest.mark.parametrize(("kwargs", "name"), [({"batch_size": 0}, "batch_size"), ({"epochs": 0}, "epochs")])
def test_time_per_epoch_refuses_bad_arguments(kwargs, name):
    model = models.compile_classifier(models.mlp((8,)), "sgd")
    with pytest.raises(ValueError, match=name):
        costs.time_per_epoch(model, np.zeros((4, 28, 28)), np.zeros(4), **kwargs)


def test_time_per_epoch_needs_a_compiled_model_and_matching_lengths():
    with pytest.raises(ValueError, match="compiled"):
        costs.time_per_epoch(models.mlp((8,)), np.zeros((4, 28, 28)), np.zeros(4))
    model = models.compile_classifier(models.mlp((8,)), "sgd")
    with pytest.raises(ValueError, match="same length"):
        costs.time_per_epoch(model, np.zeros((4, 28, 28)), np.zeros(3))


def test_epoch_timer_times_every_epoch_and_leaves_out_the_first():
    model = models.compile_classifier(models.mlp((8,), seed=0), "sgd")
    x, y = np.zeros((96, 28, 28), "float32"), np.zeros(96, "uint8")
    timer = costs.EpochTimer()
    model.fit(x, y, batch_size=32, epochs=4, callbacks=[timer], verbose=0)
    assert len(timer.wall_seconds) == len(timer.cpu_seconds) == 4 and timer.steps == 3
    timing = timer.per_epoch(examples=96)
    assert timing.wall_seconds == pytest.approx(float(np.median(timer.wall_seconds[1:])))
    assert timing.cpu_seconds == pytest.approx(float(np.median(timer.cpu_seconds[1:])))
    assert (timing.steps, timing.examples) == (3, 96) and timing.wall_seconds > 0
    # The first epoch traces the training step; the later ones only run it.
    assert timer.wall_seconds[0] > timing.wall_seconds
    model.fit(x, y, batch_size=32, epochs=1, callbacks=[timer], verbose=0)  # a new fit starts a new record
    assert len(timer.wall_seconds) == 1 and timer.per_epoch().wall_seconds == timer.wall_seconds[0]


def test_epoch_timer_needs_a_timed_epoch():
    with pytest.raises(ValueError, match="no epoch"):
        costs.EpochTimer().per_epoch()


def test_saved_size_ignores_optimizer_state():
    x, y = np.random.default_rng(0).random((32, 28, 28), dtype=np.float32), np.arange(32) % 10
    trained = models.compile_classifier(models.mlp((64,), seed=0), "adam")
    trained.fit(x, y, epochs=1, verbose=0)
    fresh = models.mlp((64,), seed=0)
    assert costs.saved_size_bytes(trained) == pytest.approx(costs.saved_size_bytes(fresh), rel=0.01)
    assert costs.saved_size_bytes(models.mlp((256,), seed=0)) > 3 * costs.saved_size_bytes(fresh)


def test_inference_seconds_is_positive_and_checks_repeats():
    x = np.random.default_rng(0).random((32, 28, 28), dtype=np.float32)
    model = models.mlp((8,), seed=0)
    assert costs.inference_seconds(model, x, repeats=2) > 0
    both = costs.inference_seconds({"small": model, "large": models.mlp((256, 256), seed=0)}, x, repeats=2)
    assert set(both) == {"small", "large"} and min(both.values()) > 0
    with pytest.raises(ValueError, match="repeats"):
        costs.inference_seconds(model, x, repeats=0)
