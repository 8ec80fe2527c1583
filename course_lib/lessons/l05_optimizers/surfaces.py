"""Two-dimensional test functions with analytic gradients, for drawing an optimizer's path.

A :class:`Surface` is a loss with only two parameters, (x, y), so that an optimizer's path can be
drawn on a contour map. Each surface shows one difficulty that real losses have too:

* ``bowl``: an ill-conditioned quadratic, f = ½(x² + κy²) with κ = 20. Steep across, flat along:
  plain gradient descent zig-zags across the valley and crawls along it.
* ``narrow_bowl``: the same with κ = 100, five times steeper across: the race's bowl, where the gap
  between plain gradient descent and momentum is wide enough to see.
* ``rosenbrock``: a curved, flat-bottomed valley (Rosenbrock 1960), f = (a − x)² + b(y − x²)².
* ``beale``: plateaus and steep walls (Beale 1958).
* ``himmelblau``: four minima of equal height (Himmelblau 1972): where you end depends on the start.
* ``saddle``: f = x² − y² + ½y⁴, a saddle point at the origin between two valleys. Near the
  saddle the gradient is tiny, and a slow optimizer lingers there.

The functions use only ``+ − × ** /``, so they accept floats, NumPy arrays (for contour grids) and
torch tensors (the tests compare the analytic gradients with autograd). Walking an optimizer over
them is ``race.py``'s; the flawed Adam of the source material is ``flawed_adam.py``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["KAPPA", "KAPPA_NARROW", "SURFACES", "Surface", "surface_named"]


# --------------------------------------------------------------------------------------------------
# The surfaces
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Surface:
    """A loss of two parameters with its analytic gradient and what is known about it.

    Attributes:
        name: the key in :data:`SURFACES`, e.g. ``"rosenbrock"``.
        title: a short description for plot titles.
        formula: the function in LaTeX, for the notebook.
        f: ``f(x, y)``, element-wise on floats, arrays or tensors.
        grad: ``grad(x, y) -> (∂f/∂x, ∂f/∂y)``, written out by hand.
        start: the default starting point (x₀, y₀).
        xlim, ylim: the plotting window.
        minima: the known global minima, each (x, y).
    """

    name: str
    title: str
    formula: str
    f: Callable[[Any, Any], Any]
    grad: Callable[[Any, Any], tuple[Any, Any]]
    start: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    minima: tuple[tuple[float, float], ...]

    @property
    def f_min(self) -> float:
        """The lowest value of f, reached at every point of ``minima``."""
        return float(min(self.f(x, y) for x, y in self.minima))

    def value(self, p: NDArray) -> float:
        """f at the point p = (x, y)."""
        x, y = np.asarray(p, dtype=np.float64)
        return float(self.f(x, y))

    def gradient(self, p: NDArray) -> NDArray:
        """∇f at the point p = (x, y), an array of shape (2,)."""
        x, y = np.asarray(p, dtype=np.float64)
        return np.array(self.grad(x, y), dtype=np.float64)

    def __repr__(self) -> str:
        return f"Surface({self.name!r}: {self.title}, start={self.start}, minima={self.minima})"


KAPPA = 20.0
"""The condition number of the bowl: its curvature along y is κ times that along x."""


def _bowl(x, y):
    return 0.5 * (x**2 + KAPPA * y**2)


def _bowl_grad(x, y):
    return x, KAPPA * y


KAPPA_NARROW = 100.0
"""The narrow bowl's condition number."""


def _narrow_bowl(x, y):
    return 0.5 * (x**2 + KAPPA_NARROW * y**2)


def _narrow_bowl_grad(x, y):
    return x, KAPPA_NARROW * y


ROSENBROCK_A, ROSENBROCK_B = 1.0, 100.0


def _rosenbrock(x, y):
    return (ROSENBROCK_A - x) ** 2 + ROSENBROCK_B * (y - x**2) ** 2


def _rosenbrock_grad(x, y):
    inner = y - x**2
    return -2 * (ROSENBROCK_A - x) - 4 * ROSENBROCK_B * x * inner, 2 * ROSENBROCK_B * inner


