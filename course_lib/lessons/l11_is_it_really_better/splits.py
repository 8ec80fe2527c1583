"""Lesson 11, sections 1 and 2: three sets, three leaks measured, and k-fold cross-validation.

The reference k-fold loop (:func:`cross_val_scores`, the answer key of the learner's
``kfold_scores``), the two models the lesson cross-validates (a polynomial fitted by least squares
on lesson 06's problem, softmax regression with L2 on an MNIST subset), and the three leak
experiments, each returning the honest and the leaky number of one seed:

* :func:`selection_leak`: features chosen by their correlation with the label on ALL rows, on data
  that is pure noise;
* :func:`duplicate_leak`: copies of test images in the training set of a 1-nearest-neighbour model;
* :func:`tuning_leak`: the best of many settings by its test accuracy, then measured on a second,
  untouched hold-out.

k-fold in one line: shuffle the N row numbers once, cut them into k nearly equal folds F₁ … F_k;
score_i = score(fit(rows ∉ F_i), rows ∈ F_i); report the k scores, their mean and spread.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from course_lib.data import load_mnist
from course_lib.metrics import accuracy
from course_lib.numpy_nn.layers import Linear
from course_lib.numpy_nn.losses import CrossEntropyLoss
from course_lib.numpy_nn.optimizers import SGD
from course_lib.numpy_nn.training import fit as train
from course_lib.recipes import is_whole

if TYPE_CHECKING:
    from matplotlib.axes import Axes

Fit = Callable[[NDArray, NDArray], Any]
Score = Callable[[Any, NDArray, NDArray], float]


# ---- k-fold cross-validation -------------------------------------------------------------------


def _check_rng(rng: Any) -> None:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}; "
                        f"pass np.random.default_rng(seed).")


def kfold_indices(n: int, k: int, rng: np.random.Generator) -> list[NDArray[np.int64]]:
    """The k validation folds of n rows: the row numbers shuffled once, cut into k nearly equal parts.

    Every row is in exactly one fold; fold sizes differ by at most one (the first n mod k folds get
    one row more, as ``np.array_split`` cuts).
    """
    _check_rng(rng)
    if not is_whole(n) or n < 2:
        raise ValueError(f"n must be a whole number of rows >= 2, got {n!r}.")
    if not is_whole(k) or not 2 <= k <= n:
        raise ValueError(f"k must be a whole number of folds between 2 and n = {n}, got {k!r}; "
                         f"5 or 10 are the usual choices, n is leave-one-out.")
    return np.array_split(rng.permutation(n), k)


def cross_val_scores(X: NDArray, y: NDArray, k: int, fit: Fit, score: Score, rng: np.random.Generator) -> NDArray:
    """The k scores of k-fold cross-validation: for each fold, fit on the other rows, score on it.

    Args:
        X, y: the rows and their targets, as they are (any preprocessing belongs inside ``fit``).
        k: the number of folds.
        fit: ``fit(X_train, y_train) -> model``.
        score: ``score(model, X_val, y_val) -> float``.
        rng: shuffles the rows once.

    Returns:
        The k scores, fold by fold, as a float array of shape (k,).
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X and y must have one row per example; got {len(X)} rows of X and {len(y)} targets.")
    folds = kfold_indices(len(X), k, rng)
    scores = []
    for i, val in enumerate(folds):
        rest = np.concatenate(folds[:i] + folds[i + 1:])
        model = fit(X[rest], y[rest])
        scores.append(float(score(model, X[val], y[val])))
    return np.array(scores)


# ---- the two problems the lesson cross-validates -------------------------------------------------


def polynomial_model(degree: int) -> tuple[Fit, Score]:
    """``(fit, score)`` of a polynomial of ``degree`` fitted by least squares; score = mean squared error.

    The polynomial is written in Legendre polynomials of x (lesson 06's basis, better conditioned
    than powers of x on [−1, 1]); ``fit(X, y)`` returns its coefficients, X of shape (N, 1).
    """
    if not is_whole(degree) or degree < 0:
        raise ValueError(f"degree must be a whole number >= 0, got {degree!r}.")

    def fit(X: NDArray, y: NDArray) -> NDArray:
        return np.linalg.lstsq(np.polynomial.legendre.legvander(X[:, 0], degree), y, rcond=None)[0]

    def score(w: NDArray, X: NDArray, y: NDArray) -> float:
        return float(np.mean((np.polynomial.legendre.legval(X[:, 0], w) - y) ** 2))

    return fit, score


def _first_images(n: int) -> tuple[NDArray, NDArray]:
    """The first n MNIST training images, standardised with lesson 07's fixed constants, and their labels."""
    X, y = load_mnist("train", normalize="standard")
    return X[:n], y[:n]


