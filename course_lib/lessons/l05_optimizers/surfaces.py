"""Two-dimensional test functions with analytic gradients, and a runner that walks an optimizer over them.

A :class:`Surface` is a loss with only two parameters, (x, y), so that an optimizer's path can be
drawn on a contour map. Each surface shows one difficulty that real losses have too:

* ``bowl``: an ill-conditioned quadratic, f = ½(x² + κy²) with κ = 20. Steep across, flat along:
  plain gradient descent zig-zags across the valley and crawls along it.
* ``rosenbrock``: a curved, flat-bottomed valley (Rosenbrock 1960), f = (a − x)² + b(y − x²)².
* ``beale``: plateaus and steep walls (Beale 1958).
* ``himmelblau``: four minima of equal height (Himmelblau 1972): where you end depends on the start.
* ``saddle``: f = x² − y² + ½y⁴, a saddle point at the origin between two valleys. Near the
  saddle the gradient is tiny, and a slow optimizer lingers there.

The functions use only ``+ − × ** /``, so they accept floats, NumPy arrays (for contour grids) and
torch tensors (the tests compare the analytic gradients with autograd).

:func:`run_optimizer` puts a ``numpy_nn`` :class:`~course_lib.numpy_nn.layers.Parameter` of shape
(2,) at the start, builds the optimizer over ``[param]``, and repeats *gradient, step* for the
requested number of steps. A run that diverges stops early and says so in the returned
:class:`OptimizerRun`; it never raises. :func:`run_torch_optimizer` does the same with a
``torch.optim`` optimizer, so the two libraries can be compared number for number.

Also here: :func:`make_optimizer`, which builds any of the lesson's optimizers by name for either
library; :func:`race`, which gives each optimizer its best learning rate from a grid; the *flawed*
Adam of the source material (:func:`flawed_adam_update`, :class:`FlawedAdam`), kept as a lesson in
what bias correction is for. (Warm-up followed by cosine decay is ``numpy_nn.schedules.WarmupCosineLR``.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from course_lib.numpy_nn.module import Parameter
from course_lib.numpy_nn.optimizers import (
    SGD,
    Adagrad,
    Adam,
    AdamState,
    AdamW,
    Optimizer,
    RMSprop,
    adam_init,
)
from course_lib.validation import adam_args

__all__ = [
    "FLAWED_ADAM",
    "OPTIMIZER_NAMES",
    "SURFACES",
    "FlawedAdam",
    "OptimizerRun",
    "Surface",
    "flawed_adam_update",
    "make_optimizer",
    "race",
    "run_optimizer",
    "run_torch_optimizer",
]


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
"""The test surfaces by name: bowl, rosenbrock, beale, himmelblau, saddle."""


def _surface(surface: Surface | str) -> Surface:
    if isinstance(surface, Surface):
        return surface
    if isinstance(surface, str) and surface in SURFACES:
        return SURFACES[surface]
    raise ValueError(f"unknown surface {surface!r}; choose one of {sorted(SURFACES)} or pass a Surface.")


# --------------------------------------------------------------------------------------------------
# The flawed Adam of the source material
# --------------------------------------------------------------------------------------------------


def flawed_adam_update(
    p: NDArray,
    g: NDArray,
    state: AdamState,
    *,
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> tuple[NDArray, AdamState]:
    """A WRONG Adam, for teaching: it bias-corrects the first moment but not the second.

    This is the update some tutorials print (among them the source material of lesson 05)::

        m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²
        p ← p − lr · (m / (1 − β1^t)) / (√v + eps)          # √v where Adam has √v̂

    What is wrong: v starts at 0, so after t steps it has only the weight 1 − β2^t on the squared
    gradients (v ≈ (1 − β2^t)·g² for a steady g). Kingma & Ba (2015, section 3) divide by
    1 − β2^t to undo this; without it the denominator √v is too small by √(1 − β2^t), and every
    early step is too large by 1/√(1 − β2^t): about 31.6× on the first step with β2 = 0.999,
    still 10× after 5 steps and 1.26× after 1000. Use :func:`course_lib.numpy_nn.optimizers.adam_update`.

    Args, Returns: as :func:`course_lib.numpy_nn.optimizers.adam_update` (without weight decay and AMSGrad).
    """
    beta1, beta2 = betas
    t = state.t + 1
    m = beta1 * state.m + (1 - beta1) * g
    v = beta2 * state.v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    return p - lr * m_hat / (np.sqrt(v) + eps), AdamState(t=t, m=m, v=v, v_max=None)


class FlawedAdam(Optimizer):
    """The optimizer of :func:`flawed_adam_update`: Adam without the second moment's bias correction.

    Kept only to show what the missing correction does; never train with it.

    Args:
        params: the parameters to optimize.
        lr, betas, eps: as in :class:`course_lib.numpy_nn.optimizers.Adam`.
    """

    init, update, state_type = staticmethod(adam_init), staticmethod(flawed_adam_update), AdamState

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        adam_args(lr, betas, eps, 0.0)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps))


# --------------------------------------------------------------------------------------------------
# Building the lesson's optimizers by name
# --------------------------------------------------------------------------------------------------

OPTIMIZER_NAMES: tuple[str, ...] = ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam", "AdamW")
"""The seven optimizers of lesson 05, in the order the lesson introduces them."""

FLAWED_ADAM = "FlawedAdam"
"""The name :func:`make_optimizer` knows the source material's Adam by (NumPy only)."""


