"""Widget responsiveness inside the kernel: from a control's change to the redrawn figure's PNG, for each explorer.

The explorers and the changes timed come from the LESSON records (each ExplorerEntry's ``full`` build,
as its lesson builds it, and its ``timings``). Each is built inside an IPython
shell, so that ``show_figure`` does all it does in a notebook: draw the figure, encode the PNG the
browser receives, set it as the value of the explorer's Image widget. One change is
``control.value = v``: the observers fire synchronously, as in a kernel, and the time runs until
the new PNG is the Image's value (checked after every change). What the learner waits for in the
browser, this and the way to the page, is measured by ``bench_browser.py``. The values alternate, so that every
change really redraws. Each figure is the median and the 90th percentile over 20 changes, after a
warm-up over the values; "CPU" is the process time of the same changes, a steadier figure than
wall time on a shared machine. The live-training explorer of lesson 09 is timed by clicks on its
**train** button with its default settings, the whole run up to its redrawn figure.
"""

from __future__ import annotations

import contextlib
import io
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

CHANGES = 20
GOAL_MS = 100.0
TRAIN_GOAL_S = 5.0
TRAIN_CLICKS = 3


@contextlib.contextmanager
def notebook_display() -> Iterator[Any]:
    """An IPython shell whose displays are kept (not printed), so that show_figure draws as in a notebook.

    ``show_figure`` sets the value of the explorer's Image widget (find it with :func:`view_of`);
    the display publisher, yielded, keeps anything displayed the ordinary way.
    """
    from IPython.core.displaypub import CapturingDisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    with tempfile.TemporaryDirectory() as ipython_dir, contextlib.redirect_stdout(io.StringIO()):
        shell = InteractiveShell.instance(config=config, ipython_dir=ipython_dir)
        shell.display_pub = CapturingDisplayPublisher()
        try:
            yield shell.display_pub
        finally:
            InteractiveShell.clear_instance()


def view_of(widget: Any) -> Any:
    """The Image widget an explorer draws into (``show_figure`` sets its ``value``)."""
    import ipywidgets as widgets

    if isinstance(widget, widgets.Image):
        return widget
    for child in getattr(widget, "children", ()):
        if (found := view_of(child)) is not None:
            return found
    return None


def _timed(action: Callable[[], Any], shown: Any) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one action, which must put a new PNG in ``shown`` (the Image)."""
    before = shown.value
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    seconds = time.perf_counter() - wall, time.process_time() - cpu
    if shown.value is before or shown.value[:4] != b"\x89PNG":
        raise RuntimeError("the change showed no new PNG: the explorer did not redraw")
    return seconds


def time_changes(control: Any, values: Sequence[Any], shown: Any, changes: int = CHANGES) -> list[tuple[float, float]]:
    """(wall, CPU) seconds from ``control.value = v`` to the displayed PNG, for alternating values."""

    def change(value: Any) -> Callable[[], None]:
        return lambda: setattr(control, "value", value)

    for value in values:  # warm-up: the first draws fill font, text and layout caches
        control.value = value
    seconds = []
    for i in range(changes):
        value = values[i % len(values)]
        if value == control.value:  # never time a change that changes nothing
            value = values[(i + 1) % len(values)]
        seconds.append(_timed(change(value), shown))
    return seconds


def _row(case: tuple[str, str, str], seconds: Sequence[tuple[float, float]], goal_s: float, timed: str) -> dict[str, str]:
    lesson, explorer, change = case
    wall = [1000 * w for w, _ in seconds]
    cpu = [1000 * c for _, c in seconds]
    median = statistics.median(wall)
    return {
        "lesson": lesson,
        "explorer": explorer,
        "control changed": change,
        "median": f"{median:.0f} ms",
        "p90": f"{np.percentile(wall, 90):.0f} ms",
        "CPU (median)": f"{statistics.median(cpu):.0f} ms",
        "goal": f"< {1000 * goal_s:.0f} ms" if goal_s < 1 else f"< {goal_s:g} s",
        "met?": "yes" if median < 1000 * goal_s else "**no**",
        "timed": timed,
    }


def _describe(values: Sequence[Any]) -> str:
    return " ↔ ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)


def run() -> list[dict[str, str]]:
    """One row per timing of every explorer the LESSON records declare, in course order."""
    import ipywidgets as widgets

    from course_lib.lessons import all_lessons

    rows = []
    with notebook_display():
        for lesson in all_lessons():
            for entry in lesson.explorers:
                for timing in entry.timings:
                    explorer = (entry.full or entry.small)()
                    shown = view_of(explorer.widget)
                    for name, value in timing.preset.items():
                        explorer.controls[name].value = value
                    control = explorer.controls[timing.control]
                    label = f"{entry.name} ({timing.label})" if len(entry.timings) > 1 else entry.name
                    if isinstance(control, widgets.Button):
                        seconds = [_timed(control.click, shown) for _ in range(TRAIN_CLICKS)]
                        case = (f"{lesson.number:02d}", label, timing.label)
                        rows.append(_row(case, seconds, TRAIN_GOAL_S, f"{TRAIN_CLICKS} clicks"))
                    else:
                        seconds = time_changes(control, timing.values, shown)
                        case = (f"{lesson.number:02d}", label, f"{timing.control}: {_describe(timing.values)}")
                        rows.append(_row(case, seconds, GOAL_MS / 1000, f"{CHANGES} changes"))
    return rows


if __name__ == "__main__":
    for row in run():
        print(" | ".join(row.values()))
