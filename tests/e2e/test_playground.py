"""The Playground parts in a real browser: the network view live, a lesson, the circle with
squared inputs, classroom mode and its keys; and screenshots of them at three widths.

Every wait is on a condition (a metric's text, the network's drawn data, a button's state).
"""

from __future__ import annotations

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # conftest's browser fixture skips (or fails in CI) with the reason
    expect = None

from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e

NETWORK = "The network"
PATIENT_MS = 120_000  # these tests train and redraw big pages on a shared two-core machine


@pytest.fixture(autouse=True)
def patient(page):
    """Longer waits than conftest's for this file (the page fixture sets them per test)."""
    page.set_default_timeout(PATIENT_MS)
    expect.set_options(timeout=PATIENT_MS)
# The drawn output tile of the network chart, as text (changes when the model does).
OUTPUT_TILE_JS = """() => {
    const plot = [...document.querySelectorAll('.js-plotly-plot')].find(
        p => p.querySelector('.gtitle')?.textContent.startsWith('The network'));
    const tiles = (plot?.data || []).filter(t => t.type === 'heatmap');
    return tiles.length ? JSON.stringify(tiles[tiles.length - 1].z) : null;
}"""


def wait_metric_at_least(dash, label, value):
    dash.page.wait_for_function(
        """([label, value]) => {
            const box = [...document.querySelectorAll('[data-testid="stMetric"]')].find(
                m => m.querySelector('[data-testid="stMetricLabel"]')?.textContent.trim()
                     === label);
            const shown = box?.querySelector('[data-testid="stMetricValue"]')?.textContent;
            return shown !== undefined && Number(shown) >= value;
        }""",
        arg=[label, value],
    )


def test_network_view_draws_and_changes_while_playing(dash):
    dash.open("dataset=moons&speed=20+steps%2Fs")
    dash.wait_charts(NETWORK)
    first = dash.page.evaluate(OUTPUT_TILE_JS)
    assert first is not None
    dash.button("Play").click()
    dash.wait_epoch_above(2)
    # the live charts redraw while in view, as a reader looks at them
    dash.page.locator('[data-chart="net/graph"]').scroll_into_view_if_needed()
    dash.page.wait_for_function(f"first => ({OUTPUT_TILE_JS})() !== first", arg=first)
    dash.button("Pause").click()
    dash.wait_idle()
    assert dash.exceptions().count() == 0


# A click on a neuron of the network chart (a live panel's own trigger, inside its fragment),
# then Play, in one turn of the page's event loop: Streamlit sends both as one rerun of the
# network's fragment (the first change's fragment id wins; Play's is the page's, "").
PLAY_WITH_A_PANEL_TRIGGER = """() => {
    const play = document.querySelector('.st-key-play button');  // Streamlit's class for key="play"
    const graph = document.querySelector('[data-chart="net/graph"] .js-plotly-plot');
    const trace = graph.data.find(t => Array.isArray(t.customdata) && t.customdata.length);
    graph.emit('plotly_click', {points: [{customdata: trace.customdata[0]}]});
    play.click();
}"""


def test_a_click_sent_with_a_panels_own_trigger_still_reruns_the_page(dash):
    """Streamlit's page batches widget changes made in one turn and sends them with the first
    fragment id among them: Play (outside every fragment) clicked as a live panel sends its own
    trigger went to the server as a rerun of that panel alone, so the run trained behind a
    page still showing epoch 0, Play enabled (about once in 40 page loads). Such a run now
    reruns the whole page: the buttons show the run playing and the epoch moves."""
    dash.open("dataset=moons&speed=20+steps%2Fs")
    dash.wait_charts(NETWORK)
    dash.page.locator('[data-chart="net/graph"]').scroll_into_view_if_needed()
    dash.page.evaluate(PLAY_WITH_A_PANEL_TRIGGER)
    expect(dash.button("Pause")).to_be_enabled()
    dash.wait_epoch_above(2)
    expect(dash.exceptions()).to_have_count(0)


def test_a_lesson_loads_and_trains_to_what_it_promises(dash):
    dash.open("lesson=lr_too_large")
    expect(dash.page.get_by_text("Lesson: A learning rate too large")).to_be_visible()
    dash.button("Play").click()
    expect(dash.errors().filter(has_text="diverged").first).to_be_visible()


