"""The seed spread of lesson 07's recipe: its test accuracy over seeds 0-4, and seed 0's bootstrap interval.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/seed_spread.py          (15-30 s a seed on a laptop CPU)

Each seed trains lesson 07's recipe exactly as ``course-lib train --seed S`` does (``train_mlp`` of
lesson 07 with ``course-lib train``'s defaults, through ``course_lib.tools.runs.default_recipe``), and
is tested on the 10 000 test images: the full-size figures that lesson 11's shortened runs (its
section 3) stand in for. The script replaces (or adds) its ``## seed_spread`` section of
RESULTS.md. It is not one of ``run.py``'s timed benchmarks: it measures accuracy, not speed.
"""

from __future__ import annotations

import datetime
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SEEDS = (0, 1, 2, 3, 4)
N_RESAMPLES = 10_000


def run(seeds: tuple[int, ...] = SEEDS) -> tuple[list[dict[str, str]], str]:
    """Train each seed; return the table's rows and a summary paragraph."""
    from course_lib.lessons.l07_mnist_from_scratch.mnist_mlp import evaluate_model, train_mlp
    from course_lib.lessons.l11_is_it_really_better.noise import bootstrap_interval, normal_interval
    from course_lib.recipes import load_splits
    from course_lib.tools.runs import default_recipe

    rows, accuracies, first_hits = [], [], None
    for seed in seeds:
        recipe = default_recipe("mlp").replace(seed=seed)
        splits = load_splits(recipe)
        start = time.perf_counter()
        model, _ = train_mlp(recipe, splits=splits, progress=False)
        seconds = time.perf_counter() - start
        predictions, _ = evaluate_model(model, splits.test[0])
        hits = (predictions == splits.test[1]).astype(np.int64)
        first_hits = hits if first_hits is None else first_hits
        accuracies.append(hits.mean())
        rows.append({"seed": str(seed), "test accuracy": f"{100 * hits.mean():.2f} %", "training time": f"{seconds:.0f} s"})
        print(rows[-1], flush=True)
    acc = 100 * np.array(accuracies)
    low, high = bootstrap_interval(first_hits, N_RESAMPLES, np.random.default_rng(0))
    n_low, n_high = normal_interval(float(first_hits.mean()), len(first_hits))
    summary = (
        f"Over seeds {seeds[0]}-{seeds[-1]}: mean {acc.mean():.2f} %, standard deviation {acc.std(ddof=1):.2f} points "
        f"(ddof=1), min-max {acc.min():.2f}-{acc.max():.2f} % (a range of {acc.max() - acc.min():.2f} points).\n"
        f"Seed {seeds[0]}'s model: bootstrap 95 % interval {100 * low:.2f}-{100 * high:.2f} % "
        f"({N_RESAMPLES} resamples of the 10 000 test images, rng seed 0); the normal approximation "
        f"p ± 1.96·√(p(1−p)/N) gives {100 * n_low:.2f}-{100 * n_high:.2f} %."
    )
    return rows, summary


def main() -> int:
    sys.path.insert(0, str(HERE))
    from run import RESULTS, _machine_block, _table, join_sections, split_sections

    from course_lib.device import describe_environment

    rows, summary = run()
    print(summary)
    today = datetime.date.today().isoformat()
    body = (f"Lesson 07's recipe (`course-lib train --seed S`, its defaults) trained once per seed and tested on the "
            f"10 000 test images (`benchmarks/seed_spread.py`, {today}, "
            f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}).\n\n{_table(rows)}\n\n{summary}\n\n"
            f"Measured on:\n\n{_machine_block(describe_environment())}")
    head, sections = split_sections(RESULTS.read_text())
    sections["seed_spread"] = body
    RESULTS.write_text(join_sections(head, sections))
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
