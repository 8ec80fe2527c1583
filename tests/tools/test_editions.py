"""The workshop editions: exercises and their self-checks, the student edition, the static site."""

from __future__ import annotations

import ast
import base64
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_lib.ui.checks import CheckFailed
from course_lib.tools.editions import (
    MARKER, WIDGET_VIEW, EditionError, build_site, claim_cells, execute_notebook, find_exercises, freeze_widgets,
    leaked_lines, load_lessons, rewrite_lesson_links, solution_lines, stub_source, student_notebook,
    widget_state_with_buffers,
)

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
COMMAND = Path(sys.executable).parent / "course-lib"
LESSONS = load_lessons()
EXERCISES = [(lesson, ex) for lesson in LESSONS for ex in lesson.exercises]


def course_lib(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    return subprocess.run([str(COMMAND), *args], capture_output=True, text=True, env=env, timeout=300)


def leftovers(folder: Path) -> list[str]:
    """Temporary build folders the atomic writer would leave behind if it failed to clean up."""
    return [p.name for p in folder.iterdir() if ".building-" in p.name or ".old-" in p.name]


# ---- the exercise convention and self-check coverage ------------------------------------------------


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_exercise_has_a_solution_and_a_self_check(path):
    """Lists every exercise; find_exercises fails naming notebook and exercise when one lacks a check."""
    nb = nbformat.read(path, as_version=4)
    exercises = find_exercises(nb, path.name)
    tagged = [i for i, c in enumerate(nb.cells) if "exercise" in c.get("metadata", {}).get("tags", [])]
    assert [ex.cell for ex in exercises] == tagged and exercises, f"{path.name}: exercises {tagged}"
    for ex in exercises:
        assert ex.title.startswith("Exercise "), f"{path.name} cell {ex.cell}: title {ex.title!r}"
        module = _checks_module(nb, ex.check)
        assert callable(getattr(module, ex.check)), f"{path.name}, {ex.title}: {ex.check} not found"
        assert ex.functions and ex.task


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_lesson_record_names_every_exercise_check_in_order(path):
    """The LESSON record is how tools find a lesson's checks: it must match what the notebook calls."""
    from course_lib.lessons import all_lessons

    (lesson,) = [lesson for lesson in all_lessons() if lesson.notebook == path.name]
    exercises = find_exercises(nbformat.read(path, as_version=4), path.name)
    assert [ex.check for ex in exercises] == [check.__name__ for check in lesson.checks]
    module = _checks_module(nbformat.read(path, as_version=4), exercises[0].check)
    assert all(getattr(module, check.__name__) is check for check in lesson.checks)


def _checks_module(nb, name: str):
    """The lesson's checks module the notebook imports ``name`` from."""
    import importlib

    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.ImportFrom) and node.module.startswith("course_lib.lessons.") and node.module.endswith(".checks"):
                if name in {a.name for a in node.names}:
                    return importlib.import_module(node.module)
    raise AssertionError(f"{name} is not imported from a lesson's checks module")


def _exercise_notebook(*cells) -> nbformat.NotebookNode:
    nb = new_notebook(cells=[new_code_cell("from course_lib.lessons.l00_start_here.checks import check_count_digit"), *cells])
    return nb


def _tagged(cell, tag):
    cell.metadata["tags"] = [tag]
    return cell


def test_an_exercise_without_a_check_is_named():
    nb = _exercise_notebook(
        _tagged(new_markdown_cell("### Exercise 1: Count a digit\n\nWrite it."), "exercise"),
        _tagged(new_code_cell("def count_digit(labels, digit):\n    return 0"), "solution"),
        new_code_cell("count_digit([1], 1)"),
    )
    with pytest.raises(EditionError, match=r"^10_demo.ipynb, Exercise 1: Count a digit \(cell 1\): expected a code cell tagged 'check'"):
        find_exercises(nb, "10_demo.ipynb")


def test_a_check_cell_that_calls_no_self_check_is_named():
    nb = _exercise_notebook(
        _tagged(new_markdown_cell("### Exercise 2: Twice"), "exercise"),
        _tagged(new_code_cell("def twice(x):\n    return 2 * x"), "solution"),
        _tagged(new_code_cell("assert twice(2) == 4"), "check"),
    )
    with pytest.raises(EditionError, match=r"10_demo.ipynb, Exercise 2: Twice \(cell 1\): the check cell calls no self-check"):
        find_exercises(nb, "10_demo.ipynb")


def test_a_solution_without_its_exercise_is_named():
    nb = _exercise_notebook(
        new_markdown_cell("Some prose."),
        _tagged(new_code_cell("def count_digit(labels, digit):\n    return 0"), "solution"),
        _tagged(new_code_cell("check_count_digit(count_digit)"), "check"),
    )
    with pytest.raises(EditionError, match=r"^10_demo.ipynb, cell 2: a cell tagged 'solution' without a matching 'exercise'"):
        find_exercises(nb, "10_demo.ipynb")


@pytest.mark.parametrize(
    ("solution", "found"),
    [("answer = 42", "assign"), ("import math\ndef f(x):\n    return x", "import"), ("@staticmethod\ndef f(x):\n    return x", "a decorated def")],
)
def test_a_solution_cell_that_is_not_plain_defs_is_refused_by_name_and_cell(solution, found):
    nb = _exercise_notebook(
        _tagged(new_markdown_cell("### Exercise 1: Count a digit"), "exercise"),
        _tagged(new_code_cell(solution), "solution"),
        _tagged(new_code_cell("check_count_digit(f)"), "check"),
    )
    with pytest.raises(EditionError, match=rf"10_demo.ipynb, Exercise 1: Count a digit \(solution, cell 2\): the solution cell holds {found}"):
        find_exercises(nb, "10_demo.ipynb")


# ---- stubs -----------------------------------------------------------------------------------------


def test_a_stub_keeps_every_function_name_and_signature_and_raises_with_the_task():
    solution = (
        "def helper(x: float, *args, scale=2.0, **kwargs) -> float:\n    return x * scale\n\n"
        "def main(xs, /, k=3, *, mode='a'):\n    total = sum(helper(x) for x in xs)\n    return total + k\n"
    )
    stub = stub_source(solution, "Exercise 9: Two parts", "add them up.")
    originals, stubs = ast.parse(solution).body, ast.parse(stub).body
    assert [f.name for f in stubs] == ["helper", "main"]
    for original, new in zip(originals, stubs):
        assert ast.dump(original.args) == ast.dump(new.args) and ast.dump(original.returns or ast.Pass()) == ast.dump(new.returns or ast.Pass())
    assert "sum(" not in stub and "x * scale" not in stub
    namespace: dict = {}
    exec(stub, namespace)
    with pytest.raises(NotImplementedError, match="Your task: add them up."):
        namespace["main"]([1.0])


