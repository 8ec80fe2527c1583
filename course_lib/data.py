"""Data for the course: MNIST from the shipped IDX files, and small synthetic sets.

MNIST lives in ``data/mnist/`` as the four original gzip-compressed IDX files. This module parses
IDX itself (the format is a lesson in how arrays are stored), verifies each file's SHA-256 against
the checksums below the first time it is read, and caches the decoded arrays as ``.npy`` files so a
second load takes a fraction of a second. What the cache serves is checked too, against the SHA-256
of MNIST's decoded arrays (a damaged or replaced cache file is rebuilt). Nothing is ever downloaded.

The synthetic sets (a line, a polynomial, two spirals, two moons) take an explicit ``seed`` so a
lesson can describe exactly what the learner will see.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import numbers
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import DTypeLike, NDArray

from course_lib.files import remove_stale_temporaries, write_atomically

__all__ = [
    "MNIST_FILES",
    "MNIST_MEAN",
    "MNIST_STD",
    "MnistSplits",
    "mnist_splits",
    "CorruptDataError",
    "IdxHeader",
    "cache_dir",
    "iterate_minibatches",
    "load_mnist",
    "make_linear_regression",
    "make_moons",
    "make_polynomial_regression",
    "make_spirals",
    "mnist_dir",
    "read_idx",
    "read_idx_header",
    "train_val_split",
    "verify_mnist",
]

# SHA-256 of each shipped .gz file; the same values stand in data/mnist/SHA256SUMS (a test checks).
# They live in code so that a damaged SHA256SUMS cannot make a damaged data file look healthy.
MNIST_FILES: dict[str, dict[str, str]] = {
    "train": {
        "images": "train-images-idx3-ubyte.gz",
        "labels": "train-labels-idx1-ubyte.gz",
    },
    "test": {
        "images": "t10k-images-idx3-ubyte.gz",
        "labels": "t10k-labels-idx1-ubyte.gz",
    },
}
_SHA256 = {
    "train-images-idx3-ubyte.gz": "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",
    "train-labels-idx1-ubyte.gz": "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203",
    "t10k-images-idx3-ubyte.gz": "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be",
    "t10k-labels-idx1-ubyte.gz": "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b",
}
# SHA-256 of each decoded array's bytes (uint8, C order: the IDX file without its header), which is
# what a cached .npy must hold. In code for the same reason: a cache file and its stamp can both be
# rewritten, these cannot (a test recomputes them from the shipped files).
_ARRAY_SHA256 = {
    "train-images-idx3-ubyte.gz": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "train-labels-idx1-ubyte.gz": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "t10k-images-idx3-ubyte.gz": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "t10k-labels-idx1-ubyte.gz": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}
_EXPECTED_SHAPE = {
    "train-images-idx3-ubyte.gz": (60000, 28, 28),
    "train-labels-idx1-ubyte.gz": (60000,),
    "t10k-images-idx3-ubyte.gz": (10000, 28, 28),
    "t10k-labels-idx1-ubyte.gz": (10000,),
}

# Mean and standard deviation of the training pixels scaled to [0, 1]; a test recomputes them.
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081

_RESTORE_HINT = (
    "Restore it from the repository (`git checkout -- data/mnist/`) or copy it again from the "
    "course's shared data folder; the data is never downloaded."
)


class CorruptDataError(ValueError):
    """A data file exists but its bytes are not what the course ships."""


# --------------------------------------------------------------------------------------------
# Where the files are
# --------------------------------------------------------------------------------------------


def mnist_dir() -> Path:
    """The folder holding the four MNIST files.

    ``$COURSE_LIB_DATA`` overrides it; otherwise it is ``data/mnist`` in the course's repository.
    """
    override = os.environ.get("COURSE_LIB_DATA")
    if override:
        return Path(override).expanduser()
    return Path(__file__).resolve().parent.parent / "data" / "mnist"


def cache_dir() -> Path:
    """The folder for decoded arrays: ``$COURSE_LIB_CACHE``, else ``~/.cache/course-lib``."""
    override = os.environ.get("COURSE_LIB_CACHE")
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "course-lib"


# --------------------------------------------------------------------------------------------
# IDX: the format MNIST is stored in
# --------------------------------------------------------------------------------------------

# The third byte of an IDX magic number names the element type; all are big-endian.
_IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class IdxHeader(NamedTuple):
    """What the first bytes of an IDX file say: the magic number, the element type, the shape."""

    magic: int
    dtype: np.dtype
    shape: tuple[int, ...]

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


def _open_idx(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def _parse_header(raw: bytes, path: Path) -> tuple[IdxHeader, int]:
    """Decode the header at the start of ``raw``; return it and the offset where the data begins.

    An IDX file starts with a 4-byte magic number ``00 00 TT NN``: two zero bytes, the element
    type ``TT`` (0x08 = unsigned byte) and the number of dimensions ``NN``. Then come ``NN``
    big-endian 32-bit sizes, then the elements in C order. MNIST images: 0x00000803 = 2051.
    """
    if len(raw) < 4:
        raise CorruptDataError(
            f"{path}: {len(raw)} bytes is too short to hold an IDX header (4-byte magic number "
            f"expected). {_RESTORE_HINT}"
        )
    magic = int.from_bytes(raw[:4], "big")
    type_code, ndim = raw[2], raw[3]
    if raw[0] != 0 or raw[1] != 0 or type_code not in _IDX_DTYPES or ndim == 0:
        raise CorruptDataError(
            f"{path}: magic number {magic} (0x{magic:08X}) is not an IDX magic number; expected "
            f"0x0000TTNN with a known type TT (0x08 for unsigned bytes) and NN >= 1 dimensions, "
            f"such as 2051 for images or 2049 for labels. {_RESTORE_HINT}"
        )
    end = 4 + 4 * ndim
    if len(raw) < end:
        raise CorruptDataError(
            f"{path}: the header announces {ndim} dimensions but the file ends after {len(raw)} "
            f"bytes. {_RESTORE_HINT}"
        )
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return IdxHeader(magic, _IDX_DTYPES[type_code], shape), end


def read_idx_header(path: str | os.PathLike) -> IdxHeader:
    """Read only the header of an IDX file (gzip-compressed or not).

    Example: ``read_idx_header("data/mnist/train-images-idx3-ubyte.gz")`` gives
    ``IdxHeader(magic=2051, dtype=dtype('uint8'), shape=(60000, 28, 28))``.
    """
    path = Path(path)
    _require_file(path)
    with _open_idx(path) as f:
        head = f.read(4)
        if len(head) == 4:
            head += f.read(4 * head[3])
    return _parse_header(head, path)[0]


def read_idx(path: str | os.PathLike) -> NDArray:
    """Parse a whole IDX file into a NumPy array in native byte order.

    Raises:
        FileNotFoundError: the file does not exist.
        CorruptDataError: the magic number is not IDX, or the data is shorter or longer than
            the shape in the header says.
    """
    path = Path(path)
    _require_file(path)
    try:
        with _open_idx(path) as f:
            raw = f.read()
    except (OSError, EOFError) as err:  # a damaged gzip stream
        raise CorruptDataError(f"{path}: cannot be decompressed ({err}). {_RESTORE_HINT}") from err
    header, offset = _parse_header(raw, path)
    if len(raw) - offset != header.nbytes:
        raise CorruptDataError(
            f"{path}: the header announces shape {header.shape} ({header.nbytes} bytes of data) "
            f"but the file holds {len(raw) - offset} bytes after the header. {_RESTORE_HINT}"
        )
    array = np.frombuffer(raw, dtype=header.dtype, offset=offset).reshape(header.shape)
    return array.astype(header.dtype.newbyteorder("="))


# --------------------------------------------------------------------------------------------
# Verification and the cache
# --------------------------------------------------------------------------------------------


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise FileNotFoundError(
            f"MNIST file not found: {path}. The course ships it in data/mnist/. {_RESTORE_HINT} "
            f"If your copy of the data lives elsewhere, set COURSE_LIB_DATA to that folder."
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verify_file(path: Path) -> None:
    _require_file(path)
    actual = _sha256(path)
    expected = _SHA256[path.name]
    if actual != expected:
        raise CorruptDataError(
            f"{path}: SHA-256 checksum mismatch (expected {expected}, got {actual}); the file is "
            f"damaged or was replaced. {_RESTORE_HINT}"
        )


def verify_mnist(data_dir: str | os.PathLike | None = None) -> dict[str, str]:
    """Check all four MNIST files against their SHA-256; return ``{file name: checksum}``.

    Raises FileNotFoundError or CorruptDataError naming the first bad file.
    """
    folder = Path(data_dir) if data_dir is not None else mnist_dir()
    for name in _SHA256:
        _verify_file(folder / name)
    return dict(_SHA256)


def _source_stamp(path: Path) -> dict[str, int | str]:
    """What a cached array is tied to: the source's checksum, size and modification time."""
    stat = path.stat()
    return {"sha256": _SHA256[path.name], "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _cache_paths(folder: Path, name: str) -> tuple[Path, Path]:
    stem = f"{name.removesuffix('.gz')}-{_SHA256[name][:16]}"
    return folder / f"{stem}.npy", folder / f"{stem}.json"


def _holds_mnist(array: NDArray[np.uint8], name: str) -> bool:
    """Whether ``array`` is, byte for byte, the decoded MNIST file ``name`` (SHA-256: about 25 ms per 47 MB)."""
    return hashlib.sha256(array).hexdigest() == _ARRAY_SHA256[name]


def _read_cached_array(array_path: Path, name: str) -> NDArray[np.uint8]:
    """The array in a cached ``.npy``, read only after its header says uint8 of MNIST's shape; checked by SHA-256.

    Raises ValueError saying what is wrong (OSError if it cannot be read).
    """
    shape = _EXPECTED_SHAPE[name]
    with open(array_path, "rb") as f:
        version = np.lib.format.read_magic(f)
        if version != (1, 0):  # what np.save writes for a uint8 array
            raise ValueError(f".npy version {version}, expected (1, 0)")
        header = np.lib.format.read_array_header_1_0(f)
        if header != (shape, False, np.dtype(np.uint8)):
            raise ValueError(f"header says shape {header[0]}, dtype {header[2]}, expected {shape}, uint8")
        array = np.fromfile(f, dtype=np.uint8, count=math.prod(shape))
        if array.size != math.prod(shape):
            raise ValueError(f"cut short: {array.size} of its {math.prod(shape)} bytes of data")
        if f.read(1):
            raise ValueError("it goes on after the array its header describes")
    if not _holds_mnist(array, name):
        raise ValueError("its bytes are not MNIST's (SHA-256 mismatch)")
    return array.reshape(shape)


def _load_cached(path: Path, cache: Path | None) -> NDArray[np.uint8] | None:
    """The cached array for ``path`` if it exists, still matches the source file and is MNIST's, else None."""
    if cache is None:
        return None
    array_path, stamp_path = _cache_paths(cache, path.name)
    try:
        if json.loads(stamp_path.read_text()) != _source_stamp(path):
            return None  # the source changed since the cache was written: verify it again
    except (OSError, ValueError):  # no cache yet (or no source: _verify_file says so)
        return None
    try:
        return _read_cached_array(array_path, path.name)
    except (OSError, ValueError) as err:  # ValueError: cut short, wrong shape, or other bytes
        warnings.warn(
            f"The cached copy of {path.name} in {array_path} is damaged or was replaced ({err}); it is "
            f"rebuilt from the verified file in {path.parent}. If this repeats, delete {cache} or set "
            f"COURSE_LIB_CACHE to another folder.",
            stacklevel=4,
        )
        return None


def _store_cached(path: Path, array: NDArray, cache: Path | None) -> None:
    if cache is None:
        return
    array_path, stamp_path = _cache_paths(cache, path.name)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        # The array goes first: a stamp is written only once its array is complete.
        write_atomically(array_path, lambda f: np.save(f, array, allow_pickle=False))
        stamp = json.dumps(_source_stamp(path)).encode()
        write_atomically(stamp_path, lambda f: f.write(stamp))
    except OSError as err:
        warnings.warn(
            f"Could not write the MNIST cache in {cache} ({err}); loading works but stays slow. "
            f"Set COURSE_LIB_CACHE to a writable folder to fix this.",
            stacklevel=3,
        )


def _cache_file_names() -> list[str]:
    return [p.name for name in _SHA256 for p in _cache_paths(Path(), name)]


def _read_mnist_file(path: Path, cache: Path | None) -> NDArray[np.uint8]:
    cached = _load_cached(path, cache)
    if cached is not None:
        return cached
    _verify_file(path)
    array = read_idx(path)
    if array.shape != _EXPECTED_SHAPE[path.name] or array.dtype != np.uint8:
        raise CorruptDataError(
            f"{path}: holds a {array.dtype} array of shape {array.shape}; expected uint8 of shape "
            f"{_EXPECTED_SHAPE[path.name]}. {_RESTORE_HINT}"
        )
    _store_cached(path, array, cache)
    return array


# --------------------------------------------------------------------------------------------
# MNIST
# --------------------------------------------------------------------------------------------

Normalize = Literal["unit", "standard"] | None


def load_mnist(
    split: Literal["train", "test"] = "train",
    *,
    normalize: Normalize = "unit",
    flatten: bool = True,
    dtype: DTypeLike = np.float32,
    data_dir: str | os.PathLike | None = None,
    cache: str | os.PathLike | bool = True,
) -> tuple[NDArray, NDArray[np.int64]]:
    """Load the MNIST training (60 000) or test (10 000) digits.

    Args:
        split: ``"train"`` or ``"test"``.
        normalize: ``"unit"`` scales pixels to [0, 1] (x / 255); ``"standard"`` also subtracts the
            training set's mean and divides by its standard deviation, (x / 255 - 0.1307) / 0.3081;
            ``None`` keeps the raw values 0..255.
        flatten: ``True`` gives one row of 784 pixels per image, ``False`` keeps 28 x 28.
        dtype: element type of the images (a NumPy number type), float32 by default. Integer
            types need ``normalize=None``.
        data_dir: folder with the four .gz files; default :func:`mnist_dir`.
        cache: ``True`` caches decoded arrays in :func:`cache_dir`, a path caches there,
            ``False`` disables the cache.

    Returns:
        ``(X, y)``: images and their digit labels (int64, 0..9).

    Shape:
        X: (N, 784) or (N, 28, 28); y: (N,).
    """
    if not isinstance(split, str) or split not in MNIST_FILES:
        raise ValueError(
            f"Unknown MNIST split {split!r}; expected 'train' (60000 images) or 'test' (10000 images)."
        )
    if normalize not in ("unit", "standard", None):
        raise ValueError(
            f"Unknown normalize={normalize!r}; expected 'unit' (pixels in [0, 1]), 'standard' "
            f"(zero mean, unit variance) or None (raw 0..255)."
        )
    try:
        dtype = np.dtype(dtype)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"dtype={dtype!r} is not a NumPy data type ({err}); pass one such as np.float32, "
            f"'float64', or np.uint8 with normalize=None."
        ) from None
    if not np.issubdtype(dtype, np.number):
        raise ValueError(
            f"dtype={dtype} cannot hold pixel values; pass a number type such as np.float32, "
            f"'float64', or np.uint8 with normalize=None."
        )
    if normalize is not None and not np.issubdtype(dtype, np.floating):
        raise ValueError(
            f"normalize={normalize!r} produces fractions, which dtype={dtype} cannot hold; pass a "
            f"floating dtype such as np.float32, or normalize=None to keep the raw bytes."
        )
    folder = Path(data_dir) if data_dir is not None else mnist_dir()
    cache_folder = cache_dir() if cache is True else (Path(cache) if cache else None)
    if cache_folder is not None:  # what killed cache writes left behind (files of up to 47 MB)
        remove_stale_temporaries(cache_folder, _cache_file_names())

    files = MNIST_FILES[split]
    images = _read_mnist_file(folder / files["images"], cache_folder)
    labels = _read_mnist_file(folder / files["labels"], cache_folder)

    X = images.astype(dtype)
    if normalize is not None:
        X /= 255.0
    if normalize == "standard":
        X -= MNIST_MEAN
        X /= MNIST_STD
    if flatten:
        X = X.reshape(len(X), -1)
    return X, labels.astype(np.int64)


