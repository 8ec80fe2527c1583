"""Lesson 11's explorers: the decision threshold of a binary classifier, and the width of a model
around the double-descent peak."""

from __future__ import annotations


# =============================================================================================
# Section 4: the decision threshold (helper C)
# =============================================================================================


# =============================================================================================
# Section 6: double descent (helper E)
# =============================================================================================
