"""Lesson 09, hyperparameter exploration: small seeded training runs, the learning-rate range test,
grid and random search, and the tables that compare runs.

Everything trains the course's NumPy MLP (``course_lib.numpy_nn``: ``mlp``, the optimizers, ``fit``)
on a fixed, seeded subset of MNIST, small enough that one run takes well under a second on a CPU::

    data = load_subset(n_train=5000, n_val=1000)
    trial = train_trial(DEFAULT_HYPERPARAMETERS.replace(lr=0.1), data)
    trial.val_acc, trial.seconds, trial.diverged

    result = lr_range_test(build_trial_model(DEFAULT_HYPERPARAMETERS), data.train)
    result.suggested_lr                     # a tenth of the learning rate at the loss's minimum

    points = random_points({"lr": LogUniform(1e-3, 1.0), "weight_decay": LogUniform(1e-6, 1e-2)}, 9, seed=0)
    trials = run_trials(points, data)
    print(results_table(trials, ["lr", "weight_decay"]))

A run whose loss blows up does not raise: :func:`train_trial` returns a :class:`Trial` marked
``diverged``, with the epoch and the step where it happened. The same hyperparameters (seed
included) give the same run, number for number.
"""

from __future__ import annotations

import copy
import html
import itertools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from course_lib.data import iterate_minibatches, load_mnist
from course_lib.history import History
from course_lib.numpy_nn.module import Layer, Sequential
from course_lib.numpy_nn.models import MLP
from course_lib.numpy_nn.losses import CrossEntropyLoss
from course_lib.numpy_nn.optimizers import Optimizer
from course_lib.numpy_nn.training import TrainingDivergedError, fit
from course_lib.recipes import Recipe, is_real, is_whole, make_optimizer

__all__ = [
    "BLOWUP_FACTOR",
    "DEFAULT_HYPERPARAMETERS",
    "LRRangeResult",
    "LogUniform",
    "ResultsTable",
    "Subset",
    "TRIAL_FIELDS",
    "Trial",
    "WatchedLoss",
    "build_trial_model",
    "seed_spread",
    "setting",
    "effective_lr",
    "evaluate_on_test_set",
    "grid_points",
    "load_subset",
    "log_uniform",
    "lr_range_test",
    "random_points",
    "range_test_loop",
    "results_table",
    "run_trials",
    "smooth_losses",
    "suggest_lr",
    "to_grid",
    "to_grids_by_seed",
    "train_trial",
]

#: A loss larger than this many times its reference (the run's first loss; the range test's
#: smallest smoothed loss) counts as diverged. The range test's rule, used for training runs too.
BLOWUP_FACTOR = 4.0


# --------------------------------------------------------------------------------------------------
# One run: its recipe, its data, its result
# --------------------------------------------------------------------------------------------------


#: The lesson's starting point, a :class:`~course_lib.recipes.Recipe` for a small run: 784 → H → 10
#: with H = 128 (ReLU, He init), SGD with momentum β = 0.9 at η = 0.05, B = 64, no weight decay and
#: no dropout, 3 epochs at a constant rate. A trial reads lr, batch_size, hidden (one layer),
#: optimizer, momentum, weight_decay, dropout, epochs and seed.
DEFAULT_HYPERPARAMETERS = Recipe(hidden=(128,), optimizer="momentum", lr=0.05, batch_size=64, weight_decay=0.0,
                                 schedule="constant", epochs=3)


#: The fields of a Recipe a trial reads, in the order the lesson introduces them (``hp.describe(TRIAL_FIELDS)``).
TRIAL_FIELDS = ("lr", "batch_size", "hidden", "optimizer", "momentum", "weight_decay", "dropout", "epochs", "seed")


def setting(hp: Recipe, name: str) -> Any:
    """A hyperparameter's value as the lesson writes it: H for the one hidden layer's width, else the field."""
    value = getattr(hp, name)
    return value[0] if name == "hidden" and len(value) == 1 else value


class Subset(NamedTuple):
    """A fixed subset of MNIST's training images: ``train`` and ``val``, each ``(X, y)``, standardised."""

    train: tuple[NDArray, NDArray]
    val: tuple[NDArray, NDArray]


