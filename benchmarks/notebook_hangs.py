"""Do the lessons ever hang when executed headless? Run notebooks through nbconvert and nbclient, many times.

    .venv/bin/python benchmarks/notebook_hangs.py                      # every lesson, 5 runs each way, 2 busy loops
    .venv/bin/python benchmarks/notebook_hangs.py --only 09 02 --runs 3 --load 2 --timeout 400

A run is one notebook executed top to bottom in a fresh kernel, the way instructors run the course:
``jupyter nbconvert --to notebook --execute`` in a subprocess (with no cell timeout, as nbconvert's
default), and ``nbclient.NotebookClient.execute`` in a subprocess of its own. A run that has not
finished after ``--timeout`` seconds counts as a hang and is killed with its kernel. ``--load N``
keeps N other processes spinning while the runs go on (a workshop server shared with others): the
hang this script was written for appeared only on a loaded machine.

Prints one line per run and a table per notebook and route: runs, hangs, median seconds. Not part
of ``make bench`` (it takes an hour on two cores); the numbers go into the issue note and RESULTS.md.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ROUTES = ("nbconvert", "nbclient")

_NBCLIENT = """
import logging, sys, nbformat
from nbclient import NotebookClient
logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(message)s")
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}},
               log=logging.getLogger("nbclient")).execute()
"""


def _spin() -> None:  # pragma: no cover - a busy loop in a child process
    while True:
        pass


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", PYDEVD_DISABLE_FILE_VALIDATION="1")
    return env


def run_once(notebook: Path, route: str, timeout: float, trace: Path | None = None) -> tuple[float, bool]:
    """Execute ``notebook`` once by ``route``; (seconds, hung). A failing cell raises RuntimeError.

    Both routes log at debug level (each cell, each message); a hung run's last lines go to
    ``trace/<notebook>-<route>-<n>.log`` when ``trace`` is given, to see where it waited.
    """
    with tempfile.TemporaryDirectory() as out, tempfile.TemporaryFile("w+") as log:
        if route == "nbconvert":
            jupyter = Path(sys.executable).parent / "jupyter"
            command = [str(jupyter), "nbconvert", "--debug", "--to", "notebook", "--execute", "--output-dir", out, str(notebook)]
        else:
            command = [sys.executable, "-c", _NBCLIENT, str(notebook), str(notebook.parent)]
        start = time.monotonic()
        process = subprocess.Popen(command, cwd=notebook.parent, env=_environment(), stdout=subprocess.DEVNULL,
                                   stderr=log, text=True, start_new_session=True)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the client and its kernel
            process.wait()
            if trace is not None:
                trace.mkdir(parents=True, exist_ok=True)
                log.seek(0)
                tail = log.read().splitlines()[-80:]
                n = len(list(trace.glob(f"{notebook.stem}-{route}-*.log"))) + 1
                (trace / f"{notebook.stem}-{route}-{n}.log").write_text("\n".join(tail) + "\n")
            return time.monotonic() - start, True
        if process.returncode != 0:
            log.seek(0)
            raise RuntimeError(f"{notebook.name} failed by {route}:\n{log.read()[-2000:]}")
        return time.monotonic() - start, False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="lesson numbers or stems, e.g. 02 09")
    parser.add_argument("--runs", type=int, default=5, help="runs per notebook and route (default 5)")
    parser.add_argument("--load", type=int, default=2, help="busy-loop processes alongside (default 2)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds before a run counts as hung")
    parser.add_argument("--routes", nargs="*", default=list(ROUTES), choices=ROUTES)
    parser.add_argument("--trace", type=Path, default=None, help="folder for the log tails of hung runs")
    args = parser.parse_args(argv)
    chosen = [nb for nb in NOTEBOOKS if not args.only or any(nb.stem == o or nb.stem[:2] == o for o in args.only)]
    spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(args.load)]
    for spinner in spinners:
        spinner.start()
    results: dict[tuple[str, str], list[tuple[float, bool]]] = {}
    try:
        for run in range(1, args.runs + 1):
            for notebook in chosen:
                for route in args.routes:
                    seconds, hung = run_once(notebook, route, args.timeout, args.trace)
                    results.setdefault((notebook.stem, route), []).append((seconds, hung))
                    print(f"run {run}: {notebook.stem:40} {route:9} {'HUNG' if hung else 'ok':4} {seconds:6.1f} s", flush=True)
    finally:
        for spinner in spinners:
            spinner.terminate()
    print("\n| notebook | route | runs | hangs | median s (finished runs) |\n| --- | --- | --- | --- | --- |")
    for (stem, route), runs in results.items():
        done = [s for s, hung in runs if not hung]
        median = f"{statistics.median(done):.1f}" if done else "–"
        print(f"| {stem} | {route} | {len(runs)} | {sum(h for _, h in runs)} | {median} |")
    return 1 if any(h for runs in results.values() for _, h in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
