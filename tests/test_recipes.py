"""The one recipe type and the factories: every field checked, names turned into the right objects for either twin."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from course_lib.lessons.l07_mnist_from_scratch.mnist_mlp import DEFAULT_RECIPE
from course_lib.lessons.l08_mnist_with_pytorch.mnist_cnn import CNN_CPU_RECIPE
from course_lib.lessons.l09_hyperparameter_exploration.tuning import DEFAULT_HYPERPARAMETERS
from course_lib.numpy_nn import optimizers as np_opt
from course_lib.numpy_nn import schedules as np_sched
from course_lib.numpy_nn.module import Parameter
from course_lib.recipes import OPTIMIZERS, Recipe, load_splits, make_optimizer, make_schedule, recipe_optimizer
from course_lib.torch_nn import optimizers as torch_opt

# ---- the recipe ------------------------------------------------------------------------------------


def test_the_defaults_are_lesson_07s_recipe_and_every_lesson_uses_the_one_type():
    assert DEFAULT_RECIPE == Recipe()
    assert Recipe().sizes == (784, 256, 128, 10) and Recipe().optimizer == "nesterov"
    for recipe in (DEFAULT_RECIPE, CNN_CPU_RECIPE, DEFAULT_HYPERPARAMETERS):
        assert type(recipe) is Recipe


def test_recipe_is_frozen_and_replace_makes_a_changed_copy():
    changed = DEFAULT_RECIPE.replace(seed=3, epochs=2)
    assert (changed.seed, changed.epochs) == (3, 2) and DEFAULT_RECIPE.seed == 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_RECIPE.seed = 1  # type: ignore[misc]
    with pytest.raises(TypeError, match="no setting"):
        DEFAULT_RECIPE.replace(learning_rate=0.1)
    assert Recipe(hidden=[64, 32]).hidden == (64, 32) and Recipe(hidden=64).sizes == (784, 64, 10)
    assert Recipe(hidden=np.int64(16)).hidden == (16,)


def test_describe_shows_the_settings_the_run_reads():
    mlp, cnn = DEFAULT_RECIPE.describe(), CNN_CPU_RECIPE.describe()
    assert "weight_decay" in mlp and str(DEFAULT_RECIPE.lr) in mlp
    assert "momentum" in mlp and "channels" not in mlp and "betas" not in mlp and "warmup" not in mlp
    assert "channels" in cnn and "betas" in cnn and "warmup" in cnn and "init" not in cnn and "momentum" not in cnn
    assert DEFAULT_RECIPE.describe(["lr", "seed"]).splitlines() == ["lr   : 0.1", "seed : 0"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"model": "rnn"}, "model must be one of"),
        ({"optimizer": "rmsprop"}, "optimizer must be one of"),
        ({"optimizer": "sgd"}, "optimizer must be one of"),  # one name, one meaning: SGD, momentum or nesterov
        ({"schedule": "linear"}, "schedule must be one of"),
        ({"lr": 0.0}, r"lr must be a number in \(0, 1e6\]"),
        ({"lr": float("nan")}, r"lr must be a number in \(0, 1e6\]"),
        ({"hidden": (256, 0)}, "hidden must be one or more positive whole numbers"),
        ({"hidden": ()}, "hidden must be one or more positive whole numbers"),
        ({"channels": (8, 8, 8, 8, 8)}, "channels must be 1 to 4"),
        ({"epochs": 0}, "epochs must be a whole number"),
        ({"batch_size": 12.5}, "batch_size must be"),
        ({"weight_decay": -1e-4}, "weight_decay must be"),
        ({"momentum": 1.0}, r"momentum must be a number in \[0, 1\)"),
        ({"betas": (0.9, 1.0)}, "betas must be a pair"),
        ({"dropout": 1.0}, r"dropout must be a number in \[0, 1\)"),
        ({"activation": "swish"}, "activation must be one of"),
        ({"init": "he"}, "init must be one of"),
        ({"dtype": "float16"}, "dtype must be"),
        ({"amp": 1}, "amp must be True or False"),
        ({"val_size": 60000}, "val_size must be"),
        ({"train_size": 0}, "train_size must be"),
        ({"seed": -1}, "seed must be"),
        ({"seed": 2**32}, "seed must be"),
        ({"lr": 1e39}, r"lr must be a number in \(0, 1e6\]"),
        ({"lr": float("inf")}, r"lr must be a number in \(0, 1e6\]"),
        ({"hidden": (100_000, 100_000)}, "more than the 100,000,000 this course trains"),
    ],
)
def test_a_bad_setting_is_named(changes, message):
    with pytest.raises(ValueError, match=message):
        DEFAULT_RECIPE.replace(**changes)


def test_every_problem_is_named_at_once_and_the_cnn_has_one_hidden_layer():
    with pytest.raises(ValueError, match=r"^Invalid Recipe: lr must be .*; epochs must be .*\.$"):
        Recipe(lr=-1.0, epochs=0)
    with pytest.raises(ValueError, match="the CNN has one fully connected hidden layer"):
        CNN_CPU_RECIPE.replace(hidden=(128, 64))


# ---- the optimizer factory -------------------------------------------------------------------------

CLASSES = {"SGD": "SGD", "momentum": "SGD", "nesterov": "SGD", "Adagrad": "Adagrad", "RMSprop": "RMSprop",
           "Adam": "Adam", "AdamW": "AdamW"}


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("library", ["numpy_nn", "torch_nn", "torch.optim"])
def test_make_optimizer_builds_the_named_class_of_each_library(name, library):
    if library == "numpy_nn":
        params, module = [Parameter(np.zeros(2))], np_opt
    else:
        params, module = [torch.zeros(2, requires_grad=True)], torch_opt if library == "torch_nn" else torch.optim
    opt = make_optimizer(name, params, lr=0.3, momentum=0.7, betas=(0.5, 0.6), alpha=0.8, library=library)
    assert type(opt) is getattr(module, CLASSES[name])
    hyper = opt.defaults
    assert hyper["lr"] == 0.3
    if name == "SGD":
        assert hyper["momentum"] == 0 and not hyper["nesterov"]
    if name in ("momentum", "nesterov"):
        assert hyper["momentum"] == 0.7 and hyper["nesterov"] == (name == "nesterov")
    if name == "RMSprop":
        assert hyper["alpha"] == 0.8
    if name in ("Adam", "AdamW"):
        assert tuple(hyper["betas"]) == (0.5, 0.6)
    assert hyper["weight_decay"] == (1e-2 if name == "AdamW" else 0)  # None: each class's own default


def test_make_optimizer_follows_the_parameters_and_passes_weight_decay_to_all():
    assert type(make_optimizer("Adam", [Parameter(np.zeros(1))], lr=0.1)) is np_opt.Adam
    assert type(make_optimizer("Adam", [torch.zeros(1, requires_grad=True)], lr=0.1)) is torch_opt.Adam
    for name in OPTIMIZERS:
        assert make_optimizer(name, [Parameter(np.zeros(1))], lr=0.1, weight_decay=0.0).defaults["weight_decay"] == 0.0
    recipe = DEFAULT_RECIPE.replace(optimizer="AdamW", betas=(0.8, 0.99))
    built = recipe_optimizer(recipe, [Parameter(np.zeros(1))])
    assert type(built) is np_opt.AdamW and built.defaults["betas"] == (0.8, 0.99)
    assert built.defaults["weight_decay"] == recipe.weight_decay


def test_make_optimizer_refuses_what_it_cannot_build():
    params = [Parameter(np.zeros(2))]
    with pytest.raises(ValueError, match="unknown optimizer 'sgd'"):
        make_optimizer("sgd", params, lr=0.1)
    with pytest.raises(ValueError, match="library must be"):
        make_optimizer("SGD", params, lr=0.1, library="jax")
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum"):
        make_optimizer("nesterov", params, lr=0.1, momentum=0.0)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        make_optimizer("Adam", params, lr=-1.0)


# ---- the schedule factory --------------------------------------------------------------------------


def test_epoch_schedules_for_both_twins():
    sgd = recipe_optimizer(DEFAULT_RECIPE, [Parameter(np.zeros(1))])
    cosine = make_schedule(DEFAULT_RECIPE, sgd, steps_per_epoch=10)
    assert isinstance(cosine, np_sched.CosineAnnealingLR) and cosine.T_max == DEFAULT_RECIPE.epochs
    for _ in range(DEFAULT_RECIPE.epochs):
        cosine.step()
    assert sgd.lr == pytest.approx(0.0, abs=1e-12)
    step = make_schedule(DEFAULT_RECIPE.replace(schedule="step", epochs=9), sgd, 10)
    assert isinstance(step, np_sched.StepLR) and step.step_size == 3
    assert make_schedule(DEFAULT_RECIPE.replace(schedule="constant"), sgd, 10) is None
    torch_sgd = recipe_optimizer(DEFAULT_RECIPE, [torch.zeros(1, requires_grad=True)])
    assert isinstance(make_schedule(DEFAULT_RECIPE, torch_sgd, 10), torch.optim.lr_scheduler.CosineAnnealingLR)


def test_warmup_cosine_steps_after_every_optimizer_step_and_needs_torch():
    recipe = CNN_CPU_RECIPE.replace(epochs=2)
    param = torch.zeros(1, requires_grad=True)
    opt = recipe_optimizer(recipe, [param])
    schedule = make_schedule(recipe, opt, steps_per_epoch=10)
    lrs = []
    for _ in range(20):
        param.grad = torch.ones(1)
        opt.step()
        lrs.append(opt.param_groups[0]["lr"])
    assert schedule.last_epoch == 20 and lrs[0] < lrs[1] == pytest.approx(recipe.lr)  # 2 warm-up steps of 20
    assert lrs[-1] == pytest.approx(0.0, abs=1e-12) and all(a >= b for a, b in zip(lrs[1:], lrs[2:]))
    assert make_schedule(recipe.replace(epochs=1), recipe_optimizer(recipe, [param]), steps_per_epoch=1) is None
    with pytest.raises(ValueError, match="needs a torch optimizer"):
        make_schedule(recipe, recipe_optimizer(recipe, [Parameter(np.zeros(1))]), 10)


# ---- the data --------------------------------------------------------------------------------------


def test_load_splits_standardises_and_holds_out_validation():
    splits = load_splits(DEFAULT_RECIPE)
    (X_tr, y_tr), (X_val, y_val), (X_te, y_te) = splits
    assert X_tr.shape == (60000 - DEFAULT_RECIPE.val_size, 784) and X_val.shape == (DEFAULT_RECIPE.val_size, 784)
    assert X_te.shape == (10000, 784) and X_tr.dtype == np.float32
    full = np.concatenate([X_tr, X_val])
    assert abs(full.mean()) < 1e-3 and abs(full.std() - 1) < 1e-3
    assert len(np.unique(np.concatenate([y_tr, y_val]))) == 10
    np.testing.assert_array_equal(load_splits(DEFAULT_RECIPE).val[1], y_val)  # the seed decides the split
    assert not np.array_equal(load_splits(DEFAULT_RECIPE.replace(seed=1)).val[1], y_val)
    assert load_splits(DEFAULT_RECIPE.replace(val_size=0)).val is None
    small = load_splits(DEFAULT_RECIPE.replace(train_size=100, dtype="float64"))
    assert small.train[0].shape == (100, 784) and small.train[0].dtype == np.float64
    np.testing.assert_array_equal(small.train[1], y_tr[:100])
