"""Workshop editions of the course: the student edition and the lessons as a static web site.

The committed notebooks are the *instructor edition*: every exercise holds a worked solution, so
nbval proves that its self-check passes. An exercise is three cells in a row:

1. a markdown cell tagged ``exercise`` that states the task, under a heading "Exercise N: ...";
2. a code cell tagged ``solution``: one ``def`` (or several) and nothing else;
3. a code cell tagged ``check`` that calls a self-check imported from the lesson's checks module,
   ``course_lib.lessons.lNN_<topic>.checks``.

:func:`build_student` writes the *student edition*: the same notebooks, outputs stripped, with each
solution replaced by a stub of the same name and signature whose body raises
``NotImplementedError`` saying what to write (the task, never how); the self-check then reports
"not written yet". Hints come from the checks, a level at a time (``course_lib.ui.checks.Hints``).

Two more kinds of cell carry a tag. A ``prediction`` cell grades a guess before the cell that
reveals the answer. A ``claim`` cell asserts, with ``course_lib.ui.claims.claim``, a number the
prose quotes from the run above it; it is collapsed in JupyterLab (``jupyter.source_hidden``), kept
in the student edition, and left out of the site (which runs it, so a false claim fails the build).
:func:`build_site` executes the notebooks and renders them with nbconvert into static HTML pages
with their plots embedded, an index in course order, and links between the lessons. The site
needs no network: MathJax is copied in from the ``jupyter-server-mathjax`` package when installed.

Both builds write into a temporary folder beside OUT_DIR and rename it into place at the end, so an
error leaves OUT_DIR as it was.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import html
import json
import os
import re
import shutil
import stat
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "EditionError",
    "Exercise",
    "LessonNotebook",
    "SiteReport",
    "build_site",
    "build_student",
    "changed_files",
    "default_notebook_dir",
    "find_exercises",
    "load_lessons",
    "stub_source",
    "student_notebook",
]

MARKER = ".course-lib-edition.json"  # written into every edition; --force replaces only folders holding it
LESSON_GLOB = "[0-9][0-9]_*.ipynb"
COURSE_TITLE = "How neural networks are trained"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")


class EditionError(Exception):
    """A notebook cannot be read or breaks the exercise convention, or OUT_DIR cannot be used."""


def default_notebook_dir() -> Path:
    """``notebooks/`` of the course's repository (this package is installed from it in editable mode)."""
    return Path(__file__).resolve().parents[2] / "notebooks"


# --------------------------------------------------------------------------------------------
# Reading the lessons and their exercises
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exercise:
    """One exercise: its markdown cell at ``cell``, the solution at ``cell + 1``, the check at ``cell + 2``."""

    notebook: str
    title: str
    cell: int
    functions: tuple[str, ...]
    check: str
    task: str  # what the stub says to write

    @property
    def solution_cell(self) -> int:
        return self.cell + 1

    @property
    def check_cell(self) -> int:
        return self.cell + 2


@dataclass
class LessonNotebook:
    """A lesson notebook as read from disk, with its exercises."""

    path: Path
    nb: Any  # nbformat.NotebookNode
    exercises: list[Exercise] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def title(self) -> str:
        """The lesson's first top-level heading, e.g. "01 · Gradient descent"."""
        for cell in self.nb.cells:
            if cell.cell_type == "markdown":
                for line in cell.source.splitlines():
                    if line.startswith("# "):
                        return line[2:].strip()
        return self.stem

    @property
    def objectives(self) -> str:
        """The markdown under the "Learning objectives" heading, up to the next heading."""
        for cell in self.nb.cells:
            if cell.cell_type != "markdown":
                continue
            lines = cell.source.splitlines()
            for i, line in enumerate(lines):
                if line.startswith("#") and "Learning objectives" in line:
                    body = []
                    for rest in lines[i + 1 :]:
                        if rest.startswith("#"):
                            break
                        body.append(rest)
                    return "\n".join(body).strip()
        return ""


def _tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def read_notebook(path: Path) -> Any:
    """Read and validate one notebook; any damage becomes an :class:`EditionError` naming the file."""
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # JSON, encoding, schema or I/O: all mean "this file is damaged"
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise EditionError(
            f"{path.name}: not a readable notebook ({type(err).__name__}: {reason[:200]}). "
            f"Restore it, for example with `git checkout -- {path}`."
        ) from None
    return nb


