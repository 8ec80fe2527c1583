"""Losses: each a pure forward / backward pair, and a class in torch.nn's style beside it.

A pair, as cs231n writes them::

    loss, cache = mse_forward(pred, target)    # a Python float, the mean (torch.nn's reduction)
    dpred = mse_backward(1.0, cache)            # dLoss/dpred, given dy = dLoss/dloss (1 at the top)

A class has torch.nn's name, hyperparameters, defaults and reduction, checks its inputs (a shape
mismatch that torch would broadcast with only a warning, pred (N, 1) against target (N,) giving an
(N, N) loss, is an error here), and returns the gradient in the prediction's dtype::

    criterion = CrossEntropyLoss()
    loss = criterion(logits, y)      # a Python float, the mean over the batch
    dlogits = criterion.backward()   # dLoss/dlogits for the last call, same shape as logits
    model.backward(dlogits)

Numerical stability is part of each formula: no exp of a positive number, no log of a probability
that may have rounded to 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from course_lib.numpy_nn import functional as F
from course_lib.validation import as_float_array, class_targets, non_empty, probability_targets, same_shape

__all__ = [
    "BCEWithLogitsLoss", "CrossEntropyLoss", "HuberLoss", "L1Loss", "Loss", "MSELoss", "bce_with_logits_backward",
    "bce_with_logits_forward", "cross_entropy_backward", "cross_entropy_forward", "huber_backward", "huber_forward",
    "l1_backward", "l1_forward", "mse_backward", "mse_forward",
]


# ---- the pairs: forward(pred, target) -> (loss, cache); backward(dy, cache) -> dLoss/dpred ------------


def mse_forward(pred: NDArray, target: NDArray) -> tuple[float, tuple[NDArray]]:
    """Mean squared error, L = mean((pred − target)²) (torch.nn.functional.mse_loss).

    Shape: pred, target: any, the same -> scalar. The cache is ``(pred − target,)``.
    """
    diff = np.asarray(pred) - np.asarray(target)
    return float(np.mean(diff * diff)), (diff,)


def mse_backward(dy: float, cache: tuple[NDArray]) -> NDArray:
    """dpred = dy · 2(pred − target) / n, n the number of elements."""
    (diff,) = cache
    return (dy * 2.0 / diff.size) * diff


def l1_forward(pred: NDArray, target: NDArray) -> tuple[float, tuple[NDArray]]:
    """Mean absolute error, L = mean(|pred − target|) (torch.nn.functional.l1_loss).

    Shape: pred, target: any, the same -> scalar. The cache is ``(sign(pred − target),)``: where
    pred == target the subgradient 0 is used, as torch does.
    """
    diff = np.asarray(pred) - np.asarray(target)
    return float(np.mean(np.abs(diff))), (np.sign(diff),)


def l1_backward(dy: float, cache: tuple[NDArray]) -> NDArray:
    """dpred = dy · sign(pred − target) / n."""
    (sign,) = cache
    return (dy / sign.size) * sign


def huber_forward(pred: NDArray, target: NDArray, delta: float = 1.0) -> tuple[float, tuple[NDArray]]:
    """Huber loss (Huber 1964; torch.nn.functional.huber_loss): quadratic near 0, linear beyond ±δ.

    With d = pred − target: ℓ(d) = ½d² if |d| <= δ, else δ(|d| − ½δ); L = mean ℓ. Outliers pull
    on the fit with a force of at most δ, where MSE's pull grows with the error.

    Shape: pred, target: any, the same -> scalar. The cache is ``(clip(d, −δ, δ),)``, which is ℓ'(d).
    """
    diff = np.asarray(pred) - np.asarray(target)
    abs_diff = np.abs(diff)
    elementwise = np.where(abs_diff <= delta, 0.5 * diff * diff, delta * (abs_diff - 0.5 * delta))
    return float(np.mean(elementwise)), (np.clip(diff, -delta, delta),)


def huber_backward(dy: float, cache: tuple[NDArray]) -> NDArray:
    """dpred = dy · clip(pred − target, −δ, δ) / n."""
    (clipped,) = cache
    return (dy / clipped.size) * clipped


def bce_with_logits_forward(logits: NDArray, target: NDArray) -> tuple[float, tuple[NDArray]]:
    """Binary cross-entropy on logits (torch.nn.functional.binary_cross_entropy_with_logits).

    With p = σ(x): ℓ = −[t log p + (1 − t) log(1 − p)] = softplus(x) − t·x
    = max(x, 0) − t·x + log(1 + e^(−|x|)). That last form never exponentiates a positive number
    and never takes the log of a probability rounded to 0: logits of ±1000 give exact losses.

    Shape: logits, target (probabilities in [0, 1]): any, the same -> scalar. The cache is ``(σ(x) − t,)``.
    """
    x = np.asarray(logits)
    t = np.asarray(target)
    elementwise = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
    p, _ = F.sigmoid_forward(x)
    return float(np.mean(elementwise)), (p - t,)


def bce_with_logits_backward(dy: float, cache: tuple[NDArray]) -> NDArray:
    """dlogits = dy · (σ(x) − t) / n."""
    (residual,) = cache
    return (dy / residual.size) * residual


def cross_entropy_forward(logits: NDArray, target: NDArray,
                          label_smoothing: float = 0.0) -> tuple[float, tuple[NDArray, NDArray, float]]:
    """Softmax cross-entropy with integer class targets (torch.nn.functional.cross_entropy).

    With log p = log_softmax(logits) and ε = label_smoothing (Szegedy et al. 2016):
    ℓ_n = (1 − ε)·(−log p[n, y_n]) + ε·mean_k(−log p[n, k]),  L = mean_n ℓ_n,
    the cross-entropy against the smoothed target q = (1 − ε)·onehot(y) + ε/C. The log-probabilities
    come from ``log_softmax_forward``, so a true class whose probability underflows gives a large
    finite loss, not inf.

    Shape: logits (N, C), target (N,) -> scalar. The cache is ``(softmax(logits), target, ε)``.
    """
    logp, (p, _) = F.log_softmax_forward(logits, axis=1)
    n, c = logp.shape
    loss = -logp[np.arange(n), target]  # ℓ_n with ε = 0: minus the log-probability of the true class
    if label_smoothing:
        loss = (1.0 - label_smoothing) * loss + label_smoothing * (-np.mean(logp, axis=1))
    return float(loss.sum()) / n, (p, np.asarray(target), label_smoothing)  # the mean (np.mean costs 4x more)


def cross_entropy_backward(dy: float, cache: tuple[NDArray, NDArray, float]) -> NDArray:
    """dlogits = dy · (softmax(logits) − q) / N, q the (smoothed) one-hot target."""
    p, target, label_smoothing = cache
    n, c = p.shape
    q = np.full_like(p, label_smoothing / c)
    q[np.arange(n), target] += 1.0 - label_smoothing
    return (dy / n) * (p - q)


# ---- the classes ---------------------------------------------------------------------------------


class Loss:
    """Base class: ``loss = criterion(pred, target)``, then ``dpred = criterion.backward()``.

    A subclass names its pair (``pair``), its settings (``settings``) and, if a regression loss's
    checks do not fit, its own input checks (``check``). ``backward`` may be called more than once;
    it answers for the last forward.
    """

    pair: ClassVar[tuple[Callable[..., Any], Callable[..., Any]]]

    def __init__(self) -> None:
        self._cache: Any = None
        self._pred_dtype: np.dtype | None = None

    def settings(self) -> dict[str, Any]:
        return {}

    def check(self, pred: Any, target: Any) -> tuple[NDArray, NDArray]:
        """Both as float arrays of one shape, not empty (a regression loss's inputs)."""
        name = type(self).__name__
        pred, target = as_float_array(pred, "pred", name), as_float_array(target, "target", name)
        same_shape(pred, target, name)
        non_empty(pred, name)
        return pred, target

    def forward(self, pred: NDArray, target: NDArray) -> float:
        """The mean loss of ``pred`` against ``target``, as a float."""
        pred, target = self.check(pred, target)
        loss, self._cache = type(self).pair[0](pred, target, **self.settings())
        self._pred_dtype = pred.dtype
        return loss

    def backward(self) -> NDArray:
        """dLoss/dpred for the last forward, shaped like pred and in its dtype."""
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward was called before forward: compute "
                               f"loss = criterion(pred, target) first, then dpred = criterion.backward().")
        return type(self).pair[1](1.0, self._cache).astype(self._pred_dtype, copy=False)

    def __call__(self, pred: NDArray, target: NDArray) -> float:
        return self.forward(pred, target)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v}' for k, v in self.settings().items())})"


