"""The registry of the book's experiments, shared by the ``dltips`` command and the techniques.

Each technique registers its experiment beside itself, in its package's
``__init__.py``, by naming the function that runs it from the command line::

    register("schedules", "Eight learning-rate plans ...", "dltips.schedules.experiment:command")

A *command* function receives the validated :class:`RunOptions` and returns an
:class:`ExperimentResult`; it only maps the options to the arguments of the
technique's own experiment function (the one the chapter calls, with the same
defaults, :meth:`RunOptions.sizes`) and returns the result's ``report()``, which
draws its figures from the numbers the result holds. So the settings exist once,
and the chapter and ``dltips run`` draw the same thing from the same numbers.
Registering imports nothing heavy: the command's module is imported when the
experiment runs, so ``dltips list`` never starts TensorFlow.

Example::

    >>> from dltips import experiments
    >>> sorted(experiments.registered())
    ['baseline', 'descent', 'distillation', 'parallel', 'regularization', 'schedules']
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import matplotlib.figure

__all__ = [
    "Experiment", "ExperimentError", "ExperimentResult", "RunOptions", "figure_of", "jsonable", "register", "registered",
    "unregister",
]

#: The packages that register experiments; importing them is cheap (their names load lazily).
PACKAGES = (
    "dltips.regularization",
    "dltips.schedules",
    "dltips.descent",
    "dltips.parallel",
    "dltips.distillation",
)


@dataclass(frozen=True)
class RunOptions:
    """What ``dltips run`` was asked for, already validated.

    Attributes:
        quick: use tiny sizes (seconds, for tests and a first try) instead of the defaults.
        epochs: the number of epochs asked for with ``--epochs``, or ``None`` for the experiment's default.
        seed: seeds Python, NumPy and TensorFlow (``dltips.configure(seed=...)``).
        out: the folder that receives the figures and ``metrics.json``.

    Example::

        >>> from pathlib import Path
        >>> RunOptions(quick=True, epochs=None, seed=0, out=Path("results")).quick
        True
    """

    quick: bool = False
    epochs: int | None = None
    seed: int = 0
    out: Path = Path("dltips-results")

    def sizes(self, quick: Mapping[str, Any], epochs: str = "epochs") -> dict[str, Any]:
        """The keyword arguments ``--quick`` and ``--epochs`` ask of an experiment function.

        Every command adapter starts from these: under ``--quick`` the experiment's
        tiny ``quick`` sizes, and ``--epochs``, when given, as the argument named
        ``epochs`` (it wins over a quick size of the same name). Anything else the
        experiment takes keeps the experiment's own default.

        Args:
            quick: the experiment's quick sizes (its module's ``QUICK``).
            epochs: the name of the experiment's argument that ``--epochs`` sets.

        Returns:
            A new dictionary of keyword arguments.

        Example::

            >>> RunOptions(quick=True).sizes({"n_train": 500, "epochs": 2})
            {'n_train': 500, 'epochs': 2}
            >>> RunOptions(epochs=7).sizes({"n_train": 500}, epochs="student_epochs")
            {'student_epochs': 7}
        """
        chosen = dict(quick) if self.quick else {}
        if self.epochs is not None:
            chosen[epochs] = self.epochs
        return chosen


@dataclass
class ExperimentResult:
    """What a command function hands back to the ``dltips`` command.

    Attributes:
        metrics: the headline numbers, printed as the results table and saved in ``metrics.json``.
        table: one row per model or run compared (column → value), printed above the
            headline numbers and saved in ``metrics.json`` under ``"table"``.
        figures: file stem → figure; each is saved as ``<out>/<stem>.png``.
        details: anything else worth keeping in ``metrics.json`` (per-epoch histories, settings).
        description: one line printed above the table (what was trained on what).

    Example::

        >>> result = ExperimentResult(metrics={"test accuracy": 0.97}, table=[{"model": "MLP", "errors": 300}])
        >>> result.metrics["test accuracy"], result.table[0]["errors"]
        (0.97, 300)
    """

    metrics: dict[str, float | int | str | None]
    table: list[dict[str, Any]] = field(default_factory=list)
    figures: dict[str, matplotlib.figure.Figure] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    description: str = ""


class ExperimentError(RuntimeError):
    """An experiment could not finish for a reason its arguments did not cause (a worker process died).

    ``dltips run`` prints the message of this error in one line and exits with
    status 1, as it does for a bad argument (``ValueError``) or a missing file
    (``FileNotFoundError``); any other exception is a bug and keeps its traceback.
    A technique raises a subclass of it (the parallel package's
    :class:`~dltips.parallel.launcher.WorkerError`), so the command line needs to know no
    technique.

    Example::

        >>> try:
        ...     raise ExperimentError("worker 1 was killed by SIGKILL")
        ... except RuntimeError as error:
        ...     print(error)
        worker 1 was killed by SIGKILL
    """


@dataclass(frozen=True)
class Experiment:
    """A registered experiment: its command-line name, a one-line summary, and where its command lives.

    Attributes:
        name: the name after ``dltips run``.
        summary: the line ``dltips list`` prints.
        target: ``"package.module:function"``, imported only when the experiment runs.

    Example::

        >>> registered()["baseline"].target
        'dltips.baseline:command'
    """

    name: str
    summary: str
    target: str

    def command(self) -> Callable[[RunOptions], ExperimentResult]:
        """Import and return the command function (this is where TensorFlow starts)."""
        module, _, function = self.target.partition(":")
        return getattr(importlib.import_module(module), function)

    def run(self, options: RunOptions) -> ExperimentResult:
        """Run the experiment with ``options``."""
        return self.command()(options)


_REGISTRY: dict[str, Experiment] = {}


def register(name: str, summary: str, target: str) -> Experiment:
    """Register the command function ``target`` (``"module:function"``) as ``dltips run <name>``.

    Registering the same name again with the same target does nothing (a module
    may be reloaded); with another target it is an error.

    Args:
        name: the name after ``dltips run``: a lower-case word (letters, digits, ``-``).
        summary: the line ``dltips list`` prints.
        target: ``"package.module:function"``; the function takes a
            :class:`RunOptions` and returns an :class:`ExperimentResult`.

    Returns:
        The registered :class:`Experiment`.

    Raises:
        ValueError: ``name`` is not a lower-case word, is registered with another
            target, or ``target`` is not of the form ``"module:function"``.

    Example::

        >>> experiment = register("example", "What `dltips list` shows", "dltips.baseline:command")
        >>> experiment.name, "example" in registered()
        ('example', True)
        >>> unregister("example")
    """
    if not name or not name.replace("-", "").isalnum() or name != name.lower():
        raise ValueError(f"experiment name must be a lower-case word (letters, digits, '-'), got {name!r}")
    module, colon, function = target.partition(":")
    if not (module and colon and function.isidentifier()):
        raise ValueError(f"target must be 'package.module:function', got {target!r}")
    experiment = Experiment(name, summary, target)
    if _REGISTRY.get(name, experiment).target != target:
        raise ValueError(f"experiment name {name!r} is already registered (by {_REGISTRY[name].target})")
    _REGISTRY[name] = experiment
    return experiment


def unregister(name: str) -> None:
    """Forget the experiment ``name`` (for tests and examples); a name not registered is ignored.

    Args:
        name: the name given to :func:`register`.

    Example::

        >>> _ = register("scratch", "A throw-away experiment", "dltips.baseline:command")
        >>> unregister("scratch")
        >>> "scratch" in registered()
        False
    """
    _REGISTRY.pop(name, None)


def registered() -> dict[str, Experiment]:
    """Every registered experiment by name, the five techniques' included (their packages are imported, lazily).

    Returns:
        Name → :class:`Experiment`, the baseline first, then the techniques in the book's order.

    Example::

        >>> list(registered())[:3]
        ['baseline', 'regularization', 'schedules']
    """
    for package in PACKAGES:
        importlib.import_module(package)
    # The book's order (the baseline, then the techniques as the chapters teach them), whatever was imported first.
    order = ["baseline", *(package.rpartition(".")[2] for package in PACKAGES)]
    return dict(sorted(_REGISTRY.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order)))


def figure_of(drawing: Any) -> matplotlib.figure.Figure:
    """The figure of a plotting function's result (some return the figure, some the axes they drew on).

    Args:
        drawing: a Matplotlib figure, or axes.

    Returns:
        The figure.

    Example::

        >>> import matplotlib.pyplot as plt
        >>> fig, ax = plt.subplots()
        >>> figure_of(ax) is fig and figure_of(fig) is fig
        True
        >>> plt.close(fig)
    """
    return getattr(drawing, "figure", drawing)


def jsonable(value: Any) -> Any:
    """``value`` with NumPy scalars and arrays made Python, tuples made lists, and NaN/infinity made ``None``.

    Strict JSON has neither NaN nor infinity; ``None`` (``null``) marks a number
    that does not exist, such as a diverged loss.

    Args:
        value: a number, array, mapping or sequence, nested in any way.

    Returns:
        The same structure, ready for ``json.dumps``.

    Example::

        >>> import numpy as np
        >>> jsonable({"loss": np.float32(0.5), "curve": np.array([1.0, np.nan])})
        {'loss': 0.5, 'curve': [1.0, None]}
    """
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # a NumPy array or scalar
        return jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# The baseline belongs to no technique: it is the reference every technique improves on.
register(
    "baseline",
    "An MLP (128 hidden units) on a class-balanced MNIST subset: the reference every technique improves on",
    "dltips.baseline:command",
)
