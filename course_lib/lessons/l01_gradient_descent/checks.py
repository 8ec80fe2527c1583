"""Self-checks of lesson 01, Gradient descent: the gradient of J, one descent step, the critical rate.

The right answers come from :mod:`course_lib.lessons.l01_gradient_descent.descent`; the hints name the usual mistakes
(the mean residual used as the slope's gradient, a sum instead of a mean, a lost ½, a wrong sign,
an (N, 1) column broadcast against an (N,) row).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_lib.ui.checks import Answer, Harness, close
from course_lib.data import make_linear_regression
from course_lib.lessons.l01_gradient_descent.descent import (
    critical_learning_rate, linear_gradient, linear_hessian, make_uniform_noise_regression,
)

__all__ = ["check_critical_learning_rate", "check_gradient", "check_gradient_step"]

_RTOL = 1e-6


def _cases() -> list[tuple[float, float, np.ndarray, np.ndarray]]:
    """(w, b, X, y) at a few points on a few data sets, X shaped (N, 1) and y (N,) like the lesson's."""
    tiny_X, tiny_y = np.array([[1.0], [2.0], [3.0]]), np.array([2.0, 2.0, 5.0])
    return [
        (0.5, -1.0, tiny_X, tiny_y),
        (0.0, 0.0, *make_linear_regression(seed=1)),
        (1.5, 0.5, *make_uniform_noise_regression(seed=2)),
        (-2.0, 4.0, *make_linear_regression(n=7, seed=3)),
    ]


def _pair(answer: Answer, names: tuple[str, str], expected: tuple[float, float], lead: str) -> tuple[float, float]:
    """The learner's answer as two floats; anything but a pair of single numbers is refused."""
    first, second = answer.parts(*names, expected=expected, lead=lead)
    return first.number(expected[0], lead=lead), second.number(expected[1], lead=lead)


def check_gradient(gradient: Callable) -> None:
    """``gradient(w, b, X, y)`` must return (∂J/∂w, ∂J/∂b) for J = 1/(2N) Σ (w·x_i + b − y_i)²."""
    hint = (
        "with residuals r = w*x + b - y (x = X[:, 0], a flat array), the gradient is "
        "(np.mean(r * x), np.mean(r)): each residual reaches w through the factor x_i and b through 1."
    )
    cases = _cases()
    with Harness(gradient, hint) as harness:
        for w, b, X, y in cases:
            answer = harness.call(w, b, X, y)
            expected = linear_gradient(w, b, X, y)
            pair = _pair(answer, ("dw", "db"), expected, "return a pair of two numbers, (dw, db).")
            if close(pair, expected, rtol=_RTOL, atol=1e-9):
                continue
            x = X[:, 0]
            n = len(x)
            broadcast = w * X + b - y  # (N, N) when X is (N, 1): a classic shape slip
            if np.isclose(pair[0], expected[1]) and not np.isclose(pair[0], expected[0]):
                specific = (
                    "your dw equals the mean residual, which is ∂J/∂b, the bias's gradient. The chain rule "
                    "multiplies each residual by ∂(w·x_i + b)/∂w = x_i, so dw = mean(r * x). "
                )
            elif close(pair, (n * expected[0], n * expected[1]), rtol=_RTOL, atol=1e-9):
                specific = "your numbers are N times too large: J averages over the examples, so use the mean, not the sum. "
            elif close(pair, (2 * expected[0], 2 * expected[1]), rtol=_RTOL, atol=1e-9):
                specific = "your numbers are twice too large: J has a factor ½ that cancels the 2 from differentiating the square. "
            elif close(pair, (-expected[0], -expected[1]), rtol=_RTOL, atol=1e-9):
                specific = "your signs are flipped: take the residual as prediction minus target, r = w*x + b - y. "
            elif close(pair, (float(np.mean(broadcast * X)), float(np.mean(broadcast))), rtol=_RTOL, atol=1e-9):
                specific = (
                    "X has shape (N, 1) and y has shape (N,), so w*X + b - y broadcasts to an (N, N) table. "
                    "Flatten first: x = X[:, 0]. "
                )
            else:
                specific = ""
            answer.fail(expected, specific + hint)
        harness.passed(len(cases))


