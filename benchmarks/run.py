"""Run every benchmark and write benchmarks/RESULTS.md with this machine's description.

    make bench            (or: .venv/bin/python benchmarks/run.py)

Each benchmark module exposes run() -> list of rows (dicts with the same keys); timings are medians.
"""

from __future__ import annotations

import datetime
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["bench_data", "bench_training", "bench_mnist"]


def _table(rows: list[dict[str, str]]) -> str:
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + " --- |" * len(keys)]
    lines += ["| " + " | ".join(row[k] for k in keys) + " |" for row in rows]
    return "\n".join(lines)


def main() -> int:
    sys.path.insert(0, str(HERE))
    from course_lib.device import describe_environment

    sections = []
    for name in BENCHMARKS:
        module = importlib.import_module(name)
        print(f"running {name} ...", flush=True)
        rows = module.run()
        print(_table(rows))
        title = (module.__doc__ or name).strip().splitlines()[0]
        sections.append(f"## {name}\n\n{title}\n\n{_table(rows)}\n")
    today = datetime.date.today().isoformat()
    text = (
        f"# Benchmark results\n\nWritten by `make bench` on {today}. Timings are medians of repeated runs.\n\n"
        f"## Machine\n\n```\n{describe_environment()}\n```\n\n" + "\n".join(sections)
    )
    (HERE / "RESULTS.md").write_text(text)
    print(f"wrote {HERE / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
