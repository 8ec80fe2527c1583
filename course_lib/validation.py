"""Argument checks shared by the NumPy reference and its PyTorch twin: one mistake, one message.

The classes of ``numpy_nn`` and ``torch_nn`` call these once, when they are built (as torch does),
so the algorithms themselves hold only arithmetic, and both twins refuse a bad value with the same
words: what was expected, what came, and what to do.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "adagrad_args", "adam_args", "as_float_array", "class_targets", "cosine_args", "gamma_args", "generator", "linear_warmup_args",
    "mlp_args", "non_empty", "parameter_list", "positive_int", "probability", "probability_targets", "real", "require", "rmsprop_args", "same_shape", "sgd_args", "state_dict_fits",
    "step_lr_args", "warmup_cosine_args", "whole",
]


def require(ok: bool, message: str) -> None:
    """Raise ValueError(message) unless ``ok``."""
    if not ok:
        raise ValueError(message)


def real(name: str, value: Any) -> None:
    """A finite real number: TypeError for a bool, a string, an array..., ValueError for NaN or ±inf."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__}); pass e.g. {name}=0.1.")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}: a NaN or infinite {name} makes the first "
                         f"update inf or nan. Pass a finite value, e.g. {name}=0.1.")


def whole(owner: str, name: str, value: Any, minimum: int = 1) -> int:
    """A whole number >= ``minimum`` (layer sizes, counts), as an int."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{owner}: {name} must be {what}; got {value!r}.")
    return int(value)


def generator(rng: Any, who: str) -> np.random.Generator:
    """The explicit random generator every random draw goes through."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{who} needs rng=np.random.Generator (e.g. rng=np.random.default_rng(0)); got "
            f"{type(rng).__name__}. Randomness enters through an explicit generator so runs repeat."
        )
    return rng


