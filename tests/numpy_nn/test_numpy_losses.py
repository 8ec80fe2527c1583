"""course_lib.numpy_nn.losses: each class against its torch.nn twin, and every bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.numpy_nn.losses import (
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    Loss,
    MSELoss,
)

RTOL, ATOL = 1e-7, 1e-9


def re_shape(shape: tuple[int, ...]) -> str:
    """A shape as a regular expression that matches its repr."""
    return str(shape).replace("(", r"\(").replace(")", r"\)")


def torch_value_and_grad(torch_loss: torch.nn.Module, pred: np.ndarray, target: np.ndarray):
    pt = torch.tensor(pred, dtype=torch.float64, requires_grad=True)
    loss = torch_loss(pt, torch.tensor(target))
    loss.backward()
    return loss.item(), pt.grad.numpy()


REGRESSION_TWINS = [
    (MSELoss, torch.nn.MSELoss, {}),
    (L1Loss, torch.nn.L1Loss, {}),
    (HuberLoss, torch.nn.HuberLoss, {}),
    (HuberLoss, torch.nn.HuberLoss, {"delta": 0.3}),
    (HuberLoss, torch.nn.HuberLoss, {"delta": 2.0}),
]


@pytest.mark.parametrize(
    ("ours", "theirs", "kwargs"),
    REGRESSION_TWINS,
    ids=[f"{ours.__name__}-{kwargs}" for ours, _, kwargs in REGRESSION_TWINS],
)
@pytest.mark.parametrize("shape", [(8,), (8, 1), (4, 3, 2)])
def test_regression_losses_match_torch(ours, theirs, kwargs, shape, rng):
    pred = 2.0 * rng.standard_normal(shape)
    target = rng.standard_normal(shape)
    criterion = ours(**kwargs)

    loss = criterion(pred, target)
    dpred = criterion.backward()
    loss_torch, dpred_torch = torch_value_and_grad(theirs(**kwargs), pred, target)

    assert isinstance(loss, float)
    assert loss == pytest.approx(loss_torch, rel=1e-12)
    assert dpred.shape == pred.shape
    np.testing.assert_allclose(dpred, dpred_torch, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("soft", [False, True], ids=["hard-labels", "soft-labels"])
def test_bce_with_logits_matches_torch(soft, rng):
    logits = 3.0 * rng.standard_normal((6, 4))
    target = rng.uniform(0, 1, size=(6, 4)) if soft else rng.integers(0, 2, size=(6, 4)).astype(np.float64)
    criterion = BCEWithLogitsLoss()
    loss = criterion(logits, target)
    loss_torch, dlogits_torch = torch_value_and_grad(torch.nn.BCEWithLogitsLoss(), logits, target)
    assert loss == pytest.approx(loss_torch, rel=1e-12)
    np.testing.assert_allclose(criterion.backward(), dlogits_torch, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 0.5])
def test_cross_entropy_matches_torch(label_smoothing, rng):
    logits = 3.0 * rng.standard_normal((16, 10))
    target = rng.integers(0, 10, size=16)
    criterion = CrossEntropyLoss(label_smoothing=label_smoothing)
    loss = criterion(logits, target)
    loss_torch, dlogits_torch = torch_value_and_grad(
        torch.nn.CrossEntropyLoss(label_smoothing=label_smoothing), logits, target
    )
    assert loss == pytest.approx(loss_torch, rel=1e-12)
    np.testing.assert_allclose(criterion.backward(), dlogits_torch, rtol=RTOL, atol=ATOL)


def test_label_smoothing_raises_the_loss_of_a_confident_correct_prediction():
    logits, target = np.array([[10.0, 0.0, 0.0]]), np.array([0])
    assert CrossEntropyLoss(label_smoothing=0.1)(logits, target) > CrossEntropyLoss()(logits, target)


def test_cross_entropy_accepts_mnist_style_uint8_labels(rng):
    logits = rng.standard_normal((5, 10))
    labels = np.array([0, 3, 9, 9, 1], dtype=np.uint8)
    criterion = CrossEntropyLoss()
    assert criterion(logits, labels) == pytest.approx(criterion(logits, labels.astype(np.int64)))


def test_bce_accepts_integer_labels(rng):
    logits = rng.standard_normal(6)
    labels = np.array([0, 1, 1, 0, 1, 0])
    criterion = BCEWithLogitsLoss()
    assert criterion(logits, labels) == pytest.approx(criterion(logits, labels.astype(np.float64)))


def test_gradient_comes_back_in_the_prediction_dtype(rng):
    logits = rng.standard_normal((4, 3)).astype(np.float32)
    criterion = CrossEntropyLoss()
    criterion(logits, np.array([0, 1, 2, 0]))
    assert criterion.backward().dtype == np.float32
    mse = MSELoss()
    mse(logits, np.zeros((4, 3)))  # float64 target: the gradient still follows pred
    assert mse.backward().dtype == np.float32


def test_backward_answers_for_the_last_forward(rng):
    criterion = MSELoss()
    pred = rng.standard_normal(4)
    criterion(pred, np.zeros(4))
    first = criterion.backward()
    np.testing.assert_array_equal(criterion.backward(), first)  # may be asked twice
    criterion(pred, np.ones(4))
    np.testing.assert_allclose(criterion.backward(), 2 * (pred - 1) / 4)


@pytest.mark.parametrize(
    "criterion", [MSELoss(), L1Loss(), HuberLoss(), BCEWithLogitsLoss(), CrossEntropyLoss()], ids=repr
)
def test_backward_before_forward_is_a_clear_error(criterion):
    assert isinstance(criterion, Loss)
    with pytest.raises(RuntimeError, match=r"backward was called before forward.*criterion\(pred, target\)"):
        criterion.backward()


def test_reprs_show_hyperparameters():
    assert repr(HuberLoss(delta=0.5)) == "HuberLoss(delta=0.5)"
    assert repr(CrossEntropyLoss(label_smoothing=0.1)) == "CrossEntropyLoss(label_smoothing=0.1)"
    assert repr(MSELoss()) == "MSELoss()"


# ------------------------------------------------------------------------------------------------
# Bad input
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [MSELoss, L1Loss, HuberLoss, BCEWithLogitsLoss])
def test_mismatched_shapes_name_both(cls):
    with pytest.raises(ValueError, match=r"same shape.*\(32, 1\).*target \(32,\).*reshape"):
        cls()(np.zeros((32, 1)), np.zeros(32))
    with pytest.raises(ValueError, match=r"same shape.*\(4, 3\).*target \(4, 2\)"):
        cls()(np.zeros((4, 3)), np.zeros((4, 2)))


@pytest.mark.parametrize("cls", [MSELoss, L1Loss, HuberLoss, BCEWithLogitsLoss])
def test_empty_batch_is_an_error_not_nan(cls):
    with pytest.raises(ValueError, match=r"empty.*\(0, 3\).*at least one"):
        cls()(np.zeros((0, 3)), np.zeros((0, 3)))


def test_non_numeric_predictions_are_rejected():
    with pytest.raises(TypeError, match=r"MSELoss: pred must be an array of real numbers, got dtype <U1"):
        MSELoss()(np.array(["a", "b"]), np.zeros(2))


@pytest.mark.parametrize("logits_shape", [(10,), (2, 3, 4), ()])
def test_cross_entropy_needs_2d_logits(logits_shape):
    with pytest.raises(ValueError, match=r"logits of shape \(N, C\).*got shape " + re_shape(logits_shape)):
        CrossEntropyLoss()(np.zeros(logits_shape), np.zeros(1, dtype=np.int64))


def test_cross_entropy_1d_logits_hint_at_a_single_example():
    with pytest.raises(ValueError, match=r"logits\[None, :\]"):
        CrossEntropyLoss()(np.zeros(10), np.array([3]))


def test_cross_entropy_rejects_float_targets():
    with pytest.raises(TypeError, match=r"integer class indices.*float64.*y\.astype\(np\.int64\)"):
        CrossEntropyLoss()(np.zeros((3, 4)), np.array([0.0, 1.0, 2.0]))


def test_cross_entropy_rejects_one_hot_targets_with_a_hint():
    with pytest.raises(ValueError, match=r"shape \(N,\).*\(3, 4\).*argmax\(axis=1\)"):
        CrossEntropyLoss()(np.zeros((3, 4)), np.eye(4)[[0, 1, 2]])


@pytest.mark.parametrize("bad", [10, -1, 12])
def test_cross_entropy_labels_outside_range_name_the_value_and_c(bad):
    target = np.array([0, 1, bad, 2])
    with pytest.raises(ValueError, match=rf"label {bad}.*C = 10.*\[0, 10\)"):
        CrossEntropyLoss()(np.zeros((4, 10)), target)


def test_cross_entropy_length_mismatch():
    with pytest.raises(ValueError, match=r"N = 4 examples but target holds 3 labels"):
        CrossEntropyLoss()(np.zeros((4, 10)), np.array([0, 1, 2]))


@pytest.mark.parametrize("bad", [-0.5, 1.5, np.nan])
def test_bce_targets_must_be_probabilities(bad):
    target = np.array([0.0, 1.0, bad])
    message = r"probabilities in \[0, 1\], got (-0\.5|1\.5|nan) .*\(y \+ 1\) / 2"
    with pytest.raises(ValueError, match=message):
        BCEWithLogitsLoss()(np.zeros(3), target)


@pytest.mark.parametrize("bad", [-0.1, 1.01, float("nan")])
def test_label_smoothing_outside_unit_interval(bad):
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\].*got"):
        CrossEntropyLoss(label_smoothing=bad)


def test_label_smoothing_must_be_a_number():
    with pytest.raises(TypeError, match=r"label_smoothing must be a number"):
        CrossEntropyLoss(label_smoothing="0.1")


@pytest.mark.parametrize("bad", [0.0, -1.0, float("inf")])
def test_huber_delta_must_be_positive(bad):
    with pytest.raises(ValueError, match=r"delta must be a positive, finite number.*got"):
        HuberLoss(delta=bad)
