"""Training in a background thread while the page draws.

Drawing and training take turns on one lock: the thread trains in short chunks
(``CHUNK_SECONDS``) and the live fragment holds the lock while it reads the trainer and draws a
frame. So training never waits for the browser, and the browser paces the redraws (a fragment
timer only fires again once the page has taken the last frame): a slow browser sees fewer frames,
never a backlog, and Pause shows at once.

Many sessions' runs take turns with each other and with the live feed's frames
(:data:`lossdash.ui.turns.TURNS`): two chunks of training or frames at a time.

No Streamlit call happens on this thread. A run pauses itself when its browser session ends
(``run.session_alive``, asked every chunk) or, where that cannot be asked, when no frame has been
drawn for ``ORPHAN_SECONDS``; so no thread outlives its viewer for long.
"""

from __future__ import annotations

import threading
import time

from lossdash.ui import feed, guard
from lossdash.ui.turns import TURNS

CHUNK_SECONDS = 0.02  # the longest the draw waits for the lock
ORPHAN_SECONDS = 10.0  # no frame drawn for this long: nobody is watching, pause
RATE_WINDOW_SECONDS = 1.0  # steps/s is measured over windows this long
FIRST_RATE_SECONDS = 0.25  # but first over a shorter one: the page shows "–" until then


def start(run, session_alive=None):
    """Play ``run`` on its own thread (once: a second call while it runs does nothing).

    ``session_alive``, a function returning False once the viewer's session has closed, lets
    the run keep training while the tab shows another view.
    """
    run.playing = True
    run.steps_per_s = 0.0  # not measured yet: a rate from before the pause is not this one's
    if session_alive is not None:
        run.session_alive = session_alive
    run.last_seen = time.perf_counter()
    if run.thread is not None and run.thread.is_alive():
        return
    run.thread = threading.Thread(target=guard.thread(_loop), args=(run,), name="lossdash-train",
                                  daemon=True)
    run.thread.start()


def stop(run):
    """Pause ``run`` and wait for its thread to let go of the trainer."""
    run.playing = False
    thread = run.thread
    if thread is not None and thread is not threading.current_thread():
        thread.join(timeout=2.0)
    run.thread = None


def _loop(run):
    trainer = run.trainer
    window_start, window_steps = time.perf_counter(), 0
    credit, last = 0.0, time.perf_counter()
    while run.playing and not trainer.done:
        now = time.perf_counter()
        alive = run.session_alive
        if (not alive() if alive is not None else now - run.last_seen > ORPHAN_SECONDS):
            run.playing = False
            break
        limit = run.speed_limit
        with TURNS, run.lock:
            if not run.playing:
                break
            if limit is None:
                taken = trainer.run_for(CHUNK_SECONDS)
            else:
                credit = min(credit + limit * (now - last), max(limit, 1.0))
                taken = trainer.run_steps(int(credit))
                credit -= taken
        last = now
        window_steps += taken
        if now - window_start >= (RATE_WINDOW_SECONDS if run.steps_per_s else FIRST_RATE_SECONDS):
            run.steps_per_s = window_steps / (now - window_start)
            window_start, window_steps = now, 0
        if limit is not None:
            time.sleep(min(CHUNK_SECONDS, 1.0 / max(limit, 1)))
        else:
            time.sleep(0)  # let a waiting draw take the lock
    if trainer.done:
        run.playing = False
    feed.purge()  # a session that closed while playing leaves no feed holding its run
