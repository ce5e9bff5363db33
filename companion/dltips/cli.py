"""The ``dltips`` command: run one technique's experiment from a terminal.

Each experiment is a small *adapter* function registered under a name with
:func:`experiment`. It receives the parsed :class:`RunOptions` (TensorFlow is
already seeded with ``options.seed`` when it starts) and returns an
:class:`ExperimentResult` (numbers and Matplotlib figures); the command does the
rest: it checks the arguments, shows a progress bar, saves every figure as PNG
and the numbers as ``metrics.json`` in ``--out``, and prints a results table.

Usage::

    $ dltips list
    $ dltips run regularization --quick --out results/regularization
    $ python -m dltips run schedules --epochs 20 --seed 1

The experiments are those of the book: ``baseline``, ``regularization``,
``schedules``, ``descent``, ``parallel`` and ``distillation``. Each adapter
calls the technique module's own experiment and plotting functions; without
``--quick`` it runs the book's sizes (about a minute or two each on a laptop CPU).

``dltips list`` and ``--help`` never import TensorFlow, so they answer at once;
adapters import what they need when they run.

Adding an experiment is one adapter function in this module, for example::

    @experiment("warmup", "Cosine decay with and without warm-up on an MNIST subset")
    def _warmup(options: RunOptions) -> ExperimentResult:
        from dltips import schedules  # imported only when this experiment runs
        with progress_bar("warmup", total=2):  # counts the runtime.progress lines below
            for name in progress(["no warm-up", "warm-up"], "warmup"):
                ...
        return ExperimentResult(metrics={...}, table=[...], figures={"warmup": fig})
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    import keras
    import matplotlib.figure
    from tqdm import tqdm

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
        table: one row per model or run compared (column → value), printed above the
            headline numbers and saved in ``metrics.json`` under ``"table"``.
        figures: file stem → figure; each is saved as ``<out>/<stem>.png``.
        details: anything else worth keeping in ``metrics.json`` (per-epoch histories, settings).
        description: one line printed above the table (what was trained on what).
    """

    metrics: dict[str, float | int | str | None]
    table: list[dict[str, Any]] = field(default_factory=list)
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


# ``dltips.runtime.progress`` prints "<desc> <i>/<n>: <label> done in <s> s" as each item finishes.
_PROGRESS_LINE = re.compile(r"^(?P<desc>.+) (?P<done>\d+)/(?P<total>\d+): (?P<label>.*) done in [\d.]+ s$")


class _ProgressLinesToBar(io.TextIOBase):
    """A stdout stand-in: progress lines advance a tqdm bar, any other line goes to stderr."""

    def __init__(self, bar: tqdm) -> None:
        super().__init__()
        self.bar = bar
        self.pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        *lines, self.pending = (self.pending + text).split("\n")
        for line in lines:
            match = _PROGRESS_LINE.match(line)
            if match:
                self.bar.total = max(self.bar.total or 0, int(match["total"]))
                self.bar.set_postfix_str(f"{match['label']} done", refresh=False)
                self.bar.update(int(match["done"]) - self.bar.n)
            elif line.strip():
                self.bar.write(line, file=sys.stderr)  # above the bar, which stays intact
        return len(text)


@contextlib.contextmanager
def progress_bar(desc: str, total: int) -> Iterator[Any]:
    """A tqdm bar on stderr (yielded), advanced by the ``dltips.runtime.progress`` lines printed inside the block.

    The technique modules' experiment functions report each finished model with
    such a line ("regularizers 2/6: L1 done in 3.1 s"), and so do the adapters'
    own loops; inside this block each line moves the bar one model on instead of
    being printed, and stdout is kept for the results table.

    Example::

        >>> from dltips.runtime import progress
        >>> with progress_bar("runs", total=2):  # doctest: +SKIP
        ...     for run in progress(["a", "b"], "runs"):
        ...         pass
    """
    from tqdm.auto import tqdm

    with tqdm(total=total, desc=desc, unit="run", file=sys.stderr, dynamic_ncols=True) as bar:
        with contextlib.redirect_stdout(_ProgressLinesToBar(bar)):
            yield bar


def _jsonable(value: Any) -> Any:
    """``value`` with NumPy scalars and arrays made Python, and NaN/infinity made ``None`` (strict JSON has neither)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # a NumPy array or scalar
        return _jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


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


def _figure_of(drawing: Any) -> matplotlib.figure.Figure:
    """The figure of a plotting function's result (some return the figure, some the axes they drew on)."""
    return getattr(drawing, "figure", drawing)


