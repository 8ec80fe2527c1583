"""Self-checks of lesson 02, Loss functions: the Huber loss, a stable log-sum-exp, BCE from logits.

Each check compares the learner's function with the course's tested code on ordinary inputs and
on extreme ones (logits of ±1000), and recognises the usual mistakes to give a pointed hint.
The harness runs the learner's function with NumPy's overflow warnings silenced: the check
reports the resulting inf or nan itself, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from course_lib.ui.checks import Answer, Harness, close
from course_lib.lessons.l02_loss_functions.loss_curves import logsumexp
from course_lib.numpy_nn import losses

__all__ = ["check_bce_with_logits", "check_huber", "check_log_sum_exp"]

_RTOL, _ATOL = 1e-6, 1e-9


def _compare(answer: Answer, expected: Any, hint: str, mistakes: Mapping[str, Any], overflow_hint: str = "") -> None:
    """Fail unless the answer matches ``expected``. An inf or nan where the answer is finite gets
    ``overflow_hint``; a match with a known wrong answer (``mistakes``: hint -> value) gets its hint."""
    answer.numbers(expected, lead=f"Return a number (or an array of numbers), not a {type(answer.got).__name__}.")
    got = answer.array(expected, lead=f"Return shape {np.shape(expected)}, got shape {np.shape(answer.got)}.")
    if close(got, expected, rtol=_RTOL, atol=_ATOL):
        return
    if overflow_hint and not np.all(np.isfinite(got)):
        answer.fail(expected, f"{overflow_hint} {hint}")
    for mistake_hint, wrong in mistakes.items():
        if close(got, wrong, rtol=_RTOL, atol=_ATOL):
            answer.fail(expected, f"{mistake_hint} {hint}")
    answer.fail(expected, hint)


# ------------------------------------------------------------------------------------------------
# Exercise 1: the Huber loss
# ------------------------------------------------------------------------------------------------


def check_huber(huber: Callable[[np.ndarray, np.ndarray, float], float]) -> None:
    """``huber(pred, target, delta)`` must return the mean Huber loss, one number."""
    hint = (
        "With d = pred - target, each element costs ½d² where |d| <= delta and delta·(|d| - ½delta) "
        "beyond; return the mean over all elements. `np.where(np.abs(d) <= delta, ..., ...)` picks "
        "the piece for each element."
    )
    rng = np.random.default_rng(2)
    cases = [
        (np.array([0.5]), np.array([0.0]), 1.0),  # inside: ½·0.25
        (np.array([3.0]), np.array([0.0]), 1.0),  # outside: 1·(3 - ½)
        (np.array([-3.0]), np.array([0.0]), 1.0),  # outside, on the negative side
        (np.array([0.2, -1.5, 4.0, 1.0]), np.array([0.0, 0.0, 1.0, 0.0]), 1.0),  # |d| = δ exactly at the end
        (rng.normal(size=12), rng.normal(size=12), 0.5),
        (rng.normal(scale=3.0, size=(3, 4)), rng.normal(size=(3, 4)), 2.0),
    ]
    with Harness(huber, hint) as harness:
        for pred, target, delta in cases:
            answer = harness.call(pred, target, delta)
            expected, _ = losses.huber_forward(pred, target, delta=delta)
            d = pred - target
            a = np.abs(d)
            inside = a <= delta
            mistakes = {
                "In the linear part subtract ½delta: delta·(|d| - ½delta) meets ½d² at |d| = delta, so the "
                "two pieces join without a jump.": np.mean(np.where(inside, 0.5 * d * d, delta * a)),
                "The quadratic part is ½d², not d²; with the ½ its slope, d, equals the linear part's slope "
                "delta at |d| = delta.": np.mean(np.where(inside, d * d, delta * (a - 0.5 * delta))),
                "The linear part needs |d|: an error below the target costs as much as one above.":
                    np.mean(np.where(inside, 0.5 * d * d, delta * (d - 0.5 * delta))),
                "Take the mean over the elements, not the sum (torch's default reduction).":
                    np.sum(np.where(inside, 0.5 * d * d, delta * (a - 0.5 * delta))),
                "That is the mean squared error; Huber is quadratic only for |d| <= delta.": np.mean(d * d),
            }
            overflow = "Your result holds inf or nan, but every input here is a modest finite number."
            _compare(answer, expected, hint, mistakes, overflow)
        harness.passed(len(cases))


# ------------------------------------------------------------------------------------------------
# Exercise 2: a stable log-sum-exp
# ------------------------------------------------------------------------------------------------


def check_log_sum_exp(log_sum_exp: Callable[[np.ndarray], Any]) -> None:
    """``log_sum_exp(x)`` must return log Σ_j e^(x_j) over the last axis, without overflow."""
    hint = (
        "With m = x.max(axis=-1, keepdims=True), log Σ e^(x_j) = m + log Σ e^(x_j - m): every "
        "exponent is then <= 0, so nothing overflows. Sum over the last axis (axis=-1) and remove "
        "it, one value per row."
    )
    rng = np.random.default_rng(3)
    cases = [
        np.array([1.0, 2.0, 3.0]),
        np.array([1000.0, 1000.0]),  # e^1000 overflows: the answer is 1000 + log 2
        np.array([-1000.0, -1000.0]),  # e^-1000 underflows to 0: the answer is -1000 + log 2
        np.array([1000.0, -1000.0, 0.0]),
        np.array([[0.0, 0.0], [1000.0, 999.0], [-1000.0, -1001.0]]),
        rng.normal(scale=5.0, size=(4, 6)),
    ]
    with Harness(log_sum_exp, hint) as harness:
        for x in cases:
            answer = harness.call(x)
            expected = logsumexp(x)
            m = np.max(x, axis=-1)
            overflow = (
                "Your result holds inf or nan: e^1000 overflows to inf (and e^-1000 rounds to 0, whose "
                "log is -inf). Subtract the largest entry before exponentiating."
            )
            mistakes = {
                "You subtracted the maximum m but did not add it back: log Σ e^(x_j) = m + log Σ e^(x_j - m).":
                    expected - m,
            }
            _compare(answer, expected, hint, mistakes, overflow)
        harness.passed(len(cases))


# ------------------------------------------------------------------------------------------------
# Exercise 3: binary cross-entropy from logits
# ------------------------------------------------------------------------------------------------


def check_bce_with_logits(bce_with_logits: Callable[[np.ndarray, np.ndarray], float]) -> None:
    """``bce_with_logits(logits, target)`` must return the mean binary cross-entropy, stably."""
    hint = (
        "Work with the logit x itself, never with p = σ(x): each element costs "
        "max(x, 0) - t·x + log(1 + e^(-|x|)) (np.log1p(np.exp(-np.abs(x))) for the last term); "
        "return the mean over all elements."
    )
    rng = np.random.default_rng(4)
    cases = [
        (np.array([0.0]), np.array([1.0])),  # p = ½: the loss is log 2
        (np.array([2.0, -1.0, 0.5]), np.array([1.0, 0.0, 1.0])),
        (np.array([1000.0]), np.array([1.0])),  # confidently right: 0, not 0·log 0 = nan
        (np.array([-1000.0]), np.array([1.0])),  # confidently wrong: 1000, not inf
        (np.array([1000.0, -1000.0]), np.array([0.0, 0.0])),
        (np.array([3.0, -2.0]), np.array([0.3, 0.8])),  # soft targets
        (rng.normal(scale=20.0, size=(4, 5)), rng.integers(0, 2, size=(4, 5)).astype(np.float64)),
    ]
    with Harness(bce_with_logits, hint) as harness:
        for logits, target in cases:
            answer = harness.call(logits, target)
            expected, _ = losses.bce_with_logits_forward(logits, target)
            x = logits
            overflow = (
                "Your result holds inf or nan. With p = 1/(1 + e^(-x)), a logit of ±1000 makes p exactly "
                "0 or 1, and log(0) = -inf (and 0·(-inf) = nan); log(1 + e^(-x)) without the |x| "
                "overflows for x = -1000 too."
            )
            mistakes = {
                "The loss is minus the log-likelihood: check the sign of each term.": -expected,
                "Take the mean over the elements, not the sum.": expected * x.size,
            }
            _compare(answer, expected, hint, mistakes, overflow)
        harness.passed(len(cases))
