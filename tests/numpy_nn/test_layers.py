"""course_lib.numpy_nn.layers: gradients, initialisers, dropout, batch norm, errors, saving, modes."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import torch

from course_lib.numpy_nn.gradcheck import check_layer
from course_lib.numpy_nn.layers import (
    ELU, GELU, BatchNorm1d, Dropout, Flatten, LeakyReLU, Linear, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh,
)
from course_lib.numpy_nn.module import Layer, Parameter, Sequential
from course_lib.numpy_nn.init import (
    calculate_gain, kaiming_normal, kaiming_uniform, normal, xavier_normal, xavier_uniform, zeros,
)
from course_lib.numpy_nn.models import MLP
from course_lib.numpy_nn.normalization import LayerNorm
from course_lib.numpy_nn.residual import Residual

# The step of the central difference: eps ≈ ε_mach^(1/3) ≈ 6e-6 balances truncation (∝ eps²) against
# rounding (∝ ε_mach/eps), so the element-wise relative error stays well below 1e-7.
EPS = 1e-5
TOL = 1e-7


# ------------------------------------------------------------------------------------------------
# Gradient checks
# ------------------------------------------------------------------------------------------------


def _batch_norm(rng: np.random.Generator, *, eval_mode: bool = False) -> BatchNorm1d:
    layer = BatchNorm1d(4)
    layer.weight.data[...] = rng.uniform(0.5, 1.5, size=4)  # γ ≠ 1 catches a backward that forgets it
    layer.bias.data[...] = rng.uniform(-0.5, 0.5, size=4)
    if eval_mode:
        for _ in range(3):  # running statistics away from their initial 0 and 1
            layer(rng.normal(1.0, 2.0, size=(8, 4)))
        layer.eval()
    return layer


def _layer_norm(rng: np.random.Generator, shape: int | tuple[int, ...], **kwargs: object) -> LayerNorm:
    layer = LayerNorm(shape, **kwargs)
    for _, p in layer.named_parameters():  # γ ≠ 1, β ≠ 0 catch a backward that forgets them
        p.data[...] = rng.uniform(0.5, 1.5, size=p.shape)
    return layer


def _eval(layer: Layer) -> Layer:
    return layer.eval()


# name -> (layer factory, input shape)
GRADCHECK_CASES: dict[str, tuple[Callable[[np.random.Generator], Layer], tuple[int, ...]]] = {
    "Linear": (lambda rng: Linear(4, 3, rng=rng), (5, 4)),
    "Linear-no-bias": (lambda rng: Linear(4, 3, bias=False, rng=rng), (5, 4)),
    "Linear-xavier": (lambda rng: Linear(4, 3, init="xavier_normal", rng=rng), (5, 4)),
    "Sigmoid": (lambda rng: Sigmoid(), (4, 5)),
    "Tanh": (lambda rng: Tanh(), (4, 5)),
    "ReLU": (lambda rng: ReLU(), (4, 5)),
    "LeakyReLU": (lambda rng: LeakyReLU(0.2), (4, 5)),
    "ELU": (lambda rng: ELU(alpha=0.7), (4, 5)),
    "GELU": (lambda rng: GELU(), (4, 5)),
    "GELU-tanh": (lambda rng: GELU(approximate="tanh"), (4, 5)),
    "Softmax": (lambda rng: Softmax(), (4, 5)),
    "Softmax-dim0": (lambda rng: Softmax(dim=0), (4, 5)),
    "LogSoftmax": (lambda rng: LogSoftmax(), (4, 5)),
    "Dropout-eval": (lambda rng: _eval(Dropout(0.5, rng=rng)), (4, 5)),
    "Dropout-p0-train": (lambda rng: Dropout(0.0, rng=rng), (4, 5)),
    "BatchNorm1d-train": (lambda rng: _batch_norm(rng), (6, 4)),
    "BatchNorm1d-eval": (lambda rng: _batch_norm(rng, eval_mode=True), (6, 4)),
    "LayerNorm": (lambda rng: _layer_norm(rng, 5), (4, 5)),
    "LayerNorm-3d": (lambda rng: _layer_norm(rng, 5, eps=1e-3), (2, 3, 5)),
    "LayerNorm-two-dims": (lambda rng: _layer_norm(rng, (3, 4)), (2, 3, 4)),
    "LayerNorm-no-affine": (lambda rng: LayerNorm(5, elementwise_affine=False), (4, 5)),
    "LayerNorm-no-bias": (lambda rng: _layer_norm(rng, 5, bias=False), (4, 5)),
    "LayerNorm-eval": (lambda rng: _eval(_layer_norm(rng, 5)), (4, 5)),
    "Residual-MLP-body": (lambda rng: Residual(Sequential(Linear(5, 8, rng=rng), Tanh(), Linear(8, 5, rng=rng))), (4, 5)),
    "Residual-LayerNorm": (lambda rng: Residual(_layer_norm(rng, 5)), (4, 5)),
    "Residual-pre-norm-stack": (
        lambda rng: Sequential(Residual(Sequential(_layer_norm(rng, 6), Linear(6, 6, rng=rng), GELU())),
                               Residual(Sequential(_layer_norm(rng, 6), Linear(6, 6, rng=rng)))),
        (3, 6),
    ),
    "Flatten": (lambda rng: Flatten(), (2, 3, 2, 2)),
    "Flatten-middle": (lambda rng: Flatten(start_dim=1, end_dim=2), (2, 3, 2, 2)),
    "mlp-tanh": (lambda rng: MLP((6, 5, 4, 3), activation="tanh", rng=rng), (8, 6)),
    "mlp-bn-dropout-eval": (
        lambda rng: _eval(MLP((6, 5, 4, 3), activation="gelu", batch_norm=True, dropout=0.3, rng=rng)),
        (8, 6),
    ),
}


@pytest.mark.parametrize("name", list(GRADCHECK_CASES))
def test_backward_matches_numerical_gradient(name, rng):
    factory, shape = GRADCHECK_CASES[name]
    layer = factory(rng)
    errors = check_layer(layer, rng.normal(size=shape), rng=rng, eps=EPS)
    assert set(errors) == {"input", *(n for n, _ in layer.named_parameters())}
    assert max(errors.values()) < TOL, errors


def test_layer_norm_normalises_each_example_the_same_in_train_and_eval(rng):
    layer = LayerNorm((3, 4))
    x = rng.normal(2.0, 3.0, size=(5, 3, 4))
    y = layer(x)
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(1, 2)), 1.0, rtol=1e-4)          # biased variance, eps = 1e-5
    np.testing.assert_allclose(layer.eval()(x), y)
    assert list(layer.state_dict()) == ["weight", "bias"] and layer.weight.shape == (3, 4)
    assert list(LayerNorm(4, elementwise_affine=False).state_dict()) == []


def test_residual_adds_the_input_and_names_parameters_as_torch(rng):
    body = Sequential(Linear(3, 4, rng=rng), ReLU(), Linear(4, 3, rng=rng))
    block = Residual(body)
    x = rng.normal(size=(2, 3))
    np.testing.assert_allclose(block(x), x + body(x))
    assert list(block.state_dict()) == ["body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias"]
    block(x)
    dy = rng.normal(size=(2, 3))
    dx = block.backward(dy)
    body(x)
    np.testing.assert_allclose(dx, dy + body.backward(dy))                  # the skip path adds dy


def assert_two_passes_add_up(layer, x, dy):
    """Two forward/backward passes on the same batch, without zero_grad, leave twice one pass's gradients."""
    layer.zero_grad()
    layer(x)
    layer.backward(dy)
    once = [p.grad.copy() for p in layer.parameters()]
    layer(x)
    layer.backward(dy)
    for p, g in zip(layer.parameters(), once):
        np.testing.assert_allclose(p.grad, 2 * g)


