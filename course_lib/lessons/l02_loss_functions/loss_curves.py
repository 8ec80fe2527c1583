"""Lesson 02's computations: loss curves, fits under different losses, and how naive formulas break.

The losses themselves and their gradients live in :mod:`course_lib.numpy_nn.losses` (tested
against torch). This module only builds on them:

- :func:`regression_curves` and :func:`classification_curves` evaluate one loss per prediction
  over a grid of predictions, with its gradient, for the pictures and the explorer;
- :func:`fit_constant` and :func:`fit_line` fit a model by gradient descent under MSE, MAE or
  Huber, to show how each loss treats an outlier (and raise, rather than return a wrong answer,
  when the descent did not get there);
- :func:`logsumexp` is the stable log-sum-exp, m + log Σ e^(x - m);
- ``naive_*`` are the textbook formulas written literally. They are here to be watched failing:
  each docstring says for which inputs and why. Never train with them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from course_lib.numpy_nn import functional as F
from course_lib.numpy_nn import losses

__all__ = [
    "REGRESSION_LOSSES",
    "LossCurves",
    "classification_curves",
    "fit_constant",
    "fit_line",
    "logsumexp",
    "naive_binary_cross_entropy",
    "naive_log_softmax",
    "naive_sigmoid",
    "naive_softmax",
    "regression_curves",
]

#: The names :func:`fit_constant`, :func:`fit_line` and :func:`regression_curves` know.
REGRESSION_LOSSES = ("mse", "mae", "huber")


# ================================================================================================
# Loss curves: one prediction at a time, over a grid
# ================================================================================================


class LossCurves(NamedTuple):
    """Losses and gradients of a single prediction, evaluated at each point of ``x``.

    ``loss[name][i]`` is the loss of the one prediction ``x[i]``, and ``grad[name][i]`` its
    derivative dL/dx at ``x[i]``. The names are the legend labels, e.g. ``"MSE"``.
    """

    x: NDArray
    loss: dict[str, NDArray]
    grad: dict[str, NDArray]


def _as_grid(values: ArrayLike, what: str) -> NDArray:
    grid = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if grid.ndim != 1 or grid.size == 0:
        raise ValueError(f"{what} must be a number or a 1-D array of numbers, got shape {np.shape(values)}.")
    if not np.all(np.isfinite(grid)):
        raise ValueError(f"{what} must be finite numbers; got {grid[~np.isfinite(grid)][0]!r}.")
    return grid


def _check_delta(delta: float) -> float:
    if not (np.isfinite(delta) and delta > 0):
        raise ValueError(
            f"Huber's delta must be a positive, finite number, got {delta!r}: it is the error size "
            f"where the loss turns from quadratic to linear (1.0 is the default)."
        )
    return float(delta)


def _one_at_a_time(
    forward: Callable[[NDArray, NDArray], tuple[float, object]],
    backward: Callable[[object], NDArray],
    grid: NDArray,
    target: float,
) -> tuple[NDArray, NDArray]:
    """The library's loss and gradient for a batch of ONE prediction, at each grid point."""
    loss, grad = np.empty_like(grid), np.empty_like(grid)
    t = np.array([target])
    for i, value in enumerate(grid):
        loss[i], cache = forward(np.array([value]), t)
        grad[i] = backward(1.0, cache)[0]
    return loss, grad


