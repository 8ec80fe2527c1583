"""Figures of lesson 01: the loss surface of a line fit, descent paths, loss curves, fitted lines.

Every helper takes data and optionally an Axes, draws, sets a title, axis labels and (with more
than one series) a legend, and returns the Axes. The computations come from
:mod:`course_lib.lessons.l01_gradient_descent.descent`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

import numpy as np
from matplotlib.colors import LogNorm
from numpy.typing import ArrayLike, NDArray

from course_lib.lessons.l01_gradient_descent.descent import (
    DescentResult, LossGrid, linear_gradient, linear_loss,
)
from course_lib.ui.plots import axes_or_current

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "plot_descent_path",
    "plot_fitted_lines",
    "plot_gradient_norms",
    "plot_learning_rate_scale",
    "plot_loss_contours",
    "plot_descent_losses",
    "plot_loss_slice",
    "plot_loss_surface",
]


def _levels(loss: NDArray, n: int) -> NDArray:
    """Contour levels spaced evenly on a log scale, so the flat floor of the bowl gets lines too."""
    low, high = float(loss.min()), float(loss.max())
    low = max(low, high * 1e-6, 1e-12)
    return np.geomspace(low * 1.02, high, n)


def plot_loss_contours(
    grid: LossGrid,
    ax: "Axes | None" = None,
    *,
    minimum: tuple[float, float] | None = None,
    levels: int = 18,
    colorbar: bool = True,
    title: str = "Loss J(w, b): contour lines",
) -> "Axes":
    """Filled contours of J over the (w, b) plane, log-spaced, with the minimum marked by a star.

    The axis limits are fixed to the grid and autoscaling is switched off, so a path drawn later
    that runs away leaves the frame instead of zooming the picture out.
    """
    if not isinstance(grid, LossGrid):
        raise TypeError(f"plot_loss_contours needs a LossGrid from loss_grid(...), got {type(grid).__name__}.")
    ax = axes_or_current(ax)
    lv = _levels(grid.loss, levels)
    filled = ax.contourf(grid.w, grid.b, grid.loss, levels=lv, norm=LogNorm(), cmap="viridis_r", alpha=0.85, extend="both")
    ax.contour(grid.w, grid.b, grid.loss, levels=lv, colors="white", linewidths=0.4, alpha=0.6)
    if colorbar:
        ax.figure.colorbar(filled, ax=ax, label="J(w, b)  (log scale)", format="%.3g")
    if minimum is not None:
        ax.plot(*minimum, marker="*", markersize=14, color="gold", markeredgecolor="black", linestyle="none", zorder=5,
                label=f"minimum (w*, b*) = ({minimum[0]:.2f}, {minimum[1]:.2f})")
        ax.legend(loc="upper right", fontsize=8)
    ax.set(title=title, xlabel="slope w", ylabel="intercept b", xlim=(grid.w[0], grid.w[-1]), ylim=(grid.b[0], grid.b[-1]))
    ax.set_autoscale_on(False)
    return ax


def plot_descent_path(
    path: ArrayLike,
    ax: "Axes | None" = None,
    *,
    label: str = "gradient descent",
    color: str | None = None,
    markersize: float = 3.0,
    start_label: str | None = None,
) -> "Axes":
    """Draw a path of (w, b) points as a line with dots, its start as a hollow circle.

    ``start_label``, if given, names the start circle in the legend.

    Shape: path: (steps + 1, 2).
    """
    path = np.asarray(path, dtype=float)
    if path.ndim != 2 or path.shape[1] != 2 or len(path) == 0:
        raise ValueError(f"plot_descent_path expects (w, b) points of shape (k, 2), k >= 1; got {path.shape}.")
    ax = axes_or_current(ax)
    (line,) = ax.plot(path[:, 0], path[:, 1], marker="o", markersize=markersize, linewidth=1.2, color=color, label=label)
    ax.plot(*path[0], marker="o", markersize=8, markerfacecolor="none", color=line.get_color(), linestyle="none",
            label=start_label or "_start")
    ax.set(xlabel="slope w", ylabel="intercept b")
    if not ax.get_title():
        ax.set_title("Path of gradient descent")
    ax.legend(loc="upper right", fontsize=8)
    return ax


def plot_eigen_directions(H: ArrayLike, center: tuple[float, float], ax: "Axes | None" = None, *, length: float = 2.5) -> "Axes":
    """Arrows from ``center`` along the two eigenvectors of the 2 × 2 Hessian ``H``, labelled with their eigenvalues.

    The steep direction (λ_max) crosses the valley, the flat one (λ_min) runs along its floor;
    each arrow is ``length`` long in the (w, b) plane. Shape: H: (2, 2), ordered (w, b).
    """
    H = np.asarray(H, dtype=float)
    if H.shape != (2, 2) or not np.allclose(H, H.T):
        raise ValueError(f"plot_eigen_directions expects a symmetric 2 × 2 Hessian; got shape {H.shape}.")
    ax = axes_or_current(ax)
    eigenvalues, vectors = np.linalg.eigh(H)  # ascending; the columns of `vectors` are unit eigenvectors
    for lam, v, color, name in zip(eigenvalues, vectors.T, ("navy", "crimson"), ("λ_min", "λ_max")):
        v = v if v[0] >= 0 else -v  # point to the right, for a tidy picture
        ax.annotate("", xy=(center[0] + length * v[0], center[1] + length * v[1]), xytext=center,
                    arrowprops={"arrowstyle": "-|>", "color": color, "linewidth": 2})
        ax.plot([], [], color=color, linewidth=2, label=f"eigen-direction of {name} = {lam:.3g}")
    ax.legend(loc="upper right", fontsize=8)
    return ax


def plot_descent_losses(
    results: Mapping[str, DescentResult],
    ax: "Axes | None" = None,
    *,
    x: Literal["step", "examples"] = "step",
    minimum_loss: float | None = None,
    title: str = "Loss per step",
) -> "Axes":
    """J on the whole data set after every step of each run, on a log scale.

    ``x="examples"`` counts the examples processed instead of the steps, a fair clock when runs
    use different batch sizes. ``minimum_loss`` draws the lowest reachable loss J* as a dashed line.
    """
    if not results:
        raise ValueError("plot_descent_losses needs at least one named DescentResult.")
    if x not in ("step", "examples"):
        raise ValueError(f"x must be 'step' or 'examples', got {x!r}.")
    ax = axes_or_current(ax)
    for name, result in results.items():
        clock = np.arange(len(result.losses)) if x == "step" else result.examples_seen
        ax.plot(clock, result.losses, linewidth=1.2, label=name)
    if minimum_loss is not None:
        ax.axhline(minimum_loss, color="black", linestyle="--", linewidth=0.8, label=f"minimum J* = {minimum_loss:.3g}")
    ax.set_yscale("log")
    ax.set(title=title, xlabel="step" if x == "step" else "examples processed", ylabel="J(w, b)  (log scale)")
    ax.legend(fontsize=8)
    return ax


def plot_gradient_norms(
    results: Mapping[str, DescentResult], ax: "Axes | None" = None, *, tol: float | None = None,
    title: str = "Size of the gradient per step",
) -> "Axes":
    """‖∇J‖ after every step of each run (log scale), with the tolerance of a stopping rule."""
    if not results:
        raise ValueError("plot_gradient_norms needs at least one named DescentResult.")
    ax = axes_or_current(ax)
    for name, result in results.items():
        ax.plot(np.arange(len(result.grad_norms)), result.grad_norms, linewidth=1.2, label=name)
    if tol is not None:
        ax.axhline(tol, color="crimson", linestyle="--", linewidth=0.8, label=f"‖∇J‖ tolerance {tol:g}")
    ax.set_yscale("log")
    ax.set(title=title, xlabel="step", ylabel="‖∇J(w, b)‖  (log scale)")
    ax.legend(fontsize=8)
    return ax


def plot_fitted_lines(
    X: ArrayLike,
    y: ArrayLike,
    lines: Mapping[str, tuple[float, float]],
    ax: "Axes | None" = None,
    *,
    title: str = "Data and fitted lines",
) -> "Axes":
    """The data as dots and each named line ŷ = w·x + b, drawn from x = 0 so the intercept shows."""
    x = np.asarray(X, dtype=float).reshape(len(X), -1)
    if x.shape[1] != 1:
        raise ValueError(f"plot_fitted_lines needs one feature, X of shape (N, 1); got {np.shape(X)}.")
    x = x[:, 0]
    ax = axes_or_current(ax)
    ax.scatter(x, y, s=12, color="0.55", label="data")
    grid = np.linspace(min(0.0, x.min()), x.max(), 50)
    for name, (w, b) in lines.items():
        ax.plot(grid, w * grid + b, linewidth=2, label=f"{name}: ŷ = {w:.2f}·x + {b:.2f}")
    ax.set(title=title, xlabel="x", ylabel="y")
    ax.legend(fontsize=8)
    return ax


def plot_loss_surface(grid: LossGrid, ax: "Axes | None" = None, *, minimum: tuple[float, float, float] | None = None,
                      title: str = "Loss J(w, b) as a surface") -> "Axes":
    """J over the (w, b) plane as a 3-D surface; ``ax`` must be a 3-D Axes (projection="3d").

    ``minimum`` is (w*, b*, J*), marked with a star on the floor of the bowl.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.figure().add_subplot(projection="3d")
    if getattr(ax, "name", "") != "3d":
        raise ValueError('plot_loss_surface draws in 3-D: create the Axes with subplot_kw={"projection": "3d"}.')
    W, B = np.meshgrid(grid.w, grid.b)
    ax.plot_surface(W, B, grid.loss, cmap="viridis_r", linewidth=0, antialiased=True, alpha=0.9)
    if minimum is not None:
        ax.scatter(*minimum, marker="*", s=150, color="gold", edgecolor="black", depthshade=False, label="minimum")
        ax.legend(fontsize=8)
    ax.set(title=title, xlabel="slope w", ylabel="intercept b", zlabel="J(w, b)")
    return ax


