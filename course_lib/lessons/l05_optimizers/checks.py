"""Self-checks of lesson 05, Optimizers: one momentum step, one Nesterov step, one Adam step, Rosenbrock's gradient.

The right answers come from the course's tested code: the pure update rules of
:mod:`course_lib.numpy_nn.optimizers` and the analytic gradients of :mod:`course_lib.lessons.l05_optimizers.surfaces`.
Each step is checked from the *right* state, so one wrong step cannot hide behind another.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from course_lib.ui.checks import Answer, Harness, Hints, close
from course_lib.ui.predictions import Prediction
from course_lib.numpy_nn.optimizers import AdamState, SGDState, adam_update, sgd_update
from course_lib.lessons.l05_optimizers.surfaces import ROSENBROCK_A, ROSENBROCK_B, SURFACES
from course_lib.lessons.l05_optimizers.flawed_adam import flawed_adam_update
from course_lib.lessons.l05_optimizers.race import lesson_optimizer, run_optimizer

__all__ = [
    "check_adam_step", "check_momentum_step", "check_nesterov_step", "check_rosenbrock_grad", "choose_lowest_on_the_bowl",
]


def lowest_on_the_bowl(steps: int = 100, lr: float = 0.02, momentum: float = 0.9) -> str:
    """Which of SGD, momentum and Nesterov ends lowest on the bowl after ``steps`` steps (section 5's run)."""
    settings = {"SGD": {}, "momentum": {"momentum": momentum}, "nesterov": {"momentum": momentum}}
    finals = {
        name: run_optimizer("bowl", partial(lesson_optimizer, name, lr=lr, **extra), steps=steps).losses[-1]
        for name, extra in settings.items()
    }
    return min(finals, key=finals.get)


choose_lowest_on_the_bowl = Prediction(
    "which of SGD, momentum and Nesterov ends with the lowest loss f on the bowl after 100 steps at η = 0.02, μ = 0.9",
    truth=lowest_on_the_bowl, options=("SGD", "momentum", "nesterov"),
)


def _arrays(answer: Answer, expected: tuple, *names: str) -> tuple[np.ndarray, ...]:
    """The learner's answer as ``len(names)`` arrays, each of its expected shape; anything else is refused."""
    parts = answer.parts(*names, expected=expected, lead=f"return {len(names)} values, separated by commas.")
    return tuple(part.array(e) for part, e in zip(parts, expected))


def check_momentum_step(momentum_step: Callable) -> None:
    """``momentum_step(p, g, b, lr, momentum) -> (new_p, new_b)``: SGD with momentum, torch's convention.

    b ← μ b + g, then p ← p − lr · b; b starts at zeros.
    """
    hints = Hints(
        task="Return the parameters and the momentum buffer after one step of SGD with momentum, in PyTorch's "
             "convention: (new_p, new_b).",
        idea="Momentum steps along a buffer that remembers past gradients instead of along the bare gradient. In "
             "PyTorch's convention the buffer adds each whole gradient to its decayed old value, and the learning rate "
             "scales only the step, which goes downhill.",
        formula="b_new = μ·b + g, then p_new = p − η·b_new (b starts at zeros).",
        code="`new_b = momentum * b + g`, then `return p - lr * new_b, new_b`.",
    )
    rng = np.random.default_rng(5)
    cases = [((3,), 0.05, 0.9), ((2, 2), 0.1, 0.5), ((4,), 0.3, 0.0)]
    n_checked = 0
    with Harness(momentum_step, hints) as harness:
        for shape, lr, mu in cases:
            p, b = rng.standard_normal(shape), np.zeros(shape)
            state = SGDState(momentum_buffer=None)
            for _ in range(4):
                g = rng.standard_normal(shape)
                answer = harness.call(p, g, b, lr, mu)
                expected_p, state = sgd_update(p, g, state, lr=lr, momentum=mu)
                expected_b = state.momentum_buffer if mu != 0 else g
                new_p, new_b = _arrays(answer, (expected_p, expected_b), "new_p", "new_b")
                if not close(new_b, expected_b, rtol=1e-9, atol=1e-12):
                    why = ""
                    if mu != 0 and close(new_b, -lr * expected_b, rtol=1e-9, atol=1e-12):
                        why = (
                            "your new_b is −η times PyTorch's buffer: that is Sutskever's velocity, which folds the "
                            "learning rate and the minus sign into the buffer. It moves p the same way, but this "
                            "exercise keeps the learning rate outside the buffer (PyTorch's convention)."
                        )
                    elif close(new_b, lr * expected_b, rtol=1e-9, atol=1e-12):
                        why = "the learning rate belongs outside the buffer, not in it: it scales the step only."
                    elif mu != 0 and close(new_b, mu * b + (1 - mu) * g, rtol=1e-9, atol=1e-12):
                        why = (
                            "you wrote a moving average, with the gradient weighted by (1 − μ). PyTorch's buffer adds "
                            "the whole gradient (it has no (1 − μ) factor unless you ask for dampening)."
                        )
                    answer.fail((expected_p, expected_b), why=why)
                if not close(new_p, expected_p, rtol=1e-9, atol=1e-12):
                    why = ""
                    if close(new_p, p + lr * expected_b, rtol=1e-9, atol=1e-12):
                        why = "p moved uphill: the step goes against the buffer, downhill."
                    elif close(new_p, p - lr * b, rtol=1e-9, atol=1e-12):
                        why = "the step used the old buffer; use the *new* one, which already holds this gradient."
                    answer.fail((expected_p, expected_b), why=why)
                p, b = expected_p, expected_b
                n_checked += 1
        harness.passed(n_checked)


def check_nesterov_step(nesterov_step: Callable) -> None:
    """``nesterov_step(p, g, b, lr, momentum) -> (new_p, new_b)``: Nesterov momentum, torch's convention.

    The answer key is ``sgd_update(..., nesterov=True)``, which the lesson's tests hold step for step
    against ``torch.optim.SGD(nesterov=True)``. Each case starts mid-run, with a buffer b ≠ 0.
    """
    hints = Hints(
        task="Return the parameters and the momentum buffer after one step of Nesterov momentum, in PyTorch's "
             "convention: (new_p, new_b).",
        idea="Nesterov's momentum updates the buffer exactly as plain momentum does, but its step looks ahead: "
             "it goes along this step's gradient plus μ times the freshly updated buffer, which is where the "
             "momentum is about to carry the point. The learning rate scales only the step, which goes downhill.",
        formula="b_new = μ·b + g, then p_new = p − η·(g + μ·b_new) (b starts at zeros).",
        code="`new_b = momentum * b + g`, then `return p - lr * (g + momentum * new_b), new_b`.",
    )
    rng = np.random.default_rng(11)
    cases = [((3,), 0.05, 0.9), ((2, 2), 0.1, 0.5), ((4,), 0.01, 0.99)]
    n_checked = 0
    tol = {"rtol": 1e-9, "atol": 1e-12}
    with Harness(nesterov_step, hints) as harness:
        for shape, lr, mu in cases:
            # start mid-run, with a buffer from earlier steps: from b = 0 several mistakes take the same first step
            p, b = rng.standard_normal(shape), rng.standard_normal(shape)
            state = SGDState(momentum_buffer=b.copy())
            for _ in range(5):
                g = rng.standard_normal(shape)
                answer = harness.call(p, g, b, lr, mu)
                expected_p, state = sgd_update(p, g, state, lr=lr, momentum=mu, nesterov=True)
                expected_b = state.momentum_buffer
                new_p, new_b = _arrays(answer, (expected_p, expected_b), "new_p", "new_b")
                if not close(new_b, expected_b, **tol):
                    why = ""
                    if close(new_b, -lr * expected_b, **tol):
                        why = ("your new_b is −η times PyTorch's buffer (Sutskever's velocity); this exercise keeps "
                               "the learning rate and the sign outside the buffer, as PyTorch does.")
                    elif close(new_b, mu * b + lr * g, **tol) or close(new_b, lr * expected_b, **tol):
                        why = "the learning rate belongs outside the buffer, not in it: it scales the step only."
                    elif close(new_b, mu * b + (1 - mu) * g, **tol):
                        why = ("you wrote a moving average, with the gradient weighted by (1 − μ); PyTorch's buffer "
                               "takes in the whole gradient.")
                    answer.fail((expected_p, expected_b), why=why)
                if not close(new_p, expected_p, **tol):
                    why = ""
                    if close(new_p, p - lr * expected_b, **tol):
                        why = ("that is plain (heavy-ball) momentum, a step along the buffer alone (a look-ahead "
                               "built on the old buffer comes to the same step); Nesterov's look-ahead steps along "
                               "this gradient plus μ times the new buffer.")
                    elif close(new_p, p - lr * (g + expected_b), **tol):
                        why = "the look-ahead adds μ times the new buffer to the gradient, not the whole buffer."
                    elif close(new_p, p - lr * mu * expected_b, **tol):
                        why = "the step lost this step's own gradient: the look-ahead adds μ times the buffer to it."
                    elif close(new_p, p + lr * (g + mu * expected_b), **tol):
                        why = "p moved uphill: the step goes against the look-ahead direction, downhill."
                    elif close(new_p, p - (g + mu * expected_b), **tol):
                        why = "the step is not scaled by the learning rate."
                    answer.fail((expected_p, expected_b), why=why)
                p, b = expected_p, expected_b
                n_checked += 1
        harness.passed(n_checked)


def check_adam_step(adam_step: Callable) -> None:
    """``adam_step(p, g, m, v, t, lr, beta1, beta2, eps) -> (new_p, new_m, new_v)``: one Adam step.

    t is this step's number (1 for the first step); both moments are bias-corrected, and eps is
    added to √v̂ (Kingma & Ba 2015, Algorithm 1; torch's convention).
    """
    hints = Hints(
        task="Return the parameters and both moments after one Adam step, t being this step's number (1 for the "
             "first), with both moments bias-corrected: (new_p, new_m, new_v).",
        idea="Adam keeps two moving averages, of the gradient (m) and of its square (v). Both start at 0, so both "
             "are corrected for that bias before the step; the step is the corrected m divided by the square root "
             "of the corrected v (plus ε), scaled by the learning rate, downhill.",
        formula="m = β₁m + (1−β₁)g;  v = β₂v + (1−β₂)g²;  m̂ = m/(1−β₁ᵗ);  v̂ = v/(1−β₂ᵗ);  "
                "p_new = p − η·m̂/(√v̂ + ε).",
        code="`m = beta1*m + (1-beta1)*g`;  `v = beta2*v + (1-beta2)*g**2`;  `m_hat = m/(1-beta1**t)`;  "
             "`v_hat = v/(1-beta2**t)`;  `p_new = p - lr * m_hat / (np.sqrt(v_hat) + eps)`.",
    )
    rng = np.random.default_rng(7)
    cases = [((3,), 0.01, 0.9, 0.999, 1e-8), ((2, 3), 0.1, 0.8, 0.99, 1e-8), ((4,), 0.001, 0.9, 0.999, 1e-3)]
    n_checked = 0
    with Harness(adam_step, hints) as harness:
        for shape, lr, beta1, beta2, eps in cases:
            p = rng.standard_normal(shape)
            state = AdamState(t=0, m=np.zeros(shape), v=np.zeros(shape), v_max=None)
            for _ in range(5):
                g = rng.standard_normal(shape)
                answer = harness.call(p, g, state.m, state.v, state.t + 1, lr, beta1, beta2, eps)
                expected_p, new_state = adam_update(p, g, state, lr=lr, betas=(beta1, beta2), eps=eps)
                expected = (expected_p, new_state.m, new_state.v)
                new_p, new_m, new_v = _arrays(answer, expected, "new_p", "new_m", "new_v")
                if not close(new_m, new_state.m, rtol=1e-9, atol=1e-12) or not close(new_v, new_state.v, rtol=1e-9, atol=1e-12):
                    answer.fail(expected, why="the moments come first: new_m or new_v is not the moving average it "
                                              "should be, and the step is built on them.")
                if not close(new_p, expected_p, rtol=1e-9, atol=1e-12):
                    t = state.t + 1
                    m_hat, v_hat = new_state.m / (1 - beta1**t), new_state.v / (1 - beta2**t)
                    flawed_p, _ = flawed_adam_update(p, g, state, lr=lr, betas=(beta1, beta2), eps=eps)
                    why = ""
                    if close(new_p, flawed_p, rtol=1e-9, atol=1e-12):
                        why = (
                            "you corrected m but not v, like the source material of this lesson: leaving v "
                            "uncorrected makes the first step 1/√(1 − β₂) times too large (31.6 for β₂ = 0.999). "
                            "Correct both moments."
                        )
                    elif close(new_p, p - lr * new_state.m / (np.sqrt(new_state.v) + eps), rtol=1e-9, atol=1e-12):
                        why = "m and v both start at 0 and are biased towards 0; correct both for that bias before the step."
                    elif close(new_p, p - lr * m_hat / (v_hat + eps), rtol=1e-9, atol=1e-12):
                        why = ("divide by the square root of v_hat: v_hat estimates g², and the square root brings it "
                               "back to the size of g.")
                    elif close(new_p, p - lr * m_hat / np.sqrt(v_hat + eps), rtol=1e-9, atol=1e-12):
                        why = "ε is added outside the square root, after it is taken, as in the paper and torch."
                    elif close(new_p, p + lr * m_hat / (np.sqrt(v_hat) + eps), rtol=1e-9, atol=1e-12):
                        why = "p moved uphill: the step goes against the gradient's average."
                    answer.fail(expected, why=why)
                p, state = expected_p, new_state
                n_checked += 1
        harness.passed(n_checked)


def check_rosenbrock_grad(rosenbrock_grad: Callable) -> None:
    """``rosenbrock_grad(x, y) -> (df/dx, df/dy)`` for f = (1 − x)² + 100 (y − x²)², on floats and arrays."""
    a, b = ROSENBROCK_A, ROSENBROCK_B
    hints = Hints(
        task="Return the pair (∂f/∂x, ∂f/∂y) of Rosenbrock's function f(x, y) = (1 − x)² + 100 (y − x²)², for "
             "numbers and for arrays alike.",
        idea="Differentiate each square with the chain rule: the derivative of u² is 2u times the derivative of "
             "what is inside it, and a term without the variable contributes nothing.",
        formula="∂f/∂x = −2(1 − x) − 400x(y − x²) and ∂f/∂y = 200(y − x²).",
        code="`dfdx = -2 * (1 - x) - 400 * x * (y - x**2)`, `dfdy = 200 * (y - x**2)`; return them as a pair.",
    )
    grad = SURFACES["rosenbrock"].grad
    cases = [(-1.2, 1.0), (1.0, 1.0), (0.5, -0.3), (np.array([-1.5, 0.0, 2.0]), np.array([2.0, 0.0, -1.0]))]
    with Harness(rosenbrock_grad, hints) as harness:
        for x, y in cases:
            answer = harness.call(x, y)
            expected = tuple(np.asarray(e, dtype=np.float64) for e in grad(x, y))
            got = _arrays(answer, expected, "df/dx", "df/dy")
            if close(got[0], expected[0], rtol=1e-9, atol=1e-12) and close(got[1], expected[1], rtol=1e-9, atol=1e-12):
                continue
            inner = y - x**2
            why = ""
            if close(got[0], expected[1], rtol=1e-9, atol=1e-12) and close(got[1], expected[0], rtol=1e-9, atol=1e-12):
                why = "you returned (df/dy, df/dx); return df/dx first."
            elif close(got[0], -2 * (a - x) + 2 * b * inner, rtol=1e-9, atol=1e-12):
                why = ("the inner derivative of (y - x²) with respect to x is -2x, and the second term of df/dx "
                       "lacks it.")
            elif close(got[0], 2 * (a - x) - 4 * b * x * inner, rtol=1e-9, atol=1e-12):
                why = "the inner derivative of (1 - x) is -1, which flips the sign of the first term of df/dx."
            elif close(got[1], 2 * inner, rtol=1e-9, atol=1e-12):
                why = "keep the factor 100 of the second square in df/dy."
            answer.fail(expected, why=why)
        harness.passed(len(cases))
