"""Lesson 03: the scalar graph, finite-difference errors, their plots, explorers and self-checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from course_lib.lessons.l03_backpropagation.graph import (
    FUNCTIONS, OPS, Graph, Node, add_mul_graph, best_step, error_model, finite_difference, neuron_graph,
    output_curve, step_size_errors, step_sizes,
)
from course_lib.lessons.l03_backpropagation.checks import (
    check_backward, check_linear_backward, check_neuron_gradients, check_sigmoid_backward, check_two_layer_training,
)
from course_lib.ui.checks import CheckFailed
from course_lib.numpy_nn.gradcheck import numerical_gradient
from course_lib.lessons.l03_backpropagation.plots import (
    ARROW_GID, draw_graph, graph_layout, plot_secant, plot_step_size_errors, plot_tangent,
)
from course_lib.lessons.l03_backpropagation.explorers import gradcheck_explorer, neuron_explorer

finite = st.floats(-3, 3, allow_nan=False)


def axes_or_current():
    return Figure().subplots()


def _shared_graph() -> Graph:
    """f = (x + y)·x: x reaches f along two paths."""
    return Graph([Node("x", "input"), Node("y", "input"), Node("q", "add", ("x", "y")), Node("f", "mul", ("q", "x"))])


# ---- the scalar graph ---------------------------------------------------------------------------


def test_add_mul_graph_by_hand():
    g = add_mul_graph()
    assert g.forward(x=2.0, y=-1.0, z=3.0) == 3.0
    assert g.backward() == {"x": 3.0, "y": 3.0, "z": 1.0, "q": 3.0, "f": 1.0}
    assert g["q"].value == 1.0 and g.formula("q") == "x + y" and g.formula("x") == "x"
    assert g.local_gradients("f") == {"q": 3.0, "z": 1.0} and g.local_gradients("x") == {}


@given(x=finite, y=finite)
def test_gradients_add_where_a_value_is_used_twice(x, y):
    g = _shared_graph()
    g.forward(x=x, y=y)
    grads = g.backward()
    assert grads["x"] == pytest.approx(2 * x + y) and grads["y"] == pytest.approx(x)
    square = Graph([Node("a", "input"), Node("b", "mul", ("a", "a"))])  # one node reading one input twice
    square.forward(a=x)
    assert square.backward()["a"] == pytest.approx(2 * x)


@pytest.mark.parametrize("values", [(0.5, 2.0, -0.5, 1.0), (-1.3, 0.7, 2.0, 0.0), (3.0, 3.0, 3.0, 0.2)])
def test_neuron_graph_matches_torch_autograd(values):
    g = neuron_graph()
    loss = g.forward(**dict(zip("wxby", values)))
    grads = g.backward()
    w, x, b, y = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values)
    loss_t = (torch.sigmoid(w * x + b) - y) ** 2
    loss_t.backward()
    assert loss == pytest.approx(loss_t.item(), rel=1e-14)
    for name, tensor in zip("wxby", (w, x, b, y)):
        assert grads[name] == pytest.approx(tensor.grad.item(), rel=1e-12, abs=1e-300)


@settings(max_examples=30, deadline=None)
@given(w=finite, x=finite, b=finite, y=st.floats(0, 1), loss=st.sampled_from(["squared", "cross_entropy"]))
def test_neuron_graph_passes_a_gradient_check(w, x, b, y, loss):
    g = neuron_graph(loss)
    g.forward(w=w, x=x, b=b, y=y)
    grads = g.backward()
    v = np.array([w, x, b, y])
    numeric = numerical_gradient(lambda: neuron_graph(loss).forward(w=v[0], x=v[1], b=v[2], y=v[3]), v, eps=1e-5)
    np.testing.assert_allclose([grads[n] for n in "wxby"], numeric, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("point", [(-1.3, 0.4), (0.8, 2.1)])
def test_every_local_derivative_matches_central_differences(op, point):
    arity = OPS[op].arity
    v = np.array(point[:arity])
    out = OPS[op].forward(*v)
    analytic = np.array(OPS[op].local_grads(tuple(v), out))
    numeric = numerical_gradient(lambda: OPS[op].forward(*v), v)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-9)


def test_sigmoid_node_does_not_overflow():
    g = Graph([Node("a", "input"), Node("s", "sigmoid", ("a",))])
    assert g.forward(a=-1000.0) == 0.0 and g.forward(a=1000.0) == 1.0
    assert g.backward()["a"] == 0.0


def test_forward_clears_old_gradients_and_backward_needs_forward():
    g = add_mul_graph()
    with pytest.raises(RuntimeError, match="forward"):
        g.backward()
    g.forward(x=1.0, y=2.0, z=3.0)
    g.backward()
    g.forward(x=1.0, y=2.0, z=4.0)
    assert all(math.isnan(node.grad) for node in g.nodes)
    assert "q" in g.table() and "x + y" in g.table() and repr(g) == "Graph(['x', 'y', 'z', 'q', 'f'], output='f')"


@pytest.mark.parametrize(
    ("nodes", "message"),
    [
        ([], "at least one node"),
        ([Node("x", "input"), Node("x", "input")], "used twice"),
        ([Node("x", "input"), Node("f", "pow", ("x",))], "unknown op"),
        ([Node("x", "input"), Node("f", "add", ("x",))], "takes 2 input"),
        ([Node("f", "sigmoid", ("x",)), Node("x", "input")], "not defined above"),
        ([Node("x", "input", ("y",))], "cannot have inputs"),
    ],
)
def test_bad_graphs_are_refused_with_a_reason(nodes, message):
    with pytest.raises(ValueError, match=message):
        Graph(nodes)


def test_forward_refuses_missing_or_unknown_inputs():
    g = add_mul_graph()
    with pytest.raises(ValueError, match=r"missing \['z'\], unknown \['w'\]"):
        g.forward(x=1.0, y=2.0, w=3.0)
    with pytest.raises(KeyError, match="No node named 'w'"):
        g["w"]


def test_output_curve_sweeps_one_input():
    ws = np.linspace(-2, 2, 5)
    curve = output_curve(neuron_graph(), "w", ws, x=1.5, b=0.1, y=1.0)
    expected = [neuron_graph().forward(w=w, x=1.5, b=0.1, y=1.0) for w in ws]
    np.testing.assert_allclose(curve, expected)
    with pytest.raises(ValueError, match="one of the graph's inputs"):
        output_curve(neuron_graph(), "s", ws, w=1.0, x=1.5, b=0.1, y=1.0)
    with pytest.raises(ValueError, match="do not also fix it"):
        output_curve(neuron_graph(), "w", ws, w=1.0, x=1.5, b=0.1, y=1.0)


# ---- finite differences -------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_the_listed_derivatives_are_right(name):
    fn = FUNCTIONS[name]
    for f, df in ((fn.f, fn.df), (fn.df, fn.d2f), (fn.d2f, fn.d3f)):
        v = np.array([fn.x0])
        assert float(df(fn.x0)) == pytest.approx(numerical_gradient(lambda: f(v[0]), v, eps=1e-5)[0], rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_error_falls_like_h_squared_then_rounding_takes_over(name):
    fn = FUNCTIONS[name]
    assert step_size_errors(fn, [1e-5])[0] < 1e-9
    assert step_size_errors(name, [1e-12])[0] > 1e-7  # round-off: 1e-16 / 1e-12
    big = np.array([1e-2, 1e-1])
    forward = step_size_errors(name, big, scheme="forward")
    assert np.log10(forward[1] / forward[0]) == pytest.approx(1.0, abs=0.05)  # slope 1 on log-log axes
    if fn.d3f(fn.x0) != 0:
        central = step_size_errors(name, big)
        assert np.log10(central[1] / central[0]) == pytest.approx(2.0, abs=0.05)  # slope 2
        truncation, _ = error_model(name, big)
        np.testing.assert_allclose(truncation, central, rtol=0.15)
    else:  # a quadratic: the central difference is exact up to rounding
        assert step_size_errors(name, [1.0])[0] < 1e-14


def test_error_model_and_best_step():
    hs = step_sizes(-12, 0, 25)
    truncation, round_off = error_model("sin(x) at x = 1", hs)
    assert np.all(np.diff(truncation) > 0) and np.all(np.diff(round_off) < 0)
    measured = step_size_errors("sin(x) at x = 1", hs)
    small = hs < 1e-8
    assert np.all(measured[small] < 3 * round_off[small])  # the round-off term is a typical upper size
    assert 1e-6 < best_step("sin(x) at x = 1") < 1e-4  # about ε^(1/3)
    assert 1e-9 < best_step("sin(x) at x = 1", scheme="forward") < 1e-7  # about ε^(1/2)
    assert best_step("x² at x = 1.3") == math.inf
    assert finite_difference("x² at x = 1.3", 0.5) == pytest.approx(2.6, abs=1e-15)
    assert finite_difference("x² at x = 1.3", 0.5, scheme="forward") == pytest.approx(3.1)


def test_finite_difference_refuses_bad_input():
    with pytest.raises(ValueError, match="positive finite"):
        finite_difference("sin(x) at x = 1", 0.0)
    with pytest.raises(ValueError, match="positive finite"):
        finite_difference("sin(x) at x = 1", float("nan"))
    with pytest.raises(ValueError, match="central' or 'forward"):
        step_size_errors("sin(x) at x = 1", [1e-3], scheme="backward")
    with pytest.raises(ValueError, match="Unknown function"):
        error_model("cos(x)", [1e-3])
    with pytest.raises(ValueError, match="positive"):
        error_model("sin(x) at x = 1", [0.0])
    with pytest.raises(ValueError, match="min_exp < max_exp"):
        step_sizes(0, -12)
    assert len(step_sizes()) == 49 and step_sizes()[0] == pytest.approx(1e-12) and step_sizes()[-1] == 1.0


# ---- plot helpers -------------------------------------------------------------------------------


def test_graph_layout_runs_left_to_right_without_overlaps():
    pos = graph_layout(neuron_graph())
    for node in neuron_graph().nodes:
        for source in node.inputs:
            assert pos[source][0] < pos[node.name][0]
    assert pos["b"][0] == pos["z"][0] - 1 and pos["y"][0] == pos["e"][0] - 1
    cells = list(pos.values())
    assert len(set(cells)) == len(cells)
    layout = graph_layout(add_mul_graph())
    assert layout["x"][0] == layout["y"][0] == 0 and layout["f"][0] == 2


def test_draw_graph_shows_values_then_gradients():
    g = neuron_graph()
    g.forward(w=0.5, x=2.0, b=-0.5, y=1.0)
    ax = draw_graph(g, ax=axes_or_current())
    texts = [t.get_text() for t in ax.texts]
    assert "w = 0.5" in texts and "s = σ(z)\n= 0.622" in texts
    assert not any("∂L/∂" in t for t in texts) and ax.get_title() == "L = 0.1425: forward values"
    g.backward()
    ax = draw_graph(g, ax=axes_or_current())
    texts = [t.get_text() for t in ax.texts]
    assert "∂L/∂w = -0.355" in texts and "∂L/∂b = -0.177" in texts and "0.235" in texts  # σ'(z) on its arrow
    assert ax.get_title().endswith("forward values and gradients")
    assert len(ax.get_legend().get_texts()) == 3
    assert len([t for t in draw_graph(g, ax=axes_or_current(), show_grads=False).texts if t.get_text()]) == len(g)


def test_draw_graph_routes_a_reused_value_over_the_top():
    g = _shared_graph()
    g.forward(x=2.0, y=1.0)
    g.backward()
    ax = draw_graph(g, ax=axes_or_current(), title="reuse")
    lane = ax.get_lines()[0]
    assert list(lane.get_xdata()) == [0, 2] and lane.get_ydata()[0] > max(p[1] for p in graph_layout(g).values())
    assert "∂f/∂x = 5" in [t.get_text() for t in ax.texts] and ax.get_title() == "reuse"
    arrows = [a for a in ax.get_children() if a.get_gid() == ARROW_GID]
    assert len(arrows) == len([t for t in ax.texts if not t.get_text()]) + 1  # every arrow, and the lane
    bare = draw_graph(g, ax=axes_or_current(), title="reuse", arrows=False)  # an explorer keeps the arrows
    assert not [a for a in bare.get_children() if a.get_gid() == ARROW_GID] and not bare.get_lines()
    assert sorted(t.get_text() for t in bare.texts if t.get_text()) == sorted(t.get_text() for t in ax.texts if t.get_text())
    assert (bare.get_xlim(), bare.get_ylim()) == (ax.get_xlim(), ax.get_ylim())


def test_plot_step_size_errors_draws_each_series_and_the_mark():
    hs = np.array([1e-6, 1e-4, 1e-2])
    ax = plot_step_size_errors(hs, {"central": np.array([0.0, 1e-9, 1e-5]), "forward": np.array([1e-8, 1e-6, 1e-3])},
                               ax=axes_or_current(), model={"truncation": hs**2}, mark=(1e-4, 1e-9))
    lines = ax.get_lines()
    assert [line.get_label() for line in lines[:3]] == ["central", "forward", "truncation"]
    assert np.isnan(lines[0].get_ydata()[0])  # an exact zero cannot sit on a log axis
    assert lines[-1].get_xdata()[0] == 1e-4 and ax.get_xscale() == ax.get_yscale() == "log"
    assert ax.get_ylim()[0] == pytest.approx(1e-9 / 30) and ax.get_xlabel() == "step h"
    assert len(ax.get_legend().get_texts()) == 5  # 3 series, the threshold and the mark


@pytest.mark.parametrize("scheme", ["central", "forward"])
def test_plot_secant_draws_tangent_and_secant_slopes(scheme):
    fn = FUNCTIONS["sin(x) at x = 1"]
    ax = plot_secant(fn, 0.5, ax=axes_or_current(), scheme=scheme)
    f_line, tangent, secant, ends, _ = ax.get_lines()
    slope = lambda line: np.diff(line.get_ydata()[[0, -1]])[0] / np.diff(line.get_xdata()[[0, -1]])[0]  # noqa: E731
    assert slope(tangent) == pytest.approx(np.cos(1.0))
    assert slope(secant) == pytest.approx(finite_difference(fn, 0.5, scheme=scheme))
    expected_ends = [0.5, 1.5] if scheme == "central" else [1.0, 1.5]
    np.testing.assert_allclose(ends.get_xdata(), expected_ends)
    assert ax.get_title() == "sin(x) at x = 1, h = 5.0e-01" and ax.get_ylabel() == "f(x)"


def test_plot_tangent_has_the_given_slope():
    ws = np.linspace(-2, 2, 41)
    ax = plot_tangent(ws, ws**2, 1.0, 1.0, 2.0, ax=axes_or_current())
    curve, tangent, point = ax.get_lines()
    (x0, x1), (y0, y1) = tangent.get_xdata(), tangent.get_ydata()
    assert (y1 - y0) / (x1 - x0) == pytest.approx(2.0) and list(point.get_ydata()) == [1.0]
    assert ax.get_xlim() == (-2.0, 2.0) and "∂L/∂w = 2" in ax.get_legend().get_texts()[1].get_text()


# ---- explorers ----------------------------------------------------------------------------------


def _messages(ax):
    return [t.get_text() for t in ax.texts if "saturated" in t.get_text() or "dominates" in t.get_text()]


def test_neuron_explorer_follows_every_slider():
    explorer = neuron_explorer()
    ax_graph, ax_curve = explorer.figure.axes
    assert ax_graph.get_title().startswith("L = 0.1425") and not _messages(ax_curve)
    for name in "wxby":
        slider = explorer.controls[name]
        for value in (slider.min, slider.max):
            slider.value = value
            values = {n: explorer.controls[n].value for n in "wxby"}
            loss = neuron_graph().forward(**values)
            assert ax_graph.get_title().startswith(f"L = {loss:.4g}")
            assert ax_curve.get_lines()[0].get_xdata()[0] == -6
        explorer.controls["reset"].click()
    assert explorer.controls["w"].value == 0.5 and ax_graph.get_title().startswith("L = 0.1425")


def test_neuron_explorer_keeps_its_graphs_arrows_and_draws_the_same_picture(monkeypatch):
    """The arrows are drawn once per graph and then kept; the picture is the one with arrows drawn anew."""
    import io

    from PIL import Image

    import course_lib.lessons.l03_backpropagation.explorers as module
    from course_lib.lessons.l03_backpropagation.plots import ARROW_GID
    from course_lib.ui.explorer import render_png

    clear, draw = module.clear_axes, module.draw_graph

    def drawn_anew(patch):  # nothing kept, every arrow drawn again by matplotlib
        patch.setattr(module, "clear_axes", lambda *axes, keep=(): clear(*axes))
        patch.setattr(module, "draw_graph", lambda *a, arrows=True, **k: draw(*a, **k))

    def pixels(explorer):
        return np.asarray(Image.open(io.BytesIO(render_png(explorer.figure, relayout=False)))).astype(int)

    def arrows(explorer):
        return [a for a in explorer.figure.axes[0].get_children() if a.get_gid() == ARROW_GID]

    kept = neuron_explorer()
    with monkeypatch.context() as patch:
        drawn_anew(patch)
        fresh = neuron_explorer()
    first = arrows(kept)
    assert len(first) >= 5
    for name, value in [("w", 1.5), ("w", -4.0), ("x", -2.0), ("y", 0.0), ("loss", "cross-entropy"), ("w", 2.5)]:
        kept.controls[name].value = value
        with monkeypatch.context() as patch:
            drawn_anew(patch)
            fresh.controls[name].value = value
        assert len(arrows(kept)) == len(arrows(fresh)), f"{name} = {value}: arrows missing or doubled"
        assert (arrows(kept) == first) == (kept.controls["loss"].value == "squared error"), f"{name} = {value}"
        # The kept arrows are stamped from layers: within rounding of arrows drawn anew (an arrow out of place: ~100)
        assert np.abs(pixels(kept) - pixels(fresh)).max() <= 3, f"{name} = {value}: the graph looks different"


def test_neuron_explorer_with_cross_entropy_keeps_the_gradient_where_sigma_saturates():
    explorer = neuron_explorer()
    explorer.controls["y"].value = 0.0
    explorer.controls["w"].value = 6.0
    explorer.controls["x"].value = 6.0
    ax_graph, ax_curve = explorer.figure.axes
    squared = ax_graph.get_title()
    explorer.controls["loss"].value = "cross-entropy"
    (message,) = _messages(ax_curve)
    assert "ŷ − y = 1.00" in message and ax_graph.get_title() != squared
    g = neuron_graph("cross_entropy")
    g.forward(w=6.0, x=6.0, b=-0.5, y=0.0)
    assert g.backward()["b"] == pytest.approx(1.0)  # ∂L/∂z = σ(35.5) − 0


def test_neuron_explorer_warns_when_the_sigmoid_saturates():
    explorer = neuron_explorer()
    explorer.controls["y"].value = 0.0
    explorer.controls["w"].value = 6.0
    explorer.controls["x"].value = 6.0  # z = 35.5
    ax_curve = explorer.figure.axes[1]
    (message,) = _messages(ax_curve)
    assert "σ is saturated" in message and "z = 35.5" in message
    explorer.controls["x"].value = 0.0  # z = -0.5: σ' = 0.235, no warning
    assert not _messages(ax_curve)


def test_gradcheck_explorer_blames_truncation_or_round_off_at_the_extremes():
    explorer = gradcheck_explorer()
    ax_err, ax_fn = explorer.figure.axes
    h = explorer.controls["h"]
    assert not _messages(ax_fn) and ax_err.get_lines()[-1].get_xdata()[0] == pytest.approx(1e-5)
    h.value = 10**h.max
    (message,) = _messages(ax_fn)
    assert message.startswith("h too large: truncation")
    h.value = 10**h.min
    (message,) = _messages(ax_fn)
    assert message.startswith("h too small: round-off")
    assert ax_err.get_lines()[-1].get_xdata()[0] == pytest.approx(1e-12)
    explorer.controls["reset"].click()
    assert h.value == pytest.approx(1e-5) and not _messages(ax_fn)


def test_gradcheck_explorer_every_function_and_scheme():
    explorer = gradcheck_explorer(h=1.0)
    ax_err, ax_fn = explorer.figure.axes
    for name in explorer.controls["function"].options:
        explorer.controls["function"].value = name
        assert ax_fn.get_title().startswith(name)
        measured = ax_err.get_lines()[0].get_ydata()
        np.testing.assert_allclose(measured[-1], step_size_errors(name, [1.0])[0], rtol=1e-12, atol=1e-300)
    assert not _messages(ax_fn)  # x² at h = 1: the central difference is exact
    explorer.controls["scheme"].value = "forward"
    assert ax_err.get_title() == "Relative error of the forward difference"
    assert _messages(ax_fn)[0].startswith("h too large: truncation")
    with pytest.raises(ValueError, match="function must be one of"):
        gradcheck_explorer("cos(x)")


def test_explorers_display_as_widgets():
    for explorer in (neuron_explorer(), gradcheck_explorer()):
        assert "application/vnd.jupyter.widget-view+json" in explorer._repr_mimebundle_()


# ---- self-checks --------------------------------------------------------------------------------


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def neuron_gradients(w, x, b, t):
    s = _sigmoid(w * x + b)
    dz = 2 * (s - t) * s * (1 - s)
    return dz * x, dz


def sigmoid_backward(dy, y):
    return dy * y * (1 - y)


def linear_backward(dy, x, W):
    return dy @ W, dy.T @ x, dy.sum(axis=0)



def _without_sigmoid_factor(w, x, b, t):
    e = _sigmoid(w * x + b) - t
    return 2 * e * x, 2 * e


RIGHT_AND_WRONG = [
    (check_neuron_gradients, neuron_gradients, lambda w, x, b, t: tuple(g / 2 for g in neuron_gradients(w, x, b, t)), "factor 2"),
    (check_neuron_gradients, neuron_gradients, _without_sigmoid_factor, "s(1 − s) is missing"),
    (check_neuron_gradients, neuron_gradients, lambda w, x, b, t: (neuron_gradients(w, x, b, t)[1],) * 2, "∂z/∂w = x"),
    (check_sigmoid_backward, sigmoid_backward, lambda dy, y: dy, "dy unchanged"),
    (check_sigmoid_backward, sigmoid_backward, lambda dy, y: y * (1 - y), "multiply it by the upstream"),
    (check_sigmoid_backward, sigmoid_backward, lambda dy, y: dy * _sigmoid(y) * (1 - _sigmoid(y)), "already σ"),
    (check_linear_backward, linear_backward, lambda dy, x, W: (dy @ W, x.T @ dy, dy.sum(axis=0)), "transpose of W"),
    (check_linear_backward, linear_backward, lambda dy, x, W: (dy @ W, dy.T @ x, dy.sum(axis=1)), "one entry per example"),
    (check_linear_backward, linear_backward, lambda dy, x, W: (dy @ W, dy.T @ x, dy.mean(axis=0)), "not their mean"),
    (check_linear_backward, linear_backward, lambda dy, x, W: (dy @ W, dy.T @ x), "three arrays"),
]


@pytest.mark.parametrize(("check", "right", "wrong", "specific"), RIGHT_AND_WRONG, ids=lambda v: getattr(v, "__name__", str(v)))
def test_right_passes_and_wrong_fails_with_a_hint(check, right, wrong, specific, assert_teaches):
    assert_teaches(check, right, wrong, specific)


def test_linear_check_catches_a_transpose_hidden_by_a_square_weight():
    def transposed_when_square(dy, x, W):
        dW = dy.T @ x
        return dy @ W, (dW.T if dW.shape[0] == dW.shape[1] else dW), dy.sum(axis=0)

    with pytest.raises(CheckFailed, match="came out transposed"):
        check_linear_backward(transposed_when_square)


def test_linear_check_names_the_forward_direction_for_dx():
    def forward_direction_when_square(dy, x, W):
        return (dy @ W.T if W.shape[0] == W.shape[1] else dy @ W), dy.T @ x, dy.sum(axis=0)

    with pytest.raises(CheckFailed, match=r"dx = dy @ W\."):
        check_linear_backward(forward_direction_when_square)


def test_a_correct_answer_computed_in_place_passes(capsys):
    def in_place(dy, y):
        dy *= y * (1 - y)  # overwrites its input: the check must have kept its own copy
        return dy

    check_sigmoid_backward(in_place)
    assert "passed all 3" in capsys.readouterr().out


def _seeing_W(wrong):
    """``wrong``, recording the shape of every W it is given."""
    def linear_backward(dy, x, W):
        linear_backward.shapes.append(W.shape)
        return wrong(dy, x, W)
    linear_backward.shapes = []
    return linear_backward


@pytest.mark.parametrize(("wrong", "named"), [
    (lambda dy, x, W: (-(dy @ W), dy.T @ x, dy.sum(axis=0)), "The sign of dx is flipped"),
    (lambda dy, x, W: (dy @ W / len(x), dy.T @ x, dy.sum(axis=0)), "Your dx is divided by N"),
    (lambda dy, x, W: (dy @ W.T, dy.T @ x, dy.sum(axis=0)), "dy @ W.T is (N, out) @ (in, out): it fits only when W is square"),
    (lambda dy, x, W: (dy @ W, -(dy.T @ x), dy.sum(axis=0)), "The sign of dW is flipped"),
    (lambda dy, x, W: (dy @ W, dy.T @ x, -dy.sum(axis=0)), "The sign of db is flipped"),
], ids=["-dx", "dx/N", "dy@W.T", "-dW", "-db"])
def test_linear_check_names_common_mistakes_on_a_non_square_weight(wrong, named):
    """The hint's own products must fit any W: dy @ W.T exists only for a square one."""
    learner = _seeing_W(wrong)
    with pytest.raises(CheckFailed) as failure:
        check_linear_backward(learner)
    rows, cols = learner.shapes[-1]
    assert rows != cols, "the mistake should be caught on the first, non-square W"
    assert named in str(failure.value) and "\nHint: " in str(failure.value), str(failure.value)


