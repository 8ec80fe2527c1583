"""Self-checks of lesson 03, Backpropagation: a neuron's gradients by hand, and two backward rules.

The backward rules are graded the way the lesson teaches: by gradient checking against central
differences (:mod:`course_lib.numpy_nn.gradcheck`) on random inputs. The course's own backward
rules then name the usual mistakes in the hints.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_lib.lessons.l03_backpropagation.graph import (
    Graph, Node, add_mul_graph, max_mul_graph, neuron_graph, step_size_errors,
)
from course_lib.ui.checks import Answer, Harness, Hints, close
from course_lib.ui.predictions import Prediction
from course_lib.numpy_nn import functional as F
from course_lib.numpy_nn.gradcheck import numerical_gradient_array, rel_error
from course_lib.data import make_moons
from course_lib.numpy_nn.layers import Linear
from course_lib.numpy_nn.losses import CrossEntropyLoss
from course_lib.numpy_nn.models import MLP
from course_lib.numpy_nn.optimizers import SGD

__all__ = ["choose_max_gate_receivers", "predict_tiny_step_error", "check_backward", "check_two_layer_training", "check_linear_backward", "check_neuron_gradients", "check_sigmoid_backward"]

# A correct float64 backward rule agrees with central differences to about 1e-9; a bug, to 1e-2 or worse.
_TOLERANCE = 1e-6


# ------------------------------------------------------------------------------------------------
# Predictions
# ------------------------------------------------------------------------------------------------


def _max_gate_receivers() -> str:
    graph = max_mul_graph()
    graph.forward(x=2.0, y=-1.0, z=3.0)
    grads = graph.backward()
    receivers = [name for name in ("x", "y") if grads[name] != 0]
    return {("x",): "only x", ("y",): "only y", ("x", "y"): "both x and y"}.get(tuple(receivers), "neither")


choose_max_gate_receivers = Prediction(
    "which inputs of the max gate m = max(x, y) receive a gradient, at x = 2, y = −1, z = 3",
    truth=_max_gate_receivers, options=("both x and y", "only x", "only y", "neither"),
)


def _tiny_step_error() -> float:
    return float(step_size_errors("sin(x) at x = 1", [1e-20])[0])


predict_tiny_step_error = Prediction(
    "the relative error of the central difference of sin at x = 1 with h = 1e-20", truth=_tiny_step_error, rtol=0.2,
)


# ------------------------------------------------------------------------------------------------
# Exercise A: the backward pass of a scalar graph
# ------------------------------------------------------------------------------------------------

BACKWARD_HINTS = Hints(
    task="Write backward(graph): after graph.forward(...), set every node's .grad to ∂output/∂node and return "
         "them as a dict by node name.",
    idea="Start at the output, whose gradient with respect to itself is 1, and walk the nodes from the last to "
         "the first: each node hands its gradient, times each local derivative, to its inputs. A value used "
         "twice collects one contribution per path, so contributions are added, onto gradients that start at 0.",
    formula="grad[output] = 1; for each node, last to first, and each input i of it: "
            "grad[i] ← grad[i] + grad[node] · ∂node/∂i (graph.local_gradients(node.name) gives the ∂node/∂i).",
    code="Set every `node.grad = 0.0`, then `graph.output.grad = 1.0`; loop `for node in reversed(graph.nodes)` "
         "and, for `name, local in graph.local_gradients(node.name).items()`, do `graph[name].grad += node.grad * local`. "
         "Return `{node.name: node.grad for node in graph.nodes}`.",
)


def backward_cases() -> list[tuple[Graph, dict[str, float]]]:
    """The graphs the check grades on, each with its inputs: one of every kind of node, and values used twice."""
    shared = Graph([Node("x", "input"), Node("y", "input"), Node("q", "add", ("x", "y")), Node("f", "mul", ("q", "x"))])
    diamond = Graph([  # a feeds two nodes whose paths meet again; p reads a node twice
        Node("a", "input"), Node("c", "input"),
        Node("h", "tanh", ("a",)), Node("g", "mul", ("a", "c")),
        Node("k", "add", ("h", "g")), Node("p", "mul", ("k", "k")),
        Node("r", "relu", ("p",)), Node("o", "sub", ("r", "a")),
    ])
    return [
        (add_mul_graph(), {"x": 2.0, "y": -1.0, "z": 3.0}),
        (shared, {"x": 2.0, "y": 1.0}),
        (neuron_graph(), {"w": 0.5, "x": 2.0, "b": -0.5, "y": 1.0}),
        (neuron_graph("cross_entropy"), {"w": -1.2, "x": 0.7, "b": 0.3, "y": 1.0}),
        (max_mul_graph(), {"x": 1.5, "y": -0.5, "z": -2.0}),
        (diamond, {"a": 0.8, "c": -1.3}),
    ]


def _backward_with(graph: Graph, *, order: str = "reverse", accumulate: bool = True, seed: float = 1.0,
                   start: float = 0.0) -> dict[str, float]:
    """What a backward pass with one of the typical mistakes gives (the defaults: the right pass)."""
    grads = {node.name: start for node in graph.nodes}
    grads[graph.output.name] = seed
    nodes = reversed(graph.nodes) if order == "reverse" else iter(graph.nodes)
    for node in nodes:
        for name, local in graph.local_gradients(node.name).items():
            grads[name] = (grads[name] if accumulate else 0.0) + grads[node.name] * local
    return grads


def _as_vector(graph: Graph, grads: dict[str, float]) -> np.ndarray:
    return np.array([grads[node.name] for node in graph.nodes], dtype=np.float64)


def check_backward(backward: Callable[[Graph], dict[str, float]]) -> None:
    """``backward(graph)`` must fill every node's ``grad`` with ∂output/∂node and return them by name."""
    cases = backward_cases()
    with Harness(backward, BACKWARD_HINTS) as harness:
        for graph, inputs in cases:
            graph.forward(**inputs)
            expected = _as_vector(graph, _backward_with(graph))
            shown = {node.name: float(g) for node, g in zip(graph.nodes, expected)}
            answer = harness.call(graph)
            got = answer.got
            names = [node.name for node in graph.nodes]
            if not isinstance(got, dict) or sorted(got, key=str) != sorted(names):
                answer.refuse(f"a dict with one gradient per node, keys {names}", shown,
                              "Return a dict: each node's name, and its gradient.")
            values = Answer(harness, answer.args, [got[name] for name in names]).numbers(expected)
            if close(values, expected, rtol=1e-9, atol=1e-12):
                continue
            mistakes = [
                (_as_vector(graph, _backward_with(graph, order="forward")),
                 "Only the output's own inputs got their gradients: the nodes were visited from the first to the last, "
                 "so each node handed on its gradient before it had received it. Backpropagation walks the other way."),
                (_as_vector(graph, _backward_with(graph, accumulate=False)),
                 "A value used twice lost part of its gradient: each path overwrote what the path before had handed "
                 "over, where the contributions of all paths must add up."),
                (_as_vector(graph, _backward_with(graph, seed=0.0)),
                 "Every gradient is 0: the walk starts from the output's gradient with respect to itself, and that "
                 "is 1, not 0."),
            ]
            why = next((w for wrong, w in mistakes if close(values, wrong, rtol=1e-9, atol=1e-12)), "")
            if not why and np.isnan(values).any():
                why = ("Some gradients are nan (not a number): after forward every .grad is nan, and adding onto a nan "
                       "gives nan. Each backward pass must first set every gradient to 0.")
            answer.fail(shown, why=why)
        # The same graph twice in a row: a second backward must not add onto the first one's gradients.
        graph, inputs = cases[1]
        graph.forward(**inputs)
        expected = _as_vector(graph, _backward_with(graph))
        shown = {node.name: float(g) for node, g in zip(graph.nodes, expected)}
        for _ in range(2):
            answer = harness.call(graph, shared=(0,))
        got = answer.got
        values = Answer(harness, answer.args, [got.get(node.name) for node in graph.nodes]).numbers(expected) \
            if isinstance(got, dict) else answer.numbers(expected)
        on_nodes = np.array([node.grad for node in graph.nodes], dtype=np.float64)
        if not close(values, expected, rtol=1e-9, atol=1e-12):  # right on a fresh graph, so the first pass's leftovers
            answer.fail(shown, why="A second backward pass on the same graph gave other gradients than the first: the "
                                   "gradients of the first pass were still there, and the second added onto them. "
                                   "Every pass must start from gradients of 0.")
        if not close(on_nodes, expected, rtol=1e-9, atol=1e-12):
            answer.fail(shown, why="The dict you returned is right, but the nodes' own .grad were not all set to "
                                   "those values: later cells read them from the graph (graph.table()).")
        harness.passed(len(cases) + 1)


