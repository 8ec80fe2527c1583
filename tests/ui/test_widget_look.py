"""One look for every explorer the lessons declare, checked on all of them at once.

The explorers come from the LESSON records (``course_lib.lessons.all_lessons``): each entry says
how to build its explorer small, so a new lesson's explorer is tested here without an edit. The
look, from ``course_lib.ui.explorer``: a **reset** that restores every control with one redraw;
learning rates and regularisation strengths on log sliders; a description on every slider;
sliders that redraw while dragged; the picture in an Image widget (sent as binary); no exception and a titled figure at every slider's extremes; and
``clear_axes`` redraws that look exactly like a fresh Axes'.
"""

from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
import re
import typing
from typing import Any

import ipywidgets as widgets
import numpy as np
import pytest
from matplotlib.collections import Collection
from matplotlib.lines import Line2D
from PIL import Image

from course_lib.lessons import all_lessons
from course_lib.ui.explorer import Explorer, Redraw, render_png
from course_lib.ui.layer_cache import stamp_kept

SLIDERS = (widgets.FloatSlider, widgets.FloatLogSlider, widgets.IntSlider, widgets.SelectionSlider)
# A description naming a learning rate or a regularisation strength, as the lessons write them.
RATE_OR_STRENGTH = re.compile(r"learning rate|η|λ|weight decay|strength", re.IGNORECASE)


ENTRIES = {entry.name: entry for lesson in all_lessons() for entry in lesson.explorers}
EXPLORERS = sorted(ENTRIES)


def build(name: str) -> Explorer:
    """The explorer ``name``, built small as its LESSON record says."""
    explorer = ENTRIES[name].small()
    assert isinstance(explorer, Explorer), f"{name}'s small build returned {type(explorer).__name__}, not an Explorer"
    return explorer


def test_every_lesson_with_a_notebook_widget_declares_explorers():
    assert len(ENTRIES) >= 11, f"only {sorted(ENTRIES)} found: the LESSON records lost explorers"


def _sliders(explorer: Explorer) -> dict[str, Any]:
    return {name: c for name, c in explorer.controls.items() if isinstance(c, SLIDERS)}


def _extremes(control: Any) -> list[Any]:
    """The two ends of a slider (in values, not exponents, for a log slider)."""
    if isinstance(control, widgets.FloatLogSlider):
        return [control.base ** control.min, control.base ** control.max]
    if isinstance(control, widgets.SelectionSlider):  # options are values, or (label, value) pairs
        values = [option[1] if isinstance(option, tuple) else option for option in control.options]
        return [values[0], values[-1]]
    return [control.min, control.max]


def _another_value(control: Any) -> Any:
    """A value different from the control's current one."""
    if isinstance(control, SLIDERS):
        low, high = _extremes(control)
        return high if control.value != high else low
    if isinstance(control, widgets.Checkbox):
        return not control.value
    values = [option[1] if isinstance(option, tuple) else option for option in control.options]
    return next(v for v in values if v != control.value)


def _titled(figure: Any) -> bool:
    suptitle = figure.get_suptitle() if hasattr(figure, "get_suptitle") else ""
    return bool(suptitle) or any(ax.get_title(loc) for ax in figure.axes for loc in ("center", "left", "right"))


def _returns_an_explorer(function: Any) -> bool:
    try:
        returned = typing.get_type_hints(function).get("return")
    except Exception:  # an annotation that names something only imported for type checkers
        returned = inspect.signature(function).return_annotation
        return isinstance(returned, str) and returned.endswith("Explorer")
    return inspect.isclass(returned) and issubclass(returned, Explorer)


def test_every_explorer_a_lesson_defines_is_in_its_lesson_record():
    """A public function of a lesson's explorers.py that returns an Explorer must be declared, so it is tested."""
    import course_lib.lessons as lessons

    found = set()
    for info in pkgutil.iter_modules(lessons.__path__):
        module = importlib.import_module(f"{lessons.__name__}.{info.name}.explorers")
        found |= {name for name, f in inspect.getmembers(module, inspect.isfunction)
                  if not name.startswith("_") and f.__module__ == module.__name__ and _returns_an_explorer(f)}
    assert found, "no explorer found in the lessons' explorers modules: the discovery itself is broken"
    assert found == set(ENTRIES), (
        f"explorers not declared in their LESSON record: {sorted(found - set(ENTRIES))}; "
        f"declared but not defined: {sorted(set(ENTRIES) - found)}")


@pytest.mark.parametrize("key", EXPLORERS)
def test_reset_restores_every_control_with_one_redraw(key):
    explorer = build(key)
    controls = {name: c for name, c in explorer.controls.items() if hasattr(c, "value")}
    start = {name: c.value for name, c in controls.items()}
    reset = explorer.controls["reset"]
    assert isinstance(reset, widgets.Button) and reset.description == "reset"
    for control in controls.values():
        control.value = _another_value(control)
    assert any(c.value != start[name] for name, c in controls.items())
    draws = []
    if isinstance(explorer.redraw, Redraw):
        inner = explorer.redraw.draw
        explorer.redraw.draw = lambda: (draws.append(1), inner())
    reset.click()
    assert {name: c.value for name, c in controls.items()} == start
    if isinstance(explorer.redraw, Redraw):
        assert len(draws) == 1, f"reset redrew {len(draws)} times; hold the redraw (Redraw.held) while resetting"


