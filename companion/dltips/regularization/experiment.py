"""The regularization experiment: the same MLP trained with each regularizer, measured alike.

:func:`compare_regularizers` is the experiment of the chapter, of ``dltips run
regularization`` (``command``) and of the benchmarks: its defaults are the
book's settings. Every variant starts from the same weights and sees the same
batches; curves are measured in inference mode, without the penalty
(:class:`dltips.models.EvaluateEachEpoch`), so they compare directly.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from dltips import data, models, runtime
from dltips.checks import check_choice, check_int, check_number, check_rate, check_sizes
from dltips.experiments import ExperimentResult, RunOptions
from dltips.regularization.figures import plot_regularization_curves, plot_weight_histograms
from dltips.tables import format_table

__all__ = [
    "NEAR_ZERO",
    "EarlyStoppingResult",
    "RegressionFit",
    "RegularizationResult",
    "Variant",
    "VariantResult",
    "compare_regularizers",
    "default_variants",
    "high_dimensional_regression",
    "train_with_early_stopping",
]

#: Weights with ``|w|`` below this count as (near) zero in the sparsity statistics.
NEAR_ZERO = 1e-3


@dataclass(frozen=True)
class Variant:
    """One regularization setting: L1 and L2 coefficients (Keras convention) and dropout rates.

    ``dropout`` acts after each hidden layer, ``input_dropout`` on the pixels
    (Srivastava et al. used 0.5 and 0.2 for MNIST MLPs).

    Args:
        name: the variant's name in tables and legends.
        l1, l2: the L1 and L2 coefficients on every kernel (>= 0; 0 is none).
        dropout: the rate after each hidden layer, in ``[0, 1)``.
        input_dropout: the rate on the input pixels, in ``[0, 1)``.

    Raises:
        ValueError: an empty name, ``l1`` or ``l2`` negative or not a finite
            number, a dropout rate outside ``[0, 1)`` (checked when the variant
            is made, not after earlier variants have trained).

    Example::

        >>> Variant("L2", l2=5e-3).regularizer().l2
        0.005
    """

    name: str
    l1: float = 0.0
    l2: float = 0.0
    dropout: float = 0.0
    input_dropout: float = 0.0

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("Variant name must be a non-empty string")
        # Checked here, when the variant is made, not after earlier variants have trained.
        for name in ("l1", "l2"):
            object.__setattr__(self, name, check_number(name, getattr(self, name), low=0.0))
        for name in ("dropout", "input_dropout"):
            object.__setattr__(self, name, check_rate(name, getattr(self, name)))

    def regularizer(self) -> keras.regularizers.Regularizer | None:
        """The Keras regularizer for the kernels, or ``None`` without a penalty."""
        if self.l1 and self.l2:
            return keras.regularizers.L1L2(l1=self.l1, l2=self.l2)
        if self.l1:
            return keras.regularizers.L1(self.l1)
        if self.l2:
            return keras.regularizers.L2(self.l2)
        return None


def default_variants(
    *, l1: float = 1e-3, l2: float = 5e-3, dropout: float = 0.5, input_dropout: float = 0.2
) -> tuple[Variant, ...]:
    """The six settings the chapter compares: none, L1, L2, elastic net, dropout, L2 + dropout.

    Elastic net uses half of each coefficient, so its total pull is comparable.

    Args:
        l1, l2: the L1 and L2 coefficients (>= 0).
        dropout: the hidden layers' dropout rate, in ``[0, 1)``.
        input_dropout: the input pixels' dropout rate, in ``[0, 1)``.

    Returns:
        Six :class:`Variant` objects, in the chapter's order.

    Raises:
        ValueError: ``l1`` or ``l2`` negative or not a finite number, a dropout rate outside ``[0, 1)``.

    Example::

        >>> [v.name for v in default_variants()]
        ['none', 'L1', 'L2', 'elastic net', 'dropout', 'L2 + dropout']
    """
    l1, l2 = check_number("l1", l1, low=0.0), check_number("l2", l2, low=0.0)
    return (
        Variant("none"),
        Variant("L1", l1=l1),
        Variant("L2", l2=l2),
        Variant("elastic net", l1=l1 / 2, l2=l2 / 2),
        Variant("dropout", dropout=dropout, input_dropout=input_dropout),
        Variant("L2 + dropout", l2=l2, dropout=dropout, input_dropout=input_dropout),
    )


@dataclass
class VariantResult:
    """What one trained variant achieved.

    Attributes:
        variant: the setting that was trained.
        history: per epoch, ``train_loss``, ``train_accuracy``, ``val_loss`` and
            ``val_accuracy``, all measured in inference mode (no dropout) and
            without the penalty, so curves of different variants compare directly.
        train_accuracy: final accuracy on the training subset (inference mode).
        test_accuracy: final accuracy on the full 10,000-image test set.
        weights: every ``Dense`` kernel entry, flattened (biases excluded).
        seconds: training and evaluation wall time.

    Example::

        >>> result = VariantResult(Variant("L2", l2=5e-3), {"val_accuracy": [0.90, 0.92]}, train_accuracy=0.95,
        ...                        test_accuracy=0.91, weights=np.array([0.0, 0.5, -0.2]), seconds=4.0)
        >>> result.variant.l2, result.test_accuracy
        (0.005, 0.91)
    """

    variant: Variant
    history: dict[str, list[float]]
    train_accuracy: float
    test_accuracy: float
    weights: np.ndarray = field(repr=False)
    seconds: float = 0.0

    @property
    def name(self) -> str:
        """The variant's name."""
        return self.variant.name

    @property
    def gap(self) -> float:
        """The generalization gap, training accuracy minus test accuracy."""
        return self.train_accuracy - self.test_accuracy

    @property
    def near_zero_fraction(self) -> float:
        """Fraction of kernel weights with ``|w| < 1e-3``."""
        return float(np.mean(np.abs(self.weights) < NEAR_ZERO))

    @property
    def weight_norm(self) -> float:
        """``‖w‖ = sqrt(Σw²)`` over all kernels."""
        return float(np.sqrt(np.sum(np.square(self.weights, dtype=np.float64))))


