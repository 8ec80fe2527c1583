"""Lesson 10's clinic: ten broken runs, each one real mistake in the healthy recipe of ``clinic.py``.

A :class:`Case` is the recipe with a few settings changed (the mistake), the true cause, named from
:data:`CAUSES` (the ten causes and three distractors, one list for every case), what its dashboard
shows (:meth:`Case.observation`, with the run's own numbers), and the target a fixed run must reach.
The lesson's self-checks (``check_case_1`` ... ``check_case_10`` in ``checks.py``) grade a learner's
diagnosis with :func:`wrong_cause_why` and :meth:`Case.fix_problem`: a wrong cause hears which symptom
rules it out, a fix is applied to the case's settings and the run re-trained until the target.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from course_lib.lessons.l10_when_training_goes_wrong.clinic import (
    FIXED,
    ClinicRun,
    full_settings,
    plot_clinic_run,
    run_settings,
)

__all__ = ["CASES", "CAUSES", "SIGNATURES", "Case", "case_tables", "facts", "normalise_cause", "plot_case", "run_case", "summary",
           "wrong_cause_why"]

#: The named causes a diagnosis chooses from: the ten cases' causes and three that fit none of them.
CAUSES = (
    "dead ReLUs", "float16 overflow", "gradients never zeroed", "inputs not normalised",
    "labels shuffled apart from images", "learning rate too large", "learning rate too small",
    "loss summed, not averaged", "model not in evaluation mode", "overfitting", "softmax applied twice",
    "validation data leaked into training", "vanishing gradients",
)

#: What each cause looks like on the dashboard: the reason a wrong diagnosis does not fit.
SIGNATURES = {
    "dead ReLUs": "a ReLU layer's dead fraction would climb to nearly 100 % and the loss would freeze near "
                  "ln 10 ≈ 2.30, finite, with (almost) no gradient flowing back.",
    "float16 overflow": "the run would compute in float16 and turn inf or NaN once a number passes 65 504, "
                        "where float32 would be fine.",
    "gradients never zeroed": "the steps would grow from step to step (‖ΔW‖/‖W‖ rising) while the gradient "
                              "arriving at each layer stays about the same size.",
    "inputs not normalised": "the first layer's outputs would be huge already at step 0, and the loss at step 0 "
                             "far above ln 10 ≈ 2.30.",
    "labels shuffled apart from images": "the units would stay alive and the weights would move at a healthy "
                                         "rate, yet even the training accuracy would stay at chance (10 %) and "
                                         "the loss at ln 10 ≈ 2.30.",
    "learning rate too large": "the very first steps would move the weights by a large fraction of their size "
                               "(‖ΔW‖/‖W‖ near 1 or more), and the loss would jump up at once.",
    "learning rate too small": "the weights would barely move (‖ΔW‖/‖W‖ near 1e-4 or below, the bottom of the useful "
                               "band) and the loss would fall slowly but steadily, never jump up, freeze or turn NaN.",
    "loss summed, not averaged": "the loss at step 0 would already be the batch size times ln 10 (50 × 2.30 ≈ "
                                 "115 here), not ln 10.",
    "model not in evaluation mode": "evaluating the same weights twice on the same images would give different "
                                    "predictions.",
    "overfitting": "the training accuracy would pull far ahead of the validation and test accuracies, with "
                   "nothing NaN, frozen or dead.",
    "softmax applied twice": "the network would end in a Softmax layer, and the loss would stop falling far above "
                             "0 (near 1.46, the least a cross-entropy of probabilities can give) while the "
                             "accuracy still rises.",
    "validation data leaked into training": "the validation accuracy would equal the training accuracy and lie "
                                            "well above the test accuracy.",
    "vanishing gradients": "the gradient ‖∂L/∂y‖ would shrink layer after layer towards the input of a deep "
                           "network; this one has a single hidden layer.",
}


def normalise_cause(cause: str) -> str:
    """A cause as :data:`CAUSES` spells it, whatever its case and spacing; unchanged if it is none of them."""
    plain = " ".join(str(cause).lower().split())
    return next((c for c in CAUSES if c.lower() == plain), str(cause))


def facts(run: ClinicRun) -> dict[str, Any]:
    """The numbers a dashboard reader quotes: losses, the first Linear layer's columns, the ReLU's, accuracies."""
    losses = run.losses
    finite = losses[np.isfinite(losses)]
    first = run.layer("Linear")
    ratio = np.asarray(run.monitor.history[first]["update_ratio"])
    grad = np.asarray(run.monitor.history[first]["grad"])
    relu = [n for n in run.monitor.names if n.endswith(" ReLU")]
    dead = np.asarray(run.monitor.history[relu[0]]["dead"]) if relu else np.full(run.steps, np.nan)
    where = run.monitor.first_nonfinite
    return {
        "steps": run.steps, "l0": losses[0], "lmin": finite.min(), "lmax": finite.max(),
        "lend": float(np.mean(finite[-10:])), "ratio0": losses[0] / np.log(10),
        "nan_step": where.step if where else None, "where": str(where) if where else "no NaN or inf",
        "ur0": ratio[0], "ur5": ratio[min(5, run.steps - 1)], "urmax": np.nanmax(ratio), "ur_end": ratio[-1],
        "ur_median": np.nanmedian(ratio), "grad0": grad[0], "grad5": grad[min(5, run.steps - 1)],
        "std0": run.monitor.history[first]["std"][0],
        "dead0": dead[0], "dead10": dead[min(10, run.steps - 1)], "dead_end": dead[-1],
        "train": run.final("train"), "val": run.final("validation"), "val2": run.final("validation, again"),
        "test": run.final("test"), "gap": 100 * (run.final("validation") - run.final("test")),
        "changed": run.changed[-1], "maxlogit": float(np.nanmax(np.where(np.isfinite(run.max_logit), run.max_logit,
                                                                          np.nan))),
        "rise": int(np.argmin(losses[:20])) if len(losses) else 0,
    }


def _val(run: ClinicRun, at_least: float = 0.80) -> bool:
    return bool(np.isfinite(run.losses).all() and run.final("validation") >= at_least)


@dataclass(frozen=True)
class Case:
    """One broken run of the clinic; see the module's docstring.

    Attributes:
        number: 1 to 10.
        changes: the mistake: the healthy recipe's settings that this case changes.
        cause: the true cause, one of :data:`CAUSES`.
        fix: a fix that works (the answer key; the check accepts any fix that reaches the target).
        panel: the per-layer metric its picture shows beside the loss and the accuracies.
        observation: the symptom in words, a template filled with :func:`facts` of the broken run.
        target: what a fixed run must reach, in words; ``meets(run)`` says whether it does.
        measured: the fixed run's numbers, a template filled with :func:`facts`.
        idea, formula: the check's hints (levels 1 and 2).
        near: the why for a wrong cause that comes close, a template filled with :func:`facts`.
    """

    number: int
    changes: Mapping[str, Any]
    cause: str
    fix: Mapping[str, Any]
    panel: str
    observation: str
    target: str
    meets: Callable[[ClinicRun], bool]
    measured: str
    idea: str
    formula: str
    near: Mapping[str, str] = field(default_factory=dict)

    @property
    def settings(self) -> dict[str, Any]:
        """Every setting of the broken run."""
        return full_settings(self.changes)

    def run(self, fix: Mapping[str, Any] | None = None) -> ClinicRun:
        """The case's run, with ``fix`` applied to its settings (None: the broken run)."""
        return run_settings(fix, base=self.settings)

    def describe(self, run: ClinicRun, template: str) -> str:
        return template.format(**facts(run))

    def fix_problem(self, fix: Mapping[str, Any]) -> str:
        """Why ``fix`` (a dict) cannot be tried as it is, or "" when it can."""
        if not fix:
            return ("the cause is right; what is still missing is the fix: the settings to change, as a dict "
                    "(settings_text() lists them and the values each can take).")
        try:
            settings = full_settings(fix, base=self.settings)
        except (TypeError, ValueError) as err:  # an unhashable value cannot even be looked up
            return f"the fix cannot be applied: {err}"
        fixed = sorted(k for k in fix if k in FIXED and settings[k] != self.settings[k])
        if fixed:
            return (f"the fix changes {', '.join(map(repr, fixed))}, which describes the case rather than its "
                    "training; keep it, and change a setting of the training.")
        changed = sorted(k for k in fix if settings[k] != self.settings[k])
        if not changed:
            return "these values are the case's own settings already: the fix changes nothing."
        if len(changed) > 2:
            return (f"a fix changes the one or two settings behind the cause; this one changes {len(changed)} "
                    f"({', '.join(map(repr, changed))}). Keep only the change that removes the cause.")
        return ""


