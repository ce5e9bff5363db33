"""dltips.parallel with real TensorFlow workers: equivalence, resuming after a kill, async staleness, bad input.

Each test starts TensorFlow in one to three fresh processes (several seconds of
CPU each), so the models and step counts are tiny.
"""

from __future__ import annotations

import numpy as np
import psutil
import pytest

from dltips.data import train_subset
from dltips.parallel import devices, launcher, mirrored, multiworker, parameter_server, worker

TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def examples(mnist_file):
    return train_subset(640, seed=0)


@pytest.fixture(autouse=True)
def no_process_left_behind():
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    yield
    left = [p for p in psutil.Process().children(recursive=True)
            if p.pid not in before and p.status() != psutil.STATUS_ZOMBIE]
    assert not left, f"processes left behind: {left}"


def test_split_cpu_refuses_once_tensorflow_is_initialized():
    import tensorflow as tf

    with pytest.raises(ValueError, match="num_devices must be at least 1"):
        devices.split_cpu(0)
    tf.constant(1.0) + 1.0  # noqa: B018 (initializes the devices)
    wanted = len(devices.logical_cpus()) + 1
    with pytest.raises(devices.DevicesAlreadyInitializedError, match="already initialized(.|\n)*fresh process"):
        devices.split_cpu(wanted)


def test_mirrored_strategy_fit_matches_single_device_training(examples):
    x, y = examples
    result = mirrored.compare_in_child(x, y, num_replicas=2, global_batch_size=32, hidden=(16,))
    assert result.num_replicas == 2 and len(result.devices) == 2
    assert result.steps == 20
    assert result.max_abs_difference < TOLERANCE
    assert result.losses_mirrored == pytest.approx(result.losses_single, abs=1e-5)


def test_mirrored_in_this_process_needs_the_devices(examples):
    x, y = examples
    with pytest.raises(RuntimeError, match="split_cpu"):
        mirrored.compare_with_single_device(x, y, num_replicas=4, global_batch_size=32)


def test_synchronous_train_step_on_one_device_is_a_plain_sgd_step(examples):
    import keras
    import tensorflow as tf

    from dltips.parallel import common

    x, y = examples
    strategy = tf.distribute.get_strategy()
    model, reference = (common.build_model((8,), x.shape[1:], seed=1) for _ in range(2))
    optimizer = keras.optimizers.SGD(0.1)
    optimizer.build(model.trainable_variables)
    step = multiworker.synchronous_train_step(strategy, model, optimizer, global_batch_size=32)
    batches = multiworker.global_batches(strategy, x, y, 32)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    for s in range(3):
        xb, yb = x[32 * s : 32 * s + 32], y[32 * s : 32 * s + 32]
        with tf.GradientTape() as tape:
            expected = loss_fn(yb, reference(xb, training=True))
        grads = tape.gradient(expected, reference.trainable_variables)
        for w, g in zip(reference.trainable_variables, grads):
            w.assign_sub(0.1 * g)
        assert float(step(batches)) == pytest.approx(float(expected), rel=1e-5)
    assert multiworker.max_abs_difference(model.get_weights(), reference.get_weights()) < 1e-6
    assert int(optimizer.iterations) == 3


def test_multiworker_loop_matches_single_device_training(examples):
    x, y = examples
    kwargs = dict(steps=20, global_batch_size=32, learning_rate=0.1, hidden=(16,), seed=3)
    ports = launcher.free_ports(2)
    two = multiworker.train_multiworker(x, y, num_workers=2, ports=ports, **kwargs)
    assert all(launcher.port_is_free(p) for p in ports), "a worker port is still bound"
    one = multiworker.train_custom_loop(x, y, **kwargs)
    assert (two.num_replicas, two.start_step, two.final_step) == (2, 0, 20)
    assert multiworker.max_abs_difference(two.weights, one.weights) < TOLERANCE
    np.testing.assert_allclose(two.losses, one.losses, atol=1e-5)
    assert two.losses[-1] < two.losses[0]


def test_killed_worker_job_resumes_from_its_checkpoint(examples, tmp_path):
    x, y = examples
    kwargs = dict(steps=24, global_batch_size=32, hidden=(16,), checkpoint_dir=tmp_path, checkpoint_every=5)
    ports = launcher.free_ports(2)
    with pytest.raises(launcher.WorkerError, match="worker 1 was killed by SIGKILL") as info:
        multiworker.train_multiworker(x, y, num_workers=2, crash_at_step=13, ports=ports, **kwargs)
    assert "simulated failure after step 13" in info.value.log_tail
    assert all(launcher.port_is_free(p) for p in ports), "a worker port is still bound"
    resumed = multiworker.train_multiworker(x, y, num_workers=2, **kwargs)
    assert resumed.start_step == 10, "the last checkpoint before the kill was step 10"
    assert resumed.final_step == 24 and len(resumed.losses) == 14
    assert any("resumed from the checkpoint of step 10" in log for log in resumed.worker_logs)
    uninterrupted = multiworker.train_custom_loop(x, y, steps=24, global_batch_size=32, hidden=(16,))
    assert multiworker.max_abs_difference(resumed.weights, uninterrupted.weights) < TOLERANCE


def test_parameter_server_run_trains_and_counts_its_updates(examples):
    x, y = examples
    result = parameter_server.train_async(x, y, num_workers=2, steps=60, batch_size=32, hidden=(16,))
    assert result.scheduled_steps == 60 and len(result.staleness) == len(result.losses) == 60
    assert result.applied_updates == 60, "every scheduled step must reach the parameter server"
    assert result.optimizer_iterations <= result.applied_updates
    assert min(result.staleness) >= 0 and max(result.staleness) <= 60
    assert result.final_loss_async < result.initial_loss - 0.5
    assert np.mean(result.losses[-10:]) < np.mean(result.losses[:10])
    assert result.final_loss_sync < result.initial_loss - 0.5 and len(result.sync_losses) == 60


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_workers": 0}, "num_workers must be at least 1, got 0"),
        ({"num_workers": 3}, "global_batch_size must be a positive multiple of the number of replicas \\(3\\)"),
        ({"num_workers": 2, "steps": 0}, "steps must be at least 1"),
        ({"num_workers": 2, "learning_rate": -0.1}, "learning_rate must be positive"),
        ({"num_workers": 2, "crash_at_step": 3, "crash_worker": 2}, "crash_worker must be in \\[0, 1\\]"),
    ],
)
def test_multiworker_refuses_bad_arguments_before_starting(examples, kwargs, message):
    x, y = examples
    settings = {"steps": 5, "global_batch_size": 32, **kwargs}
    with pytest.raises(ValueError, match=message):
        multiworker.train_multiworker(x, y, **settings)


def test_other_entry_points_refuse_bad_arguments(examples):
    x, y = examples
    with pytest.raises(ValueError, match="num_workers must be at least 1"):
        parameter_server.train_async(x, y, num_workers=0)
    with pytest.raises(ValueError, match="num_ps must be at least 1"):
        parameter_server.train_async(x, y, num_ps=0)
    with pytest.raises(ValueError, match="global_batch_size must be a positive multiple"):
        mirrored.compare_in_child(x, y, num_replicas=2, global_batch_size=33)
    with pytest.raises(SystemExit):
        worker.parse_args(["--out", "o", "--steps", "5", "--global-batch-size", "4", "--hidden", "a,b"])


def test_worker_reads_its_place_in_the_cluster(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert worker.cluster_position() == (0, 1)
    monkeypatch.setenv("TF_CONFIG", launcher.tf_config([1, 2, 3], 2))
    assert worker.cluster_position() == (2, 3)
