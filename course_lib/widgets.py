"""Interactive explorers: controls wired to library calls and a redrawn figure, no maths here.

Each explorer returns an :class:`Explorer`, which displays as its widget in a notebook and exposes
the figure and controls so tests can move a control and check what was redrawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from numpy.typing import NDArray

__all__ = ["Explorer", "digit_browser"]


@dataclass
class Explorer:
    """A displayed widget, the Figure it redraws, its named controls and the redraw function."""

    widget: Any
    figure: Any
    controls: dict[str, Any] = field(default_factory=dict)
    redraw: Callable[..., None] = lambda *_: None

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def _show(output: Any, figure: Any) -> None:
    """Replace what ``output`` shows with the current state of ``figure`` (only inside IPython)."""
    from IPython import get_ipython
    from IPython.display import display

    if get_ipython() is None:  # plain Python or pytest: the figure object is the state to check
        return
    with output:
        output.clear_output(wait=True)
        display(figure)


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
    figure = Figure(figsize=(9, 3.2), layout="constrained")
    ax_img, ax_row = figure.subplots(1, 2, width_ratios=[1, 2.6])
    index = widgets.IntSlider(value=start, min=0, max=n - 1, description="image i", continuous_update=False)
    reset = widgets.Button(description="reset", tooltip=f"back to image {start}")
    output = widgets.Output()

    def redraw(change: Any = None) -> None:
        i = index.value
        ax_img.clear()
        ax_img.imshow(flat[i].reshape(28, 28), cmap="gray_r", vmin=flat.min(), vmax=flat.max())
        ax_img.set(title=f"image {i}: label {labels[i]}", xlabel="column", ylabel="row")
        ax_row.clear()
        ax_row.plot(np.arange(784), flat[i], linewidth=0.8, label="pixel value")
        ax_row.set(title="the same image as one row of 784 numbers", xlabel="pixel index (row × 28 + column)", ylabel="value", xlim=(0, 783))
        ax_row.legend(loc="best")
        _show(output, figure)

    index.observe(redraw, names="value")
    reset.on_click(lambda _: setattr(index, "value", start))
    redraw()
    box = widgets.VBox([widgets.HBox([index, reset]), output])
    return Explorer(box, figure, {"index": index, "reset": reset}, redraw)
