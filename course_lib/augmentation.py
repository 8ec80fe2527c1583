"""Data augmentation for MNIST digits: small shifts and rotations, written in NumPy.

A shifted or slightly rotated "3" is still a "3", so showing the network such variants teaches it
what does *not* matter (a few pixels of position, a tilt of the pen) without collecting new data.
Each transform works by *inverse mapping*: for every pixel of the output image, compute where it
came from in the input, and read the input there with bilinear interpolation (a weighted mean of
the four nearest pixels). Pixels that come from outside the 28 x 28 frame are 0, the paper colour.

    X_aug = random_augment(X_train, rng=rng)          # a fresh variant of every digit
    X_right = shift(X_train, dx=2, dy=0)               # every digit two pixels to the right
    X_tilted = rotate(X_train, 15)                     # every digit 15° counter-clockwise

Images may be shaped (N, 784), (N, 28, 28), or be a single (784,) or (28, 28) image; the result
has the input's shape and dtype.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["random_augment", "rotate", "shift", "transform"]

SIDE = 28
CENTRE = (SIDE - 1) / 2  # 13.5: the image's centre lies between pixels 13 and 14


def _as_stack(images: ArrayLike, who: str) -> tuple[NDArray, tuple[int, ...]]:
    """(N, 28, 28) float64 view of the input, and the input's shape to restore at the end."""
    images = np.asarray(images)
    shape = images.shape
    if shape in ((SIDE * SIDE,), (SIDE, SIDE)):
        stack = images.reshape(1, SIDE, SIDE)
    elif images.ndim == 2 and shape[1] == SIDE * SIDE or images.ndim == 3 and shape[1:] == (SIDE, SIDE):
        stack = images.reshape(len(images), SIDE, SIDE)
    else:
        raise ValueError(
            f"{who} expects MNIST images shaped (N, 784) or (N, 28, 28), or one image (784,) or "
            f"(28, 28); got shape {shape}."
        )
    if not (np.issubdtype(images.dtype, np.floating) or np.issubdtype(images.dtype, np.integer)):
        raise TypeError(f"{who} expects numeric pixels; got dtype {images.dtype}.")
    # float32 pixels are computed in float32 (half the memory traffic), everything else in float64.
    return stack.astype(np.float32 if images.dtype == np.float32 else np.float64), shape


