"""Self-checks of lesson 10, when training goes wrong: the learner's update/weight ratio, first-NaN
locator and layer norm backward, and the clinic's diagnoses."""

from __future__ import annotations



# =============================================================================================
# Sanity checks, the dashboard and the NaN triage (checks of the update/weight ratio and the
# first-NaN locator). Section owned by the dashboard work.
# =============================================================================================


# =============================================================================================
# The clinic: grading a diagnosis of a broken run, and its fix.
# Section owned by the clinic work.
# =============================================================================================


# =============================================================================================
# Depth: the learner's layer norm backward, graded by gradient checks.
# Section owned by the depth work.
# =============================================================================================

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from course_lib.lessons.l10_when_training_goes_wrong.depth import (
    RATIO_OPTIONS, first_layer_norms, layer_norm_forward, ratio_words, standard_batch)
from course_lib.numpy_nn.gradcheck import numerical_gradient_array, rel_error
from course_lib.numpy_nn.normalization import LayerNorm
from course_lib.ui.checks import Harness, Hints, close
from course_lib.ui.predictions import Prediction

LAYER_NORM_HINTS = Hints(
    task="Return the gradients of layer norm's input x, of γ and of β, in that order, for y = γ ⊙ x̂ + β with "
         "x̂ = (x − μ)/√(σ² + ε) over each row's features, given the upstream gradient dy and the cache, which holds "
         "the forward pass's input x, its γ and its ε, in that order.",
    idea="μ and σ² are computed from every feature of the row, so nudging one xⱼ moves the whole row's x̂ three ways: "
         "directly, through the mean and through the variance. The chain rule adds the three paths; γ and β act "
         "per feature, so their gradients gather the examples (the rows). Everything layer norm averages runs "
         "along the row, never down the batch.",
    formula="With σ = √(σ² + ε) (σ² biased, over the D features of a row) and dx̂ = dy ⊙ γ: "
            "dx = (dx̂ − mean_row(dx̂) − x̂ ⊙ mean_row(dx̂ ⊙ x̂)) / σ; dγ = Σ_rows dy ⊙ x̂; dβ = Σ_rows dy.",
    code="Recompute `mu = x.mean(axis=1, keepdims=True)`, `sigma = np.sqrt(x.var(axis=1, keepdims=True) + eps)` and "
         "`x_hat = (x - mu) / sigma`; then `dx_hat = dy * gamma` and the formula with `.mean(axis=1, keepdims=True)`; "
         "`dgamma = (dy * x_hat).sum(axis=0)`, `dbeta = dy.sum(axis=0)`.",
)

# A correct float64 backward agrees with central differences to about 1e-9; the smallest named mistake is far off.
LAYER_NORM_TOLERANCE = 1e-6


