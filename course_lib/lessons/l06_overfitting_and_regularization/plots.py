"""Plot helpers of lesson 06, overfitting and regularization: pure ``(data, ax=None, ...) -> Axes``.

Fitted polynomials over their data, training and validation losses against a hyperparameter,
coefficients and their paths under L1 and L2, the shrinkage rules, before/after training curves
of a remedy, and the loss and gradient norm of an exploding run with and without clipping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike

from course_lib.lessons.l06_overfitting_and_regularization.overfitting import (
    ClippingRun, LossCurve, PolynomialFit, soft_threshold,
)
from course_lib.ui.plots import axes_or_current

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from course_lib.history import History

__all__ = [
    "plot_before_after",
    "plot_clipping_runs",
    "plot_coefficient_path",
    "plot_coefficients",
    "plot_gradient_norms_by_depth",
    "plot_loss_curve",
    "plot_polynomial_fit",
    "plot_shrinkage",
]

TRAIN_COLOR, VAL_COLOR, TRUE_COLOR, FIT_COLOR = "tab:blue", "tab:orange", "0.35", "tab:red"


def plot_polynomial_fit(
    fit: PolynomialFit,
    train: tuple[ArrayLike, ArrayLike],
    *,
    val: tuple[ArrayLike, ArrayLike] | None = None,
    true_coefficients: Sequence[float] | None = None,
    ylim: tuple[float, float] | None = None,
    ax: "Axes | None" = None,
    title: str | None = None,
) -> "Axes":
    """The fitted curve over the training points (and, faintly, the validation points and the true curve).

    The y-axis is held to the data's range (or ``ylim``): an overfitted curve that shoots off to
    ±1000 between the points leaves the frame instead of flattening everything else.

    Args:
        fit: the fitted polynomial.
        train: (x, y) the fit was trained on.
        val: optional (x, y) held out.
        true_coefficients: monomial coefficients c₀, c₁, ... of the function the data came from.
        ylim: the y-range to show; default: the data's range plus a margin.
        ax: where to draw.
        title: default: the degree and λ, and below them the two mean squared errors.
    """
    ax = axes_or_current(ax)
    x, y = (np.asarray(a, dtype=np.float64).reshape(-1) for a in train)
    grid = np.linspace(-1, 1, 400)
    if val is not None:
        xv, yv = (np.asarray(a, dtype=np.float64).reshape(-1) for a in val)
        ax.scatter(xv, yv, s=8, color=VAL_COLOR, alpha=0.35, label=f"validation points ({len(xv)})")
    ax.scatter(x, y, s=22, color=TRAIN_COLOR, edgecolor="white", linewidth=0.5, zorder=3, label=f"training points ({len(x)})")
    if true_coefficients is not None:
        ax.plot(grid, np.polynomial.polynomial.polyval(grid, true_coefficients), "--", color=TRUE_COLOR, linewidth=1.2, label="true function")
    ax.plot(grid, fit.predict(grid), color=FIT_COLOR, linewidth=2, label=f"fit, degree {fit.degree}")
    if ylim is None:
        all_y = y if val is None else np.concatenate([y, yv])
        span = all_y.max() - all_y.min()
        ylim = (all_y.min() - 0.25 * span, all_y.max() + 0.25 * span)
    ax.set_ylim(*ylim)
    ax.set_xlim(-1.05, 1.05)
    if title is None:
        strength = f", λ = {fit.l2:.2g}" if fit.l2 > 0 else f", L1 λ = {fit.l1:.2g}" if fit.l1 > 0 else ""
        title = f"Degree {fit.degree}{strength}\ntraining MSE {fit.mse(x, y):.3g}"
        if val is not None:
            title += f", validation MSE {fit.mse(xv, yv):.3g}"
    ax.set(title=title, xlabel="$x$", ylabel="$y$")
    ax.legend(loc="best", fontsize=8)
    return ax


def plot_loss_curve(
    curve: LossCurve,
    *,
    xlabel: str,
    log_x: bool = False,
    mark: float | None = None,
    mark_label: str = "chosen",
    floor: float = 1e-6,
    show_best: bool = True,
    ax: "Axes | None" = None,
    title: str | None = None,
) -> "Axes":
    """Training and validation MSE against a hyperparameter, on a log y-axis, the lowest validation MSE starred.

    A fit that passes exactly through every training point has a training MSE of about 1e-30;
    values below ``floor`` are drawn at ``floor`` so that the axis keeps a readable range.

    Args:
        curve: from ``losses_vs_degree``, ``losses_vs_l2`` or ``learning_curve``.
        xlabel: the hyperparameter's name, e.g. "polynomial degree d".
        log_x: a logarithmic x-axis (for λ).
        mark: draw a vertical line at this value (e.g. the current setting of a widget).
        mark_label: the legend text of that line.
        floor: the smallest value drawn.
        show_best: star the lowest validation MSE (not meaningful for a learning curve).
        ax: where to draw.
        title: default "Training and validation loss".
    """
    ax = axes_or_current(ax)
    values = np.asarray(curve.values, dtype=np.float64)
    ax.plot(values, np.maximum(curve.train, floor), "o-", color=TRAIN_COLOR, markersize=3, label="training MSE")
    ax.plot(values, np.maximum(curve.val, floor), "o-", color=VAL_COLOR, markersize=3, label="validation MSE")
    if show_best:
        best, best_val = curve.best()
        ax.plot([best], [best_val], "*", color=VAL_COLOR, markersize=14, markeredgecolor="black", label=f"lowest validation MSE (at {best:.3g})")
    if mark is not None:
        ax.axvline(mark, color="0.3", linestyle=":", label=f"{mark_label} ({mark:.3g})")
    ax.set_yscale("log")
    if log_x:
        ax.set_xscale("log")
    elif np.all(values == np.round(values)):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(title=title or "Training and validation loss", xlabel=xlabel, ylabel="mean squared error (log scale)")
    ax.legend(fontsize=8)
    return ax


def plot_coefficients(coefficients: Mapping[str, ArrayLike], ax: "Axes | None" = None, *, title: str | None = None) -> "Axes":
    """Grouped bars of several coefficient vectors side by side, with each one's count of exact zeros.

    Args:
        coefficients: ``{"L2 (λ = 0.03)": w, "L1 (λ = 0.03)": w, ...}``, each of the same length.
        ax: where to draw.
        title: default "Fitted coefficients".
    """
    ax = axes_or_current(ax)
    arrays = {name: np.asarray(w, dtype=np.float64) for name, w in coefficients.items()}
    k = np.arange(len(next(iter(arrays.values()))))
    width = 0.8 / len(arrays)
    for i, (name, w) in enumerate(arrays.items()):
        zeros = int(np.count_nonzero(w[1:] == 0))
        offset = (i - (len(arrays) - 1) / 2) * width
        bars = ax.bar(k + offset, w, width, label=f"{name}: {zeros} of {len(w) - 1} exactly 0")
        ax.plot(k[w == 0] + offset, np.zeros(np.count_nonzero(w == 0)), "x", color=bars.patches[0].get_facecolor(), markersize=6)
    ax.axhline(0, color="0.5", linewidth=0.8)
    ax.set(title=title or "Fitted coefficients", xlabel="coefficient index $k$ ($w_0$ is the bias)", ylabel="$w_k$", xticks=k)
    ax.legend(fontsize=8)
    return ax


def plot_coefficient_path(
    strengths: ArrayLike,
    path: ArrayLike,
    *,
    penalty: str,
    highlight: Sequence[int] = (),
    ax: "Axes | None" = None,
    title: str | None = None,
) -> "Axes":
    """Each coefficient w₁..w_d against the strength λ (log x-axis), one line per k.

    Args:
        strengths: the λ values, shape (S,).
        path: the coefficients, shape (S, d + 1), from ``coefficient_path``; w₀ (not penalised) is left out.
        penalty: "L1" or "L2", for the title.
        highlight: indices k drawn bold in their own colours, each labelled; the others thin and
            grey. Without it every k gets a shade of viridis.
        ax: where to draw.
        title: default "{penalty} coefficient path (... nonzero at the largest λ)".
    """
    import matplotlib as mpl

    ax = axes_or_current(ax)
    strengths, path = np.asarray(strengths, dtype=np.float64), np.asarray(path, dtype=np.float64)
    if path.ndim != 2 or path.shape[0] != strengths.shape[0]:
        raise ValueError(f"path must be (len(strengths), d + 1); got {path.shape} for {strengths.shape[0]} strengths.")
    d = path.shape[1] - 1
    shades = mpl.colormaps["viridis"](np.linspace(0, 0.95, d))
    if highlight:  # the others first, thin and grey, then the highlighted ones on top
        for j, k in enumerate(k for k in range(1, d + 1) if k not in highlight):
            ax.plot(strengths, path[:, k], color="0.6", linewidth=0.9, label="other $w_k$" if j == 0 else None)
        for j, k in enumerate(highlight):
            ax.plot(strengths, path[:, k], color=f"C{j}", linewidth=2.2, label=f"$w_{{{k}}}$")
    else:
        for k in range(1, d + 1):
            ax.plot(strengths, path[:, k], color=shades[k - 1], linewidth=1.3, label=f"$w_{{{k}}}$" if k <= 3 or k == d else None)
    nonzero = np.count_nonzero(path[:, 1:] != 0, axis=1)
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.set_xscale("log")
    ax.set(
        title=title or f"{penalty} coefficient path ({nonzero[-1]} of {d} nonzero at the largest λ)",
        xlabel="strength λ (log scale)", ylabel="coefficient $w_k$",
    )
    ax.legend(fontsize=8, ncol=2)
    return ax


def plot_shrinkage(threshold: float, ax: "Axes | None" = None, *, title: str | None = None) -> "Axes":
    """What one proximal step does to a weight w: L1's soft-thresholding vs L2's proportional shrink.

    L1: w ↦ sign(w)·max(|w| − t, 0), flat at exactly 0 for |w| <= t. L2: w ↦ w / (1 + t), a line
    through 0 that is never flat.
    """
    ax = axes_or_current(ax)
    w = np.linspace(-2, 2, 401)
    ax.plot(w, w, ":", color="0.5", label="no penalty: $w$")
    ax.plot(w, w / (1 + threshold), color=TRAIN_COLOR, linewidth=2, label="L2: $w/(1+t)$")
    ax.plot(w, soft_threshold(w, threshold), color=FIT_COLOR, linewidth=2, label="L1: soft-threshold $S_t(w)$")
    ax.axvspan(-threshold, threshold, color=FIT_COLOR, alpha=0.08, label="$|w| \\leq t$: L1 gives exactly 0")
    ax.set(title=title or f"One shrinkage step with t = {threshold:g}", xlabel="weight before, $w$", ylabel="weight after")
    ax.legend(fontsize=8)
    return ax


def plot_before_after(
    histories: Mapping[str, "History"],
    *,
    metric: str = "loss",
    marks: Mapping[str, float] | None = None,
    ylim: tuple[float, float] | None = None,
    ax: "Axes | None" = None,
    title: str | None = None,
) -> "Axes":
    """Training (dashed) and validation (solid) curves of several runs, one colour per run.

    Args:
        histories: ``{"no remedy": h0, "dropout p = 0.5": h1, ...}``, each with ``train_<metric>``
            and ``val_<metric>`` per epoch.
        metric: ``"loss"`` or ``"acc"``.
        marks: optional ``{"early stop": epoch, ...}``: labelled vertical lines.
        ylim: the y-range, e.g. (0, 1) to look past a high first epoch.
        ax: where to draw.
        title: default "Training and validation {metric}".
    """
    ax = axes_or_current(ax)
    label = {"loss": "loss", "acc": "accuracy"}.get(metric, metric)
    for i, (name, history) in enumerate(histories.items()):
        color = f"C{i}"
        ax.plot(history.epoch, history[f"train_{metric}"], "--", color=color, linewidth=1.2, label=f"{name}: training")
        ax.plot(history.epoch, history[f"val_{metric}"], "-", color=color, linewidth=2, label=f"{name}: validation")
    for j, (name, epoch) in enumerate((marks or {}).items()):
        color, style = (("0.2", ":"), ("crimson", "-."), ("tab:green", "--"))[j % 3]
        ax.axvline(epoch, color=color, linestyle=style, linewidth=1.3, label=f"{name} (epoch {epoch:g})")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set(title=title or f"Training and validation {label}", xlabel="epoch", ylabel=label)
    ax.legend(fontsize=8)
    return ax


def plot_clipping_runs(
    runs: Mapping[str, ClippingRun],
    *,
    quantity: str = "loss",
    ymax: float | None = None,
    ax: "Axes | None" = None,
    title: str | None = None,
) -> "Axes":
    """The loss (or the gradient norm before clipping) of each run per step, on log-log axes.

    A run that diverged ends in a red × at its last finite value, and its label names the step
    where the loss stopped being a number. With ``ymax``, larger values are drawn at the top edge
    and the × is annotated with the true value, so that one run's 1e+80 does not flatten the others.

    Args:
        runs: ``{"no clipping": run, "clipped at 10": run}`` from ``train_with_clipping``.
        quantity: ``"loss"`` or ``"grad_norm"``.
        ymax: the top of the y-axis, or None for the full range.
        ax: where to draw.
        title: default by quantity.
    """
    if quantity not in ("loss", "grad_norm"):
        raise ValueError(f"quantity must be 'loss' or 'grad_norm'; got {quantity!r}.")
    ax = axes_or_current(ax)
    for i, (name, run) in enumerate(runs.items()):
        values = np.asarray(getattr(run, quantity), dtype=np.float64)
        finite = np.isfinite(values)
        steps = np.arange(1, len(values) + 1)
        shown = values if ymax is None else np.minimum(values, ymax)
        label = name if run.diverged_at is None else f"{name} (loss not finite at step {run.diverged_at})"
        ax.plot(steps[finite], shown[finite], "-", color=f"C{i}", linewidth=1.5, marker="o" if finite.sum() < 20 else None, markersize=4, label=label)
        if run.diverged_at is not None and finite.any():
            last = np.flatnonzero(finite)[-1]
            ax.plot(steps[last], shown[last], "x", color="crimson", markersize=12, markeredgewidth=2.5, clip_on=False, zorder=4)
            if ymax is not None and values[last] > ymax:
                ax.annotate(f"{values[last]:.2g}, off the scale", (steps[last], shown[last]), xytext=(8, -14),
                            textcoords="offset points", color="crimson", fontsize=8)
        if quantity == "grad_norm" and run.max_norm is not None:
            ax.axhline(run.max_norm, color=f"C{i}", linestyle=":", linewidth=1.2, label=f"clipping threshold {run.max_norm:g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    if ymax is not None:
        ax.set_ylim(top=ymax)
    default = "Training loss per step" if quantity == "loss" else "Gradient norm ‖g‖ per step (before clipping)"
    ax.set(title=title or default, xlabel="step (log scale)", ylabel="loss (log scale)" if quantity == "loss" else "‖g‖ (log scale)")
    ax.legend(fontsize=8)
    return ax


def plot_gradient_norms_by_depth(
    depths: ArrayLike, norms: Mapping[str, ArrayLike], ax: "Axes | None" = None, *, title: str | None = None,
) -> "Axes":
    """Gradient norm at initialisation against the network's depth, one line per setting, log y-axis.

    Args:
        depths: the depths, shape (D,).
        norms: ``{"gain 1.5": norms, "gain 1 (He)": norms}``, each of shape (D,).
        ax: where to draw.
        title: default "Gradient norm at initialisation".
    """
    ax = axes_or_current(ax)
    depths = np.asarray(depths)
    for name, values in norms.items():
        ax.plot(depths, np.asarray(values, dtype=np.float64), "o-", markersize=4, label=name)
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(title=title or "Gradient norm at initialisation", xlabel="depth (number of Linear layers)", ylabel="‖∇L‖ (log scale)")
    ax.legend(fontsize=8)
    return ax