_ACCURACY = "validation accuracy {val:.1%}, test accuracy {test:.1%}, mean loss over the last ten steps {lend:.3g}"

CASES: dict[int, Case] = {case.number: case for case in (
    Case(1, {"softmax_layer": True}, "softmax applied twice", {"softmax_layer": False}, "grad",
         "the loss stayed near {l0:.2f} for the first steps, then fell slowly and never below {lmin:.2f} in "
         "{steps} steps, although the training accuracy rose to {train:.0%}",
         "a training loss below 0.5 over the last ten steps and a validation accuracy of at least 80 %",
         lambda run: _val(run) and float(np.mean(run.losses[-10:])) < 0.5, _ACCURACY,
         "Read the table's layers from the input to the loss, and ask what the loss function expects to receive "
         "and what it gets here; then compare the loss's floor with that.",
         "The cross-entropy loss applies log-softmax itself: ℓ = −log softmax(z)_y of logits z. Fed probabilities "
         "p ∈ [0, 1] in place of z, its least value is −log(e / (e + 9)) ≈ 1.46.",
         {"learning rate too small": "a learning rate too small slows a loss down but gives it no floor; this one "
                                     "moved the weights at ‖ΔW‖/‖W‖ up to {urmax:.0e} and still never went "
                                     "below {lmin:.2f}."}),
    Case(2, {"activation": "leaky_relu", "lr": 20.0}, "learning rate too large", {"lr": 0.1}, "update_ratio",
         "the first step moved the first layer's weights by {ur0:.0%} of their size; the loss then grew from "
         "{l0:.2f} to {lmax:.3g}, and the first NaN or inf came at step {nan_step} ({where})",
         "every loss finite and a validation accuracy of at least 80 %", _val, _ACCURACY,
         "Follow the size of the steps: how far did each update move the weights (‖ΔW‖/‖W‖), from the first "
         "step on, and what did the loss do right after?",
         "The rule of thumb is ‖ΔW‖/‖W‖ ≈ 1e-3, and 1e-4 to 1e-2 is the useful band (this recipe runs at its top). "
         "When one step moves W by as much as W itself, the next forward pass gives larger outputs and larger "
         "gradients, so the steps feed on themselves until float32's 3.4e38 overflows.",
         {"dead ReLUs": "these units are leaky ReLUs, which cannot die (their row of the dead column is empty), "
                        "and dead units make a loss freeze, not grow to NaN.",
          "float16 overflow": "this run computes in float32, whose largest number is about 3.4e38; it overflowed "
                              "only after the loss had grown to {lmax:.3g}."}),
    Case(3, {"zero_grad": False}, "gradients never zeroed", {"zero_grad": True}, "update_ratio",
         "the loss fell until step {rise}, but over the first 5 steps ‖ΔW‖/‖W‖ of the first layer grew from "
         "{ur0:.2g} to {ur5:.2g} while the gradient arriving at it went from {grad0:.2g} to {grad5:.2g}; later "
         "the loss climbed to {lmax:.3g}",
         "a validation accuracy of at least 80 %", _val, _ACCURACY,
         "Compare two columns over time: the gradient arriving at a layer, and how far its weights moved. If "
         "the steps keep growing while the gradient does not, ask what the optimizer is being given.",
         "backward adds each batch's gradient into .grad (numpy_nn as torch). Never cleared, the step at t "
         "follows g₁ + g₂ + … + g_t, which grows like t·‖g‖.",
         {"learning rate too large": "a learning rate too large shows in the very first steps; here the first "
                                     "step moved the weights by only {ur0:.2g} of their size and the loss fell "
                                     "until step {rise}. The steps grew later ({ur5:.2g} at step 5), while the "
                                     "gradient arriving stayed about the same ({grad0:.2g}, then {grad5:.2g}).",
          "dead ReLUs": "the units died late ({dead10:.0%} dead at step 10), after the steps had grown for many "
                        "steps in a row: the dead units are the end of this story, not its start."}),
    Case(4, {"dropout": 0.5, "eval_mode": False}, "model not in evaluation mode", {"eval_mode": True}, "std",
         "the training loss fell (to {lend:.2f} over the last ten steps), but "
         "two evaluations of the same weights on the same validation images gave {val:.1%} and {val2:.1%}: "
         "{changed:.0%} of the predicted digits changed between them",
         "the same predictions in two evaluations and a validation accuracy of at least 80 %",
         lambda run: _val(run) and run.changed[-1] == 0, _ACCURACY + "; {changed:.0%} of the predictions changed",
         "Once training stops, a network is a fixed function: the same weights and the same images must give the "
         "same answers. Ask which layers behave differently in training and in evaluation.",
         "Dropout in training mode keeps each unit with probability 1 − p and scales it by 1/(1 − p), a new "
         "random mask at every call; in evaluation mode it is the identity.",
         {"overfitting": "overfitting makes a network right on its training images and worse on new ones, but it "
                         "answers the same images the same way twice; here {changed:.0%} of the validation "
                         "predictions changed between two evaluations of the same weights."}),
    Case(5, {"lr": 3.0}, "dead ReLUs", {"lr": 0.1}, "dead",
         "the first step moved the first layer's weights by {ur0:.0%} of their size; {dead10:.0%} of the ReLU "
         "units were dead by step 10 and {dead_end:.0%} at the end, and the loss froze near {lend:.2f}, finite",
         "a validation accuracy of at least 80 %", _val, _ACCURACY,
         "Look at the ReLU layer's columns: what fraction of its units output 0 for every image, and what "
         "gradient flows back through a unit that outputs 0?",
         "A ReLU unit whose z = w·x + b is negative for every image outputs 0 and passes back ∂L/∂z = 0, so w and "
         "b never change again: once dead, always dead. One step large enough pushes many units there at once.",
         {"learning rate too large": "half right: a learning rate of 3 is what started it, and lowering it is the fix. "
                                     "But name what the dashboard shows now (see \"How you answer\"): a learning "
                                     "rate that is still too large keeps the loss jumping or blows it up to NaN; "
                                     "here the loss froze near {lend:.2f}, finite, and the steps shrank from "
                                     "{ur0:.0%} of the weights' size at step 0 to {ur_end:.0e} at the end. Name "
                                     "the state the first large steps left the network in: the ReLU layer's row "
                                     "of the table shows it.",
          "vanishing gradients": "the gradient did vanish, but not through depth: this network has one hidden "
                                 "layer. Look at what its ReLU units output."}),
    Case(6, {"inputs": "raw"}, "inputs not normalised", {"inputs": "unit"}, "std",
         "the loss at step 0, before any update, was {l0:.1f}, and the first layer's outputs had a standard "
         "deviation of {std0:.0f}",
         "a validation accuracy of at least 80 %", _val, _ACCURACY,
         "Read step 0, before any update: what should the loss of an untrained network be, and how large are the "
         "first layer's outputs? Then ask what numbers the first layer was given.",
         "At t = 0 the loss should be about ln 10 ≈ 2.30. The first layer computes z = Wx + b; with pixels x up "
         "to 255 in place of 1, z is about 255 times larger, and so are the logits.",
         {"learning rate too large": "the loss was already {l0:.1f} at step 0, before the optimizer took any "
                                     "step: no learning rate acts before the first update.",
          "dead ReLUs": "the units did die ({dead_end:.0%} dead at the end), but only after the first wild steps: "
                        "the loss was already {l0:.1f} at step 0, before any update, while only {dead0:.0%} of "
                        "the units were dead. Something was wrong before the first step.",
          "loss summed, not averaged": "the loss at step 0 was {l0:.1f}, {ratio0:.1f} times ln 10, not the batch "
                                       "size 50 times; and the first layer's outputs were already huge (std "
                                       "{std0:.0f}) before the loss was computed."}),
    Case(7, {"shuffle": "separately"}, "labels shuffled apart from images", {"shuffle": "together"},
         "update_ratio",
         "the loss stayed between {lmin:.2f} and {lmax:.2f} from the first step on, while the units were alive "
         "({dead10:.0%} dead at step 10) and the weights moved at ‖ΔW‖/‖W‖ ≈ {ur_median:.0e}; even the training "
         "accuracy ended at {train:.0%}",
         "a validation accuracy of at least 80 %", _val, _ACCURACY,
         "The network is alive and its weights move, yet it learns nothing, not even its training images. Ask "
         "what it is asked to learn: does each image still come with its own label?",
         "Learning needs the pairs (xᵢ, yᵢ). With yᵢ drawn independently of xᵢ, the best a network can do is "
         "predict the class frequencies: loss ≈ ln 10 ≈ 2.30 and accuracy ≈ 10 %.",
         {"dead ReLUs": "the loss sat at ln 10 from the first step, while the units were alive ({dead10:.0%} "
                        "dead at step 10); they died later, once there was nothing to learn.",
          "learning rate too small": "the weights moved at a healthy ‖ΔW‖/‖W‖ ≈ {ur_median:.0e} per step: they "
                                     "moved, and learned nothing."}),
    Case(8, {"validation": "from training set"}, "validation data leaked into training", {"validation": "held out"},
         "update_ratio",
         "the validation accuracy ({val:.1%}) matched the training accuracy ({train:.1%}) and lay {gap:.1f} "
         "points above the test accuracy ({test:.1%})",
         "a validation accuracy within 4 points of the test accuracy, and at least 80 %",
         lambda run: _val(run) and abs(run.final("validation") - run.final("test")) <= 0.04,
         _ACCURACY + " (validation − test: {gap:+.1f} points)",
         "Compare the three accuracies. The validation accuracy is there to predict the test accuracy; when it "
         "does not, ask where the validation images come from.",
         "The validation accuracy estimates the accuracy on unseen images only if its images are unseen: the "
         "validation set V and the training set T must be disjoint, V ∩ T = ∅.",
         {"overfitting": "close: the network does fit its training images better than new ones. But the "
                         "validation accuracy should then have fallen behind; here it matched the training "
                         "accuracy. Ask what the validation images are."}),
    Case(9, {"twin": "torch", "dtype": "float16", "loss": "exp, then log"}, "float16 overflow",
         {"dtype": "float32"}, "max_logit",
         "the loss fell from {l0:.2f} to {lmin:.2f} with calm steps (‖ΔW‖/‖W‖ = {ur0:.0e} at step 0); then, "
         "with the largest logit at {maxlogit:.1f}, the loss turned NaN at step {nan_step} ({where})",
         "every loss finite and a validation accuracy of at least 80 %", _val, _ACCURACY,
         "Find the step where the first NaN or inf appears and the largest logit just before it. Then ask which "
         "number format the run computes in, and what the largest number of that format is.",
         "float16's largest number is 65 504 ≈ e^11.09, so e^z overflows to inf once a logit z passes 11.09, and "
         "inf / inf is NaN. float32 reaches 3.4e38 ≈ e^88.7.",
         {"learning rate too large": "the steps were calm (‖ΔW‖/‖W‖ = {ur0:.0e} at step 0) and the loss fell to "
                                     "{lmin:.2f} before it turned NaN in a single step, with the largest logit "
                                     "only {maxlogit:.1f}."}),
    Case(10, {"reduction": "sum"}, "loss summed, not averaged", {"reduction": "mean"}, "grad",
         "the loss at step 0, before any update, was {l0:.1f}, {ratio0:.1f} times ln 10, and the first step moved "
         "the first layer's weights by {ur0:.0%} of their size",
         "a validation accuracy of at least 80 %", _val, _ACCURACY,
         "Read the loss at step 0: an untrained network that guesses uniformly over 10 classes has a mean loss "
         "of ln 10 ≈ 2.30. What makes this one that many times larger, and what does that do to every step?",
         "L_sum = Σᵢ ℓᵢ = B · L_mean, so ∇L_sum = B · ∇L_mean: with a batch of B = 50 every step η·∇L is 50 "
         "times the step η was chosen for.",
         {"learning rate too large": "close: every step is far too big. But η is the recipe's 0.1, and the loss "
                                     "was {l0:.0f} at step 0, before any step. What makes a loss that many times "
                                     "too large?",
          "dead ReLUs": "the units did die ({dead_end:.0%} dead at the end), but only after the first huge "
                        "steps: the loss was already {l0:.0f} at step 0, {ratio0:.0f} times ln 10, before any "
                        "update, while only {dead0:.0%} of the units were dead. Something was wrong before the "
                        "first step.",
          "inputs not normalised": "the first layer's outputs at step 0 had the recipe's usual size (std "
                                   "{std0:.2f}); it is the loss itself that is {ratio0:.0f} times ln 10."}),
)}


