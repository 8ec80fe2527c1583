"""The self-check harness (course_lib.ui.checks), on every check the lessons declare."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch

from course_lib.lessons import all_lessons
from course_lib.ui.checks import CheckFailed, Harness, Hints, NotWrittenYet, close, describe, diagnose, hint

CHECKS = [check for lesson in all_lessons() for check in lesson.checks]


def stub(*args, **kwargs):
    raise NotImplementedError("write your code here")


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_every_check_fails_a_stub_with_its_hint_not_a_traceback(check):
    """The student edition's stubs raise NotImplementedError: the learner must read a hint, not a traceback."""
    with pytest.raises(NotWrittenYet, match="not written yet") as err:
        check(stub)
    assert "\nYour task: " in str(err.value), "the message says what to write"
    assert err.value.__cause__ is None and err.value.__suppress_context__


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_every_check_teaches_in_three_levels_and_says_its_task(check):
    with pytest.raises(NotWrittenYet) as err:
        check(stub)
    hints = err.value.hints
    assert isinstance(hints, Hints) and hints.levels == 3, f"{check.__name__}: give it an idea, a formula and code"
    assert hints.task and hints.task in str(err.value)


def test_the_lessons_declare_their_checks():
    assert len(CHECKS) >= 30 and len(set(CHECKS)) == len(CHECKS)


@pytest.mark.parametrize(
    ("got", "expected", "is_close"),
    [
        (1.5, 1.5, True), ([1, 2], np.array([1.0, 2.0]), True), (np.float32(0.1), 0.1, True),
        ((1.0, 2.0), [1.0, 2.0 + 1e-12], True), (np.nan, np.nan, True),
        ("1.5", 1.5, False), (1.5 + 0j, 1.5, False), (None, 0.0, False), ([1, [2, 3]], [1, 2], False),
        ({"a": 1}, 1.0, False), (True, 1.0, False), (np.array([True]), np.array([True]), True),
        ([1.0, 2.0], [1.0, 2.0, 3.0], False), (1.0, 1.1, False),
    ],
)
def test_close_compares_numbers_only(got, expected, is_close):
    assert close(got, expected) is is_close


def test_diagnose_picks_the_first_matching_mistake():
    mistakes = [(2.0, "doubled"), (0.5, "halved")]
    assert diagnose(0.5, mistakes, "other") == "halved"
    assert diagnose("0.5", mistakes, "other") == "other"


# ---- every check against hostile learners ---------------------------------------------------------
# The right answers are the notebooks' solutions; each hostile learner is built from the right one.


def _he_std(fan_in):
    return np.sqrt(2 / fan_in)


