"""The figures of knowledge distillation: soft targets, the T² gradient scale, the temperature sweep."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["plot_gradient_scale", "plot_soft_targets", "plot_temperature_sweep"]


def plot_soft_targets(
    logits: Sequence[float] | np.ndarray,
    temperatures: Sequence[float] = (1.0, 4.0, 20.0),
    *,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Bars of ``softmax(logits / T)`` for each class, one group of bars per temperature.

    Shows what a temperature does: at ``T = 1`` almost all the mass sits on the top
    class; higher temperatures reveal how the other classes rank (the "dark knowledge").

    Raises:
        ValueError: empty logits or a temperature that is not positive.
    """
    z = np.asarray(logits, dtype=np.float64).ravel()
    if z.size == 0:
        raise ValueError("logits must hold at least one value")
    if not temperatures or any(not t > 0 for t in temperatures):
        raise ValueError(f"temperatures must be positive numbers, got {list(temperatures)!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3), layout="constrained")
    width = 0.8 / len(temperatures)
    classes = np.arange(z.size)
    for i, t in enumerate(temperatures):
        p = np.exp((z - z.max()) / t)
        ax.bar(classes + (i - (len(temperatures) - 1) / 2) * width, p / p.sum(), width, label=f"T = {t:g}")
    ax.set_xticks(classes)
    ax.set_xlabel("class")
    ax.set_ylabel("probability")
    ax.set_yscale("log")
    ax.set_title("Soft targets: the teacher's softmax at several temperatures")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def plot_gradient_scale(
    temperatures: Sequence[float],
    with_t_squared: Sequence[float],
    without_t_squared: Sequence[float],
    *,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Gradient norm of the soft-target loss against the temperature, with and without the ``T²`` factor (log-log).

    Raises:
        ValueError: the three sequences differ in length or are empty.
    """
    if not len(temperatures) or not len(temperatures) == len(with_t_squared) == len(without_t_squared):
        raise ValueError("temperatures, with_t_squared and without_t_squared must be non-empty and of equal length")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
    ax.loglog(temperatures, with_t_squared, "o-", label="T² · KL (Hinton et al.)")
    ax.loglog(temperatures, without_t_squared, "s--", label="KL alone")
    ax.set_xticks(temperatures, [f"{t:g}" for t in temperatures])
    ax.minorticks_off()
    ax.set_xlabel("temperature T")
    ax.set_ylabel("gradient norm w.r.t. student logits")
    ax.set_title("Why the loss is multiplied by T²")
    ax.legend()
    return ax


def plot_temperature_sweep(
    sweep: Mapping[float, int],
    *,
    baselines: Mapping[str, int] | None = None,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Test errors (out of 10,000) of the distilled student against the temperature, with baselines as lines.

    Args:
        sweep: errors of the distilled student for each temperature.
        baselines: other models' errors (for example the teacher and the scratch
            student), drawn as labelled horizontal lines.

    Raises:
        ValueError: an empty sweep or a temperature that is not positive.
    """
    if not sweep:
        raise ValueError("sweep must hold at least one temperature")
    temperatures = sorted(sweep)
    if temperatures[0] <= 0:
        raise ValueError(f"temperatures must be positive, got {temperatures!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(temperatures, [sweep[t] for t in temperatures], "o-", color="black", label="distilled student")
    for i, (name, errors) in enumerate((baselines or {}).items()):
        ax.axhline(errors, linestyle="--", color=f"C{i}", label=f"{name} ({errors})")
    ax.set_xscale("log")
    ax.set_xticks(temperatures, [f"{t:g}" for t in temperatures])
    ax.minorticks_off()
    ax.set_xlabel("temperature T")
    ax.set_ylabel("test errors (out of 10,000)")
    ax.set_title("Distilled student: test errors against temperature")
    ax.legend(fontsize=8)
    return ax
