"""Fixtures for the browser tests: the real ``streamlit run app.py`` and a headless Chromium.

One Streamlit server serves the whole test session; every test gets its own browser context
(a fresh Streamlit session) and leaves a screenshot in ``tests/artifacts/<test name>.png``,
whether it passed or not.

Nothing here sleeps for a fixed time: every wait is on a condition (the server's health
endpoint, the app's ``data-test-script-state`` attribute, a metric's text) with a timeout.
Outside CI a machine without Chromium or Playwright skips these tests; with ``CI=true`` it
fails them, so CI cannot pass without having run them.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # the browser fixture says what to install (skip, or fail in CI)
    expect = sync_playwright = None
    PlaywrightError = Exception

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 1000}
SERVER_START_S = 90  # a cold start imports streamlit, numpy, pandas, plotly
APP_TIMEOUT_MS = 30_000  # one page load or one rerun, on a busy two-core machine
LOG_TAIL_CHARS = 4000


def _unavailable(reason: str) -> None:
    """Skip the test on a developer's machine; fail it in CI, where it must run."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run here)", pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------------- the server
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _log_tail(log: Path) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    return text[-LOG_TAIL_CHARS:] or "(the server wrote nothing)"


def _wait_until_healthy(proc: subprocess.Popen, url: str, log: Path) -> None:
    """Poll the health endpoint; between polls, wait on the process (returns if it dies)."""
    for _ in range(SERVER_START_S * 5):
        if _healthy(url):
            return
        try:
            code = proc.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            continue
        pytest.fail(
            f"`streamlit run app.py` exited with code {code} before answering on {url}.\n"
            f"Server log:\n{_log_tail(log)}",
            pytrace=False,
        )
    pytest.fail(
        f"`streamlit run app.py` did not answer ok on {url}/_stcore/health within "
        f"{SERVER_START_S} s.\nServer log:\n{_log_tail(log)}",
        pytrace=False,
    )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@dataclass(frozen=True)
class Server:
    """A running ``streamlit run app.py``: its base URL, its process and its log file."""

    url: str
    proc: subprocess.Popen
    log: Path


@contextlib.contextmanager
def streamlit_server(log: Path):
    """Start ``streamlit run app.py`` from the repository root on a free port; stop it after.

    The session's shared server is ``app_url``; a test that must read its own server's threads
    or log (``/proc/<pid>/task``) starts one with this.
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        # other people edit the tree while tests run: no "source changed" prompts mid-test
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
    try:
        _wait_until_healthy(proc, url, log)
        yield Server(url, proc, log)
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """The base URL of ``streamlit run app.py`` started from the repository root."""
    with streamlit_server(tmp_path_factory.mktemp("streamlit") / "server.log") as server:
        yield server.url


# --------------------------------------------------------------------------- the browser
@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from the system (never a downloaded one: no `playwright install`)."""
    if sync_playwright is None:
        _unavailable("no playwright package: pip install -r requirements-dev.txt")
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _artifact_name(nodename: str) -> str:
    return re.sub(r"[^\w.-]+", "_", nodename).strip("_") + ".png"


