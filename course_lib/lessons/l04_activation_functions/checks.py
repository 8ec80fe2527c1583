"""Self-checks and predictions of lesson 04, Activation functions.

The checks, in the notebook's order: the per-layer statistics loop, the weight scale that keeps a
deep ReLU network's signal steady (He's standard deviation), two derivatives, and dead units.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_lib.ui.checks import Harness, Hints, close
from course_lib.ui.predictions import Prediction
from course_lib.lessons.l04_activation_functions.deep_nets import (
    activation_and_derivative, build_network, dead_unit_mask, forward_stats, layer_statistics,
)
from course_lib.numpy_nn.init import init_std
from course_lib.numpy_nn.functional import leaky_relu_backward, leaky_relu_forward

__all__ = [
    "check_count_dead_units", "check_steady_scale", "check_layer_stats", "check_leaky_relu_derivative",
    "check_tanh_derivative", "choose_relu_lecun_trend", "predict_relu_lecun_factor",
]

_POINTS = np.concatenate([np.linspace(-6.0, 6.0, 97), [-20.0, -0.5, 1e-3, 0.5, 20.0]])


# ---- the per-layer statistics loop -----------------------------------------------------------------

LAYER_STATS_HINTS = Hints(
    task="Write `layer_stats(x, weights, activation)`, which sends the batch x through the layers one at a "
         "time and returns two arrays: the mean and the std of every layer's activations.",
    idea="Layer l takes the previous layer's output (the input batch, for layer 1), multiplies it by its "
         "weight matrix and applies the activation function; that output h_l is what you measure, and it is "
         "what the next layer takes. Each layer gives one mean and one std, over all of its numbers.",
    formula="z_l = h_{l−1} W_lᵀ and h_l = f(z_l) for l = 1, …, L, with h_0 = x; "
            "means[l−1] = mean of h_l, stds[l−1] = std of h_l, both over every sample and unit.",
    code="`h = x`, then for each `W` in `weights`: `h = activation(h @ W.T)` and append `h.mean()` and "
         "`h.std()` to two lists; return them as two NumPy arrays.",
)


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {"relu": _relu, "tanh": np.tanh, "sigmoid": _sigmoid}


def _layer_stats_cases() -> list[tuple[np.ndarray, list[np.ndarray], str]]:
    """(x, weights, activation) for four networks: ReLU with He and with LeCun's scale, tanh, sigmoid."""
    rng = np.random.default_rng(40)
    cases = []
    for sizes, name, gain in [([10, 20, 20, 20, 20, 20, 20], "relu", 2.0), ([16] * 9, "relu", 1.0),
                              ([12, 24, 24, 24, 24], "tanh", 1.0), ([8, 16, 16, 16], "sigmoid", 16.0)]:
        x = rng.standard_normal((40, sizes[0]))
        weights = [rng.standard_normal((n_out, n_in)) * np.sqrt(gain / n_in) for n_in, n_out in zip(sizes, sizes[1:])]
        cases.append((x, weights, name))
    return cases


def _layer_stats_mistakes(x: np.ndarray, weights: list[np.ndarray], name: str) -> list[tuple[tuple, str]]:
    """What the typical mistakes return on one network, each with the sentence that names it."""
    f = _FUNCTIONS[name]
    pre, post, linear, unit_std = [x], [x], [x], []
    h, g = x, x
    for W in weights:
        pre.append(h @ W.T)
        h = f(pre[-1])
        post.append(h)
        g = g @ W.T
        linear.append(g)
        unit_std.append(h.std(axis=0).mean())
    stats = lambda arrays: (np.array([a.mean() for a in arrays]), np.array([a.std() for a in arrays]))  # noqa: E731
    means, stds = stats(post[1:])
    return [
        (stats(pre[1:]), "Those are the statistics of the pre-activations z_l, before the activation function; "
                         "the exercise asks for the activations h_l = f(z_l), after it."),
        (stats(linear[1:]), "Your numbers come from a network with no activation function at all: f must be "
                            "applied after every layer, and its output is what the next layer takes."),
        ((means, np.array(unit_std)), "That std is the average of each unit's std over the batch (one column "
                                      "at a time); the exercise asks for the std of all of layer l's numbers together."),
        ((means, stds**2), "Those are variances; the std is their square root."),
        ((stds, means), "The means and the stds are swapped: return the means first."),
        (stats(post), "The first entry is the input's: h_0 = x is not a layer's output. Return one entry per "
                      "weight matrix, layer 1 first."),
        (stats(post[:-1]), "Each entry is one layer late: you measured what goes INTO each layer, so the first "
                           "entry is the input's and the last layer's output is missing."),
        (stats(post[1:-1]), "One layer is missing: return one entry per weight matrix, the last layer's too."),
    ]


