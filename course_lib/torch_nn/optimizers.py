"""The PyTorch twins of ``course_lib.numpy_nn.optimizers``, written out on tensors.

Each class is a ``torch.optim.Optimizer`` with torch's name, signature and defaults, and spells
its update out with in-place tensor operations. The algorithms, and where torch's convention
differs from each paper, are written once, in the docstrings of the NumPy rules
(``course_lib.numpy_nn.optimizers.adam_update``, ...); the hyperparameters are checked by the same
functions (``course_lib.validation``), so both twins refuse a bad value with the same message.

What this shows about optimizers on tensors:

* ``self.param_groups`` is a list of dicts, each with its own ``"params"`` and hyperparameters;
  schedulers change ``group["lr"]`` and ``step`` reads the values from the group. Every group is
  checked as it is added (``add_param_group``), with the same functions as the defaults.
* ``self.state[p]`` is a dict per parameter (the NumPy twin's field names: ``t``, ``m``, ``v``,
  ``v_max``, ``sum``, ``square_avg``, ``momentum_buffer``, ``grad_avg``), filled on its first step
  with ``torch.zeros_like(p)``: on the parameter's device, in its dtype. No device is ever named.
* ``step`` runs under ``torch.no_grad()`` (the update must not be recorded by autograd), accepts
  an optional ``closure`` that re-evaluates the loss, and updates in place (``mul_``, ``add_``) so
  the model keeps pointing at the same storage, also on a GPU.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable
from typing import Any

import torch

from course_lib.validation import adagrad_args, adam_args, each_once, rmsprop_args, sgd_args

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "RMSprop"]

Params = Iterable[torch.Tensor] | Iterable[dict[str, Any]]


def _check_params(params: Params, owner: str) -> list[Any]:
    """The params as a list, after the checks torch does, with messages that say what to pass."""
    if isinstance(params, torch.Tensor):
        raise TypeError(f"{owner} expects an iterable of tensors, got a single tensor. Pass model.parameters(), "
                        f"or wrap one tensor in a list: [tensor].")
    if not isinstance(params, Iterable):
        raise TypeError(f"{owner} expects an iterable of tensors, got {type(params).__name__}. "
                        f"Pass model.parameters() of a torch.nn.Module.")
    params = list(params)
    if not params:
        raise ValueError("optimizer got an empty parameter list. Pass model.parameters() of a model that has "
                         "trainable parameters (a model made only of activations has none).")
    # Parameter groups are dicts; list their params now, so a generator is not used up by the check.
    params = [_listed_group(item) if isinstance(item, dict) else item for item in params]
    tensors = [p for item in params for p in (item["params"] if isinstance(item, dict) else [item])]
    _check_tensors(tensors, owner)
    each_once(tensors, owner)
    return params


def _check_tensors(tensors: list[Any], owner: str) -> None:
    for p in tensors:
        if not isinstance(p, torch.Tensor):
            numpy_hint = (" For course_lib.numpy_nn parameters use course_lib.numpy_nn.optimizers."
                          if type(p).__module__.startswith("course_lib.numpy_nn") else "")
            raise TypeError(f"{owner} can only optimize torch tensors, but one of the params is "
                            f"{type(p).__name__}. Pass model.parameters() of a torch.nn.Module.{numpy_hint}")


def _listed_group(group: dict[str, Any]) -> dict[str, Any]:
    if "params" not in group:
        raise ValueError(f"a parameter group must have a 'params' key, got keys {sorted(group)}.")
    tensors = group["params"]
    return {**group, "params": [tensors] if isinstance(tensors, torch.Tensor) else list(tensors)}


class _Optimizer(torch.optim.Optimizer):
    """The loop every twin shares: for each group, each parameter with a gradient, apply ``_update``.

    ``check_hyperparameters`` is the validation function of the hyperparameters (``sgd_args``, ...); it checks every group.
    """

    check_hyperparameters: Callable[..., None]

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        super().__init__(_check_params(params, type(self).__name__), defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """torch's, after the NumPy twin's checks: the group's hyperparameters (its own, or the defaults), and
        no parameter that another group, or this one, already holds."""
        owner, param_group = type(self).__name__, _listed_group(param_group)
        _check_tensors(param_group["params"], owner)
        each_once([p for group in self.param_groups for p in group["params"]] + param_group["params"], owner)
        merged = {**self.defaults, **param_group}
        check = type(self).check_hyperparameters
        check(**{name: merged[name] for name in inspect.signature(check).parameters})
        super().add_param_group(param_group)

    def _update(self, p: torch.Tensor, g: torch.Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        raise NotImplementedError

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        """One step on every parameter that has a gradient; returns the closure's loss, if any."""
        loss = None
        if closure is not None:
            with torch.enable_grad():  # step runs under no_grad, but the closure must build a graph
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError(f"{type(self).__name__} does not support sparse gradients; use dense gradients "
                                       f"(e.g. nn.Embedding(..., sparse=False)) or torch.optim.SparseAdam.")
                self._update(p, p.grad, self.state[p], group)
        return loss


