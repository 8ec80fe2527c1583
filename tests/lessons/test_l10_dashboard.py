"""Lesson 10's dashboard and NaN triage: the monitored runs, the dashboard figure and explorer, the
first-NaN locator's answer key (against the HealthMonitor), its check's named mistakes, and the
triage demonstrations the prose quotes."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.lessons.l10_when_training_goes_wrong.checks import check_first_nonfinite
from course_lib.lessons.l10_when_training_goes_wrong.dashboard import (
    HEALTHY_RATIO, monitored_run, plot_dashboard,
)
from course_lib.lessons.l10_when_training_goes_wrong.explorers import dashboard_explorer
from course_lib.lessons.l10_when_training_goes_wrong.health import HealthMonitor
from course_lib.lessons.l10_when_training_goes_wrong.triage import (
    adam_zero_eps_step, locate_first_nonfinite, naive_cross_entropy, naive_cross_entropy_grad, planted_cases,
    stable_cross_entropy_grad,
)
from course_lib.numpy_nn.losses import CrossEntropyLoss
from course_lib.numpy_nn.module import Sequential


# ---- the learner's locator, right and with each typical mistake ----------------------------------


def _bad(values, nan_only=False):
    return bool(np.isnan(values).any()) if nan_only else not np.isfinite(values).all()


def right_locator(layers, x, dloss):
    return _forward_only(layers, x) or _backward(layers, _output(layers, x), dloss)


def last_bad_locator(layers, x, dloss):
    """Keeps looking after the first broken value and reports the last one."""
    if _bad(x):
        return (0, "input")
    found = None
    for i, layer in enumerate(layers):
        x = layer(x)
        if _bad(x):
            found = (i, "forward")
    if found:
        return found
    g = dloss(x)
    for i in reversed(range(len(layers))):
        g = layers[i].backward(g)
        if _bad(g):
            found = (i, "backward")
    return found


def nan_only_locator(layers, x, dloss):
    if np.isnan(x).any():
        return (0, "input")
    for i, layer in enumerate(layers):
        x = layer(x)
        if np.isnan(x).any():
            return (i, "forward")
    g = dloss(x)
    if np.isnan(g).any():
        return (len(layers), "backward")
    for i in reversed(range(len(layers))):
        g = layers[i].backward(g)
        if np.isnan(g).any():
            return (i, "backward")
    return None


def input_side_locator(layers, x, dloss):
    """Runs the whole backward, then searches its gradients from the first layer up."""
    found = _forward_only(layers, x)
    if found is not None:
        return found
    g, grads = dloss(_output(layers, x)), {}
    if _bad(g):
        return (len(layers), "backward")
    for i in reversed(range(len(layers))):
        g = grads[i] = layers[i].backward(g)
    return next(((i, "backward") for i in range(len(layers)) if _bad(grads[i])), None)


def _forward_only(layers, x):
    """The forward half of the locator alone."""
    if _bad(x):
        return (0, "input")
    for i, layer in enumerate(layers):
        x = layer(x)
        if _bad(x):
            return (i, "forward")
    return None


def no_backward_locator(layers, x, dloss):
    return _forward_only(layers, x)


def off_by_one_locator(layers, x, dloss):
    found = right_locator(layers, x, dloss)
    return found if found is None or found[1] == "input" else (found[0] + 1, found[1])


def forward_word_locator(layers, x, dloss):
    found = right_locator(layers, x, dloss)
    return found if found is None else (found[0], "forward" if found[1] == "backward" else found[1])


def no_input_locator(layers, x, dloss):
    for i, layer in enumerate(layers):
        x = layer(x)
        if _bad(x):
            return (i, "forward")
    return _backward(layers, x, dloss)


def _backward(layers, out, dloss):
    g = dloss(out)
    if _bad(g):
        return (len(layers), "backward")
    for i in reversed(range(len(layers))):
        g = layers[i].backward(g)
        if _bad(g):
            return (i, "backward")
    return None


def no_loss_grad_locator(layers, x, dloss):
    found = _forward_only(layers, x)
    if found is not None:
        return found
    g = dloss(_output(layers, x))
    for i in reversed(range(len(layers))):
        g = layers[i].backward(g)
        if _bad(g):
            return (i, "backward")
    return None


def _output(layers, x):
    for layer in layers:
        x = layer(x)
    return x


@pytest.mark.parametrize(("wrong", "words"), [
    (last_bad_locator, "the last broken value, not the first"),
    (nan_only_locator, "only NaN is looked for"),
    (input_side_locator, "searched from the input side"),
    (no_backward_locator, "the backward pass is never searched"),
    (off_by_one_locator, "one too far along"),
    (forward_word_locator, 'must say "backward"'),
    (no_input_locator, "the data itself is broken"),
    (no_loss_grad_locator, "the loss gradient itself is broken"),
], ids=lambda v: getattr(v, "__name__", "")[:20])
def test_check_first_nonfinite_names_each_mistake(assert_teaches, wrong, words):
    with np.errstate(all="ignore"):
        assert_teaches(check_first_nonfinite, right_locator, wrong, words)


def test_check_first_nonfinite_refuses_a_healthy_answer_that_is_not_none(assert_teaches):
    def never_none(layers, x, dloss):
        return right_locator(layers, x, dloss) or (0, "forward")

    with np.errstate(all="ignore"):
        assert_teaches(check_first_nonfinite, right_locator, never_none, "nothing to report")


def test_check_first_nonfinite_refuses_an_unknown_direction(assert_teaches):
    def says_output(layers, x, dloss):
        found = right_locator(layers, x, dloss)
        return found if found is None else (found[0], "output")

    with np.errstate(all="ignore"):
        assert_teaches(check_first_nonfinite, right_locator, says_output, '"input", "forward" or "backward"')


# ---- the answer key against the monitor -----------------------------------------------------------


def _monitor_verdict(case):
    """The HealthMonitor's first_nonfinite on one step of ``case``, as (index, direction)."""
    model = Sequential(*case.layers)
    with HealthMonitor(model) as monitor, np.errstate(all="ignore"):
        model.backward(case.dloss(model(case.x)))
        monitor.step(None, 0.0)
    found = monitor.first_nonfinite
    if found is None:
        return None
    index = len(case.layers) if found.layer == "loss" else int(found.layer.split()[0])
    return (index, found.direction)


