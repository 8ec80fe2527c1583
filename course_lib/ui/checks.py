"""The machinery of the self-checks; each lesson's checks are built from these four pieces.

A check calls the learner's function on a few cases whose right answers the course's own tested
code computes, and compares. A wrong answer raises :class:`CheckFailed` (an AssertionError) whose
message says which input, what came back, what was expected, and a hint that teaches. An exercise
not yet attempted (its body still raises NotImplementedError) fails the same way, with the hint.

A check is written as: compute the right answer with the course's tested code, call the learner's
function with :func:`run_learner`, compare (:func:`close`), :func:`fail` with a hint on a mismatch
(:func:`diagnose` picks the hint of a typical mistake the answer matches), and finish with
:func:`passed`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["CheckFailed", "close", "describe", "diagnose", "fail", "passed", "run_learner"]


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


def close(got: Any, expected: Any, *, rtol: float = 1e-7, atol: float = 1e-10) -> bool:
    """True when ``got`` is numbers of ``expected``'s shape with the same values (within rounding).

    Every check compares with this one function. Anything that is not numbers is simply not close:
    None, a ragged list, a string (even "1.5", which NumPy would parse), a complex number, and a
    bool where numbers are expected.
    """
    try:
        raw = np.asarray(got)
    except (TypeError, ValueError):
        return False
    b = np.asarray(expected)
    if not (raw.dtype.kind in "iuf" or (raw.dtype.kind == "b" and b.dtype.kind == "b")):
        return False
    a, b = raw.astype(np.float64), b.astype(np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def diagnose(got: Any, mistakes: Sequence[tuple[Any, str]], default: str, *, rtol: float = 1e-7, atol: float = 1e-10) -> str:
    """The hint of the first typical mistake whose answer ``got`` matches (:func:`close`), else ``default``."""
    for wrong, hint in mistakes:
        if close(got, wrong, rtol=rtol, atol=atol):
            return hint
    return default
