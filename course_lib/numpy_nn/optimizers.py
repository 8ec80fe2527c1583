"""Optimizers written from scratch in NumPy: pure update rules, and torch-like classes over them.

Each algorithm appears twice, and is written out only once:

* a pure rule, in the style of optax: ``<name>_init(p) -> state`` and
  ``<name>_update(p, g, state, *, lr, ...) -> (new_p, new_state)``. The state is a typed
  ``NamedTuple`` that holds everything the rule remembers between steps (``t``, ``m``, ``v``, ...),
  so nothing is hidden. The rule never changes its inputs: it returns new arrays.
* a class with ``torch.optim``'s name, signature, defaults and semantics (``SGD``, ``Adagrad``,
  ``RMSprop``, ``Adam``, ``AdamW``). Its ``step()`` calls the pure rule on every parameter that has a
  gradient and keeps the returned state in ``optimizer.state[param]``.

The maths follows torch exactly (tests check the trajectories against ``torch.optim`` to 1e-9), and
each docstring says where torch's convention differs from the paper.

Typical use, as with torch::

    opt = Adam(model.parameters(), lr=1e-3)
    for x, y in batches:
        opt.zero_grad()      # every p.grad = None
        ...                  # forward, loss, backward: the gradients land in p.grad
        opt.step()           # p.data updated in place; opt.state[p] holds t, m, v
"""

from __future__ import annotations

import copy
import functools
import math
import numbers
from collections.abc import Iterable
from typing import Any, ClassVar, NamedTuple

import numpy as np
from numpy.typing import NDArray

from course_lib.numpy_nn.layers import Parameter

__all__ = [
    "SGD",
    "Adagrad",
    "AdagradState",
    "Adam",
    "AdamState",
    "AdamW",
    "AdamWState",
    "Optimizer",
    "RMSprop",
    "RMSpropState",
    "SGDState",
    "adagrad_init",
    "adagrad_update",
    "adam_init",
    "adam_update",
    "adamw_init",
    "adamw_update",
    "rmsprop_init",
    "rmsprop_update",
    "sgd_init",
    "sgd_update",
]


# --------------------------------------------------------------------------------------------------
# Validation. One function per algorithm, shared by the pure rule, the NumPy class and the torch twin
# (course_lib.torch_nn.optimizers), so that a bad value gives the same message everywhere.
# --------------------------------------------------------------------------------------------------


def _memoized(validate):
    """Skip re-validating hyperparameters already found valid.

    ``step`` validates before updating every parameter, every step, with the same few scalars;
    remembering the valid combinations makes that free (it was about a tenth of an MLP's epoch).
    Errors are never remembered, so a bad value raises every time. ``typed=True`` keeps ``lr=True``
    from passing as a remembered ``lr=1``; unhashable arguments (betas given as a list) are
    simply validated again.
    """
    remembered = functools.lru_cache(maxsize=128, typed=True)(validate)

    @functools.wraps(validate)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            hash((args, tuple(kwargs.items())))
        except TypeError:
            return validate(*args, **kwargs)
        return remembered(*args, **kwargs)

    return wrapper


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _check_real(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__}); pass e.g. {name}=0.1.")


def _check_lr(lr: float) -> None:
    _check_real("lr", lr)
    _require(
        lr >= 0.0,
        f"Invalid learning rate: {lr}. Expected lr >= 0: the learning rate is the step size, "
        f"typically between 1e-4 and 1e-1. Pass a non-negative number such as lr=1e-3.",
    )


def _check_non_negative(name: str, value: float, what: str, hint: str) -> None:
    _check_real(name, value)
    _require(value >= 0.0, f"Invalid {what} value: {value}. Expected {name} >= 0; {hint}")


def _check_momentum(momentum: float) -> None:
    _check_non_negative("momentum", momentum, "momentum", "0 switches momentum off and 0.9 is usual.")


def _check_weight_decay(weight_decay: float) -> None:
    _check_non_negative(
        "weight_decay", weight_decay, "weight_decay", "0 switches it off; values from 1e-5 to 1e-1 are usual."
    )


def _check_eps(eps: float) -> None:
    _check_real("eps", eps)
    _require(
        eps >= 0.0,
        f"Invalid epsilon value: {eps}. Expected eps >= 0; eps only keeps the denominator away from "
        f"zero, so keep it small and positive, e.g. eps=1e-8.",
    )


def _check_betas(betas: tuple[float, float]) -> None:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2) such as (0.9, 0.999), got {betas!r}.")
    for index, beta in enumerate(betas):
        _check_real(f"betas[{index}]", beta)
        _require(
            0.0 <= beta < 1.0,
            f"Invalid beta parameter at index {index}: {beta}. Expected 0 <= betas[{index}] < 1: each "
            f"beta is the decay rate of a moving average; betas=(0.9, 0.999) is the usual choice.",
        )