# ------------------------------------------------------------------------------------------------
# Exercise B: the training loop of the two-layer network, with the gradients of section 3
# ------------------------------------------------------------------------------------------------

TRAINING_HINTS = Hints(
    task="Write train_two_layer(X, y, W1, b1, W2, b2, lr, steps): run `steps` full-batch gradient-descent steps "
         "on the tanh network of section 3 and return the four updated parameters and the list of the losses, "
         "one per step, each measured before its update.",
    idea="Each step is section 3 in order: the forward pass to the loss, the backward pass from ∂L/∂Z₂ back to the "
         "four gradients, each of its parameter's shape, and only then a step of every parameter against its "
         "gradient, W ← W − η·dW.",
    formula="dZ₂ = (P − Y)/N; dW₂ = dZ₂ᵀH, db₂ = Σ_rows dZ₂, dH = dZ₂W₂; dZ₁ = dH ⊙ (1 − H²); dW₁ = dZ₁ᵀX, "
            "db₁ = Σ_rows dZ₁; then W₁ ← W₁ − η·dW₁ and the same for b₁, W₂, b₂.",
    code="In a loop over `t in range(steps)`: the four forward lines of section 3 (`tanh_forward`, "
         "`cross_entropy_forward`), then `dZ2 = cross_entropy_backward(1.0, ce_cache)`, `dW2 = dZ2.T @ H`, "
         "`db2 = dZ2.sum(axis=0)`, `dH = dZ2 @ W2`, `dZ1 = tanh_backward(dH, tanh_cache)`, `dW1 = dZ1.T @ X`, "
         "`db1 = dZ1.sum(axis=0)`; then `W1 = W1 - lr * dW1` and so on; append `loss` to a list.",
)