@dataclass
class RegularizationResult:
    """The outcome of :func:`compare_regularizers`: one :class:`VariantResult` per variant.

    Indexing by a variant's name gives its result.

    Attributes:
        variants: one :class:`VariantResult` per variant, in training order.
        n_train, n_val, n_test: the sizes of the training, validation and test sets.
        epochs: the epochs every variant trained for.
        settings: the arguments of the run.

    Example::

        >>> one = VariantResult(Variant("none"), {}, 1.0, 0.9, np.zeros(3), 2.0)
        >>> result = RegularizationResult([one], n_train=1000, n_val=200, n_test=10_000, epochs=5)
        >>> result.names(), result["none"].test_accuracy
        (['none'], 0.9)
    """

    variants: list[VariantResult]
    n_train: int
    n_val: int
    n_test: int
    epochs: int
    settings: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> VariantResult:
        for v in self.variants:
            if v.name == name:
                return v
        raise KeyError(f"no variant named {name!r}; have {[v.name for v in self.variants]}")

    def names(self) -> list[str]:
        """The variants' names, in training order."""
        return [v.name for v in self.variants]

    def table(self) -> list[dict[str, Any]]:
        """One row per variant: accuracies, gap, near-zero fraction and weight norm."""
        return [
            {
                "variant": v.name,
                "train_accuracy": v.train_accuracy,
                "test_accuracy": v.test_accuracy,
                "gap": v.gap,
                "near_zero_fraction": v.near_zero_fraction,
                "weight_norm": v.weight_norm,
            }
            for v in self.variants
        ]

    def __str__(self) -> str:
        """The :meth:`table` as aligned plain text, accuracies and fractions in percent."""
        rows = [{"variant": r["variant"], "train acc": f"{r['train_accuracy']:.1%}", "test acc": f"{r['test_accuracy']:.1%}",
                 "gap": f"{r['gap']:.1%}", "|w| < 1e-3": f"{r['near_zero_fraction']:.1%}", "‖w‖": r["weight_norm"]}
                for r in self.table()]
        return format_table(rows, style="text")

    def report(self) -> ExperimentResult:
        """What ``dltips run regularization`` prints and saves: the table, the gaps, the curves and histograms."""
        none = self["none"]
        best = max(self.variants, key=lambda v: v.test_accuracy)
        tightest = min(self.variants, key=lambda v: v.gap)
        return ExperimentResult(
            description=f"MLP {self.settings['hidden']} with plain SGD on {self.n_train:,} MNIST images, "
            f"{self.epochs} epochs per regularizer; test accuracy on all {self.n_test:,} test images",
            table=self.table(),
            metrics={
                "best variant (test accuracy)": best.name,
                "its test accuracy": best.test_accuracy,
                "test accuracy without regularization": none.test_accuracy,
                "gap without regularization": none.gap,
                "smallest gap": f"{tightest.gap:.4f} ({tightest.name})",
                "|w| < 1e-3 with L1 / with L2":
                    f"{self['L1'].near_zero_fraction:.1%} / {self['L2'].near_zero_fraction:.1%}",
            },
            figures={
                "regularization_curves": plot_regularization_curves(self),
                # bins 0.002 wide: the middle one holds exactly the weights with |w| < 1e-3
                "weight_histograms": plot_weight_histograms(self, names=["none", "L1", "L2"], limit=0.101, bins=101),
            },
            details={
                "histories": {v.name: v.history for v in self.variants},
                "variants": [vars(v.variant) for v in self.variants],
                "train_examples": self.n_train, "validation_examples": self.n_val, "test_examples": self.n_test,
                "epochs": self.epochs, "settings": self.settings,
            },
        )


