"""Self-checks of lesson 10, when training goes wrong: the learner's update/weight ratio, first-NaN
locator and layer norm backward, and the clinic's diagnoses."""

from __future__ import annotations



# =============================================================================================
# Sanity checks, the dashboard and the NaN triage (checks of the update/weight ratio and the
# first-NaN locator). Section owned by the dashboard work.
# =============================================================================================


# =============================================================================================
# The clinic: grading a diagnosis of a broken run, and its fix.
# Section owned by the clinic work.
# =============================================================================================


# =============================================================================================
# Depth: the learner's layer norm backward, graded by gradient checks.
# Section owned by the depth work.
# =============================================================================================
