"""Self-checks of lesson 11, is it really better: the learner's k-fold loop, bootstrap interval,
precision/recall/F1, expected calibration error and temperature fit."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

import numpy as np
from numpy.typing import NDArray

from course_lib.lessons.l11_is_it_really_better.beyond import (
    POSITIVE_DIGIT, digit_classifier, is_digit, share_of_digit, threshold_scores,
)
from course_lib.lessons.l11_is_it_really_better.calibration import MLP_RECIPE, model_logits, train_short_mlp
from course_lib.lessons.l11_is_it_really_better.double_descent import least_norm_weights, sweep_widths, width_sweep
from course_lib.lessons.l11_is_it_really_better.noise import (
    SEEDS, SHORT_RECIPE, bootstrap_accuracies, bootstrap_interval, seed_accuracies,
)
from course_lib.lessons.l11_is_it_really_better.splits import cross_val_scores, over_seeds, selection_leak
from course_lib.metrics import precision_recall_f1
from course_lib.numpy_nn.calibration import expected_calibration_error, fit_temperature
from course_lib.numpy_nn.functional import softmax_forward
from course_lib.recipes import load_splits
from course_lib.ui.checks import Harness, Hints, close, describe, diagnose
from course_lib.ui.predictions import Prediction


# =============================================================================================
# Sections 1-2: three sets and leakage; k-fold cross-validation (helper A)
# =============================================================================================


# ---- section 1: the prediction before the first leak --------------------------------------------------

LEAK_SEEDS = (0, 1, 2, 3, 4)

predict_selection_leak = Prediction(
    "the test accuracy on pure noise when the 20 features are chosen on all 200 rows (the mean over 5 seeds; "
    "one number between 0 and 1; within 15 % of the true value, about ±0.12, counts)",
    truth=lambda: float(over_seeds(selection_leak, LEAK_SEEDS)[:, 1].mean()), rtol=0.15,
)


# ---- section 2: the learner's k-fold loop, graded by spies ----------------------------------------------

KFOLD_HINTS = Hints(
    task="Write kfold_scores(X, y, k, fit, score, rng), which shuffles the rows once with rng, cuts them into k "
         "nearly equal folds, and for each fold fits a model on all the other rows (fit(X_train, y_train)) and "
         "scores it on the fold (score(model, X_val, y_val)); it returns the k scores, fold by fold, as an array.",
    idea="In k-fold cross-validation every row is validated exactly once: each fold in turn is held out while the "
         "model is fitted on the other k − 1 folds, so no row ever helps to fit the model that is scored on it. "
         "The rows are shuffled first, because data often comes sorted (by class, by date), and the k scores are "
         "kept, since their spread says as much as their mean.",
    formula="order = a random permutation of 0 … N−1 drawn from rng; F₁ … F_k = order cut into k parts of ⌊N/k⌋ "
            "or ⌈N/k⌉ rows; score_i = score(fit(X, y on the rows not in F_i), X, y on the rows of F_i), "
            "i = 1 … k; return [score_1, …, score_k].",
    code="`rng.permutation(len(X))` shuffles the row numbers and `np.array_split(order, k)` cuts them into k folds "
         "(it keeps the remainder); for fold i the training rows are `np.concatenate` of the other folds; collect "
         "the scores in a list and return `np.array(scores)`.",
)


class KFoldSpy:
    """A ``fit`` and a ``score`` that record which rows of ``X`` (by number) each call received.

    ``fit`` returns a token naming its call; ``score`` returns a number that depends on the rows it
    was given, so the check can tell whether the scores come back in the order of the folds.
    """

    def __init__(self, X: NDArray, y: NDArray) -> None:
        self.X, self.y = X, y
        self.index = {row.tobytes(): i for i, row in enumerate(X)}
        self.fits: list[NDArray | None] = []     # the row numbers each fit saw (None: rows not of X)
        self.scores: list[tuple[int | None, NDArray | None, float]] = []  # (fit call, row numbers, returned)
        self.seen: list[NDArray] = []            # every block of rows handed over, as received
        self.labels_ok = True

    def rows(self, X_part: object, y_part: object) -> NDArray | None:
        X_part, y_part = np.asarray(X_part), np.asarray(y_part)
        if X_part.ndim != 2 or X_part.shape[1:] != self.X.shape[1:]:
            return None
        self.seen.append(np.array(X_part, dtype=np.float64))
        ids = [self.index.get(np.asarray(row, dtype=self.X.dtype).tobytes()) for row in X_part]
        if any(i is None for i in ids):
            return None
        ids = np.array(ids, dtype=np.int64)
        if y_part.shape != (len(ids),) or not np.array_equal(y_part, self.y[ids]):
            self.labels_ok = False
        return ids

    def fit(self, X_train: NDArray, y_train: NDArray) -> tuple[str, int]:
        self.fits.append(self.rows(X_train, y_train))
        return ("model of fit call", len(self.fits) - 1)

    def score(self, model: object, X_val: NDArray, y_val: NDArray) -> float:
        ids = self.rows(X_val, y_val)
        call = model[1] if isinstance(model, tuple) and len(model) == 2 and model[0] == "model of fit call" else None
        value = 0.0 if ids is None or len(ids) == 0 else round(float(np.mean(ids)) / len(self.X) + 0.01 * len(ids), 6)
        self.scores.append((call, ids, value))
        return value

    def folds(self) -> list[NDArray]:
        return [ids for _, ids, _ in self.scores]


def kfold_cases() -> list[tuple[NDArray, NDArray, int, int]]:
    """``(X, y, k, seed)``: rows with distinct values and labels SORTED by class, N not always divisible by k."""
    rng = np.random.default_rng(11)
    cases = []
    for n, k, classes in [(43, 5, 4), (40, 4, 4), (12, 3, 3), (25, 2, 3), (10, 10, 2)]:
        X = rng.standard_normal((n, 3))
        cases.append((X, np.arange(n) * classes // n, k, int(rng.integers(1000))))
    return cases


def _standardised_on_all(spy: KFoldSpy) -> bool:
    """Every block of rows the spies received is rows of X centred (and scaled) with statistics of ALL rows."""
    X = spy.X
    variants = [X - X.mean(axis=0)] + [(X - X.mean(axis=0)) / X.std(axis=0, ddof=d) for d in (0, 1)]
    for Z in variants:
        if spy.seen and all(np.abs(block[:, None, :] - Z[None]).max(axis=2).min(axis=1).max() < 1e-9
                            for block in spy.seen if len(block)):
            return True
    return False


def _contiguous(folds: list[NDArray]) -> bool:
    return all(len(f) and np.array_equal(f, np.arange(f.min(), f.min() + len(f))) for f in folds)


def _kfold_mistake(spy: KFoldSpy, n: int, k: int) -> str | None:
    """The first thing wrong with the calls the learner made, as a why; None when the calls were right."""
    if len(spy.fits) != len(spy.scores) or len(spy.fits) != k:
        fits, scores = len(spy.fits), len(spy.scores)
        if fits == scores and fits in (k - 1, k + 1):
            return (f"fit and score were called {fits} times for k = {k}: that is {fits} folds, not k. With k folds "
                    f"each fold is the validation set once, so there are exactly k fits and k scores.")
        return (f"fit was called {fits} times and score {scores} times; k-fold cross-validation fits once and "
                f"scores once per fold, k = {k} times each, each score on the model of the fit just before it.")
    if any(ids is None for ids in spy.fits) or any(ids is None for _, ids, _ in spy.scores):
        if _standardised_on_all(spy):
            return ("the rows fit and score received were standardised with the mean and standard deviation of ALL "
                    "the rows, the validation fold's included: the fold then leaks into what the model learns "
                    "(fold leakage through preprocessing). Hand fit the rows as they are: a preprocessing step is "
                    "part of the model, so fit learns it from the training rows alone.")
        return ("fit and score received rows that are not rows of X. Hand them the rows of X as they are, selected "
                "by their row numbers: any preprocessing is part of the model, and fit learns it from the training "
                "rows alone.")
    if not spy.labels_ok:
        return ("the labels fit or score received do not belong to the rows they came with: X and y must be "
                "selected with the same row numbers, so each row keeps its own label.")
    calls = [call for call, _, _ in spy.scores]
    if any(c is None for c in calls) or sorted(calls) != list(range(k)):
        return ("score did not get the model that fit returned for its fold: each fold's score is the score of the "
                "model fitted on the other folds.")
    for call, val, _ in spy.scores:
        if np.intersect1d(spy.fits[call], val).size:
            return ("the model scored on a fold was fitted on rows of that same fold (fold leakage, as when fitting "
                    "on all the data): a validation score must come from rows the model never saw while it was "
                    "fitted, so fit only on the other folds.")
    every = np.concatenate(spy.folds())
    if len(np.unique(every)) != len(every):
        return ("some rows are in more than one validation fold, so the folds overlap: cut the shuffled rows into k "
                "separate folds, so that every row is validated exactly once.")
    if len(every) != n:
        return (f"the validation folds hold {len(every)} of the {n} rows: {n - len(every)} were never validated "
                f"(dropped as the remainder when N is not a multiple of k?). Every row must be in exactly one fold; "
                f"the folds may differ in size by one row.")
    sizes = [len(f) for f in spy.folds()]
    if max(sizes) - min(sizes) > 1:
        return (f"the folds have sizes {sizes}: k-fold cuts the rows into k nearly equal folds, sizes differing by "
                f"at most one row, so that each score rests on about N/k rows.")
    for call, val, _ in spy.scores:
        if len(spy.fits[call]) != n - len(val):
            return ("a model was fitted on fewer rows than all the other folds: each fold's model is fitted on every "
                    "row that is not in that fold, the other k − 1 folds together.")
    if k < n and _contiguous(spy.folds()):
        return ("the folds are consecutive blocks of rows, and these rows are sorted by class, so a fold holds "
                "classes the other folds barely have. Shuffle the row numbers once, with rng, before cutting them "
                "into folds.")
    return None


def check_kfold_scores(kfold_scores) -> None:
    """``kfold_scores(X, y, k, fit, score, rng)`` must validate every row once, fit on the rest, return the k scores."""
    cases = kfold_cases()
    with Harness(kfold_scores, KFOLD_HINTS) as harness:
        for X, y, k, seed in cases:
            reference = KFoldSpy(X, y)
            expected = cross_val_scores(X, y, k, reference.fit, reference.score, np.random.default_rng(seed))
            spy = KFoldSpy(X, y)
            answer = harness.call(X, y, k, spy.fit, spy.score, np.random.default_rng(seed), shared=(3, 4))
            got = answer.numbers(expected, lead=f"Return the k = {k} scores, one per fold, as an array.")
            recorded = np.array([value for _, _, value in spy.scores])
            if got.size == 1 and len(recorded) and close(got.reshape(()), recorded.mean()):
                answer.fail(expected, why=f"this is the mean of the fold scores; return all k = {k} of them, one "
                                          "per fold: their spread says how much a single split can move.")
            why = _kfold_mistake(spy, len(X), k)
            if why:
                answer.fail(expected, why=why)
            if got.shape != (k,):
                answer.refuse(f"an array of shape ({k},)", expected, f"Return the k = {k} scores, one per fold.")
            if not close(got, recorded):
                answer.fail(expected, why=f"the scores that came back are not the ones score returned, "
                                          f"{describe(recorded)}: return each fold's score, in the order of the folds.")
        X, y, k, seed = cases[1]
        folds = []
        for s in (seed, seed, seed + 1):
            spy, reference = KFoldSpy(X, y), KFoldSpy(X, y)
            expected = cross_val_scores(X, y, k, reference.fit, reference.score, np.random.default_rng(s))
            answer = harness.call(X, y, k, spy.fit, spy.score, np.random.default_rng(s), shared=(3, 4))
            answer.numbers(expected)
            folds.append([tuple(sorted(f)) for f in spy.folds()])
        if folds[0] != folds[1]:
            answer.fail(expected, why="the same seed gave different folds on two runs: draw the shuffle from the rng "
                                      "passed in (not from np.random's global state), so that a seed gives the same "
                                      "split every time.")
        if folds[0] == folds[2]:
            answer.fail(expected, why="two generators with different seeds gave the same folds: draw the shuffle "
                                      "from the rng passed in, not from a seed of your own.")
        harness.passed(len(cases) + 1)


# =============================================================================================
# Section 3: the noise between runs (helper B)
# =============================================================================================


# The range of the test accuracy over the shortened recipe's seeds: about 1.5-2 points (1.8 on one thread).
predict_seed_range = Prediction(
    f"the range (best minus worst) of the test accuracy over the {len(SEEDS)} seeds, in percentage points "
    "(within 50 % of the true range counts)",
    truth=lambda: 100 * float(np.ptp(seed_accuracies(SHORT_RECIPE, SEEDS))), rtol=0.5,
)

BOOTSTRAP_RESAMPLES = 10_000  # enough that two honest ways of drawing agree to within a step of 1/N


def bootstrap_cases() -> list[tuple[NDArray[np.int64], int, int, float]]:
    """``(correct, n_resamples, rng seed, level)``: 70 % of 500, 75 % of 400 at level 0.8, and 99 of 100 right."""
    shuffle = np.random.default_rng(11)
    cases = []
    for n, right, level, seed in [(500, 350, 0.95, 0), (400, 300, 0.8, 1), (100, 99, 0.95, 2)]:
        correct = np.zeros(n, dtype=np.int64)
        correct[:right] = 1
        shuffle.shuffle(correct)
        cases.append((correct, BOOTSTRAP_RESAMPLES, seed, level))
    return cases


BOOTSTRAP_HINTS = Hints(
    task="Write bootstrap_interval(correct, n_resamples, rng, level=0.95), which returns (low, high), the bootstrap "
         "confidence interval of the accuracy: draw n_resamples resamples of the test set from rng, each as large "
         "as the test set and drawn with replacement, take the accuracy of each, and return the percentiles that "
         "leave (1 − level)/2 of those accuracies below low and as many above high.",
    idea="The test set is one draw of N examples from the world; a resample imitates another draw by picking N of "
         "its own examples at random, with replacement, so that some come twice and some not at all. The accuracies "
         "of many resamples show how far the accuracy could move, and the interval is cut from their distribution, "
         "leaving (1 − level)/2 of them in each tail.",
    formula="For r = 1 … R (R = n_resamples): draw indices i₁ … i_N uniformly from {0, …, N − 1} with replacement; "
            "acc_r = (1/N) Σₖ correct[iₖ]. Then low = the 100·(1 − level)/2-th percentile of acc_1 … acc_R and "
            "high = the 100·(1 + level)/2-th percentile (2.5 and 97.5 for level 0.95).",
    code="`rng.integers(0, N, size=(n_resamples, N))` draws every resample's indices at once; `correct[indices]` "
         "picks the examples; `.mean(axis=1)` gives one accuracy per resample; `np.percentile(accuracies, [a, b])` "
         "takes percentiles in percent.",
)


def _interval(correct: NDArray, n_resamples: int, seed: int, level: float) -> tuple[float, float]:
    return bootstrap_interval(correct, n_resamples, np.random.default_rng(seed), level)


def _bootstrap_why(correct: NDArray, n_resamples: int, seed: int, level: float, got: tuple[float, float],
                   expected: tuple[float, float], tol: float) -> str:
    """The named mistake an interval ``got`` matches, or "" (``tol``: a step and a half of 1/N)."""
    low, high = got
    p = float(correct.mean())
    if low > high:
        if abs(high - expected[0]) <= tol and abs(low - expected[1]) <= tol:
            return "These are the right ends in the wrong order: return the lower end first, (low, high)."
        return "The lower end is above the upper end: return (low, high), with low ≤ high."
    if high - low < 1e-12:
        return ("The interval has no width: every resample had the same accuracy as the test set itself, which is "
                "what drawing without replacement gives (a reshuffle of the same N examples). A resample draws with "
                "replacement, so that some examples come twice and others not at all.")
    if low < 0 or high > 1:
        return ("An end lies outside [0, 1], where no accuracy can be: a percentile of resampled accuracies, each "
                "between 0 and 1, never leaves it, while a mean plus or minus a spread can.")

    def near(interval: tuple[float, float]) -> bool:
        return abs(low - interval[0]) <= tol and abs(high - interval[1]) <= tol

    accuracies = bootstrap_accuracies(correct, n_resamples, np.random.default_rng(seed))
    spread = float(accuracies.std())
    if near((p - spread, p + spread)) or near((p - correct.std(), p + correct.std())):
        return ("This is the mean plus or minus one standard deviation, not the percentiles of the resampled "
                "accuracies: the interval's ends leave (1 − level)/2 of those accuracies in each tail.")
    tail = 50 * (1 - level)
    wrong_percentiles = [
        ((100 * (1 - level), 100 * level),
         f"The interval is too narrow: these percentiles leave {100 * (1 - level):g} % in each tail, a "
         f"{100 * (2 * level - 1):g} % interval. A {100 * level:g} % interval leaves (1 − level)/2 in each tail, "
         f"{tail:g} % below and {tail:g} % above."),
        ((level / 2, 100 - level / 2),
         "The interval is far too wide: its tails hold less than 1 % each. Level is a fraction (0.95 for 95 %); "
         "each tail holds (1 − level)/2 of the resampled accuracies, which in percent is 2.5 for 0.95."),
        ((tail / 100, 100 - tail / 100),
         "The interval is far too wide: its tails hold less than 0.1 % each. Percentiles are in percent (2.5 and "
         "97.5 for a 95 % interval), not fractions (0.025 and 0.975)."),
        ((tail / 100, (100 - tail) / 100),
         "Both ends sit in the lowest 1 % of the resampled accuracies: percentiles are in percent (2.5 and 97.5 for "
         "a 95 % interval), not fractions (0.025 and 0.975)."),
    ]
    if level != 0.95:
        wrong_percentiles.append(((2.5, 97.5), f"This is a 95 % interval, but this case asks for level = {level}: "
                                  f"the tails follow level, (1 − level)/2 each."))
    for percents, why in wrong_percentiles:
        if near(tuple(np.percentile(accuracies, percents))):
            return why
    if abs((low + high) / 2 - (expected[0] + expected[1]) / 2) <= 2 * tol:
        wider = high - low > expected[1] - expected[0]
        return (f"The interval is centred right but {'wider' if wider else 'narrower'} than it should be, as when a "
                f"resample holds {'fewer' if wider else 'more'} examples than the test set: each resample must draw "
                f"exactly N examples, as many as the test set holds (N = {len(correct)} here), with replacement.")
    return ""


def check_bootstrap_interval(bootstrap_interval: Callable[..., tuple[float, float]]) -> None:
    """``bootstrap_interval(correct, n_resamples, rng, level)`` must return the percentile bootstrap interval
    of the accuracy, (low, high), within a step and a half of 1/N of the course's (any honest draw from the
    seeded rng lands there; the usual ones match it exactly)."""
    cases = bootstrap_cases()
    lead = "Return two numbers, the interval's lower and upper end: a tuple (low, high)."
    with Harness(bootstrap_interval, BOOTSTRAP_HINTS) as harness:
        for i, (correct, n_resamples, seed, level) in enumerate(cases):
            expected = _interval(correct, n_resamples, seed, level)
            args = (correct, n_resamples, np.random.default_rng(seed), level)
            answer = harness.call(*args)
            parts = answer.parts("low", "high", expected=expected, lead=lead)
            got = (parts[0].number(expected[0], lead=lead), parts[1].number(expected[1], lead=lead))
            tol = 1.5 / len(correct)
            if i == 0:  # the same rng state must give the same interval: with 7 resamples, every draw shows
                few = (correct, 7, np.random.default_rng(seed), level)
                first, again = (harness.call(*few).parts("low", "high", lead=lead) for _ in range(2))
                if not all(np.isclose(a.number(lead=lead), b.number(lead=lead), rtol=0, atol=1e-12)
                           for a, b in zip(first, again)):
                    answer.fail(expected, why=(
                        "Two calls with generators in the same state gave different intervals: the resamples must "
                        "come from the rng you are given (a seeded run must be repeatable), not from np.random's "
                        "global state or a generator of your own."))
            inside = 0 <= got[0] <= got[1] <= 1  # a resampled accuracy never leaves [0, 1], nor can a percentile of them
            if inside and abs(got[0] - expected[0]) <= tol and abs(got[1] - expected[1]) <= tol:
                continue
            answer.fail(expected, why=_bootstrap_why(correct, n_resamples, seed, level, got, expected, tol))
        harness.passed(len(cases))


# =============================================================================================
# Section 4: beyond accuracy (helper C)
# =============================================================================================


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
            said = cm.sum(axis=0) > 0  # the classes predicted at least once
            mistakes = [
                ((expected[1], expected[0]), "macro and micro are swapped: macro is the plain mean over the classes "
                 "(every class counts the same), micro pools the counts first (every example counts the same)."),
                ((weighted, expected[1]), "this macro F1 weights each class by its number of examples (its "
                 "support): that is the 'weighted' average, which lets the big classes drown the small ones. Macro "
                 "gives every class the same weight."),
                ((2 * mp * mr / (mp + mr), expected[1]), "this macro F1 is the harmonic mean of the macro precision "
                 "and the macro recall; the macro F1 is the mean of the per-class F1 scores."),
                ((precision_recall_f1(cm)[2][said].mean(), expected[1]), "this macro F1 leaves out a class that is "
                 "never predicted (np.nanmean skips its NaN, or the class was dropped): such a class still counts in "
                 "the macro mean, with F1 = 0, because the model never finds any of its examples."),
            ]
            why = NEVER_PREDICTED if np.isnan(got).any() else diagnose(got, mistakes, "")
            answer.fail(expected, why=why)
        harness.passed(len(cases))


# =============================================================================================
# Section 5: calibration (helper D)
# =============================================================================================


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
    "edge": "your T sits at an end of the range you searched, and the best T lies outside it: when the best T is "
            "moved inside your range your search finds it, but here it stays at the end. Search log T over a wide "
            "range, such as −3 to 3 (T from 0.05 to 20), and look again if the best point is an end of the grid.",
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


def _pinned_at_an_end(harness: Harness, logits: np.ndarray, y: np.ndarray, got: float, expected: float) -> bool:
    """Whether the learner's search stops at an end of its range: it finds a best T moved next to ``got`` (inside
    the range) but stays at ``got`` when the best T moves further out. Scaling the logits by k scales the best T by k.
    """
    inward, outward = (0.8, 2.0) if got < expected else (1.25, 0.5)
    inside = harness.call(logits * (inward * got / expected), y).got
    beyond = harness.call(logits * outward, y).got
    try:
        inside, beyond = float(inside), float(beyond)
    except (TypeError, ValueError):
        return False
    found = 0 < inside < np.inf and abs(np.log(inside / (inward * got))) < 0.1
    return bool(found and close(beyond, got, rtol=1e-6))


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
            elif _pinned_at_an_end(harness, logits, y, got, expected):
                why = TEMPERATURE_MISTAKES["edge"]
            elif got == 1.0:
                why = TEMPERATURE_MISTAKES["unmoved"]
            elif close(harness.call(logits, np.roll(y, 1)).got, got, rtol=1e-9):  # other labels, same answer
                why = TEMPERATURE_MISTAKES["ignores_y"]
            elif nll_at(logits, y, got) > nll_at(logits, y, expected) and abs(np.log(got / expected)) < 0.05:
                why = TEMPERATURE_MISTAKES["not_minimum"]  # near the best T: a coarse search, whatever its ECE
            elif (expected_calibration_error(softmax_forward(logits / got)[0], y) <
                  expected_calibration_error(softmax_forward(logits / expected)[0], y)):
                why = TEMPERATURE_MISTAKES["ece"]
            else:
                why = ""
            answer.fail(expected, why=why)
        harness.passed(len(cases))


# =============================================================================================
# Section 6: double descent (helper E)
# =============================================================================================


MIN_NORM_HINTS = Hints(
    task="Write `min_norm_fit(F, y)`, which builds from `np.linalg.svd` (not pinv or lstsq) the last layer's "
         "weights a = F⁺ y (one per column of F): among all the "
         "a that make the squared error ‖F a − y‖² as small as it can be, the one of least length ‖a‖.",
    idea="When there are fewer features than points, one a makes the squared error smallest: the least-squares "
         "fit. When there are more, many a fit every point exactly, and they differ by directions that F cannot "
         "see (F times them is 0); the minimum-norm fit keeps none of those directions, which is where gradient "
         "descent started from zero ends. One tool gives both: the pseudo-inverse of F, which inverts F only on "
         "the directions it does see. The SVD shows those directions: the vₖ whose singular value sₖ is not 0 "
         "(up to rounding).",
    formula="F = U S Vᵀ (the SVD: F turns vₖ into sₖ uₖ); F⁺ = V S⁺ Uᵀ, where S⁺ holds 1/sₖ for each sₖ above "
            "tol = s₁·max(N, p)·ε and 0 for the others; so a = Σₖ (uₖ·y / sₖ) vₖ over the kept k.",
    code="`U, s, Vt = np.linalg.svd(F, full_matrices=False)` (Vt is Vᵀ), then "
         "`keep = s > s[0] * max(F.shape) * np.finfo(float).eps`, `s_plus = np.zeros_like(s)`, "
         "`s_plus[keep] = 1 / s[keep]`, and `Vt.T @ (s_plus * (U.T @ y))`.",
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


SHORTCUTS_OFF = ("np.linalg.pinv and np.linalg.lstsq are switched off during this check: the exercise is to build "
                 "F⁺ y yourself from the SVD, np.linalg.svd.")


class ShortcutRefused(RuntimeError):
    """Raised by np.linalg.pinv and np.linalg.lstsq while check_min_norm_fit runs the learner's function."""


