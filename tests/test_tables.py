"""dltips.tables: one formatter, two styles, every number written the same way."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dltips import tables


def test_markdown_right_aligns_numeric_columns_and_formats_numbers():
    text = tables.format_table([["mlp", 101770, 0.97834, None]], ["model", "params", "accuracy", "loss"])
    assert text.splitlines() == [
        "| model | params | accuracy | loss |",
        "| --- | ---: | ---: | ---: |",
        "| mlp | 101,770 | 0.9783 | n/a |",
    ]


def test_text_style_aligns_text_left_and_numbers_right():
    rows = [{"run": "a", "loss": 0.25}, {"run": "bb", "loss": 1.5}]
    assert tables.format_table(rows, style="text").splitlines() == ["run  loss", "---  ----", "a    0.25", "bb    1.5"]


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "n/a"), (math.nan, "n/a"), (math.inf, "inf"), (12345, "12,345"), (np.int64(7), "7"),
     (np.float32(0.5), "0.5"), (123456.7, "123,457"), (True, "True"), ("L2", "L2")],
)
def test_format_value(value, text):
    assert tables.format_value(value) == text


def test_bad_tables_are_refused():
    with pytest.raises(ValueError, match="3 cells"):
        tables.format_table([[1, 2]], ["a", "b", "c"])
    with pytest.raises(ValueError, match="headers"):
        tables.format_table([[1, 2]])
    with pytest.raises(ValueError, match="style"):
        tables.format_table([{"a": 1}], style="html")
