"""Lesson 03, backpropagation: computational graphs, the chain rule, gradient checking."""

from course_lib.lessons import ExplorerEntry, Lesson, Timing
from course_lib.lessons.l03_backpropagation.checks import (
    check_backward,
    check_linear_backward,
    check_neuron_gradients,
    check_sigmoid_backward,
    check_two_layer_training,
    choose_max_gate_receivers,
    predict_tiny_step_error,
)
from course_lib.lessons.l03_backpropagation.explorers import gradcheck_explorer, neuron_explorer

LESSON = Lesson(
    notebook="03_backpropagation.ipynb",
    explorers=(
        ExplorerEntry(neuron_explorer, small=neuron_explorer, timings=(Timing("w", "w", (1.0, 2.0)),)),
        ExplorerEntry(gradcheck_explorer, small=gradcheck_explorer, timings=(Timing("h", "h", (1e-3, 1e-8)),)),
    ),
    checks=(check_backward, check_two_layer_training, check_neuron_gradients, check_sigmoid_backward, check_linear_backward),
    predictions=(choose_max_gate_receivers, predict_tiny_step_error),
)
