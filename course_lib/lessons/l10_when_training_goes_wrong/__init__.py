"""Lesson 10, when training goes wrong: sanity checks, a training-health dashboard, a clinic of broken runs,
and the remedies for deep networks."""

from course_lib.lessons import ExplorerEntry, Lesson, Timing

# -- the dashboard and the NaN triage (section 2 and 5) --
from course_lib.lessons.l10_when_training_goes_wrong.checks import check_first_nonfinite
from course_lib.lessons.l10_when_training_goes_wrong.dashboard import dashboard_explorer
# -- end of the dashboard's block --

# The lesson's record is completed as its sections land (dashboard, clinic, depth).
LESSON = Lesson(
    notebook="10_when_training_goes_wrong.ipynb",
    explorers=(
        # -- the dashboard --
        ExplorerEntry(dashboard_explorer, small=lambda: dashboard_explorer(steps=6, n_train=200, sizes=(784, 16, 10)), full=lambda: dashboard_explorer(lr=0.03, steps=150), timings=(Timing("histogram layer", "layer", ("1 ReLU", "2 Linear")), Timing("panel 6 metric", "metric", ("grad", "std")), Timing("steps shown", "upto", (40, 149)))),
    ),
    checks=(
        check_first_nonfinite,  # -- the dashboard's exercise --
    ),
)
