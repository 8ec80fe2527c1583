"""The PyTorch twins of course_lib.numpy_nn.layers: torch.nn's own layers, re-exported.

The NumPy layers mirror these one for one: the same class names, the same hyperparameter names
and defaults (``LeakyReLU(negative_slope=0.01)``, ``BatchNorm1d(num_features, eps=1e-5,
momentum=0.1)``, ``Dropout(p=0.5)``, ...), the same (out, in) weight layout and the same
state_dict keys, so weights move between twins one tensor per key
(:func:`course_lib.torch_nn.models.copy_weights_numpy_to_torch`). The twins are checked against
each other in tests/torch_nn/test_twins.py. The NumPy versions differ only where NumPy must: they take an
explicit ``rng`` for their random draws, and ``Linear`` takes an ``init`` name.
"""

from __future__ import annotations

from torch.nn import (
    ELU,
    GELU,
    BatchNorm1d,
    Dropout,
    Flatten,
    LeakyReLU,
    Linear,
    LogSoftmax,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)

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