def probability(owner: str, p: Any, name: str = "p") -> float:
    """A drop probability in [0, 1): TypeError for a string or another non-number."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a number in [0, 1), got {p!r} ({type(p).__name__}); "
                        f"pass e.g. {name}=0.5.")
    if not 0.0 <= p < 1.0:
        why = f" {name} = 1 would drop every unit (and divide by 1 − {name} = 0)." if p == 1 else ""
        raise ValueError(f"{owner}: {name} must be in [0, 1); got {p}.{why}")
    return float(p)


# ---- optimizers ------------------------------------------------------------------------------------


def _lr(lr: Any) -> None:
    real("lr", lr)
    require(lr >= 0.0, f"Invalid learning rate: {lr}. Expected lr >= 0: the learning rate is the step size, "
                       f"typically between 1e-4 and 1e-1. Pass a non-negative number such as lr=1e-3.")


def _non_negative(name: str, value: Any, hint: str) -> None:
    real(name, value)
    require(value >= 0.0, f"Invalid {name} value: {value}. Expected {name} >= 0; {hint}")


def _momentum(momentum: Any) -> None:
    _non_negative("momentum", momentum, "0 switches momentum off and 0.9 is usual.")


def _weight_decay(weight_decay: Any) -> None:
    _non_negative("weight_decay", weight_decay, "0 switches it off; values from 1e-5 to 1e-1 are usual.")


def _eps(eps: Any) -> None:
    real("eps", eps)
    require(eps >= 0.0, f"Invalid epsilon value: {eps}. Expected eps >= 0; eps only keeps the denominator away "
                        f"from zero, so keep it small and positive, e.g. eps=1e-8.")


def sgd_args(lr: Any, momentum: Any, dampening: Any, weight_decay: Any, nesterov: Any) -> None:
    """The hyperparameters of SGD, as torch.optim.SGD checks them."""
    _lr(lr)
    _momentum(momentum)
    real("dampening", dampening)
    require(0.0 <= dampening <= 1.0, f"Invalid dampening value: {dampening}. Expected 0 <= dampening <= 1: the "
                                     f"buffer adds (1 - dampening) * g; dampening=0 is usual.")
    _weight_decay(weight_decay)
    require(not nesterov or (momentum > 0 and dampening == 0),
            f"Nesterov momentum requires a momentum and zero dampening, got momentum={momentum} and "
            f"dampening={dampening}. Pass momentum > 0 (e.g. 0.9) with dampening=0, or nesterov=False.")


def adagrad_args(lr: Any, lr_decay: Any, weight_decay: Any, eps: Any, initial_accumulator_value: Any = 0.0) -> None:
    """The hyperparameters of Adagrad."""
    _lr(lr)
    _non_negative("lr_decay", lr_decay, "0 switches the decay off.")
    _weight_decay(weight_decay)
    _non_negative("initial_accumulator_value", initial_accumulator_value,
                  "it is the starting value of the sum of squared gradients; 0 is usual.")
    _eps(eps)


def rmsprop_args(lr: Any, alpha: Any, eps: Any, weight_decay: Any, momentum: Any) -> None:
    """The hyperparameters of RMSprop."""
    _lr(lr)
    real("alpha", alpha)
    require(0.0 <= alpha < 1.0, f"Invalid alpha value: {alpha}. Expected 0 <= alpha < 1: alpha is the decay rate "
                                f"of the average of squared gradients; alpha=0.99 is usual.")
    _eps(eps)
    _weight_decay(weight_decay)
    _momentum(momentum)


def adam_args(lr: Any, betas: Any, eps: Any, weight_decay: Any) -> None:
    """The hyperparameters of Adam and AdamW."""
    _lr(lr)
    _eps(eps)
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2) such as (0.9, 0.999), got {betas!r}.")
    for index, beta in enumerate(betas):
        real(f"betas[{index}]", beta)
        require(0.0 <= beta < 1.0, f"Invalid beta parameter at index {index}: {beta}. Expected 0 <= betas[{index}] < 1: "
                                   f"each beta is the decay rate of a moving average; betas=(0.9, 0.999) is the usual choice.")
    _weight_decay(weight_decay)


def parameter_list(params: Any, owner: str, parameter_type: type) -> list[Any]:
    """The NumPy parameters an optimizer updates, as a list: each a ``parameter_type``, each once."""
    if isinstance(params, parameter_type):
        raise TypeError(f"{owner} expects an iterable of Parameter objects, got a single Parameter. "
                        f"Pass model.parameters(), or wrap one parameter in a list: [param].")
    if isinstance(params, np.ndarray) or not isinstance(params, Iterable):
        raise TypeError(f"{owner} expects an iterable of Parameter objects, got {type(params).__name__}. "
                        f"Pass model.parameters() of a course_lib.numpy_nn model.")
    params = list(params)
    if not params:
        raise ValueError("optimizer got an empty parameter list. Pass model.parameters() of a model that has "
                         "trainable parameters (a model made only of activations has none).")
    for index, p in enumerate(params):
        if not isinstance(p, parameter_type):
            torch_hint = (" For torch tensors use course_lib.torch_nn.optimizers or torch.optim."
                          if type(p).__module__.startswith("torch") else "")
            raise TypeError(f"{owner} can only optimize Parameter objects, but params[{index}] is {type(p).__name__}. "
                            f"Pass model.parameters() of a course_lib.numpy_nn model, or wrap arrays as "
                            f"Parameter(array).{torch_hint}")
    each_once(params, owner)
    return params


def each_once(params: list[Any], owner: str) -> None:
    """No parameter twice (both twins' optimizers, over every parameter group)."""
    if len({id(p) for p in params}) != len(params):
        raise ValueError(f"{owner} got the same Parameter more than once, so it would be updated twice per step. "
                         f"Pass each parameter once, e.g. model.parameters().")


# ---- schedules -------------------------------------------------------------------------------------


def positive_int(name: str, value: Any, hint: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}; {hint}")


def gamma_args(gamma: Any) -> None:
    if isinstance(gamma, bool) or not isinstance(gamma, numbers.Real) or not 0 < gamma < math.inf:
        raise ValueError(f"gamma must be a finite number > 0, got {gamma!r}; it multiplies the learning rate, so a value "
                         f"just below 1 (e.g. 0.95) decays it and 1 keeps it constant.")


def step_lr_args(step_size: Any, gamma: Any) -> None:
    positive_int("step_size", step_size, "the learning rate is multiplied by gamma every step_size steps.")
    gamma_args(gamma)


def cosine_args(T_max: Any, eta_min: Any) -> None:
    positive_int("T_max", T_max, "it is the number of steps from the base lr down to eta_min.")
    if isinstance(eta_min, bool) or not isinstance(eta_min, numbers.Real) or not 0 <= eta_min < math.inf:
        raise ValueError(f"eta_min must be a finite number >= 0, got {eta_min!r}; it is the lowest learning rate.")


def linear_warmup_args(warmup_steps: Any, start_factor: Any) -> None:
    positive_int("warmup_steps", warmup_steps, "it is the number of steps to reach the base lr.")
    if isinstance(start_factor, bool) or not isinstance(start_factor, numbers.Real) or not 0 < start_factor <= 1:
        raise ValueError(f"start_factor must be in (0, 1], got {start_factor!r}; the warm-up starts at "
                         f"start_factor * base_lr (0 would waste the first step), e.g. start_factor=0.1.")


def warmup_cosine_args(warmup_steps: Any, total_steps: Any, start_factor: Any, eta_min: Any) -> None:
    linear_warmup_args(warmup_steps, start_factor)
    if isinstance(total_steps, bool) or not isinstance(total_steps, (int, np.integer)) or total_steps <= warmup_steps:
        raise ValueError(f"total_steps must be a whole number larger than warmup_steps={warmup_steps}, got {total_steps!r}.")
    cosine_args(total_steps - warmup_steps, eta_min)


# ---- losses ----------------------------------------------------------------------------------------


def as_float_array(value: Any, what: str, owner: str) -> NDArray:
    """``value`` as a floating array (integers and booleans become float64)."""
    array = real_array(value, owner, what)
    if array.dtype == np.bool_ or np.issubdtype(array.dtype, np.integer):
        return array.astype(np.float64)
    return array


def real_array(value: Any, owner: str, what: str = "input") -> NDArray:
    """``value`` as an array of real numbers (bool, integer or float, unconverted); TypeError for complex
    numbers, strings or objects, which NumPy's arithmetic would carry along or fail on deep inside."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{owner}: {what} must be an array of real numbers, got dtype {array.dtype}. "
                        f"Pass a NumPy float array, e.g. np.asarray({what}, dtype=np.float64).")
    return array


def same_shape(pred: NDArray, target: NDArray, owner: str, pred_name: str = "pred") -> None:
    """Prediction and target of one shape: torch would broadcast (N, 1) against (N,) into (N, N)."""
    if pred.shape != target.shape:
        hint = ""
        if pred.size == target.size:
            hint = f" They hold the same number of elements: reshape one, e.g. target.reshape({pred_name}.shape)."
        raise ValueError(
            f"{owner}: {pred_name} and target must have the same shape, got {pred_name} {pred.shape} and target "
            f"{target.shape}. torch would broadcast them with only a warning, computing a loss over every pair of "
            f"elements.{hint}")


def non_empty(pred: NDArray, owner: str, pred_name: str = "pred") -> None:
    if pred.size == 0:
        raise ValueError(f"{owner}: {pred_name} is empty (shape {pred.shape}); the mean over no elements is "
                         f"undefined. Pass a batch with at least one example.")



def class_targets(logits: NDArray, target: Any) -> NDArray:
    """Cross-entropy's targets: one integer class index in [0, C) per row of (N, C) logits."""
    target = np.asarray(target)
    if logits.ndim != 2:
        hint = " For a single example use logits[None, :]." if logits.ndim == 1 else ""
        raise ValueError(
            f"CrossEntropyLoss expects logits of shape (N, C), one row of C class scores per "
            f"example, got shape {logits.shape}.{hint}"
        )
    n, c = logits.shape
    non_empty(logits, "CrossEntropyLoss", pred_name="logits")
    if target.ndim != 1:
        hint = (
            " They have the logits' shape, as one-hot or probability targets do: pass class "
            "indices instead, e.g. y.argmax(axis=1)."
            if target.shape == logits.shape
            else ""
        )
        raise ValueError(
            f"CrossEntropyLoss expects targets of shape (N,), one class index per example, got "
            f"shape {target.shape}.{hint}"
        )
    if not np.issubdtype(target.dtype, np.integer):
        raise TypeError(
            f"CrossEntropyLoss expects integer class indices as targets, got dtype "
            f"{target.dtype}. Convert them with y.astype(np.int64)."
        )
    if len(target) != n:
        raise ValueError(
            f"CrossEntropyLoss: logits hold N = {n} examples but target holds {len(target)} "
            f"labels; pass one label per row of logits."
        )
    class_indices(target, c)
    return target


def class_indices(target: NDArray, c: int) -> None:
    """Every class index in [0, C): checked per batch by CrossEntropyLoss, once over a data set by torch_nn.fit."""
    outside = (target < 0) | (target >= c)
    if np.any(outside):
        bad = int(target[outside][0])
        raise ValueError(
            f"CrossEntropyLoss: target contains label {bad}, but the logits have C = {c} "
            f"classes, so labels must be in [0, {c}). Check the number of outputs of the last "
            f"layer, or remap the labels to 0..{c - 1}."
        )


def probability_targets(target: NDArray) -> None:
    """Binary cross-entropy's targets: probabilities in [0, 1]."""
    inside = (target >= 0) & (target <= 1)  # False for NaN too
    if not np.all(inside):
        bad = float(target[~inside].flat[0])
        raise ValueError(
            f"BCEWithLogitsLoss: targets must be probabilities in [0, 1], got {bad!r} "
            f"({np.count_nonzero(~inside)} of {target.size} targets are outside [0, 1]). "
            f"Labels in {{-1, +1}} map to {{0, 1}} with (y + 1) / 2."
        )


# ---- models ----------------------------------------------------------------------------------------


def mlp_args(sizes: Any, activation: Any, dropout: Any, activations: Any) -> list[int]:
    """An MLP's layer sizes (in, hidden..., out), its activation's name and its dropout probability."""
    sizes = list(sizes)
    if len(sizes) < 2 or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in sizes):
        raise ValueError(f"MLP: sizes must be at least two positive integers (in, ..., out); got {sizes}.")
    if activation not in activations:
        raise ValueError(f"MLP: unknown activation {activation!r}; choose one of {sorted(activations)}.")
    probability("MLP", dropout, "dropout")
    return [int(s) for s in sizes]


