"""What every explorer shares: the Explorer record, the redraw into an Image widget, and one look.

The look, so that every lesson's explorer feels the same:
- controls are labelled with words and the symbol used in the text ("learning rate α", "L2
  strength λ", "Δx (px, right)") and, where one exists, a unit; learning rates and regularisation
  strengths use :func:`log_slider`; every slider takes :data:`SLIDER` (its whole label shows);
- every explorer has a **reset** button (:func:`reset_button`) that restores its defaults with one
  redraw, at the end of its first row of controls (:func:`assemble_explorer` wires all of this);
- sliders redraw while they are dragged (``continuous_update=True``), and work that takes seconds
  (training) runs only on an explicit button. A drag never queues a backlog of redraws: the
  browser's widget manager keeps at most one change of a control in flight and, while the kernel
  is busy redrawing, keeps only the latest value, which it sends as soon as the kernel is idle, so
  the picture follows the slider as fast as it can be drawn and always ends at the value let go;
- a setting that diverges or is meaningless is reported on the plot with :func:`draw_message`,
  never by raising.

Responsiveness (benchmarks/bench_widgets.py measures it): a redraw empties its axes with
:func:`clear_axes` rather than ``Axes.clear`` (which rebuilds every tick, about a quarter of a
redraw), computes nothing that the changed control does not affect, and :func:`show_figure` sends
the figure as one PNG, drawn once, keeping its layout where the redraw allows (``relayout=False``),
as the binary value of an ``ipywidgets.Image`` (:func:`figure_view`) updated in place: no base64, and
no output area cleared and rebuilt. The figure is drawn on a
:class:`~course_lib.ui.text_cache.TextCachingCanvas`, which rasterises each string once and stamps
it on later draws (a third off the median redraw), and each axis or legend that looks as at an
earlier draw is composited from the pixels of that draw (:func:`~course_lib.ui.layer_cache.cache_layers`,
a third off what is left). ``benchmarks/bench_browser.py`` measures what a
learner waits for, from a key press on a slider to the new picture on the page.
"""

from __future__ import annotations

import contextlib
import struct
import textwrap
import threading
import weakref
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "SLIDER",
    "Explorer",
    "Redraw",
    "assemble_explorer",
    "clear_axes",
    "decade_frame",
    "draw_message",
    "encode_png",
    "explorer_layout",
    "figure_view",
    "log_slider",
    "render_png",
    "reset_button",
    "show_figure",
]

#: Keyword arguments for every slider: it redraws while dragged, and its whole label shows.
SLIDER: dict[str, Any] = {"continuous_update": True, "style": {"description_width": "initial"}}
# A slider is 300 px wide whatever its label, and a label shown whole takes its room from the track (a
# 40-character label left none). explorer_layout widens each slider by its label instead: about this
# much track and readout beside a label of n characters (n ch).
_TRACK_AND_READOUT = "230px"
# The figures render_png has drawn, and so laid out: only these can keep their layout.
_LAID_OUT: weakref.WeakSet[Any] = weakref.WeakSet()


@dataclass
class Explorer:
    """A displayed widget, the Figure it redraws, its named controls and the redraw function."""

    widget: Any
    figure: Any
    controls: dict[str, Any] = field(default_factory=dict)
    redraw: Callable[..., None] = lambda *_: None

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


# Held while an explorer redraws, or holds its redraw back. The kernel may run a widget's messages on
# two threads: ipykernel 7 hands some to a subshell thread (JupyterLab's widget manager asks for one)
# and others to the main thread. Two redraws at once would empty axes that the other is drawing, and
# matplotlib is not thread-safe (an AttributeError seen in lesson 05's browser test). One lock for all
# explorers, as they share matplotlib's caches; re-entrant, as a held block redraws inside it.
_REDRAWING = threading.RLock()


