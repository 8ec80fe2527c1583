"""Lesson 10, section 4: vanishing and exploding gradients in deep networks, and their remedies.

A plain deep MLP multiplies one factor per layer on the way back (the chain rule, lessons 03 and
04), so the gradient that reaches its first layer shrinks or grows geometrically with depth. Here
the lesson builds deep networks of six kinds (:data:`KINDS`) from ``numpy_nn``'s layers, measures
the gradient norm ‖∂L/∂W_l‖ of every Linear layer after one forward/backward pass on a batch
(:func:`gradient_norms`), tabulates the first layer's norm against depth
(:func:`first_layer_norms`), and races the kinds on an MNIST subset (:func:`train_race`).

Layer norm's forward is written out once here (:func:`layer_norm_forward`); its backward is the
learner's exercise, and ``numpy_nn.normalization.LayerNorm`` is the answer key.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from course_lib.data import iterate_minibatches, load_mnist
from course_lib.numpy_nn.layers import BatchNorm1d, Linear, ReLU
from course_lib.numpy_nn.losses import CrossEntropyLoss
from course_lib.numpy_nn.module import Layer, Sequential
from course_lib.numpy_nn.normalization import LayerNorm
from course_lib.numpy_nn.optimizers import SGD
from course_lib.numpy_nn.regularization import clip_grad_norm_
from course_lib.numpy_nn.residual import Residual

__all__ = ["DEPTHS", "KINDS", "RATIO_OPTIONS", "RaceResult", "build_deep_net", "depth_table", "first_layer_norms",
           "gradient_norms", "image_spread", "layer_norm_forward", "linear_layers", "race_data", "ratio_words",
           "standard_batch", "train_race"]

#: The network kinds, each with what its hidden block is. The kinds differ only in their ``depth − 2`` hidden
#: blocks: the first and the last Linear use He's init in every kind but the default one.
KINDS: dict[str, str] = {
    "plain, default init": "Linear → ReLU, with Linear's default init U(−1/√n, 1/√n): Var(w) = 1/(3n), too small",
    "plain, He init": "Linear → ReLU, with He's init Var(w) = 2/n (lesson 04)",
    "plain, large init": "Linear → ReLU, with Var(w) = 4/n, twice He's: each layer doubles the signal's variance",
    "batch norm": "Linear → BatchNorm1d → ReLU: each feature normalised over the batch (lesson 06)",
    "layer norm": "Linear → LayerNorm → ReLU: each example normalised over its features",
    "residual": "x + Linear(ReLU(LayerNorm(x))): a skip path around every block (pre-norm residual)",
}
#: The depths of the depth figure.
DEPTHS = (2, 5, 10, 20, 30, 50)


def _hidden_linear(kind: str, width: int, rng: np.random.Generator) -> Linear:
    """A width × width Linear with the kind's initial weights (biases zero but for the default init)."""
    if kind == "plain, default init":
        return Linear(width, width, rng=rng)
    layer = Linear(width, width, init="kaiming_normal", rng=rng)
    if kind == "plain, large init":
        layer.weight.data *= np.sqrt(2.0)  # Var(w) = 4/n
    return layer


def build_deep_net(kind: str, depth: int, *, width: int = 64, n_in: int = 784, n_out: int = 10,
                   rng: np.random.Generator) -> Sequential:
    """A network of ``depth`` Linear layers: ``n_in → width``, ``depth − 2`` hidden blocks of ``kind``, ``width → n_out``.

    Args:
        kind: a key of :data:`KINDS`.
        depth: the number of Linear layers, at least 2.
        width: the units of every hidden layer.
        rng: the generator of the initial weights.

    Shape:
        x: (N, n_in) -> logits: (N, n_out).
    """
    if kind not in KINDS:
        raise ValueError(f"build_deep_net: kind must be one of {list(KINDS)}; got {kind!r}.")
    if not isinstance(depth, (int, np.integer)) or depth < 2:
        raise ValueError(f"build_deep_net: depth counts the Linear layers, at least 2; got {depth!r}.")
    init = "default" if kind == "plain, default init" else "kaiming_normal"
    layers: list[Layer] = [Linear(n_in, width, init=init, rng=rng), ReLU()]
    for _ in range(depth - 2):
        linear = _hidden_linear(kind, width, rng)
        if kind == "batch norm":
            layers += [linear, BatchNorm1d(width), ReLU()]
        elif kind == "layer norm":
            layers += [linear, LayerNorm(width), ReLU()]
        elif kind == "residual":
            layers.append(Residual(Sequential(LayerNorm(width), ReLU(), linear)))
        else:
            layers += [linear, ReLU()]
    if kind == "residual":
        layers.append(LayerNorm(width))  # the skip path adds up every block: normalise before the logits
    layers.append(Linear(width, n_out, init=init, rng=rng))
    return Sequential(*layers)


