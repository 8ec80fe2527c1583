"""Lesson 12, sections 2-4 (the proof, the engine, the cost): the runner of the ``course-lib train --nproc``
command, the comparison of two runs, the all-reduce timing under torchrun and its fit, the step-time model, the
learning-rate scaling, their refusals, and what the prose says."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from course_lib.lessons.l12_beyond_one_machine import engine
from course_lib.lessons.l12_beyond_one_machine.checks import check_scaled_lr, predict_ddp_steps, scaled_lr_cases
from course_lib.lessons.l12_beyond_one_machine.engine import (
    compare_runs, fit_latency_bandwidth, lr_scaling, measure_allreduce, run_train, step_time, train_command,
)

# ---- the command and its runner ---------------------------------------------------------------------------


def test_the_command_is_the_one_a_learner_types():
    command = train_command(2, 32)
    assert command[:3] == [sys.executable, "-m", "course_lib.tools.cli"]
    assert command[3:] == ["train", "--impl", "torch", "--device", "cpu", "--nproc", "2", "--batch-size", "32",
                           "--hidden", "32", "--limit", "1024", "--epochs", "1", "--seed", "0", "--json-only",
                           "--no-progress"]


@pytest.mark.parametrize(("args", "options", "words"), [
    ((0, 32), {}, "nproc must be a whole number >= 1, got 0"),
    ((2, 1.5), {}, "batch_size must be a whole number >= 1, got 1.5"),
    ((2, 32), {"limit": True}, "limit must be a whole number >= 1, got True"),
    ((2, 32), {"seed": -1}, "seed must be a whole number >= 0, got -1"),
])
def test_the_command_refuses_bad_numbers(args, options, words):
    with pytest.raises(ValueError, match=words):
        train_command(*args, **options)


@pytest.fixture(scope="module")
def runs():
    """The proof of section 2, smaller: 2 processes × 16 against 1 process × 32 on 256 images."""
    return run_train(2, 16, hidden=16, limit=256), run_train(1, 32, hidden=16, limit=256)


def test_two_processes_with_B_match_one_with_2B_to_float32_rounding(runs):
    two, one = runs
    gap = compare_runs(two, one)
    assert gap["steps"] == 256 // 32 and two["nproc"] == 2 and one["nproc"] == 1
    assert gap["max_step_gap"] < 1e-5 and gap["test_loss_gap"] < 1e-4 and gap["accuracy_gap"] <= 0.0011
    assert compare_runs(one, one) == {"max_step_gap": 0.0, "steps": 8, "accuracy_gap": 0.0, "test_loss_gap": 0.0,
                                      "same_digest": True}
    for run in runs:  # what section 4 reads: an epoch's training time, and this call's wall time around it
        assert 0 < run["timings"]["epochs"][0] < run["wall"]


def test_compare_runs_refuses_runs_that_cannot_be_compared(runs):
    two, one = runs
    with pytest.raises(ValueError, match="compare_runs expects two results of run_train"):
        compare_runs(two, {"step_losses": [1.0]})
    with pytest.raises(ValueError, match="the runs took 8 and 7 steps; compare runs with the same global batch"):
        compare_runs(one, {**one, "step_losses": one["step_losses"][:7]})


def test_a_failing_command_says_so_with_its_stderr():
    with pytest.raises(RuntimeError, match=r"(?s)failed \(exit code 2\).*--limit"):
        run_train(2, 16, limit=10**9, timeout=60)


# ---- the all-reduce timing and its fit ---------------------------------------------------------------------


def test_measure_allreduce_times_each_size_under_torchrun():
    result = measure_allreduce([2**10, 2**20], rounds=3)
    assert result["bytes"].tolist() == [1024.0, 2.0**20]
    assert result["seconds"].shape == (2,) and np.all(result["seconds"] > 0) and np.all(result["seconds"] < 5)


def test_measure_allreduce_refuses_bad_arguments():
    with pytest.raises(ValueError, match="nproc must be a whole number >= 2, got 1"):
        measure_allreduce(nproc=1)
    with pytest.raises(ValueError, match="size must be a whole number >= 4, got 2"):
        measure_allreduce([2])


def test_the_timing_worker_says_how_to_start_it(monkeypatch, capsys):
    monkeypatch.delenv("RANK", raising=False)
    with pytest.raises(SystemExit):
        engine._main(["--out", "x.json", "--sizes", "1024"])
    assert "run me under torchrun, or call measure_allreduce()" in capsys.readouterr().err


def test_the_fit_recovers_latency_and_bandwidth():
    n = np.array([1e3, 1e4, 1e5, 1e6, 1e7])
    alpha, beta = fit_latency_bandwidth(n, 2e-4 + n / 1e9)
    assert alpha == pytest.approx(2e-4, rel=1e-9) and beta == pytest.approx(1e9, rel=1e-9)


@pytest.mark.parametrize(("n", "t", "words"), [
    ([1e3], [1e-3], "two 1-d arrays of the same length >= 2"),
    ([1e3, 1e4], [1e-3], "got shapes"),
    ([1e3, 1e4], [0.0, 1e-3], "positive sizes and times"),
    ([1e3, 1e6], [2e-3, 1e-3], "the times do not grow with the size"),
])
def test_the_fit_refuses_what_it_cannot_fit(n, t, words):
    with pytest.raises(ValueError, match=words):
        fit_latency_bandwidth(n, t)


def test_the_step_model_splits_the_compute_and_adds_one_all_reduce():
    times = step_time(8e-3, np.array([1, 2, 4]), 1e6, 1e-3, 1e9)
    assert times.tolist() == pytest.approx([8e-3, 4e-3 + 2e-3, 2e-3 + 2e-3])


# ---- the learning-rate scaling rule, as the prose claims it ----------------------------------------------


def test_scaling_the_learning_rate_keeps_the_loss_and_keeping_it_does_not():
    result = lr_scaling()
    assert result["world_sizes"].tolist() == [1, 2, 4, 8] and result["same_lr"].shape == (3, 4)
    assert np.array_equal(result["same_lr"][:, 0], result["scaled_lr"][:, 0])  # R = 1: the same run
    assert (result["same_lr"][:, -1] / result["same_lr"][:, 0]).min() > 1.3
    assert np.abs(result["scaled_lr"][:, 1:3] / result["scaled_lr"][:, :1] - 1).max() < 0.05


def test_lr_scaling_refuses_too_few_samples():
    with pytest.raises(ValueError, match=r"samples \(16\) must be at least R·batch for every R"):
        lr_scaling(samples=16)


def test_the_prediction_is_what_the_prose_says():
    assert predict_ddp_steps.truth() == 16


# ---- the exercise: scaled_lr, the right one and the typical mistakes --------------------------------------


def scaled_lr(base_lr, world_size, step, warmup_steps):
    return base_lr + (world_size - 1) * base_lr * min(step, warmup_steps) / warmup_steps


@pytest.mark.parametrize(("wrong", "words"), [
    (lambda lr, R, t, w: lr, "the rate stays η"),
    (lambda lr, R, t, w: R * lr, "the rate is R·η from the first step"),
    (lambda lr, R, t, w: lr + (R ** 0.5 - 1) * lr * min(t, w) / w, "the rate ends at √R·η"),
    (lambda lr, R, t, w: R * lr * min(t, w) / w, "the warm-up starts at zero"),
    (lambda lr, R, t, w: lr + (R - 1) * lr * t / w, "the rate keeps climbing after the warm-up"),
    (lambda lr, R, t, w: scaled_lr(lr, R, t + 1, w), "one step early or late"),
    (lambda lr, R, t, w: scaled_lr(lr, R, max(t - 1, 0), w), "one step early or late"),
])
def test_check_scaled_lr_names_each_mistake(assert_teaches, wrong, words):
    assert_teaches(check_scaled_lr, scaled_lr, wrong, words)


def test_the_scaled_lr_cases_cover_one_process_and_a_one_step_warm_up():
    cases = scaled_lr_cases()
    assert any(R == 1 for _, R, _ in cases) and any(w == 1 for _, _, w in cases) and cases[0][1] > 1
