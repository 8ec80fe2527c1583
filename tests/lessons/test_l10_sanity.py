"""Lesson 10, section 1 (sanity checks before training): the measurements the prose quotes, the
library code's behaviour, and the update/weight ratio check's named wrong answers."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.data import load_mnist
from course_lib.lessons.l10_when_training_goes_wrong.checks import (
    check_update_ratio, predict_initial_loss, ratio_cases,
)
from course_lib.lessons.l10_when_training_goes_wrong.health import HealthMonitor
from course_lib.lessons.l10_when_training_goes_wrong.sanity import (
    RATIO_SIZES, SIZES, ForgottenSkip, initial_losses, overfit_tiny_batch, plot_overfit, plot_update_ratios,
    relative_update, sanity_images, steps_to_reach, update_ratios,
)
from course_lib.numpy_nn.gradcheck import check_layer
from course_lib.numpy_nn.layers import Linear, Tanh
from course_lib.numpy_nn.losses import CrossEntropyLoss
from course_lib.numpy_nn.models import MLP
from course_lib.numpy_nn.module import Sequential
from course_lib.numpy_nn.optimizers import SGD
from course_lib.numpy_nn.residual import Residual

norm = np.linalg.norm


def right(before, after):
    return float(norm(after - before) / norm(before))


# ---- the data ---------------------------------------------------------------------------------------


def test_sanity_images_are_the_first_training_images_standardised_as_load_mnist_does():
    X, y = sanity_images(50, offset=10)
    X_std, y_all = load_mnist("train", normalize="standard")
    np.testing.assert_allclose(X, X_std[10:60], atol=1e-5)
    np.testing.assert_array_equal(y, y_all[10:60])
    raw, _ = sanity_images(50, offset=10, standardise=False)
    assert raw.dtype == np.float32 and raw.min() == 0 and raw.max() == 255
    with pytest.raises(ValueError, match="there are 3000"):
        sanity_images(10, offset=2995)


# ---- 1.1 the loss at initialisation -------------------------------------------------------------


def test_the_untrained_loss_is_ln_10_and_the_two_mistakes_give_more_than_20():
    healthy = initial_losses()
    assert np.all(np.abs(healthy / np.log(10) - 1) < 0.03), healthy
    assert initial_losses(standardise=False).min() > 20
    assert initial_losses(weight_scale=10).min() > 20


def test_what_the_prose_says_about_the_two_mistakes():
    """Raw pixels make the first layer's outputs about 80 times larger; ten times the weights (and biases) of
    both layers about a hundred times the logits; the MLP has 50 890 weights."""
    X, _ = sanity_images(1000, offset=2000)
    raw, _ = sanity_images(1000, offset=2000, standardise=False)
    for seed in range(3):
        model = MLP(SIZES, rng=np.random.default_rng(seed))
        assert 70 < norm(model[0](raw)) / norm(model[0](X)) < 95
        logits = model(X)
        for p in model.parameters():
            p.data *= 10
        assert 90 < norm(model(X)) / norm(logits) < 110
    assert sum(p.data.size for p in MLP(SIZES, rng=np.random.default_rng(0)).parameters()) == 50_890


def test_the_prediction_is_the_untrained_loss_and_takes_a_guess_near_ln_10(capsys):
    assert abs(predict_initial_loss.truth() - np.log(10)) < 0.03 * np.log(10)
    assert predict_initial_loss(2.3) is True
    assert predict_initial_loss(0.5) is False
    assert predict_initial_loss(None) is None
    assert "2.3" not in capsys.readouterr().out.split("\n")[-2]  # the verdict does not reveal the truth


# ---- 1.2 overfitting a tiny batch ----------------------------------------------------------------


def test_a_tiny_batch_is_memorised_within_120_steps_for_every_seed():
    for seed in range(3):
        losses = overfit_tiny_batch(seed=seed)
        assert len(losses) == 150 and abs(losses[0] - np.log(10)) < 0.1
        reached = steps_to_reach(losses, 0.01)
        assert reached is not None and 10 <= reached <= 120 and losses[-1] < 0.01


def test_overfitting_fails_when_the_loop_is_broken():
    """The test is a real test: with a learning rate of 0 (a missing step) the loss stays at ln 10."""
    losses = overfit_tiny_batch(steps=50, lr=0.0)
    assert steps_to_reach(losses, 0.01) is None and np.allclose(losses, losses[0])


def test_steps_to_reach_is_the_first_step_below_the_threshold():
    assert steps_to_reach([3.0, 0.5, 0.005, 0.02, 0.001], 0.01) == 2
    assert steps_to_reach([3.0, 2.0], 0.01) is None
    assert steps_to_reach([0.001], 0.01) == 0


# ---- 1.3 the update/weight ratio -------------------------------------------------------------------


def test_relative_update_is_the_health_monitors_update_ratio():
    X, y = sanity_images(64)
    model, loss_fn = MLP(RATIO_SIZES, rng=np.random.default_rng(0)), CrossEntropyLoss()
    optimizer = SGD(model.parameters(), lr=0.05)
    monitor = HealthMonitor(model)
    before = [layer.weight.data.copy() for layer in model if isinstance(layer, Linear)]
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    model.backward(loss_fn.backward())
    monitor.step(optimizer, loss)
    after = [layer.weight.data for layer in model if isinstance(layer, Linear)]
    recorded = [v[0] for v in monitor.series("update_ratio").values() if not np.isnan(v[0])]
    np.testing.assert_allclose([relative_update(b, a) for b, a in zip(before, after)], recorded, rtol=1e-12)


def test_relative_update_by_hand():
    assert relative_update(np.array([[3.0, 4.0]]), np.array([[3.0, 4.5]])) == pytest.approx(0.1)


def test_update_ratios_follow_the_learning_rate_and_use_the_given_ratio():
    small, healthy = update_ratios(1e-4, steps=5), update_ratios(1e-2, steps=5)
    assert small.shape == healthy.shape == (5, len(RATIO_SIZES) - 1)
    np.testing.assert_allclose(healthy[0] / small[0], 100, rtol=1e-4)  # the same first gradient, 100 times the step
    assert 3e-4 < np.median(healthy) < 3e-3 and 3e-6 < np.median(small) < 3e-5
    calls = []
    constant = update_ratios(1e-2, steps=2, ratio=lambda b, a: calls.append(b.shape) or 0.5)
    assert np.all(constant == 0.5) and calls[:3] == [(64, 784), (64, 64), (10, 64)]


def test_at_learning_rate_1_the_ratio_is_large_the_weights_grow_and_most_first_layer_relus_die():
    """What the prose says of η = 1: ratios of 0.1 or more, and the later fall is no recovery."""
    X, y = sanity_images(2000)
    medians = []
    for seed in range(3):
        medians.append(np.median(update_ratios(1.0, seed=seed)))
        # update_ratios' run again, watched by the monitor
        model, loss_fn = MLP(RATIO_SIZES, rng=np.random.default_rng(seed)), CrossEntropyLoss()
        optimizer, draw = SGD(model.parameters(), lr=1.0), np.random.default_rng(1000 + seed)
        start = [norm(layer.weight.data) for layer in model if isinstance(layer, Linear)]
        monitor = HealthMonitor(model)
        with np.errstate(all="ignore"):
            for _ in range(20):
                batch = draw.choice(len(X), size=64, replace=False)
                optimizer.zero_grad()
                loss = loss_fn(model(X[batch]), y[batch])
                model.backward(loss_fn.backward())
                monitor.step(optimizer, loss)
        end = [norm(layer.weight.data) for layer in model if isinstance(layer, Linear)]
        assert all(e > 2 * s for s, e in zip(start, end)), (start, end)
        assert np.mean(monitor.history["1 ReLU"]["dead"][-5:]) > 0.5
    assert np.mean(medians) > 0.1


# ---- 1.4 gradient checks ------------------------------------------------------------------------


def test_the_gradient_check_passes_the_residual_block_and_finds_the_forgotten_skip():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6))
    errors = check_layer(Residual(Sequential(Linear(6, 6, rng=rng), Tanh())), x, rng=rng)
    assert max(errors.values()) < 1e-7
    buggy = check_layer(ForgottenSkip(Sequential(Linear(6, 6, rng=rng), Tanh())), x, rng=rng)
    assert buggy["input"] > 0.1 and max(buggy["body.0.weight"], buggy["body.0.bias"]) < 1e-7


def test_the_forgotten_skip_computes_the_same_forward_and_parameter_gradients():
    rng = np.random.default_rng(1)
    body = Sequential(Linear(5, 5, rng=rng), Tanh())
    good, bad = Residual(body), ForgottenSkip(body)
    x, dy = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    np.testing.assert_array_equal(good(x), bad(x))
    body.zero_grad()
    bad(x)
    dx_bad = bad.backward(dy)
    grads_bad = [p.grad.copy() for p in body.parameters()]
    body.zero_grad()
    good(x)
    dx_good = good.backward(dy)
    np.testing.assert_allclose(dx_good - dy, dx_bad)
    for g, b in zip([p.grad for p in body.parameters()], grads_bad):
        np.testing.assert_allclose(g, b)


# ---- the figures --------------------------------------------------------------------------------


def test_plot_overfit_draws_the_losses_the_threshold_and_ln_10():
    losses = np.array([2.3, 0.5, 0.05, 0.004])
    ax = plot_overfit(losses, threshold=0.01)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), losses)
    assert ax.lines[1].get_ydata()[0] == 0.01 and ax.lines[2].get_ydata()[0] == pytest.approx(np.log(10))
    assert ax.get_yscale() == "log" and ax.get_title() and ax.get_xlabel() and ax.get_legend()


def test_plot_update_ratios_draws_the_median_of_the_seeds_per_layer():
    runs = np.array([np.full((4, 3), 1e-3), np.full((4, 3), 2e-3), np.full((4, 3), 1e9)])  # one seed blew up
    ax = plot_update_ratios({1e-2: runs, 1.0: runs * 100})
    assert len(ax.lines) == 2 * 3 + 1  # a line per learning rate and layer, and the 1e-3 line
    np.testing.assert_allclose(ax.lines[0].get_ydata(), 2e-3)
    np.testing.assert_allclose(ax.lines[3].get_ydata(), 0.2)
    assert ax.get_yscale() == "log" and ax.get_title() and ax.get_ylabel() and ax.get_legend()


# ---- the check of the learner's update_ratio ------------------------------------------------------


def _each(fn):
    return lambda before, after: fn(np.asarray(before), np.asarray(after))


MISTAKES = {
    "inverse": (lambda b, a: norm(b) / norm(a - b), "inverse ratio"),
    "norm difference": (lambda b, a: (norm(a) - norm(b)) / norm(b), "change of the weights' norm"),
    "absolute norm difference": (lambda b, a: abs(norm(a) - norm(b)) / norm(b), "change of the weights' norm"),
    "divided by after": (lambda b, a: norm(a - b) / norm(a), "after the step"),
    "swapped arguments": (lambda b, a: right(a, b), "before and after swapped"),
    "not divided": (lambda b, a: norm(a - b), "the size of the step alone"),
    "squared norms": (lambda b, a: norm(a - b) ** 2 / norm(b) ** 2, "squared norms"),
    "mean of element-wise ratios": (lambda b, a: np.mean(np.abs(a - b) / np.abs(b)), "entry-by-entry ratios"),
    "signed element-wise ratios": (lambda b, a: np.mean((a - b) / b), "signs cancel"),
    "L1 norms": (lambda b, a: np.abs(a - b).sum() / np.abs(b).sum(), "L1 norm"),
    "spectral norms": (lambda b, a: norm(a - b, 2) / norm(b, 2), "spectral norms"),
    "an array, entry by entry": (lambda b, a: np.abs(a - b) / np.abs(b), "Return one number for the whole layer"),
    "the norm of each row": (lambda b, a: norm(a - b, axis=1) / norm(b, axis=1), "not entry by entry"),
}


@pytest.mark.parametrize("mistake", MISTAKES, ids=str)
def test_check_update_ratio_names_the_mistake(mistake, assert_teaches):
    wrong, words = MISTAKES[mistake]
    assert_teaches(check_update_ratio, right, _each(wrong), words)


def test_check_update_ratio_accepts_a_numpy_float_and_the_norm_written_out(capsys):
    check_update_ratio(lambda b, a: np.linalg.norm(a - b) / np.linalg.norm(b))  # a np.float64, not a float
    check_update_ratio(lambda b, a: np.sqrt(np.sum((a - b) ** 2) / np.sum(b**2)))
    assert capsys.readouterr().out.count("passed all") == 2


def test_ratio_cases_tell_every_mistake_apart_from_the_right_answer():
    """Each named mistake is wrong, by more than the check's tolerance, on at least one case."""
    cases = ratio_cases()
    for name, (wrong, _) in MISTAKES.items():
        if name.startswith(("an array", "the norm of each row")):
            continue
        assert any(not np.isclose(wrong(b, a), right(b, a), rtol=1e-4) for b, a in cases), name
    ratios = sorted(right(b, a) for b, a in cases)
    assert ratios[0] < 1e-5 and ratios[-1] > 1  # tiny and large steps
