"""The lessons as an nbgrader course: ``course-lib build-nbgrader OUT``.

Classes that grade use nbgrader (https://nbgrader.readthedocs.io), usually under JupyterHub. The
course's three-cell convention maps onto nbgrader's cell types almost one to one:

============================  ==============================================================
course (cell tag)             nbgrader (``metadata.nbgrader``, schema version 3)
============================  ==============================================================
``exercise`` (markdown)       read-only, ``grade_id`` ``exN_task``
``solution`` (code, ``def``)  solution cell ``exN_solution``: each ``def`` line and a comment
                              with the task stay, the body sits between ``### BEGIN SOLUTION``
                              and ``### END SOLUTION`` (the release holds ``raise
                              NotImplementedError()`` there)
``check`` (code)              autograder test ``exN_check``, worth ``points`` (1 by default);
                              the visible call of the self-check is the whole test
``prediction`` (code)         left editable and ungraded: the learner types a guess in it
any other cell                read-only, ``grade_id`` ``cell_<cell id>``, so the notebook still
                              runs top to bottom
============================  ==============================================================

There are no hidden tests. A self-check's cases live in the lesson's ``checks`` module, which ships
with ``course_lib``: every learner can read all of them, and no check keeps a case back from the
learner. Hiding a call in the test cell would hide nothing, so the export does not pretend to.
What nbgrader adds is that a test cell is restored from the gradebook before grading, so a learner
who edits or deletes it still gets the self-check as written.

The folder holds ``nbgrader_config.py`` (course id, ``CourseDirectory.root`` = the folder itself,
the gradebook as ``gradebook.db`` inside it, a per-cell time limit that fits the slower lessons)
and ``source/<lesson>/<lesson>.ipynb``: each lesson is one nbgrader *assignment* named like its
notebook. Links between lessons point at the neighbouring assignment folders. The folder is written
as the editions are (``course_lib.tools.editions``): into a temporary sibling renamed into place,
never over a folder course-lib did not write.

Building needs only ``nbformat``. :func:`validate_export` runs ``nbgrader validate`` on the exported
source notebooks and needs the ``instructor`` extra (``pip install -e '.[instructor]'``).
"""

from __future__ import annotations

import ast
import copy
import io
import math
import os
import re
import textwrap
import time
import tokenize
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from course_lib.tools.editions import (
    EditionError, LessonNotebook, check_stub_uses, check_target, kernel_environment, load_lessons, replacing,
    solution_functions, strip_outputs,
)

__all__ = [
    "BEGIN_SOLUTION",
    "COURSE_ID",
    "END_SOLUTION",
    "NbgraderReport",
    "ValidationResult",
    "build_nbgrader",
    "cell_metadata",
    "nbgrader_config",
    "nbgrader_notebook",
    "solution_with_markers",
    "validate_export",
]

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
COURSE_ID = "how-neural-networks-are-trained"
CELL_TIMEOUT = 600  # seconds nbgrader lets one cell run; lesson 08's CNN epoch takes about a minute on 2 cores
_MARKER_WORDS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
_LESSON_LINK = re.compile(r"(\]\(|href=[\"'])(\d\d_[\w-]+)\.ipynb(?=[#)\"'])")


def cell_metadata(grade_id: str, *, solution: bool = False, grade: bool = False, locked: bool = False,
                  points: float | None = None) -> dict:
    """``metadata.nbgrader`` of one cell, as nbgrader's own cell toolbar writes it (schema version 3)."""
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution,
            "task": False}
    if grade:
        meta["points"] = points
    return meta


def _header_end(source: str, node: ast.FunctionDef) -> int:
    """The line (1-based) of the colon that ends ``node``'s ``def`` header, however many lines it spans."""
    lines = source.splitlines(keepends=True)
    text = "".join(lines[node.lineno - 1:])
    depth = 0
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
        elif tok.type == tokenize.OP and tok.string == ":" and depth == 0:
            return node.lineno + tok.start[0] - 1
    raise EditionError(f"no end of the def line of {node.name} found")  # unreachable for code that parsed


def _task_comment(title: str, task: str, indent: str) -> list[str]:
    text = f"{title}. Your task: {task}"
    return [f"{indent}# {line}" for line in textwrap.wrap(text, width=max(40, 96 - len(indent)))]


