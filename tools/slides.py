"""Slide decks for a lecture: one reveal.js deck per section page of chapter 3.

``python tools/slides.py OUT`` (or ``make slides``, after ``make book``) writes
``OUT/<page>.slides.html`` for each section page, with nbconvert's slides exporter (Jupyter's own
slide format). A deck is made of the page's own cells that are marked for slides, with Jupyter's
standard cell metadata (``"slideshow": {"slide_type": "slide"}``, set in Jupyter's property
inspector): ``slide`` starts a slide, ``subslide`` a slide below it, ``fragment`` appears on a
click, ``-`` continues the slide before, ``notes`` are speaker notes. Cells that are not marked
are left out, so marking a cell is all it takes to put it on a slide.

The decks show what the cells show in the built book: the outputs come from the book build's
execution cache (``_build/.jupyter_cache``), so nothing is executed again, and a page changed
since the build is refused with a message saying to run ``make book``. Code cells show their
output (a figure, a table), not their code; a figure keeps its caption. The MyST of the Markdown
cells becomes plain Markdown: an exercise or admonition becomes a bold heading and its text, a
citation the authors and year, a cross-reference its text, labels and comments go.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import book_pages  # noqa: E402

CACHE = ROOT / "_build" / ".jupyter_cache"
TEMPLATES = ROOT / "tools" / "slides_template"
BIBLIOGRAPHY = ROOT / "chapters" / "references.bib"
# reveal.js as nbconvert's template expects it (version 4's layout); .ci/browser-deps fetches the
# same version for the offline browser test.
REVEAL_URL = "https://unpkg.com/reveal.js@4.0.2"
SLIDE_TYPES = ("slide", "subslide", "fragment", "-", "notes")

_LABEL_LINE = re.compile(r"^\([\w-]+\)=[ \t]*\n?", re.M)
_COMMENT = re.compile(r"<!--.*?-->\n?", re.S)
_DIRECTIVE = re.compile(
    r"^(?P<fence>:{3,}|`{3,})\{(?P<name>[\w-]+)\}[ \t]*(?P<title>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$\n?", re.M | re.S
)
_OPTION = re.compile(r"^:[\w-]+:[^\n]*\n?", re.M)
_ROLE = re.compile(r"\{(?P<role>[\w:-]+)\}`(?P<text>[^`]*)`")
_EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
_HEADING = re.compile(r"^\((?P<label>[\w-]+)\)=[ \t]*\n#+[ \t]+(?P<title>[^\n]+)", re.M)
_LABEL_KINDS = (("fig-", "the figure"), ("tbl-", "the table"), ("ex-", "the exercise"), ("errata-", "the erratum"))
_DIRECTIVE_TITLES = {"exercise": "Exercise", "note": "Note", "tip": "Tip", "warning": "Warning", "important": "Important"}


def section_pages() -> list[str]:
    """The section pages of ``_toc.yml`` (pages under a chapter), without suffix, in reading order."""
    return [f for f in book_pages.toc_files() if f.count("/") > 1]


def read_bibliography(path: Path = BIBLIOGRAPHY) -> dict[str, str]:
    """Each citation key of the book's bibliography and its short form, ``Hinton et al. 2015``."""
    from pybtex.database import parse_file

    short = {}
    for key, entry in parse_file(str(path)).entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [" ".join(p.last_names).replace("{", "").replace("}", "") for p in people]
        if not names:
            who = entry.fields.get("title", key).replace("{", "").replace("}", "")
        elif len(names) == 1:
            who = names[0]
        elif len(names) == 2:
            who = f"{names[0]} and {names[1]}"
        else:
            who = f"{names[0]} et al."
        short[key] = f"{who} {entry.fields.get('year', '')}".strip()
    return short


def headings(cells: list[dict]) -> dict[str, str]:
    """The title of each labelled heading of a page: ``{"sec-descent": "Gradient descent"}``."""
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return {m["label"]: m["title"].strip() for m in _HEADING.finditer(text)}


def book_headings() -> dict[str, str]:
    """The title of every labelled heading of the book's notebooks, so a reference to another page reads as its title."""
    import json

    titles = {}
    for path in book_pages.notebooks():
        titles.update(headings(json.loads(path.read_text(encoding="utf-8"))["cells"]))
    return titles


def _role(match: re.Match, bibliography: dict[str, str], titles: dict[str, str]) -> str:
    role, text = match["role"], match["text"]
    explicit = _EXPLICIT.match(text)
    if role in ("cite", "cite:p", "cite:t"):
        keys = [k.strip() for k in text.split(",")]
        missing = [k for k in keys if k not in bibliography]
        if missing:
            raise KeyError(f"citation key(s) not in {BIBLIOGRAPHY.name}: {', '.join(missing)}")
        return "(" + "; ".join(bibliography[k] for k in keys) + ")"
    if explicit:
        return " ".join(explicit["text"].replace("%s", "").split())  # "Figure %s <fig-a>": "Figure"
    if role in ("numref", "ref"):
        kind = next((name for prefix, name in _LABEL_KINDS if text.startswith(prefix)), "the section")
        return titles.get(text, kind) if role == "ref" else kind
    if role == "doc":
        return f"the {Path(text).name.replace('_', ' ')} page"
    if role == "math":
        return f"${text}$"
    return text