def check_gradient_step(gradient_step: Callable) -> None:
    """``gradient_step(w, b, X, y, lr)`` must return (w, b) after one update θ ← θ − lr·∇J(θ)."""
    hint = (
        "compute the gradient (dw, db) at the current (w, b) on all the data, then move against it: "
        "return (w - lr * dw, b - lr * db)."
    )
    cases = [(w, b, X, y, lr) for (w, b, X, y), lr in zip(_cases(), (0.1, 0.5, 0.05, 0.01))]
    with Harness(gradient_step, hint) as harness:
        for w, b, X, y, lr in cases:
            answer = harness.call(w, b, X, y, lr)
            dw, db = linear_gradient(w, b, X, y)
            expected = (w - lr * dw, b - lr * db)
            pair = _pair(answer, ("w", "b"), expected, "return the new pair (w, b).")
            if close(pair, expected, rtol=_RTOL, atol=1e-9):
                continue
            if close(pair, (w + lr * dw, b + lr * db), rtol=_RTOL, atol=1e-9):
                specific = "you moved along the gradient, which points uphill; descent subtracts it. "
            elif close(pair, (w - dw, b - db), rtol=_RTOL, atol=1e-9):
                specific = "the step ignores the learning rate: multiply the gradient by lr before subtracting. "
            elif close(pair, (lr * dw, lr * db), rtol=_RTOL, atol=1e-9) or close(pair, (-lr * dw, -lr * db), rtol=_RTOL, atol=1e-9):
                specific = "you returned the step itself; return the new parameters, old value minus the step. "
            elif close(pair, (w - lr * db, b - lr * db), rtol=_RTOL, atol=1e-9):
                specific = "w moved by the mean residual, the bias's gradient; the slope's gradient is mean(r * x). "
            else:
                specific = ""
            answer.fail(expected, specific + hint)
        harness.passed(len(cases))


def check_critical_learning_rate(max_learning_rate: Callable) -> None:
    """``max_learning_rate(X)`` must return 2 / λ_max, λ_max the largest eigenvalue of J's Hessian."""
    hint = (
        "build the Hessian H = [[mean(x²), mean(x)], [mean(x), 1]] with x = X[:, 0], take its largest "
        "eigenvalue with np.linalg.eigvalsh(H)[-1] (eigvalsh sorts them ascending), and return 2 / λ_max."
    )
    data = [
        make_linear_regression(seed=0)[0],
        make_uniform_noise_regression(seed=0)[0],
        np.array([[1.0], [2.0], [3.0]]),
        10.0 * make_linear_regression(n=50, seed=5)[0],
    ]
    with Harness(max_learning_rate, hint) as harness:
        for X in data:
            answer = harness.call(X)
            expected = critical_learning_rate(X)
            value = answer.number(expected, lead="return one number.")
            if np.isclose(value, expected, rtol=_RTOL):
                continue
            low, high = np.linalg.eigvalsh(linear_hessian(X))
            x = X[:, 0]
            if np.isclose(value, 1 / high, rtol=_RTOL):
                specific = (
                    "1/λ_max is the best rate along the steepest direction, not the limit: a step multiplies "
                    "the error by (1 − αλ), and |1 − αλ| < 1 allows α up to 2/λ. "
                )
            elif np.isclose(value, 2 / low, rtol=_RTOL):
                specific = "the smallest eigenvalue is the gentlest direction; the steepest one, λ_max, breaks first. "
            elif np.isclose(value, 2 / np.mean(x * x), rtol=_RTOL):
                specific = "2/mean(x²) is the limit for w alone; with the bias b the Hessian is 2 × 2 and its largest eigenvalue is bigger. "
            else:
                specific = ""
            answer.fail(expected, specific + hint)
        harness.passed(len(data))