@contextmanager
def _without_shortcuts():
    """Switch np.linalg.pinv and np.linalg.lstsq off for the duration; they are restored whatever happens."""
    saved = np.linalg.pinv, np.linalg.lstsq

    def refuse(*args, **kwargs):
        raise ShortcutRefused(SHORTCUTS_OFF)
    np.linalg.pinv = np.linalg.lstsq = refuse
    try:
        yield
    finally:
        np.linalg.pinv, np.linalg.lstsq = saved


def _untransposed(F: np.ndarray, y: np.ndarray, got: np.ndarray) -> bool:
    """Whether ``got`` is V S⁺ Uᵀ y with Vᵀ used in place of V (possible when Vᵀ is square)."""
    U, s, Vt = np.linalg.svd(F, full_matrices=False)
    if Vt.shape[0] != Vt.shape[1]:
        return False
    keep = s > s[0] * max(F.shape) * np.finfo(float).eps
    return bool(np.allclose(got, Vt @ np.where(keep, (U.T @ y) / np.where(keep, s, 1.0), 0.0), rtol=1e-6, atol=1e-8))


def _singular(error: Exception) -> str:
    if isinstance(error, ShortcutRefused):
        return "build F⁺ from the SVD: F = U S Vᵀ, F⁺ = V S⁺ Uᵀ, with 1/sₖ only for the singular values above a tolerance."
    if isinstance(error, ValueError) and "matmul" in str(error):
        return ("the shapes do not line up: np.linalg.svd returns U, s and Vᵀ (not V), so a = V S⁺ Uᵀ y is "
                "Vt.T @ (s_plus * (U.T @ y)), with full_matrices=False so that U and Vᵀ have r = min(N, p) columns "
                "and rows.")
    if isinstance(error, np.linalg.LinAlgError):
        return ("a matrix here has no inverse: FᵀF cannot be inverted when there are more features than points or "
                "when one feature repeats another, and F Fᵀ cannot when there are more points than features. "
                "Revisit the pseudo-inverse, which inverts F only on the directions it sees.")
    return ""


