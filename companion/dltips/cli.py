"""The ``dltips`` command: run one of the book's experiments from a terminal.

A thin dispatcher: the experiments live beside their techniques, each
registered with :func:`dltips.experiments.register`; this module parses the
command line, runs the chosen experiment (whose progress bar is drawn on
stderr), saves every figure as PNG and the numbers as ``metrics.json`` in
``--out``, and prints a results table.

Usage::

    $ dltips list
    $ dltips run regularization --quick --out results/regularization
    $ python -m dltips run schedules --epochs 20 --seed 1

``dltips list`` and ``--help`` never import TensorFlow, so they answer at once;
an experiment's module is imported when it runs.

The output folder never looks complete when it is not: while a run works,
``--out`` holds a file ``INCOMPLETE`` saying so (and, if the run is
interrupted or fails, why); the results of an earlier run into the same folder
(its ``metrics.json`` and the figures that file lists) are removed when the
new run starts; every figure and ``metrics.json`` is written to a temporary
name and then renamed, ``metrics.json`` last, and ``INCOMPLETE`` is removed
only once all are in place. Ctrl-C or SIGTERM ends the run with every process
it started and every temporary folder removed, and a one-line message.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NoReturn

from dltips.experiments import Experiment, ExperimentError, RunOptions, jsonable, registered

__all__ = ["INTERRUPTED", "MARKER", "RUN_ERROR", "TERMINATED", "USAGE_ERROR", "main"]

PROG = "dltips"
#: The exit status of a command-line usage error (the conventional 2).
USAGE_ERROR = 2
#: The exit status of a run that failed: missing data, a refused argument, a failed worker.
RUN_ERROR = 1
MAX_EPOCHS = 1000
MAX_SEED = 2**32 - 1  # NumPy's seeds are 32-bit


#: The exit status after SIGTERM: the shell's status of a process ended by SIGTERM.
TERMINATED = 128 + signal.SIGTERM
#: The exit status after Ctrl-C (SIGINT).
INTERRUPTED = 128 + signal.SIGINT
#: The file in ``--out`` while a run has not finished writing its results.
MARKER = "INCOMPLETE"


class UsageError(Exception):
    """A bad command line: reported in one line with exit status 2."""


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: unwinds like Ctrl-C, so that every process and temporary folder is cleaned up."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (no usage dump) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number in 1..{MAX_EPOCHS}, got {text!r}") from None
    if not 1 <= value <= MAX_EPOCHS:
        raise argparse.ArgumentTypeError(f"expected a whole number in 1..{MAX_EPOCHS}, got {text!r}")
    return value


def _folder(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a folder, got an empty name (write --out . for the current folder)")
    return Path(text)


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number in 0..{MAX_SEED}, got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected a whole number in 0..{MAX_SEED}, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The ``dltips`` argument parser (``list`` and ``run`` subcommands)."""
    from dltips import __version__

    parser = _Parser(
        prog=PROG,
        description="Run the experiments of the book 'Training deep-learning models well' from a terminal.",
        epilog="Example: dltips run baseline --quick --out results/baseline",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="{list,run}")
    commands.add_parser("list", help="name the experiments you can run", description="Name the experiments you can run.")
    run = commands.add_parser(
        "run",
        help="run one experiment, save its figures (PNG) and metrics (JSON)",
        description="Run one experiment with a progress bar, save its figures (PNG) and metrics.json "
        "to --out, and print a results table.",
        epilog="See `dltips list` for the experiment names.",
    )
    run.add_argument("technique", help="the experiment to run (see `dltips list`)")
    run.add_argument("--quick", action="store_true", help="tiny sizes: finishes in seconds (for a first try or a test)")
    run.add_argument("--epochs", type=_positive_int, metavar="N", help=f"training epochs, 1..{MAX_EPOCHS} (default: the experiment's own)")
    run.add_argument("--out", type=_folder, metavar="DIR", help="folder for figures and metrics.json (default: dltips-results/<technique>)")
    run.add_argument("--seed", type=_seed, default=0, metavar="S", help="random seed (default: 0)")
    return parser