def _adam_step(p, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _ridge_gradient(w, features, y, lam):
    penalty = lam * w.copy()
    penalty[0] = 0.0
    return 2 / len(y) * features.T @ (features @ w - y) + penalty


def _confusion_matrix(y_true, y_pred):
    cm = np.zeros((10, 10), dtype=int)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def _count_cnn_parameters(channels, hidden):
    total, c_in, side = 0, 1, 28
    for c_out in channels:
        total += c_out * c_in * 3 * 3 + c_out
        c_in, side = c_out, side // 2
    return total + (c_in * side * side * hidden + hidden) + (hidden * 10 + 10)


def _train_step(model, loss_fn, optimizer, X, y):
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _linear_gradient(w, b, X, y):
    r = w * X[:, 0] + b - y
    return np.mean(r * X[:, 0]), np.mean(r)


def _neuron_gradients(w, x, b, t):
    s = 1 / (1 + np.exp(-(w * x + b)))
    dz = 2 * (s - t) * s * (1 - s)
    return dz * x, dz


RIGHT = {
    "check_count_digit": lambda labels, digit: int(np.sum(labels == digit)),
    "check_scale_pixels": lambda images: images.astype(np.float32) / 255,
    "check_batches_per_epoch": lambda n, b, drop_last: n // b if drop_last else -(-n // b),
    "check_gradient": _linear_gradient,
    "check_gradient_step": lambda w, b, X, y, lr: tuple(p - lr * g for p, g in zip((w, b), _linear_gradient(w, b, X, y))),
    "check_critical_learning_rate": lambda X: 2 / np.linalg.eigvalsh(
        np.array([[np.mean(X[:, 0] ** 2), np.mean(X[:, 0])], [np.mean(X[:, 0]), 1.0]]))[-1],
    "check_huber": lambda p, t, d: float(np.mean(np.where(np.abs(p - t) <= d, 0.5 * (p - t) ** 2, d * (np.abs(p - t) - 0.5 * d)))),
    "check_log_sum_exp": lambda x: x.max(axis=-1) + np.log(np.sum(np.exp(x - x.max(axis=-1, keepdims=True)), axis=-1)),
    "check_bce_with_logits": lambda x, t: float(np.mean(np.maximum(x, 0) - t * x + np.log1p(np.exp(-np.abs(x))))),
    "check_neuron_gradients": _neuron_gradients,
    "check_sigmoid_backward": lambda dy, y: dy * y * (1 - y),
    "check_linear_backward": lambda dy, x, W: (dy @ W, dy.T @ x, dy.sum(axis=0)),
    "check_tanh_derivative": lambda x: 1 - np.tanh(x) ** 2,
    "check_leaky_relu_derivative": lambda x, slope: np.where(x > 0, 1.0, slope),
    "check_steady_scale": _he_std,
    "check_count_dead_units": lambda h: int(np.all(h == 0, axis=0).sum()),
    "check_momentum_step": lambda p, g, b, lr, mu: (p - lr * (mu * b + g), mu * b + g),
    "check_adam_step": _adam_step,
    "check_rosenbrock_grad": lambda x, y: (-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)),
    "check_ridge_gradient": _ridge_gradient,
    "check_soft_threshold": lambda w, t: np.sign(w) * np.maximum(np.abs(w) - t, 0.0),
    "check_dropout_forward": lambda x, p, rng: x * (rng.random(x.shape) >= p) / (1 - p),
    "check_standardise": lambda X_train, X: (X - X_train.mean()) / X_train.std(),
    "check_accuracy": lambda logits, y: float(np.mean(logits.argmax(axis=1) == y)),
    "check_confusion_matrix": _confusion_matrix,
    "check_conv_output_size": lambda size, k, padding, stride: (size + 2 * padding - k) // stride + 1,
    "check_count_cnn_parameters": _count_cnn_parameters,
    "check_train_step": _train_step,
    "check_log_uniform": lambda low, high, size, rng: np.exp(rng.uniform(np.log(low), np.log(high), size=size)),
    "check_suggest_lr": lambda lrs, smoothed: lrs[np.argmin(smoothed)] / 10,
    "check_effective_lr": lambda lr, momentum: lr / (1 - momentum),
}


# Lesson 00's new checks: the notebook's solution of each, by the check's name.
RIGHT.update({
    # eager (a list, not a generator), so that wrecking the inputs after the call changes nothing it returned
    "check_minibatches": lambda X, y, batch_size, rng: [
        (X[idx], y[idx]) for order in [rng.permutation(len(X))]
        for idx in (order[start:start + batch_size] for start in range(0, len(X), batch_size))],
})


# Lesson 01's new checks: the notebook's solution of each, by the check's name.
RIGHT.update({
    # descend(X, y, lr, steps) -> (w, b, losses): the notebook's loop gives what the answer key's run keeps
    "check_descend": lambda X, y, lr, steps: (lambda run: (run.w, run.b, list(run.losses)))(
        __import__("course_lib.lessons.l01_gradient_descent.descent", fromlist=["gradient_descent"])
        .gradient_descent(X, y, lr=lr, steps=steps)),
})


# Lesson 02's new checks: the notebook's solution of each, by the check's name.
RIGHT.update({
    "check_softmax_cross_entropy_grad":
        lambda z, y: (np.exp(z - z.max(axis=1, keepdims=True)) / np.exp(z - z.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True)
                      - np.eye(z.shape[1])[y]) / len(y),
})


