"""Layers written from scratch in NumPy, each with its backward rule beside its forward.

A layer maps a batch ``x`` to ``y = layer(x)``; its ``backward(dy)`` takes dLoss/dy, stores
dLoss/dθ in ``.grad`` of each of its parameters, and returns dLoss/dx for the layer before it.
Weights use torch's layout, so moving weights between a NumPy model and its PyTorch twin is one
copy per tensor. Unlike torch, ``backward`` overwrites ``.grad`` rather than adding to it.

Contents: the ``Parameter`` / ``Layer`` / ``Sequential`` machinery; initialisers with
torch.nn.init's formulas (``xavier_uniform``, ``kaiming_normal``, ...); ``Linear``; activation
layers over the functional pairs in ``functional.py``; ``Dropout``; ``BatchNorm1d``; ``Flatten``;
and ``mlp(...)``, the builder whose layout matches ``course_lib.torch_nn.models.MLP``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from course_lib.numpy_nn import functional as F

__all__ = [
    "ACTIVATIONS",
    "ELU",
    "GELU",
    "BatchNorm1d",
    "Dropout",
    "Flatten",
    "Layer",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "calculate_gain",
    "kaiming_normal",
    "kaiming_uniform",
    "mlp",
    "normal",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]


class Parameter:
    """A trainable array and the gradient of the loss with respect to it.

    ``grad`` is None until a backward pass fills it, and again after ``zero_grad``.
    """

    def __init__(self, data: NDArray) -> None:
        data = np.array(data, copy=True)
        if not np.issubdtype(data.dtype, np.floating):
            data = data.astype(np.float64)
        self.data: NDArray = data
        self.grad: NDArray | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype}, grad={'set' if self.grad is not None else 'None'})"


class Layer:
    """Base class: ``forward``, ``backward``, ``parameters``, ``train`` / ``eval``, ``layer(x)``.

    Subclasses implement ``forward(x)`` and ``backward(dy)``. Parameters and sub-layers are found
    by looking at the layer's attributes, in the order they were assigned (as in torch).
    Non-trainable state that must be saved with the weights (BatchNorm's running statistics)
    is named in ``buffer_names``.
    """

    buffer_names: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.training = True
        self._cache: Any = None

    # -- the two passes --------------------------------------------------------------------------

    def forward(self, x: NDArray) -> NDArray:
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, dy: NDArray) -> NDArray:
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def __call__(self, x: NDArray) -> NDArray:
        return self.forward(x)

    def _save_cache(self, cache: Any) -> None:
        self._cache = cache

    def _take_cache(self) -> Any:
        """What forward saved for backward; a clear error if forward has not run since."""
        if self._cache is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward was called before forward: run y = layer(x) "
                f"first, then layer.backward(dy), once per forward pass."
            )
        cache, self._cache = self._cache, None
        return cache

    # -- structure -----------------------------------------------------------------------------

    def named_children(self) -> Iterator[tuple[str, "Layer"]]:
        for name, value in vars(self).items():
            if isinstance(value, Layer):
                yield name, value

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """``("weight", p)``, ``("0.bias", p)``, ...: the names torch's state_dict would use."""
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
        for name, child in self.named_children():
            yield from child.named_parameters(f"{prefix}{name}.")

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, NDArray]]:
        for name in self.buffer_names:
            yield prefix + name, getattr(self, name)
        for name, child in self.named_children():
            yield from child.named_buffers(f"{prefix}{name}.")

    def train(self, mode: bool = True) -> "Layer":
        """Training mode (dropout drops, batch norm uses batch statistics); returns self."""
        self.training = mode
        for _, child in self.named_children():
            child.train(mode)
        return self

    def eval(self) -> "Layer":
        """Evaluation mode: dropout is the identity, batch norm uses its running statistics."""
        return self.train(False)

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    def astype(self, dtype: Any) -> "Layer":
        """Convert every parameter and floating-point buffer to ``dtype`` in place; returns self.

        Like torch's ``model.to(torch.float32)``: ``mlp(...).astype(np.float32)`` trains in single
        precision, about twice as fast as the default float64 on a CPU. Gradients are cleared.
        """
        dtype = np.dtype(dtype)
        if not np.issubdtype(dtype, np.floating):
            raise ValueError(f"astype needs a floating dtype such as np.float32 or np.float64; got {dtype}.")
        for p in self.parameters():
            p.data, p.grad = p.data.astype(dtype), None
        for name, buffer in list(self.named_buffers()):
            if isinstance(buffer, np.ndarray) and np.issubdtype(buffer.dtype, np.floating):
                owner, attr = self._owner_of(name)
                setattr(owner, attr, buffer.astype(dtype))
        return self

    # -- saving and loading --------------------------------------------------------------------

    def state_dict(self) -> dict[str, NDArray]:
        """Copies of every parameter and buffer, keyed and ordered as in torch (``"0.weight"``, ...).

        Torch's order: each layer's own parameters, then its own buffers, then its children's.
        """
        state: dict[str, NDArray] = {}
        self._fill_state_dict(state, prefix="")
        return state

    def _fill_state_dict(self, state: dict[str, NDArray], prefix: str) -> None:
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                state[prefix + name] = value.data.copy()
        for name in self.buffer_names:
            state[prefix + name] = np.array(getattr(self, name), copy=True)
        for name, child in self.named_children():
            child._fill_state_dict(state, f"{prefix}{name}.")

    def load_state_dict(self, state: dict[str, NDArray]) -> None:
        """Copy values into this layer's parameters and buffers; names and shapes must match."""
        own = self.state_dict()
        missing, unexpected = own.keys() - state.keys(), state.keys() - own.keys()
        if missing or unexpected:
            raise KeyError(
                f"state_dict does not fit {type(self).__name__}: missing {sorted(missing)}, "
                f"unexpected {sorted(unexpected)}."
            )
        for name, value in state.items():
            value = np.asarray(value)
            if value.shape != np.shape(own[name]):
                raise ValueError(f"{name}: expected shape {np.shape(own[name])}, got {value.shape}.")
        params = dict(self.named_parameters())
        for name, value in state.items():
            if name in params:
                params[name].data[...] = value
            else:
                owner, attr = self._owner_of(name)
                buffer = getattr(owner, attr)
                if isinstance(buffer, np.ndarray):
                    buffer[...] = value
                else:  # a scalar buffer such as num_batches_tracked
                    setattr(owner, attr, type(buffer)(np.asarray(value).item()))

    def _owner_of(self, dotted: str) -> tuple["Layer", str]:
        *path, attr = dotted.split(".")
        owner: Layer = self
        for part in path:
            owner = dict(owner.named_children())[part]
        return owner, attr

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        inner = "\n".join(f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in children)
        return f"{type(self).__name__}(\n{inner}\n)"


