"""Gradient checking: compare a backward rule with finite differences.

A backward rule is easy to get subtly wrong and hard to test by eye. The derivative's definition
gives an independent answer: nudge one input by ±eps and watch the output move,

    ∂f/∂x_i ≈ (f(x + eps·e_i) - f(x - eps·e_i)) / (2·eps)      (central difference, error O(eps²))

then compare the two gradients with :func:`rel_error`. This costs two evaluations of f per input
element, so it is a test for small arrays, not a training tool.

Do it in float64: in float32 the rounding error of f swamps the difference for any useful eps.
Keep inputs away from kinks (ReLU at 0, L1 at pred == target, Huber at ±delta), where the
function has no derivative and the two sides disagree.

Reference: cs231n notes, "Gradient checks" (https://cs231n.github.io/neural-networks-3/).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from course_lib.numpy_nn.module import Layer
from course_lib.numpy_nn.losses import Loss
from course_lib.validation import positive_real

__all__ = [
    "check_layer",
    "check_loss",
    "numerical_gradient",
    "numerical_gradient_array",
    "rel_error",
]


def _check_perturbable(x: object, name: str = "x") -> None:
    if not isinstance(x, np.ndarray):
        raise TypeError(
            f"{name} must be a NumPy array that f reads (it is perturbed in place), got "
            f"{type(x).__name__}. Create it with np.array(..., dtype=np.float64) and use it inside f."
        )
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"{name} must be a floating array to be nudged by eps, got dtype {x.dtype}; use "
            f"{name}.astype(np.float64)."
        )
    if x.dtype != np.float64:
        warnings.warn(
            f"{name} has dtype {x.dtype}: gradient checks need float64. In lower precision the "
            f"rounding error of f swamps the finite difference, and even a correct gradient "
            f"shows relative errors of 1e-3 or worse.",
            stacklevel=3,
        )


def numerical_gradient(f: Callable[[], float], x: NDArray, *, eps: float = 1e-6) -> NDArray:
    """The gradient of a scalar function by central differences, ∂f/∂x_i ≈ (f(x+ε) - f(x-ε))/2ε.

    ``f`` takes no arguments: it reads ``x`` (and whatever else it closes over). Each element of
    ``x`` is nudged in place, f is called twice, and the element is put back, even if f raises.

        x = np.array([1.0, 2.0])
        numerical_gradient(lambda: np.sum(x**3), x)     # ≈ 3x² = [3., 12.]

    Args:
        f: a function of no arguments returning a scalar.
        x: the float64 array to differentiate with respect to, the very array f reads.
        eps: the step. The truncation error shrinks like eps², the rounding error grows like
            1/eps; for a function of size about 1 the best step is near 1e-5, and 1e-6 (the
            default) is close enough for most checks.

    Returns:
        The numerical gradient, an array shaped like x.

    Shape:
        x: any -> same.
    """
    eps = _step("numerical_gradient", eps)
    _check_perturbable(x)
    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        f_plus, f_minus = _evaluate_on_both_sides(lambda: _scalar(f()), x, index, eps)
        grad[index] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def numerical_gradient_array(
    f: Callable[[], NDArray], x: NDArray, dy: NDArray, *, eps: float = 1e-6
) -> NDArray:
    """The numerical gradient of Σ f() ⊙ dy: what a backward rule given upstream ``dy`` must return.

    For y = f(x) and a loss L with ∂L/∂y = dy, the chain rule gives ∂L/∂x_i = Σ_j dy_j ∂y_j/∂x_i,
    which is the gradient of the scalar Σ_j y_j dy_j with dy held fixed. It is computed as
    Σ_j (y_j(x+ε) - y_j(x-ε)) dy_j / 2ε, subtracting before summing, so outputs that x_i does not
    touch cancel exactly instead of adding their rounding error to the difference.

    Args:
        f: a function of no arguments returning an array (it reads ``x``).
        x: the float64 array to differentiate with respect to; nudged in place and restored.
        dy: the upstream gradient, shaped like f().
        eps: the step of the central difference.

    Returns:
        An array shaped like x.

    Shape:
        x: any; dy: f()'s shape -> x's shape.
    """
    eps = _step("numerical_gradient_array", eps)
    _check_perturbable(x)
    dy = np.asarray(dy)
    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        # np.array copies: an output that is a view of x (a reshape, say) must not follow x's next nudge.
        y_plus, y_minus = _evaluate_on_both_sides(lambda: np.array(f(), dtype=np.float64), x, index, eps)
        if y_plus.shape != dy.shape:
            raise ValueError(f"dy must have f()'s shape {y_plus.shape}, got {dy.shape}.")
        grad[index] = np.sum((y_plus - y_minus) * dy) / (2.0 * eps)
    return grad


def _step(who: str, eps: object) -> float:
    return positive_real(who, "eps", eps, "It is the finite-difference step: 1e-6 (the default) suits float64, "
                         "1e-5 a function that rounds more.")


def _evaluate_on_both_sides(f: Callable[[], object], x: NDArray, index: tuple[int, ...], eps: float):
    """f() with x[index] nudged up by eps, then down; x[index] is restored whatever happens."""
    original = x[index]
    try:
        x[index] = original + eps
        plus = f()
        x[index] = original - eps
        minus = f()
    finally:
        x[index] = original
    return plus, minus


def _scalar(value: object) -> float:
    array = np.asarray(value)
    if array.size != 1:
        raise TypeError(
            f"f() must return a scalar, got an array of shape {array.shape}. For an array-valued "
            f"function use numerical_gradient_array(f, x, dy)."
        )
    return float(array.reshape(()))


def rel_error(a: NDArray, b: NDArray) -> float:
    """The largest element-wise relative error, max_i |a_i - b_i| / max(|a_i| + |b_i|, tiny).

    How to read it, for an analytic and a numerical gradient in float64:

    - about 1e-7 or below: the gradient is correct (1e-10 is typical for smooth functions);
    - around 1e-5: suspicious; often a kink nearby (ReLU at 0), otherwise look closer;
    - 1e-2 or above: a bug in the backward rule.

    Elements where both are exactly 0 count as agreeing (0, not 0/0). NaN anywhere gives NaN,
    which fails any ``< tolerance`` test, as it should. The relative form makes the number
    independent of the gradient's scale, but it is harsh where the true value is tiny: a
    gradient of 1e-12 against a numerical 1e-11 from rounding noise counts as an error near 1.

    Args:
        a, b: arrays of the same shape.

    Returns:
        The maximum relative error as a float (0.0 for empty arrays).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f"rel_error compares arrays element by element, so their shapes must match; got "
            f"{a.shape} and {b.shape}."
        )
    if a.size == 0:
        return 0.0
    tiny = np.finfo(np.float64).tiny
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), tiny)))


