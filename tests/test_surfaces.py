"""course_lib.lessons.l05_optimizers.surfaces: analytic gradients, the optimizer runner, the flawed Adam, warm-up + cosine."""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.numpy_nn.gradcheck import numerical_gradient, rel_error
from course_lib.numpy_nn.module import Parameter
from course_lib.numpy_nn.optimizers import SGD, Adagrad, Adam, AdamState, AdamW, RMSprop, adam_init, adam_update
from course_lib.lessons.l05_optimizers.flawed_adam import FLAWED_ADAM, FlawedAdam, flawed_adam_update
from course_lib.recipes import OPTIMIZERS
from course_lib.torch_nn import optimizers as torch_nn_optimizers
from course_lib.lessons.l05_optimizers.surfaces import SURFACES
from course_lib.lessons.l05_optimizers.race import (
    OptimizerRun, lesson_optimizer, race, run_optimizer, run_torch_optimizer,
)

NAMES = list(SURFACES)


def _point_in(surface, u, v):
    """Map (u, v) in [0, 1]² into the surface's window."""
    (x0, x1), (y0, y1) = surface.xlim, surface.ylim
    return np.array([x0 + u * (x1 - x0), y0 + v * (y1 - y0)])


# ---- the surfaces -----------------------------------------------------------------------------


def test_the_five_surfaces_are_there():
    assert NAMES == ["bowl", "rosenbrock", "beale", "himmelblau", "saddle"]
    for name, surface in SURFACES.items():
        assert surface.name == name and surface.title and surface.formula
        (x0, x1), (y0, y1) = surface.xlim, surface.ylim
        assert x0 <= surface.start[0] <= x1 and y0 <= surface.start[1] <= y1, "the default start is on the map"


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=15, deadline=None)
@given(u=st.floats(0.02, 0.98), v=st.floats(0.02, 0.98))
def test_analytic_gradient_matches_finite_differences(name, u, v):
    surface = SURFACES[name]
    p = _point_in(surface, u, v)
    numeric = numerical_gradient(lambda: surface.f(p[0], p[1]), p, eps=1e-6)
    analytic = surface.gradient(p)
    # relative error with an absolute floor: near a stationary point both gradients are ~0
    assert np.max(np.abs(analytic - numeric) / (np.abs(analytic) + np.abs(numeric) + 1e-4)) < 1e-6


@pytest.mark.parametrize("name", NAMES)
def test_analytic_gradient_matches_torch_autograd(name):
    surface = SURFACES[name]
    for p in np.random.default_rng(0).uniform(0, 1, (20, 2)):
        point = _point_in(surface, *p)
        x, y = (torch.tensor(c, dtype=torch.float64, requires_grad=True) for c in point)
        surface.f(x, y).backward()
        expected = np.array([x.grad.item(), y.grad.item()])
        assert rel_error(surface.gradient(point), expected) < 1e-12


@pytest.mark.parametrize("name", NAMES)
def test_the_known_minima_are_stationary_and_lowest(name):
    surface = SURFACES[name]
    expected_f_min = {"bowl": 0.0, "rosenbrock": 0.0, "beale": 0.0, "himmelblau": 0.0, "saddle": -0.5}[name]
    assert surface.f_min == pytest.approx(expected_f_min, abs=1e-20)
    for point in surface.minima:
        assert np.linalg.norm(surface.gradient(point)) < 1e-9
        assert surface.value(point) == pytest.approx(expected_f_min, abs=1e-20)
    X, Y = np.meshgrid(np.linspace(*surface.xlim, 201), np.linspace(*surface.ylim, 201))
    assert surface.f(X, Y).min() >= surface.f_min - 1e-12


def test_surface_functions_work_on_grids():
    surface = SURFACES["beale"]
    X, Y = np.meshgrid(np.linspace(0, 1, 4), np.linspace(0, 1, 3))
    assert surface.f(X, Y).shape == (3, 4)
    assert all(g.shape == (3, 4) for g in surface.grad(X, Y))
    assert surface.value([3.0, 0.5]) == 0.0


# ---- run_optimizer ---------------------------------------------------------------------------


def test_one_sgd_step_by_hand():
    run = run_optimizer("bowl", lambda ps: SGD(ps, lr=0.1), start=(2.0, 1.0), steps=1)
    # ∇f = (x, 20 y) = (2, 20): p1 = (2, 1) − 0.1·(2, 20) = (1.8, −1)
    np.testing.assert_allclose(run.path, [[2.0, 1.0], [1.8, -1.0]])
    np.testing.assert_allclose(run.losses, [0.5 * (4 + 20), 0.5 * (1.8**2 + 20)])
    np.testing.assert_allclose(run.step_lengths, [np.hypot(0.2, 2.0)])
    assert not run.diverged and run.message == "" and run.steps == 1


