"""Sphinx directive ``dltips-api``: one line per module in the book's API reference.

In ``chapters/api.md`` (inside an ``eval-rst`` block, since autodoc writes reStructuredText)::

    .. dltips-api::

       dltips.data
       dltips.models

For each module it writes a section titled with the module's name, the module's
docstring, a summary table (``autosummary``) of its public functions and classes,
then each one's full entry (``autofunction`` / ``autoclass``), with signature,
docstring and example. Public means: the names in the module's ``__all__`` if it
has one, else the functions and classes defined in the module whose names do not
start with an underscore, in source order.

Missing docstrings are reported as Sphinx warnings, so a ``-W`` build fails on a
public function or class without one; a module that cannot be imported fails the
build too.
"""

from __future__ import annotations

import importlib
import inspect
import typing
from types import ModuleType

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

logger = logging.getLogger(__name__)


def public_members(module: ModuleType) -> list[tuple[str, object]]:
    """The public functions and classes of ``module`` as ``(name, object)`` pairs."""
    if hasattr(module, "__all__"):
        found = []
        for name in module.__all__:
            try:
                obj = getattr(module, name)
            except ImportError:
                continue  # a lazily imported submodule that is not there: it has no section either
            if not inspect.ismodule(obj):  # submodules get sections of their own
                found.append((name, obj))
        return found
    found = [
        (name, obj)
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(obj) or inspect.isclass(obj))
        and getattr(obj, "__module__", None) == module.__name__
    ]
    return sorted(found, key=lambda item: inspect.getsourcelines(item[1])[1])


def _kind(obj: object) -> str:
    if typing.get_origin(obj) is not None:  # a type alias such as Literal["a", "b"]: callable, but data
        return "autodata"
    if inspect.isclass(obj):
        return "autoclass"
    if callable(obj):
        return "autofunction"
    return "autodata"


class DltipsApi(SphinxDirective):
    has_content = True

    def run(self) -> list[nodes.Node]:
        lines: list[str] = []
        for modname in (line.strip() for line in self.content):
            if not modname:
                continue
            try:
                module = importlib.import_module(modname)
            except ImportError as exc:
                raise self.error(f"dltips-api: cannot import {modname}: {exc}") from exc
            members = public_members(module)
            for name, obj in members:
                if _kind(obj) != "autodata" and not inspect.getdoc(obj):
                    logger.warning("%s.%s is public but has no docstring", modname, name, location=self.get_location())
            title = f"``{modname}``"
            lines += [title, "-" * len(title), "", f".. automodule:: {modname}", ""]
            documented = [name for name, obj in members if _kind(obj) != "autodata"]
            if documented:
                # Names relative to the module that automodule just made current.
                lines += [".. autosummary::", ""] + [f"   {name}" for name in documented] + [""]
            for name, obj in members:
                kind = _kind(obj)
                if kind == "autodata":
                    # autodoc would show the docstring of the value's type (str's, for a version).
                    lines += [f".. py:data:: {name}", f"   :value: {obj!r}", ""]  # relative to the current module
                    continue
                lines += [f".. {kind}:: {modname}.{name}"]
                if kind == "autoclass":
                    lines += ["   :members:"]
                lines += [""]
        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source=self.get_source_info()[0]), container)
        return container.children


def setup(app: Sphinx) -> dict[str, object]:
    app.add_directive("dltips-api", DltipsApi)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