def test_a_lessons_start_button_loads_its_setup_into_the_sidebar(dash):
    """Start (in the Lessons view, which reruns alone) puts the lesson's settings into the
    sidebar and opens the Train view with the lesson's card: the whole page reruns."""
    dash.open("view=Lessons")
    dash.page.locator(".st-key-lesson_lr_too_large button").first.click()
    expect(dash.page.get_by_text("Lesson: A learning rate too large")).to_be_visible()
    expect(dash.button("Play")).to_be_enabled()  # the Train view
    lr = dash.page.get_by_test_id("stSidebar").get_by_label("Learning rate", exact=True)
    expect(lr).to_have_value("1")
    expect(dash.exceptions()).to_have_count(0)

def test_circle_with_squared_inputs_is_solved_by_the_linear_model(dash):
    dash.open("dataset=circle&model=linear&features=x1_sq%2Cx2_sq&speed=max")
    expect(dash.page.get_by_role("button", name="x1²")).to_be_visible()
    dash.button("Play").click()
    wait_metric_at_least(dash, "Accuracy", 0.95)


def test_classroom_mode_hides_the_sidebar_and_space_plays(dash):
    dash.open("classroom=true&dataset=moons&speed=20+steps%2Fs")
    expect(dash.page.get_by_test_id("stSidebar")).to_be_hidden()
    expect(dash.button("Play")).to_be_enabled()
    dash.page.mouse.click(5, 5)  # focus the page, not a field
    dash.page.keyboard.press("Space")
    expect(dash.button("Pause")).to_be_enabled()
    dash.wait_epoch_above(1)
    dash.page.keyboard.press("Space")
    expect(dash.button("Play")).to_be_enabled()


def test_classroom_s_steps_one_epoch_and_0_resets(dash):
    dash.open("classroom=true&dataset=moons")
    dash.wait_charts("Loss")  # the page a person sees before pressing a key
    dash.page.mouse.click(5, 5)
    dash.page.keyboard.press("s")
    expect(dash.metric("Epoch")).to_have_text("1")
    dash.wait_idle()
    dash.page.mouse.click(5, 5)
    dash.page.keyboard.press("0")
    expect(dash.metric("Epoch")).to_have_text("0")


SCREENS = {  # screenshot name -> query
    "network": "dataset=spiral",
    "lessons": "view=Lessons",
    "lesson": "lesson=overfitting",
    "classroom": "classroom=true&dataset=circle",
}


@pytest.mark.parametrize("width", [1440, 1024, 390])
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screenshots_at_three_widths(dash, screen, width):
    dash.page.set_viewport_size({"width": width, "height": 2400 if width > 400 else 4200})
    dash.open(SCREENS[screen])
    if screen in ("network", "classroom"):
        dash.wait_charts(NETWORK)
    elif screen == "lesson":  # a lesson's data set need not be a 2-D plane with a network view
        dash.wait_charts("Loss")
    dash.wait_idle()
    assert dash.exceptions().count() == 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    dash.page.screenshot(path=str(ARTIFACTS / f"playground_{screen}_{width}.png"))


@pytest.mark.parametrize("how", ["link", "picker"])
def test_a_newcomers_first_play_trains_the_recommended_setup_without_a_new_run(dash, how):
    """A link naming only the data set, or a choice in the picker, loads the set's recommended
    setup; Play pressed at once trains it: no "New run" notice (the page's first widget values
    once raced the recommended ones and rebuilt the run), and the epoch keeps rising."""
    picker = dash.page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(
        has_text="Data set")
    if how == "link":
        dash.page.goto(f"{dash.base_url}/?dataset=spiral")  # Play clicked as soon as it shows
    else:
        dash.open()
        picker.click()
        dash.page.get_by_role("option", name="Spiral").first.click()
    dash.button("Play").click()
    dash.wait_epoch_above(2)
    dash.wait_idle()
    assert "New run" not in dash.page.inner_text("body")
    expect(dash.metric("Accuracy")).to_be_attached()  # the spiral's classes, not the default set
    run_epoch = dash.epoch()
    dash.wait_epoch_above(run_epoch)  # not restarted from 0: it goes on from there
    expect(dash.exceptions()).to_have_count(0)