def check_layer_stats(layer_stats: Callable[..., tuple[np.ndarray, np.ndarray]]) -> None:
    """``layer_stats(x, weights, activation)``: the mean and std of h_l = f(h_{l−1} W_lᵀ) for every layer l."""
    cases = _layer_stats_cases()
    with Harness(layer_stats, LAYER_STATS_HINTS) as harness:
        for x, weights, name in cases:
            expected = forward_stats(x, weights, name)
            answer = harness.call(x, weights, _FUNCTIONS[name])
            parts = answer.parts("means", "stds", expected=expected,
                                 lead="return two arrays, the means and the stds, one entry per layer.")
            got = tuple(part.numbers(want) for part, want in zip(parts, expected))
            if all(close(a, b, rtol=1e-6, atol=1e-12) for a, b in zip(got, expected)):
                continue
            why = ""
            for wrong, sentence in _layer_stats_mistakes(x, weights, name):
                if all(close(a, b, rtol=1e-6, atol=1e-12) for a, b in zip(got, wrong)):
                    why = sentence
                    break
            if not why and any(a.shape != b.shape for a, b in zip(got, expected)):
                why = f"Return one mean and one std per layer: {len(weights)} of each for these {len(weights)} layers."
            harness.fail((x, weights, _FUNCTIONS[name]), answer.got, expected, why=why)
        harness.passed(len(cases))


# ---- the weight scale that keeps a deep ReLU network steady (He's standard deviation) -----------------

HE_STD_HINTS = Hints(
    task="Write `steady_scale(fan_in)`, which returns the standard deviation of the weights of a layer with "
         "fan_in inputs, followed by a ReLU, that keeps the activations' scale the same from layer to layer.",
    idea="A layer multiplies the mean square of its signal by n_in · Var(w), and a ReLU keeps only half of it "
         "(the positive half of a symmetric z). Choose Var(w) so that the two together multiply by exactly 1, "
         "then remember that a standard deviation is the square root of a variance.",
    formula="n_in · Var(w) · ½ = 1, so Var(w) = 2 / n_in and σ_w = √(2 / n_in).",
    code="`np.sqrt(2 / fan_in)`",
)


def check_steady_scale(steady_scale: Callable[[int], float]) -> None:
    """``steady_scale(fan_in)``: σ_w = √(2 / n_in), the standard deviation He et al. (2015) give a weight before a ReLU."""
    cases = [64, 128, 784, 4096, 2, 1]
    with Harness(steady_scale, HE_STD_HINTS) as harness:
        for fan_in in cases:
            expected = init_std("kaiming_normal", fan_in, 1)
            value = harness.call(fan_in).number(expected, lead="return one number.")
            if np.isclose(value, expected, rtol=1e-6):
                continue
            other = 3 * fan_in
            if np.isfinite(value) and np.isclose(harness.call(other).number(), value):
                why = (f"Your answer is the same for {fan_in} and {other} inputs; the more inputs a layer sums, "
                       "the smaller each weight must be.")
            elif np.isclose(value, 2 / fan_in):
                why = "That is the variance 2 / n_in; a standard deviation is its square root."
            elif np.isclose(value, np.sqrt(1 / fan_in)):
                why = ("√(1 / n_in) is LeCun's and Xavier's scale for a layer that keeps the whole signal; a ReLU "
                       "zeroes half of it, so that scale lets the signal shrink at every layer.")
            elif np.isclose(value, 2 / np.sqrt(fan_in)):
                why = "The 2 belongs inside the square root: σ_w = √(2 / n_in), not 2 / √n_in."
            elif np.isclose(value * np.sqrt(fan_in), np.sqrt(2), rtol=0.05):
                why = (f"Close: your σ_w is c / √n_in with c ≈ {value * np.sqrt(fan_in):.3f}, read off a search. "
                       "The variance rule gives c exactly.")
            else:
                why = ""
            harness.fail((fan_in,), value, expected, why=why)
        harness.passed(len(cases))


