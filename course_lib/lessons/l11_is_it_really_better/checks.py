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

import numpy as np

from course_lib.lessons.l11_is_it_really_better.calibration import MLP_RECIPE, model_logits, train_short_mlp
from course_lib.numpy_nn.calibration import expected_calibration_error, fit_temperature
from course_lib.numpy_nn.functional import softmax_forward
from course_lib.recipes import load_splits
from course_lib.ui.checks import close, diagnose


def mlp_confidence_gap() -> float:
    """The shortened lesson 07 MLP's mean confidence minus its accuracy on the test images (> 0: overconfident)."""
    splits = load_splits(MLP_RECIPE)
    probs = softmax_forward(model_logits(train_short_mlp(splits), splits.test[0]))[0]
    return float(probs.max(axis=1).mean() - np.mean(probs.argmax(axis=1) == splits.test[1]))


predict_mlp_confidence = Prediction(
    "whether the lesson 07 MLP, trained 6 epochs on 5 000 images, is overconfident (its mean confidence on the "
    "test images above its accuracy) or underconfident (below); one of the options",
    truth=lambda: "overconfident" if mlp_confidence_gap() > 0 else "underconfident",
    options=("overconfident", "underconfident"),
)


# -- exercise: the expected calibration error ---------------------------------------------------

ECE_HINTS = Hints(
    task="Write ece(probs, y, n_bins), which returns the expected calibration error of the (N, C) predicted "
         "probabilities `probs` on the true classes `y`, over `n_bins` equal-width confidence bins on [0, 1], as "
         "one float.",
    idea="A model's confidence on an example is the probability of the class it predicts, the largest in its row. "
         "Sort the examples into equal-width bins of confidence; in each bin compare the accuracy (the fraction "
         "predicted right) with the mean confidence, and add up the gaps, each weighted by the share of all "
         "examples that fall in its bin. A bin with no examples weighs nothing, and a confidence of exactly 1 "
         "belongs to the last bin.",
    formula="conf_i = max_c probs[i, c]; bin of i = ⌊conf_i · M⌋, with conf_i = 1 in bin M − 1; per bin b with "
            "n_b > 0 examples: acc_b = (right ones in b) / n_b, conf_b = (Σ conf_i in b) / n_b; "
            "ECE = Σ_b (n_b / N) · |acc_b − conf_b|.",
    code="`conf = probs.max(axis=1)`, `right = probs.argmax(axis=1) == y`, `bins = np.minimum((conf * n_bins)"
         ".astype(int), n_bins - 1)`; then loop `for b in range(n_bins)` over `inside = bins == b`, skip the bin "
         "when `inside.sum() == 0`, and add `inside.mean() * abs(right[inside].mean() - conf[inside].mean())`.",
)

ECE_MISTAKES = {
    "nan": "the answer is NaN: a bin with no examples has no mean (0 / 0), and bins with no samples must add "
           "nothing, since they hold no examples to weigh.",
    "equal_nonempty": "the bins are weighted equally. A bin holding 3 examples must count far less than one "
                      "holding 300: weight each bin's gap by the share of the examples in it, n_b / N.",
    "equal_all": "the bins are weighted equally (empty ones too). A bin holding 3 examples must count far less "
                 "than one holding 300: weight each bin's gap by the share of the examples in it, n_b / N.",
    "true_class": "this uses the probability of the TRUE class as the confidence. A model's confidence is the "
                  "probability of the class it predicts, the largest in the row, whether or not it is right.",
    "overall_acc": "this compares each bin's confidence with the accuracy over ALL examples; calibration compares "
                   "the accuracy and the confidence of the same bin's examples.",
    "overall_conf": "this compares each bin's accuracy with the mean confidence over ALL examples; calibration "
                    "compares the accuracy and the confidence of the same bin's examples.",
    "overall": "this is the gap between the overall accuracy and the overall mean confidence. Overconfidence in one "
               "bin can cancel underconfidence in another: compare accuracy and confidence bin by bin.",
    "last_bin": "the examples with confidence exactly 1 are left out: the last bin must include its right edge, "
                "1.0, or the surest predictions are never counted.",
    "last_bin_n": "the examples with confidence exactly 1 are left out: the last bin must include its right edge, "
                  "1.0, or the surest predictions are never counted.",
    "signed": "this keeps the sign of each bin's gap, so overconfident and underconfident bins cancel; the ECE adds "
              "the sizes of the gaps (their absolute values).",
    "counts": "the gaps are weighted by the bins' counts n_b, not by their shares n_b / N of the examples: the ECE "
              "is a fraction between 0 and 1.",
}


