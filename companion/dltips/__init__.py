"""dltips: the companion package of the book *Training deep-learning models well*.

One package per technique the book teaches, each holding the verified method,
its experiment (the function the chapter, the ``dltips`` command and the
benchmarks call with the same defaults) and its figures:

==========================  ==========================================================
``dltips.regularization``   L1, L2 (weight decay), elastic net, dropout
``dltips.schedules``        learning-rate schedules
``dltips.descent``          batch, stochastic and mini-batch gradient descent, momentum
``dltips.parallel``         synchronous and asynchronous data-parallel SGD
``dltips.distillation``     knowledge distillation with soft targets
``dltips.topics``           the topics of chapters 2 and 5 (capacity, optimizers,
                            mixed precision, privacy, robustness, saliency)
==========================  ==========================================================

and the ground they share:

==========================  ==========================================================
``dltips.data``             MNIST loading and class-balanced subsets
``dltips.models``           the model builders and the one way to evaluate a model
``dltips.costs``            parameters, multiply-adds, training and inference time, file size
``dltips.figures``          digits, mistakes, training histories, named series
``dltips.tables``           one table formatter (Markdown and plain text)
``dltips.checks``           argument checks: a clear error before any work
``dltips.runtime``          seeding, quieter TensorFlow logs, progress bars
``dltips.experiments``      the registry of experiments that ``dltips run`` dispatches to
``dltips.baseline``         the baseline experiment every technique improves on
``dltips.recordings``       the recorded benchmark results the book shows, and their tables
``dltips.cli``              the ``dltips`` command
==========================  ==========================================================

Modules are imported on first use, so ``import dltips`` is fast and does not
start TensorFlow::

    >>> import dltips
    >>> dltips.__all__
    ['__version__', 'configure', 'recorded']

``dltips.__version__`` is the one place the version is written: the build
(``pyproject.toml``), the chapters' install cell and the release tag derive from it.
"""

from __future__ import annotations

from typing import Any

from dltips._lazy import attach

__version__ = "0.1.0"

__getattr__, __dir__ = attach(
    __name__,
    (
        "data", "models", "costs", "figures", "tables", "checks", "runtime", "experiments", "baseline",
        "recordings", "regularization", "schedules", "descent", "parallel", "distillation", "topics", "cli",
    ),
    export_from=(),
)

__all__ = ["__version__", "configure", "recorded"]


def configure(seed: int | None = 0, *, quiet: bool = True, threads: int | None = None) -> None:
    """Prepare a fresh Python session (or notebook) for reproducible training.

    Shortcut for :func:`dltips.runtime.configure`.

    Args:
        seed: seeds Python's, NumPy's and TensorFlow's generators
            (``keras.utils.set_random_seed``); ``None`` leaves them alone.
        quiet: hide TensorFlow's start-up messages and its Python warnings.
        threads: if given, the size of TensorFlow's thread pools (before TensorFlow runs anything).

    Raises:
        ValueError: ``seed`` not an integer >= 0, or ``threads`` not an integer >= 1.

    Example::

        >>> import dltips
        >>> dltips.configure(seed=0)
    """
    from dltips.runtime import configure as _configure

    _configure(seed, quiet=quiet, threads=threads)


def recorded(name: str) -> dict[str, Any]:
    """A recorded benchmark result the book shows, read from the package's data.

    Shortcut for :func:`dltips.recordings.recorded`: it needs neither TensorFlow nor
    the repository, so a chapter reads its recordings wherever it runs.

    Args:
        name: one of :func:`dltips.recordings.names` (``"parallel"``, ``"distillation"``, ...).

    Returns:
        The recording, as the JSON file the benchmark wrote.

    Raises:
        ValueError: ``name`` is not a recording; the message lists the recordings there are.

    Example::

        >>> import dltips
        >>> dltips.recorded("distillation")["recipe"]["teacher_hidden"]
        [1200, 1200]
    """
    from dltips.recordings import recorded as _recorded

    return _recorded(name)
