"""Lesson 00, start here: the network and its training loop, the environment, MNIST, mini-batches; browsing the digits."""

from course_lib.lessons import ExplorerEntry, Lesson, Timing
from course_lib.lessons.l00_start_here.checks import (
    check_batches_per_epoch,
    check_count_digit,
    check_minibatches,
    check_scale_pixels,
    predict_batches_per_epoch,
)
from course_lib.lessons.l00_start_here.explorers import digit_browser


def _digits(n: int = 12):
    import numpy as np

    return np.random.default_rng(0).random((n, 784), dtype=np.float32), np.arange(n) % 10


def _mnist_test():
    from course_lib.data import load_mnist

    return load_mnist("test")


LESSON = Lesson(
    notebook="00_start_here.ipynb",
    explorers=(
        ExplorerEntry(
            digit_browser,
            small=lambda: digit_browser(*_digits()),
            full=lambda: digit_browser(*_mnist_test()),
            timings=(Timing("index", "index", (1, 2)),),
        ),
    ),
    checks=(check_minibatches, check_count_digit, check_scale_pixels, check_batches_per_epoch),
    predictions=(predict_batches_per_epoch,),
)
