"""Lesson 10's clinic: each broken run shows its symptom, and each case's check grades a diagnosis and its fix."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_lib.lessons.l10_when_training_goes_wrong import LESSON, checks
from course_lib.lessons.l10_when_training_goes_wrong.clinic import (
    CHOICES,
    DEFAULTS,
    full_settings,
    plot_clinic_run,
    run_settings,
    settings_text,
)
from course_lib.lessons.l10_when_training_goes_wrong.clinic_cases import (
    CASES,
    CAUSES,
    SIGNATURES,
    case_tables,
    facts,
    normalise_cause,
    plot_case,
    run_case,
    summary,
    wrong_cause_why,
)
from course_lib.ui.checks import CheckFailed

LN10 = math.log(10)


def answer(cause, fix):
    def diagnose():
        return cause, fix
    return diagnose


def right(number):
    return answer(CASES[number].cause, dict(CASES[number].fix))


# ---- the symptom each broken run shows (the number that gives it away) ------------------------------------

SYMPTOMS = {
    # softmax twice: the loss has a floor at −log(e/(e+9)) ≈ 1.46, yet the network still learns something
    1: lambda f: f["lmin"] >= math.log(1 + 9 / math.e) and f["train"] >= 0.5,
    # a learning rate of 20: the first step moves W by more than W, and the loss overflows within 40 steps
    2: lambda f: f["ur0"] >= 1 and f["nan_step"] is not None and f["nan_step"] <= 40 and f["lmax"] > 1e20,
    # no zero_grad: the steps grow tenfold in five steps while the gradient arriving stays within 50 %
    3: lambda f: f["ur5"] >= 10 * f["ur0"] and f["grad5"] <= 1.5 * f["grad0"] and f["lmax"] > 50,
    # dropout left on at evaluation: the same weights on the same images change many answers
    4: lambda f: f["changed"] >= 0.1 and f["train"] >= 0.6,
    # dead ReLUs: nearly all units dead by step 10, the loss frozen near ln 10, nothing NaN
    5: lambda f: f["dead10"] >= 0.8 and f["dead_end"] >= 0.95 and f["nan_step"] is None and abs(f["lend"] - LN10) < 0.4,
    # raw pixels: step 0's loss far above ln 10 and the first layer's outputs huge, before any update
    6: lambda f: f["l0"] >= 10 and f["std0"] >= 20,
    # labels shuffled apart: alive units, a flat loss at ln 10 and chance accuracy, even on the training images
    7: lambda f: f["train"] <= 0.15 and f["dead10"] <= 0.3 and abs(f["lend"] - LN10) < 0.1,
    # leakage: validation as good as training, well above test
    8: lambda f: f["gap"] >= 5 and abs(f["val"] - f["train"]) <= 0.02,
    # float16: NaN within 40 steps once the largest logit passes ln 65 504 ≈ 11.09
    9: lambda f: f["nan_step"] is not None and f["nan_step"] <= 40 and f["maxlogit"] >= math.log(65504),
    # a summed loss: step 0's loss is the batch size (50) times what a mean gives (≈ ln 10)
    10: lambda f: 45 * LN10 <= f["l0"] <= 55 * LN10 and f["std0"] < 1,
}


@pytest.mark.parametrize("number", list(CASES))
def test_the_broken_run_shows_its_symptom(number):
    f = facts(run_case(number))
    assert SYMPTOMS[number](f), f


@pytest.mark.parametrize("number", list(CASES))
def test_the_broken_run_misses_its_target_and_the_answer_keys_fix_reaches_it(number):
    case = CASES[number]
    assert not case.meets(run_case(number))
    assert case.meets(run_case(number, case.fix))


def test_the_float16_case_is_fine_in_float32_and_bfloat16_and_with_log_softmax():
    for fix in ({"dtype": "float32"}, {"dtype": "bfloat16"}, {"loss": "log-softmax"}):
        assert CASES[9].meets(run_case(9, fix)), fix


@pytest.mark.parametrize(("number", "fix"), [  # the other fixes the closing table lists pass the check too
    (9, {"dtype": "bfloat16"}), (9, {"loss": "log-softmax"}), (6, {"inputs": "standard"}), (10, {"lr": 0.1 / 50}),
])
def test_the_closing_tables_other_fixes_pass_the_check(number, fix, capsys):
    check_of(number)(answer(CASES[number].cause, fix))
    assert "passed all 2" in capsys.readouterr().out


def test_a_summed_loss_is_a_mean_loss_with_a_learning_rate_times_the_batch_size():
    summed = run_case(10, {"lr": 0.1 / 50})
    mean = run_case(10, {"reduction": "mean"})
    assert CASES[10].meets(summed)
    np.testing.assert_allclose(summed.losses / 50, mean.losses, rtol=1e-4)


# ---- the checks: the right diagnosis passes, two wrong ones fail naming what rules them out ----------------

WRONG = {  # case: ((a wrong cause, words of its why), (another, words), (the right cause with a wrong fix, words))
    1: (("learning rate too small", "gives it no floor"), ("overfitting", "does not fit this dashboard"),
        ({"lr": 0.5}, "short of its target")),
    2: (("dead ReLUs", "cannot die"), ("float16 overflow", "computes in float32"),
        ({"activation": "relu"}, "short of its target")),
    3: (("learning rate too large", "very first steps"), ("dead ReLUs", "end of this story"),
        ({"lr": 0.01}, "short of its target")),
    4: (("overfitting", "the same way twice"), ("dead ReLUs", "does not fit this dashboard"),
        ({"epochs": 8}, "short of its target")),
    5: (("learning rate too large", "started it"), ("vanishing gradients", "one hidden layer"),
        ({"activation": "leaky_relu"}, "short of its target")),
    6: (("learning rate too large", "before the optimizer took any step"), ("loss summed, not averaged", "not the batch"),
        ({"epochs": 8}, "short of its target")),
    7: (("dead ReLUs", "died later"), ("learning rate too small", "learned nothing"),
        ({"lr": 0.01}, "short of its target")),
    8: (("overfitting", "matched the training accuracy"), ("model not in evaluation mode", "does not fit this dashboard"),
        ({"epochs": 8}, "short of its target")),
    9: (("learning rate too large", "in a single step"), ("inputs not normalised", "does not fit this dashboard"),
        ({"epochs": 8}, "short of its target")),
    10: (("learning rate too large", "before any step"), ("inputs not normalised", "usual size"),
         ({"momentum": 0.0}, "short of its target")),
}


def check_of(number):
    return getattr(checks, f"check_case_{number}")


@pytest.mark.parametrize("number", list(CASES))
def test_a_wrong_cause_fails_naming_the_symptom_that_rules_it_out(number, assert_teaches):
    case = CASES[number]
    for cause, words in WRONG[number][:2]:
        assert cause in CAUSES and cause != case.cause
        assert_teaches(check_of(number), right(number), answer(cause, dict(case.fix)), words)


NEAR = {  # case: (a wrong cause whose generic signature would fit the late dashboard, words of its why)
    5: ("learning rate too large", "froze near"),  # the setting that started it, not the state the run is in
    6: ("dead ReLUs", "before the first step"), 10: ("dead ReLUs", "before the first step"),
    2: ("dead ReLUs", "row of the dead column is empty"),
}


@pytest.mark.parametrize("number", list(NEAR))
def test_a_cause_that_fits_only_the_late_dashboard_hears_what_came_first(number, assert_teaches):
    cause, words = NEAR[number]
    assert cause in CASES[number].near and "does not fit" not in wrong_cause_why(number, cause)
    assert_teaches(check_of(number), right(number), answer(cause, dict(CASES[number].fix)), words)


@pytest.mark.parametrize("number", list(CASES))
def test_the_right_cause_with_a_fix_that_misses_the_target_fails(number, assert_teaches):
    fix, words = WRONG[number][2]
    assert_teaches(check_of(number), right(number), answer(CASES[number].cause, fix), words)


@pytest.mark.parametrize(("fix", "words"), [
    ({}, "what is still missing is the fix"), (None, "what is still missing is the fix"),
    ({"zero_grad": True, "lr": 0.05, "epochs": 5}, "changes 3"), ({"learning_rate": 0.1}, "there is no setting"),
    ({"zero_grad": "yes"}, "True or False"), ({"zero_grad": False}, "changes nothing"),
    ({"twin": "torch"}, "describes the case"), ({"lr": [0.1]}, "number from"),
])
def test_a_right_cause_with_a_fix_that_cannot_be_tried_hears_what_is_missing(fix, words, assert_teaches):
    assert_teaches(checks.check_case_3, right(3), answer("gradients never zeroed", fix), words)


def test_a_cause_is_read_whatever_its_case_and_spacing_and_must_be_one_of_the_list(assert_teaches, capsys):
    checks.check_case_7(answer("  Labels shuffled apart   from images", {"shuffle": "together"}))
    assert "passed all 2" in capsys.readouterr().out
    assert normalise_cause("DEAD relus") == "dead ReLUs"
    assert_teaches(checks.check_case_7, right(7), answer("bad labels", {"shuffle": "together"}), "is not in CAUSES")
    assert_teaches(checks.check_case_7, right(7), answer(3, {"shuffle": "together"}), "copy one of CAUSES")


def test_an_answer_of_the_wrong_shape_is_refused_saying_what_came():
    for got, words in [(None, "returned None"), ("dead ReLUs", "a tuple of 2 values"),
                       ({"cause": "dead ReLUs", "fix": {"lr": 0.1}}, "{'cause': …, 'fix': …}, a dict"),
                       (("dead ReLUs", "lr=0.1"), "a fix of type 'str'")]:
        with pytest.raises(CheckFailed, match="Hint:") as err:
            checks.check_case_5(lambda got=got: got)
        assert words in str(err.value), str(err.value)


def test_the_third_failure_shows_the_answer_as_code():
    for level in (1, 2, 3):
        with pytest.raises(CheckFailed) as err:
            checks.check_case_1(answer("overfitting", {}))
        assert ("Code:" in str(err.value)) == (level == 3) and ("Formula:" in str(err.value)) == (level >= 2)
    assert "softmax applied twice" in str(err.value)


def test_the_lesson_lists_the_ten_checks_in_order_and_each_case_has_its_hints():
    listed = [c.__name__ for c in LESSON.checks if c.__name__.startswith("check_case_")]
    assert listed == [f"check_case_{n}" for n in range(1, 11)]
    for n in CASES:
        assert getattr(checks, f"check_case_{n}").__name__ == f"check_case_{n}"


# ---- the cases, the causes and the settings ---------------------------------------------------------------

def test_every_cause_is_one_of_the_list_and_every_cause_has_a_signature():
    assert len({c.cause for c in CASES.values()}) == len(CASES)
    assert set(SIGNATURES) == set(CAUSES) and len(CAUSES) == len(CASES) + 3
    for case in CASES.values():
        assert case.cause in CAUSES and set(case.near) <= set(CAUSES) - {case.cause}


@pytest.mark.parametrize("number", list(CASES))
def test_no_why_names_the_right_cause(number):
    case = CASES[number]
    for cause in CAUSES:
        if cause != case.cause:
            assert case.cause.lower() not in wrong_cause_why(number, cause).lower()
    assert case.cause.lower() not in (case.idea + case.formula).lower()


def test_both_twins_are_in_the_clinic():
    assert {case.settings["twin"] for case in CASES.values()} == {"numpy", "torch"}
    assert type(run_case(9).monitor.layers["0 Linear"]).__module__.startswith("torch")


def test_settings_are_checked_and_explained():
    assert full_settings() == DEFAULTS and full_settings({"lr": 1}) ["lr"] == 1.0
    for bad, words in [({"lr": -1}, "number from"), ({"epochs": 2.5}, "whole number"), ({"inputs": "scaled"}, "'unit'"),
                       ({"dropout": True}, "number"), ({"dtype": "bfloat16"}, "torch dtype"), ({"colour": 1}, "no setting")]:
        with pytest.raises(ValueError, match=words):
            full_settings(bad)
    text = settings_text()
    assert all(key in text for key in DEFAULTS) and all(word in text for words in CHOICES.values() for word in words)


def test_a_run_is_deterministic_and_cached():
    first = run_settings({"epochs": 1})
    assert run_settings({"epochs": 1}) is first
    again = run_settings({"epochs": 1, "seed": 0, "lr": 0.1000000001})  # another key: trained afresh
    np.testing.assert_allclose(again.losses, first.losses, rtol=1e-5)
    assert first.steps == 2000 // 50 and len(first.accuracy["test"]) == 1


def test_the_monitor_sees_only_training_steps_and_its_hooks_are_removed():
    run = run_settings({"epochs": 1})
    assert len(run.monitor.losses) == run.steps and not run.monitor._handles
    assert all(len(run.monitor.history[name]["grad"]) == run.steps for name in run.monitor.names)


def test_a_run_stops_three_steps_after_its_first_nan():
    run = run_case(2)
    assert run.steps == run.monitor.first_nonfinite.step + 4


def test_the_summary_and_the_pictures_show_the_run(number=6):
    run = run_case(number)
    text = summary(run)
    assert f"{run.losses[0]:.4g}" in text and "validation" in text and "test" in text
    axes = plot_case(number)
    loss_line = axes[0].get_lines()[0].get_ydata()
    np.testing.assert_allclose(loss_line[:3], run.losses[:3])
    assert axes[2].get_ylabel() == "std of the output" and all(ax.get_title() for ax in axes)
    logit_axes = plot_clinic_run(run_case(9), "max_logit")
    assert max(logit_axes[2].get_lines()[0].get_ydata()) == pytest.approx(max(run_case(9).max_logit))
    with pytest.raises(ValueError, match="metric"):
        plot_clinic_run(run, "colour")


def test_the_case_tables_show_steps_0_5_and_the_last_and_says_the_first_nan_once():
    healthy = case_tables(run_settings())
    assert healthy.startswith(summary(run_settings()))
    assert [line.split(",")[0] for line in healthy.splitlines() if line.startswith("step ")] == \
        ["step 0", "step 5", "step 159"]
    broken = run_case(2)
    text = case_tables(broken)
    assert text.count(str(broken.monitor.first_nonfinite)) == 1 and f"step {broken.steps - 1}, loss nan" in text
    assert case_tables(broken, steps=(0, 0, -1, broken.steps - 1, 99)).count("layer ") == 2  # each step once


def test_the_summary_quotes_the_last_loss_and_the_mean_of_the_last_ten_as_the_checks_do():
    run = run_settings()
    assert f"last {run.losses[-1]:.4g}, mean of the last ten {np.mean(run.losses[-10:]):.4g}" in summary(run)
    assert f"mean loss over the last ten steps {facts(run)['lend']:.3g}" in CASES[3].describe(run, CASES[3].measured)


def test_the_healthy_recipe_runs_near_the_top_of_the_useful_band():
    f = facts(run_settings())  # the words of "Read it as the doctor would"
    assert 0.007 <= f["ur0"] <= 0.02 and 2 <= f["ur5"] / f["ur0"] <= 6 and 0.005 <= f["ur_end"] <= 0.02


def test_a_torch_run_leaves_torchs_thread_count_as_it_was():
    import torch

    before = torch.get_num_threads()
    run_case(9, {"dtype": "bfloat16"})
    assert torch.get_num_threads() == before
