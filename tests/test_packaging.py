"""The distributions: the sdist and the wheel build, carry the licence file and pass `twine check`.

The build runs once per test session (the `built_distributions` fixture), offline: without
build isolation, with the setuptools of the test environment (the `test` extra requires one
that meets [build-system]'s floor), so no package is downloaded.
"""

from __future__ import annotations

import os
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
from tools import install_cell, run_outside

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


# --- what the wheel carries -----------------------------------------------------------------

RECORDINGS = ROOT / "companion" / "dltips" / "recordings"


def test_wheel_carries_the_recordings_and_no_test_chapter_or_benchmark_file(built_distributions):
    dist_info = f"dltips-{built_distributions.version}.dist-info"
    with zipfile.ZipFile(built_distributions.wheel) as wheel:
        names = wheel.namelist()
        recordings = sorted(RECORDINGS.glob("*.json"))
        assert recordings, "no recording to ship"
        for path in recordings:
            assert wheel.read(f"dltips/recordings/{path.name}") == path.read_bytes(), path.name
    assert {name.split("/")[0] for name in names} == {"dltips", dist_info}
    strays = [n for n in names if n.endswith((".ipynb", ".md", ".bib")) or Path(n).name.startswith(("test_", "conftest"))
              or n.split("/")[1] in ("tests", "chapters", "benchmarks", "tools", "docs")]
    assert not strays, f"the wheel carries files that are not the package's: {strays}"


def test_sdist_carries_the_recordings(built_distributions):
    prefix = f"dltips-{built_distributions.version}/companion/dltips/recordings"
    with tarfile.open(built_distributions.sdist) as sdist:
        names = set(sdist.getnames())
    assert {f"{prefix}/{p.name}" for p in RECORDINGS.glob("*.json")} <= names


# --- the version, written once ----------------------------------------------------------------


def _version() -> str:
    return re.search(r'^__version__ = "(.+)"$', (ROOT / "companion" / "dltips" / "__init__.py").read_text(encoding="utf-8"),
                     re.MULTILINE).group(1)


def test_the_version_is_written_once_and_everything_else_names_it(built_distributions):
    assert "version" not in PYPROJECT["project"] and PYPROJECT["project"]["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "dltips.__version__"}
    assert built_distributions.version == _version()
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    first_release = re.search(r"^## \[?(\d[^\]\s]*)", changelog, re.MULTILINE).group(1)
    assert first_release == _version(), "CHANGELOG.md's latest entry is not the package's version"
    citation = re.search(r"^version: (\S+)$", (ROOT / "CITATION.cff").read_text(encoding="utf-8"), re.MULTILINE).group(1)
    assert citation == _version(), "CITATION.cff names another version"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(r"github\.com/dltips/dltips@v" + re.escape(_version()), readme), "README.md pins no release"
    # Install lines, the wheel's name, the release example, the citation.
    named = set(re.findall(r"(?:@v|==|dltips-|version |tag `?v)(\d+\.\d+\.\d+)", readme))
    assert named == {_version()}, f"README.md names versions {named}"


# --- a fresh environment: only the wheel, outside the repository ------------------------------
# The environment of the wheel's dependencies is cached across runs (tools/run_outside.py); the
# environments below are new each time, in `dltips-` temporary folders that are removed.


@pytest.fixture(scope="session")
def dependencies(built_distributions) -> Path:
    """The cached environment holding the wheel's declared dependencies (created once, with pip)."""
    return run_outside.dependencies_env(run_outside.declared_dependencies(built_distributions.wheel))


@pytest.fixture
def fresh_folder():
    with run_outside.temporary_folder() as folder:
        yield folder


def test_declared_dependencies_are_the_projects_without_extras(built_distributions):
    declared = run_outside.declared_dependencies(built_distributions.wheel)
    assert declared == sorted(str(Requirement(r)) for r in PYPROJECT["project"]["dependencies"])


def test_the_install_cell_installs_the_wheel_through_its_setting(built_distributions, dependencies, fresh_folder):
    env = run_outside.fresh_env(fresh_folder / "env", dependencies)
    python = str(env / "bin" / "python")
    environ = run_outside.clean_environ(env) | {"PIP_NO_INDEX": "1"}  # offline: the dependencies are there already
    environ.pop("DLTIPS_INSTALL", None)
    absent = subprocess.run([python, "-c", "import importlib.util; print(importlib.util.find_spec('dltips'))"],
                            env=environ, cwd=fresh_folder, capture_output=True, text=True, check=True)
    assert absent.stdout.strip() == "None", "the fresh environment already has dltips"

    cell = install_cell.cell_source()
    check = "\nimport dltips\nprint(dltips.__version__, dltips.__file__, dltips.recorded('parallel')['global_batch_size'])"
    wheel = str(built_distributions.wheel)
    done = subprocess.run([python, "-c", cell + check], env=environ | {"DLTIPS_INSTALL": wheel}, cwd=fresh_folder,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    said, imported = done.stdout.splitlines()
    assert said == f"installed dltips from {wheel}"  # one line, naming what was installed
    version, location, batch = imported.split()
    assert version == built_distributions.version and int(batch) > 0
    assert Path(location).is_relative_to(env) and not Path(location).is_relative_to(ROOT)

    again = subprocess.run([python, "-c", cell], env=environ | {"DLTIPS_INSTALL": "no-such-package"}, cwd=fresh_folder,
                           capture_output=True, text=True, timeout=120)
    assert (again.returncode, again.stdout, again.stderr) == (0, "", ""), "the cell acted although dltips was there"


def test_a_notebook_runs_outside_the_repository_with_only_the_wheel(built_distributions, dependencies, fresh_folder):
    import nbformat

    probe = nbformat.v4.new_notebook()
    probe.cells = [nbformat.v4.new_code_cell(install_cell.cell_source()), nbformat.v4.new_code_cell(
        "import os, sys\nimport dltips\n"
        f"root = {str(ROOT)!r}\n"
        "assert os.listdir('.') == ['probe.ipynb'], os.listdir('.')\n"
        "assert not os.getcwd().startswith(root) and not dltips.__file__.startswith(root)\n"
        "assert dltips.__file__.startswith(sys.prefix), (dltips.__file__, sys.prefix)\n"
        "assert not [p for p in sys.path if p.startswith(root)], sys.path\n"
        "assert dltips.recorded('distillation')['students']")]
    folder = fresh_folder / "given"
    folder.mkdir()
    nbformat.write(probe, folder / "probe.ipynb")
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "run_outside.py"), "--wheel", str(built_distributions.wheel),
         "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider", str(folder)],
        # The checkout on PYTHONPATH must not reach the notebook: the runner clears it.
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "companion"), str(ROOT)])},
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "2 passed" in done.stdout
    leftover = re.findall(r"copied to (\S+)", done.stderr)
    assert leftover and not Path(leftover[0]).exists(), "the temporary folder was not removed"


