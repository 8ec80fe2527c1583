"""The training loop of the PyTorch twin: the same ``fit`` / ``evaluate`` contract as NumPy's.

What differs is where the work happens. The whole data set is moved to the device once
(preloaded tensors), each batch is gathered there by index, autograd computes the gradients, and
on CUDA the forward pass can run in bfloat16 (``amp=True``). The batch order comes from the same
NumPy ``rng`` as the NumPy loop's, so both twins see identical batches for one seed.

What the NumPy twin checks on every batch (its losses' checks) is checked here once, on the first
batch's output and every target (``_check_targets``), with the same messages: torch
would broadcast or index with the bad targets instead.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from course_lib.device import get_device
from course_lib.history import History
from course_lib.numpy_nn import losses as numpy_losses
from course_lib.numpy_nn.training import TrainingDivergedError, callback_methods, end_epoch
from course_lib.torch_nn.losses import BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss
from course_lib.validation import class_indices, evaluate_args, finite_samples, fit_args, probability_targets

__all__ = ["TrainingDivergedError", "evaluate", "fit", "to_device"]


def to_device(
    data: tuple[Any, Any], device: torch.device, dtype: torch.dtype = torch.float32, *, name: str = "data"
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(X, y)`` as tensors on ``device``: X in ``dtype``, y as int64 class indices or ``dtype`` targets."""
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise TypeError(f"{name} must be a pair (X, y) of arrays or tensors; got {type(data).__name__}.")
    X, y = (torch.as_tensor(np.asarray(a) if not isinstance(a, torch.Tensor) else a) for a in data)
    if len(X) != len(y):
        raise ValueError(f"{name}: X has {len(X)} samples but y has {len(y)}; pass the labels that belong to X.")
    if len(X) == 0:
        raise ValueError(f"{name} holds no samples.")
    X = X.to(device=device, dtype=dtype)
    y = y.to(device=device, dtype=torch.int64 if not y.is_floating_point() else dtype)
    for what, tensor in (("X", X), ("y", y)):  # a NaN target would be blamed on the learning rate
        if tensor.is_floating_point():
            bad = torch.nonzero(~torch.isfinite(tensor.reshape(len(tensor), -1)).all(dim=1)).flatten()
            finite_samples(name, what, bad.cpu())
    return X, y


def _targets(data: tuple[Any, Any]) -> np.ndarray:
    """The targets as the caller gave them, on the host: what ``_check_targets`` reads."""
    y = data[1]
    return y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)


# Each torch loss and its NumPy twin, whose ``check`` screens what torch would take.
_NUMPY_TWINS = {MSELoss: numpy_losses.MSELoss, L1Loss: numpy_losses.L1Loss, HuberLoss: numpy_losses.HuberLoss,
                BCEWithLogitsLoss: numpy_losses.BCEWithLogitsLoss, CrossEntropyLoss: numpy_losses.CrossEntropyLoss}


def _twin(loss_fn: object) -> type[numpy_losses.Loss] | None:
    return next((numpy for cls, numpy in _NUMPY_TWINS.items() if isinstance(loss_fn, cls)), None)


def _float_targets(loss_fn: object) -> bool:
    """Whether ``loss_fn`` compares real-valued targets (its NumPy twin turns integer targets into floats)."""
    return _twin(loss_fn) not in (None, numpy_losses.CrossEntropyLoss)


def _check_targets(loss_fn: object, pred: torch.Tensor, y: np.ndarray) -> None:
    """Refuse the targets that the NumPy twin of ``loss_fn`` refuses (a loss of your own is left to torch).

    ``pred`` is the model's output for the first ``len(pred)`` examples (only its shape and kind are
    read); ``y`` holds every target as the caller gave them, so a message names their own dtype.
    """
    twin = _twin(loss_fn)
    if twin is None:
        return
    kind = np.float32 if pred.is_floating_point() else np.complex64 if pred.is_complex() else np.int64
    stand_in = np.broadcast_to(np.zeros((), kind), tuple(pred.shape))  # the shape, without copying the values
    twin().check(stand_in, y[: len(pred)])  # the first batch, as the NumPy twin sees it
    if twin is numpy_losses.CrossEntropyLoss:
        class_indices(y, pred.shape[1])  # and every other batch's labels, once
    elif twin is numpy_losses.BCEWithLogitsLoss:
        probability_targets(np.asarray(y, dtype=np.float64))


def _lr(optimizer: torch.optim.Optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])


def _autocast(device: torch.device, amp: bool):
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=amp)


