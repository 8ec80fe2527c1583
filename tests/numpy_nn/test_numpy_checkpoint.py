"""course_lib.numpy_nn.checkpoint: weights survive a round trip; every bad file fails clearly and harmlessly."""

from __future__ import annotations

import os
import zipfile

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
    path = tmp_path / "pickled.npz"
    np.savez(path, **{"0.weight": np.array([{"a": 1}], dtype=object)})
    with pytest.raises(CheckpointError, match="not a readable"):
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
