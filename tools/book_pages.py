"""The book's pages: where they are, in the order ``_toc.yml`` reads them.

Chapter 3 is a chapter page with five section pages under it (``chapters/03_algorithms/``), so a
page is not always ``chapters/<name>.ipynb``: every tool and test that walks the book's notebooks
asks this module for them.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"


def _entries(entries: list[dict]) -> list[str]:
    files = []
    for entry in entries:
        files.append(entry["file"])
        files += _entries(entry.get("sections", []))
    return files


def toc_files(toc: Path = ROOT / "_toc.yml") -> list[str]:
    """Every page of ``_toc.yml`` in reading order (the root first, sections after their chapter), without suffix."""
    data = yaml.safe_load(toc.read_text(encoding="utf-8"))
    return [data["root"]] + [f for part in data.get("parts", []) for f in _entries(part["chapters"])]


def notebooks(folder: Path = CHAPTERS) -> list[Path]:
    """Every notebook under ``folder`` (sub-folders included, checkpoints left out), sorted by path."""
    return sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def page_name(path: Path, folder: Path = CHAPTERS) -> str:
    """A notebook's name relative to ``folder`` without suffix: ``02_core_concepts``, ``03_algorithms/descent``."""
    return path.relative_to(folder).with_suffix("").as_posix()
