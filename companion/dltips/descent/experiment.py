"""The gradient-descent race: batch sizes 1 (SGD), 32, 256 and all (BGD) on the same problem.

:func:`descent_race` is the experiment of chapter 3, of ``dltips run descent``
(``command``) and of the benchmarks; its defaults are the book's settings:
softmax regression (an MLP without hidden layers) on 10,000 MNIST images, each
batch size with a learning rate that suits it and enough epochs to reach a
similar loss, the loss measured on the whole training set.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from dltips import data, models, runtime
from dltips.checks import check_int, check_number
from dltips.descent.figures import plot_descent_race
from dltips.descent.training import (
    DescentHistory,
    _compiled_step,
    epoch_batches,
    train_gradient_descent,
)
from dltips.experiments import ExperimentResult, RunOptions

__all__ = ["DescentRace", "common_rate_losses", "descent_race", "race_settings"]


def race_settings(n: int) -> dict[int, dict[str, float | int]]:
    """The book's batch sizes for ``n`` examples, each with its learning rate and epochs.

    ======================  =============  ======
    batch size              learning rate  epochs
    ======================  =============  ======
    1 (SGD)                 0.01           1
    32                      0.3            2
    256                     0.5            5
    ``n`` (BGD)             0.5            50
    ======================  =============  ======

    Args:
        n: the number of training examples, an integer > 256.

    Returns:
        Batch size → ``{"learning_rate": η, "epochs": E}``, smallest batch first.

    Raises:
        ValueError: ``n`` not an integer > 256 (the whole set must be larger than the largest mini-batch).

    Example::

        >>> race_settings(10_000)[10_000]
        {'learning_rate': 0.5, 'epochs': 50}
    """
    n = check_int("n", n, minimum=257)
    return {1: {"learning_rate": 0.01, "epochs": 1}, 32: {"learning_rate": 0.3, "epochs": 2},
            256: {"learning_rate": 0.5, "epochs": 5}, n: {"learning_rate": 0.5, "epochs": 50}}


def _race_name(batch_size: int, n: int) -> str:
    if batch_size == 1:
        return "b = 1 (SGD)"
    return f"b = {batch_size:,} (BGD)" if batch_size == n else f"b = {batch_size:,}"


@dataclass
class DescentRace:
    """What :func:`descent_race` measured: one :class:`dltips.descent.DescentHistory` per batch size.

    Attributes:
        runs: display name (``"b = 32"``) → history, from the smallest batch to the whole set.
        batch_sizes: display name → batch size.
        target_loss: the loss the "seconds to reach" column is measured at.
        settings: the arguments of the run.

    Example::

        >>> from dltips.descent import train_gradient_descent, valley_problem
        >>> problem = valley_problem()
        >>> mse = lambda y, p: 0.5 * keras.ops.mean((keras.ops.reshape(p, [-1]) - y) ** 2)
        >>> history = train_gradient_descent(problem.model(), problem.x, problem.y, batch_size=40,
        ...                                  learning_rate=0.5, epochs=2, loss=mse)
        >>> race = DescentRace({"b = 40": history}, {"b = 40": 40}, target_loss=0.1)
        >>> race.batch_sizes["b = 40"], len(race.runs["b = 40"].loss)
        (40, 2)
    """

    runs: dict[str, DescentHistory]
    batch_sizes: dict[str, int]
    target_loss: float
    settings: dict[str, Any] = field(default_factory=dict)

    def table(self) -> list[dict[str, Any]]:
        """One row per batch size: rate, epochs, loss after one epoch and at the end, time, throughput."""
        return [
            {"run": name, "learning rate": h.learning_rate, "epochs": len(h.epoch_loss),
             "updates/epoch": h.updates_per_epoch, "loss after 1 epoch": h.loss_after_epochs(1),
             "final loss": float(h.eval_loss[-1]), "training s": float(h.seconds[-1]),
             "examples/s": h.examples_per_second, f"s to loss {self.target_loss:g}": h.seconds_to_reach(self.target_loss)}
            for name, h in self.runs.items()
        ]

    def report(self) -> ExperimentResult:
        """What ``dltips run descent`` prints and saves: the table, the winners and the loss curves."""
        first_epoch = {name: h.loss_after_epochs(1) for name, h in self.runs.items()}
        reach = {name: h.seconds_to_reach(self.target_loss) for name, h in self.runs.items()}
        n = self.settings["n"]
        return ExperimentResult(
            description=f"softmax regression (an MLP without hidden layers) on {n:,} MNIST images, "
            "loss on the whole training set",
            table=self.table(),
            metrics={
                "lowest loss after 1 epoch": min(first_epoch, key=first_epoch.get),
                f"first to loss {self.target_loss:g} (seconds)":
                    min(reach, key=reach.get) if min(reach.values()) < math.inf else "none",
                "most examples per second": max(self.runs, key=lambda name: self.runs[name].examples_per_second),
            },
            figures={"descent_race": plot_descent_race(
                self.runs, title=f"Softmax regression on {n:,} MNIST images: loss by batch size")},
            details={
                "curves": {name: {"eval_updates": h.eval_updates, "eval_examples": h.eval_examples,
                                  "eval_seconds": h.eval_seconds, "eval_loss": h.eval_loss}
                           for name, h in self.runs.items()},
                "settings": self.settings,
            },
        )


def descent_race(
    n: int = 10_000,
    *,
    epochs: Mapping[int, int] | int | None = None,
    target_loss: float = 0.5,
    seed: int = 0,
    progress: bool = True,
) -> DescentRace:
    """Race SGD, mini-batches and BGD on softmax regression over ``n`` MNIST images.

    Every run starts from the same weights (``seed``) and is evaluated on the
    whole training set at about 40 points spread evenly on a log scale of
    updates (and after 50 updates), so the curves compare per update, per epoch
    (examples seen) and per second.

    Args:
        n: training images (a class-balanced subset), more than 256.
        epochs: epochs of every batch size (an ``int``), or per batch size;
            default :func:`race_settings`'s.
        target_loss: the loss whose first reaching is timed.
        seed: initial weights, the subset and the batch order.
        progress: show a progress bar over the batch sizes.

    Returns:
        A :class:`DescentRace`.

    Raises:
        ValueError: a bad ``n``, epoch count, target or ``seed``, before any training.

    Example::

        >>> race = descent_race(1000, epochs=1, progress=False)
        >>> list(race.runs)
        ['b = 1 (SGD)', 'b = 32', 'b = 256', 'b = 1,000 (BGD)']
    """
    plan = race_settings(n)
    if epochs is not None and not isinstance(epochs, Mapping):
        epochs = {b: check_int("epochs", epochs) for b in plan}
    for b, e in (epochs or {}).items():
        if b not in plan:
            raise ValueError(f"epochs names batch size {b!r}, which the race does not run; it runs {list(plan)}")
        plan[b]["epochs"] = check_int(f"epochs[{b}]", e)
    target_loss = check_number("target_loss", target_loss, low=0.0, low_open=True)
    check_int("seed", seed, minimum=0)
    x, y = data.train_subset(n, seed=seed)
    runs, sizes = {}, {}
    for b in runtime.progress(plan, "descent", label=lambda b: _race_name(b, n), enabled=progress):
        updates = plan[b]["epochs"] * math.ceil(n / b)
        checkpoints = {*np.geomspace(1, updates, 40).astype(int), 50}
        name = _race_name(b, n)
        runs[name] = train_gradient_descent(
            models.mlp((), seed=seed), x, y, batch_size=b, learning_rate=plan[b]["learning_rate"],
            epochs=plan[b]["epochs"], seed=seed, eval_at=checkpoints)
        sizes[name] = b
    settings = dict(n=n, plan={str(b): p for b, p in plan.items()}, target_loss=target_loss, seed=seed)
    return DescentRace(runs, sizes, target_loss, settings)


def common_rate_losses(
    n: int = 10_000,
    *,
    learning_rates: tuple[float, ...] = (0.01, 0.5),
    batch_sizes: tuple[int, ...] | None = None,
    updates: int = 50,
    seed: int = 0,
) -> dict[float, dict[int, float]]:
    """The loss after ``updates`` updates for every batch size at every learning rate, on the race's problem.

    :func:`descent_race` gives each batch size its own learning rate, so its
    per-update ranking mixes the effect of the batch with that of the rate.
    Here every batch size runs at each of the same ``learning_rates``, from the
    same initial weights, for the same number of updates (less than an epoch
    for small batches); the loss is measured on all ``n`` images, as in the race.

    Args:
        n: training images (the race's class-balanced subset), more than 256.
        learning_rates: the common rates ``η > 0``.
        batch_sizes: default the race's, ``(1, 32, 256, n)``.
        updates: updates made by every run.
        seed: initial weights, subset and batch order, as in the race.

    Returns:
        ``{learning rate: {batch size: loss after `updates` updates}}``.

    Raises:
        ValueError: a bad ``n``, rate, batch size, ``updates`` or ``seed``, before any training.

    Example::

        >>> losses = common_rate_losses(1000, learning_rates=(0.1,), batch_sizes=(32, 1000), updates=5)
        >>> sorted(losses[0.1])
        [32, 1000]
    """
    n = check_int("n", n, minimum=257)
    rates = [check_number("learning_rates", r, low=0.0, low_open=True) for r in learning_rates]
    sizes = list(race_settings(n)) if batch_sizes is None else [
        check_int("batch_sizes", b, maximum=n) for b in batch_sizes]
    updates = check_int("updates", updates)
    check_int("seed", seed, minimum=0)
    x, y = data.train_subset(n, seed=seed)
    x_all, y_all = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    losses: dict[float, dict[int, float]] = {}
    for rate in rates:
        losses[rate] = {}
        for b in sizes:
            model = models.mlp((), seed=seed)
            step, _, _ = _compiled_step(model, loss_fn, x_all, y_all, batch_size=b, learning_rate=rate,
                                        momentum=0.0, nesterov=False)
            done, epoch = 0, 0
            while done < updates:  # the race's batches, cut off after `updates` updates
                for indices in epoch_batches(n, b, epoch=epoch, seed=seed)[: updates - done]:
                    step(indices.astype(np.int32))
                    done += 1
                epoch += 1
            losses[rate][b] = float(loss_fn(y_all, model(x_all, training=False)))
    return losses


#: ``dltips run descent --quick``: tiny sizes, seconds.
QUICK = dict(n=1000)


def command(options: RunOptions) -> ExperimentResult:
    """``dltips run descent``: :func:`descent_race` with the book's defaults, reported."""
    return descent_race(**options.sizes(QUICK), seed=options.seed).report()
