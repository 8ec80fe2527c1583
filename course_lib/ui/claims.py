"""Claims: a number the prose quotes from a run, asserted where the run computes it.

A lesson's text says "the loss falls to 0.012 in 40 steps"; the cell that computed it is followed
by a collapsed cell tagged ``claim``::

    claim("the loss falls to about 0.012 in 40 steps", history[40], near=0.012, rtol=0.05)

If a change to the library or the lesson makes the run and the text disagree, the notebook's test
(nbval) fails there, naming the sentence. A learner never sees it fail unless the course is wrong,
so its message says so.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["ClaimFailed", "claim"]


class ClaimFailed(AssertionError):
    """The run does not give what the lesson's text says: the course's mistake, not the learner's."""


def claim(
    statement: str, value: Any, *, near: float | None = None, rtol: float = 0.05, atol: float = 0.0,
    within: tuple[float, float] | None = None, equals: Any = None,
) -> None:
    """Assert that ``value`` is what the text's ``statement`` says: ``near`` (± rtol, atol), ``within`` [lo, hi] or ``equals``."""
    given = [near is not None, within is not None, equals is not None]
    if sum(given) != 1:
        raise TypeError(f"claim({statement!r}) needs exactly one of near=, within= or equals=; it got {sum(given)}.")
    if equals is not None:
        holds, wanted = _equal(value, equals), f"{equals!r}"
    else:
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            try:
                value = float(value)  # a NumPy scalar, a 0-d array or a one-element tensor
            except (TypeError, ValueError):
                raise ClaimFailed(_message(statement, value, "a number")) from None
        if near is not None:
            holds, wanted = math.isclose(value, near, rel_tol=rtol, abs_tol=atol), f"{near!r} (± {rtol:.0%})"
        else:
            lo, hi = within
            holds, wanted = lo <= value <= hi, f"between {lo!r} and {hi!r}"
    if not holds:
        raise ClaimFailed(_message(statement, value, wanted))


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # arrays: compare by value
        import numpy as np

        return bool(np.array_equal(np.asarray(a), np.asarray(b)))


def _message(statement: str, value: Any, wanted: str) -> str:
    return (
        f"The lesson says {statement}, but this run gives {value!r} (the text needs {wanted}). The text and "
        "the run disagree: that is the course's mistake, not yours. Please report it, with this message."
    )