# Lesson 03's new checks: the notebook's solution of each, by the check's name.
def _backward(graph):
    for node in graph.nodes:
        node.grad = 0.0
    graph.output.grad = 1.0
    for node in reversed(graph.nodes):
        for name, local in graph.local_gradients(node.name).items():
            graph[name].grad += node.grad * local
    return {node.name: node.grad for node in graph.nodes}


def _train_two_layer(X, y, W1, b1, W2, b2, lr, steps):
    from course_lib.numpy_nn.functional import tanh_backward, tanh_forward
    from course_lib.numpy_nn.losses import cross_entropy_backward, cross_entropy_forward
    losses = []
    for _ in range(steps):
        Z1 = X @ W1.T + b1
        H, tanh_cache = tanh_forward(Z1)
        loss, ce_cache = cross_entropy_forward(H @ W2.T + b2, y)
        dZ2 = cross_entropy_backward(1.0, ce_cache)
        dW2, db2, dH = dZ2.T @ H, dZ2.sum(axis=0), dZ2 @ W2
        dZ1 = tanh_backward(dH, tanh_cache)
        W1, b1, W2, b2 = W1 - lr * (dZ1.T @ X), b1 - lr * dZ1.sum(axis=0), W2 - lr * dW2, b2 - lr * db2
        losses.append(loss)
    return W1, b1, W2, b2, losses


RIGHT.update({
    "check_backward": _backward,
    "check_two_layer_training": _train_two_layer,
})


# Lesson 04's new checks: the notebook's solution of each, by the check's name.
def _layer_stats(x, weights, activation):
    means = []
    stds = []
    h = x
    for W in weights:
        h = activation(h @ W.T)
        means.append(h.mean())
        stds.append(h.std())
    return np.array(means), np.array(stds)


RIGHT.update({
    "check_layer_stats": _layer_stats,
})


# Lesson 05's new checks: the notebook's solution of each, by the check's name.
def _nesterov_step(p, g, b, lr, momentum):
    new_b = momentum * b + g
    return p - lr * (g + momentum * new_b), new_b


RIGHT.update({
    "check_nesterov_step": _nesterov_step,
})


# Lesson 06's new checks: the notebook's solution of each, by the check's name.
RIGHT.update({
    "check_dropout_modes": lambda x, p, rng, training: (
        (x * (m := rng.random(x.shape) >= p) / (1 - p), m) if training else (x.copy(), None)),
    "check_dropout_backward": lambda dy, mask, p: dy * mask / (1 - p),
})


# Lesson 07's new checks: the notebook's solution of each, by the check's name.
RIGHT.update({
    # one epoch of the reference loop, numpy_nn.fit itself: its per-step losses are the answer
    "check_train_one_epoch": lambda model, loss_fn, optimizer, X, y, batch_size, rng: list(
        __import__("course_lib.numpy_nn.training", fromlist=["fit"]).fit(
            model, loss_fn, optimizer, (X, y), epochs=1, batch_size=batch_size, rng=rng, progress=False).step_series("loss")),
})


# Lesson 08's new checks: the notebook's solution of each, by the check's name.
def _train_one_epoch(model, loss_fn, optimizer, loader):
    model.train()
    losses = []
    for X, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return sum(losses) / len(losses)


def _evaluate_accuracy(model, loader):
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for X, y in loader:
            correct += (model(X).argmax(dim=1) == y).sum().item()
            total += len(y)
    return correct / total


RIGHT.update({
    "check_torch_train_one_epoch": _train_one_epoch,
    "check_evaluate_accuracy": _evaluate_accuracy,
})


# Lesson 09's new checks: the notebook's solution of each, by the check's name.
def _lr_range_test(train_step, start_lr, end_lr, num_steps):
    lrs, smoothed, average = [], [], 0.0
    for t, lr in enumerate(np.geomspace(start_lr, end_lr, num_steps), start=1):
        loss = train_step(lr)
        if not np.isfinite(loss):
            break
        average = 0.98 * average + 0.02 * loss
        lrs.append(lr)
        smoothed.append(average / (1 - 0.98**t))
        if smoothed[-1] > 4 * min(smoothed):
            break
    return np.array(lrs), np.array(smoothed)


RIGHT.update({
    "check_lr_range_test": _lr_range_test,
})