class Redraw:
    """An explorer's redraw function that can be held back while several controls change at once.

    Call it (an ipywidgets observer, so it takes the change and ignores it) to redraw now. Inside
    ``with redraw.held():`` calls only note that a redraw is due, and leaving the block redraws
    once: a reset of nine controls costs one redraw, not nine. Redraws never run at the same time,
    even when the kernel delivers widget messages on two threads: a second waits for the first.
    """

    def __init__(self, draw: Callable[[], None]) -> None:
        self.draw = draw
        self._holds = 0
        self._due = False

    def __call__(self, change: Any = None) -> None:
        with _REDRAWING:
            if self._holds:
                self._due = True
            else:
                self.draw()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        with _REDRAWING:
            self._holds += 1
            try:
                yield
            finally:
                self._holds -= 1
            if not self._holds and self._due:
                self._due = False
                self.draw()


def render_png(figure: Any, *, relayout: bool = True) -> bytes:
    """The figure drawn once and encoded as PNG: the bytes :func:`show_figure` sends to the browser.

    ``relayout=False`` keeps the positions its layout engine (e.g. ``layout="constrained"``) gave
    the axes at the previous render instead of computing them again, which costs about a third of
    a draw. Use it for a redraw whose titles and tick labels keep their size (a moved slider); keep
    the default after a change of view, or while a figure goes from empty to filled. The Agg canvas
    stays on the figure, so its renderer and text caches are reused from one render to the next; it
    is a :class:`~course_lib.ui.text_cache.TextCachingCanvas`, which rasterises a string once and
    stamps it on later draws (tick labels, titles and legends rarely change as a slider moves). An
    axis or legend that looks as at an earlier draw is composited from that draw's pixels
    (:func:`~course_lib.ui.layer_cache.cache_layers`).
    """
    from course_lib.ui.layer_cache import cache_layers
    from course_lib.ui.text_cache import TextCachingCanvas

    cache_layers(figure)
    canvas = figure.canvas if isinstance(figure.canvas, TextCachingCanvas) else TextCachingCanvas(figure)
    engine = figure.get_layout_engine()
    keep = not relayout and engine is not None and figure in _LAID_OUT
    if keep:
        figure.set_layout_engine("none")  # the axes keep the positions of the last layout
    try:
        canvas.draw()
    finally:
        if keep:
            figure.set_layout_engine(engine)
    _LAID_OUT.add(figure)
    pixels = np.asarray(canvas.buffer_rgba())
    return encode_png(pixels[..., :3] if figure.get_facecolor()[3] == 1.0 else pixels)


def encode_png(pixels: Any) -> bytes:
    """A PNG of an (height, width, 3 or 4) uint8 array: RGB or RGBA, each row unfiltered, zlib level 1.

    A plot is mostly flat colour, which zlib's fastest level packs well without PNG's row filters:
    over the course's explorers this takes half the time of Pillow's PNG writer at its fastest
    level, for files of about the same size (benchmarks/README.md).
    """
    pixels = np.asarray(pixels)
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
        raise ValueError(f"encode_png takes a (height, width, 3 or 4) uint8 array of RGB or RGBA pixels; got "
                         f"{pixels.dtype} {pixels.shape}. Pass e.g. np.asarray(canvas.buffer_rgba()).")
    height, width, channels = pixels.shape
    rows = np.empty((height, 1 + width * channels), np.uint8)
    rows[:, 0] = 0  # each row starts with its filter: 0, none
    rows[:, 1:].reshape(height, width, channels)[...] = pixels  # one copy, even from an RGBA canvas's RGB view
    header = struct.pack(">IIBBBBB", width, height, 8, 2 if channels == 3 else 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows.data, 1)) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: its length, its kind, its data and their CRC-32."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def figure_view() -> Any:
    """The widget an explorer's figure is shown in: an ``ipywidgets.Image`` that :func:`show_figure` fills.

    The picture keeps its size in pixels (one PNG pixel per CSS pixel, as a notebook shows a figure)
    and shrinks with a narrow window.
    """
    import ipywidgets as widgets

    return widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))