@_memoized
def _validate_sgd(lr: float, momentum: float, dampening: float, weight_decay: float, nesterov: bool) -> None:
    _check_lr(lr)
    _check_momentum(momentum)
    _check_real("dampening", dampening)
    _require(
        0.0 <= dampening <= 1.0,
        f"Invalid dampening value: {dampening}. Expected 0 <= dampening <= 1: the buffer adds "
        f"(1 - dampening) * g; dampening=0 is usual.",
    )
    _check_weight_decay(weight_decay)
    _require(
        not nesterov or (momentum > 0 and dampening == 0),
        f"Nesterov momentum requires a momentum and zero dampening, got momentum={momentum} and "
        f"dampening={dampening}. Pass momentum > 0 (e.g. 0.9) with dampening=0, or nesterov=False.",
    )


@_memoized
def _validate_adagrad(
    lr: float, lr_decay: float, weight_decay: float, eps: float, initial_accumulator_value: float = 0.0
) -> None:
    _check_lr(lr)
    _check_non_negative("lr_decay", lr_decay, "lr_decay", "0 switches the decay off.")
    _check_weight_decay(weight_decay)
    _check_non_negative(
        "initial_accumulator_value",
        initial_accumulator_value,
        "initial_accumulator_value",
        "it is the starting value of the sum of squared gradients; 0 is usual.",
    )
    _check_eps(eps)


@_memoized
def _validate_rmsprop(lr: float, alpha: float, eps: float, weight_decay: float, momentum: float) -> None:
    _check_lr(lr)
    _check_real("alpha", alpha)
    _require(
        0.0 <= alpha < 1.0,
        f"Invalid alpha value: {alpha}. Expected 0 <= alpha < 1: alpha is the decay rate of the "
        f"average of squared gradients; alpha=0.99 is usual.",
    )
    _check_eps(eps)
    _check_weight_decay(weight_decay)
    _check_momentum(momentum)


@_memoized
def _validate_adam(lr: float, betas: tuple[float, float], eps: float, weight_decay: float) -> None:
    _check_lr(lr)
    _check_eps(eps)
    _check_betas(betas)
    _check_weight_decay(weight_decay)


def _check_grad(p: NDArray, g: NDArray, where: str = "") -> None:
    # NumPy would broadcast a (1,)-shaped gradient over a (3,)-shaped parameter without a word.
    if np.shape(g) != np.shape(p):
        raise ValueError(
            f"gradient shape {np.shape(g)} does not match parameter shape {np.shape(p)}{where}. "
            f"The gradient dLoss/dp must have the parameter's shape; check the layer's backward."
        )


def _missing_buffer(rule: str, field: str, flag: str) -> ValueError:
    return ValueError(
        f"{rule}_update was asked for {flag} but state.{field} is None: the state was made without it. "
        f"Make the state with {rule}_init(p, {flag}) and use the same setting at every step."
    )


# --------------------------------------------------------------------------------------------------
# SGD with momentum
# --------------------------------------------------------------------------------------------------


class SGDState(NamedTuple):
    """What SGD remembers: the momentum buffer b (None before the first step, or without momentum)."""

    momentum_buffer: NDArray | None


def sgd_init(p: NDArray) -> SGDState:
    """Empty SGD state for a parameter: no momentum buffer until the first step."""
    return SGDState(momentum_buffer=None)


def sgd_update(
    p: NDArray,
    g: NDArray,
    state: SGDState,
    *,
    lr: float,
    momentum: float = 0.0,
    dampening: float = 0.0,
    weight_decay: float = 0.0,
    nesterov: bool = False,
) -> tuple[NDArray, SGDState]:
    """One step of stochastic gradient descent, with optional momentum, in torch's convention.

    With μ = momentum, τ = dampening, λ = weight_decay::

        g ← g + λ p                        (L2 penalty λ/2·|p|², folded into the gradient)
        b ← g                              on the first step (no dampening),
        b ← μ b + (1 − τ) g                afterwards
        d ← g + μ b  if nesterov  else  b
        p ← p − lr · d

    Without momentum (μ = 0) this is plain ``p ← p − lr · g``.

    Args:
        p: the parameter, any shape.
        g: dLoss/dp, the same shape as ``p``.
        state: from :func:`sgd_init` or the previous call.
        lr: learning rate. momentum, dampening, weight_decay, nesterov: as in ``torch.optim.SGD``.

    Returns:
        ``(new_p, new_state)``; the inputs are left unchanged.
    """
    _validate_sgd(lr, momentum, dampening, weight_decay, nesterov)
    _check_grad(p, g)
    if weight_decay != 0:
        g = g + weight_decay * p
    b = state.momentum_buffer
    if momentum != 0:
        if b is None:
            b = np.array(g, copy=True)  # torch starts the buffer at g itself, undamped
        else:
            b = momentum * b + (1 - dampening) * g
        d = g + momentum * b if nesterov else b
    else:
        d = g
    return p - lr * d, SGDState(momentum_buffer=b)


