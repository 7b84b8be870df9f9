"""The server's heap: what glibc's allocator keeps once the sessions that used it are gone.

Measured in the sessions bench's server (``python -m lossdash.bench sessions``, 10 sessions
played and closed, then dropped by Streamlit): the Python objects were back where they started
(tracemalloc: a few MB; gc: no run, trainer or session state of a closed session left), yet
the resident memory stayed ~58 MB up, and another 10 sessions added ~20 MB more. It was glibc's
heap: 117 MB taken from the system, 49 MB of it in use, 69 MB free in ~50,000 pieces that
``malloc_trim`` cannot hand back (it returns whole free pages only).

The cause is glibc's *dynamic* mmap threshold. A block of 128 KiB or more (a history buffer, a
frame's JSON text, a batch of activations) starts out in its own ``mmap``, given back the moment
it is freed; but each such block freed raises the threshold to its size (up to 32 MiB), so from
then on those blocks are carved out of the heap between the small objects, and a few small
survivors pin every page around them. :func:`keep_large_blocks_apart` fixes the threshold at
glibc's starting value: the same bench's server then kept ~25 MB after 10 closed sessions, and
no more after the next 10.

:func:`freeze_startup` is about time, not memory: a full collection of the garbage collector
walks every object the server holds, and most of them are the modules it imported (Streamlit,
Plotly, pandas). Moved out of the collector's sight once, after the imports, a full
collection (:func:`release`, which then ran at a session's start) took 3-10 ms instead of
72-90 ms in ``python -m lossdash.bench dashboard``'s server; the collections Python starts by
itself while a run plays shrink the same way.
"""

from __future__ import annotations

import ctypes
import gc
import threading
import time

WATCH_SECONDS = 2.0  # how often the watcher looks for sessions that have gone
M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)
MMAP_THRESHOLD = 128 * 1024  # glibc's own starting threshold, now kept fixed


def _libc():
    """glibc, or None where there is none (macOS, Windows, musl: nothing to tune there)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def keep_large_blocks_apart() -> bool:
    """Blocks of 128 KiB and more get their own ``mmap`` for good, returned to the system as
    soon as they are freed (glibc would otherwise move them into the heap after the first one
    is freed). Called once as the server starts; True if glibc took it."""
    libc = _libc()
    return bool(libc is not None and libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def freeze_startup() -> int:
    """Leave the objects that exist now (the imported modules' functions, classes and
    constants, which live as long as the server) out of every later collection
    (``gc.freeze``). Called once as the server starts; returns how many were frozen."""
    gc.collect()  # what is garbage already is freed, not frozen
    gc.freeze()
    return gc.get_freeze_count()


def release() -> None:
    """Hand the memory of freed objects back to the system (``gc`` then glibc's
    ``malloc_trim``): a few milliseconds, called once sessions have gone
    (:func:`watch_session`). Elsewhere than glibc it only collects."""
    gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


# --------------------------------------------------------------------------- closed sessions
# When is a closed session's memory free? Streamlit keeps a disconnected session for its
# reconnect window (``server.disconnectedSessionTTL``) and drops the expired ones when a session
# disconnects (its session store is written then). So :func:`release` runs shortly after each
# disconnect: that frees what the sessions dropped at that moment left. Measured
# (``python -m lossdash.bench sessions``): with the release at a new session's start instead,
# which came before the drop, the server kept +47 MB after 10 closed sessions; a collection and
# a trim after the drop brought it to +21 MB.


class Watcher:
    """Follows browser sessions and calls ``release`` within ``seconds`` of a disconnect; its
    thread runs only while there are sessions to follow."""

    def __init__(self, seconds=WATCH_SECONDS, release=None):
        self.seconds = seconds
        self.release = release  # None: this module's release(), looked up when it is due
        self.sessions: dict[str, object] = {}  # session id -> alive() -> bool
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def watch(self, session_id, alive) -> None:
        """Follow ``session_id``; ``alive()`` tells whether it is still connected."""
        with self.lock:
            self.sessions[session_id] = alive
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="lossdash-heap",
                                               daemon=True)
                self.thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(self.seconds)
            with self.lock:
                gone = [sid for sid, alive in self.sessions.items() if not _still(alive)]
                for sid in gone:
                    del self.sessions[sid]
                last = not self.sessions
                if last:
                    self.thread = None  # a session starting now starts another thread
            if gone:
                (self.release or release)()
            if last:
                return


def _still(alive) -> bool:
    try:
        return bool(alive())
    except Exception:  # a runtime shutting down: nothing left to watch
        return False


SESSIONS = Watcher()  # the server's


def watch_session(session_id, alive) -> None:
    """Follow the browser session ``session_id`` (``alive()``: is it still connected? as
    ``state.session_alive`` gives): :func:`release` runs within ``WATCH_SECONDS`` of its
    disconnect."""
    SESSIONS.watch(session_id, alive)
