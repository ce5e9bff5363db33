"""For ``pytest --doctest-modules companion/dltips``: each docstring example closes the figures it drew.

An example that draws a figure shows what the function returns, and most end
there, as a reader's session would. Without this, the doctests of the package
keep dozens of figures open at once (Matplotlib warns beyond 20). Not part of
the package: the wheel carries only ``companion/dltips``.
"""

from __future__ import annotations

import sys

import pytest


@pytest.fixture(autouse=True)
def close_the_figures_of_each_example():
    """After each example, close every Matplotlib figure still open."""
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
