"""The PyTorch twins of ``course_lib.numpy_nn.schedules``.

torch's own schedulers already are the twins of ``StepLR``, ``ExponentialLR`` and
``CosineAnnealingLR`` (same names, same arguments, same learning rates); the classes here are torch's,
with the NumPy twin's argument checks (``course_lib.validation``) run first, so both twins refuse
``gamma=-1`` (a negative lr would climb the gradient) or ``step_size=0`` (a division by zero at the
first step) with one message. ``LinearWarmup`` has no torch class of that name; it is torch's ``LinearLR`` with
``end_factor=1.0`` and ``total_iters=warmup_steps``, under the NumPy twin's signature, and
``WarmupCosineLR`` is torch's ``SequentialLR`` chaining ``LinearLR`` into ``CosineAnnealingLR``.

They work with any ``torch.optim.Optimizer``, the from-scratch ones in
``course_lib.torch_nn.optimizers`` included: they set ``group["lr"]`` in each parameter group.
``get_last_lr()`` returns a list (one lr per group), where the NumPy twin returns a float.
"""

from __future__ import annotations

import torch
from torch.optim import lr_scheduler

from course_lib.validation import cosine_args, gamma_args, linear_warmup_args, step_lr_args, warmup_cosine_args

__all__ = ["CosineAnnealingLR", "ExponentialLR", "LinearWarmup", "StepLR", "WarmupCosineLR"]


def _torch_optimizer(optimizer: object, owner: str) -> None:
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"{owner} from course_lib.torch_nn.schedules drives a torch optimizer, got "
                        f"{type(optimizer).__name__}; for a course_lib.numpy_nn optimizer use course_lib.numpy_nn.schedules.")


class StepLR(lr_scheduler.StepLR):
    """torch's ``StepLR`` (lr · gamma every ``step_size`` steps), refusing what ``numpy_nn.schedules.StepLR`` refuses."""

    def __init__(self, optimizer: torch.optim.Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        step_lr_args(step_size, gamma)
        _torch_optimizer(optimizer, "StepLR")
        super().__init__(optimizer, step_size, gamma=gamma, last_epoch=last_epoch)


class ExponentialLR(lr_scheduler.ExponentialLR):
    """torch's ``ExponentialLR`` (lr · gamma every step), refusing what ``numpy_nn.schedules.ExponentialLR`` refuses."""

    def __init__(self, optimizer: torch.optim.Optimizer, gamma: float, last_epoch: int = -1) -> None:
        gamma_args(gamma)
        _torch_optimizer(optimizer, "ExponentialLR")
        super().__init__(optimizer, gamma, last_epoch=last_epoch)


class CosineAnnealingLR(lr_scheduler.CosineAnnealingLR):
    """torch's ``CosineAnnealingLR``, refusing what ``numpy_nn.schedules.CosineAnnealingLR`` refuses."""

    def __init__(self, optimizer: torch.optim.Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        cosine_args(T_max, eta_min)
        _torch_optimizer(optimizer, "CosineAnnealingLR")
        super().__init__(optimizer, T_max, eta_min=eta_min, last_epoch=last_epoch)


class LinearWarmup(lr_scheduler.LinearLR):
    """Raise the learning rate linearly from ``start_factor`` · base lr to the base lr over ``warmup_steps``.

    lr(t) = base_lr · (start_factor + (1 − start_factor) · min(t, warmup_steps) / warmup_steps)

    Args:
        optimizer: a ``torch.optim.Optimizer``; each group's lr is its base lr.
        warmup_steps: steps to reach the base lr, > 0.
        start_factor: in (0, 1], torch's ``LinearLR`` default 1/3.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, warmup_steps: int, start_factor: float = 1 / 3) -> None:
        linear_warmup_args(warmup_steps, start_factor)
        _torch_optimizer(optimizer, "LinearWarmup")
        self.warmup_steps = warmup_steps
        super().__init__(optimizer, start_factor=start_factor, end_factor=1.0, total_iters=warmup_steps)


class WarmupCosineLR(lr_scheduler.SequentialLR):
    """Linear warm-up for ``warmup_steps`` steps, then half a cosine down to ``eta_min`` at ``total_steps``.

    The twin of ``course_lib.numpy_nn.schedules.WarmupCosineLR``, built from torch's own pieces:
    ``SequentialLR([LinearLR(start_factor, total_iters=W), CosineAnnealingLR(T_max=total_steps − W,
    eta_min)], milestones=[W])``.
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        warmup_steps: int,
        total_steps: int,
        *,
        start_factor: float = 0.1,
        eta_min: float = 0.0,
    ) -> None:
        warmup_cosine_args(warmup_steps, total_steps, start_factor, eta_min)
        _torch_optimizer(optimizer, "WarmupCosineLR")
        self.warmup_steps, self.total_steps = warmup_steps, total_steps
        warmup = lr_scheduler.LinearLR(optimizer, start_factor=start_factor, end_factor=1.0, total_iters=warmup_steps)
        cosine = CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps, eta_min=eta_min)
        super().__init__(optimizer, schedulers=[warmup, cosine], milestones=[warmup_steps])
