"""Self-checks of lesson 02, Loss functions: the gradient of softmax cross-entropy, the Huber loss,
a stable log-sum-exp, BCE from logits; and the lesson's prediction.

Each check compares the learner's function with the course's tested code on ordinary inputs and
on extreme ones (logits of ±1000), and recognises the usual mistakes to name them (``why=``).
Its hints come in three levels (:class:`~course_lib.ui.checks.Hints`): the idea, the formula, code.
The harness runs the learner's function with NumPy's overflow warnings silenced: the check
reports the resulting inf or nan itself, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from course_lib.ui.checks import Answer, Harness, Hints, close
from course_lib.ui.predictions import Prediction
from course_lib.lessons.l02_loss_functions.loss_curves import logsumexp
from course_lib.numpy_nn import functional as F
from course_lib.numpy_nn import losses
from course_lib.numpy_nn.gradcheck import numerical_gradient

__all__ = [
    "check_bce_with_logits", "check_huber", "check_log_sum_exp", "check_softmax_cross_entropy_grad",
    "predict_softmax_twice_loss",
]

_RTOL, _ATOL = 1e-6, 1e-9


def _compare(answer: Answer, expected: Any, mistakes: Sequence[tuple[str, Any]], overflow: str = "",
             *, rtol: float = _RTOL, atol: float = _ATOL) -> None:
    """Fail unless the answer matches ``expected``. An inf or nan where the answer is finite is named by
    ``overflow``; a match with a known wrong answer (``mistakes``: (why, value) pairs) by its why."""
    answer.numbers(expected, lead=f"Return a number (or an array of numbers), not a {type(answer.got).__name__}.")
    got = answer.array(expected, lead=f"Return shape {np.shape(expected)}, got shape {np.shape(answer.got)}.")
    if close(got, expected, rtol=rtol, atol=atol):
        return
    if overflow and not np.all(np.isfinite(got)) and np.all(np.isfinite(expected)):
        answer.fail(expected, why=overflow)
    for why, wrong in mistakes:
        if close(got, wrong, rtol=rtol, atol=atol):
            answer.fail(expected, why=why)
    answer.fail(expected)


# ------------------------------------------------------------------------------------------------
# Exercise 1: the gradient of softmax cross-entropy (in the body, after section 5.2)
# ------------------------------------------------------------------------------------------------

SOFTMAX_CROSS_ENTROPY_GRAD_HINTS = Hints(
    task="Return the gradient of the mean softmax cross-entropy with respect to the logits: an array "
         "shaped like the logits (N examples, C classes), for integer labels y.",
    idea="Section 5.2: for one example the gradient of −log p_y with respect to its logits is "
         "\"predicted minus wanted\", the softmax probabilities minus the one-hot vector of the label. "
         "The loss is the mean of the N examples' losses, and that mean carries over to the gradient.",
    formula="∂L/∂z = (p − onehot(y)) / N, with p = softmax(z) row by row and N the number of examples (rows).",
    code="`p, _ = F.softmax_forward(logits)` gives the probabilities; `np.eye(C)[y]` is the one-hot matrix "
         "(C = the number of columns); subtract, then divide by `len(y)`.",
)


def _softmax_grad_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(5)
    extreme = 3.0 * rng.normal(size=(4, 3))
    extreme[0] = [1000.0, 0.0, -1000.0]  # a confident row: a softmax without the max shift overflows
    return [
        (np.array([[2.0, 1.0, 0.1]]), np.array([0])),  # section 5.2's example, one row
        (rng.normal(size=(3, 4)), np.array([3, 0, 1])),
        (2.0 * rng.normal(size=(5, 10)), rng.integers(0, 10, size=5)),
        (extreme, np.array([2, 0, 1, 1])),
    ]


def check_softmax_cross_entropy_grad(softmax_cross_entropy_grad: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> None:
    """``softmax_cross_entropy_grad(logits, y)`` must return dL/dlogits of the mean softmax cross-entropy.

    Graded by a gradient check: the answer must match the central-difference gradient of the
    course's loss (``numpy_nn.gradcheck.numerical_gradient`` of ``losses.cross_entropy_forward``);
    the message shows the exact answer, ``losses.cross_entropy_backward``.
    """
    with Harness(softmax_cross_entropy_grad, SOFTMAX_CROSS_ENTROPY_GRAD_HINTS) as harness:
        cases = _softmax_grad_cases()
        for logits, y in cases:
            z = logits.copy()
            numeric = numerical_gradient(lambda: losses.cross_entropy_forward(z, y)[0], z)
            _, cache = losses.cross_entropy_forward(logits, y)
            expected = losses.cross_entropy_backward(1.0, cache)
            if not close(numeric, expected, rtol=1e-5, atol=1e-6):  # the course's own mistake, never the learner's
                raise RuntimeError("the reference backward of cross-entropy disagrees with its numerical gradient")
            answer = harness.call(logits, y)
            got = answer.array(expected, lead=f"Return an array shaped like the logits, {logits.shape}: one "
                                              "partial derivative per logit.")
            if close(got, numeric, rtol=1e-5, atol=1e-6):
                continue
            n, c = logits.shape
            p = F.softmax_forward(logits)[0]
            onehot = np.eye(c)[y]
            with np.errstate(divide="ignore"):
                dl_dp = -onehot / p / n
            mistakes = [
                ("That is the gradient of the SUM of the examples' losses: the loss is their mean, so divide "
                 "by the number of examples N.", p - onehot),
                ("You divided by N·C, the number of entries. The loss averages over the N examples only; each "
                 "example's loss is already one number, −log p_y, however many classes there are.",
                 (p - onehot) / (n * c)),
                ("The sign is flipped: that is wanted minus predicted, the direction that LOWERS the loss. A "
                 "gradient points uphill, predicted minus wanted.", (onehot - p) / n),
                ("You subtracted the one-hot vector from the logits z themselves, not from the probabilities "
                 "p = softmax(z): the gradient goes through the softmax.", (logits - onehot) / n),
                ("That is the gradient of log Σ_j e^(z_j) alone, the probabilities p: the −z_y term of the loss "
                 "is missing, whose gradient is minus the one-hot vector.", p / n),
                ("That is ∂L/∂p, the derivative with respect to the probabilities. The exercise asks for ∂L/∂z, "
                 "through the softmax, which simplifies to predicted minus wanted.", dl_dp),
            ]
            if not np.all(np.isfinite(got)):
                answer.fail(expected, why="Your gradient holds inf or nan, but every true gradient entry lies "
                            "between −1 and 1. A softmax written as e^z / Σ e^z overflows for a logit of 1000: "
                            "use the library's stable softmax (section 6.1 shows why it subtracts the largest logit).")
            for why, wrong in mistakes:
                if close(got, wrong, rtol=1e-5, atol=1e-6):
                    answer.fail(expected, why=why)
            answer.fail(expected)
        harness.passed(len(cases))


# ------------------------------------------------------------------------------------------------
# The prediction of section 6.3: softmax applied twice
# ------------------------------------------------------------------------------------------------


def _softmax_twice_loss() -> float:
    """The cross-entropy of softmax(softmax(z)) for section 6.3's confident right answer (z_0 = 8 of 10)."""
    z_right = np.zeros((1, 10))
    z_right[0, 0] = 8.0
    p, _ = F.softmax_forward(z_right)
    loss, _ = losses.cross_entropy_forward(p, np.array([0]))
    return loss