# Lesson 10, section 1 (sanity checks): the notebook's solution of each, by the check's name.
RIGHT.update({
    "check_update_ratio": lambda before, after: float(np.linalg.norm(after - before) / np.linalg.norm(before)),
})


# Lesson 10's dashboard section: the notebook's solution of each new check, by the check's name.
def _first_nonfinite(layers, x, dloss):
    if not np.isfinite(x).all():
        return (0, "input")
    for i, layer in enumerate(layers):
        x = layer(x)
        if not np.isfinite(x).all():
            return (i, "forward")
    g = dloss(x)
    if not np.isfinite(g).all():
        return (len(layers), "backward")
    for i in reversed(range(len(layers))):
        g = layers[i].backward(g)
        if not np.isfinite(g).all():
            return (i, "backward")
    return None


RIGHT.update({
    "check_first_nonfinite": _first_nonfinite,
})


# Lesson 10's clinic: each case's diagnosis, (cause, fix), as the notebook's solution returns it.
RIGHT.update({
    "check_case_1": lambda: ("softmax applied twice", {"softmax_layer": False}),
    "check_case_2": lambda: ("learning rate too large", {"lr": 0.1}),
    "check_case_3": lambda: ("gradients never zeroed", {"zero_grad": True}),
    "check_case_4": lambda: ("model not in evaluation mode", {"eval_mode": True}),
    "check_case_5": lambda: ("dead ReLUs", {"lr": 0.1}),
    "check_case_6": lambda: ("inputs not normalised", {"inputs": "unit"}),
    "check_case_7": lambda: ("labels shuffled apart from images", {"shuffle": "together"}),
    "check_case_8": lambda: ("validation data leaked into training", {"validation": "held out"}),
    "check_case_9": lambda: ("float16 overflow", {"dtype": "float32"}),
    "check_case_10": lambda: ("loss summed, not averaged", {"reduction": "mean"}),
})


# Lesson 10, section 4 (depth): the notebook's solution of each new check, by the check's name.
def _layer_norm_backward(dy, cache):
    x, gamma, eps = cache
    mu = x.mean(axis=1, keepdims=True)
    sigma = np.sqrt(x.var(axis=1, keepdims=True) + eps)
    x_hat = (x - mu) / sigma
    dx_hat = dy * gamma
    dx = (dx_hat - dx_hat.mean(axis=1, keepdims=True) - x_hat * (dx_hat * x_hat).mean(axis=1, keepdims=True)) / sigma
    return dx, (dy * x_hat).sum(axis=0), dy.sum(axis=0)


RIGHT.update({
    "check_layer_norm_backward": _layer_norm_backward,
})


def _each(value, change):
    """``change`` applied to every number of an answer: a number, an array, or a tuple of them."""
    if isinstance(value, (tuple, list)):
        return tuple(_each(v, change) for v in value)
    return change(value)


def _wreck(value) -> None:
    """Destroy an argument in place, as a careless learner might: NaN or 0 in arrays and tensors, a used-up rng."""
    if isinstance(value, np.ndarray):
        value[...] = np.nan if value.dtype.kind == "f" else 0
    elif isinstance(value, torch.Tensor):
        with torch.no_grad():
            value.fill_(float("nan") if value.is_floating_point() else 0)
    elif isinstance(value, np.random.Generator):
        value.random(1000)


def _wrecking(result):
    def learner(*args):
        answer = result(*args)
        for arg in args:
            _wreck(arg)
        return answer
    return learner


def _raise(error):
    def learner(*args):
        raise error
    return learner


