"""Lesson 01, gradient descent: loss surfaces, the update rule, learning rates, batch sizes."""

from course_lib.data import make_linear_regression
from course_lib.lessons import ExplorerEntry, Lesson, Timing
from course_lib.lessons.l01_gradient_descent.checks import (
    check_critical_learning_rate, check_descend, check_gradient, check_gradient_step, predict_critical_lr,
)
from course_lib.lessons.l01_gradient_descent.explorers import lr_explorer

LESSON = Lesson(
    notebook="01_gradient_descent.ipynb",
    explorers=(
        ExplorerEntry(
            lr_explorer,
            small=lambda: lr_explorer(*make_linear_regression(30, seed=0), steps=20),
            full=lambda: lr_explorer(*make_linear_regression(seed=0), start=(0.0, 5.0)),
            timings=(Timing("lr", "lr", (0.5, 0.79)),),
        ),
    ),
    checks=(check_descend, check_gradient, check_gradient_step, check_critical_learning_rate),
    predictions=(predict_critical_lr,),
)