def load_subset(n_train: int = 5000, n_val: int = 1000, *, seed: int = 0, dtype: str = "float32") -> Subset:
    """``n_train`` + ``n_val`` different images drawn (with ``seed``) from MNIST's 60 000 training images.

    Standardised with the training set's statistics as in lesson 07 (``normalize="standard"``).
    The test set is not touched: hyperparameters are chosen on validation accuracy.
    """
    for name, value in (("n_train", n_train), ("n_val", n_val)):
        if not (is_whole(value) and value >= 1):
            raise ValueError(f"load_subset: {name} must be a whole number >= 1, got {value!r}.")
    if n_train + n_val > 60_000:
        raise ValueError(f"load_subset: n_train + n_val = {n_train + n_val} exceeds MNIST's 60 000 training images.")
    X, y = load_mnist("train", normalize="standard", dtype=dtype)
    chosen = np.random.default_rng(seed).permutation(len(X))[: n_train + n_val]
    train, val = chosen[:n_train], chosen[n_train:]
    return Subset((X[train], y[train]), (X[val], y[val]))


def _streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Two independent generators from one seed: the model's (weights, dropout masks) and the shuffle's."""
    model_rng, shuffle_rng = np.random.default_rng(seed).spawn(2)
    return model_rng, shuffle_rng


def build_trial_model(hp: Recipe = DEFAULT_HYPERPARAMETERS, *, dtype: str = "float32") -> Sequential:
    """784 → H → 10 with ReLU, He (Kaiming) normal init and Dropout(p) after the hidden layer if p > 0."""
    model = MLP(hp.sizes, activation="relu", dropout=hp.dropout, init="kaiming_normal",
                rng=_streams(hp.seed)[0])
    return model.astype(dtype)


def effective_lr(lr: float | ArrayLike, momentum: float | ArrayLike) -> float | NDArray:
    """The step size momentum reaches under a constant gradient: η / (1 − β).

    With b ← β b + g and p ← p − η b, a constant g makes b approach g (1 + β + β² + ...) =
    g / (1 − β): β = 0.9 takes ten times the steps plain SGD takes with the same η.
    """
    lr, momentum = np.asarray(lr, dtype=float), np.asarray(momentum, dtype=float)
    if np.any(momentum < 0) or np.any(momentum >= 1):
        raise ValueError(f"momentum β must be in [0, 1); got {momentum}. At β = 1 the velocity never forgets.")
    result = lr / (1.0 - momentum)
    return float(result) if result.ndim == 0 else result


class WatchedLoss:
    """A loss that reports a blow-up to ``fit`` and counts the training steps.

    It passes every call on to ``loss_fn``. During training (``model.training``), a loss above
    ``factor`` × the first training loss is handed to ``fit`` as ``inf``, so that ``fit`` stops
    with its ``TrainingDivergedError``; the real value is kept in ``blowup_loss``. After each
    backward pass ``on_step()`` is called, e.g. to advance a progress bar.
    """

    def __init__(self, loss_fn: Any, model: Layer, *, factor: float = BLOWUP_FACTOR,
                 on_step: Callable[[], None] | None = None) -> None:
        self.loss_fn, self.model, self.factor, self.on_step = loss_fn, model, factor, on_step
        self.first_loss: float | None = None
        self.blowup_loss: float | None = None

    def __call__(self, pred: NDArray, target: NDArray) -> float:
        loss = self.loss_fn(pred, target)
        if self.model.training and np.isfinite(loss):
            if self.first_loss is None:
                self.first_loss = loss
            elif loss > self.factor * self.first_loss:
                self.blowup_loss = loss
                return math.inf
        return loss

    def backward(self) -> NDArray:
        grad = self.loss_fn.backward()
        if self.on_step is not None:
            self.on_step()
        return grad


@dataclass(frozen=True)
class Trial:
    """The outcome of one run: its hyperparameters, its History, its time, and whether it diverged.

    Attributes:
        hp: the run's :class:`~course_lib.recipes.Recipe`.
        history: what ``fit`` recorded (per step: ``loss``, ``lr``; per epoch: train and validation
            loss and accuracy), plus ``weight_norm`` per epoch, ‖W‖ = sqrt(Σ w²) over the weight
            matrices; for a diverged run, everything before the blow-up.
        seconds: wall-clock time of the run.
        steps_per_epoch: ⌈n_train / B⌉.
        diverged_at: ``(epoch, step)`` where the loss blew up, or None. ``step`` counts from the
            start of the run.
        blowup_loss: the loss that counted as a blow-up (``inf`` or ``nan`` when it was not finite).
    """

    hp: Recipe
    history: History
    seconds: float
    steps_per_epoch: int
    diverged_at: tuple[int, int] | None = None
    blowup_loss: float | None = None

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    @property
    def val_acc(self) -> float:
        """Validation accuracy after the last epoch; NaN for a diverged run."""
        return math.nan if self.diverged or len(self.history) == 0 else float(self.history["val_acc"][-1])

    @property
    def val_loss(self) -> float:
        return math.nan if self.diverged or len(self.history) == 0 else float(self.history["val_loss"][-1])

    @property
    def message(self) -> str:
        """One line: the final validation accuracy, or where the run diverged."""
        if self.diverged:
            epoch, step = self.diverged_at
            return f"diverged at epoch {epoch}, step {step}; try a smaller η"
        return f"validation accuracy {self.val_acc:.1%} after {self.hp.epochs} epochs ({self.seconds:.1f} s)"


def train_trial(hp: Recipe, data: Subset, *, on_step: Callable[[], None] | None = None,
                progress: bool = False) -> Trial:
    """Train ``build_trial_model(hp)`` on ``data.train`` with ``numpy_nn.fit``; never raises on divergence.

    A run diverges when a training loss is NaN or infinite, or more than :data:`BLOWUP_FACTOR`
    times the run's first loss. The Trial then says where (``diverged_at``) and keeps the History
    until then. NumPy's overflow warnings are silenced for the run: the blow-up is reported instead.

    Args:
        hp: every setting of the run.
        data: from :func:`load_subset`.
        on_step: called after every training step (a progress bar).
        progress: show ``fit``'s tqdm progress bar.
    """
    if not isinstance(hp, Recipe):
        raise TypeError(f"train_trial expects a Recipe, e.g. DEFAULT_HYPERPARAMETERS.replace(lr=0.1); "
                        f"got {type(hp).__name__}.")
    if not isinstance(data, Subset):
        raise TypeError(f"train_trial expects the data from load_subset(...); got {type(data).__name__}.")
    X = data.train[0]
    model = build_trial_model(hp, dtype=str(X.dtype) if np.issubdtype(X.dtype, np.floating) else "float32")
    optimizer = make_optimizer(hp.optimizer, model.parameters(), lr=hp.lr, momentum=hp.momentum,
                               weight_decay=hp.weight_decay)
    loss_fn = WatchedLoss(CrossEntropyLoss(), model, on_step=on_step)
    norms = _WeightNorm()
    start = time.perf_counter()
    diverged_at, blowup = None, None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        try:
            history = fit(model, loss_fn, optimizer, data.train, val=data.val, epochs=hp.epochs,
                          batch_size=hp.batch_size, rng=_streams(hp.seed)[1], callbacks=[norms], progress=progress)
        except TrainingDivergedError as err:
            history = err.history
            diverged_at = (len(history.epochs) + 1, len(history.steps) + 1)
            blowup = loss_fn.blowup_loss if loss_fn.blowup_loss is not None else math.nan
    seconds = time.perf_counter() - start
    record = history.to_dict()
    for row, norm in zip(record["epochs"], norms.values):
        row["weight_norm"] = norm
    return Trial(hp, History.from_dict(record), seconds, -(-len(X) // hp.batch_size), diverged_at, blowup)


def evaluate_on_test_set(hp: Recipe, data: Subset) -> float:
    """Train ``build_trial_model(hp)`` on ``data.train`` exactly as :func:`train_trial` does (the same
    weights, batches and steps), then return its accuracy on MNIST's 10 000 test images.

    The test set is for the end of a search: call this once, for the configuration chosen on the
    validation set, and do not tune further after seeing its result.
    """
    if not isinstance(hp, Recipe) or not isinstance(data, Subset):
        raise TypeError("evaluate_on_test_set expects a Recipe and the data from load_subset(...).")
    X = data.train[0]
    dtype = str(X.dtype) if np.issubdtype(X.dtype, np.floating) else "float32"
    model = build_trial_model(hp, dtype=dtype)
    optimizer = make_optimizer(hp.optimizer, model.parameters(), lr=hp.lr, momentum=hp.momentum,
                               weight_decay=hp.weight_decay)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        fit(model, CrossEntropyLoss(), optimizer, data.train, val=data.val, epochs=hp.epochs,
            batch_size=hp.batch_size, rng=_streams(hp.seed)[1], callbacks=[_WeightNorm()], progress=False)
        X_test, y_test = load_mnist("test", normalize="standard", dtype=dtype)
        scores = model.eval()(X_test)
    return float(np.mean(np.argmax(scores, axis=1) == y_test))


class _WeightNorm:
    """A ``fit`` callback: ‖W‖ = sqrt(Σ w²) over every weight matrix (not the biases), after each epoch."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, float], model: Any) -> bool:
        weights = [p.data for name, p in model.named_parameters() if name.endswith("weight")]
        self.values.append(float(np.sqrt(sum(np.sum(np.square(w, dtype=np.float64)) for w in weights))))
        return False


