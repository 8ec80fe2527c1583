"""Lesson 10, when training goes wrong: sanity checks, a training-health dashboard, a clinic of broken runs,
and the remedies for deep networks."""

from course_lib.lessons import Lesson
from course_lib.lessons.l10_when_training_goes_wrong.checks import (  # -- section 3, the clinic --
    check_case_1,
    check_case_2,
    check_case_3,
    check_case_4,
    check_case_5,
    check_case_6,
    check_case_7,
    check_case_8,
    check_case_9,
    check_case_10,
)

# The lesson's record is completed as its sections land (dashboard, clinic, depth).
LESSON = Lesson(
    notebook="10_when_training_goes_wrong.ipynb",
    checks=(
        # -- section 3, the clinic: one check per broken run, in notebook order --
        check_case_1,
        check_case_2,
        check_case_3,
        check_case_4,
        check_case_5,
        check_case_6,
        check_case_7,
        check_case_8,
        check_case_9,
        check_case_10,
    ),
)
