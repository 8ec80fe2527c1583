"""The training loop of the PyTorch twin: the same ``fit`` / ``evaluate`` contract as NumPy's.

What differs is where the work happens. The whole data set is moved to the device once
(preloaded tensors), each batch is gathered there by index, autograd computes the gradients, and
on CUDA the forward pass can run in bfloat16 (``amp=True``). The batch order comes from the same
NumPy ``rng`` as the NumPy loop's, so both twins see identical batches for one seed.
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
from course_lib.numpy_nn.training import TrainingDivergedError, callback_methods, end_epoch

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
    bad = torch.nonzero(~torch.isfinite(X.reshape(len(X), -1)).all(dim=1)).flatten()
    if bad.numel():
        raise ValueError(
            f"{name}: {bad.numel()} sample(s) contain NaN or inf (the first at indices "
            f"{bad[:5].tolist()}); remove or repair them before training."
        )
    y = y.to(device=device, dtype=torch.int64 if not y.is_floating_point() else dtype)
    return X, y


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
    device = next(model.parameters()).device if device is None else torch.device(device)
    _check_amp(device, amp)
    X, y = to_device(data, device, next(model.parameters()).dtype)
    was_training = model.training
    model.eval()
    total, correct, classification = torch.zeros((), device=device, dtype=torch.float64), 0, False
    try:
        for start in range(0, len(X), batch_size):
            Xb, yb = X[start : start + batch_size], y[start : start + batch_size]
            with _autocast(device, amp):
                pred = model(Xb)
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

    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a whole number of at least 1, got {epochs!r}.")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number of at least 1, got {batch_size!r}.")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}; use np.random.default_rng(seed).")
    device = get_device(None if device is None else str(device))
    _check_amp(device, amp)
    model.to(device)
    dtype = next(model.parameters()).dtype
    X, y = to_device(train, device, dtype, name="train")
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
