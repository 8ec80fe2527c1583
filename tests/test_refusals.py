"""Both twins refuse the same bad call with the same error and the same words (issue 12).

One table of bad calls, each made against the NumPy reference and against its PyTorch twin (where
the twin exists): both must raise the same exception type with the same message, and the message
must say what was expected and what came (``match``). Then tables for what only one twin has: the
NumPy reference's own tools (gradient checks, ``Parameter``, complex inputs) and the torch-only
models' inputs. ``CLASS`` numbers the classes of the issue; ``test_every_class_has_cases`` counts them.

The rows build everything they need inside their lambdas, so a row cannot leak state into another.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import torch

from course_lib import numpy_nn as N
from course_lib import torch_nn as T
from course_lib.numpy_nn import gradcheck as G
from course_lib.numpy_nn import losses as NL
from course_lib.numpy_nn import optimizers as NO
from course_lib.numpy_nn import regularization as NR
from course_lib.numpy_nn import schedules as NS
from course_lib.numpy_nn import training as NT
from course_lib.torch_nn import optimizers as TO
from course_lib.torch_nn import regularization as TR
from course_lib.torch_nn import schedules as TS
from course_lib.torch_nn import training as TT

INF, NAN = math.inf, math.nan


@dataclass(frozen=True)
class Refusal:
    """One bad call: ``numpy`` and ``torch`` make it (None where that twin has no such thing)."""

    cls: int                                   # the class, 1..7
    name: str
    numpy: Callable[[], object] | None
    torch: Callable[[], object] | None
    error: type[Exception]
    match: str                                 # a pattern every message must contain

    def __str__(self) -> str:
        return f"{self.cls}-{self.name}"


# ---- builders (fresh objects for every call) -------------------------------------------------------


def np_param(*shape: int) -> N.Parameter:
    return N.Parameter(np.ones(shape or (2,)))


def t_param(*shape: int) -> torch.Tensor:
    return torch.ones(shape or (2,), requires_grad=True)


def np_sgd(lr: float = 0.1) -> NO.SGD:
    return NO.SGD([np_param()], lr=lr)


def t_sgd(lr: float = 0.1) -> TO.SGD:
    return TO.SGD([t_param()], lr=lr)


def data(n: int = 20, features: int = 2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two-class data, float32 features and int64 labels."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, features)).astype(np.float32), rng.integers(0, 2, n)


def with_label(y: np.ndarray, index: int, label: float) -> np.ndarray:
    y = y.astype(np.float64 if isinstance(label, float) else y.dtype, copy=True)
    y[index] = label
    return y


def np_fit(loss: object, train: tuple, *, out: int = 2, **kwargs) -> object:
    """numpy_nn.fit of a small MLP; ``kwargs`` replace the loop's defaults."""
    model = N.MLP((train[0].shape[1], 4, out), rng=np.random.default_rng(0))
    settings = dict(epochs=1, batch_size=8, rng=np.random.default_rng(0), progress=False) | kwargs
    return NT.fit(model, loss, NO.SGD(model.parameters(), lr=0.1), train, **settings)


def t_fit(loss: object, train: tuple, *, out: int = 2, **kwargs) -> object:
    """torch_nn.fit of the twin MLP, on the CPU."""
    torch.manual_seed(0)
    model = T.MLP((train[0].shape[1], 4, out))
    settings = dict(epochs=1, batch_size=8, rng=np.random.default_rng(0), progress=False, device="cpu") | kwargs
    return TT.fit(model, loss, TO.SGD(model.parameters(), lr=0.1), train, **settings)


def np_evaluate(loss: object, data_: tuple, *, out: int = 2, **kwargs) -> object:
    return NT.evaluate(N.MLP((data_[0].shape[1], 4, out), rng=np.random.default_rng(0)), loss, data_, **kwargs)


def t_evaluate(loss: object, data_: tuple, *, out: int = 2, **kwargs) -> object:
    return TT.evaluate(T.MLP((data_[0].shape[1], 4, out)), loss, data_, **kwargs)


def np_fit_ce(train: tuple, **kwargs) -> object:
    return np_fit(NL.CrossEntropyLoss(), train, **kwargs)


def t_fit_ce(train: tuple, **kwargs) -> object:
    return t_fit(torch.nn.CrossEntropyLoss(), train, **kwargs)


def t_group(cls: type, **group) -> object:
    return cls([{"params": [t_param()], **group}])


def t_added(cls: type, **group) -> None:
    opt = cls([t_param()])
    opt.add_param_group({"params": [t_param()], **group})


def np_dropout(p: object) -> object:
    return N.Dropout(p, rng=np.random.default_rng(0))


def torch_clip(max_norm: object, norm_type: object = 2.0) -> object:
    p = t_param()
    p.grad = torch.ones(2)
    return TR.clip_grad_norm_([p], max_norm, norm_type)


def numpy_clip(max_norm: object, norm_type: object = 2.0) -> object:
    p = np_param()
    p.grad = np.ones(2)
    return NR.clip_grad_norm_([p], max_norm, norm_type)


