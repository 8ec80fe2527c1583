"""Lesson 10's clinic: one small training run, a function of a settings dict, watched by the HealthMonitor.

Every run of the clinic is the same recipe: an MLP 784-64-10 with ReLU, trained with SGD and momentum
on 2 000 MNIST training images for four epochs, validated on 500 other training images and tested on
1 000 test images. :data:`DEFAULTS` holds the healthy value of each setting; a broken case of the
clinic (``clinic_cases.CASES``) is the recipe with one real mistake in its settings, and a fix is a
dict of the settings to change back. :func:`run_settings` trains one run under a
:class:`~course_lib.lessons.l10_when_training_goes_wrong.health.HealthMonitor` and returns a
:class:`ClinicRun`: the monitor (the loss, and per layer and step the dead fraction, the gradient,
the update/weight ratio, ...), the accuracies after each epoch and the largest logit of each step.

Both twins run the recipe: ``numpy_nn`` (the default) and ``torch_nn`` (``"twin": "torch"``), the
one in which float16 and bfloat16 are natural. A run stops three steps after its loss first turns
NaN or inf: what follows is NaN too. Runs are seeded and cached by their settings, so a check that
re-runs a fix the notebook already ran costs nothing.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from course_lib.data import MNIST_MEAN, MNIST_STD, load_mnist
from course_lib.lessons.l10_when_training_goes_wrong.health import HealthMonitor

__all__ = ["CHOICES", "DEFAULTS", "FIXED", "ClinicRun", "clinic_data", "full_settings", "plot_clinic_run", "run_settings",
           "settings_text"]

#: The healthy recipe: every setting of a clinic run, at the value that trains well.
DEFAULTS: dict[str, Any] = {
    "twin": "numpy", "dtype": "float32", "inputs": "unit", "hidden": 64, "activation": "relu", "softmax_layer": False, "dropout": 0.0,
    "loss": "log-softmax", "reduction": "mean", "lr": 0.1, "momentum": 0.9, "batch_size": 50, "epochs": 4,
    "zero_grad": True, "shuffle": "together", "validation": "held out", "eval_mode": True, "seed": 0,
}

#: The settings that take one of a few words, with their meaning (the others are numbers or True/False).
CHOICES: dict[str, dict[str, str]] = {
    "twin": {"numpy": "course_lib.numpy_nn", "torch": "course_lib.torch_nn (PyTorch)"},
    "dtype": {"float16": "16-bit floats, largest 65 504", "bfloat16": "16-bit floats with float32's range (torch)",
              "float32": "32-bit floats", "float64": "64-bit floats"},
    "inputs": {"unit": "pixels / 255, in [0, 1]", "standard": "(pixels / 255 − 0.1307) / 0.3081",
               "raw": "the stored bytes, 0 to 255"},
    "activation": {"relu": "max(0, x)", "leaky_relu": "max(0.01·x, x)", "tanh": "tanh(x)"},
    "loss": {"log-softmax": "the library's cross-entropy, through log-softmax (lesson 02's log-sum-exp)",
             "exp, then log": "written by hand: −log(e^(z_y) / Σ e^(z))"},
    "reduction": {"mean": "the loss is the batch's mean", "sum": "the loss is the batch's sum"},
    "shuffle": {"together": "one random order for the images and their labels",
                "separately": "one random order for the images, another for the labels"},
    "validation": {"held out": "500 training-file images the network never trains on",
                   "from training set": "500 of the images it trains on"},
}

_NUMBERS = {"hidden": (int, 4, 256), "dropout": (float, 0.0, 0.9), "lr": (float, 1e-6, 100.0),
            "momentum": (float, 0.0, 0.99), "batch_size": (int, 10, 2000), "epochs": (int, 1, 8)}
_FLAGS = ("softmax_layer", "zero_grad", "eval_mode")

#: Settings that describe the case, not its training: a fix may not change them.
FIXED = ("twin", "seed")

_STOP_AFTER = 3  # steps a run goes on after its loss first turns NaN or inf


def full_settings(changes: Mapping[str, Any] | None = None, base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``base`` (default :data:`DEFAULTS`) with ``changes``, every value checked.

    Raises:
        ValueError: a setting that does not exist or a value it cannot take, saying what it can.
    """
    settings = dict(DEFAULTS if base is None else base)
    for key, value in dict(changes or {}).items():
        if key not in DEFAULTS:
            raise ValueError(f"there is no setting {key!r}; the settings are {', '.join(map(repr, DEFAULTS))}.")
        if key in CHOICES and (not isinstance(value, str) or value not in CHOICES[key]):
            raise ValueError(f"{key!r} can be {' or '.join(map(repr, CHOICES[key]))}; got {value!r}.")
        if key in _FLAGS and not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{key!r} is True or False; got {value!r}.")
        if key in _NUMBERS:
            kind, low, high = _NUMBERS[key]
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or (kind is int and int(value) != value) or not low <= value <= high:
                raise ValueError(f"{key!r} is a {'whole ' if kind is int else ''}number from {low:g} to {high:g} "
                                 f"(in this clinic); got {value!r}.")
            value = kind(value)
        if key == "seed" and (isinstance(value, bool) or not isinstance(value, (int, np.integer))):
            raise ValueError(f"'seed' is a whole number; got {value!r}.")
        settings[key] = value
    if settings["dtype"] == "bfloat16" and settings["twin"] != "torch":
        raise ValueError("'bfloat16' is a torch dtype: NumPy has no bfloat16 (use it with the torch twin).")
    return settings