def _away_from_edges(probs: np.ndarray, n_bins: int) -> bool:
    """No confidence on an inner bin edge, where (lo, hi] and [lo, hi) bins would disagree (1.0 is fine)."""
    conf = probs.max(axis=1)
    scaled = conf[conf < 1] * n_bins
    return bool(np.all(np.abs(scaled - np.round(scaled)) > 1e-6))


def ece_cases() -> list[tuple[np.ndarray, np.ndarray, int]]:
    """``(probs, y, n_bins)``: a hand case, then rows with confidence exactly 1, a binary task, ten classes."""
    hand = np.array([[0.95, 0.05, 0.0], [0.05, 0.95, 0.0], [0.85, 0.1, 0.05], [0.15, 0.25, 0.6], [0.45, 0.35, 0.2],
                     [0.3, 0.65, 0.05]])
    cases = [(hand, np.array([0, 0, 0, 2, 1, 1]), 10)]
    rng = np.random.default_rng(11)
    for n, c, n_bins, sharp, sure in [(60, 4, 5, 2.0, 12), (200, 2, 10, 1.5, 0), (300, 10, 15, 3.0, 20)]:
        while True:
            logits = sharp * rng.standard_normal((n, c))
            y = np.where(rng.random(n) < 0.7, logits.argmax(axis=1), rng.integers(0, c, n))
            probs = softmax_forward(logits)[0]
            probs[:sure] = np.eye(c)[rng.integers(0, c, sure)]  # rows with confidence exactly 1.0
            if _away_from_edges(probs, n_bins):
                break
        cases.append((probs, y, n_bins))
    return cases


def ece_with_mistake(probs: np.ndarray, y: np.ndarray, n_bins: int, mistake: str) -> float:
    """The ECE as a learner making ``mistake`` (a key of ECE_MISTAKES) computes it."""
    n = len(y)
    conf = probs[np.arange(n), y] if mistake == "true_class" else probs.max(axis=1)
    right = (probs.argmax(axis=1) == y).astype(float)
    if mistake == "overall":
        return float(abs(right.mean() - conf.mean()))
    bins = (conf * n_bins).astype(int)
    if not mistake.startswith("last_bin"):
        bins = np.minimum(bins, n_bins - 1)
    kept = np.count_nonzero(bins < n_bins) if mistake == "last_bin_n" else n
    total, gaps = 0.0, []
    for b in range(n_bins):
        inside = bins == b
        if not inside.any():
            if mistake == "nan":
                return float("nan")
            gaps.append(0.0 if mistake == "equal_all" else None)
            continue
        acc = right.mean() if mistake == "overall_acc" else right[inside].mean()
        mean_conf = conf.mean() if mistake == "overall_conf" else conf[inside].mean()
        gap = acc - mean_conf if mistake == "signed" else abs(acc - mean_conf)
        gaps.append(gap)
        total += (inside.sum() if mistake == "counts" else inside.sum() / kept) * gap
    if mistake.startswith("equal"):
        return float(np.mean([g for g in gaps if g is not None]))
    return float(total)


def check_ece(ece):
    """``ece(probs, y, n_bins)`` must return the expected calibration error, one float."""
    cases = ece_cases()
    with Harness(ece, ECE_HINTS) as harness:
        for probs, y, n_bins in cases:
            expected = expected_calibration_error(probs, y, n_bins)
            answer = harness.call(probs, y, n_bins)
            got = answer.number(expected, lead="Return one number: the ECE of all the examples together.")
            if close(got, expected, rtol=1e-6, atol=1e-9):
                continue
            if np.isnan(got):
                answer.fail(expected, why=ECE_MISTAKES["nan"])
            mistakes = [(ece_with_mistake(probs, y, n_bins, m), why) for m, why in ECE_MISTAKES.items() if m != "nan"]
            answer.fail(expected, why=diagnose(got, mistakes, "", rtol=1e-6, atol=1e-9))
        harness.passed(len(cases))


# -- exercise: the temperature fit --------------------------------------------------------------

