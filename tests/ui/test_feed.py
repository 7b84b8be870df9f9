"""The live feed: a playing run's panels fetch their frames over HTTP, one session's only."""

import asyncio
import concurrent.futures
import gc
import json
import threading
import weakref
from types import SimpleNamespace

import pytest
from starlette.routing import Route

from lossdash.charts.stream import Receiver
from lossdash.ui import feed, turns
from tests.ui.test_app import button, start


class Run:
    """Stands in for a LiveRun: what the route touches (weakly held, ``last_seen``)."""

    last_seen = 0.0


def request(token, whole=False):
    return SimpleNamespace(path_params={"token": token},
                           query_params={"whole": "1"} if whole else {})


def serve(token, whole=False):
    # on a thread of its own: a browser test before this one leaves an event loop running here
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        response = pool.submit(asyncio.run, feed._serve(request(token, whole))).result()
    return response.status_code, json.loads(response.body)


@pytest.fixture(autouse=True)
def mounted_as_before(monkeypatch):
    """``feed.routes()`` marks the route mounted for the process: undone after each test, so
    the app tests that follow see no live feed (and draw the Train view whole at once)."""
    monkeypatch.setattr(feed, "mounted", feed.mounted)


@pytest.fixture
def feeds(monkeypatch):
    """An empty registry for the test."""
    monkeypatch.setattr(feed, "_feeds", {})
    return feed._feeds


def add(feeds, run, build, view=None, alive=None):
    feeds["tok"] = feed.Feed(weakref.ref(run), build, threading.Lock(),
                             feed.SessionView(view if view is not None else {}), alive)


def test_routes_mount_the_feed_and_say_so(monkeypatch):
    monkeypatch.setattr(feed, "mounted", False)
    (route,) = feed.routes()
    assert isinstance(route, Route) and route.path == "/lossdash/feed/{token}"
    assert feed.mounted


def test_frames_are_built_on_the_feeds_own_threads(feeds):
    """A fixed set of threads, whatever the number of sessions: none is made per request."""
    feed.routes()
    run, where = Run(), []
    add(feeds, run, lambda r, w: where.append(threading.current_thread().name) or {})
    before = threading.active_count()
    for _ in range(5):
        assert serve("tok")[0] == 200
    assert threading.active_count() == before
    assert all(name.startswith("lossdash-feed-") for name in where)


def test_a_frame_waits_for_its_turn_with_the_training_chunks(feeds, monkeypatch):
    """Frames and training chunks share the server's turns (lossdash.ui.turns)."""
    one = turns.Turns(slots=1)
    monkeypatch.setattr(feed, "TURNS", one)
    run, built = Run(), threading.Event()
    add(feeds, run, lambda r, w: built.set() or {})
    one.__enter__()  # a training chunk holds the only turn
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        answer = pool.submit(serve, "tok")
        assert not built.wait(0.3)  # the frame waits, not built alongside the chunk
        one.__exit__(None, None, None)
        assert answer.result(timeout=10)[0] == 200 and built.is_set()


def test_an_unknown_token_is_refused(feeds):
    assert serve("nobody")[0] == 404


def test_a_frame_is_built_with_the_sessions_settings_and_marks_the_run_watched(feeds):
    run, seen = Run(), {}

    def build(r, whole):
        seen["run"], seen["whole"] = r, whole
        seen["smoothing"] = feed.session().get("smoothing")
        return {"charts": [], "metrics": [{"label": "Epoch", "value": "3"}]}

    add(feeds, run, build, view={"smoothing": 0.3})
    status, body = serve("tok", whole=True)
    assert status == 200 and body["metrics"][0]["value"] == "3"
    assert seen == {"run": run, "whole": True, "smoothing": 0.3}
    assert run.last_seen > 0
    assert getattr(feed._local, "view", None) is None  # the thread is clean after the request


def test_a_closed_session_or_a_dropped_run_is_refused_and_forgotten(feeds):
    run = Run()
    add(feeds, run, lambda r, w: {}, alive=lambda: False)
    assert serve("tok")[0] == 404 and "tok" not in feeds
    add(feeds, run, lambda r, w: {})
    del run
    gc.collect()
    assert serve("tok")[0] == 404 and "tok" not in feeds


