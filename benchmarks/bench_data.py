"""How long MNIST takes to load: the first time (verify + parse + write the cache) and from the cache.

Each measurement runs in a fresh Python process so that nothing is warm but the files on disk. A
cached load checks the cached arrays against MNIST's SHA-256 (what the cache serves is never
trusted blindly); the last columns measure that check, side by side with the same load without it,
which is how the cache was read before (issue 12).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile

# The child reports the seconds load_mnist took for the split, with the given cache folder; with
# "unchecked" it skips the SHA-256 comparison of the cached arrays (everything else is the same).
_CHILD = """
import json, sys, time
import numpy as np
from course_lib import data
if sys.argv[4] == "unchecked":
    data._holds_mnist = lambda array, name: True
start = time.perf_counter()
X, y = data.load_mnist(sys.argv[1], cache=sys.argv[2], **json.loads(sys.argv[3]))
print(json.dumps({"seconds": time.perf_counter() - start, "n": len(X)}))
"""


def _load_seconds(split: str, cache: str, options: dict, mode: str = "checked") -> float:
    out = subprocess.run([sys.executable, "-c", _CHILD, split, cache, json.dumps(options), mode],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["seconds"]


def run(repeats: int = 5) -> list[dict[str, str]]:
    rows = []
    for split in ("train", "test"):
        for label, options in (("float32 in [0, 1] (default)", {}), ("raw uint8", {"normalize": None, "dtype": "uint8"})):
            cold, warm, unchecked = [], [], []
            for repeat in range(repeats):
                with tempfile.TemporaryDirectory() as cache:
                    cold.append(_load_seconds(split, cache, options))
                    # Alternate the order, so that neither column always runs first on a busy machine.
                    for mode in ("checked", "unchecked") if repeat % 2 == 0 else ("unchecked", "checked"):
                        (warm if mode == "checked" else unchecked).append(_load_seconds(split, cache, options, mode))
            rows.append(
                {
                    "benchmark": f"load_mnist('{split}'), {label}",
                    "first load (verify, parse, cache)": f"{statistics.median(cold):.3f} s",
                    "cached load (SHA-256 checked)": f"{statistics.median(warm):.3f} s",
                    "cached load without the check": f"{statistics.median(unchecked):.3f} s",
                    "checked / unchecked": f"{statistics.median(warm) / statistics.median(unchecked):.2f}×",
                }
            )
    return rows