class Sequential(Layer):
    """Layers applied one after another; backward runs them in reverse.

    ``Sequential(Linear(784, 128, rng=rng), ReLU(), Linear(128, 10, rng=rng))``. The layers are
    in ``.layers`` and are named ``"0"``, ``"1"``, ... as in torch.
    """

    def __init__(self, *layers: Layer) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential takes Layer objects; argument {i} is {type(layer).__name__}.")
        self.layers: list[Layer] = list(layers)

    def named_children(self) -> Iterator[tuple[str, Layer]]:
        for i, layer in enumerate(self.layers):
            yield str(i), layer

    def forward(self, x: NDArray) -> NDArray:
        for layer in self.layers:
            x = layer(x)
        return x

    def backward(self, dy: NDArray, *, input_grad: bool = True) -> NDArray | None:
        """Run each layer's backward in reverse order; return dLoss/dx.

        ``input_grad=False`` (used by ``fit``) lets the first layer skip the gradient with respect
        to the data, when that layer supports it (Linear, or a nested Sequential); returns None.
        """
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            if i == 0 and not input_grad and isinstance(layer, (Linear, Sequential)):
                return layer.backward(dy, input_grad=False)
            dy = layer.backward(dy)
        return dy

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)


# ------------------------------------------------------------------------------------------------
# Initialisers: pure functions of a shape and a generator, with torch.nn.init's formulas
# ------------------------------------------------------------------------------------------------

_GAINS = {"linear": 1.0, "identity": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0)}


def _check_rng(rng: Any, who: str) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{who} needs rng=np.random.Generator (e.g. rng=np.random.default_rng(0)); got "
            f"{type(rng).__name__}. Randomness enters through an explicit generator so runs repeat."
        )
    return rng


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shaped (out, in, *kernel), as torch.nn.init computes them."""
    shape = tuple(int(d) for d in shape)
    if len(shape) < 2:
        raise ValueError(
            f"fan_in and fan_out need a weight of at least 2 dimensions (out, in, ...); got shape "
            f"{shape}. Biases are initialised with zeros() or the layer's default instead."
        )
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain torch.nn.init.calculate_gain recommends for a nonlinearity.

    linear/identity/sigmoid: 1, tanh: 5/3, relu: √2, leaky_relu: √(2 / (1 + slope²)).

    Args:
        nonlinearity: ``"linear"``, ``"identity"``, ``"sigmoid"``, ``"tanh"``, ``"relu"`` or
            ``"leaky_relu"``.
        param: the negative slope of leaky_relu (default 0.01, as in torch).

    Returns:
        The gain, a float.
    """
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity not in _GAINS:
        raise ValueError(
            f"Unknown nonlinearity {nonlinearity!r}; choose one of {sorted([*_GAINS, 'leaky_relu'])}."
        )
    return _GAINS[nonlinearity]