def test_layer_norm_and_residual_add_to_grad(rng):
    assert_two_passes_add_up(Residual(_layer_norm(rng, 4)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4)))


def test_mlp_with_batch_norm_in_training_mode_gradcheck(rng):
    model = MLP((6, 5, 4, 3), activation="tanh", batch_norm=True, rng=rng)
    x = rng.normal(size=(8, 6))
    errors = check_layer(model, x, rng=rng, eps=EPS)
    # A bias just before BatchNorm is cancelled by the batch mean: its true gradient is exactly 0,
    # where any relative error is rounding noise over noise. Check that it is zero instead.
    model.backward(rng.normal(size=model(x).shape))
    for name in ("0.bias", "3.bias"):  # layers 0 and 3 are the Linears that feed BatchNorm1d
        errors.pop(name)
        assert np.max(np.abs(dict(model.named_parameters())[name].grad)) < 1e-12
    assert max(errors.values()) < TOL, errors


def test_linear_by_hand():
    layer = Linear(2, 3, rng=np.random.default_rng(0))
    layer.weight.data[...] = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    layer.bias.data[...] = [0.0, 0.0, 1.0]
    y = layer(np.array([[1.0, 2.0]]))
    np.testing.assert_allclose(y, [[1.0, 2.0, 4.0]])
    dx = layer.backward(np.array([[1.0, 0.0, 2.0]]))
    np.testing.assert_allclose(dx, [[3.0, 2.0]])  # dy W
    np.testing.assert_allclose(layer.weight.grad, [[1.0, 2.0], [0.0, 0.0], [2.0, 4.0]])  # dyᵀ x, (out, in)
    np.testing.assert_allclose(layer.bias.grad, [1.0, 0.0, 2.0])


