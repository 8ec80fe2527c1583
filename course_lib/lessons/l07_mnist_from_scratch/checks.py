"""Self-checks of lesson 07, MNIST from scratch: one epoch of mini-batch training, standardising
with the training statistics, accuracy from logits, and the confusion matrix."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from course_lib.ui.checks import Harness, Hints, close, diagnose
from course_lib.ui.predictions import Prediction
from course_lib.data import iterate_minibatches, load_mnist
from course_lib.metrics import accuracy, confusion_matrix
from course_lib.numpy_nn.losses import CrossEntropyLoss
from course_lib.numpy_nn.models import MLP
from course_lib.numpy_nn.optimizers import SGD

__all__ = ["check_accuracy", "check_confusion_matrix", "check_standardise", "check_train_one_epoch", "epoch_setup",
           "predict_untrained_loss", "untrained_loss"]


def untrained_loss() -> float:
    """The mean cross-entropy of the lesson's untrained network (DEFAULT_RECIPE) on its validation images."""
    from course_lib.lessons.l07_mnist_from_scratch.mnist_mlp import DEFAULT_RECIPE, build_model, evaluate_model
    from course_lib.recipes import load_splits

    X_val, y_val = load_splits(DEFAULT_RECIPE).val
    _, probs = evaluate_model(build_model(DEFAULT_RECIPE), X_val)
    return float(-np.mean(np.log(probs[np.arange(len(y_val)), y_val])))


# The truth is seed 0's network (3.84); seeds 1 and 2 give 3.16 and 3.25, and 20 % around 3.84 covers all three,
# so a guess is judged on the reasoning (He's scale makes it confident), not on the draw.
predict_untrained_loss = Prediction(
    "the mean cross-entropy loss of the untrained network on the 5 000 validation images", truth=untrained_loss,
    rtol=0.2,
)


# Float32 work in the learner's code rounds more than float64: a looser tolerance than core.close's default.
TOL = {"rtol": 1e-5, "atol": 1e-6}


def epoch_setup(seed: int = 0, n: int = 45):
    """A small network with dropout in *evaluation* mode, its loss and optimizer, data, and a generator.

    Every call with the same seed gives the same starting point, so two epochs can be compared.
    Returns ``(model, loss_fn, optimizer, X, y, rng)``.
    """
    data = np.random.default_rng(100 + seed)
    X, y = data.normal(size=(n, 12)), data.integers(0, 3, size=n)
    model = MLP((12, 16, 3), dropout=0.25, rng=np.random.default_rng(seed)).eval()
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    return model, CrossEntropyLoss(), optimizer, X, y, np.random.default_rng(seed + 1)


def _replay(seed: int, batch_size: int, *, shuffle: bool = True, zero_grad: bool = True, drop_last: bool = False,
            train: bool = True, learn: bool = True) -> tuple[np.ndarray, list[np.ndarray]]:
    """One epoch of ``numpy_nn.fit``'s loop on :func:`epoch_setup`, or a typical mistake in it (a flag off):
    the per-batch losses and the weights after the epoch."""
    model, loss_fn, optimizer, X, y, rng = epoch_setup(seed)
    model.train(train)
    losses = []
    for Xb, yb in iterate_minibatches(X, y, batch_size, rng=rng, shuffle=shuffle, drop_last=drop_last):
        if zero_grad:
            optimizer.zero_grad()
        losses.append(loss_fn(model(Xb), yb))
        model.backward(loss_fn.backward())
        if learn:
            optimizer.step()
    return np.array(losses), [p.data.copy() for p in model.parameters()]


