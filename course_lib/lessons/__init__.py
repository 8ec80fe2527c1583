"""The lessons: one folder each, named after its notebook (``l05_optimizers`` for ``05_optimizers.ipynb``).

A lesson's folder holds what only that lesson uses: its own computations (``surfaces.py``,
``descent.py``, ...), its figures (``plots.py``), its interactive explorers (``explorers.py``) and
the self-checks of its exercises (``checks.py``). Its ``__init__`` declares one :class:`Lesson`
record, ``LESSON``, that names them. Lessons import the reference (``numpy_nn``, ``torch_nn``),
``ui`` and the shared infrastructure (``data``, ``device``, ``history``, ``metrics``, ``recipes``,
``augmentation``), never another lesson: what two lessons share moves down into those.

Nothing keeps a table of lessons by hand. :func:`all_lessons` finds every folder here, and the
tests, the widget benchmark, the browser tests and the editions (``course-lib build-student``)
read the records it returns.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ExplorerEntry", "Lesson", "Timing", "all_lessons"]


@dataclass(frozen=True)
class Timing:
    """One change the widget benchmark times: set ``preset`` first, then alternate ``control`` over ``values``.

    A button control (``values=()``) is timed by clicks instead.
    """

    label: str
    control: str
    values: tuple[Any, ...] = ()
    preset: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExplorerEntry:
    """An explorer of a lesson, and how to build it for the tests and the benchmark.

    Attributes:
        function: the public function that builds the explorer (what the notebook calls).
        small: builds it from small inputs in well under a second: what the widget tests build.
        full: builds it as the lesson does, with the lesson's data: what the benchmark times
            (None: ``small``).
        timings: the changes the benchmark times.
        needs: for a control that only acts in some settings, those settings: ``{"beta1":
            {"optimizer": "Adam"}}`` says β₁ changes the picture once the optimizer is Adam. A
            control read in several ways lists one setting for each, all of them checked:
            ``{"beta2": ({"optimizer": "Adam"}, {"optimizer": "RMSprop"})}`` (Adam's β₂, RMSprop's
            α). The wiring test (tests/ui/test_widget_wiring.py) moves every control, in these
            settings where given, and fails if the picture's data stays the same.
    """

    function: Callable[..., Any]
    small: Callable[[], Any]
    full: Callable[[], Any] | None = None
    timings: tuple[Timing, ...] = ()
    needs: Mapping[str, Mapping[str, Any] | Sequence[Mapping[str, Any]]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.function.__name__

    def settings_for(self, control: str) -> tuple[Mapping[str, Any], ...]:
        """The settings of the other controls in which ``control`` acts: ``({},)`` if it acts as built."""
        need = self.needs.get(control, {})
        return (need,) if isinstance(need, Mapping) else tuple(need)


@dataclass(frozen=True)
class Lesson:
    """What a lesson consists of: its notebook, its explorers and the self-checks of its exercises.

    Attributes:
        notebook: the notebook's file name under ``notebooks/``, e.g. ``"05_optimizers.ipynb"``.
        explorers: its interactive explorers.
        widgets: widgets without controls that display themselves (a live training plot).
        checks: the self-check of each exercise, in the notebook's order.
        predictions: the predictions the learner makes before a cell reveals the answer
            (:class:`course_lib.ui.predictions.Prediction`), in the notebook's order.
    """

    notebook: str
    explorers: tuple[ExplorerEntry, ...] = ()
    widgets: tuple[type, ...] = ()
    checks: tuple[Callable[..., Any], ...] = ()
    predictions: tuple[Any, ...] = ()

    @property
    def number(self) -> int:
        return int(self.notebook[:2])

    @property
    def stem(self) -> str:
        return self.notebook.removesuffix(".ipynb")


def all_lessons() -> list[Lesson]:
    """Every lesson's record, in course order, found by importing each folder of this package."""
    lessons = []
    for info in pkgutil.iter_modules(__path__):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        lesson = getattr(module, "LESSON", None)
        if not isinstance(lesson, Lesson):
            raise TypeError(f"{module.__name__} declares no LESSON = Lesson(...); every lesson folder must.")
        if info.name != f"l{lesson.stem}":
            raise ValueError(f"{module.__name__}: the folder must be named after its notebook, l{lesson.stem}.")
        lessons.append(lesson)
    return sorted(lessons, key=lambda lesson: lesson.number)
