"""Shared test set-up: point dltips at the MNIST copy beside the checkout, keep TensorFlow quiet,
and check that no test leaves a temporary folder of ours behind."""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist.npz"
sys.path.insert(0, str(ROOT))  # the benchmarks live beside the package, not in it

if not os.environ.get("DLTIPS_MNIST") and SHARED_MNIST.is_file():
    os.environ["DLTIPS_MNIST"] = str(SHARED_MNIST)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Some tests check the progress bars: a shell that turned them off (DLTIPS_PROGRESS=0) must not hide them.
os.environ.pop("DLTIPS_PROGRESS", None)

# Every temporary file of the session (this process's and its child processes') goes to a folder of
# its own, so that what a test leaves behind is told apart from what other programs put in the
# system's temporary folder. pytest's own tmp_path folders stay in the system's.
SYSTEM_TMP = tempfile.gettempdir()
SESSION_TMP = Path(tempfile.mkdtemp(prefix="pytest-dltips-session-"))
os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", SYSTEM_TMP)
os.environ["TMPDIR"] = str(SESSION_TMP)
tempfile.tempdir = str(SESSION_TMP)
# Removed at exit, after TensorFlow has removed the autograph files of this process (atexit runs last in first).
atexit.register(shutil.rmtree, SESSION_TMP, ignore_errors=True)

OURS = ("dltips-*", "ckpt-*")  # the temporary folders and files the package makes


def temporary_leftovers() -> set[str]:
    """The temporary folders and files of ours now in the session's temporary folder."""
    return {p.name for pattern in OURS for p in SESSION_TMP.glob(pattern)}


@pytest.fixture(autouse=True)
def no_temporary_folder_left_behind(request):
    """Fail the test after which a temporary folder or file of ours remains."""
    before = temporary_leftovers()
    yield
    left = temporary_leftovers() - before
    if left:
        pytest.fail(f"{request.node.nodeid} left temporary files behind in {SESSION_TMP}: {sorted(left)}", pytrace=False)


def pytest_sessionfinish(session, exitstatus):
    """After the whole session (module and session fixtures included), nothing of ours may remain."""
    left = temporary_leftovers()
    if left:
        print(f"\nthe test session left temporary files behind in {SESSION_TMP}: {sorted(left)}", file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def mnist_file() -> Path:
    """The real MNIST file the tests read (never downloaded during tests)."""
    path = os.environ.get("DLTIPS_MNIST")
    if not path or not Path(path).is_file():
        pytest.fail(
            "tests need the real MNIST: set DLTIPS_MNIST to a Keras-layout mnist.npz "
            f"(expected one at {SHARED_MNIST})"
        )
    return Path(path)


@pytest.fixture
def sigint_raises_keyboard_interrupt():
    """Python's own SIGINT handler for the test: ``_thread.interrupt_main()`` then raises ``KeyboardInterrupt``.

    A shell that starts pytest in the background sets SIGINT to "ignore", and
    ``interrupt_main`` does nothing where the signal is ignored; the tests of what
    an interrupt ends must not depend on how the test run was started.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)
