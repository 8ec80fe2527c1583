"""Self-checks of lesson 06, overfitting and regularization: the L2-penalised gradient, the
soft-thresholding operator of L1, and inverted dropout."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from course_lib.ui.checks import Harness, close, diagnose
from course_lib.data import make_polynomial_regression
from course_lib.numpy_nn.layers import Dropout
from course_lib.lessons.l06_overfitting_and_regularization.overfitting import (
    polynomial_features, ridge_gradient, soft_threshold,
)

__all__ = ["check_dropout_forward", "check_ridge_gradient", "check_soft_threshold"]


def check_ridge_gradient(ridge_gradient_fn: Callable[[NDArray, NDArray, NDArray, float], NDArray]) -> None:
    """``ridge_gradient(w, features, y, l2)`` must return ∇J for J = (1/N)‖Φw − y‖² + (λ/2)Σ_{k≥1} w_k²."""
    hint = (
        "Differentiate the two terms separately. The mean squared error (1/N)Σ(Φᵢ·w − yᵢ)² has "
        "gradient (2/N)·Φᵀ(Φw − y), i.e. `2 / N * features.T @ (features @ w - y)`. The penalty "
        "(λ/2)Σ_{k≥1} w_k² adds λ·w_k to every entry except k = 0: copy λ·w and set its first entry to 0."
    )
    x, y = make_polynomial_regression(12, seed=3)
    features = polynomial_features(x, 4)
    rng = np.random.default_rng(6)
    cases = [(rng.normal(size=5), features, y, 0.0), (rng.normal(size=5), features, y, 0.5), (np.array([2.0, 0, 0, 0, 0]), features, y, 3.0)]
    with Harness(ridge_gradient_fn, hint) as harness:
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
                 "the factor 2 of the squared error is missing: d/dw (Φw − y)² = 2(Φw − y)·Φ, so the MSE's "
                 "gradient is (2/N)Φᵀ(Φw − y)."),
                (data_term + 0.5 * (expected - data_term),
                 "the penalty's gradient is halved. (λ/2)·w_k² differentiates to λ·w_k: the ½ was put there "
                 "precisely to cancel the 2 of the square."),
                (data_term + 2.0 * (expected - data_term),
                 "the penalty's gradient is doubled: (λ/2)·w_k² differentiates to λ·w_k, not 2λ·w_k."),
                (-expected, "every sign is flipped: the gradient points uphill, towards larger loss; use (Φw − y), not (y − Φw)."),
                (-data_term + (expected - data_term),
                 "the data term has the wrong sign: the residual is prediction minus target, Φw − y."),
            ]
            answer.fail(expected, diagnose(got, mistakes, hint))
        harness.passed(len(cases))


def check_soft_threshold(soft_threshold_fn: Callable[[NDArray, float], NDArray]) -> None:
    """``soft_threshold(w, t)`` must return sign(w)·max(|w| − t, 0), element-wise."""
    hint = (
        "Every entry moves t closer to 0 and stops at 0: entries with |w| <= t become exactly 0, "
        "the others keep their sign and lose t in size. In NumPy: `np.sign(w) * np.maximum(np.abs(w) - t, 0)`."
    )
    w = np.array([-2.0, -0.5, -0.1, 0.0, 0.05, 0.3, 1.5])
    cases = [(w, 0.3), (w, 0.0), (w, 5.0), (np.random.default_rng(4).normal(size=(3, 4)), 0.7)]
    with Harness(soft_threshold_fn, hint) as harness:
        for values, t in cases:
            answer = harness.call(values, t)
            expected = soft_threshold(values, t)
            got = answer.array(expected)
            if close(got, expected) and np.all(got[expected == 0] == 0):
                continue
            mistakes = [
                (values * (np.abs(values) > t),
                 "this is *hard* thresholding: small entries become 0, but the survivors must also shrink "
                 "by t (sign(w)·(|w| − t)). Without the shrink the function jumps at ±t."),
                (np.maximum(np.abs(values) - t, 0.0),
                 "negative weights came back positive: multiply by sign(w) to keep each entry's sign."),
                (values - t, "every entry moved down by t; it must move *towards 0* (negative ones up) and stop at 0."),
                (values - np.sign(values) * t, "the shrink is right, but entries with |w| < t crossed 0 instead of stopping at 0: take max(|w| − t, 0)."),
                (np.clip(values, -t, t), "clipping caps |w| at t; soft-thresholding instead removes t from |w|, and 0 is where it stops."),
            ]
            answer.fail(expected, diagnose(got, mistakes, hint))
        harness.passed(len(cases))


def check_dropout_forward(dropout_forward: Callable[[NDArray, float, np.random.Generator], NDArray]) -> None:
    """``dropout_forward(x, p, rng)``: inverted dropout in training mode.

    Draws u = rng.random(x.shape), keeps the entries where u >= p, and scales the kept ones by
    1/(1 − p); checked statistically and, with a fixed seed, against ``numpy_nn.Dropout``.
    """
    hint = (
        "Draw one uniform number per entry, `u = rng.random(x.shape)`, keep the entry where "
        "`u >= p` (so it survives with probability 1 − p), and scale survivors by 1/(1 − p): "
        "`x * (u >= p) / (1 - p)`. The scaling keeps the mean of every unit what it was."
    )
    with Harness(dropout_forward, hint) as harness:
        # 1. Statistics on many units: what fraction is dropped, and is the mean kept?
        x, p = np.ones((200, 500)), 0.3
        args = (x, p, np.random.default_rng(1))
        answer = harness.call(*args)
        got = answer.array(x, lead="Return one value per entry of x.")
        dropped, mean = float(np.mean(got == 0)), float(np.mean(got))
        if abs(dropped - p) > 0.01:
            why = ("about 70 % of the entries were dropped: p is the probability of *dropping* a unit, so "
                   "keep where u >= p." if abs(dropped - (1 - p)) < 0.01 else
                   f"{dropped:.1%} of the entries were 0, but each should be dropped with probability p = {p}.")
            harness.fail(args, f"{dropped:.1%} of entries set to 0", f"about {p:.0%}", why + " " + hint)
        if abs(mean - 1.0) > 0.01:
            why = ("the survivors are not scaled: with 30 % dropped the mean falls to 0.7. Divide the kept "
                   "values by 1 − p, so that the expected output equals x and nothing needs changing at test time."
                   if abs(mean - (1 - p)) < 0.01 else
                   "the survivors are scaled wrongly: multiplying by (1 − p) shrinks them further; *divide* by (1 − p)."
                   if abs(mean - (1 - p) ** 2) < 0.01 else
                   "the mean output should equal the mean input (1.0 here): scale the kept values by exactly 1/(1 − p).")
            harness.fail(args, f"an output with mean {mean:.3f}", "mean 1.000 (the input's mean)", why + " " + hint)
        # 2. Exact values with a fixed seed, against the course's Dropout layer; p = 0 keeps everything.
        x = np.arange(1.0, 25.0).reshape(4, 6)
        for p in (0.5, 0.25, 0.0):
            answer = harness.call(x, p, np.random.default_rng(0))
            expected = Dropout(p, rng=np.random.default_rng(0)).forward(x)
            if not close(answer.array(expected), expected):
                answer.fail(expected,
                            "the statistics are right, but with the same seed the course's Dropout keeps other units. "
                            "Draw exactly one array `u = rng.random(x.shape)` and keep where `u >= p`." if p > 0 else
                            "with p = 0 nothing is dropped and 1/(1 − 0) = 1: the output must equal x. " + hint)
        harness.passed(4)
