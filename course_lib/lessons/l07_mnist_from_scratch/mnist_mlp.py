"""MNIST with the course's NumPy network: the recipe, the training run and the analysis of lesson 07.

One frozen :class:`~course_lib.recipes.Recipe` holds every setting that decides a run (the network,
the optimizer, the schedule, the data split, the seed), and :data:`DEFAULT_RECIPE` is the one the
lesson, its test and ``course-lib train`` all train with (the lesson's own run also starts with a
last layer ten times smaller, ``train_mlp(..., last_layer_scale=0.1)``)::

    from course_lib.metrics import confusion_matrix

    model, history = train_mlp(DEFAULT_RECIPE)
    predictions, probabilities = evaluate_model(model, X_test)
    cm = confusion_matrix(y_test, predictions)

Everything here is built from ``course_lib.numpy_nn``: ``MLP`` for the network, its optimizers and
schedules (named by the recipe, built by ``course_lib.recipes``), and ``fit`` for the loop.
:func:`predict_one_at_a_time` is the deliberately slow per-sample loop the lesson times against one
vectorised call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from course_lib.data import MnistSplits
from course_lib.history import History
from course_lib.numpy_nn.functional import softmax_forward
from course_lib.numpy_nn.losses import CrossEntropyLoss
from course_lib.numpy_nn.models import MLP
from course_lib.numpy_nn.module import Sequential
from course_lib.numpy_nn.training import fit
from course_lib.recipes import Recipe, load_splits, make_schedule, recipe_optimizer

__all__ = [
    "DEFAULT_RECIPE",
    "build_model",
    "count_parameters",
    "evaluate_model",
    "predict_one_at_a_time",
    "train_mlp",
]


#: The lesson's recipe, :class:`~course_lib.recipes.Recipe`'s defaults: 784-256-128-10 with ReLU and He
#: initialisation, SGD with Nesterov momentum 0.9 at lr 0.1 on a cosine schedule, weight decay 1e-3,
#: 10 epochs of batches of 128 in float32. It reaches at least 98.2 % test accuracy from scratch
#: (tests/lessons/test_l07_mnist_from_scratch.py trains it through ``course-lib train``'s own code).
DEFAULT_RECIPE = Recipe()


def _streams(seed: int) -> tuple[np.random.Generator, np.random.Generator, np.random.Generator]:
    """Three independent generators (split, initial weights, shuffling) from one seed.

    Independent streams mean that loading the data separately, or not at all, leaves the
    weights and the batch order exactly as they are when ``train_mlp`` does everything itself.
    The first is the one ``course_lib.data.mnist_splits`` draws the validation split with.
    """
    split, init, shuffle = np.random.default_rng(seed).spawn(3)
    return split, init, shuffle


def build_model(recipe: Recipe = DEFAULT_RECIPE) -> Sequential:
    """The recipe's untrained MLP in the recipe's dtype, its weights drawn with the recipe's seed."""
    model = MLP(recipe.sizes, activation=recipe.activation, dropout=recipe.dropout, init=recipe.init,
                rng=_streams(recipe.seed)[1])
    return model.astype(recipe.dtype)


def train_mlp(
    recipe: Recipe = DEFAULT_RECIPE,
    *,
    splits: MnistSplits | None = None,
    progress: bool = True,
    callbacks: Sequence[object] = (),
    last_layer_scale: float = 1.0,
) -> tuple[Sequential, History]:
    """Train the recipe's MLP on MNIST with ``numpy_nn.fit``; return the model and its History.

    Args:
        recipe: every setting of the run.
        last_layer_scale: multiplies the last layer's initial weights; lesson 07's own run uses 0.1,
            so that the loss starts near ln 10 (section 3).
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
    if recipe.model != "mlp":
        raise ValueError(f"train_mlp trains the NumPy MLP; this recipe's model is {recipe.model!r} (lesson 08 trains the CNN).")
    model = build_model(recipe)
    model[-1].weight.data *= last_layer_scale
    optimizer = recipe_optimizer(recipe, model.parameters())
    scheduler = make_schedule(recipe, optimizer, steps_per_epoch=-(-len(splits.train[0]) // recipe.batch_size))
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
