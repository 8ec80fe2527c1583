"""MNIST runs as `course-lib train` makes them (course_lib.tools.runs.train_run): epoch time, samples/s and test accuracy.

Every run is a lesson's recipe (course_lib.recipes.Recipe), trained by the lesson's own function.
On the CPU: one epoch of lesson 07's recipe (NumPy MLP 784-256-128-10, SGD with Nesterov momentum,
lr 0.1, batch 128, 55 000 training images), the same recipe with the torch twin, and lesson 08's
CPU recipe (the CNN, AdamW with warm-up and cosine). On a machine with an NVIDIA GPU also: one epoch
of the torch MLP and CNN on CUDA, and the wall time of a whole CNN training until the validation
accuracy, measured after each epoch, reaches 99.0 %; all CUDA runs use bfloat16 autocast.

The runs alternate (one of each, round after round, seed = round) so that a busy machine slows
them alike; each time is the median over the rounds, and so is the accuracy. A warm-up run of
each on 2048 images comes first, so that no timed run pays for first calls (and, on CUDA, for
loading kernels). "time" is the training epochs with their validation passes: no data loading,
no final test.

Then the lessons' recipes trained whole, as the notebooks and `course-lib train` train them:
lesson 07's (goal: at least 98.2 % within 15 s of training on a 2-core CPU) and lesson 08's
one-epoch CPU CNN (goal: at least 99.0 % within 30 s, the median of the seeds), seeds 0 to ROUNDS - 1.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import torch

from course_lib.lessons.l07_mnist_from_scratch.mnist_mlp import DEFAULT_RECIPE
from course_lib.lessons.l08_mnist_with_pytorch.mnist_cnn import CNN_CPU_RECIPE, CNN_CUDA_RECIPE
from course_lib.recipes import Recipe
from course_lib.tools.runs import RunReport, train_run

ROUNDS = 3
TARGET, MAX_EPOCHS = 0.99, 30


@dataclass(frozen=True)
class Run:
    """A recipe, the twin that trains it, where, and (optionally) the validation accuracy to stop at."""

    recipe: Recipe
    impl: str
    device: str | None = None
    target: float | None = None

    def train(self, **changes) -> RunReport:
        target = None if changes else self.target
        return train_run(self.recipe.replace(**changes), impl=self.impl, device=self.device, target_accuracy=target,
                         progress=False)


CPU_RUNS = {
    "lesson 07 recipe, NumPy MLP 784-256-128-10, 1 epoch": Run(DEFAULT_RECIPE.replace(epochs=1), "numpy"),
    "lesson 07 recipe, torch MLP 784-256-128-10, 1 epoch": Run(DEFAULT_RECIPE.replace(epochs=1), "torch", "cpu"),
    "lesson 08 CPU recipe, torch CNN, 1 epoch": Run(CNN_CPU_RECIPE, "torch", "cpu"),
}
CUDA_RUNS = {
    "torch MLP 784-256-128-10, 1 epoch, bf16 autocast": Run(DEFAULT_RECIPE.replace(epochs=1, amp=True), "torch", "cuda"),
    "torch CNN, 1 epoch, bf16 autocast": Run(CNN_CUDA_RECIPE.replace(epochs=1), "torch", "cuda"),
    f"torch CNN until {100 * TARGET:.1f} % validation accuracy, bf16 autocast": Run(
        CNN_CUDA_RECIPE.replace(epochs=MAX_EPOCHS, schedule="constant"), "torch", "cuda", TARGET
    ),
}


def _row(name: str, reports: list[RunReport]) -> dict[str, str]:
    seconds = [r.seconds for r in reports]
    epochs = [r.epochs_run for r in reports]
    accuracy = statistics.median(r.test_accuracy for r in reports)
    if "until" in name and any(r.epochs_run == MAX_EPOCHS for r in reports):
        name += f" (not reached in {MAX_EPOCHS} epochs in {sum(r.epochs_run == MAX_EPOCHS for r in reports)} of {len(reports)} runs)"
    return {
        "run": name,
        "device": reports[0].device,
        "time (median)": f"{statistics.median(seconds):.2f} s",
        "samples/s": f"{statistics.median(r.samples_per_second for r in reports):,.0f}",
        "test accuracy": f"{100 * accuracy:.2f} %",
        "epochs": ", ".join(map(str, epochs)),
        "all times (s)": ", ".join(f"{s:.2f}" for s in seconds),
    }


def _measure(runs: dict[str, Run], rounds: int) -> list[dict[str, str]]:
    for run_ in runs.values():
        run_.train(train_size=2048, epochs=1)
    reports: dict[str, list[RunReport]] = {name: [] for name in runs}
    for seed in range(rounds):
        for name, run_ in runs.items():
            reports[name].append(train_run(run_.recipe.replace(seed=seed), impl=run_.impl, device=run_.device,
                                           target_accuracy=run_.target, progress=False))
    return [_row(name, reports[name]) for name in runs]


def _recipe_row(name: str, goal: str, seconds: list[float], accuracies: list[float], epochs: int, n_train: int) -> dict[str, str]:
    return {
        "run": f"{name} (goal: {goal})",
        "device": "cpu",
        "time (median)": f"{statistics.median(seconds):.2f} s",
        "samples/s": f"{epochs * n_train / statistics.median(seconds):,.0f}",
        "test accuracy": f"{100 * statistics.median(accuracies):.2f} % (min {100 * min(accuracies):.2f} %)",
        "epochs": ", ".join([str(epochs)] * len(seconds)),
        "all times (s)": ", ".join(f"{s:.2f}" for s in seconds),
    }


def _lesson_recipes(rounds: int) -> list[dict[str, str]]:
    """Lesson 07's NumPy MLP and lesson 08's CPU CNN, each trained whole, seed = round."""
    mlp = [train_run(DEFAULT_RECIPE.replace(seed=seed), impl="numpy", progress=False) for seed in range(rounds)]
    cnn = [train_run(CNN_CPU_RECIPE.replace(seed=seed), impl="torch", device="cpu", progress=False) for seed in range(rounds)]
    return [
        _recipe_row(f"lesson 07 recipe: NumPy MLP {DEFAULT_RECIPE.sizes}, {DEFAULT_RECIPE.epochs} epochs", "≥ 98.2 % in ≤ 15 s",
                    [r.seconds for r in mlp], [r.test_accuracy for r in mlp], DEFAULT_RECIPE.epochs, mlp[0].train_samples),
        _recipe_row(f"lesson 08 CPU recipe: CNN {CNN_CPU_RECIPE.channels}, {CNN_CPU_RECIPE.epochs} epoch", "≥ 99.0 % in ≤ 30 s",
                    [r.seconds for r in cnn], [r.test_accuracy for r in cnn], CNN_CPU_RECIPE.epochs, cnn[0].train_samples),
    ]


def run(rounds: int = ROUNDS) -> list[dict[str, str]]:
    rows = _measure(CPU_RUNS, rounds) + _lesson_recipes(rounds)
    if torch.cuda.is_available():  # the CUDA rows appear only on a machine with an NVIDIA GPU
        rows += _measure(CUDA_RUNS, rounds)
    return rows


if __name__ == "__main__":  # this benchmark alone: .venv/bin/python benchmarks/bench_mnist.py
    from run import _table

    print(_table(run()))
