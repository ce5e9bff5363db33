"""The code the chapters show is the package's own (tools/code_on_page.py keeps them in step)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import code_on_page  # noqa: E402


def test_every_code_block_taken_from_the_package_matches_it(capsys):
    assert code_on_page.main(["--check"]) == 0, capsys.readouterr().out


def test_sync_replaces_a_marked_block_with_the_source_without_its_docstring():
    text = "Before.\n\n<!-- source: dltips.checks.check_rate -->\n```python\nold code\n```\n\nAfter."
    new = code_on_page.sync(text)
    assert new.startswith("Before.\n\n<!-- source: dltips.checks.check_rate -->\n```python\ndef check_rate(")
    assert "old code" not in new and '"""' not in new and new.endswith("```\n\nAfter.")
    assert code_on_page.sync(new) == new
    assert code_on_page.sync("no marker here") == "no marker here"


def test_methods_resolve_through_their_class():
    from dltips.distillation import Distiller

    assert code_on_page.resolve("dltips.distillation.Distiller.compute_loss") is Distiller.compute_loss
