"""Lesson 03's explorers: a sigmoid neuron's graph with live gradients, and the finite-difference step h."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.lessons.l03_backpropagation.graph import (
    FUNCTIONS, best_step, error_model, neuron_graph, output_curve, step_size_errors, step_sizes,
)
from course_lib.lessons.l03_backpropagation.plots import (
    ARROW_GID, draw_graph, plot_secant, plot_step_size_errors, plot_tangent,
)
from course_lib.ui.explorer import (
    SLIDER, Explorer, assemble_explorer, clear_axes, draw_message, log_slider, figure_view, show_figure,
)

__all__ = ["gradcheck_explorer", "neuron_explorer"]

# Below this σ'(z) the neuron's gradients are too small to move its weights: the warning on the plot.
_SATURATED = 0.01
# The neuron explorer's losses: the toggle's label -> neuron_graph's name for it.
_LOSSES = {"squared error": "squared", "cross-entropy": "cross_entropy"}
# A gradient check accepts a relative error up to this (see course_lib.numpy_nn.gradcheck.rel_error).
_ACCEPTED = 1e-7


def neuron_explorer(w: float = 0.5, x: float = 2.0, b: float = -0.5, y: float = 1.0,
                    loss: str = "squared error") -> Explorer:
    """Move the inputs of one sigmoid neuron and its loss, and watch every value and gradient in its graph change.

    Left: the computational graph of L = (σ(w·x + b) − y)² (squared error) or L = CE(σ(w·x + b), y)
    (cross-entropy) after a forward and a backward pass. Right: L as a function of w (x, b, y fixed)
    with the tangent whose slope is the ∂L/∂w the graph computed. When σ saturates (σ'(z) < 0.01), a
    message says what that does to the gradient: with squared error it all but vanishes, with
    cross-entropy ∂L/∂z = σ(z) − y stays as large as the error.

    Controls: ``w``, ``x``, ``b`` (sliders over [−6, 6]), ``y`` (the target, [0, 1]), ``loss``
    (squared error or cross-entropy), ``reset``.
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    if loss not in _LOSSES:
        raise ValueError(f"loss must be one of {list(_LOSSES)}; got {loss!r}.")
    graphs = {name: neuron_graph(kind) for name, kind in _LOSSES.items()}
    figure = Figure(figsize=(12, 4.2), layout="constrained")
    ax_graph, ax_curve = figure.subplots(1, 2, width_ratios=[2.3, 1])

    def slider(name: str, value: float, low: float, high: float, step: float) -> Any:
        return widgets.FloatSlider(value=value, min=low, max=high, step=step, description=name,
                                   readout_format=".2f", **SLIDER)

    controls: dict[str, Any] = {
        "w": slider("weight w", w, -6, 6, 0.1), "x": slider("input x", x, -6, 6, 0.1),
        "b": slider("bias b", b, -6, 6, 0.1), "y": slider("target y", y, 0, 1, 0.05),
        "loss": widgets.ToggleButtons(options=list(_LOSSES), value=loss, description="loss"),
    }
    view = figure_view()
    ws = np.linspace(-6, 6, 121)
    shown = {"loss": loss}
    arrows: dict[str, Any] = {"loss": None, "artists": ()}  # the graph's arrows, kept while the graph stays

    def redraw() -> None:
        values = {name: controls[name].value for name in "wxby"}
        graph = graphs[controls["loss"].value]
        curve = output_curve(graph, "w", ws, **{k: v for k, v in values.items() if k != "w"})
        loss_value = graph.forward(**values)
        grads = graph.backward()
        same_graph = arrows["loss"] == controls["loss"].value
        clear_axes(ax_graph, ax_curve, keep=arrows["artists"] if same_graph else ())
        draw_graph(graph, ax=ax_graph, arrows=not same_graph)
        arrows.update(loss=controls["loss"].value,
                      artists=tuple(a for a in ax_graph.get_children() if a.get_gid() == ARROW_GID))
        plot_tangent(ws, curve, values["w"], loss_value, grads["w"], ax=ax_curve, xlabel="w", ylabel="L",
                     title=f"L(w) for x = {values['x']:.2f}, b = {values['b']:.2f}, y = {values['y']:.2f}")
        z = graph["z"].value
        sigma_prime = float(np.exp(-abs(z)) / (1 + np.exp(-abs(z))) ** 2)  # σ(z)(1 − σ(z)), without 1 − σ's rounding
        if sigma_prime < _SATURATED and controls["loss"].value == "squared error":
            draw_message(ax_curve, f"σ is saturated:\nσ'(z) = {sigma_prime:.1e} at z = {z:.1f},\n"
                                   f"so ∂L/∂w = {grads['w']:.1e}:\nhowever wrong ŷ = σ(z) is, a\ngradient "
                                   "step barely moves w and b.", color="darkorange")
        elif sigma_prime < _SATURATED:
            draw_message(ax_curve, f"σ is saturated, σ'(z) = {sigma_prime:.1e},\nbut cross-entropy's "
                                   f"∂L/∂z = ŷ − y = {grads['z']:.2f}:\nthe gradient is as large as the error.",
                         color="darkgreen")
        new_loss, shown["loss"] = shown["loss"] != controls["loss"].value, controls["loss"].value
        show_figure(view, figure, relayout=new_loss)  # another graph has another layout

    return assemble_explorer(figure, controls, redraw, view, [["w", "x", "reset"], ["b", "y"], ["loss"]])


def gradcheck_explorer(function: str = "sin(x) at x = 1", h: float = 1e-5) -> Explorer:
    """Choose the step h of a finite difference and see its error: truncation for big h, round-off for tiny h.

    Left: the relative error against h for the chosen function (measured dots, the predicted
    truncation and round-off terms dashed), with the current h starred. Right: the function, its
    tangent and the secant whose slope the finite difference measures. When the error is above
    1e-7, the level a gradient check accepts, a message says which of the two errors is to blame.

    Controls: ``function`` (a dropdown over :data:`course_lib.lessons.l03_backpropagation.graph.FUNCTIONS`), ``h`` (a log
    slider over 10^-12 .. 10^0), ``scheme`` (central or forward difference), ``reset``.
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    if function not in FUNCTIONS:
        raise ValueError(f"function must be one of {list(FUNCTIONS)}; got {function!r}.")
    figure = Figure(figsize=(12, 4.4), layout="constrained")
    ax_err, ax_fn = figure.subplots(1, 2, width_ratios=[1.2, 1])
    controls: dict[str, Any] = {
        "function": widgets.Dropdown(options=list(FUNCTIONS), value=function, description="f(x)"),
        "h": log_slider("step h", h, -12, 0),
        "scheme": widgets.ToggleButtons(options=["central", "forward"], value="central", description="difference"),
    }
    view = figure_view()
    hs = step_sizes()
    # the measured curve, the two predicted terms and the best h: once per function and scheme
    curves: dict[tuple[str, str], tuple[np.ndarray, tuple[np.ndarray, np.ndarray], float]] = {}
    shown = {"function": function}

    def redraw() -> None:
        name, step, scheme = controls["function"].value, controls["h"].value, controls["scheme"].value
        if (name, scheme) not in curves:
            curves[name, scheme] = (step_size_errors(name, hs, scheme=scheme), error_model(name, hs, scheme=scheme),
                                    best_step(name, scheme=scheme))
        measured, (truncation, round_off), best = curves[name, scheme]
        error = float(step_size_errors(name, [step], scheme=scheme)[0])
        order = "h²" if scheme == "central" else "h"
        clear_axes(ax_err, ax_fn)
        plot_step_size_errors(hs, {f"{scheme} difference, measured": measured}, ax=ax_err,
                              model={f"truncation ∝ {order}": truncation, "round-off ∝ 1/h": round_off},
                              mark=(step, error), threshold=_ACCEPTED, title=f"Relative error of the {scheme} difference")
        plot_secant(FUNCTIONS[name], step, ax=ax_fn, scheme=scheme)
        if error > _ACCEPTED:
            cause = ("h too large: truncation error dominates" if step > best
                     else "h too small: round-off error dominates")
            draw_message(ax_fn, f"{cause}\n(relative error {error:.1e} > {_ACCEPTED:.0e})")
        new_function, shown["function"] = shown["function"] != name, name
        show_figure(view, figure, relayout=new_function)  # another function has other tick labels

    return assemble_explorer(figure, controls, redraw, view, [["function", "h", "reset"], ["scheme"]])
