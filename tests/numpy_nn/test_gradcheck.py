"""course_lib.numpy_nn.gradcheck: finite differences, rel_error, and checks that can fail."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.numpy_nn import functional as F
from course_lib.numpy_nn import losses
from course_lib.numpy_nn.gradcheck import (
    check_layer,
    check_loss,
    numerical_gradient,
    numerical_gradient_array,
    rel_error,
)
from course_lib.numpy_nn.module import Layer, Parameter, Sequential
from course_lib.numpy_nn.losses import BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss

TOL = 1e-7


# ------------------------------------------------------------------------------------------------
# numerical_gradient and numerical_gradient_array
# ------------------------------------------------------------------------------------------------


def test_numerical_gradient_of_sum_of_cubes(rng):
    x = rng.standard_normal((3, 4))
    grad = numerical_gradient(lambda: np.sum(x**3), x)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-8, atol=1e-9)


def test_numerical_gradient_of_a_quadratic_form(rng):
    A = rng.standard_normal((4, 4))
    x = rng.standard_normal(4)
    grad = numerical_gradient(lambda: x @ A @ x, x)
    np.testing.assert_allclose(grad, (A + A.T) @ x, rtol=1e-8, atol=1e-9)


def test_numerical_gradient_restores_x_exactly(rng):
    x = rng.standard_normal((2, 3))
    before = x.copy()
    numerical_gradient(lambda: np.sum(np.sin(x)), x)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_restores_x_when_f_raises(rng):
    x = rng.standard_normal(3)
    before = x.copy()
    calls = []

    def f():
        calls.append(1)
        if len(calls) == 2:  # fails while x[0] is nudged by -eps
            raise ArithmeticError("boom")
        return float(np.sum(x))

    with pytest.raises(ArithmeticError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_works_on_non_contiguous_views(rng):
    big = rng.standard_normal((4, 6))
    x = big[:, ::2]  # a strided view: perturbing it must perturb big
    grad = numerical_gradient(lambda: np.sum(big[:, ::2] ** 2), x)
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-8)


def test_numerical_gradient_needs_a_scalar_f(rng):
    x = rng.standard_normal(3)
    with pytest.raises(TypeError, match=r"scalar.*shape \(3,\).*numerical_gradient_array"):
        numerical_gradient(lambda: x * 2, x)


def test_numerical_gradient_needs_a_float_array():
    with pytest.raises(TypeError, match=r"floating array.*int64.*astype\(np\.float64\)"):
        numerical_gradient(lambda: 0.0, np.arange(3))
    with pytest.raises(TypeError, match=r"NumPy array.*list"):
        numerical_gradient(lambda: 0.0, [1.0, 2.0])


def test_numerical_gradient_warns_in_float32():
    x = np.ones(2, dtype=np.float32)
    with pytest.warns(UserWarning, match="float64"):
        numerical_gradient(lambda: float(np.sum(x)), x, eps=1e-2)


def test_numerical_gradient_array_is_the_vector_jacobian_product(rng):
    W = rng.standard_normal((3, 4))
    x = rng.standard_normal(4)
    dy = rng.standard_normal(3)
    grad = numerical_gradient_array(lambda: W @ x, x, dy)
    np.testing.assert_allclose(grad, W.T @ dy, rtol=1e-8, atol=1e-9)
    grad = numerical_gradient_array(lambda: x**2, x, dy[:1].repeat(4))
    np.testing.assert_allclose(grad, 2 * x * dy[0], rtol=1e-8, atol=1e-9)


def test_numerical_gradient_array_checks_dy_shape(rng):
    x = rng.standard_normal(4)
    with pytest.raises(ValueError, match=r"dy must have f\(\)'s shape \(4,\), got \(3,\)"):
        numerical_gradient_array(lambda: 2 * x, x, np.ones(3))


# ------------------------------------------------------------------------------------------------
# rel_error
# ------------------------------------------------------------------------------------------------


def test_rel_error_semantics():
    a = np.array([1.0, -2.0, 0.0])
    assert rel_error(a, a) == 0.0
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0  # 0/0 counts as agreement
    assert rel_error([1.0], [1.0 + 2e-8]) == pytest.approx(1e-8, rel=1e-6)
    assert rel_error([1.0], [-1.0]) == 1.0  # opposite signs: the worst possible
    assert rel_error([0.0], [1e-30]) == 1.0  # relative, so harsh on tiny values
    assert rel_error([1.0, 100.0], [1.0, 101.0]) == pytest.approx(1 / 201)  # the worst element
    assert np.isnan(rel_error([np.nan], [1.0]))  # NaN fails any "< tol" assertion
    assert rel_error(np.zeros((0, 3)), np.zeros((0, 3))) == 0.0


def test_rel_error_does_not_depend_on_scale(rng):
    a, b = rng.standard_normal(5), rng.standard_normal(5)
    assert rel_error(a * 1e12, b * 1e12) == pytest.approx(rel_error(a, b), rel=1e-12)
    assert rel_error(a * 1e-12, b * 1e-12) == pytest.approx(rel_error(a, b), rel=1e-12)


def test_rel_error_needs_equal_shapes():
    with pytest.raises(ValueError, match=r"shapes must match.*\(3,\) and \(3, 1\)"):
        rel_error(np.zeros(3), np.zeros((3, 1)))


# ------------------------------------------------------------------------------------------------
# Every functional pair against finite differences
# ------------------------------------------------------------------------------------------------


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...], low: float = 0.1) -> np.ndarray:
    """Random values with |x| in [low, 3), clear of the kinks at 0, and clear of GELU's minimum
    near -0.75, where its derivative is 0 (a relative error is harsh on true gradients near 0)."""
    x = rng.uniform(low, 3.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    x[np.abs(x + 0.75) < 0.1] -= 0.2
    return x


# The step for the functional checks: near the best one for functions of size about 1
# (rounding error ∝ 1/eps, truncation error ∝ eps²), which keeps every case well below TOL.
EPS = 1e-5

ACTIVATION_CASES = [
    ("sigmoid", {}),
    ("tanh", {}),
    ("relu", {}),
    ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": 0.3}),
    ("elu", {}),
    ("elu", {"alpha": 2.0}),
    ("gelu", {"approximate": "none"}),
    ("gelu", {"approximate": "tanh"}),
    ("softmax", {}),
    ("softmax", {"axis": 0}),
    ("log_softmax", {}),
    ("log_softmax", {"axis": 0}),
]


@pytest.mark.parametrize(("name", "kwargs"), ACTIVATION_CASES, ids=[f"{n}-{k}" for n, k in ACTIVATION_CASES])
def test_activation_backward_passes_numerical_check(name, kwargs, rng):
    forward, backward = getattr(F, f"{name}_forward"), getattr(F, f"{name}_backward")
    x = away_from_zero(rng, (3, 4))
    dy = rng.standard_normal(x.shape)
    _, cache = forward(x, **kwargs)
    analytic = backward(dy, cache)
    numerical = numerical_gradient_array(lambda: forward(x, **kwargs)[0], x, dy, eps=EPS)
    assert rel_error(analytic, numerical) < TOL


def regression_inputs(rng: np.random.Generator, delta: float = 1.0):
    target = rng.standard_normal((4, 3))
    diff = away_from_zero(rng, (4, 3))
    # Huber's seams at ±delta must also be avoided: move any |diff| near delta away from it.
    near_seam = np.abs(np.abs(diff) - delta) < 0.1
    diff[near_seam] += 0.3 * np.sign(diff[near_seam])
    return target + diff, target


def bce_inputs(rng: np.random.Generator):
    """Logits and soft targets at least 0.05 from σ(logits), so no gradient element is near 0."""
    logits = 2 * rng.standard_normal((4, 3))
    p = 1 / (1 + np.exp(-logits))
    gap = rng.uniform(0.05, 0.3, size=p.shape)
    return logits, np.where(p > 0.5, p - gap, p + gap)


def cross_entropy_inputs(rng: np.random.Generator, label_smoothing: float = 0.0):
    """Logits and labels whose gradient p - q has no element within 0.02 of 0.

    With label smoothing a class probability can sit right at its smoothed target ε/C, where the
    true gradient vanishes and the relative error measures only rounding noise; redraw then.
    """
    n, c = 5, 4
    while True:
        logits, target = rng.standard_normal((n, c)), rng.integers(0, c, size=n)
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        q = np.full((n, c), label_smoothing / c)
        q[np.arange(n), target] += 1 - label_smoothing
        if np.min(np.abs(p - q)) > 0.02:
            return logits, target


LOSS_CASES = [
    ("mse", {}),
    ("l1", {}),
    ("huber", {}),
    ("huber", {"delta": 0.5}),
    ("bce_with_logits", {}),
    ("cross_entropy", {}),
    ("cross_entropy", {"label_smoothing": 0.1}),
    ("cross_entropy", {"label_smoothing": 0.5}),
]


def loss_inputs(name: str, kwargs: dict, rng: np.random.Generator):
    if name == "bce_with_logits":
        return bce_inputs(rng)
    if name == "cross_entropy":
        return cross_entropy_inputs(rng, kwargs.get("label_smoothing", 0.0))
    return regression_inputs(rng, kwargs.get("delta", 1.0))


@pytest.mark.parametrize(("name", "kwargs"), LOSS_CASES, ids=[f"{n}-{k}" for n, k in LOSS_CASES])
def test_functional_loss_backward_passes_numerical_check(name, kwargs, rng):
    forward, backward = getattr(losses, f"{name}_forward"), getattr(losses, f"{name}_backward")
    pred, target = loss_inputs(name, kwargs, rng)
    _, cache = forward(pred, target, **kwargs)
    numerical = numerical_gradient(lambda: forward(pred, target, **kwargs)[0], pred, eps=EPS)
    assert rel_error(backward(1.0, cache), numerical) < TOL
    assert rel_error(backward(3.0, cache), 3.0 * numerical) < TOL  # dy scales the gradient


# ------------------------------------------------------------------------------------------------
# check_loss on every loss class
# ------------------------------------------------------------------------------------------------

LOSS_CLASSES = [
    (MSELoss, {}),
    (L1Loss, {}),
    (HuberLoss, {}),
    (HuberLoss, {"delta": 0.5}),
    (BCEWithLogitsLoss, {}),
    (CrossEntropyLoss, {}),
    (CrossEntropyLoss, {"label_smoothing": 0.1}),
    (CrossEntropyLoss, {"label_smoothing": 0.5}),
]
FUNCTIONAL_NAME = {
    MSELoss: "mse",
    L1Loss: "l1",
    HuberLoss: "huber",
    BCEWithLogitsLoss: "bce_with_logits",
    CrossEntropyLoss: "cross_entropy",
}


@pytest.mark.parametrize(("cls", "kwargs"), LOSS_CLASSES, ids=[f"{c.__name__}-{k}" for c, k in LOSS_CLASSES])
def test_check_loss_passes_for_every_loss_class(cls, kwargs, rng):
    pred, target = loss_inputs(FUNCTIONAL_NAME[cls], kwargs, rng)
    assert check_loss(cls(**kwargs), pred, target) < TOL


def test_check_loss_catches_a_wrong_gradient(rng):
    class ForgotTheTwo(MSELoss):
        def backward(self):
            return super().backward() / 2  # as if d(d²)/dd were d

    pred, target = regression_inputs(rng)
    assert check_loss(MSELoss(), pred, target) < TOL
    assert check_loss(ForgotTheTwo(), pred, target) > 0.3  # |g - g/2| / (|g| + |g/2|) = 1/3


def test_check_loss_does_not_touch_the_callers_array(rng):
    pred, target = regression_inputs(rng)
    before = pred.copy()
    check_loss(MSELoss(), pred, target)
    np.testing.assert_array_equal(pred, before)


# ------------------------------------------------------------------------------------------------
# check_layer on hand-made layers
# ------------------------------------------------------------------------------------------------


class ScaleShift(Layer):
    """y = x ⊙ weight + bias, per feature: a tiny layer with two parameters."""

    def __init__(self, features: int, rng: np.random.Generator) -> None:
        super().__init__()
        self.weight = Parameter(rng.standard_normal(features))
        self.bias = Parameter(rng.standard_normal(features))

    def forward(self, x):
        self._save_cache(x)
        return x * self.weight.data + self.bias.data

    def backward(self, dy):
        x = self._take_cache()
        self.weight.grad = np.sum(dy * x, axis=0)
        self.bias.grad = np.sum(dy, axis=0)
        return dy * self.weight.data


class ScaleShiftWrongWeightGrad(ScaleShift):
    def backward(self, dy):
        dx = super().backward(dy)
        self.weight.grad = np.sum(dy, axis=0)  # forgot the x
        return dx


class ScaleShiftWrongInputGrad(ScaleShift):
    def backward(self, dy):
        super().backward(dy)
        return dy  # forgot the weight


class CubicBend(Layer):
    """y = x + x³/3, no parameters; its slope 1 + x² never comes near 0."""

    def forward(self, x):
        self._save_cache(x)
        return x + x**3 / 3

    def backward(self, dy):
        x = self._take_cache()
        return dy * (1 + x * x)


def test_check_layer_passes_a_correct_layer(rng):
    layer = ScaleShift(3, rng)
    errors = check_layer(layer, rng.standard_normal((5, 3)), rng=rng)
    assert set(errors) == {"input", "weight", "bias"}
    assert max(errors.values()) < TOL


def test_check_layer_names_nested_parameters_like_torch(rng):
    model = Sequential(ScaleShift(3, rng), CubicBend(), ScaleShift(3, rng))
    # Products of three random factors are sometimes tiny, and rel_error is harsh on tiny values:
    # the better step EPS keeps this check clear of TOL for any seed we tried.
    errors = check_layer(model, rng.standard_normal((4, 3)), rng=rng, eps=EPS)
    assert list(errors) == ["input", "0.weight", "0.bias", "2.weight", "2.bias"]
    assert max(errors.values()) < TOL


def test_check_layer_catches_a_wrong_parameter_gradient(rng):
    errors = check_layer(ScaleShiftWrongWeightGrad(3, rng), rng.standard_normal((5, 3)), rng=rng)
    assert errors["weight"] > 1e-2
    assert errors["input"] < TOL and errors["bias"] < TOL


def test_check_layer_catches_a_wrong_input_gradient(rng):
    errors = check_layer(ScaleShiftWrongInputGrad(3, rng), rng.standard_normal((5, 3)), rng=rng)
    assert errors["input"] > 1e-2


def test_check_layer_reports_a_missing_gradient_as_inf(rng):
    class NoBiasGrad(ScaleShift):
        def backward(self, dy):
            dx = super().backward(dy)
            self.bias.grad = None
            return dx

    errors = check_layer(NoBiasGrad(2, rng), rng.standard_normal((3, 2)), rng=rng)
    assert errors["bias"] == float("inf")


def test_check_layer_leaves_parameters_input_and_buffers_as_they_were(rng):
    class CountingScaleShift(ScaleShift):
        """Keeps a running mean of its inputs, like BatchNorm's running statistics."""

        buffer_names = ("running_mean",)

        def __init__(self, features, rng):
            super().__init__(features, rng)
            self.running_mean = np.zeros(features)

        def forward(self, x):
            self.running_mean = 0.9 * self.running_mean + 0.1 * x.mean(axis=0)
            return super().forward(x)

    layer = CountingScaleShift(3, rng)
    x = rng.standard_normal((4, 3))
    x_before, weight_before = x.copy(), layer.weight.data.copy()
    errors = check_layer(layer, x, rng=rng)
    assert max(errors.values()) < TOL
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(layer.weight.data, weight_before)
    np.testing.assert_array_equal(layer.running_mean, np.zeros(3))