class MSELoss(Loss):
    """``torch.nn.MSELoss()``'s twin: :func:`mse_forward` / :func:`mse_backward`.  Shape: any, the same -> scalar."""

    pair = (mse_forward, mse_backward)


class L1Loss(Loss):
    """``torch.nn.L1Loss()``'s twin: :func:`l1_forward` / :func:`l1_backward`.  Shape: any, the same -> scalar."""

    pair = (l1_forward, l1_backward)


class HuberLoss(Loss):
    """``torch.nn.HuberLoss(delta=1.0)``'s twin: :func:`huber_forward` / :func:`huber_backward`.

    Args:
        delta: where the loss turns from quadratic to linear, > 0 (torch's name and default).
    """

    pair = (huber_forward, huber_backward)

    def __init__(self, delta: float = 1.0) -> None:
        super().__init__()
        if isinstance(delta, bool) or not isinstance(delta, (int, float, np.integer, np.floating)):
            raise TypeError(f"HuberLoss delta must be a positive number, got {delta!r}.")
        if not (math.isfinite(delta) and delta > 0):
            raise ValueError(f"HuberLoss delta must be a positive, finite number (torch requires delta > 0), got "
                             f"{delta!r}. It is the error size where the loss turns from quadratic to linear; "
                             f"1.0 is the default.")
        self.delta = float(delta)

    def settings(self) -> dict[str, Any]:
        return {"delta": self.delta}


