"""Lesson 11, section 3: the noise between runs.

How much a test accuracy moves when nothing but the seed changes, and how to tell a real
difference from that noise::

    splits = load_splits(SHORT_RECIPE)
    hits = seed_hits(SHORT_RECIPE, seeds=range(5), splits=splits)      # (5, 10 000) of 0/1
    hits.mean(axis=1)                                                  # the test accuracy of each seed
    bootstrap_interval(hits[0], 2000, np.random.default_rng(0))        # (low, high) for seed 0's model

A run is lesson 07's recipe put together from the shared pieces (``numpy_nn.models.MLP``,
``numpy_nn.training.fit``, ``recipes.recipe_optimizer`` and ``recipes.make_schedule``);
:data:`SHORT_RECIPE` shortens it (fewer training images, fewer epochs) so that many seeds fit
into a lesson. :func:`bootstrap_interval` is the answer key of the lesson's build exercise.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from course_lib.numpy_nn.losses import CrossEntropyLoss
from course_lib.numpy_nn.models import MLP
from course_lib.numpy_nn.training import fit
from course_lib.recipes import Recipe, is_whole, load_splits, make_schedule, recipe_optimizer
from course_lib.ui.plots import axes_or_current

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "SEEDS", "SHORT_RECIPE", "bootstrap_accuracies", "bootstrap_interval", "disagreements", "normal_interval",
    "seed_accuracies", "seed_hits", "hits_on", "needed_test_size", "plot_bootstrap", "plot_differences", "plot_needed_sizes",
    "plot_seed_strip", "train_recipe",
]

#: Lesson 07's recipe shortened for the lesson: its first 4 000 training images, 2 epochs, no validation split.
SHORT_RECIPE = Recipe(train_size=4000, epochs=2, val_size=0)
#: The seeds the lesson trains each setting with.
SEEDS = tuple(range(8))


def train_recipe(recipe: Recipe, splits: Any, *, progress: bool = False) -> Any:
    """Train the recipe's NumPy MLP on ``splits.train`` and return it in evaluation mode.

    The recipe's seed decides the initial weights and the order of the batches, through two
    independent streams spawned from it; ``splits`` (from ``recipes.load_splits``) is the data,
    so many seeds can share one load. Only the first ``recipe.train_size`` training images are used.
    """
    if not isinstance(recipe, Recipe) or recipe.model != "mlp":
        raise TypeError(f"train_recipe expects a Recipe of the NumPy MLP, e.g. SHORT_RECIPE.replace(seed=1); "
                        f"got {recipe!r}.")
    if not hasattr(splits, "train"):
        raise TypeError(f"train_recipe trains on splits.train: pass the data from recipes.load_splits(recipe), "
                        f"got {type(splits).__name__}.")
    X, y = splits.train
    X, y = X[:recipe.train_size], y[:recipe.train_size]
    init_rng, order_rng = np.random.default_rng(recipe.seed).spawn(2)
    model = MLP(recipe.sizes, activation=recipe.activation, dropout=recipe.dropout, init=recipe.init,
                rng=init_rng).astype(recipe.dtype)
    optimizer = recipe_optimizer(recipe, model.parameters())
    scheduler = make_schedule(recipe, optimizer, steps_per_epoch=-(-len(X) // recipe.batch_size))
    fit(model, CrossEntropyLoss(label_smoothing=recipe.label_smoothing), optimizer, (X, y), epochs=recipe.epochs,
        batch_size=recipe.batch_size, rng=order_rng, scheduler=scheduler, progress=progress)
    return model.eval()


def hits_on(model: Any, data: tuple[NDArray, NDArray], *, batch_size: int = 2000) -> NDArray[np.int64]:
    """1 where the model's prediction (the argmax of its logits) equals the label, else 0.  Shape: (N,)."""
    if not (isinstance(data, tuple) and len(data) == 2 and len(data[0]) == len(data[1]) > 0):
        raise ValueError("hits_on expects data as a pair (X, y) of inputs and labels of the same, non-zero length, "
                         "such as splits.test from recipes.load_splits.")
    X, y = data
    predictions = np.concatenate([model(X[i:i + batch_size]).argmax(axis=1) for i in range(0, len(X), batch_size)])
    return (predictions == y).astype(np.int64)


def seed_hits(recipe: Recipe, seeds: Iterable[int], splits: Any) -> NDArray[np.int64]:
    """Train the recipe once per seed; row s holds that model's :func:`hits_on`.  Shape: (seeds, N_test)."""
    return np.stack([hits_on(train_recipe(recipe.replace(seed=int(s)), splits), splits.test) for s in seeds])


@functools.cache
def seed_accuracies(recipe: Recipe, seeds: tuple[int, ...]) -> NDArray[np.float64]:
    """The test accuracy of each seed's model (fractions), the data loaded by ``recipes.load_splits``; cached."""
    accuracies = seed_hits(recipe, seeds, load_splits(recipe)).mean(axis=1)
    accuracies.setflags(write=False)  # cached: one caller must not change what the next one gets
    return accuracies


