"""Self-checks of lesson 09, hyperparameter exploration: the log-uniform sampler of random search,
reading the learning-rate range test, and the effective step size of momentum."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from course_lib.ui.checks import Harness, Hints, diagnose
from course_lib.lessons.l09_hyperparameter_exploration.tuning import effective_lr, smooth_losses, suggest_lr

__all__ = ["check_effective_lr", "check_log_uniform", "check_suggest_lr"]


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
