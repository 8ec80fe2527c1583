"""Lesson 11, section 3 (the noise between runs): the bootstrap check's named wrong answers, the library
code's behaviour and refusals (scipy's bootstrap as a test-only oracle), and what the prose says."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from course_lib.lessons.l11_is_it_really_better.checks import (
    bootstrap_cases, check_bootstrap_interval, predict_seed_range,
)
from course_lib.lessons.l11_is_it_really_better.noise import (
    SEEDS, SHORT_RECIPE, bootstrap_accuracies, bootstrap_interval, disagreements, hits_on, needed_test_size,
    normal_interval, plot_bootstrap, plot_differences, plot_needed_sizes, plot_seed_strip, seed_accuracies, seed_hits,
    train_recipe,
)
from course_lib.recipes import load_splits

# ---- the learner's function: the right one, and the typical mistakes ---------------------------------


def right(correct, n_resamples, rng, level=0.95):
    n = len(correct)
    accuracies = correct[rng.integers(0, n, size=(n_resamples, n))].mean(axis=1)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(accuracies, [tail, 100 - tail])
    return float(low), float(high)


def _resampled(correct, n_resamples, rng, size=None):
    n = len(correct)
    return correct[rng.integers(0, n, size=(n_resamples, size or n))].mean(axis=1)


def one_at_a_time(correct, n_resamples, rng, level=0.95):
    accuracies = [rng.choice(correct, size=len(correct), replace=True).mean() for _ in range(n_resamples)]
    return tuple(np.quantile(accuracies, [(1 - level) / 2, (1 + level) / 2]))


def without_replacement(correct, n_resamples, rng, level=0.95):
    accuracies = [rng.permutation(correct).mean() for _ in range(n_resamples)]
    return tuple(np.quantile(accuracies, [(1 - level) / 2, (1 + level) / 2]))


def half_size(correct, n_resamples, rng, level=0.95):
    a = _resampled(correct, n_resamples, rng, size=len(correct) // 2)
    return tuple(np.quantile(a, [(1 - level) / 2, (1 + level) / 2]))


def swapped_shape(correct, n_resamples, rng, level=0.95):  # N resamples of n_resamples examples each
    n = len(correct)
    a = correct[rng.integers(0, n, size=(n, n_resamples))].mean(axis=1)
    return tuple(np.quantile(a, [(1 - level) / 2, (1 + level) / 2]))


def five_ninety_five(correct, n_resamples, rng, level=0.95):
    a = _resampled(correct, n_resamples, rng)
    return tuple(np.percentile(a, [100 * (1 - level), 100 * level]))


def level_as_percent(correct, n_resamples, rng, level=0.95):
    a = _resampled(correct, n_resamples, rng)
    return tuple(np.percentile(a, [level / 2, 100 - level / 2]))


def fractions_to_percentile(correct, n_resamples, rng, level=0.95):
    a = _resampled(correct, n_resamples, rng)
    return tuple(np.percentile(a, [(1 - level) / 2, (1 + level) / 2]))


def always_95(correct, n_resamples, rng, level=0.95):
    return right(correct, n_resamples, rng)


def mean_std_of_data(correct, n_resamples, rng, level=0.95):
    return correct.mean() - correct.std(), correct.mean() + correct.std()


def mean_std_of_resamples(correct, n_resamples, rng, level=0.95):
    a = _resampled(correct, n_resamples, rng)
    return a.mean() - a.std(), a.mean() + a.std()


def normal_approximation(correct, n_resamples, rng, level=0.95):
    p, z = correct.mean(), NormalDist().inv_cdf((1 + level) / 2)
    half = z * math.sqrt(p * (1 - p) / len(correct))
    return p - half, p + half


def high_low(correct, n_resamples, rng, level=0.95):
    low, high = right(correct, n_resamples, rng, level)
    return high, low


def low_only(correct, n_resamples, rng, level=0.95):
    return right(correct, n_resamples, rng, level)[0]


def own_generator(correct, n_resamples, rng, level=0.95):
    return right(correct, n_resamples, np.random.default_rng(), level)


@pytest.mark.parametrize("honest", [right, one_at_a_time], ids=["all at once", "one resample at a time"])
def test_honest_ways_of_drawing_pass(honest, capsys):
    check_bootstrap_interval(honest)
    assert "passed all 3 checks" in capsys.readouterr().out


@pytest.mark.parametrize(("wrong", "words"), [
    (without_replacement, "without replacement"),
    (half_size, "wider than it should be, as when a resample holds fewer examples than the test set"),
    (swapped_shape, "narrower than it should be, as when a resample holds more examples"),
    (five_ninety_five, "these percentiles leave 5 % in each tail, a 90 % interval"),
    (level_as_percent, "Level is a fraction"),
    (fractions_to_percentile, "percentiles are in percent (2.5 and 97.5 for a 95 % interval), not fractions"),
    (always_95, "this case asks for level = 0.8"),
    (mean_std_of_data, "An end lies outside [0, 1]"),
    (mean_std_of_resamples, "mean plus or minus one standard deviation"),
    (normal_approximation, "An end lies outside [0, 1]"),
    (high_low, "the right ends in the wrong order"),
    (low_only, "Return two numbers, the interval's lower and upper end"),
    (own_generator, "must come from the rng you are given"),
], ids=lambda v: getattr(v, "__name__", ""))
def test_the_check_names_each_typical_mistake(assert_teaches, wrong, words):
    assert_teaches(check_bootstrap_interval, right, wrong, words)


def test_the_cases_cover_a_level_other_than_95_and_an_accuracy_near_1():
    cases = bootstrap_cases()
    assert {level for *_, level in cases} == {0.95, 0.8}
    assert max(c.mean() for c, *_ in cases) == 0.99  # where p ± 1.96·√(p(1−p)/N) leaves [0, 1]
    assert all(n_resamples >= 10_000 and set(np.unique(c)) == {0, 1} for c, n_resamples, *_ in cases)


# ---- the reference: hand-computed cases, scipy as an oracle, refusals ------------------------------


def test_bootstrap_accuracies_are_the_means_of_resamples_drawn_with_replacement():
    correct = np.array([1, 0, 1, 1])
    picks = np.random.default_rng(5).integers(0, 4, size=(3, 4))
    expected = correct[picks].mean(axis=1)
    np.testing.assert_array_equal(bootstrap_accuracies(correct, 3, np.random.default_rng(5)), expected)


def test_bootstrap_interval_by_hand():
    assert bootstrap_interval(np.ones(50, dtype=int), 200, np.random.default_rng(0)) == (1.0, 1.0)
    # Two examples, one right: a resample's accuracy is 0, 1/2 or 1 with chances 1/4, 1/2, 1/4.
    low, high = bootstrap_interval(np.array([0, 1]), 4000, np.random.default_rng(0))
    assert (low, high) == (0.0, 1.0)
    low, high = bootstrap_interval(np.array([0, 1]), 4000, np.random.default_rng(0), level=0.4)
    assert low == high == 0.5


def test_bootstrap_interval_matches_scipys_percentile_bootstrap():
    stats = pytest.importorskip("scipy.stats")
    correct = np.zeros(300, dtype=int)
    correct[:200] = 1
    np.random.default_rng(3).shuffle(correct)
    for level in (0.95, 0.8):
        ours = bootstrap_interval(correct, 2000, np.random.default_rng(0), level)
        theirs = stats.bootstrap((correct.astype(float),), np.mean, n_resamples=2000, method="percentile",
                                 confidence_level=level, rng=np.random.default_rng(0)).confidence_interval
        np.testing.assert_allclose(ours, (theirs.low, theirs.high), atol=1e-12)


def test_normal_interval_and_needed_test_size_by_hand():
    z = NormalDist().inv_cdf(0.975)
    np.testing.assert_allclose(normal_interval(0.5, 100), (0.5 - z * 0.05, 0.5 + z * 0.05))
    assert needed_test_size(0.9, 0.01) == math.ceil(2 * 0.09 * (z / 0.01) ** 2) == 6915
    assert needed_test_size(0.9, 0.01, disagreement=0.05) == math.ceil(0.05 * (z / 0.01) ** 2) == 1921


def test_the_bootstrap_and_the_normal_approximation_agree_on_a_large_test_set():
    correct = (np.random.default_rng(1).random(10_000) < 0.9).astype(int)
    low, high = bootstrap_interval(correct, 2000, np.random.default_rng(2))
    np.testing.assert_allclose((low, high), normal_interval(correct.mean(), 10_000), atol=0.001)


def test_disagreements_count_each_side():
    a, b = np.array([1, 1, 0, 0, 1, 0]), np.array([1, 0, 1, 1, 1, 0])
    assert disagreements(a, b) == (1, 2)
    assert b.mean() - a.mean() == pytest.approx((2 - 1) / 6)


@pytest.mark.parametrize(("call", "words"), [
    (lambda: bootstrap_interval(np.ones((3, 2)), 10, np.random.default_rng(0)), "1-D array of 0s and 1s"),
    (lambda: bootstrap_interval(np.array([0.2, 0.9]), 10, np.random.default_rng(0)), "0s and 1s"),
    (lambda: bootstrap_interval(np.array([], dtype=int), 10, np.random.default_rng(0)), "non-empty"),
    (lambda: bootstrap_interval(np.array([0, 1]), 10, np.random.default_rng(0), level=95), "fraction in \\(0, 1\\)"),
    (lambda: bootstrap_interval(np.array([0, 1]), 0, np.random.default_rng(0)), "n_resamples must be a whole number"),
    (lambda: bootstrap_interval(np.array([0, 1]), 10, 0), "np.random.Generator"),
    (lambda: normal_interval(1.5, 100), "accuracy p in \\[0, 1\\]"),
    (lambda: needed_test_size(0.9, 1.5), "0.1 points is 0.001"),
    (lambda: needed_test_size(0.9, 0.001, disagreement=0.0), "disagreement must be a fraction"),
    (lambda: disagreements(np.ones(3, dtype=int), np.ones(4, dtype=int)), "same test set"),
    (lambda: train_recipe("mlp", None), "expects a Recipe of the NumPy MLP"),
    (lambda: train_recipe(SHORT_RECIPE, (np.zeros((2, 784)), np.zeros(2))), "load_splits"),
    (lambda: hits_on(None, (np.zeros((2, 784)), np.zeros(3))), "pair \\(X, y\\)"),
])
def test_bad_input_is_refused_with_what_to_do(call, words):
    with pytest.raises((ValueError, TypeError), match=words):
        call()


# ---- the shortened recipe's runs --------------------------------------------------------------------


@pytest.fixture(scope="module")
def splits():
    return load_splits(SHORT_RECIPE)


def test_a_seed_gives_the_same_run_again_and_another_seed_another(splits):
    recipe = SHORT_RECIPE.replace(train_size=500, epochs=1)
    first, again = (hits_on(train_recipe(recipe, splits), splits.test) for _ in range(2))
    np.testing.assert_array_equal(first, again)
    other = hits_on(train_recipe(recipe.replace(seed=1), splits), splits.test)
    assert not np.array_equal(first, other)
    assert first.shape == (10_000,) and set(np.unique(first)) <= {0, 1} and 0.2 < first.mean() < 0.95  # chance: 0.1
    assert seed_hits(recipe, (0, 1), splits).tolist() == [first.tolist(), other.tolist()]


def test_what_the_prose_says_about_seeds_pairs_and_the_bootstrap(splits):
    """The section's numbers, as its claims state them (both thread counts measured): the seed spread, the paired
    comparison of label smoothing ε = 0.1, seed 0's bootstrap interval and the test-set sizes."""
    hits_a = seed_hits(SHORT_RECIPE, SEEDS, splits)
    acc_a = 100 * hits_a.mean(axis=1)
    np.testing.assert_allclose(acc_a / 100, seed_accuracies(SHORT_RECIPE, SEEDS))  # the prediction's truth
    assert 90.5 < acc_a.mean() < 93 and 0.35 < acc_a.std(ddof=1) < 0.75 and 1 < np.ptp(acc_a) < 3
    acc_b = 100 * seed_hits(SHORT_RECIPE.replace(label_smoothing=0.1), SEEDS, splits).mean(axis=1)
    diff = acc_b - acc_a
    se_unpaired = np.sqrt((acc_a.var(ddof=1) + acc_b.var(ddof=1)) / len(SEEDS))
    se_paired = diff.std(ddof=1) / np.sqrt(len(SEEDS))
    assert 0.2 < diff.mean() < 0.6 and np.sum(diff > 0) >= 6
    assert diff.mean() / se_unpaired < 2 < diff.mean() / se_paired
    low, high = bootstrap_interval(hits_a[0], 1000, np.random.default_rng(0))
    assert 0.009 < high - low < 0.014
    b, c = disagreements(hits_a[0], hits_a[1])
    assert abs(c - b) > 2 * np.sqrt(b + c)
    assert needed_test_size(hits_a[0].mean(), 0.001, disagreement=(b + c) / 10_000) > 100_000