def show_figure(view: Any, figure: Any, *, relayout: bool = True) -> None:
    """Show the current state of ``figure`` in ``view`` (a :func:`figure_view`; only inside IPython).

    The figure goes out as one PNG from :func:`render_png` (see there for ``relayout``), drawn
    once; ``display(figure)`` would draw it twice, the first time to find a tight bounding box.
    The PNG becomes the Image's ``value``: one comm message whose bytes travel as a binary
    buffer, and the browser swaps the picture in place.

    The picture is set as the widget's state, never displayed with ``with output: display(...)``
    into an Output widget. Such a capture makes a headless runner (nbclient, so nbconvert,
    papermill, nbval and build-site) echo each output back to the kernel on the shell socket, and
    that raw send can swallow the wake-up of the cell's execute_reply: the run then waits forever
    on a reply that has arrived (a hang seen in lessons 02, 08 and 09 on a loaded machine).
    """
    import ipywidgets as widgets
    from IPython import get_ipython

    if not isinstance(view, widgets.Image):
        raise TypeError(f"show_figure draws into the Image widget of figure_view(); got {type(view).__name__}. "
                        "Create the explorer's view with figure_view().")
    if get_ipython() is None:  # plain Python or pytest: the figure object is the state to check
        return
    view.value = render_png(figure, relayout=relayout)


def clear_axes(*axes: Any, keep: Iterable[Any] = ()) -> None:
    """Empty each Axes for the next redraw, as ``ax.clear()`` does, but keep its tick objects.

    Removes every line, patch, collection, image, text, legend and inset but those in ``keep``
    (a background that no control changes, e.g. a contour map, made once; while its Axes keep their
    frame it is stamped from the pixels of an earlier draw, :func:`~course_lib.ui.layer_cache.stamp_kept`,
    so change a kept artist only by making a new one), and resets the titles,
    axis labels, scales (with their tick locators and formatters), limits and autoscaling, aspect,
    margins, grid and colour cycle, so that drawing again gives the picture a fresh Axes would.
    ``Axes.clear`` also throws away the Tick objects, and building them again takes about a
    third of a redraw. Tick parameters (``tick_params``) are kept: a plot helper that sets them
    sets them on every call. A colorbar is an Axes of its own: draw it once, outside the redraw.
    Titles are pinned to the top of the axes (y = 1), where a fresh Axes puts them when its ticks
    are below; a fresh Axes searches every draw for the top of its tick labels first, in case they
    are on top.
    """
    import matplotlib as mpl

    from course_lib.ui.layer_cache import stamp_kept

    kept = set(keep)
    stamp_kept(kept)  # no control changes them: drawn from the pixels of an earlier draw while the frame stays
    for ax in axes:
        for container in list(ax.containers):
            container.remove()
        for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.images, *ax.texts, *ax.artists, *ax.tables]:
            if artist not in kept:
                artist.remove()
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        for child in list(ax.child_axes):
            child.remove()
        for loc in ("center", "left", "right"):  # pinned to the top of the axes: see the docstring
            ax.set_title("", loc=loc, y=1.0)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.set_xscale("linear")  # also puts back the default tick locators and formatters
        ax.set_yscale("linear")
        ax.set_prop_cycle(None)
        ax.set_aspect("auto")
        ax.set_axis_on()
        ax.grid(False)
        ax.set_xmargin(mpl.rcParams["axes.xmargin"])
        ax.set_ymargin(mpl.rcParams["axes.ymargin"])
        ax.ignore_existing_data_limits = True
        ax.set_xlim(0, 1, auto=True)
        ax.set_ylim(0, 1, auto=True)


def decade_frame(ax: Any) -> None:
    """Frame a log y axis in whole decades around the data of its lines (curves and horizontal lines;
    a vertical line's y runs over the axes, not the data, and does not count).

    Autoscaled, the frame follows every change of the data, so a slider that moves a curve a little
    moves every tick with it; in whole decades it moves only when the data cross a decade, and the
    axis is stamped from the last draw in between (:func:`~course_lib.ui.layer_cache.cache_layers`).
    """
    data_y = [line for line in ax.lines if line.get_transform().contains_branch_seperately(ax.transData)[1]]
    values = np.concatenate([np.ravel(np.asarray(line.get_ydata(), float)) for line in data_y] or [np.array([])])
    values = values[np.isfinite(values) & (values > 0)]
    if values.size:  # a point just on a decade keeps a sliver of room
        ax.set_ylim(10.0 ** np.floor(np.log10(values.min()) - 0.02), 10.0 ** np.ceil(np.log10(values.max()) + 0.02))


