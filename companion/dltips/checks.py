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
from collections.abc import Sequence
from typing import Any

__all__ = ["check_choice", "check_int", "check_number", "check_numbers", "check_rate", "check_sizes"]


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

    Returns:
        ``value`` as a ``float``.

    Raises:
        ValueError: ``value`` is not a finite number in range (a bool or a string included).

    Example::

        >>> check_number("momentum", 0.9, low=0.0, high=1.0, high_open=False)
        0.9
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

    Args:
        name: the argument's name, for the message.
        value: what was passed.
        minimum, maximum: the accepted range, both included (``maximum=None``: no upper bound).

    Returns:
        ``value`` as an ``int``.

    Raises:
        ValueError: ``value`` is not an integer in range (a bool, a float or a string included).

    Example::

        >>> check_int("batch_size", 32)
        32
    """
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    ok = ok and value >= minimum and (maximum is None or value <= maximum)
    if not ok:
        accepted = f">= {minimum}" if maximum is None else f"in {minimum}..{maximum}"
        raise ValueError(f"{name} must be an integer {accepted}, got {value!r}")
    return int(value)


def check_rate(name: str, value: Any) -> float:
    """A dropout-like rate: a number in ``[0, 1)``.

    Args:
        name: the argument's name, for the message.
        value: what was passed.

    Returns:
        ``value`` as a ``float``.

    Raises:
        ValueError: ``value`` is not a finite number in ``[0, 1)``.

    Example::

        >>> check_rate("dropout", 0.5)
        0.5
    """
    return check_number(name, value, low=0.0, high=1.0, high_open=True)


def _items(name: str, values: Any, what: str) -> list[Any]:
    # Any sized iterable (a list, a tuple, a NumPy array), but not a string.
    if isinstance(values, (str, bytes)) or not (hasattr(values, "__iter__") and hasattr(values, "__len__")):
        raise ValueError(f"{name} must be a sequence of {what}, got {values!r}")
    return list(values)


def check_sizes(name: str, values: Any, *, minimum: int = 1, allow_empty: bool = True) -> tuple[int, ...]:
    """A sequence of integers >= ``minimum`` (layer sizes, for example), as a tuple.

    Args:
        name: the argument's name, for the message.
        values: a list, tuple or array (not a string).
        minimum: the least accepted value of each item.
        allow_empty: whether an empty sequence is accepted.

    Returns:
        The items as a tuple of ``int``.

    Raises:
        ValueError: ``values`` is not a sequence, is empty where it must not be, or holds
            an item that is not an integer >= ``minimum``.

    Example::

        >>> check_sizes("hidden", [128, 64])
        (128, 64)
        >>> check_sizes("hidden", (64, 0))
        Traceback (most recent call last):
        ...
        ValueError: hidden must be an integer >= 1, got 0
    """
    items = _items(name, values, f"integers >= {minimum}")
    if not items and not allow_empty:
        raise ValueError(f"{name} must hold at least one value")
    return tuple(check_int(name, v, minimum=minimum) for v in items)


def check_numbers(
    name: str,
    values: Any,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = True,
    length: int | None = None,
) -> tuple[float, ...]:
    """A non-empty sequence of finite numbers in a range (and of ``length`` items if given), as a tuple of floats.

    Args:
        name: the argument's name, for the message.
        values: a list, tuple or array (not a string).
        low, high, low_open, high_open: the range of each item, as for :func:`check_number`.
        length: the number of items required, or ``None`` for any number but zero.

    Returns:
        The items as a tuple of ``float``.

    Raises:
        ValueError: ``values`` is not a sequence, has the wrong number of items, or holds
            an item that is not a finite number in range.

    Example::

        >>> check_numbers("size", (3.6, 2.8), low=0.0, low_open=True, length=2)
        (3.6, 2.8)
        >>> check_numbers("temperatures", [1, -2], low=0.0, low_open=True)
        Traceback (most recent call last):
        ...
        ValueError: temperatures must be a number in (0.0, inf), got -2.0
    """
    items = _items(name, values, "numbers")
    if not items or (length is not None and len(items) != length):
        expected = f"{length} numbers" if length is not None else "at least one number"
        raise ValueError(f"{name} must hold {expected}, got {values!r}")
    return tuple(check_number(name, v, low=low, high=high, low_open=low_open, high_open=high_open) for v in items)


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """One of a fixed set of options, spelled exactly (a string option such as ``norm="l1"``).

    Args:
        name: the argument's name, for the message.
        value: what was given.
        choices: the accepted strings, in the order the message lists them.

    Returns:
        ``value``, unchanged.

    Raises:
        ValueError: ``value`` is not one of ``choices`` (another case, another type, a typo);
            the message lists them.

    Example::

        >>> check_choice("norm", "l1", ("l1", "l2"))
        'l1'
        >>> check_choice("norm", "L1", ("l1", "l2"))
        Traceback (most recent call last):
        ...
        ValueError: norm must be 'l1' or 'l2', got 'L1'
        >>> check_choice("scaling", None, ("strong", "weak", "none"))
        Traceback (most recent call last):
        ...
        ValueError: scaling must be one of 'strong', 'weak' or 'none', got None
    """
    options = [repr(c) for c in choices]
    if not options:
        raise ValueError(f"{name}: no choice to check against")
    if not isinstance(value, str) or value not in choices:
        listed = options[0] if len(options) == 1 else f"{', '.join(options[:-1])} or {options[-1]}"
        prefix = "" if len(options) == 2 else "one of "
        raise ValueError(f"{name} must be {prefix}{listed}, got {value!r}")
    return value
