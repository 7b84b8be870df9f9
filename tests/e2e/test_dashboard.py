"""The dashboard in a real browser: Play, Pause, CSV upload and shared links.

Each test opens a fresh session of the running ``streamlit run app.py`` (see conftest.py) and
waits on conditions only: a metric's text, a button's state, the app's script-run state.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # conftest's browser fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

# Cannot finish by itself within the test: 100,000 epochs of one-row steps on an MLP.
LONG_RUN = "dataset=spiral&model=mlp&loss=bce&batch_size=1&max_epochs=100000&speed=max"
SHARED_LINK = "optimizer=adam&lr=0.01&dataset=moons&loss=bce"
# The four charts a classifier draws (the landscape panel may add a fifth): a linear model's
# few weights are drawn one line each, an MLP's as distributions.
LINEAR_CHARTS = ("Loss", "Decision boundary", "Parameters", "Gradient and update size")
MLP_CHARTS = ("Loss", "Decision boundary", "Weight distributions", "Gradient and update size")


def points_csv(n: int = 40) -> bytes:
    """Two separable clouds with text labels: columns x1, x2, label."""
    rng = np.random.default_rng(7)
    side = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    xy = rng.normal(size=(n, 2)) * 0.5 + side[:, None] * 1.5
    labels = np.where(side > 0, "cat", "dog")
    rows = [f"{a:.3f},{b:.3f},{label}" for (a, b), label in zip(xy, labels, strict=True)]
    return ("x1,x2,label\n" + "\n".join(rows) + "\n").encode()


BROKEN_FILES = {
    "binary": (bytes(range(256)) * 8, "does not look like a CSV text file"),
    "header_only": (b"x1,x2,label\n", "has a header (x1, x2, label) but no data rows"),
}


def upload(page, name: str, content: bytes) -> None:
    uploader = (page.get_by_test_id("stFileUploader").filter(has_text="CSV file")
                .locator('input[type="file"]'))
    uploader.set_input_files(files=[{"name": name, "mimeType": "text/csv", "buffer": content}])


def toggle_log_scale(dash, y_title: str) -> None:
    """Flip 'Log-scale loss': a full rerun, which runs the training fragment once more.

    The loss chart's y-axis title is drawn by the server, so seeing ``y_title`` proves the
    rerun happened; then wait for it (and any fragment run) to end.
    """
    options = dash.page.get_by_test_id("stExpander").filter(has_text="Chart options")
    if not options.get_by_text("Log-scale loss").is_visible():
        options.get_by_text("Chart options").click()
    options.get_by_text("Log-scale loss").click()
    dash.wait_axis_title("Loss", y_title)


def test_play_trains_and_draws_the_charts(dash):
    dash.open(LONG_RUN)
    expect(dash.metric("Epoch")).to_have_text("0")
    expect(dash.metric("Steps/s")).to_have_text("–")

    dash.button("Play").click()
    # every value Steps/s shows in its first 1.5 s of play: "–" until measured, never 0
    shown = dash.page.evaluate("""async () => {
      const seen = new Set(), t0 = performance.now();
      while (performance.now() - t0 < 1500) {
        await new Promise((r) => requestAnimationFrame(r));
        const box = [...document.querySelectorAll('[data-testid="stMetric"]')]
          .find((m) => m.textContent.startsWith('Steps/s'));
        seen.add(box?.querySelector('[data-testid="stMetricValue"]').textContent);
      }
      return [...seen];
    }""")
    assert "0" not in shown, shown

    assert dash.wait_epoch_above(0) > 0
    expect(dash.metric("Steps/s")).to_have_text(re.compile(r"^[1-9][\d,]*$"))  # measured, not 0
    for label in ("Train loss", "Validation loss", "Accuracy"):
        expect(dash.metric(label)).to_have_text(re.compile(r"^-?\d"))
    dash.wait_charts(*MLP_CHARTS)
    expect(dash.exceptions()).to_have_count(0)


def test_pause_holds_the_epoch(dash):
    dash.open(LONG_RUN)
    dash.button("Play").click()
    dash.wait_epoch_above(0)
    expect(dash.button("Pause")).to_be_enabled()

    dash.button("Pause").click()

    expect(dash.button("Play")).to_be_enabled()
    expect(dash.button("Pause")).to_be_disabled()
    dash.wait_idle()
    expect(dash.metric("Steps/s")).to_have_text("–")  # the server's word: not playing
    paused = dash.epoch()
    assert paused > 0
    # Two full reruns, each running the training fragment once: a run still playing would
    # train hundreds of one-row steps (several epochs of the spiral) in each.
    for y_title in ("loss", "loss (log scale)"):
        toggle_log_scale(dash, y_title)
        expect(dash.button("Play")).to_be_enabled()
        assert dash.epoch() == paused


def test_uploaded_csv_loads_and_trains(dash):
    dash.open("dataset=csv")
    expect(dash.metric("Epoch")).to_have_count(0)

    upload(dash.page, "points.csv", points_csv())

    expect(dash.metric("Epoch")).to_have_text("0")
    dash.wait_charts(*LINEAR_CHARTS)
    dash.wait_idle()
    expect(dash.chart_titled("Decision boundary")).to_have_count(1)
    expect(dash.errors()).to_have_count(0)
    expect(dash.exceptions()).to_have_count(0)
    dash.button("Step").click()
    expect(dash.metric("Epoch")).to_have_text("1")
    expect(dash.metric("Accuracy")).to_have_text(re.compile(r"^(0(\.\d+)?|1)$"))


@pytest.mark.parametrize("kind", list(BROKEN_FILES))
def test_broken_csv_shows_the_problem_and_keeps_the_last_good_data(dash, kind):
    content, problem = BROKEN_FILES[kind]
    dash.open("dataset=csv")
    upload(dash.page, "points.csv", points_csv())
    dash.wait_charts(*LINEAR_CHARTS)

    upload(dash.page, "broken.csv", content)

    error = dash.errors()
    expect(error).to_have_count(1)
    expect(error).to_contain_text("broken.csv")
    expect(error).to_contain_text(problem)
    dash.wait_idle()
    expect(dash.page.get_by_text("Using the last good upload: points.csv")).to_be_visible()
    expect(dash.metric("Epoch")).to_have_text("0")
    dash.wait_charts(*LINEAR_CHARTS)
    expect(dash.exceptions()).to_have_count(0)


def test_shared_link_restores_the_settings_and_trains(dash):
    page = dash.page
    dash.open(SHARED_LINK)

    expect(page.get_by_role("combobox", name="Optimizer")).to_have_value("adam")
    expect(page.get_by_role("combobox", name="Data set")).to_have_value(
        re.compile(r"moons", re.IGNORECASE))
    expect(page.get_by_role("combobox", name="Loss")).to_have_value("bce")
    lr = page.get_by_test_id("stNumberInput").filter(has_text="Learning rate").locator("input")
    expect(lr).to_have_value("0.01")
    expect(page.get_by_test_id("stAlertContentWarning")).to_have_count(0)  # no link notice

    dash.button("Play").click()

    assert dash.wait_epoch_above(0) > 0
    dash.wait_charts(*MLP_CHARTS)  # what the link does not name comes from moons' recommended
    expect(dash.exceptions()).to_have_count(0)  # setup (an MLP), see config.recommended
    assert "optimizer=adam" in page.url and "lr=0.01" in page.url


PATH_LENGTH = """() => {
  const plot = [...document.querySelectorAll('.js-plotly-plot')].find(
      (p) => p.layout && /landscape/i.test(JSON.stringify(p.layout.title || '')));
  if (!plot) return -1;
  // _fullData holds the decoded arrays (data keeps plotly's base64 typed-array form)
  const path = (plot._fullData || []).find((t) => t.name === 'path');
  return path ? path.x.length : -1;
}"""


def test_landscape_path_grows_while_training(dash):
    """The default run (w and b of a line) on its exact landscape: the path follows the run."""
    page = dash.page
    dash.open("speed=20+steps%2Fs&max_epochs=1000")
    # the page draws live charts in view: watch the landscape as a reader would
    page.locator('[data-chart="slow/landscape"]').scroll_into_view_if_needed()
    page.wait_for_function(f"() => ({PATH_LENGTH})() >= 1")
    start = page.evaluate(PATH_LENGTH)

    dash.button("Play").click()
    page.locator('[data-chart="slow/landscape"]').scroll_into_view_if_needed()  # Play scrolled

    page.wait_for_function(f"() => ({PATH_LENGTH})() > {start} + 5", timeout=30_000)
    dash.button("Pause").click()
    expect(dash.button("Play")).to_be_enabled()
    expect(dash.exceptions()).to_have_count(0)


# Counts the page's full reruns: each resends every element, the sidebar's among them, and a
# fragment's run does not (installed before the page loads; messages are protobuf, labels in
# them plain UTF-8).
COUNT_FULL_RUNS = """(() => {
  const Native = window.WebSocket;
  const text = new TextDecoder();
  window.__sidebarSent = 0;
  window.WebSocket = function (...args) {
    const ws = new Native(...args);
    ws.addEventListener('message', (event) => {
      if (event.data instanceof ArrayBuffer
          && text.decode(event.data).includes('Validation fraction')) window.__sidebarSent += 1;
    });
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, Native);
})()"""
SLICE_DONE = """() => /random directions/.test(
  document.querySelector('[data-chart="slow/landscape"] .gtitle')?.textContent || '')"""


def test_after_a_step_the_landscape_arrives_without_a_rerun_of_the_page(dash):
    """A paused MLP's random slice is computed after a Step; the page fetches it from the live
    feed and then reruns the panel alone. It used to tick and end with a rerun of the whole
    page (every element resent, the sidebar's inputs re-rendered under a user typing there).
    The Step itself reruns the Train view alone: the sidebar is never sent again."""
    page = dash.page
    page.add_init_script(COUNT_FULL_RUNS)
    dash.open("dataset=moons&model=mlp&loss=bce&max_epochs=5000")
    page.locator('[data-chart="slow/landscape"]').scroll_into_view_if_needed()
    page.wait_for_function(SLICE_DONE)
    before = page.evaluate("window.__sidebarSent")
    assert before >= 1  # the hook sees the first run's sidebar
    dash.button("Step").click()
    expect(dash.metric("Epoch")).to_have_text("1")
    page.locator('[data-chart="slow/landscape"]').scroll_into_view_if_needed()
    page.wait_for_function(f"""() => ({SLICE_DONE})() && document.querySelector(
      '[data-chart="slow/landscape"] .js-plotly-plot')?._fullData?.find(
      (t) => t.name === 'path')?.x?.length >= 2""", timeout=30_000)
    dash.wait_idle()
    assert page.evaluate("window.__sidebarSent") == before  # no run of the whole page
    expect(dash.exceptions()).to_have_count(0)


def test_a_view_switch_reruns_the_views_alone(dash):
    """Switching views redraws the view, not the sidebar and the header above it."""
    page = dash.page
    page.add_init_script(COUNT_FULL_RUNS)
    dash.open("max_epochs=50")
    before = page.evaluate("window.__sidebarSent")
    assert before >= 1
    page.get_by_role("radio", name="Loss shapes", exact=True).click()
    expect(page.locator('[data-chart="shape_values"] .js-plotly-plot')).to_have_count(1)
    page.get_by_role("radio", name="Train", exact=True).click()
    expect(dash.button("Play")).to_be_enabled()
    dash.wait_idle()
    assert page.evaluate("window.__sidebarSent") == before
    expect(dash.exceptions()).to_have_count(0)

def test_the_lr_finders_suggestion_goes_into_the_sidebar(dash):
    """"Use <rate>" sits in the LR finder view, which reruns alone; the rate it puts into
    the sidebar's learning rate is shown there (the page reruns)."""
    page = dash.page
    dash.open("view=LR+finder")
    page.get_by_role("button", name="Run the range test").click()
    use = page.get_by_role("button", name=re.compile(r"^Use \d"))
    expect(use).to_be_visible(timeout=60_000)
    rate = use.inner_text().strip().split()[-1]
    use.click()
    lr = page.get_by_test_id("stSidebar").get_by_label("Learning rate", exact=True)
    expect(lr).to_have_value(rate)
    dash.wait_idle()
    expect(dash.exceptions()).to_have_count(0)

def test_play_and_pause_rerun_the_train_view_alone(dash):
    """Play, Pause and Step redraw the Train view, not the sidebar: half of the page's
    elements, which the browser re-rendered on every click (Pause took 0.8-1 s to answer)."""
    page = dash.page
    page.add_init_script(COUNT_FULL_RUNS)
    dash.open("speed=20+steps%2Fs&max_epochs=5000")
    dash.wait_idle()
    before = page.evaluate("window.__sidebarSent")
    assert before >= 1
    dash.button("Play").click()
    dash.wait_epoch_above(2)
    dash.button("Pause").click()
    expect(dash.button("Play")).to_be_enabled()
    paused = dash.epoch()
    dash.button("Step").click()
    expect(dash.metric("Epoch")).not_to_have_text(f"{paused:,}")
    dash.wait_idle()
    dash.button("Reset").click()
    expect(dash.metric("Epoch")).to_have_text("0")
    dash.wait_idle()
    assert page.evaluate("window.__sidebarSent") == before
    expect(dash.exceptions()).to_have_count(0)
