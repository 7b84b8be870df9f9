"""Fragments that never swallow a click meant for the whole page.

Streamlit's page sends widget changes in batches (one per turn of its event loop), and a batch
goes out with the fragment id of its first change. So a click on Play (outside every fragment)
that follows a live panel's own trigger in the same turn (its feed has ended, a neuron was
clicked) reaches the server as a rerun of *that fragment*: Play's callback runs, but only the
fragment is redrawn. The buttons, the sidebar and the run's rebuild wait for a rerun that never
comes: the run plays (or has already finished) behind a page still showing epoch 0 and an
enabled Play. Opening a page and pressing Play at once lost the click 4 times in ~220 tries in
headless Chromium (and once in each of the last full test runs).

:func:`fragment` is ``st.fragment`` with one check first: a fragment run that carries a change
to a widget outside the fragment (a click, a new setting) reruns the whole page instead, as
that widget's own message would have. The callbacks have already run by then, once.
"""

from __future__ import annotations

import functools

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx


def changed_outside() -> bool:
    """Does this fragment run carry a change to a widget outside the fragments it reruns?

    False in a run of the whole page, and if Streamlit's session state no longer has the
    parts read here (the check then does nothing, as before it existed).
    """
    ctx = get_script_run_ctx()
    if ctx is None or not ctx.fragment_ids_this_run:
        return False
    running = set(ctx.fragment_ids_this_run)
    try:
        state = ctx.session_state._state  # SafeSessionState -> SessionState
        widgets = state._new_widget_state  # what the page sent with this run
        for wid in list(widgets):
            meta = widgets.widget_metadata.get(wid)
            if meta is not None and meta.fragment_id not in running and state._widget_changed(wid):
                return True
    except (AttributeError, KeyError, TypeError):  # another Streamlit's internals
        return False
    return False


def fragment_run() -> bool:
    """Is this run a fragment's (a click in the Train view, a panel's tick), not the page's?"""
    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def rerun_alone() -> bool:
    """Is the code running in a fragment rerun by itself (its timer, a click in it), rather
    than as part of a run of the page or of an enclosing fragment?

    Such a run redraws only what the page already holds; a run of the page, or of the
    fragment around this one, redraws it whole. Where Streamlit's thread state no longer says
    which fragment is running, any fragment run counts.
    """
    ctx = get_script_run_ctx()
    if ctx is None or not ctx.fragment_ids_this_run:
        return False
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState

        return ThreadState.get().fragment_id in ctx.fragment_ids_this_run
    except (ImportError, AttributeError):  # another Streamlit's internals
        return True


def fragment(body, run_every=None, key=None):
    """``st.fragment(body, run_every=..., key=...)``, rerunning the whole page instead when
    the run carries a change made outside the fragment (see the module's docstring).

    A ticking fragment (``run_every``) is another fragment to Streamlit than the same body
    still: the page keeps a fragment's timer until a run of the page, or of an enclosing
    fragment that no longer draws it, drops the fragment. So when an enclosing fragment
    (the Train view) redraws a panel that has stopped ticking (Pause), its timer stops too.
    """

    @functools.wraps(body)
    def checked(*args, **kwargs):
        if changed_outside():
            st.rerun(scope="app")
        return body(*args, **kwargs)

    if run_every:
        checked.__qualname__ = f"{checked.__qualname__}.ticking"
    return st.fragment(checked, run_every=run_every, key=key)
