"""The NumPy reference and its PyTorch twin agree: one table, every pair, every device, float64.

Each row builds the NumPy object and its torch twin, copies the NumPy weights into torch (one tensor
per state_dict key), runs both on the same batch and returns what must agree: the output, the
gradient with respect to the input, every parameter's gradient, and every parameter and buffer
afterwards (so BatchNorm's running statistics and num_batches_tracked are compared too).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.numpy_nn import layers as L
from course_lib.numpy_nn import losses as NL
from course_lib.numpy_nn import normalization as NN
from course_lib.numpy_nn import residual as NRes
from course_lib.numpy_nn.module import Layer
from course_lib.numpy_nn.models import MLP as NumpyMLP
from course_lib.torch_nn import layers as TL
from course_lib.torch_nn import losses as TLo
from course_lib.torch_nn import normalization as TN
from course_lib.torch_nn import residual as TRes
from course_lib.torch_nn.models import MLP, copy_weights_numpy_to_torch

DTYPE = torch.float64
RTOL, ATOL = 1e-7, 1e-9
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
DEVICE_PARAMS = [pytest.param(d, marks=pytest.mark.cuda) if d.startswith("cuda") else d for d in DEVICES]

Compared = list[tuple[str, Any, Any]]  # (what, NumPy value, torch value)


@dataclass
class LayerTwin:
    """A NumPy layer and its torch twin.

    ``torch_forward`` replaces ``module(x)`` where the torch side must be driven by hand (dropout
    with the NumPy layer's mask). ``warmup`` training-mode forwards run on both before ``mode`` is
    set and the compared pass runs.
    """

    name: str
    make_numpy: Callable[[np.random.Generator], Layer]
    make_torch: Callable[[], nn.Module]
    input_shape: tuple[int, ...]
    mode: str = "train"
    warmup: int = 0
    torch_forward: Callable[[nn.Module, torch.Tensor, Layer], torch.Tensor] | None = None

    def __str__(self) -> str:
        return self.name

    def run_both(self, rng: np.random.Generator, device: str) -> Compared:
        np_layer = self.make_numpy(rng)
        module = self.make_torch().to(device=device, dtype=DTYPE)
        copy_weights_numpy_to_torch(np_layer, module)

        def t_forward(x: torch.Tensor) -> torch.Tensor:
            return module(x) if self.torch_forward is None else self.torch_forward(module, x, np_layer)

        def as_tensor(a: np.ndarray, requires_grad: bool = False) -> torch.Tensor:
            return torch.tensor(a, dtype=DTYPE, device=device, requires_grad=requires_grad)

        compared: Compared = []
        for step in range(self.warmup):
            x = rng.normal(size=self.input_shape)
            compared.append((f"warm-up output {step}", np_layer(x), t_forward(as_tensor(x))))
        np_layer.train(self.mode == "train")
        module.train(self.mode == "train")

        x = rng.normal(size=self.input_shape)
        y = np_layer(x)
        dy = rng.normal(size=y.shape)
        dx = np_layer.backward(dy)
        xt = as_tensor(x, requires_grad=True)
        yt = t_forward(xt)
        yt.backward(as_tensor(dy))

        compared += [("output", y, yt), ("input gradient", dx, xt.grad)]
        t_params = dict(module.named_parameters())
        assert [n for n, _ in np_layer.named_parameters()] == list(t_params)
        for name, p in np_layer.named_parameters():
            compared.append((f"gradient of {name}", p.grad, t_params[name].grad))
        t_state = module.state_dict()
        assert list(np_layer.state_dict()) == list(t_state)
        for name, value in np_layer.state_dict().items():
            compared.append((f"state {name}", value, t_state[name]))
        return compared


@dataclass
class LossTwin:
    """A NumPy loss class and torch's, on the same predictions and targets."""

    name: str
    make_numpy: Callable[[], Any]
    make_torch: Callable[[], nn.Module]
    pred_shape: tuple[int, ...]
    make_target: Callable[[np.random.Generator, tuple[int, ...]], np.ndarray]

    def __str__(self) -> str:
        return self.name

    def run_both(self, rng: np.random.Generator, device: str) -> Compared:
        pred = rng.normal(size=self.pred_shape)
        target = self.make_target(rng, self.pred_shape)
        np_loss = self.make_numpy()
        value = np_loss(pred, target)
        dpred = np_loss.backward()

        pt = torch.tensor(pred, dtype=DTYPE, device=device, requires_grad=True)
        tt = torch.tensor(target, device=device)
        tt = tt if tt.dtype == torch.int64 else tt.to(DTYPE)
        loss = self.make_torch()(pt, tt)
        loss.backward()
        return [("loss", np.float64(value), loss), ("prediction gradient", dpred, pt.grad)]


def _by_hand_dropout(module: nn.Module, x: torch.Tensor, np_layer: Layer) -> torch.Tensor:
    """torch's dropout with the NumPy layer's mask: y = x·mask/(1 − p)."""
    return x * torch.as_tensor(np_layer.mask, device=x.device) / (1 - module.p)


def _random_affine(layer: Layer, rng: np.random.Generator) -> Layer:
    """The layer with γ and β drawn at random, so a wrong use of either shows (ones and zeros would hide it)."""
    for _, p in layer.named_parameters():
        p.data[...] = rng.normal(size=p.shape)
    return layer


def _class_targets(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(0, shape[1], size=shape[0])


def _normal_targets(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.normal(size=shape)


def _probability_targets(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(0, 1, size=shape)


TWINS: list[LayerTwin | LossTwin] = [
    # -- Linear -------------------------------------------------------------------------------------
    LayerTwin("Linear", lambda rng: L.Linear(5, 3, rng=rng), lambda: TL.Linear(5, 3), (4, 5)),
    LayerTwin("Linear-no-bias", lambda rng: L.Linear(5, 3, bias=False, rng=rng), lambda: TL.Linear(5, 3, bias=False), (4, 5)),
    # -- activations --------------------------------------------------------------------------------
    LayerTwin("Sigmoid", lambda rng: L.Sigmoid(), TL.Sigmoid, (4, 5)),
    LayerTwin("Tanh", lambda rng: L.Tanh(), TL.Tanh, (4, 5)),
    LayerTwin("ReLU", lambda rng: L.ReLU(), TL.ReLU, (4, 5)),
    LayerTwin("LeakyReLU", lambda rng: L.LeakyReLU(0.2), lambda: TL.LeakyReLU(0.2), (4, 5)),
    LayerTwin("ELU", lambda rng: L.ELU(alpha=0.7), lambda: TL.ELU(alpha=0.7), (4, 5)),
    LayerTwin("GELU", lambda rng: L.GELU(), TL.GELU, (4, 5)),
    LayerTwin("GELU-tanh", lambda rng: L.GELU(approximate="tanh"), lambda: TL.GELU(approximate="tanh"), (4, 5)),
    LayerTwin("Softmax", lambda rng: L.Softmax(dim=-1), lambda: TL.Softmax(dim=-1), (4, 5)),
    LayerTwin("Softmax-dim0", lambda rng: L.Softmax(dim=0), lambda: TL.Softmax(dim=0), (4, 5)),
    LayerTwin("LogSoftmax", lambda rng: L.LogSoftmax(dim=-1), lambda: TL.LogSoftmax(dim=-1), (4, 5)),
    # -- dropout: train mode with NumPy's mask applied to torch by hand; eval mode as is -------------
    LayerTwin("Dropout-train", lambda rng: L.Dropout(0.4, rng=rng), lambda: TL.Dropout(0.4), (6, 7),
              warmup=2, torch_forward=_by_hand_dropout),
    LayerTwin("Dropout-eval", lambda rng: L.Dropout(0.4, rng=rng), lambda: TL.Dropout(0.4), (6, 7), mode="eval"),
    # -- batch norm: several training forwards, then the compared pass ---------------------------------
    LayerTwin("BatchNorm1d-train", lambda rng: L.BatchNorm1d(5), lambda: TL.BatchNorm1d(5), (8, 5), warmup=3),
    LayerTwin("BatchNorm1d-train-momentum", lambda rng: L.BatchNorm1d(5, eps=1e-3, momentum=0.3),
              lambda: TL.BatchNorm1d(5, eps=1e-3, momentum=0.3), (8, 5), warmup=3),
    LayerTwin("BatchNorm1d-cumulative", lambda rng: L.BatchNorm1d(5, momentum=None),
              lambda: TL.BatchNorm1d(5, momentum=None), (8, 5), warmup=3),
    LayerTwin("BatchNorm1d-eval", lambda rng: L.BatchNorm1d(5), lambda: TL.BatchNorm1d(5), (8, 5), mode="eval", warmup=3),
    # -- layer norm: per example, the same in train and eval; one and two trailing dims ---------------
    LayerTwin("LayerNorm", lambda rng: _random_affine(NN.LayerNorm(5), rng), lambda: TN.LayerNorm(5), (4, 5)),
    LayerTwin("LayerNorm-eval-3d", lambda rng: NN.LayerNorm(5, eps=1e-3), lambda: TN.LayerNorm(5, eps=1e-3), (3, 4, 5),
              mode="eval"),
    LayerTwin("LayerNorm-two-dims", lambda rng: _random_affine(NN.LayerNorm((3, 4)), rng), lambda: TN.LayerNorm((3, 4)), (2, 3, 4)),
    LayerTwin("LayerNorm-no-affine", lambda rng: NN.LayerNorm(5, elementwise_affine=False),
              lambda: TN.LayerNorm(5, elementwise_affine=False), (4, 5)),
    LayerTwin("LayerNorm-no-bias", lambda rng: _random_affine(NN.LayerNorm(5, bias=False), rng), lambda: TN.LayerNorm(5, bias=False), (4, 5)),
    LayerTwin("LayerNorm-one-example", lambda rng: NN.LayerNorm(5), lambda: TN.LayerNorm(5), (5,)),
    # -- Flatten --------------------------------------------------------------------------------------
    LayerTwin("Flatten", lambda rng: L.Flatten(), TL.Flatten, (3, 1, 4, 4)),
    LayerTwin("Flatten-middle", lambda rng: L.Flatten(1, 2), lambda: TL.Flatten(1, 2), (3, 2, 4, 4)),
    # -- residual blocks: x + body(x) ------------------------------------------------------------------
    LayerTwin(
        "Residual-MLP-body",
        lambda rng: NRes.Residual(L.Sequential(L.Linear(5, 8, rng=rng), L.ReLU(), L.Linear(8, 5, rng=rng))),
        lambda: TRes.Residual(TL.Sequential(TL.Linear(5, 8), TL.ReLU(), TL.Linear(8, 5))),
        (4, 5),
    ),
    LayerTwin("Residual-LayerNorm", lambda rng: NRes.Residual(_random_affine(NN.LayerNorm(5), rng)), lambda: TRes.Residual(TN.LayerNorm(5)), (4, 5)),
    LayerTwin(
        "Residual-nested-pre-norm",
        lambda rng: L.Sequential(NRes.Residual(L.Sequential(NN.LayerNorm(6), L.Linear(6, 6, rng=rng), L.GELU())),
                                 NRes.Residual(L.Sequential(NN.LayerNorm(6), L.Linear(6, 6, rng=rng)))),
        lambda: TL.Sequential(TRes.Residual(TL.Sequential(TN.LayerNorm(6), TL.Linear(6, 6), TL.GELU())),
                              TRes.Residual(TL.Sequential(TN.LayerNorm(6), TL.Linear(6, 6)))),
        (3, 6),
    ),
    # -- models ---------------------------------------------------------------------------------------
    LayerTwin(
        "Sequential-MLP",
        lambda rng: L.Sequential(L.Linear(6, 5, rng=rng), L.Tanh(), L.Linear(5, 4, rng=rng), L.LogSoftmax()),
        lambda: TL.Sequential(TL.Linear(6, 5), TL.Tanh(), TL.Linear(5, 4), TL.LogSoftmax(dim=-1)),
        (7, 6),
    ),
    LayerTwin("MLP", lambda rng: NumpyMLP((12, 10, 8, 4), rng=rng), lambda: MLP((12, 10, 8, 4)), (6, 12)),
    LayerTwin(
        "MLP-batch-norm-gelu-train",
        lambda rng: NumpyMLP((12, 10, 8, 4), activation="gelu", batch_norm=True, init="kaiming_normal", rng=rng),
        lambda: MLP((12, 10, 8, 4), activation="gelu", batch_norm=True),
        (6, 12),
        warmup=2,
    ),
    LayerTwin(
        "MLP-batch-norm-dropout-eval",
        lambda rng: NumpyMLP((12, 10, 8, 4), activation="elu", batch_norm=True, dropout=0.5, rng=rng),
        lambda: MLP((12, 10, 8, 4), activation="elu", batch_norm=True, dropout=0.5),
        (6, 12),
        mode="eval",
    ),
    # -- losses ---------------------------------------------------------------------------------------
    LossTwin("MSELoss", NL.MSELoss, TLo.MSELoss, (6, 3), _normal_targets),
    LossTwin("L1Loss", NL.L1Loss, TLo.L1Loss, (6, 3), _normal_targets),
    LossTwin("HuberLoss", NL.HuberLoss, TLo.HuberLoss, (6, 3), _normal_targets),
    LossTwin("HuberLoss-delta", lambda: NL.HuberLoss(delta=0.5), lambda: TLo.HuberLoss(delta=0.5), (6, 3), _normal_targets),
    LossTwin("BCEWithLogitsLoss", NL.BCEWithLogitsLoss, TLo.BCEWithLogitsLoss, (6, 3), _probability_targets),
    LossTwin("CrossEntropyLoss", NL.CrossEntropyLoss, TLo.CrossEntropyLoss, (6, 4), _class_targets),
    LossTwin("CrossEntropyLoss-smoothing", lambda: NL.CrossEntropyLoss(label_smoothing=0.1),
             lambda: TLo.CrossEntropyLoss(label_smoothing=0.1), (6, 4), _class_targets),
]


@pytest.mark.parametrize("twin", TWINS, ids=str)
@pytest.mark.parametrize("device", DEVICE_PARAMS)
def test_twins_agree(twin, device, rng):
    compared = twin.run_both(rng, device)
    for what, ours, theirs in compared:
        assert ours is not None and theirs is not None, f"{twin}: {what} is missing on one side"
        theirs = theirs.detach().cpu().numpy()
        np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL, err_msg=f"{twin}: {what} differs")


def test_the_table_covers_every_layer_and_loss():
    covered = {str(t).split("-")[0] for t in TWINS}
    numpy_layers = {n for n in L.__all__ if isinstance(getattr(L, n), type) and issubclass(getattr(L, n), Layer)}
    assert numpy_layers - {"Layer", "Activation"} <= covered
    assert set(TL.__all__) | set(TN.__all__) | set(TRes.__all__) | set(NN.__all__) | set(NRes.__all__) <= covered
    assert set(TLo.__all__) <= covered
    assert {"Dropout-train", "Dropout-eval", "BatchNorm1d-train", "BatchNorm1d-eval", "MLP"} <= {str(t) for t in TWINS}
