"""Self-checks of lesson 00, Start here: counting labels, scaling pixels, counting mini-batches."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_lib.ui.checks import Harness, close
from course_lib.data import iterate_minibatches, load_mnist

__all__ = ["check_batches_per_epoch", "check_count_digit", "check_scale_pixels"]

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
    with Harness(count_digit, hint) as harness:
        for labels, digit in cases:
            expected = int(np.count_nonzero(labels == digit))
            answer = harness.call(labels, digit)
            got = answer.count(expected, lead=f"return a whole number, not a {type(answer.got).__name__}.")
            if got != expected:
                answer.fail(expected)
        harness.passed(len(cases))


def check_scale_pixels(scale_pixels: Callable[[np.ndarray], np.ndarray]) -> None:
    """``scale_pixels(images)`` must map raw uint8 pixels 0..255 to floats in [0, 1]."""
    hint = (
        "divide by 255 as floating point: `images / 255.0` or `images.astype(np.float32) / 255`. "
        "Integer division (`//`) would round every pixel down to 0 or 1."
    )
    X_raw, _ = load_mnist("test", normalize=None, flatten=False, dtype=np.uint8)
    X_unit, _ = load_mnist("test", normalize="unit", flatten=False)
    cases = [(np.array([0, 51, 255], dtype=np.uint8), np.array([0.0, 0.2, 1.0])), (X_raw[:50], X_unit[:50])]
    with Harness(scale_pixels, hint) as harness:
        for images, expected in cases:
            answer = harness.call(images)
            got = answer.array(expected, lead=f"keep the shape {images.shape}.")
            if np.asarray(answer.got).dtype.kind != "f" or not close(got, expected, rtol=1e-5, atol=1e-6):
                answer.fail(expected)
        harness.passed(len(cases))


def check_batches_per_epoch(batches_per_epoch: Callable[[int, int, bool], int]) -> None:
    """``batches_per_epoch(n_samples, batch_size, drop_last)``: how many mini-batches one epoch has."""
    hint = (
        "every full batch counts, and so does a last, smaller batch of leftovers unless drop_last "
        "is True: ceil(n / b) without dropping, floor(n / b) with it (`n // b`, `-(-n // b)`)."
    )
    cases = [(60000, 128, False), (60000, 128, True), (100, 10, False), (9, 10, False), (9, 10, True)]
    with Harness(batches_per_epoch, hint) as harness:
        for n, b, drop_last in cases:
            index = np.arange(n)
            expected = sum(1 for _ in iterate_minibatches(index, index, b, rng=None, shuffle=False, drop_last=drop_last))
            answer = harness.call(n, b, drop_last)
            if answer.count(expected) != expected:
                answer.fail(expected)
        harness.passed(len(cases))
