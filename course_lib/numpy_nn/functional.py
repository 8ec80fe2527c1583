"""Activations as pure forward / backward pairs, written out in NumPy (the losses' pairs are in ``losses.py``).

Every operation comes as two functions, in the style of Stanford's cs231n:

    y, cache = relu_forward(x)          # the value, and what the backward rule will need
    dx = relu_backward(dy, cache)       # dLoss/dx from dLoss/dy (the chain rule, one step)

The cache holds only what the backward rule needs, often the output itself (sigmoid, tanh, softmax)
or a mask (ReLU). Treat it as opaque: its layout is documented for reading, not for relying on.

These functions are the fast core: they do not check shapes or dtypes. The layer classes that call
them do (``layers.py``). Every function keeps a float32 input in float32.

Numerical stability is part of the lesson, and each function says how it gets it:
``exp`` is only ever taken of numbers <= 0 (it cannot overflow), and logarithms of probabilities are
computed as ``log_softmax`` rather than ``log(softmax)`` (they cannot become ``-inf``).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "elu_backward", "elu_forward", "gelu_backward", "gelu_forward", "leaky_relu_backward", "leaky_relu_forward", "log_softmax_backward", "log_softmax_forward", "relu_backward", "relu_forward", "sigmoid_backward", "sigmoid_forward", "softmax_backward", "softmax_forward", "tanh_backward", "tanh_forward",
]

# ================================================================================================
# Activations
# ================================================================================================


def sigmoid_forward(x: NDArray) -> tuple[NDArray, NDArray]:
    """The logistic sigmoid, computed without overflow.

    σ(x) = 1 / (1 + e^(-x)).  For x < 0 the same value is written e^x / (1 + e^x), so that
    ``exp`` only ever sees -|x| <= 0: sigmoid(-1000) is exactly 0.0 and sigmoid(1000) exactly 1.0,
    where the textbook formula overflows.

    Args:
        x: any array.

    Returns:
        ``(y, cache)``: y = σ(x); the cache is y itself, since σ'(x) = σ(x)(1 - σ(x)).

    Shape:
        any -> same.
    """
    x = np.asarray(x)
    e = np.exp(-np.abs(x))  # in (0, 1]: cannot overflow
    y = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return y, y


def sigmoid_backward(dy: NDArray, cache: NDArray) -> NDArray:
    """dx = dy · σ(x)(1 - σ(x)); ``cache`` is σ(x) from :func:`sigmoid_forward`.

    Far from 0 the factor underflows to exactly 0, which is the correct gradient to double
    precision (the true value at x = ±1000 is about e^-1000).
    """
    y = cache
    return dy * y * (1.0 - y)


def tanh_forward(x: NDArray) -> tuple[NDArray, NDArray]:
    """The hyperbolic tangent, tanh(x) = (e^x - e^-x) / (e^x + e^-x) = 2σ(2x) - 1.

    Args:
        x: any array.

    Returns:
        ``(y, cache)``: y = tanh(x); the cache is y itself, since tanh'(x) = 1 - tanh²(x).

    Shape:
        any -> same.
    """
    y = np.tanh(x)
    return y, y


def tanh_backward(dy: NDArray, cache: NDArray) -> NDArray:
    """dx = dy · (1 - y²), with y = tanh(x) from the cache."""
    y = cache
    return dy * (1.0 - y * y)


def relu_forward(x: NDArray) -> tuple[NDArray, NDArray]:
    """The rectified linear unit, ReLU(x) = max(0, x).

    Reference: Nair & Hinton, "Rectified linear units improve restricted Boltzmann machines", 2010.

    Args:
        x: any array.

    Returns:
        ``(y, cache)``: the cache is the boolean mask x > 0. The derivative at the kink x = 0 is
        taken to be 0, as torch does.

    Shape:
        any -> same.
    """
    x = np.asarray(x)
    mask = x > 0
    # np.maximum keeps NaN as NaN (as torch.relu does, so an overflow upstream stays visible
    # instead of passing for a "dead" unit) and maps -inf to 0; x * mask would turn -inf into NaN.
    return np.maximum(x, 0), mask


def relu_backward(dy: NDArray, cache: NDArray) -> NDArray:
    """dx = dy where x > 0, else 0; ``cache`` is the mask from :func:`relu_forward`."""
    return np.where(cache, dy, 0)


def leaky_relu_forward(x: NDArray, negative_slope: float = 0.01) -> tuple[NDArray, tuple[NDArray, float]]:
    """Leaky ReLU: x for x > 0, negative_slope · x otherwise (torch.nn.LeakyReLU).

    Reference: Maas, Hannun & Ng, "Rectifier nonlinearities improve neural network acoustic
    models", 2013.

    Args:
        x: any array.
        negative_slope: the slope for x <= 0; torch's name and default.

    Returns:
        ``(y, cache)``: the cache is ``(mask, negative_slope)`` with mask = x > 0. At x = 0 the
        derivative is negative_slope, as in torch.

    Shape:
        any -> same.
    """
    x = np.asarray(x)
    mask = x > 0
    return np.where(mask, x, negative_slope * x), (mask, negative_slope)


def leaky_relu_backward(dy: NDArray, cache: tuple[NDArray, float]) -> NDArray:
    """dx = dy where x > 0, else negative_slope · dy."""
    mask, negative_slope = cache
    return np.where(mask, dy, negative_slope * dy)


def elu_forward(x: NDArray, alpha: float = 1.0) -> tuple[NDArray, tuple[NDArray, NDArray]]:
    """Exponential linear unit: x for x > 0, α(e^x - 1) otherwise (torch.nn.ELU).

    ``expm1`` gives e^x - 1 accurately near 0, and ``exp`` is only taken of min(x, 0), so large
    positive inputs cannot overflow in the branch that is thrown away.

    Reference: Clevert, Unterthiner & Hochreiter, "Fast and accurate deep network learning by
    exponential linear units (ELUs)", 2015.

    Args:
        x: any array.
        alpha: the value the function approaches as x -> -inf is -alpha; torch's name and default.

    Returns:
        ``(y, cache)``: the cache is ``(mask, alpha · e^min(x, 0))`` with mask = x > 0; the second
        array is the derivative on the negative side (at x = 0 it is alpha, as in torch).

    Shape:
        any -> same.
    """
    x = np.asarray(x)
    mask = x > 0
    negative_part = np.minimum(x, 0)
    y = np.where(mask, x, alpha * np.expm1(negative_part))
    return y, (mask, alpha * np.exp(negative_part))


def elu_backward(dy: NDArray, cache: tuple[NDArray, NDArray]) -> NDArray:
    """dx = dy where x > 0, else dy · α e^x."""
    mask, negative_slope = cache
    return np.where(mask, dy, dy * negative_slope)


_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_TANH_COEFF = 0.044715

# NumPy has no erf (and the course does not depend on SciPy). math.erfc is exact to libm precision,
# but it runs once per element through the Python interpreter: about 75 ns per element, so about
# 1 ms for a 128 x 128 batch and 75 ms for a million elements, some 4x the vectorised tanh form.
_erfc = np.frompyfunc(math.erfc, 1, 1)


def _normal_cdf(x: NDArray) -> NDArray:
    """Φ(x) = P(Z <= x) for a standard normal Z, as ½·erfc(-x/√2).

    Written with erfc rather than ½(1 + erf(x/√2)) so that it stays accurate (no cancellation)
    for large negative x, where Φ(x) is tiny.
    """
    return 0.5 * np.asarray(_erfc(-_SQRT_HALF * x), dtype=x.dtype)


def gelu_forward(
    x: NDArray, approximate: Literal["none", "tanh"] = "none"
) -> tuple[NDArray, tuple[NDArray, NDArray, str]]:
    """Gaussian error linear unit: GELU(x) = x · Φ(x), Φ the standard normal CDF (torch.nn.GELU).

    ``approximate="tanh"`` uses 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))), as torch does with the
    same argument. The exact form needs erf, which NumPy lacks: it is computed element by element
    with ``math.erfc`` (exact to libm precision, but about 75 ns per element in the Python loop:
    about 1 ms for a 128 x 128 batch, some 4x the fully vectorised tanh form). Φ(x) is written
    ½·erfc(-x/√2), which stays accurate far in the left tail where torch's ½(1 + erf(x/√2)) rounds
    to 0 (GELU(-10) is -7.6e-23 here and -0.0 in torch; the two agree to far below 1e-9).

    Reference: Hendrycks & Gimpel, "Gaussian error linear units (GELUs)", 2016.

    Args:
        x: a floating array (integers are converted to float64).
        approximate: ``"none"`` (exact) or ``"tanh"``; torch's names.

    Returns:
        ``(y, cache)``: the cache is ``(x, s, approximate)``, with s = Φ(x) for the exact form and
        s = tanh(u) for the tanh form.

    Shape:
        any -> same.
    """
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    if approximate == "none":
        cdf = _normal_cdf(x)
        return x * cdf, (x, cdf, approximate)
    if approximate == "tanh":
        t = np.tanh(_SQRT_2_OVER_PI * (x + _GELU_TANH_COEFF * x * x * x))
        return 0.5 * x * (1.0 + t), (x, t, approximate)
    raise ValueError(
        f"gelu approximate must be 'none' (exact, with erf) or 'tanh' (torch's names), got "
        f"{approximate!r}."
    )


def gelu_backward(dy: NDArray, cache: tuple[NDArray, NDArray, str]) -> NDArray:
    """Exact: dx = dy · (Φ(x) + x φ(x)), φ the standard normal density.

    Tanh form, with u = √(2/π)(x + 0.044715x³) and t = tanh(u):
    dx = dy · (½(1 + t) + ½x(1 - t²) · √(2/π)(1 + 3·0.044715x²)).
    """
    x, s, approximate = cache
    if approximate == "none":
        pdf = _INV_SQRT_2PI * np.exp(-0.5 * x * x)
        return dy * (s + x * pdf)
    du_dx = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_TANH_COEFF * x * x)
    return dy * (0.5 * (1.0 + s) + 0.5 * x * (1.0 - s * s) * du_dx)


def softmax_forward(x: NDArray, axis: int = -1) -> tuple[NDArray, tuple[NDArray, int]]:
    """Softmax along ``axis``: softmax(x)_i = e^(x_i) / Σ_j e^(x_j).

    Subtracting the largest entry first changes nothing mathematically (the factor e^-max cancels)
    but makes every exponent <= 0, so nothing overflows: logits of 1e4 are fine.

    Args:
        x: logits.
        axis: the axis whose entries sum to 1.

    Returns:
        ``(y, cache)``: the cache is ``(y, axis)``.

    Shape:
        any -> same; e.g. (N, C) -> (N, C) with rows summing to 1.
    """
    x = np.asarray(x)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    y = e / np.sum(e, axis=axis, keepdims=True)
    return y, (y, axis)


def softmax_backward(dy: NDArray, cache: tuple[NDArray, int]) -> NDArray:
    """dx = y ⊙ (dy - Σ_j dy_j y_j): the Jacobian diag(y) - y yᵀ applied without forming it."""
    y, axis = cache
    return y * (dy - np.sum(dy * y, axis=axis, keepdims=True))


def log_softmax_forward(x: NDArray, axis: int = -1) -> tuple[NDArray, tuple[NDArray, int]]:
    """Log-softmax along ``axis``: log_softmax(x)_i = x_i - log Σ_j e^(x_j).

    The log-sum-exp is computed as m + log Σ_j e^(x_j - m) with m = max_j x_j, so nothing
    overflows, and the log is never taken of an underflowed probability: the log-probability of a
    class 1e4 below the best one is about -1e4, not -inf as log(softmax(x)) would give.

    Args:
        x: logits.
        axis: the axis over which the probabilities sum to 1.

    Returns:
        ``(y, cache)``: the cache is ``(softmax(x), axis)``.

    Shape:
        any -> same.
    """
    x = np.asarray(x)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    total = np.sum(e, axis=axis, keepdims=True)
    return shifted - np.log(total), (e / total, axis)


def log_softmax_backward(dy: NDArray, cache: tuple[NDArray, int]) -> NDArray:
    """dx = dy - softmax(x) · Σ_j dy_j."""
    p, axis = cache
    return dy - p * np.sum(dy, axis=axis, keepdims=True)
