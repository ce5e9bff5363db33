"""What the book presents as the source article's is the article's, verbatim.

The book quotes the article it follows in two ways (see chapters/intro.md):

* a code block presented as the article's has the marker ``<!-- article -->`` on the line
  right above its fence, and is the article's code, verbatim;
* a quoted sentence or line is written in corner brackets, ``「…」``, and is verbatim too
  (an ellipsis ``…`` inside the brackets marks words left out).

Both are checked against the article's text, ``<repository>/../shared/source/article-zh.txt``,
with whitespace normalized (a line break inside a quoted Chinese sentence is not a
difference). Where the article is not beside the checkout the tests skip, saying so. The
rules that do not need the article (no unmarked block presented as the article's, no marker
without a block) always run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = ROOT.parent / "shared" / "source" / "article-zh.txt"
CHAPTERS = ROOT / "chapters"

MARKER = "<!-- article -->"
#: A fenced block: its opening fence (``` or ~~~, three or more), the info string, the body, the same fence.
FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})[^\n]*\n(?P<body>.*?)\n(?P=fence)[ \t]*$", re.M | re.S)
QUOTE = re.compile(r"「(?P<text>[^」]*)」")
ELLIPSIS = re.compile(r"…+|\.\.\.")
#: A sentence that presents what follows as the article's: it names the article and ends with a colon...
ABOUT_THE_ARTICLE = re.compile(r"\barticle\b[^:]*:\s*$", re.I)
#: ...unless it says that what follows is the book's own (a fix, a port, our version).
THE_BOOKS_OWN = re.compile(r"\b(our|ours|book'?s|fix|fixed|corrected|correction|port|ported|instead)\b", re.I)
#: Characters between which whitespace is not significant (CJK, full-width punctuation, corner brackets).
_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"


def normalize(text: str) -> str:
    """Collapse runs of whitespace to one space, and drop the spaces next to a CJK character."""
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(rf"(?<=[{_CJK}]) | (?=[{_CJK}])", "", text)


def pages() -> dict[str, str]:
    """The Markdown of every page of the book: the notebooks' Markdown cells, and the ``.md`` pages."""
    texts = {}
    for path in sorted(CHAPTERS.rglob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        texts[path.name] = "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    for path in sorted(CHAPTERS.glob("*.md")):
        texts[path.name] = path.read_text(encoding="utf-8")
    return texts


def code_sources() -> dict[str, str]:
    """The code cells of every notebook (a comment or a string can quote the article too)."""
    return {path.name: "\n\n".join("".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
                                    if c["cell_type"] == "code")
            for path in sorted(CHAPTERS.rglob("*.ipynb"))}


def marked_blocks(markdown: str) -> list[str]:
    """The bodies of the fenced blocks with the article marker on the line right above them."""
    return [m["body"] for m in FENCE.finditer(markdown) if _marked(markdown, m.start())]


def _marked(markdown: str, start: int) -> bool:
    before = markdown[:start].rstrip("\n").rsplit("\n", 1)[-1]
    return before.strip() == MARKER


def unmarked_blocks_announced_as_the_article(markdown: str) -> list[str]:
    """Unmarked fenced blocks right after a sentence that presents the article's code ("The article's code:")."""
    found = []
    for m in FENCE.finditer(markdown):
        if _marked(markdown, m.start()):
            continue
        paragraph = " ".join(markdown[:m.start()].rstrip().rsplit("\n\n", 1)[-1].split())
        last_sentence = re.split(r"(?<=[.!?])\s+", paragraph)[-1]
        if ABOUT_THE_ARTICLE.search(last_sentence) and not THE_BOOKS_OWN.search(last_sentence):
            found.append(m["body"])
    return found


def dangling_markers(markdown: str) -> int:
    """How many markers are not followed, on the next line, by a fence."""
    return len(re.findall(rf"{re.escape(MARKER)}[ \t]*\n(?![ \t]*(?:`{{3,}}|~{{3,}}))", markdown + "\n"))


def quotes(markdown: str) -> list[str]:
    """Every ``「…」`` quote of a text, fenced blocks included."""
    return [m["text"] for m in QUOTE.finditer(markdown)]


def appears_in(quote: str, article: str) -> bool:
    """Whether ``quote`` is in the normalized ``article``; parts cut by an ellipsis must appear in order."""
    position = 0
    for part in (normalize(p) for p in ELLIPSIS.split(quote)):
        if not part:
            continue
        position = article.find(part, position)
        if position < 0:
            return False
        position += len(part)
    return True


def article_code_blocks(article_text: str) -> list[str]:
    """The article's own code blocks, in its order."""
    return [m["body"] for m in FENCE.finditer(article_text)]


@pytest.fixture(scope="module")
def article() -> str:
    if not ARTICLE.is_file():
        pytest.skip(f"the source article is not beside this checkout ({ARTICLE.relative_to(ROOT.parent)} "
                    "is missing): the quotes cannot be checked against it")
    return ARTICLE.read_text(encoding="utf-8")


# --- the rules, on made-up pages -------------------------------------------------------------

def test_normalize_ignores_line_breaks_and_spaces_next_to_chinese():
    assert normalize("正则化可以防止\n  模型过拟合") == "正则化可以防止模型过拟合"
    assert normalize("L2 正则化") == normalize("L2正则化") == "L2正则化"
    assert normalize("def f(x):\n    return x") == "def f(x): return x"


def test_markers_blocks_quotes_and_ellipses_are_found():
    page = ("The article's code:\n\n<!-- article -->\n```python\nx = 1\n```\n\n"
            "Ours:\n\n```python\ny = 2\n```\n\nIt says 「甲乙丙」 and 「甲…丁」.")
    assert marked_blocks(page) == ["x = 1"]
    assert unmarked_blocks_announced_as_the_article(page) == []
    assert quotes(page) == ["甲乙丙", "甲…丁"]
    assert appears_in("甲…丁", "甲乙丙丁") and not appears_in("丁…甲", "甲乙丙丁")


def test_an_unmarked_block_after_the_articles_code_is_caught():
    for announcement in ("The article's code:", "In the article's program the step reads:",
                         "The article then writes:", "It trains. The model, as in the article's\ncode:",
                         "The article loads MNIST with Keras and scales the pixels:"):
        assert unmarked_blocks_announced_as_the_article(f"{announcement}\n\n```python\nx = 1\n```") == ["x = 1"]
    for announcement in ("The book's version:", "The article's line, fixed:", "Our port of the article's line:"):
        assert unmarked_blocks_announced_as_the_article(f"{announcement}\n\n```python\nx = 1\n```") == []


def test_a_marker_without_a_block_is_caught():
    assert dangling_markers("<!-- article -->\n```python\nx\n```") == 0
    assert dangling_markers("<!-- article -->\nThe article says so.") == 1


# --- the book ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(pages()))
def test_no_block_is_presented_as_the_articles_without_the_marker(name):
    markdown = pages()[name]
    unmarked = unmarked_blocks_announced_as_the_article(markdown)
    assert not unmarked, (f"{name}: a code block right after a sentence presenting the article's code has no "
                          f"{MARKER} marker on the line above its fence: {unmarked[0][:120]!r}")
    assert dangling_markers(markdown) == 0, f"{name}: a {MARKER} marker is not followed by a fenced block"


@pytest.mark.parametrize("name", sorted(pages()))
def test_every_marked_block_is_the_articles_code_verbatim(name, article):
    text = normalize(article)
    wrong = [block for block in marked_blocks(pages()[name]) if normalize(block) not in text]
    assert not wrong, f"{name}: blocks marked as the article's that the article does not contain: {wrong}"


@pytest.mark.parametrize("name", sorted(pages()))
def test_every_corner_bracket_quote_is_verbatim(name, article):
    text = normalize(article)
    found = quotes(pages()[name]) + quotes(code_sources().get(name, ""))
    wrong = [q for q in found if not appears_in(q, text)]
    assert not wrong, f"{name}: 「…」 quotes that are not in the article verbatim: {wrong}"


def test_chapter_4_quotes_every_block_of_the_articles_code_in_order(article):
    ours = [normalize(b) for b in marked_blocks(pages()["04_code_examples.ipynb"])]
    theirs = [normalize(b) for b in article_code_blocks(article)]
    assert theirs, "the article's code blocks were not found"
    assert ours == theirs, "chapter 4 must quote each of the article's code blocks once, in the article's order"


def test_chapter_6_asks_the_articles_questions_in_order(article):
    asked = [normalize(q) for q in re.findall(r"^### Q：(.+)$", article, re.M)]
    assert len(asked) == 5
    headings = [line for line in pages()["06_faq.ipynb"].splitlines() if line.startswith("### ")]
    quoted = [normalize(q) for h in headings for q in quotes(h)]
    assert [q for q in quoted if q in asked] == asked, "chapter 6 must quote the article's five questions in order"


def test_every_erratum_quotes_the_article():
    entries = re.split(r"^\d+\. ", pages()["errata.md"], flags=re.M)[1:]
    assert entries, "the errata page lists no entry"
    missing = [e.split("\n", 1)[0][:80] for e in entries if not quotes(e)]
    assert not missing, f"errata entries without a 「…」 quote of the article: {missing}"
