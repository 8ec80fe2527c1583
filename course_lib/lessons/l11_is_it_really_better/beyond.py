"""Lesson 11, section 4 (beyond accuracy): a small MNIST classifier to measure, the "is it a 5?" task it
answers with a score, and the pictures of per-class scores and of a decision threshold.

The measures themselves live in the reference, :mod:`course_lib.metrics`
(:func:`~course_lib.metrics.precision_recall_f1`, :func:`~course_lib.metrics.roc_curve`); this module
trains, slices and draws.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from matplotlib.ticker import NullLocator
from numpy.typing import ArrayLike, NDArray

from course_lib.data import load_mnist, mnist_splits
from course_lib.metrics import confusion_matrix, precision_recall_f1, roc_auc, roc_curve
from course_lib.numpy_nn.functional import softmax_forward
from course_lib.numpy_nn.losses import CrossEntropyLoss
from course_lib.numpy_nn.models import MLP
from course_lib.numpy_nn.optimizers import SGD
from course_lib.numpy_nn.training import fit
from course_lib.recipes import is_real, is_whole

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "POSITIVE_DIGIT", "ThresholdCurves", "ThresholdView", "binary_counts", "digit_classifier", "is_digit",
    "plot_class_scores", "plot_threshold_view", "share_of_digit", "threshold_curves", "threshold_figure",
    "threshold_scores",
]

#: The rare class of the imbalanced task: "is this digit a 5?" (8.9 % of the test images).
POSITIVE_DIGIT = 5


def digit_classifier(*, seed: int = 0, n_train: int = 10_000, hidden: int = 32, epochs: int = 3,
                     lr: float = 0.01) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Train a small MLP 784-hidden-10 on the first ``n_train`` training images; its test probabilities.

    SGD with momentum 0.9 and learning rate η = ``lr``, mini-batches of 64, standardised pixels
    (``mnist_splits``); about a second on one core. ``seed`` draws the initial weights and the
    batches. A setting trained once is kept: asking again returns copies of the same arrays.

    Returns:
        ``(probs, y)``: the softmax probabilities of the 10 000 test images, (10 000, 10), and their labels.
    """
    if not (is_whole(seed) and is_whole(n_train) and is_whole(hidden) and is_whole(epochs)) \
            or not 1 <= n_train <= 60_000 or hidden < 1 or epochs < 1 or not (is_real(lr) and lr > 0):
        raise ValueError(f"digit_classifier: seed, n_train (1..60000), hidden (>= 1) and epochs (>= 1) must be whole "
                         f"numbers and lr > 0; got seed={seed!r}, n_train={n_train!r}, hidden={hidden!r}, "
                         f"epochs={epochs!r}, lr={lr!r}.")
    probs, y = _trained(int(seed), int(n_train), int(hidden), int(epochs), float(lr))
    return probs.copy(), y.copy()


@functools.cache
def _trained(seed: int, n_train: int, hidden: int, epochs: int, lr: float) -> tuple[NDArray, NDArray]:
    splits = mnist_splits(val_size=0, seed=seed, train_size=n_train)
    rng = np.random.default_rng(seed)
    model = MLP((784, hidden, 10), rng=rng)
    optimizer = SGD(model.parameters(), lr=lr, momentum=0.9)
    fit(model, CrossEntropyLoss(), optimizer, splits.train, epochs=epochs, batch_size=64, rng=rng, progress=False)
    X_test, y_test = splits.test
    probs, _ = softmax_forward(model(X_test).astype(np.float64), axis=1)
    return probs, y_test


def share_of_digit(digit: int = POSITIVE_DIGIT) -> float:
    """The fraction of the 10 000 test images that show ``digit``: what "always no" gets wrong."""
    _, y = load_mnist("test")
    return float(np.mean(y == digit))


