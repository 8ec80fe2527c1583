"""The PyTorch twins of ``course_lib.numpy_nn.schedules``.

torch's own schedulers already are the twins of ``StepLR``, ``ExponentialLR`` and
``CosineAnnealingLR`` (same names, same arguments, same learning rates), so they are re-exported as
they are. ``LinearWarmup`` has no torch class of that name; it is torch's ``LinearLR`` with
``end_factor=1.0`` and ``total_iters=warmup_steps``, under the NumPy twin's signature, and
``WarmupCosineLR`` is torch's ``SequentialLR`` chaining ``LinearLR`` into ``CosineAnnealingLR``.

They work with any ``torch.optim.Optimizer``, the from-scratch ones in
``course_lib.torch_nn.optimizers`` included: they set ``group["lr"]`` in each parameter group.
``get_last_lr()`` returns a list (one lr per group), where the NumPy twin returns a float.
"""

from __future__ import annotations

import torch
from torch.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, LinearLR, SequentialLR, StepLR

from course_lib.validation import linear_warmup_args, warmup_cosine_args

__all__ = ["CosineAnnealingLR", "ExponentialLR", "LinearWarmup", "StepLR", "WarmupCosineLR"]


class LinearWarmup(LinearLR):
    """Raise the learning rate linearly from ``start_factor`` · base lr to the base lr over ``warmup_steps``.

    lr(t) = base_lr · (start_factor + (1 − start_factor) · min(t, warmup_steps) / warmup_steps)

    Args:
        optimizer: a ``torch.optim.Optimizer``; each group's lr is its base lr.
        warmup_steps: steps to reach the base lr, > 0.
        start_factor: in (0, 1], torch's ``LinearLR`` default 1/3.
    """

    def __init__(self, optimizer: torch.optim.Optimizer, warmup_steps: int, start_factor: float = 1 / 3) -> None:
        linear_warmup_args(warmup_steps, start_factor)
        self.warmup_steps = warmup_steps
        super().__init__(optimizer, start_factor=start_factor, end_factor=1.0, total_iters=warmup_steps)


class WarmupCosineLR(SequentialLR):
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
        self.warmup_steps, self.total_steps = warmup_steps, total_steps
        warmup = LinearLR(optimizer, start_factor=start_factor, end_factor=1.0, total_iters=warmup_steps)
        cosine = CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps, eta_min=eta_min)
        super().__init__(optimizer, schedulers=[warmup, cosine], milestones=[warmup_steps])
