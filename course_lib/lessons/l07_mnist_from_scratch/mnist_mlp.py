"""MNIST with the course's NumPy network: the recipe, the training run and the analysis of lesson 07.

One frozen :class:`Recipe` holds every setting that decides a run (the network, the optimizer,
the schedule, the data split, the seed), and :data:`DEFAULT_RECIPE` is the one the lesson and
its test both train with, so the accuracy the lesson promises is the accuracy the test checks::

    model, history = train_mlp(DEFAULT_RECIPE)
    predictions, probabilities = evaluate_model(model, X_test)
    cm = confusion_matrix(y_test, predictions)

Everything here is built from ``course_lib.numpy_nn``: ``mlp`` for the network, its optimizers
and schedules, and ``fit`` for the loop. The analysis helpers (:func:`confusion_matrix`,
:func:`most_confident_mistakes`) are a few lines of NumPy each, and
:func:`predict_one_at_a_time` is the deliberately slow per-sample loop the lesson times against
one vectorised call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from course_lib.data import MnistSplits, load_mnist, train_val_split
from course_lib.history import History
from course_lib.numpy_nn.functional import softmax_forward
from course_lib.numpy_nn.models import ACTIVATIONS, MLP
from course_lib.numpy_nn.module import Sequential
from course_lib.numpy_nn.losses import CrossEntropyLoss
from course_lib.numpy_nn.optimizers import SGD, Adam, AdamW
from course_lib.numpy_nn.schedules import CosineAnnealingLR, StepLR
from course_lib.numpy_nn.training import fit
from course_lib.recipes import SEED, FrozenRecipe, is_whole, one_of, real, whole

__all__ = [
    "DEFAULT_RECIPE",
    "OPTIMIZERS",
    "SCHEDULES",
    "Recipe",
    "build_model",
    "build_optimizer",
    "build_scheduler",
    "count_parameters",
    "evaluate_model",
    "load_splits",
    "predict_one_at_a_time",
    "train_mlp",
]

OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "cosine", "step")
_INITS = ("default", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal")


# What each setting of a Recipe must be (sizes, checked against 784 and 10, is checked in the class).
_RULES = {
    "activation": one_of(sorted(ACTIVATIONS)),
    "init": one_of(_INITS),
    "optimizer": one_of(OPTIMIZERS),
    "schedule": one_of(SCHEDULES),
    "lr": real(0, above=True),
    "momentum": real(0),
    "weight_decay": real(0),
    "label_smoothing": real(0),
    "epochs": whole(1),
    "batch_size": whole(1),
    "seed": SEED,
    "val_size": whole(0, 60000),
    "dtype": ((lambda v: v in ("float32", "float64")), "'float32' or 'float64'"),
}


@dataclass(frozen=True)
class Recipe(FrozenRecipe):
    """Every setting of one MNIST training run; frozen, so a recipe cannot drift after it is shown.

    Change a setting with :meth:`replace`, e.g. ``DEFAULT_RECIPE.replace(seed=1, epochs=5)``.

    Attributes:
        sizes: layer sizes (784, hidden..., 10) for ``numpy_nn.mlp``.
        activation: the hidden layers' activation, a name from ``numpy_nn.layers.ACTIVATIONS``.
        init: the Linear layers' weight init, e.g. ``"kaiming_normal"`` (He et al. 2015) for ReLU.
        optimizer: ``"sgd"`` (with momentum, as ``torch.optim.SGD``), ``"adam"`` or ``"adamw"``.
        lr: the peak learning rate.
        momentum: SGD's μ (ignored by Adam, which has ``betas``).
        nesterov: Nesterov momentum for SGD.
        betas: Adam's (β₁, β₂).
        weight_decay: λ. For SGD and Adam an L2 penalty λ/2·|w|² folded into the gradient; for
            AdamW decoupled decay (Loshchilov & Hutter 2019). Biases are decayed too, as torch does
            when given ``model.parameters()``.
        schedule: ``"constant"``, ``"cosine"`` (to 0 over ``epochs``) or ``"step"`` (×0.1 every
            third of the epochs); stepped once per epoch.
        epochs: passes over the training split.
        batch_size: samples per step.
        label_smoothing: ε of ``CrossEntropyLoss`` (0 for hard targets).
        dtype: ``"float32"`` (about twice as fast on a CPU) or ``"float64"``.
        seed: decides the validation split, the initial weights and the shuffling.
        val_size: training images held out for validation (0 for none).
    """

    sizes: tuple[int, ...] = (784, 256, 128, 10)
    activation: str = "relu"
    init: str = "kaiming_normal"
    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.9
    nesterov: bool = True
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 1e-3
    schedule: str = "cosine"
    epochs: int = 10
    batch_size: int = 128
    label_smoothing: float = 0.0
    dtype: str = "float32"
    seed: int = 0
    val_size: int = 5000

    def __post_init__(self) -> None:
        object.__setattr__(self, "sizes", tuple(self.sizes))
        object.__setattr__(self, "betas", tuple(self.betas))
        problems = []
        if len(self.sizes) < 2 or not all(is_whole(s) and s >= 1 for s in self.sizes):
            problems.append(f"sizes must be at least two positive whole numbers, got {self.sizes!r}")
        elif self.sizes[0] != 784 or self.sizes[-1] != 10:
            problems.append(f"sizes must start with 784 (pixels) and end with 10 (digits), got {self.sizes!r}")
        self.check_fields(_RULES, problems)



#: The lesson's recipe. Reaches at least 98.2 % test accuracy from scratch (see tests/test_mnist_numpy.py).
DEFAULT_RECIPE = Recipe()


def _streams(seed: int) -> tuple[np.random.Generator, np.random.Generator, np.random.Generator]:
    """Three independent generators (split, initial weights, shuffling) from one seed.

    Independent streams mean that loading the data separately, or not at all, leaves the
    weights and the batch order exactly as they are when ``train_mlp`` does everything itself.
    """
    split, init, shuffle = np.random.default_rng(seed).spawn(3)
    return split, init, shuffle


def load_splits(recipe: Recipe = DEFAULT_RECIPE) -> MnistSplits:
    """Standardised MNIST, split as the recipe says: ``(train, val, test)``.

    The pixels are standardised with the *training* set's mean and standard deviation,
    x ← (x/255 − 0.1307) / 0.3081, for every split alike (``load_mnist(normalize="standard")``).
    ``recipe.val_size`` training images, drawn with the recipe's seed, become the validation set.
    """
    X, y = load_mnist("train", normalize="standard", dtype=recipe.dtype)
    test = load_mnist("test", normalize="standard", dtype=recipe.dtype)
    if recipe.val_size == 0:
        return MnistSplits((X, y), None, test)
    train, val = train_val_split(X, y, val_size=recipe.val_size, rng=_streams(recipe.seed)[0])
    return MnistSplits(train, val, test)


def build_model(recipe: Recipe = DEFAULT_RECIPE) -> Sequential:
    """The recipe's untrained MLP in the recipe's dtype, its weights drawn with the recipe's seed."""
    model = MLP(recipe.sizes, activation=recipe.activation, init=recipe.init, rng=_streams(recipe.seed)[1])
    return model.astype(recipe.dtype)


