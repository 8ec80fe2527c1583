"""One MNIST training run of a lesson's :class:`~course_lib.recipes.Recipe`, summed up in a :class:`RunReport`.

The ``course-lib train`` command and the benchmarks (``benchmarks/bench_mnist.py``) both call
:func:`train_run`, and :func:`train_run` calls the lessons' own training functions, so a run from
the command line, a benchmark row and a lesson's run are the same thing: the NumPy MLP is lesson
07's ``train_mlp``, the torch models are lesson 08's ``train_torch``. With no options the command
trains lesson 07's recipe (``--model cnn``: lesson 08's CPU recipe)::

    report = train_run(DEFAULT_RECIPE, impl="numpy")
    report.test_accuracy, report.seconds, report.train_losses

The same recipe gives the same per-epoch losses on the CPU, run after run: every random draw
(validation split, initial weights, batch order, dropout) comes from the recipe's seed.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

from course_lib.recipes import Recipe

__all__ = ["IMPLS", "RunReport", "default_recipe", "train_run"]

IMPLS = ("numpy", "torch")


def default_recipe(model: str = "mlp") -> Recipe:
    """The recipe ``course-lib train`` starts from: lesson 07's for the MLP, lesson 08's CPU recipe for the CNN."""
    if model == "cnn":
        from course_lib.lessons.l08_mnist_with_pytorch.mnist_cnn import CNN_CPU_RECIPE

        return CNN_CPU_RECIPE
    if model == "mlp":
        from course_lib.lessons.l07_mnist_from_scratch.mnist_mlp import DEFAULT_RECIPE

        return DEFAULT_RECIPE
    raise ValueError(f"model must be 'mlp' or 'cnn', got {model!r}.")


@dataclass
class RunReport:
    """What a run produced.

    Attributes:
        test_accuracy: fraction of the 10 000 test images classified correctly after training.
        test_loss: mean cross-entropy on the test set.
        seconds: wall time of the training epochs (validation passes included, data loading and the
            final test not).
        samples_per_second: training samples processed per second, samples × epochs / seconds.
        device: where the model trained, e.g. ``"cpu"`` or ``"cuda"``.
        train_losses: the mean training loss of each epoch.
        epochs_run: epochs actually trained (fewer than ``recipe.epochs`` when the target was hit).
        train_samples: training images per epoch.
        impl: ``"numpy"`` or ``"torch"``.
        recipe: the run's recipe.
    """

    test_accuracy: float
    test_loss: float
    seconds: float
    samples_per_second: float
    device: str
    train_losses: list[float]
    epochs_run: int
    train_samples: int
    impl: str
    recipe: Recipe = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values only (floats, ints, strings, lists), ready for ``json.dumps``."""
        out = dataclasses.asdict(self)
        out["recipe"] = {k: list(v) if isinstance(v, tuple) else v for k, v in out["recipe"].items()}
        return out


class _StopAtAccuracy:
    """A fit callback: stop once the epoch's validation accuracy reaches a target."""

    def __init__(self, target: float) -> None:
        self.target = target

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Any) -> bool:
        return logs["val_acc"] >= self.target


def train_run(recipe: Recipe, *, impl: str = "numpy", device: str | None = None,
              target_accuracy: float | None = None, progress: bool = True) -> RunReport:
    """Train and test one model on MNIST as ``recipe`` says, with the NumPy reference or the torch twin.

    Args:
        recipe: the run; :func:`default_recipe` gives the lessons'.
        impl: ``"numpy"`` (the from-scratch reference, an MLP on the CPU) or ``"torch"`` (MLP or CNN).
        device: ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"`` for torch; None lets
            :func:`course_lib.device.get_device` choose. NumPy runs on the CPU only.
        target_accuracy: stop once the validation accuracy reaches this fraction (e.g. 0.99);
            ``recipe.epochs`` is then the most epochs to train. A speed benchmark's rule ("time to
            99 %", as in DAWNBench), measured on the validation split, never on the test set.
        progress: show fit's progress bar (tqdm, on stderr in a terminal).

    Raises:
        ValueError: an impl, device or target that does not fit the recipe.
        RuntimeError: the requested device is not available here (from ``get_device``).
        course_lib.numpy_nn.TrainingDivergedError: the loss became NaN or inf; lower the lr.
    """
    if not isinstance(recipe, Recipe):
        raise TypeError(f"train_run expects a Recipe, e.g. default_recipe('mlp'); got {type(recipe).__name__}.")
    if impl not in IMPLS:
        raise ValueError(f"impl must be one of {list(IMPLS)}, got {impl!r}.")
    if impl == "numpy" and recipe.model == "cnn":
        raise ValueError("the NumPy implementation has no CNN (the course builds only an MLP from scratch); "
                         "use impl='torch' for the CNN, or model='mlp'.")
    if impl == "numpy" and device not in (None, "cpu"):
        raise ValueError(f"the NumPy implementation runs on the CPU only, got device={device!r}; use impl='torch'.")
    if target_accuracy is not None and not (0.0 < target_accuracy <= 1.0 and recipe.val_size > 0):
        raise ValueError(f"target_accuracy must be a fraction in (0, 1] and the recipe must hold out a validation "
                         f"split (val_size > 0); got {target_accuracy!r} with val_size={recipe.val_size}.")
    from course_lib.recipes import load_splits

    callbacks = [_StopAtAccuracy(target_accuracy)] if target_accuracy is not None else []
    if impl == "numpy":
        from course_lib.lessons.l07_mnist_from_scratch.mnist_mlp import train_mlp
        from course_lib.numpy_nn import CrossEntropyLoss, evaluate

        splits = load_splits(recipe)
        start = time.perf_counter()
        model, history = train_mlp(recipe, splits=splits, progress=progress, callbacks=callbacks)
        seconds = time.perf_counter() - start
        test = evaluate(model, CrossEntropyLoss(label_smoothing=recipe.label_smoothing), splits.test)
        where = "cpu"
    else:
        from course_lib.device import get_device
        from course_lib.lessons.l08_mnist_with_pytorch.mnist_cnn import train_torch

        torch_device = get_device(device)  # before loading anything: a missing GPU is said at once
        if recipe.amp and torch_device.type != "cuda":
            raise ValueError(f"amp (bfloat16 autocast) is meant for CUDA; this run trains on {torch_device}. "
                             f"Use recipe.replace(amp=False).")
        splits = load_splits(recipe)
        run = train_torch(recipe, device=torch_device, splits=splits, progress=progress, callbacks=callbacks)
        history, seconds, where = run.history, run.seconds, str(torch_device)
        test = {"acc": run.test_acc, "loss": run.test_loss}
    n, epochs_run = len(splits.train[0]), len(history)
    return RunReport(
        test_accuracy=float(test["acc"]), test_loss=float(test["loss"]), seconds=seconds,
        samples_per_second=n * epochs_run / seconds, device=where,
        train_losses=[float(v) for v in history["train_loss"]], epochs_run=epochs_run, train_samples=n,
        impl=impl, recipe=recipe,
    )