def is_digit(probs: ArrayLike, y: ArrayLike, digit: int = POSITIVE_DIGIT) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The binary task "is it ``digit``?": labels 1 (yes) / 0 (no), and the classifier's score, P(digit)."""
    probs, y = np.asarray(probs, dtype=np.float64), np.asarray(y)
    if probs.ndim != 2 or y.shape != (len(probs),) or not (is_whole(digit) and 0 <= digit < probs.shape[1]):
        raise ValueError(f"is_digit expects probs (N, C), labels (N,) and a class in 0..C-1; got {probs.shape}, "
                         f"{y.shape} and digit={digit!r}.")
    return (y == digit).astype(np.int64), probs[:, digit]


def binary_counts(y_true: ArrayLike, scores: ArrayLike, threshold: float) -> NDArray[np.int64]:
    """The 2 × 2 confusion matrix of "positive when score ≥ threshold": [[TN, FP], [FN, TP]]."""
    if not is_real(threshold):
        raise ValueError(f"binary_counts: the threshold must be a real number, got {threshold!r}.")
    flagged = (np.asarray(scores) >= threshold).astype(np.int64)
    return confusion_matrix(np.asarray(y_true).astype(np.int64), flagged, n_classes=2)


def threshold_scores(y_true: ArrayLike, scores: ArrayLike, threshold: float) -> dict[str, float]:
    """Accuracy, precision, recall, F1 and the false positive rate of the positive class at ``threshold``."""
    cm = binary_counts(y_true, scores, threshold)
    precision, recall, f1 = (float(v[1]) for v in precision_recall_f1(cm))
    (tn, fp), _ = cm
    return {"accuracy": float(np.trace(cm) / cm.sum()), "precision": precision, "recall": recall, "f1": f1,
            "fpr": float(fp / max(tn + fp, 1))}


class ThresholdCurves(NamedTuple):
    """Every threshold's point at once: the ROC curve (fpr, tpr) and the precision–recall curve."""

    fpr: NDArray[np.float64]
    tpr: NDArray[np.float64]
    precision: NDArray[np.float64]
    thresholds: NDArray[np.float64]
    auc: float


def threshold_curves(y_true: ArrayLike, scores: ArrayLike) -> ThresholdCurves:
    """The ROC curve (:func:`course_lib.metrics.roc_curve`), the precision at each of its thresholds, the AUC."""
    y = np.asarray(y_true)
    fpr, tpr, thresholds = roc_curve(y, scores)
    tp, fp = tpr * y.sum(), fpr * (len(y) - y.sum())
    # The first point flags nothing: its precision is set to 1, as scikit-learn's precision_recall_curve does, and it
    # is not drawn (threshold_scores, like precision_recall_f1, counts a precision with nothing flagged as 0).
    precision = np.divide(tp, tp + fp, out=np.ones_like(tp), where=tp + fp > 0)
    return ThresholdCurves(fpr, tpr, precision, thresholds, roc_auc(y, scores))