_PARAMETERS = ("W1", "b1", "W2", "b2")


def reference_training(X, y, W1, b1, W2, b2, lr, steps):
    """The answer key: the course's MLP, CrossEntropyLoss and SGD, started from the given weights."""
    model = MLP([W1.shape[1], W1.shape[0], W2.shape[0]], activation="tanh", rng=np.random.default_rng(0))
    for layer, W, b in ((model[0], W1, b1), (model[2], W2, b2)):
        layer.weight.data[...], layer.bias.data[...] = W, b
    criterion, optimizer = CrossEntropyLoss(), SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        losses.append(criterion(model(X), y))
        model.backward(criterion.backward())
        optimizer.step()
    return model[0].weight.data, model[0].bias.data, model[2].weight.data, model[2].bias.data, losses


def _training_with(X, y, W1, b1, W2, b2, lr, steps, mistake):
    """The losses of a training loop with one typical mistake (written out, so each mistake is visible)."""
    Y = np.eye(W2.shape[0])[y]
    n = len(X)
    losses = []
    for _ in range(steps):
        Z1 = X @ W1.T + b1
        H = np.tanh(Z1)
        Z2 = H @ W2.T + b2
        logp = Z2 - Z2.max(axis=1, keepdims=True)
        logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
        losses.append(-logp[np.arange(n), y].mean())
        dZ2 = (np.exp(logp) - Y) / (1 if mistake == "no 1/N" else n)
        dW2, db2 = dZ2.T @ H, dZ2.sum(axis=0)
        if mistake == "W2 first":
            W2 = W2 - lr * dW2
        dH = dZ2 @ W2
        dZ1 = dH * (1 - (Z1 if mistake == "tanh at Z1" else H) ** 2)
        dW1, db1 = dZ1.T @ X, dZ1.sum(axis=0)
        sign = -1 if mistake == "ascent" else 1
        W1 = W1 - sign * lr * dW1
        if mistake != "W2 first":
            W2 = W2 - sign * lr * dW2
        if mistake != "biases fixed":
            b1, b2 = b1 - sign * lr * db1, b2 - sign * lr * db2
    return np.array(losses)


