"""course_lib.numpy_nn.checkpoint: weights survive a round trip; every bad file fails clearly and harmlessly."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import warnings
import zipfile
import zlib
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from course_lib.numpy_nn.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from course_lib.numpy_nn.models import MLP


def small_model(seed: int, sizes=(20, 16, 8, 3), **kwargs):
    return MLP(sizes, init="kaiming_normal", rng=np.random.default_rng(seed), **kwargs).astype(np.float32)


def weights_of(model):
    return {k: v.copy() for k, v in model.state_dict().items()}


def assert_unchanged(model, before):
    after = model.state_dict()
    assert after.keys() == before.keys()
    for k in before:
        np.testing.assert_array_equal(after[k], before[k])


def test_round_trip_gives_identical_predictions(tmp_path, rng):
    trained, fresh = small_model(0), small_model(1)
    x = rng.normal(size=(50, 20)).astype(np.float32)
    assert not np.allclose(trained(x), fresh(x))
    path = save_checkpoint(tmp_path / "weights.npz", model=trained)
    assert path == tmp_path / "weights.npz" and path.is_file()
    assert load_checkpoint(path, model=fresh) is fresh
    np.testing.assert_array_equal(fresh(x), trained(x))
    assert fresh.parameters()[0].data.dtype == np.float32


def test_the_file_is_a_plain_npz_keyed_like_state_dict(tmp_path):
    model = small_model(0)
    save_checkpoint(tmp_path / "w.npz", model=model)
    with np.load(tmp_path / "w.npz", allow_pickle=False) as archive:
        assert sorted(archive.files) == sorted(model.state_dict())
        np.testing.assert_array_equal(archive["0.weight"], model.state_dict()["0.weight"])


def test_batch_norm_buffers_are_saved_and_restored(tmp_path, rng):
    source = small_model(0, batch_norm=True)
    source(rng.normal(size=(32, 20)).astype(np.float32))  # a training forward moves the running statistics
    source.eval()
    target = small_model(1, batch_norm=True).eval()
    save_checkpoint(tmp_path / "bn.npz", model=source)
    load_checkpoint(tmp_path / "bn.npz", model=target)
    x = rng.normal(size=(5, 20)).astype(np.float32)
    np.testing.assert_array_equal(target(x), source(x))
    assert target[1].num_batches_tracked == 1


def test_a_name_without_suffix_is_kept_as_given(tmp_path):
    path = save_checkpoint(tmp_path / "weights", model=small_model(0))
    assert path.name == "weights" and path.is_file() and not (tmp_path / "weights.npz").exists()
    load_checkpoint(path, model=small_model(1))


def test_saving_overwrites_atomically_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "w.npz"
    save_checkpoint(path, model=small_model(0))
    original = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, model=small_model(1))
    assert path.read_bytes() == original  # the old file is untouched
    assert os.listdir(tmp_path) == ["w.npz"]  # and no .tmp was left behind


def test_saving_into_a_missing_folder_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_checkpoint(tmp_path / "nope" / "w.npz", model=small_model(0))
    with pytest.raises(IsADirectoryError, match="folder"):
        save_checkpoint(tmp_path, model=small_model(0))


def test_a_missing_file_is_named(tmp_path):
    model = small_model(0)
    before = weights_of(model)
    with pytest.raises(FileNotFoundError, match="No weights file at .*missing.npz.*save_checkpoint"):
        load_checkpoint(tmp_path / "missing.npz", model=model)
    assert_unchanged(model, before)


@pytest.mark.parametrize(
    "content",
    [b"these are not weights", b"", b"PK\x03\x04 a zip header and then nothing"],
    ids=["text", "empty", "truncated zip"],
)
def test_a_file_that_is_not_an_npz_is_a_clear_error(tmp_path, content):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    model = small_model(0)
    before = weights_of(model)
    with pytest.raises(CheckpointError, match="not a readable .npz weights file"):
        load_checkpoint(path, model=model)
    assert_unchanged(model, before)


def test_a_cut_short_npz_is_a_clear_error(tmp_path):
    path = tmp_path / "w.npz"
    save_checkpoint(path, model=small_model(0))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="damaged or cut short"):
        load_checkpoint(path, model=small_model(1))


def test_a_single_npy_array_is_not_a_weights_file(tmp_path):
    path = tmp_path / "one.npy"
    np.save(path, np.zeros(3))
    with pytest.raises(CheckpointError, match="single array"):
        load_checkpoint(path, model=small_model(0))


def test_a_pickled_object_is_refused(tmp_path):
    # Every name fits, so only the object array (which would need pickle) is wrong.
    path = tmp_path / "pickled.npz"
    np.savez(path, **{**small_model(0).state_dict(), "0.weight": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(CheckpointError, match="not a readable .*holds object values"):
        load_checkpoint(path, model=small_model(0))


def test_keys_that_do_not_match_name_the_difference(tmp_path):
    save_checkpoint(tmp_path / "two_layers.npz", model=small_model(0, sizes=(20, 8, 3)))
    model = small_model(1)
    before = weights_of(model)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(tmp_path / "two_layers.npz", model=model)
    message = str(err.value)
    assert "Missing from the file: ['4.bias', '4.weight']" in message
    assert "Build the model with the same layers" in message
    assert_unchanged(model, before)


def test_a_shape_that_does_not_match_names_the_key_and_both_shapes(tmp_path):
    save_checkpoint(tmp_path / "wider.npz", model=small_model(0, sizes=(20, 32, 8, 3)))
    model = small_model(1)
    before = weights_of(model)
    with pytest.raises(CheckpointError, match=r"0\.weight: the file .* holds shape \(32, 20\) but the model expects \(16, 20\)"):
        load_checkpoint(tmp_path / "wider.npz", model=model)
    assert_unchanged(model, before)


def test_a_failed_load_after_a_partly_fitting_file_changes_nothing(tmp_path):
    # The first keys fit and only the last one does not: nothing may be copied before the check fails.
    state = small_model(0).state_dict()
    state["4.bias"] = np.zeros(7, dtype=np.float32)
    np.savez(tmp_path / "partly.npz", **state)
    model = small_model(1)
    before = weights_of(model)
    with pytest.raises(CheckpointError, match=r"4\.bias"):
        load_checkpoint(tmp_path / "partly.npz", model=model)
    assert_unchanged(model, before)


def test_float64_weights_load_into_a_float32_model(tmp_path, rng):
    source = MLP((20, 16, 3), rng=np.random.default_rng(0))  # float64
    target = small_model(1, sizes=(20, 16, 3))
    save_checkpoint(tmp_path / "f64.npz", model=source)
    load_checkpoint(tmp_path / "f64.npz", model=target)
    assert target.parameters()[0].data.dtype == np.float32
    x = rng.normal(size=(4, 20))
    np.testing.assert_allclose(target(x.astype(np.float32)), source(x), rtol=1e-5, atol=1e-5)


def test_the_npz_is_a_real_zip_archive(tmp_path):
    save_checkpoint(tmp_path / "w.npz", model=small_model(0))
    assert zipfile.is_zipfile(tmp_path / "w.npz")


# ---- malformed files: refused before any data is read, the model untouched ---------------------


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def npy_header(shape, descr="<f4", version=(1, 0)) -> bytes:
    buffer = io.BytesIO()
    write = np.lib.format.write_array_header_1_0 if version == (1, 0) else np.lib.format.write_array_header_2_0
    write(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def entries_of(state: dict[str, np.ndarray]) -> list[tuple[str, bytes]]:
    return [(f"{name}.npy", npy(value)) for name, value in state.items()]


def replaced(state, name: str, payload: bytes) -> list[tuple[str, bytes]]:
    return [(member, payload if member == f"{name}.npy" else data) for member, data in entries_of(state)]


def write_zip(path: Path, entries: list[tuple[str, bytes]], compression: int = zipfile.ZIP_STORED) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name some cases write on purpose
        with zipfile.ZipFile(path, "w", compression) as archive:
            for member, payload in entries:
                archive.writestr(member, payload)
    return path.read_bytes()


def patched(raw: bytes, local_offset: int, central_offset: int, value: int) -> bytes:
    """``raw`` with a 2-byte field of the first entry set to ``value`` in both its local and central headers."""
    raw = bytearray(raw)
    for signature, offset in ((b"PK\x03\x04", local_offset), (b"PK\x01\x02", central_offset)):
        start = raw.index(signature) + offset
        raw[start:start + 2] = value.to_bytes(2, "little")
    return bytes(raw)


def flipped_in_data(raw: bytes, payload: bytes) -> bytes:
    raw = bytearray(raw)
    raw[raw.index(payload) + len(payload) - 1] ^= 0xFF  # the last data byte of that entry
    return bytes(raw)


def zip_bomb_entry(state, name: str, extra: int) -> list[tuple[str, bytes]]:
    """The entry ``name`` with its true header and data, followed by ``extra`` zero bytes."""
    return replaced(state, name, npy(state[name]) + bytes(extra))


# (case, how the file is made from a fitting state_dict and its path, what the error says). Every
# file must be refused with a CheckpointError, and the model left exactly as it was.
MALFORMED_NPZ = [
    ("text", lambda s, p: p.write_bytes(b"these are not weights"), "not a readable .npz"),
    ("empty", lambda s, p: p.write_bytes(b""), "not a readable .npz"),
    ("zip header only", lambda s, p: p.write_bytes(b"PK\x03\x04 and nothing"), "not a readable .npz"),
    ("cut short", lambda s, p: p.write_bytes(write_zip(p, entries_of(s))[:700]), "damaged or cut short"),
    ("a single .npy", lambda s, p: p.write_bytes(npy(s["0.weight"])), "single array"),
    ("an entry missing", lambda s, p: write_zip(p, entries_of(s)[:-1]), r"Missing from the file: \['6.bias'\]"),
    ("an entry too many", lambda s, p: write_zip(p, [*entries_of(s), ("9.weight.npy", npy(np.zeros(3)))]),
     r"in the file but not in the model: \['9.weight'\]"),
    ("a name without .npy", lambda s, p: write_zip(p, [(m.removesuffix(".npy") if m == "0.weight.npy" else m, d) for m, d in entries_of(s)]),
     "not one .npy array per name"),
    ("a text file beside the arrays", lambda s, p: write_zip(p, [*entries_of(s), ("notes.txt", b"hi")]), "not one .npy array per name"),
    ("an entry twice", lambda s, p: write_zip(p, [*entries_of(s), ("0.bias.npy", npy(s["0.bias"]))]), "not one .npy array per name"),
    ("a shape that differs", lambda s, p: write_zip(p, replaced(s, "0.weight", npy(np.zeros((32, 20), np.float32)))),
     r"0\.weight: the file .* holds shape \(32, 20\) but the model expects \(16, 20\)"),
    ("a header claiming 2**40 floats", lambda s, p: write_zip(p, replaced(s, "0.weight", npy_header((2**40,)) + bytes(64))),
     r"0\.weight: the file .* holds shape \(1099511627776,\)"),
    ("a negative dimension", lambda s, p: write_zip(p, replaced(s, "0.bias", npy_header((-16,)))), r"holds shape \(-16,\)"),
    ("the right header, 1 MiB too much data (deflated)", lambda s, p: write_zip(p, zip_bomb_entry(s, "0.weight", 1 << 20), zipfile.ZIP_DEFLATED),
     r"'0\.weight\.npy' decompresses into 1049984 bytes, but a float32 array of shape \(16, 20\) takes 1408"),
    ("the right header, data cut short", lambda s, p: write_zip(p, replaced(s, "0.weight", npy(s["0.weight"])[:-4])), "decompresses into 1404 bytes"),
    ("objects (pickle)", lambda s, p: write_zip(p, replaced(s, "0.bias", npy(np.array([{"a": 1}] * 16, dtype=object)))),
     "holds object values, not real numbers"),
    ("complex numbers", lambda s, p: write_zip(p, replaced(s, "0.bias", npy(np.zeros(16, np.complex64)))), "holds complex64 values"),
    ("a structured dtype", lambda s, p: write_zip(p, replaced(s, "0.bias", npy(np.zeros(16, [("a", "<f4")])))), "not real numbers"),
    ("strings", lambda s, p: write_zip(p, replaced(s, "0.bias", npy(np.array(["abc"] * 16)))), "holds <U3 values"),
    ("a fraction where the model counts", lambda s, p: write_zip(p, replaced(s, "1.num_batches_tracked", npy(np.array(2.5)))),
     r"1\.num_batches_tracked: the file .* holds float64 values where the model keeps whole numbers"),
    (".npy version 3.0", lambda s, p: write_zip(p, replaced(s, "0.bias", b"\x93NUMPY\x03\x00" + npy(s["0.bias"])[8:])), r"version \(3, 0\)"),
    ("a header longer than 16 KiB", lambda s, p: write_zip(p, replaced(s, "0.bias", b"\x93NUMPY\x02\x00" + (10**6).to_bytes(4, "little") + bytes(20000))),
     "not a readable .npz"),
    ("an entry that is not a .npy", lambda s, p: write_zip(p, replaced(s, "0.bias", b"garbage, not an array")), "not a readable .npz"),
    ("a CRC that does not match", lambda s, p: p.write_bytes(flipped_in_data(write_zip(p, entries_of(s)), npy(s["0.weight"]))), "CRC"),
    ("an unknown compression method", lambda s, p: p.write_bytes(patched(write_zip(p, entries_of(s)), 8, 10, 99)), "compression method"),
    ("an encrypted entry", lambda s, p: p.write_bytes(patched(write_zip(p, entries_of(s)), 6, 8, 1)), "encrypted"),
]


@pytest.mark.parametrize(("make", "words"), [c[1:] for c in MALFORMED_NPZ], ids=[c[0] for c in MALFORMED_NPZ])
def test_a_malformed_npz_is_refused_and_changes_nothing(tmp_path, make, words):
    path = tmp_path / "w.npz"
    make(small_model(0, batch_norm=True).state_dict(), path)
    model = small_model(1, batch_norm=True)
    before = weights_of(model)
    with pytest.raises(CheckpointError, match=words):
        load_checkpoint(path, model=model)
    assert_unchanged(model, before)


def test_the_helpers_above_make_a_loadable_file_when_nothing_is_wrong(tmp_path):
    """The control: the same writer, unchanged entries (stored or deflated), loads."""
    for compression in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        source = small_model(0, batch_norm=True)
        write_zip(tmp_path / "w.npz", entries_of(source.state_dict()), compression)
        model = load_checkpoint(tmp_path / "w.npz", model=small_model(1, batch_norm=True))
        assert_unchanged(model, source.state_dict())


# The child builds the model, then refuses the file and reports its peak memory before and after.
_REFUSE_AND_MEASURE = """
import json, resource, sys
import numpy as np
from course_lib.numpy_nn.checkpoint import CheckpointError, load_checkpoint
from course_lib.numpy_nn.models import MLP
model = MLP((20, 16, 8, 3), rng=np.random.default_rng(0)).astype(np.float32)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    load_checkpoint(sys.argv[1], model=model)
    error = None