def load_lessons(folder: Path | None = None, only: Sequence[str] | None = None) -> list[LessonNotebook]:
    """Every lesson ``NN_name.ipynb`` in ``folder``, in course order, read and checked.

    ``only`` picks lessons by file stem ("01_gradient_descent"), file name or number ("01").
    Raises :class:`EditionError` for a missing folder, an unknown lesson, a damaged notebook or an
    exercise that breaks the convention; nothing has been written at that point.
    """
    folder = Path(folder) if folder is not None else default_notebook_dir()
    if not folder.is_dir():
        raise EditionError(f"notebook folder {folder} not found; pass --notebooks with the course's notebooks/ folder")
    paths = sorted(folder.glob(LESSON_GLOB))
    if not paths:
        raise EditionError(f"no lesson notebooks (named like 01_topic.ipynb) in {folder}")
    if only:
        chosen = []
        for wanted in only:
            key = wanted.removesuffix(".ipynb")
            match = [p for p in paths if key in (p.stem, p.stem[:2])]
            if not match:
                names = ", ".join(p.stem for p in paths)
                raise EditionError(f"--only {wanted}: no such lesson in {folder}; choose from {names}")
            chosen += [p for p in match if p not in chosen]
        paths = sorted(chosen)
    lessons = []
    for path in paths:
        nb = read_notebook(path)
        claim_cells(nb, path.name)
        lessons.append(LessonNotebook(path, nb, find_exercises(nb, path.name)))
    return lessons


def _calls_to(tree: ast.Module | None, name: str) -> int:
    return sum(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name for n in ast.walk(tree)
    ) if tree else 0


def claim_cells(nb: Any, name: str) -> dict[int, int]:
    """The ``claim`` cells of a notebook and how many claims each asserts: ``{cell index: claims}``.

    Raises :class:`EditionError` for a claim cell that is not code, is not collapsed
    (``metadata.jupyter.source_hidden``) or asserts nothing, and for a ``claim(...)`` call outside one.
    """
    found = {}
    for i, cell in enumerate(nb.cells):
        tree = _parse_code(cell.source) if cell.cell_type == "code" else None
        calls = _calls_to(tree, "claim")
        if "claim" not in _tags(cell):
            if calls:
                raise EditionError(f"{name}, cell {i}: calls claim(...) but is not tagged 'claim'; tag it and collapse it")
            continue
        if cell.cell_type != "code" or not calls:
            raise EditionError(f"{name}, cell {i}: a cell tagged 'claim' must be code that calls claim(...)")
        if not cell.get("metadata", {}).get("jupyter", {}).get("source_hidden"):
            raise EditionError(
                f"{name}, cell {i}: a claim cell is shown collapsed; set its metadata jupyter.source_hidden to true"
            )
        found[i] = calls
    return found


def _parse_code(source: str) -> ast.Module | None:
    """A code cell as Python, after IPython's own rewriting of magics; None if it is not Python."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return None


def _is_checks_module(module: str | None) -> bool:
    """True for a lesson's module of self-checks, ``course_lib.lessons.<lesson>.checks``."""
    parts = (module or "").split(".")
    return len(parts) == 4 and parts[:2] == ["course_lib", "lessons"] and parts[3] == "checks"


def _check_names(nb: Any) -> tuple[set[str], set[str]]:
    """Names imported from a lesson's checks module in the notebook: (functions, module aliases)."""
    functions: set[str] = set()
    modules: set[str] = set()
    for cell in nb.cells:
        tree = _parse_code(cell.source) if cell.cell_type == "code" else None
        for node in ast.walk(tree) if tree else ():
            if isinstance(node, ast.ImportFrom) and _is_checks_module(node.module):
                functions.update(alias.asname or alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course_lib.lessons."):
                modules.update(alias.asname or alias.name for alias in node.names if alias.name == "checks")
            elif isinstance(node, ast.Import):
                modules.update(a.asname for a in node.names if a.asname and _is_checks_module(a.name))
    return functions, modules


def _called_check(source: str, functions: set[str], modules: set[str]) -> str | None:
    """The first call in ``source`` to a function imported from a lesson's checks module, or None."""
    tree = _parse_code(source)
    for node in ast.walk(tree) if tree else ():
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and node.func.id in functions:
            return node.func.id
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) and node.func.value.id in modules:
            return node.func.attr
    return None


def _title(markdown: str) -> str:
    for line in markdown.splitlines():
        if line.strip():
            return line.lstrip("#").strip()
    return "an untitled exercise"


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    return re.split(r"(?<=[.!?])\s+(?=[A-Z`*(])", text, maxsplit=1)[0]


def task_for(markdown: str, metadata: dict) -> str:
    """What the stub says: the solution cell's ``task`` metadata, else the exercise's first sentence.

    It says what to write, never how: the hints that teach come from the check, one level at a time.
    """
    if metadata.get("task"):
        return " ".join(str(metadata["task"]).split())
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", markdown) if p.strip() and not p.lstrip().startswith("#")]
    return _first_sentence(paragraphs[0]) if paragraphs else "do what the exercise above asks."


def solution_lines(source: str) -> set[str]:
    """The code of a solution that a hint must not give away: each statement and expression of its bodies.

    Spaces are removed (``2/fan_in`` is ``2 / fan_in``); names, constants and short pieces such as
    ``x ** 2`` are left out, since a hint may name them.
    """
    lines: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.Module)) or not isinstance(node, (ast.stmt, ast.expr)):
            continue
        if isinstance(node, (ast.Name, ast.Constant, ast.Attribute, ast.Return, ast.Pass)):
            continue
        if isinstance(node, (ast.For, ast.While, ast.If, ast.With)):
            text = ast.unparse(node).splitlines()[0]  # the header only
        else:
            text = ast.unparse(node)
        text = "".join(text.split())
        if len(text) >= 12:
            lines.add(text)
    return lines


def leaked_lines(text: str, solution: str) -> list[str]:
    """The lines of ``solution`` (:func:`solution_lines`) that ``text`` contains, spaces ignored."""
    flat = "".join(text.split()).replace("`", "")
    return sorted(line for line in solution_lines(solution) if line in flat)


def solution_functions(source: str, where: str) -> list[ast.FunctionDef]:
    """The ``def`` statements a solution cell consists of; anything else is an :class:`EditionError`."""
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise EditionError(f"{where}: the solution cell is not valid Python ({err.msg}, line {err.lineno})") from None
    if not tree.body:
        raise EditionError(f"{where}: the solution cell is empty; it must define the function the check grades")
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or node.decorator_list:
            kind = "a decorated def" if isinstance(node, ast.FunctionDef) else type(node).__name__.lower()
            raise EditionError(
                f"{where}: the solution cell holds {kind} on line {node.lineno}; the student edition can only "
                "stub cells made of plain `def` statements. Move other code out of the solution cell."
            )
    return list(tree.body)  # type: ignore[arg-type]


def find_exercises(nb: Any, name: str) -> list[Exercise]:
    """Every exercise of a notebook; a broken convention is an :class:`EditionError` naming the cell.

    Checks: each ``exercise`` cell is markdown and is followed by a ``solution`` code cell made of
    ``def`` statements and a ``check`` code cell that calls a function imported from
    a lesson's checks module; every ``solution`` and ``check`` cell belongs to such an exercise.
    """
    cells = nb.cells
    tags = [_tags(cell) for cell in cells]
    functions, modules = _check_names(nb)
    exercises = []
    for i, cell in enumerate(cells):
        if "solution" in tags[i] and (i == 0 or "exercise" not in tags[i - 1]):
            raise EditionError(f"{name}, cell {i}: a cell tagged 'solution' without a matching 'exercise' cell right before it")
        if "check" in tags[i] and (i == 0 or "solution" not in tags[i - 1]):
            raise EditionError(f"{name}, cell {i}: a cell tagged 'check' without a 'solution' cell right before it")
        if "exercise" not in tags[i]:
            continue
        title = _title(cell.source)
        where = f"{name}, {title} (cell {i})"
        if cell.cell_type != "markdown":
            raise EditionError(f"{where}: an 'exercise' cell states the task in markdown, but this is a {cell.cell_type} cell")
        if i + 2 >= len(cells) or "solution" not in tags[i + 1] or cells[i + 1].cell_type != "code":
            raise EditionError(f"{where}: expected a code cell tagged 'solution' right after the exercise")
        if "check" not in tags[i + 2] or cells[i + 2].cell_type != "code":
            raise EditionError(f"{where}: expected a code cell tagged 'check' after the solution; this exercise has no self-check")
        check = _called_check(cells[i + 2].source, functions, modules)
        if check is None:
            raise EditionError(
                f"{where}: the check cell calls no self-check; call a check_* function imported from the lesson's checks module"
            )
        defs = solution_functions(cells[i + 1].source, f"{name}, {title} (solution, cell {i + 1})")
        task = task_for(cell.source, cells[i + 1].get("metadata", {}))
        exercises.append(Exercise(name, title, i, tuple(d.name for d in defs), check, task))
    return exercises


