"""Penalties, gradient clipping and early stopping, NumPy and torch."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from course_lib.numpy_nn import regularization as R
from course_lib.numpy_nn.gradcheck import numerical_gradient, rel_error
from course_lib.numpy_nn.layers import BatchNorm1d, Linear
from course_lib.numpy_nn.module import Parameter, Sequential
from course_lib.numpy_nn.regularization import (
    EarlyStopping,
    clip_grad_norm_,
    l1_penalty,
    l1_penalty_grad,
    l2_penalty,
    l2_penalty_grad,
)
from course_lib.torch_nn import regularization as TR

# ------------------------------------------------------------------------------------------------
# Penalties
# ------------------------------------------------------------------------------------------------


def _params() -> list[Parameter]:
    return [Parameter(np.array([[1.0, -2.0]])), Parameter(np.array([3.0]))]


def test_penalties_by_hand():
    assert l1_penalty(_params(), 0.1) == pytest.approx(0.1 * (1 + 2 + 3))
    assert l2_penalty(_params(), 0.1) == pytest.approx(0.5 * 0.1 * (1 + 4 + 9))  # the ½ convention
    assert l1_penalty([], 0.1) == 0.0 and l2_penalty(_params(), 0.0) == 0.0


@pytest.mark.parametrize(("penalty", "penalty_grad"), [(l1_penalty, l1_penalty_grad), (l2_penalty, l2_penalty_grad)])
def test_penalty_gradients_match_numerical_gradients(penalty, penalty_grad, rng):
    params = [Parameter(rng.normal(size=(3, 4))), Parameter(rng.normal(size=5))]
    grads = penalty_grad(params, 0.3)  # .grad was None: treated as zero
    for p, g in zip(params, grads):
        np.testing.assert_array_equal(p.grad, g)
        assert rel_error(g, numerical_gradient(lambda: penalty(params, 0.3), p.data)) < 1e-7


@pytest.mark.parametrize("penalty_grad", [l1_penalty_grad, l2_penalty_grad])
def test_penalty_gradients_add_to_existing_grads(penalty_grad, rng):
    p = Parameter(rng.normal(size=4))
    p.grad = np.ones(4)
    (g,) = penalty_grad([p], 0.5)
    np.testing.assert_allclose(p.grad, 1.0 + g)


def test_l2_gradient_is_sgds_weight_decay(rng):
    """One SGD step on loss + l2_penalty equals torch.optim.SGD(weight_decay=λ) on the loss alone."""
    lam, lr = 0.1, 0.5
    w0, c = rng.normal(size=5), rng.normal(size=5)  # loss = c · w, gradient c
    p = Parameter(w0)
    p.grad = c.copy()
    l2_penalty_grad([p], lam)
    ours = p.data - lr * p.grad

    w = torch.tensor(w0, requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr, weight_decay=lam)
    (torch.tensor(c) * w).sum().backward()
    opt.step()
    np.testing.assert_allclose(ours, w.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("which", ["l1", "l2"])
def test_torch_penalties_agree_with_numpy(which, rng):
    arrays = [rng.normal(size=(3, 2)), rng.normal(size=4)]
    np_params = [Parameter(a) for a in arrays]
    t_params = [torch.tensor(a, requires_grad=True) for a in arrays]
    np_value = getattr(R, f"{which}_penalty")(np_params, 0.2)
    np_grads = getattr(R, f"{which}_penalty_grad")(np_params, 0.2)
    t_value = getattr(TR, f"{which}_penalty")(t_params, 0.2)
    t_value.backward()
    assert t_value.item() == pytest.approx(np_value, rel=1e-12)
    for g, t in zip(np_grads, t_params):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12)
    assert TR.l2_penalty([], 0.2).item() == 0.0


@pytest.mark.parametrize("fn", [l1_penalty, l2_penalty, l1_penalty_grad, l2_penalty_grad, TR.l1_penalty, TR.l2_penalty])
def test_negative_strength_is_rejected(fn):
    params = [torch.ones(2)] if fn in (TR.l1_penalty, TR.l2_penalty) else _params()
    with pytest.raises(ValueError, match="lam must be >= 0; got -0.1"):
        fn(params, -0.1)


def test_penalties_take_parameters_not_arrays():
    with pytest.raises(TypeError, match=r"model.parameters\(\).*item 0 is ndarray"):
        l2_penalty([np.ones(3)], 0.1)


# ------------------------------------------------------------------------------------------------
# Gradient clipping
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3], ids=["clips", "does-not-clip"])
def test_clip_grad_norm_equals_torchs(norm_type, max_norm, rng):
    shapes = [(3, 4), (4,), (2, 2)]
    grads = [rng.normal(size=s) for s in shapes]
    params = [Parameter(np.zeros(s)) for s in shapes] + [Parameter(np.zeros(3))]  # the last has no grad
    for p, g in zip(params, grads):
        p.grad = g.copy()
    tensors = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in shapes] + [
        torch.zeros(3, dtype=torch.float64, requires_grad=True)
    ]
    for t, g in zip(tensors, grads):
        t.grad = torch.tensor(g)

    ours = clip_grad_norm_(params, max_norm, norm_type)
    theirs = torch.nn.utils.clip_grad_norm_(tensors, max_norm, norm_type)
    assert isinstance(ours, float)
    assert ours == pytest.approx(theirs.item(), rel=1e-12)
    for p, t in zip(params[:3], tensors[:3]):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)
    assert params[3].grad is None
    if max_norm == 1e3:
        for p, g in zip(params, grads):
            np.testing.assert_allclose(p.grad, g, rtol=1e-12)  # coefficient clamped to 1
    else:
        clipped = [p.grad for p in params[:3]]
        total = max(np.abs(g).max() for g in clipped) if math.isinf(norm_type) else (
            sum(np.sum(np.abs(g) ** norm_type) for g in clipped) ** (1 / norm_type)
        )
        assert total == pytest.approx(max_norm, rel=1e-5)


def test_clip_grad_norm_edge_cases():
    p = Parameter(np.zeros(2))
    assert clip_grad_norm_([p], 1.0) == 0.0  # nothing to clip
    p.grad = np.array([3.0, 4.0])
    assert clip_grad_norm_(p, 1.0) == pytest.approx(5.0)  # a single Parameter, as torch allows
    with pytest.raises(ValueError, match="max_norm must be > 0"):
        clip_grad_norm_([p], 0.0)
    p.grad = np.array([np.nan, 1.0])
    with pytest.raises(RuntimeError, match="cannot be clipped"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_torch_twin_is_torchs_own_after_the_numpy_checks():
    # torch's function does the clipping (same total, same clipped gradients); the twin only checks first.
    grads = [torch.tensor([3.0, 4.0], dtype=torch.float64), torch.tensor([12.0], dtype=torch.float64)]
    ours, torchs = ([torch.zeros_like(g, requires_grad=True) for g in grads] for _ in range(2))
    for params in (ours, torchs):
        for p, g in zip(params, grads):
            p.grad = g.clone()
    assert TR.clip_grad_norm_(ours, 1.0).item() == torch.nn.utils.clip_grad_norm_(torchs, 1.0).item() == 13.0
    for a, b in zip(ours, torchs):
        assert torch.equal(a.grad, b.grad)


# ------------------------------------------------------------------------------------------------
# Early stopping
# ------------------------------------------------------------------------------------------------


def _run(stopper: EarlyStopping, values: list[float], model=None, monitor: str = "val_loss") -> int:
    """A training loop's calls; returns the last epoch run. The model's weights record the epoch."""
    model = model if model is not None else Linear(1, 1, rng=np.random.default_rng(0))
    stopper.on_train_begin(model)
    for epoch, value in enumerate(values):
        _set_weights(model, float(epoch))
        if stopper.on_epoch_end(epoch, {"loss": 0.0, monitor: value}, model):
            break
    stopper.on_train_end(model)
    return epoch


def _set_weights(model, value: float) -> None:
    """Overwrite every parameter in place, as an optimizer does (aliasing copies would see it)."""
    if isinstance(model, torch.nn.Module):
        with torch.no_grad():
            for p in model.parameters():
                p.fill_(value)
    else:
        for p in model.parameters():
            p.data[...] = value


LOSSES = [1.0, 0.8, 0.85, 0.9, 0.7, 0.75, 0.76, 0.77, 0.78, 0.79]


@pytest.mark.parametrize(
    ("patience", "last_epoch", "stopped_epoch", "best_epoch"),
    [(0, 2, 2, 1), (1, 2, 2, 1), (2, 3, 3, 1), (3, 7, 7, 4), (20, 9, None, 4)],
)
def test_stops_after_patience_epochs_without_improvement(patience, last_epoch, stopped_epoch, best_epoch):
    stopper = EarlyStopping(patience=patience)
    assert _run(stopper, LOSSES) == last_epoch
    assert stopper.stopped_epoch == stopped_epoch
    assert stopper.best_epoch == best_epoch and stopper.best == LOSSES[best_epoch]


def test_min_delta_ignores_small_improvements():
    values = [1.0, 0.995, 0.992, 0.95, 0.949, 0.948, 0.947]
    stopper = EarlyStopping(patience=3, min_delta=0.01)
    assert _run(stopper, values) == 6
    assert stopper.best_epoch == 3 and stopper.stopped_epoch == 6
    plain = EarlyStopping(patience=3)  # without min_delta every epoch improves
    assert _run(plain, values) == 6
    assert plain.best_epoch == 6 and plain.stopped_epoch is None


@pytest.mark.parametrize(
    ("monitor", "mode", "resolved"),
    [("val_loss", "auto", "min"), ("val_acc", "auto", "max"), ("accuracy", "auto", "max"), ("val_loss", "max", "max"),
     ("val_acc", "min", "min")],
)
def test_mode(monitor, mode, resolved):
    stopper = EarlyStopping(monitor, mode=mode, patience=1)
    assert stopper.mode == resolved
    values = [0.5, 0.6, 0.4, 0.3]
    _run(stopper, values, monitor=monitor)
    assert stopper.best == (0.6 if resolved == "max" else 0.5)
    assert stopper.stopped_epoch == (2 if resolved == "max" else 1)


def test_nan_never_counts_as_improvement():
    stopper = EarlyStopping(patience=1)
    assert _run(stopper, [1.0, float("nan"), 0.5]) == 1
    assert stopper.best_epoch == 0


def test_restores_best_weights_on_a_numpy_model():
    model = Sequential(Linear(2, 2, rng=np.random.default_rng(0)), BatchNorm1d(2))
    stopper = EarlyStopping(patience=3)
    _run(stopper, LOSSES, model)  # best epoch 4; stops at 7, with weights set to 7.0 meanwhile
    for p in model.parameters():
        np.testing.assert_array_equal(p.data, 4.0)


def test_restores_best_weights_on_a_torch_model():
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    stopper = EarlyStopping(patience=3)
    model(torch.randn(4, 2, generator=torch.Generator().manual_seed(0)))  # running stats move once
    _run(stopper, LOSSES, model)
    for p in model.parameters():
        assert torch.equal(p, torch.full_like(p, 4.0))  # copies, not views that followed the later fills
    assert int(model[1].num_batches_tracked) == 1
    assert all(t.data_ptr() != p.data_ptr() for t, p in zip(stopper.best_weights.values(), model.state_dict().values()))


def test_without_restore_the_last_weights_stay():
    model = Linear(1, 1, rng=np.random.default_rng(0))
    stopper = EarlyStopping(patience=1, restore_best_weights=False)
    assert _run(stopper, LOSSES, model) == 2
    assert model.weight.data.item() == 2.0 and stopper.best_weights is None


def test_on_train_begin_forgets_the_previous_run():
    stopper = EarlyStopping(patience=0)
    _run(stopper, [1.0, 2.0])
    assert stopper.stopped_epoch == 1
    _run(stopper, [5.0, 4.0, 3.0])
    assert stopper.stopped_epoch is None and stopper.best == 3.0 and stopper.best_epoch == 2


def test_missing_metric_lists_the_available_ones():
    stopper = EarlyStopping("val_accuracy")
    stopper.on_train_begin(None)
    with pytest.raises(KeyError, match=r"'val_accuracy'.*available: \['loss', 'val_acc'\]"):
        stopper.on_epoch_end(0, {"loss": 1.0, "val_acc": 0.5}, None)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"patience": -1}, "patience must be an integer >= 0"), ({"patience": 2.5}, "patience"),
     ({"min_delta": -0.1}, "min_delta must be >= 0"), ({"mode": "up"}, "mode must be 'auto', 'min' or 'max'")],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EarlyStopping(**kwargs)


def test_torch_twin_is_the_same_class():
    assert TR.EarlyStopping is EarlyStopping
    assert "patience=5" in repr(EarlyStopping())