def _imports(lesson) -> str:
    """Every import statement of the lesson's code cells: what a self-check needs, without the slow cells."""
    lines = []
    for cell in lesson.nb.cells:
        if cell.cell_type == "code":
            tree = ast.parse(cell.source)
            lines += [ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    return "\n".join(lines)


@pytest.mark.parametrize(("lesson", "ex"), EXERCISES, ids=[f"{lesson.stem}: {ex.title}" for lesson, ex in EXERCISES])
def test_the_stub_fails_its_self_check_with_the_task_and_the_solution_passes_it(lesson, ex):
    student = student_notebook(lesson)
    stub, check = student.cells[ex.solution_cell].source, student.cells[ex.check_cell].source
    assert check == lesson.nb.cells[ex.check_cell].source
    namespace: dict = {}
    exec(_imports(lesson), namespace)
    exec(stub, namespace)
    with pytest.raises(CheckFailed) as failure:  # a NameError or any other error fails this test
        exec(check, namespace)
    message = str(failure.value)
    assert "is not written yet" in message and re.search(r"\nYour task: \S", message), message
    # What the learner reads before writing anything (the task, the stub, the first message) gives no line away.
    solution = lesson.nb.cells[ex.solution_cell].source
    before = "\n".join([lesson.nb.cells[ex.cell].source, stub, message])
    assert not leaked_lines(before, solution), f"{ex.title} gives away {leaked_lines(before, solution)}"

    # The instructor edition: this and every earlier solution (a later exercise may call an earlier one).
    namespace = {}
    exec(_imports(lesson), namespace)
    for earlier in lesson.exercises[: lesson.exercises.index(ex) + 1]:
        exec(lesson.nb.cells[earlier.solution_cell].source, namespace)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(check, namespace)
    assert "✓" in out.getvalue()


def test_the_lines_a_hint_must_not_give_away_ignore_spaces_names_and_short_pieces():
    solution = "def he_std(fan_in):\n    std = np.sqrt(2 / fan_in)\n    for i in range(n_steps):\n        w -= lr * g\n    return std\n"
    lines = solution_lines(solution)
    assert {"std=np.sqrt(2/fan_in)", "np.sqrt(2/fan_in)", "foriinrange(n_steps):"} <= lines
    assert not {"std", "returnstd", "w-=lr*g"} & lines  # a name, a bare return, a short piece
    assert leaked_lines("Use `np.sqrt(2/fan_in)`.", solution) == ["np.sqrt(2/fan_in)"]
    assert leaked_lines("The standard deviation is the square root of the variance.", solution) == []


# ---- claims ---------------------------------------------------------------------------------------


def _claim_cell(source: str, hidden: bool = True, tags=("claim",)):
    cell = new_code_cell(source, metadata={"tags": list(tags)})
    if hidden:
        cell.metadata["jupyter"] = {"source_hidden": True}
    return cell


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_claim_cells_are_collapsed_code_that_asserts(path):
    nb = nbformat.read(path, as_version=4)
    found = claim_cells(nb, path.name)  # raises EditionError naming the cell otherwise
    assert all(n >= 1 for n in found.values())


@pytest.mark.parametrize(("cell", "words"), [
    (_claim_cell("claim('x', 1, near=1)", hidden=False), "source_hidden"),
    (_claim_cell("print(1)"), "must be code that calls claim"),
    (_claim_cell("claim('x', 1, near=1)", tags=()), "not tagged 'claim'"),
    (new_markdown_cell("claim", metadata={"tags": ["claim"]}), "must be code"),
])
def test_a_claim_cell_that_breaks_the_convention_is_named(cell, words):
    nb = new_notebook(cells=[new_markdown_cell("# 99 · T"), cell])
    with pytest.raises(EditionError, match=words) as err:
        claim_cells(nb, "99_t.ipynb")
    assert "cell 1" in str(err.value)


# ---- course-lib build-student ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def student_edition(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("editions") / "student"
    result = course_lib("build-student", str(out))
    assert result.returncode == 0, result.stderr
    assert f"{len(NOTEBOOKS)} notebooks, {len(EXERCISES)} exercises left blank" in result.stdout
    return out


def _written_lines(solution: str) -> list[str]:
    """The lines of a solution a learner must write: all but the def lines the stub keeps."""
    lines = (line.split("#")[0].strip() for line in solution.splitlines())
    return [line for line in lines if line and not line.startswith("def ")]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.stem)
def test_the_student_edition_has_no_solutions_no_outputs_and_everything_else_as_committed(student_edition, lesson):
    path = student_edition / lesson.name
    student = nbformat.read(path, as_version=4)
    nbformat.validate(student)
    for ex in lesson.exercises:
        solution = lesson.nb.cells[ex.solution_cell].source
        assert not any(solution in cell.source for cell in student.cells), f"{lesson.name}: {ex.title} survived"
        stub, task = student.cells[ex.solution_cell].source, lesson.nb.cells[ex.cell].source
        given = [line for line in _written_lines(solution) if line in stub and line not in task]
        assert not given, f"{lesson.name}: {ex.title}: the stub gives away {given}"
    solutions = {ex.solution_cell: ex for ex in lesson.exercises}
    assert len(student.cells) == len(lesson.nb.cells)
    for i, (mine, theirs) in enumerate(zip(student.cells, lesson.nb.cells)):
        assert mine.cell_type == theirs.cell_type and mine.metadata == theirs.metadata, f"{lesson.name} cell {i}"
        if mine.cell_type == "code":
            assert mine.outputs == [] and mine.execution_count is None
        if i in solutions:
            stub = ast.parse(mine.source).body
            assert [f.name for f in stub] == list(solutions[i].functions)
            assert all(isinstance(f.body[-1], ast.Raise) and "NotImplementedError" in ast.unparse(f.body[-1]) for f in stub)
        else:
            assert mine.source == theirs.source, f"{lesson.name} cell {i} changed"
    assert "widgets" not in student.metadata


