"""The self-check harness: every lesson's ``check_*`` goes through it.

A check calls the learner's function on a few cases whose right answers the course's own tested
code computes, and compares. A wrong answer raises :class:`CheckFailed` (an AssertionError) whose
message says which input, what came back, what was expected, and a hint that teaches.

Every check has the same shape::

    def check_count_digit(count_digit):
        hint = "..."
        with Harness(count_digit, hint) as harness:
            for labels, digit in cases:
                expected = int(np.count_nonzero(labels == digit))
                answer = harness.call(labels, digit)   # the learner's function gets deep copies
                got = answer.count(expected)            # "3", 3.0, None or [3] is refused here
                if got != expected:
                    answer.fail(expected)               # which input, what came, what was expected, the hint
            harness.passed(len(cases))

What the harness promises the learner:

- Their function gets deep copies of the arguments: changing an array in place is fine, and it
  cannot change what the answer is graded against.
- What comes back is checked for its type and shape before any value is compared:
  :meth:`Answer.number`, :meth:`Answer.count`, :meth:`Answer.numbers`, :meth:`Answer.array` and
  :meth:`Answer.parts` (a tuple of values) refuse a string, a complex number, None, a bool, a
  dict, a ragged list or the wrong shape with a message saying what came and what was expected.
- An exception in their code is reported with the input and the hint; a body that still raises
  NotImplementedError is "not written yet".
- If the check's own code cannot make sense of an answer, that is a failed check with the hint,
  never a traceback from course_lib. Ctrl-C (KeyboardInterrupt) and SystemExit still stop a check.

Values are compared with :func:`close`, and :func:`diagnose` picks the hint of a typical mistake
that an answer matches.
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import numpy as np

__all__ = [
    "Answer", "CheckFailed", "Harness", "close", "describe", "diagnose", "fail", "passed", "run_learner",
]

_LONGEST_REPR = 200  # a huge list the learner returned is shown by its start, not in full


class CheckFailed(AssertionError):
    """A self-check found a wrong answer; the message explains what and gives a hint."""


def describe(value: Any) -> str:
    """A short description of a value for a message: small values in full, big arrays by shape and dtype."""
    if isinstance(value, np.ndarray):
        return f"array(shape={value.shape}, dtype={value.dtype})" if value.size > 8 else " ".join(repr(value).split())
    if isinstance(value, (tuple, list)) and 0 < len(value) <= 8 and any(hasattr(v, "shape") for v in value):
        inner = ", ".join(map(describe, value))
        return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    try:
        if hasattr(value, "shape") and hasattr(value, "dtype") and int(np.prod(value.shape)) > 8:  # a torch tensor
            return f"{type(value).__name__.lower()}(shape={tuple(value.shape)}, dtype={value.dtype})"
        text = repr(value)
    except Exception:  # whatever the learner returned, describing it must not fail
        return f"a {type(value).__name__}"
    longest = _LONGEST_REPR
    if "\n" in text:  # a model, an optimizer or a dict of arrays: its start, on one line
        text, longest = " ".join(text.split()), _LONGEST_REPR // 3
    return text if len(text) <= longest else text[:longest] + " …"


def _call_text(fn: Callable, args: tuple) -> str:
    return f"{getattr(fn, '__name__', 'your function')}({', '.join(map(describe, args))})"


def run_learner(
    fn: Callable, args: tuple, hint: str, *, shared: Sequence[int] = (), explain: Callable[[Exception], str] | None = None,
) -> Any:
    """Call the learner's function on deep copies of ``args``; its exceptions become a failed check.

    ``shared`` lists the positions of arguments handed over as they are, because changing them is
    the exercise (a model and its optimizer that a training step must update). ``explain`` may name
    the likely mistake behind an exception the learner's code raised (a sentence put before the hint).
    """
    given = tuple(a if i in shared else copy.deepcopy(a) for i, a in enumerate(args))
    try:
        return fn(*given)
    except NotImplementedError:
        name = getattr(fn, "__name__", "your function")
        raise CheckFailed(f"{name} is not written yet: replace `raise NotImplementedError` with your code.\nHint: {hint}") from None
    except Exception as err:  # the learner's bug, reported as a lesson rather than a traceback
        why = _explained(explain, err)
        raise CheckFailed(f"{_call_text(fn, args)} raised {type(err).__name__}: {err}\nHint: {_sentence(why, hint)}") from None


def _explained(explain: Callable[[Exception], str] | None, err: Exception) -> str:
    try:
        return explain(err) if explain is not None else ""
    except Exception:  # a check's explanation must never hide the learner's own error
        return ""


def fail(fn: Callable, args: tuple, got: Any, expected: Any, hint: str) -> NoReturn:
    """Raise a CheckFailed saying that ``fn(*args)`` returned ``got`` where ``expected`` was right."""
    raise CheckFailed(f"{_call_text(fn, args)} returned {describe(got)}; expected {describe(expected)}.\nHint: {hint}")


def passed(fn: Callable, n_cases: int) -> None:
    print(f"✓ {getattr(fn, '__name__', 'your function')} passed all {n_cases} checks.")


def close(got: Any, expected: Any, *, rtol: float = 1e-7, atol: float = 1e-10) -> bool:
    """True when ``got`` is numbers of ``expected``'s shape with the same values (within rounding).

    Every check compares with this one function. Anything that is not numbers is simply not close:
    None, a ragged list, a string (even "1.5", which NumPy would parse), a complex number, and a
    bool where numbers are expected.
    """
    b = np.asarray(expected)
    a = _numbers(got, allow_bool=b.dtype.kind == "b")
    if a is None:
        return False
    a, b = a.astype(np.float64), b.astype(np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def diagnose(got: Any, mistakes: Sequence[tuple[Any, str]], default: str, *, rtol: float = 1e-7, atol: float = 1e-10) -> str:
    """The hint of the first typical mistake whose answer ``got`` matches (:func:`close`), else ``default``."""
    for wrong, hint in mistakes:
        if close(got, wrong, rtol=rtol, atol=atol):
            return hint
    return default


def _numbers(value: Any, *, allow_bool: bool = False) -> np.ndarray | None:
    """``value`` as an array of real numbers, or None when it is not one (a string, complex, ragged, ...)."""
    if value is None or isinstance(value, (str, bytes, dict)):
        return None
    try:
        array = np.asarray(value)
    except Exception:  # a ragged list, a tensor that needs grad: not an array of numbers
        return None
    return array if array.dtype.kind in ("iufb" if allow_bool else "iuf") else None


def _what_came(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"{describe(value)}, an array of shape {value.shape} and dtype {value.dtype}"
    return f"{describe(value)}, a {type(value).__name__}"


def _sentence(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


class Harness:
    """One self-check of the learner's function ``fn``: calls it safely, and turns every failure into a hint.

    Use it as ``with Harness(fn, hint) as harness:`` around the whole check. Inside, NumPy's
    overflow warnings are silenced (the check reports an inf or nan itself, with its reason), and an
    exception from the check's own code becomes a CheckFailed naming the last call and the hint.
    ``explain``, if given, names the likely mistake behind an exception the learner's code raises.
    """

    def __init__(self, fn: Callable, hint: str, *, explain: Callable[[Exception], str] | None = None) -> None:
        self.fn, self.hint, self.explain = fn, hint, explain
        self.last: Answer | None = None
        self._quiet = np.errstate(all="ignore")

    def __enter__(self) -> Harness:
        self._quiet.__enter__()
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, traceback: Any) -> None:
        self._quiet.__exit__(kind, error, traceback)
        if self.last is None or not isinstance(error, Exception) or isinstance(error, CheckFailed):
            return  # passed, failed with a hint, Ctrl-C, or the course's own setup failed before any call
        answer = self.last
        expected = "" if answer.expected is None else f"; expected {describe(answer.expected)}"
        raise CheckFailed(
            f"{_call_text(self.fn, answer.args)} returned {_what_came(answer.got)}, which the check could not "
            f"compare with the right answer ({type(error).__name__}: {error}){expected}.\nHint: {self.hint}"
        ) from None

    def call(self, *args: Any, shared: Sequence[int] = ()) -> Answer:
        """Call the learner's function on deep copies of ``args`` (except the positions in ``shared``)."""
        self.last = Answer(self, args, run_learner(self.fn, args, self.hint, shared=shared, explain=self.explain))
        return self.last

    def fail(self, args: tuple, got: Any, expected: Any, hint: str | None = None) -> NoReturn:
        """Fail, showing the call ``fn(*args)``, what it returned and what was expected (hint: the check's)."""
        fail(self.fn, args, got, expected, self.hint if hint is None else hint)

    def passed(self, n_cases: int) -> None:
        passed(self.fn, n_cases)


