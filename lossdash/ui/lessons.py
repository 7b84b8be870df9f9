"""The Lessons view (a list of lessons, each started with one click or opened by its link)
and the card that keeps the active lesson's text above the charts."""

from __future__ import annotations

import streamlit as st

from lossdash import lessons


def start(key):
    """Write the lesson's settings into the widgets' state and open its view."""
    ss = st.session_state
    for name, value in lessons.BY_KEY[key].changes().items():
        ss[name] = value
    ss["lesson"] = key
    st.query_params["lesson"] = key
    st.rerun()  # the whole page: the sidebar shows the lesson's settings, the run is rebuilt


def close():
    st.session_state["lesson"] = None
    st.query_params.pop("lesson", None)


def active():
    return lessons.BY_KEY.get(st.session_state.get("lesson"))


def card():
    """The active lesson's title, what to watch and what to try, with a way out."""
    lesson = active()
    if lesson is None:
        return
    with st.container(border=True, key="lesson_card"):
        head = st.container(horizontal=True, vertical_alignment="center")
        head.markdown(f"**Lesson: {lesson.title}**", width="stretch")
        head.button("Close", icon=":material/close:", on_click=close, key="lesson_close")
        st.markdown(f"**Watch.** {lesson.watch}")
        st.markdown(f"**Try.** {lesson.try_next}")


def render():
    """The list of lessons."""
    st.caption("Each lesson loads a setup that shows one idea. Press Start, then Play. "
               "The link opens the same lesson for anyone.")
    cols = st.columns(3)
    for i, lesson in enumerate(lessons.LESSONS):
        with cols[i % 3].container(border=True, height="stretch"):
            st.markdown(f"**{i + 1}. {lesson.title}**")
            st.caption(lesson.watch)
            row = st.container(horizontal=True, vertical_alignment="center")
            row.button("Start", icon=":material/school:", key=f"lesson_{lesson.key}",
                       on_click=start, args=(lesson.key,), type="primary")
            row.markdown(f"[Link](?lesson={lesson.key})", width="content")
