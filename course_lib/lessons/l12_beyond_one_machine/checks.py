"""Self-checks of lesson 12, beyond one machine: the learner's per-rank sharding and ring all-reduce."""

from __future__ import annotations

from course_lib.ui.checks import Harness, Hints  # noqa: F401
from course_lib.ui.predictions import Prediction  # noqa: F401


# =============================================================================================
# Section 1: data parallelism simulated in NumPy (helper A)
# =============================================================================================


# =============================================================================================
# Sections 2-4: the proof, the engine, the cost (helper B)
# =============================================================================================
