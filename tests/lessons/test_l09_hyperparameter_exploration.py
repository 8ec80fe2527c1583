"""Lesson 09, hyperparameter exploration: runs, the learning-rate range test, grid and random search,
the plots, the training explorer (headless) and the self-checks."""

from __future__ import annotations

import itertools
import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_lib.lessons.l09_hyperparameter_exploration.checks import (
    CANDIDATES, candidate_runs, check_effective_lr, check_log_uniform, check_lr_range_test, check_suggest_lr,
    predict_best_candidate, toy_train_step,
)
from course_lib.lessons.l09_hyperparameter_exploration.tuning import (
    BLOWUP_FACTOR, DEFAULT_HYPERPARAMETERS, LogUniform, ResultsTable, Subset, WatchedLoss, build_trial_model,
    effective_lr, grid_points, load_subset, log_uniform, lr_range_test, random_points, results_table,
    range_test_loop, run_trials, seed_spread, smooth_losses, suggest_lr, evaluate_on_test_set, to_grid,
    to_grids_by_seed, train_trial,
)
from course_lib.numpy_nn.layers import Dropout
from course_lib.numpy_nn.losses import CrossEntropyLoss
from course_lib.numpy_nn.optimizers import Adam
from course_lib.lessons.l09_hyperparameter_exploration.plots import (
    plot_accuracy_grid, plot_accuracy_vs, plot_lr_range_test, plot_run, plot_search,
    plot_search_projection, plot_trial_curves,
)
from course_lib.ui.explorer import Explorer
from course_lib.lessons.l09_hyperparameter_exploration.explorers import (
    TrainingExplorer, training_explorer, weight_decay_value,
)

QUICK = DEFAULT_HYPERPARAMETERS.replace(epochs=2)


@pytest.fixture(scope="module")
def small() -> Subset:
    """1 000 training and 300 validation images: a run takes a fraction of a second."""
    return load_subset(1000, 300, seed=0)


@pytest.fixture(scope="module")
def finished(small):
    """A normal run and a diverged one, shared by the table and plot tests."""
    return train_trial(QUICK, small), train_trial(QUICK.replace(lr=10.0), small)


# --------------------------------------------------------------------------------------------------
# Hyperparameters, data, one run
# --------------------------------------------------------------------------------------------------


def test_hyperparameters_are_frozen_and_validated():
    hp = DEFAULT_HYPERPARAMETERS.replace(lr=0.1)
    assert hp.lr == 0.1 and DEFAULT_HYPERPARAMETERS.lr == 0.05
    with pytest.raises(AttributeError):
        hp.lr = 1.0
    with pytest.raises(TypeError, match="no setting"):
        hp.replace(learning_rate=0.1)


@pytest.mark.parametrize(("changes", "message"), [
    ({"lr": 0.0}, r"lr must be a number in \(0, 1e6\]"),
    ({"lr": math.nan}, r"lr must be a number in \(0, 1e6\]"),
    ({"batch_size": 0}, "batch_size must be a whole number"),
    ({"hidden": 12.5}, "hidden must be one or more positive whole numbers"),
    ({"optimizer": "rmsprop"}, "optimizer must be one of"),
    ({"momentum": 1.0}, r"momentum must be a number in \[0, 1\)"),
    ({"weight_decay": -1e-3}, "weight_decay must be a number >= 0"),
    ({"dropout": 1.0}, r"dropout must be a number in \[0, 1\)"),
    ({"epochs": True}, "epochs must be a whole number"),
    ({"seed": -1}, "seed must be a whole number"),
])
def test_a_bad_setting_is_named(changes, message):
    with pytest.raises(ValueError, match=message):
        DEFAULT_HYPERPARAMETERS.replace(**changes)


def test_load_subset_is_fixed_disjoint_and_standardised(small):
    (X, y), (X_val, y_val) = small
    assert X.shape == (1000, 784) and X_val.shape == (300, 784) and X.dtype == np.float32
    again = load_subset(1000, 300, seed=0)
    np.testing.assert_array_equal(again.train[0], X)
    other = load_subset(1000, 300, seed=1)
    assert not np.array_equal(other.train[1], y)
    rows = {row.tobytes() for row in X}
    assert not any(row.tobytes() in rows for row in X_val)      # no validation image is also a training image
    assert abs(float(X.mean())) < 0.1 and 0.9 < float(X.std()) < 1.1
    with pytest.raises(ValueError, match="exceeds"):
        load_subset(59_000, 2_000)
    with pytest.raises(ValueError, match="n_val must be a whole number"):
        load_subset(100, 0)


