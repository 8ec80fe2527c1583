"""Layers written from scratch in NumPy, each with its backward rule beside its forward.

A layer maps a batch ``x`` to ``y = layer(x)``; its ``backward(dy)`` takes dLoss/dy, stores
dLoss/dθ to ``.grad`` of each of its parameters, and returns dLoss/dx for the layer before it.
Weights use torch's layout, so moving weights between a NumPy model and its PyTorch twin is one
copy per tensor. As in torch, ``backward`` adds to ``.grad``, so a training step starts with
``optimizer.zero_grad()``.

Contents (the ``Parameter`` / ``Layer`` / ``Sequential`` machinery is in ``module.py``): ``Linear`` (initialised by
``init.py``); the activations, each a layer over a forward/backward pair of ``functional.py``;
``Dropout``; ``BatchNorm1d``; ``Flatten``. The ready-made ``MLP`` is in ``models.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from course_lib.numpy_nn import functional as F
from course_lib.numpy_nn.init import INITS, initial_weight, zeros
from course_lib.numpy_nn.module import Layer, Parameter, Sequential
from course_lib.validation import batch_norm_args, dim_arg, dim_fits, generator, probability, real, real_array, whole

__all__ = [
    "ELU", "GELU", "Activation", "BatchNorm1d", "Dropout", "Flatten", "Layer", "LeakyReLU", "Linear", "LogSoftmax",
    "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh",
]


def _check_dy(layer: Layer, dy: NDArray, expected: tuple[int, ...]) -> None:
    if np.shape(dy) != tuple(expected):
        raise ValueError(
            f"{type(layer).__name__}.backward expects dy of the output's shape {tuple(expected)}; got "
            f"{np.shape(dy)}. Pass dLoss/dy for the y this layer returned in the last forward."
        )


class Linear(Layer):
    """Fully connected layer, y = x Wᵀ + b, with torch.nn.Linear's (out, in) weight layout.

    Args:
        in_features: size of each input example.
        out_features: size of each output example.
        bias: whether to learn an additive bias.
        init: ``"default"`` (torch.nn.Linear's own: W and b ~ U(−1/√in, 1/√in)) or the name of an
            initialiser in ``init.py`` (``"kaiming_normal"``, ...). Biases start at zero for every
            init but ``"default"``.
        rng: the random generator for the initial weights.

    Shape:
        x: (N, in_features) -> y: (N, out_features). weight: (out_features, in_features), bias: (out_features,).
    """

    skips_input_grad = True

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, init: str = "default",
                 rng: np.random.Generator) -> None:
        super().__init__()
        self.in_features = whole("Linear", "in_features", in_features)
        self.out_features = whole("Linear", "out_features", out_features)
        if init not in INITS:
            raise ValueError(f"Linear: unknown init {init!r}; choose one of {list(INITS)}.")
        generator(rng, "Linear")
        self.init = init
        self.weight = Parameter(initial_weight(init, (self.out_features, self.in_features), rng))
        self.bias: Parameter | None = None
        if bias:
            bound = 1.0 / math.sqrt(self.in_features)
            b = rng.uniform(-bound, bound, size=self.out_features) if init == "default" else zeros(self.out_features)
            self.bias = Parameter(b)

    def forward(self, x: NDArray) -> NDArray:
        x = real_array(x, "Linear")
        if x.ndim != 2 or x.shape[1] != self.in_features:
            hint = " (for one example use x.reshape(1, -1))" if x.ndim == 1 else ""
            raise ValueError(f"Linear({self.in_features} → {self.out_features}) expects input of shape "
                             f"(N, {self.in_features}); got {x.shape}{hint}.")
        self._save_cache(x)
        y = x @ self.weight.data.T
        if self.bias is not None:
            y += self.bias.data  # in place: one (N, out) array fewer per call
        return y

    def backward(self, dy: NDArray, *, input_grad: bool = True) -> NDArray | None:
        """Store dLoss/dW = dyᵀ x and dLoss/db = Σ dy; return dLoss/dx = dy W.

        ``input_grad=False`` skips dy W and returns None: the first layer of a network receives the
        data, whose gradient nobody needs (torch skips it too). That saves a third of the work.
        """
        x = self._take_cache()
        _check_dy(self, dy, (x.shape[0], self.out_features))
        self.weight.accumulate(dy.T @ x)  # (out, in), like W: a C-ordered array, which the optimizer reads fastest
        if self.bias is not None:
            self.bias.accumulate(dy.sum(axis=0))
        return dy @ self.weight.data if input_grad else None

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Activation(Layer):
    """A layer over one forward/backward pair of ``functional.py``; it keeps the cache in between.

    A subclass names its pair (``pair``) and, if it has settings, passes them on in ``settings``.
    Shape: any -> same.
    """

    pair: ClassVar[tuple[Callable[..., Any], Callable[..., Any]]]

    def settings(self) -> dict[str, Any]:
        return {}

    def forward(self, x: NDArray) -> NDArray:
        y, cache = type(self).pair[0](real_array(x, type(self).__name__), **self.settings())
        self._save_cache((cache, y.shape))
        return y

    def backward(self, dy: NDArray) -> NDArray:
        cache, shape = self._take_cache()
        _check_dy(self, dy, shape)
        return type(self).pair[1](dy, cache)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.settings().items())


class Sigmoid(Activation):
    """y = σ(x) = 1 / (1 + e^(−x)), element-wise."""

    pair = (F.sigmoid_forward, F.sigmoid_backward)


class Tanh(Activation):
    """y = tanh(x), element-wise."""

    pair = (F.tanh_forward, F.tanh_backward)


class ReLU(Activation):
    """y = max(0, x), element-wise."""

    pair = (F.relu_forward, F.relu_backward)


class LeakyReLU(Activation):
    """y = x if x > 0 else negative_slope·x, element-wise (torch's default slope 0.01)."""

    pair = (F.leaky_relu_forward, F.leaky_relu_backward)

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        real("negative_slope", negative_slope)
        self.negative_slope = float(negative_slope)

    def settings(self) -> dict[str, Any]:
        return {"negative_slope": self.negative_slope}


class ELU(Activation):
    """y = x if x > 0 else α(eˣ − 1), element-wise (Clevert et al., 2015); y → −alpha as x → −∞."""

    pair = (F.elu_forward, F.elu_backward)

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        real("alpha", alpha)
        self.alpha = float(alpha)

    def settings(self) -> dict[str, Any]:
        return {"alpha": self.alpha}


class GELU(Activation):
    """y = x·Φ(x), Φ the standard normal CDF (Hendrycks & Gimpel, 2016); ``approximate="tanh"`` as in torch."""

    pair = (F.gelu_forward, F.gelu_backward)

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh'; got {approximate!r}.")
        self.approximate = approximate

    def settings(self) -> dict[str, Any]:
        return {"approximate": self.approximate}


class Softmax(Activation):
    """y_i = e^(x_i) / Σ_j e^(x_j) along ``dim`` (torch's name; the functional pair calls it ``axis``)."""

    pair = (F.softmax_forward, F.softmax_backward)

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim_arg(type(self).__name__, dim)

    def settings(self) -> dict[str, Any]:
        return {"axis": self.dim}

    def forward(self, x: NDArray) -> NDArray:
        dim_fits(type(self).__name__, self.dim, np.shape(x))
        return super().forward(x)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """y_i = x_i − log Σ_j e^(x_j) along ``dim``: Softmax's settings, log_softmax's pair."""

    pair = (F.log_softmax_forward, F.log_softmax_backward)


class Dropout(Layer):
    """Inverted dropout (Srivastava et al., 2014): y = x·m / (1 − p), m ~ Bernoulli(1 − p).

    In training each unit is kept with probability 1 − p and the survivors are scaled by
    1/(1 − p), so E[y] = x and nothing changes at evaluation time, where the layer is the identity.
    After a training forward the mask drawn (True = kept) is in ``.mask``; an eval forward leaves
    it alone.

    Args:
        p: probability of dropping a unit, in [0, 1).
        rng: the random generator for the masks.

    Shape:
        any -> same.
    """

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator) -> None:
        super().__init__()
        self.p = probability("Dropout", p)
        self.rng = generator(rng, "Dropout")
        self.mask: NDArray | None = None

    def forward(self, x: NDArray) -> NDArray:
        x = real_array(x, "Dropout")
        if not self.training:
            self._save_cache((None, x.shape))
            return x
        self.mask = self.rng.random(x.shape) >= self.p        # kept with probability 1 − p
        scale = 1.0 / (1.0 - self.p)
        self._save_cache((self.mask, x.shape))
        return x * self.mask * scale

    def backward(self, dy: NDArray) -> NDArray:
        mask, shape = self._take_cache()
        _check_dy(self, dy, shape)
        if mask is None:
            return dy
        return dy * mask * (1.0 / (1.0 - self.p))

    def extra_repr(self) -> str:
        return f"p={self.p}"


class BatchNorm1d(Layer):
    """Batch normalisation (Ioffe & Szegedy, 2015): y = γ·(x − μ)/√(σ² + eps) + β per feature.

    Training uses the batch's mean and biased variance, and updates the running statistics as
    torch does: running = (1 − momentum)·running + momentum·batch, with the *unbiased* batch
    variance for running_var (momentum=None: cumulative average over batches seen).
    Evaluation uses the running statistics.

    Args:
        num_features: C, the number of features.
        eps: added to the variance for numerical stability.
        momentum: weight of the newest batch in the running statistics, or None.

    Shape:
        x: (N, C) -> y: (N, C). weight (γ), bias (β), running_mean, running_var: (C,).
    """

    buffer_names = ("running_mean", "running_var", "num_batches_tracked")

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1) -> None:
        super().__init__()
        num_features = batch_norm_args(num_features, eps, momentum)
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), momentum
        self.weight = Parameter(np.ones(self.num_features))
        self.bias = Parameter(np.zeros(self.num_features))
        self.running_mean = np.zeros(self.num_features)
        self.running_var = np.ones(self.num_features)
        self.num_batches_tracked = 0

    def forward(self, x: NDArray) -> NDArray:
        x = real_array(x, "BatchNorm1d")
        if x.ndim != 2 or x.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d({self.num_features}) expects input of shape (N, {self.num_features}); "
                f"got {x.shape}."
            )
        if self.training:
            n = x.shape[0]
            if n < 2:
                raise ValueError(
                    f"Expected more than 1 value per channel when training, got input size {x.shape}. "
                    f"Use a batch of at least 2 examples, or call .eval() to use the running statistics."
                )
            mean = x.mean(axis=0)
            var = x.var(axis=0)                              # biased: what normalises this batch
            self.num_batches_tracked += 1
            factor = 1.0 / self.num_batches_tracked if self.momentum is None else self.momentum
            # In place, as torch does, so references to the buffers stay valid.
            self.running_mean[...] = (1.0 - factor) * self.running_mean + factor * mean
            self.running_var[...] = (1.0 - factor) * self.running_var + factor * var * n / (n - 1)
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = 1.0 / np.sqrt(var + self.eps)
        x_hat = (x - mean) * inv_std
        self._save_cache((x_hat, inv_std, self.training))
        return self.weight.data * x_hat + self.bias.data

    def backward(self, dy: NDArray) -> NDArray:
        x_hat, inv_std, batch_stats = self._take_cache()
        _check_dy(self, dy, x_hat.shape)
        self.weight.accumulate((dy * x_hat).sum(axis=0))
        self.bias.accumulate(dy.sum(axis=0))
        dx_hat = dy * self.weight.data
        if not batch_stats:                                  # running statistics are constants
            return dx_hat * inv_std
        # μ and σ² depend on every x in the batch; this is the chain rule through both, simplified.
        n = x_hat.shape[0]
        return (inv_std / n) * (n * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


class Flatten(Layer):
    """Merge dims start_dim..end_dim into one, as torch.nn.Flatten; backward reshapes back.

    Args:
        start_dim: first dimension to flatten (1 keeps the batch dimension).
        end_dim: last dimension to flatten.

    Shape:
        (N, 1, 28, 28) -> (N, 784) with the defaults.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def forward(self, x: NDArray) -> NDArray:
        x = np.asarray(x)
        nd = max(x.ndim, 1)
        start = self.start_dim + nd if self.start_dim < 0 else self.start_dim
        end = self.end_dim + nd if self.end_dim < 0 else self.end_dim
        if not 0 <= start <= end < nd:
            raise ValueError(
                f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}) does not fit an input "
                f"with {x.ndim} dimensions, shape {x.shape}."
            )
        self._save_cache(x.shape)
        return x.reshape(x.shape[:start] + (-1,) + x.shape[end + 1 :])

    def backward(self, dy: NDArray) -> NDArray:
        shape = self._take_cache()
        if np.size(dy) != math.prod(shape):
            raise ValueError(
                f"Flatten.backward expects dy with {math.prod(shape)} values (input shape {shape}); "
                f"got shape {np.shape(dy)}."
            )
        return np.reshape(dy, shape)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