def plot_loss_slice(
    X: ArrayLike,
    y: ArrayLike,
    *,
    b: float,
    w0: float,
    lr: float | None = None,
    w_range: tuple[float, float] = (-1.0, 7.0),
    ax: "Axes | None" = None,
) -> "Axes":
    """J as a function of w alone (b held fixed), with the tangent at w0 whose slope is ∂J/∂w.

    With ``lr``, an arrow shows one step of gradient descent, w0 → w0 − lr · ∂J/∂w.
    """
    ax = axes_or_current(ax)
    ws = np.linspace(*w_range, 200)
    ax.plot(ws, [linear_loss(w, b, X, y) for w in ws], linewidth=2, label=f"J(w, b = {b:g})")
    j0 = linear_loss(w0, b, X, y)
    slope, _ = linear_gradient(w0, b, X, y)
    half = 0.15 * (w_range[1] - w_range[0])
    tangent_w = np.array([w0 - half, w0 + half])
    ax.plot(tangent_w, j0 + slope * (tangent_w - w0), color="crimson", linewidth=1.5, label=f"tangent at w = {w0:g}: slope ∂J/∂w = {slope:.2f}")
    ax.plot(w0, j0, "o", color="crimson")
    if lr is not None:
        w1 = w0 - lr * slope
        ax.annotate("", xy=(w1, linear_loss(w1, b, X, y)), xytext=(w0, j0),
                    arrowprops={"arrowstyle": "->", "color": "black", "linewidth": 1.5})
        ax.plot(w1, linear_loss(w1, b, X, y), "o", color="black", label=f"one step, η = {lr:g}: w = {w1:.2f}")
    ax.set(title="A slice of the loss: J against w with b fixed", xlabel="slope w", ylabel="J(w, b)")
    ax.legend(fontsize=8)
    return ax


