"""The project's promises about itself: install routes agree, pins hold, notebooks are clean."""

from __future__ import annotations

import ast
import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())

# Names that differ between PyPI and conda-forge.
CONDA_NAMES = {"torch": "pytorch"}


def _requirement(spec: str) -> tuple[str, str]:
    """'torch>=2.3' -> ('torch', '>=2.3'); conda's 'pytorch>=2.3' alike."""
    name, version = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", spec.strip()).groups()
    return name.lower(), version.replace(" ", "")


def test_environment_yml_installs_what_pyproject_declares():
    declared = PYPROJECT["project"]["dependencies"] + PYPROJECT["project"]["optional-dependencies"]["notebook"]
    expected = {CONDA_NAMES.get(n, n): v for n, v in map(_requirement, declared)}
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    conda = dict(_requirement(d) for d in env["dependencies"] if isinstance(d, str))
    assert conda.pop("python") == "=3.11"
    assert conda.pop("pip") == ""
    assert conda == expected
    assert env["channels"] == ["conda-forge"]
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section


def test_python_version_agrees():
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"


def test_every_install_uses_the_torch_pin():
    pins = [line for line in (REPO / "constraints.txt").read_text().splitlines() if line and not line.startswith("#")]
    assert pins == ["torch==2.13.0"]
    assert dict(map(_requirement, PYPROJECT["project"]["dependencies"]))["torch"] == ">=2.6"  # torch.load defaults to weights_only=True from 2.6
    makefile = (REPO / "Makefile").read_text()
    installs = [line for line in makefile.splitlines() if "pip install" in line or "$(PIP) install" in line]
    package_installs = [line for line in installs if "-e " in line]
    assert package_installs and all("-c constraints.txt" in line for line in package_installs)
    assert "grep -i '^nvidia'" in makefile