class BCEWithLogitsLoss(Loss):
    """``torch.nn.BCEWithLogitsLoss()``'s twin: :func:`bce_with_logits_forward` / :func:`bce_with_logits_backward`.

    Targets are probabilities in [0, 1], hard labels 0/1 or soft ones (torch's ``weight`` and
    ``pos_weight`` are not offered). Shape: logits, target: any, the same -> scalar.
    """

    pair = (bce_with_logits_forward, bce_with_logits_backward)

    def check(self, logits: Any, target: Any) -> tuple[NDArray, NDArray]:
        logits = as_float_array(logits, "logits", "BCEWithLogitsLoss")
        target = as_float_array(target, "target", "BCEWithLogitsLoss")
        same_shape(logits, target, "BCEWithLogitsLoss", pred_name="logits")
        non_empty(logits, "BCEWithLogitsLoss", pred_name="logits")
        probability_targets(target)
        return logits, target


class CrossEntropyLoss(Loss):
    """``torch.nn.CrossEntropyLoss(label_smoothing=0.0)``'s twin: :func:`cross_entropy_forward` / ``_backward``.

    The softmax is inside the loss: pass raw logits, not probabilities.

    Args:
        label_smoothing: ε in [0, 1]; 0 gives hard targets (torch's name and default).

    Shape:
        logits: (N, C); target: (N,) integer class indices in [0, C) -> scalar.
    """

    pair = (cross_entropy_forward, cross_entropy_backward)

    def __init__(self, label_smoothing: float = 0.0) -> None:
        super().__init__()
        if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float, np.integer, np.floating)):
            raise TypeError(f"CrossEntropyLoss label_smoothing must be a number in [0, 1], got {label_smoothing!r}.")
        if not 0.0 <= label_smoothing <= 1.0:  # False for NaN too
            raise ValueError(f"CrossEntropyLoss label_smoothing must be in [0, 1], as in torch, got "
                             f"{label_smoothing!r}. 0.0 means hard targets; 0.1 is a common choice.")
        self.label_smoothing = float(label_smoothing)

    def settings(self) -> dict[str, Any]:
        return {"label_smoothing": self.label_smoothing}

    def check(self, logits: Any, target: Any) -> tuple[NDArray, NDArray]:
        logits = as_float_array(logits, "logits", "CrossEntropyLoss")
        return logits, class_targets(logits, target)

    def __repr__(self) -> str:
        return f"CrossEntropyLoss(label_smoothing={self.label_smoothing})" if self.label_smoothing else "CrossEntropyLoss()"