# --------------------------------------------------------------------------------------------------
# The learning-rate range test
# --------------------------------------------------------------------------------------------------


class LRRangeResult(NamedTuple):
    """What :func:`lr_range_test` recorded, one entry per step, and the learning rate it suggests.

    Attributes:
        lrs: the learning rate of each step, growing by a constant factor.
        losses: the mini-batch loss of each step (noisy).
        smoothed: the bias-corrected exponential moving average of ``losses``.
        suggested_lr: a tenth of the learning rate at the smoothed loss's minimum (:func:`suggest_lr`).
        min_lr: the learning rate at the smoothed loss's minimum.
        steepest_lr: where the smoothed loss falls fastest against log η (a second reading).
        stop_reason: ``"blow-up"`` (smoothed loss above ``stop_factor`` × its minimum),
            ``"not finite"`` (the loss became NaN or inf) or ``"end"`` (``end_lr`` was reached).
        stop_lr: the learning rate of the step where the test stopped.
    """

    lrs: NDArray
    losses: NDArray
    smoothed: NDArray
    suggested_lr: float
    min_lr: float
    steepest_lr: float
    stop_reason: str
    stop_lr: float


def smooth_losses(losses: ArrayLike, beta: float = 0.98) -> NDArray:
    """Exponential moving average with bias correction (as Adam's moments): a_t = β a_{t−1} + (1 − β) ℓ_t,
    smoothed_t = a_t / (1 − β^t), with a_0 = 0. The correction removes the pull towards 0 at the start."""
    losses = np.asarray(losses, dtype=float)
    if losses.ndim != 1:
        raise ValueError(f"smooth_losses expects a 1-D array of losses, got shape {losses.shape}.")
    if not (is_real(beta) and 0 <= beta < 1):
        raise ValueError(f"beta must be a number in [0, 1), got {beta!r}.")
    average, out = 0.0, np.empty_like(losses)
    for t, loss in enumerate(losses, start=1):
        average = beta * average + (1 - beta) * loss
        out[t - 1] = average / (1 - beta**t)
    return out


