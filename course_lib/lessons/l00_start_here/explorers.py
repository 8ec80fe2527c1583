"""Lesson 00's explorer: browse the MNIST digits as pictures and as rows of 784 numbers."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from course_lib.ui.explorer import SLIDER, Explorer, assemble_explorer, clear_axes, figure_view, show_figure

__all__ = ["digit_browser"]


def digit_browser(images: NDArray, labels: NDArray, *, start: int = 0) -> Explorer:
    """Browse MNIST one image at a time: the 28 x 28 picture and the 784 numbers a network sees.

    Controls: ``index`` (a slider over the images), ``reset`` (back to ``start``).
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    images = np.asarray(images)
    n = len(images)
    if n == 0 or images.size != n * 784:
        raise ValueError(f"digit_browser expects MNIST images shaped (N, 784) or (N, 28, 28); got {images.shape}.")
    if len(labels) != n:
        raise ValueError(f"digit_browser needs one label per image: {n} images, {len(labels)} labels.")
    if not 0 <= start < n:
        raise ValueError(f"start must index an image, 0 <= start < {n}; got {start}.")

    flat = images.reshape(n, 784)
    lo, hi = flat.min(), flat.max()  # one grey scale for every image, found once
    figure = Figure(figsize=(9, 3.2), layout="constrained")
    ax_img, ax_row = figure.subplots(1, 2, width_ratios=[1, 2.6])
    index = widgets.IntSlider(value=start, min=0, max=n - 1, description="image i", **SLIDER)
    view = figure_view()

    def redraw() -> None:
        i = index.value
        clear_axes(ax_img, ax_row)
        ax_img.imshow(flat[i].reshape(28, 28), cmap="gray_r", vmin=lo, vmax=hi)
        ax_img.set(title=f"image {i}: label {labels[i]}", xlabel="column", ylabel="row")
        ax_row.plot(np.arange(784), flat[i], linewidth=0.8, label="pixel value")
        ax_row.set(title="the same image as one row of 784 numbers", xlabel="pixel index (row × 28 + column)", ylabel="value", xlim=(0, 783))
        ax_row.legend(loc="best")
        show_figure(view, figure, relayout=False)

    return assemble_explorer(figure, {"index": index}, redraw, view, [["index", "reset"]])
