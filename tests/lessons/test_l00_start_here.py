"""Lesson 00's self-checks and the harness: right answers pass, wrong ones and stubs fail with a hint, never a traceback."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.lessons.l00_start_here import checks
from course_lib.ui.checks import CheckFailed


def count_digit(labels, digit):
    return int((labels == digit).sum())


def scale_pixels(images):
    return images / 255.0


def batches_per_epoch(n, b, drop_last):
    return n // b if drop_last else -(-n // b)


def stub(*args):
    raise NotImplementedError("write your code here")


RIGHT_AND_WRONG = [
    (checks.check_count_digit, count_digit, lambda labels, digit: len(labels)),
    (checks.check_count_digit, count_digit, lambda labels, digit: (labels == digit).sum() > 0),
    (checks.check_scale_pixels, scale_pixels, lambda images: images // 255),
    (checks.check_scale_pixels, scale_pixels, lambda images: (images / 255.0)[:1]),
    (checks.check_batches_per_epoch, batches_per_epoch, lambda n, b, drop_last: n // b),
    (checks.check_batches_per_epoch, batches_per_epoch, lambda n, b, drop_last: -(-n // b)),
]


@pytest.mark.parametrize(("check", "right", "wrong"), RIGHT_AND_WRONG)
def test_right_passes_and_wrong_fails_with_a_hint(check, right, wrong, assert_teaches):
    assert_teaches(check, right, wrong)


def test_an_exception_in_the_learners_code_is_reported_with_its_input():
    def broken(labels, digit):
        return labels.count(digit)  # a list method, not a NumPy one

    with pytest.raises(CheckFailed, match=r"broken\(array\(\[3, 1, 3, 3, 0\]\), 3\) raised AttributeError"):
        checks.check_count_digit(broken)


def test_check_failures_are_assertion_errors():
    assert issubclass(CheckFailed, AssertionError)
    with pytest.raises(AssertionError):
        checks.check_batches_per_epoch(lambda n, b, d: 0)


def test_a_non_integer_count_is_explained():
    with pytest.raises(CheckFailed, match="whole number"):
        checks.check_count_digit(lambda labels, digit: float((labels == digit).sum()))
    np.testing.assert_equal(count_digit(np.array([1, 1]), 1), 2)


def test_a_count_cannot_pass_by_overwriting_the_labels_it_is_graded_on():
    def overwrite(labels, digit):
        labels[...] = digit  # every label now "matches"
        return labels.size

    # graded, and shown, against the labels as the check made them
    with pytest.raises(CheckFailed, match=r"overwrite\(array\(\[3, 1, 3, 3, 0\]\), 3\) returned 5; expected 3"):
        checks.check_count_digit(overwrite)