def _widgets_in(widget: Any) -> list[Any]:
    return [widget, *(w for child in getattr(widget, "children", ()) for w in _widgets_in(child))]


@pytest.mark.parametrize("key", EXPLORERS)
def test_the_picture_is_an_image_widget_updated_in_place(key):
    explorer = build(key)
    inside = _widgets_in(explorer.widget)
    images = [w for w in inside if isinstance(w, widgets.Image)]
    assert len(images) == 1 and images[0].format == "png", (
        f"{key} shows {len(images)} Image widgets: draw its figure into one figure_view()")
    outputs = [type(w).__name__ for w in inside if isinstance(w, widgets.Output)]
    assert not outputs, f"{key} still has an Output widget: a cleared-and-redisplayed Output is slower than figure_view()"


@pytest.mark.parametrize("key", EXPLORERS)
def test_sliders_are_described_log_scaled_for_rates_and_redraw_while_dragged(key):
    explorer = build(key)
    sliders = _sliders(explorer)
    for name, slider in sliders.items():
        assert slider.description.strip(), f"slider {name!r} has no description"
        assert slider.continuous_update is True, f"slider {name!r} waits for release to redraw; use **core.SLIDER"
        assert slider.style.description_width == "initial", f"slider {name!r} may cut its label; use **core.SLIDER"
        assert slider.layout.width and slider.layout.width.startswith("calc("), (
            f"slider {name!r} is not widened by its label: lay the explorer out with explorer_layout")
        if isinstance(slider, (widgets.FloatSlider, widgets.FloatLogSlider)) and RATE_OR_STRENGTH.search(slider.description):
            assert isinstance(slider, widgets.FloatLogSlider), (
                f"slider {name!r} ({slider.description!r}) is a rate or a strength: use core.log_slider")


@pytest.mark.parametrize("key", EXPLORERS)
def test_every_slider_at_its_extremes_and_every_choice_draws_a_titled_figure(key):
    explorer = build(key)
    for name, slider in _sliders(explorer).items():
        for value in _extremes(slider):
            slider.value = value  # a setting that diverges must show a message, never raise
            assert _titled(explorer.figure), f"no title on the figure with {name} = {value!r}"
        explorer.controls["reset"].click()
    for name, choice in explorer.controls.items():
        if isinstance(choice, (widgets.Dropdown, widgets.ToggleButtons)):
            for option in choice.options:
                choice.value = option[1] if isinstance(option, tuple) else option
                assert _titled(explorer.figure), f"no title on the figure with {name} = {choice.value!r}"


def _axes_pixels(explorer: Explorer) -> list[np.ndarray]:
    """The rendered pixels of each Axes with its ticks, labels and title."""
    picture = np.asarray(Image.open(io.BytesIO(render_png(explorer.figure, relayout=False))))
    renderer = explorer.figure.canvas.get_renderer()
    height = picture.shape[0]
    crops = []
    for ax in explorer.figure.axes:
        box = ax.get_tightbbox(renderer)
        rows = slice(max(0, int(height - box.y1)), int(height - box.y0))
        crops.append(picture[rows, max(0, int(box.x0)) : int(box.x1)])
    return crops


def _fresh_axes(*axes: Any, keep: Any = ()) -> None:
    """clear_axes done the slow way: Axes.clear (new tick objects), then the kept artists put back.

    The kept artists are stamped from their layers as clear_axes has them stamped (a cache of pixels,
    compared with plain draws in tests/ui/test_layer_cache.py): this compares the tick objects.
    """
    kept = list(keep)
    stamp_kept(kept)
    for ax in axes:
        mine = [artist for artist in kept if artist.axes is ax]
        ax.clear()
        for artist in mine:
            if isinstance(artist, Line2D):
                ax.add_line(artist)
            elif isinstance(artist, Collection):
                ax.add_collection(artist)
            else:
                ax.add_artist(artist)


@pytest.mark.parametrize("key", [k for k in EXPLORERS if k != "training_explorer"])
def test_redraws_look_exactly_like_fresh_axes(key, monkeypatch):
    """clear_axes keeps the tick objects from one redraw to the next; the pictures must not show it."""
    module = importlib.import_module(ENTRIES[key].function.__module__)
    reused = build(key)
    with monkeypatch.context() as patch:
        patch.setattr(module, "clear_axes", _fresh_axes)
        fresh = build(key)
    for name, slider in _sliders(reused).items():
        for value in _extremes(slider):
            slider.value = value
            with monkeypatch.context() as patch:
                patch.setattr(module, "clear_axes", _fresh_axes)
                fresh.controls[name].value = value
            for k, (a, b) in enumerate(zip(_axes_pixels(reused), _axes_pixels(fresh))):
                assert a.shape == b.shape and np.array_equal(a, b), (
                    f"axes {k} differs after {slider.description} = {value!r}: {(a != b).any(axis=-1).sum()} pixels")
