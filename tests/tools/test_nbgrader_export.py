"""The nbgrader export (``course-lib build-nbgrader``): the cell mapping, and nbgrader itself on the export.

The first part needs only nbformat. The second runs nbgrader (the ``instructor`` extra): it is
skipped where nbgrader is missing, except in CI (``$CI`` set), where that is a failure, since
``make test`` installs the extra.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_lib.tools.editions import MARKER, EditionError, LessonNotebook, find_exercises, load_lessons
from course_lib.tools.nbgrader_export import (
    BEGIN_SOLUTION, CELL_TIMEOUT, END_SOLUTION, build_nbgrader, nbgrader_config, nbgrader_notebook,
    solution_with_markers, validate_export,
)

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LESSONS = load_lessons()
NBGRADER_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"  # what nbgrader's release puts between the markers
MARKER_WORDS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def course_lib(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    return subprocess.run([str(BIN / "course-lib"), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600)


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def release_source(source: str) -> str:
    """What nbgrader's generate_assignment makes of a solution cell (its ClearSolutions, written out)."""
    out, inside = [], False
    for line in source.split("\n"):
        if "BEGIN SOLUTION" in line:
            indent = re.match(r"\s*", line).group(0)
            out += [indent + stub for stub in NBGRADER_STUB.split("\n")]
            inside = True
        elif "END SOLUTION" in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def without_markers(source: str) -> str:
    """The marked solution with its markers and the task comment above each BEGIN taken out again."""
    lines = source.split("\n")
    drop = set()
    for i, line in enumerate(lines):
        if line.strip() in (BEGIN_SOLUTION, END_SOLUTION):
            drop.add(i)
        if line.strip() == BEGIN_SOLUTION:
            indent, j = line[: len(line) - len(line.lstrip())], i - 1
            while j >= 0 and lines[j].startswith(indent + "# "):
                drop.add(j)
                j -= 1
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)


def _signatures(source: str) -> list[str]:
    return [f"{n.name}({ast.unparse(n.args)})" for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]


# ---- the cell mapping, for every lesson ---------------------------------------------------------------


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.stem)
def test_every_cell_of_a_lesson_maps_onto_nbgrader(lesson):
    nb = nbgrader_notebook(lesson)
    assert len(nb.cells) == len(lesson.nb.cells), "every cell stays, so the notebook runs top to bottom"
    roles = {}
    for n, ex in enumerate(lesson.exercises, start=1):
        roles |= {ex.cell: ("task", n), ex.solution_cell: ("solution", n), ex.check_cell: ("check", n)}
    ids = []
    for i, (cell, original) in enumerate(zip(nb.cells, lesson.nb.cells)):
        meta = _nbgrader(cell)
        role, n = roles.get(i, ("", 0))
        where = f"{lesson.name}, cell {i} ({role or 'other'})"
        if "prediction" in original.metadata.get("tags", []):
            assert meta == {}, f"{where}: a prediction cell stays editable, the learner's guess goes there"
            continue
        assert meta["schema_version"] == 3 and meta["task"] is False, where
        ids.append(meta["grade_id"])
        if role == "solution":
            assert meta == {"grade": False, "grade_id": f"ex{n}_solution", "locked": False, "schema_version": 3,
                            "solution": True, "task": False}, where
        elif role == "check":
            assert meta == {"grade": True, "grade_id": f"ex{n}_check", "locked": True, "points": 1.0,
                            "schema_version": 3, "solution": False, "task": False}, where
            assert cell.source == original.source, f"{where}: the visible check call is the whole test"
        else:
            assert meta["locked"] and not meta["grade"] and not meta["solution"], f"{where}: read-only"
            assert meta["grade_id"] == (f"ex{n}_task" if role == "task" else f"cell_{original.get('id') or i}"), where
            assert cell.source == original.source or "../" in cell.source, f"{where}: kept as committed"
        if role != "solution":
            assert not any(word in cell.source for word in MARKER_WORDS), f"{where}: no markers, and no hidden tests"
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{where}: outputs stripped"
    assert len(ids) == len(set(ids)), f"{lesson.name}: grade ids are unique"
    assert sum(bool(_nbgrader(c).get("grade")) for c in nb.cells) == len(lesson.exercises)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.stem)
