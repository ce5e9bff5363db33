"""Argument checks shared by every public function: a clear ``ValueError`` before any work starts.

Each check returns the value converted (a ``float`` or an ``int``) or raises a
``ValueError`` that names the argument, the accepted range and what was given.
Strings, booleans, NaN and infinities are refused even where Python would
accept them in arithmetic (``"0.1" * 2`` is ``"0.10.1"``; ``True`` is 1).

Example::

    >>> check_number("learning_rate", 0.1, low=0.0, low_open=True)
    0.1
    >>> check_number("learning_rate", "0.1", low=0.0, low_open=True)
    Traceback (most recent call last):
    ...
    ValueError: learning_rate must be a number in (0.0, inf), got '0.1'
    >>> check_int("epochs", 0, minimum=1)
    Traceback (most recent call last):
    ...
    ValueError: epochs must be an integer >= 1, got 0
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["check_int", "check_number", "check_rate"]


def check_number(
    name: str,
    value: Any,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = True,
) -> float:
    """``value`` as a finite float in the range from ``low`` to ``high``, or a ``ValueError`` naming ``name``.

    Args:
        name: the argument's name, for the message.
        value: what was passed.
        low, high: the bounds of the accepted range.
        low_open, high_open: whether each bound itself is excluded.
    """
    left, right = ("(" if low_open else "["), (")" if high_open else "]")
    accepted = f"{left}{low}, {high}{right}"
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        value = float(value)
        ok = (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
    if not ok:
        raise ValueError(f"{name} must be a number in {accepted}, got {value!r}")
    return value


def check_int(name: str, value: Any, *, minimum: int = 1, maximum: int | None = None) -> int:
    """``value`` as an ``int`` in ``minimum..maximum``, or a ``ValueError`` naming ``name``.

    Floats are refused even when whole (``2.0``): a count that arrives as a
    float is usually a bug upstream.
    """
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    ok = ok and value >= minimum and (maximum is None or value <= maximum)
    if not ok:
        accepted = f">= {minimum}" if maximum is None else f"in {minimum}..{maximum}"
        raise ValueError(f"{name} must be an integer {accepted}, got {value!r}")
    return int(value)


def check_rate(name: str, value: Any) -> float:
    """A dropout-like rate: a number in ``[0, 1)``.

    Example::

        >>> check_rate("dropout", 0.5)
        0.5
    """
    return check_number(name, value, low=0.0, high=1.0, high_open=True)
