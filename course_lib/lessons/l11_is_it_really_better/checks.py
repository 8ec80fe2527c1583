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

from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402
from numpy.typing import NDArray  # noqa: E402

from course_lib.lessons.l11_is_it_really_better.noise import (  # noqa: E402
    SEEDS, SHORT_RECIPE, bootstrap_accuracies, bootstrap_interval, seed_accuracies,
)

# The range of the test accuracy over the shortened recipe's seeds: about 1.5-2 points (1.8 on one thread).
predict_seed_range = Prediction(
    f"the range (best minus worst) of the test accuracy over the {len(SEEDS)} seeds, in percentage points",
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


# =============================================================================================
# Section 5: calibration (helper D)
# =============================================================================================


# =============================================================================================
# Section 6: double descent (helper E)
# =============================================================================================
