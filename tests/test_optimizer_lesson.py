"""Lesson 05's plot helpers, explorer and self-checks."""

from __future__ import annotations

from functools import partial

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_hex

from course_lib.ui.checks import CheckFailed
from course_lib.lessons.l05_optimizers.checks import (
    check_adam_step, check_momentum_step, check_rosenbrock_grad,
)
from course_lib.lessons.l05_optimizers.plots import (
    OPTIMIZER_COLORS, plot_loss_per_step, plot_lr_schedules, plot_paths, plot_step_lengths, plot_surface,
)
from course_lib.ui.plots import plot_step_losses
from course_lib.lessons.l05_optimizers.surfaces import SURFACES
from course_lib.lessons.l05_optimizers.race import lesson_optimizer, run_optimizer
from course_lib.lessons.l05_optimizers.explorers import optimizer_explorer


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


def stub(*args):
    raise NotImplementedError


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


@pytest.mark.parametrize("check", [check_momentum_step, check_adam_step, check_rosenbrock_grad])
def test_a_stub_fails_with_not_written_yet(check):
    with pytest.raises(CheckFailed, match="not written yet") as err:
        check(stub)
    assert "Hint:" in str(err.value)


def test_a_wrong_return_shape_is_explained():
    with pytest.raises(CheckFailed, match="return 2 values"):
        check_momentum_step(lambda p, g, b, lr, mu: p - lr * g)
    with pytest.raises(CheckFailed, match="return 3 values"):
        check_adam_step(lambda p, g, m, v, t, lr, beta1, beta2, eps: (p, m))
