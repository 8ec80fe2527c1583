"""Learning-rate schedules for the NumPy optimizers: closed-form functions, and torch-like classes.

A schedule is a function of the step count t (torch calls it ``last_epoch``): the learning rate
at step t is ``schedule(t, base_lr, ...)``. The pure functions below give it in closed form; the
classes keep t, and on ``.step()`` set ``optimizer.lr`` to the schedule's value, as torch's
schedulers set ``group["lr"]``. Their learning rates equal ``torch.optim.lr_scheduler``'s to 1e-12.

As in torch, building a schedule already sets the learning rate for step 0 (so ``last_epoch`` is 0),
and ``scheduler.step()`` is called after ``optimizer.step()``, once per epoch (or per batch, if the
schedule is counted in batches)::

    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = CosineAnnealingLR(opt, T_max=epochs)
    for epoch in range(epochs):
        train_one_epoch(model, opt)       # calls opt.step() for every batch
        sched.step()

Unlike torch, which updates the current lr recursively (lr ← lr·factor), these classes recompute
the closed form from ``base_lr`` (the optimizer's lr when the schedule was built) at every step,
so a learning rate you set by hand is overwritten at the next ``step()``.
"""

from __future__ import annotations

import math
from typing import Any

from course_lib.validation import cosine_args, gamma_args, linear_warmup_args, step_lr_args, warmup_cosine_args

__all__ = [
    "CosineAnnealingLR",
    "WarmupCosineLR",
    "ExponentialLR",
    "LinearWarmup",
    "StepLR",
    "cosine_annealing_lr",
    "exponential_lr",
    "linear_warmup_lr",
    "step_lr",
    "warmup_cosine_lr",
]


# --------------------------------------------------------------------------------------------------
# The schedules in closed form
# --------------------------------------------------------------------------------------------------


def step_lr(t: int, base_lr: float, step_size: int, gamma: float = 0.1) -> float:
    """Step decay: multiply by gamma every ``step_size`` steps.

    lr(t) = base_lr · gamma^⌊t / step_size⌋
    """
    return base_lr * gamma ** (t // step_size)


def exponential_lr(t: int, base_lr: float, gamma: float) -> float:
    """Exponential decay: multiply by gamma every step.

    lr(t) = base_lr · gamma^t
    """
    return base_lr * gamma**t


def cosine_annealing_lr(t: int, base_lr: float, T_max: int, eta_min: float = 0.0) -> float:
    """Cosine annealing (Loshchilov & Hutter 2017, SGDR, without restarts): half a cosine from base_lr to eta_min.

    lr(t) = eta_min + (base_lr − eta_min) · (1 + cos(π t / T_max)) / 2

    It reaches eta_min at t = T_max. Past T_max the cosine simply continues and the learning rate
    rises again (period 2·T_max), exactly as torch's ``CosineAnnealingLR`` does; stop at T_max or
    choose T_max as the total number of steps.
    """
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2


def linear_warmup_lr(t: int, base_lr: float, warmup_steps: int, start_factor: float = 1 / 3) -> float:
    """Linear warm-up: from start_factor · base_lr at t = 0 up to base_lr at t = warmup_steps, then flat.

    lr(t) = base_lr · (start_factor + (1 − start_factor) · min(t, warmup_steps) / warmup_steps)

    This equals torch's ``LinearLR(optimizer, start_factor, end_factor=1.0, total_iters=warmup_steps)``,
    including its default ``start_factor=1/3``. Warm-up keeps the first updates small while Adam's
    second-moment estimate, or batch-norm statistics, are still noisy (Goyal et al. 2017).
    """
    return base_lr * (start_factor + (1 - start_factor) * min(t, warmup_steps) / warmup_steps)


# --------------------------------------------------------------------------------------------------
# The classes
# --------------------------------------------------------------------------------------------------


class _Schedule:
    """Keeps the step count and writes ``lr_at(last_epoch)`` into ``optimizer.lr``."""

    def __init__(self, optimizer: Any) -> None:
        name = type(self).__name__
        if hasattr(optimizer, "param_groups"):
            raise TypeError(
                f"{name} from course_lib.numpy_nn.schedules drives a course_lib.numpy_nn optimizer, "
                f"got a torch optimizer ({type(optimizer).__name__}); use course_lib.torch_nn.schedules."
            )
        if not hasattr(optimizer, "lr"):
            raise TypeError(
                f"{name} expects a course_lib.numpy_nn optimizer (an object with an .lr attribute), "
                f"got {type(optimizer).__name__}; build one first, e.g. SGD(model.parameters(), lr=0.1)."
            )
        self.optimizer = optimizer
        self.base_lr: float = optimizer.lr
        self.last_epoch: int = 0
        self._last_lr: float = self.lr_at(0)
        optimizer.lr = self._last_lr

    def lr_at(self, t: int) -> float:
        raise NotImplementedError

    def step(self) -> None:
        """Advance one step and set ``optimizer.lr`` to the schedule's value there."""
        self.last_epoch += 1
        self._last_lr = self.lr_at(self.last_epoch)
        self.optimizer.lr = self._last_lr

    def get_last_lr(self) -> float:
        """The learning rate this schedule set last (torch returns a list, one per group)."""
        return self._last_lr

    def state_dict(self) -> dict[str, Any]:
        """``{"base_lr": ..., "last_epoch": ...}`` and the schedule's settings, for checkpoints."""
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved; the optimizer's lr is set to match."""
        own = self.state_dict()
        if set(state_dict) != set(own):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict expects keys {sorted(own)}, got {sorted(state_dict)}; "
                f"was it saved from another kind of schedule?"
            )
        vars(self).update(state_dict)
        self.optimizer.lr = self._last_lr

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_") and k != "optimizer")
        return f"{type(self).__name__}({settings})"