def _per_image(value: ArrayLike, n: int, name: str, who: str) -> NDArray:
    """A scalar or one value per image, as a float array of length n."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        array = np.full(n, float(array))
    if array.shape != (n,):
        raise ValueError(f"{who}: {name} must be one number or one per image ({n}); got shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{who}: {name} must be finite; got {array[~np.isfinite(array)][:3]}.")
    return array


def _restore(out: NDArray, shape: tuple[int, ...], dtype: np.dtype) -> NDArray:
    out = out.reshape(shape)
    if np.issubdtype(dtype, np.integer):  # e.g. raw uint8 pixels: round back to whole numbers
        info = np.iinfo(dtype)
        return np.clip(np.rint(out), info.min, info.max).astype(dtype)
    return out.astype(dtype)


def _bilinear(stack: NDArray, rows: NDArray, cols: NDArray) -> NDArray:
    """Read ``stack`` (N, 28, 28) at real-valued positions (N, 28, 28); 0 outside the frame.

    Each value is the mean of the four surrounding pixels, weighted by closeness:
    (1−a)(1−b)·v₀₀ + (1−a)b·v₀₁ + a(1−b)·v₁₀ + ab·v₁₁ with a, b the fractional parts of the row and
    column. A one-pixel border of zeros around every image stands for "outside": the indices of
    positions beyond the frame are clipped into it.
    """
    n, wide = len(stack), SIDE + 2
    padded = np.pad(stack, ((0, 0), (1, 1), (1, 1))).reshape(-1)  # (N * 30 * 30,)
    r0, c0 = np.floor(rows), np.floor(cols)
    a, b = (rows - r0).astype(stack.dtype), (cols - c0).astype(stack.dtype)
    r0, c0 = r0.astype(np.int64), c0.astype(np.int64)
    base = (np.arange(n) * wide * wide)[:, None, None]
    top, bottom = base + (np.clip(r0, -1, SIDE) + 1) * wide, base + (np.clip(r0 + 1, -1, SIDE) + 1) * wide
    left, right = np.clip(c0, -1, SIDE) + 1, np.clip(c0 + 1, -1, SIDE) + 1
    upper = padded[top + left] + b * (padded[top + right] - padded[top + left])
    lower = padded[bottom + left] + b * (padded[bottom + right] - padded[bottom + left])
    return upper + a * (lower - upper)


def transform(images: ArrayLike, *, degrees: ArrayLike = 0.0, dx: ArrayLike = 0.0, dy: ArrayLike = 0.0) -> NDArray:
    """Rotate each image about its centre by ``degrees``, then move it by (dx, dy) pixels.

    Inverse mapping: the output pixel at (row r, column c) reads the input at

        (x, y) = R(−θ) · (c − dx − 13.5, −(r − dy − 13.5)),  source = (13.5 − y, 13.5 + x),

    with y pointing up so that a positive θ turns the digit counter-clockwise on screen, like
    ``np.rot90``. Values between pixels are interpolated bilinearly; pixels from outside are 0.
    A whole-pixel shift or a quarter turn moves pixels exactly.

    Args:
        images: (N, 784), (N, 28, 28), (784,) or (28, 28).
        degrees: the angle θ, one number or one per image; positive is counter-clockwise.
        dx: pixels to the right (negative: left), one number or one per image.
        dy: pixels down (negative: up), one number or one per image.

    Returns:
        The transformed images, with the input's shape and dtype.
    """
    images = np.asarray(images)
    stack, shape = _as_stack(images, "transform")
    n = len(stack)
    theta = np.deg2rad(_per_image(degrees, n, "degrees", "transform"))[:, None, None]
    dx = _per_image(dx, n, "dx", "transform")[:, None, None]
    dy = _per_image(dy, n, "dy", "transform")[:, None, None]
    r, c = np.meshgrid(np.arange(SIDE, dtype=np.float64), np.arange(SIDE, dtype=np.float64), indexing="ij")
    # Undo the shift, then the rotation: centred coordinates with y up.
    x, y = c - dx - CENTRE, -(r - dy - CENTRE)
    cos, sin = np.cos(theta), np.sin(theta)
    x_src, y_src = cos * x + sin * y, -sin * x + cos * y
    out = _bilinear(stack, CENTRE - y_src, CENTRE + x_src)
    return _restore(out, shape, images.dtype)


def shift(images: ArrayLike, dx: ArrayLike, dy: ArrayLike) -> NDArray:
    """Move each image ``dx`` pixels right and ``dy`` pixels down; the uncovered border is 0.

    Whole numbers move pixels exactly (what falls off the edge is lost); fractions interpolate.

    Args:
        images: (N, 784), (N, 28, 28), (784,) or (28, 28).
        dx: pixels to the right (negative: left), one number or one per image.
        dy: pixels down (negative: up), one number or one per image.

    Returns:
        The shifted images, with the input's shape and dtype.
    """
    return transform(images, dx=dx, dy=dy)


def rotate(images: ArrayLike, degrees: ArrayLike) -> NDArray:
    """Turn each image ``degrees`` counter-clockwise about its centre (13.5, 13.5); corners fill with 0.

    Args:
        images: (N, 784), (N, 28, 28), (784,) or (28, 28).
        degrees: the angle, one number or one per image; negative turns clockwise.

    Returns:
        The rotated images, with the input's shape and dtype.
    """
    return transform(images, degrees=degrees)


def random_augment(
    images: ArrayLike, *, rng: np.random.Generator, max_shift: int = 2, max_degrees: float = 15.0
) -> NDArray:
    """A random variant of every image: a rotation θ ~ U(−max_degrees, max_degrees), then a shift
    by whole pixels dx, dy drawn uniformly from −max_shift..max_shift.

    Each image gets its own draw, so calling it once per epoch shows the network a fresh variant
    of every digit each time. Keep the changes small: a "6" turned by 180° is a "9".

    Args:
        images: (N, 784), (N, 28, 28), (784,) or (28, 28).
        rng: the random generator; the same seed gives the same variants.
        max_shift: the largest shift in pixels, a whole number >= 0.
        max_degrees: the largest angle in degrees, >= 0.

    Returns:
        The augmented images, with the input's shape and dtype.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"random_augment needs rng=np.random.Generator (e.g. np.random.default_rng(0)); got {type(rng).__name__}.")
    if isinstance(max_shift, bool) or not isinstance(max_shift, (int, np.integer)) or max_shift < 0:
        raise ValueError(f"random_augment: max_shift must be a whole number of pixels >= 0; got {max_shift!r}.")
    if not (math.isfinite(max_degrees) and max_degrees >= 0):
        raise ValueError(f"random_augment: max_degrees must be a finite angle >= 0; got {max_degrees!r}.")
    stack, _ = _as_stack(images, "random_augment")
    n = len(stack)
    degrees = rng.uniform(-max_degrees, max_degrees, size=n)
    dx = rng.integers(-max_shift, max_shift + 1, size=n)
    dy = rng.integers(-max_shift, max_shift + 1, size=n)
    return transform(images, degrees=degrees, dx=dx, dy=dy)
