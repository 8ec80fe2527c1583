"""Self-checks of lesson 11, is it really better: the learner's K-fold loop, bootstrap interval,
precision/recall/F1, expected calibration error and temperature fit."""

from __future__ import annotations

from course_lib.ui.checks import CheckFailed, Harness, Hints  # noqa: F401
from course_lib.ui.predictions import Prediction  # noqa: F401


# =============================================================================================
# Sections 1-2: three sets and leakage; K-fold cross-validation (helper A)
# =============================================================================================


# =============================================================================================
# Section 3: the noise between runs (helper B)
# =============================================================================================


# =============================================================================================
# Section 4: beyond accuracy (helper C)
# =============================================================================================


# =============================================================================================
# Section 5: calibration (helper D)
# =============================================================================================


# =============================================================================================
# Section 6: double descent (helper E)
# =============================================================================================

from collections.abc import Callable  # noqa: E402  (section 6's imports)

import numpy as np  # noqa: E402

from course_lib.lessons.l11_is_it_really_better.double_descent import (  # noqa: E402
    least_norm_weights, sweep_widths, width_sweep)

MIN_NORM_HINTS = Hints(
    task="Write `min_norm_fit(F, y)`, which returns the last layer's weights a (one per column of F): among all the "
         "a that make the squared error ‖F a − y‖² as small as it can be, the one of least length ‖a‖.",
    idea="When there are fewer features than points, one a makes the squared error smallest: the least-squares "
         "fit. When there are more, many a fit every point exactly, and they differ by directions that F cannot "
         "see (F times them is 0); the minimum-norm fit keeps none of those directions, which is where gradient "
         "descent started from zero ends. One tool gives both: the pseudo-inverse of F, which inverts F only on "
         "the directions it does see.",
    formula="a = F⁺ y, where F⁺ is the pseudo-inverse (Moore–Penrose) of F; when F has full row rank this is "
            "Fᵀ(F Fᵀ)⁻¹ y, when it has full column rank (FᵀF)⁻¹ Fᵀ y, and F⁺ covers the rank-deficient cases too.",
    code="`np.linalg.pinv(F) @ y`, or `np.linalg.lstsq(F, y, rcond=None)[0]`, which returns the minimum-norm "
         "least-squares solution.",
)


def min_norm_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """``(F, y)`` pairs: more points than features, fewer, as many, and two with a feature repeated (the first rank-deficient)."""
    rng = np.random.default_rng(11)
    cases = []
    for n, p in [(8, 3), (5, 12), (6, 6), (3, 7)]:
        cases.append((rng.standard_normal((n, p)), rng.standard_normal(n)))
    for n, p in [(8, 4), (4, 9)]:  # one feature twice: its weight must be split evenly between the two copies
        F = rng.standard_normal((n, p))
        F[:, -1] = F[:, 0]
        cases.append((F, rng.standard_normal(n)))
    return cases


def _singular(error: Exception) -> str:
    if isinstance(error, np.linalg.LinAlgError):
        return ("a matrix here has no inverse: FᵀF cannot be inverted when there are more features than points or "
                "when one feature repeats another, and F Fᵀ cannot when there are more points than features. "
                "Revisit the pseudo-inverse, which inverts F only on the directions it sees.")
    return ""


def check_min_norm_fit(min_norm_fit: Callable) -> None:
    """``min_norm_fit(F, y)`` must return the minimum-norm least-squares weights F⁺ y, shape (p,)."""
    cases = min_norm_cases()
    with Harness(min_norm_fit, MIN_NORM_HINTS, explain=_singular) as harness:
        for F, y in cases:
            expected = least_norm_weights(F, y)
            answer = harness.call(F, y)
            got = answer.array(expected, lead=f"Return one weight per feature (column of F): an array of shape "
                                              f"({F.shape[1]},).")
            if np.allclose(got, expected, rtol=1e-6, atol=1e-8):
                continue
            n, p = F.shape
            length, shortest = np.linalg.norm(got), np.linalg.norm(expected)
            if not np.all(np.isfinite(got)):
                why = ("the weights are not finite: a matrix with no inverse was inverted (FᵀF when features outnumber "
                       "points, or a feature is repeated). Revisit the pseudo-inverse.")
            elif np.allclose(F @ got, F @ expected, rtol=1e-6, atol=1e-8):  # the same predictions: a null-space part
                why = (f"these weights fit as well as the best ones but are longer (‖a‖ = {length:.4g}): they carry a "
                       "direction F cannot see, which changes no prediction on the points. Gradient descent from "
                       "zero never adds one; the minimum-norm fit has none. (The normal equations do this when "
                       "features outnumber points or one repeats another: FᵀF then has no inverse, and rounding "
                       "picks one of the many fits at random.)")
            elif p >= n and np.linalg.matrix_rank(F) == n and length < shortest:
                why = ("these weights miss the points although an exact fit exists, and are shorter than it: that is "
                       "what a penalty on ‖a‖ (ridge, lesson 06) does. The minimum-norm fit has no penalty: first fit, "
                       "then be short.")
            elif p < n:
                why = ("with fewer features than points no weights fit every point; the answer is the least-squares "
                       "fit, whose error is orthogonal to every column of F, and these weights are not it.")
            else:
                why = ("these weights do not make the squared error as small as it can be: first make ‖F a − y‖ "
                       "smallest, then among those weights take the shortest.")
            answer.fail(expected, why=why)
        harness.passed(len(cases))


WIDTH_OPTIONS = ("at the narrowest widths (1 to 5)", "near width N = 40", "at the widest widths (near 400)")


def where_the_test_error_peaks() -> str:
    """Which of WIDTH_OPTIONS the noisy sweep of the notebook (N = 40, noise 0.3, five seeds) shows."""
    sweep = width_sweep(sweep_widths(40), noise=0.3)
    width, _ = sweep.peak()
    if width <= 5:
        return WIDTH_OPTIONS[0]
    return WIDTH_OPTIONS[1] if 40 / 1.5 <= width <= 40 * 1.5 else WIDTH_OPTIONS[2]


choose_double_descent_peak = Prediction(
    "where the test error of the minimum-norm fit is highest as the width goes from 1 to 400 with N = 40 noisy "
    "training points; one of the options", truth=where_the_test_error_peaks, options=WIDTH_OPTIONS,
)
