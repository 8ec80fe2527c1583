"""Lesson 08's explorer: move a test digit a few pixels and watch how sure each network stays."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from course_lib.lessons.l08_mnist_with_pytorch.mnist_cnn import ink_kept, predict, shift_standardized
from course_lib.ui.plots import plot_probabilities
from course_lib.ui.explorer import SLIDER, Explorer, assemble_explorer, clear_axes, draw_message, figure_view, show_figure

__all__ = ["shift_explorer"]


def shift_explorer(models: Mapping[str, Any], images: ArrayLike, labels: ArrayLike, *, start: int = 0,
                   max_shift: int = 8) -> Explorer:
    """Move one standardised MNIST image by (Δx, Δy) pixels; show it and each model's probabilities.

    Controls: ``index`` (which image), ``dx`` and ``dy`` (pixels right and down, −max_shift..max_shift),
    ``reset``. When part of the digit's ink leaves the frame, the picture says how much.

    Args:
        models: ``{name: torch model}``, e.g. ``{"MLP": mlp_model, "CNN": cnn_model}``.
        images: standardised images (N, 784) or (N, 28, 28); labels: (N,).
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    images = np.asarray(images, dtype=np.float32)
    n = len(images)
    if not models:
        raise ValueError("shift_explorer needs at least one model, e.g. {'CNN': model}.")
    if n == 0 or images.size != n * 784:
        raise ValueError(f"shift_explorer expects MNIST images shaped (N, 784) or (N, 28, 28); got {images.shape}.")
    labels = np.asarray(labels)
    if len(labels) != n:
        raise ValueError(f"shift_explorer needs one label per image: {n} images, {len(labels)} labels.")
    if not 0 <= start < n:
        raise ValueError(f"start must index an image, 0 <= start < {n}; got {start}.")
    images = images.reshape(n, 28, 28)

    figure = Figure(figsize=(4 + 3.6 * len(models), 3.4), layout="constrained")
    axes = figure.subplots(1, 1 + len(models), width_ratios=[1] + [1.25] * len(models))
    index = widgets.IntSlider(value=start, min=0, max=n - 1, description="image i", **SLIDER)
    dx = widgets.IntSlider(value=0, min=-max_shift, max=max_shift, description="Δx (px, right)", **SLIDER)
    dy = widgets.IntSlider(value=0, min=-max_shift, max=max_shift, description="Δy (px, down)", **SLIDER)
    view = figure_view()

    lo, hi = images.min(), images.max()  # one grey scale for every image, found once

    def redraw() -> None:
        i, label = index.value, int(labels[index.value])
        moved = shift_standardized(images[i], dx.value, dy.value)
        clear_axes(*axes)
        axes[0].imshow(moved, cmap="gray_r", vmin=lo, vmax=hi)
        axes[0].set(title=f"image {i} (a {label}) moved by ({dx.value:+d}, {dy.value:+d})", xlabel="column", ylabel="row")
        kept = ink_kept(images[i], moved)
        if kept < 0.995:
            draw_message(axes[0], f"{1 - kept:.0%} of the ink left the frame", y=0.1, width=30)
        for ax, (name, model) in zip(axes[1:], models.items()):
            probs = predict(model, moved[None])[1][0]
            plot_probabilities(probs, label, ax=ax, title=f"{name}: {probs.argmax()} with p = {probs.max():.1%}")
        show_figure(view, figure, relayout=False)

    controls = {"index": index, "dx": dx, "dy": dy}
    return assemble_explorer(figure, controls, redraw, view, [["index", "dx", "dy", "reset"]])
