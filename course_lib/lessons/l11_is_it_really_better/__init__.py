"""Lesson 11, is it really better? Three sets and leakage, K-fold cross-validation, the noise between
runs, measures beyond accuracy, calibration and double descent."""

from course_lib.lessons import ExplorerEntry, Lesson  # noqa: F401  (ExplorerEntry: the explorers' entries)

# -- section helpers: add your imports here, one block each --

# section 3, the noise between runs
from course_lib.lessons.l11_is_it_really_better.checks import check_bootstrap_interval, predict_seed_range

LESSON = Lesson(
    notebook="11_is_it_really_better.ipynb",
    explorers=(
        # -- explorers, one entry each --
    ),
    checks=(
        # -- checks, one line per section, in section order --
        check_bootstrap_interval,  # section 3, the noise between runs
    ),
    predictions=(
        # -- predictions, one line per section --
        predict_seed_range,  # section 3, the noise between runs
    ),
)
