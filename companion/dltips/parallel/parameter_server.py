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

from dltips.checks import check_int, check_number, check_sizes
from dltips.parallel import common, launcher

__all__ = ["MAX_TASKS", "AsyncResult", "AsyncSettings", "start_local_cluster", "train_async", "train_async_here"]

#: The most tasks (workers + parameter servers) of one in-process cluster: threads of one process, each with its own port.
MAX_TASKS = 64


@dataclass(frozen=True)
class AsyncSettings(common.JobSettings):
    """The settings of an asynchronous parameter-server job, checked when made.

    The same object is given to the cluster's child process as flags
    (:meth:`~dltips.parallel.common.JobSettings.to_flags`), which reads it back
    and trains as :func:`train_async_here` does.

    Args:
        num_workers: worker tasks, at least 1.
        num_ps: parameter-server tasks, at least 1 (``num_workers + num_ps <= MAX_TASKS``).
        steps: steps scheduled on the cluster, at least 1; the synchronous baseline takes as many.
        batch_size: examples per step, at least 1 (per worker: the workers do not split a batch).
        learning_rate: SGD step size, a finite number > 0.
        hidden: hidden layer sizes of the MLP (integers >= 1).
        seed: initial weights, an integer >= 0.

    Raises:
        ValueError: a value outside its range, or more than ``MAX_TASKS`` tasks, naming the argument.

    Example::

        >>> AsyncSettings(num_workers=3).num_ps
        1
        >>> AsyncSettings(num_ps=0)
        Traceback (most recent call last):
        ...
        ValueError: num_ps must be an integer >= 1, got 0
    """

    num_workers: int = 2
    num_ps: int = 1
    steps: int = 100
    batch_size: int = 32
    learning_rate: float = 0.1
    hidden: tuple[int, ...] = (32,)
    seed: int = 0

    def __post_init__(self) -> None:
        self._set("num_workers", check_int("num_workers", self.num_workers))
        self._set("num_ps", check_int("num_ps", self.num_ps))
        if self.num_workers + self.num_ps > MAX_TASKS:
            raise ValueError(f"num_workers + num_ps must be at most {MAX_TASKS} (tasks of one in-process cluster), "
                             f"got {self.num_workers} + {self.num_ps}")
        self._set("steps", check_int("steps", self.steps))
        self._set("batch_size", check_int("batch_size", self.batch_size))
        self._set("learning_rate", check_number("learning_rate", self.learning_rate, low=0.0, low_open=True))
        self._set("hidden", check_sizes("hidden", self.hidden))
        self._set("seed", check_int("seed", self.seed, minimum=0))


@dataclass
class AsyncResult:
    """An asynchronous run and a synchronous run with the same budget (steps × batch size).

    Args:
        num_workers, num_ps: the cluster's tasks.
        scheduled_steps: the steps scheduled.
        applied_updates: the steps whose update reached the servers (an atomic counter).
        optimizer_iterations: Keras's counter, which may lose increments under concurrency.
        staleness: τ of each step, in the order the steps were scheduled.
        losses: the training loss of each step's mini-batch, same order.
        initial_loss: the mean loss on all of x before training.
        final_loss_async: the same after the asynchronous run.
        final_loss_sync: the same after single-device synchronous SGD with the same budget.
        sync_losses: the synchronous run's loss of each step.
        seconds_async, seconds_sync: each run's training time.

    Example::

        >>> result = AsyncResult(2, 1, 3, 3, 3, [0, 1, 0], [2.3, 2.2, 2.0], 2.3, 1.9, 1.8, [2.3, 2.1, 1.9],
        ...                      0.5, 0.1)
        >>> round(result.mean_staleness, 3)
        0.333
    """

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
        """The mean number of updates a worker's gradient was behind when it was applied.

        Returns:
            The mean of ``staleness``.
        """
        return float(np.mean(self.staleness))


