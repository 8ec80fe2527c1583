"""Lesson 10's HealthMonitor: the same numbers from both twins, the update/weight ratio by hand, dead
and saturated units, the first NaN or inf found where it was born, and hooks that come off."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.lessons.l10_when_training_goes_wrong.health import FirstNonFinite, HealthMonitor, leaf_layers
from course_lib.numpy_nn.layers import Linear, ReLU, Sigmoid
from course_lib.numpy_nn.losses import CrossEntropyLoss
from course_lib.numpy_nn.models import MLP as NumpyMLP
from course_lib.numpy_nn.module import Layer, Sequential
from course_lib.numpy_nn.optimizers import SGD
from course_lib.torch_nn.models import MLP, copy_weights_numpy_to_torch

SIZES = (6, 8, 8, 3)


def _data(seed=0, n=16):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, SIZES[0])), rng.integers(0, SIZES[-1], n)


def _numpy_steps(model, monitor, x, y, steps=3, lr=0.5, optimizer=None, dloss=None):
    loss_fn = CrossEntropyLoss()
    optimizer = optimizer or SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        model.backward(loss_fn.backward() if dloss is None else dloss)
        monitor.step(optimizer, loss)
    return optimizer


def test_both_twins_give_the_same_health_numbers():
    x, y = _data()
    np_model = NumpyMLP(SIZES, activation="relu", rng=np.random.default_rng(1))
    torch_model = copy_weights_numpy_to_torch(np_model, MLP(SIZES, activation="relu").double())
    np_monitor = HealthMonitor(np_model)
    _numpy_steps(np_model, np_monitor, x, y)
    t_monitor = HealthMonitor(torch_model)
    optimizer = torch.optim.SGD(torch_model.parameters(), lr=0.5)
    xt, yt = torch.tensor(x), torch.tensor(y)
    for _ in range(3):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(torch_model(xt), yt)
        loss.backward()
        t_monitor.step(optimizer, loss)
    assert np_monitor.names == t_monitor.names == ["0 Linear", "1 ReLU", "2 Linear", "3 ReLU", "4 Linear"]
    np.testing.assert_allclose(np_monitor.losses, t_monitor.losses, rtol=1e-12)
    for name in np_monitor.names:
        for metric, values in np_monitor.history[name].items():
            np.testing.assert_allclose(values, t_monitor.history[name][metric], rtol=1e-10, atol=1e-14,
                                       err_msg=f"{name} {metric}")
        np.testing.assert_allclose(np_monitor.grads[name], t_monitor.grads[name], rtol=1e-10)
    assert np.isfinite(np_monitor.history["4 Linear"]["update_ratio"]).all()
    assert np.isnan(np_monitor.history["1 ReLU"]["update_ratio"]).all()


def test_the_update_ratio_is_the_step_over_the_weight_and_grad_is_the_output_gradient():
    x, y = _data()
    model = NumpyMLP(SIZES, activation="tanh", rng=np.random.default_rng(2))
    monitor = HealthMonitor(model)
    loss_fn, optimizer = CrossEntropyLoss(), SGD(model.parameters(), lr=0.1)
    first = model.layers[0] if hasattr(model, "layers") else model[0]
    before = first.weight.data.copy()
    loss = loss_fn(model(x), y)
    dloss = loss_fn.backward()
    model.backward(dloss)
    grad = first.weight.grad.copy()
    monitor.step(optimizer, loss)
    expected = np.linalg.norm(0.1 * grad) / np.linalg.norm(before)
    assert monitor.history["0 Linear"]["update_ratio"] == [pytest.approx(expected, rel=1e-12)]
    assert monitor.history["4 Linear"]["grad"] == [pytest.approx(np.linalg.norm(dloss), rel=1e-12)]
    assert monitor.losses == [pytest.approx(float(loss))]


def test_dead_relus_and_saturated_sigmoids_are_counted():
    rng = np.random.default_rng(0)
    first, second = Linear(4, 10, rng=rng), Linear(10, 10, rng=rng)
    first.bias.data[:5] = -1e3  # five units below zero for every input: dead
    second.weight.data *= 1e3  # huge pre-activations: the sigmoid sits at 0 or 1
    model = Sequential(first, ReLU(), second, Sigmoid())
    monitor = HealthMonitor(model)
    x = rng.normal(size=(32, 4))
    model(x)
    monitor.step(None, 0.0)
    dead, saturated = monitor.series("dead"), monitor.series("saturated")
    assert dead["1 ReLU"][0] == pytest.approx(0.5)
    assert saturated["3 Sigmoid"][0] > 0.95
    assert np.isnan(dead["3 Sigmoid"][0]) and np.isnan(saturated["1 ReLU"][0])


class _BrokenBackward(Layer):
    """The identity forward, a backward that returns NaN once ``broken``: a bug born in the backward pass."""

    broken = False

    def forward(self, x):
        return x

    def backward(self, dy):
        return dy * np.nan if self.broken else dy


class _Blowup:
    """An optimizer whose step sends the first weight to inf."""

    def __init__(self, parameter):
        self.parameter = parameter

    def zero_grad(self):
        self.parameter.grad = np.zeros_like(self.parameter.data)

    def step(self):
        self.parameter.data[0, 0] = np.inf


def _model(middle=None):
    rng = np.random.default_rng(3)
    layers = [Linear(SIZES[0], 8, rng=rng), ReLU()] + ([middle] if middle else []) + [Linear(8, SIZES[-1], rng=rng)]
    return Sequential(*layers)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("case, expected", [
    ("input", FirstNonFinite(1, "0 Linear", "input")),
    ("forward", FirstNonFinite(1, "2 Linear", "forward")),
    ("backward", FirstNonFinite(1, "2 _BrokenBackward", "backward")),
    ("loss gradient", FirstNonFinite(1, "loss", "backward")),
    ("update", FirstNonFinite(1, "0 Linear", "update")),
    ("loss", FirstNonFinite(1, "loss", "forward")),
])
def test_the_first_nan_or_inf_is_found_where_it_was_born(case, expected):
    x, y = _data()
    model = _model(_BrokenBackward() if case == "backward" else None)
    monitor = HealthMonitor(model)
    _numpy_steps(model, monitor, x, y, steps=1)  # step 0 is healthy
    assert monitor.first_nonfinite is None
    if case == "input":
        x = x.copy()
        x[3, 2] = np.nan
    elif case == "forward":
        model[2].weight.data[0, 0] = np.inf
    elif case == "backward":
        model[2].broken = True
    loss_fn = CrossEntropyLoss()
    optimizer = _Blowup(model[0].weight) if case == "update" else SGD(model.parameters(), lr=0.1)
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    dloss = loss_fn.backward()
    if case == "loss gradient":
        dloss = dloss.copy()
        dloss[0, 0] = np.inf
    with np.errstate(all="ignore"):
        model.backward(dloss)
        monitor.step(optimizer, np.nan if case == "loss" else loss)
    assert monitor.first_nonfinite == expected
    assert str(expected) in monitor.table()
    with np.errstate(all="ignore"):
        _numpy_steps(model, monitor, x, y, steps=1)  # later trouble does not move the first finding
    assert monitor.first_nonfinite == expected


def test_remove_takes_every_hook_off():
    x, y = _data()
    model = NumpyMLP(SIZES, activation="relu", rng=np.random.default_rng(4))
    with HealthMonitor(model) as monitor:
        _numpy_steps(model, monitor, x, y, steps=1)
    for _, layer in leaf_layers(model):
        assert not layer._forward_hooks and "backward" not in vars(layer)
    _numpy_steps(model, HealthMonitor(model), x, y, steps=1)
    assert monitor.steps == 1


def test_a_wrong_metric_is_refused_and_an_empty_table_says_what_to_do():
    monitor = HealthMonitor(_model())
    with pytest.raises(ValueError, match="metric must be one of mean, std, dead"):
        monitor.series("loss")
    assert "call monitor.step(optimizer, loss)" in monitor.table()
