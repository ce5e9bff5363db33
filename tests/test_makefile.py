"""The Makefile's test steps fail when they collect nothing (a wrong path must not pass silently).

Each step is run for real by `make`, pointed (TESTS=, NOTEBOOKS=) at a folder with nothing to
collect, with `-o install` so that make never reinstalls the environment, and with this
interpreter's pytest.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make")


def _make(*args: str) -> subprocess.CompletedProcess[str]:
    assert MAKE, "`make` is needed to run the project's tests (README: Quick start)"
    # An outer `make check` passes its own flags and variables down through these: not to this run.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    return subprocess.run(
        [MAKE, "--no-print-directory", "-o", "install", *args, f"PYTEST={sys.executable} -m pytest"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


def test_unit_step_fails_when_it_collects_nothing(tmp_path):
    # "no tests ran" and make's "Error 5" show that pytest ran on the folder given and found nothing.
    result = _make("unit", f"TESTS={tmp_path}")
    assert result.returncode != 0, "`make unit` (the last step of `make check`) passed with no test collected"
    assert "no tests ran" in result.stdout and "Error 5" in result.stderr, result.stdout + result.stderr


def test_notebook_step_fails_when_it_finds_no_notebook(tmp_path):
    (tmp_path / "notes.md").write_text("# Not a notebook\n")
    result = _make("test-notebooks", f"NOTEBOOKS={tmp_path}")
    assert result.returncode != 0, "`make test-notebooks` passed without a notebook"
    assert "no tests ran" in result.stdout and "Error 5" in result.stderr, result.stdout + result.stderr


def test_default_steps_collect_the_projects_tests_and_notebooks():
    # The defaults the overrides above replace: the unit tests and every chapter notebook.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    result = subprocess.run([MAKE, "--no-print-directory", "-n", "-o", "install", "check", "test-notebooks"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    ruff, doctests, unit, notebooks = [line for line in result.stdout.splitlines() if "pytest" in line or "ruff" in line]
    assert ruff.endswith("ruff check .") and doctests.endswith("--doctest-modules -p no:cacheprovider companion/dltips")
    assert unit.split()[1:3] == ["tests", "-m"]
    assert notebooks.endswith(" chapters/") and "--nbval-lax" in notebooks
    assert "-eq 5" not in result.stdout
    # The notebooks run with progress bars off (no bar in a page); the unit tests keep them (some check them).
    assert notebooks.startswith("DLTIPS_PROGRESS=0 ") and "DLTIPS_PROGRESS" not in unit


def test_the_book_is_built_without_progress_bars():
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    result = subprocess.run([MAKE, "--no-print-directory", "-n", "-o", "install", "book"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    (build,) = [line for line in result.stdout.splitlines() if "jupyter-book build" in line]
    assert build.startswith("DLTIPS_PROGRESS=0 "), build


def test_test_no_browser_is_make_test_without_the_browser_step():
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}

    def steps(target: str) -> list[str]:
        result = subprocess.run([MAKE, "--no-print-directory", "-n", "-o", "install", target], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout.splitlines()

    everything, no_browser = steps("test"), steps("test-no-browser")
    assert everything[0] == ".ci/browser-deps", "make test must check the browser's dependencies first"
    assert not any("browser-deps" in line or "test_book_html" in line for line in no_browser)
    assert [line for line in everything if "browser-deps" not in line and "test_book_html" not in line] == no_browser