def test_build_model_follows_the_hyperparameters():
    model = build_trial_model(DEFAULT_HYPERPARAMETERS.replace(hidden=32, dropout=0.25))
    assert model[0].weight.data.shape == (32, 784) and model[-1].weight.data.shape == (10, 32)
    assert any(isinstance(layer, Dropout) and layer.p == 0.25 for layer in model.layers)
    assert not any(isinstance(layer, Dropout) for layer in build_trial_model(DEFAULT_HYPERPARAMETERS).layers)
    np.testing.assert_array_equal(build_trial_model(QUICK)[0].weight.data, build_trial_model(QUICK)[0].weight.data)
    assert not np.array_equal(build_trial_model(QUICK)[0].weight.data, build_trial_model(QUICK.replace(seed=1))[0].weight.data)


def test_train_trial_learns_and_is_reproducible(small):
    first, second = train_trial(QUICK, small), train_trial(QUICK, small)
    assert not first.diverged and first.val_acc > 0.8 and "validation accuracy" in first.message
    np.testing.assert_array_equal(first.history.step_series("loss"), second.history.step_series("loss"))
    assert first.val_acc == second.val_acc and first.val_loss == second.val_loss
    assert len(first.history) == 2 and first.steps_per_epoch == math.ceil(1000 / 64)
    assert len(first.history.steps) == 2 * first.steps_per_epoch
    assert np.all(first.history["weight_norm"] > 0)
    other_seed = train_trial(QUICK.replace(seed=1), small)
    assert not np.array_equal(other_seed.history.step_series("loss"), first.history.step_series("loss"))


@pytest.mark.parametrize("optimizer", ["SGD", "momentum", "Adam", "AdamW"])
def test_a_huge_learning_rate_diverges_without_raising(small, optimizer):
    trial = train_trial(QUICK.replace(lr=10.0, optimizer=optimizer), small)
    assert trial.diverged and math.isnan(trial.val_acc)
    epoch, step = trial.diverged_at
    assert epoch == 1 and step == len(trial.history.steps) + 1
    assert trial.blowup_loss > BLOWUP_FACTOR * trial.history.step_series("loss")[0]
    assert trial.message == f"diverged at epoch {epoch}, step {step}; try a smaller η"


def test_train_trial_wants_its_own_types(small):
    with pytest.raises(TypeError, match="expects a Recipe"):
        train_trial({"lr": 0.1}, small)
    with pytest.raises(TypeError, match="load_subset"):
        train_trial(QUICK, small.train)


def test_watched_loss_reports_a_blowup_only_in_training():
    model = build_trial_model(QUICK)
    steps = []
    loss = WatchedLoss(CrossEntropyLoss(), model, on_step=lambda: steps.append(1))
    y = np.array([0, 1])
    assert loss(np.zeros((2, 10)), y) == pytest.approx(math.log(10))
    loss.backward()
    assert steps == [1]
    confident_wrong = np.array([[0.0, 100.0] + [0.0] * 8, [100.0] + [0.0] * 9])
    model.eval()
    assert np.isfinite(loss(confident_wrong, y))            # validation losses are never turned into inf
    model.train()
    assert loss(confident_wrong, y) == math.inf and loss.blowup_loss == pytest.approx(100.0)


def test_effective_lr():
    assert effective_lr(0.1, 0.9) == pytest.approx(1.0)
    assert effective_lr(0.01, 0.0) == pytest.approx(0.01)
    np.testing.assert_allclose(effective_lr(np.array([0.1, 0.2]), 0.5), [0.2, 0.4])
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        effective_lr(0.1, 1.0)


# --------------------------------------------------------------------------------------------------
# The learning-rate range test
# --------------------------------------------------------------------------------------------------


def test_range_test_suggests_a_rate_below_the_divergence(small):
    result = lr_range_test(build_trial_model(QUICK), small.train, num_steps=150)
    assert result.stop_reason == "blow-up" and len(result.lrs) < 150
    assert result.suggested_lr == pytest.approx(result.min_lr / 10)
    assert result.suggested_lr < result.min_lr < result.stop_lr
    assert result.smoothed[-1] > BLOWUP_FACTOR * result.smoothed.min()
    ratios = result.lrs[1:] / result.lrs[:-1]
    np.testing.assert_allclose(ratios, (10.0 / 1e-5) ** (1 / 149), rtol=1e-9)   # exponential growth
    assert result.lrs[0] == pytest.approx(1e-5)
    np.testing.assert_allclose(result.smoothed, smooth_losses(result.losses), rtol=1e-12)
    assert result.steepest_lr <= result.min_lr
    again = lr_range_test(build_trial_model(QUICK), small.train, num_steps=150)
    np.testing.assert_array_equal(again.losses, result.losses)


def test_range_test_stops_on_nan_without_raising(small):
    result = lr_range_test(build_trial_model(QUICK), small.train, end_lr=1e8, num_steps=120, stop_factor=math.inf)
    assert result.stop_reason == "not finite"
    assert np.all(np.isfinite(result.losses)) and result.stop_lr > result.lrs[-1]


def test_range_test_can_reach_the_end(small):
    result = lr_range_test(build_trial_model(QUICK), small.train, start_lr=1e-5, end_lr=1e-3, num_steps=30)
    assert result.stop_reason == "end" and len(result.lrs) == 30 and result.lrs[-1] == pytest.approx(1e-3)
    assert result.stop_lr == pytest.approx(1e-3)


def test_range_test_does_not_change_the_model_passed_in(small):
    model = build_trial_model(QUICK.replace(dropout=0.5)).eval()
    dropout = next(layer for layer in model.layers if isinstance(layer, Dropout))
    weights, rng_state = model.state_dict(), dropout.rng.bit_generator.state
    lr_range_test(model, small.train, num_steps=40)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, weights[name])
    assert dropout.rng.bit_generator.state == rng_state and model.training is False
    assert all(p.grad is None for p in model.parameters())


def test_range_test_accepts_an_optimizer_factory(small):
    result = lr_range_test(build_trial_model(QUICK), small.train, optimizer=lambda params: Adam(params), end_lr=1.0, num_steps=60)
    assert len(result.lrs) >= 2 and result.suggested_lr < result.stop_lr


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"start_lr": 0.0}, ValueError, "0 < start_lr < end_lr"),
    ({"start_lr": 1.0, "end_lr": 0.1}, ValueError, "0 < start_lr < end_lr"),
    ({"num_steps": 1}, ValueError, "num_steps must be a whole number >= 2"),
    ({"batch_size": 0}, ValueError, "batch_size must be a whole number"),
    ({"stop_factor": 1.0}, ValueError, "stop_factor must be a number > 1"),
    ({"beta": 1.0}, ValueError, r"beta must be a number in \[0, 1\)"),
    ({"optimizer": "lbfgs"}, ValueError, "unknown optimizer 'lbfgs'"),
])
def test_range_test_rejects_bad_arguments(small, kwargs, error, message):
    with pytest.raises(error, match=message):
        lr_range_test(build_trial_model(QUICK), small.train, **kwargs)


def test_range_test_rejects_bad_inputs(small):
    with pytest.raises(TypeError, match="numpy_nn model"):
        lr_range_test("mlp", small.train)
    with pytest.raises(TypeError, match="pair"):
        lr_range_test(build_trial_model(QUICK), small.train[0])
    with pytest.raises(ValueError, match="matching"):
        lr_range_test(build_trial_model(QUICK), (small.train[0], small.train[1][:10]))


def test_suggest_lr_and_smoothing_by_hand():
    assert suggest_lr([1e-3, 1e-2, 1e-1, 1.0], [2.0, 1.2, 0.6, 3.0]) == pytest.approx(0.01)
    np.testing.assert_allclose(smooth_losses(np.full(5, 2.5)), 2.5)          # bias correction: no pull to 0
    np.testing.assert_allclose(smooth_losses([1.0, 3.0], beta=0.5), [1.0, (0.25 + 1.5) / 0.75])
    with pytest.raises(ValueError, match="NaN"):
        suggest_lr([1e-3, 1e-2], [1.0, np.nan])
    with pytest.raises(ValueError, match="same non-zero length"):
        suggest_lr([1e-3, 1e-2], [1.0])


# --------------------------------------------------------------------------------------------------
# Search
# --------------------------------------------------------------------------------------------------


def test_grid_points_cover_every_combination():
    space = {"lr": [0.01, 0.1, 1.0], "batch_size": [32, 64], "optimizer": ["sgd", "adam"]}
    points = grid_points(space)
    assert len(points) == 12
    assert {tuple(p.values()) for p in points} == set(itertools.product(*space.values()))
    assert points[0] == {"lr": 0.01, "batch_size": 32, "optimizer": "sgd"} and points[1]["optimizer"] == "adam"
    with pytest.raises(ValueError, match="non-empty list"):
        grid_points({"lr": []})
    with pytest.raises(ValueError, match="non-empty list"):
        grid_points({"lr": LogUniform(1e-3, 1.0)})
    with pytest.raises(ValueError, match="at least one"):
        grid_points({})