def solution_with_markers(solution: str, title: str, task: str, where: str = "the solution") -> str:
    """The solution cell as nbgrader's source: each ``def`` line, the task as a comment, the body marked.

    The body of each function, its docstring included (as the student edition, the release shows the
    task, not the worked answer's words), goes between ``### BEGIN SOLUTION`` and ``### END SOLUTION``;
    nbgrader's release replaces it with ``raise NotImplementedError()``, so the learner keeps the signature.

    >>> print(solution_with_markers("def f(x, k=2):\\n    return x * k", "Exercise 1: Twice", "Return x times k."))
    def f(x, k=2):
        # Exercise 1: Twice. Your task: Return x times k.
        ### BEGIN SOLUTION
        return x * k
        ### END SOLUTION
    """
    for word in _MARKER_WORDS:
        if word in solution:
            raise EditionError(f"{where}: the solution already holds '{word}'; nbgrader would read it as a marker. "
                               "Remove it from the committed notebook")
    lines = solution.splitlines()
    out: list[str] = []
    done = 0  # lines of ``solution`` already copied
    for node in solution_functions(solution, where):
        head = _header_end(solution, node)
        indent = " " * node.body[0].col_offset
        if node.body[0].lineno == head:  # a one-line def: rewrite it so that the body has lines of its own
            out += lines[done:node.lineno - 1]
            tree = ast.parse(ast.unparse(node))
            one = ast.unparse(tree).splitlines()
            first_body = tree.body[0].body[0].lineno  # type: ignore[attr-defined]
            out += one[:first_body - 1] + _task_comment(title, task, "    ") + ["    " + BEGIN_SOLUTION]
            out += one[first_body - 1:] + ["    " + END_SOLUTION]
        else:
            out += lines[done:head]
            out += _task_comment(title, task, indent) + [indent + BEGIN_SOLUTION]
            out += lines[head:node.end_lineno] + [indent + END_SOLUTION]
        done = node.end_lineno
    out += lines[done:]
    return "\n".join(out)


