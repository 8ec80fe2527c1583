"""Calibration with tensors: the twins of ``course_lib.numpy_nn.calibration``.

The same three functions, on torch tensors: ``reliability_bins`` (per confidence bin: mean
confidence, accuracy, count), ``expected_calibration_error`` (ECE = Σ_b (n_b / N)·|acc_b − conf_b|)
and ``fit_temperature`` (the T > 0 minimising the NLL of softmax(logits / T)). Read the NumPy twin
for the ideas. Here the temperature is fitted as torch would do it: L-BFGS on log T, so T stays
positive, with autograd giving the gradient. The inputs are checked by the NumPy twin's own
functions (``course_lib.validation``), so both twins refuse a bad input with the same message.
"""

from __future__ import annotations

import torch

from course_lib.validation import calibration_inputs, temperature_inputs

__all__ = ["expected_calibration_error", "fit_temperature", "reliability_bins"]


def _checked(owner: str, probs: torch.Tensor, y: torch.Tensor, n_bins: int) -> tuple[torch.Tensor, torch.Tensor, int]:
    for name, value in (("probs", probs), ("y", y)):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{owner} (torch twin) takes tensors; {name} is {type(value).__name__}. Use "
                            f"torch.as_tensor({name}), or course_lib.numpy_nn.calibration for NumPy arrays.")
    calibration_inputs(owner, probs.detach().cpu().numpy(), y.detach().cpu().numpy(), n_bins)
    return probs.detach(), y.detach(), int(n_bins)


def reliability_bins(probs: torch.Tensor, y: torch.Tensor, n_bins: int = 15) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(confidence, accuracy, count)`` per equal-width confidence bin, each of shape (n_bins,); empty bins hold 0."""
    probs, y, n_bins = _checked("reliability_bins", probs, y, n_bins)
    confidence, predicted = probs.max(dim=1)
    correct = (predicted == y).to(probs.dtype)
    bins = torch.clamp((confidence * n_bins).long(), max=n_bins - 1)  # confidence 1.0 -> the last bin
    count = torch.bincount(bins, minlength=n_bins)
    seen = count.clamp(min=1).to(probs.dtype)
    return (torch.bincount(bins, weights=confidence, minlength=n_bins).to(probs.dtype) / seen,
            torch.bincount(bins, weights=correct, minlength=n_bins).to(probs.dtype) / seen, count)


def expected_calibration_error(probs: torch.Tensor, y: torch.Tensor, n_bins: int = 15) -> float:
    """ECE = Σ_b (n_b / N) · |acc_b − conf_b| over ``n_bins`` equal-width confidence bins, as a float."""
    probs, y, n_bins = _checked("expected_calibration_error", probs, y, n_bins)
    confidence, accuracy, count = reliability_bins(probs, y, n_bins)
    return float(torch.sum(count.to(probs.dtype) / len(y) * (accuracy - confidence).abs()))


def fit_temperature(logits: torch.Tensor, y: torch.Tensor) -> float:
    """The temperature T > 0 minimising the mean NLL of ``softmax(logits / T)``: L-BFGS on log T, from T = 1."""
    for name, value in (("logits", logits), ("y", y)):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"fit_temperature (torch twin) takes tensors; {name} is {type(value).__name__}. Use "
                            f"torch.as_tensor({name}), or course_lib.numpy_nn.calibration for NumPy arrays.")
    temperature_inputs(logits.detach().cpu().numpy(), y.detach().cpu().numpy())
    logits, y = logits.detach().to(torch.float64), y.detach()
    log_t = torch.zeros((), dtype=torch.float64, device=logits.device, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=1.0, max_iter=200, tolerance_grad=1e-13, tolerance_change=1e-15,
                                  line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(logits / log_t.exp(), y)
        loss.backward()
        return loss

    for _ in range(3):  # L-BFGS stops early on a flat stretch; a restart from where it stopped costs little
        optimizer.step(closure)
    return float(log_t.detach().exp())
