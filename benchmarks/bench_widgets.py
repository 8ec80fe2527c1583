"""Widget responsiveness: from a control's change to the redrawn figure's PNG, for each explorer.

Each explorer is built as its lesson builds it (the notebook's data and settings), inside an IPython
shell that keeps what is displayed, so that ``show_figure`` does all it does in a notebook: draw the
figure, encode the PNG the browser receives, display it into the explorer's Output. One change is
``control.value = v``: the observers fire synchronously, as in a kernel, and the time runs until
the new PNG has been displayed (checked after every change). The values alternate, so that every
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
from dataclasses import dataclass
from typing import Any

import numpy as np

CHANGES = 20
GOAL_MS = 100.0
TRAIN_GOAL_S = 5.0
TRAIN_CLICKS = 3


@dataclass(frozen=True)
class Case:
    """An explorer as its lesson builds it, the control to change and the values to alternate."""

    lesson: str
    explorer: str
    build: Callable[[], Any]
    control: str
    values: Sequence[Any]


@contextlib.contextmanager
def notebook_display() -> Iterator[Any]:
    """An IPython shell whose displays are kept (not printed): show_figure works as in a notebook.

    Yields the display publisher; its ``outputs`` hold what the last ``clear_output`` left.
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


def _timed(action: Callable[[], Any], shown: Any) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one action, which must display a new PNG."""
    before = shown.outputs[-1] if shown.outputs else None
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    seconds = time.perf_counter() - wall, time.process_time() - cpu
    if not shown.outputs or shown.outputs[-1] is before or "image/png" not in shown.outputs[-1]["data"]:
        raise RuntimeError("the change displayed no new PNG: the explorer did not redraw")
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


def _mnist_test() -> tuple[np.ndarray, np.ndarray]:
    from course_lib.data import load_mnist

    return load_mnist("test")


def _digit_browser() -> Any:
    from course_lib.widgets.digits import digit_browser

    return digit_browser(*_mnist_test())


def _lr_explorer() -> Any:
    from course_lib.data import make_linear_regression
    from course_lib.widgets.gradient_descent import lr_explorer

    X, y = make_linear_regression(seed=0)
    return lr_explorer(X, y, start=(0.0, 5.0))


def _loss_explorer() -> Any:
    from course_lib.widgets.loss_functions import loss_explorer

    return loss_explorer()


def _loss_explorer_classification() -> Any:
    explorer = _loss_explorer()
    explorer.controls["view"].value = "classification"
    return explorer


def _neuron_explorer() -> Any:
    from course_lib.widgets.backprop import neuron_explorer

    return neuron_explorer()


def _gradcheck_explorer() -> Any:
    from course_lib.widgets.backprop import gradcheck_explorer

    return gradcheck_explorer()


def _init_explorer() -> Any:
    from course_lib.widgets.activations import init_explorer

    return init_explorer()


def _optimizer_explorer() -> Any:
    from course_lib.widgets.optimizers import optimizer_explorer

    return optimizer_explorer("Adam", "rosenbrock", lr=0.05, steps=150)


def _polynomial_explorer() -> Any:
    from course_lib.widgets.regularization import polynomial_explorer

    return polynomial_explorer()


def _mistake_browser() -> Any:
    """Lesson 07 passes its trained network's test probabilities; random ones of the same shape
    (about 90 % mistakes, many more than the lesson's 2 %) cost the browser the same per redraw."""
    from course_lib.widgets.mnist import mistake_browser

    X, y = _mnist_test()
    logits = np.random.default_rng(0).normal(size=(len(X), 10))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return mistake_browser(X, y, probs)


def _shift_explorer() -> Any:
    """Lesson 08's MLP and CNN, untrained: the same layers cost the same time as trained ones."""
    import torch

    from course_lib.data import load_mnist
    from course_lib.mnist_torch import build_cnn
    from course_lib.torch_nn import MLP
    from course_lib.widgets.mnist_torch import shift_explorer

    torch.manual_seed(0)
    X, y = load_mnist("test", normalize="standard")
    models = {"MLP": MLP([784, 256, 128, 10]), "CNN": build_cnn()}
    return shift_explorer(models, X[:500], y[:500], start=0)


CASES = [
    Case("00", "digit_browser", _digit_browser, "index", (1, 2)),
    Case("01", "lr_explorer", _lr_explorer, "lr", (0.5, 0.79)),
    Case("02", "loss_explorer (regression)", _loss_explorer, "prediction", (1.0, -1.0)),
    Case("02", "loss_explorer (classification)", _loss_explorer_classification, "logit", (-10.0, 2.0)),
    Case("03", "neuron_explorer", _neuron_explorer, "w", (1.0, 2.0)),
    Case("03", "gradcheck_explorer", _gradcheck_explorer, "h", (1e-3, 1e-8)),
    Case("04", "init_explorer", _init_explorer, "depth", (20, 30)),
    Case("05", "optimizer_explorer", _optimizer_explorer, "lr", (0.01, 0.1)),
    Case("06", "polynomial_explorer", _polynomial_explorer, "degree", (3, 15)),
    Case("07", "mistake_browser", _mistake_browser, "rank", (2, 3)),
    Case("08", "shift_explorer", _shift_explorer, "dx", (2, -2)),
]


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


def _training_row(shown: Any) -> dict[str, str]:
    case = ("09", "training_explorer", "train (click), default settings")
    try:
        from course_lib.widgets.hyperparameters import training_explorer
    except ImportError:
        return {**_row(case, [(float("nan"), float("nan"))], TRAIN_GOAL_S, ""), "median": "–", "p90": "–",
                "CPU (median)": "–", "met?": "missing", "timed": "course_lib.widgets.hyperparameters does not exist"}
    button = training_explorer().controls["train"]
    seconds = [_timed(button.click, shown) for _ in range(TRAIN_CLICKS)]
    return _row(case, seconds, TRAIN_GOAL_S, f"{TRAIN_CLICKS} clicks")


def _describe(values: Sequence[Any]) -> str:
    return " ↔ ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)


def run() -> list[dict[str, str]]:
    rows = []
    with notebook_display() as shown:
        for case in CASES:
            control = case.build().controls[case.control]
            seconds = time_changes(control, case.values, shown)
            change = f"{case.control}: {_describe(case.values)}"
            rows.append(_row((case.lesson, case.explorer, change), seconds, GOAL_MS / 1000, f"{CHANGES} changes"))
        rows.append(_training_row(shown))
    return rows


if __name__ == "__main__":
    for row in run():
        print(" | ".join(row.values()))
