"""Which widgets the course has, and which notebook cells show them: read from the sources, no browser.

The browser tests are parametrized from here, so a new lesson with a widget is picked up as soon
as one of its code cells calls a widget its LESSON record declares (or any ``*_explorer(...)`` /
``*_browser(...)``).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = REPO / "notebooks"
# Two groups, one per test module, so that `pytest -n 2 --dist loadfile` gives each worker one.
GROUPS = 2
WIDGET_NAME = re.compile(r"\w+_(explorer|browser)")


@dataclass(frozen=True)
class WidgetCell:
    """A code cell that shows widgets: its position among all cells and the widgets it calls."""

    index: int
    names: tuple[str, ...]
    interactive: bool  # False for display-only widgets such as LiveCurves: nothing to move


def widget_catalogue() -> dict[str, bool]:
    """Every widget the lessons declare: name -> True if it has controls.

    Read from the LESSON records (``course_lib.lessons.all_lessons``): each lesson's explorers are
    interactive; its ``widgets`` (display-only, such as ``LiveCurves``) have nothing to move.
    """
    from course_lib.lessons import all_lessons

    found: dict[str, bool] = {}
    for lesson in all_lessons():
        found.update({entry.name: True for entry in lesson.explorers})
        found.update({widget.__name__: False for widget in lesson.widgets})
    return found


def _called_names(source: str) -> set[str]:
    """The plain names called in one cell (``f(...)`` or ``module.f(...)``); magics are translated first."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                names.add(func.id)
            elif isinstance(func, ast.Attribute):
                names.add(func.attr)
    return names


def widget_cells(notebook: Path, catalogue: dict[str, bool] | None = None) -> list[WidgetCell]:
    """The code cells of ``notebook`` that call a widget, in order."""
    catalogue = widget_catalogue() if catalogue is None else catalogue
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    found = []
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        called = _called_names("".join(cell["source"]))
        names = sorted(n for n in called if n in catalogue or WIDGET_NAME.fullmatch(n))
        if names:
            found.append(WidgetCell(index, tuple(names), any(catalogue.get(n, True) for n in names)))
    return found


def widget_notebooks() -> list[Path]:
    """The lessons that show at least one widget, in lesson order."""
    catalogue = widget_catalogue()
    return [nb for nb in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")) if widget_cells(nb, catalogue)]


def notebooks_in_group(group: int) -> list[Path]:
    """Every other widget notebook, so the two slow MNIST lessons land in different groups."""
    return widget_notebooks()[group::GROUPS]
