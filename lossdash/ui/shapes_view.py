"""Loss shapes, demo surfaces and the outlier experiment (filled in by the landscape work)."""

import streamlit as st


def render(run):
    st.info("Loss shapes are coming soon.")
