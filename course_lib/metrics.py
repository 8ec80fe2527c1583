"""Measures of a classifier's predictions, shared by the MNIST lessons: accuracy, the confusion matrix, its surest
mistakes; per-class precision, recall and F1 from a confusion matrix; the ROC curve of a binary score."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from course_lib.recipes import is_whole

__all__ = ["AVERAGES", "accuracy", "confusion_matrix", "most_confident_mistakes", "precision_recall_f1", "roc_auc", "roc_curve"]

#: The ways ``precision_recall_f1`` can average over classes (None: one value per class).
AVERAGES = (None, "macro", "micro", "weighted")


def accuracy(predictions: ArrayLike, y: ArrayLike) -> float:
    """The fraction of predictions equal to the labels."""
    predictions, y = np.asarray(predictions), np.asarray(y)
    if predictions.shape != y.shape or predictions.ndim != 1:
        raise ValueError(
            f"accuracy expects one predicted digit per label, two arrays of shape (N,); got {predictions.shape} "
            f"and {y.shape}. For logits or probabilities pass their argmax(axis=1)."
        )
    return float(np.mean(predictions == y))


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, *, n_classes: int = 10) -> NDArray[np.int64]:
    """Count how often each true class was predicted as each class.

    ``cm[i, j]`` is the number of examples whose label is i and whose prediction is j: the
    diagonal holds the correct ones, every other cell one kind of mistake. Each row sums to the
    number of examples of that class.

    Shape:
        y_true, y_pred: (N,) class indices in [0, n_classes) -> (n_classes, n_classes).
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim != 1 or y_true.shape != y_pred.shape:
        raise ValueError(f"confusion_matrix expects two label arrays of the same shape (N,); got {y_true.shape} and {y_pred.shape}.")
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        if not np.issubdtype(labels.dtype, np.integer):
            raise TypeError(f"confusion_matrix: {name} must hold class indices (integers), got dtype {labels.dtype}; "
                            f"for probabilities pass their argmax(axis=1).")
        if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
            raise ValueError(f"confusion_matrix: {name} holds {labels.min()}..{labels.max()}; class indices must be in [0, {n_classes}).")
    # Each (true, predicted) pair gets one number, true·C + predicted; counting those counts the pairs.
    counts = np.bincount(y_true.astype(np.int64) * n_classes + y_pred, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes)


def most_confident_mistakes(probs: ArrayLike, y: ArrayLike, k: int = 16) -> NDArray[np.int64]:
    """Indices of the ``k`` wrong predictions the model was most sure of, surest first.

    A prediction is wrong when argmax(probs) ≠ y; its confidence is the probability it gave to the
    class it chose. Fewer than ``k`` indices come back when there are fewer mistakes. Ties keep
    the lower index first.

    Shape:
        probs: (N, C), y: (N,) -> (min(k, mistakes),).
    """
    probs, y = np.asarray(probs), np.asarray(y)
    if probs.ndim != 2 or y.shape != (len(probs),):
        raise ValueError(f"most_confident_mistakes expects probs of shape (N, C) and labels (N,); got {probs.shape} and {y.shape}.")
    if not is_whole(k) or k < 0:
        raise ValueError(f"k must be a whole number >= 0, got {k!r}.")
    predicted = probs.argmax(axis=1)
    wrong = np.flatnonzero(predicted != y)
    confidence = probs[wrong, predicted[wrong]]
    order = np.argsort(-confidence, kind="stable")
    return wrong[order[:k]]


def _counts(cm: ArrayLike) -> NDArray[np.int64]:
    """``cm`` as an int64 matrix of counts, or a clear error saying what a confusion matrix must be."""
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] == 0:
        raise ValueError(f"precision_recall_f1 expects a square confusion matrix (C, C), rows = true class, columns = "
                         f"predicted class; got shape {cm.shape}. Build one with confusion_matrix(y_true, y_pred).")
    if cm.dtype.kind not in "iuf":
        raise TypeError(f"precision_recall_f1: the confusion matrix must hold counts (numbers), got dtype {cm.dtype}.")
    if not np.all(np.isfinite(cm)) or np.any(cm < 0) or np.any(cm != np.round(cm)):
        raise ValueError("precision_recall_f1: a confusion matrix holds counts, whole numbers >= 0; this one holds "
                         "negative, fractional or non-finite entries. Pass the counts, not rates.")
    if cm.sum() == 0:
        raise ValueError("precision_recall_f1: the confusion matrix counts no example at all; there is nothing to measure.")
    return cm.astype(np.int64)


def _ratio(top: NDArray, bottom: NDArray) -> NDArray[np.float64]:
    """top / bottom, and 0 where bottom is 0 (a class never predicted has precision 0: scikit-learn's zero_division=0)."""
    top, bottom = np.asarray(top, dtype=np.float64), np.asarray(bottom, dtype=np.float64)
    return np.divide(top, bottom, out=np.zeros_like(top), where=bottom > 0)


