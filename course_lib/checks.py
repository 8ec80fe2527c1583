"""Self-checks for the exercises: ``check_x(your_function)`` passes quietly or fails with a hint.

A check calls the learner's function on a few cases whose right answers the course's own tested
code computes, and compares. A wrong answer raises :class:`CheckFailed` (an AssertionError) whose
message says which input, what came back, what was expected, and a hint that teaches. An exercise
not yet attempted (its body still raises NotImplementedError) fails the same way, with the hint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.data import iterate_minibatches, load_mnist

__all__ = ["CheckFailed", "check_batches_per_epoch", "check_count_digit", "check_scale_pixels"]


class CheckFailed(AssertionError):
    """A self-check found a wrong answer; the message explains what and gives a hint."""


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array(shape={value.shape}, dtype={value.dtype})" if value.size > 8 else repr(value)
    return repr(value)


def _call(fn: Callable, args: tuple, hint: str) -> Any:
    """Run the learner's function; turn its exceptions into a failed check with the hint."""
    name = getattr(fn, "__name__", "your function")
    shown = ", ".join(map(_describe, args))
    try:
        return fn(*args)
    except NotImplementedError:
        raise CheckFailed(f"{name} is not written yet: replace `raise NotImplementedError` with your code.\nHint: {hint}") from None
    except Exception as err:  # the learner's bug, reported as a lesson rather than a traceback
        raise CheckFailed(f"{name}({shown}) raised {type(err).__name__}: {err}\nHint: {hint}") from None


def _fail(fn: Callable, args: tuple, got: Any, expected: Any, hint: str) -> None:
    name = getattr(fn, "__name__", "your function")
    shown = ", ".join(map(_describe, args))
    raise CheckFailed(f"{name}({shown}) returned {_describe(got)}; expected {_describe(expected)}.\nHint: {hint}")


def _passed(fn: Callable, n_cases: int) -> None:
    print(f"✓ {getattr(fn, '__name__', 'your function')} passed all {n_cases} checks.")


# ---- lesson 00 --------------------------------------------------------------------------------


def check_count_digit(count_digit: Callable[[np.ndarray, int], int]) -> None:
    """``count_digit(labels, digit)`` must return how many entries of ``labels`` equal ``digit``."""
    hint = (
        "`labels == digit` gives one True or False per image; True counts as 1 when summed, so "
        "`int((labels == digit).sum())` counts the matches."
    )
    _, y_train = load_mnist("train", normalize=None, dtype=np.uint8)
    cases = [
        (np.array([3, 1, 3, 3, 0]), 3),
        (np.array([5, 5, 5]), 2),  # a digit that does not occur: the answer is 0
        (y_train, 7),
        (y_train, 0),
    ]
    for labels, digit in cases:
        got = _call(count_digit, (labels, digit), hint)
        expected = int(np.count_nonzero(labels == digit))
        if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
            _fail(count_digit, (labels, digit), got, expected, "return a whole number, not a " + type(got).__name__ + ". " + hint)
        if got != expected:
            _fail(count_digit, (labels, digit), got, expected, hint)
    _passed(count_digit, len(cases))


def check_scale_pixels(scale_pixels: Callable[[np.ndarray], np.ndarray]) -> None:
    """``scale_pixels(images)`` must map raw uint8 pixels 0..255 to floats in [0, 1]."""
    hint = (
        "divide by 255 as floating point: `images / 255.0` or `images.astype(np.float32) / 255`. "
        "Integer division (`//`) would round every pixel down to 0 or 1."
    )
    X_raw, _ = load_mnist("test", normalize=None, flatten=False, dtype=np.uint8)
    X_unit, _ = load_mnist("test", normalize="unit", flatten=False)
    cases = [(np.array([0, 51, 255], dtype=np.uint8), np.array([0.0, 0.2, 1.0])), (X_raw[:50], X_unit[:50])]
    for images, expected in cases:
        got = _call(scale_pixels, (images.copy(),), hint)
        got_array = np.asarray(got)
        if got_array.shape != images.shape:
            _fail(scale_pixels, (images,), got, expected, f"keep the shape {images.shape}. " + hint)
        if not np.issubdtype(got_array.dtype, np.floating) or not np.allclose(got_array, expected, atol=1e-6):
            _fail(scale_pixels, (images,), got, expected, hint)
    _passed(scale_pixels, len(cases))


def check_batches_per_epoch(batches_per_epoch: Callable[[int, int, bool], int]) -> None:
    """``batches_per_epoch(n_samples, batch_size, drop_last)``: how many mini-batches one epoch has."""
    hint = (
        "every full batch counts, and so does a last, smaller batch of leftovers unless drop_last "
        "is True: ceil(n / b) without dropping, floor(n / b) with it (`n // b`, `-(-n // b)`)."
    )
    cases = [(60000, 128, False), (60000, 128, True), (100, 10, False), (9, 10, False), (9, 10, True)]
    for n, b, drop_last in cases:
        got = _call(batches_per_epoch, (n, b, drop_last), hint)
        index = np.arange(n)
        expected = sum(1 for _ in iterate_minibatches(index, index, b, rng=None, shuffle=False, drop_last=drop_last))
        if got != expected:
            _fail(batches_per_epoch, (n, b, drop_last), got, expected, hint)
    _passed(batches_per_epoch, len(cases))
