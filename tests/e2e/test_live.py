"""The live view, judged over time: sampled at every painted frame while a run plays.

A chart that has drawn must never leave the page, whatever the speed; the charts must keep
changing; Pause must answer; the page must ask no other host for anything. Generous margins:
the figures (frames per second, latency, bytes) live in ``python -m lossdash.bench dashboard``.
"""

from __future__ import annotations

import re

import pytest

from lossdash.ui import live

try:
    from playwright.sync_api import expect
except ImportError:  # conftest's browser fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

SAMPLE_SECONDS = 4.0
# One-row steps on an MLP for 100,000 epochs: cannot finish (or converge) within a test.
SPIRAL_MAX = "dataset=spiral&model=mlp&loss=bce&batch_size=1&max_epochs=100000&speed=max"
MOONS_SLOW = "dataset=moons&loss=bce&max_epochs=5000&speed=20+steps%2Fs"

# Runs in the page: samples every painted frame for `secs` seconds and counts, per live chart,
# the frames where its plot area was empty after it had drawn, and the distinct frames it showed.
SAMPLE = """async (secs) => {
  const boxes = () => [...document.querySelectorAll('.ld-chart')];
  const drawn = (box) => {
    const plot = box.querySelector('.js-plotly-plot');
    if (!plot || !plot.querySelector('.main-svg')) return false;
    return plot.querySelectorAll(
      'g.trace, .heatmaplayer image, .imagelayer image, .gl-container canvas').length > 0;
  };
  const blanks = {}, frames = {}, last = {}, hasDrawn = {};
  let samples = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < secs * 1000) {
    await new Promise((r) => requestAnimationFrame(r));
    samples += 1;
    for (const box of boxes()) {
      const id = box.dataset.chart;
      // Blank: a chart that has drawn its data once and shows an empty plot area now.
      if (drawn(box)) hasDrawn[id] = true;
      else if (hasDrawn[id]) blanks[id] = (blanks[id] || 0) + 1;
      const seq = box.querySelector('.js-plotly-plot')?.dataset.seq;
      if (seq !== last[id]) { frames[id] = (frames[id] || 0) + 1; last[id] = seq; }
    }
  }
  return {samples, blanks, frames, charts: boxes().map((b) => b.dataset.chart)};
}"""


def sample_while_playing(dash, query):
    dash.open(query)
    dash.wait_charts("Loss")
    dash.button("Play").click()
    dash.wait_epoch_above(0)
    return dash.page.evaluate(SAMPLE, SAMPLE_SECONDS)


@pytest.mark.parametrize("query", [SPIRAL_MAX, MOONS_SLOW], ids=["spiral-mlp-max", "moons-20"])
def test_no_chart_is_ever_blank_while_playing(dash, query):
    seen = sample_while_playing(dash, query)
    assert seen["samples"] > 5, seen  # the page kept painting
    assert {"fast/loss", "fast/model", "slow/weights", "slow/gradients"} <= set(seen["charts"])
    assert seen["blanks"] == {}, seen
    assert seen["frames"].get("fast/loss", 0) >= 2, seen  # it is live, not frozen
    expect(dash.exceptions()).to_have_count(0)


def test_pause_answers_and_the_charts_stay(dash):
    sample_while_playing(dash, SPIRAL_MAX)
    dash.button("Pause").click()
    expect(dash.button("Play")).to_be_enabled(timeout=3000)
    dash.wait_idle()
    expect(dash.metric("Steps/s")).to_have_text("–")
    assert dash.page.evaluate(SAMPLE, 0.5)["blanks"] == {}