def zeros(shape: int | tuple[int, ...]) -> NDArray:
    """All zeros: W = 0.  Shape: ``shape``.

    Fine for biases. For weights it makes every unit in a layer compute the same thing and receive
    the same gradient, so they stay identical for ever (the symmetry that random init breaks).
    """
    return np.zeros(shape, dtype=np.float64)


def normal(shape: int | tuple[int, ...], *, std: float = 0.01, rng: np.random.Generator) -> NDArray:
    """W ~ N(0, std²).  Shape: ``shape``.

    A fixed small std preserves nothing: activations shrink (or grow) by a factor of about
    std·√fan_in per layer, which is why deep nets initialised this way stall.

    Args:
        shape: the array's shape.
        std: standard deviation.
        rng: the random generator.
    """
    if std < 0:
        raise ValueError(f"std must be >= 0; got {std}.")
    return _check_rng(rng, "normal").normal(0.0, std, size=shape)


def xavier_uniform(shape: tuple[int, ...], *, gain: float = 1.0, rng: np.random.Generator) -> NDArray:
    """Glorot & Bengio (2010): W ~ U(−a, a), a = gain·√(6 / (fan_in + fan_out)).

    Var(W) = 2 / (fan_in + fan_out) (times gain²), a compromise that roughly preserves the variance
    of activations going forward (needs 1/fan_in) and of gradients going backward (needs
    1/fan_out) through a linear or tanh layer. Same formula as torch.nn.init.xavier_uniform_.

    Args:
        shape: ``(out, in, *kernel)``.
        gain: scale for the nonlinearity that follows (see :func:`calculate_gain`).
        rng: the random generator.

    Returns:
        A new float64 array.
    """
    fan_in, fan_out = _fans(shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _check_rng(rng, "xavier_uniform").uniform(-bound, bound, size=shape)


def xavier_normal(shape: tuple[int, ...], *, gain: float = 1.0, rng: np.random.Generator) -> NDArray:
    """Glorot & Bengio (2010): W ~ N(0, σ²), σ = gain·√(2 / (fan_in + fan_out)).

    The normal form of :func:`xavier_uniform`, with the same variance: it balances preserving the
    variance of activations forward and of gradients backward. As torch.nn.init.xavier_normal_.

    Args:
        shape: ``(out, in, *kernel)``.
        gain: scale for the nonlinearity that follows (see :func:`calculate_gain`).
        rng: the random generator.

    Returns:
        A new float64 array.
    """
    fan_in, fan_out = _fans(shape)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _check_rng(rng, "xavier_normal").normal(0.0, std, size=shape)


def kaiming_uniform(
    shape: tuple[int, ...], *, nonlinearity: str = "relu", a: float = 0.0, rng: np.random.Generator
) -> NDArray:
    """He et al. (2015): W ~ U(−b, b), b = gain·√(3 / fan_in); gain = √2 for ReLU.

    Var(W) = gain² / fan_in: ReLU zeroes half of its inputs, so doubling the 1/fan_in variance
    preserves the variance of activations in the forward pass (mode fan_in, torch's default).
    Same formula as torch.nn.init.kaiming_uniform_.

    Args:
        shape: ``(out, in, *kernel)``.
        nonlinearity: the activation that follows (``"relu"``, ``"leaky_relu"``, ``"tanh"``, ...).
        a: negative slope, used only when nonlinearity is ``"leaky_relu"``.
        rng: the random generator.

    Returns:
        A new float64 array.
    """
    fan_in, _ = _fans(shape)
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan_in)
    return _check_rng(rng, "kaiming_uniform").uniform(-bound, bound, size=shape)