# ---- the arguments and inputs of layers, models, training loops and tools (both twins) ------------

__all__ += [
    "batch_norm_args", "clip_args", "cnn_args", "dim_arg", "dim_fits", "evaluate_args", "finite_samples", "fit_args",
    "floating_grad", "gradient_fits", "non_empty_batch", "positive_real", "strength",
]


def positive_real(owner: str, name: str, value: Any, hint: str) -> float:
    """A finite real number > 0 (a step, an epsilon, a norm), as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a real number, got {value!r} ({type(value).__name__}). {hint}")
    if not value > 0:  # False for NaN too
        raise ValueError(f"{owner}: {name} must be > 0; got {value!r}. {hint}")
    if math.isinf(value):
        raise ValueError(f"{owner}: {name} must be finite; got {value!r}. {hint}")
    return float(value)


def strength(who: str, lam: Any) -> float:
    """A penalty's strength λ: a finite real number >= 0."""
    if isinstance(lam, bool) or not isinstance(lam, numbers.Real):
        raise TypeError(f"{who}: the strength lam must be a real number, got {lam!r} ({type(lam).__name__}); "
                        f"pass e.g. lam=1e-4.")
    hint = "0 switches the penalty off; values from 1e-5 to 1e-1 are usual."
    if not lam >= 0:  # False for NaN too
        raise ValueError(f"{who}: the strength lam must be >= 0; got {lam!r}. {hint}")
    if math.isinf(lam):
        raise ValueError(f"{who}: the strength lam must be finite; got {lam!r}. {hint}")
    return float(lam)