def _kernels(model: keras.Model) -> np.ndarray:
    return np.concatenate([np.asarray(w).ravel() for w in model.weights if w.path.endswith("kernel")])


_OPTIMIZERS = ("sgd", "adam")


def _check_split(n_train: int, n_val: int) -> None:
    """Refuse a training plus validation subset larger than class-balanced MNIST holds."""
    if n_train + n_val > 54_210:
        raise ValueError(f"n_train + n_val must be at most 54210 (class-balanced MNIST), got {n_train + n_val}")


def _train_val_test(n_train: int, n_val: int, data_seed: int, mnist_path) -> tuple:
    """One class-balanced draw cut into training and validation images, and MNIST's test set."""
    x, y = data.train_subset(n_train + n_val, seed=data_seed, path=mnist_path)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:], data.load_mnist(mnist_path)


def compare_regularizers(
    variants: Sequence[Variant] | None = None,
    *,
    n_train: int = 1000,
    n_val: int = 1000,
    hidden: Sequence[int] = (256,),
    epochs: int = 30,
    batch_size: int = 64,
    optimizer: str = "sgd",
    learning_rate: float = 0.1,
    seed: int = 0,
    data_seed: int = 0,
    mnist_path: str | None = None,
    progress: bool = True,
) -> RegularizationResult:
    """Train the same MLP with each regularization variant and measure how well it generalizes.

    The data are a class-balanced, shuffled subset of ``n_train + n_val`` MNIST
    training images (the first ``n_train`` for training, the rest for the
    per-epoch validation curves) and the full 10,000-image test set for the
    final accuracy. Every variant starts from the same initial weights
    (``seed``) and sees the batches in the same order.

    Args:
        variants: the settings to train; default :func:`default_variants`.
        n_train, n_val: training and validation subset sizes.
        hidden: hidden layer sizes of :func:`dltips.models.mlp`.
        epochs, batch_size: training length and mini-batch size.
        optimizer: ``"sgd"`` (plain SGD, where L2 equals weight decay) or ``"adam"``.
        learning_rate: the optimizer's step size.
        seed: initial weights, dropout masks and batch order.
        data_seed: which images form the subset.
        mnist_path: passed to :func:`dltips.data.load_mnist`.
        progress: show a progress bar over the variants.

    Returns:
        A :class:`RegularizationResult`; ``print(result)`` shows the table.

    Raises:
        ValueError: any argument out of range (checked before training starts).

    Example::

        >>> result = compare_regularizers(epochs=2, n_train=200, progress=False)  # doctest: +SKIP
        >>> result["L1"].near_zero_fraction > result["L2"].near_zero_fraction  # doctest: +SKIP
        True
    """
    variants = tuple(default_variants() if variants is None else variants)
    if not variants:
        raise ValueError("variants must hold at least one Variant")
    if not all(isinstance(v, Variant) for v in variants):
        raise ValueError("variants must be Variant instances (see default_variants)")
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        raise ValueError(f"variant names must be unique, got {names}")
    n_train = check_int("n_train", n_train)
    n_val = check_int("n_val", n_val)
    hidden = check_sizes("hidden", hidden)
    _check_split(n_train, n_val)
    epochs = check_int("epochs", epochs)
    batch_size = check_int("batch_size", batch_size)
    check_choice("optimizer", optimizer, _OPTIMIZERS)
    learning_rate = check_number("learning_rate", learning_rate, low=0.0, low_open=True)
    check_int("seed", seed, minimum=0)
    check_int("data_seed", data_seed, minimum=0)

    x_train, y_train, x_val, y_val, test = _train_val_test(n_train, n_val, data_seed, mnist_path)
    results = []
    for variant in runtime.progress(variants, "regularizers", label=lambda v: v.name, enabled=progress):
        start = time.perf_counter()
        keras.utils.set_random_seed(seed)
        model = models.mlp(
            hidden,
            dropout=variant.dropout,
            input_dropout=variant.input_dropout,
            kernel_regularizer=variant.regularizer(),
            seed=seed,
        )
        opt = keras.optimizers.SGD(learning_rate) if optimizer == "sgd" else keras.optimizers.Adam(learning_rate)
        models.compile_classifier(model, opt, steps_per_execution=models.steps_per_execution(n_train, batch_size))
        curves = models.EvaluateEachEpoch({"train": (x_train, y_train), "val": (x_val, y_val)})
        model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, callbacks=[curves], verbose=0)
        results.append(
            VariantResult(
                variant=variant,
                history=curves.history,
                train_accuracy=models.evaluate(model, x_train, y_train).accuracy,
                test_accuracy=models.evaluate(model, test.x_test, test.y_test).accuracy,
                weights=_kernels(model),
                seconds=time.perf_counter() - start,
            )
        )
    settings = dict(hidden=tuple(hidden), batch_size=batch_size, optimizer=optimizer,
                    learning_rate=learning_rate, seed=seed, data_seed=data_seed)
    return RegularizationResult(results, n_train, n_val, len(test.y_test), epochs, settings)



