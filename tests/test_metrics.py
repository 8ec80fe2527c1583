"""course_lib.metrics: precision, recall and F1 from a confusion matrix, and the ROC curve of a binary score.

Each measure is pinned by a case computed by hand, and compared with scikit-learn (a test-only dependency,
never imported by course_lib) on seeded random cases, including classes that are never predicted.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_recall_fscore_support, roc_auc_score
from sklearn.metrics import roc_curve as sk_roc_curve

from course_lib.metrics import AVERAGES, accuracy, confusion_matrix, precision_recall_f1, roc_auc, roc_curve

HAND = np.array([[5, 1, 0], [2, 3, 1], [0, 0, 4]])  # rows: true class, columns: predicted class


# ---- precision, recall, F1 ------------------------------------------------------------------------


def test_per_class_scores_by_hand():
    precision, recall, f1 = precision_recall_f1(HAND)
    # TP = 5, 3, 4; column sums 7, 4, 5; row sums 6, 6, 4
    np.testing.assert_allclose(precision, [5 / 7, 3 / 4, 4 / 5])
    np.testing.assert_allclose(recall, [5 / 6, 3 / 6, 1.0])
    np.testing.assert_allclose(f1, [2 * 5 / (10 + 2 + 1), 2 * 3 / (6 + 1 + 3), 2 * 4 / (8 + 1 + 0)])
    np.testing.assert_allclose(f1, 2 * precision * recall / (precision + recall))  # the harmonic mean


def test_the_averages_by_hand():
    _, _, f1 = precision_recall_f1(HAND)
    assert precision_recall_f1(HAND, "macro")[2] == pytest.approx(f1.mean())
    assert precision_recall_f1(HAND, "weighted")[2] == pytest.approx((6 * f1[0] + 6 * f1[1] + 4 * f1[2]) / 16)
    assert precision_recall_f1(HAND, "micro") == pytest.approx((12 / 16, 12 / 16, 12 / 16))
    assert all(isinstance(v, float) for v in precision_recall_f1(HAND, "macro"))


def test_a_class_never_predicted_has_precision_0_without_a_warning():
    cm = np.array([[5, 0, 2], [3, 0, 1], [1, 0, 9]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        precision, recall, f1 = precision_recall_f1(cm)
    assert precision[1] == 0 and recall[1] == 0 and f1[1] == 0
    absent = np.array([[4, 1], [0, 0]])  # class 1 has no example; it is predicted once
    np.testing.assert_allclose(precision_recall_f1(absent), ([1.0, 0.0], [0.8, 0.0], [8 / 9, 0.0]))


def test_micro_f1_is_the_accuracy_with_one_label_per_example(rng):
    for _ in range(20):
        y, pred = rng.integers(0, 7, 200), rng.integers(0, 7, 200)
        assert precision_recall_f1(confusion_matrix(y, pred, n_classes=7), "micro") == pytest.approx(
            (accuracy(pred, y),) * 3, rel=1e-12)


def _random_case(rng):
    n_classes = int(rng.integers(2, 9))
    y = rng.integers(0, n_classes, int(rng.integers(5, 120)))
    pred = np.where(rng.random(len(y)) < 0.6, y, rng.integers(0, n_classes, len(y)))
    pred[pred == n_classes - 1] = 0  # the last class is never predicted
    return n_classes, y, pred


@pytest.mark.parametrize("average", AVERAGES)
def test_agrees_with_scikit_learn(average, rng):
    for _ in range(40):
        n_classes, y, pred = _random_case(rng)
        ours = precision_recall_f1(confusion_matrix(y, pred, n_classes=n_classes), average)
        labels = list(range(n_classes))
        theirs = precision_recall_fscore_support(y, pred, labels=labels, average=average, zero_division=0)[:3]
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
        f1 = f1_score(y, pred, labels=labels, average=average, zero_division=0)
        np.testing.assert_allclose(ours[2], f1, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("cm", "average", "error", "words"),
    [
        (np.zeros((2, 3)), None, ValueError, "square confusion matrix"),
        (np.array([1, 2]), None, ValueError, "square confusion matrix"),
        (np.zeros((0, 0)), None, ValueError, "square confusion matrix"),
        (np.array([[1, -1], [0, 2]]), None, ValueError, "whole numbers >= 0"),
        (np.array([[0.5, 0.5], [0.0, 1.0]]), None, ValueError, "not rates"),
        (np.array([[1, np.nan], [0, 1]]), None, ValueError, "non-finite"),
        (np.array([["a", "b"], ["c", "d"]]), None, TypeError, "counts"),
        (np.array([[True, False], [False, True]]), None, TypeError, "counts"),
        (np.zeros((3, 3), dtype=int), None, ValueError, "no example"),
        (HAND, "binary", ValueError, "average must be one of"),
        (HAND, "Macro", ValueError, "average must be one of"),
    ],
)
def test_precision_recall_f1_refuses_what_is_not_a_confusion_matrix(cm, average, error, words):
    with pytest.raises(error, match=words):
        precision_recall_f1(cm, average)


def test_whole_float_counts_are_accepted():
    np.testing.assert_allclose(precision_recall_f1(HAND.astype(float)), precision_recall_f1(HAND))


# ---- the ROC curve --------------------------------------------------------------------------------


def test_roc_curve_by_hand():
    fpr, tpr, thresholds = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 0.5, 1])
    np.testing.assert_allclose(tpr, [0, 0.5, 0.5, 1, 1])
    np.testing.assert_allclose(thresholds, [np.inf, 0.8, 0.4, 0.35, 0.1])
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)


def test_tied_scores_make_one_point_and_count_one_half():
    # positives score 0.9 and 0.5, negatives 0.5 and 0.1: of 4 pairs, 3 are ranked right and 1 is a tie
    fpr, tpr, thresholds = roc_curve([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.1])
    np.testing.assert_allclose(thresholds, [np.inf, 0.9, 0.5, 0.1])
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 1])
    np.testing.assert_allclose(tpr, [0, 0.5, 1, 1])
    assert roc_auc([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.1]) == pytest.approx(3.5 / 4)


def test_a_perfect_ranking_and_a_reversed_one():
    assert roc_auc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert roc_auc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9]) == 0.0


def test_roc_agrees_with_scikit_learn(rng):
    for _ in range(40):
        n = int(rng.integers(4, 300))
        y = rng.integers(0, 2, n)
        y[:2] = (0, 1)  # both classes present
        scores = np.round(rng.random(n) + 0.3 * y, int(rng.integers(1, 4)))  # rounding makes ties
        fpr, tpr, thresholds = roc_curve(y, scores)
        sk_fpr, sk_tpr, sk_thresholds = sk_roc_curve(y, scores, drop_intermediate=False)
        np.testing.assert_allclose(fpr, sk_fpr)
        np.testing.assert_allclose(tpr, sk_tpr)
        np.testing.assert_allclose(thresholds, sk_thresholds)
        assert roc_auc(y, scores) == pytest.approx(roc_auc_score(y, scores), rel=1e-12)
        assert roc_auc(y.astype(bool), scores) == pytest.approx(roc_auc_score(y, scores), rel=1e-12)


@pytest.mark.parametrize(
    ("y", "scores", "words"),
    [
        ([0, 1, 2], [0.1, 0.2, 0.3], "0 \\(negative\\) and 1 \\(positive\\) only"),
        ([0, 1, 1], [0.1, 0.2], "same shape"),
        ([[0, 1]], [[0.1, 0.2]], "same shape"),
        ([1, 1, 1], [0.1, 0.2, 0.3], "both classes"),
        ([0, 0], [0.1, 0.2], "both classes"),
        ([0, 1], [0.1, np.nan], "finite real numbers"),
        ([0, 1], ["a", "b"], "finite real numbers"),
    ],
)
def test_roc_refuses_what_is_not_a_binary_task(y, scores, words):
    for function in (roc_curve, roc_auc):
        with pytest.raises(ValueError, match=words):
            function(y, scores)
