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

Hints teach in levels (:class:`Hints`). A check's first failure names what is wrong and the idea to
revisit; the second adds the formula; only the third (or ``hint(3)``, on request) shows code. A body
that still raises NotImplementedError hears what to write (``Hints.task``), and that does not count
as a failure. Passing resets the count.

Values are compared with :func:`close`, and :func:`diagnose` picks the hint of a typical mistake
that an answer matches.
"""

from __future__ import annotations

import copy
import numbers
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np

__all__ = [
    "Answer", "CheckFailed", "Harness", "Hints", "NotWrittenYet", "close", "describe", "diagnose", "fail", "hint",
    "passed", "reset_hints",
]

_LONGEST_REPR = 200  # a huge list the learner returned is shown by its start, not in full


class CheckFailed(AssertionError):
    """A self-check found a wrong answer; the message explains what and gives a hint."""


class NotWrittenYet(CheckFailed):
    """The learner's function still raises NotImplementedError: not a failure, a reminder of the task."""


@dataclass(frozen=True)
class Hints:
    """A check's help, from the idea to the code; each failure of the same check shows one level more.

    Attributes:
        task: what the function must do, in words (the student edition's stub says this): never how.
        idea: level 1, the idea of the lesson to revisit, with no code and no formula to copy.
        formula: level 2, the formula in the lesson's symbols.
        code: level 3, code-level help; shown after repeated failures, or by ``hint(3)``.
    """

    task: str
    idea: str
    formula: str = ""
    code: str = ""

    @property
    def levels(self) -> int:
        return 1 + bool(self.formula) + bool(self.code)

    def text(self, level: int, why: str = "") -> str:
        """The hint at ``level`` (1 to 3): ``why`` (the diagnosed mistake), the idea, then formula and code."""
        parts = [f"Hint: {_sentence(why, self.idea)}"]
        if level >= 2 and self.formula:
            parts.append(f"Formula: {self.formula}")
        if level >= 3 and self.code:
            parts.append(f"Code: {self.code}")
        if level < self.levels:
            parts.append("(Still stuck? Fix and run the check again, or run `hint()`, for more help.)")
        return "\n".join(parts)


_FAILURES: dict[str, int] = {}  # check name -> failures since it last passed
_LAST: list[tuple[str, Hints]] = []  # the check that failed last, for hint()


def _as_hints(hint: str | Hints) -> Hints:
    return hint if isinstance(hint, Hints) else Hints(task="", idea=hint)


def hint(level: int | None = None) -> None:
    """Show the hints of the check that failed last, up to ``level`` (default: one more than it showed)."""
    if not _LAST:
        print("No check has failed yet, so there is no hint to show. Run an exercise's check first.")
        return
    name, hints = _LAST[-1]
    shown = min(_FAILURES.get(name, 1), hints.levels)
    wanted = min(hints.levels, shown + 1 if level is None else max(1, int(level)))
    _FAILURES[name] = max(_FAILURES.get(name, 0), wanted)  # asked for: the next failure does not show less
    print(f"{name}, hint level {wanted} of {hints.levels}:\n{hints.text(wanted)}")


def reset_hints() -> None:
    """Forget every failure count (a fresh start: each check's next failure shows the first level)."""
    _FAILURES.clear()
    _LAST.clear()


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


def _explained(explain: Callable[[Exception], str] | None, err: Exception) -> str:
    try:
        return explain(err) if explain is not None else ""
    except Exception:  # a check's explanation must never hide the learner's own error
        return ""