predict_softmax_twice_loss = Prediction(
    "the loss of the confident right answer when the softmax is applied twice", truth=_softmax_twice_loss, rtol=0.15,
    after="the cells below",
)


# ------------------------------------------------------------------------------------------------
# Exercise 2: the Huber loss
# ------------------------------------------------------------------------------------------------

HUBER_HINTS = Hints(
    task="Return the mean Huber loss of the predictions against the targets, with threshold delta, as one number.",
    idea="Section 3: the Huber loss is quadratic for small errors and linear for large ones, the two pieces "
         "meeting at |d| = δ with the same value and the same slope; the result is the mean over all elements.",
    formula="With d = ŷ − y for each element: ℓ_δ(d) = ½d² where |d| ≤ δ, and δ·(|d| − ½δ) elsewhere; "
            "Huber = (1/n) Σ_i ℓ_δ(d_i).",
    code="`np.where(np.abs(d) <= delta, 0.5 * d**2, delta * (np.abs(d) - 0.5 * delta))` picks the piece of "
         "each element; return `float(np.mean(...))` of it.",
)


def check_huber(huber: Callable[[np.ndarray, np.ndarray, float], float]) -> None:
    """``huber(pred, target, delta)`` must return the mean Huber loss, one number."""
    rng = np.random.default_rng(2)
    cases = [
        (np.array([0.5]), np.array([0.0]), 1.0),  # inside: ½·0.25
        (np.array([3.0]), np.array([0.0]), 1.0),  # outside: 1·(3 - ½)
        (np.array([-3.0]), np.array([0.0]), 1.0),  # outside, on the negative side
        (np.array([0.2, -1.5, 4.0, 1.0]), np.array([0.0, 0.0, 1.0, 0.0]), 1.0),  # |d| = δ exactly at the end
        (rng.normal(size=12), rng.normal(size=12), 0.5),
        (rng.normal(scale=3.0, size=(3, 4)), rng.normal(size=(3, 4)), 2.0),
    ]
    with Harness(huber, HUBER_HINTS) as harness:
        for pred, target, delta in cases:
            answer = harness.call(pred, target, delta)
            expected, _ = losses.huber_forward(pred, target, delta=delta)
            d = pred - target
            a = np.abs(d)
            inside = a <= delta
            mistakes = [
                ("In the linear part subtract ½delta: delta·(|d| - ½delta) meets ½d² at |d| = delta, so the "
                 "two pieces join without a jump.", np.mean(np.where(inside, 0.5 * d * d, delta * a))),
                ("The quadratic part is ½d², not d²; with the ½ its slope, d, equals the linear part's slope "
                 "delta at |d| = delta.", np.mean(np.where(inside, d * d, delta * (a - 0.5 * delta)))),
                ("The linear part needs |d|: an error below the target costs as much as one above.",
                 np.mean(np.where(inside, 0.5 * d * d, delta * (d - 0.5 * delta)))),
                ("Take the mean over the elements, not the sum (torch's default reduction).",
                 np.sum(np.where(inside, 0.5 * d * d, delta * (a - 0.5 * delta)))),
                ("That is the mean squared error; Huber is quadratic only for |d| <= delta.", np.mean(d * d)),
            ]
            overflow = "Your result holds inf or nan, but every input here is a modest finite number."
            _compare(answer, expected, mistakes, overflow)
        harness.passed(len(cases))


