"""Shared fixtures and the rules for the `cuda` marker.

Agg is selected here, inside the pytest process, never through MPLBACKEND in the environment:
notebook kernels started by nbval inherit the environment, and inline plots would vanish.
"""

from __future__ import annotations

import functools
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if any("cuda" in item.keywords for item in items) and not _cuda_available():
        skip = pytest.mark.skip(reason="needs an NVIDIA GPU (torch.cuda.is_available() is False)")
        for item in items:
            if "cuda" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(autouse=True)
def _fresh_hints():
    """Each test starts with no failures counted, so a check's first failure shows the first hint level."""
    from course_lib.ui.checks import reset_hints

    reset_hints()
    yield
    reset_hints()


@functools.cache
def solutions() -> dict[str, str]:
    """The notebooks' solution cell of each self-check, by the check's name."""
    from course_lib.tools.editions import load_lessons

    return {
        ex.check: lesson.nb.cells[ex.solution_cell].source for lesson in load_lessons() for ex in lesson.exercises
    }


def assert_gives_nothing_away(message: str, check_name: str) -> None:
    """A first-level hint (or a stub's message) holds no line of the notebook's solution of ``check_name``."""
    from course_lib.tools.editions import leaked_lines

    solution = solutions().get(check_name)
    assert solution is not None, f"no notebook exercise is graded by {check_name}"
    leaked = leaked_lines(message, solution)
    assert not leaked, f"the first hint of {check_name} gives away {leaked}:\n{message}"


@pytest.fixture
def gives_nothing_away():
    """:func:`assert_gives_nothing_away`, for a test to call on a message."""
    return assert_gives_nothing_away


@pytest.fixture
def assert_teaches(capsys):
    """``assert_teaches(check, right, wrong, words)``: the right answer passes the self-check, and the
    wrong one fails it with a CheckFailed that gives a Hint containing ``words`` (and, unless
    ``expected=False``, says what was expected); ``regex=True`` reads ``words`` as a pattern."""
    from course_lib.ui.checks import CheckFailed

    def run(check, right, wrong, words: str = "", *, expected: bool = True, regex: bool = False) -> None:
        check(right)
        assert "passed all" in capsys.readouterr().out, f"{check.__name__} did not pass the right answer"
        with pytest.raises(CheckFailed) as err:
            check(wrong)
        message = str(err.value)
        assert "Hint:" in message and (re.search(words, message) if regex else words in message), message
        assert not expected or "expected" in message, message
        assert_gives_nothing_away(message, check.__name__)  # the first failure names the idea, not the code

    return run


@pytest.fixture
def notebook():
    """An IPython shell, as in a notebook: ``show_figure`` draws its PNG, and what is displayed is kept (yielded)."""
    import contextlib
    import io
    import tempfile

    from IPython.core.displaypub import CapturingDisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    with tempfile.TemporaryDirectory() as ipython_dir, contextlib.redirect_stdout(io.StringIO()):
        shell = InteractiveShell.instance(config=config, ipython_dir=ipython_dir)
        shell.display_pub = CapturingDisplayPublisher()
        yield shell.display_pub
        InteractiveShell.clear_instance()
