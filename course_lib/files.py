"""Writing files safely: what the data cache and both twins' checkpoints share.

A file is written through a temporary file in its own folder and renamed into place with
``os.replace``, which is atomic: a reader sees the old file or the whole new one, never a
half-written one, even if the process is killed mid-write.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["check_writable", "write_atomically"]


def check_writable(path: Path, who: str, example: str) -> None:
    """A clear error, before any work, when ``path`` is a folder or its folder does not exist."""
    if path.is_dir():
        raise IsADirectoryError(f"{who}: {path} is a folder; give a file name such as {path / example}.")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{who}: the folder {path.parent} does not exist; create it first (Path(...).mkdir(parents=True)).")


def write_atomically(target: Path, write: Callable[[BinaryIO], object]) -> None:
    """Call ``write(f)`` on a temporary file beside ``target``, then rename it over ``target``.

    The file is readable by others (``mkstemp`` makes it private; caches and checkpoints are meant
    to be shared), and the temporary file is removed on any error.
    """
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
