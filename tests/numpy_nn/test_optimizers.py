"""Optimizers: the NumPy rules and classes, their torch twins, and torch.optim, step for step.

One table (CONFIGS) covers every option of the five optimizers. For each entry, the NumPy class,
the from-scratch torch class and torch.optim's own class follow the same 60-step trajectory on a
non-quadratic objective, in float64, on every available device. Hand-computed cases pin the maths
of each first step; the rest checks purity, state, skipping, zero_grad, checkpoints and bad input.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_lib.numpy_nn import optimizers as np_opt
from course_lib.numpy_nn.module import Parameter
from course_lib.numpy_nn.optimizers import (
    AdagradState,
    AdamState,
    RMSpropState,
    SGDState,
    adagrad_init,
    adagrad_update,
    adam_init,
    adam_update,
    adamw_update,
    rmsprop_init,
    rmsprop_update,
    sgd_init,
    sgd_update,
)
from course_lib.torch_nn import optimizers as torch_opt

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
DEVICE_PARAMS = [pytest.param(d, marks=pytest.mark.cuda) if d == "cuda" else d for d in DEVICES]
NAMES = ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]
STEPS = 60


@dataclass(frozen=True)
class Config:
    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.name}({', '.join(f'{k}={v}' for k, v in self.kwargs.items())})"

    def numpy(self, params: Any) -> np_opt.Optimizer:
        return getattr(np_opt, self.name)(params, **self.kwargs)

    def ours(self, params: Any) -> torch.optim.Optimizer:
        return getattr(torch_opt, self.name)(params, **self.kwargs)

    def torch(self, params: Any) -> torch.optim.Optimizer:
        return getattr(torch.optim, self.name)(params, **self.kwargs)


CONFIGS = [
    Config("SGD", dict(lr=0.01)),
    Config("SGD", dict(lr=0.01, momentum=0.9)),
    Config("SGD", dict(lr=0.01, momentum=0.9, dampening=0.5)),
    Config("SGD", dict(lr=0.01, momentum=0.9, nesterov=True)),
    Config("SGD", dict(lr=0.01, momentum=0.8, weight_decay=0.1)),
    Config("SGD", dict(lr=0.01, weight_decay=0.05, momentum=0.9, nesterov=True)),
    Config("Adagrad", dict(lr=0.1)),
    Config("Adagrad", dict(lr=0.1, lr_decay=0.05)),
    Config("Adagrad", dict(lr=0.1, weight_decay=0.1)),
    Config("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-6)),
    Config("RMSprop", dict(lr=0.003)),
    Config("RMSprop", dict(lr=0.003, momentum=0.9)),
    Config("RMSprop", dict(lr=0.003, centered=True)),
    Config("RMSprop", dict(lr=0.003, weight_decay=0.1, alpha=0.9, eps=1e-6)),
    Config("RMSprop", dict(lr=0.002, momentum=0.8, centered=True)),
    Config("Adam", dict(lr=0.02)),
    Config("Adam", dict(lr=0.02, weight_decay=0.1)),
    Config("Adam", dict(lr=0.02, amsgrad=True, betas=(0.8, 0.99), eps=1e-6)),
    Config("AdamW", dict(lr=0.02)),
    Config("AdamW", dict(lr=0.02, weight_decay=0.1, amsgrad=True, betas=(0.85, 0.995), eps=1e-7)),
]


# -- the objective: Rosenbrock over a (4,) vector plus log-cosh terms coupling a (2, 3) matrix and a (3,) vector


def log_cosh(x: torch.Tensor) -> torch.Tensor:
    return x + F.softplus(-2 * x) - np.log(2.0)  # log cosh x, without overflow for large |x|


def objective(a: torch.Tensor, W: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    rosenbrock = ((1 - a[:-1]) ** 2).sum() + 5 * ((a[1:] - a[:-1] ** 2) ** 2).sum()
    target = torch.tensor([1.0, -0.5], dtype=a.dtype, device=a.device)
    return rosenbrock + log_cosh(W @ c + a[:2] - target).sum() + 0.25 * log_cosh(2 * c).sum()


def start(rng: np.random.Generator) -> list[np.ndarray]:
    return [rng.uniform(-1.2, 1.2, size=(4,)), rng.normal(size=(2, 3)), rng.normal(size=(3,))]


def numpy_grads(arrays: list[np.ndarray]) -> list[np.ndarray]:
    tensors = [torch.tensor(x, requires_grad=True) for x in arrays]
    objective(*tensors).backward()
    return [t.grad.numpy().copy() for t in tensors]


def run_numpy(config: Config, init: list[np.ndarray], steps: int = STEPS) -> list[list[np.ndarray]]:
    params = [Parameter(x) for x in init]
    opt = config.numpy(params)
    path = []
    for _ in range(steps):
        opt.zero_grad()
        for p, g in zip(params, numpy_grads([p.data for p in params])):
            p.grad = g
        opt.step()
        path.append([p.data.copy() for p in params])
    return path


def run_torch(make: Any, init: list[np.ndarray], device: str, steps: int = STEPS) -> list[list[np.ndarray]]:
    params = [torch.tensor(x, dtype=torch.float64, device=device, requires_grad=True) for x in init]
    opt = make(params)
    path = []
    for _ in range(steps):
        opt.zero_grad()
        objective(*params).backward()
        opt.step()
        path.append([p.detach().cpu().numpy().copy() for p in params])
    return path


def assert_same_path(ours: list[list[np.ndarray]], reference: list[list[np.ndarray]]) -> None:
    for step, (xs, ys) in enumerate(zip(ours, reference, strict=True)):
        for x, y in zip(xs, ys, strict=True):
            np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-9, err_msg=f"after step {step + 1}")


# -- the three implementations follow one trajectory -------------------------------------------


@pytest.mark.parametrize("device", DEVICE_PARAMS)
@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_numpy_twin_and_torch_optim_follow_the_same_trajectory(config, device, rng):
    init = start(rng)
    reference = run_torch(config.torch, init, device)
    assert_same_path(run_numpy(config, init), reference)
    assert_same_path(run_torch(config.ours, init, device), reference)
    # The comparison means something only if the parameters went somewhere, and stayed finite.
    final = np.concatenate([x.ravel() for x in reference[-1]])
    assert np.all(np.isfinite(final))
    assert np.abs(final - np.concatenate([x.ravel() for x in init])).max() > 1e-2


def test_every_option_appears_in_the_table():
    import inspect

    for name in NAMES:
        options = set(inspect.signature(getattr(np_opt, name)).parameters) - {"params", "lr"}
        used = set().union(*(c.kwargs for c in CONFIGS if c.name == name))
        assert options <= used, f"{name}: {options - used} never tested"


@pytest.mark.parametrize("name", NAMES)
def test_signatures_and_defaults_are_torchs(name):
    import inspect

    def params(cls):
        return {k: v.default for k, v in inspect.signature(cls).parameters.items() if k != "params"}

    ours_np, ours_torch = params(getattr(np_opt, name)), params(getattr(torch_opt, name))
    theirs = params(getattr(torch.optim, name))
    assert ours_np == ours_torch
    assert list(ours_np) == list(theirs)[: len(ours_np)]
    assert all(ours_np[k] == theirs[k] for k in ours_np)


@pytest.mark.parametrize("device", DEVICE_PARAMS)
def test_torch_twin_handles_param_groups_and_closures_like_torch(device, rng):
    init = start(rng)
    paths = []
    for cls in (torch_opt.Adam, torch.optim.Adam):
        params = [torch.tensor(x, device=device, requires_grad=True) for x in init]
        opt = cls([{"params": params[:1], "lr": 0.05}, {"params": params[1:]}], lr=0.01, weight_decay=0.01)

        def closure(opt=opt, params=params):
            opt.zero_grad()
            loss = objective(*params)
            loss.backward()
            return loss

        losses = [opt.step(closure).item() for _ in range(20)]
        paths.append((losses, [p.detach().cpu().numpy() for p in params]))
    (losses, ours), (losses_ref, theirs) = paths
    np.testing.assert_allclose(losses, losses_ref, rtol=1e-9, atol=1e-9)
    for x, y in zip(ours, theirs):
        np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("device", DEVICE_PARAMS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", NAMES)
def test_torch_twin_state_stays_on_the_parameters_device_and_dtype(name, dtype, device):
    p = torch.ones(3, dtype=dtype, device=device, requires_grad=True)
    extra = {"SGD": dict(momentum=0.9), "RMSprop": dict(momentum=0.9, centered=True), "Adam": dict(amsgrad=True)}
    opt = getattr(torch_opt, name)([p], **extra.get(name, {}))
    (p**2).sum().backward()
    opt.step()
    assert p.device.type == device and p.dtype == dtype
    tensors = [v for v in opt.state[p].values() if isinstance(v, torch.Tensor)]
    assert tensors
    for v in tensors:
        assert v.device == p.device and v.dtype == p.dtype


@pytest.mark.parametrize("name", NAMES)
def test_numpy_classes_keep_float32_parameters_float32(name):
    p = Parameter(np.ones(3, dtype=np.float32))
    opt = getattr(np_opt, name)([p], lr=0.1)
    data = p.data
    for _ in range(3):
        p.grad = np.array([0.5, -1.0, 2.0])  # float64 on purpose
        opt.step()
    assert p.data.dtype == np.float32
    assert p.data is data  # updated in place, like torch
    for value in opt.state[p]:
        assert not isinstance(value, np.ndarray) or value.dtype == np.float32


# -- hand-computed first steps -----------------------------------------------------------------


def test_sgd_by_hand():
    p, g = np.array([1.0, -2.0]), np.array([0.5, 1.0])
    # Plain: p - lr*g = [1 - 0.05, -2 - 0.1].
    p1, _ = sgd_update(p, g, sgd_init(p), lr=0.1)
    np.testing.assert_allclose(p1, [0.95, -2.1])
    # Momentum 0.9: the first buffer is g itself, so the first step is plain; the second uses
    # b = 0.9*g + g = 1.9*g, so p2 = p1 - 0.1*1.9*g = [0.95 - 0.095, -2.1 - 0.19].
    p1, s1 = sgd_update(p, g, sgd_init(p), lr=0.1, momentum=0.9)
    np.testing.assert_allclose(p1, [0.95, -2.1])
    np.testing.assert_allclose(s1.momentum_buffer, g)
    p2, s2 = sgd_update(p1, g, s1, lr=0.1, momentum=0.9)
    np.testing.assert_allclose(p2, [0.855, -2.29])
    # Dampening 0.5 touches only later steps: b = 0.9*g + 0.5*g = 1.4*g.
    _, s1 = sgd_update(p, g, sgd_init(p), lr=0.1, momentum=0.9, dampening=0.5)
    _, s2 = sgd_update(p, g, s1, lr=0.1, momentum=0.9, dampening=0.5)
    np.testing.assert_allclose(s2.momentum_buffer, 1.4 * g)
    # Nesterov: d = g + 0.9*b = 1.9*g already on the first step: p - 0.19*g = [0.905, -2.19].
    p1, _ = sgd_update(p, g, sgd_init(p), lr=0.1, momentum=0.9, nesterov=True)
    np.testing.assert_allclose(p1, [0.905, -2.19])
    # Weight decay 0.5 adds 0.5*p to g: g' = [1.0, 0.0], so p1 = [0.9, -2.0].
    p1, _ = sgd_update(p, g, sgd_init(p), lr=0.1, weight_decay=0.5)
    np.testing.assert_allclose(p1, [0.9, -2.0])


def test_adagrad_by_hand():
    p, g = np.array([1.0, 1.0]), np.array([3.0, -0.5])
    # sum = g^2 = [9, 0.25]; step = lr*g/sqrt(sum) = lr*sign(g) when eps = 0: [0.9, 1.1].
    p1, s1 = adagrad_update(p, g, adagrad_init(p), lr=0.1, eps=0.0)
    np.testing.assert_allclose(p1, [0.9, 1.1])
    assert s1.t == 1
    np.testing.assert_allclose(s1.sum, [9.0, 0.25])
    # Second identical gradient: sum = 2*g^2, step = lr*g/(sqrt(2)|g|) = 0.1/sqrt(2) per coordinate.
    p2, _ = adagrad_update(p1, g, s1, lr=0.1, eps=0.0)
    np.testing.assert_allclose(p2, [0.9 - 0.1 / np.sqrt(2), 1.1 + 0.1 / np.sqrt(2)])
    # lr_decay 1.0 halves the second step's lr: lr / (1 + (2-1)*1.0).
    p2, _ = adagrad_update(p1, g, s1, lr=0.1, lr_decay=1.0, eps=0.0)
    np.testing.assert_allclose(p2, [0.9 - 0.05 / np.sqrt(2), 1.1 + 0.05 / np.sqrt(2)])
    # initial_accumulator_value 16: sum = 16 + 9 = 25, step = 0.1*3/5 = 0.06 on the first coordinate.
    p1, _ = adagrad_update(p, g, adagrad_init(p, initial_accumulator_value=16.0), lr=0.1, eps=0.0)
    assert p1[0] == pytest.approx(0.94)


def test_rmsprop_by_hand():
    p, g = np.array([1.0, 1.0]), np.array([2.0, -0.01])
    # v = (1 - 0.99)*g^2, sqrt(v) = 0.1*|g|: the first step is lr*sign(g)/0.1 = 10*lr = 0.1.
    p1, s1 = rmsprop_update(p, g, rmsprop_init(p), lr=0.01, alpha=0.99, eps=0.0)
    np.testing.assert_allclose(p1, [0.9, 1.1])
    np.testing.assert_allclose(s1.square_avg, 0.01 * g**2)
    # Centered: ḡ = 0.01*g, v - ḡ^2 = 0.01*g^2 - 0.0001*g^2 = 0.0099*g^2: the step is lr/sqrt(0.0099).
    p1, s1 = rmsprop_update(p, g, rmsprop_init(p, centered=True), lr=0.01, eps=0.0, centered=True)
    np.testing.assert_allclose(p1, [1 - 0.01 / np.sqrt(0.0099), 1 + 0.01 / np.sqrt(0.0099)])
    np.testing.assert_allclose(s1.grad_avg, 0.01 * g)
    # Momentum 0.5: b = g/s = 10*sign(g) first, then b = 0.5*b + g/s' with v' = 0.0199*g^2.
    s = rmsprop_init(p, momentum=0.5)
    p1, s = rmsprop_update(p, g, s, lr=0.01, eps=0.0, momentum=0.5)
    np.testing.assert_allclose(s.momentum_buffer, [10.0, -10.0])
    p2, s = rmsprop_update(p1, g, s, lr=0.01, eps=0.0, momentum=0.5)
    b2 = 5.0 + 1 / np.sqrt(0.0199)
    np.testing.assert_allclose(p2, [0.9 - 0.01 * b2, 1.1 + 0.01 * b2])


def test_adam_by_hand():
    p, g = np.array([1.0, -1.0, 0.0]), np.array([0.5, -3.0, 1e-4])
    # m̂ = g and v̂ = g^2 after one step, so with eps = 0 each coordinate moves by lr*sign(g).
    p1, s1 = adam_update(p, g, adam_init(p), lr=0.1, eps=0.0)
    np.testing.assert_allclose(p1, [0.9, -0.9, -0.1])
    assert s1.t == 1
    np.testing.assert_allclose(s1.m, 0.1 * g)
    np.testing.assert_allclose(s1.v, 0.001 * g**2)
    # L2 weight decay 1.0 enters g before the moments: g' = g + p = [1.5, -4.0, 1e-4]; still lr*sign(g').
    p1, _ = adam_update(p, g, adam_init(p), lr=0.1, eps=0.0, weight_decay=1.0)
    np.testing.assert_allclose(p1, [0.9, -0.9, -0.1])
    # AMSGrad: v_max = max(0, v) = v on the first step, so the same step.
    ams = dict(lr=0.1, eps=0.0, amsgrad=True, betas=(0.9, 0.5))
    p1, s1 = adam_update(p, g, adam_init(p, amsgrad=True), **ams)
    np.testing.assert_allclose(p1, [0.9, -0.9, -0.1])
    np.testing.assert_allclose(s1.v_max, s1.v)
    # Then g/10: v = 0.5*0.5*g^2 + 0.5*0.01*g^2 = 0.255*g^2 shrinks, v_max stays 0.5*g^2.
    # m = 0.9*0.1*g + 0.1*0.1*g = 0.1*g, m̂ = 0.1*g/(1 - 0.81); v̂_max = 0.5*g^2/(1 - 0.25) = (2/3)*g^2.
    p2, s2 = adam_update(p1, g / 10, s1, **ams)
    np.testing.assert_allclose(s2.v, 0.255 * g**2)
    np.testing.assert_allclose(s2.v_max, 0.5 * g**2)
    np.testing.assert_allclose(p2, p1 - 0.1 * (0.1 / 0.19) / np.sqrt(2 / 3) * np.sign(g))


def test_adamw_by_hand():
    p, g = np.array([1.0, -2.0]), np.array([0.3, 0.3])
    # Decay first, p*(1 - lr*λ) = p*(1 - 0.1*0.5) = [0.95, -1.9], then lr*sign(g) = 0.1: [0.85, -2.0].
    p1, s1 = adamw_update(p, g, adam_init(p), lr=0.1, eps=0.0, weight_decay=0.5)
    np.testing.assert_allclose(p1, [0.85, -2.0])
    np.testing.assert_allclose(s1.m, 0.1 * g)  # the decay never enters the moments
    # Unlike Adam's L2 term, which Adam's normalisation turns into a sign: Adam's step is just lr*sign.
    p1_adam, _ = adam_update(p, g, adam_init(p), lr=0.1, eps=0.0, weight_decay=0.5)
    np.testing.assert_allclose(p1_adam, [0.9, -1.9])


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=4), elements=st.floats(1e-3, 1e3)),
    st.lists(st.booleans(), min_size=64, max_size=64),
    st.floats(1e-4, 1.0),
)
def test_adam_first_step_is_lr_times_sign_of_g(magnitude, signs, lr):
    g = magnitude * np.where(np.resize(signs, magnitude.shape), 1.0, -1.0)
    p = np.zeros_like(g)
    p1, _ = adam_update(p, g, adam_init(p), lr=lr, eps=0.0)
    np.testing.assert_allclose(p1, -lr * np.sign(g), rtol=1e-12)


# -- pure rules are pure -----------------------------------------------------------------------

PURE = [
    (sgd_init, sgd_update, {}, dict(lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True)),
    (adagrad_init, adagrad_update, dict(initial_accumulator_value=0.1), dict(lr=0.1, lr_decay=0.1, weight_decay=0.1)),
    (rmsprop_init, rmsprop_update, dict(momentum=0.9, centered=True),
     dict(lr=0.1, momentum=0.9, centered=True, weight_decay=0.1)),
    (adam_init, adam_update, dict(amsgrad=True), dict(lr=0.1, amsgrad=True, weight_decay=0.1)),
    (adam_init, adamw_update, dict(amsgrad=True), dict(lr=0.1, amsgrad=True)),
]


@pytest.mark.parametrize(("init", "update", "init_kwargs", "kwargs"), PURE, ids=lambda x: getattr(x, "__name__", ""))
def test_pure_rules_do_not_change_their_inputs(init, update, init_kwargs, kwargs, rng):
    p, g = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    state = init(p, **init_kwargs)
    _, state = update(p, g, state, **kwargs)  # a state with every buffer filled
    saved = copy.deepcopy((p, g, state))
    p2, state2 = update(p, g, state, **kwargs)
    for before, after in zip(saved[:2] + tuple(saved[2]), (p, g) + tuple(state)):
        np.testing.assert_array_equal(before, after)
    assert not np.shares_memory(p2, p)
    for new, old in zip(state2, state):
        if isinstance(new, np.ndarray):
            assert not np.shares_memory(new, old)


def test_pure_rules_hold_arithmetic_only_and_the_classes_check_at_construction():
    """Validation happens once, when an optimizer is built; the rules themselves only compute."""
    import inspect

    for rule in (sgd_update, adagrad_update, rmsprop_update, adam_update, adamw_update):
        source = inspect.getsource(rule)
        assert "raise" not in source and "_args(" not in source, f"{rule.__name__} validates; the class should"
    with pytest.raises(ValueError, match="Invalid learning rate"):
        np_opt.Adam([Parameter(np.zeros(2))], lr=-1.0)


# -- the classes: state, skipping, zero_grad, checkpoints ------------------------------------

EXPECTED_STATE = [
    (Config("SGD", dict(momentum=0.0)), SGDState, {"momentum_buffer": False}),
    (Config("SGD", dict(momentum=0.9)), SGDState, {"momentum_buffer": True}),
    (Config("Adagrad"), AdagradState, {"t": 1, "sum": True}),
    (Config("RMSprop"), RMSpropState, {"square_avg": True, "momentum_buffer": False, "grad_avg": False}),
    (Config("RMSprop", dict(momentum=0.9, centered=True)), RMSpropState,
     {"square_avg": True, "momentum_buffer": True, "grad_avg": True}),
    (Config("Adam"), AdamState, {"t": 1, "m": True, "v": True, "v_max": False}),
    (Config("Adam", dict(amsgrad=True)), AdamState, {"t": 1, "m": True, "v": True, "v_max": True}),
    (Config("AdamW"), AdamState, {"t": 1, "m": True, "v": True, "v_max": False}),
    (Config("AdamW", dict(amsgrad=True)), AdamState, {"t": 1, "m": True, "v": True, "v_max": True}),
]


@pytest.mark.parametrize(
    ("config", "state_type", "fields"), EXPECTED_STATE, ids=lambda x: str(x) if isinstance(x, Config) else ""
)
def test_state_is_visible_after_one_step(config, state_type, fields):
    p = Parameter(np.ones((2, 3)))
    opt = config.numpy([p])
    assert opt.state == {}
    p.grad = np.full((2, 3), 0.5)
    opt.step()
    state = opt.state[p]
    assert isinstance(state, state_type)
    assert set(state._fields) == set(fields)
    for name, expected in fields.items():
        value = getattr(state, name)
        if expected is True:
            assert isinstance(value, np.ndarray) and value.shape == (2, 3)
        elif expected is False:
            assert value is None
        else:
            assert value == expected
    # The torch twin keeps the same names in its per-parameter dict.
    tp = torch.ones((2, 3), dtype=torch.float64, requires_grad=True)
    topt = config.ours([tp])
    tp.grad = torch.full((2, 3), 0.5, dtype=torch.float64)
    topt.step()
    assert set(k for k, v in topt.state[tp].items() if v is not None) == {k for k, v in fields.items() if v}


@pytest.mark.parametrize("name", NAMES)
def test_parameters_without_gradient_are_skipped(name):
    a, b = Parameter(np.ones(2)), Parameter(np.ones(3))
    opt = getattr(np_opt, name)([a, b], lr=0.1)
    a.grad = np.ones(2)
    opt.step()
    np.testing.assert_array_equal(b.data, np.ones(3))
    assert b not in opt.state and a in opt.state
    assert np.all(a.data < 1)

    ta, tb = torch.ones(2, requires_grad=True), torch.ones(3, requires_grad=True)
    topt = getattr(torch_opt, name)([ta, tb], lr=0.1)
    ta.grad = torch.ones(2)
    topt.step()
    assert torch.equal(tb.detach(), torch.ones(3)) and tb not in topt.state
    assert torch.all(ta < 1)


def test_zero_grad():
    a, b = Parameter(np.ones(2)), Parameter(np.ones(3))
    opt = np_opt.SGD([a, b], lr=0.1)
    a.grad = np.ones(2)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad, np.zeros(2))
    assert b.grad is None
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_lr_is_a_plain_attribute_that_step_uses():
    p = Parameter(np.zeros(1))
    opt = np_opt.SGD([p], lr=0.1)
    opt.lr = 0.5
    p.grad = np.ones(1)
    opt.step()
    np.testing.assert_allclose(p.data, [-0.5])
    assert opt.defaults["lr"] == 0.1  # the constructor's value stays on record
    assert opt.state_dict()["lr"] == 0.5


def test_accepts_any_iterable_of_parameters():
    params = [Parameter(np.ones(2)), Parameter(np.ones(3))]
    opt = np_opt.Adam(p for p in params)
    assert opt.params == params
    assert "Adam(2 parameters" in repr(opt)


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_state_dict_round_trip_resumes_the_same_trajectory(config, rng):
    init = start(rng)

    def train(params, opt, steps):
        for _ in range(steps):
            for p, g in zip(params, numpy_grads([p.data for p in params])):
                p.grad = g
            opt.step()

    params = [Parameter(x) for x in init]
    opt = config.numpy(params)
    train(params, opt, 5)
    opt.lr *= 0.5  # as a schedule would; the checkpoint must remember it
    saved_params, saved = [p.data.copy() for p in params], opt.state_dict()
    train(params, opt, 5)
    expected = [p.data.copy() for p in params]
    np.testing.assert_raises(AssertionError, np.testing.assert_array_equal, saved_params[0], expected[0])

    resumed = [Parameter(x) for x in saved_params]
    fresh = config.numpy(resumed)
    fresh.load_state_dict(saved)
    assert fresh.lr == opt.lr
    train(resumed, fresh, 5)
    for x, y in zip(resumed, expected):
        np.testing.assert_array_equal(x.data, y)


@pytest.mark.parametrize("config", CONFIGS[1::2], ids=str)
def test_torch_twin_state_dict_round_trip(config, rng):
    init = start(rng)

    def train(params, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            objective(*params).backward()
            opt.step()

    params = [torch.tensor(x, requires_grad=True) for x in init]
    opt = config.ours(params)
    train(params, opt, 5)
    saved_params = [p.detach().clone() for p in params]
    saved = copy.deepcopy(opt.state_dict())
    train(params, opt, 5)
    resumed = [p.clone().requires_grad_() for p in saved_params]
    fresh = config.ours(resumed)
    fresh.load_state_dict(saved)
    train(resumed, fresh, 5)
    for x, y in zip(resumed, params):
        assert torch.equal(x, y)


def test_state_dict_is_a_copy():
    p = Parameter(np.ones(2))
    opt = np_opt.Adam([p])
    p.grad = np.ones(2)
    opt.step()
    saved = opt.state_dict()
    assert set(saved) == {"lr", "hyperparameters", "state"}
    assert set(saved["state"]) == {0} and saved["state"][0]["t"] == 1
    m = saved["state"][0]["m"].copy()
    opt.step()
    np.testing.assert_array_equal(saved["state"][0]["m"], m)


def test_load_state_dict_refuses_what_does_not_fit():
    p = Parameter(np.ones(2))
    adam = np_opt.Adam([p])
    p.grad = np.ones(2)
    adam.step()
    with pytest.raises(ValueError, match="hyperparameters .* are not those of SGD"):
        np_opt.SGD([p]).load_state_dict(adam.state_dict())
    with pytest.raises(ValueError, match="has shape \\(2,\\), but the parameter has shape \\(3,\\)"):
        np_opt.Adam([Parameter(np.ones(3))]).load_state_dict(adam.state_dict())
    with pytest.raises(ValueError, match="parameters 0..0"):
        bigger = np_opt.Adam([Parameter(np.ones(2)), p])
        p.grad = np.ones(2)
        bigger.step()
        np_opt.Adam([Parameter(np.ones(2))]).load_state_dict(bigger.state_dict())
    with pytest.raises(ValueError, match="keys 'hyperparameters', 'lr' and 'state'"):
        adam.load_state_dict({"state": {}})


# -- bad input ---------------------------------------------------------------------------------

BAD_HYPERPARAMETERS = [
    *[(name, dict(lr=-0.1), ValueError, r"Invalid learning rate: -0\.1\. Expected lr >= 0") for name in NAMES],
    ("SGD", dict(lr="0.1"), TypeError, r"lr must be a real number, got '0\.1'"),
    ("Adam", dict(lr=float("nan")), ValueError, r"lr must be a finite number, got nan"),
    ("SGD", dict(lr=float("inf")), ValueError, r"lr must be a finite number, got inf"),
    ("SGD", dict(momentum=float("inf")), ValueError, r"momentum must be a finite number, got inf"),
    ("SGD", dict(momentum=-0.5), ValueError, r"Invalid momentum value: -0\.5\. Expected momentum >= 0"),
    ("SGD", dict(dampening=1.5), ValueError, r"Invalid dampening value: 1\.5"),
    ("SGD", dict(weight_decay=-1e-4), ValueError, r"Invalid weight_decay value: -0\.0001"),
    ("SGD", dict(nesterov=True), ValueError, r"Nesterov momentum requires a momentum and zero dampening.*momentum=0"),
    ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1), ValueError,
     r"Nesterov momentum requires a momentum and zero dampening.*dampening=0\.1"),
    ("Adagrad", dict(lr_decay=-1), ValueError, r"Invalid lr_decay value: -1"),
    ("Adagrad", dict(weight_decay=-1), ValueError, r"Invalid weight_decay value: -1"),
    ("Adagrad", dict(initial_accumulator_value=-1), ValueError, r"Invalid initial_accumulator_value value: -1"),
    ("Adagrad", dict(eps=-1e-10), ValueError, r"Invalid epsilon value: -1e-10"),
    ("RMSprop", dict(alpha=-0.1), ValueError, r"Invalid alpha value: -0\.1\. Expected 0 <= alpha < 1"),
    ("RMSprop", dict(alpha=1.0), ValueError, r"Invalid alpha value: 1\.0"),
    ("RMSprop", dict(eps=-1e-8), ValueError, r"Invalid epsilon value: -1e-08"),
    ("RMSprop", dict(momentum=-0.9), ValueError, r"Invalid momentum value: -0\.9"),
    ("RMSprop", dict(weight_decay=-0.1), ValueError, r"Invalid weight_decay value: -0\.1"),
    ("Adam", dict(betas=(1.0, 0.999)), ValueError, r"Invalid beta parameter at index 0: 1\.0"),
    ("Adam", dict(betas=(0.9, -0.1)), ValueError, r"Invalid beta parameter at index 1: -0\.1"),
    ("Adam", dict(betas=(0.9,)), TypeError, r"betas must be a pair \(beta1, beta2\)"),
    ("Adam", dict(eps=-1.0), ValueError, r"Invalid epsilon value: -1\.0"),
    ("Adam", dict(weight_decay=-0.1), ValueError, r"Invalid weight_decay value: -0\.1"),
    ("AdamW", dict(betas=(0.9, 1.5)), ValueError, r"Invalid beta parameter at index 1: 1\.5"),
    ("AdamW", dict(weight_decay=-0.01), ValueError, r"Invalid weight_decay value: -0\.01"),
    ("AdamW", dict(eps=-1.0), ValueError, r"Invalid epsilon value: -1\.0"),
]


@pytest.mark.parametrize(("name", "kwargs", "error", "match"), BAD_HYPERPARAMETERS, ids=str)
def test_bad_hyperparameters_are_refused_with_the_same_message_by_both_twins(name, kwargs, error, match):
    with pytest.raises(error, match=match):
        getattr(np_opt, name)([Parameter(np.ones(2))], **kwargs)
    with pytest.raises(error, match=match):
        getattr(torch_opt, name)([torch.ones(2, requires_grad=True)], **kwargs)


def test_torch_optim_refuses_the_same_values():
    # Our messages begin as torch's do; check torch agrees that these values are bad.
    for name, kwargs, _, _ in BAD_HYPERPARAMETERS:
        if kwargs in (dict(dampening=1.5), dict(alpha=1.0), dict(lr="0.1"), dict(lr=float("nan")),
                      dict(lr=float("inf")), dict(momentum=float("inf"))):
            continue  # stricter than torch: torch lets these through (and diverges or fails later)
        with pytest.raises((ValueError, TypeError, IndexError)):
            getattr(torch.optim, name)([torch.ones(2, requires_grad=True)], **kwargs)


@pytest.mark.parametrize("name", NAMES)
def test_bad_parameter_lists(name):
    numpy_cls, torch_cls = getattr(np_opt, name), getattr(torch_opt, name)
    for cls in (numpy_cls, torch_cls):
        with pytest.raises(ValueError, match="optimizer got an empty parameter list. Pass model.parameters()"):
            cls([])
        with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
            cls(iter(()))
    not_parameter = r"can only optimize Parameter objects, but params\[1\] is ndarray.*model.parameters"
    with pytest.raises(TypeError, match=not_parameter):
        numpy_cls([Parameter(np.ones(2)), np.ones(2)])
    with pytest.raises(TypeError, match=r"got a single Parameter.*\[param\]"):
        numpy_cls(Parameter(np.ones(2)))
    with pytest.raises(TypeError, match=r"params\[0\] is Tensor.*course_lib.torch_nn.optimizers"):
        numpy_cls([torch.ones(2)])
    with pytest.raises(ValueError, match="the same Parameter more than once"):
        p = Parameter(np.ones(2))
        numpy_cls([p, p])
    not_tensor = r"can only optimize torch tensors, but one of the params is "
    with pytest.raises(TypeError, match=not_tensor + r"Parameter.*course_lib.numpy_nn.optimizers"):
        torch_cls([Parameter(np.ones(2))])
    with pytest.raises(TypeError, match=not_tensor + r"ndarray.*model.parameters\(\)"):
        torch_cls([{"params": [np.ones(2)]}])
    with pytest.raises(TypeError, match=r"got a single tensor.*\[tensor\]"):
        torch_cls(torch.ones(2, requires_grad=True))


@pytest.mark.parametrize("name", NAMES)
def test_a_gradient_of_the_wrong_shape_is_a_clear_error(name):
    p = Parameter(np.ones(3))
    opt = getattr(np_opt, name)([Parameter(np.ones(2)), p])
    p.grad = np.ones(1)
    match = r"gradient shape \(1,\) does not match parameter shape \(3,\) \(params\[1\]\)"
    with pytest.raises(ValueError, match=match):
        opt.step()
    np.testing.assert_array_equal(p.data, np.ones(3))