@pytest.mark.parametrize("k", range(len(planted_cases())), ids=[c.name for c in planted_cases()])
def test_the_answer_key_agrees_with_the_health_monitor(k):
    case, twin = planted_cases()[k], planted_cases()[k]
    with np.errstate(all="ignore"):
        found = locate_first_nonfinite(case.layers, case.x, case.dloss)
    assert found == _monitor_verdict(twin)


def test_the_planted_cases_cover_every_kind_of_answer():
    with np.errstate(all="ignore"):
        found = [locate_first_nonfinite(c.layers, c.x, c.dloss) for c in planted_cases()]
    assert found == [(2, "forward"), (2, "backward"), (0, "input"), (7, "backward"), None, (0, "input")]


def test_the_forward_overflow_is_inf_before_it_is_nan():
    """The case that tells 'only NaN' apart: layer 2's output is inf without NaN, layer 4's has NaN."""
    case = planted_cases()[0]
    with np.errstate(all="ignore"):
        x = case.x
        outputs = [x := layer(x) for layer in case.layers]
    assert np.isinf(outputs[2]).any() and not np.isnan(outputs[2]).any()
    assert np.isnan(outputs[4]).any()


# ---- the monitored runs and the dashboard --------------------------------------------------------


def test_the_twins_tell_the_same_story():
    numpy_run = monitored_run(library="numpy", lr=0.03, steps=15, n_train=500)
    torch_run = monitored_run(library="torch", lr=0.03, steps=15, n_train=500)
    np.testing.assert_allclose(numpy_run.losses, torch_run.losses, atol=1e-4)
    assert numpy_run.names == torch_run.names == ["0 Linear", "1 ReLU", "2 Linear", "3 ReLU", "4 Linear"]
    for name in ("0 Linear", "2 Linear", "4 Linear"):
        np.testing.assert_allclose(numpy_run.history[name]["update_ratio"], torch_run.history[name]["update_ratio"],
                                   rtol=1e-3)