def test_seed_accuracies_are_cached_and_read_only():
    recipe = SHORT_RECIPE.replace(train_size=300, epochs=1)
    first = seed_accuracies(recipe, (0,))
    assert seed_accuracies(recipe, (0,)) is first
    with pytest.raises(ValueError):
        first[0] = 1.0


def test_the_prediction_grades_the_range_without_revealing_it(capsys):
    truth = predict_seed_range.truth()
    assert 1 < truth < 3
    assert predict_seed_range(truth * 1.3) is True
    assert predict_seed_range(0.1) is False
    assert f"{truth:.2f}" not in capsys.readouterr().out


# ---- the pictures --------------------------------------------------------------------------------------


def test_the_pictures_have_titles_labels_and_legends():
    import matplotlib.pyplot as plt

    _, axes = plt.subplots(1, 4)
    plot_seed_strip({"A": [91.0, 92.0, 91.5], "B": [91.4, 92.3, 91.6]}, ax=axes[0])
    plot_differences([0.4, 0.3, 0.1], ax=axes[1])
    accuracies = bootstrap_accuracies(np.r_[np.ones(90), np.zeros(10)].astype(int), 500, np.random.default_rng(0))
    plot_bootstrap(accuracies, (0.84, 0.96), normal_interval(0.9, 100), ax=axes[2])
    plot_needed_sizes(0.9, 0.05, 10_000, ax=axes[3])
    for ax in axes:
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel() and ax.get_legend() is not None
    assert len(axes[0].lines) == 3  # one grey line per seed joins its A and B
    sizes = axes[3].lines[0].get_ydata()
    assert np.all(np.diff(sizes) <= 0)  # a larger difference needs fewer test examples