def kaiming_normal(
    shape: tuple[int, ...], *, nonlinearity: str = "relu", a: float = 0.0, rng: np.random.Generator
) -> NDArray:
    """He et al. (2015): W ~ N(0, σ²), σ = gain / √fan_in; gain = √2 for ReLU.

    Preserves the variance of activations in the forward pass through ReLU layers (mode fan_in).
    Same formula as torch.nn.init.kaiming_normal_.

    Args:
        shape: ``(out, in, *kernel)``.
        nonlinearity: the activation that follows (``"relu"``, ``"leaky_relu"``, ``"tanh"``, ...).
        a: negative slope, used only when nonlinearity is ``"leaky_relu"``.
        rng: the random generator.

    Returns:
        A new float64 array.
    """
    fan_in, _ = _fans(shape)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan_in)
    return _check_rng(rng, "kaiming_normal").normal(0.0, std, size=shape)


_INITS = ("default", "zeros", "normal", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal")


def _check_dy(layer: Layer, dy: NDArray, expected: tuple[int, ...]) -> None:
    if np.shape(dy) != tuple(expected):
        raise ValueError(
            f"{type(layer).__name__}.backward expects dy of the output's shape {tuple(expected)}; got "
            f"{np.shape(dy)}. Pass dLoss/dy for the y this layer returned in the last forward."
        )


# ------------------------------------------------------------------------------------------------
# Linear
# ------------------------------------------------------------------------------------------------


class Linear(Layer):
    """Fully connected layer, y = x Wᵀ + b, with torch.nn.Linear's (out, in) weight layout.

    Args:
        in_features: size of each input example.
        out_features: size of each output example.
        bias: whether to learn an additive bias.
        init: ``"default"`` (torch.nn.Linear's own: W and b ~ U(−1/√in, 1/√in)), ``"zeros"``,
            ``"normal"`` (std 0.01), ``"xavier_uniform"``, ``"xavier_normal"``,
            ``"kaiming_uniform"`` or ``"kaiming_normal"`` (ReLU gain). Biases start at zero for
            every init but ``"default"``.
        rng: the random generator for the initial weights.

    Shape:
        x: (N, in_features) -> y: (N, out_features).
        weight: (out_features, in_features), bias: (out_features,).
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, *, init: str = "default",
        rng: np.random.Generator,
    ) -> None:
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Linear: {name} must be a positive integer; got {value!r}.")
        if init not in _INITS:
            raise ValueError(f"Linear: unknown init {init!r}; choose one of {list(_INITS)}.")
        _check_rng(rng, "Linear")
        self.in_features, self.out_features, self.init = int(in_features), int(out_features), init
        shape = (self.out_features, self.in_features)
        if init == "default":
            bound = 1.0 / math.sqrt(self.in_features)
            w = rng.uniform(-bound, bound, size=shape)
        elif init == "zeros":
            w = zeros(shape)
        elif init == "normal":
            w = normal(shape, rng=rng)
        elif init == "xavier_uniform":
            w = xavier_uniform(shape, rng=rng)
        elif init == "xavier_normal":
            w = xavier_normal(shape, rng=rng)
        elif init == "kaiming_uniform":
            w = kaiming_uniform(shape, rng=rng)
        else:
            w = kaiming_normal(shape, rng=rng)
        self.weight = Parameter(w)
        self.bias: Parameter | None = None
        if bias:
            b = rng.uniform(-bound, bound, size=self.out_features) if init == "default" else zeros(self.out_features)
            self.bias = Parameter(b)

    def forward(self, x: NDArray) -> NDArray:
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            hint = " (for one example use x.reshape(1, -1))" if x.ndim == 1 else ""
            raise ValueError(
                f"Linear({self.in_features} → {self.out_features}) expects input of shape "
                f"(N, {self.in_features}); got {x.shape}{hint}."
            )
        self._save_cache(x)
        y = x @ self.weight.data.T
        if self.bias is not None:
            y += self.bias.data  # in place: one (N, out) array fewer per call
        return y

    def backward(self, dy: NDArray, *, input_grad: bool = True) -> NDArray | None:
        """Store dLoss/dW = dyᵀ x and dLoss/db = Σ dy; return dLoss/dx = dy W.

        ``input_grad=False`` skips dy W and returns None: the first layer of a network receives
        the data, whose gradient nobody needs (torch skips it too, as the data does not require
        grad). That saves a third of this layer's backward work.
        """
        x = self._take_cache()
        _check_dy(self, dy, (x.shape[0], self.out_features))
        # dW = dyᵀ x, shape (out, in) like torch.nn.Linear; computed as (xᵀ dy)ᵀ, the same
        # numbers, because OpenBLAS runs that layout about a third faster for MNIST's shapes.
        self.weight.grad = (x.T @ dy).T
        if self.bias is not None:
            self.bias.grad = dy.sum(axis=0)
        return dy @ self.weight.data if input_grad else None

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


# ------------------------------------------------------------------------------------------------
# Activations: thin layers over the functional pairs in course_lib.numpy_nn.functional
# ------------------------------------------------------------------------------------------------


class Sigmoid(Layer):
    """y = σ(x) = 1 / (1 + e^(−x)), element-wise.  Shape: any -> same."""

    def forward(self, x: NDArray) -> NDArray:
        y, cache = F.sigmoid_forward(np.asarray(x))
        self._save_cache((cache, y.shape))
        return y

    def backward(self, dy: NDArray) -> NDArray:
        cache, shape = self._take_cache()
        _check_dy(self, dy, shape)
        return F.sigmoid_backward(dy, cache)


class Tanh(Layer):
    """y = tanh(x), element-wise.  Shape: any -> same."""

    def forward(self, x: NDArray) -> NDArray:
        y, cache = F.tanh_forward(np.asarray(x))
        self._save_cache((cache, y.shape))
        return y

    def backward(self, dy: NDArray) -> NDArray:
        cache, shape = self._take_cache()
        _check_dy(self, dy, shape)
        return F.tanh_backward(dy, cache)


class ReLU(Layer):
    """y = max(0, x), element-wise.  Shape: any -> same."""

    def forward(self, x: NDArray) -> NDArray:
        y, cache = F.relu_forward(np.asarray(x))
        self._save_cache((cache, y.shape))
        return y

    def backward(self, dy: NDArray) -> NDArray:
        cache, shape = self._take_cache()
        _check_dy(self, dy, shape)
        return F.relu_backward(dy, cache)


class LeakyReLU(Layer):
    """y = x if x > 0 else negative_slope·x, element-wise.  Shape: any -> same.

    Args:
        negative_slope: the slope for x < 0 (torch's default 0.01).
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x: NDArray) -> NDArray:
        y, cache = F.leaky_relu_forward(np.asarray(x), negative_slope=self.negative_slope)
        self._save_cache((cache, y.shape))
        return y

    def backward(self, dy: NDArray) -> NDArray:
        cache, shape = self._take_cache()
        _check_dy(self, dy, shape)
        return F.leaky_relu_backward(dy, cache)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Layer):
    """y = x if x > 0 else α(eˣ − 1), element-wise (Clevert et al., 2015).  Shape: any -> same.

    Args:
        alpha: the value y approaches as x → −∞ is −alpha.
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = float(alpha)

    def forward(self, x: NDArray) -> NDArray:
        y, cache = F.elu_forward(np.asarray(x), alpha=self.alpha)
        self._save_cache((cache, y.shape))
        return y

    def backward(self, dy: NDArray) -> NDArray:
        cache, shape = self._take_cache()
        _check_dy(self, dy, shape)
        return F.elu_backward(dy, cache)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class GELU(Layer):
    """y = x·Φ(x), Φ the standard normal CDF (Hendrycks & Gimpel, 2016).  Shape: any -> same.

    Args:
        approximate: ``"none"`` (exact, with erf) or ``"tanh"`` (the tanh approximation), as in torch.
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh'; got {approximate!r}.")
        self.approximate = approximate

    def forward(self, x: NDArray) -> NDArray:
        y, cache = F.gelu_forward(np.asarray(x), approximate=self.approximate)
        self._save_cache((cache, y.shape))
        return y

    def backward(self, dy: NDArray) -> NDArray:
        cache, shape = self._take_cache()
        _check_dy(self, dy, shape)
        return F.gelu_backward(dy, cache)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softmax(Layer):
    """y_i = e^(x_i) / Σ_j e^(x_j) along ``dim``.  Shape: any -> same.

    Args:
        dim: the axis that sums to one (torch's name; the functional form calls it ``axis``).
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = int(dim)

    def forward(self, x: NDArray) -> NDArray:
        y, cache = F.softmax_forward(np.asarray(x), axis=self.dim)
        self._save_cache((cache, y.shape))
        return y

    def backward(self, dy: NDArray) -> NDArray:
        cache, shape = self._take_cache()
        _check_dy(self, dy, shape)
        return F.softmax_backward(dy, cache)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Layer):
    """y_i = x_i − log Σ_j e^(x_j) along ``dim``.  Shape: any -> same.

    Args:
        dim: the axis normalised over (torch's name; the functional form calls it ``axis``).
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = int(dim)

    def forward(self, x: NDArray) -> NDArray:
        y, cache = F.log_softmax_forward(np.asarray(x), axis=self.dim)
        self._save_cache((cache, y.shape))
        return y

    def backward(self, dy: NDArray) -> NDArray:
        cache, shape = self._take_cache()
        _check_dy(self, dy, shape)
        return F.log_softmax_backward(dy, cache)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


# ------------------------------------------------------------------------------------------------
# Dropout
# ------------------------------------------------------------------------------------------------


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
        if not 0.0 <= p < 1.0:
            why = " p = 1 would drop every unit (and divide by 1 − p = 0)." if p == 1 else ""
            raise ValueError(f"Dropout: p must be in [0, 1); got {p}.{why}")
        self.p = float(p)
        self.rng = _check_rng(rng, "Dropout")
        self.mask: NDArray | None = None

    def forward(self, x: NDArray) -> NDArray:
        x = np.asarray(x)
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


# ------------------------------------------------------------------------------------------------
# BatchNorm1d
# ------------------------------------------------------------------------------------------------


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
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) or num_features < 1:
            raise ValueError(f"BatchNorm1d: num_features must be a positive integer; got {num_features!r}.")
        if eps <= 0:
            raise ValueError(f"BatchNorm1d: eps must be > 0; got {eps}.")
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"BatchNorm1d: momentum must be in [0, 1] or None; got {momentum}.")
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), momentum
        self.weight = Parameter(np.ones(self.num_features))
        self.bias = Parameter(np.zeros(self.num_features))
        self.running_mean = np.zeros(self.num_features)
        self.running_var = np.ones(self.num_features)
        self.num_batches_tracked = 0

    def forward(self, x: NDArray) -> NDArray:
        x = np.asarray(x)
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
        self.weight.grad = (dy * x_hat).sum(axis=0)
        self.bias.grad = dy.sum(axis=0)
        dx_hat = dy * self.weight.data
        if not batch_stats:                                  # running statistics are constants
            return dx_hat * inv_std
        # μ and σ² depend on every x in the batch; this is the chain rule through both, simplified.
        n = x_hat.shape[0]
        return (inv_std / n) * (n * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


# ------------------------------------------------------------------------------------------------
# Flatten
# ------------------------------------------------------------------------------------------------


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


# ------------------------------------------------------------------------------------------------
# A multilayer perceptron, laid out like course_lib.torch_nn.models.MLP
# ------------------------------------------------------------------------------------------------

ACTIVATIONS: dict[str, type[Layer]] = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "elu": ELU,
    "gelu": GELU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
}


