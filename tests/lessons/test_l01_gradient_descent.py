"""Lesson 01: the line fit's loss and gradient, gradient descent, its figures, explorer and checks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.lessons.l01_gradient_descent.checks import (
    check_critical_learning_rate, check_descend, check_gradient, check_gradient_step, predict_critical_lr,
)
from course_lib.data import iterate_minibatches, make_linear_regression
from course_lib.lessons.l01_gradient_descent.descent import (
    DIVERGENCE_FACTOR, DescentResult, critical_learning_rate, gradient_descent, least_squares,
    linear_gradient, linear_hessian, linear_loss, loss_grid, make_uniform_noise_regression,
    mean_residual_descent,
)
from course_lib.numpy_nn.gradcheck import numerical_gradient, rel_error
from course_lib.numpy_nn.losses import MSELoss
from course_lib.lessons.l01_gradient_descent import plots as gd_plots
from course_lib.lessons.l01_gradient_descent.explorers import lr_explorer, steps_text

TINY_X, TINY_Y = np.array([[1.0], [2.0], [3.0]]), np.array([2.0, 2.0, 5.0])


@pytest.fixture(scope="module")
def data():
    return make_linear_regression(seed=0)


def _torch_loss(w, b, X, y):
    x, y = torch.as_tensor(X[:, 0]), torch.as_tensor(y)
    return 0.5 * torch.mean((w * x + b - y) ** 2)


# ---- the loss and its derivatives --------------------------------------------------------------


def test_loss_and_gradient_by_hand():
    # predictions -0.5, 0, 0.5; residuals -2.5, -2, -4.5
    assert linear_loss(0.5, -1.0, TINY_X, TINY_Y) == pytest.approx((6.25 + 4 + 20.25) / 6)
    dw, db = linear_gradient(0.5, -1.0, TINY_X, TINY_Y)
    assert dw == pytest.approx((-2.5 * 1 - 2 * 2 - 4.5 * 3) / 3)
    assert db == pytest.approx((-2.5 - 2 - 4.5) / 3)


def test_loss_is_half_the_course_mse(data):
    X, y = data
    pred = 1.3 * X[:, 0] - 0.4
    assert 2 * linear_loss(1.3, -0.4, X, y) == pytest.approx(MSELoss()(pred, y), rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(w=st.floats(-10, 10), b=st.floats(-10, 10), seed=st.integers(0, 1000), n=st.integers(1, 40))
def test_gradient_matches_autograd(w, b, seed, n):
    X, y = make_linear_regression(n, seed=seed)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    _torch_loss(wt, bt, X, y).backward()
    np.testing.assert_allclose(linear_gradient(w, b, X, y), (wt.grad.item(), bt.grad.item()), rtol=1e-10, atol=1e-10)


def test_gradient_matches_finite_differences(data):
    X, y = data
    theta = np.array([0.7, -1.2])
    numeric = numerical_gradient(lambda: linear_loss(theta[0], theta[1], X, y), theta)
    assert rel_error(np.array(linear_gradient(0.7, -1.2, X, y)), numeric) < 1e-8


def test_hessian_matches_autograd_and_critical_rate_is_two_over_lambda_max(data):
    X, y = data
    hessian = torch.autograd.functional.hessian(lambda p: _torch_loss(p[0], p[1], X, y), torch.tensor([0.3, 0.1], dtype=torch.float64))
    np.testing.assert_allclose(linear_hessian(X), hessian.numpy(), rtol=1e-12)
    assert critical_learning_rate(X) == pytest.approx(2 / np.linalg.eigvalsh(hessian.numpy()).max())
    assert critical_learning_rate(TINY_X) == pytest.approx(2 / ((14 / 3 + 1 + np.sqrt((14 / 3 - 1) ** 2 + 16)) / 2))


def test_critical_rate_separates_convergence_from_divergence(data):
    X, y = data
    critical = critical_learning_rate(X)
    j_star = linear_loss(*least_squares(X, y), X, y)
    below = gradient_descent(X, y, lr=0.98 * critical, steps=2000)
    above = gradient_descent(X, y, lr=1.02 * critical, steps=2000)
    assert below.stopped_because == "max_steps" and below.losses[-1] == pytest.approx(j_star, rel=1e-9)
    assert above.diverged and above.loss_grew and not above.converged


def test_least_squares_is_where_the_gradient_vanishes(data):
    X, y = data
    w, b = least_squares(X, y)
    np.testing.assert_allclose(linear_gradient(w, b, X, y), (0, 0), atol=1e-12)
    assert w == pytest.approx(3, abs=0.2) and b == pytest.approx(2, abs=0.2)


def test_loss_grid_rows_follow_b_and_columns_follow_w(data):
    X, y = data
    grid = loss_grid(X, y, (-1, 5), (0, 4), n=7)
    assert grid.w.shape == grid.b.shape == (7,) and grid.loss.shape == (7, 7)
    assert grid.w[0] == -1 and grid.w[-1] == 5 and grid.b[-1] == 4
    for i, j in [(0, 0), (2, 5), (6, 1)]:
        assert grid.loss[i, j] == pytest.approx(linear_loss(grid.w[j], grid.b[i], X, y))


# ---- gradient descent ------------------------------------------------------------------------


def test_first_step_is_theta_minus_lr_times_gradient(data):
    X, y = data
    result = gradient_descent(X, y, lr=0.1, steps=3, start=(0.5, -0.5))
    dw, db = linear_gradient(0.5, -0.5, X, y)
    np.testing.assert_allclose(result.path[1], (0.5 - 0.1 * dw, -0.5 - 0.1 * db))
    assert isinstance(result, DescentResult) and result.path.shape == (4, 2) and result.losses.shape == (4,)
    assert result.steps == 3 and result.stopped_because == "max_steps" and result.batch_size == len(X)
    np.testing.assert_allclose(result.losses, [linear_loss(w, b, X, y) for w, b in result.path])
    np.testing.assert_allclose(result.grad_norms, [np.hypot(*linear_gradient(w, b, X, y)) for w, b in result.path])
    np.testing.assert_array_equal(result.examples_seen, [0, 100, 200, 300])


def test_good_rate_reaches_least_squares(data):
    X, y = data
    result = gradient_descent(X, y, lr=0.5, steps=500)
    np.testing.assert_allclose((result.w, result.b), least_squares(X, y), atol=1e-8)
    assert np.all(np.diff(result.losses) <= 1e-15), "full-batch descent below the critical rate never raises the loss"


def test_minibatch_steps_use_shuffled_batches_from_iterate_minibatches(data):
    X, y = data
    result = gradient_descent(X, y, lr=0.2, steps=14, batch_size=8, rng=np.random.default_rng(5))
    w = b = 0.0
    rng = np.random.default_rng(5)
    batches = [*iterate_minibatches(X[:, 0], y, 8, rng=rng), *iterate_minibatches(X[:, 0], y, 8, rng=rng)]
    assert [len(xb) for xb, _ in batches[:13]] == [8] * 12 + [4], "the 13th batch of an epoch holds the 4 left over"
    for xb, yb in batches[:14]:
        r = w * xb + b - yb
        w, b = w - 0.2 * np.mean(r * xb), b - 0.2 * np.mean(r)
    np.testing.assert_allclose((result.w, result.b), (w, b))
    np.testing.assert_array_equal(result.examples_seen[:3], [0, 8, 16])


def test_stochastic_runs_repeat_with_the_seed_and_differ_between_seeds(data):
    X, y = data
    a = gradient_descent(X, y, lr=0.05, steps=50, batch_size=1, rng=np.random.default_rng(1))
    b = gradient_descent(X, y, lr=0.05, steps=50, batch_size=1, rng=np.random.default_rng(1))
    c = gradient_descent(X, y, lr=0.05, steps=50, batch_size=1, rng=np.random.default_rng(2))
    np.testing.assert_array_equal(a.path, b.path)
    assert not np.allclose(a.path, c.path)
    full = gradient_descent(X, y, lr=0.05, steps=5, batch_size=len(X))  # the whole set: no rng needed
    np.testing.assert_array_equal(full.path, gradient_descent(X, y, lr=0.05, steps=5).path)


def test_convergence_rules_say_why_they_stopped(data):
    X, y = data
    by_gradient = gradient_descent(X, y, lr=0.5, steps=1000, tol=1e-6)
    assert by_gradient.stopped_because == "gradient_norm" and by_gradient.converged
    assert by_gradient.grad_norms[-1] < 1e-6 <= by_gradient.grad_norms[-2]
    by_loss = gradient_descent(X, y, lr=0.5, steps=1000, tol=1e-9, criterion="loss_change")
    assert by_loss.stopped_because == "loss_change"
    assert abs(by_loss.losses[-1] - by_loss.losses[-2]) < 1e-9 * by_loss.losses[-2]
    crawling = gradient_descent(X, y, lr=1e-3, steps=1000, tol=1e-2, criterion="loss_change")
    assert crawling.stopped_because == "loss_change" and crawling.steps == 1
    assert crawling.losses[-1] > 100 * by_loss.losses[-1], "a loss-change rule can stop far from the minimum"
    at_minimum = gradient_descent(X, y, lr=0.5, steps=10, start=least_squares(X, y), tol=1e-6)
    assert at_minimum.steps == 0 and at_minimum.stopped_because == "gradient_norm"


def test_divergence_is_reported_not_raised_or_warned(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = gradient_descent(X, y, lr=10**0.5, steps=200)
        huge = gradient_descent(X, y, lr=1e6, steps=200)
    assert result.diverged and result.stopped_because == "diverged" and result.steps < 200
    assert result.losses[-1] > DIVERGENCE_FACTOR * result.losses[0] and np.all(np.isfinite(result.losses))
    assert result.losses[-2] <= DIVERGENCE_FACTOR * result.losses[0], "caught at the first step past the limit"
    assert huge.diverged and huge.steps == 1


def test_without_a_bias_the_line_goes_through_the_origin(data):
    X, y = data
    result = gradient_descent(X, y, lr=0.5, steps=300, fit_bias=False)
    x = X[:, 0]
    assert result.b == 0 and np.all(result.path[:, 1] == 0)
    assert result.w == pytest.approx(np.sum(x * y) / np.sum(x * x), rel=1e-9)


def test_mean_residual_descent_settles_on_the_wrong_slope():
    X, y = make_uniform_noise_regression(seed=0)
    theta = mean_residual_descent(X, y, lr=0.1, steps=3000)
    x = X[:, 0]
    assert theta.shape == (3001,) and theta[0] == 0
    assert theta[-1] == pytest.approx(y.mean() / x.mean(), rel=1e-9), "it zeroes the mean residual"
    assert np.mean(theta[-1] * x - y) == pytest.approx(0, abs=1e-9)
    assert abs(theta[-1] - least_squares(X, y)[0]) > 3, "far from the least-squares slope"
    assert linear_gradient(theta[-1], 0.0, X, y)[0] != pytest.approx(0, abs=0.1), "the true slope gradient is not zero there"


def test_uniform_noise_data_has_noise_mean_one_half():
    X, y = make_uniform_noise_regression(5000, seed=3)
    noise = y - 3 * X[:, 0] - 2
    assert X.shape == (5000, 1) and y.shape == (5000,)
    assert noise.min() >= 0 and noise.max() < 1 and noise.mean() == pytest.approx(0.5, abs=0.02)
    assert least_squares(X, y)[1] == pytest.approx(2.5, abs=0.05)
    np.testing.assert_array_equal(make_uniform_noise_regression(seed=1)[1], make_uniform_noise_regression(seed=1)[1])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"X": np.zeros((5, 2))}, r"shape \(N, 1\)"),
        ({"y": np.zeros(4)}, "one row per example"),
        ({"X": np.full((5, 1), np.nan)}, "finite"),
        ({"lr": 0.0}, "lr must be a finite number > 0"),
        ({"lr": float("inf")}, "lr must be"),
        ({"steps": -1}, "steps must be a whole number"),
        ({"batch_size": 6}, "at most the number of examples"),
        ({"batch_size": 2}, "pass rng"),
        ({"tol": -1.0}, "tol must be"),
        ({"criterion": "loss"}, "criterion must be"),
        ({"start": (1.0,)}, "pair"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(kwargs, message):
    args = {"X": np.ones((5, 1)), "y": np.ones(5), "lr": 0.1, "steps": 3} | kwargs
    X, y = args.pop("X"), args.pop("y")
    with pytest.raises(ValueError, match=message):
        gradient_descent(X, y, **args)


def test_other_functions_refuse_bad_input():
    with pytest.raises(ValueError, match="low < high"):
        loss_grid(TINY_X, TINY_Y, (1, 1), (0, 1))
    with pytest.raises(ValueError, match="empty"):
        linear_loss(1, 1, np.zeros((0, 1)), np.zeros(0))
    with pytest.raises(ValueError, match="lr must be"):
        mean_residual_descent(TINY_X, TINY_Y, lr=-1, steps=3)
    with pytest.raises(ValueError, match="seed"):
        make_uniform_noise_regression(seed=-1)


# ---- figures ---------------------------------------------------------------------------------


def test_contours_keep_their_frame_and_paths_draw_their_points(data):
    import matplotlib.pyplot as plt

    X, y = data
    grid = loss_grid(X, y, (-1, 7), (-2, 6), n=31)
    fig, ax = plt.subplots()
    gd_plots.plot_loss_contours(grid, ax=ax, minimum=least_squares(X, y))
    result = gradient_descent(X, y, lr=3.0, steps=20)
    gd_plots.plot_descent_path(result.path, ax=ax, label="η = 3")
    assert ax.get_xlim() == (-1, 7) and ax.get_ylim() == (-2, 6), "a diverging path must not rescale the map"
    assert ax.get_xlabel() == "slope w" and ax.get_ylabel() == "intercept b" and ax.get_title()
    path_line = next(line for line in ax.get_lines() if line.get_label() == "η = 3")
    np.testing.assert_array_equal(path_line.get_xdata(), result.path[:, 0])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(label.startswith("minimum") for label in labels) and "η = 3" in labels
    assert len(fig.axes) == 2, "a colorbar next to the map"
    with pytest.raises(ValueError, match=r"\(k, 2\)"):
        gd_plots.plot_descent_path(np.zeros((3, 3)), ax=ax)
    assert not any(label.startswith("start") for label in labels), "the start is named only when asked"
    gd_plots.plot_descent_path(result.path, ax=ax, label="again", start_label="start here")
    start = next(line for line in ax.get_lines() if line.get_label() == "start here")
    assert (start.get_xdata()[0], start.get_ydata()[0]) == tuple(result.path[0])
    assert "start here" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_eigen_directions_are_drawn_along_the_hessians_eigenvectors(data):
    import matplotlib.pyplot as plt

    X, _ = data
    H = linear_hessian(X)
    ax = gd_plots.plot_eigen_directions(H, (3.0, 2.0), ax=plt.figure().add_subplot(), length=2.0)
    low, high = np.linalg.eigvalsh(H)
    arrows = [child for child in ax.get_children() if type(child).__name__ == "Annotation"]
    assert len(arrows) == 2
    for arrow, lam in zip(arrows, (low, high)):
        tip = np.subtract(arrow.xy, (3.0, 2.0))
        assert np.linalg.norm(tip) == pytest.approx(2.0)
        np.testing.assert_allclose(H @ tip, lam * tip, atol=1e-9)  # an eigenvector, with its own eigenvalue
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [f"eigen-direction of λ_min = {low:.3g}", f"eigen-direction of λ_max = {high:.3g}"]
    with pytest.raises(ValueError, match="symmetric 2 × 2"):
        gd_plots.plot_eigen_directions(np.array([[1.0, 2.0], [0.0, 1.0]]), (0, 0))


def test_loss_curves_and_gradient_norms(data):
    import matplotlib.pyplot as plt

    X, y = data
    runs = {"full": gradient_descent(X, y, lr=0.5, steps=10), "SGD": gradient_descent(X, y, lr=0.05, steps=30, batch_size=1, rng=np.random.default_rng(0))}
    ax = gd_plots.plot_descent_losses(runs, minimum_loss=0.1, x="examples")
    lines = ax.get_lines()
    np.testing.assert_array_equal(lines[0].get_ydata(), runs["full"].losses)
    np.testing.assert_array_equal(lines[1].get_xdata(), np.arange(31))
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "examples processed"
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["full", "SGD"]
    ax2 = gd_plots.plot_gradient_norms(runs, tol=1e-3, ax=plt.figure().add_subplot())
    np.testing.assert_array_equal(ax2.get_lines()[1].get_ydata(), runs["SGD"].grad_norms)
    assert ax2.get_lines()[-1].get_ydata()[0] == 1e-3
    with pytest.raises(ValueError, match="at least one"):
        gd_plots.plot_descent_losses({})


def test_fitted_lines_slice_surface_and_rate_scale(data):
    import matplotlib.pyplot as plt

    X, y = data
    ax = gd_plots.plot_fitted_lines(X, y, {"fit": (3.0, 2.0), "origin": (6.0, 0.0)})
    fit = ax.get_lines()[0]
    np.testing.assert_allclose(fit.get_ydata(), 3 * fit.get_xdata() + 2)
    assert fit.get_xdata()[0] == 0 and "fit: ŷ = 3.00·x + 2.00" in [t.get_text() for t in ax.get_legend().get_texts()]

    fig, ax = plt.subplots()
    gd_plots.plot_loss_slice(X, y, b=2.0, w0=0.0, lr=0.3, ax=ax)
    curve, tangent = ax.get_lines()[:2]
    slope = np.diff(tangent.get_ydata()) / np.diff(tangent.get_xdata())
    assert slope[0] == pytest.approx(linear_gradient(0.0, 2.0, X, y)[0])
    assert curve.get_ydata()[0] == pytest.approx(linear_loss(-1.0, 2.0, X, y))

    fig = plt.figure()
    ax3 = gd_plots.plot_loss_surface(loss_grid(X, y, (0, 6), (-1, 5), n=11), fig.add_subplot(projection="3d"), minimum=(3, 2, 0.1))
    assert ax3.collections and ax3.get_zlabel() == "J(w, b)"
    with pytest.raises(ValueError, match="3-D"):
        gd_plots.plot_loss_surface(loss_grid(X, y, (0, 6), (-1, 5), n=11), plt.figure().add_subplot())

    ax = gd_plots.plot_learning_rate_scale(0.1, 0.83, ax=plt.figure().add_subplot())
    assert ax.get_xscale() == "log" and ax.get_lines()[0].get_xdata()[0] == 0.83
    assert ax.get_lines()[1].get_xdata()[0] == 0.1


# ---- the explorer ------------------------------------------------------------------------------


def _message(ax) -> str:
    return " ".join(t.get_text() for t in ax.texts)


def test_explorer_redraws_the_path_for_every_control(data):
    X, y = data
    explorer = lr_explorer(X, y)
    ax_map, ax_loss, ax_scale = explorer.figure.axes
    c = explorer.controls
    settings = [("lr", 10 ** c["lr"].min), ("steps", c["steps"].max), ("steps", c["steps"].min), ("w0", c["w0"].min),
                ("w0", c["w0"].max), ("b0", c["b0"].min), ("b0", c["b0"].max), ("steps", 77)]
    for name, value in settings:
        c[name].value = value
        lr = c["lr"].value
        assert lr == pytest.approx(1e-3), "the smallest η of the slider"
        expected = gradient_descent(X, y, lr=lr, steps=c["steps"].value, start=(c["w0"].value, c["b0"].value))
        path_line = next(line for line in ax_map.get_lines() if line.get_label() == "path of (w, b)")
        np.testing.assert_allclose(path_line.get_xdata(), expected.path[:, 0])
        np.testing.assert_allclose(ax_loss.get_lines()[0].get_ydata(), expected.losses)
        assert ax_loss.get_xlim() == (0, c["steps"].value)
        assert ax_map.get_title() == f"η = {lr:.3g}: after {steps_text(expected.steps)}"
        legend = ax_map.get_legend()
        assert legend.get_title().get_text() == f"ends at w = {expected.w:.3g}, b = {expected.b:.3g}"
        start = f"start (w₀, b₀) = ({c['w0'].value:.3g}, {c['b0'].value:.3g})"
        assert start in [t.get_text() for t in legend.get_texts()], "the legend names the start point"
        assert legend.get_bbox_to_anchor().y1 < ax_map.get_window_extent().y0 + 1, "the legend sits under the map"
        assert ax_scale.get_lines()[1].get_xdata()[0] == pytest.approx(lr)
        assert _message(ax_map) == "", f"η = {lr:.3g} converges: no warning expected after {name} = {value}"


def test_explorer_shows_divergence_as_a_message_and_keeps_the_frame(data):
    X, y = data
    explorer = lr_explorer(X, y)
    ax_map = explorer.figure.axes[0]
    frame = (ax_map.get_xlim(), ax_map.get_ylim())
    explorer.controls["lr"].value = 10 ** explorer.controls["lr"].max  # a log slider's max is an exponent
    assert explorer.controls["lr"].value == pytest.approx(10**0.5)
    assert _message(ax_map).startswith("diverged after") and "2/λ_max = 0.827" in _message(ax_map)
    assert (ax_map.get_xlim(), ax_map.get_ylim()) == frame
    explorer.controls["lr"].value = 0.9  # above 2/λ_max but too slow to reach the divergence limit in 30 steps
    assert _message(ax_map).startswith("diverging: the loss grew")
    explorer.controls["reset"].click()
    assert explorer.controls["lr"].value == pytest.approx(0.1) and explorer.controls["steps"].value == 30
    assert _message(ax_map) == ""


def test_explorer_displays_and_refuses_bad_settings(data):
    X, y = data
    assert "application/vnd.jupyter.widget-view+json" in lr_explorer(X, y)._repr_mimebundle_()
    with pytest.raises(ValueError, match="lr must lie"):
        lr_explorer(X, y, lr=10.0)
    with pytest.raises(ValueError, match="steps must lie"):
        lr_explorer(X, y, steps=0)


# ---- self-checks -----------------------------------------------------------------------------


def gradient(w, b, X, y):
    x = X[:, 0]
    r = w * x + b - y
    return np.mean(r * x), np.mean(r)


def gradient_step(w, b, X, y, lr):
    dw, db = gradient(w, b, X, y)
    return w - lr * dw, b - lr * db


def max_learning_rate(X):
    x = X[:, 0]
    return 2 / np.linalg.eigvalsh(np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1]]))[-1]


def _residual(w, b, X, y):
    return w * X[:, 0] + b - y


WRONG = [
    (check_gradient, gradient, lambda w, b, X, y: (np.mean(_residual(w, b, X, y)),) * 2, "mean residual"),
    (check_gradient, gradient, lambda w, b, X, y: (np.sum(_residual(w, b, X, y) * X[:, 0]), np.sum(_residual(w, b, X, y))), "N times"),
    (check_gradient, gradient, lambda w, b, X, y: tuple(2 * g for g in gradient(w, b, X, y)), "factor ½"),
    (check_gradient, gradient, lambda w, b, X, y: tuple(-g for g in gradient(w, b, X, y)), "signs"),
    (check_gradient, gradient, lambda w, b, X, y: (np.mean((w * X + b - y) * X), np.mean(w * X + b - y)), r"\(N, N\)"),
    (check_gradient, gradient, lambda w, b, X, y: np.mean(_residual(w, b, X, y)), "pair"),
    (check_gradient_step, gradient_step, lambda w, b, X, y, lr: tuple(p + lr * g for p, g in zip((w, b), gradient(w, b, X, y))), "uphill"),
    (check_gradient_step, gradient_step, lambda w, b, X, y, lr: tuple(p - g for p, g in zip((w, b), gradient(w, b, X, y))), "learning rate"),
    (check_gradient_step, gradient_step, lambda w, b, X, y, lr: tuple(lr * g for g in gradient(w, b, X, y)), "the step itself"),
    (check_critical_learning_rate, max_learning_rate, lambda X: max_learning_rate(X) / 2, "1/λ_max"),
    (check_critical_learning_rate, max_learning_rate, lambda X: 2 / np.mean(X[:, 0] ** 2), "w alone"),
]


# ---- the descent loop (Exercise 1): one learner's loop per typical mistake ------------------------


def descend(X, y, lr, steps):
    w, b = 0.0, 0.0
    losses = [linear_loss(w, b, X, y)]
    for _ in range(steps):
        dw, db = linear_gradient(w, b, X, y)
        w, b = w - lr * dw, b - lr * db
        losses.append(linear_loss(w, b, X, y))
    return w, b, losses


def descend_uphill(X, y, lr, steps):
    w, b = 0.0, 0.0
    losses = [linear_loss(w, b, X, y)]
    for _ in range(steps):
        dw, db = linear_gradient(w, b, X, y)
        w, b = w + lr * dw, b + lr * db
        losses.append(linear_loss(w, b, X, y))
    return w, b, losses


def descend_one_after_the_other(X, y, lr, steps):
    w, b = 0.0, 0.0
    losses = [linear_loss(w, b, X, y)]
    for _ in range(steps):
        w = w - lr * linear_gradient(w, b, X, y)[0]
        b = b - lr * linear_gradient(w, b, X, y)[1]  # the gradient at the new w
        losses.append(linear_loss(w, b, X, y))
    return w, b, losses


def descend_recording_after(X, y, lr, steps):
    w, b, losses = 0.0, 0.0, []
    for _ in range(steps):
        dw, db = linear_gradient(w, b, X, y)
        w, b = w - lr * dw, b - lr * db
        losses.append(linear_loss(w, b, X, y))
    return w, b, losses


def descend_recording_before(X, y, lr, steps):
    w, b, losses = 0.0, 0.0, []
    for _ in range(steps):
        losses.append(linear_loss(w, b, X, y))
        dw, db = linear_gradient(w, b, X, y)
        w, b = w - lr * dw, b - lr * db
    return w, b, losses


def descend_summing(X, y, lr, steps):
    x, w, b = X[:, 0], 0.0, 0.0
    losses = [linear_loss(w, b, X, y)]
    for _ in range(steps):
        r = w * x + b - y
        w, b = w - lr * np.sum(r * x), b - lr * np.sum(r)
        losses.append(linear_loss(w, b, X, y))
    return w, b, losses


def descend_without_lr(X, y, lr, steps):
    w, b = 0.0, 0.0
    losses = [linear_loss(w, b, X, y)]
    for _ in range(steps):
        dw, db = linear_gradient(w, b, X, y)
        w, b = w - dw, b - db
        losses.append(linear_loss(w, b, X, y))
    return w, b, losses


def descend_one_too_many(X, y, lr, steps):
    w, b, losses = descend(X, y, lr, steps)
    return w, b, [*losses, losses[-1]]


def descend_returning_the_previous_point(X, y, lr, steps):
    w, b, losses = descend(X, y, lr, steps - 1)
    return w, b, descend(X, y, lr, steps)[2]


def descend_losses_first(X, y, lr, steps):
    w, b, losses = descend(X, y, lr, steps)
    return losses, w, b


WRONG += [
    (check_descend, descend, descend_losses_first, "third value is a single number, not a history"),
    (check_descend, descend, descend_uphill, "moved along the gradient, which points uphill"),
    (check_descend, descend, descend_one_after_the_other, "not a simultaneous update"),
    (check_descend, descend, descend_recording_after, "recorded only after each update, so J at the start is missing"),
    (check_descend, descend, descend_recording_before, "J after the last step is missing"),
    (check_descend, descend, descend_summing, "N times too long"),
    (check_descend, descend, descend_without_lr, "ignore the learning rate"),
    (check_descend, descend, descend_one_too_many, r"needs \d+: one for the start and one after every step"),
    (check_descend, descend, descend_returning_the_previous_point, "from before the last update"),
]


def test_each_mistaken_loop_differs_from_the_right_one_on_the_checks_first_case():
    """A diagnosis is only worth its name if the mistake changes the answer the check compares."""
    first = (TINY_X, TINY_Y, 0.1, 5)
    right = descend(*first)
    for wrong in (descend_uphill, descend_one_after_the_other, descend_summing, descend_without_lr):
        assert not np.allclose(wrong(*first)[2], right[2]), wrong.__name__


def test_the_prediction_is_graded_against_the_critical_rate_of_the_lessons_data(capsys):
    truth = critical_learning_rate(make_linear_regression(seed=0)[0])
    assert truth == pytest.approx(0.827, abs=1e-3)
    assert predict_critical_lr(0.8) is True and predict_critical_lr(0.5) is False and predict_critical_lr(1.0) is False
    out = capsys.readouterr().out
    assert "0.827" not in out and "larger than your guess" in out and "smaller than your guess" in out


def test_the_explorers_title_counts_one_step_in_the_singular(data):
    X, y = data
    explorer = lr_explorer(X, y, steps=1)
    assert explorer.figure.axes[0].get_title() == "η = 0.1: after 1 step"
    assert steps_text(1) == "1 step" and steps_text(0) == "0 steps" and steps_text(30) == "30 steps"


@pytest.mark.parametrize(("check", "right", "wrong", "specific"), WRONG, ids=[w[3] for w in WRONG])
def test_checks_accept_the_right_answer_and_explain_wrong_ones(check, right, wrong, specific, assert_teaches):
    assert_teaches(check, right, wrong, specific, regex=True)