def regression_curves(pred: ArrayLike, target: float = 0.0, *, delta: float = 1.0) -> LossCurves:
    """MSE, MAE and Huber loss of one prediction ŷ against one target y, for each ŷ in ``pred``.

    With d = ŷ - y: MSE = d², MAE = |d|, Huber = ½d² for |d| <= δ else δ(|d| - ½δ); their
    gradients dL/dŷ are 2d, sign(d) and clip(d, -δ, δ). Every value comes from
    :mod:`course_lib.numpy_nn.functional` (``mse``, ``l1``, ``huber``), called on a batch of one.

    Args:
        pred: the predictions ŷ, a number or a 1-D array.
        target: the target y.
        delta: Huber's δ, > 0.

    Returns:
        :class:`LossCurves` with the names ``"MSE"``, ``"MAE"``, ``"Huber"``.

    Shape:
        pred: (K,) -> each curve (K,).
    """
    grid = _as_grid(pred, "pred")
    delta = _check_delta(delta)
    pairs = {
        "MSE": (losses.mse_forward, losses.mse_backward),
        "MAE": (losses.l1_forward, losses.l1_backward),
        "Huber": (lambda p, t: losses.huber_forward(p, t, delta=delta), losses.huber_backward),
    }
    loss, grad = {}, {}
    for name, (forward, backward) in pairs.items():
        loss[name], grad[name] = _one_at_a_time(forward, backward, grid, float(target))
    return LossCurves(grid, loss, grad)


def _squared_error_on_probability(z: NDArray, t: NDArray) -> tuple[float, tuple]:
    """(σ(z) - y)², through the library's sigmoid and MSE, keeping both caches for backward."""
    p, sigmoid_cache = F.sigmoid_forward(z)
    loss, mse_cache = losses.mse_forward(p, t)
    return loss, (mse_cache, sigmoid_cache)


def _squared_error_on_probability_backward(dy: float, cache: tuple) -> NDArray:
    mse_cache, sigmoid_cache = cache  # the chain rule, one step per function: dL/dp, then dL/dz
    return F.sigmoid_backward(losses.mse_backward(dy, mse_cache), sigmoid_cache)


def classification_curves(logits: ArrayLike, target: float = 1.0) -> LossCurves:
    """Binary cross-entropy of one logit z against a label y, and squared error on p = σ(z).

    Cross-entropy (``F.bce_with_logits_*``): L = -[y log σ(z) + (1 - y) log(1 - σ(z))], with
    dL/dz = σ(z) - y, which stays near ±1 while the prediction is confidently wrong.
    Squared error on the probability (``F.sigmoid_*`` then ``F.mse_*``): L = (σ(z) - y)², with
    dL/dz = 2(σ(z) - y)·σ(z)(1 - σ(z)), which vanishes when the prediction is confidently wrong:
    the reason classifiers are trained with cross-entropy.

    Reference: Golik, Doetsch & Ney, "Cross-entropy vs. squared error training: a theoretical and
    experimental comparison", 2013.

    Args:
        logits: the logits z, a number or a 1-D array.
        target: the label y, a probability in [0, 1] (usually 0 or 1).

    Returns:
        :class:`LossCurves` with the names ``"cross-entropy"`` and ``"squared error on σ(z)"``.

    Shape:
        logits: (K,) -> each curve (K,).
    """
    grid = _as_grid(logits, "logits")
    if not 0.0 <= target <= 1.0:
        raise ValueError(f"target must be a probability in [0, 1] (a label 0 or 1), got {target!r}.")
    pairs = {
        "cross-entropy": (losses.bce_with_logits_forward, losses.bce_with_logits_backward),
        "squared error on σ(z)": (_squared_error_on_probability, _squared_error_on_probability_backward),
    }
    loss, grad = {}, {}
    for name, (forward, backward) in pairs.items():
        loss[name], grad[name] = _one_at_a_time(forward, backward, grid, float(target))
    return LossCurves(grid, loss, grad)


# ================================================================================================
# Fitting under a chosen loss: how each loss treats an outlier
# ================================================================================================


def _loss_pair(loss: str, delta: float) -> tuple[Callable, Callable]:
    if loss == "mse":
        return losses.mse_forward, losses.mse_backward
    if loss == "mae":
        return losses.l1_forward, losses.l1_backward
    if loss == "huber":
        delta = _check_delta(delta)
        return (lambda p, t: losses.huber_forward(p, t, delta=delta)), losses.huber_backward
    raise ValueError(f"loss must be one of {REGRESSION_LOSSES}, got {loss!r}.")