# ---- exercise A: the backward pass of a scalar graph -----------------------------------------------


def backward(graph):
    for node in graph.nodes:
        node.grad = 0.0
    graph.output.grad = 1.0
    for node in reversed(graph.nodes):
        for name, local in graph.local_gradients(node.name).items():
            graph[name].grad += node.grad * local
    return {node.name: node.grad for node in graph.nodes}


def _backward_mistake(*, forward_order=False, overwrite=False, seed=1.0, reset=True, stale=False):
    """A learner's backward pass with one typical mistake."""
    def learner(graph):
        for node in graph.nodes:
            if reset and not (stale and math.isfinite(node.grad)):
                node.grad = 0.0
        graph.output.grad = seed
        for node in (graph.nodes if forward_order else reversed(graph.nodes)):
            for name, local in graph.local_gradients(node.name).items():
                graph[name].grad = (0.0 if overwrite else graph[name].grad) + node.grad * local
        return {node.name: node.grad for node in graph.nodes}
    return learner


def _dict_only(graph):
    """Right gradients in the dict, none on the nodes."""
    fresh = Graph([Node(n.name, n.op, n.inputs) for n in graph.nodes])
    fresh.forward(**{n.name: n.value for n in graph.nodes if n.op == "input"})
    return fresh.backward()


