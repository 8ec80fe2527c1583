"""Shared fixtures and the rules for the `cuda` marker.

Agg is selected here, inside the pytest process, never through MPLBACKEND in the environment:
notebook kernels started by nbval inherit the environment, and inline plots would vanish.
"""

from __future__ import annotations

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

    return run
