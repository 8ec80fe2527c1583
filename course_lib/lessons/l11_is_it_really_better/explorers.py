"""Lesson 11's explorers: the decision threshold of a binary classifier, and the width of a model
around the double-descent peak."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from course_lib.lessons.l11_is_it_really_better.beyond import (
    POSITIVE_DIGIT, ThresholdView, is_digit, threshold_curves, threshold_figure,
)
from course_lib.lessons.l11_is_it_really_better.double_descent import (
    frozen_first_layer, make_width_problem, plot_sweep, plot_width_fit, sweep_widths, width_sweep,
)
from course_lib.ui.explorer import SLIDER, Explorer, assemble_explorer, clear_axes, figure_view, show_figure


# =============================================================================================
# Section 4: the decision threshold (helper C)
# =============================================================================================


def threshold_explorer(probs: ArrayLike, y: ArrayLike, *, digit: int = POSITIVE_DIGIT,
                       threshold: float = 0.5) -> Explorer:
    """Move the decision threshold τ of "is it ``digit``?" and see everything it decides move together.

    The score of an image is the classifier's probability of ``digit`` (a column of ``probs``, (N, C));
    an image is flagged when its score is at least τ. Five panels (:class:`~.beyond.ThresholdView`, made
    once and changed in place at each redraw): the scores with τ, the 2 × 2 confusion matrix,
    accuracy/precision/recall/F1, the ROC curve and the precision–recall curve, each with τ's point.

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
    panels = ThresholdView(axes)
    view = figure_view()
    curves: dict[int, Any] = {}  # the ROC and PR curves do not depend on τ: one computation per digit

    def redraw() -> None:
        d = controls["digit"].value
        labels, scores = is_digit(probs, y, d)
        if d not in curves:
            curves[d] = threshold_curves(labels, scores)
        panels.show(labels, scores, controls["threshold"].value, curves[d], digit=d)
        show_figure(view, figure, relayout=False)

    return assemble_explorer(figure, controls, redraw, view, [["threshold", "reset"], ["digit"]])


# =============================================================================================
# Section 6: double descent (helper E)
# =============================================================================================


RIDGES = (("0", 0.0), ("1e-6", 1e-6), ("1e-4", 1e-4), ("1e-2", 1e-2))  # the ridge control's choices, λ
DECADES = (1e-9, 1e-6, 1e-3, 1.0, 1e3, 1e6, 1e9, 1e12)  # the test curve's y ticks


def double_descent_explorer(*, n_train: int = 40, width: int = 40, noise: float = 0.3, ridge: float = 0.0,
                            seed: int = 0) -> Explorer:
    """Move the width of the random-feature network; see its fit (left) and where it sits on the test curve (right).

    Controls: ``width`` (hidden units, 1 to 10·N on a log scale), ``noise`` (the labels' standard
    deviation), ``ridge`` (λ; 0 is the minimum-norm fit), ``reset``. One seed draws the data and the
    first layer; the curve on the right is that seed's sweep, computed once per (noise, ridge).
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure
    from matplotlib.ticker import NullLocator

    widths = sweep_widths(n_train)
    if width not in widths or ridge not in dict(RIDGES).values():
        raise ValueError(f"double_descent_explorer: width must be one of {list(widths)} and ridge one of "
                         f"{[v for _, v in RIDGES]}; got width={width!r}, ridge={ridge!r}.")
    layer = frozen_first_layer(int(widths.max()), seed=seed)
    sweeps: dict[tuple[float, float], Any] = {}
    controls: dict[str, Any] = {
        "width": widgets.SelectionSlider(options=[int(w) for w in widths], value=int(width),
                                         description="width (hidden units)", **SLIDER),
        "noise": widgets.FloatSlider(value=noise, min=0.0, max=0.6, step=0.05, description="label noise σ",
                                     **SLIDER),
        "ridge": widgets.SelectionSlider(options=RIDGES, value=ridge, description="ridge λ", **SLIDER),
    }
    figure = Figure(figsize=(11, 4), layout="constrained")
    ax_fit, ax_curve = figure.subplots(1, 2)
    view = figure_view()

    def redraw() -> None:
        p, sigma, lam = controls["width"].value, controls["noise"].value, controls["ridge"].value
        if (sigma, lam) not in sweeps:
            sweeps[sigma, lam] = width_sweep(widths, seeds=(seed,), n_train=n_train, noise=sigma, ridge=lam)
        sweep = sweeps[sigma, lam]
        clear_axes(ax_fit, ax_curve)
        plot_width_fit(make_width_problem(n_train, noise=sigma, seed=seed), layer, p, ax_fit, ridge=lam)
        plot_sweep(sweep, ax_curve, label=f"σ {sigma:g}, λ {lam:g}")
        k = list(sweep.widths).index(p)
        ax_curve.plot([p], [sweep.test[0, k]], "o", color="C3", markersize=8)
        ax_curve.set_ylim(1e-10, 1e12)  # one scale for every setting: the peak can pass 1e9, no noise falls to 1e-9
        ax_curve.set_yticks(DECADES)  # a few labelled decades and no minor ticks: a third of the redraw saved
        ax_curve.yaxis.set_minor_locator(NullLocator())
        ax_curve.set_title(f"test (solid) and train (dotted) error; the dot: width {p}", fontsize=10)
        show_figure(view, figure, relayout=False)  # the titles keep their size: the last layout still fits

    return assemble_explorer(figure, controls, redraw, view, [["width", "reset"], ["noise", "ridge"]])
