"""dltips.data: the loader reads real MNIST from each source, and refuses anything else clearly."""

from __future__ import annotations

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np
import pytest

from dltips import data

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
MD5 = {
    "x_train": "6510e85a72c3e9475c492d559d3770d2",
    "y_train": "e86ee40d66677c011a9abda399ec8c4d",
    "x_test": "240610fa99e73bfa49df8e7fc24d3206",
    "y_test": "073c3904dfbd3e141ff8aa01cfde6b15",
}


@pytest.fixture(scope="module")
def raw(mnist_file):
    return data.load_mnist(mnist_file, normalize=False)


def _write_idx(path: Path, array: np.ndarray, *, compress: bool = False) -> None:
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    if compress:
        with gzip.open(path.with_name(path.name + ".gz"), "wb", compresslevel=1) as f:
            f.write(payload)
    else:
        path.write_bytes(payload)


def _valid_arrays() -> dict[str, np.ndarray]:
    return {
        "x_train": np.zeros((60_000, 28, 28), np.uint8),
        "y_train": np.zeros(60_000, np.uint8),
        "x_test": np.zeros((10_000, 28, 28), np.uint8),
        "y_test": np.zeros(10_000, np.uint8),
    }


# --- the real file ---------------------------------------------------------------------------


def test_real_file_is_mnist_as_published(raw):
    assert raw.x_train.shape == (60_000, 28, 28) and raw.x_test.shape == (10_000, 28, 28)
    assert raw.y_train.shape == (60_000,) and raw.y_test.shape == (10_000,)
    assert all(a.dtype == np.uint8 for a in raw)
    assert np.bincount(raw.y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(raw.y_test).tolist() == TEST_COUNTS
    for name, digest in MD5.items():
        assert hashlib.md5(getattr(raw, name).tobytes()).hexdigest() == digest, name


def test_normalize_and_flatten(mnist_file, raw):
    m = data.load_mnist(mnist_file, flatten=True)
    assert m.x_train.shape == (60_000, 784) and m.x_train.dtype == np.float32
    assert m.x_train.min() == 0.0 and m.x_train.max() == 1.0
    np.testing.assert_array_equal(m.x_test[7], raw.x_test[7].reshape(-1) / np.float32(255))
    assert m.y_train.dtype == np.uint8


def test_returned_arrays_are_private_copies(mnist_file):
    first = data.load_mnist(mnist_file, normalize=False)
    first.x_train[0] = 255
    first.y_train[0] = 9
    again = data.load_mnist(mnist_file, normalize=False)
    assert hashlib.md5(again.x_train.tobytes()).hexdigest() == MD5["x_train"]
    assert hashlib.md5(again.y_train.tobytes()).hexdigest() == MD5["y_train"]


def test_mnist_unpacks_like_four_arrays(raw):
    x_train, y_train, x_test, y_test = raw
    assert x_train is raw.x_train and y_test is raw.y_test


# --- where the data comes from --------------------------------------------------------------


def test_environment_variable_is_used_when_no_path(monkeypatch, mnist_file):
    monkeypatch.setenv("DLTIPS_MNIST", str(mnist_file))
    assert data.load_mnist(normalize=False).x_train.shape == (60_000, 28, 28)


def test_explicit_path_wins_over_environment(monkeypatch, mnist_file, tmp_path):
    monkeypatch.setenv("DLTIPS_MNIST", str(tmp_path / "elsewhere.npz"))
    assert data.load_mnist(mnist_file).x_test.shape == (10_000, 28, 28)


def test_environment_variable_pointing_nowhere_is_an_error(monkeypatch, tmp_path):
    missing = tmp_path / "nope.npz"
    monkeypatch.setenv("DLTIPS_MNIST", str(missing))
    with pytest.raises(FileNotFoundError, match="DLTIPS_MNIST") as err:
        data.load_mnist()
    assert str(missing) in str(err.value)


def test_without_path_or_variable_keras_is_asked(monkeypatch, raw):
    import keras

    monkeypatch.delenv("DLTIPS_MNIST", raising=False)
    calls = []

    def fake_load_data():
        calls.append(1)
        return (raw.x_train, raw.y_train), (raw.x_test, raw.y_test)

    monkeypatch.setattr(keras.datasets.mnist, "load_data", fake_load_data)
    m = data.load_mnist(normalize=False)
    assert calls == [1] and np.array_equal(m.y_test, raw.y_test)


def test_failed_keras_download_says_how_to_provide_the_data(monkeypatch):
    import keras

    monkeypatch.delenv("DLTIPS_MNIST", raising=False)

    def offline():
        raise OSError("network is unreachable")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(FileNotFoundError, match="DLTIPS_MNIST.*") as err:
        data.load_mnist()
    assert "network is unreachable" in str(err.value)


# --- the four original IDX files -------------------------------------------------------------


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzipped"])
def test_idx_folder_gives_the_same_arrays(tmp_path, raw, compress):
    for key, stem in data._IDX_FILES.items():
        _write_idx(tmp_path / stem, getattr(raw, key), compress=compress)
    m = data.load_mnist(tmp_path, normalize=False)
    for key in MD5:
        np.testing.assert_array_equal(getattr(m, key), getattr(raw, key))


def test_read_idx_small_file(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    _write_idx(tmp_path / "small-idx3-ubyte", array)
    _write_idx(tmp_path / "small-idx3-ubyte", array, compress=True)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "small-idx3-ubyte"), array)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "small-idx3-ubyte.gz"), array)


