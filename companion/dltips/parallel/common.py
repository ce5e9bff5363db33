"""What every parallel-training process shares: the training data on disk, the model, the result files.

Child processes get their examples from a ``.npz`` file written by the parent
(arrays ``x`` and ``y``), so a worker trains on exactly the examples, in exactly
the order, that the parent holds; ``"mnist"`` instead means the real MNIST
training set read by :func:`dltips.data.load_mnist` on each machine.

Example::

    >>> import numpy as np, tempfile, os
    >>> from dltips.parallel.common import save_arrays, load_training_data
    >>> with tempfile.TemporaryDirectory(prefix="dltips-") as folder:
    ...     path = save_arrays(os.path.join(folder, "data.npz"), np.zeros((4, 28, 28), np.float32), np.arange(4))
    ...     [a.shape for a in load_training_data(str(path))]
    [(4, 28, 28), (4,)]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dltips.checks import check_int, check_number, check_sizes

if TYPE_CHECKING:
    import keras


PARENT_ENV = "DLTIPS_EXIT_WITH_PARENT"
JOB_FOLDER_ENV = "DLTIPS_JOB_FOLDER"


def exit_with_parent(poll_seconds: float = 0.5) -> bool:
    """End this process if the process that launched it dies (only when the launcher asked for it).

    The launcher starts its children in their own process groups, so that it
    can end each one with everything it spawned; a side effect is that killing
    the launcher itself (``kill -9``, a notebook kernel restart) would no longer
    reach them. The launcher therefore sets ``DLTIPS_EXIT_WITH_PARENT`` to its
    pid, and a child that calls this function exits once its parent changes,
    removing on its way the job's temporary folder (``DLTIPS_JOB_FOLDER``), which
    the killed launcher could not. A worker started by hand (on a real cluster,
    perhaps under ``nohup``) has no such variable and is left alone. Returns
    whether the watch was started.
    """
    expected = os.environ.get(PARENT_ENV)
    if not expected:
        return False
    job_folder = os.environ.get(JOB_FOLDER_ENV)

    def watch() -> None:
        while os.getppid() == int(expected):
            time.sleep(poll_seconds)
        if job_folder:
            shutil.rmtree(job_folder, ignore_errors=True)
        os._exit(3)  # no other clean-up: the job is over and nobody is waiting for results

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
    return True


def end_on_sigterm() -> None:
    """Give SIGTERM back its default action (end the process at once); call it after creating a strategy.

    A multi-worker TensorFlow strategy starts a preemption notifier that takes
    SIGTERM over and only records it, so a worker asked to stop would go on until
    killed. The launcher's request to stop, and a cluster manager's, must end it.
    """
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def save_arrays(path: str | os.PathLike[str], x: np.ndarray, y: np.ndarray) -> Path:
    """Write training examples for child processes (``x`` as float32, ``y`` as int64)."""
    x, y = np.asarray(x, np.float32), np.asarray(y, np.int64)
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must be non-empty and of equal length, got {len(x)} and {len(y)}")
    path = Path(path)
    np.savez(path, x=x, y=y)
    return path


def load_training_data(spec: str, examples: int | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` from a file written by :func:`save_arrays`, or from MNIST if ``spec == "mnist"``.

    ``examples`` keeps the first examples of the file, or draws a class-balanced
    MNIST subset of that size (seeded, so every worker draws the same one).
    """
    if examples is not None and examples < 1:
        raise ValueError(f"examples must be at least 1, got {examples!r}")
    if spec == "mnist":
        from dltips.data import load_mnist, train_subset

        if examples is None:
            mnist = load_mnist()
            return mnist.x_train, mnist.y_train.astype(np.int64)
        x, y = train_subset(examples, seed=seed)
        return x, y.astype(np.int64)
    if not Path(spec).is_file():
        raise FileNotFoundError(f"training data file {spec!r} does not exist (expected an .npz with x and y, or 'mnist')")
    with np.load(spec, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    return (x, y) if examples is None else (x[:examples], y[:examples])


def build_model(hidden: Sequence[int], input_shape: Sequence[int], seed: int) -> keras.Model:
    """The shared MLP of the book (logits output), seeded so every process builds the same weights."""
    from dltips.models import mlp

    return mlp(tuple(hidden), input_shape=tuple(input_shape), seed=seed, name="parallel_mlp")


def check_training_args(steps: int, global_batch_size: int, learning_rate: float, num_replicas: int = 1) -> None:
    """Refuse impossible settings before any process starts TensorFlow.

    Raises:
        ValueError: ``steps`` or ``global_batch_size`` not a positive integer, a
            global batch that the replicas cannot share evenly, or a
            ``learning_rate`` that is not a finite number > 0.

    Example::

        >>> check_training_args(10, 32, 0.1, num_replicas=3)
        Traceback (most recent call last):
        ...
        ValueError: global_batch_size must be a positive multiple of the number of replicas (3), got 32
    """
    check_int("steps", steps)
    num_replicas = check_int("the number of workers/replicas", num_replicas)
    check_int("global_batch_size", global_batch_size)
    if global_batch_size % num_replicas:
        raise ValueError(
            f"global_batch_size must be a positive multiple of the number of replicas ({num_replicas}), "
            f"got {global_batch_size!r}"
        )
    check_number("learning_rate", learning_rate, low=0.0, low_open=True)


def check_hidden(hidden: Sequence[int]) -> tuple[int, ...]:
    """Hidden layer sizes as a tuple of positive integers (``()``: softmax regression).

    Raises:
        ValueError: not a sequence of integers >= 1.

    Example::

        >>> check_hidden([128, 64])
        (128, 64)
    """
    return check_sizes("hidden", hidden)


def write_json(path: str | os.PathLike[str], payload: dict[str, Any]) -> None:
    """Write ``payload`` atomically (a reader never sees half a file)."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON object stored at ``path`` (a worker's result file)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def save_weights(path: str | os.PathLike[str], weights: Sequence[np.ndarray]) -> None:
    """Save a list of arrays (a model's weights, in order) to an ``.npz`` file."""
    np.savez(path, *weights)


def load_weights(path: str | os.PathLike[str]) -> list[np.ndarray]:
    """The list of arrays saved by :func:`save_weights`, in order (no pickled objects allowed)."""
    with np.load(path, allow_pickle=False) as f:
        return [f[f"arr_{i}"] for i in range(len(f.files))]


def child_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """The options every training child process takes: ``--data``, ``--examples``, ``--out``,
    ``--learning-rate``, ``--hidden`` and ``--seed``; a module adds its own."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--data", default="mnist", help="an .npz file with arrays x and y, or 'mnist'")
    parser.add_argument("--examples", type=int, default=None, help="use only this many examples")
    parser.add_argument("--out", required=True, help="where to write the result as JSON")
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--hidden", type=parse_hidden, default=(32,), help="hidden layer sizes, e.g. 128,64")
    parser.add_argument("--seed", type=int, default=0)
    return parser


def parse_hidden(text: str) -> tuple[int, ...]:
    """``"128,64"`` → ``(128, 64)``; the empty string is softmax regression.

    Raises:
        argparse.ArgumentTypeError: a size that is not an integer >= 1 (argparse reports it in one line).
    """
    try:
        sizes = tuple(int(h) for h in text.split(",") if h.strip())
    except ValueError:
        sizes = None
    if sizes is None or any(h < 1 for h in sizes):
        raise argparse.ArgumentTypeError(f"expected comma-separated layer sizes (integers >= 1), got {text!r}")
    return sizes
