"""The PyTorch twins of course_lib.numpy_nn.layers: torch.nn's own layers.

The NumPy layers mirror these one for one: the same class names, the same hyperparameter names
and defaults (``LeakyReLU(negative_slope=0.01)``, ``BatchNorm1d(num_features, eps=1e-5,
momentum=0.1)``, ``Dropout(p=0.5)``, ...), the same (out, in) weight layout and the same
state_dict keys, so weights move between twins one tensor per key
(:func:`course_lib.torch_nn.models.copy_weights_numpy_to_torch`). The twins are checked against
each other in tests/torch_nn/test_twins.py. The NumPy versions differ only where NumPy must: they take an
explicit ``rng`` for their random draws, and ``Linear`` takes an ``init`` name.

Most are re-exported as they are. Those whose hyperparameters torch takes without a word
(``Dropout("0.5")``, ``BatchNorm1d(eps=nan)``, ``Linear(0, 3)``) or refuses from deep inside
(``Softmax(dim=5)`` on a matrix) are torch's classes with the NumPy twin's checks run first
(``course_lib.validation``), so both twins refuse them with one message.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import GELU, Flatten, ReLU, Sequential, Sigmoid, Tanh

from course_lib.validation import batch_norm_args, dim_arg, dim_fits, probability, real, whole

__all__ = [
    "ELU",
    "GELU",
    "BatchNorm1d",
    "Dropout",
    "Flatten",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
]


class Linear(nn.Linear):
    """torch's ``Linear``; sizes checked as ``numpy_nn.layers.Linear`` checks them (torch allows 0)."""

    def __init__(self, in_features: int, out_features: int, *args: Any, **kwargs: Any) -> None:
        whole("Linear", "in_features", in_features)
        whole("Linear", "out_features", out_features)
        super().__init__(in_features, out_features, *args, **kwargs)


class LeakyReLU(nn.LeakyReLU):
    """torch's ``LeakyReLU``; ``negative_slope`` must be a finite number, as in ``numpy_nn.layers.LeakyReLU``."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        real("negative_slope", negative_slope)
        super().__init__(negative_slope, inplace)


class ELU(nn.ELU):
    """torch's ``ELU``; ``alpha`` must be a finite number, as in ``numpy_nn.layers.ELU``."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        real("alpha", alpha)
        super().__init__(alpha, inplace)


class _DimChecked:
    """``dim`` checked at construction and against each input's dimensions, as the NumPy twin checks it."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__(dim if dim is None else dim_arg(type(self).__name__, dim))

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        if self.dim is not None:
            dim_fits(type(self).__name__, self.dim, tuple(input.shape))
        return super().forward(input)


class Softmax(_DimChecked, nn.Softmax):
    """torch's ``Softmax``; ``dim`` must be an integer that names a dimension of the input."""


class LogSoftmax(_DimChecked, nn.LogSoftmax):
    """torch's ``LogSoftmax``; ``dim`` checked as :class:`Softmax` checks it."""


class Dropout(nn.Dropout):
    """torch's ``Dropout``; ``p`` must be a number in [0, 1), as in ``numpy_nn.layers.Dropout`` (torch allows 1)."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__(probability("Dropout", p), inplace)


class BatchNorm1d(nn.BatchNorm1d):
    """torch's ``BatchNorm1d``; ``eps`` finite and > 0, ``momentum`` in [0, 1] or None, as in the NumPy twin."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, *args: Any, **kwargs: Any) -> None:
        batch_norm_args(num_features, eps, momentum)
        super().__init__(num_features, eps, momentum, *args, **kwargs)
