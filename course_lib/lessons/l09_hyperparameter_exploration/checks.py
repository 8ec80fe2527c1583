"""Self-checks of lesson 09, hyperparameter exploration: the log-uniform sampler of random search,
the loop of the learning-rate range test and how to read it, and the effective step size of momentum."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from course_lib.ui.checks import Harness, Hints, diagnose
from course_lib.ui.predictions import Prediction
from course_lib.lessons.l09_hyperparameter_exploration.tuning import (
    DEFAULT_HYPERPARAMETERS, build_trial_model, effective_lr, load_subset, lr_range_test, range_test_loop,
    smooth_losses, suggest_lr, train_trial)

__all__ = ["check_effective_lr", "check_log_uniform", "check_lr_range_test", "check_suggest_lr", "predict_best_candidate",
           "toy_train_step", "CANDIDATES", "candidate_runs"]


def check_log_uniform(log_uniform: Callable[[float, float, int, np.random.Generator], NDArray]) -> None:
    """``log_uniform(low, high, size, rng)`` must return ``size`` draws spread evenly over the orders
    of magnitude between ``low`` and ``high``, drawn with ``rng``."""
    hints = Hints(
        task="Return size random values between low and high, drawn with rng, spread evenly over the orders of "
             "magnitude: as many in each decade.",
        idea="To spread draws evenly over orders of magnitude, draw uniformly on a log scale: draw the exponent "
             "uniformly, not the value, then turn it back into a value. Draw with the generator you are given, so "
             "that the search repeats from its seed.",
        formula="u uniform between ln(low) and ln(high), and the value is eᵘ.",
        code="`u = rng.uniform(np.log(low), np.log(high), size=size)`, then return `np.exp(u)`.",
    )
    with Harness(log_uniform, hints) as harness:
        for low, high in ((1e-4, 1.0), (1e-6, 1e-2), (0.5, 8.0)):
            args = (low, high, 20_000, np.random.default_rng(11))
            answer = harness.call(*args)
            answer.numbers(lead="return one value per draw, an array of shape (size,).")
            values = answer.array(None, shape=(20_000,), lead=f"return one value per draw, an array of shape (size,); "
                                                              f"got shape {np.shape(answer.got)}.")
            if not np.all((values >= low) & (values <= high)):
                outside = f"the values run from {np.nanmin(values):.3g} to {np.nanmax(values):.3g}, outside [{low:g}, {high:g}]."
                if np.all((values >= np.log(low)) & (values <= np.log(high))) or np.all((values >= np.log10(low)) & (values <= np.log10(high))):
                    outside += " These are the exponents (logarithms): turn them back into values."
                elif np.nanmax(values) > high:
                    outside += " low and high are the values themselves, not exponents: take their logarithm before drawing."
                harness.fail(args, values, f"values in [{low:g}, {high:g}]", why=outside)
            middle = np.sqrt(low * high)                 # the middle of the range on a log scale
            below = float(np.mean(values < middle))
            if abs(below - 0.5) > 0.03:
                shape = ("most draws land in the top decade: that is uniform in the value itself, not in its exponent."
                         if below < 0.3 else "the draws are not spread evenly over the decades.")
                harness.fail(args, f"{below:.1%} of the draws below √(low·high) = {middle:.3g}",
                             "50 % below √(low·high), the middle of the range on a log scale", why=shape)
            again = harness.call(low, high, 20_000, np.random.default_rng(11)).array(None, shape=(20_000,))
            if not np.array_equal(values, again):
                harness.fail(args, "different draws for the same seed", "the same draws for the same seed",
                             why="draw with the generator you are given (rng), not with np.random: the search "
                                 "must be reproducible from its seed.")
        harness.passed(3)


def check_suggest_lr(suggest_lr_fn: Callable[[NDArray, NDArray], float]) -> None:
    """``suggest_lr(lrs, smoothed)`` must return a tenth of the learning rate where ``smoothed`` is lowest."""
    hints = Hints(
        task="Return the rule-of-thumb learning rate of a range test: a tenth of the learning rate at which the "
             "smoothed loss is lowest.",
        idea="Where the smoothed loss is lowest, the steps are already about to make the loss rise; the rule of "
             "thumb backs off from that learning rate by a factor of ten.",
        formula="i* = the index where smoothed is smallest; η = lrs[i*] / 10.",
        code="`i = np.argmin(smoothed)`, then return `lrs[i] / 10`.",
    )
    lrs = np.geomspace(1e-5, 10, 100)
    t = np.log10(lrs)
    falling_then_rising = 2.3 - 2.0 / (1 + np.exp(-2.5 * (t + 2.5))) + 0.8 * np.exp(3 * (t + 0.5))
    noisy = smooth_losses(falling_then_rising[:80] + np.random.default_rng(2).normal(0, 0.05, 80))
    cases = [
        (np.array([1e-4, 1e-3, 1e-2, 1e-1, 1.0]), np.array([3.0, 2.0, 0.9, 0.5, 2.5])),
        (lrs[:85], falling_then_rising[:85]),
        (lrs[:80], noisy),
        (np.array([1e-3, 1e-2, 1e-1]), np.array([2.0, 1.5, 1.1])),     # stopped before the loss rose again
    ]
    with Harness(suggest_lr_fn, hints) as harness:
        for x, smoothed in cases:
            answer = harness.call(x, smoothed)
            expected = suggest_lr(x, smoothed)
            value = answer.number(expected, lead="return one number, a learning rate.")
            if np.isclose(value, expected, rtol=1e-6, atol=0):
                continue
            i = int(np.argmin(smoothed))
            mistakes = [
                (x[i], "that is the learning rate at the minimum itself; there the loss is about to blow up. Take a tenth of it."),
                (10 * x[i], "that is ten times the learning rate at the minimum, deep in the region where the loss rises; "
                            "divide by 10 instead."),
                (float(i), "that is the position of the minimum in the array; return the learning rate at that position, "
                           "divided by 10."),
                (i / 10, "that is the position of the minimum divided by 10; read the learning rate at that position first."),
                (x[int(np.argmax(smoothed))] / 10, "that is near the *highest* loss (argmax); look for the lowest one (argmin)."),
                (float(smoothed[i]) / 10, "that is a tenth of the lowest *loss*; return a learning rate, from lrs."),
            ]
            answer.fail(expected, why=diagnose(value, mistakes, "", rtol=1e-6, atol=0))
        harness.passed(len(cases))


def toy_train_step(seed: int = 0, batch_size: int = 10) -> Callable[[float], float]:
    """A fresh small model for the range test: linear least squares on 5 seeded features, trained by
    mini-batch gradient descent. ``step(lr)`` takes one step on the next mini-batch and returns its
    loss (measured before the step). Every call makes a new model, at the same start."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(100, 5)) * np.array([3.0, 1.0, 0.5, 0.3, 0.1])
    y = X @ rng.normal(size=5) + rng.normal(0, 0.1, 100)
    w, t = np.zeros(5), [0]

    def step(lr: float) -> float:
        rows = slice(t[0] % 10 * batch_size, t[0] % 10 * batch_size + batch_size)
        t[0] += 1
        error = X[rows] @ w - y[rows]
        w[:] = w - lr * X[rows].T @ error / batch_size
        return float(np.mean(error**2) / 2)
    return step