def settings_text(settings: Mapping[str, Any] | None = None) -> str:
    """The settings, one per line with the words each choice can take (default: the healthy recipe)."""
    settings = full_settings(settings)
    lines = []
    for key, value in settings.items():
        other = f"   (or: {', '.join(repr(v) for v in CHOICES[key] if v != value)})" if key in CHOICES else ""
        lines.append(f"{key:>14}: {value!r}{other}")
    return "\n".join(lines)


@functools.cache
def clinic_data() -> dict[str, tuple[NDArray, NDArray]]:
    """The clinic's images as stored (0 to 255, float32) and labels: train (the training file's first 2 000),
    val (500 from the training file's last 10 000, never trained on) and test (the test file's first 1 000)."""
    X, y = load_mnist("train", normalize=None, dtype=np.uint8)
    X_test, y_test = load_mnist("test", normalize=None, dtype=np.uint8)
    pixels = functools.partial(np.asarray, dtype=np.float32)
    return {"train": (pixels(X[:2000]), y[:2000]), "val": (pixels(X[50000:50500]), y[50000:50500]),
            "test": (pixels(X_test[:1000]), y_test[:1000])}


def _inputs(X: NDArray, how: str) -> NDArray:
    if how == "raw":
        return X.copy()
    return X / 255.0 if how == "unit" else (X / 255.0 - MNIST_MEAN) / MNIST_STD


@dataclass
class ClinicRun:
    """One run of the clinic: its settings, its HealthMonitor and what it measured.

    Attributes:
        settings: every setting of the run.
        monitor: the HealthMonitor that watched the training steps (``monitor.losses``,
            ``monitor.history[layer][metric]``, ``monitor.first_nonfinite``, ``monitor.table()``).
        accuracy: ``{"train": [...], "validation": [...], "validation, again": [...], "test": [...]}``,
            one value per epoch; "validation, again" evaluates the same weights on the same images a
            second time.
        changed: after each epoch, the fraction of validation images whose predicted digit changed between
            the two evaluations (0 in evaluation mode: the same weights give the same answers).
        max_logit: the largest |logit| of each training step.
        seconds: how long the run took.
    """

    settings: dict[str, Any]
    monitor: HealthMonitor
    accuracy: dict[str, list[float]] = field(default_factory=dict)
    changed: list[float] = field(default_factory=list)
    max_logit: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def losses(self) -> NDArray:
        return np.asarray(self.monitor.losses)

    @property
    def steps(self) -> int:
        return self.monitor.steps

    def final(self, which: str = "validation") -> float:
        """The accuracy after the last epoch: ``"train"``, ``"validation"``, ``"validation, again"`` or ``"test"``."""
        return self.accuracy[which][-1]

    def layer(self, kind: str) -> str:
        """The name of the first watched layer of type ``kind`` (e.g. ``"ReLU"``, ``"Linear"``)."""
        return next(name for name in self.monitor.names if name.endswith(" " + kind))

    def metric(self, kind: str, metric: str) -> NDArray:
        """One value per step of ``metric`` for the first layer of type ``kind``."""
        return np.asarray(self.monitor.history[self.layer(kind)][metric])


# ---- the two twins: build, one step, predict ------------------------------------------------------------------

def _numpy_model(s: dict[str, Any], seed: int) -> Any:
    from course_lib.numpy_nn.layers import Softmax
    from course_lib.numpy_nn.models import MLP
    from course_lib.numpy_nn.module import Sequential

    mlp = MLP((784, s["hidden"], 10), activation=s["activation"], dropout=s["dropout"], rng=np.random.default_rng(seed))
    model = Sequential(*[layer for _, layer in mlp.named_children()], Softmax(dim=1)) if s["softmax_layer"] else mlp
    return model.astype(s["dtype"])


