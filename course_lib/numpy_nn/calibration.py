"""Calibration: does a classifier that says 90 % turn out right 90 % of the time?

A classifier's *confidence* on an example is the probability it gives its predicted class, the
largest entry of the row of ``softmax(logits)``. Sort the N examples into ``n_bins`` equal-width
bins of confidence, [0, 1/M), [1/M, 2/M), ..., [(M−1)/M, 1] (the last bin closed, so that a
confidence of exactly 1 counts), and compare in each bin b of n_b examples

* conf_b, the mean confidence of its examples, with
* acc_b, the fraction of them the model got right.

A *reliability diagram* draws acc_b against conf_b; a calibrated model lies on the diagonal. The
*expected calibration error* sums the gaps, each weighted by the share of the examples in its bin:

    ECE = Σ_b (n_b / N) · |acc_b − conf_b|     (empty bins weigh 0).

*Temperature scaling* (Guo et al., "On calibration of modern neural networks", 2017) divides the
logits by one number T > 0 before the softmax: T > 1 softens overconfident probabilities, T < 1
sharpens underconfident ones, and no prediction changes (dividing by T keeps the largest logit the
largest). T is chosen to minimise the mean negative log-likelihood (NLL) on held-out data:

    NLL(T) = mean_i [ log Σ_c exp(z_ic / T) − z_iy_i / T ].

In β = 1/T the NLL is convex (a log-sum-exp of a linear function of β, minus a linear one), so it
has one minimum, found here by Newton's method on β kept inside a shrinking bracket.
The torch twin (``course_lib.torch_nn.calibration``) computes the same numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from course_lib.validation import calibration_inputs, temperature_inputs

__all__ = ["expected_calibration_error", "fit_temperature", "reliability_bins"]


def reliability_bins(probs: Any, y: Any, n_bins: int = 15) -> tuple[NDArray, NDArray, NDArray]:
    """Per confidence bin: the mean confidence, the accuracy and the number of examples.

    Args:
        probs: (N, C) predicted probabilities, each row summing to 1 (``softmax(logits)``).
        y: (N,) the true class indices.
        n_bins: M, the number of equal-width bins on [0, 1].

    Returns:
        ``(confidence, accuracy, count)``, three arrays of shape (M,). An empty bin has count 0 and
        confidence and accuracy 0 (never NaN): it weighs nothing in the ECE.
    """
    probs, y, n_bins = calibration_inputs("reliability_bins", probs, y, n_bins)
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == y).astype(np.float64)
    bins = np.minimum((confidence * n_bins).astype(np.int64), n_bins - 1)  # confidence 1.0 -> the last bin
    count = np.bincount(bins, minlength=n_bins)
    seen = np.maximum(count, 1)  # an empty bin's sums are 0, so 0 / 1 = 0
    return (np.bincount(bins, weights=confidence, minlength=n_bins) / seen,
            np.bincount(bins, weights=correct, minlength=n_bins) / seen, count)


def expected_calibration_error(probs: Any, y: Any, n_bins: int = 15) -> float:
    """ECE = Σ_b (n_b / N) · |acc_b − conf_b| over ``n_bins`` equal-width confidence bins (0: calibrated)."""
    probs, y, n_bins = calibration_inputs("expected_calibration_error", probs, y, n_bins)
    confidence, accuracy, count = reliability_bins(probs, y, n_bins)
    return float(np.sum(count / len(y) * np.abs(accuracy - confidence)))


def _nll_slopes(logits: NDArray, y: NDArray, beta: float) -> tuple[float, float]:
    """The first and second derivatives of the NLL with respect to β = 1/T."""
    scaled = beta * logits
    p = np.exp(scaled - scaled.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    mean_z = np.sum(p * logits, axis=1)
    first = np.mean(mean_z - logits[np.arange(len(y)), y])
    second = np.mean(np.sum(p * logits**2, axis=1) - mean_z**2)
    return float(first), float(second)


def fit_temperature(logits: Any, y: Any) -> float:
    """The temperature T > 0 that minimises the NLL of ``softmax(logits / T)`` on the labels ``y``.

    Fit it on validation data, never on the test set. Newton's method on β = 1/T, starting at T = 1;
    a step that leaves the bracket [lo, hi] known to hold the minimum is replaced by its midpoint.

    Raises:
        ValueError: the logits do not favour the true classes on average (the minimum is at T = ∞), or
            the model makes no mistake on these data (the NLL falls without end as T → 0).
    """
    logits, y = temperature_inputs(logits, y)
    lo, hi = 0.0, 1.0
    while _nll_slopes(logits, y, hi)[0] < 0:  # the NLL still falls at β = hi: the minimum lies beyond
        lo, hi = hi, 2 * hi
    beta = hi
    for _ in range(200):
        first, second = _nll_slopes(logits, y, beta)
        if first == 0:
            break
        lo, hi = (beta, hi) if first < 0 else (lo, beta)
        new = beta - first / second if second > 0 else (lo + hi) / 2
        if not lo < new < hi:
            new = (lo + hi) / 2
        done, beta = abs(new - beta) <= 1e-12 * beta, new
        if done:
            break
    return float(1.0 / beta)