# --------------------------------------------------------------------------------------------------
# Adagrad
# --------------------------------------------------------------------------------------------------


class AdagradState(NamedTuple):
    """What Adagrad remembers: the step count t and the running sum of squared gradients."""

    t: int
    sum: NDArray


def adagrad_init(p: NDArray, *, initial_accumulator_value: float = 0.0) -> AdagradState:
    """Adagrad state: t = 0 and a sum of squared gradients filled with ``initial_accumulator_value``."""
    return AdagradState(t=0, sum=np.full_like(p, initial_accumulator_value))


def adagrad_update(
    p: NDArray,
    g: NDArray,
    state: AdagradState,
    *,
    lr: float,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    eps: float = 1e-10,
) -> tuple[NDArray, AdagradState]:
    """One Adagrad step (Duchi, Hazan & Singer 2011), in torch's convention.

    With λ = weight_decay, element-wise::

        t ← t + 1
        g ← g + λ p
        lr_t ← lr / (1 + (t − 1) · lr_decay)
        sum ← sum + g²
        p ← p − lr_t · g / (√sum + eps)

    Args:
        p: the parameter, any shape.
        g: dLoss/dp, the same shape as ``p``.
        state: from :func:`adagrad_init` or the previous call.
        lr, lr_decay, weight_decay, eps: as in ``torch.optim.Adagrad``.

    Returns:
        ``(new_p, new_state)``; the inputs are left unchanged.
    """
    _validate_adagrad(lr, lr_decay, weight_decay, eps)
    _check_grad(p, g)
    t = state.t + 1
    if weight_decay != 0:
        g = g + weight_decay * p
    lr_t = lr / (1 + (t - 1) * lr_decay)
    sum_ = state.sum + g * g
    return p - lr_t * g / (np.sqrt(sum_) + eps), AdagradState(t=t, sum=sum_)


# --------------------------------------------------------------------------------------------------
# RMSprop
# --------------------------------------------------------------------------------------------------


class RMSpropState(NamedTuple):
    """What RMSprop remembers: the average of g², and, when used, the momentum buffer and average of g."""

    square_avg: NDArray
    momentum_buffer: NDArray | None
    grad_avg: NDArray | None


def rmsprop_init(p: NDArray, *, momentum: float = 0.0, centered: bool = False) -> RMSpropState:
    """RMSprop state, all zeros; the momentum buffer only if momentum > 0, the mean of g only if centered."""
    return RMSpropState(
        square_avg=np.zeros_like(p),
        momentum_buffer=np.zeros_like(p) if momentum > 0 else None,
        grad_avg=np.zeros_like(p) if centered else None,
    )


def rmsprop_update(
    p: NDArray,
    g: NDArray,
    state: RMSpropState,
    *,
    lr: float,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
) -> tuple[NDArray, RMSpropState]:
    """One RMSprop step (Hinton, Coursera lecture 6e, 2012), in torch's convention.

    With α = alpha, μ = momentum, λ = weight_decay, element-wise::

        g ← g + λ p
        v ← α v + (1 − α) g²               (square_avg)
        ḡ ← α ḡ + (1 − α) g                (grad_avg, only if centered)
        s ← √(v − ḡ²) + eps  if centered  else  √v + eps
        b ← μ b + g / s,   p ← p − lr · b   if μ > 0
        p ← p − lr · g / s                  otherwise

    Args:
        p: the parameter, any shape.
        g: dLoss/dp, the same shape as ``p``.
        state: from :func:`rmsprop_init` (with the same ``momentum`` and ``centered``) or the previous call.
        lr, alpha, eps, weight_decay, momentum, centered: as in ``torch.optim.RMSprop``.

    Returns:
        ``(new_p, new_state)``; the inputs are left unchanged.
    """
    _validate_rmsprop(lr, alpha, eps, weight_decay, momentum)
    _check_grad(p, g)
    if momentum > 0 and state.momentum_buffer is None:
        raise _missing_buffer("rmsprop", "momentum_buffer", f"momentum={momentum}")
    if centered and state.grad_avg is None:
        raise _missing_buffer("rmsprop", "grad_avg", "centered=True")
    if weight_decay != 0:
        g = g + weight_decay * p
    v = alpha * state.square_avg + (1 - alpha) * g * g
    g_avg = state.grad_avg
    if centered:
        g_avg = alpha * g_avg + (1 - alpha) * g
        s = np.sqrt(v - g_avg * g_avg) + eps
    else:
        s = np.sqrt(v) + eps
    b = state.momentum_buffer
    if momentum > 0:
        b = momentum * b + g / s
        new_p = p - lr * b
    else:
        new_p = p - lr * g / s
    return new_p, RMSpropState(square_avg=v, momentum_buffer=b, grad_avg=g_avg)


# --------------------------------------------------------------------------------------------------
# Adam
# --------------------------------------------------------------------------------------------------