def clip_args(max_norm: Any, norm_type: Any) -> tuple[float, float]:
    """``clip_grad_norm_``'s bound, > 0 (``inf``: only measure the norm), and its p, > 0 (``inf`` or ``"inf"``
    for the largest entry)."""
    if not (isinstance(max_norm, numbers.Real) and max_norm == math.inf):
        positive_real("clip_grad_norm_", "max_norm", max_norm, "It is the largest gradient norm allowed, e.g. "
                      "max_norm=1.0 (math.inf measures the norm without clipping).")
    if isinstance(norm_type, str) and norm_type == "inf":
        norm_type = math.inf
    if not (isinstance(norm_type, numbers.Real) and norm_type == math.inf):
        positive_real("clip_grad_norm_", "norm_type", norm_type, "It is the p of the p-norm: 2.0 (the default), "
                      "1.0, or float('inf') for the largest entry.")
    return float(max_norm), float(norm_type)


def floating_grad(who: str, index: int, grad: Any) -> None:
    """A gradient that can be rescaled in place: a floating array."""
    if not (isinstance(grad, np.ndarray) and np.issubdtype(grad.dtype, np.floating)):
        kind = f"dtype {grad.dtype}" if isinstance(grad, np.ndarray) else type(grad).__name__
        raise TypeError(f"{who} rescales the gradients in place, so each must be a floating array; params[{index}].grad "
                        f"is {kind}. A backward pass gives the parameter's float dtype; convert it with "
                        f"p.grad = np.asarray(p.grad, dtype=p.data.dtype).")


