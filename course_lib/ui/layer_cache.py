"""Axes and legends that look as they did are stamped from an earlier draw: a third off an explorer's redraw.

Drawing one axis (its ticks, tick labels, grid lines, label and offset text) is the largest part of
an explorer's redraw: matplotlib places every tick, measures every label two or three times to keep
the axis label clear of them, and draws them, about 5-10 ms an axis. A legend costs 3-8 ms. A slider
usually moves what is plotted, not the frame or the legend: most of them look as at the last redraw.

:func:`cache_layers` gives each axis and each legend of a figure a draw that first works out how it
would look: for an axis, where each tick goes and what its label says, the size and place of the
axes, the style of ticks, labels and grid; for a legend, its place and every text, line and patch in
it. If it looked like that at an earlier draw (the last :data:`LAYERS_KEPT` looks), the pixels of
that draw are composited in its place. If not, it is drawn as matplotlib draws it; the second time
running that it looks the same, onto a transparent layer of its own that is then composited and
kept (matplotlib's ``start_filter``/``stop_filter``, the path of an artist's ``agg_filter``). A hit
composites the same pixels with the same call as that draw, so the picture does not depend on what
was cached (tests/ui/test_layer_cache.py compares pictures with plain draws).

A background an explorer keeps from one redraw to the next (``clear_axes(keep=...)``: contour lines
that no control changes) is stamped the same way while its Axes keep their place, limits and scales
(:func:`stamp_kept`).

Only :func:`course_lib.ui.explorer.render_png` and :func:`course_lib.ui.explorer.clear_axes` use it,
on the explorers' figures.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.lines import Line2D
from matplotlib.offsetbox import OffsetBox
from matplotlib.patches import Patch
from matplotlib.text import Text

__all__ = ["cache_layers", "stamp_kept"]

#: Looks kept per axis and per legend slot, the least recently used dropped first: a control that
#: flips between two views hits for both.
LAYERS_KEPT = 2
# An explorer makes a new Legend at every redraw: its layers are kept by the Axes (or Figure) it belongs to.
_LEGEND_LAYERS: weakref.WeakKeyDictionary[Any, _Layers] = weakref.WeakKeyDictionary()
# The ticks an axis's look has just taken from ``_update_ticks``, handed to its draw on a miss.
_TICKS: weakref.WeakKeyDictionary[Any, list] = weakref.WeakKeyDictionary()


def cache_layers(figure: Any) -> None:
    """Let each axis (x and y of every Axes, colorbars included) and each legend of ``figure`` stamp a look it has drawn."""
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if not isinstance(vars(axis).get("draw"), _CachedDraw):
                # An attribute of this one axis, found before the class's draw: Axes.draw calls it.
                axis.draw = _CachedDraw(axis, _Layers(), _axis_look)
    for parent, legend in [*((ax, ax.get_legend()) for ax in figure.axes), *((figure, lg) for lg in figure.legends)]:
        if legend is not None and not isinstance(vars(legend).get("draw"), _CachedDraw):
            legend.draw = _CachedDraw(legend, _LEGEND_LAYERS.setdefault(parent, _Layers()), _legend_look)


def stamp_kept(artists: Any) -> None:
    """Let each of ``artists``, a background an explorer keeps from one redraw to the next, stamp its pixels.

    :func:`course_lib.ui.explorer.clear_axes` calls it for the artists it keeps: a background that no
    control changes (contour lines, a minimum's star). Such an artist looks as at its last draw while
    its Axes keeps its place, limits and scales, so those are its look; an artist outside an Axes is
    drawn as matplotlib draws it.
    """
    for artist in artists:
        if not isinstance(vars(artist).get("draw"), _CachedDraw):
            artist.draw = _CachedDraw(artist, _Layers(), _kept_look)


class _Layers:
    """The looks one axis (or one legend slot) was drawn with, each with its pixels, and the look drawn last."""

    def __init__(self) -> None:
        self.kept: OrderedDict[tuple, tuple[np.ndarray, int, int] | None] = OrderedDict()
        self.last: tuple | None = None


class _CachedDraw:
    """An artist's draw: composite the kept layer of the look it would have, else draw it (and keep that).

    A layer is kept the second time running that the artist looks the same: drawing onto a layer
    of its own costs a few milliseconds more, which an axis that changes at every redraw (limits
    that follow the data) would pay for nothing. ``look`` returns ``None`` for an artist it cannot
    vouch for: that one is always drawn by matplotlib.
    """

    def __init__(self, artist: Any, layers: _Layers, look: Callable[[Any, Any], tuple | None]) -> None:
        self.artist = weakref.ref(artist)
        self.layers = layers
        self.look = look

    def __call__(self, renderer: Any, *args: Any, **kwargs: Any) -> None:
        artist = self.artist()
        draw = type(artist).draw
        # Pixels only for pixels: a PDF or SVG (savefig) gets the artist drawn as matplotlib draws it.
        key = self.look(artist, renderer) if artist.get_visible() and isinstance(renderer, RendererAgg) else None
        ticks = _TICKS.pop(artist, None)
        if key is None:
            return draw(artist, renderer, *args, **kwargs)
        layers = self.layers
        seen_last, layers.last = key == layers.last, key
        if key in layers.kept:
            layers.kept.move_to_end(key)
            _composite(renderer, layers.kept[key])
            artist.stale = False
            return None
        if not seen_last:
            return _draw(draw, artist, ticks, renderer, *args, **kwargs)
        renderer.start_filter()  # a transparent canvas of the figure's size; the figure's is put aside
        try:
            _draw(draw, artist, ticks, renderer, *args, **kwargs)
        finally:
            layer = _ink(np.asarray(renderer.buffer_rgba()))
            renderer.stop_filter(lambda *_: (np.zeros((0, 0, 4), np.uint8), 0, 0))  # back to the figure's canvas
        _composite(renderer, layer)
        layers.kept[key] = layer
        if len(layers.kept) > LAYERS_KEPT:
            layers.kept.popitem(last=False)
        return None


def _draw(draw: Callable[..., None], artist: Any, ticks: list | None, renderer: Any, *args: Any, **kwargs: Any) -> None:
    """Draw as matplotlib does; an axis whose look took its ticks draws those instead of working them out again."""
    if ticks is None:
        return draw(artist, renderer, *args, **kwargs)
    artist._update_ticks = lambda: ticks  # Axis.draw's first step; the same state gives the same ticks
    try:
        return draw(artist, renderer, *args, **kwargs)
    finally:
        del artist._update_ticks


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
    """What a text's, line's or patch's look depends on, besides its place (and a text's string)."""
    out: list[Any] = []
    for a in artists:
        if not a.get_visible():
            out.append(None)
        elif isinstance(a, Text):
            out.append((a.get_color(), hash(a.get_fontproperties()), a.get_rotation(), a.get_ha(), a.get_va(),
                        a.get_alpha(), a.get_rotation_mode()))
        elif isinstance(a, Line2D):  # a tick mark (a marker), a grid line or a legend's sample of a line
            out.append((str(a.get_color()), a.get_linewidth(), a.get_linestyle(), a.get_alpha(), str(a.get_marker()),
                        a.get_markersize(), a.get_markeredgewidth(), a.get_dash_capstyle(),
                        str(a.get_markerfacecolor()), str(a.get_markeredgecolor()), a.get_drawstyle()))
        else:  # a Patch: a legend's sample of a bar or a band, or its frame
            box = a.get_boxstyle() if hasattr(a, "get_boxstyle") else None
            out.append((tuple(a.get_facecolor()), tuple(a.get_edgecolor()), a.get_linewidth(), a.get_linestyle(),
                        a.get_hatch(), a.get_alpha(), a.get_fill(),
                        None if box is None else (type(box).__name__, tuple(sorted(vars(box).items())))))
    return tuple(out)


def _axis_look(axis: Any, renderer: Any) -> tuple:
    """Everything an axis's pixels depend on: equal looks draw equal layers.

    The ticks come from ``_update_ticks``, as ``Axis.draw`` takes them: their places on the canvas,
    their labels' texts and each one's style. With them: the axes' box, the figure's size and dpi,
    the axis label (text, style, place) and the offset text ("1e6").
    """
    ticks = _TICKS[axis] = axis._update_ticks()
    scaled = axis.get_transform().transform(np.array([t.get_loc() for t in ticks], float)) if ticks else ()
    first = ticks[0] if ticks else None
    label, offset = axis.label, axis.offsetText
    # _update_label_position moves the label off the tick labels (y for the x axis, x for the y axis)
    # at every draw: only its other coordinate is the axis's own, unless set_label_coords fixed both.
    place = label.get_position() if not axis._autolabelpos else label.get_position()[axis.axis_name == "y"]
    sides = ("bottom", "top") if axis.axis_name == "x" else ("left", "right")
    return (
        renderer.width, renderer.height, renderer.dpi, tuple(np.round(axis.axes.bbox.bounds, 3)),
        tuple(axis.get_view_interval()), axis.get_scale(), tuple(np.round(scaled, 12)),
        tuple(axis.axes.spines[side].get_position() for side in sides if side in axis.axes.spines),
        tuple((t.label1.get_text(), t.label2.get_text(), t in axis.minorTicks) + _style(t.label1, t.label2) for t in ticks),
        None if first is None else (first.get_pad(), _style(first.tick1line, first.tick2line, first.gridline)),
        tuple(_style(t.tick1line, t.tick2line, t.gridline) for t in axis.minorTicks[:1] if t in ticks),
        (label.get_text(), place, axis.label_position, axis.labelpad, axis._autolabelpos) + _style(label),
        (axis.major.formatter.get_offset(), axis.offset_text_position) + _style(offset),
    )


def _kept_look(artist: Any, renderer: Any) -> tuple | None:
    """Everything a kept artist's pixels depend on, given that no control changes it: its Axes' frame."""
    ax = artist.axes
    if ax is None:
        return None
    return (renderer.width, renderer.height, renderer.dpi, tuple(np.round(ax.bbox.bounds, 3)), tuple(ax.viewLim.bounds),
            ax.get_xscale(), ax.get_yscale(), artist.get_zorder(), artist.get_alpha())


def _legend_look(legend: Any, renderer: Any) -> tuple | None:
    """Everything a legend's pixels depend on, or ``None`` if it holds what this cannot describe.

    Its box on the canvas (placed as its ``loc`` says, "best" included, and sized by its contents)
    and, in the order they are drawn, each text (string and style) and each sample line or patch
    (style and shape) and the frame. A sample of another kind (a scatter's collection, an image)
    or an expanding legend is left to matplotlib.
    """
    if legend._mode == "expand" or legend.shadow:
        return None
    parts: list[Any] = []
    pending = list(legend.get_children())
    while pending:
        artist = pending.pop(0)
        if isinstance(artist, OffsetBox):
            pending[:0] = artist.get_children()
        elif isinstance(artist, Text):
            parts.append((artist.get_text(),) + _style(artist))
        elif isinstance(artist, Line2D):
            parts.append((tuple(np.ravel(artist.get_xydata())),) + _style(artist))
        elif artist is legend.legendPatch:  # the frame: drawn around the box, whose place is below
            parts.append(_style(artist))
        elif isinstance(artist, Patch):
            parts.append((tuple(np.ravel(artist.get_path().vertices)),
                          tuple(np.ravel(artist.get_patch_transform().get_matrix()))) + _style(artist))
        else:
            return None
    box = legend.get_window_extent(renderer)
    return (renderer.width, renderer.height, renderer.dpi, tuple(np.round(box.bounds, 3)), tuple(parts))