def mlp(
    sizes: Sequence[int],
    *,
    activation: str = "relu",
    dropout: float = 0.0,
    batch_norm: bool = False,
    init: str = "default",
    rng: np.random.Generator,
) -> Sequential:
    """A multilayer perceptron: Linear, [BatchNorm1d], activation, [Dropout], ..., Linear.

    BatchNorm1d comes only with ``batch_norm=True`` and Dropout only with ``dropout > 0``; the
    last Linear outputs logits. The layout (and so every state_dict key) is the one
    ``course_lib.torch_nn.models.MLP`` uses with the same arguments, so weights copy one array
    per key.

    Args:
        sizes: ``(in, hidden_1, ..., out)``, at least two sizes.
        activation: one of ``"relu"``, ``"leaky_relu"``, ``"elu"``, ``"gelu"``, ``"sigmoid"``, ``"tanh"``.
        dropout: drop probability after each hidden activation, in [0, 1).
        batch_norm: put a BatchNorm1d after each hidden Linear.
        init: the Linear layers' init (see :class:`Linear`).
        rng: the random generator for weights and dropout masks.

    Returns:
        A :class:`Sequential`.
    """
    sizes = list(sizes)
    if len(sizes) < 2 or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in sizes):
        raise ValueError(f"mlp: sizes must be at least two positive integers (in, ..., out); got {sizes}.")
    if activation not in ACTIVATIONS:
        raise ValueError(f"mlp: unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}.")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"mlp: dropout must be in [0, 1); got {dropout}.")
    _check_rng(rng, "mlp")
    layers: list[Layer] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(n_in, n_out, init=init, rng=rng))
        if i == len(sizes) - 2:
            break
        if batch_norm:
            layers.append(BatchNorm1d(n_out))
        layers.append(ACTIVATIONS[activation]())
        if dropout > 0:
            layers.append(Dropout(dropout, rng=rng))
    return Sequential(*layers)