def plot_class_scores(precision: ArrayLike, recall: ArrayLike, f1: ArrayLike, ax: Axes | None = None, *,
                      title: str = "Per-class precision, recall and F1") -> Axes:
    """Three bars per class: precision, recall, F1 (each in [0, 1])."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    values = [np.asarray(v, dtype=float) for v in (precision, recall, f1)]
    classes = np.arange(len(values[0]))
    for k, (name, v) in enumerate(zip(("precision", "recall", "F1"), values)):
        ax.bar(classes + (k - 1) * 0.27, v, width=0.27, label=name)
    low = min(float(np.min(v)) for v in values)
    ax.set(title=title, xlabel="digit (class)", ylabel="score", xticks=classes, ylim=(max(0.0, low - 0.05), 1.0))
    ax.legend(loc="lower right", ncols=3, fontsize=8)
    return ax


_UNIT_TICKS = (0.0, 0.5, 1.0)  # few tick labels: text is most of a redraw's time


def plot_threshold_view(axes: dict[str, Axes], y_true: ArrayLike, scores: ArrayLike, threshold: float,
                        curves: ThresholdCurves | None = None, *, digit: int = POSITIVE_DIGIT) -> dict[str, float]:
    """The decision threshold τ of a binary task, five panels (keys of ``axes``):

    ``scores``: the histograms of the positives' and the negatives' scores, τ as a line; ``counts``:
    the 2 × 2 confusion matrix at τ; ``bars``: accuracy, precision, recall, F1 at τ; ``roc``: the ROC
    curve with τ's point; ``pr``: the precision–recall curve with τ's point. Returns τ's scores.
    To draw the same panels again for another τ or another digit, keep a :class:`ThresholdView`.
    """
    return ThresholdView(axes).show(y_true, scores, threshold, curves, digit=digit)


class ThresholdView:
    """The five panels of :func:`plot_threshold_view`, made once and then changed in place.

    ``ThresholdView(axes)`` makes every line, bar, text and legend of the panels; each
    :meth:`show` writes the numbers of one task and one τ into them. An explorer keeps one view,
    so that a moved slider changes a few numbers instead of building the five panels again (three
    times faster).
    """

    _GROUPS = ((0, "tab:blue"), (1, "tab:orange"))  # the negatives' and the positives' histograms
    _MEASURES = ("accuracy", "precision", "recall", "f1")

    def __init__(self, axes: dict[str, Axes]) -> None:
        self.axes = axes
        for ax in axes.values():  # a title pinned to the top of its axes: unpinned, each draw looks for tick labels above
            ax.set_title("", y=1.0)
        bins = np.linspace(0, 1, 41)
        ax = axes["scores"]
        self.stairs = [ax.stairs(np.ones(40), bins, fill=True, alpha=0.55, color=color, label=" ", baseline=0.5)
                       for _, color in self._GROUPS]  # stairs: one artist per histogram, not 40 bars
        self.tau_line = ax.axvline(0.5, color="k", lw=1.5, label=" ")
        ax.set(yscale="log", xlim=(0, 1), xticks=np.linspace(0, 1, 5), ylabel="images (log scale)")
        ax.yaxis.set_minor_locator(NullLocator())  # a log axis's minor ticks cost half of this panel's drawing
        ax.legend(fontsize=8, loc="upper center")

        ax = axes["counts"]
        self.image = ax.imshow(np.ones((2, 2)), cmap="Blues", norm="log", vmin=1, vmax=2)
        self.cells = [ax.text(j, i, "", ha="center", va="center", fontsize=10) for i in (0, 1) for j in (0, 1)]
        ax.set(xticks=[0, 1], yticks=[0, 1], xlabel="predicted", ylabel="true")

        ax = axes["bars"]
        self.bars = ax.bar(range(4), np.zeros(4), color=["tab:gray", "tab:green", "tab:red", "tab:purple"])
        self.values = [ax.text(k, 0.02, "", ha="center", fontsize=9) for k in range(4)]
        ax.set(xticks=range(4), xticklabels=["accuracy", "precision", "recall", "F1"], ylim=(0, 1.12),
               xlim=(-0.6, 3.6), yticks=_UNIT_TICKS, ylabel="score", title="Scores at τ")
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)

        ax = axes["roc"]
        self.roc = ax.plot([], [], label=" ")[0]
        ax.plot([0, 1], [0, 1], ls=":", color="gray", label="a coin toss")
        self.roc_point = ax.plot([], [], "o", color="crimson", ms=8, label=" ")[0]
        ax.set(xlabel="false positive rate FP / (FP + TN)", ylabel="true positive rate (recall)",
               title="ROC curve", xlim=(-0.02, 1.02), ylim=(-0.02, 1.02), xticks=_UNIT_TICKS, yticks=_UNIT_TICKS)
        ax.legend(fontsize=8, loc="lower right")

        ax = axes["pr"]
        self.pr = ax.plot([], [], label="precision–recall curve")[0]
        self.share = ax.axhline(0.5, ls=":", color="gray", label=" ")
        self.pr_point = ax.plot([], [], "o", color="crimson", ms=8, label=" ")[0]
        ax.set(xlabel="recall", ylabel="precision", title="Precision against recall", xlim=(-0.02, 1.02),
               ylim=(-0.02, 1.02), xticks=_UNIT_TICKS, yticks=_UNIT_TICKS)
        ax.legend(fontsize=8, loc="lower left")

    def show(self, y_true: ArrayLike, scores: ArrayLike, threshold: float, curves: ThresholdCurves | None = None,
             *, digit: int = POSITIVE_DIGIT) -> dict[str, float]:
        """Put the task (labels, scores, ``digit``) and τ into every panel; returns τ's scores."""
        y, s = np.asarray(y_true), np.asarray(scores, dtype=float)
        curves = curves or threshold_curves(y, s)
        at = threshold_scores(y, s, threshold)
        cm = binary_counts(y, s, threshold)
        article = "an" if digit == 8 else "a"
        yes, no = f"{article} {digit}", f"not {article} {digit}"
        tau = f"τ = {threshold:.2f}"

        ax = self.axes["scores"]
        for stairs, (group, _), name in zip(self.stairs, self._GROUPS, (no, yes)):
            stairs.set_data(np.histogram(s[y == group], bins=stairs.get_data().edges)[0])
            stairs.set_label(f"{name} ({int((y == group).sum())})")
        self.tau_line.set(xdata=[threshold, threshold], label=f"threshold {tau}")
        ax.relim()
        ax.autoscale_view()
        ax.set(title=f"The scores: P({digit}) of every test image", xlabel=f"score P({digit})")
        _relabel(ax, [*self.stairs, self.tau_line])

        ax = self.axes["counts"]
        self.image.set(data=cm, clim=(1, max(len(y), 2)))
        for cell, name, n in zip(self.cells, ("TN", "FP", "FN", "TP"), cm.ravel()):
            cell.set(text=f"{name}\n{n}", color="white" if n > np.sqrt(len(y)) else "black")
        ax.set(xticklabels=[no, yes], yticklabels=[no, yes], title=f"Counts at {tau}")

        for bar, text, name in zip(self.bars, self.values, self._MEASURES):
            bar.set_height(at[name])
            text.set(y=at[name] + 0.02, text=f"{at[name]:.3f}")

        self.roc.set(data=(curves.fpr, curves.tpr), label=f"ROC curve (AUC {curves.auc:.3f})")
        self.roc_point.set(data=([at["fpr"]], [at["recall"]]), label=tau)
        _relabel(self.axes["roc"], [self.roc, None, self.roc_point])
        self.pr.set_data(curves.tpr[1:], curves.precision[1:])
        self.share.set(ydata=[y.mean(), y.mean()], label=f"share of {digit}s ({y.mean():.3f})")
        self.pr_point.set(data=([at["recall"]], [at["precision"]]), label=tau)
        _relabel(self.axes["pr"], [None, self.share, self.pr_point])
        return at


def _relabel(ax: Axes, artists: list) -> None:
    """Write the labels of ``artists`` (None: leave that entry) into the entries of ``ax``'s legend, in order."""
    for text, artist in zip(ax.get_legend().get_texts(), artists):
        if artist is not None:
            text.set_text(artist.get_label())


def threshold_figure(figure: Figure | None = None) -> tuple[Figure, dict[str, Axes]]:
    """A figure with the five panels of :func:`plot_threshold_view`, as ``(figure, axes by name)``."""
    from matplotlib.figure import Figure

    figure = figure if figure is not None else Figure(figsize=(12, 6.5), layout="constrained")
    axes = figure.subplot_mosaic([["scores", "scores", "counts", "bars"], ["roc", "roc", "pr", "pr"]])
    return figure, axes
