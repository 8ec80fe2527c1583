"""course_lib.ui.layer_cache: an axis or legend stamped from a kept layer looks as drawn afresh, and follows every change."""

from __future__ import annotations

import matplotlib.axis
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from course_lib.ui import layer_cache
from course_lib.ui.layer_cache import cache_layers
from course_lib.ui.explorer import render_png

# A layer composited onto the figure and the same ticks drawn on it directly differ by rounding at
# antialiased edges; a tick, label or grid line out of place differs by ~100 or more.
TOLERANCE = 3


def _figure() -> Figure:
    """Axes of the kinds the explorers draw: linear with an offset ("1e6"), log, rotated labels, a colorbar."""
    figure = Figure(figsize=(6, 3), dpi=100)
    left, right = figure.add_subplot(1, 2, 1), figure.add_subplot(1, 2, 2)
    left.plot([0, 1, 2, 3], [1e6, 1e6 + 3, 1e6 + 1, 1e6 + 4], label="loss")
    left.set(title="linear", xlabel="step t", ylabel="loss")
    left.axhspan(1e6 + 1, 1e6 + 2, color="tab:green", alpha=0.2, label="band")
    left.legend(loc="upper left", title="runs")
    right.plot([1, 10, 100], [1e-3, 1e-1, 1e1], "o-", label="error")
    right.set(yscale="log", xlabel="width", ylabel="error (log)")
    right.tick_params(axis="x", labelrotation=30)
    image = right.imshow(np.arange(12).reshape(3, 4), extent=(1, 100, 1e-3, 1e1), aspect="auto", alpha=0.3)
    figure.colorbar(image, ax=right)
    right.legend()  # loc="best": placed where it covers the least data
    return figure


def _plain(figure: Figure) -> np.ndarray:
    """The figure drawn by matplotlib alone: no axis stamped, no layout change."""
    drawn = [*(axis for ax in figure.axes for axis in (ax.xaxis, ax.yaxis)), *_legends(figure)]
    cached = {artist: vars(artist).pop("draw") for artist in drawn if "draw" in vars(artist)}
    canvas = figure.canvas
    try:
        return _pixels(FigureCanvasAgg(figure))
    finally:
        figure.set_canvas(canvas)
        for artist, draw in cached.items():
            artist.draw = draw


def _pixels(canvas: FigureCanvasAgg) -> np.ndarray:
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).astype(int)


def _cached(figure: Figure) -> np.ndarray:
    cache_layers(figure)
    return _pixels(FigureCanvasAgg(figure))


def _differs(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.abs(a - b).max())


@pytest.fixture
def axis_draws(monkeypatch):
    """How many times matplotlib's own Axis.draw ran."""
    calls = []
    draw = matplotlib.axis.Axis.draw
    monkeypatch.setattr(matplotlib.axis.Axis, "draw", lambda self, renderer, *a, **k: calls.append(self) or draw(self, renderer, *a, **k))
    return calls


def _legends(figure: Figure) -> list:
    return [ax.get_legend() for ax in figure.axes if ax.get_legend() is not None]


def _layers(figure: Figure) -> list[int]:
    return [len(vars(axis)["draw"].layers.kept) for ax in figure.axes for axis in (ax.xaxis, ax.yaxis)]


def test_an_axis_that_looks_the_same_is_drawn_once_more_then_stamped(axis_draws):
    figure = _figure()
    plain = _plain(figure)
    axes = len(figure.axes) * 2
    axis_draws.clear()
    first = _cached(figure)  # drawn as matplotlib draws it: the look is new
    second = _cached(figure)  # the same look again: drawn onto a layer, which is kept
    assert len(axis_draws) == 2 * axes and _layers(figure) == [1] * axes
    third = _cached(figure)  # stamped: matplotlib draws no axis
    assert len(axis_draws) == 2 * axes
    assert np.array_equal(first, plain)
    assert _differs(second, plain) <= TOLERANCE
    assert np.array_equal(second, third)


def _warm(figure: Figure) -> None:
    for _ in range(3):
        _cached(figure)