def prepare_output_folder(folder: Path) -> Path:
    """Create ``folder`` if needed and check that files can be written there, before any training.

    Raises:
        UsageError: the folder cannot be created or written to.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UsageError(f"--out {str(folder)!r} is not a writable folder ({reason})") from None
    return folder


def _list() -> int:
    experiments = registered()
    width = max(map(len, experiments))
    for exp in experiments.values():
        print(f"{exp.name:<{width}}  {exp.summary}")
    return 0


def remove_earlier_results(folder: Path) -> list[str]:
    """Remove what an earlier run left in ``folder``: its ``metrics.json`` and the figures that file lists.

    Nothing else is touched (a file of the user's own stays). Returns the names removed.

    Example::

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     _ = (Path(folder) / "metrics.json").write_text('{"figures": ["curve.png"]}')
        ...     _ = (Path(folder) / "curve.png").write_bytes(b"")
        ...     _ = (Path(folder) / "notes.txt").write_text("mine")
        ...     removed = remove_earlier_results(Path(folder))
        ...     removed, sorted(p.name for p in Path(folder).iterdir())
        (['curve.png', 'metrics.json'], ['notes.txt'])
    """
    metrics = folder / "metrics.json"
    try:
        listed = json.loads(metrics.read_text(encoding="utf-8")).get("figures", [])
    except (OSError, ValueError, AttributeError):
        listed = []
    removed = []
    for name in [*(n for n in listed if isinstance(n, str) and Path(n).name == n and n.endswith(".png")), "metrics.json"]:
        path = folder / name
        if path.is_file():
            path.unlink()
            removed.append(name)
    return removed


def write_atomically(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write`` on a temporary name beside ``path``, then rename it to ``path``: a reader never sees half a file.

    Example::

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     done = write_atomically(Path(folder) / "a.txt", lambda p: p.write_text("whole"))
        ...     done.read_text(), sorted(p.name for p in Path(folder).iterdir())
        ('whole', ['a.txt'])
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _stamp() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


@contextlib.contextmanager
def incomplete_marker(folder: Path, what: str) -> Iterator[None]:
    """Keep ``folder/INCOMPLETE`` while the block runs; say in it why, if the block does not finish.

    Example::

        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     try:
        ...         with incomplete_marker(Path(folder), "a run"):
        ...             raise KeyboardInterrupt
        ...     except KeyboardInterrupt:
        ...         pass
        ...     (Path(folder) / MARKER).read_text().startswith("a run was interrupted (Ctrl-C)")
        True
    """
    marker = folder / MARKER
    marker.write_text(f"{what} started at {_stamp()} and has not finished: the results in this folder are "
                      "not complete.\n", encoding="utf-8")
    try:
        yield
    except BaseException as exc:
        reason = ("was terminated (SIGTERM)" if isinstance(exc, Terminated) else "was interrupted (Ctrl-C)"
                  if isinstance(exc, KeyboardInterrupt) else f"failed ({type(exc).__name__}: {exc})")
        with contextlib.suppress(OSError):
            marker.write_text(f"{what} {reason} at {_stamp()}: the results in this folder are not complete.\n",
                              encoding="utf-8")
        raise
    marker.unlink(missing_ok=True)


def _run(args: argparse.Namespace) -> int:
    experiments = registered()
    if args.technique not in experiments:
        raise UsageError(f"unknown technique {args.technique!r}; choose from {', '.join(experiments)} (see `{PROG} list`)")
    out = prepare_output_folder(args.out if args.out is not None else Path("dltips-results") / args.technique)
    options = RunOptions(quick=args.quick, epochs=args.epochs, seed=args.seed, out=out)
    # Figures are only saved, never shown: no display is needed (servers, CI, SSH sessions).
    os.environ.setdefault("MPLBACKEND", "Agg")
    remove_earlier_results(out)
    with incomplete_marker(out, f"{PROG} run {args.technique}"):
        return _run_into(args, experiments[args.technique], options, out)


def _run_into(args: argparse.Namespace, experiment: Experiment, options: RunOptions, out: Path) -> int:
    from dltips import __version__, runtime
    from dltips.tables import format_table

    # Seeds everything and imports TensorFlow with its start-up chatter hidden, before any adapter code.
    runtime.configure(seed=options.seed)
    result = experiment.run(options)

    import matplotlib.pyplot as plt

    written = []
    for stem, fig in result.figures.items():
        path = write_atomically(out / f"{stem}.png",
                                lambda tmp, fig=fig: fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight"))
        plt.close(fig)
        written.append(path)
    metrics, table = jsonable(result.metrics), jsonable(result.table)
    record = {
        "experiment": args.technique,
        "dltips_version": __version__,
        "options": {"quick": options.quick, "epochs": options.epochs, "seed": options.seed},
        "description": result.description,
        "metrics": metrics,
        **({"table": table} if table else {}),
        **jsonable(result.details),
        "figures": [p.name for p in written],
    }
    text = json.dumps(record, indent=2, allow_nan=False) + "\n"
    written.append(write_atomically(out / "metrics.json", lambda tmp: tmp.write_text(text, encoding="utf-8")))

    print(f"{args.technique}: {result.description}" if result.description else args.technique)
    if table:
        print(format_table(table, style="text"))
        print()
    print(format_table([{"metric": k, "value": v} for k, v in metrics.items()], style="text"))
    print("wrote " + ", ".join(str(p) for p in written))
    return 0


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """While the block runs, SIGTERM raises :class:`Terminated` (in the main thread; elsewhere nothing changes)."""
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread: signals cannot be handled here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dltips`` console script and of ``python -m dltips``; returns the exit status.

    Args:
        argv: the arguments after the program's name; ``None`` reads ``sys.argv``.

    Returns:
        0 on success, :data:`USAGE_ERROR`, :data:`RUN_ERROR`, :data:`TERMINATED`
        or :data:`INTERRUPTED`; errors are reported in one line on stderr, not raised.

    Example::

        >>> main(["list"])  # doctest: +ELLIPSIS
        baseline ...
        regularization ...
        0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with _sigterm_unwinds():
            if args.command == "list":
                return _list()
            if args.command == "run":
                return _run(args)
        raise UsageError(f"a command is required: list or run (see `{PROG} --help`)")
    except UsageError as exc:
        print(f"{parser.prog}{' ' + args.command if args.command else ''}: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except (FileNotFoundError, ValueError, ExperimentError) as exc:
        # Missing MNIST, an argument an experiment refused, or an experiment that could not finish
        # (a worker process died; every process was already ended): the message says what happened.
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return RUN_ERROR
    except Terminated:
        print(f"{PROG}: terminated (SIGTERM); every process it started was ended", file=sys.stderr)
        return TERMINATED
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return INTERRUPTED


if __name__ == "__main__":  # pragma: no cover - `python -m dltips` goes through __main__.py
    sys.exit(main())
