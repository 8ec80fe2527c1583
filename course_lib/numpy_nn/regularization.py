"""Regularisation for the NumPy models: L1/L2 penalties, gradient clipping, early stopping.

The penalties come in pairs, like the functional forward/backward pairs: ``l2_penalty`` is the
value added to the loss, ``l2_penalty_grad`` adds its gradient to each parameter's ``.grad`` after
``model.backward``. ``EarlyStopping`` is a training callback that works unchanged with a NumPy
:class:`~course_lib.numpy_nn.layers.Layer` and with a torch ``nn.Module``; the torch twin module
re-exports this same class.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from course_lib.numpy_nn.module import Parameter
from course_lib.validation import clip_args, floating_grad, real, strength

__all__ = [
    "EarlyStopping",
    "clip_grad_norm_",
    "l1_penalty",
    "l1_penalty_grad",
    "l2_penalty",
    "l2_penalty_grad",
]


def _as_list(params: Parameter | Iterable[Parameter], who: str) -> list[Parameter]:
    params = [params] if isinstance(params, Parameter) else list(params)
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise TypeError(
                f"{who} takes Parameter objects (e.g. model.parameters()); item {i} is "
                f"{type(p).__name__}."
            )
    return params


def _add_penalty_grad(params: Iterable[Parameter], lam: float, shape: Callable[[NDArray], NDArray], who: str) -> list[NDArray]:
    """Add λ·shape(θ) to every ``.grad`` (None counts as zero); return the added gradients."""
    grads = []
    for p in _as_list(params, who):
        g = lam * shape(p.data)
        p.grad = g.copy() if p.grad is None else p.grad + g
        grads.append(g)
    return grads


# ------------------------------------------------------------------------------------------------
# Penalties
# ------------------------------------------------------------------------------------------------


def l1_penalty(params: Iterable[Parameter], lam: float) -> float:
    """L1 penalty (lasso): Ω = λ Σ|θ|, summed over every entry of every parameter.

    Its gradient λ·sign(θ) has the same size however small θ is, so it pushes weights all the way
    to zero: L1 makes weights sparse. Pass the parameters you want penalised; commonly the weights
    and not the biases.

    Args:
        params: the parameters, e.g. ``model.parameters()``.
        lam: the strength λ >= 0.

    Returns:
        The penalty, a float to add to the loss.
    """
    lam = strength("l1_penalty", lam)
    return lam * float(sum(np.abs(p.data).sum() for p in _as_list(params, "l1_penalty")))


def l1_penalty_grad(params: Iterable[Parameter], lam: float) -> list[NDArray]:
    """Add ∂Ω/∂θ = λ·sign(θ) to each parameter's ``.grad``, in place (sign(0) = 0, as torch's abs).

    Call it after ``model.backward``; a ``.grad`` that is None is treated as zero.

    Args:
        params: the parameters, e.g. ``model.parameters()``.
        lam: the strength λ >= 0.

    Returns:
        The penalty's gradients, one array per parameter (already added to ``.grad``).
    """
    return _add_penalty_grad(params, strength("l1_penalty_grad", lam), np.sign, "l1_penalty_grad")


def l2_penalty(params: Iterable[Parameter], lam: float) -> float:
    """L2 penalty (ridge, weight decay): Ω = (λ/2) Σθ².

    The ½ makes the gradient exactly λθ, which is what SGD's ``weight_decay=λ`` adds to every
    gradient: with plain SGD, adding this penalty to the loss and setting weight_decay=λ take the
    same steps, θ ← θ − lr·(g + λθ), each step shrinking θ by the factor (1 − lr·λ). With Adam the
    two differ (the penalty's gradient is rescaled by Adam's denominator); AdamW decouples the
    decay again (Loshchilov & Hutter, 2019).

    Args:
        params: the parameters, e.g. ``model.parameters()``.
        lam: the strength λ >= 0.

    Returns:
        The penalty, a float to add to the loss.
    """
    lam = strength("l2_penalty", lam)
    return 0.5 * lam * float(sum(np.square(p.data).sum() for p in _as_list(params, "l2_penalty")))


def l2_penalty_grad(params: Iterable[Parameter], lam: float) -> list[NDArray]:
    """Add ∂Ω/∂θ = λθ to each parameter's ``.grad``, in place (the same term as weight_decay=λ).

    Args and Returns as :func:`l1_penalty_grad`.
    """
    return _add_penalty_grad(params, strength("l2_penalty_grad", lam), lambda w: w, "l2_penalty_grad")


# ------------------------------------------------------------------------------------------------
# Gradient clipping
# ------------------------------------------------------------------------------------------------


def clip_grad_norm_(
    params: Parameter | Iterable[Parameter],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Rescale all gradients together so that their joint norm is at most ``max_norm``, in place.

    total = ‖(‖g₁‖, ‖g₂‖, ...)‖ (the p-norm of all gradient entries as one vector; max |g| for
    p = inf); every grad is multiplied by min(1, max_norm / (total + 1e-6)). The direction of the
    step is kept, only its length is capped, which tames exploding gradients (Pascanu et al.,
    2013). Same result as torch.nn.utils.clip_grad_norm_; parameters whose grad is None are skipped.

    Args:
        params: a Parameter or an iterable of them, e.g. ``model.parameters()``.
        max_norm: the largest norm allowed, > 0.
        norm_type: p of the p-norm, > 0; ``float("inf")`` (or ``"inf"``) for the max norm.
        error_if_nonfinite: raise if the total norm is nan or inf (torch's option).

    Returns:
        The total norm before clipping, a float.
    """
    max_norm, norm_type = clip_args(max_norm, norm_type)
    params = _as_list(params, "clip_grad_norm_")
    for index, p in enumerate(params):
        if p.grad is not None:
            floating_grad("clip_grad_norm_", index, p.grad)
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return 0.0
    if math.isinf(norm_type):
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    else:
        norms = np.array([np.sum(np.abs(g) ** norm_type) ** (1.0 / norm_type) for g in grads])
        total = float(np.sum(norms**norm_type) ** (1.0 / norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} of the gradients is {total}, so they cannot be "
            f"clipped. Look for a diverging loss (lower the learning rate), or set "
            f"error_if_nonfinite=False."
        )
    coef = min(max_norm / (total + 1e-6), 1.0)
    for g in grads:
        g *= coef
    return total