@dataclass(frozen=True)
class RegressionFit:
    """One fit of :func:`high_dimensional_regression`.

    Attributes:
        lam: the ``L2(lam)`` coefficient on the weights (Keras convention; 0: none).
        train_mse, test_mse: mean squared error on the training and test examples.
        weight_norm: ``‖w‖`` of the fitted weights (the bias excluded).

    Example::

        >>> fit = RegressionFit(lam=0.01, train_mse=0.2, test_mse=0.5, weight_norm=1.3)
        >>> round(fit.test_mse - fit.train_mse, 2)
        0.3
    """

    lam: float
    train_mse: float
    test_mse: float
    weight_norm: float


def high_dimensional_regression(
    lams: Sequence[float] = (0.0, 3.0),
    *,
    n_train: int = 20,
    n_test: int = 100,
    dim: int = 200,
    epochs: int = 100,
    batch_size: int = 5,
    learning_rate: float = 0.0015,
    seed: int = 0,
) -> list[RegressionFit]:
    """Linear regression with more weights than examples, fitted with and without an L2 penalty.

    The data follow Dive into Deep Learning's weight-decay section: ``dim``
    standard-normal inputs and ``y = 0.05 + Σ_i 0.01·x_i + ε``, ``ε ~ N(0, 0.01²)``,
    with ``n_train`` training examples (far fewer than ``dim``) and ``n_test``
    test examples. For each coefficient ``λ`` in ``lams`` a linear model
    (weights drawn from ``N(0, 1)``, the same draw and the same batches for every
    ``λ``) is trained by plain mini-batch SGD, in NumPy, on the mean squared
    error plus ``λ·‖w‖²``, the penalty of ``keras.regularizers.L2(λ)``::

        J(w, b) = (1/m) Σ_i (w·x_i + b − y_i)² + λ‖w‖²

    Without the penalty the model fits the 20 training examples almost exactly
    and predicts new ones badly; with it, the weights that the data do not
    determine decay towards zero, and the test error falls.

    Args:
        lams: the L2 coefficients to fit with (each >= 0).
        n_train, n_test, dim: example counts and input dimension.
        epochs, batch_size, learning_rate: plain SGD's settings.
        seed: the data and the initial weights.

    Returns:
        One :class:`RegressionFit` per coefficient, in the order of ``lams``.

    Raises:
        ValueError: an empty ``lams`` or a negative coefficient, or any size or
            rate out of range.

    Example::

        >>> none, l2 = high_dimensional_regression((0.0, 3.0), epochs=20)
        >>> l2.test_mse < none.test_mse and l2.weight_norm < none.weight_norm
        True
    """
    lams = [check_number("lams", lam, low=0.0) for lam in lams]
    if not lams:
        raise ValueError("lams must hold at least one coefficient")
    n_train, n_test, dim = check_int("n_train", n_train), check_int("n_test", n_test), check_int("dim", dim)
    epochs, batch_size = check_int("epochs", epochs), check_int("batch_size", batch_size)
    learning_rate = check_number("learning_rate", learning_rate, low=0.0, low_open=True)
    check_int("seed", seed, minimum=0)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_train + n_test, dim)).astype("float32")
    y = (0.05 + 0.01 * x.sum(axis=1) + rng.normal(scale=0.01, size=n_train + n_test)).astype("float32")
    x_train, y_train, x_test, y_test = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    w0 = rng.normal(size=dim)  # one draw of the initial weights, shared by every λ
    order = [rng.permutation(n_train) for _ in range(epochs)]  # and one batch order
    fits = []
    for lam in lams:
        w, b = w0.copy(), 0.0
        for perm in order:
            for start in range(0, n_train, batch_size):
                batch = perm[start:start + batch_size]
                error = x_train[batch] @ w + b - y_train[batch]
                grad_w = 2.0 * x_train[batch].T @ error / len(batch) + 2.0 * lam * w  # + ∇ of λ‖w‖²
                b -= learning_rate * 2.0 * float(np.mean(error))
                w -= learning_rate * grad_w
        fits.append(RegressionFit(lam, float(np.mean((x_train @ w + b - y_train) ** 2)),
                                  float(np.mean((x_test @ w + b - y_test) ** 2)), float(np.linalg.norm(w))))
    return fits


