"""Shared test set-up: point dltips at the MNIST copy beside the checkout, keep TensorFlow quiet."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist.npz"
sys.path.insert(0, str(ROOT))  # the benchmarks live beside the package, not in it

if not os.environ.get("DLTIPS_MNIST") and SHARED_MNIST.is_file():
    os.environ["DLTIPS_MNIST"] = str(SHARED_MNIST)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


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
