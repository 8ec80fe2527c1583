"""Forward and full backward hooks on NumPy layers: torch's API (``register_forward_hook``,
``register_full_backward_hook``, a handle with ``.remove()``). The twin comparison is in
``tests/torch_nn/test_hooks_twin.py``."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from course_lib.numpy_nn.layers import Linear, ReLU, Tanh
from course_lib.numpy_nn.models import MLP
from course_lib.numpy_nn.module import Sequential
from course_lib.numpy_nn.residual import Residual


def _data(seed: int = 0, n: int = 5, d: int = 4):
    rng = np.random.default_rng(seed)
    return rng, rng.normal(size=(n, d))


def test_forward_hook_sees_inputs_tuple_and_output_and_can_replace_it() -> None:
    rng, x = _data()
    layer = Linear(4, 3, rng=rng)
    seen = []
    handle = layer.register_forward_hook(lambda m, inputs, out: seen.append((m, inputs, out)))
    y = layer(x)
    (m, inputs, out), = seen
    assert m is layer and isinstance(inputs, tuple) and len(inputs) == 1 and inputs[0] is x and out is y
    replace = layer.register_forward_hook(lambda m, inputs, out: out * 2)
    np.testing.assert_allclose(layer(x), 2 * y)
    handle.remove()
    replace.remove()
    np.testing.assert_allclose(layer(x), y)
    assert len(seen) == 2 and "_forward_hooks" in vars(layer) and not layer._forward_hooks


def test_backward_hook_on_a_layer_called_alone_sees_dx_and_dy_and_can_replace_dx() -> None:
    rng, x = _data(1)
    layer, dy = Tanh(), rng.normal(size=(5, 4))
    layer(x)
    dx = layer.backward(dy)
    seen = []
    handle = layer.register_full_backward_hook(lambda m, gin, gout: seen.append((m, gin, gout)))
    layer(x)
    np.testing.assert_allclose(layer.backward(dy), dx)
    (m, gin, gout), = seen
    assert m is layer and isinstance(gin, tuple) and isinstance(gout, tuple)
    np.testing.assert_allclose(gin[0], dx)
    assert gout[0] is dy
    triple = layer.register_full_backward_hook(lambda m, gin, gout: (3 * gin[0],))
    layer(x)
    np.testing.assert_allclose(layer.backward(dy), 3 * dx)
    handle.remove()
    triple.remove()
    assert "backward" not in vars(layer)  # no hooks left: the class's backward again, nothing in between
    layer(x)
    np.testing.assert_allclose(layer.backward(dy), dx)
    assert len(seen) == 2


def test_backward_hook_replacing_dx_changes_the_gradients_upstream() -> None:
    rng, x = _data(2)
    model = MLP((4, 6, 3), activation="tanh", rng=rng)
    dy = rng.normal(size=(5, 3))
    model(x)
    model.backward(dy)
    before = model[0].weight.grad.copy()
    model.zero_grad()
    model[1].register_full_backward_hook(lambda m, gin, gout: (gin[0] * 3,))
    model(x)
    model.backward(dy)
    np.testing.assert_allclose(model[0].weight.grad, 3 * before)


def test_hooks_fire_in_torch_order_and_input_grad_false_gives_none() -> None:
    rng, x = _data(3)
    model = MLP((4, 6, 5, 3), activation="relu", rng=rng)
    events = []
    for name, layer in [("", model), *model.named_children()]:
        layer.register_forward_hook(lambda m, i, o, name=name: events.append(("fwd", name)))
        layer.register_full_backward_hook(
            lambda m, gin, gout, name=name: events.append(("bwd", name, gin[0] is None)))
    model(x)
    model.backward(np.ones((5, 3)), input_grad=False)
    assert events == [("fwd", "0"), ("fwd", "1"), ("fwd", "2"), ("fwd", "3"), ("fwd", "4"), ("fwd", ""),
                      ("bwd", "4", False), ("bwd", "3", False), ("bwd", "2", False), ("bwd", "1", False),
                      ("bwd", "0", True), ("bwd", "", True)]


def test_backward_hook_may_not_invent_a_skipped_gradient() -> None:
    rng, x = _data(4)
    model = Sequential(Linear(4, 3, rng=rng))
    model[0].register_full_backward_hook(lambda m, gin, gout: (np.zeros((5, 4)),))
    model(x)
    with pytest.raises(RuntimeError, match="skipped"):
        model.backward(np.ones((5, 3)), input_grad=False)


def test_hooks_on_a_layer_inside_a_residual_body_fire() -> None:
    rng, x = _data(5)
    inner = Linear(4, 4, rng=rng)
    block = Residual(Sequential(inner, ReLU()))
    events = []
    inner.register_forward_hook(lambda m, i, o: events.append("fwd"))
    inner.register_full_backward_hook(lambda m, gin, gout: events.append("bwd"))
    block(x)
    block.backward(np.ones((5, 4)))
    assert events == ["fwd", "bwd"]


def test_a_deep_copy_keeps_its_hooks_bound_to_itself() -> None:
    rng, x = _data(6)
    layer = Linear(4, 3, rng=rng)
    seen = []
    layer.register_full_backward_hook(lambda m, gin, gout: seen.append(m))
    twin = copy.deepcopy(layer)
    twin(x)
    twin.backward(np.ones((5, 3)))
    assert seen == [twin]