def test_linear_keeps_float32_input_working(rng):
    layer = Linear(3, 2, rng=rng)
    y = layer(rng.normal(size=(4, 3)).astype(np.float32))
    assert y.shape == (4, 2) and np.all(np.isfinite(y))


# ------------------------------------------------------------------------------------------------
# Dropout
# ------------------------------------------------------------------------------------------------


def test_dropout_keeps_one_minus_p_and_preserves_the_mean(rng):
    p = 0.3
    layer = Dropout(p, rng=rng)
    x = np.ones((1000, 100))
    y = layer(x)
    assert layer.mask is not None and layer.mask.dtype == np.bool_ and layer.mask.shape == x.shape
    kept = layer.mask.mean()
    assert abs(kept - (1 - p)) < 0.01  # 1e5 draws: the standard error is 0.0014
    assert abs(y.mean() - 1.0) < 0.02  # inverted dropout: E[y] = x
    np.testing.assert_array_equal(y != 0, layer.mask)
    np.testing.assert_allclose(y[layer.mask], 1 / (1 - p))


def test_dropout_backward_uses_the_same_mask(rng):
    layer = Dropout(0.5, rng=rng)
    x = rng.normal(size=(6, 7))
    layer(x)
    dy = rng.normal(size=(6, 7))
    np.testing.assert_allclose(layer.backward(dy), dy * layer.mask / 0.5)


def test_dropout_eval_is_identity_and_keeps_the_last_mask(rng):
    layer = Dropout(0.5, rng=rng)
    layer(rng.normal(size=(3, 4)))
    mask = layer.mask.copy()
    layer.eval()
    x = rng.normal(size=(3, 4))
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer.backward(x), x)
    np.testing.assert_array_equal(layer.mask, mask)


def test_dropout_masks_repeat_with_the_same_seed_and_change_between_calls():
    a, b = Dropout(0.5, rng=np.random.default_rng(7)), Dropout(0.5, rng=np.random.default_rng(7))
    x = np.ones((4, 50))
    np.testing.assert_array_equal(a(x), b(x))
    first = a.mask.copy()
    a(x)
    assert not np.array_equal(first, a.mask)


# ------------------------------------------------------------------------------------------------
# BatchNorm1d
# ------------------------------------------------------------------------------------------------


