"""Ready-made torch models for MNIST, and weight copying between NumPy and torch twins.

``MLP`` is laid out exactly like the NumPy :class:`course_lib.numpy_nn.models.MLP` with
the same arguments, so both have the same state_dict keys (``"0.weight"``, ``"1.running_mean"``,
...) and :func:`copy_weights_numpy_to_torch` / :func:`copy_weights_torch_to_numpy` move weights
one tensor per key. ``CNN`` has no NumPy twin: it is where the PyTorch lesson goes beyond it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from course_lib.numpy_nn.module import Layer
from course_lib.validation import cnn_args, mlp_args, non_empty_batch

__all__ = ["ACTIVATIONS", "CNN", "MLP", "copy_weights_numpy_to_torch", "copy_weights_torch_to_numpy"]

# The same names as course_lib.numpy_nn.models.ACTIVATIONS (tests/torch_nn/test_models.py checks it).
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
}

_IMAGE = (1, 28, 28)
_PIXELS = 28 * 28
_CASTABLE = (torch.float16, torch.bfloat16, torch.float32)


def _check_input(owner: str, x: Any, weight: torch.Tensor) -> None:
    """A non-empty tensor of the parameters' dtype: else a message, instead of torch's from deep inside."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{owner} expects a torch.Tensor, got {type(x).__name__}. Convert it first: "
                        f"torch.as_tensor(x, dtype={weight.dtype}, device='{weight.device}').")
    non_empty_batch(owner, tuple(x.shape))
    # Under autocast torch casts float32, float16 and bfloat16 inside each op; float64 and integers never.
    if x.dtype != weight.dtype and not (x.dtype in _CASTABLE and torch.is_autocast_enabled(x.device.type)):
        scale = " (integer pixels 0..255 are usually scaled to [0, 1]: x.float() / 255)" if not x.is_floating_point() else ""
        raise TypeError(f"{owner} has {weight.dtype} parameters, so it expects {weight.dtype} input, got {x.dtype}. "
                        f"Convert the input with x.to({weight.dtype}){scale}, or the model with model.to(x.dtype) "
                        f"if you mean to compute in {x.dtype}.")


