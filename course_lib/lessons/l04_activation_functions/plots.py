"""Lesson 04's figures: activation curves, softmax, decision regions, and signals through depth.

Pure helpers, ``(data, ax=None, ...) -> Axes``; the numbers come from ``course_lib.lessons.l04_activation_functions.deep_nets``.
Values that a log axis cannot show (exactly 0, inf, NaN) are drawn as markers on the axis edge
instead of disappearing, so a vanished or exploded gradient is visible rather than missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from course_lib.lessons.l04_activation_functions.deep_nets import LayerStatistics, activation_and_derivative
from course_lib.ui.plots import axes_or_current, plot_dataset

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "plot_activation",
    "plot_dead_fractions",
    "plot_decision_regions",
    "plot_layer_activation_std",
    "plot_layer_grad_norms",
    "plot_softmax_sweep",
    "plot_softmax_temperatures",
]


_TITLES = {
    "sigmoid": "Sigmoid σ(x)",
    "tanh": "tanh(x)",
    "relu": "ReLU(x) = max(0, x)",
    "leaky_relu": "Leaky ReLU (slope 0.01)",
    "elu": "ELU (α = 1)",
    "gelu": "GELU(x) = x·Φ(x)",
}


def plot_activation(
    name: str, ax: "Axes | None" = None, *, x: NDArray | None = None, saturation: float = 0.01
) -> "Axes":
    """An activation f and its derivative f′ on one axis, with the saturated regions shaded.

    A point counts as saturated where |f′(x)| < ``saturation``: there almost no gradient passes back.

    Args:
        name: one of ``course_lib.lessons.l04_activation_functions.deep_nets.ACTIVATION_NAMES``.
        ax: the Axes to draw on (default: the current one).
        x: the points (default: 601 points on [−6, 6]).
        saturation: the derivative below which a region is shaded.
    """
    ax = axes_or_current(ax)
    x = np.linspace(-6.0, 6.0, 601) if x is None else np.asarray(x, dtype=np.float64)
    y, dy_dx = activation_and_derivative(name, x)
    ax.plot(x, y, linewidth=2, label="f(x)")
    ax.plot(x, dy_dx, linewidth=2, linestyle="--", label="f′(x)")
    flat = np.abs(dy_dx) < saturation
    if flat.any():
        ax.fill_between(x, 0, 1, where=flat, transform=ax.get_xaxis_transform(), color="0.85",
                        label=f"|f′| < {saturation:g}: saturated")
    ax.axhline(0, color="0.5", linewidth=0.6)
    ax.axvline(0, color="0.5", linewidth=0.6)
    ax.set(title=_TITLES.get(name, name), xlabel="x", ylabel="value")
    ax.legend(loc="upper left", fontsize=8)
    return ax


def plot_softmax_sweep(
    values: NDArray, probs: NDArray, ax: "Axes | None" = None, *, varied: int = 0, title: str = ""
) -> "Axes":
    """The softmax probabilities p_k as one logit z_varied runs through ``values``.

    Shape: values (K,); probs (K, C), e.g. from ``initialization.softmax_sweep``.
    """
    ax = axes_or_current(ax)
    values, probs = np.asarray(values), np.asarray(probs)
    if probs.ndim != 2 or len(probs) != len(values):
        raise ValueError(f"probs must be shaped (len(values), C) = ({len(values)}, C); got {probs.shape}.")
    for k in range(probs.shape[1]):
        ax.plot(values, probs[:, k], linewidth=2, label=f"$p_{k + 1}$" + (" (its logit varies)" if k == varied else ""))
    ax.set(title=title or f"Softmax as $z_{varied + 1}$ varies", xlabel=f"logit $z_{varied + 1}$",
           ylabel="probability", ylim=(-0.02, 1.02))
    ax.legend()
    return ax


def _grouped_bars(ax: "Axes", groups: Mapping[str, NDArray], ticks: Sequence[str], fmt: str | None = None) -> None:
    width = 0.8 / max(len(groups), 1)
    positions = np.arange(len(ticks))
    for i, (label, heights) in enumerate(groups.items()):
        heights = np.asarray(heights, dtype=np.float64)
        if len(heights) != len(ticks):
            raise ValueError(f"{label!r} has {len(heights)} bars; expected {len(ticks)}, one per {list(ticks)}.")
        bars = ax.bar(positions + (i - (len(groups) - 1) / 2) * width, heights, width, label=label)
        if fmt is not None:  # a bar of height 0 is invisible; its number is not
            ax.bar_label(bars, fmt=fmt, fontsize=8)
    ax.set_xticks(positions, list(ticks))


def plot_softmax_temperatures(
    logits: Sequence[float], probs_by_temperature: Mapping[float, NDArray], ax: "Axes | None" = None
) -> "Axes":
    """Bars of softmax(z / T) for the same logits z at several temperatures T.

    Shape: each probability vector (C,), one per temperature.
    """
    ax = axes_or_current(ax)
    z = np.asarray(logits)
    ticks = [f"class {k + 1}\n$z_{k + 1}$ = {v:g}" for k, v in enumerate(z)]
    _grouped_bars(ax, {f"T = {t:g}": p for t, p in probs_by_temperature.items()}, ticks)
    ax.set(title="Temperature: softmax(z / T)", ylabel="probability", ylim=(0, 1))
    ax.legend()
    return ax


def plot_dead_fractions(fractions: Mapping[str, NDArray], ax: "Axes | None" = None) -> "Axes":
    """Bars of the fraction of dead units in each hidden layer, one colour per network.

    Shape: each array (n_layers,), e.g. from ``initialization.dead_unit_fractions``.
    """
    ax = axes_or_current(ax)
    n_layers = {len(np.atleast_1d(f)) for f in fractions.values()}
    if len(n_layers) != 1:
        raise ValueError(f"Every network needs the same number of layers to share the bars; got {sorted(n_layers)}.")
    ticks = [f"hidden layer {i + 1}" for i in range(n_layers.pop())]
    _grouped_bars(ax, {label: 100 * np.atleast_1d(f) for label, f in fractions.items()}, ticks, fmt="%.0f %%")
    ax.set(title="Dead units: output 0 for every sample", ylabel="dead units (%)", ylim=(0, 100))
    ax.legend()
    return ax


def plot_decision_regions(
    model: object, X: NDArray, y: NDArray, ax: "Axes | None" = None, *, title: str = "", resolution: int = 200
) -> "Axes":
    """The class a 2-D classifier predicts at every point of the plane, with the data on top.

    ``model(points)`` must return one score per class, shape (M, C); the predicted class is the
    largest score. The model is run in evaluation mode and left in the mode it was in.
    """
    ax = axes_or_current(ax)
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_regions needs 2-D inputs, X of shape (N, 2); got {X.shape}.")
    pad = 0.15 * (X.max(axis=0) - X.min(axis=0))
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        scores = np.asarray(model(np.column_stack([g1.ravel(), g2.ravel()])))
    finally:
        if hasattr(model, "train"):
            model.train(was_training)
    classes = scores.argmax(axis=1).reshape(g1.shape)
    n_classes = scores.shape[1]
    ax.contourf(g1, g2, classes, levels=np.arange(n_classes + 1) - 0.5, cmap="coolwarm", alpha=0.25)
    plot_dataset(X, y, ax=ax, title=title or "Decision regions")
    return ax


def _log_series(ax: "Axes", layers: NDArray, values: NDArray, label: str) -> None:
    """Plot positive finite values on a log axis; mark zeros at the bottom and inf/NaN at the top."""
    values = np.asarray(values, dtype=np.float64)
    good = np.isfinite(values) & (values > 0)
    (line,) = ax.plot(layers, np.where(good, values, np.nan), marker="o", markersize=3, label=label)
    edge = ax.get_xaxis_transform()
    zero, bad = values == 0, ~np.isfinite(values)
    if zero.any():
        ax.plot(layers[zero], np.full(zero.sum(), 0.03), "v", color=line.get_color(), transform=edge,
                label=f"{label}: exactly 0")
    if bad.any():
        ax.plot(layers[bad], np.full(bad.sum(), 0.97), "^", color=line.get_color(), transform=edge,
                label=f"{label}: inf or NaN")


def _as_list(stats: LayerStatistics | Sequence[LayerStatistics]) -> list[LayerStatistics]:
    return [stats] if isinstance(stats, LayerStatistics) else list(stats)


def _layer_axis(ax: "Axes", values: Sequence[NDArray]) -> None:
    """Log scale, whole layer numbers, and at least two decades, so that noise does not look like a trend."""
    from matplotlib.ticker import MaxNLocator

    ax.set_yscale("log")
    shown = np.concatenate([np.ravel(v) for v in values]) if values else np.array([])
    shown = shown[np.isfinite(shown) & (shown > 0)]
    # Nothing a log axis can show: numbers on it would only mislead. (Set both ways: clear() keeps it.)
    ax.tick_params(axis="y", which="both", labelleft=bool(shown.size))
    if shown.size and shown.max() < 100 * shown.min():
        middle = np.sqrt(shown.max() * shown.min())
        ax.set_ylim(middle / 10, middle * 10)
    ax.set_xlabel("layer l (1 = next to the input)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8)


def _per_layer(stats: LayerStatistics | Sequence[LayerStatistics], ax: "Axes | None", field: str, title: str,
               ylabel: str) -> "Axes":
    ax = axes_or_current(ax)
    runs = _as_list(stats)
    for s in runs:
        _log_series(ax, s.layers, getattr(s, field), s.label)
    ax.set(title=title, ylabel=ylabel)
    _layer_axis(ax, [getattr(s, field) for s in runs])
    return ax


def plot_layer_activation_std(
    stats: LayerStatistics | Sequence[LayerStatistics], ax: "Axes | None" = None, *, title: str = ""
) -> "Axes":
    """The standard deviation of each layer's activations h_l, one line per network, log scale."""
    return _per_layer(stats, ax, "act_std", title or "Forward: activation std per layer", "std of $h_l$")


def plot_layer_grad_norms(
    stats: LayerStatistics | Sequence[LayerStatistics], ax: "Axes | None" = None, *, title: str = ""
) -> "Axes":
    """The norm of each layer's weight gradient ‖∂loss/∂W_l‖, one line per network, log scale."""
    return _per_layer(stats, ax, "grad_norm", title or "Backward: weight-gradient norm per layer", "‖∂loss/∂$W_l$‖")
