"""One MNIST training run, described by a :class:`RunConfig` and summed up in a :class:`RunReport`.

The ``course-lib train`` command and the benchmarks (``benchmarks/bench_mnist.py``) both call
:func:`train_run`, so a run from the command line, a benchmark row and a lesson's run are the same
thing: load MNIST (standardised), seed every generator, build the model, train it with the
implementation's ``fit``, evaluate it on the test set.

    report = train_run(RunConfig(impl="numpy", epochs=1, seed=0))
    report.test_accuracy, report.seconds, report.train_losses

The same config gives the same per-epoch losses on the CPU, run after run: every random draw
(initial weights, batch order, dropout) comes from the seed.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_HIDDEN",
    "DEFAULT_LR",
    "IMPLS",
    "MODELS",
    "MOMENTUM",
    "OPTIMIZERS",
    "RunConfig",
    "RunReport",
    "train_run",
]

IMPLS = ("numpy", "torch")
MODELS = ("mlp", "cnn")
OPTIMIZERS = ("sgd", "adam")
# SGD with momentum 0.9 and lr 0.05 trains both models well in one epoch; Adam wants its usual 1e-3.
DEFAULT_LR = {"sgd": 0.05, "adam": 1e-3}
MOMENTUM = 0.9
DEFAULT_HIDDEN = (256, 128)
_TRAIN_SIZE = 60_000


def _whole(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"RunConfig: {name} must be a whole number of at least {minimum}, got {value!r}.")
    return int(value)


@dataclass(frozen=True)
class RunConfig:
    """What to train, and how. Every field has a default; unknown values raise ValueError.

    Args:
        impl: ``"numpy"`` (the course's from-scratch reference, CPU only) or ``"torch"``.
        model: ``"mlp"`` (784-hidden...-10, ReLU) or ``"cnn"`` (``torch_nn.CNN``, torch only).
        epochs: passes over the training set, at least 1. With ``target_accuracy`` it is the most.
        batch_size: samples per step.
        lr: learning rate; None picks 0.05 for SGD (momentum 0.9) and 1e-3 for Adam.
        seed: seeds Python, NumPy and torch (:func:`course_lib.device.seed_everything`).
        device: ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"`` for torch; None lets
            :func:`course_lib.device.get_device` choose. NumPy runs on the CPU only.
        optimizer: ``"sgd"`` (with momentum 0.9, torch's convention) or ``"adam"``.
        hidden: the MLP's hidden layer sizes; None means (256, 128). Must stay None for the CNN.
        limit: train on the first ``limit`` of the 60 000 training images (quick runs, tests).
        amp: bfloat16 autocast for the forward pass (torch on CUDA only).
        target_accuracy: evaluate on the test set after every epoch and stop once the accuracy
            reaches this fraction (e.g. 0.99); ``epochs`` is then the most epochs to train. This is
            a speed benchmark's rule ("time to 99 %", as in DAWNBench); choosing a model by its
            test score would overfit the test set, so lessons stop on a validation split instead.
    """

    impl: str = "numpy"
    model: str = "mlp"
    epochs: int = 1
    batch_size: int = 128
    lr: float | None = None
    seed: int = 0
    device: str | None = None
    optimizer: str = "sgd"
    hidden: tuple[int, ...] | None = None
    limit: int | None = None
    amp: bool = False
    target_accuracy: float | None = None

    def __post_init__(self) -> None:
        for name, value, allowed in (("impl", self.impl, IMPLS), ("model", self.model, MODELS), ("optimizer", self.optimizer, OPTIMIZERS)):
            if value not in allowed:
                raise ValueError(f"RunConfig: {name} must be one of {list(allowed)}, got {value!r}.")
        if self.impl == "numpy" and self.model == "cnn":
            raise ValueError(
                "RunConfig: the NumPy implementation has no CNN (the course builds only an MLP from "
                "scratch); use impl='torch' for the CNN, or model='mlp'."
            )
        self._fill("epochs", _whole("epochs", self.epochs, 1))
        self._fill("batch_size", _whole("batch_size", self.batch_size, 1))
        self._fill("seed", _whole("seed", self.seed, 0))
        if self.seed >= 2**32:
            raise ValueError(f"RunConfig: seed must be below 2**32 (NumPy's and torch's limit), got {self.seed}.")
        lr = DEFAULT_LR[self.optimizer] if self.lr is None else self.lr
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)) or not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"RunConfig: lr must be a positive finite number, got {lr!r}.")
        self._fill("lr", float(lr))
        if self.model == "mlp":
            hidden = DEFAULT_HIDDEN if self.hidden is None else tuple(self.hidden)
            if any(isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1 for h in hidden):
                raise ValueError(f"RunConfig: hidden must be positive whole numbers (layer widths), got {self.hidden!r}.")
            self._fill("hidden", tuple(int(h) for h in hidden))
        elif self.hidden is not None:
            raise ValueError(f"RunConfig: hidden sets the MLP's layer widths; the CNN takes none, got {self.hidden!r}.")
        if self.limit is not None:
            limit = _whole("limit", self.limit, 1)
            if limit > _TRAIN_SIZE:
                raise ValueError(f"RunConfig: limit must be at most {_TRAIN_SIZE} (the training set's size), got {limit}.")
            self._fill("limit", limit)
        if self.impl == "numpy" and self.device not in (None, "cpu"):
            raise ValueError(f"RunConfig: the NumPy implementation runs on the CPU only, got device={self.device!r}; use impl='torch'.")
        if self.amp and self.impl != "torch":
            raise ValueError("RunConfig: amp (bfloat16 autocast) needs impl='torch' on a CUDA device.")
        target = self.target_accuracy
        if target is not None and (isinstance(target, bool) or not isinstance(target, (int, float, np.floating)) or not 0.0 < target <= 1.0):
            raise ValueError(f"RunConfig: target_accuracy must be a fraction in (0, 1], got {self.target_accuracy!r}.")

    def _fill(self, name: str, value: object) -> None:
        # The dataclass is frozen; the derived defaults and normalised values are set once, here.
        object.__setattr__(self, name, value)

    @property
    def sizes(self) -> tuple[int, ...]:
        """The MLP's layer sizes, input to output: (784, *hidden, 10)."""
        return (784, *self.hidden, 10) if self.hidden is not None else ()


@dataclass
class RunReport:
    """What a run produced.

    Attributes:
        test_accuracy: fraction of the 10 000 test images classified correctly after training.
        test_loss: mean cross-entropy on the test set.
        seconds: wall time of the training loop alone (no data loading, no final evaluation; with
            ``target_accuracy`` it includes the evaluations after each epoch).
        samples_per_second: training samples processed per second, samples × epochs / seconds.
        device: where the model trained, e.g. ``"cpu"`` or ``"cuda"``.
        train_losses: the mean training loss of each epoch.
        epochs_run: epochs actually trained (fewer than ``config.epochs`` when the target was hit).
        train_samples: training images per epoch.
        config: the run's :class:`RunConfig`, defaults filled in.
    """

    test_accuracy: float
    test_loss: float
    seconds: float
    samples_per_second: float
    device: str
    train_losses: list[float]
    epochs_run: int
    train_samples: int
    config: RunConfig = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values only (floats, ints, strings, lists), ready for ``json.dumps``."""
        out = dataclasses.asdict(self)
        out["config"]["hidden"] = list(self.config.hidden) if self.config.hidden is not None else None
        return out


class _StopAtAccuracy:
    """A fit callback: stop once the epoch's ``val_acc`` (here, the test accuracy) reaches a target."""

    def __init__(self, target: float) -> None:
        self.target = target

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Any) -> bool:
        return logs["val_acc"] >= self.target


def _load(limit: int | None) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    from course_lib.data import load_mnist

    X, y = load_mnist("train", normalize="standard")
    if limit is not None:
        X, y = X[:limit], y[:limit]
    return (X, y), load_mnist("test", normalize="standard")


def _train_numpy(config: RunConfig, train, test, rng: np.random.Generator, progress: bool, callbacks: Sequence[object]):
    from course_lib import numpy_nn

    model = numpy_nn.MLP(config.sizes, init="kaiming_normal", rng=rng).astype(np.float32)
    loss_fn = numpy_nn.CrossEntropyLoss()
    if config.optimizer == "sgd":
        optimizer = numpy_nn.SGD(model.parameters(), lr=config.lr, momentum=MOMENTUM)
    else:
        optimizer = numpy_nn.Adam(model.parameters(), lr=config.lr)
    val = test if config.target_accuracy is not None else None
    start = time.perf_counter()
    history = numpy_nn.fit(
        model, loss_fn, optimizer, train, val=val, epochs=config.epochs, batch_size=config.batch_size,
        rng=rng, callbacks=callbacks, progress=progress,
    )
    seconds = time.perf_counter() - start
    return history, seconds, numpy_nn.evaluate(model, loss_fn, test), "cpu"


def _train_torch(config: RunConfig, train, test, rng: np.random.Generator, progress: bool, callbacks: Sequence[object], device):
    import torch

    from course_lib import torch_nn

    model = torch_nn.MLP(config.sizes) if config.model == "mlp" else torch_nn.CNN()
    loss_fn = torch.nn.CrossEntropyLoss()
    if config.optimizer == "sgd":
        optimizer = torch_nn.SGD(model.parameters(), lr=config.lr, momentum=MOMENTUM)
    else:
        optimizer = torch_nn.Adam(model.parameters(), lr=config.lr)
    val = test if config.target_accuracy is not None else None
    start = time.perf_counter()
    history = torch_nn.fit(
        model, loss_fn, optimizer, train, val=val, epochs=config.epochs, batch_size=config.batch_size,
        rng=rng, callbacks=callbacks, progress=progress, device=device, amp=config.amp,
    )
    if device.type == "cuda":
        torch.cuda.synchronize(device)  # GPU work is queued; the clock stops when it is done
    seconds = time.perf_counter() - start
    return history, seconds, torch_nn.evaluate(model, loss_fn, test, device=device, amp=config.amp), str(device)


def train_run(config: RunConfig, *, progress: bool = True) -> RunReport:
    """Train and test one model on MNIST as ``config`` says; return what happened.

    Steps: check the device (before any work), load MNIST standardised ((x/255 − 0.1307)/0.3081),
    seed everything, build the model (NumPy: ``MLP(sizes, init="kaiming_normal")`` in float32;
    torch: ``MLP(sizes)`` or ``CNN()`` with torch's default init), train with the implementation's
    ``fit``, evaluate on the 10 000 test images.

    Args:
        config: the run.
        progress: show fit's progress bar (tqdm, on stderr in a terminal).

    Returns:
        A :class:`RunReport`.

    Raises:
        RuntimeError: the requested device is not available here (from ``get_device``).
        course_lib.numpy_nn.TrainingDivergedError: the loss became NaN or inf; lower the lr.
    """
    if not isinstance(config, RunConfig):
        raise TypeError(f"train_run expects a RunConfig, got {type(config).__name__}; build one with RunConfig(impl=..., ...).")
    from course_lib.device import get_device, seed_everything

    device = get_device(config.device) if config.impl == "torch" else None
    if device is not None and config.amp and device.type != "cuda":
        raise ValueError(f"RunConfig: amp (bfloat16 autocast) is meant for CUDA; this run trains on {device}. Leave amp off.")
    train, test = _load(config.limit)
    rng = seed_everything(config.seed)
    callbacks = [_StopAtAccuracy(config.target_accuracy)] if config.target_accuracy is not None else []
    if config.impl == "numpy":
        history, seconds, result, where = _train_numpy(config, train, test, rng, progress, callbacks)
    else:
        history, seconds, result, where = _train_torch(config, train, test, rng, progress, callbacks, device)
    epochs_run = len(history)
    n = len(train[0])
    return RunReport(
        test_accuracy=float(result["acc"]),
        test_loss=float(result["loss"]),
        seconds=seconds,
        samples_per_second=n * epochs_run / seconds,
        device=where,
        train_losses=[float(v) for v in history["train_loss"]],
        epochs_run=epochs_run,
        train_samples=n,
        config=config,
    )
