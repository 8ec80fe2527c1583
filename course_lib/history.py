"""History: the metrics a training run records, per step and per epoch, and their plot.

Both training loops (NumPy and PyTorch) fill one of these. Each call to :meth:`History.log_epoch`
adds a row such as ``{"train_loss": 0.31, "val_loss": 0.35, "val_acc": 0.91}``; a metric's series
over the epochs is then ``history["val_loss"]`` or ``history.val_loss``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["History"]


def _as_float(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (Real, np.number)) or np.ndim(value) != 0:
        raise TypeError(
            f"History records numbers; metric {name!r} got {type(value).__name__} {value!r}. Pass "
            f"a Python float, e.g. float(loss) or loss.item() for a tensor."
        )
    return float(value)


class History:
    """Per-step and per-epoch metrics of one training run.

    Example:
        >>> h = History()
        >>> h.log_epoch(train_loss=0.9, val_loss=1.0)
        >>> h.log_epoch(train_loss=0.5, val_loss=0.7)
        >>> h.val_loss.tolist(), h.best("val_loss")
        ([1.0, 0.7], (2, 0.7))
    """

    def __init__(self) -> None:
        self.steps: list[dict[str, float]] = []
        self.epochs: list[dict[str, float]] = []

    # -- recording -----------------------------------------------------------------------------

    def log_step(self, **metrics: float) -> None:
        """Record one optimisation step, e.g. ``log_step(loss=0.42, lr=0.1)``."""
        self.steps.append({k: _as_float(k, v) for k, v in metrics.items()})

    def log_epoch(self, **metrics: float) -> None:
        """Record the end of an epoch, e.g. ``log_epoch(train_loss=0.3, val_acc=0.91)``."""
        if not metrics:
            raise ValueError("log_epoch needs at least one metric, e.g. log_epoch(train_loss=0.3).")
        self.epochs.append({k: _as_float(k, v) for k, v in metrics.items()})

    # -- reading -------------------------------------------------------------------------------

    @property
    def metrics(self) -> list[str]:
        """Names of the per-epoch metrics, in the order they first appeared."""
        return list(dict.fromkeys(k for row in self.epochs for k in row))

    @property
    def epoch(self) -> NDArray[np.int64]:
        """Epoch numbers 1, 2, ..., for the x-axis of a plot."""
        return np.arange(1, len(self.epochs) + 1)

    def __len__(self) -> int:
        return len(self.epochs)

    def __getitem__(self, name: str) -> NDArray[np.float64]:
        """A per-epoch metric as an array; NaN for epochs that did not record it."""
        if name not in self.metrics:
            raise KeyError(
                f"No per-epoch metric {name!r} in this History; it has {self.metrics or 'none yet'}."
            )
        return np.array([row.get(name, math.nan) for row in self.epochs])

    def __getattr__(self, name: str) -> NDArray[np.float64]:
        # Only reached when normal lookup fails: lets h.val_loss mean h["val_loss"].
        if name.startswith("_") or name in ("steps", "epochs"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError as err:
            raise AttributeError(err.args[0]) from None

    def step_series(self, name: str) -> NDArray[np.float64]:
        """A per-step metric as an array; NaN for steps that did not record it."""
        if not any(name in row for row in self.steps):
            raise KeyError(f"No per-step metric {name!r} in this History.")
        return np.array([row.get(name, math.nan) for row in self.steps])

    def best(self, name: str, mode: str = "auto") -> tuple[int, float]:
        """``(epoch, value)`` of the best epoch for ``name``, ignoring NaN.

        ``mode`` is ``"min"``, ``"max"``, or ``"auto"``: max for names containing "acc", else min.
        """
        if mode == "auto":
            mode = "max" if "acc" in name else "min"
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min', 'max' or 'auto', got {mode!r}.")
        values = self[name]
        if np.all(np.isnan(values)):
            raise ValueError(f"Metric {name!r} has no finite value to pick the best from.")
        i = int(np.nanargmin(values) if mode == "min" else np.nanargmax(values))
        return i + 1, float(values[i])

    # -- conversion and display ----------------------------------------------------------------

    def to_dict(self) -> dict[str, list[dict[str, float]]]:
        """Plain lists and dicts, ready for ``json.dump``."""
        return {"steps": [dict(r) for r in self.steps], "epochs": [dict(r) for r in self.epochs]}

    @classmethod
    def from_dict(cls, data: dict[str, list[dict[str, float]]]) -> "History":
        history = cls()
        for row in data.get("steps", []):
            history.log_step(**row)
        for row in data.get("epochs", []):
            history.log_epoch(**row)
        return history

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v:.4g}" for k, v in self.epochs[-1].items()) if self.epochs else ""
        return f"History({len(self.epochs)} epochs, {len(self.steps)} steps{'; last: ' + last if last else ''})"

    def plot(self, *, kinds: Sequence[str] | None = None, figsize: tuple[float, float] | None = None) -> "Figure":
        """One panel per kind of metric (loss and accuracy by default), train and validation together."""
        from course_lib.ui.plots import plot_history

        return plot_history(self, kinds=kinds, figsize=figsize)