TEMPERATURE_HINTS = Hints(
    task="Write fit_temperature_to(logits, y), which returns the temperature T > 0 that minimises the mean negative "
         "log-likelihood of softmax(logits / T) on the true classes y (N rows of C logits), as one float correct "
         "to 0.1 %.",
    idea="Temperature scaling divides every logit by one number T before the softmax: it changes how sure the model "
         "is, never which class it picks. The best T is the one under which the true classes get the highest "
         "probability on average, that is the lowest mean cross-entropy (NLL). Only the NLL weighs how sure the model "
         "is on each example; accuracy does not change with T at all. A 1-D search over T does it: T must stay "
         "positive, so search over log T.",
    formula="NLL(T) = mean_i [ log Σ_c exp(z_ic / T) − z_iyᵢ / T ]; T* = argmin_{T > 0} NLL(T). Search log T on a "
            "grid from about −3 to 3, then again on a finer grid around the best point, until the step is below 1e-4.",
    code="`nll = lambda T: -np.mean(log_softmax(logits / T)[np.arange(len(y)), y])` with a stable log-softmax "
         "(subtract the row's maximum); `grid = np.exp(np.linspace(-3, 3, 601))`; keep "
         "`min(grid, key=nll)`, then search a finer grid around it.",
)

TEMPERATURE_MISTAKES = {
    "multiplied": "this is 1 / T: the logits were multiplied by T instead of divided by it. Temperature scaling "
                  "divides, so T > 1 softens the probabilities.",
    "outside": "a temperature must be a finite number above 0: T ≤ 0 flips or erases the logits' order, and the "
               "search must stay where T > 0 (search over log T).",
    "ignores_y": "the answer stays the same when the labels y change: a fit that never looks at y, or looks only at "
                 "something T does not change (the accuracy: dividing by T never changes a prediction), cannot find "
                 "T. The NLL asks how much probability the TRUE classes get.",
    "unmoved": "T = 1 leaves the model as it was. Did the search look at something T does not change, such as the "
               "accuracy (dividing the logits by T never changes the predicted class)? Minimise the NLL.",
    "ece": "this T has a lower ECE than the best T but a higher NLL: it minimises the ECE (a few bins' gaps, which "
           "jump as examples cross bin edges). Temperature scaling minimises the NLL, smooth in T.",
    "not_minimum": "this T is not where the NLL is lowest: a nearby T gives a lower NLL. Make the search finer "
                   "around its best point, or run it longer.",
}


def temperature_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """``(logits, y)``: an overconfident model, an underconfident one, and the first's logits with other labels."""
    rng = np.random.default_rng(12)
    cases = []
    for n, c, scale, hit in [(400, 10, 4.0, 0.7), (300, 5, 0.6, 0.8)]:
        logits = scale * rng.standard_normal((n, c))
        y = np.where(rng.random(n) < hit, logits.argmax(axis=1), rng.integers(0, c, n))
        cases.append((logits, y))
    logits, y = cases[0]
    right = np.where(rng.random(len(y)) < 0.97, logits.argmax(axis=1), y)  # the same logits, mostly right
    cases.append((logits, right))
    return cases


def nll_at(logits: np.ndarray, y: np.ndarray, T: float) -> float:
    """The mean negative log-likelihood of softmax(logits / T) on the classes y."""
    scaled = logits / T
    top = scaled.max(axis=1, keepdims=True)
    log_probs = scaled - top - np.log(np.exp(scaled - top).sum(axis=1, keepdims=True))
    return float(-np.mean(log_probs[np.arange(len(y)), y]))


def check_fit_temperature(fit_temperature_to):
    """``fit_temperature_to(logits, y)`` must return the T > 0 minimising the NLL, within 0.1 %."""
    cases = temperature_cases()
    with Harness(fit_temperature_to, TEMPERATURE_HINTS) as harness:
        for logits, y in cases:
            expected = fit_temperature(logits, y)
            answer = harness.call(logits, y)
            got = answer.number(expected, lead="Return one number, the temperature T.")
            if close(got, expected, rtol=1e-3, atol=0):
                continue
            if not 0 < got < np.inf:
                why = TEMPERATURE_MISTAKES["outside"]
            elif close(got, 1 / expected, rtol=2e-2, atol=0):
                why = TEMPERATURE_MISTAKES["multiplied"]
            elif got == 1.0:
                why = TEMPERATURE_MISTAKES["unmoved"]
            elif close(harness.call(logits, np.roll(y, 1)).got, got, rtol=1e-9):  # other labels, same answer
                why = TEMPERATURE_MISTAKES["ignores_y"]
            elif (expected_calibration_error(softmax_forward(logits / got)[0], y) <
                  expected_calibration_error(softmax_forward(logits / expected)[0], y)):
                why = TEMPERATURE_MISTAKES["ece"]
            elif nll_at(logits, y, got) > nll_at(logits, y, expected) and abs(np.log(got / expected)) < 0.05:
                why = TEMPERATURE_MISTAKES["not_minimum"]
            else:
                why = ""
            answer.fail(expected, why=why)
        harness.passed(len(cases))


# =============================================================================================
# Section 6: double descent (helper E)
# =============================================================================================
