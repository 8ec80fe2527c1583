"""Lesson 10, section 1: sanity checks before training, measured on MNIST with the NumPy twin.

Four checks that take seconds and catch most broken set-ups before a long run:

- the loss at initialisation: an untrained classifier over C classes should guess about uniformly,
  so its cross-entropy is about ln C (ln 10 ≈ 2.303 for MNIST), see :func:`initial_losses`;
- overfitting a tiny batch: a model that cannot drive the loss on 32 images to about 0 has a bug,
  see :func:`overfit_tiny_batch`;
- the update/weight ratio ‖ΔW‖ / ‖W‖ of each layer (Frobenius norms), about 1e-3 by the rule of thumb,
  1e-4 to 1e-2 the useful band, see :func:`relative_update` (the answer key of the learner's ``update_ratio``)
  and :func:`update_ratios`;
- a gradient check of a new layer (``course_lib.numpy_nn.gradcheck.check_layer``), shown on a
  residual block, and on :class:`ForgottenSkip`, a residual block whose backward forgets the skip.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from course_lib.data import MNIST_MEAN, MNIST_STD, load_mnist
from course_lib.numpy_nn.losses import CrossEntropyLoss
from course_lib.numpy_nn.models import MLP
from course_lib.numpy_nn.optimizers import SGD
from course_lib.numpy_nn.residual import Residual
from course_lib.ui.plots import axes_or_current

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "ForgottenSkip", "RATIO_SIZES", "SIZES", "initial_losses", "mean_loss", "overfit_tiny_batch", "plot_overfit",
    "plot_update_ratios", "relative_update", "sanity_images", "steps_to_reach", "update_ratios",
]

#: The small MLP of the section's first two checks: 784 pixels, 64 ReLU units, 10 logits.
SIZES = (784, 64, 10)
#: The MLP whose three weight matrices the update/weight ratios are measured on.
RATIO_SIZES = (784, 64, 64, 10)
N_VAL = 1000  # the last 1 000 of the first 3 000 training images play the validation set


@functools.cache
def _raw_images() -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    """The first 3 000 MNIST training images as stored (0..255), read once."""
    X, y = load_mnist("train", normalize=None, dtype=np.uint8)
    return X[:3000], y[:3000]


def sanity_images(n: int, *, offset: int = 0, standardise: bool = True) -> tuple[NDArray, NDArray]:
    """``n`` MNIST training images from ``offset`` on (of the first 3 000), as float32 rows of 784.

    Args:
        standardise: True gives (x/255 − μ)/σ with the training set's μ = 0.1307, σ = 0.3081
            (``load_mnist(normalize="standard")``); False the raw pixel values 0..255.

    Returns:
        ``(X, y)``: (n, 784) float32 and (n,) int64 labels.
    """
    X, y = _raw_images()
    if offset < 0 or n < 1 or offset + n > len(X):
        raise ValueError(f"sanity_images: rows {offset} to {offset + n} asked for; there are {len(X)}.")
    X, y = X[offset:offset + n].astype(np.float32), y[offset:offset + n].copy()
    if standardise:
        X = (X / 255 - np.float32(MNIST_MEAN)) / np.float32(MNIST_STD)
    return X, y


def mean_loss(model: MLP, X: NDArray, y: NDArray) -> float:
    """The model's mean cross-entropy on ``(X, y)``, without training: −(1/N) Σᵢ ln ŷᵢ[yᵢ]."""
    return float(CrossEntropyLoss()(model(X), y))


def initial_losses(*, seeds: Sequence[int] = (0, 1, 2), weight_scale: float = 1.0, standardise: bool = True,
                   sizes: Sequence[int] = SIZES) -> NDArray:
    """The untrained MLP's mean loss on the 1 000 validation images, one number per seed.

    Args:
        weight_scale: every weight and bias of the default initialisation multiplied by this (10: an
            initial scale ten times too large).
        standardise: False feeds the raw pixels 0..255 (a forgotten preprocessing step).
    """
    X, y = sanity_images(N_VAL, offset=3000 - N_VAL, standardise=standardise)
    losses = []
    for seed in seeds:
        model = MLP(sizes, rng=np.random.default_rng(seed))
        for p in model.parameters():
            p.data *= weight_scale
        losses.append(mean_loss(model, X, y))
    return np.array(losses)


def overfit_tiny_batch(*, n: int = 32, steps: int = 150, lr: float = 0.1, seed: int = 0,
                       sizes: Sequence[int] = SIZES) -> NDArray:
    """Train a fresh MLP with plain SGD on the same ``n`` images for ``steps`` steps: the loss of each step.

    A correct model and loop memorise a few dozen images quickly: the loss goes to about 0.
    """
    X, y = sanity_images(n)
    model, loss_fn = MLP(sizes, rng=np.random.default_rng(seed)), CrossEntropyLoss()
    optimizer = SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        losses.append(loss_fn(model(X), y))
        model.backward(loss_fn.backward())
        optimizer.step()
    return np.array(losses)


