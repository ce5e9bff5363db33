"""Mixed precision: 16-bit arithmetic with 32-bit weights, and what it costs or gives.

Keras selects the number formats of a layer through its *dtype policy*:

============================  ================  =================  ============
policy                        computations in   weights stored in  loss scaling
============================  ================  =================  ============
``"float32"``                 float32           float32            no
``"mixed_float16"``           float16           float32            yes (dynamic)
``"mixed_bfloat16"``          bfloat16          float32            not needed
============================  ================  =================  ============

Weights stay in float32 because an update ``η g`` is often below float16's
resolution next to the weight it changes (Micikevicius et al., 2018); the loss
is scaled up before back-propagation under float16 so that small gradients do
not underflow to zero (bfloat16 keeps float32's exponent range, so it needs no
scaling). Accelerators with 16-bit matrix units run these policies several
times faster; a CPU without them may run slower, which :func:`compare_policies`
measures, and :func:`plot_policies` draws.

Example::

    >>> from dltips import models
    >>> with dtype_policy("mixed_bfloat16"):
    ...     model = models.mlp((32,), seed=0)
    >>> layer = model.get_layer("dense_0")
    >>> layer.compute_dtype, layer.kernel.dtype
    ('bfloat16', 'float32')
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import keras
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from dltips import costs, models, runtime
from dltips.checks import check_choice, check_int

__all__ = ["POLICIES", "PolicyRun", "compare_policies", "dtype_policy", "plot_policies"]

#: The Keras dtype policies the book compares: full precision, and the two mixed ones.
POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")


@contextlib.contextmanager
def dtype_policy(policy: str) -> Iterator[None]:
    """Build models under a Keras dtype policy inside a ``with`` block, then restore the previous one.

    Keras's policy is global; forgetting to reset it would silently change every
    model built afterwards, which is why the book only ever sets it through
    this context manager.

    Args:
        policy: one of :data:`POLICIES`.

    Returns:
        A context manager; inside it, new layers compute under ``policy``.

    Raises:
        ValueError: ``policy`` is not one of ``POLICIES``.

    Example::

        >>> with dtype_policy("mixed_bfloat16"):
        ...     keras.layers.Dense(2).compute_dtype
        'bfloat16'
        >>> keras.layers.Dense(2).compute_dtype
        'float32'
    """
    check_choice("policy", policy, POLICIES)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


@dataclass(frozen=True)
class PolicyRun:
    """One model trained under one dtype policy (:func:`compare_policies`).

    Args:
        policy: the policy's name.
        compute_dtype, variable_dtype: the dtypes of the first layer with weights.
        loss_scaling: whether Keras wrapped the optimizer in a ``LossScaleOptimizer``.
        timing: the :class:`dltips.costs.EpochTiming` of the timed epochs.
        test_accuracy: accuracy on the test set after training.

    Example::

        >>> from dltips import costs
        >>> PolicyRun("mixed_float16", "float16", "float32", True, costs.EpochTiming(3.0, 2.5, 94, 6000),
        ...           0.92).loss_scaling
        True
    """

    policy: str
    compute_dtype: str
    variable_dtype: str
    loss_scaling: bool
    timing: costs.EpochTiming
    test_accuracy: float


def compare_policies(
    policies: Sequence[str],
    build: Callable[[], keras.Model],
    x: np.ndarray,
    y: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    batch_size: int = 64,
    epochs: int = 2,
    seed: int = 0,
    progress: bool = True,
) -> list[PolicyRun]:
    """Train the model ``build()`` returns once per policy (same seed, same data) and time it.

    A layer named ``"logits"`` (the output layer of every :mod:`dltips.models`
    builder) is kept in float32 under every policy, as Keras's guide recommends
    for the layer that feeds the softmax and the loss; only the hidden
    computations change.

    Args:
        policies: the policies to compare, each one of :data:`POLICIES`.
        build: returns a fresh, uncompiled logits model.
        x, y: the training data of the timed epochs.
        x_test, y_test: the data the accuracy is measured on.
        batch_size: examples per update (>= 1).
        epochs: timed epochs per policy (>= 1).
        seed: set before each model is built and trained.
        progress: show a progress bar over the policies.

    Returns:
        One :class:`PolicyRun` per policy, in the order given.

    Raises:
        ValueError: an unknown policy, or ``batch_size`` or ``epochs`` below 1
            (checked before any training).

    Example::

        >>> x, y = np.zeros((64, 28, 28), "float32"), np.arange(64) % 10
        >>> [run] = compare_policies(["mixed_bfloat16"], lambda: models.mlp((8,), seed=0), x, y, x, y,
        ...                          epochs=1, progress=False)
        >>> run.compute_dtype, run.variable_dtype
        ('bfloat16', 'float32')
    """
    for policy in policies:
        check_choice("policy", policy, POLICIES)
    check_int("batch_size", batch_size)
    check_int("epochs", epochs)
    runs = []
    for policy in runtime.progress(policies, "precision", enabled=progress):
        keras.utils.set_random_seed(seed)
        with dtype_policy(policy):
            model = build()
        for layer in model.layers:
            if layer.name == "logits":  # the output layer of every dltips.models builder
                layer.dtype_policy = keras.DTypePolicy("float32")
        model = models.compile_classifier(model, keras.optimizers.Adam(1e-3))
        timing = costs.time_per_epoch(model, x, y, batch_size=batch_size, epochs=epochs)
        hidden = next(layer for layer in model.layers if layer.weights)
        runs.append(PolicyRun(policy, hidden.compute_dtype, hidden.variable_dtype,
                              isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer),
                              timing, models.evaluate(model, x_test, y_test).accuracy))
    return runs


def plot_policies(runs: Sequence[PolicyRun]) -> Figure:
    """Two panels for a :func:`compare_policies` result: seconds per epoch (CPU and wall) and test accuracy.

    The time panel marks float32's CPU time with a dashed line, so a policy
    that is faster or slower than float32 shows at a glance; the accuracy panel
    starts at 0, so equal accuracies look equal.

    Args:
        runs: the :class:`PolicyRun` list of :func:`compare_policies`; the first is the reference line.

    Returns:
        The figure, two panels.

    Raises:
        ValueError: ``runs`` is empty.

    Example::

        >>> from dltips import costs
        >>> run = PolicyRun("float32", "float32", "float32", False,
        ...                 costs.EpochTiming(2.0, 1.5, 94, 6000), 0.92)
        >>> [ax.get_title() for ax in plot_policies([run]).axes]
        ['time per epoch', 'test accuracy']
    """
    if not runs:
        raise ValueError("runs must hold at least one PolicyRun")
    names = [r.policy for r in runs]
    positions = np.arange(len(runs))
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.4))
    width = 0.38
    cpu = [r.timing.cpu_seconds for r in runs]
    left.bar(positions - width / 2, cpu, width, label="CPU seconds")
    left.bar(positions + width / 2, [r.timing.wall_seconds for r in runs], width, label="wall seconds")
    left.axhline(cpu[0], color="grey", linestyle="--", linewidth=1, label=f"{names[0]} CPU")
    left.set(xticks=positions, ylabel="seconds per epoch", title="time per epoch")
    left.set_xticklabels(names)
    left.legend(fontsize=8)
    bars = right.bar(positions, [r.test_accuracy for r in runs], 0.6, color="tab:green")
    right.bar_label(bars, labels=[f"{r.test_accuracy:.1%}" for r in runs], fontsize=8)
    right.set(xticks=positions, ylim=(0, 1.05), ylabel="test accuracy", title="test accuracy")
    right.set_xticklabels(names)
    for ax in (left, right):
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig
