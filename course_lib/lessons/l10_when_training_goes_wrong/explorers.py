"""Lesson 10's explorers: the training-health dashboard (section 2) and the depth control (section 4).

Each is controls → one library call → a redrawn figure: ``dashboard_explorer`` redraws
:func:`~.dashboard.plot_dashboard` from a :class:`~.health.HealthMonitor`; ``depth_explorer`` builds a
fresh deep network (:func:`~.depth.build_deep_net`) and draws the gradient norm of every layer
(:func:`~.depth.gradient_norms`, :func:`~.depth_plots.plot_layer_gradients`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from course_lib.lessons.l10_when_training_goes_wrong.dashboard import METRIC_LABELS, monitored_run, plot_dashboard
from course_lib.lessons.l10_when_training_goes_wrong.depth import KINDS, build_deep_net, gradient_norms
from course_lib.lessons.l10_when_training_goes_wrong.depth_plots import plot_layer_gradients
from course_lib.lessons.l10_when_training_goes_wrong.health import METRICS, HealthMonitor
from course_lib.ui.explorer import SLIDER, Explorer, Redraw, assemble_explorer, clear_axes, draw_message, figure_view, show_figure

__all__ = ["dashboard_explorer", "depth_explorer"]


def dashboard_explorer(monitor: HealthMonitor | None = None, **run: Any) -> Explorer:
    """The dashboard under three controls; trains :func:`monitored_run` with ``run`` if no monitor is given.

    Controls: ``layer`` (whose outputs and gradients the histograms show), ``metric`` (panel 6:
    ‖∂L/∂y‖, std, mean, dead, saturated), ``upto`` (the last step shown: scroll back to see how it
    started), ``reset``.
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    monitor = monitor if monitor is not None else monitored_run(**run)
    if monitor.steps == 0:
        raise ValueError("dashboard_explorer: the monitor has recorded no step yet.")
    figure = Figure(figsize=(12, 6.6), layout="constrained")
    figure.subplots(2, 3)
    activations = [n for n in monitor.names if n.split()[-1] != "Linear"] or monitor.names
    controls: dict[str, Any] = {
        "layer": widgets.Dropdown(options=monitor.names, value=activations[-1], description="layer (histograms)",
                                  style=SLIDER["style"]),
        "metric": widgets.Dropdown(options=[(f"{k}: {v}", k) for k, v in METRIC_LABELS.items() if k in METRICS],
                                   value="grad", description="panel 6 shows", style=SLIDER["style"]),
        "upto": widgets.IntSlider(value=monitor.steps - 1, min=0, max=monitor.steps - 1,
                                  description="show steps up to t", **SLIDER),
    }
    view = figure_view()
    shown = {"choices": None}

    def draw() -> None:
        clear_axes(*figure.axes)
        choices = controls["layer"].value, controls["metric"].value
        plot_dashboard(monitor, layer=choices[0], metric=choices[1], upto=controls["upto"].value, figure=figure)
        new_choice, shown["choices"] = shown["choices"] != choices, choices
        show_figure(view, figure, relayout=new_choice)  # moving `upto` keeps the panels where they are

    explorer = assemble_explorer(figure, controls, Redraw(draw), view, [["layer", "metric"], ["upto", "reset"]])
    explorer.monitor = monitor  # type: ignore[attr-defined]
    return explorer


def depth_explorer(X: NDArray, y: NDArray, *, depth: int = 30, kind: str = "plain, default init", clip: bool = False,
                   width: int = 64, seed: int = 0) -> Explorer:
    """Choose a depth (2 to 50 Linear layers) and a network kind; see the gradient norm of every layer.

    One forward/backward pass of a freshly initialised network on the batch ``(X, y)``; the same
    ``seed`` for every redraw, so a setting always shows the same network. With **clip** the
    gradients are clipped to a total norm of 1 first (lesson 06), as a training step would see them.

    Controls: ``depth``, ``kind`` (a key of :data:`~.depth.KINDS`), ``clip``, ``reset``.
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    if kind not in KINDS or not 2 <= depth <= 50:
        raise ValueError(f"depth_explorer: depth must be in 2..50 and kind one of {list(KINDS)}; "
                         f"got depth={depth}, kind={kind!r}.")
    controls: dict[str, Any] = {
        "depth": widgets.IntSlider(value=depth, min=2, max=50, description="depth (Linear layers)", **SLIDER),
        "kind": widgets.Dropdown(options=list(KINDS), value=kind, description="network"),
        "clip": widgets.Checkbox(value=clip, description="clip the gradient norm to 1"),
    }
    figure = Figure(figsize=(8, 4), layout="constrained")
    ax = figure.subplots()
    view = figure_view()

    def redraw() -> None:
        name, layers = controls["kind"].value, controls["depth"].value
        model = build_deep_net(name, layers, width=width, n_in=X.shape[1], rng=np.random.default_rng(seed))
        norms = gradient_norms(model, X, y, clip=1.0 if controls["clip"].value else None)
        clear_axes(ax)
        label = name + (" + clipping" if controls["clip"].value else "")
        plot_layer_gradients({label: norms}, ax, title=f"{name}, {layers} layers: {KINDS[name]}")
        ax.title.set_fontsize(9)
        ax.set_ylim(1e-21, 1e9)  # one scale for every setting, so that vanishing and exploding compare by eye
        if not np.all(np.isfinite(norms) & (norms > 0)):
            draw_message(ax, "Some gradients are exactly 0, inf or NaN: they are left out.")
        elif norms[0] / norms[-1] < 1e-3 or norms[0] / norms[-1] > 1e3:
            draw_message(ax, f"The first layer's gradient is {norms[0] / norms[-1]:.0e} times the last one's.",
                         y=0.85)
        show_figure(view, figure, relayout=False)

    return assemble_explorer(figure, controls, redraw, view, [["depth", "reset"], ["kind", "clip"]])