class MLP(nn.Sequential):
    """A multilayer perceptron: Linear, [BatchNorm1d], activation, [Dropout], ..., Linear.

    BatchNorm1d comes only with ``batch_norm=True`` and Dropout only with ``dropout > 0``; the
    last Linear outputs logits. The layout and state_dict keys are those of the NumPy
    ``MLP(sizes, ...)`` with the same arguments. An input with more than two dimensions, such as
    MNIST images (N, 1, 28, 28), is flattened to (N, sizes[0]) first.

    Args:
        sizes: ``(in, hidden_1, ..., out)``, at least two sizes.
        activation: one of ``"relu"``, ``"leaky_relu"``, ``"elu"``, ``"gelu"``, ``"sigmoid"``, ``"tanh"``.
        dropout: drop probability after each hidden activation, in [0, 1).
        batch_norm: put a BatchNorm1d after each hidden Linear.

    Shape:
        x: (N, sizes[0]) or (N, *dims) with prod(dims) = sizes[0] -> logits: (N, sizes[-1]).
    """

    def __init__(
        self,
        sizes: Sequence[int] = (784, 256, 128, 10),
        *,
        activation: str = "relu",
        dropout: float = 0.0,
        batch_norm: bool = False,
    ) -> None:
        sizes = mlp_args(sizes, activation, dropout, ACTIVATIONS)
        layers: list[nn.Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(n_in, n_out))
            if i == len(sizes) - 2:
                break
            if batch_norm:
                layers.append(nn.BatchNorm1d(n_out))
            layers.append(ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
        super().__init__(*layers)
        self.sizes = tuple(int(s) for s in sizes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(f"MLP{self.sizes}", x, self[0].weight)
        n_in = self.sizes[0]
        if x.dim() > 2 and x[0].numel() == n_in:
            x = x.flatten(1)
        if x.dim() != 2 or x.shape[1] != n_in:
            raise ValueError(
                f"MLP{self.sizes} expects input of shape (N, {n_in}), or (N, ...) with {n_in} values "
                f"per example such as (N, 1, 28, 28) for 784; got {tuple(x.shape)}."
            )
        return super().forward(x)


class CNN(nn.Module):
    """A small convolutional network for 28×28 grey images (MNIST).

    Each block is conv 3×3 (padding 1) → ReLU → max-pool 2, halving the image (28 → 14 → 7);
    then flatten → Linear(channels[-1]·7·7, hidden) → ReLU → Dropout → Linear(hidden, num_classes).
    The convolutions are in ``.features``, the rest in ``.classifier``.

    Args:
        channels: output channels of each conv block (two blocks by default).
        hidden: width of the hidden fully connected layer.
        dropout: drop probability before the last Linear, in [0, 1).
        num_classes: number of outputs (logits).

    Shape:
        x: (N, 784) or (N, 1, 28, 28) -> logits: (N, num_classes).
    """

    def __init__(
        self, channels: Sequence[int] = (16, 32), hidden: int = 128, dropout: float = 0.25, num_classes: int = 10
    ) -> None:
        super().__init__()
        channels = cnn_args(channels, hidden, dropout, num_classes)
        blocks: list[nn.Module] = []
        c_in, side = 1, 28
        for c_out in channels:
            blocks += [nn.Conv2d(c_in, c_out, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            c_in, side = c_out, side // 2
        self.features = nn.Sequential(*blocks)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(c_in * side * side, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input("CNN", x, self.features[0].weight)
        if x.dim() == 2 and x.shape[1] == _PIXELS:
            x = x.reshape(-1, *_IMAGE)
        elif not (x.dim() == 4 and tuple(x.shape[1:]) == _IMAGE):
            raise ValueError(
                f"CNN expects MNIST images of shape (N, 1, 28, 28) or flattened (N, 784); got "
                f"{tuple(x.shape)}."
            )
        return self.classifier(self.features(x))


# ------------------------------------------------------------------------------------------------
# Copying weights between twins
# ------------------------------------------------------------------------------------------------


def _check_fit(source: Mapping[str, Any], target: Mapping[str, Any], direction: str) -> None:
    missing, unexpected = target.keys() - source.keys(), source.keys() - target.keys()
    if missing or unexpected:
        raise KeyError(
            f"Cannot copy weights {direction}: the state_dict keys differ. Missing in the source: "
            f"{sorted(missing)}; not in the target: {sorted(unexpected)}. Build both models with the "
            f"same layers in the same order (e.g. numpy_nn.MLP(sizes, ...) and torch_nn.MLP(sizes, ...) with the same arguments)."
        )
    for key, value in source.items():
        if tuple(np.shape(value)) != tuple(target[key].shape):
            raise ValueError(
                f"Cannot copy weights {direction}: {key!r} has shape {tuple(np.shape(value))} in the "
                f"source but {tuple(target[key].shape)} in the target."
            )


def copy_weights_numpy_to_torch(np_model: Layer, torch_model: nn.Module) -> nn.Module:
    """Copy every parameter and buffer of a NumPy model into its torch twin, key by key.

    Each value keeps the torch model's dtype and device.

    Args:
        np_model: the source, a course_lib.numpy_nn Layer.
        torch_model: the destination, with the same state_dict keys and shapes.

    Returns:
        ``torch_model``, changed in place.
    """
    source, target = np_model.state_dict(), torch_model.state_dict()
    _check_fit(source, target, "from NumPy to torch")
    with torch.no_grad():
        for key, tensor in target.items():  # state_dict tensors share memory with the model
            tensor.copy_(torch.as_tensor(np.asarray(source[key])))
    return torch_model


def copy_weights_torch_to_numpy(torch_model: nn.Module, np_model: Layer) -> Layer:
    """Copy every parameter and buffer of a torch model into its NumPy twin, key by key.

    Each value keeps the NumPy model's dtype.

    Args:
        torch_model: the source.
        np_model: the destination, a course_lib.numpy_nn Layer with the same keys and shapes.

    Returns:
        ``np_model``, changed in place.
    """
    source = {}
    for key, tensor in torch_model.state_dict().items():
        tensor = tensor.detach().cpu()
        source[key] = (tensor.float() if tensor.dtype == torch.bfloat16 else tensor).numpy()
    target = np_model.state_dict()
    _check_fit(source, target, "from torch to NumPy")
    np_model.load_state_dict(source)
    return np_model
