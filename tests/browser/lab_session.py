"""Drive the lessons in a real JupyterLab, in headless Chromium: a private server, Run All, then the widgets.

What was learnt the hard way (see shared/notes/testing-notebooks-and-widgets.md):
- a Run All issued before the kernel's websocket is connected is silently dropped, so :meth:`LabPage.open`
  waits for ``connectionStatus === 'connected'``;
- an exception in a widget callback is not shown in any cell: it reaches the browser as an iopub
  ``error`` message whose parent is a ``comm_msg`` (JupyterLab puts it in its log console), so the page
  listens to every iopub message of the kernel;
- an exception in a cell renders as ``.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]``,
  the same element as harmless stderr text, so the traceback text is what tells them apart.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import nbformat
import pytest

from course_lib.tools.editions import claim_cells
from notebook_widgets import WidgetCell, notebooks_in_group, widget_cells

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SERVER_START_S = 120
OPEN_S = 180
RUN_ALL_S = 900  # lesson 08 trains a CNN: about a minute on two busy cores, more on a slow runner
ACTION_S = 120  # one widget redraw
TRAIN_S = 600  # a "train" button
QUIET_MS = 300  # no kernel message for this long after an action: its redraw has arrived

# JupyterLab settings for the private server: every cell attached to the page (the default windowing
# detaches cells out of view, and the test reads every cell), and no news or update checks (offline).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\w*(Error|Exception)\b", re.MULTILINE)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLabServer:
    """``jupyter lab`` on a copy of the notebooks, with its own config, settings, runtime and data folders.

    Loopback only, a random token, its own process session; :meth:`stop` ends it by its process id.
    """

    def __init__(self, notebooks: Path, workdir: Path) -> None:
        self.workdir = workdir
        self.root = workdir / "notebooks"
        shutil.copytree(notebooks, self.root)
        for path in self.root.glob("*.ipynb"):  # the kernel this server has, whatever the notebook names
            nb = json.loads(path.read_text(encoding="utf-8"))
            nb["metadata"]["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
            path.write_text(json.dumps(nb), encoding="utf-8")
        self.token = secrets.token_hex(16)
        self.port = _free_port()
        self.log_path = workdir / "jupyterlab.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        """The server's environment, which its kernels inherit."""
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)  # kernels must draw inline plots, not into Agg
        env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR",
                    "JUPYTERLAB_WORKSPACES_DIR", "IPYTHONDIR"):
            folder = self.workdir / var.lower()
            folder.mkdir(exist_ok=True)
            env[var] = str(folder)
        for name, values in LAB_SETTINGS.items():
            path = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        return env

    def start(self) -> None:
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
            "--LabApp.expose_app_in_browser=True", f"--ServerApp.root_dir={self.root}",
        ]
        if os.geteuid() == 0:
            command.append("--allow-root")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, env=self.environment(), cwd=self.root, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("GET", "status")
                return
            except OSError:
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer within {SERVER_START_S} s:\n{self.log_tail()}")

    def api(self, method: str, path: str) -> Any:
        request = urllib.request.Request(f"{self.url}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        """End every kernel, so that the next notebook does not share the cores with the last one."""
        for kernel in self.api("GET", "kernels"):
            self.api("DELETE", f"kernels/{kernel['id']}")

    def stop(self) -> None:
        """SIGTERM to the server (it shuts its kernels down), SIGKILL to its process group if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # its own session: the group id is its pid
            self.process.wait(timeout=10)

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else "(no log)"


# ---- the page ----------------------------------------------------------------------------------

_FIND_PANEL = """(path) => {
    const app = window.jupyterapp;
    if (!app) return false;
    const panel = [...app.shell.widgets('main')].find(w => w.context && w.context.path === path);
    const kernel = panel && panel.sessionContext.session && panel.sessionContext.session.kernel;
    if (!kernel || kernel.connectionStatus !== 'connected' || kernel.status !== 'idle') return false;
    window.__coursePanel = panel;
    return true;
}"""

# Every iopub message of the kernel: status changes count actions, errors and stderr tracebacks are kept.
_LISTEN = """(pattern) => {
    const panel = window.__coursePanel;
    const traceback = new RegExp(pattern, 'm');
    const log = {errors: [], busy: 0, last: performance.now()};
    window.__courseLog = log;
    panel.sessionContext.session.kernel.iopubMessage.connect((_, msg) => {
        log.last = performance.now();
        const type = msg.header.msg_type, content = msg.content, during = msg.parent_header.msg_type || '?';
        if (type === 'status' && content.execution_state === 'busy') log.busy += 1;
        if (type === 'error') log.errors.push(`${content.ename}: ${content.evalue} (during ${during})`);
        if (type === 'stream' && content.name === 'stderr' && traceback.test(content.text))
            log.errors.push(`stderr: ${content.text.slice(-600)} (during ${during})`);
    });
    panel.content.widgets.forEach((cell, i) => cell.node.setAttribute('data-course-cell', String(i)));
}"""

_RUN_FINISHED = """() => {
    const panel = window.__coursePanel, log = window.__courseLog;
    const waiting = panel.content.widgets.filter(c => c.model.type === 'code' && c.model.executionCount === null
                                                 && c.model.sharedModel.getSource().trim() !== '').length;
    return (waiting === 0 || log.errors.length > 0) && panel.sessionContext.session.kernel.status === 'idle'
           && performance.now() - log.last > 1000;
}"""

_SETTLED = """([busyBefore, quietMs]) => {
    const log = window.__courseLog;
    return log.busy > busyBefore && window.__coursePanel.sessionContext.session.kernel.status === 'idle'
           && performance.now() - log.last > quietMs;
}"""

_SHOWN_TRACEBACKS = """(pattern) => {
    const traceback = new RegExp(pattern, 'm');
    return [...document.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
        .map(e => e.innerText).filter(t => traceback.test(t)).map(t => t.slice(-600));
}"""

# What a widget shows (plot images, HTML and tables), hashed; control readouts are left out on purpose.
# An explorer's picture is an Image widget, whose src is a new blob: URL for every value, so its bytes are
# hashed, not its address; a picture inside an Output widget (a data: URL) is hashed by its src.
_VIEW = """async (el) => {
    const images = [...el.querySelectorAll('.widget-output img, img.widget-image')];
    const parts = await Promise.all(images.map(async (img) => {
        if (!img.src.startsWith('blob:')) return img.src;
        try {
            const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
            let h = 5381;
            for (let i = 0; i < bytes.length; i++) h = ((h * 33) ^ bytes[i]) >>> 0;
            return `${bytes.length}:${h}`;
        } catch (err) { return img.src; }  // replaced (and revoked) meanwhile: the next look sees the new one
    }));
    parts.push(...[...el.querySelectorAll('.widget-html-content, .widget-output .jp-RenderedHTMLCommon, table')]
        .map(e => e.innerHTML));
    let h = 5381;
    const text = parts.join('\\u0000');
    for (let i = 0; i < text.length; i++) h = ((h * 33) ^ text.charCodeAt(i)) >>> 0;
    return {hash: h, plots: images.length,
            tables: el.querySelectorAll('table').length, rows: el.querySelectorAll('table tr').length};
}"""


# The visible sliders whose track (what a learner drags along) is narrower than a minimum, with their labels.
_SHORT_TRACKS = """(el, least) => [...el.querySelectorAll('.widget-slider')].filter(s => s.offsetParent !== null)
    .map(s => [s.querySelector('.widget-label').textContent, Math.round(s.querySelector('.noUi-target').getBoundingClientRect().width)])
    .filter(([, width]) => width < least)"""
MIN_TRACK_PX = 100


class LabPage:
    """One browser page showing one notebook of a :class:`JupyterLabServer`."""

    def __init__(self, page: Any, server: JupyterLabServer, artefacts: Path) -> None:
        self.page = page
        self.server = server
        self.artefacts = artefacts
        self.notebook = ""

    # -- opening and running ------------------------------------------------------------------

    def open(self, notebook: str) -> None:
        self.notebook = notebook
        # ?reset: a fresh workspace, or JupyterLab reopens (and starts a kernel for) the last test's notebook
        self.page.goto(f"{self.server.url}/lab/tree/{notebook}?reset&token={self.server.token}")
        self.page.wait_for_function(_FIND_PANEL, arg=notebook, timeout=OPEN_S * 1000, polling=250)
        self.page.evaluate(_LISTEN, TRACEBACK.pattern)

    def run_all(self) -> None:
        self.page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        self.page.wait_for_function(_RUN_FINISHED, timeout=RUN_ALL_S * 1000, polling=500)

    def errors(self) -> list[str]:
        """Every exception so far: from the kernel's messages, and tracebacks shown in any output."""
        sent = self.page.evaluate("() => window.__courseLog.errors")
        shown = self.page.evaluate(_SHOWN_TRACEBACKS, TRACEBACK.pattern)
        return sent + [f"shown in the notebook: {text}" for text in shown]

    def screenshot(self, name: str = "failure.png") -> Path:
        self.artefacts.mkdir(parents=True, exist_ok=True)
        path = self.artefacts / name
        self.page.screenshot(path=str(path))
        return path

    # -- the widgets of one cell -----------------------------------------------------------------

    def cell_output(self, index: int) -> Any:
        return self.page.locator(f'[data-course-cell="{index}"] .jp-Cell-outputArea').first

    def view(self, scope: Any) -> dict[str, int]:
        return scope.evaluate(_VIEW)

    def act(self, scope: Any, what: str, action: Any, timeout_s: float = ACTION_S) -> dict[str, int]:
        """Do ``action`` (one user gesture), wait until the kernel has answered and the view is still.

        Fails if the gesture never reached the kernel or raised there; returns the view afterwards.
        """
        errors_before = len(self.errors())
        busy_before = self.page.evaluate("() => window.__courseLog.busy")
        action()
        try:
            self.page.wait_for_function(_SETTLED, arg=[busy_before, QUIET_MS], timeout=timeout_s * 1000, polling=100)
        except Exception as err:
            raise AssertionError(f"{self.notebook}: {what}: the kernel did not answer within {timeout_s} s "
                                 f"(did the gesture reach it?)") from err
        view = self.view(scope)
        for _ in range(20):  # the last message may still be rendering
            self.page.wait_for_timeout(100)
            again = self.view(scope)
            if again == view:
                break
            view = again
        new = self.errors()[errors_before:]
        assert not new, f"{self.notebook}: {what} raised:\n" + "\n".join(new)
        return view

    def check_display_only(self, cell: WidgetCell) -> None:
        scope = self.cell_output(cell.index)
        view = self.view(scope)
        assert view["plots"] + view["tables"] > 0, f"{self.notebook}: {', '.join(cell.names)} (cell {cell.index}) shows no plot"

    def exercise(self, cell: WidgetCell) -> None:
        """Move every control of the widgets in ``cell``; see the module docstring of the tests."""
        label = f"{', '.join(cell.names)} (cell {cell.index})"
        scope = self.cell_output(cell.index)
        start = self.view(scope)
        sliders = scope.locator(".widget-slider")
        assert start["plots"] + start["tables"] > 0, f"{self.notebook}: {label} shows no plot or table after Run All"
        assert sliders.count() + scope.locator("select, button, input").count() > 0, \
            f"{self.notebook}: {label} shows no controls (did the widget fail to render?)"
        start_values = [self._slider_state(sliders.nth(i))["now"] for i in range(sliders.count())]
        short = scope.evaluate(_SHORT_TRACKS, MIN_TRACK_PX)
        assert not short, f"{self.notebook}: {label}: sliders whose track is too short to drag (label, px): {short}"

        train = scope.locator("button.widget-button", has_text=re.compile(r"\btrain\b", re.IGNORECASE))
        if train.count():
            self._train(scope, train.first, label, start)
        else:
            visible = [sliders.nth(i) for i in range(sliders.count()) if sliders.nth(i).is_visible()]
            assert visible, f"{self.notebook}: {label} shows neither a slider nor a train button to move"
            moved = self._nudge(scope, visible[0], label)
            assert moved["hash"] != start["hash"], \
                f"{self.notebook}: {label}: one step of its first slider left the plot or table unchanged"

        # A slider hidden or disabled in one setting (loss_explorer's logit in the regression view,
        # polynomial_explorer's λ with the penalty off) is moved as soon as a choice makes it usable.
        moved: set[int] = set()
        self._usable_extremes(scope, sliders, moved, label)
        self._choices(scope, label, lambda: self._usable_extremes(scope, sliders, moved, label))
        if train.count():  # the settings now sit at their extremes: a run with them must not raise either
            self._train(scope, train.first, f"{label} at the extremes", self.view(scope))
        unused = [self._slider_state(sliders.nth(i))["name"] for i in range(sliders.count()) if i not in moved]
        assert not unused, f"{self.notebook}: {label}: sliders never visible and enabled, so never moved: {unused}"

        reset = scope.locator("button.widget-button", has_text=re.compile(r"^\s*reset\s*$", re.IGNORECASE))
        if reset.count():
            self.act(scope, f"{label}: reset", reset.first.click)
            back = [self._slider_state(sliders.nth(i))["now"] for i in range(sliders.count())]
            assert back == start_values, f"{self.notebook}: {label}: reset left the sliders at {back}, not {start_values}"

    def _slider_state(self, slider: Any) -> dict[str, Any]:
        handle = slider.locator(".noUi-handle").first
        return {"name": slider.locator(".widget-label").first.inner_text().strip(),
                "now": float(handle.get_attribute("aria-valuenow")),
                "min": float(handle.get_attribute("aria-valuemin")),
                "max": float(handle.get_attribute("aria-valuemax"))}

    def _nudge(self, scope: Any, slider: Any, label: str) -> dict[str, int]:
        state = self._slider_state(slider)
        key = "ArrowLeft" if state["now"] >= state["max"] else "ArrowRight"
        handle = slider.locator(".noUi-handle").first
        return self.act(scope, f"{label}: one step of '{state['name']}' ({key})", lambda: handle.press(key))

    def _usable_extremes(self, scope: Any, sliders: Any, moved: set[int], label: str) -> None:
        """Both ends of every slider not yet moved that is visible and enabled now."""
        for i in range(sliders.count()):
            slider = sliders.nth(i)
            if i not in moved and slider.is_visible() and not slider.locator(".slider[disabled]").count():
                self._extremes(scope, sliders.nth(i), label)
                moved.add(i)

    def _extremes(self, scope: Any, slider: Any, label: str) -> None:
        handle = slider.locator(".noUi-handle").first
        for key, end in (("Home", "min"), ("End", "max")):
            state = self._slider_state(slider)
            if state["now"] == state[end]:
                continue
            what = f"{label}: '{state['name']}' moved to its {end}imum ({key})"
            view = self.act(scope, what, lambda: handle.press(key))
            reached = self._slider_state(slider)
            assert reached["now"] == reached[end], f"{self.notebook}: {what} stopped at {reached['now']}"
            assert view["plots"] + view["tables"] > 0, f"{self.notebook}: {what} left no plot or table"

    def _choices(self, scope: Any, label: str, after_each: Any) -> None:
        """Every option of every dropdown, every toggle button, every checkbox (on, then back); ``after_each`` runs
        after every choice."""
        selects = scope.locator(".widget-dropdown select")
        for i in range(selects.count()):
            select = selects.nth(i)
            name = select.evaluate("s => (s.parentElement.querySelector('.widget-label') || {}).innerText || 'dropdown'")
            for option in range(select.locator("option").count()):
                if select.evaluate("s => s.selectedIndex") == option:
                    continue
                text = select.locator("option").nth(option).inner_text()
                self.act(scope, f"{label}: '{name}' set to {text!r}", lambda: select.select_option(index=option))
                after_each()
        toggles = scope.locator(".widget-toggle-buttons button")
        for i in range(toggles.count()):
            button = toggles.nth(i)
            if "mod-active" not in (button.get_attribute("class") or ""):
                self.act(scope, f"{label}: toggle {button.inner_text().strip()!r}", button.click)
                after_each()
        boxes = scope.locator(".widget-checkbox input[type=checkbox]")
        for i in range(boxes.count()):
            for _ in range(2):
                self.act(scope, f"{label}: checkbox {i + 1} clicked", boxes.nth(i).click)
                after_each()

    def _train(self, scope: Any, button: Any, label: str, start: dict[str, int]) -> None:
        rows = start["rows"]
        view = self.act(scope, f"{label}: 'train' clicked", button.click, timeout_s=TRAIN_S)
        deadline = time.monotonic() + TRAIN_S  # training may report back after the click's own reply
        while view["rows"] <= rows and time.monotonic() < deadline:
            self.page.wait_for_timeout(500)
            view = self.view(scope)
        assert view["rows"] > rows, f"{self.notebook}: {label}: after 'train' the table still has {view['rows']} rows"
        assert not self.errors(), f"{self.notebook}: {label}: training raised:\n" + "\n".join(self.errors())


# Whether each cell tagged `claim` shows its input collapsed (JupyterLab reads jupyter.source_hidden).
_CLAIMS_COLLAPSED = """() => window.jupyterapp.shell.currentWidget.content.widgets
    .filter(cell => (cell.model.getMetadata('tags') || []).includes('claim'))
    .map(cell => cell.inputHidden && cell.node.querySelector('.jp-InputPlaceholder') !== null)"""


def check_widgets_in_lab(lab: LabPage, notebook: Path, cells: list[WidgetCell]) -> None:
    """Run ``notebook`` in JupyterLab, then exercise each widget cell; fail on any exception.

    Run All must raise nothing. Then, in every cell showing a widget, one step of the first slider
    (or a click on "train", which must add a row to the table) changes the plot or table; every
    slider goes to both ends, every dropdown through all its options, every toggle and checkbox is
    clicked, with no exception in the kernel; "reset" brings the sliders back. A widget without
    controls (LiveCurves) must show its plot.
    """
    lab.open(notebook.name)
    lab.run_all()
    errors = lab.errors()
    assert not errors, f"{notebook.name}: Run All raised:\n" + "\n".join(errors)
    claims = claim_cells(nbformat.read(notebook, as_version=4), notebook.name)
    collapsed = lab.page.evaluate(_CLAIMS_COLLAPSED)
    assert collapsed == [True] * len(claims), f"{notebook.name}: claim cells shown collapsed: {collapsed}"
    for cell in cells:
        if cell.interactive:
            lab.exercise(cell)
        else:
            lab.check_display_only(cell)
    errors = lab.errors()
    assert not errors, f"{notebook.name}: the widgets raised:\n" + "\n".join(errors)


def widget_test(group: int) -> Any:
    """The browser test of one group of widget notebooks: one test module per group, one worker each."""

    @pytest.mark.browser
    @pytest.mark.parametrize("notebook", notebooks_in_group(group), ids=lambda path: path.stem)
    def test_widgets_work_in_jupyterlab(lab_page: LabPage, notebook: Path) -> None:
        check_widgets_in_lab(lab_page, notebook, widget_cells(notebook))

    return test_widgets_work_in_jupyterlab
