"""How long MNIST takes to load: the first time (verify + parse + write the cache) and from the cache.

Each measurement runs in a fresh Python process so that nothing is warm but the files on disk.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile

# The child reports the seconds load_mnist took for the split, with the given cache folder.
_CHILD = """
import json, sys, time
import numpy as np
from course_lib.data import load_mnist
start = time.perf_counter()
X, y = load_mnist(sys.argv[1], cache=sys.argv[2], **json.loads(sys.argv[3]))
print(json.dumps({"seconds": time.perf_counter() - start, "n": len(X)}))
"""


def _load_seconds(split: str, cache: str, options: dict) -> float:
    out = subprocess.run([sys.executable, "-c", _CHILD, split, cache, json.dumps(options)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["seconds"]


def run(repeats: int = 5) -> list[dict[str, str]]:
    rows = []
    for split in ("train", "test"):
        for label, options in (("float32 in [0, 1] (default)", {}), ("raw uint8", {"normalize": None, "dtype": "uint8"})):
            cold, warm = [], []
            for _ in range(repeats):
                with tempfile.TemporaryDirectory() as cache:
                    cold.append(_load_seconds(split, cache, options))
                    warm.append(_load_seconds(split, cache, options))
            rows.append(
                {
                    "benchmark": f"load_mnist('{split}'), {label}",
                    "first load (verify, parse, cache)": f"{statistics.median(cold):.3f} s",
                    "cached load": f"{statistics.median(warm):.3f} s",
                }
            )
    return rows