def test_ci_runs_the_readme_test_command():
    ci = [line for line in (REPO / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci[-1] == "make test"
    readme = (REPO / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme


def test_pytest_markers_and_nbval_mode():
    options = PYPROJECT["tool"]["pytest"]["ini_options"]
    assert {m.split(":")[0] for m in options["markers"]} >= {"cuda", "browser"}
    assert "--nbval-lax" in options["addopts"] and "--nbval-current-env" in options["addopts"]
    assert "--dist loadfile" in options["addopts"], "with -n, a notebook's cells must stay on one worker"
    assert "notebooks" in options["testpaths"]


# ---- notebooks -------------------------------------------------------------------------------


def test_there_are_notebooks():
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00_start_here.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_is_stripped(path):
    nb = json.loads(path.read_text())
    dirty = [
        i
        for i, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} hold outputs or execution counts; run `make strip`"
    assert "widgets" not in nb["metadata"], f"{path.name}: holds widget state; run `make strip`"


def _text(cell) -> str:
    return "".join(cell["source"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_lesson_has_objectives_summary_and_checked_exercises(path):
    cells = json.loads(path.read_text())["cells"]
    headings = [line for c in cells if c["cell_type"] == "markdown" for line in _text(c).splitlines() if line.startswith("#")]
    for required in ("Learning objectives", "Summary", "Exercises"):
        assert any(required in h for h in headings), f"{path.name} lacks a '{required}' heading"
    tags = [c.get("metadata", {}).get("tags", []) for c in cells]
    exercises = [i for i, t in enumerate(tags) if "exercise" in t]
    assert exercises, f"{path.name} has no cell tagged 'exercise'"
    for i in exercises:
        assert cells[i]["cell_type"] == "markdown", f"{path.name} cell {i}: an exercise states its task in markdown"
        assert "solution" in tags[i + 1] and cells[i + 1]["cell_type"] == "code", f"{path.name} cell {i + 1}: expected the 'solution' cell"
        assert "check" in tags[i + 2] and "check_" in _text(cells[i + 2]), f"{path.name} cell {i + 2}: expected a 'check' cell calling a self-check"
    solutions = [i for i, t in enumerate(tags) if "solution" in t]
    assert solutions == [i + 1 for i in exercises], f"{path.name}: every 'solution' cell follows an 'exercise' cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_cells_stay_short_and_define_no_library_code(path):
    cells = json.loads(path.read_text())["cells"]
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        lines = [line for line in _text(cell).splitlines() if line.strip()]
        assert len(lines) <= 18, f"{path.name} cell {i} has {len(lines)} lines; keep cells short and call course_lib"
        if "solution" not in cell.get("metadata", {}).get("tags", []):
            assert not any(line.startswith(("def ", "class ")) for line in lines), f"{path.name} cell {i} defines library code"


def test_every_subpackage_is_installed():
    from setuptools import find_packages

    spec = PYPROJECT["tool"]["setuptools"]["packages"]["find"]
    found = set(find_packages(where=str(REPO), include=spec["include"]))
    on_disk = {str(p.parent.relative_to(REPO)).replace("/", ".") for p in (REPO / "course_lib").rglob("__init__.py")}
    assert on_disk <= found, f"not packaged: {sorted(on_disk - found)}"


# ---- the package's shape (docs/ARCHITECTURE.md) ------------------------------------------------

PACKAGE = REPO / "course_lib"
SOURCES = sorted(p for folder in ("course_lib", "tests", "benchmarks") for p in (REPO / folder).rglob("*.py"))
REFERENCE_MODULE_LINES = 420  # "about 400": a reference module a learner reads in one sitting


def _module_of(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[ast.ImportFrom | ast.Import]:
    return [n for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, (ast.Import, ast.ImportFrom))]


def test_no_private_name_is_imported_across_modules():
    found = [f"{path.relative_to(REPO)}:{node.lineno} imports {alias.name} from {node.module}"
             for path in SOURCES for node in _imports(path)
             if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course_lib")
             for alias in node.names if alias.name.startswith("_") and not alias.name.startswith("__")]
    assert not found, "a private name is another module's business; make it public or move it down:\n" + "\n".join(found)


@pytest.mark.parametrize("twin", ["numpy_nn", "torch_nn"])
def test_every_reference_module_reads_in_one_sitting(twin):
    long = {p.name: n for p in sorted((PACKAGE / twin).glob("*.py"))
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > REFERENCE_MODULE_LINES}
    assert not long, f"course_lib/{twin} modules over {REFERENCE_MODULE_LINES} lines: {long}; split by concept"


def test_layers_import_only_downwards_and_no_lesson_imports_another():
    """Reference and infrastructure never import a lesson or a tool; a lesson never imports another lesson."""
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_of(path)
        for node in _imports(path):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            for name in names:
                if module.startswith("course_lib.lessons.l"):
                    own = ".".join(module.split(".")[:3])
                    if name.startswith("course_lib.lessons.l") and not name.startswith(own + ".") and name != own:
                        problems.append(f"{module} imports {name}: move what two lessons share down")
                    if name.startswith("course_lib.tools"):
                        problems.append(f"{module} imports {name}: lessons do not use the tools")
                elif not module.startswith(("course_lib.tools", "course_lib.lessons")):
                    if name.startswith(("course_lib.lessons", "course_lib.tools")):
                        problems.append(f"{module} imports {name}: the reference and infrastructure sit below the lessons")
    assert not problems, "\n".join(problems)


def test_one_public_name_one_meaning():
    """A public function or class is defined once; the only exceptions are the twins, one per backend."""
    homes: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                homes.setdefault(node.name, []).append(_module_of(path))
    clashes = {}
    for name, modules in homes.items():
        twins = {m.replace("course_lib.numpy_nn.", "").replace("course_lib.torch_nn.", "") for m in modules}
        backends = {m.split(".")[1] for m in modules}
        if len(modules) > 1 and not (len(modules) == 2 and len(twins) == 1 and backends == {"numpy_nn", "torch_nn"}):
            clashes[name] = modules
    assert not clashes, f"one name, several meanings (rename one, or move the shared one down): {clashes}"


def test_every_notebook_has_its_lesson_folder_and_every_folder_its_notebook():
    from course_lib.lessons import all_lessons

    lessons = all_lessons()
    assert [lesson.notebook for lesson in lessons] == [p.name for p in NOTEBOOKS]
    folders = sorted(p.name for p in (PACKAGE / "lessons").iterdir() if (p / "__init__.py").is_file())
    assert folders == [f"l{lesson.stem}" for lesson in lessons]


DOTTED = re.compile(r"`(course_lib(?:\.\w+)+)")


def _resolves(dotted: str) -> bool:
    import importlib

    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return False
        return True
    return False


@pytest.mark.parametrize("path", [*NOTEBOOKS, REPO / "README.md", REPO / "docs" / "ARCHITECTURE.md",
                                  REPO / "docs" / "instructor-guide.md"], ids=lambda p: p.name)
def test_every_module_or_name_the_prose_quotes_exists(path):
    """Prose that names `course_lib.…` follows the code: a renamed or moved module fails here."""
    if path.suffix == ".ipynb":
        text = "\n".join(_text(c) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    missing = sorted({name for name in DOTTED.findall(text) if not _resolves(name)})
    assert not missing, f"{path.name} names what does not exist: {missing}"