def check_layer(layer: Layer, x: NDArray, *, rng: np.random.Generator, eps: float = 1e-6) -> dict[str, float]:
    """Compare a layer's backward with numerical gradients, for its input and every parameter.

    Draws an upstream gradient dy ~ N(0, 1) shaped like layer(x), runs ``layer.backward(dy)``, and
    compares the returned dx and each parameter's ``.grad`` with the numerical gradient of
    Σ layer(x) ⊙ dy. The forward must be deterministic: put the layer in eval mode
    (``layer.eval()``) or give dropout a fixed mask; a forward that changes between two calls with
    the same x raises ValueError. Parameters are perturbed and restored in place, and the layer's
    buffers (e.g. BatchNorm's running statistics, which the many forward calls would move) are
    restored at the end.

        errors = check_layer(Linear(3, 2, rng=rng), rng.standard_normal((4, 3)), rng=rng)
        assert max(errors.values()) < 1e-7

    A correct float64 layer typically gives 1e-10 to 1e-8. An element whose true gradient is tiny
    (a product of several small random factors) can push a correct layer towards 1e-7, since
    :func:`rel_error` is relative element by element; ``eps=1e-5`` cuts the rounding error tenfold
    there, and a real bug shows as 1e-2 or more whatever the step.

    Args:
        layer: a :class:`~course_lib.numpy_nn.layers.Layer`.
        x: an input batch; a float64 copy is used, so ``x`` itself is not touched.
        rng: draws dy.
        eps: the step of the central difference.

    Returns:
        ``{"input": err, "weight": err, "bias": err, ...}``: :func:`rel_error` for dx and for each
        parameter, keyed by the names ``named_parameters()`` gives. A parameter whose ``.grad``
        backward left as None gets ``inf``. The errors are returned, not asserted. The layer's
        weights, buffers and ``.grad`` are as they were before the call.
    """
    eps = _step("check_layer", eps)
    x = np.array(x, dtype=np.float64, copy=True)
    saved_state = layer.state_dict()
    saved_grads = [(p, p.grad) for p in layer.parameters()]  # the caller's gradients, put back at the end
    try:
        y = np.asarray(layer(x))
        if not np.array_equal(np.asarray(layer(x)), y, equal_nan=True):
            raise ValueError(
                f"{type(layer).__name__}(x) gave different outputs on two calls with the same x, so "
                f"finite differences would measure noise. Call layer.eval() first, or give dropout a "
                f"fixed mask."
            )
        dy = rng.standard_normal(y.shape)
        for p in layer.parameters():
            p.grad = None                                    # backward adds to .grad; start from zero
        dx = layer.backward(dy)
        params = list(layer.named_parameters())
        analytic = {
            name: None if p.grad is None else np.array(p.grad, dtype=np.float64) for name, p in params
        }

        def output() -> NDArray:
            return layer(x)

        errors = {"input": rel_error(dx, numerical_gradient_array(output, x, dy, eps=eps))}
        for name, p in params:
            if analytic[name] is None:
                errors[name] = float("inf")
                continue
            numerical = numerical_gradient_array(output, p.data, dy, eps=eps)
            errors[name] = rel_error(analytic[name], numerical)
    finally:
        layer.load_state_dict(saved_state)
        for p, grad in saved_grads:
            p.grad = grad
    return errors


def check_loss(loss: Loss, pred: NDArray, target: NDArray, *, eps: float = 1e-6) -> float:
    """Compare ``loss.backward()`` with the numerical gradient of ``loss(pred, target)`` w.r.t. pred.

    Works with any object of the :mod:`~course_lib.numpy_nn.losses` kind: ``loss(pred, target)``
    returns a float and ``loss.backward()`` returns dLoss/dpred for the last call.

        check_loss(CrossEntropyLoss(), rng.standard_normal((4, 3)), np.array([0, 2, 1, 1]))

    Args:
        loss: the loss object.
        pred: predictions (logits for the cross-entropy losses); a float64 copy is used.
        target: targets, passed through unchanged.
        eps: the step of the central difference.

    Returns:
        :func:`rel_error` between the analytic and the numerical gradient (returned, not asserted).
    """
    eps = _step("check_loss", eps)
    pred = np.array(pred, dtype=np.float64, copy=True)
    loss(pred, target)
    analytic = np.array(loss.backward(), dtype=np.float64)
    numerical = numerical_gradient(lambda: loss(pred, target), pred, eps=eps)
    return rel_error(analytic, numerical)
