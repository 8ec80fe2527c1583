"""Lesson 10, when training goes wrong: sanity checks, a training-health dashboard, a clinic of broken runs,
and the remedies for deep networks."""

from course_lib.lessons import ExplorerEntry, Lesson, Timing
from course_lib.lessons.l10_when_training_goes_wrong.checks import (
    check_case_1, check_case_2, check_case_3, check_case_4, check_case_5, check_case_6, check_case_7, check_case_8,
    check_case_9, check_case_10, check_first_nonfinite, check_update_ratio, predict_adam_zero_eps, predict_initial_loss,
)
from course_lib.lessons.l10_when_training_goes_wrong.dashboard import dashboard_explorer

LESSON = Lesson(
    notebook="10_when_training_goes_wrong.ipynb",
    explorers=(
        ExplorerEntry(
            dashboard_explorer,
            small=lambda: dashboard_explorer(steps=6, n_train=200, sizes=(784, 16, 10)),
            full=lambda: dashboard_explorer(lr=0.03, steps=150),
            timings=(Timing("histogram layer", "layer", ("1 ReLU", "2 Linear")),
                     Timing("panel 6 metric", "metric", ("grad", "std")),
                     Timing("steps shown", "upto", (40, 149))),
        ),
    ),
    checks=(
        check_update_ratio,  # section 1, sanity checks
        check_first_nonfinite,  # section 2, the dashboard
        check_case_1, check_case_2, check_case_3, check_case_4, check_case_5,  # section 3, the clinic
        check_case_6, check_case_7, check_case_8, check_case_9, check_case_10,
    ),
    predictions=(predict_initial_loss, predict_adam_zero_eps),
)
