"""Lesson 10's training-health dashboard: one figure that reads a :class:`HealthMonitor`, and its explorer.

:func:`monitored_run` trains a small MLP on an MNIST subset, the NumPy twin or the torch twin (the
same starting weights, the same batches), under a :class:`HealthMonitor`, and returns the monitor.
:func:`plot_dashboard` draws what the monitor recorded, six panels:

1. the loss at each step (log scale), with the step of the first NaN or inf marked;
2. and 3. histograms of one layer's outputs and of the gradients ∂L/∂y that reached them, at the
   last step (the monitor keeps a sample of the last step only);
4. the fraction of dead units (ReLU: 0 for every example of the batch) or saturated units (sigmoid,
   tanh: within 0.01 of a bound) of each activation layer, at one step;
5. the update/weight ratio ‖ΔW‖/‖W‖ of each layer with a weight, step by step, on a log scale, with
   the useful band 1e-4 to 1e-2 around the rule of thumb 1e-3 shaded;
6. one more metric of every layer, step by step (the gradient norm ‖∂L/∂y‖ by default).

Where the monitor saw a NaN or inf, the figure says where: the step, the layer and the direction.
:func:`~.explorers.dashboard_explorer` puts the same figure under three controls (the layer of the histograms,
the metric of panel 6, the last step shown). The figure holds no maths: the numbers are the monitor's.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numpy.typing import NDArray

from course_lib.lessons.l10_when_training_goes_wrong.health import HealthMonitor
from course_lib.ui.explorer import draw_message

__all__ = ["HEALTHY_RATIO", "METRIC_LABELS", "PANELS_OF", "mnist_subset", "monitored_run", "plot_dashboard"]

#: The band of update/weight ratios read as healthy: a decade either side of the rule of thumb 1e-3.
HEALTHY_RATIO = (1e-4, 1e-2)
#: What panel 6 can show, with the words on its axis.
METRIC_LABELS = {"grad": "‖∂L/∂y‖, gradient reaching the layer", "std": "std of the layer's outputs",
                 "mean": "mean of the layer's outputs", "dead": "fraction of dead units",
                 "saturated": "fraction of saturated units"}


@functools.lru_cache(maxsize=4)
def mnist_subset(n: int = 2000) -> tuple[NDArray, NDArray]:
    """The first ``n`` MNIST training images, standardised (float32, (n, 784)), and their labels."""
    from course_lib.data import load_mnist

    X, y = load_mnist("train", normalize="standard")
    return X[:n], y[:n]


def monitored_run(*, library: str = "numpy", sizes: tuple[int, ...] = (784, 64, 32, 10), activation: str = "relu",
                  optimizer: str = "SGD", lr: float = 0.05, eps: float = 1e-8, clip: float | None = None,
                  steps: int = 100, batch_size: int = 64, n_train: int = 2000, nan_pixel_at: int | None = None,
                  seed: int = 0) -> HealthMonitor:
    """Train an MLP on MNIST under a :class:`HealthMonitor` and return the monitor (its hooks removed).

    The torch twin (``library="torch"``) starts from the NumPy twin's weights and sees the same
    batches, so the two monitors tell the same story up to float32 rounding.

    Args:
        library: ``"numpy"`` (``numpy_nn``) or ``"torch"`` (``torch_nn``); float32 either way.
        sizes, activation: the MLP's layer sizes and hidden activation.
        optimizer: ``"SGD"`` (plain) or ``"Adam"``, with learning rate ``lr`` (and ``eps`` for Adam).
        clip: clip the gradients' joint norm to this before each step (lesson 06); None: no clipping.
        steps, batch_size: how many steps, on batches of how many images drawn from ``n_train``.
        nan_pixel_at: the step at which one pixel of the batch is NaN (bad data); None: clean data.
        seed: the weights' and the batches' random seed.
    """
    from course_lib.numpy_nn.losses import CrossEntropyLoss
    from course_lib.numpy_nn.models import MLP
    from course_lib.numpy_nn.optimizers import SGD, Adam
    from course_lib.numpy_nn.regularization import clip_grad_norm_

    if library not in ("numpy", "torch") or optimizer not in ("SGD", "Adam"):
        raise ValueError(f"monitored_run: library must be 'numpy' or 'torch' and optimizer 'SGD' or 'Adam'; got "
                         f"{library!r} and {optimizer!r}.")
    X, y = mnist_subset(n_train)
    rng = np.random.default_rng(seed)
    model = MLP(sizes, activation=activation, rng=rng).astype(np.float32)
    batches = [rng.integers(0, len(X), batch_size) for _ in range(steps)]
    if library == "torch":
        return _torch_run(model, X, y, batches, optimizer, lr, eps, clip, nan_pixel_at)
    loss_fn = CrossEntropyLoss()
    opt = SGD(model.parameters(), lr=lr) if optimizer == "SGD" else Adam(model.parameters(), lr=lr, eps=eps)
    with HealthMonitor(model) as monitor, np.errstate(all="ignore"):  # a broken run's overflows are the point
        for t, batch in enumerate(batches):
            xb = _broken(X[batch], t == nan_pixel_at)
            opt.zero_grad()
            loss = loss_fn(model(xb), y[batch])
            model.backward(loss_fn.backward())
            if clip is not None:
                clip_grad_norm_(model.parameters(), clip)
            monitor.step(opt, loss)
    return monitor


def _broken(xb: NDArray, bad: bool) -> NDArray:
    if bad:
        xb = xb.copy()
        xb[0, 14 * 28 + 14] = np.nan  # one pixel in the middle of the first image
    return xb


def _torch_run(np_model: Any, X: NDArray, y: NDArray, batches: list[NDArray], optimizer: str, lr: float, eps: float,
               clip: float | None, nan_pixel_at: int | None) -> HealthMonitor:
    import torch

    from course_lib.torch_nn.models import MLP, copy_weights_numpy_to_torch

    activation = {"ReLU": "relu", "Tanh": "tanh", "Sigmoid": "sigmoid"}[type(np_model[1]).__name__]
    model = copy_weights_numpy_to_torch(np_model, MLP(np_model.sizes, activation=activation))
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = (torch.optim.SGD(model.parameters(), lr=lr) if optimizer == "SGD"
           else torch.optim.Adam(model.parameters(), lr=lr, eps=eps))
    with HealthMonitor(model) as monitor:
        for t, batch in enumerate(batches):
            xb = torch.from_numpy(_broken(X[batch], t == nan_pixel_at))
            opt.zero_grad()
            loss = loss_fn(model(xb), torch.from_numpy(y[batch]))
            loss.backward()
            if clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            monitor.step(opt, loss)
    return monitor


# ---- the figure ----------------------------------------------------------------------------------


def _layers_with(monitor: HealthMonitor, metric: str) -> list[str]:
    return [n for n in monitor.names if not np.all(np.isnan(monitor.history[n][metric]))]


def _finite(values: NDArray) -> NDArray:
    values = np.asarray(values, dtype=float)
    return values[np.isfinite(values)]


def _histogram(ax: Any, values: NDArray | None, title: str, xlabel: str, color: str) -> None:
    ax.set(title=title, xlabel=xlabel, ylabel="count (last step's sample)")
    finite = _finite(values) if values is not None else np.array([])
    if finite.size == 0:
        draw_message(ax, "no finite values to show" if values is not None else "not recorded for this layer",
                     color="0.4")
        return
    ax.hist(finite, bins=40, histtype="stepfilled", color=color, alpha=0.8, label=f"{finite.size} values")  # one polygon, not 40 bars
    if finite.size < np.size(values):
        ax.text(0.98, 0.95, f"{np.size(values) - finite.size} NaN or inf left out", transform=ax.transAxes,
                ha="right", va="top", color="crimson", fontsize=9)
    ax.legend(loc="upper left", fontsize=8)


#: The panels of :func:`plot_dashboard` that each of its arguments changes (the histograms show the last step only).
PANELS_OF = {"layer": (1, 2), "metric": (5,), "upto": (0, 3, 4, 5)}


def plot_dashboard(monitor: HealthMonitor, *, layer: str | None = None, metric: str = "grad",
                   upto: int | None = None, figure: Any = None, title: str | None = None,
                   panels: tuple[int, ...] = (0, 1, 2, 3, 4, 5)) -> Any:
    """Draw the six panels of the module's docstring from ``monitor``; returns the Figure.

    Args:
        monitor: a :class:`HealthMonitor` that has recorded at least one step.
        layer: the layer whose outputs and gradients the histograms show (default: the last activation).
        metric: the per-layer metric of panel 6, one of :data:`METRIC_LABELS`.
        upto: show steps 0..upto only (default: all); the dead/saturated bars are at step ``upto``.
        figure: a Figure with 6 Axes to draw into (an explorer's); None makes a new one.
        title: the figure's title (default: says how many steps and where the first NaN or inf was).
        panels: which panels to draw, numbered from 0 (an explorer redraws those :data:`PANELS_OF` its
            changed control; the others, and the title, stay as they are).
    """
    if metric not in METRIC_LABELS:
        raise ValueError(f"plot_dashboard: metric must be one of {', '.join(METRIC_LABELS)}; got {metric!r}.")
    if monitor.steps == 0:
        raise ValueError("plot_dashboard: the monitor has recorded no step yet; train with monitor.step(...) first.")
    if figure is None:
        from matplotlib.figure import Figure

        figure = Figure(figsize=(12, 6.6), layout="constrained")
        figure.subplots(2, 3)
    activations = [n for n in monitor.names if n.split()[-1] not in ("Linear",)]
    layer = layer if layer is not None else (activations or monitor.names)[-1]
    if layer not in monitor.names:
        raise ValueError(f"plot_dashboard: layer must be one of {monitor.names}; got {layer!r}.")
    last = monitor.steps - 1 if upto is None else int(np.clip(upto, 0, monitor.steps - 1))
    axes = figure.axes[:6]
    if 0 in panels:
        _plot_loss(axes[0], monitor, last)
    if 1 in panels:
        _histogram(axes[1], monitor.values.get(layer), f"2. Outputs of {layer}", "output value y", "tab:green")
    if 2 in panels:
        _histogram(axes[2], monitor.grads.get(layer), f"3. Gradients ∂L/∂y at {layer}", "gradient value", "tab:purple")
    if 3 in panels:
        _plot_units(axes[3], monitor, last)
    if 4 in panels:
        _plot_ratio(axes[4], monitor, last)
    if 5 in panels:
        _plot_metric(axes[5], monitor, metric, last)
    if title is None:
        bad = monitor.first_nonfinite
        title = f"Training health over {monitor.steps} steps: {'no NaN or inf' if bad is None else bad}"
    if figure.get_suptitle() != title:
        figure.suptitle(title, color="crimson" if monitor.first_nonfinite is not None else "black")
    return figure


def _plot_loss(ax: Any, monitor: HealthMonitor, last: int) -> None:
    """Panel 1: the loss at steps 0..last (log scale), and the first NaN or inf if the monitor saw one."""
    bad = monitor.first_nonfinite
    losses = np.asarray(monitor.losses[: last + 1], dtype=float)
    ax.plot(np.arange(last + 1), np.where(np.isfinite(losses), losses, np.nan), color="tab:blue", label="training loss")
    ax.set(title="1. Loss per step", xlabel="step t", ylabel="loss (log scale)", yscale="log")
    _whole_run(ax, [monitor.losses], log=True)
    if bad is not None and bad.step <= last:
        ax.axvline(bad.step, color="crimson", linestyle="--", label=f"first NaN/inf (step {bad.step})")
    ax.legend(loc="upper right", fontsize=8)
    if bad is not None:
        draw_message(ax, str(bad), y=0.25, width=36)


def _whole_run(ax: Any, series: list[Any], *, log: bool) -> None:
    """Frame ``ax`` on the whole run, whatever part of it is drawn: moving ``upto`` draws more or less of the
    curves on axes that stay where they are (and are redrawn from the last picture, ui.layer_cache)."""
    for values in series:
        values = np.asarray(values, dtype=float)
        shown = np.isfinite(values) & (values > 0 if log else True)
        if shown.any():
            ax.update_datalim(np.column_stack([np.flatnonzero(shown), values[shown]]))
    ax.autoscale_view()


def _plot_units(ax: Any, monitor: HealthMonitor, last: int) -> None:
    """Panel 4: the fraction of dead (ReLU) or saturated (sigmoid, tanh) units of each activation layer at ``last``."""
    history = monitor.history
    units = [(n, "dead" if not np.isnan(history[n]["dead"][last]) else "saturated") for n in monitor.names
             if not (np.isnan(history[n]["dead"][last]) and np.isnan(history[n]["saturated"][last]))]
    ax.set(title=f"4. Dead or saturated units at step {last}", xlabel="activation layer",
           ylabel="fraction of units", ylim=(0, 1.05))
    if units:
        fractions = [history[n][kind][last] for n, kind in units]
        colors = ["tab:red" if kind == "dead" else "tab:orange" for _, kind in units]
        ax.bar(np.arange(len(units)), fractions, color=colors)  # numbered bars: no category axis to reset
        ax.set_xticks(np.arange(len(units)), [f"{n}\n({kind})" for n, kind in units])
    else:
        draw_message(ax, "no ReLU, sigmoid or tanh layer", color="0.4")


def _plot_ratio(ax: Any, monitor: HealthMonitor, last: int) -> None:
    """Panel 5: the update/weight ratio of each layer with a weight, steps 0..last, over the useful band."""
    ax.axhspan(*HEALTHY_RATIO, color="tab:green", alpha=0.12, label="useful band (1e-4 to 1e-2)")
    ax.axhline(1e-3, color="tab:green", linestyle=":", linewidth=1)
    for name in _layers_with(monitor, "update_ratio"):
        ratio = np.asarray(monitor.history[name]["update_ratio"][: last + 1], dtype=float)
        ax.plot(np.arange(last + 1), np.where(ratio > 0, ratio, np.nan), label=name)
    ax.set(title="5. Update/weight ratio ‖ΔW‖/‖W‖", xlabel="step t", ylabel="ratio (log scale)", yscale="log")
    ax.relim()  # after clear_axes, a band across the axes would keep the steps of the last draw as x limits
    _whole_run(ax, [monitor.history[name]["update_ratio"] for name in _layers_with(monitor, "update_ratio")], log=True)
    ax.legend(loc="upper right", fontsize=8)


def _plot_metric(ax: Any, monitor: HealthMonitor, metric: str, last: int) -> None:
    """Panel 6: ``metric`` of every layer that has it, steps 0..last (log scale for a norm or a spread)."""
    named = _layers_with(monitor, metric)
    for name in named:
        series = np.asarray(monitor.history[name][metric][: last + 1], dtype=float)
        ax.plot(np.arange(last + 1), np.where(np.isfinite(series), series, np.nan), label=name)
    log = metric in ("grad", "std") and any(np.nanmin(_finite(monitor.history[n][metric]), initial=np.inf) > 0
                                            for n in named)
    ax.set(title=f"6. Per layer: {metric}", xlabel="step t", ylabel=METRIC_LABELS[metric],
           yscale="log" if log else "linear")
    _whole_run(ax, [monitor.history[name][metric] for name in named], log=log)
    if named:
        ax.legend(loc="upper right", fontsize=7, ncol=2)
    else:
        draw_message(ax, f"no layer has a '{metric}' value", color="0.4")
