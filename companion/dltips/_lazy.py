"""The package's one lazy loader: import a subpackage's modules on first use (PEP 562).

``import dltips.regularization`` must not start TensorFlow (``dltips list`` answers
at once), yet ``dltips.regularization.l1_penalty`` must work. A package's
``__init__.py`` therefore defines no names itself; it calls :func:`attach`, whose
module-level ``__getattr__`` imports a submodule when one of its names is first
asked for. The public names of a package are the ``__all__`` lists of the
submodules it exports from: they are written once, in the module that defines them.
A name's module is found by reading each submodule's literal ``__all__`` from its
source, without importing it, so asking for a TensorFlow-free name never imports a
sibling that starts TensorFlow, whatever the order of the submodules.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import sys
from collections.abc import Callable, Sequence
from typing import Any


@functools.cache
def _static_all(module_name: str) -> tuple[str, ...] | None:
    """A module's literal ``__all__``, read from its source without importing it (``None`` if not literal)."""
    spec = importlib.util.find_spec(module_name)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    with open(spec.origin, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) and node.value is not None:
            try:
                return tuple(ast.literal_eval(node.value))
            except ValueError:
                return None
    return None


def attach(
    package: str, submodules: Sequence[str], *, export_from: Sequence[str] | None = None
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module-level ``__getattr__`` and ``__dir__`` for ``package``.

    Args:
        package: the package's ``__name__``.
        submodules: names importable as ``package.<name>`` on first use.
        export_from: the submodules whose ``__all__`` names the package
            re-exports (default: all of ``submodules``). ``package.__all__`` is
            their concatenation, computed (and the submodules imported) when
            first asked for.

    Returns:
        ``(__getattr__, __dir__)``, to assign at the package's top level.

    Example::

        >>> import dltips.schedules as schedules  # no TensorFlow yet
        >>> schedules.cosine_decay.__module__     # imports dltips.schedules.decays
        'dltips.schedules.decays'
    """
    submodules = tuple(submodules)
    exporters = submodules if export_from is None else tuple(export_from)
    unknown = sorted(set(exporters) - set(submodules))
    if unknown:
        raise ValueError(f"export_from names {unknown}, which are not submodules of {package}")

    def namespace() -> dict[str, Any]:
        return sys.modules[package].__dict__

    def load(name: str) -> Any:
        module = importlib.import_module(f"{package}.{name}")
        namespace()[name] = module
        return module

    def __getattr__(name: str) -> Any:
        if name in submodules:
            return load(name)
        if name == "__all__":
            names = [n for sub in exporters for n in load(sub).__all__]
            namespace()["__all__"] = names
            return names
        if not name.startswith("__"):
            for sub in exporters:  # the module that lists the name, found without importing the others
                if name in (_static_all(f"{package}.{sub}") or ()):
                    value = getattr(load(sub), name)
                    namespace()[name] = value
                    return value
            for sub in exporters:  # a submodule whose __all__ is computed
                module = load(sub)
                if name in module.__all__:
                    value = getattr(module, name)
                    namespace()[name] = value
                    return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(namespace()) | set(submodules))

    return __getattr__, __dir__
