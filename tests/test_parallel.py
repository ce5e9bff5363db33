"""dltips.parallel with real TensorFlow workers: equivalence, resuming after a kill, async staleness, bad input.

Each test starts TensorFlow in one to three fresh processes (several seconds of
CPU each), so the models and step counts are tiny.
"""

from __future__ import annotations

import _thread
import json
import socket
import tempfile
import textwrap
import threading
import time
from pathlib import Path

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

    with pytest.raises(ValueError, match="num_devices must be an integer >= 1"):
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


def test_workers_stop_at_once_when_asked_and_cannot_be_reached_from_outside(examples, tmp_path, monkeypatch,
                                                                        sigint_raises_keyboard_interrupt):
    """TensorFlow takes SIGTERM over in a multi-worker strategy; the launcher's request must still end the workers."""
    x, y = examples
    monkeypatch.setattr(launcher, "GRACE_SECONDS", 30.0)  # a worker ignoring SIGTERM would hold us this long
    data = common.save_arrays(tmp_path / "data.npz", x, y)
    ports = launcher.free_ports(2)
    args = multiworker.worker_args(str(data), tmp_path / "out", steps=100_000, global_batch_size=32, hidden=(16,),
                                   log_every=20)
    reached, asked = [], []

    def stop_once_training() -> None:
        logs = [tmp_path / f"worker-{i}.log" for i in range(2)]
        deadline = time.time() + 120
        while time.time() < deadline and not all(p.exists() and ": step 20 " in p.read_text() for p in logs):
            time.sleep(0.1)
        for port in ports:  # the workers' gRPC servers listen on every interface of their own network only
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                reached.append(port)
            except OSError:
                pass
        asked.append(time.perf_counter())
        _thread.interrupt_main()

    threading.Thread(target=stop_once_training, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        launcher.launch_workers(args, 2, ports=ports, log_dir=tmp_path, timeout=240)
    assert asked, "the workers never trained"
    stopped_in = time.perf_counter() - asked[0]
    assert stopped_in < 10, f"the workers took {stopped_in:.1f} s to stop (SIGTERM ignored until SIGKILL?)"
    assert not reached, f"worker ports {reached} were reachable from outside the job"


def test_killed_worker_job_resumes_from_its_checkpoint(examples, tmp_path):
    x, y = examples
    kwargs = dict(steps=24, global_batch_size=32, hidden=(16,), checkpoint_dir=tmp_path, checkpoint_every=5)
    ports = launcher.free_ports(2)
    with pytest.raises(launcher.WorkerError, match="worker 1 was killed by SIGKILL") as info:
        multiworker.train_multiworker(x, y, num_workers=2, crash_at_step=13, ports=ports, **kwargs)
    assert "simulated failure after step 13" in info.value.log_tail
    assert all(launcher.port_is_free(p) for p in ports), "a worker port is still bound"
    resumed = multiworker.train_multiworker(x, y, num_workers=2, **kwargs)
    # The killed worker's scratch checkpoints (beside the chief's, not in the temporary folder) are gone.
    assert not list(tmp_path.glob("workertemp_*"))
    assert resumed.start_step == 10, "the last checkpoint before the kill was step 10"
    assert resumed.final_step == 24 and len(resumed.losses) == 14
    assert any("resumed from the checkpoint of step 10" in log for log in resumed.worker_logs)
    uninterrupted = multiworker.train_custom_loop(x, y, steps=24, global_batch_size=32, hidden=(16,))
    assert multiworker.max_abs_difference(resumed.weights, uninterrupted.weights) < TOLERANCE


def _autograph_files() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("__autograph_generated_file*")}