@experiment("regularization", "Six regularizers (none, L1, L2, elastic net, dropout, L2 + dropout) on the same MLP: generalization gap and sparsity")
def _regularization(options: RunOptions) -> ExperimentResult:
    from dltips import plotting, regularization

    epochs = options.epochs_or(default=30, quick=2)
    n_train, n_val, hidden = (200, 200, (64,)) if options.quick else (1000, 1000, (256,))
    variants = regularization.default_variants()
    with progress_bar("regularization", total=len(variants)):
        result = regularization.compare_regularizers(
            variants, n_train=n_train, n_val=n_val, hidden=hidden, epochs=epochs,
            seed=options.seed, data_seed=options.seed,
        )
    none = result["none"]
    best = max(result.variants, key=lambda v: v.test_accuracy)
    tightest = min(result.variants, key=lambda v: v.gap)
    return ExperimentResult(
        description=f"MLP {hidden} with plain SGD on {n_train:,} MNIST images, {epochs} epochs per regularizer; "
        f"test accuracy on all {result.n_test:,} test images",
        table=result.table(),
        metrics={
            "best variant (test accuracy)": best.name,
            "its test accuracy": best.test_accuracy,
            "test accuracy without regularization": none.test_accuracy,
            "gap without regularization": none.gap,
            "smallest gap": f"{tightest.gap:.4f} ({tightest.name})",
            "|w| < 1e-3 with L1 / with L2": f"{result['L1'].near_zero_fraction:.1%} / {result['L2'].near_zero_fraction:.1%}",
        },
        figures={
            "regularization_curves": plotting.plot_regularization_curves(result),
            # bins 0.002 wide: the middle one holds exactly the weights with |w| < 1e-3
            "weight_histograms": plotting.plot_weight_histograms(result, names=["none", "L1", "L2"], limit=0.101, bins=101),
        },
        details={
            "histories": {v.name: v.history for v in result.variants},
            "variants": [vars(v.variant) for v in result.variants],
            "train_examples": n_train, "validation_examples": n_val, "test_examples": result.n_test,
            "epochs": epochs, "settings": result.settings,
        },
    )


