"""Advice that acts, in a real browser: a diverged run, its retry button, and training again."""

from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # conftest's browser fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e


def test_retry_button_after_a_divergence_trains_the_run(dash):
    dash.open("lr=50")
    dash.button("Play").click()
    retry = dash.page.get_by_role("button", name=re.compile(r"^Reset and retry at lr = "))
    expect(retry).to_be_visible()  # the run diverged within a few steps
    expect(dash.errors().filter(has_text="above the stability line")).to_have_count(1)
    diverged_at = dash.epoch()

    retry.click()

    expect(dash.page.get_by_text("Back to the initial weights")).to_be_visible()
    assert dash.wait_epoch_above(diverged_at + 5) > diverged_at + 5
    expect(dash.errors().filter(has_text="diverged")).to_have_count(0)
    expect(dash.exceptions()).to_have_count(0)