def _ema(losses: NDArray, beta: float, correct: bool) -> NDArray:
    """The exponential moving average of ``losses``, with or without bias correction."""
    out, average = np.empty_like(losses), 0.0
    for t, loss in enumerate(losses, start=1):
        average = beta * average + (1 - beta) * loss
        out[t - 1] = average / (1 - beta**t) if correct else average
    return out


def check_lr_range_test(range_test: Callable[[Callable[[float], float], float, float, int], tuple]) -> None:
    """``range_test(train_step, start_lr, end_lr, num_steps)`` must return the learning rates tried and the
    smoothed losses, as :func:`range_test_loop` (the answer key) does."""
    hints = Hints(
        task="Return the learning rates tried and the smoothed losses of a learning-rate range test: one train_step "
             "per learning rate, the rates growing by a constant factor from start_lr to end_lr, stopping when "
             "the loss blows up. Number the steps t = 1, 2, … from the first one: the bias correction divides by "
             "1 − ρ^t, which is 0 at t = 0.",
        idea="The rates must cover every order of magnitude equally, so each one is the previous one times the same "
             "factor. The raw losses are noisy: keep a bias-corrected moving average with the smoothing factor ρ = 0.98, as "
             "Adam does, counting its steps t from 1 (at t = 0 the correction 1 − ρ^t would be 0). "
             "Divergence is the end of the test: stop at a loss that is not finite, or once the smoothed loss "
             "exceeds 4 times its lowest value so far.",
        formula="for t = 1 … T (T = num_steps): η_t = start_lr · (end_lr / start_lr)^((t − 1) / (T − 1)); "
                "a_t = ρ a_{t−1} + (1 − ρ) ℓ_t with a_0 = 0; smoothed_t = a_t / (1 − ρ^t), the same t, from 1; "
                "stop when smoothed_t > 4 · min(smoothed).",
        code="`np.geomspace(start_lr, end_lr, num_steps)` for the rates; in the loop `loss = train_step(lr)`, "
             "`if not np.isfinite(loss): break`, `avg = 0.98 * avg + 0.02 * loss`, append `lr` and "
             "`avg / (1 - 0.98 ** t)`, then `if smoothed[-1] > 4 * min(smoothed): break`.",
    )
    cases = ((1e-4, 10.0, 80, 0), (1e-3, 100.0, 50, 1), (1e-5, 1e-2, 30, 2))
    with Harness(range_test, hints) as harness:
        for start, end, steps, seed in cases:
            args = ("train_step", start, end, steps)
            lrs_ok, smoothed_ok = range_test_loop(toy_train_step(seed), start, end, steps)
            answer = harness.call(toy_train_step(seed), start, end, steps)
            answer.args = args
            got_lrs, got_smoothed = answer.parts("lrs", "smoothed", lead="Return two arrays: `return lrs, smoothed`.")
            lrs = got_lrs.numbers(lrs_ok, lead="lrs: one learning rate per step taken, a 1-D array.")
            smoothed = got_smoothed.numbers(smoothed_ok, lead="smoothed: one smoothed loss per step taken, a 1-D array.")
            if lrs.ndim != 1:
                got_lrs.refuse("a 1-D array, one learning rate per step taken", lrs_ok,
                               "return one learning rate per step taken, a 1-D array.")
            if smoothed.shape != lrs.shape:
                got_smoothed.refuse(f"a 1-D array as long as lrs ({len(lrs)})", smoothed_ok,
                                    "return one smoothed loss per learning rate tried, two 1-D arrays of the same length.")
            linear = np.linspace(start, end, steps)[:len(lrs)]
            schedule = start * (end / start) ** (np.arange(steps) / (steps - 1))
            if not (len(lrs) <= steps and np.allclose(lrs, schedule[:len(lrs)], rtol=1e-6, atol=0)):
                why = ("these learning rates grow by equal *differences* (linear spacing): most of them then lie in the "
                       "top decade. Make each one the previous one times a constant factor."
                       if np.allclose(lrs, linear, rtol=1e-6, atol=0) else
                       "the learning rates should start at start_lr and grow by the same factor every step, reaching "
                       "end_lr at the last of num_steps steps.")
                got_lrs.fail(lrs_ok, why=why)
            n = min(len(lrs), len(lrs_ok))        # the steps both took: the smoothing first, then the stop
            if not np.allclose(smoothed[:n], smoothed_ok[:n], rtol=1e-6, atol=1e-12):
                step = toy_train_step(seed)
                raw = np.array([step(lr) for lr in lrs_ok[:n]])
                mistakes = [
                    (raw, "these are the raw losses: average them with an exponential moving average (smoothing factor ρ = 0.98)."),
                    (_ema(raw, 0.98, correct=False), "the average starts at 0, so its first values are far too small: "
                     "divide by (1 − ρ^t), the bias correction Adam uses, with t = 1 at the first step."),
                    (_ema(raw, 0.02, correct=True), "the weights are swapped: the old average keeps the weight ρ = 0.98, "
                     "the new loss gets 1 − ρ."),
                ]
                got_smoothed.fail(smoothed_ok, why=diagnose(smoothed[:n], mistakes, "", rtol=1e-6, atol=1e-12))
            if len(lrs) != len(lrs_ok):
                if len(lrs) > len(lrs_ok):
                    why = (f"the test went on for {len(lrs)} steps, past the blow-up at step {len(lrs_ok)}: stop once "
                           "the smoothed loss exceeds 4 times its lowest value so far (or a loss is not finite); "
                           "compare with the lowest smoothed loss, not with the first one.")
                else:
                    why = (f"the test stopped after {len(lrs)} steps, before the smoothed loss reached 4 times its "
                           "lowest value so far; compare with the lowest smoothed loss, not with the first loss or "
                           "a raw one.")
                got_lrs.fail(lrs_ok, why=why)
        harness.passed(len(cases))


