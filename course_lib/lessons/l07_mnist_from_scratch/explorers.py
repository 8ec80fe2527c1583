"""Lesson 07's widgets: live training curves, and a browser of the classifier's mistakes.

``LiveCurves`` is a ``fit`` callback: after every epoch it redraws the loss and accuracy so far
into an ``ipywidgets.Image``. ``mistake_browser`` steps through the wrong predictions, surest
first, showing each digit beside the ten probabilities the network gave it. Neither computes
anything: the curves come from the epoch's logs, the mistakes from ``most_confident_mistakes``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from course_lib.history import History
from course_lib.metrics import most_confident_mistakes
from course_lib.ui.plots import plot_probabilities
from course_lib.lessons.l07_mnist_from_scratch.plots import plot_training_curves
from course_lib.ui.explorer import (
    SLIDER, Explorer, Redraw, assemble_explorer, clear_axes, draw_message, figure_view, show_figure,
)

__all__ = ["LiveCurves", "mistake_browser"]


class LiveCurves:
    """A ``fit`` callback that draws the loss and accuracy curves while training runs.

    Display it before training (``display(live)`` or as a cell's last expression), then pass it
    in ``callbacks=[live]``. At the end of each epoch it records the epoch's numbers in
    ``live.history`` and redraws ``live.figure`` (a matplotlib Figure, not pyplot) into its
    Image widget. Outside IPython it only records; nothing is shown.

    Args:
        epochs: the planned number of epochs, to fix the x-axis; None lets it grow.
    """

    def __init__(self, epochs: int | None = None) -> None:
        from matplotlib.figure import Figure

        self.epochs = epochs
        self.history = History()
        self.figure = Figure(figsize=(10, 3.4), layout="constrained")
        self.axes = self.figure.subplots(1, 2)
        self.view = figure_view()

    def on_train_begin(self, model: Any) -> None:
        self.history = History()

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Any) -> bool:
        self.history.log_epoch(**{k: v for k, v in logs.items() if k in ("train_loss", "val_loss", "train_acc", "val_acc")})
        self.redraw()
        return False  # never asks fit to stop

    def redraw(self) -> None:
        clear_axes(*self.axes)
        for ax, kind in zip(self.axes, ("loss", "acc")):
            if any(k.endswith(kind) for k in self.history.metrics):
                plot_training_curves(self.history, kind, ax=ax, epochs=self.epochs)
            else:
                draw_message(ax, "waiting for the first epoch…", color="0.4")
        show_figure(self.view, self.figure)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.view._repr_mimebundle_(**kwargs)


def mistake_browser(images: ArrayLike, labels: ArrayLike, probs: ArrayLike, *, start: int = 0) -> Explorer:
    """Step through the misclassified images, most confident first, with their probability bars.

    Controls: ``digit`` (only mistakes on this true digit, or all), ``rank`` (1 = the surest
    mistake), ``reset``. A digit without mistakes is reported on the plot.

    Shape: images: (N, 784) or (N, 28, 28); labels: (N,); probs: (N, 10).
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    images, labels, probs = np.asarray(images), np.asarray(labels), np.asarray(probs)
    n = len(images)
    if n == 0 or images.size != n * 784:
        raise ValueError(f"mistake_browser expects MNIST images shaped (N, 784) or (N, 28, 28); got {images.shape}.")
    if labels.shape != (n,) or probs.ndim != 2 or len(probs) != n:
        raise ValueError(f"mistake_browser needs one label and one row of probabilities per image: {n} images, "
                         f"labels {labels.shape}, probs {probs.shape}.")
    pictures = images.reshape(n, 28, 28)
    order = most_confident_mistakes(probs, labels, k=n)  # every mistake, surest first
    predicted = probs.argmax(axis=1)

    figure = Figure(figsize=(8.5, 3.3), layout="constrained")
    ax_img, ax_bar = figure.subplots(1, 2, width_ratios=[1, 1.6])
    digit = widgets.Dropdown(options=[("all", -1)] + [(str(d), d) for d in range(probs.shape[1])], value=-1,
                             description="true digit")
    rank = widgets.IntSlider(value=start + 1, min=1, max=max(len(order), 1), description="rank", **SLIDER)
    view = figure_view()

    def chosen() -> np.ndarray:
        return order if digit.value == -1 else order[labels[order] == digit.value]

    def draw() -> None:
        clear_axes(ax_img, ax_bar)
        mistakes = chosen()
        if len(mistakes) == 0:
            which = "any digit" if digit.value == -1 else f"the digit {digit.value}"
            ax_img.set_axis_off()
            ax_bar.set(title="no mistakes", xlabel="digit", ylabel="probability")
            draw_message(ax_bar, f"The network makes no mistakes on {which} here.", color="tab:green")
        else:
            k = min(rank.value, len(mistakes)) - 1
            i = mistakes[k]
            ax_img.imshow(pictures[i], cmap="gray_r", interpolation="nearest")
            ax_img.set(title=f"image {i}: true {labels[i]}, predicted {predicted[i]}", xticks=[], yticks=[],
                       xlabel=f"mistake {k + 1} of {len(mistakes)}")
            plot_probabilities(probs[i], int(labels[i]), ax=ax_bar)
        show_figure(view, figure, relayout=False)

    redraw = Redraw(draw)

    def on_digit(change: Any = None) -> None:
        # Keep the slider inside the mistakes of the chosen digit, then redraw once.
        with redraw.held():
            size = max(len(chosen()), 1)
            before = rank.value
            rank.max = max(size, rank.min)
            rank.value = min(before, size)
            redraw()

    digit.observe(on_digit, names="value")
    controls = {"digit": digit, "rank": rank}
    return assemble_explorer(figure, controls, redraw, view, [["digit", "rank", "reset"]], observe=["rank"])
