"""course_lib.ui.text_cache: text stamped from kept masks looks like text drawn glyph by glyph."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from course_lib.ui import text_cache
from course_lib.ui.explorer import render_png
from course_lib.ui.text_cache import TextCachingCanvas

# Antialiased edges may differ by a few levels of 255 (a string's glyphs are composited together
# once, instead of one by one onto the figure); a misplaced or miscoloured string differs by ~255.
TOLERANCE = 12


def _figure(color: str = "tab:red") -> Figure:
    """Text of every kind an explorer draws: ticks, titles, rotated labels, mathtext, a legend, odd angles."""
    figure = Figure(figsize=(5.3, 3.1), dpi=100)
    ax = figure.add_subplot()
    ax.plot([0.1, 2.7], [1e-3, 3e2], label="loss $L(w)$")
    ax.set_yscale("log")  # tick labels in mathtext: $10^{0}$
    ax.set_title("learning rate α = 0.37", color=color)
    ax.set_xlabel("step $t$")
    ax.set_ylabel("loss (log scale)")
    ax.text(0.33, 0.41, r"$\frac{\partial L}{\partial w}$ falls", transform=ax.transAxes, rotation=27.5, color=color)
    ax.text(1.21, 20.7, "fractional place", fontsize=8.3, alpha=0.6)
    ax.legend(loc="upper left")
    return figure


def _pixels(canvas: FigureCanvasAgg) -> np.ndarray:
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).astype(int)


def _differs(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.abs(a - b).max())


def test_cached_text_looks_like_text_drawn_glyph_by_glyph():
    plain = _pixels(FigureCanvasAgg(_figure()))
    canvas = TextCachingCanvas(_figure())
    first = _pixels(canvas)  # every string rasterised alone, then stamped
    masks = len(canvas.get_renderer().text_masks)
    again = _pixels(canvas)  # every string from the cache
    assert masks > 12  # the tick labels, titles, labels and legend were all kept
    assert len(canvas.get_renderer().text_masks) == masks, "a second draw of the same figure must only hit the cache"
    assert _differs(first, plain) <= TOLERANCE
    assert _differs(again, plain) <= TOLERANCE
    assert np.array_equal(first, again)


def test_a_string_that_changes_colour_is_stamped_in_its_new_colour():
    figure = _figure("tab:red")
    canvas = TextCachingCanvas(figure)
    _pixels(canvas)
    masks = len(canvas.get_renderer().text_masks)
    figure.axes[0].title.set_color("tab:blue")
    figure.axes[0].texts[0].set_color("tab:green")
    recoloured = _pixels(canvas)
    assert len(canvas.get_renderer().text_masks) == masks  # colour is not part of the mask: a hit
    assert _differs(recoloured, _pixels(FigureCanvasAgg(_figure("tab:blue")))) > 100  # the green text
    expected = _figure("tab:blue")
    expected.axes[0].texts[0].set_color("tab:green")
    assert _differs(recoloured, _pixels(FigureCanvasAgg(expected))) <= TOLERANCE


def test_a_string_moved_by_a_fraction_of_a_pixel_is_rasterised_again():
    figure = Figure(figsize=(2, 1), dpi=100)
    label = figure.text(0.2, 0.5, "moved")
    canvas = TextCachingCanvas(figure)
    _pixels(canvas)
    for x in (0.2013, 0.2022, 0.2031):  # 0.27 px, 0.45 px, 0.63 px to the right
        label.set_x(x)
        stamped = _pixels(canvas)
        plain = Figure(figsize=(2, 1), dpi=100)
        plain.text(x, 0.5, "moved")
        assert _differs(stamped, _pixels(FigureCanvasAgg(plain))) <= TOLERANCE
    assert len(canvas.get_renderer().text_masks) == 4


def test_the_cache_keeps_at_most_its_size_and_draws_right_past_it(monkeypatch):
    monkeypatch.setattr(text_cache, "CACHE_SIZE", 5)
    monkeypatch.setattr(text_cache, "GLYPHS_KEPT", 6)
    figure = Figure(figsize=(3, 2), dpi=100)
    label = figure.text(0.1, 0.5, "")
    canvas = TextCachingCanvas(figure)
    for n in range(12):
        label.set_text(f"value {n}")
        stamped = _pixels(canvas)
        plain = Figure(figsize=(3, 2), dpi=100)
        plain.text(0.1, 0.5, f"value {n}")
        assert _differs(stamped, _pixels(FigureCanvasAgg(plain))) <= TOLERANCE
    assert len(canvas.get_renderer().text_masks) == 5
    assert len(canvas.get_renderer().glyph_bitmaps) == 6
    assert ("value 11", hash(label.get_fontproperties())) == next(reversed(canvas.get_renderer().text_masks))[:2]


@pytest.mark.parametrize("relayout", [True, False])
def test_render_png_draws_through_the_text_cache(relayout):
    figure = _figure()
    render_png(figure)
    assert isinstance(figure.canvas, TextCachingCanvas)
    renderer = figure.canvas.get_renderer()
    masks = dict(renderer.text_masks)
    render_png(figure, relayout=relayout)
    assert figure.canvas.get_renderer() is renderer
    assert renderer.text_masks.keys() == masks.keys()


# Strings a slider changes, drawn as an explorer draws them: plain, rotated, a formula, and each at places
# that share the fraction of a pixel across, up, or both (where kept glyphs are stamped) or neither.
_STRINGS = [("0.731 ∂L/∂w", 0.0), ("0.713", 0.0), ("0.713", 90.0), ("rotated 0.73", 27.5),
            (r"$\frac{\partial L}{\partial w} = 10^{-3}$", 0.0)]
_PLACES = [(10.3, 40.7), (33.3, 41.7), (10.3, 40.95), (21.85, 40.7), (70.125, 80.2)]


@pytest.mark.parametrize("antialiased", [True, False])
def test_a_new_string_is_rasterised_from_kept_glyphs_into_matplotlibs_own_pixels(antialiased):
    bitmaps = OrderedDict()
    for s, angle in _STRINGS:
        for x, y in _PLACES:
            kept = len(bitmaps)
            plain, stamping = RendererAgg(200, 120, 100), text_cache._GlyphStampingRenderer(200, 120, 100, bitmaps)
            for renderer in (plain, stamping):
                ink = renderer.new_gc()
                ink.set_foreground((0.2, 0.1, 0.7, 1))
                ink.set_antialiased(antialiased)
                RendererAgg.draw_text(renderer, ink, x, y, s, FontProperties(size=10.3), angle, ismath=s[0] == "$")
            assert np.asarray(plain.buffer_rgba())[..., 3].any()
            assert np.array_equal(np.asarray(stamping.buffer_rgba()), np.asarray(plain.buffer_rgba())), (s, angle, x, y)
            if (x, y) == (33.3, 41.7):  # whole pixels away from (10.3, 40.7): every glyph was kept
                assert len(bitmaps) == kept, s
    assert len(bitmaps) > 40



def test_texts_are_laid_out_with_the_fonts_own_line_metrics():
    """The ascent, descent and line gap the renderer keeps per font place every line where matplotlib would."""
    figure = Figure(figsize=(4, 3), dpi=150)
    texts = [figure.text(0.1, 0.2, "two\nlines", fontsize=11),
             figure.text(0.2, 0.5, "STIX, same size\nother metrics", family="STIXGeneral", fontsize=11),
             figure.text(0.3, 0.4, "serif,\nspaced\nthree", family="serif", linespacing=1.6, rotation=20),
             figure.text(0.6, 0.7, "mono $x^2$\nAgy", family="monospace", fontsize=7.5, ha="center", va="baseline"),
             figure.text(0.5, 0.1, "one line", fontsize=14, weight="bold")]
    plain = RendererAgg(600, 450, 150)
    caching = TextCachingCanvas(figure).get_renderer()
    for text in texts:
        for _ in range(2):  # the metrics read, then kept
            (box, lines, *_), (plain_box, plain_lines, *_) = text._get_layout(caching), text._get_layout(plain)
            assert (box.bounds, lines) == (plain_box.bounds, plain_lines), text.get_text()
            assert text.get_window_extent(caching).bounds == text.get_window_extent(plain).bounds
    assert len(caching.line_metrics) == 5  # one entry per font and size