def check_effective_lr(effective_lr_fn: Callable[[float, float], float]) -> None:
    """``effective_lr(lr, momentum)`` must return η / (1 − β), the step momentum reaches on a constant gradient."""
    hints = Hints(
        task="Return the step size that SGD with learning rate lr and momentum β approaches when the gradient stays "
             "constant.",
        idea="With a constant gradient the velocity adds up the gradients of all past steps, each weakened by one "
             "more factor β: a geometric series, whose sum sets the long-run step.",
        formula="b → g·(1 + β + β² + …) = g / (1 − β), so the step η·b approaches η·g / (1 − β): the effective "
                "learning rate is η / (1 − β).",
        code="`lr / (1 - momentum)`.",
    )
    cases = [(0.1, 0.9), (0.05, 0.5), (0.001, 0.99), (0.01, 0.0)]
    with Harness(effective_lr_fn, hints) as harness:
        for lr, beta in cases:
            answer = harness.call(lr, beta)
            expected = effective_lr(lr, beta)
            value = answer.number(expected, lead="return one number, a step size.")
            if np.isclose(value, expected, rtol=1e-6, atol=0):
                continue
            mistakes = [
                (lr * (1 - beta), "you multiplied by (1 − β); the series 1 + β + β² + … sums to more than 1, so divide."),
                (lr / (1 + beta), "the sign is wrong: the terms of 1 + β + β² + … add up, so their sum has a minus sign where you "
                                  "wrote a plus."),
                (lr * (1 + beta), "that is the step after two updates, η·(1 + β); the steps keep growing as more terms "
                                  "of the series join."),
                (lr * beta, "β alone shrinks the step; the velocity *adds up* the gradients of all past steps."),
                (lr / (1 - beta) ** 2, "divide by (1 − β) once, not squared."),
            ]
            answer.fail(expected, why=diagnose(value, mistakes, "", rtol=1e-6, atol=0))
        harness.passed(len(cases))


#: The three learning rates section 3 trains with, in the words of the prediction.
CANDIDATES = ("a hundredth of the minimum's η", "a tenth of the minimum's η", "the minimum's η")


def candidate_runs(seed: int = 0) -> dict:
    """Section 3's check of the rule of thumb: the range test on the lesson's data, then one three-epoch run
    (with hyperparameter seed ``seed``) at each of :data:`CANDIDATES`; returns ``{candidate: Trial}``."""
    data, hp = load_subset(n_train=5000, n_val=1000, seed=0), DEFAULT_HYPERPARAMETERS
    result = lr_range_test(build_trial_model(hp), data.train, optimizer="momentum", start_lr=1e-5, end_lr=10.0,
                           num_steps=200)
    lrs = (result.suggested_lr / 10, result.suggested_lr, result.min_lr)
    return {name: train_trial(hp.replace(lr=lr, seed=seed), data) for name, lr in zip(CANDIDATES, lrs)}


def _best_candidate() -> str:
    runs = candidate_runs(0)
    return max(CANDIDATES, key=lambda name: runs[name].val_acc)


predict_best_candidate = Prediction(
    "which of the three learning rates gives the best validation accuracy after three epochs",
    truth=_best_candidate, options=CANDIDATES)