def _link_to_assignment(nb: Any) -> None:
    """``](01_x.ipynb)`` becomes ``](../01_x/01_x.ipynb)``: each lesson sits in its own assignment folder."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _LESSON_LINK.sub(lambda m: f"{m.group(1)}../{m.group(2)}/{m.group(2)}.ipynb", cell.source)


def nbgrader_notebook(lesson: LessonNotebook, points: float = 1.0) -> Any:
    """One lesson as an nbgrader source notebook (see the module's docstring for the mapping).

    Raises :class:`EditionError` when the export would not run in a release: a cell before an
    exercise's check that calls the function the release leaves blank, or text nbgrader would read
    as one of its markers.
    """
    if not (isinstance(points, (int, float)) and math.isfinite(points) and points > 0):
        raise EditionError(f"points must be a positive number (nbgrader's score of one exercise), got {points!r}")
    check_stub_uses(lesson.nb, lesson.exercises, lesson.name)
    nb = strip_outputs(copy.deepcopy(lesson.nb))
    roles: dict[int, tuple[str, int]] = {}
    for n, ex in enumerate(lesson.exercises, start=1):
        roles.update({ex.cell: ("task", n), ex.solution_cell: ("solution", n), ex.check_cell: ("check", n)})
    for i, cell in enumerate(nb.cells):
        role, n = roles.get(i, ("", 0))
        if role == "solution":
            ex = lesson.exercises[n - 1]
            where = f"{lesson.name}, {ex.title} (solution, cell {i})"
            cell.source = solution_with_markers(cell.source, ex.title, ex.task, where)
            meta = cell_metadata(f"ex{n}_solution", solution=True)
        elif role == "check":
            meta = cell_metadata(f"ex{n}_check", grade=True, locked=True, points=float(points))
        elif role == "task":
            meta = cell_metadata(f"ex{n}_task", locked=True)
        elif "prediction" in cell.get("metadata", {}).get("tags", []):
            continue  # the learner's guess goes here; it is never graded, so it stays editable
        else:
            meta = cell_metadata(f"cell_{cell.get('id') or i}", locked=True)
        for word in _MARKER_WORDS:
            if role != "solution" and word in cell.source:
                raise EditionError(f"{lesson.name}, cell {i}: holds '{word}', which nbgrader reads as a marker; "
                                   "reword it in the committed notebook")
        cell.metadata["nbgrader"] = meta
    _link_to_assignment(nb)
    return nb


def nbgrader_config(course_id: str = COURSE_ID, cell_timeout: int = CELL_TIMEOUT) -> str:
    """The text of ``nbgrader_config.py``: every path relative to the file, so the folder may move."""
    return f'''# nbgrader configuration of the course "How neural networks are trained",
# written by `course-lib build-nbgrader`. Run nbgrader's commands in this folder.
import os

c = get_config()  # noqa: F821 (nbgrader provides it)
here = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = here
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(here, "gradebook.db")

# nbgrader stops a cell after 30 s by default; training cells of the later lessons take longer.
c.Execute.timeout = {cell_timeout}
'''


@dataclass
class NbgraderReport:
    out_dir: Path
    assignments: list[str]
    exercises: int
    points: float
    kept: Path | None = None  # where an earlier export with changes (a gradebook, submissions) went


def build_nbgrader(
    out_dir: Path, *, notebook_dir: Path | None = None, only: Sequence[str] | None = None, points: float = 1.0,
    force: bool = False,
) -> NbgraderReport:
    """Write the nbgrader course folder: ``nbgrader_config.py`` and ``source/<lesson>/<lesson>.ipynb``.

    Args:
        out_dir: the course folder; created, or replaced with ``force`` when it holds an earlier export.
        notebook_dir: where the lessons are (default: the repository's ``notebooks/``).
        only: lessons to export (stems, names or numbers); default all.
        points: the score of each exercise's test cell.
    """
    import nbformat

    out_dir = Path(out_dir).expanduser().absolute()
    check_target(out_dir, force)
    lessons = load_lessons(notebook_dir, only)
    notebooks = [(lesson.stem, nbgrader_notebook(lesson, points)) for lesson in lessons]  # every error before any write
    with replacing(out_dir, "nbgrader") as target:
        (target[0] / "nbgrader_config.py").write_text(nbgrader_config(), encoding="utf-8")
        for stem, nb in notebooks:
            folder = target[0] / "source" / stem
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{stem}.ipynb")
    return NbgraderReport(out_dir, [stem for stem, _ in notebooks], sum(len(lesson.exercises) for lesson in lessons),
                          float(points), target[1] if len(target) > 1 else None)


# --------------------------------------------------------------------------------------------
# nbgrader validate over the export (needs the instructor extra)
# --------------------------------------------------------------------------------------------


@dataclass
class ValidationResult:
    assignment: str
    seconds: float
    problems: list[str]  # empty: nbgrader validate passed

    @property
    def passed(self) -> bool:
        return not self.problems


@contextmanager
def _kernel_environment() -> Iterator[None]:
    """Run kernels as the editions do (one BLAS thread, inline plots); put the environment back after."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(kernel_environment())
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _nbgrader_validator(cell_timeout: int) -> Any:
    try:
        from nbgrader.validator import Validator
    except ImportError:
        raise EditionError(
            "nbgrader is not installed, so the export cannot be validated; install the instructor extra: "
            "pip install -c constraints.txt -e '.[instructor]'"
        ) from None
    from traitlets.config import Config

    config = Config()
    config.Execute.timeout = cell_timeout
    return Validator(config=config)


def validate_export(
    out_dir: Path, *, only: Sequence[str] | None = None, cell_timeout: int = CELL_TIMEOUT,
    progress: Callable[[str], None] | None = None,
) -> list[ValidationResult]:
    """Run ``nbgrader validate`` on the source notebooks of an export, solutions in place.

    Each notebook runs top to bottom in a fresh kernel; every test cell must pass. ``only`` picks
    assignments by name or number, as ``build_nbgrader`` does.
    """
    say = progress or (lambda _line: None)
    source = Path(out_dir) / "source"
    if not source.is_dir():
        raise EditionError(f"{source} not found; build the export first: course-lib build-nbgrader {out_dir}")
    folders = sorted(p for p in source.iterdir() if p.is_dir())
    if only:
        folders = [p for p in folders if any(w.removesuffix(".ipynb") in (p.name, p.name[:2]) for w in only)]
    validator = _nbgrader_validator(cell_timeout)
    results = []
    for folder in folders:
        say(f"validating {folder.name} ...")
        start = time.monotonic()
        problems: list[str] = []
        with _kernel_environment():
            for path in sorted(folder.glob("*.ipynb")):
                try:
                    found = validator.validate(str(path))
                except Exception as err:  # a dead kernel, a damaged notebook: this lesson fails, the others still run
                    problems.append(f"{path.name}: nbgrader validate stopped: {type(err).__name__}: {err}"[:600])
                    continue
                for kind in ("type_changed", "changed", "failed"):
                    problems += [f"{path.name}: {kind}: {item.get('raw_error') or item.get('source', '')}".strip()[:600]
                                 for item in found.get(kind, [])]
        results.append(ValidationResult(folder.name, time.monotonic() - start, problems))
        say(f"  {'passed' if not problems else 'FAILED'} in {results[-1].seconds:.1f} s")
    return results
