"""Small fixes to the HTML of the stock Jupyter Book 1.x theme, found by the browser test.

* sphinx-thebe adds its inline configuration script (``const THEBE_JS_URL = ...``) twice
  to every page; the second copy throws ``SyntaxError: Identifier 'THEBE_JS_URL' has
  already been declared``. Each page keeps the first copy of any script listed twice.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


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
