"""Loss objects in torch.nn's style, on top of the pure pairs in ``functional.py``.

    criterion = CrossEntropyLoss()
    loss = criterion(logits, y)      # a Python float, the mean over the batch
    dlogits = criterion.backward()   # dLoss/dlogits for the last call, same shape as logits
    model.backward(dlogits)

Each class has torch.nn's name, hyperparameter names, defaults and reduction (the mean), so its
value and gradient can be compared with torch's one for one. Unlike the functional core, the
classes check their inputs and say what went wrong: a shape mismatch that torch would broadcast
(with only a warning, e.g. pred (N, 1) against target (N,) gives an (N, N) loss) is an error here.

The gradient comes back in the prediction's dtype, so a float32 model stays in float32.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from course_lib.numpy_nn import functional as F

__all__ = [
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "HuberLoss",
    "L1Loss",
    "Loss",
    "MSELoss",
]


class Loss:
    """Base class: ``loss = criterion(pred, target)``, then ``dpred = criterion.backward()``.

    Subclasses implement ``forward`` (check the inputs, call a ``functional`` forward, keep its
    cache with :meth:`_remember`) and ``backward`` (call the matching ``functional`` backward on
    :meth:`_recall`). ``backward`` may be called more than once; it always answers for the last
    forward.
    """

    def __init__(self) -> None:
        self._cache: Any = None
        self._pred_dtype: np.dtype | None = None

    def forward(self, pred: NDArray, target: NDArray) -> float:
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self) -> NDArray:
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def __call__(self, pred: NDArray, target: NDArray) -> float:
        return self.forward(pred, target)

    def _remember(self, cache: Any, pred: NDArray) -> None:
        self._cache = cache
        self._pred_dtype = pred.dtype

    def _recall(self) -> Any:
        if self._cache is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward was called before forward: compute "
                f"loss = criterion(pred, target) first, then dpred = criterion.backward()."
            )
        return self._cache

    def _in_pred_dtype(self, dpred: NDArray) -> NDArray:
        return dpred.astype(self._pred_dtype, copy=False)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


# ------------------------------------------------------------------------------------------------
# Input checks shared by the classes
# ------------------------------------------------------------------------------------------------


def _as_float_array(value: Any, what: str, owner: str) -> NDArray:
    """``value`` as a floating array (integers and booleans become float64)."""
    array = np.asarray(value)
    if array.dtype == np.bool_ or np.issubdtype(array.dtype, np.integer):
        return array.astype(np.float64)
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(
            f"{owner}: {what} must be an array of real numbers, got dtype {array.dtype}. "
            f"Pass a NumPy float array, e.g. np.asarray({what}, dtype=np.float64)."
        )
    return array


def _check_same_shape(pred: NDArray, target: NDArray, owner: str, pred_name: str = "pred") -> None:
    if pred.shape != target.shape:
        hint = ""
        if pred.size == target.size:
            hint = (
                f" They hold the same number of elements: reshape one, e.g. "
                f"target.reshape({pred_name}.shape)."
            )
        raise ValueError(
            f"{owner}: {pred_name} and target must have the same shape, got {pred_name} {pred.shape} "
            f"and target {target.shape}. torch would broadcast them with only a warning, computing "
            f"a loss over every pair of elements.{hint}"
        )


def _check_not_empty(pred: NDArray, owner: str, pred_name: str = "pred") -> None:
    if pred.size == 0:
        raise ValueError(
            f"{owner}: {pred_name} is empty (shape {pred.shape}); the mean over no elements is "
            f"undefined. Pass a batch with at least one example."
        )


# ------------------------------------------------------------------------------------------------
# Regression losses
# ------------------------------------------------------------------------------------------------


class MSELoss(Loss):
    """Mean squared error, the twin of ``torch.nn.MSELoss()`` (reduction="mean").

    L = (1/n) Σ_i (pred_i - target_i)²,  dL/dpred = 2(pred - target)/n, n = pred.size.

    Shape:
        pred, target: any shape, the same -> scalar.
    """

    def forward(self, pred: NDArray, target: NDArray) -> float:
        """The mean squared error of ``pred`` against ``target``, as a float."""
        pred = _as_float_array(pred, "pred", "MSELoss")
        target = _as_float_array(target, "target", "MSELoss")
        _check_same_shape(pred, target, "MSELoss")
        _check_not_empty(pred, "MSELoss")
        loss, cache = F.mse_forward(pred, target)
        self._remember(cache, pred)
        return loss

    def backward(self) -> NDArray:
        """dLoss/dpred for the last forward, shaped like pred."""
        return self._in_pred_dtype(F.mse_backward(self._recall()))


class L1Loss(Loss):
    """Mean absolute error, the twin of ``torch.nn.L1Loss()`` (reduction="mean").

    L = (1/n) Σ_i |pred_i - target_i|,  dL/dpred = sign(pred - target)/n, with the subgradient 0
    where pred == target, as torch uses.

    Shape:
        pred, target: any shape, the same -> scalar.
    """

    def forward(self, pred: NDArray, target: NDArray) -> float:
        """The mean absolute error of ``pred`` against ``target``, as a float."""
        pred = _as_float_array(pred, "pred", "L1Loss")
        target = _as_float_array(target, "target", "L1Loss")
        _check_same_shape(pred, target, "L1Loss")
        _check_not_empty(pred, "L1Loss")
        loss, cache = F.l1_forward(pred, target)
        self._remember(cache, pred)
        return loss

    def backward(self) -> NDArray:
        """dLoss/dpred for the last forward, shaped like pred."""
        return self._in_pred_dtype(F.l1_backward(self._recall()))


class HuberLoss(Loss):
    """Huber loss, the twin of ``torch.nn.HuberLoss(delta=1.0)`` (reduction="mean").

    With d = pred - target: ℓ(d) = ½d² if |d| <= δ, else δ(|d| - ½δ); L = mean ℓ;
    dL/dpred = clip(d, -δ, δ)/n. Quadratic like MSE for small errors, linear like L1 for large
    ones, so outliers cannot dominate the gradient.

    Reference: Huber, "Robust estimation of a location parameter", 1964.

    Args:
        delta: where the loss turns from quadratic to linear; must be > 0 (torch's name and
            default).

    Shape:
        pred, target: any shape, the same -> scalar.
    """

    def __init__(self, delta: float = 1.0) -> None:
        super().__init__()
        if isinstance(delta, bool) or not isinstance(delta, (int, float, np.integer, np.floating)):
            raise TypeError(f"HuberLoss delta must be a positive number, got {delta!r}.")
        if not (math.isfinite(delta) and delta > 0):
            raise ValueError(
                f"HuberLoss delta must be a positive, finite number (torch requires delta > 0), got "
                f"{delta!r}. It is the error size where the loss turns from quadratic to linear; "
                f"1.0 is the default."
            )
        self.delta = float(delta)

    def forward(self, pred: NDArray, target: NDArray) -> float:
        """The Huber loss of ``pred`` against ``target``, as a float."""
        pred = _as_float_array(pred, "pred", "HuberLoss")
        target = _as_float_array(target, "target", "HuberLoss")
        _check_same_shape(pred, target, "HuberLoss")
        _check_not_empty(pred, "HuberLoss")
        loss, cache = F.huber_forward(pred, target, delta=self.delta)
        self._remember(cache, pred)
        return loss

    def backward(self) -> NDArray:
        """dLoss/dpred for the last forward, shaped like pred."""
        return self._in_pred_dtype(F.huber_backward(self._recall()))

    def extra_repr(self) -> str:
        return f"delta={self.delta}"


# ------------------------------------------------------------------------------------------------
# Classification losses
# ------------------------------------------------------------------------------------------------


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy on logits, the twin of ``torch.nn.BCEWithLogitsLoss()``.

    With p = σ(x): L = mean(-[t log p + (1 - t) log(1 - p)]) = mean(softplus(x) - t·x);
    dL/dx = (σ(x) - t)/n. Taking logits rather than probabilities is what makes it stable: the
    loss at x = ±1000 is exact and finite.

    Targets are probabilities in [0, 1]: hard labels 0/1 or soft labels. (torch's ``weight`` and
    ``pos_weight`` are not offered.)

    Shape:
        logits, target: any shape, the same -> scalar.
    """

    def forward(self, logits: NDArray, target: NDArray) -> float:
        """The mean binary cross-entropy of ``logits`` against probabilities ``target``."""
        logits = _as_float_array(logits, "logits", "BCEWithLogitsLoss")
        target = _as_float_array(target, "target", "BCEWithLogitsLoss")
        _check_same_shape(logits, target, "BCEWithLogitsLoss", pred_name="logits")
        _check_not_empty(logits, "BCEWithLogitsLoss", pred_name="logits")
        inside = (target >= 0) & (target <= 1)  # False for NaN too
        if not np.all(inside):
            bad = float(target[~inside].flat[0])
            raise ValueError(
                f"BCEWithLogitsLoss: targets must be probabilities in [0, 1], got {bad!r} "
                f"({np.count_nonzero(~inside)} of {target.size} targets are outside [0, 1]). "
                f"Labels in {{-1, +1}} map to {{0, 1}} with (y + 1) / 2."
            )
        loss, cache = F.bce_with_logits_forward(logits, target)
        self._remember(cache, logits)
        return loss

    def backward(self) -> NDArray:
        """dLoss/dlogits for the last forward, shaped like the logits."""
        return self._in_pred_dtype(F.bce_with_logits_backward(self._recall()))


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy on logits with integer class targets, the twin of
    ``torch.nn.CrossEntropyLoss(label_smoothing=0.0)`` (reduction="mean").

    With log p = log_softmax(logits) and ε = label_smoothing:
    L = mean_n[(1 - ε)(-log p[n, y_n]) + ε·mean_k(-log p[n, k])];  dL/dlogits = (p - q)/N,
    q = (1 - ε)·onehot(y) + ε/C the smoothed target. The softmax is inside the loss: pass raw
    logits, not probabilities.

    Reference (label smoothing): Szegedy et al., "Rethinking the Inception architecture for
    computer vision", 2016.

    Args:
        label_smoothing: ε in [0, 1]; 0 gives hard targets (torch's name and default).

    Shape:
        logits: (N, C); target: (N,) integer class indices in [0, C) -> scalar.
    """

    def __init__(self, label_smoothing: float = 0.0) -> None:
        super().__init__()
        if isinstance(label_smoothing, bool) or not isinstance(
            label_smoothing, (int, float, np.integer, np.floating)
        ):
            raise TypeError(
                f"CrossEntropyLoss label_smoothing must be a number in [0, 1], got {label_smoothing!r}."
            )
        if not 0.0 <= label_smoothing <= 1.0:  # False for NaN too
            raise ValueError(
                f"CrossEntropyLoss label_smoothing must be in [0, 1], as in torch, got "
                f"{label_smoothing!r}. 0.0 means hard targets; 0.1 is a common choice."
            )
        self.label_smoothing = float(label_smoothing)

    def forward(self, logits: NDArray, target: NDArray) -> float:
        """The mean cross-entropy of ``logits`` against class indices ``target``, as a float."""
        logits = _as_float_array(logits, "logits", "CrossEntropyLoss")
        target = np.asarray(target)
        if logits.ndim != 2:
            hint = " For a single example use logits[None, :]." if logits.ndim == 1 else ""
            raise ValueError(
                f"CrossEntropyLoss expects logits of shape (N, C), one row of C class scores per "
                f"example, got shape {logits.shape}.{hint}"
            )
        n, c = logits.shape
        _check_not_empty(logits, "CrossEntropyLoss", pred_name="logits")
        if target.ndim != 1:
            hint = (
                " They have the logits' shape, as one-hot or probability targets do: pass class "
                "indices instead, e.g. y.argmax(axis=1)."
                if target.shape == logits.shape
                else ""
            )
            raise ValueError(
                f"CrossEntropyLoss expects targets of shape (N,), one class index per example, got "
                f"shape {target.shape}.{hint}"
            )
        if not np.issubdtype(target.dtype, np.integer):
            raise TypeError(
                f"CrossEntropyLoss expects integer class indices as targets, got dtype "
                f"{target.dtype}. Convert them with y.astype(np.int64)."
            )
        if len(target) != n:
            raise ValueError(
                f"CrossEntropyLoss: logits hold N = {n} examples but target holds {len(target)} "
                f"labels; pass one label per row of logits."
            )
        outside = (target < 0) | (target >= c)
        if np.any(outside):
            bad = int(target[outside][0])
            raise ValueError(
                f"CrossEntropyLoss: target contains label {bad}, but the logits have C = {c} "
                f"classes, so labels must be in [0, {c}). Check the number of outputs of the last "
                f"layer, or remap the labels to 0..{c - 1}."
            )
        loss, cache = F.cross_entropy_forward(logits, target, label_smoothing=self.label_smoothing)
        self._remember(cache, logits)
        return loss

    def backward(self) -> NDArray:
        """dLoss/dlogits for the last forward, shape (N, C)."""
        return self._in_pred_dtype(F.cross_entropy_backward(self._recall()))

    def extra_repr(self) -> str:
        return f"label_smoothing={self.label_smoothing}" if self.label_smoothing else ""
