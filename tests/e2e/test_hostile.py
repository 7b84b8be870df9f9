"""Hostile user text in a real browser: file names, column names, class labels and URL values
that hold Markdown links, images and HTML are shown as text. The page gets no link or image
from them, no dialog opens, and the browser asks no other host for anything.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import quote, urlsplit

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # conftest's browser fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

HOST = "example.com"  # every hostile link and image points here; no request may go there
LINK = f"[Click to fix](http://{HOST}/fix)"
IMAGE = f"![x](http://{HOST}/x.png)"
SCRIPT = "<script>alert(1)</script>"
ONERROR = "<img src=x onerror=alert(2)>"
ANCHOR = f'<a href="http://{HOST}/a">x2</a>'
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


class Watch:
    """What the page did that it must not: dialogs opened, requests to other hosts."""

    def __init__(self, page):
        self.dialogs, self.foreign = [], []
        page.on("dialog", self._dialog)
        page.on("request", self._request)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _request(self, request):
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS:
            self.foreign.append(request.url)


def links_and_images_to(page, host: str) -> list[str]:
    """Every link (HTML or SVG) and image on the page that points at ``host``."""
    return page.evaluate(
        """host => [...document.querySelectorAll("a, img, image, [href], [src]")]
            .map(el => [el.getAttribute("href"), el.getAttribute("xlink:href"),
                        el.getAttribute("src")].filter(Boolean).join(" "))
            .filter(target => target.includes(host))""",
        host,
    )


def shown(locator) -> str:
    """The text a person reads: lossdash puts invisible word joiners (U+2060) into user text
    to break web addresses and icon codes (lossdash.ui.text)."""
    return locator.inner_text().replace("\u2060", "")


def upload_csv(page, name: str, content: bytes) -> None:
    box = page.get_by_test_id("stFileUploader").filter(has_text="CSV file")
    box.locator('input[type="file"]').set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content}])


def hostile_table(n: int = 40) -> bytes:
    """Two features, a target and two class labels, each named with a hostile text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([ONERROR, ANCHOR, LINK])
    writer.writerows([i / n, i * 7 % n / n, SCRIPT if i % 2 else IMAGE] for i in range(n))
    return out.getvalue().encode()


def assert_inert(dash, watch) -> None:
    dash.wait_idle()
    assert links_and_images_to(dash.page, HOST) == []
    assert dash.page.locator("img[onerror]").count() == 0
    assert watch.dialogs == []
    assert watch.foreign == []
    expect(dash.exceptions()).to_have_count(0)


def test_a_hostile_file_name_in_an_error_is_plain_text(dash):
    watch = Watch(dash.page)
    dash.open("dataset=csv")
    upload_csv(dash.page, f"{LINK} {IMAGE} {ONERROR}.csv", b"x1,x2,label\n")
    expect(dash.errors()).to_contain_text("Click to fix")
    assert f"{LINK} {IMAGE} {ONERROR}.csv" in shown(dash.errors())
    assert_inert(dash, watch)


def test_hostile_column_names_and_labels_are_plain_text_in_captions_and_charts(dash):
    watch = Watch(dash.page)
    dash.open("dataset=csv")
    upload_csv(dash.page, "table.csv", hostile_table())
    dash.wait_charts("Decision boundary")
    preview = dash.page.get_by_test_id("stExpander").filter(has_text="Data: table.csv")
    assert f"target '{LINK}'" in shown(preview)
    assert f"Features: {ONERROR}, {ANCHOR}" in shown(preview)
    boundary = dash.chart_titled("Decision boundary")
    expect(boundary.locator(".ytitle")).to_have_text(ANCHOR)
    legend = dash.page.locator('[data-chart="fast/model"] .ld-legend-name')  # the HTML legend
    expect(legend.filter(has_text="(train)")).to_have_count(2)
    assert {f"{IMAGE} (train)", f"{SCRIPT} (train)"} <= set(legend.all_text_contents())
    assert_inert(dash, watch)


def test_hostile_url_values_are_plain_text_in_the_link_notice(dash):
    watch = Watch(dash.page)
    dash.open(f"lr={quote(IMAGE)}&view={quote(ONERROR)}&{quote(LINK)}=1")
    notice = dash.page.get_by_test_id("stAlertContentWarning")
    expect(notice).to_contain_text("could not be used")
    assert f"lr='{IMAGE}'" in shown(notice)
    assert f"view='{ONERROR}'" in shown(notice)
    assert_inert(dash, watch)
