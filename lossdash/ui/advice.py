"""Advice that acts: each diagnosis of the run as a message with a button that does the fix.

The diagnoses come from :mod:`lossdash.explore.diagnose` (pure). A button's callback writes the
settings the fix changes into session state (the sidebar's widgets show them on the next run),
resets, rewinds or replays the run when the fix needs it, and leaves a notice saying what it
did. The callback runs inside the live fragment, so it reruns the whole page (``st.rerun()``),
which the sidebar needs to show the new values.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from lossdash.charts import dynamics
from lossdash.config import RunConfig
from lossdash.explore import diagnose
from lossdash.ui import background, feed, stability_view, state

BOXES = {"error": st.error, "warning": st.warning, "info": st.info, "success": st.success}
ICONS = {"error": ":material/warning:", "warning": ":material/lightbulb:",
         "info": ":material/info:", "success": ":material/check_circle:"}
FIELDS = frozenset(RunConfig.__dataclass_fields__)


def suggestion():
    """The LR range test's suggested rate, if one was run this session."""
    found = st.session_state.get("lr_find")
    rate = getattr(found, "suggestion", None)
    return rate if rate is not None and math.isfinite(rate) else None


def diagnoses(run, snap, now):
    """Every Advice for the run at ``snap`` (its recorded rows, status and message)."""
    _, line = stability_view.start_line(run.cfg, run.dataset, run.key[0])
    history = pd.DataFrame(snap.rows, columns=snap.columns, copy=False)
    return diagnose.diagnose(history, run.cfg, run.train, snap.status, snap.message, now.metric,
                             line, suggestion())


# --------------------------------------------------------------------------- the fixes
def act(run, advice):
    """Do ``advice.action``: write settings, then reset (and play), rewind, or just continue."""
    ss = st.session_state
    action = advice.action
    for key, value in action.items():
        if key in FIELDS:
            ss[key] = value
    if action.get("reset"):
        background.stop(run)
        with run.lock:
            if "lr" in action:
                run.trainer.set_lr(action["lr"])
            run.trainer.reset()
            run.generation += 1
        background.start(run, state.session_alive())
        ss.advice_notice = (f"Back to the initial weights, training at lr = {action['lr']:g}. "
                            "Watch the loss: it should fall now.")
    elif "rewind" in action:
        background.stop(run)
        with run.lock:
            run.trainer = run.trainer.branch(action["rewind"])
            run.generation += 1
        ss.advice_notice = (f"Rewound to epoch {action['best_epoch']:g}, where the validation "
                            "loss was lowest: these are the weights to keep.")
    elif FIELDS.intersection(action) - state.LIVE_FIELDS:
        ss.advice_notice = (f"{advice.label}: done. The new setup starts from its initial "
                            "weights: press Play.")
    else:
        ss.advice_notice = f"{advice.label}: done. The run continues from where it is."
    st.rerun()  # the whole page, not the panel the button is in: the sidebar shows the fix


# --------------------------------------------------------------------------- the page
def mark_best(fig, run, x="step"):
    """The loss chart with the best epoch marked, when overfitting was diagnosed for this run."""
    mark = feed.session().get("best_mark")
    if mark and mark[0] is run.trainer:
        _, step, epoch = mark
        dynamics.mark_epoch(fig, step if x == "step" else epoch, f"best epoch {epoch:g}")
    return fig


def show(run, advice, i):
    BOXES[advice.level](advice.text, icon=ICONS[advice.level])
    if advice.label:
        st.button(advice.label, key=f"advice-{advice.kind}", on_click=act, args=(run, advice),
                  type="primary" if i == 0 else "secondary", icon=":material/build:")


def render(run, snap, now):
    """The run's outcome and what to do about it (replaces the plain outcome message)."""
    ss = st.session_state
    notice = ss.get("advice_notice")
    if notice and snap.status != "running":
        ss.advice_notice = notice = None  # the run has ended: its outcome speaks now
    if notice:
        st.info(notice, icon=":material/auto_fix_high:")
    inputs = (run.generation, snap.step, snap.status, suggestion())
    last = run.built.get("advice")
    if last is None or last[0] != inputs:  # diagnose once per step, not once per frame
        last = (inputs, diagnoses(run, snap, now))
        run.built["advice"] = last
    found = last[1]
    best = next((a for a in found if a.kind == "overfitting"), None)
    ss.best_mark = (run.trainer, best.action["rewind"] + 1, best.action["best_epoch"]) if best \
        else None
    for i, advice in enumerate(found):
        show(run, advice, i)
