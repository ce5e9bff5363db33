"""The API reference page builds without a warning, in seconds rather than after the notebooks.

The book is built with ``-W -n``: one docstring that docutils cannot parse (a
``**kwargs`` inside a list of names, a ``Returns:`` line that Napoleon reads as
``type: description``) or one cross-reference to a name the page does not document
fails the whole build, after every notebook has executed. This test builds
``chapters/api.md`` alone, with the book's own autodoc, Napoleon and nitpick settings
(read from ``_config.yml``) and its ``dltips-api`` directive, so such a docstring fails
the unit tests instead, naming the docstring.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

# The settings of _config.yml's sphinx.config that decide how a docstring renders and which
# references must resolve; the theme's and the bibliography's do not concern this page.
_DOCSTRING_SETTINGS = (
    "autosummary_generate",
    "autodoc_member_order",
    "autodoc_typehints",
    "napoleon_google_docstring",
    "napoleon_numpy_docstring",
    "nitpick_ignore_regex",
)


def _conf_py() -> str:
    book = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    sphinx = book["sphinx"]
    config = {key: sphinx["config"][key] for key in _DOCSTRING_SETTINGS if key in sphinx["config"]}
    config["nitpick_ignore_regex"] = [tuple(pair) for pair in config.get("nitpick_ignore_regex", [])]
    extensions = ["myst_parser", *sphinx["extra_extensions"], *sphinx["local_extensions"]]
    extensions = [name for name in extensions if name != "sphinx_exercise"]  # no exercise on this page
    paths = sorted({str(ROOT / path) for path in sphinx["local_extensions"].values()})
    lines = [
        "import sys",
        f"sys.path[:0] = {paths!r}",
        f"extensions = {extensions!r}",
        f"myst_enable_extensions = {book['parse']['myst_enable_extensions']!r}",
        "root_doc = 'api'",
        "exclude_patterns = ['_build']",
    ]
    lines += [f"{key} = {value!r}" for key, value in config.items()]
    return "\n".join(lines) + "\n"


def test_api_page_builds_without_a_warning(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(ROOT / "chapters" / "api.md", source / "api.md")
    (source / "conf.py").write_text(_conf_py(), encoding="utf-8")
    # The dummy builder reads, resolves every reference (so -n reports what is missing) and writes nothing.
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "dummy", "-W", "-n", "--keep-going", "-q",
         str(source), str(tmp_path / "build")],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )
    # With -W any warning makes the exit status non-zero; Sphinx's own lines carry the source location.
    warnings = [line for line in result.stderr.splitlines() if ": WARNING:" in line or ": ERROR:" in line]
    assert result.returncode == 0, "\n".join(warnings) or result.stderr[-3000:]
