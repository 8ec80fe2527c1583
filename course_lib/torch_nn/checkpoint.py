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
file (every entry, the model, optimizer and scheduler states, the random states, the history)
before it changes anything.
"""

from __future__ import annotations

import os
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


def _plain(state: Any) -> Any:
    """A bit generator's state with its arrays as lists (MT19937's key...): weights_only loading refuses arrays."""
    if isinstance(state, dict):
        return {key: _plain(value) for key, value in state.items()}
    return state.tolist() if isinstance(state, np.ndarray) else state


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
        "numpy_rng": _plain(rng.bit_generator.state),
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
            f"model.load_state_dict(torch.load(path, weights_only=True))."
        )
    return state


# What save_checkpoint writes under each key; load_checkpoint refuses a file that differs.
_KEYS: dict[str, tuple[type, ...]] = {
    "format": (str,), "epoch": (int,), "model": (dict,), "model_class": (str, type(None)),
    "optimizer": (dict,), "optimizer_class": (str,), "scheduler": (dict, type(None)),
    "scheduler_class": (str, type(None)), "numpy_rng": (dict,), "torch_rng": (torch.Tensor,),
    "cuda_rng": (list,), "history": (dict, type(None)),
}
# The numpy.random bit generators a Generator may be built on; a file names one, never another function.
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


def _damaged(path: Path, what: str) -> CheckpointError:
    return CheckpointError(f"The checkpoint {path} is damaged or was not written by save_checkpoint: {what}. "
                           f"Nothing was loaded; save the run again (or load an earlier checkpoint).")


def _a(value: Any) -> str:
    """'an int', 'a str', 'None': what a value is, for a message."""
    name = type(value).__name__
    return "None" if value is None else f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def _check_entries(path: Path, state: dict[str, Any]) -> None:
    missing = [key for key in _KEYS if key not in state]
    if missing:
        raise _damaged(path, f"it lacks {missing}")
    for key, kinds in _KEYS.items():
        if not isinstance(state[key], kinds) or isinstance(state[key], bool):
            expected = " or ".join("None" if k is type(None) else k.__name__ for k in kinds)
            raise _damaged(path, f"{key!r} holds {_a(state[key])}, where save_checkpoint writes {expected}")
    if state["epoch"] < 0:
        raise _damaged(path, f"'epoch' is {state['epoch']}, not a count of finished epochs (>= 0)")


def _kind(value: Any) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return type(value).__name__
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, (list, tuple)):
        return "sequence"
    return type(value).__name__


def _layout_difference(own: Any, saved: Any, where: str) -> str | None:
    """Where ``saved`` is not laid out like ``own``: other keys, lengths, tensor shapes or kinds of value."""
    if _kind(own) != _kind(saved):
        return f"{where} holds {_a(saved)}, expected {_a(own)}"
    if isinstance(own, dict):
        if set(own) != set(saved):
            return f"{where} has the keys {sorted(map(str, saved))}, expected {sorted(map(str, own))}"
        return next((d for key in own if (d := _layout_difference(own[key], saved[key], f"{where}[{key!r}]"))), None)
    if isinstance(own, (list, tuple)):
        if len(own) != len(saved):
            return f"{where} has length {len(saved)}, expected {len(own)}"
        return next((d for i, (o, v) in enumerate(zip(own, saved)) if (d := _layout_difference(o, v, f"{where}[{i}]"))), None)
    if isinstance(own, torch.Tensor) and own.shape != saved.shape:
        return f"{where} has shape {tuple(saved.shape)}, expected {tuple(own.shape)}"
    return None


def _check_model(path: Path, state: dict[str, Any], model: nn.Module) -> None:
    own = model.state_dict()
    state_dict_fits(path, own, state["model"], model, state["model_class"], CheckpointError)
    for key, value in state["model"].items():
        if not isinstance(value, torch.Tensor) or value.is_floating_point() != own[key].is_floating_point():
            kind = value.dtype if isinstance(value, torch.Tensor) else type(value).__name__
            raise _damaged(path, f"the model's {key!r} holds {kind}, where the model has {own[key].dtype}")


def _check_optimizer(path: Path, state: dict[str, Any], optimizer: torch.optim.Optimizer) -> None:
    if state["optimizer_class"] != type(optimizer).__name__:
        raise CheckpointError(
            f"The checkpoint {path} holds the state of a {state['optimizer_class']} optimizer, but a "
            f"{type(optimizer).__name__} was passed. Build the optimizer the run was saved with."
        )
    saved = state["optimizer"]
    if set(saved) != {"state", "param_groups"} or not isinstance(saved["state"], dict) or not isinstance(
            saved["param_groups"], list) or not all(isinstance(g, dict) and isinstance(g.get("params"), list) for g in saved["param_groups"]):
        raise _damaged(path, "'optimizer' is not an optimizer's state_dict() (a dict of 'state' and 'param_groups', each group with its 'params')")
    saved_groups = [len(g["params"]) for g in saved["param_groups"]]
    own_groups = [len(g["params"]) for g in optimizer.param_groups]
    if saved_groups != own_groups:
        raise CheckpointError(
            f"The checkpoint {path} has optimizer parameter groups of sizes {saved_groups}, but this "
            f"optimizer has {own_groups}. Build it over the same model.parameters() as when saving."
        )


def _check_optimizer_state(path: Path, saved: dict[str, Any], optimizer: torch.optim.Optimizer) -> None:
    """The saved hyperparameters are laid out as this optimizer's, and each parameter's state has its shape."""
    for index, (own_group, saved_group) in enumerate(zip(optimizer.param_groups, saved["param_groups"])):
        settings = {key: value for key, value in own_group.items() if key not in ("params", "param_names")}
        if d := _layout_difference(settings, {k: v for k, v in saved_group.items() if k not in ("params", "param_names")},
                                   f"optimizer param_groups[{index}]"):
            raise _damaged(path, d)
    # torch pairs the saved ids with this optimizer's parameters in order; each id names one parameter.
    ids = [i for g in saved["param_groups"] for i in g["params"]]
    params = dict(zip(ids, (p for g in optimizer.param_groups for p in g["params"])))
    if len(params) != len(ids):
        raise _damaged(path, f"the optimizer's parameter ids {ids} repeat")
    for i, per_parameter in saved["state"].items():
        if i not in params:
            raise _damaged(path, f"the optimizer holds state for parameter {i!r}, which its groups do not list")
        if not isinstance(per_parameter, dict):
            raise _damaged(path, f"the optimizer's state of parameter {i} is {_a(per_parameter)}, not a dict")
        param = params[i]
        for name, value in per_parameter.items():
            if not isinstance(value, (torch.Tensor, int, float, bool, type(None))):
                raise _damaged(path, f"the optimizer's {name!r} of parameter {i} is {_a(value)}, not a tensor or a number")
            # A buffer (not a 0-d step count) is updated in place with the parameter's gradient: same shape, same kind.
            if isinstance(value, torch.Tensor) and value.ndim > 0 and (
                    value.shape != param.shape or value.is_floating_point() != param.is_floating_point()):
                raise _damaged(path, f"the optimizer's {name!r} of parameter {i} is a {value.dtype} tensor of shape "
                                     f"{tuple(value.shape)}, but the parameter is {param.dtype} of shape {tuple(param.shape)}")


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
    if scheduler is not None and (d := _layout_difference(scheduler.state_dict(), state["scheduler"], "'scheduler'")):
        raise _damaged(path, d)


def _numpy_generator(path: Path, saved: dict[str, Any]) -> np.random.Generator:
    """A new Generator in the saved state; only a bit generator's name may pick the class."""
    name = saved.get("bit_generator")
    if name not in BIT_GENERATORS:
        raise _damaged(path, f"'numpy_rng' names the bit generator {name!r}; expected one of {list(BIT_GENERATORS)}")
    bit_generator = getattr(np.random, name)()
    try:
        bit_generator.state = saved
    except (TypeError, ValueError, KeyError, OverflowError) as err:
        raise _damaged(path, f"'numpy_rng' is not a valid {name} state ({type(err).__name__}: {err})") from err
    return np.random.Generator(bit_generator)