def test_random_points_are_seeded_log_uniform_and_in_range():
    space = {"lr": LogUniform(1e-4, 1.0), "hidden": LogUniform(16, 512), "optimizer": ["sgd", "adam"]}
    points = random_points(space, 400, seed=3)
    assert points == random_points(space, 400, seed=3)
    assert points != random_points(space, 400, seed=4)
    lrs = np.array([p["lr"] for p in points])
    assert np.all((lrs >= 1e-4) & (lrs <= 1.0))
    per_decade = np.histogram(np.log10(lrs), bins=[-4, -3, -2, -1, 0])[0] / len(lrs)
    np.testing.assert_allclose(per_decade, 0.25, atol=0.07)                  # every decade its share
    assert all(isinstance(p["hidden"], int) and 16 <= p["hidden"] <= 512 for p in points)
    assert {p["optimizer"] for p in points} == {"sgd", "adam"}
    with pytest.raises(ValueError, match="LogUniform"):
        random_points({"lr": "log"}, 3, seed=0)
    with pytest.raises(ValueError, match="n must be"):
        random_points(space, 0, seed=0)


def test_log_uniform_is_uniform_in_the_exponent():
    draws = log_uniform(1e-6, 1e-2, 20_000, np.random.default_rng(0))
    assert draws.shape == (20_000,) and draws.min() >= 1e-6 and draws.max() <= 1e-2
    assert abs(np.mean(draws < 1e-4) - 0.5) < 0.02                           # 1e-4 is the middle on a log scale
    np.testing.assert_array_equal(draws, log_uniform(1e-6, 1e-2, 20_000, np.random.default_rng(0)))
    with pytest.raises(ValueError, match="0 < low < high"):
        log_uniform(0.0, 1.0, 3, np.random.default_rng(0))
    with pytest.raises(TypeError, match="Generator"):
        log_uniform(1e-3, 1.0, 3, 0)


def test_run_trials_and_to_grid(small):
    trials = run_trials(grid_points({"batch_size": [64, 128], "lr": [0.01, 10.0]}), small, base=QUICK, progress=False)
    values, rows, cols = to_grid(trials, rows="batch_size", cols="lr")
    assert rows == [64, 128] and cols == [0.01, 10.0] and values.shape == (2, 2)
    assert np.isnan(values[:, 1]).all() and np.all(values[:, 0] > 0.5)     # lr = 10 diverged
    assert values[1, 0] == trials[2].val_acc
    with pytest.raises(TypeError, match="no setting"):
        run_trials([{"learning_rate": 0.1}], small, progress=False)


def test_to_grids_by_seed_keeps_each_seed_apart(small):
    points = grid_points({"batch_size": [64, 128], "lr": [0.01, 10.0]})
    trials = run_trials([dict(p, seed=s) for s in (0, 1) for p in points], small, base=QUICK, progress=False)
    values, rows, cols = to_grids_by_seed(trials, rows="batch_size", cols="lr", seeds=(0, 1))
    assert values.shape == (2, 2, 2) and rows == [64, 128] and cols == [0.01, 10.0]
    for k, seed in enumerate((0, 1)):
        np.testing.assert_array_equal(values[k], to_grid([t for t in trials if t.hp.seed == seed], "batch_size", "lr")[0])
    assert not np.array_equal(values[0, :, 0], values[1, :, 0])            # another seed, another run
    with pytest.raises(ValueError, match="same grid"):
        to_grids_by_seed(trials[:3] + trials[4:], rows="batch_size", cols="lr", seeds=(0, 1))


def test_seed_spread_never_shows_nan():
    assert seed_spread([0.9, 0.92, 0.91]) == "mean 91.0 % (90.0–92.0)"
    assert seed_spread([0.9, np.nan, np.nan]) == "diverged with 2 of 3 seeds"
    assert seed_spread([0.9]) == "90.0 % (one seed)"


def test_results_table_marks_the_best_and_the_diverged(small, finished):
    good, diverged = finished
    better = train_trial(QUICK.replace(lr=0.02), small)
    table = results_table([good, diverged, better], ["lr", "batch_size"])
    assert len(table) == 3 and table.header == ["#", "η", "B", "val acc", "seconds"]
    best = int(np.argmax([good.val_acc, -1.0, better.val_acc]))
    assert table.best == (0 if best == 0 else 2) and "★" in table.rows[table.best][3]
    assert table.rows[1][3] == "diverged (epoch {}, step {})".format(*diverged.diverged_at)
    text = str(table)
    assert text.splitlines()[0].split() == ["#", "η", "B", "val", "acc", "seconds"] and "10" in text
    html = table.to_html()
    assert html.count("<tr") == 4 and "background" in html and table._repr_html_() == html
    assert ResultsTable([diverged], ["lr"]).best is None
    with pytest.raises(ValueError, match="unknown column"):
        results_table([good], ["learning_rate"])


