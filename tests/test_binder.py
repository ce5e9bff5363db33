"""Binder's configuration: repo2docker installs the package from pyproject.toml on the Python of runtime.txt.

repo2docker (the tool Binder builds images with) installs a repository that has a
pyproject.toml with [project] and [build-system] as a Python package (`pip install .`: dltips
and its dependencies, beside the Jupyter it provides), unless a `binder/` or `.binder/` folder
exists, and takes the Python version from `runtime.txt` (`python-X.Y`). MNIST is downloaded by
Keras on first use there, as on any machine with internet.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from packaging.specifiers import SpecifierSet

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# Files that make repo2docker choose another build pack, or skip installing pyproject.toml.
OTHER_CONFIGURATIONS = ("binder", ".binder", "environment.yml", "Pipfile", "Pipfile.lock", "requirements.txt",
                        "Dockerfile", "setup.py", "Project.toml", "install.R", "DESCRIPTION", "default.nix", "flake.nix")


def _runtime_python() -> str:
    match = re.fullmatch(r"python-(3\.\d+)\n?", (ROOT / "runtime.txt").read_text(encoding="utf-8"))
    assert match, "runtime.txt must read python-3.X"
    return match.group(1)


def test_binder_installs_the_package_from_pyproject():
    assert "project" in PYPROJECT and "build-system" in PYPROJECT
    present = [name for name in OTHER_CONFIGURATIONS if (ROOT / name).exists()]
    assert not present, f"{present} would change what Binder installs (see this module's docstring)"


def test_binder_python_is_supported_and_is_the_one_ci_tests():
    python = _runtime_python()
    assert python in SpecifierSet(PYPROJECT["project"]["requires-python"])
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text(encoding="utf-8"))
    tested = {step["with"]["python-version"] for job in workflow["jobs"].values() for step in job.get("steps", [])
              if step.get("uses", "").startswith("actions/setup-python")}
    tested |= {job["container"].split(":")[1].split("-")[0] for job in workflow["jobs"].values() if "container" in job}
    assert tested == {python}, f"CI tests Python {tested}, Binder runs {python}"
