"""Lesson 04: activation curves, signal statistics through depth, their plots, explorer and self-checks."""

from __future__ import annotations

import math
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_lib.lessons.l04_activation_functions.checks import (
    check_count_dead_units, check_steady_scale, check_layer_stats, check_leaky_relu_derivative, check_tanh_derivative,
    choose_relu_lecun_trend, predict_relu_lecun_factor,
)
from course_lib.ui.checks import CheckFailed
from course_lib.lessons.l04_activation_functions.deep_nets import (
    ACTIVATION_NAMES, INIT_NAMES, LayerStatistics, activation_and_derivative, build_network,
    compose_linear, dead_unit_fractions, dead_unit_mask, forward_stats, gradient_warning, layer_statistics,
    signal_warning, softmax_sweep,
)
from course_lib.numpy_nn.init import init_std
from course_lib.numpy_nn.models import ACTIVATIONS
from course_lib.numpy_nn.layers import Linear, ReLU
from course_lib.numpy_nn.module import Sequential
from course_lib.lessons.l04_activation_functions.plots import (
    plot_activation, plot_layer_activation_std, plot_dead_fractions, plot_decision_regions,
    plot_layer_grad_norms, plot_softmax_sweep, plot_softmax_temperatures,
)
from course_lib.lessons.l04_activation_functions.explorers import INIT_CHOICES, init_explorer

TORCH_ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": torch.nn.functional.leaky_relu,
    "elu": torch.nn.functional.elu,
    "gelu": torch.nn.functional.gelu,
}
POINTS = np.concatenate([np.linspace(-8, 8, 161), [-30.0, -1e-3, 1e-3, 30.0]])


# ---- the library: activation curves and softmax -------------------------------------------------


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activation_and_derivative_agree_with_torch_autograd(name):
    x = torch.tensor(POINTS, dtype=torch.float64, requires_grad=True)
    y = TORCH_ACTIVATIONS[name](x)
    y.sum().backward()
    ours, dours = activation_and_derivative(name, POINTS)
    np.testing.assert_allclose(ours, y.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dours, x.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_activation_derivatives_hand_values():
    np.testing.assert_allclose(activation_and_derivative("sigmoid", [0.0])[1], [0.25])
    np.testing.assert_allclose(activation_and_derivative("tanh", [0.0])[1], [1.0])
    np.testing.assert_array_equal(activation_and_derivative("relu", [-2, 0, 3])[1], [0.0, 0.0, 1.0])
    np.testing.assert_allclose(activation_and_derivative("leaky_relu", [-2.0, 3.0])[1], [0.01, 1.0])
    np.testing.assert_allclose(activation_and_derivative("elu", [-1.0])[1], [math.exp(-1)])


def test_activation_and_derivative_rejects_an_unknown_name():
    with pytest.raises(ValueError, match="Unknown activation 'swish'"):
        activation_and_derivative("swish", [0.0])


def test_softmax_sweep_matches_torch_and_temperature_flattens():
    values = np.linspace(-4, 4, 9)
    for T in (0.5, 1.0, 3.0):
        probs = softmax_sweep([1.0, 0.0, -1.0], 0, values, temperature=T)
        z = torch.tensor([[v, 0.0, -1.0] for v in values], dtype=torch.float64)
        np.testing.assert_allclose(probs, torch.softmax(z / T, dim=1).numpy(), rtol=1e-12)
        np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    equal = softmax_sweep([0.0, 0.0, 0.0], 1, [0.0])
    np.testing.assert_allclose(equal, [[1 / 3] * 3])
    hot = softmax_sweep([2.0, 0.0], 0, [2.0], temperature=10.0)
    cold = softmax_sweep([2.0, 0.0], 0, [2.0], temperature=0.1)
    assert hot[0, 0] < 0.6 < 0.99 < cold[0, 0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(logits=[1.0], index=0), "at least 2 logits"),
        (dict(logits=[1.0, 2.0], index=2), "index must pick"),
        (dict(logits=[1.0, 2.0], index=0, temperature=0.0), "temperature must be > 0"),
    ],
)
def test_softmax_sweep_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        softmax_sweep(values=[0.0], **kwargs)


# ---- the library: building networks and collapsing linear ones ----------------------------------


