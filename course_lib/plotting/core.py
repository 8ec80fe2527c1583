"""Pure plot helpers: each takes data (and optionally an Axes), draws, and returns the Axes.

Notebooks and widgets call the same helpers, so a figure looks the same wherever it appears.
Every helper sets a title, axis labels and, where there is more than one series, a legend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.ticker import MaxNLocator
from numpy.typing import NDArray

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from course_lib.history import History

__all__ = ["axes_or_current", "plot_dataset", "plot_digit_grid", "plot_history", "plot_label_counts", "plot_metric"]

_SPLITS = ("train", "val", "test")
_KIND_LABELS = {"loss": "loss", "acc": "accuracy", "accuracy": "accuracy", "lr": "learning rate"}
_SPLIT_LABELS = {"train": "training", "val": "validation", "test": "test", "": "value"}


def axes_or_current(ax: "Axes | None") -> "Axes":
    """``ax`` itself, or pyplot's current Axes when it is None: how every plot helper starts."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.gca()


def _split_name(metric: str) -> tuple[str, str]:
    """``"val_loss"`` -> ``("val", "loss")``; ``"loss"`` -> ``("", "loss")``."""
    head, _, tail = metric.partition("_")
    return (head, tail) if head in _SPLITS and tail else ("", metric)


def plot_metric(history: "History", kind: str = "loss", ax: "Axes | None" = None) -> "Axes":
    """Draw every per-epoch metric of one kind (``train_loss``, ``val_loss``, ...) against epochs.

    For ``kind="loss"`` the per-step losses, if recorded, are drawn faintly behind, spread over the
    epochs they belong to.
    """
    ax = axes_or_current(ax)
    names = [m for m in history.metrics if _split_name(m)[1] == kind]
    if not names:
        raise ValueError(f"This History has no {kind!r} metric; it has {history.metrics}.")
    if kind == "loss" and any("loss" in row for row in history.steps):
        steps = history.step_series("loss")
        x = np.linspace(0, len(history), len(steps) + 1)[1:]
        ax.plot(x, steps, color="0.75", linewidth=0.8, label="training loss per step")
    for name in names:
        split = _split_name(name)[0]
        ax.plot(history.epoch, history[name], marker="o", markersize=3, label=f"{_SPLIT_LABELS[split]} {_KIND_LABELS.get(kind, kind)}")
    label = _KIND_LABELS.get(kind, kind)
    ax.set(title=f"{label.capitalize()} per epoch", xlabel="epoch", ylabel=label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
    ax.legend()
    return ax


def plot_history(
    history: "History", *, kinds: Sequence[str] | None = None, figsize: tuple[float, float] | None = None
) -> "Figure":
    """One panel per kind of metric, side by side.

    ``kinds`` picks the panels, e.g. ``("loss", "acc", "lr")``; by default loss and accuracy
    (those present), or every kind when the History has neither.
    """
    from matplotlib.figure import Figure

    if len(history) == 0:
        raise ValueError("This History has no epochs yet; train first, then plot.")
    present = list(dict.fromkeys(_split_name(m)[1] for m in history.metrics))
    if kinds is None:
        kinds = [k for k in present if k in ("loss", "acc")] or present
    unknown = [k for k in kinds if k not in present]
    if unknown:
        raise ValueError(f"No {unknown} metrics in this History; it has the kinds {present}.")
    fig = Figure(figsize=figsize or (4.5 * len(kinds), 3.5), layout="constrained")
    for ax, kind in zip(np.atleast_1d(fig.subplots(1, len(kinds))), kinds):
        plot_metric(history, kind, ax=ax)
    return fig


def plot_digit_grid(
    images: NDArray,
    labels: NDArray,
    *,
    predictions: NDArray | None = None,
    ncols: int = 10,
    ax: "Axes | None" = None,
    title: str = "MNIST digits and their labels",
) -> "Axes":
    """Tile 28 x 28 images into one picture with each label above its digit.

    With ``predictions``, each caption reads ``label→prediction`` and wrong ones are red.

    Shape: images: (N, 784) or (N, 28, 28); labels, predictions: (N,).
    """
    images = np.asarray(images)
    n = len(images)
    if n == 0 or images.size != n * 28 * 28:
        raise ValueError(
            f"plot_digit_grid expects N >= 1 MNIST images of 28 x 28 = 784 pixels, shaped (N, 784) "
            f"or (N, 28, 28); got shape {images.shape}."
        )
    if len(labels) != n or (predictions is not None and len(predictions) != n):
        raise ValueError(f"Need one label (and prediction) per image: {n} images, {len(labels)} labels.")
    ax = axes_or_current(ax)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    cell, pad = 28, 6  # pixels per digit, gap for the caption
    canvas = np.full((nrows * (cell + pad), ncols * (cell + 2)), np.nan)
    for i, img in enumerate(images.reshape(n, 28, 28)):
        r, c = divmod(i, ncols)
        top, left = r * (cell + pad) + pad, c * (cell + 2) + 1
        canvas[top : top + cell, left : left + cell] = img
    ax.imshow(canvas, cmap="gray_r", interpolation="nearest")
    for i in range(n):
        r, c = divmod(i, ncols)
        x, y = c * (cell + 2) + 1 + cell / 2, r * (cell + pad) + pad - 1
        if predictions is None:
            text, color = str(labels[i]), "black"
        else:
            text = f"{labels[i]}→{predictions[i]}"
            color = "black" if labels[i] == predictions[i] else "crimson"
        ax.text(x, y, text, ha="center", va="bottom", fontsize=9, color=color)
    ax.set_title(title)
    ax.set_axis_off()
    return ax


def plot_label_counts(labels_by_split: Mapping[str, NDArray], ax: "Axes | None" = None) -> "Axes":
    """Bars of how often each digit occurs, as a percentage of its split, one colour per split."""
    ax = axes_or_current(ax)
    classes = np.arange(10)
    width = 0.8 / max(len(labels_by_split), 1)
    for k, (split, labels) in enumerate(labels_by_split.items()):
        share = 100 * np.bincount(np.asarray(labels), minlength=10)[:10] / len(labels)
        ax.bar(classes + (k - (len(labels_by_split) - 1) / 2) * width, share, width, label=f"{split} ({len(labels)} images)")
    ax.set(title="How often each digit occurs", xlabel="digit", ylabel="share of the split (%)", xticks=classes)
    ax.legend()
    return ax


def plot_dataset(X: NDArray, y: NDArray, ax: "Axes | None" = None, *, title: str = "") -> "Axes":
    """A scatter of a small data set: y against x for regression (one feature, real targets),
    or the two features coloured by class for classification (integer labels)."""
    ax = axes_or_current(ax)
    X, y = np.asarray(X), np.asarray(y)
    if np.issubdtype(y.dtype, np.integer):
        if X.ndim != 2 or X.shape[1] != 2:
            raise ValueError(f"A classification scatter needs X of shape (N, 2); got {X.shape}.")
        for c in np.unique(y):
            ax.scatter(*X[y == c].T, s=12, label=f"class {c}")
        ax.set(xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    else:
        if X.reshape(len(X), -1).shape[1] != 1:
            raise ValueError(f"A regression scatter needs one feature, X of shape (N, 1); got {X.shape}.")
        ax.scatter(X.ravel(), y, s=12, label="samples")
        ax.set(xlabel="$x$", ylabel="$y$")
    ax.set_title(title)
    ax.legend()
    return ax