@experiment("schedules", "Eight learning-rate plans (constant, exponential, step, linear, inverse-time, cosine with warm-up) on the same SGD budget")
def _schedules(options: RunOptions) -> ExperimentResult:
    from dltips import data, plotting, schedules
    from dltips.runtime import progress

    epochs = options.epochs_or(default=10, quick=2)
    n_train, n_test, batch_size, peak = (256, 1000, 64, 1.0) if options.quick else (4000, 10_000, 64, 1.0)
    steps_per_epoch = -(-n_train // batch_size)
    total = epochs * steps_per_epoch  # the whole training budget, in updates
    warmup = min(steps_per_epoch, max(total // 10, 1), total - 1)  # the book's: one epoch of ten
    decays = {
        "exponential": schedules.exponential_decay(peak, decay_rate=0.01, decay_steps=total),
        "step": schedules.step_decay(peak, gamma=0.1, step_size=math.ceil(total / 3)),
        "linear": schedules.linear_decay(peak, total_steps=total),
        "inverse time": schedules.inverse_time_decay(peak, decay=9 / total),
        "cosine + warm-up": schedules.cosine_decay(peak, total_steps=total, warmup_steps=warmup),
    }
    plan = {"constant 0.3": schedules.constant(0.3), f"constant {peak:.1f}": schedules.constant(peak), **decays,
            "constant 3.0": schedules.constant(3.0)}
    x, y = data.train_subset(n_train, seed=options.seed)
    mnist = data.load_mnist()
    x_test, y_test = mnist.x_test[:n_test], mnist.y_test[:n_test]
    with progress_bar("schedules", total=len(plan)):
        runs = {
            name: schedules.train_with_schedule(plan[name], x, y, x_test, y_test, epochs=epochs,
                                                batch_size=batch_size, seed=options.seed)
            for name in progress(plan, "schedules")
        }
    curves = {name: schedules.learning_rates(s, total) for name, s in plan.items() if not name.startswith("constant")}
    # Guessing gets one digit in ten right; a plan that stays near that (or whose loss is NaN) did not train.
    untrained = [name for name, run in runs.items() if run.test_accuracy < 0.2 or math.isnan(run.final_train_loss)]
    best = max(runs, key=lambda name: runs[name].test_accuracy)
    lowest = min((name for name in runs if name not in untrained), key=lambda name: runs[name].final_train_loss,
                 default=best)
    return ExperimentResult(
        description=f"MLP (128 hidden units), plain SGD, {n_train:,} MNIST images, {epochs} epochs = {total} updates "
        f"of {batch_size}; test accuracy on {n_test:,} test images",
        table=[
            {"plan": name, "final training loss": run.final_train_loss, "test accuracy": run.test_accuracy,
             "first rate": float(run.step_rates[0]), "last rate": float(run.step_rates[-1]),
             "mean rate": float(run.step_rates.mean())}
            for name, run in runs.items()
        ],
        metrics={
            "best plan (test accuracy)": best,
            "its test accuracy": runs[best].test_accuracy,
            "lowest final training loss": f"{runs[lowest].final_train_loss:.4f} ({lowest})",
            "plans that did not train (test accuracy < 0.2)": ", ".join(untrained) or "none",
        },
        figures={
            "learning_rates": _figure_of(plotting.plot_learning_rates(
                curves, steps_per_epoch=steps_per_epoch, title=f"Five decays over the same {total} updates")),
            "schedule_runs": plotting.plot_schedule_runs(
                {n: r.step_rates for n, r in runs.items()}, {n: r.epoch_loss for n, r in runs.items()},
                steps_per_epoch=steps_per_epoch, title=f"MLP on {n_train:,} MNIST images, SGD, {total} updates"),
        },
        details={
            "epoch_loss": {n: r.epoch_loss for n, r in runs.items()},
            "epoch_rates": {n: r.epoch_rates for n, r in runs.items()},
            "train_examples": n_train, "test_examples": n_test, "batch_size": batch_size,
            "epochs": epochs, "updates": total,
        },
    )


@experiment("descent", "Gradient-descent race: batch sizes 1 (SGD), 32, 256 and all (BGD) compared per epoch, per update and per second")
def _descent(options: RunOptions) -> ExperimentResult:
    import numpy as np

    from dltips import data, descent, models, plotting
    from dltips.runtime import progress

    n = 1000 if options.quick else 10_000
    learning_rates = {1: 0.01, 32: 0.3, 256: 0.5, n: 0.5}  # each batch size with a rate that suits it
    default_epochs = {1: 1, 32: 2, 256: 5, n: 50}  # enough for each to reach a similar loss
    epochs = {b: options.epochs or e for b, e in default_epochs.items()}
    names = {1: "b = 1 (SGD)", 32: "b = 32", 256: "b = 256", n: f"b = {n:,} (BGD)"}
    target = 0.5
    x, y = data.train_subset(n, seed=options.seed)
    race = {}
    with progress_bar("descent", total=len(learning_rates)):
        for b in progress(learning_rates, "descent", label=names.get):
            updates = epochs[b] * -(-n // b)
            checkpoints = {*np.geomspace(1, updates, 40).astype(int), 50}
            race[names[b]] = descent.train_gradient_descent(
                models.mlp((), seed=options.seed), x, y, batch_size=b, lr=learning_rates[b], epochs=epochs[b],
                seed=options.seed, eval_at=checkpoints)
    first_epoch = {name: h.loss_after_epochs(1) for name, h in race.items()}
    reach = {name: h.seconds_to_reach(target) for name, h in race.items()}
    return ExperimentResult(
        description=f"softmax regression (an MLP without hidden layers) on {n:,} MNIST images, "
        "loss on the whole training set",
        table=[
            {"run": name, "lr": h.lr, "epochs": len(h.epoch_loss), "updates/epoch": h.updates_per_epoch,
             "loss after 1 epoch": first_epoch[name], "final loss": float(h.eval_loss[-1]),
             "training s": float(h.seconds[-1]), "examples/s": h.examples_per_second,
             f"s to loss {target:g}": reach[name]}
            for name, h in race.items()
        ],
        metrics={
            "lowest loss after 1 epoch": min(first_epoch, key=first_epoch.get),
            f"first to loss {target:g} (seconds)": min(reach, key=reach.get) if min(reach.values()) < math.inf else "none",
            "most examples per second": max(race, key=lambda name: race[name].examples_per_second),
        },
        figures={"descent_race": plotting.plot_descent_race(
            race, title=f"Softmax regression on {n:,} MNIST images: loss by batch size")},
        details={
            "curves": {name: {"eval_updates": h.eval_updates, "eval_examples": h.eval_examples,
                              "eval_seconds": h.eval_seconds, "eval_loss": h.eval_loss} for name, h in race.items()},
            "train_examples": n, "target_loss": target,
        },
    )


@experiment("parallel", "Synchronous multi-worker SGD (1 and 2 worker processes): same weights as one device, measured throughput, cost-model projection")
def _parallel(options: RunOptions) -> ExperimentResult:
    from dltips import data, models, plotting
    from dltips.parallel import common, cost_model, multiworker
    from dltips.runtime import progress

    epochs = options.epochs_or(default=3, quick=1)
    # Without --quick, a model large enough for its compute to outweigh the all-reduce on two cores.
    n, batch_size, hidden = (512, 64, (32,)) if options.quick else (8192, 2048, (1024, 1024))
    steps = epochs * (n // batch_size)
    warmup = min(2, steps - 1)  # the first steps trace the graph: left out of the throughput
    x, y = data.train_subset(n, seed=options.seed)
    label = f"MLP 784-{'-'.join(map(str, hidden))}-10"
    gradient_bytes = 4 * models.count_params(common.build_model(hidden, x.shape[1:], options.seed))  # float32
    jobs = {}
    with progress_bar("parallel", total=2):
        for workers in progress((1, 2), "parallel", label=lambda w: f"{w} worker process{'es' if w > 1 else ''}"):
            # One thread per worker: a worker stands for one machine; the launcher ends every process it starts.
            jobs[workers] = multiworker.train_multiworker(
                x, y, num_workers=workers, steps=steps, global_batch_size=batch_size, hidden=hidden,
                seed=options.seed, warmup_steps=warmup, threads=1)
    difference = multiworker.max_abs_difference(jobs[2].weights, jobs[1].weights)
    measured = {w: job.examples_per_second for w, job in jobs.items()}
    rows = [{"model": label, "num_workers": w, "step_seconds": batch_size / eps, "gradient_bytes": gradient_bytes}
            for w, eps in measured.items()]
    local, compute = cost_model.fit_benchmark(rows)
    workers = [2**k for k in range(10)]
    projected = {w: cost_model.throughput(w, batch_size, compute[label], gradient_bytes, cost_model.ETHERNET_10G)
                 for w in workers}
    fitted = {w: cost_model.throughput(w, batch_size, compute[label], gradient_bytes, local) for w in (1, 2)}
    projection = {(p.num_workers, p.scaling): p for scaling in ("strong", "weak") for p in cost_model.project(
        label, compute[label], gradient_bytes, batch_size, cost_model.ETHERNET_10G, workers=(8, 64, 512), scaling=scaling)}
    return ExperimentResult(
        description=f"{label}, plain SGD on {n:,} MNIST images, global batch {batch_size}, {steps} steps, "
        "MultiWorkerMirroredStrategy with 1 and 2 local worker processes (one thread each)",
        table=[
            {"workers": w, "replicas": job.num_replicas, "steps": job.final_step, "final loss": job.losses[-1],
             "examples/s": job.examples_per_second, "CPU s (all workers)": job.cpu_seconds}
            for w, job in jobs.items()
        ],
        metrics={
            "largest weight difference, 2 workers vs 1": difference,
            "throughput, 2 workers / 1 worker": measured[2] / measured[1],
            "fitted compute time of one step (s)": compute[label],
            **{f"projected efficiency, 64 workers on 10 Gb/s, {s} scaling": projection[64, s].efficiency
               for s in ("strong", "weak")},
        },
        figures={"scaling": plotting.plot_scaling(
            {label: measured}, {label: projected}, fitted={label: fitted},
            projection_label="cost model, 10 Gb/s Ethernet", fitted_label="cost model, fitted here (loopback link)",
            title="Synchronous SGD: measured throughput (points) and cost-model projection (lines)")},
        details={
            "losses": {f"{w} worker(s)": job.losses for w, job in jobs.items()},
            "projection": [vars(p) for p in projection.values()],
            "fitted_link": {"bandwidth_bytes_per_s": local.bandwidth, "latency_s": local.latency},
            "train_examples": n, "global_batch_size": batch_size, "steps": steps, "warmup_steps": warmup,
            "gradient_bytes": gradient_bytes,
        },
    )


@experiment("distillation", "Knowledge distillation: teacher, student from scratch, student on pseudo-labels, distilled student, temperature sweep")
def _distillation(options: RunOptions) -> ExperimentResult:
    from dltips import data, distillation, plotting

    # Without --quick, the sizes of the module's defaults: a teacher on all 60,000 images, students on 3,000.
    sizes = dict(
        teacher_hidden=(64,), teacher_epochs=1, teacher_train_size=1000, student_hidden=(16,),
        student_train_size=500, timing_repeats=1,
    ) if options.quick else {}
    student_epochs = options.epochs_or(default=40, quick=2)
    temperature = 4.0
    sweep = (1, 4) if options.quick else (1, 2, 4, 8, 20)
    # Teacher, three students, then one more student per temperature of the sweep.
    with progress_bar("distillation", total=4 + len(set(sweep) - {temperature})):
        result = distillation.distillation_experiment(
            **sizes, student_epochs=student_epochs, temperature=temperature, sweep_temperatures=sweep,
            seed=options.seed)
    errors = result.errors()
    names = {key: report.name for key, report in result.reports.items()}
    mnist = data.load_mnist()
    x_test = mnist.x_test[:256]  # enough images to show the logits and their gradients
    teacher_logits = result.models["teacher"].predict_on_batch(x_test)
    student_logits = result.models["distilled"].predict_on_batch(x_test)
    temperatures = (1, 2, 4, 8, 20)
    gradient = {scaled: [distillation.soft_loss_gradient_norm(teacher_logits, student_logits, t, scale_by_t_squared=scaled)
                         for t in temperatures] for scaled in (True, False)}
    settings = result.settings
    return ExperimentResult(
        description=f"teacher MLP {tuple(settings['teacher_hidden'])} on {settings['teacher_train_size']:,} MNIST images, "
        f"students MLP {tuple(settings['student_hidden'])} on {settings['student_train_size']:,} images for "
        f"{student_epochs} epochs; errors out of all {len(mnist.y_test):,} test images",
        table=[
            {"model": r.name, "test errors": r.errors, "accuracy": r.accuracy, "parameters": r.params,
             "saved KB": round(r.saved_bytes / 1024), "inference ms": 1000 * r.inference_seconds}
            for r in result.reports.values()
        ],
        metrics={
            "errors: teacher / scratch / distilled": f"{errors['teacher']} / {errors['scratch']} / {errors['distilled']}",
            "errors saved by distillation (scratch − distilled)": errors["scratch"] - errors["distilled"],
            "best temperature of the sweep": f"T = {min(result.sweep, key=result.sweep.get):g}",
            "student parameters / teacher's": result.param_ratio,
            "inference speed-up of the student": result.speedup,
        },
        figures={
            "temperature_sweep": _figure_of(plotting.plot_temperature_sweep(
                result.sweep, baselines={names[k]: errors[k] for k in ("teacher", "scratch", "pseudo_label")})),
            "soft_targets": _figure_of(plotting.plot_soft_targets(teacher_logits[0], temperatures=(1.0, temperature, 20.0))),
            "gradient_scale": _figure_of(plotting.plot_gradient_scale(temperatures, gradient[True], gradient[False])),
        },
        details={"distillation": result.to_dict()},
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


def _format_value(value: float | int | str | None) -> str:
    if value is None:
        return "n/a"  # a number that does not exist: a diverged loss, a target never reached
    if isinstance(value, bool) or isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if math.isfinite(value) and abs(value) >= 10_000:
        return f"{value:,.0f}"  # throughputs and counts read better as 12,345 than as 1.234e+04
    return f"{value:.4g}"


def results_table(metrics: dict[str, float | int | str | None]) -> str:
    """The metrics as a two-column plain-text table."""
    width = max([len("metric"), *map(len, metrics)])
    lines = [f"{'metric':<{width}}  value", f"{'-' * width}  {'-' * 12}"]
    lines += [f"{name:<{width}}  {_format_value(value)}" for name, value in metrics.items()]
    return "\n".join(lines)


def rows_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows of the same columns as a plain-text table: text left-aligned, numbers right-aligned.

    Example::

        >>> print(rows_table([{"run": "a", "loss": 0.25}, {"run": "bb", "loss": 1.5}]))
        run  loss
        ---  ----
        a    0.25
        bb    1.5
    """
    if not rows:
        return ""
    columns = list(rows[0])
    cells = [[_format_value(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    is_text = [all(isinstance(row.get(c), str) for row in rows) for c in columns]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) if text else v.rjust(w) for v, w, text in zip(values, widths, is_text)).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths]), *map(line, cells)])


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
    metrics, table = _jsonable(result.metrics), _jsonable(result.table)
    record = {
        "experiment": args.technique,
        "dltips_version": __version__,
        "options": {"quick": options.quick, "epochs": options.epochs, "seed": options.seed},
        "description": result.description,
        "metrics": metrics,
        **({"table": table} if table else {}),
        **_jsonable(result.details),
        "figures": [p.name for p in written],
    }
    metrics_path = out / "metrics.json"
    metrics_path.write_text(json.dumps(record, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    written.append(metrics_path)

    print(f"{args.technique}: {result.description}" if result.description else args.technique)
    if table:
        print(rows_table(table))
        print()
    print(results_table(metrics))
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
