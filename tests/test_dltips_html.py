"""docs/sphinxext/dltips_html.py: its workaround is still needed upstream, and still right.

One minimal page is built (once per module) with the book's theme, sphinx-thebe and the
extension, plus a probe that records the page's scripts just before the workaround runs. So a
single build shows both what upstream produces (the probe) and what the book ships (the HTML).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPHINXEXT = ROOT / "docs" / "sphinxext"
THEBE_CONFIG = "const THEBE_JS_URL"

_spec = importlib.util.spec_from_file_location("dltips_html", SPHINXEXT / "dltips_html.py")
dltips_html = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dltips_html)

CONF = f"""
import json, os, sys
sys.path.insert(0, {str(SPHINXEXT)!r})
extensions = ["sphinx_thebe", "dltips_html"]
html_theme = "sphinx_book_theme"

def _probe(app, pagename, templatename, context, doctree):
    scripts = [[str(getattr(s, "filename", s) or ""), str((getattr(s, "attributes", {{}}) or {{}}).get("body", ""))]
               for s in context.get("script_files", [])]
    with open(os.path.join(app.outdir, "probe-" + pagename + ".json"), "w") as f:
        json.dump(scripts, f)

def setup(app):
    app.connect("html-page-context", _probe, priority=899)  # just before dltips_html (900)
"""


@pytest.fixture(scope="module")
def built_page(tmp_path_factory):
    """(scripts before the workaround, HTML after it) of a one-page book."""
    src = tmp_path_factory.mktemp("src")
    (src / "conf.py").write_text(CONF)
    (src / "index.rst").write_text("A page\n======\n\nText.\n")
    out = src.parent / (src.name + "-html")
    result = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", str(src), str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    before = json.loads((out / "probe-index.json").read_text())
    return before, (out / "index.html").read_text(encoding="utf-8")


def test_installed_versions_are_the_ones_the_workaround_was_checked_with():
    installed = {name: importlib.metadata.version(name) for name in dltips_html.CHECKED_WITH}
    assert installed == dltips_html.CHECKED_WITH, (
        f"docs/sphinxext/dltips_html.py was checked with {dltips_html.CHECKED_WITH}, installed: {installed}. "
        "If the other tests of this module pass, update CHECKED_WITH; if they fail, see their messages."
    )


def test_upstream_still_writes_the_thebe_config_twice(built_page):
    before, _ = built_page
    copies = sum(THEBE_CONFIG in body for _, body in before)
    assert copies == 2, (
        f"Sphinx and sphinx-thebe now give the page {copies} copies of the thebe configuration script: "
        f"the upstream fix ({dltips_html.UPSTREAM_ISSUE}, {' '.join(dltips_html.FIXED_IN)}) has arrived, so "
        "drop_duplicate_scripts in docs/sphinxext/dltips_html.py is unnecessary: remove it and this test."
    )


def test_the_page_keeps_one_copy_of_each_script_in_order(built_page):
    before, html = built_page
    assert html.count(THEBE_CONFIG) == 1
    unique = list(dict.fromkeys((name, body) for name, body in before))
    written = re.findall(r'<script(?:[^>]*\bsrc="([^"]*)")?[^>]*>(.*?)</script>', html, flags=re.DOTALL)
    # Every script the page was given appears once, in the order given (other <script> tags of the
    # template may sit in between).
    positions = []
    for name, body in unique:
        where = [i for i, (src, text) in enumerate(written) if (name and src.split("?")[0].endswith(name.split("/")[-1]))
                 or (not name and body and text.strip() == body.strip())]
        assert len(where) == 1, f"script {name or body[:40]!r} written {len(where)} times"
        positions.append(where[0])
    assert positions == sorted(positions)