def test_the_book_builds_kernel_is_the_fresh_environment_with_only_the_wheel(built_distributions, dependencies,
                                                                            fresh_folder):
    # `make book` runs the build through `run_outside.py --kernel`; here the "build" is a script that
    # executes a probe notebook in the kernel python3, in a temporary folder, as myst-nb does.
    probe = fresh_folder / "probe.ipynb"
    import nbformat

    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os, sys\nimport dltips\n"
        f"root = {str(ROOT)!r}\n"
        "assert not os.getcwd().startswith(root) and not dltips.__file__.startswith(root)\n"
        "assert dltips.__file__.startswith(sys.prefix), (dltips.__file__, sys.prefix)\n"
        "assert not [p for p in sys.path if p.startswith(root)], sys.path\n"
        "print('probe ran in', sys.prefix)")]), probe)
    build = (
        "import sys, tempfile, nbformat\n"
        "from nbclient import NotebookClient\n"
        f"nb = nbformat.read({str(probe)!r}, as_version=4)\n"
        "with tempfile.TemporaryDirectory() as cwd:\n"
        "    NotebookClient(nb, kernel_name='python3', resources={'metadata': {'path': cwd}}).execute()\n"
        "print(nb.cells[0].outputs[0]['text'], end='')\n")
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "run_outside.py"), "--wheel", str(built_distributions.wheel), "--kernel",
         sys.executable, "-c", build],
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "companion"), str(ROOT)])},
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    prefix = done.stdout.split("probe ran in ", 1)[1].strip()
    assert "dltips-outside-" in prefix and not Path(prefix).exists(), "the fresh environment was not removed"
    assert "with the kernel python3 of the fresh environment" in done.stderr


def test_make_book_executes_through_the_wheel_only_kernel_in_temporary_folders():
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["execute"]["run_in_temp"] is True and config["execute"]["allow_errors"] is False
    (build,) = [line for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
                if "$(JB_BUILD)" in line and line.startswith("\t")]
    assert "tools/run_outside.py --kernel $(JB_BUILD)" in build


def test_the_runner_without_notebooks_says_no_tests_ran(tmp_path, capsys):
    assert run_outside.main(["pytest", "--nbval-lax", str(tmp_path)]) == run_outside.NO_TESTS_COLLECTED
    assert "no tests ran" in capsys.readouterr().out


def test_the_runner_clears_what_would_reach_the_checkout(monkeypatch, tmp_path):
    monkeypatch.setenv("PYTHONPATH", str(ROOT / "companion"))
    monkeypatch.setenv("PYTHONUSERBASE", str(tmp_path))
    environ = run_outside.clean_environ(tmp_path / "env")
    assert "PYTHONPATH" not in environ and "PYTHONUSERBASE" not in environ and environ["PYTHONNOUSERSITE"] == "1"
    assert environ["PATH"].split(os.pathsep)[0] == str(tmp_path / "env" / "bin")
    (tmp_path / "a" / ".ipynb_checkpoints").mkdir(parents=True)
    for name in ("a/x.ipynb", "a/.ipynb_checkpoints/x-checkpoint.ipynb", "a/notes.md", "y.ipynb"):
        (tmp_path / name).write_text("{}")
    command, paths = run_outside.split_arguments(["pytest", "-p", "no:cacheprovider", str(tmp_path / "a"), str(tmp_path / "y.ipynb")])
    assert command == ["pytest", "-p", "no:cacheprovider"] and paths == [tmp_path / "a", tmp_path / "y.ipynb"]
    assert run_outside.notebooks_in(paths) == [tmp_path / "a" / "x.ipynb", tmp_path / "y.ipynb"]


def test_the_workflow_builds_the_distributions_and_publishes_them_on_a_tag():
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "book.yml").read_text(encoding="utf-8"))
    assert "v*" in workflow[True]["push"]["tags"]  # YAML reads the key `on` as True
    dist, publish = workflow["jobs"]["dist"], workflow["jobs"]["publish"]
    script = "\n".join(step.get("run", "") for step in dist["steps"])
    assert "python -m build" in script and "twine check --strict" in script
    assert publish["if"] == "github.event_name == 'push' && startsWith(github.ref, 'refs/tags/v')"
    assert {"dist", "tests"} <= set(publish["needs"]) and publish["permissions"] == {"id-token": "write"}
    assert [s["uses"] for s in publish["steps"]][-1] == "pypa/gh-action-pypi-publish@release/v1"