class SGD(_Optimizer):
    """``torch.optim.SGD`` written out: the update of ``course_lib.numpy_nn.optimizers.sgd_update``."""

    check_hyperparameters = staticmethod(sgd_args)

    def __init__(self, params: Params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False) -> None:
        sgd_args(lr, momentum, dampening, weight_decay, nesterov)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov))

    def _update(self, p, g, state, group) -> None:
        mu = group["momentum"]
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p  # a new tensor: p.grad itself is left alone
        if mu != 0:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = g.clone()  # first step: b = g, undamped
            else:
                state["momentum_buffer"].mul_(mu).add_(g, alpha=1 - group["dampening"])
            b = state["momentum_buffer"]
            g = g + mu * b if group["nesterov"] else b
        p.add_(g, alpha=-group["lr"])


class Adagrad(_Optimizer):
    """``torch.optim.Adagrad`` written out: the update of ``course_lib.numpy_nn.optimizers.adagrad_update``."""

    check_hyperparameters = staticmethod(adagrad_args)

    def __init__(self, params: Params, lr: float = 0.01, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10) -> None:
        adagrad_args(lr, lr_decay, weight_decay, eps, initial_accumulator_value)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps))

    def _update(self, p, g, state, group) -> None:
        if not state:
            state["t"] = 0
            state["sum"] = torch.full_like(p, group["initial_accumulator_value"])
        state["t"] += 1
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p
        lr_t = group["lr"] / (1 + (state["t"] - 1) * group["lr_decay"])
        state["sum"].addcmul_(g, g)
        p.addcdiv_(g, state["sum"].sqrt().add_(group["eps"]), value=-lr_t)


class RMSprop(_Optimizer):
    """``torch.optim.RMSprop`` written out: the update of ``course_lib.numpy_nn.optimizers.rmsprop_update``."""

    check_hyperparameters = staticmethod(rmsprop_args)

    def __init__(self, params: Params, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False) -> None:
        rmsprop_args(lr, alpha, eps, weight_decay, momentum)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered))

    def _update(self, p, g, state, group) -> None:
        alpha, mu = group["alpha"], group["momentum"]
        if not state:
            state["square_avg"] = torch.zeros_like(p)
            state["momentum_buffer"] = torch.zeros_like(p) if mu > 0 else None
            state["grad_avg"] = torch.zeros_like(p) if group["centered"] else None
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p
        v = state["square_avg"].mul_(alpha).addcmul_(g, g, value=1 - alpha)
        if group["centered"]:
            g_avg = state["grad_avg"].mul_(alpha).add_(g, alpha=1 - alpha)
            s = (v - g_avg * g_avg).sqrt_().add_(group["eps"])
        else:
            s = v.sqrt().add_(group["eps"])
        if mu > 0:
            b = state["momentum_buffer"].mul_(mu).addcdiv_(g, s)
            p.add_(b, alpha=-group["lr"])
        else:
            p.addcdiv_(g, s, value=-group["lr"])


class Adam(_Optimizer):
    """``torch.optim.Adam`` written out: the update of ``course_lib.numpy_nn.optimizers.adam_update``."""

    check_hyperparameters = staticmethod(adam_args)

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False) -> None:
        adam_args(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad))

    def _update(self, p, g, state, group) -> None:
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p
        self._adam_step(p, g, state, group)

    @staticmethod
    def _adam_step(p: torch.Tensor, g: torch.Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """The moments, their bias correction and the step; Adam's L2 and AdamW's decay come before."""
        (beta1, beta2), amsgrad = group["betas"], group["amsgrad"]
        if not state:
            state.update(t=0, m=torch.zeros_like(p), v=torch.zeros_like(p),
                         v_max=torch.zeros_like(p) if amsgrad else None)
        state["t"] += 1
        t, m, v = state["t"], state["m"], state["v"]
        m.mul_(beta1).add_(g, alpha=1 - beta1)
        v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        if amsgrad:
            v = torch.maximum(state["v_max"], v, out=state["v_max"])
        denom = (v.sqrt() / math.sqrt(1 - beta2**t)).add_(group["eps"])  # √v̂ + eps
        p.addcdiv_(m, denom, value=-group["lr"] / (1 - beta1**t))  # m / (1 − β1^t) is m̂


class AdamW(Adam):
    """``torch.optim.AdamW`` written out: the update of ``course_lib.numpy_nn.optimizers.adamw_update``."""

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)

    def _update(self, p, g, state, group) -> None:
        p.mul_(1 - group["lr"] * group["weight_decay"])  # decoupled: the gradient is left alone
        self._adam_step(p, g, state, group)