# name: (the hostile learner built from the right one, a pattern the message must show of what came)
HOSTILE = {
    "numeric string": (lambda right: lambda *a: _each(right(*a), lambda v: np.asarray(v).astype(str) if np.ndim(v) else str(v)),
                       r"'|<U"),
    "complex +1j": (lambda right: lambda *a: _each(right(*a), lambda v: v + 1j), r"j\b|complex"),
    "None": (lambda right: lambda *a: None, r"None"),
    "dict": (lambda right: lambda *a: {"answer": right(*a)}, r"\{'answer'"),
    "ragged list": (lambda right: lambda *a: [1.0, [2.0, 3.0]], r"\[1\.0, \[2\.0, 3\.0\]\]"),
    "bool": (lambda right: lambda *a: True, r"True"),
    "wrong shape": (lambda right: lambda *a: np.zeros((3, 7)), r"\(3, 7\)|array\(\[0\., 0\., 0\., 0\., 0\., 0\., 0\.\]\)"),
    "scalar for array": (lambda right: lambda *a: 0.5, r"0\.5"),
    "array for scalar": (lambda right: lambda *a: np.array([0.5, 0.5]), r"array\(\[0\.5, 0\.5\]\)"),
    "raises ValueError": (lambda right: _raise(ValueError("learner's bug")), r"raised ValueError: learner's bug"),
    "wrecks inputs, returns garbage": (lambda right: _wrecking(lambda *a: -1.25), r"-1\.25"),
    "a wrong value": (lambda right: lambda *a: _each(right(*a), lambda v: np.asarray(v) * 1.5 + 0.25), r"\d"),
}

CHECK_NAMES = [check.__name__ for check in CHECKS]


def test_every_check_has_a_right_answer_here():
    assert sorted(RIGHT) == sorted(CHECK_NAMES)


@pytest.mark.parametrize("check", CHECKS, ids=CHECK_NAMES)
@pytest.mark.parametrize("case", HOSTILE, ids=str)
def test_a_hostile_answer_fails_the_check_with_what_came_and_what_was_expected(check, case, gives_nothing_away):
    build, came = HOSTILE[case]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a complex or string answer must be refused, not cast with a warning
        with pytest.raises(CheckFailed) as failure:  # any other exception fails this test
            check(build(RIGHT[check.__name__]))
    message = str(failure.value)
    assert "\nHint: " in message and re.search(came, message), message
    assert "raised" in message or "expected" in message, message
    error = failure.value  # no traceback from course_lib is chained to the lesson
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    assert error.level == 1
    gives_nothing_away(message, check.__name__)


@pytest.mark.parametrize("check", CHECKS, ids=CHECK_NAMES)
def test_the_right_answer_passes_even_if_it_wrecks_its_inputs(check, capsys):
    """The learner gets copies: destroying them after computing the answer changes nothing the check grades."""
    check(_wrecking(RIGHT[check.__name__]))
    assert "passed all" in capsys.readouterr().out


@pytest.mark.parametrize("error", [KeyboardInterrupt, SystemExit], ids=lambda e: e.__name__)
@pytest.mark.parametrize("check", CHECKS, ids=CHECK_NAMES)
def test_ctrl_c_and_exit_stop_every_check(check, error):
    with pytest.raises(error):
        check(_raise(error()))


# ---- the harness itself --------------------------------------------------------------------------