def _check_curve(lrs: ArrayLike, losses: ArrayLike, who: str) -> tuple[NDArray, NDArray]:
    lrs, losses = np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)
    if lrs.ndim != 1 or lrs.shape != losses.shape or len(lrs) == 0:
        raise ValueError(f"{who} expects two 1-D arrays of the same non-zero length; got shapes {lrs.shape} and {losses.shape}.")
    if not np.all(np.isfinite(losses)):
        raise ValueError(f"{who}: the losses contain NaN or inf; pass the finite part of the curve.")
    if not np.all(lrs > 0):
        raise ValueError(f"{who}: learning rates must be > 0.")
    return lrs, losses


def suggest_lr(lrs: ArrayLike, smoothed: ArrayLike) -> float:
    """The range test's rule of thumb: a tenth of the learning rate where the smoothed loss is lowest.

    At the minimum the steps are already so large that the loss is about to rise; ten times
    smaller is on the steep, falling part of the curve. A heuristic, not a theorem: check it by
    training with it.
    """
    lrs, smoothed = _check_curve(lrs, smoothed, "suggest_lr")
    return float(lrs[int(np.argmin(smoothed))] / 10)


def _steepest_lr(lrs: NDArray, smoothed: NDArray) -> float:
    """Where d(smoothed loss)/d(log η) is most negative, before the minimum."""
    end = int(np.argmin(smoothed)) + 1
    if end < 3:
        return float(lrs[0])
    slope = np.gradient(smoothed[:end], np.log(lrs[:end]))
    return float(lrs[int(np.argmin(slope))])


