"""The `course-lib` command, run as a learner runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from course_lib import __version__
from course_lib.data import MNIST_FILES, mnist_dir

COMMAND = Path(sys.executable).parent / "course-lib"


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(COMMAND), *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=120)


def test_doctor_prints_versions_device_and_verifies_the_data():
    result = run("doctor")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "torch" in out and "numpy" in out
    assert "device         : cpu" in out or "device         : cuda" in out
    assert "data verified: 60000 training and 10000 test images" in out
    assert out.count("  ok  ") == 6


def test_doctor_reports_a_corrupt_file_by_name_and_fails(tmp_path):
    for split in MNIST_FILES.values():
        for name in split.values():
            shutil.copyfile(mnist_dir() / name, tmp_path / name)
    damaged = tmp_path / "train-labels-idx1-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes()[:-100])
    result = run("doctor", COURSE_LIB_DATA=str(tmp_path), COURSE_LIB_CACHE=str(tmp_path / "cache"))
    assert result.returncode == 1
    assert "data check FAILED" in result.stderr and "train-labels-idx1-ubyte.gz" in result.stderr
    assert "checksum mismatch" in result.stderr and "data verified" not in result.stdout


def test_doctor_reports_a_missing_folder(tmp_path):
    result = run("doctor", "--data-dir", str(tmp_path / "nowhere"))
    assert result.returncode == 1 and "not found" in result.stderr


def test_version_and_usage_errors():
    assert run("--version").stdout.strip() == f"course-lib {__version__}"
    result = run()
    assert result.returncode == 2 and "COMMAND" in result.stderr
    result = run("fly")
    assert result.returncode == 2 and "invalid choice" in result.stderr