def linear_layers(model: Layer) -> list[Linear]:
    """The Linear layers of ``model``, first to last, however deeply nested (in Residual blocks too)."""
    if isinstance(model, Linear):
        return [model]
    return [found for _, child in model.named_children() for found in linear_layers(child)]


def gradient_norms(model: Layer, X: NDArray, y: NDArray, *, clip: float | None = None) -> NDArray:
    """‖∂L/∂W_l‖ for every Linear layer l (first to last) after one forward/backward pass on (X, y).

    L is the mean cross-entropy. With ``clip``, the gradients are first clipped to a total norm of
    at most ``clip`` (``clip_grad_norm_``, lesson 06), as a training step would use them.

    Shape:
        X: (N, n_in), y: (N,) -> (number of Linear layers,).
    """
    model.train()
    model.zero_grad()
    loss_fn = CrossEntropyLoss()
    loss_fn(model(X), y)
    model.backward(loss_fn.backward(), input_grad=False)  # the images need no gradient
    if clip is not None:
        clip_grad_norm_(model.parameters(), clip)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.array([np.linalg.norm(layer.weight.grad) for layer in linear_layers(model)])


def image_spread(model: Layer, X: NDArray) -> float:
    """How different the images still are where they reach the last Linear layer: ‖H − H̄‖ / ‖H‖.

    H holds one row per image, what the last Linear receives, and H̄ its mean row: 0 when every image
    arrives as the same vector (the last layer cannot tell them apart), near 1 when they share little.
    Runs the model in the mode it is in (a BatchNorm1d in training mode updates its running statistics).

    Shape:
        X: (N, n_in) -> a float.
    """
    return _spread(_last_input(model, X))


def _last_input(model: Layer, X: NDArray) -> NDArray:
    """What the last layer of ``model`` receives for the input ``X``: the other layers run in turn."""
    *body, _last = (child for _, child in model.named_children())
    for layer in body:
        X = layer(X)
    return X


def _spread(H: NDArray) -> float:
    with np.errstate(all="ignore"):
        return float(np.linalg.norm(H - H.mean(axis=0)) / np.linalg.norm(H))


def first_layer_norms(kinds, depths, X: NDArray, y: NDArray, *, width: int = 64,
                      seeds=(0, 1, 2)) -> dict[str, NDArray]:
    """``{kind: ‖∂L/∂W_1‖ at each depth}``, the median over ``seeds`` (one network per seed).

    Shape:
        -> each value: (len(depths),).
    """
    table = {}
    for kind in kinds:
        table[kind] = np.array([np.median([
            gradient_norms(build_deep_net(kind, d, width=width, n_in=X.shape[1], rng=np.random.default_rng(s)),
                           X, y)[0] for s in seeds]) for d in depths])
    return table


def depth_table(table: dict[str, NDArray], depths) -> str:
    """The first-layer gradient norms as a text table: one row per kind, one column per depth."""
    rows = [f"{'depth':<22}" + "".join(f"{d:>10}" for d in depths)]
    rows += [f"{kind:<22}" + "".join(f"{v:>10.2e}" for v in values) for kind, values in table.items()]
    return "\n".join(rows)


#: How a gradient norm at one depth compares with another, in words (the predictions' options).
RATIO_OPTIONS = ("more than a million times smaller", "10 to a million times smaller", "within a factor of 10",
                 "10 to a million times larger", "more than a million times larger")


def ratio_words(ratio: float) -> str:
    """The option of :data:`RATIO_OPTIONS` that describes ``ratio`` (deeper / shallower)."""
    edges = (1e-6, 0.1, 10.0, 1e6)
    return RATIO_OPTIONS[int(np.searchsorted(edges, ratio))]


def standard_batch(n: int = 64) -> tuple[NDArray, NDArray]:
    """The first ``n`` training images of MNIST, standardised (float64), and their labels: the depth figure's batch."""
    X, y = load_mnist("train", normalize="standard")
    return X[:n].astype(np.float64), y[:n]


