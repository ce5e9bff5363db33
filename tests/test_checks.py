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


@pytest.mark.parametrize("bad", ["L1", "l1 ", "", None, 1, True, ["l1"], np.str_("l3")])
def test_check_choice_refuses_anything_but_an_exact_option_and_lists_them(bad):
    with pytest.raises(ValueError, match=r"^norm must be 'l1' or 'l2', got "):
        checks.check_choice("norm", bad, ("l1", "l2"))


def test_check_choice_returns_the_option_and_lists_three_or_more():
    assert checks.check_choice("norm", "l2", ("l1", "l2")) == "l2"
    assert checks.check_choice("policy", np.str_("float32"), ("float32",)) == "float32"  # a str subclass
    with pytest.raises(ValueError, match=r"^scaling must be one of 'strong', 'weak' or 'none', got 'diagonal'$"):
        checks.check_choice("scaling", "diagonal", ("strong", "weak", "none"))
    with pytest.raises(ValueError, match="no choice"):
        checks.check_choice("norm", "l1", ())


def test_every_string_option_of_the_package_goes_through_check_choice():
    """No module spells its own "must be one of" (the message and its edge cases live in one place)."""
    import pathlib

    import dltips

    homegrown = []
    for path in pathlib.Path(dltips.__file__).parent.rglob("*.py"):
        if path.name == "checks.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "must be one of" in line and "raise ValueError" in line:
                homegrown.append(f"{path.name}:{number}")
    assert not homegrown, f"use dltips.checks.check_choice: {homegrown}"
