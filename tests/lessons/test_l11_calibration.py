"""Lesson 11, section 5 (calibration): the shortened models and what the prose says of them, the reliability
diagram, and the named wrong answers of the ECE and temperature checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.data import MnistSplits
from course_lib.lessons.l11_is_it_really_better.calibration import (
    CNN_RECIPE, CNN_TEST, CNN_VAL, MLP_RECIPE, model_logits, plot_reliability_diagram, train_short_cnn, train_short_mlp)
from course_lib.lessons.l11_is_it_really_better.checks import (
    ECE_MISTAKES, check_ece, check_fit_temperature, ece_cases, ece_with_mistake, nll_at, predict_mlp_confidence,
    temperature_cases)
from course_lib.numpy_nn.calibration import expected_calibration_error, fit_temperature, reliability_bins
from course_lib.numpy_nn.functional import softmax_forward
from course_lib.recipes import Recipe, load_splits


def softmax(z):
    return softmax_forward(z)[0]


# ---- the two models ------------------------------------------------------------------------------------


def test_the_recipes_are_lessons_07_and_08s_shortened_and_nothing_else():
    assert MLP_RECIPE == Recipe().replace(train_size=5000, epochs=6)
    # lesson 08's CPU recipe as it was before issue 18 (channels 32-64, hidden 128, dropout 0.25, lr 5e-3;
    # lesson 08 now trains a lighter CNN), and before it took batches of 64 and label smoothing (which would
    # blur what lesson 11 measures: a CNN's calibration)
    lesson_08_before = Recipe(model="cnn", hidden=(128,), channels=(32, 64), dropout=0.25, optimizer="AdamW", lr=5e-3,
                              weight_decay=0.01, schedule="warmup_cosine", warmup=0.1, epochs=1, batch_size=128)
    assert CNN_RECIPE == lesson_08_before.replace(train_size=3000)
    assert (CNN_VAL, CNN_TEST) == (1000, 2000)


@pytest.fixture(scope="module")
def splits():
    return load_splits(MLP_RECIPE)


@pytest.fixture(scope="module")
def runs(splits):
    """What the section measures: each model's (validation, test) logits and labels."""
    (X_val, y_val), (X_test, y_test) = splits.val, splits.test
    mlp, cnn = train_short_mlp(splits), train_short_cnn(splits)
    fitted = np.mean(model_logits(mlp, splits.train[0][:5000]).argmax(axis=1) == splits.train[1][:5000])
    return {"fitted": fitted, "MLP": ((model_logits(mlp, X_val), y_val), (model_logits(mlp, X_test), y_test)),
            "CNN": ((model_logits(cnn, X_val[:CNN_VAL]), y_val[:CNN_VAL]),
                    (model_logits(cnn, X_test[:CNN_TEST]), y_test[:CNN_TEST]))}


def test_the_mlp_is_overconfident_and_a_temperature_above_1_repairs_it(runs):
    (val, y_val), (test, y_test) = runs["MLP"]
    assert runs["fitted"] > 0.98  # it fits its 5 000 training images almost perfectly
    p = softmax(test)
    assert 0.92 < np.mean(p.argmax(axis=1) == y_test) < 0.96
    assert 0.01 < p.max(axis=1).mean() - np.mean(p.argmax(axis=1) == y_test) < 0.035
    T = fit_temperature(val, y_val)
    assert 1.15 < T < 1.8
    assert expected_calibration_error(softmax(test / T), y_test, 10) < 0.01 < expected_calibration_error(p, y_test, 10)


def test_the_cnn_is_underconfident_and_a_temperature_below_1_repairs_it(runs):
    (val, y_val), (test, y_test) = runs["CNN"]
    p = softmax(test)
    assert 0.86 < np.mean(p.argmax(axis=1) == y_test) < 0.92
    assert -0.08 < p.max(axis=1).mean() - np.mean(p.argmax(axis=1) == y_test) < -0.03
    T = fit_temperature(val, y_val)
    assert 0.65 < T < 0.88
    assert expected_calibration_error(softmax(test / T), y_test, 10) < 0.02 < expected_calibration_error(p, y_test, 10)


def test_the_prediction_says_overconfident():
    assert predict_mlp_confidence.truth() == "overconfident"


