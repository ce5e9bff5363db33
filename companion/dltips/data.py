"""MNIST: loading, validation and class-balanced subsets.

Where the data comes from, in order:

1. an explicit ``path=`` argument (a Keras-layout ``.npz`` file, or a folder with
   the four original IDX files, gzipped or not);
2. the file or folder named by the environment variable ``DLTIPS_MNIST``;
3. ``keras.datasets.mnist.load_data()``, which downloads MNIST once and caches
   it under ``~/.keras/datasets``.

Whatever the source, the arrays are checked (keys, shapes, ``uint8`` dtype,
labels 0-9) and nothing is ever replaced by other data: a missing file raises
:class:`FileNotFoundError`, a malformed one :class:`ValueError`.

Example::

    >>> from dltips.data import load_mnist, train_subset
    >>> mnist = load_mnist()
    >>> mnist.x_train.shape, mnist.x_train.dtype
    ((60000, 28, 28), dtype('float32'))
    >>> x, y = train_subset(1000, seed=0)
    >>> x.shape, sorted(set(y.tolist())) == list(range(10))
    ((1000, 28, 28), True)
"""

from __future__ import annotations

import functools
import gzip
import os
import struct
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from dltips.checks import check_int

__all__ = [
    "ENV_VAR",
    "EXPECTED_SIZES",
    "IMAGE_SHAPE",
    "MNIST",
    "NUM_CLASSES",
    "balanced_indices",
    "load_mnist",
    "read_idx",
    "train_subset",
]

#: The environment variable that names the MNIST file or folder when no ``path=`` is given.
ENV_VAR = "DLTIPS_MNIST"
#: The number of classes (digits 0-9).
NUM_CLASSES = 10
#: The shape of one image: 28×28 pixels.
IMAGE_SHAPE = (28, 28)
#: The number of images in each split of MNIST as published.
EXPECTED_SIZES = {"train": 60_000, "test": 10_000}
_NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
_IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
_HOW_TO_PROVIDE = (
    "Pass path= to load_mnist, set the environment variable "
    f"{ENV_VAR} to a Keras-layout mnist.npz file or a folder with the four IDX files, "
    "or let keras.datasets.mnist.load_data() download it (needs internet once)."
)


