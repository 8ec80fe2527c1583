"""Lesson 00's figure: the network the course builds, and the loop that trains it."""

from __future__ import annotations

import itertools

import numpy as np
from matplotlib.axes import Axes

__all__ = ["plot_network", "plot_training_loop", "plot_training_steps"]

_LAYERS = (("input x\n784 pixels", 6), ("hidden layer\n(weights, bias,\nactivation)", 5), ("output ŷ\n10 scores", 4))
_STEPS = (
    ("forward", "ŷ = network(x)\nthe prediction"),
    ("loss", "L(ŷ, y)\nhow wrong it is"),
    ("backward", "∂L/∂w for every weight w\n(the gradient)"),
    ("step", "w ← w − η · ∂L/∂w\n(η: the learning rate)"),
)


def plot_network(ax: Axes | None = None) -> Axes:
    """A small drawing of a fully connected network: 784 inputs, one hidden layer, 10 outputs (a few drawn of each)."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    xs = np.linspace(0.0, 1.0, len(_LAYERS))
    columns = []
    for x, (label, shown) in zip(xs, _LAYERS):
        ys = np.linspace(0.15, 0.85, shown)
        columns.append([(x, y) for y in ys])
        ax.text(x, 0.02, label, ha="center", va="top", fontsize=9)
    for left, right in itertools.pairwise(columns):
        for x0, y0 in left:
            for x1, y1 in right:
                ax.plot([x0, x1], [y0, y1], color="0.75", linewidth=0.6, zorder=1)
    for column, colour in zip(columns, ("tab:blue", "tab:orange", "tab:green")):
        ax.scatter(*zip(*column), s=180, color=colour, edgecolor="k", zorder=2)
    ax.text(0.5, 0.97, "each line is one weight w", ha="center", fontsize=9, color="0.3")
    ax.set(title="The network: numbers in, weighted sums, numbers out", xlim=(-0.2, 1.2), ylim=(-0.25, 1.02),
           xlabel="data flows left to right (forward)")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def plot_training_steps(ax: Axes | None = None) -> Axes:
    """The training loop as a cycle: forward → loss → backward → step, once per mini-batch."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    angles = np.pi / 2 - np.arange(len(_STEPS)) * np.pi / 2  # top, right, bottom, left: clockwise
    radii = np.array([1.0, 0.68])  # an ellipse, wider than tall, so the four boxes do not touch
    centres = np.c_[np.cos(angles), np.sin(angles)] * radii
    for (name, detail), (x, y) in zip(_STEPS, centres):
        ax.text(x, y, f"{name}\n{detail}", ha="center", va="center", fontsize=9,
                bbox={"boxstyle": "round,pad=0.4", "facecolor": "white", "edgecolor": "tab:blue"})
    for k in range(len(_STEPS)):
        a, b = angles[k] - 0.45, angles[(k + 1) % len(_STEPS)] + 0.45
        start, end = np.array([np.cos(a), np.sin(a)]) * radii, np.array([np.cos(b), np.sin(b)]) * radii
        ax.annotate("", xy=end, xytext=start,
                    arrowprops={"arrowstyle": "->", "color": "tab:blue", "connectionstyle": "arc3,rad=-0.25"})
    ax.text(0, 0, "one turn\nper mini-batch", ha="center", va="center", fontsize=9, color="0.3")
    ax.set(title="The training loop: repeated for every mini-batch", xlim=(-1.6, 1.6), ylim=(-0.95, 0.95),
           xlabel="one turn of the loop = one step of training")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def plot_training_loop(axes: tuple[Axes, Axes] | None = None) -> tuple[Axes, Axes]:
    """Both pictures side by side: the network (left) and the loop that trains it (right)."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained", width_ratios=[1, 1.1])
    return plot_network(axes[0]), plot_training_steps(axes[1])
