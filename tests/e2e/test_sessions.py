"""Many users at once: five browser sessions of one real ``streamlit run app.py``, all playing.

Each session opens its own link (its own learning rate, seed and speed) and presses Play. While
all five play, every page must show its own settings and an epoch its own speed allows (a
session that shared another's run would show the other's rate or race past its speed limit);
no page shows an error; and once the browsers close, the server's thread count
(``/proc/<pid>/task``) is back where it was within 15 s: no training thread outlives its viewer
(the live feed builds frames on a fixed pair of threads; Starlette's own pool, which grows while
pages load, stops its idle threads on its next request, which the test makes after 11 s).
The server is this module's own, so its threads and its log belong to this test alone.
"""

from __future__ import annotations

import math
import time
import urllib.request
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # conftest's browser fixture skips (or fails in CI) with the reason
    expect = None

from lossdash.ui import live
from tests.e2e.conftest import Dashboard, streamlit_server

pytestmark = pytest.mark.e2e

SESSIONS = [  # (learning rate, seed, speed label, steps/s of that label)
    ("0.001", 1, "5 steps/s", 5),
    ("0.002", 2, "20 steps/s", 20),
    ("0.003", 3, "100 steps/s", 100),
    ("0.004", 4, "500 steps/s", 500),
    ("0.005", 5, "max", math.inf),
]
# Mini-batches of 8 of the noisy plane's 80 training rows: 10 steps per epoch, and a loss that
# keeps moving, so no run stops by itself while the test watches.
# Every setting the test relies on is named: a link naming only the data set gets its
# recommended setup (other points, model, batch size).
SETUP = ("dataset=plane&noise=0.5&n_samples=100&val_fraction=0.2&model=linear&batch_size=8"
         "&max_epochs=100000&show_landscape=false")
STEPS_PER_EPOCH = 10
SMALL_VIEWPORT = {"width": 1024, "height": 700}  # five pages drawing at once: less to paint
SESSION_TIMEOUT_MS = 120_000  # five pages loading at once on a busy two-core machine
THREADS_BACK_S = 15.0  # the bound on how long training threads may outlive the pages
POOL_IDLE_S = 11.0  # AnyIO (Starlette's thread pool) stops a thread idle 10 s, on its next call


def link(lr: str, seed: int, speed: str) -> str:
    return f"{SETUP}&lr={lr}&seed={seed}&speed={speed.replace(' ', '+').replace('/', '%2F')}"


def threads(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/task").iterdir()))


def wait_threads_at_most(pid: int, limit: int, seconds: float) -> int:
    """Poll the server's thread count until it is at most ``limit``; returns the last count."""
    deadline = time.monotonic() + seconds
    count = threads(pid)
    while count > limit and time.monotonic() < deadline:
        time.sleep(0.25)
        count = threads(pid)
    return count


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    if not Path("/proc/self/task").exists():
        pytest.skip("thread counts are read from /proc (Linux only)")
    with streamlit_server(tmp_path_factory.mktemp("sessions") / "server.log") as server:
        yield server


def open_sessions(browser, url: str, queries: list[str]) -> list[Dashboard]:
    """One browser context (one Streamlit session) per query, loaded side by side."""
    expect.set_options(timeout=SESSION_TIMEOUT_MS)
    dashes = []
    for query in queries:
        context = browser.new_context(viewport=SMALL_VIEWPORT)
        context.set_default_timeout(SESSION_TIMEOUT_MS)
        dash = Dashboard(context.new_page(), url)
        dash.page.goto(f"{url}/?{query}", wait_until="commit")
        dashes.append(dash)
    for dash in dashes:
        dash.wait_idle()
    return dashes


def settled_threads(pid: int, quiet_s: float = 2.0, seconds: float = 30.0) -> int:
    """The server's thread count once it has not changed for ``quiet_s`` seconds."""
    deadline = time.monotonic() + seconds
    count, since = threads(pid), time.monotonic()
    while time.monotonic() - since < quiet_s and time.monotonic() < deadline:
        time.sleep(0.1)
        now = threads(pid)
        if now != count:
            count, since = now, time.monotonic()
    return count


def play_all(dashes):
    for dash in dashes:
        dash.button("Play").click()
    for dash in dashes:
        dash.wait_epoch_above(0)


@pytest.mark.timeout(600)  # ~40 s on a quiet machine; five pages on a loaded one take minutes
def test_five_sessions_play_side_by_side_and_leave_no_thread(browser, own_server):
    pid = own_server.proc.pid
    # A warm-up as busy as the test (five pages loading and playing) grows the server's own
    # pools to their working size (Starlette's threads for serving files stay until its next
    # request); then the count settles. lossdash's own threads are one per playing run.
    warm = open_sessions(browser, own_server.url, [link(*s[:3]) for s in SESSIONS])
    play_all(warm)
    for dash in warm:
        dash.page.context.close()
    before = settled_threads(pid)

    dashes = open_sessions(browser, own_server.url, [link(*s[:3]) for s in SESSIONS])
    started = time.monotonic()
    play_all(dashes)
    dashes[-1].wait_epoch_above(50)  # the fastest has trained a while; so have the others
    during = threads(pid)
    shown = []
    for dash, (lr, _, _, speed) in zip(dashes, SESSIONS, strict=True):
        page = dash.page
        assert page.get_by_label("Learning rate", exact=True).input_value() == lr
        epoch = dash.epoch()
        elapsed = time.monotonic() - started  # the page showed that epoch by now
        # its own speed (plus a second of slack), never another's (5x and more apart)
        assert 0 < epoch * STEPS_PER_EPOCH <= speed * (elapsed + 1) + STEPS_PER_EPOCH
        assert dash.button("Pause").is_enabled()  # still playing
        assert dash.exceptions().count() == 0 and dash.errors().count() == 0
        shown.append(epoch)
    assert shown[0] < shown[-1]

    for dash in dashes:
        dash.page.context.close()
    closed = time.monotonic()
    # Starlette's pool keeps a thread idle for 10 s and stops it on its next request: ask for
    # a file then, so what is left is what lossdash left (its runs stop with their pages).
    time.sleep(POOL_IDLE_S)
    urllib.request.urlopen(f"{own_server.url}/{live.assets()['js_url']}", timeout=10).read()
    after = wait_threads_at_most(pid, before, THREADS_BACK_S - (time.monotonic() - closed))
    # the five training threads were there, and went: the busy warm-up left Starlette's pool
    # large in "before" and it may shrink meanwhile, so "during" is compared with "after"
    assert during - after >= len(SESSIONS), f"threads: {during} during, {after} after"
    assert after <= before, f"threads: {before} before, {during} during, {after} after"
    assert "Traceback" not in own_server.log.read_text(errors="replace")
