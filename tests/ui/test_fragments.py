"""A fragment run that carries a click made outside the fragment reruns the whole page.

Streamlit's page batches a click on Play (outside every fragment) with a live panel's own
trigger into one rerun of the panel's fragment; ``fragments.changed_outside`` finds such a
change in what the page sent. These tests build Streamlit's real session state (the parts the
check reads), so they fail if a Streamlit upgrade moves them.
"""

from __future__ import annotations

import contextvars
from types import SimpleNamespace

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.runtime.state.common import WidgetMetadata
from streamlit.runtime.state.session_state import SessionState

from lossdash.ui import fragments

PLAY = "$$ID-play-button"  # outside every fragment
LIVE = "$$ID-live-fast__events"  # the fast panel's component, in fragment "fast"
SPEED = "$$ID-speed-select"  # a value widget outside every fragment


def _state():
    state = SessionState()
    for wid, kind, fragment in ((PLAY, "trigger_value", None), (LIVE, "trigger_value", "fast"),
                                (SPEED, "string_value", None)):
        state._set_widget_metadata(WidgetMetadata(
            id=wid, deserializer=lambda v: v, serializer=lambda v: v, value_type=kind,
            fragment_id=fragment))
    state._old_state.update({PLAY: False, LIVE: False, SPEED: "100 steps/s"})
    return state


def _sent(state, triggers=(), speed="100 steps/s"):
    """What the page sends with a rerun: every widget, with the given triggers set."""
    proto = WidgetStates()
    for wid in (PLAY, LIVE):
        proto.widgets.add(id=wid, trigger_value=wid in triggers)
    proto.widgets.add(id=SPEED, string_value=speed)
    state.set_widgets_from_proto(proto)


@pytest.fixture
def run_of(monkeypatch):
    """Make the check see a script run of the given fragments (none: the whole page)."""

    def set_run(state, *fragment_ids):
        ctx = SimpleNamespace(fragment_ids_this_run=list(fragment_ids),
                              session_state=SimpleNamespace(_state=state))
        monkeypatch.setattr(fragments, "get_script_run_ctx", lambda: ctx)

    return set_run


def test_a_click_outside_the_fragment_it_was_sent_with_is_found(run_of):
    state = _state()
    _sent(state, triggers=(PLAY, LIVE))  # Play batched with the panel's own trigger
    run_of(state, "fast")
    assert fragments.changed_outside()


def test_a_setting_changed_outside_is_found(run_of):
    state = _state()
    _sent(state, triggers=(LIVE,), speed="max")
    run_of(state, "fast")
    assert fragments.changed_outside()


def test_the_fragments_own_trigger_and_a_plain_tick_are_not(run_of):
    state = _state()
    _sent(state, triggers=(LIVE,))  # the panel's own trigger
    run_of(state, "fast")
    assert not fragments.changed_outside()
    state = _state()
    _sent(state)  # a timer's tick: the page sends its widgets unchanged
    run_of(state, "fast")
    assert not fragments.changed_outside()


def test_a_run_of_the_whole_page_needs_no_check(run_of):
    state = _state()
    _sent(state, triggers=(PLAY,))
    run_of(state)  # no fragment: the whole page reruns anyway
    assert not fragments.changed_outside()


def test_outside_a_script_run_there_is_nothing_to_check(monkeypatch):
    monkeypatch.setattr(fragments, "get_script_run_ctx", lambda: None)
    assert not fragments.changed_outside()


def test_a_fragment_reruns_alone_only_when_it_is_the_one_rerun(monkeypatch):
    """The Train view reruns as a fragment with the live panels inside it: a panel drawn in
    that run is drawn as part of a bigger run (its whole frame, not a heartbeat), not as its own
    tick."""
    contextvars.copy_context().run(_check_rerun_alone, monkeypatch)  # a script thread's state


def _check_rerun_alone(monkeypatch):
    from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState

    def run_of(*fragment_ids):
        ctx = SimpleNamespace(fragment_ids_this_run=list(fragment_ids))
        monkeypatch.setattr(fragments, "get_script_run_ctx", lambda: ctx)

    ThreadState.initialize()
    run_of()  # a run of the page
    with ThreadState.scoped(fragment_id="fast"):
        assert not fragments.rerun_alone()
    run_of("train")  # the view reruns: the view itself, then the panel inside it
    with ThreadState.scoped(fragment_id="train"):
        assert fragments.rerun_alone()
    with ThreadState.scoped(fragment_id="fast"):
        assert not fragments.rerun_alone()
    run_of("fast")  # the panel's own tick
    with ThreadState.scoped(fragment_id="fast"):
        assert fragments.rerun_alone()


def test_a_ticking_fragment_is_another_fragment_than_the_same_body_still(monkeypatch):
    """Streamlit names a fragment after its function: the ticking one gets its own name, so
    a rerun of the view that draws the panel still drops the ticking one and its timer."""
    made = []
    monkeypatch.setattr(fragments.st, "fragment",
                        lambda fn, run_every=None, key=None: made.append(
                            (fn.__qualname__, run_every, key)) or fn)

    def panel():
        return "drawn"

    assert fragments.fragment(panel, run_every=0.5)() == "drawn"
    fragments.fragment(panel)
    fragments.fragment(panel, key="train")
    ticking, still, keyed = made
    assert ticking[0] != still[0] and ticking[1] == 0.5 and still[1] is None
    assert keyed == (still[0], None, "train")
    assert panel.__qualname__ == still[0]  # the body itself keeps its name
