"""Asynchronous data parallelism: ``ParameterServerStrategy`` and a measurement of staleness.

The weights live on parameter-server tasks. Each worker repeatedly reads the
current weights, computes a gradient on its own mini-batch and sends the update
``w ← w − η g`` to the servers, without waiting for the other workers. While it
computed, the others may have applied updates, so its gradient was taken at
weights that are τ updates old: τ is the *staleness*. This is the scheme of
Downpour SGD (Dean et al., 2012) and, without locks, Hogwild (Recht et al., 2011).

A coordinator (this process's child) schedules steps with
``ClusterCoordinator.schedule``; a step runs on whichever worker is free.
Each step reads a shared version counter before it reads the weights and
increments it after its update, so ``τ = version after − version before − 1``.
The counter is incremented with TensorFlow's atomic ``assign_add``; we report
next to it the Keras optimizer's own step counter (``optimizer.iterations``),
which Keras increments as a separate read and write, so concurrent workers can
overwrite each other's increments: it may end below the number of steps applied.

The cluster (workers and parameter servers as ``tf.distribute.Server`` objects
on free localhost ports) lives in a child process that :func:`train_async`
always ends, because running servers keep a process alive.

Example::

    >>> from dltips.data import train_subset
    >>> x, y = train_subset(2000, seed=0)
    >>> result = train_async(x, y, num_workers=2, steps=100, batch_size=32)
    >>> result.applied_updates == result.scheduled_steps == 100
    True
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from dltips.parallel import common, launcher


@dataclass
class AsyncResult:
    """An asynchronous run and a synchronous run with the same budget (steps × batch size)."""

    num_workers: int
    num_ps: int
    scheduled_steps: int
    applied_updates: int  # steps whose update reached the servers (atomic counter)
    optimizer_iterations: int  # Keras's counter, which may lose increments under concurrency
    staleness: list[int]  # τ of each step, in the order the steps were scheduled
    losses: list[float]  # training loss of each step's mini-batch, same order
    initial_loss: float  # mean loss on all of x before training
    final_loss_async: float  # ... after the asynchronous run
    final_loss_sync: float  # ... after single-device synchronous SGD with the same budget
    sync_losses: list[float]
    seconds_async: float
    seconds_sync: float

    @property
    def mean_staleness(self) -> float:
        """The mean number of updates a worker's gradient was behind when it was applied."""
        return float(np.mean(self.staleness))


def _check(num_workers: int, num_ps: int, steps: int, batch_size: int, learning_rate: float) -> None:
    common.check_training_args(steps, batch_size, learning_rate)
    if num_workers < 1:
        raise ValueError(f"num_workers must be at least 1, got {num_workers!r}")
    if num_ps < 1:
        raise ValueError(f"num_ps must be at least 1, got {num_ps!r}")


def start_local_cluster(num_workers: int, num_ps: int) -> tuple[Any, list[Any]]:
    """Start worker and parameter-server ``tf.distribute.Server`` objects on free localhost ports.

    Returns ``(cluster_resolver, servers)``. Call it in a process you will end:
    the servers cannot be stopped and keep the process alive.
    """
    import tensorflow as tf

    ports = launcher.free_ports(num_workers + num_ps)
    spec = tf.train.ClusterSpec({
        "worker": [f"localhost:{p}" for p in ports[:num_workers]],
        "ps": [f"localhost:{p}" for p in ports[num_workers:]],
    })
    config = tf.compat.v1.ConfigProto()
    # All tasks share this process; with fewer inter-op threads than workers they can deadlock.
    config.inter_op_parallelism_threads = num_workers + 1
    servers = [
        tf.distribute.Server(spec, job_name=job, task_index=i, protocol="grpc", config=config, start=True)
        for job, count in (("worker", num_workers), ("ps", num_ps)) for i in range(count)
    ]
    return tf.distribute.cluster_resolver.SimpleClusterResolver(spec, rpc_layer="grpc"), servers


def _mean_loss(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    import keras

    logits = model(x, training=False)
    return float(keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, logits))