# --------------------------------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------------------------------


def test_plot_trial_curves_marks_a_diverged_run(finished):
    good, diverged = finished
    ax = plot_trial_curves({"good": good, "too big": diverged}, metric="loss", log=True)
    labels = [line.get_label() for line in ax.lines]
    assert "good" in labels and "too big (diverged)" in labels and ax.get_yscale() == "log"
    assert any(line.get_marker() == "x" for line in ax.lines)
    ax2 = plt.figure().gca()
    plot_trial_curves({"good": good}, ax=ax2, metric="val_acc")
    np.testing.assert_allclose(ax2.lines[0].get_ydata(), 100 * good.history["val_acc"])
    with pytest.raises(ValueError, match="metric must be"):
        plot_trial_curves({"good": good}, metric="accuracy")


def test_plot_accuracy_grid_writes_every_cell():
    values = np.array([[0.5, 0.9, np.nan], [0.6, 0.7, 0.8]])
    ax = plot_accuracy_grid(values, [16, 64], [0.01, 0.1, 1.0], row_label="batch size B", col_label="learning rate η")
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["50.0", "90.0", "diverged", "60.0", "70.0", "80.0"]
    assert len(ax.patches) == 2 and ax.get_xlabel() == "learning rate η"
    with pytest.raises(ValueError, match="shape"):
        plot_accuracy_grid(values, [16], [0.01], row_label="B", col_label="η")


def test_plot_accuracy_vs_is_log_scaled():
    ax = plot_accuracy_vs({"β = 0": ([0.01, 0.1, 1.0], [0.8, 0.9, np.nan])})
    assert ax.get_xscale() == "log" and ax.lines[0].get_label() == "β = 0"
    assert any(line.get_marker() == "x" for line in ax.lines)


def test_plot_lr_range_test_marks_the_suggestion(small):
    result = lr_range_test(build_trial_model(QUICK), small.train, num_steps=100)
    ax = plot_lr_range_test(result)
    assert ax.get_xscale() == "log"
    suggested = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert len(suggested) == 1 and suggested[0].get_xdata()[0] == pytest.approx(result.suggested_lr)
    assert "suggested" in ax.get_legend().get_texts()[-1].get_text()


def test_plot_search_shows_points_and_projections(finished):
    good, diverged = finished
    ax = plot_search([good, diverged], x="lr", y="weight_decay", title="two runs")
    assert ax.get_xscale() == "log" and ax.get_yscale() == "symlog"   # λ = 0 stays on the plot
    assert ax.get_title() == "two runs"
    rug = [line for line in ax.lines if line.get_marker() == "|"]
    assert len(rug) == 1 and len(rug[0].get_xdata()) == 2
    assert len(ax.collections) == 2                       # the coloured runs and the diverged ✕
    ax2 = plot_search_projection({"grid": [good], "random": [good, diverged]}, ax=plt.figure().gca())
    assert [t.get_text() for t in ax2.get_legend().get_texts()] == ["grid: 1 distinct values", "random: 2 distinct values"]


def test_plot_run_draws_loss_and_accuracy(finished):
    good, diverged = finished
    fig, axes = plt.subplots(1, 2)
    plot_run(good, axes, best=diverged)
    assert axes[0].get_yscale() == "log" and len(axes[1].lines) == 2
    for ax in axes:
        ax.clear()
    plot_run(diverged, axes, best=good)
    assert any(line.get_marker() == "x" for line in axes[0].lines)
    assert axes[1].lines[-1].get_label().startswith("best run so far")


# --------------------------------------------------------------------------------------------------
# The training explorer, headless
# --------------------------------------------------------------------------------------------------

SLIDERS = ("lr", "batch_size", "hidden", "weight_decay", "dropout")


@pytest.fixture
def explorer() -> TrainingExplorer:
    return training_explorer(n_train=1000, n_val=300, epochs=2, seed=0)


def _extremes(control):
    if hasattr(control, "options"):                    # SelectionSlider, Dropdown
        values = [option[1] if isinstance(option, tuple) else option for option in control.options]
        return [values[0], values[-1]]
    if type(control).__name__ == "FloatLogSlider":
        return [control.base ** control.min, control.base ** control.max]
    return [control.min, control.max]


