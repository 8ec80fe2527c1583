"""Lesson 11, is it really better? Three sets and leakage, k-fold cross-validation, the noise between
runs, measures beyond accuracy, calibration and double descent."""

import numpy as np

from course_lib.lessons import ExplorerEntry, Lesson, Timing
from course_lib.lessons.l11_is_it_really_better.beyond import POSITIVE_DIGIT, digit_classifier
from course_lib.lessons.l11_is_it_really_better.checks import (
    check_bootstrap_interval, check_ece, check_fit_temperature, check_kfold_scores, check_macro_and_micro_f1,
    check_min_norm_fit, check_per_class_scores, choose_double_descent_peak, choose_threshold_move,
    predict_always_no_accuracy, predict_mlp_confidence, predict_seed_range, predict_selection_leak,
)
from course_lib.lessons.l11_is_it_really_better.explorers import double_descent_explorer, threshold_explorer


def _threshold_small():
    """The threshold explorer on 300 made-up images: scores from a Dirichlet, labels mostly the top class."""
    rng = np.random.default_rng(4)
    probs = rng.dirichlet(np.full(10, 0.3), size=300)
    y = np.where(rng.random(300) < 0.8, probs.argmax(axis=1), rng.integers(0, 10, 300))
    return threshold_explorer(probs, y)


LESSON = Lesson(
    notebook="11_is_it_really_better.ipynb",
    explorers=(
        ExplorerEntry(  # section 4, beyond accuracy
            threshold_explorer,
            small=_threshold_small,
            full=lambda: threshold_explorer(*digit_classifier(seed=0), digit=POSITIVE_DIGIT),
            timings=(Timing("threshold", "threshold", (0.3, 0.7)), Timing("digit", "digit", (5, 8))),
        ),
        ExplorerEntry(  # section 6, double descent
            double_descent_explorer,
            small=lambda: double_descent_explorer(n_train=12, width=12),
            full=double_descent_explorer,
            timings=(Timing("width", "width", (40, 400)), Timing("label noise", "noise", (0.3, 0.0)),
                     Timing("ridge", "ridge", (0.0, 1e-4))),
        ),
    ),
    checks=(
        check_kfold_scores,  # sections 1-2, three sets and k-fold cross-validation
        check_bootstrap_interval,  # section 3, the noise between runs
        check_per_class_scores, check_macro_and_micro_f1,  # section 4, beyond accuracy
        check_ece, check_fit_temperature,  # section 5, calibration
        check_min_norm_fit,  # section 6, double descent
    ),
    predictions=(
        predict_selection_leak, predict_seed_range, predict_always_no_accuracy, choose_threshold_move,
        predict_mlp_confidence, choose_double_descent_peak,
    ),
)
