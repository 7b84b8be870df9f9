"""lossdash.ui.guard: callbacks, fragments and threads fail with a message, never a traceback."""

from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from lossdash.ui import guard


def _callback_app():
    import streamlit as st

    from lossdash.ui import guard

    @guard.callback("Counting")
    def count():
        st.session_state.count = st.session_state.get("count", 0) + 1
        raise ValueError("no [link](http://example.com)")

    guard.show_messages()
    st.button("Count", on_click=count)


def _fragment_app():
    import streamlit as st

    from lossdash.ui import guard

    @guard.fragment("The panel", on_error=lambda: st.session_state.update(stopped=True))
    def panel():
        raise KeyError("gone")

    st.fragment(panel)()
    st.write("after the panel")


def test_a_failing_callback_shows_its_message_on_the_next_run_only():
    at = AppTest.from_function(_callback_app).run()
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["count"] == 1  # what it did before failing stays
    assert at.error[0].value.startswith("Counting hit an unexpected problem (ValueError")
    assert r"\[link\]\(http:" in at.error[0].value
    at.run()
    assert not at.error


def test_a_failing_fragment_shows_its_message_in_place_and_the_page_goes_on():
    at = AppTest.from_function(_fragment_app).run()
    assert not at.exception
    assert "The panel hit an unexpected problem (KeyError" in at.error[0].value
    assert at.session_state["stopped"] is True
    assert at.markdown[-1].value == "after the panel"


def test_a_failing_thread_pauses_its_run_and_keeps_the_message():
    def train(run):
        raise FloatingPointError("overflow")

    run = SimpleNamespace(playing=True, problem=None)
    guard.thread(train)(run)
    assert run.playing is False
    assert "Training hit an unexpected problem (FloatingPointError:" in run.problem


def test_streamlit_control_flow_passes_through_the_guard():
    class Rerun(BaseException):  # st.rerun and st.stop raise BaseException subclasses
        pass

    def body(run):
        raise Rerun

    with pytest.raises(Rerun):
        guard.thread(body)(SimpleNamespace(playing=True, problem=None))
