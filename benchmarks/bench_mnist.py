"""MNIST runs as `course-lib train` makes them (course_lib.runs.train_run): epoch time, samples/s and test accuracy.

On the CPU: one epoch of the NumPy MLP 784-256-128-10, its torch twin and the torch CNN (SGD with
momentum 0.9, lr 0.05, batch 128, the command's defaults). On a machine with an NVIDIA GPU also:
one epoch of the torch MLP and CNN on CUDA, and the wall time of a whole CNN training until the
test accuracy, measured after each epoch, reaches 99.0 %; all CUDA runs use bfloat16 autocast.

The runs alternate (one of each, round after round, seed = round) so that a busy machine slows
them alike; each time is the median over the rounds, and so is the accuracy. A warm-up run of
each on 2048 images comes first, so that no timed run pays for first calls (and, on CUDA, for
loading kernels). "time" is the training loop alone: no data loading, no final test; for the
run to 99.0 % it includes the test after each epoch, since that is how the training knows to stop.
"""

from __future__ import annotations

import dataclasses
import statistics

import torch

from course_lib.runs import RunConfig, RunReport, train_run

ROUNDS = 3
TARGET, MAX_EPOCHS = 0.99, 30

CPU_RUNS = {
    "NumPy MLP 784-256-128-10, 1 epoch": RunConfig(impl="numpy"),
    "torch MLP 784-256-128-10, 1 epoch": RunConfig(impl="torch", device="cpu"),
    "torch CNN, 1 epoch": RunConfig(impl="torch", model="cnn", device="cpu"),
}
CUDA_RUNS = {
    "torch MLP 784-256-128-10, 1 epoch, bf16 autocast": RunConfig(impl="torch", device="cuda", amp=True),
    "torch CNN, 1 epoch, bf16 autocast": RunConfig(impl="torch", model="cnn", device="cuda", amp=True),
    f"torch CNN until {100 * TARGET:.1f} % test accuracy, bf16 autocast": RunConfig(
        impl="torch", model="cnn", device="cuda", amp=True, epochs=MAX_EPOCHS, target_accuracy=TARGET
    ),
}


def _row(name: str, reports: list[RunReport]) -> dict[str, str]:
    seconds = [r.seconds for r in reports]
    epochs = [r.epochs_run for r in reports]
    accuracy = statistics.median(r.test_accuracy for r in reports)
    target = reports[0].config.target_accuracy
    if target is not None and any(r.test_accuracy < target for r in reports):
        name += f" (not reached in {MAX_EPOCHS} epochs in {sum(r.test_accuracy < target for r in reports)} of {len(reports)} runs)"
    return {
        "run": name,
        "device": reports[0].device,
        "time (median)": f"{statistics.median(seconds):.2f} s",
        "samples/s": f"{statistics.median(r.samples_per_second for r in reports):,.0f}",
        "test accuracy": f"{100 * accuracy:.2f} %",
        "epochs": ", ".join(map(str, epochs)),
        "all times (s)": ", ".join(f"{s:.2f}" for s in seconds),
    }


def _measure(runs: dict[str, RunConfig], rounds: int) -> list[dict[str, str]]:
    for config in runs.values():
        train_run(dataclasses.replace(config, limit=2048, epochs=1, target_accuracy=None), progress=False)
    reports: dict[str, list[RunReport]] = {name: [] for name in runs}
    for seed in range(rounds):
        for name, config in runs.items():
            reports[name].append(train_run(dataclasses.replace(config, seed=seed), progress=False))
    return [_row(name, reports[name]) for name in runs]


def run(rounds: int = ROUNDS) -> list[dict[str, str]]:
    rows = _measure(CPU_RUNS, rounds)
    if torch.cuda.is_available():  # the CUDA rows appear only on a machine with an NVIDIA GPU
        rows += _measure(CUDA_RUNS, rounds)
    return rows


if __name__ == "__main__":  # this benchmark alone: .venv/bin/python benchmarks/bench_mnist.py
    from run import _table

    print(_table(run()))
