"""Walking an optimizer over a test surface, in NumPy or with torch.optim, and racing optimizers.

:func:`run_optimizer` puts a ``numpy_nn`` :class:`~course_lib.numpy_nn.module.Parameter` of shape
(2,) at the start, builds the optimizer over ``[param]``, and repeats *gradient, step* for the
requested number of steps. A run that diverges stops early and says so in the returned
:class:`OptimizerRun`; it never raises. :func:`run_torch_optimizer` does the same with a torch
optimizer, so the libraries can be compared number for number. :func:`race` gives each optimizer
its best learning rate from a grid. :func:`lesson_optimizer` is ``course_lib.recipes.make_optimizer``
that also knows the flawed Adam. :func:`train_moons` (section 10) and :func:`noisy_descent`
(section 11) are the lesson's two other runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from course_lib.device import seed_everything
from course_lib.lessons.l05_optimizers.flawed_adam import FLAWED_ADAM, FlawedAdam
from course_lib.lessons.l05_optimizers.surfaces import Surface, surface_named
from course_lib.numpy_nn.losses import CrossEntropyLoss
from course_lib.numpy_nn.models import MLP
from course_lib.numpy_nn.module import Parameter
from course_lib.numpy_nn.optimizers import Optimizer
from course_lib.numpy_nn.training import fit
from course_lib.recipes import OPTIMIZERS, make_optimizer

__all__ = ["SETTINGS_USED", "OptimizerRun", "lesson_optimizer", "race", "run_optimizer", "noisy_descent", "run_torch_optimizer", "stays_on_the_map", "train_moons"]


SETTINGS_USED: dict[str, frozenset[str]] = {
    "SGD": frozenset(),
    "momentum": frozenset({"momentum"}),
    "nesterov": frozenset({"momentum"}),
    "Adagrad": frozenset(),
    "RMSprop": frozenset({"alpha"}),
    "Adam": frozenset({"betas"}),
    "AdamW": frozenset({"betas"}),
    FLAWED_ADAM: frozenset({"betas"}),
}
"""The settings (besides ``lr``, ``weight_decay`` and ``library``) that each optimizer reads."""


def lesson_optimizer(name: str, params: Iterable[Any], *, lr: float, **settings: Any) -> Any:
    """:func:`course_lib.recipes.make_optimizer` (a name of ``recipes.OPTIMIZERS``), or, for the name
    :data:`~course_lib.lessons.l05_optimizers.flawed_adam.FLAWED_ADAM`, the source material's flawed
    Adam (NumPy only).

    A setting the optimizer does not read (see :data:`SETTINGS_USED`) is refused with a ValueError,
    never silently dropped: ``lesson_optimizer("SGD", ps, lr=0.1, momentum=0.9)`` would otherwise be
    plain gradient descent, which is not what ``torch.optim.SGD(momentum=0.9)`` means."""
    if name not in SETTINGS_USED:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {list(SETTINGS_USED)}.")
    unused = sorted(set(settings) - SETTINGS_USED[name] - {"weight_decay", "library"})
    if unused:
        given = ", ".join(f"{key}={settings[key]!r}" for key in unused)
        takes = ", ".join(["lr", *sorted(SETTINGS_USED[name])])
        advice = ' For SGD with momentum, ask for "momentum" (or "nesterov").' if name == "SGD" and "momentum" in unused else ""
        raise ValueError(f"{name} does not use {given}; it takes {takes}. Leave out what it does not use.{advice}")
    if name != FLAWED_ADAM:
        return make_optimizer(name, params, lr=lr, **settings)
    params = list(params)
    on_torch = bool(params) and type(params[0]).__module__.startswith("torch")
    if on_torch or settings.get("library") not in (None, "numpy_nn"):
        raise ValueError("FlawedAdam exists only in NumPy (course_lib.lessons.l05_optimizers.flawed_adam); torch has no flawed Adam.")
    return FlawedAdam(params, lr=lr, betas=settings.get("betas", (0.9, 0.999)))


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
            ``functools.partial(lesson_optimizer, "Adam", lr=0.1)`` or ``lambda ps: SGD(ps, lr=0.01)``),
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
    surface = surface_named(surface)
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

    surface = surface_named(surface)
    p0 = _start(surface, start)
    _check_steps(steps)
    param = torch.tensor(p0, dtype=torch.float64, requires_grad=True)
    opt = optimizer([param])

    def step(g: NDArray) -> NDArray:
        param.grad = torch.from_numpy(g)
        opt.step()
        return param.detach().numpy().copy()

    return _walk(surface, p0, steps, limit, step, label)


def stays_on_the_map(run: OptimizerRun) -> bool:
    """True if every point of the run's path lies inside its surface's plotted window."""
    (x0, x1), (y0, y1) = run.surface.xlim, run.surface.ylim
    x, y = run.path[:, 0], run.path[:, 1]
    return bool(np.all((x0 <= x) & (x <= x1) & (y0 <= y) & (y <= y1)))


def race(
    surface: Surface | str,
    names: Sequence[str] = OPTIMIZERS,
    *,
    steps: int = 300,
    lrs: Sequence[float] | None = None,
    start: Sequence[float] | None = None,
    **settings: Any,
) -> dict[str, OptimizerRun]:
    """Run each optimizer with the learning rate from a grid that suits it best on this surface.

    Comparing optimizers at one shared learning rate says little, because each has its own scale
    (SGD's step is lr·|g|, Adam's is about lr). So every optimizer runs with every lr of the grid
    and keeps its best *steady* run. Steady: it did not diverge and its path never left the plotted
    window (a run thrown off the map may land well by luck, but it is not what you want from
    training; a long step that stays on the map is fine). Best: the lowest log10(f − f_min), floored at
    1e-12 and averaged over the steps, which rewards getting low *and* getting there early.

    Args:
        surface: a :class:`Surface` or its name.
        names: optimizer names for :func:`lesson_optimizer`.
        steps: steps per run.
        lrs: the grid; by default 10^(k/3) from 1e-4 to 1 (13 values).
        start: the starting point; the surface's default if None.
        **settings: passed on to :func:`lesson_optimizer` (momentum, betas, ...).

    Returns:
        ``{name: run}``, each run labelled like ``"Adam (lr=0.1)"``. An optimizer with no steady
        learning rate in the grid gets its run at the smallest one, labelled as such.
    """
    surface = surface_named(surface)
    grid = sorted(np.logspace(-4, 0, 13) if lrs is None else np.asarray(lrs, dtype=np.float64))
    if not grid:
        raise ValueError("lrs must hold at least one learning rate.")
    best: dict[str, OptimizerRun] = {}
    for name in names:
        chosen: tuple[float, float, OptimizerRun] | None = None
        for lr in grid:
            factory = partial(lesson_optimizer, name, lr=float(lr), **settings)
            run = run_optimizer(surface, factory, start, steps)
            if run.diverged or not stays_on_the_map(run):
                continue
            score = float(np.mean(np.log10(np.maximum(run.gap, 1e-12))))
            if chosen is None or score < chosen[0]:
                chosen = (score, float(lr), run)
        if chosen is None:
            lr = float(grid[0])
            run = run_optimizer(surface, lambda ps: lesson_optimizer(name, ps, lr=lr, **settings), start, steps)
            label = f"{name} (lr={lr:.2g}, no steady lr)"
        else:
            _, lr, run = chosen
            label = f"{name} (lr={lr:.2g})"
        best[name] = replace(run, label=label)
    return best


def noisy_descent(
    surface: Surface | str, lr_at: Callable[[int], float], sigma: float, seed: int, steps: int = 2000
) -> NDArray:
    """Plain gradient descent from the surface's start, with noise added to every gradient.

    Each step: g = ∇f(p) + σ·ξ, with ξ two independent standard normal numbers from
    ``np.random.default_rng(seed)``, then p ← p − lr_at(t)·g for t = 0, 1, ... A stand-in for the
    noise of mini-batch gradients, of a size you choose. Returns f after each step, shape (steps,).
    """
    surface = surface_named(surface)
    _check_steps(steps)
    noise = np.random.default_rng(seed)
    p, losses = np.array(surface.start, dtype=np.float64), np.empty(steps)
    for t in range(steps):
        g = surface.gradient(p) + sigma * noise.standard_normal(2)
        p = p - lr_at(t) * g
        losses[t] = surface.value(p)
    return losses


def train_moons(name: str, lr: float, seed: int, train: Any, val: Any, *, epochs: int = 20) -> Any:
    """Section 10's training run: an MLP [2, 32, 32, 2] with initial weights from ``seed``, trained
    with the optimizer ``name`` at ``lr`` for ``epochs`` epochs of mini-batches of 32 drawn with
    ``seed + 1``. Returns ``fit``'s History."""
    model = MLP([2, 32, 32, 2], rng=seed_everything(seed))
    optimizer = lesson_optimizer(name, model.parameters(), lr=lr)
    return fit(model, CrossEntropyLoss(), optimizer, train, val=val, epochs=epochs, batch_size=32,
               rng=seed_everything(seed + 1), progress=False)