# ------------------------------------------------------------------------------------------------
# Exercise 3: a stable log-sum-exp
# ------------------------------------------------------------------------------------------------

LOG_SUM_EXP_HINTS = Hints(
    task="Return log Σ_j e^(x_j) over the last axis of the array x (one number for a 1-D array, one per row "
         "for a 2-D one), finite even for entries of ±1000.",
    idea="Section 6.2's trick: shift every entry by the largest one before exponentiating, so that every "
         "exponent is ≤ 0 and nothing overflows; the shift then comes back out of the logarithm.",
    formula="logsumexp(x) = m + log Σ_j e^(x_j − m), with m = max_j x_j over the last axis.",
    code="`m = x.max(axis=-1, keepdims=True)` keeps the axis so that `x - m` shifts each row by its own "
         "maximum; add `m[..., 0]` (m without that axis) to `np.log(np.sum(np.exp(x - m), axis=-1))`.",
)


def check_log_sum_exp(log_sum_exp: Callable[[np.ndarray], Any]) -> None:
    """``log_sum_exp(x)`` must return log Σ_j e^(x_j) over the last axis, without overflow."""
    rng = np.random.default_rng(3)
    cases = [
        np.array([1.0, 2.0, 3.0]),
        np.array([1000.0, 1000.0]),  # e^1000 overflows: the answer is 1000 + log 2
        np.array([-1000.0, -1000.0]),  # e^-1000 underflows to 0: the answer is -1000 + log 2
        np.array([1000.0, -1000.0, 0.0]),
        np.array([[0.0, 0.0], [1000.0, 999.0], [-1000.0, -1001.0]]),
        rng.normal(scale=5.0, size=(4, 6)),
    ]
    with Harness(log_sum_exp, LOG_SUM_EXP_HINTS) as harness:
        for x in cases:
            answer = harness.call(x)
            expected = logsumexp(x)
            m = np.max(x, axis=-1)
            overflow = (
                "Your result holds inf or nan: e^1000 overflows to inf (and e^-1000 rounds to 0, whose "
                "log is -inf). Subtract the largest entry before exponentiating."
            )
            mistakes = [
                ("You subtracted the maximum m but did not add it back: the shift has to come back out of "
                 "the log.", expected - m),
            ]
            _compare(answer, expected, mistakes, overflow)
        harness.passed(len(cases))


# ------------------------------------------------------------------------------------------------
# Exercise 4: binary cross-entropy from logits
# ------------------------------------------------------------------------------------------------

BCE_WITH_LOGITS_HINTS = Hints(
    task="Return the mean binary cross-entropy of the logits against the targets (0, 1, or a probability in "
         "between), as one number: exact and finite even for logits of ±1000.",
    idea="Section 6.2: work with the logit x itself and never form the probability σ(x), which rounds to "
         "exactly 0 or 1 for large |x|. The stable form has a single exponent, and it is never positive.",
    formula="Each element costs max(x, 0) − y·x + log(1 + e^(−|x|)), for the logit x and its target y; "
            "return the mean over all elements.",
    code="`np.maximum(x, 0) - target * x + np.log1p(np.exp(-np.abs(x)))` for the logits x "
         "(`np.log1p(u)` is log(1 + u), accurate for tiny u); return `float(np.mean(...))` of it.",
)


def check_bce_with_logits(bce_with_logits: Callable[[np.ndarray, np.ndarray], float]) -> None:
    """``bce_with_logits(logits, target)`` must return the mean binary cross-entropy, stably."""
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
    with Harness(bce_with_logits, BCE_WITH_LOGITS_HINTS) as harness:
        for logits, target in cases:
            answer = harness.call(logits, target)
            expected, _ = losses.bce_with_logits_forward(logits, target)
            x = logits
            overflow = (
                "Your result holds inf or nan. With p = 1/(1 + e^(-x)), a logit of ±1000 makes p exactly "
                "0 or 1, and log(0) = -inf (and 0·(-inf) = nan); log(1 + e^(-x)) without the |x| "
                "overflows for x = -1000 too."
            )
            mistakes = [
                ("The loss is minus the log-likelihood: check the sign of each term.", -expected),
                ("Take the mean over the elements, not the sum.", expected * x.size),
            ]
            _compare(answer, expected, mistakes, overflow)
        harness.passed(len(cases))
