"""Lesson 10, section 4 (vanishing and exploding gradients in depth): the deep networks and their
gradient norms, the depth figure's shape as the prose states it, the race, the layer norm backward
self-check and the mistakes it names, the predictions and the depth explorer."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.lessons.l10_when_training_goes_wrong.checks import (
    check_layer_norm_backward, choose_batch_norm_depth50, choose_plain_depth50, layer_norm_answer_key,
    layer_norm_mistakes,
)
from course_lib.lessons.l10_when_training_goes_wrong.depth import (
    DEPTHS, KINDS, RATIO_OPTIONS, build_deep_net, depth_table, first_layer_norms, gradient_norms, image_spread,
    layer_norm_forward, linear_layers, race_data, ratio_words, standard_batch, train_race,
)
from course_lib.lessons.l10_when_training_goes_wrong.explorers import depth_explorer
from course_lib.lessons.l10_when_training_goes_wrong.depth_plots import (
    plot_depth_figure, plot_layer_gradients, plot_race,
)
from course_lib.numpy_nn.gradcheck import check_layer
from course_lib.numpy_nn.layers import BatchNorm1d
from course_lib.numpy_nn.normalization import LayerNorm
from course_lib.numpy_nn.residual import Residual

def layer_norm_backward(dy, cache):
    """The notebook's worked solution (the right answer the mistakes below are compared with)."""
    x, gamma, eps = cache
    mu = x.mean(axis=1, keepdims=True)
    sigma = np.sqrt(x.var(axis=1, keepdims=True) + eps)
    x_hat = (x - mu) / sigma
    dx_hat = dy * gamma
    dx = (dx_hat - dx_hat.mean(axis=1, keepdims=True) - x_hat * (dx_hat * x_hat).mean(axis=1, keepdims=True)) / sigma
    return dx, (dy * x_hat).sum(axis=0), dy.sum(axis=0)


@pytest.fixture(scope="module")
def batch():
    return standard_batch()


@pytest.fixture(scope="module")
def table(batch):
    return first_layer_norms(list(KINDS), DEPTHS, *batch)


# ---- the networks ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("depth", [2, 3, 7])
def test_a_deep_net_has_depth_linear_layers_and_gives_one_gradient_norm_each(kind, depth):
    rng = np.random.default_rng(0)
    model = build_deep_net(kind, depth, width=8, n_in=5, n_out=3, rng=rng)
    assert len(linear_layers(model)) == depth
    X, y = rng.normal(size=(16, 5)), rng.integers(0, 3, size=16)
    assert model(X).shape == (16, 3)
    norms = gradient_norms(model, X, y)
    assert norms.shape == (depth,) and np.all(np.isfinite(norms)) and np.all(norms > 0)


def test_the_kinds_are_built_of_what_they_say():
    rng = np.random.default_rng(0)
    kinds = {kind: build_deep_net(kind, 4, width=8, n_in=5, rng=rng) for kind in KINDS}
    assert any(isinstance(layer, BatchNorm1d) for layer in kinds["batch norm"].layers)
    assert any(isinstance(layer, LayerNorm) for layer in kinds["layer norm"].layers)
    assert sum(isinstance(layer, Residual) for layer in kinds["residual"].layers) == 2
    he = linear_layers(build_deep_net("plain, He init", 3, width=400, n_in=5, rng=rng))[1].weight.data
    large = linear_layers(build_deep_net("plain, large init", 3, width=400, n_in=5, rng=rng))[1].weight.data
    np.testing.assert_allclose([he.var(), large.var()], [2 / 400, 4 / 400], rtol=0.05)


def test_a_wrong_kind_or_depth_is_refused():
    with pytest.raises(ValueError, match="kind must be one of"):
        build_deep_net("resnet", 5, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="at least 2"):
        build_deep_net("batch norm", 1, rng=np.random.default_rng(0))


def test_clipping_caps_the_total_gradient_norm_and_keeps_the_proportions():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(32, 10)), rng.integers(0, 10, size=32)
    model = build_deep_net("plain, large init", 12, width=16, n_in=10, rng=np.random.default_rng(2))
    free = gradient_norms(model, X, y)
    clipped = gradient_norms(model, X, y, clip=1.0)
    assert np.linalg.norm(free) > 10
    total = np.sqrt(sum(np.sum(p.grad**2) for p in model.parameters()))
    assert total == pytest.approx(1.0, rel=1e-6)
    np.testing.assert_allclose(clipped / clipped[0], free / free[0], rtol=1e-9)


