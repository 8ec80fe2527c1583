"""Lesson 02's explorer: move one prediction and watch each loss, and its gradient, respond."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.lessons.l02_loss_functions.loss_curves import classification_curves, regression_curves
from course_lib.numpy_nn.functional import sigmoid_forward
from course_lib.lessons.l02_loss_functions.plots import plot_loss_curves
from course_lib.ui.explorer import SLIDER, Explorer, assemble_explorer, clear_axes, draw_message, figure_view, show_figure

__all__ = ["loss_explorer"]

_GRID_POINTS = 301
_LOGIT_RANGE = 10.0  # σ(±10) is within 5e-5 of 0 or 1: far enough to see a gradient vanish
_REGRESSION_RANGE = 3.0


def loss_explorer(*, target: float = 0.0, label: float = 1.0) -> Explorer:
    """One prediction against one target: the losses (left) and their gradients (right).

    ``regression`` view: MSE, MAE and Huber of a prediction ŷ against the target y = ``target``.
    ``classification`` view: binary cross-entropy of a logit z against the label y = ``label``,
    next to the squared error on the probability σ(z); a confidently wrong z shows a message
    where the squared error's gradient has all but vanished.

    Controls: ``view`` (regression / classification), ``prediction`` (ŷ), ``delta`` (Huber's δ),
    ``logit`` (z), ``reset``.
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    if not 0.0 <= label <= 1.0:
        raise ValueError(f"label must be a probability in [0, 1] (usually 0 or 1), got {label!r}.")
    target = float(target)
    view = widgets.ToggleButtons(options=["regression", "classification"], value="regression", description="view")
    prediction = widgets.FloatSlider(
        value=target + 1.5, min=target - _REGRESSION_RANGE, max=target + _REGRESSION_RANGE, step=0.05,
        description="prediction ŷ", readout_format=".2f", **SLIDER,
    )
    delta = widgets.FloatSlider(value=1.0, min=0.1, max=3.0, step=0.1, description="Huber δ", readout_format=".1f", **SLIDER)
    logit = widgets.FloatSlider(
        value=-2.0, min=-_LOGIT_RANGE, max=_LOGIT_RANGE, step=0.1, description="logit z", readout_format=".1f", **SLIDER
    )
    controls = {"view": view, "prediction": prediction, "delta": delta, "logit": logit}

    figure = Figure(figsize=(10, 3.9), layout="constrained")
    ax_loss, ax_grad = figure.subplots(1, 2)
    picture = figure_view()
    grids: dict[tuple, Any] = {}  # the full curves depend only on the view and δ: compute them once

    def curves(key: tuple, make: Any) -> Any:
        if key not in grids:
            grids[key] = make()
        return grids[key]

    def draw_regression() -> None:
        d, y_hat = delta.value, prediction.value
        lo, hi = prediction.min, prediction.max
        full = curves(("regression", d), lambda: regression_curves(np.linspace(lo, hi, _GRID_POINTS), target, delta=d))
        here = regression_curves(y_hat, target, delta=d)
        names = {"Huber": f"Huber (δ = {d:.1f})"}
        plot_loss_curves(full, ax_loss, marker=here, labels=names,
                         title=f"Losses at ŷ = {y_hat:.2f} (target y = {target:g})")
        plot_loss_curves(full, ax_grad, kind="grad", marker=here, labels=names,
                         title=f"Gradients dL/dŷ at ŷ = {y_hat:.2f}")

    def draw_classification() -> None:
        z = logit.value
        full = curves(("classification",), lambda: classification_curves(np.linspace(logit.min, logit.max, _GRID_POINTS), label))
        here = classification_curves(z, label)
        p = float(sigmoid_forward(z)[0])
        plot_loss_curves(full, ax_loss, marker=here, xlabel="logit $z$",
                         title=f"Losses at z = {z:.1f}: p = σ(z) = {p:.3g} (label y = {label:g})")
        wrong_side_up = label >= 0.5  # gradients σ(z) - y lie below 0 for y = 1: keep the band above free
        plot_loss_curves(full, ax_grad, kind="grad", marker=here, xlabel="logit $z$", ylabel="gradient $dL/dz$",
                         title=f"Gradients dL/dz at z = {z:.1f}", legend_loc="lower right" if wrong_side_up else "upper left")
        lo, hi = ax_grad.get_ylim()
        span = hi - lo  # room for the message, on the side the curves leave empty
        ax_grad.set_ylim((lo, hi + 0.8 * span) if wrong_side_up else (lo - 0.8 * span, hi))
        ce, squared = here.grad["cross-entropy"][0], here.grad["squared error on σ(z)"][0]
        if abs(ce) > 0.5 and abs(squared) < 0.01 * abs(ce):  # wrong side, and squared error has stalled
            message = draw_message(ax_grad, f"confidently wrong: p = {p:.2g} for label {label:g}.\n"
                                            f"cross-entropy still pushes with slope {ce:.2f};\n"
                                            f"squared error's slope is only {squared:.1g}")
            message.set_y(0.8 if wrong_side_up else 0.2)

    shown = {"view": view.value}

    def redraw() -> None:
        regression = view.value == "regression"
        prediction.layout.display = delta.layout.display = None if regression else "none"
        logit.layout.display = "none" if regression else None
        clear_axes(ax_loss, ax_grad)
        if regression:
            draw_regression()
        else:
            draw_classification()
        new_view, shown["view"] = shown["view"] != view.value, view.value
        show_figure(picture, figure, relayout=new_view)  # the other view has other tick labels

    return assemble_explorer(figure, controls, redraw, picture, [["view", "reset"], ["prediction", "delta", "logit"]])