_TRAINING_MISTAKES = {
    "no 1/N": "Your steps are N times too large: the loss is the mean over the N examples, so ∂L/∂Z₂ carries a "
              "factor 1/N.",
    "tanh at Z1": "The derivative of tanh was taken at the wrong place: it is 1 − tanh², written with the layer's "
                  "output H, not with its input Z₁.",
    "W2 first": "dH was computed with the already-updated W₂: every gradient of a step must come from the same, "
                "old weights, so all four gradients come first and all four updates after.",
    "biases fixed": "The biases never moved: b₁ and b₂ are parameters too, and "
                    "each takes its own step against its gradient.",
    "ascent": "The loss rises: each step went along the gradient, uphill. Gradient descent steps against it.",
}


def training_cases():
    """Two small problems: the moons with 8 hidden units, and 3 hidden units on 7 examples of 3 classes."""
    rng = np.random.default_rng(6)
    X, y = make_moons(24, seed=1)
    X3, y3 = rng.standard_normal((7, 2)), np.array([0, 1, 2, 0, 1, 2, 2])
    cases = []
    for (X_, y_), hidden, classes, lr in (((X, y), 8, 2, 0.5), ((X3, y3), 3, 3, 0.3)):
        W1, b1 = 0.8 * rng.standard_normal((hidden, 2)), 0.1 * rng.standard_normal(hidden)
        W2, b2 = 0.8 * rng.standard_normal((classes, hidden)), 0.1 * rng.standard_normal(classes)
        cases.append((X_, y_, W1, b1, W2, b2, lr, 6))
    return cases


def _training_error(error: Exception) -> str:
    """A transposed gradient shows as a broadcasting error when its parameter is updated."""
    if isinstance(error, ValueError) and "broadcast" in str(error):
        return ("An update subtracted arrays of different shapes: a gradient has the shape of what it is the gradient "
                "of, so dW₁ and dW₂ are (out, in), like W₁ and W₂. A transposed product gives (in, out).")
    return ""


def check_two_layer_training(train_two_layer: Callable[..., tuple]) -> None:
    """``train_two_layer(X, y, W1, b1, W2, b2, lr, steps)`` must return ``(W1, b1, W2, b2, losses)``, step for step
    as the course's MLP trained by SGD on the softmax cross-entropy."""
    cases = training_cases()
    with Harness(train_two_layer, TRAINING_HINTS, explain=_training_error) as harness:
        for case in cases:
            *expected_params, expected_losses = reference_training(*case)
            expected_losses = np.array(expected_losses)
            answer = harness.call(*case)
            *params, losses = answer.parts(*_PARAMETERS, "list of losses", lead="Return five values: the four updated "
                                           "parameters, in the order of the arguments, and the list of losses.")
            got = losses.array(expected_losses, lead=f"Return one loss per step: {case[-1]} numbers.")
            if not close(got, expected_losses, rtol=1e-8, atol=1e-12):
                why = next((text for mistake, text in _TRAINING_MISTAKES.items()
                            if close(got, _training_with(*case, mistake), rtol=1e-8, atol=1e-12)), "")
                if not why and close(got[0], expected_losses[0], rtol=1e-8, atol=1e-12):
                    why = "The first loss is right, so the forward pass is; the steps after it went elsewhere."
                losses.fail(expected_losses, why=why)
            for part, expected in zip(params, expected_params):
                array = part.array(expected, lead=f"{part.part} keeps its shape {expected.shape}.")
                if not close(array, expected, rtol=1e-8, atol=1e-12):
                    part.fail(expected, why=f"The losses are right but the {part.part} you returned is not the "
                                            "parameter after the last step.")
        harness.passed(len(cases))


