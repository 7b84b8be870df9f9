"""Every entry point Streamlit calls is guarded as ``main`` is: a message, never a traceback.

``main`` wraps the script run, but Streamlit also calls code outside it: widget callbacks (they
run before the script), fragments (they rerun alone) and the training thread. Each gets a guard
that turns an unexpected error into a message naming it, and leaves the rest as it was:

- ``callback(what)``: decorates an ``on_click``/``on_change`` function; the message waits in
  session state and ``show_messages`` draws it at the top of the next run.
- ``fragment(what)``: decorates a fragment's body (or any part of the page): the message takes
  that part's place and the rest of the page still draws.
- ``thread(target)``: a training thread's target; the run pauses and keeps the message in
  ``run.problem`` for the page to show (``show_run_problem``).

Streamlit's own control flow (``st.rerun``, ``st.stop``) raises BaseException, not Exception,
so it passes through every guard.
"""

from __future__ import annotations

import functools
import logging

import streamlit as st

from lossdash.config import shorten
from lossdash.ui.text import inert

MESSAGES = "guard_messages"  # session key: callback messages waiting for the next run
DETAIL_CHARS = 300  # an error's own text is cut to this in the message
log = logging.getLogger("lossdash")


def message(what, err):
    """One bounded line naming the problem; the error's own text is escaped (it may quote a
    file name or a value the user typed)."""
    detail = inert(f"{type(err).__name__}: {shorten(str(err), DETAIL_CHARS)}")
    return (f"{what} hit an unexpected problem ({detail}). Your settings are kept: try "
            "again, press Reset, or undo the last change.")


def _guard(what, fallback):
    """Decorator: an unexpected error of the function is logged and handed to
    ``fallback(err, *args, **kwargs)`` (with the function's arguments); it returns None."""

    def wrap(fn):
        @functools.wraps(fn)
        def guarded(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception as err:  # the last line of defence
                log.warning("%s failed", what, exc_info=True)
                fallback(err, *args, **kwargs)
                return None

        return guarded

    return wrap


def callback(what):
    """Decorator for a widget callback: an error becomes a message on the next run."""

    def keep(err, *args, **kwargs):
        st.session_state.setdefault(MESSAGES, []).append(message(what, err))

    return _guard(what, keep)


def show_messages():
    """Draw (once) the messages callbacks left since the last run."""
    for text in st.session_state.pop(MESSAGES, None) or []:
        st.error(text, icon=":material/error:")


def fragment(what, on_error=None):
    """Decorator for a fragment's body or a part of the page: an error is shown in its place.

    ``on_error``, called with the body's arguments, undoes what must not go on (a playing run
    is paused, so its next frame does not fail again).
    """

    def show(err, *args, **kwargs):
        if on_error is not None:
            on_error(*args, **kwargs)
        st.error(message(what, err), icon=":material/error:")

    return _guard(what, show)


def _pause(err, run, *args):
    run.problem = message("Training", err)
    run.playing = False


def thread(target):
    """``target(run)`` for a training thread: an error pauses ``run`` (``run.playing = False``)
    and leaves the message in ``run.problem`` instead of killing the thread with a traceback.
    No Streamlit call is made here (the thread has no script context)."""
    guarded = _guard("the training thread", _pause)(target)

    @functools.wraps(target)
    def start(run, *args):
        run.problem = None  # a fresh start forgets the last failure
        return guarded(run, *args)

    return start


def show_run_problem(run):
    """The training thread's message, while the run it stopped stays paused."""
    problem = getattr(run, "problem", None)
    if problem and not run.playing:
        st.error(problem, icon=":material/error:")