def test_a_failing_frame_is_a_message_not_a_traceback(feeds):
    run = Run()

    def build(r, whole):
        raise ValueError("boom <b>")

    add(feeds, run, build)
    status, body = serve("tok")
    assert status == 200 and "boom" in body["error"] and "Traceback" not in body["error"]


def test_without_the_route_a_panel_gets_no_feed(monkeypatch):
    monkeypatch.setattr(feed, "mounted", False)
    assert feed.register("fast", Run(), lambda r, w: {}, threading.Lock()) is None


def test_a_playing_run_serves_its_panels_through_the_feed(monkeypatch):
    """The real app with the route mounted: Play gives the fast panel a feed, and the feed's
    frames carry the same charts, replayable on top of what the page was sent."""
    monkeypatch.setattr(feed, "mounted", True)
    monkeypatch.setattr(feed, "_feeds", {})
    at = start(dataset="moons", speed="5 steps/s")
    button(at, "Play").click().run()
    try:
        from tests.helpers import live_panels

        panel = live_panels(at)["live-fast"]
        url = panel["feed"]["url"]
        assert url.startswith(feed.URL) and panel["feed"]["every_ms"] == 80
        receivers = {c["id"]: Receiver() for c in panel["charts"]}
        for chart in panel["charts"]:
            assert receivers[chart["id"]].apply(chart["msg"])
        status, frame = serve(url.removeprefix(feed.URL))
        assert status == 200
        assert {c["id"] for c in frame["charts"]} == {"fast/loss", "fast/model"}
        assert [m["label"] for m in frame["metrics"]][0] == "Epoch"
        for chart in frame["charts"]:
            assert receivers[chart["id"]].apply(chart["msg"])  # builds on what the page has
        title = receivers["fast/loss"].figure["layout"]["title"]["text"]
        assert title == "Loss"
        other = start(dataset="moons")  # another session: its own tokens (a paused run is fed
        # only until its landscape slice is done: it may have a slow feed already)
        theirs = other.session_state["feed_tokens"] if "feed_tokens" in other.session_state \
            else {}
        assert "fast" not in theirs
        assert not set(theirs.values()) & set(at.session_state["feed_tokens"].values())
    finally:
        button(at, "Pause").click().run()
    assert live_panels(at)["live-fast"]["feed"] is None  # paused: the page stops asking
    assert serve(url.removeprefix(feed.URL))[0] == 404  # and the server forgets the feed
    from lossdash.ui import train_view

    # what is left: paused runs' slow panels waiting for their landscape slice, if any
    assert all(f.build is train_view.slow_frame for f in feed._feeds.values())


def test_purge_forgets_closed_sessions_only(feeds):
    run = Run()
    add(feeds, run, lambda r, w: {}, alive=lambda: False)
    feeds["open"] = feed.Feed(weakref.ref(run), lambda r, w: {}, threading.Lock(),
                              feed.SessionView({}), lambda: True)
    feed.purge()
    assert set(feeds) == {"open"}


def test_a_frame_on_a_feed_thread_knows_it_is_serving(feeds):
    """``feed.serving()`` is true only while a feed request builds a frame: the network view
    then leaves Streamlit's session state alone (writing it from a feed thread warned
    "missing ScriptRunContext" at every frame)."""
    run, seen = Run(), []
    add(feeds, run, lambda r, w: seen.append(feed.serving()) or {})
    assert serve("tok")[0] == 200
    assert seen == [True] and not feed.serving()


def test_a_feed_thread_lets_go_of_the_run_it_served(feeds):
    """Once its frame is answered and its feed forgotten, a run is freed: no feed thread keeps
    it (nor the session's state) until that thread's next request."""
    feed.routes()
    run = Run()
    gone = weakref.ref(run)
    add(feeds, run, lambda r, w: {"charts": []})
    assert serve("tok")[0] == 200
    feeds.clear()
    del run
    gc.collect()
    assert gone() is None
