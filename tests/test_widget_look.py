"""One look for every explorer in course_lib.widgets, checked on all of them at once.

The explorers are found by looking: every public function of a ``course_lib.widgets`` module whose
return annotation is :class:`~course_lib.widgets.core.Explorer` (or a subclass). Each needs an
entry in ``BUILD`` below, small inputs that build it quickly; a new explorer without one fails
``test_every_explorer_has_an_entry``. The look, from ``course_lib.widgets.core``: a **reset** that
restores every control with one redraw; learning rates and regularisation strengths on log sliders;
a description on every slider; sliders that redraw when let go; no exception and a titled figure
at every slider's extremes; and ``clear_axes`` redraws that look exactly like a fresh Axes'.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import io
import pkgutil
import re
import typing
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import numpy as np
import pytest
from matplotlib.collections import Collection
from matplotlib.lines import Line2D
from PIL import Image

import course_lib.widgets
from course_lib.widgets.core import Explorer, Redraw, render_png

SLIDERS = (widgets.FloatSlider, widgets.FloatLogSlider, widgets.IntSlider, widgets.SelectionSlider)
# A description naming a learning rate or a regularisation strength, as the lessons write them.
RATE_OR_STRENGTH = re.compile(r"learning rate|η|λ|weight decay|strength", re.IGNORECASE)


def _digits(n: int = 12) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.random((n, 784), dtype=np.float32), np.arange(n) % 10


def _probabilities(n: int = 12) -> np.ndarray:
    logits = np.random.default_rng(1).normal(size=(n, 10))
    return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


def _digit_browser() -> Explorer:
    from course_lib.widgets.digits import digit_browser

    return digit_browser(*_digits())


def _lr_explorer() -> Explorer:
    from course_lib.data import make_linear_regression
    from course_lib.widgets.gradient_descent import lr_explorer

    return lr_explorer(*make_linear_regression(30, seed=0), steps=20)


def _mistake_browser() -> Explorer:
    from course_lib.widgets.mnist import mistake_browser

    return mistake_browser(*_digits(), _probabilities())


def _shift_explorer() -> Explorer:
    import torch

    from course_lib.torch_nn import MLP
    from course_lib.widgets.mnist_torch import shift_explorer

    torch.manual_seed(0)
    return shift_explorer({"MLP": MLP([784, 10])}, *_digits(), max_shift=3)


def _training_explorer() -> Explorer:
    from course_lib.widgets.hyperparameters import training_explorer

    return training_explorer(n_train=200, n_val=100, epochs=1)


def _module_function(module: str, name: str, **kwargs: Any) -> Callable[[], Explorer]:
    return lambda: getattr(importlib.import_module(f"course_lib.widgets.{module}"), name)(**kwargs)


#: How to build every explorer small; the key is "module.function" inside course_lib.widgets.
BUILD: dict[str, Callable[[], Explorer]] = {
    "digits.digit_browser": _digit_browser,
    "gradient_descent.lr_explorer": _lr_explorer,
    "loss_functions.loss_explorer": _module_function("loss_functions", "loss_explorer"),
    "backprop.neuron_explorer": _module_function("backprop", "neuron_explorer"),
    "backprop.gradcheck_explorer": _module_function("backprop", "gradcheck_explorer"),
    "activations.init_explorer": _module_function("activations", "init_explorer", depth=4, width=16, n_samples=16),
    "optimizers.optimizer_explorer": _module_function("optimizers", "optimizer_explorer", steps=20),
    "regularization.polynomial_explorer": _module_function("regularization", "polynomial_explorer", n=10, max_n=20),
    "mnist.mistake_browser": _mistake_browser,
    "mnist_torch.shift_explorer": _shift_explorer,
    "hyperparameters.training_explorer": _training_explorer,
}


def _returns_an_explorer(function: Any) -> bool:
    try:
        returned = typing.get_type_hints(function).get("return")
    except Exception:  # an annotation that names something only imported for type checkers
        returned = inspect.signature(function).return_annotation
        return isinstance(returned, str) and returned.endswith("Explorer")
    return inspect.isclass(returned) and issubclass(returned, Explorer)


def discover_explorers() -> set[str]:
    """Every public function in course_lib.widgets' modules that returns an Explorer."""
    found = set()
    for info in pkgutil.iter_modules(course_lib.widgets.__path__):
        if info.name == "core":  # the toolkit explorers are built with, not an explorer
            continue
        module = importlib.import_module(f"course_lib.widgets.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("_") and function.__module__ == module.__name__ and _returns_an_explorer(function):
                found.add(f"{info.name}.{name}")
    return found


def _available(key: str) -> bool:
    return importlib.util.find_spec(f"course_lib.widgets.{key.split('.')[0]}") is not None


EXPLORERS = [
    pytest.param(key, marks=() if _available(key) else pytest.mark.skip(
        reason=f"course_lib.widgets.{key.split('.')[0]} does not exist yet"))
    for key in BUILD
]


def _sliders(explorer: Explorer) -> dict[str, Any]:
    return {name: c for name, c in explorer.controls.items() if isinstance(c, SLIDERS)}


def _extremes(control: Any) -> list[Any]:
    """The two ends of a slider (in values, not exponents, for a log slider)."""
    if isinstance(control, widgets.FloatLogSlider):
        return [control.base ** control.min, control.base ** control.max]
    if isinstance(control, widgets.SelectionSlider):
        return [control.options[0], control.options[-1]]
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


def test_every_explorer_has_an_entry():
    found = discover_explorers()
    assert found, "no explorer found in course_lib.widgets: the discovery itself is broken"
    missing = sorted(found - set(BUILD))
    assert not missing, f"explorers without an entry in BUILD (add small inputs for them): {missing}"
    gone = sorted(k for k in set(BUILD) - found if _available(k))
    assert not gone, f"BUILD has entries for explorers that no longer exist: {gone}"


@pytest.mark.parametrize("key", EXPLORERS)
def test_reset_restores_every_control_with_one_redraw(key):
    explorer = BUILD[key]()
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


@pytest.mark.parametrize("key", EXPLORERS)
def test_sliders_are_described_log_scaled_for_rates_and_wait_for_release(key):
    explorer = BUILD[key]()
    sliders = _sliders(explorer)
    for name, slider in sliders.items():
        assert slider.description.strip(), f"slider {name!r} has no description"
        assert slider.continuous_update is False, f"slider {name!r} redraws while dragged; use **core.SLIDER"
        assert slider.style.description_width == "initial", f"slider {name!r} may cut its label; use **core.SLIDER"
        if isinstance(slider, (widgets.FloatSlider, widgets.FloatLogSlider)) and RATE_OR_STRENGTH.search(slider.description):
            assert isinstance(slider, widgets.FloatLogSlider), (
                f"slider {name!r} ({slider.description!r}) is a rate or a strength: use core.log_slider")


@pytest.mark.parametrize("key", EXPLORERS)
def test_every_slider_at_its_extremes_and_every_choice_draws_a_titled_figure(key):
    explorer = BUILD[key]()
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
    """clear_axes done the slow way: Axes.clear (new tick objects), then the kept artists put back."""
    kept = list(keep)
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


@pytest.mark.parametrize("key", [k for k in BUILD if k != "hyperparameters.training_explorer"])
def test_redraws_look_exactly_like_fresh_axes(key, monkeypatch):
    """clear_axes keeps the tick objects from one redraw to the next; the pictures must not show it."""
    module = importlib.import_module(f"course_lib.widgets.{key.split('.')[0]}")
    reused = BUILD[key]()
    with monkeypatch.context() as patch:
        patch.setattr(module, "clear_axes", _fresh_axes)
        fresh = BUILD[key]()
    for name, slider in _sliders(reused).items():
        for value in _extremes(slider):
            slider.value = value
            with monkeypatch.context() as patch:
                patch.setattr(module, "clear_axes", _fresh_axes)
                fresh.controls[name].value = value
            for k, (a, b) in enumerate(zip(_axes_pixels(reused), _axes_pixels(fresh))):
                assert a.shape == b.shape and np.array_equal(a, b), (
                    f"axes {k} differs after {slider.description} = {value!r}: {(a != b).any(axis=-1).sum()} pixels")
