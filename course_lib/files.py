"""Writing files safely: what the data cache and both twins' checkpoints share.

A file is written through a temporary file in its own folder and renamed into place with
``os.replace``, which is atomic: a reader sees the old file or the whole new one, never a
half-written one, even if the process is killed mid-write.

A killed writer leaves its temporary file behind (``.<name>.<8 random characters>.tmp``, as big as
the file it was writing). :func:`remove_stale_temporaries` deletes such leftovers, and only those:
a writer holds a lock on its temporary file for as long as it writes (the kernel drops the lock
when the process dies), so a file that is locked, or was touched within the last hour, is left alone.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # Windows: no advisory locks, but there a file still open by its writer cannot be deleted
    fcntl = None

__all__ = ["STALE_AFTER_S", "check_writable", "remove_stale_temporaries", "write_atomically"]

STALE_AFTER_S = 3600.0  # a temporary file untouched this long (and unlocked) belongs to a dead writer


def check_writable(path: Path, who: str, example: str) -> None:
    """A clear error, before any work, when ``path`` is a folder or its folder does not exist."""
    if path.is_dir():
        raise IsADirectoryError(f"{who}: {path} is a folder; give a file name such as {path / example}.")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{who}: the folder {path.parent} does not exist; create it first (Path(...).mkdir(parents=True)).")


def _temporary_name(target_name: str) -> re.Pattern[str]:
    """The names ``tempfile.mkstemp`` gives write_atomically's temporary files for ``target_name``."""
    return re.compile(re.escape(f".{target_name}.") + r"[a-z0-9_]{8}\.tmp")


def write_atomically(target: Path, write: Callable[[BinaryIO], object]) -> None:
    """Call ``write(f)`` on a temporary file beside ``target``, then rename it over ``target``.

    The file is readable by others (``mkstemp`` makes it private; caches and checkpoints are meant
    to be shared), and the temporary file is removed on any error. Stale temporary files of the
    same target, left by writers that were killed, are removed first.
    """
    remove_stale_temporaries(target.parent, [target.name])
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            _lock(f.fileno())  # held until the file is closed: marks it as being written
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _lock(fd: int) -> None:
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # a file system without locks: the age rule alone protects the file
            pass


def remove_stale_temporaries(folder: Path, names: Iterable[str], *, older_than_s: float = STALE_AFTER_S) -> list[Path]:
    """Delete the temporary files that killed writers of ``names`` left in ``folder``; return them.

    Only files named as :func:`write_atomically` names them (``.<name>.XXXXXXXX.tmp``) are
    considered, and one is deleted only if it was last modified more than ``older_than_s`` seconds
    ago and no process holds its lock, so a file another process is still writing is never
    touched. Best effort: a file that cannot be examined or removed is left, and nothing is raised.
    """
    patterns = [_temporary_name(name) for name in names]
    deadline = time.time() - older_than_s
    removed = []
    try:
        entries = [e for e in os.scandir(folder) if any(p.fullmatch(e.name) for p in patterns)]
    except OSError:  # no folder yet, or one we may not list
        return removed
    for entry in entries:
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < deadline and _remove_unless_locked(Path(entry.path)):
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def _remove_unless_locked(path: Path) -> bool:
    if fcntl is None:
        path.unlink()  # fails (PermissionError) while a writer has it open
        return True
    fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held by a live writer (or locks do not work here): leave it
            return False
        path.unlink()
        return True
    finally:
        os.close(fd)