# --------------------------------------------------------------------------------------------
# The student edition
# --------------------------------------------------------------------------------------------


def stub_source(solution: str, title: str, task: str, where: str = "the solution") -> str:
    """The student's starting cell: each ``def`` of ``solution`` kept, its body a NotImplementedError.

    >>> print(stub_source("def f(x, k=2):\\n    return x * k", "Exercise 1: Twice", "Return x times k."))
    def f(x, k=2):
        # Exercise 1: Twice. Write your code here, in place of the `raise` line.
        raise NotImplementedError('Your task: Return x times k.')
    """
    stubs = []
    for node in solution_functions(solution, where):
        returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
        stubs.append(
            f"def {node.name}({ast.unparse(node.args)}){returns}:\n"
            f"    # {title}. Write your code here, in place of the `raise` line.\n"
            f"    raise NotImplementedError({'Your task: ' + task!r})"
        )
    return "\n\n\n".join(stubs)


def strip_outputs(nb: Any) -> Any:
    """Remove outputs, execution counts, widget state and run times, as nbstripout does."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def _stub_uses(nb: Any, exercises: list[Exercise], name: str) -> None:
    """Fail if a cell before an exercise's check calls a function the student edition stubs.

    Cells after the check may use the learner's function: in the student edition a Run All stops at
    the check until the function is written, so the lesson can go on with the learner's own code.
    """
    for ex in exercises:
        for i, cell in enumerate(nb.cells[: ex.check_cell]):
            if cell.cell_type != "code" or i == ex.solution_cell:
                continue
            tree = _parse_code(cell.source)
            used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} if tree else set()
            for fn in sorted(used & set(ex.functions)):
                raise EditionError(
                    f"{name}, cell {i}: uses {fn} before its exercise's check ({ex.title}), and the student "
                    "edition replaces it with a stub; use it only in the check cell and the cells after it"
                )


def student_notebook(lesson: LessonNotebook) -> Any:
    """The student edition of one lesson: outputs stripped, each solution replaced by its stub."""
    _stub_uses(lesson.nb, lesson.exercises, lesson.name)
    nb = strip_outputs(copy.deepcopy(lesson.nb))
    for ex in lesson.exercises:
        where = f"{lesson.name}, {ex.title} (solution, cell {ex.solution_cell})"
        nb.cells[ex.solution_cell].source = stub_source(nb.cells[ex.solution_cell].source, ex.title, ex.task, where)
    return nb


@dataclass
class StudentReport:
    out_dir: Path
    notebooks: list[str]
    exercises: int
    kept: Path | None = None  # where an earlier edition with changes went, instead of being deleted


def build_student(out_dir: Path, *, notebook_dir: Path | None = None, force: bool = False) -> StudentReport:
    """Write the student edition of every lesson into ``out_dir`` (see the module's docstring)."""
    import nbformat

    out_dir = _resolve(out_dir)
    _check_target(out_dir, force)
    lessons = load_lessons(notebook_dir)
    editions = [(lesson.name, student_notebook(lesson)) for lesson in lessons]  # every error before any write
    with _replacing(out_dir, "student") as target:
        for name, nb in editions:
            nbformat.write(nb, target[0] / name)
    return StudentReport(out_dir, [n for n, _ in editions], sum(len(lesson.exercises) for lesson in lessons),
                         target[1] if len(target) > 1 else None)


# --------------------------------------------------------------------------------------------
# Writing a folder all at once
# --------------------------------------------------------------------------------------------


def _resolve(out_dir: Path) -> Path:
    return Path(out_dir).expanduser().absolute()


def _check_target(out_dir: Path, force: bool) -> None:
    """Refuse a file, a read-only folder, a non-empty folder without ``force``, and any folder course-lib did not write."""
    if out_dir.exists() and not out_dir.is_dir():
        raise EditionError(f"{out_dir} is a file; give a folder to write the edition into")
    if out_dir.is_dir() and not out_dir.stat().st_mode & stat.S_IWUSR:
        raise EditionError(f"{out_dir} is read-only, so it is not replaced; make it writable (chmod u+w) or choose "
                           "another folder. Nothing was written")
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        return
    if not force:
        raise EditionError(f"{out_dir} is not empty; pass --force to replace the edition in it, or choose a new folder")
    if not (out_dir / MARKER).is_file():
        raise EditionError(
            f"{out_dir} is not empty and holds no earlier edition ({MARKER} is missing), so even --force "
            "will not delete it; choose a new or empty folder"
        )


def _digests(folder: Path) -> dict[str, str]:
    """Every file of an edition (but its marker) by relative path, with the SHA-256 of its bytes."""
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file() and path.name != MARKER}