def make_optimizer(
    name: str,
    params: Sequence[Any],
    *,
    lr: float,
    momentum: float = 0.9,
    betas: tuple[float, float] = (0.9, 0.999),
    alpha: float = 0.99,
    weight_decay: float = 1e-2,
) -> Any:
    """Build one of the lesson's optimizers by name, in NumPy or in torch, with the same settings.

    ==========  =====================================================  =========================
    name        NumPy (``course_lib.numpy_nn.optimizers``)             torch
    ==========  =====================================================  =========================
    SGD         ``SGD(params, lr)``                                    ``torch.optim.SGD``
    Momentum    ``SGD(params, lr, momentum=momentum)``                 the same
    Nesterov    ``SGD(params, lr, momentum=momentum, nesterov=True)``  the same
    AdaGrad     ``Adagrad(params, lr)``                                ``torch.optim.Adagrad``
    RMSProp     ``RMSprop(params, lr, alpha=alpha)``                   ``torch.optim.RMSprop``
    Adam        ``Adam(params, lr, betas=betas)``                      ``torch.optim.Adam``
    AdamW       ``AdamW(params, lr, betas=betas, weight_decay=...)``   ``torch.optim.AdamW``
    FlawedAdam  :class:`FlawedAdam` ``(params, lr, betas=betas)``      (none: NumPy only)
    ==========  =====================================================  =========================

    The library follows the parameters: ``numpy_nn`` Parameters give a NumPy optimizer, torch
    tensors give the ``torch.optim`` one. Settings an optimizer does not use are ignored
    (``momentum`` by Adam, ``betas`` by SGD); invalid ones raise the library's ValueError.

    Args:
        name: one of :data:`OPTIMIZER_NAMES`, or :data:`FLAWED_ADAM`.
        params: a list of ``Parameter`` (NumPy) or of ``torch.Tensor`` (torch).
        lr: the learning rate.
        momentum: μ for Momentum and Nesterov.
        betas: (β1, β2) for Adam, AdamW and FlawedAdam.
        alpha: the decay rate of RMSProp's average of g² (it plays β2's role).
        weight_decay: AdamW's decoupled decay λ (torch's default 1e-2).

    Returns:
        The optimizer.
    """
    params = list(params)
    known = (*OPTIMIZER_NAMES, FLAWED_ADAM)
    if name not in known:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {list(known)}.")
    if params and type(params[0]).__module__.startswith("torch"):
        import torch

        if name == FLAWED_ADAM:
            raise ValueError("FlawedAdam exists only in NumPy (course_lib.lessons.l05_optimizers.surfaces); torch has no flawed Adam.")
        lib = torch.optim
    else:
        lib = None
    if name == FLAWED_ADAM:
        return FlawedAdam(params, lr=lr, betas=betas)
    sgd, adagrad, rmsprop, adam, adamw = (
        (SGD, Adagrad, RMSprop, Adam, AdamW)
        if lib is None
        else (lib.SGD, lib.Adagrad, lib.RMSprop, lib.Adam, lib.AdamW)
    )
    if name == "SGD":
        return sgd(params, lr=lr)
    if name == "Momentum":
        return sgd(params, lr=lr, momentum=momentum)
    if name == "Nesterov":
        return sgd(params, lr=lr, momentum=momentum, nesterov=True)
    if name == "AdaGrad":
        return adagrad(params, lr=lr)
    if name == "RMSProp":
        return rmsprop(params, lr=lr, alpha=alpha)
    if name == "Adam":
        return adam(params, lr=lr, betas=betas)
    return adamw(params, lr=lr, betas=betas, weight_decay=weight_decay)