# ---- the depth figure, as the prose states it ----------------------------------------------------------------


def test_the_plain_net_with_the_default_init_loses_the_gradient_geometrically(table):
    values = table["plain, default init"]
    assert np.all(np.diff(np.log10(values)) < 0), values  # falls at every step in depth
    assert values[-1] / values[0] < 1e-15


def test_twice_hes_variance_makes_the_gradient_explode(table):
    values = table["plain, large init"]
    assert np.all(np.diff(np.log10(values)) > 0) and values[-1] / values[0] > 1e5, values


def test_layer_norm_and_residual_keep_the_first_layers_gradient_within_a_factor_of_ten(table):
    for kind in ("layer norm", "residual", "plain, He init"):
        values = table[kind]
        assert values.max() / values.min() < 10, (kind, values)


def test_batch_norm_alone_lets_the_first_layers_gradient_grow_with_depth(table):
    values = table["batch norm"]
    assert values[-1] / values[0] > 100 and values[-1] == values.max(), values


def test_the_depth_table_prints_every_kind_and_depth(table):
    text = depth_table(table, DEPTHS)
    assert all(kind in text for kind in KINDS) and text.splitlines()[0].split()[1:] == [str(d) for d in DEPTHS]


# ---- the race ----------------------------------------------------------------------------------------------


def test_the_race_records_every_step_and_stops_a_run_at_its_first_nan():
    rng = np.random.default_rng(0)
    train = rng.normal(size=(96, 12)), rng.integers(0, 10, size=96)
    val = rng.normal(size=(40, 12)), rng.integers(0, 10, size=40)
    results = train_race(["residual", "plain, large init", "plain, large init + clipping"], train, val, depth=20,
                         width=16, epochs=2, batch_size=32, lr=0.5, seeds=(0, 1))
    assert all(r.losses.shape == (2, 6) and r.accuracy.shape == (2,) for r in results.values())
    exploded = results["plain, large init"]
    assert np.isnan(exploded.losses[:, -1]).all() and np.all(exploded.accuracy == 0), exploded.losses
    assert np.isfinite(exploded.losses[:, 0]).all()
    assert np.isfinite(results["plain, large init + clipping"].losses).all()


def test_the_race_records_the_spread_and_the_first_layers_update_ratio():
    rng = np.random.default_rng(0)
    train = rng.normal(size=(96, 12)), rng.integers(0, 10, size=96)
    val = rng.normal(size=(40, 12)), rng.integers(0, 10, size=40)
    results = train_race(["residual", "plain, large init"], train, val, depth=20, width=16, epochs=2, batch_size=32,
                         lr=0.5, seeds=(0, 1))
    fine, exploded = results["residual"], results["plain, large init"]
    assert fine.spread.shape == (2,) and np.all((fine.spread > 0) & (fine.spread <= 1))
    assert fine.first_ratio.shape == (2, 6) and np.all(fine.first_ratio > 0)
    assert np.isnan(exploded.spread).all()  # a diverged network has no last layer to measure
    assert np.isnan(exploded.first_ratio[:, -1]).all()  # no step after the NaN


def test_the_spread_is_zero_for_identical_images_and_at_most_one():
    model = build_deep_net("plain, He init", 4, width=8, n_in=5, rng=np.random.default_rng(0))
    same = np.tile(np.random.default_rng(1).normal(size=(1, 5)), (7, 1))
    assert image_spread(model, same) == pytest.approx(0, abs=1e-12)
    assert 0 < image_spread(model, np.random.default_rng(2).normal(size=(7, 5))) <= 1


def test_the_deep_default_init_maps_every_image_to_the_same_vector(batch):
    model = build_deep_net("plain, default init", 30, rng=np.random.default_rng(0))
    assert image_spread(model, batch[0]) < 1e-6


