"""Every width: the page at 1440, 1024 and 390 px, and formulas that fit the sidebar.

Screenshots of each width land in tests/artifacts/ (``layout_<width>.png``).
"""

from __future__ import annotations

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # conftest's browser fixture skips (or fails in CI) with the reason
    expect = None

from tests.e2e.conftest import APP_TIMEOUT_MS, ARTIFACTS, Dashboard

pytestmark = pytest.mark.e2e

VIEWS = ["Loss shapes", "Compare", "LR finder", "Search", "Lessons"]
# Streamlit cuts a label too long for its box with an ellipsis (buttons, toggles, checkboxes)
LABELS = '[data-testid="stMain"] .stMarkdownEllipsis, [data-testid="stMain"] button'
OPTIMIZERS = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]

# Elements whose text is cut: wider content than box (buttons, metric labels).
CUT = """(selector) => [...document.querySelectorAll(selector)]
  .filter((el) => el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1)
  .map((el) => el.textContent.trim())"""
# Live charts whose legend (the panel's HTML, under the plot) overlaps the plot or its title.
OVERLAPS = """() => [...document.querySelectorAll('.ld-chart')].filter((box) => {
  const plot = box.querySelector('.js-plotly-plot')?.getBoundingClientRect();
  const title = box.querySelector('.gtitle')?.getBoundingClientRect();
  const legend = box.querySelector('.ld-legend');
  if (!plot || !legend || legend.hidden) return false;
  return [...legend.children].some((entry) => {
    const r = entry.getBoundingClientRect();
    const hits = (b) => b && r.left < b.right && b.left < r.right && r.top < b.bottom
      && b.top < r.bottom;
    return hits(plot) || hits(title);
  });
}).map((box) => box.dataset.chart)"""


def open_at(browser, app_url, width, height, query="dataset=moons&loss=bce&model=linear"):
    context = browser.new_context(viewport={"width": width, "height": height},
                                  is_mobile=width < 500, has_touch=width < 500)
    context.set_default_timeout(APP_TIMEOUT_MS)
    expect.set_options(timeout=APP_TIMEOUT_MS)
    page = context.new_page()
    dash = Dashboard(page, app_url).open(query)
    dash.wait_charts("Loss", "Decision boundary")
    return context, page, dash


@pytest.mark.parametrize("width,height", [(1440, 900), (1024, 768)])
def test_wide_screens_show_whole_labels_and_titles_clear_of_legends(browser, app_url, width,
                                                                     height):
    context, page, dash = open_at(browser, app_url, width, height)
    try:
        dash.button("Step").click()
        expect(dash.metric("Epoch")).to_have_text("1")
        dash.wait_charts("Loss", "Decision boundary", "Parameters", "Gradient and update size")
        assert page.evaluate(CUT, '[data-testid="stMain"] button') == []
        assert page.evaluate(CUT, ".ld-metric-label") == []
        assert page.evaluate(OVERLAPS) == []
        page.screenshot(path=str(ARTIFACTS / f"layout_{width}.png"))
        # every view, the paused Train view's timeline included: no label cut short
        assert page.evaluate(CUT, LABELS) == []
        for view in VIEWS:
            page.get_by_role("radio", name=view, exact=True).click()
            dash.wait_idle()
            assert (view, page.evaluate(CUT, LABELS)) == (view, [])
        page.get_by_role("button", name="Start", exact=True).first.click()  # a lesson's card
        expect(page.locator(".st-key-lesson_card")).to_have_count(1)
        dash.wait_idle()
        assert page.evaluate(CUT, LABELS) == []
    finally:
        context.close()


def test_a_phone_sees_play_and_a_chart_on_its_first_screen(browser, app_url):
    context, page, dash = open_at(browser, app_url, 390, 844)
    try:
        play = dash.button("Play").bounding_box()
        assert play is not None and play["y"] + play["height"] <= 844
        chart = page.locator('[data-chart="fast/loss"] .main-svg').first.bounding_box()
        assert chart is not None and chart["y"] < 844 - 120  # its plot area shows, not a sliver
        # nothing wider than the screen: no sideways scrolling
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.evaluate(CUT, ".ld-metric-label") == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "layout_390.png"))
    finally:
        context.close()


# The chart's title, each of its lines, inside the chart's box (Plotly never wraps a title).
TITLE_OVERFLOW = """(id) => {
  const box = document.querySelector(`[data-chart="${id}"]`).getBoundingClientRect();
  const title = document.querySelector(`[data-chart="${id}"] .gtitle`);
  if (!title) return 'no title';
  const r = title.getBoundingClientRect();
  return r.left >= box.left - 1 && r.right <= box.right + 1 ? null : [r.left, r.right, box.left,
                                                                      box.right];
}"""


def test_a_phone_sees_whole_chart_titles(browser, app_url):
    """The long titles (the weight distributions, the random slice and its subtitle) wrap to
    the chart's width on a 390 px phone."""
    context, page, dash = open_at(browser, app_url, 390, 844,
                                  query="dataset=spiral&model=mlp&hidden=8,8&loss=bce")
    try:
        dash.button("Step").click()
        expect(dash.metric("Epoch")).to_have_text("1")
        dash.wait_idle()
        cut = {}
        for chart in ["fast/loss", "fast/model", "slow/weights", "slow/landscape"]:
            box = page.locator(f'[data-chart="{chart}"]')
            box.scroll_into_view_if_needed()
            expect(box.locator(".gtitle")).to_have_count(1)
            problem = page.evaluate(TITLE_OVERFLOW, chart)
            if problem:
                cut[chart] = problem
        assert cut == {}
        assert page.evaluate(OVERLAPS) == []  # no legend over a plot, an axis or a title
    finally:
        context.close()


def test_every_optimizer_update_rule_fits_the_sidebar(dash):
    too_wide = {}
    for name in OPTIMIZERS:
        dash.open(f"optimizer={name}")
        rule = dash.page.get_by_test_id("stExpander").filter(has_text="Update rule")
        rule.get_by_text("Update rule").click()
        formula = rule.locator(".katex-html").first
        expect(formula).to_be_visible()
        box = rule.locator('[data-testid="stExpanderDetails"]').bounding_box()
        drawn = formula.bounding_box()
        if drawn["width"] > box["width"]:
            too_wide[name] = (round(drawn["width"]), round(box["width"]))
    assert too_wide == {}
