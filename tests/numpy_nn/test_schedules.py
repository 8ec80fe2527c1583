"""Learning-rate schedules: the NumPy classes and closed forms against torch.optim.lr_scheduler."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.numpy_nn import optimizers as np_opt
from course_lib.numpy_nn import schedules as np_sched
from course_lib.numpy_nn.module import Parameter
from course_lib.numpy_nn.schedules import (
    cosine_annealing_lr,
    exponential_lr,
    linear_warmup_lr,
    step_lr,
)
from course_lib.torch_nn import optimizers as torch_opt
from course_lib.torch_nn import schedules as torch_sched

STEPS = 40
BASE_LR = 0.1

# (NumPy schedule, its arguments, the torch scheduler and arguments that must give the same lrs)
SETTINGS = [
    ("StepLR", dict(step_size=7), torch.optim.lr_scheduler.StepLR, dict(step_size=7)),
    ("StepLR", dict(step_size=3, gamma=0.5), torch.optim.lr_scheduler.StepLR, dict(step_size=3, gamma=0.5)),
    ("StepLR", dict(step_size=1, gamma=0.9), torch.optim.lr_scheduler.StepLR, dict(step_size=1, gamma=0.9)),
    ("ExponentialLR", dict(gamma=0.9), torch.optim.lr_scheduler.ExponentialLR, dict(gamma=0.9)),
    ("ExponentialLR", dict(gamma=1.02), torch.optim.lr_scheduler.ExponentialLR, dict(gamma=1.02)),
    ("CosineAnnealingLR", dict(T_max=40), torch.optim.lr_scheduler.CosineAnnealingLR, dict(T_max=40)),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.001), torch.optim.lr_scheduler.CosineAnnealingLR,
     dict(T_max=10, eta_min=0.001)),  # runs past T_max: the cosine comes back up, in both
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.05), torch.optim.lr_scheduler.CosineAnnealingLR,
     dict(T_max=7, eta_min=0.05)),
    ("LinearWarmup", dict(warmup_steps=5), torch.optim.lr_scheduler.LinearLR, dict(total_iters=5)),
    ("LinearWarmup", dict(warmup_steps=10, start_factor=0.1), torch.optim.lr_scheduler.LinearLR,
     dict(start_factor=0.1, end_factor=1.0, total_iters=10)),
    ("LinearWarmup", dict(warmup_steps=1, start_factor=1.0), torch.optim.lr_scheduler.LinearLR,
     dict(start_factor=1.0, total_iters=1)),
]
IDS = [f"{name}-{kwargs}" for name, kwargs, _, _ in SETTINGS]


def numpy_lrs(name: str, kwargs: dict) -> list[float]:
    opt = np_opt.SGD([Parameter(np.zeros(1))], lr=BASE_LR)
    sched = getattr(np_sched, name)(opt, **kwargs)
    lrs = [sched.get_last_lr()]
    for _ in range(STEPS):
        opt.step()
        sched.step()
        assert opt.lr == sched.get_last_lr()
        lrs.append(sched.get_last_lr())
    return lrs


def torch_lrs(opt: torch.optim.Optimizer, sched: torch.optim.lr_scheduler.LRScheduler) -> list[float]:
    lrs = [sched.get_last_lr()[0]]
    for _ in range(STEPS):
        opt.step()
        sched.step()
        assert opt.param_groups[0]["lr"] == sched.get_last_lr()[0]
        lrs.append(sched.get_last_lr()[0])
    return lrs


@pytest.mark.parametrize(("name", "kwargs", "torch_cls", "torch_kwargs"), SETTINGS, ids=IDS)
def test_numpy_schedules_give_torchs_learning_rates(name, kwargs, torch_cls, torch_kwargs):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=BASE_LR)
    expected = torch_lrs(opt, torch_cls(opt, **torch_kwargs))
    np.testing.assert_allclose(numpy_lrs(name, kwargs), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("name", "kwargs", "torch_cls", "torch_kwargs"), SETTINGS, ids=IDS)
def test_torch_twins_drive_the_from_scratch_torch_optimizers(name, kwargs, torch_cls, torch_kwargs):
    opt = torch_opt.Adam([torch.zeros(1, requires_grad=True)], lr=BASE_LR)
    lrs = torch_lrs(opt, getattr(torch_sched, name)(opt, **kwargs))
    np.testing.assert_allclose(lrs, numpy_lrs(name, kwargs), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["StepLR", "ExponentialLR", "CosineAnnealingLR"])
def test_torch_twins_are_torchs_own_schedulers_with_the_numpy_checks(name):
    # Thin subclasses (they only validate first): torch's class, name, argument names and defaults.
    ours, torchs = getattr(torch_sched, name), getattr(torch.optim.lr_scheduler, name)
    assert issubclass(ours, torchs) and ours.__name__ == name

    def arguments(cls):
        return [(p.name, p.default) for p in inspect.signature(cls.__init__).parameters.values()]

    assert arguments(ours) == arguments(torchs)
    assert issubclass(torch_sched.LinearWarmup, torch.optim.lr_scheduler.LinearLR)


def test_warmup_trains_the_same_with_both_torch_optimizers():
    def train(opt_cls, sched_cls, **sched_kwargs):
        torch.manual_seed(0)
        w = torch.randn(5, dtype=torch.float64, requires_grad=True)
        opt = opt_cls([w], lr=0.05)
        sched = sched_cls(opt, **sched_kwargs)
        for _ in range(20):
            opt.zero_grad()
            (torch.cosh(w - 1).sum()).backward()
            opt.step()
            sched.step()
        return w.detach()

    ours = train(torch_opt.AdamW, torch_sched.LinearWarmup, warmup_steps=8, start_factor=0.2)
    theirs = train(torch.optim.AdamW, torch.optim.lr_scheduler.LinearLR, start_factor=0.2, total_iters=8)
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("name", "kwargs", "closed"),
    [
        ("StepLR", dict(step_size=4, gamma=0.5), lambda t: step_lr(t, 0.3, 4, 0.5)),
        ("ExponentialLR", dict(gamma=0.8), lambda t: exponential_lr(t, 0.3, 0.8)),
        ("CosineAnnealingLR", dict(T_max=6, eta_min=0.01), lambda t: cosine_annealing_lr(t, 0.3, 6, 0.01)),
        ("LinearWarmup", dict(warmup_steps=5, start_factor=0.5), lambda t: linear_warmup_lr(t, 0.3, 5, 0.5)),
    ],
)
def test_classes_use_the_closed_forms(name, kwargs, closed):
    opt = np_opt.Adam([Parameter(np.zeros(1))], lr=0.3)
    sched = getattr(np_sched, name)(opt, **kwargs)
    for t in range(12):
        assert sched.last_epoch == t
        assert sched.get_last_lr() == opt.lr == closed(t)
        sched.step()


def test_schedule_starts_at_step_zero_and_sets_the_lr_at_once():
    opt = np_opt.SGD([Parameter(np.zeros(1))], lr=0.6)
    sched = np_sched.LinearWarmup(opt, warmup_steps=4)
    assert sched.last_epoch == 0 and sched.base_lr == 0.6
    assert opt.lr == pytest.approx(0.2)  # start_factor 1/3 of 0.6, already before the first step
    for _ in range(4):
        sched.step()
    assert opt.lr == pytest.approx(0.6)
    assert "LinearWarmup(" in repr(sched) and "warmup_steps=4" in repr(sched)


def test_closed_forms_by_hand():
    assert step_lr(0, 1.0, 3, 0.1) == 1.0
    assert step_lr(5, 1.0, 3, 0.1) == pytest.approx(0.1)
    assert step_lr(6, 1.0, 3, 0.1) == pytest.approx(0.01)
    assert exponential_lr(3, 2.0, 0.5) == 0.25
    assert cosine_annealing_lr(0, 1.0, 10, 0.1) == 1.0
    assert cosine_annealing_lr(5, 1.0, 10, 0.1) == pytest.approx(0.55)  # halfway: the mean
    assert cosine_annealing_lr(10, 1.0, 10, 0.1) == pytest.approx(0.1)
    assert linear_warmup_lr(0, 1.0, 4, 0.2) == pytest.approx(0.2)
    assert linear_warmup_lr(2, 1.0, 4, 0.2) == pytest.approx(0.6)
    assert linear_warmup_lr(4, 1.0, 4, 0.2) == 1.0
    assert linear_warmup_lr(100, 1.0, 4, 0.2) == 1.0


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 1000), st.floats(1e-6, 10.0), st.integers(1, 500), st.floats(0.0, 1.0))
def test_cosine_stays_between_eta_min_and_base_lr(t, base_lr, T_max, fraction):
    eta_min = fraction * base_lr
    lr = cosine_annealing_lr(t, base_lr, T_max, eta_min)
    assert eta_min - 1e-12 <= lr <= base_lr + 1e-12
    period_later = cosine_annealing_lr(t + 2 * T_max, base_lr, T_max, eta_min)  # torch's cosine never stops
    assert math.isclose(lr, period_later, rel_tol=1e-9, abs_tol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 200), st.integers(1, 50), st.floats(0.01, 1.0))
def test_warmup_rises_monotonically_to_base_lr(t, warmup_steps, start_factor):
    now = linear_warmup_lr(t, 1.0, warmup_steps, start_factor)
    later = linear_warmup_lr(t + 1, 1.0, warmup_steps, start_factor)
    assert start_factor - 1e-12 <= now <= later <= 1.0 + 1e-12


def test_state_dict_round_trip():
    opt = np_opt.SGD([Parameter(np.zeros(1))], lr=0.1)
    sched = np_sched.CosineAnnealingLR(opt, T_max=10)
    for _ in range(3):
        sched.step()
    saved = sched.state_dict()
    assert saved["last_epoch"] == 3 and saved["base_lr"] == 0.1
    opt2 = np_opt.SGD([Parameter(np.zeros(1))], lr=0.1)
    resumed = np_sched.CosineAnnealingLR(opt2, T_max=10)
    resumed.load_state_dict(saved)
    assert opt2.lr == opt.lr
    sched.step()
    resumed.step()
    assert opt2.lr == opt.lr and resumed.last_epoch == 4
    with pytest.raises(ValueError, match="expects keys"):
        np_sched.StepLR(opt2, step_size=2).load_state_dict(saved)


BAD = [
    (lambda o: np_sched.StepLR(o, step_size=0), r"step_size must be a positive integer, got 0"),
    (lambda o: np_sched.StepLR(o, step_size=2.5), r"step_size must be a positive integer, got 2\.5"),
    (lambda o: np_sched.StepLR(o, step_size=3, gamma=0), r"gamma must be a finite number > 0, got 0"),
    (lambda o: np_sched.ExponentialLR(o, gamma=-0.9), r"gamma must be a finite number > 0, got -0\.9"),
    (lambda o: np_sched.CosineAnnealingLR(o, T_max=0), r"T_max must be a positive integer, got 0"),
    (lambda o: np_sched.CosineAnnealingLR(o, T_max=10, eta_min=-1e-3), r"eta_min must be a finite number >= 0"),
    (lambda o: np_sched.LinearWarmup(o, warmup_steps=0), r"warmup_steps must be a positive integer, got 0"),
    (lambda o: np_sched.LinearWarmup(o, 5, start_factor=0.0), r"start_factor must be in \(0, 1\], got 0\.0"),
    (lambda o: np_sched.LinearWarmup(o, 5, start_factor=1.5), r"start_factor must be in \(0, 1\], got 1\.5"),
]


@pytest.mark.parametrize(("make", "match"), BAD, ids=[m for _, m in BAD])
def test_bad_arguments(make, match):
    opt = np_opt.SGD([Parameter(np.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match=match):
        make(opt)
    assert opt.lr == 0.1  # nothing was changed


def test_torch_twin_warmup_validates_like_the_numpy_one():
    opt = torch_opt.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match=r"warmup_steps must be a positive integer, got 0"):
        torch_sched.LinearWarmup(opt, warmup_steps=0)
    with pytest.raises(ValueError, match=r"start_factor must be in \(0, 1\], got 0"):
        torch_sched.LinearWarmup(opt, warmup_steps=3, start_factor=0)


def test_a_schedule_needs_the_right_kind_of_optimizer():
    torch_optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(TypeError, match="use course_lib.torch_nn.schedules"):
        np_sched.StepLR(torch_optimizer, step_size=2)
    with pytest.raises(TypeError, match=r"expects a course_lib.numpy_nn optimizer \(an object with an .lr attribute\)"):
        np_sched.ExponentialLR(object(), gamma=0.9)


# ---- warm-up + cosine --------------------------------------------------------------------------


def test_warmup_cosine_twins_agree_with_each_other_and_the_closed_form():
    from course_lib.numpy_nn.schedules import WarmupCosineLR, warmup_cosine_lr
    from course_lib.torch_nn.schedules import WarmupCosineLR as TorchWarmupCosineLR

    base, warmup, total = 0.5, 5, 30
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base)
    theirs = TorchWarmupCosineLR(opt, warmup, total, eta_min=0.01)
    ours = WarmupCosineLR(np_opt.SGD([Parameter(np.zeros(1))], lr=base), warmup, total, eta_min=0.01)
    for t in range(total + 1):
        expected = warmup_cosine_lr(t, base, warmup, total, eta_min=0.01)
        assert ours.optimizer.lr == pytest.approx(expected, abs=1e-12)
        assert opt.param_groups[0]["lr"] == pytest.approx(expected, abs=1e-12)
        opt.step()
        theirs.step()
        ours.step()
    assert warmup_cosine_lr(0, base, warmup, total) == pytest.approx(0.1 * base)
    assert warmup_cosine_lr(warmup, base, warmup, total) == base and warmup_cosine_lr(total, base, warmup, total) == 0.0


def test_warmup_cosine_refuses_bad_settings():
    from course_lib.numpy_nn.schedules import WarmupCosineLR
    from course_lib.torch_nn.schedules import WarmupCosineLR as TorchWarmupCosineLR

    with pytest.raises(ValueError, match="larger than warmup_steps"):
        WarmupCosineLR(np_opt.SGD([Parameter(np.zeros(1))], lr=0.1), 10, 10)
    with pytest.raises(ValueError, match="start_factor"):
        WarmupCosineLR(np_opt.SGD([Parameter(np.zeros(1))], lr=0.1), 5, 20, start_factor=0.0)
    with pytest.raises(ValueError, match="larger than warmup_steps"):
        TorchWarmupCosineLR(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), 5, 5)