def _same_parameter_twice_np() -> object:
    p = np_param()
    return NO.SGD([p, p], lr=0.1)


def _same_parameter_twice_t(groups: bool) -> object:
    p = t_param()
    return TO.SGD([{"params": [p]}, {"params": [p]}] if groups else [p, p], lr=0.1)


def _added_twice_t() -> None:
    p = t_param()
    TO.Adam([p]).add_param_group({"params": [p]})


X, Y = data()
Y_REG = np.random.default_rng(1).normal(size=len(X))
BATCH = dict(batch_size=len(X))  # one batch: the NumPy twin's batch is the whole set, as torch_nn's screen sees it

TWIN_REFUSALS = [
    # 1. schedules: the torch classes validate as the NumPy ones do ----------------------------------
    *[Refusal(1, f"{cls}-{kw}", (lambda c=cls, k=kw: getattr(NS, c)(np_sgd(), **k)),
              (lambda c=cls, k=kw: getattr(TS, c)(t_sgd(), **k)), err, match)
      for cls, kw, err, match in [
          ("StepLR", dict(step_size=0), ValueError, r"step_size must be a positive integer, got 0;"),
          ("StepLR", dict(step_size=2.5), ValueError, r"step_size must be a positive integer, got 2\.5"),
          ("StepLR", dict(step_size=-3), ValueError, r"step_size must be a positive integer, got -3"),
          ("StepLR", dict(step_size=2, gamma=0), ValueError, r"gamma must be a finite number > 0, got 0;"),
          ("StepLR", dict(step_size=2, gamma=INF), ValueError, r"gamma must be a finite number > 0, got inf"),
          ("ExponentialLR", dict(gamma=-1), ValueError, r"gamma must be a finite number > 0, got -1;"),
          ("ExponentialLR", dict(gamma=INF), ValueError, r"gamma must be a finite number > 0, got inf"),
          ("ExponentialLR", dict(gamma=NAN), ValueError, r"gamma must be a finite number > 0, got nan"),
          ("ExponentialLR", dict(gamma="0.9"), ValueError, r"gamma must be a finite number > 0, got '0\.9'"),
          ("CosineAnnealingLR", dict(T_max=0), ValueError, r"T_max must be a positive integer, got 0;"),
          ("CosineAnnealingLR", dict(T_max=-4), ValueError, r"T_max must be a positive integer, got -4"),
          ("CosineAnnealingLR", dict(T_max=5, eta_min=-1e-3), ValueError, r"eta_min must be a finite number >= 0"),
          ("CosineAnnealingLR", dict(T_max=5, eta_min=INF), ValueError, r"eta_min must be a finite number >= 0, got inf"),
          ("LinearWarmup", dict(warmup_steps=0), ValueError, r"warmup_steps must be a positive integer, got 0"),
          ("WarmupCosineLR", dict(warmup_steps=5, total_steps=5), ValueError, r"larger than warmup_steps=5, got 5"),
      ]],
    # 2. batch_size and epochs, in both twins' fit and evaluate -----------------------------------------
    *[Refusal(2, f"evaluate-batch_size={bs!r}", lambda b=bs: np_evaluate(NL.CrossEntropyLoss(), (X, Y), batch_size=b),
              lambda b=bs: t_evaluate(torch.nn.CrossEntropyLoss(), (X, Y), batch_size=b), ValueError,
              rf"batch_size must be a whole number of at least 1, got {re.escape(repr(bs))};")
      for bs in (-5, 0, 2.5, True, "64")],
    *[Refusal(2, f"fit-{kw}", lambda k=kw: np_fit_ce((X, Y), **k), lambda k=kw: t_fit_ce((X, Y), **k), err, match)
      for kw, err, match in [
          (dict(batch_size=0), ValueError, r"batch_size must be a whole number of at least 1, got 0"),
          (dict(batch_size=-1), ValueError, r"batch_size must be a whole number of at least 1, got -1"),
          (dict(epochs=0), ValueError, r"epochs must be a whole number of at least 1, got 0"),
          (dict(epochs=1.5), ValueError, r"epochs must be a whole number of at least 1, got 1\.5"),
          (dict(rng=0), TypeError, r"fit needs rng=np.random.Generator .*got int"),
          (dict(rng=None), TypeError, r"fit needs rng=np.random.Generator .*got NoneType"),
      ]],
    # 3. targets that torch would index with or broadcast: both twins refuse them with the NumPy losses' words
    Refusal(3, "fit-CE-label-7", lambda: np_fit_ce((X, with_label(Y, 5, 7))), lambda: t_fit_ce((X, with_label(Y, 5, 7))),
            ValueError, r"CrossEntropyLoss: target contains label 7, but the logits have C = 2 classes"),
    Refusal(3, "fit-CE-label-minus-1", lambda: np_fit_ce((X, with_label(Y, 17, -1))),
            lambda: t_fit_ce((X, with_label(Y, 17, -1))), ValueError, r"target contains label -1"),
    Refusal(3, "evaluate-CE-label-2", lambda: np_evaluate(NL.CrossEntropyLoss(), (X, with_label(Y, 19, 2)), batch_size=8),
            lambda: t_evaluate(torch.nn.CrossEntropyLoss(), (X, with_label(Y, 19, 2)), batch_size=8),
            ValueError, r"target contains label 2, but the logits have C = 2 classes, so labels must be in \[0, 2\)"),
    Refusal(3, "fit-CE-float-labels", lambda: np_fit_ce((X, Y.astype(np.float64))),
            lambda: t_fit_ce((X, Y.astype(np.float64))), TypeError,
            r"expects integer class indices as targets, got dtype float64"),
    Refusal(3, "fit-CE-one-hot", lambda: np_fit_ce((X, np.eye(2)[Y])), lambda: t_fit_ce((X, np.eye(2)[Y])),
            ValueError, r"expects targets of shape \(N,\).*got shape \(8, 2\).*y.argmax\(axis=1\)"),
    Refusal(3, "fit-MSE-N1-vs-N", lambda: np_fit(NL.MSELoss(), (X, Y_REG), out=1),
            lambda: t_fit(torch.nn.MSELoss(), (X, Y_REG), out=1), ValueError,
            r"MSELoss: pred and target must have the same shape, got pred \(8, 1\) and target \(8,\)"),
    Refusal(3, "evaluate-MSE-N1-vs-N", lambda: np_evaluate(NL.MSELoss(), (X, Y_REG), out=1),
            lambda: t_evaluate(torch.nn.MSELoss(), (X, Y_REG), out=1), ValueError,
            r"got pred \(20, 1\) and target \(20,\).*reshape one"),
    Refusal(3, "fit-L1-wrong-width", lambda: np_fit(NL.L1Loss(), (X, np.zeros((len(X), 3))), out=2),
            lambda: t_fit(torch.nn.L1Loss(), (X, np.zeros((len(X), 3))), out=2), ValueError,
            r"L1Loss: pred and target must have the same shape, got pred \(8, 2\) and target \(8, 3\)"),
    Refusal(3, "evaluate-Huber-N1-vs-N", lambda: np_evaluate(NL.HuberLoss(), (X, Y_REG), out=1),
            lambda: t_evaluate(torch.nn.HuberLoss(), (X, Y_REG), out=1), ValueError, r"HuberLoss: pred and target"),
    Refusal(3, "fit-BCE-target-2", lambda: np_fit(NL.BCEWithLogitsLoss(), (X, with_label(Y[:, None] * 1.0, 3, 2.0)), out=1, **BATCH),
            lambda: t_fit(torch.nn.BCEWithLogitsLoss(), (X, with_label(Y[:, None] * 1.0, 3, 2.0)), out=1, **BATCH),
            ValueError, r"targets must be probabilities in \[0, 1\], got 2\.0 \(1 of 20 targets"),
    # 4. optimizers: every parameter group is checked, and no parameter twice ---------------------------
    *[Refusal(4, f"{cls}-group-{kw}", lambda c=cls, k=kw: getattr(NO, c)([np_param()], **k),
              lambda c=cls, k=kw: t_group(getattr(TO, c), **k), err, match)
      for cls, kw, err, match in [
          ("SGD", dict(lr=-1), ValueError, r"Invalid learning rate: -1\. Expected lr >= 0"),
          ("SGD", dict(lr="0.1"), TypeError, r"lr must be a real number, got '0\.1' \(str\)"),
          ("SGD", dict(momentum=INF), ValueError, r"momentum must be a finite number, got inf"),
          ("Adam", dict(betas=(1.0, 0.999)), ValueError, r"Invalid beta parameter at index 0: 1\.0"),
          ("RMSprop", dict(alpha=1.0), ValueError, r"Invalid alpha value: 1\.0\. Expected 0 <= alpha < 1"),
          ("Adagrad", dict(eps=-1), ValueError, r"Invalid epsilon value: -1"),
          ("AdamW", dict(weight_decay=-0.1), ValueError, r"Invalid weight_decay value: -0\.1"),
      ]],
    *[Refusal(4, f"{cls}-added-group-{kw}", lambda c=cls, k=kw: getattr(NO, c)([np_param()], **k),
              lambda c=cls, k=kw: t_added(getattr(TO, c), **k), ValueError, match)
      for cls, kw, match in [
          ("SGD", dict(lr=-0.5), r"Invalid learning rate: -0\.5"),
          ("Adam", dict(eps=NAN), r"eps must be a finite number, got nan"),
      ]],
    Refusal(4, "same-parameter-twice", _same_parameter_twice_np, lambda: _same_parameter_twice_t(groups=False),
            ValueError, r"SGD got the same Parameter more than once, so it would be updated twice per step"),
    Refusal(4, "same-parameter-in-two-groups", _same_parameter_twice_np, lambda: _same_parameter_twice_t(groups=True),
            ValueError, r"SGD got the same Parameter more than once"),
    Refusal(4, "same-parameter-added-again", lambda: (lambda p: NO.Adam([p, p]))(np_param()), _added_twice_t,
            ValueError, r"Adam got the same Parameter more than once"),
    # 5. the models' inputs, where both twins have the model ------------------------------------------
    Refusal(5, "MLP-empty-batch", lambda: N.MLP((4, 3, 2), rng=np.random.default_rng(0))(np.zeros((0, 4))),
            lambda: T.MLP((4, 3, 2))(torch.zeros(0, 4)), ValueError,
            r"MLP\(4, 3, 2\) got an empty batch \(shape \(0, 4\)\); pass at least one example"),
    # 6. NaN targets are named as such, not blamed on the learning rate -------------------------------
    Refusal(6, "fit-MSE-nan-target", lambda: np_fit(NL.MSELoss(), (X, with_label(Y_REG[:, None], 3, NAN)), out=1),
            lambda: t_fit(torch.nn.MSELoss(), (X, with_label(Y_REG[:, None], 3, NAN)), out=1), ValueError,
            r"train: 1 target\(s\) in y contain NaN or inf \(the first at indices \[3\]\)\. A NaN target"),
    Refusal(6, "fit-MSE-inf-target", lambda: np_fit(NL.MSELoss(), (X, with_label(Y_REG[:, None], 11, -INF)), out=1),
            lambda: t_fit(torch.nn.MSELoss(), (X, with_label(Y_REG[:, None], 11, -INF)), out=1), ValueError,
            r"1 target\(s\) in y contain NaN or inf \(the first at indices \[11\]\)"),
    Refusal(6, "fit-val-nan-target", lambda: np_fit(NL.MSELoss(), (X, Y_REG[:, None]), out=1, val=(X, with_label(Y_REG[:, None], 0, NAN))),
            lambda: t_fit(torch.nn.MSELoss(), (X, Y_REG[:, None]), out=1, val=(X, with_label(Y_REG[:, None], 0, NAN))),
            ValueError, r"val: 1 target\(s\) in y contain NaN or inf"),
    Refusal(6, "evaluate-nan-target", lambda: np_evaluate(NL.MSELoss(), (X, with_label(Y_REG[:, None], 2, NAN)), out=1),
            lambda: t_evaluate(torch.nn.MSELoss(), (X, with_label(Y_REG[:, None], 2, NAN)), out=1), ValueError,
            r"data: 1 target\(s\) in y contain NaN or inf"),
    Refusal(6, "fit-nan-sample", lambda: np_fit_ce((with_label(X, 4, NAN), Y)), lambda: t_fit_ce((with_label(X, 4, NAN), Y)),
            ValueError, r"train: 1 sample\(s\) contain NaN or inf \(the first at indices \[4\]\)"),
    # 7. arguments that raised at a course_lib line, or were taken in silence -------------------------
    *[Refusal(7, f"Dropout-p={p!r}", lambda p=p: np_dropout(p), lambda p=p: T.Dropout(p), err, match)
      for p, err, match in [
          ("0.5", TypeError, r"Dropout: p must be a number in \[0, 1\), got '0\.5' \(str\)"),
          (1.0, ValueError, r"Dropout: p must be in \[0, 1\); got 1\.0\. p = 1 would drop every unit"),
          (-0.1, ValueError, r"Dropout: p must be in \[0, 1\); got -0\.1"),
          (NAN, ValueError, r"Dropout: p must be in \[0, 1\); got nan"),
      ]],
    *[Refusal(7, f"{cls}(dim={dim!r})-on-{shape}", lambda c=cls, d=dim, s=shape: getattr(N, c)(dim=d)(np.zeros(s)),
              lambda c=cls, d=dim, s=shape: getattr(T, c)(dim=d)(torch.zeros(s)), ValueError, match)
      for cls, dim, shape, match in [
          ("Softmax", 5, (2, 3), r"Softmax\(dim=5\) normalises along dimension 5, but the input has 2 dimension\(s\)"),
          ("Softmax", -3, (2, 3), r"dim must be in \[-2, 2\)"),
          ("LogSoftmax", 2, (4,), r"LogSoftmax\(dim=2\).*shape \(4,\): dim must be in \[-1, 1\)"),
      ]],
    Refusal(7, "Softmax(dim='1')", lambda: N.Softmax(dim="1"), lambda: T.Softmax(dim="1"), TypeError,
            r"Softmax: dim must be an integer, got '1' \(str\)"),
    *[Refusal(7, f"BatchNorm1d-{kw}", lambda k=kw: N.BatchNorm1d(**k), lambda k=kw: T.BatchNorm1d(**k), err, match)
      for kw, err, match in [
          (dict(num_features=3, eps=NAN), ValueError, r"BatchNorm1d: eps must be > 0; got nan"),
          (dict(num_features=3, eps=0.0), ValueError, r"BatchNorm1d: eps must be > 0; got 0\.0"),
          (dict(num_features=3, eps=INF), ValueError, r"BatchNorm1d: eps must be finite; got inf"),
          (dict(num_features=3, eps="1e-5"), TypeError, r"BatchNorm1d: eps must be a real number, got '1e-5'"),
          (dict(num_features=3, momentum=1.5), ValueError, r"momentum must be in \[0, 1\] or None; got 1\.5"),
          (dict(num_features=3, momentum="0.1"), ValueError, r"momentum must be in \[0, 1\] or None; got '0\.1'"),
          (dict(num_features=0), ValueError, r"BatchNorm1d: num_features must be a positive integer; got 0"),
      ]],
    *[Refusal(7, f"LayerNorm-{kw}", lambda k=kw: N.LayerNorm(**k), lambda k=kw: T.LayerNorm(**k), err, match)
      for kw, err, match in [
          (dict(normalized_shape=4, eps=NAN), ValueError, r"LayerNorm: eps must be > 0; got nan"),
          (dict(normalized_shape=4, eps=0.0), ValueError, r"LayerNorm: eps must be > 0; got 0\.0"),
          (dict(normalized_shape=4, eps=-1e-5), ValueError, r"LayerNorm: eps must be > 0; got -1e-05"),
          (dict(normalized_shape=4, eps=INF), ValueError, r"LayerNorm: eps must be finite; got inf"),
          (dict(normalized_shape=4, eps="1e-5"), TypeError, r"LayerNorm: eps must be a real number, got '1e-5'"),
          (dict(normalized_shape=0), ValueError, r"LayerNorm: normalized_shape must be a positive integer or a "
                                                 r"non-empty tuple of positive integers; got 0\."),
          (dict(normalized_shape=(3, -1)), ValueError, r"normalized_shape must be .*; got \(3, -1\)"),
          (dict(normalized_shape=()), ValueError, r"normalized_shape must be .*; got \(\)"),
          (dict(normalized_shape=2.5), ValueError, r"normalized_shape must be .*; got 2\.5"),
          (dict(normalized_shape="4"), ValueError, r"normalized_shape must be .*; got '4'"),
          (dict(normalized_shape=True), ValueError, r"normalized_shape must be .*; got True"),
      ]],
    *[Refusal(7, f"LayerNorm({shape})-on-{x}", lambda s=shape, x=x: N.LayerNorm(s)(np.zeros(x)),
              lambda s=shape, x=x: T.LayerNorm(s)(torch.zeros(x)), ValueError, match)
      for shape, x, match in [
          (4, (2, 3), r"LayerNorm\(normalized_shape=\(4,\)\) normalises over the input's last 1 dimension\(s\), which "
                      r"must be \(4,\); got input of shape \(2, 3\)\. .*LayerNorm\(3\)"),
          ((3, 4), (4,), r"which must be \(3, 4\); got input of shape \(4,\)"),
      ]],
    *[Refusal(7, f"Residual-{name}", lambda m=make_np: N.Residual(m())(np.zeros((2, 4))),
              lambda m=make_t: T.Residual(m())(torch.zeros(2, 4)), ValueError, match)
      for name, make_np, make_t, match in [
          ("Linear(4, 3)", lambda: N.Linear(4, 3, rng=np.random.default_rng(0)), lambda: T.Linear(4, 3),
           r"Residual computes x \+ body\(x\), so its body must return the input's shape: expected \(2, 4\), but the "
           r"body \(Linear\) returned \(2, 3\)\. Make the body's last layer map back .*Linear\(hidden, 4\)"),
          ("Flatten-body", lambda: N.Sequential(N.Linear(4, 4, rng=np.random.default_rng(0)), N.Flatten(0)),
           lambda: T.Sequential(T.Linear(4, 4), T.Flatten(0)),
           r"expected \(2, 4\), but the body \(Sequential\) returned \(8,\)"),
      ]],
    Refusal(7, "Linear(0, 3)", lambda: N.Linear(0, 3, rng=np.random.default_rng(0)), lambda: T.Linear(0, 3), ValueError,
            r"Linear: in_features must be a positive integer; got 0"),
    Refusal(7, "Linear(3, -1)", lambda: N.Linear(3, -1, rng=np.random.default_rng(0)), lambda: T.Linear(3, -1), ValueError,
            r"Linear: out_features must be a positive integer; got -1"),
    Refusal(7, "LeakyReLU('a')", lambda: N.LeakyReLU("a"), lambda: T.LeakyReLU("a"), TypeError,
            r"negative_slope must be a real number, got 'a'"),
    Refusal(7, "ELU(alpha=inf)", lambda: N.ELU(alpha=INF), lambda: T.ELU(alpha=INF), ValueError,
            r"alpha must be a finite number, got inf"),
    Refusal(7, "MLP-dropout-'0.5'", lambda: N.MLP((4, 2), dropout="0.5", rng=np.random.default_rng(0)),
            lambda: T.MLP((4, 2), dropout="0.5"), TypeError, r"MLP: dropout must be a number in \[0, 1\), got '0\.5'"),
    *[Refusal(7, f"{cls}-{kw}", lambda c=cls, k=kw: getattr(NO, c)([np_param()], **k),
              lambda c=cls, k=kw: getattr(TO, c)([t_param()], **k), ValueError, match)
      for cls, kw, match in [
          ("SGD", dict(lr=INF), r"lr must be a finite number, got inf"),
          ("SGD", dict(lr=0.1, momentum=INF), r"momentum must be a finite number, got inf"),
          ("RMSprop", dict(weight_decay=INF), r"weight_decay must be a finite number, got inf"),
          ("Adam", dict(eps=INF), r"eps must be a finite number, got inf"),
          ("Adam", dict(betas=(0.9, NAN)), r"betas\[1\] must be a finite number, got nan"),
      ]],
    *[Refusal(7, f"{fn}-lam={lam!r}", lambda f=fn, v=lam: getattr(NR, f)([np_param()], v),
              lambda f=fn, v=lam: getattr(TR, f)([t_param()], v), err, match)
      for fn, lam, err, match in [
          ("l2_penalty", INF, ValueError, r"l2_penalty: the strength lam must be finite; got inf"),
          ("l1_penalty", -0.1, ValueError, r"l1_penalty: the strength lam must be >= 0; got -0\.1"),
          ("l1_penalty", NAN, ValueError, r"the strength lam must be >= 0; got nan"),
          ("l2_penalty", "0.1", TypeError, r"the strength lam must be a real number, got '0\.1'"),
      ]],
    *[Refusal(7, f"clip_grad_norm_-{args}", lambda a=args: numpy_clip(*a), lambda a=args: torch_clip(*a), err, match)
      for args, err, match in [
          ((-1.0,), ValueError, r"clip_grad_norm_: max_norm must be > 0; got -1\.0"),
          ((NAN,), ValueError, r"clip_grad_norm_: max_norm must be > 0; got nan"),
          ((-INF,), ValueError, r"clip_grad_norm_: max_norm must be > 0; got -inf"),
          (("1.0",), TypeError, r"max_norm must be a real number, got '1\.0'"),
          ((1.0, 0.0), ValueError, r"clip_grad_norm_: norm_type must be > 0; got 0\.0"),
      ]],
]

