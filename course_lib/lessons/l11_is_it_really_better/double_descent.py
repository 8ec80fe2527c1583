"""Lesson 11, section 6: double descent with a width control, in milliseconds on a CPU.

The model is a two-layer network whose first layer is random and frozen: ``n_hidden`` tanh units
h_j(x) = tanh(w_j x + b_j) of a 1-D input x, and a last layer a ∈ ℝ^width fitted to the training set
by least squares, ŷ(x) = Σ_j a_j h_j(x). Fitting only the last layer is a linear problem, solved
exactly: among all the weights that minimise ‖F a − y‖² (F the N × width matrix of hidden outputs on
the N training points) :func:`least_norm_weights` returns the one of least length ‖a‖, which is also
where gradient descent started from a = 0 ends (:func:`last_layer_descent`).

The data is lesson 06's cubic, 0.5 − x − 1.5x² + 2x³, at N evenly spaced points on [−1, 1] with
Gaussian label noise; the test set is the noiseless cubic on a fine grid (:func:`make_width_problem`).
Sweeping the width from 1 to 10·N (:func:`width_sweep`) shows the test error peak where the width
reaches N, the interpolation threshold, and fall again beyond it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "CUBIC", "FirstLayer", "Sweep", "WidthProblem", "frozen_first_layer", "last_layer_descent", "least_norm_weights",
    "make_width_problem", "null_space_part", "plot_sweep", "plot_width_fit", "sweep_widths", "width_sweep",
]

#: Lesson 06's cubic, lowest power first: 0.5 − x − 1.5x² + 2x³.
CUBIC = (0.5, -1.0, -1.5, 2.0)
#: The spread of the first layer's weights: a unit tanh(w (x − c)) turns over a stretch of x about 2/|w| wide.
SCALE = 15.0


@dataclass(frozen=True)
class WidthProblem:
    """N noisy training points of the cubic and a noiseless test grid.  Shapes: x_train, y_train (N,); x_test, y_test (M,)."""

    x_train: NDArray
    y_train: NDArray
    x_test: NDArray
    y_test: NDArray
    noise: float

    @property
    def n_train(self) -> int:
        return len(self.x_train)


@dataclass(frozen=True)
class FirstLayer:
    """The frozen first layer: weights ``w`` and biases ``b`` of its units.  Shapes: (n_hidden,), (n_hidden,)."""

    w: NDArray
    b: NDArray

    def features(self, x: ArrayLike, width: int) -> NDArray:
        """The outputs of the first ``width`` units, h_j(x) = tanh(w_j x + b_j).  Shape: (n,) -> (n, width)."""
        if not 1 <= int(width) <= len(self.w):
            raise ValueError(f"FirstLayer.features: width must be between 1 and the layer's {len(self.w)} units; "
                             f"got {width}. Draw a wider layer with frozen_first_layer(n_hidden=...).")
        x = np.asarray(x, dtype=float).reshape(-1, 1)
        return np.tanh(x * self.w[: int(width)] + self.b[: int(width)])


def make_width_problem(n_train: int = 40, *, noise: float = 0.3, seed: int = 0, n_test: int = 400) -> WidthProblem:
    """``n_train`` evenly spaced points of lesson 06's cubic on [−1, 1] plus N(0, noise²) label noise.

    The points are evenly spaced because two points very close together with different noisy labels
    force any curve through both into a steep jump: that would hide what the width does. The test
    set is the noiseless cubic at ``n_test`` points, so the test error is the distance to the truth.
    """
    if not (isinstance(n_train, (int, np.integer)) and n_train >= 2):
        raise ValueError(f"make_width_problem: n_train must be a whole number ≥ 2 (training points); got {n_train!r}.")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"make_width_problem: noise is a standard deviation, a number ≥ 0; got {noise!r}.")
    rng = np.random.default_rng([seed, 0])
    x = np.linspace(-1.0, 1.0, int(n_train))
    y = np.polynomial.polynomial.polyval(x, CUBIC) + noise * rng.standard_normal(len(x))
    x_test = np.linspace(-1.0, 1.0, n_test)
    return WidthProblem(x, y, x_test, np.polynomial.polynomial.polyval(x_test, CUBIC), float(noise))


def frozen_first_layer(n_hidden: int, *, seed: int = 0, scale: float = SCALE) -> FirstLayer:
    """``n_hidden`` random units h_j(x) = tanh(w_j (x − c_j)): slopes w_j ~ N(0, scale²), centres c_j ~ U(−1, 1).

    Every unit turns at a point c_j of the data's range [−1, 1] (its bias is b_j = −w_j c_j); a unit
    turning outside it would be almost constant on the data, a near copy of every other such unit.

    A narrower network uses the first ``width`` of the same units, so that the widths of a sweep are
    nested: going from width p to p + 1 adds one unit and changes nothing else.
    """
    if not (isinstance(n_hidden, (int, np.integer)) and n_hidden >= 1):
        raise ValueError(f"frozen_first_layer: n_hidden must be a whole number ≥ 1; got {n_hidden!r}.")
    rng = np.random.default_rng([seed, 1])
    w, c = scale * rng.standard_normal(n_hidden), rng.uniform(-1.0, 1.0, n_hidden)
    return FirstLayer(w, -w * c)


def least_norm_weights(F: ArrayLike, y: ArrayLike, *, ridge: float = 0.0) -> NDArray:
    """The last layer's weights: the shortest a among those minimising ‖F a − y‖² (+ ridge · ‖a‖²).

    With ``ridge = 0`` this is the minimum-norm least-squares solution a = F⁺ y (F⁺ the
    pseudo-inverse): when no a fits every point (width < N) it is the least-squares fit; when many do
    (width ≥ N) it is the exact fit of least length. With ``ridge = λ > 0`` it is lesson 06's L2
    fit, a = Fᵀ(F Fᵀ + λ I)⁻¹ y = (FᵀF + λ I)⁻¹ Fᵀ y, which trades a little misfit for a shorter a.

    Shape: F (N, p), y (N,) -> (p,).
    """
    F, y = np.asarray(F, dtype=float), np.asarray(y, dtype=float)
    if F.ndim != 2 or y.shape != (F.shape[0],):
        raise ValueError(f"least_norm_weights: expected F of shape (N, p) and y of shape (N,); got {F.shape} and "
                         f"{y.shape}. Pass one row of F per training point.")
    if not (np.isfinite(ridge) and ridge >= 0):
        raise ValueError(f"least_norm_weights: ridge is an L2 strength, a number ≥ 0; got {ridge!r}.")
    if ridge == 0:
        return np.linalg.lstsq(F, y, rcond=None)[0]
    n, p = F.shape
    if p > n:  # the N × N system is the smaller one
        return F.T @ np.linalg.solve(F @ F.T + ridge * np.eye(n), y)
    return np.linalg.solve(F.T @ F + ridge * np.eye(p), F.T @ y)


def null_space_part(F: ArrayLike, a: ArrayLike) -> float:
    """The length of the part of ``a`` that F cannot see: ‖a − F⁺F a‖ (it changes no prediction on the training points)."""
    F, a = np.asarray(F, dtype=float), np.asarray(a, dtype=float)
    return float(np.linalg.norm(a - np.linalg.pinv(F) @ (F @ a)))


def last_layer_descent(F: ArrayLike, y: ArrayLike, a0: ArrayLike, *, lr: float, steps: int) -> NDArray:
    """Plain gradient descent on L(a) = ½‖F a − y‖² / N from ``a0``: a ← a − η Fᵀ(F a − y) / N.

    Every step adds a multiple of Fᵀ(…), a combination of F's rows: the part of a in F's null space
    never changes. From a0 = 0 it stays 0, so descent can only end at the minimum-norm fit.
    """
    F, y = np.asarray(F, dtype=float), np.asarray(y, dtype=float)
    a = np.array(a0, dtype=float)
    for _ in range(int(steps)):
        a -= lr * F.T @ (F @ a - y) / len(y)
    return a


def sweep_widths(n_train: int, *, factor: int = 10, count: int = 40) -> NDArray:
    """About ``count`` widths spread evenly on a log axis from 1 to factor · N, with N itself among them."""
    widths = np.round(np.geomspace(1, factor * n_train, count)).astype(int)
    return np.unique(np.append(widths, n_train))


@dataclass(frozen=True)
class Sweep:
    """Train and test mean squared errors of the fit at each width, one row per seed.  Shapes: (S, W)."""

    widths: NDArray
    train: NDArray
    test: NDArray
    n_train: int
    noise: float
    ridge: float

    @property
    def median_test(self) -> NDArray:
        return np.median(self.test, axis=0)

    def peak(self) -> tuple[int, float]:
        """(width, test error) of the highest point of the median test curve, past width 2.

        Widths 1 and 2 underfit badly (one or two S-steps cannot follow the cubic), so their error is high
        for a different reason; the peak meant here is the one near the interpolation threshold.
        """
        median = np.where(self.widths > 2, self.median_test, -np.inf)  # widths 1–2 underfit, not the peak we mean
        k = int(np.argmax(median))
        return int(self.widths[k]), float(median[k])

    def far_right(self) -> float:
        """The median test error at the largest width."""
        return float(self.median_test[-1])


def width_sweep(
    widths: Sequence[int] | NDArray, *, seeds: Sequence[int] = (0, 1, 2, 3, 4), n_train: int = 40, noise: float = 0.3,
    ridge: float = 0.0,
) -> Sweep:
    """Fit the last layer at every width, for each seed (a seed draws the label noise and the first layer)."""
    widths = np.asarray(widths, dtype=int)
    train = np.empty((len(seeds), len(widths)))
    test = np.empty_like(train)
    for s, seed in enumerate(seeds):
        problem = make_width_problem(n_train, noise=noise, seed=seed)
        layer = frozen_first_layer(int(widths.max()), seed=seed)
        F_all, T_all = layer.features(problem.x_train, widths.max()), layer.features(problem.x_test, widths.max())
        for k, p in enumerate(widths):
            a = least_norm_weights(F_all[:, :p], problem.y_train, ridge=ridge)
            train[s, k] = np.mean((F_all[:, :p] @ a - problem.y_train) ** 2)
            test[s, k] = np.mean((T_all[:, :p] @ a - problem.y_test) ** 2)
    return Sweep(widths, train, test, int(n_train), float(noise), float(ridge))


def plot_sweep(sweep: Sweep, ax: Axes, *, label: str = "", color: str | None = None, train: bool = True) -> Axes:
    """The median test (and train) error against the width, the band between the seeds' extremes, N marked.

    A training error below 10⁻¹² (an exact fit, up to rounding) is drawn at 10⁻¹², so the log axis can show it.
    """
    name = label or f"noise {sweep.noise:g}, ridge {sweep.ridge:g}"
    line, = ax.plot(sweep.widths, sweep.median_test, "-", color=color, label=f"test, {name}")
    if len(sweep.test) > 1:
        ax.fill_between(sweep.widths, sweep.test.min(axis=0), sweep.test.max(axis=0), color=line.get_color(),
                        alpha=0.15, linewidth=0)
    if train:
        ax.plot(sweep.widths, np.maximum(np.median(sweep.train, axis=0), 1e-12), ":", color=line.get_color(),
                label=f"train, {name}")
    ax.axvline(sweep.n_train, color="grey", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("width (hidden units)")
    ax.set_ylabel("mean squared error")
    ax.set_title(f"Error against width; dashed: width = N = {sweep.n_train}")
    return ax


def plot_width_fit(problem: WidthProblem, layer: FirstLayer, width: int, ax: Axes, *, ridge: float = 0.0) -> Axes:
    """The fitted curve of one width over the training points and the true cubic."""
    a = least_norm_weights(layer.features(problem.x_train, width), problem.y_train, ridge=ridge)
    ax.plot(problem.x_test, problem.y_test, color="grey", linewidth=1, label="the cubic (truth)")
    ax.plot(problem.x_test, layer.features(problem.x_test, width) @ a, color="C3", label=f"fit, width {width}")
    ax.plot(problem.x_train, problem.y_train, "o", color="C0", markersize=4, label="training points")
    ax.set_ylim(-6, 3)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(f"width {width}, N = {problem.n_train}, ‖a‖ = {np.linalg.norm(a):.3g}")
    ax.legend(loc="lower right", fontsize=8)
    return ax