def test_a_solution_keeps_its_signature_in_the_release_and_its_body_in_the_source(lesson):
    nb = nbgrader_notebook(lesson)
    for ex in lesson.exercises:
        marked = nb.cells[ex.solution_cell].source
        committed = lesson.nb.cells[ex.solution_cell].source
        where = f"{lesson.name}, {ex.title}"
        assert without_markers(marked) == committed, f"{where}: the solution, in place, is the committed one"
        release = release_source(marked)
        assert _signatures(release) == _signatures(committed), f"{where}: the learner sees each def line"
        assert release.count("raise NotImplementedError()") == len(ex.functions), where
        assert not [line for line in committed.splitlines()[1:] if line.strip() and line in release.splitlines()
                    and not line.lstrip().startswith("def ")], f"{where}: no line of a body is left in the release"
        assert ex.task.split()[0] in release, f"{where}: the release says the task"


def test_markers_go_around_each_body_whatever_the_def_looks_like():
    source = ("# a comment before the defs stays\n"
              "def f(x): return x * 2\n\n\n"
              "def g(\n    a,\n    b=(1, 2),\n) -> int:\n    '''Docstring.'''\n    # a comment of the answer\n    return a + b[0]\n")
    marked = solution_with_markers(source, "Exercise 7: Two", "Write f and g.")
    release = release_source(marked)
    assert _signatures(release) == ["f(x)", "g(a, b=(1, 2))"]
    assert "return" not in release and "Docstring" not in release and "comment of the answer" not in release
    assert release.count("    raise NotImplementedError()") == 2
    assert "# Exercise 7: Two. Your task: Write f and g." in release and release.startswith("# a comment before the defs stays\n")
    assert marked.count(BEGIN_SOLUTION) == marked.count(END_SOLUTION) == 2
    namespace: dict = {}
    exec(marked, namespace)  # the source, markers and all, still runs: the markers are comments
    assert namespace["f"](3) == 6 and namespace["g"](1) == 2


def test_marker_text_outside_a_solution_is_refused_by_cell():
    lesson = _small_lesson(extra=new_markdown_cell("nbgrader reads ### BEGIN HIDDEN TESTS as a marker"))
    with pytest.raises(EditionError, match=r"99_t.ipynb, cell 5: holds 'BEGIN HIDDEN TESTS'"):
        nbgrader_notebook(lesson)
    with pytest.raises(EditionError, match="already holds 'END SOLUTION'"):
        solution_with_markers("def f(x):\n    return x  # END SOLUTION", "Exercise 1: F", "Write f.")


def _small_lesson(extra=None, before_check: bool = False) -> LessonNotebook:
    cells = [
        new_markdown_cell("# 99 · T\n\nSee [the next lesson](01_gradient_descent.ipynb#Exercise)."),
        new_code_cell("from course_lib.lessons.l01_gradient_descent.checks import check_gradient"),
        new_markdown_cell("### Exercise 1: Twice\n\nWrite `twice(x)`.", metadata={"tags": ["exercise"]}),
        new_code_cell("def twice(x):\n    return 2 * x", metadata={"tags": ["solution"]}),
        new_code_cell("check_gradient(twice)", metadata={"tags": ["check"]}),
        new_code_cell("guess = None\nprint(guess)", metadata={"tags": ["prediction"]}),
    ]
    if extra is not None:
        cells.insert(2 if before_check else 5, extra)
    nb = new_notebook(cells=cells)
    return LessonNotebook(Path("99_t.ipynb"), nb, find_exercises(nb, "99_t.ipynb"))


def test_a_cell_that_calls_the_blank_function_before_its_check_is_refused():
    with pytest.raises(EditionError, match="uses twice before its exercise's check"):
        nbgrader_notebook(_small_lesson(extra=new_code_cell("print(twice(3))"), before_check=True))
    assert nbgrader_notebook(_small_lesson(extra=new_code_cell("print(twice(3))")))  # after the check it may


def test_links_between_lessons_point_at_the_neighbouring_assignment():
    nb = nbgrader_notebook(_small_lesson())
    assert "[the next lesson](../01_gradient_descent/01_gradient_descent.ipynb#Exercise)" in nb.cells[0].source


@pytest.mark.parametrize("points", [0, -1, float("nan"), float("inf"), "2"])
def test_points_must_be_a_positive_number(points):
    with pytest.raises(EditionError, match="points must be a positive number"):
        nbgrader_notebook(_small_lesson(), points)


def test_the_config_puts_root_and_gradebook_inside_the_folder_wherever_it_moves(tmp_path):
    from traitlets.config import Config

    for folder in (tmp_path / "a", tmp_path / "moved" / "b"):
        folder.mkdir(parents=True)
        path = folder / "nbgrader_config.py"
        path.write_text(nbgrader_config())
        c = Config()
        exec(compile(path.read_text(), str(path), "exec"), {"get_config": lambda c=c: c, "__file__": str(path)})
        assert c.CourseDirectory.root == str(folder)
        assert c.CourseDirectory.db_url == f"sqlite:///{folder / 'gradebook.db'}"
        assert c.CourseDirectory.course_id == "how-neural-networks-are-trained"
        assert c.Execute.timeout == CELL_TIMEOUT > 30  # nbgrader's default of 30 s per cell stops lesson 08


