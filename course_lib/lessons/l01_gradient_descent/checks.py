"""Self-checks of lesson 01, Gradient descent: the descent loop, the gradient of J, one step, the critical rate.

The right answers come from :mod:`course_lib.lessons.l01_gradient_descent.descent` (``gradient_descent``
is the answer key of the learner's loop); each check's ``why`` names a usual mistake (an ascending
step, a sequential update, a loss history shifted by one step, the mean residual used as the
slope's gradient, a sum instead of a mean, a lost ½, an (N, 1) column broadcast against an (N,) row).
The prediction asks for the critical learning rate before the cell that computes it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_lib.data import make_linear_regression
from course_lib.lessons.l01_gradient_descent.descent import (
    critical_learning_rate, gradient_descent, linear_gradient, linear_hessian, make_uniform_noise_regression,
)
from course_lib.ui.checks import Answer, Harness, Hints, close
from course_lib.ui.predictions import Prediction

__all__ = [
    "check_critical_learning_rate", "check_descend", "check_gradient", "check_gradient_step", "predict_critical_lr",
]

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


# ---- the descent loop (section 4) -------------------------------------------------------------


def _mistaken_loop(x: np.ndarray, y: np.ndarray, lr: float, steps: int, mistake: str) -> tuple[float, float, np.ndarray]:
    """The loop with one typical mistake: (w, b, the losses at the start and after every step)."""
    w = b = 0.0
    losses = [0.5 * np.mean((w * x + b - y) ** 2)]
    for _ in range(steps):
        r = w * x + b - y
        dw, db = (np.sum(r * x), np.sum(r)) if mistake == "sum" else (np.mean(r * x), np.mean(r))
        if mistake == "ascent":
            w, b = w + lr * dw, b + lr * db
        elif mistake == "no_lr":
            w, b = w - dw, b - db
        elif mistake == "sequential":  # w moves first, then b's gradient is taken at the new w
            w = w - lr * dw
            b = b - lr * np.mean(w * x + b - y)
        else:
            w, b = w - lr * dw, b - lr * db
        losses.append(0.5 * np.mean((w * x + b - y) ** 2))
    return float(w), float(b), np.array(losses)


_LOOP_MISTAKES = {
    "ascent": (
        "Your loss grows: each step moved along the gradient, which points uphill. Descent moves against it, "
        "so the step is subtracted from the parameters."
    ),
    "sequential": (
        "Your b moved using a gradient taken after w had already changed: that is not a simultaneous update. "
        "Both partial derivatives belong to the same point (w, b); compute both first, then move both."
    ),
    "sum": (
        "Your steps are N times too long: the gradient of J is an average over the examples (it has 1/N), "
        "and a sum of the examples' gradients is N times larger."
    ),
    "no_lr": "Your steps ignore the learning rate η: the step is η times the gradient, not the gradient itself.",
}

DESCEND_HINTS = Hints(
    task=(
        "Write descend(X, y, lr, steps), which starts at (w, b) = (0, 0), makes `steps` full-batch gradient-descent "
        "steps with learning rate lr, and returns the final w, the final b and the loss history: J at the start "
        "and after every step."
    ),
    idea=(
        "A descent loop repeats one update: find the gradient at the current point, then move both parameters "
        "against it by η times the gradient, together. The history holds the loss at every point the loop "
        "visits, the start included, so it has one entry more than there are steps."
    ),
    formula=(
        "Repeat `steps` times: (dw, db) = ∇J(w, b); w ← w − η·dw and b ← b − η·db with the same (dw, db). "
        "The history is [J(θ₀), J(θ₁), …, J(θ_steps)], steps + 1 numbers."
    ),
    code=(
        "Record `linear_loss(w, b, X, y)` in a list before the loop; in a `for` loop over `range(steps)`, get "
        "`dw, db = linear_gradient(w, b, X, y)`, then update `w, b = w - lr * dw, b - lr * db` in one line "
        "and append the new loss; return `w`, `b` and the losses as an array."
    ),
)


def check_descend(descend: Callable) -> None:
    """``descend(X, y, lr, steps)`` must return (w, b, losses): descent from (0, 0), losses[t] = J after t steps.

    The answer key is :func:`~course_lib.lessons.l01_gradient_descent.descent.gradient_descent`.
    """
    tiny_X, tiny_y = np.array([[1.0], [2.0], [3.0]]), np.array([2.0, 2.0, 5.0])
    cases = [
        (tiny_X, tiny_y, 0.1, 5),
        (*make_linear_regression(seed=0), 0.5, 20),
        (*make_uniform_noise_regression(seed=2), 0.3, 12),
        (*make_linear_regression(n=7, seed=3), 0.05, 1),
    ]
    lead = "Return three things: the final w, the final b and the list (or array) of losses."
    with Harness(descend, DESCEND_HINTS) as harness:
        for X, y, lr, steps in cases:
            answer = harness.call(X, y, lr, steps)
            run = gradient_descent(X, y, lr=lr, steps=steps)
            expected = (run.w, run.b, run.losses)
            w_part, b_part, loss_part = answer.parts("w", "b", "losses", expected=expected, lead=lead)
            losses = loss_part.numbers(run.losses, lead=lead)
            if losses.shape != run.losses.shape:
                if close(losses, run.losses[1:], rtol=_RTOL, atol=1e-9):
                    why = (
                        "Your history starts after the first step: the loss was recorded only after each update, "
                        "so J at the start is missing and every entry sits one step early."
                    )
                elif close(losses, run.losses[:-1], rtol=_RTOL, atol=1e-9):
                    why = (
                        "Your history stops one step short: the loss was recorded only before each update, "
                        "so J after the last step is missing."
                    )
                elif losses.ndim == 0:
                    why = (
                        "Your third value is a single number, not a history: return w, b and the losses, in that "
                        f"order, the losses holding {steps + 1} numbers for {steps} steps (the start and every step)."
                    )
                else:
                    entries = "entry" if losses.size == 1 else "entries"
                    why = (
                        f"Your history has {losses.size} {entries} for {steps} steps; it needs {steps + 1}: "
                        "one for the start and one after every step."
                    )
                loss_part.fail(run.losses, why=why)
            x = X[:, 0]
            if not close(losses, run.losses, rtol=_RTOL, atol=1e-9):
                why = ""
                for mistake, sentence in _LOOP_MISTAKES.items():
                    if close(losses, _mistaken_loop(x, y, lr, steps, mistake)[2], rtol=_RTOL, atol=1e-9):
                        why = sentence
                        break
                loss_part.fail(run.losses, why=why)
            w = w_part.number(run.w, lead=lead)
            b = b_part.number(run.b, lead=lead)
            if not close((w, b), (run.w, run.b), rtol=_RTOL, atol=1e-9):
                before = run.path[-2] if steps else run.path[-1]
                why = (
                    "Your losses are right but the w and b you return are from before the last update: "
                    "return the parameters the loop ended with."
                    if close((w, b), tuple(before), rtol=_RTOL, atol=1e-9) else ""
                )
                answer.fail(expected, why=why)
        harness.passed(len(cases))


GRADIENT_HINTS = Hints(
    task="Write gradient(w, b, X, y), which returns the pair (∂J/∂w, ∂J/∂b) of the line's loss J at (w, b).",
    idea=(
        "Each residual r_i = w·x_i + b − y_i reaches J through its square; by the chain rule it reaches w "
        "through the factor x_i and b through the factor 1, and the ½ of J cancels the 2 of the square. "
        "J averages over the examples, so both partial derivatives are averages too."
    ),
    formula="∂J/∂w = (1/N) Σ_i r_i·x_i and ∂J/∂b = (1/N) Σ_i r_i, with r_i = w·x_i + b − y_i.",
    code=(
        "`x = X[:, 0]` (a flat array, so that it lines up with y), `r = w * x + b - y`, then return "
        "`np.mean(r * x), np.mean(r)`."
    ),
)


def check_gradient(gradient: Callable) -> None:
    """``gradient(w, b, X, y)`` must return (∂J/∂w, ∂J/∂b) for J = 1/(2N) Σ (w·x_i + b − y_i)²."""
    cases = _cases()
    with Harness(gradient, GRADIENT_HINTS) as harness:
        for w, b, X, y in cases:
            answer = harness.call(w, b, X, y)
            expected = linear_gradient(w, b, X, y)
            pair = _pair(answer, ("dw", "db"), expected, "Return a pair of two numbers, (dw, db).")
            if close(pair, expected, rtol=_RTOL, atol=1e-9):
                continue
            x = X[:, 0]
            n = len(x)
            broadcast = w * X + b - y  # (N, N) when X is (N, 1): a classic shape slip
            if np.isclose(pair[0], expected[1]) and not np.isclose(pair[0], expected[0]):
                why = (
                    "Your dw equals the mean residual, which is ∂J/∂b, the bias's gradient. The chain rule "
                    "weighs each residual by ∂(w·x_i + b)/∂w = x_i for the slope."
                )
            elif close(pair, (n * expected[0], n * expected[1]), rtol=_RTOL, atol=1e-9):
                why = "Your numbers are N times too large: J averages over the examples, so its gradient is a mean, not a sum."
            elif close(pair, (2 * expected[0], 2 * expected[1]), rtol=_RTOL, atol=1e-9):
                why = "Your numbers are twice too large: J has a factor ½ that cancels the 2 from differentiating the square."
            elif close(pair, (-expected[0], -expected[1]), rtol=_RTOL, atol=1e-9):
                why = "Your signs are flipped: the residual is the prediction minus the target, not the other way round."
            elif close(pair, (float(np.mean(broadcast * X)), float(np.mean(broadcast))), rtol=_RTOL, atol=1e-9):
                why = (
                    "X has shape (N, 1) and y has shape (N,), so combining them broadcasts to an (N, N) table of "
                    "every prediction against every target. Use X's single column as a flat array."
                )
            else:
                why = ""
            answer.fail(expected, why=why)
        harness.passed(len(cases))


GRADIENT_STEP_HINTS = Hints(
    task=(
        "Write gradient_step(w, b, X, y, lr), which makes one full-batch gradient-descent step from (w, b) with "
        "learning rate lr and returns the new pair (w, b)."
    ),
    idea=(
        "One step of gradient descent: take the gradient at the current point on all the data, and move each "
        "parameter against its partial derivative, by η times it."
    ),
    formula="w ← w − η·∂J/∂w and b ← b − η·∂J/∂b, both partial derivatives taken at the old (w, b).",
    code="`dw, db = gradient(w, b, X, y)`, then return `w - lr * dw, b - lr * db`.",
)


def check_gradient_step(gradient_step: Callable) -> None:
    """``gradient_step(w, b, X, y, lr)`` must return (w, b) after one update θ ← θ − η·∇J(θ)."""
    cases = [(w, b, X, y, lr) for (w, b, X, y), lr in zip(_cases(), (0.1, 0.5, 0.05, 0.01))]
    with Harness(gradient_step, GRADIENT_STEP_HINTS) as harness:
        for w, b, X, y, lr in cases:
            answer = harness.call(w, b, X, y, lr)
            dw, db = linear_gradient(w, b, X, y)
            expected = (w - lr * dw, b - lr * db)
            pair = _pair(answer, ("w", "b"), expected, "Return the new pair (w, b).")
            if close(pair, expected, rtol=_RTOL, atol=1e-9):
                continue
            if close(pair, (w + lr * dw, b + lr * db), rtol=_RTOL, atol=1e-9):
                why = "You moved along the gradient, which points uphill; descent moves against it."
            elif close(pair, (w - dw, b - db), rtol=_RTOL, atol=1e-9):
                why = "The step ignores the learning rate: the step is η times the gradient."
            elif close(pair, (lr * dw, lr * db), rtol=_RTOL, atol=1e-9) or close(pair, (-lr * dw, -lr * db), rtol=_RTOL, atol=1e-9):
                why = "You returned the step itself; return the new parameters, the old value minus the step."
            elif close(pair, (w - lr * db, b - lr * db), rtol=_RTOL, atol=1e-9):
                why = "w moved by the mean residual, the bias's gradient; the slope's gradient weighs each residual by x_i."
            else:
                why = ""
            answer.fail(expected, why=why)
        harness.passed(len(cases))


CRITICAL_LR_HINTS = Hints(
    task="Write max_learning_rate(X), which returns the largest learning rate at which full-batch descent on J converges.",
    idea=(
        "Along an eigen-direction of the Hessian with eigenvalue λ, one step multiplies the distance to the "
        "minimum by (1 − ηλ); it shrinks only while |1 − ηλ| < 1. The steepest direction, with the largest "
        "eigenvalue, is the first to break."
    ),
    formula="H = [[mean(x²), mean(x)], [mean(x), 1]]; the critical rate is 2 / λ_max(H).",
    code=(
        "Build `H = np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])` with `x = X[:, 0]`, then "
        "`2 / np.linalg.eigvalsh(H)[-1]` (eigvalsh sorts the eigenvalues in increasing order)."
    ),
)


def check_critical_learning_rate(max_learning_rate: Callable) -> None:
    """``max_learning_rate(X)`` must return 2 / λ_max, λ_max the largest eigenvalue of J's Hessian."""
    data = [
        make_linear_regression(seed=0)[0],
        make_uniform_noise_regression(seed=0)[0],
        np.array([[1.0], [2.0], [3.0]]),
        10.0 * make_linear_regression(n=50, seed=5)[0],
    ]
    with Harness(max_learning_rate, CRITICAL_LR_HINTS) as harness:
        for X in data:
            answer = harness.call(X)
            expected = critical_learning_rate(X)
            value = answer.number(expected, lead="Return one number.")
            if np.isclose(value, expected, rtol=_RTOL):
                continue
            low, high = np.linalg.eigvalsh(linear_hessian(X))
            x = X[:, 0]
            if np.isclose(value, 1 / high, rtol=_RTOL):
                why = (
                    "1/λ_max is the best rate along the steepest direction, not the limit: a step multiplies "
                    "the distance by (1 − ηλ), and |1 − ηλ| < 1 allows η up to twice that."
                )
            elif np.isclose(value, 2 / low, rtol=_RTOL):
                why = "The smallest eigenvalue is the gentlest direction; the steepest one, λ_max, breaks first."
            elif np.isclose(value, 2 / np.mean(x * x), rtol=_RTOL):
                why = (
                    "2/mean(x²) is the limit for w alone; with the bias b the Hessian is 2 × 2 and its largest "
                    "eigenvalue is bigger."
                )
            elif np.isclose(value, high, rtol=_RTOL) or np.isclose(value, 2 * high, rtol=_RTOL):
                why = "That is a curvature, not a learning rate: the limit on η is 2 divided by the largest eigenvalue."
            else:
                why = ""
            answer.fail(expected, why=why)
        harness.passed(len(data))


# ---- predictions -----------------------------------------------------------------------------


def _course_critical_lr() -> float:
    return critical_learning_rate(make_linear_regression(seed=0)[0])


predict_critical_lr = Prediction(
    "the largest learning rate η at which gradient descent on our data still converges",
    truth=_course_critical_lr, rtol=0.15,
)