NUMPY_ONLY_REFUSALS = [
    # 7. the reference's own tools and its inputs
    *[Refusal(7, f"{fn}-eps={eps!r}", (lambda f=fn, e=eps: getattr(G, f)(lambda: 0.0, np.zeros(2), eps=e)
                                        if f == "numerical_gradient" else
                                        G.numerical_gradient_array(lambda: np.zeros(2), np.zeros(2), np.ones(2), eps=e)),
              None, err, match)
      for fn, eps, err, match in [
          ("numerical_gradient", 0, ValueError, r"numerical_gradient: eps must be > 0; got 0\. It is the finite-difference step"),
          ("numerical_gradient", -1e-6, ValueError, r"numerical_gradient: eps must be > 0; got -1e-06"),
          ("numerical_gradient", NAN, ValueError, r"numerical_gradient: eps must be > 0; got nan"),
          ("numerical_gradient", "1e-6", TypeError, r"numerical_gradient: eps must be a real number, got '1e-6'"),
          ("numerical_gradient_array", 0.0, ValueError, r"numerical_gradient_array: eps must be > 0; got 0\.0"),
      ]],
    Refusal(7, "check_layer-eps=0", lambda: G.check_layer(N.Tanh(), np.ones((2, 2)), rng=np.random.default_rng(0), eps=0),
            None, ValueError, r"check_layer: eps must be > 0; got 0"),
    Refusal(7, "check_loss-eps=inf", lambda: G.check_loss(NL.MSELoss(), np.ones(2), np.zeros(2), eps=INF), None,
            ValueError, r"check_loss: eps must be finite; got inf"),
    Refusal(7, "clip_grad_norm_-integer-grad", lambda: (lambda p: (setattr(p, "grad", np.array([3, 4])),
                                                                   NR.clip_grad_norm_([np_param(), p], 1.0)))(np_param()),
            None, TypeError, r"clip_grad_norm_ rescales the gradients in place.*params\[1\]\.grad is dtype int64"),
    Refusal(7, "clip_grad_norm_-complex-grad", lambda: (lambda p: (setattr(p, "grad", np.ones(2) * 1j),
                                                                   NR.clip_grad_norm_([p], 1.0)))(np_param()),
            None, TypeError, r"params\[0\]\.grad is dtype complex128"),
    Refusal(7, "Parameter(complex)", lambda: N.Parameter(np.array([1 + 2j])), None, TypeError,
            r"Parameter: data must be an array of real numbers, got dtype complex128"),
    Refusal(7, "Parameter(strings)", lambda: N.Parameter(np.array(["a"])), None, TypeError,
            r"Parameter: data must be an array of real numbers, got dtype <U1"),
    Refusal(7, "step-with-complex-grad", lambda: (lambda o: (setattr(o.params[0], "grad", np.ones(2) * 1j), o.step()))(np_sgd()),
            None, TypeError, r"params\[0\]: grad must be an array of real numbers, got dtype complex128"),
    *[Refusal(7, f"{name}-complex-input", lambda m=make: m()(np.ones((3, 2)) * 1j), None, TypeError,
              rf"{name}: input must be an array of real numbers, got dtype complex128")
      for name, make in [
          ("Linear", lambda: N.Linear(2, 2, rng=np.random.default_rng(0))),
          ("ReLU", N.ReLU), ("Sigmoid", N.Sigmoid), ("Tanh", N.Tanh), ("GELU", N.GELU), ("Softmax", N.Softmax),
          ("Dropout", lambda: np_dropout(0.5)), ("BatchNorm1d", lambda: N.BatchNorm1d(2)),
          ("LayerNorm", lambda: N.LayerNorm(2)), ("Residual", lambda: N.Residual(N.ReLU())),
      ]],
    Refusal(7, "Residual(body=a function)", lambda: N.Residual(np.tanh), None, TypeError,
            r"Residual takes a Layer as its body .*; got ufunc"),
    Refusal(7, "LayerNorm-backward-wrong-dy", lambda: (lambda m: (m(np.ones((2, 3))), m.backward(np.ones((3, 2)))))(N.LayerNorm(3)),
            None, ValueError, r"LayerNorm\.backward expects dy of the output's shape \(2, 3\); got \(3, 2\)"),
    Refusal(7, "Linear-string-input", lambda: N.Linear(2, 2, rng=np.random.default_rng(0))(np.array([["a", "b"]])),
            None, TypeError, r"Linear: input must be an array of real numbers, got dtype <U1"),
    Refusal(7, "MSELoss-complex-pred", lambda: NL.MSELoss()(np.ones(2) * 1j, np.ones(2)), None, TypeError,
            r"MSELoss: pred must be an array of real numbers, got dtype complex128"),
    Refusal(7, "CrossEntropyLoss-complex-logits", lambda: NL.CrossEntropyLoss()(np.ones((2, 2)) * 1j, np.array([0, 1])),
            None, TypeError, r"CrossEntropyLoss: logits must be an array of real numbers"),
    Refusal(7, "EarlyStopping-min_delta='0.1'", lambda: N.EarlyStopping(min_delta="0.1"), None, TypeError,
            r"min_delta must be a real number, got '0\.1'"),
]

