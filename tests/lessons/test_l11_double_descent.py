"""Lesson 11, section 6 (double descent): the random-feature model and its minimum-norm fit, the numbers the
prose quotes (the peak's place and height, without noise, with ridge), the min_norm_fit check's named wrong
answers and the peak prediction."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.lessons.l11_is_it_really_better.checks import (
    WIDTH_OPTIONS, check_min_norm_fit, choose_double_descent_peak, min_norm_cases)
from course_lib.lessons.l11_is_it_really_better.double_descent import (
    CUBIC, FirstLayer, frozen_first_layer, last_layer_descent, least_norm_weights, make_width_problem,
    null_space_part, plot_sweep, plot_width_fit, sweep_widths, width_sweep)
from course_lib.lessons.l11_is_it_really_better.explorers import double_descent_explorer


def right(F, y):  # the notebook's solution: F⁺ y built from the SVD
    U, s, Vt = np.linalg.svd(F, full_matrices=False)
    keep = s > s[0] * max(F.shape) * np.finfo(float).eps
    s_plus = np.zeros_like(s)
    s_plus[keep] = 1 / s[keep]
    return Vt.T @ (s_plus * (U.T @ y))


@pytest.fixture(scope="module")
def sweeps():
    """The notebook's three sweeps: N = 40, five seeds; noisy, noiseless, noisy with ridge 1e-4."""
    widths = sweep_widths(40)
    return {"noisy": width_sweep(widths, noise=0.3), "clean": width_sweep(widths, noise=0.0),
            "ridge": width_sweep(widths, noise=0.3, ridge=1e-4)}


# ---- the model --------------------------------------------------------------------------------------


def test_the_problem_is_the_cubic_at_evenly_spaced_points_with_label_noise_only_in_training():
    p = make_width_problem(40, noise=0.3, seed=0)
    np.testing.assert_allclose(p.x_train, np.linspace(-1, 1, 40))
    truth = np.polynomial.polynomial.polyval(p.x_train, CUBIC)
    assert 0.2 < np.std(p.y_train - truth) < 0.4
    np.testing.assert_allclose(p.y_test, np.polynomial.polynomial.polyval(p.x_test, CUBIC))
    np.testing.assert_allclose(make_width_problem(10, noise=0.0).y_train, np.polynomial.polynomial.polyval(
        np.linspace(-1, 1, 10), CUBIC))
    for bad in ({"n_train": 1}, {"n_train": 4.5}, {"noise": -0.1}, {"noise": float("nan")}):
        with pytest.raises(ValueError, match="make_width_problem"):
            make_width_problem(**{"n_train": 10, **bad})


def test_the_first_layer_turns_inside_the_data_and_narrower_widths_are_its_first_units():
    layer = frozen_first_layer(200, seed=3)
    centres = -layer.b / layer.w
    assert np.all(np.abs(centres) <= 1)
    x = np.linspace(-1, 1, 7)
    np.testing.assert_allclose(layer.features(x, 5), np.tanh(np.outer(x, layer.w[:5]) + layer.b[:5]))
    np.testing.assert_allclose(layer.features(x, 5), layer.features(x, 200)[:, :5])
    assert not np.allclose(frozen_first_layer(5, seed=4).w, frozen_first_layer(5, seed=3).w)
    with pytest.raises(ValueError, match="between 1 and the layer's 200 units"):
        layer.features(x, 201)
    with pytest.raises(ValueError, match="n_hidden"):
        frozen_first_layer(0)


def test_least_norm_weights_by_hand():
    """One equation a1 + a2 = 2: the shortest solution shares it, (1, 1); ridge λ gives 2/(2 + λ) each."""
    F, y = np.array([[1.0, 1.0]]), np.array([2.0])
    np.testing.assert_allclose(least_norm_weights(F, y), [1.0, 1.0])
    np.testing.assert_allclose(least_norm_weights(F, y, ridge=1.0), [2 / 3, 2 / 3])
    # Two equations, one unknown: the least-squares fit is the mean.
    np.testing.assert_allclose(least_norm_weights(np.array([[1.0], [1.0]]), np.array([1.0, 3.0])), [2.0])
    # Ridge's two forms agree, with more features than points and fewer.
    rng = np.random.default_rng(0)
    for shape in [(5, 9), (9, 5)]:
        F, y = rng.standard_normal(shape), rng.standard_normal(shape[0])
        np.testing.assert_allclose(least_norm_weights(F, y, ridge=0.3),
                                   np.linalg.solve(F.T @ F + 0.3 * np.eye(shape[1]), F.T @ y))
    for bad in [(np.ones(3), np.ones(3)), (np.ones((3, 2)), np.ones(2))]:
        with pytest.raises(ValueError, match="shape"):
            least_norm_weights(*bad)
    with pytest.raises(ValueError, match="ridge"):
        least_norm_weights(np.ones((2, 2)), np.ones(2), ridge=-1)