def softmax_model(l2: float, *, epochs: int = 8, lr: float = 0.05, seed: int = 0) -> tuple[Fit, Score]:
    """``(fit, score)`` of softmax regression (one Linear layer, cross-entropy) with L2 strength ``l2``.

    ``fit`` trains with mini-batch SGD (batches of 64, SGD's weight_decay = ``l2``, the gradient of
    (l2/2)·‖W‖²); ``score`` is the accuracy on the rows it is given.
    """
    if not (isinstance(l2, (int, float)) and l2 >= 0):
        raise ValueError(f"l2 must be a number >= 0, got {l2!r}.")

    def fit(X: NDArray, y: NDArray) -> Linear:
        rng = np.random.default_rng(seed)
        model = Linear(X.shape[1], 10, rng=rng)
        train(model, CrossEntropyLoss(), SGD(model.parameters(), lr=lr, weight_decay=l2), (X, y),
              epochs=epochs, batch_size=64, rng=rng, progress=False)
        return model

    def score(model: Linear, X: NDArray, y: NDArray) -> float:
        return accuracy(model(X).argmax(axis=1), y)

    return fit, score


# ---- leak (a): choosing features on all rows --------------------------------------------------------


def top_correlated(X: NDArray, y: NDArray, m: int) -> NDArray[np.int64]:
    """The columns of X whose correlation with y is largest in size, the m largest first."""
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    r = (Xc.T @ yc) / (np.linalg.norm(Xc, axis=0) * np.linalg.norm(yc) + 1e-12)
    return np.argsort(-np.abs(r), kind="stable")[:m]


def nearest_centroid(X_train: NDArray, y_train: NDArray, X: NDArray) -> NDArray[np.int64]:
    """Predict for each row of X the class whose mean training row is closest."""
    classes = np.unique(y_train)
    means = np.stack([X_train[y_train == c].mean(axis=0) for c in classes])
    distances = ((X[:, None, :] - means[None]) ** 2).sum(axis=-1)
    return classes[distances.argmin(axis=1)]


def selection_leak(seed: int, *, n: int = 200, features: int = 2000, keep: int = 20) -> tuple[float, float]:
    """Test accuracy ``(honest, leaky)`` on pure noise, the ``keep`` features chosen on the training rows or on all rows.

    X is Gaussian noise, y a coin flip per row: nothing can be learnt, so the honest accuracy is
    0.5 up to chance. Half the rows train a nearest-centroid classifier, half test it.
    """
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, features)), rng.integers(0, 2, n)
    tr, te = np.arange(n // 2), np.arange(n // 2, n)
    result = []
    for rows in (tr, np.arange(n)):
        cols = top_correlated(X[rows], y[rows], keep)
        result.append(accuracy(nearest_centroid(X[tr][:, cols], y[tr], X[te][:, cols]), y[te]))
    return result[0], result[1]


# ---- leak (b): copies of test images in the training set --------------------------------------------


def normalisation_leak(seed: int, *, n_train: int = 2000, n_test: int = 500,
                       data: tuple[NDArray, NDArray] | None = None) -> tuple[float, float]:
    """1-NN test accuracy ``(honest, leaky)``, each pixel standardised with the training rows' or all rows' statistics.

    ``data``: the images to draw from (default: the first 6 000 MNIST training images, standardised); each pixel
    is then standardised again, x ← (x − mean) / (std + 0.1), the 0.1 keeping pixels that never
    light up at 0 rather than dividing by 0.
    """
    X, y = data if data is not None else _first_images(6000)
    rng = np.random.default_rng(seed)
    tr, te = np.split(rng.permutation(len(X))[:n_train + n_test], [n_train])
    result = []
    for rows in (tr, np.concatenate([tr, te])):
        mean, std = X[rows].mean(axis=0), X[rows].std(axis=0) + 0.1
        Z = (X - mean) / std
        result.append(accuracy(nearest_neighbour(Z[tr], y[tr], Z[te]), y[te]))
    return result[0], result[1]


def nearest_neighbour(X_train: NDArray, y_train: NDArray, X: NDArray) -> NDArray[np.int64]:
    """Predict for each row of X the label of its nearest training row (1-NN, Euclidean)."""
    d = (X ** 2).sum(axis=1)[:, None] - 2 * X @ X_train.T + (X_train ** 2).sum(axis=1)[None]
    return y_train[d.argmin(axis=1)]


def duplicate_leak(seed: int, *, n_train: int = 2000, n_test: int = 500, copies: int = 100,
                   data: tuple[NDArray, NDArray] | None = None) -> tuple[float, float]:
    """1-NN test accuracy ``(honest, leaky)`` with ``copies`` extra training images: fresh ones, or test images.

    Both training sets have n_train + copies images; in the leaky one the extra images are copies
    of test images (as when a data set holds the same picture twice and the split falls between them).
    ``data``: the images to draw from (default: the first 6 000 MNIST training images, standardised).
    """
    X, y = data if data is not None else _first_images(6000)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(X))
    tr, te, extra = np.split(order[:n_train + n_test + copies], [n_train, n_train + n_test])
    copied = rng.choice(te, size=copies, replace=False)
    result = []
    for added in (extra, copied):
        rows = np.concatenate([tr, added])
        result.append(accuracy(nearest_neighbour(X[rows], y[rows], X[te]), y[te]))
    return result[0], result[1]


