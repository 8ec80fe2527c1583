"""Lesson 09, hyperparameter exploration: interactions, the LR range test, grid vs random search, live tuning."""

from course_lib.lessons import ExplorerEntry, Lesson, Timing
from course_lib.lessons.l09_hyperparameter_exploration.checks import (
    check_effective_lr,
    check_log_uniform,
    check_lr_range_test,
    predict_best_candidate,
    check_suggest_lr,
)
from course_lib.lessons.l09_hyperparameter_exploration.explorers import training_explorer

LESSON = Lesson(
    notebook="09_hyperparameter_exploration.ipynb",
    explorers=(
        ExplorerEntry(
            training_explorer,
            small=lambda: training_explorer(n_train=200, n_val=100, epochs=1),
            full=training_explorer,
            timings=(Timing("train (click), default settings", "train"),),
        ),
    ),
    checks=(check_lr_range_test, check_log_uniform, check_suggest_lr, check_effective_lr),
    predictions=(predict_best_candidate,),
)
