"""The distributions: the sdist and the wheel build, carry the licence file and pass `twine check`.

The build runs once per test session (the `built_distributions` fixture), offline: without
build isolation, with the setuptools of the test environment (the `test` extra requires one
that meets [build-system]'s floor), so no package is downloaded.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import zipfile
from email.parser import HeaderParser
from pathlib import Path
from typing import NamedTuple

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest itself depends on tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LICENCE = ROOT / "LICENSE"
# PEP 639 (a `license` SPDX string, `license-files` in [project]) arrived in setuptools 77.
PEP639_SETUPTOOLS = Version("77")


class BuiltDistributions(NamedTuple):
    """The sdist and the wheel of this checkout, built into a temporary folder."""

    sdist: Path
    wheel: Path
    version: str


@pytest.fixture(scope="session")
def built_distributions(tmp_path_factory: pytest.TempPathFactory) -> BuiltDistributions:
    """Build the sdist, then the wheel from it (as ``python -m build`` does), once per session."""
    outdir = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(outdir), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )
    if result.returncode != 0:
        pytest.fail(f"`python -m build --no-isolation` failed:\n{(result.stdout + result.stderr)[-4000:]}")
    sdists, wheels = sorted(outdir.glob("*.tar.gz")), sorted(outdir.glob("*.whl"))
    assert len(sdists) == 1 and len(wheels) == 1, f"expected one sdist and one wheel, got {sdists + wheels}"
    version = re.fullmatch(r"dltips-(.+)\.tar\.gz", sdists[0].name).group(1)
    return BuiltDistributions(sdists[0], wheels[0], version)


def _floor(requirement: str) -> Version | None:
    """The lowest version a ``>=`` specifier allows, or None without one."""
    floors = [Version(spec.version) for spec in Requirement(requirement).specifier if spec.operator in (">=", "==")]
    return max(floors, default=None)


def _requirement(requirements: list[str], name: str) -> str:
    matches = [r for r in requirements if Requirement(r).name == name]
    assert len(matches) == 1, f"expected one {name} requirement in {requirements}"
    return matches[0]


def test_build_floor_is_the_setuptools_that_understands_the_licence_metadata():
    project = PYPROJECT["project"]
    assert isinstance(project["license"], str), "this check assumes a PEP 639 SPDX licence string"
    build_floor = _floor(_requirement(PYPROJECT["build-system"]["requires"], "setuptools"))
    assert build_floor is not None and build_floor >= PEP639_SETUPTOOLS, (
        f"license = {project['license']!r} (PEP 639) needs setuptools >= {PEP639_SETUPTOOLS}, "
        f"but [build-system] allows {build_floor}"
    )
    # The packaging test builds without isolation, with the test environment's setuptools.
    test_floor = _floor(_requirement(project["optional-dependencies"]["test"], "setuptools"))
    assert test_floor is not None and test_floor >= build_floor


def test_pyproject_names_the_licence_file():
    assert PYPROJECT["project"].get("license-files") == ["LICENSE"]
    assert LICENCE.is_file()


def test_sdist_carries_the_licence_and_declares_it(built_distributions):
    prefix = f"dltips-{built_distributions.version}"
    with tarfile.open(built_distributions.sdist) as sdist:
        names = sdist.getnames()
        assert f"{prefix}/LICENSE" in names, f"no LICENSE at the sdist's root: {names[:20]}"
        assert sdist.extractfile(f"{prefix}/LICENSE").read() == LICENCE.read_bytes()
        metadata = HeaderParser().parsestr(sdist.extractfile(f"{prefix}/PKG-INFO").read().decode("utf-8"))
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert Version(metadata["Metadata-Version"]) >= Version("2.4")


def test_wheel_carries_the_licence_and_declares_it(built_distributions):
    dist_info = f"dltips-{built_distributions.version}.dist-info"
    with zipfile.ZipFile(built_distributions.wheel) as wheel:
        names = wheel.namelist()
        assert f"{dist_info}/licenses/LICENSE" in names, f"no licence in the wheel: {names}"
        assert wheel.read(f"{dist_info}/licenses/LICENSE") == LICENCE.read_bytes()
        # Every module of the package, subpackages included (a folder without __init__.py is left out).
        modules = {p.relative_to(ROOT / "companion").as_posix() for p in (ROOT / "companion" / "dltips").rglob("*.py")}
        assert modules <= set(names), f"modules missing from the wheel: {sorted(modules - set(names))}"
        metadata = HeaderParser().parsestr(wheel.read(f"{dist_info}/METADATA").decode("utf-8"))
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert Version(metadata["Metadata-Version"]) >= Version("2.4")


def test_both_distributions_pass_twine_check(built_distributions):
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict",
         str(built_distributions.sdist), str(built_distributions.wheel)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2, result.stdout
