"""The plot helpers several lessons share: each takes data (and optionally an Axes), draws, returns the Axes.

Notebooks and explorers call the same helpers, so a figure looks the same wherever it appears.
Every helper sets a title, axis labels and, where there is more than one series, a legend. Here:
datasets and digits (lesson 00 on), History curves, the MNIST analyses of lessons 07 and 08
(confusion matrix, confident mistakes, class probabilities), per-step training losses, and one
colour per optimizer. A picture only one lesson draws lives in that lesson's ``plots.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from course_lib.history import History

__all__ = [
    "OPTIMIZER_COLORS", "as_images", "axes_or_current", "optimizer_style", "plot_confusion_matrix", "plot_dataset",
    "plot_digit_grid", "plot_history", "plot_label_counts", "plot_metric", "plot_mistakes", "plot_probabilities",
    "plot_step_losses",
]

OPTIMIZER_COLORS: dict[str, str] = {
    "SGD": "tab:blue",
    "momentum": "tab:orange",
    "nesterov": "tab:green",
    "Adagrad": "tab:red",
    "RMSprop": "tab:purple",
    "Adam": "tab:brown",
    "AdamW": "tab:pink",
    "FlawedAdam": "tab:olive",
}
"""One colour per optimizer, so that it looks the same in every panel; a label such as
"Adam (lr=0.1)" takes the colour of the name before the parenthesis."""

_DASHED = {"nesterov", "RMSprop", "AdamW"}  # each often walks on top of its cousin (momentum, Adagrad, Adam)

def optimizer_style(label: str) -> dict[str, str]:
    """Colour and line style of an optimizer's series, from the name at the start of its label."""
    name = label.split(" (")[0].strip()
    if name not in OPTIMIZER_COLORS:
        return {}
    return {"color": OPTIMIZER_COLORS[name], "linestyle": "--" if name in _DASHED else "-"}


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