def test_batch_norm_training_output_is_normalised_and_running_stats_follow_torch_rule(rng):
    layer = BatchNorm1d(3, momentum=0.1)
    x = rng.normal(2.0, 3.0, size=(10, 3))
    y = layer(x)
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=0), x.var(axis=0) / (x.var(axis=0) + 1e-5))
    np.testing.assert_allclose(layer.running_mean, 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(layer.running_var, 0.9 + 0.1 * x.var(axis=0, ddof=1))  # unbiased
    assert layer.num_batches_tracked == 1


def test_batch_norm_momentum_none_is_a_cumulative_average(rng):
    layer = BatchNorm1d(2, momentum=None)
    batches = [rng.normal(size=(5, 2)) for _ in range(4)]
    for x in batches:
        layer(x)
    np.testing.assert_allclose(layer.running_mean, np.mean([x.mean(axis=0) for x in batches], axis=0))
    np.testing.assert_allclose(layer.running_var, np.mean([x.var(axis=0, ddof=1) for x in batches], axis=0))


def test_batch_norm_eval_uses_running_statistics_and_does_not_update_them(rng):
    layer = BatchNorm1d(2)
    layer.running_mean[...] = [1.0, -1.0]
    layer.running_var[...] = [4.0, 0.25]
    layer.eval()
    y = layer(np.array([[3.0, -1.5]]))  # a single example is fine in eval mode
    np.testing.assert_allclose(y, [[2 / math.sqrt(4 + 1e-5), -0.5 / math.sqrt(0.25 + 1e-5)]])
    np.testing.assert_allclose(layer.running_mean, [1.0, -1.0])
    assert layer.num_batches_tracked == 0


# ------------------------------------------------------------------------------------------------
# Flatten
# ------------------------------------------------------------------------------------------------


def test_flatten_round_trip(rng):
    layer = Flatten()
    x = rng.normal(size=(3, 1, 28, 28))
    y = layer(x)
    assert y.shape == (3, 784)
    np.testing.assert_array_equal(layer.backward(y), x)
    assert Flatten(start_dim=0)(x).shape == (3 * 784,)


# ------------------------------------------------------------------------------------------------
# Initialisers
# ------------------------------------------------------------------------------------------------

SHAPE = (400, 600)  # (out, in): fan_in 600, fan_out 400, 240 000 samples


@pytest.mark.parametrize(
    ("init", "expected_var"),
    [
        (lambda rng: normal(SHAPE, std=0.05, rng=rng), 0.05**2),
        (lambda rng: xavier_uniform(SHAPE, rng=rng), 2 / (600 + 400)),
        (lambda rng: xavier_normal(SHAPE, rng=rng), 2 / (600 + 400)),
        (lambda rng: xavier_uniform(SHAPE, gain=5 / 3, rng=rng), (5 / 3) ** 2 * 2 / 1000),
        (lambda rng: kaiming_uniform(SHAPE, rng=rng), 2 / 600),
        (lambda rng: kaiming_normal(SHAPE, rng=rng), 2 / 600),
        (lambda rng: kaiming_normal(SHAPE, nonlinearity="tanh", rng=rng), (5 / 3) ** 2 / 600),
        (lambda rng: kaiming_uniform(SHAPE, nonlinearity="leaky_relu", a=0.2, rng=rng), 2 / (1.04 * 600)),
        (lambda rng: kaiming_normal((64, 16, 3, 3), rng=rng), 2 / (16 * 9)),  # conv: fan_in = in·k·k
    ],
    ids=["normal", "xavier_uniform", "xavier_normal", "xavier_gain", "kaiming_uniform", "kaiming_normal",
         "kaiming_tanh", "kaiming_leaky", "kaiming_conv"],
)
def test_init_variance_matches_formula(init, expected_var, rng):
    w = init(rng)
    assert w.dtype == np.float64
    assert abs(w.mean()) < 4 * math.sqrt(expected_var / w.size)
    assert w.var() == pytest.approx(expected_var, rel=0.03)


@pytest.mark.parametrize("init", [normal, xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal])
def test_init_is_reproducible_with_the_same_generator(init):
    a = init((30, 20), rng=np.random.default_rng(3))
    b = init((30, 20), rng=np.random.default_rng(3))
    c = init((30, 20), rng=np.random.default_rng(4))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_uniform_inits_stay_within_their_bound(rng):
    assert np.abs(xavier_uniform(SHAPE, rng=rng)).max() <= math.sqrt(6 / 1000)
    assert np.abs(kaiming_uniform(SHAPE, rng=rng)).max() <= math.sqrt(2) * math.sqrt(3 / 600)


@pytest.mark.parametrize("nonlinearity", ["linear", "sigmoid", "tanh", "relu", "leaky_relu"])
def test_gains_are_torchs(nonlinearity):
    assert calculate_gain(nonlinearity) == pytest.approx(torch.nn.init.calculate_gain(nonlinearity))
    assert calculate_gain("leaky_relu", 0.3) == pytest.approx(torch.nn.init.calculate_gain("leaky_relu", 0.3))


def test_zeros():
    np.testing.assert_array_equal(zeros((2, 3)), np.zeros((2, 3)))


def test_linear_default_init_is_torchs_uniform_bound(rng):
    layer = Linear(256, 300, rng=rng)
    bound = 1 / math.sqrt(256)
    for p in (layer.weight.data, layer.bias.data):
        assert np.abs(p).max() <= bound
        assert np.abs(p).max() > 0.95 * bound
    assert layer.weight.data.var() == pytest.approx(bound**2 / 3, rel=0.03)


@pytest.mark.parametrize("init", ["zeros", "normal", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal"])
def test_linear_named_inits_have_zero_bias(init, rng):
    layer = Linear(20, 30, init=init, rng=rng)
    np.testing.assert_array_equal(layer.bias.data, 0.0)
    assert layer.weight.shape == (30, 20)
    assert (init == "zeros") == (not layer.weight.data.any())


# ------------------------------------------------------------------------------------------------
# Errors that teach
# ------------------------------------------------------------------------------------------------


def test_linear_wrong_feature_count_names_both_shapes(rng):
    layer = Linear(784, 128, rng=rng)
    with pytest.raises(ValueError, match=r"Linear\(784 → 128\) expects input of shape \(N, 784\); got \(32, 100\)"):
        layer(np.zeros((32, 100)))
    with pytest.raises(ValueError, match=r"got \(784,\).*reshape\(1, -1\)"):
        layer(np.zeros(784))


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda rng: Linear(3, 2, init="he", rng=rng), ValueError, r"unknown init 'he'.*kaiming_normal"),
        (lambda rng: Linear(0, 2, rng=rng), ValueError, "in_features must be a positive integer"),
        (lambda rng: Linear(3, 2.5, rng=rng), ValueError, "out_features must be a positive integer"),
        (lambda rng: Linear(3, 2, rng=0), TypeError, r"np.random.default_rng"),
        (lambda rng: Dropout(1.0, rng=rng), ValueError, "p = 1 would drop every unit"),
        (lambda rng: Dropout(-0.1, rng=rng), ValueError, r"p must be in \[0, 1\)"),
        (lambda rng: Dropout(0.5, rng=None), TypeError, "rng=np.random.Generator"),
        (lambda rng: BatchNorm1d(0), ValueError, "num_features must be a positive integer"),
        (lambda rng: BatchNorm1d(3, momentum=1.5), ValueError, "momentum"),
        (lambda rng: GELU(approximate="fast"), ValueError, "'none' or 'tanh'"),
        (lambda rng: xavier_uniform((5,), rng=rng), ValueError, "at least 2 dimensions"),
        (lambda rng: kaiming_normal((5, 5), nonlinearity="swish", rng=rng), ValueError, "Unknown nonlinearity 'swish'"),
        (lambda rng: MLP((784,), rng=rng), ValueError, "at least two positive integers"),
        (lambda rng: MLP((4, 2), activation="softplus", rng=rng), ValueError, r"unknown activation.*'relu'"),
        (lambda rng: MLP((4, 3, 2), dropout=1.0, rng=rng), ValueError, r"dropout must be in \[0, 1\)"),
        (lambda rng: Sequential(ReLU(), "relu"), TypeError, "argument 1 is str"),
    ],
)
def test_bad_construction_is_explained(build, error, match, rng):
    with pytest.raises(error, match=match):
        build(rng)