def test_the_healthy_run_reads_as_the_lesson_says():
    run = monitored_run(lr=0.03, steps=150)
    assert run.first_nonfinite is None
    assert abs(run.losses[0] - np.log(10)) < 0.12 and 0.3 < np.mean(run.losses[-10:]) < 0.7
    ratios = [np.median(r) for r in run.series("update_ratio").values() if not np.isnan(r).all()]
    assert HEALTHY_RATIO[0] < min(ratios) and max(ratios) < HEALTHY_RATIO[1]


def test_monitored_run_refuses_an_unknown_library():
    with pytest.raises(ValueError, match="library must be"):
        monitored_run(library="jax", steps=1)


def _texts(figure):
    return " ".join([figure.get_suptitle()] + [t.get_text() for ax in figure.axes for t in ax.texts])


def test_plot_dashboard_draws_six_panels_and_says_where_the_first_nan_was():
    healthy = monitored_run(lr=0.03, steps=5, n_train=300)
    figure = plot_dashboard(healthy)
    assert len(figure.axes) == 6 and "no NaN or inf" in figure.get_suptitle()
    assert all(ax.get_title() and ax.get_xlabel() for ax in figure.axes)
    assert figure.axes[4].get_yscale() == "log" and len(figure.axes[4].patches) == 1  # the healthy band
    broken = monitored_run(lr=0.03, steps=5, n_train=300, nan_pixel_at=2)
    text = _texts(plot_dashboard(broken))
    assert "step 2" in text and "data given to 0 Linear" in text


def test_plot_dashboard_refuses_what_it_cannot_draw():
    run = monitored_run(steps=2, n_train=200)
    with pytest.raises(ValueError, match="metric must be"):
        plot_dashboard(run, metric="speed")
    with pytest.raises(ValueError, match="layer must be one of"):
        plot_dashboard(run, layer="7 Softmax")


def test_the_explorer_redraws_for_each_control():
    explorer = dashboard_explorer(steps=6, n_train=200, sizes=(784, 16, 10))
    assert set(explorer.controls) == {"layer", "metric", "upto", "reset"}
    before = [line.get_xydata().copy() for line in explorer.figure.axes[0].lines]
    explorer.controls["upto"].value = 2
    assert len(explorer.figure.axes[0].lines[0].get_xydata()) == 3 != len(before[0])


def _panels(figure):
    """What a learner reads on each panel: titles, labels, tick labels, texts, legends, the data drawn."""
    return [(ax.get_title(), ax.get_xlabel(), ax.get_ylabel(), ax.get_yscale(),
             [t.get_text() for t in ax.get_xticklabels()], [t.get_text() for t in ax.texts],
             [t.get_text() for t in ax.get_legend().get_texts()] if ax.get_legend() else [],
             [line.get_xydata().tolist() for line in ax.lines], [p.get_path().vertices.tolist() for p in ax.patches])
            for ax in figure.axes] + [figure.get_suptitle()]


def test_the_explorer_redraws_only_the_panels_a_control_changes_into_the_fresh_picture():
    explorer = dashboard_explorer(steps=8, n_train=200, sizes=(784, 16, 10))
    loss_line, histogram = explorer.figure.axes[0].lines[0], explorer.figure.axes[1].patches[0]
    explorer.controls["layer"].value = "0 Linear"
    assert explorer.figure.axes[0].lines[0] is loss_line and explorer.figure.axes[1].patches[0] is not histogram
    for name, value in [("metric", "std"), ("upto", 3), ("layer", "2 Linear"), ("metric", "dead"), ("upto", 6)]:
        explorer.controls[name].value = value
        fresh = plot_dashboard(explorer.monitor, layer=explorer.controls["layer"].value,
                               metric=explorer.controls["metric"].value, upto=explorer.controls["upto"].value)
        assert _panels(explorer.figure) == _panels(fresh), name


# ---- the triage demonstrations -------------------------------------------------------------------