def _beale(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _beale_grad(x, y):
    r1, r2, r3 = 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3
    dx = 2 * r1 * (y - 1) + 2 * r2 * (y**2 - 1) + 2 * r3 * (y**3 - 1)
    dy = 2 * r1 * x + 2 * r2 * 2 * x * y + 2 * r3 * 3 * x * y**2
    return dx, dy


def _himmelblau(x, y):
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def _himmelblau_grad(x, y):
    r1, r2 = x**2 + y - 11, x + y**2 - 7
    return 4 * x * r1 + 2 * r2, 2 * r1 + 4 * y * r2


def _saddle(x, y):
    return x**2 - y**2 + 0.5 * y**4


def _saddle_grad(x, y):
    return 2 * x, -2 * y + 2 * y**3


# Himmelblau's other three minima have no closed form; these are the roots to 1e-12 (the tests
# check that the gradient vanishes there).
_HIMMELBLAU_MINIMA = (
    (3.0, 2.0),
    (-2.805118086952745, 3.131312518250573),
    (-3.779310253377747, -3.283185991286170),
    (3.584428340330492, -1.848126526964404),
)

SURFACES: dict[str, Surface] = {
    s.name: s
    for s in [
        Surface(
            "bowl", f"ill-conditioned bowl (κ = {KAPPA:g})", r"f(x, y) = \tfrac12\,(x^2 + \kappa\, y^2),\ \kappa = 20",
            _bowl, _bowl_grad, start=(-4.5, 1.5), xlim=(-5.0, 5.0), ylim=(-2.5, 2.5), minima=((0.0, 0.0),),
        ),
        Surface(
            "narrow_bowl", f"narrow bowl (κ = {KAPPA_NARROW:g})",
            r"f(x, y) = \tfrac12\,(x^2 + \kappa\, y^2),\ \kappa = 100",
            _narrow_bowl, _narrow_bowl_grad, start=(-4.5, 1.5), xlim=(-5.0, 5.0), ylim=(-2.5, 2.5),
            minima=((0.0, 0.0),),
        ),
        Surface(
            "rosenbrock", "Rosenbrock's valley (a = 1, b = 100)",
            r"f(x, y) = (a - x)^2 + b\,(y - x^2)^2,\ a = 1,\ b = 100",
            _rosenbrock, _rosenbrock_grad, start=(-1.2, 1.0), xlim=(-2.0, 2.0), ylim=(-1.0, 3.0), minima=((1.0, 1.0),),
        ),
        Surface(
            "beale", "Beale's function", r"f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
            _beale, _beale_grad, start=(1.0, 1.4), xlim=(-1.0, 4.5), ylim=(-1.5, 2.0), minima=((3.0, 0.5),),
        ),
        Surface(
            "himmelblau", "Himmelblau's function (four minima)", r"f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
            _himmelblau, _himmelblau_grad, start=(-0.5, -0.5), xlim=(-5.0, 5.0), ylim=(-5.0, 5.0),
            minima=_HIMMELBLAU_MINIMA,
        ),
        Surface(
            "saddle", "saddle between two valleys", r"f(x, y) = x^2 - y^2 + \tfrac12\, y^4",
            _saddle, _saddle_grad, start=(-1.8, 1e-3), xlim=(-2.0, 2.0), ylim=(-2.0, 2.0),
            minima=((0.0, 1.0), (0.0, -1.0)),
        ),
    ]
}
"""The test surfaces by name: bowl, narrow_bowl, rosenbrock, beale, himmelblau, saddle."""


def surface_named(surface: Surface | str) -> Surface:
    """``surface`` itself, or the surface of that name in :data:`SURFACES`; a clear error otherwise."""
    if isinstance(surface, Surface):
        return surface
    if isinstance(surface, str) and surface in SURFACES:
        return SURFACES[surface]
    raise ValueError(f"unknown surface {surface!r}; choose one of {sorted(SURFACES)} or pass a Surface.")
