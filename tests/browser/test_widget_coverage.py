"""Every widget the lessons declare is shown by a lesson that the browser tests open (no browser needed).

A new explorer that no notebook calls, or a notebook the browser groups leave out, fails here.
"""

from __future__ import annotations

from notebook_widgets import GROUPS, notebooks_in_group, widget_catalogue, widget_cells, widget_notebooks


def test_the_catalogue_finds_explorers_and_display_only_widgets():
    catalogue = widget_catalogue()
    assert catalogue.get("digit_browser") is True  # a function returning an Explorer
    assert catalogue.get("LiveCurves") is False  # a class that displays itself, without controls
    assert "Explorer" not in catalogue and "show_figure" not in catalogue  # shared parts are no widgets


def test_every_widget_is_used_in_a_notebook_the_browser_tests_open():
    browsed = [nb for group in range(GROUPS) for nb in notebooks_in_group(group)]
    assert sorted(browsed) == widget_notebooks(), "every widget notebook is in exactly one browser group"
    used = {name for nb in browsed for cell in widget_cells(nb) for name in cell.names}
    missing = sorted(set(widget_catalogue()) - used)
    assert not missing, (
        f"no notebook calls {missing}, so no browser test moves them: show each widget in a lesson "
        "(the browser tests pick up any notebook whose code cells call a widget)"
    )