def build_optimizer(recipe: Recipe, model: Any) -> SGD | Adam | AdamW:
    """The recipe's optimizer over ``model.parameters()``, at the peak learning rate."""
    params = model.parameters()
    if recipe.optimizer == "sgd":
        return SGD(params, lr=recipe.lr, momentum=recipe.momentum, nesterov=recipe.nesterov,
                   weight_decay=recipe.weight_decay)
    if recipe.optimizer == "adam":
        return Adam(params, lr=recipe.lr, betas=recipe.betas, weight_decay=recipe.weight_decay)
    return AdamW(params, lr=recipe.lr, betas=recipe.betas, weight_decay=recipe.weight_decay)


def build_scheduler(recipe: Recipe, optimizer: Any) -> CosineAnnealingLR | StepLR | None:
    """The recipe's learning-rate schedule (counted in epochs), or None for a constant rate."""
    if recipe.schedule == "cosine":
        return CosineAnnealingLR(optimizer, T_max=recipe.epochs)
    if recipe.schedule == "step":
        return StepLR(optimizer, step_size=max(1, recipe.epochs // 3), gamma=0.1)
    return None


def train_mlp(
    recipe: Recipe = DEFAULT_RECIPE,
    *,
    splits: MnistSplits | None = None,
    progress: bool = True,
    callbacks: Sequence[object] = (),
) -> tuple[Sequential, History]:
    """Train the recipe's MLP on MNIST with ``numpy_nn.fit``; return the model and its History.

    Args:
        recipe: every setting of the run.
        splits: the data from :func:`load_splits` (loaded here when None). Pass it to reuse data
            already in memory; the run is the same either way.
        progress: show fit's progress bar.
        callbacks: passed to ``fit``, e.g. a live plot of the curves.

    Returns:
        ``(model, history)``; the model is in evaluation mode. ``history["seconds"]`` holds each
        epoch's time (training plus the validation pass), so ``history["seconds"].sum()`` is the
        training time.
    """
    if not isinstance(recipe, Recipe):
        raise TypeError(f"train_mlp expects a Recipe, e.g. DEFAULT_RECIPE.replace(epochs=5); got {type(recipe).__name__}.")
    if splits is None:
        splits = load_splits(recipe)
    model = build_model(recipe)
    optimizer = build_optimizer(recipe, model)
    scheduler = build_scheduler(recipe, optimizer)
    history = fit(
        model, CrossEntropyLoss(label_smoothing=recipe.label_smoothing), optimizer, splits.train,
        val=splits.val, epochs=recipe.epochs, batch_size=recipe.batch_size, rng=_streams(recipe.seed)[2],
        callbacks=callbacks, scheduler=scheduler, progress=progress,
    )
    return model.eval(), history


def count_parameters(model: Any) -> int:
    """How many numbers training adjusts: the sizes of all parameters added up."""
    return int(sum(p.data.size for p in model.parameters()))


# --------------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------------


def evaluate_model(model: Any, X: ArrayLike, *, batch_size: int = 2000) -> tuple[NDArray[np.int64], NDArray]:
    """Predicted digits and class probabilities for every row of ``X``, in evaluation mode.

    The probabilities are softmax(logits), p_k = e^{z_k} / Σ_j e^{z_j}; the prediction is the
    class with the largest. The model's train/eval mode is restored afterwards.

    Shape:
        X: (N, 784) -> predictions: (N,), probabilities: (N, 10).
    """
    X = np.asarray(X)
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"evaluate_model expects a non-empty batch of rows, shape (N, 784); got {X.shape}.")
    was_training = model.training
    model.eval()
    try:
        probs = np.concatenate([softmax_forward(model(X[i : i + batch_size]))[0] for i in range(0, len(X), batch_size)])
    finally:
        model.train(was_training)
    return probs.argmax(axis=1), probs


def predict_one_at_a_time(model: Any, X: ArrayLike) -> NDArray[np.int64]:
    """The slow way, on purpose: send each image through the network on its own, in a Python loop.

    Each step is a (1, 784) row times the weight matrices, so NumPy's fast matrix products get
    one row of work per call and Python's loop overhead is paid N times. ``model(X).argmax(1)``
    computes the same predictions with one call per layer for the whole batch.

    Shape:
        X: (N, 784) -> (N,).
    """
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"predict_one_at_a_time expects rows of pixels, shape (N, 784); got {X.shape}.")
    was_training = model.training
    model.eval()
    predictions = np.empty(len(X), dtype=np.int64)
    try:
        for i in range(len(X)):
            logits = model(X[i : i + 1])          # one image, still shaped (1, 784)
            predictions[i] = int(np.argmax(logits))
    finally:
        model.train(was_training)
    return predictions
