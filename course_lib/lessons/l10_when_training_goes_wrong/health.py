"""Lesson 10's health monitor: what every layer of a network sends forward and back, step by step.

A :class:`HealthMonitor` puts a forward hook and a full backward hook on every leaf layer of a
model, ``numpy_nn`` and ``torch_nn`` alike (the two twins have the same hook API), and keeps, for
each training step and each layer:

- ``mean``, ``std``: of the layer's output over the batch;
- ``dead``: for a ReLU, the fraction of its units that output 0 for every example of the batch;
- ``saturated``: for a sigmoid or tanh, the fraction of outputs within 0.01 of a bound, where the
  derivative is almost 0;
- ``grad``: the norm ‖∂L/∂y‖ of the gradient arriving at the layer's output y;
- ``update_ratio``: for a layer with a weight W, ‖ΔW‖ / ‖W‖, how far one step moved it (about 1e-3
  is healthy; 1e-1 is a learning rate that throws the weights around, 1e-6 one that barely moves
  them).

It also remembers where the first NaN or inf appeared: the step, the layer and the direction
(``"input"``: the data came in broken; ``"forward"``: the layer's output; ``"backward"``: the
gradient it passed back, or the loss's gradient; ``"update"``: the weights after the optimizer's
step). The training loop calls ``monitor.step(optimizer, loss)`` in place of ``optimizer.step()``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["FirstNonFinite", "HealthMonitor", "leaf_layers"]

METRICS = ("mean", "std", "dead", "saturated", "grad", "update_ratio")
_SATURATING = {"Sigmoid": (0.0, 1.0), "Tanh": (-1.0, 1.0)}


@dataclass(frozen=True)
class FirstNonFinite:
    """Where a NaN or inf first appeared: ``step`` (from 0), ``layer`` (its name, or ``"loss"``) and
    ``direction`` (``"input"``, ``"forward"``, ``"backward"`` or ``"update"``)."""

    step: int
    layer: str
    direction: str

    def __str__(self) -> str:
        where = {"input": "in the data given to", "forward": "in the output of",
                 "backward": "in the gradient passed back by", "update": "in the weights after the update of"}
        return f"step {self.step}: first NaN or inf {where[self.direction]} {self.layer}"


def _numpy(value: Any) -> NDArray:
    """An array of floats from a NumPy array, a ``numpy_nn.Parameter`` or a torch tensor."""
    if hasattr(value, "detach"):  # a torch tensor (float16 and bfloat16 included)
        return value.detach().to("cpu").double().numpy()
    return np.asarray(getattr(value, "data", value), dtype=np.float64)


def leaf_layers(model: Any) -> list[tuple[str, Any]]:
    """Every layer of ``model`` without sub-layers, as ``(dotted name, layer)``, in order."""
    if hasattr(model, "named_modules"):  # torch
        return [(name, m) for name, m in model.named_modules() if not any(True for _ in m.children())]
    children = list(model.named_children())
    if not children:
        return [("", model)]
    return [(f"{name}.{sub}" if sub else name, leaf)
            for name, child in children for sub, leaf in leaf_layers(child)]


def _finite(value: Any) -> bool:
    return value is None or bool(np.isfinite(_numpy(value)).all())


class HealthMonitor:
    """Watches every leaf layer of ``model`` (either twin) through hooks; see the module's docstring.

    Args:
        model: a ``numpy_nn`` or ``torch_nn`` model.
        sample: how many of the last step's outputs and gradients each layer keeps, for histograms.

    Attributes:
        names: each watched layer's label, e.g. ``"2 ReLU"``, in the model's order.
        losses: the loss at each step.
        history: ``history[name][metric]`` is a list with one value per step (NaN where it does not
            apply: ``dead`` for a layer that is not a ReLU, ``update_ratio`` without a weight).
        values, grads: ``values[name]``, ``grads[name]``: a sample of the last step's outputs and of
            the gradients that arrived at them.
        first_nonfinite: a :class:`FirstNonFinite`, or None while everything is finite.
    """

    def __init__(self, model: Any, *, sample: int = 2000) -> None:
        self.sample = sample
        self.layers = {f"{name} {type(layer).__name__}".strip(): layer for name, layer in leaf_layers(model)}
        self.names = list(self.layers)
        self.losses: list[float] = []
        self.history: dict[str, dict[str, list[float]]] = {n: {m: [] for m in METRICS} for n in self.names}
        self.values: dict[str, NDArray] = {}
        self.grads: dict[str, NDArray] = {}
        self.first_nonfinite: FirstNonFinite | None = None
        self._pending: dict[str, dict[str, float]] = {n: {} for n in self.names}
        self._handles = []
        if hasattr(model, "named_modules"):
            # torch tells, at every backward, that the first layer's hook sees no input gradient (the
            # data needs none); that is expected here, and the monitor records grad_output anyway.
            warnings.filterwarnings("ignore", message="Full backward hook is firing when gradients are computed")
        for name, layer in self.layers.items():
            self._handles.append(layer.register_forward_hook(self._forward_hook(name)))
            self._handles.append(layer.register_full_backward_hook(self._backward_hook(name)))

    @property
    def steps(self) -> int:
        """How many steps have been recorded."""
        return len(self.losses)

    # -- the hooks -------------------------------------------------------------------------------

    def _note(self, layer: str, direction: str) -> None:
        if self.first_nonfinite is None:
            self.first_nonfinite = FirstNonFinite(self.steps, layer, direction)

    def _keep(self, values: NDArray) -> NDArray:
        flat = values.ravel()
        return flat[:: max(1, flat.size // self.sample)][: self.sample].copy()

    def _forward_hook(self, name: str):
        def hook(layer: Any, inputs: tuple, output: Any) -> None:
            if name == self.names[0] and not _finite(inputs[0]):
                self._note(name, "input")
            y = _numpy(output)
            if not np.isfinite(y).all():
                self._note(name, "forward")
            units = y.reshape(len(y), -1) if y.ndim > 1 else y.reshape(1, -1)
            kind = type(layer).__name__
            stats = {"mean": float(np.mean(y)), "std": float(np.std(y)), "dead": np.nan, "saturated": np.nan}
            if kind == "ReLU":
                stats["dead"] = float(np.mean(np.all(units == 0, axis=0)))
            elif kind in _SATURATING:
                low, high = _SATURATING[kind]
                stats["saturated"] = float(np.mean((y < low + 0.01) | (y > high - 0.01)))
            self._pending[name].update(stats)
            self.values[name] = self._keep(y)
        return hook

    def _backward_hook(self, name: str):
        def hook(layer: Any, grad_input: tuple, grad_output: tuple) -> None:
            dy = grad_output[0]
            if dy is not None:
                if not _finite(dy):
                    self._note("loss" if name == self.names[-1] else name, "backward")
                dy = _numpy(dy)
                self._pending[name]["grad"] = float(np.linalg.norm(dy))
                self.grads[name] = self._keep(dy)
            if not _finite(grad_input[0]):
                self._note(name, "backward")
        return hook

    # -- the step --------------------------------------------------------------------------------

    def step(self, optimizer: Any, loss: Any) -> None:
        """Take the optimizer's step (``optimizer.step()``; None: no step) and record this step.

        Call it after the backward pass, in place of ``optimizer.step()``.
        """
        weights = {n: _numpy(layer.weight).copy() for n, layer in self.layers.items()
                   if getattr(layer, "weight", None) is not None}
        if optimizer is not None:
            optimizer.step()
        loss = float(_numpy(loss))
        if not np.isfinite(loss):
            self._note("loss", "forward")
        for name in self.names:
            record = self._pending[name]
            record["update_ratio"] = np.nan
            if name in weights:
                after = _numpy(self.layers[name].weight)
                if not np.isfinite(after).all():
                    self._note(name, "update")
                before = weights[name]
                record["update_ratio"] = float(np.linalg.norm(after - before) / max(np.linalg.norm(before), 1e-300))
            for metric in METRICS:
                self.history[name][metric].append(record.get(metric, np.nan))
            self._pending[name] = {}
        self.losses.append(loss)

    def series(self, metric: str) -> dict[str, NDArray]:
        """``{layer: one value per step}`` for ``metric`` (one of ``mean std dead saturated grad update_ratio``)."""
        if metric not in METRICS:
            raise ValueError(f"HealthMonitor.series: metric must be one of {', '.join(METRICS)}; got {metric!r}.")
        return {name: np.array(self.history[name][metric]) for name in self.names}

    def table(self, step: int = -1) -> str:
        """The per-layer numbers of one step (the last by default), as a small text table."""
        if not self.losses:
            return "No step recorded yet: call monitor.step(optimizer, loss) after each backward pass."
        header = f"{'layer':<14}{'mean':>10}{'std':>10}{'dead':>7}{'satur.':>7}{'‖∂L/∂y‖':>10}{'‖ΔW‖/‖W‖':>10}"
        rows = [f"step {range(self.steps)[step]}, loss {self.losses[step]:.4g}", header]
        for name in self.names:
            h = {m: self.history[name][m][step] for m in METRICS}
            cells = [f"{h['mean']:>10.3g}", f"{h['std']:>10.3g}", _fraction(h["dead"]), _fraction(h["saturated"]),
                     f"{h['grad']:>10.3g}", "" if np.isnan(h["update_ratio"]) else f"{h['update_ratio']:>10.2e}"]
            rows.append(f"{name:<14}" + "".join(cells))
        if self.first_nonfinite is not None:
            rows.append(str(self.first_nonfinite))
        return "\n".join(rows)

    def remove(self) -> None:
        """Remove every hook: the model runs as if never watched."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self) -> "HealthMonitor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def _fraction(value: float) -> str:
    return f"{'':>7}" if np.isnan(value) else f"{value:>7.0%}"