# ---- two derivatives and dead units ------------------------------------------------------------------

TANH_HINTS = Hints(
    task="Write `tanh_derivative(x)`, which returns the slope of tanh at every point of the array x.",
    idea="The slope of tanh at x is 1 minus the square of tanh's OUTPUT at x (not of x itself): largest, 1, at "
         "x = 0, and close to 0 where tanh is flat (saturated).",
    formula="tanh′(x) = 1 − tanh²(x).",
    code="`1 - np.tanh(x) ** 2`",
)


def check_tanh_derivative(tanh_derivative: Callable[[np.ndarray], np.ndarray]) -> None:
    """``tanh_derivative(x)`` must return d tanh(x)/dx = 1 − tanh²(x), element-wise."""
    x = _POINTS.copy()
    expected = activation_and_derivative("tanh", x)[1]
    with Harness(tanh_derivative, TANH_HINTS) as harness:
        answer = harness.call(x)
        got_array = answer.array(expected, lead=f"return one number per input, an array of shape {x.shape}.")
        if not close(got_array, expected, rtol=1e-6, atol=1e-9):
            bad = int(np.argmax(np.abs(got_array - expected)))  # a nan counts as the largest
            if close(got_array, 1 - x**2, rtol=1e-5, atol=1e-8):
                why = "You computed 1 − x²: the formula squares tanh(x), the activation's output, not its input x."
            elif close(got_array, 1 - np.tanh(x), rtol=1e-5, atol=1e-8):
                why = "You computed 1 − tanh(x): the output needs squaring."
            elif close(got_array, np.tanh(x), rtol=1e-5, atol=1e-8):
                why = "That is tanh(x) itself, the function, not its slope."
            else:
                why = ""
            harness.fail((x[bad],), got_array[bad], expected[bad], why=why)
        harness.passed(len(x))


LEAKY_HINTS = Hints(
    task="Write `leaky_relu_derivative(x, negative_slope)`, which returns the slope of leaky ReLU at every point "
         "of the array x.",
    idea="Leaky ReLU is two straight lines: slope 1 for positive inputs, and the small constant slope "
         "negative_slope for negative ones. The slope is a number per point, not the function's value.",
    formula="f′(x) = 1 if x > 0, and f′(x) = a (negative_slope) if x < 0; at x = 0 either is accepted.",
    code="`np.where(x > 0, 1.0, negative_slope)`",
)


def check_leaky_relu_derivative(leaky_relu_derivative: Callable[[np.ndarray, float], np.ndarray]) -> None:
    """``leaky_relu_derivative(x, negative_slope)``: 1 where x > 0, ``negative_slope`` where x < 0.

    At the kink x = 0 either value is accepted (torch uses ``negative_slope``).
    """
    x = np.concatenate([_POINTS, [0.0]])
    cases = [(x, 0.01), (x, 0.2), (x, 0.0)]
    with Harness(leaky_relu_derivative, LEAKY_HINTS) as harness:
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
                    why = "You returned the function itself, LeakyReLU(x), not its slope."
                elif close(got_array[away], np.where(points > 0, 1.0, slope * points)[away], rtol=1e-5, atol=1e-8):
                    why = "On the negative side the slope is the constant negative_slope, not negative_slope · x."
                elif slope > 0 and close(got_array[away], (points > 0)[away].astype(float), rtol=1e-5, atol=1e-8):
                    why = "That is ReLU's derivative: the leak gives a slope of negative_slope, not 0, for x < 0."
                elif close(got_array[away], np.ones(int(away.sum())), rtol=1e-5, atol=1e-8):
                    why = "The slope for x < 0 is negative_slope, not 1."
                else:
                    why = ""
                harness.fail((points[i], slope), got_array[i], expected[i], why=why)
        harness.passed(len(cases))


