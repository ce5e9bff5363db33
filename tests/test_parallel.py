"""dltips.parallel with real TensorFlow workers: equivalence, resuming after a kill, async staleness, bad input.

Each test starts TensorFlow in one to three fresh processes (several seconds of
CPU each), so the models and step counts are tiny.
"""

from __future__ import annotations

import json
import textwrap

import numpy as np
import psutil
import pytest

from dltips.data import train_subset
from dltips.parallel import common, devices, launcher, mirrored, multiworker, parameter_server, worker

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


# One process, several replicas: MirroredStrategy over logical CPUs, driven by the custom loop.
MIRRORED_LOOP = textwrap.dedent("""
    import json, sys
    import numpy as np
    from dltips.runtime import configure
    configure(seed=0)
    from dltips.parallel.devices import split_cpu
    devices = split_cpu(2)
    import tensorflow as tf
    from dltips.parallel import common
    from dltips.parallel.multiworker import max_abs_difference, train_custom_loop
    x, y = common.load_training_data(sys.argv[1])
    kwargs = dict(steps=20, global_batch_size=32, hidden=(16,), seed=3)
    single = train_custom_loop(x, y, **kwargs)
    result = {}
    for n in (1, 2):  # a second multi-device MirroredStrategy in the same process fails in TensorFlow itself
        mirrored = train_custom_loop(x, y, strategy=tf.distribute.MirroredStrategy(devices[:n]), **kwargs)
        result[n] = [mirrored.num_replicas, max_abs_difference(mirrored.weights, single.weights),
                     float(np.max(np.abs(np.subtract(mirrored.losses, single.losses))))]
    print(json.dumps(result))
""")


def test_custom_loop_with_several_replicas_in_one_process_matches_single_device_training(examples, tmp_path):
    """Each replica must get its own slice of the global batch, also when one input pipeline feeds several."""
    x, y = examples
    data = common.save_arrays(tmp_path / "data.npz", x, y)
    log = launcher.run_child(["-c", MIRRORED_LOOP, str(data)], name="mirrored custom loop", timeout=300).log
    result = json.loads(log.strip().splitlines()[-1])
    for n, (replicas, weights, losses) in result.items():
        assert replicas == int(n)
        assert weights < TOLERANCE, f"{n} replicas: weights differ from one device by {weights:.2e}"
        assert losses < TOLERANCE, f"{n} replicas: losses differ from one device by {losses:.2e}"


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
