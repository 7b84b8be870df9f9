"""The training view: Play, Pause, Step, Reset, and the live charts.

While a run plays, a background thread trains it in short chunks (``lossdash.ui.background``)
and an ``st.fragment(run_every=FRAME_SECONDS)`` redraws the metrics and charts from it, holding
the trainer's lock while it reads. The buttons live outside the fragment; their callbacks start
and stop the thread, so Pause takes effect within one training chunk (20 ms) and the next
redraw shows it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import streamlit as st

from lossdash import charts
from lossdash.ui import background, landscape_panel

FRAME_SECONDS = 0.2  # the fragment's timer: at most 5 redraws a second
SPEEDS = {  # label -> steps per second (None: as fast as the machine goes)
    "1 step/s": 1,
    "5 steps/s": 5,
    "20 steps/s": 20,
    "100 steps/s": 100,
    "500 steps/s": 500,
    "max": None,
}
DEFAULT_SPEED = "100 steps/s"  # slow enough to watch the default run, about two seconds long
PLOT_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def _fmt(value):
    return "–" if value is None or not math.isfinite(value) else f"{value:.4g}"


# --------------------------------------------------------------------------- controls
def _play():
    background.start(st.session_state.run)


def _pause():
    background.stop(st.session_state.run)


def _step():
    run = st.session_state.run
    background.stop(run)
    run.trainer.run_epochs(1)


def _reset():
    run = st.session_state.run
    background.stop(run)
    run.trainer.reset()
    run.steps_per_s = 0.0


def controls(run):
    """The four buttons and the speed. Their callbacks change the run before the script reruns,
    so the buttons drawn right after a click already show the new state (Pause enabled)."""
    trainer = run.trainer
    cols = st.columns([1, 1, 1, 1, 3], vertical_alignment="bottom")
    cols[0].button("Play", icon=":material/play_arrow:", type="primary", on_click=_play,
                   disabled=run.playing or trainer.done, width="stretch",
                   help="Train continuously; the charts update live.")
    cols[1].button("Pause", icon=":material/pause:", on_click=_pause, disabled=not run.playing,
                   width="stretch", help="Stop after the current frame; Play resumes.")
    cols[2].button("Step", icon=":material/skip_next:", on_click=_step, disabled=trainer.done,
                   width="stretch", help="Train exactly one epoch, then pause.")
    cols[3].button("Reset", icon=":material/restart_alt:", on_click=_reset, width="stretch",
                   help="Back to the initial weights and an empty history.")
    cols[4].select_slider("Speed", list(SPEEDS), value=DEFAULT_SPEED, key="speed",
                          bind="query-params",
                          help="Steps per second while playing; 'max' trains as fast as it can.")


def chart_options():
    """How the loss is drawn; kept in the URL like every other choice."""
    with st.expander("Chart options", icon=":material/tune:"):
        c1, c2, c3, c4 = st.columns(4)
        c1.toggle("Log-scale loss", value=True, key="log_y", bind="query-params")
        c2.slider("Smoothing", 0.0, 0.99, 0.6, 0.01, key="smoothing", bind="query-params",
                  help="TensorBoard-style exponential moving average of the batch loss.")
        c3.radio("x-axis", ["step", "epoch"], horizontal=True, key="x_axis", bind="query-params")
        c4.toggle("Loss landscape", value=True, key="show_landscape", bind="query-params",
                  help="The loss surface around the weights with the optimizer's path.")
        landscape_panel.options()


# --------------------------------------------------------------------------- the live part
@dataclass
class Slots:
    """Placeholders laid out once per fragment run; every frame refills them in place, so the
    browser updates each chart where it stands instead of building the page anew."""

    metrics: list
    progress: object
    outcome: object
    loss: object
    model: object
    weights: object
    grads: object
    landscape: object = None


def layout(run):
    metrics = [c.empty() for c in st.columns(5)]
    progress, outcome_ = st.empty(), st.empty()
    top, bottom = st.columns(2), st.columns(2)
    slots = Slots(metrics, progress, outcome_, top[0].empty(), top[1].empty(),
                  bottom[0].empty(), bottom[1].empty())
    if st.session_state.get("show_landscape", True):
        slots.landscape = landscape_panel.draw(run).empty()
    return slots


def metrics_row(run, slots):
    trainer, val = run.trainer, run.val
    train_loss, train_metric = trainer.evaluate(run.train)
    val_loss, val_metric = trainer.evaluate(val) if val is not None else (None, None)
    label = "Accuracy" if run.train.task == "classification" else "R²"
    shown = val_metric if val is not None else train_metric
    c = slots.metrics
    c[0].metric("Epoch", f"{int(trainer.epoch)}", help=f"step {trainer.step_count:,}")
    c[1].metric("Train loss", _fmt(train_loss), help="Data loss on all training rows, now.")
    c[2].metric("Validation loss", _fmt(val_loss),
                help="Data loss on the held-out rows." if val is not None else
                "No validation rows: set a validation fraction above 0.")
    c[3].metric(label, _fmt(shown),
                help=("on the validation rows" if val is not None else "on the training rows"))
    c[4].metric("Steps/s", f"{run.steps_per_s:,.0f}" if run.playing else "–",
                help="Optimizer steps per second while playing, drawing included.")
    done = min(trainer.epoch / max(trainer.max_epochs, 1), 1.0)
    slots.progress.progress(done, text=f"epoch {trainer.epoch:,.1f} of {trainer.max_epochs:,}")


def outcome(run, slot):
    trainer = run.trainer
    if trainer.status == "diverged":
        slot.error(trainer.message, icon=":material/warning:")
    elif trainer.status == "converged":
        slot.success(trainer.message, icon=":material/check_circle:")
    elif trainer.status == "max_epochs":
        slot.info(f"{trainer.message} Raise 'Max epochs' to keep going.")
    else:
        slot.empty()


def model_chart(run):
    trainer = run.trainer
    model, loss = trainer.model, trainer.loss
    if run.train.task == "classification":
        return charts.decision_boundary(run.train, run.val, lambda X: loss.proba(model.forward(X)))
    return charts.regression_fit(run.train, run.val, model.forward)


def weights_chart(run):
    trainer = run.trainer
    if trainer.track_params:
        return charts.param_trajectories(trainer.history, trainer.model.param_names())
    steps, thetas = trainer.snapshots()
    return charts.weight_distributions(steps, thetas, trainer.model.layout)


def chart(slot, fig, name):
    """One live chart into its placeholder, under a fixed key so the browser updates the chart
    it has (Plotly.react) instead of building a new one every frame."""
    slot.plotly_chart(fig, config=PLOT_CONFIG, key=f"live-{name}")


def draw(run, slots):
    ss = st.session_state
    history = run.trainer.history
    metrics_row(run, slots)
    outcome(run, slots.outcome)
    loss_fig = charts.loss_curve(history, ss.get("smoothing", 0.6), ss.get("log_y", True),
                                 ss.get("x_axis", "step"))
    chart(slots.loss, loss_fig, "loss")
    chart(slots.model, model_chart(run), "model")
    chart(slots.weights, weights_chart(run), "weights")
    chart(slots.grads, charts.gradient_chart(history), "grads")
    if slots.landscape is not None:
        chart(slots.landscape, landscape_panel.figure(run), "landscape")


def live(run):
    """One frame: the run as it is now, read under its lock (the training thread waits)."""
    run.last_seen = time.perf_counter()
    run.speed_limit = SPEEDS.get(st.session_state.get("speed", DEFAULT_SPEED))
    if run.playing and (run.thread is None or not run.thread.is_alive()):
        background.start(run)  # a rerun (a sidebar change, a reload) keeps a playing run going
    with run.lock:
        draw(run, layout(run))
        ended = not run.playing and run.thread is not None
    if ended:  # the thread stopped by itself (converged, diverged, done): redraw the buttons
        run.thread = None
        st.rerun()


def guarded_live(run):
    """``live``, with an unexpected error shown as a message (fragment reruns bypass main's)."""
    try:
        live(run)
    except Exception as err:  # the last line of defence: a message, never a traceback
        background.stop(run)
        st.error(f"Training stopped on an unexpected problem ({type(err).__name__}: {err}). "
                 "Press Reset, or change a setting.", icon=":material/error:")


def render(run):
    controls(run)
    chart_options()
    st.fragment(guarded_live, run_every=FRAME_SECONDS if run.playing else None)(run)
    st.download_button(
        "Download history (CSV)",
        data=lambda: charts.history_csv(run.trainer.history),
        file_name="lossdash_history.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