def test_the_explorer_has_the_agreed_controls(explorer):
    assert isinstance(explorer, Explorer)
    assert set(explorer.controls) == {"lr", "batch_size", "hidden", "optimizer", "momentum", "epochs", "weight_decay",
                                      "dropout", "train", "reset"}
    assert type(explorer.controls["train"]).__name__ == "Button"
    assert type(explorer.progress).__name__ == "IntProgress"
    for name, symbol in (("lr", "η"), ("batch_size", "B"), ("hidden", "H"), ("weight_decay", "λ"), ("dropout", "p")):
        assert symbol in explorer.controls[name].description
    assert explorer.runs == [] and "No run yet" in explorer.figure._suptitle.get_text()
    assert explorer._repr_mimebundle_() is not None


def test_the_momentum_and_epochs_sliders_set_the_run(explorer):
    explorer.controls["momentum"].value = 0.5
    explorer.controls["epochs"].value = 1
    explorer.controls["train"].click()
    run = explorer.runs[-1]
    assert (run.hp.momentum, run.hp.epochs) == (0.5, 1) and len(run.history["val_acc"]) == 1


def test_moving_a_slider_trains_nothing(explorer):
    explorer.controls["lr"].value = 0.2
    explorer.controls["hidden"].value = 256
    assert explorer.runs == [] and explorer.table.value == ""


def test_train_adds_a_row_and_redraws(explorer):
    disabled_while_training = []
    explorer.progress.observe(lambda change: disabled_while_training.append(explorer.controls["train"].disabled), names="value")
    lines_before = [len(ax.lines) for ax in explorer.figure.axes[:2]]
    explorer.controls["train"].click()
    assert len(explorer.runs) == 1 and explorer.table.value.count("<tr") == 2
    assert [len(ax.lines) for ax in explorer.figure.axes[:2]] != lines_before
    assert disabled_while_training and all(disabled_while_training)
    assert explorer.controls["train"].disabled is False
    assert explorer.progress.value == explorer.progress.max == 2 * math.ceil(1000 / 64)
    assert "Run 1" in explorer.status.value and "validation accuracy" in explorer.status.value
    acc_line = explorer.figure.axes[1].lines[1]
    np.testing.assert_allclose(acc_line.get_ydata(), 100 * explorer.runs[0].history["val_acc"])

    explorer.controls["lr"].value = 0.01
    explorer.controls["train"].click()
    results = explorer.results()
    assert [row[0] for row in results.rows] == ["2", "1"]                  # newest first
    assert results.rows[0][1] == "0.01"
    assert "β" in results.to_html() and "epochs" in results.to_html()      # runs differing only there differ in the table
    assert explorer.table.value == results.to_html() and "background" in explorer.table.value


def test_the_same_settings_give_the_same_run(explorer):
    explorer.controls["dropout"].value = 0.3              # dropout masks are seeded too
    explorer.controls["train"].click()
    curves = [line.get_ydata().copy() for line in explorer.figure.axes[0].lines]
    explorer.controls["train"].click()
    first, second = explorer.runs
    np.testing.assert_array_equal(first.history.step_series("loss"), second.history.step_series("loss"))
    assert first.val_acc == second.val_acc
    for before, after in zip(curves, (line.get_ydata() for line in explorer.figure.axes[0].lines)):
        np.testing.assert_array_equal(before, after)
    assert [r[-2] for r in explorer.results().rows][0].rstrip(" ★") == f"{first.val_acc:.1%}"


@pytest.mark.parametrize("name", SLIDERS + ("optimizer",))
def test_every_extreme_trains_without_an_exception(explorer, name):
    control = explorer.controls[name]
    for value in _extremes(control):
        control.value = value
        explorer.controls["train"].click()
        trial = explorer.runs[-1]
        messages = [t.get_text() for t in explorer.figure.axes[0].texts]
        assert trial.diverged == any("diverged" in m for m in messages)
        explorer.controls["reset"].click()
    assert len(explorer.runs) == 2


def test_the_largest_learning_rate_diverges_with_a_message(explorer):
    control = explorer.controls["lr"]
    control.value = control.base ** control.max
    explorer.controls["train"].click()
    trial = explorer.runs[-1]
    assert trial.diverged
    message = explorer.figure.axes[0].texts[0].get_text().replace("\n", " ")
    assert f"diverged at epoch {trial.diverged_at[0]}, step {trial.diverged_at[1]}" in message and "smaller η" in message
    assert "diverged (epoch" in explorer.table.value and "diverged" in explorer.status.value
    explorer.controls["reset"].click()
    explorer.controls["train"].click()                    # the best run is the one that trained
    assert explorer.results().best == 0 and "background" in explorer.table.value