def _check_amp(device: torch.device, amp: bool) -> None:
    if amp and device.type != "cuda":
        raise ValueError(
            f"amp=True (bfloat16 mixed precision) is meant for CUDA; the model runs on {device}. "
            f"Leave amp=False on this device."
        )


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loss_fn: nn.Module,
    data: tuple[Any, Any],
    *,
    batch_size: int = 1000,
    device: str | torch.device | None = None,
    amp: bool = False,
) -> dict[str, float]:
    """Mean loss (and accuracy, for class labels) over ``data`` in evaluation mode; mode restored after."""
    evaluate_args(batch_size)
    device = next(model.parameters()).device if device is None else torch.device(device)
    _check_amp(device, amp)
    X, y = to_device(data, device, next(model.parameters()).dtype)
    y = y.to(X.dtype) if _float_targets(loss_fn) else y
    was_training = model.training
    model.eval()
    total, correct, classification = torch.zeros((), device=device, dtype=torch.float64), 0, False
    try:
        for start in range(0, len(X), batch_size):
            Xb, yb = X[start : start + batch_size], y[start : start + batch_size]
            with _autocast(device, amp):
                pred = model(Xb)
                if start == 0:
                    _check_targets(loss_fn, pred, _targets(data))
                total += loss_fn(pred, yb).double() * len(Xb)
            if pred.ndim == 2 and pred.shape[1] > 1 and not yb.is_floating_point():
                classification = True
                correct += (pred.argmax(dim=1) == yb).sum()
    finally:
        model.train(was_training)
    result = {"loss": total.item() / len(X)}
    if classification:
        result["acc"] = int(correct) / len(X)
    return result


def fit(
    model: nn.Module,
    loss_fn: nn.Module,
    optimizer: torch.optim.Optimizer,
    train: tuple[Any, Any],
    *,
    val: tuple[Any, Any] | None = None,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator,
    callbacks: Sequence[object] = (),
    scheduler: Any = None,
    progress: bool = True,
    device: str | torch.device | None = None,
    amp: bool = False,
) -> History:
    """Train ``model`` on ``train`` for ``epochs`` epochs; the twin of ``numpy_nn.training.fit``.

    Args:
        device: where to train; default ``get_device()``. The model and the data move there once.
        amp: run forward passes in bfloat16 autocast (CUDA only); parameters stay float32.
        The other arguments are those of ``numpy_nn.training.fit``.

    Returns:
        A History with the same metrics as the NumPy loop's.

    Raises:
        TrainingDivergedError: the loss became NaN or inf. To avoid a GPU synchronisation every
            step, the losses are checked at the end of each epoch; the message names the first bad
            step, and ``.history`` holds every step before it.
    """
    from tqdm.auto import tqdm

    fit_args(epochs, batch_size, rng)
    device = get_device(None if device is None else str(device))
    _check_amp(device, amp)
    model.to(device)
    dtype = next(model.parameters()).dtype
    X, y = to_device(train, device, dtype, name="train")
    y = y.to(dtype) if _float_targets(loss_fn) else y  # as the NumPy losses turn integer targets into floats
    if val is not None:
        val = to_device(val, device, dtype, name="val")
    n, steps_per_epoch = len(X), -(-len(X) // batch_size)

    history = History()
    for begin in callback_methods(callbacks, "on_train_begin"):
        begin(model)
    bar = tqdm(total=epochs * steps_per_epoch, desc="training", unit="step", disable=not progress, leave=True)
    step = 0
    try:
        for epoch in range(1, epochs + 1):
            model.train()
            start = time.perf_counter()
            order = torch.as_tensor(rng.permutation(n), device=device)
            losses = torch.empty(steps_per_epoch, device=device, dtype=torch.float64)
            correct = torch.zeros((), device=device, dtype=torch.int64)
            classification = False
            lr = _lr(optimizer)
            for i, begin_at in enumerate(range(0, n, batch_size)):
                idx = order[begin_at : begin_at + batch_size]
                Xb, yb = X[idx], y[idx]
                optimizer.zero_grad(set_to_none=True)
                with _autocast(device, amp):
                    pred = model(Xb)
                    if step == i == 0:  # the first batch's output tells what the targets must fit
                        _check_targets(loss_fn, pred, _targets(train))
                    loss = loss_fn(pred, yb)
                loss.backward()
                optimizer.step()
                losses[i] = loss.detach().double()
                if pred.ndim == 2 and pred.shape[1] > 1 and not yb.is_floating_point():
                    classification = True
                    correct += (pred.detach().argmax(dim=1) == yb).sum()
                bar.update()
                if (i + 1) % 50 == 0:
                    bar.set_postfix(epoch=epoch, loss=f"{loss.item():.4f}", refresh=False)
            host_losses = losses.cpu().numpy()
            sizes = np.minimum(batch_size, n - batch_size * np.arange(steps_per_epoch))
            bad = np.flatnonzero(~np.isfinite(host_losses))
            for j in range(bad[0] if bad.size else steps_per_epoch):
                history.log_step(loss=host_losses[j], lr=lr)
            if bad.size:
                raise TrainingDivergedError(
                    f"The loss became {host_losses[bad[0]]} at epoch {epoch}, step {step + bad[0] + 1} "
                    f"(batch {bad[0] + 1} of the epoch) with learning rate {lr:g}. The updates grew "
                    f"instead of shrinking: lower the learning rate (try {lr / 10:g}), or clip the "
                    f"gradients. The history until then is in error.history.",
                    history,
                )
            step += steps_per_epoch
            logs = {"train_loss": float(np.dot(host_losses, sizes) / n)}
            if classification:
                logs["train_acc"] = int(correct) / n
            if val is not None:
                logs.update({f"val_{k}": v for k, v in evaluate(model, loss_fn, val, device=device, amp=amp).items()})
            logs["lr"] = lr
            logs["seconds"] = time.perf_counter() - start
            if end_epoch(epoch, logs, model, history, bar, scheduler, callbacks):
                break
    finally:
        bar.close()
    for end in callback_methods(callbacks, "on_train_end"):
        end(model)
    return history
