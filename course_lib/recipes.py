"""A training run's settings as one frozen :class:`Recipe`, and the factories that turn its names into objects.

One recipe type serves every lesson that trains on MNIST and the ``course-lib train`` command:
lesson 07's NumPy MLP (:data:`Recipe`'s defaults are its recipe), lesson 08's CNN, lesson 09's
small trials. A recipe is frozen, so what a lesson prints is what it trains; ``replace`` makes a
changed copy, and every field is checked when the recipe is made, with all problems in one message.

The factories are the one place where a name becomes an object, for either twin:

* :func:`make_optimizer`: torch's class names (``"SGD"``, ``"Adagrad"``, ``"RMSprop"``, ``"Adam"``,
  ``"AdamW"``) and two presets, ``"momentum"`` (SGD with momentum μ) and ``"nesterov"`` (SGD with
  Nesterov momentum μ); the library follows the parameters (NumPy ``Parameter`` -> ``numpy_nn``,
  torch tensors -> ``torch_nn``), or ask for ``library="torch.optim"`` to compare with torch's own.
* :func:`make_schedule`: ``"constant"``, ``"cosine"`` and ``"step"`` (stepped once per epoch by
  ``fit``) and ``"warmup_cosine"`` (stepped after every optimizer step, torch twin only).
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "EPOCH_SCHEDULES", "MAX_PARAMETERS", "MODELS", "OPTIMIZERS", "Recipe", "SCHEDULES", "is_real", "is_whole", "load_splits", "make_optimizer",
    "make_schedule", "recipe_optimizer",
]

R = TypeVar("R", bound="Recipe")

#: The optimizers by name: torch's class names, and SGD's two momentum presets.
OPTIMIZERS = ("SGD", "momentum", "nesterov", "Adagrad", "RMSprop", "Adam", "AdamW")
#: Learning-rate schedules by name; those in EPOCH_SCHEDULES change the rate once per epoch.
SCHEDULES = ("constant", "cosine", "step", "warmup_cosine")
EPOCH_SCHEDULES = ("constant", "cosine", "step")
MODELS = ("mlp", "cnn")
_ACTIVATIONS = ("relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh")
_INITS = ("default", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal")


def is_whole(value: Any) -> bool:
    """True for a Python or NumPy integer; False for bools, floats and everything else."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def is_real(value: Any) -> bool:
    """True for a finite real number (int, float, NumPy scalar); False for bools, NaN and infinities."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and bool(np.isfinite(value))


def _whole(low: int, high: int | None = None) -> tuple[Callable[[Any], bool], str]:
    text = f"a whole number >= {low}" if high is None else f"a whole number in [{low}, {high})"
    return (lambda v: is_whole(v) and v >= low and (high is None or v < high)), text


def _real(low: float, high: float | None = None, *, above: bool = False) -> tuple[Callable[[Any], bool], str]:
    text = (f"a number {'>' if above else '>='} {low:g}" if high is None
            else f"a number in {'(' if above else '['}{low:g}, {high:g})")
    return (lambda v: is_real(v) and (v > low if above else v >= low) and (high is None or v < high)), text


def _one_of(options: Iterable[Any]) -> tuple[Callable[[Any], bool], str]:
    options = list(options)
    return (lambda v: v in options), f"one of {options}"


#: The largest MLP a recipe may describe: checked before any memory is spent (10^8 float32 = 400 MB).
MAX_PARAMETERS = 100_000_000


def _parameters(sizes: Sequence[int]) -> int:
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))


def _widths(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) >= 1 and all(is_whole(v) and v >= 1 for v in value)


# What each field must be, as in "lr must be <that>".
_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "model": _one_of(MODELS),
    "hidden": (_widths, "one or more positive whole numbers, the hidden layers' widths"),
    "channels": ((lambda v: _widths(v) and len(v) <= 4), "1 to 4 positive whole numbers"),
    "activation": _one_of(_ACTIVATIONS),
    "init": _one_of(_INITS),
    "dropout": _real(0, 1),
    "optimizer": _one_of(OPTIMIZERS),
    "lr": ((lambda v: is_real(v) and 0 < v <= 1e6), "a number in (0, 1e6]"),
    "momentum": _real(0, 1),
    "betas": ((lambda v: isinstance(v, tuple) and len(v) == 2 and all(is_real(b) and 0 <= b < 1 for b in v)),
              "a pair (β₁, β₂), each in [0, 1)"),
    "weight_decay": _real(0),
    "schedule": _one_of(SCHEDULES),
    "warmup": _real(0, 1),
    "epochs": _whole(1),
    "batch_size": _whole(1),
    "label_smoothing": _real(0, 1),
    "dtype": _one_of(("float32", "float64")),
    "amp": ((lambda v: isinstance(v, bool)), "True or False"),
    "seed": _whole(0, 2**32),
    "val_size": _whole(0, 60_000),
    "train_size": ((lambda v: v is None or (is_whole(v) and v >= 1)), "None (all) or a whole number >= 1"),
}


@dataclass(frozen=True)
class Recipe:
    """Every setting of one training run on MNIST; frozen, change one with :meth:`replace`.

    The defaults are lesson 07's recipe, which reaches about 98.5 % test accuracy from scratch.
    Which lesson reads what: the NumPy MLP (07, 09) ignores ``channels`` and ``amp``; the CNN (08)
    ignores ``activation`` and ``init`` (torch's own initialisation); lesson 09's trials draw their
    own small data set and ignore ``val_size``, ``train_size`` and ``dtype``.

    Attributes:
        model: ``"mlp"`` (784 → hidden... → 10) or ``"cnn"`` (``torch_nn.CNN``, torch only).
        hidden: the MLP's hidden widths; for the CNN, the width of its one fully connected hidden
            layer. A single number means one hidden layer.
        channels: the CNN's convolution channels.
        activation, init: the MLP's hidden activation and its Linear layers' initialiser.
        dropout: p, the drop probability after each hidden layer (0: no Dropout).
        optimizer: one of :data:`OPTIMIZERS` (:func:`make_optimizer`).
        lr: the peak learning rate.
        momentum: μ of ``"momentum"`` and ``"nesterov"`` (ignored by the others).
        betas: (β₁, β₂) of Adam and AdamW.
        weight_decay: λ, an L2 penalty in the gradient, or decoupled decay for AdamW.
        schedule: one of :data:`SCHEDULES` (:func:`make_schedule`); ``warmup`` is the fraction of
            all steps spent warming up for ``"warmup_cosine"``.
        epochs, batch_size: passes over the training split, samples per step.
        label_smoothing: ε of the cross-entropy (0: hard targets).
        dtype: the NumPy MLP's float type (``"float32"`` is about twice as fast on a CPU).
        amp: bfloat16 autocast for the forward pass (torch on CUDA only).
        seed: decides the validation split, the initial weights, dropout and the batch order.
        val_size: training images held out for validation (0: none).
        train_size: train on only the first ``train_size`` images of the training split (None: all).
    """

    model: str = "mlp"
    hidden: tuple[int, ...] = (256, 128)
    channels: tuple[int, ...] = (32, 64)
    activation: str = "relu"
    init: str = "kaiming_normal"
    dropout: float = 0.0
    optimizer: str = "nesterov"
    lr: float = 0.1
    momentum: float = 0.9
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 1e-3
    schedule: str = "cosine"
    warmup: float = 0.1
    epochs: int = 10
    batch_size: int = 128
    label_smoothing: float = 0.0
    dtype: str = "float32"
    amp: bool = False
    seed: int = 0
    val_size: int = 5000
    train_size: int | None = None

    def __post_init__(self) -> None:
        for name in ("hidden", "channels", "betas"):
            value = getattr(self, name)
            if is_whole(value) and name != "betas":
                value = (value,)
            elif isinstance(value, (list, np.ndarray)):
                value = tuple(value)
            object.__setattr__(self, name, value)
        problems = [f"{name} must be {text}, got {getattr(self, name)!r}"
                    for name, (ok, text) in _RULES.items() if not ok(getattr(self, name))]
        if self.model == "mlp" and _widths(self.hidden) and _parameters(self.sizes) > MAX_PARAMETERS:
            problems.append(f"hidden {self.hidden!r} makes an MLP of {_parameters(self.sizes):,} parameters, more than "
                            f"the {MAX_PARAMETERS:,} this course trains on a laptop; choose smaller widths")
        if self.model == "cnn" and _widths(self.hidden) and len(self.hidden) != 1:
            problems.append(f"the CNN has one fully connected hidden layer, so hidden must be one width, got {self.hidden!r}")
        if problems:
            raise ValueError("Invalid Recipe: " + "; ".join(problems) + ".")

    @property
    def sizes(self) -> tuple[int, ...]:
        """The MLP's layer sizes, input to output: (784, *hidden, 10)."""
        return (784, *self.hidden, 10)

    def replace(self: R, **changes: Any) -> R:
        """A copy with some settings changed (the recipe itself is frozen); unknown names raise TypeError."""
        names = [f.name for f in dataclasses.fields(self)]
        unknown = set(changes) - set(names)
        if unknown:
            raise TypeError(f"Recipe has no setting(s) {sorted(unknown)}; its settings are {names}.")
        return dataclasses.replace(self, **changes)

    def relevant(self) -> list[str]:
        """The fields this recipe's run reads: no ``channels`` for an MLP, no ``betas`` for SGD, ..."""
        skip = {"channels", "amp"} if self.model == "mlp" else {"activation", "init", "dtype"}
        if self.optimizer not in ("momentum", "nesterov"):
            skip.add("momentum")
        if self.optimizer not in ("Adam", "AdamW"):
            skip.add("betas")
        if self.schedule != "warmup_cosine":
            skip.add("warmup")
        if self.train_size is None:
            skip.add("train_size")
        return [f.name for f in dataclasses.fields(self) if f.name not in skip]

    def describe(self, fields: Sequence[str] | None = None) -> str:
        """The settings as aligned ``name : value`` lines, for printing: ``fields``, or the relevant ones."""
        names = list(fields) if fields is not None else self.relevant()
        width = max(len(name) for name in names)
        return "\n".join(f"{name:{width}} : {getattr(self, name)!r}" for name in names)


def load_splits(recipe: Recipe) -> Any:
    """The recipe's MNIST data: :func:`course_lib.data.mnist_splits` with its val_size, seed, dtype, train_size."""
    from course_lib.data import mnist_splits

    return mnist_splits(val_size=recipe.val_size, seed=recipe.seed, dtype=recipe.dtype, train_size=recipe.train_size)


def make_optimizer(name: str, params: Iterable[Any], *, lr: float, momentum: float = 0.9,
                   betas: tuple[float, float] = (0.9, 0.999), alpha: float = 0.99, weight_decay: float | None = None,
                   library: str | None = None) -> Any:
    """The optimizer called ``name`` over ``params``, from the twin the parameters belong to.

    ==========  ===============================================
    name        what it builds
    ==========  ===============================================
    SGD         ``SGD(params, lr)``: plain gradient descent
    momentum    ``SGD(params, lr, momentum=μ)``
    nesterov    ``SGD(params, lr, momentum=μ, nesterov=True)``
    Adagrad     ``Adagrad(params, lr)``
    RMSprop     ``RMSprop(params, lr, alpha=α)``
    Adam        ``Adam(params, lr, betas=betas)``
    AdamW       ``AdamW(params, lr, betas=betas)``
    ==========  ===============================================

    Settings an optimizer does not use are ignored (``momentum`` by Adam, ``betas`` by SGD).
    ``weight_decay`` goes to every optimizer when given; None keeps each class's own default
    (torch's: 0, and 1e-2 for AdamW).

    Args:
        name: one of :data:`OPTIMIZERS`.
        params: ``model.parameters()`` of a NumPy model (``numpy_nn``) or of a torch module.
        library: ``"numpy_nn"``, ``"torch_nn"`` (the course's twins) or ``"torch.optim"`` (torch's
            own); None follows the parameters.
    """
    params = list(params)
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {list(OPTIMIZERS)}.")
    if library is None:
        library = "torch_nn" if params and type(params[0]).__module__.startswith("torch") else "numpy_nn"
    if library == "numpy_nn":
        from course_lib.numpy_nn import optimizers as lib
    elif library == "torch_nn":
        from course_lib.torch_nn import optimizers as lib
    elif library == "torch.optim":
        import torch.optim as lib
    else:
        raise ValueError(f"library must be 'numpy_nn', 'torch_nn' or 'torch.optim', got {library!r}.")
    decay = {} if weight_decay is None else {"weight_decay": weight_decay}
    if name == "SGD":
        return lib.SGD(params, lr=lr, **decay)
    if name in ("momentum", "nesterov"):
        return lib.SGD(params, lr=lr, momentum=momentum, nesterov=name == "nesterov", **decay)
    if name == "Adagrad":
        return lib.Adagrad(params, lr=lr, **decay)
    if name == "RMSprop":
        return lib.RMSprop(params, lr=lr, alpha=alpha, **decay)
    return getattr(lib, name)(params, lr=lr, betas=betas, **decay)


def recipe_optimizer(recipe: Recipe, params: Iterable[Any]) -> Any:
    """The recipe's optimizer over ``params`` (:func:`make_optimizer` with the recipe's settings)."""
    return make_optimizer(recipe.optimizer, params, lr=recipe.lr, momentum=recipe.momentum, betas=recipe.betas,
                          weight_decay=recipe.weight_decay)


def make_schedule(recipe: Recipe, optimizer: Any, steps_per_epoch: int) -> Any:
    """The recipe's learning-rate schedule over ``optimizer``, or None for a constant rate.

    ``"cosine"`` falls to 0 over the epochs and ``"step"`` multiplies by 0.1 every third of them;
    both are stepped once per epoch by ``fit`` (pass the result as ``scheduler=``).
    ``"warmup_cosine"`` rises linearly from lr/10 to lr over the ``warmup`` fraction of all steps,
    then follows half a cosine down to 0 at the last step. It changes after every optimizer step,
    which an optimizer step hook here takes care of: do not also pass it to ``fit``. It works within
    a single epoch, and needs the torch twin (a NumPy optimizer has no step hooks).
    """
    torch_side = hasattr(optimizer, "param_groups")
    if torch_side:
        from course_lib.torch_nn import schedules
    else:
        from course_lib.numpy_nn import schedules
    if recipe.schedule == "constant":
        return None
    if recipe.schedule == "cosine":
        return schedules.CosineAnnealingLR(optimizer, T_max=recipe.epochs)
    if recipe.schedule == "step":
        return schedules.StepLR(optimizer, step_size=max(1, recipe.epochs // 3), gamma=0.1)
    if not torch_side:
        raise ValueError("schedule='warmup_cosine' changes the rate after every optimizer step, which needs a torch "
                         "optimizer's step hook; for the NumPy twin use 'cosine' (once per epoch).")
    total = recipe.epochs * steps_per_epoch
    warmup = min(max(1, round(recipe.warmup * total)), total - 1) if total > 1 else 0
    if warmup == 0:  # a single step: nothing to schedule
        return None
    scheduler = schedules.WarmupCosineLR(optimizer, warmup_steps=warmup, total_steps=total, start_factor=0.1)
    optimizer.register_step_post_hook(lambda *_: scheduler.step())
    return scheduler
