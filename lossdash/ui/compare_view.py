"""Compare runs, the LR sweep and the LR finder (filled in by the comparison work)."""

import streamlit as st


def render(view, cfg, run):
    st.info(f"{view} is coming soon.")