def gradient_fits(index: int, grad: Any, data: NDArray) -> NDArray:
    """A parameter's gradient, in the parameter's shape and of real numbers, as an array of its dtype."""
    if np.shape(grad) != data.shape:  # NumPy would broadcast (1,) over (3,) without a word
        raise ValueError(f"gradient shape {np.shape(grad)} does not match parameter shape {data.shape} "
                         f"(params[{index}]). The gradient dLoss/dp must have the parameter's shape; check the "
                         f"layer's backward.")
    return np.asarray(real_array(grad, f"params[{index}]", "grad"), dtype=data.dtype)


def evaluate_args(batch_size: Any) -> None:
    """The batch size of both twins' ``evaluate`` (and ``fit``): a whole number >= 1."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number of at least 1, got {batch_size!r}; a typical "
                         f"choice is 32 to 256.")


def fit_args(epochs: Any, batch_size: Any, rng: Any) -> None:
    """What both twins' ``fit`` take besides the model and the data."""
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a whole number of at least 1, got {epochs!r}.")
    evaluate_args(batch_size)
    generator(rng, "fit")


def finite_samples(name: str, what: str, bad: Any) -> None:
    """Refuse data with NaN or inf; ``bad`` holds the indices of the samples of ``what`` ("X" or "y") that have one."""
    if len(bad):
        rows, why = ("sample(s)", "") if what == "X" else (
            "target(s) in y", " A NaN target makes the loss NaN from the first step, whatever the learning rate.")
        raise ValueError(f"{name}: {len(bad)} {rows} contain NaN or inf (the first at indices "
                         f"{[int(i) for i in bad[:5]]}).{why} Remove or repair them before training, e.g. keep = "
                         f"np.isfinite({what}.reshape(len({what}), -1)).all(axis=1), then pass (X[keep], y[keep]).")


def non_empty_batch(owner: str, shape: tuple[int, ...]) -> None:
    """A model's input holds at least one example."""
    if len(shape) == 0 or shape[0] == 0:
        raise ValueError(f"{owner} got an empty batch (shape {tuple(shape)}); pass at least one example, with the "
                         f"examples along the first dimension.")


def dim_arg(owner: str, dim: Any) -> int:
    """The dimension a softmax normalises along: an integer (negative counts from the end)."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{owner}: dim must be an integer, got {dim!r} ({type(dim).__name__}); dim=-1 is the last "
                        f"dimension, the classes of (N, C) logits.")
    return int(dim)


def dim_fits(owner: str, dim: int, shape: tuple[int, ...]) -> None:
    """``dim`` names a dimension of an input of ``shape``."""
    ndim = len(shape)
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise ValueError(f"{owner}(dim={dim}) normalises along dimension {dim}, but the input has {ndim} "
                         f"dimension(s), shape {tuple(shape)}: dim must be in [{-ndim}, {ndim}). Use dim=-1 for the "
                         f"last dimension (the classes of (N, C) logits).")


def batch_norm_args(num_features: Any, eps: Any, momentum: Any) -> int:
    """BatchNorm1d's C, its eps (finite, > 0) and its momentum (in [0, 1], or None for a cumulative average)."""
    num_features = whole("BatchNorm1d", "num_features", num_features)
    positive_real("BatchNorm1d", "eps", eps, "It keeps 1/√(σ² + eps) finite; torch's default is 1e-5.")
    if momentum is not None and (isinstance(momentum, bool) or not isinstance(momentum, numbers.Real)
                                 or not 0.0 <= momentum <= 1.0):
        raise ValueError(f"BatchNorm1d: momentum must be in [0, 1] or None; got {momentum!r}. It is the weight of "
                         f"the newest batch in the running statistics; 0.1 is torch's default.")
    return num_features


