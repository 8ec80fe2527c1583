"""The NumPy hooks behave as torch's: the same recording hook on every layer of a NumPy MLP and of
its torch twin records the same outputs, grad_output and grad_input, in the same order; a returned
value replaces the output (forward) or dx (backward) in both; ``.remove()`` stops a hook."""

from __future__ import annotations

import numpy as np
import torch

from course_lib.numpy_nn.layers import Linear as NLinear
from course_lib.numpy_nn.layers import ReLU as NReLU
from course_lib.numpy_nn.models import MLP as NumpyMLP
from course_lib.numpy_nn.module import Sequential as NSequential
from course_lib.numpy_nn.residual import Residual as NResidual
from course_lib.torch_nn.models import MLP, copy_weights_numpy_to_torch
from course_lib.torch_nn.residual import Residual as TResidual

TOL = 1e-10


def _as_np(v):
    return None if v is None else (v.detach().numpy() if isinstance(v, torch.Tensor) else np.asarray(v))


def _recorder(log: list, name: str):
    def forward_hook(module, inputs, output):
        log.append(("forward", name, _as_np(inputs[0]), _as_np(output)))

    def backward_hook(module, grad_input, grad_output):
        log.append(("backward", name, _as_np(grad_input[0]), _as_np(grad_output[0])))

    return forward_hook, backward_hook


def _layers(model):
    return [("", model), *model.named_children()]


def _twins(sizes=(4, 7, 6, 3), activation="tanh", seed=0):
    rng = np.random.default_rng(seed)
    np_model = NumpyMLP(sizes, activation=activation, rng=rng)
    torch_model = copy_weights_numpy_to_torch(np_model, MLP(sizes, activation=activation).double())
    x, dy = rng.normal(size=(5, sizes[0])), rng.normal(size=(5, sizes[-1]))
    return np_model, torch_model, x, dy


def _run(np_model, torch_model, x, dy):
    """Forward and backward in both twins; returns (NumPy output, torch output)."""
    out = np_model(x)
    np_model.backward(dy)
    xt = torch.tensor(x, requires_grad=True)
    out_t = torch_model(xt)
    out_t.backward(torch.tensor(dy))
    return out, out_t.detach().numpy()


def _assert_same_logs(np_log, torch_log):
    assert [e[:2] for e in np_log] == [e[:2] for e in torch_log]
    for a, b in zip(np_log, torch_log):
        for u, v in zip(a[2:], b[2:]):
            assert (u is None) == (v is None), a[:2]
            if u is not None:
                np.testing.assert_allclose(u, v, rtol=TOL, atol=TOL, err_msg=str(a[:2]))


def test_the_same_recording_hook_records_the_same_in_both_twins() -> None:
    for activation in ("tanh", "relu"):
        np_model, torch_model, x, dy = _twins(activation=activation)
        np_log, torch_log = [], []
        for (name, n_layer), (_, t_layer) in zip(_layers(np_model), _layers(torch_model)):
            f, b = _recorder(np_log, name)
            n_layer.register_forward_hook(f)
            n_layer.register_full_backward_hook(b)
            f, b = _recorder(torch_log, name)
            t_layer.register_forward_hook(f)
            t_layer.register_full_backward_hook(b)
        _run(np_model, torch_model, x, dy)
        assert len(np_log) == 2 * len(_layers(np_model))
        _assert_same_logs(np_log, torch_log)


def test_a_returned_value_replaces_output_and_dx_in_both_twins_and_remove_stops_it() -> None:
    np_model, torch_model, x, dy = _twins()
    plain, _ = _run(np_model, torch_model, x, dy)
    plain_grad = np_model[0].weight.grad.copy()
    # Forward: the output is replaced in both. (Only the outputs are compared: torch differentiates
    # through the hook's arithmetic, the NumPy twin has no autograd and does not.)
    handles = [model[1].register_forward_hook(lambda m, inputs, out: out * 2) for model in (np_model, torch_model)]
    out, out_t = _run(np_model, torch_model, x, dy)
    assert not np.allclose(out, plain)
    np.testing.assert_allclose(out, out_t, rtol=TOL, atol=TOL)
    for h in handles:
        h.remove()
    # Backward: dx is replaced in both, and the layers below receive the replaced one.
    for model in (np_model, torch_model):
        model.zero_grad()
        handles.append(model[2].register_full_backward_hook(lambda m, gin, gout: (gin[0] * 3,)))
    out, out_t = _run(np_model, torch_model, x, dy)
    np.testing.assert_allclose(out, plain, rtol=TOL, atol=TOL)
    g, g_t = np_model[0].weight.grad, torch_model[0].weight.grad.numpy()
    np.testing.assert_allclose(g, 3 * plain_grad, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(g, g_t, rtol=TOL, atol=TOL)
    for h in handles:
        h.remove()
    np_model.zero_grad()
    torch_model.zero_grad()
    out, out_t = _run(np_model, torch_model, x, dy)
    np.testing.assert_allclose(out_t, plain, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(np_model[0].weight.grad, plain_grad, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(torch_model[0].weight.grad.numpy(), plain_grad, rtol=TOL, atol=TOL)


def test_hooks_inside_a_residual_body_fire_in_both_twins() -> None:
    rng = np.random.default_rng(1)
    np_block = NResidual(NSequential(NLinear(4, 4, rng=rng), NReLU()))
    torch_block = copy_weights_numpy_to_torch(
        np_block, TResidual(torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU())).double())
    x, dy = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    np_log, torch_log = [], []
    for log, inner in ((np_log, np_block.body[0]), (torch_log, torch_block.body[0])):
        f, b = _recorder(log, "body.0")
        inner.register_forward_hook(f)
        inner.register_full_backward_hook(b)
    _run(np_block, torch_block, x, dy)
    assert [e[0] for e in np_log] == ["forward", "backward"]
    _assert_same_logs(np_log, torch_log)