# The page at rest, its loss curve holding one point per epoch the Epoch metric shows (both
# read in the same poll: a click's run may still be on its way when the page first looks idle).
EPOCH_NOW = """() => {
  const box = [...document.querySelectorAll('[data-testid="stMetric"]')].find(
    (m) => m.querySelector('[data-testid="stMetricLabel"]')?.textContent.trim() === 'Epoch');
  return Number(box?.querySelector('[data-testid="stMetricValue"]')?.textContent
    .replace(/,/g, ''));
}"""
CURVE_MATCHES_EPOCH = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const plot = document.querySelector('[data-chart="fast/loss"] .js-plotly-plot');
  const train = plot?.data?.find((t) => t.name === 'train loss');
  const epoch = (""" + EPOCH_NOW + """)();
  return app.dataset.testScriptState === 'notRunning' && train !== undefined && epoch > 0
    && train.x.length === epoch;
}"""


def test_clicks_in_quick_succession_leave_the_charts_equal_to_the_run(dash):
    """A click in the Train view sends the charts' changes only (a patch on top of what the
    page holds); a run cut short by the next click never reaches the page. However the clicks
    fall, the loss curve ends with one point per epoch (full batch: one step each), and a
    played stretch between them adds its points too."""
    dash.open("dataset=moons&batch_size=full&max_epochs=100000&speed=20+steps%2Fs")
    dash.wait_charts("Loss")
    for epoch in (1, 2, 3):  # one at a time: each patch holds the points of the last few
        dash.button("Step").click()
        dash.page.wait_for_function(
            f"() => ({CURVE_MATCHES_EPOCH})() && ({EPOCH_NOW})() === {epoch}", timeout=10_000)
    for _ in range(8):
        dash.button("Step").click(no_wait_after=True)
    dash.page.wait_for_function(CURVE_MATCHES_EPOCH, timeout=10_000)
    dash.wait_idle()
    dash.page.wait_for_function(CURVE_MATCHES_EPOCH, timeout=10_000)
    dash.button("Play").click()
    epoch = dash.wait_epoch_above(dash.epoch() + 5)
    dash.button("Pause").click()
    for _ in range(4):
        dash.button("Step").click(no_wait_after=True)
    dash.page.wait_for_function(f"() => ({CURVE_MATCHES_EPOCH})() && ({EPOCH_NOW})() > {epoch}",
                                timeout=10_000)
    dash.wait_idle()
    dash.page.wait_for_function(CURVE_MATCHES_EPOCH, timeout=10_000)


def test_the_page_asks_no_other_host(page, app_url):
    """No CDN, no web font, no icon server: everything comes from the lossdash server."""
    from urllib.parse import urlsplit

    from tests.e2e.conftest import Dashboard

    asked = []
    page.on("request", lambda request: asked.append(request.url))
    dash = Dashboard(page, app_url).open(MOONS_SLOW)
    dash.wait_charts("Loss", "Decision boundary")
    dash.button("Step").click()
    expect(dash.metric("Epoch")).to_have_text("1")
    local = {urlsplit(app_url).netloc}
    foreign = [u for u in asked if urlsplit(u).scheme in ("http", "https", "ws", "wss")
               and urlsplit(u).netloc not in local]
    assert foreign == []


def test_a_run_that_ends_by_itself_gives_back_the_play_button(dash):
    """While the live feed draws the charts, the page learns from it that the run has ended
    (here: its last epoch) and reruns: Play is offered again, Pause no longer."""
    dash.open("dataset=seed_linear&model=linear&batch_size=0&max_epochs=40&speed=20+steps%2Fs")
    dash.button("Play").click()
    expect(dash.button("Pause")).to_be_enabled()
    expect(dash.metric("Epoch")).to_have_text("40", timeout=30_000)
    expect(dash.button("Pause")).to_be_disabled(timeout=5_000)
    expect(dash.metric("Steps/s")).to_have_text("–")
    expect(dash.exceptions()).to_have_count(0)


LOSS_SEQ = """() => Number(document.querySelector('[data-chart="fast/loss"] .js-plotly-plot')
    ?.dataset.seq || -1)"""


def test_a_feed_the_server_forgot_is_asked_for_again_at_once(dash):
    """The server answers "gone" for a feed it forgot (a restarted server, a reopened session)
    while the page still plays: the page reruns and draws from the new feed, without waiting
    for the panel's slow heartbeat (15 s)."""
    dash.open(MOONS_SLOW)
    dash.wait_charts("Loss")
    dash.button("Play").click()
    dash.wait_epoch_above(0)
    answered = set()

    def forgotten_once(route):  # each feed (fast, slow, network) answers "gone" once
        url = route.request.url.split("?")[0]
        if url not in answered:
            answered.add(url)
            route.fulfill(status=404, content_type="application/json", body='{"gone": true}')
        else:
            route.continue_()

    with dash.page.expect_response(lambda r: "/lossdash/feed/" in r.url and r.status == 404,
                                   timeout=10_000):
        dash.page.route("**/lossdash/feed/**", forgotten_once)
    seq = dash.page.evaluate(LOSS_SEQ)
    dash.page.wait_for_function(f"() => ({LOSS_SEQ})() >= {seq + 3}", timeout=8_000)
    assert answered
    expect(dash.button("Pause")).to_be_enabled()
    expect(dash.exceptions()).to_have_count(0)


