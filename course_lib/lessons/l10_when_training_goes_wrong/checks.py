"""Self-checks of lesson 10, when training goes wrong: the learner's update/weight ratio, first-NaN
locator and layer norm backward, and the clinic's diagnoses."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from course_lib.lessons.l10_when_training_goes_wrong.clinic_cases import CASES, CAUSES, normalise_cause, wrong_cause_why
from course_lib.lessons.l10_when_training_goes_wrong.depth import (
    RATIO_OPTIONS, first_layer_norms, layer_norm_forward, ratio_words, standard_batch)
from course_lib.lessons.l10_when_training_goes_wrong.sanity import initial_losses, relative_update
from course_lib.lessons.l10_when_training_goes_wrong.triage import DIRECTIONS, locate_first_nonfinite, planted_cases
from course_lib.numpy_nn.gradcheck import numerical_gradient_array, rel_error
from course_lib.numpy_nn.normalization import LayerNorm
from course_lib.ui.checks import CheckFailed, Harness, Hints, close, describe, diagnose
from course_lib.ui.predictions import Prediction


# =============================================================================================
# Sanity checks, the dashboard and the NaN triage (checks of the update/weight ratio and the
# first-NaN locator).
# =============================================================================================

# ---- Sanity checks before training (section 1): the initial loss, the update/weight ratio. -----

# The truth is seed 0's network (2.319); seeds 1 and 2 give 2.304 and 2.305, all within 1 % of ln 10.
predict_initial_loss = Prediction(
    "the untrained network's mean cross-entropy loss on the 1 000 validation images",
    truth=lambda: float(initial_losses(seeds=(0,))[0]), rtol=0.1,
)

RATIO_TOL = {"rtol": 1e-6, "atol": 0.0}  # ratios as small as 1e-6 are compared relatively


def ratio_cases() -> list[tuple[NDArray, NDArray]]:
    """``(before, after)`` pairs of one layer's weights: moderate, large, shrinking and tiny steps, several shapes."""
    rng = np.random.default_rng(10)
    cases = []
    for shape, w_scale, step in [((3, 4), 1.0, 0.3), ((4, 6), 0.5, 1.0), ((5, 7), 1.0, None), ((64, 100), 0.1, 1e-3),
                                 ((10, 20), 0.05, 1e-6), ((1, 8), 2.0, 0.05)]:
        before = w_scale * rng.standard_normal(shape)
        if step is None:  # a step that shrinks the weights (as weight decay does), plus some noise
            after = 0.6 * before + 0.1 * rng.standard_normal(shape)
        else:
            after = before + step * w_scale * rng.standard_normal(shape)
        cases.append((before, after))
    return cases


def check_update_ratio(update_ratio: Callable[[NDArray, NDArray], float]) -> None:
    """``update_ratio(before, after)`` must return ‖after − before‖ / ‖before‖ (Frobenius norms), one float."""
    hints = Hints(
        task="Return one float: how large the step from `before` to `after` (one layer's weights before and after an "
             "optimizer step) is, relative to the size of the weights before the step, both sizes measured by the "
             "Frobenius norm.",
        idea="The update/weight ratio compares the length of the change one step made to a layer with the length of "
             "the weights it started from. A length of a whole matrix is its Frobenius norm, the square root of the "
             "sum of the squares of all its entries, so the answer is one number per layer.",
        formula="ratio = ‖ΔW‖ / ‖W‖ with ΔW = after − before, W = before, and ‖A‖ = √(Σᵢⱼ Aᵢⱼ²).",
        code="`np.linalg.norm(A)` is the Frobenius norm of a matrix A: divide the norm of `after - before` by the "
             "norm of `before`, and return it as a `float`.",
    )
    cases = ratio_cases()
    with Harness(update_ratio, hints) as harness:
        for before, after in cases:
            expected = relative_update(before, after)
            answer = harness.call(before, after)
            got = answer.number(expected, lead="Return one number for the whole layer: each norm is taken over all "
                                               "the layer's weights at once, not entry by entry.")
            if close(got, expected, **RATIO_TOL):
                continue
            dw = after - before
            norm = np.linalg.norm
            grew = ("this is the change of the weights' norm, not the norm of their change: a step can turn the "
                    "weights without making them longer. Measure the length of the difference between the two matrices.")
            mistakes = [
                (norm(before) / norm(dw), "this is the inverse ratio, ‖W‖/‖ΔW‖: the size of the step goes on top, "
                 "the size of the weights below, so a tiny step gives a tiny ratio."),
                ((norm(after) - norm(before)) / norm(before), grew),
                (abs(norm(after) - norm(before)) / norm(before), grew),
                (norm(dw) / norm(after), "this divides by the norm of the weights after the step; the ratio compares "
                 "the step with the weights it started from, before it (are before and after swapped?)."),
                (norm(dw), "this is the size of the step alone. A step of 0.01 is tiny for weights of size 100 and huge "
                 "for weights of size 0.001: divide by the size of the weights before the step."),
                ((norm(dw) / norm(before)) ** 2, "this is the ratio of the squared norms: a norm is the square root of "
                 "the sum of squares."),
                (np.mean(np.abs(dw) / np.abs(before)), "this is the mean of entry-by-entry ratios, which a single "
                 "weight near 0 can blow up. Compare the norm of the whole change with the norm of the whole matrix."),
                (np.mean(dw / before), "this is the mean of entry-by-entry ratios, whose signs cancel and which a "
                 "weight near 0 can blow up. Compare the norm of the whole change with the norm of the whole matrix."),
                (np.abs(dw).sum() / np.abs(before).sum(), "these are sums of absolute values (the L1 norm); the "
                 "course's ratio uses the Frobenius norm, the square root of the sum of squares."),
                (norm(dw, 2) / norm(before, 2), "these are spectral norms (a matrix's largest singular value, "
                 "which ord=2 asks for); the course's ratio uses the Frobenius norm, over all the entries at once."),
            ]
            answer.fail(expected, why=diagnose(got, mistakes, "", **RATIO_TOL))
        harness.passed(len(cases))


