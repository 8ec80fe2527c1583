"""Self-checks of lesson 10, when training goes wrong: the learner's update/weight ratio, first-NaN
locator and layer norm backward, and the clinic's diagnoses."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from course_lib.lessons.l10_when_training_goes_wrong.sanity import initial_losses, relative_update
from course_lib.ui.checks import Harness, Hints, close, diagnose
from course_lib.ui.predictions import Prediction


# =============================================================================================
# Sanity checks, the dashboard and the NaN triage (checks of the update/weight ratio and the
# first-NaN locator). Section owned by the dashboard work.
# =============================================================================================

# ---- Sanity checks before training (section 1): the initial loss, the update/weight ratio. -----
# ---- Owned by the sanity work.                                                              -----

# The truth is seed 0's network (2.319); seeds 1 and 2 give 2.304 and 2.305, all within 1 % of ln 10.
predict_initial_loss = Prediction(
    "the untrained network's mean cross-entropy loss on the 1 000 validation images",
    truth=lambda: float(initial_losses(seeds=(0,))[0]), rtol=0.1,
)

RATIO_TOL = {"rtol": 1e-6, "atol": 0.0}  # ratios as small as 1e-6 are compared relatively


def ratio_cases() -> list[tuple[NDArray, NDArray]]:
    """``(before, after)`` pairs of one layer's weights: moderate, large, shrinking and tiny steps, several shapes."""
    rng = np.random.default_rng(10)
    cases = []
    for shape, w_scale, step in [((3, 4), 1.0, 0.3), ((4, 6), 0.5, 1.0), ((5, 7), 1.0, None), ((64, 100), 0.1, 1e-3),
                                 ((10, 20), 0.05, 1e-6), ((1, 8), 2.0, 0.05)]:
        before = w_scale * rng.standard_normal(shape)
        if step is None:  # a step that shrinks the weights (as weight decay does), plus some noise
            after = 0.6 * before + 0.1 * rng.standard_normal(shape)
        else:
            after = before + step * w_scale * rng.standard_normal(shape)
        cases.append((before, after))
    return cases


def check_update_ratio(update_ratio: Callable[[NDArray, NDArray], float]) -> None:
    """``update_ratio(before, after)`` must return ‖after − before‖ / ‖before‖ (Frobenius norms), one float."""
    hints = Hints(
        task="Return one float: how large the step from `before` to `after` (one layer's weights before and after an "
             "optimizer step) is, relative to the size of the weights before the step, both sizes measured by the "
             "Frobenius norm.",
        idea="The update/weight ratio compares the length of the change one step made to a layer with the length of "
             "the weights it started from. A length of a whole matrix is its Frobenius norm, the square root of the "
             "sum of the squares of all its entries, so the answer is one number per layer.",
        formula="ratio = ‖ΔW‖ / ‖W‖ with ΔW = after − before, W = before, and ‖A‖ = √(Σᵢⱼ Aᵢⱼ²).",
        code="`np.linalg.norm(A)` is the Frobenius norm of a matrix A: divide the norm of `after - before` by the "
             "norm of `before`, and return it as a `float`.",
    )
    cases = ratio_cases()
    with Harness(update_ratio, hints) as harness:
        for before, after in cases:
            expected = relative_update(before, after)
            answer = harness.call(before, after)
            got = answer.number(expected, lead="Return one number for the whole layer: each norm is taken over all "
                                               "the layer's weights at once, not entry by entry.")
            if close(got, expected, **RATIO_TOL):
                continue
            dw = after - before
            norm = np.linalg.norm
            grew = ("this is the change of the weights' norm, not the norm of their change: a step can turn the "
                    "weights without making them longer. Measure the length of the difference between the two matrices.")
            mistakes = [
                (norm(before) / norm(dw), "this is the inverse ratio, ‖W‖/‖ΔW‖: the size of the step goes on top, "
                 "the size of the weights below, so a tiny step gives a tiny ratio."),
                ((norm(after) - norm(before)) / norm(before), grew),
                (abs(norm(after) - norm(before)) / norm(before), grew),
                (norm(dw) / norm(after), "this divides by the norm of the weights after the step; the ratio compares "
                 "the step with the weights it started from, before it (are before and after swapped?)."),
                (norm(dw), "this is the size of the step alone. A step of 0.01 is tiny for weights of size 100 and huge "
                 "for weights of size 0.001: divide by the size of the weights before the step."),
                ((norm(dw) / norm(before)) ** 2, "this is the ratio of the squared norms: a norm is the square root of "
                 "the sum of squares."),
                (np.mean(np.abs(dw) / np.abs(before)), "this is the mean of entry-by-entry ratios, which a single "
                 "weight near 0 can blow up. Compare the norm of the whole change with the norm of the whole matrix."),
                (np.mean(dw / before), "this is the mean of entry-by-entry ratios, whose signs cancel and which a "
                 "weight near 0 can blow up. Compare the norm of the whole change with the norm of the whole matrix."),
                (np.abs(dw).sum() / np.abs(before).sum(), "these are sums of absolute values (the L1 norm); the "
                 "course's ratio uses the Frobenius norm, the square root of the sum of squares."),
                (norm(dw, 2) / norm(before, 2), "these are spectral norms (a matrix's largest singular value, "
                 "which ord=2 asks for); the course's ratio uses the Frobenius norm, over all the entries at once."),
            ]
            answer.fail(expected, why=diagnose(got, mistakes, "", **RATIO_TOL))
        harness.passed(len(cases))


# =============================================================================================
# The clinic: grading a diagnosis of a broken run, and its fix.
# Section owned by the clinic work.
# =============================================================================================


# =============================================================================================
# Depth: the learner's layer norm backward, graded by gradient checks.
# Section owned by the depth work.
# =============================================================================================
