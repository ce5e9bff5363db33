"""The baseline: an MLP on a class-balanced MNIST subset, the reference every technique improves on.

:func:`baseline_experiment` trains the book's MLP with Adam and records its
per-epoch history; ``dltips run baseline`` (``command``) runs it with the
book's defaults and draws its learning curves.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import keras

from dltips import costs, data, models, runtime
from dltips.checks import check_int
from dltips.experiments import ExperimentResult, RunOptions
from dltips.figures import plot_history

__all__ = ["BaselineResult", "baseline_experiment"]


@dataclass
class BaselineResult:
    """What :func:`baseline_experiment` measured.

    Attributes:
        history: Keras's per-epoch ``loss``, ``accuracy``, ``val_loss`` and ``val_accuracy``.
        test: the final model on the test images (:class:`dltips.models.Evaluation`).
        parameters: the model's parameter count.
        seconds: training wall time.
        model: the trained model.
        settings: the arguments of the run.

    Example::

        >>> from dltips.models import Evaluation
        >>> result = BaselineResult({"val_accuracy": [0.90, 0.93]}, Evaluation(0.25, 0.92, 800, 10_000),
        ...                         parameters=101_770, seconds=3.2, model=None)
        >>> result.test.errors, result.history["val_accuracy"][-1]
        (800, 0.93)
    """

    history: dict[str, list[float]]
    test: models.Evaluation
    parameters: int
    seconds: float
    model: keras.Model = field(repr=False)
    settings: dict[str, Any] = field(default_factory=dict)

    def report(self) -> ExperimentResult:
        """What ``dltips run baseline`` prints and saves: the final accuracies and the learning curves."""
        settings, history = self.settings, self.history
        return ExperimentResult(
            description=f"MLP ({settings['hidden'][0]} hidden units, Adam) on {settings['n_train']:,} MNIST training "
            f"images, {settings['epochs']} epochs",
            metrics={
                "train accuracy": history["accuracy"][-1],
                "validation accuracy": history["val_accuracy"][-1],
                "test accuracy": self.test.accuracy,
                "test errors": f"{self.test.errors} / {self.test.examples:,}",
                "parameters": self.parameters,
                "training time (s)": round(self.seconds, 1),
            },
            figures={"learning_curves": plot_history(
                history, title=f"Baseline MLP on {settings['n_train']:,} MNIST images")},
            details={"history": history, "settings": settings},
        )


def baseline_experiment(
    *,
    n_train: int = 5000,
    n_val: int = 1000,
    n_test: int = 10_000,
    hidden: Sequence[int] = (128,),
    epochs: int = 10,
    batch_size: int = 64,
    seed: int = 0,
    progress: bool = True,
) -> BaselineResult:
    """Train an MLP with Adam on ``n_train`` class-balanced MNIST images, validating on ``n_val`` more.

    Args:
        n_train: training images (>= 1).
        n_val: validation images, drawn with the training ones (>= 1).
        n_test: test images measured at the end, 1 to 10,000.
        hidden: the MLP's hidden-layer sizes.
        epochs: training epochs (>= 1).
        batch_size: examples per update (>= 1).
        seed: seeds the subset and the initial weights.
        progress: show a progress bar over the epochs.

    Returns:
        A :class:`BaselineResult`.

    Raises:
        ValueError: a size or epoch count that is not a positive integer, before any training.

    Example::

        >>> result = baseline_experiment(n_train=500, n_val=100, n_test=500, epochs=1, progress=False)
        >>> result.parameters, len(result.history["val_accuracy"])
        (101770, 1)
    """
    n_train, n_val = check_int("n_train", n_train), check_int("n_val", n_val)
    n_test = check_int("n_test", n_test, maximum=10_000)
    epochs, batch_size = check_int("epochs", epochs), check_int("batch_size", batch_size)
    x, y = data.train_subset(n_train + n_val, seed=seed)
    x_train, y_train, x_val, y_val = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    mnist = data.load_mnist()
    model = models.compile_classifier(models.mlp(hidden, seed=seed), "adam")
    start = time.perf_counter()
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs, batch_size=batch_size,
                        verbose=0, callbacks=runtime.keras_progress("baseline", enabled=progress)).history
    seconds = time.perf_counter() - start
    settings = dict(n_train=n_train, n_val=n_val, n_test=n_test, hidden=list(hidden), epochs=epochs,
                    batch_size=batch_size, seed=seed)
    return BaselineResult(
        history={k: [float(v) for v in values] for k, values in history.items()},
        test=models.evaluate(model, mnist.x_test[:n_test], mnist.y_test[:n_test]),
        parameters=costs.count_params(model), seconds=seconds, model=model, settings=settings)


#: ``dltips run baseline --quick``: tiny sizes, seconds.
QUICK = dict(n_train=500, n_val=200, n_test=1000, epochs=2)


def command(options: RunOptions) -> ExperimentResult:
    """``dltips run baseline``: :func:`baseline_experiment` with the book's defaults, reported."""
    return baseline_experiment(**options.sizes(QUICK), seed=options.seed).report()