def layer_norm_args(normalized_shape: Any, eps: Any) -> tuple[int, ...]:
    """LayerNorm's normalized_shape (an int or a non-empty tuple of positive ints, as a tuple) and eps (finite, > 0)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else normalized_shape
    if (isinstance(shape, (str, bytes)) or not isinstance(shape, (tuple, list)) or not shape
            or any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1 for n in shape)):
        raise ValueError(f"LayerNorm: normalized_shape must be a positive integer or a non-empty tuple of positive "
                         f"integers; got {normalized_shape!r}. It names the input's last dimension(s), the ones "
                         f"normalised over: 64 for (N, 64) inputs, (8, 8) for (N, 8, 8).")
    positive_real("LayerNorm", "eps", eps, "It keeps 1/√(σ² + eps) finite; torch's default is 1e-5.")
    return tuple(int(n) for n in shape)


def layer_norm_fits(normalized_shape: tuple[int, ...], shape: tuple[int, ...]) -> None:
    """An input's trailing dimensions are LayerNorm's normalized_shape."""
    normalized_shape, shape, k = tuple(int(n) for n in normalized_shape), tuple(int(n) for n in shape), len(normalized_shape)
    if shape[len(shape) - k:] != normalized_shape or len(shape) < k:
        raise ValueError(f"LayerNorm(normalized_shape={normalized_shape}) normalises over the input's last {k} "
                         f"dimension(s), which must be {normalized_shape}; got input of shape {shape}. Build it with "
                         f"the input's trailing dimensions, e.g. LayerNorm({shape[-1] if shape else 1}) for features last.")


def residual_fits(body: str, input_shape: tuple[int, ...], output_shape: tuple[int, ...]) -> None:
    """A residual block adds its input to body(x), so the body keeps the input's shape."""
    input_shape, output_shape = tuple(int(n) for n in input_shape), tuple(int(n) for n in output_shape)
    if input_shape != output_shape:
        raise ValueError(f"Residual computes x + body(x), so its body must return the input's shape: expected "
                         f"{input_shape}, but the body ({body}) returned {output_shape}. Make the body's last layer "
                         f"map back to the input's size (e.g. end it with Linear(hidden, {input_shape[-1] if input_shape else 1})).")


def cnn_args(channels: Any, hidden: Any, dropout: Any, num_classes: Any) -> list[int]:
    """The CNN's channels per conv block (1 to 4 blocks fit a 28×28 image), hidden width, dropout and outputs."""
    channels = list(channels)
    if not channels or any(isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 1 for c in channels):
        raise ValueError(f"CNN: channels must be one or more positive integers; got {channels}.")
    if len(channels) > 4:
        raise ValueError(f"CNN: at most 4 blocks fit a 28×28 image (each halves it); got {len(channels)}.")
    whole("CNN", "hidden", hidden)
    whole("CNN", "num_classes", num_classes)
    probability("CNN", dropout, "dropout")
    return [int(c) for c in channels]


# ---- checkpoints -----------------------------------------------------------------------------------


def state_dict_fits(path: Any, own: Mapping[str, Any], saved: Mapping[str, Any], model: Any, saved_class: str | None,
                    error: type[Exception]) -> None:
    """A saved state_dict has the model's keys and shapes (both twins' checkpoints); else ``error`` says which."""
    missing, unexpected = sorted(own.keys() - saved.keys()), sorted(saved.keys() - own.keys())
    if missing or unexpected:
        raise error(f"The file {path} does not fit this model: it was saved from a {saved_class or 'model'} whose "
                    f"state_dict keys differ from this {type(model).__name__}'s. Missing from the file: {missing}; "
                    f"in the file but not in the model: {unexpected}. Build the model with the same layers (sizes, "
                    f"batch norm, dropout) as the one that was saved, then load again.")
    for key, value in saved.items():
        if tuple(np.shape(value)) != tuple(np.shape(own[key])):
            raise error(f"{key}: the file {path} holds shape {tuple(np.shape(value))} but the model expects "
                        f"{tuple(np.shape(own[key]))}. The file was saved from a model of other sizes; build the "
                        f"model with the sizes it was saved with.")


# ---- calibration (both twins' reliability_bins, expected_calibration_error and fit_temperature) ----