@pytest.fixture
def page(browser, request):
    """A fresh browser context and page; a screenshot of it is saved after every test."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(APP_TIMEOUT_MS)
    expect.set_options(timeout=APP_TIMEOUT_MS)
    tab = context.new_page()
    try:
        yield tab
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / _artifact_name(request.node.name)
        try:
            tab.screenshot(path=str(shot))
        except PlaywrightError as err:  # a crashed page must not hide the test's own failure
            warnings.warn(f"no screenshot for {request.node.name}: {err}", stacklevel=1)
        finally:
            context.close()


# --------------------------------------------------------------------------- the dashboard
class Dashboard:
    """The lossdash page as the tests see it: open a URL, read metrics, wait for quiet."""

    def __init__(self, page, base_url):
        self.page = page
        self.base_url = base_url
        self.app = page.get_by_test_id("stApp")

    def open(self, query: str = "") -> Dashboard:
        """Load ``/?<query>`` and wait until its script runs have finished: a session's first
        Train view draws its buttons and fast panel first, and the rest (up to its last
        element, ``.st-key-train_end``) in the run that follows the fast panel's first draw."""
        self.page.goto(f"{self.base_url}/{'?' + query if query else ''}")
        self.wait_idle()
        if self.page.locator(".st-key-play").count():
            expect(self.page.locator(".st-key-train_end")).to_have_count(1)
            self.wait_idle()
        return self

    def wait_idle(self) -> None:
        """Wait until no script run (full or fragment) is going on.

        Streamlit puts its run state on the app root: ``initial`` before the first run,
        ``running`` during one, ``notRunning`` after it.
        """
        expect(self.app).to_have_attribute("data-test-script-state", "notRunning")

    def button(self, name: str):
        # a button with a keyboard shortcut names it after its label ("Play Shortcut Space");
        # a chart's "Reset axes" is another button
        label = re.compile(rf"^{re.escape(name)}( Shortcut \S+)?$")
        return self.page.get_by_role("button", name=label)

    def metric(self, label: str):
        """The value element of the ``st.metric`` labelled ``label``."""
        box = self.page.get_by_test_id("stMetric").filter(
            has=self.page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
        )
        return box.get_by_test_id("stMetricValue")

    def epoch(self) -> int:
        return int(self.metric("Epoch").inner_text().replace(",", ""))

    def wait_epoch_above(self, value: int) -> int:
        """Wait until the Epoch metric shows more than ``value``; returns what it shows."""
        self.page.wait_for_function(
            """([sel, value]) => {
                const box = [...document.querySelectorAll(sel)].find(
                    m => m.querySelector('[data-testid="stMetricLabel"]')
                          ?.textContent.trim() === "Epoch");
                const shown = box?.querySelector('[data-testid="stMetricValue"]')?.textContent;
                return shown !== undefined && Number(shown.replace(/,/g, "")) > value;
            }""",
            arg=['[data-testid="stMetric"]', value],
        )
        return self.epoch()

    def charts(self):
        """Every Plotly chart on the page: st.plotly_chart's and the live panels'."""
        return self.page.locator('[data-testid="stPlotlyChart"], .ld-chart')

    def chart_titled(self, title: str):
        """Plotly charts whose title starts with ``title`` (a live run may show two briefly)."""
        pattern = re.compile("^" + re.escape(title))
        return self.page.locator(".js-plotly-plot").filter(
            has=self.page.locator(".gtitle", has_text=pattern)
        )

    def wait_charts(self, *titles: str) -> None:
        """Wait until a drawn Plotly chart is on the page for each title (a prefix of it).

        The live panels draw their charts once Plotly has loaded, and only those in view (or
        near it): as a reader would, this scrolls each live chart not drawn yet into view,
        one per poll, until every title is shown.
        """
        self.page.wait_for_function(
            """titles => {
                const shown = [...document.querySelectorAll(
                    '[data-testid="stPlotlyChart"] .js-plotly-plot .gtitle, '
                    + '.ld-chart .js-plotly-plot .gtitle')]
                    .map(t => t.textContent.trim());
                if (titles.every(want => shown.some(have => have.startsWith(want)))) return true;
                const waiting = [...document.querySelectorAll('.ld-chart')]
                    .find(box => !box.querySelector('.main-svg'));
                waiting?.scrollIntoView({block: "center"});
                return false;
            }""",
            arg=list(titles),
            polling=200,
        )

    def wait_axis_title(self, chart: str, y_title: str) -> None:
        """Wait until the app is idle and the chart titled ``chart`` has this y-axis title.

        Axis titles are drawn from the server's figure, so this proves a script run that used
        the latest settings has finished.
        """
        self.page.wait_for_function(
            """([chart, yTitle]) => {
                const app = document.querySelector('[data-testid="stApp"]');
                if (app?.dataset.testScriptState !== "notRunning") return false;
                const plots = [...document.querySelectorAll(".js-plotly-plot")].filter(
                    p => p.querySelector(".gtitle")?.textContent.trim() === chart);
                return plots.length === 1
                    && plots[0].querySelector(".ytitle")?.textContent.trim() === yTitle;
            }""",
            arg=[chart, y_title],
        )

    def errors(self):
        return self.page.get_by_test_id("stAlertContentError")

    def exceptions(self):
        return self.page.get_by_test_id("stException")


@pytest.fixture
def dash(page, app_url):
    """The dashboard page object for a fresh session (call ``.open(query)`` first)."""
    return Dashboard(page, app_url)
