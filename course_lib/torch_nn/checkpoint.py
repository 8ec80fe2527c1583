"""Checkpoints of a PyTorch training run: save everything a run needs to go on, and resume it.

A model's weights alone are not enough to *continue* training as if nothing had happened. The
run also lives in the optimizer (Adam's moments ``m`` and ``v`` and its step count ``t``, SGD's
momentum buffers), in the learning-rate schedule (how far along it is), and in the random
generators (which batches come next, which neurons dropout switches off next). A checkpoint
holds all of them::

    save_checkpoint("run.pt", model=model, optimizer=optimizer, scheduler=scheduler,
                    epoch=2, rng=rng, history=history)
    ...                                   # later, in a new process: build the same objects, then
    epoch, rng, history = load_checkpoint("run.pt", model=model, optimizer=optimizer,
                                          scheduler=scheduler)

and training resumed from it ends with exactly the weights of a run that was never interrupted
(tests/torch_nn/test_torch_checkpoint.py checks it with ``torch.equal``).

The file is written with ``torch.save`` and read with ``torch.load(weights_only=True)``, which
only accepts tensors, numbers, strings and plain containers: loading a file cannot run code. It is
written atomically (a temporary file in the same folder, then ``os.replace``), so a crash while
saving leaves the previous checkpoint intact, never a half-written one. Loading checks the whole
file against the model, optimizer and scheduler before it changes any of them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from course_lib.files import check_writable, write_atomically
from course_lib.validation import state_dict_fits
from course_lib.history import History
from course_lib.numpy_nn.checkpoint import CheckpointError

__all__ = ["CheckpointError", "Checkpointer", "load_checkpoint", "save_checkpoint"]

FORMAT = "course_lib.torch_nn.checkpoint/1"


def _class_name(obj: Any) -> str | None:
    return None if obj is None else type(obj).__name__


def save_checkpoint(
    path: str | os.PathLike,
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any = None,
    epoch: int,
    rng: np.random.Generator,
    history: History | None = None,
) -> Path:
    """Save the state of a training run after ``epoch`` finished epochs; return the path.

    Stored: the model's and the optimizer's ``state_dict()``, the scheduler's (if any), the
    NumPy generator's ``bit_generator.state`` (the batch order to come), torch's global random
    state on the CPU and on every CUDA device (dropout's draws to come), ``epoch`` and the
    history so far. Tensors are stored as they are, on their device; loading maps them to the
    CPU first and then to wherever the model lives.

    Args:
        path: the file to write, conventionally ``*.pt``; replaced if it exists.
        model, optimizer, scheduler: the objects being trained.
        epoch: how many epochs are done, >= 0.
        rng: the generator ``fit`` draws the batch order from.
        history: the History of the run so far, or None.
    """
    path = Path(path)
    check_writable(path, "save_checkpoint", "checkpoint.pt")
    if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or epoch < 0:
        raise ValueError(f"save_checkpoint: epoch must be a whole number >= 0 (epochs done), got {epoch!r}.")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"save_checkpoint: rng must be the numpy.random.Generator that training draws from, got {type(rng).__name__}.")
    if history is not None and not isinstance(history, History):
        raise TypeError(f"save_checkpoint: history must be a course_lib History or None, got {type(history).__name__}.")
    state = {
        "format": FORMAT,
        "epoch": int(epoch),
        "model": model.state_dict(),
        "model_class": _class_name(model),
        "optimizer": optimizer.state_dict(),
        "optimizer_class": _class_name(optimizer),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "scheduler_class": _class_name(scheduler),
        "numpy_rng": rng.bit_generator.state,
        "torch_rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "history": None if history is None else history.to_dict(),
    }
    write_atomically(path, lambda f: torch.save(state, f))
    return path


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise FileNotFoundError(
            f"No checkpoint at {path}. Save one first with save_checkpoint({str(path)!r}, ...), or check the path."
        )
    if path.is_dir():
        raise CheckpointError(f"{path} is a folder, not a checkpoint file; pass the .pt file inside it.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # a damaged file can fail inside the unpickler in many ways
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else ""
        raise CheckpointError(
            f"{path} is not a readable checkpoint ({type(err).__name__}: {first_line}). It may be "
            f"damaged or cut short, or be another kind of file: save the checkpoint again."
        ) from err
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        found = state.get("format") if isinstance(state, dict) else type(state).__name__
        raise CheckpointError(
            f"{path} is not a course_lib training checkpoint (expected format {FORMAT!r}, found "
            f"{found!r}). A bare model.state_dict() holds no optimizer or random state; load it with "
            f"model.load_state_dict(torch.load(path))."
        )
    return state


def _check_optimizer(path: Path, state: dict[str, Any], optimizer: torch.optim.Optimizer) -> None:
    if state["optimizer_class"] != type(optimizer).__name__:
        raise CheckpointError(
            f"The checkpoint {path} holds the state of a {state['optimizer_class']} optimizer, but a "
            f"{type(optimizer).__name__} was passed. Build the optimizer the run was saved with."
        )
    saved_groups = [len(g["params"]) for g in state["optimizer"]["param_groups"]]
    own_groups = [len(g["params"]) for g in optimizer.param_groups]
    if saved_groups != own_groups:
        raise CheckpointError(
            f"The checkpoint {path} has optimizer parameter groups of sizes {saved_groups}, but this "
            f"optimizer has {own_groups}. Build it over the same model.parameters() as when saving."
        )


def _check_scheduler(path: Path, state: dict[str, Any], scheduler: Any) -> None:
    saved = state["scheduler_class"]
    if saved is None and scheduler is not None:
        raise CheckpointError(
            f"The checkpoint {path} was saved without a learning-rate scheduler, but scheduler="
            f"{type(scheduler).__name__} was passed. Resume with scheduler=None, as the run was saved."
        )
    if saved is not None and scheduler is None:
        raise CheckpointError(
            f"The checkpoint {path} holds the state of a {saved} scheduler; pass scheduler=... built as "
            f"when saving, or the learning rate would start its schedule again from the beginning."
        )
    if saved is not None and saved != type(scheduler).__name__:
        raise CheckpointError(f"The checkpoint {path} holds a {saved} scheduler's state, but a {type(scheduler).__name__} was passed.")


def _numpy_generator(saved: Mapping[str, Any]) -> np.random.Generator:
    bit_generator = getattr(np.random, saved["bit_generator"])()
    bit_generator.state = saved
    return np.random.Generator(bit_generator)


def load_checkpoint(
    path: str | os.PathLike,
    *,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any = None,
) -> tuple[int, np.random.Generator, History | None]:
    """Restore a run saved by :func:`save_checkpoint` into freshly built objects.

    Build ``model``, ``optimizer`` and ``scheduler`` exactly as the saved run built them (the
    same classes, sizes and hyperparameters), then call this. Their states are replaced by the
    saved ones, on the model's device; torch's global random state (CPU, and CUDA when present)
    is set back to the saved one. Everything is checked before anything changes, so a file that
    does not fit leaves the objects as they were.

    Returns:
        ``(epoch, rng, history)``: the epochs already done, a NumPy generator in exactly the saved
        state (pass it to ``fit`` as ``rng``), and the History so far (None if none was saved).

    Raises:
        FileNotFoundError: there is no file at ``path``.
        CheckpointError: the file is unreadable or not a checkpoint; or it does not fit the model
            (the message names the key), the optimizer or the scheduler.
    """
    path = Path(path)
    state = _read(path)
    state_dict_fits(path, model.state_dict(), state["model"], model, state["model_class"], CheckpointError)
    _check_optimizer(path, state, optimizer)
    _check_scheduler(path, state, scheduler)
    rng = _numpy_generator(state["numpy_rng"])

    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])  # moves the state to each parameter's device
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["torch_rng"])
    if state["cuda_rng"] and torch.cuda.is_available() and len(state["cuda_rng"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda_rng"])
    history = None if state["history"] is None else History.from_dict(state["history"])
    return state["epoch"], rng, history


class Checkpointer:
    """A ``fit`` callback that saves a checkpoint at the end of every epoch.

    ``fit`` starts its own History and counts epochs from 1, so the Checkpointer keeps the
    whole run's: it starts from ``history`` and ``start_epoch`` (both from :func:`load_checkpoint`
    when resuming) and appends each epoch's logs. ``checkpointer.history`` is then the History of
    the whole run, interrupted or not.

    Args:
        path: the checkpoint file, overwritten each epoch.
        optimizer, scheduler, rng: the objects passed to ``fit`` (the model comes with each call).
        history: the History before this ``fit`` call, or None.
        start_epoch: epochs done before this ``fit`` call.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        optimizer: torch.optim.Optimizer,
        scheduler: Any = None,
        rng: np.random.Generator,
        history: History | None = None,
        start_epoch: int = 0,
    ) -> None:
        self.path = Path(path)
        check_writable(self.path, "Checkpointer", "checkpoint.pt")
        self.optimizer, self.scheduler, self.rng = optimizer, scheduler, rng
        self.history = History.from_dict(history.to_dict()) if history is not None else History()
        self.start_epoch = int(start_epoch)
        self.epoch = self.start_epoch

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: nn.Module) -> bool:
        self.history.log_epoch(**logs)
        self.epoch = self.start_epoch + epoch
        save_checkpoint(self.path, model=model, optimizer=self.optimizer, scheduler=self.scheduler,
                        epoch=self.epoch, rng=self.rng, history=self.history)
        return False
