"""Save a NumPy model's weights to an ``.npz`` file and load them back: the twin of ``torch_nn.checkpoint``.

An ``.npz`` file is a zip archive with one ``.npy`` array per entry, the format ``np.savez``
writes; here each entry is one entry of ``model.state_dict()`` (``"0.weight"``, ``"0.bias"``,
...), the same names torch uses, so the file is easy to inspect::

    save_checkpoint("mnist_mlp.npz", model=model)
    fresh = MLP([784, 256, 128, 10], rng=rng).astype(np.float32)
    load_checkpoint("mnist_mlp.npz", model=fresh)      # now fresh(X) == model(X)

Only arrays are stored, never pickled Python objects, so loading a file cannot run code.
The file holds the weights, not the architecture: build the same model first, then load into it.
The torch twin's checkpoint also holds the optimizer, the schedule and the random state; this one
holds the weights only (the NumPy lessons save a trained network, they do not resume training).
"""

from __future__ import annotations

import io
import math
import os
import zipfile
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from course_lib.files import check_writable, write_atomically
from course_lib.validation import state_dict_fits

__all__ = ["CheckpointError", "load_checkpoint", "save_checkpoint"]

# np.save writes .npy version 1.0 (2.0 only for headers over 64 KiB, which no state_dict needs).
_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
_MAX_HEADER_BYTES = 1 << 14  # the most of an entry read to find its header; np.load allows 10 000 characters


class CheckpointError(ValueError):
    """A weights file that cannot be loaded into this model: unreadable, or it does not fit."""


def save_checkpoint(path: str | os.PathLike, *, model: Any) -> Path:
    """Write ``model.state_dict()`` to ``path`` as an uncompressed ``.npz``; return the path.

    The file is written atomically: first to a temporary file in the same folder, then renamed
    over ``path`` with ``os.replace``. A crash half-way leaves the old file (or none), never a
    half-written one. The name is used exactly as given (``np.savez`` would add ``.npz``).
    """
    path = Path(path)
    check_writable(path, "save_checkpoint", "weights.npz")
    state = model.state_dict()
    write_atomically(path, lambda f: np.savez(f, **state))
    return path


def _require_file(path: Path) -> None:
    if not path.exists():
        raise FileNotFoundError(f"No weights file at {path}. Save one first with save_checkpoint({str(path)!r}, model=model), or check the path.")
    if path.is_dir():
        raise CheckpointError(f"{path} is a folder, not a weights file; pass the .npz file inside it.")


def _unreadable(path: Path, why: str) -> CheckpointError:
    return CheckpointError(
        f"{path} is not a readable .npz weights file ({why}). It may be damaged or cut short, or be "
        f"another kind of file: save the weights again with save_checkpoint."
    )


class _Header(NamedTuple):
    """What an entry's ``.npy`` header says, read before any of its data."""

    shape: tuple[int, ...]
    dtype: np.dtype
    nbytes: int  # header + data: the entry's exact size once decompressed


def _header(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> _Header:
    """Read only the start of one entry: its ``.npy`` header, whose size the zip's directory must agree with."""
    with archive.open(info) as member:
        head = io.BytesIO(member.read(_MAX_HEADER_BYTES))  # never more, whatever the header claims
    version = np.lib.format.read_magic(head)
    if version not in _HEADER_READERS:
        raise _unreadable(path, f"entry {info.filename!r} is a .npy of version {version}; expected 1.0 or 2.0")
    shape, _, dtype = _HEADER_READERS[version](head)
    if dtype.kind not in "biuf":  # object arrays would need pickle, which is never loaded
        raise _unreadable(path, f"entry {info.filename!r} holds {dtype} values, not real numbers")
    return _Header(shape, dtype, head.tell() + math.prod(shape) * dtype.itemsize)


def _read_weights(path: Path, own: dict[str, np.ndarray], model: Any) -> dict[str, np.ndarray]:
    """The arrays of the ``.npz`` at ``path``, read only once every name, shape, dtype and size fits ``own``.

    A zip's directory lists each entry's name and decompressed size, and each ``.npy`` entry starts
    with a header giving its shape and dtype; all are checked first, so a file that does not fit
    (or a small zip that would decompress into gigabytes) is refused after reading a few kilobytes.
    """
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        members = {info.filename.removesuffix(".npy"): info for info in infos}
        if len(members) != len(infos) or not all(info.filename.endswith(".npy") for info in infos):
            raise _unreadable(path, f"its entries {archive.namelist()} are not one .npy array per name")
        if members.keys() != own.keys():  # the directory alone decides this; no entry is opened
            state_dict_fits(path, own, dict.fromkeys(members), model, None, CheckpointError)
        headers = {name: _header(path, archive, info) for name, info in members.items()}
        state_dict_fits(path, own, headers, model, None, CheckpointError)
        for name, header in headers.items():
            if np.issubdtype(own[name].dtype, np.integer) and header.dtype.kind == "f":
                raise CheckpointError(f"{name}: the file {path} holds {header.dtype} values where the model keeps "
                                      f"whole numbers; it was not written by save_checkpoint from this kind of model.")
            if members[name].file_size != header.nbytes:  # what a zip bomb gets wrong: it would decompress into more
                raise _unreadable(path, f"entry {members[name].filename!r} decompresses into {members[name].file_size} "
                                        f"bytes, but a {header.dtype} array of shape {header.shape} takes {header.nbytes}")
        stored = {}
        for name, info in members.items():
            with archive.open(info) as member:  # zipfile reads at most file_size bytes and checks the CRC
                stored[name] = np.lib.format.read_array(member, allow_pickle=False)
                if member.read(1):
                    raise _unreadable(path, f"entry {info.filename!r} holds more than its header says")
    return stored


def load_checkpoint(path: str | os.PathLike, *, model: Any) -> Any:
    """Copy the weights stored in ``path`` into ``model``; return the model.

    Names, shapes, dtypes and sizes are checked from the zip's directory and the ``.npy`` headers
    before any weights are read, and everything before anything is copied, so a file that does
    not fit leaves the model exactly as it was and costs no more memory than the model's weights.
    Values are cast to the model's dtype (a float64 file loads into a float32 model).

    Raises:
        FileNotFoundError: there is no file at ``path``.
        CheckpointError: the file is not a readable ``.npz`` (or holds no numbers, or more data
            than its arrays need); or its names or shapes differ from the model's (the message
            names each key and both shapes).
    """
    path = Path(path)
    _require_file(path)
    try:
        with open(path, "rb") as f:
            if f.read(6) == b"\x93NUMPY":
                raise CheckpointError(
                    f"{path} holds a single array (a .npy file), not a set of named weights; write "
                    f"weights with save_checkpoint(path, model=model), which stores an .npz archive."
                )
        stored = _read_weights(path, model.state_dict(), model)
    except CheckpointError:
        raise
    except Exception as err:  # a damaged zip can fail in zipfile, zlib or numpy in many ways
        raise _unreadable(path, f"{type(err).__name__}: {err}") from err
    model.load_state_dict(stored)
    return model
