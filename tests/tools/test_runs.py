"""course_lib.tools.runs: one MNIST run of a lesson's recipe, as `course-lib train` and the benchmarks make it.

The runs here train on 2000 training images for one epoch (a fraction of a second each), validate
on the recipe's 5000 held-out images and test on all 10 000 test images.
"""

from __future__ import annotations

import dataclasses
import json
import math

import pytest
import torch

from course_lib.lessons.l07_mnist_from_scratch.mnist_mlp import DEFAULT_RECIPE
from course_lib.lessons.l08_mnist_with_pytorch.mnist_cnn import CNN_CPU_RECIPE
from course_lib.recipes import Recipe
from course_lib.tools.runs import RunReport, default_recipe, train_run

LIMIT = 2000
KINDS = [("numpy", "mlp"), ("torch", "mlp"), ("torch", "cnn")]


def _recipe(model: str, seed: int = 0, **changes) -> Recipe:
    return default_recipe(model).replace(seed=seed, train_size=LIMIT, batch_size=64, **{"epochs": 1, **changes})


def _run(impl: str, model: str, seed: int = 0, **changes) -> RunReport:
    return train_run(_recipe(model, seed, **changes), impl=impl, device="cpu" if impl == "torch" else None, progress=False)


@pytest.fixture(scope="module")
def seed0_reports() -> dict[tuple[str, str], RunReport]:
    """One run of each kind with seed 0, shared by the tests that only read it."""
    return {kind: _run(*kind) for kind in KINDS}


def test_the_defaults_are_the_lessons_recipes():
    assert default_recipe() is DEFAULT_RECIPE and default_recipe("mlp") is DEFAULT_RECIPE
    assert default_recipe("cnn") is CNN_CPU_RECIPE
    with pytest.raises(ValueError, match="model must be 'mlp' or 'cnn'"):
        default_recipe("rnn")


@pytest.mark.parametrize("kind", KINDS, ids="-".join)
def test_a_short_run_learns_and_reports_sane_figures(kind, seed0_reports):
    report = seed0_reports[kind]
    assert 0.5 < report.test_accuracy <= 1.0, "one epoch on 2000 images beats chance (0.1) by far"
    assert math.isfinite(report.test_loss) and 0 < report.test_loss < math.log(10)
    assert report.seconds > 0
    assert report.samples_per_second == pytest.approx(LIMIT / report.seconds)
    assert report.device == "cpu" and report.impl == kind[0]
    assert report.epochs_run == 1 and report.train_samples == LIMIT
    assert len(report.train_losses) == 1 and 0 < report.train_losses[0] < math.log(10) * 2
    assert report.recipe == _recipe(kind[1])


@pytest.mark.parametrize("kind", KINDS, ids="-".join)
def test_same_seed_same_losses_and_another_seed_other_losses(kind, seed0_reports):
    again = _run(*kind)
    first = seed0_reports[kind]
    assert again.train_losses == first.train_losses  # exactly: every random draw comes from the seed
    assert (again.test_accuracy, again.test_loss) == (first.test_accuracy, first.test_loss)
    other = _run(*kind, seed=1)
    assert other.train_losses != first.train_losses


def test_the_numpy_run_is_lesson_07s_training_function():
    from course_lib.lessons.l07_mnist_from_scratch.mnist_mlp import train_mlp
    from course_lib.recipes import load_splits

    recipe = _recipe("mlp")
    _, history = train_mlp(recipe, splits=load_splits(recipe), progress=False)
    assert _run("numpy", "mlp").train_losses == [float(v) for v in history["train_loss"]]


def test_report_to_dict_is_plain_json(seed0_reports):
    report = seed0_reports[("numpy", "mlp")]
    data = json.loads(json.dumps(report.to_dict()))
    assert set(data) == {f.name for f in dataclasses.fields(RunReport)}
    assert data["train_losses"] == report.train_losses and data["test_accuracy"] == report.test_accuracy
    assert data["recipe"]["hidden"] == [256, 128] and data["recipe"]["train_size"] == LIMIT
    assert data["recipe"]["optimizer"] == "nesterov" and data["impl"] == "numpy"
    assert all(isinstance(data[k], float) for k in ("test_accuracy", "test_loss", "seconds", "samples_per_second"))


def test_more_epochs_record_one_loss_each_and_the_loss_falls():
    report = _run("numpy", "mlp", epochs=3)
    assert report.epochs_run == 3 and len(report.train_losses) == 3
    assert report.train_losses[2] < report.train_losses[0]
    assert report.samples_per_second == pytest.approx(3 * LIMIT / report.seconds)


def test_target_accuracy_stops_early_on_validation_or_runs_all_epochs():
    reached = train_run(_recipe("mlp", epochs=5), target_accuracy=0.5, progress=False)
    assert reached.epochs_run == 1 and reached.test_accuracy >= 0.5
    unreachable = train_run(_recipe("mlp", epochs=2), target_accuracy=1.0, progress=False)
    assert unreachable.epochs_run == 2


def test_adam_trains_too():
    report = _run("torch", "mlp", optimizer="Adam", lr=1e-3)
    assert report.recipe.optimizer == "Adam" and report.test_accuracy > 0.5


@pytest.mark.parametrize(
    ("recipe", "kwargs", "error", "message"),
    [
        (DEFAULT_RECIPE, {"impl": "jax"}, ValueError, "impl must be one of"),
        (CNN_CPU_RECIPE, {"impl": "numpy"}, ValueError, "NumPy implementation has no CNN"),
        (DEFAULT_RECIPE, {"impl": "numpy", "device": "cuda"}, ValueError, "runs on the CPU only"),
        (DEFAULT_RECIPE, {"target_accuracy": 1.5}, ValueError, "target_accuracy must be a fraction"),
        (DEFAULT_RECIPE.replace(val_size=0), {"target_accuracy": 0.9}, ValueError, "validation split"),
        ({"impl": "numpy"}, {}, TypeError, "expects a Recipe"),
    ],
)
def test_train_run_refuses_what_does_not_fit_before_any_work(recipe, kwargs, error, message):
    with pytest.raises(error, match=message):
        train_run(recipe, progress=False, **kwargs)


def test_amp_off_cuda_is_refused_before_any_work():
    with pytest.raises(ValueError, match="amp .* is meant for CUDA"):
        train_run(_recipe("mlp", amp=True), impl="torch", device="cpu", progress=False)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device")
def test_a_missing_gpu_is_a_runtime_error():
    with pytest.raises(RuntimeError, match="not available on this machine"):
        train_run(_recipe("mlp"), impl="torch", device="cuda", progress=False)


@pytest.mark.cuda
@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_a_cuda_run_with_bf16_autocast(model):
    report = train_run(_recipe(model, amp=True), impl="torch", device="cuda", progress=False)
    assert report.device.startswith("cuda") and report.test_accuracy > 0.5
