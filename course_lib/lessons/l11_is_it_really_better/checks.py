"""Self-checks of lesson 11, is it really better: the learner's K-fold loop, bootstrap interval,
precision/recall/F1, expected calibration error and temperature fit."""

from __future__ import annotations

from course_lib.ui.checks import CheckFailed, Harness, Hints, diagnose  # noqa: F401
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

from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402
from numpy.typing import NDArray  # noqa: E402

from course_lib.lessons.l11_is_it_really_better.beyond import (  # noqa: E402
    POSITIVE_DIGIT, digit_classifier, is_digit, share_of_digit, threshold_scores)
from course_lib.metrics import precision_recall_f1  # noqa: E402
from course_lib.ui.checks import close  # noqa: E402

predict_always_no_accuracy = Prediction(
    f"the test accuracy of a model that answers \"not a {POSITIVE_DIGIT}\" for every image (a fraction between 0 "
    "and 1; within 2 % counts)",
    truth=lambda: 1.0 - share_of_digit(POSITIVE_DIGIT), rtol=0.02,
)

THRESHOLD_OPTIONS = ("both rise", "precision rises, recall falls", "precision falls, recall rises", "both fall")


def threshold_move(low: float = 0.5, high: float = 0.9, seed: int = 0) -> str:
    """What raising τ from ``low`` to ``high`` does to the precision and recall of "is it a 5?", in words."""
    labels, scores = is_digit(*digit_classifier(seed=seed))
    before, after = threshold_scores(labels, scores, low), threshold_scores(labels, scores, high)
    p, r = after["precision"] > before["precision"], after["recall"] > before["recall"]
    return {(True, True): "both rise", (True, False): "precision rises, recall falls",
            (False, True): "precision falls, recall rises", (False, False): "both fall"}[(p, r)]


choose_threshold_move = Prediction(
    f"what happens to the precision and the recall of \"is it a {POSITIVE_DIGIT}?\" when the threshold τ rises "
    "from 0.5 to 0.9", truth=threshold_move, options=THRESHOLD_OPTIONS,
)


def score_cases() -> list[NDArray[np.int64]]:
    """Confusion matrices to grade on: by hand, with a class never predicted, with an absent class, random 10 × 10."""
    rng = np.random.default_rng(11)
    random = rng.integers(0, 6, size=(10, 10)) + np.diag(rng.integers(20, 90, size=10))
    random[:, 7] = 0  # digit 7 is never predicted
    return [
        np.array([[8, 1, 1], [3, 4, 3], [0, 2, 6]]),
        np.array([[5, 0, 2], [3, 0, 1], [1, 0, 9]]),  # class 1 is never predicted
        np.array([[6, 0, 1, 0], [0, 0, 0, 0], [2, 0, 5, 3], [1, 0, 0, 9]]),  # class 1 has no example either
        random,
    ]


NEVER_PREDICTED = ("a class that is never predicted has no TP and no FP, so its precision is 0/0; the convention is "
                   "that a ratio with nothing below the line counts as 0 (and so does an F1 whose precision and "
                   "recall are both 0), never NaN or an error.")

PER_CLASS_HINTS = Hints(
    task="Write per_class_scores(cm), which takes a confusion matrix (rows = true class, columns = predicted class) "
         "and returns three arrays, one value per class: the precision, the recall and the F1 of each class.",
    idea="For each class c: its true positives are the examples of c predicted as c, its false positives the "
         "examples of other classes predicted as c (the rest of its column), its false negatives the examples of c "
         "predicted as something else (the rest of its row). Precision asks how many of the flagged are right, "
         "recall how many of the right ones are flagged; F1 is their harmonic mean. A ratio with 0 below the line "
         "counts as 0.",
    formula="TP_c = cm[c, c], FP_c = Σᵢ cm[i, c] − TP_c, FN_c = Σⱼ cm[c, j] − TP_c; precision_c = TP_c / (TP_c + FP_c), "
            "recall_c = TP_c / (TP_c + FN_c), F1_c = 2·P·R / (P + R); each is 0 when its denominator is 0.",
    code="`tp = np.diag(cm)`, column sums `cm.sum(axis=0)`, row sums `cm.sum(axis=1)`; divide safely with "
         "`np.divide(top, bottom, out=np.zeros(len(cm)), where=bottom > 0)`.",
)


def _zero_division(err: Exception) -> str:
    return NEVER_PREDICTED if isinstance(err, (ZeroDivisionError, FloatingPointError)) else ""


