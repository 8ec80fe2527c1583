"""Self-checks of lesson 04, Activation functions: two derivatives, He's standard deviation, dead units."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_lib.ui.checks import Harness, close
from course_lib.lessons.l04_activation_functions.deep_nets import (
    activation_and_derivative, build_network, dead_unit_mask,
)
from course_lib.numpy_nn.init import init_std
from course_lib.numpy_nn.functional import leaky_relu_backward, leaky_relu_forward

__all__ = ["check_count_dead_units", "check_he_std", "check_leaky_relu_derivative", "check_tanh_derivative"]

_POINTS = np.concatenate([np.linspace(-6.0, 6.0, 97), [-20.0, -0.5, 1e-3, 0.5, 20.0]])


def check_tanh_derivative(tanh_derivative: Callable[[np.ndarray], np.ndarray]) -> None:
    """``tanh_derivative(x)`` must return d tanh(x)/dx = 1 − tanh²(x), element-wise."""
    hint = "tanh'(x) = 1 − tanh(x)², with the square of the OUTPUT tanh(x), not of x: `1 - np.tanh(x) ** 2`."
    x = _POINTS.copy()
    expected = activation_and_derivative("tanh", x)[1]
    with Harness(tanh_derivative, hint) as harness:
        answer = harness.call(x)
        got_array = answer.array(expected, lead=f"return one number per input, an array of shape {x.shape}.")
        if not close(got_array, expected, rtol=1e-6, atol=1e-9):
            bad = int(np.argmax(np.abs(got_array - expected)))  # a nan counts as the largest
            if close(got_array, 1 - x**2, rtol=1e-5, atol=1e-8):
                why = "You computed 1 − x²: the formula squares tanh(x), the activation's output, not its input x. "
            elif close(got_array, 1 - np.tanh(x), rtol=1e-5, atol=1e-8):
                why = "You computed 1 − tanh(x): the output needs squaring. "
            elif close(got_array, np.tanh(x), rtol=1e-5, atol=1e-8):
                why = "That is tanh(x) itself, the function, not its slope. "
            else:
                why = ""
            harness.fail((x[bad],), got_array[bad], expected[bad], why + hint)
        harness.passed(len(x))


def check_leaky_relu_derivative(leaky_relu_derivative: Callable[[np.ndarray, float], np.ndarray]) -> None:
    """``leaky_relu_derivative(x, negative_slope)``: 1 where x > 0, ``negative_slope`` where x < 0.

    At the kink x = 0 either value is accepted (torch uses ``negative_slope``).
    """
    hint = (
        "The slope is 1 where x > 0 and negative_slope where x < 0 (a number, not negative_slope · x): "
        "`np.where(x > 0, 1.0, negative_slope)`."
    )
    x = np.concatenate([_POINTS, [0.0]])
    cases = [(x, 0.01), (x, 0.2), (x, 0.0)]
    with Harness(leaky_relu_derivative, hint) as harness:
        for points, slope in cases:
            y, cache = leaky_relu_forward(points, negative_slope=slope)
            expected = leaky_relu_backward(np.ones_like(points), cache)
            answer = harness.call(points, slope)
            got_array = answer.array(expected, lead=f"return one slope per input, an array of shape {points.shape}.")
            away = points != 0
            kink_ok = np.isin(got_array[~away], [1.0, slope]).all()
            if not (close(got_array[away], expected[away], rtol=1e-5, atol=1e-8) and kink_ok):
                wrong = ~np.isclose(got_array, expected) & (away | ~kink_ok)
                i = int(np.argmax(wrong))
                if close(got_array[away], y[away], rtol=1e-5, atol=1e-8):
                    why = "You returned the function itself, LeakyReLU(x), not its slope. "
                elif close(got_array[away], np.where(points > 0, 1.0, slope * points)[away], rtol=1e-5, atol=1e-8):
                    why = "On the negative side the slope is the constant negative_slope, not negative_slope · x. "
                elif slope > 0 and close(got_array[away], (points > 0)[away].astype(float), rtol=1e-5, atol=1e-8):
                    why = "That is ReLU's derivative: the leak gives a slope of negative_slope, not 0, for x < 0. "
                elif close(got_array[away], np.ones(int(away.sum())), rtol=1e-5, atol=1e-8):
                    why = "The slope for x < 0 is negative_slope, not 1. "
                else:
                    why = ""
                harness.fail((points[i], slope), got_array[i], expected[i], why + hint)
        harness.passed(len(cases))


def check_he_std(he_std: Callable[[int], float]) -> None:
    """``he_std(fan_in)``: the standard deviation He et al. (2015) give a weight before a ReLU."""
    hint = (
        "He et al. choose Var(w) = 2 / n_in so that Var(z) stays the same after ReLU halves it; the "
        "standard deviation is the square root of the variance: `np.sqrt(2 / fan_in)`."
    )
    cases = [64, 128, 784, 4096, 2, 1]
    with Harness(he_std, hint) as harness:
        for fan_in in cases:
            expected = init_std("kaiming_normal", fan_in, 1)
            answer = harness.call(fan_in)
            value = answer.number(expected, lead="return one number.")
            if not np.isclose(value, expected, rtol=1e-6):
                if np.isclose(value, 2 / fan_in):
                    why = "That is the variance 2 / n_in; a standard deviation is its square root. "
                elif np.isclose(value, np.sqrt(1 / fan_in)):
                    why = ("√(1/n_in) is LeCun's choice for linear layers; ReLU zeroes half the signal, so He "
                           "doubles the variance. ")
                elif np.isclose(value, 2 / np.sqrt(fan_in)):
                    why = "The 2 goes inside the square root: σ = √(2 / n_in), not 2 / √n_in. "
                else:
                    why = ""
                harness.fail((fan_in,), value, expected, why + hint)
        harness.passed(len(cases))


def check_count_dead_units(count_dead_units: Callable[[np.ndarray], int]) -> None:
    """``count_dead_units(h)``: how many columns (units) of h are 0 for every row (sample)."""
    hint = (
        "A unit is a column of h, shape (samples, units); it is dead when the whole column is 0: "
        "`(h == 0).all(axis=0)` marks them, and `int(...sum())` counts them."
    )
    small = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 3.0, 0.0, 0.0]])
    rng = np.random.default_rng(0)
    biases = np.linspace(2.0, -14.0, 30)  # the more negative a unit's bias, the likelier it is dead
    one_layer = np.maximum(rng.standard_normal((40, 20)) @ rng.standard_normal((20, 30)) + biases, 0.0)
    cases = [small, np.maximum(small - 1.0, 0.0), np.ones((5, 3)), one_layer, _deep_relu_outputs()]
    with Harness(count_dead_units, hint) as harness:
        for h in cases:
            expected = int(dead_unit_mask(h).sum())
            answer = harness.call(h)
            got = answer.count(expected, lead="return a whole number (a count), e.g. with int(...).")
            if got != expected:
                if got == int((h == 0).sum()):
                    why = "You counted zero entries; count units (columns) whose every entry is 0. "
                elif got == int((h == 0).any(axis=0).sum()):
                    why = "You counted units that are 0 for at least one sample; a dead unit is 0 for all of them. "
                elif got == int((h == 0).all(axis=1).sum()):
                    why = "You counted rows (samples); the units are the columns. "
                else:
                    why = ""
                answer.fail(expected, why + hint)
        harness.passed(len(cases))


def _deep_relu_outputs() -> np.ndarray:
    """The last layer's ReLU outputs of a deep He-initialised network: some of its units are dead."""
    rng = np.random.default_rng(4)
    model = build_network([16] * 9, activation="relu", init="kaiming_normal", activate_last=True, rng=rng)
    return model(rng.standard_normal((64, 16)))
