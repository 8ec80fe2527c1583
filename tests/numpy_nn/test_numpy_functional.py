"""course_lib.numpy_nn.functional: every pair against torch in float64, properties, extremes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course_lib.numpy_nn import functional as F
from course_lib.numpy_nn import losses

RTOL, ATOL = 1e-7, 1e-9


def pair(name: str):
    module = losses if hasattr(losses, f"{name}_forward") else F
    return getattr(module, f"{name}_forward"), getattr(module, f"{name}_backward")


# name, keyword arguments of the NumPy forward, the torch function with the same arguments
ACTIVATIONS = [
    ("sigmoid", {}, torch.sigmoid),
    ("tanh", {}, torch.tanh),
    ("relu", {}, TF.relu),
    ("leaky_relu", {}, TF.leaky_relu),
    ("leaky_relu", {"negative_slope": 0.2}, lambda t: TF.leaky_relu(t, negative_slope=0.2)),
    ("elu", {}, TF.elu),
    ("elu", {"alpha": 0.5}, lambda t: TF.elu(t, alpha=0.5)),
    ("gelu", {}, TF.gelu),
    ("gelu", {"approximate": "none"}, lambda t: TF.gelu(t, approximate="none")),
    ("gelu", {"approximate": "tanh"}, lambda t: TF.gelu(t, approximate="tanh")),
    ("softmax", {}, lambda t: TF.softmax(t, dim=-1)),
    ("softmax", {"axis": 0}, lambda t: TF.softmax(t, dim=0)),
    ("softmax", {"axis": 1}, lambda t: TF.softmax(t, dim=1)),
    ("log_softmax", {}, lambda t: TF.log_softmax(t, dim=-1)),
    ("log_softmax", {"axis": 0}, lambda t: TF.log_softmax(t, dim=0)),
    ("log_softmax", {"axis": 1}, lambda t: TF.log_softmax(t, dim=1)),
]
ACTIVATION_IDS = [f"{name}-{kwargs}" for name, kwargs, _ in ACTIVATIONS]
ELEMENTWISE = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu"]


def torch_forward_backward(fn, x: np.ndarray, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    yt = fn(xt)
    yt.backward(torch.tensor(dy, dtype=torch.float64))
    return yt.detach().numpy(), xt.grad.numpy()


@pytest.mark.parametrize(("name", "kwargs", "torch_fn"), ACTIVATIONS, ids=ACTIVATION_IDS)
def test_activation_matches_torch(name, kwargs, torch_fn, rng):
    x = 3.0 * rng.standard_normal((4, 5, 3))
    x[0, 0, :] = 0.0  # the kinks: torch's conventions for the derivative at 0 must hold too
    x[1, 1, :] = [-20.0, 20.0, -40.0]  # saturated regions
    dy = rng.standard_normal(x.shape)
    forward, backward = pair(name)

    y, cache = forward(x, **kwargs)
    dx = backward(dy, cache)
    y_torch, dx_torch = torch_forward_backward(torch_fn, x, dy)

    np.testing.assert_allclose(y, y_torch, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dx, dx_torch, rtol=RTOL, atol=ATOL)


def test_derivatives_at_zero_follow_torch():
    x, dy = np.zeros(1), np.ones(1)
    assert F.relu_backward(dy, F.relu_forward(x)[1])[0] == 0.0
    assert F.leaky_relu_backward(dy, F.leaky_relu_forward(x, 0.1)[1])[0] == pytest.approx(0.1)
    assert F.elu_backward(dy, F.elu_forward(x, alpha=2.0)[1])[0] == 2.0
    assert F.gelu_backward(dy, F.gelu_forward(x)[1])[0] == 0.5
    assert F.sigmoid_backward(dy, F.sigmoid_forward(x)[1])[0] == 0.25
    assert F.tanh_backward(dy, F.tanh_forward(x)[1])[0] == 1.0


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match=r"'none'.*'tanh'.*got 'erf'"):
        F.gelu_forward(np.zeros(3), approximate="erf")


def test_activations_accept_lists_and_integers():
    y, _ = F.relu_forward([-1, 2])
    np.testing.assert_array_equal(y, [0, 2])
    y, _ = F.gelu_forward(np.array([0, 1]))
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, [0.0, 0.8413447460685429])


@pytest.mark.parametrize("name", ELEMENTWISE + ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(name, dtype, rng):
    x = rng.standard_normal((3, 4)).astype(dtype)
    forward, backward = pair(name)
    y, cache = forward(x)
    assert y.dtype == dtype
    assert backward(np.ones_like(x), cache).dtype == dtype


# ------------------------------------------------------------------------------------------------
# Losses against torch
# ------------------------------------------------------------------------------------------------


def torch_loss(fn, pred: np.ndarray, target: np.ndarray, dloss: float) -> tuple[float, np.ndarray]:
    pt = torch.tensor(pred, dtype=torch.float64, requires_grad=True)
    tt = torch.tensor(target)
    loss = fn(pt, tt)
    (loss * dloss).backward()
    return loss.item(), pt.grad.numpy()


REGRESSION_LOSSES = [
    ("mse", {}, TF.mse_loss),
    ("l1", {}, TF.l1_loss),
    ("huber", {}, TF.huber_loss),
    ("huber", {"delta": 0.5}, lambda p, t: TF.huber_loss(p, t, delta=0.5)),
    ("huber", {"delta": 3.0}, lambda p, t: TF.huber_loss(p, t, delta=3.0)),
]


@pytest.mark.parametrize("dloss", [1.0, 2.5])
@pytest.mark.parametrize(
    ("name", "kwargs", "torch_fn"),
    REGRESSION_LOSSES,
    ids=[f"{name}-{kwargs}" for name, kwargs, _ in REGRESSION_LOSSES],
)
def test_regression_loss_matches_torch(name, kwargs, torch_fn, dloss, rng):
    pred = 2.0 * rng.standard_normal((6, 3))
    target = rng.standard_normal((6, 3))
    target[0, 0] = pred[0, 0]  # a tie: L1's subgradient there is 0, as in torch
    target[1, 1] = pred[1, 1] - kwargs.get("delta", 1.0)  # exactly at Huber's seam
    forward, backward = pair(name)

    loss, cache = forward(pred, target, **kwargs)
    dpred = backward(dloss, cache)
    loss_torch, dpred_torch = torch_loss(torch_fn, pred, target, dloss)

    assert isinstance(loss, float)
    assert loss == pytest.approx(loss_torch, rel=1e-12)
    np.testing.assert_allclose(dpred, dpred_torch, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("dloss", [1.0, 0.3])
def test_bce_with_logits_matches_torch(dloss, rng):
    logits = 4.0 * rng.standard_normal((5, 4))
    target = rng.uniform(0.0, 1.0, size=(5, 4))
    target[0] = [0.0, 1.0, 0.0, 1.0]
    loss, cache = losses.bce_with_logits_forward(logits, target)
    dlogits = losses.bce_with_logits_backward(dloss, cache)
    loss_torch, dlogits_torch = torch_loss(TF.binary_cross_entropy_with_logits, logits, target, dloss)
    assert loss == pytest.approx(loss_torch, rel=1e-12)
    np.testing.assert_allclose(dlogits, dlogits_torch, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 0.5, 1.0])
@pytest.mark.parametrize("dloss", [1.0, 2.0])
def test_cross_entropy_matches_torch(label_smoothing, dloss, rng):
    logits = 3.0 * rng.standard_normal((7, 5))
    target = rng.integers(0, 5, size=7)

    loss, cache = losses.cross_entropy_forward(logits, target, label_smoothing=label_smoothing)
    dlogits = losses.cross_entropy_backward(dloss, cache)
    loss_torch, dlogits_torch = torch_loss(
        lambda p, t: TF.cross_entropy(p, t, label_smoothing=label_smoothing), logits, target, dloss
    )

    assert loss == pytest.approx(loss_torch, rel=1e-12)
    np.testing.assert_allclose(dlogits, dlogits_torch, rtol=RTOL, atol=ATOL)


def test_cross_entropy_by_hand():
    # Two equal logits: p = 1/2 each, loss = log 2; the gradient pushes the true class up.
    loss, cache = losses.cross_entropy_forward(np.zeros((1, 2)), np.array([1]))
    assert loss == pytest.approx(np.log(2.0))
    np.testing.assert_allclose(losses.cross_entropy_backward(1.0, cache), [[0.5, -0.5]])
    # With ε = 1 the target is uniform, which the uniform prediction matches: gradient 0.
    _, cache = losses.cross_entropy_forward(np.zeros((1, 2)), np.array([1]), label_smoothing=1.0)
    np.testing.assert_allclose(losses.cross_entropy_backward(1.0, cache), [[0.0, 0.0]])


# ------------------------------------------------------------------------------------------------
# Extremes, with their exact expected values
# ------------------------------------------------------------------------------------------------


def test_sigmoid_at_plus_minus_1000_is_exact():
    with np.errstate(over="raise", invalid="raise"):  # exp(1000) must never be attempted
        y, cache = F.sigmoid_forward(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_array_equal(y, [0.0, 0.5, 1.0])
    dx = F.sigmoid_backward(np.ones(3), cache)
    np.testing.assert_array_equal(dx, [0.0, 0.25, 0.0])


def test_tanh_and_elu_saturate_without_nan():
    y, cache = F.tanh_forward(np.array([-1000.0, 1000.0]))
    np.testing.assert_array_equal(y, [-1.0, 1.0])
    np.testing.assert_array_equal(F.tanh_backward(np.ones(2), cache), [0.0, 0.0])
    with np.errstate(over="raise", invalid="raise"):  # no overflow even in the discarded branch
        y, cache = F.elu_forward(np.array([-1000.0, 1000.0]))
    np.testing.assert_array_equal(y, [-1.0, 1000.0])
    np.testing.assert_array_equal(F.elu_backward(np.ones(2), cache), [0.0, 1.0])


def test_relu_of_infinities():
    y, cache = F.relu_forward(np.array([-np.inf, np.inf]))
    np.testing.assert_array_equal(y, [0.0, np.inf])
    np.testing.assert_array_equal(F.relu_backward(np.ones(2), cache), [0.0, 1.0])


def test_gelu_far_tails():
    for approximate in ["none", "tanh"]:
        y, cache = F.gelu_forward(np.array([-1e4, 1e4]), approximate=approximate)
        np.testing.assert_array_equal(y, [0.0, 1e4])
        np.testing.assert_array_equal(F.gelu_backward(np.ones(2), cache), [0.0, 1.0])
    # The exact form stays accurate in the left tail: GELU(-10) = -10 Φ(-10) ≈ -7.62e-23.
    y, _ = F.gelu_forward(np.array([-10.0]))
    assert y[0] == pytest.approx(-7.619853024160527e-23, rel=1e-12)


def test_softmax_of_huge_logits():
    with np.errstate(over="raise", invalid="raise"):
        y, _ = F.softmax_forward(np.array([[1e4, 1e4], [1e4, 0.0], [-1e4, 1e4]]))
    np.testing.assert_array_equal(y, [[0.5, 0.5], [1.0, 0.0], [0.0, 1.0]])


def test_log_softmax_of_huge_logits_is_finite_and_exact():
    # Differences of 1e4 (and 2e4) between logits: log p of the loser is the difference itself.
    with np.errstate(over="raise", invalid="raise"):
        y, cache = F.log_softmax_forward(np.array([[1e4, 0.0], [-1e4, 1e4], [1e4 + 1.0, 1e4 + 1.0]]))
    np.testing.assert_array_equal(y[:2], [[0.0, -1e4], [-2e4, 0.0]])
    np.testing.assert_allclose(y[2], [-np.log(2.0)] * 2)
    dx = F.log_softmax_backward(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]), cache)
    np.testing.assert_allclose(dx, [[0.0, 0.0], [0.0, 0.0], [0.5, -0.5]])


def test_log_of_an_underflowing_probability_is_large_and_finite():
    y, _ = F.log_softmax_forward(np.array([0.0, -1000.0]))
    np.testing.assert_array_equal(y, [0.0, -1000.0])
    with np.errstate(divide="ignore"):
        naive = np.log(F.softmax_forward(np.array([0.0, -1000.0]))[0])
    assert naive[1] == -np.inf  # why log_softmax exists


def test_bce_with_logits_at_plus_minus_1000():
    logits = np.array([1000.0, -1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, cache = losses.bce_with_logits_forward(logits, np.array([1.0, 0.0]))
    assert loss == 0.0
    np.testing.assert_array_equal(losses.bce_with_logits_backward(1.0, cache), [0.0, 0.0])
    loss, cache = losses.bce_with_logits_forward(logits, np.array([0.0, 1.0]))
    assert loss == 1000.0
    np.testing.assert_array_equal(losses.bce_with_logits_backward(1.0, cache), [0.5, -0.5])


def test_cross_entropy_when_the_true_class_probability_underflows():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, cache = losses.cross_entropy_forward(np.array([[0.0, 1000.0], [1e4, 0.0]]), np.array([0, 1]))
    assert loss == (1000.0 + 1e4) / 2
    np.testing.assert_array_equal(losses.cross_entropy_backward(1.0, cache), [[-0.5, 0.5], [0.5, -0.5]])


# ------------------------------------------------------------------------------------------------
# Properties (hypothesis)
# ------------------------------------------------------------------------------------------------

FINITE = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)
any_shape = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)
nonempty_shape = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6)


@settings(max_examples=60, deadline=None)
@given(x=hnp.arrays(np.float64, nonempty_shape, elements=FINITE), data=st.data())
def test_softmax_rows_are_distributions(x, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    y, _ = F.softmax_forward(x, axis=axis)
    assert np.all((y >= 0.0) & (y <= 1.0))
    np.testing.assert_allclose(y.sum(axis=axis), 1.0, rtol=0, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(x=hnp.arrays(np.float64, nonempty_shape, elements=FINITE), data=st.data())
def test_log_softmax_is_log_of_softmax(x, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    log_y, _ = F.log_softmax_forward(x, axis=axis)
    y, _ = F.softmax_forward(x, axis=axis)
    assert np.all(np.isfinite(log_y)) and np.all(log_y <= 0.0)
    visible = y > 1e-300  # where softmax has not underflowed, the two must agree
    np.testing.assert_allclose(log_y[visible], np.log(y[visible]), rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(x=hnp.arrays(np.float64, any_shape, elements=FINITE))
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_elementwise_shape_kept_and_finite_up_to_1e4(name, x):
    forward, backward = pair(name)
    y, cache = forward(x)
    dx = backward(np.ones_like(x), cache)
    assert y.shape == x.shape and dx.shape == x.shape
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dx))


@settings(max_examples=40, deadline=None)
@given(x=hnp.arrays(np.float64, nonempty_shape, elements=FINITE), data=st.data())
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_shape_kept_and_finite_up_to_1e4(name, x, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    dy = data.draw(hnp.arrays(np.float64, x.shape, elements=st.floats(-10, 10)))
    forward, backward = pair(name)
    y, cache = forward(x, axis=axis)
    dx = backward(dy, cache)
    assert y.shape == x.shape and dx.shape == x.shape
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dx))


def _value(name: str, x: float, **kwargs) -> float:
    return float(pair(name)[0](np.array([x]), **kwargs)[0][0])


@settings(max_examples=80, deadline=None)
@given(x=FINITE, step=st.floats(1e-3, 1e3))
@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("sigmoid", {}), ("tanh", {}), ("relu", {}), ("leaky_relu", {}), ("elu", {}), ("elu", {"alpha": 3.0})],
)
def test_monotonic_activations_never_decrease(name, kwargs, x, step):
    assert _value(name, x + step, **kwargs) >= _value(name, x, **kwargs)


@settings(max_examples=80, deadline=None)
@given(x=st.floats(-1e4, 1e4), step=st.floats(1e-3, 1e3))
def test_leaky_relu_strictly_increases(x, step):
    assert _value("leaky_relu", x + step, negative_slope=0.1) > _value("leaky_relu", x, negative_slope=0.1)


@settings(max_examples=80, deadline=None)
@given(x=st.floats(-1e4, 1e4), step=st.floats(1e-3, 1e3))
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_is_monotonic_on_each_side_of_its_minimum(approximate, x, step):
    # GELU dips to about -0.17 near x = -0.75: it falls before that and rises after it.
    if x >= -0.5:
        assert _value("gelu", x + step, approximate=approximate) >= _value("gelu", x, approximate=approximate)
    if x + step <= -1.0:
        assert _value("gelu", x + step, approximate=approximate) <= _value("gelu", x, approximate=approximate)


def test_relu_keeps_nan_like_torch_and_maps_minus_inf_to_zero():
    x = np.array([np.nan, -np.inf, -1.0, 0.0, 2.0, np.inf])
    y, _ = F.relu_forward(x)
    expected = torch.relu(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(y, expected)
    assert np.isnan(y[0]) and y[1] == 0.0
    assert F.relu_forward(x.astype(np.float32))[0].dtype == np.float32