def test_parameter_server_run_trains_and_counts_its_updates(examples):
    x, y = examples
    autograph_before = _autograph_files()
    result = parameter_server.train_async(x, y, num_workers=2, steps=60, batch_size=32, hidden=(16,))
    # The child ends with os._exit (its servers never stop), so TensorFlow's own clean-up never runs.
    assert _autograph_files() == autograph_before, "the child's autograph files were left behind"
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
        ({"num_workers": 0}, "num_workers must be an integer >= 1, got 0"),
        ({"num_workers": 3}, "global_batch_size must be a positive multiple of the number of replicas \\(3\\)"),
        ({"num_workers": 2, "steps": 0}, "steps must be an integer >= 1"),
        ({"num_workers": 2, "learning_rate": -0.1}, "learning_rate must be a number in \\(0.0, inf\\)"),
        # Each of these used to start the workers, which then failed on their own command line.
        ({"num_workers": 2, "threads": 0}, "threads must be an integer >= 1, got 0"),
        ({"num_workers": 2, "checkpoint_every": -1}, "checkpoint_every must be an integer >= 0, got -1"),
        ({"num_workers": 2, "steps": 2.5}, "steps must be an integer >= 1, got 2.5"),
        ({"num_workers": 2, "hidden": (0,)}, "hidden must be an integer >= 1, got 0"),
        # 100 workers used to start (56 processes before it was stopped); now the machine's limit says no.
        ({"num_workers": launcher.max_local_workers() + 1}, "is more than this machine can hold: at most \\d+ local worker"),
        ({"num_workers": 2, "crash_at_step": 3, "crash_worker": 2}, "crash_worker must be in \\[0, 1\\]"),
    ],
)
def test_multiworker_refuses_bad_arguments_before_starting(examples, kwargs, message, monkeypatch):
    x, y = examples
    started = []
    monkeypatch.setattr(launcher, "_start", lambda *args, **kwargs: started.append(args) or pytest.fail("a worker started"))
    settings = {"steps": 5, "global_batch_size": 32, **kwargs}
    with pytest.raises(ValueError, match=message):
        multiworker.train_multiworker(x, y, **settings)
    assert not started


def test_other_entry_points_refuse_bad_arguments(examples):
    x, y = examples
    with pytest.raises(ValueError, match="num_workers must be an integer >= 1"):
        parameter_server.train_async(x, y, num_workers=0)
    with pytest.raises(ValueError, match="num_ps must be an integer >= 1"):
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


def test_the_replicas_shares_summed_are_the_gradient_of_the_whole_batch():
    import keras
    import tensorflow as tf

    from dltips import models
    from dltips.parallel import allreduce

    rng = np.random.default_rng(0)
    x, y = rng.random((12, 28, 28)).astype("float32"), rng.integers(0, 10, 12)
    model = models.mlp((8,), seed=0)
    with tf.GradientTape() as tape:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, model(x))
    whole = [g.numpy() for g in tape.gradient(loss, model.trainable_variables)]
    for n in (1, 2, 3, 5):  # 5 does not divide 12: uneven slices, still divided by the global 12
        summed = allreduce.all_reduce_sum(allreduce.replica_gradients(model, x, y, n))
        for s, w in zip(summed, whole):
            np.testing.assert_allclose(s, w, atol=1e-6)
    # each replica's share alone is not the gradient: the sum is what makes it exact
    first = allreduce.replica_gradients(model, x, y, 2)[0]
    assert max(np.abs(f - w).max() for f, w in zip(first, whole)) > 1e-4


@pytest.mark.parametrize(("per_replica", "match"), [([], "at least one"), ([[np.ones(2)], [np.ones(3)]], "same shapes"),
                                                    ([[np.ones(2)], []], "same shapes")])
def test_all_reduce_sum_refuses_replicas_that_do_not_match(per_replica, match):
    from dltips.parallel import allreduce

    with pytest.raises(ValueError, match=match):
        allreduce.all_reduce_sum(per_replica)


@pytest.mark.parametrize("bad", [0, 13, 1.5, "2", True])
def test_replica_gradients_refuses_a_replica_count_outside_the_batch(bad):
    from dltips import models
    from dltips.parallel import allreduce

    x, y = np.zeros((12, 28, 28), "float32"), np.zeros(12, int)
    with pytest.raises(ValueError, match="num_replicas"):
        allreduce.replica_gradients(models.mlp((4,), seed=0), x, y, bad)