def check_min_norm_fit(min_norm_fit: Callable) -> None:
    """``min_norm_fit(F, y)`` must return the minimum-norm least-squares weights F⁺ y, shape (p,)."""
    cases = min_norm_cases()
    expecteds = [least_norm_weights(F, y) for F, y in cases]  # before the shortcuts are switched off
    with Harness(min_norm_fit, MIN_NORM_HINTS, explain=_singular) as harness:
        for (F, y), expected in zip(cases, expecteds):
            with _without_shortcuts():
                answer = harness.call(F, y)
            got = answer.array(expected, lead=f"Return one weight per feature (column of F): an array of shape "
                                              f"({F.shape[1]},).")
            if np.allclose(got, expected, rtol=1e-6, atol=1e-8):
                continue
            n, p = F.shape
            length, shortest = np.linalg.norm(got), np.linalg.norm(expected)
            if not np.all(np.isfinite(got)):
                why = ("the weights are not finite: something that is 0 was inverted, a singular value of exactly 0 "
                       "or a matrix with no inverse (FᵀF when features outnumber points, or a feature is repeated). "
                       "Give 1/sₖ only to the singular values above a small tolerance.")
            elif length > 1e6 * max(shortest, 1e-12):
                why = (f"these weights are enormously long (‖a‖ = {length:.3g}, the shortest fit has {shortest:.3g}): a "
                       "singular value that is 0 up to rounding (about 10⁻¹⁶ of the largest) was inverted. Give "
                       "1/sₖ only to the singular values above a tolerance such as s₁·max(N, p)·ε, and 0 to the "
                       "others: those directions are the ones F cannot see.")
            elif _untransposed(F, y, got):
                why = ("np.linalg.svd returns Vᵀ (not V) as its third result: a = V S⁺ Uᵀ y needs its transpose, "
                       "Vt.T, to turn the coefficients along u₁, u₂, … into weights along v₁, v₂, ….")
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