@dataclass
class EarlyStoppingResult:
    """The outcome of :func:`train_with_early_stopping`.

    Attributes:
        history: per epoch run, ``train_*``, ``val_*`` and ``test_*`` loss and
            accuracy (inference mode, as in :class:`dltips.models.EvaluateEachEpoch`).
        best_epoch: the epoch (counted from 1) whose weights were restored.
        epochs_run: how many epochs ran before the callback stopped training.
        max_epochs: the budget it was given.
        train_accuracy, test_accuracy: of the restored model.

    Example::

        >>> result = EarlyStoppingResult({"val_loss": [0.5, 0.4, 0.45]}, best_epoch=2, epochs_run=3,
        ...                              max_epochs=50, train_accuracy=0.97, test_accuracy=0.93)
        >>> result.epochs_run < result.max_epochs
        True
    """

    history: dict[str, list[float]]
    best_epoch: int
    epochs_run: int
    max_epochs: int
    train_accuracy: float
    test_accuracy: float

    @property
    def gap(self) -> float:
        """The generalization gap of the restored model, training minus test accuracy."""
        return self.train_accuracy - self.test_accuracy


def train_with_early_stopping(
    *,
    patience: int = 3,
    n_train: int = 1000,
    n_val: int = 1000,
    hidden: Sequence[int] = (256,),
    epochs: int = 30,
    batch_size: int = 64,
    learning_rate: float = 0.5,
    seed: int = 0,
    data_seed: int = 0,
    mnist_path: str | None = None,
) -> EarlyStoppingResult:
    """Train the experiment's MLP with ``keras.callbacks.EarlyStopping`` on the validation loss.

    The data are those of :func:`compare_regularizers` (the same subsets for the
    same ``data_seed``). Plain SGD runs for at most ``epochs`` epochs; after each
    one, ``EarlyStopping(monitor="val_loss", patience=patience,
    restore_best_weights=True)`` compares the validation cross-entropy with its
    best so far, stops once ``patience`` epochs in a row have not improved on
    it, and puts back the weights of the best epoch::

        t* = argmin_t  L_val(w_t),   returned weights  w_{t*}

    Args:
        patience: epochs without improvement before stopping (>= 1).
        n_train, n_val, hidden, epochs, batch_size, learning_rate, seed, data_seed, mnist_path: as in
            :func:`compare_regularizers`.

    Returns:
        An :class:`EarlyStoppingResult`.

    Raises:
        ValueError: any argument out of range (checked before training starts).

    Example::

        >>> stopped = train_with_early_stopping(epochs=5, n_train=200)  # doctest: +SKIP
        >>> stopped.best_epoch <= stopped.epochs_run <= 5  # doctest: +SKIP
        True
    """
    patience = check_int("patience", patience)
    n_train, n_val = check_int("n_train", n_train), check_int("n_val", n_val)
    hidden = check_sizes("hidden", hidden)
    _check_split(n_train, n_val)
    epochs, batch_size = check_int("epochs", epochs), check_int("batch_size", batch_size)
    learning_rate = check_number("learning_rate", learning_rate, low=0.0, low_open=True)
    check_int("seed", seed, minimum=0)
    check_int("data_seed", data_seed, minimum=0)
    x_train, y_train, x_val, y_val, test = _train_val_test(n_train, n_val, data_seed, mnist_path)
    keras.utils.set_random_seed(seed)
    model = models.mlp(hidden, seed=seed)
    models.compile_classifier(model, keras.optimizers.SGD(learning_rate),
                              steps_per_execution=models.steps_per_execution(n_train, batch_size))
    curves = models.EvaluateEachEpoch({"train": (x_train, y_train), "val": (x_val, y_val),
                                       "test": (test.x_test, test.y_test)})
    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_data=(x_val, y_val),
              callbacks=[curves, stopper], verbose=0)
    return EarlyStoppingResult(
        history=curves.history,
        best_epoch=stopper.best_epoch + 1,
        epochs_run=len(curves.history["val_loss"]),
        max_epochs=epochs,
        train_accuracy=models.evaluate(model, x_train, y_train).accuracy,
        test_accuracy=models.evaluate(model, test.x_test, test.y_test).accuracy,
    )



#: ``dltips run regularization --quick``: tiny sizes, seconds.
QUICK = dict(n_train=200, n_val=200, hidden=(64,), epochs=2)


def command(options: RunOptions) -> ExperimentResult:
    """``dltips run regularization``: :func:`compare_regularizers` with the book's defaults, reported."""
    return compare_regularizers(**options.sizes(QUICK), seed=options.seed, data_seed=options.seed).report()
