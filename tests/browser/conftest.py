"""Fixtures of the browser tests: Chromium (Debian's, never a download), one JupyterLab per test module.

Without /usr/bin/chromium (or $CHROMIUM) the tests are skipped, except in CI (``$CI`` set), where a
missing browser is a failure: `make test` installs it there.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the helper modules next to this file

from lab_session import CHROMIUM, CHROMIUM_ARGS, JupyterLabServer, LabPage  # noqa: E402
from notebook_widgets import NOTEBOOK_DIR  # noqa: E402

MISSING = (
    f"{CHROMIUM} is missing: the browser tests need Debian's chromium package "
    "(`apt-get install chromium`, which `make test` runs when it may). Never `playwright install`."
)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.is_file():
        _unavailable(MISSING)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the Python package playwright is missing: install the dev extra, pip install -e '.[dev]'")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="module")
def lab_server(browser, tmp_path_factory):
    server = JupyterLabServer(NOTEBOOK_DIR, tmp_path_factory.mktemp("jupyterlab"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def lab_page(browser, lab_server, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield LabPage(page, lab_server, tmp_path)
    finally:
        context.close()
        lab_server.shut_down_kernels()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failed browser test, save a screenshot (outside the repository) and say where."""
    outcome = yield
    report = outcome.get_result()
    lab = item.funcargs.get("lab_page") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and isinstance(lab, LabPage):
        try:
            path = lab.screenshot()
            report.sections.append(("browser screenshot", f"saved to {path}"))
        except Exception as err:  # a dead page must not hide the test's own failure
            report.sections.append(("browser screenshot", f"could not be taken: {err}"))
        report.sections.append(("JupyterLab log (tail)", lab.server.log_tail()))