def test_batch_norm_needs_two_examples_in_training(rng):
    layer = BatchNorm1d(4)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        layer(rng.normal(size=(1, 4)))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(4\) expects input of shape \(N, 4\); got \(5, 3\)"):
        layer(rng.normal(size=(5, 3)))


def test_flatten_with_dims_that_do_not_fit(rng):
    with pytest.raises(ValueError, match="does not fit an input with 2 dimensions"):
        Flatten(start_dim=2)(rng.normal(size=(3, 4)))


def test_backward_with_wrong_dy_shape(rng):
    layer = Linear(3, 2, rng=rng)
    layer(rng.normal(size=(4, 3)))
    with pytest.raises(ValueError, match=r"expects dy of the output's shape \(4, 2\); got \(4, 3\)"):
        layer.backward(rng.normal(size=(4, 3)))


ALL_LAYERS: list[Callable[[np.random.Generator], Layer]] = [
    lambda rng: Linear(3, 3, rng=rng),
    lambda rng: Sigmoid(),
    lambda rng: Tanh(),
    lambda rng: ReLU(),
    lambda rng: LeakyReLU(),
    lambda rng: ELU(),
    lambda rng: GELU(),
    lambda rng: Softmax(),
    lambda rng: LogSoftmax(),
    lambda rng: Dropout(0.5, rng=rng),
    lambda rng: BatchNorm1d(3),
    lambda rng: Flatten(),
    lambda rng: Sequential(Linear(3, 3, rng=rng), ReLU()),
]