def race_data(n_train: int = 1920, n_val: int = 1000) -> tuple[tuple[NDArray, NDArray], tuple[NDArray, NDArray]]:
    """The race's ``(train, val)``: standardised MNIST training images from the 257th on (the depth figure
    uses the first 64), ``n_train`` to train on and the next ``n_val`` to validate on (disjoint, float64)."""
    X, y = load_mnist("train", normalize="standard")
    X = X[256:256 + n_train + n_val].astype(np.float64)
    y = y[256:256 + n_train + n_val]
    return (X[:n_train], y[:n_train]), (X[n_train:], y[n_train:])


def layer_norm_forward(x: NDArray, gamma: NDArray, beta: NDArray, eps: float = 1e-5) -> tuple[NDArray, tuple]:
    """y = γ ⊙ x̂ + β, x̂ = (x − μ)/√(σ² + ε), μ and σ² (biased) over each row's D features.

    Returns ``(y, cache)`` with ``cache = (x, gamma, eps)``, what ``layer_norm_backward(dy, cache)``
    takes. ``numpy_nn.normalization.LayerNorm`` computes the same (its docstring has the backward).

    Shape:
        x: (N, D), gamma, beta: (D,) -> y: (N, D).
    """
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    x_hat = (x - mu) / np.sqrt(var + eps)
    return gamma * x_hat + beta, (x, gamma, eps)


@dataclass(frozen=True)
class RaceResult:
    """One kind's runs in the race: ``losses`` (seeds, steps), the training loss at every step;
    ``accuracy`` (seeds,), on the validation images after the last step; ``spread`` (seeds,), the
    :func:`image_spread` of the validation images after the last step (NaN for a run that diverged); and
    ``first_ratio`` (seeds, steps), the first Linear layer's update/weight ratio ‖ΔW₁‖/‖W₁‖ at every step."""

    losses: NDArray
    accuracy: NDArray
    spread: NDArray | None = None
    first_ratio: NDArray | None = None


def train_race(kinds, train: tuple[NDArray, NDArray], val: tuple[NDArray, NDArray], *, depth: int = 30,
               width: int = 64, epochs: int = 2, batch_size: int = 64, lr: float = 0.02, momentum: float = 0.9,
               clip: float = 1.0, seeds=(0, 1, 2)) -> dict[str, RaceResult]:
    """Train each kind of :data:`KINDS` (a name ending in ``" + clipping"`` clips the gradient norm to
    ``clip`` before every step) for ``epochs`` epochs of SGD with momentum, once per seed.

    A run whose loss becomes NaN or inf stops there; its remaining losses are NaN and its accuracy
    is 0 (a network that outputs NaN predicts nothing).
    """
    results = {}
    for name in kinds:
        kind = name.removesuffix(" + clipping")
        losses, accuracies, spreads, ratios = [], [], [], []
        steps = epochs * -(-len(train[0]) // batch_size)
        for seed in seeds:
            rng = np.random.default_rng(seed)
            model = build_deep_net(kind, depth, width=width, n_in=train[0].shape[1], rng=rng)
            optimizer, loss_fn, run = SGD(model.parameters(), lr=lr, momentum=momentum), CrossEntropyLoss(), []
            first, ratio = linear_layers(model)[0].weight, np.full(steps, np.nan)
            batches = (batch for _ in range(epochs) for batch in iterate_minibatches(*train, batch_size, rng=rng))
            with np.errstate(all="ignore"):
                for t, (Xb, yb) in enumerate(batches):
                    optimizer.zero_grad()
                    run.append(float(loss_fn(model(Xb), yb)))
                    if not np.isfinite(run[-1]):
                        break
                    model.backward(loss_fn.backward(), input_grad=False)
                    if name != kind:
                        clip_grad_norm_(model.parameters(), clip)
                    before = first.data.copy()
                    optimizer.step()
                    ratio[t] = np.linalg.norm(first.data - before) / np.linalg.norm(before)
                model.eval()
                H = _last_input(model, val[0])  # one pass over the validation images gives both numbers
                logits = model.layers[-1](H)
                finite = bool(np.isfinite(logits).all())
                spreads.append(_spread(H) if finite else np.nan)
            losses.append(np.concatenate([run, np.full(steps - len(run), np.nan)]))
            accuracies.append(float(np.mean(np.argmax(logits, axis=1) == val[1])) if finite else 0.0)
            ratios.append(ratio)
        results[name] = RaceResult(np.array(losses), np.array(accuracies), np.array(spreads), np.array(ratios))
    return results
