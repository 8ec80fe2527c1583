"""Lesson 05, optimizers: the test surfaces and their gradients, the flawed Adam, walking and racing
optimizers (NumPy against torch.optim), the plots, the explorer and the self-checks."""

from __future__ import annotations

import warnings
from functools import partial

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_hex

from course_lib.lessons.l05_optimizers.checks import (
    check_adam_step, check_momentum_step, check_nesterov_step, check_rosenbrock_grad,
)
from course_lib.lessons.l05_optimizers.explorers import optimizer_explorer
from course_lib.lessons.l05_optimizers.flawed_adam import FLAWED_ADAM, FlawedAdam, flawed_adam_update
from course_lib.lessons.l05_optimizers.plots import (
    plot_loss_per_step, plot_lr_schedules, plot_paths, plot_step_lengths, plot_surface,
)
from course_lib.lessons.l05_optimizers.race import (
    SETTINGS_USED, OptimizerRun, lesson_optimizer, race, run_optimizer, run_torch_optimizer, stays_on_the_map,
)
from course_lib.lessons.l05_optimizers.surfaces import SURFACES
from course_lib.numpy_nn.gradcheck import numerical_gradient, rel_error
from course_lib.numpy_nn.module import Parameter
from course_lib.numpy_nn.optimizers import (
    SGD, Adagrad, Adam, AdamState, AdamW, RMSprop, SGDState, adam_init, adam_update, sgd_update,
)
from course_lib.recipes import OPTIMIZERS
from course_lib.torch_nn import optimizers as torch_nn_optimizers
from course_lib.ui.checks import CheckFailed
from course_lib.ui.plots import OPTIMIZER_COLORS, plot_step_losses


NAMES = list(SURFACES)


def _point_in(surface, u, v):
    """Map (u, v) in [0, 1]² into the surface's window."""
    (x0, x1), (y0, y1) = surface.xlim, surface.ylim
    return np.array([x0 + u * (x1 - x0), y0 + v * (y1 - y0)])


# ---- the surfaces -----------------------------------------------------------------------------


def test_the_six_surfaces_are_there():
    assert NAMES == ["bowl", "narrow_bowl", "rosenbrock", "beale", "himmelblau", "saddle"]
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
    expected_f_min = {"bowl": 0.0, "narrow_bowl": 0.0, "rosenbrock": 0.0, "beale": 0.0, "himmelblau": 0.0, "saddle": -0.5}[name]
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
    every = dict(momentum=0.8, betas=(0.85, 0.99), alpha=0.95)
    settings_ = {key: value for key, value in every.items() if key in SETTINGS_USED[name]}
    settings_["lr"] = 1e-3 if surface == "rosenbrock" else 0.05
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
        every = dict(momentum=0.7, betas=(0.5, 0.6), alpha=0.8)
        used = {key: value for key, value in every.items() if key in SETTINGS_USED[name]}
        opt = lesson_optimizer(name, params, lr=0.3, weight_decay=0.2, **used)
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
    runs = race("bowl", ["SGD", "Adam"], steps=60, lrs=lrs)
    assert list(runs) == ["SGD", "Adam"]
    for name, run in runs.items():
        assert not run.diverged and stays_on_the_map(run)
        lr = float(run.label.split("lr=")[1].rstrip(")"))
        assert lr in lrs and run.label.startswith(name)
        for other in lrs:  # no other steady lr does better on average
            rival = run_optimizer("bowl", partial(lesson_optimizer, name, lr=other), steps=60)
            if not rival.diverged and stays_on_the_map(rival):
                score = lambda r: np.mean(np.log10(np.maximum(r.gap, 1e-12)))  # noqa: E731
                assert score(run) <= score(rival) + 1e-12
    assert runs["SGD"].label == "SGD (lr=0.01)"  # lr = 0.1 = 2/κ never converges, 1.0 diverges