# ---- the command: folder, --only, --points, refusals ------------------------------------------------


def test_the_command_writes_one_assignment_per_lesson_chosen(tmp_path):
    out = tmp_path / "course"
    result = course_lib("build-nbgrader", str(out), "--only", "1", "--only", "02_loss_functions", "--only", "01",
                        "--points", "2.5")
    assert result.returncode == 1 and "--only 1: no such lesson" in result.stderr and not out.exists()
    result = course_lib("build-nbgrader", str(out), "--only", "02_loss_functions", "--only", "01", "--points", "2.5")
    assert result.returncode == 0, result.stderr
    assert "2 assignments, 8 graded exercises (2.5 points each)" in result.stdout
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        MARKER, "nbgrader_config.py", "source/01_gradient_descent/01_gradient_descent.ipynb",
        "source/02_loss_functions/02_loss_functions.ipynb",
    ]
    nb = nbformat.read(out / "source/02_loss_functions/02_loss_functions.ipynb", as_version=4)
    points = [_nbgrader(c)["points"] for c in nb.cells if _nbgrader(c).get("grade")]
    assert points == [2.5] * 4
    assert json.loads((out / MARKER).read_text())["edition"] == "nbgrader"


def test_the_command_refuses_a_folder_it_did_not_write_and_replaces_its_own(tmp_path):
    out = tmp_path / "course"
    out.mkdir()
    (out / "gradebook.db").write_text("someone's grades")
    for extra in ([], ["--force"]):
        result = course_lib("build-nbgrader", str(out), "--only", "00", *extra)
        assert result.returncode == 1, extra
    assert "holds no earlier edition" in result.stderr and [p.name for p in out.iterdir()] == ["gradebook.db"]
    new = tmp_path / "new"
    assert course_lib("build-nbgrader", str(new), "--only", "00").returncode == 0
    assert course_lib("build-nbgrader", str(new), "--only", "00").returncode == 1, "not without --force"
    assert course_lib("build-nbgrader", str(new), "--only", "00", "--only", "01", "--force").returncode == 0
    assert sorted(p.name for p in (new / "source").iterdir()) == ["00_start_here", "01_gradient_descent"]
    (new / "gradebook.db").write_text("grades")  # the instructor has started grading in it
    result = course_lib("build-nbgrader", str(new), "--only", "00", "--force")
    assert result.returncode == 0 and "it was not deleted: it is now in" in result.stdout
    (kept,) = [p for p in tmp_path.iterdir() if p.name.startswith("new.kept-")]
    assert (kept / "gradebook.db").read_text() == "grades" and not (new / "gradebook.db").exists()


def test_validate_without_an_export_says_how_to_make_one(tmp_path):
    with pytest.raises(EditionError, match="build the export first: course-lib build-nbgrader"):
        validate_export(tmp_path)


# ---- nbgrader itself on the export (the instructor extra) -------------------------------------------


@pytest.fixture(scope="module")
def nbgrader_env() -> dict[str, str]:
    """The environment to run nbgrader in; skip (fail in CI) when the instructor extra is missing."""
    try:
        import nbgrader  # noqa: F401
    except ImportError:
        reason = "nbgrader is missing: pip install -c constraints.txt -e '.[instructor]' (make test installs it)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)", pytrace=False)
        pytest.skip(reason)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    # nbgrader runs `alembic` from PATH when it creates a gradebook: the venv's bin must come first.
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def test_every_lessons_metadata_passes_nbgraders_validator(nbgrader_env):
    from nbgrader.nbgraderformat import MetadataValidator

    for lesson in LESSONS:
        MetadataValidator().validate_nb(nbgrader_notebook(lesson))


# The five fastest lessons (5-10 s each on 2 cores); all thirteen take about 6 minutes, too long for
# every CI run: `course-lib build-nbgrader OUT --validate` runs them all (result in the instructor guide).
FAST = ["00", "01", "02", "03", "04"]


