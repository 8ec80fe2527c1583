"""Gradient descent on the simplest model there is: a straight line fitted by least squares.

The model predicts ŷ = w·x + b from one input x, with two parameters θ = (w, b): the slope w
(the weight) and the intercept b (the bias). Its loss on N examples is half the mean squared error,

    J(w, b) = 1/(2N) · Σ_i (w·x_i + b − y_i)²,

where the ½ is a convention that cancels the 2 of the derivative. (``numpy_nn.MSELoss`` and
``torch.nn.MSELoss`` leave it out: their loss and gradient are exactly twice these.) The gradient is

    ∂J/∂w = (1/N) · Σ_i r_i · x_i,      ∂J/∂b = (1/N) · Σ_i r_i,      r_i = w·x_i + b − y_i,

and gradient descent repeats θ ← θ − η·∇J(θ) with the learning rate η (eta) > 0 (Cauchy, 1847).

J is a quadratic bowl whose curvature, the Hessian H = [[mean(x²), mean(x)], [mean(x), 1]], does
not depend on θ or y. Along an eigenvector of H with eigenvalue λ the distance to the minimum is
multiplied by (1 − η·λ) at every step, so full-batch descent converges exactly when
0 < η < 2/λ_max and diverges when η > 2/λ_max (LeCun, Bottou, Orr & Müller, "Efficient BackProp",
1998, section 5).

Everything here is plain NumPy on arrays shaped like the course's data sets: X: (N, 1), y: (N,).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from course_lib.data import iterate_minibatches

__all__ = [
    "DIVERGENCE_FACTOR",
    "DescentResult",
    "LossGrid",
    "critical_learning_rate",
    "gradient_descent",
    "least_squares",
    "linear_gradient",
    "linear_hessian",
    "linear_loss",
    "loss_grid",
    "make_uniform_noise_regression",
    "mean_residual_descent",
]

# A run is declared diverged once its loss exceeds this multiple of its starting loss (or is inf/nan).
DIVERGENCE_FACTOR = 1e12

StopReason = Literal["max_steps", "gradient_norm", "loss_change", "diverged"]


# ---- validation ------------------------------------------------------------------------------


def _as_data(X: ArrayLike, y: ArrayLike, caller: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return x as a flat (N,) float array and y as (N,), or raise a message that says what to pass."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if X.ndim == 2 and X.shape[1] == 1:
        x = X[:, 0]
    elif X.ndim == 1:
        x = X
    else:
        raise ValueError(
            f"{caller} fits a line to one input feature: X must have shape (N, 1) or (N,), got "
            f"{X.shape}. The course's make_linear_regression returns X of shape (N, 1)."
        )
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{caller}: y must have shape (N,) (one target per example), got {y.shape}.")
    if len(x) != len(y):
        raise ValueError(f"{caller}: X and y need one row per example; X has {len(x)} rows, y has {len(y)}.")
    if len(x) == 0:
        raise ValueError(f"{caller}: the data set is empty; pass at least one example.")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError(f"{caller}: X and y must be finite numbers; they contain NaN or inf.")
    return x, y


def _as_scalar(value: object, name: str, caller: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TypeError(f"{caller}: {name} must be a single number, got {value!r}.") from None
    return number


def _check_positive(value: object, name: str, caller: str) -> float:
    number = _as_scalar(value, name, caller)
    if not (np.isfinite(number) and number > 0):
        raise ValueError(f"{caller}: {name} must be a finite number > 0, got {value!r}.")
    return number


def _check_whole(value: object, name: str, caller: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{caller}: {name} must be a whole number >= {minimum}, got {value!r}.")
    return int(value)


# ---- the loss and its derivatives ------------------------------------------------------------


def linear_loss(w: float, b: float, X: ArrayLike, y: ArrayLike) -> float:
    """Half the mean squared error of the line ŷ = w·x + b: J = 1/(2N) · Σ (w·x_i + b − y_i)².

    Shape: X: (N, 1) or (N,), y: (N,) -> a float.
    """
    x, y = _as_data(X, y, "linear_loss")
    residual = w * x + b - y
    return float(0.5 * np.mean(residual**2))


def linear_gradient(w: float, b: float, X: ArrayLike, y: ArrayLike) -> tuple[float, float]:
    """The gradient of :func:`linear_loss`: (∂J/∂w, ∂J/∂b) = (mean(r·x), mean(r)), r = w·x + b − y.

    Each residual r_i reaches the loss through the square, whose derivative 2·r_i cancels the ½;
    the chain rule then multiplies by ∂r_i/∂w = x_i for the slope and by ∂r_i/∂b = 1 for the bias.

    Returns:
        (dw, db), two floats.
    Shape: X: (N, 1) or (N,), y: (N,).
    """
    x, y = _as_data(X, y, "linear_gradient")
    residual = w * x + b - y
    return float(np.mean(residual * x)), float(np.mean(residual))


def linear_hessian(X: ArrayLike) -> NDArray[np.float64]:
    """The matrix of second derivatives of J, H = [[mean(x²), mean(x)], [mean(x), 1]].

    J is quadratic in (w, b), so H is the same at every point and does not depend on y.

    Shape: X: (N, 1) or (N,) -> (2, 2), ordered (w, b).
    """
    x, _ = _as_data(X, np.zeros(np.shape(X)[0]), "linear_hessian")
    return np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])


def critical_learning_rate(X: ArrayLike) -> float:
    """The learning rate above which full-batch gradient descent on J diverges: 2 / λ_max(H).

    Below it every direction shrinks by |1 − η·λ| < 1 per step; above it the direction of the
    largest eigenvalue grows by |1 − η·λ_max| > 1 per step.
    """
    largest = float(np.linalg.eigvalsh(linear_hessian(X))[-1])  # eigvalsh sorts ascending
    return 2.0 / largest


def least_squares(X: ArrayLike, y: ArrayLike) -> tuple[float, float]:
    """The exact minimiser (w*, b*) of J, solved in one go (Legendre, 1805): the target of descent."""
    x, y = _as_data(X, y, "least_squares")
    design = np.column_stack([x, np.ones_like(x)])
    (w, b), *_ = np.linalg.lstsq(design, y, rcond=None)
    return float(w), float(b)


class LossGrid(NamedTuple):
    """J evaluated on a rectangle of (w, b) values, ready for ``ax.contour(grid.w, grid.b, grid.loss)``.

    Shape: w: (n,), b: (n,), loss: (n, n) with loss[i, j] = J(w[j], b[i]) (rows follow b).
    """

    w: NDArray[np.float64]
    b: NDArray[np.float64]
    loss: NDArray[np.float64]


def loss_grid(
    X: ArrayLike, y: ArrayLike, w_range: tuple[float, float], b_range: tuple[float, float], n: int = 101
) -> LossGrid:
    """Evaluate J(w, b) on an n × n grid spanning ``w_range`` × ``b_range`` (ends included)."""
    x, y = _as_data(X, y, "loss_grid")
    n = _check_whole(n, "n", "loss_grid", 2)
    for name, (low, high) in (("w_range", w_range), ("b_range", b_range)):
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise ValueError(f"loss_grid: {name} must be (low, high) with low < high, got {(low, high)}.")
    w = np.linspace(*w_range, n)
    b = np.linspace(*b_range, n)
    # Broadcast to (n_b, n_w, N): every grid point against every example, then average over examples.
    residual = w[None, :, None] * x + b[:, None, None] - y
    return LossGrid(w, b, 0.5 * np.mean(residual**2, axis=-1))


# ---- gradient descent ------------------------------------------------------------------------


@dataclass(frozen=True)
class DescentResult:
    """What one run of :func:`gradient_descent` did, step by step.

    Attributes:
        path: (w, b) before the first step and after every step, shape (steps + 1, 2).
        losses: J on the whole data set at every point of the path, shape (steps + 1,).
        grad_norms: ‖∇J‖ on the whole data set at every point of the path, shape (steps + 1,).
        stopped_because: "max_steps" (ran all its steps), "gradient_norm" or "loss_change" (the
            convergence rule fired), or "diverged" (the loss became inf/nan or grew past
            DIVERGENCE_FACTOR times its start; the last point of the path is where it was caught).
        batch_size: examples used per step (N for full-batch descent).
    """

    path: NDArray[np.float64]
    losses: NDArray[np.float64]
    grad_norms: NDArray[np.float64]
    stopped_because: StopReason
    batch_size: int

    @property
    def diverged(self) -> bool:
        return self.stopped_because == "diverged"

    @property
    def loss_grew(self) -> bool:
        """Whether the loss ended above where it started: a sign of a too-large learning rate."""
        return bool(not np.isfinite(self.losses[-1]) or self.losses[-1] > self.losses[0])

    @property
    def converged(self) -> bool:
        return self.stopped_because in ("gradient_norm", "loss_change")

    @property
    def steps(self) -> int:
        """How many updates were made."""
        return len(self.path) - 1

    @property
    def w(self) -> float:
        return float(self.path[-1, 0])

    @property
    def b(self) -> float:
        return float(self.path[-1, 1])

    @property
    def examples_seen(self) -> NDArray[np.int64]:
        """Examples processed before each point of the path (a fair clock across batch sizes)."""
        return np.arange(len(self.path)) * self.batch_size


def _full_loss_and_grad_norm(w: float, b: float, x: NDArray, y: NDArray) -> tuple[float, float]:
    residual = w * x + b - y
    return float(0.5 * np.mean(residual**2)), float(np.hypot(np.mean(residual * x), np.mean(residual)))


def _batches(x: NDArray, y: NDArray, batch_size: int | None, rng: np.random.Generator | None):
    """An endless stream of (x_batch, y_batch): the whole set, or epoch after epoch of shuffled batches."""
    while True:
        if batch_size is None:
            yield x, y
        else:
            yield from iterate_minibatches(x, y, batch_size, rng=rng)


def gradient_descent(
    X: ArrayLike,
    y: ArrayLike,
    *,
    lr: float,
    steps: int,
    batch_size: int | None = None,
    rng: np.random.Generator | None = None,
    start: tuple[float, float] = (0.0, 0.0),
    tol: float | None = None,
    criterion: Literal["gradient_norm", "loss_change"] = "gradient_norm",
    fit_bias: bool = True,
) -> DescentResult:
    """Fit ŷ = w·x + b by gradient descent on J, one update θ ← θ − η·∇J_batch(θ) per step.

    - batch_size=None: full-batch gradient descent, the gradient of J on all N examples.
    - batch_size=1: stochastic gradient descent (Robbins & Monro, 1951), one example per step.
    - batch_size=B: mini-batch descent on B examples per step.
    With a batch size, each epoch visits the examples once in a fresh order drawn from ``rng``
    (:func:`course_lib.data.iterate_minibatches`; the last batch of an epoch may be smaller).

    Convergence (checked on the whole data set after every step, only when ``tol`` is given):
    - "gradient_norm": stop when ‖∇J(θ)‖ < tol (at a minimum the gradient is zero);
    - "loss_change": stop when |J_t − J_(t−1)| / J_(t−1) < tol (the loss has stopped moving).
    Divergence is detected, not raised: the run stops when J becomes inf/nan or exceeds
    DIVERGENCE_FACTOR × J at the start, and the result says ``stopped_because="diverged"``.

    Args:
        lr: the learning rate η > 0.
        steps: the most updates to make (>= 0).
        batch_size: examples per step, 1..N, or None for all of them.
        rng: the generator that shuffles the examples; required when batch_size < N.
        start: the starting point (w, b).
        tol: the tolerance of the convergence rule, or None to always run ``steps`` steps.
        criterion: which convergence rule ``tol`` applies to.
        fit_bias: with False, b stays at start[1] and only w learns (a line through (0, b)).

    Shape: X: (N, 1) or (N,), y: (N,).
    """
    caller = "gradient_descent"
    x, y = _as_data(X, y, caller)
    n = len(x)
    lr = _check_positive(lr, "lr", caller)
    steps = _check_whole(steps, "steps", caller, 0)
    if batch_size is not None:
        batch_size = _check_whole(batch_size, "batch_size", caller, 1)
        if batch_size > n:
            raise ValueError(f"{caller}: batch_size must be at most the number of examples, {n}; got {batch_size}.")
        if batch_size == n:
            batch_size = None  # every batch is the whole set: plain full-batch descent
        elif not isinstance(rng, np.random.Generator):
            raise ValueError(
                f"{caller}: batch_size={batch_size} draws random batches, so pass rng, a "
                f"np.random.Generator (e.g. rng = seed_everything(0)); got rng={rng!r}."
            )
    if tol is not None:
        tol = _check_positive(tol, "tol", caller)
    if criterion not in ("gradient_norm", "loss_change"):
        raise ValueError(f"{caller}: criterion must be 'gradient_norm' or 'loss_change', got {criterion!r}.")
    if len(start) != 2:
        raise ValueError(f"{caller}: start must be a pair (w, b), got {start!r}.")
    w, b = (_as_scalar(v, "start", caller) for v in start)
    if not (np.isfinite(w) and np.isfinite(b)):
        raise ValueError(f"{caller}: start must be finite, got {start!r}.")

    loss, grad_norm = _full_loss_and_grad_norm(w, b, x, y)
    path, losses, grad_norms = [(w, b)], [loss], [grad_norm]
    limit = DIVERGENCE_FACTOR * max(loss, 1e-12)
    reason: StopReason = "max_steps"
    if tol is not None and criterion == "gradient_norm" and grad_norm < tol:
        steps, reason = 0, "gradient_norm"  # already at a minimum: nothing to do
    batches = _batches(x, y, batch_size, rng)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is reported, not warned about
        for _ in range(steps):
            xb, yb = next(batches)
            residual = w * xb + b - yb
            dw, db = np.mean(residual * xb), np.mean(residual)
            w = float(w - lr * dw)
            b = float(b - lr * db) if fit_bias else b
            previous = loss
            loss, grad_norm = _full_loss_and_grad_norm(w, b, x, y)
            path.append((w, b))
            losses.append(loss)
            grad_norms.append(grad_norm)
            if not np.isfinite(loss) or loss > limit:
                reason = "diverged"
                break
            if tol is not None and criterion == "gradient_norm" and grad_norm < tol:
                reason = "gradient_norm"
                break
            if tol is not None and criterion == "loss_change" and abs(previous - loss) < tol * max(previous, 1e-300):
                reason = "loss_change"
                break
    return DescentResult(np.array(path), np.array(losses), np.array(grad_norms), reason, batch_size or n)


# ---- a common mistake, kept to be looked at --------------------------------------------------


def make_uniform_noise_regression(n: int = 100, *, seed: int | np.random.Generator) -> tuple[NDArray, NDArray]:
    """Points y = 3x + 2 + u with x ~ U[0, 1) and noise u ~ U[0, 1), the set-up of a popular tutorial.

    The noise is not centred: its mean is 0.5, so the best line through these points has intercept
    about 2.5, not 2. (``course_lib.data.make_linear_regression`` uses zero-mean normal noise.)

    Shape: X: (n, 1), y: (n,).
    """
    n = _check_whole(n, "n", "make_uniform_noise_regression", 1)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(_check_whole(seed, "seed", "make_uniform_noise_regression", 0))
    x = rng.random(n)
    y = 3.0 * x + 2.0 + rng.random(n)
    return x[:, None], y


def mean_residual_descent(X: ArrayLike, y: ArrayLike, *, lr: float, steps: int, start: float = 0.0) -> NDArray[np.float64]:
    """A WRONG "gradient descent" for a line, as it appears in a popular tutorial; for study only.

    It fits ŷ = θ·x (no bias term) and updates θ ← θ − η · mean(θ·x_i − y_i). Two mistakes:

    1. The step uses the mean residual, which is ∂J/∂b, the gradient of a bias the model does not
       have. The true slope gradient, mean(r_i · x_i), weighs each residual by its x_i. The update
       therefore stops where the mean residual is zero, θ = mean(y) / mean(x): the line through the
       origin and the centre of the data, not the least-squares slope.
    2. Without a bias the line is forced through (0, 0) even when the data's intercept is not 0.

    Returns θ before the first step and after each step, shape (steps + 1,).
    Use :func:`gradient_descent` for the correct method.
    """
    caller = "mean_residual_descent"
    x, y = _as_data(X, y, caller)
    lr = _check_positive(lr, "lr", caller)
    steps = _check_whole(steps, "steps", caller, 0)
    theta = np.empty(steps + 1)
    theta[0] = _as_scalar(start, "start", caller)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps):
            theta[t + 1] = theta[t] - lr * np.mean(theta[t] * x - y)  # the mistake: no x_i factor
    return theta