def changed_files(out_dir: Path) -> list[str]:
    """The files of an earlier edition that changed since course-lib wrote it: edited, added or deleted.

    A learner's work lives in these; an edition written before course-lib recorded its files counts
    as changed throughout.
    """
    try:
        recorded = json.loads((out_dir / MARKER).read_text()).get("files")
    except (OSError, ValueError, AttributeError):
        recorded = None
    current = _digests(out_dir)
    if not isinstance(recorded, dict):
        return sorted(current) or ["(every file: this edition's record of its files is missing)"]
    return sorted(name for name in recorded.keys() | current.keys() if recorded.get(name) != current.get(name))


@contextmanager
def _replacing(out_dir: Path, edition: str) -> Iterator[list[Path]]:
    """Yield ``[tmp]``, a temporary sibling of ``out_dir`` to fill; on success it becomes ``out_dir``.

    The earlier edition it replaces is deleted only if nothing in it changed since course-lib wrote it;
    otherwise it is kept beside, as ``<name>.kept-<date>-<time>``, and that path is appended to the
    yielded list, so the caller can say where the learner's work went.
    """
    from course_lib import __version__

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.building-", dir=out_dir.parent))
    target = [tmp]
    try:
        yield target
        marker = {"edition": edition, "course_lib": __version__, "built": time.strftime("%Y-%m-%d %H:%M:%S"),
                  "files": _digests(tmp)}
        (tmp / MARKER).write_text(json.dumps(marker, indent=1) + "\n")
        tmp.chmod(0o755)  # mkdtemp makes it private; an edition is meant to be shared
        if out_dir.exists():
            changed = (out_dir / MARKER).is_file() and bool(changed_files(out_dir))
            if changed:
                old = out_dir.with_name(f"{out_dir.name}.kept-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:4]}")
            else:
                old = out_dir.with_name(f".{out_dir.name}.old-{uuid.uuid4().hex[:8]}")
            out_dir.rename(old)
            try:
                tmp.rename(out_dir)
            except OSError:
                old.rename(out_dir)
                raise
            if changed:
                target.append(old)
            else:
                shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# What the nbgrader export (course_lib.tools.nbgrader_export) shares with the editions: the same
# refusal of a folder course-lib did not write, the same atomic write, the same check that no cell
# before an exercise's check calls the function a release leaves blank.
check_target = _check_target
replacing = _replacing
check_stub_uses = _stub_uses


# --------------------------------------------------------------------------------------------
# The site
# --------------------------------------------------------------------------------------------

_WIDGET_NOTE = (
    '<div class="course-widget-note"><strong>Interactive widget.</strong> Its sliders and buttons work '
    "when you run this notebook in JupyterLab; this static page cannot run Python. {what}</div>"
)