TORCH_ONLY_REFUSALS = [
    Refusal(7, "torch-Residual(body=a function)", None, lambda: T.Residual(torch.tanh), TypeError,
            r"Residual takes an nn\.Module as its body .*; got builtin_function_or_method"),
    # 5. inputs torch would refuse from deep inside (or, empty, run on): CNN has no NumPy twin
    *[Refusal(5, f"{model}-{what}", lambda m=model, x=x: (T.MLP((4, 3, 2)) if m == "MLP" else T.CNN())(x()), None,
              err, match)
      for model, what, x, err, match in [
          ("MLP", "numpy-input", lambda: np.zeros((2, 4), np.float32), TypeError,
           r"MLP\(4, 3, 2\) expects a torch.Tensor, got ndarray\. Convert it first: torch.as_tensor"),
          ("MLP", "float64-input", lambda: torch.zeros(2, 4, dtype=torch.float64), TypeError,
           r"has torch.float32 parameters, so it expects torch.float32 input, got torch.float64"),
          ("MLP", "int64-input", lambda: torch.zeros(2, 4, dtype=torch.int64), TypeError,
           r"got torch.int64\. Convert the input with x.to\(torch.float32\) \(integer pixels"),
          ("CNN", "numpy-input", lambda: np.zeros((2, 784)), TypeError, r"CNN expects a torch.Tensor, got ndarray"),
          ("CNN", "empty-batch", lambda: torch.zeros(0, 784), ValueError, r"CNN got an empty batch \(shape \(0, 784\)\)"),
          ("CNN", "float64-input", lambda: torch.zeros(2, 1, 28, 28, dtype=torch.float64), TypeError,
           r"CNN has torch.float32 parameters.*got torch.float64"),
          ("CNN", "uint8-input", lambda: torch.zeros(2, 784, dtype=torch.uint8), TypeError, r"got torch.uint8.*/ 255"),
      ]],
    # 7. CNN's sizes
    *[Refusal(7, f"CNN-{kw}", lambda k=kw: T.CNN(**k), None, err, match)
      for kw, err, match in [
          (dict(hidden=0), ValueError, r"CNN: hidden must be a positive integer; got 0"),
          (dict(num_classes=0), ValueError, r"CNN: num_classes must be a positive integer; got 0"),
          (dict(hidden=2.5), ValueError, r"CNN: hidden must be a positive integer; got 2\.5"),
          (dict(dropout="0.25"), TypeError, r"CNN: dropout must be a number in \[0, 1\), got '0\.25'"),
          (dict(dropout=1.0), ValueError, r"CNN: dropout must be in \[0, 1\); got 1\.0"),
      ]],
    # 1. a torch schedule over a NumPy optimizer (the NumPy schedules refuse a torch one the same way)
    Refusal(1, "StepLR-over-a-numpy-optimizer", lambda: TS.StepLR(np_sgd(), step_size=2), None, TypeError,
            r"StepLR from course_lib.torch_nn.schedules drives a torch optimizer, got SGD"),
]


