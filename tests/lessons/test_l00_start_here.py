"""Lesson 00's self-checks and the harness: right answers pass, wrong ones and stubs fail with a hint, never a traceback."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.lessons.l00_start_here import checks
from course_lib.ui.checks import CheckFailed


def count_digit(labels, digit):
    return int((labels == digit).sum())


def scale_pixels(images):
    return images / 255.0


def batches_per_epoch(n, b, drop_last):
    return n // b if drop_last else -(-n // b)


def stub(*args):
    raise NotImplementedError("write your code here")


def minibatches(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        batch = order[start:start + batch_size]
        yield X[batch], y[batch]


def _batches(X, y, batch_size, order):
    for start in range(0, len(X), batch_size):
        batch = order[start:start + batch_size]
        yield X[batch], y[batch]


def no_shuffle(X, y, batch_size, rng):
    yield from _batches(X, y, batch_size, np.arange(len(X)))


def two_permutations(X, y, batch_size, rng):
    X, y = X[rng.permutation(len(X))], y[rng.permutation(len(y))]  # labels no longer match the images
    yield from _batches(X, y, batch_size, np.arange(len(X)))


def in_place_shuffles(X, y, batch_size, rng):
    rng.shuffle(X)
    rng.shuffle(y)  # a second, different shuffle
    yield from _batches(X, y, batch_size, np.arange(len(X)))


def drop_last(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X) - batch_size + 1, batch_size):
        yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]


def with_replacement(X, y, batch_size, rng):
    yield from _batches(X, y, batch_size, rng.integers(0, len(X), size=len(X)))


def one_order_for_ever(X, y, batch_size, rng):
    yield from _batches(X, y, batch_size, np.random.default_rng(0).permutation(len(X)))


def global_random_state(X, y, batch_size, rng):
    yield from _batches(X, y, batch_size, np.random.permutation(len(X)))


def batches_of_one_too_many(X, y, batch_size, rng):
    yield from _batches(X, y, batch_size + 1, rng.permutation(len(X)))


def images_rescaled(X, y, batch_size, rng):
    for X_batch, y_batch in minibatches(X, y, batch_size, rng):
        yield X_batch / 2, y_batch


RIGHT_AND_WRONG = [
    (checks.check_minibatches, minibatches, no_shuffle, "nothing was shuffled"),
    (checks.check_minibatches, minibatches, two_permutations, "X and y were put in different orders"),
    (checks.check_minibatches, minibatches, in_place_shuffles, "X and y were put in different orders"),
    (checks.check_minibatches, minibatches, drop_last, "The last, smaller batch is missing"),
    (checks.check_minibatches, minibatches, with_replacement, "with replacement"),
    (checks.check_minibatches, minibatches, one_order_for_ever, "Two epochs came in exactly the same order"),
    (checks.check_minibatches, minibatches, global_random_state, "your randomness does not come from rng"),
    (checks.check_minibatches, minibatches, batches_of_one_too_many, "wrong sizes"),
    (checks.check_minibatches, minibatches, images_rescaled, "not samples of X"),
    (checks.check_count_digit, count_digit, lambda labels, digit: len(labels), "You counted every label"),
    (checks.check_count_digit, count_digit, lambda labels, digit: int((labels != digit).sum()), "differ from digit"),
    (checks.check_count_digit, count_digit, lambda labels, digit: (labels == digit).sum() > 0, "whole number"),
    (checks.check_scale_pixels, scale_pixels, lambda images: images // 255, "whole-number division"),
    (checks.check_scale_pixels, scale_pixels, lambda images: images / 256, "divided by 256"),
    (checks.check_scale_pixels, scale_pixels, lambda images: 1 - images / 255.0, "upside down"),
    (checks.check_scale_pixels, scale_pixels, lambda images: (images / 255.0)[:1], "Keep the shape"),
    (checks.check_batches_per_epoch, batches_per_epoch, lambda n, b, drop_last: n // b, "smaller batch of leftovers is missing"),
    (checks.check_batches_per_epoch, batches_per_epoch, lambda n, b, drop_last: -(-n // b), "is skipped, and you counted it"),
    (checks.check_batches_per_epoch, batches_per_epoch, lambda n, b, d: n // b + 1 - (d and n % b > 0), "no extra batch"),
]


@pytest.mark.parametrize(("check", "right", "wrong", "words"), RIGHT_AND_WRONG,
                         ids=[f"{c.__name__}-{i}" for i, (c, *_) in enumerate(RIGHT_AND_WRONG)])
def test_right_passes_and_a_typical_mistake_fails_naming_it(check, right, wrong, words, assert_teaches):
    assert_teaches(check, right, wrong, words)


def test_the_batches_of_the_answer_key_pass_and_so_does_a_list():
    checks.check_minibatches(lambda X, y, b, rng: checks.iterate_minibatches(X, y, b, rng=rng))
    checks.check_minibatches(lambda X, y, b, rng: list(minibatches(X, y, b, rng)))


def test_an_error_inside_a_generator_is_reported_with_the_hint_not_a_traceback():
    def broken(X, y, batch_size, rng):
        yield X[rng.permutation(len(X) + 1)], y  # an index past the end

    with pytest.raises(CheckFailed, match=r"raised IndexError[\s\S]*while handing out its batches[\s\S]*Hint:") as err:
        checks.check_minibatches(broken)
    assert err.value.__cause__ is None


def test_the_prediction_of_batches_per_epoch_is_graded_by_the_course_count(capsys):
    assert checks.predict_batches_per_epoch.truth() == 938 == -(-60_000 // 64)
    assert checks.predict_batches_per_epoch(938) is True
    assert checks.predict_batches_per_epoch(937) is False and checks.predict_batches_per_epoch(60_000 / 64) is False
    assert "938" not in capsys.readouterr().out


def test_the_lessons_plot_of_the_network_and_the_loop_draws_both(tmp_path):
    import matplotlib.pyplot as plt

    from course_lib.lessons.l00_start_here.plots import plot_training_loop

    axes = plot_training_loop()
    titles = [ax.get_title() for ax in axes]
    assert len(axes) == 2 and all(titles)
    texts = " ".join(t.get_text() for t in axes[1].texts)
    for step in ("forward", "loss", "backward", "step"):
        assert step in texts.lower()
    plt.gcf().savefig(tmp_path / "loop.png")


def test_an_exception_in_the_learners_code_is_reported_with_its_input():
    def broken(labels, digit):
        return labels.count(digit)  # a list method, not a NumPy one

    with pytest.raises(CheckFailed, match=r"broken\(array\(\[3, 1, 3, 3, 0\]\), 3\) raised AttributeError"):
        checks.check_count_digit(broken)


def test_check_failures_are_assertion_errors():
    assert issubclass(CheckFailed, AssertionError)
    with pytest.raises(AssertionError):
        checks.check_batches_per_epoch(lambda n, b, d: 0)


def test_a_non_integer_count_is_explained():
    with pytest.raises(CheckFailed, match="whole number"):
        checks.check_count_digit(lambda labels, digit: float((labels == digit).sum()))
    np.testing.assert_equal(count_digit(np.array([1, 1]), 1), 2)


def test_a_count_cannot_pass_by_overwriting_the_labels_it_is_graded_on():
    def overwrite(labels, digit):
        labels[...] = digit  # every label now "matches"
        return labels.size

    # graded, and shown, against the labels as the check made them
    with pytest.raises(CheckFailed, match=r"overwrite\(array\(\[3, 1, 3, 3, 0\]\), 3\) returned 5; expected 3"):
        checks.check_count_digit(overwrite)