def _numpy_step(model: Any, X: NDArray, y: NDArray, s: dict[str, Any]) -> tuple[float, float]:
    from course_lib.numpy_nn.losses import cross_entropy_backward, cross_entropy_forward

    logits = model(X.astype(s["dtype"]))
    scale = float(len(y)) if s["reduction"] == "sum" else 1.0  # a sum is the mean times the batch size
    if s["loss"] == "log-softmax":
        loss, cache = cross_entropy_forward(logits, y)
        dlogits = cross_entropy_backward(scale, cache)
    else:
        e = np.exp(logits)
        p = e / e.sum(axis=1, keepdims=True)
        loss = float(-np.mean(np.log(p[np.arange(len(y)), y])))
        dlogits = scale * (p - np.eye(p.shape[1], dtype=p.dtype)[y]) / len(y)
    model.backward(dlogits.astype(logits.dtype))
    return scale * loss, float(np.max(np.abs(logits)))


def _torch_model(s: dict[str, Any], seed: int) -> Any:
    import torch

    from course_lib.torch_nn.models import MLP

    torch.manual_seed(seed)
    model = MLP((784, s["hidden"], 10), activation=s["activation"], dropout=s["dropout"])
    if s["softmax_layer"]:
        model = torch.nn.Sequential(*model, torch.nn.Softmax(dim=1))
    return model.to(getattr(torch, s["dtype"]))


def _torch_step(model: Any, X: NDArray, y: NDArray, s: dict[str, Any]) -> tuple[Any, float]:
    import torch

    logits = model(torch.as_tensor(X).to(getattr(torch, s["dtype"])))
    target = torch.as_tensor(y)
    if s["loss"] == "log-softmax":
        loss = torch.nn.functional.cross_entropy(logits, target, reduction=s["reduction"])
    else:
        e = torch.exp(logits)
        nll = -torch.log(e[torch.arange(len(y)), target] / e.sum(dim=1))
        loss = nll.sum() if s["reduction"] == "sum" else nll.mean()
    loss.backward()
    return loss, float(logits.detach().abs().max())


def _predict(evaluator: Any, model: Any, X: NDArray, s: dict[str, Any]) -> NDArray:
    """The predicted digits of a hook-free copy of ``model`` (so the monitor sees only training steps)."""
    evaluator.load_state_dict(model.state_dict())
    evaluator.train(not s["eval_mode"])
    if s["twin"] == "numpy":
        return np.asarray(evaluator(X.astype(s["dtype"]))).argmax(axis=1)
    import torch

    with torch.no_grad():
        return evaluator(torch.as_tensor(X).to(getattr(torch, s["dtype"]))).float().argmax(dim=1).numpy()


def _optimizer(model: Any, s: dict[str, Any]) -> Any:
    if s["twin"] == "numpy":
        from course_lib.numpy_nn.optimizers import SGD
    else:
        from torch.optim import SGD
    return SGD(model.parameters(), lr=s["lr"], momentum=s["momentum"])


# ---- the run ---------------------------------------------------------------------------------------------

def run_settings(changes: Mapping[str, Any] | None = None, base: Mapping[str, Any] | None = None) -> ClinicRun:
    """Train one clinic run with ``base`` (default :data:`DEFAULTS`) changed by ``changes``; see the module."""
    settings = full_settings(changes, base)
    threads = None
    if settings["twin"] == "torch":  # a 784-64-10 network is too small to share: a second thread only waits
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
    try:
        with np.errstate(all="ignore"):  # an overflow is the symptom: the monitor reports it, NumPy need not warn
            return _run(tuple(settings.items()))
    finally:
        if threads is not None:
            torch.set_num_threads(threads)


