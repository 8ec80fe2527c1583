"""Lesson 12, beyond one machine: data-parallel training, first simulated in NumPy (a ring all-reduce written
out), then for real with torch.distributed, DistributedDataParallel and torchrun."""

from course_lib.lessons import ExplorerEntry, Lesson, Timing  # noqa: F401  (the explorers' entries)

# -- section helpers: add your imports here, one block each --
# section 1, data parallelism simulated (helper A)
from course_lib.lessons.l12_beyond_one_machine.checks import (
    check_ring_all_reduce, check_shard, predict_ring_traffic,
)

# sections 2-4, the proof, the engine, the cost (helper B)
from course_lib.lessons.l12_beyond_one_machine.checks import check_scaled_lr, predict_ddp_steps

LESSON = Lesson(
    notebook="12_beyond_one_machine.ipynb",
    explorers=(
        # -- explorers, one entry each --
    ),
    checks=(
        # -- checks, one line per section, in section order --
        check_shard, check_ring_all_reduce,  # section 1, data parallelism simulated
        check_scaled_lr,  # sections 2-4, the cost
    ),
    predictions=(
        # -- predictions, one line per section --
        predict_ring_traffic,  # section 1
        predict_ddp_steps,  # sections 2-4
    ),
)