class MNIST(NamedTuple):
    """The four MNIST arrays; unpacks like ``x_train, y_train, x_test, y_test = mnist``.

    Returned by :func:`load_mnist`.

    Args:
        x_train, y_train: the 60,000 training images and labels.
        x_test, y_test: the 10,000 test images and labels.

    Example::

        >>> x_train, y_train, x_test, y_test = MNIST(*(np.zeros(1) for _ in range(4)))
        >>> MNIST._fields
        ('x_train', 'y_train', 'x_test', 'y_test')
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_mnist(
    path: str | os.PathLike[str] | None = None,
    *,
    normalize: bool = True,
    flatten: bool = False,
) -> MNIST:
    """Load the full MNIST set (60,000 training and 10,000 test images).

    Args:
        path: a Keras-layout ``.npz`` file (keys ``x_train``, ``y_train``,
            ``x_test``, ``y_test``) or a folder holding the original IDX files
            (``train-images-idx3-ubyte`` etc., optionally ``.gz``). ``None`` means
            ``$DLTIPS_MNIST``, then Keras's own download and cache.
        normalize: scale images to ``float32`` in ``[0, 1]`` (``x / 255``);
            otherwise keep the raw ``uint8`` pixels.
        flatten: reshape images from ``(n, 28, 28)`` to ``(n, 784)``.

    Returns:
        An :class:`MNIST` tuple; labels are ``uint8`` in ``0..9``. The arrays are
        fresh copies, safe to modify.

    Raises:
        FileNotFoundError: the file or folder does not exist (the message says
            how to provide the data).
        ValueError: wrong layout, keys, shapes or dtypes, labels outside 0-9,
            an object (pickled) array, a malformed or truncated header, or a
            file this user may not read (the message names the file and says
            "permission denied").

    Example::

        >>> mnist = load_mnist()  # reads $DLTIPS_MNIST, or Keras's cache
        >>> mnist.x_train.shape, mnist.x_test.dtype, int(mnist.y_test.max())
        ((60000, 28, 28), dtype('float32'), 9)
    """
    raw = _load_raw(path)
    x_train, y_train, x_test, y_test = (np.array(a, copy=True) for a in raw)
    if flatten:
        x_train = x_train.reshape(len(x_train), -1)
        x_test = x_test.reshape(len(x_test), -1)
    if normalize:
        x_train = x_train.astype(np.float32) / np.float32(255.0)
        x_test = x_test.astype(np.float32) / np.float32(255.0)
    return MNIST(x_train, y_train, x_test, y_test)


def _load_raw(path: str | os.PathLike[str] | None) -> MNIST:
    try:
        return _load_raw_unchecked(path)
    except PermissionError as exc:
        # An unreadable file (or a folder on the way to it) must not pass for a malformed one.
        raise ValueError(_permission_denied(exc.filename or path)) from exc


def _permission_denied(path: str | os.PathLike[str] | None) -> str:
    return (f"{str(path)!r} cannot be read: permission denied (check its permissions and those of the "
            "folders above it)")


def _load_raw_unchecked(path: str | os.PathLike[str] | None) -> MNIST:
    if path is None:
        env = os.environ.get(ENV_VAR)
        if env:
            resolved = Path(env).expanduser()
            if not resolved.exists():
                raise FileNotFoundError(
                    f"{ENV_VAR} points to {str(resolved)!r}, which does not exist. {_HOW_TO_PROVIDE}"
                )
            return _load_from_path(resolved)
        return _load_from_keras()
    resolved = Path(path).expanduser()
    if not resolved.exists():
        raise FileNotFoundError(f"MNIST file or folder {str(resolved)!r} does not exist. {_HOW_TO_PROVIDE}")
    return _load_from_path(resolved)


def _load_from_path(path: Path) -> MNIST:
    stat = path.stat()
    return _load_from_path_cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _load_from_path_cached(path: str, mtime_ns: int, size: int) -> MNIST:
    # Keyed on mtime and size, so an edited file is read again.
    p = Path(path)
    arrays = _read_idx_folder(p) if p.is_dir() else _read_npz(p)
    validate_mnist(*arrays, source=path)
    for a in arrays:
        a.setflags(write=False)
    return arrays


def _load_from_keras() -> MNIST:
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as exc:  # no internet, proxy, corrupt cache...
        raise FileNotFoundError(f"MNIST could not be downloaded by Keras ({exc}). {_HOW_TO_PROVIDE}") from exc
    arrays = MNIST(x_train, y_train, x_test, y_test)
    validate_mnist(*arrays, source="keras.datasets.mnist")
    return arrays


def _read_npz(path: Path) -> MNIST:
    with open(path, "rb"):  # PermissionError here, rather than "not a zip archive" below
        pass
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{str(path)!r} is not a readable .npz file (not a zip archive); expected Keras's mnist.npz")
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in _NPZ_KEYS if k not in npz.files]
            if missing:
                raise ValueError(
                    f"{str(path)!r} is not in Keras's mnist.npz layout: missing keys {missing}, "
                    f"found {sorted(npz.files)}; expected {list(_NPZ_KEYS)}"
                )
            for key in _NPZ_KEYS:
                _check_npz_member(path, npz.zip, key)
            return MNIST(*(npz[k] for k in _NPZ_KEYS))
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "Object arrays" in str(exc):
            raise ValueError(f"{str(path)!r} holds a pickled object array; MNIST arrays must be plain uint8") from exc
        raise
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"{str(path)!r} is not a readable .npz file ({exc})") from exc


def _check_npz_member(path: Path, archive: zipfile.ZipFile, key: str) -> None:
    """Read the header of one ``.npy`` member and check that its data fit in the member, before any allocation.

    NumPy allocates what a header announces before reading the data, so a header
    claiming 10¹² bytes would otherwise end in a ``MemoryError``, and a garbled one
    in whatever its parser raises (``tokenize.TokenError``, ``SyntaxError``...).
    """
    info = archive.getinfo(f"{key}.npy")
    with archive.open(info) as member:
        try:
            version = np.lib.format.read_magic(member)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = read_header(member)
        except Exception as exc:  # noqa: BLE001 - a garbled header raises whatever its parser meets
            raise ValueError(f"{str(path)!r}: {key} has a malformed .npy header ({type(exc).__name__}: {exc})") from exc
        header_size = member.tell()
    if dtype.hasobject:
        raise ValueError(f"{str(path)!r} holds a pickled object array; MNIST arrays must be plain uint8")
    announced = int(np.prod(shape, dtype=object)) * dtype.itemsize
    available = info.file_size - header_size
    if announced > available:
        raise ValueError(
            f"{str(path)!r}: {key} announces shape {tuple(shape)} of {dtype} ({announced:,} bytes) "
            f"but holds {available:,} bytes of data"
        )


def _find_idx(folder: Path, stem: str) -> Path:
    candidates = [stem, stem.replace("-idx", ".idx")]
    for name in candidates:
        for suffix in ("", ".gz"):
            p = folder / f"{name}{suffix}"
            if p.is_file():
                return p
    raise FileNotFoundError(
        f"folder {str(folder)!r} has no {stem} (or {stem}.gz); an IDX folder needs "
        f"{', '.join(_IDX_FILES.values())}. {_HOW_TO_PROVIDE}"
    )


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file (the format MNIST was published in), gzipped or not.

    The header is two zero bytes, a type code (``0x08`` = unsigned byte), the
    number of dimensions, then each dimension as a big-endian ``uint32``.

    Args:
        path: the file; a name ending in ``.gz`` is read through gzip.

    Returns:
        A ``uint8`` array of the shape the header gives.

    Raises:
        ValueError: not an unsigned-byte IDX file, a header cut short, data
            that do not match the header, or a file this user may not read.

    Example::

        >>> import struct, tempfile, os
        >>> with tempfile.TemporaryDirectory(prefix="dltips-") as folder:
        ...     path = os.path.join(folder, "labels-idx1-ubyte")
        ...     with open(path, "wb") as f:  # header: 0, 0, type 0x08, 1 dimension of size 3
        ...         _ = f.write(struct.pack(">BBBBI", 0, 0, 8, 1, 3) + bytes([7, 2, 1]))
        ...     read_idx(path).tolist()
        [7, 2, 1]
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except PermissionError as exc:
        raise ValueError(_permission_denied(path)) from exc
    except (OSError, EOFError) as exc:
        raise ValueError(f"{str(path)!r} could not be read as an IDX file ({exc})") from exc
    if len(data) < 4:
        raise ValueError(f"{str(path)!r} is too short to be an IDX file ({len(data)} bytes)")
    zero, type_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or type_code != 0x08:
        raise ValueError(
            f"{str(path)!r} is not an unsigned-byte IDX file (magic bytes {data[:4].hex()}, expected 000008xx)"
        )
    header_end = 4 + 4 * ndim
    if len(data) < header_end:
        raise ValueError(
            f"{str(path)!r}: the IDX header is cut short: it announces {ndim} dimensions "
            f"({header_end} header bytes) but the file holds {len(data)} bytes"
        )
    shape = struct.unpack(f">{ndim}I", data[4:header_end])
    expected = int(np.prod(shape))
    if len(data) - header_end != expected:
        raise ValueError(
            f"{str(path)!r}: header announces shape {shape} ({expected} bytes) "
            f"but the file holds {len(data) - header_end} bytes of data"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_end).reshape(shape).copy()


def _read_idx_folder(folder: Path) -> MNIST:
    return MNIST(*(read_idx(_find_idx(folder, _IDX_FILES[k])) for k in _NPZ_KEYS))


def validate_mnist(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    source: str = "MNIST",
) -> None:
    """Check that four arrays are MNIST as published; raise ``ValueError`` saying what was found.

    Checks: 60,000 training and 10,000 test images of 28×28 ``uint8`` pixels,
    one ``uint8`` label per image, every label in 0-9.
    """
    for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        n = EXPECTED_SIZES[split]
        for name, a in ((f"x_{split}", x), (f"y_{split}", y)):
            if not isinstance(a, np.ndarray):
                raise ValueError(f"{source}: {name} is a {type(a).__name__}, expected a NumPy array")
            if a.dtype == object:
                raise ValueError(f"{source}: {name} is an object (pickled) array; expected uint8")
            if a.dtype != np.uint8:
                raise ValueError(f"{source}: {name} has dtype {a.dtype}, expected uint8")
        if x.shape != (n, *IMAGE_SHAPE):
            raise ValueError(f"{source}: x_{split} has shape {x.shape}, expected {(n, *IMAGE_SHAPE)}")
        if y.shape != (n,):
            raise ValueError(f"{source}: y_{split} has shape {y.shape}, expected {(n,)}")
        if y.size and int(y.max()) >= NUM_CLASSES:
            bad = sorted(set(np.unique(y[y >= NUM_CLASSES]).tolist()))[:5]
            raise ValueError(f"{source}: y_{split} holds labels outside 0-9 (for example {bad})")


def balanced_indices(y: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """Indices of a shuffled, class-balanced sample of ``n`` examples without repetition.

    Every class gets ``n // 10`` examples; the ``n % 10`` remaining ones go to
    classes drawn at random, so class counts differ by at most one.

    Args:
        y: the labels to sample from (0-9).
        n: the sample size, in ``1 .. 10 * (size of the smallest class)``.
        seed: the same seed gives the same sample in the same order.

    Returns:
        ``n`` distinct indices into ``y``, shuffled.

    Raises:
        ValueError: ``n`` is not in ``1 .. 10 * (size of the smallest class)``.

    Example::

        >>> y = np.arange(100) % 10
        >>> np.bincount(y[balanced_indices(y, 12, seed=0)], minlength=10).tolist().count(2)
        2
        >>> balanced_indices(y, 101)
        Traceback (most recent call last):
        ...
        ValueError: n must be an integer in 1..100, got 101
    """
    y = np.asarray(y)
    classes = np.arange(NUM_CLASSES)
    by_class = [np.flatnonzero(y == c) for c in classes]
    smallest = min(len(idx) for idx in by_class)
    check_int("n", n, maximum=NUM_CLASSES * smallest)  # ten times the smallest class: a class-balanced sample
    rng = np.random.default_rng(seed)
    counts = np.full(NUM_CLASSES, n // NUM_CLASSES)
    counts[rng.choice(NUM_CLASSES, size=n % NUM_CLASSES, replace=False)] += 1
    chosen = np.concatenate([rng.choice(idx, size=k, replace=False) for idx, k in zip(by_class, counts)])
    return rng.permutation(chosen)


def train_subset(
    n: int,
    seed: int = 0,
    *,
    path: str | os.PathLike[str] | None = None,
    normalize: bool = True,
    flatten: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """A shuffled, class-balanced subset of ``n`` MNIST training images.

    Small subsets make overfitting visible in seconds; balance keeps every digit
    represented (some MNIST copies are sorted by class, so a plain ``x[:n]``
    could hold a single digit).

    Args:
        n: number of examples, 1 to 54,210 (ten times the smallest class).
        seed: the same seed gives the same subset in the same order.
        path, normalize, flatten: as in :func:`load_mnist`.

    Returns:
        ``(x, y)``, with class counts that differ by at most one.

    Raises:
        ValueError: ``n`` outside ``1..54210``, or the data as in :func:`load_mnist`.
        FileNotFoundError: as in :func:`load_mnist`.

    Example::

        >>> x, y = train_subset(20, seed=1)
        >>> np.bincount(y, minlength=10).tolist()
        [2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
    """
    raw = _load_raw(path)
    idx = balanced_indices(raw.y_train, n, seed)
    x = raw.x_train[idx]
    if flatten:
        x = x.reshape(len(x), -1)
    if normalize:
        x = x.astype(np.float32) / np.float32(255.0)
    return x, np.array(raw.y_train[idx])
