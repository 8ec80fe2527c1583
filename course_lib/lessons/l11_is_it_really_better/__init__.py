"""Lesson 11, is it really better? Three sets and leakage, K-fold cross-validation, the noise between
runs, measures beyond accuracy, calibration and double descent."""

from course_lib.lessons import ExplorerEntry, Lesson  # noqa: F401  (ExplorerEntry: the explorers' entries)

# -- section helpers: add your imports here, one block each --
# section 5, calibration (helper D)
from course_lib.lessons.l11_is_it_really_better.checks import check_ece, check_fit_temperature, predict_mlp_confidence

LESSON = Lesson(
    notebook="11_is_it_really_better.ipynb",
    explorers=(
        # -- explorers, one entry each --
    ),
    checks=(
        # -- checks, one line per section, in section order --
        check_ece, check_fit_temperature,  # section 5, calibration
    ),
    predictions=(
        # -- predictions, one line per section --
        predict_mlp_confidence,  # section 5, calibration
    ),
)
