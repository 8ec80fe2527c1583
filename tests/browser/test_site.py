"""The static site, as a learner sees it: built with `course-lib build-site`, opened in headless Chromium.

One lesson is built (02, one of the quickest to run). The browser (conftest's session-wide Debian
Chromium) is offline for this test: every request other than file:// and data: is refused and
recorded, so the test proves the pages need no network. Screenshots go to the test's tmp_path, never
into the repository.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

LESSON = "02_loss_functions"
COMMAND = Path(sys.executable).parent / "course-lib"

# Every <img> on the page: loaded, and how wide its decoded picture is.
IMAGES_JS = "() => [...document.images].map(img => ({complete: img.complete, width: img.naturalWidth}))"


@pytest.fixture(scope="module")
def site(browser, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    result = subprocess.run(
        [str(COMMAND), "build-site", str(out), "--only", LESSON, "--timeout", "300"],
        capture_output=True, text=True, env=env, timeout=400,
    )
    assert result.returncode == 0, result.stderr
    assert f"{LESSON}.html written" in result.stdout
    return out


def _visit(browser, site: Path, shots: Path) -> dict:
    """Open the index, follow the link to the lesson, and report what the browser saw."""
    seen: dict = {"refused": []}

    def offline(route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            seen["refused"].append(url)
            route.abort()

    context = browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        page = context.new_page()
        page.route("**/*", offline)
        page.goto((site / "index.html").as_uri(), wait_until="load")
        seen["index_title"] = page.title()
        page.screenshot(path=shots / "index.png", full_page=True)
        page.get_by_role("link", name="02 · Loss functions").click()
        page.wait_for_load_state("load")
        seen["lesson_url"] = page.url
        seen["lesson_title"] = page.title()
        # MathJax typesets after load; its own queue says when it is done.
        page.wait_for_function(
            "() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 && !MathJax.Hub.queue.running",
            timeout=60_000,
        )
        seen["math"] = page.locator(".MathJax, .MathJax_Display, .MathJax_Preview").count()
        seen["images"] = page.evaluate(IMAGES_JS)
        page.screenshot(path=shots / "lesson.png")
        note = page.locator(".course-widget-note").first
        note.scroll_into_view_if_needed()
        seen["widget_note"] = note.inner_text()
        page.screenshot(path=shots / "lesson-widget.png")
        seen["back_link"] = page.get_by_role("link", name="All lessons").first.get_attribute("href")
    finally:
        context.close()
    return seen


@pytest.fixture(scope="module")
def visit(browser, site, tmp_path_factory) -> tuple[dict, Path]:
    shots = tmp_path_factory.mktemp("screenshots")
    return _visit(browser, site, shots), shots


def test_the_site_needs_no_network(visit):
    seen, _ = visit
    assert seen["refused"] == [], f"the pages asked the network for {seen['refused']}"


def test_the_index_links_to_the_lesson(visit, site):
    seen, shots = visit
    assert seen["index_title"] == "How neural networks are trained"
    assert seen["lesson_url"] == (site / f"{LESSON}.html").as_uri()
    assert seen["lesson_title"] == "02 · Loss functions" and seen["back_link"] == "index.html"
    assert (shots / "index.png").stat().st_size > 10_000


def test_every_plot_of_the_lesson_loads(visit):
    seen, shots = visit
    images = seen["images"]
    assert len(images) >= 5, f"expected the lesson's plots, found {len(images)} images"
    broken = [i for i, img in enumerate(images) if not img["complete"] or img["width"] == 0]
    assert not broken, f"images {broken} of {len(images)} did not load"
    assert (shots / "lesson.png").stat().st_size > 10_000


def test_formulas_are_typeset_offline_and_widgets_show_their_first_picture(visit):
    seen, shots = visit
    assert seen["math"] > 20, "MathJax typeset the lesson's formulas from the site's own copy"
    assert "Interactive widget" in seen["widget_note"] and "picture it showed" in seen["widget_note"]
    assert (shots / "lesson-widget.png").stat().st_size > 10_000