@pytest.mark.parametrize("factory", ALL_LAYERS, ids=lambda f: type(f(np.random.default_rng(0))).__name__)
def test_backward_before_forward_is_a_clear_error(factory, rng):
    layer = factory(rng)
    with pytest.raises(RuntimeError, match="backward was called before forward"):
        layer.backward(np.ones((2, 3)))
    y = layer(rng.normal(size=(2, 3)))
    layer.backward(np.ones_like(y))
    with pytest.raises(RuntimeError, match="backward was called before forward"):  # once per forward
        layer.backward(np.ones_like(y))


# ------------------------------------------------------------------------------------------------
# Saving, modes, structure
# ------------------------------------------------------------------------------------------------


def test_state_dict_round_trip(rng):
    model = MLP((6, 5, 4, 3), batch_norm=True, dropout=0.2, rng=rng)
    for _ in range(3):
        model(rng.normal(size=(8, 6)))
    state = model.state_dict()
    assert list(state) == [
        "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
        "4.weight", "4.bias", "5.weight", "5.bias", "5.running_mean", "5.running_var", "5.num_batches_tracked",
        "8.weight", "8.bias",
    ]  # torch's order: each layer's parameters, then its buffers
    assert int(state["1.num_batches_tracked"]) == 3

    other = MLP((6, 5, 4, 3), batch_norm=True, dropout=0.2, rng=np.random.default_rng(99))
    other.load_state_dict(state)
    x = rng.normal(size=(4, 6))
    np.testing.assert_array_equal(model.eval()(x), other.eval()(x))
    assert other[1].num_batches_tracked == 3

    state["0.weight"][...] = 0.0  # a copy: the model is untouched
    assert model[0].weight.data.any()


def test_load_state_dict_errors(rng):
    model = MLP((4, 3, 2), rng=rng)
    state = model.state_dict()
    with pytest.raises(KeyError, match=r"missing \['2.bias'\]"):
        model.load_state_dict({k: v for k, v in state.items() if k != "2.bias"})
    state["2.weight"] = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"2.weight: expected shape \(2, 3\), got \(3, 2\)"):
        model.load_state_dict(state)


def test_named_parameters_use_torchs_dotted_names(rng):
    model = Sequential(Linear(4, 3, rng=rng), ReLU(), Sequential(Linear(3, 2, bias=False, rng=rng)))
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.0.weight"]
    assert all(isinstance(p, Parameter) for p in model.parameters())


def test_train_and_eval_reach_every_nested_layer(rng):
    inner = Sequential(BatchNorm1d(3), Dropout(0.5, rng=rng))
    model = Sequential(Linear(3, 3, rng=rng), inner)
    assert model.eval() is model
    assert not any(layer.training for layer in (model, inner, inner[0], inner[1], model[0]))
    model.train()
    assert all(layer.training for layer in (model, inner, inner[0], inner[1], model[0]))


