"""The slide decks (tools/slides.py): what each section page marks for slides, and how a deck is made.

The decks themselves are opened in headless Chromium by tests/test_book_html.py, on the built book.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import slides  # noqa: E402
from student_edition import solution_cells  # noqa: E402

PAGES = slides.section_pages()
BIBLIOGRAPHY = slides.read_bibliography()


def _cells(page: str) -> list[dict]:
    return json.loads((ROOT / f"{page}.ipynb").read_text(encoding="utf-8"))["cells"]


def _marked(page: str) -> list[tuple[int, dict]]:
    return [(i, c) for i, c in enumerate(_cells(page)) if slides.slide_type(c) is not None]


def test_the_decks_are_chapter_3s_five_section_pages():
    assert [Path(p).name for p in PAGES] == ["regularization", "schedules", "descent", "parallel", "distillation"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: Path(p).name)
def test_each_deck_has_a_title_formula_figure_result_exercise_and_key_points(page):
    marked = _marked(page)
    cells = _cells(page)
    first, kinds = marked[0], [slides.slide_type(c) for _, c in marked]
    text = ["".join(c["source"]) for _, c in marked if c["cell_type"] == "markdown"]
    assert first[0] == 0 and kinds[0] == "slide", "the deck opens with the page's title cell"
    assert any("$" in t for t in text), "no formula on the slides"
    assert any(c.get("metadata", {}).get("mystnb", {}).get("figure") for _, c in marked), "no figure"
    assert any("{exercise}" in t for t in text), "no exercise"
    assert text[-1].startswith("## Key points"), "the deck ends with the key points"
    assert 8 <= kinds.count("slide") + kinds.count("subslide") <= 15, "a lecture's worth of slides"
    solutions = solution_cells(cells)
    assert not [i for i, _ in marked if i in solutions], "a solution is on a slide"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: Path(p).name)
def test_the_marked_markdown_keeps_no_myst_syntax(page):
    cells = _cells(page)
    titles = slides.headings(cells)
    for index, cell in _marked(page):
        if cell["cell_type"] != "markdown":
            continue
        text = slides.deck_markdown("".join(cell["source"]), BIBLIOGRAPHY, titles)
        leftovers = re.findall(r"\{[\w:-]+\}`|^:{3,}|^`{3,}\{|^\([\w-]+\)=|<!--|^:label:", text, re.M)
        assert not leftovers, f"cell {index}: {leftovers}"


def test_deck_markdown_makes_myst_plain():
    text = (
        "(sec-a)=\n## A title\n\n<!-- a comment -->\nAs {numref}`fig-x` and {numref}`Table %s <tbl-y>` show "
        "{cite}`hinton2015distilling`, see {ref}`sec-a` and {doc}`../performance`.\n\n"
        ":::{exercise} Soft targets\n:label: ex-a\n\nCompute $p$.\n:::\n"
    )
    assert slides.deck_markdown(text, BIBLIOGRAPHY, {"sec-a": "A title"}) == (
        "## A title\n\nAs the figure and Table show (Hinton et al. 2015), see A title and the performance page."
        "\n\n**Exercise: Soft targets.** Compute $p$."
    )


def test_admonitions_keep_their_title_and_lose_their_options():
    text = "```{admonition} Errata: squared\n:class: warning\nThe norm is squared.\n```\n"
    assert slides.deck_markdown(text, BIBLIOGRAPHY) == "**Errata: squared.** The norm is squared."


def test_an_unknown_citation_key_is_named():
    with pytest.raises(KeyError, match="nosuchkey2099"):
        slides.deck_markdown("{cite}`nosuchkey2099`", BIBLIOGRAPHY)


def test_an_unknown_slide_type_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="'slides'.*slide, subslide"):
        slides.slide_type({"metadata": {"slideshow": {"slide_type": "slides"}}})
    assert slides.slide_type({"metadata": {"slideshow": {"slide_type": "skip"}}}) is None
    assert slides.slide_type({"metadata": {}}) is None


def _notebook() -> dict:
    png = {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}, "metadata": {}}
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title\n\nIntro.", metadata={"slideshow": {"slide_type": "slide"}}),
        nbformat.v4.new_markdown_cell("Not on a slide."),
        nbformat.v4.new_code_cell("plot()", outputs=[nbformat.from_dict(png)], metadata={
            "slideshow": {"slide_type": "subslide"},
            "mystnb": {"figure": {"caption": "A curve, as {cite}`hinton2015distilling`.", "name": "fig-a"}}}),
        nbformat.v4.new_code_cell("x = 1", outputs=[]),
    ])


def test_a_deck_keeps_only_the_marked_cells_and_the_figures_caption():
    deck = slides.deck(_notebook(), BIBLIOGRAPHY)
    assert [c.cell_type for c in deck.cells] == ["markdown", "code", "markdown"]
    assert [c.metadata["slideshow"]["slide_type"] for c in deck.cells] == ["slide", "subslide", "-"]
    assert "A curve, as (Hinton et al. 2015)." in deck.cells[2].source
    html = slides.render(deck, "Title")
    assert html.count("<section") >= 2 and "Not on a slide" not in html and "plot()" not in html
    assert "require(" not in html and "jquery" not in html.lower()  # reveal.js as plain scripts
    assert "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js" in html


def test_a_marked_code_cell_without_output_is_refused():
    notebook = _notebook()
    notebook.cells[3].metadata["slideshow"] = {"slide_type": "slide"}
    with pytest.raises(ValueError, match="cell 3 is marked for slides but has no output"):
        slides.deck(notebook, BIBLIOGRAPHY)


def test_without_an_execution_cache_it_says_to_build_the_book(tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match="make book"):
        slides.executed(PAGES[0], cache=tmp_path / "none")
    assert slides.main([str(tmp_path / "out"), "--cache", str(tmp_path / "none")]) == 1
    assert "slides: no execution cache" in capsys.readouterr().err  # one line, no traceback
    assert not list((tmp_path / "out").glob("*.html"))
