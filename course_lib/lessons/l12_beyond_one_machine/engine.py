"""Lesson 12, sections 2-4: the proof, the engine and the cost of data-parallel training, measured.

- :func:`train_command` and :func:`run_train`: the command a learner types, ``course-lib train --impl torch
  --nproc N ...``, built and run as a subprocess; its last line, the run's JSON, read back as a dict (step
  losses, test accuracy and loss, the weights' SHA-256, timings). A lesson never imports ``course_lib.tools``:
  it runs the tool as a learner would.
- :func:`compare_runs`: how far two runs' per-step losses, test results and weights' digests are apart.
- :func:`measure_allreduce`: the time of one ``all_reduce`` against message size, on ``nproc`` gloo processes
  started by ``torchrun``; this module is their worker (``python -m`` this module, under torchrun).
- :func:`fit_latency_bandwidth`: the fit ``t(n) = α + n/β`` (latency α, bandwidth β) to those times, and
  :func:`step_time`, the simple model of one data-parallel step: compute/R + communicate.
- :func:`lr_scaling`: the linear learning-rate scaling rule measured on section 1's simulated ranks.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

#: What the lesson reads from a data-parallel run's JSON line.
RUN_KEYS = ("step_losses", "test_accuracy", "test_loss", "weights_sha256", "timings", "nproc")


def _whole(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be a whole number >= {low}, got {value!r}; pass e.g. {name}={max(low, 2)}.")
    return int(value)


def train_command(nproc: int, batch_size: int, *, hidden: int = 32, limit: int = 1024, epochs: int = 1,
                  seed: int = 0) -> list[str]:
    """The ``course-lib train`` command of a data-parallel run on the CPU, as a list for ``subprocess``.

    ``batch_size`` is per process: a step takes ``nproc * batch_size`` samples. The MLP has one hidden layer of
    ``hidden`` units and trains on the first ``limit`` training images for ``epochs`` epochs.
    """
    nproc, batch_size = _whole("nproc", nproc, 1), _whole("batch_size", batch_size, 1)
    hidden, limit, epochs = _whole("hidden", hidden, 1), _whole("limit", limit, 1), _whole("epochs", epochs, 1)
    seed = _whole("seed", seed, 0)
    return [sys.executable, "-m", "course_lib.tools.cli", "train", "--impl", "torch", "--device", "cpu",
            "--nproc", str(nproc), "--batch-size", str(batch_size), "--hidden", str(hidden), "--limit", str(limit),
            "--epochs", str(epochs), "--seed", str(seed), "--json-only", "--no-progress"]


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:]) or "(nothing)"


def run_train(nproc: int, batch_size: int, *, timeout: float = 180.0, **options) -> dict:
    """Run :func:`train_command` and return its JSON line as a dict, with ``wall`` (this call's seconds) added.

    Raises:
        RuntimeError: the command failed, passed ``timeout`` seconds, or printed no JSON line with
            :data:`RUN_KEYS`; the message holds the tail of its stderr.
    """
    command = train_command(nproc, batch_size, **options)
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env={**os.environ})
    except subprocess.TimeoutExpired as err:
        raise RuntimeError(f"`{' '.join(command[1:])}` passed its time limit of {timeout:g} s; give it more time "
                           f"(timeout=...) or a smaller run (limit=...). Its stderr, last lines:\n"
                           f"{_tail(err.stderr if isinstance(err.stderr, str) else '')}") from None
    wall = time.perf_counter() - start
    lines = done.stdout.strip().splitlines()
    try:
        data = json.loads(lines[-1]) if done.returncode == 0 and lines else None
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict) or any(key not in data for key in RUN_KEYS):
        raise RuntimeError(f"`{' '.join(command[1:])}` failed (exit code {done.returncode}) or printed no JSON line "
                           f"with {', '.join(RUN_KEYS)}; is course_lib importable (PYTHONPATH)? Its stderr, last "
                           f"lines:\n{_tail(done.stderr)}")
    return {**data, "wall": wall}


def compare_runs(a: dict, b: dict) -> dict:
    """How far two runs of :func:`run_train` are apart: ``max_step_gap`` (largest |difference| of the per-step
    losses), ``accuracy_gap``, ``test_loss_gap``, ``same_digest`` (bit-identical weights) and ``steps``."""
    for name, run in (("a", a), ("b", b)):
        if not isinstance(run, dict) or any(key not in run for key in RUN_KEYS):
            raise ValueError(f"compare_runs expects two results of run_train (dicts with {', '.join(RUN_KEYS)}); "
                             f"{name} is not one.")
    la, lb = np.asarray(a["step_losses"], dtype=float), np.asarray(b["step_losses"], dtype=float)
    if la.shape != lb.shape:
        raise ValueError(f"the runs took {len(la)} and {len(lb)} steps; compare runs with the same global batch "
                         f"(nproc × batch_size) and the same data.")
    return {"max_step_gap": float(np.abs(la - lb).max()), "steps": len(la),
            "accuracy_gap": abs(a["test_accuracy"] - b["test_accuracy"]),
            "test_loss_gap": abs(a["test_loss"] - b["test_loss"]), "same_digest": a["weights_sha256"] == b["weights_sha256"]}


# --------------------------------------------------------------------------------------------------
# Section 4: all-reduce time against message size
# --------------------------------------------------------------------------------------------------


def _worker(out: str, sizes: list[int], rounds: int) -> None:
    """One of the torchrun processes: time ``all_reduce`` of float32 tensors of ``sizes`` bytes, ``rounds`` times."""
    import datetime

    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=60))
    finished = False
    try:
        tensors = {size: torch.ones(max(size // 4, 1)) for size in sizes}
        for tensor in tensors.values():  # warm-up: gloo sets up its buffers on first use
            dist.all_reduce(tensor)
        times: dict[int, list[float]] = {size: [] for size in sizes}
        for round_ in range(rounds):
            for size in sizes if round_ % 2 == 0 else sizes[::-1]:  # alternate, so a busy moment hits all sizes
                dist.barrier()
                start = time.perf_counter()
                dist.all_reduce(tensors[size])
                times[size].append(time.perf_counter() - start)
        if dist.get_rank() == 0:
            Path(out).write_text(json.dumps({str(size): values for size, values in times.items()}))
        finished = True
    finally:
        if finished:
            dist.barrier()  # nobody tears the group down while another still uses it
        dist.destroy_process_group()


def measure_allreduce(sizes=(2**10, 2**13, 2**16, 2**19, 2**23), *, rounds: int = 21, nproc: int = 2,
                      timeout: float = 120.0) -> dict[str, np.ndarray]:
    """Median seconds of one ``all_reduce`` (sum) of float32 tensors of ``sizes`` bytes on ``nproc`` gloo
    processes, each with one thread, started by ``torchrun --standalone``. Returns ``bytes``, ``seconds`` (the
    medians) and ``fastest`` (each size's quickest try); ``benchmarks/bench_allreduce.py`` records the same."""
    sizes = [_whole("size", s, 4) for s in sizes]
    rounds, nproc = _whole("rounds", rounds, 1), _whole("nproc", nproc, 2)
    with tempfile.TemporaryDirectory(prefix="course_lib_l12_") as folder:
        out = Path(folder) / "times.json"
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
                   "-m", __name__, "--out", str(out), "--rounds", str(rounds), "--sizes", *map(str, sizes)]
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"the all-reduce measurement passed its time limit of {timeout:g} s; measure fewer or "
                               f"smaller sizes, or fewer rounds.") from None
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(f"the all-reduce measurement failed (torchrun exit code {done.returncode}). Its "
                               f"output, last lines:\n{_tail(done.stdout + done.stderr)}")
        times = json.loads(out.read_text())
    return {"bytes": np.array(sizes, dtype=float),
            "seconds": np.array([statistics.median(times[str(s)]) for s in sizes]),
            "fastest": np.array([min(times[str(s)]) for s in sizes])}