def test_a_legend_entry_hides_and_shows_its_curve(dash):
    """The live charts' legend is the panel's own HTML: a click hides the curve, another
    shows it again."""
    dash.open(MOONS_SLOW)
    dash.wait_charts("Loss")
    dash.button("Step").click()
    expect(dash.metric("Epoch")).to_have_text("1")
    entry = dash.page.locator('[data-chart="fast/loss"] .ld-legend-item').first
    name = entry.inner_text()
    visible = """name => document.querySelector('[data-chart="fast/loss"] .js-plotly-plot')
        .data.find(t => t.name === name).visible"""
    entry.click()
    dash.page.wait_for_function(f"name => ({visible})(name) === 'legendonly'", arg=name)
    expect(entry).to_have_class(re.compile("ld-off"))
    entry.click()
    dash.page.wait_for_function(f"name => ({visible})(name) !== 'legendonly'", arg=name)


def test_the_boundary_legend_draws_each_set_as_its_points_are_drawn(dash):
    """Training points are dots and validation points crosses, in the chart (SVG: a few
    hundred points need no WebGL context) and in the panel's HTML legend under it."""
    dash.open(MOONS_SLOW)
    dash.wait_charts("Loss")
    box = dash.page.locator('[data-chart="fast/model"]')
    box.scroll_into_view_if_needed()  # live charts draw once in view
    expect(box.locator(".scatterlayer .point").first).to_be_attached()
    expect(box.locator(".gl-container canvas")).to_have_count(0)
    items = box.locator(".ld-legend-item")
    expect(items).to_have_count(4)
    for i in range(4):
        crossed = "ld-cross" in items.nth(i).locator(".ld-swatch").get_attribute("class")
        assert crossed == ("(val)" in items.nth(i).inner_text()), items.nth(i).inner_text()

def test_every_view_draws_with_the_pages_one_plotly_js(dash):
    """The Train view's timeline and the Loss shapes view draw live panels: Streamlit's own
    Plotly element (which loads and parses a second plotly.js) is never used."""
    scripts = []
    dash.page.on("request", lambda request: scripts.append(request.url)
                 if request.resource_type == "script" else None)
    dash.open(MOONS_SLOW)
    dash.button("Step").click()
    expect(dash.metric("Epoch")).to_have_text("1")
    timeline = dash.page.locator('[data-chart="timeline/model"]')
    timeline.scroll_into_view_if_needed()  # live charts draw once in view, as a reader sees them
    expect(timeline.locator(".js-plotly-plot")).to_have_count(1)
    dash.page.get_by_role("radio", name="Loss shapes", exact=True).click()
    expect(dash.page.locator('[data-chart="shape_values"] .js-plotly-plot')).to_have_count(1)
    dash.wait_idle()
    expect(dash.page.get_by_test_id("stPlotlyChart")).to_have_count(0)
    plotly = [u for u in scripts if "plotly" in u.lower()]
    assert len(plotly) == 1 and "/app/static/plotly-" in plotly[0], plotly


