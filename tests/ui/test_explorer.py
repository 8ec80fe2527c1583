"""course_lib.ui.explorer without a browser: moving a control redraws the figure; the shared explorer toolkit."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import sys
import types
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from PIL import Image

from course_lib.data import load_mnist
from course_lib.lessons.l00_start_here.explorers import digit_browser
from course_lib.ui.explorer import (
    Redraw,
    assemble_explorer,
    clear_axes,
    encode_png,
    figure_view,
    render_png,
    show_figure,
)


@pytest.fixture(scope="module")
def test_set():
    return load_mnist("test")


def test_digit_browser_redraws_for_every_position(test_set):
    X, y = test_set
    explorer = digit_browser(X, y)
    ax_img, ax_row = explorer.figure.axes
    slider = explorer.controls["index"]
    assert ax_img.get_title() == f"image 0: label {y[0]}"
    for i in (slider.max, slider.min, 1234):  # the extremes of the slider, then a middle value
        slider.value = i
        assert ax_img.get_title() == f"image {i}: label {y[i]}"
        np.testing.assert_array_equal(ax_img.get_images()[0].get_array(), X[i].reshape(28, 28))
        np.testing.assert_array_equal(ax_row.get_lines()[0].get_ydata(), X[i])
    assert slider.max == len(X) - 1


def test_digit_browser_reset_returns_to_start(test_set):
    X, y = test_set
    explorer = digit_browser(X, y, start=5)
    explorer.controls["index"].value = 77
    explorer.controls["reset"].click()
    assert explorer.controls["index"].value == 5
    assert explorer.figure.axes[0].get_title().startswith("image 5:")


def test_digit_browser_displays_as_its_widget(test_set):
    X, y = test_set
    explorer = digit_browser(X[:3], y[:3])
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_digit_browser_refuses_bad_input(test_set):
    X, y = test_set
    with pytest.raises(ValueError, match=r"\(N, 784\)"):
        digit_browser(np.zeros((4, 10)), y[:4])
    with pytest.raises(ValueError, match="one label per image"):
        digit_browser(X[:4], y[:3])
    with pytest.raises(ValueError, match="start must index an image"):
        digit_browser(X[:4], y[:4], start=4)


# ---- the shared toolkit in course_lib.ui.explorer ---------------------------------------------


def _figure(**kwargs):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4, 3), **kwargs)
    return figure, figure.subplots()


def test_clear_axes_empties_like_clear_but_keeps_the_tick_objects():
    figure, ax = _figure()
    ax.plot([1, 10, 100], label="a")
    ax.bar([0, 1], [1, 2])
    ax.text(0.5, 0.5, "message")
    ax.legend()
    ax.set(title="before", xlabel="x", ylabel="y", yscale="log", xlim=(0, 5), aspect="equal")
    render_png(figure)
    tick = ax.xaxis.get_major_ticks()[0]
    clear_axes(ax)
    assert not (ax.lines or ax.patches or ax.texts or ax.containers) and ax.get_legend() is None
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("", "", "")
    assert ax.get_yscale() == "linear" and ax.get_autoscalex_on() and ax.get_aspect() == "auto"
    assert ax.xaxis.get_major_ticks()[0] is tick
    (line,) = ax.plot([2.0, 3.0])
    assert to_hex(line.get_color()) == "#1f77b4", "the colour cycle starts again, as on a fresh Axes"
    ax.autoscale_view()
    assert ax.get_ylim()[0] > 1.9 and ax.get_ylim()[1] < 3.1, "old data no longer counts for the limits"


def test_clear_axes_keeps_what_it_is_told_to_keep():
    figure, ax = _figure()
    background = ax.contourf(np.arange(4), np.arange(4), np.arange(16.0).reshape(4, 4))
    ax.plot([0, 1])
    clear_axes(ax, keep=[background])
    assert ax.collections[:] == [background] and not ax.lines


def test_redraw_held_draws_once_when_released():
    draws = []
    redraw = Redraw(lambda: draws.append(1))
    redraw({"new": 1})
    assert len(draws) == 1
    with redraw.held():
        redraw()
        with redraw.held():
            redraw()
        assert len(draws) == 1, "an inner release must not draw while an outer hold lasts"
    assert len(draws) == 2
    with redraw.held():
        pass
    assert len(draws) == 2, "nothing was due: no redraw"


def _overlap_probe():
    """A draw that notes how many draws run at once (it sleeps, so that an overlap would happen)."""
    import threading
    import time

    state = {"inside": 0, "most": 0, "draws": 0}
    guard = threading.Lock()

    def draw():
        with guard:
            state["inside"] += 1
            state["most"] = max(state["most"], state["inside"])
        time.sleep(0.01)
        with guard:
            state["inside"] -= 1
            state["draws"] += 1

    return draw, state


def test_redraws_on_two_threads_never_run_at_once():
    # ipykernel 7 may run a widget's messages on a subshell thread and on the main thread.
    import threading

    draw, state = _overlap_probe()
    redraw = Redraw(draw)
    threads = [threading.Thread(target=lambda: [redraw() for _ in range(5)]) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert state["draws"] == 15 and state["most"] == 1


def test_a_held_block_keeps_other_threads_redraws_until_it_ends():
    import threading

    draw, state = _overlap_probe()
    redraw = Redraw(draw)
    other = threading.Thread(target=redraw)
    with redraw.held():
        redraw()
        other.start()
        other.join(timeout=0.2)
        assert other.is_alive() and state["draws"] == 0, "another thread redrew inside a held block"
    other.join()
    assert state["draws"] == 2 and state["most"] == 1


def test_render_png_is_the_figure_at_its_size_and_can_keep_its_layout():
    figure, ax = _figure(layout="constrained")
    ax.set_title("one line")
    png = render_png(figure)
    picture = Image.open(io.BytesIO(png))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and picture.size == (400, 300) and picture.mode == "RGB"
    laid_out = ax.get_position().bounds
    ax.set_title("a title\non three\nlines")
    render_png(figure, relayout=False)
    assert ax.get_position().bounds == laid_out
    assert figure.get_layout_engine() is not None, "keeping the layout must not switch the engine off"
    render_png(figure)
    assert ax.get_position().height < laid_out[3], "relayout makes room for the longer title"


@pytest.mark.parametrize("channels, mode", [(3, "RGB"), (4, "RGBA")])
def test_encode_png_decodes_to_the_same_pixels(channels, mode):
    rng = np.random.default_rng(0)
    noisy = rng.integers(0, 256, size=(37, 53, channels), dtype=np.uint8)
    flat = np.full((20, 30, channels), 200, np.uint8)
    flat[5:9, 3:25] = 17  # a plot is mostly flat colour with a few lines
    canvas_view = np.concatenate([noisy, noisy[..., :1]], axis=2)[..., :channels]  # as render_png passes RGB
    for pixels in (noisy, flat, np.ascontiguousarray(noisy[::2, ::3]), canvas_view, noisy[::-1, ::2]):
        picture = Image.open(io.BytesIO(encode_png(pixels)))
        assert picture.mode == mode and picture.size == (pixels.shape[1], pixels.shape[0])
        assert np.array_equal(np.asarray(picture), pixels)
    assert len(encode_png(flat)) < flat.nbytes / 10


@pytest.mark.parametrize("pixels", [np.zeros((4, 5, 2), np.uint8), np.zeros((4, 5, 3)), np.zeros((4, 15), np.uint8),
                                    [[[0, 0, 0]]]])
def test_encode_png_refuses_what_is_not_rgb_or_rgba_bytes(pixels):
    with pytest.raises(ValueError, match=r"\(height, width, 3 or 4\) uint8 array .*; got"):
        encode_png(pixels)


def test_render_png_is_the_canvas_pixels():
    figure, ax = _figure()
    ax.plot([0, 1], [1, 0], label="a line")
    ax.legend()
    picture = np.asarray(Image.open(io.BytesIO(render_png(figure))))
    assert np.array_equal(picture, np.asarray(figure.canvas.buffer_rgba())[..., :3])
    figure.patch.set_alpha(0.0)  # a transparent figure keeps its alpha channel
    picture = np.asarray(Image.open(io.BytesIO(render_png(figure))))
    assert picture.shape[2] == 4 and np.array_equal(picture, np.asarray(figure.canvas.buffer_rgba()))


def test_show_figure_sets_the_png_as_the_image_widgets_value_in_a_notebook(notebook, test_set):
    X, y = test_set
    explorer = digit_browser(X[:5], y[:5])
    view = explorer.widget.children[-1]
    assert isinstance(view, widgets.Image) and view.format == "png"
    sent = []
    view.observe(lambda change: sent.append(change["new"]), names="value")
    explorer.controls["index"].value = 3
    assert len(sent) == 1, "one change, one picture"
    assert Image.open(io.BytesIO(view.value)).size == (900, 320) and view.value[:8] == b"\x89PNG\r\n\x1a\n"
    # Set as the widget's state (its bytes go as a binary buffer), never displayed into a capture: a
    # capture makes nbclient echo each output back on the shell socket, which can swallow the cell's reply.
    assert notebook.outputs == []
    explorer.controls["index"].value = 4
    assert len(sent) == 2 and sent[1] != sent[0], "the next picture replaces the last in place"


def test_show_figure_outside_ipython_draws_nothing():
    figure, ax = _figure()
    show_figure(figure_view(), figure)
    assert not isinstance(figure.canvas, FigureCanvasAgg), "no PNG is made when nobody can see it"


def test_show_figure_refuses_a_view_that_is_not_figure_views_image():
    figure, ax = _figure()
    with pytest.raises(TypeError, match=r"Image widget of figure_view\(\); got Output"):
        show_figure(widgets.Output(), figure)


def test_assemble_explorer_wires_resets_and_lays_out():
    figure, ax = _figure()
    a = widgets.IntSlider(value=1, min=0, max=5, description="a", continuous_update=False)
    b = widgets.IntSlider(value=2, min=0, max=5, description="b", continuous_update=False)
    draws = []
    explorer = assemble_explorer(figure, {"a": a, "b": b}, lambda: draws.append((a.value, b.value)),
                                 figure_view(), [["a", "reset"], ["b"]], observe=["a"])
    assert draws == [(1, 2)], "drawn once when built"
    a.value, b.value = 4, 5
    assert draws[-1] == (4, 2) and len(draws) == 2, "b is not observed: it does not redraw"
    explorer.controls["reset"].click()
    assert (a.value, b.value) == (1, 2) and len(draws) == 3
    first_row, second_row, view = explorer.widget.children
    assert list(first_row.children) == [a, explorer.controls["reset"]] and list(second_row.children) == [b]
    assert isinstance(view, widgets.Image) and isinstance(explorer.redraw, Redraw)


# ---- benchmarks/run.py: running only the widget benchmark keeps the other results -------------


def _bench_runner():
    spec = importlib.util.spec_from_file_location("bench_runner", Path(__file__).parents[2] / "benchmarks" / "run.py")
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)
    return runner


def test_bench_run_with_names_replaces_only_their_sections(tmp_path, monkeypatch):
    runner = _bench_runner()
    for name, value in (("bench_fake_a", "1"), ("bench_fake_b", "2")):
        module = types.ModuleType(name, f"Fake benchmark {name}.")
        module.run = lambda value=value: [{"what": "x", "value": value}]
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(runner, "BENCHMARKS", ["bench_fake_a", "bench_fake_b"])
    monkeypatch.setattr(runner, "RESULTS", tmp_path / "RESULTS.md")
    with contextlib.redirect_stdout(io.StringIO()):
        runner.main([])
        first = runner.split_sections(runner.RESULTS.read_text())[1]
        assert list(first) == ["Machine", "bench_fake_a", "bench_fake_b"] and "| x | 1 |" in first["bench_fake_a"]
        text = runner.RESULTS.read_text().replace("| x | 1 |", "| x | kept |").replace("| x | 2 |", "| x | old |")
        runner.RESULTS.write_text(text + "\n## Notes\n\nwritten by hand\n")
        runner.main(["fake_b"])
    head, sections = runner.split_sections(runner.RESULTS.read_text())
    assert head.startswith("# Benchmark results")
    assert "| x | kept |" in sections["bench_fake_a"], "a benchmark not named is left as it was"
    assert "| x | 2 |" in sections["bench_fake_b"] and "old" not in sections["bench_fake_b"]
    assert sections["Notes"] == "written by hand"
    with pytest.raises(SystemExit, match="unknown benchmark 'nope'; choose from bench_fake_a"):
        runner.main(["nope"])


def test_decade_frame_frames_a_log_axis_in_whole_decades_around_its_lines():
    from matplotlib.figure import Figure

    from course_lib.ui.explorer import decade_frame

    ax = Figure().add_subplot(yscale="log")
    ax.plot([0, 1, 2], [3.0, 0.0, 450.0])  # 0 cannot be shown on a log axis: ignored
    ax.axhline(0.01, linestyle="--")  # a reference line counts; on a decade, so a sliver of room: the next one
    ax.axvline(1.5)  # its y runs from 0 to 1 across the axes: not data
    decade_frame(ax)
    assert ax.get_ylim() == pytest.approx((1e-3, 1e3))
    ax.lines[0].set_ydata([5.0, 6.0, 7.0])
    ax.lines[1].set_ydata([10.0, 10.0])
    ax.lines[2].set_xdata([0.5, 0.5])
    decade_frame(ax)
    assert ax.get_ylim() == pytest.approx((1.0, 100.0))
    empty = Figure().add_subplot(yscale="log")
    before = empty.get_ylim()
    decade_frame(empty)
    assert empty.get_ylim() == before
