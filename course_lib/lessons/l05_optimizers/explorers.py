"""Lesson 05's explorer: pick an optimizer, its settings, a surface and a start; watch the path.

Wiring only: the path comes from ``race.run_optimizer``, the optimizer from ``race.lesson_optimizer``,
the drawing from ``plots``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from course_lib.lessons.l05_optimizers.plots import plot_loss_per_step, plot_paths, plot_surface
from course_lib.lessons.l05_optimizers.flawed_adam import FLAWED_ADAM
from course_lib.recipes import OPTIMIZERS
from course_lib.lessons.l05_optimizers.surfaces import SURFACES
from course_lib.lessons.l05_optimizers.race import lesson_optimizer, run_optimizer
from course_lib.ui.explorer import (
    SLIDER, Explorer, Redraw, assemble_explorer, clear_axes, draw_message, log_slider, show_figure,
)

__all__ = ["optimizer_explorer"]

# Which of the sliders each optimizer reads; the others are greyed out.
_USES = {
    "SGD": set(),
    "momentum": {"momentum"},
    "nesterov": {"momentum"},
    "Adagrad": set(),
    "RMSprop": {"beta2"},
    "Adam": {"beta1", "beta2"},
    "AdamW": {"beta1", "beta2"},
    FLAWED_ADAM: {"beta1", "beta2"},
}
_OPTIMIZER_LABELS = [(name, name) for name in OPTIMIZERS] + [("Adam, flawed (only m̂ corrected)", FLAWED_ADAM)]


def optimizer_explorer(
    optimizer: str = "Adam",
    surface: str = "rosenbrock",
    *,
    lr: float = 0.05,
    steps: int = 150,
) -> Explorer:
    """An optimizer's path over a 2-D test surface, redrawn as you change the settings.

    Controls: ``optimizer`` (the seven of lesson 05 and the flawed Adam), ``lr`` (η, log scale
    1e-4 .. 10), ``momentum`` (μ), ``beta1`` (β₁), ``beta2`` (β₂, also RMSProp's α), ``surface``,
    ``x0`` and ``y0`` (the start, reset to the surface's default when the surface changes),
    ``steps`` (10 .. 300) and ``reset``. Sliders the chosen optimizer does not use are greyed out.
    A run that diverges, or a setting the optimizer refuses, is written on the plot.
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    if optimizer not in _USES:
        raise ValueError(f"optimizer must be one of {list(_USES)}, got {optimizer!r}.")
    if surface not in SURFACES:
        raise ValueError(f"surface must be one of {list(SURFACES)}, got {surface!r}.")
    start = SURFACES[surface].start
    slider = partial(widgets.FloatSlider, **SLIDER)
    chosen = SURFACES[surface]
    controls: dict[str, Any] = {
        "optimizer": widgets.Dropdown(options=_OPTIMIZER_LABELS, value=optimizer, description="optimizer"),
        "lr": log_slider("learning rate η", lr, -4, 1),
        "momentum": slider(value=0.9, min=0.0, max=0.99, step=0.01, description="momentum μ"),
        "beta1": slider(value=0.9, min=0.0, max=0.999, step=0.001, readout_format=".3f", description="β₁"),
        "beta2": slider(
            value=0.999, min=0.0, max=0.999, step=0.001, readout_format=".3f", description="β₂ (RMSProp: α)"
        ),
        "surface": widgets.Dropdown(
            options=[(s.title, name) for name, s in SURFACES.items()], value=surface, description="surface"
        ),
        "x0": slider(value=start[0], min=chosen.xlim[0], max=chosen.xlim[1], step=0.05, description="start x₀"),
        "y0": slider(value=start[1], min=chosen.ylim[0], max=chosen.ylim[1], step=0.05, description="start y₀"),
        "steps": widgets.IntSlider(value=steps, min=10, max=300, step=10, description="steps", **SLIDER),
    }
    figure = Figure(figsize=(11, 4.4))  # a fixed layout: constrained layout would double the redraw time
    ax_path, ax_loss = figure.subplots(1, 2)
    figure.subplots_adjust(left=0.06, right=0.98, bottom=0.12, top=0.92, wspace=0.22)
    output = widgets.Output()

    def draw() -> None:
        c = {name: control.value for name, control in controls.items() if name != "reset"}
        for name in ("momentum", "beta1", "beta2"):
            controls[name].disabled = name not in _USES[c["optimizer"]]
        chosen = SURFACES[c["surface"]]
        factory = partial(
            lesson_optimizer,
            c["optimizer"],
            lr=c["lr"],
            momentum=c["momentum"],
            betas=(c["beta1"], c["beta2"]),
            alpha=c["beta2"],
        )
        clear_axes(ax_path, ax_loss)
        try:
            run = run_optimizer(chosen, factory, (c["x0"], c["y0"]), c["steps"])
        except ValueError as err:  # a setting the optimizer refuses, e.g. Nesterov with μ = 0
            plot_surface(chosen, ax_path, resolution=100)
            ax_loss.set(title="Loss per step", xlabel="step t", ylabel="f(x, y) − f_min")
            ax_path.title.set_fontsize(10)
            draw_message(ax_path, str(err))
            show_figure(output, figure)
            return
        outcome = "diverged" if run.diverged else f"f = {run.losses[-1]:.3g} after {len(run.path) - 1} steps"
        title = f"{c['optimizer']}, η = {c['lr']:.2g}: {outcome}"
        plot_paths({c["optimizer"]: run}, ax_path, resolution=100, title=title)
        plot_loss_per_step({c["optimizer"]: run}, ax_loss)
        ax_loss.set_xlim(0, c["steps"])
        for ax in (ax_path, ax_loss):
            ax.title.set_fontsize(10)
        x, y = run.final
        if run.diverged:
            draw_message(ax_path, run.message + "; lower η")
        elif not (chosen.xlim[0] <= x <= chosen.xlim[1] and chosen.ylim[0] <= y <= chosen.ylim[1]):
            draw_message(ax_path, f"the path ends outside the window, at ({x:.3g}, {y:.3g})", color="darkorange")
        show_figure(output, figure)

    redraw = Redraw(draw)

    def move_start(change: Any) -> None:
        chosen = SURFACES[change["new"]]
        with redraw.held():  # one redraw once the start is inside the new surface's window
            for name, (lo, hi), value in (("x0", chosen.xlim, chosen.start[0]), ("y0", chosen.ylim, chosen.start[1])):
                s = controls[name]
                s.min, s.max = min(s.min, lo), max(s.max, hi)  # widen first, so the value is never clipped
                s.value = value
                s.min, s.max = lo, hi
            redraw()

    controls["surface"].observe(move_start, names="value")
    rows = [["optimizer", "lr", "reset"], ["momentum", "beta1", "beta2"], ["surface", "x0", "y0", "steps"]]
    return assemble_explorer(figure, controls, redraw, output, rows, observe=[n for n in controls if n != "surface"])