BACKWARD_MISTAKES = [
    (_backward_mistake(forward_order=True), "visited from the first to the last"),
    (_backward_mistake(overwrite=True), "A value used twice lost part of its gradient"),
    (_backward_mistake(seed=0.0), "Every gradient is 0"),
    (_backward_mistake(reset=False), "Some gradients are nan"),
    (_backward_mistake(stale=True), "second backward pass on the same graph"),
    (_dict_only, "nodes' own .grad were not all set"),
]


@pytest.mark.parametrize(("wrong", "named"), BACKWARD_MISTAKES, ids=lambda v: v if isinstance(v, str) else None)
def test_backward_check_names_each_typical_mistake(wrong, named, assert_teaches):
    assert_teaches(check_backward, backward, wrong, named)


def test_backward_check_grades_against_the_reference_graph():
    from course_lib.lessons.l03_backpropagation.checks import backward_cases
    graphs = backward_cases()
    assert any(len(set(n.inputs)) < len(n.inputs) for g, _ in graphs for n in g.nodes)  # a node reads a value twice
    for graph, inputs in graphs:
        graph.forward(**inputs)
        mine = backward(graph)
        graph.forward(**inputs)
        assert mine == pytest.approx(graph.backward(), rel=1e-14)


# ---- exercise B: the training loop -----------------------------------------------------------------