def check_per_class_scores(per_class_scores: Callable[[NDArray], tuple[NDArray, NDArray, NDArray]]) -> None:
    """``per_class_scores(cm)`` must return (precision, recall, f1), each of shape (C,), as precision_recall_f1(cm)."""
    cases = score_cases()
    with Harness(per_class_scores, PER_CLASS_HINTS, explain=_zero_division) as harness:
        for cm in cases:
            expected = precision_recall_f1(cm)
            answer = harness.call(cm)
            lead = "Return three arrays, one value per class each: the precisions, the recalls and the F1 scores."
            parts = answer.parts("the precisions", "the recalls", "the F1 scores", expected=expected, lead=lead)
            got = tuple(part.array(want, lead=lead) for part, want in zip(parts, expected))
            if all(close(g, e) for g, e in zip(got, expected)):
                continue
            p, r, f1 = expected
            arithmetic = np.where(p + r > 0, (p + r) / 2, 0.0)
            mistakes = [
                ((r, p, f1), "precision and recall are swapped: rows and columns were read the wrong way round. A row "
                 "holds the examples of one TRUE class, a column those PREDICTED as one class; precision looks down "
                 "a class's column (what was flagged as c), recall along its row (what truly is c)."),
                ((p, r, arithmetic), "the F1 is the arithmetic mean of precision and recall; F1 is their harmonic "
                 "mean, which stays low when either of them is low (a recall of 1 cannot make up for a precision "
                 "near 0)."),
                ((p, r, (p + r) / 2), "the F1 is the arithmetic mean of precision and recall; F1 is their harmonic "
                 "mean, which stays low when either of them is low."),
            ]
            if any(np.isnan(g).any() for g in got):
                why = NEVER_PREDICTED
            else:
                why = diagnose(got, mistakes, "")
            answer.fail(expected, why=why)
        harness.passed(len(cases))


def average_cases() -> list[NDArray[np.int64]]:
    """Confusion matrices whose classes differ in size, so that macro, weighted and micro averages all differ."""
    rng = np.random.default_rng(12)
    sizes = np.array([300, 40, 120, 15, 200, 60])
    random = np.stack([rng.multinomial(n, 0.06 * (1 - np.eye(6)[i]) + 0.7 * np.eye(6)[i]) for i, n in
                       enumerate(sizes)])
    return [
        np.array([[90, 5, 5], [4, 6, 0], [10, 0, 20]]),
        np.array([[50, 0, 3], [6, 0, 4], [2, 0, 12]]),  # class 1 is never predicted
        random,
    ]


MACRO_MICRO_HINTS = Hints(
    task="Write macro_and_micro_f1(cm), which takes a confusion matrix (rows = true class, columns = predicted class) "
         "and returns two floats: the macro-averaged F1 and the micro-averaged F1.",
    idea="Macro averages the per-class F1 scores with equal weight, so a small class counts as much as a large one. "
         "Micro first pools the counts of all the classes (all the TPs, all the FPs, all the FNs) and computes one "
         "F1 from the totals, so every example counts the same. With one label per example, each mistake is a FP "
         "of one class and a FN of another, so micro F1 equals the accuracy.",
    formula="macro F1 = (1/C) Σ_c F1_c;  micro F1 = 2·TP / (2·TP + FP + FN) with TP = Σ_c TP_c, FP = Σ_c FP_c, "
            "FN = Σ_c FN_c (= trace(cm) / cm.sum()).",
    code="`precision, recall, f1 = per_class_scores(cm)` then `f1.mean()` for macro; for micro, "
         "`np.trace(cm) / cm.sum()`; return both as floats.",
)


def check_macro_and_micro_f1(macro_and_micro_f1: Callable[[NDArray], tuple[float, float]]) -> None:
    """``macro_and_micro_f1(cm)`` must return (macro F1, micro F1), as precision_recall_f1 averages them."""
    cases = average_cases()
    with Harness(macro_and_micro_f1, MACRO_MICRO_HINTS, explain=_zero_division) as harness:
        for cm in cases:
            expected = (precision_recall_f1(cm, "macro")[2], precision_recall_f1(cm, "micro")[2])
            answer = harness.call(cm)
            lead = "Return two numbers: the macro F1, then the micro F1."
            macro, micro = answer.parts("the macro F1", "the micro F1", expected=expected, lead=lead)
            got = (macro.number(expected[0], lead=lead), micro.number(expected[1], lead=lead))
            if close(got, expected):
                continue
            mp, mr, _ = precision_recall_f1(cm, "macro")
            weighted = precision_recall_f1(cm, "weighted")[2]
            mistakes = [
                ((expected[1], expected[0]), "macro and micro are swapped: macro is the plain mean over the classes "
                 "(every class counts the same), micro pools the counts first (every example counts the same)."),
                ((weighted, expected[1]), "this macro F1 weights each class by its number of examples (its "
                 "support): that is the 'weighted' average, which lets the big classes drown the small ones. Macro "
                 "gives every class the same weight."),
                ((2 * mp * mr / (mp + mr), expected[1]), "this macro F1 is the harmonic mean of the macro precision "
                 "and the macro recall; the macro F1 is the mean of the per-class F1 scores."),
            ]
            why = NEVER_PREDICTED if np.isnan(got).any() else diagnose(got, mistakes, "")
            answer.fail(expected, why=why)
        harness.passed(len(cases))


# =============================================================================================
# Section 5: calibration (helper D)
# =============================================================================================


# =============================================================================================
# Section 6: double descent (helper E)
# =============================================================================================
