"""Lesson 11, is it really better? Three sets and leakage, K-fold cross-validation, the noise between
runs, measures beyond accuracy, calibration and double descent."""

from course_lib.lessons import ExplorerEntry, Lesson  # noqa: F401  (ExplorerEntry: the explorers' entries)

# -- section helpers: add your imports here, one block each --

# section 6, double descent (helper E)
from course_lib.lessons import Timing  # noqa: E402
from course_lib.lessons.l11_is_it_really_better.checks import check_min_norm_fit, choose_double_descent_peak  # noqa: E402
from course_lib.lessons.l11_is_it_really_better.explorers import double_descent_explorer  # noqa: E402

LESSON = Lesson(
    notebook="11_is_it_really_better.ipynb",
    explorers=(
        # -- explorers, one entry each --
        ExplorerEntry(  # section 6, double descent
            double_descent_explorer,
            small=lambda: double_descent_explorer(n_train=12, width=12),
            full=double_descent_explorer,
            timings=(Timing("width", "width", (40, 400)), Timing("label noise", "noise", (0.3, 0.0)),
                     Timing("ridge", "ridge", (0.0, 1e-4))),
        ),
    ),
    checks=(
        # -- checks, one line per section, in section order --
        check_min_norm_fit,  # section 6, double descent
    ),
    predictions=(
        # -- predictions, one line per section --
        choose_double_descent_peak,  # section 6, double descent
    ),
)
