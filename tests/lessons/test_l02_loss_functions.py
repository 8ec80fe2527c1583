"""Lesson 02, Loss functions: curves, fits, log-sum-exp, the naive formulas, plots, explorer, checks."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_lib.lessons.l02_loss_functions import checks
from course_lib.ui.checks import CheckFailed
from course_lib.lessons.l02_loss_functions.loss_curves import (
    LossCurves, classification_curves, fit_constant, fit_line, logsumexp, naive_binary_cross_entropy,
    naive_log_softmax, naive_sigmoid, naive_softmax, regression_curves,
)
from course_lib.numpy_nn import functional as F
from course_lib.numpy_nn import losses
from course_lib.numpy_nn.gradcheck import numerical_gradient
from course_lib.lessons.l02_loss_functions.plots import (
    plot_constant_fits, plot_line_fits, plot_loss_curves, plot_probability_bars,
)
from course_lib.lessons.l02_loss_functions.explorers import loss_explorer

GRID = np.linspace(-3.0, 3.0, 61)
LOGITS = np.linspace(-12.0, 12.0, 49)


def autograd_elementwise(loss_fn, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-element loss values and their derivatives, from torch autograd in float64."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    values = loss_fn(xt)
    values.sum().backward()  # elements are independent: the sum's gradient is each one's derivative
    return values.detach().numpy(), xt.grad.numpy()


# ================================================================================================
# (a) the library code
# ================================================================================================


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("target", [0.0, 1.3])
def test_regression_curves_match_torch_autograd(delta, target):
    curves = regression_curves(GRID, target, delta=delta)
    y = torch.full((len(GRID),), target, dtype=torch.float64)
    expected = {
        "MSE": lambda p: TF.mse_loss(p, y, reduction="none"),
        "MAE": lambda p: TF.l1_loss(p, y, reduction="none"),
        "Huber": lambda p: TF.huber_loss(p, y, reduction="none", delta=delta),
    }
    assert list(curves.loss) == list(expected) == list(curves.grad)
    np.testing.assert_array_equal(curves.x, GRID)
    for name, torch_loss in expected.items():
        loss, grad = autograd_elementwise(torch_loss, GRID)
        np.testing.assert_allclose(curves.loss[name], loss, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(curves.grad[name], grad, rtol=1e-12, atol=1e-15)


def test_regression_curves_hand_computed_values():
    curves = regression_curves([-2.0, 0.5, 3.0], 0.0, delta=1.0)
    assert isinstance(curves, LossCurves)
    np.testing.assert_allclose(curves.loss["MSE"], [4.0, 0.25, 9.0])
    np.testing.assert_allclose(curves.loss["MAE"], [2.0, 0.5, 3.0])
    np.testing.assert_allclose(curves.loss["Huber"], [1.5, 0.125, 2.5])
    np.testing.assert_allclose(curves.grad["Huber"], [-1.0, 0.5, 1.0])
    assert regression_curves(2.0).x.shape == (1,)  # a single number is a grid of one


@pytest.mark.parametrize("label", [0.0, 1.0, 0.3])
def test_classification_curves_match_torch_autograd(label):
    curves = classification_curves(LOGITS, label)
    t = torch.full((len(LOGITS),), label, dtype=torch.float64)
    ce_loss, ce_grad = autograd_elementwise(lambda z: TF.binary_cross_entropy_with_logits(z, t, reduction="none"), LOGITS)
    sq_loss, sq_grad = autograd_elementwise(lambda z: (torch.sigmoid(z) - t) ** 2, LOGITS)
    np.testing.assert_allclose(curves.loss["cross-entropy"], ce_loss, rtol=1e-9)  # torch rounds log1p differently
    np.testing.assert_allclose(curves.grad["cross-entropy"], ce_grad, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(curves.loss["squared error on σ(z)"], sq_loss, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(curves.grad["squared error on σ(z)"], sq_grad, rtol=1e-10, atol=1e-15)


def test_squared_error_gradient_vanishes_where_cross_entropy_does_not():
    curves = classification_curves([-10.0], 1.0)  # confidently wrong
    assert curves.grad["cross-entropy"][0] == pytest.approx(-1.0, abs=1e-4)
    assert abs(curves.grad["squared error on σ(z)"][0]) < 1e-3


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: regression_curves(np.zeros((2, 2))), "1-D"),
        (lambda: regression_curves([]), "1-D"),
        (lambda: regression_curves([0.0, np.nan]), "finite"),
        (lambda: regression_curves([0.0], delta=0.0), "delta must be a positive"),
        (lambda: classification_curves([0.0], target=2.0), r"probability in \[0, 1\]"),
        (lambda: classification_curves([np.inf]), "finite"),
    ],
)
def test_curves_refuse_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


OUTLIER_DATA = np.array([2.1, 1.9, 2.3, 2.0, 1.7, 2.2, 2.6, 2.5, 1.6, 1.4, 12.0])


def test_fit_constant_gives_mean_median_and_between():
    mse, mae = fit_constant(OUTLIER_DATA, "mse"), fit_constant(OUTLIER_DATA, "mae")
    huber = fit_constant(OUTLIER_DATA, "huber", delta=1.0)
    assert mse == pytest.approx(OUTLIER_DATA.mean(), abs=1e-9)
    assert mae == pytest.approx(np.median(OUTLIER_DATA), abs=0.01)
    assert np.median(OUTLIER_DATA) < huber < OUTLIER_DATA.mean()
    # Huber's optimum balances the clipped residuals: Σ clip(c - y, -δ, δ) = 0
    assert np.sum(np.clip(huber - OUTLIER_DATA, -1.0, 1.0)) == pytest.approx(0.0, abs=1e-3)


def test_huber_fit_moves_from_median_to_mean_as_delta_grows():
    fits = [fit_constant(OUTLIER_DATA, "huber", delta=d, lr=lr) for d, lr in [(0.05, 5.0), (1.0, 0.5), (20.0, 0.5)]]
    assert fits[0] == pytest.approx(np.median(OUTLIER_DATA), abs=0.05)
    assert fits[0] < fits[1] < fits[2]
    assert fits[2] == pytest.approx(OUTLIER_DATA.mean(), abs=1e-6)  # δ beyond every residual: MSE


@settings(max_examples=15, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 9).map(lambda k: 2 * k - 1), elements=st.floats(-8, 8)))
def test_fit_constant_finds_mean_and_median_of_any_small_set(y):
    assert fit_constant(y, "mse") == pytest.approx(y.mean(), abs=1e-6)
    # odd n: one median. MAE's pull can be as weak as 1/n, so give it the steps to get there
    assert fit_constant(y, "mae", lr=2.0, steps=3000, start=y.mean()) == pytest.approx(np.median(y), abs=0.05)


def test_fit_line_mse_is_least_squares():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 2, size=25)
    y = 3 * x + 2 + rng.normal(0, 0.5, size=25)
    w, b = fit_line(x, y, "mse")
    np.testing.assert_allclose([w, b], np.polyfit(x, y, 1), atol=1e-3)
    w2, b2 = fit_line(x[:, None], y, "mse")  # (N, 1) inputs, as make_linear_regression returns
    assert (w2, b2) == (w, b)


def test_fit_line_mae_reaches_the_best_line_through_two_points():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 2, size=12)
    y = 3 * x + 2 + rng.normal(0, 0.5, size=12)
    y[0] -= 15.0
    w, b = fit_line(x, y, "mae")
    # an L1-optimal line passes through two of the points, so the best such line is optimal
    slopes_through_pairs = [((y[i] - y[j]) / (x[i] - x[j]), i) for i, j in itertools.combinations(range(12), 2)]
    best = min(np.mean(np.abs(s * (x - x[i]) + y[i] - y)) for s, i in slopes_through_pairs)
    assert np.mean(np.abs(w * x + b - y)) <= best + 2e-3
    assert abs(w - 3.0) < 0.2 and abs(fit_line(x, y, "mse")[0] - 3.0) > abs(w - 3.0) + 0.2  # MAE resists more


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: fit_constant([1.0, 2.0], "hinge"), "loss must be one of"),
        (lambda: fit_constant([], "mse"), "non-empty"),
        (lambda: fit_constant([1.0, np.nan]), "NaN or inf"),
        (lambda: fit_constant([1.0], "huber", delta=-1.0), "delta must be a positive"),
        (lambda: fit_constant([1.0], lr=0.0), "lr must be a positive"),
        (lambda: fit_constant([1.0], steps=0), "steps must be a whole number"),
        (lambda: fit_line([1.0, 2.0], [1.0, 2.0, 3.0]), "one x per target"),
    ],
)
def test_fits_refuse_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_fits_raise_instead_of_returning_a_wrong_answer():
    with pytest.raises(RuntimeError, match="did not reach the minimum in 1000 steps.*Raise steps or lr"):
        fit_constant(100 * OUTLIER_DATA, "mae")  # the median, 210, is out of reach of the steps
    with pytest.raises(RuntimeError, match="small Huber delta"):
        fit_constant(OUTLIER_DATA, "huber", delta=0.05)
    with pytest.raises(RuntimeError, match="diverged.*lower lr"):
        fit_line(10 * np.arange(5.0), np.arange(5.0), "mse")
    assert fit_constant(100 * OUTLIER_DATA, "mae", steps=20_000, lr=5.0) == pytest.approx(210.0, abs=1.0)


@pytest.mark.parametrize(
    "x",
    [
        np.array([1.0, 2.0, 3.0]),
        np.array([1000.0, 1000.0]),
        np.array([-1000.0, -1000.0]),
        np.array([[0.0, 0.0], [1000.0, 999.0], [-1000.0, -1001.0]]),
        np.array([[-np.inf, -np.inf], [0.0, -np.inf]]),
    ],
)
def test_logsumexp_matches_torch_including_extremes(x):
    np.testing.assert_allclose(logsumexp(x), torch.logsumexp(torch.tensor(x), dim=-1).numpy(), rtol=1e-13)


def test_logsumexp_other_axis_and_hand_value():
    x = np.random.default_rng(0).normal(size=(3, 4))
    np.testing.assert_allclose(logsumexp(x, axis=0), torch.logsumexp(torch.tensor(x), dim=0).numpy(), rtol=1e-13)
    assert float(logsumexp([1000.0, 1000.0])) == pytest.approx(1000.0 + np.log(2.0), rel=1e-15)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=5), elements=st.floats(-1e4, 1e4)))
def test_logsumexp_is_finite_and_consistent_with_log_softmax(x):
    lse = logsumexp(x)
    assert np.all(np.isfinite(lse))
    assert np.all(lse >= x.max(axis=-1) - 1e-9)  # the sum holds the largest term
    np.testing.assert_allclose(x - lse[..., None], F.log_softmax_forward(x)[0], rtol=1e-9, atol=1e-9)


def test_naive_formulas_agree_with_the_library_on_moderate_inputs():
    z = np.array([[2.0, 1.0, 0.1], [-3.0, 0.5, 4.0]])
    np.testing.assert_allclose(naive_softmax(z), F.softmax_forward(z)[0], rtol=1e-14)
    np.testing.assert_allclose(naive_log_softmax(z), F.log_softmax_forward(z)[0], rtol=1e-13)
    x, t = np.array([-3.0, 0.0, 2.5, 10.0]), np.array([1.0, 0.0, 1.0, 0.0])
    np.testing.assert_allclose(naive_sigmoid(x), F.sigmoid_forward(x)[0], rtol=1e-14)
    assert naive_binary_cross_entropy(x, t) == pytest.approx(losses.bce_with_logits_forward(x, t)[0], rel=1e-12)


def test_naive_formulas_break_where_the_docstrings_say():
    with pytest.warns(RuntimeWarning, match="overflow encountered in exp"), np.errstate(invalid="ignore"):
        naive_softmax(np.array([1000.0, 999.0]))
    with np.errstate(all="ignore"):
        assert np.all(np.isnan(naive_softmax(np.array([1000.0, 999.0]))))  # inf / inf
        assert np.all(np.isnan(naive_softmax(np.array([-1000.0, -1001.0]))))  # 0 / 0
        log_p = naive_log_softmax(np.array([[1000.0, 0.0]]))
        assert np.isnan(log_p[0, 0]) and log_p[0, 1] == -np.inf
        assert naive_sigmoid(-1000.0) == 0.0 and naive_sigmoid(37.0) == 1.0
        assert naive_binary_cross_entropy([-1000.0], [1.0]) == np.inf  # confidently wrong: inf, not 1000
        assert np.isnan(naive_binary_cross_entropy([40.0], [1.0]))  # confidently right: 0·log 0 = nan
        assert naive_binary_cross_entropy([40.0], [0.0]) == np.inf  # σ(40) rounds to 1: inf, not 40
    # the library stays exact on the same inputs
    assert losses.bce_with_logits_forward(np.array([-1000.0]), np.array([1.0]))[0] == 1000.0
    assert losses.bce_with_logits_forward(np.array([40.0]), np.array([0.0]))[0] == pytest.approx(40.0)
    np.testing.assert_allclose(F.log_softmax_forward(np.array([[1000.0, 0.0]]))[0], [[0.0, -1000.0]])


def test_softmax_twice_traps_the_loss_between_the_bounds_the_lesson_states():
    rng = np.random.default_rng(0)
    z = 20 * rng.normal(size=(200, 10))
    y = rng.integers(0, 10, size=200)
    p, _ = F.softmax_forward(z)
    per_example = -F.log_softmax_forward(p)[0][np.arange(200), y]
    assert np.all(per_example >= -np.log(np.e / (np.e + 9)) - 1e-12)
    assert np.all(per_example <= np.log(np.e + 9) + 1e-12)


# ================================================================================================
# (b) the plot helpers
# ================================================================================================


def marker_points(ax) -> list[tuple[float, float]]:
    return [(line.get_xdata()[0], line.get_ydata()[0]) for line in ax.get_lines() if line.get_marker() == "o"]


def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_plot_loss_curves_draws_each_curve_with_markers_and_values():
    curves, here = regression_curves(GRID), regression_curves(1.5)
    ax = plot_loss_curves(curves, plt.figure().gca(), marker=here, labels={"Huber": "Huber (δ = 1)"})
    solid = [line for line in ax.get_lines() if line.get_marker() != "o" and len(line.get_xdata()) == len(GRID)]
    for line, name in zip(solid, ["MSE", "MAE", "Huber"]):
        np.testing.assert_array_equal(line.get_ydata(), curves.loss[name])
    assert marker_points(ax) == [(1.5, 2.25), (1.5, 1.5), (1.5, 1.0)]
    assert legend_texts(ax) == ["MSE: 2.25", "MAE: 1.5", "Huber (δ = 1): 1"]
    assert ax.get_title() == "Loss of one prediction" and ax.get_ylabel() == "loss $L$"

    ax = plot_loss_curves(curves, plt.figure().gca(), kind="grad", title="gradients", ylabel="dL/dz")
    assert legend_texts(ax) == ["MSE", "MAE", "Huber"] and ax.get_title() == "gradients" and ax.get_ylabel() == "dL/dz"
    with pytest.raises(ValueError, match="kind must be"):
        plot_loss_curves(curves, plt.figure().gca(), kind="hessian")


def test_plot_constant_and_line_fits():
    ax = plot_constant_fits(OUTLIER_DATA, {"MSE": 2.9, "MAE": 2.1}, plt.figure().gca(), title="fits")
    assert [line.get_ydata()[0] for line in ax.get_lines()] == [2.9, 2.1]
    assert legend_texts(ax) == ["targets $y_i$", "MSE: c = 2.90", "MAE: c = 2.10"] and ax.get_title() == "fits"
    np.testing.assert_array_equal(ax.collections[0].get_offsets()[:, 1], OUTLIER_DATA)

    x = np.array([0.0, 1.0, 2.0])
    ax = plot_line_fits(x, np.array([2.0, 5.0, -9.0]), {"MSE": (1.0, 2.0)}, plt.figure().gca(), highlight=2)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [2.0, 4.0])
    assert legend_texts(ax) == ["samples", "outlier", "MSE: ŷ = 1.00x + 2.00"]
    assert ax.get_xlabel() == "$x$" and ax.get_ylabel() == "$y$"


def test_plot_probability_bars():
    p = np.array([0.7, 0.2, 0.1])
    ax = plot_probability_bars({"a": p, "b": p[::-1]}, plt.figure().gca(), target=0, title="bars")
    heights = [patch.get_height() for patch in ax.patches]
    np.testing.assert_allclose(heights, [0.7, 0.2, 0.1, 0.1, 0.2, 0.7])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0\n(target)", "1", "2"]
    assert legend_texts(ax) == ["a", "b"] and ax.get_title() == "bars"


# ================================================================================================
# (c) the explorer, headless
# ================================================================================================


def test_loss_explorer_regression_view_follows_every_control():
    explorer = loss_explorer()
    ax_loss, ax_grad = explorer.figure.axes
    prediction, delta = explorer.controls["prediction"], explorer.controls["delta"]
    assert prediction.value == 1.5 and ax_loss.get_title() == "Losses at ŷ = 1.50 (target y = 0)"
    for y_hat in (prediction.min, prediction.max, 0.0):
        for d in (delta.min, delta.max):
            delta.value, prediction.value = d, y_hat
            expected = regression_curves(y_hat, 0.0, delta=d)
            assert ax_loss.get_title() == f"Losses at ŷ = {y_hat:.2f} (target y = 0)"
            assert marker_points(ax_loss) == [(y_hat, expected.loss[n][0]) for n in ("MSE", "MAE", "Huber")]
            assert marker_points(ax_grad) == [(y_hat, expected.grad[n][0]) for n in ("MSE", "MAE", "Huber")]
            assert legend_texts(ax_grad)[2].startswith(f"Huber (δ = {d:.1f})")
            assert not ax_grad.texts  # nothing diverges in the regression view
    assert marker_points(ax_grad)[0] == (0.0, 0.0)  # at the target, every gradient is 0


def test_loss_explorer_classification_view_warns_at_the_confidently_wrong_extreme():
    explorer = loss_explorer()
    ax_loss, ax_grad = explorer.figure.axes
    controls = explorer.controls
    controls["view"].value = "classification"
    assert controls["prediction"].layout.display == "none" and controls["delta"].layout.display == "none"
    assert controls["logit"].layout.display is None
    assert ax_loss.get_xlabel() == "logit $z$" and legend_texts(ax_loss)[0].startswith("cross-entropy")

    controls["logit"].value = controls["logit"].min  # z = -10 with label 1: confidently wrong
    assert ax_grad.get_title() == "Gradients dL/dz at z = -10.0"
    assert marker_points(ax_grad)[0] == pytest.approx((-10.0, -1.0), abs=1e-4)
    (message,) = ax_grad.texts
    assert "confidently wrong" in message.get_text() and "-1.00" in message.get_text()

    controls["logit"].value = controls["logit"].max  # z = +10: confidently right, no message
    assert not ax_grad.texts and "p = σ(z) = 1" in ax_loss.get_title()
    controls["logit"].value = 0.0
    assert not ax_grad.texts and marker_points(ax_grad)[0] == (0.0, -0.5)


def test_loss_explorer_label_zero_mirrors_the_warning():
    explorer = loss_explorer(label=0.0)
    explorer.controls["view"].value = "classification"
    explorer.controls["logit"].value = 10.0
    (message,) = explorer.figure.axes[1].texts
    assert "label 0" in message.get_text() and "1.00" in message.get_text()


def test_loss_explorer_reset_and_display():
    explorer = loss_explorer(target=1.0)
    controls = explorer.controls
    assert (controls["prediction"].min, controls["prediction"].max) == (-2.0, 4.0)
    controls["view"].value = "classification"
    controls["logit"].value = 7.0
    controls["delta"].value = 2.5
    controls["reset"].click()
    assert controls["view"].value == "regression" and controls["logit"].value == -2.0 and controls["delta"].value == 1.0
    assert controls["prediction"].layout.display is None and controls["logit"].layout.display == "none"
    assert explorer.figure.axes[0].get_title() == "Losses at ŷ = 2.50 (target y = 1)"
    assert "application/vnd.jupyter.widget-view+json" in explorer._repr_mimebundle_()
    with pytest.raises(ValueError, match="label must be a probability"):
        loss_explorer(label=2.0)


# ================================================================================================
# (d) the self-checks
# ================================================================================================


def huber(pred, target, delta):
    d = pred - target
    return float(np.mean(np.where(np.abs(d) <= delta, 0.5 * d**2, delta * (np.abs(d) - 0.5 * delta))))


def log_sum_exp(x):
    m = x.max(axis=-1, keepdims=True)
    return m[..., 0] + np.log(np.sum(np.exp(x - m), axis=-1))


def bce_with_logits(logits, target):
    return float(np.mean(np.maximum(logits, 0) - target * logits + np.log1p(np.exp(-np.abs(logits)))))


def naive_bce(logits, target):
    p = 1 / (1 + np.exp(-logits))
    return float(np.mean(-(target * np.log(p) + (1 - target) * np.log(1 - p))))


def huber_without_half_delta(p, t, d):
    return float(np.mean(np.where(np.abs(p - t) <= d, 0.5 * (p - t) ** 2, d * np.abs(p - t))))


def lse_without_adding_max_back(x):
    return np.log(np.sum(np.exp(x - x.max(axis=-1, keepdims=True)), axis=-1))


def bce_without_abs(x, t):
    return float(np.mean(x - x * t + np.log1p(np.exp(-x))))  # right maths, but e^1000 at x = -1000


def _softmax(z):
    return F.softmax_forward(z)[0]


def _onehot(z, y):
    return np.eye(z.shape[1])[y]


def softmax_cross_entropy_grad(logits, y):
    p, _ = F.softmax_forward(logits)
    onehot = np.eye(logits.shape[1])[y]
    return (p - onehot) / len(y)


def naive_softmax_grad(z, y):
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True) - _onehot(z, y)) / len(y)


RIGHT_AND_WRONG = [
    (checks.check_softmax_cross_entropy_grad, softmax_cross_entropy_grad,
     lambda z, y: _softmax(z) - _onehot(z, y), "gradient of the SUM"),
    (checks.check_softmax_cross_entropy_grad, softmax_cross_entropy_grad,
     lambda z, y: (_softmax(z) - _onehot(z, y)) / z.size, "divided by N·C"),
    (checks.check_softmax_cross_entropy_grad, softmax_cross_entropy_grad,
     lambda z, y: (_onehot(z, y) - _softmax(z)) / len(y), "The sign is flipped"),
    (checks.check_softmax_cross_entropy_grad, softmax_cross_entropy_grad,
     lambda z, y: _onehot(z, y) - _softmax(z), "The sign is flipped"),  # then, on the next run, the sum
    (checks.check_softmax_cross_entropy_grad, softmax_cross_entropy_grad,
     lambda z, y: (z - _onehot(z, y)) / len(y), "from the logits z themselves"),
    (checks.check_softmax_cross_entropy_grad, softmax_cross_entropy_grad,
     lambda z, y: _softmax(z) / len(y), "−z_y term of the loss is missing"),
    (checks.check_softmax_cross_entropy_grad, softmax_cross_entropy_grad,
     lambda z, y: -_onehot(z, y) / _softmax(z) / len(y), "with respect to the probabilities"),
    (checks.check_softmax_cross_entropy_grad, softmax_cross_entropy_grad, naive_softmax_grad, "overflows for a logit of 1000"),
    (checks.check_softmax_cross_entropy_grad, softmax_cross_entropy_grad,
     lambda z, y: softmax_cross_entropy_grad(z, y)[:, 0], "Return an array shaped like the logits"),
    (checks.check_huber, huber, huber_without_half_delta, "subtract ½delta"),
    (checks.check_huber, huber, lambda p, t, d: float(np.mean((p - t) ** 2)), "quadratic part is ½d²"),
    (checks.check_huber, huber, lambda p, t, d: huber(p, t, d) * p.size, "not the sum"),
    (checks.check_log_sum_exp, log_sum_exp, lambda x: np.log(np.sum(np.exp(x), axis=-1)), "inf or nan"),
    (checks.check_log_sum_exp, log_sum_exp, lse_without_adding_max_back, "did not add it back"),
    (checks.check_log_sum_exp, log_sum_exp, lambda x: float(log_sum_exp(x.reshape(-1))), "Return shape"),
    (checks.check_bce_with_logits, bce_with_logits, naive_bce, "inf or nan"),
    (checks.check_bce_with_logits, bce_with_logits, bce_without_abs, "without the |x|"),
    (checks.check_bce_with_logits, bce_with_logits, lambda x, t: -bce_with_logits(x, t), "sign"),
]


@pytest.mark.parametrize(("check", "right", "wrong", "pointed"), RIGHT_AND_WRONG)
def test_right_passes_and_wrong_fails_with_a_pointed_hint(check, right, wrong, pointed, assert_teaches):
    assert_teaches(check, right, wrong, pointed)


def test_a_non_number_is_reported_not_crashed():
    with pytest.raises(CheckFailed, match="Return a number"):
        checks.check_huber(lambda p, t, d: "1.3")
    with pytest.raises(CheckFailed, match="raised ZeroDivisionError"):
        checks.check_bce_with_logits(lambda x, t: 1 / 0)


def test_learner_overflow_warnings_are_silenced_by_the_check(recwarn):
    with pytest.raises(CheckFailed):
        checks.check_log_sum_exp(lambda x: np.log(np.sum(np.exp(x), axis=-1)))
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_the_gradient_checks_answer_key_is_the_numerical_gradient_of_the_loss():
    """The check grades by a gradient check; the reference backward it shows agrees with it on every case."""
    for logits, y in checks._softmax_grad_cases():
        z = logits.copy()
        numeric = numerical_gradient(lambda: losses.cross_entropy_forward(z, y)[0], z)
        exact = losses.cross_entropy_backward(1.0, losses.cross_entropy_forward(logits, y)[1])
        np.testing.assert_allclose(numeric, exact, rtol=1e-5, atol=1e-6)
        assert np.all(np.abs(exact) <= 1.0)


def test_a_gradient_a_little_off_fails_the_gradient_check_without_a_named_mistake(assert_teaches):
    assert_teaches(checks.check_softmax_cross_entropy_grad, softmax_cross_entropy_grad,
                   lambda z, y: softmax_cross_entropy_grad(z, y) * 1.001, "predicted minus wanted")


def test_the_softmax_twice_prediction_is_the_loss_section_6_3_prints(capsys):
    truth = checks.predict_softmax_twice_loss.truth()
    assert truth == pytest.approx(-np.log(np.e / (np.e + 9)), rel=0.01)  # the bound the text derives, nearly reached
    assert checks.predict_softmax_twice_loss(1.46) is True
    assert checks.predict_softmax_twice_loss(0.003) is False  # the loss used correctly
    assert "1.46" not in capsys.readouterr().out
