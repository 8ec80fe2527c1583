"""course_lib.ui.plots: the shared pure helpers draw what they say, with titles and labels."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_lib.data import load_mnist, make_moons, make_polynomial_regression
from course_lib.ui.plots import plot_dataset, plot_digit_grid, plot_label_counts


def test_digit_grid_captions_every_digit():
    X, y = load_mnist("test")
    ax = plot_digit_grid(X[:12], y[:12], ncols=5)
    assert [t.get_text() for t in ax.texts] == [str(label) for label in y[:12]]
    image = ax.get_images()[0].get_array()
    assert image.shape == (3 * 34, 5 * 30)
    assert ax.get_title()


def test_digit_grid_marks_wrong_predictions_red():
    X, y = load_mnist("test", flatten=False)
    predictions = y[:4].copy()
    predictions[1] = (predictions[1] + 1) % 10
    ax = plot_digit_grid(X[:4], y[:4], predictions=predictions)
    colours = [t.get_color() for t in ax.texts]
    assert colours[1] == "crimson" and colours.count("crimson") == 1


@pytest.mark.parametrize("images", [np.zeros((3, 10)), np.zeros((0, 784))])
def test_digit_grid_refuses_non_mnist_shapes(images):
    with pytest.raises(ValueError, match="28 x 28"):
        plot_digit_grid(images, np.zeros(len(images), int))


def test_label_counts_are_percentages_per_split():
    y_train = np.array([0, 0, 1, 1])
    y_test = np.array([2])
    ax = plot_label_counts({"train": y_train, "test": y_test})
    heights = [p.get_height() for p in ax.patches]
    assert heights[:3] == [50.0, 50.0, 0.0] and heights[10 + 2] == 100.0
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train (4 images)", "test (1 images)"]


def test_dataset_scatter_for_both_kinds():
    _, (ax1, ax2) = plt.subplots(1, 2)
    plot_dataset(*make_moons(50, seed=0), ax=ax1, title="moons")
    assert len(ax1.collections) == 2 and ax1.get_title() == "moons"
    plot_dataset(*make_polynomial_regression(20, seed=0), ax=ax2)
    assert len(ax2.collections) == 1 and ax2.get_xlabel() == "$x$"
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plot_dataset(np.zeros((5, 3)), np.zeros(5, int))
