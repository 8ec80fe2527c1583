"""Optimizers from scratch: each update rule written out once, and torch.optim's classes over them.

A rule is a pure function, in the style of optax: ``<name>_init(p) -> state`` and
``<name>_update(p, g, state, *, lr, ...) -> (new_p, new_state)``. The state is a ``NamedTuple``
holding everything the rule remembers between steps (``t``, ``m``, ``v``, ...), so nothing is
hidden, and the rule returns new arrays instead of changing its inputs. A rule does arithmetic
only: its docstring is the algorithm's one written form (the torch twins point here).

A class (``SGD``, ``Adagrad``, ``RMSprop``, ``Adam``, ``AdamW``) has torch.optim's name, signature,
defaults and semantics. It checks its hyperparameters once, when it is built, with the messages of
``course_lib.validation`` (the torch twin refuses the same values with the same words), and its
``step()`` applies its rule to every parameter that has a gradient. Trajectories match torch.optim's
to 1e-9 (tests/numpy_nn/test_optimizers.py)::

    opt = Adam(model.parameters(), lr=1e-3)
    for x, y in batches:
        opt.zero_grad()      # every p.grad = None
        ...                  # forward, loss, backward: the gradients land in p.grad
        opt.step()           # p.data updated in place; opt.state[p] holds t, m, v
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, NamedTuple

import numpy as np
from numpy.typing import NDArray

from course_lib.numpy_nn.module import Parameter
from course_lib.validation import adagrad_args, adam_args, gradient_fits, parameter_list, rmsprop_args, sgd_args

__all__ = [
    "SGD", "Adagrad", "AdagradState", "Adam", "AdamState", "AdamW", "Optimizer", "RMSprop", "RMSpropState",
    "SGDState", "adagrad_init", "adagrad_update", "adam_init", "adam_update", "adamw_update", "rmsprop_init",
    "rmsprop_update", "sgd_init", "sgd_update",
]


# ---- the rules -------------------------------------------------------------------------------------


class SGDState(NamedTuple):
    """What SGD remembers: the momentum buffer b (None before the first step, or without momentum)."""

    momentum_buffer: NDArray | None


def sgd_init(p: NDArray) -> SGDState:
    return SGDState(momentum_buffer=None)


def sgd_update(p: NDArray, g: NDArray, state: SGDState, *, lr: float, momentum: float = 0.0, dampening: float = 0.0,
               weight_decay: float = 0.0, nesterov: bool = False) -> tuple[NDArray, SGDState]:
    """One step of SGD with momentum (Polyak 1964) or Nesterov momentum (Sutskever et al. 2013), as torch.

    With μ = momentum, τ = dampening, λ = weight_decay::

        g ← g + λ p                        (L2 penalty λ/2·|p|², folded into the gradient)
        b ← g  on the first step,  b ← μ b + (1 − τ) g  afterwards
        d ← g + μ b  if nesterov  else  b
        p ← p − lr · d                     (μ = 0: plain p ← p − lr · g)

    Where torch differs from the papers: Sutskever et al. keep lr inside the velocity,
    v ← μ v − lr·g; p ← p + v. With a constant lr the trajectories are identical (v = −lr·b); when a
    schedule changes lr, torch's form rescales the whole buffer at once. The first step is always
    lr·g (no dampening). Nesterov's look-ahead gradient ∇f(p + μv) is replaced by the equivalent
    d = g + μ b (Bengio, Boulanger-Lewandowski & Pascanu 2013), which needs only the gradient at p.
    """
    if weight_decay != 0:
        g = g + weight_decay * p
    b = state.momentum_buffer
    if momentum == 0:
        return p - lr * g, SGDState(momentum_buffer=None)
    b = np.array(g, copy=True) if b is None else momentum * b + (1 - dampening) * g
    d = g + momentum * b if nesterov else b
    return p - lr * d, SGDState(momentum_buffer=b)


class AdagradState(NamedTuple):
    """What Adagrad remembers: the step count t and the running sum of squared gradients."""

    t: int
    sum: NDArray


def adagrad_init(p: NDArray, *, initial_accumulator_value: float = 0.0) -> AdagradState:
    return AdagradState(t=0, sum=np.full_like(p, initial_accumulator_value))


def adagrad_update(p: NDArray, g: NDArray, state: AdagradState, *, lr: float, lr_decay: float = 0.0,
                   weight_decay: float = 0.0, eps: float = 1e-10) -> tuple[NDArray, AdagradState]:
    """One Adagrad step (Duchi, Hazan & Singer 2011): each coordinate's step shrinks with its history.

    With λ = weight_decay, element-wise::

        t ← t + 1,   g ← g + λ p
        lr_t ← lr / (1 + (t − 1) · lr_decay)
        sum ← sum + g²
        p ← p − lr_t · g / (√sum + eps)

    ``lr_decay`` is torch's addition (the paper keeps lr constant). Because the sum only grows, the
    step only shrinks: good for sparse features, but it can stall deep networks (RMSprop's motive).
    """
    t = state.t + 1
    if weight_decay != 0:
        g = g + weight_decay * p
    lr_t = lr / (1 + (t - 1) * lr_decay)
    sum_ = state.sum + g * g
    return p - lr_t * g / (np.sqrt(sum_) + eps), AdagradState(t=t, sum=sum_)


class RMSpropState(NamedTuple):
    """What RMSprop remembers: the average of g², and, when used, the momentum buffer and average of g."""

    square_avg: NDArray
    momentum_buffer: NDArray | None
    grad_avg: NDArray | None


def rmsprop_init(p: NDArray, *, momentum: float = 0.0, centered: bool = False) -> RMSpropState:
    return RMSpropState(square_avg=np.zeros_like(p), momentum_buffer=np.zeros_like(p) if momentum > 0 else None,
                        grad_avg=np.zeros_like(p) if centered else None)


def rmsprop_update(p: NDArray, g: NDArray, state: RMSpropState, *, lr: float, alpha: float = 0.99, eps: float = 1e-8,
                   weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False) -> tuple[NDArray, RMSpropState]:
    """One RMSprop step (Hinton, Coursera lecture 6e, 2012): divide g by a running RMS of recent gradients.

    With α = alpha, μ = momentum, λ = weight_decay, element-wise::

        g ← g + λ p
        v ← α v + (1 − α) g²               (square_avg)
        ḡ ← α ḡ + (1 − α) g                (grad_avg, only if centered: Graves 2013)
        s ← √(v − ḡ²) + eps  if centered  else  √v + eps
        b ← μ b + g / s,   p ← p − lr · b   if μ > 0
        p ← p − lr · g / s                  otherwise

    torch puts eps outside the square root (TensorFlow inside), so with eps = 0 the first step moves
    each coordinate by lr/√(1 − α) = 10·lr for α = 0.99. The state must come from ``rmsprop_init``
    with the same ``momentum`` and ``centered``.
    """
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
        return p - lr * b, RMSpropState(square_avg=v, momentum_buffer=b, grad_avg=g_avg)
    return p - lr * g / s, RMSpropState(square_avg=v, momentum_buffer=b, grad_avg=g_avg)


class AdamState(NamedTuple):
    """What Adam (and AdamW) remember: step t, first moment m, second moment v, max of v (AMSGrad only)."""

    t: int
    m: NDArray
    v: NDArray
    v_max: NDArray | None


def adam_init(p: NDArray, *, amsgrad: bool = False) -> AdamState:
    return AdamState(t=0, m=np.zeros_like(p), v=np.zeros_like(p), v_max=np.zeros_like(p) if amsgrad else None)


def adam_update(p: NDArray, g: NDArray, state: AdamState, *, lr: float, betas: tuple[float, float] = (0.9, 0.999),
                eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False) -> tuple[NDArray, AdamState]:
    """One Adam step (Kingma & Ba 2015): momentum on g, divided by a running RMS of g, both bias-corrected.

    With (β1, β2) = betas, λ = weight_decay, element-wise::

        t ← t + 1
        g ← g + λ p                        (L2 penalty; AdamW decouples it instead)
        m ← β1 m + (1 − β1) g
        v ← β2 v + (1 − β2) g²
        v_max ← max(v_max, v), used in place of v below   (AMSGrad only)
        m̂ ← m / (1 − β1^t),   v̂ ← v / (1 − β2^t)
        p ← p − lr · m̂ / (√v̂ + eps)

    Notes:

    * eps placement: torch computes √v / √(1 − β2^t) + eps = √v̂ + eps, the paper's Algorithm 1. The
      paper's "more efficient" reordering (and TensorFlow) puts eps on √v instead of √v̂; the two
      differ only while eps matters (tiny gradients, early t).
    * With eps = 0 the first step moves every coordinate by exactly lr·sign(g): m̂ = g, √v̂ = |g|.
    * Both moments need bias correction. Correcting only m makes the early steps too large by
      1/√(1 − β2^t): 31.6× on the first step with β2 = 0.999, still 1.26× after 1000 (lesson 05).
    * AMSGrad (Reddi, Kale & Kumar 2018) divides by the running maximum of v, so a step never grows
      because v shrank; the state must come from ``adam_init(p, amsgrad=True)``.
    """
    beta1, beta2 = betas
    t = state.t + 1
    if weight_decay != 0:
        g = g + weight_decay * p
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g * g
    v_max = np.maximum(state.v_max, v) if amsgrad else state.v_max
    m_hat = m / (1 - beta1**t)
    # √v̂ + eps, written as √v / √(1 − β2^t) + eps; math.sqrt keeps float32 arrays in float32.
    denom = np.sqrt(v_max if amsgrad else v) / math.sqrt(1 - beta2**t) + eps
    return p - lr * m_hat / denom, AdamState(t=t, m=m, v=v, v_max=v_max)


def adamw_update(p: NDArray, g: NDArray, state: AdamState, *, lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False) -> tuple[NDArray, AdamState]:
    """One AdamW step (Loshchilov & Hutter 2019): shrink the weights, then take Adam's step without L2.

        p ← p · (1 − lr · λ)               (decoupled weight decay; g is left alone)
        then :func:`adam_update` with weight_decay = 0

    Why decouple: in Adam with L2, λp is divided by √v̂ like the rest of g, so weights with large
    gradients are barely decayed; here every weight shrinks by the same factor. torch multiplies by
    lr itself (the paper by a schedule multiplier η_t), so a schedule that lowers lr lowers the decay.
    The state is Adam's (``adam_init``).
    """
    p = p * (1 - lr * weight_decay)
    return adam_update(p, g, state, lr=lr, betas=betas, eps=eps, weight_decay=0.0, amsgrad=amsgrad)


# ---- the classes -----------------------------------------------------------------------------------


class Optimizer:
    """What every NumPy optimizer shares: the parameters, the hyperparameters, the state, ``step``.

    Attributes:
        params: the list of :class:`Parameter` objects being optimized.
        lr: the current learning rate, a plain attribute: schedules (and you) may set it.
        defaults: the other hyperparameters (and the lr given at construction); ``step`` reads
            them from here, so changing ``defaults["momentum"]`` takes effect.
        state: ``{param: NamedTuple}``, what the rule remembers for each parameter.

    A subclass names its rule (``init``, ``update``, ``state_type``) and which hyperparameters the
    rule's ``init`` takes (``init_keys``); ``step`` passes every other one to ``update``.
    """

    init: ClassVar[Callable[..., Any]]
    update: ClassVar[Callable[..., Any]]
    state_type: ClassVar[type]
    init_keys: ClassVar[tuple[str, ...]] = ()
    init_only: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: Iterable[Parameter], defaults: dict[str, Any]) -> None:
        self.params: list[Parameter] = parameter_list(params, type(self).__name__, Parameter)
        self.defaults: dict[str, Any] = dict(defaults)
        self.lr: float = defaults["lr"]
        self.state: dict[Parameter, Any] = {}

    def _params_with_grad(self) -> list[tuple[Parameter, NDArray]]:
        """The (parameter, gradient) pairs to update; a gradient of another shape, or complex, is a clear error."""
        return [(param, gradient_fits(index, param.grad, param.data))
                for index, param in enumerate(self.params) if param.grad is not None]

    def step(self) -> None:
        """Apply the rule to every parameter that has a gradient; ``param.data`` changes in place."""
        init = type(self).init
        update = type(self).update
        settings = {k: v for k, v in self.defaults.items() if k != "lr" and k not in self.init_only}
        for param, grad in self._params_with_grad():
            if param not in self.state:
                self.state[param] = init(param.data, **{k: self.defaults[k] for k in self.init_keys})
            new_p, self.state[param] = update(param.data, grad, self.state[param], lr=self.lr, **settings)
            param.data[...] = new_p  # in place, as torch does, so views of param.data stay valid

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set each ``.grad`` to None (or fill it with zeros), as in torch."""
        for param in self.params:
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad = np.zeros_like(param.grad)

    def state_dict(self) -> dict[str, Any]:
        """A deep copy: ``{"lr": ..., "hyperparameters": self.defaults, "state": {index: {field: value}}}``.

        Parameter ``i`` is ``self.params[i]``; one that has not taken a step yet has no entry.
        """
        return {
            "lr": self.lr,
            "hyperparameters": copy.deepcopy(self.defaults),
            "state": {i: copy.deepcopy(self.state[p]._asdict()) for i, p in enumerate(self.params) if p in self.state},
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved, into an optimizer over parameters of the same shapes."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or set(state_dict) != {"lr", "hyperparameters", "state"}:
            keys = f" with keys {sorted(state_dict)}" if isinstance(state_dict, dict) else ""
            raise ValueError(f"{name}.load_state_dict expects the dict made by {name}.state_dict(), with keys "
                             f"'hyperparameters', 'lr' and 'state'; got {type(state_dict).__name__}{keys}.")
        hyper = state_dict["hyperparameters"]
        if set(hyper) != set(self.defaults):
            raise ValueError(f"{name}.load_state_dict: the hyperparameters {sorted(hyper)} are not those of {name} "
                             f"({sorted(self.defaults)}); was the state_dict saved from another optimizer?")
        fields = set(self.state_type._fields)
        new_state: dict[Parameter, Any] = {}
        for index, saved in state_dict["state"].items():
            if not (isinstance(index, int) and 0 <= index < len(self.params)):
                raise ValueError(f"{name}.load_state_dict: state for parameter {index!r}, but this optimizer has "
                                 f"parameters 0..{len(self.params) - 1}; build it over the same parameters.")
            if set(saved) != fields:
                raise ValueError(f"{name}.load_state_dict: state of parameter {index} has fields {sorted(saved)}, "
                                 f"expected {sorted(fields)}.")
            param = self.params[index]
            for field, value in saved.items():
                if isinstance(value, np.ndarray) and value.shape != param.data.shape:
                    raise ValueError(f"{name}.load_state_dict: state {field!r} of parameter {index} has shape "
                                     f"{value.shape}, but the parameter has shape {param.data.shape}.")
            new_state[param] = self.state_type(**copy.deepcopy(saved))
        self.defaults = copy.deepcopy(dict(hyper))
        self.lr = state_dict["lr"]
        self.state = new_state

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v!r}" for k, v in {**self.defaults, "lr": self.lr}.items())
        return f"{type(self).__name__}({len(self.params)} parameters, {hyper})"


class SGD(Optimizer):
    """``torch.optim.SGD``'s twin: :func:`sgd_update` on every parameter (momentum, Nesterov, L2).

    Args: ``params`` (e.g. ``model.parameters()``), then torch's hyperparameters and defaults (lr 1e-3):
    momentum μ ≥ 0 (0: off), dampening τ in [0, 1], weight_decay λ ≥ 0, nesterov (needs μ > 0, τ = 0).
    """

    init, update, state_type = staticmethod(sgd_init), staticmethod(sgd_update), SGDState

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False) -> None:
        sgd_args(lr, momentum, dampening, weight_decay, nesterov)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov))


