"""Self-checks of lesson 00, Start here: dealing out mini-batches, counting labels, scaling pixels, counting batches.

And the lesson's prediction: how many mini-batches one epoch of MNIST has at B = 64.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from course_lib.data import iterate_minibatches, load_mnist
from course_lib.ui.checks import CheckFailed, Harness, Hints, close
from course_lib.ui.predictions import Prediction

__all__ = [
    "check_batches_per_epoch", "check_count_digit", "check_minibatches", "check_scale_pixels",
    "predict_batches_per_epoch",
]


def _count_batches(n: int, batch_size: int, drop_last: bool = False) -> int:
    """How many batches the course's own iterate_minibatches yields for n samples (no shuffling needed to count)."""
    index = np.arange(n)
    return sum(1 for _ in iterate_minibatches(index, index, batch_size, rng=None, shuffle=False, drop_last=drop_last))


predict_batches_per_epoch = Prediction(
    "the number of mini-batches in one epoch of the 60 000 training images at B = 64",
    truth=lambda: _count_batches(60_000, 64),
    rtol=0.0,
)


# ---- Exercise 1 (section 8): deal out the mini-batches of one epoch -------------------------------

MINIBATCH_HINTS = Hints(
    task="Yield the mini-batches `(X_batch, y_batch)` of one epoch: shuffled afresh with `rng`, every sample "
         "exactly once, in batches of `batch_size` (the last one may be smaller).",
    idea="An epoch deals the training set out like a shuffled deck of cards: draw one random order of the sample "
         "numbers from the rng you are given, then hand out that order in consecutive slices of B. Images and labels "
         "must be picked by the same sample numbers, so each image keeps its label.",
    formula="Draw a permutation π of 0, 1, …, N−1; batch k holds the samples π[kB], …, π[kB + B − 1] "
            "(up to N − 1), k = 0, 1, …, ⌈N / B⌉ − 1.",
    code="`order = rng.permutation(len(X))`, then for each `start` in `range(0, len(X), batch_size)` take "
         "`idx = order[start:start + batch_size]` and `yield X[idx], y[idx]`.",
)

# (samples N, batch size B, extra image shape): a ragged last batch, an even split, one batch smaller than B, images
_MINIBATCH_CASES = [(10, 4, (3,)), (12, 3, (3,)), (5, 8, (3,)), (200, 64, (2, 2))]


