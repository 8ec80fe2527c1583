"""Lesson 11, section 5 (calibration): the two MNIST models whose confidence the section measures,
their logits, and the reliability diagram.

The models are lesson 07's NumPy MLP with its lesson's recipe and a CNN like lesson 08's, SHORTENED
so that both train in a few seconds on a CPU (this lesson may not import lessons 07 and 08, so the
recipes are written out here):

* :data:`MLP_RECIPE`: lesson 07's recipe (784-256-128-10, ReLU, He init, Nesterov SGD with η = 0.1,
  weight decay 1e-3, cosine schedule, batches of 128) on the first 5 000 training images for 6
  epochs, instead of all 55 000 for 10. On so few images it fits its training set and grows
  overconfident: a T > 1 softens it.
* :data:`CNN_RECIPE`: lesson 08's CNN with twice the channels of its CPU recipe (channels (32, 64),
  hidden 128, dropout 0.25, AdamW with η = 5e-3 and weight decay 0.01, warm-up then cosine, one
  epoch, batches of 128, hard targets: lesson 08's CPU recipe before it was made lighter) on the
  first 3 000 training images instead of 55 000. Stopped that early, with dropout, it is
  underconfident: a T < 1 sharpens it.

Both use the recipes' split (seed 0, 5 000 validation images, the 10 000 test images). The CNN's
logits are computed on the first :data:`CNN_VAL` validation and :data:`CNN_TEST` test images only,
as a CNN's forward pass costs about a millisecond per image on one CPU thread.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from numpy.typing import NDArray

from course_lib.data import MnistSplits
from course_lib.numpy_nn.calibration import reliability_bins
from course_lib.numpy_nn.losses import CrossEntropyLoss
from course_lib.numpy_nn.models import MLP
from course_lib.numpy_nn.module import Sequential
from course_lib.numpy_nn.training import fit
from course_lib.recipes import Recipe, make_schedule, recipe_optimizer
from course_lib.torch_nn.models import CNN
from course_lib.torch_nn.training import fit as fit_torch

__all__ = ["CNN_RECIPE", "CNN_TEST", "CNN_VAL", "MLP_RECIPE", "model_logits", "plot_reliability_diagram",
           "train_short_cnn", "train_short_mlp"]

#: Lesson 07's recipe (``Recipe()``'s defaults), shortened: 5 000 training images, 6 epochs.
MLP_RECIPE = Recipe(train_size=5000, epochs=6)
#: Lesson 08's CPU recipe, shortened: its one epoch on 3 000 training images.
CNN_RECIPE = Recipe(model="cnn", hidden=(128,), channels=(32, 64), dropout=0.25, optimizer="AdamW", lr=5e-3,
                    weight_decay=0.01, schedule="warmup_cosine", warmup=0.1, epochs=1, batch_size=128,
                    train_size=3000)
#: How many validation and test images the CNN's logits are computed on.
CNN_VAL, CNN_TEST = 1000, 2000


def _subset(splits: Any, recipe: Recipe) -> tuple[NDArray, NDArray]:
    if not isinstance(splits, MnistSplits):
        raise TypeError(f"splits must be course_lib.data.MnistSplits, e.g. load_splits(MLP_RECIPE); got "
                        f"{type(splits).__name__}.")
    X, y = splits.train
    return X[:recipe.train_size], y[:recipe.train_size]


def train_short_mlp(splits: MnistSplits, recipe: Recipe = MLP_RECIPE) -> Sequential:
    """Lesson 07's MLP trained with ``numpy_nn.fit`` on the first ``recipe.train_size`` training images.

    The recipe's seed gives three streams, as in lesson 07: the split's, the initial weights' and the
    batch order's. Returns the model in eval mode.
    """
    _, weights_rng, shuffle_rng = np.random.default_rng(recipe.seed).spawn(3)
    model = MLP(recipe.sizes, activation=recipe.activation, dropout=recipe.dropout, init=recipe.init,
                rng=weights_rng).astype(recipe.dtype)
    optimizer = recipe_optimizer(recipe, model.parameters())
    X, y = _subset(splits, recipe)
    scheduler = make_schedule(recipe, optimizer, steps_per_epoch=-(-len(X) // recipe.batch_size))
    fit(model, CrossEntropyLoss(), optimizer, (X, y), epochs=recipe.epochs, batch_size=recipe.batch_size,
        rng=shuffle_rng, scheduler=scheduler, progress=False)
    return model.eval()


def train_short_cnn(splits: MnistSplits, recipe: Recipe = CNN_RECIPE) -> CNN:
    """Lesson 08's CNN trained on the CPU with ``torch_nn.fit`` on the first ``recipe.train_size`` training images.

    torch's generator is seeded with the recipe's seed before the weights are drawn (and the warm-up
    + cosine schedule steps itself after every optimizer step). Returns the model in eval mode.
    """
    torch.manual_seed(recipe.seed)
    model = CNN(recipe.channels, hidden=recipe.hidden[0], dropout=recipe.dropout)
    optimizer = recipe_optimizer(recipe, model.parameters())
    X, y = _subset(splits, recipe)
    scheduler = make_schedule(recipe, optimizer, steps_per_epoch=-(-len(X) // recipe.batch_size))
    epoch_scheduler = None if recipe.schedule == "warmup_cosine" else scheduler  # that one steps itself
    fit_torch(model, torch.nn.CrossEntropyLoss(), optimizer, (X, y), epochs=recipe.epochs,
              batch_size=recipe.batch_size, rng=np.random.default_rng(recipe.seed).spawn(3)[2],
              scheduler=epoch_scheduler, progress=False, device="cpu")
    return model.eval()


def model_logits(model: Any, X: NDArray, batch_size: int = 128) -> NDArray[np.float64]:
    """The (N, 10) logits of a NumPy or torch model on the images X, in eval mode, batch by batch, as float64."""
    model.eval()
    parts = []
    for start in range(0, len(X), batch_size):
        batch = X[start:start + batch_size]
        if isinstance(model, torch.nn.Module):
            with torch.no_grad():
                parts.append(model(torch.as_tensor(batch)).numpy())
        else:
            parts.append(model(batch))
    return np.concatenate(parts).astype(np.float64)


def plot_reliability_diagram(probs: NDArray, y: NDArray, *, n_bins: int = 10, ax: Any = None, title: str = "",
                             label: str = "accuracy in the bin") -> Any:
    """A reliability diagram: per confidence bin a bar of its accuracy, against the diagonal of perfect calibration.

    Each bar stands on its bin's confidence range; a dot marks the bin's mean confidence (where the
    bar's top would be if the model were calibrated), and the number at the bar's foot is the bin's count.
    Empty bins draw nothing. Returns the axes.
    """
    confidence, accuracy, count = reliability_bins(probs, y, n_bins)
    if ax is None:
        ax = plt.subplots(figsize=(5, 4.5), layout="constrained")[1]
    edges = np.linspace(0, 1, n_bins + 1)
    full = count > 0
    ax.bar(edges[:-1][full], accuracy[full], width=1 / n_bins, align="edge", color="tab:blue", alpha=0.7,
           edgecolor="black", label=label)
    ax.plot(confidence[full], confidence[full], "o", color="tab:red", markersize=4, label="mean confidence in the bin")
    ax.plot([0, 1], [0, 1], "k--", linewidth=1, label="perfect calibration")
    for left, n in zip(edges[:-1][full], count[full]):
        ax.text(left + 0.5 / n_bins, 0.02, f"{n}", ha="center", fontsize=7)
    ax.set(xlim=(0, 1), ylim=(0, 1.1), xlabel="confidence (probability of the predicted class)",
           ylabel="accuracy (fraction right)", title=title)
    ax.legend(loc="upper left", fontsize=8)
    return ax
