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
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from dltips.experiments import RunOptions, jsonable, registered

PROG = "dltips"
USAGE_ERROR = 2  # the conventional exit status of a command-line usage error
RUN_ERROR = 1
MAX_EPOCHS = 1000
MAX_SEED = 2**32 - 1  # NumPy's seeds are 32-bit


class UsageError(Exception):
    """A bad command line: reported in one line with exit status 2."""


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
    run.add_argument("--out", type=Path, metavar="DIR", help="folder for figures and metrics.json (default: dltips-results/<technique>)")
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


def _run(args: argparse.Namespace) -> int:
    experiments = registered()
    if args.technique not in experiments:
        raise UsageError(f"unknown technique {args.technique!r}; choose from {', '.join(experiments)} (see `{PROG} list`)")
    out = prepare_output_folder(args.out if args.out is not None else Path("dltips-results") / args.technique)
    options = RunOptions(quick=args.quick, epochs=args.epochs, seed=args.seed, out=out)
    # Figures are only saved, never shown: no display is needed (servers, CI, SSH sessions).
    os.environ.setdefault("MPLBACKEND", "Agg")
    from dltips import __version__, runtime
    from dltips.tables import format_table

    # Seeds everything and imports TensorFlow with its start-up chatter hidden, before any adapter code.
    runtime.configure(seed=options.seed)
    result = experiments[args.technique].run(options)

    import matplotlib.pyplot as plt

    written = []
    for stem, fig in result.figures.items():
        path = out / f"{stem}.png"
        fig.savefig(path, dpi=120, bbox_inches="tight")
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
    metrics_path = out / "metrics.json"
    metrics_path.write_text(json.dumps(record, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    written.append(metrics_path)

    print(f"{args.technique}: {result.description}" if result.description else args.technique)
    if table:
        print(format_table(table, style="text"))
        print()
    print(format_table([{"metric": k, "value": v} for k, v in metrics.items()], style="text"))
    print("wrote " + ", ".join(str(p) for p in written))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dltips`` console script and of ``python -m dltips``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            return _list()
        if args.command == "run":
            return _run(args)
        raise UsageError(f"a command is required: list or run (see `{PROG} --help`)")
    except UsageError as exc:
        print(f"{parser.prog}{' ' + args.command if args.command else ''}: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except (FileNotFoundError, ValueError) as exc:
        # Missing MNIST or an argument an experiment refused: the message already says what to do.
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return RUN_ERROR
    except RuntimeError as exc:
        from dltips.parallel.launcher import WorkerError

        if not isinstance(exc, WorkerError):
            raise
        # A worker process failed; every process was already ended. The message quotes its log.
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return RUN_ERROR
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover - `python -m dltips` goes through __main__.py
    sys.exit(main())
