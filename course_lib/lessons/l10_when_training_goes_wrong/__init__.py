"""Lesson 10, when training goes wrong: sanity checks, a training-health dashboard, a clinic of broken runs,
and the remedies for deep networks."""

import numpy as np

from course_lib.lessons import ExplorerEntry, Lesson, Timing

# --- section 4, depth: the layer norm backward, two predictions, the depth explorer ---
from course_lib.lessons.l10_when_training_goes_wrong.checks import check_layer_norm_backward
from course_lib.lessons.l10_when_training_goes_wrong.checks import choose_batch_norm_depth50, choose_plain_depth50
from course_lib.lessons.l10_when_training_goes_wrong.depth import standard_batch
from course_lib.lessons.l10_when_training_goes_wrong.depth_plots import depth_explorer
# --- end of section 4's imports ---

_TINY = np.random.default_rng(0).normal(size=(32, 20)), np.arange(32) % 10  # the depth explorer's small batch

# The lesson's record is completed as its sections land (dashboard, clinic, depth).
LESSON = Lesson(
    notebook="10_when_training_goes_wrong.ipynb",
    explorers=(
        # --- section 4, depth ---
        ExplorerEntry(depth_explorer, small=lambda: depth_explorer(*_TINY, depth=6, width=16), full=lambda: depth_explorer(*standard_batch()), timings=(Timing("depth", "depth", (30, 50)), Timing("kind", "kind", ("batch norm", "residual"))), needs={"clip": {"kind": "plain, large init"}}),
    ),
    checks=(
        # --- section 4, depth ---
        check_layer_norm_backward,
    ),
    predictions=(
        # --- section 4, depth ---
        choose_plain_depth50,
        choose_batch_norm_depth50,
    ),
)
