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

from dltips.checks import check_int, check_number
from dltips.parallel import common, launcher


@dataclass
class MirroredComparison:
    """The same training run on N mirrored devices and on one device."""

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
    """Keras ``fit`` under ``strategy``, batches in the order of ``x``; returns (weights, epoch losses, steps, seconds)."""
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

    Raises:
        ValueError: bad sizes (checked before training).
        RuntimeError: fewer logical CPU devices than ``num_replicas``.
    """
    _check(num_replicas, global_batch_size, epochs, learning_rate, len(x), hidden, seed)
    import tensorflow as tf

    from dltips.parallel.devices import logical_cpus
    from dltips.parallel.multiworker import max_abs_difference

    devices = logical_cpus()[:num_replicas]
    if len(devices) < num_replicas:
        raise RuntimeError(
            f"{num_replicas} replicas need {num_replicas} logical CPU devices, this process has {len(devices)}: "
            "call dltips.parallel.devices.split_cpu first, in a fresh process, or use compare_in_child"
        )
    kwargs = dict(global_batch_size=global_batch_size, epochs=epochs, learning_rate=learning_rate,
                  hidden=hidden, seed=seed)
    mirrored = fit_with_strategy(tf.distribute.MirroredStrategy(devices), x, y, **kwargs)
    single = fit_with_strategy(tf.distribute.get_strategy(), x, y, **kwargs)
    return MirroredComparison(
        num_replicas=num_replicas, devices=devices, steps=mirrored[2],
        max_abs_difference=max_abs_difference(mirrored[0], single[0]),
        losses_mirrored=mirrored[1], losses_single=single[1], seconds_mirrored=mirrored[3], seconds_single=single[3],
    )


def _check(num_replicas: int, global_batch_size: int, epochs: int, learning_rate: float, examples: int,
           hidden: Sequence[int] = (32,), seed: int = 0) -> None:
    check_int("num_replicas", num_replicas)
    check_int("global_batch_size", global_batch_size)
    common.check_training_args(1, global_batch_size, learning_rate, num_replicas)
    check_int("epochs", epochs)
    common.check_hidden(hidden)
    check_int("seed", seed, minimum=0)
    if examples < global_batch_size:
        raise ValueError(f"need at least global_batch_size={global_batch_size} examples, got {examples}")


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

    ``echo`` prints the child's progress lines as they come.

    Raises:
        ValueError: bad sizes, a ``learning_rate`` or ``timeout`` that is not a
            finite number > 0, before the child starts.
    """
    _check(num_replicas, global_batch_size, epochs, learning_rate, len(x), hidden, seed)
    check_number("timeout", timeout, low=0.0, low_open=True)
    result = launcher.run_module_in_child(
        __name__, x, y,
        {"replicas": num_replicas, "global_batch_size": global_batch_size, "epochs": epochs,
         "learning_rate": float(learning_rate), "hidden": tuple(hidden), "seed": seed},
        name="MirroredStrategy child process", timeout=timeout, echo=echo,
    )
    return MirroredComparison(**result)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of the child process: train with ``MirroredStrategy`` and on one device, write both results."""
    parser = common.child_parser(f"python -m {__name__}", "MirroredStrategy against one device")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--global-batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args(argv)
    common.exit_with_parent()
    x, y = common.load_training_data(args.data, args.examples, args.seed)
    from dltips.parallel.devices import split_cpu
    from dltips.runtime import configure

    configure(seed=args.seed)
    devices = split_cpu(args.replicas)  # before anything below runs a TensorFlow operation
    print(f"split the CPU into {len(devices)} logical devices: {', '.join(devices)}", flush=True)
    result = compare_with_single_device(
        x, y, num_replicas=args.replicas, global_batch_size=args.global_batch_size, epochs=args.epochs,
        learning_rate=args.learning_rate, hidden=args.hidden, seed=args.seed,
    )
    common.write_json(args.out, asdict(result))
    print(f"{result.num_replicas} replicas, {result.steps} steps: max |w_mirrored - w_single| = "
          f"{result.max_abs_difference:.2e}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