# Records, in the page, each chart redraw (its data-seq) and each script state after a click.
WATCH_CLICK = """() => {
  window.__clicked = [];
  const t = () => performance.now();
  const app = document.querySelector('[data-testid="stApp"]');
  new MutationObserver(() => window.__clicked.push(['state', app.dataset.testScriptState, t()]))
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  new MutationObserver((records) => records.forEach(() => window.__clicked.push(['draw', '', t()])))
    .observe(document.body, {subtree: true, attributes: true, attributeFilter: ['data-seq']});
  document.addEventListener('pointerdown', () => window.__clicked.push(['click', '', t()]),
                            {capture: true, once: true});
}"""


def test_a_click_is_answered_before_the_next_chart_frame(dash):
    """While a run plays the charts redraw many times a second; once Pause is pressed, no chart
    redraws until the click's script run has ended (at most 0.8 s): the page answers first."""
    sample_while_playing(dash, SPIRAL_MAX)
    dash.page.evaluate(WATCH_CLICK)
    dash.button("Pause").click()
    expect(dash.button("Play")).to_be_enabled(timeout=3000)
    dash.wait_idle()
    events = dash.page.evaluate("() => window.__clicked")
    clicked = next(t for kind, _, t in events if kind == "click")
    after = [(kind, state, t - clicked) for kind, state, t in events if t >= clicked]
    # (a fragment's run may be going on at the click: the state then stays "running" into
    # the click's run, and its first "notRunning" ends both)
    ended = next((t for k, s, t in after if k == "state" and s == "notRunning"), 800)
    early = [t for k, _, t in after if k == "draw" and t < min(ended, 800)]
    assert early == [], after


# A plane z = x on x in [0, 1] (11 columns, 3 rows, one gap), drawn as a field by live.js:
# returns the contour's points and the image's pixels (RGBA rows, top row first).
FIELD = """async (jsUrl) => {
  const live = await import(jsUrl);
  const xs = [...Array(11).keys()].map((i) => i / 10);
  const z = [0, 1, 2].map(() => xs.slice());
  z[0][0] = NaN;  // a gap, bottom left
  const heat = {type: 'heatmap', x: xs, y: [0, 1, 2], z, zmin: 0, zmax: 1,
    colorscale: [[0, '#0072B2'], [0.5, '#F7F7F7'], [1, '#E69F00']]};
  const line = {type: 'contour', x: xs, y: [0, 1, 2], z: z.map((r) => r.slice()),
    contours: {start: 0.5, end: 0.5}, line: {color: '#333333', width: 2}};
  const points = {type: 'scattergl', x: [0.5], y: [1], mode: 'markers'};
  const [traces, layout] = live.asField([heat, line, points], {xaxis: {}, yaxis: {}});
  const image = layout.images[0];
  const img = new Image();
  img.src = image.source;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.width; canvas.height = img.height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const px = (c, r) => [...ctx.getImageData(c, r, 1, 1).data];
  const numbers = layout.shapes[0].path.match(/-?[0-9.e+-]+/g).map(Number);
  return {types: traces.map((t) => t.type), bar: traces[0].marker.showscale,
    size: [img.width, img.height], box: [image.x, image.y, image.sizex, image.sizey],
    left: px(1, 0), middle: px(5, 0), right: px(10, 0), gap: px(0, 2),
    xs: numbers.filter((_, i) => i % 2 === 0), ys: numbers.filter((_, i) => i % 2 === 1),
    grid: layout.xaxis.showgrid};
}"""


