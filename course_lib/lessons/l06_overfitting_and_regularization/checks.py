"""Self-checks of lesson 06, overfitting and regularization: the L2-penalised gradient, the
soft-thresholding operator of L1, and inverted dropout (forward in both modes, and backward)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from course_lib.ui.checks import Harness, Hints, close, diagnose
from course_lib.ui.predictions import Prediction
from course_lib.data import make_polynomial_regression
from course_lib.numpy_nn.layers import Dropout
from course_lib.lessons.l06_overfitting_and_regularization.overfitting import (
    fit_polynomial, polynomial_features, ridge_gradient, soft_threshold,
)

__all__ = ["choose_degree15_gap", "choose_eval_output", "check_dropout_backward", "check_dropout_forward", "check_dropout_modes", "check_ridge_gradient", "check_soft_threshold"]


def check_ridge_gradient(ridge_gradient_fn: Callable[[NDArray, NDArray, NDArray, float], NDArray]) -> None:
    """``ridge_gradient(w, features, y, l2)`` must return ∇J for J = (1/N)‖Φw − y‖² + (λ/2)Σ_{k≥1} w_k²."""
    hints = Hints(
        task="Return the gradient of the L2-penalised loss J(w) = (1/N)‖Φw − y‖² + (λ/2)Σ_{k≥1} w_k², one entry per "
             "weight.",
        idea="The gradient of a sum is the sum of the gradients: differentiate the mean squared error and the "
             "penalty separately. The square brings down a factor 2, the ½ of the penalty cancels the 2 of its "
             "square, and the penalty leaves the bias w₀ alone.",
        formula="∇J = (2/N)·Φᵀ(Φw − y) + λ·w, where entry 0 of the penalty's part λ·w is 0.",
        code="`2 / N * features.T @ (features @ w - y)` for the data term; for the penalty copy `lam * w` and set its "
             "entry 0 to 0; return their sum.",
    )
    x, y = make_polynomial_regression(12, seed=3)
    features = polynomial_features(x, 4)
    rng = np.random.default_rng(6)
    cases = [(rng.normal(size=5), features, y, 0.0), (rng.normal(size=5), features, y, 0.5), (np.array([2.0, 0, 0, 0, 0]), features, y, 3.0)]
    with Harness(ridge_gradient_fn, hints) as harness:
        for w, phi, target, lam in cases:
            answer = harness.call(w, phi, target, lam)
            expected = ridge_gradient(w, phi, target, lam)
            got = answer.array(expected)
            if close(got, expected):
                continue
            n, residual = len(target), phi @ w - target
            data_term = 2.0 / n * phi.T @ residual
            mistakes = [
                (expected + lam * np.eye(len(w))[0] * w[0],
                 "the bias w₀ is penalised too. The penalty sums over k ≥ 1 only: shifting every target up "
                 "by 5 should move the fitted curve up by 5 without a penalty resisting it. Leave entry 0 "
                 "of the penalty's gradient at 0."),
                (1.0 / n * phi.T @ residual + (expected - data_term),
                 "the factor 2 of the squared error is missing: the derivative of a square (Φw − y)² brings down "
                 "a 2."),
                (data_term + 0.5 * (expected - data_term),
                 "the penalty's gradient is halved. (λ/2)·w_k² differentiates to λ·w_k: the ½ was put there "
                 "precisely to cancel the 2 of the square."),
                (data_term + 2.0 * (expected - data_term),
                 "the penalty's gradient is doubled: (λ/2)·w_k² differentiates to λ·w_k, not 2λ·w_k."),
                (-expected, "every sign is flipped: the gradient points uphill, towards larger loss; the residual is "
                            "the prediction minus the target."),
                (-data_term + (expected - data_term),
                 "the data term has the wrong sign: the residual is prediction minus target, Φw − y."),
            ]
            answer.fail(expected, why=diagnose(got, mistakes, ""))
        harness.passed(len(cases))


def check_soft_threshold(soft_threshold_fn: Callable[[NDArray, float], NDArray]) -> None:
    """``soft_threshold(w, t)`` must return sign(w)·max(|w| − t, 0), element-wise."""
    hints = Hints(
        task="Return w soft-thresholded at t: every entry moved t closer to 0, stopping at 0, entry by entry.",
        idea="Soft-thresholding is the step of L1: every weight shrinks towards 0 by the same amount t, the ones "
             "smaller than t in size land exactly on 0, and the others keep their sign.",
        formula="S_t(w) = sign(w)·max(|w| − t, 0), for each entry.",
        code="`np.sign(w) * np.maximum(np.abs(w) - t, 0)`.",
    )
    w = np.array([-2.0, -0.5, -0.1, 0.0, 0.05, 0.3, 1.5])
    cases = [(w, 0.3), (w, 0.0), (w, 5.0), (np.random.default_rng(4).normal(size=(3, 4)), 0.7)]
    with Harness(soft_threshold_fn, hints) as harness:
        for values, t in cases:
            answer = harness.call(values, t)
            expected = soft_threshold(values, t)
            got = answer.array(expected)
            if close(got, expected) and np.all(got[expected == 0] == 0):
                continue
            mistakes = [
                (values * (np.abs(values) > t),
                 "this is *hard* thresholding: small entries become 0, but the survivors must also shrink "
                 "by t. Without the shrink the function jumps at ±t."),
                (np.maximum(np.abs(values) - t, 0.0),
                 "negative weights came back positive: each entry must keep its sign, sign(w)."),
                (values - t, "every entry moved down by t; it must move *towards 0* (negative ones up) and stop at 0."),
                (values - np.sign(values) * t, "the shrink is right, but entries with |w| < t crossed 0 instead of stopping at 0."),
                (np.clip(values, -t, t), "clipping caps |w| at t; soft-thresholding instead removes t from |w|, and 0 is where it stops."),
            ]
            answer.fail(expected, why=diagnose(got, mistakes, ""))
        harness.passed(len(cases))


def check_dropout_forward(dropout_forward: Callable[[NDArray, float, np.random.Generator], NDArray]) -> None:
    """``dropout_forward(x, p, rng)``: inverted dropout in training mode.

    Draws u = rng.random(x.shape), keeps the entries where u >= p, and scales the kept ones by
    1/(1 − p); checked statistically and, with a fixed seed, against ``numpy_nn.Dropout``.
    """
    hints = Hints(
        task="Return x after inverted dropout in training mode: each entry dropped (set to 0) with probability p, "
             "decided by one uniform draw per entry from rng, and the survivors scaled so that the mean is kept.",
        idea="Inverted dropout drops each unit with probability p and scales up the survivors, so that every unit's "
             "expected output equals its input and nothing needs changing at test time.",
        formula="draw u uniform in [0, 1) per entry; keep the entry where u ≥ p (probability 1 − p); "
                "output = x · keep / (1 − p).",
        code="`u = rng.random(x.shape)`, then `x * (u >= p) / (1 - p)`.",
    )
    with Harness(dropout_forward, hints) as harness:
        # 1. Statistics on many units: what fraction is dropped, and is the mean kept?
        x, p = np.ones((200, 500)), 0.3
        args = (x, p, np.random.default_rng(1))
        answer = harness.call(*args)
        got = answer.array(x, lead="Return one value per entry of x.")
        dropped, mean = float(np.mean(got == 0)), float(np.mean(got))
        if abs(dropped - p) > 0.01:
            why = ("about 70 % of the entries were dropped: p is the probability of *dropping* a unit, not of "
                   "keeping it." if abs(dropped - (1 - p)) < 0.01 else
                   f"{dropped:.1%} of the entries were 0, but each should be dropped with probability p = {p}.")
            harness.fail(args, f"{dropped:.1%} of entries set to 0", f"about {p:.0%}", why=why)
        if abs(mean - 1.0) > 0.01:
            why = ("the survivors are not scaled: with 30 % dropped the mean falls to 0.7. Divide the kept "
                   "values by 1 − p, so that the expected output equals x and nothing needs changing at test time."
                   if abs(mean - (1 - p)) < 0.01 else
                   "the survivors are scaled wrongly: multiplying by (1 − p) shrinks them further; *divide* by (1 − p)."
                   if abs(mean - (1 - p) ** 2) < 0.01 else
                   "the mean output should equal the mean input (1.0 here): scale the kept values by exactly 1/(1 − p).")
            harness.fail(args, f"an output with mean {mean:.3f}", "mean 1.000 (the input's mean)", why=why)
        # 2. Exact values with a fixed seed, against the course's Dropout layer; p = 0 keeps everything.
        x = np.arange(1.0, 25.0).reshape(4, 6)
        for p in (0.5, 0.25, 0.0):
            answer = harness.call(x, p, np.random.default_rng(0))
            expected = Dropout(p, rng=np.random.default_rng(0)).forward(x)
            if not close(answer.array(expected), expected):
                answer.fail(expected, why=(
                    "the statistics are right, but with the same seed the course's Dropout keeps other units. "
                    "Draw exactly one uniform array of x's shape from rng, and keep an entry where its draw is at "
                    "least p." if p > 0 else
                    "with p = 0 nothing is dropped and the scale is 1: the output must equal x."))
        harness.passed(4)


def check_dropout_modes(dropout_modes: Callable[[NDArray, float, np.random.Generator, bool], tuple]) -> None:
    """``dropout_modes(x, p, rng, training)`` must return ``(out, mask)``: inverted dropout in training mode, with
    the mask of kept entries, and out = x in evaluation mode; compared with ``numpy_nn.Dropout`` for a fixed seed."""
    hints = Hints(
        task="Return the pair (out, mask): in training mode out is x after inverted dropout and mask marks the entries "
             "kept; in evaluation mode out is x itself.",
        idea="Training drops each unit with probability p and scales up the survivors so that every unit's expected "
             "output is its input; because the expectation is already right, evaluation leaves x alone.",
        formula="training: mask = (u ≥ p) for u uniform in [0, 1) per entry, out = x · mask / (1 − p); "
                "evaluation: out = x (the mask is then None).",
        code="`if not training: return x.copy(), None`, then `mask = rng.random(x.shape) >= p` and "
             "`return x * mask / (1 - p), mask`.",
    )
    x = np.arange(1.0, 25.0).reshape(4, 6)
    cases = [(0.5, True), (0.25, True), (0.0, True), (0.5, False), (0.25, False)]
    with Harness(dropout_modes, hints) as harness:
        for p, training in cases:
            answer = harness.call(x, p, np.random.default_rng(0), training)
            y_part, mask_part = answer.parts("out", "mask")
            layer = Dropout(p, rng=np.random.default_rng(0))
            if not training:
                layer.eval()
            expected = layer.forward(x)
            got = y_part.array(expected)
            if close(got, expected):
                if training and not np.array_equal(np.asarray(mask_part.got, dtype=bool), layer.mask):
                    mask_part.fail(layer.mask, why="out is right, but the mask returned is not the one used: it must "
                                   "be True exactly where an entry was kept, the same array out was made with.")
                continue
            keep = np.random.default_rng(0).random(x.shape) >= p
            if training:
                mistakes = [
                    (x * keep, "the survivors are not scaled: without 1/(1 − p) the expected output is (1 − p)·x, so "
                               "training and evaluation see inputs of different sizes."),
                    (x * keep * (1 - p), "the survivors are multiplied by (1 − p); to keep the mean they must be "
                                         "*divided* by it."),
                    (x * ~keep / (1 - p), "an entry was kept where its draw is below p, that is with probability p; "
                                          "p is the probability of *dropping* a unit."),
                ]
                why = diagnose(got, mistakes, "the course's Dropout keeps other units with the same seed: draw exactly "
                               "one uniform array of x's shape from rng and keep an entry where its draw is at least p.")
            else:
                mistakes = [
                    (x * keep, "units were dropped in evaluation mode; at evaluation every unit is used."),
                    (x * keep / (1 - p), "units were dropped in evaluation mode; at evaluation every unit is used."),
                    (x / (1 - p), "the output was scaled in evaluation mode; inverted dropout already made the "
                                  "expected training output equal x, so evaluation needs no scale."),
                    (x * (1 - p), "the output was scaled in evaluation mode; that is the rule of the *original* "
                                  "dropout, whose training did not scale. Inverted dropout leaves evaluation alone."),
                ]
                why = diagnose(got, mistakes, "in evaluation mode dropout is switched off: the output is the input.")
            y_part.fail(expected, why=why)
        harness.passed(len(cases))


def check_dropout_backward(dropout_backward: Callable[[NDArray, NDArray, float], NDArray]) -> None:
    """``dropout_backward(dy, mask, p)`` must return dL/dx = dy · mask / (1 − p); checked against
    ``numpy_nn.Dropout.backward`` and against a finite-difference gradient of the forward pass."""
    hints = Hints(
        task="Return the gradient with respect to dropout's input x, given the gradient dy with respect to its output "
             "and the mask of kept entries from the forward pass.",
        idea="In training, dropout multiplies each entry by a fixed number: 0 where it was dropped, 1/(1 − p) where it "
             "was kept. The gradient flows back through the same multiplication, with the same mask; no new draw.",
        formula="dx = dy · mask / (1 − p).",
        code="`dy * mask / (1 - p)`.",
    )
    rng = np.random.default_rng(5)
    with Harness(dropout_backward, hints) as harness:
        for p in (0.5, 0.2, 0.0):
            x, dy = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
            layer = Dropout(p, rng=np.random.default_rng(1))
            layer.forward(x)
            mask = layer.mask.copy()
            expected = layer.backward(dy)
            # the same gradient by finite differences of L(x) = Σ dy · dropout(x), with the mask held fixed
            eps, numeric = 1e-6, np.zeros_like(x)
            for i in np.ndindex(x.shape):
                bump = np.zeros_like(x)
                bump[i] = eps
                numeric[i] = np.sum(dy * ((x + bump) - (x - bump)) * mask / (1 - p)) / (2 * eps)
            assert np.allclose(numeric, expected, atol=1e-6)   # the answer key agrees with the gradient check
            answer = harness.call(dy, mask, p)
            got = answer.array(expected)
            if close(got, expected, rtol=1e-6):
                continue
            mistakes = [
                (dy / (1 - p), "the mask is ignored: a dropped entry did not reach the output, so no gradient may "
                               "flow back to it."),
                (dy * mask, "the 1/(1 − p) is missing: the forward pass scaled the kept entries, so their "
                            "gradients are scaled by the same factor."),
                (dy * mask * (1 - p), "the kept gradients are multiplied by (1 − p); the forward pass *divided* by "
                                      "it, and the backward pass uses the same factor."),
                (dy * ~mask / (1 - p), "the gradient flows to the dropped entries instead of the kept ones: the mask "
                                       "is True where an entry was kept."),
                (dy, "the gradient was passed through unchanged: that is evaluation mode; in training the mask and "
                     "the scale of the forward pass apply."),
            ]
            why = diagnose(got, mistakes, "the gradient does not follow the mask given: zeros must be exactly where "
                           "the mask is False (a new random draw in the backward pass gives a different pattern).")
            answer.fail(expected, why=why)
        harness.passed(3)


# ------------------------------------------------------------------------------------------------
# Predictions
# ------------------------------------------------------------------------------------------------

GAP_OPTIONS = ("about 1 (no gap)", "about 10", "about 100", "1000 or more")


def degree15_gap() -> str:
    """How many times degree 15's validation MSE exceeds its training MSE, on the notebook's data."""
    true = (0.5, -1.0, -1.5, 2.0)
    train = make_polynomial_regression(20, coefficients=true, noise=0.2, seed=0)
    val = make_polynomial_regression(200, coefficients=true, noise=0.2, seed=1)
    fit = fit_polynomial(*train, 15)
    ratio = fit.mse(*val) / fit.mse(*train)
    return GAP_OPTIONS[int(np.clip(np.round(np.log10(ratio)), 0, 3))]


choose_degree15_gap = Prediction(
    "how many times larger the degree-15 fit's validation MSE is than its training MSE (20 training points)",
    truth=degree15_gap, options=GAP_OPTIONS,
)


def eval_output() -> str:
    """What the course's Dropout(p = 0.5) returns for a batch of ones in evaluation mode."""
    out = Dropout(0.5, rng=np.random.default_rng(0)).eval()(np.ones((2, 8)))
    if np.all(out == 1):
        return "all ones"
    return "all twos" if np.all(out == 2) else "all halves" if np.all(out == 0.5) else "a mix of zeros and twos"


choose_eval_output = Prediction(
    "what a Dropout layer with p = 0.5 returns for a batch of ones in evaluation mode",
    truth=eval_output, options=("a mix of zeros and twos", "all ones", "all halves", "all twos"),
)