def layer_norm_mistakes(dy: NDArray, x: NDArray, gamma: NDArray, eps: float) -> dict[str, tuple[str, tuple]]:
    """The typical wrong backward passes of layer norm, ``{what went wrong: (why, (dx, dgamma, dbeta))}``."""

    def rows(axis: int = 1, ddof: int = 0, scale: bool = True, mean_term: bool = True, var_term: bool = True):
        mu = x.mean(axis=axis, keepdims=True)
        sigma = np.sqrt(x.var(axis=axis, ddof=ddof, keepdims=True) + eps)
        x_hat = (x - mu) / sigma
        dx_hat = dy * gamma if scale else dy
        dx = dx_hat - (dx_hat.mean(axis=axis, keepdims=True) if mean_term else 0)
        dx = dx - (x_hat * (dx_hat * x_hat).mean(axis=axis, keepdims=True) if var_term else 0)
        return dx / sigma, (dy * x_hat).sum(axis=0), dy.sum(axis=0)

    right = rows()
    x_hat = (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    return {
        "variance path": ("The path through the variance is missing: σ² depends on every x of the row too, and "
                          "moving xⱼ changes how much the whole row is stretched, a term proportional to x̂.",
                          rows(var_term=False)),
        "mean path": ("The path through the mean is missing: μ depends on every x of the row, so moving xⱼ shifts "
                      "the whole row's x̂, a term that is the same for every feature of the row.",
                      rows(mean_term=False)),
        "both paths": ("μ and σ² are treated as constants: both paths through them are missing. They are computed "
                       "from the very x you differentiate, so the chain rule must go through them.",
                       rows(mean_term=False, var_term=False)),
        "gamma": ("γ is forgotten in dx: y = γ ⊙ x̂ + β, so the gradient arriving at x̂ is dy scaled by γ, "
                  "feature by feature, before it goes back through the normalisation.", rows(scale=False)),
        "unbiased": ("This is the unbiased variance (dividing by D − 1): layer norm's σ² is the plain mean of the "
                     "squared deviations over the D features, dividing by D, as in its forward.", rows(ddof=1)),
        "batch axis": ("These are batch norm's statistics: the means run down the batch (over the examples). Layer "
                       "norm normalises each example over its own features, so every mean runs along a row.",
                       rows(axis=0)),
        "sign": ("The sign is flipped: backpropagation passes the gradient on as it is; the minus sign belongs to "
                 "the descent step, not to the gradient.", tuple(-part for part in right)),
        "gamma mean": ("dγ and dβ average the examples; they add up: every example's loss depends on the same γ and "
                       "β, and the mean of the loss is already in dy.", (right[0], right[1] / len(x), right[2] / len(x))),
        "gamma axis": ("dγ and dβ are summed over the wrong axis: γ and β have one value per feature, so their "
                       "gradients gather the rows (the examples), one number per feature.",
                       (right[0], (dy * x_hat).sum(axis=1), dy.sum(axis=1))),
    }


def layer_norm_answer_key(dy: NDArray, x: NDArray, gamma: NDArray, eps: float) -> tuple[NDArray, NDArray, NDArray]:
    """``(dx, dγ, dβ)`` from ``numpy_nn.normalization.LayerNorm``'s backward, the reference's own rule."""
    layer = LayerNorm(x.shape[1], eps=eps)
    layer.weight.data[:] = gamma
    layer(x)
    return layer.backward(dy), layer.weight.grad, layer.bias.grad


def check_layer_norm_backward(layer_norm_backward: Callable[[NDArray, tuple], tuple]) -> None:
    """``layer_norm_backward(dy, cache)``, cache = (x, gamma, eps), must return ``(dx, dγ, dβ)``: graded by
    gradient checking in float64 (``numpy_nn.gradcheck``) on small batches and by ``LayerNorm``'s backward on a
    bigger one, with the typical mistakes named."""
    rng = np.random.default_rng(10)
    # N ≠ D, so a sum over the wrong axis has the wrong shape; the last, bigger case is graded by the answer key.
    shapes = [(4, 5), (6, 3), (3, 8), (16, 32)]
    with Harness(layer_norm_backward, LAYER_NORM_HINTS) as harness:
        for n, d in shapes:
            x = rng.normal(1.0, 2.0, size=(n, d))
            gamma, beta, eps = rng.uniform(0.5, 2.0, size=d), rng.normal(size=d), 1e-5
            dy = rng.standard_normal((n, d))

            def output() -> NDArray:
                return layer_norm_forward(x, gamma, beta, eps)[0]

            if n * d <= 30:
                expected_parts = [numerical_gradient_array(output, v, dy) for v in (x, gamma, beta)]
                against = "central differences (a correct rule gives about 1e-9)"
            else:
                expected_parts = layer_norm_answer_key(dy, x, gamma, eps)
                against = "numpy_nn's LayerNorm.backward (a correct rule gives about 1e-12)"
            mistakes = layer_norm_mistakes(dy, x, gamma, eps)
            answer = harness.call(dy, (x, gamma, eps))
            parts = answer.parts("dx", "dγ", "dβ", lead="Return three arrays, the gradients of x, γ and β, in that order.")
            for i, (part, expected) in enumerate(zip(parts, expected_parts)):
                wrong_axis = i > 0 and np.shape(part.got) == (n,)
                lead = (mistakes["gamma axis"][0] if wrong_axis else
                        f"{part.part} has the shape of what it is the gradient of, {expected.shape}.")
                got = part.array(expected, lead=lead)
                error = rel_error(got, expected)
                if error < LAYER_NORM_TOLERANCE:
                    continue
                why = next((why for why, wrong in mistakes.values() if close(got, wrong[i], rtol=1e-6, atol=1e-9)), "")
                part.fail(expected, why=f"The check of {part.part} found a relative error of {error:.1e} against "
                                        f"{against}. {why}")
        harness.passed(len(shapes))


def depth50_ratio(kind: str) -> str:
    """In words, ‖∂L/∂W₁‖ of a 50-layer network of ``kind`` against a 2-layer one (medians over 3 seeds)."""
    at_2, at_50 = first_layer_norms([kind], (2, 50), *standard_batch())[kind]
    return ratio_words(at_50 / at_2)


# The two predictions before the depth figure: the first layer's gradient at depth 50 against depth 2.
choose_plain_depth50 = Prediction(
    "how the first layer's gradient norm in a 50-layer plain network (Linear's default init) compares with a "
    "2-layer one; one of the options", truth=lambda: depth50_ratio("plain, default init"), options=RATIO_OPTIONS,
)
choose_batch_norm_depth50 = Prediction(
    "how the first layer's gradient norm in a 50-layer network with batch norm after every Linear (He init) "
    "compares with a 2-layer one; one of the options", truth=lambda: depth50_ratio("batch norm"),
    options=RATIO_OPTIONS,
)