def _check_descent(y: NDArray, lr: float, steps: int) -> None:
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"y must be a non-empty 1-D array of targets, got shape {y.shape}.")
    if not np.all(np.isfinite(y)):
        raise ValueError("y holds NaN or inf; a loss over them is undefined. Remove those targets first.")
    if not (lr > 0 and np.isfinite(lr)):
        raise ValueError(f"lr must be a positive, finite learning rate, got {lr!r}.")
    if not (isinstance(steps, (int, np.integer)) and steps >= 1):
        raise ValueError(f"steps must be a whole number >= 1, got {steps!r}.")


_DECAY = 100.0  # the last step is lr / 101


def _step_size(lr: float, t: int, steps: int) -> float:
    # MAE's gradient never shrinks near the minimum (it is ±1/n, not proportional to the error),
    # so a constant step would hop around the median forever. A step that decays to 1% of lr
    # settles every loss; the sum of the steps stays large, so it still gets there.
    return lr / (1.0 + _DECAY * t / steps)


def _descend(gradient: Callable[[NDArray], NDArray], theta: NDArray, lr: float, steps: int) -> NDArray:
    for t in range(steps):
        theta = theta - _step_size(lr, t, steps) * gradient(theta)
    return theta


def _check_converged(
    gradient: Callable[[NDArray], NDArray], theta: NDArray, scale: NDArray, what: str, steps: int, lr: float, loss: str
) -> None:
    """Raise unless the loss rises on both sides of ``theta`` along every parameter.

    For a convex loss (all three are), g_k(θ - ε e_k) <= 0 <= g_k(θ + ε e_k) says the minimum
    along parameter k lies within ε of θ_k. ε is 1% of ``scale``, or twice the largest last step if
    that is larger (MAE keeps hopping across its minimum by about one step).
    """
    if not np.all(np.isfinite(theta)):
        raise RuntimeError(
            f"{what} diverged: the parameters became {theta}. The step is too large for this data; "
            f"lower lr (it was {lr})."
        )
    # The last hop may have come from across the minimum, where the gradient can be larger (MAE's
    # is the mean of signs: 0.2 on one side of a median, 1 on the other), so look on both sides.
    step = _step_size(lr, steps - 1, steps)
    probe = 0.01 * scale + 2.0 * step * np.maximum(1.0, np.abs(gradient(theta)))
    largest = np.max([np.abs(gradient(theta)), np.abs(gradient(theta - probe)), np.abs(gradient(theta + probe))], axis=0)
    for k in range(theta.size):
        nudge = np.zeros_like(theta)
        nudge[k] = max(0.01 * scale[k], 2.0 * step * largest[k])
        if gradient(theta - nudge)[k] > 0 or gradient(theta + nudge)[k] < 0:
            raise RuntimeError(
                f"{what} did not reach the minimum in {steps} steps: it stopped at {theta}, where the "
                f"loss still falls along parameter {k}. Raise steps or lr (it was {lr})."
                + (" A small Huber delta makes the gradient, and so each step, small." if loss == "huber" else "")
            )