def test_descent_from_zero_stays_in_the_row_space_and_a_random_start_keeps_its_null_part():
    problem, layer = make_width_problem(40, seed=0), frozen_first_layer(120, seed=0)
    F = layer.features(problem.x_train, 120)
    lr = len(F) / np.linalg.norm(F, 2) ** 2
    start = np.random.default_rng(1).normal(size=120)
    assert null_space_part(F, last_layer_descent(F, problem.y_train, np.zeros(120), lr=lr, steps=300)) < 1e-9
    ending = last_layer_descent(F, problem.y_train, start, lr=lr, steps=300)
    assert null_space_part(F, ending) == pytest.approx(null_space_part(F, start), rel=1e-6)
    assert null_space_part(F, start) > 1
    # On a well-conditioned problem descent from zero reaches the minimum-norm fit itself.
    G, z = np.random.default_rng(2).standard_normal((5, 12)), np.random.default_rng(3).standard_normal(5)
    lr = len(G) / np.linalg.norm(G, 2) ** 2
    np.testing.assert_allclose(last_layer_descent(G, z, np.zeros(12), lr=lr, steps=5000), right(G, z), atol=1e-8)


def test_sweep_widths_span_one_to_ten_n_on_a_log_axis_with_n_among_them():
    widths = sweep_widths(40)
    assert widths[0] == 1 and widths[-1] == 400 and 40 in widths and np.all(np.diff(widths) > 0)
    assert 25 <= len(widths) <= 41
    assert 12 in sweep_widths(12)


# ---- what the prose says ---------------------------------------------------------------------------


def test_the_test_error_peaks_at_the_threshold_many_times_above_the_far_right(sweeps):
    noisy = sweeps["noisy"]
    width, height = noisy.peak()
    assert 40 / 1.5 <= width <= 40 * 1.5
    assert height / noisy.far_right() > 100
    assert 0.03 < noisy.far_right() < 0.3
    assert noisy.median_test.min() / noisy.far_right() < 0.6  # the best narrow network beats the far right here
    widths = noisy.widths
    seed_peaks = [widths[np.argmax(np.where(widths > 2, t, 0))] for t in noisy.test]
    assert all(40 / 1.5 <= w <= 40 * 1.5 for w in seed_peaks), seed_peaks
    assert np.median(noisy.train, axis=0)[widths >= 40].max() < 1e-6  # exact fits from N on
    assert np.median(noisy.train, axis=0)[widths < 30].min() > 1e-3  # and not before


def test_without_noise_there_is_no_peak_and_ridge_flattens_it(sweeps):
    noisy, clean, ridge = sweeps["noisy"], sweeps["clean"], sweeps["ridge"]
    near = (noisy.widths >= 20) & (noisy.widths <= 80)
    assert clean.median_test[near].max() < 0.01
    assert ridge.median_test[near].max() < 0.2
    assert noisy.median_test[near].max() / ridge.median_test[near].max() > 1000
    assert ridge.far_right() / noisy.far_right() < 1.2


def test_the_weights_are_longest_at_the_threshold_and_short_far_right():
    problem, layer = make_width_problem(40, seed=0), frozen_first_layer(400, seed=0)
    widths = sweep_widths(40)
    lengths = [np.linalg.norm(right(layer.features(problem.x_train, p), problem.y_train)) for p in widths]
    assert 40 / 1.5 <= widths[int(np.argmax(lengths))] <= 40 * 1.5
    assert max(lengths) / lengths[-1] > 100


def test_plots_draw_the_median_band_threshold_and_fit():
    from matplotlib.figure import Figure

    sweep = width_sweep(sweep_widths(10), seeds=(0, 1), n_train=10)
    ax = Figure().subplots()
    plot_sweep(sweep, ax)
    assert len(ax.lines) == 3 and len(ax.collections) == 1 and ax.get_xscale() == "log"
    np.testing.assert_allclose(ax.lines[0].get_ydata(), sweep.median_test)
    assert ax.lines[2].get_xdata()[0] == 10  # the threshold line
    ax = Figure().subplots()
    plot_width_fit(make_width_problem(10), frozen_first_layer(30), 30, ax)
    assert len(ax.lines) == 3 and "width 30" in ax.get_title()


def test_the_explorer_refuses_settings_it_has_no_control_for():
    with pytest.raises(ValueError, match="width must be one of"):
        double_descent_explorer(n_train=12, width=1000)
    with pytest.raises(ValueError, match="ridge one of"):
        double_descent_explorer(n_train=12, width=12, ridge=0.5)


# ---- the check and the prediction --------------------------------------------------------------------


