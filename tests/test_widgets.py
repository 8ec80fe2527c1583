"""course_lib.widgets without a browser: moving a control redraws the figure."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.data import load_mnist
from course_lib.widgets import digit_browser


@pytest.fixture(scope="module")
def test_set():
    return load_mnist("test")


def test_digit_browser_redraws_for_every_position(test_set):
    X, y = test_set
    explorer = digit_browser(X, y)
    ax_img, ax_row = explorer.figure.axes
    slider = explorer.controls["index"]
    assert ax_img.get_title() == f"image 0: label {y[0]}"
    for i in (slider.max, slider.min, 1234):  # the extremes of the slider, then a middle value
        slider.value = i
        assert ax_img.get_title() == f"image {i}: label {y[i]}"
        np.testing.assert_array_equal(ax_img.get_images()[0].get_array(), X[i].reshape(28, 28))
        np.testing.assert_array_equal(ax_row.get_lines()[0].get_ydata(), X[i])
    assert slider.max == len(X) - 1


def test_digit_browser_reset_returns_to_start(test_set):
    X, y = test_set
    explorer = digit_browser(X, y, start=5)
    explorer.controls["index"].value = 77
    explorer.controls["reset"].click()
    assert explorer.controls["index"].value == 5
    assert explorer.figure.axes[0].get_title().startswith("image 5:")


def test_digit_browser_displays_as_its_widget(test_set):
    X, y = test_set
    explorer = digit_browser(X[:3], y[:3])
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_digit_browser_refuses_bad_input(test_set):
    X, y = test_set
    with pytest.raises(ValueError, match=r"\(N, 784\)"):
        digit_browser(np.zeros((4, 10)), y[:4])
    with pytest.raises(ValueError, match="one label per image"):
        digit_browser(X[:4], y[:3])
    with pytest.raises(ValueError, match="start must index an image"):
        digit_browser(X[:4], y[:4], start=4)