def test_a_field_is_an_image_with_its_boundary_drawn_where_the_plane_crosses_one_half(dash):
    """live.js draws the decision boundary's heatmap as an image, one pixel per cell coloured
    from the trace's colour scale, and its 0.5 contour as a path through the cells where the
    values cross 0.5 (marching squares, linear between cell centres)."""
    dash.open(MOONS_SLOW)
    dash.wait_charts("Loss")
    js_url = dash.base_url.rstrip("/") + "/" + live.assets()["js_url"]
    seen = dash.page.evaluate(FIELD, js_url)
    assert seen["types"] == ["scatter", "scattergl"]  # the colour bar's trace, the points
    assert seen["bar"] is True
    assert seen["size"] == [11, 3]
    assert seen["box"] == pytest.approx([-0.05, 2.5, 1.1, 3.0])  # cells centred on the data
    assert seen["left"] == pytest.approx([50, 141, 192, 255], abs=2)  # 0.1: 1/5 to the middle
    assert seen["middle"] == pytest.approx([247, 247, 247, 255], abs=2)
    assert seen["right"] == [230, 159, 0, 255]  # 1: the last colour (#E69F00)
    assert seen["gap"][3] == 0  # a cell without a value is transparent
    assert seen["xs"] and set(seen["xs"]) == {0.5}  # the boundary runs where z = x = 0.5
    assert min(seen["ys"]) == 0 and max(seen["ys"]) == 2  # from bottom to top
    assert seen["grid"] is False  # grid lines would show through the image


MODEL_PLOT = "document.querySelector('[data-chart=\"fast/model\"] .js-plotly-plot')"


def test_the_decision_boundary_redraws_its_image_not_its_points(dash):
    """A step changes the decision boundary's image and boundary line; the data points, which
    did not change, are not recomputed or redrawn (Plotly keeps their calcdata)."""
    dash.open(MOONS_SLOW)
    dash.wait_charts("Loss")
    chart = dash.page.locator('[data-chart="fast/model"]')
    chart.scroll_into_view_if_needed()  # live charts draw once in view
    dash.button("Step").click()
    expect(dash.metric("Epoch")).to_have_text("1")
    image = chart.locator(".imagelayer image")
    expect(image).to_have_count(1)
    expect(chart.locator(".shapelayer path")).not_to_have_count(0)
    before = image.get_attribute("href")
    assert before.startswith("data:image/png;base64,")
    dash.page.evaluate(f"() => {{ window.__calc = {MODEL_PLOT}.calcdata; }}")
    for epoch in ("2", "3"):
        dash.button("Step").click()
        expect(dash.metric("Epoch")).to_have_text(epoch)
    href = f"{MODEL_PLOT}.querySelector('.imagelayer image').getAttribute('href')"
    dash.page.wait_for_function(f"before => {href} !== before", arg=before)
    assert dash.page.evaluate(f"() => {MODEL_PLOT}.calcdata === window.__calc")


# The value under the pointer of a plane z = x on x in [0, 1] (11 columns, 3 rows, one gap).
FIELD_VALUES = """async (jsUrl) => {
  const live = await import(jsUrl);
  const xs = [...Array(11).keys()].map((i) => i / 10);
  const z = [0, 1, 2].map(() => xs.slice());
  z[2][10] = null;  // a gap, top right
  const heat = {type: 'heatmap', x: xs, y: [0, 1, 2], z, name: 'P(class 1)'};
  const at = (x, y) => live.fieldValue(heat, x, y);
  return {centre: at(0.3, 1), near: at(0.33, 1.4), edge: at(1.04, 0), off: at(1.06, 0),
          below: at(0.5, -0.6), gap: at(1, 2)};
}"""