class AdamState(NamedTuple):
    """What Adam remembers: step t, first moment m, second moment v, and max of v (AMSGrad only)."""

    t: int
    m: NDArray
    v: NDArray
    v_max: NDArray | None


def adam_init(p: NDArray, *, amsgrad: bool = False) -> AdamState:
    """Adam state: t = 0, m = v = 0, and v_max = 0 if amsgrad (else None)."""
    return AdamState(t=0, m=np.zeros_like(p), v=np.zeros_like(p), v_max=np.zeros_like(p) if amsgrad else None)


def adam_update(
    p: NDArray,
    g: NDArray,
    state: AdamState,
    *,
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
) -> tuple[NDArray, AdamState]:
    """One Adam step (Kingma & Ba 2015), with optional L2 penalty and AMSGrad, in torch's convention.

    With (β1, β2) = betas, λ = weight_decay, element-wise::

        t ← t + 1
        g ← g + λ p                          (L2 penalty; AdamW decouples it instead)
        m ← β1 m + (1 − β1) g
        v ← β2 v + (1 − β2) g²
        v_max ← max(v_max, v);  use v_max in place of v below   (AMSGrad only)
        m̂ ← m / (1 − β1^t),   v̂ ← v / (1 − β2^t)
        p ← p − lr · m̂ / (√v̂ + eps)

    Args:
        p: the parameter, any shape.
        g: dLoss/dp, the same shape as ``p``.
        state: from :func:`adam_init` (with the same ``amsgrad``) or the previous call.
        lr, betas, eps, weight_decay, amsgrad: as in ``torch.optim.Adam``.

    Returns:
        ``(new_p, new_state)``; the inputs are left unchanged.
    """
    _validate_adam(lr, betas, eps, weight_decay)
    _check_grad(p, g)
    if amsgrad and state.v_max is None:
        raise _missing_buffer("adam", "v_max", "amsgrad=True")
    beta1, beta2 = betas
    t = state.t + 1
    if weight_decay != 0:
        g = g + weight_decay * p
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g * g
    v_max = state.v_max
    if amsgrad:
        v_max = np.maximum(v_max, v)
    m_hat = m / (1 - beta1**t)
    # √v̂ + eps, written as √v / √(1 − β2^t) + eps; math.sqrt keeps float32 arrays in float32.
    denom = np.sqrt(v_max if amsgrad else v) / math.sqrt(1 - beta2**t) + eps
    return p - lr * m_hat / denom, AdamState(t=t, m=m, v=v, v_max=v_max)


# --------------------------------------------------------------------------------------------------
# AdamW
# --------------------------------------------------------------------------------------------------


class AdamWState(NamedTuple):
    """What AdamW remembers: step t, first moment m, second moment v, and max of v (AMSGrad only)."""

    t: int
    m: NDArray
    v: NDArray
    v_max: NDArray | None


def adamw_init(p: NDArray, *, amsgrad: bool = False) -> AdamWState:
    """AdamW state: t = 0, m = v = 0, and v_max = 0 if amsgrad (else None)."""
    return AdamWState(t=0, m=np.zeros_like(p), v=np.zeros_like(p), v_max=np.zeros_like(p) if amsgrad else None)


def adamw_update(
    p: NDArray,
    g: NDArray,
    state: AdamWState,
    *,
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    amsgrad: bool = False,
) -> tuple[NDArray, AdamWState]:
    """One AdamW step (Loshchilov & Hutter 2019): Adam with decoupled weight decay, as in torch.

    With (β1, β2) = betas, λ = weight_decay, element-wise::

        t ← t + 1
        p ← p · (1 − lr · λ)                 (decay the weights; g is left alone)
        m ← β1 m + (1 − β1) g
        v ← β2 v + (1 − β2) g²
        v_max ← max(v_max, v);  use v_max in place of v below   (AMSGrad only)
        m̂ ← m / (1 − β1^t),   v̂ ← v / (1 − β2^t)
        p ← p − lr · m̂ / (√v̂ + eps)

    Args:
        p: the parameter, any shape.
        g: dLoss/dp, the same shape as ``p``.
        state: from :func:`adamw_init` (with the same ``amsgrad``) or the previous call.
        lr, betas, eps, weight_decay, amsgrad: as in ``torch.optim.AdamW``.

    Returns:
        ``(new_p, new_state)``; the inputs are left unchanged.
    """
    _validate_adam(lr, betas, eps, weight_decay)
    _check_grad(p, g)
    if amsgrad and state.v_max is None:
        raise _missing_buffer("adamw", "v_max", "amsgrad=True")
    beta1, beta2 = betas
    t = state.t + 1
    p = p * (1 - lr * weight_decay)
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g * g
    v_max = state.v_max
    if amsgrad:
        v_max = np.maximum(v_max, v)
    m_hat = m / (1 - beta1**t)
    denom = np.sqrt(v_max if amsgrad else v) / math.sqrt(1 - beta2**t) + eps
    return p - lr * m_hat / denom, AdamWState(t=t, m=m, v=v, v_max=v_max)