def range_test_loop(train_step: Callable[[float], float], start_lr: float, end_lr: float, num_steps: int, *,
                    beta: float = 0.98, stop_factor: float = BLOWUP_FACTOR) -> tuple[NDArray, NDArray]:
    """The loop at the heart of :func:`lr_range_test`, for any ``train_step(lr) -> loss``.

    ``train_step(lr)`` takes one training step with learning rate ``lr`` and returns that step's
    loss. The learning rates grow geometrically from ``start_lr`` to ``end_lr`` in ``num_steps``
    steps; the losses are smoothed as :func:`smooth_losses` does; the loop stops when a loss is
    NaN or infinite (not recorded) or when the smoothed loss exceeds ``stop_factor`` times its
    minimum so far (recorded, then stop). Returns the learning rates tried and the smoothed losses.
    """
    schedule = start_lr * (end_lr / start_lr) ** (np.arange(num_steps) / (num_steps - 1))
    lrs: list[float] = []
    smoothed: list[float] = []
    average = 0.0
    for t, lr in enumerate(schedule, start=1):
        loss = float(train_step(float(lr)))
        if not np.isfinite(loss):
            break
        average = beta * average + (1 - beta) * loss
        lrs.append(float(lr))
        smoothed.append(average / (1 - beta**t))
        if smoothed[-1] > stop_factor * min(smoothed):
            break
    return np.array(lrs), np.array(smoothed)


