"""Lesson 02, loss functions: MSE, MAE, Huber, cross-entropy, and computing them stably."""

from course_lib.lessons import ExplorerEntry, Lesson, Timing
from course_lib.lessons.l02_loss_functions.checks import (
    check_bce_with_logits, check_huber, check_log_sum_exp, check_softmax_cross_entropy_grad, predict_softmax_twice_loss)
from course_lib.lessons.l02_loss_functions.explorers import loss_explorer

LESSON = Lesson(
    notebook="02_loss_functions.ipynb",
    explorers=(
        ExplorerEntry(
            loss_explorer,
            small=loss_explorer,
            # ŷ and δ shape the regression view's curves, z the classification view's; each view hides the others
            needs={"prediction": {"view": "regression"}, "delta": {"view": "regression"},
                   "logit": {"view": "classification"}},
            timings=(
                Timing("prediction (regression)", "prediction", (1.0, -1.0)),
                Timing("logit (classification)", "logit", (-10.0, 2.0), preset={"view": "classification"}),
            ),
        ),
    ),
    checks=(check_softmax_cross_entropy_grad, check_huber, check_log_sum_exp, check_bce_with_logits),
    predictions=(predict_softmax_twice_loss,),
)