def _directive(match: re.Match) -> str:
    name, title, body = match["name"], match["title"].strip(), _OPTION.sub("", match["body"]).strip()
    heading = _DIRECTIVE_TITLES.get(name, name.capitalize())
    if name == "admonition":
        heading = title
    elif title:
        heading = f"{heading}: {title}"
    return f"**{heading}.** {body}\n"


def deck_markdown(text: str, bibliography: dict[str, str], titles: dict[str, str] | None = None) -> str:
    """The Markdown of one cell as a slide shows it: MyST directives, roles, labels and comments made plain.

    >>> deck_markdown("(sec-x)=\\n## Title\\n\\nSee {numref}`fig-a` {cite}`k`.", {"k": "Hinton 2015"})
    '## Title\\n\\nSee the figure (Hinton 2015).'
    """
    titles = titles or {}
    text = _COMMENT.sub("", text)
    text = _LABEL_LINE.sub("", text)
    while _DIRECTIVE.search(text):
        text = _DIRECTIVE.sub(_directive, text)
    text = _ROLE.sub(lambda m: _role(m, bibliography, titles), text)
    return text.strip()


def slide_type(cell: dict) -> str | None:
    """The cell's mark for slides, or ``None`` when it is not on a slide (raises for an unknown mark)."""
    kind = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
    if kind in (None, "skip"):
        return None
    if kind not in SLIDE_TYPES:
        raise ValueError(f"unknown slide_type {kind!r}: must be one of {', '.join(SLIDE_TYPES)} or skip")
    return kind


def deck(notebook: dict, bibliography: dict[str, str], titles: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """The deck of an executed page: its marked cells, Markdown made plain, figures with their captions.

    ``titles`` maps labels to heading titles for the references (default: the page's own headings).
    """
    cells = notebook["cells"]
    titles = {**headings(cells), **(titles or {})}
    out = []
    for index, cell in enumerate(cells):
        kind = slide_type(cell)
        if kind is None:
            continue
        if cell["cell_type"] == "markdown":
            source = deck_markdown("".join(cell["source"]), bibliography, titles)
            out.append(nbformat.v4.new_markdown_cell(source, metadata={"slideshow": {"slide_type": kind}}))
        elif cell["cell_type"] == "code":
            if not cell.get("outputs"):
                raise ValueError(f"cell {index} is marked for slides but has no output to show")
            outputs = [nbformat.from_dict(copy.deepcopy(o)) for o in cell["outputs"]]
            out.append(nbformat.v4.new_code_cell("".join(cell["source"]), outputs=outputs,
                                                 metadata={"slideshow": {"slide_type": kind}}))
            caption = cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("caption")
            if caption:
                text = deck_markdown(caption, bibliography, titles)
                html = f'<p class="deck-caption">{text}</p>'
                out.append(nbformat.v4.new_markdown_cell(html, metadata={"slideshow": {"slide_type": "-"}}))
    if not out:
        raise ValueError("no cell is marked for slides")
    deck_nb = nbformat.v4.new_notebook(cells=out, metadata=copy.deepcopy(notebook.get("metadata", {})))
    return deck_nb


def executed(page: str, cache: Path = CACHE) -> dict:
    """The page's notebook with the outputs of the book build's execution (nothing is executed)."""
    from jupyter_cache import get_cache

    if not cache.is_dir():
        raise FileNotFoundError(f"no execution cache at {cache}: run `make book` first")
    source = ROOT / f"{page}.ipynb"
    try:
        _, notebook = get_cache(cache).merge_match_into_file(source)
    except KeyError:
        raise LookupError(f"{page}: the notebook changed since the book was built; run `make book` again") from None
    return notebook


def render(deck_nb: nbformat.NotebookNode, title: str) -> str:
    """The deck as one HTML file (reveal.js and MathJax from their CDNs)."""
    from nbconvert import SlidesExporter

    exporter = SlidesExporter(
        extra_template_basedirs=[str(TEMPLATES)],
        template_name="dltips_reveal",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        reveal_url_prefix=REVEAL_URL,
        reveal_theme="white",  # its fonts ship with reveal.js; "simple", the default, loads web fonts
        reveal_transition="none",
        reveal_width="1280",
        reveal_height="800",
    )
    deck_nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(deck_nb)
    return body


def build(out: Path, pages: list[str] | None = None, cache: Path = CACHE) -> list[Path]:
    """Write one deck per section page to ``out``; returns the files written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    bibliography, titles = read_bibliography(), book_headings()
    written = []
    for page in pages if pages is not None else section_pages():
        notebook = executed(page, cache)
        title = [line[2:].strip() for c in notebook["cells"] if c["cell_type"] == "markdown"
                  for line in "".join(c["source"]).splitlines() if line.startswith("# ")]
        try:
            html = render(deck(notebook, bibliography, titles), title[0] if title else Path(page).name)
        except (ValueError, KeyError) as error:
            raise ValueError(f"{page}: {error}") from None
        path = out / f"{Path(page).name}.slides.html"
        path.write_text(html, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Build the decks into the folder given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the decks to")
    parser.add_argument("--cache", type=Path, default=CACHE, help="the book build's execution cache (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        written = build(args.out, cache=args.cache)
    except (FileNotFoundError, LookupError, ValueError) as error:
        print(f"slides: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
