"""Lesson 09's explorer: train a small MLP on a fixed MNIST subset from sliders, and compare the runs.

Training starts only when **train** is pressed, never when a slider moves, so dragging a slider
queues nothing. While a run trains the button is disabled and a progress bar advances step by
step; when it ends, the curves are redrawn and the run is added to a comparison table (newest
first, the best run highlighted). Every computation is a library call:
:func:`course_lib.lessons.l09_hyperparameter_exploration.tuning.train_trial` trains, :func:`course_lib.lessons.l09_hyperparameter_exploration.plots.plot_run`
draws, :class:`course_lib.lessons.l09_hyperparameter_exploration.tuning.ResultsTable` makes the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from course_lib.lessons.l09_hyperparameter_exploration.tuning import (
    DEFAULT_HYPERPARAMETERS, ResultsTable, Subset, Trial, load_subset, setting, train_trial,
)
from course_lib.lessons.l09_hyperparameter_exploration.plots import plot_run
from course_lib.recipes import Recipe
from course_lib.ui.explorer import (
    SLIDER, Explorer, draw_message, explorer_layout, log_slider, reset_button, figure_view, show_figure,
)

__all__ = ["BATCH_SIZES", "HIDDEN_SIZES", "LR_EXPONENTS", "TABLE_COLUMNS", "WEIGHT_DECAY_EXPONENTS",
           "TrainingExplorer", "training_explorer"]

LR_EXPONENTS = (-4, 1)             # η from 1e-4 to 10
WEIGHT_DECAY_EXPONENTS = (-6, -1)  # λ from 1e-6 to 0.1; the far left (1e-6) means λ = 0
BATCH_SIZES = (16, 32, 64, 128, 256, 512)
HIDDEN_SIZES = (16, 32, 64, 128, 256, 512)
MAX_DROPOUT = 0.8
TABLE_COLUMNS = ("lr", "batch_size", "hidden", "optimizer", "momentum", "weight_decay", "dropout", "epochs")
MOMENTA = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)   # β of SGD + momentum; 0.9 is the default
MAX_EPOCHS = 10
_OPTIMIZER_LABELS = (("SGD", "SGD"), ("SGD + momentum", "momentum"), ("Adam", "Adam"), ("AdamW", "AdamW"))


@dataclass
class TrainingExplorer(Explorer):
    """The :class:`Explorer` of :func:`training_explorer`, with the runs it has trained.

    Attributes:
        runs: every :class:`~course_lib.lessons.l09_hyperparameter_exploration.tuning.Trial` so far, oldest first.
        table: the ``ipywidgets.HTML`` comparison table (newest first, best highlighted).
        progress: the ``ipywidgets.IntProgress`` bar, one tick per training step.
        status: an ``ipywidgets.HTML`` line saying what the last run did.
        data: the fixed MNIST subset every run trains on.
    """

    runs: list[Trial] = field(default_factory=list)
    table: Any = None
    progress: Any = None
    status: Any = None
    data: Subset | None = None

    def results(self) -> ResultsTable:
        """The runs as a :class:`ResultsTable`, newest first (what ``table`` shows)."""
        numbers = range(len(self.runs), 0, -1)
        return ResultsTable(self.runs[::-1], TABLE_COLUMNS, numbers=numbers)


def weight_decay_value(slider_value: float) -> float:
    """The λ a position of the weight-decay slider means: its far left (10^-6) is λ = 0."""
    return 0.0 if slider_value <= 1.0001 * 10.0 ** WEIGHT_DECAY_EXPONENTS[0] else float(slider_value)


def _describe(hp: Recipe) -> str:
    name = dict((value, label) for label, value in _OPTIMIZER_LABELS)[hp.optimizer]
    return (f"η = {hp.lr:.2g}, B = {hp.batch_size}, H = {setting(hp, 'hidden')}, {name}, λ = {hp.weight_decay:.2g}, "
            f"p = {hp.dropout:.1f}")


def training_explorer(*, n_train: int = 5000, n_val: int = 1000, epochs: int = 3, seed: int = 0) -> TrainingExplorer:
    """Sliders for the hyperparameters of a 784 → H → 10 MLP; **train** runs it and adds a table row.

    Every run trains on the same ``n_train`` MNIST training images and is validated on the same
    ``n_val`` others (drawn with ``seed``), for ``epochs`` epochs; the weights, dropout masks and
    batch order are drawn from ``seed`` too, so the same settings give the same run.

    Controls: ``lr`` (η, log scale 1e-4..10), ``batch_size`` (B, 16..512 images), ``hidden``
    (H, 16..512 units), ``optimizer`` (SGD, SGD + momentum, Adam, AdamW), ``weight_decay``
    (λ, log scale 1e-6..0.1, where the far left means λ = 0), ``dropout`` (p, 0..0.8),
    ``train`` (a Button), ``reset`` (back to the starting values; the runs stay).
    A run that diverges says where on the plot and in its table row.
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    start = DEFAULT_HYPERPARAMETERS.replace(epochs=epochs, seed=seed)  # checks epochs and seed
    data = load_subset(n_train, n_val, seed=seed)
    wide = SLIDER["style"]
    controls: dict[str, Any] = {
        "lr": log_slider("learning rate η", start.lr, *LR_EXPONENTS),
        "batch_size": widgets.SelectionSlider(options=BATCH_SIZES, value=start.batch_size, description="batch size B (images)",
                                              **SLIDER),
        "hidden": widgets.SelectionSlider(options=HIDDEN_SIZES, value=setting(start, "hidden"), description="hidden width H (units)",
                                          **SLIDER),
        "optimizer": widgets.Dropdown(options=_OPTIMIZER_LABELS, value=start.optimizer, description="optimizer", style=wide),
        "weight_decay": log_slider("weight decay λ (far left: 0)", 10.0 ** WEIGHT_DECAY_EXPONENTS[0], *WEIGHT_DECAY_EXPONENTS),
        "momentum": widgets.SelectionSlider(options=MOMENTA, value=start.momentum,
                                            description="momentum β (SGD + momentum)", **SLIDER),
        "epochs": widgets.IntSlider(value=start.epochs, min=1, max=max(MAX_EPOCHS, start.epochs), description="epochs", **SLIDER),
        "dropout": widgets.FloatSlider(value=start.dropout, min=0.0, max=MAX_DROPOUT, step=0.1, description="dropout p",
                                       readout_format=".1f", **SLIDER),
    }
    controls["reset"] = reset_button(controls)
    controls["train"] = widgets.Button(description="train", icon="play", button_style="primary",
                                       tooltip="train one run with these settings")
    progress = widgets.IntProgress(value=0, min=0, max=1, description="progress", style=wide)
    status = widgets.HTML("Choose the settings, then press <b>train</b>.")
    table = widgets.HTML("")
    figure = Figure(figsize=(10, 3.6), layout="constrained")
    axes = figure.subplots(1, 2)
    view = figure_view()
    explorer = TrainingExplorer(None, figure, controls, lambda *_: None, table=table, progress=progress,
                                status=status, data=data)

    def settings() -> Recipe:
        return start.replace(lr=float(controls["lr"].value), batch_size=int(controls["batch_size"].value),
                             hidden=int(controls["hidden"].value), optimizer=controls["optimizer"].value,
                             weight_decay=weight_decay_value(controls["weight_decay"].value),
                             dropout=round(float(controls["dropout"].value), 2),
                             momentum=float(controls["momentum"].value), epochs=int(controls["epochs"].value))

    def redraw(change: Any = None) -> None:
        for ax in axes:
            ax.clear()
        if not explorer.runs:
            figure.suptitle("No run yet")
            draw_message(axes[0], "Choose settings and press train.", color="0.4")
            axes[1].set_axis_off()
        else:
            axes[1].set_axis_on()
            trial = explorer.runs[-1]
            finished = [t for t in explorer.runs if not t.diverged]
            best = max(finished, key=lambda t: t.val_acc) if finished else None
            plot_run(trial, axes, best=best)
            figure.suptitle(f"Run {len(explorer.runs)}: {_describe(trial.hp)}", fontsize=10)
            if trial.diverged:
                draw_message(axes[0], trial.message)
                draw_message(axes[1], "no accuracy: the run diverged", color="0.4")
        show_figure(view, figure)

    def train(_: Any = None) -> None:
        button = controls["train"]
        if button.disabled:
            return
        hp = settings()
        total = hp.epochs * -(-n_train // hp.batch_size)
        every = max(1, total // 100)                   # about 100 updates of the bar, whatever the run's length
        progress.max, progress.value = total, 0
        button.disabled, button.description = True, "training…"

        done = [0]

        def advance() -> None:
            done[0] += 1
            if done[0] % every == 0 or done[0] == total:
                progress.value = done[0]

        try:
            trial = train_trial(hp, data, on_step=advance)
        finally:
            button.disabled, button.description = False, "train"
        explorer.runs.append(trial)
        status.value = f"Run {len(explorer.runs)}: {trial.message}."
        table.value = explorer.results().to_html()
        redraw()

    controls["train"].on_click(train)
    explorer.redraw = redraw
    rows = [[controls["lr"], controls["batch_size"], controls["hidden"], controls["reset"]],
            [controls["optimizer"], controls["momentum"], controls["epochs"]],
            [controls["weight_decay"], controls["dropout"]],
            [controls["train"], progress, status]]
    layout = explorer_layout(rows, view)               # the shared look: wrapping rows, then the plot
    explorer.widget = widgets.VBox([*layout.children, table])   # and the table of runs below the plot
    redraw()
    return explorer