def log_slider(
    description: str, value: float, min_exp: float, max_exp: float, *, step: float = 0.1, tooltip: str = ""
) -> Any:
    """A slider moving over powers of ten, 10**min_exp .. 10**max_exp, for rates and strengths.

    ``step`` is in exponents: 0.1 moves by a factor 10**0.1 ≈ 1.26 per notch; use a smaller step
    where the lesson needs to straddle a threshold closely. Beware in tests: the slider's ``.min``
    and ``.max`` are these exponents, not values; its extreme values are ``10 ** slider.min`` and
    ``10 ** slider.max``.
    """
    import ipywidgets as widgets

    return widgets.FloatLogSlider(
        value=value, base=10, min=min_exp, max=max_exp, step=step, description=description,
        readout_format=".2g", tooltip=tooltip, **SLIDER,
    )


def reset_button(
    controls: Mapping[str, Any], defaults: Mapping[str, Any] | None = None, *, redraw: Redraw | None = None
) -> Any:
    """A button that puts every control back to its value at creation (or to ``defaults``).

    With ``redraw``, the controls change while it is held, so the reset redraws once.
    """
    import ipywidgets as widgets

    start = dict(defaults) if defaults is not None else {name: c.value for name, c in controls.items() if hasattr(c, "value")}
    button = widgets.Button(description="reset", tooltip="back to the starting values", icon="undo")

    def reset(_: Any) -> None:
        with redraw.held() if redraw is not None else contextlib.nullcontext():
            for name, value in start.items():
                controls[name].value = value

    button.on_click(reset)
    return button


def explorer_layout(rows: Sequence[Iterable[Any]], view: Any) -> Any:
    """The standard arrangement: rows of controls (each wrapping on a narrow screen), then the plot.

    Each slider is made as wide as its label needs plus a track of the same length for all, unless
    its width was set.
    """
    import ipywidgets as widgets

    sliders = (widgets.IntSlider, widgets.FloatSlider, widgets.FloatLogSlider, widgets.SelectionSlider)
    rows = [list(row) for row in rows]
    for control in (c for row in rows for c in row):
        if isinstance(control, sliders) and not control.layout.width:
            control.layout.width = f"calc({len(control.description)}ch + {_TRACK_AND_READOUT})"
    wrap = widgets.Layout(flex_flow="row wrap", align_items="center")
    return widgets.VBox([*(widgets.HBox(row, layout=wrap) for row in rows), view])


def assemble_explorer(
    figure: Any,
    controls: dict[str, Any],
    draw: Callable[[], None] | Redraw,
    view: Any,
    rows: Sequence[Iterable[str | Any]],
    *,
    observe: Iterable[str] | None = None,
) -> Explorer:
    """The end of every explorer: wire the controls, add **reset**, draw once, lay out.

    Every control named in ``observe`` (default: all of ``controls``) redraws when its value
    changes; ``controls["reset"]`` becomes a :func:`reset_button` over the controls as they are
    now, redrawing once per reset. ``rows`` lists each row of controls by name (``"reset"``
    included) or as widgets; the plot's ``view`` (:func:`figure_view`) goes below them
    (:func:`explorer_layout`).
    """
    redraw = draw if isinstance(draw, Redraw) else Redraw(draw)
    for name in controls if observe is None else observe:
        controls[name].observe(redraw, names="value")
    controls["reset"] = reset_button(dict(controls), redraw=redraw)
    redraw()
    layout = explorer_layout([[controls[c] if isinstance(c, str) else c for c in row] for row in rows], view)
    return Explorer(layout, figure, controls, redraw)


def draw_message(
    ax: Any, text: str, *, color: str = "crimson", x: float = 0.5, y: float = 0.5, width: int = 48
) -> Any:
    """Write a warning on ``ax`` (e.g. "diverged: the loss reached 1e+12"), above everything else.

    ``x`` and ``y`` place its centre in axes coordinates (0..1); the middle by default. Lines
    longer than ``width`` characters are wrapped, so the message stays inside the plot.
    """
    wrapped = "\n".join(textwrap.fill(line, width) for line in text.splitlines())
    return ax.text(
        x, y, wrapped, transform=ax.transAxes, ha="center", va="center", fontsize=11, color=color,
        zorder=10, bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": color, "alpha": 0.9},
    )