def as_images(X: ArrayLike, who: str) -> np.ndarray:
    """MNIST images as an (N, 28, 28) float array; a clear error for anything else."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim < 2 or len(X) == 0 or X.size != len(X) * 784:
        raise ValueError(f"{who} expects N >= 1 MNIST images shaped (N, 784) or (N, 28, 28); got shape {X.shape}.")
    return X.reshape(len(X), 28, 28)



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


def plot_confusion_matrix(
    cm: ArrayLike, ax: "Axes | None" = None, *, log_scale: bool = True, title: str | None = None
) -> "Axes":
    """A confusion matrix as a grid of counts: row = true digit, column = predicted digit.

    Every cell shows its count; the colour scale is logarithmic by default, because the correct
    predictions on the diagonal (about a thousand per digit) would otherwise leave the mistakes
    (a handful each) invisible. Empty cells stay white.

    Args:
        cm: (C, C) counts, ``cm[i, j]`` = examples of class i predicted as j.
        log_scale: colour by log(count); False colours linearly.
        title: default: the accuracy the matrix implies.
    """
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.size == 0:
        raise ValueError(f"plot_confusion_matrix expects a square (C, C) matrix of counts; got shape {cm.shape}.")
    if np.any(cm < 0):
        raise ValueError("plot_confusion_matrix: counts must be >= 0.")
    ax = axes_or_current(ax)
    n = cm.shape[0]
    shown_values = np.ma.masked_equal(cm.astype(np.float64), 0)
    norm = LogNorm(vmin=1, vmax=max(cm.max(), 2)) if log_scale else None
    image = ax.imshow(shown_values, cmap="Blues", norm=norm, interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, shrink=0.85, label="count" + (" (log scale)" if log_scale else ""))
    threshold = np.sqrt(max(cm.max(), 1)) if log_scale else cm.max() / 2
    for i in range(n):
        for j in range(n):
            if cm[i, j]:
                color = "white" if cm[i, j] > threshold else ("black" if i == j else "crimson")
                ax.text(j, i, str(int(cm[i, j])), ha="center", va="center", fontsize=8 if n <= 10 else 6, color=color)
    total = cm.sum()
    acc = np.trace(cm) / total if total else float("nan")
    ax.set(
        title=title or f"Confusion matrix: {total - np.trace(cm):,} mistakes in {total:,} ({acc:.2%} right)",
        xlabel="predicted digit", ylabel="true digit", xticks=range(n), yticks=range(n),
    )
    return ax


def plot_mistakes(
    images: ArrayLike,
    labels: ArrayLike,
    predictions: ArrayLike,
    probs: ArrayLike,
    ax: "Axes | None" = None,
    *,
    ncols: int = 8,
    title: str = "The most confident mistakes",
) -> "Axes":
    """A grid of misclassified digits, each captioned ``true→predicted  confidence``.

    Built on :func:`course_lib.ui.plots.plot_digit_grid` (wrong captions in red); the
    confidence is the probability the model gave to the digit it predicted.

    Args:
        images: (N, 784) or (N, 28, 28), e.g. ``X_test[idx]`` for ``idx`` from ``most_confident_mistakes``.
        labels, predictions: (N,) true and predicted digits.
        probs: (N, C) probabilities, or (N,) the confidence of each prediction.
    """
    images = as_images(images, "plot_mistakes")
    labels, predictions, probs = np.asarray(labels), np.asarray(predictions), np.asarray(probs, dtype=np.float64)
    n = len(images)
    if labels.shape != (n,) or predictions.shape != (n,) or len(probs) != n:
        raise ValueError(
            f"plot_mistakes needs one label, prediction and probability row per image: {n} images, "
            f"{labels.shape} labels, {predictions.shape} predictions, {probs.shape} probabilities."
        )
    confidence = probs[np.arange(n), predictions] if probs.ndim == 2 else probs
    ax = plot_digit_grid(images, labels, predictions=predictions, ncols=ncols, ax=ax, title=title)
    for text, p in zip(ax.texts[-n:], confidence):
        text.set_text(f"{text.get_text()} {p:.0%}")
        text.set_fontsize(8)
    return ax


def plot_probabilities(probs: ArrayLike, label: int | None = None, ax: "Axes | None" = None, *, title: str | None = None) -> "Axes":
    """The ten class probabilities of one image as bars; the prediction red if wrong, the true digit green.

    Args:
        probs: (C,) probabilities summing to 1.
        label: the true digit, or None when unknown.
    """
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 1 or probs.size == 0:
        raise ValueError(f"plot_probabilities expects one row of class probabilities, shape (C,); got {probs.shape}.")
    ax = axes_or_current(ax)
    predicted = int(probs.argmax())
    colors = ["0.7"] * len(probs)
    if label is not None:
        colors[predicted] = "tab:green" if predicted == label else "crimson"
        colors[label] = "tab:green"
    else:
        colors[predicted] = "tab:blue"
    bars = ax.bar(np.arange(len(probs)), probs, color=colors)
    if label is not None and predicted != label:
        bars[predicted].set_label(f"predicted {predicted}")
        bars[label].set_label(f"true digit {label}")
        ax.legend(loc="upper right")
    ax.set(title=title or f"Predicted {predicted} with probability {probs[predicted]:.1%}", xlabel="digit",
           ylabel="probability", xticks=range(len(probs)), ylim=(0, 1.05))
    return ax


def plot_step_losses(
    curves: Mapping[str, NDArray],
    ax: "Axes | None" = None,
    *,
    smooth: int = 1,
    title: str = "Training loss per step",
    ylabel: str = "training loss (mini-batch)",
    log: bool = True,
) -> "Axes":
    """Per-step training losses, one line each; ``smooth`` > 1 draws a running mean over that many steps.

    Mini-batch losses jump from step to step; the running mean shows the trend (the first
    ``smooth − 1`` steps average over fewer values).
    """
    ax = axes_or_current(ax)
    if not curves:
        raise ValueError("nothing to draw: pass {name: losses per step}.")
    if isinstance(smooth, bool) or not isinstance(smooth, (int, np.integer)) or smooth < 1:
        raise ValueError(f"smooth must be a whole number >= 1 (1 draws the raw losses), got {smooth!r}.")
    for label, losses in curves.items():
        losses = np.asarray(losses, dtype=np.float64)
        cumulative = np.cumsum(np.insert(losses, 0, 0.0))
        lo = np.maximum(np.arange(1, len(losses) + 1) - smooth, 0)
        shown = (cumulative[1:] - cumulative[lo]) / (np.arange(1, len(losses) + 1) - lo)
        ax.plot(np.arange(1, len(losses) + 1), shown, linewidth=1.4, **optimizer_style(label), label=label)
    if log:
        ax.set_yscale("log")
    suffix = f" (running mean of {smooth})" if smooth > 1 else ""
    ax.set(title=title + suffix, xlabel="step", ylabel=ylabel)
    if len(curves) > 1:
        ax.legend(fontsize="small")
    return ax
