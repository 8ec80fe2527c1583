"""The `course-lib` command, run as a learner runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

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


# ---- course-lib train ----------------------------------------------------------------------------

# One BLAS/OpenMP thread, as `make test` runs: two runs with the same seed then print the same digits
# (a sum split over other thread counts rounds differently), and a busy 2-core machine stays usable.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
REPORT_KEYS = {"test_accuracy", "test_loss", "seconds", "samples_per_second", "device", "train_losses", "epochs_run", "train_samples", "impl", "recipe"}
TIME_KEYS = {"seconds", "samples_per_second"}


def train(*args: str, **env: str) -> subprocess.CompletedProcess:
    return run("train", *args, **{**ONE_THREAD, **env})


def _loss_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("epoch ")]


def _report(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert set(report) == REPORT_KEYS
    return report


def test_train_defaults_are_lesson_07s_recipe():
    """`course-lib train --impl numpy --seed 0` trains DEFAULT_RECIPE; its accuracy (>= 98.2 %) is
    checked in tests/lessons/test_l07_mnist_from_scratch.py, which trains it whole through the same code."""
    import argparse

    from course_lib.lessons.l07_mnist_from_scratch.mnist_mlp import DEFAULT_RECIPE
    from course_lib.lessons.l08_mnist_with_pytorch.mnist_cnn import CNN_CPU_RECIPE
    from course_lib.tools.cli import build_parser, recipe_from_args

    def recipe(*args: str):
        return recipe_from_args(build_parser().parse_args(["train", *args]))

    assert recipe("--impl", "numpy", "--seed", "0") == DEFAULT_RECIPE
    assert recipe("--impl", "torch", "--model", "cnn") == CNN_CPU_RECIPE
    assert recipe("--epochs", "2", "--optimizer", "Adam", "--lr", "0.001", "--hidden", "64", "--limit", "100") == \
        DEFAULT_RECIPE.replace(epochs=2, optimizer="Adam", lr=0.001, hidden=(64,), train_size=100)
    assert isinstance(build_parser(), argparse.ArgumentParser)


def test_train_one_epoch_twice_prints_identical_losses():
    first, second = (train("--impl", "numpy", "--epochs", "1", "--seed", "0") for _ in range(2))
    a, b = _report(first), _report(second)
    assert _loss_lines(first.stdout) == _loss_lines(second.stdout)
    (line,) = _loss_lines(first.stdout)
    assert line == f"epoch 1: train loss {a['train_losses'][0]!r}"
    assert {k: v for k, v in a.items() if k not in TIME_KEYS} == {k: v for k, v in b.items() if k not in TIME_KEYS}
    assert a["test_accuracy"] > 0.9 and a["device"] == "cpu" and a["train_samples"] == 55000 and a["impl"] == "numpy"
    assert a["recipe"]["epochs"] == 1 and a["recipe"]["optimizer"] == "nesterov" and a["recipe"]["hidden"] == [256, 128]
    assert a["samples_per_second"] == pytest.approx(55000 / a["seconds"])
    assert "test accuracy:" in first.stdout and "samples/s on cpu" in first.stdout
    assert first.stdout.startswith("training numpy mlp 784-256-128-10 on 55000 MNIST images (5000 held out")
    assert "430/430" in first.stderr, "the progress bar counts the epoch's 430 steps on stderr"


def test_train_json_only_prints_one_line_and_another_seed_other_losses():
    runs = [train("--limit", "2000", "--epochs", "1", "--seed", seed, "--json-only", "--no-progress") for seed in ("1", "2")]
    for result in runs:
        assert len(result.stdout.splitlines()) == 1 and result.stderr == ""
    one, two = map(_report, runs)
    assert one["train_samples"] == 2000 and one["recipe"]["train_size"] == 2000
    assert one["train_losses"] != two["train_losses"]


def test_train_torch_on_the_cpu():
    result = train("--impl", "torch", "--device", "cpu", "--hidden", "64", "--limit", "1000", "--batch-size", "50",
                   "--epochs", "1", "--no-progress")
    report = _report(result)
    assert report["device"] == "cpu" and report["recipe"]["hidden"] == [64] and report["test_accuracy"] > 0.5
    assert result.stdout.startswith("training torch mlp 784-64-10 on 1000 MNIST images")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--impl", "jax"], "argument --impl: invalid choice: 'jax'"),
        (["--epochs", "0"], "argument --epochs: must be a whole number of at least 1, got '0'"),
        (["--lr", "-1"], "argument --lr: must be a positive number, got '-1'"),
        (["--lr", "inf"], "argument --lr: must be a positive number, got 'inf'"),
        (["--batch-size", "abc"], "argument --batch-size: must be a whole number, got 'abc'"),
        (["--seed", "-1"], "argument --seed: must be a whole number between 0 and 4294967295"),
        (["--impl", "numpy", "--model", "cnn"], "argument --model: cnn needs --impl torch"),
        (["--impl", "numpy", "--device", "cuda"], "argument --device: --impl numpy runs on the CPU only"),
        (["--limit", "60001"], "argument --limit: must be a whole number between 1 and 60000"),
        (["--optimizer", "sgd"], "argument --optimizer: invalid choice: 'sgd'"),
        (["--lr", "1e39"], "lr must be a number in (0, 1e6], got 1e+39"),
        (["--hidden", "1000000000"], "makes an MLP of 795,000,000,010 parameters"),
        (["--impl", "torch", "--model", "cnn", "--hidden", "64,32"], "argument --hidden: the CNN has one fully connected hidden layer"),
    ],
)
def test_train_bad_arguments_are_argparse_errors(args, message):
    result = train(*args)
    assert result.returncode == 2
    assert message in result.stderr and "usage: course-lib train" in result.stderr
    assert result.stdout == ""


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device")
def test_train_on_cuda_without_a_gpu_says_so():
    result = train("--impl", "torch", "--device", "cuda")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == (
        "course-lib train: error: --device cuda was requested but torch sees no CUDA device on this "
        "machine; use --device cpu"
    )


@pytest.mark.cuda
def test_train_on_cuda():
    report = _report(train("--impl", "torch", "--model", "cnn", "--device", "cuda", "--amp", "--limit", "2000", "--no-progress"))
    assert report["device"].startswith("cuda") and report["recipe"]["amp"] is True


@pytest.mark.parametrize(
    ("case", "args", "message"),
    [
        ("missing data folder", ["--limit", "100", "--epochs", "1"], "MNIST file not found: "),
        ("damaged data file", ["--limit", "100", "--epochs", "1"], "checksum mismatch"),
        ("torch on a missing GPU", ["--impl", "torch", "--device", "cuda", "--limit", "100"], "sees no CUDA device"),
    ],
)
def test_train_failures_are_one_line_without_a_traceback(case, args, message, tmp_path):
    env = {"COURSE_LIB_CACHE": str(tmp_path / "cache")}
    if case == "missing data folder":
        env["COURSE_LIB_DATA"] = str(tmp_path / "nowhere")
    if case == "damaged data file":
        for split in MNIST_FILES.values():
            for name in split.values():
                shutil.copyfile(mnist_dir() / name, tmp_path / name)
        damaged = tmp_path / "train-images-idx3-ubyte.gz"
        damaged.write_bytes(damaged.read_bytes()[:-100])
        env["COURSE_LIB_DATA"] = str(tmp_path)
    if case == "torch on a missing GPU" and torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    result = train(*args, "--no-progress", **env)
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("course-lib train: error: ") and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_train_a_diverging_run_fails_with_advice():
    result = train("--lr", "1000", "--limit", "3000", "--epochs", "1", "--no-progress")
    assert result.returncode == 1
    assert "course-lib train: error: The loss became nan" in result.stderr and "lower the learning rate" in result.stderr
    assert "RuntimeWarning" not in result.stderr and not result.stdout.strip().endswith("}")
