"""Lesson 04's computations: activation curves, and how signals and gradients travel through depth.

An activation function bends each layer's output; its derivative decides how much gradient flows
back through it. Stack many layers and these per-layer factors multiply, so the scale of the
weights at initialisation decides whether the signal survives the trip:

    stats = layer_statistics(10, 128, activation="sigmoid", init="normal", rng=rng)
    stats.grad_norm          # one weight-gradient norm per layer: shrinking towards layer 1

Everything here is built on ``course_lib.numpy_nn``: the activation layers and their functional
forward / backward pairs, ``Linear`` and the initialisers with torch.nn.init's formulas.

The variance rule behind every initialiser: for z = Σ_i w_i x_i with n_in independent terms and
zero-mean weights, Var(z) = n_in · Var(w) · E[x²] (E[x²] = Var(x) only when x has mean 0, which a
ReLU's or a sigmoid's output does not). Glorot & Bengio (2010) pick Var(w) = 2 / (n_in + n_out);
He et al. (2015) pick Var(w) = 2 / n_in for ReLU, which zeroes half of the signal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from course_lib.numpy_nn import functional as F
from course_lib.numpy_nn.models import ACTIVATIONS
from course_lib.numpy_nn.module import Layer, Parameter, Sequential
from course_lib.numpy_nn.layers import Linear
from course_lib.numpy_nn.init import normal

__all__ = [
    "ACTIVATION_NAMES",
    "INIT_NAMES",
    "SPREAD_WARNING",
    "LayerStatistics",
    "activation_and_derivative",
    "build_network",
    "compose_linear",
    "dead_unit_fractions",
    "dead_unit_mask",
    "forward_stats",
    "gradient_warning",
    "layer_statistics",
    "signal_warning",
    "softmax_sweep",
]

#: The activations of this lesson, in the order the notebook introduces them.
ACTIVATION_NAMES: tuple[str, ...] = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu")

#: The initialisers :func:`build_network` accepts: ``Linear``'s, with ``"normal"`` taking any std.
INIT_NAMES: tuple[str, ...] = (
    "zeros", "normal", "default", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
)

#: Gradient norms that differ by more than this factor between layers are reported as a problem.
SPREAD_WARNING = 1e4

_PAIRS = {
    "sigmoid": (F.sigmoid_forward, F.sigmoid_backward),
    "tanh": (F.tanh_forward, F.tanh_backward),
    "relu": (F.relu_forward, F.relu_backward),
    "leaky_relu": (F.leaky_relu_forward, F.leaky_relu_backward),
    "elu": (F.elu_forward, F.elu_backward),
    "gelu": (F.gelu_forward, F.gelu_backward),
}


def _check_choice(what: str, value: object, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ValueError(f"Unknown {what} {value!r}; choose one of {list(choices)}.")


def _check_positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1; got {value!r}.")
    return int(value)


# ------------------------------------------------------------------------------------------------
# Activation curves
# ------------------------------------------------------------------------------------------------


def activation_and_derivative(name: str, x: NDArray) -> tuple[NDArray, NDArray]:
    """The activation f(x) and its derivative f'(x), from the functional forward / backward pair.

    The backward rule multiplies an upstream gradient by the local derivative, dx = dy · f'(x),
    so with dy = 1 it returns f'(x) itself. Conventions at the kinks are torch's: ReLU'(0) = 0,
    LeakyReLU'(0) = negative_slope, ELU'(0) = α. Default arguments are torch's (negative_slope
    0.01, α = 1, exact GELU).

    Args:
        name: one of :data:`ACTIVATION_NAMES`.
        x: the points, any shape (integers are converted to float64).

    Returns:
        ``(y, dy_dx)``, both shaped like ``x``.
    """
    _check_choice("activation", name, ACTIVATION_NAMES)
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    forward, backward = _PAIRS[name]
    y, cache = forward(x)
    return y, backward(np.ones_like(x), cache)


def softmax_sweep(
    logits: Sequence[float], index: int, values: NDArray, *, temperature: float = 1.0
) -> NDArray:
    """softmax(z / T) while logit ``index`` of z runs through ``values`` and the others stay put.

    softmax(z / T)_k = e^(z_k / T) / Σ_j e^(z_j / T). A temperature T > 1 flattens the
    probabilities towards uniform; T < 1 sharpens them towards the largest logit (Hinton, Vinyals
    & Dean, "Distilling the knowledge in a neural network", 2015).

    Args:
        logits: the fixed logits z, length C >= 2.
        index: which logit to vary, 0 <= index < C.
        values: the values that logit takes, shape (K,).
        temperature: T > 0.

    Returns:
        The probabilities, shape (K, C); each row sums to 1.
    """
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 1 or len(z) < 2:
        raise ValueError(f"softmax_sweep needs a 1-D vector of at least 2 logits; got shape {z.shape}.")
    if not 0 <= index < len(z):
        raise ValueError(f"index must pick one of the {len(z)} logits, 0 <= index < {len(z)}; got {index}.")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0 (it divides the logits); got {temperature}.")
    values = np.asarray(values, dtype=np.float64).ravel()
    Z = np.tile(z, (len(values), 1))
    Z[:, index] = values
    return F.softmax_forward(Z / temperature, axis=1)[0]


# ------------------------------------------------------------------------------------------------
# Building networks, and why a nonlinearity is needed
# ------------------------------------------------------------------------------------------------


def build_network(
    sizes: Sequence[int],
    *,
    activation: str = "relu",
    init: str = "default",
    std: float = 0.01,
    activate_last: bool = False,
    rng: np.random.Generator,
) -> Sequential:
    """Linear layers with an activation after each, like ``numpy_nn.mlp``, plus two options.

    ``activation="linear"`` puts no activation at all between the layers (the network then
    collapses to one linear map, see :func:`compose_linear`), and ``init="normal"`` takes any
    ``std``. ``activate_last=True`` also puts the activation after the last Linear, which is how
    :func:`layer_statistics` looks at every layer's output.

    Args:
        sizes: ``(in, hidden_1, ..., out)``, at least two positive sizes.
        activation: ``"linear"`` or one of :data:`ACTIVATION_NAMES`.
        init: one of :data:`INIT_NAMES`; biases start at zero except with ``"default"``.
        std: the weights' standard deviation for ``init="normal"``.
        activate_last: whether the last Linear is followed by the activation too.
        rng: the random generator for the weights.

    Returns:
        A :class:`~course_lib.numpy_nn.layers.Sequential`.
    """
    sizes = [_check_positive_int("every size", s) for s in sizes]
    if len(sizes) < 2:
        raise ValueError(f"build_network needs at least two sizes (in, ..., out); got {sizes}.")
    _check_choice("activation", activation, ("linear", *ACTIVATION_NAMES))
    _check_choice("init", init, INIT_NAMES)
    if not std >= 0:
        raise ValueError(f"std must be >= 0; got {std}.")
    layers: list[Layer] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if init == "normal":
            linear = Linear(n_in, n_out, init="zeros", rng=rng)
            linear.weight = Parameter(normal((n_out, n_in), std=std, rng=rng))
        else:
            linear = Linear(n_in, n_out, init=init, rng=rng)
        layers.append(linear)
        last = i == len(sizes) - 2
        if activation != "linear" and (activate_last or not last):
            layers.append(ACTIVATIONS[activation]())
    return Sequential(*layers)


def compose_linear(model: Sequential) -> tuple[NDArray, NDArray]:
    """Collapse a stack of Linear layers into the single linear map it computes.

    W₂(W₁x + b₁) + b₂ = (W₂W₁)x + (W₂b₁ + b₂): however many linear layers are stacked, the result
    is one weight matrix and one bias. Only a nonlinearity between them prevents the collapse.

    Args:
        model: a Sequential holding only Linear layers.

    Returns:
        ``(W, b)`` with model(x) == x Wᵀ + b.  Shape: W (out, in), b (out,).
    """
    layers = list(model.layers) if isinstance(model, Sequential) else [model]
    others = [type(layer).__name__ for layer in layers if not isinstance(layer, Linear)]
    if others:
        raise ValueError(
            f"compose_linear collapses only Linear layers; this model also holds {others}. A "
            f"nonlinearity between the layers is exactly what stops them collapsing into one."
        )
    W = np.eye(layers[0].in_features)
    b = np.zeros(layers[0].in_features)
    for layer in layers:
        W = layer.weight.data @ W
        b = layer.weight.data @ b + (layer.bias.data if layer.bias is not None else 0.0)
    return W, b


# ------------------------------------------------------------------------------------------------
# Dead units
# ------------------------------------------------------------------------------------------------


def dead_unit_mask(h: NDArray) -> NDArray:
    """Which units are dead: their output is exactly 0 for every sample of the batch.

    A ReLU unit whose input is negative for every sample outputs 0 and passes back a gradient of
    0, so its incoming weights and bias never change again. It stays dead unless the layers below
    change its inputs (in the first hidden layer, whose input is the data, it stays dead for good).

    Args:
        h: the outputs of one layer's activation, shape (N, units).

    Returns:
        A boolean array of shape (units,).
    """
    h = np.asarray(h)
    if h.ndim != 2 or h.shape[0] == 0:
        raise ValueError(f"dead_unit_mask expects activations shaped (N, units) with N >= 1; got {h.shape}.")
    return np.all(h == 0, axis=0)


def dead_unit_fractions(model: Sequential, X: NDArray) -> NDArray:
    """The fraction of dead units after each activation layer of ``model``, on the batch ``X``.

    Args:
        model: a Sequential (e.g. from ``mlp`` or :func:`build_network`).
        X: the inputs, shape (N, in).

    Returns:
        One fraction in [0, 1] per activation layer, in order, shape (n_activations,).
    """
    activation_types = tuple(ACTIVATIONS.values())
    fractions = []
    h = np.asarray(X)
    was_training = model.training
    model.eval()
    try:
        for layer in model.layers:
            h = layer(h)
            if isinstance(layer, activation_types):
                fractions.append(dead_unit_mask(h).mean())
    finally:
        model.train(was_training)
    return np.asarray(fractions, dtype=np.float64)


# ------------------------------------------------------------------------------------------------
# Signals and gradients through depth
# ------------------------------------------------------------------------------------------------


def forward_stats(x: NDArray, weights: Sequence[NDArray], activation: str) -> tuple[NDArray, NDArray]:
    """The mean and std of every layer's activations h_l = f(h_{l−1} W_lᵀ), with h_0 = x and no biases.

    The answer key of the lesson's first exercise: the per-layer statistics loop, written out.
    Each statistic is over the whole (N, units) array of one layer, every sample and unit together.

    Args:
        x: the input batch, shape (N, n_in).
        weights: W_1, ..., W_L, each shaped (n_out, n_in) as in ``Linear``.
        activation: ``"linear"`` or one of :data:`ACTIVATION_NAMES`.

    Returns:
        ``(means, stds)``, each of shape (L,); entry l − 1 is layer l's.
    """
    _check_choice("activation", activation, ("linear", *ACTIVATION_NAMES))
    means, stds = [], []
    h = np.asarray(x, dtype=np.float64)
    for W in weights:
        z = h @ np.asarray(W, dtype=np.float64).T
        h = z if activation == "linear" else _PAIRS[activation][0](z)[0]
        means.append(h.mean())
        stds.append(h.std())
    return np.array(means), np.array(stds)


@dataclass(frozen=True)
class LayerStatistics:
    """What one forward and one backward pass through a deep network looked like, layer by layer.

    Layer l (1 ≤ l ≤ depth) computes z_l = h_{l−1} W_lᵀ + b_l and h_l = f(z_l), with h_0 the input.
    Every array has one entry per layer, the first for layer 1 (next to the input).

    Attributes:
        activation, init, width: how the network was built (``std`` for ``init="normal"``).
        pre_std: std of z_l over the batch and the units.
        act_mean, act_std: mean and std of h_l.
        dead_fraction: the fraction of layer l's units that output 0 for every sample.
        dh_std: std of dL/dh_l, the gradient arriving at layer l's output.
        grad_norm: ‖dL/dW_l‖, the Frobenius norm of the weight gradient of layer l.
    """

    activation: str
    init: str
    width: int
    std: float
    pre_std: NDArray
    act_mean: NDArray
    act_std: NDArray
    dead_fraction: NDArray
    dh_std: NDArray
    grad_norm: NDArray

    @property
    def depth(self) -> int:
        return len(self.grad_norm)

    @property
    def layers(self) -> NDArray:
        """The layer numbers 1, 2, ..., depth, for the x-axis of a plot."""
        return np.arange(1, self.depth + 1)

    @property
    def label(self) -> str:
        init = f"normal σ={self.std:g}" if self.init == "normal" else self.init
        return f"{self.activation}, {init}"


def layer_statistics(
    depth: int,
    width: int,
    *,
    activation: str,
    init: str,
    std: float = 0.01,
    n_samples: int = 256,
    x: NDArray | None = None,
    rng: np.random.Generator,
) -> LayerStatistics:
    """Forward a batch through ``depth`` layers of (Linear, activation), backward a gradient, and measure.

    The network is ``build_network([n_in] + [width] * depth, activate_last=True)``. The inputs are
    ``n_samples`` standard-normal vectors of length ``width`` (or the given ``x``, e.g. MNIST
    pixels). The gradient sent back from the top is that of the loss L = (1/N) Σ_n g_n · h_depth,n
    with g_n a random standard-normal vector per sample: a stand-in for a real loss's gradient,
    with no preferred direction, averaged over the batch as a mean loss is.

    Float64 throughout, so that vanishing gradients show as tiny numbers for as long as possible;
    an overflow becomes inf or NaN in the record (see :func:`signal_warning` and
    :func:`gradient_warning`), never an error.

    Args:
        depth: the number of layers, at least 1.
        width: the units per layer.
        activation: ``"linear"`` or one of :data:`ACTIVATION_NAMES`.
        init: one of :data:`INIT_NAMES`.
        std: the weights' std for ``init="normal"``.
        n_samples: the batch size N when ``x`` is not given.
        x: an optional input batch, shape (N, n_in).
        rng: draws the weights, the inputs and the output gradient.

    Returns:
        A :class:`LayerStatistics`.
    """
    depth, width = _check_positive_int("depth", depth), _check_positive_int("width", width)
    if x is None:
        x = rng.standard_normal((_check_positive_int("n_samples", n_samples), width))
    else:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or len(x) == 0:
            raise ValueError(f"x must be a batch shaped (N, n_in) with N >= 1; got {x.shape}.")
    model = build_network([x.shape[1]] + [width] * depth, activation=activation, init=init, std=std,
                          activate_last=True, rng=rng)
    linears = [layer for layer in model.layers if isinstance(layer, Linear)]
    pre, post = [], []
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        h = x
        for layer in model.layers:
            h = layer(h)
            (pre if isinstance(layer, Linear) else post).append(h)
        if activation == "linear":
            post = pre
        dy = rng.standard_normal(h.shape) / len(x)
        dh = [dy]
        for layer in reversed(model.layers):
            dy = layer.backward(dy)
            if isinstance(layer, Linear):
                dh.append(dy)
        dh = dh[::-1][1:]  # dL/dh_l for l = 1..depth (dh[0] was dL/dx, the input's)
        return LayerStatistics(
            activation=activation, init=init, width=width, std=float(std),
            pre_std=np.array([z.std() for z in pre]),
            act_mean=np.array([a.mean() for a in post]),
            act_std=np.array([a.std() for a in post]),
            dead_fraction=np.array([dead_unit_mask(a).mean() for a in post]),
            dh_std=np.array([d.std() for d in dh]),
            grad_norm=np.array([np.linalg.norm(layer.weight.grad) for layer in linears]),
        )


def signal_warning(stats: LayerStatistics, *, spread: float = SPREAD_WARNING) -> str | None:
    """What went wrong with the forward signal in ``stats``, or None when it survives the depth.

    In order: an overflow (inf or NaN), activations that no longer depend on the input (std 0 in
    every layer, e.g. with zero weights), and an activation std that changed by more than a factor
    ``spread`` from layer 1 to the last layer (it died out, or it blew up).
    """
    L = stats.depth
    ok = np.isfinite(stats.pre_std) & np.isfinite(stats.act_std)
    if not ok.all():
        return f"overflow: the activations reached inf or NaN\nat layer {int(np.argmin(ok)) + 1} of {L}"
    if not stats.act_std.any():
        return "no signal: every unit gives the same output\nfor every input (std 0 in every layer)"
    first, last = stats.act_std[0], stats.act_std[-1]
    if first > 0 and (last < first / spread or last > first * spread):
        change = "died out" if last < first else "blew up"
        return f"the activations {change}:\nstd {first:.1e} at layer 1, {last:.1e} at layer {L}"
    return None


def gradient_warning(stats: LayerStatistics, *, spread: float = SPREAD_WARNING) -> str | None:
    """What went wrong with the weight gradients in ``stats``, or None when every layer gets one.

    In order: an overflow (inf or NaN); gradients that are exactly 0 (zero weights, units that
    output 0 for every input, or an underflow below about 1e-308); and a first layer whose
    gradient is more than a factor ``spread`` smaller (vanishing) or larger (exploding) than the
    last layer's.
    """
    L, g = stats.depth, stats.grad_norm
    if not np.isfinite(g).all():
        return f"overflow: the gradients reached inf or NaN\nin {int((~np.isfinite(g)).sum())} of {L} layers"
    zero = g == 0
    if zero.any():
        return f"gradients are exactly 0 in {int(zero.sum())} of {L} layers:\nthose weights cannot learn"
    if g[-1] > spread * g[0]:
        return f"vanishing gradients: layer 1's gradient is\n{g[-1] / g[0]:.0e} times smaller than layer {L}'s"
    if g[0] > spread * g[-1]:
        return f"exploding gradients: layer 1's gradient is\n{g[0] / g[-1]:.0e} times larger than layer {L}'s"
    return None