@pytest.mark.parametrize("init", INIT_NAMES)
def test_init_std_matches_the_weights_numpy_nn_and_torch_draw(init, rng):
    n_in, n_out = 400, 300
    expected = init_std(init, n_in, n_out, std=0.05)
    model = build_network([n_in, n_out], init=init, std=0.05, rng=rng)
    assert np.std(model[0].weight.data) == pytest.approx(expected, rel=0.02, abs=1e-12)
    w = torch.empty(n_out, n_in, dtype=torch.float64)
    torch_init = {
        "xavier_uniform": torch.nn.init.xavier_uniform_, "xavier_normal": torch.nn.init.xavier_normal_,
        "kaiming_uniform": lambda t: torch.nn.init.kaiming_uniform_(t, nonlinearity="relu"),
        "kaiming_normal": lambda t: torch.nn.init.kaiming_normal_(t, nonlinearity="relu"),
        "default": lambda t: torch.nn.init.uniform_(t, -1 / math.sqrt(n_in), 1 / math.sqrt(n_in)),
    }
    if init in torch_init:
        torch.manual_seed(0)
        assert w.copy_(torch_init[init](w)).std().item() == pytest.approx(expected, rel=0.02)


def test_init_std_hand_values():
    assert init_std("kaiming_normal", 128, 64) == pytest.approx(0.125)
    assert init_std("xavier_uniform", 100, 300) == pytest.approx(math.sqrt(2 / 400))
    assert init_std("zeros", 5, 5) == 0.0
    with pytest.raises(ValueError, match="Unknown init 'he'"):
        init_std("he", 5, 5)
    with pytest.raises(ValueError, match="fan_in must be a positive integer"):
        init_std("xavier_normal", 0, 5)


def test_build_network_layout(rng):
    hidden = build_network([2, 8, 8, 3], activation="tanh", rng=rng)
    assert [type(layer).__name__ for layer in hidden] == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    every = build_network([2, 8, 3], activation="relu", activate_last=True, rng=rng)
    assert [type(layer).__name__ for layer in every] == ["Linear", "ReLU", "Linear", "ReLU"]
    linear = build_network([2, 8, 8, 3], activation="linear", rng=rng)
    assert all(isinstance(layer, Linear) for layer in linear) and len(linear) == 3
    zeros = build_network([4, 5], init="zeros", rng=rng)
    assert not zeros[0].weight.data.any() and not zeros[0].bias.data.any()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(sizes=[3]), "at least two sizes"),
        (dict(sizes=[3, 0]), "every size must be"),
        (dict(sizes=[3, 2], activation="swish"), "Unknown activation"),
        (dict(sizes=[3, 2], init="he"), "Unknown init"),
        (dict(sizes=[3, 2], init="normal", std=-1.0), "std must be >= 0"),
    ],
)
def test_build_network_rejects_bad_arguments(kwargs, message, rng):
    with pytest.raises(ValueError, match=message):
        build_network(rng=rng, **kwargs)


def test_stacked_linear_layers_collapse_to_one_map(rng):
    model = build_network([3, 7, 5, 2], activation="linear", rng=rng)
    W, b = compose_linear(model)
    x = rng.standard_normal((10, 3))
    assert W.shape == (2, 3) and b.shape == (2,)
    np.testing.assert_allclose(model(x), x @ W.T + b, rtol=1e-12, atol=1e-12)
    no_bias = Sequential(Linear(3, 4, bias=False, rng=rng), Linear(4, 2, rng=rng))
    W, b = compose_linear(no_bias)
    np.testing.assert_allclose(no_bias(x), x @ W.T + b, atol=1e-12)


def test_compose_linear_refuses_a_nonlinearity(rng):
    with pytest.raises(ValueError, match=r"also holds \['ReLU'\]"):
        compose_linear(build_network([3, 4, 2], activation="relu", rng=rng))


# ---- the library: dead units ---------------------------------------------------------------------


def test_dead_unit_mask_hand_case():
    h = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(dead_unit_mask(h), [True, False, True])
    with pytest.raises(ValueError, match=r"\(N, units\)"):
        dead_unit_mask(np.zeros(3))