def fit_latency_bandwidth(nbytes, seconds) -> tuple[float, float]:
    """Fit ``t = α + n/β`` to measured times; returns (α in seconds, β in bytes per second).

    The fit weighs each point by 1/t, so a 1 KB message counts as much as a 4 MB one (relative errors).
    """
    n, t = np.asarray(nbytes, dtype=float), np.asarray(seconds, dtype=float)
    if n.ndim != 1 or n.shape != t.shape or len(n) < 2 or not (np.all(n > 0) and np.all(t > 0)):
        raise ValueError(f"fit_latency_bandwidth expects two 1-d arrays of the same length >= 2 of positive sizes "
                         f"and times; got shapes {n.shape} and {t.shape}. Pass measure_allreduce's bytes and seconds.")
    design = np.stack([np.ones_like(n), n], axis=1) / t[:, None]
    (alpha, inverse), *_ = np.linalg.lstsq(design, np.ones_like(t), rcond=None)
    if inverse <= 0:
        raise ValueError("the times do not grow with the size; measure a wider range of sizes (up to a few MB).")
    return max(float(alpha), 0.0), float(1.0 / inverse)


def step_time(compute: float, R, nbytes: float, alpha: float, beta: float):
    """The simple model of one data-parallel step on R processes: ``compute / R + (α + n/β)`` for R > 1 (each
    process computes its share, then the gradients of ``nbytes`` bytes are all-reduced), ``compute`` for R = 1."""
    R = np.asarray(R, dtype=float)
    return compute / R + np.where(R > 1, alpha + nbytes / beta, 0.0)