def _train(*, transpose_dW2=False, per_example=False, tanh_at_input=False, W2_first=False, fixed_biases=False,
           ascent=False):
    """The two-layer training loop of section 6, right by default, or with one typical mistake."""
    def train_two_layer(X, y, W1, b1, W2, b2, lr, steps):
        Y, n, sign = np.eye(W2.shape[0])[y], len(X), (-1 if ascent else 1)
        losses = []
        for _ in range(steps):
            Z1 = X @ W1.T + b1
            H = np.tanh(Z1)
            Z2 = H @ W2.T + b2
            P = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
            P /= P.sum(axis=1, keepdims=True)
            losses.append(-np.mean(np.log(P[np.arange(n), y])))
            dZ2 = (P - Y) if per_example else (P - Y) / n
            dW2, db2 = (H.T @ dZ2) if transpose_dW2 else (dZ2.T @ H), dZ2.sum(axis=0)
            if W2_first:
                W2 = W2 - lr * dW2
            dZ1 = (dZ2 @ W2) * (1 - (Z1 if tanh_at_input else H) ** 2)
            W1 = W1 - sign * lr * (dZ1.T @ X)
            if not W2_first:
                W2 = W2 - sign * lr * dW2
            if not fixed_biases:
                b1, b2 = b1 - sign * lr * dZ1.sum(axis=0), b2 - sign * lr * db2
        return W1, b1, W2, b2, losses
    return train_two_layer


TRAINING_MISTAKES = [
    ({"transpose_dW2": True}, "a gradient has the shape of what it is the gradient of"),
    ({"per_example": True}, "N times too large"),
    ({"tanh_at_input": True}, "derivative of tanh was taken at the wrong place"),
    ({"W2_first": True}, "already-updated W₂"),
    ({"fixed_biases": True}, "The biases never moved"),
    ({"ascent": True}, "uphill"),
]


@pytest.mark.parametrize(("mistake", "named"), TRAINING_MISTAKES, ids=lambda v: next(iter(v)) if isinstance(v, dict) else None)
def test_training_check_names_each_typical_mistake(mistake, named, assert_teaches):
    assert_teaches(check_two_layer_training, _train(), _train(**mistake), named, expected="transpose_dW2" not in mistake)


def test_training_check_follows_the_course_mlp_and_sgd_step_for_step():
    from course_lib.lessons.l03_backpropagation.checks import reference_training, training_cases
    for case in training_cases():
        mine, reference = _train()(*case), reference_training(*case)
        for a, b in zip(mine, reference):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
