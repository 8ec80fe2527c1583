"""The self-check harness (course_lib.ui.checks), on every check the lessons declare."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.lessons import all_lessons
from course_lib.ui.checks import CheckFailed, close, diagnose

CHECKS = [check for lesson in all_lessons() for check in lesson.checks]


def stub(*args, **kwargs):
    raise NotImplementedError("write your code here")


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_every_check_fails_a_stub_with_its_hint_not_a_traceback(check):
    """The student edition's stubs raise NotImplementedError: the learner must read a hint, not a traceback."""
    with pytest.raises(CheckFailed, match="not written yet") as err:
        check(stub)
    assert "Hint:" in str(err.value)
    assert err.value.__cause__ is None and err.value.__suppress_context__


def test_the_lessons_declare_their_checks():
    assert len(CHECKS) >= 30 and len(set(CHECKS)) == len(CHECKS)


@pytest.mark.parametrize(
    ("got", "expected", "is_close"),
    [
        (1.5, 1.5, True), ([1, 2], np.array([1.0, 2.0]), True), (np.float32(0.1), 0.1, True),
        ((1.0, 2.0), [1.0, 2.0 + 1e-12], True), (np.nan, np.nan, True),
        ("1.5", 1.5, False), (1.5 + 0j, 1.5, False), (None, 0.0, False), ([1, [2, 3]], [1, 2], False),
        ({"a": 1}, 1.0, False), (True, 1.0, False), (np.array([True]), np.array([True]), True),
        ([1.0, 2.0], [1.0, 2.0, 3.0], False), (1.0, 1.1, False),
    ],
)
def test_close_compares_numbers_only(got, expected, is_close):
    assert close(got, expected) is is_close


def test_diagnose_picks_the_first_matching_mistake():
    mistakes = [(2.0, "doubled"), (0.5, "halved")]
    assert diagnose(0.5, mistakes, "other") == "halved"
    assert diagnose("0.5", mistakes, "other") == "other"
