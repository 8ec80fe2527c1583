"""course_lib.augmentation: shifts and rotations of MNIST digits move pixels where they should."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.augmentation import random_augment, rotate, shift, transform
from course_lib.data import load_mnist


@pytest.fixture(scope="module")
def digits():
    X, y = load_mnist("test")
    return X[:16], y[:16]


def reference_shift(image: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Move a 28 x 28 image dx right and dy down by slicing, filling with zeros."""
    out = np.zeros_like(image)
    if abs(dx) >= 28 or abs(dy) >= 28:  # moved out of the frame entirely
        return out
    src = image[max(0, -dy) : 28 - max(0, dy), max(0, -dx) : 28 - max(0, dx)]
    out[max(0, dy) : max(0, dy) + src.shape[0], max(0, dx) : max(0, dx) + src.shape[1]] = src
    return out


@given(dx=st.integers(-30, 30), dy=st.integers(-30, 30))
@settings(max_examples=40, deadline=None)
def test_whole_pixel_shifts_move_pixels_exactly_and_fill_with_zeros(dx, dy):
    image = np.arange(784, dtype=np.float64).reshape(28, 28) + 1  # no zero pixels: every loss shows
    np.testing.assert_array_equal(shift(image, dx, dy), reference_shift(image, dx, dy))


def test_each_image_can_have_its_own_shift(digits):
    X, _ = digits
    dx, dy = np.arange(-3, 5), np.array([2, -2, 0, 1, -1, 3, 0, 0])
    out = shift(X[:8], dx, dy)
    for i in range(8):
        np.testing.assert_allclose(out[i].reshape(28, 28), reference_shift(X[i].reshape(28, 28), dx[i], dy[i]), atol=1e-6)


def test_a_positive_quarter_turn_is_counter_clockwise_like_rot90(digits):
    X, _ = digits
    images = X[:4].reshape(4, 28, 28)
    np.testing.assert_allclose(rotate(images, 90), np.rot90(images, axes=(1, 2)), atol=1e-6)
    np.testing.assert_allclose(rotate(images, -90), np.rot90(images, k=-1, axes=(1, 2)), atol=1e-6)
    np.testing.assert_allclose(rotate(images, 180), images[:, ::-1, ::-1], atol=1e-6)
    np.testing.assert_allclose(rotate(images, 0), images, atol=0)
    np.testing.assert_allclose(rotate(images, 360), images, atol=1e-6)
    # A dot right of the centre ends above it after +90°: "up" on screen is a smaller row index.
    dot = np.zeros((28, 28))
    dot[14, 24] = 1.0
    assert np.unravel_index(np.argmax(rotate(dot, 90)), (28, 28)) == (3, 14)


def test_a_small_rotation_keeps_the_ink_and_moves_it(digits):
    X, _ = digits
    turned = rotate(X, 15)
    np.testing.assert_allclose(turned.sum(axis=1), X.sum(axis=1), rtol=0.05)  # bilinear keeps the ink
    assert np.all(np.abs(turned - X).sum(axis=1) > 5)  # but the digits did change


def test_transform_is_a_rotation_then_a_shift(digits):
    X, _ = digits
    np.testing.assert_allclose(transform(X, degrees=12, dx=2, dy=-1), shift(rotate(X, 12), 2, -1), atol=1e-6)


@pytest.mark.parametrize("shape", [(3, 784), (3, 28, 28), (784,), (28, 28)])
def test_shape_and_dtype_are_kept(digits, shape):
    X, _ = digits
    images = X[: int(np.prod(shape)) // 784].reshape(shape)
    for out in (shift(images, 1, 1), rotate(images, 10), random_augment(images, rng=np.random.default_rng(0))):
        assert out.shape == shape and out.dtype == np.float32


def test_integer_pixels_stay_integers():
    raw, _ = load_mnist("test", normalize=None, dtype=np.uint8)
    out = rotate(raw[:3], 20)
    assert out.dtype == np.uint8 and out.max() <= 255
    np.testing.assert_array_equal(shift(raw[:3], 1, 0).reshape(3, 28, 28)[:, :, 1:], raw[:3].reshape(3, 28, 28)[:, :, :-1])


def test_random_augment_is_reproducible_and_stays_within_its_bounds(digits):
    X, _ = digits
    a = random_augment(X, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a, random_augment(X, rng=np.random.default_rng(5)))
    assert not np.array_equal(a, random_augment(X, rng=np.random.default_rng(6)))
    np.testing.assert_array_equal(random_augment(X, rng=np.random.default_rng(0), max_shift=0, max_degrees=0), X)
    # Shifts only: every output is one of the 25 whole-pixel shifts of its input.
    shifted = random_augment(X, rng=np.random.default_rng(1), max_shift=2, max_degrees=0).reshape(-1, 28, 28)
    for out, image in zip(shifted, X.reshape(-1, 28, 28)):
        assert any(np.array_equal(out, reference_shift(image, dx, dy)) for dx in range(-2, 3) for dy in range(-2, 3))


def test_bad_input_is_refused_with_a_clear_message(digits):
    X, _ = digits
    with pytest.raises(ValueError, match=r"\(N, 784\)"):
        shift(np.zeros((4, 100)), 1, 1)
    with pytest.raises(ValueError, match="one per image"):
        shift(X[:4], np.array([1, 2]), 0)
    with pytest.raises(ValueError, match="finite"):
        rotate(X[:2], np.nan)
    with pytest.raises(TypeError, match="Generator"):
        random_augment(X, rng=0)
    with pytest.raises(ValueError, match="max_shift"):
        random_augment(X, rng=np.random.default_rng(0), max_shift=-1)
    with pytest.raises(ValueError, match="max_degrees"):
        random_augment(X, rng=np.random.default_rng(0), max_degrees=float("inf"))