def test_read_idx_rejects_bad_magic_and_truncation(tmp_path):
    bad_magic = tmp_path / "bad"
    bad_magic.write_bytes(struct.pack(">HBB", 0, 0x0D, 1) + struct.pack(">I", 3) + bytes(12))
    with pytest.raises(ValueError, match="unsigned-byte IDX"):
        data.read_idx(bad_magic)
    truncated = tmp_path / "truncated"
    truncated.write_bytes(struct.pack(">HBB", 0, 0x08, 1) + struct.pack(">I", 10) + bytes(7))
    with pytest.raises(ValueError, match="holds 7 bytes"):
        data.read_idx(truncated)


def test_idx_folder_missing_a_file(tmp_path):
    _write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((1, 28, 28), np.uint8))
    with pytest.raises(FileNotFoundError, match="train-labels-idx1-ubyte"):
        data.load_mnist(tmp_path)


# --- bad input ------------------------------------------------------------------------------


def test_missing_file_names_path_and_remedy(tmp_path):
    missing = tmp_path / "mnist.npz"
    with pytest.raises(FileNotFoundError) as err:
        data.load_mnist(missing)
    assert str(missing) in str(err.value) and "DLTIPS_MNIST" in str(err.value)


def _save(tmp_path, arrays, name="bad.npz"):
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.pop("y_test"), "missing keys \\['y_test'\\]"),
        (lambda a: a.update(x_train=a["x_train"][:100]), "x_train has shape \\(100, 28, 28\\)"),
        (lambda a: a.update(x_test=np.zeros((10_000, 32, 32), np.uint8)), "x_test has shape"),
        (lambda a: a.update(x_train=a["x_train"].astype(np.float32)), "x_train has dtype float32"),
        (lambda a: a.update(y_test=a["y_test"].astype(np.int64)), "y_test has dtype int64"),
        (lambda a: a["y_train"].__setitem__(5, 10), "labels outside 0-9 \\(for example \\[10\\]\\)"),
        (lambda a: a.update(y_train=a["y_train"][:-1]), "y_train has shape \\(59999,\\)"),
    ],
    ids=["missing-key", "short-train", "wrong-image-size", "float-images", "int64-labels", "label-10", "short-labels"],
)
def test_malformed_npz_is_refused(tmp_path, change, message):
    arrays = _valid_arrays()
    change(arrays)
    with pytest.raises(ValueError, match=message):
        data.load_mnist(_save(tmp_path, arrays))


def test_pickled_object_array_is_refused_without_unpickling(tmp_path):
    arrays = _valid_arrays()
    arrays["y_train"] = np.array([{"label": 1}] * 3, dtype=object)
    with pytest.raises(ValueError, match="pickled object array"):
        data.load_mnist(_save(tmp_path, arrays))


def test_not_a_zip_file(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_bytes(b"this is not an npz file")
    with pytest.raises(ValueError, match="not a readable .npz"):
        data.load_mnist(path)


def test_edited_file_is_read_again(tmp_path):
    arrays = _valid_arrays()
    path = _save(tmp_path, arrays, "m.npz")
    assert data.load_mnist(path, normalize=False).y_train.max() == 0
    arrays["y_train"][0] = 7
    import os
    import time

    time.sleep(0.01)
    np.savez(path, **arrays)
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert data.load_mnist(path, normalize=False).y_train[0] == 7


# --- class-balanced subsets -----------------------------------------------------------------


@pytest.mark.parametrize("n", [10, 1000, 1005, 2000])
def test_train_subset_is_balanced(n):
    x, y = data.train_subset(n, seed=0)
    counts = np.bincount(y, minlength=10)
    assert len(x) == len(y) == n
    assert counts.max() - counts.min() <= (0 if n % 10 == 0 else 1)
    assert x.shape[1:] == (28, 28) and x.dtype == np.float32


def test_train_subset_is_seeded_and_shuffled():
    x1, y1 = data.train_subset(500, seed=3)
    x2, y2 = data.train_subset(500, seed=3)
    x3, y3 = data.train_subset(500, seed=4)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(y1, y3)
    assert not np.all(np.diff(y1.astype(int)) >= 0), "labels come out sorted: subset was not shuffled"


def test_train_subset_has_no_duplicates(raw):
    idx = data.balanced_indices(raw.y_train, 54_210, seed=0)
    assert len(np.unique(idx)) == len(idx) == 54_210
    x, _ = data.train_subset(3000, seed=1, normalize=False, flatten=True)
    assert len(np.unique(x, axis=0)) == 3000


def test_train_subset_flattened_matches_source(raw):
    x, y = data.train_subset(50, seed=2, normalize=False, flatten=True)
    idx = data.balanced_indices(raw.y_train, 50, seed=2)
    np.testing.assert_array_equal(x, raw.x_train[idx].reshape(50, 784))
    np.testing.assert_array_equal(y, raw.y_train[idx])


@pytest.mark.parametrize("n", [0, -5, 54_211, 2.5, True])
def test_train_subset_rejects_bad_sizes(n):
    with pytest.raises(ValueError, match="n must be an integer in 1..54210"):
        data.train_subset(n)


# --- tf.data pipeline -----------------------------------------------------------------------