def _raised(call: Callable[[], object], error: type[Exception]) -> Exception:
    with pytest.raises(error) as caught:
        call()
    assert type(caught.value) is error, f"raised {type(caught.value).__name__}, a subclass of {error.__name__}"
    return caught.value


@pytest.mark.parametrize("row", TWIN_REFUSALS, ids=str)
def test_both_twins_refuse_with_the_same_error_and_message(row):
    numpy_error = _raised(row.numpy, row.error)
    torch_error = _raised(row.torch, row.error)
    assert re.search(row.match, str(numpy_error)), str(numpy_error)
    assert str(torch_error) == str(numpy_error)


@pytest.mark.parametrize("row", NUMPY_ONLY_REFUSALS + TORCH_ONLY_REFUSALS, ids=str)
def test_one_twin_refuses_with_a_message_that_says_what_to_do(row):
    error = _raised(row.numpy or row.torch, row.error)
    assert re.search(row.match, str(error)), str(error)


def test_every_class_has_cases():
    counts = Counter(row.cls for row in TWIN_REFUSALS + NUMPY_ONLY_REFUSALS + TORCH_ONLY_REFUSALS)
    assert set(counts) == set(range(1, 8)), counts
    assert len({str(row) for row in TWIN_REFUSALS + NUMPY_ONLY_REFUSALS + TORCH_ONLY_REFUSALS}) == sum(counts.values())


