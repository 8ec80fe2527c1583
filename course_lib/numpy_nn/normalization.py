"""Layer normalisation (Ba, Kiros & Hinton, 2016), written from scratch in NumPy: ``LayerNorm``.

Where ``BatchNorm1d`` (in ``layers.py``) normalises each feature over the batch, ``LayerNorm``
normalises each example over its own features, so it has no running statistics and behaves the
same in training and evaluation, whatever the batch size (one example included). Its torch twin is
``course_lib.torch_nn.normalization.LayerNorm``, with the same name, arguments and state_dict keys.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from course_lib.numpy_nn.module import Layer, Parameter
from course_lib.validation import layer_norm_args, layer_norm_fits, real_array

__all__ = ["LayerNorm"]


class LayerNorm(Layer):
    """y = γ ⊙ x̂ + β, with x̂ = (x − μ)/√(σ² + eps) over the last dimension(s) of each example.

    μ and σ² are the mean and the *biased* variance over the normalised axes, the last
    ``len(normalized_shape)`` dimensions, separately for every example (every index of the dims
    before them). γ (``weight``, ones) and β (``bias``, zeros) have shape ``normalized_shape``.

    Backward, with dx̂ = dy ⊙ γ and the means over the normalised axes (D values each):

        dγ = Σ_batch dy ⊙ x̂,   dβ = Σ_batch dy,
        dx = (1/σ)·(dx̂ − mean(dx̂) − x̂ ⊙ mean(dx̂ ⊙ x̂)),   σ = √(σ² + eps).

    The two means are the chain rule through μ and σ², which depend on every x of the example;
    BatchNorm1d's backward is the same formula with the batch axis in place of the feature axes.

    Args:
        normalized_shape: the trailing dimensions to normalise over: an int (the last one) or a tuple.
        eps: added to the variance for numerical stability.
        elementwise_affine: whether to learn γ and β (False: y = x̂, no parameters).
        bias: whether to learn β (only with elementwise_affine).

    Shape:
        x: (*, *normalized_shape) -> y: same. weight (γ), bias (β): normalized_shape.
    """

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True) -> None:
        super().__init__()
        self.normalized_shape = layer_norm_args(normalized_shape, eps)
        self.eps, self.elementwise_affine = float(eps), bool(elementwise_affine)
        self.weight: Parameter | None = Parameter(np.ones(self.normalized_shape)) if elementwise_affine else None
        self.bias: Parameter | None = Parameter(np.zeros(self.normalized_shape)) if elementwise_affine and bias else None

    def forward(self, x: NDArray) -> NDArray:
        x = real_array(x, "LayerNorm")
        layer_norm_fits(self.normalized_shape, x.shape)
        axes = tuple(range(x.ndim - len(self.normalized_shape), x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, keepdims=True)                # biased, as torch
        inv_std = 1.0 / np.sqrt(var + self.eps)
        x_hat = (x - mean) * inv_std
        self._save_cache((x_hat, inv_std, axes))
        y = x_hat if self.weight is None else self.weight.data * x_hat
        return y if self.bias is None else y + self.bias.data

    def backward(self, dy: NDArray) -> NDArray:
        x_hat, inv_std, axes = self._take_cache()
        if np.shape(dy) != x_hat.shape:
            raise ValueError(f"LayerNorm.backward expects dy of the output's shape {x_hat.shape}; got {np.shape(dy)}. "
                             f"Pass dLoss/dy for the y this layer returned in the last forward.")
        batch_axes = tuple(range(x_hat.ndim - len(axes)))
        if self.weight is not None:
            self.weight.accumulate((dy * x_hat).sum(axis=batch_axes))
        if self.bias is not None:
            self.bias.accumulate(dy.sum(axis=batch_axes))
        dx_hat = dy if self.weight is None else dy * self.weight.data
        return inv_std * (dx_hat - dx_hat.mean(axis=axes, keepdims=True)
                          - x_hat * (dx_hat * x_hat).mean(axis=axes, keepdims=True))

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