def test_the_mlp_repeats_itself_and_its_logits_come_batch_by_batch(splits):
    small = MLP_RECIPE.replace(train_size=300, epochs=1)
    first, second = train_short_mlp(splits, small), train_short_mlp(splits, small)
    X = splits.test[0][:300]
    np.testing.assert_array_equal(model_logits(first, X), model_logits(second, X))
    np.testing.assert_allclose(model_logits(first, X, batch_size=7), first(X), rtol=1e-5, atol=1e-5)
    assert model_logits(first, X).dtype == np.float64


def test_the_cnns_logits_are_its_own_in_eval_mode(splits):
    cnn = train_short_cnn(splits, CNN_RECIPE.replace(train_size=256))
    X = splits.test[0][:50]
    with torch.no_grad():
        direct = cnn.eval()(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(model_logits(cnn.train(), X, batch_size=16), direct, rtol=1e-5, atol=1e-6)


def test_the_training_refuses_data_that_are_not_the_splits():
    with pytest.raises(TypeError, match="MnistSplits"):
        train_short_mlp((np.zeros((5, 784)), np.zeros(5, dtype=int)))
    assert MnistSplits._fields == ("train", "val", "test")


def test_the_reliability_diagram_draws_each_full_bins_accuracy_and_count():
    probs = np.array([[0.95, 0.05], [0.92, 0.08], [0.35, 0.65], [1.0, 0.0]])
    ax = plot_reliability_diagram(probs, np.array([0, 1, 1, 0]), n_bins=10, title="t")
    heights = sorted(round(patch.get_height(), 6) for patch in ax.patches)
    assert heights == [round(2 / 3, 6), 1.0]  # bins [0.6, 0.7) and [0.9, 1]: the empty ones draw nothing
    assert sorted(text.get_text() for text in ax.texts) == ["1", "3"]
    assert ax.get_title() == "t" and ax.get_xlabel().startswith("confidence")


# ---- exercise: the ECE -----------------------------------------------------------------------------------


def right_ece(probs, y, n_bins):
    confidence, right = probs.max(axis=1), probs.argmax(axis=1) == y
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in range(n_bins):
        inside = bins == b
        if inside.any():
            total += inside.mean() * abs(right[inside].mean() - confidence[inside].mean())
    return float(total)


def learner_ece(probs, y, n_bins, *, conf=None, weight="share", skip_empty=True, close_last=True, overall=None,
                signed=False):
    """An ECE as a learner writes it, with one of the typical mistakes switched on."""
    confidence = probs.max(axis=1) if conf is None else probs[np.arange(len(y)), y]
    right = (probs.argmax(axis=1) == y).astype(float)
    bins = (confidence * n_bins).astype(int)
    bins = np.minimum(bins, n_bins - 1) if close_last else bins
    total = 0.0
    for b in range(n_bins):
        inside = bins == b
        if skip_empty and not inside.any():
            continue
        acc = right.mean() if overall == "acc" else right[inside].sum() / inside.sum()
        mean_conf = confidence.mean() if overall == "conf" else confidence[inside].sum() / inside.sum()
        gap = acc - mean_conf if signed else abs(acc - mean_conf)
        total += {"share": inside.mean(), "equal": 1 / n_bins, "count": inside.sum()}[weight] * gap
    return float(total)


def test_the_right_ece_passes_and_is_the_reference(capsys):
    check_ece(right_ece)
    assert "passed all 4" in capsys.readouterr().out
    for probs, y, n_bins in ece_cases():
        assert right_ece(probs, y, n_bins) == pytest.approx(expected_calibration_error(probs, y, n_bins), abs=1e-12)
        assert ece_with_mistake(probs, y, n_bins, "") == pytest.approx(right_ece(probs, y, n_bins), abs=1e-12)


def test_the_ece_cases_hold_empty_bins_confidences_of_1_and_a_binary_task():
    cases = ece_cases()
    assert all(np.any(np.bincount(np.minimum((p.max(axis=1) * m).astype(int), m - 1), minlength=m) == 0)
               for p, _, m in cases)
    assert any(np.any(p.max(axis=1) == 1.0) for p, _, _ in cases)
    assert any(p.shape[1] == 2 for p, _, _ in cases)
    for mistake in ECE_MISTAKES:  # every named mistake changes the answer on some case
        assert any(not np.isclose(ece_with_mistake(p, y, m, mistake), expected_calibration_error(p, y, m))
                   for p, y, m in cases), mistake


def test_ece_empty_bins_giving_nan(assert_teaches):
    assert_teaches(check_ece, right_ece, lambda p, y, m: learner_ece(p, y, m, skip_empty=False), "bins with no samples")


def test_ece_bins_weighted_equally(assert_teaches):
    assert_teaches(check_ece, right_ece, lambda p, y, m: learner_ece(p, y, m, weight="equal"), "weighted equally")


def test_ece_bins_weighted_equally_over_the_full_bins_only(assert_teaches):
    def mean_of_gaps(p, y, m):
        conf, right = p.max(axis=1), p.argmax(axis=1) == y
        bins = np.minimum((conf * m).astype(int), m - 1)
        return float(np.mean([abs(right[bins == b].mean() - conf[bins == b].mean()) for b in set(bins)]))
    assert_teaches(check_ece, right_ece, mean_of_gaps, "weighted equally")


def test_ece_confidence_of_the_true_class(assert_teaches):
    assert_teaches(check_ece, right_ece, lambda p, y, m: learner_ece(p, y, m, conf="true"), "TRUE class")


def test_ece_overall_accuracy_in_each_bin(assert_teaches):
    assert_teaches(check_ece, right_ece, lambda p, y, m: learner_ece(p, y, m, overall="acc"), "accuracy over ALL")


def test_ece_overall_confidence_in_each_bin(assert_teaches):
    assert_teaches(check_ece, right_ece, lambda p, y, m: learner_ece(p, y, m, overall="conf"), "confidence over ALL")


def test_ece_overall_gap_only(assert_teaches):
    def overall(p, y, m):
        return float(abs(np.mean(p.argmax(axis=1) == y) - p.max(axis=1).mean()))
    assert_teaches(check_ece, right_ece, overall, "bin by bin")


def test_ece_last_bin_missing_1(assert_teaches):
    assert_teaches(check_ece, right_ece, lambda p, y, m: learner_ece(p, y, m, close_last=False), "exactly 1")


def test_ece_signed_gaps(assert_teaches):
    assert_teaches(check_ece, right_ece, lambda p, y, m: learner_ece(p, y, m, signed=True), "absolute values")


def test_ece_weighted_by_counts(assert_teaches):
    assert_teaches(check_ece, right_ece, lambda p, y, m: learner_ece(p, y, m, weight="count"), "shares n_b / N")


# ---- exercise: the temperature ---------------------------------------------------------------------------


def right_fit(logits, y):
    def nll(T):
        scaled = logits / T
        scaled = scaled - scaled.max(axis=1, keepdims=True)
        return np.mean(np.log(np.exp(scaled).sum(axis=1)) - scaled[np.arange(len(y)), y])

    center, width = 0.0, 3.0
    while width > 1e-5:
        grid = np.linspace(center - width, center + width, 61)
        center = grid[np.argmin([nll(np.exp(u)) for u in grid])]
        width /= 10
    return float(np.exp(center))


def search(objective, lo=-3.0, hi=3.0):
    """The T = e^u, u on a grid refined around its best point, that minimises objective(T)."""
    center, width = (lo + hi) / 2, (hi - lo) / 2
    while width > 1e-5:
        grid = np.linspace(center - width, center + width, 61)
        center = grid[np.argmin([objective(np.exp(u)) for u in grid])]
        width /= 10
    return float(np.exp(center))


def test_the_right_fit_passes_and_agrees_with_the_reference(capsys):
    check_fit_temperature(right_fit)
    assert "passed all 3" in capsys.readouterr().out
    temperatures = [fit_temperature(logits, y) for logits, y in temperature_cases()]
    assert temperatures[0] > 2 and temperatures[1] < 0.5 and abs(temperatures[0] - temperatures[2]) > 1
    for (logits, y), T in zip(temperatures_cases := temperature_cases(), temperatures):
        assert right_fit(logits, y) == pytest.approx(T, rel=1e-4)
        assert nll_at(logits, y, T) < min(nll_at(logits, y, 1.01 * T), nll_at(logits, y, 0.99 * T))
    assert temperatures_cases[2][0] is temperatures_cases[0][0]  # the third case: the first's logits, other labels


def test_fit_multiplying_by_t(assert_teaches):
    assert_teaches(check_fit_temperature, right_fit, lambda z, y: search(lambda T: nll_at(z * T, y, 1.0)),
                   "multiplied by T instead of divided")


def test_fit_a_t_outside_0_inf(assert_teaches):
    assert_teaches(check_fit_temperature, right_fit, lambda z, y: 0.0, "finite number above 0")
    assert_teaches(check_fit_temperature, right_fit, lambda z, y: -right_fit(z, y), "finite number above 0")


def test_fit_ignoring_y(assert_teaches):
    def predicted_labels(z, y):  # the predicted classes as the labels: sharper is always better
        return search(lambda T: nll_at(z, z.argmax(axis=1), T))
    assert_teaches(check_fit_temperature, right_fit, predicted_labels, "labels y change")


def test_fit_minimising_the_accuracy(assert_teaches):
    def accuracy_search(z, y):  # every T has the same accuracy, so the search returns its first candidate
        grid = np.exp(np.linspace(-3, 3, 601))
        return float(min(grid, key=lambda T: -np.mean((z / T).argmax(axis=1) == y)))
    assert_teaches(check_fit_temperature, right_fit, accuracy_search, "the accuracy")
    assert_teaches(check_fit_temperature, right_fit, lambda z, y: 1.0, "T does not change")


def test_fit_minimising_the_ece(assert_teaches):
    def ece_search(z, y):
        grid = np.exp(np.linspace(-3, 3, 601))
        return float(min(grid, key=lambda T: expected_calibration_error(softmax(z / T), y)))
    assert_teaches(check_fit_temperature, right_fit, ece_search, "minimises the ECE")


def test_fit_a_search_too_coarse(assert_teaches):
    def coarse(z, y):
        grid = np.exp(np.linspace(-3, 3, 61))  # steps of 10 % in T
        return float(min(grid, key=lambda T: nll_at(z, y, T)))
    assert_teaches(check_fit_temperature, right_fit, coarse, "not where the NLL is lowest")


def nll_grid_search(grid):
    """A learner's one-pass grid search of the NLL over the temperatures ``grid``."""
    return lambda z, y: float(min(grid, key=lambda T: nll_at(z, y, T)))


@pytest.mark.parametrize("grid", [np.arange(0.01, 5, 0.01), np.arange(0.05, 5, 0.05), np.exp(np.arange(-3, 3, 0.01))],
                         ids=["T in steps of 0.01", "T in steps of 0.05", "log T in steps of 0.01"])
def test_fit_a_plain_grid_is_told_it_is_too_coarse_not_that_it_minimises_the_ece(assert_teaches, grid):
    # such a T lies within a few % of the best one, and its ECE can be lower than the best T's
    assert_teaches(check_fit_temperature, right_fit, nll_grid_search(grid), "not where the NLL is lowest")


@pytest.mark.parametrize("grid", [np.arange(0.5, 3, 0.01), np.arange(1, 3.0001, 0.01), np.arange(0.1, 1.0001, 0.01)],
                         ids=["T from 0.5 to 3", "T from 1 to 3", "T from 0.1 to 1"])
def test_fit_a_search_range_that_misses_the_best_t(assert_teaches, grid):
    # the cases' best T are about 2.7, 0.28 and 0.46: each range leaves one of them out
    assert_teaches(check_fit_temperature, right_fit, nll_grid_search(grid), "an end of the range you searched")


def test_the_ece_is_the_overall_gap_when_all_bins_lean_one_way_and_larger_when_they_do_not():
    # the prose after the ECE's printout: both models' ECEs equal their overall gaps, as every bin errs the same way
    rng = np.random.default_rng(5)
    seen = set()
    for hit in (0.3, 0.6, 0.9, 1.0):  # how often the label is the predicted class: over-, mixed, underconfident
        logits = 2.0 * rng.standard_normal((500, 5))
        y = np.where(rng.random(500) < hit, logits.argmax(axis=1), rng.integers(0, 5, 500))
        probs = softmax(logits)
        conf, acc, n = reliability_bins(probs, y, 10)
        gaps = (conf - acc)[n > 0]
        overall = abs(probs.max(axis=1).mean() - np.mean(probs.argmax(axis=1) == y))
        ece = expected_calibration_error(probs, y, 10)
        if np.all(gaps > 0) or np.all(gaps < 0):
            assert ece == pytest.approx(overall, rel=1e-9)
            seen.add("one way")
        else:
            assert ece > overall + 1e-6
            seen.add("both ways")
    assert seen == {"one way", "both ways"}
