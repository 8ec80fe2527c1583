"""course_lib.files: atomic writes, and the cleaning up of what killed writers leave behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from course_lib.data import MNIST_FILES, load_mnist
from course_lib.files import STALE_AFTER_S, remove_stale_temporaries, write_atomically

REPO = Path(__file__).resolve().parent.parent
TWO_HOURS_AGO = time.time() - 2 * 3600


def age(path: Path, when: float = TWO_HOURS_AGO) -> Path:
    os.utime(path, (when, when), follow_symlinks=False)
    return path


def leftover(folder: Path, name: str, random: str = "k3_x9q0a", size: int = 1000) -> Path:
    """A temporary file as write_atomically names it, as a killed writer leaves it, two hours old."""
    path = folder / f".{name}.{random}.tmp"
    path.write_bytes(bytes(size))
    return age(path)


def test_the_names_write_atomically_gives_are_the_ones_it_cleans_up(tmp_path):
    names = []

    def write(f):
        (temporary,) = tmp_path.glob(".a.npy.*")
        names.append(temporary.name)
        f.write(b"x")

    for _ in range(20):
        write_atomically(tmp_path / "a.npy", write)
    for name in names:  # the same names, as killed writers would leave them
        (tmp_path / name).write_bytes(b"half")
        age(tmp_path / name)
    assert sorted(p.name for p in remove_stale_temporaries(tmp_path, ["a.npy"])) == sorted(names)
    assert os.listdir(tmp_path) == ["a.npy"]


def test_a_stale_leftover_is_removed_by_the_next_write(tmp_path):
    stale = leftover(tmp_path, "c.pt")
    write_atomically(tmp_path / "c.pt", lambda f: f.write(b"new"))
    assert sorted(os.listdir(tmp_path)) == ["c.pt"]
    assert not stale.exists()


def test_a_stale_leftover_is_removed_when_the_cache_is_read(tmp_path):
    cache = tmp_path / "cache"
    load_mnist("test", cache=cache)
    npy = next(cache.glob("t10k-images*.npy")).name
    stale = leftover(cache, npy, size=1 << 20)
    fresh = leftover(cache, npy, random="fresh_00")
    age(fresh, time.time() - 60)  # a writer a minute ago may still be at work (on a slow disk)
    cached = {p: p.stat().st_mtime_ns for p in cache.glob("t10k*")}
    load_mnist("test", cache=cache)
    assert {p: p.stat().st_mtime_ns for p in cache.glob("t10k*")} == cached, "served from the cache: nothing written"
    assert not stale.exists() and fresh.exists()


# Files in the cache folder, all two hours old, that are not write_atomically's temporary files of
# a cache file: none may ever be removed.
NOT_OURS = [
    "notes.tmp",
    ".other-file.npy.k3_x9q0a.tmp",  # another target's
    ".{npy}.k3_x9q0.tmp",  # 7 random characters
    ".{npy}.K3_X9Q0A.tmp",  # mkstemp never uses capitals
    ".{npy}.k3_x9q0a.tmp.bak",
    "{npy}.k3_x9q0a.tmp",  # no leading dot
    "{npy}",  # the cache itself
]


@pytest.mark.parametrize("template", NOT_OURS)
def test_only_our_own_temporary_files_are_ever_removed(tmp_path, template):
    cache = tmp_path / "cache"
    load_mnist("test", cache=cache)
    npy = next(cache.glob("t10k-images*.npy")).name
    path = cache / template.format(npy=npy)
    if not path.exists():
        path.write_bytes(b"someone else's")
    age(path)
    load_mnist("test", cache=cache)
    remove_stale_temporaries(cache, [npy], older_than_s=0)
    assert path.exists()


def test_a_link_or_a_folder_named_like_a_leftover_is_left_alone(tmp_path):
    target = tmp_path / "precious.bin"
    target.write_bytes(b"keep me")
    age(target)  # old too: following the link would find a stale file
    link = tmp_path / ".w.npz.k3_x9q0a.tmp"
    link.symlink_to(target)
    age(link)
    folder = tmp_path / ".w.npz.abcdefgh.tmp"
    folder.mkdir()
    age(folder)
    assert remove_stale_temporaries(tmp_path, ["w.npz"], older_than_s=0) == []
    assert link.is_symlink() and target.read_bytes() == b"keep me" and folder.is_dir()


def test_remove_stale_temporaries_never_raises(tmp_path):
    assert remove_stale_temporaries(tmp_path / "missing", ["a"]) == []
    assert remove_stale_temporaries(tmp_path / "a-file", ["a"]) == []


# A writer that creates its temporary file, writes a megabyte, says so, and then waits (for ever).
_SLOW_WRITER = """
import sys, time
from pathlib import Path
from course_lib.files import write_atomically

def write(f):
    f.write(bytes(1 << 20))
    f.flush()
    (temporary,) = Path(sys.argv[1]).parent.glob(".big.npy.*.tmp")
    print(temporary, flush=True)
    time.sleep(600)

write_atomically(Path(sys.argv[1]), write)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX locks")
def test_a_file_a_live_process_is_writing_is_kept_and_removed_once_it_is_killed(tmp_path):
    target = tmp_path / "big.npy"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    writer = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER, str(target)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        temporary = Path(writer.stdout.readline().strip())
        assert temporary.parent == tmp_path and temporary.stat().st_size == 1 << 20
        age(temporary)  # old enough, yet still being written: its lock protects it
        assert remove_stale_temporaries(tmp_path, ["big.npy"]) == []
        write_atomically(tmp_path / "big.npy", lambda f: f.write(b"another writer"))
        assert temporary.exists()
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert temporary.exists(), "a killed write leaves its temporary file"
    assert remove_stale_temporaries(tmp_path, ["big.npy"]) == [temporary]
    assert sorted(os.listdir(tmp_path)) == ["big.npy"]


def test_the_default_age_is_an_hour(tmp_path):
    assert STALE_AFTER_S == 3600
    recent = leftover(tmp_path, "c.pt")
    age(recent, time.time() - STALE_AFTER_S + 120)
    assert remove_stale_temporaries(tmp_path, ["c.pt"]) == []
    age(recent, time.time() - STALE_AFTER_S - 120)
    assert remove_stale_temporaries(tmp_path, ["c.pt"]) == [recent]


def test_a_killed_cache_write_is_cleaned_up_by_the_next_load(tmp_path, monkeypatch):
    """The whole story: a cache write dies half-way, an hour passes, the next load removes its file."""
    cache = tmp_path / "cache"
    left = []

    def save_half_then_die(f, array, allow_pickle=False):
        f.write(bytes(1000))
        f.flush()
        (temporary,) = cache.glob(".t10k-images*.tmp")
        os.link(temporary, tmp_path / "kept")  # keep a copy from write_atomically's own clean-up,
        left.append(temporary)
        raise KeyboardInterrupt  # which a SIGKILL would not let run

    monkeypatch.setattr(np, "save", save_half_then_die)
    with pytest.raises(KeyboardInterrupt):
        load_mnist("test", cache=cache)
    monkeypatch.undo()
    (tmp_path / "kept").rename(left[0])  # the file a killed writer leaves
    age(left[0])
    X, _ = load_mnist("test", cache=cache)
    assert not left[0].exists() and X.shape == (10000, 784)
    assert sorted(p.suffix for p in cache.iterdir()) == [".json"] * len(MNIST_FILES["test"]) + [".npy"] * len(MNIST_FILES["test"])
