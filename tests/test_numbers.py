"""Every number the book's prose states is computed by a cell of its section, recorded, cited or allowed.

The check itself is tools/check_numbers.py; on the built book (marker `book`) it reads the
outputs the build executed. The rules are tested here on small made-up pages.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import check_numbers  # noqa: E402


def _md(text: str) -> dict:
    return {"cell_type": "markdown", "source": text, "metadata": {}}


def _code(output: str) -> dict:
    return {"cell_type": "code", "source": "print(...)", "metadata": {},
            "outputs": [{"output_type": "stream", "name": "stdout", "text": output}]}


def _unbacked(cells: list[dict], allowed: dict | None = None) -> list[str]:
    return [u.number for u in check_numbers.check("page", cells, allowed or {})]


def test_a_number_printed_in_the_same_section_backs_the_prose_as_printed_or_rounded():
    cells = [_md("## Results\n\nThe model reaches 97.3 % (0.97) on 1,286 errors."), _code("accuracy 0.9734, errors 1286")]
    assert _unbacked(cells) == []


def test_a_number_no_cell_prints_is_reported_and_another_section_does_not_back_it():
    cells = [_md("## One\n\nIt ran in 95.6 % of the cases."), _code("0.956"),
             _md("## Two\n\nAnd here 95.6 % again, and 41 epochs."), _code("nothing")]
    assert _unbacked(cells) == ["95.6", "41"]


def test_cited_and_recorded_sentences_and_the_allow_list_need_no_cell():
    cells = [_md("## S\n\nThe paper reports 74 errors {cite}`hinton2015`. The recorded run gave 81 errors "
                 "(`python -m benchmarks`). Python 3.10 or newer. Two workers, 7 panels.")]
    assert _unbacked(cells, {"page": {"3.10": "the oldest Python"}}) == []


def test_code_math_links_and_labels_are_not_prose():
    cells = [_md("(sec-x)=\n## S\n\nUse `SGD(learning_rate=0.01)` with $\\alpha_0 = 0.5$, see [that page](p.md#s-17).\n\n"
                 "```python\nx = 1234\n```\n\n:::{exercise}\n:label: ex-99\n:::")]
    assert _unbacked(cells) == []


def test_a_number_inside_a_quotation_of_the_article_is_the_articles():
    cells = [_md("## S\n\nThe article sets 「学习率设为0.01」 (a rate of 0.01), then 「epochs=10」.")]
    assert _unbacked(cells) == ["0.01"]


@pytest.mark.book
@pytest.mark.parametrize("page", check_numbers.pages(), ids=lambda p: p.stem)
def test_every_number_of_the_built_book_is_backed(page, built_html):
    cells = check_numbers.markdown_page(page) if page.suffix == ".md" else check_numbers.executed_from_cache(page)
    unbacked = check_numbers.check(page.stem, cells, check_numbers.load_allowed())
    assert not unbacked, "numbers no cell computes, no recording or citation backs:\n" + "\n".join(map(str, unbacked))


@pytest.fixture(scope="session")
def built_html() -> Path:
    html = ROOT / "_build" / "html"
    if not (html / "index.html").is_file():
        pytest.fail("the book is not built: run `make book` (make test does) before the `book` tests")
    return html
