"""Lesson 02's figures: loss and gradient curves, fits under different losses, probability bars."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from course_lib.ui.plots import axes_or_current

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from course_lib.lessons.l02_loss_functions.loss_curves import LossCurves

__all__ = ["plot_constant_fits", "plot_line_fits", "plot_loss_curves", "plot_probability_bars"]

# One colour per loss, the same in every figure of the lesson.
LOSS_COLORS = {
    "MSE": "C0", "MAE": "C1", "Huber": "C2", "cross-entropy": "C3", "squared error on σ(z)": "C0",
}


_STYLES = ("-", "--", "-.", ":")  # fitted lines often overlap: vary the dash as well as the colour


def _color(name: str, k: int) -> str:
    return LOSS_COLORS.get(name, f"C{k % 10}")


def plot_loss_curves(
    curves: "LossCurves",
    ax: "Axes | None" = None,
    *,
    kind: str = "loss",
    marker: "LossCurves | None" = None,
    xlabel: str = "prediction $\\hat{y}$",
    ylabel: str | None = None,
    title: str | None = None,
    labels: Mapping[str, str] | None = None,
    legend_loc: str = "best",
) -> "Axes":
    """Draw every curve of ``curves`` (``kind="loss"``: the losses; ``"grad"``: their gradients).

    ``marker``, the same curves evaluated at ONE point, puts a dot on each curve there and its
    value in the legend ("MSE: 2.25"). ``labels`` renames curves in the legend, e.g.
    ``{"Huber": "Huber (δ = 1)"}``; ``ylabel`` defaults to L or dL/dŷ.
    """
    if kind not in ("loss", "grad"):
        raise ValueError(f"kind must be 'loss' or 'grad', got {kind!r}.")
    ax = axes_or_current(ax)
    labels = dict(labels or {})
    values = curves.loss if kind == "loss" else curves.grad
    for k, (name, y) in enumerate(values.items()):
        label = labels.get(name, name)
        if marker is not None:
            at = (marker.loss if kind == "loss" else marker.grad)[name][0]
            label = f"{label}: {at:.3g}"
            ax.plot(marker.x[0], at, "o", color=_color(name, k), markersize=7, zorder=3)
        ax.plot(curves.x, y, color=_color(name, k), linewidth=2, label=label)
    if kind == "grad":
        ax.axhline(0.0, color="0.6", linewidth=0.8)
    if marker is not None:
        ax.axvline(marker.x[0], color="0.6", linewidth=0.8, linestyle=":")
    default_title = "Loss of one prediction" if kind == "loss" else "Gradient of the loss"
    if ylabel is None:
        ylabel = "loss $L$" if kind == "loss" else "gradient $dL/d\\hat{y}$"
    ax.set(title=title if title is not None else default_title, xlabel=xlabel, ylabel=ylabel)
    ax.legend(loc=legend_loc)
    return ax


def plot_constant_fits(
    y: ArrayLike, fits: Mapping[str, float], ax: "Axes | None" = None, *, title: str = "One constant fitted under each loss"
) -> "Axes":
    """The targets as dots (by index) and one horizontal line per fitted constant.

    ``fits`` maps a legend name to the constant, e.g. ``{"MSE": 2.9, "MAE": 2.1}``.
    """
    ax = axes_or_current(ax)
    y = np.asarray(y, dtype=np.float64)
    ax.scatter(np.arange(len(y)), y, s=25, color="0.3", zorder=3, label="targets $y_i$")
    for k, (name, c) in enumerate(fits.items()):
        ax.axhline(c, color=_color(name, k), linewidth=2, linestyle=_STYLES[k % 4], label=f"{name}: c = {c:.2f}")
    ax.set(title=title, xlabel="example $i$", ylabel="value")
    ax.legend(loc="best")
    return ax


def plot_line_fits(
    x: ArrayLike,
    y: ArrayLike,
    fits: Mapping[str, tuple[float, float]],
    ax: "Axes | None" = None,
    *,
    title: str = "A line fitted under each loss",
    highlight: int | None = None,
) -> "Axes":
    """The data as dots and one line ŷ = w·x + b per entry of ``fits`` (name -> (w, b)).

    ``highlight`` circles one point, e.g. the index of an outlier.
    """
    ax = axes_or_current(ax)
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64)
    ax.scatter(x, y, s=16, color="0.3", zorder=3, label="samples")
    if highlight is not None:
        ax.scatter(x[highlight], y[highlight], s=160, facecolors="none", edgecolors="crimson", linewidths=1.5,
                   zorder=4, label="outlier")
    grid = np.linspace(x.min(), x.max(), 2)
    for k, (name, (w, b)) in enumerate(fits.items()):
        ax.plot(grid, w * grid + b, color=_color(name, k), linewidth=2, linestyle=_STYLES[k % 4],
                label=f"{name}: ŷ = {w:.2f}x + {b:.2f}")
    ax.set(title=title, xlabel="$x$", ylabel="$y$")
    ax.legend(loc="best")
    return ax


def plot_probability_bars(
    probabilities: Mapping[str, ArrayLike],
    ax: "Axes | None" = None,
    *,
    title: str = "Class probabilities",
    target: int | None = None,
) -> "Axes":
    """Grouped bars: one group per class, one bar per entry of ``probabilities`` (name -> (C,)).

    ``target`` marks the correct class on the x axis.
    """
    ax = axes_or_current(ax)
    series = {name: np.asarray(p, dtype=np.float64).reshape(-1) for name, p in probabilities.items()}
    n_classes = max(len(p) for p in series.values())
    classes = np.arange(n_classes)
    width = 0.8 / max(len(series), 1)
    for k, (name, p) in enumerate(series.items()):
        ax.bar(np.arange(len(p)) + (k - (len(series) - 1) / 2) * width, p, width, label=name)
    ticks = [f"{c}\n(target)" if c == target else str(c) for c in classes]
    ax.set_xticks(classes, ticks)
    ax.set(title=title, xlabel="class $k$", ylabel="probability $p_k$", ylim=(0, 1.05))
    ax.legend(loc="best")
    return ax