def test_dead_unit_fractions_counts_units_killed_by_a_negative_bias(rng):
    model = build_network([2, 10, 10, 2], activation="relu", init="kaiming_normal", rng=rng)
    X = rng.standard_normal((50, 2))
    np.testing.assert_array_equal(dead_unit_fractions(model, X)[:1], [0.0])
    model[0].bias.data[:4] = -100.0  # four first-layer units can never switch on
    model.train()
    fractions = dead_unit_fractions(model, X)
    assert fractions.shape == (2,) and fractions[0] == pytest.approx(0.4)
    assert model.training  # the mode is restored
    leaky = build_network([2, 10, 2], activation="leaky_relu", rng=rng)
    leaky[0].bias.data[:] = -100.0
    np.testing.assert_array_equal(dead_unit_fractions(leaky, X), [0.0])  # a leak is never exactly 0


# ---- the library: layer statistics ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("activation", "init"), [("tanh", "xavier_normal"), ("relu", "kaiming_uniform"), ("linear", "default")]
)
def test_layer_statistics_agrees_with_torch_autograd(activation, init):
    depth, width, n = 4, 16, 32
    stats = layer_statistics(depth, width, activation=activation, init=init, n_samples=n, rng=np.random.default_rng(3))
    # Replay the same draws in the same order: inputs, weights, output gradient.
    rng = np.random.default_rng(3)
    x = rng.standard_normal((n, width))
    model = build_network([width] * (depth + 1), activation=activation, init=init, activate_last=True, rng=rng)
    g = rng.standard_normal((n, width))
    f = {"tanh": torch.tanh, "relu": torch.relu, "linear": lambda t: t}[activation]
    h = torch.tensor(x)
    weights, hs = [], []
    for layer in (m for m in model if isinstance(m, Linear)):
        W = torch.tensor(layer.weight.data, requires_grad=True)
        weights.append(W)
        h = f(h @ W.T + torch.tensor(layer.bias.data))
        h.retain_grad()
        hs.append(h)
    (h * torch.tensor(g)).sum().div(n).backward()
    np.testing.assert_allclose(stats.grad_norm, [W.grad.norm().item() for W in weights], rtol=1e-10)
    np.testing.assert_allclose(stats.act_std, [t.detach().std(unbiased=False).item() for t in hs], rtol=1e-10)
    np.testing.assert_allclose(stats.dh_std, [t.grad.std(unbiased=False).item() for t in hs], rtol=1e-10)
    assert stats.depth == depth and list(stats.layers) == [1, 2, 3, 4]


def test_sigmoid_with_small_weights_vanishes_and_he_preserves_relu():
    rng = np.random.default_rng(0)
    sigmoid = layer_statistics(10, 64, activation="sigmoid", init="normal", std=0.01, rng=rng)
    assert sigmoid.grad_norm[0] < 1e-10 * sigmoid.grad_norm[-1]
    assert np.all(np.diff(np.log(sigmoid.grad_norm)) > 0)  # shrinks at every layer towards the input
    he = layer_statistics(10, 128, activation="relu", init="kaiming_normal", rng=rng)
    assert 0.5 < he.act_std[-1] / he.act_std[0] < 2 and 0.3 < he.grad_norm[0] / he.grad_norm[-1] < 3
    xavier = layer_statistics(10, 128, activation="relu", init="xavier_normal", rng=rng)
    assert xavier.act_std[-1] / xavier.act_std[0] < 0.1  # without the factor 2, ReLU halves the variance
    tanh = layer_statistics(10, 128, activation="tanh", init="xavier_normal", rng=rng)
    assert 0.3 < tanh.grad_norm[0] / tanh.grad_norm[-1] < 3
    assert gradient_warning(he) is None and gradient_warning(tanh) is None and signal_warning(he) is None
    assert "vanishing gradients" in gradient_warning(sigmoid)


def test_zero_weights_leave_only_the_last_layer_a_gradient():
    stats = layer_statistics(5, 8, activation="sigmoid", init="zeros", rng=np.random.default_rng(0))
    np.testing.assert_array_equal(stats.grad_norm[:-1], 0.0)
    assert stats.grad_norm[-1] > 0
    assert gradient_warning(stats).startswith("gradients are exactly 0 in 4 of 5 layers")
    assert signal_warning(stats).startswith("no signal: every unit gives the same output")


def test_an_overflow_is_recorded_not_raised():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stats = layer_statistics(30, 64, activation="relu", init="normal", std=1e12, rng=np.random.default_rng(0))
    assert not np.isfinite(stats.pre_std).all()
    assert signal_warning(stats) == "overflow: the activations reached inf or NaN\nat layer 12 of 30"
    assert gradient_warning(stats) is not None