def fit_constant(
    y: ArrayLike, loss: str = "mse", *, delta: float = 1.0, lr: float = 0.5, steps: int = 1000, start: float = 0.0
) -> float:
    """The constant c that minimises mean ℓ(c - y_i), found by gradient descent.

    The answers are known in closed form, which is the point of the exercise: MSE gives the mean
    of y (the gradient 2·mean(c - y) is 0 there), MAE gives a median (as many points above c as
    below), Huber a value in between (mean clip(c - y, -δ, δ) = 0: near points pull in proportion
    to their distance, far ones with a force of at most δ). The gradient comes from the library's
    backward rule; the step decays from ``lr`` to ``lr / 101`` so that MAE, whose gradient does
    not shrink near the minimum, settles too. If the result is not within 1% of the data's range
    of the minimum (too few steps, or a diverging lr) it raises rather than return a wrong answer.

    Args:
        y: the targets.
        loss: ``"mse"``, ``"mae"`` or ``"huber"``.
        delta: Huber's δ, > 0.
        lr: the first step size; keep it below 1 for MSE (its gradient is 2(c - mean)).
        steps: how many gradient steps.
        start: the starting value of c.

    Returns:
        The fitted c, a float.

    Raises:
        RuntimeError: when gradient descent diverged or stopped short of the minimum.

    Shape:
        y: (N,) -> scalar.
    """
    y = np.asarray(y, dtype=np.float64)
    forward, backward = _loss_pair(loss, delta)
    _check_descent(y, lr, steps)

    def gradient(theta: NDArray) -> NDArray:
        _, cache = forward(np.full_like(y, theta[0]), y)
        return np.array([np.sum(backward(1.0, cache))])  # dL/dc = Σ_i dL/dpred_i

    with np.errstate(over="ignore", invalid="ignore"):  # a divergence is reported below
        theta = _descend(gradient, np.array([float(start)]), lr, steps)
        _check_converged(gradient, theta, np.array([max(1.0, np.ptp(y))]), f"fit_constant(loss={loss!r})", steps, lr, loss)
    return float(theta[0])