def steps_to_reach(losses: Sequence[float], threshold: float) -> int | None:
    """The first step t whose loss is below ``threshold``, or None if no step gets there."""
    below = np.flatnonzero(np.asarray(losses) < threshold)
    return int(below[0]) if below.size else None


def relative_update(before: NDArray, after: NDArray) -> float:
    """How far one step moved a weight, relative to its size: ‖after − before‖ / ‖before‖ (Frobenius norms).

    The HealthMonitor's ``update_ratio``; about 1e-3 by the rule of thumb, 1e-4 to 1e-2 the useful band.
    """
    before, after = np.asarray(before, dtype=np.float64), np.asarray(after, dtype=np.float64)
    return float(np.linalg.norm(after - before) / np.linalg.norm(before))


def update_ratios(lr: float, *, seed: int = 0, steps: int = 20, batch_size: int = 64,
                  ratio: Callable[[NDArray, NDArray], float] = relative_update,
                  sizes: Sequence[int] = RATIO_SIZES) -> NDArray:
    """‖ΔW‖/‖W‖ of each weight matrix over the first ``steps`` steps of SGD at learning rate ``lr``.

    A fresh MLP (``sizes``, seeded by ``seed``) trains on mini-batches drawn from the first 2 000
    images. ``ratio(before, after)`` measures each step: the course's :func:`relative_update`, or
    the learner's own ``update_ratio``.

    Returns:
        (steps, layers): one row per step, one column per Linear layer, in the model's order.
    """
    X, y = sanity_images(2000)
    model, loss_fn = MLP(sizes, rng=np.random.default_rng(seed)), CrossEntropyLoss()
    optimizer, draw = SGD(model.parameters(), lr=lr), np.random.default_rng(1000 + seed)
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    rows = []
    with np.errstate(all="ignore"):  # a learning rate of 1 may overflow: that is what the picture shows
        for _ in range(steps):
            batch = draw.choice(len(X), size=batch_size, replace=False)
            before = [w.data.copy() for w in weights]
            optimizer.zero_grad()
            loss_fn(model(X[batch]), y[batch])
            model.backward(loss_fn.backward())
            optimizer.step()
            rows.append([float(ratio(b, w.data.copy())) for b, w in zip(before, weights)])
    return np.array(rows)


class ForgottenSkip(Residual):
    """A residual block with a planted bug, for the gradient check to find: y = x + body(x) forward,
    but backward returns only the body's gradient, dx = body.backward(dy), forgetting the skip's dy."""

    def backward(self, dy: NDArray) -> NDArray:
        self._take_cache()
        return self.body.backward(dy)  # the bug: dy + body.backward(dy) is right


def plot_overfit(losses: Sequence[float], threshold: float, ax: "Axes | None" = None) -> "Axes":
    """The training loss on a tiny batch, step by step on a log scale, with the threshold it must cross."""
    ax = axes_or_current(ax)
    ax.semilogy(np.arange(len(losses)), losses, label="training loss on the tiny batch")
    ax.axhline(threshold, color="grey", linestyle="--", label=f"threshold {threshold:g}")
    ax.axhline(np.log(10), color="tab:red", linestyle=":", label="ln 10, uniform guessing")
    ax.set(title="Overfitting 32 images: the loss must go to about 0", xlabel="step t",
           ylabel="cross-entropy loss (log scale)")
    ax.legend()
    return ax


def plot_update_ratios(ratios: dict[float, NDArray], ax: "Axes | None" = None) -> "Axes":
    """‖ΔW‖/‖W‖ per step (log scale): one colour per learning rate, one line style per layer.

    Args:
        ratios: ``{lr: array (seeds, steps, layers)}``; each line is the median over the seeds (one seed
            whose weights blow up would dominate a mean).
    """
    ax = axes_or_current(ax)
    styles = ("-", "--", ":", "-.")
    for k, (lr, runs) in enumerate(ratios.items()):
        median = np.nanmedian(np.asarray(runs, dtype=np.float64), axis=0)
        for layer in range(median.shape[1]):
            ax.semilogy(np.arange(1, len(median) + 1), median[:, layer], color=f"C{k}", linestyle=styles[layer % 4],
                        label=f"η = {lr:g}, Linear {layer + 1}")
    ax.axhspan(1e-4, 1e-2, color="tab:green", alpha=0.12, label="useful band, 1e-4 to 1e-2")
    ax.axhline(1e-3, color="tab:green", linewidth=0.8, label="rule of thumb, 1e-3")
    ax.set(title="The update/weight ratio of each layer at three learning rates", xlabel="step t",
           ylabel="‖ΔW‖ / ‖W‖ (log scale, median of the seeds)")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax
