"""Lesson 04's explorer: depth, activation and initialisation against per-layer signal and gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.lessons.l04_activation_functions.deep_nets import (
    ACTIVATION_NAMES, gradient_warning, layer_statistics, signal_warning,
)
from course_lib.lessons.l04_activation_functions.plots import plot_layer_activation_std, plot_layer_grad_norms
from course_lib.ui.explorer import SLIDER, Explorer, assemble_explorer, clear_axes, draw_message, figure_view, show_figure

__all__ = ["INIT_CHOICES", "init_explorer"]

#: The initialisations on offer: a label for the menu -> (``init``, ``std``) for layer_statistics.
INIT_CHOICES: dict[str, tuple[str, float]] = {
    "normal, σ = 0.01": ("normal", 0.01),
    "normal, σ = 1": ("normal", 1.0),
    "zeros": ("zeros", 0.0),
    "torch default, U(±1/√n)": ("default", 0.0),
    "Xavier (Glorot) normal": ("xavier_normal", 0.0),
    "He (Kaiming) normal": ("kaiming_normal", 0.0),
}


def init_explorer(
    *,
    depth: int = 10,
    activation: str = "sigmoid",
    init: str = "normal, σ = 0.01",
    width: int = 64,
    n_samples: int = 128,
    seed: int = 0,
) -> Explorer:
    """Choose a network's depth, activation, initialisation and width; see each layer's signal.

    Left: the standard deviation of every layer's activations (the forward signal). Right: the
    norm of every layer's weight gradient (what the optimizer gets to learn with). Both on a log
    scale; a value of exactly 0 or inf is marked on the axis edge, and a signal or gradient that
    vanishes, explodes or is exactly 0 is written across its plot. The same ``seed`` is used for every redraw, so a
    setting always shows the same network.

    Controls: ``depth`` (L, 1 to 30 layers), ``activation``, ``init`` (a key of
    :data:`INIT_CHOICES`), ``width`` (n, units per layer), ``reset``.
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    if activation not in ACTIVATION_NAMES:
        raise ValueError(f"activation must be one of {list(ACTIVATION_NAMES)}; got {activation!r}.")
    if init not in INIT_CHOICES:
        raise ValueError(f"init must be one of {list(INIT_CHOICES)}; got {init!r}.")
    if not 1 <= depth <= 30 or not 16 <= width <= 128:
        raise ValueError(f"depth must be in 1..30 and width in 16..128; got depth={depth}, width={width}.")

    controls: dict[str, Any] = {
        "depth": widgets.IntSlider(value=depth, min=1, max=30, description="depth L (layers)", **SLIDER),
        "activation": widgets.Dropdown(options=list(ACTIVATION_NAMES), value=activation, description="activation f"),
        "init": widgets.Dropdown(options=list(INIT_CHOICES), value=init, description="initialisation"),
        "width": widgets.IntSlider(value=width, min=16, max=128, step=16, description="width n (units)", **SLIDER),
    }
    figure = Figure(figsize=(10, 3.8), layout="constrained")
    ax_act, ax_grad = figure.subplots(1, 2)
    view = figure_view()

    def redraw() -> None:
        init_name, std = INIT_CHOICES[controls["init"].value]
        stats = layer_statistics(
            controls["depth"].value, controls["width"].value, activation=controls["activation"].value,
            init=init_name, std=std, n_samples=n_samples, rng=np.random.default_rng(seed),
        )
        clear_axes(ax_act, ax_grad)
        plot_layer_activation_std(stats, ax=ax_act)
        plot_layer_grad_norms(stats, ax=ax_grad)
        dead = stats.dead_fraction.max()
        figure.suptitle(f"{stats.label}, {stats.depth} layers of {stats.width} units"
                        + (f"; up to {dead:.0%} of a layer's units dead" if dead > 0 else ""))
        for ax, warning in ((ax_act, signal_warning(stats)), (ax_grad, gradient_warning(stats))):
            if warning is not None:
                draw_message(ax, warning)
        show_figure(view, figure, relayout=False)

    return assemble_explorer(figure, controls, redraw, view, [["depth", "width", "reset"], ["activation", "init"]])