def test_relu_with_unit_weights_blows_up():
    stats = layer_statistics(30, 64, activation="relu", init="normal", std=1.0, rng=np.random.default_rng(0))
    assert stats.act_std[-1] > 1e15 * stats.act_std[0]
    assert "blew up" in signal_warning(stats)
    small = layer_statistics(10, 64, activation="tanh", init="normal", std=0.01, rng=np.random.default_rng(0))
    assert "died out" in signal_warning(small) and gradient_warning(small) is None


def _stats(grad_norm, act_std=None):
    grad_norm = np.asarray(grad_norm, dtype=float)
    ones = np.ones_like(grad_norm)
    return LayerStatistics("relu", "normal", 4, 1.0, ones, ones, ones if act_std is None else np.asarray(act_std),
                           0 * ones, ones, grad_norm)


def test_gradient_warning_on_hand_made_records():
    exploding = "exploding gradients: layer 1's gradient is\n1e+05 times larger than layer 3's"
    assert gradient_warning(_stats([1e5, 1e2, 1.0])) == exploding
    assert gradient_warning(_stats([1.0, 1e-3, 3.0])) is None  # a dip in the middle: layer 1 still learns
    assert gradient_warning(_stats([1.0, 5e3])) is None and signal_warning(_stats([1.0, 5e3])) is None
    assert gradient_warning(_stats([1.0, np.nan])) == "overflow: the gradients reached inf or NaN\nin 1 of 2 layers"
    assert "died out" in signal_warning(_stats([1.0, 1.0], act_std=[1.0, 1e-5]))
    assert "blew up" in signal_warning(_stats([1.0, 1.0], act_std=[1.0, 1e5]))


def test_layer_statistics_takes_an_input_batch_such_as_mnist_pixels(rng):
    pixels = rng.uniform(0, 1, size=(20, 784))
    stats = layer_statistics(3, 32, activation="relu", init="kaiming_normal", x=pixels, rng=rng)
    assert stats.grad_norm.shape == (3,) and np.all(stats.grad_norm > 0)
    with pytest.raises(ValueError, match=r"\(N, n_in\)"):
        layer_statistics(3, 32, activation="relu", init="kaiming_normal", x=np.zeros(5), rng=rng)
    with pytest.raises(ValueError, match="depth must be a whole number"):
        layer_statistics(0, 32, activation="relu", init="kaiming_normal", rng=rng)


# ---- plot helpers --------------------------------------------------------------------------------


def test_plot_activation_draws_the_function_its_derivative_and_saturation():
    fig, (ax1, ax2) = plt.subplots(1, 2)
    plot_activation("sigmoid", ax=ax1)
    f, df = ax1.get_lines()[:2]
    y, dy = activation_and_derivative("sigmoid", f.get_xdata())
    np.testing.assert_allclose(f.get_ydata(), y)
    np.testing.assert_allclose(df.get_ydata(), dy)
    labels = [t.get_text() for t in ax1.get_legend().get_texts()]
    assert labels == ["f(x)", "f′(x)", "|f′| < 0.01: saturated"] and ax1.get_title() == "Sigmoid σ(x)"
    plot_activation("leaky_relu", ax=ax2)  # slope 0.01 everywhere on the left: not saturated
    assert not ax2.collections and ax2.get_xlabel() == "x"


def test_plot_softmax_helpers_draw_the_probabilities():
    values = np.linspace(-3, 3, 7)
    probs = softmax_sweep([0.0, 1.0, 2.0], 0, values)
    fig, (ax1, ax2) = plt.subplots(1, 2)
    plot_softmax_sweep(values, probs, ax=ax1)
    for k, line in enumerate(ax1.get_lines()):
        np.testing.assert_allclose(line.get_ydata(), probs[:, k])
    assert "$z_1$" in ax1.get_xlabel() and len(ax1.get_legend().get_texts()) == 3
    with pytest.raises(ValueError, match="probs must be shaped"):
        plot_softmax_sweep(values, probs[:3], ax=ax1)
    by_t = {T: softmax_sweep([2.0, 1.0, 0.0], 0, [2.0], temperature=T)[0] for T in (0.5, 5.0)}
    plot_softmax_temperatures([2.0, 1.0, 0.0], by_t, ax=ax2)
    heights = [p.get_height() for p in ax2.patches]
    np.testing.assert_allclose(heights, np.concatenate(list(by_t.values())))
    assert [t.get_text() for t in ax2.get_legend().get_texts()] == ["T = 0.5", "T = 5"]