def test_naive_softmax_breaks_where_log_sum_exp_does_not():
    logits, y = np.array([[1000.0, 0.0, -5.0]]), np.array([1])
    assert not np.isfinite(naive_cross_entropy(logits, y))
    assert CrossEntropyLoss()(logits, y) == pytest.approx(1000.0)
    assert np.isnan(naive_cross_entropy_grad(logits, y)).any()
    assert np.isfinite(stable_cross_entropy_grad(logits, y)).all()


def test_adam_with_zero_eps_makes_nan_from_a_zero_gradient():
    _, after = adam_zero_eps_step(0.0)
    assert np.isfinite(after[0]) and np.isnan(after[1])
    _, after = adam_zero_eps_step(1e-8)
    np.testing.assert_allclose(after, [0.49, -0.3])
    run = monitored_run(optimizer="Adam", lr=1e-3, eps=0.0, steps=2, n_train=500)
    assert run.first_nonfinite.step == 0 and run.first_nonfinite.direction == "update"


def test_a_nan_pixel_is_found_in_the_data_at_its_step():
    run = monitored_run(steps=6, n_train=300, nan_pixel_at=4)
    assert (run.first_nonfinite.step, run.first_nonfinite.layer, run.first_nonfinite.direction) == (4, "0 Linear", "input")
    assert np.isfinite(run.losses[:4]).all() and np.isnan(run.losses[4])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_huge_learning_rate_breaks_and_clipping_keeps_it_finite(seed):
    broken = monitored_run(lr=100.0, steps=12, seed=seed)
    assert broken.first_nonfinite is not None and broken.first_nonfinite.step <= 10
    assert broken.first_nonfinite.direction in ("forward", "backward")
    clipped = monitored_run(lr=100.0, steps=12, seed=seed, clip=1.0)
    assert clipped.first_nonfinite is None and np.mean(clipped.losses[-5:]) > np.log(10)


def test_a_new_layer_or_metric_keeps_the_layout_only_while_every_panel_still_fits(notebook, monkeypatch):
    import course_lib.lessons.l10_when_training_goes_wrong.explorers as explorers

    relayouts = []
    show = explorers.show_figure
    monkeypatch.setattr(explorers, "show_figure", lambda *a, relayout: relayouts.append(relayout) or show(*a, relayout=relayout))
    explorer = dashboard_explorer(steps=30, n_train=300, sizes=(784, 32, 16, 10))
    figure = explorer.figure
    renderer = figure.canvas.get_renderer()
    changes = [("layer", name) for name in explorer.monitor.names] + [("upto", 3)] + [
        ("metric", m) for m in ("std", "mean", "dead", "grad")] + [("upto", 29), ("layer", "0 Linear")]
    for name, value in changes:
        explorer.controls[name].value = value
        if name == "upto":
            assert relayouts[-1] is False, "a slider keeps the layout"
            continue
        boxes = [ax.get_tightbbox(renderer, for_layout_only=True) for ax in figure.axes]
        assert all(figure.bbox.contains(b.x0 + 0.5, b.y0 + 0.5) and figure.bbox.contains(b.x1 - 0.5, b.y1 - 0.5)
                   for b in boxes), f"{name} = {value}: a panel reaches out of the figure"
        assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:]), f"{name} = {value}: panels overlap"
    assert relayouts[0] is True and False in relayouts[1:len(explorer.monitor.names) + 1], "some choices keep the layout"


def test_moving_upto_draws_less_of_the_curves_on_the_axes_of_the_whole_run():
    explorer = dashboard_explorer(steps=8, n_train=200, sizes=(784, 16, 10))
    timed = [explorer.figure.axes[p] for p in (0, 4, 5)]  # the loss, the update ratios, panel 6

    def frames():
        return [(ax.get_xlim(), ax.get_ylim()) for ax in timed]

    whole = frames()
    for upto in (1, 4, 6):
        explorer.controls["upto"].value = upto
        assert frames() == whole, f"upto = {upto}"
        assert all(len(line.get_xdata()) == upto + 1 for ax in timed for line in ax.lines if len(line.get_xdata()) > 2)
