"""dltips.cost: multiply-adds match hand counts, timing reports what it measured, bad input is refused."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from dltips import cost, models


def test_multiply_adds_of_mlps_match_the_hand_count():
    assert cost.multiply_adds(models.mlp(())) == 784 * 10
    assert cost.multiply_adds(models.mlp((128,))) == 784 * 128 + 128 * 10
    assert cost.multiply_adds(models.mlp((512, 512))) == 784 * 512 + 512 * 512 + 512 * 10


def test_multiply_adds_of_a_cnn_count_every_output_position():
    model = models.small_cnn((8, 4), dense=16)
    conv0 = 28 * 28 * 3 * 3 * 1 * 8  # "same" padding keeps 28×28
    conv1 = 14 * 14 * 3 * 3 * 8 * 4  # after 2×2 pooling
    dense = (7 * 7 * 4) * 16 + 16 * 10
    assert cost.multiply_adds(model) == conv0 + conv1 + dense


def test_multiply_adds_of_dense_layers_equal_their_kernel_sizes():
    # An independent count: a Dense layer's forward pass is one matmul of (1, n_in) by (n_in, n_out).
    model = models.mlp((32, 16), input_shape=(20,))
    kernels = [w.shape for w in model.weights if w.path.endswith("kernel")]
    assert cost.multiply_adds(model) == sum(a * b for a, b in kernels)


def test_multiply_adds_refuses_layers_it_cannot_count():
    inputs = keras.Input((28, 28, 1))
    outputs = keras.layers.BatchNormalization()(inputs)
    with pytest.raises(ValueError, match="BatchNormalization"):
        cost.multiply_adds(keras.Model(inputs, outputs))


def test_time_per_epoch_counts_steps_and_reports_positive_times():
    model = models.compile_classifier(models.mlp((8,), seed=0), "sgd")
    x, y = np.zeros((100, 28, 28), "float32"), np.zeros(100, "uint8")
    timing = cost.time_per_epoch(model, x, y, batch_size=32, epochs=2)
    assert timing.steps == 4 and timing.examples == 100
    assert timing.wall_seconds > 0 and timing.cpu_seconds > 0
    assert timing.examples_per_second == pytest.approx(100 / timing.wall_seconds)


@pytest.mark.parametrize(("kwargs", "name"), [({"batch_size": 0}, "batch_size"), ({"epochs": 0}, "epochs")])
def test_time_per_epoch_refuses_bad_arguments(kwargs, name):
    model = models.compile_classifier(models.mlp((8,)), "sgd")
    with pytest.raises(ValueError, match=name):
        cost.time_per_epoch(model, np.zeros((4, 28, 28)), np.zeros(4), **kwargs)


def test_time_per_epoch_needs_a_compiled_model_and_matching_lengths():
    with pytest.raises(ValueError, match="compiled"):
        cost.time_per_epoch(models.mlp((8,)), np.zeros((4, 28, 28)), np.zeros(4))
    model = models.compile_classifier(models.mlp((8,)), "sgd")
    with pytest.raises(ValueError, match="same length"):
        cost.time_per_epoch(model, np.zeros((4, 28, 28)), np.zeros(3))


def test_epoch_timer_times_every_epoch_and_leaves_out_the_first():
    model = models.compile_classifier(models.mlp((8,), seed=0), "sgd")
    x, y = np.zeros((96, 28, 28), "float32"), np.zeros(96, "uint8")
    timer = cost.EpochTimer()
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
        cost.EpochTimer().per_epoch()
