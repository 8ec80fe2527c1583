"""Lesson 10, when training goes wrong: sanity checks, a training-health dashboard, a clinic of broken runs,
and the remedies for deep networks."""

from course_lib.lessons import Lesson
from course_lib.lessons.l10_when_training_goes_wrong.checks import check_update_ratio, predict_initial_loss

# The lesson's record is completed as its sections land (dashboard, clinic, depth).
LESSON = Lesson(
    notebook="10_when_training_goes_wrong.ipynb",
    checks=(
        # section 1, sanity checks before training
        check_update_ratio,
    ),
    predictions=(
        # section 1, sanity checks before training
        predict_initial_loss,
    ),
)