# --------------------------------------------------------------------------------------------
# Splits and mini-batches
# --------------------------------------------------------------------------------------------


def _check_pair(X: NDArray, y: NDArray) -> None:
    if len(X) != len(y):
        raise ValueError(
            f"X and y must hold the same number of samples; got len(X)={len(X)} and "
            f"len(y)={len(y)}. Pass the labels that belong to these inputs."
        )


def _check_rng(rng: object, name: str = "rng") -> None:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name} must be a numpy.random.Generator, got {type(rng).__name__}; create one with "
            f"np.random.default_rng(seed) or course_lib.seed_everything(seed)."
        )


def train_val_split(
    X: NDArray,
    y: NDArray,
    *,
    val_size: int | float = 0.1,
    rng: np.random.Generator,
) -> tuple[tuple[NDArray, NDArray], tuple[NDArray, NDArray]]:
    """Shuffle the samples and hold out ``val_size`` of them for validation.

    Args:
        val_size: a fraction in (0, 1) of the samples, or a whole number of samples.
        rng: the generator that draws the shuffle, so the split is reproducible.

    Returns:
        ``((X_train, y_train), (X_val, y_val))``.
    """
    _check_pair(X, y)
    _check_rng(rng)
    n = len(X)
    if isinstance(val_size, float) and 0.0 < val_size < 1.0:
        n_val = round(n * val_size)
    elif isinstance(val_size, (int, np.integer)) and not isinstance(val_size, bool):
        n_val = int(val_size)
    else:
        raise ValueError(
            f"val_size must be a fraction between 0 and 1 or a whole number of samples; got "
            f"{val_size!r}."
        )
    if not 0 < n_val < n:
        raise ValueError(
            f"val_size={val_size!r} leaves {n_val} of {n} samples for validation; both parts need "
            f"at least one sample."
        )
    order = rng.permutation(n)
    val, train = order[:n_val], order[n_val:]
    return (X[train], y[train]), (X[val], y[val])


def iterate_minibatches(
    X: NDArray,
    y: NDArray,
    batch_size: int,
    *,
    rng: np.random.Generator | None,
    shuffle: bool = True,
    drop_last: bool = False,
) -> Iterator[tuple[NDArray, NDArray]]:
    """Yield ``(X_batch, y_batch)`` pairs that together cover the data once (one epoch).

    With ``shuffle`` a fresh permutation is drawn from ``rng`` and each batch is gathered by its
    indices, so only one batch is copied at a time, never the whole training set. Without it the
    batches are consecutive slices (views, no copy) and ``rng`` may be None.

    Args:
        batch_size: samples per batch, at least 1; the last batch may be smaller.
        drop_last: skip a last batch smaller than ``batch_size``.

    Shape:
        X: (N, ...), y: (N, ...) -> X_batch: (B, ...), y_batch: (B, ...).
    """
    _check_pair(X, y)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(
            f"batch_size must be a whole number of at least 1, got {batch_size!r}; a typical "
            f"choice is 32 to 256."
        )
    if shuffle:
        _check_rng(rng)
    n = len(X)
    stop = n - n % batch_size if drop_last else n
    order = rng.permutation(n) if shuffle else None
    for start in range(0, stop, batch_size):
        if order is None:
            yield X[start : start + batch_size], y[start : start + batch_size]
        else:
            idx = order[start : start + batch_size]
            yield X[idx], y[idx]


# --------------------------------------------------------------------------------------------
# Synthetic sets
# --------------------------------------------------------------------------------------------


def _generator(seed: int | np.random.Generator) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative whole number or a Generator, got {seed!r}.")
    return np.random.default_rng(seed)


def _check_count(n: int, name: str = "n") -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, got {n!r}.")


def _check_finite(name: str, value: float, *, minimum: float | None = None) -> None:
    """A real, finite number (at least ``minimum``): NaN or infinity would silently fill the set with NaN."""
    try:
        ok = not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(value)
    except OverflowError:  # an int too large for a float
        ok = False
    if not ok or (minimum is not None and value < minimum):
        at_least = f" >= {minimum:g}" if minimum is not None else ""
        raise ValueError(f"{name} must be a finite number{at_least}, got {value!r}.")


def _check_noise(noise: float) -> None:
    _check_finite("noise", noise, minimum=0)


def make_linear_regression(
    n: int = 100,
    *,
    slope: float = 3.0,
    intercept: float = 2.0,
    noise: float = 0.5,
    seed: int | np.random.Generator,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Points on the line y = slope * x + intercept + epsilon, with x ~ U[0, 2).

    epsilon ~ N(0, noise^2) has zero mean, so least squares recovers the slope and intercept.
    (Noise drawn from U[0, 1) instead, as in some tutorials, has mean 0.5 and shifts the line up.)

    Shape: X: (n, 1), y: (n,).
    """
    _check_count(n)
    _check_noise(noise)
    _check_finite("slope", slope)
    _check_finite("intercept", intercept)
    rng = _generator(seed)
    x = rng.uniform(0.0, 2.0, size=n)
    y = slope * x + intercept + noise * rng.standard_normal(n)
    return x[:, None], y


def make_polynomial_regression(
    n: int = 30,
    *,
    coefficients: tuple[float, ...] = (0.5, -1.0, -1.5, 2.0),
    noise: float = 0.2,
    seed: int | np.random.Generator,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Noisy samples of a polynomial on x ~ U[-1, 1), for showing under- and overfitting.

    y = sum_k coefficients[k] * x**k + epsilon with epsilon ~ N(0, noise^2); the default is the
    cubic 0.5 - x - 1.5x^2 + 2x^3. The points come sorted by x so they plot as a curve.

    Shape: X: (n, 1), y: (n,).
    """
    _check_count(n)
    _check_noise(noise)
    if isinstance(coefficients, (str, bytes)) or not isinstance(coefficients, (tuple, list, np.ndarray)) or len(coefficients) == 0:
        raise ValueError(f"coefficients must hold at least one number (the constant term), got {coefficients!r}.")
    for k, c in enumerate(coefficients):
        _check_finite(f"coefficients[{k}]", c)
    rng = _generator(seed)
    x = np.sort(rng.uniform(-1.0, 1.0, size=n))
    y = np.polynomial.polynomial.polyval(x, coefficients) + noise * rng.standard_normal(n)
    return x[:, None], y


def make_spirals(
    n_per_class: int = 100,
    *,
    noise: float = 0.2,
    turns: float = 1.5,
    seed: int | np.random.Generator,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Two interleaved spiral arms, class 0 and class 1: no straight line separates them.

    Arm k (k = 0, 1) follows r = t, angle = 2 pi * turns * t + pi k for t in (0, 1], and every point
    gets Gaussian noise of standard deviation ``noise * 0.1`` on each coordinate.

    Shape: X: (2 * n_per_class, 2), y: (2 * n_per_class,).
    """
    _check_count(n_per_class, "n_per_class")
    _check_noise(noise)
    _check_finite("turns", turns)
    rng = _generator(seed)
    t = np.linspace(0.0, 1.0, n_per_class + 1)[1:]
    arms = []
    for k in (0, 1):
        angle = 2 * np.pi * turns * t + np.pi * k
        arms.append(np.column_stack([t * np.cos(angle), t * np.sin(angle)]))
    X = np.concatenate(arms) + 0.1 * noise * rng.standard_normal((2 * n_per_class, 2))
    y = np.repeat(np.arange(2, dtype=np.int64), n_per_class)
    return X, y


def make_moons(
    n: int = 200,
    *,
    noise: float = 0.1,
    seed: int | np.random.Generator,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Two interlocking half-circles: class 0 on top, class 1 below and shifted right.

    Upper moon: (cos a, sin a); lower moon: (1 - cos a, 0.5 - sin a), a in [0, pi]; Gaussian
    noise of standard deviation ``noise`` on each coordinate. Class 0 gets ceil(n / 2) points.

    Shape: X: (n, 2), y: (n,).
    """
    _check_count(n)
    _check_noise(noise)
    rng = _generator(seed)
    n0 = (n + 1) // 2
    a0, a1 = np.linspace(0.0, np.pi, n0), np.linspace(0.0, np.pi, n - n0)
    upper = np.column_stack([np.cos(a0), np.sin(a0)])
    lower = np.column_stack([1.0 - np.cos(a1), 0.5 - np.sin(a1)])
    X = np.concatenate([upper, lower]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n - n0, np.int64)])
    return X, y