def lr_range_test(
    model: Layer,
    train: tuple[ArrayLike, ArrayLike],
    *,
    optimizer: str | Callable[[list[Any]], Optimizer] = "momentum",
    loss_fn: Any = None,
    start_lr: float = 1e-5,
    end_lr: float = 10.0,
    num_steps: int = 100,
    batch_size: int = 64,
    beta: float = 0.98,
    stop_factor: float = BLOWUP_FACTOR,
    seed: int = 0,
) -> LRRangeResult:
    """Train a copy of ``model`` for at most ``num_steps`` mini-batches while the learning rate grows
    exponentially from ``start_lr`` to ``end_lr``; record the loss of every step.

    Step t (t = 0, ..., T − 1, T = ``num_steps``) uses η_t = η_start · (η_end / η_start)^{t / (T − 1)}.
    The test stops early, without an exception, when the smoothed loss exceeds ``stop_factor`` ×
    its minimum so far or when the loss is NaN or infinite: divergence is the expected end.
    Smith 2017 ("Cyclical Learning Rates for Training Neural Networks") introduced the range test;
    the exponential schedule, the smoothing and the stopping rule are those popularised by fast.ai.

    Args:
        model: a ``numpy_nn`` model. It is copied; the model passed in is never changed.
        train: ``(X, y)``; mini-batches are drawn from it in a seeded shuffled order, again and
            again if ``num_steps`` exceeds one pass.
        optimizer: a name from ``course_lib.recipes.OPTIMIZERS`` (β = 0.9 for ``"momentum"``), or a function
            ``params -> Optimizer``; its ``lr`` is overwritten at every step.
        loss_fn: a ``numpy_nn.losses`` object; ``CrossEntropyLoss()`` by default.
        start_lr, end_lr: the first and the last learning rate, 0 < start_lr < end_lr.
        num_steps: the most steps, at least 2.
        batch_size: images per step.
        beta: the smoothing factor of :func:`smooth_losses`.
        stop_factor: stop when the smoothed loss exceeds this multiple of its minimum (> 1).
        seed: the batch order (and the dropout masks of the copy are drawn from its own generator).

    Returns:
        An :class:`LRRangeResult`.
    """
    if not isinstance(model, Layer):
        raise TypeError(f"lr_range_test expects a numpy_nn model (a Layer, e.g. build_trial_model(hp)); got {type(model).__name__}.")
    if not (isinstance(train, (tuple, list)) and len(train) == 2):
        raise TypeError(f"train must be a pair (X, y) of arrays; got {type(train).__name__}.")
    if not (is_real(start_lr) and is_real(end_lr) and 0 < start_lr < end_lr):
        raise ValueError(f"lr_range_test needs 0 < start_lr < end_lr, e.g. 1e-5 and 10; got start_lr={start_lr!r}, end_lr={end_lr!r}.")
    if not (is_whole(num_steps) and num_steps >= 2):
        raise ValueError(f"num_steps must be a whole number >= 2, got {num_steps!r}.")
    if not (is_whole(batch_size) and batch_size >= 1):
        raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size!r}.")
    if not (is_real(stop_factor) and stop_factor > 1) and stop_factor != math.inf:
        raise ValueError(f"stop_factor must be a number > 1 (the test stops when the loss exceeds stop_factor × its minimum); got {stop_factor!r}.")
    if not (is_real(beta) and 0 <= beta < 1):
        raise ValueError(f"beta must be a number in [0, 1), got {beta!r}.")
    X, y = np.asarray(train[0]), np.asarray(train[1])
    if len(X) != len(y) or len(X) == 0:
        raise ValueError(f"train: X has {len(X)} samples and y has {len(y)}; pass matching, non-empty arrays.")

    model = copy.deepcopy(model).train()          # the caller's model (and its generators) stay as they were
    opt = (make_optimizer(optimizer, model.parameters(), lr=start_lr, weight_decay=0.0) if isinstance(optimizer, str)
           else optimizer(model.parameters()))
    loss_fn = CrossEntropyLoss() if loss_fn is None else loss_fn
    schedule = start_lr * (end_lr / start_lr) ** (np.arange(num_steps) / (num_steps - 1))
    rng = np.random.default_rng(seed)
    batches = itertools.chain.from_iterable(iterate_minibatches(X, y, batch_size, rng=rng) for _ in itertools.count())
    lrs: list[float] = []
    losses: list[float] = []
    smoothed: list[float] = []
    average, reason, stop_lr = 0.0, "end", float(schedule[-1])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for t, (lr, (Xb, yb)) in enumerate(zip(schedule, batches), start=1):
            opt.lr = float(lr)
            opt.zero_grad()
            loss = float(loss_fn(model(Xb), yb))
            if not np.isfinite(loss):
                reason, stop_lr = "not finite", float(lr)
                break
            average = beta * average + (1 - beta) * loss
            lrs.append(float(lr))
            losses.append(loss)
            smoothed.append(average / (1 - beta**t))
            if smoothed[-1] > stop_factor * min(smoothed):
                reason, stop_lr = "blow-up", float(lr)
                break
            dloss = loss_fn.backward()
            # As in fit: a Sequential need not compute the gradient of the data.
            model.backward(dloss, input_grad=False) if isinstance(model, Sequential) else model.backward(dloss)
            opt.step()
    if not lrs:
        raise ValueError(f"lr_range_test: the very first loss was not finite at η = {start_lr:g}; check the data and the model.")
    lrs_a, losses_a, smoothed_a = np.array(lrs), np.array(losses), np.array(smoothed)
    lowest = int(np.argmin(smoothed_a))
    return LRRangeResult(lrs_a, losses_a, smoothed_a, suggest_lr(lrs_a, smoothed_a), float(lrs_a[lowest]),
                         _steepest_lr(lrs_a, smoothed_a), reason, stop_lr)


# --------------------------------------------------------------------------------------------------
# Search: which runs to try, running them, and the results as a table
# --------------------------------------------------------------------------------------------------


_WHOLE = ("batch_size", "hidden", "epochs", "seed")   # hyperparameters that are whole numbers


class LogUniform(NamedTuple):
    """A range sampled evenly in its logarithm: as many draws between 0.001 and 0.01 as between 0.1 and 1."""

    low: float
    high: float


