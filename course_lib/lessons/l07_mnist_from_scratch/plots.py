"""Plot helpers for the MNIST lessons (07 NumPy, 08 PyTorch): pure ``(data, ax=None, ...) -> Axes``.

What the pixels look like on average, how a trained classifier's mistakes are distributed (the
confusion matrix), which digits it gets most confidently wrong, and the training curves drawn
into a fixed frame so that a live plot grows epoch by epoch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike

from course_lib.ui.plots import as_images, axes_or_current

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from course_lib.history import History

__all__ = ["plot_pixel_histogram", "plot_pixel_statistics", "plot_training_curves"]

_STATISTICS = {"mean": "Mean", "std": "Standard deviation"}



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
    images = as_images(X, "plot_pixel_statistics")
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