def test_the_check_passes_the_svd_solution_and_restores_the_shortcuts():
    pinv, lstsq = np.linalg.pinv, np.linalg.lstsq
    check_min_norm_fit(right)
    assert (np.linalg.pinv, np.linalg.lstsq) == (pinv, lstsq)


@pytest.mark.parametrize("shortcut", [lambda F, y: np.linalg.pinv(F) @ y,
                                      lambda F, y: np.linalg.lstsq(F, y, rcond=None)[0]])
def test_the_check_refuses_pinv_and_lstsq_and_restores_them(assert_teaches, shortcut):
    assert_teaches(check_min_norm_fit, right, shortcut, "build F⁺ from the SVD", expected=False)
    np.testing.assert_allclose(np.linalg.pinv(np.eye(2) * 2), np.eye(2) / 2)  # switched on again


def test_the_check_names_a_singular_value_inverted_without_a_tolerance(assert_teaches):
    def no_tolerance(F, y):
        U, s, Vt = np.linalg.svd(F, full_matrices=False)
        return Vt.T @ ((U.T @ y) / s)
    assert_teaches(check_min_norm_fit, right, no_tolerance, "0 up to rounding")


def test_the_check_names_v_taken_for_vt(assert_teaches):
    def untransposed(F, y):
        U, s, Vt = np.linalg.svd(F, full_matrices=False)
        return Vt @ ((U.T @ y) / s)
    assert_teaches(check_min_norm_fit, right, untransposed, "not V", expected=False)


def test_the_check_names_the_normal_equations_with_no_inverse(assert_teaches):
    assert_teaches(check_min_norm_fit, right, lambda F, y: np.linalg.solve(F.T @ F, F.T @ y), "normal equations")


def test_the_check_names_an_exact_fit_that_is_not_the_shortest(assert_teaches):
    def basic(F, y):  # fit with the first N features only: exact, but not the shortest
        n, p = F.shape
        a = np.zeros(p)
        a[: min(n, p)] = np.linalg.solve(F[:, :n], y) if p > n else 0
        return a if p > n else right(F, y)
    assert_teaches(check_min_norm_fit, right, basic, "longer")


def test_the_check_names_a_random_start_that_keeps_its_invisible_part(assert_teaches):
    def from_random(F, y):
        a0 = np.random.default_rng(0).standard_normal(F.shape[1])
        return a0 + right(F, y - F @ a0)
    assert_teaches(check_min_norm_fit, right, from_random, "they carry a direction F cannot see")


def test_the_check_names_ridge(assert_teaches):
    def ridge(F, y):
        return F.T @ np.linalg.solve(F @ F.T + 0.1 * np.eye(len(F)), y) if F.shape[1] >= len(F) else right(F, y)
    assert_teaches(check_min_norm_fit, right, ridge, "penalty")


def test_the_check_names_the_underdetermined_formula_used_with_fewer_features(assert_teaches):
    def dual(F, y):  # the formula for more features than points, used everywhere
        return F.T @ np.linalg.solve(F @ F.T, y) if F.shape[1] >= len(F) else F.T @ np.linalg.solve(
            F @ F.T + 1e-3 * np.eye(len(F)), y)
    assert_teaches(check_min_norm_fit, right, dual, "orthogonal to every column")


def test_the_check_refuses_one_weight_per_point(assert_teaches):
    assert_teaches(check_min_norm_fit, right, lambda F, y: y.copy(),
                   "one weight per feature")


def test_the_check_cases_cover_every_kind_of_f():
    shapes = [F.shape for F, _ in min_norm_cases()]
    assert any(n > p for n, p in shapes) and any(n < p for n, p in shapes) and any(n == p for n, p in shapes)
    ranks = [np.linalg.matrix_rank(F) < min(F.shape) for F, _ in min_norm_cases()]
    assert sum(ranks) == 1  # more points than features, one feature twice: many least-squares fits


def test_the_prediction_is_the_threshold(capsys):
    assert choose_double_descent_peak.truth() == WIDTH_OPTIONS[1]
    assert choose_double_descent_peak("near width N = 40") is True
    assert choose_double_descent_peak(WIDTH_OPTIONS[2]) is False
    assert choose_double_descent_peak(None) is None


def test_first_layer_is_a_plain_record():
    layer = FirstLayer(np.array([1.0]), np.array([0.0]))
    np.testing.assert_allclose(layer.features([0.5], 1), [[np.tanh(0.5)]])


def test_the_check_explains_a_matrix_with_no_inverse(assert_teaches):
    def inverts_a_singular_matrix(F, y):
        return np.linalg.inv(np.zeros((2, 2)))
    assert_teaches(check_min_norm_fit, right, inverts_a_singular_matrix, "no inverse", expected=False)


def test_the_check_names_weights_that_are_not_finite(assert_teaches):
    assert_teaches(check_min_norm_fit, right, lambda F, y: np.full(F.shape[1], np.inf), "not finite")