def test_the_student_edition_is_marked_and_readable(student_edition):
    assert sorted(p.name for p in student_edition.glob("*.ipynb")) == [p.name for p in NOTEBOOKS]
    assert json.loads((student_edition / MARKER).read_text())["edition"] == "student"
    assert not leftovers(student_edition.parent)


def test_build_student_refuses_a_non_empty_folder_unless_forced(tmp_path):
    out = tmp_path / "x"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = course_lib("build-student", str(out))
    assert result.returncode == 1 and "is not empty; pass --force" in result.stderr
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    result = course_lib("build-student", str(out), "--force")
    assert result.returncode == 1 and "holds no earlier edition" in result.stderr, "--force deletes only an edition"
    assert (out / "notes.txt").read_text() == "mine" and not leftovers(tmp_path)


def test_build_student_force_replaces_an_earlier_edition_it_wrote_untouched(tmp_path):
    out = tmp_path / "x"
    assert course_lib("build-student", str(out)).returncode == 0
    assert course_lib("build-student", str(out)).returncode == 1
    result = course_lib("build-student", str(out), "--force")
    assert result.returncode == 0, result.stderr
    assert "not deleted" not in result.stdout and len(list(out.glob("*.ipynb"))) == len(NOTEBOOKS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x"] and not leftovers(tmp_path)


def _edit(out: Path) -> str:
    first = sorted(out.glob("*.ipynb"))[0]
    first.write_text(first.read_text().replace("NotImplementedError", "NotImplementedError  # my work", 1))
    return first.name


def _add(out: Path) -> str:
    (out / "my_notes.ipynb").write_text("{}")
    return "my_notes.ipynb"


def _delete(out: Path) -> str:
    last = sorted(out.glob("*.ipynb"))[-1]
    last.unlink()
    return last.name


def _old_marker(out: Path) -> str:
    marker = json.loads((out / MARKER).read_text())
    del marker["files"]  # as an edition written before course-lib recorded its files
    (out / MARKER).write_text(json.dumps(marker))
    return ""


@pytest.mark.parametrize("change", [_edit, _add, _delete, _old_marker], ids=lambda f: f.__name__.strip("_"))
def test_force_keeps_an_earlier_edition_that_changed_and_says_where(change, tmp_path):
    """A learner's work is never deleted: an edition that changed since it was written is moved aside."""
    from course_lib.tools.editions import build_student, changed_files

    out = tmp_path / "x"
    build_student(out)
    assert changed_files(out) == []
    name = change(out)
    assert changed_files(out), "the change is seen"
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    report = build_student(out, force=True)
    assert report.kept is not None and report.kept.parent == tmp_path and report.kept.name.startswith("x.kept-")
    assert {p.name: p.read_bytes() for p in report.kept.iterdir() if p.is_file()} == before, "kept exactly as it was"
    assert changed_files(out) == [] and len(list(out.glob("*.ipynb"))) == len(NOTEBOOKS)
    if name == "my_notes.ipynb":
        assert not (out / name).exists()
    assert not leftovers(tmp_path)


def test_the_command_says_where_the_changed_edition_went(tmp_path):
    out = tmp_path / "x"
    assert course_lib("build-student", str(out)).returncode == 0
    _edit(out)
    result = course_lib("build-student", str(out), "--force")
    assert result.returncode == 0, result.stderr
    (kept,) = [p for p in tmp_path.iterdir() if p.name.startswith("x.kept-")]
    assert f"it was not deleted: it is now in {kept}" in result.stdout


def test_a_read_only_folder_is_refused_not_replaced(tmp_path):
    from course_lib.tools.editions import build_student

    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        with pytest.raises(EditionError, match="is read-only, so it is not replaced"):
            build_student(out)
        assert out.is_dir() and not any(out.iterdir()) and (out.stat().st_mode & 0o777) == 0o555
    finally:
        out.chmod(0o755)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ro"]


def test_a_corrupt_notebook_is_named_and_nothing_is_written(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(NOTEBOOKS[0], notebooks)
    broken = notebooks / "01_broken.ipynb"
    broken.write_text(NOTEBOOKS[1].read_text()[:5000])  # cut off mid-file, as a failed copy leaves it
    out = tmp_path / "student"
    result = course_lib("build-student", str(out), "--notebooks", str(notebooks))
    assert result.returncode == 1
    assert "01_broken.ipynb: not a readable notebook" in result.stderr
    assert not out.exists() and not leftovers(tmp_path)


def test_an_orphan_solution_in_a_lesson_is_reported_by_name(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = nbformat.read(NOTEBOOKS[1], as_version=4)
    first = find_exercises(nb, NOTEBOOKS[1].name)[0]
    nb.cells[first.cell].metadata["tags"] = []  # the exercise loses its tag; its solution is now an orphan
    nbformat.write(nb, notebooks / NOTEBOOKS[1].name)
    result = course_lib("build-student", str(tmp_path / "student"), "--notebooks", str(notebooks))
    assert result.returncode == 1
    assert f"{NOTEBOOKS[1].name}, cell {first.solution_cell}: a cell tagged 'solution' without a matching 'exercise'" in result.stderr
    assert not (tmp_path / "student").exists()


def _lesson_using(twice_at: int):
    """A lesson whose exercise stubs ``twice``, with one more cell calling it at position ``twice_at``."""
    from course_lib.tools.editions import LessonNotebook

    cells = [
        new_markdown_cell("# 99 · T"),
        new_code_cell("from course_lib.lessons.l01_gradient_descent.checks import check_gradient"),
        new_markdown_cell("### Exercise 1: Twice\n\nWrite `twice(x)`.", metadata={"tags": ["exercise"]}),
        new_code_cell("def twice(x):\n    return 2 * x", metadata={"tags": ["solution"]}),
        new_code_cell("check_gradient(twice)", metadata={"tags": ["check"]}),
    ]
    cells.insert(twice_at, new_code_cell("print(twice(3))"))
    nb = new_notebook(cells=cells)
    return LessonNotebook(Path("99_t.ipynb"), nb, find_exercises(nb, "99_t.ipynb"))


def test_a_stubbed_function_may_be_used_after_its_check_but_not_before():
    student = student_notebook(_lesson_using(5))  # after the check: the lesson goes on with the learner's code
    assert "NotImplementedError" in student.cells[3].source and student.cells[5].source == "print(twice(3))"
    with pytest.raises(EditionError, match=r"99_t.ipynb, cell 2: uses twice before its exercise's check"):
        student_notebook(_lesson_using(2))


# ---- the site: the pieces that need no kernel --------------------------------------------------------


def test_links_between_lessons_point_at_the_pages():
    nb = new_notebook(cells=[new_markdown_cell(
        "See [lesson 01](01_gradient_descent.ipynb), [its section](02_loss_functions.ipynb#Huber), "
        '<a href="03_backpropagation.ipynb">03</a>, [a file](data.ipynb) and [a site](https://example.org/x.ipynb).'
    )])
    linked = rewrite_lesson_links(nb)
    text = nb.cells[0].source
    assert "(01_gradient_descent.html)" in text and "(02_loss_functions.html#Huber)" in text
    assert 'href="03_backpropagation.html"' in text
    assert "(data.ipynb)" in text and "https://example.org/x.ipynb" in text
    assert linked == {"01_gradient_descent", "02_loss_functions", "03_backpropagation"}


def test_a_widget_output_becomes_a_note_and_the_picture_its_output_widget_drew():
    png = "iVBORw0KGgo="
    state = {
        "box": {"_model_name": "VBoxModel", "children": ["IPY_MODEL_slider", "IPY_MODEL_out"]},
        "slider": {"_model_name": "FloatSliderModel", "value": 0.1},
        "out": {"_model_name": "OutputModel", "outputs": [
            {"output_type": "stream", "name": "stdout", "text": "log"},
            {"output_type": "display_data", "data": {"image/png": png, "text/plain": "<Figure>"}, "metadata": {}},
        ]},
    }
    cell = new_code_cell("explorer()", outputs=[
        new_output("display_data", data={WIDGET_VIEW: {"model_id": "box", "version_major": 2}, "text/plain": "VBox(...)"}),
        new_output("stream", name="stdout", text="after"),
    ])
    nb = new_notebook(cells=[cell], metadata={"widgets": {"state": state}})
    assert freeze_widgets(nb, state) == 1
    note, picture, stream = nb.cells[0].outputs
    assert "Interactive widget" in note.data["text/html"] and "picture it showed" in note.data["text/html"]
    assert picture.data == {"image/png": png} and stream.text == "after"
    assert "widgets" not in nb.metadata


def test_a_progress_bar_becomes_its_text():
    state = {
        "bar": {"_model_name": "HBoxModel", "children": ["IPY_MODEL_a", "IPY_MODEL_b", "IPY_MODEL_c"]},
        "a": {"_model_name": "HTMLModel", "value": "epoch 1"},
        "b": {"_model_name": "FloatProgressModel", "value": 469.0, "max": 469.0},
        "c": {"_model_name": "HTMLModel", "value": " 469/469 [00:05&lt;00:00, 90.1it/s]"},
    }
    nb = new_notebook(cells=[new_code_cell("train()", outputs=[new_output("display_data", data={WIDGET_VIEW: {"model_id": "bar"}})])])
    assert freeze_widgets(nb, state) == 1
    (text,) = nb.cells[0].outputs
    assert text.data == {"text/plain": "progress: epoch 1 469/469 [00:05<00:00, 90.1it/s]"}


def test_an_explorer_with_a_progress_bar_still_shows_its_picture_and_table():
    png = "iVBORw0KGgo="
    state = {
        "box": {"_model_name": "VBoxModel", "children": ["IPY_MODEL_bar", "IPY_MODEL_out", "IPY_MODEL_table"]},
        "bar": {"_model_name": "IntProgressModel", "value": 237, "max": 237},
        "out": {"_model_name": "OutputModel", "outputs": [
            {"output_type": "display_data", "data": {"image/png": png}, "metadata": {}}]},
        "table": {"_model_name": "HTMLModel", "value": "<table><tr><td>90.7 %</td></tr></table>"},
    }
    nb = new_notebook(cells=[new_code_cell("training_explorer()", outputs=[
        new_output("display_data", data={WIDGET_VIEW: {"model_id": "box"}})])])
    assert freeze_widgets(nb, state) == 1
    note, picture, table = nb.cells[0].outputs
    assert "Interactive widget" in note.data["text/html"] and picture.data == {"image/png": png}
    assert table.data == {"text/html": "<table><tr><td>90.7 %</td></tr></table>"}


def test_an_explorers_image_widget_becomes_its_picture_with_its_buffer_put_back():
    png = "iVBORw0KGgo="
    state = widget_state_with_buffers(
        {"box": {"_model_name": "VBoxModel", "children": ["IPY_MODEL_bar", "IPY_MODEL_view"]},
         "bar": {"_model_name": "IntProgressModel", "value": 3, "max": 3},
         "view": {"_model_name": "ImageModel", "format": "png", "width": "", "height": ""}},
        {"view": {("value",): {"data": png, "encoding": "base64", "path": ["value"]}}},
    )
    assert state["view"]["value"] == png
    nb = new_notebook(cells=[new_code_cell("lr_explorer()", outputs=[
        new_output("display_data", data={WIDGET_VIEW: {"model_id": "box"}})])])
    assert freeze_widgets(nb, state) == 1
    note, picture = nb.cells[0].outputs
    assert "picture it showed" in note.data["text/html"] and picture.data == {"image/png": png}


# ---- the site: executed for real, on tiny notebooks (a lesson is built in tests/browser/test_site.py) ----


def _write_lessons(folder: Path, failing: bool) -> None:
    folder.mkdir()
    plot = ("import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([0, 1], [1, 0], label='line')\n"
            "ax.set(title='A line', xlabel='x', ylabel='y')\nax.legend()\nplt.show()")
    first = new_notebook(cells=[
        new_markdown_cell("# 01 · First\n\n## Learning objectives\n\n- draw a line, $y = 1 - x$;\n\n## Next"),
        new_code_cell("import os\nprint(f\"backend={os.environ.get('MPLBACKEND')} threads={os.environ.get('OMP_NUM_THREADS')}\")"),
        new_code_cell(plot),
        new_markdown_cell("On to [the second lesson](02_second.ipynb)."),
        _claim_cell("from course_lib.ui.claims import claim\nclaim('the line falls by one', 1.0 - 0.0, near=1.0)"),
    ])
    bad = "claim('two is three', 2, equals=3)" if failing else "claim('two is two', 2, equals=2)"
    second = new_notebook(cells=[
        new_markdown_cell("# 02 · Second"), new_code_cell("from course_lib.ui.claims import claim\nprint('fine')"),
        _claim_cell(bad),
    ])
    nbformat.write(first, folder / "01_first.ipynb")
    nbformat.write(second, folder / "02_second.ipynb")


def test_a_site_has_pages_with_embedded_plots_an_index_and_working_links(tmp_path, monkeypatch):
    _write_lessons(tmp_path / "nb", failing=False)
    monkeypatch.setenv("MPLBACKEND", "Agg")  # as a careless shell might have it: kernels must not inherit it
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    report = build_site(tmp_path / "site", notebook_dir=tmp_path / "nb", timeout=120)
    site = tmp_path / "site"
    assert report.pages == ["index.html", "01_first.html", "02_second.html"] and report.warnings == []
    first = (site / "01_first.html").read_text()
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', first)) == 1, "the plot is embedded in the page"
    assert "threads=1" in first and "backend=Agg" not in first, "kernels run with one thread and their own backend"
    assert 'href="02_second.html"' in first and "02_second.ipynb" not in first
    assert 'href="index.html"' in first
    assert "the line falls by one" not in first, "claim cells ran, and are left out of the page"
    index = (site / "index.html").read_text()
    assert index.index("01_first.html") < index.index("02_second.html") and "draw a line" in index
    assert "Widgets are not interactive here" in index
    for page in report.pages:
        text = (site / page).read_text()
        remote = re.findall(r"<(?:script|link|img)[^>]*(?:src|href)=[\"'](?:https?:)?//[^\"']*", text)
        assert not remote, f"{page} loads {remote}"
        for src in re.findall(r"<script[^>]*src=\"([^\"?]+)", text):
            assert (site / src).is_file(), f"{page}: {src} is not in the site"
    assert json.loads((site / MARKER).read_text())["edition"] == "site"


def test_a_failing_notebook_is_named_and_nothing_is_written(tmp_path):
    _write_lessons(tmp_path / "nb", failing=True)
    with pytest.raises(EditionError, match=r"^02_second.ipynb, cell 2 failed: ClaimFailed: The lesson says two is three"):
        build_site(tmp_path / "site", notebook_dir=tmp_path / "nb", timeout=120)
    assert not (tmp_path / "site").exists() and not leftovers(tmp_path)


def test_an_explorer_run_headless_never_makes_the_runner_write_to_the_kernel(tmp_path, monkeypatch):
    """The hang of lessons 02, 08 and 09 under nbconvert: an explorer that displays into an Output
    inside ``with output:`` makes nbclient echo every output back on the shell socket, and that raw
    send can swallow the wake-up of the cell's reply. Explorers set an Image widget's value instead."""
    from nbclient.output_widget import OutputWidget

    echoes: list[dict] = []
    monkeypatch.setattr(OutputWidget, "send", lambda self, data=None, **_: echoes.append(data))
    nb = new_notebook(cells=[new_code_cell(
        "from course_lib.lessons.l02_loss_functions.explorers import loss_explorer\n"
        "explorer = loss_explorer()\n"
        "explorer.controls[\"prediction\"].value -= 0.5  # a redraw inside the cell\n"
        "explorer"
    )])
    _, state, _ = execute_notebook(nb, "02_loss.ipynb", tmp_path, timeout=120)
    assert echoes == [], "the runner sent comm messages to the kernel while a cell ran"
    pictures = [m for m in state.values() if m.get("_model_name") == "ImageModel" and m.get("value")]
    assert len(pictures) == 1 and base64.b64decode(pictures[0]["value"])[:4] == b"\x89PNG", \
        "the Image widget's picture (its binary value) is in the saved state"


def test_build_site_arguments_are_checked(tmp_path):
    result = course_lib("build-site", str(tmp_path / "s"), "--only", "42_nothing")
    assert result.returncode == 1 and "--only 42_nothing: no such lesson" in result.stderr and "01_gradient_descent" in result.stderr
    result = course_lib("build-site", str(tmp_path / "s"), "--timeout", "0")
    assert result.returncode == 2 and "argument --timeout: must be a positive number" in result.stderr
    assert not (tmp_path / "s").exists()
