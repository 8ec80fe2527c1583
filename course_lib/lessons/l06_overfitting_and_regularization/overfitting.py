"""Under- and overfitting, and the remedies: the computation behind lesson 06.

Three groups of tools:

* **Polynomial regression**, where over- and underfitting can be seen in one picture:
  :func:`polynomial_features`, the closed-form ridge fit :func:`fit_polynomial` (L2), the
  proximal-gradient fit :func:`fit_polynomial_l1` (L1, with :func:`soft_threshold`), and the
  experiments that sweep the degree, the strength λ and the training-set size.
* **Training helpers** for the neural-network remedies: :func:`train_small_mlp` (the lesson's
  overfitting MLP, one remedy switched on by one keyword), :func:`fit_augmented` (a fresh
  augmented copy of the training set every epoch) and :func:`train_with_clipping` (full-batch
  steps that record the gradient norm, with optional clipping, and stop cleanly when the loss
  blows up).
* **An exploding-gradient example**: :func:`deep_narrow_net`, :func:`gradient_norm` and
  :func:`gradient_norms_by_depth`.

The loss conventions match the rest of the course: the data term is the mean squared error
(1/N) Σ (ŷᵢ − yᵢ)², the L2 penalty is (λ/2) Σ w_k² (as in ``numpy_nn.regularization.l2_penalty``,
so its gradient is λw, exactly SGD's ``weight_decay=λ``), and the L1 penalty is λ Σ |w_k|.
The constant term w₀ (the bias) is never penalised: shifting all targets up by 5 should shift the
fit up by 5, not be resisted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from course_lib.augmentation import random_augment
from course_lib.history import History
from course_lib.numpy_nn.layers import Linear, ReLU
from course_lib.numpy_nn.module import Sequential
from course_lib.numpy_nn.models import MLP
from course_lib.numpy_nn.losses import CrossEntropyLoss
from course_lib.numpy_nn.optimizers import SGD
from course_lib.numpy_nn.regularization import clip_grad_norm_
from course_lib.numpy_nn.training import fit

__all__ = [
    "BASES",
    "ClippingRun",
    "LossCurve",
    "PolynomialFit",
    "coefficient_path",
    "deep_narrow_net",
    "fit_augmented",
    "fit_polynomial",
    "fit_polynomial_l1",
    "gradient_norm",
    "gradient_norms_by_depth",
    "learning_curve",
    "losses_vs_degree",
    "losses_vs_l2",
    "polynomial_features",
    "ridge_gradient",
    "ridge_loss",
    "soft_threshold",
    "train_small_mlp",
    "tune_remedy_strengths",
    "remedy_settings",
    "REMEDY_GRIDS",
    "RANKING_RECIPE",
    "TUNED_STRENGTHS",
    "TUNING_SEED",
    "train_with_clipping",
]

BASES = ("legendre", "monomial")

# Above this condition number the coefficients of a least-squares fit are mostly rounding noise.
ILL_CONDITIONED = 1e10


# ------------------------------------------------------------------------------------------------
# Features
# ------------------------------------------------------------------------------------------------


def _as_x(x: ArrayLike, who: str) -> NDArray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 1:
        raise ValueError(f"{who} expects x of shape (N,) or (N, 1), one number per sample; got {x.shape}.")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{who}: x holds NaN or inf; remove those samples first.")
    return x


def _check_degree(degree: int, who: str) -> int:
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) or degree < 0:
        raise ValueError(f"{who}: degree must be a whole number >= 0; got {degree!r}.")
    return int(degree)


def _check_strength(lam: float, name: str, who: str) -> float:
    if not (isinstance(lam, (int, float, np.integer, np.floating)) and math.isfinite(lam) and lam >= 0):
        raise ValueError(f"{who}: the strength {name} must be a finite number >= 0; got {lam!r}.")
    return float(lam)


def polynomial_features(x: ArrayLike, degree: int, *, basis: str = "legendre") -> NDArray:
    """The design matrix Φ whose column k is the k-th basis polynomial at every x, k = 0..degree.

    ``"monomial"``: Φ[i, k] = xᵢᵏ. On [−1, 1] the high powers look alike (x¹⁴ and x¹⁶ are both
    flat near 0 and steep near ±1), so the columns are nearly parallel and the least-squares
    problem is ill-conditioned: tiny changes in y swing the coefficients wildly.

    ``"legendre"`` (default): Φ[i, k] = P_k(xᵢ), the Legendre polynomials, built with Bonnet's
    recurrence P₀ = 1, P₁ = x, (k+1)P_{k+1} = (2k+1)·x·P_k − k·P_{k−1}. They span the same curves
    (any polynomial of degree ≤ d is a unique mix of P₀..P_d), but are orthogonal on [−1, 1],
    ∫P_j P_k dx = 0 for j ≠ k, so for x spread over [−1, 1] the columns are nearly perpendicular
    and degree 15 stays well-conditioned. Both bases are meant for x in [−1, 1].

    Args:
        x: the inputs, shape (N,) or (N, 1).
        degree: the highest power d >= 0.
        basis: ``"legendre"`` or ``"monomial"``.

    Returns:
        Φ, shape (N, degree + 1); column 0 is all ones (the bias).
    """
    x = _as_x(x, "polynomial_features")
    degree = _check_degree(degree, "polynomial_features")
    if basis not in BASES:
        raise ValueError(f"polynomial_features: unknown basis {basis!r}; choose one of {BASES}.")
    phi = np.empty((len(x), degree + 1))
    phi[:, 0] = 1.0
    if degree >= 1:
        phi[:, 1] = x
    for k in range(1, degree):
        if basis == "monomial":
            phi[:, k + 1] = phi[:, k] * x
        else:
            phi[:, k + 1] = ((2 * k + 1) * x * phi[:, k] - k * phi[:, k - 1]) / (k + 1)
    return phi


# ------------------------------------------------------------------------------------------------
# The penalised loss and its gradient
# ------------------------------------------------------------------------------------------------


def _check_problem(w: ArrayLike, features: ArrayLike, y: ArrayLike, who: str) -> tuple[NDArray, NDArray, NDArray]:
    w, features, y = (np.asarray(a, dtype=np.float64) for a in (w, features, y))
    y = y.reshape(-1) if y.ndim == 2 and y.shape[1] == 1 else y
    if features.ndim != 2 or w.shape != (features.shape[1],) or y.shape != (features.shape[0],):
        raise ValueError(
            f"{who} expects w (P,), features (N, P) and y (N,); got w {w.shape}, features "
            f"{features.shape}, y {y.shape}."
        )
    return w, features, y


def ridge_loss(w: ArrayLike, features: ArrayLike, y: ArrayLike, l2: float) -> float:
    """J(w) = (1/N) Σᵢ (Φᵢ·w − yᵢ)² + (λ/2) Σ_{k≥1} w_k²: the mean squared error plus an L2
    penalty that leaves the bias w₀ alone.

    Args:
        w: coefficients, shape (P,), P = d + 1.
        features: Φ, shape (N, P), column 0 the constant 1.
        y: targets, shape (N,).
        l2: λ >= 0.

    Returns:
        J(w), a float.
    """
    w, features, y = _check_problem(w, features, y, "ridge_loss")
    l2 = _check_strength(l2, "l2", "ridge_loss")
    residual = features @ w - y
    return float(np.mean(residual**2) + 0.5 * l2 * np.sum(w[1:] ** 2))


def ridge_gradient(w: ArrayLike, features: ArrayLike, y: ArrayLike, l2: float) -> NDArray:
    """∇J(w) = (2/N) Φᵀ(Φw − y) + λ·(0, w₁, ..., w_d): the MSE's gradient plus λw without the bias.

    Args as :func:`ridge_loss`; returns the gradient, shape (P,).
    """
    w, features, y = _check_problem(w, features, y, "ridge_gradient")
    l2 = _check_strength(l2, "l2", "ridge_gradient")
    grad = (2.0 / len(y)) * features.T @ (features @ w - y)
    grad[1:] += l2 * w[1:]
    return grad


def soft_threshold(w: ArrayLike, threshold: float) -> NDArray:
    """S_t(w) = sign(w)·max(|w| − t, 0): shrink every entry towards 0 by t, and stop at 0.

    The proximal operator of t·|w|: the w' that minimises ½(w' − w)² + t|w'|. Entries with
    |w| <= t become *exactly* 0, which is how L1 produces sparse coefficients; larger ones move
    t closer to 0. (Compare L2's proximal step w / (1 + t), which shrinks but never reaches 0.)

    Args:
        w: an array (or a number).
        threshold: t >= 0.

    Returns:
        An array of w's shape.
    """
    threshold = _check_strength(threshold, "threshold", "soft_threshold")
    w = np.asarray(w, dtype=np.float64)
    return np.sign(w) * np.maximum(np.abs(w) - threshold, 0.0)


# ------------------------------------------------------------------------------------------------
# Fits
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolynomialFit:
    """A fitted polynomial: its coefficients in ``basis`` and what the fit learned about itself.

    Attributes:
        coefficients: w, shape (degree + 1,); w[0] multiplies the constant.
        degree: the polynomial's degree d.
        basis: ``"legendre"`` or ``"monomial"``.
        l2: the L2 strength λ used (0 for an L1 fit).
        l1: the L1 strength used (0 for an L2 fit).
        n_train: the number of training points.
        condition: the condition number of the (penalised) least-squares problem; inf when the
            data cannot pin the coefficients down. (For an L1 fit: the data term's, Φ's.)
        steps: iterations used (0 for the closed form).
        warning: a sentence for the learner when the fit is not trustworthy, else None.
    """

    coefficients: NDArray
    degree: int
    basis: str
    l2: float = 0.0
    l1: float = 0.0
    n_train: int = 0
    condition: float = 1.0
    steps: int = 0
    warning: str | None = None

    def predict(self, x: ArrayLike) -> NDArray:
        """ŷ = Φ(x)·w, shape (N,)."""
        return polynomial_features(x, self.degree, basis=self.basis) @ self.coefficients

    __call__ = predict

    def mse(self, x: ArrayLike, y: ArrayLike) -> float:
        """The mean squared error (1/N) Σ (ŷᵢ − yᵢ)² on (x, y), without any penalty."""
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        return float(np.mean((self.predict(x) - y) ** 2))


def _check_xy(x: ArrayLike, y: ArrayLike, who: str) -> tuple[NDArray, NDArray]:
    x = _as_x(x, who)
    y = np.asarray(y, dtype=np.float64)
    y = y[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y
    if y.shape != x.shape:
        raise ValueError(f"{who}: x and y must hold one number per sample each; got {len(x)} x and y of shape {y.shape}.")
    if len(x) == 0:
        raise ValueError(f"{who}: no training points.")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{who}: y holds NaN or inf; remove those samples first.")
    return x, y


def _warning(degree: int, n: int, rank: int, condition: float) -> str | None:
    if rank < degree + 1:
        return (
            f"{degree + 1} coefficients but only {rank} independent equations from {n} point(s): "
            f"infinitely many curves fit the training points equally well; this one has the "
            f"smallest coefficients. Lower the degree, add points, or raise λ."
        )
    if condition > ILL_CONDITIONED:
        return f"ill-conditioned (condition number {condition:.0e}): the coefficients are mostly rounding noise."
    return None


def fit_polynomial(x: ArrayLike, y: ArrayLike, degree: int, *, l2: float = 0.0, basis: str = "legendre") -> PolynomialFit:
    """Ridge regression in closed form: the w that minimises :func:`ridge_loss`.

    Setting ∇J = 0 gives the normal equations (ΦᵀΦ + (Nλ/2)·D) w = Φᵀy, D = diag(0, 1, ..., 1)
    (the 0 spares the bias). Rather than forming ΦᵀΦ, which squares the condition number, we
    solve the same problem as one stacked least-squares system with ``np.linalg.lstsq``:

        [     Φ      ] w ≈ [y]
        [√(Nλ/2)·D₁: ]     [0]      (D₁: the rows k = 1..d of the identity)

    whose normal equations are exactly the ones above. With λ = 0 and fewer independent points
    than coefficients, lstsq returns the solution with the smallest ‖w‖, and the fit carries a
    ``warning``; any λ > 0 makes the solution unique.

    Args:
        x: inputs, shape (N,) or (N, 1), in [−1, 1].
        y: targets, shape (N,).
        degree: d >= 0.
        l2: λ >= 0.
        basis: ``"legendre"`` or ``"monomial"``, see :func:`polynomial_features`.

    Returns:
        A :class:`PolynomialFit`.
    """
    x, y = _check_xy(x, y, "fit_polynomial")
    degree = _check_degree(degree, "fit_polynomial")
    l2 = _check_strength(l2, "l2", "fit_polynomial")
    phi = polynomial_features(x, degree, basis=basis)
    n = len(x)
    penalty_rows = math.sqrt(n * l2 / 2) * np.eye(degree + 1)[1:]
    A = np.vstack([phi, penalty_rows])
    b = np.concatenate([y, np.zeros(degree)])
    w, _, rank, singular = np.linalg.lstsq(A, b, rcond=None)
    condition = float(singular[0] / singular[-1]) if singular[-1] > 0 else math.inf
    return PolynomialFit(
        coefficients=w, degree=degree, basis=basis, l2=l2, n_train=n, condition=condition,
        warning=_warning(degree, n, int(rank), condition),
    )


def fit_polynomial_l1(
    x: ArrayLike,
    y: ArrayLike,
    degree: int,
    *,
    l1: float,
    basis: str = "legendre",
    accelerate: bool = True,
    max_steps: int = 20_000,
    tol: float = 1e-10,
    start: ArrayLike | None = None,
) -> PolynomialFit:
    """Lasso: minimise (1/N)‖Φw − y‖² + λ Σ_{k≥1} |w_k| by proximal gradient descent (ISTA).

    |w| has no slope at 0, so plain gradient descent would only jiggle around 0. ISTA (Daubechies,
    Defrise & De Mol 2004) splits each step in two:

        v = w − η·(2/N)Φᵀ(Φw − y)          a gradient step on the smooth MSE alone
        w = soft_threshold(v, η·λ)          then the exact minimiser of ½‖w − v‖² + ηλ‖w‖₁

    (the bias w₀ skips the second half). Soft-thresholding sets every |v_k| <= ηλ to exactly 0,
    so coefficients that the data do not defend strongly enough end at 0 and stay there.
    The step η = 1/L, with L = 2σ_max(Φ)²/N the largest curvature of the MSE, guarantees that
    every step lowers the objective.

    With ``accelerate`` (FISTA, Beck & Teboulle 2009) the gradient step is taken from an
    extrapolated point z = w + ((t − 1)/t')·(w − w_previous), a momentum term, and the momentum
    is reset whenever it points uphill (O'Donoghue & Candès 2015). Same answer, often ten times
    fewer steps when the features are correlated. Stops when no coefficient moves more than ``tol``.

    Args:
        x: inputs, shape (N,) or (N, 1), in [−1, 1].
        y: targets, shape (N,).
        degree: d >= 0.
        l1: λ >= 0.
        basis: ``"legendre"`` or ``"monomial"``.
        accelerate: use FISTA's momentum (True) or plain ISTA (False).
        max_steps: the most steps to take.
        tol: stop when max |w_new − w| < tol.
        start: initial coefficients (a warm start, e.g. the fit at a nearby λ); zeros by default.

    Returns:
        A :class:`PolynomialFit` whose ``steps`` says how many iterations ran; its ``warning``
        says so if ``max_steps`` ran out first.
    """
    x, y = _check_xy(x, y, "fit_polynomial_l1")
    degree = _check_degree(degree, "fit_polynomial_l1")
    l1 = _check_strength(l1, "l1", "fit_polynomial_l1")
    if isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer)) or max_steps < 1:
        raise ValueError(f"fit_polynomial_l1: max_steps must be a whole number >= 1; got {max_steps!r}.")
    phi = polynomial_features(x, degree, basis=basis)
    n = len(x)
    singular = np.linalg.svd(phi, compute_uv=False)
    step = n / (2.0 * singular[0] ** 2)
    w = np.zeros(degree + 1) if start is None else np.array(start, dtype=np.float64)
    if w.shape != (degree + 1,):
        raise ValueError(f"fit_polynomial_l1: start must have shape ({degree + 1},); got {w.shape}.")
    gram, target = phi.T @ phi, phi.T @ y  # the gradient is (2/N)(ΦᵀΦ w − Φᵀy): precompute once
    z, t = w.copy(), 1.0
    for steps in range(1, max_steps + 1):
        v = z - step * (2.0 / n) * (gram @ z - target)
        new = np.concatenate([v[:1], soft_threshold(v[1:], step * l1)])
        moved = float(np.max(np.abs(new - w)))
        if accelerate:
            if np.dot(z - new, new - w) > 0:  # the momentum points uphill: forget it
                t = 1.0
            t_next = (1.0 + math.sqrt(1.0 + 4.0 * t * t)) / 2.0
            z, t = new + ((t - 1.0) / t_next) * (new - w), t_next
        else:
            z = new
        w = new
        if moved < tol:
            break
    warning = None
    if moved >= tol:
        warning = f"did not converge in {max_steps} steps (the last step moved a coefficient by {moved:.1e})."
    condition = float(singular[0] / singular[-1]) if singular[-1] > 0 and len(singular) == degree + 1 else math.inf
    return PolynomialFit(
        coefficients=w, degree=degree, basis=basis, l1=l1, n_train=n, condition=condition,
        steps=steps, warning=warning,
    )


# ------------------------------------------------------------------------------------------------
# Experiments
# ------------------------------------------------------------------------------------------------


class LossCurve(NamedTuple):
    """Training and validation MSE against one hyperparameter (degree, λ or training-set size)."""

    values: NDArray
    train: NDArray
    val: NDArray

    def best(self) -> tuple[float, float]:
        """(value, validation MSE) where the validation MSE is lowest."""
        i = int(np.argmin(self.val))
        return self.values[i].item(), float(self.val[i])


def _pair(data: tuple[ArrayLike, ArrayLike], name: str) -> tuple[NDArray, NDArray]:
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise TypeError(f"{name} must be a pair (x, y); got {type(data).__name__}.")
    return _check_xy(data[0], data[1], name)


def losses_vs_degree(
    train: tuple[ArrayLike, ArrayLike], val: tuple[ArrayLike, ArrayLike], degrees: Sequence[int], *, l2: float = 0.0,
    basis: str = "legendre",
) -> LossCurve:
    """Fit each degree on ``train`` (with strength λ = ``l2``) and measure the MSE on both sets.

    Typically the training MSE falls with every degree while the validation MSE falls, bottoms
    out, and rises again: the U-shaped curve whose bottom is the degree to choose.
    """
    (x, y), (xv, yv) = _pair(train, "train"), _pair(val, "val")
    fits = [fit_polynomial(x, y, d, l2=l2, basis=basis) for d in degrees]
    return LossCurve(np.asarray(degrees), np.array([f.mse(x, y) for f in fits]), np.array([f.mse(xv, yv) for f in fits]))


def losses_vs_l2(
    train: tuple[ArrayLike, ArrayLike], val: tuple[ArrayLike, ArrayLike], degree: int, l2s: Sequence[float],
    *, basis: str = "legendre",
) -> LossCurve:
    """Fit one degree with each strength λ in ``l2s`` and measure the MSE on both sets.

    Small λ: the flexible model overfits (low training, high validation MSE). Large λ: the
    coefficients are squeezed towards 0 and the model underfits (both high). The validation
    curve's bottom is the λ to choose.
    """
    (x, y), (xv, yv) = _pair(train, "train"), _pair(val, "val")
    fits = [fit_polynomial(x, y, degree, l2=lam, basis=basis) for lam in l2s]
    return LossCurve(np.asarray(l2s, dtype=np.float64), np.array([f.mse(x, y) for f in fits]), np.array([f.mse(xv, yv) for f in fits]))


def learning_curve(
    train: tuple[ArrayLike, ArrayLike],
    val: tuple[ArrayLike, ArrayLike],
    sizes: Sequence[int],
    *,
    degree: int,
    l2: float = 0.0,
    repeats: int = 20,
    rng: np.random.Generator,
    basis: str = "legendre",
) -> LossCurve:
    """Training and validation MSE against the number of training points n.

    For each n, ``repeats`` random subsets of n points are drawn from ``train`` (without
    replacement), fitted, and their MSEs averaged (in logarithms, so that one wild fit on a tiny
    subset does not swamp the mean). More data pulls the two curves together: the training MSE
    rises towards the noise level (fewer points are easier to memorise), the validation MSE falls.
    """
    x, y = _pair(train, "train")
    xv, yv = _pair(val, "val")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"learning_curve needs rng=np.random.Generator; got {type(rng).__name__}.")
    sizes = np.asarray(sizes)
    if sizes.size == 0 or np.any(sizes < 1) or np.any(sizes > len(x)):
        raise ValueError(f"learning_curve: every size must be between 1 and the {len(x)} training points; got {sizes.tolist()}.")
    train_mse, val_mse = [], []
    for n in sizes:
        logs = []
        for _ in range(repeats):
            pick = rng.choice(len(x), size=int(n), replace=False)
            f = fit_polynomial(x[pick], y[pick], degree, l2=l2, basis=basis)
            logs.append((f.mse(x[pick], y[pick]), f.mse(xv, yv)))
        tiny = 1e-300  # an exact interpolation has training MSE 0; keep the log finite
        train_mse.append(float(np.exp(np.mean([np.log(t + tiny) for t, _ in logs]))))
        val_mse.append(float(np.exp(np.mean([np.log(v + tiny) for _, v in logs]))))
    return LossCurve(sizes, np.array(train_mse), np.array(val_mse))


def coefficient_path(
    x: ArrayLike, y: ArrayLike, degree: int, strengths: Sequence[float], *, penalty: str, basis: str = "legendre",
) -> NDArray:
    """The fitted coefficients at each strength: shape (len(strengths), degree + 1).

    ``penalty="l2"`` uses :func:`fit_polynomial`; ``penalty="l1"`` uses :func:`fit_polynomial_l1`
    with warm starts (each λ starts from the previous solution), so sort ``strengths`` for speed.
    Under L2 every coefficient shrinks smoothly and none reaches 0; under L1 they hit 0 one by
    one and stay there.
    """
    if penalty not in ("l1", "l2"):
        raise ValueError(f"coefficient_path: penalty must be 'l1' or 'l2'; got {penalty!r}.")
    rows, start = [], None
    for lam in strengths:
        if penalty == "l2":
            rows.append(fit_polynomial(x, y, degree, l2=lam, basis=basis).coefficients)
        else:
            start = fit_polynomial_l1(x, y, degree, l1=lam, basis=basis, start=start).coefficients
            rows.append(start)
    return np.array(rows)


# ------------------------------------------------------------------------------------------------
# Neural-network training helpers
# ------------------------------------------------------------------------------------------------


def _default_augment(images: NDArray, rng: np.random.Generator) -> NDArray:
    return random_augment(images, rng=rng)


def fit_augmented(
    model: Any,
    loss_fn: Any,
    optimizer: Any,
    train: tuple[NDArray, NDArray],
    *,
    val: tuple[NDArray, NDArray] | None = None,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator,
    augment: Callable[[NDArray, np.random.Generator], NDArray] | None = None,
) -> History:
    """Like ``numpy_nn.training.fit``, but every epoch trains on a fresh augmented copy of ``train``.

    Each epoch calls ``augment(X, rng)`` (default: :func:`~course_lib.augmentation.random_augment`
    with its default shifts of up to 2 pixels and turns of up to 15°) and runs one epoch of
    ``fit`` on the result; the optimizer, and so its momentum, carries over between epochs. The
    labels stay as they are: the variants show the same digits. The recorded training loss is the
    loss on the augmented images; the validation set is never augmented.

    Returns:
        A History with the same per-step and per-epoch metrics as ``fit``.
    """
    if augment is None:
        augment = _default_augment
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"fit_augmented: epochs must be a whole number of at least 1, got {epochs!r}.")
    X, y = train
    history = History()
    for _ in range(epochs):
        one = fit(model, loss_fn, optimizer, (augment(X, rng), y), val=val, epochs=1, batch_size=batch_size, rng=rng, progress=False)
        for row in one.steps:
            history.log_step(**row)
        history.log_epoch(**one.epochs[0])
    return history


def train_small_mlp(
    train: tuple[NDArray, NDArray],
    val: tuple[NDArray, NDArray],
    *,
    hidden: Sequence[int] = (256, 256),
    dropout: float = 0.0,
    batch_norm: bool = False,
    weight_decay: float = 0.0,
    augment: bool = False,
    augment_strength: tuple[int, float] = (2, 15.0),
    callbacks: Sequence[object] = (),
    epochs: int = 30,
    lr: float = 0.05,
    momentum: float = 0.9,
    batch_size: int = 64,
    seed: int = 0,
) -> tuple[Sequential, History]:
    """Lesson 06's experiment: a wide MLP classifier trained on a small set, one remedy switched on at a time.

    The recipe, the same for every remedy so that only the remedy differs::

        rng = np.random.default_rng(seed)
        model = MLP([784, *hidden, 10], dropout=dropout, batch_norm=batch_norm, rng=rng).astype(np.float32)
        optimizer = SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
        history = fit(model, CrossEntropyLoss(), optimizer, train, val=val, epochs=epochs,
                      batch_size=batch_size, rng=np.random.default_rng(seed + 1), callbacks=callbacks)

    with :func:`fit_augmented` in place of ``fit`` when ``augment`` is True. The same seed gives
    the same initial weights and the same order of mini-batches whatever the remedy.

    Args:
        train, val: (X, y) with X of shape (N, 784) and integer labels.
        hidden: the hidden layers' widths.
        dropout: the drop probability p after each hidden activation (0: no Dropout layers).
        batch_norm: put a BatchNorm1d after each hidden Linear.
        weight_decay: λ of SGD's weight decay, the same as an L2 penalty (λ/2)‖θ‖².
        augment: train each epoch on a fresh ``random_augment`` copy of the training images.
        augment_strength: (max_shift, max_degrees) of ``random_augment``: the largest shift in
            pixels and the largest turn in degrees.
        callbacks: e.g. ``[EarlyStopping(patience=5)]``.
        epochs, lr, momentum, batch_size: the training settings.
        seed: the seed of the initial weights (and, plus one, of the shuffling).

    Returns:
        (model, history); the model in evaluation mode.
    """
    rng = np.random.default_rng(seed)
    model = MLP([np.asarray(train[0]).shape[1], *hidden, 10], dropout=dropout, batch_norm=batch_norm, rng=rng).astype(np.float32)
    optimizer = SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    shuffle = np.random.default_rng(seed + 1)
    if augment:
        if callbacks:
            raise ValueError("train_small_mlp: callbacks are not supported together with augment=True.")
        max_shift, max_degrees = augment_strength
        history = fit_augmented(model, CrossEntropyLoss(), optimizer, train, val=val, epochs=epochs, batch_size=batch_size, rng=shuffle,
                                augment=lambda images, rng: random_augment(images, rng=rng, max_shift=max_shift, max_degrees=max_degrees))
    else:
        history = fit(model, CrossEntropyLoss(), optimizer, train, val=val, epochs=epochs, batch_size=batch_size,
                      rng=shuffle, callbacks=callbacks, progress=False)
    model.eval()
    return model, history


# The remedy ranking of section 6.6 uses a cheaper copy of the experiment (one hidden layer of 128
# units, 15 epochs: about a fifth of the work per run), so that every remedy can be run on three
# seeds and each strength tuned on a grid.
RANKING_RECIPE: dict[str, Any] = {"hidden": (128,), "epochs": 15}

# For each remedy with a strength: train_small_mlp's keyword and the grid of strengths tried.
REMEDY_GRIDS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "weight decay": ("weight_decay", (1e-3, 3e-3, 1e-2, 3e-2)),
    "dropout": ("dropout", (0.2, 0.4, 0.6, 0.8)),
    "augmentation": ("augment_strength", ((1, 0.0), (1, 5.0), (2, 15.0))),  # (max_shift px, max_degrees)
}

# The seed the strengths are tuned with; the ranking then uses seeds 0, 1, 2, none of them this one.
TUNING_SEED = 3

# The strengths the ranking uses: the argmin, on each grid of REMEDY_GRIDS, of the best validation
# loss, from tune_remedy_strengths(mnist_train, mnist_val) with RANKING_RECIPE and TUNING_SEED on
# lesson 06's 1 000 training and 1 000 validation digits (a test recomputes it, so a stale value fails).
TUNED_STRENGTHS: dict[str, Any] = {
    "weight decay": 0.01,       # grid 0.001, 0.003, 0.01, 0.03: best validation loss 0.429, 0.418, 0.404, 0.488
    "dropout": 0.6,             # grid 0.2, 0.4, 0.6, 0.8: 0.410, 0.399, 0.378, 0.407
    "augmentation": (1, 5.0),   # grid (1 px, 0°), (1 px, 5°), (2 px, 15°): 0.290, 0.285, 0.326
}


def remedy_settings(strengths: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """train_small_mlp's keywords for each remedy of the ranking, at the given strengths."""
    return {
        "no remedy": {},
        "weight decay": {"weight_decay": strengths["weight decay"]},
        "dropout": {"dropout": strengths["dropout"]},
        "batch norm": {"batch_norm": True},                 # no strength to tune
        "augmentation": {"augment": True, "augment_strength": strengths["augmentation"]},
    }


def tune_remedy_strengths(
    train: tuple[NDArray, NDArray], val: tuple[NDArray, NDArray], *, seed: int = TUNING_SEED,
) -> dict[str, dict[Any, float]]:
    """Each remedy's best validation loss (the lowest over the epochs) at every strength of its grid.

    Runs :func:`train_small_mlp` with :data:`RANKING_RECIPE` once per strength in
    :data:`REMEDY_GRIDS`, all with the same ``seed``. The strength to use is the one with the
    lowest value: ``min(scores, key=scores.get)`` for each remedy's ``scores``.

    Returns:
        {remedy: {strength: best validation loss}}.
    """
    table: dict[str, dict[Any, float]] = {}
    for name, (keyword, grid) in REMEDY_GRIDS.items():
        extra = {"augment": True} if name == "augmentation" else {}
        table[name] = {
            strength: float(train_small_mlp(train, val, seed=seed, **RANKING_RECIPE, **extra, **{keyword: strength})[1].best("val_loss")[1])
            for strength in grid
        }
    return table


def deep_narrow_net(depth: int, width: int, *, gain: float, rng: np.random.Generator, in_features: int = 1, out_features: int = 1) -> Sequential:
    """A stack of ``depth`` Linear layers with ReLUs between them, He-initialised and scaled by ``gain``.

    He initialisation (``kaiming_normal``) keeps the size of the signal the same from layer to
    layer through ReLUs. Multiplying every weight matrix by ``gain`` makes each layer multiply
    the signal, forward, and the gradient, backward, by about ``gain``: with gain 1.5 and 12
    layers the output and the loss's gradient are hundreds to thousands of times too large.

    Args:
        depth: number of Linear layers, >= 2.
        width: units in each hidden layer.
        gain: factor applied to every weight matrix (1: a well-scaled net).
        rng: the random generator for the weights.
        in_features, out_features: sizes of the input and output.
    """
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 2:
        raise ValueError(f"deep_narrow_net: depth must be a whole number >= 2; got {depth!r}.")
    sizes = [in_features] + [width] * (depth - 1) + [out_features]
    layers: list[Any] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layer = Linear(n_in, n_out, init="kaiming_normal", rng=rng)
        layer.weight.data *= gain
        layers.append(layer)
        if i < depth - 1:
            layers.append(ReLU())
    return Sequential(*layers)


def gradient_norm(model: Any, loss_fn: Any, data: tuple[NDArray, NDArray]) -> float:
    """‖∇_θ L‖: the norm of all the parameters' gradients together, for one full-batch forward/backward.

    The same number ``clip_grad_norm_`` measures before clipping. The gradients are left on the
    parameters.
    """
    X, y = data
    with np.errstate(over="ignore", invalid="ignore"):
        loss_fn(model(X), y)
        model.backward(loss_fn.backward())
        return clip_grad_norm_(model.parameters(), math.inf)


def weight_gradient_norm(depth: int, loss_fn: Any, data: tuple[NDArray, NDArray], *, width: int, gain: float, seed: int) -> float:
    """The norm of the weight matrices' gradients (biases left out) of a fresh :func:`deep_narrow_net` at initialisation.

    With ``gain`` < 1 it shrinks exponentially with ``depth``: the gradients *vanish*. Biases are left out
    because the last layer's bias gradient, the mean residual, does not shrink with depth.
    """
    net = deep_narrow_net(depth, width, gain=gain, rng=np.random.default_rng(seed), in_features=np.asarray(data[0]).shape[1])
    gradient_norm(net, loss_fn, data)
    return math.sqrt(sum(float(np.sum(p.grad ** 2)) for name, p in net.named_parameters() if name.endswith("weight")))


def gradient_norms_by_depth(
    depths: Sequence[int], loss_fn: Any, data: tuple[NDArray, NDArray], *, width: int, gain: float, repeats: int = 10, seed: int = 0,
) -> NDArray:
    """The gradient norm at initialisation of :func:`deep_narrow_net` for each depth.

    Each value is the geometric mean over ``repeats`` random initialisations (seeds ``seed``,
    ``seed + 1``, ...): one network's norm jumps around by a factor of ten, the trend with depth is
    what matters. With ``gain`` > 1 it grows about like gain^(2·depth), since the forward signal
    and the backward gradient each pick up a factor of about ``gain`` per layer.

    Returns:
        An array of shape (len(depths),).
    """
    X = np.asarray(data[0])
    norms = []
    for depth in depths:
        logs = [
            math.log(gradient_norm(deep_narrow_net(depth, width, gain=gain, rng=np.random.default_rng(seed + r), in_features=X.shape[1]), loss_fn, data))
            for r in range(repeats)
        ]
        norms.append(math.exp(float(np.mean(logs))))
    return np.array(norms)


@dataclass(frozen=True)
class ClippingRun:
    """What :func:`train_with_clipping` recorded, one entry per step.

    Attributes:
        loss: the loss before each step (the last one may be inf or nan).
        grad_norm: the gradient norm before clipping, one per completed step.
        max_norm: the clipping threshold used, or None.
        diverged_at: the step (counted from 1) whose loss was not finite, or None.
    """

    loss: NDArray
    grad_norm: NDArray
    max_norm: float | None
    diverged_at: int | None


def train_with_clipping(
    model: Any, loss_fn: Any, optimizer: Any, data: tuple[NDArray, NDArray], *, steps: int, max_norm: float | None = None,
) -> ClippingRun:
    """Full-batch training for ``steps`` steps, optionally clipping the gradient norm to ``max_norm``.

    Each step: forward, loss; stop if the loss is inf or nan (the run *diverged*: recorded, not
    raised); backward; measure the gradient norm ‖g‖ and, with ``max_norm``, rescale g to
    g·max_norm/‖g‖ when ‖g‖ > max_norm (``clip_grad_norm_``, Pascanu, Mikolov & Bengio 2013);
    optimizer step. Clipping keeps the gradient's direction and caps the length of a step at
    lr·max_norm, so one enormous gradient cannot throw the weights to infinity.

    Args:
        model: a NumPy Layer.
        loss_fn: a ``numpy_nn.losses`` object.
        optimizer: a ``numpy_nn.optimizers`` object over the model's parameters.
        data: (X, y), used whole at every step.
        steps: the most steps to take.
        max_norm: the clipping threshold, > 0, or None for no clipping.

    Returns:
        A :class:`ClippingRun`.
    """
    if max_norm is not None and not (max_norm > 0):
        raise ValueError(f"train_with_clipping: max_norm must be > 0 or None; got {max_norm!r}.")
    X, y = data
    losses, norms, diverged_at = [], [], None
    model.train()
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is the point here; we record it
        for step in range(1, steps + 1):
            optimizer.zero_grad()
            loss = loss_fn(model(X), y)
            losses.append(loss)
            if not math.isfinite(loss):
                diverged_at = step
                break
            model.backward(loss_fn.backward())
            norms.append(clip_grad_norm_(model.parameters(), math.inf if max_norm is None else max_norm))
            optimizer.step()
    return ClippingRun(np.array(losses), np.array(norms), max_norm, diverged_at)
