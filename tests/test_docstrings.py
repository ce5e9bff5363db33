"""Every public module of ``dltips`` has ``__all__``, and every name it exports is documented.

The package's standard (the design brief): each name in a module's ``__all__``
has a Keras-style docstring with a runnable example (``>>>`` lines, run as
doctests by ``pytest --doctest-modules companion/dltips``) and, for a function
or class that takes parameters, an ``Args:`` section (a class, a dataclass
say, may document them as ``Attributes:``, since its arguments are its
attributes). A constant (anything that
is neither a function nor a class) needs no example but a ``#:`` comment on the
line above its assignment, which Sphinx shows as its documentation. A name
re-exported from another module is checked where it is defined.

The tests are parametrized per module, so a failure names the module.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import dltips


def _public_modules() -> list[str]:
    """``dltips`` and every module under it whose dotted name has no part starting with ``_``."""
    names = ["dltips"]
    for info in pkgutil.walk_packages(dltips.__path__, prefix="dltips."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


MODULES = _public_modules()


def _is_dunder(name: str) -> bool:
    """``__version__`` and the like: conventional, documented by their name."""
    return name.startswith("__") and name.endswith("__")


def _parameters(obj: object) -> list[str]:
    """The parameters a caller passes (``self`` and ``cls`` are not)."""
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):  # some builtins and C types have none
        return []
    return [name for name in signature.parameters if name not in ("self", "cls")]


def _commented_constants(path: Path) -> tuple[set[str], set[str]]:
    """The module-level names assigned in ``path``, and those with a ``#:`` line right above them."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    assigned, commented = set(), set()
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            if isinstance(target, ast.Name):
                assigned.add(target.id)
                above = lines[node.lineno - 2].strip() if node.lineno >= 2 else ""
                if above.startswith("#:"):
                    commented.add(target.id)
    return assigned, commented


def _problems(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        return []  # test_public_module_has_all reports it
    assigned, commented = _commented_constants(Path(module.__file__))
    problems = []
    for name in exported:
        if not hasattr(module, name):
            problems.append(f"{name}: listed in __all__ but not defined")
            continue
        obj = getattr(module, name)
        if not (inspect.isclass(obj) or inspect.isroutine(obj)):
            if name in assigned and name not in commented and not _is_dunder(name):
                problems.append(f"{name}: a constant without a '#:' comment on the line above it")
            continue
        if getattr(obj, "__module__", None) != module_name:
            continue  # re-exported: checked in the module that defines it
        doc = obj.__doc__ or ""
        if not doc.strip():
            problems.append(f"{name}: no docstring")
            continue
        if ">>>" not in doc:
            problems.append(f"{name}: no example (>>> lines)")
        documented = "Args:" in doc or (inspect.isclass(obj) and "Attributes:" in doc)
        if _parameters(obj) and not documented:
            problems.append(f"{name}: takes {', '.join(_parameters(obj))} but has no Args: section")
    return problems


@pytest.mark.parametrize("module_name", MODULES)
def test_public_module_has_all(module_name):
    module = importlib.import_module(module_name)
    assert hasattr(module, "__all__"), f"{module_name} is public and has no __all__"
    exported = list(module.__all__)
    assert len(exported) == len(set(exported)), f"{module_name}.__all__ repeats a name"
    private = [name for name in exported if name.startswith("_") and not _is_dunder(name)]
    assert not private, f"{module_name}.__all__ lists private names {private}"


@pytest.mark.parametrize("module_name", MODULES)
def test_every_export_is_documented_with_an_example(module_name):
    problems = _problems(module_name)
    assert not problems, f"{module_name}:\n  " + "\n  ".join(problems)


def test_the_walk_finds_every_technique():
    # A broken walk (say, a package without __path__) would make every test above pass vacuously.
    for package in ("regularization", "schedules", "descent", "parallel", "distillation", "topics"):
        assert f"dltips.{package}" in MODULES
    assert "dltips.models" in MODULES and "dltips._lazy" not in MODULES