# ------------------------------------------------------------------------------------------------
# Exercise 1: the chain rule by hand on L = (σ(w·x + b) − y)²
# ------------------------------------------------------------------------------------------------


NEURON_HINTS = Hints(
    task="Return the pair (∂L/∂w, ∂L/∂b) for one sigmoid neuron with squared error, L = (σ(w·x + b) − y)², "
         "all four arguments plain numbers.",
    idea="Walk the chain back from L through e = s − y, s = σ(z) and z = w·x + b: each gradient is the product "
         "of the local derivatives along the path from L to that parameter (the table of section 2).",
    formula="∂L/∂e = 2e, ∂e/∂s = 1, ∂s/∂z = s(1 − s), ∂z/∂b = 1, ∂z/∂w = x; so ∂L/∂b = 2e·s(1 − s) and "
            "∂L/∂w = 2e·s(1 − s)·x.",
    code="Compute `z`, then `s = 1 / (1 + np.exp(-z))`, then `dL_dz = 2 * (s - y) * s * (1 - s)`; "
         "return `dL_dz * x, dL_dz`.",
)


def check_neuron_gradients(neuron_gradients: Callable[[float, float, float, float], tuple[float, float]]) -> None:
    """``neuron_gradients(w, x, b, y)`` must return ``(∂L/∂w, ∂L/∂b)`` for L = (σ(w·x + b) − y)²."""
    rng = np.random.default_rng(3)
    cases = [(0.5, 2.0, -0.5, 1.0), (-1.0, 0.3, 0.2, 0.0), (1.5, -1.0, 0.5, 0.25)]
    cases += [tuple(float(v) for v in (*rng.uniform(-2, 2, size=3), rng.uniform(0, 1))) for _ in range(3)]
    graph = neuron_graph()
    with Harness(neuron_gradients, NEURON_HINTS) as harness:
        for w, x, b, y in cases:
            graph.forward(w=w, x=x, b=b, y=y)
            grads = graph.backward()
            expected = np.array([grads["w"], grads["b"]])
            shown = (float(expected[0]), float(expected[1]))
            answer = harness.call(w, x, b, y)
            got_array = answer.array(shown, shape=(2,), lead="Return two numbers, (dL_dw, dL_db).")
            if close(got_array, expected, rtol=_TOLERANCE, atol=1e-12):
                continue
            s, e = graph["s"].value, graph["e"].value
            sp = s * (1 - s)
            mistakes = [
                (np.array([e * sp * x, e * sp]), "The derivative of e² is 2e: the factor 2 is missing."),
                (np.array([2 * e * x, 2 * e]), "The factor s(1 − s) is missing: it is σ'(z), the local derivative "
                                               "of the sigmoid node, and every path from L to w or b goes through it."),
                (np.array([2 * e * sp, 2 * e * sp]),
                 "∂L/∂w needs one more factor than ∂L/∂b: ∂z/∂w = x, because z = w·x + b."),
                (-expected, "The sign is flipped: e = s − y, so ∂L/∂s = +2(s − y)."),
            ]
            specific = next((why for wrong, why in mistakes if close(got_array, wrong, rtol=_TOLERANCE, atol=1e-12)), None)
            answer.fail(shown, why=specific or "")
        harness.passed(len(cases))


# ------------------------------------------------------------------------------------------------
# Exercise 2: the backward rule of the sigmoid
# ------------------------------------------------------------------------------------------------


