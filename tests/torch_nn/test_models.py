"""course_lib.torch_nn.models: MLP and CNN shapes and errors, and weights shared with the NumPy mlp."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.numpy_nn import models as NumpyModels
from course_lib.numpy_nn.models import MLP as NumpyMLP
from course_lib.torch_nn import models as M
from course_lib.torch_nn.models import CNN, MLP, copy_weights_numpy_to_torch, copy_weights_torch_to_numpy


@pytest.fixture
def gen() -> torch.Generator:
    return torch.Generator().manual_seed(0)


def _count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("model", [MLP(), CNN()], ids=["MLP", "CNN"])
@pytest.mark.parametrize("shape", [(5, 784), (5, 1, 28, 28)], ids=["flat", "images"])
def test_output_shapes_for_both_input_layouts(model, shape, gen):
    model.eval()
    with torch.no_grad():
        assert model(torch.randn(*shape, generator=gen)).shape == (5, 10)


def test_cnn_flat_and_image_inputs_give_the_same_logits(gen):
    model = CNN().eval()
    images = torch.randn(3, 1, 28, 28, generator=gen)
    with torch.no_grad():
        torch.testing.assert_close(model(images), model(images.reshape(3, 784)))


def test_cnn_layout_and_other_widths(gen):
    model = CNN(channels=(8, 16), hidden=32, dropout=0.5, num_classes=5)
    assert [type(m).__name__ for m in model.features] == ["Conv2d", "ReLU", "MaxPool2d"] * 2
    assert [type(m).__name__ for m in model.classifier] == ["Flatten", "Linear", "ReLU", "Dropout", "Linear"]
    assert model.classifier[1].in_features == 16 * 7 * 7 and model.classifier[3].p == 0.5
    assert model.eval()(torch.randn(2, 784, generator=gen)).shape == (2, 5)


@pytest.mark.parametrize(
    ("model", "shape", "match"),
    [
        (MLP(), (4, 785), r"MLP\(784, 256, 128, 10\) expects input of shape \(N, 784\).*got \(4, 785\)"),
        (MLP(), (784,), r"got \(784,\)"),
        (CNN(), (4, 785), r"\(N, 1, 28, 28\) or flattened \(N, 784\); got \(4, 785\)"),
        (CNN(), (4, 3, 28, 28), r"got \(4, 3, 28, 28\)"),
        (CNN(), (4, 28, 28), r"got \(4, 28, 28\)"),
    ],
)
def test_bad_input_shape_is_explained(model, shape, match):
    with pytest.raises(ValueError, match=match):
        model(torch.zeros(shape))


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: MLP((784,)), "at least two positive integers"),
        (lambda: MLP(activation="swish"), r"unknown activation 'swish'.*'relu'"),
        (lambda: MLP(dropout=1.0), r"dropout must be in \[0, 1\)"),
        (lambda: CNN(channels=()), "one or more positive integers"),
        (lambda: CNN(dropout=-0.1), r"dropout must be in \[0, 1\)"),
    ],
)
def test_bad_arguments(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_parameter_counts():
    assert _count(MLP()) == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10 == 235_146
    conv = (1 * 16 * 9 + 16) + (16 * 32 * 9 + 32)
    dense = (32 * 7 * 7 * 128 + 128) + (128 * 10 + 10)
    assert _count(CNN()) == conv + dense == 206_922
    np_model = NumpyMLP((784, 256, 128, 10), batch_norm=True, rng=np.random.default_rng(0))
    assert sum(p.data.size for p in np_model.parameters()) == _count(MLP(batch_norm=True))


def test_the_two_builders_offer_the_same_activations():
    assert M.ACTIVATIONS.keys() == NumpyModels.ACTIVATIONS.keys()
    for name in M.ACTIVATIONS:
        assert M.ACTIVATIONS[name].__name__ == NumpyModels.ACTIVATIONS[name].__name__


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"activation": "tanh", "batch_norm": True}, {"activation": "gelu", "dropout": 0.3, "batch_norm": True}],
    ids=["plain", "batch-norm", "batch-norm-dropout"],
)
def test_weights_copied_from_numpy_give_identical_predictions(kwargs, rng):
    sizes = (784, 64, 32, 10)
    np_model = NumpyMLP(sizes, rng=rng, **kwargs)
    for _ in range(2):  # move the running statistics away from 0 and 1
        np_model(rng.normal(size=(16, 784)))
    torch_model = MLP(sizes, **kwargs).double()
    assert list(np_model.state_dict()) == list(torch_model.state_dict())
    copy_weights_numpy_to_torch(np_model, torch_model)

    x = rng.normal(size=(20, 784))
    np_model.eval()
    torch_model.eval()
    with torch.no_grad():
        np.testing.assert_allclose(np_model(x), torch_model(torch.from_numpy(x)).numpy(), rtol=1e-10, atol=1e-12)
        images = torch.from_numpy(x).reshape(20, 1, 28, 28)
        np.testing.assert_allclose(np_model(x), torch_model(images).numpy(), rtol=1e-10, atol=1e-12)


def test_weights_copied_from_torch_give_identical_predictions(rng):
    torch.manual_seed(0)
    torch_model = MLP((20, 16, 5), batch_norm=True).double()
    torch_model(torch.randn(8, 20, dtype=torch.float64))  # one training forward moves the running stats
    np_model = NumpyMLP((20, 16, 5), batch_norm=True, rng=rng)
    assert copy_weights_torch_to_numpy(torch_model, np_model) is np_model
    assert np_model[1].num_batches_tracked == 1
    x = rng.normal(size=(6, 20))
    with torch.no_grad():
        expected = torch_model.eval()(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(np_model.eval()(x), expected, rtol=1e-10, atol=1e-12)


def test_copy_keeps_torch_dtype_and_reports_mismatches(rng):
    torch_model = MLP((10, 8, 3))  # float32
    copy_weights_numpy_to_torch(NumpyMLP((10, 8, 3), rng=rng), torch_model)
    assert all(p.dtype == torch.float32 for p in torch_model.parameters())
    with pytest.raises(ValueError, match=r"'0.weight' has shape \(8, 12\) in the source but \(8, 10\)"):
        copy_weights_numpy_to_torch(NumpyMLP((12, 8, 3), rng=rng), torch_model)
    with pytest.raises(KeyError, match=r"Missing in the source: \['2.bias', '2.weight'\]"):
        copy_weights_numpy_to_torch(NumpyMLP((10, 8, 3), batch_norm=True, rng=rng), torch_model)
    with pytest.raises(KeyError, match="state_dict keys differ"):
        copy_weights_torch_to_numpy(MLP((10, 8, 3), dropout=0.5), NumpyMLP((10, 8, 3), rng=rng))
