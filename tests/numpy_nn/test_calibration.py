"""The calibration twins (numpy_nn.calibration, torch_nn.calibration): hand-computed cases, scikit-learn's
calibration_curve as an oracle for the bins (a test-only dependency), the twins' agreement in float64, and
the same refusal from both."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.calibration import calibration_curve

from course_lib.numpy_nn import calibration as nc
from course_lib.torch_nn import calibration as tc


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def nll(logits: np.ndarray, y: np.ndarray, T: float) -> float:
    return float(-np.mean(np.log(softmax(logits / T)[np.arange(len(y)), y])))


def model_like(rng: np.random.Generator, n: int = 500, c: int = 10, scale: float = 3.0, hit: float = 0.8):
    """Logits of a model that is right about ``hit`` of the time, and labels to go with them."""
    logits = scale * rng.standard_normal((n, c))
    y = np.where(rng.random(n) < hit, logits.argmax(axis=1), rng.integers(0, c, n))
    return logits, y


# ---- hand cases ---------------------------------------------------------------------------------------

HAND = np.array([[0.95, 0.05, 0.0], [0.05, 0.95, 0.0], [0.85, 0.1, 0.05], [0.15, 0.25, 0.6], [0.45, 0.35, 0.2],
                 [0.3, 0.65, 0.05]])
HAND_Y = np.array([0, 0, 0, 2, 1, 1])


def test_the_bins_of_a_hand_case():
    # confidences 0.95 (right), 0.95 (wrong), 0.85 (right), 0.6 (right), 0.45 (wrong), 0.65 (right); 10 bins
    conf, acc, count = nc.reliability_bins(HAND, HAND_Y, n_bins=10)
    np.testing.assert_array_equal(count, [0, 0, 0, 0, 1, 0, 2, 0, 1, 2])
    np.testing.assert_allclose(conf, [0, 0, 0, 0, 0.45, 0, 0.625, 0, 0.85, 0.95])
    np.testing.assert_allclose(acc, [0, 0, 0, 0, 0, 0, 1, 0, 1, 0.5])


def test_the_ece_of_a_hand_case():
    # (1·0.45 + 2·0.375 + 1·0.15 + 2·0.45) / 6 = 2.25 / 6
    assert nc.expected_calibration_error(HAND, HAND_Y, n_bins=10) == pytest.approx(0.375, abs=1e-12)
    # one bin: |4/6 − mean confidence 4.45/6| = 0.075, the gap between the overall accuracy and confidence
    assert nc.expected_calibration_error(HAND, HAND_Y, n_bins=1) == pytest.approx(0.075, abs=1e-12)


def test_empty_bins_hold_zero_never_nan_and_the_ece_stays_finite():
    conf, acc, count = nc.reliability_bins(HAND, HAND_Y, n_bins=50)
    assert np.all(np.isfinite(conf)) and np.all(np.isfinite(acc))
    assert np.all(conf[count == 0] == 0) and np.all(acc[count == 0] == 0) and np.count_nonzero(count) == 5
    assert np.isfinite(nc.expected_calibration_error(HAND, HAND_Y, n_bins=50))


def test_a_confidence_of_exactly_one_falls_in_the_last_bin():
    sure = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    conf, acc, count = nc.reliability_bins(sure, np.array([0, 1, 1]), n_bins=4)
    np.testing.assert_array_equal(count, [0, 0, 0, 3])
    assert conf[-1] == 1.0 and acc[-1] == pytest.approx(2 / 3)
    assert nc.expected_calibration_error(sure, np.array([0, 1, 1]), n_bins=4) == pytest.approx(1 / 3)


def test_a_perfectly_calibrated_set_has_ece_zero():
    # in one bin, 4 examples at confidence 0.75 of which 3 are right
    probs = np.array([[0.75, 0.25]] * 4)
    assert nc.expected_calibration_error(probs, np.array([0, 0, 0, 1]), n_bins=10) == pytest.approx(0.0, abs=1e-15)


def test_the_counts_add_up_and_the_ece_is_the_count_weighted_gap(rng):
    logits, y = model_like(rng)
    probs = softmax(logits)
    conf, acc, count = nc.reliability_bins(probs, y, n_bins=15)
    assert count.sum() == len(y) and count.dtype.kind == "i"
    np.testing.assert_allclose(np.sum(count * conf), probs.max(axis=1).sum())
    np.testing.assert_allclose(np.sum(count * acc), np.sum(probs.argmax(axis=1) == y))
    assert nc.expected_calibration_error(probs, y) == pytest.approx(np.sum(count / len(y) * np.abs(acc - conf)))


# ---- scikit-learn's calibration_curve as the oracle ------------------------------------------------------


@pytest.mark.parametrize("n_classes, n_bins", [(2, 5), (2, 10), (10, 15)])
def test_the_bins_agree_with_scikit_learns_calibration_curve(rng, n_classes, n_bins):
    """sklearn bins a binary problem's probabilities of the positive class. Given "the prediction was right" as the
    label and the confidence as the probability, its curve is the reliability diagram's (non-empty) bins."""
    logits, y = model_like(rng, n=2000, c=n_classes, scale=2.0, hit=0.6)
    probs = softmax(logits)
    confidence, right = probs.max(axis=1), (probs.argmax(axis=1) == y).astype(int)
    edges = np.arange(1, n_bins) / n_bins
    assert np.abs(confidence[:, None] - edges).min() > 1e-7  # no confidence on an edge, where conventions differ
    prob_true, prob_pred = calibration_curve(right, confidence, n_bins=n_bins, strategy="uniform")
    conf, acc, count = nc.reliability_bins(probs, y, n_bins=n_bins)
    np.testing.assert_allclose(acc[count > 0], prob_true, rtol=1e-12)
    np.testing.assert_allclose(conf[count > 0], prob_pred, rtol=1e-12)
    if n_classes == 2:
        assert np.all(count[: n_bins // 2] == 0)  # a binary model's confidence is at least 0.5


# ---- the temperature ----------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [0.3, 1.0, 3.0, 10.0])
def test_the_temperature_minimises_the_nll(rng, scale):
    logits, y = model_like(rng, scale=scale)
    T = nc.fit_temperature(logits, y)
    assert T > 0
    for factor in (0.99, 1.01, 0.9, 1.1):
        assert nll(logits, y, T) < nll(logits, y, factor * T)
    h = 1e-5 * T  # the slope of the NLL at T is 0
    assert abs(nll(logits, y, T + h) - nll(logits, y, T - h)) / (2 * h) < 1e-6


def test_an_overconfident_model_gets_t_above_1_and_scaling_the_logits_scales_t(rng):
    logits, y = model_like(rng, scale=1.0, hit=0.8)
    T = nc.fit_temperature(logits, y)
    assert nc.fit_temperature(5 * logits, y) == pytest.approx(5 * T, rel=1e-9)
    over = 10 * logits / T  # ten times sharper than its best
    assert nc.fit_temperature(over, y) == pytest.approx(10.0, rel=1e-9)
    assert nc.fit_temperature(logits / (4 * T), y) == pytest.approx(0.25, rel=1e-9)


def test_temperature_scaling_finds_the_sharpening_and_undoes_it(rng):
    """Labels drawn from softmax(logits) make the logits calibrated at T = 1; three times sharper needs T ≈ 3."""
    logits = 2.0 * rng.standard_normal((5000, 10))
    probs = softmax(logits)
    y = np.array([rng.choice(10, p=row) for row in probs])
    over = 3 * logits
    T = nc.fit_temperature(over, y)
    assert T == pytest.approx(3.0, rel=0.1)
    assert np.array_equal((over / T).argmax(axis=1), over.argmax(axis=1))
    assert nc.expected_calibration_error(softmax(over / T), y) < nc.expected_calibration_error(softmax(over), y) / 3


# ---- the twins agree ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_classes, n_bins", [(2, 5), (10, 15), (3, 1)])
def test_the_twins_agree_on_the_bins_and_the_ece(rng, n_classes, n_bins):
    logits, y = model_like(rng, n=700, c=n_classes, scale=2.0)
    probs = softmax(logits)
    probs[:7] = np.eye(n_classes)[y[:7]]  # a few confidences of exactly 1
    ours = nc.reliability_bins(probs, y, n_bins)
    theirs = tc.reliability_bins(torch.from_numpy(probs), torch.from_numpy(y), n_bins)
    for a, b in zip(ours, theirs):
        assert isinstance(b, torch.Tensor)
        np.testing.assert_allclose(b.numpy(), a, rtol=1e-12, atol=1e-15)
    assert theirs[0].dtype == torch.float64 and theirs[2].dtype == torch.int64
    assert tc.expected_calibration_error(torch.from_numpy(probs), torch.from_numpy(y), n_bins) == pytest.approx(
        nc.expected_calibration_error(probs, y, n_bins), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("scale, hit", [(0.3, 0.9), (1.0, 0.8), (3.0, 0.7), (10.0, 0.5)])
def test_the_twins_fit_the_same_temperature(rng, scale, hit):
    logits, y = model_like(rng, scale=scale, hit=hit)
    T = nc.fit_temperature(logits, y)
    assert tc.fit_temperature(torch.from_numpy(logits), torch.from_numpy(y)) == pytest.approx(T, rel=1e-6)
    float32 = tc.fit_temperature(torch.from_numpy(logits).float(), torch.from_numpy(y))
    assert float32 == pytest.approx(T, rel=1e-6)  # the torch twin fits in float64 whatever the logits' dtype


# ---- refusals: the same message from both twins -------------------------------------------------------


def _refusals():
    probs, y = softmax(np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0]])), np.array([0, 1])
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 2.0]])
    return [
        ("reliability_bins", (probs * 3, y, 10), "Are these logits? Pass softmax(logits)"),
        ("reliability_bins", (probs[:, 0], y, 10), "must have shape (N, C)"),
        ("expected_calibration_error", (probs, y, 0), "n_bins must be a whole number of at least 1"),
        ("expected_calibration_error", (probs, y, 2.5), "n_bins must be a whole number of at least 1"),
        ("expected_calibration_error", (probs, np.array([0, 3]), 10), "labels must be in [0, 3)"),
        ("expected_calibration_error", (probs, np.array([0, 1, 1]), 10), "but y holds 3 labels"),
        ("expected_calibration_error", (probs, np.array([0.0, 1.0]), 10), "one integer class index per example"),
        ("expected_calibration_error", (np.full((2, 3), np.nan), y, 10), "contain NaN or inf"),
        ("expected_calibration_error", (np.zeros((0, 3)), np.zeros(0, dtype=int), 10), "at least one example"),
        ("fit_temperature", (logits, np.array([0, 1, 2])), "has no minimum at a T > 0"),
        ("fit_temperature", (-logits, np.array([0, 1, 2])), "do not favour the true classes"),
        ("fit_temperature", (np.ones((3, 3)), np.array([0, 1, 2])), "do not favour the true classes"),
        ("fit_temperature", (logits, np.array([0, 1])), "but y holds 2 labels"),
    ]


@pytest.mark.parametrize("name, args, words", _refusals())
def test_both_twins_refuse_bad_input_with_the_same_message(name, args, words):
    with pytest.raises(ValueError) as numpy_error:
        getattr(nc, name)(*args)
    torch_args = [torch.from_numpy(np.asarray(a)) if isinstance(a, np.ndarray) else a for a in args]
    with pytest.raises(ValueError) as torch_error:
        getattr(tc, name)(*torch_args)
    assert words in str(numpy_error.value), numpy_error.value
    assert str(torch_error.value) == str(numpy_error.value)


def test_the_torch_twin_asks_for_tensors():
    with pytest.raises(TypeError, match="takes tensors"):
        tc.expected_calibration_error(HAND, torch.from_numpy(HAND_Y))
    with pytest.raises(TypeError, match="takes tensors"):
        tc.fit_temperature(torch.zeros(2, 2), [0, 1])
