"""Lesson 08: the CNN recipes and their training run, the speed measurements, the analysis, the
shift explorer and the self-checks."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.ui.checks import CheckFailed
from course_lib.lessons.l08_mnist_with_pytorch.checks import (
    check_conv_output_size, check_count_cnn_parameters, check_evaluate_accuracy, check_torch_train_one_epoch, check_train_step,
)
from course_lib.data import MNIST_MEAN, MNIST_STD, load_mnist
from course_lib.lessons.l08_mnist_with_pytorch.mnist_cnn import (
    CNN_CPU_RECIPE, CNN_CUDA_RECIPE, MnistImages, build_cnn, build_torch_model, ink_kept, predict,
    recipe_for, samples_per_second, shift_accuracy, shift_standardized, time_epoch_dataloader,
    time_epoch_per_image_pipeline, time_epoch_preloaded, train_torch,
)
from course_lib.recipes import Recipe, load_splits, make_schedule, recipe_optimizer
from course_lib.numpy_nn.schedules import warmup_cosine_lr
from course_lib.torch_nn import CNN, MLP, AdamW, SGD, WarmupCosineLR
from course_lib.lessons.l08_mnist_with_pytorch.explorers import shift_explorer

TINY = CNN_CPU_RECIPE.replace(channels=(4, 8), hidden=16, epochs=3, train_size=600, val_size=200, batch_size=100)


@pytest.fixture(scope="module")
def tiny_splits():
    splits = load_splits(TINY)
    return splits._replace(test=(splits.test[0][:500], splits.test[1][:500]))


@pytest.fixture(scope="module")
def raw():
    images, labels = load_mnist("test", normalize=None, flatten=False, dtype=np.uint8)
    return images[:256], labels[:256]


@pytest.fixture(scope="module")
def test_images():
    X, y = load_mnist("test", normalize="standard")
    return X[:64], y[:64]


# ---- the recipes -------------------------------------------------------------------------------


def test_the_cpu_recipe_reaches_99_percent_in_one_epoch():
    """The lesson's promise, trained exactly as the notebook trains it on a CPU (11-18 s on one thread).

    The goal, 99.0 % as the median of seeds 0, 1 and 2, is benchmarks/bench_mnist.py's; seed 0 alone
    reached 99.13 % on one and on two threads, and another machine's rounding may move it by
    a few hundredths, hence 98.9 % here.
    """
    run = train_torch(CNN_CPU_RECIPE, device="cpu", progress=False)
    assert run.recipe.epochs == 1 and run.epochs_done == 1 and len(run.history) == 1
    assert run.test_acc >= 0.989, run.test_acc
    assert run.history.val_acc[-1] >= 0.985


def test_recipes_and_recipe_for():
    assert recipe_for("cpu") is CNN_CPU_RECIPE and isinstance(CNN_CUDA_RECIPE, Recipe)
    assert CNN_CPU_RECIPE.epochs == 1 and not CNN_CPU_RECIPE.amp
    assert CNN_CUDA_RECIPE.amp and CNN_CUDA_RECIPE.epochs > 1


@pytest.mark.cuda
def test_recipe_for_cuda_is_the_cuda_recipe():
    assert recipe_for("cuda") is CNN_CUDA_RECIPE


def test_the_cnn_recipes_are_recipes_of_the_cnn():
    for recipe in (CNN_CPU_RECIPE, CNN_CUDA_RECIPE):
        assert recipe.model == "cnn" and recipe.optimizer == "AdamW" and recipe.schedule == "warmup_cosine"
    assert CNN_CPU_RECIPE.channels == (16, 32) and CNN_CPU_RECIPE.hidden == (256,) and CNN_CPU_RECIPE.dropout == 0.1
    assert CNN_CUDA_RECIPE.channels == (32, 64) and CNN_CUDA_RECIPE.hidden == (256,) and CNN_CUDA_RECIPE.dropout == 0.25
    assert CNN_CPU_RECIPE.label_smoothing == 0.1 and CNN_CPU_RECIPE.batch_size == 64
    assert CNN_CUDA_RECIPE.label_smoothing == 0.0 and CNN_CUDA_RECIPE.batch_size == 128, "the CUDA recipe as it was measured"
    assert "warmup" in CNN_CPU_RECIPE.describe() and CNN_CPU_RECIPE.lr == 1e-2 and CNN_CPU_RECIPE.weight_decay == 0.01
    assert CNN_CUDA_RECIPE.lr == 3e-3 and CNN_CUDA_RECIPE.weight_decay == 0.01 and CNN_CUDA_RECIPE.epochs == 8


def test_the_schedule_changes_after_every_step_as_the_closed_form_says():
    model = build_cnn(TINY)
    optimizer = recipe_optimizer(TINY, model.parameters())
    scheduler = make_schedule(TINY, optimizer, steps_per_epoch=10)
    assert isinstance(optimizer, AdamW) and isinstance(scheduler, WarmupCosineLR)
    total, warmup = 30, 3
    assert (scheduler.warmup_steps, scheduler.total_steps) == (warmup, total)
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    lrs = []
    for _ in range(total):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()  # the step hook advances the schedule
    expected = [warmup_cosine_lr(t, TINY.lr, warmup, total, start_factor=0.1) for t in range(total)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-12)
    constant = TINY.replace(schedule="constant", optimizer="nesterov")
    sgd = recipe_optimizer(constant, model.parameters())
    assert make_schedule(constant, sgd, 10) is None and isinstance(sgd, SGD) and sgd.defaults["nesterov"]


def test_build_cnn_follows_the_recipe():
    model = build_cnn(TINY)
    assert isinstance(model, CNN) and model.features[0].out_channels == 4 and model.classifier[1].out_features == 16


def test_build_cnn_stores_the_convolutions_channels_last_and_computes_the_same(test_images):
    torch.manual_seed(0)
    model = build_cnn(TINY).eval()
    for conv in (model.features[0], model.features[3]):
        assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert not model.features[3].weight.is_contiguous(), "with 4 input channels, channels last is another layout"
    plain = CNN(TINY.channels, hidden=TINY.hidden[0], dropout=TINY.dropout).eval()
    plain.load_state_dict({k: v.contiguous() for k, v in model.state_dict().items()})
    assert plain.features[0].weight.is_contiguous()
    X = torch.as_tensor(test_images[0])
    with torch.no_grad():
        torch.testing.assert_close(model(X), plain(X), rtol=1e-5, atol=1e-5)
    mlp = build_torch_model(TINY.replace(model="mlp", hidden=(32, 16), dropout=0.0))
    assert isinstance(mlp, MLP) and mlp.sizes == (784, 32, 16, 10)


# ---- training, checkpoints, resume ---------------------------------------------------------------


def test_train_torch_is_reproducible_and_resumes_exactly(tiny_splits, tmp_path):
    full = train_torch(TINY, device="cpu", splits=tiny_splits, progress=False)
    again = train_torch(TINY, device="cpu", splits=tiny_splits, progress=False)
    assert torch.equal(full.model.features[0].weight, again.model.features[0].weight)
    assert len(full.history) == 3 and len(full.history.steps) == 18 and not full.model.training
    assert 0 <= full.test_acc <= 1 and full.seconds > 0

    path = tmp_path / "tiny.pt"
    half = train_torch(TINY, device="cpu", splits=tiny_splits, progress=False, checkpoint=path, stop_after=1)
    assert half.epochs_done == 1 and len(half.history) == 1 and path.is_file()
    resumed = train_torch(TINY, device="cpu", splits=tiny_splits, progress=False, checkpoint=path, resume=True)
    assert resumed.epochs_done == 3
    for key, value in full.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[key]), key
    np.testing.assert_array_equal(resumed.history.train_loss, full.history.train_loss)
    assert resumed.test_acc == full.test_acc
    done = train_torch(TINY, device="cpu", splits=tiny_splits, progress=False, checkpoint=path, resume=True)
    assert done.epochs_done == 3 and done.seconds < 1 and len(done.history) == 3, "nothing left to train"


def test_train_torch_refuses_bad_calls(tiny_splits):
    with pytest.raises(TypeError, match="expects a Recipe"):
        train_torch({"epochs": 1}, device="cpu")
    with pytest.raises(ValueError, match="resume=True needs checkpoint"):
        train_torch(TINY, device="cpu", splits=tiny_splits, resume=True)
    with pytest.raises(ValueError, match=r"stop_after must be a whole number of epochs in \[1, 3\]"):
        train_torch(TINY, device="cpu", splits=tiny_splits, stop_after=4)
    with pytest.raises(ValueError, match="needs CUDA"):
        train_torch(TINY.replace(amp=True), device="cpu", splits=tiny_splits)


def test_load_splits_follows_the_cnn_recipe():
    (X, y), (X_val, y_val), (X_test, y_test) = load_splits(TINY)
    assert X.shape == (600, 784) and X_val.shape == (200, 784) and X_test.shape == (10000, 784)
    assert X.dtype == np.float32 and y.dtype == np.int64
    other = load_splits(TINY.replace(seed=1))
    assert not np.array_equal(other.val[1], y_val), "the seed decides the split"


# ---- predictions, shifts ---------------------------------------------------------------------


def test_predict_gives_probabilities_and_restores_the_mode(test_images):
    X, _ = test_images
    torch.manual_seed(0)
    model = CNN((4, 8), hidden=16).train()
    digits, probs = predict(model, X, batch_size=10)
    assert digits.shape == (64,) and probs.shape == (64, 10) and model.training
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)
    with torch.no_grad():
        logits = model.eval()(torch.from_numpy(X))
    np.testing.assert_array_equal(digits, logits.argmax(1).numpy())
    np.testing.assert_array_equal(predict(model, X.reshape(-1, 28, 28))[0], digits)
    with pytest.raises(ValueError, match="non-empty batch"):
        predict(model, X[:0])


def test_shift_standardized_moves_ink_and_fills_with_paper(test_images):
    X, _ = test_images
    np.testing.assert_allclose(shift_standardized(X, 0, 0), X, atol=1e-6)
    moved = shift_standardized(X[:2], 3, 0).reshape(2, 28, 28)
    np.testing.assert_allclose(moved[:, :, :3], -MNIST_MEAN / MNIST_STD, atol=1e-5)
    np.testing.assert_allclose(moved[:, :, 3:], X[:2].reshape(2, 28, 28)[:, :, :25], atol=1e-5)
    assert ink_kept(X[0], X[0]) == 1.0
    assert ink_kept(X[0], shift_standardized(X[0], 20, 0)) < 0.2


def test_shift_accuracy_averages_four_directions(test_images):
    X, y = test_images
    torch.manual_seed(0)
    model = MLP([784, 10])
    acc = shift_accuracy(model, X, y, [0, 2])
    assert acc.shape == (2,)
    assert acc[0] == np.mean(predict(model, X)[0] == y)
    moves = [(2, 0), (-2, 0), (0, 2), (0, -2)]
    expected = np.mean([np.mean(predict(model, shift_standardized(X, dx, dy))[0] == y) for dx, dy in moves])
    assert acc[1] == pytest.approx(expected)
    with pytest.raises(ValueError, match="whole number of pixels"):
        shift_accuracy(model, X, y, [-1])


# ---- what makes training fast --------------------------------------------------------------------


def test_mnist_images_does_what_to_tensor_and_normalize_do(raw):
    images, labels = raw
    dataset = MnistImages(images, labels)
    x, label = dataset[5]
    assert x.shape == (1, 28, 28) and x.dtype == torch.float32 and label == labels[5] and len(dataset) == 256
    expected = (images[5].astype(np.float32) / 255 - MNIST_MEAN) / MNIST_STD
    np.testing.assert_allclose(x[0].numpy(), expected, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="one label per image"):
        MnistImages(images, labels[:3])


@pytest.mark.parametrize("timer", [time_epoch_preloaded, time_epoch_dataloader, time_epoch_per_image_pipeline])
def test_every_timer_trains_a_copy_and_returns_seconds(raw, timer):
    images, labels = raw
    torch.manual_seed(0)
    model = MLP([784, 32, 10])
    before = copy.deepcopy(model.state_dict())
    seconds = timer(model, images, labels, batch_size=64, steps=3, device="cpu")
    assert isinstance(seconds, float) and seconds > 0
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items()), "the caller's model is untouched"
    assert timer(model, images[:100], labels[:100], batch_size=64, device="cpu") > 0  # one epoch: 2 steps


def test_the_per_image_pipeline_feeds_whole_batches_of_the_data(raw, monkeypatch):
    images, labels = raw
    seen = {}
    original = nn.CrossEntropyLoss.forward

    def record(self, pred, target):
        seen.setdefault(self.__class__, []).append(target.clone())
        return original(self, pred, target)

    monkeypatch.setattr(nn.CrossEntropyLoss, "forward", record)
    time_epoch_per_image_pipeline(MLP([784, 10]), images, labels, batch_size=256, steps=1, device="cpu")
    targets = seen[nn.CrossEntropyLoss]
    assert len(targets) == 3 and all(t.shape == (256,) for t in targets), "2 warm-up steps, then the timed one"
    assert sorted(targets[0].tolist()) == sorted(labels.tolist()), "a whole batch of this data set"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"images": "float"}, "raw MNIST images, uint8"),
        ({"labels": "short"}, "one label per image"),
        ({"batch_size": 1000}, r"batch_size must be a whole number in \[1, 256\]"),
        ({"steps": 0}, "steps must be None"),
        ({"amp": True}, "amp=True"),
    ],
)
def test_timers_refuse_bad_input(raw, args, message):
    images, labels = raw
    if args.pop("images", None):
        images = images.astype(np.float32)
    if args.pop("labels", None):
        labels = labels[:10]
    with pytest.raises(ValueError, match=message):
        time_epoch_preloaded(MLP([784, 10]), images, labels, device="cpu", **args)


def test_samples_per_second_measures_each_batch_size(raw):
    images, labels = raw
    result = samples_per_second(MLP([784, 10]), images, labels, [16, 64], samples=128, device="cpu")
    assert list(result) == [16, 64] and all(v > 0 for v in result.values())
    with pytest.raises(ValueError, match="at least one batch size"):
        samples_per_second(MLP([784, 10]), images, labels, [], device="cpu")


# ---- CUDA ----------------------------------------------------------------------------------------


@pytest.mark.cuda
def test_the_cnn_computes_the_same_on_cpu_and_cuda(test_images):
    X, _ = test_images
    torch.manual_seed(0)
    model = CNN((8, 16), hidden=32).double().eval()
    x = torch.from_numpy(X).double()
    with torch.no_grad():
        on_cpu = model(x)
        on_cuda = copy.deepcopy(model).to("cuda")(x.to("cuda")).cpu()
    torch.testing.assert_close(on_cuda, on_cpu, rtol=1e-10, atol=1e-12)


@pytest.mark.cuda
def test_one_bf16_autocast_step_lowers_the_loss(test_images):
    X, y = test_images
    torch.manual_seed(0)
    model = CNN((8, 16), hidden=32).to("cuda")
    optimizer = AdamW(model.parameters(), lr=1e-3)
    x, target = torch.from_numpy(X).to("cuda"), torch.from_numpy(y).to("cuda")
    losses = []
    for _ in range(2):
        optimizer.zero_grad()
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
            logits = model(x)
            loss = nn.functional.cross_entropy(logits, target)
        assert logits.dtype == torch.bfloat16 and model.features[0].weight.dtype == torch.float32
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[1] < losses[0]


@pytest.mark.cuda
def test_the_timers_run_on_cuda_with_amp(raw):
    images, labels = raw
    assert time_epoch_preloaded(CNN((8, 16), 32), images, labels, steps=3, device="cuda", amp=True) > 0
    assert time_epoch_per_image_pipeline(CNN((8, 16), 32), images, labels, steps=3, device="cuda") > 0


# ---- the explorer ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def models():
    torch.manual_seed(0)
    return {"MLP": MLP([784, 10]), "CNN": CNN((4, 8), hidden=16)}


def test_shift_explorer_redraws_for_every_control(models, test_images):
    X, y = test_images
    explorer = shift_explorer(models, X, y, start=3)
    fig = explorer.figure
    image_ax, mlp_ax, cnn_ax = fig.axes[0], fig.axes[1], fig.axes[2]
    assert image_ax.get_title() == f"image 3 (a {y[3]}) moved by (+0, +0)"
    assert mlp_ax.get_title().startswith("MLP: ") and cnn_ax.get_title().startswith("CNN: ")
    assert len(cnn_ax.patches) == 10 and not image_ax.texts
    controls = explorer.controls
    for name in ("dx", "dy"):
        for value in (controls[name].min, controls[name].max):
            controls[name].value = value
            assert image_ax.texts and "of the ink left the frame" in " ".join(image_ax.texts[0].get_text().split())
            shown = image_ax.images[0].get_array()
            expected = shift_standardized(X[3].reshape(28, 28), controls["dx"].value, controls["dy"].value)
            np.testing.assert_allclose(shown, expected, atol=1e-6)
            probs = predict(models["CNN"], expected[None])[1][0]
            np.testing.assert_allclose([p.get_height() for p in cnn_ax.patches], probs, rtol=1e-5)
    assert image_ax.get_title() == f"image 3 (a {y[3]}) moved by ({controls['dx'].max:+d}, {controls['dy'].max:+d})"
    for value in (controls["index"].min, controls["index"].max):
        controls["index"].value = value
        assert image_ax.get_title().startswith(f"image {value} (a {y[value]})")
    controls["reset"].click()
    assert (controls["index"].value, controls["dx"].value, controls["dy"].value) == (3, 0, 0)
    assert not image_ax.texts


def test_shift_explorer_refuses_bad_input(models, test_images):
    X, y = test_images
    with pytest.raises(ValueError, match="at least one model"):
        shift_explorer({}, X, y)
    with pytest.raises(ValueError, match="shaped"):
        shift_explorer(models, X[:, :100], y)
    with pytest.raises(ValueError, match="one label per image"):
        shift_explorer(models, X, y[:3])
    with pytest.raises(ValueError, match="start must index"):
        shift_explorer(models, X, y, start=64)


# ---- the self-checks -------------------------------------------------------------------------------


def conv_output_size(size, kernel_size, padding, stride):
    return (size + 2 * padding - kernel_size) // stride + 1


def count_cnn_parameters(channels, hidden):
    total, c_in, side = 0, 1, 28
    for c_out in channels:
        total += c_out * (c_in * 9 + 1)
        c_in, side = c_out, side // 2
    return total + c_in * side * side * hidden + hidden + hidden * 10 + 10


def train_step(model, loss_fn, optimizer, X, y):
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _no_zero_grad(model, loss_fn, optimizer, X, y):
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _no_step(model, loss_fn, optimizer, X, y):
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    return loss.item()


def _step_first(model, loss_fn, optimizer, X, y):
    optimizer.zero_grad()
    optimizer.step()
    loss = loss_fn(model(X), y)
    loss.backward()
    return loss.item()


def _returns_tensor(model, loss_fn, optimizer, X, y):
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    return loss


def _loss_after_the_step(model, loss_fn, optimizer, X, y):
    train_step(model, loss_fn, optimizer, X, y)
    return loss_fn(model(X), y).item()


RIGHT_AND_WRONG = [
    (check_conv_output_size, conv_output_size, lambda n, k, p, s: (n + 2 * p - k) // s, "forgot the + 1"),
    (check_conv_output_size, conv_output_size, lambda n, k, p, s: (n + p - k) // s + 1, "2 * padding in all"),
    (check_conv_output_size, conv_output_size, lambda n, k, p, s: -(-(n + 2 * p - k) // s) + 1, "rounds down"),
    (check_conv_output_size, conv_output_size, lambda n, k, p, s: (n + 2 * p - k) / s + 1, "instead of /"),
    (check_count_cnn_parameters, count_cnn_parameters,
     lambda c, h: count_cnn_parameters(c, h) - sum(c) - h - 10, "left out the biases"),
    (check_count_cnn_parameters, count_cnn_parameters,
     lambda c, h: count_cnn_parameters(c, h) - c[-1] * (28 // 2 ** len(c)) ** 2 * h + c[-1] * h, "not c_last"),
    (check_count_cnn_parameters, count_cnn_parameters,
     lambda c, h: count_cnn_parameters(c, h) - 6 * sum(a * b for a, b in zip((1, *c[:-1]), c)), "3*3 = 9"),
    (check_train_step, train_step, _no_zero_grad, "without clearing the old gradients"),
    (check_train_step, train_step, _no_step, "did not change"),
    (check_train_step, train_step, _step_first, "a step before backward has nothing to apply"),
    (check_train_step, train_step, _returns_tensor, ".item() is its"),
    (check_train_step, train_step, _loss_after_the_step, "before the update"),
]


@pytest.mark.parametrize(("check", "right", "wrong", "diagnosis"), RIGHT_AND_WRONG, ids=lambda x: getattr(x, "__name__", None))
def test_checks_accept_right_and_reject_wrong_with_a_hint(check, right, wrong, diagnosis, capsys):
    check(right)
    assert "✓" in capsys.readouterr().out
    with pytest.raises(CheckFailed) as failure:
        check(wrong)
    assert "Hint:" in str(failure.value) and diagnosis in str(failure.value)




# ---- Exercises 4 and 5: the epoch loop and evaluation, with train/eval modes and no_grad ----------------


def train_one_epoch(model, loss_fn, optimizer, loader):
    model.train()
    losses = []
    for X, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return sum(losses) / len(losses)


def _epoch_without_train_mode(model, loss_fn, optimizer, loader):
    """Forgets model.train() after an evaluation: dropout stays off while it trains."""
    losses = []
    for X, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return sum(losses) / len(losses)


def _epoch_without_zero_grad(model, loss_fn, optimizer, loader):
    model.train()
    losses = []
    for X, y in loader:
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return sum(losses) / len(losses)


def _epoch_adding_loss_tensors(model, loss_fn, optimizer, loader):
    model.train()
    total = 0
    for X, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        total = total + loss
    return total / len(loader)


def _epoch_summing(model, loss_fn, optimizer, loader):
    return train_one_epoch(model, loss_fn, optimizer, loader) * len(loader)


def evaluate_accuracy(model, loader):
    model.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for X, y in loader:
            correct += (model(X).argmax(dim=1) == y).sum().item()
            total += len(y)
    return correct / total


def _evaluate_in_train_mode(model, loader):
    correct, total = 0, 0
    with torch.no_grad():
        for X, y in loader:
            correct += (model(X).argmax(dim=1) == y).sum().item()
            total += len(y)
    return correct / total


def _evaluate_recording_a_graph(model, loader):
    model.eval()
    correct, total = 0, 0
    for X, y in loader:
        correct += (model(X).argmax(dim=1) == y).sum().item()
        total += len(y)
    return correct / total


def _evaluate_mean_of_batches(model, loader):
    model.eval()
    with torch.no_grad():
        return float(np.mean([(model(X).argmax(dim=1) == y).double().mean().item() for X, y in loader]))


def _evaluate_percent(model, loader):
    return 100 * evaluate_accuracy(model, loader)


def _evaluate_tensor(model, loader):
    return torch.tensor(evaluate_accuracy(model, loader))


@pytest.mark.parametrize(("wrong", "words"), [
    (_epoch_without_train_mode, "still in evaluation mode"),
    (_epoch_without_zero_grad, "without clearing the old gradients"),
    (_epoch_summing, "sum of the batch losses"),
], ids=lambda x: getattr(x, "__name__", None))
def test_check_train_one_epoch_names_the_mistakes(assert_teaches, wrong, words):
    assert_teaches(check_torch_train_one_epoch, train_one_epoch, wrong, words)


def test_check_train_one_epoch_refuses_a_sum_of_loss_tensors(assert_teaches):
    assert_teaches(check_torch_train_one_epoch, train_one_epoch, _epoch_adding_loss_tensors, "keeps every batch's graph",
                   expected=False)


@pytest.mark.parametrize(("wrong", "words"), [
    (_evaluate_in_train_mode, "still in training mode, so dropout"),
    (_evaluate_recording_a_graph, "autograd recorded every operation"),
    (_evaluate_mean_of_batches, "mean of the batches' accuracies"),
    (_evaluate_percent, "percentage"),
    (_evaluate_tensor, ".item() is its"),
], ids=lambda x: getattr(x, "__name__", None))
def test_check_evaluate_accuracy_names_the_mistakes(assert_teaches, wrong, words):
    assert_teaches(check_evaluate_accuracy, evaluate_accuracy, wrong, words)


def test_the_check_models_compute_differently_in_train_and_eval_mode():
    """The wrong answers about modes are caught by the recorded mode, and also change the numbers."""
    from course_lib.lessons.l08_mnist_with_pytorch.checks import batches_for_checks, dropout_model, reference_epoch

    start, loader = dropout_model(), batches_for_checks((8, 8, 8, 5), seed=1)
    _, right_mean, _ = reference_epoch(start, loader)
    _, eval_mean, _ = reference_epoch(start, loader, train_mode=False)
    assert not np.isclose(right_mean, eval_mean)


def test_predict_cnn_parameters_knows_the_count_of_the_network_each_recipe_builds(monkeypatch):
    """The truth is the count of the network the notebook trains: the CPU recipe's, or the wider CUDA one's."""
    from course_lib.lessons.l08_mnist_with_pytorch import checks, mnist_cnn

    assert checks.recipe_cnn_parameters(CNN_CPU_RECIPE) == count_cnn_parameters((16, 32), 256) == 409_034
    assert checks.recipe_cnn_parameters(CNN_CUDA_RECIPE) == count_cnn_parameters((32, 64), 256) == 824_458
    for device, recipe in [("cpu", CNN_CPU_RECIPE), ("cuda", CNN_CUDA_RECIPE)]:
        monkeypatch.setattr(mnist_cnn, "get_device", lambda name=None, device=device: torch.device(device))
        assert mnist_cnn.recipe_for() == recipe
        assert checks.predict_cnn_parameters.truth() == count_cnn_parameters(recipe.channels, recipe.hidden[0])
