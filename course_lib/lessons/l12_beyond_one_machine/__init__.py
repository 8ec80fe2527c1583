"""Lesson 12, beyond one machine: data-parallel training, first simulated in NumPy (a ring all-reduce written
out), then for real with torch.distributed, DistributedDataParallel and torchrun."""

from course_lib.lessons import ExplorerEntry, Lesson, Timing
from course_lib.lessons.l12_beyond_one_machine.checks import (
    check_ring_all_reduce, check_scaled_lr, check_shard, predict_ddp_steps, predict_ring_traffic,
)
from course_lib.lessons.l12_beyond_one_machine.explorers import cost_explorer

LESSON = Lesson(
    notebook="12_beyond_one_machine.ipynb",
    explorers=(
        ExplorerEntry(  # section 4, the cost
            cost_explorer,
            small=cost_explorer,
            timings=(Timing("computation", "compute_ms", (1.0, 100.0)), Timing("gradients", "megabytes", (0.1, 10.0))),
        ),
    ),
    checks=(
        check_shard, check_ring_all_reduce,  # section 1, data parallelism simulated
        check_scaled_lr,  # section 4, the cost: the learning rate for a larger global batch
    ),
    predictions=(predict_ring_traffic, predict_ddp_steps),
)
