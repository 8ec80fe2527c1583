"""Initialisers: pure functions of a shape and a generator, with ``torch.nn.init``'s formulas.

Each returns a new float64 array. ``Linear(..., init="kaiming_normal")`` calls them by name; a
lesson can call them directly to compare the spread each one keeps through a deep network.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from course_lib.validation import generator, whole

__all__ = [
    "INITS", "calculate_gain", "init_std", "initial_weight", "kaiming_normal", "kaiming_uniform", "normal", "xavier_normal", "xavier_uniform", "zeros",
]

_GAINS = {"linear": 1.0, "identity": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0)}


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shaped (out, in, *kernel), as torch.nn.init computes them."""
    shape = tuple(int(d) for d in shape)
    if len(shape) < 2:
        raise ValueError(
            f"fan_in and fan_out need a weight of at least 2 dimensions (out, in, ...); got shape "
            f"{shape}. Biases are initialised with zeros() or the layer's default instead."
        )
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain torch.nn.init.calculate_gain recommends for a nonlinearity.

    linear/identity/sigmoid: 1, tanh: 5/3, relu: √2, leaky_relu: √(2 / (1 + slope²)).

    Args:
        nonlinearity: ``"linear"``, ``"identity"``, ``"sigmoid"``, ``"tanh"``, ``"relu"`` or
            ``"leaky_relu"``.
        param: the negative slope of leaky_relu (default 0.01, as in torch).

    Returns:
        The gain, a float.
    """
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity not in _GAINS:
        raise ValueError(
            f"Unknown nonlinearity {nonlinearity!r}; choose one of {sorted([*_GAINS, 'leaky_relu'])}."
        )
    return _GAINS[nonlinearity]


def zeros(shape: int | tuple[int, ...]) -> NDArray:
    """All zeros: W = 0.  Shape: ``shape``.

    Fine for biases. For weights it makes every unit in a layer compute the same thing and receive
    the same gradient, so they stay identical for ever (the symmetry that random init breaks).
    """
    return np.zeros(shape, dtype=np.float64)


def normal(shape: int | tuple[int, ...], *, std: float = 0.01, rng: np.random.Generator) -> NDArray:
    """W ~ N(0, std²).  Shape: ``shape``.

    A fixed small std preserves nothing: activations shrink (or grow) by a factor of about
    std·√fan_in per layer, which is why deep nets initialised this way stall.

    Args:
        shape: the array's shape.
        std: standard deviation.
        rng: the random generator.
    """
    if std < 0:
        raise ValueError(f"std must be >= 0; got {std}.")
    return generator(rng, "normal").normal(0.0, std, size=shape)


def xavier_uniform(shape: tuple[int, ...], *, gain: float = 1.0, rng: np.random.Generator) -> NDArray:
    """Glorot & Bengio (2010): W ~ U(−a, a), a = gain·√(6 / (fan_in + fan_out)).

    Var(W) = 2 / (fan_in + fan_out) (times gain²), a compromise that roughly preserves the variance
    of activations going forward (needs 1/fan_in) and of gradients going backward (needs
    1/fan_out) through a linear or tanh layer. Same formula as torch.nn.init.xavier_uniform_.

    Args:
        shape: ``(out, in, *kernel)``.
        gain: scale for the nonlinearity that follows (see :func:`calculate_gain`).
        rng: the random generator.

    Returns:
        A new float64 array.
    """
    fan_in, fan_out = _fans(shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return generator(rng, "xavier_uniform").uniform(-bound, bound, size=shape)


def xavier_normal(shape: tuple[int, ...], *, gain: float = 1.0, rng: np.random.Generator) -> NDArray:
    """Glorot & Bengio (2010): W ~ N(0, σ²), σ = gain·√(2 / (fan_in + fan_out)).

    The normal form of :func:`xavier_uniform`, with the same variance (and the same arguments);
    as torch.nn.init.xavier_normal_.
    """
    fan_in, fan_out = _fans(shape)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return generator(rng, "xavier_normal").normal(0.0, std, size=shape)


def kaiming_uniform(
    shape: tuple[int, ...], *, nonlinearity: str = "relu", a: float = 0.0, rng: np.random.Generator
) -> NDArray:
    """He et al. (2015): W ~ U(−b, b), b = gain·√(3 / fan_in); gain = √2 for ReLU.

    Var(W) = gain² / fan_in: ReLU zeroes half of its inputs, so doubling the 1/fan_in variance
    preserves the variance of activations in the forward pass (mode fan_in, torch's default).
    Same formula as torch.nn.init.kaiming_uniform_.

    Args:
        shape: ``(out, in, *kernel)``.
        nonlinearity: the activation that follows (``"relu"``, ``"leaky_relu"``, ``"tanh"``, ...).
        a: negative slope, used only when nonlinearity is ``"leaky_relu"``.
        rng: the random generator.

    Returns:
        A new float64 array.
    """
    fan_in, _ = _fans(shape)
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan_in)
    return generator(rng, "kaiming_uniform").uniform(-bound, bound, size=shape)


def kaiming_normal(
    shape: tuple[int, ...], *, nonlinearity: str = "relu", a: float = 0.0, rng: np.random.Generator
) -> NDArray:
    """He et al. (2015): W ~ N(0, σ²), σ = gain / √fan_in; gain = √2 for ReLU.

    The normal form of :func:`kaiming_uniform`, with the same variance (and the same arguments):
    it preserves the variance of activations through ReLU layers (mode fan_in); as
    torch.nn.init.kaiming_normal_.
    """
    fan_in, _ = _fans(shape)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan_in)
    return generator(rng, "kaiming_normal").normal(0.0, std, size=shape)


#: The names ``Linear(init=...)`` accepts: ``"default"`` is torch.nn.Linear's own U(−1/√in, 1/√in).
INITS = ("default", "zeros", "normal", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal")


def initial_weight(init: str, shape: tuple[int, int], rng: np.random.Generator) -> NDArray:
    """A Linear layer's initial weight, shaped (out, in), drawn by the initialiser named ``init``."""
    if init == "default":
        bound = 1.0 / math.sqrt(shape[1])
        return rng.uniform(-bound, bound, size=shape)
    if init == "zeros":
        return zeros(shape)
    if init == "normal":
        return normal(shape, rng=rng)
    return {"xavier_uniform": xavier_uniform, "xavier_normal": xavier_normal, "kaiming_uniform": kaiming_uniform,
            "kaiming_normal": kaiming_normal}[init](shape, rng=rng)


def init_std(init: str, fan_in: int, fan_out: int, *, std: float = 0.01) -> float:
    """The standard deviation of a weight drawn by each initialiser (ReLU gain for Kaiming).

    The formulas of the initialisers above, for a ReLU gain: ``zeros``: 0. ``normal``: ``std``. ``default`` (torch.nn.Linear's U(−1/√n_in, 1/√n_in)):
    1/√(3 n_in). ``xavier_*``: √(2 / (n_in + n_out)) (Glorot & Bengio 2010). ``kaiming_*``:
    √(2 / n_in) (He et al. 2015). A uniform U(−a, a) has standard deviation a/√3, which is how the
    uniform variants reach the same value as the normal ones.

    Args:
        init: one of :data:`INITS`.
        fan_in: n_in, the number of inputs of the layer.
        fan_out: n_out, the number of outputs.
        std: the standard deviation of ``"normal"``.

    Returns:
        σ, a float.
    """
    if init not in INITS:
        raise ValueError(f"Unknown init {init!r}; choose one of {list(INITS)}.")
    fan_in, fan_out = whole("init_std", "fan_in", fan_in), whole("init_std", "fan_out", fan_out)
    if init == "zeros":
        return 0.0
    if init == "normal":
        return float(std)
    if init == "default":
        return 1.0 / math.sqrt(3.0 * fan_in)
    if init.startswith("xavier"):
        return math.sqrt(2.0 / (fan_in + fan_out))
    return math.sqrt(2.0 / fan_in)
