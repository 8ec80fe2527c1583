"""Lesson 11, is it really better? Three sets and leakage, K-fold cross-validation, the noise between
runs, measures beyond accuracy, calibration and double descent."""

from course_lib.lessons import ExplorerEntry, Lesson  # noqa: F401  (ExplorerEntry: the explorers' entries)

# -- section helpers: add your imports here, one block each --
# section 4, beyond accuracy (helper C)
from course_lib.lessons.l11_is_it_really_better.beyond import POSITIVE_DIGIT  # noqa: E402
from course_lib.lessons.l11_is_it_really_better.checks import (  # noqa: E402
    check_macro_and_micro_f1, check_per_class_scores, choose_threshold_move, predict_always_no_accuracy)
from course_lib.lessons.l11_is_it_really_better.explorers import threshold_explorer  # noqa: E402
from course_lib.lessons import Timing  # noqa: E402


def _threshold_small():
    """The threshold explorer on 300 made-up images: scores from a Dirichlet, labels mostly the top class."""
    import numpy as np

    rng = np.random.default_rng(4)
    probs = rng.dirichlet(np.full(10, 0.3), size=300)
    y = np.where(rng.random(300) < 0.8, probs.argmax(axis=1), rng.integers(0, 10, 300))
    return threshold_explorer(probs, y)


def _threshold_full():
    from course_lib.lessons.l11_is_it_really_better.beyond import digit_classifier

    return threshold_explorer(*digit_classifier(seed=0), digit=POSITIVE_DIGIT)

LESSON = Lesson(
    notebook="11_is_it_really_better.ipynb",
    explorers=(
        # -- explorers, one entry each --
        ExplorerEntry(threshold_explorer, small=_threshold_small, full=_threshold_full,  # section 4
                      timings=(Timing("threshold", "threshold", (0.3, 0.7)), Timing("digit", "digit", (5, 8)))),
    ),
    checks=(
        # -- checks, one line per section, in section order --
        check_per_class_scores, check_macro_and_micro_f1,  # section 4, beyond accuracy
    ),
    predictions=(
        # -- predictions, one line per section --
        predict_always_no_accuracy, choose_threshold_move,  # section 4, beyond accuracy
    ),
)