def _check_torch_rng(path: Path, state: dict[str, Any]) -> None:
    """Each saved random state goes into a scratch generator first: torch's global ones stay as they are."""
    if not all(isinstance(t, torch.Tensor) and t.dtype == torch.uint8 for t in state["cuda_rng"]):
        raise _damaged(path, "'cuda_rng' is not a list of random states (uint8 tensors)")
    devices = ["cpu"]
    if state["cuda_rng"] and torch.cuda.is_available() and len(state["cuda_rng"]) == torch.cuda.device_count():
        devices += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    for device, saved in zip(devices, [state["torch_rng"], *state["cuda_rng"]]):
        try:
            torch.Generator(device=device).set_state(saved)
        except (RuntimeError, TypeError) as err:
            raise _damaged(path, f"the random state for {device} is not one torch can restore ({type(err).__name__}: "
                                 f"{str(err).strip().splitlines()[0] if str(err).strip() else ''})") from err


def _history(path: Path, saved: dict[str, Any] | None) -> History | None:
    if saved is None:
        return None
    try:
        return History.from_dict(saved)
    except (TypeError, ValueError, AttributeError) as err:
        raise _damaged(path, f"its 'history' cannot be read back ({type(err).__name__}: {err})") from err


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
    # Check everything first: nothing below the line "apply" can fail on what the file holds.
    _check_entries(path, state)
    _check_model(path, state, model)
    _check_optimizer(path, state, optimizer)
    _check_scheduler(path, state, scheduler)
    _check_optimizer_state(path, state["optimizer"], optimizer)  # after the scheduler's check: it adds 'initial_lr'
    rng = _numpy_generator(path, state["numpy_rng"])
    _check_torch_rng(path, state)
    history = _history(path, state["history"])

    # Apply.
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])  # moves the state to each parameter's device
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["torch_rng"])
    if state["cuda_rng"] and torch.cuda.is_available() and len(state["cuda_rng"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda_rng"])
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
