"""The machinery every NumPy layer shares: ``Parameter``, ``Layer`` (torch's ``nn.Module``), ``Sequential``.

A ``Layer`` finds its parameters, buffers and sub-layers by looking at its attributes, in the order
they were assigned, and names them as torch's ``state_dict`` does (``"0.weight"``, ...), so weights
move between a NumPy model and its torch twin one array per key. The layers themselves are in
``layers.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from course_lib.validation import real_array

__all__ = ["Layer", "Parameter", "RemovableHandle", "Sequential"]


class RemovableHandle:
    """What ``register_forward_hook`` / ``register_full_backward_hook`` return: ``handle.remove()``
    unregisters the hook (also usable as ``with layer.register_forward_hook(h): ...``), as in torch."""

    _next_id = 0

    def __init__(self, layer: "Layer", hooks: dict) -> None:
        self._layer, self._hooks = layer, hooks
        self.id, RemovableHandle._next_id = RemovableHandle._next_id, RemovableHandle._next_id + 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)
        if not self._layer._backward_hooks and "backward" in vars(self._layer):
            del self._layer.backward  # back to the class's own backward: no cost without hooks

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


class Parameter:
    """A trainable array and the gradient of the loss with respect to it.

    ``grad`` is None until a backward pass fills it, and again after ``zero_grad``. A backward pass
    *adds* to ``grad`` (``accumulate``), as torch does, so two backward passes without ``zero_grad``
    in between leave the sum of their gradients.
    """

    def __init__(self, data: NDArray) -> None:
        data = np.array(real_array(data, "Parameter", "data"), copy=True)  # complex data would lose its imaginary part
        if not np.issubdtype(data.dtype, np.floating):
            data = data.astype(np.float64)
        self.data: NDArray = data
        self.grad: NDArray | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    def accumulate(self, grad: NDArray) -> None:
        """Add ``grad`` to ``self.grad`` (None counts as zero)."""
        self.grad = grad if self.grad is None else self.grad + grad

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
    # Hooks (see ``register_forward_hook``); an instance gets its own dicts on its first register.
    _forward_hooks: dict = {}
    _backward_hooks: dict = {}
    #: True for a layer whose ``backward(dy, input_grad=False)`` can skip dLoss/dx (Linear, Sequential).
    skips_input_grad: bool = False

    def __init__(self) -> None:
        self.training = True
        self._cache: Any = None

    # -- the two passes --------------------------------------------------------------------------

    def forward(self, x: NDArray) -> NDArray:
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, dy: NDArray) -> NDArray:
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def __call__(self, x: NDArray) -> NDArray:
        out = self.forward(x)
        if self._forward_hooks:  # without hooks: the class's empty dict, one truth test
            for hook in list(self._forward_hooks.values()):
                result = hook(self, (x,), out)
                out = out if result is None else result
        return out

    # -- hooks, as torch's (for a training-health dashboard that watches every layer) ----------

    def register_forward_hook(self, hook: Any) -> RemovableHandle:
        """``hook(layer, inputs, output)`` runs after each ``layer(x)``, ``inputs`` being ``(x,)``;
        a return value other than None replaces the output. Returns a handle with ``.remove()``.
        Unlike torch, which differentiates through the hook's arithmetic, ``backward`` does not see a
        replacement: it is the layer's own backward, from what ``forward`` cached."""
        if "_forward_hooks" not in vars(self):
            self._forward_hooks = {}
        handle = RemovableHandle(self, self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    def register_full_backward_hook(self, hook: Any) -> RemovableHandle:
        """``hook(layer, grad_input, grad_output)`` runs each time the layer's backward returns dx, with
        ``grad_input = (dx,)`` (``(None,)`` when dx was skipped: ``input_grad=False``) and
        ``grad_output = (dy,)``; a returned tuple replaces ``grad_input``. Returns a handle.

        The layer's ``backward`` is shadowed by ``_hooked_backward`` while it has backward hooks, so a
        parent (Sequential, Residual) or a caller that runs ``layer.backward(dy)`` runs the hooks too.
        """
        if "_backward_hooks" not in vars(self):
            self._backward_hooks = {}
        handle = RemovableHandle(self, self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        self.backward = self._hooked_backward  # type: ignore[method-assign]
        return handle

    def _hooked_backward(self, dy: NDArray, **kwargs: Any) -> NDArray | None:
        dx = type(self).backward(self, dy, **kwargs)
        grad_input: tuple = (dx,)
        for hook in list(self._backward_hooks.values()):
            result = hook(self, grad_input, (dy,))
            if result is None:
                continue
            result = tuple(result)
            if len(result) != 1:
                raise RuntimeError(f"A backward hook of {type(self).__name__} returned {len(result)} gradients; "
                                   f"it must return None or a 1-tuple (dx,), like grad_input.")
            if dx is None and result[0] is not None:
                raise RuntimeError(f"A backward hook of {type(self).__name__} returned a gradient for an input "
                                   f"whose gradient was skipped (input_grad=False); return None or (None,).")
            grad_input = result
        return grad_input[0]

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

        Like torch's ``model.to(torch.float32)``: ``MLP(...).astype(np.float32)`` trains in single
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

    skips_input_grad = True

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
            if i == 0 and not input_grad and layer.skips_input_grad:
                return layer.backward(dy, input_grad=False)
            dy = layer.backward(dy)
        return dy

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)
