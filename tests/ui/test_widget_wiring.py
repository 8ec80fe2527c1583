"""Every control of every explorer is wired to the picture: moving it changes the plotted data.

``test_widget_look.py`` checks how the explorers look (titles, reset, slider style); it cannot
see a control that is disconnected from the figure, e.g. an optimizer explorer that always passes
the default β₁. Here every control of every explorer the LESSON records declare (found through
``course_lib.lessons.all_lessons``, never a hand-kept list) is moved, and the figure is compared
before and after through a fingerprint of everything its Axes show: line data, collections
(contours, scatter), images, bars and other patches, texts, titles, axis labels, limits, scales,
tick labels and legend texts. A moved control must change the drawn numbers (artists, limits,
scales), not only the words: a title that quotes a slider's value changes even when the
computation ignores the slider.

A control that only acts in some settings (β₁ once the optimizer is Adam, the logit once the view
is classification) is moved in the settings its entry's ``needs`` declares
(:meth:`course_lib.lessons.ExplorerEntry.settings_for`). An explorer with a **train** button
(lesson 09) redraws only when a run ends, so its controls are judged by the run a click of
**train** draws; **train** itself must draw a run, and **reset** must bring the whole picture
back after every control has moved.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import numpy as np
import pytest
from matplotlib.patches import Rectangle

from course_lib.lessons import ExplorerEntry, Lesson, all_lessons
from course_lib.ui.explorer import Explorer

TRAIN, RESET = "train", "reset"
# Numbers are compared to 12 significant digits: far finer than any change a control makes, and
# blind to the last bits of a recomputation.
_DIGITS = 12

#: Controls known to be disconnected from the picture, (explorer, control) -> why; each such case
#: is a strict xfail, so it fails loudly once the control is wired. Empty: every control acts.
DISCONNECTED: dict[tuple[str, str], str] = {}

Fingerprint = tuple[tuple[str, Any], ...]


# --- the fingerprint ------------------------------------------------------------------------------


def _numbers(values: Any) -> tuple[tuple[int, ...], bytes]:
    """An array of numbers as (shape, bytes), rounded to _DIGITS significant digits (NaN kept, -0 as 0)."""
    array = np.ma.filled(np.ma.asarray(values, dtype=float), np.nan)
    mantissa, exponent = np.frexp(array)
    rounded = np.ldexp(np.round(mantissa, _DIGITS), exponent) + 0.0
    return rounded.shape, rounded.tobytes()


def _patch(patch: Any) -> tuple[str, Any]:
    """A bar by its x, y, width, height (and angle); any other patch by its outline in data coordinates."""
    if isinstance(patch, Rectangle):
        return "rectangle", _numbers([patch.get_x(), patch.get_y(), patch.get_width(), patch.get_height(),
                                      patch.get_angle()])
    outline = patch.get_patch_transform().transform(patch.get_path().vertices)
    return type(patch).__name__, _numbers(outline)


def _collection(collection: Any) -> tuple[Any, ...]:
    """A collection (contour set, scatter, line collection, mesh) by its paths, offsets, values and sizes."""
    array = collection.get_array()
    return (
        tuple(_numbers(path.vertices) for path in collection.get_paths()),
        _numbers(collection.get_offsets()),
        None if array is None else _numbers(array),
        _numbers(collection.get_sizes()) if hasattr(collection, "get_sizes") else None,
    )


def _text(text: Any) -> tuple[str, Any]:
    return text.get_text(), _numbers(text.get_position())


def _axes(ax: Any, key: str) -> Iterator[tuple[str, Any]]:
    """What one Axes shows, as (key, value) items: its data first, then its words and its frame."""
    for j, line in enumerate(ax.lines):
        yield f"{key}.lines[{j}]", (line.get_visible(), _numbers(line.get_xydata()))
    for j, collection in enumerate(ax.collections):
        yield f"{key}.collections[{j}]", (collection.get_visible(), _collection(collection))
    for j, image in enumerate(ax.images):
        yield f"{key}.images[{j}]", (image.get_visible(), _numbers(image.get_array()), _numbers(image.get_extent()),
                                     _numbers(image.get_clim()))
    for j, patch in enumerate(ax.patches):
        yield f"{key}.patches[{j}]", (patch.get_visible(), _patch(patch))
    for j, text in enumerate(ax.texts):
        yield f"{key}.texts[{j}]", (text.get_visible(), _text(text))
    for j, artist in enumerate([*ax.artists, *ax.tables]):
        yield f"{key}.artists[{j}]", type(artist).__name__
    yield f"{key}.titles", tuple(ax.get_title(loc) for loc in ("left", "center", "right"))
    yield f"{key}.labels", (ax.get_xlabel(), ax.get_ylabel())
    yield f"{key}.limits", (_numbers(ax.get_xlim()), _numbers(ax.get_ylim()))
    yield f"{key}.scales", (ax.get_xscale(), ax.get_yscale(), ax.axison)
    yield f"{key}.xticks", (_numbers(ax.get_xticks()), tuple(t.get_text() for t in ax.get_xticklabels()))
    yield f"{key}.yticks", (_numbers(ax.get_yticks()), tuple(t.get_text() for t in ax.get_yticklabels()))
    legend = ax.get_legend()
    if legend is not None:
        yield f"{key}.legend", (legend.get_title().get_text(), tuple(t.get_text() for t in legend.get_texts()))
    for j, child in enumerate(ax.child_axes):
        yield from _axes(child, f"{key}.inset[{j}]")


def fingerprint(figure: Any) -> Fingerprint:
    """The plotted data of every Axes of ``figure`` (and its suptitle and figure texts), comparable with ``==``.

    Built from values only (arrays as rounded bytes, strings, tuples), never from object ids, so
    two redraws of the same settings give equal fingerprints and any change of the data does not.
    """
    items: list[tuple[str, Any]] = []
    suptitle = figure.get_suptitle() if hasattr(figure, "get_suptitle") else ""
    items.append(("figure.suptitle", suptitle))
    items.extend((f"figure.texts[{j}]", _text(text)) for j, text in enumerate(figure.texts))
    for i, ax in enumerate(figure.axes):
        items.extend(_axes(ax, f"axes[{i}]"))
    return tuple(items)


#: The items of a fingerprint that are drawn numbers rather than words: the artists' data and each
#: Axes' limits and scales. Titles, labels, texts, tick labels and legends are the words.
DRAWN = frozenset({"lines", "collections", "images", "patches", "artists", "limits", "scales"})


def drawn(print_: Fingerprint) -> Fingerprint:
    """Only the drawn numbers of a fingerprint: a title that quotes a slider's value is not among them."""
    return tuple((key, value) for key, value in print_ if key.rsplit(".", 1)[-1].split("[")[0] in DRAWN)


