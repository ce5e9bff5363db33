"""Synchronous data-parallel SGD across processes: ``MultiWorkerMirroredStrategy`` and a custom loop.

Each of the N replicas takes its slice of the global batch of B examples,
computes the gradient of its share of the mean loss, and an all-reduce sums the
shares, so every replica applies the same update

.. math::  w \\leftarrow w - \\eta \\sum_{r=1}^{N} \\nabla_w \\frac{1}{B} \\sum_{i \\in \\text{slice}_r} \\ell_i(w)
           = w - \\eta \\nabla_w \\frac{1}{B} \\sum_{i=1}^{B} \\ell_i(w),

the update of single-device SGD with batch B. ``tf.nn.compute_average_loss``
divides by the *global* batch size for exactly this reason, and the Keras
optimizer all-reduces the gradients when it runs inside ``strategy.run``.

:func:`synchronous_train_step` is the step and :func:`train_custom_loop` the
loop around it; with the default strategy it is plain
single-device training (the reference), inside a worker process it runs under
``MultiWorkerMirroredStrategy``. It checkpoints every ``checkpoint_every`` steps
and, when restarted with the same ``checkpoint_dir``, resumes from the last
checkpoint with the same batches it would have seen. :func:`train_multiworker`
starts the worker processes through :mod:`dltips.parallel.launcher`. The job's
settings are one :class:`MultiWorkerSettings`, checked once, which the workers
receive as flags (:func:`worker_args`) and read back.

Example::

    >>> from dltips.data import train_subset
    >>> x, y = train_subset(256, seed=0)
    >>> two = train_multiworker(x, y, num_workers=2, steps=20, global_batch_size=32)
    >>> one = train_custom_loop(x, y, steps=20, global_batch_size=32)
    >>> max_abs_difference(two.weights, one.weights) < 1e-5
    True
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dltips.checks import check_choice, check_int, check_number, check_sizes
from dltips.parallel import common, launcher

__all__ = ["CRASH_MODES", "LoopResult", "MultiWorkerSettings", "global_batches", "max_abs_difference",
           "synchronous_train_step", "train_custom_loop", "train_multiworker", "train_with_settings", "worker_args"]

#: How a simulated failure ends its worker: ``"kill"`` (SIGKILL, as when a machine is lost) or ``"raise"``.
CRASH_MODES = ("kill", "raise")


@dataclass(frozen=True)
class MultiWorkerSettings(common.JobSettings):
    """The settings of a synchronous multi-worker job, checked when made: the worker's command line, written once.

    The same object is given to :func:`train_custom_loop` in this process and,
    as flags (:meth:`~dltips.parallel.common.JobSettings.to_flags`), to every
    ``python -m dltips.parallel.worker`` of :func:`train_multiworker`, which reads
    it back. The number of workers is not a setting of a worker: each learns it
    from ``TF_CONFIG`` (:meth:`check_workers` checks the two together).

    Args:
        steps: total SGD steps of the job, at least 1 (a resumed job runs the rest).
        global_batch_size: B, examples per step over all workers, at least 1.
        learning_rate: SGD step size, a finite number > 0.
        hidden: hidden layer sizes of the MLP (integers >= 1).
        seed: initial weights, an integer >= 0 (the same in every process).
        checkpoint_dir: where the chief keeps its checkpoints (shared by all machines); ``None``: none.
        checkpoint_every: save every this many steps, an integer >= 0 (0: never).
        warmup_steps: steps left out of the throughput, an integer >= 0.
        threads: TensorFlow intra- and inter-op threads per worker, ``None`` or an integer >= 1.
        log_every: a worker prints its loss every this many steps, at least 1.
        crash_at_step: simulate a failure after this step (``None``: none), at least 1.
        crash_worker: the index of the worker that fails, an integer >= 0 below the number of workers.
        crash_mode: ``"kill"`` (SIGKILL) or ``"raise"`` (an exception).

    Raises:
        ValueError: a value outside its range, naming the argument.

    Example::

        >>> settings = MultiWorkerSettings(steps=20, global_batch_size=32, hidden=(16,))
        >>> settings.to_flags()[:6]
        ['--steps', '20', '--global-batch-size', '32', '--learning-rate', '0.1']
        >>> MultiWorkerSettings.from_flags(settings.to_flags()) == settings
        True
        >>> MultiWorkerSettings(steps=20, global_batch_size=32, threads=0)
        Traceback (most recent call last):
        ...
        ValueError: threads must be an integer >= 1, got 0
    """

    steps: int
    global_batch_size: int
    learning_rate: float = 0.1
    hidden: tuple[int, ...] = (32,)
    seed: int = 0
    checkpoint_dir: str | None = None
    checkpoint_every: int = 0
    warmup_steps: int = 0
    threads: int | None = None
    log_every: int = 10
    crash_at_step: int | None = None
    crash_worker: int = 1
    crash_mode: str = "kill"

    def __post_init__(self) -> None:
        self._set("steps", check_int("steps", self.steps))
        self._set("global_batch_size", check_int("global_batch_size", self.global_batch_size))
        self._set("learning_rate", check_number("learning_rate", self.learning_rate, low=0.0, low_open=True))
        self._set("hidden", check_sizes("hidden", self.hidden))
        self._set("seed", check_int("seed", self.seed, minimum=0))
        if self.checkpoint_dir is not None:
            self._set("checkpoint_dir", os.fspath(self.checkpoint_dir))
        self._set("checkpoint_every", check_int("checkpoint_every", self.checkpoint_every, minimum=0))
        self._set("warmup_steps", check_int("warmup_steps", self.warmup_steps, minimum=0))
        if self.threads is not None:
            self._set("threads", check_int("threads", self.threads))
        self._set("log_every", check_int("log_every", self.log_every))
        if self.crash_at_step is not None:
            self._set("crash_at_step", check_int("crash_at_step", self.crash_at_step))
        self._set("crash_worker", check_int("crash_worker", self.crash_worker, minimum=0))
        check_choice("crash_mode", self.crash_mode, CRASH_MODES)

    def check_workers(self, num_workers: int) -> None:
        """Refuse settings that ``num_workers`` replicas cannot run (a composite check of the two together).

        A global batch they cannot share evenly, or a simulated failure of a
        worker that does not exist, is refused.

        Args:
            num_workers: the replicas in sync (one per worker process).

        Returns:
            None.

        Raises:
            ValueError: ``num_workers`` not an integer >= 1, ``global_batch_size``
                not a multiple of it, or ``crash_worker`` not below it when ``crash_at_step`` is set.

        Example::

            >>> MultiWorkerSettings(steps=10, global_batch_size=32).check_workers(3)
            Traceback (most recent call last):
            ...
            ValueError: global_batch_size must be a positive multiple of the number of replicas (3), got 32
        """
        num_workers = check_int("num_workers", num_workers)
        if self.global_batch_size % num_workers:
            raise ValueError(f"global_batch_size must be a positive multiple of the number of replicas "
                             f"({num_workers}), got {self.global_batch_size!r}")
        if self.crash_at_step is not None and self.crash_worker >= num_workers:
            raise ValueError(f"crash_worker must be in [0, {num_workers - 1}], got {self.crash_worker!r}")


@dataclass
class LoopResult:
    """What one run of the training loop did (in a multi-worker job: as seen by the chief).

    ``losses`` holds the global mean loss of each step run in *this* session,
    i.e. of steps ``start_step + 1`` to ``final_step``; ``examples_per_second``
    counts the steps after ``warmup_steps`` (which include tracing the graph).

    Args:
        weights: the trained weights, in the model's order.
        losses: the global mean loss of each step of this session.
        start_step: the step the session started after (0, or a checkpoint's).
        final_step: the optimizer's step count at the end.
        num_replicas: the replicas in sync.
        seconds: the time of the timed steps.
        examples_per_second: the throughput of the timed steps.
        cpu_seconds: the CPU time of the timed steps (all workers' together for a multi-worker job).
        worker_logs: each worker's log (multi-worker jobs only).

    Example::

        >>> LoopResult(weights=[], losses=[2.3, 2.1], start_step=0, final_step=2, num_replicas=1,
        ...            seconds=0.1, examples_per_second=640.0).final_step
        2
    """

    weights: list[np.ndarray]
    losses: list[float]
    start_step: int
    final_step: int
    num_replicas: int
    seconds: float
    examples_per_second: float
    cpu_seconds: float = 0.0
    worker_logs: list[str] | None = None


def max_abs_difference(a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> float:
    """The largest absolute difference between two lists of same-shaped weight arrays.

    Args:
        a, b: lists of arrays, the same length and shapes.

    Returns:
        ``max |a - b|`` over every element of every array.

    Raises:
        ValueError: the lists differ in length or shapes.

    Example::

        >>> import numpy as np
        >>> max_abs_difference([np.zeros(2), np.ones(1)], [np.array([0.0, 0.5]), np.ones(1)])
        0.5
    """
    if len(a) != len(b) or any(np.shape(p) != np.shape(q) for p, q in zip(a, b)):
        raise ValueError("the two weight lists must have the same length and shapes")
    return float(max(np.max(np.abs(np.asarray(p) - np.asarray(q))) for p, q in zip(a, b)))


def global_batches(strategy: Any, x: np.ndarray, y: np.ndarray, global_batch_size: int, start_step: int = 0) -> Any:
    """A distributed iterator: step ``s`` takes examples ``s·B`` to ``s·B + B − 1`` (cycling); replica ``r`` gets slice ``r``.

    Each input pipeline (one per worker process) builds the whole global batch
    and cuts it into one contiguous slice of ``B/N`` examples per replica; the
    slices of the pipeline's own replicas follow one another, since a pipeline
    hands its consecutive elements to its replicas in turn. The N replicas
    together thus see exactly the batch a single device would, in the same
    order, whether a worker holds one replica or several (``MirroredStrategy``
    over several devices in one process). ``start_step`` skips the batches of
    steps already done (resuming from a checkpoint).

    Args:
        strategy: a ``tf.distribute`` strategy.
        x, y: the training examples, in order.
        global_batch_size: B, a multiple of the strategy's replicas.
        start_step: batches to skip.

    Returns:
        An iterator over distributed batches, for :func:`synchronous_train_step`.

    Example::

        >>> import numpy as np, tensorflow as tf
        >>> batches = global_batches(tf.distribute.get_strategy(), np.arange(8.0)[:, None], np.arange(8), 4,
        ...                          start_step=1)
        >>> next(batches)[1].numpy().tolist()
        [4, 5, 6, 7]
    """
    import tensorflow as tf

    def replica_batches(context: tf.distribute.InputContext) -> tf.data.Dataset:
        per_replica = context.get_per_replica_batch_size(global_batch_size)
        local = context.num_replicas_in_sync // context.num_input_pipelines  # replicas fed by this pipeline
        lo = context.input_pipeline_id * local * per_replica
        hi = lo + local * per_replica

        def own_slices(xb: tf.Tensor, yb: tf.Tensor) -> tf.data.Dataset:
            # (B, ...) -> (local, B/N, ...): one element per replica of this pipeline, in replica order.
            xs = tf.reshape(xb[lo:hi], [local, per_replica, *x.shape[1:]])
            ys = tf.reshape(yb[lo:hi], [local, per_replica, *y.shape[1:]])
            return tf.data.Dataset.from_tensor_slices((xs, ys))

        dataset = tf.data.Dataset.from_tensor_slices((x, y)).repeat().batch(global_batch_size, drop_remainder=True)
        return dataset.skip(start_step).flat_map(own_slices)

    return iter(strategy.distribute_datasets_from_function(replica_batches))


def _is_chief(strategy: Any) -> bool:
    resolver = getattr(strategy, "cluster_resolver", None)
    return resolver is None or resolver.task_type in (None, "chief") or (
        resolver.task_type == "worker" and resolver.task_id == 0 and "chief" not in resolver.cluster_spec().jobs
    )


def synchronous_train_step(
    strategy: Any, model: Any, optimizer: Any, global_batch_size: int,
) -> Callable[[Any], Any]:
    """The step of synchronous data-parallel SGD: ``train_step(batches)`` runs one step, returns its loss.

    Each replica takes its slice of the next global batch (from a distributed
    iterator such as :func:`global_batches`), computes the gradient of *its
    share of the global mean loss* (``tf.nn.compute_average_loss`` divides by
    the global batch size ``B``, not by the slice's ``B/N``), and
    ``optimizer.apply_gradients`` sums the replicas' gradients with an
    all-reduce (``get_replica_context().all_reduce(SUM, ...)`` inside Keras)
    before every replica applies the same update. The sum of the shares is
    the gradient of the mean loss over the whole batch, so the step is the
    single-device SGD step with batch ``B``. The returned loss is the global
    mean (the replicas' shares summed). Under the default strategy (one
    device) it is plain mini-batch SGD.

    Args:
        strategy: a ``tf.distribute`` strategy; the model and optimizer must
            have been built in its ``scope()``.
        model: a Keras model with logits outputs.
        optimizer: a Keras optimizer built for ``model.trainable_variables``.
        global_batch_size: ``B``, the examples of one step over all replicas.

    Returns:
        A ``tf.function`` taking the distributed iterator.

    Example::

        >>> import keras, tensorflow as tf
        >>> from dltips.data import train_subset
        >>> strategy = tf.distribute.get_strategy()
        >>> model = common.build_model((8,), (28, 28), seed=0)
        >>> optimizer = keras.optimizers.SGD(0.1)
        >>> optimizer.build(model.trainable_variables)
        >>> x, y = train_subset(64, seed=0)
        >>> step = synchronous_train_step(strategy, model, optimizer, 32)
        >>> batches = global_batches(strategy, x, y, 32)
        >>> losses = [float(step(batches)) for _ in range(2)]
        >>> int(optimizer.iterations)
        2
    """
    import keras
    import tensorflow as tf

    loss_of_example = keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, reduction=None)

    def replica_step(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            per_example = loss_of_example(y, model(x, training=True))
            loss = tf.nn.compute_average_loss(  # divided by B, not B/N
                per_example, global_batch_size=global_batch_size)
        grads = tape.gradient(loss, model.trainable_variables)
        # Under a strategy, Keras first sums the replicas' gradients
        # (all-reduce), then each replica applies the same update.
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    @tf.function
    def train_step(batches: Any) -> tf.Tensor:
        per_replica_loss = strategy.run(replica_step, args=next(batches))
        return strategy.reduce("SUM", per_replica_loss, axis=None)

    return train_step


def train_custom_loop(
    x: np.ndarray,
    y: np.ndarray,
    *,
    steps: int,
    global_batch_size: int,
    learning_rate: float = 0.1,
    hidden: Sequence[int] = (32,),
    seed: int = 0,
    strategy: Any = None,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    checkpoint_every: int = 0,
    warmup_steps: int = 0,
    on_step: Callable[[int, float], None] | None = None,
) -> LoopResult:
    """Mini-batch SGD for ``steps`` steps with ``strategy.run`` (default strategy: one device).

    Args:
        x, y: training examples, used in order, B per step, cycling.
        steps: total number of SGD steps of the job (a resumed job runs the rest).
        global_batch_size: B, split evenly across the replicas.
        learning_rate: SGD step size.
        hidden: hidden layer sizes of the MLP.
        seed: initial weights (the same in every process).
        strategy: a ``tf.distribute`` strategy; ``None`` for the default one.
        checkpoint_dir: where the chief keeps its checkpoints; restored from if it holds one.
        checkpoint_every: save every this many steps (0: never).
        warmup_steps: steps excluded from the throughput measurement.
        on_step: called with ``(step, loss)`` after each step (step counts from 1).

    Returns:
        A :class:`LoopResult`.

    Raises:
        ValueError: a count that is not an integer in its range (``steps`` and
            ``global_batch_size`` >= 1, the batch a multiple of the replicas,
            ``checkpoint_every``, ``warmup_steps`` and ``seed`` >= 0, layer sizes >= 1)
            or a ``learning_rate`` that is not a finite number > 0, before training.

    Example::

        >>> from dltips.data import train_subset
        >>> x, y = train_subset(64, seed=0)
        >>> train_custom_loop(x, y, steps=2, global_batch_size=32, hidden=(8,)).final_step
        2
    """
    settings = MultiWorkerSettings(
        steps=steps, global_batch_size=global_batch_size, learning_rate=learning_rate, hidden=hidden, seed=seed,
        checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every, warmup_steps=warmup_steps)
    return train_with_settings(x, y, settings, strategy=strategy, on_step=on_step)


def train_with_settings(
    x: np.ndarray,
    y: np.ndarray,
    settings: MultiWorkerSettings,
    *,
    strategy: Any = None,
    on_step: Callable[[int, float], None] | None = None,
) -> LoopResult:
    """:func:`train_custom_loop` with its settings in one object: what each worker process runs.

    Only the loop's settings are used (``threads``, ``log_every`` and the
    ``crash_*`` ones belong to the worker's process).

    Args:
        x, y: training examples, used in order, B per step, cycling.
        settings: the job's :class:`MultiWorkerSettings`.
        strategy: a ``tf.distribute`` strategy; ``None`` for the default one.
        on_step: called with ``(step, loss)`` after each step (step counts from 1).

    Returns:
        A :class:`LoopResult`.

    Raises:
        ValueError: a global batch that the strategy's replicas cannot share evenly.

    Example::

        >>> from dltips.data import train_subset
        >>> x, y = train_subset(64, seed=0)
        >>> settings = MultiWorkerSettings(steps=2, global_batch_size=32, hidden=(8,))
        >>> len(train_with_settings(x, y, settings).losses)
        2
    """
    import keras
    import tensorflow as tf

    steps, global_batch_size, learning_rate = settings.steps, settings.global_batch_size, settings.learning_rate
    hidden, seed, checkpoint_dir = settings.hidden, settings.seed, settings.checkpoint_dir
    checkpoint_every, warmup_steps = settings.checkpoint_every, settings.warmup_steps
    strategy = strategy or tf.distribute.get_strategy()
    settings.check_workers(strategy.num_replicas_in_sync)
    with strategy.scope():
        model = common.build_model(hidden, x.shape[1:], seed)
        optimizer = keras.optimizers.SGD(learning_rate)
        optimizer.build(model.trainable_variables)

    manager = None
    scratch = None
    if checkpoint_dir is not None:
        checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer)
        # Every worker must take part in saving; only the chief's copy is kept. The others write
        # beside it, in a folder of their own that is removed afterwards (as Keras's own callbacks do).
        save_dir = str(checkpoint_dir)
        if not _is_chief(strategy):
            save_dir = scratch = os.path.join(str(checkpoint_dir), f"workertemp_{strategy.cluster_resolver.task_id}")
            shutil.rmtree(scratch, ignore_errors=True)  # left by a worker that was killed
        latest = tf.train.latest_checkpoint(str(checkpoint_dir))
        if latest:
            checkpoint.restore(latest).assert_existing_objects_matched()
        manager = tf.train.CheckpointManager(checkpoint, save_dir, max_to_keep=2)
    start_step = int(optimizer.iterations.numpy())  # the step counter lives in the checkpoint

    train_step = synchronous_train_step(strategy, model, optimizer, global_batch_size)
    batches = global_batches(strategy, x, y, global_batch_size, start_step)
    losses: list[float] = []
    timed_from = time.perf_counter()
    cpu_from = time.process_time()
    try:
        for step in range(start_step + 1, steps + 1):
            losses.append(float(train_step(batches)))
            if step - start_step == warmup_steps:
                timed_from, cpu_from = time.perf_counter(), time.process_time()
            if manager is not None and checkpoint_every and step % checkpoint_every == 0:
                manager.save(checkpoint_number=step)
            if on_step is not None:
                on_step(step, losses[-1])
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    seconds = time.perf_counter() - timed_from
    timed_steps = max(steps - start_step - warmup_steps, 0)
    return LoopResult(
        weights=[w.numpy() for w in model.weights],
        losses=losses,
        start_step=start_step,
        final_step=int(optimizer.iterations.numpy()),
        num_replicas=strategy.num_replicas_in_sync,
        seconds=seconds,
        examples_per_second=timed_steps * global_batch_size / seconds if timed_steps and seconds > 0 else 0.0,
        cpu_seconds=time.process_time() - cpu_from,
    )


def worker_args(
    data: str,
    out_dir: str | os.PathLike[str],
    *,
    steps: int,
    global_batch_size: int,
    learning_rate: float = 0.1,
    hidden: Sequence[int] = (32,),
    seed: int = 0,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    checkpoint_every: int = 0,
    warmup_steps: int = 0,
    threads: int | None = None,
    log_every: int = 10,
    crash_at_step: int | None = None,
    crash_worker: int = 1,
    crash_mode: str = "kill",
) -> list[str]:
    """The command-line arguments of ``python -m dltips.parallel.worker`` for these settings.

    Args:
        data: an ``.npz`` file written by :func:`~dltips.parallel.common.save_arrays`, or ``"mnist"``.
        out_dir: the folder for the workers' results.
        steps, global_batch_size, learning_rate, hidden, seed, checkpoint_dir, checkpoint_every: the
            fields of the job's :class:`MultiWorkerSettings`.
        warmup_steps, threads, log_every, crash_at_step, crash_worker, crash_mode: the same settings'
            remaining fields.

    Returns:
        ``["--data", data, "--out", out_dir]`` followed by the settings' flags.

    Raises:
        ValueError: a setting outside its range (see :class:`MultiWorkerSettings`).

    Example::

        >>> worker_args("mnist", "results", steps=50, global_batch_size=256)[:6]
        ['--data', 'mnist', '--out', 'results', '--steps', '50']
    """
    settings = MultiWorkerSettings(
        steps=steps, global_batch_size=global_batch_size, learning_rate=learning_rate, hidden=hidden, seed=seed,
        checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every, warmup_steps=warmup_steps,
        threads=threads, log_every=log_every, crash_at_step=crash_at_step, crash_worker=crash_worker,
        crash_mode=crash_mode)
    return _worker_args(data, out_dir, settings)


def _worker_args(data: str, out_dir: str | os.PathLike[str], settings: MultiWorkerSettings) -> list[str]:
    return ["--data", str(data), "--out", str(out_dir), *settings.to_flags()]


def train_multiworker(
    x: np.ndarray,
    y: np.ndarray,
    *,
    num_workers: int,
    steps: int,
    global_batch_size: int,
    learning_rate: float = 0.1,
    hidden: Sequence[int] = (32,),
    seed: int = 0,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    checkpoint_every: int = 0,
    warmup_steps: int = 0,
    threads: int | None = None,
    crash_at_step: int | None = None,
    crash_worker: int = 1,
    crash_mode: str = "kill",
    timeout: float = 240.0,
    ports: Sequence[int] | None = None,
    echo: bool = False,
) -> LoopResult:
    """Train with :func:`train_custom_loop` in ``num_workers`` processes on this machine.

    The arguments are those of :func:`train_custom_loop`, plus:

    Args:
        num_workers: worker processes (one replica each), at least 1.
        threads: TensorFlow intra- and inter-op threads per worker (1: one core each).
        crash_at_step: simulate a failure: worker ``crash_worker`` dies right after
            this step, killed by SIGKILL (``crash_mode="kill"``) or by raising an
            exception (``"raise"``); the call then raises :class:`~dltips.parallel.launcher.WorkerError`.
        timeout: seconds before the whole job is ended.
        ports: one free port per worker (``None``: picked automatically).
        echo: print the workers' log lines as they come.

    Returns:
        the chief's :class:`LoopResult` (its ``cpu_seconds`` summed over the workers,
        ``worker_logs`` holding each worker's log).

    Raises:
        ValueError: before any worker starts: ``num_workers`` not an integer in
            ``1..launcher.max_local_workers()``, any argument of
            :func:`train_custom_loop` out of its range, ``threads`` not ``None`` or an
            integer >= 1, a bad ``crash_*`` setting or ``timeout``.
        ~dltips.parallel.launcher.WorkerError: a worker failed (its log's end is in the message).

    Example::

        >>> from dltips.data import train_subset
        >>> x, y = train_subset(256, seed=0)
        >>> # two fresh TensorFlow processes: several seconds (the module's example runs it)
        >>> train_multiworker(x, y, num_workers=2, steps=20, global_batch_size=32).num_replicas  # doctest: +SKIP
        2
    """
    num_workers = launcher.check_num_workers(num_workers)
    settings = MultiWorkerSettings(
        steps=steps, global_batch_size=global_batch_size, learning_rate=learning_rate, hidden=hidden, seed=seed,
        checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every, warmup_steps=warmup_steps,
        threads=threads, crash_at_step=crash_at_step, crash_worker=crash_worker, crash_mode=crash_mode)
    settings.check_workers(num_workers)
    check_number("timeout", timeout, low=0.0, low_open=True)
    job_dir = Path(tempfile.mkdtemp(prefix="dltips-multiworker-"))
    try:
        data = common.save_arrays(job_dir / "data.npz", x, y)
        args = _worker_args(str(data), job_dir, settings)
        finished = launcher.launch_workers(args, num_workers, timeout=timeout, ports=ports, echo=echo)
        reports = [common.read_json(job_dir / f"result-{i}.json") for i in range(num_workers)]
        chief = reports[0]
        return LoopResult(
            weights=common.load_weights(job_dir / "weights-0.npz"),
            losses=chief["losses"],
            start_step=chief["start_step"],
            final_step=chief["final_step"],
            num_replicas=chief["num_replicas"],
            seconds=chief["seconds"],
            examples_per_second=chief["examples_per_second"],
            cpu_seconds=sum(r["cpu_seconds"] for r in reports),
            worker_logs=[f.log for f in finished],
        )
    finally:
        shutil.rmtree(job_dir, ignore_errors=True)
