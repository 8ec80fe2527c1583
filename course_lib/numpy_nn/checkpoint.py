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

import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from course_lib.files import check_writable, write_atomically
from course_lib.validation import state_dict_fits

__all__ = ["CheckpointError", "load_checkpoint", "save_checkpoint"]


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


def _read(path: Path) -> dict[str, np.ndarray]:
    if not path.exists():
        raise FileNotFoundError(f"No weights file at {path}. Save one first with save_checkpoint({str(path)!r}, model=model), or check the path.")
    if path.is_dir():
        raise CheckpointError(f"{path} is a folder, not a weights file; pass the .npz file inside it.")
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise CheckpointError(
                f"{path} holds a single array (a .npy file), not a set of named weights; write "
                f"weights with save_checkpoint(path, model=model), which stores an .npz archive."
            )
        with archive:
            return {name: archive[name] for name in archive.files}
    except CheckpointError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
        raise CheckpointError(
            f"{path} is not a readable .npz weights file ({type(err).__name__}: {err}). It may be "
            f"damaged or cut short, or be another kind of file: save the weights again with save_checkpoint."
        ) from err


def load_checkpoint(path: str | os.PathLike, *, model: Any) -> Any:
    """Copy the weights stored in ``path`` into ``model``; return the model.

    Everything is checked before anything is copied, so a file that does not fit leaves the
    model exactly as it was. Values are cast to the model's dtype (a float64 file loads into a
    float32 model).

    Raises:
        FileNotFoundError: there is no file at ``path``.
        CheckpointError: the file is not a readable ``.npz``; or its names or shapes differ from
            the model's (the message names each key and both shapes).
    """
    path = Path(path)
    stored = _read(path)
    own = model.state_dict()
    state_dict_fits(path, own, stored, model, None, CheckpointError)
    for name, value in stored.items():
        if not (np.issubdtype(value.dtype, np.number) or value.dtype == np.bool_):
            raise CheckpointError(f"{name}: the file {path} holds a {value.dtype} array, not numbers; it is not a weights file.")
    model.load_state_dict(stored)
    return model
