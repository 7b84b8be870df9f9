"""What a live panel sends: whole figures in a run of the page, only what changed in a
fragment's run (a click in the Train view, a panel's tick)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go
import pytest

from lossdash.charts.stream import Receiver
from lossdash.ui import feed, fragments, live


@pytest.fixture
def page(monkeypatch):
    """A session's state as a plain dict, and ``page(*fragment_ids)`` to make the next frames
    part of a run of those fragments (none: a run of the whole page)."""
    monkeypatch.setattr(feed._local, "view", feed.SessionView({}), raising=False)

    def run_of(*fragment_ids):
        ctx = SimpleNamespace(fragment_ids_this_run=list(fragment_ids))
        monkeypatch.setattr(fragments, "get_script_run_ctx", lambda: ctx)

    run_of()
    return run_of


def curve(n):
    x = np.arange(n, dtype=float)
    return go.Figure(go.Scatter(x=x, y=1.0 / (1.0 + x), name="train loss"))


def message(n):
    return live.frame([live.Chart("fast/loss", curve(n))])["charts"][0]["msg"]


def test_a_run_of_the_page_sends_every_figure_whole(page):
    """Such a run may be cut short by the next one: the browser may never see its message."""
    assert message(3)["full"]
    assert message(4)["full"]


def test_a_click_in_the_view_sends_only_the_new_points_on_top_of_the_pages_figure(page):
    """Pause or Step reruns the Train view, a fragment: the loss curve's new points, not the
    figure (the four panels' whole figures were ~200 kB a click, the browser's core decoded
    and redrew them all before the metrics said the run had stopped)."""
    browser = Receiver()
    assert browser.apply(message(3))  # the page's run: whole
    page("train")  # a click reruns the view
    patch = message(5)
    assert not patch.get("full")
    (trace,) = patch["traces"]
    assert trace["from"] == 3 and trace["x"]["shape"] == [2]  # the two new points alone
    assert browser.apply(patch)
    np.testing.assert_array_equal(browser.figure["data"][0]["x"], [0, 1, 2, 3, 4])
    np.testing.assert_allclose(browser.figure["data"][0]["y"], 1.0 / (1.0 + np.arange(5)),
                               rtol=1e-6)


def test_a_patch_the_browser_cannot_place_asks_for_the_whole_figure(page):
    """A browser that holds nothing of the stream (a chart it never saw) refuses the patch
    (live.js then asks for a resend), and the next message is whole."""
    message(3)
    page("train")
    assert not Receiver().apply(message(4))
    live._resync(["fast/loss"])()
    assert message(5)["full"]
