"""Backpropagation made visible: a tiny scalar computational graph, and finite-difference errors.

Two pieces for lesson 03.

**A scalar computational graph.** A :class:`Graph` is a list of :class:`Node` objects in the order
they are computed. Each node has an operation (``"input"``, ``"add"``, ``"mul"``, ...), the names of
its inputs, and, once computed, a forward ``value`` and a ``grad``: the derivative of the graph's
last node (the output) with respect to this node. :meth:`Graph.forward` walks the list from top to
bottom; :meth:`Graph.backward` walks it from bottom to top, applying the chain rule once per node:

    grad[input] += grad[node] · ∂node/∂input          (the local derivative, from OPS)

The ``+=`` is the multivariable chain rule: a value that feeds several nodes collects one
contribution from each. This is reverse-mode automatic differentiation, the algorithm torch's
autograd runs on tensors, written for single numbers so every step can be printed and drawn.

    g = add_mul_graph()                  # f(x, y, z) = (x + y)·z
    g.forward(x=2.0, y=-1.0, z=3.0)      # 3.0
    g.backward()                         # {'x': 3.0, 'y': 3.0, 'z': 1.0, 'q': 3.0, 'f': 1.0}

**How the step size h of a finite difference decides its error.** :func:`step_size_errors`
measures the relative error of a numerical derivative over a range of steps h, and
:func:`error_model` predicts it: a truncation error that falls like h² (central difference) or h
(forward difference) as h shrinks, plus a round-off error that grows like 1/h.

Reference: Linnainmaa (1970) for reverse-mode differentiation; Rumelhart, Hinton & Williams,
"Learning representations by back-propagating errors", 1986, for its use in neural networks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from course_lib.numpy_nn import functional as F
from course_lib.numpy_nn.gradcheck import numerical_gradient, rel_error

__all__ = [
    "FUNCTIONS",
    "OPS",
    "Graph",
    "Node",
    "ScalarFunction",
    "add_mul_graph",
    "best_step",
    "error_model",
    "finite_difference",
    "max_mul_graph",
    "neuron_graph",
    "output_curve",
    "step_size_errors",
    "step_sizes",
]

# ================================================================================================
# The scalar computational graph
# ================================================================================================


def _sigmoid(a: float) -> float:
    return float(F.sigmoid_forward(a)[0])  # the reference's stable sigmoid: σ(±1000) is exact


class Op(NamedTuple):
    """One kind of node: how many inputs, the forward rule, the local derivatives, how to write it.

    ``local_grads(inputs, out)`` returns ∂out/∂input for each input, given the input values and
    the node's own forward value (sigmoid and tanh are cheapest written with ``out``).
    ``template`` writes the operation with its inputs' names, e.g. ``"{0} + {1}"``.
    """

    arity: int
    forward: Callable[..., float]
    local_grads: Callable[[tuple[float, ...], float], tuple[float, ...]]
    template: str


OPS: dict[str, Op] = {
    # out = a + b:   ∂out/∂a = 1, ∂out/∂b = 1       (an add node hands its gradient on unchanged)
    "add": Op(2, lambda a, b: a + b, lambda v, out: (1.0, 1.0), "{0} + {1}"),
    # out = a − b:   ∂out/∂a = 1, ∂out/∂b = −1
    "sub": Op(2, lambda a, b: a - b, lambda v, out: (1.0, -1.0), "{0} − {1}"),
    # out = a · b:   ∂out/∂a = b, ∂out/∂b = a       (a mul node swaps its inputs)
    "mul": Op(2, lambda a, b: a * b, lambda v, out: (v[1], v[0]), "{0}·{1}"),
    # out = a²:      ∂out/∂a = 2a
    "square": Op(1, lambda a: a * a, lambda v, out: (2.0 * v[0],), "{0}²"),
    # out = σ(a):    ∂out/∂a = σ(a)(1 − σ(a))
    "sigmoid": Op(1, _sigmoid, lambda v, out: (out * (1.0 - out),), "σ({0})"),
    # out = tanh(a): ∂out/∂a = 1 − tanh²(a)
    "tanh": Op(1, math.tanh, lambda v, out: (1.0 - out * out,), "tanh({0})"),
    # out = max(0, a): ∂out/∂a = 1 if a > 0 else 0  (0 at the kink, as torch)
    "relu": Op(1, lambda a: max(0.0, a), lambda v, out: (1.0 if v[0] > 0 else 0.0,), "max(0, {0})"),
    # out = max(a, b): the larger input gets the whole gradient, the other none  (a tie goes to a)
    "max": Op(2, lambda a, b: max(a, b), lambda v, out: (1.0, 0.0) if v[0] >= v[1] else (0.0, 1.0), "max({0}, {1})"),
    # out = CE(σ(z), y) = −y·log σ(z) − (1 − y)·log(1 − σ(z)), written stably as max(z, 0) − y·z + log(1 + e^−|z|):
    #                ∂out/∂z = σ(z) − y,  ∂out/∂y = −z
    "bce_logit": Op(2, lambda z, y: max(z, 0.0) - y * z + math.log1p(math.exp(-abs(z))),
                    lambda v, out: (_sigmoid(v[0]) - v[1], -v[0]), "CE(σ({0}), {1})"),
}


@dataclass
class Node:
    """One number in a scalar computational graph.

    Attributes:
        name: how other nodes refer to it (``"x"``, ``"q"``, ...).
        op: ``"input"`` for a leaf set by :meth:`Graph.forward`, else a key of :data:`OPS`.
        inputs: the names of the nodes it is computed from (none for an input).
        value: its forward value (NaN until a forward pass).
        grad: ∂output/∂node (NaN until a backward pass).
    """

    name: str
    op: str
    inputs: tuple[str, ...] = ()
    value: float = math.nan
    grad: float = math.nan


class Graph:
    """A scalar computational graph: nodes in the order they are computed, the last one the output.

        g = Graph([Node("x", "input"), Node("y", "input"), Node("z", "input"),
                   Node("q", "add", ("x", "y")), Node("f", "mul", ("q", "z"))])

    Args:
        nodes: the nodes, each listed after all of its inputs (a topological order).

    Raises:
        ValueError: a repeated name, an unknown op, a wrong number of inputs, or an input that is
            not defined earlier in the list.
    """

    def __init__(self, nodes: Iterable[Node]) -> None:
        self.nodes: list[Node] = list(nodes)
        if not self.nodes:
            raise ValueError("A Graph needs at least one node.")
        seen: set[str] = set()
        for node in self.nodes:
            if node.name in seen:
                raise ValueError(f"Node name {node.name!r} is used twice; every node needs its own name.")
            node.inputs = tuple(node.inputs)
            if node.op == "input":
                if node.inputs:
                    raise ValueError(f"Input node {node.name!r} cannot have inputs; got {node.inputs}.")
            elif node.op not in OPS:
                raise ValueError(f"Node {node.name!r}: unknown op {node.op!r}; choose 'input' or one of {sorted(OPS)}.")
            elif len(node.inputs) != OPS[node.op].arity:
                raise ValueError(
                    f"Node {node.name!r}: {node.op!r} takes {OPS[node.op].arity} input(s); got {len(node.inputs)}: {node.inputs}."
                )
            for name in node.inputs:
                if name not in seen:
                    raise ValueError(
                        f"Node {node.name!r} reads {name!r}, which is not defined above it. List every node "
                        f"after its inputs, in the order they are computed."
                    )
            seen.add(node.name)
        self._index = {node.name: node for node in self.nodes}

    def __getitem__(self, name: str) -> Node:
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f"No node named {name!r}; the graph has {list(self._index)}.") from None

    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def input_names(self) -> list[str]:
        """The names of the leaves, in order: the values :meth:`forward` needs."""
        return [node.name for node in self.nodes if node.op == "input"]

    @property
    def output(self) -> Node:
        """The last node: the value the graph computes, and the one every gradient is of."""
        return self.nodes[-1]

    def forward(self, **values: float) -> float:
        """Set the inputs, compute every node from top to bottom, and return the output's value.

        Gradients from an earlier backward pass are cleared (set to NaN): they belonged to other values.
        """
        missing = [name for name in self.input_names if name not in values]
        unknown = [name for name in values if name not in self.input_names]
        if missing or unknown:
            raise ValueError(
                f"forward needs exactly the inputs {self.input_names}; missing {missing}, unknown {unknown}."
            )
        for node in self.nodes:
            if node.op == "input":
                node.value = float(values[node.name])
            else:
                node.value = float(OPS[node.op].forward(*(self[name].value for name in node.inputs)))
            node.grad = math.nan
        return self.output.value

    def local_gradients(self, name: str) -> dict[str, float]:
        """∂node/∂input for each input of the node ``name``, at the current forward values."""
        node = self[name]
        if node.op == "input":
            return {}
        self._require_forward("local_gradients")
        inputs = tuple(self[i].value for i in node.inputs)
        partials = OPS[node.op].local_grads(inputs, node.value)
        # A node may read the same input twice (x·x): its two partials add up.
        local: dict[str, float] = {}
        for input_name, partial in zip(node.inputs, partials):
            local[input_name] = local.get(input_name, 0.0) + float(partial)
        return local

    def backward(self) -> dict[str, float]:
        """Fill every node's ``grad`` = ∂output/∂node, from the bottom up; return them by name.

        The output's gradient with respect to itself is 1. Then, for each node in reverse order,
        its gradient times each local derivative is added to the gradient of that input.
        """
        self._require_forward("backward")
        for node in self.nodes:
            node.grad = 0.0
        self.output.grad = 1.0
        for node in reversed(self.nodes):
            for input_name, local in self.local_gradients(node.name).items():
                self[input_name].grad += node.grad * local  # chain rule; += where paths meet
        return {node.name: node.grad for node in self.nodes}

    def _require_forward(self, who: str) -> None:
        if any(math.isnan(node.value) for node in self.nodes if node.op == "input"):
            call = ", ".join(f"{n}=..." for n in self.input_names)
            raise RuntimeError(f"Graph.{who} needs the forward values: call graph.forward({call}) first.")

    def table(self) -> str:
        """One line per node: name, what it computes, forward value and gradient."""
        lines = [f"{'node':>5}  {'computes':<14}{'value':>11}{'grad':>11}"]
        for node in self.nodes:
            what = "input" if node.op == "input" else self.formula(node.name)
            lines.append(f"{node.name:>5}  {what:<14}{node.value:>11.4f}{node.grad:>11.4f}")
        return "\n".join(lines)

    def formula(self, name: str) -> str:
        """What the node computes, written with its inputs' names: ``"x + y"``; an input's own name."""
        node = self[name]
        return node.name if node.op == "input" else OPS[node.op].template.format(*node.inputs)

    def __repr__(self) -> str:
        return f"Graph({[node.name for node in self.nodes]}, output={self.output.name!r})"


def add_mul_graph() -> Graph:
    """f(x, y, z) = (x + y)·z, with q = x + y: the smallest graph with two kinds of node.

    ∂f/∂z = q,  ∂f/∂q = z,  ∂f/∂x = ∂f/∂y = z.
    """
    return Graph([
        Node("x", "input"), Node("y", "input"), Node("z", "input"),
        Node("q", "add", ("x", "y")),
        Node("f", "mul", ("q", "z")),
    ])


def neuron_graph(loss: Literal["squared", "cross_entropy"] = "squared") -> Graph:
    """One sigmoid neuron and its loss, node by node, with target y.

    ``"squared"``: u = w·x, z = u + b, s = σ(z), e = s − y, L = e². By the chain rule
    ∂L/∂w = 2e · s(1 − s) · x and ∂L/∂b = 2e · s(1 − s).

    ``"cross_entropy"``: u = w·x, z = u + b, L = CE(σ(z), y) in one node (lesson 02's binary
    cross-entropy on the logit z), whose local derivative is ∂L/∂z = σ(z) − y: no factor σ'(z).
    """
    if loss == "squared":
        return Graph([
            Node("w", "input"), Node("x", "input"), Node("b", "input"), Node("y", "input"),
            Node("u", "mul", ("w", "x")),
            Node("z", "add", ("u", "b")),
            Node("s", "sigmoid", ("z",)),
            Node("e", "sub", ("s", "y")),
            Node("L", "square", ("e",)),
        ])
    if loss == "cross_entropy":
        return Graph([
            Node("w", "input"), Node("x", "input"), Node("b", "input"), Node("y", "input"),
            Node("u", "mul", ("w", "x")),
            Node("z", "add", ("u", "b")),
            Node("L", "bce_logit", ("z", "y")),
        ])
    raise ValueError(f"loss must be 'squared' or 'cross_entropy'; got {loss!r}.")


def max_mul_graph() -> Graph:
    """f(x, y, z) = max(x, y)·z, with m = max(x, y): the max gate routes the gradient to the larger input.

    With x > y: ∂f/∂x = z and ∂f/∂y = 0.
    """
    return Graph([
        Node("x", "input"), Node("y", "input"), Node("z", "input"),
        Node("m", "max", ("x", "y")),
        Node("f", "mul", ("m", "z")),
    ])


# ================================================================================================
# Finite differences: the error as a function of the step h
# ================================================================================================

_EPS = float(np.finfo(np.float64).eps)  # 2.2e-16: the spacing of float64 numbers near 1


@dataclass(frozen=True)
class ScalarFunction:
    """A smooth function of one number with its first three derivatives, and a point x0.

    The derivatives make it possible to predict a finite difference's error (:func:`error_model`).
    """

    label: str
    f: Callable[[NDArray], NDArray]
    df: Callable[[NDArray], NDArray]
    d2f: Callable[[NDArray], NDArray]
    d3f: Callable[[NDArray], NDArray]
    x0: float


def _sig_d(k: int) -> Callable[[NDArray], NDArray]:
    def derivative(x: NDArray) -> NDArray:
        s = F.sigmoid_forward(x)[0]
        return [s * (1 - s), s * (1 - s) * (1 - 2 * s), s * (1 - s) * (1 - 6 * s + 6 * s * s)][k - 1]

    return derivative


FUNCTIONS: dict[str, ScalarFunction] = {
    f.label: f
    for f in (
        ScalarFunction("sin(x) at x = 1", np.sin, np.cos, lambda x: -np.sin(x), lambda x: -np.cos(x), 1.0),
        ScalarFunction("exp(x) at x = 1", np.exp, np.exp, np.exp, np.exp, 1.0),
        ScalarFunction("σ(x) at x = 2", lambda x: F.sigmoid_forward(x)[0], _sig_d(1), _sig_d(2), _sig_d(3), 2.0),
        ScalarFunction(
            "tanh(x) at x = 0.5", np.tanh, lambda x: 1 - np.tanh(x) ** 2,
            lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2),
            lambda x: (1 - np.tanh(x) ** 2) * (6 * np.tanh(x) ** 2 - 2), 0.5,
        ),
        ScalarFunction(
            "x² at x = 1.3", np.square, lambda x: 2 * x,
            lambda x: 2 + 0 * x, lambda x: 0 * x, 1.3,
        ),
    )
}
"""The functions the lesson and its explorer study, by label."""


def step_sizes(min_exp: float = -12, max_exp: float = 0, num: int = 49) -> NDArray:
    """Steps h = 10^min_exp .. 10^max_exp, evenly spaced on a log scale (4 per decade by default)."""
    if not min_exp < max_exp or num < 2:
        raise ValueError(f"step_sizes needs min_exp < max_exp and num >= 2; got {min_exp}, {max_exp}, {num}.")
    return np.logspace(min_exp, max_exp, num)


def _resolve(fn: ScalarFunction | str) -> ScalarFunction:
    if isinstance(fn, ScalarFunction):
        return fn
    if fn not in FUNCTIONS:
        raise ValueError(f"Unknown function {fn!r}; choose one of {list(FUNCTIONS)} or pass a ScalarFunction.")
    return FUNCTIONS[fn]


def _check_step(h: float) -> float:
    h = float(h)
    if not h > 0 or not math.isfinite(h):
        raise ValueError(f"The step h must be a positive finite number; got {h}.")
    return h


def finite_difference(
    fn: ScalarFunction | str, h: float, *, scheme: Literal["central", "forward"] = "central"
) -> float:
    """The numerical derivative of ``fn`` at its point x0 with step h.

    central: (f(x0 + h) − f(x0 − h)) / 2h, computed by :func:`~course_lib.numpy_nn.gradcheck.numerical_gradient`;
    forward: (f(x0 + h) − f(x0)) / h.
    """
    fn, h = _resolve(fn), _check_step(h)
    x = np.array([fn.x0])
    if scheme == "central":
        return float(numerical_gradient(lambda: fn.f(x[0]), x, eps=h)[0])
    if scheme == "forward":
        return float((fn.f(fn.x0 + h) - fn.f(fn.x0)) / h)
    raise ValueError(f"scheme must be 'central' or 'forward'; got {scheme!r}.")


def step_size_errors(
    fn: ScalarFunction | str, hs: Sequence[float] | NDArray, *, scheme: Literal["central", "forward"] = "central"
) -> NDArray:
    """The relative error of the finite difference against the exact derivative, for each h.

    Uses :func:`~course_lib.numpy_nn.gradcheck.rel_error`, |a − b| / (|a| + |b|). An entry can be
    exactly 0 when the rounded difference happens to hit the exact derivative.

    Args:
        fn: a :class:`ScalarFunction` or a label of :data:`FUNCTIONS`.
        hs: the steps, each positive.
        scheme: ``"central"`` (error ∝ h² + 1/h) or ``"forward"`` (error ∝ h + 1/h).

    Returns:
        An array of relative errors shaped like ``hs``.
    """
    fn = _resolve(fn)
    exact = np.array(fn.df(fn.x0), dtype=np.float64)
    return np.array(
        [rel_error(np.array(finite_difference(fn, h, scheme=scheme)), exact) for h in np.ravel(hs)]
    ).reshape(np.shape(hs))


def error_model(
    fn: ScalarFunction | str, hs: Sequence[float] | NDArray, *, scheme: Literal["central", "forward"] = "central"
) -> tuple[NDArray, NDArray]:
    """Predicted relative errors ``(truncation, round_off)`` of a finite difference at each step h.

    Taylor's theorem gives the truncation error: |f'''(x0)|·h²/6 for the central difference and
    |f''(x0)|·h/2 for the forward one. Each value of f is rounded by up to ε|f(x0)|/2 (ε = 2.2e-16
    in float64), and dividing the difference of two rounded values by 2h (or h) magnifies that to
    ε|f(x0)|/2h for the central difference (ε|f(x0)|/h for the forward one). Both terms are divided
    by 2|f'(x0)| to match :func:`~course_lib.numpy_nn.gradcheck.rel_error`. The round-off term is a
    typical upper size, not an exact value: the measured error scatters below it.

    Returns:
        Two arrays shaped like ``hs``.
    """
    fn = _resolve(fn)
    hs = np.asarray(hs, dtype=np.float64)
    if np.any(hs <= 0):
        raise ValueError("Every step h must be positive.")
    scale = 2.0 * abs(float(fn.df(fn.x0)))
    if scheme == "central":
        truncation = abs(float(fn.d3f(fn.x0))) * hs**2 / 6.0
    elif scheme == "forward":
        truncation = abs(float(fn.d2f(fn.x0))) * hs / 2.0
    else:
        raise ValueError(f"scheme must be 'central' or 'forward'; got {scheme!r}.")
    # Each value of f may be off by ε|f|/2: the central difference (divided by 2h) by up to
    # ε|f|/2h, the forward difference (divided by h) by up to ε|f|/h.
    round_off = _EPS * abs(float(fn.f(fn.x0))) / (2.0 * hs if scheme == "central" else hs)
    return truncation / scale, round_off / scale


def best_step(fn: ScalarFunction | str, *, scheme: Literal["central", "forward"] = "central") -> float:
    """The h where :func:`error_model`'s two terms add up to the least: about ε^(1/3) for central.

    Central: h* = (1.5ε|f| / |f'''|)^(1/3); forward: h* = (2ε|f| / |f''|)^(1/2). Without a truncation
    term (f''' = 0 for a quadratic) any larger h is better: the result is ``inf``.
    """
    fn = _resolve(fn)
    f_scale = abs(float(fn.f(fn.x0)))
    if scheme == "central":
        d = abs(float(fn.d3f(fn.x0)))
        return math.inf if d == 0 else (1.5 * _EPS * f_scale / d) ** (1.0 / 3.0)
    if scheme == "forward":
        d = abs(float(fn.d2f(fn.x0)))
        return math.inf if d == 0 else (2.0 * _EPS * f_scale / d) ** 0.5
    raise ValueError(f"scheme must be 'central' or 'forward'; got {scheme!r}.")



def output_curve(graph: Graph, vary: str, values: Sequence[float] | NDArray, **inputs: float) -> NDArray:
    """The graph's output as one input sweeps over ``values``, the other inputs held fixed.

        neuron = neuron_graph()
        output_curve(neuron, "w", np.linspace(-3, 3, 61), x=1.0, b=0.0, y=1.0)   # L(w)

    The graph is left holding the forward values of the last point (run forward again after).

    Returns:
        An array shaped like ``values``.
    """
    if vary not in graph.input_names:
        raise ValueError(f"vary must be one of the graph's inputs {graph.input_names}; got {vary!r}.")
    if vary in inputs:
        raise ValueError(f"{vary!r} is the input being varied; do not also fix it (got {vary}={inputs[vary]}).")
    values = np.asarray(values, dtype=np.float64)
    return np.array([graph.forward(**inputs, **{vary: v}) for v in values.ravel()]).reshape(values.shape)
