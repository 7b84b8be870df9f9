"""The Search view in headless Chromium: a small search on the process pool shows its results.

Waits on conditions only (the progress text, the charts' titles, the table's rows).
"""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

# a multiselect bound to the URL carries its options as shown (format_func), not their values
SMALL_SEARCH = (
    "view=Search&max_epochs=20&search_trials=4&search_fields=learning%20rate"
    "&search_fields=optimizer"
)
SEARCH_MS = 180_000  # four trials plus the pool's start on a busy two-core machine


def test_a_search_streams_its_results_into_the_page(dash):
    dash.open(SMALL_SEARCH)
    dash.button("Start the search").click()
    expect(dash.page.get_by_text(re.compile(r"of 4 trials done"))).to_be_visible()
    expect(dash.page.get_by_text(re.compile(r"4 of 4 trials done; finished"))).to_be_visible(
        timeout=SEARCH_MS)
    dash.wait_charts("Learning rate against final val loss", "All trials")
    points = dash.chart_titled("Learning rate against final val loss").locator("path.point")
    expect(points).not_to_have_count(0)  # the trials themselves, not an empty-chart note
    table = dash.page.get_by_test_id("stDataFrame")
    expect(table).to_have_count(1)
    use = dash.page.get_by_role("button", name=re.compile(r"^Use best: trial \d"))
    expect(use).to_be_enabled()
    # "Use best" puts the trial's settings into the sidebar: the whole page reruns, not only
    # the view the button is in, so the sidebar's inputs show them
    lr = dash.page.get_by_test_id("stSidebar").get_by_label("Learning rate", exact=True)
    before = lr.input_value()
    use.click()
    expect(dash.page.get_by_text(re.compile(r"The sidebar now holds the settings of trial \d"))
           ).to_be_visible()
    dash.wait_idle()
    assert lr.input_value() != before  # a random log-uniform rate, never the default exactly
    expect(dash.exceptions()).to_have_count(0)
    expect(dash.errors()).to_have_count(0)
