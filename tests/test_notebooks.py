"""The book's structure: every page in _toc.yml exists, imports dltips, and is stored without outputs.

Chapter 3 is a chapter page with its five techniques as section pages under it
(``chapters/03_algorithms/``); each section page stands alone: its own install and set-up cells,
its own exercises and key points.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import book_pages  # noqa: E402

CHAPTERS = [
    ("01_background", "背景介绍"),
    ("02_core_concepts", "核心概念与联系"),
    ("03_algorithms", "核心算法原理和具体操作步骤以及数学模型公式详细讲解"),
    ("04_code_examples", "具体代码实例和详细解释说明"),
    ("05_future_trends", "未来发展趋势与挑战"),
    ("06_faq", "附录常见问题与解答"),
]
#: Chapter 3's section pages, one per technique, in the order of the article.
SECTIONS = ["regularization", "schedules", "descent", "parallel", "distillation"]
SECTION_PAGES = [f"03_algorithms/{name}" for name in SECTIONS]
#: A page reads in under about 25 minutes: at most this many words of prose (code, math, tables and directives left out).
MAX_WORDS = 5000
NOTEBOOKS = book_pages.notebooks()


def _notebook(name: str) -> dict:
    return json.loads((ROOT / "chapters" / f"{name}.ipynb").read_text(encoding="utf-8"))


def test_toc_lists_the_six_chapters_in_order_and_chapter_3s_sections_under_it():
    # The six numbered chapters, in order; back-matter pages (performance, API, ...) may follow.
    toc = book_pages.toc_files()
    chapters = [f for f in toc if Path(f).name[:2].isdigit()]
    assert chapters == [f"chapters/{stem}" for stem, _ in CHAPTERS]
    start = toc.index("chapters/03_algorithms")
    assert toc[start + 1:start + 1 + len(SECTIONS)] == [f"chapters/{p}" for p in SECTION_PAGES]
    for f in toc:
        assert (ROOT / f"{f}.ipynb").exists() or (ROOT / f"{f}.md").exists(), f"{f} in _toc.yml does not exist"
    listed = {f"{f}.ipynb" for f in toc}
    unlisted = [p.relative_to(ROOT).as_posix() for p in NOTEBOOKS if p.relative_to(ROOT).as_posix() not in listed]
    assert not unlisted, f"notebooks the table of contents does not list: {unlisted}"


def _code(nb: dict) -> list[str]:
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def _check_install_and_setup(name: str, nb: dict) -> None:
    code = _code(nb)
    # The first code cell installs dltips where it is missing (tests/test_install_cell.py); the set-up follows.
    assert len(code) > 1 and "DLTIPS_INSTALL" in code[0], f"{name}: the first code cell must be the install cell"
    assert "import dltips" in code[1], f"{name}: the set-up cell after it must import dltips"
    assert "dltips.configure(seed=" in code[1], f"{name}: the set-up cell must seed the run"


@pytest.mark.parametrize(("stem", "heading"), CHAPTERS)
def test_chapter_has_title_original_heading_and_imports_dltips(stem, heading):
    nb = _notebook(stem)
    first = "".join(nb["cells"][0]["source"])
    assert nb["cells"][0]["cell_type"] == "markdown" and first.startswith("# ")
    assert heading in first, f"{stem} must show its original heading {heading!r} under the title"
    _check_install_and_setup(stem, nb)


@pytest.mark.parametrize("name", SECTION_PAGES)
def test_each_section_page_stands_alone(name):
    nb = _notebook(name)
    first = "".join(nb["cells"][0]["source"])
    label = f"(sec-{Path(name).name})="
    assert nb["cells"][0]["cell_type"] == "markdown" and first.startswith(label + "\n# "), \
        f"{name}: starts with its label {label} and its title"
    _check_install_and_setup(name, nb)
    # No section reads a variable another page defines: every page runs in a fresh kernel, and the
    # prefixes that once kept five sections apart in one kernel are gone.
    code = "\n".join(_code(nb))
    prefixed = sorted(set(re.findall(r"\b(?:reg|lr|par|kd|kdx|REG|LR|PAR|KD)_[A-Za-z0-9_]+\b", code)))
    assert not prefixed, f"{name}: names with another section's prefix: {prefixed}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: book_pages.page_name(p))
def test_notebook_is_stored_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = [i for i, c in enumerate(nb["cells"])
             if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, f"{path.name}: cells {dirty} hold outputs or execution counts; run `make strip`"


PAGES_WITH_KEY_POINTS = [stem for stem, _ in CHAPTERS] + SECTION_PAGES


@pytest.mark.parametrize("name", PAGES_WITH_KEY_POINTS)
def test_code_fits_the_page_column(name):
    # The rendered book's code column holds about 80 characters; longer lines scroll sideways.
    long = [(i, line) for i, c in enumerate(_notebook(name)["cells"]) if c["cell_type"] == "code"
            for line in "".join(c["source"]).splitlines() if len(line) > 80]
    assert not long, f"{name}: code lines longer than 80 characters: {long[:5]}"


@pytest.mark.parametrize("name", PAGES_WITH_KEY_POINTS)
def test_page_ends_with_its_key_points(name):
    headings = [line for c in _notebook(name)["cells"] if c["cell_type"] == "markdown"
                for line in "".join(c["source"]).splitlines() if line.startswith("## ")]
    assert headings and headings[-1] == "## Key points", f"{name}: the last section must be its Key points"


def prose_words(markdown: str) -> int:
    """The words of prose in a page's Markdown: fenced code, math, tables, HTML comments, labels and directive options left out."""
    text = re.sub(r"^(`{3,}|~{3,})(?!\{)[^\n]*\n.*?^\1\s*$", " ", markdown, flags=re.M | re.S)  # code blocks
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"\$[^$\n]+\$", " x ", text)  # inline math reads as one word
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    lines = [line for line in text.splitlines()
             if not line.lstrip().startswith(("|", ":::", "```", "(", ":label:", ":class:", ":name:", ":alt:",
                                               ":width:", ":align:", "<"))]
    return len(re.findall(r"[\w'’-]+", "\n".join(lines)))


def test_prose_words_count_prose_only():
    page = "Some words here.\n\n```python\nx = 1 + 2\n```\n\n$$a + b$$ and $x$.\n\n| a | b |\n(sec-x)=\n:::{note}\n:::"
    assert prose_words(page) == 5  # "Some words here", "and" and the inline math


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS], ids=lambda p: book_pages.page_name(p))
def test_no_page_is_longer_than_about_25_minutes_of_reading(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    words = prose_words("\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown"))
    print(f"{book_pages.page_name(path)}: {words} words of prose")
    assert words <= MAX_WORDS, f"{path.name}: {words} words of prose, more than {MAX_WORDS}"