def differences(a: Fingerprint, b: Fingerprint, limit: int = 6) -> list[str]:
    """The keys whose values differ between two fingerprints (at most ``limit``), for a failure message."""
    left, right = dict(a), dict(b)
    keys = [k for k in dict.fromkeys([*left, *right]) if left.get(k) != right.get(k)]
    return keys[:limit] + ([f"... {len(keys) - limit} more"] if len(keys) > limit else [])


def test_the_fingerprint_sees_data_and_not_identity():
    """Two figures drawn alike fingerprint alike; a moved point, bar or pixel changes the drawn numbers,
    a new label or text only the words."""
    from matplotlib.figure import Figure

    def draw(y: float = 2.0, bar: float = 3.0, label: str = "a", text: str = "t", image: float = 0.0) -> Fingerprint:
        figure = Figure()
        ax_line, ax_bar = figure.subplots(1, 2)
        ax_line.plot([0, 1, 2], [1, y, 0], label=label)
        ax_line.scatter([0, 1], [1, y])
        ax_line.contour(np.arange(9.0).reshape(3, 3) * y)
        ax_line.legend()
        ax_bar.bar([0, 1], [1, bar])
        ax_bar.text(0.5, 0.5, text)
        ax_bar.imshow(np.full((2, 2), image))
        return fingerprint(figure)

    assert draw() == draw(), "the same drawing on two figures must give the same fingerprint"
    for change in ({"y": 2.0 + 1e-9}, {"bar": 4.0}, {"image": 1.0}):
        assert drawn(draw()) != drawn(draw(**change)), f"the drawn numbers missed the change {change}"
    for change in ({"label": "b"}, {"text": "u"}):
        assert draw() != draw(**change), f"the fingerprint missed the change {change}"
        assert drawn(draw()) == drawn(draw(**change)), f"{change} changes words only, not the drawn numbers"