def _check_correct(correct: ArrayLike, name: str) -> NDArray[np.float64]:
    array = np.asarray(correct)
    if array.ndim != 1 or array.size == 0 or not np.isin(array, (0, 1)).all():
        raise ValueError(f"{name} expects correct as a non-empty 1-D array of 0s and 1s (one per test example, 1 = "
                         f"right), got shape {array.shape}; pass (predictions == labels).astype(int).")
    return array.astype(np.float64)


def _check_level(level: float, name: str) -> float:
    if not (isinstance(level, (float, int)) and not isinstance(level, bool) and 0 < level < 1):
        raise ValueError(f"{name}: level must be a fraction in (0, 1) such as 0.95 for a 95 % interval, got {level!r}.")
    return float(level)


def bootstrap_accuracies(correct: ArrayLike, n_resamples: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """The accuracy of each of ``n_resamples`` bootstrap resamples of the test set.

    A resample draws N examples from the N with replacement (``rng.integers(0, N, (n_resamples, N))``):
    some come twice, some not at all, as if the test set had been drawn again from the world.

    Shape:
        correct: (N,) of 0/1 -> (n_resamples,).
    """
    correct = _check_correct(correct, "bootstrap_accuracies")
    if not is_whole(n_resamples) or n_resamples < 1:
        raise ValueError(f"bootstrap_accuracies: n_resamples must be a whole number >= 1 (e.g. 2000), got {n_resamples!r}.")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"bootstrap_accuracies draws from rng, a np.random.Generator (np.random.default_rng(0)); "
                        f"got {type(rng).__name__}.")
    n = len(correct)
    return correct[rng.integers(0, n, size=(n_resamples, n))].mean(axis=1)


def bootstrap_interval(correct: ArrayLike, n_resamples: int, rng: np.random.Generator,
                       level: float = 0.95) -> tuple[float, float]:
    """The percentile bootstrap interval of the accuracy: the (1−level)/2 and (1+level)/2 quantiles.

    For level 0.95 these are the 2.5th and 97.5th percentiles of :func:`bootstrap_accuracies`.
    """
    level = _check_level(level, "bootstrap_interval")
    accuracies = bootstrap_accuracies(correct, n_resamples, rng)
    low, high = np.percentile(accuracies, [50 * (1 - level), 50 * (1 + level)])
    return float(low), float(high)


def _z(level: float) -> float:
    """The standard normal's (1+level)/2 quantile: 1.96 for 0.95."""
    return NormalDist().inv_cdf(0.5 * (1 + level))


