"""The package's one lazy loader: import a subpackage's modules on first use (PEP 562).

``import dltips.regularization`` must not start TensorFlow (``dltips list`` answers
at once), yet ``dltips.regularization.l1_penalty`` must work. A package's
``__init__.py`` therefore defines no names itself; it calls :func:`attach`, whose
module-level ``__getattr__`` imports a submodule when one of its names is first
asked for. The public names of a package are the ``__all__`` lists of the
submodules it exports from: they are written once, in the module that defines them.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Any


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
            for sub in exporters:
                module = load(sub)
                if name in module.__all__:
                    value = getattr(module, name)
                    namespace()[name] = value
                    return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(namespace()) | set(submodules))

    return __getattr__, __dir__