def test_plot_dead_fractions_draws_percentages():
    ax = plot_dead_fractions({"a": [0.0, 0.5], "b": [0.25, 1.0]})
    np.testing.assert_allclose([p.get_height() for p in ax.patches], [0, 50, 25, 100])
    assert ax.get_ylabel() == "dead units (%)"
    with pytest.raises(ValueError, match="same number of layers"):
        plot_dead_fractions({"a": [0.0], "b": [0.1, 0.2]})


def test_plot_decision_regions_colours_the_predicted_class(rng):
    model = Sequential(Linear(2, 2, rng=rng))
    model[0].weight.data[:] = [[1.0, 0.0], [-1.0, 0.0]]  # class 0 right of x1 = 0, class 1 left
    model[0].bias.data[:] = 0.0
    X = np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    ax = plot_decision_regions(model, X, np.array([1, 0, 0]), title="halves", resolution=50)
    assert ax.get_title() == "halves" and len(ax.collections) >= 2
    model.train(False)
    plot_decision_regions(model, X, np.array([1, 0, 0]), resolution=10)
    assert not model.training
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plot_decision_regions(model, np.zeros((3, 3)), np.zeros(3, int))


def test_plot_layer_statistics_on_a_log_axis_with_zeros_marked():
    zeros = layer_statistics(4, 8, activation="sigmoid", init="zeros", rng=np.random.default_rng(0))
    he = layer_statistics(4, 8, activation="relu", init="kaiming_normal", rng=np.random.default_rng(0))
    fig, (ax1, ax2) = plt.subplots(1, 2)
    plot_layer_grad_norms([zeros, he], ax=ax1)
    assert ax1.get_yscale() == "log"
    labels = [t.get_text() for t in ax1.get_legend().get_texts()]
    assert labels == ["sigmoid, zeros", "sigmoid, zeros: exactly 0", "relu, kaiming_normal"]
    np.testing.assert_allclose(ax1.get_lines()[2].get_ydata(), he.grad_norm)
    assert list(ax1.get_lines()[1].get_xdata()) == [1, 2, 3]  # the three zero layers, marked
    plot_layer_activation_std(_stats([1.0, 1.0], act_std=[1.0, np.inf]), ax=ax2)
    assert "relu, normal σ=1: inf or NaN" in [t.get_text() for t in ax2.get_legend().get_texts()]
    assert ax2.get_title() == "Forward: activation std per layer"


# ---- the explorer --------------------------------------------------------------------------------


def _lines(ax):
    return [line for line in ax.get_lines() if line.get_label().startswith(ACTIVATION_NAMES)]


def _message(ax):
    return " ".join(t.get_text() for t in ax.texts)


def test_init_explorer_redraws_what_layer_statistics_computes():
    explorer = init_explorer()
    ax_act, ax_grad = explorer.figure.axes
    c = explorer.controls
    assert "vanishing gradients" in _message(ax_grad)  # the default: sigmoid with σ = 0.01
    c["activation"].value, c["init"].value = "relu", "He (Kaiming) normal"
    stats = layer_statistics(10, 64, activation="relu", init="kaiming_normal", n_samples=128,
                             rng=np.random.default_rng(0))
    np.testing.assert_allclose(_lines(ax_grad)[0].get_ydata(), stats.grad_norm)
    np.testing.assert_allclose(_lines(ax_act)[0].get_ydata(), stats.act_std)
    assert _message(ax_grad) == "" and "relu, kaiming_normal" in explorer.figure._suptitle.get_text()
    for value in (c["depth"].min, c["depth"].max):
        c["depth"].value = value
        assert len(_lines(ax_grad)[0].get_xdata()) == value
    for value in (c["width"].min, c["width"].max):
        c["width"].value = value
        assert f"of {value} units" in explorer.figure._suptitle.get_text()


