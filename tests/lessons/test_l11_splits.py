"""Lesson 11, sections 1-2 (three sets and leakage; k-fold cross-validation): the k-fold check's named wrong
answers, the reference loop and models, the leak experiments and what the prose says about them."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.data import load_mnist, make_polynomial_regression
from course_lib.lessons.l11_is_it_really_better.checks import (
    LEAK_SEEDS, KFoldSpy, check_kfold_scores, kfold_cases, predict_selection_leak)
from course_lib.lessons.l11_is_it_really_better.splits import (
    cross_val_scores, duplicate_leak, kfold_indices, nearest_centroid, nearest_neighbour,
    normalisation_leak, over_seeds, plot_cv_scores, plot_leaks, polynomial_model, selection_leak, softmax_model,
    top_correlated, tuning_leak)


# ---- the learner's loop: the right answer and the typical mistakes ------------------------------------


def right(X, y, k, fit, score, rng):
    folds = np.array_split(rng.permutation(len(X)), k)
    scores = []
    for i in range(k):
        rest = np.concatenate(folds[:i] + folds[i + 1:])
        scores.append(score(fit(X[rest], y[rest]), X[folds[i]], y[folds[i]]))
    return np.array(scores)


def right_another_way(X, y, k, fit, score, rng):
    """Another shuffle (rng.choice), the remainder in the last folds, training rows by set difference."""
    order, n = rng.choice(len(X), len(X), replace=False), len(X)
    folds = [order[i * n // k:(i + 1) * n // k] for i in range(k)]
    return [score(fit(X[np.setdiff1d(order, f)], y[np.setdiff1d(order, f)]), X[f], y[f]) for f in folds]


def fits_on_all_rows(X, y, k, fit, score, rng):
    folds = np.array_split(rng.permutation(len(X)), k)
    return np.array([score(fit(X, y), X[f], y[f]) for f in folds])


def drops_the_remainder(X, y, k, fit, score, rng):
    order, m = rng.permutation(len(X)), len(X) // k
    folds = [order[i * m:(i + 1) * m] for i in range(k)]
    kept = order[:m * k]
    return np.array([score(fit(X[np.setdiff1d(kept, f)], y[np.setdiff1d(kept, f)]), X[f], y[f]) for f in folds])


def no_shuffle(X, y, k, fit, score, rng):
    return right(X, y, k, fit, score, _Identity())


class _Identity:
    """A stand-in generator whose permutation keeps the order (the rows are never shuffled)."""

    def permutation(self, n):
        return np.arange(n)


def overlapping_folds(X, y, k, fit, score, rng):
    folds = [rng.choice(len(X), len(X) // k + 1, replace=False) for _ in range(k)]
    rest = [np.setdiff1d(np.arange(len(X)), f) for f in folds]
    return np.array([score(fit(X[r], y[r]), X[f], y[f]) for r, f in zip(rest, folds)])


def standardises_on_all_rows(X, y, k, fit, score, rng):
    return right((X - X.mean(axis=0)) / X.std(axis=0), y, k, fit, score, rng)


def shuffles_labels_apart(X, y, k, fit, score, rng):
    X, y = X[rng.permutation(len(X))], y[rng.permutation(len(y))]
    return right(X, y, k, fit, score, rng)


def fits_on_one_other_fold(X, y, k, fit, score, rng):
    folds = np.array_split(rng.permutation(len(X)), k)
    return np.array([score(fit(X[folds[i - 1]], y[folds[i - 1]]), X[folds[i]], y[folds[i]]) for i in range(k)])


@pytest.mark.parametrize("answer", [right, right_another_way], ids=["array_split", "choice_and_setdiff"])
def test_right_answers_pass(answer, capsys):
    check_kfold_scores(answer)
    assert "passed all 6 checks" in capsys.readouterr().out


@pytest.mark.parametrize(("wrong", "words"), [
    (fits_on_all_rows, "fold leakage"),
    (drops_the_remainder, "never validated (dropped as the remainder"),
    (no_shuffle, "Shuffle the row numbers once"),
    (lambda *a: right(*a).mean(), "this is the mean of the fold scores"),
    (lambda X, y, k, fit, score, rng: right(X, y, k - 1, fit, score, rng), "that is 4 folds, not k"),
    (lambda X, y, k, fit, score, rng: right(X, y, k + 1, fit, score, rng), "that is 6 folds, not k"),
    (standardises_on_all_rows, "standardised with the mean and standard deviation of ALL"),
    (overlapping_folds, "the folds overlap"),
    (shuffles_labels_apart, "do not belong to the rows they came with"),
    (fits_on_one_other_fold, "fitted on fewer rows than all the other folds"),
    (lambda X, y, k, fit, score, rng: right(X, y, k, fit, score, np.random.default_rng()), "the same seed gave different"),
    (lambda X, y, k, fit, score, rng: right(X, y, k, fit, score, np.random.default_rng(0)), "different seeds gave the same"),
    (lambda *a: right(*a)[::-1], "in the order of the folds"),
    (lambda X, y, k, fit, score, rng: [score(None, X, y) for _ in range(k)] and right(X, y, k, fit, score, rng),
     "fit was called 5 times and score 10 times"),
], ids=["all_rows", "remainder", "no_shuffle", "mean", "k-1", "k+1", "preprocessing", "overlap", "labels", "one_fold",
        "global_rng", "own_seed", "order", "extra_scores"])
def test_each_typical_mistake_is_named(assert_teaches, wrong, words):
    assert_teaches(check_kfold_scores, right, wrong, words)


def test_the_check_cases_have_sorted_labels_and_a_remainder():
    cases = kfold_cases()
    assert all(np.all(np.diff(y) >= 0) and len(np.unique(y)) > 1 for _, y, _, _ in cases)
    assert any(len(X) % k for X, _, k, _ in cases) and any(len(X) == k for X, _, k, _ in cases)


def test_the_spy_names_the_rows_it_was_given():
    X, y, _, _ = kfold_cases()[0]
    spy = KFoldSpy(X, y)
    model = spy.fit(X[[3, 1, 4]], y[[3, 1, 4]])
    spy.score(model, X[[0, 2]], y[[0, 2]])
    np.testing.assert_array_equal(spy.fits[0], [3, 1, 4])
    assert spy.scores[0][0] == 0 and list(spy.scores[0][1]) == [0, 2] and spy.labels_ok
    spy.fit(X[:2] + 1.0, y[:2])
    assert spy.fits[1] is None


# ---- the reference loop -------------------------------------------------------------------------------------


def test_kfold_indices_cut_a_shuffle_into_nearly_equal_disjoint_folds(rng):
    folds = kfold_indices(43, 5, rng)
    assert [len(f) for f in folds] == [9, 9, 9, 8, 8]
    np.testing.assert_array_equal(np.sort(np.concatenate(folds)), np.arange(43))
    assert not np.array_equal(np.concatenate(folds), np.arange(43))


def test_cross_val_scores_validates_every_row_once_on_a_model_that_never_saw_it():
    X = np.arange(20.0)[:, None]
    seen = []
    scores = cross_val_scores(X, X[:, 0], 4, lambda Xt, yt: set(yt), lambda m, Xv, yv: seen.append((m, set(yv))) or len(yv),
                              np.random.default_rng(0))
    np.testing.assert_array_equal(scores, [5, 5, 5, 5])
    assert all(not (train & val) and len(train | val) == 20 for train, val in seen)
    assert set().union(*(val for _, val in seen)) == set(range(20))


def test_cross_val_scores_agrees_with_scikit_learns_kfold_on_the_same_folds():
    """scikit-learn (a test-only oracle): KFold with the same folds and a plain least-squares model."""
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import cross_val_score

    X, y = make_polynomial_regression(30, noise=0.2, seed=3)
    folds = kfold_indices(30, 5, np.random.default_rng(7))
    splits = [(np.setdiff1d(np.arange(30), f), f) for f in folds]
    theirs = -cross_val_score(LinearRegression(), X, y, cv=splits, scoring="neg_mean_squared_error")
    ours = cross_val_scores(X, y, 5, *polynomial_model(1), np.random.default_rng(7))
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: kfold_indices(10, 1, np.random.default_rng(0)), "between 2 and n = 10"),
    (lambda: kfold_indices(10, 11, np.random.default_rng(0)), "between 2 and n = 10"),
    (lambda: kfold_indices(10, 3.0, np.random.default_rng(0)), "whole number of folds"),
    (lambda: kfold_indices(10, 3, 0), "numpy.random.Generator"),
    (lambda: cross_val_scores(np.zeros((5, 1)), np.zeros(4), 2, None, None, np.random.default_rng(0)), "one row per"),
    (lambda: polynomial_model(-1), "degree must be"),
    (lambda: softmax_model(-0.1), "l2 must be"),
])
def test_bad_arguments_are_refused_with_what_to_do(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# ---- the models ----------------------------------------------------------------------------------------------


def test_the_polynomial_model_recovers_a_noiseless_cubic():
    x = np.linspace(-1, 1, 12)[:, None]
    y = 0.5 - x[:, 0] - 1.5 * x[:, 0] ** 2 + 2 * x[:, 0] ** 3
    fit, score = polynomial_model(3)
    assert score(fit(x, y), x, y) < 1e-20
    fit1, score1 = polynomial_model(1)
    assert score1(fit1(x, y), x, y) > 0.05


def test_the_softmax_model_learns_digits_and_a_huge_l2_hurts():
    X, y = load_mnist("train", normalize="standard")
    X, y = X[:1200], y[:1200]
    fit, score = softmax_model(0.0)
    assert score(fit(X[:1000], y[:1000]), X[1000:], y[1000:]) > 0.8
    fit, score = softmax_model(1.0)
    assert score(fit(X[:1000], y[:1000]), X[1000:], y[1000:]) < 0.85


def test_nearest_centroid_and_nearest_neighbour_by_hand():
    X_train, y_train = np.array([[0.0, 0.0], [0.0, 2.0], [10.0, 0.0]]), np.array([0, 0, 1])
    np.testing.assert_array_equal(nearest_centroid(X_train, y_train, np.array([[0.0, 1.0], [8.0, 0.0]])), [0, 1])
    np.testing.assert_array_equal(nearest_neighbour(X_train, y_train, np.array([[0.0, 1.9], [6.0, 0.0]])), [0, 1])


def test_top_correlated_finds_the_feature_that_is_the_label():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 100)
    X = rng.standard_normal((100, 50))
    X[:, 17] = y + 0.1 * rng.standard_normal(100)
    X[:, 3] = -y + 0.5 * rng.standard_normal(100)
    np.testing.assert_array_equal(top_correlated(X, y, 2), [17, 3])


# ---- the leaks, as the notebook measures them -------------------------------------------------------------------


def test_feature_selection_on_all_rows_turns_noise_into_77_percent():
    r = over_seeds(selection_leak, LEAK_SEEDS)
    assert 0.42 < r[:, 0].mean() < 0.58 and 0.75 < r[:, 1].mean() < 0.8
    assert (r[:, 1] - r[:, 0]).min() > 0.1


def test_the_prediction_is_the_leaky_accuracy_and_does_not_reveal_it(capsys):
    assert 0.75 < predict_selection_leak.truth() < 0.8
    assert predict_selection_leak(0.75) is True
    assert predict_selection_leak(0.5) is False
    assert "0.77" not in capsys.readouterr().out


@pytest.fixture(scope="module")
def digits():
    X, y = load_mnist("train", normalize="standard")
    return X[:6000], y[:6000]


def test_the_normalisation_leak_is_tiny_on_mnist(digits):
    r = over_seeds(normalisation_leak, LEAK_SEEDS, data=digits)
    assert np.abs(r[:, 1] - r[:, 0]).max() <= 0.005


def test_copies_of_test_images_add_a_fifth_of_the_error(digits):
    r = over_seeds(duplicate_leak, LEAK_SEEDS, data=digits)
    gain = r[:, 1] - r[:, 0]
    assert 0.01 < gain.mean() < 0.03 and gain.min() > 0 and 0.89 < r[:, 0].mean() < 0.93
    assert 0.7 < gain.mean() / (0.2 * (1 - r[:, 0].mean())) < 1.3


def test_without_copies_the_two_versions_are_alike(digits):
    """The leak is the copies, not the extra images: with no copies the two versions are the same experiment."""
    r = over_seeds(duplicate_leak, LEAK_SEEDS, data=digits, copies=0)
    np.testing.assert_array_equal(r[:, 0], r[:, 1])


def test_the_best_of_100_by_test_accuracy_is_optimistic_and_one_setting_is_not(digits):
    r = over_seeds(tuning_leak, LEAK_SEEDS, data=digits)
    optimism = r[:, 1] - r[:, 0]
    assert 0.09 < optimism.mean() < 0.15 and optimism.min() > 0
    single = over_seeds(tuning_leak, range(10), data=digits, settings=1)
    assert abs((single[:, 1] - single[:, 0]).mean()) < 0.04  # nothing chosen, nothing gained


def test_the_lessons_cross_validations_choose_as_the_prose_says(digits):
    X, y = make_polynomial_regression(20, noise=0.2, seed=0)
    scores = np.array([cross_val_scores(X, y, 5, *polynomial_model(d), np.random.default_rng(0)) for d in range(11)])
    mean, se = scores.mean(axis=1), scores.std(axis=1, ddof=1) / np.sqrt(5)
    assert int(np.argmin(mean)) == 5 and mean[3] / mean[5] - 1 < 0.001
    assert min(d for d in range(11) if mean[d] <= mean[5] + se[5]) == 3
    l2 = np.array([cross_val_scores(digits[0][:2000], digits[1][:2000], 5, *softmax_model(v), np.random.default_rng(0))
                   for v in (0.0, 1.0)])
    assert 0.04 < l2[0].mean() - l2[1].mean() < 0.1


# ---- the pictures ---------------------------------------------------------------------------------------------------


def test_plot_leaks_draws_a_bar_per_version_and_a_dot_per_seed():
    import matplotlib.pyplot as plt

    results = {"a": np.array([[0.5, 0.8], [0.45, 0.75]]), "b": np.array([[0.9, 0.92], [0.88, 0.9]])}
    ax = plot_leaks(results, ax=plt.figure().gca())
    assert len(ax.patches) == 4 and ax.patches[1].get_height() == pytest.approx(0.775)
    assert len(ax.lines) == 4 and ax.get_ylabel() and ax.get_title()


def test_plot_cv_scores_shows_standard_deviation_or_standard_error():
    import matplotlib.pyplot as plt

    scores = np.array([[1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 2.0, 2.0]])
    for error, half in (("sd", np.std([1, 2, 3, 4], ddof=1)), ("se", np.std([1, 2, 3, 4], ddof=1) / 2)):
        ax = plot_cv_scores([0, 1], scores, xlabel="x", ylabel="y", chosen=1, error=error, ax=plt.figure().gca())
        bars = ax.containers[0]
        segment = bars.lines[2][0].get_segments()[0]
        assert segment[1][1] - segment[0][1] == pytest.approx(2 * half)
    with pytest.raises(ValueError, match="'sd'"):
        plot_cv_scores([0, 1], scores, xlabel="x", ylabel="y", error="var")