def run_case(number: int, fix: Mapping[str, Any] | None = None) -> ClinicRun:
    """Case ``number``'s run (cached), with ``fix`` applied to its settings (None: the broken run)."""
    if number not in CASES:
        raise ValueError(f"There is no case {number!r}; the clinic's cases are 1 to {len(CASES)}.")
    return CASES[number].run(fix)


def wrong_cause_why(number: int, cause: str) -> str:
    """Why ``cause`` is not case ``number``'s cause: the symptom that rules it out, from the broken run."""
    case, run = CASES[number], run_case(number)
    if cause in case.near:
        return case.describe(run, case.near[cause])
    return (f"{cause!r} does not fit this dashboard: with it, {SIGNATURES[cause]} Here, "
            f"{case.describe(run, case.observation)}.")


def summary(run: ClinicRun) -> str:
    """The dashboard's headline: loss, accuracies, repeated evaluation, first NaN or inf."""
    f, s = facts(run), run.settings
    return (f"{'numpy_nn' if s['twin'] == 'numpy' else 'torch_nn'}, {s['dtype']}: MLP 784-{s['hidden']}-10\n"
            f"loss: step 0 {f['l0']:.4g}, lowest {f['lmin']:.4g}, last {run.losses[-1]:.4g}, mean of the last ten "
            f"{np.mean(run.losses[-10:]):.4g} ({f['steps']} steps)\n"
            f"accuracy after the last epoch: train {f['train']:.1%}, validation {f['val']:.1%} (evaluated again: "
            f"{f['val2']:.1%}, {f['changed']:.1%} of predictions changed), test {f['test']:.1%}\n"
            f"{f['where']}")


def case_tables(run: ClinicRun, steps: tuple[int, ...] = (0, 5, -1)) -> str:
    """:func:`summary`, then the monitor's table at each of ``steps`` (default: step 0, before any update; step 5;
    the last step), the first NaN or inf said once, in the summary. ``run.monitor.table(step=k)`` shows any step."""
    where = run.monitor.first_nonfinite
    shown = dict.fromkeys(range(run.steps)[step] for step in steps if -run.steps <= step < run.steps)
    tables = [run.monitor.table(step=step) for step in shown]
    if where is not None:
        tables = [table.removesuffix("\n" + str(where)) for table in tables]
    return "\n".join([summary(run), *tables])


def plot_case(number: int, run: ClinicRun | None = None) -> Any:
    """Case ``number``'s picture (:func:`clinic.plot_clinic_run` with the case's panel); ``run`` default: the broken run."""
    run = run_case(number) if run is None else run
    return plot_clinic_run(run, CASES[number].panel, title=f"Case {number}")