def precision_recall_f1(cm: ArrayLike, average: str | None = None) -> tuple[Any, Any, Any]:
    """Precision, recall and F1 of each class, or one average of them, from a confusion matrix.

    With ``cm[i, j]`` = examples of class i predicted as j (as :func:`confusion_matrix` builds it),
    class c has TP_c = cm[c, c] (true c, predicted c), FP_c = column c's sum − TP_c (predicted c, but
    another class), FN_c = row c's sum − TP_c (a c, predicted as another class). Then

        precision_c = TP_c / (TP_c + FP_c),  recall_c = TP_c / (TP_c + FN_c),
        F1_c = 2 · precision_c · recall_c / (precision_c + recall_c)   (their harmonic mean).

    A ratio whose denominator is 0 counts as 0: a class never predicted has precision 0, a class
    with no examples recall 0, and F1 is 0 when both are (scikit-learn's ``zero_division=0``).

    Averages over the C classes (``average``):
        ``"macro"``: the plain mean of the C per-class values (every class counts the same);
        ``"weighted"``: their mean weighted by each class's support (its row sum);
        ``"micro"``: TP, FP and FN summed over the classes first, then the formulas above. With one
        label per example every mistake is one FP and one FN, so micro P = micro R = micro F1 = accuracy.

    Returns:
        ``(precision, recall, f1)``: three arrays of shape (C,) for ``average=None``, else three floats.
    """
    if average not in AVERAGES:
        raise ValueError(f"precision_recall_f1: average must be one of {AVERAGES}, got {average!r}.")
    cm = _counts(cm)
    tp = np.diag(cm)
    fp, fn = cm.sum(axis=0) - tp, cm.sum(axis=1) - tp
    if average == "micro":
        tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)  # = 2PR / (P + R), and 0 when TP = 0
    if average is None:
        return precision, recall, f1
    if average == "micro":
        return float(precision), float(recall), float(f1)
    weights = None if average == "macro" else cm.sum(axis=1)
    return tuple(float(np.average(v, weights=weights)) for v in (precision, recall, f1))  # type: ignore[return-value]


def _binary(y_true: ArrayLike, scores: ArrayLike, who: str) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    y, s = np.asarray(y_true), np.asarray(scores)
    if y.ndim != 1 or y.shape != s.shape:
        raise ValueError(f"{who} expects labels and scores of the same shape (N,); got {y.shape} and {s.shape}.")
    if y.dtype.kind not in "biuf" or not np.isin(y, (0, 1)).all():
        raise ValueError(f"{who}: y_true must hold 0 (negative) and 1 (positive) only; got values "
                         f"{np.unique(y)[:5]!r}. For a class c of several, pass (y == c).")
    if s.dtype.kind not in "iuf" or not np.all(np.isfinite(s)):
        raise ValueError(f"{who}: scores must be finite real numbers, one per example (e.g. the probability of the "
                         f"positive class); got dtype {s.dtype}.")
    n_pos = int(y.sum())
    if n_pos == 0 or n_pos == len(y):
        raise ValueError(f"{who} needs both classes among the labels (the rates divide by the number of positives and of "
                         f"negatives); got {n_pos} positives of {len(y)}.")
    return y.astype(np.int64), s.astype(np.float64)


def roc_curve(y_true: ArrayLike, scores: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """The ROC curve: for every threshold τ, the false and true positive rates of "positive when score ≥ τ".

    TPR = TP / P (the recall: the fraction of the P positives found), FPR = FP / N' (the fraction of
    the N' negatives wrongly flagged). The thresholds are ∞ (nothing flagged: the point (0, 0))
    and then every distinct score, from the highest down to the lowest (everything flagged: (1, 1)).
    Same as scikit-learn's ``roc_curve(..., drop_intermediate=False)``.

    Shape:
        y_true: (N,) of 0/1, scores: (N,) -> fpr, tpr, thresholds: each (number of distinct scores + 1,).
    """
    y, s = _binary(y_true, scores, "roc_curve")
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # the last example of each run of equal scores
    tp = np.cumsum(y)[last]
    fp = last + 1 - tp
    fpr = np.r_[0, fp] / (len(y) - y.sum())
    tpr = np.r_[0, tp] / y.sum()
    return fpr, tpr, np.r_[np.inf, s[last]]


def roc_auc(y_true: ArrayLike, scores: ArrayLike) -> float:
    """The area under the ROC curve (trapezoids): the chance that a random positive scores above a random
    negative, ties counting one half. 1 is a perfect ranking, 0.5 a coin toss."""
    fpr, tpr, _ = roc_curve(y_true, scores)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
