"""Pure plot helpers: each takes data (and optionally an Axes), draws, and returns the Axes.

``core`` holds the helpers every lesson uses; each lesson's own figures live in a module named
after its topic (``course_lib.plotting.gradient_descent``, ...).
"""

from course_lib.plotting.core import plot_dataset, plot_digit_grid, plot_history, plot_label_counts, plot_metric

__all__ = ["plot_dataset", "plot_digit_grid", "plot_history", "plot_label_counts", "plot_metric"]