# --------------------------------------------------------------------------------------------------
# The classes
# --------------------------------------------------------------------------------------------------


def _parameter_list(params: Iterable[Parameter], owner: str) -> list[Parameter]:
    if isinstance(params, Parameter):
        raise TypeError(
            f"{owner} expects an iterable of Parameter objects, got a single Parameter. "
            f"Pass model.parameters(), or wrap one parameter in a list: [param]."
        )
    if isinstance(params, np.ndarray) or not isinstance(params, Iterable):
        raise TypeError(
            f"{owner} expects an iterable of Parameter objects, got {type(params).__name__}. "
            f"Pass model.parameters() of a course_lib.numpy_nn model."
        )
    params = list(params)
    if not params:
        raise ValueError(
            "optimizer got an empty parameter list. Pass model.parameters() of a model that has "
            "trainable parameters (a model made only of activations has none)."
        )
    for index, p in enumerate(params):
        if not isinstance(p, Parameter):
            torch_hint = (
                " For torch tensors use course_lib.torch_nn.optimizers or torch.optim."
                if type(p).__module__.startswith("torch")
                else ""
            )
            raise TypeError(
                f"{owner} can only optimize Parameter objects, but params[{index}] is "
                f"{type(p).__name__}. Pass model.parameters() of a course_lib.numpy_nn model, or "
                f"wrap arrays as Parameter(array).{torch_hint}"
            )
    if len({id(p) for p in params}) != len(params):
        raise ValueError(
            f"{owner} got the same Parameter more than once, so it would be updated twice per step. "
            f"Pass each parameter once, e.g. model.parameters()."
        )
    return params


