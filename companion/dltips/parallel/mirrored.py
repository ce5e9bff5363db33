"""Synchronous data parallelism in one process: ``MirroredStrategy`` and Keras ``fit``.

``MirroredStrategy`` keeps one copy of every weight per device, splits each
global batch of B examples into N slices of B/N, and all-reduces the gradients
before the (identical) update on every copy. With the loss averaged over the
global batch, one step equals a single-device step with batch B, which
:func:`compare_with_single_device` checks weight by weight.

The devices here are logical CPU devices (:func:`~dltips.parallel.devices.split_cpu`),
which must be configured before TensorFlow starts; :func:`compare_in_child`
therefore runs the comparison in a fresh child process, so it works from any
notebook or test session::

    >>> from dltips.data import train_subset
    >>> x, y = train_subset(640, seed=0)
    >>> result = compare_in_child(x, y, num_replicas=2, global_batch_size=32)
    >>> result.steps, result.max_abs_difference < 1e-5
    (20, True)

From the command line (a fresh process): ``python -m dltips.parallel.mirrored --data data.npz --out result.json``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from dltips.checks import check_int, check_number, check_sizes
from dltips.parallel import common, launcher

__all__ = ["MirroredComparison", "MirroredSettings", "compare_in_child", "compare_with_single_device",
           "fit_with_strategy"]


@dataclass(frozen=True)
class MirroredSettings(common.JobSettings):
    """The settings of a comparison of ``MirroredStrategy`` with one device, checked when made.

    The same object is given to :func:`compare_with_single_device` in this
    process and, as flags (:meth:`~dltips.parallel.common.JobSettings.to_flags`),
    to the child process of :func:`compare_in_child`.

    Args:
        num_replicas: logical CPU devices to mirror over, at least 1.
        global_batch_size: examples per step over all replicas, a multiple of ``num_replicas``.
        epochs: passes over the examples, at least 1.
        learning_rate: SGD step size, a finite number > 0.
        hidden: hidden layer sizes of the MLP (integers >= 1).
        seed: initial weights, an integer >= 0.

    Raises:
        ValueError: a value outside its range, naming the argument.

    Example::

        >>> MirroredSettings(num_replicas=2, global_batch_size=32).to_flags()[:4]
        ['--num-replicas', '2', '--global-batch-size', '32']
        >>> MirroredSettings(num_replicas=3, global_batch_size=32)
        Traceback (most recent call last):
        ...
        ValueError: global_batch_size must be a positive multiple of the number of replicas (3), got 32
    """

    num_replicas: int = 2
    global_batch_size: int = 32
    epochs: int = 1
    learning_rate: float = 0.1
    hidden: tuple[int, ...] = (32,)
    seed: int = 0

    def __post_init__(self) -> None:
        self._set("num_replicas", check_int("num_replicas", self.num_replicas))
        self._set("global_batch_size", check_int("global_batch_size", self.global_batch_size))
        if self.global_batch_size % self.num_replicas:
            raise ValueError(f"global_batch_size must be a positive multiple of the number of replicas "
                             f"({self.num_replicas}), got {self.global_batch_size!r}")
        self._set("epochs", check_int("epochs", self.epochs))
        self._set("learning_rate", check_number("learning_rate", self.learning_rate, low=0.0, low_open=True))
        self._set("hidden", check_sizes("hidden", self.hidden))
        self._set("seed", check_int("seed", self.seed, minimum=0))

    def check_examples(self, num_examples: int) -> None:
        """Refuse fewer examples than one global batch.

        Args:
            num_examples: the number of training examples.

        Returns:
            None.

        Raises:
            ValueError: ``num_examples < global_batch_size``.

        Example::

            >>> MirroredSettings(global_batch_size=32).check_examples(16)
            Traceback (most recent call last):
            ...
            ValueError: need at least global_batch_size=32 examples, got 16
        """
        if num_examples < self.global_batch_size:
            raise ValueError(f"need at least global_batch_size={self.global_batch_size} examples, got {num_examples}")


@dataclass
class MirroredComparison:
    """The same training run on N mirrored devices and on one device.

    Args:
        num_replicas: the devices mirrored over.
        devices: their names.
        steps: SGD steps taken (the same on both sides).
        max_abs_difference: largest absolute difference between the two runs' weights.
        losses_mirrored, losses_single: the epoch losses of each run.
        seconds_mirrored, seconds_single: the training time of each run.

    Example::

        >>> MirroredComparison(2, ["/cpu:0", "/cpu:1"], 20, 1e-7, [0.9], [0.9], 1.0, 0.5).steps
        20
    """

    num_replicas: int
    devices: list[str]
    steps: int
    max_abs_difference: float
    losses_mirrored: list[float]
    losses_single: list[float]
    seconds_mirrored: float
    seconds_single: float


def fit_with_strategy(
    strategy: Any,
    x: np.ndarray,
    y: np.ndarray,
    *,
    global_batch_size: int,
    epochs: int = 1,
    learning_rate: float = 0.1,
    hidden: Sequence[int] = (32,),
    seed: int = 0,
) -> tuple[list[np.ndarray], list[float], int, float]:
    """Keras ``fit`` under ``strategy``, batches in the order of ``x``; returns (weights, epoch losses, steps, seconds).

    Args:
        strategy: a ``tf.distribute`` strategy (``tf.distribute.get_strategy()``: one device).
        x, y: training examples, in order, ``global_batch_size`` per step (the remainder dropped).
        global_batch_size: examples per step over all replicas.
        epochs, learning_rate, hidden, seed: as for :class:`MirroredSettings`.

    Returns:
        ``(weights, epoch losses, steps, seconds)``.

    Example::

        >>> import tensorflow as tf
        >>> from dltips.data import train_subset
        >>> x, y = train_subset(64, seed=0)
        >>> fit_with_strategy(tf.distribute.get_strategy(), x, y, global_batch_size=32, hidden=(8,))[2]
        2
    """
    import keras
    import tensorflow as tf

    from dltips.models import compile_classifier

    with strategy.scope():  # one copy of every weight on every device
        model = common.build_model(hidden, x.shape[1:], seed)
        optimizer = keras.optimizers.SGD(learning_rate)
        compile_classifier(model, optimizer, metrics=[])
    batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(
        global_batch_size, drop_remainder=True)  # global batches, in order
    start = time.perf_counter()
    # fit splits each batch across the replicas and all-reduces the gradients
    history = model.fit(batches, epochs=epochs, verbose=0, shuffle=False)
    seconds = time.perf_counter() - start
    return ([w.numpy() for w in model.weights],
            [float(v) for v in history.history["loss"]],
            int(model.optimizer.iterations.numpy()), seconds)


def compare_with_single_device(
    x: np.ndarray,
    y: np.ndarray,
    *,
    num_replicas: int = 2,
    global_batch_size: int = 32,
    epochs: int = 1,
    learning_rate: float = 0.1,
    hidden: Sequence[int] = (32,),
    seed: int = 0,
) -> MirroredComparison:
    """Train the same model with ``MirroredStrategy`` over ``num_replicas`` logical CPUs and on one device.

    Needs ``num_replicas`` logical CPU devices in this process (see
    :func:`~dltips.parallel.devices.split_cpu`); otherwise use :func:`compare_in_child`.

    Args:
        x, y: training examples, at least one global batch.
        num_replicas, global_batch_size, epochs, learning_rate, hidden, seed: the
            :class:`MirroredSettings` of the comparison.

    Returns:
        A :class:`MirroredComparison`.

    Raises:
        ValueError: bad sizes (checked before training).
        RuntimeError: fewer logical CPU devices than ``num_replicas``.

    Example::

        >>> from dltips.data import train_subset
        >>> x, y = train_subset(64, seed=0)
        >>> compare_with_single_device(x, y, num_replicas=1, global_batch_size=32, hidden=(8,)).max_abs_difference
        0.0
    """
    settings = MirroredSettings(num_replicas=num_replicas, global_batch_size=global_batch_size, epochs=epochs,
                                learning_rate=learning_rate, hidden=hidden, seed=seed)
    settings.check_examples(len(x))
    return _compare(x, y, settings)


def _compare(x: np.ndarray, y: np.ndarray, settings: MirroredSettings) -> MirroredComparison:
    import tensorflow as tf

    from dltips.parallel.devices import logical_cpus
    from dltips.parallel.multiworker import max_abs_difference

    num_replicas = settings.num_replicas
    devices = logical_cpus()[:num_replicas]
    if len(devices) < num_replicas:
        raise RuntimeError(
            f"{num_replicas} replicas need {num_replicas} logical CPU devices, this process has {len(devices)}: "
            "call dltips.parallel.devices.split_cpu first, in a fresh process, or use compare_in_child"
        )
    kwargs = dict(global_batch_size=settings.global_batch_size, epochs=settings.epochs,
                  learning_rate=settings.learning_rate, hidden=settings.hidden, seed=settings.seed)
    mirrored = fit_with_strategy(tf.distribute.MirroredStrategy(devices), x, y, **kwargs)
    single = fit_with_strategy(tf.distribute.get_strategy(), x, y, **kwargs)
    return MirroredComparison(
        num_replicas=num_replicas, devices=devices, steps=mirrored[2],
        max_abs_difference=max_abs_difference(mirrored[0], single[0]),
        losses_mirrored=mirrored[1], losses_single=single[1], seconds_mirrored=mirrored[3], seconds_single=single[3],
    )


def compare_in_child(
    x: np.ndarray,
    y: np.ndarray,
    *,
    num_replicas: int = 2,
    global_batch_size: int = 32,
    epochs: int = 1,
    learning_rate: float = 0.1,
    hidden: Sequence[int] = (32,),
    seed: int = 0,
    timeout: float = 180.0,
    echo: bool = False,
) -> MirroredComparison:
    """:func:`compare_with_single_device` in a fresh child process that splits its CPU first.

    Args:
        x, y: training examples, at least one global batch.
        num_replicas, global_batch_size, epochs, learning_rate, hidden, seed: the
            :class:`MirroredSettings` of the comparison, which the child receives as flags.
        timeout: seconds before the child is ended and
            :class:`~dltips.parallel.launcher.WorkerTimeout` raised.
        echo: print the child's progress lines as they come.

    Returns:
        A :class:`MirroredComparison`.

    Raises:
        ValueError: bad sizes, a ``learning_rate`` or ``timeout`` that is not a
            finite number > 0, before the child starts.
        ~dltips.parallel.launcher.WorkerError: the child failed (its log's end is in the message).

    Example::

        >>> from dltips.data import train_subset
        >>> x, y = train_subset(640, seed=0)
        >>> # a fresh TensorFlow process: several seconds
        >>> compare_in_child(x, y, num_replicas=2).steps  # doctest: +SKIP
        20
    """
    settings = MirroredSettings(num_replicas=num_replicas, global_batch_size=global_batch_size, epochs=epochs,
                                learning_rate=learning_rate, hidden=hidden, seed=seed)
    settings.check_examples(len(x))
    check_number("timeout", timeout, low=0.0, low_open=True)
    result = launcher.run_module_in_child(
        __name__, x, y, settings.to_flags(), name="MirroredStrategy child process", timeout=timeout, echo=echo,
    )
    return MirroredComparison(**result)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of the child process: train with ``MirroredStrategy`` and on one device, write both results."""
    files, settings = MirroredSettings.parse_command_line(
        argv, prog=f"python -m {__name__}", description="MirroredStrategy against one device")
    common.exit_with_parent()
    x, y = common.load_training_data(files.data, files.examples, settings.seed)
    settings.check_examples(len(x))
    from dltips.parallel.devices import split_cpu
    from dltips.runtime import configure

    configure(seed=settings.seed)
    devices = split_cpu(settings.num_replicas)  # before anything below runs a TensorFlow operation
    print(f"split the CPU into {len(devices)} logical devices: {', '.join(devices)}", flush=True)
    result = _compare(x, y, settings)
    common.write_json(files.out, asdict(result))
    print(f"{result.num_replicas} replicas, {result.steps} steps: max |w_mirrored - w_single| = "
          f"{result.max_abs_difference:.2e}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
