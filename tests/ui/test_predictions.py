"""Predictions (course_lib.ui.predictions): graded before the answer is shown, never raising, never revealing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_lib.lessons import all_lessons
from course_lib.ui.predictions import Prediction

NUMBER = Prediction("the critical learning rate", truth=lambda: 0.0731, rtol=0.2)
CHOICE = Prediction("what happens", truth=lambda: "diverges", options=("converges", "oscillates", "diverges"))
LESSON_PREDICTIONS = [p for lesson in all_lessons() for p in lesson.predictions]
HOSTILE = {
    "numeric string": "0.07", "complex": 1 + 2j, "list": [0.07], "array": np.array([0.07, 0.08]), "dict": {"lr": 0.07},
    "bool": True, "nan": math.nan, "inf": math.inf, "an object": object(), "an int too large for a float": 10**400,
}


@pytest.mark.parametrize(
    ("guess", "result", "words"),
    [
        (None, None, "in place of None"),
        (0.08, True, "✓ Good prediction"),
        (0.0731, True, "✓"),
        (0.055, False, "a little larger than your guess"),
        (0.04, False, "up to three times larger"),
        (0.5, False, "several times smaller"),
        (0.001, False, "more than ten times larger"),
        (-0.07, False, "other sign"),
        (0, False, "is larger than your guess"),
        (0.0, False, "is larger than your guess"),
        (np.float32(0.07), True, "✓"),
    ],
)
def test_a_number_is_graded_saying_only_which_way_it_is_off(guess, result, words, capsys):
    assert NUMBER(guess) is result
    out = capsys.readouterr().out
    assert words in out and "0.0731" not in out and "0.073" not in out


@pytest.mark.parametrize(("guess", "result", "words"), [(0, True, "exactly right"), (1, False, "is smaller than"), (-2, False, "is larger than")])
def test_a_count_is_right_only_when_exact_and_a_truth_of_zero_is_graded_too(guess, result, words, capsys):
    assert Prediction("the count", truth=lambda: 0, rtol=0)(guess) is result
    assert words in capsys.readouterr().out


@pytest.mark.parametrize(("guess", "result", "words"), [
    ("diverges", True, "✓ Right"), ("converges", False, "✗ Not 'converges'"), ("explodes", False, "not one of the choices"),
    (None, None, "in place of None"), (1, False, "not one of the choices"),
    ("Diverges", True, "✓ Right"), (" DIVERGES ", True, "✓ Right"), ("Converges", False, "✗ Not 'converges'"),
])
def test_a_choice_is_graded_without_naming_the_right_one(guess, result, words, capsys):
    assert CHOICE(guess) is result
    out = capsys.readouterr().out
    assert words in out
    assert result or "diverges" not in out.replace("'converges', 'oscillates', 'diverges'", "")


@pytest.mark.parametrize("prediction", [NUMBER, *LESSON_PREDICTIONS], ids=lambda p: p.question)
@pytest.mark.parametrize("guess", HOSTILE)
def test_a_hostile_guess_is_refused_in_words_never_with_a_traceback(prediction, guess, capsys):
    assert prediction(HOSTILE[guess]) is False
    assert "should be one finite number" in capsys.readouterr().out or prediction.options


@pytest.mark.parametrize("prediction", LESSON_PREDICTIONS, ids=lambda p: p.question)
def test_each_lessons_prediction_grades_its_truth_right_and_a_far_guess_wrong(prediction, capsys):
    truth = prediction.truth()
    assert prediction(truth) is True
    if prediction.options:
        wrong = next(option for option in prediction.options if option != truth)
    else:
        wrong = -truth if truth else 1.0
    assert prediction(wrong) is False
    out = capsys.readouterr().out
    assert "✓" in out and "✗" in out
