"""The ``dltips`` command: run one technique's experiment from a terminal.

Each experiment is a small *adapter* function registered under a name with
:func:`experiment`. It receives the parsed :class:`RunOptions` (TensorFlow is
already seeded with ``options.seed`` when it starts) and returns an
:class:`ExperimentResult` (numbers and Matplotlib figures); the command does the
rest: it checks the arguments, shows a progress bar, saves every figure as PNG
and the numbers as ``metrics.json`` in ``--out``, and prints a results table.

Usage::

    $ dltips list
    $ dltips run baseline --quick --out results/baseline
    $ python -m dltips run baseline --epochs 20 --seed 1

``dltips list`` and ``--help`` never import TensorFlow, so they answer at once;
adapters import what they need when they run.

Adding a technique is one adapter function in this module, for example::

    @experiment("schedules", "Constant vs cosine learning rate on an MNIST subset")
    def _schedules(options: RunOptions) -> ExperimentResult:
        from dltips import schedules  # imported only when this experiment runs
        ...
        return ExperimentResult(metrics={...}, figures={"schedules": fig})
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    import keras
    import matplotlib.figure

PROG = "dltips"
USAGE_ERROR = 2  # the conventional exit status of a command-line usage error
RUN_ERROR = 1
MAX_EPOCHS = 1000
MAX_SEED = 2**32 - 1  # NumPy's seeds are 32-bit


@dataclass(frozen=True)
class RunOptions:
    """What ``dltips run`` was asked for, already validated.

    Attributes:
        quick: use tiny sizes (seconds, for tests and a first try) instead of the defaults.
        epochs: the number of epochs asked for with ``--epochs``, or ``None`` for the experiment's default.
        seed: seeds Python, NumPy and TensorFlow (``dltips.configure(seed=...)``).
        out: the folder that receives the figures and ``metrics.json``.
    """

    quick: bool = False
    epochs: int | None = None
    seed: int = 0
    out: Path = Path("dltips-results")

    def epochs_or(self, default: int, quick: int) -> int:
        """The epochs to train: ``--epochs`` if given, else ``quick`` under ``--quick``, else ``default``."""
        if self.epochs is not None:
            return self.epochs
        return quick if self.quick else default


@dataclass
class ExperimentResult:
    """What an adapter hands back to the command.

    Attributes:
        metrics: the headline numbers, printed as the results table and saved in ``metrics.json``.
        figures: file stem → figure; each is saved as ``<out>/<stem>.png``.
        details: anything else worth keeping in ``metrics.json`` (per-epoch histories, settings).
        description: one line printed above the table (what was trained on what).
    """

    metrics: dict[str, float | int | str]
    figures: dict[str, matplotlib.figure.Figure] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class Experiment:
    """A registered experiment: its command-line name, a one-line summary and its adapter."""

    name: str
    summary: str
    run: Callable[[RunOptions], ExperimentResult]


EXPERIMENTS: dict[str, Experiment] = {}


def experiment(name: str, summary: str) -> Callable[[Callable[[RunOptions], ExperimentResult]], Callable[[RunOptions], ExperimentResult]]:
    """Register an adapter function as ``dltips run <name>``.

    Example::

        >>> @experiment("example", "What `dltips list` shows")
        ... def _example(options: RunOptions) -> ExperimentResult:
        ...     return ExperimentResult(metrics={"answer": 42})
        >>> "example" in EXPERIMENTS
        True
        >>> del EXPERIMENTS["example"]

    Raises:
        ValueError: ``name`` is already registered or is not a lower-case word.
    """
    if name in EXPERIMENTS:
        raise ValueError(f"experiment name {name!r} is already registered")
    if not name or not name.replace("-", "").isalnum() or name != name.lower():
        raise ValueError(f"experiment name must be a lower-case word (letters, digits, '-'), got {name!r}")

    def register(adapter: Callable[[RunOptions], ExperimentResult]) -> Callable[[RunOptions], ExperimentResult]:
        EXPERIMENTS[name] = Experiment(name, summary, adapter)
        return adapter

    return register


def keras_progress_bar(epochs: int, steps_per_epoch: int, desc: str) -> keras.callbacks.Callback:
    """A Keras callback that draws one tqdm bar over all training steps.

    The bar advances per batch and shows the latest loss and accuracy; pass it
    to ``model.fit(..., verbose=0, callbacks=[bar])``. It writes to stderr, so the
    results table on stdout stays clean.
    """
    import keras
    from tqdm.auto import tqdm

    class _TqdmCallback(keras.callbacks.Callback):
        def on_train_begin(self, logs: dict | None = None) -> None:
            self.bar = tqdm(total=epochs * steps_per_epoch, desc=desc, unit="step", file=sys.stderr, dynamic_ncols=True)

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            self.bar.update(1)

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            logs = logs or {}
            shown = {k: f"{float(v):.3f}" for k, v in logs.items() if k in ("loss", "accuracy", "val_accuracy")}
            self.bar.set_postfix(epoch=f"{epoch + 1}/{epochs}", **shown)

        def on_train_end(self, logs: dict | None = None) -> None:
            self.bar.close()

    return _TqdmCallback()


# --- experiments -------------------------------------------------------------------------------


@experiment("baseline", "An MLP (128 hidden units) on a class-balanced MNIST subset: the reference every technique improves on")
def _baseline(options: RunOptions) -> ExperimentResult:
    from dltips import data, models, plotting

    epochs = options.epochs_or(default=10, quick=2)
    n_train, n_val, n_test = (500, 200, 1000) if options.quick else (5000, 1000, 10_000)
    x, y = data.train_subset(n_train + n_val, seed=options.seed)
    x_train, y_train, x_val, y_val = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    mnist = data.load_mnist()
    x_test, y_test = mnist.x_test[:n_test], mnist.y_test[:n_test]

    model = models.compile_classifier(models.mlp((128,), seed=options.seed), "adam")
    batch_size = 64
    bar = keras_progress_bar(epochs, -(-n_train // batch_size), "baseline")
    start = time.perf_counter()
    history = model.fit(
        x_train, y_train, validation_data=(x_val, y_val), epochs=epochs,
        batch_size=batch_size, verbose=0, callbacks=[bar],
    ).history
    seconds = time.perf_counter() - start

    test_errors = models.count_errors(model, x_test, y_test)
    history = {k: [float(v) for v in values] for k, values in history.items()}
    fig = plotting.learning_curves(history, title=f"Baseline MLP on {n_train:,} MNIST images")
    return ExperimentResult(
        description=f"MLP (128 hidden units, Adam) on {n_train:,} MNIST training images, {epochs} epochs",
        metrics={
            "train accuracy": history["accuracy"][-1],
            "validation accuracy": history["val_accuracy"][-1],
            "test accuracy": 1.0 - test_errors / n_test,
            "test errors": f"{test_errors} / {n_test:,}",
            "parameters": models.count_params(model),
            "training time (s)": round(seconds, 1),
        },
        figures={"learning_curves": fig},
        details={"history": history, "train_examples": n_train, "validation_examples": n_val,
                 "test_examples": n_test, "batch_size": batch_size, "epochs": epochs},
    )


# --- command line ------------------------------------------------------------------------------


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


def _format_value(value: float | int | str) -> str:
    if isinstance(value, bool) or isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.4g}"


def results_table(metrics: dict[str, float | int | str]) -> str:
    """The metrics as a two-column plain-text table."""
    width = max([len("metric"), *map(len, metrics)])
    lines = [f"{'metric':<{width}}  value", f"{'-' * width}  {'-' * 12}"]
    lines += [f"{name:<{width}}  {_format_value(value)}" for name, value in metrics.items()]
    return "\n".join(lines)


def _list() -> int:
    width = max(map(len, EXPERIMENTS))
    for exp in EXPERIMENTS.values():
        print(f"{exp.name:<{width}}  {exp.summary}")
    return 0


def _run(args: argparse.Namespace) -> int:
    if args.technique not in EXPERIMENTS:
        raise UsageError(f"unknown technique {args.technique!r}; choose from {', '.join(EXPERIMENTS)} (see `{PROG} list`)")
    out = prepare_output_folder(args.out if args.out is not None else Path("dltips-results") / args.technique)
    options = RunOptions(quick=args.quick, epochs=args.epochs, seed=args.seed, out=out)
    # Figures are only saved, never shown: no display is needed (servers, CI, SSH sessions).
    os.environ.setdefault("MPLBACKEND", "Agg")
    from dltips import __version__, runtime

    # Seeds everything and imports TensorFlow with its start-up chatter hidden, before any adapter code.
    runtime.configure(seed=options.seed)
    result = EXPERIMENTS[args.technique].run(options)

    import matplotlib.pyplot as plt

    written = []
    for stem, fig in result.figures.items():
        path = out / f"{stem}.png"
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)
        written.append(path)
    record = {
        "experiment": args.technique,
        "dltips_version": __version__,
        "options": {"quick": options.quick, "epochs": options.epochs, "seed": options.seed},
        "description": result.description,
        "metrics": result.metrics,
        **result.details,
        "figures": [p.name for p in written],
    }
    metrics_path = out / "metrics.json"
    metrics_path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    written.append(metrics_path)

    print(f"{args.technique}: {result.description}" if result.description else args.technique)
    print(results_table(result.metrics))
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
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover - `python -m dltips` goes through __main__.py
    sys.exit(main())
