"""The training loop of the NumPy reference: ``fit`` and ``evaluate``.

One step, as in every lesson: forward the batch, compute the loss, backward the loss's gradient
through the model (gradients land on the parameters), let the optimizer update them, record.

    history = fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, y),
                  val=(X_val, y_val), epochs=5, batch_size=64, rng=rng)
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from course_lib.data import iterate_minibatches
from course_lib.history import History
from course_lib.numpy_nn.module import Sequential
from course_lib.validation import evaluate_args, finite_samples, fit_args

__all__ = ["Callback", "TrainingDivergedError", "evaluate", "fit"]


class Callback(Protocol):
    """What ``fit`` calls, if the callback has it: EarlyStopping is one."""

    def on_train_begin(self, model: Any) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Any) -> bool | None:
        """Return True to stop training after this epoch."""

    def on_train_end(self, model: Any) -> None: ...


class TrainingDivergedError(FloatingPointError):
    """The loss became NaN or infinite. ``.history`` holds everything recorded before it."""

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        self.history = history


def _check_data(name: str, data: object) -> tuple[NDArray, NDArray]:
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise TypeError(f"{name} must be a pair (X, y) of arrays; got {type(data).__name__}.")
    X, y = np.asarray(data[0]), np.asarray(data[1])
    if len(X) != len(y):
        raise ValueError(f"{name}: X has {len(X)} samples but y has {len(y)}; pass the labels that belong to X.")
    if len(X) == 0:
        raise ValueError(f"{name} holds no samples.")
    for what, array in (("X", X), ("y", y)):  # a NaN target would be blamed on the learning rate
        if not np.issubdtype(array.dtype, np.floating):
            continue
        # A finite sum proves every entry finite (one NaN or inf makes it NaN or inf), in half the
        # time of the row-by-row search, which runs only when the sum is not finite.
        with np.errstate(over="ignore", invalid="ignore"):  # huge finite values may overflow: the search decides
            all_finite = np.isfinite(array.sum())
        if not all_finite:
            finite_samples(name, what, np.flatnonzero(~np.isfinite(array.reshape(len(array), -1)).all(axis=1)))
    return X, y


def _is_classification(pred: NDArray, y: NDArray) -> bool:
    return pred.ndim == 2 and pred.shape[1] > 1 and np.issubdtype(y.dtype, np.integer)


def callback_methods(callbacks: Iterable[object], method: str) -> list:
    return [getattr(cb, method) for cb in callbacks if hasattr(cb, method)]


def end_epoch(epoch: int, logs: dict[str, float], model: Any, history: History, bar: Any, scheduler: Any, callbacks: Sequence[object]) -> bool:
    """What both training loops do after an epoch: record it, show it, step the schedule, and ask
    the callbacks whether to stop (every callback hears of the epoch, then any one may stop)."""
    history.log_epoch(**logs)
    bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items() if k not in ("lr", "seconds")}, refresh=True)
    if scheduler is not None:
        scheduler.step()
    stops = [bool(on_end(epoch, logs, model)) for on_end in callback_methods(callbacks, "on_epoch_end")]
    return any(stops)


def evaluate(model: Any, loss_fn: Any, data: tuple[NDArray, NDArray], *, batch_size: int = 1000) -> dict[str, float]:
    """Mean loss (and accuracy, for class labels) over ``data`` in evaluation mode.

    The model's train/eval mode is restored afterwards.

    Returns:
        ``{"loss": ..., "acc": ...}``; "acc" only when ``y`` holds class indices.
    """
    evaluate_args(batch_size)
    X, y = _check_data("data", data)
    was_training = model.training
    model.eval()
    total_loss, correct, classification = 0.0, 0, False
    try:
        for Xb, yb in iterate_minibatches(X, y, batch_size, rng=None, shuffle=False):
            pred = model(Xb)
            total_loss += loss_fn(pred, yb) * len(Xb)
            if _is_classification(pred, yb):
                classification = True
                correct += int(np.count_nonzero(pred.argmax(axis=1) == yb))
    finally:
        model.train(was_training)
    result = {"loss": total_loss / len(X)}
    if classification:
        result["acc"] = correct / len(X)
    return result


def fit(
    model: Any,
    loss_fn: Any,
    optimizer: Any,
    train: tuple[NDArray, NDArray],
    *,
    val: tuple[NDArray, NDArray] | None = None,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator,
    callbacks: Sequence[object] = (),
    scheduler: Any = None,
    progress: bool = True,
) -> History:
    """Train ``model`` with mini-batches for ``epochs`` passes over ``train``.

    Args:
        model: a ``numpy_nn`` Layer (e.g. a Sequential).
        loss_fn: a ``numpy_nn.losses`` object: ``loss_fn(pred, y) -> float``, ``loss_fn.backward()``.
        optimizer: a ``numpy_nn.optimizers`` object over ``model.parameters()``.
        train: ``(X, y)``; shuffled each epoch with ``rng``.
        val: optional ``(X, y)`` evaluated after every epoch.
        epochs: number of passes over the training data, at least 1.
        batch_size: samples per step.
        rng: the generator that shuffles; the same seed gives the same run.
        callbacks: objects with any of ``on_train_begin``, ``on_epoch_end`` (True stops), ``on_train_end``.
        scheduler: a ``numpy_nn.schedules`` object stepped after every epoch.
        progress: show a progress bar.

    Returns:
        A History with per-step ``loss`` and ``lr`` and per-epoch ``train_loss``, ``train_acc``
        (for class labels), ``val_loss``, ``val_acc``, ``lr`` and ``seconds``.

    Raises:
        TrainingDivergedError: the loss became NaN or inf; the message names the epoch, the step
            and the learning rate, and ``.history`` keeps what was recorded until then.
    """
    from tqdm.auto import tqdm

    fit_args(epochs, batch_size, rng)
    X, y = _check_data("train", train)
    if val is not None:
        val = _check_data("val", val)
    steps_per_epoch = -(-len(X) // batch_size)
    history = History()
    for begin in callback_methods(callbacks, "on_train_begin"):
        begin(model)
    bar = tqdm(total=epochs * steps_per_epoch, desc="training", unit="step", disable=not progress, leave=True)
    step = 0
    try:
        for epoch in range(1, epochs + 1):
            model.train()
            start, seen, loss_sum, correct, classification = time.perf_counter(), 0, 0.0, 0, False
            for batch_index, (Xb, yb) in enumerate(iterate_minibatches(X, y, batch_size, rng=rng), start=1):
                step += 1
                optimizer.zero_grad()
                pred = model(Xb)
                loss = loss_fn(pred, yb)
                if not np.isfinite(loss):
                    raise TrainingDivergedError(
                        f"The loss became {loss} at epoch {epoch}, step {step} (batch {batch_index} of "
                        f"the epoch) with learning rate {optimizer.lr:g}. The updates grew instead of "
                        f"shrinking: lower the learning rate (try {optimizer.lr / 10:g}), or clip the "
                        f"gradients. The history until then is in error.history.",
                        history,
                    )
                dloss = loss_fn.backward()
                # The data's own gradient is never needed: a Sequential can skip computing it.
                model.backward(dloss, input_grad=False) if isinstance(model, Sequential) else model.backward(dloss)
                optimizer.step()
                history.log_step(loss=loss, lr=optimizer.lr)
                seen += len(Xb)
                loss_sum += loss * len(Xb)
                if _is_classification(pred, yb):
                    classification = True
                    correct += int(np.count_nonzero(pred.argmax(axis=1) == yb))
                bar.update()
                if batch_index % 20 == 0:
                    bar.set_postfix(epoch=epoch, loss=f"{loss:.4f}", refresh=False)
            logs = {"train_loss": loss_sum / seen}
            if classification:
                logs["train_acc"] = correct / seen
            if val is not None:
                logs.update({f"val_{k}": v for k, v in evaluate(model, loss_fn, val).items()})
            logs["lr"] = optimizer.lr
            logs["seconds"] = time.perf_counter() - start
            if end_epoch(epoch, logs, model, history, bar, scheduler, callbacks):
                break
    finally:
        bar.close()
    for end in callback_methods(callbacks, "on_train_end"):
        end(model)
    return history
