"""Plot helpers for lesson 09, hyperparameter exploration: pure ``(data, ax=None, ...) -> Axes``.

Curves of several runs side by side, an accuracy grid as a heat map, accuracy against a
learning rate, the learning-rate range test, and the points of a search coloured by their
validation accuracy. The training explorer (``course_lib.lessons.l09_hyperparameter_exploration.explorers``) draws one
run with :func:`plot_run`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.colors import Normalize
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike

from course_lib.ui.plots import axes_or_current

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from course_lib.lessons.l09_hyperparameter_exploration.tuning import LRRangeResult, Trial

__all__ = [
    "plot_accuracy_grid",
    "plot_accuracy_vs",
    "plot_lr_range_test",
    "plot_run",
    "plot_search",
    "plot_search_projection",
    "plot_trial_curves",
]

_METRIC_LABELS = {"loss": "training loss per step", "train_loss": "training loss", "val_loss": "validation loss",
                  "train_acc": "training accuracy (%)", "val_acc": "validation accuracy (%)",
                  "weight_norm": "weight norm ‖W‖"}
_AXIS_LABELS = {"lr": "learning rate η", "weight_decay": "weight decay λ", "batch_size": "batch size B",
                "hidden": "hidden units H", "momentum": "momentum β", "dropout": "dropout p"}
_CMAP = "viridis"


def plot_trial_curves(trials: Mapping[str, "Trial"], ax: "Axes | None" = None, *, metric: str = "val_loss",
                      title: str | None = None, log: bool = False) -> "Axes":
    """One curve per run of ``metric`` against epochs, labelled with the dict's keys.

    ``metric`` is a per-epoch name (``"val_loss"``, ``"val_acc"``, ``"weight_norm"``, ...) or
    ``"loss"``: the loss of every step, at its fraction of an epoch. A diverged run ends in a ✕.
    Accuracies are drawn in percent.
    """
    if metric not in _METRIC_LABELS:
        raise ValueError(f"metric must be one of {list(_METRIC_LABELS)}, got {metric!r}.")
    if not trials:
        raise ValueError("plot_trial_curves needs at least one run, as {label: trial}.")
    ax = axes_or_current(ax)
    scale = 100.0 if metric.endswith("acc") else 1.0
    for label, trial in trials.items():
        h = trial.history
        if metric == "loss":
            y = h.step_series("loss") if h.steps else np.array([])
            x = np.arange(1, len(y) + 1) / trial.steps_per_epoch
            style = {"linewidth": 1.0}
        else:
            y = h[metric] * scale if len(h) and metric in h.metrics else np.array([])
            x = h.epoch[: len(y)]
            style = {"marker": "o", "markersize": 3}
        line, = ax.plot(x, y, label=label + (" (diverged)" if trial.diverged else ""), **style)
        if trial.diverged and len(y):
            ax.plot(x[-1], y[-1], "x", color=line.get_color(), markersize=10, markeredgewidth=2)
    if log:
        ax.set_yscale("log")
    ax.set(title=title or f"{_METRIC_LABELS[metric].capitalize()} per epoch", xlabel="epoch", ylabel=_METRIC_LABELS[metric])
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))   # epochs are whole numbers
    ax.legend()
    return ax


def plot_accuracy_grid(values: ArrayLike, row_values: Sequence[Any], col_values: Sequence[Any], ax: "Axes | None" = None, *,
                       row_label: str, col_label: str, title: str = "Validation accuracy") -> "Axes":
    """A heat map of accuracies (fractions), one cell per (row, column) setting, each written in %.

    NaN cells (diverged runs) are grey and say so. The best cell of each row is framed, so a
    ridge of good settings shows at a glance.
    """
    values = np.asarray(values, dtype=float)
    if values.shape != (len(row_values), len(col_values)):
        raise ValueError(f"values must have shape (rows, cols) = ({len(row_values)}, {len(col_values)}); got {values.shape}.")
    ax = axes_or_current(ax)
    finite = values[np.isfinite(values)]
    low = float(finite.min()) if finite.size else 0.0
    image = ax.imshow(np.ma.masked_invalid(values * 100), cmap=_CMAP, vmin=100 * low, vmax=100 * (float(finite.max()) if finite.size else 1.0),
                      aspect="auto", origin="lower")
    ax.set_facecolor("0.85")
    ax.figure.colorbar(image, ax=ax, label="validation accuracy (%)")
    for i in range(values.shape[0]):
        row = values[i]
        best = int(np.nanargmax(row)) if np.isfinite(row).any() else None
        for j, v in enumerate(row):
            text = "diverged" if not np.isfinite(v) else f"{100 * v:.1f}"
            colour = "black" if not np.isfinite(v) or v > low + 0.6 * (finite.max() - low) else "white"
            ax.text(j, i, text, ha="center", va="center", fontsize=9, color=colour,
                    fontweight="bold" if j == best else "normal")
        if best is not None:
            ax.add_patch(_frame(best, i))
    ax.set_xticks(range(len(col_values)), [f"{v:g}" for v in col_values])
    ax.set_yticks(range(len(row_values)), [f"{v:g}" for v in row_values])
    ax.set(title=title, xlabel=col_label, ylabel=row_label)
    ax.plot([], [], "s", markerfacecolor="none", markeredgecolor="crimson", markersize=10, label="best of the row")
    ax.legend(loc="upper left", fontsize=8, framealpha=0.9)
    return ax


def _frame(x: int, y: int) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.48, y - 0.48), 0.96, 0.96, fill=False, edgecolor="crimson", linewidth=2)


def plot_accuracy_vs(curves: Mapping[str, tuple[ArrayLike, ArrayLike]], ax: "Axes | None" = None, *,
                     xlabel: str = "learning rate η", title: str = "Validation accuracy") -> "Axes":
    """Accuracy (fractions, drawn in %) against a log-scaled setting, one line per label.

    ``curves`` maps a label to ``(x, accuracy)``; NaN accuracies (diverged runs) leave a gap and
    a ✕ at the bottom of the plot.
    """
    if not curves:
        raise ValueError("plot_accuracy_vs needs at least one curve, as {label: (x, accuracy)}.")
    ax = axes_or_current(ax)
    for label, (x, acc) in curves.items():
        x, acc = np.asarray(x, dtype=float), np.asarray(acc, dtype=float)
        line, = ax.plot(x, 100 * acc, "o-", label=label)
        lost = ~np.isfinite(acc)
        if lost.any():
            ax.plot(x[lost], np.full(lost.sum(), 0.0), "x", color=line.get_color(), markersize=9, markeredgewidth=2,
                    transform=ax.get_xaxis_transform())
    ax.set_xscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel="validation accuracy (%)")
    ax.legend()
    return ax


def plot_lr_range_test(result: "LRRangeResult", ax: "Axes | None" = None, *, title: str | None = None) -> "Axes":
    """The range test's loss against the learning rate (log axis): raw losses faint, the smoothed
    loss bold, its minimum marked, and the suggested learning rate (a tenth of it) as a line."""
    ax = axes_or_current(ax)
    ax.plot(result.lrs, result.losses, color="0.75", linewidth=0.8, label="loss of each mini-batch")
    ax.plot(result.lrs, result.smoothed, color="tab:blue", linewidth=2, label="smoothed loss")
    lowest = int(np.argmin(result.smoothed))
    ax.plot(result.min_lr, result.smoothed[lowest], "o", color="tab:red", label=f"minimum at η = {result.min_lr:.2g}")
    ax.axvline(result.suggested_lr, color="tab:green", linestyle="--", label=f"suggested η = {result.suggested_lr:.2g} (a tenth)")
    ax.set_xscale("log")
    top = min(float(np.max(result.smoothed)), 2.5 * float(result.smoothed[0]))   # the blow-up would squash the rest
    ax.set_ylim(0, 1.1 * max(top, float(result.smoothed[lowest])))
    stopped = {"blow-up": "stopped: loss > 4× its minimum", "not finite": "stopped: loss became NaN/inf",
               "end": "reached the last η"}[result.stop_reason]
    ax.set(title=title or f"Learning-rate range test ({len(result.lrs)} steps; {stopped})",
           xlabel="learning rate η (log scale)", ylabel="training loss")
    ax.legend(loc="lower left", fontsize=8)
    return ax


def plot_search(trials: Sequence["Trial"], ax: "Axes | None" = None, *, x: str = "lr", y: str = "weight_decay",
                vmin: float | None = None, vmax: float | None = None, title: str = "Search", colorbar: bool = True) -> "Axes":
    """The tried points in the (x, y) plane, coloured by validation accuracy (✕: diverged), both
    axes log-scaled (symmetric-log when a value is 0), with the points' projections onto the x-axis
    as ticks along its bottom.

    Give two searches the same ``vmin`` / ``vmax`` (fractions) to compare their colours.
    """
    if not trials:
        raise ValueError("plot_search needs at least one trial.")
    ax = axes_or_current(ax)
    xs = np.array([getattr(t.hp, x) for t in trials], dtype=float)
    ys = np.array([getattr(t.hp, y) for t in trials], dtype=float)
    acc = np.array([t.val_acc for t in trials])
    ok = np.isfinite(acc)
    norm = Normalize(vmin=100 * (vmin if vmin is not None else np.nanmin(acc)),
                     vmax=100 * (vmax if vmax is not None else np.nanmax(acc))) if ok.any() else None
    points = ax.scatter(xs[ok], ys[ok], c=100 * acc[ok], cmap=_CMAP, norm=norm, s=70, edgecolors="black", zorder=3,
                        label="a run (colour: accuracy)")
    if (~ok).any():
        ax.scatter(xs[~ok], ys[~ok], marker="x", color="crimson", s=60, zorder=3, label="diverged")
    ax.plot(xs, np.zeros_like(xs), "|", color="black", markersize=18, markeredgewidth=1.5,
            transform=ax.get_xaxis_transform(), clip_on=False, label=f"distinct {_AXIS_LABELS.get(x, x).split()[-1]}: {len(np.unique(xs))}")
    _log_axis(ax.set_xscale, xs)
    _log_axis(ax.set_yscale, ys)
    ax.set(title=title, xlabel=_AXIS_LABELS.get(x, x), ylabel=_AXIS_LABELS.get(y, y))
    if colorbar and ok.any():
        ax.figure.colorbar(points, ax=ax, label="validation accuracy (%)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8)   # below: no point hidden
    return ax


def _log_axis(set_scale: Any, values: np.ndarray) -> None:
    """A log axis; a symmetric-log one (linear near 0) when a value is 0, such as λ = 0, so that it stays visible."""
    positive = values[values > 0]
    if np.all(values > 0):
        set_scale("log")
    else:
        set_scale("symlog", linthresh=float(positive.min()) if positive.size else 1e-6)


def plot_search_projection(searches: Mapping[str, Sequence["Trial"]], ax: "Axes | None" = None, *, x: str = "lr",
                           title: str | None = None) -> "Axes":
    """Validation accuracy against one hyperparameter (log axis) for several searches: the view
    from the side that shows how many different values of that hyperparameter each search tried."""
    if not searches:
        raise ValueError("plot_search_projection needs at least one search, as {name: trials}.")
    ax = axes_or_current(ax)
    for (name, trials), marker in zip(searches.items(), "osD^v"):
        xs = np.array([getattr(t.hp, x) for t in trials], dtype=float)
        acc = np.array([t.val_acc for t in trials])
        ax.plot(xs, 100 * acc, marker, markersize=8, alpha=0.8, label=f"{name}: {len(np.unique(xs))} distinct values")
    ax.set_xscale("log")
    label = _AXIS_LABELS.get(x, x)
    ax.set(title=title or f"Accuracy against {label.split()[-1]} alone", xlabel=label, ylabel="validation accuracy (%)")
    ax.legend(fontsize=8)
    return ax


def plot_run(trial: "Trial", axes: Sequence["Axes"], *, best: "Trial | None" = None) -> Sequence["Axes"]:
    """One run on two Axes: the loss (every step faintly, each epoch's training and validation
    loss as points) and the accuracy per epoch; ``best``'s validation accuracy dashed for comparison.

    The x-axes span the run's planned epochs, so a diverged run ends early on the same frame.
    """
    ax_loss, ax_acc = axes
    h, epochs = trial.history, trial.hp.epochs
    if h.steps:
        steps = h.step_series("loss")
        ax_loss.plot(np.arange(1, len(steps) + 1) / trial.steps_per_epoch, steps, color="0.6", linewidth=0.8,
                     marker="." if len(steps) < 20 else None, label="training loss per step")
    for name, colour, label in (("train_loss", "tab:blue", "training"), ("val_loss", "tab:orange", "validation")):
        if len(h) and name in h.metrics:
            ax_loss.plot(h.epoch, h[name], "o-", color=colour, markersize=4, label=f"{label}: {h[name][-1]:.3g}")
    if trial.diverged:
        blowup = trial.blowup_loss if trial.blowup_loss is not None and np.isfinite(trial.blowup_loss) else None
        y = blowup if blowup is not None else 10 * max([row["loss"] for row in h.steps], default=1.0)
        ax_loss.plot(trial.diverged_at[1] / trial.steps_per_epoch, y, "x", color="crimson", markersize=11, markeredgewidth=2.5,
                     label=f"blow-up: loss {blowup:.3g}" if blowup is not None else "blow-up: loss not finite")
    ax_loss.set_yscale("log")
    ax_loss.set(title="Loss", xlabel="epoch", ylabel="cross-entropy loss", xlim=(0, epochs + 0.2))
    for name, colour, label in (("train_acc", "tab:blue", "training"), ("val_acc", "tab:orange", "validation")):
        if len(h) and name in h.metrics:
            ax_acc.plot(h.epoch, 100 * h[name], "o-", color=colour, markersize=4, label=f"{label}: {100 * h[name][-1]:.1f} %")
    if best is not None and best is not trial and len(best.history):
        ax_acc.plot(best.history.epoch, 100 * best.history["val_acc"], "--", color="0.4",
                    label=f"best run so far: {100 * best.val_acc:.1f} %")
    ax_acc.set(title="Accuracy", xlabel="epoch", ylabel="accuracy (%)", xlim=(0.5, epochs + 0.5))
    ax_acc.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in axes:
        if ax.lines:
            ax.legend(loc="best", fontsize=8)
    return axes
