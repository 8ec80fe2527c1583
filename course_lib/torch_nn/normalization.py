"""The PyTorch twin of course_lib.numpy_nn.normalization: torch's ``LayerNorm``, its arguments checked first.

torch takes ``LayerNorm(4, eps=nan)`` or ``LayerNorm(0)`` without a word and refuses a misfitting
input from deep inside; this subclass runs the NumPy twin's checks (``course_lib.validation``) at
construction and on each input, so both twins refuse with one message. The algorithm's written
form is the NumPy twin's docstring.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from course_lib.validation import layer_norm_args, layer_norm_fits

__all__ = ["LayerNorm"]


class LayerNorm(nn.LayerNorm):
    """torch's ``LayerNorm``; normalized_shape positive ints, eps finite and > 0, as in ``numpy_nn.normalization.LayerNorm``."""

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, *args: Any, **kwargs: Any) -> None:
        layer_norm_args(normalized_shape, eps)
        super().__init__(normalized_shape, eps, elementwise_affine, bias, *args, **kwargs)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        layer_norm_fits(self.normalized_shape, tuple(input.shape))
        return super().forward(input)
