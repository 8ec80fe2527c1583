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
from collections.abc import Callable, Mapping
from typing import Any

from course_lib.lessons.l10_when_training_goes_wrong.clinic_cases import (
    CASES,
    CAUSES,
    normalise_cause,
    wrong_cause_why,
)
from course_lib.ui.checks import CheckFailed, Harness, Hints, describe


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
# Section owned by the depth work.
# =============================================================================================