def test_race_judges_steadiness_by_divergence_and_the_map_not_by_step_length():
    # SGD at η = 0.046 on the bowl takes a first step 1.4 long, yet stays on the map and converges:
    # the race keeps it (a step cap of a tenth of the map threw it out).
    runs = race("bowl", ["SGD"], steps=300, lrs=[0.01, 0.046])
    assert runs["SGD"].label == "SGD (lr=0.046)" and runs["SGD"].step_lengths[0] > 1.0
    # a run thrown off the map is not steady, even if it comes back
    wild = run_optimizer("beale", partial(lesson_optimizer, FLAWED_ADAM, lr=0.05), steps=50)
    assert not stays_on_the_map(wild) and not wild.diverged
    assert stays_on_the_map(run_optimizer("beale", partial(lesson_optimizer, "Adam", lr=0.05), steps=50))


def test_the_narrow_bowl_race_shows_momentum_and_adaptive_methods_beating_sgd():
    runs = race("narrow_bowl", ["SGD", "momentum", "Adam"], steps=300)
    assert runs["SGD"].gap[-1] > 1e-3
    assert runs["momentum"].gap[-1] < 1e-9 and runs["Adam"].gap[-1] < 1e-9


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


@pytest.fixture(scope="module")
def runs():
    return {
        "SGD (lr=0.01)": run_optimizer("bowl", partial(lesson_optimizer, "SGD", lr=0.01), steps=30),
        "Adam (lr=0.1)": run_optimizer("bowl", partial(lesson_optimizer, "Adam", lr=0.1), steps=30),
        "momentum": run_optimizer("bowl", partial(lesson_optimizer, "momentum", lr=1.0), steps=30),  # diverges
    }


# ---- plot helpers ------------------------------------------------------------------------------


def test_plot_surface_draws_contours_and_the_minima():
    surface = SURFACES["himmelblau"]
    ax = plot_surface(surface)
    assert ax.get_title() == surface.title and ax.get_xlabel() == "x" and ax.get_ylabel() == "y"
    assert ax.get_xlim() == surface.xlim and ax.get_ylim() == surface.ylim
    assert len(ax.collections) >= 1, "the contour lines"
    stars = [line for line in ax.get_lines() if line.get_label() == "minimum"][0]
    np.testing.assert_allclose(np.column_stack([stars.get_xdata(), stars.get_ydata()]), surface.minima)


def test_plot_paths_draws_every_path_in_its_colour_on_fixed_limits(runs):
    ax = plot_paths(runs)
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_array_equal(lines["SGD (lr=0.01)"].get_xydata(), runs["SGD (lr=0.01)"].path)
    np.testing.assert_array_equal(lines["Adam (lr=0.1)"].get_xydata(), runs["Adam (lr=0.1)"].path)
    assert to_hex(lines["Adam (lr=0.1)"].get_color()) == to_hex(OPTIMIZER_COLORS["Adam"])
    assert "momentum (diverged)" in lines, "a diverged run says so in the legend"
    assert ax.get_xlim() == SURFACES["bowl"].xlim and ax.get_ylim() == SURFACES["bowl"].ylim
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"start", "minimum", "SGD (lr=0.01)"} <= set(legend)
    assert plot_paths(runs, title="custom", ax=plt.figure().gca()).get_title() == "custom"


def test_plot_paths_refuses_empty_and_mixed_input(runs):
    with pytest.raises(ValueError, match="nothing to draw"):
        plot_paths({})
    other = run_optimizer("saddle", partial(lesson_optimizer, "SGD", lr=0.1), steps=3)
    with pytest.raises(ValueError, match="different surfaces"):
        plot_paths([runs["SGD (lr=0.01)"], other])


def test_plot_loss_per_step_and_step_lengths_draw_the_runs(runs):
    fig, (a, b) = plt.subplots(1, 2)
    plot_loss_per_step(runs, ax=a)
    assert a.get_yscale() == "log" and a.get_xlabel() == "step t" and "f_min" in a.get_ylabel()
    np.testing.assert_allclose(a.get_lines()[1].get_ydata(), np.maximum(runs["Adam (lr=0.1)"].gap, 1e-16))
    assert len(a.get_legend().get_texts()) == 3
    plot_step_lengths(runs, ax=b)
    np.testing.assert_allclose(b.get_lines()[0].get_ydata(), runs["SGD (lr=0.01)"].step_lengths)
    np.testing.assert_array_equal(b.get_lines()[0].get_xdata(), np.arange(1, 31))
    assert b.get_title() == "Length of each step" and b.get_yscale() == "log"


