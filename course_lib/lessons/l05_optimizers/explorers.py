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
from course_lib.lessons.l05_optimizers.race import SETTINGS_USED, lesson_optimizer, run_optimizer
from course_lib.ui.explorer import (
    SLIDER, Explorer, Redraw, assemble_explorer, clear_axes, draw_message, log_slider, figure_view, show_figure,
)

__all__ = ["optimizer_explorer"]

# Which of the sliders each optimizer reads (from race.SETTINGS_USED); the others are greyed out.
_SLIDERS = {"momentum": ("momentum",), "betas": ("beta1", "beta2"), "alpha": ("beta2",)}
_USES = {name: {slider for used in settings for slider in _SLIDERS[used]} for name, settings in SETTINGS_USED.items()}
_OPTIMIZER_LABELS = [(name, name) for name in OPTIMIZERS] + [("Adam, flawed (only m̂ corrected)", FLAWED_ADAM)]
_NONE = "none"


def _settings(name: str, c: dict[str, Any]) -> dict[str, Any]:
    """The slider values the optimizer ``name`` reads, as lesson_optimizer's keyword arguments."""
    used = SETTINGS_USED[name]
    values = {"momentum": c["momentum"], "betas": (c["beta1"], c["beta2"]), "alpha": c["beta2"]}
    return {key: value for key, value in values.items() if key in used}


def optimizer_explorer(
    optimizer: str = "Adam",
    surface: str = "rosenbrock",
    *,
    lr: float = 0.05,
    steps: int = 150,
    second: str = _NONE,
    second_lr: float = 0.01,
) -> Explorer:
    """An optimizer's path over a 2-D test surface, redrawn as you change the settings.

    Controls: ``optimizer`` (the seven of lesson 05 and the flawed Adam), ``lr`` (η, log scale
    1e-4 .. 10), ``second`` and ``second_lr`` (a second optimizer, or "none", with its own η, drawn
    on the same map in a second colour; the other sliders are shared), ``momentum`` (μ), ``beta1`` (β₁), ``beta2`` (β₂, also RMSProp's α), ``surface``,
    ``x0`` and ``y0`` (the start, reset to the surface's default when the surface changes),
    ``steps`` (10 .. 300) and ``reset``. Sliders the chosen optimizer does not use are greyed out.
    A run that diverges, or a setting the optimizer refuses, is written on the plot.
    """
    import ipywidgets as widgets
    from matplotlib.contour import ContourSet
    from matplotlib.figure import Figure

    if optimizer not in _USES:
        raise ValueError(f"optimizer must be one of {list(_USES)}, got {optimizer!r}.")
    if second != _NONE and second not in _USES:
        raise ValueError(f"second must be 'none' or one of {list(_USES)}, got {second!r}.")
    if surface not in SURFACES:
        raise ValueError(f"surface must be one of {list(SURFACES)}, got {surface!r}.")
    start = SURFACES[surface].start
    slider = partial(widgets.FloatSlider, **SLIDER)
    chosen = SURFACES[surface]
    controls: dict[str, Any] = {
        "optimizer": widgets.Dropdown(options=_OPTIMIZER_LABELS, value=optimizer, description="optimizer"),
        "lr": log_slider("learning rate η", lr, -4, 1),
        "second": widgets.Dropdown(options=[("none", _NONE), *_OPTIMIZER_LABELS], value=second, description="second"),
        "second_lr": log_slider("its η", second_lr, -4, 1),
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
    view = figure_view()
    drawn: dict[str, Any] = {"surface": None, "contours": ()}  # the contour lines on the map, kept while it stays

    def draw() -> None:
        c = {name: control.value for name, control in controls.items() if name != "reset"}
        names = [c["optimizer"]] + ([c["second"]] if c["second"] != _NONE else [])
        for name in ("momentum", "beta1", "beta2"):
            controls[name].disabled = not any(name in _USES[n] for n in names)
        controls["second_lr"].disabled = c["second"] == _NONE
        chosen = SURFACES[c["surface"]]
        same_map = drawn["surface"] == c["surface"]
        clear_axes(ax_path, ax_loss, keep=drawn["contours"] if same_map else ())
        runs, problems, failed = {}, [], False   # failed: a run diverged or a setting was refused
        for name, lr, which in zip(names, (c["lr"], c["second_lr"]), ("", "second: ")):
            try:
                run = run_optimizer(chosen, partial(lesson_optimizer, name, lr=lr, **_settings(name, c)),
                                    (c["x0"], c["y0"]), c["steps"])
            except ValueError as err:  # a setting the optimizer refuses, e.g. Nesterov with μ = 0
                problems.append(which + str(err))
                failed = True
                continue
            label = f"{name}, η = {lr:.2g}" + (" (second)" if which and name == c["optimizer"] else "")
            runs[label] = run
            x, y = run.final
            if run.diverged:
                problems.append(which + run.message + "; lower η")
                failed = True
            elif not (chosen.xlim[0] <= x <= chosen.xlim[1] and chosen.ylim[0] <= y <= chosen.ylim[1]):
                problems.append(f"{which}the path ends outside the window, at ({x:.3g}, {y:.3g})")
        if runs:
            first = runs.get(f"{c['optimizer']}, η = {c['lr']:.2g}")
            outcome = "" if first is None else ": diverged" if first.diverged else \
                f": f = {first.losses[-1]:.3g} after {len(first.path) - 1} steps"
            plot_paths(runs, ax_path, resolution=100, title=f"{c['optimizer']}, η = {c['lr']:.2g}{outcome}",
                       contours=not same_map)
            plot_loss_per_step(runs, ax_loss)
            ax_loss.set_xlim(0, c["steps"])
        else:
            plot_surface(chosen, ax_path, resolution=100, contours=not same_map)
            ax_loss.set(title="Loss per step", xlabel="step t", ylabel="f(x, y) − f_min")
        drawn.update(surface=c["surface"], contours=tuple(a for a in ax_path.collections if isinstance(a, ContourSet)))
        for ax in (ax_path, ax_loss):
            ax.title.set_fontsize(10)
        if problems:
            draw_message(ax_path, "\n".join(problems), color="crimson" if failed else "darkorange")
        show_figure(view, figure)

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
    rows = [["optimizer", "lr", "reset"], ["second", "second_lr"], ["momentum", "beta1", "beta2"], ["surface", "x0", "y0", "steps"]]
    return assemble_explorer(figure, controls, redraw, view, rows, observe=[n for n in controls if n != "surface"])
