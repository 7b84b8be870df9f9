"""The training view: Play, Pause, Step, Reset, and the live charts.

Training advances in time-budgeted chunks inside an ``st.fragment(run_every=TICK_SECONDS)``: each
tick trains for ``TRAIN_SHARE`` of the tick, then redraws the metrics and charts once. The buttons
live outside the fragment, so a click on Pause reruns the app right after the current tick (well
under half a second) and the fragment stops ticking while paused.
"""

from __future__ import annotations

import math
import time

import streamlit as st

from lossdash import charts
from lossdash.ui import landscape_panel

TICK_SECONDS = 0.25  # one frame: training plus drawing; 4-5 redraws a second
TRAIN_SHARE = 0.75  # of each tick spent training; the rest draws the charts
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
    run = st.session_state.run
    run.playing = True
    run.last_tick = time.perf_counter()
    run.step_credit = 0.0


def _pause():
    st.session_state.run.playing = False


def _step():
    run = st.session_state.run
    run.playing = False
    run.trainer.run_epochs(1)


def _reset():
    run = st.session_state.run
    run.playing = False
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


# --------------------------------------------------------------------------- the live part
def advance(run):
    """Train for this tick's budget (or the speed limit's share). Returns True if it just ended."""
    trainer = run.trainer
    now = time.perf_counter()
    elapsed = max(now - run.last_tick, 1e-6)
    run.last_tick = now
    if not run.playing or trainer.done:
        return False
    limit = SPEEDS.get(st.session_state.get("speed", DEFAULT_SPEED))
    max_steps = None
    if limit is not None:
        run.step_credit += limit * min(elapsed, 1.0)
        max_steps = int(run.step_credit)
        run.step_credit -= max_steps
    taken = trainer.run_for(TICK_SECONDS * TRAIN_SHARE, max_steps) if max_steps != 0 else 0
    run.steps_per_s = taken / elapsed
    if trainer.done:
        run.playing = False
        return True
    return False


def metrics_row(run):
    trainer, val = run.trainer, run.val
    train_loss, train_metric = trainer.evaluate(run.train)
    val_loss, val_metric = trainer.evaluate(val) if val is not None else (None, None)
    label = "Accuracy" if run.train.task == "classification" else "R²"
    shown = val_metric if val is not None else train_metric
    c = st.columns(5)
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
    st.progress(done, text=f"epoch {trainer.epoch:,.1f} of {trainer.max_epochs:,}")


def outcome(run):
    trainer = run.trainer
    if trainer.status == "diverged":
        st.error(trainer.message, icon=":material/warning:")
    elif trainer.status == "converged":
        st.success(trainer.message, icon=":material/check_circle:")
    elif trainer.status == "max_epochs":
        st.info(f"{trainer.message} Raise 'Max epochs' to keep going.")


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


def draw(run):
    ss = st.session_state
    history = run.trainer.history
    metrics_row(run)
    outcome(run)
    top = st.columns(2)
    top[0].plotly_chart(
        charts.loss_curve(history, ss.get("smoothing", 0.6), ss.get("log_y", True),
                          ss.get("x_axis", "step")),
        config=PLOT_CONFIG, key="chart_loss",
    )
    top[1].plotly_chart(model_chart(run), config=PLOT_CONFIG, key="chart_model")
    bottom = st.columns(2)
    bottom[0].plotly_chart(weights_chart(run), config=PLOT_CONFIG, key="chart_weights")
    bottom[1].plotly_chart(charts.gradient_chart(history), config=PLOT_CONFIG,
                           key="chart_grads")
    if ss.get("show_landscape", True):
        landscape_panel.draw(run)


def live(run):
    """One frame: train for the tick's budget, then draw; a finished run reruns the app once."""
    ended = advance(run)
    draw(run)
    if ended:
        st.rerun()  # the whole app: Play re-enables, the fragment stops ticking


def render(run):
    controls(run)
    chart_options()
    fragment = st.fragment(live, run_every=TICK_SECONDS if run.playing else None)
    fragment(run)
    st.download_button(
        "Download history (CSV)",
        data=lambda: charts.history_csv(run.trainer.history),
        file_name="lossdash_history.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