def test_path_shape_start_and_gap():
    run = run_optimizer(SURFACES["rosenbrock"], partial(lesson_optimizer, "Adam", lr=0.01), steps=25)
    assert run.path.shape == (26, 2) and run.losses.shape == (26,)
    np.testing.assert_array_equal(run.path[0], SURFACES["rosenbrock"].start)
    np.testing.assert_allclose(run.gap, run.losses)  # f_min = 0
    assert run.losses[-1] < run.losses[0]
    assert run_optimizer("bowl", partial(lesson_optimizer, "SGD", lr=0.1), steps=0).path.shape == (1, 2)


def test_a_prebuilt_optimizer_is_moved_to_the_start():
    param = Parameter(np.zeros(2))
    opt = SGD([param], lr=0.05, momentum=0.9)
    run = run_optimizer("saddle", opt, start=(1.0, 0.5), steps=10)
    np.testing.assert_array_equal(run.path[0], [1.0, 0.5])
    expected = run_optimizer("saddle", lambda ps: SGD(ps, lr=0.05, momentum=0.9), start=(1.0, 0.5), steps=10)
    np.testing.assert_array_equal(run.path, expected.path)
    np.testing.assert_array_equal(param.data, run.final)


def test_divergence_is_reported_not_raised():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow RuntimeWarnings either
        run = run_optimizer("rosenbrock", partial(lesson_optimizer, "SGD", lr=10.0), steps=300)
    assert run.diverged
    assert run.message.startswith("diverged after") and "steps" in run.message
    assert np.all(np.isfinite(run.path)) and len(run.path) < 301
    assert np.max(np.abs(run.path)) <= 1e6


def test_a_small_limit_stops_a_run_early():
    run = run_optimizer("bowl", partial(lesson_optimizer, "SGD", lr=0.01), start=(4.0, 0.0), steps=50, limit=3.0)
    assert run.diverged and len(run.path) == 1 and run.message == "diverged after 1 step: |p| reached 4.0e+00"


def test_run_optimizer_refuses_bad_input():
    with pytest.raises(ValueError, match="unknown surface"):
        run_optimizer("moon", partial(lesson_optimizer, "SGD", lr=0.1))
    with pytest.raises(ValueError, match="finite point"):
        run_optimizer("bowl", partial(lesson_optimizer, "SGD", lr=0.1), start=(np.nan, 0.0))
    with pytest.raises(ValueError, match="steps must be"):
        run_optimizer("bowl", partial(lesson_optimizer, "SGD", lr=0.1), steps=-1)
    with pytest.raises(ValueError, match="one Parameter of shape"):
        run_optimizer("bowl", SGD([Parameter(np.zeros(3))], lr=0.1))
    with pytest.raises(TypeError, match="numpy_nn optimizer"):
        run_optimizer("bowl", lambda ps: torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1))
    with pytest.raises(TypeError, match="optimizer must be"):
        run_optimizer("bowl", 0.1)


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("surface", ["rosenbrock", "saddle"])
def test_numpy_and_torch_optimizers_walk_the_same_path(name, surface):
    settings_ = dict(lr=1e-3 if surface == "rosenbrock" else 0.05, momentum=0.8, betas=(0.85, 0.99), alpha=0.95)
    ours = run_optimizer(surface, partial(lesson_optimizer, name, **settings_), steps=100)
    theirs = run_torch_optimizer(surface, partial(lesson_optimizer, name, library="torch.optim", **settings_), steps=100)
    assert not ours.diverged and ours.path.shape == theirs.path.shape == (101, 2)
    assert np.max(np.abs(ours.path - theirs.path)) < 1e-12


# ---- lesson_optimizer ----------------------------------------------------------------------------


def test_lesson_optimizer_builds_the_named_optimizer():
    params = [Parameter(np.zeros(2))]
    expected = {
        "SGD": SGD, "momentum": SGD, "nesterov": SGD, "Adagrad": Adagrad, "RMSprop": RMSprop,
        "Adam": Adam, "AdamW": AdamW, FLAWED_ADAM: FlawedAdam,
    }
    for name, cls in expected.items():
        opt = lesson_optimizer(name, params, lr=0.3, momentum=0.7, betas=(0.5, 0.6), alpha=0.8, weight_decay=0.2)
        assert type(opt) is cls and opt.lr == 0.3
    assert lesson_optimizer("SGD", params, lr=0.1).defaults["momentum"] == 0
    assert lesson_optimizer("momentum", params, lr=0.1, momentum=0.7).defaults["momentum"] == 0.7
    assert lesson_optimizer("nesterov", params, lr=0.1).defaults["nesterov"] is True
    assert lesson_optimizer("RMSprop", params, lr=0.1, alpha=0.8).defaults["alpha"] == 0.8
    assert lesson_optimizer("AdamW", params, lr=0.1, weight_decay=0.2).defaults["weight_decay"] == 0.2
    tensor = torch.zeros(2, requires_grad=True)
    assert type(lesson_optimizer("nesterov", [tensor], lr=0.1)) is torch_nn_optimizers.SGD  # the course's twin
    assert type(lesson_optimizer("nesterov", [tensor], lr=0.1, library="torch.optim")) is torch.optim.SGD
    assert lesson_optimizer("Adam", [tensor], lr=0.1, betas=(0.5, 0.6)).defaults["betas"] == (0.5, 0.6)