def test_why_layer_norm_does_not_learn_as_the_prose_says():
    """Section 4.5: on seeds 0 and 2 layer norm's images start nearly alike and merge in the race, its first
    layer's steps shrink; seed 1 starts further apart and learns a little; the residual network's stay apart."""
    train, val = race_data(1472)
    kinds = ["layer norm", "residual"]
    start = {k: np.array([image_spread(build_deep_net(k, 30, rng=np.random.default_rng(s)), val[0]) for s in (0, 1, 2)])
             for k in kinds}
    race = train_race(kinds, train, val, depth=30, epochs=2, lr=0.01, seeds=(0, 1, 2))
    ln, res = race["layer norm"], race["residual"]
    assert np.all(start["layer norm"][[0, 2]] < 0.15) and start["layer norm"][1] > 0.2, start
    assert np.all(ln.spread[[0, 2]] < 0.05) and np.all(ln.accuracy[[0, 2]] < 0.12), (ln.spread, ln.accuracy)
    assert np.argmax(ln.accuracy) == 1
    assert np.median(ln.first_ratio[:, :5]) / np.median(ln.first_ratio[:, -10:]) > 5
    assert start["residual"].min() > 0.5 and res.spread.min() > start["residual"].max()
    assert res.accuracy.min() > 0.75


def test_the_race_is_repeatable_for_a_seed():
    rng = np.random.default_rng(0)
    train, val = (rng.normal(size=(64, 6)), rng.integers(0, 3, size=64)), (rng.normal(size=(9, 6)), np.arange(9) % 3)
    first, again = (train_race(["layer norm"], train, val, depth=4, width=8, seeds=(3,))["layer norm"] for _ in range(2))
    np.testing.assert_array_equal(first.losses, again.losses)


# ---- layer norm, forward and backward --------------------------------------------------------------------


def test_the_written_out_forward_is_the_references_layer_norm():
    rng = np.random.default_rng(4)
    x, gamma, beta = rng.normal(2, 3, size=(5, 7)), rng.uniform(0.5, 2, size=7), rng.normal(size=7)
    layer = LayerNorm(7)
    layer.weight.data[:], layer.bias.data[:] = gamma, beta
    y, cache = layer_norm_forward(x, gamma, beta)
    np.testing.assert_allclose(y, layer(x), rtol=1e-12)
    assert cache[0] is x and cache[2] == 1e-5
    x_hat, _ = layer_norm_forward(x, np.ones(7), np.zeros(7))  # each example: mean 0, biased variance 1
    np.testing.assert_allclose([x_hat.mean(axis=1), x_hat.var(axis=1)], [np.zeros(5), np.ones(5)], atol=1e-5)


def test_the_solution_agrees_with_the_references_backward_and_with_gradient_checks():
    rng = np.random.default_rng(5)
    x, gamma, dy = rng.normal(1, 2, size=(6, 4)), rng.uniform(0.5, 2, size=4), rng.normal(size=(6, 4))
    layer = LayerNorm(4)
    layer.weight.data[:] = gamma
    layer(x)
    dx_ref = layer.backward(dy)
    dx, dgamma, dbeta = layer_norm_backward(dy, (x, gamma, 1e-5))
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dgamma, layer.weight.grad, rtol=1e-10)
    np.testing.assert_allclose(dbeta, layer.bias.grad, rtol=1e-10)
    assert max(check_layer(layer, x, rng=rng).values()) < 1e-7


def test_the_named_mistakes_all_differ_from_the_right_answer():
    rng = np.random.default_rng(6)
    x, gamma, dy = rng.normal(1, 2, size=(4, 5)), rng.uniform(0.5, 2, size=5), rng.normal(size=(4, 5))
    right = layer_norm_backward(dy, (x, gamma, 1e-5))
    for name, (why, wrong) in layer_norm_mistakes(dy, x, gamma, 1e-5).items():
        differs = [np.shape(w) != np.shape(r) or not np.allclose(w, r, rtol=1e-4) for w, r in zip(wrong, right)]
        assert any(differs), name


def _variant(**change):
    """The solution with one typical mistake (see layer_norm_mistakes)."""
    def backward(dy, cache):
        x, gamma, eps = cache
        axis, ddof = change.get("axis", 1), change.get("ddof", 0)
        mu = x.mean(axis=axis, keepdims=True)
        sigma = np.sqrt(x.var(axis=axis, ddof=ddof, keepdims=True) + eps)
        x_hat = (x - mu) / sigma
        dx_hat = dy if change.get("no_gamma") else dy * gamma
        dx = dx_hat
        if not change.get("no_mean"):
            dx = dx - dx_hat.mean(axis=axis, keepdims=True)
        if not change.get("no_var"):
            dx = dx - x_hat * (dx_hat * x_hat).mean(axis=axis, keepdims=True)
        reduce = change.get("reduce", lambda a: a.sum(axis=0))
        return dx / sigma, reduce(dy * x_hat), reduce(dy)
    return backward


