""".ci/browser-deps: where apt-get cannot run, it installs nothing and stops with one clear message.

The script runs with a PATH holding only the few tools it needs (no apt-get, sudo, npm or
fc-list unless a test puts a fake one there) and a fake `id` for a non-root user, so no test
needs root or changes the machine. Chromium is "missing" (DLTIPS_CHROMIUM names no file) and
MathJax too (a MATHJAX_VERSION that was never fetched).
"""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / ".ci" / "browser-deps"
NO_APT_STATUS = 3


def _write_tool(folder: Path, name: str, body: str) -> None:
    tool = folder / name
    tool.write_text(f"#!/bin/sh\n{body}\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def bare_path(tmp_path: Path) -> Path:
    """A PATH folder with only what the script runs before it decides: dirname, id, cat."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in ("dirname", "id", "cat"):
        (folder / tool).symlink_to(shutil.which(tool))
    return folder


def _run(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(path), "HOME": str(tmp_path), "DLTIPS_CHROMIUM": str(tmp_path / "no-chromium"),
           "MATHJAX_VERSION": "0.0.0-never-fetched"}
    return subprocess.run([shutil.which("bash"), str(SCRIPT)], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)


def _assert_one_clear_message(result: subprocess.CompletedProcess[str], reason: str) -> None:
    assert result.returncode == NO_APT_STATUS, result.stdout + result.stderr
    message = result.stderr
    assert message.count("browser-deps:") == 1, message  # one message, not a trail of failures
    assert f"cannot install chromium npm: {reason}" in message
    assert "sudo apt-get install chromium npm" in message  # what to install, on Debian
    assert "DLTIPS_CHROMIUM" in message  # ... and where Chromium lives elsewhere
    assert "make test-no-browser" in message  # how to run the rest
    assert result.stdout == ""  # nothing was attempted


def test_without_apt_get_it_says_what_to_install(bare_path, tmp_path):
    _assert_one_clear_message(_run(bare_path, tmp_path), "there is no apt-get here")


def test_without_root_or_sudo_it_does_not_call_apt_get(bare_path, tmp_path):
    calls = tmp_path / "apt-get-calls"
    _write_tool(bare_path, "apt-get", f'echo "$@" >> "{calls}"; exit 1')
    (bare_path / "id").unlink()
    _write_tool(bare_path, "id", f'[ "$1" = -u ] && echo 1000 || exec "{shutil.which("id")}" "$@"')
    _assert_one_clear_message(_run(bare_path, tmp_path), "apt-get needs root, and this user is not root and has no sudo")
    assert not calls.exists(), "apt-get was called"


def test_with_a_sudo_that_needs_a_password_and_no_terminal_it_stops(bare_path, tmp_path):
    calls = tmp_path / "sudo-calls"
    _write_tool(bare_path, "apt-get", "exit 1")
    _write_tool(bare_path, "sudo", f'printf "%s\\n" "$*" >> "{calls}"; exit 1')  # `sudo -n true` fails: a password is needed
    (bare_path / "id").unlink()
    _write_tool(bare_path, "id", '[ "$1" = -u ] && echo 1000')
    _assert_one_clear_message(_run(bare_path, tmp_path), "apt-get needs root, and sudo asks for a password")
    assert calls.read_text().splitlines() == ["-n true"], "only sudo's non-interactive probe may run"


def test_the_fallback_it_names_exists():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\ntest-no-browser:" in makefile
    assert "make test-no-browser" in (ROOT / "README.md").read_text(encoding="utf-8")
