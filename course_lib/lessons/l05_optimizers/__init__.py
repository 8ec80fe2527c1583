"""Lesson 05, optimizers: SGD, momentum, Nesterov, Adagrad, RMSprop, Adam, AdamW and schedules."""

from course_lib.lessons import ExplorerEntry, Lesson, Timing
from course_lib.lessons.l05_optimizers.checks import (
    check_adam_step, check_momentum_step, check_nesterov_step, check_rosenbrock_grad, choose_lowest_on_the_bowl,
)
from course_lib.lessons.l05_optimizers.explorers import optimizer_explorer

LESSON = Lesson(
    notebook="05_optimizers.ipynb",
    explorers=(
        ExplorerEntry(
            optimizer_explorer,
            small=lambda: optimizer_explorer(steps=20),
            full=lambda: optimizer_explorer("Adam", "rosenbrock", lr=0.05, steps=150),
            timings=(Timing("lr", "lr", (0.01, 0.1)),),
            # each optimizer reads only its own sliders (the others are greyed out); β₂ is also RMSprop's α
            needs={"momentum": {"optimizer": "momentum"}, "beta1": {"optimizer": "Adam"},
                   "beta2": ({"optimizer": "Adam"}, {"optimizer": "RMSprop"}), "second_lr": {"second": "SGD"}},
        ),
    ),
    checks=(check_momentum_step, check_nesterov_step, check_adam_step, check_rosenbrock_grad),
    predictions=(choose_lowest_on_the_bowl,),
)