# --------------------------------------------------------------------------------------------------
# Running an optimizer over a surface
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class OptimizerRun:
    """The path of one optimizer over a surface.

    Attributes:
        surface: the surface walked on.
        path: the points visited, shape (k + 1, 2): the start, then the point after each step.
            k is the number of steps asked for, or fewer if the run diverged.
        losses: f at each point of ``path``, shape (k + 1,).
        steps: the number of steps asked for.
        diverged: True if the run was stopped because it blew up.
        message: why it stopped ("" when it did not), e.g. "diverged after 12 steps: |p| reached 3e+07".
        label: a name for legends, e.g. "Adam (lr=0.1)".
    """

    surface: Surface
    path: NDArray
    losses: NDArray
    steps: int
    diverged: bool = False
    message: str = ""
    label: str = ""

    @property
    def gap(self) -> NDArray:
        """f − f_min at each point: how far above the lowest value the run is, ≥ 0."""
        return np.maximum(self.losses - self.surface.f_min, 0.0)

    @property
    def step_lengths(self) -> NDArray:
        """|p_t − p_{t−1}|, the length of each step, shape (k,)."""
        return np.linalg.norm(np.diff(self.path, axis=0), axis=1)

    @property
    def final(self) -> NDArray:
        """The last point reached, shape (2,)."""
        return self.path[-1]


def _start(surface: Surface, start: Sequence[float] | None) -> NDArray:
    p = np.array(surface.start if start is None else start, dtype=np.float64)
    if p.shape != (2,) or not np.all(np.isfinite(p)):
        raise ValueError(f"start must be a finite point (x, y), got {start!r}.")
    return p


def _check_steps(steps: Any) -> None:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0, got {steps!r}.")


def _walk(
    surface: Surface, p: NDArray, steps: int, limit: float, step: Callable[[NDArray], NDArray], label: str
) -> OptimizerRun:
    """Repeat ``p ← step(∇f(p))`` and record; stop as soon as p or f is non-finite or |p| > limit."""
    path, losses = [p.copy()], [surface.value(p)]
    message = ""
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            after = f"diverged after {t} step{'s' if t > 1 else ''}"
            p = step(surface.gradient(p))
            size = float(np.max(np.abs(p)))
            value = surface.value(p)
            if not (np.isfinite(size) and np.isfinite(value)):
                message = f"{after}: the point became ({p[0]:.3g}, {p[1]:.3g})"
            elif size > limit:
                message = f"{after}: |p| reached {size:.1e}"
            if message:
                break
            path.append(p.copy())
            losses.append(value)
    return OptimizerRun(surface, np.array(path), np.array(losses), steps, bool(message), message, label)


def run_optimizer(
    surface: Surface | str,
    optimizer: Optimizer | Callable[[list[Parameter]], Optimizer],
    start: Sequence[float] | None = None,
    steps: int = 100,
    *,
    limit: float = 1e6,
    label: str = "",
) -> OptimizerRun:
    """Walk a ``numpy_nn`` optimizer over a surface from ``start`` for ``steps`` steps.

    Each step: the analytic gradient at the current point goes into ``param.grad``, then
    ``optimizer.step()`` moves the point.

    Args:
        surface: a :class:`Surface` or its name in :data:`SURFACES`.
        optimizer: either a factory called with ``[param]`` (e.g.
            ``functools.partial(make_optimizer, "Adam", lr=0.1)`` or ``lambda ps: SGD(ps, lr=0.01)``),
            or an optimizer already built over a single Parameter of shape (2,), which is moved to
            ``start`` (its state is kept: a fresh optimizer gives a fresh run).
        start: the starting point (x₀, y₀); the surface's default if None.
        steps: how many steps to take, ≥ 0.
        limit: a run is stopped as diverged when a coordinate exceeds this in size.
        label: a name for the run, used in legends.

    Returns:
        An :class:`OptimizerRun`; ``run.path`` has shape (steps + 1, 2) unless the run diverged,
        in which case it ends at the last finite point and ``run.message`` says what happened.
    """
    surface = _surface(surface)
    p0 = _start(surface, start)
    _check_steps(steps)
    if isinstance(optimizer, Optimizer):
        opt = optimizer
        if len(opt.params) != 1 or opt.params[0].shape != (2,):
            raise ValueError(
                f"run_optimizer needs an optimizer over one Parameter of shape (2,), got one over "
                f"{[q.shape for q in opt.params]}; build it as e.g. SGD([Parameter(np.zeros(2))], lr=0.1)."
            )
        param = opt.params[0]
        param.data[...] = p0
    elif callable(optimizer):
        param = Parameter(p0)
        opt = optimizer([param])
        if not isinstance(opt, Optimizer):
            raise TypeError(
                f"the optimizer factory must return a course_lib.numpy_nn optimizer, got {type(opt).__name__}."
            )
    else:
        raise TypeError(
            f"optimizer must be a numpy_nn optimizer or a function params -> optimizer, "
            f"got {type(optimizer).__name__}."
        )

    def step(g: NDArray) -> NDArray:
        param.grad = g
        opt.step()
        return param.data.copy()

    return _walk(surface, p0, steps, limit, step, label)