# -- the first-NaN locator (the dashboard's exercise; the triage section uses it) -------------

FIRST_NONFINITE_HINTS = Hints(
    task="Write first_nonfinite(layers, x, dloss): run the batch x forward through the list of layers, then the "
         "loss gradient dloss(output) backward from the last layer to the first, and return where the first NaN or "
         "inf appears: (0, \"input\") for the data, (i, \"forward\") for the output of layers[i], "
         "(len(layers), \"backward\") for the loss gradient, (i, \"backward\") for the gradient layers[i] passes "
         "back; None if everything stays finite.",
    idea="A NaN or inf spreads: every layer after the one where it was born inherits it. So look in the order the "
         "numbers are computed (the data, each layer's output from the first layer on, then the loss gradient and "
         "each gradient from the last layer back to the first) and stop at the first value that is not finite. "
         "Both NaN and ±inf count: an overflow gives inf first, and NaN comes only later (inf − inf, 0 · inf).",
    formula="finite(a) = every entry of a is neither NaN nor ±inf. Check x; then for i = 0, 1, …: x ← layers[i](x), "
            "check; g ← dloss(x), check (position len(layers)); for i = n−1, …, 0: g ← layers[i].backward(g), check.",
    code="`np.isfinite(a).all()` is True when a is all finite; `for i, layer in enumerate(layers)` for the forward, "
         "`for i in reversed(range(len(layers)))` for the backward, and `return (i, \"forward\")` at the first bad "
         "value.",
)

# The typical mistakes, each a flag of _located: what a locator with that mistake returns.
_LOCATOR_MISTAKES = {
    "no_backward": "the backward pass is never searched: a NaN or inf can be born there while the whole forward pass "
                   "is finite (a huge gradient overflowing in one layer). After the forward pass, send the loss "
                   "gradient back through the layers and look at each gradient too.",
    "forward_word": "the layer is right but the direction is not: this value was first broken in the backward pass "
                    "(the gradient that layer passed back), and the answer must say \"backward\", or the search for "
                    "the cause starts in the wrong place.",
    "input_side": "the backward gradients are searched from the input side. The backward pass runs from the last layer "
                  "to the first, so the first broken gradient is the one nearest the loss; the layers below it only "
                  "inherit it. Look at each gradient as the backward pass produces it.",
    "last": "this is the last broken value, not the first: once a NaN or inf is born, every later layer inherits it, "
            "so the last one says nothing about the cause. Stop at the first value that is not finite.",
    "nan_only": "only NaN is looked for, but an overflow gives inf first; the NaN comes later (inf − inf, 0 · inf), "
                "in a layer that only inherited the inf. Look for values that are not finite: NaN, inf and −inf.",
    "no_input": "the data itself is broken (a NaN or inf pixel): the first place to look is the input batch, before "
                "any layer, and the answer then names the input.",
    "no_loss_grad": "the loss gradient itself is broken (a naive softmax overflows on large logits, lesson 02), and "
                    "it comes before any layer's backward: check it, and name it by the position after the last "
                    "layer.",
    "shift+1": "the direction is right, but the layer is one too far along: count the layers from 0, as the list does.",
    "shift-1": "the direction is right, but the layer is one before the broken one: count the layers from 0, as the "
               "list does.",
}


