"""Lesson 06, overfitting and regularisation: L1/L2, dropout, batch norm, early stopping, augmentation, clipping."""

from course_lib.lessons import ExplorerEntry, Lesson, Timing
from course_lib.lessons.l06_overfitting_and_regularization.checks import (
    check_dropout_backward,
    check_dropout_forward,
    check_dropout_modes,
    choose_degree15_gap,
    choose_eval_output,
    check_ridge_gradient,
    check_soft_threshold,
)
from course_lib.lessons.l06_overfitting_and_regularization.explorers import polynomial_explorer

LESSON = Lesson(
    notebook="06_overfitting_and_regularization.ipynb",
    explorers=(
        ExplorerEntry(
            polynomial_explorer,
            small=lambda: polynomial_explorer(n=10, max_n=20),
            full=polynomial_explorer,
            timings=(Timing("degree", "degree", (3, 15)),),
            needs={"l2": {"penalty": True}},  # with the penalty off, λ = 0 whatever the slider says
        ),
    ),
    checks=(check_ridge_gradient, check_soft_threshold, check_dropout_forward, check_dropout_modes,
            check_dropout_backward),
    predictions=(choose_degree15_gap, choose_eval_output),
)