class Answer:
    """What one call of the learner's function returned (or one ``part`` of it, such as ``dx``).

    Its methods refuse a value of the wrong type or shape, or fail a wrong value, with a message
    that names the call, what came and what was expected. ``lead`` is a sentence put before the
    hint, saying what to return.
    """

    def __init__(self, harness: Harness, args: tuple, got: Any, part: str = "", whole: Any = None) -> None:
        self.harness, self.args, self.got, self.part, self.whole = harness, args, got, part, whole
        self.expected: Any = None  # the right answer, once the check has said it (for messages)

    def fail(self, expected: Any, hint: str | None = None) -> NoReturn:
        """Fail this answer; ``hint`` defaults to the check's hint."""
        if self.part:
            raise CheckFailed(
                f"{_call_text(self.harness.fn, self.args)} returned {self.part} = {describe(self.got)}; "
                f"expected {self.part} = {describe(expected)}.\nHint: {self.harness.hint if hint is None else hint}"
            )
        self.harness.fail(self.args, self.got, expected, hint)

    def refuse(self, wanted: str, expected: Any, lead: str) -> NoReturn:
        """Fail an answer of the wrong kind: it is not ``wanted`` (e.g. "one real number")."""
        right = "" if expected is None else f", here {describe(expected)}"
        if self.part:
            came = f"{describe(self.whole)}, whose {self.part} is {_what_came(self.got)}; expected {self.part} to be"
        else:
            came = f"{_what_came(self.got)}; expected"
        raise CheckFailed(
            f"{_call_text(self.harness.fn, self.args)} returned {came} {wanted}{right}.\n"
            f"Hint: {_sentence(lead, self.harness.hint)}"
        )

    def number(self, expected: Any = None, *, lead: str = "Return one number.") -> float:
        """The answer as a float, if it is one real number (not a bool, string, complex or several numbers)."""
        self.expected = expected
        got = self.got
        if isinstance(got, numbers.Real) and not isinstance(got, (bool, np.bool_)):
            return float(got)
        array = _numbers(got)
        if array is None or array.size != 1:
            self.refuse("one real number", expected, lead)
        return float(array.reshape(()).item())

    def count(self, expected: Any = None, *, lead: str = "Return a whole number (a count), e.g. with int(...).") -> int:
        """The answer as an int, if it is a whole number of integer type (not 3.0, True or an array)."""
        self.expected = expected
        if not isinstance(self.got, numbers.Integral) or isinstance(self.got, (bool, np.bool_)):
            self.refuse("a whole number (an int)", expected, lead)
        return int(self.got)

    def numbers(self, expected: Any = None, *, lead: str = "Return a NumPy array of numbers.") -> np.ndarray:
        """The answer as a float64 array of any shape, if it is real numbers (bools only where ``expected`` is bools)."""
        self.expected = expected
        array = _numbers(self.got, allow_bool=expected is not None and np.asarray(expected).dtype.kind == "b")
        if array is None:
            shape = "" if expected is None else f" of shape {np.shape(expected)}"
            self.refuse(f"an array of real numbers{shape}", expected, lead)
        return array.astype(np.float64)

    def array(self, expected: Any, *, shape: tuple[int, ...] | None = None, lead: str = "") -> np.ndarray:
        """The answer as a float64 array of ``shape`` (default: ``expected``'s), if it is real numbers of that shape."""
        shape = np.shape(expected) if shape is None else tuple(shape)
        array = self.numbers(expected, lead=lead or "Return a NumPy array of numbers.")
        if array.shape != shape:
            self.refuse(f"an array of shape {shape}", expected, lead or f"Return an array of shape {shape}.")
        return array

    def parts(self, *names: str, expected: Any = None, lead: str = "") -> tuple[Answer, ...]:
        """The answer split into ``len(names)`` parts, if it is a tuple (or list) of that many values."""
        self.expected = expected
        got, n = self.got, len(names)
        if not (isinstance(got, (tuple, list)) or (isinstance(got, np.ndarray) and got.ndim)) or len(got) != n:
            listed = ", ".join(names)
            self.refuse(f"a tuple of {n} values ({listed})", expected, lead or f"Return {n} values: `return {listed}`.")
        return tuple(Answer(self.harness, self.args, value, part=name, whole=got) for name, value in zip(names, got))
