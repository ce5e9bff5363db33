"""Keep the code the book shows in step with the package: ``python tools/code_on_page.py [--check]``.

A chapter shows a from-scratch implementation as a Markdown code block preceded by a
marker naming the function or class it is taken from::

    <!-- source: dltips.regularization.l1_penalty -->
    ```python
    def l1_penalty(weights, lam):
        ...
    ```

The block is plain Markdown, so a reader sees it in Jupyter without running anything and
the built book highlights it. This tool rewrites every such block with the object's current
source (docstring left out: the prose around it explains), so the page and the package cannot
drift apart; with ``--check`` it rewrites nothing and exits with status 1 if a block differs
(``tests/test_code_on_page.py`` runs the check).
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import json
import re
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r"<!-- source: (?P<name>[\w.]+) -->\n```python\n(?P<code>.*?)```", re.S)


def resolve(name: str) -> object:
    """The object a dotted name points to (``dltips.regularization.l1_penalty``)."""
    module, _, attribute = name.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError):
        parent = resolve(module)  # a method: dltips.distillation.Distiller.compute_loss
        return getattr(parent, attribute)


def source_without_docstring(obj: object) -> str:
    """The source of a function or class, dedented, with its docstrings (and those of its methods) removed."""
    source = textwrap.dedent(inspect.getsource(obj))
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    cut: list[tuple[int, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                cut.append((first.lineno - 1, first.end_lineno))
    for start, end in sorted(cut, reverse=True):
        del lines[start:end]
    return "".join(lines)


def sync(text: str) -> str:
    """``text`` with every marked code block replaced by the current source of its object."""
    def replace(match: re.Match) -> str:
        code = source_without_docstring(resolve(match["name"]))
        return f"<!-- source: {match['name']} -->\n```python\n{code.rstrip()}\n```"

    return MARKER.sub(replace, text)


def notebooks() -> list[Path]:
    """The chapter notebooks (chapter 3's section pages included)."""
    return sorted(p for p in (ROOT / "chapters").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or, with ``--check``, compare) every marked block of every chapter."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report blocks that differ from the package; change nothing")
    args = parser.parse_args(argv)
    stale = []
    for path in notebooks():
        nb = json.loads(path.read_text(encoding="utf-8"))
        changed = False
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] != "markdown":
                continue
            text = "".join(cell["source"])
            new = sync(text)
            if new != text:
                stale.append(f"{path.name}, cell {i}")
                cell["source"] = new.splitlines(keepends=True)
                changed = True
        if changed and not args.check:
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if stale and args.check:
        print("code blocks that differ from the package (run `python tools/code_on_page.py`):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