class Optimizer:
    """What every NumPy optimizer shares: the parameters, the hyperparameters, the state.

    Attributes:
        params: the list of :class:`Parameter` objects being optimized.
        lr: the current learning rate, a plain attribute: schedules (and you) may set it.
        defaults: the other hyperparameters (and the learning rate given at construction), as a dict;
            ``step`` reads them from here, so changing ``defaults["momentum"]`` takes effect.
        state: ``{param: NamedTuple}``, what the rule remembers for each parameter; filled on the
            parameter's first step.

    Subclasses set ``state_type`` and write ``step``, which calls their own pure rule.
    """

    state_type: ClassVar[type]

    def __init__(self, params: Iterable[Parameter], defaults: dict[str, Any]) -> None:
        self.params: list[Parameter] = _parameter_list(params, type(self).__name__)
        self.defaults: dict[str, Any] = dict(defaults)
        self.lr: float = defaults["lr"]
        self.state: dict[Parameter, Any] = {}

    def _params_with_grad(self) -> list[tuple[Parameter, NDArray]]:
        """The (parameter, gradient) pairs to update: parameters whose grad is None are skipped."""
        pairs = []
        for index, param in enumerate(self.params):
            if param.grad is None:
                continue
            _check_grad(param.data, param.grad, where=f" (params[{index}])")
            pairs.append((param, np.asarray(param.grad, dtype=param.data.dtype)))
        return pairs

    def step(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement step")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set each ``.grad`` to None (or fill it with zeros), as in torch."""
        for param in self.params:
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad = np.zeros_like(param.grad)

    def state_dict(self) -> dict[str, Any]:
        """A deep copy of the learning rate, the hyperparameters and the state, keyed by parameter index.

        Format::

            {"lr": 0.0005,                                          # the current lr
             "hyperparameters": {"lr": 0.001, "betas": (0.9, 0.999), ...},   # self.defaults
             "state": {0: {"t": 10, "m": array, "v": array, "v_max": None}, ...}}

        Parameter ``i`` is ``self.params[i]``; one that has not taken a step yet has no entry.
        """
        return {
            "lr": self.lr,
            "hyperparameters": copy.deepcopy(self.defaults),
            "state": {
                index: copy.deepcopy(self.state[param]._asdict())
                for index, param in enumerate(self.params)
                if param in self.state
            },
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved, into an optimizer over parameters of the same shapes."""
        name = type(self).__name__
        keys = {"lr", "hyperparameters", "state"}
        if not isinstance(state_dict, dict) or set(state_dict) != keys:
            raise ValueError(
                f"{name}.load_state_dict expects the dict made by {name}.state_dict(), with keys "
                f"'hyperparameters', 'lr' and 'state'; got {type(state_dict).__name__}"
                f"{' with keys ' + str(sorted(state_dict)) if isinstance(state_dict, dict) else ''}."
            )
        hyper = state_dict["hyperparameters"]
        if set(hyper) != set(self.defaults):
            raise ValueError(
                f"{name}.load_state_dict: the hyperparameters {sorted(hyper)} are not those of {name} "
                f"({sorted(self.defaults)}); was the state_dict saved from another optimizer?"
            )
        fields = set(self.state_type._fields)
        new_state: dict[Parameter, Any] = {}
        for index, saved in state_dict["state"].items():
            if not (isinstance(index, int) and 0 <= index < len(self.params)):
                raise ValueError(
                    f"{name}.load_state_dict: state for parameter {index!r}, but this optimizer has "
                    f"parameters 0..{len(self.params) - 1}; build it over the same parameters."
                )
            if set(saved) != fields:
                raise ValueError(
                    f"{name}.load_state_dict: state of parameter {index} has fields {sorted(saved)}, "
                    f"expected {sorted(fields)}."
                )
            param = self.params[index]
            for field, value in saved.items():
                if isinstance(value, np.ndarray) and value.shape != param.data.shape:
                    raise ValueError(
                        f"{name}.load_state_dict: state {field!r} of parameter {index} has shape "
                        f"{value.shape}, but the parameter has shape {param.data.shape}."
                    )
            new_state[param] = self.state_type(**copy.deepcopy(saved))
        self.defaults = copy.deepcopy(dict(hyper))
        self.lr = state_dict["lr"]
        self.state = new_state

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v!r}" for k, v in {**self.defaults, "lr": self.lr}.items())
        return f"{type(self).__name__}({len(self.params)} parameters, {hyper})"


class SGD(Optimizer):
    """Stochastic gradient descent with momentum (Polyak 1964) and Nesterov momentum (Sutskever et al. 2013).

    torch's convention, for each parameter p with gradient g (μ = momentum, τ = dampening, λ = weight_decay):

    .. math::

        g &\\leftarrow g + \\lambda p \\\\
        b &\\leftarrow g \\text{ (first step)}, \\quad b \\leftarrow \\mu b + (1-\\tau) g \\text{ (later)} \\\\
        d &\\leftarrow g + \\mu b \\text{ (Nesterov)}, \\quad d \\leftarrow b \\text{ (otherwise)} \\\\
        p &\\leftarrow p - \\mathrm{lr}\\, d

    How this differs from the papers:

    * Sutskever et al. keep the learning rate inside the velocity, ``v ← μ v − lr·g; p ← p + v``.
      torch keeps it outside, ``b ← μ b + g; p ← p − lr·b``. With a constant lr the two trajectories
      are identical (v = −lr·b); when a schedule changes lr, torch's form rescales the whole buffer at
      once while Sutskever's form lets the old velocity keep its old step size.
    * The first step sets ``b = g`` without dampening, so the first step is always ``lr·g``.
    * Nesterov's look-ahead gradient ∇f(p + μv) is replaced by the equivalent reparametrisation
      ``d = g + μ b`` (Bengio, Boulanger-Lewandowski & Pascanu 2013), which needs only the gradient at p.

    Args:
        params: the parameters to optimize, e.g. ``model.parameters()``.
        lr: learning rate (torch 2.x's default, 1e-3).
        momentum: μ ≥ 0; 0 switches momentum off.
        dampening: τ in [0, 1], scales down the new gradient in the buffer.
        weight_decay: λ ≥ 0, an L2 penalty λ/2·|p|² added to the loss.
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening = 0).
    """

    state_type = SGDState

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
    ) -> None:
        _validate_sgd(lr, momentum, dampening, weight_decay, nesterov)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
        super().__init__(params, defaults)

    def step(self) -> None:
        """Update every parameter that has a gradient with :func:`sgd_update`."""
        for param, grad in self._params_with_grad():
            state = self.state[param] if param in self.state else sgd_init(param.data)
            new_p, self.state[param] = sgd_update(
                param.data,
                grad,
                state,
                lr=self.lr,
                momentum=self.defaults["momentum"],
                dampening=self.defaults["dampening"],
                weight_decay=self.defaults["weight_decay"],
                nesterov=self.defaults["nesterov"],
            )
            param.data[...] = new_p  # in place, as torch does, so views of param.data stay valid


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan & Singer 2011): each coordinate's step shrinks with its gradient history.

    For each parameter p with gradient g, element-wise (λ = weight_decay):

    .. math::

        t &\\leftarrow t + 1, \\quad g \\leftarrow g + \\lambda p \\\\
        \\mathrm{lr}_t &= \\mathrm{lr} / (1 + (t-1)\\, \\mathrm{lr\\_decay}) \\\\
        s &\\leftarrow s + g^2 \\\\
        p &\\leftarrow p - \\mathrm{lr}_t\\, g / (\\sqrt{s} + \\epsilon)

    ``s`` starts at ``initial_accumulator_value``. Where torch differs from the paper: ``lr_decay``
    is torch's addition (the paper's diagonal algorithm has a constant lr); eps sits outside the
    square root, as the paper's δ does. Because s only grows, the effective step only shrinks, which
    suits sparse features and convex problems but can stall deep networks (RMSprop's motivation).

    Args:
        params: the parameters to optimize, e.g. ``model.parameters()``.
        lr: learning rate.
        lr_decay: ≥ 0, divides lr by 1 + (t − 1)·lr_decay.
        weight_decay: λ ≥ 0, an L2 penalty added to the gradient.
        initial_accumulator_value: ≥ 0, the starting value of s.
        eps: ≥ 0, added to √s to avoid dividing by zero.
    """

    state_type = AdagradState

    def __init__(
        self,
        params: Iterable[Parameter],
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
        super().__init__(params, defaults)

    def step(self) -> None:
        """Update every parameter that has a gradient with :func:`adagrad_update`."""
        for param, grad in self._params_with_grad():
            if param in self.state:
                state = self.state[param]
            else:
                state = adagrad_init(param.data, initial_accumulator_value=self.defaults["initial_accumulator_value"])
            new_p, self.state[param] = adagrad_update(
                param.data,
                grad,
                state,
                lr=self.lr,
                lr_decay=self.defaults["lr_decay"],
                weight_decay=self.defaults["weight_decay"],
                eps=self.defaults["eps"],
            )
            param.data[...] = new_p


class RMSprop(Optimizer):
    """RMSprop (Hinton, Coursera *Neural Networks for Machine Learning*, lecture 6e, 2012).

    Divide the gradient by a running root-mean-square of recent gradients. For each parameter p with
    gradient g, element-wise (α = alpha, μ = momentum, λ = weight_decay):

    .. math::

        g &\\leftarrow g + \\lambda p \\\\
        v &\\leftarrow \\alpha v + (1-\\alpha) g^2 \\\\
        \\bar g &\\leftarrow \\alpha \\bar g + (1-\\alpha) g, \\quad
            s = \\sqrt{v - \\bar g^2} + \\epsilon \\quad \\text{(centered)}, \\qquad
            s = \\sqrt{v} + \\epsilon \\quad \\text{(otherwise)} \\\\
        b &\\leftarrow \\mu b + g / s, \\quad p \\leftarrow p - \\mathrm{lr}\\, b \\quad (\\mu > 0), \\qquad
            p \\leftarrow p - \\mathrm{lr}\\, g / s \\quad (\\mu = 0)

    Notes on torch's convention: eps is added *outside* the square root, √v + eps (TensorFlow/Keras
    put it inside, √(v + eps)), so with eps = 0 the very first step moves each coordinate by
    lr/√(1 − α) = 10·lr for α = 0.99. The centered variant, which divides by an estimate of the
    gradient's standard deviation rather than its RMS, is from Graves (2013). Momentum accumulates
    the already-scaled step g/s, with lr outside the buffer.

    Args:
        params: the parameters to optimize, e.g. ``model.parameters()``.
        lr: learning rate.
        alpha: α in [0, 1), the decay rate of the average of g².
        eps: ≥ 0, added to the root-mean-square.
        weight_decay: λ ≥ 0, an L2 penalty added to the gradient.
        momentum: μ ≥ 0; 0 switches momentum off.
        centered: divide by the centred RMS √(v − ḡ²).
    """

    state_type = RMSpropState

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
    ) -> None:
        _validate_rmsprop(lr, alpha, eps, weight_decay, momentum)
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered)
        super().__init__(params, defaults)

    def step(self) -> None:
        """Update every parameter that has a gradient with :func:`rmsprop_update`."""
        for param, grad in self._params_with_grad():
            if param in self.state:
                state = self.state[param]
            else:
                state = rmsprop_init(param.data, momentum=self.defaults["momentum"], centered=self.defaults["centered"])
            new_p, self.state[param] = rmsprop_update(
                param.data,
                grad,
                state,
                lr=self.lr,
                alpha=self.defaults["alpha"],
                eps=self.defaults["eps"],
                weight_decay=self.defaults["weight_decay"],
                momentum=self.defaults["momentum"],
                centered=self.defaults["centered"],
            )
            param.data[...] = new_p


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015): momentum on g, divided by a running RMS of g, both bias-corrected.

    For each parameter p with gradient g, element-wise ((β1, β2) = betas, λ = weight_decay):

    .. math::

        t &\\leftarrow t + 1, \\quad g \\leftarrow g + \\lambda p \\\\
        m &\\leftarrow \\beta_1 m + (1-\\beta_1) g, \\quad v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2 \\\\
        \\hat m &= m / (1-\\beta_1^t), \\quad \\hat v = v / (1-\\beta_2^t)
            \\quad (\\text{AMSGrad: } v_{max} \\leftarrow \\max(v_{max}, v) \\text{ replaces } v) \\\\
        p &\\leftarrow p - \\mathrm{lr}\\, \\hat m / (\\sqrt{\\hat v} + \\epsilon)

    Notes:

    * eps placement: torch computes the denominator as √v / √(1 − β2^t) + eps = √v̂ + eps, exactly the
      paper's Algorithm 1. The paper's "more efficient" reordering in Section 2 (and TensorFlow/Keras)
      uses lr·√(1 − β2^t)/(1 − β1^t) · m / (√v + ε̂), which puts eps on √v instead of √v̂: the two
      agree when ε̂ = eps·√(1 − β2^t), so they differ only while eps matters (tiny gradients, early t).
    * With eps = 0 the first step moves every coordinate by exactly lr·sign(g): m̂ = g and √v̂ = |g|.
    * Both moments need bias correction. Some tutorials correct only m; then early steps divide by
      √v ≈ √(1 − β2^t)·|g| instead of |g| and are too large by 1/√(1 − β2^t): about 31.6× on the first
      step with β2 = 0.999, and still 1.26× after 1000 steps (lesson 05 shows it).
    * ``weight_decay`` here is an L2 penalty folded into g, so it is rescaled by √v̂ like the loss
      gradient; AdamW decouples it (Loshchilov & Hutter 2019).
    * AMSGrad (Reddi, Kale & Kumar 2018) divides by the running maximum of v, so steps never grow
      because v shrank; torch applies the bias correction to v_max.

    Args:
        params: the parameters to optimize, e.g. ``model.parameters()``.
        lr: learning rate.
        betas: (β1, β2), each in [0, 1): decay rates of the first and second moment.
        eps: ≥ 0, added to √v̂.
        weight_decay: λ ≥ 0, an L2 penalty added to the gradient.
        amsgrad: use the running maximum of v.
    """

    state_type = AdamState

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
    ) -> None:
        _validate_adam(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        super().__init__(params, defaults)

    def step(self) -> None:
        """Update every parameter that has a gradient with :func:`adam_update`."""
        for param, grad in self._params_with_grad():
            if param in self.state:
                state = self.state[param]
            else:
                state = adam_init(param.data, amsgrad=self.defaults["amsgrad"])
            new_p, self.state[param] = adam_update(
                param.data,
                grad,
                state,
                lr=self.lr,
                betas=self.defaults["betas"],
                eps=self.defaults["eps"],
                weight_decay=self.defaults["weight_decay"],
                amsgrad=self.defaults["amsgrad"],
            )
            param.data[...] = new_p


class AdamW(Optimizer):
    """AdamW (Loshchilov & Hutter 2019, *Decoupled Weight Decay Regularization*).

    Adam whose weight decay shrinks the weights directly instead of entering the gradient. For each
    parameter p with gradient g, element-wise ((β1, β2) = betas, λ = weight_decay):

    .. math::

        t &\\leftarrow t + 1, \\quad p \\leftarrow p\\,(1 - \\mathrm{lr}\\,\\lambda) \\\\
        m &\\leftarrow \\beta_1 m + (1-\\beta_1) g, \\quad v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2 \\\\
        \\hat m &= m / (1-\\beta_1^t), \\quad \\hat v = v / (1-\\beta_2^t)
            \\quad (\\text{AMSGrad: } v_{max} \\leftarrow \\max(v_{max}, v) \\text{ replaces } v) \\\\
        p &\\leftarrow p - \\mathrm{lr}\\, \\hat m / (\\sqrt{\\hat v} + \\epsilon)

    Why decouple: in Adam with an L2 penalty, λp is divided by √v̂ like the rest of the gradient, so
    weights with large gradients are barely decayed. Here every weight shrinks by the same factor.
    Where torch differs from the paper: the paper's Algorithm 2 decays by η_t·λ, with η_t a schedule
    multiplier and the learning rate α kept out of it; torch multiplies by the learning rate itself,
    p ← p(1 − lr·λ): with the defaults each step shrinks the weights by a factor 1 − 1e-5, and a
    schedule that lowers lr lowers the decay with it. The decay is applied before the Adam step;
    eps placement and bias correction are as in :class:`Adam`.

    Args:
        params: the parameters to optimize, e.g. ``model.parameters()``.
        lr: learning rate.
        betas: (β1, β2), each in [0, 1): decay rates of the first and second moment.
        eps: ≥ 0, added to √v̂.
        weight_decay: λ ≥ 0, the decoupled decay rate (torch's default 1e-2).
        amsgrad: use the running maximum of v.
    """

    state_type = AdamWState

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        _validate_adam(lr, betas, eps, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        super().__init__(params, defaults)

    def step(self) -> None:
        """Update every parameter that has a gradient with :func:`adamw_update`."""
        for param, grad in self._params_with_grad():
            if param in self.state:
                state = self.state[param]
            else:
                state = adamw_init(param.data, amsgrad=self.defaults["amsgrad"])
            new_p, self.state[param] = adamw_update(
                param.data,
                grad,
                state,
                lr=self.lr,
                betas=self.defaults["betas"],
                eps=self.defaults["eps"],
                weight_decay=self.defaults["weight_decay"],
                amsgrad=self.defaults["amsgrad"],
            )
            param.data[...] = new_p