# --- the explorers, found at collection time ------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """An explorer entry, its lesson, and the control names of its small build (None: the build raised)."""

    lesson: Lesson
    entry: ExplorerEntry
    controls: tuple[str, ...] | None
    buttons: tuple[str, ...] | None

    @property
    def name(self) -> str:
        return self.entry.name

    def where(self) -> str:
        return f"lesson {self.lesson.stem}, {self.name}"

    def __repr__(self) -> str:
        return f"Found({self.name})"


def _value_controls(explorer: Explorer) -> dict[str, Any]:
    """The controls that hold a value (sliders, menus, toggles, checkboxes): every one but the buttons."""
    return {name: c for name, c in explorer.controls.items() if not isinstance(c, widgets.Button) and hasattr(c, "value")}


def _discover() -> tuple[list[Found], str | None]:
    """Every declared explorer, built small once to learn its controls; the error if the lessons do not load."""
    try:
        lessons = all_lessons()
    except Exception as error:  # a lesson or an explorers module that does not import
        return [], f"{type(error).__name__}: {error}"
    found = []
    for lesson in lessons:
        for entry in lesson.explorers:
            try:
                explorer = entry.small()
                values = tuple(_value_controls(explorer))
                buttons = tuple(n for n, c in explorer.controls.items() if isinstance(c, widgets.Button))
            except Exception:  # reported by test_every_explorer_builds_small
                values = buttons = None
            found.append(Found(lesson, entry, values, buttons))
    return found, None


FOUND, DISCOVERY_ERROR = _discover()


@dataclass(frozen=True)
class Case:
    """One control of one explorer, moved in one setting of the others."""

    found: Found
    control: str
    setting: Mapping[str, Any]

    @property
    def id(self) -> str:
        where = ",".join(f"{k}={v}" for k, v in self.setting.items())
        return f"{self.found.name}.{self.control}" + (f"@{where}" if where else "")

    def __repr__(self) -> str:
        return f"Case({self.id})"


def _cases() -> list[Any]:
    params = []
    for found in FOUND:
        for control in found.controls or ():
            for setting in found.entry.settings_for(control):
                case = Case(found, control, dict(setting))
                reason = DISCONNECTED.get((found.name, control))
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                params.append(pytest.param(case, id=case.id, marks=marks))
    return params


CASES = _cases()
EXPLORERS = [pytest.param(found, id=found.name) for found in FOUND]
TRAINERS = [pytest.param(found, id=found.name) for found in FOUND if TRAIN in (found.buttons or ())]


def test_the_lessons_load_and_declare_explorers_with_controls():
    """all_lessons() imports every lesson and its explorers modules; a missing module fails here, never skips."""
    assert DISCOVERY_ERROR is None, f"the LESSON records could not be loaded: {DISCOVERY_ERROR}"
    assert FOUND, "the LESSON records declare no explorer: the discovery itself is broken"
    assert len(CASES) >= len(FOUND), f"only {len(CASES)} (explorer, control) cases for {len(FOUND)} explorers"


