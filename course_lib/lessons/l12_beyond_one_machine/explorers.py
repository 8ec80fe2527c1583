"""Lesson 12's explorer: what data parallelism would buy, by section 4's model of a step's time."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.lessons.l12_beyond_one_machine.engine import step_time
from course_lib.ui.explorer import Explorer, assemble_explorer, clear_axes, log_slider, figure_view, show_figure

WORLD_SIZES = 2 ** np.arange(7)  # R = 1, 2, 4, ..., 64 processes


def cost_explorer(*, compute_ms: float = 10.0, megabytes: float = 1.0, latency_ms: float = 0.5,
                  bandwidth_gbs: float = 1.0) -> Explorer:
    """Move the computation of a step, the size of its gradients, and the all-reduce's latency α and
    bandwidth β, and see the modelled time of one step and the speed-up on R = 1 … 64 processes.

    The model is section 4's :func:`~.engine.step_time`: compute / R + (α + n/β) for R > 1. It leaves
    out that a ring's all-reduce grows a little with R (section 1: 2(R − 1)/R of the gradient per rank).

    Controls: ``compute_ms`` (one process's computation per step, ms), ``megabytes`` (the gradients,
    n), ``latency_ms`` (α), ``bandwidth_gbs`` (β, GB/s), ``reset``.
    """
    import matplotlib.pyplot as plt

    values = {"compute_ms": compute_ms, "megabytes": megabytes, "latency_ms": latency_ms, "bandwidth_gbs": bandwidth_gbs}
    for name, value in values.items():
        if not (isinstance(value, (int, float)) and np.isfinite(value) and value > 0):
            raise ValueError(f"cost_explorer: {name} must be a positive number, got {value!r}.")
    controls: dict[str, Any] = {
        "compute_ms": log_slider("computation per step on 1 process (ms)", compute_ms, -1, 4),
        "megabytes": log_slider("gradients all-reduced per step, n (MB)", megabytes, -3, 3),
        "latency_ms": log_slider("all-reduce latency α (ms)", latency_ms, -2, 2),
        "bandwidth_gbs": log_slider("all-reduce bandwidth β (GB/s)", bandwidth_gbs, -1, 2),
    }
    figure, (ax_time, ax_speed) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    plt.close(figure)
    view = figure_view()

    def redraw() -> None:
        c = {name: controls[name].value for name in values}
        compute, comm = c["compute_ms"] / 1e3, c["latency_ms"] / 1e3 + c["megabytes"] * 1e6 / (c["bandwidth_gbs"] * 1e9)
        times = step_time(compute, WORLD_SIZES, c["megabytes"] * 1e6, c["latency_ms"] / 1e3, c["bandwidth_gbs"] * 1e9)
        speed_up = times[0] / times
        clear_axes(ax_time, ax_speed)
        ax_time.loglog(WORLD_SIZES, times * 1e3, "o-", label="a step: compute / R + communication")
        ax_time.loglog(WORLD_SIZES, compute / WORLD_SIZES * 1e3, "--", label="computation alone, compute / R")
        ax_time.axhline(comm * 1e3, color="grey", linestyle=":", label=f"communication α + n/β = {comm * 1e3:.3g} ms")
        ax_time.set(title="Modelled time of one step", xlabel="processes R", ylabel="time per step (ms)")
        ax_time.legend(fontsize=8)
        ax_speed.plot(WORLD_SIZES, speed_up, "o-", label="modelled speed-up")
        ax_speed.plot(WORLD_SIZES, WORLD_SIZES, "--", color="grey", label="perfect: R times faster")
        ax_speed.set(xscale="log", yscale="log", title=f"Speed-up: at most {compute / comm:.3g}× (compute / communication)",
                     xlabel="processes R", ylabel="time on 1 process / time on R")
        ax_speed.legend(fontsize=8)
        show_figure(view, figure, relayout=False)  # powers of ten on both axes: the tick labels keep their size

    return assemble_explorer(figure, controls, redraw, view,
                             [["compute_ms", "megabytes"], ["latency_ms", "bandwidth_gbs", "reset"]])