class Adagrad(Optimizer):
    """``torch.optim.Adagrad``'s twin: :func:`adagrad_update` on every parameter.

    Args: ``params``, then torch's hyperparameters and defaults: lr, lr_decay ≥ 0, weight_decay λ ≥ 0,
    initial_accumulator_value ≥ 0 (the sum's start), eps ≥ 0.
    """

    init, update, state_type = staticmethod(adagrad_init), staticmethod(adagrad_update), AdagradState
    init_keys = init_only = ("initial_accumulator_value",)

    def __init__(self, params: Iterable[Parameter], lr: float = 0.01, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10) -> None:
        adagrad_args(lr, lr_decay, weight_decay, eps, initial_accumulator_value)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps))


class RMSprop(Optimizer):
    """``torch.optim.RMSprop``'s twin: :func:`rmsprop_update` on every parameter.

    Args: ``params``, then torch's hyperparameters and defaults: lr, alpha α in [0, 1), eps ≥ 0,
    weight_decay λ ≥ 0, momentum μ ≥ 0 (0: off), centered (divide by √(v − ḡ²)).
    """

    init, update, state_type = staticmethod(rmsprop_init), staticmethod(rmsprop_update), RMSpropState
    init_keys = ("momentum", "centered")

    def __init__(self, params: Iterable[Parameter], lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False) -> None:
        rmsprop_args(lr, alpha, eps, weight_decay, momentum)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered))


class Adam(Optimizer):
    """``torch.optim.Adam``'s twin: :func:`adam_update` on every parameter.

    Args: ``params``, then torch's hyperparameters and defaults: lr, betas (β1, β2) each in [0, 1),
    eps ≥ 0, weight_decay λ ≥ 0 (an L2 penalty; AdamW decouples it), amsgrad.
    """

    init, update, state_type = staticmethod(adam_init), staticmethod(adam_update), AdamState
    init_keys = ("amsgrad",)

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False) -> None:
        adam_args(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad))


class AdamW(Adam):
    """``torch.optim.AdamW``'s twin: :func:`adamw_update` (decoupled weight decay) on every parameter.

    Args: as :class:`Adam`, but ``weight_decay`` (torch's default 1e-2) shrinks the weights directly.
    """

    update = staticmethod(adamw_update)

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
