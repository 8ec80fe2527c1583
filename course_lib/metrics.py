"""Measures of a classifier's predictions, shared by the MNIST lessons: accuracy, the confusion matrix, its surest mistakes."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from course_lib.recipes import is_whole

__all__ = ["accuracy", "confusion_matrix", "most_confident_mistakes"]


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
