"""The package's layering (ARCHITECTURE.md): read every module's imports and check who may import whom."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "companion" / "dltips"
FOUNDATION = {"_lazy", "checks", "tables", "experiments"}
SHARED = {"data", "models", "costs", "figures", "runtime"}
TECHNIQUES = {"regularization", "schedules", "descent", "parallel", "distillation", "topics", "baseline"}
TOP = {"cli", "__main__"}


def _unit(module: str) -> str:
    """``dltips.schedules.decays`` → ``schedules``; ``dltips`` itself → ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(relative.parts)
        found[name.removesuffix(".__init__")] = path
    return found


def _imports(module: str, path: Path) -> set[str]:
    """Every ``dltips`` module that ``module`` imports, at the top or inside a function."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "dltips"}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            if base.split(".")[0] != "dltips":
                continue
            found.add(base)
            if base == "dltips":  # `from dltips import data, models`: each name is a module
                found |= {f"dltips.{alias.name}" for alias in node.names}
    return found


def _allowed(importer: str, imported: str) -> bool:
    src, dst = _unit(importer), _unit(imported)
    if dst in ("__init__", "__version__") or src == dst:
        return True  # the root package is light (version, configure); a unit may use its own modules
    if src in TOP:
        return True  # the command line (and `python -m dltips`) may use anything
    if dst in TOP:
        return False  # nothing else imports the command line
    if src == "__init__":
        return True
    if src in FOUNDATION:
        return dst in FOUNDATION
    if src in SHARED:
        return dst in FOUNDATION | SHARED
    if src in TECHNIQUES:
        return dst in FOUNDATION | SHARED
    raise AssertionError(f"{importer} belongs to no layer: add it to tests/test_architecture.py and ARCHITECTURE.md")


MODULES = _modules()


def test_every_module_belongs_to_a_layer():
    units = {_unit(m) for m in MODULES}
    assert units <= FOUNDATION | SHARED | TECHNIQUES | TOP | {"__init__"}, sorted(units)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_layers(module):
    bad = sorted(i for i in _imports(module, MODULES[module]) if not _allowed(module, i))
    assert not bad, f"{module} imports {bad}, which ARCHITECTURE.md does not allow"


def test_the_rules_catch_a_technique_importing_another_or_the_cli():
    assert not _allowed("dltips.schedules.experiment", "dltips.descent.training")
    assert not _allowed("dltips.distillation.loss", "dltips.cli")
    assert not _allowed("dltips.models", "dltips.regularization")
    assert not _allowed("dltips.checks", "dltips.models")
    assert _allowed("dltips.parallel.parameter_server", "dltips.parallel.multiworker")
    assert _allowed("dltips.cli", "dltips.parallel.launcher")


def test_technique_packages_start_no_tensorflow_when_imported():
    import subprocess
    import sys

    code = ("import sys, dltips, dltips.regularization, dltips.schedules, dltips.descent, dltips.parallel, "
            "dltips.distillation, dltips.topics, dltips.experiments, dltips.cli; "
            "print([m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
