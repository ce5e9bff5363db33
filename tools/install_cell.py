"""The first code cell of every notebook of the book: install ``dltips`` where it is missing.

A chapter opened on Colab, or anywhere ``dltips`` is not installed, starts with this cell. Where
``dltips`` is missing it installs it with pip, pinned to the book's version, and says so in one
line; where it is present (the book's build, Binder, a course environment) it does nothing. What
pip installs is one setting, the environment variable ``DLTIPS_INSTALL`` (a pip requirement: a
version on an index, a wheel file, a fork's address), so a fork or a test can point it elsewhere.
By default it is the release of this version tagged in the book's repository:
``dltips @ git+<repository.url of _config.yml>@v<version>``.

The cell's text is written once, here (:data:`TEMPLATE`); ``{version}`` and ``{repository}`` are
filled in from the package's ``__version__`` and ``_config.yml``. In the rendered book the cell is
hidden (tag ``remove-input``: the build has ``dltips`` installed, so the cell prints nothing).

    python tools/install_cell.py             # insert or update the cell in every notebook under chapters/
    python tools/install_cell.py --check     # list notebooks whose first code cell differs; exit 1 if any
    python tools/install_cell.py chapters/03_algorithms/descent.ipynb   # only these notebooks

The cell goes just before a notebook's first code cell, or replaces that cell where it is already
an install cell (it mentions ``DLTIPS_INSTALL``). ``tests/test_install_cell.py`` checks that every
chapter starts with exactly this cell; ``tests/test_packaging.py`` runs it in a fresh environment
without ``dltips``, installing the wheel built from the checkout.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
VERSION_FILE = ROOT / "companion" / "dltips" / "__init__.py"
CONFIG = ROOT / "_config.yml"
SETTING = "DLTIPS_INSTALL"
TAGS = ["remove-input"]

TEMPLATE = '''\
# Installs dltips, the book's companion package, where it is missing (Colab).
# DLTIPS_INSTALL chooses what pip installs (a version, a wheel, a fork).
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("dltips") is None:
    default = "dltips @ git+{repository}@v{version}"
    source = os.environ.get("DLTIPS_INSTALL", default)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", source],
                   check=True)
    importlib.invalidate_caches()
    print(f"installed dltips from {{source}}")'''


def version() -> str:
    """The package's version, read from the one place it is written (``__version__`` in ``dltips/__init__.py``)."""
    match = re.search(r'^__version__ = "([^"]+)"$', VERSION_FILE.read_text(encoding="utf-8"), re.MULTILINE)
    if match is None:
        raise ValueError(f"no __version__ = \"...\" line in {VERSION_FILE}")
    return match.group(1)


def repository() -> str:
    """The book's repository (``repository.url`` of ``_config.yml``, which the launch buttons use too)."""
    match = re.search(r"^repository:\n(?:[ \t]+.*\n)*?[ \t]+url:[ \t]*(\S+)", CONFIG.read_text(encoding="utf-8"), re.MULTILINE)
    if match is None:
        raise ValueError(f"no repository.url in {CONFIG}")
    return match.group(1).strip("'\"").removesuffix("/").removesuffix(".git")


def default_source() -> str:
    """What the cell installs when ``DLTIPS_INSTALL`` is not set: this version's tag in the book's repository."""
    return f"dltips @ git+{repository()}@v{version()}"


def cell_source() -> str:
    """The exact text of the install cell."""
    return TEMPLATE.format(repository=repository(), version=version())


def _lines(text: str) -> list[str]:
    """A cell's source as Jupyter stores it: one string per line, each but the last ending in a newline."""
    return text.splitlines(keepends=True)


def first_code_cell(notebook: dict) -> int | None:
    """The index of the notebook's first code cell, or None without one."""
    return next((i for i, c in enumerate(notebook["cells"]) if c["cell_type"] == "code"), None)


def is_current(notebook: dict) -> bool:
    """Whether the notebook's first code cell is exactly the install cell, with its tags."""
    i = first_code_cell(notebook)
    if i is None:
        return False
    cell = notebook["cells"][i]
    return "".join(cell["source"]) == cell_source() and cell.get("metadata", {}).get("tags") == TAGS


def with_install_cell(notebook: dict) -> dict:
    """The notebook with the install cell as its first code cell (inserted, or replacing an older install cell)."""
    cell = {"cell_type": "code", "execution_count": None, "metadata": {"tags": list(TAGS)}, "outputs": [],
            "source": _lines(cell_source())}
    cells = list(notebook["cells"])
    i = first_code_cell(notebook)
    if i is None:
        cells.append(cell)
    elif SETTING in "".join(cells[i]["source"]):
        cells[i] = cell
    else:
        cells.insert(i, cell)
    return {**notebook, "cells": cells}


def write(path: Path, notebook: dict) -> None:
    """Write a notebook as the repository stores them (sorted keys, one-space indent, as nbformat does)."""
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Insert or update the install cell in the notebooks given (``--check``: only report); the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to update (default: every notebook under chapters/)")
    parser.add_argument("--check", action="store_true", help="change nothing; list the notebooks that lack the current cell")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(CHAPTERS.rglob("*.ipynb"))
    stale = []
    for path in paths:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        if is_current(notebook):
            continue
        stale.append(path)
        if not args.check:
            write(path, with_install_cell(notebook))
    verb = "lack the current install cell" if args.check else "updated"
    shown = [p.resolve().relative_to(ROOT) if p.resolve().is_relative_to(ROOT) else p for p in stale]
    print(f"{len(stale)} of {len(paths)} notebooks {verb}" + "".join(f"\n  {p}" for p in shown))
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
