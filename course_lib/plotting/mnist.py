"""Plot helpers for the MNIST lessons (07 NumPy, 08 PyTorch): pure ``(data, ax=None, ...) -> Axes``.

What the pixels look like on average, how a trained classifier's mistakes are distributed (the
confusion matrix), which digits it gets most confidently wrong, and the training curves drawn
into a fixed frame so that a live plot grows epoch by epoch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike

from course_lib.plotting.core import axes_or_current, plot_digit_grid

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from course_lib.history import History

__all__ = [
    "plot_confusion_matrix",
    "plot_mistakes",
    "plot_pixel_histogram",
    "plot_pixel_statistics",
    "plot_probabilities",
    "plot_training_curves",
]

_STATISTICS = {"mean": "Mean", "std": "Standard deviation"}


def _as_images(X: ArrayLike, who: str) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim < 2 or len(X) == 0 or X.size != len(X) * 784:
        raise ValueError(f"{who} expects N >= 1 MNIST images shaped (N, 784) or (N, 28, 28); got shape {X.shape}.")
    return X.reshape(len(X), 28, 28)


def plot_pixel_statistics(X: ArrayLike, ax: "Axes | None" = None, *, statistic: str = "mean", title: str | None = None) -> "Axes":
    """The mean (or standard deviation) of every pixel over a set of images, as a 28 x 28 picture.

    The mean image shows where ink usually is; the std image where images differ from each other.
    A colour bar gives the scale. Border pixels are 0 in almost every image: mean and std ≈ 0.

    Args:
        X: images, (N, 784) or (N, 28, 28).
        statistic: ``"mean"`` or ``"std"``.
    """
    if statistic not in _STATISTICS:
        raise ValueError(f"statistic must be one of {list(_STATISTICS)}, got {statistic!r}.")
    images = _as_images(X, "plot_pixel_statistics")
    ax = axes_or_current(ax)
    picture = images.mean(axis=0) if statistic == "mean" else images.std(axis=0)
    shown = ax.imshow(picture, cmap="magma", interpolation="nearest")
    ax.figure.colorbar(shown, ax=ax, shrink=0.85, label=f"pixel {statistic}")
    ax.set(title=title or f"{_STATISTICS[statistic]} of each pixel ({len(images):,} images)", xlabel="column", ylabel="row")
    return ax


def plot_pixel_histogram(X: ArrayLike, ax: "Axes | None" = None, *, bins: int = 50, title: str | None = None) -> "Axes":
    """A histogram of all pixel values of a set of images, on a log count axis.

    Marks the mean and mean ± one standard deviation, the two numbers standardisation uses.
    """
    values = np.asarray(X, dtype=np.float64).ravel()
    if values.size == 0:
        raise ValueError("plot_pixel_histogram needs at least one pixel value.")
    ax = axes_or_current(ax)
    mean, std = values.mean(), values.std()
    ax.hist(values, bins=bins, color="tab:blue", log=True, label="pixel values")
    ax.axvline(mean, color="crimson", linewidth=1.5, label=f"mean μ = {mean:.3g}")
    for edge in (mean - std, mean + std):
        ax.axvline(edge, color="crimson", linewidth=1, linestyle="--", label=f"μ ± σ, σ = {std:.3g}" if edge < mean else None)
    ax.set(title=title or f"All {values.size:,} pixel values", xlabel="pixel value", ylabel="count (log scale)")
    ax.legend(loc="center")
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

    Built on :func:`course_lib.plotting.core.plot_digit_grid` (wrong captions in red); the
    confidence is the probability the model gave to the digit it predicted.

    Args:
        images: (N, 784) or (N, 28, 28), e.g. ``X_test[idx]`` for ``idx`` from ``most_confident_mistakes``.
        labels, predictions: (N,) true and predicted digits.
        probs: (N, C) probabilities, or (N,) the confidence of each prediction.
    """
    images = _as_images(images, "plot_mistakes")
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


def plot_training_curves(
    history: "History", kind: str = "loss", ax: "Axes | None" = None, *, epochs: int | None = None
) -> "Axes":
    """Training and validation loss (``kind="loss"``) or accuracy (``"acc"``) per epoch, or the
    learning rate each epoch used (``"lr"``).

    With ``epochs`` the x-axis is fixed to the whole run, so a live plot grows from left to right
    instead of rescaling at every epoch. Accuracy is drawn in percent, loss on a log axis.
    """
    if kind not in ("loss", "acc", "lr"):
        raise ValueError(f"kind must be 'loss', 'acc' or 'lr', got {kind!r}.")
    ax = axes_or_current(ax)
    names = ["lr"] if kind == "lr" else [f"{split}_{kind}" for split in ("train", "val")]
    names = [name for name in names if name in history.metrics]
    if not names:
        wanted = "lr" if kind == "lr" else f"train_{kind} or val_{kind}"
        raise ValueError(f"This History has no {wanted}; it has {history.metrics or 'no epochs yet'}.")
    scale = 100.0 if kind == "acc" else 1.0
    for name, color in zip(names, ("tab:blue", "tab:orange")):
        values = history[name] * scale
        if kind == "lr":
            label = "learning rate α"
        else:
            label = f"{'training' if name.startswith('train') else 'validation'}: {values[-1]:.4g}{' %' if kind == 'acc' else ''}"
        ax.plot(history.epoch, values, "o-", markersize=3, color=color, label=label)
    if kind == "loss":
        ax.set_yscale("log")
    titles = {"loss": f"Loss after epoch {len(history)}", "acc": f"Accuracy after epoch {len(history)}",
              "lr": "Learning rate of each epoch"}
    ylabels = {"loss": "cross-entropy loss", "acc": "accuracy (%)", "lr": "learning rate α"}
    ax.set(title=titles[kind], xlabel="epoch", ylabel=ylabels[kind])
    if kind == "lr":
        ax.set_ylim(bottom=0)
    if epochs is not None:
        ax.set_xlim(0.5, epochs + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="best")
    return ax
