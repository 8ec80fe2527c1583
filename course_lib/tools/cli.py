"""The ``course-lib`` command.

    course-lib doctor     versions, the compute device, and a check of the shipped MNIST files
    course-lib train      one MNIST training run of a lesson's recipe (NumPy or torch, MLP or CNN)
    course-lib build-student OUT_DIR   the student edition: exercises blank, outputs stripped
    course-lib build-site OUT_DIR      the lessons executed and rendered as static HTML, with an index
    course-lib build-nbgrader OUT_DIR  the lessons as an nbgrader course folder, for classes that grade

``train`` prints one line per epoch (its training loss in full precision, so that two runs with
the same seed print the same text), a short report, and last a JSON line for scripts.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from course_lib.data import MNIST_FILES, CorruptDataError, load_mnist, mnist_dir, verify_mnist
from course_lib.device import describe_environment, get_device
from course_lib.recipes import MODELS, OPTIMIZERS, Recipe
from course_lib.tools.runs import IMPLS, RunReport, default_recipe, train_run


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


# --------------------------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------------------------

_TRAIN_IMAGES = 60_000


def _whole_number(minimum: int, maximum: int | None = None):
    """An argparse ``type=``: a whole number in [minimum, maximum], else argparse's usual error."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f"of at least {minimum}"
            raise argparse.ArgumentTypeError(f"must be a whole number {bound}, got {text!r}")
        return value

    return parse


def _positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a fraction in (0, 1] such as 0.99, got {text!r}")
    return value


def _layer_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"must be widths separated by commas, such as 256,128, got {text!r}")
    return sizes


