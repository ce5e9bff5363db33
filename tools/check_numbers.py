"""Every number in the book's prose is computed, recorded, cited or allowed: ``python tools/check_numbers.py``.

The book promises that each number it states comes from somewhere a reader can check. This
tool reads every Markdown cell of the chapters (and the other pages listed below), finds the
numbers in its prose (code, math, links, labels and directive options left out) and
accepts a number when:

* **computed**: it appears in the output of a code cell of the same section (the part of the
  page under the same ``##`` heading), as printed or rounded the way the prose rounds it
  (``0.9734`` backs "0.973", "0.97" and "97.3 %");
* **recorded**: its sentence says it is recorded (the word "recorded"), which the book uses
  for numbers read from the benchmarks' recordings, with the command that makes them;
* **cited**: its sentence cites a source (``{cite}``);
* **allowed**: it is a small count (0 to 10), or listed in ``chapters/numbers.yml`` with a
  reason (the constants of the set-up: image sizes, layer widths, years, versions).

A number inside a quotation of the source article, ``「…」``, is the article's, not the
book's: it is not read (``tests/test_article.py`` checks the quotation is verbatim).

Outputs come from the executed notebooks: by default the execution cache of the last book
build (``_build/.jupyter_cache``; run ``make book`` first), or, with ``--execute``, a fresh
execution of the notebooks named on the command line (slow; for one chapter while writing it).
``tests/test_numbers.py`` runs the check on the built book.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALLOWED_FILE = ROOT / "chapters" / "numbers.yml"
SMALL = 10  # counts up to ten read as words ("two workers", "3 panels"), allowed everywhere

_NUMBER = re.compile(r"(?<![\w.\-/#])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w])")
_BLOCKS = [  # removed before the text is cut into sentences
    re.compile(r"```.*?```", re.S),                       # fenced code blocks
    re.compile(r"^:{3,}.*?$", re.M),                       # directive fences (:::{...})
    re.compile(r"^:[\w-]+:.*$", re.M),                     # directive options (:label: ...)
    re.compile(r"\$\$.*?\$\$", re.S),                      # display math
    re.compile(r"<!--.*?-->", re.S),                       # comments
    re.compile(r"^\(.*?\)=\s*$", re.M),                    # labels
    re.compile(r"^#+ .*$", re.M),                          # headings
    re.compile(r"^\|[\s|:-]+\|\s*$", re.M),                # table rules
    re.compile(r"^\s*\d+\.(?=\s)", re.M),                   # the numbers of a numbered list
]
_INLINE = [  # removed from each sentence before its numbers are read
    re.compile(r"\$[^$\n]+\$"),                            # inline math
    re.compile(r"\{[\w:-]+\}`[^`]*`"),                     # roles: {cite}`...`, {doc}`...`, {ref}`...`
    re.compile(r"`[^`\n]*`"),                              # inline code
    re.compile(r"\]\([^)]*\)"),                            # link targets
    re.compile(r"https?://\S+"),                           # addresses
    re.compile(r"「[^」]*」"),                               # the article's words, quoted (tests/test_article.py)
]
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z*(\"'])|\n\s*\n|\n(?=\s*[-*|] )|\n(?=\|)")


@dataclass(frozen=True)
class Unbacked:
    """A number the prose states that nothing backs."""

    page: str
    section: str
    number: str
    sentence: str

    def __str__(self) -> str:
        return f"{self.page} § {self.section!r}: {self.number} in “{self.sentence.strip()[:160]}”"


def load_allowed(path: Path = ALLOWED_FILE) -> dict[str, dict[str, str]]:
    """``numbers.yml``: page (or ``all``) → number → reason."""
    import yaml

    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {page: {str(number): str(reason) for number, reason in (entries or {}).items()}
            for page, entries in data.items()}


def sentences(markdown: str) -> list[str]:
    """The sentences (and table rows, list items) of a Markdown cell, code blocks, math and labels removed."""
    for pattern in _BLOCKS:
        markdown = pattern.sub(" ", markdown)
    return [s for s in _SENTENCE.split(markdown) if s.strip()]


def prose(sentence: str) -> str:
    """The words of a sentence a reader reads as prose (inline code, math, roles and link targets removed)."""
    for pattern in _INLINE:
        sentence = pattern.sub(" ", sentence)
    return sentence


def _value(text: str) -> float:
    return float(text.replace(",", ""))


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def output_numbers(texts: Iterable[str]) -> set[float]:
    """Every number printed in ``texts`` (commas removed)."""
    found: set[float] = set()
    for text in texts:
        for match in re.finditer(r"-?\d[\d,]*(?:\.\d+)?(?:e[+-]?\d+)?", text):
            try:
                found.add(float(match.group().replace(",", "")))
            except ValueError:
                continue
    return found


def backed_by_outputs(number: str, outputs: set[float]) -> bool:
    """Whether ``number`` (as the prose writes it) is one of ``outputs``, exactly, rounded, or as a percentage."""
    value, places = _value(number), _decimals(number)
    tolerance = 0.5 * 10 ** -places + 1e-9
    return any(abs(q - value) <= tolerance or abs(100 * q - value) <= tolerance for q in outputs)


def _outputs_text(cell: dict) -> list[str]:
    texts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            texts.append("".join(output.get("text", "")))
        for mime in ("text/plain", "text/markdown", "text/html"):
            data = output.get("data", {}).get(mime)
            if data:
                texts.append("".join(data) if isinstance(data, list) else data)
    return texts


def sections(cells: list[dict]) -> Iterator[tuple[str, list[dict]]]:
    """The notebook cut at its ``##`` headings: (heading, cells), the title part first."""
    heading, part = "(top)", []
    for cell in cells:
        source = "".join(cell.get("source", ""))
        match = re.search(r"^## (.+)$", source, re.M) if cell["cell_type"] == "markdown" else None
        if match:
            before, _, _ = source.partition(match.group(0))
            if before.strip():
                part.append({**cell, "source": before})
            yield heading, part
            heading, part = match.group(1).strip(), [{**cell, "source": source[source.index(match.group(0)):]}]
        else:
            part.append(cell)
    yield heading, part


