"""Lesson 06: course_lib.lessons.l06_overfitting_and_regularization.overfitting, its plot helpers, its explorer and its self-checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.lessons.l06_overfitting_and_regularization.checks import (
    check_dropout_backward, check_dropout_forward, check_dropout_modes, check_ridge_gradient, check_soft_threshold,
)
from course_lib.data import load_mnist, make_polynomial_regression
from course_lib.history import History
from course_lib.numpy_nn import SGD, CrossEntropyLoss, MSELoss, MLP
from course_lib.lessons.l06_overfitting_and_regularization.overfitting import (
    coefficient_path, deep_narrow_net, fit_augmented, fit_polynomial, fit_polynomial_l1, gradient_norm,
    gradient_norms_by_depth, learning_curve, losses_vs_degree, losses_vs_l2, polynomial_features,
    REMEDY_GRIDS, TUNED_STRENGTHS, remedy_settings, ridge_gradient, ridge_loss, soft_threshold, train_small_mlp,
    train_with_clipping, tune_remedy_strengths,
)
from course_lib.lessons.l06_overfitting_and_regularization.plots import (
    plot_before_after, plot_clipping_runs, plot_coefficient_path, plot_coefficients,
    plot_gradient_norms_by_depth, plot_loss_curve, plot_polynomial_fit, plot_shrinkage,
)
from course_lib.lessons.l06_overfitting_and_regularization.explorers import polynomial_explorer

TRAIN = make_polynomial_regression(20, seed=0)
VAL = make_polynomial_regression(200, seed=1)


# ---- features ----------------------------------------------------------------------------------


def test_features_are_legendre_or_monomial_columns():
    x = np.linspace(-1, 1, 7)
    np.testing.assert_allclose(polynomial_features(x, 9), np.polynomial.legendre.legvander(x, 9), atol=1e-12)
    np.testing.assert_allclose(polynomial_features(x[:, None], 5, basis="monomial"), np.vander(x, 6, increasing=True))
    assert polynomial_features(x, 0).shape == (7, 1)


def test_legendre_columns_are_far_better_conditioned_than_powers():
    x = TRAIN[0]
    legendre, monomial = (np.linalg.cond(polynomial_features(x, 15, basis=b)) for b in ("legendre", "monomial"))
    assert monomial > 100 * legendre


def test_features_refuse_bad_input():
    with pytest.raises(ValueError, match="degree"):
        polynomial_features([0.1], -1)
    with pytest.raises(ValueError, match="basis"):
        polynomial_features([0.1], 2, basis="chebyshev")
    with pytest.raises(ValueError, match=r"\(N,\) or \(N, 1\)"):
        polynomial_features(np.zeros((3, 2)), 2)


# ---- the penalised loss -----------------------------------------------------------------------


@pytest.mark.parametrize("lam", [0.0, 0.3])
def test_ridge_loss_and_gradient_match_torch_autograd(lam, rng):
    phi = polynomial_features(TRAIN[0], 6)
    w = rng.normal(size=7)
    w_t = torch.tensor(w, requires_grad=True)
    loss_t = torch.mean((torch.tensor(phi) @ w_t - torch.tensor(TRAIN[1])) ** 2) + lam / 2 * torch.sum(w_t[1:] ** 2)
    loss_t.backward()
    assert ridge_loss(w, phi, TRAIN[1], lam) == pytest.approx(loss_t.item(), rel=1e-12)
    np.testing.assert_allclose(ridge_gradient(w, phi, TRAIN[1], lam), w_t.grad.numpy(), rtol=1e-10)


def test_ridge_gradient_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match="w \\(P,\\)"):
        ridge_gradient(np.zeros(3), np.zeros((5, 4)), np.zeros(5), 0.1)
    with pytest.raises(ValueError, match=">= 0"):
        ridge_loss(np.zeros(4), np.zeros((5, 4)), np.zeros(5), -1.0)


@given(w=st.lists(st.floats(-5, 5), min_size=1, max_size=8), t=st.floats(0, 3))
@settings(max_examples=60, deadline=None)
def test_soft_threshold_is_the_proximal_step_of_the_absolute_value(w, t):
    w = np.array(w)
    z = soft_threshold(w, t)
    assert np.all((z == 0) == (np.abs(w) <= t))  # exactly zero inside the band, nowhere else
    assert np.all(np.sign(z[z != 0]) == np.sign(w[z != 0]))
    np.testing.assert_allclose(np.abs(w[z != 0]) - np.abs(z[z != 0]), t, atol=1e-12)
    # It minimises ½(z − w)² + t|z|, entry by entry: no point of a fine grid does better.
    grid = np.linspace(-6, 6, 2401)[:, None]
    best = np.min(0.5 * (grid - w) ** 2 + t * np.abs(grid), axis=0)
    assert np.all(0.5 * (z - w) ** 2 + t * np.abs(z) <= best + 1e-9)


def test_soft_threshold_by_hand():
    np.testing.assert_array_equal(soft_threshold([-2.0, -0.5, 0.0, 0.2, 1.0], 0.5), [-1.5, 0.0, 0.0, 0.0, 0.5])
    with pytest.raises(ValueError, match="threshold"):
        soft_threshold([1.0], -0.1)


# ---- fits ---------------------------------------------------------------------------------------


def test_unpenalised_fit_is_least_squares_in_either_basis():
    x, y = TRAIN
    fit = fit_polynomial(x, y, 3, basis="monomial")
    np.testing.assert_allclose(fit.coefficients, np.polynomial.polynomial.polyfit(x[:, 0], y, 3), rtol=1e-8)
    grid = np.linspace(-1, 1, 50)
    np.testing.assert_allclose(fit_polynomial(x, y, 6).predict(grid), fit_polynomial(x, y, 6, basis="monomial").predict(grid), atol=1e-8)
    assert fit.warning is None and fit.mse(x, y) == pytest.approx(np.mean((fit(x) - y) ** 2))


@given(degree=st.integers(0, 15), lam=st.floats(1e-6, 10.0))
@settings(max_examples=30, deadline=None)
def test_ridge_fit_solves_the_normal_equations_and_zeroes_the_gradient(degree, lam):
    x, y = TRAIN
    fit = fit_polynomial(x, y, degree, l2=lam)
    phi, n = polynomial_features(x, degree), len(y)
    D = np.diag([0.0] + [1.0] * degree)
    np.testing.assert_allclose((phi.T @ phi + n * lam / 2 * D) @ fit.coefficients, phi.T @ y, atol=1e-8)
    assert np.max(np.abs(ridge_gradient(fit.coefficients, phi, y, lam))) < 1e-8


def test_the_bias_is_not_penalised():
    x, y = TRAIN
    fit = fit_polynomial(x, y, 8, l2=1e9)
    assert np.max(np.abs(fit.coefficients[1:])) < 1e-6
    assert fit.coefficients[0] == pytest.approx(y.mean(), abs=1e-6)  # the best constant survives


def test_too_few_points_give_a_warning_and_lambda_removes_it():
    x, y = TRAIN
    exact = fit_polynomial(x, y, len(x) - 1)  # N points, N coefficients: through every point
    assert exact.mse(x, y) < 1e-12 and exact.warning is None
    loose = fit_polynomial(x[:5], y[:5], 15)
    assert "infinitely many" in loose.warning and math.isinf(loose.condition)
    assert fit_polynomial(x[:5], y[:5], 15, l2=1e-3).warning is None


def test_fit_refuses_bad_input():
    with pytest.raises(ValueError, match="one number per sample"):
        fit_polynomial(np.zeros(5), np.zeros(4), 2)
    with pytest.raises(ValueError, match="l2"):
        fit_polynomial(np.zeros(5), np.zeros(5), 2, l2=float("nan"))
    with pytest.raises(ValueError, match="NaN"):
        fit_polynomial(np.array([0.0, np.nan]), np.zeros(2), 1)


def test_lasso_meets_its_optimality_conditions_and_is_sparse():
    x, y = TRAIN
    lam = 0.03
    fit = fit_polynomial_l1(x, y, 15, l1=lam)
    assert fit.warning is None and fit.steps > 1
    phi = polynomial_features(x, 15)
    g = ridge_gradient(fit.coefficients, phi, y, 0.0)  # the MSE's gradient alone
    w = fit.coefficients
    # KKT: the bias is free (g₀ = 0); a nonzero w_k balances g_k = −λ·sign(w_k); a zero one has |g_k| <= λ.
    assert abs(g[0]) < 1e-6
    nonzero = w[1:] != 0
    np.testing.assert_allclose(g[1:][nonzero], -lam * np.sign(w[1:][nonzero]), atol=1e-6)
    assert np.all(np.abs(g[1:][~nonzero]) <= lam + 1e-6)
    ridge = fit_polynomial(x, y, 15, l2=lam)
    assert np.count_nonzero(w[1:] == 0) >= 8 and np.count_nonzero(ridge.coefficients[1:] == 0) == 0


def test_plain_and_accelerated_ista_agree_and_momentum_saves_steps():
    x, y = TRAIN
    plain = fit_polynomial_l1(x, y, 15, l1=3e-3, accelerate=False, max_steps=50_000)
    fast = fit_polynomial_l1(x, y, 15, l1=3e-3)
    np.testing.assert_allclose(fast.coefficients, plain.coefficients, atol=1e-6)
    assert fast.steps < plain.steps / 3
    warm = fit_polynomial_l1(x, y, 15, l1=3e-3, start=fast.coefficients)
    assert warm.steps < 10


def test_lasso_limits():
    x, y = TRAIN
    np.testing.assert_allclose(fit_polynomial_l1(x, y, 3, l1=0.0).coefficients, fit_polynomial(x, y, 3).coefficients, atol=1e-6)
    flat = fit_polynomial_l1(x, y, 6, l1=100.0)
    assert np.all(flat.coefficients[1:] == 0) and flat.coefficients[0] == pytest.approx(y.mean())
    assert "did not converge" in fit_polynomial_l1(x, y, 15, l1=1e-4, max_steps=3).warning
    with pytest.raises(ValueError, match="start"):
        fit_polynomial_l1(x, y, 3, l1=0.1, start=np.zeros(2))


# ---- experiments --------------------------------------------------------------------------------


def test_training_loss_falls_with_degree_while_validation_loss_is_u_shaped():
    curve = losses_vs_degree(TRAIN, VAL, range(16))
    assert np.all(np.diff(curve.train) <= 1e-12)  # nested models: more freedom never fits worse
    best, _ = curve.best()
    assert 2 <= best <= 5
    assert curve.val[15] > 10 * curve.val[best] and curve.val[0] > 5 * curve.val[best]


def test_training_loss_rises_with_lambda_and_validation_has_a_minimum_inside():
    l2s = np.logspace(-8, 1, 19)
    curve = losses_vs_l2(TRAIN, VAL, 15, l2s)
    assert np.all(np.diff(curve.train) >= -1e-12)
    assert 0 < int(np.argmin(curve.val)) < len(l2s) - 1
    assert curve.values.dtype == np.float64


def test_learning_curve_closes_the_gap(rng):
    pool = make_polynomial_regression(200, seed=2)
    curve = learning_curve(pool, VAL, [20, 50, 200], degree=15, rng=rng, repeats=5)
    assert curve.val[-1] < curve.val[0] and curve.train[-1] > curve.train[0]
    assert curve.val[-1] / curve.train[-1] < curve.val[0] / curve.train[0]
    with pytest.raises(ValueError, match="between 1 and the 200"):
        learning_curve(pool, VAL, [500], degree=3, rng=rng)
    with pytest.raises(TypeError, match="Generator"):
        learning_curve(pool, VAL, [10], degree=3, rng=0)


def test_coefficient_paths():
    strengths = np.logspace(-4, 0, 6)
    l2 = coefficient_path(*TRAIN, 10, strengths, penalty="l2")
    l1 = coefficient_path(*TRAIN, 10, strengths, penalty="l1")
    assert l1.shape == l2.shape == (6, 11)
    assert np.count_nonzero(l2[:, 1:] == 0) == 0
    zeros = np.count_nonzero(l1[:, 1:] == 0, axis=1)
    assert zeros[-1] > zeros[0] and zeros[-1] >= 7
    np.testing.assert_allclose(l1[2], fit_polynomial_l1(*TRAIN, 10, l1=strengths[2]).coefficients, atol=1e-6)
    with pytest.raises(ValueError, match="penalty"):
        coefficient_path(*TRAIN, 3, strengths, penalty="l3")


# ---- neural-network helpers -----------------------------------------------------------------


def test_fit_augmented_trains_on_a_fresh_copy_each_epoch(rng):
    X, y = load_mnist("test")
    X, y = X[:200], y[:200]
    seen = []

    def augment(images, generator):
        seen.append(images.copy())
        return images + generator.normal(0, 0.01, size=images.shape).astype(images.dtype)

    model = MLP([784, 16, 10], rng=rng).astype(np.float32)
    history = fit_augmented(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, y), val=(X[:50], y[:50]),
                            epochs=3, batch_size=50, rng=rng, augment=augment)
    assert len(history) == 3 and len(history.steps) == 12 and len(seen) == 3
    assert all(np.array_equal(s, X) for s in seen)  # always the originals, never a copy of a copy
    assert {"train_loss", "val_loss", "val_acc"} <= set(history.metrics)
    assert history.val_loss[-1] < history.val_loss[0]
    default = fit_augmented(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, y), epochs=1, batch_size=100, rng=rng)
    assert len(default) == 1
    with pytest.raises(ValueError, match="epochs"):
        fit_augmented(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, y), epochs=0, batch_size=10, rng=rng)


def test_train_small_mlp_switches_one_remedy_at_a_time():
    from course_lib.numpy_nn.layers import BatchNorm1d, Dropout
    from course_lib.numpy_nn.regularization import EarlyStopping

    X, y = load_mnist("test")
    train, val = (X[:200], y[:200]), (X[200:300], y[200:300])
    plain, h = train_small_mlp(train, val, hidden=(16,), epochs=2)
    assert len(h) == 2 and not plain.training and plain[0].weight.data.dtype == np.float32
    same, h_again = train_small_mlp(train, val, hidden=(16,), epochs=2)
    np.testing.assert_array_equal(h.val_loss, h_again.val_loss)  # the same seed, the same run
    dropped, _ = train_small_mlp(train, val, hidden=(16,), epochs=1, dropout=0.5, batch_norm=True)
    assert {type(layer) for layer in dropped.layers} >= {Dropout, BatchNorm1d}
    _, stopped = train_small_mlp(train, val, hidden=(16,), epochs=5, callbacks=[EarlyStopping(patience=0)], lr=1.0)
    assert len(stopped) < 5
    _, augmented = train_small_mlp(train, val, hidden=(16,), epochs=2, augment=True)
    assert not np.array_equal(augmented.train_loss, h.train_loss)
    _, stronger = train_small_mlp(train, val, hidden=(16,), epochs=2, augment=True, augment_strength=(3, 30.0))
    assert not np.array_equal(stronger.train_loss, augmented.train_loss)  # the strength reaches random_augment
    with pytest.raises(ValueError, match="callbacks"):
        train_small_mlp(train, val, augment=True, callbacks=[EarlyStopping()])


def test_gradient_norm_is_the_norm_of_all_gradients_and_explodes_with_depth(rng):
    X, y = make_polynomial_regression(32, seed=0)
    data = (X, y[:, None])
    net = deep_narrow_net(4, 8, gain=1.0, rng=rng)
    assert len([layer for layer in net.layers if hasattr(layer, "weight")]) == 4
    norm = gradient_norm(net, MSELoss(), data)
    assert norm == pytest.approx(math.sqrt(sum(float(np.sum(p.grad**2)) for p in net.parameters())))
    steep = gradient_norms_by_depth([2, 12], MSELoss(), data, width=16, gain=1.5, repeats=4)
    flat = gradient_norms_by_depth([2, 12], MSELoss(), data, width=16, gain=1.0, repeats=4)
    assert steep[1] > 100 * steep[0] and flat[1] < 10 * flat[0]
    with pytest.raises(ValueError, match="depth"):
        deep_narrow_net(1, 8, gain=1.0, rng=rng)


def test_weight_gradients_vanish_with_depth_when_each_layer_shrinks():
    from course_lib.lessons.l06_overfitting_and_regularization.overfitting import weight_gradient_norm
    x, y = make_polynomial_regression(32, seed=0)
    data = (x, y[:, None])
    norms = {d: weight_gradient_norm(d, MSELoss(), data, width=16, gain=0.6, seed=0) for d in (2, 16)}
    assert norms[16] < 0.01 * norms[2]
    assert weight_gradient_norm(16, MSELoss(), data, width=16, gain=1.5, seed=0) > 100 * norms[2]


def test_clipping_turns_a_diverging_run_into_a_descending_one():
    X, y = make_polynomial_regression(64, seed=0)
    runs = {}
    for max_norm in (None, 1.0):
        net = deep_narrow_net(12, 16, gain=1.5, rng=np.random.default_rng(0))
        runs[max_norm] = train_with_clipping(net, MSELoss(), SGD(net.parameters(), lr=0.01), (X, y[:, None]), steps=150, max_norm=max_norm)
    wild, tame = runs[None], runs[1.0]
    assert wild.diverged_at is not None and not np.isfinite(wild.loss[-1]) and len(wild.loss) == wild.diverged_at
    assert tame.diverged_at is None and len(tame.loss) == 150 and np.all(np.isfinite(tame.loss))
    assert tame.loss[-1] < tame.loss[0] / 50 and tame.grad_norm[0] > 1000


def test_a_clipped_step_is_at_most_lr_times_max_norm():
    X, y = make_polynomial_regression(64, seed=0)
    net = deep_narrow_net(12, 16, gain=1.5, rng=np.random.default_rng(0))
    before = [p.data.copy() for p in net.parameters()]
    train_with_clipping(net, MSELoss(), SGD(net.parameters(), lr=0.01), (X, y[:, None]), steps=1, max_norm=0.5)
    moved = math.sqrt(sum(float(np.sum((p.data - b) ** 2)) for p, b in zip(net.parameters(), before)))
    assert moved == pytest.approx(0.01 * 0.5, rel=1e-4)
    with pytest.raises(ValueError, match="max_norm"):
        train_with_clipping(net, MSELoss(), SGD(net.parameters(), lr=0.01), (X, y[:, None]), steps=1, max_norm=0.0)


# ---- plot helpers ---------------------------------------------------------------------------


def test_plot_polynomial_fit_draws_points_truth_and_fit():
    import matplotlib.pyplot as plt

    fit = fit_polynomial(*TRAIN, 3)
    ax = plot_polynomial_fit(fit, TRAIN, val=VAL, true_coefficients=(0.5, -1, -1.5, 2), ax=plt.figure().gca())
    lines = {line.get_label(): line for line in ax.get_lines()}
    np.testing.assert_allclose(lines["fit, degree 3"].get_ydata(), fit.predict(lines["fit, degree 3"].get_xdata()))
    assert "true function" in lines and len(ax.collections) == 2
    assert ax.get_title().startswith("Degree 3\ntraining MSE") and "validation MSE" in ax.get_title()
    assert ax.get_xlabel() == "$x$" and ax.get_legend() is not None
    wild = plot_polynomial_fit(fit_polynomial(TRAIN[0][:5], TRAIN[1][:5], 15), TRAIN, ylim=(-3, 3), ax=plt.figure().gca())
    assert wild.get_ylim() == (-3, 3)


def test_plot_loss_curve_stars_the_best_and_marks_the_current_value():
    import matplotlib.pyplot as plt

    curve = losses_vs_degree(TRAIN, VAL, range(16))
    ax = plot_loss_curve(curve, xlabel="n", show_best=False, ax=plt.figure().gca())
    assert [line.get_label() for line in ax.get_lines()] == ["training MSE", "validation MSE"]
    ax = plot_loss_curve(curve, xlabel="degree", mark=7, mark_label="current degree", ax=plt.figure().gca())
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[:2] == ["training MSE", "validation MSE"]
    assert any(label.startswith("lowest validation MSE (at ") for label in labels)
    assert "current degree (7)" in labels and ax.get_yscale() == "log"
    assert np.min(ax.get_lines()[0].get_ydata()) >= 1e-6  # exact fits drawn at the floor, not at 1e-30


def test_plot_coefficients_and_paths_count_the_zeros():
    import matplotlib.pyplot as plt

    w_l1, w_l2 = np.array([0.1, 0.0, 2.0, 0.0]), np.array([0.1, 0.3, 1.8, -0.2])
    ax = plot_coefficients({"L1": w_l1, "L2": w_l2}, ax=plt.figure().gca())
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["L1: 2 of 3 exactly 0", "L2: 0 of 3 exactly 0"]
    assert len(ax.patches) == 8
    strengths = np.logspace(-3, 0, 4)
    path = coefficient_path(*TRAIN, 6, strengths, penalty="l1")
    ax = plot_coefficient_path(strengths, path, penalty="L1", ax=plt.figure().gca())
    assert len([line for line in ax.get_lines() if len(line.get_xdata()) == 4]) == 6
    ax = plot_coefficient_path(strengths, path, penalty="L1", highlight=(1, 3), ax=plt.figure().gca())
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["other $w_k$", "$w_{1}$", "$w_{3}$"]
    bold = [line for line in ax.get_lines() if line.get_label() == "$w_{3}$"][0]
    np.testing.assert_allclose(bold.get_ydata(), path[:, 3])
    assert ax.get_xscale() == "log" and ax.get_title().startswith("L1 coefficient path (")
    with pytest.raises(ValueError, match="path must be"):
        plot_coefficient_path(strengths, path[:2], penalty="L1")


def test_plot_shrinkage_draws_both_rules():
    import matplotlib.pyplot as plt

    ax = plot_shrinkage(0.5, ax=plt.figure().gca())
    lines = {line.get_label(): line for line in ax.get_lines()}
    l1 = lines["L1: soft-threshold $S_t(w)$"]
    np.testing.assert_allclose(l1.get_ydata(), soft_threshold(l1.get_xdata(), 0.5))
    np.testing.assert_allclose(lines["L2: $w/(1+t)$"].get_ydata(), lines["L2: $w/(1+t)$"].get_xdata() / 1.5)
    assert "t = 0.5" in ax.get_title()


def test_plot_before_after_draws_train_and_val_per_run():
    import matplotlib.pyplot as plt

    runs = {}
    for name, shift in (("before", 0.0), ("after", 0.2)):
        h = History()
        for e in range(4):
            h.log_epoch(train_loss=1.0 / (e + 1), val_loss=0.5 + shift + 0.1 * e, train_acc=0.5, val_acc=0.6)
        runs[name] = h
    ax = plot_before_after(runs, marks={"early stop": 2, "best": 1}, ylim=(0, 1), ax=plt.figure().gca())
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["before: training", "before: validation", "after: training", "after: validation",
                      "early stop (epoch 2)", "best (epoch 1)"]
    assert ax.get_lines()[4].get_linestyle() != ax.get_lines()[5].get_linestyle() and ax.get_ylim() == (0, 1)
    np.testing.assert_allclose(ax.get_lines()[3].get_ydata(), runs["after"].val_loss)
    ax = plot_before_after(runs, metric="acc", ax=plt.figure().gca())
    assert ax.get_ylabel() == "accuracy"


def test_plot_clipping_runs_and_gradient_norms():
    import matplotlib.pyplot as plt

    from course_lib.lessons.l06_overfitting_and_regularization.overfitting import ClippingRun

    runs = {
        "no clipping": ClippingRun(np.array([10.0, 1e6, np.inf]), np.array([1e3, 1e8]), None, 3),
        "clipped": ClippingRun(np.array([10.0, 8.0, 6.0]), np.array([1e3, 5e2, 1e2]), 1.0, None),
    }
    ax = plot_clipping_runs(runs, ax=plt.figure().gca())
    labels = [line.get_label() for line in ax.get_lines()]
    assert "no clipping (loss not finite at step 3)" in labels and "clipped" in labels
    assert np.all(np.isfinite(ax.get_lines()[0].get_ydata()))  # the inf is not drawn, a × marks the end
    ax = plot_clipping_runs(runs, ymax=1e4, ax=plt.figure().gca())
    assert ax.get_ylim()[1] == 1e4 and max(ax.get_lines()[0].get_ydata()) == 1e4
    assert [t.get_text() for t in ax.texts] == ["1e+06, off the scale"]
    ax = plot_clipping_runs(runs, quantity="grad_norm", ax=plt.figure().gca())
    assert "clipping threshold 1" in [line.get_label() for line in ax.get_lines()]
    with pytest.raises(ValueError, match="quantity"):
        plot_clipping_runs(runs, quantity="weights")
    ax = plot_gradient_norms_by_depth([2, 4, 6], {"gain 1.5": [1, 10, 100], "gain 1": [1, 1, 1]}, ax=plt.figure().gca())
    assert [line.get_label() for line in ax.get_lines()] == ["gain 1.5", "gain 1"] and ax.get_yscale() == "log"


# ---- the explorer -------------------------------------------------------------------------------


def _messages(ax):
    return [t.get_text() for t in ax.texts]


def test_polynomial_explorer_redraws_for_every_control_and_its_extremes():
    explorer = polynomial_explorer()
    ax_fit, ax_loss = explorer.figure.axes
    c = explorer.controls
    assert set(c) == {"degree", "l2", "penalty", "n", "reset"}
    assert ax_fit.get_title().startswith("Degree 15\ntraining MSE") and "λ = 0, n = 20" in ax_loss.get_title()
    for d in (c["degree"].min, c["degree"].max, 4):
        c["degree"].value = d
        assert ax_fit.get_title().startswith(f"Degree {d}\n")
        assert f"current degree ({d})" in [line.get_label() for line in ax_loss.get_lines()]
    fit_line = next(line for line in ax_fit.get_lines() if line.get_label() == "fit, degree 4")
    assert len(fit_line.get_xdata()) == 400
    assert c["l2"].disabled  # λ is off until the penalty is switched on
    c["penalty"].value = True
    assert not c["l2"].disabled
    for lam in (c["l2"].max, 10 ** c["l2"].min):
        c["l2"].value = lam
        assert f"λ = {lam:.2g}" in ax_fit.get_title() and f"λ = {lam:.2g}" in ax_loss.get_title()
    c["l2"].value = 10 ** c["l2"].max
    flat = next(line for line in ax_fit.get_lines() if line.get_label().startswith("fit"))
    assert np.ptp(flat.get_ydata()) < 1.5  # the strongest λ squeezes the curve towards a constant
    assert ax_loss.get_ylim() == (1e-4, 1e4)  # a fixed range while the sliders move
    for k in (c["n"].min, c["n"].max):
        c["n"].value = k
        assert f"n = {k}" in ax_loss.get_title()
        assert ax_fit.collections[1].get_offsets().shape == (k, 2)  # the training points shown


def test_polynomial_explorer_warns_on_an_underdetermined_fit_and_resets():
    explorer = polynomial_explorer()
    ax_fit = explorer.figure.axes[0]
    c = explorer.controls
    c["degree"].value, c["n"].value = 15, 5  # 16 coefficients from 5 points, λ = 0
    assert any("infinitely many" in m.replace("\n", " ") for m in _messages(ax_fit))
    c["penalty"].value = True  # any λ > 0 makes the fit unique: the warning goes
    assert not _messages(ax_fit)
    c["reset"].click()
    assert (c["degree"].value, c["n"].value, c["penalty"].value) == (15, 20, False)
    assert "n = 20" in explorer.figure.axes[1].get_title()
    assert "application/vnd.jupyter.widget-view+json" in explorer._repr_mimebundle_()
    with pytest.raises(ValueError, match="n must be between"):
        polynomial_explorer(n=2)


# ---- self-checks --------------------------------------------------------------------------------


def right_ridge_gradient(w, features, y, l2):
    grad = 2 / len(y) * features.T @ (features @ w - y)
    penalty = l2 * w.copy()
    penalty[0] = 0.0
    return grad + penalty


def right_soft_threshold(w, t):
    return np.sign(w) * np.maximum(np.abs(w) - t, 0)


def right_dropout(x, p, rng):
    return x * (rng.random(x.shape) >= p) / (1 - p)


def right_dropout_modes(x, p, rng, training):
    if not training:
        return x.copy(), None
    mask = rng.random(x.shape) >= p
    return x * mask / (1 - p), mask


def right_dropout_backward(dy, mask, p):
    return dy * mask / (1 - p)


def _modes(train_rule, eval_rule=lambda x, p: x):
    """A dropout_modes answer built from a training rule f(x, keep, p) and an evaluation rule g(x, p)."""
    def answer(x, p, rng, training):
        keep = rng.random(x.shape) >= p
        return (train_rule(x, keep, p), keep) if training else (eval_rule(x, p), None)
    return answer



RIGHT_AND_WRONG = [
    (check_ridge_gradient, right_ridge_gradient, lambda w, f, y, l2: 2 / len(y) * f.T @ (f @ w - y) + l2 * w, "bias w₀ is penalised"),
    (check_ridge_gradient, right_ridge_gradient, lambda w, f, y, l2: right_ridge_gradient(w, f, y, l2) - 1 / len(y) * f.T @ (f @ w - y), "factor 2"),
    (check_ridge_gradient, right_ridge_gradient, lambda w, f, y, l2: -right_ridge_gradient(w, f, y, l2), "sign"),
    (check_ridge_gradient, right_ridge_gradient, lambda w, f, y, l2: right_ridge_gradient(w, f, y, l2 / 2), "halved"),
    (check_soft_threshold, right_soft_threshold, lambda w, t: w * (np.abs(w) > t), "hard"),
    (check_soft_threshold, right_soft_threshold, lambda w, t: np.maximum(np.abs(w) - t, 0), "sign(w)"),
    (check_soft_threshold, right_soft_threshold, lambda w, t: w - np.sign(w) * t, "crossed 0"),
    (check_dropout_forward, right_dropout, lambda x, p, rng: x * (rng.random(x.shape) >= p), "not scaled"),
    (check_dropout_forward, right_dropout, lambda x, p, rng: x * (rng.random(x.shape) < p) / (1 - p), "probability of *dropping*"),
    (check_dropout_forward, right_dropout, lambda x, p, rng: x * (rng.random(x.shape) >= p) * (1 - p), "*divide*"),
    (check_dropout_forward, right_dropout, lambda x, p, rng: x * (rng.random(x.shape) < 1 - p) / (1 - p), "same seed"),
    (check_dropout_modes, right_dropout_modes, _modes(lambda x, k, p: x * k), "not scaled"),
    (check_dropout_modes, right_dropout_modes, _modes(lambda x, k, p: x * ~k / (1 - p)), "probability of *dropping*"),
    (check_dropout_modes, right_dropout_modes, _modes(lambda x, k, p: x * k * (1 - p)), "*divided*"),
    (check_dropout_modes, right_dropout_modes, _modes(lambda x, k, p: x * k / (1 - p), lambda x, p: x * (1 - p)),
     "scaled in evaluation mode"),
    (check_dropout_modes, right_dropout_modes, _modes(lambda x, k, p: x * k / (1 - p), lambda x, p: x / (1 - p)),
     "scaled in evaluation mode"),
    (check_dropout_modes, right_dropout_modes,
     lambda x, p, rng, training: right_dropout_modes(x, p, rng, True), "dropped in evaluation mode"),
    (check_dropout_modes, right_dropout_modes,
     lambda x, p, rng, training: (right_dropout_modes(x, p, rng, training)[0], None), "the mask returned"),
    (check_dropout_backward, right_dropout_backward, lambda dy, mask, p: dy / (1 - p), "mask is ignored"),
    (check_dropout_backward, right_dropout_backward, lambda dy, mask, p: dy * mask, "1/(1 − p) is missing"),
    (check_dropout_backward, right_dropout_backward, lambda dy, mask, p: dy * mask * (1 - p), "*divided*"),
    (check_dropout_backward, right_dropout_backward, lambda dy, mask, p: dy * ~mask / (1 - p), "dropped entries"),
    (check_dropout_backward, right_dropout_backward, lambda dy, mask, p: dy, "evaluation mode"),
    (check_dropout_backward, right_dropout_backward,
     lambda dy, mask, p: dy * (np.random.default_rng(9).random(dy.shape) >= p) / (1 - p), "new random draw"),
]


@pytest.mark.parametrize(("check", "right", "wrong", "lesson"), RIGHT_AND_WRONG)
def test_checks_accept_the_right_answer_and_explain_typical_mistakes(check, right, wrong, lesson, assert_teaches):
    assert_teaches(check, right, wrong, lesson, expected=False)




def test_remedy_settings_switch_on_each_remedy_at_its_strength():
    settings = remedy_settings({"weight decay": 0.1, "dropout": 0.3, "augmentation": (1, 5.0)})
    assert settings == {"no remedy": {}, "weight decay": {"weight_decay": 0.1}, "dropout": {"dropout": 0.3},
                        "batch norm": {"batch_norm": True}, "augmentation": {"augment_strength": (1, 5.0), "augment": True}}


def test_tuned_strengths_are_each_grids_argmin_on_validation():
    """The constants the notebook's ranking uses must be what tune_remedy_strengths picks today (about 10-30 s)."""
    X, y = load_mnist("train")
    pick = np.random.default_rng(3).permutation(len(X))[:2000]  # the notebook's 1 000 + 1 000 digits
    table = tune_remedy_strengths((X[pick[:1000]], y[pick[:1000]]), (X[pick[1000:]], y[pick[1000:]]))
    assert set(table) == set(REMEDY_GRIDS) == set(TUNED_STRENGTHS)
    for name, scores in table.items():
        assert list(scores) == list(REMEDY_GRIDS[name][1])
        assert TUNED_STRENGTHS[name] == min(scores, key=scores.get), (name, scores)