class StepLR(_Schedule):
    """Multiply the learning rate by ``gamma`` every ``step_size`` steps: :func:`step_lr`.

    Args:
        optimizer: a ``course_lib.numpy_nn`` optimizer; its current lr is the base lr.
        step_size: steps between decays, > 0.
        gamma: the factor, > 0 (torch's default 0.1).
    """

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1) -> None:
        step_lr_args(step_size, gamma)
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        return step_lr(t, self.base_lr, self.step_size, self.gamma)


class ExponentialLR(_Schedule):
    """Multiply the learning rate by ``gamma`` every step: :func:`exponential_lr`.

    Args:
        optimizer: a ``course_lib.numpy_nn`` optimizer; its current lr is the base lr.
        gamma: the factor per step, > 0.
    """

    def __init__(self, optimizer: Any, gamma: float) -> None:
        gamma_args(gamma)
        self.gamma = gamma
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        return exponential_lr(t, self.base_lr, self.gamma)


class CosineAnnealingLR(_Schedule):
    """Half a cosine from the base lr down to ``eta_min`` over ``T_max`` steps: :func:`cosine_annealing_lr`.

    Args:
        optimizer: a ``course_lib.numpy_nn`` optimizer; its current lr is the base lr.
        T_max: steps from the base lr to eta_min, > 0.
        eta_min: the lowest learning rate, >= 0.
    """

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0) -> None:
        cosine_args(T_max, eta_min)
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        return cosine_annealing_lr(t, self.base_lr, self.T_max, self.eta_min)


class LinearWarmup(_Schedule):
    """Raise the learning rate linearly to the base lr over ``warmup_steps``: :func:`linear_warmup_lr`.

    Equal to torch's ``LinearLR(optimizer, start_factor, end_factor=1.0, total_iters=warmup_steps)``.

    Args:
        optimizer: a ``course_lib.numpy_nn`` optimizer; its current lr is the base lr.
        warmup_steps: steps to reach the base lr, > 0.
        start_factor: the first lr is start_factor · base lr; in (0, 1], torch's default 1/3.
    """

    def __init__(self, optimizer: Any, warmup_steps: int, start_factor: float = 1 / 3) -> None:
        linear_warmup_args(warmup_steps, start_factor)
        self.warmup_steps, self.start_factor = warmup_steps, start_factor
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        return linear_warmup_lr(t, self.base_lr, self.warmup_steps, self.start_factor)


def warmup_cosine_lr(
    t: int, base_lr: float, warmup_steps: int, total_steps: int, *, start_factor: float = 0.1, eta_min: float = 0.0
) -> float:
    """Linear warm-up for ``warmup_steps`` steps, then half a cosine down to ``eta_min`` at ``total_steps``.

    lr(t) = linear_warmup_lr(t, base_lr, W, start_factor)              for t < W
    lr(t) = cosine_annealing_lr(t − W, base_lr, total_steps − W, eta_min)  for t ≥ W

    This is torch's ``SequentialLR([LinearLR(opt, start_factor, total_iters=W),
    CosineAnnealingLR(opt, T_max=total_steps − W, eta_min)], milestones=[W])`` in closed form,
    the schedule of many transformer recipes (warm-up: Goyal et al. 2017; cosine: Loshchilov & Hutter 2017).
    """
    if t < warmup_steps:
        return linear_warmup_lr(t, base_lr, warmup_steps, start_factor)
    return cosine_annealing_lr(t - warmup_steps, base_lr, total_steps - warmup_steps, eta_min)


class WarmupCosineLR(_Schedule):
    """Linear warm-up, then cosine decay: :func:`warmup_cosine_lr`, stepped like the numpy_nn schedules.

    Args:
        optimizer: a ``course_lib.numpy_nn`` optimizer; its current lr is the peak (base) lr.
        warmup_steps: steps of linear warm-up, > 0.
        total_steps: the step at which the lr reaches ``eta_min``, > warmup_steps.
        start_factor: the first lr is start_factor · base lr, in (0, 1].
        eta_min: the final lr, ≥ 0.
    """

    def __init__(
        self, optimizer: Any, warmup_steps: int, total_steps: int, *, start_factor: float = 0.1, eta_min: float = 0.0
    ) -> None:
        warmup_cosine_args(warmup_steps, total_steps, start_factor, eta_min)
        self.warmup_steps, self.total_steps = warmup_steps, total_steps
        self.start_factor, self.eta_min = start_factor, eta_min
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        return warmup_cosine_lr(
            t, self.base_lr, self.warmup_steps, self.total_steps, start_factor=self.start_factor, eta_min=self.eta_min
        )
