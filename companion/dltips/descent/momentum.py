"""Why momentum helps, worked out on a quadratic: the leaky average and the eigen-analysis.

On a quadratic ``J(w) = ½ (w − w*)ᵀ H (w − w*)`` the gradient is ``H (w − w*)``,
so in the eigenbasis of ``H`` every direction ``i`` (curvature ``λ_i``) evolves on
its own. Plain gradient descent multiplies the error along it by ``1 − ηλ_i`` per
step; momentum (Keras's ``v ← μv − ηg; w ← w + v``, Polyak's heavy ball) turns
each direction into a two-term recursion whose per-step factor is the spectral
radius of a 2×2 matrix. :func:`contraction_factors` computes these factors,
:func:`optimal_gradient_descent` and :func:`optimal_heavy_ball` the best tunings
for curvatures in ``[λ_min, λ_max]``, :func:`quadratic_descent_errors` runs the
updates themselves, and :func:`measured_contraction` reads the per-step factor
off a run. :func:`velocity_from_gradients` is the leaky-average view of the
velocity.

Example::

    >>> gd, hb = optimal_gradient_descent(1.0, 100.0), optimal_heavy_ball(1.0, 100.0)
    >>> round(gd.rate, 4), round(hb.rate, 4)   # (κ−1)/(κ+1) against (√κ−1)/(√κ+1)
    (0.9802, 0.8182)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dltips.checks import check_int, check_number

__all__ = [
    "Tuning",
    "contraction_factors",
    "measured_contraction",
    "optimal_gradient_descent",
    "optimal_heavy_ball",
    "quadratic_descent_errors",
    "velocity_from_gradients",
]


@dataclass(frozen=True)
class Tuning:
    """A learning rate, a momentum and the worst per-step contraction they give on a quadratic.

    Attributes:
        learning_rate: ``η``.
        momentum: ``μ`` (0 for plain gradient descent).
        rate: the factor by which the error shrinks per step in the slowest
            eigen-direction, ``max_i ρ_i``.

    Example::

        >>> tuning = Tuning(learning_rate=0.5, momentum=0.0, rate=0.5)
        >>> tuning.rate ** 10  # the error left after ten steps, at worst
        0.0009765625
    """

    learning_rate: float
    momentum: float
    rate: float


def _check_curvatures(lam_min: float, lam_max: float) -> tuple[float, float]:
    lam_min = check_number("lam_min", lam_min, low=0.0, low_open=True)
    lam_max = check_number("lam_max", lam_max, low=0.0, low_open=True)
    if lam_max < lam_min:
        raise ValueError(f"lam_max must be >= lam_min, got lam_min={lam_min!r} and lam_max={lam_max!r}")
    return lam_min, lam_max


def contraction_factors(
    eigenvalues: Sequence[float] | np.ndarray,
    *,
    learning_rate: float,
    momentum: float = 0.0,
    nesterov: bool = False,
) -> np.ndarray:
    """The factor by which each eigen-direction's error shrinks per step (asymptotically).

    With ``a = ηλ`` for a direction of curvature ``λ``, the error ``e`` and the
    velocity ``v`` along it follow a linear map whose spectral radius is the factor::

        gradient descent (μ = 0):  ρ = |1 − a|
        momentum (heavy ball):     roots of r² − (1 + μ − a) r + μ = 0
        Nesterov (Keras's form):   roots of r² − (1 + μ)(1 − a) r + μ(1 − a) = 0

    and ``ρ`` is the largest root's modulus. The direction converges when
    ``ρ < 1``: for gradient descent when ``0 < a < 2``, for momentum when
    ``0 < a < 2(1 + μ)``. When the roots are complex, ``ρ = √μ`` for momentum
    whatever ``λ``: the error spirals in at that rate.

    Args:
        eigenvalues: the curvatures ``λ_i >= 0`` (the Hessian's eigenvalues).
        learning_rate: ``η > 0``.
        momentum: ``μ`` in ``[0, 1)``.
        nesterov: Nesterov's form (no effect when ``momentum`` is 0).

    Returns:
        ``ρ_i`` for each eigenvalue, an array of the same length.

    Raises:
        ValueError: a negative or non-finite eigenvalue, ``learning_rate <= 0``,
            or ``momentum`` outside ``[0, 1)``.

    Example::

        >>> contraction_factors([0.5, 1.0, 3.0], learning_rate=1.0).tolist()
        [0.5, 0.0, 2.0]
        >>> contraction_factors([1.0], learning_rate=0.5, momentum=0.81).round(3).tolist()
        [0.9]
    """
    lam = np.asarray(eigenvalues, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(lam)) or np.any(lam < 0):
        raise ValueError(f"eigenvalues must be finite and >= 0, got {lam.tolist()}")
    eta = check_number("learning_rate", learning_rate, low=0.0, low_open=True)
    mu = check_number("momentum", momentum, low=0.0, high=1.0)
    a = eta * lam
    if mu == 0:
        return np.abs(1 - a)
    if nesterov:
        trace, det = (1 + mu) * (1 - a), mu * (1 - a)
    else:
        trace, det = 1 + mu - a, np.full_like(a, mu)
    # roots of r² − trace·r + det = 0
    root = np.sqrt((trace**2 - 4 * det).astype(np.complex128))
    return np.maximum(np.abs((trace + root) / 2), np.abs((trace - root) / 2))


def optimal_gradient_descent(lam_min: float, lam_max: float) -> Tuning:
    """The learning rate that minimizes gradient descent's worst factor, ``max_i |1 − ηλ_i|``.

    ``η* = 2 / (λ_min + λ_max)``, which balances the flattest and the steepest
    direction, ``1 − η*λ_min = −(1 − η*λ_max)``, at the factor
    ``(κ − 1) / (κ + 1)`` with ``κ = λ_max / λ_min``. About ``κ/2`` steps divide
    the error by ``e``.

    Args:
        lam_min: the smallest curvature (Hessian eigenvalue), > 0.
        lam_max: the largest, >= ``lam_min``.

    Returns:
        A :class:`Tuning` with ``momentum=0``.

    Raises:
        ValueError: a curvature that is not a finite number > 0, or ``lam_max < lam_min``.

    Example::

        >>> optimal_gradient_descent(1.0, 3.0)
        Tuning(learning_rate=0.5, momentum=0.0, rate=0.5)
    """
    lam_min, lam_max = _check_curvatures(lam_min, lam_max)
    kappa = lam_max / lam_min
    return Tuning(2 / (lam_min + lam_max), 0.0, (kappa - 1) / (kappa + 1))


def optimal_heavy_ball(lam_min: float, lam_max: float) -> Tuning:
    """Polyak's tuning of momentum for curvatures in ``[λ_min, λ_max]``.

    ``η* = 4 / (√λ_max + √λ_min)²`` and ``μ* = ((√κ − 1) / (√κ + 1))²`` put the
    roots of every direction on the circle of radius ``√μ*``, so the worst
    factor is ``(√κ − 1) / (√κ + 1)``: about ``√κ/2`` steps divide the error by
    ``e``, ``√κ`` times fewer than gradient descent's best.

    Args:
        lam_min: the smallest curvature (Hessian eigenvalue), > 0.
        lam_max: the largest, >= ``lam_min``.

    Returns:
        A :class:`Tuning`.

    Raises:
        ValueError: a curvature that is not a finite number > 0, or ``lam_max < lam_min``.

    Example::

        >>> tuning = optimal_heavy_ball(1.0, 9.0)
        >>> tuning.learning_rate, tuning.momentum, tuning.rate
        (0.25, 0.25, 0.5)
    """
    lam_min, lam_max = _check_curvatures(lam_min, lam_max)
    root_kappa = np.sqrt(lam_max / lam_min)
    rate = float((root_kappa - 1) / (root_kappa + 1))
    return Tuning(float(4 / (np.sqrt(lam_max) + np.sqrt(lam_min)) ** 2), rate**2, rate)


def quadratic_descent_errors(
    hessian: np.ndarray,
    start_error: Sequence[float] | np.ndarray,
    *,
    learning_rate: float,
    steps: int,
    momentum: float = 0.0,
    nesterov: bool = False,
) -> np.ndarray:
    """The errors ``w_t − w*`` of full-batch descent on ``J(w) = ½ (w − w*)ᵀ H (w − w*)``, in float64.

    The updates are Keras's (``g = H e``; ``v ← μv − ηg``; ``e ← e + v``, or
    ``e ← e + μv − ηg`` for Nesterov), the velocity starting at zero.

    Args:
        hessian: the symmetric ``(d, d)`` matrix ``H``.
        start_error: ``w_0 − w*``, ``d`` values.
        learning_rate: ``η > 0``.
        steps: number of updates, ``>= 1``.
        momentum: ``μ`` in ``[0, 1]``.
        nesterov: Nesterov's form.

    Returns:
        A ``(steps + 1, d)`` array: the error before the first update and after each.

    Raises:
        ValueError: ``hessian`` not a square matrix matching ``start_error``, or a bad
            ``learning_rate``, ``steps`` or ``momentum``.

    Example::

        >>> quadratic_descent_errors(np.eye(1), [1.0], learning_rate=0.5, steps=2).ravel().tolist()
        [1.0, 0.5, 0.25]
    """
    h = np.asarray(hessian, dtype=np.float64)
    e = np.asarray(start_error, dtype=np.float64).reshape(-1).copy()
    if h.ndim != 2 or h.shape != (len(e), len(e)):
        raise ValueError(f"hessian must be a ({len(e)}, {len(e)}) matrix to match start_error, got shape {h.shape}")
    eta = check_number("learning_rate", learning_rate, low=0.0, low_open=True)
    steps = check_int("steps", steps)
    mu = check_number("momentum", momentum, low=0.0, high=1.0, high_open=False)
    v = np.zeros_like(e)
    errors = [e.copy()]
    for _ in range(steps):
        g = h @ e
        v = mu * v - eta * g
        e = e + (mu * v - eta * g if nesterov else v)
        errors.append(e.copy())
    return np.array(errors)


def measured_contraction(errors: np.ndarray, *, start: int, stop: int) -> float:
    """The per-step factor read off a run: ``exp`` of the slope of ``log ‖e_t‖`` over steps ``start..stop``.

    A least-squares line through ``log ‖e_t‖`` averages over the oscillation of
    a spiralling error (complex roots), which a ratio of two single steps would not.

    Args:
        errors: ``(steps + 1, d)`` errors (or ``(steps + 1,)`` norms), as
            :func:`quadratic_descent_errors` returns.
        start, stop: the first and last step of the fit, ``0 <= start < stop < len(errors)``.

    Raises:
        ValueError: a window outside the run, or a zero or non-finite error in it.

    Example::

        >>> round(measured_contraction(0.9 ** np.arange(20), start=5, stop=15), 6)
        0.9
    """
    errors = np.asarray(errors, dtype=np.float64)
    norms = np.linalg.norm(errors.reshape(len(errors), -1), axis=1)
    start = check_int("start", start, minimum=0)
    stop = check_int("stop", stop, minimum=start + 1, maximum=len(norms) - 1)
    window = norms[start : stop + 1]
    if not np.all(np.isfinite(window)) or np.any(window <= 0):
        raise ValueError("errors must be finite and nonzero over the window start..stop")
    slope = np.polyfit(np.arange(start, stop + 1), np.log(window), 1)[0]
    return float(np.exp(slope))


def velocity_from_gradients(
    gradients: Sequence[np.ndarray] | np.ndarray, *, learning_rate: float, momentum: float,
) -> np.ndarray:
    """The velocity as a leaky sum of past gradients: ``v_t = −η Σ_{k<t} μ^(t−1−k) g_k``.

    Unrolling ``v ← μv − ηg`` from ``v_0 = 0`` gives this sum: the latest
    gradient counts fully, one ``k`` steps older ``μ^k`` times. Written as
    ``−η/(1 − μ) · ĝ`` with ``ĝ = (1 − μ) Σ μ^(t−1−k) g_k``, ``ĝ`` is an
    exponentially weighted average of the gradients (its weights sum to
    ``1 − μ^t``), and ``η/(1 − μ)`` is the effective learning rate: a gradient
    that stays the same is followed with steps ``1/(1 − μ)`` times larger than
    plain gradient descent's, while gradients that flip sign cancel.

    Args:
        gradients: ``g_0, …, g_{t−1}``, oldest first (an array of shape ``(t, ...)``).
        learning_rate: ``η > 0``, constant.
        momentum: ``μ`` in ``[0, 1]``.

    Returns:
        ``v_t``, the shape of one gradient.

    Raises:
        ValueError: no gradients, a bad ``learning_rate`` or ``momentum``.

    Example::

        >>> velocity_from_gradients(np.ones((50, 1)), learning_rate=0.1, momentum=0.8).round(4).tolist()
        [-0.5]
    """
    g = np.asarray(gradients, dtype=np.float64)
    if g.ndim == 0 or len(g) == 0:
        raise ValueError("gradients must hold at least one gradient")
    eta = check_number("learning_rate", learning_rate, low=0.0, low_open=True)
    mu = check_number("momentum", momentum, low=0.0, high=1.0, high_open=False)
    weights = mu ** np.arange(len(g) - 1, -1, -1)  # μ^(t−1−k) for k = 0..t−1
    return -eta * np.tensordot(weights, g, axes=1)
