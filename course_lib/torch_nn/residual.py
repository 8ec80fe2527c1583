"""The PyTorch twin of course_lib.numpy_nn.residual: ``Residual(body)``, y = x + body(x).

torch has no residual layer of its own, so this is a small ``nn.Module``; autograd supplies the
backward that the NumPy twin writes out (dx = dy + dbody). The body is kept as ``self.body``, so
its parameters are ``body.0.weight``, ... in both twins and weights copy key by key.
"""

from __future__ import annotations

import torch
from torch import nn

from course_lib.validation import residual_fits

__all__ = ["Residual"]


class Residual(nn.Module):
    """y = x + body(x); the body (any ``nn.Module``) must return its input's shape, checked as the NumPy twin does."""

    def __init__(self, body: nn.Module) -> None:
        if not isinstance(body, nn.Module):
            raise TypeError(f"Residual takes an nn.Module as its body (e.g. nn.Sequential(Linear(h, h), ReLU())); "
                            f"got {type(body).__name__}.")
        super().__init__()
        self.body = body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.body(x)
        residual_fits(type(self.body).__name__, tuple(x.shape), tuple(out.shape))
        return x + out