def train_async_here(
    x: np.ndarray,
    y: np.ndarray,
    *,
    num_workers: int = 2,
    num_ps: int = 1,
    steps: int = 100,
    batch_size: int = 32,
    learning_rate: float = 0.1,
    hidden: Sequence[int] = (32,),
    seed: int = 0,
) -> AsyncResult:
    """The asynchronous run and its synchronous baseline, in this process (which will not exit cleanly)."""
    _check(num_workers, num_ps, steps, batch_size, learning_rate)
    os.environ.setdefault("GRPC_FAIL_FAST", "use_caller")  # a lost worker fails the step instead of hanging
    import keras
    import tensorflow as tf

    from dltips.parallel.multiworker import train_custom_loop

    resolver, _servers = start_local_cluster(num_workers, num_ps)
    print(f"cluster started: {num_workers} workers, {num_ps} parameter server(s) on localhost", flush=True)
    strategy = tf.distribute.experimental.ParameterServerStrategy(resolver)
    coordinator = tf.distribute.experimental.coordinator.ClusterCoordinator(strategy)
    with strategy.scope():
        model = common.build_model(hidden, x.shape[1:], seed)
        optimizer = keras.optimizers.SGD(learning_rate)
        optimizer.build(model.trainable_variables)
        version = tf.Variable(0, dtype=tf.int64, trainable=False, name="applied_updates")
    initial_loss = _mean_loss(model, x, y)
    loss_of_example = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)

    def worker_batches() -> tf.data.Dataset:
        # No seed: each worker draws its own order, as independent workers would.
        return tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x)).repeat().batch(batch_size, drop_remainder=True)

    batches = iter(coordinator.create_per_worker_dataset(worker_batches))

    @tf.function
    def async_step(iterator: Any) -> tuple[tf.Tensor, tf.Tensor]:
        def replica_step(xb: tf.Tensor, yb: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            before = version.read_value()
            with tf.control_dependencies([before]):  # read the counter before reading the weights
                with tf.GradientTape() as tape:
                    loss = tf.nn.compute_average_loss(loss_of_example(yb, model(xb, training=True)),
                                                      global_batch_size=batch_size)
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            # Increment the counter only once the new weights can be read back.
            with tf.control_dependencies([tf.identity(v.value) for v in model.trainable_variables]):
                after = version.assign_add(1)
            return loss, after - before - 1

        return strategy.run(replica_step, args=next(iterator))

    start = time.perf_counter()
    remote = [coordinator.schedule(async_step, args=(batches,)) for _ in range(steps)]
    coordinator.join()
    seconds_async = time.perf_counter() - start
    fetched = [r.fetch() for r in remote]
    final_loss_async = _mean_loss(model, x, y)
    print(f"asynchronous: {steps} steps in {seconds_async:.1f} s; now the synchronous baseline", flush=True)

    sync = train_custom_loop(x, y, steps=steps, global_batch_size=batch_size, learning_rate=learning_rate,
                             hidden=hidden, seed=seed)
    sync_model = common.build_model(hidden, x.shape[1:], seed)
    sync_model.set_weights(sync.weights)
    return AsyncResult(
        num_workers=num_workers, num_ps=num_ps, scheduled_steps=steps,
        applied_updates=int(version.numpy()), optimizer_iterations=int(optimizer.iterations.numpy()),
        staleness=[int(s) for _, s in fetched], losses=[float(loss) for loss, _ in fetched],
        initial_loss=initial_loss, final_loss_async=final_loss_async, final_loss_sync=_mean_loss(sync_model, x, y),
        sync_losses=sync.losses, seconds_async=seconds_async, seconds_sync=sync.seconds,
    )


def train_async(
    x: np.ndarray,
    y: np.ndarray,
    *,
    num_workers: int = 2,
    num_ps: int = 1,
    steps: int = 100,
    batch_size: int = 32,
    learning_rate: float = 0.1,
    hidden: Sequence[int] = (32,),
    seed: int = 0,
    timeout: float = 240.0,
    echo: bool = False,
) -> AsyncResult:
    """Run :func:`train_async_here` in a child process (always ended afterwards) and return its result.

    Args:
        x, y: training examples (each worker shuffles them in its own order).
        num_workers: worker tasks, at least 1.
        num_ps: parameter-server tasks, at least 1.
        steps: steps scheduled on the cluster; the synchronous baseline takes as many.
        batch_size: examples per step (per worker: the workers do not split a batch).
        learning_rate, hidden, seed: as for :func:`dltips.parallel.multiworker.train_custom_loop`.
        timeout: seconds before the child is ended and :class:`~dltips.parallel.launcher.WorkerTimeout` raised.
        echo: print the child's progress lines as they come.
    """
    _check(num_workers, num_ps, steps, batch_size, learning_rate)
    result = launcher.run_module_in_child(
        __name__, x, y,
        {"workers": num_workers, "ps": num_ps, "steps": steps, "batch_size": batch_size,
         "learning_rate": float(learning_rate), "hidden": tuple(hidden), "seed": seed},
        name="parameter-server cluster", timeout=timeout, echo=echo,
    )
    return AsyncResult(**result)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of the child process that hosts the in-process cluster and runs the asynchronous training."""
    parser = common.child_parser(f"python -m {__name__}", "asynchronous parameter-server SGD")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ps", type=int, default=1)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)
    common.exit_with_parent()
    x, y = common.load_training_data(args.data, args.examples, args.seed)
    from dltips.runtime import configure

    configure(seed=args.seed)
    result = train_async_here(
        x, y, num_workers=args.workers, num_ps=args.ps, steps=args.steps, batch_size=args.batch_size,
        learning_rate=args.learning_rate, hidden=args.hidden, seed=args.seed,
    )
    common.write_json(args.out, asdict(result))
    print(f"{result.scheduled_steps} steps scheduled, {result.applied_updates} applied, "
          f"mean staleness {result.mean_staleness:.2f}", flush=True)
    sys.stdout.flush()
    os._exit(0)  # the servers' threads would keep the process alive


if __name__ == "__main__":
    sys.exit(main())
