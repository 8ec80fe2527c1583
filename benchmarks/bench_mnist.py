"""MNIST runs as `course-lib train` makes them (course_lib.tools.runs.train_run): epoch time, samples/s and test accuracy.

On the CPU: one epoch of the NumPy MLP 784-256-128-10, its torch twin and the torch CNN (SGD with
momentum 0.9, lr 0.05, batch 128, the command's defaults). On a machine with an NVIDIA GPU also:
one epoch of the torch MLP and CNN on CUDA, and the wall time of a whole CNN training until the
test accuracy, measured after each epoch, reaches 99.0 %; all CUDA runs use bfloat16 autocast.

The runs alternate (one of each, round after round, seed = round) so that a busy machine slows
them alike; each time is the median over the rounds, and so is the accuracy. A warm-up run of
each on 2048 images comes first, so that no timed run pays for first calls (and, on CUDA, for
loading kernels). "time" is the training loop alone: no data loading, no final test; for the
run to 99.0 % it includes the test after each epoch, since that is how the training knows to stop.

Then the lessons' own recipes, trained whole as the notebooks train them: lesson 07's NumPy MLP
(``mnist_numpy.DEFAULT_RECIPE``, goal: at least 98.2 % within 15 s of training on a 2-core CPU)
and lesson 08's one-epoch CPU CNN (``mnist_torch.CNN_CPU_RECIPE``, goal: at least 98.5 % within
90 s), seeds 0 to ROUNDS - 1. Their time includes the validation pass after each epoch.
"""

from __future__ import annotations

import dataclasses
import statistics

import torch

from course_lib.lessons.l07_mnist_from_scratch.mnist_mlp import DEFAULT_RECIPE, load_splits, train_mlp
from course_lib.lessons.l08_mnist_with_pytorch.mnist_cnn import CNN_CPU_RECIPE, load_cnn_splits, train_cnn
from course_lib.numpy_nn.losses import CrossEntropyLoss
from course_lib.numpy_nn.training import evaluate
from course_lib.tools.runs import RunConfig, RunReport, train_run

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
    mlp_s, mlp_acc, cnn_s, cnn_acc = [], [], [], []
    for seed in range(rounds):
        recipe = DEFAULT_RECIPE.replace(seed=seed)
        splits = load_splits(recipe)
        model, history = train_mlp(recipe, splits=splits, progress=False)
        mlp_s.append(float(history["seconds"].sum()))
        mlp_acc.append(evaluate(model, CrossEntropyLoss(), splits.test)["acc"])
        cnn_recipe = CNN_CPU_RECIPE.replace(seed=seed)
        cnn = train_cnn(cnn_recipe, device="cpu", splits=load_cnn_splits(cnn_recipe), progress=False)
        cnn_s.append(cnn.seconds)
        cnn_acc.append(cnn.test_acc)
    return [
        _recipe_row(f"lesson 07 recipe: NumPy MLP {DEFAULT_RECIPE.sizes}, {DEFAULT_RECIPE.epochs} epochs", "≥ 98.2 % in ≤ 15 s",
                    mlp_s, mlp_acc, DEFAULT_RECIPE.epochs, 60_000 - DEFAULT_RECIPE.val_size),
        _recipe_row(f"lesson 08 CPU recipe: CNN {CNN_CPU_RECIPE.channels}, {CNN_CPU_RECIPE.epochs} epoch", "≥ 98.5 % in ≤ 90 s",
                    cnn_s, cnn_acc, CNN_CPU_RECIPE.epochs, 60_000 - CNN_CPU_RECIPE.val_size),
    ]


def run(rounds: int = ROUNDS) -> list[dict[str, str]]:
    rows = _measure(CPU_RUNS, rounds) + _lesson_recipes(rounds)
    if torch.cuda.is_available():  # the CUDA rows appear only on a machine with an NVIDIA GPU
        rows += _measure(CUDA_RUNS, rounds)
    return rows


if __name__ == "__main__":  # this benchmark alone: .venv/bin/python benchmarks/bench_mnist.py
    from run import _table

    print(_table(run()))
