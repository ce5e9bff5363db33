"""Seeding, logging and threading settings shared by the notebooks, tests and CLI.

TensorFlow reads ``TF_CPP_MIN_LOG_LEVEL`` once, when it is first imported, and
fixes its thread pools when it first runs an operation; :func:`configure`
therefore has to run before any TensorFlow work, which is why every chapter
calls it in its first cell.

Example::

    >>> from dltips import runtime
    >>> runtime.configure(seed=0)
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from dltips.checks import check_int

__all__ = ["PROGRESS_SETTING", "configure", "keras_progress", "progress", "progress_bar", "progress_enabled"]

T = TypeVar("T")


def configure(seed: int | None = 0, *, quiet: bool = True, threads: int | None = None) -> None:
    """Seed every generator and (optionally) quieten TensorFlow.

    Args:
        seed: passed to ``keras.utils.set_random_seed`` (Python, NumPy and
            TensorFlow generators); ``None`` leaves the generators alone.
        quiet: hide TensorFlow's C++ start-up messages and Python warnings from
            TensorFlow and Keras. A variable already set by the user is kept.
        threads: if given, limit TensorFlow's intra- and inter-op thread pools
            to this many threads (must run before TensorFlow executes anything).

    Raises:
        ValueError: if ``seed`` is not an integer >= 0 or ``threads`` not an integer >= 1.

    Example::

        >>> import numpy as np
        >>> configure(seed=3); a = np.random.rand()
        >>> configure(seed=3); a == np.random.rand()
        True
    """
    if seed is not None:
        check_int("seed", seed, minimum=0)
    if threads is not None:
        check_int("threads", threads)
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if quiet:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        for module in ("tensorflow", "keras", "absl"):
            warnings.filterwarnings("ignore", module=module)
        logging.getLogger("tensorflow").setLevel(logging.ERROR)
        logging.getLogger("absl").setLevel(logging.ERROR)
        import_tensorflow_quietly()
    import keras
    import tensorflow as tf

    if quiet:
        tf.get_logger().setLevel(logging.ERROR)
        # Progress bars of fit/evaluate/predict are turned off per call with verbose=0.
    if threads is not None:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    if seed is not None:
        keras.utils.set_random_seed(seed)


def import_tensorflow_quietly() -> None:
    """Import TensorFlow with file descriptor 2 sent to ``/dev/null``.

    TensorFlow's C++ libraries print start-up notes (oneDNN, CUDA drivers)
    before its logging is initialized, so ``TF_CPP_MIN_LOG_LEVEL`` cannot hide
    them; silencing the descriptor for the duration of the import does. Python
    exceptions still propagate. Does nothing if TensorFlow is already imported.
    """
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


#: The environment variable that turns every progress bar of the package off: ``0``, ``off``, ``false`` or ``no``.
PROGRESS_SETTING = "DLTIPS_PROGRESS"


def progress_enabled(enabled: bool = True) -> bool:
    """Whether a progress bar asked for with ``enabled`` is shown: not where ``DLTIPS_PROGRESS`` turns bars off.

    A notebook executed without anyone watching (the book's build, a test run, a batch job)
    would keep the bar's last frames in its saved output, where they read as noise; the build
    and the tests set ``DLTIPS_PROGRESS=0``, and a reader who runs a notebook in Jupyter still
    sees the bars. Nothing else is silenced: results, warnings and errors are printed as before.

    Args:
        enabled: what the caller asked for (an experiment's ``progress=`` argument).

    Returns:
        ``enabled``, unless the environment variable says ``0``, ``off``, ``false`` or ``no``.

    Example::

        >>> import os
        >>> before = os.environ.get("DLTIPS_PROGRESS")
        >>> os.environ["DLTIPS_PROGRESS"] = "0"
        >>> progress_enabled(True)
        False
        >>> os.environ["DLTIPS_PROGRESS"] = "1"
        >>> progress_enabled(True), progress_enabled(False)
        (True, False)
        >>> _ = os.environ.pop("DLTIPS_PROGRESS") if before is None else os.environ.update(DLTIPS_PROGRESS=before)
    """
    setting = os.environ.get(PROGRESS_SETTING, "").strip().lower()
    return bool(enabled) and setting not in ("0", "off", "false", "no")


def progress(
    items: Iterable[T],
    desc: str,
    *,
    label: Callable[[T], str] = str,
    enabled: bool = True,
) -> Iterator[T]:
    """Iterate over ``items`` behind a progress bar that names the item in progress.

    Every long experiment of the package (one model per item) reports its
    progress through this one function: a ``tqdm`` bar on stderr, which a
    terminal and a notebook both show, and which the ``dltips`` command leaves
    apart from the results table it prints on stdout. ``enabled=False`` (an
    experiment's ``progress=False``) shows nothing, and neither does any bar where
    ``DLTIPS_PROGRESS=0`` (see :func:`progress_enabled`).

    Args:
        items: what to iterate over (read into a list first, to count it).
        desc: the bar's title.
        label: names the item in progress, after the bar.
        enabled: show the bar (see :func:`progress_enabled`).

    Returns:
        An iterator over ``items``, in order.

    Example::

        >>> [name for name in progress(["none", "L2"], "regularizers", enabled=False)]
        ['none', 'L2']
    """
    items = list(items)
    with progress_bar(len(items), desc, enabled=enabled) as bar:
        for item in items:
            bar.set_postfix_str(label(item))
            yield item
            bar.update(1)


def progress_bar(total: int, desc: str, *, unit: str = "run", enabled: bool = True) -> Any:
    """A tqdm bar on stderr over ``total`` steps (runs, epochs), for work that :func:`progress` cannot iterate.

    The text bar (no notebook widget), so the rendered book shows it too. Use it
    as a context manager and call ``bar.update(n)``.

    Args:
        total: the number of steps.
        desc: the bar's title.
        unit: what a step is called.
        enabled: show the bar (see :func:`progress_enabled`).

    Returns:
        A ``tqdm`` bar (disabled where no bar is shown).

    Example::

        >>> with progress_bar(3, "epochs", unit="epoch", enabled=False) as bar:
        ...     _ = bar.update(3)  # with enabled=False, nothing is shown
    """
    from tqdm.std import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not progress_enabled(enabled), file=sys.stderr, dynamic_ncols=True,
                mininterval=0 if unit == "run" else 1.0)


def keras_progress(desc: str, *, enabled: bool = True) -> list[Any]:
    """The callbacks that show a ``fit``'s progress: tqdm's own Keras callback, one bar over the epochs.

    Returns an empty list when ``enabled`` is false, so it can always be passed
    as ``model.fit(..., verbose=0, callbacks=keras_progress("teacher"))``.

    Args:
        desc: the bar's title.
        enabled: show the bar (see :func:`progress_enabled`).

    Returns:
        A list of zero or one Keras callbacks.

    Example::

        >>> keras_progress("teacher", enabled=False)
        []
    """
    if not progress_enabled(enabled):
        return []
    from tqdm.keras import TqdmCallback
    from tqdm.std import tqdm

    return [TqdmCallback(verbose=0, tqdm_class=tqdm, desc=desc, file=sys.stderr, dynamic_ncols=True)]
