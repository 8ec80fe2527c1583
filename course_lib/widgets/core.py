"""What every explorer shares: the Explorer record, the redraw into an Output, and one look.

The look, so that every lesson's explorer feels the same:
- sliders are labelled with the symbol used in the text (``α``, ``β₁``, ``λ``) and, where one
  exists, a unit; learning rates and regularisation strengths use :func:`log_slider`;
- every explorer has a **reset** button (:func:`reset_button`) that restores its defaults;
- expensive redraws wait for the slider to be let go (``continuous_update=False``);
- a setting that diverges or is meaningless is reported on the plot with :func:`draw_message`,
  never by raising.
"""

from __future__ import annotations

import textwrap

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Explorer", "draw_message", "log_slider", "reset_button", "show_figure"]


@dataclass
class Explorer:
    """A displayed widget, the Figure it redraws, its named controls and the redraw function."""

    widget: Any
    figure: Any
    controls: dict[str, Any] = field(default_factory=dict)
    redraw: Callable[..., None] = lambda *_: None

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def show_figure(output: Any, figure: Any) -> None:
    """Replace what ``output`` shows with the current state of ``figure`` (only inside IPython)."""
    from IPython import get_ipython
    from IPython.display import display

    if get_ipython() is None:  # plain Python or pytest: the figure object is the state to check
        return
    with output:
        output.clear_output(wait=True)
        display(figure)


def log_slider(
    description: str, value: float, min_exp: float, max_exp: float, *, step: float = 0.1, tooltip: str = ""
) -> Any:
    """A slider moving over powers of ten, 10**min_exp .. 10**max_exp, for rates and strengths.

    ``step`` is in exponents: 0.1 moves by a factor 10**0.1 ≈ 1.26 per notch; use a smaller step
    where the lesson needs to straddle a threshold closely. Beware in tests: the slider's ``.min``
    and ``.max`` are these exponents, not values; its extreme values are ``10 ** slider.min`` and
    ``10 ** slider.max``.
    """
    import ipywidgets as widgets

    return widgets.FloatLogSlider(
        value=value, base=10, min=min_exp, max=max_exp, step=step, description=description,
        readout_format=".2g", continuous_update=False, tooltip=tooltip,
        style={"description_width": "initial"},
    )


def reset_button(controls: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> Any:
    """A button that puts every control back to its value at creation (or to ``defaults``)."""
    import ipywidgets as widgets

    start = dict(defaults) if defaults is not None else {name: c.value for name, c in controls.items() if hasattr(c, "value")}
    button = widgets.Button(description="reset", tooltip="back to the starting values", icon="undo")

    def reset(_: Any) -> None:
        for name, value in start.items():
            controls[name].value = value

    button.on_click(reset)
    return button


def draw_message(
    ax: Any, text: str, *, color: str = "crimson", x: float = 0.5, y: float = 0.5, width: int = 48
) -> Any:
    """Write a warning on ``ax`` (e.g. "diverged: the loss reached 1e+12"), above everything else.

    ``x`` and ``y`` place its centre in axes coordinates (0..1); the middle by default. Lines
    longer than ``width`` characters are wrapped, so the message stays inside the plot.
    """
    wrapped = "\n".join(textwrap.fill(line, width) for line in text.splitlines())
    return ax.text(
        x, y, wrapped, transform=ax.transAxes, ha="center", va="center", fontsize=11, color=color,
        zorder=10, bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": color, "alpha": 0.9},
    )