def test_zero_grad(rng):
    model = MLP((3, 2), rng=rng)
    model.backward(np.ones_like(model(rng.normal(size=(2, 3)))))
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_reprs_match_torchs(rng):
    pairs = [
        (Linear(784, 128, rng=rng), torch.nn.Linear(784, 128)),
        (Linear(3, 2, bias=False, rng=rng), torch.nn.Linear(3, 2, bias=False)),
        (ReLU(), torch.nn.ReLU()),
        (Sigmoid(), torch.nn.Sigmoid()),
        (Tanh(), torch.nn.Tanh()),
        (LeakyReLU(), torch.nn.LeakyReLU()),
        (ELU(), torch.nn.ELU()),
        (GELU("tanh"), torch.nn.GELU("tanh")),
        (Softmax(dim=-1), torch.nn.Softmax(dim=-1)),
        (LogSoftmax(dim=1), torch.nn.LogSoftmax(dim=1)),
        (Flatten(), torch.nn.Flatten()),
        (
            Sequential(Linear(4, 3, rng=rng), ReLU(), Sequential(Linear(3, 2, rng=rng))),
            torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Sequential(torch.nn.Linear(3, 2))),
        ),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
    assert repr(Dropout(0.25, rng=rng)) == "Dropout(p=0.25)"
    assert repr(BatchNorm1d(4)) == "BatchNorm1d(4, eps=1e-05, momentum=0.1)"


def test_mlp_layout_and_parameter_count(rng):
    model = MLP((784, 256, 128, 10), rng=rng)
    assert [type(layer).__name__ for layer in model] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert sum(p.data.size for p in model.parameters()) == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
    full = MLP((10, 8, 6), activation="tanh", batch_norm=True, dropout=0.5, rng=rng)
    assert [type(layer).__name__ for layer in full] == ["Linear", "BatchNorm1d", "Tanh", "Dropout", "Linear"]
    assert MLP((5, 4), init="kaiming_normal", rng=rng)[0].init == "kaiming_normal"


def test_astype_converts_parameters_and_buffers_and_training_stays_in_that_dtype():
    from course_lib.numpy_nn.models import MLP

    rng = np.random.default_rng(0)
    model = MLP((4, 8, 3), batch_norm=True, rng=rng).astype(np.float32)
    assert {p.data.dtype for p in model.parameters()} == {np.dtype(np.float32)}
    assert model.layers[1].running_mean.dtype == np.float32 and model.layers[1].running_var.dtype == np.float32
    y = model(rng.standard_normal((5, 4)).astype(np.float32))
    assert y.dtype == np.float32
    model.backward(np.ones_like(y))
    assert {p.grad.dtype for p in model.parameters()} == {np.dtype(np.float32)}
    with pytest.raises(ValueError, match="floating dtype"):
        model.astype(np.int32)


def test_sequential_can_skip_the_gradient_of_its_input():
    from course_lib.numpy_nn.models import MLP

    rng = np.random.default_rng(0)
    model = MLP((5, 7, 3), rng=rng)
    x, dy = rng.standard_normal((4, 5)), rng.standard_normal((4, 3))
    model(x)
    dx = model.backward(dy)
    grads = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    model(x)
    assert model.backward(dy, input_grad=False) is None
    for before, p in zip(grads, model.parameters()):
        np.testing.assert_array_equal(p.grad, before)  # the parameters' gradients are unchanged
    assert dx.shape == x.shape


def test_backward_adds_to_the_gradients_as_torch_does():
    """Two backward passes without zero_grad leave the sum of their gradients, in both twins."""
    import torch

    from course_lib.numpy_nn.models import MLP
    from course_lib.torch_nn.models import MLP as TorchMLP, copy_weights_numpy_to_torch

    rng = np.random.default_rng(0)
    model = MLP((5, 7, 3), rng=rng, batch_norm=True)
    twin = TorchMLP((5, 7, 3), batch_norm=True).double()
    copy_weights_numpy_to_torch(model, twin)
    x1, x2, dy = rng.standard_normal((4, 5)), rng.standard_normal((4, 5)), rng.standard_normal((4, 3))
    for x in (x1, x2):
        model(x)
        model.backward(dy)
        twin(torch.from_numpy(x)).backward(torch.from_numpy(dy))
    for (name, p), q in zip(model.named_parameters(), twin.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12, atol=1e-12, err_msg=name)
    assert_two_passes_add_up(model, x2, dy)