def test_lesson_optimizer_refuses_bad_names_and_settings():
    params = [Parameter(np.zeros(2))]
    with pytest.raises(ValueError, match="unknown optimizer"):
        lesson_optimizer("Adamax", params, lr=0.1)
    with pytest.raises(ValueError, match="only in NumPy"):
        lesson_optimizer(FLAWED_ADAM, [torch.zeros(2, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum"):
        lesson_optimizer("nesterov", params, lr=0.1, momentum=0.0)
    with pytest.raises(ValueError, match="learning rate"):
        lesson_optimizer("Adam", params, lr=-1.0)


# ---- the flawed Adam ---------------------------------------------------------------------------


def test_flawed_adam_first_step_is_too_large_by_one_over_sqrt_one_minus_beta2():
    p, g = np.array([1.0, -2.0]), np.array([0.5, -3.0])
    good, _ = adam_update(p, g, adam_init(p), lr=0.01, betas=(0.9, 0.999), eps=0.0)
    bad, _ = flawed_adam_update(p, g, adam_init(p), lr=0.01, betas=(0.9, 0.999), eps=0.0)
    np.testing.assert_allclose(good, p - 0.01 * np.sign(g))  # Adam's first step is lr·sign(g)
    np.testing.assert_allclose((bad - p) / (good - p), 1 / np.sqrt(1 - 0.999))
    assert 31.6 < 1 / np.sqrt(1 - 0.999) < 31.7


def test_flawed_adam_with_a_steady_gradient_is_off_by_the_bias_of_v():
    p, g = np.zeros(1), np.array([2.0])
    good_state = bad_state = adam_init(p)
    for t in range(1, 60):
        good, good_state = adam_update(p, g, good_state, lr=0.1, betas=(0.9, 0.99), eps=0.0)
        bad, bad_state = flawed_adam_update(p, g, bad_state, lr=0.1, betas=(0.9, 0.99), eps=0.0)
        np.testing.assert_allclose(bad / good, 1 / np.sqrt(1 - 0.99**t), rtol=1e-12)
        np.testing.assert_array_equal(bad_state.v, good_state.v)  # the moments agree; only their use differs


def test_flawed_adam_class_follows_its_rule_and_validates():
    param = Parameter(np.array([1.0, 2.0]))
    opt = FlawedAdam([param], lr=0.1, betas=(0.8, 0.9))
    state = adam_init(param.data)
    p = param.data.copy()
    for g in ([1.0, -1.0], [0.5, 2.0], [-3.0, 0.1]):
        param.grad = np.array(g)
        opt.step()
        p, state = flawed_adam_update(p, np.array(g), state, lr=0.1, betas=(0.8, 0.9))
        np.testing.assert_array_equal(param.data, p)
    assert isinstance(opt.state[param], AdamState) and opt.state[param].t == 3
    with pytest.raises(ValueError, match="beta"):
        FlawedAdam([param], betas=(0.9, 1.0))
    param.grad = np.zeros(3)
    with pytest.raises(ValueError, match="gradient shape"):
        opt.step()


# ---- the race ----------------------------------------------------------------------------------


def test_race_keeps_each_optimizers_best_steady_run():
    lrs = [1e-3, 1e-2, 1e-1, 1.0]
    runs = race("bowl", ["SGD", "Adam"], steps=60, lrs=lrs, max_step=0.1)
    assert list(runs) == ["SGD", "Adam"]
    side = 5.0  # the bowl's window is 10 x 5
    for name, run in runs.items():
        assert not run.diverged and run.step_lengths.max() <= 0.1 * side
        lr = float(run.label.split("lr=")[1].rstrip(")"))
        assert lr in lrs and run.label.startswith(name)
        for other in lrs:  # no other steady lr does better on average
            rival = run_optimizer("bowl", partial(lesson_optimizer, name, lr=other), steps=60)
            if not rival.diverged and rival.step_lengths.max() <= 0.1 * side:
                score = lambda r: np.mean(np.log10(np.maximum(r.gap, 1e-12)))  # noqa: E731
                assert score(run) <= score(rival) + 1e-12
    assert runs["SGD"].label == "SGD (lr=0.01)"  # lr = 0.1 zig-zags across the valley in steps of ~1.5


def test_race_says_when_no_learning_rate_is_steady():
    runs = race("rosenbrock", ["SGD"], steps=20, lrs=[1.0, 10.0])
    assert runs["SGD"].label == "SGD (lr=1, no steady lr)" and runs["SGD"].diverged
    with pytest.raises(ValueError, match="at least one"):
        race("bowl", ["SGD"], lrs=[])


def test_optimizer_run_is_a_plain_record():
    run = run_optimizer("himmelblau", partial(lesson_optimizer, "RMSprop", lr=0.05), steps=200, label="RMSprop")
    assert isinstance(run, OptimizerRun) and run.label == "RMSprop"
    assert min(np.linalg.norm(run.final - np.array(m)) for m in run.surface.minima) < 1e-2
    assert np.all(run.gap >= 0)