def _located(case, mistake: str) -> tuple[int, str] | None:
    """What a locator with ``mistake`` (a key of _LOCATOR_MISTAKES) returns on ``case``."""
    bad = (lambda a: bool(np.isnan(a).any())) if mistake == "nan_only" else (lambda a: not np.isfinite(a).all())
    layers, x, found = case.layers, case.x, []
    if bad(x) and mistake != "no_input":
        return (0, "input")
    for i, layer in enumerate(layers):
        x = layer(x)
        if bad(x):
            found.append((i, "forward"))
    if found and mistake != "last":
        found = found[:1]
    if not found and mistake != "no_backward":
        grad = case.dloss(x)
        if bad(grad) and mistake != "no_loss_grad":
            found.append((len(layers), "backward"))
        grads = {}
        for i in range(len(layers) - 1, -1, -1):
            grad = grads[i] = layers[i].backward(grad)
        order = sorted(grads) if mistake == "input_side" else sorted(grads, reverse=True)
        found += [(i, "backward") for i in order if bad(grads[i])]
    if not found:
        return None
    index, direction = found[-1] if mistake == "last" else found[0]
    shift = {"shift+1": 1, "shift-1": -1}.get(mistake, 0)
    return (index + shift, "forward" if mistake == "forward_word" else direction)


def check_first_nonfinite(first_nonfinite: Callable) -> None:
    """``first_nonfinite(layers, x, dloss)`` must return where the first NaN or inf appears (see the task)."""
    n_cases = len(planted_cases())
    with Harness(first_nonfinite, FIRST_NONFINITE_HINTS) as harness:
        for k in range(n_cases):
            case = planted_cases()[k]
            answer = harness.call(case.layers, case.x, case.dloss)
            fresh = planted_cases()[k]
            expected = locate_first_nonfinite(fresh.layers, fresh.x, fresh.dloss)
            if expected is None:
                if answer.got is not None:
                    answer.fail(None, why=_mistake(k, answer.got, expected) or f"in this network ({case.name}) every "
                                "value stays finite, forward and backward: there is nothing to report.")
                continue
            if answer.got is None:
                answer.fail(expected, why=_mistake(k, None, expected) or f"this network ({case.name}) does have a NaN "
                            "or inf: None is the answer only when every value stays finite.")
            index, direction = answer.parts("index", "direction", expected=expected,
                                            lead="Return a pair (index, direction), or None when all is finite.")
            i = index.count(expected[0], lead="The index is a whole number: a position in the list of layers.")
            if direction.got not in DIRECTIONS:
                direction.refuse('one of the words "input", "forward" or "backward"', expected[1],
                                 'The direction is one of the words "input", "forward" or "backward".')
            if (i, direction.got) != expected:
                answer.fail(expected, why=_mistake(k, (i, direction.got), expected) or f"in this network ({case.name}) "
                            "the first NaN or inf is somewhere else: look at every value in the order it is computed.")
        harness.passed(n_cases)


def _mistake(k: int, got, expected) -> str:
    """The why of the first typical mistake whose answer on planted case ``k`` is ``got`` (and not the right one)."""
    for mistake, why in _LOCATOR_MISTAKES.items():
        wrong = _located(planted_cases()[k], mistake)
        if wrong != expected and wrong == got:
            return why
    return ""


def adam_zero_eps_verdict() -> str:
    """The direction of the first NaN or inf when the triage's MNIST network takes one Adam step with ε = 0."""
    from course_lib.lessons.l10_when_training_goes_wrong.dashboard import monitored_run

    return monitored_run(optimizer="Adam", lr=1e-3, eps=0.0, steps=1, n_train=500).first_nonfinite.direction


predict_adam_zero_eps = Prediction(
    "where the first NaN appears when Adam runs with ε = 0 (one of input, forward, backward, update)",
    truth=adam_zero_eps_verdict, options=("input", "forward", "backward", "update"),
)


# =============================================================================================
# The clinic: grading a diagnosis of a broken run, and its fix.
# =============================================================================================