def test_plot_lr_schedules_draws_each_curve():
    curves = {"constant": np.full(10, 0.1), "decay": 0.1 * 0.9 ** np.arange(10)}
    ax = plot_lr_schedules(curves)
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), curves["decay"])
    assert ax.get_ylabel() == "learning rate" and len(ax.get_legend().get_texts()) == 2
    with pytest.raises(ValueError, match="nothing to draw"):
        plot_lr_schedules({})


def test_plot_training_curves_draws_a_running_mean():
    losses = np.array([4.0, 2.0, 6.0, 1.0, 3.0])
    ax = plot_step_losses({"Adam": losses, "SGD": losses * 2}, smooth=2)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [4.0, 3.0, 4.0, 3.5, 2.0])
    assert "running mean of 2" in ax.get_title() and ax.get_yscale() == "log"
    raw = plot_step_losses({"Adam": losses}, ax=plt.figure().gca(), log=False)
    np.testing.assert_allclose(raw.get_lines()[0].get_ydata(), losses)
    with pytest.raises(ValueError, match="smooth"):
        plot_step_losses({"Adam": losses}, smooth=0)


# ---- the explorer ------------------------------------------------------------------------------


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def _path(explorer):
    ax = explorer.figure.axes[0]
    name = explorer.controls["optimizer"].value
    return [line for line in ax.get_lines() if line.get_label().startswith(name)][0].get_xydata()


def test_explorer_draws_the_library_path():
    explorer = optimizer_explorer("Adam", "rosenbrock", lr=0.05, steps=150)
    expected = run_optimizer("rosenbrock", partial(lesson_optimizer, "Adam", lr=0.05), steps=150)
    np.testing.assert_allclose(_path(explorer), expected.path)
    ax_path, ax_loss = explorer.figure.axes
    assert ax_path.get_title().startswith("Adam, η = 0.05: f = ") and ax_path.get_title().endswith("after 150 steps")
    np.testing.assert_allclose(ax_loss.get_lines()[0].get_ydata(), np.maximum(expected.gap, 1e-16))
    assert explorer.controls["momentum"].disabled and not explorer.controls["beta1"].disabled
    assert "application/vnd.jupyter.widget-view+json" in explorer._repr_mimebundle_()


def test_explorer_every_control_at_its_extremes_never_raises():
    explorer = optimizer_explorer()
    c = explorer.controls
    assert (10 ** c["lr"].min, 10 ** c["lr"].max) == (1e-4, 10.0)
    for name in ("lr", "momentum", "beta1", "beta2", "x0", "y0", "steps"):
        low, high = (10 ** c[name].min, 10 ** c[name].max) if name == "lr" else (c[name].min, c[name].max)
        for value in (low, high):
            c[name].value = value
            assert c[name].value == value
            assert explorer.figure.axes[0].get_title(), f"{name} = {value} drew nothing"
    for option in c["optimizer"].options:
        c["optimizer"].value = option[1]
        assert explorer.figure.axes[0].get_title()
    for option in c["surface"].options:
        c["surface"].value = option[1]
        assert explorer.figure.axes[0].get_xlim() == SURFACES[option[1]].xlim