# ---- what the refusals protect: nothing changes before them, right inputs still pass ---------------


def test_a_refused_schedule_leaves_the_learning_rate_alone():
    opt = t_sgd(lr=0.1)
    with pytest.raises(ValueError):
        TS.ExponentialLR(opt, gamma=-1)
    assert opt.param_groups[0]["lr"] == 0.1  # torch's class would already have set lr · gamma⁰, then climbed


@pytest.mark.parametrize("name", ["MSELoss", "HuberLoss", "BCEWithLogitsLoss"])
def test_torch_fit_gives_regression_losses_float_targets_as_numpy_does(name):
    # The NumPy losses turn integer targets into floats; torch's HuberLoss and BCEWithLogitsLoss fail on int64.
    train = (X, Y[:, None])
    np_hist, t_hist = np_fit(getattr(NL, name)(), train, out=1), t_fit(getattr(torch.nn, name)(), train, out=1)
    assert np.isfinite(np_hist.train_loss[-1]) and np.isfinite(t_hist.train_loss[-1])
    assert math.isfinite(t_evaluate(getattr(torch.nn, name)(), train, out=1)["loss"])


def test_a_loss_of_ones_own_is_left_to_torch():
    def own_loss(pred, y):  # neither a torch.nn loss nor a twin: torch_nn.fit does not screen it
        return ((pred[:, 0] - y) ** 2).mean()

    history = t_fit(own_loss, (X, Y_REG), out=1)
    assert np.isfinite(history.train_loss[-1])