def test_weight_decay_far_left_means_zero(explorer):
    slider = explorer.controls["weight_decay"]
    assert weight_decay_value(slider.value) == 0.0 and slider.value == slider.base ** slider.min
    slider.value = 1e-3
    explorer.controls["optimizer"].value = "AdamW"
    explorer.controls["train"].click()
    assert explorer.runs[-1].hp.weight_decay == pytest.approx(1e-3) and explorer.runs[-1].hp.optimizer == "AdamW"
    slider.value = slider.base ** slider.min
    explorer.controls["train"].click()
    assert explorer.runs[-1].hp.weight_decay == 0.0


def test_reset_restores_the_defaults(explorer):
    defaults = {name: explorer.controls[name].value for name in SLIDERS + ("optimizer",)}
    for name, value in (("lr", 0.5), ("batch_size", 256), ("hidden", 32), ("optimizer", "Adam"),
                        ("weight_decay", 1e-2), ("dropout", 0.5)):
        explorer.controls[name].value = value
    explorer.controls["reset"].click()
    assert {name: explorer.controls[name].value for name in defaults} == defaults
    assert defaults["lr"] == pytest.approx(DEFAULT_HYPERPARAMETERS.lr) and defaults["optimizer"] == "momentum"


def test_the_explorer_rejects_bad_arguments():
    with pytest.raises(ValueError, match="epochs must be a whole number"):
        training_explorer(epochs=0)
    with pytest.raises(ValueError, match="n_train"):
        training_explorer(n_train=0)


# --------------------------------------------------------------------------------------------------
# Self-checks: a right answer passes, typical wrong ones fail with a hint, a stub says "not written yet"
# --------------------------------------------------------------------------------------------------


def log_uniform_right(low, high, size, rng):
    return np.exp(rng.uniform(np.log(low), np.log(high), size=size))


def suggest_right(lrs, smoothed):
    return lrs[np.argmin(smoothed)] / 10


def effective_right(lr, momentum):
    return lr / (1 - momentum)


def stub(*args):
    raise NotImplementedError


def range_test(spacing=np.geomspace, beta=0.98, correct=True, stop=True, against="min"):
    """A range-test loop, right by default; each argument makes one typical mistake."""
    def loop(train_step, start_lr, end_lr, num_steps):
        lrs, smoothed, average, first = [], [], 0.0, None
        for t, lr in enumerate(spacing(start_lr, end_lr, num_steps), start=1):
            loss = train_step(lr)
            if not np.isfinite(loss):
                break
            average = beta * average + (1 - beta) * loss
            value = average / (1 - beta**t) if correct else average
            first = value if first is None else first
            lrs.append(lr)
            smoothed.append(value)
            if stop and smoothed[-1] > 4 * (min(smoothed) if against == "min" else first):
                break
        return np.array(lrs), np.array(smoothed)
    return loop


RIGHT_AND_WRONG = [
    (check_lr_range_test, range_test(), range_test(spacing=np.linspace), "linear spacing"),
    (check_lr_range_test, range_test(), range_test(stop=False), "past the blow-up"),
    (check_lr_range_test, range_test(), range_test(beta=0.0), "raw losses"),
    (check_lr_range_test, range_test(), range_test(correct=False), "bias correction"),
    (check_lr_range_test, range_test(), range_test(beta=0.02), "weights are swapped"),
    (check_lr_range_test, range_test(), range_test(against="first"), "compare with the lowest"),
    (check_log_uniform, log_uniform_right, lambda lo, hi, n, rng: rng.uniform(lo, hi, size=n), "top decade"),
    (check_log_uniform, log_uniform_right, lambda lo, hi, n, rng: rng.uniform(np.log(lo), np.log(hi), size=n), "exponents"),
    (check_log_uniform, log_uniform_right, lambda lo, hi, n, rng: 10 ** rng.uniform(lo, hi, size=n), "not exponents"),
    (check_log_uniform, log_uniform_right,
     lambda lo, hi, n, rng: np.exp(np.random.default_rng().uniform(np.log(lo), np.log(hi), size=n)), "generator you are given"),
    (check_log_uniform, log_uniform_right, lambda lo, hi, n, rng: np.exp(rng.uniform(np.log(lo), np.log(hi))), "shape (size,)"),
    (check_suggest_lr, suggest_right, lambda lrs, s: lrs[np.argmin(s)], "Take a tenth"),
    (check_suggest_lr, suggest_right, lambda lrs, s: lrs[np.argmin(s)] * 10, "ten times"),
    (check_suggest_lr, suggest_right, lambda lrs, s: int(np.argmin(s)), "position"),
    (check_suggest_lr, suggest_right, lambda lrs, s: lrs[np.argmax(s)] / 10, "argmin"),
    (check_suggest_lr, suggest_right, lambda lrs, s: s.min() / 10, "lowest *loss*"),
    (check_effective_lr, effective_right, lambda lr, b: lr * (1 - b), "so divide"),
    (check_effective_lr, effective_right, lambda lr, b: lr / (1 + b), "minus sign"),
    (check_effective_lr, effective_right, lambda lr, b: lr * b, "adds up"),
    (check_effective_lr, effective_right, lambda lr, b: lr * (1 + b), "two updates"),
]


