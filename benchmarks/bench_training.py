"""One MNIST epoch of an MLP 784-128-10 (batch 64, float32, SGD lr 0.1), several ways, on the CPU.

The ways run alternately (one epoch each, round after round) so that a busy machine slows them
alike; each figure is the median over the rounds. Test accuracy is measured after the epoch.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import torch

from course_lib.data import load_mnist
from course_lib.numpy_nn import SGD, CrossEntropyLoss, evaluate, fit
from course_lib.numpy_nn import MLP as NumpyMLP
from course_lib.torch_nn import MLP
from course_lib.torch_nn import SGD as TorchNNSGD
from course_lib.torch_nn import evaluate as torch_evaluate
from course_lib.torch_nn import fit as torch_fit

SIZES, BATCH, LR = (784, 128, 10), 64, 0.1


def numpy_course_lib(train, test, seed):
    rng = np.random.default_rng(seed)
    model = NumpyMLP(SIZES, rng=rng).astype(np.float32)
    start = time.perf_counter()
    fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=LR), train, epochs=1, batch_size=BATCH, rng=rng, progress=False)
    seconds = time.perf_counter() - start
    return seconds, evaluate(model, CrossEntropyLoss(), test)["acc"]


def numpy_bare_loop(train, test, seed):
    """The floor for NumPy: the same network and steps with no classes, no checks, updates in place."""
    rng = np.random.default_rng(seed)
    X, y = train
    k1, k2 = 1 / np.sqrt(784), 1 / np.sqrt(128)  # torch.nn.Linear's default init
    W1, b1 = rng.uniform(-k1, k1, (128, 784)).astype(np.float32), rng.uniform(-k1, k1, 128).astype(np.float32)
    W2, b2 = rng.uniform(-k2, k2, (10, 128)).astype(np.float32), rng.uniform(-k2, k2, 10).astype(np.float32)
    start = time.perf_counter()
    order = rng.permutation(len(X))
    for i in range(0, len(X), BATCH):
        idx = order[i : i + BATCH]
        xb, yb, n = X[idx], y[idx], len(idx)
        h = xb @ W1.T + b1
        a = np.maximum(h, 0)
        z = a @ W2.T + b2
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.log(p[np.arange(n), yb]).mean()  # noqa: F841 (computed, as every other way does)
        p[np.arange(n), yb] -= 1  # dLoss/dz · n: softmax minus one-hot
        p /= n
        dh = (p @ W2) * (h > 0)
        W2 -= LR * (p.T @ a)
        b2 -= LR * p.sum(axis=0)
        W1 -= LR * (dh.T @ xb)
        b1 -= LR * dh.sum(axis=0)
    seconds = time.perf_counter() - start
    logits = np.maximum(test[0] @ W1.T + b1, 0) @ W2.T + b2
    return seconds, (logits.argmax(axis=1) == test[1]).mean()


def _torch_model(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))


def _torch_accuracy(model, test):
    with torch.no_grad():
        return (model(torch.from_numpy(test[0])).argmax(1).numpy() == test[1]).mean()


def torch_eager_preloaded(train, test, seed):
    """The textbook torch loop over tensors already in memory, batches gathered by index."""
    X, y = torch.from_numpy(train[0]), torch.from_numpy(train[1])
    model, loss_fn = _torch_model(seed), torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    generator = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    order = torch.randperm(len(X), generator=generator)
    for i in range(0, len(X), BATCH):
        idx = order[i : i + BATCH]
        optimizer.zero_grad()
        loss_fn(model(X[idx]), y[idx]).backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    return seconds, _torch_accuracy(model, test)


def torch_dataloader(train, test, seed):
    """The same loop fed by a DataLoader over a TensorDataset (per-sample indexing, then collation)."""
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(train[0]), torch.from_numpy(train[1]))
    loader = torch.utils.data.DataLoader(dataset, batch_size=BATCH, shuffle=True, generator=torch.Generator().manual_seed(seed))
    model, loss_fn = _torch_model(seed), torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    start = time.perf_counter()
    for xb, yb in loader:
        optimizer.zero_grad()
        loss_fn(model(xb), yb).backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    return seconds, _torch_accuracy(model, test)


def torch_course_lib(train, test, seed):
    """course_lib.torch_nn: its fit (preloaded tensors, History) with its from-scratch SGD."""
    torch.manual_seed(seed)
    model = MLP(SIZES)
    start = time.perf_counter()
    torch_fit(model, torch.nn.CrossEntropyLoss(), TorchNNSGD(model.parameters(), lr=LR), train, epochs=1, batch_size=BATCH, rng=np.random.default_rng(seed), progress=False, device="cpu")
    seconds = time.perf_counter() - start
    return seconds, torch_evaluate(model, torch.nn.CrossEntropyLoss(), test)["acc"]


WAYS = {
    "course_lib NumPy (numpy_nn.fit)": numpy_course_lib,
    "bare NumPy loop (no classes, no checks, in-place updates)": numpy_bare_loop,
    "torch eager, preloaded tensors": torch_eager_preloaded,
    "torch eager, DataLoader": torch_dataloader,
    "course_lib torch_nn.fit (CPU)": torch_course_lib,
}
REFERENCE = "torch eager, preloaded tensors"


def run(rounds: int = 5) -> list[dict[str, str]]:
    train, test = load_mnist("train"), load_mnist("test")
    for way in WAYS.values():  # warm-up: first calls pay for imports and allocations
        way((train[0][:2048], train[1][:2048]), test, 0)
    times = {name: [] for name in WAYS}
    accuracies = {name: [] for name in WAYS}
    for seed in range(rounds):
        for name, way in WAYS.items():
            seconds, acc = way(train, test, seed)
            times[name].append(seconds)
            accuracies[name].append(acc)
    reference = statistics.median(times[REFERENCE])
    rows = []
    for name in WAYS:
        median = statistics.median(times[name])
        rows.append(
            {
                "way": name,
                "epoch time (median)": f"{median:.3f} s",
                "samples/s": f"{len(train[0]) / median:,.0f}",
                f"vs. {REFERENCE}": f"{median / reference:.2f}×",
                "test accuracy after 1 epoch": f"{100 * statistics.median(accuracies[name]):.2f} %",
                "all epoch times": ", ".join(f"{t:.3f}" for t in times[name]),
            }
        )
    return rows
