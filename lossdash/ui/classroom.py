"""Classroom mode (``?classroom=true`` or the toggle): a screen to present from.

The sidebar is gone (the settings the teacher chose stay fixed), type is large and the charts
take the whole width. The keyboard drives the run through the buttons' own ``shortcut=``
(Space: Play or Pause, S: Step, 0: Reset; see ``train_view.controls``). Streamlit keeps R (and
C) for itself and refuses them as shortcuts, so Reset is 0: back to epoch 0.
"""

from __future__ import annotations

import streamlit as st

URL = "query-params"
STYLE = """<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"] { display: none !important; }
html { font-size: 20px; }
[data-testid="stMetricValue"] { font-size: 2.4rem; }
.js-plotly-plot .gtitle { font-size: 20px !important; }
.js-plotly-plot .xtitle, .js-plotly-plot .ytitle { font-size: 16px !important; }
.block-container { max-width: 100% !important; padding-left: 2rem; padding-right: 2rem; }
</style>"""


def requested():
    """Whether the page was opened in classroom mode (read before the page is set up)."""
    return str(st.query_params.get("classroom", "")).lower() == "true"


def toggle():
    """The classroom-mode toggle (in the page, since classroom mode hides the sidebar)."""
    return st.toggle("Classroom mode", key="classroom", bind=URL,
                     help="Hide the settings, enlarge the type; keys: Space play/pause, "
                     "S step, 0 reset.")


def apply():
    """The classroom look and the keyboard, when classroom mode is on."""
    st.html(STYLE)
    st.caption("Classroom mode: Space plays or pauses, S steps, 0 resets. Turn the toggle off to "
               "change the settings.")
