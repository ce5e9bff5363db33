"""Small fixes to the HTML of the stock Jupyter Book 1.x theme, found by the browser test.

* Every page carries sphinx-thebe's inline configuration script (``const THEBE_JS_URL = ...``)
  twice; the second copy throws ``SyntaxError: Identifier 'THEBE_JS_URL' has already been
  declared``. The bug is Sphinx's, upstream issue sphinx-doc/sphinx#13402 ("Ensure inline
  <script/> tags are written exactly once", fixed in Sphinx 8.2.2): sphinx-thebe adds the
  script with ``app.add_js_file(None, body=...)`` after the HTML builder started, so Sphinx
  lists it once under the file name ``None`` and, when it re-adds the assets registered after
  ``Builder.init()``, again under ``''``; the two compare unequal and both are written.
  Jupyter Book 1.x requires Sphinx 7 (``sphinx~=7.0``), so the fix cannot reach this book. Each
  page keeps the first copy of any script listed twice.

:data:`CHECKED_WITH` records the versions this workaround was written for;
``tests/test_dltips_html.py`` fails when the installed ones differ, when the duplicate is gone
upstream (the workaround is then unnecessary), or when the page does not end with exactly one
copy of each script (the workaround is then wrong).
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

#: The upstream bug the workaround answers, and the release that fixes it.
UPSTREAM_ISSUE = "https://github.com/sphinx-doc/sphinx/pull/13402"
FIXED_IN = ("sphinx", "8.2.2")
#: The distributions (and versions) the duplicate was seen with and the workaround checked against.
CHECKED_WITH = {"sphinx": "7.4.7", "sphinx-thebe": "0.3.1"}


def drop_duplicate_scripts(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """Keep one copy of each script (same file or same inline body) in a page's ``script_files``."""
    seen: set[tuple[str, str]] = set()
    unique = []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {}) or {}
        key = (str(getattr(script, "filename", script) or ""), str(attributes.get("body", "")))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app: Sphinx) -> dict[str, object]:
    # After the theme's own handlers, which add per-page scripts.
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
