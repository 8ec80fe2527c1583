"""Lesson 10, when training goes wrong: sanity checks, a training-health dashboard, a clinic of broken runs,
and the remedies for deep networks."""

from course_lib.lessons import Lesson

# The lesson's record is completed as its sections land (dashboard, clinic, depth).
LESSON = Lesson(
    notebook="10_when_training_goes_wrong.ipynb",
)