def check_train_one_epoch(train_one_epoch: Callable) -> None:
    """``train_one_epoch(model, loss_fn, optimizer, X, y, batch_size, rng)`` must run one epoch of
    ``numpy_nn.fit``'s loop and return the loss of every mini-batch."""
    hints = Hints(
        task="Train the model for one epoch: put it in training mode, visit the rows of X in one random order drawn "
             "from rng, and for every mini-batch of batch_size rows (the last one may be smaller) take one optimizer "
             "step. Return the list of the mini-batches' losses.",
        idea="One epoch visits every training example once, in a fresh random order, a mini-batch at a time. Each "
             "step is forward, loss, backward (which leaves each weight's gradient on it) and the optimizer's "
             "update. Dropout works only in training mode, so the epoch switches it on first.",
        formula="model.train(); order = a permutation of the N row indices drawn from rng; for each slice of "
                "batch_size indices of it: clear the gradients, loss = loss_fn(model(X_b), y_b), send loss_fn's "
                "gradient backward through the model, optimizer step, keep the loss.",
        code="`model.train()`, `order = rng.permutation(len(X))`, then for `start in range(0, len(X), batch_size)` "
             "with `batch = order[start:start + batch_size]`: `optimizer.zero_grad()`, "
             "`loss = loss_fn(model(X[batch]), y[batch])`, `model.backward(loss_fn.backward())`, `optimizer.step()`, "
             "`losses.append(loss)`.",
    )
    cases = [(0, 8), (1, 10), (2, 45)]  # 45 rows: a short last batch of 5, then of 5, then one full batch
    with Harness(train_one_epoch, hints) as harness:
        for seed, batch_size in cases:
            model, loss_fn, optimizer, X, y, rng = epoch_setup(seed)
            args = (model, loss_fn, optimizer, X, y, batch_size, rng)
            answer = harness.call(*args, shared=(0, 1, 2, 6))
            expected, weights = _replay(seed, batch_size)
            lead = "return the list of the mini-batches' losses, one number per step."
            got = answer.numbers(expected, lead=lead)
            if got.ndim != 1:
                answer.array(expected, lead=lead)  # refuses the shape, saying what came
            if len(got) == len(X) // batch_size and len(got) < len(expected):
                harness.fail(args, got, expected, why="the last, smaller mini-batch is missing: one epoch visits "
                             f"every row, so {len(X)} rows in batches of {batch_size} make {len(expected)} steps.")
            if len(got) != len(expected):
                harness.fail(args, got, expected, why=f"an epoch of {len(X)} rows in batches of {batch_size} takes "
                             f"{len(expected)} steps, one loss each; this returned {len(got)} numbers.")
            mistakes = [
                (_replay(seed, batch_size, shuffle=False)[0],
                 "the mini-batches are the rows in their stored order: draw a fresh random order of the rows from rng "
                 "for every epoch, so that the batches differ from epoch to epoch (and the check can replay yours)."),
                (_replay(seed, batch_size, train=False)[0],
                 "the model stays in evaluation mode, so its dropout is off during training: switch the model to "
                 "training mode at the start of the epoch (an evaluation before may have left it in eval mode)."),
                (_replay(seed, batch_size, zero_grad=False)[0],
                 "the gradients are never cleared: backward adds each batch's gradient to the one already stored on "
                 "a weight (as in torch), so from the second step on every update follows the sum of all earlier "
                 "batches' gradients. Clear the gradients at the start of every step, before the forward pass."),
                (_replay(seed, batch_size, learn=False)[0],
                 "the weights never change: every step must end with the optimizer's update, after backward and "
                 "before the next batch's gradients are zeroed."),
            ]
            if not close(got, expected, **TOL):
                harness.fail(args, got, expected, why=diagnose(got, mistakes, "", **TOL))
            after = [p.data for p in model.parameters()]
            if not all(close(a, w, **TOL) for a, w in zip(after, weights)):
                harness.fail(args, "the model's weights after the epoch", "the weights after one step per batch",
                             why="the losses are right but the weights are not: the last batch's step is missing.")
        harness.passed(len(cases))


def check_standardise(standardise: Callable[[NDArray, NDArray], NDArray]) -> None:
    """``standardise(X_train, X)`` must return (X − μ) / σ with μ, σ the mean and std of all training pixels."""
    hints = Hints(
        task="Return X standardised with the training set's statistics: shifted by the mean and divided by the "
             "(population) standard deviation of all pixels of X_train.",
        idea="Standardise with two numbers taken from the training images alone, over all their pixels. Every other "
             "set is shifted and scaled by the same two numbers, so that a pixel value means the same in training "
             "and in testing.",
        formula="μ = mean of all pixels of X_train, σ = their standard deviation; return (X − μ) / σ.",
        code="`mu, sigma = X_train.mean(), X_train.std()`, then return `(X - mu) / sigma`.",
    )
    X_train, _ = load_mnist("train", normalize="unit")
    X_test, _ = load_mnist("test", normalize="unit")
    rng = np.random.default_rng(7)
    small_train = rng.uniform(0, 1, size=(6, 4))
    brighter = 0.5 + 0.5 * rng.uniform(0, 1, size=(3, 4))  # another set whose own mean and std differ
    cases = [(small_train, brighter), (small_train, small_train), (X_train[:2000], X_test[:500])]
    with Harness(standardise, hints) as harness:
        for X_tr, X in cases:
            answer = harness.call(X_tr, X)
            mu, sigma = X_tr.mean(), X_tr.std()
            expected = (X - mu) / sigma
            got = answer.array(expected)
            if close(got, expected, **TOL):
                continue
            per_pixel = (X - X_tr.mean(axis=0)) / X_tr.std(axis=0)  # 0/0 at the border: the harness silences the warning
            mistakes = [
                ((X - X.mean()) / X.std(),
                 "these are X's own mean and std. A network learns what a standardised *training* image looks "
                 "like; another set must be transformed by the same μ and σ, or the same pixel value would "
                 "mean different things in training and in testing (and one test image alone has no std to speak of)."),
                (X - mu, "the result is centred but not scaled: divide by the training std σ as well."),
                (X / sigma, "the result is scaled but not centred: subtract the training mean μ first."),
                ((X - mu) / sigma**2, "divide by the standard deviation σ, not by the variance σ²."),
                ((X - mu) / X_tr.std(ddof=1),
                 "this σ is the sample standard deviation, which divides the sum of squares by N − 1. Standardising "
                 "uses the population standard deviation of the training pixels, which divides by N: the mean "
                 "square distance from μ, then its square root."),
                (per_pixel,
                 "these are per-pixel statistics (axis=0). Pixels at the border are 0 in every training image, "
                 "so their std is 0 and dividing by it gives NaN or inf. Use one μ and one σ over all pixels."),
            ]
            answer.fail(expected, why=diagnose(got, mistakes, "", **TOL))
        # The training statistics of the full set are the constants load_mnist(normalize="standard") uses.
        answer = harness.call(X_train, X_test[:100])
        reference = load_mnist("test", normalize="standard")[0][:100]
        if not close(answer.array(reference), reference, rtol=0, atol=1e-3):
            answer.fail(reference)
        harness.passed(len(cases) + 1)


