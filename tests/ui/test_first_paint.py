"""A session's first page in a browser: the Train view's fast panel before the sidebar.

The first run reads the settings without drawing the sidebar (``sidebar.settings_now``); the
run after the page has drawn its first chart draws the sidebar, whose widgets must then hold
exactly those settings, or the run the page shows would be built again.
"""

import pytest

from lossdash.ui import feed, train_view
from tests.ui.test_app import start

LINKS = [
    {},
    {"dataset": "spiral"},  # a data set's recommended setup, written before any widget
    {"dataset": "circle", "model": "mlp", "hidden": "4"},
    {"model": "linear", "hidden": "4,4"},  # no hidden-layers widget: its URL value is not read
    {"optimizer": "sgd", "beta1": "0.5"},  # sgd has no β₁ widget
    {"schedule": "step", "step_size": "10", "gamma": "0.3"},
    {"schedule": "constant", "gamma": "0.3"},
    {"optimizer": "adamw", "lr": "0.01", "beta1": "0.8", "adamw_decay": "0.1"},
    {"dataset": "sine", "degree": "5", "features": "x1_sq"},  # 1-D: no feature toggles
    {"dataset": "xor", "features": "x1,x2,x1x2", "batch_size": "8"},
    {"dataset": "blobs"},  # three classes: cross-entropy is the default loss
    {"dataset": "moons", "loss": "hinge", "batch_size": "full", "standardize": "true"},
    {"lesson": "lr_too_large"},
    {"model": "mlp", "hidden": "abc"},  # refused by the URL check: the default layers
    {"seed": "inf", "lr": "0.1"},
]


def settings(at):
    return at.session_state["page_read"][0]


@pytest.mark.parametrize("link", LINKS, ids=lambda link: "&".join(map("=".join, link.items()))
                         or "defaults")
def test_the_first_paint_reads_the_settings_the_sidebar_then_holds(monkeypatch, link):
    monkeypatch.setattr(feed, "mounted", False)  # no browser: the sidebar is drawn at once
    drawn = settings(start(**link))
    monkeypatch.setattr(feed, "mounted", True)
    at = start(**link)
    assert not at.exception
    assert [h.value for h in at.sidebar.header] == ["Data"]  # the sidebar's first line only
    assert not at.sidebar.selectbox and not at.sidebar.slider
    early, run = settings(at), at.session_state["run"]
    assert early == drawn
    at.session_state[train_view.WHOLE] = True  # what the page's "drawn" report sets
    at.run()
    assert not at.exception
    assert settings(at) == early
    assert at.session_state["run"] is run  # the run the page showed is kept, not rebuilt
    assert at.selectbox(key="optimizer").value == early.optimizer


def test_a_first_page_showing_another_view_draws_the_sidebar_at_once(monkeypatch):
    """Only the Train view reports its first chart: another view never would."""
    monkeypatch.setattr(feed, "mounted", True)
    at = start(view="Compare")
    assert at.selectbox(key="optimizer").value == "sgd"

