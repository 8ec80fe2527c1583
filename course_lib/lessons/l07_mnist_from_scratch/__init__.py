"""Lesson 07, MNIST from scratch: a NumPy network that reaches 98 % on real handwritten digits."""

import numpy as np

from course_lib.lessons import ExplorerEntry, Lesson, Timing
from course_lib.lessons.l07_mnist_from_scratch.checks import (
    check_accuracy, check_confusion_matrix, check_standardise, check_train_one_epoch, predict_untrained_loss)
from course_lib.lessons.l07_mnist_from_scratch.explorers import LiveCurves, mistake_browser


def _random_probabilities(n: int, seed: int) -> np.ndarray:
    logits = np.random.default_rng(seed).normal(size=(n, 10))
    return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


def _small():
    rng = np.random.default_rng(0)
    return mistake_browser(rng.random((12, 784), dtype=np.float32), np.arange(12) % 10, _random_probabilities(12, seed=1))


def _full():
    """The lesson passes its trained network's test probabilities; random ones of the same shape
    (about 90 % mistakes, many more than the lesson's 2 %) cost the same per redraw."""
    from course_lib.data import load_mnist

    X, y = load_mnist("test")
    return mistake_browser(X, y, _random_probabilities(len(X), seed=0))


LESSON = Lesson(
    notebook="07_mnist_from_scratch.ipynb",
    explorers=(ExplorerEntry(mistake_browser, small=_small, full=_full, timings=(Timing("rank", "rank", (2, 3)),)),),
    widgets=(LiveCurves,),
    checks=(check_train_one_epoch, check_standardise, check_accuracy, check_confusion_matrix),
    predictions=(predict_untrained_loss,),
)
