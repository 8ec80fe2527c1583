"""Lesson 04, activation functions: the nonlinearities, vanishing gradients, Xavier and He initialisation."""

from course_lib.lessons import ExplorerEntry, Lesson, Timing
from course_lib.lessons.l04_activation_functions.checks import (
    check_count_dead_units,
    check_steady_scale,
    check_layer_stats,
    check_leaky_relu_derivative,
    check_tanh_derivative,
    choose_relu_lecun_trend,
    predict_relu_lecun_factor,
)
from course_lib.lessons.l04_activation_functions.explorers import init_explorer

LESSON = Lesson(
    notebook="04_activation_functions.ipynb",
    explorers=(
        ExplorerEntry(
            init_explorer,
            small=lambda: init_explorer(depth=4, width=16, n_samples=16),
            full=init_explorer,
            timings=(Timing("depth", "depth", (20, 30)),),
        ),
    ),
    checks=(check_layer_stats, check_steady_scale, check_tanh_derivative, check_leaky_relu_derivative,
            check_count_dead_units),
    predictions=(choose_relu_lecun_trend, predict_relu_lecun_factor),
)
