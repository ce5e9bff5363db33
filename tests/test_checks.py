"""dltips.checks: every argument check refuses strings, booleans, NaN and out-of-range values, naming the argument."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dltips import checks


@pytest.mark.parametrize("bad", ["0.1", True, math.nan, math.inf, None, [0.1], -0.1, 0.0])
def test_check_number_refuses_what_is_not_a_number_in_range(bad):
    with pytest.raises(ValueError, match=r"^learning_rate must be a number in \(0.0, inf\)"):
        checks.check_number("learning_rate", bad, low=0.0, low_open=True)


def test_check_number_accepts_numpy_numbers_and_returns_a_float():
    assert checks.check_number("x", np.float32(0.5), low=0.0) == 0.5
    assert type(checks.check_number("x", np.int64(2))) is float
    assert checks.check_number("momentum", 1.0, low=0.0, high=1.0, high_open=False) == 1.0
    with pytest.raises(ValueError, match=r"momentum must be a number in \[0.0, 1.0\]"):
        checks.check_number("momentum", 2.0, low=0.0, high=1.0, high_open=False)


@pytest.mark.parametrize("bad", [0, -1, 2.0, 2.5, "3", True, None])
def test_check_int_refuses_non_integers_and_small_values(bad):
    with pytest.raises(ValueError, match=r"^epochs must be an integer >= 1"):
        checks.check_int("epochs", bad)


def test_check_int_with_a_maximum_and_numpy_integers():
    assert checks.check_int("n", np.int32(5), maximum=10) == 5
    with pytest.raises(ValueError, match=r"n must be an integer in 1\.\.10, got 11"):
        checks.check_int("n", 11, maximum=10)


def test_check_rate_is_half_open():
    assert checks.check_rate("dropout", 0.0) == 0.0
    with pytest.raises(ValueError, match=r"dropout must be a number in \[0.0, 1.0\)"):
        checks.check_rate("dropout", 1.0)
