"""Lesson 06's explorer: polynomial degree, L2 strength and training-set size against the fit and both losses."""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np

from course_lib.data import make_polynomial_regression
from course_lib.lessons.l06_overfitting_and_regularization.overfitting import fit_polynomial, losses_vs_degree
from course_lib.lessons.l06_overfitting_and_regularization.plots import plot_loss_curve, plot_polynomial_fit
from course_lib.ui.explorer import (
    SLIDER, Explorer, assemble_explorer, clear_axes, draw_message, log_slider, figure_view, show_figure,
)

__all__ = ["polynomial_explorer"]

TRUE_COEFFICIENTS = (0.5, -1.0, -1.5, 2.0)  # make_polynomial_regression's default cubic
MAX_DEGREE = 15
LOSS_RANGE = (1e-4, 1e4)  # a fixed y-range for the losses, so that moving a slider compares like with like


def polynomial_explorer(*, degree: int = 15, l2: float = 1e-3, penalty: bool = False, n: int = 20, max_n: int = 100, seed: int = 0) -> Explorer:
    """Fit a polynomial to noisy samples of a cubic and watch the training and validation losses.

    Left: the fitted curve over the first n points of a fixed pool of ``max_n`` training points,
    with the 200 validation points and the true cubic. Right: training and validation MSE for
    every degree 0..15 at the current λ and n, the current degree marked, on a fixed y-range
    (1e-4..1e4). A fit that the points cannot pin down (more coefficients than points, λ = 0) is
    announced on the plot.

    Controls: ``degree`` (d, 0..15), ``l2`` (λ, log scale 1e-8..10), ``penalty`` (off: λ = 0),
    ``n`` (training points, 5..max_n), ``reset``.
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure
    from matplotlib.ticker import NullLocator

    if not 5 <= n <= max_n:
        raise ValueError(f"polynomial_explorer: n must be between 5 and max_n = {max_n}; got {n}.")
    x_pool, y_pool = make_polynomial_regression(max_n, coefficients=TRUE_COEFFICIENTS, seed=seed)
    order = np.random.default_rng(seed).permutation(max_n)  # growing n adds points all over [-1, 1]
    x_pool, y_pool = x_pool[order, 0], y_pool[order]
    val = make_polynomial_regression(200, coefficients=TRUE_COEFFICIENTS, seed=seed + 1)
    span = (min(y_pool.min(), val[1].min()), max(y_pool.max(), val[1].max()))
    ylim = (span[0] - 0.3 * (span[1] - span[0]), span[1] + 0.3 * (span[1] - span[0]))

    controls: dict[str, Any] = {
        "degree": widgets.IntSlider(value=degree, min=0, max=MAX_DEGREE, description="degree d", **SLIDER),
        "l2": log_slider("L2 strength λ", l2, -8, 1),
        "penalty": widgets.Checkbox(value=penalty, description="L2 penalty on (off: λ = 0)", indent=False),
        "n": widgets.IntSlider(value=n, min=5, max=max_n, description="training points n", **SLIDER),
    }
    figure = Figure(figsize=(11, 4.2), layout="constrained")
    ax_fit, ax_loss = figure.subplots(1, 2)
    view = figure_view()
    curves: dict[tuple[float, int], Any] = {}  # losses for every degree: they depend on λ and n, not on d

    def redraw() -> None:
        d, k = controls["degree"].value, controls["n"].value
        lam = controls["l2"].value if controls["penalty"].value else 0.0
        controls["l2"].disabled = not controls["penalty"].value
        train = (x_pool[:k], y_pool[:k])
        fit = fit_polynomial(*train, d, l2=lam)
        clear_axes(ax_fit, ax_loss)
        plot_polynomial_fit(fit, train, val=val, true_coefficients=TRUE_COEFFICIENTS, ylim=ylim, ax=ax_fit)
        if fit.warning:
            draw_message(ax_fit, textwrap.fill(fit.warning, 44))
        if (lam, k) not in curves:
            curves[lam, k] = losses_vs_degree(train, val, range(MAX_DEGREE + 1), l2=lam)
        plot_loss_curve(curves[lam, k], xlabel="polynomial degree d", mark=d, mark_label="current degree", floor=LOSS_RANGE[0],
                        ax=ax_loss, title=f"Loss against degree (λ = {lam:.2g}, n = {k})")
        ax_loss.set_ylim(*LOSS_RANGE)
        ax_loss.yaxis.set_minor_locator(NullLocator())  # 80 minor ticks on 8 decades: a fifth of the redraw
        show_figure(view, figure, relayout=False)

    return assemble_explorer(figure, controls, redraw, view, [["degree", "n", "reset"], ["penalty", "l2"]])
