"""Regularisation for the torch models: L1/L2 penalties, gradient clipping, early stopping.

The twins of course_lib.numpy_nn.regularization. Here the penalties return a scalar tensor that is
added to the loss, and autograd computes their gradients, so there are no ``*_grad`` functions.
``clip_grad_norm_`` is torch.nn.utils' own (the NumPy one reproduces its result) after the NumPy twin's
argument checks (torch would flip the gradients for a negative ``max_norm``), and
``EarlyStopping`` is the very same class as the NumPy one: it works with an ``nn.Module`` too.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch.nn import utils

from course_lib.numpy_nn.regularization import EarlyStopping
from course_lib.validation import clip_args, strength

__all__ = ["EarlyStopping", "clip_grad_norm_", "l1_penalty", "l2_penalty"]


def _check(params: Iterable[torch.Tensor], lam: float, who: str) -> list[torch.Tensor]:
    strength(who, lam)
    params = [params] if isinstance(params, torch.Tensor) else list(params)
    for i, p in enumerate(params):
        if not isinstance(p, torch.Tensor):
            raise TypeError(f"{who} takes tensors (e.g. model.parameters()); item {i} is {type(p).__name__}.")
    return params


def _zero(params: list[torch.Tensor]) -> torch.Tensor:
    """0 with the first parameter's dtype and device (so an empty list gives 0, as in NumPy)."""
    return torch.zeros((), dtype=params[0].dtype, device=params[0].device) if params else torch.zeros(())


def l1_penalty(params: Iterable[torch.Tensor], lam: float) -> torch.Tensor:
    """L1 penalty: Ω = λ Σ|θ| over every entry of every parameter; add it to the loss.

    Args:
        params: the parameters, e.g. ``model.parameters()`` (commonly only the weights).
        lam: the strength λ >= 0.

    Returns:
        A scalar tensor on the parameters' device; autograd gives λ·sign(θ).
    """
    params = _check(params, lam, "l1_penalty")
    return lam * sum((p.abs().sum() for p in params), _zero(params))


def l2_penalty(params: Iterable[torch.Tensor], lam: float) -> torch.Tensor:
    """L2 penalty: Ω = (λ/2) Σθ²; add it to the loss.

    The ½ makes the gradient λθ, exactly what ``torch.optim.SGD(weight_decay=λ)`` adds.

    Args:
        params: the parameters, e.g. ``model.parameters()`` (commonly only the weights).
        lam: the strength λ >= 0.

    Returns:
        A scalar tensor on the parameters' device; autograd gives λθ.
    """
    params = _check(params, lam, "l2_penalty")
    return 0.5 * lam * sum((p.pow(2).sum() for p in params), _zero(params))


def clip_grad_norm_(parameters: torch.Tensor | Iterable[torch.Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> torch.Tensor:
    """``torch.nn.utils.clip_grad_norm_``, refusing what ``numpy_nn.regularization.clip_grad_norm_`` refuses."""
    max_norm, norm_type = clip_args(max_norm, norm_type)
    return utils.clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite=error_if_nonfinite, foreach=foreach)
