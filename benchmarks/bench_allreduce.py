"""What an all-reduce costs: 2 gloo processes on this machine's CPU, median time per message size.

Data-parallel training (``course_lib/tools/ddp.py``) all-reduces every parameter's gradient once
per step, so a step costs its compute plus this. The MLP of lesson 07 (784-256-128-10, 235 146
float32 parameters) all-reduces 0.94 MB per step; DDP sends it in buckets of 25 MB at most.

The measurement is lesson 12's own (``measure_allreduce`` in
``course_lib/lessons/l12_beyond_one_machine/engine.py``): two processes under ``torchrun --standalone``,
each with one thread; for each size, float32 tensors of 1 KB to 32 MB, both ranks meet at a barrier and
rank 0 times one ``all_reduce`` (sum); the sizes alternate, round after round, so that a busy machine
slows them alike. "algorithm bandwidth" is size / time; for two processes the ring all-reduce's bus
bandwidth, 2(n-1)/n × that, is the same number.
"""

from __future__ import annotations

SIZES = [2**10 * 4**k for k in range(8)] + [32 * 2**20]  # 1 KB, 4 KB, ..., 16 MB, 32 MB
ROUNDS = 25


def _label(size: int) -> str:
    return f"{size // 2**20} MB" if size >= 2**20 else f"{size // 2**10} KB"


def run(rounds: int = ROUNDS) -> list[dict[str, str]]:
    from course_lib.lessons.l12_beyond_one_machine.engine import measure_allreduce

    measured = measure_allreduce(SIZES, rounds=rounds, timeout=300.0)
    rows = []
    for size, median, fastest in zip(SIZES, measured["seconds"], measured["fastest"]):
        rows.append({
            "message": _label(size),
            "float32 values": f"{size // 4:,}",
            "median all-reduce": f"{1e3 * median:.3f} ms",
            "fastest": f"{1e3 * fastest:.3f} ms",
            "algorithm bandwidth": f"{size / median / 1e6:,.0f} MB/s",
        })
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