def test_the_learner_gets_copies_except_what_the_exercise_must_change():
    kept, shared = np.arange(3.0), np.zeros(2)

    def learner(a, b):
        a[:] = -1.0
        b[:] = 7.0
        return "done"

    with Harness(learner, "hint") as harness:
        answer = harness.call(kept, shared, shared=(1,))
    assert answer.got == "done" and answer.args[0] is kept
    np.testing.assert_array_equal(kept, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(shared, [7.0, 7.0])


@pytest.mark.parametrize(
    ("method", "got", "words"),
    [
        ("number", "0.5", "returned '0.5', a str; expected one real number, here 0.5"),
        ("number", 0.5 + 1j, "returned (0.5+1j), a complex; expected one real number"),
        ("number", np.array([0.5, 0.5]), "an array of shape (2,) and dtype float64; expected one real number"),
        ("number", np.True_, "a bool; expected one real number"),
        ("count", 3.0, "returned 3.0, a float; expected a whole number (an int), here 0.5"),
        ("count", True, "returned True, a bool; expected a whole number"),
        ("array", [1.0, [2.0]], "returned [1.0, [2.0]], a list; expected an array of real numbers of shape ()"),
        ("array", np.zeros(2), "an array of shape (2,) and dtype float64; expected an array of shape ()"),
        ("parts", {"a": 1}, "returned {'a': 1}, a dict; expected a tuple of 2 values (p, q)"),
        ("parts", (1.0,), "returned (1.0,), a tuple; expected a tuple of 2 values (p, q)"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 10 else None,
)
def test_an_answer_of_the_wrong_kind_is_refused_saying_what_came_and_what_was_expected(method, got, words):
    with Harness(lambda x: got, "the hint") as harness:
        answer = harness.call(1.0)
        with pytest.raises(CheckFailed) as failure:
            if method == "parts":
                answer.parts("p", "q")
            else:
                getattr(answer, method)(0.5)
    message = str(failure.value)
    assert message.startswith("<lambda>(1.0) returned") and words in message and message.endswith("the hint"), message


def test_an_answer_of_the_right_kind_is_coerced():
    def answer(got):
        with Harness(lambda: got, "hint") as harness:
            return harness.call()

    assert answer(np.float32(0.5)).number() == 0.5 and answer(np.array([[2]])).number() == 2.0
    assert answer(np.int64(3)).count() == 3 and type(answer(np.int64(3)).count()) is int
    np.testing.assert_array_equal(answer([[1, 2]]).array(np.zeros((1, 2))), [[1.0, 2.0]])
    assert answer([True]).array(np.array([False])).dtype == np.float64  # bools only where bools are expected
    dw, db = answer(np.array([1.0, 2.0])).parts("dw", "db")
    assert (dw.number(), db.number(), dw.part) == (1.0, 2.0, "dw")


def test_a_check_whose_own_code_fails_on_an_answer_fails_with_the_hint_not_a_traceback():
    def check_dot(fn):
        with Harness(fn, "x · x sums the squares.") as harness:
            answer = harness.call(np.ones(3))
            got = answer.numbers(np.ones(3))
            np.ones(3) @ got  # the check's own diagnosis, which an answer of another length breaks
            harness.passed(1)

    with pytest.raises(CheckFailed) as failure:
        check_dot(lambda x: np.ones(2))
    message = str(failure.value)
    assert "returned array([1., 1.])" in message and "could not compare" in message and "ValueError" in message
    assert "expected array([1., 1., 1.])" in message and message.endswith("Hint: x · x sums the squares.")
    assert failure.value.__cause__ is None and failure.value.__suppress_context__


def test_the_courses_own_failure_before_any_call_is_not_blamed_on_the_learner():
    def check_broken(fn):
        with Harness(fn, "hint"):
            raise FileNotFoundError("data/mnist is missing")

    with pytest.raises(FileNotFoundError, match="mnist"):
        check_broken(lambda: 0)


@pytest.mark.parametrize("error", [KeyboardInterrupt, SystemExit], ids=lambda e: e.__name__)
def test_ctrl_c_inside_a_checks_own_code_is_not_turned_into_a_failed_check(error):
    def check_interrupted(fn):
        with Harness(fn, "hint") as harness:
            harness.call()
            raise error()

    with pytest.raises(error):
        check_interrupted(lambda: 0)


def test_the_learners_overflow_warnings_are_silenced_inside_a_check(recwarn):
    with Harness(lambda x: np.exp(x), "hint") as harness:
        assert harness.call(np.array([1000.0])).numbers()[0] == np.inf
    assert not recwarn.list
    with pytest.warns(RuntimeWarning):
        np.exp(np.array([1000.0]))  # outside the check NumPy warns again


def test_describe_keeps_messages_short():
    assert describe(np.zeros((3, 4))) == "array(shape=(3, 4), dtype=float64)"
    assert describe(np.zeros((2, 1))) == "array([[0.], [0.]])"
    assert describe(list(range(1000))).endswith(" …") and len(describe(list(range(1000)))) < 210
    assert describe(torch.zeros(16, 6)) == "tensor(shape=(16, 6), dtype=torch.float32)"
    assert "\n" not in describe(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh()))

    class Unprintable:
        def __repr__(self):
            raise RuntimeError("no")

    assert describe(Unprintable()) == "a Unprintable"


# ---- hints that teach, one level at a time --------------------------------------------------------

_HINTS = Hints(task="Return twice x.", idea="Doubling is adding x to itself.", formula="f(x) = 2x", code="`return 2 * x`")


def check_twice(twice):
    with Harness(twice, _HINTS) as harness:
        for x in (1.0, 2.5):
            got = harness.call(x).number(2 * x)
            if got != 2 * x:
                harness.fail((x,), got, 2 * x, why="That is not twice x." if got != x else "That is x itself.")
        harness.passed(2)


def test_each_failure_of_a_check_shows_one_hint_level_more_and_passing_starts_again(capsys):
    messages = []
    for _ in range(4):
        with pytest.raises(CheckFailed) as err:
            check_twice(lambda x: x)
        messages.append(str(err.value))
    first, second, third, fourth = messages
    assert "That is x itself. Doubling is adding x to itself." in first
    assert "f(x) = 2x" not in first and "2 * x" not in first and "hint()" in first
    assert "Formula: f(x) = 2x" in second and "2 * x" not in second
    assert "Code: `return 2 * x`" in third and "hint()" not in third
    assert fourth == third
    check_twice(lambda x: 2 * x)
    assert "passed all 2" in capsys.readouterr().out
    with pytest.raises(CheckFailed) as err:
        check_twice(lambda x: 3 * x)
    assert "That is not twice x." in str(err.value) and "Formula" not in str(err.value)


def test_a_function_not_written_yet_hears_its_task_and_that_is_not_counted_as_a_failure():
    for _ in range(3):
        with pytest.raises(NotWrittenYet) as err:
            check_twice(stub)
        assert "Your task: Return twice x." in str(err.value) and "Doubling" not in str(err.value)
    with pytest.raises(CheckFailed) as err:
        check_twice(lambda x: x)
    assert "Formula" not in str(err.value)


@pytest.mark.parametrize("kind", [ValueError("bug"), "not a number"], ids=["raises", "refused"])
def test_errors_and_refusals_are_failures_that_raise_the_level_too(kind):
    learner = _raise(kind) if isinstance(kind, Exception) else (lambda x: kind)
    for level in (1, 2):
        with pytest.raises(CheckFailed) as err:
            check_twice(learner)
        assert err.value.level == level and ("Formula" in str(err.value)) == (level == 2)


def test_ctrl_c_is_not_counted_as_a_failure():
    with pytest.raises(KeyboardInterrupt):
        check_twice(_raise(KeyboardInterrupt()))
    with pytest.raises(CheckFailed) as err:
        check_twice(lambda x: x)
    assert err.value.level == 1


def test_hint_shows_the_next_level_of_the_check_that_failed_last_on_request(capsys):
    hint()
    assert "No check has failed yet" in capsys.readouterr().out
    with pytest.raises(CheckFailed):
        check_twice(lambda x: x)
    hint()
    out = capsys.readouterr().out
    assert "check_twice, hint level 2 of 3" in out and "Formula: f(x) = 2x" in out and "Code" not in out
    hint(3)
    assert "Code: `return 2 * x`" in capsys.readouterr().out
    with pytest.raises(CheckFailed) as err:  # asked for code: the next failure does not show less
        check_twice(lambda x: x)
    assert "Code: `return 2 * x`" in str(err.value)


def test_a_plain_string_hint_is_one_level():
    def check_plain(fn):
        with Harness(fn, "Think again.") as harness:
            harness.call(1.0).number(2.0)
            harness.fail((1.0,), 0.0, 2.0)
    for _ in range(2):
        with pytest.raises(CheckFailed) as err:
            check_plain(lambda x: x)
        assert str(err.value).endswith("Hint: Think again.")


# Lesson 11, sections 1-2: the K-fold loop (shuffle once, k nearly equal folds, fit on the others, score each fold).
def _kfold_scores(X, y, k, fit, score, rng):
    folds = np.array_split(rng.permutation(len(X)), k)
    scores = []
    for i in range(k):
        rest = np.concatenate(folds[:i] + folds[i + 1:])
        scores.append(score(fit(X[rest], y[rest]), X[folds[i]], y[folds[i]]))
    return np.array(scores)


RIGHT.update({
    "check_kfold_scores": _kfold_scores,
})


# Lesson 11, section 3 (the noise between runs): the notebook's bootstrap interval.
def _bootstrap_interval(correct, n_resamples, rng, level=0.95):
    n = len(correct)
    accuracies = correct[rng.integers(0, n, size=(n_resamples, n))].mean(axis=1)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(accuracies, [tail, 100 - tail])
    return float(low), float(high)


RIGHT.update({
    "check_bootstrap_interval": _bootstrap_interval,
})


# ---- lesson 11, section 4: beyond accuracy ------------------------------------------------------


def _per_class_scores(cm):
    tp = np.diag(cm)
    predicted, actual = cm.sum(axis=0), cm.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros(len(cm)), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros(len(cm)), where=actual > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros(len(cm)), where=both > 0)
    return precision, recall, f1


def _macro_and_micro_f1(cm):
    return float(_per_class_scores(cm)[2].mean()), float(np.trace(cm) / cm.sum())


RIGHT.update({
    "check_per_class_scores": _per_class_scores,
    "check_macro_and_micro_f1": _macro_and_micro_f1,
})


# Lesson 11, section 5 (calibration): the notebook's solution of each new check, by the check's name.
def _ece(probs, y, n_bins):
    confidence, right = probs.max(axis=1), probs.argmax(axis=1) == y
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in range(n_bins):
        inside = bins == b
        if inside.any():
            total += inside.mean() * abs(right[inside].mean() - confidence[inside].mean())
    return float(total)


def _fit_temperature_to(logits, y):
    def nll(T):
        scaled = logits / T
        scaled = scaled - scaled.max(axis=1, keepdims=True)
        return np.mean(np.log(np.exp(scaled).sum(axis=1)) - scaled[np.arange(len(y)), y])

    center, width = 0.0, 3.0
    while width > 1e-5:
        grid = np.linspace(center - width, center + width, 61)
        center = grid[np.argmin([nll(np.exp(u)) for u in grid])]
        width /= 10
    return float(np.exp(center))


RIGHT.update({
    "check_ece": _ece,
    "check_fit_temperature": _fit_temperature_to,
})


# Lesson 11, section 6 (double descent): the notebook's solution of each new check, by the check's name.
def _min_norm_fit(F, y):  # F⁺ y from the SVD: the check switches pinv and lstsq off
    U, s, Vt = np.linalg.svd(F, full_matrices=False)
    keep = s > s[0] * max(F.shape) * np.finfo(float).eps
    s_plus = np.zeros_like(s)
    s_plus[keep] = 1 / s[keep]
    return Vt.T @ (s_plus * (U.T @ y))


RIGHT.update({
    "check_min_norm_fit": _min_norm_fit,
})


# Lesson 12, section 1 (data parallelism simulated): the notebook's solution of each new check, by the check's name.
def _shard(indices, rank, world_size):
    per_rank = -(-len(indices) // world_size)
    return np.resize(indices, per_rank * world_size)[rank::world_size]


def _ring_all_reduce(grads, net):
    R = len(grads)
    chunks = [np.array_split(g, R) for g in grads]
    for phase, offset in (("reduce-scatter", 0), ("all-gather", 1)):
        for step in range(R - 1):
            for r in range(R):
                c = (r + offset - step) % R
                net.send(r, (r + 1) % R, c, chunks[r][c])
            for r, inbox in enumerate(net.step()):
                for c, values in inbox:
                    chunks[r][c] = chunks[r][c] + values if phase == "reduce-scatter" else values
    return np.stack([np.concatenate(own) / R for own in chunks])


RIGHT.update({
    "check_shard": _shard,
    "check_ring_all_reduce": _ring_all_reduce,
})


# Lesson 12, sections 2-4 (the proof, the engine, the cost): the notebook's solution of each new check.
def _scaled_lr(base_lr, world_size, step, warmup_steps):
    return base_lr + (world_size - 1) * base_lr * min(step, warmup_steps) / warmup_steps


RIGHT.update({
    "check_scaled_lr": _scaled_lr,
})
