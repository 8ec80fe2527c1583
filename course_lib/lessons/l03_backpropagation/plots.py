"""Lesson 03's figures: a computational graph with its values and gradients, and finite differences.

Pure helpers ``(data, ax=None, ...) -> Axes``, used by the notebook and by the explorers alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from course_lib.lessons.l03_backpropagation.graph import Graph, ScalarFunction, finite_difference
from course_lib.ui.plots import axes_or_current

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["draw_graph", "graph_layout", "plot_secant", "plot_step_size_errors", "plot_tangent"]

_INPUT_COLOR = "#dbe9f6"
_OP_COLOR = "#fdf0d5"
_GRAD_COLOR = "#c0392b"


def graph_layout(graph: Graph) -> dict[str, tuple[float, float]]:
    """Where :func:`draw_graph` puts each node: ``{name: (column, row)}``, computation left to right.

    An operation sits one column right of its furthest input, at the mean height of its inputs.
    An input sits one column left of the first node that reads it, just below the inputs that
    node already has in place, so that the main chain runs straight and side inputs hang below it.
    """
    column: dict[str, float] = {}
    for node in graph.nodes:
        if node.op != "input":
            column[node.name] = 1 + max(column.get(i, -1) for i in node.inputs)
    for node in graph.nodes:  # an input's column: just left of the first node reading it
        if node.op == "input":
            readers = [column[n.name] for n in graph.nodes if node.name in n.inputs]
            column[node.name] = min(readers) - 1 if readers else 0

    row: dict[str, float] = {}

    def free(name: str, y: float) -> float:
        while any(column[other] == column[name] and abs(y - oy) < 0.8 for other, oy in row.items()):
            y -= 1.0
        return y

    for node in graph.nodes:
        if node.op == "input":
            continue
        placed = [row[i] for i in node.inputs if i in row]
        for i in dict.fromkeys(node.inputs):
            if i not in row:
                row[i] = free(i, min(placed) - 1.0 if placed else 0.0)
                placed.append(row[i])
        row[node.name] = free(node.name, float(np.mean([row[i] for i in node.inputs])))
    for node in graph.nodes:  # inputs nothing reads (or a graph that is a single input)
        if node.name not in row:
            row[node.name] = free(node.name, 0.0)
    first = min(column.values())  # number the columns from 0
    return {name: (column[name] - first, row[name]) for name in column}


#: The ``gid`` of the artists that draw a graph's arrows: they change only with the graph's shape.
ARROW_GID = "graph-arrow"


def draw_graph(
    graph: Graph, ax: "Axes | None" = None, *, show_grads: bool = True, title: str | None = None, arrows: bool = True
) -> "Axes":
    """Draw a scalar computational graph: one box per node, arrows in the direction of computation.

    Each box shows what the node computes and its forward value; with ``show_grads`` (and after
    ``graph.backward()``) also its gradient, in red, and each arrow is labelled with the local
    derivative ∂(node)/∂(input) that the chain rule multiplies by on the way back.

    Args:
        graph: a :class:`~course_lib.lessons.l03_backpropagation.graph.Graph`, after ``graph.forward(...)``.
        ax: where to draw (default: the current Axes).
        show_grads: show the gradients and local derivatives (only once backward has run).
        title: the title; by default it names the output.
        arrows: draw the arrows (tagged with ``gid`` :data:`ARROW_GID`); off for an explorer that keeps
            those of its last redraw of the same graph.

    Returns:
        The Axes.
    """
    from matplotlib.patches import Patch

    ax = axes_or_current(ax)
    pos = graph_layout(graph)
    have_grads = show_grads and not any(np.isnan(node.grad) for node in graph.nodes)
    ax.set_axis_off()

    for node in graph.nodes:
        x, y = pos[node.name]
        if node.op == "input":
            text = f"{node.name} = {node.value:.3g}"
        else:
            text = f"{node.name} = {graph.formula(node.name)}\n= {node.value:.3g}"
        ax.text(x, y, text, ha="center", va="center", fontsize=10, zorder=3,
                bbox={"boxstyle": "round,pad=0.4", "facecolor": _INPUT_COLOR if node.op == "input" else _OP_COLOR,
                      "edgecolor": "0.4"})
        if have_grads:
            ax.text(x, y - 0.36, f"∂{graph.output.name}/∂{node.name} = {node.grad:.3g}", ha="center", va="top",
                    fontsize=9, color=_GRAD_COLOR, zorder=3)

    edges = [(source, node.name) for node in graph.nodes for source in dict.fromkeys(node.inputs)]
    top = max(p[1] for p in pos.values())
    lanes = 0
    for source, target in edges:
        (x0, y0), (x1, y1) = pos[source], pos[target]
        local = graph.local_gradients(target).get(source) if have_grads else None
        arrow = {"arrowstyle": "-|>", "color": "0.35", "shrinkA": 26, "shrinkB": 30}
        if x1 - x0 <= 1:
            if arrows:
                ax.annotate("", xy=(x1, y1), xytext=(x0, y0), zorder=1, arrowprops=arrow, gid=ARROW_GID)
            label_at = ((x0 + x1) / 2, (y0 + y1) / 2 + 0.08)
        else:  # an arrow that skips a column runs above every node, so it crosses none of them
            lanes += 1
            lane = top + 0.55 * lanes
            if arrows:
                ax.annotate("", xy=(x0, lane), xytext=(x0, y0), zorder=1, gid=ARROW_GID,
                            arrowprops={**arrow, "arrowstyle": "-", "shrinkA": 12, "shrinkB": 0})
                ax.plot([x0, x1], [lane, lane], color="0.35", linewidth=1, zorder=1, gid=ARROW_GID)
                ax.annotate("", xy=(x1, y1), xytext=(x1, lane), zorder=1, gid=ARROW_GID,
                            arrowprops={**arrow, "shrinkA": 0, "shrinkB": 20})
            label_at = ((x0 + x1) / 2, lane + 0.05)
        if local is not None:
            ax.text(*label_at, f"{local:.3g}", ha="center", va="bottom", fontsize=8, color=_GRAD_COLOR, zorder=2,
                    bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})

    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 0.9, top + 0.55 * lanes + 0.5)
    if title is None:
        title = f"{graph.output.name} = {graph.output.value:.4g}"
        title += ": forward values and gradients" if have_grads else ": forward values"
    ax.set_title(title)
    handles = [Patch(facecolor=_INPUT_COLOR, edgecolor="0.4", label="input"),
               Patch(facecolor=_OP_COLOR, edgecolor="0.4", label="operation")]
    if have_grads:
        handles.append(Patch(facecolor="white", edgecolor=_GRAD_COLOR,
                             label=f"red: gradient ∂{graph.output.name}/∂node; on arrows: local derivative"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(handles), fontsize=8,
              frameon=False)
    return ax


def plot_step_size_errors(
    hs: NDArray,
    errors: Mapping[str, NDArray],
    ax: "Axes | None" = None,
    *,
    model: Mapping[str, NDArray] | None = None,
    mark: tuple[float, float] | None = None,
    threshold: float | None = 1e-7,
    title: str = "Error of a finite-difference derivative against the step h",
) -> "Axes":
    """Relative errors of numerical derivatives against the step h, on log-log axes.

    Args:
        hs: the steps.
        errors: ``{label: relative errors}``, one line each (e.g. central and forward differences).
            Errors that are exactly 0 cannot sit on a log axis and are left out (gaps in the line).
        ax: where to draw.
        model: ``{label: predicted errors}``, drawn dashed (e.g. the truncation and round-off terms
            of :func:`~course_lib.lessons.l03_backpropagation.graph.error_model`).
        mark: an ``(h, error)`` point to highlight, e.g. the explorer's current step.
        threshold: a dotted horizontal line: the relative error a gradient check accepts.
        title: the title.

    Returns:
        The Axes.
    """
    ax = axes_or_current(ax)
    hs = np.asarray(hs, dtype=np.float64)
    for label, err in errors.items():
        err = np.asarray(err, dtype=np.float64)
        ax.loglog(hs, np.where(err > 0, err, np.nan), marker="o", markersize=3, label=label)
    for label, err in (model or {}).items():
        err = np.asarray(err, dtype=np.float64)
        ax.loglog(hs, np.where(err > 0, err, np.nan), linestyle="--", linewidth=1.2, label=label)
    if threshold is not None:
        ax.axhline(threshold, color="0.5", linestyle=":", linewidth=1, label=f"relative error {threshold:.0e}")
    if mark is not None:
        ax.loglog([mark[0]], [max(mark[1], 1e-17)], marker="*", markersize=16, color="crimson",
                  linestyle="none", label=f"h = {mark[0]:.1e}: error {mark[1]:.1e}", zorder=5)
    measured = np.concatenate([np.ravel(e) for e in errors.values()]) if errors else np.array([])
    measured = measured[np.isfinite(measured) & (measured > 0)]
    if measured.size:  # keep the model's lines from stretching the axis far below anything measured
        ax.set_ylim(max(1e-17, measured.min() / 30), measured.max() * 10)
    ax.set(xlabel="step h", ylabel="relative error  |numerical − exact| / (|numerical| + |exact|)", title=title)
    ax.legend(fontsize=8, loc="best")
    return ax


def plot_secant(
    fn: ScalarFunction, h: float, ax: "Axes | None" = None, *, scheme: str = "central", half_width: float = 1.5
) -> "Axes":
    """What a finite difference measures: the slope of a secant, beside the tangent at x0.

    The central difference's secant runs through x0 − h and x0 + h; the forward one's through x0
    and x0 + h.

    Args:
        fn: a :class:`~course_lib.lessons.l03_backpropagation.graph.ScalarFunction` (its f, f' and point x0 are used).
        h: the step.
        ax: where to draw.
        scheme: ``"central"`` or ``"forward"``.
        half_width: the plot shows x0 ± half_width.

    Returns:
        The Axes.
    """
    ax = axes_or_current(ax)
    x0 = fn.x0
    xs = np.linspace(x0 - half_width, x0 + half_width, 200)
    exact = float(fn.df(x0))
    secant = finite_difference(fn, h, scheme=scheme)
    ends = np.array([x0 - h, x0 + h]) if scheme == "central" else np.array([x0, x0 + h])
    f0 = float(fn.f(x0))
    ax.plot(xs, fn.f(xs), color="0.2", label=f"f(x) = {fn.label.split(' at ')[0]}")
    ax.plot(xs, f0 + exact * (xs - x0), color="tab:green", label=f"tangent, slope f'(x0) = {exact:.6f}")
    ax.plot(xs, f0 + secant * (xs - x0), color="crimson", linestyle="--",
            label=f"secant through {'x0 ± h' if scheme == 'central' else 'x0 and x0 + h'}, slope {secant:.6f}")
    if h <= half_width:
        ax.plot(ends, fn.f(ends), "o", color="crimson", markersize=5)
    ax.plot([x0], [f0], "o", color="tab:green", markersize=5)
    ax.set(xlabel="x", ylabel="f(x)", title=f"{fn.label}, h = {h:.1e}")
    ys = fn.f(xs)
    pad = 0.15 * (np.max(ys) - np.min(ys))
    ax.set_ylim(np.min(ys) - pad, np.max(ys) + pad)
    ax.legend(fontsize=8, loc="best")
    return ax


def plot_tangent(
    values: NDArray, outputs: NDArray, at: float, value: float, slope: float, ax: "Axes | None" = None,
    *, xlabel: str = "w", ylabel: str = "L", title: str | None = None,
) -> "Axes":
    """A function of one input, the point (at, value), and the tangent there with the given slope.

    The slope is what backpropagation computes (∂L/∂w); the tangent shows that it is the slope of
    the curve, and which way gradient descent steps (against it).

    Args:
        values: the input's values (x axis), increasing.
        outputs: the function at each value.
        at: the current input.
        value: the function at ``at``.
        slope: the derivative at ``at``.
        ax: where to draw.
        xlabel, ylabel: the names of the input and of the output.
        title: the title (default names the slope).

    Returns:
        The Axes.
    """
    ax = axes_or_current(ax)
    values, outputs = np.asarray(values, dtype=np.float64), np.asarray(outputs, dtype=np.float64)
    y_at = float(value)
    span = 0.15 * (values[-1] - values[0])
    ax.plot(values, outputs, color="0.2", label=f"{ylabel} as a function of {xlabel}")
    ax.plot([at - span, at + span], [y_at - slope * span, y_at + slope * span], color=_GRAD_COLOR,
            linewidth=2, label=f"tangent, slope ∂{ylabel}/∂{xlabel} = {slope:.3g}")
    ax.plot([at], [y_at], "o", color=_GRAD_COLOR)
    pad = 0.1 * max(np.ptp(outputs), 1e-3)
    ax.set_ylim(outputs.min() - pad, outputs.max() + pad)
    ax.set_xlim(values[0], values[-1])
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title or f"slope of {ylabel} at {xlabel} = {at:.2f}")
    # Below the plot: a sigmoid-shaped curve leaves no free corner, and the middle is for messages.
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1, frameon=False)
    return ax