def log_uniform(low: float, high: float, size: int, rng: np.random.Generator) -> NDArray:
    """``size`` draws x = exp(u), u ~ Uniform(ln low, ln high): uniform over orders of magnitude.

    Bergstra & Bengio 2012 sample learning rates (and other scales) this way: every decade of
    the range gets the same share of the draws.
    """
    if not (is_real(low) and is_real(high) and 0 < low < high):
        raise ValueError(f"log_uniform needs 0 < low < high; got low={low!r}, high={high!r}.")
    if not (is_whole(size) and size >= 0):
        raise ValueError(f"size must be a whole number >= 0, got {size!r}.")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a np.random.Generator, e.g. np.random.default_rng(0); got {type(rng).__name__}.")
    return np.exp(rng.uniform(np.log(low), np.log(high), size=size))


def grid_points(space: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the listed values, the first name varying slowest.

    ``grid_points({"lr": [0.01, 0.1], "batch_size": [32, 64]})`` gives 4 points.
    """
    if not space:
        raise ValueError("grid_points needs at least one hyperparameter, e.g. {'lr': [0.01, 0.1]}.")
    for name, values in space.items():
        if isinstance(values, (str, LogUniform)) or not isinstance(values, Sequence) or len(values) == 0:
            raise ValueError(f"grid_points: {name!r} needs a non-empty list of values, got {values!r}.")
    names = list(space)
    return [dict(zip(names, combination)) for combination in itertools.product(*(space[n] for n in names))]


def random_points(space: Mapping[str, LogUniform | Sequence[Any]], n: int, *, seed: int) -> list[dict[str, Any]]:
    """``n`` points drawn independently: log-uniformly from a :class:`LogUniform`, uniformly from a list.

    The same seed gives the same points. Whole-number hyperparameters (``batch_size``, ``hidden``,
    ``epochs``, ``seed``) drawn from a LogUniform are rounded.
    """
    if not space:
        raise ValueError("random_points needs at least one hyperparameter, e.g. {'lr': LogUniform(1e-3, 1)}.")
    if not (is_whole(n) and n >= 1):
        raise ValueError(f"n must be a whole number >= 1, got {n!r}.")
    rng = np.random.default_rng(seed)
    columns: dict[str, list[Any]] = {}
    for name, spec in space.items():
        if isinstance(spec, LogUniform):
            values = log_uniform(spec.low, spec.high, n, rng)
            columns[name] = [int(round(v)) if name in _WHOLE else float(v) for v in values]
        elif isinstance(spec, Sequence) and not isinstance(spec, str) and len(spec) > 0:
            columns[name] = [spec[i] for i in rng.integers(0, len(spec), size=n)]
        else:
            raise ValueError(f"random_points: {name!r} needs a LogUniform(low, high) or a non-empty list, got {spec!r}.")
    return [{name: columns[name][i] for name in space} for i in range(n)]



def run_trials(points: Sequence[Mapping[str, Any]], data: Subset, *,
               base: Recipe = DEFAULT_HYPERPARAMETERS, progress: bool = True) -> list[Trial]:
    """Train one :func:`train_trial` for each point, ``base.replace(**point)``, with a progress bar."""
    from tqdm.auto import tqdm

    settings = [base.replace(**point) for point in points]   # a typo in a name fails before any training
    return [train_trial(hp, data) for hp in tqdm(settings, desc="runs", unit="run", disable=not progress)]


def to_grid(trials: Sequence[Trial], rows: str, cols: str, value: str = "val_acc") -> tuple[NDArray, list[Any], list[Any]]:
    """Arrange trials of a grid search as a table: ``(values, row_values, col_values)``.

    ``values[i, j]`` is the ``value`` (a Trial property, e.g. ``"val_acc"``) of the trial with
    ``rows = row_values[i]`` and ``cols = col_values[j]``; NaN where none was run (or it diverged).
    """
    row_values = sorted({setting(t.hp, rows) for t in trials})
    col_values = sorted({setting(t.hp, cols) for t in trials})
    values = np.full((len(row_values), len(col_values)), np.nan)
    for t in trials:
        values[row_values.index(setting(t.hp, rows)), col_values.index(setting(t.hp, cols))] = getattr(t, value)
    return values, row_values, col_values


def to_grids_by_seed(trials: Sequence[Trial], rows: str, cols: str, seeds: Sequence[int],
                     value: str = "val_acc") -> tuple[NDArray, list[Any], list[Any]]:
    """:func:`to_grid` once per seed: ``values[k]`` is the grid of the trials run with ``seeds[k]``.

    Shape: ``(len(seeds), len(row_values), len(col_values))``; NaN where a run diverged.
    """
    _, row_values, col_values = to_grid(trials, rows, cols, value)
    grids = []
    for seed in seeds:
        mine = [t for t in trials if t.hp.seed == seed]
        grid, r, c = to_grid(mine, rows, cols, value)
        if (r, c) != (row_values, col_values) or len(mine) != len(r) * len(c):
            raise ValueError(f"to_grids_by_seed: the runs with seed {seed} do not cover the same grid as the others, one run per cell.")
        grids.append(grid)
    return np.stack(grids), row_values, col_values


def seed_spread(values: ArrayLike) -> str:
    """Values of one setting over seeds, in words: ``"mean 90.1 % (89.6–90.7)"``; a value that is NaN
    (a diverged run) is counted, never averaged: ``"diverged with 2 of 3 seeds"``."""
    values = np.asarray(values, dtype=float)
    failed = int(np.isnan(values).sum())
    if failed:
        return f"diverged with {failed} of {values.size} seeds"
    if values.size == 1:
        return f"{100 * values[0]:.1f} % (one seed)"
    return f"mean {100 * values.mean():.1f} % ({100 * values.min():.1f}–{100 * values.max():.1f})"


_SYMBOLS = {"lr": "η", "batch_size": "B", "hidden": "H", "optimizer": "optimizer", "momentum": "β",
            "weight_decay": "λ", "dropout": "p", "epochs": "epochs", "seed": "seed"}


def _format(name: str, value: Any) -> str:
    if isinstance(value, float):
        return "0" if value == 0 else f"{value:.3g}" if name in ("lr", "weight_decay") else f"{value:g}"
    return str(value)


class ResultsTable:
    """Runs side by side: one row per run, the chosen hyperparameters, validation accuracy, seconds.

    Prints as aligned text (``print(table)``) and shows as HTML in a notebook; the best run
    (highest validation accuracy) is marked with ★ and, in HTML, highlighted. ``rows`` holds
    the cells as strings, ``best`` the index of the best row (None if every run diverged).
    """

    def __init__(self, trials: Sequence[Trial], columns: Sequence[str], *, numbers: Sequence[int] | None = None) -> None:
        self.trials = list(trials)
        numbers = list(numbers) if numbers is not None else list(range(1, len(self.trials) + 1))
        self.header = ["#", *(_SYMBOLS.get(c, c) for c in columns), "val acc", "seconds"]
        accuracies = np.array([t.val_acc for t in self.trials]) if self.trials else np.array([])
        finite = np.isfinite(accuracies)
        self.best = int(np.flatnonzero(finite)[np.argmax(accuracies[finite])]) if finite.any() else None
        self.rows = []
        for i, (number, trial) in enumerate(zip(numbers, self.trials)):
            if trial.diverged:
                result = "diverged (epoch {}, step {})".format(*trial.diverged_at)
            else:
                result = f"{trial.val_acc:.1%}" + (" ★" if i == self.best else "")
            self.rows.append([str(number), *(_format(c, setting(trial.hp, c)) for c in columns), result,
                              f"{trial.seconds:.2f}"])

    def __len__(self) -> int:
        return len(self.rows)

    def __str__(self) -> str:
        widths = [max(len(r[i]) for r in [self.header, *self.rows]) for i in range(len(self.header))]
        lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in [self.header, *self.rows]]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def to_html(self) -> str:
        head = "".join(f"<th style='padding:2px 8px'>{html.escape(h)}</th>" for h in self.header)
        body = []
        for i, row in enumerate(self.rows):
            style = " style='background:#fff3b0;font-weight:bold'" if i == self.best else ""
            cells = "".join(f"<td style='padding:2px 8px;text-align:right'>{html.escape(c)}</td>" for c in row)
            body.append(f"<tr{style}>{cells}</tr>")
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return str(self)


def results_table(trials: Sequence[Trial], columns: Sequence[str] = ("lr", "weight_decay")) -> ResultsTable:
    """A :class:`ResultsTable` of ``trials`` showing the hyperparameters named in ``columns``."""
    unknown = [c for c in columns if c not in _SYMBOLS]
    if unknown:
        raise ValueError(f"results_table: unknown column(s) {unknown}; choose from {list(_SYMBOLS)}.")
    return ResultsTable(trials, columns)