SIGMOID_HINTS = Hints(
    task="Return dx = ∂L/∂x for the element-wise sigmoid y = σ(x), given the upstream gradient dy and the stored "
         "output y.",
    idea="The chain rule multiplies the upstream gradient by the sigmoid's local derivative, element by element; "
         "that derivative can be written with the output y alone, which the forward pass stored.",
    formula="σ'(x) = σ(x)(1 − σ(x)) = y(1 − y), so dx = dy ⊙ y(1 − y). y is already σ(x): do not apply σ again.",
    code="`return dy * y * (1 - y)`",
)


def check_sigmoid_backward(sigmoid_backward: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> None:
    """``sigmoid_backward(dy, y)`` must return dL/dx given dL/dy and y = σ(x), graded by gradient checking."""
    rng = np.random.default_rng(4)
    shapes = [(5,), (3, 4), (2, 3, 2)]
    with Harness(sigmoid_backward, SIGMOID_HINTS) as harness:
        for shape in shapes:
            x = rng.uniform(-4, 4, size=shape)
            dy = rng.standard_normal(shape)
            y, _ = F.sigmoid_forward(x)
            numerical = numerical_gradient_array(lambda: F.sigmoid_forward(x)[0], x, dy)
            answer = harness.call(dy, y)
            answer.numbers(numerical, lead="Return NumPy arrays of numbers.")
            got_array = answer.array(numerical, lead=f"dx has the shape of x, {shape}: the sigmoid works element by element.")
            error = rel_error(got_array, numerical)
            if error < _TOLERANCE:
                continue
            sy, _ = F.sigmoid_forward(y)
            mistakes = [
                (dy, "You returned dy unchanged: the local derivative of the sigmoid is missing."),
                (y * (1 - y), "You returned σ'(x) alone: multiply it by the upstream gradient dy."),
                (dy * sy * (1 - sy), "y is already σ(x); applying σ again computes σ'(σ(x)) instead of σ'(x)."),
                (dy * y, "The factor (1 − y) is missing."),
            ]
            specific = next((why for wrong, why in mistakes if close(got_array, wrong, rtol=_TOLERANCE, atol=1e-12)), None)
            lead = (f"The gradient check found a relative error of {error:.1e} against central differences "
                    f"(a correct rule gives about 1e-10).")
            answer.fail(numerical, why=f"{lead} {specific or ''}")
        harness.passed(len(shapes))


# ------------------------------------------------------------------------------------------------
# Exercise 3: the backward rule of a Linear layer
# ------------------------------------------------------------------------------------------------


LINEAR_HINTS = Hints(
    task="Return (dx, dW, db) for the layer y = x Wᵀ + b, given the upstream gradient dy, the input x and W "
         "(stored (out, in), as in PyTorch).",
    idea="A gradient has the shape of what it is the gradient of, and the shapes choose the products and the "
         "transposes; the bias is added to every row, so its gradient gathers all the rows (section 3).",
    formula="dx = dy·W: (N, out)·(out, in) = (N, in); dW = dyᵀ·x: (out, N)·(N, in) = (out, in); "
            "db = Σ over the rows of dy: (out,).",
    code="`dx = dy @ W`, `dW = dy.T @ x`, `db = dy.sum(axis=0)`.",
)


def check_linear_backward(
    linear_backward: Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> None:
    """``linear_backward(dy, x, W)`` for y = x Wᵀ + b must return ``(dx, dW, db)``, graded by gradient checking."""
    rng = np.random.default_rng(5)
    shapes = [(4, 3, 2), (5, 3, 3), (1, 2, 4), (6, 4, 5)]  # (N, in, out); one square W, one single example
    with Harness(linear_backward, LINEAR_HINTS, explain=_linear_error) as harness:
        for n, n_in, n_out in shapes:
            x = rng.standard_normal((n, n_in))
            layer = Linear(n_in, n_out, rng=rng)
            W, b = layer.weight.data, layer.bias.data
            dy = rng.standard_normal((n, n_out))

            def output() -> np.ndarray:
                return x @ W.T + b

            numerical = {
                "dx": numerical_gradient_array(output, x, dy),
                "dW": numerical_gradient_array(output, W, dy),
                "db": numerical_gradient_array(output, b, dy),
            }
            answer = harness.call(dy, x, W)
            parts = answer.parts("dx", "dW", "db", lead="Return three arrays, the gradients of x, W and b, in that order.")
            for part in parts:
                expected = numerical[part.part]
                array = part.numbers(expected, lead="Return NumPy arrays of numbers.")
                error = rel_error(array, expected) if array.shape == expected.shape else np.inf
                if error < _TOLERANCE:
                    continue
                part.fail(expected, why=_linear_hint(part.part, array, expected, dy, x, W))
        harness.passed(len(shapes))


def _linear_error(error: Exception) -> str:
    """The likely mistake behind an exception in the learner's linear_backward: a product whose sizes do not fit."""
    if isinstance(error, ValueError) and ("matmul" in str(error) or "not aligned" in str(error)):
        return (
            "one of your matrix products multiplies sizes that do not fit. W is stored (out, in), so dy @ W.T is "
            "(N, out) @ (in, out): it fits only when W is square, and going back through y = x Wᵀ multiplies by W "
            "itself. Write down each product's shapes. "
        )
    return ""


def _linear_hint(part: str, got: np.ndarray, expected: np.ndarray, dy: np.ndarray, x: np.ndarray, W: np.ndarray) -> str:
    """A sentence naming the likely mistake in one of dx, dW, db (empty if none is recognised).

    Only products whose sizes fit are formed: ``dy @ W.T`` exists only for a square W.
    """
    n = len(x)
    if got.shape == expected.shape and close(got, -expected, rtol=_TOLERANCE, atol=1e-12):
        return (f"The sign of {part} is flipped: backpropagation passes dy on without a minus sign; the minus "
                f"belongs to the descent step, p - lr * grad, not to the gradient. ")
    if part == "dx":
        if got.shape != expected.shape:
            return f"dx must have x's shape {expected.shape}, got {got.shape}. "
        if W.shape[0] == W.shape[1] and close(got, dy @ W.T, rtol=_TOLERANCE, atol=1e-12):
            return "dy @ W.T is the forward direction; going back through y = x Wᵀ multiplies by W itself: dx = dy @ W. "
        if close(got, dy @ W / n, rtol=_TOLERANCE, atol=1e-12):
            return ("Your dx is divided by N, but each example's dx comes from its own row of dy, and dy already "
                    "carries the 1/N of the mean loss. ")
    if part == "dW":
        if got.shape == expected.shape[::-1] and got.shape != expected.shape:
            return (f"dW has shape {got.shape}, the transpose of W's {expected.shape}: x.T @ dy gives (in, out); "
                    f"W is stored (out, in), as in torch, so dW = dy.T @ x. ")
        if got.shape != expected.shape:
            return f"dW must have W's shape {expected.shape}, got {got.shape}. "
        if close(got.T, expected, rtol=_TOLERANCE, atol=1e-12):
            return "dW came out transposed: W is stored (out, in), as in torch, so dW = dy.T @ x, not (x.T @ dy). "
        if close(got, expected / n, rtol=_TOLERANCE, atol=1e-12):
            return "dW sums over the examples, it does not average them: the loss already took its mean, and dy carries it. "
    if part == "db":
        if got.shape == (n,) and expected.shape != (n,):
            return f"db came out with one entry per example, shape {got.shape}: sum over the batch axis, the rows. "
        if got.shape != expected.shape:
            return f"db must have b's shape {expected.shape}, got {got.shape}. "
        if close(got, expected / n, rtol=_TOLERANCE, atol=1e-12):
            return "db is the sum of dy over the examples, not their mean: the loss already averaged, and dy carries the 1/N. "
    return ""
