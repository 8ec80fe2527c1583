"""Plot helpers of lesson 05, Optimizers: surfaces, optimizer paths, losses per step, schedules.

Each helper draws data it is given (a :class:`~course_lib.lessons.l05_optimizers.surfaces.Surface`, some
:class:`~course_lib.lessons.l05_optimizers.surfaces.OptimizerRun` objects, arrays) on an Axes and returns it, with a
title, axis labels and, where there is more than one series, a legend.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.colors import LogNorm
from numpy.typing import NDArray

from course_lib.ui.plots import OPTIMIZER_COLORS, axes_or_current, optimizer_style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from course_lib.lessons.l05_optimizers.race import OptimizerRun
    from course_lib.lessons.l05_optimizers.surfaces import Surface

__all__ = [
    "OPTIMIZER_COLORS",
    "plot_loss_per_step",
    "plot_lr_schedules",
    "plot_paths",
    "plot_step_lengths",
    "plot_surface",
]

_FLOOR = 1e-16  # f − f_min is drawn on a log scale; exact zeros are shown at this floor



def _runs(runs: "Mapping[str, OptimizerRun] | Iterable[OptimizerRun]") -> list[tuple[str, "OptimizerRun"]]:
    if isinstance(runs, Mapping):
        pairs = list(runs.items())
    else:
        pairs = [(run.label or f"run {i}", run) for i, run in enumerate(runs)]
    if not pairs:
        raise ValueError("nothing to draw: pass at least one OptimizerRun (e.g. from run_optimizer or race).")
    return pairs



def _label(label: str, run: "OptimizerRun") -> str:
    return f"{label} (diverged)" if run.diverged else label


def plot_surface(surface: "Surface", ax: "Axes | None" = None, *, resolution: int = 150, levels: int = 20,
                 contours: bool = True) -> "Axes":
    """Contour lines of f over the surface's window, spaced evenly in log(f − f_min); stars at the minima.

    The log spacing shows the flat floor of a valley as well as its steep walls. ``contours=False``
    draws all but the contour lines, for an explorer that keeps those of its last redraw.
    """
    ax = axes_or_current(ax)
    if contours:
        x = np.linspace(*surface.xlim, resolution)
        y = np.linspace(*surface.ylim, resolution)
        X, Y = np.meshgrid(x, y)
        gap = surface.f(X, Y) - surface.f_min
        low = max(float(np.percentile(gap, 0.5)), 1e-3 * float(gap.max()) ** 0.5, 1e-6)
        ax.contour(X, Y, np.maximum(gap, low), levels=np.geomspace(low, float(gap.max()), levels), norm=LogNorm(),
                   cmap="Greys_r", linewidths=0.7, alpha=0.8)
    minima = np.array(surface.minima)
    ax.plot(
        minima[:, 0], minima[:, 1], linestyle="none", marker="*", markersize=13, color="gold",
        markeredgecolor="black", label="minimum", zorder=5,
    )
    ax.set(title=surface.title, xlabel="x", ylabel="y", xlim=surface.xlim, ylim=surface.ylim)
    return ax


def plot_paths(
    runs: "Mapping[str, OptimizerRun] | Iterable[OptimizerRun]",
    ax: "Axes | None" = None,
    *,
    title: str | None = None,
    resolution: int = 150,
    legend: bool = True,
    contours: bool = True,
) -> "Axes":
    """The surface's contours and each run's path on them, from a black start dot to its last point.

    Args:
        runs: ``{label: run}``, or runs (labelled by ``run.label``), all on one surface.
        title: the title; the surface's title by default.
        legend: draw the legend (off when a figure shares one legend between panels).
        contours: draw the contour lines (off when an explorer keeps those of its last redraw).
    """
    pairs = _runs(runs)
    surface = pairs[0][1].surface
    if any(run.surface.name != surface.name for _, run in pairs):
        raise ValueError("plot_paths draws runs of one surface; these runs walked on different surfaces.")
    ax = plot_surface(surface, ax, resolution=resolution, contours=contours)
    for label, run in pairs:
        x, y = run.path[:, 0], run.path[:, 1]
        (line,) = ax.plot(x, y, marker="o", markersize=2, linewidth=1.3, **optimizer_style(label), label=_label(label, run))
        end = "X" if run.diverged else "o"
        ax.plot(*run.path[-1], marker=end, markersize=7, color=line.get_color(), markeredgecolor="black")
    starts = np.unique(np.array([run.path[0] for _, run in pairs]), axis=0)
    ax.plot(starts[:, 0], starts[:, 1], linestyle="none", marker="o", markersize=7, color="black", label="start",
            zorder=6)
    ax.set(xlim=surface.xlim, ylim=surface.ylim)  # paths that fly off must not rescale the map
    if title is not None:
        ax.set_title(title)
    if legend:
        ax.legend(fontsize="small", loc="best")
    return ax


def plot_loss_per_step(
    runs: "Mapping[str, OptimizerRun] | Iterable[OptimizerRun]", ax: "Axes | None" = None, *, title: str | None = None
) -> "Axes":
    """f − f_min after each step, on a log scale: how far above the lowest point each run still is."""
    ax = axes_or_current(ax)
    pairs = _runs(runs)
    for label, run in pairs:
        ax.plot(np.arange(len(run.gap)), np.maximum(run.gap, _FLOOR), **optimizer_style(label), label=_label(label, run))
    ax.set_yscale("log")
    ax.set(title=title or f"Loss per step: {pairs[0][1].surface.title}", xlabel="step t", ylabel="f(x, y) − f_min")
    if len(pairs) > 1:
        ax.legend(fontsize="small")
    return ax


def plot_step_lengths(
    runs: "Mapping[str, OptimizerRun] | Iterable[OptimizerRun]",
    ax: "Axes | None" = None,
    *,
    title: str = "Length of each step",
) -> "Axes":
    """|p_t − p_{t−1}| for t = 1, 2, ...: how far each step moved the point, on a log scale."""
    ax = axes_or_current(ax)
    pairs = _runs(runs)
    for label, run in pairs:
        lengths = run.step_lengths
        steps = np.arange(1, len(lengths) + 1)
        shown = np.maximum(lengths, _FLOOR)
        ax.plot(steps, shown, marker="o", markersize=2.5, **optimizer_style(label), label=_label(label, run))
    ax.set_yscale("log")
    ax.set(title=title, xlabel="step t", ylabel="step length |p_t − p_(t−1)|")
    if len(pairs) > 1:
        ax.legend(fontsize="small")
    return ax


def plot_lr_schedules(
    curves: Mapping[str, NDArray], ax: "Axes | None" = None, *, title: str = "Learning-rate schedules"
) -> "Axes":
    """Each schedule's learning rate against the step (or epoch) it applies to, as a staircase:
    the rate set at step t holds until step t + 1."""
    ax = axes_or_current(ax)
    if not curves:
        raise ValueError("nothing to draw: pass {name: learning rates}.")
    for label, lrs in curves.items():
        ax.plot(np.arange(len(lrs)), lrs, linewidth=1.8, drawstyle="steps-post", label=label)
    ax.set(title=title, xlabel="step t", ylabel="learning rate")
    if len(curves) > 1:
        ax.legend(fontsize="small")
    return ax


