"""Lesson 10, section 4's pictures: the gradient norm per layer, the depth figure, the training race.
The depth explorer (a depth from 2 to 50 and a network kind) is in explorers.py."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

from course_lib.lessons.l10_when_training_goes_wrong.depth import KINDS, RaceResult

__all__ = ["plot_depth_figure", "plot_layer_gradients", "plot_race"]

#: One colour per kind, the same in every picture of the section.
COLOURS = dict(zip(KINDS, ("tab:gray", "tab:blue", "tab:red", "tab:orange", "tab:green", "tab:purple")))


def _colour(name: str) -> str:
    return COLOURS.get(name.removesuffix(" + clipping"), "black")


def plot_layer_gradients(norms: dict[str, NDArray], ax: Any, *, title: str = "") -> Any:
    """‖∂L/∂W_l‖ against the layer l (1 = the first), one line per entry of ``norms``, on a log scale."""
    for label, values in norms.items():
        shown = np.where(np.isfinite(values) & (values > 0), values, np.nan)
        ax.plot(np.arange(1, len(values) + 1), shown, "o-", ms=3, color=_colour(label), label=label)
    ax.set_yscale("log")
    ax.set_xlabel("layer l (1 = nearest the input)")
    ax.set_ylabel("gradient norm ‖∂L/∂W_l‖")
    ax.set_title(title or "The gradient each layer receives")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def plot_depth_figure(table: dict[str, NDArray], depths, ax: Any) -> Any:
    """The first layer's gradient norm against the network's depth, one line per kind, on log scales."""
    for kind, values in table.items():
        ax.plot(depths, values, "o-", color=_colour(kind), label=kind)
    ax.set_yscale("log")
    ax.set_xlabel("depth (Linear layers)")
    ax.set_ylabel("‖∂L/∂W₁‖, the first layer's gradient")
    ax.set_title("How much gradient reaches the first layer, by depth")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def plot_race(results: dict[str, RaceResult], ax_loss: Any, ax_acc: Any) -> None:
    """Left: each kind's training loss per step (the median over seeds, the band from min to max).
    Right: each kind's validation accuracy after the race, one dot per seed."""
    for i, (name, result) in enumerate(results.items()):
        steps = np.arange(1, result.losses.shape[1] + 1)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a step where every run has diverged: NaN, not drawn
            shown = np.where(result.losses < 10, result.losses, np.nan)  # a loss above 10 runs off the top
            ax_loss.plot(steps, np.nanmedian(shown, axis=0) if np.isfinite(shown).any() else shown[0],
                         color=_colour(name), ls="--" if name.endswith("clipping") else "-", label=name)
            ax_loss.fill_between(steps, np.nanmin(shown, axis=0), np.nanmax(shown, axis=0), color=_colour(name),
                                 alpha=0.2)
        ax_acc.plot(result.accuracy, np.full(len(result.accuracy), i), "o", color=_colour(name))
    ax_loss.axhline(np.log(10), color="black", lw=0.8, ls=":", label="ln 10, guessing")
    ax_loss.set_ylim(0, 4)
    ax_loss.set_xlabel("step t")
    ax_loss.set_ylabel("training loss (cross-entropy)")
    ax_loss.set_title("The race: 30-layer networks, the same steps\n"
                      "(a loss above 4, like the clipped large init's, is off the chart)", fontsize=10)
    ax_loss.legend(fontsize=7)
    ax_acc.set_yticks(range(len(results)), list(results), fontsize=8)
    ax_acc.axvline(0.1, color="black", lw=0.8, ls=":", label="chance, 0.1")
    ax_acc.set_xlim(0, 1)
    ax_acc.set_xlabel("validation accuracy after the race")
    ax_acc.set_title("One dot per seed")
    ax_acc.legend(fontsize=8)