@pytest.mark.parametrize(("check", "right", "wrong", "diagnosis"), RIGHT_AND_WRONG,
                         ids=[f"{c.__name__}-{d}" for c, _, _, d in RIGHT_AND_WRONG])
def test_right_passes_and_wrong_fails_with_a_hint(check, right, wrong, diagnosis, assert_teaches):
    assert_teaches(check, right, wrong, diagnosis)


def test_checks_agree_with_the_library():
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    np.testing.assert_allclose(log_uniform_right(1e-3, 1.0, 50, rng_a), log_uniform(1e-3, 1.0, 50, rng_b))
    lrs, smoothed = np.geomspace(1e-4, 1, 9), np.array([3, 2.5, 2, 1.5, 1, 0.8, 0.9, 2, 5.0])
    assert suggest_right(lrs, smoothed) == pytest.approx(suggest_lr(lrs, smoothed))
    assert effective_right(0.05, 0.95) == pytest.approx(effective_lr(0.05, 0.95))


def test_the_range_test_loop_is_the_loop_of_lr_range_test():
    """range_test_loop on a train_step of the course's model gives lr_range_test's learning rates and smoothed losses."""
    data = load_subset(500, 10, seed=0)
    model = build_trial_model(DEFAULT_HYPERPARAMETERS)
    expected = lr_range_test(model, data.train, optimizer="SGD", start_lr=1e-4, end_lr=10.0, num_steps=60,
                             batch_size=500)
    from course_lib.numpy_nn.optimizers import SGD
    import copy
    twin, loss_fn = copy.deepcopy(model).train(), CrossEntropyLoss()
    opt = SGD(twin.parameters(), lr=1e-4)
    X, y = data.train

    def step(lr):
        opt.lr = lr
        opt.zero_grad()
        loss = float(loss_fn(twin(X), y))
        twin.backward(loss_fn.backward(), input_grad=False)
        opt.step()
        return loss
    with np.errstate(all="ignore"):
        lrs, smoothed = range_test_loop(step, 1e-4, 10.0, 60)
    n = min(len(lrs), len(expected.lrs))     # float32 sums in another batch order: close, not equal, until the blow-up
    np.testing.assert_allclose(lrs[:n], expected.lrs[:n], rtol=1e-12)
    np.testing.assert_allclose(smoothed[:n - 5], expected.smoothed[:n - 5], rtol=1e-3)
    assert abs(len(lrs) - len(expected.lrs)) <= 2 and len(lrs) < 60, "both end at the blow-up"


def test_the_toy_model_blows_up_in_the_first_case_and_not_in_the_last():
    lrs, smoothed = range_test_loop(toy_train_step(0), 1e-4, 10.0, 80)
    assert len(lrs) < 80 and smoothed[-1] > 4 * smoothed.min() and smoothed.min() < smoothed[0]
    assert len(range_test_loop(toy_train_step(2), 1e-5, 1e-2, 30)[0]) == 30


def test_the_prediction_names_the_winner_of_section_3(capsys):
    runs = candidate_runs(0)
    best = max(CANDIDATES, key=lambda name: runs[name].val_acc)
    assert predict_best_candidate(best) is True
    assert predict_best_candidate(next(c for c in CANDIDATES if c != best)) is False


def test_evaluate_on_test_set_trains_the_same_run_and_measures_it_on_the_test_set(small):
    hp = QUICK.replace(lr=0.05)
    accuracy = evaluate_on_test_set(hp, small)
    assert 0.7 < accuracy < 1.0
    assert evaluate_on_test_set(hp, small) == accuracy, "the same settings, the same run"
    with pytest.raises(TypeError):
        evaluate_on_test_set(hp, small.train)


def test_the_range_test_task_and_first_hint_say_to_count_steps_from_one():
    """A loop that counts t from 0 divides by 1 − ρ⁰ = 0 on its first step: the task says so before any failure."""
    with pytest.raises(Exception) as err:
        check_lr_range_test(stub)
    assert "t = 1" in str(err.value) and "0 at t = 0" in str(err.value)