def _check_combination(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """The errors no single argument's type can see; argparse's exit code 2 and usage line."""
    if args.impl == "numpy" and args.model == "cnn":
        parser.error(
            "argument --model: cnn needs --impl torch; the NumPy implementation has no CNN (the course "
            "builds only the MLP from scratch)"
        )
    if args.impl == "numpy" and args.device not in (None, "cpu"):
        parser.error(f"argument --device: --impl numpy runs on the CPU only; use --impl torch to train on {args.device}")
    if args.impl == "numpy" and args.amp:
        parser.error("argument --amp: bfloat16 autocast needs --impl torch on a CUDA device")
    if args.nproc is not None:
        if args.impl == "numpy":
            parser.error("argument --nproc: data-parallel training runs the torch twin under torchrun; add --impl torch")
        if args.device == "mps":
            parser.error("argument --nproc: data-parallel training runs on cpu (gloo) or cuda (nccl), not mps")
        for given, option in ((args.amp, "--amp"), (args.target_accuracy is not None, "--target-accuracy")):
            if given:
                parser.error(f"argument --nproc: {option} is not available with data-parallel training; leave one out")
    if args.model == "cnn" and args.hidden is not None and len(args.hidden) != 1:
        parser.error("argument --hidden: the CNN has one fully connected hidden layer; give one width, such as 256")


def _epochs(n: int) -> str:
    return f"{n} epoch" if n == 1 else f"{n} epochs"


def recipe_from_args(args: argparse.Namespace) -> Recipe:
    """The lesson's recipe for ``--model``, with the settings given on the command line."""
    changes = {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "seed": args.seed,
               "optimizer": args.optimizer, "hidden": args.hidden, "train_size": args.limit}
    changes = {name: value for name, value in changes.items() if value is not None}
    if args.amp:
        changes["amp"] = True
    return default_recipe(args.model).replace(**changes)


def _describe(recipe: Recipe, impl: str, target: float | None, nproc: int | None = None) -> str:
    model = "mlp " + "-".join(map(str, recipe.sizes)) if recipe.model == "mlp" else f"cnn {recipe.channels}"
    samples = min(recipe.train_size or _TRAIN_IMAGES, _TRAIN_IMAGES - recipe.val_size)
    epochs = _epochs(recipe.epochs)
    if target is not None:
        epochs = f"until {100 * target:g} % validation accuracy, at most {epochs}"
    return (
        f"training {impl} {model} on {samples} MNIST images ({recipe.val_size} held out for validation): "
        f"{recipe.optimizer} lr {recipe.lr:g}, {recipe.schedule} schedule, weight decay {recipe.weight_decay:g}, "
        f"batch {recipe.batch_size}, {epochs}, seed {recipe.seed}"
        + ("" if nproc is None else f"; data parallel on {nproc} process{'es' if nproc > 1 else ''} under torchrun, "
           f"batch {recipe.batch_size} each ({nproc * recipe.batch_size} per step)")
    )


def _print_report(report: RunReport) -> None:
    for epoch, loss in enumerate(report.train_losses, start=1):
        print(f"epoch {epoch}: train loss {loss!r}")  # repr: every digit, so identical runs print identically
    print(f"test accuracy: {100 * report.test_accuracy:.2f} % (test loss {report.test_loss:.4f})")
    print(
        f"training time: {report.seconds:.2f} s for {_epochs(report.epochs_run)}, "
        f"{report.samples_per_second:,.0f} samples/s on {report.device}"
    )


def _train(args: argparse.Namespace) -> int:
    _check_combination(args.parser, args)
    if args.impl == "torch":
        try:  # before loading anything: a missing GPU is said at once
            device = get_device(args.device)
        except RuntimeError as err:
            if args.device is None:
                print(f"course-lib train: error: {err}", file=sys.stderr)
            else:
                kind = args.device.split(":")[0].upper()
                print(
                    f"course-lib train: error: --device {args.device} was requested but torch sees no {kind} "
                    f"device on this machine; use --device cpu",
                    file=sys.stderr,
                )
            return 1
        except ValueError as err:  # an unknown name in $COURSE_LIB_DEVICE
            print(f"course-lib train: error: {err}", file=sys.stderr)
            return 1
        if args.amp and device.type != "cuda":
            args.parser.error(f"argument --amp: bfloat16 autocast is meant for CUDA; this run would train on {device}")
    from course_lib.numpy_nn.training import TrainingDivergedError

    try:
        recipe = recipe_from_args(args)
    except ValueError as err:  # a combination the recipe refuses, said in its own words
        args.parser.error(str(err))
    if not args.json_only:
        print(_describe(recipe, args.impl, args.target_accuracy, args.nproc), flush=True)
    if args.nproc is not None:
        return _train_data_parallel(args, recipe)
    try:
        # A diverging run overflows before fit notices the NaN loss; its error says it all, once.
        with np.errstate(over="ignore", invalid="ignore"):
            report = train_run(recipe, impl=args.impl, device=args.device, target_accuracy=args.target_accuracy,
                               progress=not args.no_progress)
    except (TrainingDivergedError, CorruptDataError, OSError, ValueError, RuntimeError) as err:
        # A failure of the run (missing or damaged data, a divergence, a device that fails): one line.
        print(f"course-lib train: error: {err}", file=sys.stderr)
        return 1
    except MemoryError as err:
        print(f"course-lib train: error: not enough memory for this run ({err}); choose smaller --hidden widths "
              f"or a smaller --batch-size", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("course-lib train: interrupted", file=sys.stderr)
        return 130
    if not args.json_only:
        _print_report(report)
    print(json.dumps(report.to_dict()))
    return 0


def _train_data_parallel(args: argparse.Namespace, recipe: Recipe) -> int:
    """``--nproc N``: the run under torchrun (``course_lib.tools.ddp``); the same report and JSON line."""
    from course_lib.tools.ddp import run_ddp

    try:
        result = run_ddp(recipe, args.nproc, device=args.device)
    except (OSError, ValueError, RuntimeError) as err:  # DdpError is a RuntimeError: a worker died or timed out
        print(f"course-lib train: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("course-lib train: interrupted", file=sys.stderr)
        return 130
    if not args.json_only:
        _print_report(result.report)
        print(f"weights sha256: {result.weights_sha256}")
    # The report's keys, then what only a data-parallel run has: every step's loss, the weights' digest, timings.
    print(json.dumps({**result.report.to_dict(), "nproc": result.nproc, "step_losses": result.step_losses,
                      "weights_sha256": result.weights_sha256, "timings": result.timings}))
    return 0


def _add_train_parser(commands) -> None:
    train = commands.add_parser(
        "train",
        help="train a model on MNIST and report its test accuracy and speed",
        description=(
            "Train a lesson's recipe on MNIST (standardised pixels) with the NumPy reference or its\n"
            "torch twin, then test it on the 10000 test images. With no options: lesson 07's recipe\n"
            "(MLP 784-256-128-10, SGD with Nesterov momentum 0.9, lr 0.1 on a cosine schedule, weight\n"
            "decay 1e-3, 10 epochs of batches of 128, 5000 images held out for validation), which\n"
            "reaches about 98.5 %; --model cnn: lesson 08's CPU recipe. Options change one setting.\n"
            "Prints the training loss of each epoch, a report, and last one JSON line with\n"
            "test_accuracy, test_loss, seconds, samples_per_second, device, train_losses, epochs_run,\n"
            "train_samples, impl and recipe. The same arguments and seed give the same losses on the\n"
            "same machine (with the same number of threads)."
        ),
        epilog=(
            "examples:\n"
            "  course-lib train --impl numpy --seed 0\n"
            "  course-lib train --impl numpy --epochs 1 --optimizer Adam --lr 1e-3\n"
            "  course-lib train --impl torch --model cnn --epochs 3 --device cpu\n"
            "  course-lib train --impl torch --limit 5000 --json-only --no-progress | tail -n 1\n"
            "  course-lib train --impl torch --nproc 2 --batch-size 64 --epochs 1 --device cpu"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument("--impl", choices=IMPLS, default="numpy", help="the course's NumPy reference, or its torch twin (default: numpy)")
    train.add_argument("--model", choices=MODELS, default="mlp", help="lesson 07's MLP, or lesson 08's CNN, torch only (default: mlp)")
    train.add_argument("--epochs", type=_whole_number(1), default=None, metavar="N", help="passes over the training set (default: the recipe's, 10 for the MLP, 1 for the CNN)")
    train.add_argument("--batch-size", type=_whole_number(1), default=None, metavar="B", help="samples per step (default: the recipe's, 128)")
    train.add_argument("--lr", type=_positive_number, default=None, metavar="LR", help="the peak learning rate (default: the recipe's, 0.1 for the MLP, 5e-3 for the CNN)")
    train.add_argument("--seed", type=_whole_number(0, 2**32 - 1), default=None, metavar="S", help="seeds the split, the weights, dropout and the batch order (default: 0)")
    train.add_argument(
        "--device", choices=("cpu", "cuda", "mps"), default=None,
        help="where torch trains (default: $COURSE_LIB_DEVICE if set, else cuda if present, else mps, else cpu); numpy runs on the cpu",
    )
    train.add_argument("--optimizer", choices=OPTIMIZERS, default=None, help="torch's class names, or SGD's presets momentum and nesterov, μ = 0.9 (default: the recipe's, nesterov for the MLP, AdamW for the CNN)")
    train.add_argument("--hidden", type=_layer_sizes, default=None, metavar="W,W", help="the hidden layer widths (default: the recipe's, 256,128 for the MLP, 128 for the CNN)")
    train.add_argument(
        "--limit", type=_whole_number(1, _TRAIN_IMAGES), default=None, metavar="N",
        help="train on the first N training images only, for a quick run (default: all 55000 not held out)",
    )
    train.add_argument("--amp", action="store_true", help="bfloat16 autocast in the forward pass (torch on CUDA only)")
    train.add_argument(
        "--target-accuracy", type=_fraction, default=None, metavar="F",
        help="stop once the validation accuracy reaches F, e.g. 0.99 (--epochs is then the most)",
    )
    train.add_argument(
        "--nproc", type=_whole_number(1), default=None, metavar="N",
        help="train data-parallel on N processes under torchrun (torch only; DistributedDataParallel, gloo on the cpu "
             "with one thread per process, nccl on cuda); --batch-size is then per process, a step takes N×B samples",
    )
    train.add_argument("--no-progress", action="store_true", help="no progress bar (it goes to stderr)")
    train.add_argument("--json-only", action="store_true", help="print only the JSON line on stdout")
    train.set_defaults(run=_train, parser=train)


# --------------------------------------------------------------------------------------------
# build-student, build-site: the workshop editions (course_lib.tools.editions)
# --------------------------------------------------------------------------------------------


def _build_student(args: argparse.Namespace) -> int:
    from course_lib.tools.editions import EditionError, build_student

    try:
        report = build_student(Path(args.out_dir), notebook_dir=args.notebooks, force=args.force)
    except (EditionError, OSError) as err:
        print(f"course-lib build-student: error: {err}", file=sys.stderr)
        return 1
    print(f"student edition: {len(report.notebooks)} notebooks, {report.exercises} exercises left blank, in {report.out_dir}")
    _say_kept(report.kept)
    return 0


def _say_kept(kept: Path | None) -> None:
    if kept is not None:
        print(f"the earlier edition held changes (someone's work), so it was not deleted: it is now in {kept}")


def _build_site(args: argparse.Namespace) -> int:
    from course_lib.tools.editions import EditionError, build_site

    try:
        report = build_site(
            Path(args.out_dir), notebook_dir=args.notebooks, only=args.only, timeout=args.timeout, force=args.force,
            progress=lambda line: print(line, flush=True),
        )
    except (EditionError, OSError) as err:
        print(f"course-lib build-site: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("course-lib build-site: interrupted; nothing was written", file=sys.stderr)
        return 130
    for warning in report.warnings:
        print(f"course-lib build-site: warning: {warning}", file=sys.stderr)
    total = sum(report.seconds.values())
    print(f"site: {len(report.pages) - 1} lessons in {report.out_dir} (notebooks ran {total:.0f} s in all); open {report.out_dir / 'index.html'}")
    _say_kept(report.kept)
    return 0


def _build_nbgrader(args: argparse.Namespace) -> int:
    from course_lib.tools.editions import EditionError
    from course_lib.tools.nbgrader_export import build_nbgrader, validate_export

    try:
        report = build_nbgrader(Path(args.out_dir), notebook_dir=args.notebooks, only=args.only, points=args.points,
                                force=args.force)
        n = len(report.assignments)
        print(f"nbgrader course: {n} assignment{'' if n == 1 else 's'}, {report.exercises} graded exercises "
              f"({report.points:g} point{'' if report.points == 1 else 's'} each), in {report.out_dir}")
        _say_kept(report.kept)
        if not args.validate:
            return 0
        results = validate_export(report.out_dir, progress=lambda line: print(line, flush=True))
    except (EditionError, OSError) as err:
        print(f"course-lib build-nbgrader: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("course-lib build-nbgrader: interrupted", file=sys.stderr)
        return 130
    failed = [r for r in results if not r.passed]
    for result in failed:
        print(f"course-lib build-nbgrader: {result.assignment} fails nbgrader validate:", file=sys.stderr)
        for problem in result.problems:
            print(f"  {problem}", file=sys.stderr)
    total = sum(r.seconds for r in results)
    print(f"nbgrader validate: {len(results) - len(failed)} of {len(results)} assignments pass ({total:.0f} s in all)")
    return 1 if failed else 0


def _add_edition_parsers(commands) -> None:
    student = commands.add_parser(
        "build-student",
        help="write the student edition: every exercise's solution replaced by a stub",
        description=(
            "Write the student edition of every lesson into OUT_DIR: the notebooks with outputs\n"
            "stripped and each cell tagged 'solution' replaced by a function of the same name and\n"
            "signature that raises NotImplementedError with a hint, so that its self-check reports\n"
            "'not written yet'. Everything else is as committed (the instructor edition)."
        ),
        epilog="example:\n  course-lib build-student /tmp/student",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    site = commands.add_parser(
        "build-site",
        help="run the lessons and render them as static HTML pages with an index",
        description=(
            "Execute every lesson (or those named with --only) and render it with nbconvert into\n"
            "OUT_DIR as an HTML page with its plots embedded, plus index.html in course order with\n"
            "each lesson's objectives. The pages need no network. Widgets show the picture they held\n"
            "when the page was built; their sliders work only in JupyterLab."
        ),
        epilog="examples:\n  course-lib build-site /tmp/site\n  course-lib build-site /tmp/site --only 01_gradient_descent --force",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    nbgrader = commands.add_parser(
        "build-nbgrader",
        help="write the lessons as an nbgrader course folder (source/<lesson>/ and nbgrader_config.py)",
        description=(
            "Write an nbgrader course folder into OUT_DIR: nbgrader_config.py (its gradebook is\n"
            "OUT_DIR/gradebook.db) and source/<lesson>/<lesson>.ipynb, one assignment per lesson.\n"
            "Each exercise's solution becomes a solution cell (the def line kept, the body between\n"
            "### BEGIN SOLUTION and ### END SOLUTION), its self-check an autograded test cell worth\n"
            "--points; every other cell is read-only but prediction cells, where learners type a guess.\n"
            "Then run nbgrader in OUT_DIR (pip install -e '.[instructor]'; see the instructor guide)."
        ),
        epilog="examples:\n  course-lib build-nbgrader /tmp/course\n  course-lib build-nbgrader /tmp/course --only 01 --only 02 --points 2 --force",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for parser in (student, site, nbgrader):
        parser.add_argument("out_dir", metavar="OUT_DIR", help="the folder to write; it must be new or empty (see --force)")
        parser.add_argument("--force", action="store_true", help="replace OUT_DIR when it holds an edition written earlier")
        parser.add_argument("--notebooks", type=Path, default=None, metavar="DIR", help="the lessons' folder (default: the course's notebooks/)")
    site.add_argument(
        "--only", action="append", default=None, metavar="LESSON",
        help="build only this lesson, by name or number (01_gradient_descent or 01); may be repeated",
    )
    nbgrader.add_argument(
        "--only", action="append", default=None, metavar="LESSON",
        help="export only this lesson, by name or number (01_gradient_descent or 01); may be repeated",
    )
    nbgrader.add_argument("--points", type=_positive_number, default=1.0, metavar="P", help="points of each exercise (default: 1)")
    nbgrader.add_argument(
        "--validate", action="store_true",
        help="then run nbgrader validate on every exported notebook, solutions in place (needs the instructor extra; "
             "it runs each lesson, about 6 min for all on 2 cores)",
    )
    nbgrader.set_defaults(run=_build_nbgrader)
    site.add_argument("--timeout", type=_positive_number, default=900.0, metavar="S", help="seconds one notebook may run in all (default: 900)")
    student.set_defaults(run=_build_student)
    site.set_defaults(run=_build_site)


def build_parser() -> argparse.ArgumentParser:
    from course_lib import __version__

    parser = argparse.ArgumentParser(prog="course-lib", description="Companion command of the neural-network training course.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    doctor = commands.add_parser("doctor", help="print versions and the device, and verify the MNIST files")
    doctor.add_argument("--data-dir", help="folder holding the four MNIST .gz files (default: the course's data/mnist)")
    doctor.set_defaults(run=_doctor)
    _add_train_parser(commands)
    _add_edition_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
