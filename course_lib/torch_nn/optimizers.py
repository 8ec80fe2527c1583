"""The PyTorch twins of ``course_lib.numpy_nn.optimizers``, written out on tensors.

Each class is a ``torch.optim.Optimizer`` subclass with torch's name, signature and defaults, and its
``step`` spells the update out with in-place tensor operations instead of calling torch.optim's
functional code. What this shows about optimizers on tensors:

* ``self.param_groups`` is a list of dicts, each with its own ``"params"`` and hyperparameters
  (``"lr"``, ...). Schedulers change ``group["lr"]``; ``step`` reads the values from the group.
* ``self.state[p]`` is a dict per parameter, filled on its first step. Its tensors are made with
  ``torch.zeros_like(p)``, so they live on the parameter's device and have its dtype: the optimizer
  never moves anything, and the code never names a device.
* ``step`` runs under ``torch.no_grad()``: the update itself must not be recorded by autograd. It
  accepts an optional ``closure`` that re-evaluates the loss, as torch's optimizers do.
* Updates are in place (``mul_``, ``add_``) so that no new parameter tensor is created and the
  model keeps pointing at the same storage, also on the GPU.

The state uses the same names as the NumPy twin's NamedTuples (``t``, ``m``, ``v``, ``v_max``,
``sum``, ``square_avg``, ``momentum_buffer``, ``grad_avg``); the step count ``t`` is a Python int.
The algorithms, and where torch's convention differs from each paper, are written out in
``course_lib.numpy_nn.optimizers``; the validation (and its messages) is shared with it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import torch

from course_lib.numpy_nn.optimizers import (
    _validate_adagrad,
    _validate_adam,
    _validate_rmsprop,
    _validate_sgd,
)

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "RMSprop"]

Params = Iterable[torch.Tensor] | Iterable[dict[str, Any]]


def _check_params(params: Params, owner: str) -> list[Any]:
    """The params as a list, after the checks torch does, with messages that say what to pass."""
    if isinstance(params, torch.Tensor):
        raise TypeError(
            f"{owner} expects an iterable of tensors, got a single tensor. Pass model.parameters(), "
            f"or wrap one tensor in a list: [tensor]."
        )
    if not isinstance(params, Iterable):
        raise TypeError(
            f"{owner} expects an iterable of tensors, got {type(params).__name__}. "
            f"Pass model.parameters() of a torch.nn.Module."
        )
    params = list(params)
    if not params:
        raise ValueError(
            "optimizer got an empty parameter list. Pass model.parameters() of a model that has "
            "trainable parameters (a model made only of activations has none)."
        )
    # Parameter groups are dicts; list their params now, so a generator is not used up by the check.
    params = [_listed_group(item) if isinstance(item, dict) else item for item in params]
    for item in params:
        for p in item["params"] if isinstance(item, dict) else [item]:
            if not isinstance(p, torch.Tensor):
                numpy_hint = (
                    " For course_lib.numpy_nn parameters use course_lib.numpy_nn.optimizers."
                    if type(p).__module__.startswith("course_lib.numpy_nn")
                    else ""
                )
                raise TypeError(
                    f"{owner} can only optimize torch tensors, but one of the params is "
                    f"{type(p).__name__}. Pass model.parameters() of a torch.nn.Module.{numpy_hint}"
                )
    return params


def _listed_group(group: dict[str, Any]) -> dict[str, Any]:
    if "params" not in group:
        raise ValueError(f"a parameter group must have a 'params' key, got keys {sorted(group)}.")
    tensors = group["params"]
    return {**group, "params": [tensors] if isinstance(tensors, torch.Tensor) else list(tensors)}


def _loss_of(closure: Callable[[], torch.Tensor] | None) -> torch.Tensor | None:
    if closure is None:
        return None
    with torch.enable_grad():  # step runs under no_grad, but the closure must build a graph
        return closure()


def _grad_of(p: torch.Tensor, owner: str) -> torch.Tensor:
    if p.grad.is_sparse:
        raise RuntimeError(
            f"{owner} does not support sparse gradients; use dense gradients "
            f"(e.g. nn.Embedding(..., sparse=False)) or torch.optim.SparseAdam."
        )
    return p.grad


class SGD(torch.optim.Optimizer):
    """Stochastic gradient descent with momentum (Polyak 1964; Nesterov as in Sutskever et al. 2013).

    torch's convention (μ = momentum, τ = dampening, λ = weight_decay)::

        g ← g + λ p
        b ← g (first step),  b ← μ b + (1 − τ) g (later)
        d ← g + μ b (nesterov),  d ← b (otherwise)
        p ← p − lr · d

    See ``course_lib.numpy_nn.optimizers.SGD`` for how this differs from Sutskever's form.

    Args:
        params: ``model.parameters()``, or a list of parameter-group dicts.
        lr, momentum, dampening, weight_decay, nesterov: as in ``torch.optim.SGD``.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
    ) -> None:
        _validate_sgd(lr, momentum, dampening, weight_decay, nesterov)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
        super().__init__(_check_params(params, "SGD"), defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        """One SGD step on every parameter that has a gradient; returns the closure's loss, if any."""
        loss = _loss_of(closure)
        for group in self.param_groups:
            lr, mu, tau = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov = group["weight_decay"], group["nesterov"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = _grad_of(p, "SGD")
                if weight_decay != 0:
                    g = g + weight_decay * p  # a new tensor: p.grad itself is left alone
                if mu != 0:
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = g.clone()  # first step: b = g, undamped
                    else:
                        state["momentum_buffer"].mul_(mu).add_(g, alpha=1 - tau)
                    b = state["momentum_buffer"]
                    g = g + mu * b if nesterov else b
                p.add_(g, alpha=-lr)
        return loss


class Adagrad(torch.optim.Optimizer):
    """Adagrad (Duchi, Hazan & Singer 2011), in torch's convention (λ = weight_decay)::

        t ← t + 1,  g ← g + λ p
        lr_t ← lr / (1 + (t − 1) · lr_decay)
        sum ← sum + g²                 (sum starts at initial_accumulator_value)
        p ← p − lr_t · g / (√sum + eps)

    Args:
        params: ``model.parameters()``, or a list of parameter-group dicts.
        lr, lr_decay, weight_decay, initial_accumulator_value, eps: as in ``torch.optim.Adagrad``.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 0.01,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
    ) -> None:
        _validate_adagrad(lr, lr_decay, weight_decay, eps, initial_accumulator_value)
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        super().__init__(_check_params(params, "Adagrad"), defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        """One Adagrad step on every parameter that has a gradient; returns the closure's loss, if any."""
        loss = _loss_of(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = _grad_of(p, "Adagrad")
                state = self.state[p]
                if not state:
                    state["t"] = 0
                    state["sum"] = torch.full_like(p, group["initial_accumulator_value"])
                state["t"] += 1
                t, sum_ = state["t"], state["sum"]
                if group["weight_decay"] != 0:
                    g = g + group["weight_decay"] * p
                lr_t = group["lr"] / (1 + (t - 1) * group["lr_decay"])
                sum_.addcmul_(g, g)
                p.addcdiv_(g, sum_.sqrt().add_(group["eps"]), value=-lr_t)
        return loss


class RMSprop(torch.optim.Optimizer):
    """RMSprop (Hinton, Coursera lecture 6e, 2012), in torch's convention (α = alpha, μ = momentum)::

        g ← g + λ p
        v ← α v + (1 − α) g²                          (square_avg)
        ḡ ← α ḡ + (1 − α) g,  s ← √(v − ḡ²) + eps     (centered; grad_avg)
        s ← √v + eps                                  (otherwise)
        b ← μ b + g / s,  p ← p − lr · b   (μ > 0);   p ← p − lr · g / s   (μ = 0)

    Args:
        params: ``model.parameters()``, or a list of parameter-group dicts.
        lr, alpha, eps, weight_decay, momentum, centered: as in ``torch.optim.RMSprop``.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
    ) -> None:
        _validate_rmsprop(lr, alpha, eps, weight_decay, momentum)
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered)
        super().__init__(_check_params(params, "RMSprop"), defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        """One RMSprop step on every parameter that has a gradient; returns the closure's loss, if any."""
        loss = _loss_of(closure)
        for group in self.param_groups:
            lr, alpha, eps, mu = group["lr"], group["alpha"], group["eps"], group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = _grad_of(p, "RMSprop")
                state = self.state[p]
                if not state:
                    state["square_avg"] = torch.zeros_like(p)
                    state["momentum_buffer"] = torch.zeros_like(p) if mu > 0 else None
                    state["grad_avg"] = torch.zeros_like(p) if group["centered"] else None
                if group["weight_decay"] != 0:
                    g = g + group["weight_decay"] * p
                v = state["square_avg"]
                v.mul_(alpha).addcmul_(g, g, value=1 - alpha)
                if group["centered"]:
                    g_avg = state["grad_avg"]
                    g_avg.mul_(alpha).add_(g, alpha=1 - alpha)
                    s = (v - g_avg * g_avg).sqrt_().add_(eps)
                else:
                    s = v.sqrt().add_(eps)
                if mu > 0:
                    b = state["momentum_buffer"]
                    b.mul_(mu).addcdiv_(g, s)
                    p.add_(b, alpha=-lr)
                else:
                    p.addcdiv_(g, s, value=-lr)
        return loss


class Adam(torch.optim.Optimizer):
    """Adam (Kingma & Ba 2015), with optional L2 penalty and AMSGrad, in torch's convention::

        t ← t + 1,  g ← g + λ p
        m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²
        v_max ← max(v_max, v), used in place of v    (amsgrad)
        p ← p − lr · m / (1 − β1^t) / (√v / √(1 − β2^t) + eps)

    Args:
        params: ``model.parameters()``, or a list of parameter-group dicts.
        lr, betas, eps, weight_decay, amsgrad: as in ``torch.optim.Adam``.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
    ) -> None:
        _validate_adam(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        super().__init__(_check_params(params, "Adam"), defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        """One Adam step on every parameter that has a gradient; returns the closure's loss, if any."""
        loss = _loss_of(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps, amsgrad = group["lr"], group["betas"], group["eps"], group["amsgrad"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = _grad_of(p, "Adam")
                state = self.state[p]
                if not state:
                    state["t"] = 0
                    state["m"] = torch.zeros_like(p)
                    state["v"] = torch.zeros_like(p)
                    state["v_max"] = torch.zeros_like(p) if amsgrad else None
                state["t"] += 1
                t, m, v = state["t"], state["m"], state["v"]
                if group["weight_decay"] != 0:
                    g = g + group["weight_decay"] * p
                m.mul_(beta1).add_(g, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                if amsgrad:
                    torch.maximum(state["v_max"], v, out=state["v_max"])
                    v = state["v_max"]
                denom = (v.sqrt() / math.sqrt(1 - beta2**t)).add_(eps)  # √v̂ + eps
                p.addcdiv_(m, denom, value=-lr / (1 - beta1**t))  # m / (1 − β1^t) is m̂
        return loss


class AdamW(torch.optim.Optimizer):
    """AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay, in torch's convention::

        t ← t + 1,  p ← p · (1 − lr · λ)
        m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²
        v_max ← max(v_max, v), used in place of v    (amsgrad)
        p ← p − lr · m / (1 − β1^t) / (√v / √(1 − β2^t) + eps)

    Args:
        params: ``model.parameters()``, or a list of parameter-group dicts.
        lr, betas, eps, weight_decay, amsgrad: as in ``torch.optim.AdamW``.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        _validate_adam(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        super().__init__(_check_params(params, "AdamW"), defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        """One AdamW step on every parameter that has a gradient; returns the closure's loss, if any."""
        loss = _loss_of(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps, amsgrad = group["lr"], group["betas"], group["eps"], group["amsgrad"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = _grad_of(p, "AdamW")
                state = self.state[p]
                if not state:
                    state["t"] = 0
                    state["m"] = torch.zeros_like(p)
                    state["v"] = torch.zeros_like(p)
                    state["v_max"] = torch.zeros_like(p) if amsgrad else None
                state["t"] += 1
                t, m, v = state["t"], state["m"], state["v"]
                p.mul_(1 - lr * group["weight_decay"])  # decoupled: the gradient is left alone
                m.mul_(beta1).add_(g, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
                if amsgrad:
                    torch.maximum(state["v_max"], v, out=state["v_max"])
                    v = state["v_max"]
                denom = (v.sqrt() / math.sqrt(1 - beta2**t)).add_(eps)  # √v̂ + eps
                p.addcdiv_(m, denom, value=-lr / (1 - beta1**t))  # m / (1 − β1^t) is m̂
        return loss