def check_accuracy(accuracy_fn: Callable[[NDArray, NDArray], float]) -> None:
    """``accuracy(logits, y)`` must return the fraction of rows whose largest logit is at the label."""
    hints = Hints(
        task="Return the fraction of rows whose largest logit sits at the row's label, one number between 0 and 1.",
        idea="A classifier predicts, for each row, the class with the largest score, found along the row's classes "
             "(axis=1); the accuracy is the share of rows where that prediction equals the label.",
        formula="ŷᵢ = argmax_c logits[i, c], and accuracy = (1/N)·Σᵢ [ŷᵢ = yᵢ], a number in [0, 1].",
        code="`logits.argmax(axis=1)` gives each row's predicted digit; compare it with y and take the mean of the "
             "True/False values: `float(np.mean(logits.argmax(axis=1) == y))`.",
    )
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(200, 10))
    y = np.where(rng.uniform(size=200) < 0.7, logits.argmax(axis=1), rng.integers(0, 10, size=200))
    cases = [
        (np.array([[2.0, 1.0, 0.1], [0.0, 3.0, 1.0], [1.0, 0.0, 5.0], [4.0, 0.0, 1.0]]), np.array([0, 2, 2, 0])),
        (np.array([[-1.0, -3.0], [-2.0, -0.5]]), np.array([1, 0])),  # all logits negative, every prediction wrong
        (logits, y),
    ]
    with Harness(accuracy_fn, hints) as harness:
        for scores, labels in cases:
            answer = harness.call(scores, labels)
            expected = accuracy(scores.argmax(axis=1), labels)
            got = answer.number(expected, lead="return one number, the fraction of correct rows.")
            if np.isclose(got, expected, rtol=0, atol=1e-9):
                continue
            correct = int(np.sum(scores.argmax(axis=1) == labels))
            if np.isclose(got, correct) and correct != expected:
                answer.fail(expected, why=f"that is the number of correct rows ({correct}); divide by "
                            f"the number of rows ({len(labels)}) to get a fraction between 0 and 1.")
            if np.isclose(got, 100 * expected) and expected != 0:
                answer.fail(expected, why="that is a percentage; return the fraction between 0 and 1.")
            answer.fail(expected)
        harness.passed(len(cases))


def check_confusion_matrix(confusion_matrix_fn: Callable[[NDArray, NDArray], NDArray]) -> None:
    """``confusion_matrix(y_true, y_pred)`` must return the 10 x 10 counts, row = true digit, column = predicted."""
    hints = Hints(
        task="Return the 10 x 10 confusion matrix, whose entry [i, j] counts the examples of true digit i "
             "predicted as j.",
        idea="A confusion matrix has a row for every digit and a column for every digit, all ten even if some never "
             "occur: the row is the true digit, the column the predicted one, and every example adds 1 to the cell "
             "of its pair.",
        formula="C[i, j] = the number of examples n with yₙ = i and ŷₙ = j, for i, j = 0, …, 9.",
        code="start from `cm = np.zeros((10, 10), dtype=int)` and add 1 to `cm[t, p]` for every pair (t, p) in "
             "`zip(y_true, y_pred)`. `np.add.at(cm, (y_true, y_pred), 1)` does it without a loop.",
    )
    rng = np.random.default_rng(5)
    y_true = rng.integers(0, 10, size=500)
    y_pred = np.where(rng.uniform(size=500) < 0.8, y_true, rng.integers(0, 10, size=500))
    cases = [
        (np.array([3, 3, 5, 7]), np.array([3, 5, 5, 1])),  # 3 → 5 once but never 5 → 3: the order matters
        (np.array([0, 1, 2, 2]), np.array([0, 2, 2, 2])),  # digits 3..9 never occur
        (y_true, y_pred),
    ]
    with Harness(confusion_matrix_fn, hints) as harness:
        for t, p in cases:
            answer = harness.call(t, p)
            expected = confusion_matrix(t, p)
            answer.numbers(expected, lead="return a 10 x 10 array of counts.")
            got = answer.array(expected, lead=f"the matrix must be 10 x 10 whatever digits occur; got shape {np.shape(answer.got)}.")
            if close(got, expected, rtol=0, atol=0):
                continue
            if close(got, expected.T, rtol=0, atol=0):
                answer.fail(expected, why="rows and columns are swapped: cm[i, j] counts "
                            "true digit i predicted as j, so the *row* index is the true label.")
            answer.fail(expected)
        harness.passed(len(cases))
