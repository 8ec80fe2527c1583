"""Lesson 11's explorers: the decision threshold of a binary classifier, and the width of a model
around the double-descent peak."""

from __future__ import annotations


# =============================================================================================
# Section 4: the decision threshold (helper C)
# =============================================================================================

from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from numpy.typing import ArrayLike  # noqa: E402

from course_lib.lessons.l11_is_it_really_better.beyond import (  # noqa: E402
    POSITIVE_DIGIT, is_digit, plot_threshold_view, threshold_curves, threshold_figure)
from course_lib.ui.explorer import SLIDER, Explorer, assemble_explorer, clear_axes, show_figure  # noqa: E402


def threshold_explorer(probs: ArrayLike, y: ArrayLike, *, digit: int = POSITIVE_DIGIT,
                       threshold: float = 0.5) -> Explorer:
    """Move the decision threshold τ of "is it ``digit``?" and see everything it decides move together.

    The score of an image is the classifier's probability of ``digit`` (a column of ``probs``, (N, C));
    an image is flagged when its score is at least τ. Five panels (:func:`~.beyond.plot_threshold_view`):
    the scores with τ, the 2 × 2 confusion matrix, accuracy/precision/recall/F1, the ROC curve and the
    precision–recall curve, each with τ's point.

    Controls: ``threshold`` (τ), ``digit`` (the positive class), ``reset``.
    """
    import ipywidgets as widgets

    probs, y = np.asarray(probs, dtype=np.float64), np.asarray(y)
    is_digit(probs, y, digit)  # refuses bad shapes or a digit out of range before anything is drawn
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold_explorer: the threshold is a probability in [0, 1], got {threshold!r}.")
    controls: dict[str, Any] = {
        "threshold": widgets.FloatSlider(value=threshold, min=0.0, max=1.0, step=0.01,
                                         description="decision threshold τ", readout_format=".2f", **SLIDER),
        "digit": widgets.Dropdown(options=list(range(probs.shape[1])), value=digit, description="positive class: digit"),
    }
    figure, axes = threshold_figure()
    output = widgets.Output()
    curves: dict[int, Any] = {}  # the ROC and PR curves do not depend on τ: one computation per digit

    def redraw() -> None:
        d = controls["digit"].value
        labels, scores = is_digit(probs, y, d)
        if d not in curves:
            curves[d] = threshold_curves(labels, scores)
        clear_axes(*axes.values())
        plot_threshold_view(axes, labels, scores, controls["threshold"].value, curves[d], digit=d)
        show_figure(output, figure, relayout=False)

    return assemble_explorer(figure, controls, redraw, output, [["threshold", "reset"], ["digit"]])


# =============================================================================================
# Section 6: double descent (helper E)
# =============================================================================================