def _numbered(n: int, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Samples that say who they are: every value of image i is i + a fraction, and label i is (3i + 1) mod 10."""
    fractions = np.arange(int(np.prod(shape))).reshape(shape) / (2 * np.prod(shape))
    X = np.arange(n, dtype=np.float64).reshape((n,) + (1,) * len(shape)) + fractions
    return X, (3 * np.arange(n) + 1) % 10


def _call(harness: Harness, X: np.ndarray, batch_size: int, rng: str = "rng") -> str:
    name = getattr(harness.fn, "__name__", "your function")
    return f"{name}(X of shape {X.shape}, y of shape {X.shape[:1]}, {batch_size}, {rng})"


def _fail(harness: Harness, X: np.ndarray, batch_size: int, came: str, expected: str, why: str, rng: str = "rng") -> None:
    """Fail an epoch that has the right kind of batches but is not a right epoch, naming the mistake (``why``)."""
    raise CheckFailed(f"{_call(harness, X, batch_size, rng)} gave {came}; expected {expected}.\n{harness.text(why)}")


def _epoch(harness: Harness, X: np.ndarray, y: np.ndarray, batch_size: int, rng: np.random.Generator) -> list:
    """One epoch of the learner's function as a list of (X_batch, y_batch) pairs, each checked for its kind."""
    answer = harness.call(X, y, batch_size, rng, shared=(3,))  # the rng is shared: each epoch must move it on
    got = answer.got
    lead = "Yield (or return in a list) one `(X_batch, y_batch)` pair per mini-batch."
    if got is None or isinstance(got, (str, bytes, dict, np.ndarray)) or not isinstance(got, Iterable):
        answer.refuse("mini-batches: one (X_batch, y_batch) pair after another", None, lead)
    try:
        batches = list(got)
    except Exception as err:  # noqa: BLE001 - the body of a generator runs only now: its error is the learner's
        raise CheckFailed(
            f"{getattr(harness.fn, '__name__', 'your function')}(X, y, {batch_size}, rng) raised {type(err).__name__}: "
            f"{err}\nwhile handing out its batches.\n{harness.text()}"
        ) from None
    for batch in batches:
        if not isinstance(batch, (tuple, list)) or len(batch) != 2:
            answer.refuse("mini-batches, each a pair (X_batch, y_batch)", None, lead)
        xb, yb = (np.asarray(part) if isinstance(part, (np.ndarray, list)) else part for part in batch)
        if not (isinstance(xb, np.ndarray) and isinstance(yb, np.ndarray) and xb.dtype.kind in "iuf"
                and yb.dtype.kind in "iu" and xb.shape[1:] == X.shape[1:] and yb.shape == xb.shape[:1]):
            answer.refuse(f"mini-batches of images shaped (B, {', '.join(map(str, X.shape[1:]))}) and labels shaped (B,)",
                          None, lead + " Keep each image whole: pick rows of X and the same entries of y.")
    return batches


def _who(harness: Harness, batches: list, X: np.ndarray, y: np.ndarray, batch_size: int) -> np.ndarray:
    """The sample numbers the epoch handed out, in order, once every image is shown to come from X with its label."""
    order = []
    for k, (xb, yb) in enumerate(batches):
        xb, yb = np.asarray(xb), np.asarray(yb)
        first_values = xb.reshape(len(xb), -1)[:, 0] if len(xb) else np.zeros(0)
        i = np.clip(np.nan_to_num(np.floor(first_values)).astype(int), 0, len(X) - 1)
        if not close(xb, X[i]):
            _fail(harness, X, batch_size, f"a batch (number {k}) with images that are not rows of X", "rows of X",
                  "Your batches hold images that are not samples of X: a mini-batch picks whole samples "
                  "(rows of X) and leaves them unchanged.")
        if not np.array_equal(yb, y[i]):
            _fail(harness, X, batch_size, f"a batch (number {k}) whose labels do not belong to its images",
                  "each image with its own label",
                  "Your batches pair images with the wrong labels: X and y were put in different orders. "
                  "Shuffle the sample numbers once, and pick both the images and the labels by that one order.")
        order.extend(i.tolist())
    return np.array(order, dtype=int)


def _check_epoch(harness: Harness, batches: list, X: np.ndarray, y: np.ndarray, batch_size: int) -> np.ndarray:
    """Fail an epoch that does not use every sample exactly once in batches of B; return its order of samples."""
    n = len(X)
    order = _who(harness, batches, X, y, batch_size)
    sizes = [len(xb) for xb, _ in iterate_minibatches(X, y, batch_size, rng=None, shuffle=False)]
    got_sizes = [len(xb) for xb, _ in batches]
    if got_sizes != sizes:
        if n % batch_size and got_sizes == sizes[:-1]:
            why = (f"The last, smaller batch is missing: {n} samples in batches of {batch_size} leave "
                   f"{n % batch_size} over, and an epoch still uses them, as one smaller batch.")
        else:
            why = "Your batches have the wrong sizes: each holds batch_size samples, except perhaps the last."
        _fail(harness, X, batch_size, f"batches of sizes {got_sizes}", f"sizes {sizes}", why)
    if len(set(order.tolist())) != n:
        twice = int(np.sum(np.bincount(order, minlength=n) > 1))
        _fail(harness, X, batch_size, f"an epoch in which {twice} samples came more than once",
              "every sample exactly once",
              "Some samples came twice and others never: you drew samples with replacement. An epoch "
              "shuffles the whole set once (a permutation), so each sample is used exactly once.")
    if n >= 10 and np.array_equal(order, np.arange(n)):
        _fail(harness, X, batch_size, "the samples in their stored order, 0, 1, 2, …", "a shuffled order",
              "Your batches come in the data's own order: nothing was shuffled. Draw a random order "
              "from rng at the start of each epoch, so the batches differ from epoch to epoch.")
    return order


def check_minibatches(minibatches: Callable) -> None:
    """``minibatches(X, y, batch_size, rng)`` yields one epoch of ``(X_batch, y_batch)``, as ``iterate_minibatches`` does.

    Graded by what makes an epoch right, not by one exact order: every sample exactly once, each image
    with its own label, batches of ``batch_size`` (the last may be smaller), a shuffled order drawn from
    ``rng`` (the same seed, the same order), and a new order each epoch.
    """
    with Harness(minibatches, MINIBATCH_HINTS) as harness:
        for n, batch_size, shape in _MINIBATCH_CASES:
            X, y = _numbered(n, shape)
            rng = np.random.default_rng(n)
            first, second = (_check_epoch(harness, _epoch(harness, X, y, batch_size, rng), X, y, batch_size)
                             for _ in range(2))
            if n >= 10 and np.array_equal(first, second):
                _fail(harness, X, batch_size, "the same order in two epochs", "a new order each epoch",
                      "Two epochs came in exactly the same order: your order was fixed once and is reused. Draw "
                      "it from the rng you are given, afresh at each call, so each epoch is shuffled anew.")
        X, y = _numbered(12, (3,))
        first, again = (_who(harness, _epoch(harness, X, y, 4, np.random.default_rng(7)), X, y, 4) for _ in range(2))
        if not np.array_equal(first, again):
            _fail(harness, X, 4, "different orders from two generators made with the same seed", "the same order",
                  "Two generators with the same seed gave different orders: your randomness does not come "
                  "from rng. Draw the order from the rng argument, so that a seed makes the run repeatable.",
                  rng="np.random.default_rng(7)")
        harness.passed(2 * len(_MINIBATCH_CASES) + 1)


# ---- the exercises at the end ---------------------------------------------------------------------

COUNT_DIGIT_HINTS = Hints(
    task="Return how many entries of `labels` equal `digit`, as a Python `int`.",
    idea="Comparing a whole array with one number gives one True or False per entry, and adding up True and "
         "False counts the Trues (True counts as 1): no loop is needed.",
    formula="count = Σᵢ [labelsᵢ = digit], where [·] is 1 when it holds and 0 when it does not.",
    code="`int((labels == digit).sum())`",
)


def check_count_digit(count_digit: Callable[[np.ndarray, int], int]) -> None:
    """``count_digit(labels, digit)`` must return how many entries of ``labels`` equal ``digit``."""
    _, y_train = load_mnist("train", normalize=None, dtype=np.uint8)
    cases = [
        (np.array([3, 1, 3, 3, 0]), 3),
        (np.array([5, 5, 5]), 2),  # a digit that does not occur: the answer is 0
        (y_train, 7),
        (y_train, 0),
    ]
    with Harness(count_digit, COUNT_DIGIT_HINTS) as harness:
        for labels, digit in cases:
            expected = int(np.count_nonzero(labels == digit))
            answer = harness.call(labels, digit)
            got = answer.count(expected, lead=f"Return a whole number, not a {type(answer.got).__name__}.")
            if got != expected:
                if got == len(labels):
                    why = "You counted every label; count only those equal to digit."
                elif got == len(labels) - expected:
                    why = "You counted the labels that differ from digit; count those equal to it."
                else:
                    why = ""
                answer.fail(expected, why=why)
        harness.passed(len(cases))


SCALE_PIXELS_HINTS = Hints(
    task="Return the raw pixels (whole numbers 0 to 255) scaled to floating-point numbers in [0, 1], in an array "
         "of the same shape.",
    idea="Unit scaling divides every pixel by the largest value a byte holds, so 0 stays 0 and full ink becomes 1; "
         "the results are fractions, so the division must be done with floating-point numbers.",
    formula="x_unit = x / 255.",
    code="`images / 255.0`, or `images.astype(np.float32) / 255`; `//` would be whole-number division.",
)


def check_scale_pixels(scale_pixels: Callable[[np.ndarray], np.ndarray]) -> None:
    """``scale_pixels(images)`` must map raw uint8 pixels 0..255 to floats in [0, 1]."""
    X_raw, _ = load_mnist("test", normalize=None, flatten=False, dtype=np.uint8)
    X_unit, _ = load_mnist("test", normalize="unit", flatten=False)
    cases = [(np.array([0, 51, 255], dtype=np.uint8), np.array([0.0, 0.2, 1.0])), (X_raw[:50], X_unit[:50])]
    with Harness(scale_pixels, SCALE_PIXELS_HINTS) as harness:
        for images, expected in cases:
            answer = harness.call(images)
            got = answer.array(expected, lead=f"Keep the shape {images.shape}.")
            if np.asarray(answer.got).dtype.kind != "f" or not close(got, expected, rtol=1e-5, atol=1e-6):
                raw = images.astype(np.float64)
                if close(got, np.floor(raw / 255)):
                    why = "Every pixel came back as 0 or 1: the fractions were rounded away by whole-number division."
                elif close(got, raw / 256, rtol=1e-5, atol=1e-6):
                    why = "You divided by 256; the largest pixel is 255, and it must become exactly 1."
                elif close(got, 1 - raw / 255, rtol=1e-5, atol=1e-6):
                    why = "Your scale is upside down: 0 (white paper) must stay 0 and 255 (full ink) become 1."
                elif np.asarray(answer.got).dtype.kind != "f":
                    why = "Your array holds whole numbers; scaled pixels are fractions, a floating-point array."
                else:
                    why = ""
                answer.fail(expected, why=why)
        harness.passed(len(cases))


BATCHES_PER_EPOCH_HINTS = Hints(
    task="Return how many mini-batches one epoch yields for `n_samples` examples in batches of `batch_size`, "
         "skipping a last, smaller batch when `drop_last` is True.",
    idea="Count the full batches first; the examples left over, if there are any, make one more, smaller batch, "
         "unless drop_last says to skip it.",
    formula="Without dropping: ⌈N / B⌉ (round up); with drop_last: ⌊N / B⌋ (round down).",
    code="`n_samples // batch_size` counts the full batches, and `divmod(n_samples, batch_size)` gives the leftover too.",
)


def check_batches_per_epoch(batches_per_epoch: Callable[[int, int, bool], int]) -> None:
    """``batches_per_epoch(n_samples, batch_size, drop_last)``: how many mini-batches one epoch has."""
    cases = [(60000, 128, False), (60000, 128, True), (100, 10, False), (9, 10, False), (9, 10, True)]
    with Harness(batches_per_epoch, BATCHES_PER_EPOCH_HINTS) as harness:
        for n, b, drop_last in cases:
            expected = _count_batches(n, b, drop_last)
            answer = harness.call(n, b, drop_last)
            got = answer.count(expected)
            if got != expected:
                if not drop_last and got == n // b:
                    why = "The last, smaller batch of leftovers is missing: it counts when drop_last is False."
                elif drop_last and got == -(-n // b):
                    why = "With drop_last=True the last, smaller batch is skipped, and you counted it."
                elif got == n // b + 1:
                    why = "When nothing is left over there is no extra batch: count one only for leftovers."
                else:
                    why = ""
                answer.fail(expected, why=why)
        harness.passed(len(cases))
