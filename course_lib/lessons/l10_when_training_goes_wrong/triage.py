"""Lesson 10's NaN triage: where the first NaN or inf appears, and the runs that show each cause.

:func:`locate_first_nonfinite` is the answer key of the learner's first-NaN locator: it runs a list
of ``numpy_nn`` layers forward, then backward, and says where the first NaN or inf appeared, as
``(index, direction)``; it agrees with :class:`HealthMonitor`'s ``first_nonfinite`` on one step.
:func:`planted_cases` builds the seeded broken networks the check grades it on.

The triage checklist's demonstrations, each a small run whose key number the lesson prints:
:func:`naive_cross_entropy` (softmax, then log: lesson 02's overflow) beside the stable one;
a learning rate that diverges and the same run clipped (:func:`~.dashboard.monitored_run`);
:func:`adam_zero_eps_step` (ε = 0 and a zero gradient: 0/0); a NaN pixel (``nan_pixel_at``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from course_lib.numpy_nn.layers import Layer, Linear, ReLU, Tanh
from course_lib.numpy_nn.losses import cross_entropy_backward, cross_entropy_forward

__all__ = ["PlantedCase", "adam_zero_eps_step", "locate_first_nonfinite", "naive_cross_entropy",
           "naive_cross_entropy_grad", "planted_cases", "stable_cross_entropy_grad"]

DIRECTIONS = ("input", "forward", "backward")


def _finite(values: Any) -> bool:
    return bool(np.isfinite(values).all())


def locate_first_nonfinite(layers: Sequence[Layer], x: NDArray, dloss: Callable[[NDArray], NDArray]
                           ) -> tuple[int, str] | None:
    """Where the first NaN or inf appears in one forward and backward pass through ``layers``.

    ``(0, "input")``: the data ``x`` itself; ``(i, "forward")``: the output of ``layers[i]``;
    ``(len(layers), "backward")``: the loss's gradient ``dloss(output)``; ``(i, "backward")``: the
    gradient ``layers[i]`` passes back (the backward runs from the last layer to the first, and the
    first NaN or inf it meets is the one reported). None: everything stayed finite.
    """
    if not _finite(x):
        return (0, "input")
    for i, layer in enumerate(layers):
        x = layer(x)
        if not _finite(x):
            return (i, "forward")
    grad = dloss(x)
    if not _finite(grad):
        return (len(layers), "backward")
    for i in range(len(layers) - 1, -1, -1):
        grad = layers[i].backward(grad)
        if not _finite(grad):
            return (i, "backward")
    return None


# ---- the planted cases ---------------------------------------------------------------------------


@dataclass
class PlantedCase:
    """A seeded network with a planted fault: ``layers``, a batch ``x``, the loss gradient ``dloss``."""

    name: str
    layers: list[Layer]
    x: NDArray
    dloss: Callable[[NDArray], NDArray]


class _ScaledCrossEntropyGrad:
    """dL/dlogits of the mean cross-entropy against ``target``, times ``scale`` (a loss scale gone wrong)."""

    def __init__(self, target: NDArray, scale: float = 1.0) -> None:
        self.target, self.scale = target, scale

    def __call__(self, logits: NDArray) -> NDArray:
        _, cache = cross_entropy_forward(logits, self.target)
        return (cross_entropy_backward(1.0, cache) * self.scale).astype(logits.dtype)


def _network(rng: np.random.Generator, sizes: Sequence[int], activation: type[Layer] = ReLU) -> list[Layer]:
    layers: list[Layer] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(n_in, n_out, init="kaiming_normal", rng=rng))
        if i < len(sizes) - 2:
            layers.append(activation())
    for layer in layers:
        for p in layer.parameters():
            p.data = p.data.astype(np.float32)
    return layers


def planted_cases(seed: int = 0) -> list[PlantedCase]:
    """The seeded cases the locator is graded on (float32, 7 layers: Linear, ReLU, ... , Linear):

    - ``"overflow in a middle layer's forward"``: layer 0's weights scaled by 10 and layer 2's made
      positive and scaled by 3e37: layer 2's output overflows to inf (and layer 4's is NaN, inf − inf);
    - ``"inf born in backward"``: the forward is finite, but a loss gradient scaled by 1e37 overflows
      in layer 2's backward (layer 2's weights are scaled by 1e4);
    - ``"inf in the data"`` and ``"NaN in the data"``: one pixel of the batch;
    - ``"naive softmax in the loss"``: huge logits, and a loss gradient that takes softmax the naive way;
    - ``"healthy"``: nothing wrong, the answer is None.
    """
    rng = np.random.default_rng(seed)
    sizes = (20, 32, 32, 32, 10)
    x = rng.normal(size=(16, sizes[0])).astype(np.float32)
    target = rng.integers(0, sizes[-1], size=16)
    cases = []

    layers = _network(rng, sizes)
    layers[0].weight.data *= np.float32(10)
    layers[2].weight.data = np.abs(layers[2].weight.data) * np.float32(3e37)  # each product finite, their sum not
    cases.append(PlantedCase("overflow in a middle layer's forward", layers, x.copy(), _ScaledCrossEntropyGrad(target)))

    layers = _network(rng, sizes)
    layers[2].weight.data *= np.float32(1e4)
    cases.append(PlantedCase("inf born in backward", layers, x.copy(), _ScaledCrossEntropyGrad(target, 1e37)))

    bad = x.copy()
    bad[3, 7] = np.inf
    cases.append(PlantedCase("inf in the data", _network(rng, sizes), bad, _ScaledCrossEntropyGrad(target)))

    layers = _network(rng, sizes, Tanh)
    layers[-1].weight.data *= np.float32(1e3)  # logits in the thousands: exp overflows
    cases.append(PlantedCase("naive softmax in the loss", layers, x.copy(), lambda out: naive_cross_entropy_grad(out, target)))

    cases.append(PlantedCase("healthy", _network(rng, sizes), x.copy(), _ScaledCrossEntropyGrad(target)))

    bad = x.copy()
    bad[0, 0] = np.nan
    cases.append(PlantedCase("NaN in the data", _network(rng, sizes), bad, _ScaledCrossEntropyGrad(target)))
    return cases


# ---- the checklist's demonstrations --------------------------------------------------------------


def naive_cross_entropy(logits: NDArray, y: NDArray) -> float:
    """Mean cross-entropy the naive way: p = exp(z) / Σ exp(z), then −log p[y]. Overflows for large logits."""
    with np.errstate(all="ignore"):
        e = np.exp(logits)
        p = e / e.sum(axis=1, keepdims=True)
        return float(-np.mean(np.log(p[np.arange(len(y)), y])))


def naive_cross_entropy_grad(logits: NDArray, y: NDArray) -> NDArray:
    """dL/dlogits = (p − onehot(y)) / N with p from the naive softmax: inf / inf = NaN for large logits."""
    with np.errstate(all="ignore"):
        e = np.exp(logits)
        p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1.0
    return p / len(y)


def stable_cross_entropy_grad(logits: NDArray, y: NDArray) -> NDArray:
    """The same gradient through log-sum-exp (``numpy_nn.losses``): finite for any finite logits."""
    _, cache = cross_entropy_forward(logits, y)
    return cross_entropy_backward(1.0, cache)


def adam_zero_eps_step(eps: float) -> tuple[NDArray, NDArray]:
    """One Adam step (lr 0.01) on two weights, the second with a zero gradient; returns (before, after).

    With ε = 0 the second weight's step is m̂ / √v̂ = 0 / 0 = NaN; any ε > 0 keeps it 0.
    """
    from course_lib.numpy_nn.module import Parameter
    from course_lib.numpy_nn.optimizers import Adam

    weight = Parameter(np.array([0.5, -0.3]))
    weight.grad = np.array([0.2, 0.0])  # a weight no example uses (a border pixel, a dead unit): gradient 0
    before = weight.data.copy()
    with np.errstate(all="ignore"):
        Adam([weight], lr=0.01, eps=eps).step()
    return before, weight.data.copy()