DEAD_HINTS = Hints(
    task="Write `count_dead_units(h)`, which returns how many units of one layer are dead on the batch h, "
         "shaped (samples, units), as a whole number.",
    idea="A unit is one column of h. It is dead when it outputs 0 for every sample of the batch, so count the "
         "columns that hold nothing but zeros.",
    formula="dead units = #{ j : h[i, j] = 0 for every sample i }.",
    code="`(h == 0).all(axis=0)` marks the dead columns; `int(....sum())` counts them.",
)


def check_count_dead_units(count_dead_units: Callable[[np.ndarray], int]) -> None:
    """``count_dead_units(h)``: how many columns (units) of h are 0 for every row (sample)."""
    small = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 3.0, 0.0, 0.0]])
    rng = np.random.default_rng(0)
    biases = np.linspace(2.0, -14.0, 30)  # the more negative a unit's bias, the likelier it is dead
    one_layer = np.maximum(rng.standard_normal((40, 20)) @ rng.standard_normal((20, 30)) + biases, 0.0)
    cases = [small, np.maximum(small - 1.0, 0.0), np.ones((5, 3)), one_layer, _deep_relu_outputs()]
    with Harness(count_dead_units, DEAD_HINTS) as harness:
        for h in cases:
            expected = int(dead_unit_mask(h).sum())
            answer = harness.call(h)
            got = answer.count(expected, lead="return a whole number (a count), e.g. with int(...).")
            if got != expected:
                if got == int((h == 0).sum()):
                    why = "You counted zero entries; count units (columns) whose every entry is 0."
                elif got == int((h == 0).any(axis=0).sum()):
                    why = "You counted units that are 0 for at least one sample; a dead unit is 0 for all of them."
                elif got == int((h == 0).all(axis=1).sum()):
                    why = "You counted rows (samples); the units are the columns."
                else:
                    why = ""
                answer.fail(expected, why=why)
        harness.passed(len(cases))


def _deep_relu_outputs() -> np.ndarray:
    """The last layer's ReLU outputs of a deep He-initialised network: some of its units are dead."""
    rng = np.random.default_rng(4)
    model = build_network([16] * 9, activation="relu", init="kaiming_normal", activate_last=True, rng=rng)
    return model(rng.standard_normal((64, 16)))


# ---- predictions -------------------------------------------------------------------------------------


def _relu_lecun_ratio() -> float:
    """Layer 10's activation std over layer 1's, for ReLU layers of 128 units with σ_w = 1/√n_in."""
    stats = layer_statistics(10, 128, activation="relu", init="xavier_normal", rng=np.random.default_rng(0))
    return float(stats.act_std[-1] / stats.act_std[0])


def _trend(ratio: float) -> str:
    return "shrinks" if ratio < 0.5 else "grows" if ratio > 2 else "stays"


choose_relu_lecun_trend = Prediction(
    "what the activations' std does over ten ReLU layers with σ_w = 1/√n_in",
    truth=lambda: _trend(_relu_lecun_ratio()), options=("shrinks", "stays", "grows"),
)
predict_relu_lecun_factor = Prediction(
    "the factor by which one such ReLU layer multiplies the activations' std",
    truth=lambda: _relu_lecun_ratio() ** (1 / 9), rtol=0.1,
)