@functools.lru_cache(maxsize=32)
def _run(items: tuple[tuple[str, Any], ...]) -> ClinicRun:
    s = dict(items)
    start = time.perf_counter()
    data = clinic_data()
    X, y = _inputs(data["train"][0], s["inputs"]), data["train"][1]
    sets = {"train": (X, y), "validation": (X[:500], y[:500]) if s["validation"] == "from training set"
            else (_inputs(data["val"][0], s["inputs"]), data["val"][1]),
            "test": (_inputs(data["test"][0], s["inputs"]), data["test"][1])}
    build, step = (_numpy_model, _numpy_step) if s["twin"] == "numpy" else (_torch_model, _torch_step)
    model, evaluator = build(s, s["seed"]), build(s, s["seed"] + 1)
    optimizer, monitor = _optimizer(model, s), HealthMonitor(model)
    run = ClinicRun(s, monitor, {"train": [], "validation": [], "validation, again": [], "test": []})
    rng, n, stop = np.random.default_rng(s["seed"]), len(X), None
    for _ in range(s["epochs"]):
        model.train()
        images = rng.permutation(n)
        labels = rng.permutation(n) if s["shuffle"] == "separately" else images
        for first in range(0, n, s["batch_size"]):
            if s["zero_grad"]:
                optimizer.zero_grad()
            loss, biggest = step(model, X[images[first:first + s["batch_size"]]],
                                 y[labels[first:first + s["batch_size"]]], s)
            monitor.step(optimizer, loss)
            run.max_logit.append(biggest)
            if stop is None and not np.isfinite(monitor.losses[-1]):
                stop = monitor.steps + _STOP_AFTER
            if monitor.steps == stop:
                break
        for name in ("train", "test"):
            X_set, y_set = sets[name]
            run.accuracy[name].append(float(np.mean(_predict(evaluator, model, X_set, s) == y_set)))
        # The same weights on the same images once more: in evaluation mode, the very same predictions.
        X_val, y_val = sets["validation"]
        first, again = _predict(evaluator, model, X_val, s), _predict(evaluator, model, X_val, s)
        run.accuracy["validation"].append(float(np.mean(first == y_val)))
        run.accuracy["validation, again"].append(float(np.mean(again == y_val)))
        run.changed.append(float(np.mean(first != again)))
        if monitor.steps == stop:
            break
    monitor.remove()
    run.seconds = time.perf_counter() - start
    return run


# ---- the picture ---------------------------------------------------------------------------------------

_PANELS = {"dead": "dead fraction", "update_ratio": "‖ΔW‖/‖W‖", "std": "std of the output", "grad": "‖∂L/∂y‖",
           "mean": "mean of the output", "saturated": "saturated fraction", "max_logit": "largest |logit|"}


def plot_clinic_run(run: ClinicRun, metric: str = "update_ratio", *, title: str = "", axes: Any = None) -> Any:
    """Three panels: the loss per step (with ln 10 and the first NaN or inf marked), the accuracies
    after each epoch, and ``metric`` per step for each layer it applies to (``"max_logit"``: the largest
    |logit| of each step, with float16's ceiling ln 65 504 ≈ 11.1 marked). Returns the three axes."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if metric not in _PANELS:
        raise ValueError(f"plot_clinic_run: metric must be one of {', '.join(_PANELS)}; got {metric!r}.")
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(13, 3.3), constrained_layout=True)
    ax_loss, ax_acc, ax_metric = axes
    steps = np.arange(run.steps)
    finite = np.where(np.isfinite(run.losses), run.losses, np.nan)
    ax_loss.plot(steps, finite, color="tab:blue", label="training loss")
    ax_loss.axhline(np.log(10), color="grey", ls=":", label="ln 10 (a uniform guess)")
    where = run.monitor.first_nonfinite
    if where is not None:
        ax_loss.axvline(where.step, color="tab:red", ls="--", label=f"first NaN/inf: step {where.step}")
    ax_loss.set(title="Loss per step", xlabel="step t", ylabel="loss", yscale="log")
    ax_loss.legend(fontsize=8)
    epochs = np.arange(1, len(run.accuracy["train"]) + 1)
    for name, style in (("train", "-o"), ("validation", "-s"), ("validation, again", ":x"), ("test", "-^")):
        ax_acc.plot(epochs, 100 * np.asarray(run.accuracy[name]), style, label=name)
    ax_acc.axhline(10, color="grey", ls=":", label="chance (10 %)")
    ax_acc.set(title="Accuracy after each epoch", xlabel="epoch", ylabel="accuracy (%)", ylim=(0, 101))
    ax_acc.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_acc.legend(fontsize=8)
    if metric == "max_logit":
        ax_metric.plot(np.arange(len(run.max_logit)), run.max_logit, color="tab:purple", label="largest |logit|")
        ax_metric.axhline(np.log(65504), color="tab:red", ls="--", label="ln 65 504 ≈ 11.1")
    else:
        for name, values in run.monitor.series(metric).items():
            if np.isfinite(values).any():
                ax_metric.plot(steps, values, label=name)
        if metric in ("update_ratio", "grad", "std"):
            ax_metric.set_yscale("log")
    per = "per step" if metric == "max_logit" else "per layer"
    ax_metric.set(title=f"{_PANELS[metric]} {per}", xlabel="step t", ylabel=_PANELS[metric])
    ax_metric.legend(fontsize=8)
    if title:
        ax_loss.figure.suptitle(title)
    return axes