def run_torch_optimizer(
    surface: Surface | str,
    optimizer: Callable[[list[Any]], Any],
    start: Sequence[float] | None = None,
    steps: int = 100,
    *,
    limit: float = 1e6,
    label: str = "",
) -> OptimizerRun:
    """:func:`run_optimizer` with a ``torch.optim`` optimizer over a float64 tensor of shape (2,).

    The gradient is the same analytic one, handed to torch as ``p.grad``, so any difference from
    :func:`run_optimizer` comes from the optimizers alone.

    Args:
        optimizer: a factory called with ``[tensor]``, e.g. ``lambda ps: torch.optim.Adam(ps, lr=0.1)``.
        surface, start, steps, limit, label: as in :func:`run_optimizer`.
    """
    import torch

    surface = _surface(surface)
    p0 = _start(surface, start)
    _check_steps(steps)
    param = torch.tensor(p0, dtype=torch.float64, requires_grad=True)
    opt = optimizer([param])

    def step(g: NDArray) -> NDArray:
        param.grad = torch.from_numpy(g)
        opt.step()
        return param.detach().numpy().copy()

    return _walk(surface, p0, steps, limit, step, label)


def race(
    surface: Surface | str,
    names: Sequence[str] = OPTIMIZER_NAMES,
    *,
    steps: int = 300,
    lrs: Sequence[float] | None = None,
    max_step: float = 0.1,
    start: Sequence[float] | None = None,
    **settings: Any,
) -> dict[str, OptimizerRun]:
    """Run each optimizer with the learning rate from a grid that suits it best on this surface.

    Comparing optimizers at one shared learning rate says little, because each has its own scale
    (SGD's step is lr·|g|, Adam's is about lr). So every optimizer runs with every lr of the grid
    and keeps its best *steady* run. Steady: it did not diverge and no step was longer than
    ``max_step`` times the smaller side of the plotted window (a wild jump may land well by luck,
    but it is not what you want from training). Best: the lowest log10(f − f_min), floored at
    1e-12 and averaged over the steps, which rewards getting low *and* getting there early.

    Args:
        surface: a :class:`Surface` or its name.
        names: optimizer names for :func:`make_optimizer`.
        steps: steps per run.
        lrs: the grid; by default 10^(k/3) from 1e-4 to 1 (13 values).
        max_step: the longest step allowed, as a fraction of the window's smaller side.
        start: the starting point; the surface's default if None.
        **settings: passed on to :func:`make_optimizer` (momentum, betas, ...).

    Returns:
        ``{name: run}``, each run labelled like ``"Adam (lr=0.1)"``. An optimizer with no steady
        learning rate in the grid gets its run at the smallest one, labelled as such.
    """
    surface = _surface(surface)
    grid = sorted(np.logspace(-4, 0, 13) if lrs is None else np.asarray(lrs, dtype=np.float64))
    if not grid:
        raise ValueError("lrs must hold at least one learning rate.")
    longest = max_step * min(surface.xlim[1] - surface.xlim[0], surface.ylim[1] - surface.ylim[0])
    best: dict[str, OptimizerRun] = {}
    for name in names:
        chosen: tuple[float, float, OptimizerRun] | None = None
        for lr in grid:
            factory = partial(make_optimizer, name, lr=float(lr), **settings)
            run = run_optimizer(surface, factory, start, steps)
            if run.diverged or (steps > 0 and run.step_lengths.max() > longest):
                continue
            score = float(np.mean(np.log10(np.maximum(run.gap, 1e-12))))
            if chosen is None or score < chosen[0]:
                chosen = (score, float(lr), run)
        if chosen is None:
            lr = float(grid[0])
            run = run_optimizer(surface, lambda ps: make_optimizer(name, ps, lr=lr, **settings), start, steps)
            label = f"{name} (lr={lr:.2g}, no steady lr)"
        else:
            _, lr, run = chosen
            label = f"{name} (lr={lr:.2g})"
        best[name] = replace(run, label=label)
    return best