@pytest.mark.parametrize("found", EXPLORERS)
def test_every_explorer_builds_small(found: Found):
    """Each entry's module imports and its small build returns an Explorer with controls: else none of it is tested."""
    import importlib

    module = importlib.import_module(found.entry.function.__module__)
    assert getattr(module, found.name, None) is found.entry.function, (
        f"{found.where()}: {module.__name__} does not define the declared function {found.name}")
    explorer = found.entry.small()  # an exception here fails the test, with its traceback
    assert isinstance(explorer, Explorer), f"{found.where()}: small() returned {type(explorer).__name__}, not an Explorer"
    assert explorer.figure is not None and explorer.figure.axes, f"{found.where()}: the explorer has no figure with Axes"
    assert _value_controls(explorer) or TRAIN in explorer.controls, f"{found.where()}: the explorer has no control to move"


@pytest.mark.parametrize("found", EXPLORERS)
def test_every_button_is_reset_or_train(found: Found):
    """The buttons this file knows how to check; a new kind of button needs a check of its own here."""
    assert found.buttons is not None, f"{found.where()}: its small build raises (see test_every_explorer_builds_small)"
    assert RESET in found.buttons, f"{found.where()}: no reset button"
    unknown = set(found.buttons) - {RESET, TRAIN}
    assert not unknown, f"{found.where()}: buttons {sorted(unknown)} are not checked; add a wiring test for them"


@pytest.mark.parametrize("found", EXPLORERS)
def test_needs_name_controls_of_the_explorer(found: Found):
    """Each ``needs`` entry is a control of the explorer, in settings of its other value controls."""
    assert found.controls is not None, f"{found.where()}: its small build raises (see test_every_explorer_builds_small)"
    for control in found.entry.needs:
        assert control in found.controls, (
            f"{found.where()}: needs names {control!r}, which is not one of its controls {list(found.controls)}")
        for setting in found.entry.settings_for(control):
            assert setting, f"{found.where()}: needs gives {control!r} an empty setting"
            for other in setting:
                assert other in found.controls and other != control, (
                    f"{found.where()}: needs[{control!r}] sets {other!r}, which is not another value control "
                    f"of the explorer ({list(found.controls)})")


# --- moving the controls --------------------------------------------------------------------------


def _build(found: Found) -> Explorer:
    explorer = found.entry.small()
    assert isinstance(explorer, Explorer), f"{found.where()}: small() returned {type(explorer).__name__}"
    return explorer


def _apply(explorer: Explorer, setting: Mapping[str, Any], found: Found) -> None:
    """Set the other controls as ``setting`` says, and check that they took the values."""
    for name, value in setting.items():
        control = explorer.controls[name]
        control.value = value
        assert control.value == value, (
            f"{found.where()}: the needs setting {name} = {value!r} is not a value of that control (it shows {control.value!r})")


def _options(control: Any) -> list[Any]:
    return [option[1] if isinstance(option, tuple) else option for option in control.options]