def plot_learning_rate_scale(
    lr: float, critical: float, ax: "Axes | None" = None, *, lr_range: tuple[float, float] = (1e-3, 10**0.5)
) -> "Axes":
    """A strip with the learning rate η on a log scale: the stable and the diverging side of 2/λ_max."""
    ax = axes_or_current(ax)
    low, high = lr_range
    ax.axvspan(low, critical, color="seagreen", alpha=0.15)
    ax.axvspan(critical, high, color="crimson", alpha=0.15)
    # Labels sit next to their marks (the critical rate above, η below) instead of in a legend,
    # so the strip can stay thin and nothing covers the marker.
    ax.axvline(critical, color="crimson", linewidth=1.5, label="critical η")
    ax.text(critical, 0.8, f"critical η = 2/λ_max = {critical:.3g} ", color="crimson", ha="right", va="center", fontsize=9)
    ax.plot([lr], [0.5], marker="v", markersize=11, color="black", linestyle="none", label="your η", clip_on=False)
    ax.text(lr, 0.18, f"η = {lr:.3g}", ha="center", va="center", fontsize=9)
    ax.set_xscale("log")
    ax.set(xlim=lr_range, ylim=(0, 1), yticks=[], title="Where η sits",
           xlabel="learning rate η (log scale): descent converges on the green side and diverges on the red side")
    return ax
