"""Lesson 01's explorer: the learning rate η and the number of steps, on a contour map of the loss."""

from __future__ import annotations

from typing import Any

from matplotlib.ticker import NullLocator
from numpy.typing import ArrayLike

from course_lib.lessons.l01_gradient_descent.descent import (
    critical_learning_rate, gradient_descent, least_squares, linear_loss, loss_grid,
)
from course_lib.lessons.l01_gradient_descent.plots import (
    plot_descent_path, plot_learning_rate_scale, plot_loss_contours, plot_descent_losses,
)
from course_lib.ui.explorer import (
    SLIDER, Explorer, assemble_explorer, clear_axes, decade_frame, draw_message, log_slider, figure_view, show_figure,
)

__all__ = ["lr_explorer", "steps_text"]

LR_EXPONENTS = (-3.0, 0.5)  # η from 10^-3 (crawls) to 10^0.5 ≈ 3.2 (diverges on the course's data)
MAX_STEPS = 200


def steps_text(n: int) -> str:
    """ "1 step", "30 steps": the count with its noun in the right number."""
    return f"{n} step" if n == 1 else f"{n} steps"


def lr_explorer(
    X: ArrayLike,
    y: ArrayLike,
    *,
    lr: float = 0.1,
    steps: int = 30,
    start: tuple[float, float] = (0.0, 0.0),
    w_range: tuple[float, float] | None = None,
    b_range: tuple[float, float] | None = None,
) -> Explorer:
    """Full-batch gradient descent on a line fit: its path on the contours of J and its loss per step.

    Controls: ``lr`` (η, log scale), ``steps``, ``w0`` and ``b0`` (the starting point), ``reset``.
    The frame of the contour map stays fixed, so a diverging path visibly leaves it; a run that
    diverges or whose loss grows is announced on the plot, never raised. A strip below marks η
    against the critical rate 2/λ_max above which descent diverges.
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    w_star, b_star = least_squares(X, y)
    w_range = w_range or (w_star - 4.0, w_star + 4.0)
    b_range = b_range or (b_star - 4.0, b_star + 4.0)
    grid = loss_grid(X, y, w_range, b_range, n=81)
    j_star = linear_loss(w_star, b_star, X, y)
    critical = critical_learning_rate(X)
    lr_range = (10 ** LR_EXPONENTS[0], 10 ** LR_EXPONENTS[1])
    if not lr_range[0] <= lr <= lr_range[1]:
        raise ValueError(f"lr_explorer: lr must lie in [{lr_range[0]:g}, {lr_range[1]:.3g}], got {lr!r}.")
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"lr_explorer: steps must lie in 1..{MAX_STEPS}, got {steps!r}.")

    figure = Figure(figsize=(10, 5.6), layout="constrained")
    spec = figure.add_gridspec(2, 2, height_ratios=[4, 1])
    ax_map = figure.add_subplot(spec[0, 0])
    ax_loss = figure.add_subplot(spec[0, 1])
    ax_scale = figure.add_subplot(spec[1, :])

    controls: dict[str, Any] = {
        # step 0.02, finer than the shared 0.1, so that values either side of 2/λ_max are reachable
        "lr": log_slider("learning rate η", lr, *LR_EXPONENTS, step=0.02, tooltip="the step size of θ ← θ − η∇J(θ)"),
        "steps": widgets.IntSlider(value=steps, min=1, max=MAX_STEPS, description="steps", **SLIDER),
        "w0": widgets.FloatSlider(value=start[0], min=w_range[0], max=w_range[1], step=0.1, description="start w₀",
                                  **SLIDER),
        "b0": widgets.FloatSlider(value=start[1], min=b_range[0], max=b_range[1], step=0.1, description="start b₀",
                                  **SLIDER),
    }
    view = figure_view()
    plot_loss_contours(grid, ax=ax_map, minimum=(w_star, b_star), colorbar=False)
    background = [*ax_map.collections, *ax_map.lines]  # the contours and the minimum: no control moves them

    def redraw() -> None:
        eta, n_steps = controls["lr"].value, controls["steps"].value
        start_point = (controls["w0"].value, controls["b0"].value)
        result = gradient_descent(X, y, lr=eta, steps=n_steps, start=start_point)
        clear_axes(ax_map, ax_loss, ax_scale, keep=background)
        ax_map.set(title=f"η = {eta:.3g}: after {steps_text(result.steps)}", xlabel="slope w", ylabel="intercept b",
                   xlim=(grid.w[0], grid.w[-1]), ylim=(grid.b[0], grid.b[-1]))
        ax_map.set_autoscale_on(False)  # as plot_loss_contours leaves it: a runaway path leaves the frame
        plot_descent_path(result.path, ax=ax_map, color="crimson", label="path of (w, b)",
                          start_label=f"start (w₀, b₀) = ({start_point[0]:.3g}, {start_point[1]:.3g})")
        # Outside the map, under it: a legend inside would cover whichever corner the start or the path is in.
        ax_map.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2, fontsize=8, frameon=False,
                      title=f"ends at w = {result.w:.3g}, b = {result.b:.3g}", title_fontsize=8)
        plot_descent_losses({f"η = {eta:.3g}": result}, ax=ax_loss, minimum_loss=j_star, title="Loss J after each step")
        ax_loss.set_xlim(0, n_steps)
        decade_frame(ax_loss)  # ticks that stay while η moves the curve within its decades
        plot_learning_rate_scale(eta, critical, ax=ax_scale, lr_range=lr_range)
        ax_scale.xaxis.set_minor_locator(NullLocator())  # 40 unlabelled minor ticks: a tenth of a redraw
        if result.diverged:
            draw_message(ax_map, f"diverged after {steps_text(result.steps)}: loss {result.losses[-1]:.1e}\n"
                                 f"η = {eta:.3g} > 2/λ_max = {critical:.3g}")
        elif result.loss_grew:
            draw_message(ax_map, f"diverging: the loss grew from {result.losses[0]:.3g} to {result.losses[-1]:.2e}\n"
                                 f"in {steps_text(result.steps)}; η = {eta:.3g} > 2/λ_max = {critical:.3g}")
        show_figure(view, figure, relayout=False)

    return assemble_explorer(figure, controls, redraw, view, [["lr", "steps", "reset"], ["w0", "b0"]])
