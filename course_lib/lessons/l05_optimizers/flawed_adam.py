"""The flawed Adam of the source material: bias-correcting the first moment but not the second.

Kept only to show what the missing correction does (lesson 05, section 7); never train with it.
The correct rule is ``course_lib.numpy_nn.optimizers.adam_update``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

from course_lib.numpy_nn.module import Parameter
from course_lib.numpy_nn.optimizers import AdamState, Optimizer, adam_init
from course_lib.validation import adam_args

__all__ = ["FLAWED_ADAM", "FlawedAdam", "flawed_adam_update"]

#: The name the lesson's optimizer factory knows the source material's Adam by (NumPy only).
FLAWED_ADAM = "FlawedAdam"


def flawed_adam_update(
    p: NDArray,
    g: NDArray,
    state: AdamState,
    *,
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> tuple[NDArray, AdamState]:
    """A WRONG Adam, for teaching: it bias-corrects the first moment but not the second.

    This is the update some tutorials print (among them the source material of lesson 05)::

        m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²
        p ← p − lr · (m / (1 − β1^t)) / (√v + eps)          # √v where Adam has √v̂

    What is wrong: v starts at 0, so after t steps it has only the weight 1 − β2^t on the squared
    gradients (v ≈ (1 − β2^t)·g² for a steady g). Kingma & Ba (2015, section 3) divide by
    1 − β2^t to undo this; without it the denominator √v is too small by √(1 − β2^t), and every
    early step is too large by 1/√(1 − β2^t): about 31.6× on the first step with β2 = 0.999,
    still 10× after 10 steps and 1.26× after 1000. Use :func:`course_lib.numpy_nn.optimizers.adam_update`.

    Args, Returns: as :func:`course_lib.numpy_nn.optimizers.adam_update` (without weight decay and AMSGrad).
    """
    beta1, beta2 = betas
    t = state.t + 1
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    return p - lr * m_hat / (np.sqrt(v) + eps), AdamState(t=t, m=m, v=v, v_max=None)


class FlawedAdam(Optimizer):
    """The optimizer of :func:`flawed_adam_update`: Adam without the second moment's bias correction.

    Kept only to show what the missing correction does; never train with it.

    Args:
        params: the parameters to optimize.
        lr, betas, eps: as in :class:`course_lib.numpy_nn.optimizers.Adam`.
    """

    init, update, state_type = staticmethod(adam_init), staticmethod(flawed_adam_update), AdamState

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        adam_args(lr, betas, eps, 0.0)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps))