except CheckpointError as err:
    error = str(err)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_kib": before, "after_kib": after, "error": error}))
"""


def write_zip_bomb(path: Path, state: dict[str, np.ndarray]) -> None:
    """A weights file of about 1 MiB whose '0.weight' entry is a well-formed .npy of 2**28 float32 zeros (1 GiB).

    zlib's run-length strategy compresses the zeros about 1000:1 in a couple of seconds.
    """
    def rle_compressor(compress_type, compresslevel=None):
        return zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_RLE)

    zeros = bytes(1 << 20)
    with mock.patch.object(zipfile, "_get_compressor", rle_compressor), zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, payload in entries_of(state):
            with archive.open(member, "w") as f:
                if member != "0.weight.npy":
                    f.write(payload)
                    continue
                f.write(npy_header((2**28,)))
                for _ in range(2**30 // len(zeros)):
                    f.write(zeros)


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux")
def test_refusing_a_zip_bomb_costs_little_memory(tmp_path):
    """np.load would decompress the whole GiB before anyone could look at its shape (it did, before issue 12)."""
    path = tmp_path / "bomb.npz"
    write_zip_bomb(path, MLP((20, 16, 8, 3), rng=np.random.default_rng(0)).astype(np.float32).state_dict())
    assert path.stat().st_size < 1.1 * 2**20
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("0.weight.npy").file_size > 2**30
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    out = subprocess.run([sys.executable, "-c", _REFUSE_AND_MEASURE, str(path)], capture_output=True, text=True, check=True, env=env)
    report = json.loads(out.stdout)
    assert report["error"] is not None and r"holds shape (268435456,)" in report["error"]
    grown_mib = (report["after_kib"] - report["before_kib"]) / 1024
    assert grown_mib < 100, f"refusing a 1 MiB zip bomb raised the peak memory by {grown_mib:.0f} MiB"
