"""The bibliography: every {cite} key exists in references.bib, every entry is cited, no entry is repeated."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIB = ROOT / "chapters" / "references.bib"
CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
ENTRY = re.compile(r"^@(\w+)\s*\{\s*([^,\s]+)\s*,", re.MULTILINE)
TITLE = re.compile(r"^\s*title\s*=\s*\{(.+)\},?\s*$", re.MULTILINE)


def _markdown_sources() -> dict[str, str]:
    sources = {}
    for path in sorted((ROOT / "chapters").rglob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        sources[path.name] = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    for path in sorted((ROOT / "chapters").glob("*.md")):
        sources[path.name] = path.read_text(encoding="utf-8")
    return sources


def _cited_keys() -> dict[str, set[str]]:
    cited: dict[str, set[str]] = {}
    for name, text in _markdown_sources().items():
        for group in CITE.findall(text):
            for key in group.split(","):
                cited.setdefault(key.strip(), set()).add(name)
    return cited


def _bib_keys() -> list[str]:
    return [key for kind, key in ENTRY.findall(BIB.read_text(encoding="utf-8")) if kind.lower() != "comment"]


def test_the_patterns_find_citations_and_entries():
    assert CITE.findall("see {cite}`a, b` and {cite:p}`c`") == ["a, b", "c"]
    assert ENTRY.findall("@article{x2020,\n  title = {T},\n}") == [("article", "x2020")]
    assert len(_bib_keys()) >= 17


def test_every_cited_key_exists_in_the_bibliography():
    missing = {key: sorted(where) for key, where in _cited_keys().items() if key not in set(_bib_keys())}
    assert not missing, f"cited but not in references.bib: {missing}"


def test_every_bibliography_entry_is_cited():
    uncited = sorted(set(_bib_keys()) - set(_cited_keys()))
    assert not uncited, f"entries of references.bib that no page cites: {uncited}"


def test_no_entry_is_repeated():
    keys = _bib_keys()
    assert len(keys) == len(set(keys)), f"repeated keys: {sorted(k for k in set(keys) if keys.count(k) > 1)}"
    titles = [re.sub(r"[^a-z0-9]", "", t.lower()) for t in TITLE.findall(BIB.read_text(encoding="utf-8"))]
    assert len(titles) == len(keys), "every entry needs one title line"
    assert len(titles) == len(set(titles)), "two entries share a title (the source article repeated references)"