def fail(fn: Callable, args: tuple, got: Any, expected: Any, hint: str) -> NoReturn:
    """Raise a CheckFailed saying that ``fn(*args)`` returned ``got`` where ``expected`` was right."""
    hint = hint if hint.startswith("Hint: ") else f"Hint: {hint}"
    raise CheckFailed(f"{_call_text(fn, args)} returned {describe(got)}; expected {describe(expected)}.\n{hint}")


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

    Use it as ``with Harness(fn, hints) as harness:`` around the whole check. ``hints`` is a
    :class:`Hints` (a plain string is one level). Inside, NumPy's overflow warnings are silenced (the
    check reports an inf or nan itself, with its reason), and an exception from the check's own code
    becomes a CheckFailed naming the last call and the hint. ``explain``, if given, names the likely
    mistake behind an exception the learner's code raises. The failures are counted per check
    (``name``, by default the function that opened the harness), which sets the hint's level.
    """

    def __init__(
        self, fn: Callable, hint: str | Hints, *, explain: Callable[[Exception], str] | None = None, name: str = "",
    ) -> None:
        self.fn, self.hints, self.explain = fn, _as_hints(hint), explain
        self.name = name or sys._getframe(1).f_code.co_name
        self.level = min(_FAILURES.get(self.name, 0) + 1, self.hints.levels)  # this run's level, if it fails
        self.last: Answer | None = None
        self._quiet = np.errstate(all="ignore")

    @property
    def hint(self) -> str:
        """The hint this run shows if it fails (its level set by the failures before)."""
        return self.hints.text(self.level)

    def text(self, why: str = "") -> str:
        """The hint at this run's level, after ``why``, the sentence naming the diagnosed mistake."""
        return self.hints.text(self.level, why)

    def __enter__(self) -> Harness:
        self._quiet.__enter__()
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, traceback: Any) -> None:
        self._quiet.__exit__(kind, error, traceback)
        if error is None:
            _FAILURES.pop(self.name, None)  # passed: the next mistake starts at the first level again
            return
        if not isinstance(error, Exception):
            return  # Ctrl-C or SystemExit: not the learner's failure
        if isinstance(error, CheckFailed):
            self._count(error)
            return
        if self.last is None:
            return  # the course's own setup failed before any call: not the learner's failure
        answer = self.last
        expected = "" if answer.expected is None else f"; expected {describe(answer.expected)}"
        failed = CheckFailed(
            f"{_call_text(self.fn, answer.args)} returned {_what_came(answer.got)}, which the check could not "
            f"compare with the right answer ({type(error).__name__}: {error}){expected}.\n{self.hint}"
        )
        self._count(failed)
        raise failed from None

    def _count(self, error: CheckFailed) -> None:
        error.level, error.hints = self.level, self.hints
        if isinstance(error, NotWrittenYet):
            return  # not written yet: a reminder, not a failure
        _FAILURES[self.name] = _FAILURES.get(self.name, 0) + 1
        _LAST[:] = [(self.name, self.hints)]

    def call(self, *args: Any, shared: Sequence[int] = ()) -> Answer:
        """Call the learner's function on deep copies of ``args`` (except the positions in ``shared``)."""
        self.last = Answer(self, args, self._run(args, shared))
        return self.last

    def _run(self, args: tuple, shared: Sequence[int]) -> Any:
        """``fn(*args)`` on deep copies; a still-unwritten body hears its task, an exception the hint.

        ``shared`` lists the positions of arguments handed over as they are, because changing them is
        the exercise (a model and its optimizer that a training step must update).
        """
        given = tuple(a if i in shared else copy.deepcopy(a) for i, a in enumerate(args))
        try:
            return self.fn(*given)
        except NotImplementedError:
            name = getattr(self.fn, "__name__", "your function")
            todo = f"Your task: {self.hints.task}" if self.hints.task else self.hint
            raise NotWrittenYet(f"{name} is not written yet: replace `raise NotImplementedError` with your code.\n{todo}") from None
        except Exception as err:  # the learner's bug, reported as a lesson rather than a traceback
            why = _explained(self.explain, err)
            raise CheckFailed(f"{_call_text(self.fn, args)} raised {type(err).__name__}: {err}\n{self.text(why)}") from None

    def fail(self, args: tuple, got: Any, expected: Any, hint: str | None = None, *, why: str = "") -> NoReturn:
        """Fail, showing the call ``fn(*args)``, what it returned, what was expected, ``why`` and the hint."""
        fail(self.fn, args, got, expected, self.text(why) if hint is None else hint)

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

    def fail(self, expected: Any, hint: str | None = None, *, why: str = "") -> NoReturn:
        """Fail this answer, naming the mistake (``why``) before the check's hint (or before ``hint``)."""
        text = self.harness.text(why) if hint is None else f"Hint: {_sentence(why, hint)}"
        if self.part:
            raise CheckFailed(
                f"{_call_text(self.harness.fn, self.args)} returned {self.part} = {describe(self.got)}; "
                f"expected {self.part} = {describe(expected)}.\n{text}"
            )
        self.harness.fail(self.args, self.got, expected, text)

    def refuse(self, wanted: str, expected: Any, lead: str) -> NoReturn:
        """Fail an answer of the wrong kind: it is not ``wanted`` (e.g. "one real number")."""
        right = "" if expected is None else f", here {describe(expected)}"
        if self.part:
            came = f"{describe(self.whole)}, whose {self.part} is {_what_came(self.got)}; expected {self.part} to be"
        else:
            came = f"{_what_came(self.got)}; expected"
        raise CheckFailed(
            f"{_call_text(self.harness.fn, self.args)} returned {came} {wanted}{right}.\n"
            f"{self.harness.text(lead)}"
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