def start_local_cluster(num_workers: int, num_ps: int) -> tuple[Any, list[Any]]:
    """Start worker and parameter-server ``tf.distribute.Server`` objects on free localhost ports.

    Call it in a process you will end: the servers cannot be stopped and keep the process alive.

    Args:
        num_workers: worker tasks, at least 1.
        num_ps: parameter-server tasks, at least 1.

    Returns:
        ``(cluster_resolver, servers)``.

    Raises:
        ValueError: a count that is not an integer >= 1, or more than ``MAX_TASKS`` tasks.

    Example::

        >>> # its servers would keep the doctest's process alive: run it in a child process
        >>> resolver, servers = start_local_cluster(2, 1)  # doctest: +SKIP
        >>> len(servers)  # doctest: +SKIP
        3
    """
    AsyncSettings(num_workers=num_workers, num_ps=num_ps)
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
    """The asynchronous run and its synchronous baseline, in this process (which will not exit cleanly).

    Args:
        x, y, num_workers, num_ps, steps, batch_size, learning_rate, hidden, seed: as for :func:`train_async`
            (the settings of an :class:`AsyncSettings`).

    Returns:
        An :class:`AsyncResult`.

    Raises:
        ValueError: a setting outside its range, before the cluster starts.

    Example::

        >>> from dltips.data import train_subset
        >>> x, y = train_subset(200, seed=0)
        >>> # its servers would keep the doctest's process alive: train_async runs it in a child process
        >>> train_async_here(x, y, steps=10).scheduled_steps  # doctest: +SKIP
        10
    """
    settings = AsyncSettings(num_workers=num_workers, num_ps=num_ps, steps=steps, batch_size=batch_size,
                             learning_rate=learning_rate, hidden=hidden, seed=seed)
    return _train_async(x, y, settings)


def _train_async(x: np.ndarray, y: np.ndarray, settings: AsyncSettings) -> AsyncResult:
    num_workers, num_ps, steps, batch_size = settings.num_workers, settings.num_ps, settings.steps, settings.batch_size
    learning_rate, hidden, seed = settings.learning_rate, settings.hidden, settings.seed
    os.environ.setdefault("GRPC_FAIL_FAST", "use_caller")  # a lost worker fails the step instead of hanging
    import keras
    import tensorflow as tf

    from dltips.parallel.multiworker import train_custom_loop

    resolver, _servers = start_local_cluster(num_workers, num_ps)
    print(f"cluster started: {num_workers} workers, {num_ps} parameter server(s) on localhost", flush=True)
    strategy = tf.distribute.experimental.ParameterServerStrategy(resolver)
    coordinator = tf.distribute.experimental.coordinator.ClusterCoordinator(strategy)
    common.end_on_sigterm()
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

    Returns:
        An :class:`AsyncResult`.

    Raises:
        ValueError: a count that is not an integer >= 1 (``seed``: >= 0), more than
            ``MAX_TASKS`` tasks, or a ``learning_rate`` or ``timeout`` that is not a
            finite number > 0, before the child starts (the settings are an
            :class:`AsyncSettings`, which the child receives as flags).
        ~dltips.parallel.launcher.WorkerError: the child failed (its log's end is in the message).

    Example::

        >>> from dltips.data import train_subset
        >>> x, y = train_subset(2000, seed=0)
        >>> # a fresh TensorFlow process with a cluster: several seconds
        >>> train_async(x, y, num_workers=2, steps=100).applied_updates  # doctest: +SKIP
        100
    """
    settings = AsyncSettings(num_workers=num_workers, num_ps=num_ps, steps=steps, batch_size=batch_size,
                             learning_rate=learning_rate, hidden=hidden, seed=seed)
    check_number("timeout", timeout, low=0.0, low_open=True)
    result = launcher.run_module_in_child(
        __name__, x, y, settings.to_flags(), name="parameter-server cluster", timeout=timeout, echo=echo,
    )
    return AsyncResult(**result)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of the child process that hosts the in-process cluster and runs the asynchronous training."""
    files, settings = AsyncSettings.parse_command_line(
        argv, prog=f"python -m {__name__}", description="asynchronous parameter-server SGD")
    common.exit_with_parent()
    x, y = common.load_training_data(files.data, files.examples, settings.seed)
    from dltips.runtime import configure

    configure(seed=settings.seed)
    result = _train_async(x, y, settings)
    common.write_json(files.out, asdict(result))
    print(f"{result.scheduled_steps} steps scheduled, {result.applied_updates} applied, "
          f"mean staleness {result.mean_staleness:.2f}", flush=True)
    sys.stdout.flush()
    os._exit(0)  # the servers' threads would keep the process alive


if __name__ == "__main__":
    sys.exit(main())
