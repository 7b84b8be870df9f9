"""The live feed: a playing run's panels fetch their next frame over HTTP, with no rerun.

A Streamlit fragment ticking ten times a second costs the browser far more than the charts it
updates: every script run, fragment runs included, re-renders every element of the page (their
staleness follows the run), so on the Train view each tick cost ~40 ms of the browser's main
thread before a single chart was drawn (Chromium's profiler: React 24% of it while playing).
Instead, while a run plays, each live panel's script in the page (``live.js``) asks
``GET /lossdash/feed/<token>`` for the panel's next frame, draws it, and asks again: the same
frame a fragment rerun would send (metrics, progress, one :class:`~lossdash.charts.stream.
FigureStream` message per chart), built on one of lossdash's two feed threads, and never
touching Streamlit's script runner. The page asks for the next frame as soon as one arrives
(at most one request out per panel) and draws meanwhile.

``streamlit run app.py`` serves ``app.py``'s ``st.App``, which mounts :func:`routes`. Where
nothing mounted them (``AppTest``, a bare script), :func:`register` returns None and the panels
tick as fragments, as before.

A feed belongs to one session and exists while its run plays: its token is a random 128-bit
name kept in that session's state; Pause forgets it, a request for a closed session's feed is
refused (404) and forgets it, and a training thread that ends forgets the feeds of closed
sessions, so nothing here keeps a closed session's run in memory.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import json
import queue
import secrets
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from starlette.responses import Response
from starlette.routing import Route

from lossdash.ui import guard
from lossdash.ui.turns import TURNS

PATH = "/lossdash/feed/{token}"
URL = "lossdash/feed/"  # relative to the page, as the page's own scripts are
mounted = False  # set once routes() has given the server its feed route


class SessionView:
    """A session's state read and written from a feed request: what ``st.session_state`` gives
    a script run of that session (the same keys, widget values included)."""

    def __init__(self, safe_state):
        object.__setattr__(self, "_state", safe_state)

    def get(self, key, default=None):
        try:
            return self._state[key]
        except KeyError:
            return default

    def setdefault(self, key, default):
        try:
            return self._state[key]
        except KeyError:
            self._state[key] = default
            return default

    def __getitem__(self, key):
        return self._state[key]

    def __setitem__(self, key, value):
        self._state[key] = value

    def __contains__(self, key):
        return key in self._state

    def __getattr__(self, key):
        try:
            return self._state[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key, value):
        self._state[key] = value


_local = threading.local()


def serving() -> bool:
    """Is this thread building a frame for a feed request (not running a script)?"""
    return getattr(_local, "view", None) is not None


def session():
    """The session's state: ``st.session_state`` in a script run; in a feed request, the state
    of the session the feed belongs to. Code that builds a live frame reads its settings here."""
    view = getattr(_local, "view", None)
    return view if view is not None else st.session_state


@dataclass
class Feed:
    """One live panel of one session: ``build(run, whole)`` returns the panel's next frame
    (``whole`` resends every figure whole); ``lock`` is the session's drawing lock."""

    run: weakref.ref
    build: Callable
    lock: threading.Lock
    view: SessionView
    alive: Callable[[], bool] | None = None


_feeds: dict[str, Feed] = {}
_registry_lock = threading.Lock()


WORKERS = 2  # threads that build feed frames, for every session (the GIL serializes them anyway)


class _Workers:
    """A fixed set of threads, started once, that build frames: the server's thread count does
    not grow with the number of sessions (Starlette's own pool for sync endpoints grew with
    them, and its idle threads stayed until the next request)."""

    def __init__(self, n: int):
        self._queue = queue.SimpleQueue()
        for k in range(n):
            threading.Thread(target=self._work, name=f"lossdash-feed-{k}", daemon=True).start()

    def submit(self, fn) -> concurrent.futures.Future:
        future = concurrent.futures.Future()
        self._queue.put((fn, future))
        return future

    def _work(self):
        while True:
            self._build_one()

    def _build_one(self):
        """One frame. Its function holds the run and the session's state, so it is let go when
        this returns: kept in the loop's locals, each thread's last frame held a closed
        session's whole run until the thread's next request."""
        fn, future = self._queue.get()
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(fn())
            except BaseException as err:  # handed to the request, which answers it
                future.set_exception(err)


_workers: _Workers | None = None


def routes() -> list:
    """The routes ``st.App`` mounts: the feed. Calling it tells :func:`register` they exist."""
    global mounted, _workers
    mounted = True
    if _workers is None:
        _workers = _Workers(WORKERS)
    return [Route(PATH, _serve, methods=["GET"])]


def register(key: str, run, build: Callable, lock: threading.Lock) -> str | None:
    """Serve ``build(run, whole)`` as this session's feed ``key``; returns its URL (relative to
    the page), or None when no route is mounted. Called on every draw of the panel: the newest
    ``build`` (with the newest settings) replaces the last one under the same URL."""
    if not mounted:
        return None
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    from lossdash.ui import state

    ctx = get_script_run_ctx()
    if ctx is None:
        return None
    tokens = st.session_state.setdefault("feed_tokens", {})
    token = tokens.get(key)
    if token is None:
        token = tokens[key] = secrets.token_urlsafe(16)
    with _registry_lock:
        _purge()
        _feeds[token] = Feed(weakref.ref(run), build, lock, SessionView(ctx.session_state),
                             state.session_alive())
    return URL + token


def forget(key: str) -> None:
    """Stop serving this session's feed ``key`` (its run no longer plays): a feed exists only
    while its run plays, so a session that closes later leaves nothing behind."""
    token = st.session_state.get("feed_tokens", {}).get(key)
    if token is not None:
        with _registry_lock:
            _feeds.pop(token, None)


def purge() -> None:
    """Forget the feeds of closed sessions and of runs that are gone (a training thread calls
    it as it ends: a session that closed while playing frees its run at once)."""
    with _registry_lock:
        _purge()


def _purge() -> None:
    """Forget feeds whose session has closed or whose run is gone (caller holds the lock)."""
    for token in [t for t, f in _feeds.items() if not _live(f)]:
        del _feeds[token]


def _live(feed: Feed) -> bool:
    return feed.run() is not None and (feed.alive is None or feed.alive())


def count() -> int:
    """Feeds registered (for tests and the sessions bench)."""
    with _registry_lock:
        return len(_feeds)


async def _serve(request) -> Response:
    """One frame of a feed, built on the feed's worker threads."""
    token = request.path_params["token"]
    with _registry_lock:
        feed = _feeds.get(token)
        if feed is not None and not _live(feed):
            del _feeds[token]
            feed = None
    run = feed.run() if feed is not None else None
    if run is None:
        return Response('{"gone": true}', status_code=404, media_type="application/json",
                        headers={"Cache-Control": "no-store"})
    whole = request.query_params.get("whole") == "1"
    build = functools.partial(_frame, feed, run, whole)
    body = await asyncio.wrap_future(_workers.submit(build)) if _workers else build()
    return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})


def _frame(feed: Feed, run, whole: bool) -> str:
    """The feed's next frame as JSON text; an unexpected error as a message, never a trace."""
    _local.view = feed.view
    try:
        with TURNS, feed.lock:
            body = json.dumps(feed.build(run, whole), allow_nan=False)
    except Exception as err:  # a message in the page's console and the server log
        guard.log.warning("the live feed failed", exc_info=True)
        body = json.dumps({"error": guard.message("The live charts", err)})
    finally:
        _local.view = None
    run.last_seen = time.perf_counter()  # someone is watching: the run is not orphaned
    return body