def test_explorer_keeps_the_contour_lines_of_its_map_and_draws_the_same_picture(monkeypatch):
    """The map's contour lines are drawn once per surface; the picture is the one drawn with new lines each time."""
    import io

    from matplotlib.contour import ContourSet
    from PIL import Image

    import course_lib.lessons.l05_optimizers.explorers as module
    from course_lib.ui.explorer import render_png

    clear, paths, surface = module.clear_axes, module.plot_paths, module.plot_surface

    def drawn_anew(patch):  # nothing kept, every contour line drawn again (and by matplotlib: none is stamped)
        patch.setattr(module, "clear_axes", lambda *axes, keep=(): clear(*axes))
        patch.setattr(module, "plot_paths", lambda *a, contours=True, **k: paths(*a, **k))
        patch.setattr(module, "plot_surface", lambda *a, contours=True, **k: surface(*a, **k))

    def pixels(explorer):
        return np.asarray(Image.open(io.BytesIO(render_png(explorer.figure, relayout=False))))

    def contour_sets(explorer):
        return [a for a in explorer.figure.axes[0].collections if isinstance(a, ContourSet)]

    kept = optimizer_explorer("Adam", "rosenbrock", lr=0.05)
    with monkeypatch.context() as patch:
        drawn_anew(patch)
        fresh = optimizer_explorer("Adam", "rosenbrock", lr=0.05)
    first = contour_sets(kept)
    for name, value in [("lr", 0.2), ("lr", 12.0), ("steps", 40), ("surface", "bowl"), ("lr", 0.01), ("lr", 1e-4)]:
        kept.controls[name].value = value
        with monkeypatch.context() as patch:
            drawn_anew(patch)
            fresh.controls[name].value = value
        assert len(contour_sets(kept)) == 1, f"{name} = {value}: the map must hold one set of contour lines"
        assert (contour_sets(kept) == first) == (kept.controls["surface"].value == "rosenbrock"), name
        # The kept lines are stamped from a layer: within rounding of lines drawn anew (a line out of place: ~100)
        assert np.abs(pixels(kept).astype(int) - pixels(fresh)).max() <= 3, f"{name} = {value}: the map looks different"


def test_explorer_reports_divergence_on_the_plot():
    explorer = optimizer_explorer("SGD", "rosenbrock", lr=0.01)
    explorer.controls["lr"].value = 10 ** explorer.controls["lr"].max  # a log slider's max is an exponent: η = 10
    ax = explorer.figure.axes[0]
    assert ax.get_title() == "SGD, η = 10: diverged"
    assert any(t.startswith("diverged after") and "lower η" in t for t in _texts(ax))
    assert ax.get_xlim() == SURFACES["rosenbrock"].xlim, "the axis limits stay fixed"
    explorer.controls["lr"].value = 1e-3
    assert not _texts(ax), "the message goes away with a stable setting"


def test_explorer_reports_a_refused_setting_and_a_path_off_the_map():
    explorer = optimizer_explorer("nesterov", "bowl", lr=0.01)
    explorer.controls["momentum"].value = 0.0
    assert any("Nesterov momentum requires a momentum" in t for t in _texts(explorer.figure.axes[0]))
    explorer.controls["optimizer"].value = "FlawedAdam"
    explorer.controls["surface"].value = "beale"
    explorer.controls["lr"].value = 10.0
    texts = _texts(explorer.figure.axes[0])
    assert any("ends outside the window" in t or "diverged" in t for t in texts)


def test_explorer_moves_the_start_with_the_surface_and_resets():
    explorer = optimizer_explorer("momentum", "bowl", lr=0.02)
    c = explorer.controls
    assert c["beta1"].disabled and not c["momentum"].disabled
    c["surface"].value = "himmelblau"
    assert (c["x0"].value, c["y0"].value) == SURFACES["himmelblau"].start
    assert (c["x0"].min, c["x0"].max) == SURFACES["himmelblau"].xlim
    np.testing.assert_allclose(_path(explorer)[0], SURFACES["himmelblau"].start)
    c["x0"].value = 2.0
    np.testing.assert_allclose(_path(explorer)[0], [2.0, SURFACES["himmelblau"].start[1]])
    c["steps"].value = 30
    assert len(_path(explorer)) == 31
    c["reset"].click()
    assert (c["surface"].value, c["optimizer"].value, c["steps"].value) == ("bowl", "momentum", 150)
    np.testing.assert_allclose(_path(explorer)[0], SURFACES["bowl"].start)


def _second_path(explorer):
    ax = explorer.figure.axes[0]
    c = explorer.controls
    label = f"{c['second'].value}, η = {c['second_lr'].value:.2g}"
    return [line for line in ax.get_lines() if line.get_label().startswith(label)][0].get_xydata()