def _candidates(control: Any) -> list[Any]:
    """The values to try, farthest from the current one first: both ends and the middle of a slider,
    every other option of a menu, the other state of a checkbox or toggle."""
    current = control.value
    if isinstance(current, bool):
        return [not current]
    if isinstance(control, widgets.SelectionSlider):
        options = _options(control)
        here = options.index(current)
        spots = sorted({0, len(options) - 1, (len(options) - 1) // 2}, key=lambda k: -abs(k - here))
        return [options[k] for k in spots if k != here]
    if hasattr(control, "options"):  # Dropdown, ToggleButtons, RadioButtons, Select
        return [value for value in _options(control) if value != current]
    if isinstance(control, widgets.FloatLogSlider):  # ends and middle in exponents, as the slider moves
        here = math.log(current, control.base)
        exponents = sorted({control.min, control.max, (control.min + control.max) / 2}, key=lambda e: -abs(e - here))
        return [control.base ** e for e in exponents if not math.isclose(control.base ** e, current)]
    if hasattr(control, "min") and hasattr(control, "max"):
        middle = (control.min + control.max) // 2 if isinstance(current, int) else (control.min + control.max) / 2
        return [v for v in sorted({control.min, control.max, middle}, key=lambda v: -abs(v - current)) if v != current]
    raise AssertionError(f"no rule to move a {type(control).__name__}; teach _candidates about it")


def _after_a_run(explorer: Explorer) -> Fingerprint:
    """The picture once **train** has run with the explorer's current settings."""
    explorer.controls[TRAIN].click()
    return fingerprint(explorer.figure)


def _mover(case: Case, explorer: Explorer) -> tuple[Fingerprint, Callable[[Any], Fingerprint]]:
    """The starting picture, and a function giving the picture with the control moved to a value.

    An ordinary explorer redraws when its control moves: the same explorer is moved and looked at.
    An explorer with **train** draws only the run a click trains, and numbers its runs: each value
    gets a fresh build, in the same setting, and one click.
    """
    if TRAIN not in explorer.controls:
        control = explorer.controls[case.control]

        def moved(value: Any) -> Fingerprint:
            control.value = value
            return fingerprint(explorer.figure)

        return fingerprint(explorer.figure), moved

    start = _after_a_run(explorer)

    def moved_and_run(value: Any) -> Fingerprint:
        fresh = _build(case.found)
        _apply(fresh, case.setting, case.found)
        fresh.controls[case.control].value = value
        return _after_a_run(fresh)

    again = moved_and_run(explorer.controls[case.control].value)
    assert again == start, (
        f"{case.found.where()}: two runs with the same settings draw different pictures ({differences(start, again)}); "
        "a run must be reproducible for this comparison to mean anything")
    return start, moved_and_run


@pytest.mark.parametrize("case", CASES)
def test_moving_a_control_changes_the_plotted_data(case: Case):
    """Moving the control (in its ``needs`` setting) changes the drawn numbers for at least one value tried.

    Words alone do not count: a title that quotes the slider's value changes even when the
    computation ignores the slider (lesson 09's title lists every setting of the run).
    """
    found = case.found
    explorer = _build(found)
    _apply(explorer, case.setting, found)
    control = explorer.controls[case.control]
    start_value = control.value
    start, moved = _mover(case, explorer)
    tried, words = [], []
    for value in _candidates(control):
        tried.append(value)
        now = moved(value)
        if drawn(now) != drawn(start):
            return
        words += [key for key in differences(start, now) if key not in words]
    setting = f" with {', '.join(f'{k} = {v!r}' for k, v in case.setting.items())}" if case.setting else ""
    only_words = f" (only its words changed: {words})" if words else ""
    pytest.fail(
        f"{found.where()}: moving control {case.control!r} ({getattr(control, 'description', '')!r}) from "
        f"{start_value!r} to {', '.join(map(repr, tried)) or 'nothing (it has no other value)'}{setting} "
        f"left the plotted data unchanged{only_words}. Either wire it into the redraw, or declare in the "
        f"lesson's LESSON record the settings under which it acts: ExplorerEntry(needs={{{case.control!r}: {{...}}}}).")


@pytest.mark.parametrize("found", TRAINERS)
def test_train_draws_a_run(found: Found):
    """One click of **train** (small build: a tiny model on a few hundred images) changes the picture."""
    explorer = _build(found)
    before = fingerprint(explorer.figure)
    after = _after_a_run(explorer)
    assert drawn(after) != drawn(before), f"{found.where()}: a click of train left the plotted data unchanged"


@pytest.mark.parametrize("found", EXPLORERS)
def test_reset_brings_the_picture_back(found: Found):
    """After every control has moved, **reset** restores the starting picture exactly.

    An explorer with **train** does not redraw when its sliders move (nor forget its runs on reset),
    so there the picture must simply stay the starting one.
    """
    explorer = _build(found)
    start = fingerprint(explorer.figure)
    for name, control in _value_controls(explorer).items():
        control.value = _candidates(control)[0]
    moved = fingerprint(explorer.figure)
    if TRAIN not in explorer.controls:
        assert moved != start, f"{found.where()}: moving every control left the plotted data unchanged"
    explorer.controls[RESET].click()
    back = fingerprint(explorer.figure)
    assert back == start, f"{found.where()}: reset did not restore the starting picture; differs in {differences(start, back)}"