# nbconvert's "lab" template without anything fetched from the internet: no require.js, no widget
# manager, no mermaid, and MathJax from the site's own copy. Plus a bar linking the lessons.
_LESSON_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_js_mathjax -%}{{ resources.course.mathjax }}{%- endblock html_head_js_mathjax -%}
{%- block extra_css -%}<style type="text/css">{{ resources.course.css }}</style>{%- endblock extra_css -%}
{%- block body_header -%}{{ super() }}{{ resources.course.nav }}{%- endblock body_header -%}
{%- block body_footer -%}{{ resources.course.nav }}{{ super() }}{%- endblock body_footer -%}
"""

_CSS = """
.course-nav { display: flex; justify-content: space-between; gap: 1em; padding: 0.6em 1em; margin: 0.5em 0;
  background: #f3f6fa; border: 1px solid #d5dde8; border-radius: 6px; font-family: sans-serif; }
.course-nav a { text-decoration: none; }
.course-widget-note { padding: 0.5em 0.8em; margin: 0.3em 0; background: #fff8e1; border-left: 4px solid #f0b400;
  font-family: sans-serif; font-size: 0.9em; }
"""

_INDEX_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{{ course_title }}</title>
{{ mathjax }}
<style type="text/css">
body { font-family: sans-serif; max-width: 52em; margin: 2em auto; padding: 0 1em; line-height: 1.5; color: #222; }
.note { padding: 0.6em 1em; background: #fff8e1; border-left: 4px solid #f0b400; }
.lesson { border-top: 1px solid #ddd; padding: 0.4em 0 0.8em; }
.lesson h2 { margin-bottom: 0.2em; } .lesson h2 a { text-decoration: none; }
.meta { color: #666; font-size: 0.9em; }
</style>
</head>
<body>
<h1>{{ course_title }}</h1>
<p>The lessons of the course as static pages, in course order, each run from top to bottom with
its outputs and plots. To change the code, move the sliders or solve the exercises, open the
notebooks in JupyterLab (<code>make lab</code>).</p>
<p class="note"><strong>Widgets are not interactive here.</strong> A page shows the picture each
widget held when the page was built (an explorer at its starting values), but sliders and buttons
need a running Python kernel: use them in JupyterLab. These pages need no network connection.</p>
{% for lesson in lessons %}
<div class="lesson">
<h2><a href="{{ lesson.href }}">{{ lesson.title }}</a></h2>
<p class="meta">{{ lesson.exercises }} exercises &middot; ran in {{ lesson.seconds }} s when this site was built</p>
{% if lesson.objectives %}<div class="objectives">{{ lesson.objectives }}</div>{% endif %}
</div>
{% endfor %}
<p class="meta">Built {{ built }} with course-lib {{ version }}.</p>
</body>
</html>
"""

_MATHJAX_CONFIG = """<script type="text/x-mathjax-config">
MathJax.Hub.Config({
  tex2jax: {inlineMath: [["$", "$"], ["\\\\(", "\\\\)"]], displayMath: [["$$", "$$"], ["\\\\[", "\\\\]"]],
            processEscapes: true, processEnvironments: true},
  "HTML-CSS": {availableFonts: [], webFont: "STIX-Web", imageFont: null, preferredFont: null},
  messageStyle: "none"
});
</script>
<script type="text/javascript" src="{src}"></script>"""

_MATHJAX_DIR = "_static/mathjax"


def _local_mathjax() -> Path | None:
    """MathJax 2 as shipped by the ``jupyter-server-mathjax`` package, or None when not installed."""
    try:
        import jupyter_server_mathjax
    except ImportError:
        return None
    static = Path(jupyter_server_mathjax.__file__).parent / "static"
    return static if (static / "MathJax.js").is_file() else None


def kernel_environment() -> dict[str, str]:
    """The environment notebooks run in: one BLAS/OpenMP thread each, and never MPLBACKEND.

    A kernel inherits its parent's environment; ``MPLBACKEND=Agg`` there would silence every
    inline plot, and the site would have none.
    """
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", PYDEVD_DISABLE_FILE_VALIDATION="1")
    return env


def execute_notebook(nb: Any, name: str, workdir: Path, timeout: float) -> tuple[Any, dict, float]:
    """Run ``nb`` top to bottom in a fresh kernel, in ``workdir``; at most ``timeout`` seconds in all.

    Returns the executed notebook, the widgets' state (by model id) and the seconds it took.
    A failing cell, a timeout or a dying kernel is an :class:`EditionError` naming the cell.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = copy.deepcopy(nb)  # the caller's notebook stays as it was
    start = time.monotonic()
    current = {"index": None}

    def remaining(_cell: Any) -> int:  # nbclient asks before each cell: the rest of the notebook's budget
        return max(1, int(timeout - (time.monotonic() - start)))

    def on_start(cell: Any, cell_index: int) -> None:
        current["index"] = cell_index

    client = NotebookClient(
        nb, timeout_func=remaining, kernel_name="python3", store_widget_state=True, on_cell_start=on_start,
        resources={"metadata": {"path": str(workdir)}},
    )
    try:
        client.execute(env=kernel_environment(), cwd=str(workdir))
    except CellTimeoutError:
        raise EditionError(
            f"{name}: still running at cell {current['index']} after the notebook's {timeout:g} s; "
            "raise --timeout (the instructor guide lists how long each lesson takes)"
        ) from None
    except CellExecutionError as err:
        raise EditionError(f"{name}, cell {current['index']} failed: {err.ename}: {err.evalue}") from None
    except DeadKernelError as err:
        raise EditionError(f"{name}: the kernel died at cell {current['index']} ({err})") from None
    return nb, widget_state_with_buffers(client.widget_state, client.widget_buffers), time.monotonic() - start


def widget_state_with_buffers(state: dict, buffers: dict) -> dict:
    """The widgets' state with their binary buffers put back, base64-encoded, where they belong.

    nbclient keeps a binary trait (an explorer's Image ``value``, its PNG) apart from the state, as
    ``{model_id: {path: {"data": base64, "path": [...]}}}``; a static page needs it in the state.
    """
    state = {model_id: dict(model) for model_id, model in state.items()}
    for model_id, by_path in buffers.items():
        for buffer in by_path.values():
            if model_id in state and len(buffer.get("path", ())) == 1:
                state[model_id][buffer["path"][0]] = buffer["data"]
    return state


def _widget_models(model_id: str, state: dict, seen: set[str] | None = None) -> Iterator[dict]:
    """The state of widget ``model_id`` and of every widget inside it, depth first."""
    seen = set() if seen is None else seen
    if model_id in seen or model_id not in state:
        return
    seen.add(model_id)
    model = state[model_id]
    yield model
    for child in model.get("children", []):
        if isinstance(child, str) and child.startswith("IPY_MODEL_"):
            yield from _widget_models(child.removeprefix("IPY_MODEL_"), state, seen)


def _frozen_widget(model_id: str, state: dict) -> list[dict]:
    """What a static page shows for one widget, as output bundles (mimetype -> data).

    A progress bar (tqdm's) becomes its text, e.g. "100% 469/469 [00:05<00:00]". Any other
    widget (an explorer, even one with a progress bar of its own) becomes a note that it is
    interactive only in JupyterLab, followed by the pictures its Image (or Output) widgets held when the
    notebook finished (an explorer's picture at its starting values, a live plot's last state)
    and the HTML tables it showed (lesson 09's table of runs).
    """
    models = list(_widget_models(model_id, state))
    names = {m.get("_model_name") for m in models}
    if names & {"FloatProgressModel", "IntProgressModel"} and not names & {"OutputModel", "ImageModel"}:  # tqdm's bar, not an explorer
        texts = [re.sub(r"<[^>]*>", "", html.unescape(str(m.get("value", "")))).strip()
                 for m in models if m.get("_model_name") in ("HTMLModel", "LabelModel")]
        return [{"text/plain": "progress: " + " ".join(t for t in texts if t)}]
    images = [
        {k: v for k, v in out["data"].items() if k in _IMAGE_TYPES}
        for model in models
        for out in model.get("outputs", [])
        if out.get("output_type") in ("display_data", "execute_result") and any(k in out.get("data", {}) for k in _IMAGE_TYPES)
    ] + [  # an explorer's figure_view: an Image widget whose value is the PNG (base64 once saved)
        {f"image/{model['format']}": model["value"]}
        for model in models
        if model.get("_model_name") == "ImageModel" and f"image/{model.get('format')}" in _IMAGE_TYPES
        and isinstance(model.get("value"), str) and model["value"]
    ]
    tables = [{"text/html": str(m["value"])} for m in models
              if m.get("_model_name") == "HTMLModel" and "<table" in str(m.get("value", ""))]
    what = "Below is the picture it showed when this page was built." if images else ""
    return [{"text/html": _WIDGET_NOTE.format(what=what)}, *images, *tables]


def freeze_widgets(nb: Any, state: dict) -> int:
    """Replace each widget output by what a static page can show of it; returns how many there were.

    A static page has no kernel, so a live widget cannot work there; its pictures can be shown.
    """
    from nbformat.v4 import new_output

    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.outputs:
            view = out.get("data", {}).get(WIDGET_VIEW)
            if not view:
                outputs.append(out)
                continue
            count += 1
            outputs += [new_output("display_data", data=data) for data in _frozen_widget(view.get("model_id", ""), state)]
        cell.outputs = outputs
    nb.metadata.pop("widgets", None)
    return count


_LESSON_LINK = re.compile(r"(\]\(|href=[\"'])(\d\d_[\w-]+)\.ipynb(?=[#)\"'])")


def rewrite_lesson_links(nb: Any) -> set[str]:
    """Point links between lessons at the pages: ``](01_x.ipynb)`` becomes ``](01_x.html)``.

    Returns the stems of the lessons linked to.
    """
    linked: set[str] = set()

    def to_html(match: re.Match) -> str:
        linked.add(match.group(2))
        return f"{match.group(1)}{match.group(2)}.html"

    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _LESSON_LINK.sub(to_html, cell.source)
    return linked


def _nav(lessons: list[LessonNotebook], i: int) -> str:
    def link(j: int, arrow: str) -> str:
        if 0 <= j < len(lessons):
            text = f"{arrow} {lessons[j].title}" if arrow == "←" else f"{lessons[j].title} {arrow}"
            return f'<a href="{lessons[j].stem}.html">{html.escape(text)}</a>'
        return "<span></span>"

    return f'<nav class="course-nav">{link(i - 1, "←")}<a href="index.html">All lessons</a>{link(i + 1, "→")}</nav>'


def _exporter() -> Any:
    import jinja2
    from nbconvert import HTMLExporter

    loader = jinja2.DictLoader({"course_lesson.html.j2": _LESSON_TEMPLATE})
    return HTMLExporter(template_name="lab", extra_loaders=[loader], template_file="course_lesson.html.j2", embed_images=True)


@dataclass
class SiteReport:
    out_dir: Path
    pages: list[str]
    seconds: dict[str, float]
    widgets: int
    offline_math: bool
    warnings: list[str]
    kept: Path | None = None  # where an earlier edition with changes went, instead of being deleted


def build_site(
    out_dir: Path,
    *,
    notebook_dir: Path | None = None,
    only: Sequence[str] | None = None,
    timeout: float = 900.0,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> SiteReport:
    """Execute the lessons and write them as HTML pages with an index into ``out_dir``.

    Args:
        out_dir: the site's folder; created, or replaced with ``force`` when it holds an earlier edition.
        notebook_dir: where the lessons are (default: the repository's ``notebooks/``).
        only: lessons to build (stems, names or numbers); default all, in course order.
        timeout: seconds one notebook may run, in all.
        progress: called with a line of text as each lesson starts and ends.
    """
    import jinja2
    from nbconvert.filters import markdown2html

    from course_lib import __version__

    say = progress or (lambda _line: None)
    out_dir = _resolve(out_dir)
    _check_target(out_dir, force)
    lessons = load_lessons(notebook_dir, only)
    mathjax_files = _local_mathjax()
    mathjax_src = (
        f"{_MATHJAX_DIR}/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
        if mathjax_files
        else "https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
    )
    mathjax = _MATHJAX_CONFIG.replace("{src}", mathjax_src)
    warnings = [] if mathjax_files else [
        "jupyter-server-mathjax is not installed: formulas are typeset by MathJax from the internet, and "
        "show as TeX source offline (pip install jupyter-server-mathjax)"
    ]
    exporter = _exporter()
    seconds: dict[str, float] = {}
    widgets = 0
    linked: set[str] = set()
    with _replacing(out_dir, "site") as target:
        tmp = target[0]
        entries = []
        for i, lesson in enumerate(lessons):
            say(f"running {lesson.name} ...")
            nb, state, took = execute_notebook(lesson.nb, lesson.name, lesson.path.parent, timeout)
            seconds[lesson.stem] = took
            widgets += freeze_widgets(nb, state)
            nb.cells = [cell for cell in nb.cells if "claim" not in _tags(cell)]  # they ran; the page need not show them
            linked |= rewrite_lesson_links(nb)
            resources = {"metadata": {"name": lesson.title}, "course": {"nav": _nav(lessons, i), "css": _CSS, "mathjax": mathjax}}
            page, _ = exporter.from_notebook_node(nb, resources=resources)
            (tmp / f"{lesson.stem}.html").write_text(page, encoding="utf-8")
            entries.append({
                "href": f"{lesson.stem}.html", "title": lesson.title, "exercises": len(lesson.exercises),
                "seconds": f"{took:.0f}", "objectives": markdown2html(lesson.objectives),
            })
            say(f"  {lesson.stem}.html written; the notebook ran in {took:.1f} s")
        index = jinja2.Template(_INDEX_TEMPLATE).render(
            course_title=COURSE_TITLE, lessons=entries, mathjax=mathjax, version=__version__,
            built=time.strftime("%Y-%m-%d %H:%M"),
        )
        (tmp / "index.html").write_text(index, encoding="utf-8")
        if mathjax_files:
            shutil.copytree(mathjax_files, tmp / _MATHJAX_DIR)
        (tmp / "build-times.json").write_text(json.dumps({k: round(v, 2) for k, v in seconds.items()}, indent=1) + "\n")
        built = {lesson.stem for lesson in lessons}
        missing = sorted(linked - built)
        if missing:
            warnings.append("links to lessons not in this build lead nowhere: " + ", ".join(f"{m}.html" for m in missing))
    return SiteReport(out_dir, ["index.html", *(f"{lesson.stem}.html" for lesson in lessons)], seconds, widgets,
                      mathjax_files is not None, warnings, target[1] if len(target) > 1 else None)
