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

from course_lib.lessons.l10_when_training_goes_wrong.dashboard import (
    METRIC_LABELS, PANELS_OF, monitored_run, plot_dashboard,
)
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

    A redraw draws again only the panels its changed control affects (:data:`~.dashboard.PANELS_OF`).
    Moving ``upto`` keeps the layout; a new layer or metric keeps it while the redrawn panels' titles
    and labels fit in the room the last layout gave them, and lays the figure out again otherwise.
    """
    import ipywidgets as widgets
    from IPython import get_ipython
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
    shown: dict[str, Any] = {}  # the value of each control at the last redraw
    room: dict[Any, NDArray] = {}  # how far each panel reached out of its axes at the last layout
    unchecked: set[Any] = set()  # the panels redrawn since, not yet measured against their room

    def draw() -> None:
        now = {name: controls[name].value for name in ("layer", "metric", "upto")}
        changed = [name for name in now if shown.get(name) != now[name]]
        panels = tuple(sorted({p for name in changed for p in PANELS_OF[name]}))  # only those the change affects
        redrawn = [figure.axes[p] for p in panels]
        shown.update(now)
        clear_axes(*redrawn)
        plot_dashboard(monitor, figure=figure, panels=panels, **now)
        # The layout takes half a redraw. Moving `upto` keeps it, as a slider should. A new layer or metric
        # lays the panels out again only if a panel redrawn since the last layout no longer fits its room.
        unchecked.update(redrawn)
        choice = {"layer", "metric"} & set(changed)
        relayout = not room or bool(choice) and any(np.any(_overhang(ax) > room[ax] + 0.5) for ax in unchecked)
        show_figure(view, figure, relayout=relayout)
        if choice or relayout:
            unchecked.clear()
        if relayout and get_ipython() is not None:  # drawn and laid out (outside IPython nothing is drawn)
            room.update({ax: _overhang(ax) for ax in figure.axes})

    explorer = assemble_explorer(figure, controls, Redraw(draw), view, [["layer", "metric"], ["upto", "reset"]])
    explorer.monitor = monitor  # type: ignore[attr-defined]
    return explorer


def _overhang(ax: Any) -> NDArray:
    """How far (px) the title, tick labels and axis labels of ``ax`` reach out of it: left, bottom, right, top."""
    from matplotlib.transforms import Bbox

    renderer = ax.get_figure(root=True).canvas.get_renderer()
    parts = [ax.xaxis.get_tightbbox(renderer, for_layout_only=True),
             ax.yaxis.get_tightbbox(renderer, for_layout_only=True), ax.title.get_window_extent(renderer)]
    box, inner = Bbox.union([b for b in parts if b is not None]), ax.get_window_extent()
    return np.array([inner.x0 - box.x0, inner.y0 - box.y0, box.x1 - inner.x1, box.y1 - inner.y1])


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
