"""A ready-made NumPy model: the multilayer perceptron, laid out like ``course_lib.torch_nn.models.MLP``.

Built with the same arguments, the two have the same layers and the same state_dict keys
(``"0.weight"``, ``"1.running_mean"``, ...), so ``copy_weights_numpy_to_torch`` moves the weights
one array per key.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from course_lib.numpy_nn.layers import ELU, GELU, BatchNorm1d, Dropout, LeakyReLU, Linear, ReLU, Sigmoid, Tanh
from course_lib.numpy_nn.module import Layer, Sequential
from course_lib.validation import generator, mlp_args, non_empty_batch

__all__ = ["ACTIVATIONS", "MLP"]

#: The hidden activations an MLP can use, by name (the same names as ``torch_nn.models.ACTIVATIONS``).
ACTIVATIONS: dict[str, type[Layer]] = {
    "relu": ReLU, "leaky_relu": LeakyReLU, "elu": ELU, "gelu": GELU, "sigmoid": Sigmoid, "tanh": Tanh,
}


class MLP(Sequential):
    """A multilayer perceptron: Linear, [BatchNorm1d], activation, [Dropout], ..., Linear.

    BatchNorm1d comes only with ``batch_norm=True`` and Dropout only with ``dropout > 0``; the last
    Linear outputs logits.

    Args:
        sizes: ``(in, hidden_1, ..., out)``, at least two sizes.
        activation: one of :data:`ACTIVATIONS`.
        dropout: drop probability after each hidden activation, in [0, 1).
        batch_norm: put a BatchNorm1d after each hidden Linear.
        init: the Linear layers' init (see :class:`~course_lib.numpy_nn.layers.Linear`).
        rng: the random generator for the weights and the dropout masks.

    Shape:
        x: (N, sizes[0]) -> logits: (N, sizes[-1]).
    """

    def __init__(self, sizes: Sequence[int] = (784, 256, 128, 10), *, activation: str = "relu", dropout: float = 0.0,
                 batch_norm: bool = False, init: str = "default", rng: np.random.Generator) -> None:
        sizes = mlp_args(sizes, activation, dropout, ACTIVATIONS)
        generator(rng, "MLP")
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
        super().__init__(*layers)
        self.sizes = tuple(sizes)

    def forward(self, x: NDArray) -> NDArray:
        non_empty_batch(f"MLP{self.sizes}", np.shape(x))  # the torch twin refuses it too
        return super().forward(x)
