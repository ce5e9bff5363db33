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
import dataclasses
import json
import os
import shutil
import threading
import time
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dltips.checks import check_int

if TYPE_CHECKING:
    from typing import Self  # Python 3.11+; the package supports 3.10, where only annotations name it

    import keras

__all__ = ["JobSettings", "build_model", "load_training_data", "load_weights", "parse_hidden", "read_json",
           "save_arrays", "save_weights", "write_json"]

#: Set by the launcher to its own pid: a child that sees it calls :func:`exit_with_parent`'s watch.
PARENT_ENV = "DLTIPS_EXIT_WITH_PARENT"
#: Set by the launcher to the job's temporary folder, which a child removes if the launcher is killed.
JOB_FOLDER_ENV = "DLTIPS_JOB_FOLDER"

@dataclasses.dataclass(frozen=True)
class JobSettings:
    """The settings of one kind of parallel job, written once: checked, and converted to flags and back.

    A subclass is a frozen dataclass whose fields are the job's settings
    (``int``, ``float``, ``str``, ``tuple[int, ...]`` for layer sizes, each
    optionally ``| None``); its ``__post_init__`` checks them through
    :mod:`dltips.checks`, so a bad value raises a ``ValueError`` naming the
    argument when the object is made, before any process starts. The same
    object then travels three ways: to the in-process function, to a child
    process as command-line flags (:meth:`to_flags`: field ``global_batch_size``
    becomes ``--global-batch-size``; ``None`` is left out; layer sizes are
    joined with commas; floats are written exactly), and back
    (:meth:`from_flags`, :meth:`parse_command_line`). One new setting is one new
    field.

    Example::

        >>> from dltips.parallel.mirrored import MirroredSettings
        >>> flags = MirroredSettings(num_replicas=2, hidden=(16,)).to_flags()
        >>> flags[:4]
        ['--num-replicas', '2', '--global-batch-size', '32']
        >>> MirroredSettings.from_flags(flags) == MirroredSettings(num_replicas=2, hidden=(16,))
        True
    """

    def _set(self, name: str, value: Any) -> None:
        # The checks return the value converted (an int, a float, a tuple): store that in the frozen object.
        object.__setattr__(self, name, value)

    def to_flags(self) -> list[str]:
        """The command-line flags that give a child process these settings.

        Returns:
            ``["--name", "value", ...]`` for every field that is not ``None``, in field order.

        Example::

            >>> from dltips.parallel.parameter_server import AsyncSettings
            >>> AsyncSettings(steps=10, hidden=()).to_flags()[4:8]
            ['--steps', '10', '--batch-size', '32']
        """
        flags: list[str] = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is not None:
                flags += [_flag(f.name), _flag_text(value)]
        return flags

    @classmethod
    def add_flags(cls, parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
        """Add one option per field to ``parser`` (required where the field has no default); returns it.

        Args:
            parser: the command-line parser of a child process or worker.

        Returns:
            ``parser``, with the options added.

        Example::

            >>> import argparse
            >>> from dltips.parallel.mirrored import MirroredSettings
            >>> parser = MirroredSettings.add_flags(argparse.ArgumentParser())
            >>> parser.parse_args(["--epochs", "3"]).epochs
            3
        """
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            parser.add_argument(
                _flag(f.name), type=_flag_parser(hints[f.name]), required=required,
                default=None if required else f.default, help=f.metadata.get("help"),
            )
        return parser

    @classmethod
    def from_flags(cls, argv: Sequence[str]) -> Self:
        """The settings that :meth:`to_flags` wrote (the inverse: ``from_flags(s.to_flags()) == s``).

        Args:
            argv: the flags, e.g. ``["--steps", "10"]``; a field left out takes its default.

        Returns:
            The settings object, checked.

        Raises:
            ValueError: a value outside its range (naming the argument).
            SystemExit: a flag that is unknown, missing (a field with no
                default) or not of its type (argparse's one-line report).

        Example::

            >>> from dltips.parallel.parameter_server import AsyncSettings
            >>> AsyncSettings.from_flags(["--num-workers", "3"]).num_workers
            3
        """
        args = cls.add_flags(argparse.ArgumentParser(prog=cls.__name__)).parse_args(list(argv))
        return cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(cls)})

    @classmethod
    def parse_command_line(
        cls, argv: Sequence[str] | None, *, prog: str, description: str,
        out_help: str = "where to write the result as JSON",
    ) -> tuple[argparse.Namespace, Self]:
        """The command line of a training child process: its files and its settings.

        Besides the settings' own flags, a child takes ``--data`` (an ``.npz``
        file with arrays ``x`` and ``y``, or ``mnist``), ``--examples`` (use only
        this many) and ``--out`` (required).

        Args:
            argv: the arguments (``None``: ``sys.argv[1:]``).
            prog, description: for ``--help``.
            out_help: what ``--out`` names.

        Returns:
            ``(files, settings)``: ``files`` has ``data``, ``examples`` and ``out``.

        Raises:
            SystemExit: a malformed flag or a value outside its range, reported in one line.

        Example::

            >>> from dltips.parallel.mirrored import MirroredSettings
            >>> files, settings = MirroredSettings.parse_command_line(
            ...     ["--out", "r.json", "--epochs", "2"], prog="demo", description="demo")
            >>> files.data, files.out, settings.epochs
            ('mnist', 'r.json', 2)
        """
        parser = argparse.ArgumentParser(prog=prog, description=description)
        parser.add_argument("--data", default="mnist", help="an .npz file with arrays x and y, or 'mnist'")
        parser.add_argument("--examples", type=int, default=None, help="use only this many examples")
        parser.add_argument("--out", required=True, help=out_help)
        args = cls.add_flags(parser).parse_args(argv)
        names = [f.name for f in dataclasses.fields(cls)]
        try:
            settings = cls(**{name: getattr(args, name) for name in names})
        except ValueError as exc:
            parser.error(str(exc))
        files = argparse.Namespace(data=args.data, examples=args.examples, out=args.out)
        return files, settings


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _flag_text(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return repr(value) if isinstance(value, float) else str(value)


def _flag_parser(hint: Any) -> Any:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):  # "int | None": parse the int
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    if typing.get_origin(hint) is tuple:
        return parse_hidden
    return hint


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
    """Write training examples for child processes (``x`` as float32, ``y`` as int64).

    Args:
        path: the ``.npz`` file to write.
        x, y: the examples and their labels, of equal length.

    Returns:
        ``path`` as a ``Path``.

    Raises:
        ValueError: ``x`` and ``y`` empty or of different lengths.

    Example::

        >>> import numpy as np, tempfile, os
        >>> with tempfile.TemporaryDirectory(prefix="dltips-") as folder:
        ...     save_arrays(os.path.join(folder, "d.npz"), np.zeros((2, 3)), [0, 1]).name
        'd.npz'
    """
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

    Args:
        spec: a file written by :func:`save_arrays`, or ``"mnist"``.
        examples: how many examples to keep (``None``: all).
        seed: the MNIST subset's seed.

    Returns:
        ``(x, y)``, ``y`` as int64 for MNIST.

    Raises:
        ValueError: ``examples`` not ``None`` or an integer >= 1.
        FileNotFoundError: ``spec`` is neither ``"mnist"`` nor an existing file.

    Example::

        >>> import numpy as np, tempfile, os
        >>> with tempfile.TemporaryDirectory(prefix="dltips-") as folder:
        ...     path = save_arrays(os.path.join(folder, "d.npz"), np.ones((5, 2)), np.arange(5))
        ...     load_training_data(str(path), examples=3)[1].tolist()
        [0, 1, 2]
    """
    if examples is not None:
        examples = check_int("examples", examples)
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
    """The shared MLP of the book (logits output), seeded so every process builds the same weights.

    Args:
        hidden: hidden layer sizes (``()``: softmax regression).
        input_shape: the shape of one example, e.g. ``(28, 28)``.
        seed: the initial weights' seed.

    Returns:
        An uncompiled Keras model named ``parallel_mlp`` with 10 logits.

    Raises:
        ValueError: bad layer sizes or seed (see :func:`dltips.models.mlp`).

    Example::

        >>> build_model((8,), (28, 28), seed=0).count_params()
        6370
    """
    from dltips.models import mlp

    return mlp(tuple(hidden), input_shape=tuple(input_shape), seed=seed, name="parallel_mlp")


def write_json(path: str | os.PathLike[str], payload: dict[str, Any]) -> None:
    """Write ``payload`` atomically (a reader never sees half a file).

    Args:
        path: the JSON file.
        payload: a JSON-serializable mapping.

    Returns:
        None.

    Example::

        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory(prefix="dltips-") as folder:
        ...     write_json(os.path.join(folder, "r.json"), {"steps": 3})
        ...     read_json(os.path.join(folder, "r.json"))
        {'steps': 3}
    """
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON object stored at ``path`` (a worker's result file).

    Args:
        path: a file written by :func:`write_json`.

    Returns:
        The decoded object.

    Raises:
        FileNotFoundError: no such file.

    Example::

        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory(prefix="dltips-") as folder:
        ...     write_json(os.path.join(folder, "r.json"), {"loss": 0.5})
        ...     read_json(os.path.join(folder, "r.json"))["loss"]
        0.5
    """
    return json.loads(Path(path).read_text(encoding="utf-8"))


