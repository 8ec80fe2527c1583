"""course_lib.tools.runs: one MNIST run, as `course-lib train` and the benchmarks make it.

The runs here train on the first 2000 training images for one epoch (a fraction of a second each)
and test on all 10 000 test images.
"""

from __future__ import annotations

import dataclasses
import json
import math

import pytest
import torch

from course_lib.tools.runs import DEFAULT_HIDDEN, RunConfig, RunReport, train_run

LIMIT = 2000
KINDS = [("numpy", "mlp"), ("torch", "mlp"), ("torch", "cnn")]


def _config(impl: str, model: str, seed: int = 0, **kwargs) -> RunConfig:
    device = "cpu" if impl == "torch" else None
    return RunConfig(impl=impl, model=model, seed=seed, device=device, limit=LIMIT, batch_size=64, **kwargs)


@pytest.fixture(scope="module")
def seed0_reports() -> dict[tuple[str, str], RunReport]:
    """One run of each kind with seed 0, shared by the tests that only read it."""
    return {kind: train_run(_config(*kind), progress=False) for kind in KINDS}


@pytest.mark.parametrize("kind", KINDS, ids="-".join)
def test_a_short_run_learns_and_reports_sane_figures(kind, seed0_reports):
    report = seed0_reports[kind]
    assert 0.5 < report.test_accuracy <= 1.0, "one epoch on 2000 images beats chance (0.1) by far"
    assert math.isfinite(report.test_loss) and 0 < report.test_loss < math.log(10)
    assert report.seconds > 0
    assert report.samples_per_second == pytest.approx(LIMIT / report.seconds)
    assert report.device == "cpu"
    assert report.epochs_run == 1 and report.train_samples == LIMIT
    assert len(report.train_losses) == 1 and 0 < report.train_losses[0] < math.log(10) * 2
    assert report.config == _config(*kind)


@pytest.mark.parametrize("kind", KINDS, ids="-".join)
def test_same_seed_same_losses_and_another_seed_other_losses(kind, seed0_reports):
    again = train_run(_config(*kind), progress=False)
    first = seed0_reports[kind]
    assert again.train_losses == first.train_losses  # exactly: every random draw comes from the seed
    assert (again.test_accuracy, again.test_loss) == (first.test_accuracy, first.test_loss)
    other = train_run(_config(*kind, seed=1), progress=False)
    assert other.train_losses != first.train_losses


def test_report_to_dict_is_plain_json(seed0_reports):
    report = seed0_reports[("numpy", "mlp")]
    data = json.loads(json.dumps(report.to_dict()))
    assert set(data) == {f.name for f in dataclasses.fields(RunReport)}
    assert data["train_losses"] == report.train_losses and data["test_accuracy"] == report.test_accuracy
    assert data["config"]["hidden"] == list(DEFAULT_HIDDEN) and data["config"]["limit"] == LIMIT
    assert all(isinstance(data[k], float) for k in ("test_accuracy", "test_loss", "seconds", "samples_per_second"))


def test_more_epochs_record_one_loss_each_and_the_loss_falls():
    report = train_run(_config("numpy", "mlp", epochs=3), progress=False)
    assert report.epochs_run == 3 and len(report.train_losses) == 3
    assert report.train_losses[2] < report.train_losses[0]
    assert report.samples_per_second == pytest.approx(3 * LIMIT / report.seconds)


def test_target_accuracy_stops_early_or_runs_all_epochs():
    reached = train_run(_config("numpy", "mlp", epochs=5, target_accuracy=0.5), progress=False)
    assert reached.epochs_run == 1 and reached.test_accuracy >= 0.5
    unreachable = train_run(_config("numpy", "mlp", epochs=2, target_accuracy=1.0), progress=False)
    assert unreachable.epochs_run == 2


def test_adam_trains_too():
    report = train_run(_config("torch", "mlp", optimizer="adam"), progress=False)
    assert report.config.lr == 1e-3 and report.test_accuracy > 0.5


# ---- the config ------------------------------------------------------------------------------


def test_config_fills_in_its_defaults():
    config = RunConfig()
    assert (config.impl, config.model, config.epochs, config.batch_size, config.seed) == ("numpy", "mlp", 1, 128, 0)
    assert config.lr == 0.05 and config.optimizer == "sgd"
    assert config.hidden == (256, 128) and config.sizes == (784, 256, 128, 10)
    assert RunConfig(optimizer="adam").lr == 1e-3
    assert RunConfig(impl="torch", model="cnn").hidden is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.lr = 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"impl": "jax"}, "impl must be one of"),
        ({"model": "cnn"}, "NumPy implementation has no CNN"),
        ({"epochs": 0}, "epochs must be a whole number of at least 1"),
        ({"epochs": 1.5}, "epochs must be a whole number"),
        ({"batch_size": 0}, "batch_size must be"),
        ({"lr": -1.0}, "lr must be a positive finite number"),
        ({"lr": float("nan")}, "lr must be a positive finite number"),
        ({"seed": -1}, "seed must be"),
        ({"seed": 2**32}, "seed must be below 2**32"),
        ({"optimizer": "lbfgs"}, "optimizer must be one of"),
        ({"hidden": (256, 0)}, "hidden must be positive"),
        ({"impl": "torch", "model": "cnn", "hidden": (64,)}, "the CNN takes none"),
        ({"limit": 60_001}, "limit must be at most 60000"),
        ({"device": "cuda"}, "runs on the CPU only"),
        ({"amp": True}, "amp"),
        ({"target_accuracy": 1.5}, "target_accuracy must be a fraction"),
    ],
)
def test_config_rejects_bad_values_clearly(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("*", r"\*")):
        RunConfig(**kwargs)


def test_train_run_wants_a_config():
    with pytest.raises(TypeError, match="expects a RunConfig"):
        train_run({"impl": "numpy"})


def test_amp_off_cuda_is_refused_before_any_work():
    with pytest.raises(ValueError, match="amp .* is meant for CUDA"):
        train_run(RunConfig(impl="torch", device="cpu", amp=True, limit=LIMIT), progress=False)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device")
def test_a_missing_gpu_is_a_runtime_error():
    with pytest.raises(RuntimeError, match="not available on this machine"):
        train_run(RunConfig(impl="torch", device="cuda", limit=LIMIT), progress=False)


@pytest.mark.cuda
@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_a_cuda_run_with_bf16_autocast(model):
    report = train_run(RunConfig(impl="torch", model=model, device="cuda", amp=True, limit=LIMIT, batch_size=64), progress=False)
    assert report.device.startswith("cuda") and report.test_accuracy > 0.5