def check(page: str, cells: list[dict], allowed: dict[str, dict[str, str]]) -> list[Unbacked]:
    """The numbers of ``page``'s prose that nothing backs."""
    ok = {**allowed.get("all", {}), **allowed.get(page, {})}
    unbacked = []
    for heading, part in sections(cells):
        outputs = output_numbers(t for cell in part if cell["cell_type"] == "code" for t in _outputs_text(cell))
        for cell in part:
            if cell["cell_type"] != "markdown":
                continue
            for sentence in sentences("".join(cell["source"])):
                if "{cite" in sentence or re.search(r"\brecorded\b", sentence, re.I):
                    continue
                for match in _NUMBER.finditer(prose(sentence)):
                    number = match.group()
                    value = _value(number)
                    if (value.is_integer() and 0 <= value <= SMALL and "." not in number) or number in ok \
                            or number.replace(",", "") in ok or backed_by_outputs(number, outputs):
                        continue
                    unbacked.append(Unbacked(page, heading, number, " ".join(sentence.split())))
    return unbacked


def executed_from_cache(path: Path) -> list[dict]:
    """The cells of ``path`` with the outputs of the last book build (its execution cache)."""
    from jupyter_cache import get_cache

    cache = get_cache(ROOT / "_build" / ".jupyter_cache")
    try:
        _, notebook = cache.merge_match_into_file(path)
    except KeyError:
        raise SystemExit(f"{path.name} changed since the book was built: run `make book`, or pass --execute") from None
    return json.loads(json.dumps(notebook))["cells"]


def executed_now(path: Path) -> list[dict]:
    """The cells of ``path`` executed now (in the chapters folder, as the book build does)."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=900, resources={"metadata": {"path": str(path.parent)}}).execute()
    return json.loads(json.dumps(notebook))["cells"]


#: The Markdown pages whose prose is checked too (they have no code cells: their numbers are cited or allowed).
MARKDOWN_PAGES = ("intro.md", "glossary.md")


def pages() -> list[Path]:
    """The pages whose prose is checked: every notebook (the chapters, the FAQ, the Performance page), the landing page."""
    chapters = ROOT / "chapters"
    return sorted(chapters.rglob("*.ipynb")) + [chapters / name for name in MARKDOWN_PAGES]


def markdown_page(path: Path) -> list[dict]:
    """A Markdown page as one Markdown cell (it has no outputs to back a number)."""
    return [{"cell_type": "markdown", "source": path.read_text(encoding="utf-8"), "metadata": {}}]


def main(argv: list[str] | None = None) -> int:
    """Report every unbacked number; exit status 1 if there is one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to check (default: every page)")
    parser.add_argument("--execute", action="store_true", help="execute the notebooks now instead of reading the cache")
    args = parser.parse_args(argv)
    allowed = load_allowed()
    unbacked = []
    for path in args.notebooks or pages():
        if path.suffix == ".md":
            cells = markdown_page(path)
        else:
            cells = executed_now(path) if args.execute else executed_from_cache(path)
        unbacked += check(path.stem, cells, allowed)
    for item in unbacked:
        print(item)
    print(f"{len(unbacked)} unbacked number(s)")
    return 1 if unbacked else 0


if __name__ == "__main__":
    sys.exit(main())
