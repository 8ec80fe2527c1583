"""Axes whose ticks did not change are stamped from an earlier draw: about a quarter off an explorer's redraw.

Drawing one axis (its ticks, tick labels, grid lines, label and offset text) is the largest part
of an explorer's redraw: matplotlib places every tick, measures every label two or three times to
keep the axis label clear of them, and draws them, about 5-10 ms an axis. A slider usually moves
what is plotted, not the frame: most axes have the same ticks as at the last redraw.

:func:`cache_axes` gives each axis of a figure a draw that first works out what the axis would
show: where each tick goes and what its label says, the size and place of the axes, and the style
of the ticks, labels and grid. If that is what it showed at an earlier draw (the last
:data:`LAYERS_PER_AXIS` kept), the pixels of that draw are composited in its place; if not, the
axis is drawn as matplotlib draws it, but onto a transparent layer of its own that is then
composited and kept (matplotlib's ``start_filter``/``stop_filter``, the path of an artist's
``agg_filter``). A hit composites the same pixels with the same call as a miss, so the picture
does not depend on what was cached (tests/ui/test_axis_cache.py compares them with a plain draw).

Only :func:`course_lib.ui.explorer.render_png` uses it, on the explorers' figures.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from typing import Any

import numpy as np

__all__ = ["cache_axes"]

#: Layers kept per axis, the least recently used dropped first: a control that flips between two
#: views (two tick sets) hits for both.
LAYERS_PER_AXIS = 2


def cache_axes(figure: Any) -> None:
    """Let each axis of ``figure`` (x and y of every Axes, colorbars included) stamp a layer it has drawn."""
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if not isinstance(vars(axis).get("draw"), _CachedDraw):
                # An attribute of this one axis, found before the class's draw: Axes.draw calls it.
                axis.draw = _CachedDraw(axis)


class _CachedDraw:
    """An axis's draw: composite the kept layer if the axis would look as it did, else draw (and keep) it.

    A layer is kept the second time running that the axis looks the same: drawing onto a layer of
    its own costs a few milliseconds more, which an axis that changes at every redraw (limits that
    follow the data) would pay for nothing.
    """

    def __init__(self, axis: Any) -> None:
        self.axis = weakref.ref(axis)
        self.layers: OrderedDict[tuple, tuple[np.ndarray, int, int] | None] = OrderedDict()
        self.last: tuple | None = None  # the look at the last draw

    def __call__(self, renderer: Any, *args: Any, **kwargs: Any) -> None:
        axis = self.axis()
        draw = type(axis).draw
        if not axis.get_visible() or not hasattr(renderer, "start_filter"):
            return draw(axis, renderer, *args, **kwargs)
        key = _appearance(axis, renderer)
        seen_last, self.last = key == self.last, key
        if key in self.layers:
            self.layers.move_to_end(key)
            _composite(renderer, self.layers[key])
            axis.stale = False
            return None
        if not seen_last:
            return draw(axis, renderer, *args, **kwargs)
        renderer.start_filter()  # a transparent canvas of the figure's size; the figure's is put aside
        try:
            draw(axis, renderer, *args, **kwargs)
        finally:
            layer = _ink(np.asarray(renderer.buffer_rgba()))
            renderer.stop_filter(lambda *_: (np.zeros((0, 0, 4), np.uint8), 0, 0))  # back to the figure's canvas
        _composite(renderer, layer)
        self.layers[key] = layer
        if len(self.layers) > LAYERS_PER_AXIS:
            self.layers.popitem(last=False)
        return None


def _ink(pixels: np.ndarray) -> tuple[np.ndarray, int, int] | None:
    """The inked part of a layer, bottom row first as ``draw_image`` takes it, with its left column and bottom row."""
    rows, columns = np.flatnonzero(pixels[..., 3].any(axis=1)), np.flatnonzero(pixels[..., 3].any(axis=0))
    if not len(rows):
        return None
    top, bottom, left, right = rows[0], rows[-1] + 1, columns[0], columns[-1] + 1
    return np.ascontiguousarray(pixels[top:bottom, left:right][::-1]), int(left), len(pixels) - int(bottom)


def _composite(renderer: Any, layer: tuple[np.ndarray, int, int] | None) -> None:
    if layer is not None:
        pixels, left, bottom = layer
        gc = renderer.new_gc()
        renderer.draw_image(gc, left, bottom, pixels)
        gc.restore()


def _style(*artists: Any) -> tuple:
    """What a tick's, label's or grid line's look depends on, besides its place and text."""
    out = []
    for a in artists:
        if not a.get_visible():
            out.append(None)
        elif hasattr(a, "get_fontproperties"):  # a Text
            out.append((a.get_color(), hash(a.get_fontproperties()), a.get_rotation(), a.get_ha(), a.get_va(),
                        a.get_alpha(), a.get_rotation_mode()))
        else:  # a Line2D: a tick mark (a marker) or a grid line
            out.append((str(a.get_color()), a.get_linewidth(), a.get_linestyle(), a.get_alpha(), str(a.get_marker()),
                        a.get_markersize(), a.get_markeredgewidth(), a.get_dash_capstyle()))
    return tuple(out)


def _appearance(axis: Any, renderer: Any) -> tuple:
    """Everything an axis's pixels depend on: equal keys draw equal layers.

    The ticks come from ``_update_ticks``, as ``Axis.draw`` takes them: their places on the canvas,
    their labels' texts and each one's style. With them: the axes' box, the figure's size and dpi,
    the axis label (text, style, place) and the offset text ("1e6").
    """
    ticks = axis._update_ticks()
    scaled = axis.get_transform().transform(np.array([t.get_loc() for t in ticks], float)) if ticks else ()
    first = ticks[0] if ticks else None
    label, offset = axis.label, axis.offsetText
    # _update_label_position moves the label off the tick labels (y for the x axis, x for the y axis)
    # at every draw: only its other coordinate is the axis's own, unless set_label_coords fixed both.
    place = label.get_position() if not axis._autolabelpos else label.get_position()[axis.axis_name == "y"]
    sides = ("bottom", "top") if axis.axis_name == "x" else ("left", "right")
    return (
        renderer.width, renderer.height, renderer.dpi, tuple(np.round(axis.axes.bbox.bounds, 3)), tuple(axis.get_view_interval()),
        axis.get_scale(), tuple(np.round(scaled, 12)),
        tuple(axis.axes.spines[side].get_position() for side in sides if side in axis.axes.spines),
        tuple((t.label1.get_text(), t.label2.get_text(), t in axis.minorTicks) + _style(t.label1, t.label2) for t in ticks),
        None if first is None else (first.get_pad(), _style(first.tick1line, first.tick2line, first.gridline)),
        tuple(_style(t.tick1line, t.tick2line, t.gridline) for t in axis.minorTicks[:1] if t in ticks),
        (label.get_text(), place, axis.label_position, axis.labelpad, axis._autolabelpos) + _style(label),
        (axis.major.formatter.get_offset(), axis.offset_text_position) + _style(offset),
    )