# --------------------------------------------------------------------------------------------------
# Section 4: the linear learning-rate scaling rule on section 1's simulated ranks
# --------------------------------------------------------------------------------------------------


def lr_scaling(world_sizes=(1, 2, 4, 8), *, batch: int = 8, samples: int = 960, lr: float = 0.1,
               seeds=(0, 1, 2)) -> dict[str, np.ndarray]:
    """Softmax regression on section 1's blobs, trained on R simulated ranks with batch ``batch`` each, for the
    same number of ``samples`` (samples / (R·batch) steps), once with the learning rate ``lr`` and once with
    ``R·lr``. Returns ``world_sizes`` and the final loss on all the blobs, ``same_lr`` and ``scaled_lr``, one row
    per seed."""
    from course_lib.lessons.l12_beyond_one_machine.simulation import blobs, train_data_parallel
    from course_lib.numpy_nn.layers import Linear
    from course_lib.numpy_nn.losses import CrossEntropyLoss

    sizes = [_whole("world size", R, 1) for R in world_sizes]
    batch, samples = _whole("batch", batch, 1), _whole("samples", samples, 1)
    if any(samples < R * batch for R in sizes):
        raise ValueError(f"samples ({samples}) must be at least R·batch for every R; raise samples.")
    result: dict[str, list] = {"same_lr": [], "scaled_lr": []}
    for seed in seeds:
        X, y = blobs(seed=seed)
        for key, factor in (("same_lr", lambda R: 1), ("scaled_lr", lambda R: R)):
            row = []
            for R in sizes:
                w = train_data_parallel(R, batch, samples // (R * batch), lr=lr * factor(R), seed=seed)["weights"][-1]
                model = Linear(X.shape[1], 3, rng=np.random.default_rng(0))
                W, b = model.parameters()
                W.data, b.data = w[:W.data.size].reshape(W.data.shape), w[W.data.size:]
                row.append(float(CrossEntropyLoss()(model(X), y)))
            result[key].append(row)
    return {"world_sizes": np.array(sizes), **{k: np.array(v) for k, v in result.items()}}


def _main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog=f"python -m {__name__}", description="Time all_reduce (a torchrun worker).")
    parser.add_argument("--out", required=True)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--sizes", type=int, nargs="+", required=True)
    args = parser.parse_args(argv)
    if "RANK" not in os.environ:
        parser.error("run me under torchrun, or call measure_allreduce()")
    _worker(args.out, args.sizes, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
