"""Tables of results: one formatter for the book (Markdown) and the terminal (aligned text).

Every table of the package goes through :func:`format_table`, so a number is
written the same way in a chapter, in ``dltips run``'s output and in a result's
``str()``: integers with thousands separators, other numbers with ``digits``
significant digits (large ones in full, with separators), and ``n/a`` for a
number that does not exist (``None`` or NaN: a diverged loss, a target never reached).

Example::

    >>> rows = [{"model": "teacher", "errors": 169, "accuracy": 0.9831},
    ...         {"model": "student", "errors": 1286, "accuracy": 0.8714}]
    >>> print(format_table(rows, style="text"))
    model    errors  accuracy
    -------  ------  --------
    teacher     169    0.9831
    student   1,286    0.8714
    >>> print(format_table(rows))
    | model | errors | accuracy |
    | --- | ---: | ---: |
    | teacher | 169 | 0.9831 |
    | student | 1,286 | 0.8714 |
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

from dltips.checks import check_choice

__all__ = ["format_table", "format_value"]

STYLES = ("markdown", "text")


def format_value(value: Any, digits: int = 4) -> str:
    """One cell: ``n/a`` for ``None``/NaN, ``1,234`` for integers, ``digits`` significant digits for other numbers.

    Args:
        value: anything; numbers are formatted, other values shown with ``str``.
        digits: significant digits of non-integer numbers.

    Returns:
        The cell's text.

    Example::

        >>> [format_value(v) for v in (None, float("nan"), 12345, 0.123456, 98765.4, "L2", True)]
        ['n/a', 'n/a', '12,345', '0.1235', '98,765', 'L2', 'True']
    """
    if value is None:
        return "n/a"
    if isinstance(value, (bool, str)) or not isinstance(value, numbers.Number):
        return str(value)
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    value = float(value)
    if not math.isfinite(value):
        return "n/a" if math.isnan(value) else str(value)
    if abs(value) >= 10 ** digits:
        return f"{value:,.0f}"  # throughputs and counts read better as 12,345 than as 1.234e+04
    return f"{value:.{digits}g}"


def _is_number(value: Any) -> bool:
    return value is None or (isinstance(value, numbers.Number) and not isinstance(value, bool))


def format_table(
    rows: Sequence[Mapping[str, Any]] | Sequence[Sequence[Any]],
    headers: Sequence[str] | None = None,
    *,
    style: str = "markdown",
    digits: int = 4,
) -> str:
    """Rows as a table: Markdown (for ``IPython.display.Markdown`` and the book) or aligned plain text.

    Args:
        rows: mappings (column name → value; the first row's keys are the columns)
            or sequences (then ``headers`` names the columns).
        headers: the column names; taken from the rows when they are mappings.
        style: ``"markdown"`` or ``"text"`` (numbers right-aligned, text left-aligned).
        digits: significant digits of non-integer numbers.

    Returns:
        The table as one string, rows separated by newlines.

    Example::

        >>> print(format_table([{"model": "MLP", "errors": 1234, "accuracy": 0.87663}]))
        | model | errors | accuracy |
        | --- | ---: | ---: |
        | MLP | 1,234 | 0.8766 |

    Raises:
        ValueError: an unknown ``style``, sequences without ``headers``, or a row
            with another number of cells than there are columns.
    """
    check_choice("style", style, STYLES)
    if not rows and headers is None:
        return ""
    if rows and isinstance(rows[0], Mapping):
        columns = list(headers) if headers is not None else list(rows[0])
        values = [[row.get(c) for c in columns] for row in rows]  # type: ignore[union-attr]
    else:
        if headers is None:
            raise ValueError("headers must name the columns when rows are sequences")
        columns = list(headers)
        values = [list(row) for row in rows]
    for row in values:
        if len(row) != len(columns):
            raise ValueError(f"every row needs {len(columns)} cells, got {len(row)}: {row!r}")
    numeric = [bool(values) and all(_is_number(row[i]) for row in values) for i in range(len(columns))]
    cells = [[format_value(v, digits) for v in row] for row in values]
    if style == "markdown":
        lines = ["| " + " | ".join(columns) + " |", "| " + " | ".join("---:" if n else "---" for n in numeric) + " |"]
        lines += ["| " + " | ".join(row) + " |" for row in cells]
        return "\n".join(lines)
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]

    def line(texts: Sequence[str]) -> str:
        return "  ".join(t.rjust(w) if n else t.ljust(w) for t, w, n in zip(texts, widths, numeric)).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths]), *map(line, cells)])