def test_explorer_draws_a_second_optimizer_on_the_same_map():
    explorer = optimizer_explorer("Adam", "rosenbrock", lr=0.05, steps=100, second="momentum", second_lr=0.002)
    c = explorer.controls
    ax = explorer.figure.axes[0]
    expected = run_optimizer("rosenbrock", partial(lesson_optimizer, "momentum", lr=0.002, momentum=0.9), steps=100)
    np.testing.assert_allclose(_second_path(explorer), expected.path)
    np.testing.assert_allclose(_path(explorer), run_optimizer(
        "rosenbrock", partial(lesson_optimizer, "Adam", lr=0.05), steps=100).path)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Adam, η = 0.05" in labels and "momentum, η = 0.002" in labels
    colours = {line.get_label(): line.get_color() for line in ax.get_lines()}
    assert colours["Adam, η = 0.05"] != colours["momentum, η = 0.002"], "two colours"
    assert not c["momentum"].disabled, "the second optimizer reads μ"
    before = _second_path(explorer)
    c["second"].value = "SGD"
    after = _second_path(explorer)
    assert after.shape == before.shape and not np.allclose(after, before), "a new second optimizer, a new path"
    np.testing.assert_allclose(after, run_optimizer("rosenbrock", partial(lesson_optimizer, "SGD", lr=0.002), steps=100).path)
    assert c["momentum"].disabled, "neither Adam nor SGD reads μ"
    c["second_lr"].value = 1e-3
    assert not np.allclose(_second_path(explorer), after), "its own η moves it"
    c["second"].value = "Adam"
    assert any(line.get_label() == "Adam, η = 0.001 (second)" for line in ax.get_lines()), "the same rule twice"
    c["second"].value = "none"
    assert c["second_lr"].disabled and len(ax.get_legend().get_texts()) == 3  # Adam, the start and the minimum
    with pytest.raises(ValueError, match="second must be"):
        optimizer_explorer(second="Adamax")


