"""Self-checks of lesson 08, MNIST with PyTorch: a layer's output size, a CNN's parameter count,
and the standard PyTorch training step.

The right answers come from torch itself: the shapes torch's own ``Conv2d`` and ``MaxPool2d``
produce, the parameters of the course's ``torch_nn.CNN``, and a reference step on a copy of the
learner's model.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from course_lib.ui.checks import CheckFailed, Harness, Hints, close, describe
from course_lib.torch_nn.models import CNN
from course_lib.ui.predictions import Prediction

__all__ = ["check_conv_output_size", "check_count_cnn_parameters", "check_evaluate_accuracy", "check_torch_train_one_epoch",
           "check_train_step", "predict_cnn_parameters", "recipe_cnn_parameters"]


def _torch_output_size(size: int, kernel_size: int, padding: int, stride: int) -> int:
    layer = nn.Conv2d(1, 1, kernel_size, stride=stride, padding=padding)
    with torch.no_grad():
        return int(layer(torch.zeros(1, 1, size, size)).shape[-1])


def check_conv_output_size(conv_output_size: Callable[[int, int, int, int], int]) -> None:
    """``conv_output_size(size, kernel_size, padding, stride)``: the side of a conv's (or pool's) output.

    ⌊(size + 2·padding − kernel_size) / stride⌋ + 1, checked against torch's ``Conv2d``.
    """
    hints = Hints(
        task="Return the side of the square output of a convolution or pooling layer, as a whole number, for an "
             "input of side size, a kernel of side kernel_size, padding zeros on each side and the given stride.",
        idea="Count the positions the kernel can take: the padding widens the input on both sides, the kernel's "
             "first position is an output too, and a last window that would stick out past the edge is dropped.",
        formula="out = ⌊(size + 2·padding − kernel_size) / stride⌋ + 1.",
        code="`(size + 2 * padding - kernel_size) // stride + 1` (floor division `//` drops the incomplete stride).",
    )
    cases = [(28, 3, 1, 1), (28, 2, 0, 2), (28, 5, 0, 1), (14, 3, 0, 2), (7, 3, 1, 2), (27, 2, 0, 2), (5, 5, 2, 3)]
    with Harness(conv_output_size, hints) as harness:
        answers = [harness.call(*args) for args in cases]
        # A typical slip is named only if it explains *every* answer, not just the first wrong one.
        slips = [
            (lambda n, k, p, s: (n + 2 * p - k) // s, "you forgot the + 1: the kernel's first position is an output too."),
            (lambda n, k, p, s: (n + p - k) // s + 1, "padding adds `padding` pixels on each side, so 2 * padding in all."),
            (lambda n, k, p, s: math.ceil((n + 2 * p - k) / s) + 1,
             "torch rounds down: a window that would stick out past the edge is dropped (floor, not ceil)."),
            (lambda n, k, p, s: (n + 2 * p - k) / s + 1, "sizes are whole numbers: use floor division // instead of /."),
        ]
        explains = [all(close(answer.got, slip(*args), rtol=0, atol=0) for answer, args in zip(answers, cases)) for slip, _ in slips]
        specific = next((text for (_, text), fits in zip(slips, explains) if fits), "")
        for args, answer in zip(cases, answers):
            expected = _torch_output_size(*args)
            got = answer.count(expected, lead="return a whole number (int). " + specific)
            if got != expected:
                answer.fail(expected, why=specific)
        harness.passed(len(cases))


def check_count_cnn_parameters(count_cnn_parameters: Callable[[tuple, int], int]) -> None:
    """``count_cnn_parameters(channels, hidden)``: how many numbers ``torch_nn.CNN(channels, hidden)`` learns.

    Each 3 × 3 conv block c_in → c_out has c_out·c_in·9 weights and c_out biases; the image side
    halves after each block (28 → 14 → 7 → 3 → 1); then Linear(c_last·side², hidden) and
    Linear(hidden, 10), each with biases.
    """
    hints = Hints(
        task="Return how many numbers CNN(channels, hidden) learns: every weight and every bias of its conv blocks "
             "and of its two Linear layers.",
        idea="Count layer by layer, weights and biases: a conv has one 3 x 3 kernel for every pair of an input and an "
             "output channel and one bias per output channel; each block's pooling halves the side, rounding down; "
             "the first Linear sees every position of every channel of the last block.",
        formula="a 3 x 3 conv from c_in to c_out channels: c_out·c_in·3·3 + c_out; a Linear(n_in, n_out): "
                "n_out·n_in + n_out; the side goes 28 → 14 → 7 → 3 → 1; the first Linear has n_in = c_last·side·side.",
        code="loop over `channels` keeping `c_in` (1 at first) and `side` (28 at first): add `c_out * c_in * 3 * 3 + "
             "c_out`, then set `c_in, side = c_out, side // 2`; finally add `c_in * side * side * hidden + hidden` and "
             "`hidden * 10 + 10`.",
    )
    cases = [((16, 32), 128), ((32, 64), 128), ((8,), 64), ((4, 8, 16), 32)]
    with Harness(count_cnn_parameters, hints) as harness:
        for channels, hidden in cases:
            answer = harness.call(channels, hidden)
            expected = sum(p.numel() for p in CNN(channels, hidden).parameters())
            got = answer.count(expected)
            if got == expected:
                continue
            sizes = [1, *channels]
            side = 28 // 2 ** len(channels)
            convs = sum(c_out * c_in * 9 for c_in, c_out in zip(sizes[:-1], sizes[1:]))
            linears = channels[-1] * side**2 * hidden + hidden * 10
            why = ""
            if got == convs + linears:
                why = "you left out the biases: every conv channel and every Linear output has one."
            elif got == expected - channels[-1] * side**2 * hidden + channels[-1] * hidden:
                why = ("the first Linear sees every position of every channel: c_last*side*side inputs, "
                       "not c_last.")
            elif got == expected - convs + convs // 3:
                why = "a 3x3 kernel has 3*3 = 9 weights per input and output channel, not 3."
            answer.fail(expected, why=why)
        harness.passed(len(cases))


def _reference_steps(model: nn.Module, X: torch.Tensor, y: torch.Tensor, n: int, *,
                     zero_grad: bool = True) -> tuple[nn.Module, list[float]]:
    """``n`` SGD steps on a copy of ``model``: the right way, or without zero_grad (a typical mistake)."""
    model = copy.deepcopy(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    losses = []
    for _ in range(n):
        if zero_grad:
            optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses


def _same_weights(a: nn.Module, b: nn.Module) -> bool:
    return all(torch.allclose(p, q, rtol=1e-10, atol=1e-12) for p, q in zip(a.parameters(), b.parameters()))


def check_train_step(train_step: Callable) -> None:
    """``train_step(model, loss_fn, optimizer, X, y) -> float``: one standard PyTorch training step.

    zero the old gradients, forward, loss, backward, optimizer step; return the loss as a Python
    float. Checked over three steps against a reference on a copy of the same model.
    """
    hints = Hints(
        task="Do one standard PyTorch training step of the model on the batch X, y with the given loss function and "
             "optimizer, and return this batch's loss as a Python float.",
        idea="A PyTorch training step has five parts in a fixed order: clear the old gradients, run the batch "
             "forward, compute the loss, let autograd compute the gradients backward, and let the optimizer update "
             "the weights. Report the loss this step computed, as a plain number.",
        formula="w ← w − η·∇_w L(model(X), y), where ∇_w L is computed afresh for this batch (not added to the last "
                "step's), and the loss returned is L before the update.",
        code="`optimizer.zero_grad(); loss = loss_fn(model(X), y); loss.backward(); optimizer.step(); "
             "return loss.item()`.",
    )
    torch.manual_seed(0)
    start = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3)).double()
    generator = torch.Generator().manual_seed(1)
    X = torch.randn(16, 6, dtype=torch.float64, generator=generator)
    y = torch.randint(0, 3, (16,), generator=generator)
    n = 3
    with Harness(train_step, hints) as harness:
        model = copy.deepcopy(start)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
        got_losses = []
        for i in range(n):
            # the step must change the model through its optimizer: those two are handed over, not copied
            answer = harness.call(model, nn.CrossEntropyLoss(), optimizer, X, y, shared=(0, 2))
            got = answer.got
            if isinstance(got, torch.Tensor):
                answer.refuse("a Python float", None, "a tensor came back: a one-element tensor's .item() is its "
                              "Python float, and taking it lets go of the graph autograd built for the loss.")
            if isinstance(got, bool) or not isinstance(got, (float, np.floating)):
                answer.refuse("the batch's loss as a float", None, "Return loss.item(), the Python float of the "
                              "one-element loss tensor.")
            got_losses.append(float(got))
        right, losses = _reference_steps(start, X, y, n)
        if not _same_weights(model, right):
            if _same_weights(model, start):
                why = ("the weights did not change: the optimizer must take its step, and after the backward pass "
                       "(once the old gradients are cleared, a step before backward has nothing to apply).")
            elif _same_weights(model, _reference_steps(start, X, y, n, zero_grad=False)[0]):
                why = ("after the first step the weights went wrong: without clearing the old gradients (the "
                       "optimizer's zero_grad) each backward pass *adds* to the gradients of all earlier steps.")
            else:
                why = ""
            raise CheckFailed(f"after {n} calls of train_step (which returned {describe(got_losses)}) the model's weights "
                              f"differ from {n} correct steps; expected the weights after {n} correct steps.\n"
                              f"{harness.text(why)}")
        if not np.allclose(got_losses, losses, rtol=1e-10):
            raise CheckFailed(
                f"the losses your train_step returned over {n} steps were {np.round(got_losses, 6).tolist()}; "
                f"expected {np.round(losses, 6).tolist()}.\n"
                + harness.text("return the loss computed in this step, before the update, as a Python float.")
            )
        harness.passed(n)


def dropout_model() -> nn.Module:
    """A tiny network with dropout, so that training and evaluation modes compute different things."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3)).double()