def save_weights(path: str | os.PathLike[str], weights: Sequence[np.ndarray]) -> None:
    """Save a list of arrays (a model's weights, in order) to an ``.npz`` file.

    Args:
        path: the ``.npz`` file.
        weights: the arrays, in order.

    Returns:
        None.

    Example::

        >>> import numpy as np, tempfile, os
        >>> with tempfile.TemporaryDirectory(prefix="dltips-") as folder:
        ...     save_weights(os.path.join(folder, "w.npz"), [np.zeros(2), np.ones((1, 2))])
        ...     [w.shape for w in load_weights(os.path.join(folder, "w.npz"))]
        [(2,), (1, 2)]
    """
    np.savez(path, *weights)


def load_weights(path: str | os.PathLike[str]) -> list[np.ndarray]:
    """The list of arrays saved by :func:`save_weights`, in order (no pickled objects allowed).

    Args:
        path: a file written by :func:`save_weights`.

    Returns:
        The arrays, in the order they were saved.

    Raises:
        FileNotFoundError: no such file.

    Example::

        >>> import numpy as np, tempfile, os
        >>> with tempfile.TemporaryDirectory(prefix="dltips-") as folder:
        ...     save_weights(os.path.join(folder, "w.npz"), [np.arange(3)])
        ...     load_weights(os.path.join(folder, "w.npz"))[0].tolist()
        [0, 1, 2]
    """
    with np.load(path, allow_pickle=False) as f:
        return [f[f"arr_{i}"] for i in range(len(f.files))]


def parse_hidden(text: str) -> tuple[int, ...]:
    """``"128,64"`` → ``(128, 64)``; the empty string is softmax regression.

    Args:
        text: comma-separated layer sizes, as on a command line.

    Returns:
        The sizes as a tuple of ints.

    Raises:
        argparse.ArgumentTypeError: a size that is not an integer >= 1 (argparse reports it in one line).

    Example::

        >>> parse_hidden("128,64"), parse_hidden("")
        ((128, 64), ())
    """
    try:
        sizes = tuple(int(h) for h in text.split(",") if h.strip())
    except ValueError:
        sizes = None
    if sizes is None or any(h < 1 for h in sizes):
        raise argparse.ArgumentTypeError(f"expected comma-separated layer sizes (integers >= 1), got {text!r}")
    return sizes