def test_check_layer_refuses_a_random_forward(rng):
    class NoisyDropout(Layer):
        def __init__(self, rng):
            super().__init__()
            self.rng = rng

        def forward(self, x):
            mask = self.rng.random(x.shape) > 0.5
            self._save_cache(mask)
            return x * mask * 2

        def backward(self, dy):
            return dy * self._take_cache() * 2

    with pytest.raises(ValueError, match=r"different outputs.*layer\.eval\(\)"):
        check_layer(NoisyDropout(np.random.default_rng(1)), rng.standard_normal((4, 3)), rng=rng)


def test_check_layer_is_reproducible(rng):
    x = rng.standard_normal((4, 3))
    layer = ScaleShiftWrongWeightGrad(3, np.random.default_rng(5))
    first = check_layer(layer, x, rng=np.random.default_rng(7))
    second = check_layer(layer, x, rng=np.random.default_rng(7))
    assert first == second


def test_numerical_gradients_survive_outputs_that_are_views_of_x(rng):
    x = rng.standard_normal((2, 3))
    dy = rng.standard_normal(6)
    np.testing.assert_allclose(numerical_gradient_array(lambda: x.reshape(-1), x, dy), dy.reshape(2, 3))
    np.testing.assert_allclose(numerical_gradient(lambda: x[0, :1], x), [[1, 0, 0], [0, 0, 0]])


def test_check_layer_leaves_the_callers_gradients_alone():
    from course_lib.numpy_nn.models import MLP

    rng = np.random.default_rng(0)
    model = MLP((3, 4, 2), activation="tanh", rng=rng)
    x = rng.standard_normal((5, 3))
    model(x)
    model.backward(np.ones((5, 2)))
    before = [p.grad.copy() for p in model.parameters()]
    check_layer(model, x, rng=rng)
    for grad, p in zip(before, model.parameters()):
        np.testing.assert_array_equal(p.grad, grad)