def normal_interval(p: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """The normal approximation of an accuracy's interval: p ± z·√(p(1−p)/n), z = 1.96 for level 0.95."""
    level = _check_level(level, "normal_interval")
    if not (0 <= p <= 1) or not is_whole(n) or n < 1:
        raise ValueError(f"normal_interval expects an accuracy p in [0, 1] and a test-set size n >= 1, got p={p!r}, n={n!r}.")
    half = _z(level) * math.sqrt(p * (1 - p) / n)
    return p - half, p + half


def needed_test_size(p: float, difference: float, *, level: float = 0.95, disagreement: float | None = None) -> int:
    """How many test examples make a true ``difference`` between two accuracies near ``p`` stand out.

    The difference is resolved when it is z standard errors of the measured difference (z = 1.96 for 0.95):
    two models measured on separate test sets, SE² = 2p(1−p)/N, so N = 2p(1−p)·(z/difference)²;
    both on the same test set (``disagreement``: the fraction of examples the two models answer
    differently), SE² ≈ disagreement/N, so N = disagreement·(z/difference)².
    """
    level = _check_level(level, "needed_test_size")
    if not (0 < p < 1 and 0 < difference < 1):
        raise ValueError(f"needed_test_size expects an accuracy p in (0, 1) and a difference in (0, 1) as fractions "
                         f"(0.1 points is 0.001), got p={p!r}, difference={difference!r}.")
    variance = 2 * p * (1 - p) if disagreement is None else disagreement
    if not 0 < variance <= 1:
        raise ValueError(f"needed_test_size: disagreement must be a fraction in (0, 1], got {disagreement!r}.")
    return math.ceil(variance * (_z(level) / difference) ** 2)


def disagreements(hits_a: ArrayLike, hits_b: ArrayLike) -> tuple[int, int]:
    """McNemar's two counts on one test set: (right only for A, right only for B).

    Examples both models get right, or both wrong, say nothing about which is better; the
    difference of the accuracies is exactly (only B − only A) / N.
    """
    a, b = _check_correct(hits_a, "disagreements"), _check_correct(hits_b, "disagreements")
    if a.shape != b.shape:
        raise ValueError(f"disagreements expects the two models' hits on the same test set, got {a.shape} and {b.shape}.")
    return int(np.sum((a == 1) & (b == 0))), int(np.sum((a == 0) & (b == 1)))


# ---- pictures -------------------------------------------------------------------------------------


def plot_seed_strip(accuracies: dict[str, ArrayLike], ax: "Axes | None" = None) -> "Axes":
    """One dot per seed for each setting (accuracies in %), its mean ± one standard deviation; pairs joined.

    Args:
        accuracies: ``{setting name: per-seed test accuracies in %}``, all over the same seeds in the
            same order when there are several (then each seed's dots are joined by a grey line).
    """
    ax = axes_or_current(ax)
    values = [np.asarray(v, dtype=np.float64) for v in accuracies.values()]
    if len(values) > 1:
        ax.plot(np.arange(len(values)), np.stack(values), color="grey", alpha=0.5, linewidth=0.8)
    for x, (name, v) in enumerate(zip(accuracies, values)):
        mean, sd = v.mean(), v.std(ddof=1)
        ax.scatter(np.full(len(v), x), v, color=f"C{x}", zorder=3, label=f"{name}: {len(v)} seeds")
        ax.hlines(mean, x - 0.25, x + 0.25, color=f"C{x}", linewidth=2.5, label=f"mean {mean:.2f} %")
        ax.fill_between([x - 0.25, x + 0.25], mean - sd, mean + sd, color=f"C{x}", alpha=0.15,
                        label=f"mean ± s ({sd:.2f} points)")
    ax.set_xticks(range(len(values)), list(accuracies))
    ax.set_xlim(-0.6, len(values) - 0.4)
    ax.set(title="Test accuracy of each seed", xlabel="setting", ylabel="test accuracy (%)")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def plot_differences(differences: ArrayLike, ax: "Axes | None" = None) -> "Axes":
    """The per-seed differences B − A (in points) as dots, their mean, and the line of no difference."""
    ax = axes_or_current(ax)
    d = np.asarray(differences, dtype=np.float64)
    ax.scatter(np.arange(len(d)), d, color="C2", zorder=3, label="B − A, one dot per seed")
    ax.axhline(d.mean(), color="C2", linewidth=2, label=f"mean {d.mean():+.2f} points")
    ax.axhline(0, color="black", linestyle="--", linewidth=1, label="no difference")
    ax.set(title="Paired: the difference on each seed", xlabel="seed", ylabel="B − A (percentage points)")
    ax.set_xticks(range(len(d)))
    ax.legend(fontsize="small")
    return ax


def plot_bootstrap(accuracies: ArrayLike, interval: tuple[float, float], normal: tuple[float, float],
                   ax: "Axes | None" = None) -> "Axes":
    """A histogram of the resampled accuracies (in %), the percentile interval and the normal approximation's."""
    ax = axes_or_current(ax)
    a = 100 * np.asarray(accuracies, dtype=np.float64)
    # The accuracies are multiples of 100/N %: bins a whole number of those steps wide show no comb of empty bins.
    gaps = np.diff(np.unique(a))
    step = gaps.min() * max(1, round(np.ptp(a) / gaps.min() / 30)) if gaps.size else 1.0
    edges = np.arange(a.min() - step / 2, a.max() + step, step)
    ax.hist(a, bins=edges, color="C0", alpha=0.6, label=f"{len(a)} resampled accuracies")
    for k, x in enumerate(interval):
        ax.axvline(100 * x, color="C3", linewidth=4, alpha=0.6, label="percentile interval (bootstrap)" if k == 0 else None)
    for k, x in enumerate(normal):
        ax.axvline(100 * x, color="black", linestyle="--", label="p ± 1.96·√(p(1−p)/N)" if k == 0 else None)
    ax.set(title="The bootstrap: the accuracy on resampled test sets", xlabel="test accuracy (%)", ylabel="resamples")
    ax.legend(fontsize="small")
    return ax


def plot_needed_sizes(p: float, disagreement: float, n_test: int, ax: "Axes | None" = None) -> "Axes":
    """The test-set size :func:`needed_test_size` asks for, against the difference to resolve (log-log)."""
    ax = axes_or_current(ax)
    differences = np.geomspace(0.05, 5, 60)  # in points
    for label, share in (("separate test sets, 2p(1−p)", None), (f"the same test set, disagreement {disagreement:.3f}",
                                                                    disagreement)):
        sizes = [needed_test_size(p, d / 100, disagreement=share) for d in differences]
        ax.loglog(differences, sizes, label=label)
    ax.axhline(n_test, color="grey", linestyle=":", label=f"MNIST's test set, N = {n_test:,}")
    ax.axvline(0.1, color="C3", linestyle="--", label="0.1 points")
    ticks = [0.05, 0.1, 0.2, 0.5, 1, 2, 5]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set(title="How many test examples resolve a difference (95 %)", xlabel="difference (percentage points)",
           ylabel="test examples needed, N")
    ax.legend(fontsize="small")
    return ax
