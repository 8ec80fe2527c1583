"""course_lib.data: IDX parsing, checksum verification, the cache, splits, batches, synthetic sets."""

from __future__ import annotations

import gzip
import hashlib
import math
import re
import shutil
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_lib import data
from course_lib.data import (
    MNIST_FILES,
    CorruptDataError,
    iterate_minibatches,
    load_mnist,
    make_linear_regression,
    make_moons,
    make_polynomial_regression,
    make_spirals,
    read_idx,
    read_idx_header,
    train_val_split,
)

REPO = Path(__file__).resolve().parent.parent
MNIST = REPO / "data" / "mnist"

# Published facts about MNIST, from data/mnist/README.md.
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
UNCOMPRESSED_MD5 = {
    "train-images-idx3-ubyte.gz": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
}

IDX_TYPE_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def write_idx(path: Path, array: np.ndarray, *, magic: int | None = None) -> Path:
    """Write ``array`` as an IDX file (gzip-compressed when the name ends in .gz)."""
    code = IDX_TYPE_CODES[array.dtype.type]
    magic = (code << 8 | array.ndim) if magic is None else magic
    payload = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    payload += array.astype(array.dtype.newbyteorder(">")).tobytes()
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as f:
        f.write(payload)
    return path


@pytest.fixture
def test_split_dir(tmp_path: Path) -> Path:
    """A private copy of the test split's two files, safe to damage."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name in MNIST_FILES["test"].values():
        shutil.copyfile(MNIST / name, folder / name)
    return folder


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


# ---- the shipped files ----------------------------------------------------------------------


def test_checksums_in_code_match_sha256sums_file():
    listed = dict(reversed(line.split()) for line in (MNIST / "SHA256SUMS").read_text().splitlines() if line.strip())
    assert listed == data.verify_mnist(MNIST)


def test_shipped_files_are_the_real_mnist():
    for name, md5 in UNCOMPRESSED_MD5.items():
        with gzip.open(MNIST / name, "rb") as f:
            assert hashlib.md5(f.read()).hexdigest() == md5, name


def test_attribution_travels_with_the_files():
    readme = (MNIST / "README.md").read_text()
    assert "Creative Commons Attribution-Share Alike 3.0" in readme
    assert "Yann LeCun" in readme


@pytest.mark.parametrize(("split", "counts"), [("train", TRAIN_COUNTS), ("test", TEST_COUNTS)])
def test_label_counts_equal_the_published_ones(split, counts):
    X, y = load_mnist(split)
    assert X.shape == (sum(counts), 784)
    assert np.bincount(y, minlength=10).tolist() == counts


def test_headers_of_the_shipped_files():
    images = read_idx_header(MNIST / MNIST_FILES["train"]["images"])
    labels = read_idx_header(MNIST / MNIST_FILES["train"]["labels"])
    assert (images.magic, images.dtype, images.shape) == (2051, np.uint8, (60000, 28, 28))
    assert (labels.magic, labels.dtype, labels.shape) == (2049, np.uint8, (60000,))


# ---- load_mnist options -------------------------------------------------------------------------


def test_default_load_is_unit_float32_flat():
    X, y = load_mnist("test")
    assert X.dtype == np.float32 and X.shape == (10000, 784)
    assert y.dtype == np.int64 and set(np.unique(y)) == set(range(10))
    assert X.min() == 0.0 and X.max() == 1.0


def test_raw_and_unflattened():
    X, _ = load_mnist("test", normalize=None, flatten=False, dtype=np.uint8)
    assert X.dtype == np.uint8 and X.shape == (10000, 28, 28) and X.max() == 255
    X_unit, _ = load_mnist("test", flatten=False)
    np.testing.assert_allclose(X_unit, X / 255.0, rtol=1e-6)


def test_published_normalisation_constants_match_the_training_pixels():
    X, _ = load_mnist("train", dtype=np.float64)
    assert X.mean() == pytest.approx(data.MNIST_MEAN, abs=5e-5)
    assert X.std() == pytest.approx(data.MNIST_STD, abs=5e-5)
    Z, _ = load_mnist("train", normalize="standard", dtype=np.float64)
    assert abs(Z.mean()) < 1e-3 and Z.std() == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("split", ["validation", "Train", "", None, ["train"]])
def test_unknown_split_is_named(split):
    with pytest.raises(ValueError, match="Unknown MNIST split") as err:
        load_mnist(split)
    assert repr(split) in str(err.value) and "'train'" in str(err.value) and "'test'" in str(err.value)


@pytest.mark.parametrize(
    ("dtype", "normalize", "words"),
    [
        ("banana", "unit", "dtype='banana' is not a NumPy data type"),
        ("float33", None, "dtype='float33' is not a NumPy data type"),
        ([("a", 1)], None, "is not a NumPy data type"),
        (object, None, "dtype=object cannot hold pixel values"),
        (str, None, "cannot hold pixel values"),
        ("datetime64[s]", None, "cannot hold pixel values"),
        (bool, None, "dtype=bool cannot hold pixel values"),
    ],
    ids=["banana", "float33", "bad-spec", "object", "str", "datetime", "bool"],
)
def test_a_dtype_that_is_not_a_number_type_is_a_clear_value_error(dtype, normalize, words):
    with pytest.raises(ValueError) as err:
        load_mnist("test", dtype=dtype, normalize=normalize)
    assert words in str(err.value) and "np.float32" in str(err.value)


def test_unknown_normalize_and_integer_dtype_are_refused():
    with pytest.raises(ValueError, match="normalize="):
        load_mnist("test", normalize="minmax")
    with pytest.raises(ValueError, match="floating dtype"):
        load_mnist("test", dtype=np.uint8)


# ---- IDX parsing ----------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    array=hnp.arrays(
        dtype=st.sampled_from(list(IDX_TYPE_CODES)),
        shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5),
        elements={"allow_nan": False},
    ),
    compressed=st.booleans(),
)
def test_read_idx_round_trips_every_type(tmp_path_factory, array, compressed):
    path = tmp_path_factory.mktemp("idx") / ("a.idx.gz" if compressed else "a.idx")
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == array.dtype.newbyteorder("=") and back.dtype.isnative
    np.testing.assert_array_equal(back, array)
    assert read_idx_header(path).shape == array.shape


@pytest.mark.parametrize("magic", [0x12345678, 0x00000703, 0x00000800, 0x01000803])
def test_wrong_magic_names_the_file_and_the_expected_magic(tmp_path, magic):
    path = write_idx(tmp_path / "bad-images.gz", np.zeros((2, 3), np.uint8), magic=magic)
    with pytest.raises(CorruptDataError) as err:
        read_idx(path)
    message = str(err.value)
    assert "bad-images.gz" in message and str(magic) in message and "2051" in message
    assert "git checkout" in message


def test_truncated_data_is_reported(tmp_path):
    path = write_idx(tmp_path / "short.gz", np.arange(12, dtype=np.uint8).reshape(3, 4))
    with gzip.open(path, "rb") as f:
        raw = f.read()
    with gzip.open(path, "wb") as f:
        f.write(raw[:-5])
    with pytest.raises(CorruptDataError, match=r"short\.gz.*\(3, 4\).*7 bytes"):
        read_idx(path)


def test_damaged_gzip_stream_is_reported(tmp_path):
    path = tmp_path / "broken.gz"
    path.write_bytes(gzip.compress(b"\x00\x00\x08\x01" + bytes(4) * 2)[:-6])
    with pytest.raises(CorruptDataError, match="broken.gz.*cannot be decompressed"):
        read_idx(path)


# ---- bad files on the load path, and no partial cache ------------------------------------------


def test_missing_file_names_it_and_says_how_to_restore(test_split_dir, cache):
    (test_split_dir / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError) as err:
        load_mnist("test", data_dir=test_split_dir, cache=cache)
    assert "t10k-labels-idx1-ubyte.gz" in str(err.value) and "git checkout" in str(err.value)
    assert not any(cache.glob("*labels*"))


def test_checksum_mismatch_names_the_file_and_leaves_no_cache(test_split_dir, cache):
    path = test_split_dir / "t10k-images-idx3-ubyte.gz"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(CorruptDataError) as err:
        load_mnist("test", data_dir=test_split_dir, cache=cache)
    message = str(err.value)
    assert "t10k-images-idx3-ubyte.gz" in message and "checksum mismatch" in message and "Restore" in message
    assert not any(cache.glob("t10k-images*")), "a corrupt file must not leave a cache behind"


def test_a_file_replaced_after_caching_is_verified_again(test_split_dir, cache):
    load_mnist("test", data_dir=test_split_dir, cache=cache)
    labels = test_split_dir / "t10k-labels-idx1-ubyte.gz"
    labels.write_bytes(labels.read_bytes()[:-10])  # new size and modification time
    with pytest.raises(CorruptDataError, match="checksum mismatch"):
        load_mnist("test", data_dir=test_split_dir, cache=cache)


# ---- the cache -------------------------------------------------------------------------------------


def test_second_load_comes_from_the_cache(test_split_dir, cache, monkeypatch):
    X1, y1 = load_mnist("test", data_dir=test_split_dir, cache=cache)
    assert len(list(cache.glob("*.npy"))) == 2 and len(list(cache.glob("*.json"))) == 2

    def no_parsing(path):
        raise AssertionError(f"{path} was parsed again although it is cached")

    monkeypatch.setattr(data, "read_idx", no_parsing)
    monkeypatch.setattr(data, "_sha256", no_parsing)
    X2, y2 = load_mnist("test", data_dir=test_split_dir, cache=cache)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)


def test_a_write_killed_midway_leaves_nothing_a_later_load_trusts(test_split_dir, cache, monkeypatch):
    real_save = np.save

    def save_half_then_die(f, array, allow_pickle=False):
        f.write(b"\x93NUMPY half a file")
        raise KeyboardInterrupt  # stands in for the process being killed mid-write

    monkeypatch.setattr(np, "save", save_half_then_die)
    with pytest.raises(KeyboardInterrupt):
        load_mnist("test", data_dir=test_split_dir, cache=cache)
    assert list(cache.iterdir()) == [], "no temporary or partial file may survive"

    monkeypatch.setattr(np, "save", real_save)
    X, y = load_mnist("test", data_dir=test_split_dir, cache=cache)
    assert np.bincount(y).tolist() == TEST_COUNTS and X.shape == (10000, 784)


def test_a_damaged_cache_is_rebuilt_not_trusted(test_split_dir, cache):
    _, y_first = load_mnist("test", data_dir=test_split_dir, cache=cache)
    (cached_labels,) = cache.glob("t10k-labels*.npy")
    cached_labels.write_bytes(cached_labels.read_bytes()[:200])
    (cached_images,) = cache.glob("t10k-images*.npy")
    np.save(cached_images, np.zeros((3, 3), np.uint8))  # readable, but the wrong shape
    with pytest.warns(UserWarning, match="rebuilt") as caught:
        X, y = load_mnist("test", data_dir=test_split_dir, cache=cache)
    assert len(caught) == 2  # one note per damaged file
    np.testing.assert_array_equal(y, y_first)
    assert X.shape == (10000, 784) and X.max() == 1.0


def test_the_decoded_arrays_checksums_in_code_match_the_shipped_files():
    for name, digest in data._ARRAY_SHA256.items():
        assert hashlib.sha256(read_idx(MNIST / name)).hexdigest() == digest, name


def _flip_a_byte(offset_from_end: int):
    def damage(path: Path) -> None:
        raw = bytearray(path.read_bytes())
        raw[-offset_from_end] ^= 0x01  # one bit of one pixel or label: still a valid .npy of the right shape
        path.write_bytes(bytes(raw))
    return damage


def _save(array: np.ndarray):
    return lambda path: np.save(path, array, allow_pickle=False)


def _header_claiming(shape: tuple[int, ...]):
    def damage(path: Path) -> None:
        with open(path, "wb") as f:
            np.lib.format.write_array_header_1_0(f, {"descr": "|u1", "fortran_order": False, "shape": shape})
            f.write(bytes(100))
    return damage


# (case, which cached file, how it is damaged, the words the note gives). Each must be noticed,
# served from the verified source instead, and the cache mended.
CACHE_DAMAGE = [
    ("flipped bit in a label", "labels", _flip_a_byte(1), "SHA-256 mismatch"),
    ("flipped bit in an image", "images", _flip_a_byte(5000), "SHA-256 mismatch"),
    ("labels all 7s, well-formed", "labels", _save(np.full(10000, 7, np.uint8)), "SHA-256 mismatch"),
    ("images all zeros, well-formed", "images", _save(np.zeros((10000, 28, 28), np.uint8)), "SHA-256 mismatch"),
    ("labels shuffled, well-formed", "labels", lambda p: np.save(p, np.roll(np.load(p), 1)), "SHA-256 mismatch"),
    ("labels cut short", "labels", lambda p: p.write_bytes(p.read_bytes()[:-10]), "cut short"),
    ("images with bytes after the array", "images", lambda p: p.write_bytes(p.read_bytes() + b"\0"), "goes on after"),
    ("labels of the wrong shape", "labels", _save(np.zeros((3, 3), np.uint8)), r"shape \(3, 3\)"),
    ("labels as int64", "labels", lambda p: np.save(p, np.load(p).astype(np.int64)), "dtype int64"),
    ("images in Fortran order", "images", lambda p: np.save(p, np.asfortranarray(np.load(p))), "header says"),
    ("a header claiming 2**40 bytes", "images", _header_claiming((2**40,)), r"shape \(1099511627776,\)"),
    ("not a .npy at all", "labels", lambda p: p.write_bytes(b"not an array"), "magic string"),
    ("an empty file", "images", lambda p: p.write_bytes(b""), "magic string"),
    ("the array file missing", "labels", lambda p: p.unlink(), "No such file"),
]


@pytest.mark.parametrize(("which", "damage", "words"), [c[1:] for c in CACHE_DAMAGE], ids=[c[0] for c in CACHE_DAMAGE])
def test_a_damaged_or_replaced_cache_file_is_noticed_and_mended(test_split_dir, cache, monkeypatch, which, damage, words):
    X_true, y_true = load_mnist("test", data_dir=test_split_dir, cache=cache, normalize=None, dtype=np.uint8, flatten=False)
    name = MNIST_FILES["test"][which]
    (cached,) = cache.glob(f"{name.removesuffix('.gz')}-*.npy")
    damage(cached)

    with pytest.warns(UserWarning, match="cached copy of " + name) as caught:
        X, y = load_mnist("test", data_dir=test_split_dir, cache=cache, normalize=None, dtype=np.uint8, flatten=False)
    assert len(caught) == 1 and "rebuilt from the verified file" in str(caught[0].message)
    assert re.search(words, str(caught[0].message)), str(caught[0].message)
    np.testing.assert_array_equal(X, X_true)
    np.testing.assert_array_equal(y, y_true)

    def no_parsing(path):
        raise AssertionError(f"{path} was parsed again although the cache was mended")

    monkeypatch.setattr(data, "read_idx", no_parsing)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X, y = load_mnist("test", data_dir=test_split_dir, cache=cache, normalize=None, dtype=np.uint8, flatten=False)
    np.testing.assert_array_equal(X, X_true)
    np.testing.assert_array_equal(y, y_true)


def test_a_replaced_cache_file_with_a_rewritten_stamp_is_still_refused(test_split_dir, cache):
    """The checksums live in code: a cache file and its stamp rewritten together cannot pass for MNIST."""
    _, y_true = load_mnist("test", data_dir=test_split_dir, cache=cache)
    (labels,) = cache.glob("t10k-labels*.npy")
    (stamp,) = cache.glob("t10k-labels*.json")
    np.save(labels, np.full(10000, 7, np.uint8))
    stamp.write_text(stamp.read_text())  # a fresh write of the same stamp: it still matches the source
    with pytest.warns(UserWarning, match="SHA-256 mismatch"):
        _, y = load_mnist("test", data_dir=test_split_dir, cache=cache)
    np.testing.assert_array_equal(y, y_true)


def test_unwritable_cache_warns_and_still_loads(test_split_dir, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should go")
    with pytest.warns(UserWarning, match="COURSE_LIB_CACHE"):
        _, y = load_mnist("test", data_dir=test_split_dir, cache=blocker / "cache")
    assert len(y) == 10000


def test_cache_can_be_disabled(test_split_dir, cache):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_mnist("test", data_dir=test_split_dir, cache=False)
    assert not cache.exists()


# ---- mini-batches -------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 300), batch_size=st.integers(1, 64), drop_last=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_one_epoch_covers_each_sample_at_most_once(n, batch_size, drop_last, seed):
    X = np.arange(n)
    y = -np.arange(n)
    batches = list(iterate_minibatches(X, y, batch_size, rng=np.random.default_rng(seed), drop_last=drop_last))
    seen = np.concatenate([xb for xb, _ in batches]) if batches else np.array([], int)
    for xb, yb in batches:
        np.testing.assert_array_equal(yb, -xb)  # inputs stay paired with their labels
    assert len(set(seen.tolist())) == len(seen)
    expected = n - n % batch_size if drop_last else n
    assert len(seen) == expected
    assert all(len(xb) == batch_size for xb, _ in batches[:-1])


def test_shuffle_is_reproducible_and_differs_between_epochs():
    X = np.arange(100)
    first = [xb.tolist() for xb, _ in iterate_minibatches(X, X, 10, rng=np.random.default_rng(1))]
    again = [xb.tolist() for xb, _ in iterate_minibatches(X, X, 10, rng=np.random.default_rng(1))]
    assert first == again
    rng = np.random.default_rng(1)
    epoch1 = [xb.tolist() for xb, _ in iterate_minibatches(X, X, 10, rng=rng)]
    epoch2 = [xb.tolist() for xb, _ in iterate_minibatches(X, X, 10, rng=rng)]
    assert epoch1 != epoch2


def test_without_shuffle_batches_are_views_in_order():
    X = np.arange(50.0).reshape(25, 2)
    batches = list(iterate_minibatches(X, X[:, 0], 10, rng=None, shuffle=False))
    assert [len(xb) for xb, _ in batches] == [10, 10, 5]
    assert all(np.shares_memory(xb, X) for xb, _ in batches)
    np.testing.assert_array_equal(np.concatenate([xb for xb, _ in batches]), X)


def test_an_epoch_gathers_batches_without_copying_the_whole_set():
    X = np.ones((20000, 784), np.float32)  # 63 MB
    y = np.zeros(20000, np.int64)
    tracemalloc.start()
    try:
        for _ in iterate_minibatches(X, y, 256, rng=np.random.default_rng(0)):
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < X.nbytes / 20, f"peak {peak / 1e6:.1f} MB while iterating a {X.nbytes / 1e6:.0f} MB set"


@pytest.mark.parametrize("batch_size", [0, -3, 2.5, True, "64"])
def test_bad_batch_size_is_named(batch_size):
    with pytest.raises(ValueError, match="batch_size must be a whole number of at least 1") as err:
        next(iterate_minibatches(np.zeros(10), np.zeros(10), batch_size, rng=np.random.default_rng(0)))
    assert repr(batch_size) in str(err.value)


def test_mismatched_lengths_and_missing_rng_are_explained():
    with pytest.raises(ValueError, match=r"len\(X\)=10 and len\(y\)=9"):
        next(iterate_minibatches(np.zeros(10), np.zeros(9), 2, rng=np.random.default_rng(0)))
    with pytest.raises(TypeError, match="default_rng"):
        next(iterate_minibatches(np.zeros(10), np.zeros(10), 2, rng=None))
    with pytest.raises(TypeError, match="Generator"):
        next(iterate_minibatches(np.zeros(10), np.zeros(10), 2, rng=42))


# ---- train/validation split ---------------------------------------------------------------------


@pytest.mark.parametrize(("val_size", "n_val"), [(0.1, 10), (0.25, 25), (30, 30), (1, 1)])
def test_split_partitions_the_samples(val_size, n_val, rng):
    X = np.arange(100)
    (X_tr, y_tr), (X_val, y_val) = train_val_split(X, X * 10, val_size=val_size, rng=rng)
    assert len(X_val) == n_val and len(X_tr) == 100 - n_val
    assert sorted(np.concatenate([X_tr, X_val]).tolist()) == list(range(100))
    np.testing.assert_array_equal(y_val, X_val * 10)


def test_split_is_reproducible():
    X = np.arange(50)
    a = train_val_split(X, X, rng=np.random.default_rng(3))
    b = train_val_split(X, X, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a[1][0], b[1][0])


@pytest.mark.parametrize("val_size", [0, 0.0, 1.0, 100, 150, -0.2, True, "10%"])
def test_split_refuses_sizes_that_leave_a_part_empty(val_size, rng):
    with pytest.raises(ValueError, match="val_size"):
        train_val_split(np.arange(100), np.arange(100), val_size=val_size, rng=rng)


# ---- synthetic sets -----------------------------------------------------------------------------

MAKERS = [make_linear_regression, make_polynomial_regression, make_spirals, make_moons]


@pytest.mark.parametrize("make", MAKERS, ids=lambda f: f.__name__)
def test_synthetic_sets_repeat_for_a_seed_and_differ_across_seeds(make):
    X1, y1 = make(seed=7)
    X2, y2 = make(seed=7)
    X3, _ = make(seed=8)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    assert X1.ndim == 2 and len(X1) == len(y1)


@pytest.mark.parametrize("make", MAKERS, ids=lambda f: f.__name__)
def test_synthetic_sets_refuse_bad_arguments(make):
    with pytest.raises(ValueError, match="seed"):
        make(seed=-1)
    with pytest.raises(ValueError, match="noise"):
        make(noise=-0.1, seed=0)
    with pytest.raises(ValueError, match="at least 1"):
        make(0, seed=0)
    with pytest.raises(TypeError):
        make()  # the seed is always explicit


# (maker, argument): every real-number argument of every generator; each must be finite.
REAL_ARGUMENTS = [
    (make_linear_regression, "slope"), (make_linear_regression, "intercept"), (make_linear_regression, "noise"),
    (make_polynomial_regression, "noise"), (make_spirals, "turns"), (make_spirals, "noise"), (make_moons, "noise"),
]
NOT_FINITE = [math.nan, math.inf, -math.inf, np.float32("nan"), "1.5", None, True, 10**400, [1.0]]


@pytest.mark.parametrize("value", NOT_FINITE, ids=repr)
@pytest.mark.parametrize(("make", "name"), REAL_ARGUMENTS, ids=lambda a: getattr(a, "__name__", a))
def test_a_non_finite_argument_is_a_clear_value_error(make, name, value):
    with pytest.raises(ValueError, match=f"^{name} must be a finite number") as err:
        make(**{name: value}, seed=0)
    assert repr(value) in str(err.value)


@pytest.mark.parametrize("coefficients", [(1.0, math.nan), (math.inf,), ("a", 1.0), (None,), "12", 3.0, ()], ids=repr)
def test_polynomial_coefficients_must_be_finite_numbers(coefficients):
    with pytest.raises(ValueError, match="coefficients"):
        make_polynomial_regression(coefficients=coefficients, seed=0)


def test_finite_arguments_of_any_real_type_still_work():
    X, _ = make_spirals(10, turns=np.float32(0.5), noise=0, seed=0)
    assert np.isfinite(X).all()
    X, y = make_linear_regression(5, slope=np.int64(2), intercept=0, noise=0.0, seed=0)
    np.testing.assert_allclose(y, 2 * X[:, 0])
    _, y = make_polynomial_regression(5, coefficients=np.array([1.0, 0.0]), noise=0.0, seed=0)
    np.testing.assert_allclose(y, 1.0)


def test_least_squares_recovers_the_line():
    X, y = make_linear_regression(2000, seed=0)
    A = np.column_stack([X[:, 0], np.ones(len(X))])
    slope, intercept = np.linalg.lstsq(A, y, rcond=None)[0]
    assert slope == pytest.approx(3.0, abs=0.05) and intercept == pytest.approx(2.0, abs=0.06)


def test_polynomial_follows_its_coefficients():
    X, y = make_polynomial_regression(500, noise=0.0, seed=0)
    x = X[:, 0]
    np.testing.assert_allclose(y, 0.5 - x - 1.5 * x**2 + 2 * x**3)
    assert np.all(np.diff(x) >= 0)


@pytest.mark.parametrize(("make", "n", "n0"), [(make_moons, 201, 101), (make_spirals, 150, 150)])
def test_classification_sets_have_both_classes(make, n, n0):
    X, y = make(n, seed=0)
    assert X.shape[1] == 2 and y.dtype == np.int64
    assert np.count_nonzero(y == 0) == n0 and set(y.tolist()) == {0, 1}


def test_noise_free_moons_lie_on_their_circles():
    X, y = make_moons(100, noise=0.0, seed=0)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(X[y == 1, 0] - 1.0, X[y == 1, 1] - 0.5), 1.0)
