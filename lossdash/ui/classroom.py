"""Classroom mode (``?classroom=true`` or the toggle): a screen to present from.

The sidebar is gone (the settings the teacher chose stay fixed), type is large, the charts
take the whole width, and the keyboard drives the run: Space plays or pauses, S steps, R
resets. Streamlit reserves R for its own rerun (a button cannot take it as ``shortcut=``), so a
small component (``st.components.v2``, no iframe) listens for the three keys and presses the
matching button; it ignores keys typed into a field.
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
KEYS_JS = """
export default function (component) {
  const press = (label) => {
    const button = [...document.querySelectorAll('button')].find(
      (b) => !b.disabled && b.innerText.trim().endsWith(label));
    if (button) button.click();
    return Boolean(button);
  };
  const actions = {' ': () => press('Play') || press('Pause'), 's': () => press('Step'),
                   'r': () => press('Reset')};
  const onKey = (event) => {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT']
        .includes(target.tagName))) return;
    const action = actions[event.key.toLowerCase()];
    if (!action) return;
    event.preventDefault();
    event.stopImmediatePropagation();  // R would otherwise rerun the app
    action();
  };
  if (window.__lossdashKeys) window.removeEventListener('keydown', window.__lossdashKeys, true);
  window.__lossdashKeys = onKey;
  window.addEventListener('keydown', onKey, true);
  return () => {
    window.removeEventListener('keydown', onKey, true);
    if (window.__lossdashKeys === onKey) window.__lossdashKeys = null;
  };
}
"""


def requested():
    """Whether the page was opened in classroom mode (read before the page is set up)."""
    return str(st.query_params.get("classroom", "")).lower() == "true"


@st.cache_resource(show_spinner=False)
def _keys_component():
    return st.components.v2.component("lossdash_classroom_keys", js=KEYS_JS)


def toggle():
    """The classroom-mode toggle (in the page, since classroom mode hides the sidebar)."""
    return st.toggle("Classroom mode", key="classroom", bind=URL,
                     help="Hide the settings, enlarge the type; keys: Space play/pause, "
                     "S step, R reset.")


def apply():
    """The classroom look and the keyboard, when classroom mode is on."""
    st.html(STYLE)
    _keys_component()(key="classroom_keys")
    st.caption("Classroom mode: Space plays or pauses, S steps, R resets. Turn the toggle "
               "off to change the settings.")
