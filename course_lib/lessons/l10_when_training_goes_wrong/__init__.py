"""Lesson 10, when training goes wrong: sanity checks, a training-health dashboard, a clinic of broken runs,
and the remedies for deep networks."""

import numpy as np

from course_lib.lessons import ExplorerEntry, Lesson, Timing
from course_lib.lessons.l10_when_training_goes_wrong.checks import (
    check_case_1, check_case_2, check_case_3, check_case_4, check_case_5, check_case_6, check_case_7, check_case_8,
    check_case_9, check_case_10, check_first_nonfinite, check_layer_norm_backward, check_update_ratio,
    choose_batch_norm_depth50, choose_plain_depth50, predict_adam_zero_eps, predict_initial_loss,
)
from course_lib.lessons.l10_when_training_goes_wrong.depth import standard_batch
from course_lib.lessons.l10_when_training_goes_wrong.explorers import dashboard_explorer, depth_explorer

_TINY = np.random.default_rng(0).normal(size=(32, 20)), np.arange(32) % 10  # the depth explorer's small batch

LESSON = Lesson(
    notebook="10_when_training_goes_wrong.ipynb",
    explorers=(
        ExplorerEntry(
            dashboard_explorer,
            small=lambda: dashboard_explorer(steps=6, n_train=200, sizes=(784, 16, 10)),
            full=lambda: dashboard_explorer(lr=0.03, steps=150),
            timings=(Timing("histogram layer", "layer", ("1 ReLU", "2 Linear")),
                     Timing("panel 6 metric", "metric", ("grad", "std")),
                     Timing("steps shown", "upto", (40, 149))),
        ),
        ExplorerEntry(
            depth_explorer,
            small=lambda: depth_explorer(*_TINY, depth=6, width=16),
            full=lambda: depth_explorer(*standard_batch()),
            timings=(Timing("depth", "depth", (30, 50)), Timing("kind", "kind", ("batch norm", "residual"))),
            needs={"clip": {"kind": "plain, large init"}},
        ),
    ),
    checks=(
        check_update_ratio,  # section 1, sanity checks
        check_first_nonfinite,  # section 2, the dashboard
        check_case_1, check_case_2, check_case_3, check_case_4, check_case_5,  # section 3, the clinic
        check_case_6, check_case_7, check_case_8, check_case_9, check_case_10,
        check_layer_norm_backward,  # section 4, depth
    ),
    predictions=(predict_initial_loss, choose_plain_depth50, choose_batch_norm_depth50, predict_adam_zero_eps),
)