def fit_line(
    x: ArrayLike, y: ArrayLike, loss: str = "mse", *, delta: float = 1.0, lr: float = 0.3, steps: int = 2000
) -> tuple[float, float]:
    """The line ŷ = w·x + b that minimises mean ℓ(ŷ_i - y_i), found by gradient descent from (0, 0).

    dL/dw = Σ_i dL/dŷ_i · x_i and dL/db = Σ_i dL/dŷ_i, with dL/dŷ from the library's backward
    rule. The step decays as in :func:`fit_constant`, and the result is checked the same way.

    Args:
        x: the inputs, one feature.
        y: the targets.
        loss: ``"mse"``, ``"mae"`` or ``"huber"``.
        delta: Huber's δ, > 0.
        lr: the first step size; for MSE keep it below about 1 / (1 + mean(x²)).
        steps: how many gradient steps.

    Returns:
        ``(w, b)``, the slope and the intercept.

    Raises:
        RuntimeError: when gradient descent diverged or stopped short of the minimum.

    Shape:
        x, y: (N,) or x (N, 1) -> two scalars.
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64)
    forward, backward = _loss_pair(loss, delta)
    _check_descent(y, lr, steps)
    if x.shape != y.shape:
        raise ValueError(f"fit_line needs one x per target: x has {x.size} values, y has shape {y.shape}.")

    def gradient(theta: NDArray) -> NDArray:
        _, cache = forward(theta[0] * x + theta[1], y)
        dpred = backward(1.0, cache)
        return np.array([dpred @ x, np.sum(dpred)])

    with np.errstate(over="ignore", invalid="ignore"):
        theta = _descend(gradient, np.zeros(2), lr, steps)
        scale = np.maximum(1.0, np.abs(theta))
        _check_converged(gradient, theta, scale, f"fit_line(loss={loss!r})", steps, lr, loss)
    return float(theta[0]), float(theta[1])


# ================================================================================================
# Log-sum-exp, and the naive formulas that overflow
# ================================================================================================


def logsumexp(x: ArrayLike, axis: int = -1) -> NDArray:
    """log Σ_j e^(x_j) along ``axis``, computed as m + log Σ_j e^(x_j - m) with m = max_j x_j.

    The two forms are equal (the factor e^m comes out of the sum and its log is m), but in the
    second every exponent is <= 0: nothing overflows, and the largest term is exactly e^0 = 1,
    so the sum cannot underflow to 0 either. logsumexp([1000, 1000]) = 1000 + log 2.
    A slice that is all -inf gives -inf (there is nothing to add), as in ``torch.logsumexp``.

    Reference: Blanchard, Higham & Higham, "Accurately computing the log-sum-exp and softmax
    functions", 2021.

    Args:
        x: any real array (a Python list works too).
        axis: the axis summed over.

    Returns:
        The array with ``axis`` removed (a 0-d array for a 1-D input).

    Shape:
        (N, C) with axis=-1 -> (N,).
    """
    x = np.asarray(x, dtype=np.float64)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)  # an all -inf slice: shift by 0 instead of by -inf
    with np.errstate(divide="ignore"):  # log 0 = -inf is the right answer for an all -inf slice
        return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(x - m), axis=axis))


def naive_softmax(x: ArrayLike, axis: int = -1) -> NDArray:
    """The textbook softmax e^(x_i) / Σ_j e^(x_j), written literally: BREAKS for large logits.

    A float64 overflows above about 1.8e308, so e^x becomes inf for x > 709.78. Then
    e^1000 / (e^1000 + e^999) is inf / inf = nan, and NumPy warns "overflow encountered in exp".
    (Below about -745, e^x underflows to 0 and a row of very negative logits gives 0 / 0 = nan.)
    The fix is :func:`course_lib.numpy_nn.functional.softmax_forward`, which subtracts the
    largest logit first. Kept for the lesson only.

    Shape:
        any -> same.
    """
    e = np.exp(np.asarray(x, dtype=np.float64))
    return e / np.sum(e, axis=axis, keepdims=True)


def naive_log_softmax(x: ArrayLike, axis: int = -1) -> NDArray:
    """log(softmax(x)) in two steps, as written on paper: BREAKS when a probability rounds to 0.

    Even with a stable softmax in the first step, a class 1000 below the best one has probability
    e^-1000, which rounds to exactly 0.0, and log(0) = -inf; its cross-entropy becomes inf instead
    of 1000. Here the first step is :func:`naive_softmax`, so large logits give nan as well.
    The fix is :func:`course_lib.numpy_nn.functional.log_softmax_forward`:
    x_i - logsumexp(x), which never takes the log of a probability. Kept for the lesson only.

    Shape:
        any -> same.
    """
    return np.log(naive_softmax(x, axis=axis))


def naive_sigmoid(x: ArrayLike) -> NDArray:
    """The textbook sigmoid 1 / (1 + e^(-x)), written literally: WARNS for large negative x.

    For x < -709.78, e^(-x) overflows to inf; the result 1 / inf = 0.0 happens to be right, but
    NumPy warns, and a probability of exactly 0.0 (or, for x > 36.7, exactly 1.0, since
    1 + e^-37 rounds to 1) poisons any log taken of it: see :func:`naive_binary_cross_entropy`.
    The stable form is :func:`course_lib.numpy_nn.functional.sigmoid_forward`.

    Shape:
        any -> same.
    """
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def naive_binary_cross_entropy(logits: ArrayLike, target: ArrayLike) -> float:
    """Mean -[y log p + (1 - y) log(1 - p)] with p = 1 / (1 + e^(-x)), as written on paper: BREAKS.

    For x above about 37, p rounds to exactly 1.0 (1 + e^-37 rounds to 1); below about -709.78,
    e^(-x) overflows to inf and p = 1 / inf is exactly 0.0 (the true σ(x) ≈ e^x would still be a
    representable number down to about -745). Then one of the logs is log(0) = -inf:
    - a confident wrong answer (x = -1000, y = 1; or x = 40, y = 0) gives inf instead of 1000 or 40;
    - a confident RIGHT answer (x = 1000, y = 1) gives 0·log(0) = 0·(-inf) = nan instead of 0,
      and a single nan turns the whole mean, and every gradient after it, into nan.
    The fix is :func:`course_lib.numpy_nn.losses.bce_with_logits_forward`, which works with the
    logit directly: max(x, 0) - y·x + log(1 + e^(-|x|)). Kept for the lesson only.

    Shape:
        logits, target: any, the same -> scalar.
    """
    p = naive_sigmoid(logits)
    t = np.asarray(target, dtype=np.float64)
    return float(np.mean(-(t * np.log(p) + (1.0 - t) * np.log(1.0 - p))))