CHANGES = {
    "the limits": lambda f: f.axes[0].set_xlim(0.5, 2.5),
    "the data range (the offset text)": lambda f: f.axes[0].set_ylim(2e6, 2e6 + 8),
    "one tick label's colour": lambda f: f.axes[0].xaxis.get_major_ticks()[2].label1.set_color("crimson"),
    "the tick labels' texts": lambda f: f.axes[0].xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"#{v:.0f}")),
    "the axis label": lambda f: f.axes[0].set_xlabel("another label"),
    "the axis label's colour": lambda f: f.axes[1].yaxis.label.set_color("crimson"),
    "the axis label's place": lambda f: f.axes[0].yaxis.set_label_coords(-0.25, 0.2),
    "the axis label's place along the axis": lambda f: f.axes[0].set_xlabel("step t", loc="left"),
    "the grid": lambda f: f.axes[0].grid(True),
    "the tick marks' length": lambda f: f.axes[1].tick_params(length=9),
    "the tick labels' size": lambda f: f.axes[0].tick_params(labelsize=14),
    "minor ticks": lambda f: f.axes[0].minorticks_on(),
    "the scale": lambda f: f.axes[1].set_xscale("log"),
    "the axes' box": lambda f: f.axes[0].set_position([0.1, 0.3, 0.3, 0.5]),
    "a spine moved": lambda f: f.axes[0].spines["bottom"].set_position(("outward", 12)),
    "the axis hidden": lambda f: f.axes[0].xaxis.set_visible(False),
    "the labels on the other side": lambda f: f.axes[0].yaxis.tick_right(),
    "the dpi": lambda f: f.set_dpi(80),
    "a legend's text": lambda f: f.axes[0].get_legend().texts[0].set_text("validation loss"),
    "a legend's title": lambda f: f.axes[0].get_legend().set_title("other runs"),
    "a legend sample's colour": lambda f: f.axes[0].get_legend().legend_handles[0].set_color("crimson"),
    "a legend band's colour": lambda f: f.axes[0].get_legend().legend_handles[1].set(facecolor="tab:purple", alpha=0.9),
    "a legend sample's markers": lambda f: f.axes[1].get_legend().legend_handles[0].set_marker("s"),
    "a legend's place": lambda f: f.axes[0].get_legend().set_loc("lower right"),
    "a legend's frame": lambda f: f.axes[0].get_legend().get_frame().set_facecolor("khaki"),
    "a new legend with other entries": lambda f: f.axes[0].legend(["loss", "another band"], loc="upper left"),
    "the data under a 'best' legend": lambda f: f.axes[1].lines[0].set_ydata([1e1, 1e-1, 1e-3]),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_a_changed_axis_or_legend_is_drawn_as_it_now_looks(change):
    figure = _figure()
    _warm(figure)
    before = _plain(figure)
    CHANGES[change](figure)
    after = _plain(figure)
    assert before.shape != after.shape or _differs(before, after) > 50, "the change must show in the picture"
    for _ in range(3):  # drawn afresh, onto a layer, stamped: each as it looks now
        assert _differs(_cached(figure), after) <= TOLERANCE


def test_an_axis_label_placed_by_hand_and_moved_is_drawn_where_it_now_is():
    figure = _figure()
    figure.axes[0].yaxis.set_label_coords(-0.2, 0.5)
    _warm(figure)
    figure.axes[0].yaxis.set_label_coords(-0.25, 0.2)
    after = _plain(figure)
    for _ in range(3):
        assert _differs(_cached(figure), after) <= TOLERANCE


def test_each_axis_keeps_its_last_layers_and_draws_right_past_them(monkeypatch):
    monkeypatch.setattr(layer_cache, "LAYERS_KEPT", 2)
    figure = _figure()
    for limits in [(0, 1), (0, 2), (0, 3), (0, 1), (0, 2), (0, 3)] * 2:
        figure.axes[0].set_xlim(*limits)
        for _ in range(2):
            assert _differs(_cached(figure), _plain(figure)) <= TOLERANCE
    assert max(_layers(figure)) == 2


@pytest.fixture
def legend_draws(monkeypatch):
    """How many times matplotlib's own Legend.draw ran."""
    import matplotlib.legend

    calls = []
    draw = matplotlib.legend.Legend.draw
    monkeypatch.setattr(matplotlib.legend.Legend, "draw", lambda self, renderer: calls.append(self) or draw(self, renderer))
    return calls


