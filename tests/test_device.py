"""course_lib.device: choosing the device, seeding, describing the environment."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from course_lib.device import DEVICE_ENV_VAR, describe_environment, environment_info, get_device, seed_everything


@pytest.fixture(autouse=True)
def _no_device_override(monkeypatch):
    monkeypatch.delenv(DEVICE_ENV_VAR, raising=False)


def test_automatic_choice_prefers_cuda_then_mps_then_cpu():
    if torch.cuda.is_available():
        expected = "cuda"
    elif torch.backends.mps.is_available():
        expected = "mps"
    else:
        expected = "cpu"
    assert get_device().type == expected


def test_argument_and_environment_variable_override(monkeypatch):
    assert get_device("cpu") == torch.device("cpu")
    assert get_device(" CPU ") == torch.device("cpu")
    monkeypatch.setenv(DEVICE_ENV_VAR, "cpu")
    assert get_device() == torch.device("cpu")


@pytest.mark.parametrize("name", ["tpu", "gpu", "cuda0x"])
def test_unknown_device_is_named(name):
    with pytest.raises(ValueError, match="Unknown device") as err:
        get_device(name)
    assert repr(name) in str(err.value) and "'cpu'" in str(err.value)


def test_bad_environment_variable_says_where_it_came_from(monkeypatch):
    monkeypatch.setenv(DEVICE_ENV_VAR, "quantum")
    with pytest.raises(ValueError, match=f"environment variable {DEVICE_ENV_VAR}"):
        get_device()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_cuda_without_a_gpu_is_a_clear_error():
    with pytest.raises(RuntimeError, match="not available on this machine"):
        get_device("cuda")


@pytest.mark.cuda
def test_cuda_is_chosen_and_indices_are_checked():
    assert get_device().type == "cuda"
    assert get_device("cuda:0") == torch.device("cuda", 0)
    with pytest.raises(RuntimeError, match="numbered from 0"):
        get_device(f"cuda:{torch.cuda.device_count()}")


def test_seed_everything_repeats_every_generator():
    def draw():
        rng = seed_everything(123)
        return rng.random(3), np.random.random(), random.random(), torch.rand(3)

    first, second = draw(), draw()
    np.testing.assert_array_equal(first[0], second[0])
    assert first[1:3] == second[1:3]
    assert torch.equal(first[3], second[3])
    assert not np.array_equal(seed_everything(124).random(3), first[0])


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "0", True, None])
def test_seed_everything_refuses_bad_seeds(seed):
    with pytest.raises(ValueError, match="seed must be a whole number"):
        seed_everything(seed)


def test_environment_report_names_versions_and_device():
    info = environment_info()
    assert info["torch"] == torch.__version__ and info["numpy"] == np.__version__
    assert info["device"] == str(get_device())
    report = describe_environment()
    assert report.count("\n") == len(info) - 1
    assert "device" in report and torch.__version__ in report