def test_init_explorer_every_choice_and_extreme_draws_and_never_raises():
    explorer = init_explorer(depth=30, width=16)  # the deepest network; narrow, to keep the sweep quick
    c = explorer.controls
    ax_grad = explorer.figure.axes[1]
    for init in c["init"].options:  # every initialisation, and then every activation, at depth 30
        c["init"].value = init
        assert INIT_CHOICES[init][0] in explorer.figure._suptitle.get_text()
        assert ax_grad.get_title().startswith("Backward")
    for activation in c["activation"].options:
        c["activation"].value = activation
        assert _lines(ax_grad)[0].get_label().startswith(activation)
    ax_act = explorer.figure.axes[0]
    c["activation"].value, c["init"].value = "sigmoid", "zeros"
    assert "exactly 0 in 29 of 30 layers" in _message(ax_grad) and "no signal" in _message(ax_act)
    assert not ax_act.yaxis.get_major_ticks()[0].label1.get_visible()  # no numbers on an empty log axis
    assert ax_grad.yaxis.get_major_ticks()[0].label1.get_visible()  # the last layer's gradient is not 0
    c["activation"].value, c["init"].value = "sigmoid", "normal, σ = 0.01"
    assert "vanishing gradients" in _message(ax_grad)
    c["activation"].value, c["init"].value = "relu", "normal, σ = 1"
    assert "blew up" in _message(ax_act) and _message(ax_grad) == ""
    c["width"].value = c["width"].max
    start = time.perf_counter()
    c["activation"].value = "gelu"  # the slowest activation, at the largest depth and width
    assert time.perf_counter() - start < 3.0  # about 0.06 s on an idle laptop core; generous for loaded CI


def test_init_explorer_reset_and_bad_arguments():
    explorer = init_explorer(depth=5, activation="tanh", init="Xavier (Glorot) normal")
    c = explorer.controls
    c["depth"].value, c["activation"].value, c["init"].value, c["width"].value = 20, "elu", "zeros", 32
    c["reset"].click()
    values = (c["depth"].value, c["activation"].value, c["init"].value, c["width"].value)
    assert values == (5, "tanh", "Xavier (Glorot) normal", 64)
    assert "application/vnd.jupyter.widget-view+json" in explorer._repr_mimebundle_()
    assert set(INIT_CHOICES) == set(c["init"].options)
    with pytest.raises(ValueError, match="activation must be one of"):
        init_explorer(activation="swish")
    with pytest.raises(ValueError, match="init must be one of"):
        init_explorer(init="he")
    with pytest.raises(ValueError, match="depth must be in 1..30"):
        init_explorer(depth=31)


# ---- self-checks ---------------------------------------------------------------------------------



def tanh_derivative(x):
    return 1 - np.tanh(x) ** 2


def leaky_relu_derivative(x, negative_slope):
    return np.where(x > 0, 1.0, negative_slope)


def he_std(fan_in):
    return math.sqrt(2 / fan_in)


def layer_stats(x, weights, activation):
    means = []
    stds = []
    h = x
    for W in weights:
        h = activation(h @ W.T)
        means.append(h.mean())
        stds.append(h.std())
    return np.array(means), np.array(stds)


def _pre_activation_stats(x, weights, activation):
    means, stds, h = [], [], x
    for W in weights:
        z = h @ W.T
        means.append(z.mean())
        stds.append(z.std())
        h = activation(z)
    return np.array(means), np.array(stds)


def _no_activation_stats(x, weights, activation):
    return layer_stats(x, weights, lambda z: z)


def _per_unit_std(x, weights, activation):
    means, stds, h = [], [], x
    for W in weights:
        h = activation(h @ W.T)
        means.append(h.mean())
        stds.append(h.std(axis=0).mean())
    return np.array(means), np.array(stds)


def _with_input(x, weights, activation):
    means, stds = layer_stats(x, weights, activation)
    return np.concatenate([[x.mean()], means]), np.concatenate([[x.std()], stds])


def _one_late(x, weights, activation):
    means, stds, h = [], [], x
    for W in weights:
        means.append(h.mean())
        stds.append(h.std())
        h = activation(h @ W.T)
    return np.array(means), np.array(stds)


def count_dead_units(h):
    return int((h == 0).all(axis=0).sum())