def batches_for_checks(sizes: tuple[int, ...], seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """A loader: a list of (X, y) batches of the given sizes (the last may be smaller, as in a DataLoader)."""
    generator = torch.Generator().manual_seed(seed)
    return [(torch.randn(n, 6, dtype=torch.float64, generator=generator), torch.randint(0, 3, (n,), generator=generator))
            for n in sizes]


def _record_modes(model: nn.Module) -> list[tuple[bool, bool]]:
    """For every forward pass of ``model`` from now on: (was it in training mode, was autograd recording)."""
    seen: list[tuple[bool, bool]] = []
    model.register_forward_pre_hook(lambda module, inputs: seen.append((module.training, torch.is_grad_enabled())))
    return seen


def reference_epoch(model: nn.Module, loader: list, *, zero_grad: bool = True, train_mode: bool = True,
                    seed: int = 3) -> tuple[nn.Module, float, float]:
    """One epoch of SGD on a copy of ``model``: (the model, mean batch loss, summed batch loss).

    ``zero_grad=False`` and ``train_mode=False`` give the two typical mistakes.
    """
    model = copy.deepcopy(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.3)
    model.train(train_mode)
    torch.manual_seed(seed)
    losses = []
    for X, y in loader:
        if zero_grad:
            optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, float(np.mean(losses)), float(np.sum(losses))


def check_torch_train_one_epoch(train_one_epoch: Callable) -> None:
    """``train_one_epoch(model, loss_fn, optimizer, loader) -> float``: one pass of training over ``loader``.

    Training mode on, then for every batch the five-part step; returns the mean of the batch losses as a
    Python float. The model arrives in evaluation mode, as it would after an evaluation, and has dropout.
    """
    hints = Hints(
        task="Train the model for one pass over the batches (X, y) of loader, one optimizer step per batch, and "
             "return the mean of the batch losses as a Python float.",
        idea="Training needs the model in training mode (dropout on), which an earlier evaluation may have switched "
             "off; then each batch gets the five-part step with its gradients cleared first, and the losses are "
             "collected as plain numbers and averaged over the batches.",
        formula="for each batch b: w ← w − η·∇_w L_b (gradients of this batch only); return (1/B)·Σ_b L_b, with "
                "L_b the loss before batch b's update.",
        code="`model.train()`, then for each `X, y in loader`: `optimizer.zero_grad(); loss = loss_fn(model(X), y); "
             "loss.backward(); optimizer.step()`, append `loss.item()`; return the mean.",
    )
    start = dropout_model().eval()
    loader = batches_for_checks((8, 8, 8, 5), seed=1)
    with Harness(train_one_epoch, hints) as harness:
        model = copy.deepcopy(start).eval()  # as after an evaluation
        seen = _record_modes(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.3)
        torch.manual_seed(3)
        answer = harness.call(model, nn.CrossEntropyLoss(), optimizer, loader, shared=(0, 2))
        got = answer.got
        if isinstance(got, torch.Tensor):
            answer.refuse("a Python float", None, "a tensor came back: adding up the loss tensors keeps every "
                          "batch's graph alive; take each batch loss as a Python number (its .item()) before adding.")
        mean = answer.number(None, lead="Return the mean batch loss, one number.")
        right, right_mean, right_sum = reference_epoch(start, loader)
        if any(not training for training, _ in seen):
            answer.fail(right_mean, why="the model was still in evaluation mode, as the last evaluation left it, so "
                                        "dropout was off while it trained: switch it to training mode first.")
        if not _same_weights(model, right):
            if _same_weights(model, start):
                why = "the weights did not change: every batch needs its optimizer step."
            elif _same_weights(model, reference_epoch(start, loader, zero_grad=False)[0]):
                why = ("without clearing the old gradients (the optimizer's zero_grad) each backward pass adds "
                       "to the gradients of all the batches before it.")
            else:
                why = "one step per batch, in the order of the five-part step."
            answer.fail(right_mean, why=f"the weights after the epoch differ from a correct epoch's: {why}")
        if not np.isclose(mean, right_mean, rtol=1e-9):
            why = ("that is the sum of the batch losses; return their mean." if np.isclose(mean, right_sum, rtol=1e-9)
                   else "return the mean of the losses each batch computed before its update.")
            answer.fail(right_mean, why=why)
        harness.passed(len(loader))


def reference_accuracy(model: nn.Module, loader: list) -> float:
    """The fraction of the loader's images that ``model`` (a copy, in evaluation mode) classifies right."""
    model = copy.deepcopy(model).eval()
    with torch.no_grad():
        correct = sum(int((model(X).argmax(dim=1) == y).sum()) for X, y in loader)
    return correct / sum(len(y) for _, y in loader)


def check_evaluate_accuracy(evaluate_accuracy: Callable) -> None:
    """``evaluate_accuracy(model, loader) -> float``: the fraction of all images classified right.

    The model arrives in training mode (as after training) and has dropout; the check records the mode and
    whether autograd was recording at every forward pass.
    """
    hints = Hints(
        task="Return the fraction of all the images in the batches (X, y) of loader that the model classifies "
             "right, as a Python float between 0 and 1, without training it.",
        idea="Evaluation measures the network itself: switch it to evaluation mode (dropout off, so the answer is "
             "not random) and tell autograd not to record (no graph is needed, none should fill memory); then "
             "count correct predictions over all images and divide by their number.",
        formula="accuracy = (number of images with argmax_k z_k = y, z the logits) / (number of images), counted over every batch.",
        code="`model.eval()`, then `with torch.no_grad():` for each `X, y in loader` add "
             "`(model(X).argmax(dim=1) == y).sum().item()` and `len(y)`; return correct / total.",
    )
    start = dropout_model()
    with torch.no_grad():
        start[3].weight.mul_(0.3)  # a network whose dropout changes many predictions
    loader = batches_for_checks((16, 16, 16, 6), seed=2)
    expected = reference_accuracy(start, loader)
    with Harness(evaluate_accuracy, hints) as harness:
        model = copy.deepcopy(start).train()  # as after training
        seen = _record_modes(model)
        torch.manual_seed(4)
        answer = harness.call(model, loader, shared=(0,))
        if isinstance(answer.got, torch.Tensor):
            answer.refuse("a Python float", expected, "a tensor came back: a one-element tensor's .item() is its "
                          "Python number.")
        got = answer.number(expected, lead="Return the accuracy, one number between 0 and 1.")
        if any(training for training, _ in seen):
            answer.fail(expected, why="the model was still in training mode, so dropout switched off random units "
                                      "and the predictions were those of a random, smaller network: switch it to "
                                      "evaluation mode first.")
        if any(grad for _, grad in seen):
            answer.fail(expected, why="autograd recorded every operation of the forward passes and kept a graph for "
                                      "a backward pass that never comes: evaluate inside the no-grad context.")
        if not np.isclose(got, expected, rtol=1e-12):
            if np.isclose(got, 100 * expected):
                why = "that is a percentage; return the fraction between 0 and 1."
            elif np.isclose(got, np.mean([reference_accuracy(start, [b]) for b in loader])):
                why = ("that is the mean of the batches' accuracies, and the last batch is smaller: count the correct "
                       "images over all batches, then divide by the number of images.")
            else:
                why = "count the images whose largest logit is at the true class, over every batch."
            answer.fail(expected, why=why)
        harness.passed(len(loader))


def recipe_cnn_parameters(recipe=None) -> int:
    """How many numbers the CNN of ``recipe`` learns; by default the recipe the notebook trains on this machine.

    ``recipe_for()`` picks the recipe from the device, as the notebook does: on a GPU the CUDA recipe,
    whose hidden layer is wider, so the prediction is graded against the network the run builds.
    """
    from course_lib.lessons.l08_mnist_with_pytorch.mnist_cnn import build_cnn, recipe_for

    return sum(p.numel() for p in build_cnn(recipe_for() if recipe is None else recipe).parameters())


predict_cnn_parameters = Prediction(
    "how many numbers the CNN this notebook builds learns (its two convolutions, the recipe's hidden Linear layer, Linear 10)",
    truth=recipe_cnn_parameters, rtol=0.15,
)
