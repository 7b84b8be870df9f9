"""The training view: Play, Pause, Step, Reset, and the live charts.

While a run plays, a background thread trains it in short chunks (``lossdash.ui.background``)
and two fragments redraw from it on their own timers (``PANELS``): the metrics, the loss curve
and the model on the data every ``FRAME_SECONDS``, the weights, gradients and landscape every
second. Each reads the trainer under its lock. The buttons live outside the fragments; their
callbacks start and stop the thread, so Pause takes effect within one training chunk (20 ms)
and the next redraw shows it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import streamlit as st

from lossdash.charts import training as charts
from lossdash.ui import background, landscape_panel, state

FRAME_SECONDS = 0.25  # the main panel's timer: at most 4 redraws a second
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
    background.start(st.session_state.run, state.session_alive())


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
@dataclass(frozen=True)
class Status:
    """What the metrics row shows, read from the trainer under its lock."""

    epoch: float
    step: int
    max_epochs: int
    train_loss: float
    val_loss: float | None
    metric: float
    status: str
    message: str


def read_status(run):
    trainer, val = run.trainer, run.val
    train_loss, train_metric = trainer.evaluate(run.train)
    val_loss, val_metric = trainer.evaluate(val) if val is not None else (None, None)
    return Status(trainer.epoch, trainer.step_count, trainer.max_epochs, train_loss, val_loss,
                  val_metric if val is not None else train_metric, trainer.status,
                  trainer.message)


def metrics_row(run, now):
    val = run.val
    label = "Accuracy" if run.train.task == "classification" else "R²"
    c = st.columns(5)
    c[0].metric("Epoch", f"{int(now.epoch)}", help=f"step {now.step:,}")
    c[1].metric("Train loss", _fmt(now.train_loss), help="Data loss on all training rows, now.")
    c[2].metric("Validation loss", _fmt(now.val_loss),
                help="Data loss on the held-out rows." if val is not None else
                "No validation rows: set a validation fraction above 0.")
    c[3].metric(label, _fmt(now.metric),
                help=("on the validation rows" if val is not None else "on the training rows"))
    c[4].metric("Steps/s", f"{run.steps_per_s:,.0f}" if run.playing else "–",
                help="Optimizer steps per second of the training thread while playing.")
    done = min(now.epoch / max(now.max_epochs, 1), 1.0)
    st.progress(done, text=f"epoch {now.epoch:,.1f} of {now.max_epochs:,}")


def outcome(run, now):
    if now.status == "diverged":
        st.error(now.message, icon=":material/warning:")
    elif now.status == "converged":
        st.success(now.message, icon=":material/check_circle:")
        if run.train.task == "classification" and now.metric < 0.8:
            st.info("It stopped improving, but it is not good: a linear boundary cannot "
                    "separate this data. Try the neural net (MLP) in the sidebar.")
    elif now.status == "max_epochs":
        st.info(f"{now.message} Raise 'Max epochs' to keep going.")


def loss_chart(run):
    ss = st.session_state
    return charts.loss_curve(run.trainer.history, ss.get("smoothing", 0.6),
                             ss.get("log_y", True), ss.get("x_axis", "step"))


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


def gradients_chart(run):
    return charts.gradient_chart(run.trainer.history)


def guarded(panel):
    """``panel(run)`` with an unexpected error shown as a message, never a traceback (fragment
    reruns do not pass through main's guard)."""

    def run_panel(run):
        try:
            panel(run)
        except Exception as err:  # the last line of defence
            background.stop(run)
            st.error(f"Training stopped on an unexpected problem ({type(err).__name__}: "
                     f"{err}). Press Reset, or change a setting.", icon=":material/error:")

    run_panel.__name__ = run_panel.__qualname__ = f"live_{panel.__name__}"
    return run_panel


def status_panel(run):
    """Metrics, progress and outcome; also keeps the training thread and the buttons in step."""
    run.last_seen = time.perf_counter()
    run.speed_limit = SPEEDS.get(st.session_state.get("speed", DEFAULT_SPEED))
    if run.playing and (run.thread is None or not run.thread.is_alive()):
        background.start(run, state.session_alive())  # a rerun keeps a playing run going
    with run.lock:  # read quickly; Streamlit calls happen after the lock is released
        now = read_status(run)
        ended = not run.playing and run.thread is not None
    metrics_row(run, now)
    outcome(run, now)
    if ended:  # the thread stopped by itself (converged, diverged, done): redraw the buttons
        run.thread = None
        st.rerun()


def chart(build, run, name):
    """One chart: built under the run's lock, sent to the page outside it. The fixed key lets
    the browser update the chart it has (Plotly.react) instead of building a new one."""
    with run.lock:
        fig = build(run)
    st.plotly_chart(fig, config=PLOT_CONFIG, key=f"live-{name}")


def fast_panel(run):
    """The numbers, the loss curve and the model on the data: what a learner watches."""
    status_panel(run)
    left, right = st.columns(2)
    with left:
        chart(loss_chart, run, "loss")
    with right:
        chart(model_chart, run, "model")


def slow_panel(run):
    """The weights, the gradients and the landscape: slower-moving, costlier to draw."""
    left, right = st.columns(2)
    with left:
        chart(weights_chart, run, "weights")
    with right:
        chart(gradients_chart, run, "gradients")
    if st.session_state.get("show_landscape", True):
        with landscape_panel.draw(run):
            chart(landscape_panel.figure, run, "landscape")


# Two fragments with their own refresh periods while playing. A browser takes ~0.1 s to redraw
# one chart here (headless, software rendering), so the charts a learner watches refresh 4 times
# a second and the rest once: a slow browser still keeps up, and it paces the timers itself.
PANELS = {"fast": (fast_panel, FRAME_SECONDS), "slow": (slow_panel, 1.0)}


def live(name, run):
    """Draw panel ``name``; while playing it redraws itself every PANELS[name][1] seconds."""
    body, every = PANELS[name]
    st.fragment(guarded(body), run_every=every if run.playing else None)(run)


def render(run):
    controls(run)
    chart_options()
    live("fast", run)
    live("slow", run)
    st.download_button(
        "Download history (CSV)",
        data=lambda: charts.history_csv(run.trainer.history),
        file_name="lossdash_history.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