# ------------------------------------------------------------------------------------------------
# Early stopping
# ------------------------------------------------------------------------------------------------


def _deep_copy_state(state: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a state_dict that shares no memory with the model (NumPy arrays or tensors)."""
    out = {}
    for name, value in state.items():
        if hasattr(value, "detach") and hasattr(value, "clone"):  # a torch tensor, without importing torch
            out[name] = value.detach().clone()
        elif isinstance(value, (np.ndarray, np.generic, int, float)):
            out[name] = np.array(value, copy=True)
        else:
            out[name] = copy.deepcopy(value)
    return out


class EarlyStopping:
    """Stop training when a monitored metric has stopped improving, and keep the best weights.

    An epoch improves on the best so far when (mode "min") value < best − min_delta, or (mode
    "max") value > best + min_delta. After ``patience`` epochs in a row without improvement,
    ``on_epoch_end`` returns True. With ``restore_best_weights`` the weights of the best epoch are
    copied (``model.state_dict()``, deep copies) and loaded back in ``on_train_end``, whether or not
    training stopped early. Works with a NumPy Layer and with a torch nn.Module alike.

    The protocol both training loops call::

        stopper.on_train_begin(model)
        for epoch in ...:
            ...
            if stopper.on_epoch_end(epoch, {"loss": ..., "val_loss": ...}, model):
                break
        stopper.on_train_end(model)

    Args:
        monitor: the key of ``logs`` to watch.
        patience: epochs without improvement tolerated before stopping (0: stop at the first one).
        min_delta: the smallest change that counts as an improvement, >= 0.
        mode: ``"min"``, ``"max"``, or ``"auto"`` (max if "acc" is in the monitored name, else min).
        restore_best_weights: load the best epoch's weights back at the end of training.

    Attributes:
        best: the best value seen (±inf before the first epoch).
        best_epoch: the epoch that reached it (None before the first epoch).
        stopped_epoch: the epoch at which stopping was requested, None if it was not.
        wait: epochs since the last improvement.
        best_weights: the copied state_dict of the best epoch, or None.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        *,
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = True,
    ) -> None:
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an integer >= 0; got {patience!r}.")
        real("min_delta", min_delta)
        if not min_delta >= 0:
            raise ValueError(
                f"EarlyStopping: min_delta must be >= 0 (it is a size; the direction comes from mode); "
                f"got {min_delta}."
            )
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'auto', 'min' or 'max'; got {mode!r}.")
        self.monitor = monitor
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.mode = ("max" if "acc" in monitor else "min") if mode == "auto" else mode
        self.restore_best_weights = restore_best_weights
        self._reset()

    def _reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.wait = 0
        self.best_weights: dict[str, Any] | None = None

    def _improves(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_train_begin(self, model: Any) -> None:
        """Forget any previous run."""
        self._reset()

    def on_epoch_end(self, epoch: int, logs: Mapping[str, float], model: Any) -> bool:
        """Record this epoch's value of the monitored metric; True means: stop training now."""
        if self.monitor not in logs:
            raise KeyError(
                f"EarlyStopping monitors {self.monitor!r}, which is not in this epoch's logs; "
                f"available: {sorted(logs)}. Pass monitor= one of these."
            )
        value = float(logs[self.monitor])
        if self._improves(value):  # nan never improves
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = _deep_copy_state(model.state_dict())
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, model: Any) -> None:
        """Load the best epoch's weights back into the model (with restore_best_weights)."""
        if self.restore_best_weights and self.best_weights is not None:
            model.load_state_dict(self.best_weights)

    def __repr__(self) -> str:
        return (
            f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
            f"min_delta={self.min_delta}, mode={self.mode!r}, "
            f"restore_best_weights={self.restore_best_weights})"
        )
