"""What an all-reduce costs: 2 gloo processes on this machine's CPU, median time per message size.

Data-parallel training (``course_lib/tools/ddp.py``) all-reduces every parameter's gradient once
per step, so a step costs its compute plus this. The MLP of lesson 07 (784-256-128-10, 235 146
float32 parameters) all-reduces 0.94 MB per step; DDP sends it in buckets of 25 MB at most.

Two processes start under ``torchrun --standalone`` (this file, ``--worker``), each with one thread,
as ``course_lib.tools.ddp`` runs them. For each size, float32 tensors of 1 KB to 32 MB, both ranks
meet at a barrier and rank 0 times one ``all_reduce`` (sum); the sizes alternate, round after
round, so that a busy machine slows them alike. "algorithm bandwidth" is size / time; for two
processes the ring all-reduce's bus bandwidth, 2(n-1)/n × that, is the same number.
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

SIZES = [2**10 * 4**k for k in range(8)] + [32 * 2**20]  # 1 KB, 4 KB, ..., 16 MB, 32 MB
ROUNDS = 25


def _worker(out: str, rounds: int) -> None:
    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group("gloo", timeout=__import__("datetime").timedelta(seconds=120))
    try:
        rank = dist.get_rank()
        tensors = {size: torch.ones(size // 4) for size in SIZES}
        for tensor in tensors.values():  # warm-up: gloo sets up its buffers on first use
            dist.all_reduce(tensor)
        times: dict[int, list[float]] = {size: [] for size in SIZES}
        for round_ in range(rounds):
            for size in SIZES if round_ % 2 == 0 else SIZES[::-1]:
                dist.barrier()
                start = time.perf_counter()
                dist.all_reduce(tensors[size])
                times[size].append(time.perf_counter() - start)
        if rank == 0:
            Path(out).write_text(json.dumps({str(size): values for size, values in times.items()}))
        dist.barrier()
    finally:
        dist.destroy_process_group()


def _label(size: int) -> str:
    return f"{size // 2**20} MB" if size >= 2**20 else f"{size // 2**10} KB"


def run(rounds: int = ROUNDS) -> list[dict[str, str]]:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "times.json"
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                        __file__, "--worker", str(out), str(rounds)], check=True, env=env, timeout=300,
                       capture_output=True)
        times = {int(size): values for size, values in json.loads(out.read_text()).items()}
    rows = []
    for size in SIZES:
        median = statistics.median(times[size])
        rows.append({
            "message": _label(size),
            "float32 values": f"{size // 4:,}",
            "median all-reduce": f"{1e3 * median:.3f} ms",
            "fastest": f"{1e3 * min(times[size]):.3f} ms",
            "algorithm bandwidth": f"{size / median / 1e6:,.0f} MB/s",
        })
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        _worker(sys.argv[2], int(sys.argv[3]))
    else:
        for row in run():
            print(row)