class MnistSplits(NamedTuple):
    """The three splits as ``(X, y)`` pairs: X standardised, (N, 784), in the recipe's dtype."""

    train: tuple[NDArray, NDArray]
    val: tuple[NDArray, NDArray] | None
    test: tuple[NDArray, NDArray]


def mnist_splits(*, val_size: int, seed: int, dtype: str = "float32", train_size: int | None = None) -> MnistSplits:
    """Standardised MNIST as ``(train, val, test)``: the split every MNIST lesson and ``course-lib train`` use.

    The pixels are standardised with the *training* set's mean and standard deviation,
    x ← (x/255 − 0.1307) / 0.3081, for every split alike (``load_mnist(normalize="standard")``).
    ``val_size`` training images, drawn with the first stream spawned from ``seed``
    (``np.random.default_rng(seed).spawn(...)[0]``), become the validation set (0: none); with
    ``train_size``, only the first that many of the rest are trained on.
    """
    X, y = load_mnist("train", normalize="standard", dtype=dtype)
    test = load_mnist("test", normalize="standard", dtype=dtype)
    if val_size == 0:
        train, val = (X, y), None
    else:
        train, val = train_val_split(X, y, val_size=val_size, rng=np.random.default_rng(seed).spawn(1)[0])
    if train_size is not None:
        train = (train[0][:train_size], train[1][:train_size])
    return MnistSplits(train, val, test)
