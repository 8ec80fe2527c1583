"""Run the benchmarks and write their tables into benchmarks/RESULTS.md with this machine's description.

    make bench                                          (or: .venv/bin/python benchmarks/run.py)
    .venv/bin/python benchmarks/run.py bench_widgets    (only the named ones; "widgets" works too)

Each benchmark module exposes run() -> list of rows (dicts with the same keys); timings are medians.
With no names, every benchmark runs and its sections of RESULTS.md are written anew (sections other
scripts write, such as seed_spread.py's, stay). With names, only those run and
only their ``## name`` sections of RESULTS.md are replaced (or added); the other sections stay as
they are. A section measured on a machine other than the one in the file's "Machine" section
carries its own machine description.
"""

from __future__ import annotations

import datetime
import importlib
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
BENCHMARKS = ["bench_data", "bench_training", "bench_mnist", "bench_widgets", "bench_browser", "bench_allreduce"]
MACHINE = "Machine"


def _table(rows: list[dict[str, str]]) -> str:
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + " --- |" * len(keys)]
    lines += ["| " + " | ".join(row[k] for k in keys) + " |" for row in rows]
    return "\n".join(lines)


def _machine_block(description: str) -> str:
    return f"```\n{description}\n```"


def split_sections(text: str) -> tuple[str, dict[str, str]]:
    """RESULTS.md as (the text before its first ``## `` heading, {heading: the section's body})."""
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return parts[0], {name.strip(): body.strip("\n") for name, body in zip(parts[1::2], parts[2::2])}


def join_sections(head: str, sections: dict[str, str]) -> str:
    return head.rstrip("\n") + "\n\n" + "\n\n".join(f"## {name}\n\n{body}" for name, body in sections.items()) + "\n"


def _resolve(names: list[str]) -> list[str]:
    chosen = []
    for name in names:
        module = name if name.startswith("bench_") else f"bench_{name}"
        module = module.removesuffix(".py")
        if module not in BENCHMARKS:
            raise SystemExit(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)} (or run all with no names).")
        chosen.append(module)
    return chosen


def _measure(name: str) -> str:
    module = importlib.import_module(name)
    print(f"running {name} ...", flush=True)
    rows = module.run()
    print(_table(rows))
    title = (module.__doc__ or name).strip().splitlines()[0]
    return f"{title}\n\n{_table(rows)}"


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(HERE))
    from course_lib.device import describe_environment

    names = _resolve(sys.argv[1:] if argv is None else argv)
    machine = _machine_block(describe_environment())
    today = datetime.date.today().isoformat()
    if not names or not RESULTS.exists():
        head = f"# Benchmark results\n\nWritten by `make bench` on {today}. Timings are medians of repeated runs.\n"
        sections = {MACHINE: machine}
        for name in names or BENCHMARKS:
            sections[name] = _measure(name)
        if RESULTS.exists():  # sections other scripts write (seed_spread.py) stay
            sections.update({k: v for k, v in split_sections(RESULTS.read_text())[1].items() if k not in sections})
    else:
        head, sections = split_sections(RESULTS.read_text())
        sections.setdefault(MACHINE, machine)
        for name in names:
            body = _measure(name)
            if sections[MACHINE] != machine:
                body += f"\n\nMeasured on {today} on another machine than the one above:\n\n{machine}"
            sections[name] = body
        order = [MACHINE, *BENCHMARKS]
        sections = dict(sorted(sections.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order)))
    RESULTS.write_text(join_sections(head, sections))
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
