"""The machinery of the self-checks; each lesson's checks are built from these four pieces.

A check calls the learner's function on a few cases whose right answers the course's own tested
code computes, and compares. A wrong answer raises :class:`CheckFailed` (an AssertionError) whose
message says which input, what came back, what was expected, and a hint that teaches. An exercise
not yet attempted (its body still raises NotImplementedError) fails the same way, with the hint.

A check is written as: compute the right answer with the course's tested code, call the learner's
function with :func:`run_learner`, compare, :func:`fail` with a hint on a mismatch, and finish
with :func:`passed`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["CheckFailed", "describe", "fail", "passed", "run_learner"]


class CheckFailed(AssertionError):
    """A self-check found a wrong answer; the message explains what and gives a hint."""


def describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array(shape={value.shape}, dtype={value.dtype})" if value.size > 8 else repr(value)
    return repr(value)


def run_learner(fn: Callable, args: tuple, hint: str) -> Any:
    """Run the learner's function; turn its exceptions into a failed check with the hint."""
    name = getattr(fn, "__name__", "your function")
    shown = ", ".join(map(describe, args))
    try:
        return fn(*args)
    except NotImplementedError:
        raise CheckFailed(f"{name} is not written yet: replace `raise NotImplementedError` with your code.\nHint: {hint}") from None
    except Exception as err:  # the learner's bug, reported as a lesson rather than a traceback
        raise CheckFailed(f"{name}({shown}) raised {type(err).__name__}: {err}\nHint: {hint}") from None


def fail(fn: Callable, args: tuple, got: Any, expected: Any, hint: str) -> None:
    name = getattr(fn, "__name__", "your function")
    shown = ", ".join(map(describe, args))
    raise CheckFailed(f"{name}({shown}) returned {describe(got)}; expected {describe(expected)}.\nHint: {hint}")


def passed(fn: Callable, n_cases: int) -> None:
    print(f"✓ {getattr(fn, '__name__', 'your function')} passed all {n_cases} checks.")