@pytest.fixture(scope="module")
def fast_export(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("nbgrader") / "course"
    build_nbgrader(out, only=FAST)
    return out


@pytest.mark.parametrize("number", FAST)
def test_the_export_passes_nbgrader_validate_with_its_solutions_in_place(number, fast_export, nbgrader_env):
    (result,) = validate_export(fast_export, only=[number])
    assert result.assignment.startswith(number) and result.passed, result.problems


def test_nbgrader_validate_names_a_wrong_solution(tmp_path, nbgrader_env):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    path = REPO / "notebooks" / "02_loss_functions.ipynb"
    nb = nbformat.read(path, as_version=4)
    last = find_exercises(nb, path.name)[-1]
    name = last.functions[0]
    nb.cells[last.solution_cell].source = f"def {name}(*args, **kwargs):\n    return 0.0"
    nbformat.write(nb, notebooks / path.name)
    result = course_lib("build-nbgrader", str(tmp_path / "course"), "--notebooks", str(notebooks), "--validate")
    assert result.returncode == 1, result.stdout
    assert "02_loss_functions fails nbgrader validate:" in result.stderr and last.check in result.stderr, result.stderr
    assert "nbgrader validate: 0 of 1 assignments pass" in result.stdout


def _submit(release: Path, source: Path, folder: Path, wrong: dict[str, str]) -> None:
    """A learner's submission: the release with the solutions written in (``wrong``: grade_id -> other code)."""
    answers = {_nbgrader(c)["grade_id"]: c.source for c in nbformat.read(source, as_version=4).cells
               if _nbgrader(c).get("solution")}
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        grade_id = _nbgrader(cell).get("grade_id")
        if grade_id in answers:
            assert "raise NotImplementedError()" in cell.source, "the release leaves the solution blank"
            cell.source = wrong.get(grade_id) or "\n".join(
                line for line in answers[grade_id].split("\n") if line.strip() not in (BEGIN_SOLUTION, END_SOLUTION))
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / release.name)


def test_nbgrader_generates_the_release_and_autogrades_a_right_and_a_wrong_submission(tmp_path, nbgrader_env):
    """Offline, with the gradebook in SQLite: full marks for the solutions, 3 of 4 with one exercise wrong."""
    from nbgrader.api import Gradebook

    start = time.monotonic()
    out = tmp_path / "course"
    assignment = "01_gradient_descent"
    build_nbgrader(out, only=["01"])

    def nbgrader(*args: str) -> None:
        result = subprocess.run([str(BIN / "nbgrader"), *args], cwd=out, env=nbgrader_env, capture_output=True,
                                text=True, timeout=600)
        assert result.returncode == 0, f"nbgrader {' '.join(args)}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"

    nbgrader("generate_assignment", assignment, "--force")
    release = out / "release" / assignment / f"{assignment}.ipynb"
    source = out / "source" / assignment / f"{assignment}.ipynb"
    released = nbformat.read(release, as_version=4)
    for cell in nbformat.read(source, as_version=4).cells:
        if _nbgrader(cell).get("solution"):
            body = cell.source.split(BEGIN_SOLUTION)[1].split(END_SOLUTION)[0].strip().split("\n")
            blank = next(c.source for c in released.cells if _nbgrader(c).get("grade_id") == _nbgrader(cell)["grade_id"])
            assert cell.source.split("\n")[0] in blank
            assert not [line for line in body if len(line.strip()) >= 12 and line.strip() in blank]
    _submit(release, source, out / "submitted" / "ada" / assignment, {})
    _submit(release, source, out / "submitted" / "bo" / assignment,
            {"ex4_solution": "def max_learning_rate(X):\n    return 1.0  # a guess, not 2 / the largest eigenvalue"})
    nbgrader("autograde", assignment, "--create", "--force")
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gradebook:
        scores = {}
        for student in ("ada", "bo"):
            submission = gradebook.find_submission(assignment, student)
            grades = {g.name: g.score for g in submission.notebooks[0].grades}
            scores[student] = (submission.score, submission.max_score, grades)
    assert scores["ada"] == (4.0, 4.0, {"ex1_check": 1.0, "ex2_check": 1.0, "ex3_check": 1.0, "ex4_check": 1.0})
    assert scores["bo"] == (3.0, 4.0, {"ex1_check": 1.0, "ex2_check": 1.0, "ex3_check": 1.0, "ex4_check": 0.0})
    print(f"\nnbgrader generate_assignment and autograde of two submissions: {time.monotonic() - start:.1f} s")


def _make_dry_run(target: str, tmp_path: Path) -> str:
    """The commands `make TARGET` would run for a fresh virtual environment (make -n runs nothing)."""
    result = subprocess.run(["make", "-n", "-C", str(REPO), target, f"VENV={tmp_path / 'venv'}"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_test_installs_nbgrader_and_make_lab_does_not(tmp_path):
    test, lab = _make_dry_run("test", tmp_path), _make_dry_run("lab", tmp_path)
    assert "pip install --quiet -c constraints.txt -e '.[notebook,dev,instructor]'" in test
    assert "instructor" not in lab and "-e '.[notebook,dev]'" in lab
