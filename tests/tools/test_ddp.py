"""Data-parallel training (course_lib/tools/ddp.py): real torchrun runs of 1 and 2 gloo processes on the CPU.

The lesson's proof is the first test: DDP on 2 processes with batch B each takes the same steps as
one process with batch 2B. Each torchrun run costs a few seconds (starting Python and torch in every
process, loading MNIST), so the runs are small and shared through module-scoped fixtures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from course_lib.tools.ddp import FAIL_RANK_ENV, HANG_RANK_ENV, DdpError, run_ddp, weights_digest
from course_lib.tools.runs import default_recipe

ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
COMMAND = Path(sys.executable).parent / "course-lib"

# A small MLP, SGD with momentum, a constant rate, no dropout: 649 images in global batches of 64
# are 10 full steps, each step's gradient averaged over the two processes' 32 images, and a last,
# uneven one of 9 (5 and 4), where weighting each loss by its share keeps the global batch's mean.
SMALL = default_recipe("mlp").replace(hidden=(64,), epochs=1, train_size=649, val_size=1000, optimizer="momentum",
                                      lr=0.05, schedule="constant", weight_decay=1e-4)


@pytest.fixture(scope="module")
def two_by_32():
    start = time.perf_counter()
    result = run_ddp(SMALL.replace(batch_size=32), 2, device="cpu", dtype="float64", timeout=120)
    return result, time.perf_counter() - start


def test_two_processes_with_batch_b_equal_one_process_with_batch_2b(two_by_32):
    """DDP averages the gradients of the two halves of a global batch: one step of 2 × B is one step of 2B.

    Float64, so that only the order of a sum's terms differs (about 1e-16 per operation); 11 steps.
    """
    two, seconds = two_by_32
    one = run_ddp(SMALL.replace(batch_size=64), 1, device="cpu", dtype="float64", timeout=120)
    assert len(two.step_losses) == len(one.step_losses) == 11
    assert two.report.train_samples == one.report.train_samples == 649
    np.testing.assert_allclose(two.step_losses, one.step_losses, rtol=1e-12, atol=0)
    assert two.weights.keys() == one.weights.keys()
    for name in one.weights:  # float64: only the order of a sum's terms differs
        np.testing.assert_allclose(two.weights[name], one.weights[name], rtol=1e-10, atol=1e-12, err_msg=name)
    moved = max(np.abs(w - w0).max() for w, w0 in zip(one.weights.values(), _initial_weights().values()))
    assert moved > 1e-3, "the weights must have trained for the comparison to mean anything"
    assert two.nproc == 2 and seconds < 60


def _initial_weights() -> dict[str, np.ndarray]:
    from course_lib.device import seed_everything
    from course_lib.lessons.l08_mnist_with_pytorch.mnist_cnn import build_torch_model

    seed_everything(SMALL.seed)
    return {k: v.double().numpy() for k, v in build_torch_model(SMALL).state_dict().items()}


def test_one_process_is_todays_torch_run():
    """--nproc 1 under torchrun: the same per-step losses and the same weights, bit for bit, as train_torch."""
    from course_lib.lessons.l08_mnist_with_pytorch.mnist_cnn import train_torch

    recipe = SMALL.replace(batch_size=50, train_size=500, optimizer="nesterov", schedule="cosine", epochs=2,
                           dropout=0.1, val_size=0)
    torch.set_num_threads(1)
    today = train_torch(recipe, device="cpu", progress=False)
    ddp = run_ddp(recipe, 1, device="cpu", timeout=120)
    assert ddp.step_losses == today.history.step_series("loss").tolist()
    assert ddp.report.train_losses == [float(v) for v in today.history["train_loss"]]
    assert ddp.weights_sha256 == weights_digest(today.model)
    assert ddp.report.test_accuracy == today.test_acc


def test_a_worker_that_dies_fails_the_run_with_its_stderr():
    start = time.perf_counter()
    with pytest.raises(DdpError, match="2-process run failed") as error:
        run_ddp(SMALL.replace(batch_size=32), 2, device="cpu", timeout=60, collective_timeout=10,
                env={FAIL_RANK_ENV: "1"})
    assert "rank 1 exited with code 3 first" in str(error.value)  # the test hook's exit, from torchrun's summary
    # The dead rank's own last words, from its own log file, not torchrun's traceback.
    assert f"Rank 1's last lines:\nrank 1, stderr:\nrank 1 exits with code 3 ({FAIL_RANK_ENV})" in str(error.value)
    assert "ChildFailedError" not in str(error.value)
    assert time.perf_counter() - start < 60


def test_a_stuck_worker_fails_the_run_at_the_collective_timeout():
    start = time.perf_counter()
    with pytest.raises(DdpError, match="2-process run failed") as error:
        run_ddp(SMALL.replace(batch_size=32), 2, device="cpu", timeout=90, collective_timeout=5,
                env={HANG_RANK_ENV: "1"})
    # Rank 0 gives up waiting for rank 1 first; its error (gloo's timeout) ends the message.
    assert "rank 0 exited with code 1 first. Rank 0's last lines:\nrank 0, stderr:" in str(error.value)
    assert "Error" in str(error.value).splitlines()[-1]
    assert time.perf_counter() - start < 60


def test_the_launcher_kills_a_run_past_its_time_limit():
    start = time.perf_counter()
    with pytest.raises(DdpError, match="time limit of 8 s"):
        run_ddp(SMALL.replace(batch_size=32), 2, device="cpu", timeout=8, collective_timeout=300,
                env={HANG_RANK_ENV: "1"})
    assert time.perf_counter() - start < 20


def test_the_launcher_refuses_bad_arguments():
    with pytest.raises(ValueError, match="nproc must be a whole number >= 1, got 0"):
        run_ddp(SMALL, 0)
    with pytest.raises(ValueError, match="nproc must be a whole number >= 1, got 1.5"):
        run_ddp(SMALL, 1.5)
    with pytest.raises(TypeError, match="expects a Recipe"):
        run_ddp({"batch_size": 32}, 2)


@pytest.mark.parametrize("rank", [0, 1])
def test_the_worker_leaves_without_the_interpreters_teardown(rank, tmp_path, monkeypatch):
    """The worker ends its process with os._exit(0) once its work is done: a gloo group torn down with the
    interpreter could abort it (SIGABRT), and torchrun would fail the finished run."""
    from course_lib.tools import ddp

    class Left(Exception):
        pass

    def leave(code):
        raise Left(code)

    monkeypatch.setattr(ddp.os, "_exit", leave)
    monkeypatch.setattr(ddp, "_exit_with_parent", lambda: None)
    monkeypatch.setattr(ddp, "_train", lambda recipe, **kw: {"test_accuracy": 0.5} if kw["rank"] == 0 else None)
    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)
    monkeypatch.setenv("RANK", str(rank))
    monkeypatch.setenv("WORLD_SIZE", "2")
    out = tmp_path / "result.json"
    with pytest.raises(Left) as left:
        ddp.worker_main(["--recipe", "{}", "--out", str(out), "--device", "cpu"])
    assert left.value.args == (0,)
    if rank == 0:
        assert json.loads(out.read_text()) == {"test_accuracy": 0.5}
    else:
        assert not out.exists()


def test_the_worker_says_how_to_start_it():
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE")}
    result = subprocess.run([sys.executable, "-m", "course_lib.tools.ddp", "--recipe", "{}", "--out", "x.json"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2 and "run me under torchrun" in result.stderr


# ---- course-lib train --nproc --------------------------------------------------------------------


def train(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(COMMAND), "train", *args], capture_output=True, text=True,
                          env={**os.environ, **ONE_THREAD}, timeout=120)


def test_train_nproc_2_prints_todays_report_and_json_line():
    import json

    result = train("--impl", "torch", "--device", "cpu", "--nproc", "2", "--hidden", "32", "--limit", "400",
                   "--batch-size", "25", "--epochs", "1", "--no-progress")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert set(report) == {"test_accuracy", "test_loss", "seconds", "samples_per_second", "device", "train_losses",
                           "epochs_run", "train_samples", "impl", "recipe", "nproc", "step_losses", "weights_sha256",
                           "timings"}
    assert len(report["step_losses"]) == 8 and report["nproc"] == 2 and len(report["weights_sha256"]) == 64
    assert report["weights_sha256"] in result.stdout and {"join_group", "epochs", "train", "launch"} <= set(report["timings"])
    assert report["train_samples"] == 400 and report["recipe"]["batch_size"] == 25 and report["impl"] == "torch"
    assert "data parallel on 2 processes under torchrun, batch 25 each (50 per step)" in result.stdout
    assert "epoch 1: train loss" in result.stdout and "weights sha256: " in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--impl", "torch", "--nproc", "0"], "argument --nproc: must be a whole number of at least 1, got '0'"),
        (["--impl", "torch", "--nproc", "2.5"], "argument --nproc: must be a whole number, got '2.5'"),
        (["--impl", "torch", "--nproc", "two"], "argument --nproc: must be a whole number, got 'two'"),
        (["--impl", "numpy", "--nproc", "2"], "argument --nproc: data-parallel training runs the torch twin"),
        (["--nproc", "2"], "add --impl torch"),
        (["--impl", "torch", "--device", "cpu", "--nproc", "2", "--target-accuracy", "0.9"],
         "--target-accuracy is not available with data-parallel training"),
    ],
)
def test_train_refuses_a_bad_nproc(args, message, capsys):
    from course_lib.tools.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["train", *args])
    assert stop.value.code == 2 and message in capsys.readouterr().err