def test_a_legend_made_again_at_every_redraw_is_stamped_while_it_looks_the_same(legend_draws):
    figure = _figure()
    for redraw in range(4):  # as an explorer does: a new Legend each time
        figure.axes[0].legend(loc="upper left", title="runs")
        figure.axes[1].legend()
        assert _differs(_cached(figure), _plain(figure)) <= TOLERANCE
    # each redraw's plain picture draws both; the cached draws: twice by matplotlib, then stamped
    assert len(legend_draws) == 4 * 2 + 2 * 2


def test_a_legend_with_a_sample_it_cannot_describe_is_always_drawn_by_matplotlib(legend_draws):
    figure = _figure()
    figure.axes[0].scatter([1, 2], [1e6 + 1, 1e6 + 2], label="points")
    figure.axes[0].legend()
    for _ in range(3):
        _cached(figure)
    left, right = (ax.get_legend() for ax in figure.axes[:2])
    assert legend_draws.count(left) == 3  # a scatter's sample: drawn every time
    assert legend_draws.count(right) == 2  # drawn, drawn onto a layer, stamped
    assert _differs(_cached(figure), _plain(figure)) <= TOLERANCE


@pytest.mark.parametrize("kind", ["pdf", "svg"])
def test_a_figure_saved_as_vector_graphics_is_drawn_by_matplotlib(kind, axis_draws, tmp_path):
    figure = _figure()
    _warm(figure)
    axis_draws.clear()
    figure.savefig(tmp_path / f"explorer.{kind}")
    assert len(axis_draws) == len(figure.axes) * 2  # every axis drawn as lines and text, none stamped


def test_render_png_stamps_axes_that_did_not_change(axis_draws):
    figure = _figure()
    for _ in range(2):
        render_png(figure, relayout=False)
    axis_draws.clear()
    render_png(figure, relayout=False)
    assert axis_draws == []


def _kept_figure() -> tuple[Figure, list]:
    """A map with a background kept from one redraw to the next (contour lines, a star) and a path over it."""
    figure = Figure(figsize=(4, 3), dpi=100)
    ax = figure.add_subplot()
    x, y = np.meshgrid(np.linspace(-2, 2, 40), np.linspace(-1, 3, 40))
    contours = ax.contour(x, y, (1 - x) ** 2 + 5 * (y - x**2) ** 2, levels=12, cmap="Greys_r", alpha=0.8)
    (star,) = ax.plot([1], [1], "*", markersize=12, color="gold", markeredgecolor="black")
    return figure, [contours, star]


def test_a_kept_background_is_stamped_while_its_axes_keep_their_frame(monkeypatch):
    from matplotlib.collections import Collection

    (figure, kept), (reference, _) = _kept_figure(), _kept_figure()  # the reference draws its background plainly
    layer_cache.stamp_kept(kept)
    draws = []
    draw = Collection.draw
    monkeypatch.setattr(Collection, "draw", lambda self, renderer: draws.append(self) or draw(self, renderer))
    # The frame stays for three redraws, moves, stays for three more, and the figure's size changes.
    frames = [(-2, 2)] * 4 + [(-1, 2)] * 3 + [((-1, 2), 2.5)] * 3
    for step, frame in enumerate(frames):
        limits, height = frame if isinstance(frame[0], tuple) else (frame, 3)
        for fig in (figure, reference):
            ax = fig.axes[0]
            for line in ax.lines[1:]:
                line.remove()
            ax.plot([-1.2, 0.3 * step], [1, 0.5], color="crimson")  # what a control moves: drawn at every redraw
            ax.set_xlim(*limits)
            fig.set_size_inches(4, height)
        draws.clear()
        stamped = _pixels(FigureCanvasAgg(figure))
        drawn = draws.count(kept[0])
        assert _differs(stamped, _pixels(FigureCanvasAgg(reference))) <= TOLERANCE, f"redraw {step} looks different"
        # drawn, drawn onto a layer, then stamped; anew after each change of the frame
        assert drawn == (0 if step in (2, 3, 6, 9) else 1), f"redraw {step}: the contour lines drawn {drawn} times"


def test_a_kept_artist_outside_any_axes_is_drawn_by_matplotlib():
    figure = Figure(figsize=(3, 2), dpi=100)
    label = figure.text(0.2, 0.5, "kept, on the figure")
    layer_cache.stamp_kept([label])
    for _ in range(3):
        _pixels(FigureCanvasAgg(figure))
    assert vars(label)["draw"].layers.kept == {}