def _shown(value: Any) -> str:
    """A value for a message, each dict in it by its keys only (a fix's values are what the learner must find)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key!r}: …" for key in list(value)[:6]) + "}"
    if isinstance(value, (tuple, list)) and any(isinstance(v, dict) for v in value):
        inner = ", ".join(_shown(v) for v in value[:6])
        return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    return describe(value)


def _brief(value: Any) -> str:
    return f"{_shown(value)}, a {type(value).__name__}"


def _case_check(number: int) -> Callable[[Callable[[], Any]], None]:
    """The self-check of case ``number``: grades ``diagnose()``'s ``(cause, fix)``; see check_case_1."""
    case, name = CASES[number], f"check_case_{number}"
    hints = Hints(
        task=f"Return the cause of case {number}, one of CAUSES, and the fix: a dict of the settings to change.",
        idea=case.idea,
        formula=case.formula,
        code=f"`return {case.cause!r}, {dict(case.fix)!r}`",
    )

    def check(diagnose: Callable[[], Any]) -> None:
        with Harness(diagnose, hints, name=name) as harness:
            got = harness.call().got
            said = f"{getattr(diagnose, '__name__', 'your function')}() returned"

            def fail(what: str, expected: str, why: str) -> None:
                why = why[:1].upper() + why[1:]
                raise CheckFailed(f"{said} {what}; expected {expected}.\n{harness.text(why)}")

            if not isinstance(got, (tuple, list)) or len(got) != 2:
                fail(_brief(got), "a tuple of 2 values (cause, fix)", "Return two values: the cause, then the fix.")
            cause, fix = got
            if not isinstance(cause, str):
                fail(f"{_shown(got)}, whose cause is {_brief(cause)}", "the cause to be one of the strings "
                     "in CAUSES", "The cause is a string: copy one of CAUSES.")
            named = normalise_cause(cause)
            if named not in CAUSES:
                fail(f"the cause {cause!r}", "one of the causes in CAUSES",
                     f"{cause!r} is not in CAUSES; choose the one that fits and copy it as it is spelled there.")
            if named != case.cause:
                fail(f"the cause {cause!r}", f"the cause that explains case {number}'s dashboard",
                     wrong_cause_why(number, named))
            if fix is not None and not isinstance(fix, Mapping):
                fail(f"a fix of type {type(fix).__name__!r}", "a dict of the settings to change, such as "
                     "{'epochs': 6}", "The fix is a dict: setting name → new value.")
            problem = case.fix_problem(dict(fix or {}))
            if problem:
                fail("the right cause and no fix" if not fix else f"the right cause and the fix {dict(fix)!r}",
                     "a fix that changes the setting behind the cause", problem)
            run = case.run(fix)
            measured = case.describe(run, case.measured)
            if not case.meets(run):
                fail(f"the right cause and the fix {dict(fix)!r}", f"a fix with which case {number} reaches "
                     f"{case.target}", f"The cause is right, but with this fix the run reached {measured}, short "
                     "of its target. Change the setting that produced the cause.")
            harness.passed(2)
            print(f"  Case {number} with your fix: {measured}.")

    check.__name__ = check.__qualname__ = name
    check.__doc__ = (f"``diagnose()`` returns case {number}'s cause (one of CAUSES) and a fix (a dict of settings); "
                     "the cause must be the case's, and the case's run with the fix must reach its target.")
    return check


check_case_1 = _case_check(1)
check_case_2 = _case_check(2)
check_case_3 = _case_check(3)
check_case_4 = _case_check(4)
check_case_5 = _case_check(5)
check_case_6 = _case_check(6)
check_case_7 = _case_check(7)
check_case_8 = _case_check(8)
check_case_9 = _case_check(9)
check_case_10 = _case_check(10)


# =============================================================================================
# Depth: the learner's layer norm backward, graded by gradient checks.
# =============================================================================================

LAYER_NORM_HINTS = Hints(
    task="Return the gradients of layer norm's input x, of γ and of β, in that order, for y = γ ⊙ x̂ + β with "
         "x̂ = (x − μ)/√(σ² + ε) over each row's features, given the upstream gradient dy and the cache, which holds "
         "the forward pass's input x, its γ and its ε, in that order.",
    idea="μ and σ² are computed from every feature of the row, so nudging one xⱼ moves the whole row's x̂ three ways: "
         "directly, through the mean and through the variance. The chain rule adds the three paths; γ and β act "
         "per feature, so their gradients gather the examples (the rows). Everything layer norm averages runs "
         "along the row, never down the batch.",
    formula="With s = √(σ² + ε) (σ² biased, over the D features of a row) and dx̂ = dy ⊙ γ: "
            "dx = (dx̂ − mean_row(dx̂) − x̂ ⊙ mean_row(dx̂ ⊙ x̂)) / s; dγ = Σ_rows dy ⊙ x̂; dβ = Σ_rows dy.",
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
        "gamma mean": ("Your dγ and dβ average over the examples; they should add them up: every example's loss "
                       "depends on the same γ and β, and the 1/N of the mean is already in dy.", (right[0], right[1] / len(x), right[2] / len(x))),
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
    "how the first layer's gradient norm in a 50-layer network with batch norm after every hidden Linear (He init) "
    "compares with a 2-layer one; one of the options", truth=lambda: depth50_ratio("batch norm"),
    options=RATIO_OPTIONS,
)
