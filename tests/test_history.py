"""course_lib.history.History and its plots."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from course_lib.history import History
from course_lib.ui.plots import plot_history, plot_metric


@pytest.fixture
def history() -> History:
    h = History()
    for epoch, (tl, vl, va) in enumerate([(0.9, 1.0, 0.60), (0.5, 0.7, 0.80), (0.3, 0.8, 0.85)]):
        for step in range(4):
            h.log_step(loss=tl + 0.1 * (3 - step), lr=0.1)
        h.log_epoch(train_loss=tl, val_loss=vl, val_acc=va)
    return h


def test_series_by_key_and_attribute(history):
    np.testing.assert_array_equal(history["val_loss"], [1.0, 0.7, 0.8])
    np.testing.assert_array_equal(history.train_loss, [0.9, 0.5, 0.3])
    np.testing.assert_array_equal(history.epoch, [1, 2, 3])
    assert history.metrics == ["train_loss", "val_loss", "val_acc"] and len(history) == 3
    assert history.step_series("loss").shape == (12,)


def test_missing_values_become_nan():
    h = History()
    h.log_epoch(train_loss=1.0)
    h.log_epoch(train_loss=0.5, val_loss=0.6)
    assert math.isnan(h.val_loss[0]) and h.val_loss[1] == 0.6


def test_best_picks_min_for_losses_and_max_for_accuracies(history):
    assert history.best("val_loss") == (2, 0.7)
    assert history.best("val_acc") == (3, 0.85)
    assert history.best("val_loss", mode="max") == (1, 1.0)
    with pytest.raises(ValueError, match="mode"):
        history.best("val_loss", mode="lowest")


def test_unknown_metric_lists_the_known_ones(history):
    with pytest.raises(KeyError, match="train_loss"):
        history["test_acc"]
    with pytest.raises(AttributeError, match="test_acc"):
        history.test_acc


def test_only_numbers_are_recorded():
    h = History()
    h.log_epoch(loss=np.float32(0.5), steps=3)
    with pytest.raises(TypeError, match=r"loss\.item\(\)"):
        h.log_epoch(loss="0.5")
    with pytest.raises(TypeError, match="metric 'loss'"):
        h.log_step(loss=np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="at least one metric"):
        h.log_epoch()
    assert len(h) == 1


def test_round_trip_through_json(history):
    again = History.from_dict(json.loads(json.dumps(history.to_dict())))
    assert again.to_dict() == history.to_dict()
    assert "3 epochs, 12 steps" in repr(again)


def test_plot_has_one_labelled_panel_per_kind(history):
    fig = history.plot()
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["Loss per epoch", "Accuracy per epoch"]
    loss_ax, acc_ax = fig.axes
    labels = [line.get_label() for line in loss_ax.get_lines()]
    assert labels == ["training loss per step", "training loss", "validation loss"]
    assert loss_ax.get_xlabel() == "epoch" and acc_ax.get_ylabel() == "accuracy"
    assert loss_ax.get_legend() is not None
    assert all(float(t).is_integer() for t in loss_ax.get_xticks())


def test_plot_shows_loss_and_accuracy_unless_asked_for_more(history):
    history.log_epoch(train_loss=0.2, val_loss=0.9, val_acc=0.86, lr=0.01, seconds=1.5)
    assert len(history.plot().axes) == 2
    fig = history.plot(kinds=("loss", "lr"))
    assert [ax.get_title() for ax in fig.axes] == ["Loss per epoch", "Learning rate per epoch"]
    with pytest.raises(ValueError, match="kinds"):
        history.plot(kinds=("perplexity",))


def test_plotting_nothing_is_an_error():
    with pytest.raises(ValueError, match="no epochs"):
        plot_history(History())
    h = History()
    h.log_epoch(train_loss=1.0)
    with pytest.raises(ValueError, match="no 'acc' metric"):
        plot_metric(h, "acc")
