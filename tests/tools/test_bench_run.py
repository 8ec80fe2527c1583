"""benchmarks/run.py: what `make bench` writes into RESULTS.md and what it keeps; bench_widgets sees each redraw."""

import importlib
import importlib.util
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"


@pytest.fixture
def run(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_run_under_test", RUN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "RESULTS", tmp_path / "RESULTS.md")
    monkeypatch.setattr(module, "_measure", lambda name: f"new {name}")
    return module


def _benchmark(name: str):
    """A benchmark module of benchmarks/, imported as run.py imports it (its folder on the path)."""
    sys.path.insert(0, str(RUN.parent))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(RUN.parent))


def test_a_full_run_rewrites_every_benchmark_and_keeps_the_other_scripts_sections(run):
    run.RESULTS.write_text("# old\n\n## Machine\n\nold box\n\n## bench_data\n\nold data\n\n"
                           "## seed_spread\n\nfive seeds\n")
    run.main([])
    head, sections = run.split_sections(run.RESULTS.read_text())
    assert [sections[name] for name in run.BENCHMARKS] == [f"new {name}" for name in run.BENCHMARKS]
    assert sections["seed_spread"].strip() == "five seeds"
    assert sections["Machine"].strip() != "old box"


def test_a_named_run_replaces_only_its_section(run):
    run.RESULTS.write_text("# old\n\n## Machine\n\nold box\n\n## bench_data\n\nold data\n\n## bench_mnist\n\nold mnist\n")
    run.main(["data"])
    _, sections = run.split_sections(run.RESULTS.read_text())
    assert sections["bench_data"].startswith("new bench_data")
    assert sections["bench_mnist"].strip() == "old mnist"


def test_the_widget_benchmark_sees_each_redraw_of_an_explorer():
    bench = _benchmark("bench_widgets")
    from course_lib.lessons import all_lessons

    entry = next(e for lesson in all_lessons() for e in lesson.explorers if e.timings)
    timing = entry.timings[0]
    with bench.notebook_display():
        explorer = entry.small()
        shown = bench.view_of(explorer.widget)
        control = explorer.controls[timing.control]
        seconds = bench.time_changes(control, timing.values, shown, changes=2)
        with pytest.raises(RuntimeError, match="no new PNG"):  # a change that draws nothing is not timed
            bench._timed(lambda: None, shown)
    assert len(seconds) == 2 and all(wall > 0 and cpu >= 0 for wall, cpu in seconds)


def test_the_browser_benchmark_times_every_slider_and_choice_the_lesson_records_name(tmp_path):
    """bench_browser's notebook (no browser here): one cell per timed slider or choice, each building its explorer."""
    bench = _benchmark("bench_browser")
    import nbformat

    from course_lib.lessons import all_lessons

    cases = bench.write_notebook(tmp_path)
    timed = [(entry.name, t.control) for lesson in all_lessons() for entry in lesson.explorers for t in entry.timings if t.values]
    assert [(case["explorer"], case["control"]) for case in cases] == timed and len(timed) >= 15
    cells = nbformat.read(tmp_path / bench.NOTEBOOK, as_version=4).cells
    namespace: dict = {}
    exec(cells[0].source, namespace)  # the setup cell; then the first timed cell, as the kernel would run it
    explorer = eval(cells[cases[0]["cell"]].source, namespace)
    assert "bench-timed" in explorer.controls[cases[0]["control"]]._dom_classes, "the page finds the timed control by this class"


def test_the_browser_benchmark_asks_a_slider_with_few_values_for_a_picture_of_nearly_each():
    """bench_browser's goal while dragging: 8 pictures a second, or, where the slider passes fewer values, nearly all."""
    bench = _benchmark("bench_browser")
    case = {"lesson": "06", "explorer": "polynomial_explorer", "control": "degree", "values": []}
    presses = [100.0] * 12

    def met(drag):
        return bench._row(case, presses, drag)["goal met"] == "yes"

    assert met((9.0, 40, True, 15, 2.0))  # fast enough
    assert not met((7.0, 40, True, 12, 2.0))  # a slider passing 20 values a second, drawn 7 times a second
    assert met((3.2, 7, True, 7, 2.0))  # 7 values passed, the last one painted after the mouse stopped
    assert not met((3.2, 7, True, 5, 2.0))  # two of the 7 values never drawn
    # 15 values in 2.4 s (6.3 a second, each drawn): as fast as the slider goes; in 1.6 s they would be 9.4 a second
    assert met((5.7, 15, True, 15, 2.4))
    assert not met((5.7, 15, True, 15, 1.6))
    assert not met((9.0, 40, False, 15, 2.0))  # the last value let go is not the one shown
    assert not bench._row(case, [130.0] * 12, (9.0, 40, True, 15, 2.0))["goal met"] == "yes"  # slow key presses
    assert bench._row(case, presses, (5.7, 15, True, 15, 2.4))["values passed"] == "15 in 2.4 s"
