"""A residual block (He et al., 2016), written from scratch in NumPy: ``Residual(body)``, y = x + body(x).

The skip connection is why deep networks train: the gradient reaches x along two paths, through
the body and straight past it (dx = dy + dbody), so it cannot vanish in the body alone. The body is
any layer or ``Sequential`` that keeps the input's shape. Its torch twin is
``course_lib.torch_nn.residual.Residual``; both name the body's parameters ``body.0.weight``, ...
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from course_lib.numpy_nn.module import Layer
from course_lib.validation import real_array, residual_fits

__all__ = ["Residual"]


class Residual(Layer):
    """y = x + body(x); backward: dx = dy + body.backward(dy).

    Args:
        body: a ``Layer`` (often a ``Sequential``) whose output has its input's shape.

    Shape:
        any -> same. Parameters and buffers are the body's, prefixed ``body.``.
    """

    def __init__(self, body: Layer) -> None:
        super().__init__()
        if not isinstance(body, Layer):
            raise TypeError(f"Residual takes a Layer as its body (e.g. Sequential(Linear(h, h, rng=rng), ReLU())); "
                            f"got {type(body).__name__}.")
        self.body = body

    def forward(self, x: NDArray) -> NDArray:
        x = real_array(x, "Residual")
        out = self.body(x)
        residual_fits(type(self.body).__name__, x.shape, out.shape)
        self._save_cache(x.shape)
        return x + out

    def backward(self, dy: NDArray) -> NDArray:
        shape = self._take_cache()
        if np.shape(dy) != shape:
            raise ValueError(f"Residual.backward expects dy of the output's shape {shape}; got {np.shape(dy)}. "
                             f"Pass dLoss/dy for the y this layer returned in the last forward.")
        return dy + self.body.backward(dy)