RIGHT_AND_WRONG = [
    (check_layer_stats, layer_stats, _pre_activation_stats, "pre-activations"),
    (check_layer_stats, layer_stats, _no_activation_stats, "no activation function at all"),
    (check_layer_stats, layer_stats, _per_unit_std, "each unit's std"),
    (check_layer_stats, layer_stats, lambda x, w, f: tuple(s**p for s, p in zip(layer_stats(x, w, f), (1, 2))),
     "variances"),
    (check_layer_stats, layer_stats, lambda x, w, f: layer_stats(x, w, f)[::-1], "swapped"),
    (check_layer_stats, layer_stats, _with_input, "input's: h_0 = x"),
    (check_layer_stats, layer_stats, _one_late, "one layer late"),
    (check_layer_stats, layer_stats, lambda x, w, f: layer_stats(x, w[:-1], f), "One layer is missing"),
    (check_tanh_derivative, tanh_derivative, lambda x: 1 - x**2, "1 − x²"),
    (check_tanh_derivative, tanh_derivative, lambda x: 1 - np.tanh(x), "needs squaring"),
    (check_tanh_derivative, tanh_derivative, lambda x: np.tanh(x), "not its slope"),
    (check_leaky_relu_derivative, leaky_relu_derivative, lambda x, s: np.where(x > 0, 1, s * x), "not negative_slope · x"),
    (check_leaky_relu_derivative, lambda x, s: np.where(x >= 0, 1, s), lambda x, s: (x > 0) * 1.0, "ReLU's derivative"),
    (check_leaky_relu_derivative, leaky_relu_derivative, lambda x, s: np.where(x > 0, x, s * x), "function itself"),
    (check_steady_scale, he_std, lambda n: 2 / n, "variance 2 / n_in"),
    (check_steady_scale, he_std, lambda n: math.sqrt(1 / n), "LeCun's and Xavier's scale"),
    (check_steady_scale, he_std, lambda n: 2 / math.sqrt(n), "inside the square root"),
    (check_steady_scale, he_std, lambda n: 1.4 / math.sqrt(n), "c ≈ 1.400"),
    (check_steady_scale, he_std, lambda n: 0.125, "the same for"),
    (check_steady_scale, he_std, lambda n: math.sqrt(2), "the same for"),
    (check_count_dead_units, count_dead_units, lambda h: int((h == 0).sum()), "zero entries"),
    (check_count_dead_units, count_dead_units, lambda h: int((h == 0).any(axis=0).sum()), "at least one sample"),
    (check_count_dead_units, count_dead_units, lambda h: int((h == 0).all(axis=1).sum()), "rows (samples)"),
    (check_count_dead_units, count_dead_units, lambda h: (h == 0).all(axis=0).mean(), "whole number"),
]


@pytest.mark.parametrize(("check", "right", "wrong", "why"), RIGHT_AND_WRONG)
def test_right_passes_and_wrong_fails_with_a_hint(check, right, wrong, why, assert_teaches):
    assert_teaches(check, right, wrong, why)


def test_a_wrong_shape_is_explained():
    with pytest.raises(CheckFailed, match="one number per input"):
        check_tanh_derivative(lambda x: 0.5)
    with pytest.raises(CheckFailed, match="ReLU"):
        check_leaky_relu_derivative(lambda x, s: np.where(x > 0, 1.0, 0.0))
    assert ACTIVATIONS["relu"] is ReLU


def test_forward_stats_is_the_loop_written_out(rng):
    x = rng.standard_normal((30, 5))
    weights = [rng.standard_normal((7, 5)), rng.standard_normal((7, 7))]
    h1 = np.tanh(x @ weights[0].T)
    h2 = np.tanh(h1 @ weights[1].T)
    means, stds = forward_stats(x, weights, "tanh")
    np.testing.assert_allclose(means, [h1.mean(), h2.mean()])
    np.testing.assert_allclose(stds, [h1.std(), h2.std()])
    np.testing.assert_allclose(forward_stats(x, weights[:1], "linear")[1], [(x @ weights[0].T).std()])
    with pytest.raises(ValueError, match="Unknown activation"):
        forward_stats(x, weights, "swish")


def test_an_unknown_mistake_in_layer_stats_still_gets_the_idea(assert_teaches):
    assert_teaches(check_layer_stats, layer_stats, lambda x, w, f: tuple(a + 1 for a in layer_stats(x, w, f)),
                   "Layer l takes the previous layer's output")


def test_the_predictions_truths_are_what_the_lesson_says(capsys):
    assert choose_relu_lecun_trend.truth() == "shrinks"
    assert abs(predict_relu_lecun_factor.truth() - 1 / math.sqrt(2)) < 0.03
    assert predict_relu_lecun_factor(0.5) is False and predict_relu_lecun_factor(0.7) is True
    assert choose_relu_lecun_trend("stays") is False
    assert "0.70" not in capsys.readouterr().out