def test_the_field_under_the_pointer_shows_its_value(dash):
    """The decision boundary is an image, which Plotly cannot hover: the panel names the value
    of the cell under the pointer itself (its nearest cell centre), nothing off the grid or in
    a gap, and shows it in a tip while the pointer is over the plot."""
    dash.open(MOONS_SLOW)
    dash.wait_charts("Loss")
    js_url = dash.base_url.rstrip("/") + "/" + live.assets()["js_url"]
    seen = dash.page.evaluate(FIELD_VALUES, js_url)
    assert seen["centre"] == {"name": "P(class 1)", "value": pytest.approx(0.3),
                              "text": "P(class 1): 0.300"}
    assert seen["near"]["value"] == pytest.approx(0.3)  # 0.33 is nearest the 0.3 column
    assert seen["edge"]["value"] == 1  # within the last cell's half width
    assert seen["off"] is None and seen["below"] is None and seen["gap"] is None
    chart = dash.page.locator('[data-chart="fast/model"]')
    chart.scroll_into_view_if_needed()
    plot = chart.locator(".nsewdrag").first  # the plot area
    expect(plot).to_be_visible()
    box = plot.bounding_box()
    dash.page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.1)
    tip = chart.locator(".ld-field-tip")
    expect(tip).to_be_visible()
    expect(tip).to_have_text(re.compile(r"^P\(class 1\): [0-9.e-]+$"))
    assert 0 <= float(tip.inner_text().split(": ")[1]) <= 1
    dash.page.mouse.move(box["x"] - 40, box["y"] - 40)  # off the plot
    expect(tip).to_be_hidden()


def test_leaving_the_first_view_before_its_chart_still_draws_the_sidebar(dash):
    """The sidebar waits for the Train view's first chart; a view picked before that chart
    is drawn (here it never is: plotly.js does not arrive) draws the sidebar itself."""
    page = dash.page
    page.route("**/plotly-*.js", lambda route: None)  # never answered
    page.goto(f"{dash.base_url}/?dataset=moons")
    page.get_by_role("radio", name="Loss shapes", exact=True).click()
    expect(page.locator(".st-key-optimizer")).to_be_visible()
    expect(dash.exceptions()).to_have_count(0)


def test_a_click_before_the_first_chart_still_draws_the_whole_page(dash):
    """Play pressed before the page has drawn its first chart (here it never does: plotly.js
    does not arrive): the sidebar and the rest of the view are drawn all the same (they
    stayed away for good when the page's report of the chart came after the click)."""
    page = dash.page
    page.route("**/plotly-*.js", lambda route: None)  # never answered
    page.goto(f"{dash.base_url}/?dataset=moons&max_epochs=100000")
    dash.button("Play").click()
    expect(page.locator(".st-key-optimizer")).to_be_visible()
    expect(page.locator(".st-key-train_end")).to_have_count(1)
    expect(dash.button("Pause")).to_be_enabled()  # and the run plays on
    dash.button("Pause").click()
    expect(dash.exceptions()).to_have_count(0)


# When the fast panel's loss chart, the view's last element and the sidebar's optimizer first
# appear (page clock).
MARK_FIRST_PAINT = """(() => {
  window.__marks = {};
  const mark = (k) => { if (!(k in window.__marks)) window.__marks[k] = performance.now(); };
  new MutationObserver(() => {
    if (document.querySelector('[data-chart="fast/loss"] .main-svg')) mark('chart');
    if (document.querySelector('.st-key-train_end')) mark('end');
    if (document.querySelector('.st-key-optimizer')) mark('sidebar');
  }).observe(document, {subtree: true, childList: true});
})()"""


def test_a_sessions_first_view_draws_its_first_chart_before_the_rest(dash):
    """A new session's Train view sends the buttons and the fast panel first, and the rest of
    the view and the sidebar once the page has drawn that panel's charts: the page's one core
    renders the chart first, not every element of the page before it."""
    page = dash.page
    page.add_init_script(MARK_FIRST_PAINT)
    dash.open("dataset=moons")  # waits for the whole view
    marks = page.evaluate("window.__marks")
    assert marks["chart"] < marks["end"], marks
    assert marks["chart"] < marks["sidebar"], marks  # the sidebar waits for the chart too
    expect(page.get_by_text("Chart options")).to_be_visible()
    expect(dash.exceptions()).to_have_count(0)
    dash.button("Step").click()  # and the session's next runs draw the whole view at once
    expect(dash.metric("Epoch")).to_have_text("1")
    dash.wait_idle()
    expect(page.locator(".st-key-train_end")).to_have_count(1)