def test_models_take_half_precision_input_under_autocast_only():
    # Under autocast torch casts float32/float16/bfloat16 inside each op (never float64 or integers).
    model = T.MLP((4, 3, 2))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert model(torch.zeros(2, 4, dtype=torch.bfloat16)).shape == (2, 2)
        with pytest.raises(TypeError, match="expects torch.float32 input, got torch.float64"):
            model(torch.zeros(2, 4, dtype=torch.float64))
    with pytest.raises(TypeError, match="expects torch.float32 input, got torch.bfloat16"):
        model(torch.zeros(2, 4, dtype=torch.bfloat16))


def test_clip_grad_norm_with_an_infinite_bound_only_measures_in_both_twins():
    p, t = np_param(), t_param()
    p.grad, t.grad = np.array([3.0, 4.0]), torch.tensor([3.0, 4.0])
    assert NR.clip_grad_norm_([p], INF) == 5.0 == TR.clip_grad_norm_([t], INF).item()
    np.testing.assert_array_equal(p.grad, [3.0, 4.0])


def test_per_group_hyperparameters_that_are_right_still_work():
    a, b = t_param(), t_param()
    opt = TO.SGD([{"params": [a], "lr": 0.5}, {"params": [b]}], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": [t_param()], "momentum": 0.0})
    assert [g["lr"] for g in opt.param_groups] == [0.5, 0.1, 0.1]
    a.grad, b.grad = torch.ones(2), torch.ones(2)
    opt.step()
    assert torch.allclose(a, torch.full((2,), 0.5)) and torch.allclose(b, torch.full((2,), 0.9))
