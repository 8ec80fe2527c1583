"""Which device computes, how randomness is seeded, and what this machine is.

Code in the course never calls ``.cuda()``: it asks :func:`get_device`, which picks CUDA when an
NVIDIA GPU is present, else Apple's MPS, else the CPU. torch is imported only when one of these
functions runs, so ``import course_lib`` stays quick.
"""

from __future__ import annotations

import os
import platform
import random
import sys
from importlib import metadata
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = ["DEVICE_ENV_VAR", "describe_environment", "environment_info", "get_device", "seed_everything"]

DEVICE_ENV_VAR = "COURSE_LIB_DEVICE"
_KNOWN = ("cpu", "cuda", "mps")


def _available(kind: str) -> bool:
    import torch

    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        return torch.backends.mps.is_available()
    return kind == "cpu"


def get_device(preferred: str | None = None) -> "torch.device":
    """The device to compute on: cuda, else mps, else cpu.

    Args:
        preferred: ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or ``"mps"`` forces a device. When it is None
            the environment variable ``COURSE_LIB_DEVICE`` is consulted, then the automatic choice.

    Raises:
        ValueError: an unknown device name.
        RuntimeError: the requested device is not available on this machine.
    """
    import torch

    source = "argument"
    if preferred is None:
        preferred = os.environ.get(DEVICE_ENV_VAR) or None
        source = f"environment variable {DEVICE_ENV_VAR}"
    if preferred is None:
        for kind in ("cuda", "mps"):
            if _available(kind):
                return torch.device(kind)
        return torch.device("cpu")

    kind = str(preferred).split(":")[0].strip().lower()
    if kind not in _KNOWN:
        raise ValueError(
            f"Unknown device {preferred!r} (from the {source}); expected one of 'cpu', 'cuda', "
            f"'cuda:N' or 'mps', or leave it unset to choose automatically."
        )
    if not _available(kind):
        raise RuntimeError(
            f"Device {preferred!r} was requested (from the {source}) but is not available on this "
            f"machine: torch {torch.__version__} sees no {kind.upper()} device. Use 'cpu', or leave "
            f"the device unset to choose automatically."
        )
    device = torch.device(str(preferred).strip().lower())
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise RuntimeError(
            f"Device {preferred!r} was requested but this machine has "
            f"{torch.cuda.device_count()} CUDA device(s), numbered from 0."
        )
    return device


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python's, NumPy's and torch's random generators; return a fresh NumPy Generator.

    The course passes the returned generator explicitly (``rng``) wherever NumPy draws random
    numbers; the global seeds are set too so that third-party code and torch's layer
    initialisation repeat from run to run.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be a whole number between 0 and 2**32 - 1, got {seed!r}.")
    import torch

    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds every CUDA device too
    return np.random.default_rng(seed)


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment_info() -> dict[str, str]:
    """Versions, hardware and the chosen device, as an ordered ``{what: value}`` dictionary."""
    import torch

    info = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpu cores": str(os.cpu_count()),
        "course-lib": _version("course-lib"),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "matplotlib": _version("matplotlib"),
        "ipywidgets": _version("ipywidgets"),
        "torch threads": str(torch.get_num_threads()),
        "cuda available": str(torch.cuda.is_available()),
    }
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        info["gpu"] = f"{props.name}, {props.total_memory / 2**30:.1f} GiB, compute {props.major}.{props.minor}"
        info["cuda version"] = str(torch.version.cuda)
    info["mps available"] = str(torch.backends.mps.is_available())
    try:
        info["device"] = str(get_device())
    except (ValueError, RuntimeError) as err:
        info["device"] = f"error: {err}"
    return info


def describe_environment() -> str:
    """A short report of versions, hardware and the chosen device, one ``what: value`` per line."""
    info = environment_info()
    width = max(map(len, info))
    return "\n".join(f"{key:<{width}} : {value}" for key, value in info.items())