@pytest.mark.parametrize(("wrong", "words"), [
    (_variant(no_var=True), "path through the variance is missing"),
    (_variant(no_mean=True), "path through the mean is missing"),
    (_variant(no_mean=True, no_var=True), "treated as constants"),
    (_variant(no_gamma=True), "γ is forgotten in dx"),
    (_variant(ddof=1), "unbiased variance"),
    (_variant(axis=0), "batch norm's statistics"),
    (_variant(reduce=lambda a: a.sum(axis=1)), "summed over the wrong axis"),
    (_variant(reduce=lambda a: a.mean(axis=0)), "average over the examples"),
], ids=["variance path", "mean path", "both paths", "gamma", "unbiased", "batch axis", "gamma axis", "gamma mean"])
def test_layer_norm_backward_names_the_typical_mistake(assert_teaches, wrong, words):
    assert_teaches(check_layer_norm_backward, layer_norm_backward, wrong, words)


def test_a_sign_error_fails_with_the_gradient_checks_relative_error(assert_teaches):
    def flipped(dy, cache):
        dx, dgamma, dbeta = layer_norm_backward(dy, cache)
        return -dx, dgamma, dbeta
    assert_teaches(check_layer_norm_backward, layer_norm_backward, flipped, "relative error of 1.0e+00 against central differences (a correct rule gives about 1e-9). The sign")


def test_the_answer_key_is_the_references_layer_norm_and_grades_the_biggest_case(assert_teaches):
    calls = []

    def right_until_big(dy, cache):
        calls.append(dy.shape)
        dx, dgamma, dbeta = layer_norm_backward(dy, cache)
        return (dx * 1.001 if dy.size > 30 else dx), dgamma, dbeta
    assert_teaches(check_layer_norm_backward, layer_norm_backward, right_until_big,
                   "against numpy_nn's LayerNorm.backward")
    assert calls[-1] == (16, 32)
    rng = np.random.default_rng(7)
    x, gamma, dy = rng.normal(size=(5, 4)), rng.uniform(0.5, 2, size=4), rng.normal(size=(5, 4))
    for key, ours in zip(layer_norm_answer_key(dy, x, gamma, 1e-5), layer_norm_backward(dy, (x, gamma, 1e-5))):
        np.testing.assert_allclose(key, ours, rtol=1e-10, atol=1e-13)


# ---- the predictions -----------------------------------------------------------------------------------------


def test_ratio_words_cut_at_the_powers_of_ten():
    assert [ratio_words(r) for r in (1e-9, 1e-3, 1.0, 3e3, 1e8)] == list(RATIO_OPTIONS)


def test_the_predictions_answers(capsys):
    assert choose_plain_depth50.truth() == "more than a million times smaller"
    assert choose_batch_norm_depth50.truth() == "10 to a million times larger"
    choose_plain_depth50("more than a million times smaller")
    assert "right" in capsys.readouterr().out.lower()


# ---- the pictures and the explorer ---------------------------------------------------------------------------


def test_the_plots_draw_one_line_per_kind(table):
    import matplotlib.pyplot as plt

    fig, (a, b, c, d) = plt.subplots(1, 4)
    plot_depth_figure(table, DEPTHS, a)
    assert len(a.get_lines()) == len(KINDS) and a.get_yscale() == "log"
    plot_layer_gradients({"plain, He init": np.array([1.0, 0.0, 2.0])}, b)
    assert np.isnan(b.get_lines()[0].get_ydata()[1])  # a zero cannot sit on a log axis: left out
    rng = np.random.default_rng(0)
    train, val = (rng.normal(size=(40, 6)), rng.integers(0, 3, size=40)), (rng.normal(size=(9, 6)), np.arange(9) % 3)
    plot_race(train_race(["residual", "plain, large init"], train, val, depth=4, width=8, lr=5.0), c, d)
    assert len(d.get_yticklabels()) == 2


def test_the_explorer_shows_the_chosen_depth_and_refuses_what_it_cannot():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(16, 10)), rng.integers(0, 10, size=16)
    explorer = depth_explorer(X, y, depth=7, width=8)
    assert len(explorer.figure.axes[0].get_lines()[0].get_xdata()) == 7
    explorer.controls["depth"].value = 12
    assert len(explorer.figure.axes[0].get_lines()[0].get_xdata()) == 12
    with pytest.raises(ValueError, match="depth must be in 2..50"):
        depth_explorer(X, y, depth=60)
