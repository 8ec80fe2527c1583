"""Data-parallel training of a recipe on several processes: torch's DistributedDataParallel under torchrun.

Two halves. :func:`run_ddp` (the launcher) runs ``torchrun`` as a subprocess and reads back what
rank 0 wrote; :func:`worker_main` (the worker) is what each of the N processes runs::

    python -m torch.distributed.run --standalone --nproc_per_node 2 -m course_lib.tools.ddp \\
        --recipe '{"model": "mlp", "batch_size": 64}' --out result.json

    result = run_ddp(DEFAULT_RECIPE.replace(epochs=1, train_size=4096), nproc=2)
    result.report.train_losses, result.step_losses, result.weights_sha256, result.timings

The worker is a module, not a notebook cell: processes started by spawn (the only safe start
method, and Python 3.14's default) import the function they run by name, and a function defined
in a notebook's ``__main__`` cannot be imported.

**The batch.** ``recipe.batch_size`` is per process, torch's DDP convention: N processes with
batch B take one step on a global batch of N·B. Every rank draws the same permutation from the
recipe's seed (the single-process run's stream, ``fit``'s order), cuts it into global batches of
N·B and takes its own slice of B. DDP averages the gradients over the ranks, and each rank's loss
is weighted by its share of the global batch, so a step's gradient is the mean over the global
batch, exactly that of one process with batch N·B, even for an uneven last batch. A last global
batch with fewer samples than processes is dropped (a rank would have nothing to train on).

What still differs from one process with N·B: dropout masks (ranks > 0 draw from their own seed:
equal masks on every rank would correlate the halves), batch-norm statistics (each rank
normalises over its own B samples; ``torch.nn.SyncBatchNorm`` computes them over N·B), and the
float rounding of a sum split in N parts (about 1e-7 relative in float32, 1e-15 in float64).

**Threads.** On a CPU each worker uses one thread (``OMP_NUM_THREADS=1`` and
``torch.set_num_threads(1)``): N processes with torch's default of one thread per core would
oversubscribe the cores many times over.

**Pitfalls built in**: ``dist.barrier()`` before ``destroy_process_group()`` (the issue measured 4
aborts at shutdown, SIGABRT after training had finished, in 19 runs without it and none in 10 with
it; on torch 2.13 with gloo, 10 runs without it and 20 with it all ended cleanly here);
once its result is written and the group destroyed, a worker leaves with ``os._exit(0)``, without the
interpreter's teardown: ``destroy_process_group`` drops only torch's own reference to the group, DDP
holds another, and a gloo group torn down with the interpreter can abort the process (pytorch/pytorch
pull request 179291 describes how). Here rank 1, which has nothing to write and leaves first, died
so ("terminate called without an active exception", SIGABRT) in 11 of 269 runs while other processes
kept both cores busy (lesson 12's ``course-lib train --nproc 2``, 7 of 169, and a minimal DDP worker,
4 of 100), and in none of 122 runs that left by ``os._exit`` (52 and 70); every collective has a
``timeout``, so a dead or stuck worker fails the run with a message instead of hanging, and that
message ends with the failing rank's own last lines (each worker writes to files of its own,
torchrun's ``--redirects``); ``--standalone`` picks a free port for every run, so two runs at once do not collide;
the launcher kills the whole process group when its wall-clock timeout passes.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["DdpError", "DdpResult", "run_ddp", "weights_digest", "worker_main"]

#: Test hook: the rank named here exits at once after joining the group (the "dead worker" test).
FAIL_RANK_ENV = "COURSE_LIB_DDP_FAIL_RANK"
#: Test hook: the rank named here sleeps instead of training (the "stuck worker" test).
HANG_RANK_ENV = "COURSE_LIB_DDP_HANG_RANK"


def weights_digest(model: Any) -> str:
    """SHA-256 of a torch model's ``state_dict``: every key, dtype, shape and value, in order, on the CPU."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        array = tensor.detach().cpu().contiguous().numpy()
        digest.update(f"{name}:{array.dtype}:{array.shape};".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------------
# The worker: one process of N
# --------------------------------------------------------------------------------------------------


def _recipe_from_json(text: str) -> Any:
    from course_lib.recipes import Recipe

    fields = json.loads(text)
    return Recipe(**{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})


def _global_batches(n: int, batch_size: int, world: int) -> list[tuple[int, int]]:
    """(start, stop) of each global batch of ``world * batch_size``; a last one smaller than ``world`` is dropped."""
    size = world * batch_size
    return [(start, min(start + size, n)) for start in range(0, n, size) if min(start + size, n) - start >= world]


def _train(recipe: Any, *, rank: int, world: int, dtype: str, timeout: float, device: str | None = None,
           weights: str | None = None) -> dict[str, Any] | None:
    """Train on this rank's share of every global batch; rank 0 returns the result (and saves the
    weights to ``weights`` as ``.npz`` when given), the others None."""
    import numpy as np
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    from course_lib.device import seed_everything
    from course_lib.lessons.l08_mnist_with_pytorch.mnist_cnn import build_torch_model
    from course_lib.recipes import EPOCH_SCHEDULES, load_splits, make_schedule, recipe_optimizer
    from course_lib.torch_nn.losses import CrossEntropyLoss
    from course_lib.torch_nn.training import evaluate, to_device

    cuda = torch.cuda.is_available() if device is None else device == "cuda"
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', rank))}" if cuda else "cpu")
    started = time.perf_counter()
    dist.init_process_group("nccl" if cuda else "gloo", timeout=datetime.timedelta(seconds=timeout),
                            **({"device_id": device} if cuda else {}))
    joined = time.perf_counter()
    finished = False
    try:
        if os.environ.get(FAIL_RANK_ENV) == str(rank):
            print(f"rank {rank} exits with code 3 ({FAIL_RANK_ENV})", file=sys.stderr, flush=True)
            os._exit(3)  # a worker that dies at once, as one killed by the OOM killer would
        if os.environ.get(HANG_RANK_ENV) == str(rank):
            time.sleep(10 * timeout)  # the others wait in their first collective (DDP's broadcast) until its timeout
        splits = load_splits(recipe)
        seed_everything(recipe.seed)  # the same initial weights on every rank (DDP broadcasts rank 0's anyway)
        model = build_torch_model(recipe).to(device, getattr(torch, dtype))
        if rank > 0:  # dropout: a stream of its own per rank; rank 0 keeps the single-process stream
            torch.manual_seed(recipe.seed + 7919 * rank)
        ddp = DistributedDataParallel(model, device_ids=[device.index] if cuda else None)
        X, y = to_device(splits.train, device, getattr(torch, dtype), name="train")
        n, batches = len(X), _global_batches(len(X), recipe.batch_size, world)
        loss_fn = CrossEntropyLoss(label_smoothing=recipe.label_smoothing)
        optimizer = recipe_optimizer(recipe, ddp.parameters())
        scheduler = make_schedule(recipe, optimizer, len(batches))
        order_rng = np.random.default_rng(recipe.seed).spawn(2)[1]  # lesson 08's batch-order stream
        step_losses, epoch_losses, epoch_seconds = [], [], []
        for _ in range(recipe.epochs):
            ddp.train()
            start = time.perf_counter()
            order = torch.as_tensor(order_rng.permutation(n), device=device)
            sums = torch.zeros(len(batches), device=device, dtype=torch.float64)  # this rank's loss sums
            for i, (begin, end) in enumerate(batches):
                mine = torch.tensor_split(order[begin:end], world)[rank]
                optimizer.zero_grad(set_to_none=True)
                loss = loss_fn(ddp(X[mine]), y[mine])
                # DDP averages over the ranks; weighting by the share makes it the global batch's mean.
                (loss * (len(mine) * world / (end - begin))).backward()
                optimizer.step()
                sums[i] = loss.detach().double() * len(mine)
            dist.all_reduce(sums)  # every rank's sums: the loss of each global batch
            sizes = torch.tensor([end - begin for begin, end in batches], dtype=torch.float64)
            losses = (sums.cpu() / sizes).tolist()
            step_losses += losses
            epoch_losses.append(float(np.dot(losses, sizes.numpy()) / sizes.sum().item()))
            epoch_seconds.append(time.perf_counter() - start)
            if scheduler is not None and recipe.schedule in EPOCH_SCHEDULES:
                scheduler.step()
        trained = time.perf_counter()
        finished = True
        if rank != 0:
            return None
        model.eval()
        if weights is not None:
            np.savez(weights, **{k: v.detach().cpu().numpy() for k, v in model.state_dict().items()})
        test = evaluate(model, loss_fn, splits.test, device=device)
        return {
            "test_accuracy": test["acc"], "test_loss": test["loss"], "seconds": sum(epoch_seconds),
            "samples_per_second": sum(b - a for a, b in batches) * recipe.epochs / sum(epoch_seconds),
            "device": str(device), "train_losses": epoch_losses, "epochs_run": recipe.epochs,
            "train_samples": sum(b - a for a, b in batches), "step_losses": step_losses,
            "weights_sha256": weights_digest(model), "nproc": world, "dtype": dtype,
            "timings": {"join_group": joined - started, "epochs": epoch_seconds, "train": trained - joined,
                        "worker": time.perf_counter() - started},
        }
    finally:
        # Every rank done before any tears the group down (without it: SIGABRT at exit, 4 runs in 19 in the issue).
        # After a failure it is skipped: the group is broken, and the error should surface at once.
        if finished:
            dist.barrier()
        dist.destroy_process_group()


def _exit_with_parent() -> None:
    """Exit when torchrun does: its workers run in sessions of their own, and one killed with it would live on."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="exit-with-torchrun").start()


def worker_main(argv: list[str] | None = None) -> NoReturn:
    """The worker's entry point, one per process (torchrun sets RANK, WORLD_SIZE and the rendezvous).

    It ends its process (``os._exit(0)``) when its work is done, and never returns.
    """
    parser = argparse.ArgumentParser(prog="python -m course_lib.tools.ddp", description="One data-parallel worker.")
    parser.add_argument("--recipe", required=True, help="the recipe's fields as JSON (batch_size is per process)")
    parser.add_argument("--out", required=True, help="where rank 0 writes the result as JSON")
    parser.add_argument("--weights", default=None, help="where rank 0 saves the trained weights (.npz)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default=None, help="default: cuda if present (nccl), else cpu (gloo)")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds any collective may wait")
    args = parser.parse_args(argv)
    if "RANK" not in os.environ:
        parser.error("run me under torchrun (python -m torch.distributed.run ...), or call run_ddp()")
    import torch

    _exit_with_parent()
    if args.device == "cpu" or not torch.cuda.is_available():
        torch.set_num_threads(1)  # N processes on the CPU: one thread each
    result = _train(_recipe_from_json(args.recipe), rank=int(os.environ["RANK"]),
                    world=int(os.environ["WORLD_SIZE"]), dtype=args.dtype, timeout=args.timeout,
                    device=args.device, weights=args.weights)
    if result is not None:
        tmp = Path(args.out).with_suffix(".partial")
        tmp.write_text(json.dumps(result))
        tmp.replace(args.out)  # all at once: a reader never sees half a file
    # The work is done and the group destroyed. Leave without the interpreter's teardown, where the gloo
    # group DDP still holds could abort the process (SIGABRT) and fail the finished run (module docstring).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


# --------------------------------------------------------------------------------------------------
# The launcher
# --------------------------------------------------------------------------------------------------


class DdpError(RuntimeError):
    """A data-parallel run failed: a worker died, or the run passed its time limit; the message ends with their output."""


@dataclass
class DdpResult:
    """What :func:`run_ddp` read back from rank 0.

    Attributes:
        report: the run as ``course-lib train`` reports it (a :class:`~course_lib.tools.runs.RunReport`).
        step_losses: the loss of every global batch, in order.
        weights_sha256: SHA-256 of the trained weights (:func:`weights_digest`).
        timings: seconds: ``join_group`` (the rendezvous), ``epochs`` (each), ``train``, ``worker``
            (rank 0's process), and ``launch`` (the launcher's wall time, torchrun's start included).
        nproc: the number of processes.
        weights: the trained ``state_dict`` as NumPy arrays, by name.
    """

    report: Any
    step_losses: list[float]
    weights_sha256: str
    timings: dict[str, Any]
    nproc: int
    weights: dict[str, Any]


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _first_failure(text: str) -> tuple[int | None, str]:
    """torchrun's "Root Cause" summary: the rank that failed first, and how, in a few words."""
    found = re.search(r"Root Cause.*?rank\s*:\s*(\d+).*?exitcode\s*:\s*(-?\d+)[^\n]*", text, flags=re.DOTALL)
    if found is None:
        return None, "; a worker died or raised"
    rank, code = int(found.group(1)), int(found.group(2))
    how = f"was killed by signal {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
    return rank, f": rank {rank} {how} first"


def _workers_output(logs: Path, ranks: Iterable[int], lines: int = 15) -> str:
    """The last lines each of ``ranks`` wrote, from the files torchrun keeps per rank (``--redirects``)."""
    parts = []
    for rank in ranks:
        for stream in ("stderr", "stdout"):
            files = sorted(logs.glob(f"*/attempt_*/{rank}/{stream}.log"))
            text = "".join(path.read_text(errors="replace") for path in files)
            if text.strip():
                parts.append(f"rank {rank}, {stream}:\n{_tail(text, lines)}")
    return "\n".join(parts) or "(the workers wrote nothing)"


def _stop(process: subprocess.Popen) -> None:
    """Stop torchrun and its workers: SIGTERM, which torchrun passes on to each worker (each in a session
    of its own), then SIGKILL to torchrun's group if it has not exited within 30 s."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run_ddp(recipe: Any, nproc: int, *, device: str | None = None, dtype: str = "float32", timeout: float = 600.0,
            collective_timeout: float = 60.0, env: dict[str, str] | None = None) -> DdpResult:
    """Train ``recipe`` with DDP on ``nproc`` processes under torchrun; wait at most ``timeout`` seconds.

    Args:
        recipe: a :class:`~course_lib.recipes.Recipe` for the torch twin; its ``batch_size`` is per process.
        nproc: processes (one per GPU with CUDA; on a CPU, each with one thread).
        device: ``"cpu"`` (gloo) or ``"cuda"`` (nccl, one GPU per process); None: cuda if present.
        dtype: ``"float32"``, or ``"float64"`` for comparisons to tight tolerances.
        timeout: wall-clock seconds for the whole run, torchrun's start included.
        collective_timeout: seconds any one collective may wait for a peer before the run fails.
        env: extra environment variables for the workers.

    Raises:
        DdpError: a worker exited with an error, or the run took longer than ``timeout``.
    """
    import numpy as np

    from course_lib.recipes import Recipe, is_whole
    from course_lib.tools.runs import RunReport

    if not isinstance(recipe, Recipe):
        raise TypeError(f"run_ddp expects a Recipe; got {type(recipe).__name__}.")
    if not (is_whole(nproc) and nproc >= 1):
        raise ValueError(f"nproc must be a whole number >= 1, got {nproc!r}.")
    if device not in (None, "cpu", "cuda"):
        raise ValueError(f"device must be 'cpu', 'cuda' or None, got {device!r}.")
    if recipe.amp:
        raise ValueError("run_ddp trains in float32 or float64; use recipe.replace(amp=False).")
    fields = {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(recipe).items()}
    with tempfile.TemporaryDirectory(prefix="course_lib_ddp_") as folder:
        out, weights = Path(folder) / "result.json", Path(folder) / "weights.npz"
        # Each worker's output goes to files of its own (torchrun's --redirects), so that an error can show
        # the failing rank's last words; torchrun's own output goes to a file, not a pipe, which a worker
        # left behind could block.
        logs, log = Path(folder) / "logs", Path(folder) / "torchrun.log"
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
                   "--log-dir", str(logs), "--redirects", "3",
                   "-m", "course_lib.tools.ddp", "--recipe", json.dumps(fields), "--out", str(out),
                   "--weights", str(weights), "--dtype", dtype, "--timeout", str(collective_timeout)]
        child_env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", **(env or {})}
        # The workers import course_lib as this process does, from any working directory.
        package_root = str(Path(__file__).resolve().parents[2])
        child_env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, child_env.get("PYTHONPATH")) if p)
        start = time.perf_counter()
        with log.open("w") as sink:
            process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=child_env,
                                       start_new_session=True)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _stop(process)
                raise DdpError(f"the {nproc}-process run passed its time limit of {timeout:g} s and was stopped. "
                               f"The workers' last lines:\n{_workers_output(logs, range(nproc))}") from None
        launch = time.perf_counter() - start
        if process.returncode != 0 or not out.exists():
            text = log.read_text()
            rank, how = _first_failure(text)
            said = (f"Rank {rank}'s last lines:\n{_workers_output(logs, [rank])}" if rank is not None else
                    f"The workers' last lines:\n{_workers_output(logs, range(nproc))}\ntorchrun's:\n{_tail(text)}")
            raise DdpError(f"the {nproc}-process run failed (torchrun exit code {process.returncode}){how}. {said}")
        data = json.loads(out.read_text())
        with np.load(weights) as saved:
            arrays = {name: saved[name] for name in saved.files}
    report = RunReport(**{f.name: data[f.name] for f in dataclasses.fields(RunReport) if f.name in data},
                       impl="torch", recipe=recipe)
    return DdpResult(report, data["step_losses"], data["weights_sha256"], {**data["timings"], "launch": launch},
                     data["nproc"], arrays)


if __name__ == "__main__":
    worker_main()
