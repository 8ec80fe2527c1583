"""The ``course-lib`` command.

    course-lib doctor     versions, the compute device, and a check of the shipped MNIST files
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from course_lib.data import MNIST_FILES, CorruptDataError, load_mnist, mnist_dir, verify_mnist
from course_lib.device import describe_environment


def _doctor(args: argparse.Namespace) -> int:
    print("Environment")
    print(describe_environment())
    folder = Path(args.data_dir) if args.data_dir else mnist_dir()
    print(f"\nMNIST data in {folder}")
    start = time.perf_counter()
    try:
        for name, digest in verify_mnist(folder).items():
            print(f"  ok  {name}  sha256 {digest[:16]}…")
        sizes = {}
        for split in MNIST_FILES:
            X, y = load_mnist(split, normalize=None, dtype=np.uint8, data_dir=folder)
            sizes[split] = len(X)
            print(f"  ok  {split}: {len(X)} images {X.shape[1:]}, labels {np.bincount(y).tolist()}")
    except (FileNotFoundError, CorruptDataError) as err:
        print(f"\ndata check FAILED: {err}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - start
    print(f"\ndata verified: {sizes['train']} training and {sizes['test']} test images ({elapsed:.2f} s)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from course_lib import __version__

    parser = argparse.ArgumentParser(prog="course-lib", description="Companion command of the neural-network training course.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    doctor = commands.add_parser("doctor", help="print versions and the device, and verify the MNIST files")
    doctor.add_argument("--data-dir", help="folder holding the four MNIST .gz files (default: the course's data/mnist)")
    doctor.set_defaults(run=_doctor)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