# ---- leak (c): choosing by test accuracy ---------------------------------------------------------------


def tuning_leak(seed: int, *, settings: int = 100, pixels: int = 50, n_train: int = 1000, n_test: int = 100,
                data: tuple[NDArray, NDArray] | None = None) -> tuple[float, float]:
    """``(fresh, chosen)``: the accuracy on a fresh set B of the model that was best on test set A, and its accuracy on A.

    Honest first, as the other leaks: ``chosen`` is the leaky number.

    Each setting is a nearest-centroid classifier that sees its own random ``pixels`` of the 784.
    The winner is picked by its accuracy on test set A; B, as large as A, is touched once, at the end.
    """
    X, y = data if data is not None else _first_images(6000)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(X))
    tr, a, b = np.split(order[:n_train + 2 * n_test], [n_train, n_train + n_test])
    best, best_cols = -1.0, None
    for _ in range(settings):
        cols = rng.choice(X.shape[1], size=pixels, replace=False)
        acc = accuracy(nearest_centroid(X[tr][:, cols], y[tr], X[a][:, cols]), y[a])
        if acc > best:
            best, best_cols = acc, cols
    fresh = accuracy(nearest_centroid(X[tr][:, best_cols], y[tr], X[b][:, best_cols]), y[b])
    return fresh, best


def over_seeds(experiment: Callable[..., tuple[float, float]], seeds: Sequence[int], **kwargs: Any) -> NDArray:
    """``experiment(seed, **kwargs)`` for each seed, as an array of shape (len(seeds), 2): (honest, leaky) rows."""
    return np.array([experiment(seed, **kwargs) for seed in seeds])


# ---- pictures --------------------------------------------------------------------------------------------


def plot_leaks(results: dict[str, NDArray], ax: Axes | None = None) -> Axes:
    """Honest and leaky accuracy side by side for each leak: a dot per seed, a bar at the mean.

    ``results`` maps a leak's name to the (seeds, 2) array of :func:`over_seeds`.
    """
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    for i, (name, r) in enumerate(results.items()):
        for j, (label, colour) in enumerate((("honest", "tab:blue"), ("with the leak", "tab:red"))):
            x = i + (j - 0.5) * 0.35
            ax.bar(x, r[:, j].mean(), width=0.33, color=colour, alpha=0.35, label=label if i == 0 else None)
            ax.plot(np.full(len(r), x), r[:, j], "o", color=colour, markersize=4)
    ax.set_xticks(range(len(results)), list(results))
    ax.set_ylabel("test accuracy")
    ax.set_title("What each leak adds to the test accuracy (dots: seeds)")
    ax.legend(loc="lower right")
    return ax


def plot_cv_scores(settings: Sequence[Any], scores: NDArray, *, xlabel: str, ylabel: str, chosen: Any = None,
                   error: str = "sd", ax: Axes | None = None) -> Axes:
    """The mean of each setting's k fold scores, with error bars of ± s (their standard deviation) or ± s/√k.

    ``error``: ``"sd"`` (the spread of one fold's score) or ``"se"`` (the standard error of the mean, s/√k).

    Shape: scores: (len(settings), k).
    """
    import matplotlib.pyplot as plt

    if error not in ("sd", "se"):
        raise ValueError(f"error must be 'sd' (standard deviation) or 'se' (standard error), got {error!r}.")
    ax = ax or plt.gca()
    x, k = np.arange(len(settings)), scores.shape[1]
    spread = scores.std(axis=1, ddof=1) / (np.sqrt(k) if error == "se" else 1.0)
    ax.plot(np.repeat(x, k), scores.ravel(), ".", color="0.6", label="one fold")
    what = "standard error (s/√k)" if error == "se" else "standard deviation over the folds"
    ax.errorbar(x, scores.mean(axis=1), yerr=spread, fmt="o-", capsize=4, label=f"mean ± {what}")
    if chosen is not None:
        ax.axvline(list(settings).index(chosen), color="tab:green", linestyle="--", label=f"chosen: {chosen}")
    ax.set_xticks(x, [str(s) for s in settings])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    return ax
