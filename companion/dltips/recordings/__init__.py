"""Recorded results: the long benchmark runs the book shows, shipped with the package.

Some numbers in the book come from runs too long to repeat while it builds: the
paper-sized distillation, parallel SGD on two worker processes, the time and memory
each chapter takes. ``make bench`` (``python -m benchmarks``) records them as JSON
files inside this package, so a chapter reads them with :func:`recorded` wherever it
runs: in the repository, on Colab or Binder, or copied anywhere with ``dltips``
installed. Reading a recording needs neither TensorFlow nor the repository.

Every recording describes the machine it was made on in one layout
(:class:`Machine`, under ``"machine"``). A technique's recording is read by a typed
reader beside the technique (:class:`dltips.parallel.ParallelRecording`,
:class:`dltips.schedules.SeedRecording`, :class:`dltips.distillation.PaperDistillationResult`,
:meth:`dltips.distillation.DistillationResult.from_dict`); the benchmarks' sections of
figures (medians, intervals, targets, verdicts) by the functions of
``dltips.recordings.sections``, exported here.

Example::

    >>> from dltips import recordings
    >>> recordings.names()  # doctest: +NORMALIZE_WHITESPACE
    ['book', 'descent', 'distillation', 'distillation_sweep', 'latest', 'overhead',
     'parallel', 'schedule_seeds', 'startup']
    >>> recordings.Machine.of(recordings.recorded("latest")).cores
    2
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from dltips.recordings.machine import PACKAGES, Machine
from dltips.recordings.sections import (
    CONFIDENCE,
    closing_note,
    interval_text,
    is_calibration,
    is_figure,
    judged_figures,
    label,
    missed_targets,
    plot_book_cost,
    table,
    verdict_text,
)

__all__ = [
    "CONFIDENCE",
    "PACKAGES",
    "Machine",
    "closing_note",
    "interval_text",
    "is_calibration",
    "is_figure",
    "judged_figures",
    "label",
    "missed_targets",
    "names",
    "plot_book_cost",
    "recorded",
    "table",
    "verdict_text",
]


def names() -> list[str]:
    """The recordings shipped with this copy of the package, in alphabetical order.

    Returns:
        The names :func:`recorded` accepts: one per benchmark section (``"parallel"``,
        ``"distillation"``, ...) and ``"latest"``, the last full ``make bench`` run with
        every section and the machine it ran on.

    Example::

        >>> "parallel" in names() and "latest" in names()
        True
    """
    folder = resources.files(__name__)
    return sorted(entry.name.removesuffix(".json") for entry in folder.iterdir() if entry.name.endswith(".json"))


def recorded(name: str) -> dict[str, Any]:
    """A recorded benchmark result: the JSON file the benchmark wrote, read from the installed package.

    Args:
        name: which recording, one of :func:`names`: ``"parallel"`` (one and two
            synchronous workers), ``"distillation"`` (the paper-sized run),
            ``"latest"`` (every section of the last full ``make bench``), ...

    Returns:
        The recording as a new dict (changing it changes no later call's result).

    Raises:
        ValueError: ``name`` is not one of the recordings; the message lists them.

    Example::

        >>> import dltips
        >>> run = dltips.recorded("parallel")
        >>> sorted(run["speedup_2_workers"])
        ['large (MLP 784-1024-1024-10)', 'small (MLP 784-128-10)']
        >>> dltips.recorded("paralel")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: no recording named 'paralel'; the recordings are: book, descent, ..., parallel, schedule_seeds, startup
    """
    available = names()
    if name not in available:
        raise ValueError(f"no recording named {name!r}; the recordings are: {', '.join(available)}")
    return json.loads((resources.files(__name__) / f"{name}.json").read_text(encoding="utf-8"))