def test_lesson_optimizer_refuses_a_setting_the_optimizer_does_not_use():
    param = Parameter(np.zeros(2))
    with pytest.raises(ValueError, match=r'SGD does not use momentum=0.9; it takes lr\..*ask for "momentum"'):
        lesson_optimizer("SGD", [param], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"Adam does not use momentum=0.9; it takes lr, betas"):
        lesson_optimizer("Adam", [torch.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9, library="torch.optim")
    with pytest.raises(ValueError, match=r"RMSprop does not use betas"):
        lesson_optimizer("RMSprop", [param], lr=0.1, betas=(0.9, 0.99))
    with pytest.raises(ValueError, match="unknown optimizer"):
        lesson_optimizer("Adamax", [param], lr=0.1)
    # what each one uses is accepted, on both libraries
    for name, used in SETTINGS_USED.items():
        kwargs = {key: {"momentum": 0.5, "betas": (0.8, 0.99), "alpha": 0.9}[key] for key in used}
        assert lesson_optimizer(name, [Parameter(np.zeros(2))], lr=0.1, weight_decay=0.0, **kwargs) is not None
        if name != FLAWED_ADAM:
            assert lesson_optimizer(name, [torch.zeros(2, requires_grad=True)], lr=0.1, library="torch.optim", **kwargs)
    opt = lesson_optimizer("momentum", [torch.zeros(2, requires_grad=True)], lr=0.1, momentum=0.5, library="torch.optim")
    assert opt.param_groups[0]["momentum"] == 0.5


def test_the_prediction_accepts_any_case(capsys):
    from course_lib.lessons.l05_optimizers.checks import choose_lowest_on_the_bowl

    assert choose_lowest_on_the_bowl("Nesterov") is True and choose_lowest_on_the_bowl(" NESTEROV ") is True
    assert choose_lowest_on_the_bowl("Momentum") is False
    assert choose_lowest_on_the_bowl("Adam") is False
    out = capsys.readouterr().out
    assert "not one of the choices" in out and "✓ Right" in out


def test_explorer_refuses_unknown_names():
    with pytest.raises(ValueError, match="optimizer must be one of"):
        optimizer_explorer("Adamax")
    with pytest.raises(ValueError, match="surface must be one of"):
        optimizer_explorer(surface="moon")


# ---- the self-checks ---------------------------------------------------------------------------


def momentum_step(p, g, b, lr, mu):
    b = mu * b + g
    return p - lr * b, b


def adam_step(p, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def rosenbrock_grad(x, y):
    return -2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)


def _sutskever(p, g, b, lr, mu):
    v = mu * b - lr * g
    return p + v, v


def _lr_in_buffer(p, g, b, lr, mu):
    b = mu * b + lr * g
    return p - lr * b, b


def _moving_average(p, g, b, lr, mu):
    b = mu * b + (1 - mu) * g
    return p - lr * b, b


def _uphill(p, g, b, lr, mu):
    b = mu * b + g
    return p + lr * b, b


def _adam_variant(kind):
    def step(p, g, m, v, t, lr, beta1, beta2, eps):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        denominator = {
            "flawed": np.sqrt(v) + eps,
            "no sqrt": v_hat + eps,
            "eps inside": np.sqrt(v_hat + eps),
        }.get(kind)
        if kind == "uncorrected":
            return p - lr * m / (np.sqrt(v) + eps), m, v
        if kind == "ema weight":
            return p - lr * m_hat / (np.sqrt(v_hat) + eps), beta1 * m, v
        return p - lr * m_hat / denominator, m, v

    return step


def _rosen_variant(kind):
    def grad(x, y):
        inner = y - x**2
        if kind == "no inner":
            return -2 * (1 - x) + 200 * inner, 200 * inner
        if kind == "sign":
            return 2 * (1 - x) - 400 * x * inner, 200 * inner
        if kind == "swapped":
            return 200 * inner, -2 * (1 - x) - 400 * x * inner
        return -2 * (1 - x) - 400 * x * inner, 2 * inner  # kind == "no 100"

    return grad



WRONG = [
    (check_momentum_step, _sutskever, "Sutskever"),
    (check_momentum_step, _lr_in_buffer, "outside the buffer"),
    (check_momentum_step, _moving_average, "moving average"),
    (check_momentum_step, _uphill, "uphill"),
    (check_adam_step, _adam_variant("flawed"), "31.6"),
    (check_adam_step, _adam_variant("no sqrt"), "square root of v_hat"),
    (check_adam_step, _adam_variant("eps inside"), "outside the square root"),
    (check_adam_step, _adam_variant("uncorrected"), "biased towards 0"),
    (check_adam_step, _adam_variant("ema weight"), "moments come first"),
    (check_rosenbrock_grad, _rosen_variant("no inner"), "-2x"),
    (check_rosenbrock_grad, _rosen_variant("sign"), "inner derivative of (1 - x) is -1"),
    (check_rosenbrock_grad, _rosen_variant("swapped"), "df/dx first"),
    (check_rosenbrock_grad, _rosen_variant("no 100"), "factor 100"),
]


RIGHT = [(check_momentum_step, momentum_step), (check_adam_step, adam_step), (check_rosenbrock_grad, rosenbrock_grad)]


@pytest.mark.parametrize(("check", "right"), RIGHT)
def test_a_right_answer_passes(check, right, capsys):
    check(right)
    assert "passed all" in capsys.readouterr().out


@pytest.mark.parametrize(("check", "wrong", "teaches"), WRONG, ids=lambda x: getattr(x, "__name__", str(x))[:20])
def test_a_typical_mistake_fails_with_a_specific_hint(check, wrong, teaches):
    with pytest.raises(CheckFailed) as err:
        check(wrong)
    message = str(err.value)
    assert "Hint:" in message and "expected" in message and teaches in message


def test_a_wrong_return_shape_is_explained():
    with pytest.raises(CheckFailed, match="return 2 values"):
        check_momentum_step(lambda p, g, b, lr, mu: p - lr * g)
    with pytest.raises(CheckFailed, match="return 3 values"):
        check_adam_step(lambda p, g, m, v, t, lr, beta1, beta2, eps: (p, m))


# Exercise 2: Nesterov momentum. The worked solution, and the answer key held to torch step for step.
def nesterov_step(p, g, b, lr, momentum):
    new_b = momentum * b + g
    return p - lr * (g + momentum * new_b), new_b


@pytest.mark.parametrize(("lr", "mu"), [(0.05, 0.9), (0.1, 0.5), (0.01, 0.99)])
def test_the_nesterov_answer_key_is_torch_sgd_step_for_step(lr, mu):
    rng = np.random.default_rng(3)
    p0 = rng.standard_normal((3, 2))
    weight = torch.nn.Parameter(torch.tensor(p0))
    opt = torch.optim.SGD([weight], lr=lr, momentum=mu, nesterov=True)
    p, state, b = p0.copy(), SGDState(momentum_buffer=None), np.zeros_like(p0)
    for _ in range(8):
        g = rng.standard_normal(p0.shape)
        weight.grad = torch.tensor(g)
        opt.step()
        p_key, state = sgd_update(p, g, state, lr=lr, momentum=mu, nesterov=True)
        p_learner, b = nesterov_step(p, g, b, lr, mu)
        np.testing.assert_allclose(p_key, weight.detach().numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(state.momentum_buffer, opt.state[weight]["momentum_buffer"].numpy(), rtol=1e-12)
        np.testing.assert_allclose(p_learner, p_key, rtol=1e-12, atol=1e-14)
        p = p_key


NESTEROV_WRONG = [
    ("plain momentum", lambda p, g, b, lr, mu: (p - lr * (mu * b + g), mu * b + g), "plain (heavy-ball) momentum"),
    ("old buffer", lambda p, g, b, lr, mu: (p - lr * (g + mu * b), mu * b + g), "built on the old buffer"),
    ("no mu", lambda p, g, b, lr, mu: (p - lr * (g + (mu * b + g)), mu * b + g), "not the whole buffer"),
    ("lr in buffer", lambda p, g, b, lr, mu: (p - lr * (g + mu * (mu * b + g)), mu * b + lr * g), "outside the buffer"),
    ("uphill", lambda p, g, b, lr, mu: (p + lr * (g + mu * (mu * b + g)), mu * b + g), "uphill"),
    ("no gradient", lambda p, g, b, lr, mu: (p - lr * mu * (mu * b + g), mu * b + g), "lost this step's own gradient"),
    ("sutskever", lambda p, g, b, lr, mu: (p - lr * (g + mu * (mu * b + g)), -lr * (mu * b + g)), "Sutskever"),
    ("moving average", lambda p, g, b, lr, mu: (p - lr * (g + mu * (mu * b + g)), mu * b + (1 - mu) * g), "moving average"),
    ("no lr", lambda p, g, b, lr, mu: (p - (g + mu * (mu * b + g)), mu * b + g), "not scaled by the learning rate"),
]


@pytest.mark.parametrize(("wrong", "words"), [w[1:] for w in NESTEROV_WRONG], ids=[w[0] for w in NESTEROV_WRONG])
def test_check_nesterov_step_names_each_typical_mistake(assert_teaches, wrong, words):
    assert_teaches(check_nesterov_step, nesterov_step, wrong, words)


def test_noisy_descent_is_gradient_descent_plus_seeded_noise():
    from course_lib.lessons.l05_optimizers.race import noisy_descent

    plain = run_optimizer("bowl", partial(lesson_optimizer, "SGD", lr=0.02), steps=50)
    np.testing.assert_allclose(noisy_descent("bowl", lambda t: 0.02, sigma=0.0, seed=0, steps=50), plain.losses[1:])
    a, b = (noisy_descent("bowl", lambda t: 0.02, sigma=1.0, seed=s, steps=400) for s in (0, 0))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, noisy_descent("bowl", lambda t: 0.02, sigma=1.0, seed=1, steps=400))
    assert 0.003 < a[-200:].mean() < 0.03, "the floor at η = 0.02, σ = 1 is near ησ²/2 = 0.01"


def test_train_moons_repeats_for_a_seed():
    from course_lib.data import make_moons, train_val_split
    from course_lib.device import seed_everything
    from course_lib.lessons.l05_optimizers.race import train_moons

    X, targets = make_moons(120, noise=0.2, seed=0)
    train, val = train_val_split(X, targets, val_size=0.2, rng=seed_everything(0))
    first, again = (train_moons("Adam", 0.01, 3, train, val, epochs=2) for _ in range(2))
    assert first.val_loss[-1] == again.val_loss[-1]
    assert train_moons("Adam", 0.01, 5, train, val, epochs=2).val_loss[-1] != first.val_loss[-1]