__all__ += ["calibration_inputs", "temperature_inputs"]


def _class_labels(owner: str, scores: NDArray, y: Any, what: str) -> NDArray:
    """One integer class index in [0, C) per row of an (N, C) array of ``what`` (probabilities or logits)."""
    y = np.asarray(y)
    if y.ndim != 1 or not (np.issubdtype(y.dtype, np.integer) and y.dtype != np.bool_):
        raise ValueError(f"{owner}: y must be one integer class index per example, shape (N,); got dtype {y.dtype} and "
                         f"shape {y.shape}. For one-hot labels pass y.argmax(axis=1).")
    if len(y) != len(scores):
        raise ValueError(f"{owner}: {what} hold N = {len(scores)} examples but y holds {len(y)} labels; pass one label "
                         f"per row of {what}.")
    c = scores.shape[1]
    if np.any((y < 0) | (y >= c)):
        raise ValueError(f"{owner}: y contains label {int(y[(y < 0) | (y >= c)][0])}, but the {what} have C = {c} "
                         f"classes, so labels must be in [0, {c}).")
    return y


def _class_scores(owner: str, scores: Any, what: str) -> NDArray:
    """A non-empty, finite (N, C) array of real numbers, C >= 2."""
    scores = np.asarray(real_array(scores, owner, what), dtype=np.float64)
    if scores.ndim != 2 or scores.shape[0] == 0 or scores.shape[1] < 2:
        hint = (" For a binary task with one probability p of class 1 per example, pass np.column_stack([1 - p, p])."
                if scores.ndim == 1 else "")
        raise ValueError(f"{owner}: {what} must have shape (N, C), one row of C >= 2 class {what} per example, at "
                         f"least one example; got shape {scores.shape}.{hint}")
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"{owner}: {what} contain NaN or inf ({np.count_nonzero(~np.isfinite(scores))} entries); "
                         f"a model whose outputs are not finite cannot be calibrated. Repair or remove those rows.")
    return scores


def calibration_inputs(owner: str, probs: Any, y: Any, n_bins: Any) -> tuple[NDArray, NDArray, int]:
    """``(probs, y, n_bins)`` of a reliability diagram: probabilities (N, C) whose rows sum to 1, labels (N,), bins."""
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"{owner}: n_bins must be a whole number of at least 1, got {n_bins!r}; 10 to 15 equal-width "
                         f"bins are usual.")
    probs = _class_scores(owner, probs, "probabilities")
    if probs.min() < 0 or probs.max() > 1 or not np.allclose(probs.sum(axis=1), 1.0, rtol=0, atol=1e-4):
        raise ValueError(f"{owner}: every row of probs must be probabilities that sum to 1 (values in [0, 1]); got "
                         f"values from {probs.min():.3g} to {probs.max():.3g} and row sums from "
                         f"{probs.sum(axis=1).min():.4g} to {probs.sum(axis=1).max():.4g}. Are these logits? Pass "
                         f"softmax(logits) instead.")
    return probs, _class_labels(owner, probs, y, "probabilities"), int(n_bins)


def temperature_inputs(logits: Any, y: Any) -> tuple[NDArray, NDArray]:
    """The logits (N, C) and labels (N,) of a temperature fit, refused when no finite T > 0 minimises the NLL."""
    owner = "fit_temperature"
    logits = _class_scores(owner, logits, "logits")
    y = _class_labels(owner, logits, y, "logits")
    rows = np.arange(len(y))
    if np.mean(logits.mean(axis=1) - logits[rows, y]) >= 0:  # the NLL's slope in 1/T at 1/T = 0
        raise ValueError(f"{owner}: the logits do not favour the true classes on average (the true class's logit is "
                         f"not above the row's mean), so the NLL is smallest at T = ∞, a uniform guess. Fit T on a "
                         f"trained model's logits, with the labels in the same order as the rows.")
    others = logits.copy()
    others[rows, y] = -np.inf
    if np.all(logits[rows, y] >= others.max(axis=1)):  # no mistake: sharper is always better
        raise ValueError(f"{owner}: the largest logit is the true class's in all {len(y)} rows, so the NLL keeps "
                         f"falling as T → 0 and has no minimum at a T > 0. Fit T on held-out (validation) data on "
                         f"which the model makes some mistakes, not on its training data.")
    return logits, y
