"""Lesson 12, beyond one machine: data-parallel training, first simulated in NumPy (a ring all-reduce written
out), then for real with torch.distributed, DistributedDataParallel and torchrun."""

from course_lib.lessons import Lesson
from course_lib.lessons.l12_beyond_one_machine.checks import (
    check_ring_all_reduce, check_scaled_lr, check_shard, predict_ddp_steps, predict_ring_traffic,
)

LESSON = Lesson(
    notebook="12_beyond_one_machine.ipynb",
    checks=(
        check_shard, check_ring_all_reduce,  # section 1, data parallelism simulated
        check_scaled_lr,  # section 4, the cost: the learning rate for a larger global batch
    ),
    predictions=(predict_ring_traffic, predict_ddp_steps),
)
