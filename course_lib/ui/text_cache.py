"""An Agg canvas that draws each piece of text once and stamps it afterwards: a third off an explorer's redraw.

An explorer redraws the same figure many times a second, and most of its text does not change:
tick labels, titles, legends, axis labels. Matplotlib's Agg renderer lays out and rasterises every
glyph of every string on every draw, which is 40-55 % of a typical explorer's redraw.

:class:`TextCachingRenderer` rasterises a string once, alone, into a small transparent canvas of its
own and keeps the coverage mask (how much ink each pixel gets, 0-255). Drawing the same string again,
in the same font, size, angle and sub-pixel position, stamps the kept mask in the text's colour
with the same Agg call the renderer uses for a glyph. The colour and transparency come from the
drawing call, so a string that changes colour still hits the cache. A string seen for the first
time is rasterised from the glyphs' bitmaps, each kept too: matplotlib renders every glyph of a
string on its own, at its place to 1/64 px, and a new value on a slider ("0.731" after "0.724") is
mostly glyphs already rendered at the same fraction of a pixel (benchmarks/README.md has the figures).
The picture differs from an uncached draw by at most a few levels of 255 at the edges of glyphs
(tests/ui/test_text_cache.py compares them).

:func:`course_lib.ui.explorer.render_png` draws through :class:`TextCachingCanvas`; nothing else in
the course does.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.font_manager import fontManager, get_font

__all__ = ["TextCachingCanvas", "TextCachingRenderer"]

#: Masks kept per renderer (per figure), the least recently used dropped first: a few hundred KB.
CACHE_SIZE = 1024
#: Glyph bitmaps kept per renderer, the least recently used dropped first: about 100 bytes each.
GLYPHS_KEPT = 4096
_SUBPIXELS = 64  # FreeType places glyphs in 1/64 px: positions that round alike draw alike


class TextCachingRenderer(RendererAgg):
    """A RendererAgg whose ``draw_text`` stamps a kept coverage mask for a string it has drawn before."""

    def __init__(self, width: int, height: int, dpi: float) -> None:
        super().__init__(width, height, dpi)
        self.text_masks: OrderedDict[tuple, tuple[Any, int, int]] = OrderedDict()
        self.glyph_bitmaps: OrderedDict[tuple, tuple[Any, int, int]] = OrderedDict()
        self.line_metrics: dict[int, tuple[Any, Any, Any]] = {}

    def draw_text(self, gc: Any, x: float, y: float, s: str, prop: Any, angle: float,
                  ismath: Any = False, mtext: Any = None) -> None:
        if ismath == "TeX":  # drawn by LaTeX: leave it to matplotlib
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        # y runs down the canvas; FreeType's runs up, and its positions are in 1/64 px.
        across, up = round(_SUBPIXELS * x), round(_SUBPIXELS * (self.height - y))
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        key = (s, hash(prop), angle, bool(ismath), gc.get_antialiased(), get_hinting_flag(),
               None if features is None else tuple(features), language,
               across % _SUBPIXELS, up % _SUBPIXELS)
        entry = self.text_masks.get(key)
        if entry is None:
            entry = self.text_masks[key] = self._mask(s, prop, angle, ismath, mtext, gc.get_antialiased(),
                                                      across % _SUBPIXELS, up % _SUBPIXELS)
            if len(self.text_masks) > CACHE_SIZE:
                self.text_masks.popitem(last=False)
        else:
            self.text_masks.move_to_end(key)
        mask, left, bottom = entry
        if mask is not None:  # draw_text_image takes the mask's left column and its bottom row (downwards)
            self._renderer.draw_text_image(mask, across // _SUBPIXELS + left,
                                           int(self.height) - up // _SUBPIXELS + bottom, 0, gc)

    def _get_font_height_metrics(self, prop: Any) -> tuple[Any, Any, Any]:
        """A font's ascent, descent and line gap in pixels, from its tables, read once per font and size.

        Matplotlib (3.11) lays out every text at every draw and asks the renderer for these first; a
        renderer without the method makes it look them up in the font's OS/2 or hhea table each time,
        about a fifth of laying out a string already measured. ``(None, None, None)`` (no such table)
        makes matplotlib measure the font instead, as it would.
        """
        key = hash(prop)
        if key not in self.line_metrics:
            font = get_font(fontManager._find_fonts_by_props(prop))
            self.line_metrics[key] = (None, None, None)
            for table, gap, ascent, descent in (("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
                                                ("hhea", "lineGap", "ascent", "descent")):
                values = font.get_sfnt_table(table)
                if values is not None:  # font units to pixels at this size and dpi
                    scale = 1 / font.get_sfnt_table("head")["unitsPerEm"] * prop.get_size_in_points() * self.dpi / 72
                    self.line_metrics[key] = (values[ascent] * scale, -values[descent] * scale, values[gap] * scale)
                    break
        return self.line_metrics[key]

    def _mask(self, s: str, prop: Any, angle: float, ismath: Any, mtext: Any, antialiased: bool,
              across: int, up: int) -> tuple[Any, int, int]:
        """The string drawn alone in black: its coverage mask, cropped to the ink, and where it sits.

        The text's origin goes at the same fraction of a pixel as on the figure, so the glyphs
        rasterise alike. Returns the mask, its left column and its bottom row relative to the
        origin's pixel (the bottom counted downwards), or ``None`` for a string with no ink.
        """
        em = prop.get_size_in_points() * self.dpi / 72
        if ismath:  # a formula can be taller than a line of text: measure it (matplotlib caches the parse)
            width, height, depth = self.get_text_width_height_descent(s, prop, ismath)
        else:  # no glyph is wider than an em plus its overhang
            width, height, depth = len(s) * em, 1.5 * em, 0.5 * em
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        corners = [(u * cos - v * sin, u * sin + v * cos) for u in (0, width) for v in (-depth, height - depth)]
        pad = int(em / 2) + 3
        origin_x = pad - math.floor(min(c[0] for c in corners))
        origin_up = pad - math.floor(min(c[1] for c in corners))
        columns = origin_x + math.ceil(max(c[0] for c in corners)) + pad + 1
        rows = origin_up + math.ceil(max(c[1] for c in corners)) + pad + 1
        alone = _GlyphStampingRenderer(columns, rows, self.dpi, self.glyph_bitmaps)
        alone.mathtext_parser = self.mathtext_parser  # shares the parsed formulas
        ink = alone.new_gc()
        ink.set_foreground((0, 0, 0, 1))
        ink.set_antialiased(antialiased)
        RendererAgg.draw_text(alone, ink, origin_x + across / _SUBPIXELS,
                              rows - origin_up - up / _SUBPIXELS, s, prop, angle, ismath, mtext)
        ink.restore()
        coverage = np.asarray(alone.buffer_rgba())[..., 3]
        inked_rows, inked_columns = np.flatnonzero(coverage.any(axis=1)), np.flatnonzero(coverage.any(axis=0))
        if not len(inked_rows):
            return None, 0, 0
        top, last = inked_rows[0], inked_rows[-1]
        mask = np.ascontiguousarray(coverage[top:last + 1, inked_columns[0]:inked_columns[-1] + 1])
        # The origin's pixel is row rows - 1 - origin_up of the small canvas (rows run down): the mask's
        # bottom edge lies last + 1 - (rows - origin_up) rows below the origin's, on either canvas.
        return mask, int(inked_columns[0]) - origin_x, int(last) + 1 + origin_up - rows


class _GlyphStampingRenderer(RendererAgg):
    """The small canvas a new string is rasterised on: each glyph's bitmap is rendered once and kept.

    Matplotlib (3.11) draws a string glyph by glyph: FreeType renders each glyph at its place, to
    1/64 px, and Agg composites the bitmap. A bitmap rendered at (X, Y) in 1/64 px is the one rendered
    at (X mod 64, Y mod 64) moved by whole pixels, so it is kept under the glyph, its font, size,
    transform and that fraction, and stamped with the same Agg call. The pixels are matplotlib's.
    """

    def __init__(self, width: int, height: int, dpi: float, bitmaps: OrderedDict) -> None:
        super().__init__(width, height, dpi)
        self.bitmaps = bitmaps

    def _draw_text_glyphs_and_boxes(self, gc: Any, x: float, y: float, angle: float, glyphs: Any,
                                    boxes: Any) -> None:
        from matplotlib.ft2font import RenderMode  # matplotlib 3.10 on; earlier ones never call this method

        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        flags, antialiased = get_hinting_flag(), gc.get_antialiased()
        for font, size, index, slant, extend, dx, dy in glyphs:  # dy is upwards, as FreeType's y
            across = round(_SUBPIXELS * (x + dx * cos - dy * sin))
            up = round(_SUBPIXELS * (self.height - y + dx * sin + dy * cos))
            key = (font, size, self.dpi, index, angle, slant, extend, flags, antialiased,
                   across % _SUBPIXELS, up % _SUBPIXELS)
            entry = self.bitmaps.get(key)
            if entry is None:
                font.set_size(size, self.dpi)
                font._set_transform((0x10000 * np.array([[cos, -sin], [sin, cos]])
                                     @ [[extend, extend * slant], [0, 1]]).round().astype(int),
                                    [across % _SUBPIXELS, up % _SUBPIXELS])
                bitmap = font._render_glyph(index, flags, RenderMode.NORMAL if antialiased else RenderMode.MONO)
                buffer = np.array(bitmap.buffer, np.uint8)  # a copy of FreeType's bitmap, kept
                if not antialiased:
                    buffer *= 0xff  # monochrome coverage is 0 or 1
                entry = self.bitmaps[key] = (buffer, bitmap.left, bitmap.top)
                if len(self.bitmaps) > GLYPHS_KEPT:
                    self.bitmaps.popitem(last=False)
            else:
                self.bitmaps.move_to_end(key)
            buffer, left, top = entry  # draw_text_image's y runs down, to the bitmap's bottom row
            self._renderer.draw_text_image(buffer, across // _SUBPIXELS + left,
                                           int(self.height) - (up // _SUBPIXELS + top) + buffer.shape[0], 0, gc)
        super()._draw_text_glyphs_and_boxes(gc, x, y, angle, (), boxes)  # a formula's rules and boxes


class TextCachingCanvas(FigureCanvasAgg):
    """An Agg canvas that draws with a :class:`TextCachingRenderer`, kept from one draw to the next."""

    def get_renderer(self) -> TextCachingRenderer:
        renderer = super().get_renderer()  # a new RendererAgg only when the size or dpi changed
        if not isinstance(renderer, TextCachingRenderer):
            self.renderer = renderer = TextCachingRenderer(renderer.width, renderer.height, renderer.dpi)
        return renderer
