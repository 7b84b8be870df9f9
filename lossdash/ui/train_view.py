"""The training view: Play, Pause, Step, Reset, and the live panels.

While a run plays, a background thread trains it in short chunks (``lossdash.ui.background``)
and two fragments redraw from it on their own timers (``PANELS``): the metrics, the loss curve
and the model on the data every ``FAST_SECONDS``; the weights, gradients and landscape every
``SLOW_SECONDS``. A frame takes a :class:`Snapshot` of the trainer under its lock (a view of the
recorded history and a copy of the weights: microseconds), lets go of the lock, and builds the
figures from the snapshot, so training and Pause never wait for a chart. The live panel element
(``lossdash.ui.live``) sends the browser only what changed since its last frame, and the browser
updates the charts in place.

The whole view is a fragment too (:func:`view`), around the panels' own: the buttons'
callbacks start and stop the thread, so Pause takes effect within one training chunk (20 ms),
and the rerun that follows redraws the view alone, not the sidebar.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from lossdash import engine
from lossdash.charts import training as charts
from lossdash.ui import (
    advice,
    background,
    feed,
    fragments,
    guard,
    landscape_panel,
    live,
    network_view,
    stability_view,
    state,
    timeline,
)

FAST_SECONDS = 0.08  # the fast panel's timer: the browser paces it, up to 12 frames a second
SLOW_SECONDS = 0.4  # weights, gradients and landscape
ADVICE_SECONDS = 5.0  # the outcome and advice above the charts: they change once in a while,
# and each tick re-renders the page in React (60-180 ms of the browser's core; at 1 s, React
# was 17% of a playing page's time). A run that stops by itself is redrawn at once (the feed
# tells the page), not at the next tick.
SPEEDS = {  # label -> steps per second (None: as fast as the machine goes)
    "1 step/s": 1,
    "5 steps/s": 5,
    "20 steps/s": 20,
    "100 steps/s": 100,
    "500 steps/s": 500,
    "max": None,
}
DEFAULT_SPEED = "100 steps/s"  # slow enough to watch the default run, about two seconds long
BOUNDARY_RESOLUTION = 60  # live decision-boundary grid: 3,600 cells, one byte each on the wire
EXACT_METRIC_WORK = 4e6  # rows x weights up to which the metrics row evaluates every row live
CHART_HEIGHT = 380


def _fmt(value):
    return "–" if value is None or not math.isfinite(value) else f"{value:.4g}"


# --------------------------------------------------------------------------- controls
@guard.callback("Play")
def _play():
    background.start(st.session_state.run, state.session_alive())


@guard.callback("Pause")
def _pause():
    background.stop(st.session_state.run)


@guard.callback("Step")
def _step():
    run = st.session_state.run
    background.stop(run)
    with run.lock:
        run.trainer.run_epochs(1)


@guard.callback("Reset")
def _reset():
    run = st.session_state.run
    background.stop(run)
    with run.lock:
        run.trainer.reset()
    run.steps_per_s = 0.0
    run.generation += 1


def controls(run):
    """The four buttons and the speed, in one row that wraps on a phone. Their callbacks change
    the run before the script reruns, so the buttons drawn right after a click already show the
    new state (Pause enabled)."""
    trainer = run.trainer
    bar = st.container(horizontal=True, vertical_alignment="center", gap="small")
    # Keys keep each button one element while its shortcut moves between Play and Pause
    # (without them a changed shortcut made a new button, and the old one lingered).
    bar.button("Play", icon=":material/play_arrow:", type="primary", on_click=_play, key="play",
               disabled=run.playing or trainer.done, shortcut=None if run.playing else "Space",
               help="Train continuously; the charts update live.")
    bar.button("Pause", icon=":material/pause:", on_click=_pause, key="pause",
               disabled=not run.playing,
               shortcut="Space" if run.playing else None,
               help="Stop after the current frame; Play resumes.")
    bar.button("Step", icon=":material/skip_next:", on_click=_step, key="step",
               disabled=trainer.done,
               shortcut="S", help="Train exactly one epoch, then pause.")
    # Streamlit keeps R for itself: in classroom mode 0 resets (back to epoch 0)
    bar.button("Reset", icon=":material/restart_alt:", on_click=_reset, key="reset",
               shortcut="0" if st.session_state.get("classroom") else None,
               help="Back to the initial weights and an empty history.")
    bar.selectbox("Speed", list(SPEEDS), index=list(SPEEDS).index(DEFAULT_SPEED), key="speed",
                  bind="query-params", width=150, label_visibility="collapsed",
                  help="Steps per second while playing; 'max' trains as fast as it can.")


def chart_options():
    """How the loss is drawn; kept in the URL like every other choice."""
    with st.expander("Chart options", icon=":material/tune:"):
        c1, c2 = st.columns(2)  # two rows: four columns cut "Loss landscape" short at 1024 px
        c3, c4 = st.columns(2)
        c1.toggle("Log-scale loss", value=True, key="log_y", bind="query-params")
        c2.slider("Smoothing", 0.0, 0.99, 0.6, 0.01, key="smoothing", bind="query-params",
                  help="TensorBoard-style exponential moving average of the batch loss.")
        c3.radio("x-axis", ["step", "epoch"], horizontal=True, key="x_axis", bind="query-params")
        c4.toggle("Loss landscape", value=True, key="show_landscape", bind="query-params",
                  help="The loss surface around the weights with the optimizer's path.")
        landscape_panel.options()


# --------------------------------------------------------------------------- one frame's data
@dataclass(frozen=True)
class Snapshot:
    """What a frame needs from the trainer, taken under its lock in microseconds.

    ``rows`` is a read-only view of the recorded history (rows never change once recorded, see
    ``Trainer.recorded``); ``theta`` a copy of the weights; ``snaps`` the weight snapshots of a
    model too big to track every weight (lists of references, for the slow panel only).
    """

    rows: np.ndarray
    columns: list
    theta: np.ndarray
    step: int
    epoch: float
    max_epochs: int
    status: str
    message: str
    snaps: tuple | None = None


def snapshot(run, with_snaps=False):
    trainer = run.trainer
    with run.lock:
        rows, columns = trainer.recorded()
        snaps = trainer.snapshot_list() if with_snaps and not trainer.track_params else None
        return Snapshot(rows, columns, trainer.model.theta.copy(), trainer.step_count,
                        trainer.epoch, trainer.max_epochs, trainer.status, trainer.message,
                        snaps)


def history_of(run, snap):
    """The snapshot's history as a DataFrame over the same memory (no copy)."""
    frame = pd.DataFrame(snap.rows, columns=snap.columns, copy=False)
    return frame.drop(columns=["val_loss", "val_metric"]) if run.val is None else frame


def model_at(run, theta):
    """A model of the run's architecture with weights ``theta``: a copy the page owns, so
    predictions never touch the trainer's model while the thread trains it."""
    if run.view_model is None:
        run.view_model = run.trainer.model.copy()
    run.view_model.theta[...] = theta
    return run.view_model


@dataclass(frozen=True)
class Numbers:
    """The metrics row: the data loss and the metric on every row, now (or, while a big run
    plays, as measured at its last evaluation)."""

    train_loss: float
    val_loss: float | None
    metric: float


def numbers(run, snap):
    trainer, val = run.trainer, run.val
    work = (run.train.X.shape[0] + (0 if val is None else val.X.shape[0])) * \
        trainer.model.n_params
    if run.playing and work > EXACT_METRIC_WORK and len(snap.rows):
        last = dict(zip(snap.columns, snap.rows[-1], strict=True))
        metric = last["val_metric"] if val is not None else last["train_metric"]
        return Numbers(last["train_loss"], last["val_loss"] if val is not None else None,
                       metric)
    model, loss = model_at(run, snap.theta), trainer.loss

    def evaluate(data):
        with np.errstate(all="ignore"):
            out = model.forward(data.X)
            score = engine.accuracy if data.task == "classification" else engine.r2_score
            return float(loss.value(data.y, out)), float(score(data.y, loss.predict(out)))

    train_loss, train_metric = evaluate(run.train)
    if val is None:
        return Numbers(train_loss, None, train_metric)
    val_loss, val_metric = evaluate(val)
    return Numbers(train_loss, val_loss, val_metric)


def numbers_at(run, snap):
    """The metrics row's :class:`Numbers` at ``snap``, computed once per step (the fast
    panel, its heartbeat and the advice all ask). Callers hold ``live.lock("fast")``: it
    predicts with the page's model."""
    return state.built(run, "numbers", (run.generation, snap.step, run.playing),
                 lambda: numbers(run, snap))


def metric_entries(run, snap, now):
    label = "Accuracy" if run.train.task == "classification" else "R²"
    has_val = run.val is not None
    # "–" until the thread has measured its first window (it showed 0 for a second)
    speed = f"{run.steps_per_s:,.0f}" if run.playing and run.steps_per_s else "–"
    return [
        live.metric("Epoch", f"{int(snap.epoch)}", f"step {snap.step:,}"),
        live.metric("Train loss", _fmt(now.train_loss), "Data loss on all training rows, now."),
        live.metric("Validation loss", _fmt(now.val_loss),
                    "Data loss on the held-out rows." if has_val else
                    "No validation rows: set a validation fraction above 0."),
        live.metric(label, _fmt(now.metric),
                    "on the validation rows" if has_val else "on the training rows"),
        live.metric("Steps/s", speed,
                    "Optimizer steps per second of the training thread while playing."),
    ]


def progress(snap):
    done = min(snap.epoch / max(snap.max_epochs, 1), 1.0)
    return {"value": done, "text": f"epoch {snap.epoch:,.1f} of {snap.max_epochs:,}"}


# --------------------------------------------------------------------------- figures
def _x():
    return feed.session().get("x_axis", "step")  # every step chart follows the choice


def loss_chart(run, history):
    ss = feed.session()
    fig = charts.loss_curve(history, ss.get("smoothing", 0.6), ss.get("log_y", True),
                            ss.get("x_axis", "step"))
    x = ss.get("x_axis", "step")
    return timeline.overlay(advice.mark_best(fig, run, x), run, x)  # best epoch; branch's origin


def model_chart(run, snap):
    model, loss = model_at(run, snap.theta), run.trainer.loss
    train, val, inputs = run.plane  # drawn in the original plane; inputs engineers a point
    if run.train.task == "classification":
        return charts.decision_boundary(train, val, lambda X: loss.proba(model.forward(inputs(X))),
                                        resolution=BOUNDARY_RESOLUTION, webgl=True)
    return charts.regression_fit(train, val, lambda X: model.forward(inputs(X)))


def weights_chart(run, snap, history):
    trainer = run.trainer
    if trainer.track_params:
        return charts.param_trajectories(history, trainer.model.param_names(), x=_x())
    steps, thetas = snap.snaps
    thetas = np.array(thetas) if thetas else np.zeros((0, trainer.model.n_params))
    return charts.weight_distributions(np.array(steps), thetas, trainer.model.layout, x=_x(),
                                       steps_per_epoch=trainer.steps_per_epoch)


def outcome(run, snap, now):
    advice.render(run, snap, now)  # the outcome, what went wrong, and a button for the fix


# --------------------------------------------------------------------------- the live panels
def guarded(panel):
    """``panel(run)`` with an unexpected error shown as a message, never a traceback (fragment
    reruns do not pass through main's guard)."""
    run_panel = guard.fragment("Training", on_error=background.stop)(panel)
    run_panel.__name__ = run_panel.__qualname__ = f"live_{panel.__name__}"
    return run_panel


def keep_thread_in_step(run):
    """The speed the slider asks for, and a playing run's thread alive across reruns.
    Returns True when the thread stopped by itself (converged, diverged, done)."""
    run.last_seen = time.perf_counter()
    run.speed_limit = SPEEDS.get(st.session_state.get("speed", DEFAULT_SPEED))
    if run.playing and (run.thread is None or not run.thread.is_alive()):
        background.start(run, state.session_alive())  # a rerun keeps a playing run going
    ended = not run.playing and run.thread is not None
    if ended:
        run.thread = None
    return ended


def advice_panel(run):
    """The run's outcome and advice. Its own fragment, on a slower timer than the charts:
    every element a fragment draws is one more update the page renders, many times a
    second, for boxes that change once in a while. While the charts come from the live feed
    this is the one timer of a playing run: it keeps the thread in step with the page and
    redraws the buttons once the run stops by itself."""
    ended = keep_thread_in_step(run)
    snap = snapshot(run)
    with live.lock("fast"):  # numbers() predicts with the page's model, as fast frames do
        now = numbers_at(run, snap)
    outcome(run, snap, now)
    if ended:  # the thread stopped by itself: redraw the buttons
        st.rerun()


def fast_frame(run, whole=None):
    """The fast panel's next frame (``live.frame``): the metrics, the progress, the loss
    curve and the model on the data. No Streamlit element: a feed request builds it too."""
    ss = feed.session()
    snap = snapshot(run)
    at = (run.generation, snap.step)
    now = numbers_at(run, snap)
    options = (ss.get("smoothing", 0.6), ss.get("log_y", True), ss.get("x_axis", "step"))
    loss = state.built(run, "loss", (*at, options), lambda: loss_chart(run, history_of(run, snap)))
    model = state.built(run, "model", at, lambda: model_chart(run, snap))
    figures = [live.Chart("fast/loss", loss, CHART_HEIGHT),
               live.Chart("fast/model", model, CHART_HEIGHT, quantize=True, field=True)]
    data = live.frame(figures, metric_entries(run, snap, now), progress(snap), whole=whole)
    return {**data, "playing": run.playing}  # a feed page seeing False asks for a rerun


def _ended():
    """The live feed told the page a panel has nothing left to fetch; the page reruns that
    panel's fragment (the trigger does it). The fast panel then finds the thread gone and
    reruns the page for the buttons; the slow panel draws its settled landscape."""


def fast_panel(run):
    """The numbers, the loss curve and the model on the data: what a learner watches."""
    ended = keep_thread_in_step(run)
    url, every = feed_of("fast", run)
    if url and fragments.rerun_alone():  # the feed draws; this tick keeps it asking (and the
        snap = snapshot(run)  # numbers moving, should the feed fail)
        with live.lock("fast"):
            now = numbers_at(run, snap)
        live.heartbeat("live-fast", url, every, metric_entries(run, snap, now), progress(snap),
                       on_ended=_ended)
    else:
        with live.lock("fast"):
            data = fast_frame(run)
        live.show("live-fast", data, url, every, on_ended=_ended,
                  on_drawn=draw_whole if first_paint() else None)
    if ended:  # the thread stopped by itself: redraw the buttons
        st.rerun()


def slow_frame(run, whole=None):
    """The slow panel's next frame: weights, gradients, update ratio, sharpness, landscape."""
    snap = snapshot(run, with_snaps=True)
    at = (run.generation, snap.step, _x())  # the x-axis choice redraws both
    weights = state.built(run, "weights", at,
                    lambda: weights_chart(run, snap, history_of(run, snap)))
    gradients = state.built(run, "gradients", at,
                      lambda: charts.gradient_chart(history_of(run, snap), x=_x()))
    figures = [live.Chart("slow/weights", weights, CHART_HEIGHT, quantize=True),
               live.Chart("slow/gradients", gradients, CHART_HEIGHT)]
    figures += stability_view.charts(run, snap, CHART_HEIGHT)  # update ratio, sharpness
    if feed.session().get("show_landscape", True):
        figures.append(live.Chart("slow/landscape", landscape_panel.figure(run, snap),
                                  landscape_panel.HEIGHT, wide=True))
    # False once there is nothing left to fetch: a feed page then stops asking and reruns
    # the panel (a paused run's panel is fed only until its landscape is done)
    return {**live.frame(figures, whole=whole), "playing": run.playing or waits_for_landscape(run)}


def slow_panel(run):
    """The weights, the gradients and the landscape: slower-moving, costlier to draw."""
    url, every = feed_of("slow", run)
    if url and fragments.rerun_alone():  # the feed draws; this tick only keeps it asking
        live.heartbeat("live-slow", url, every)
    else:
        with live.lock("slow"):
            data = slow_frame(run)
        live.show("live-slow", data, url, every, on_ended=_ended)
    if st.session_state.get("slow_waits") and not waits_for_landscape(run):
        st.session_state.slow_waits = False
        st.rerun()  # the landscape is done: redraw once without the timer


PANELS = {"advice": (advice_panel, ADVICE_SECONDS), "fast": (fast_panel, FAST_SECONDS),
          "slow": (slow_panel, SLOW_SECONDS)}
FRAMES = {"fast": fast_frame, "slow": slow_frame}  # the panels the live feed can serve


def feed_of(name, run):
    """``(url, seconds)`` for a playing run's panel ``name`` when the live feed serves it
    (the page then fetches its frames itself, every ``seconds`` at most), else ``(None,
    None)``: the panel's fragment ticks instead."""
    if not (run.playing or (name == "slow" and waits_for_landscape(run))):
        feed.forget(name)
        return None, None
    url = feed.register(name, run, FRAMES[name], live.lock(name))
    return (url, PANELS[name][1]) if url else (None, None)


def waits_for_landscape(run):
    """A paused run whose random landscape slice is still being computed."""
    return (not run.playing and feed.session().get("show_landscape", True)
            and not landscape_panel.settled(run))


def live_fragment(name, run):
    """Draw panel ``name``; while playing it redraws itself every PANELS[name][1] seconds.
    The slow panel of a paused run is also fed until its landscape is done: the page fetches
    frames until one says there is nothing left to fetch, then reruns the panel alone. (It
    ticked instead, and one rerun of the whole page stopped the timer, re-rendering the
    sidebar's inputs ~1 s after a Step, under a user typing there; without the feed, in
    tests, it still does.)"""
    body, every = PANELS[name]
    ticking = run.playing or (name == "slow" and waits_for_landscape(run))
    fed = ticking and name in FRAMES and feed.mounted
    if fed:
        every = live.HEARTBEAT_SECONDS  # the page fetches the frames from the live feed
    if name == "slow":  # without the feed, the ticks end with one rerun of the page
        st.session_state.slow_waits = ticking and not run.playing and not fed
    fragments.fragment(guarded(body), run_every=every if ticking else None)(run)


VIEW_KEY = "train"  # the view's fragment


def view():
    """The Train view as one fragment: a click on Play, Pause, Step or Reset (or a chart
    option, the speed, the timeline) reruns the view alone, not the sidebar and the header
    above it: they are half of the page's elements, and the page redraws every element a run
    sends. Pause then answered in 0.32-0.79 s instead of 0.77-0.96 s (Play enabled after
    0.11-0.25 s, was 0.34-0.60), Step in 0.36-0.54 s instead of 0.53-0.70 s, the server's
    part 117 ms instead of 175 ms.

    A click whose callback changes the settings (the network's layer buttons, an advice's
    fix) reruns the whole page itself (``st.rerun()``): the sidebar must show them and the run
    be rebuilt from them.
    """
    fragments.fragment(_view, key=VIEW_KEY)()


@guard.fragment("The Train view")
def _view():
    run = st.session_state.run
    if run is None:
        return
    if fragments.rerun_alone():  # the page's own run drew these above the view
        if first_paint():  # a click (Play, Step) came before the page reported its chart
            draw_whole()  # now: this view's reruns never report it
        guard.show_messages()
        guard.show_run_problem(run)
    render(run)


WHOLE = "train_whole"  # session key: the Train view has been drawn whole in this session
END_KEY = "train_end"  # the last element of the whole view (class st-key-train_end)


def first_paint():
    """Is this the session's first Train view in a browser? It then draws the buttons and the
    fast panel only, and the rest once the page has drawn the fast panel's charts.

    The page's one core renders every element a run sends before the live charts' script
    runs (React, in 5 ms slices; Chromium trace of a page load): the charts' first frame came
    3-6 s after the page opened. Without the rest of the view it came ~1.1 s sooner (4.83 ->
    3.76 s and 4.71 -> 3.56 s, medians of 5, alternating). The sidebar waits too
    (``main.settings_before_sidebar``). Without the live feed (``AppTest``) there is no page
    to report, and the view is drawn whole at once.
    """
    return feed.mounted and not st.session_state.get(WHOLE)


def draw_whole():
    """End the first paint: rerun the whole page (the sidebar and the rest of the view). Called
    once the page has drawn the fast panel's charts (its "drawn" trigger), or earlier by a
    click or a view switch that would leave the page without that report."""
    st.session_state[WHOLE] = True
    st.rerun(scope="app")


def render(run):
    notice = st.session_state.pop("run_notice", None)
    if notice:
        st.toast(notice, icon=":material/restart_alt:")
    controls(run)
    live_fragment("advice", run)
    live_fragment("fast", run)
    if first_paint():
        return  # the rest once the fast panel has drawn (its "drawn" trigger: draw_whole)
    chart_options()
    network_view.render(run)
    live_fragment("slow", run)
    if st.session_state.get("show_landscape", True):
        st.caption(landscape_panel.explanation(run))
    if not run.playing:
        timeline.render(run)  # replay the run to any step, branch from there, weights files
    end = st.container(key=END_KEY)  # the page (and its tests) can tell the view is whole
    end.download_button(
        "Download history (CSV)",
        data=lambda: charts.history_csv(run.trainer.history),
        file_name="lossdash_history.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        help=f"One row per step. A long run keeps its last {engine.RECENT_ROWS:,} steps whole and "
        f"thins older ones; the CSV then has a {charts.THINNED_COLUMN} column.",
    )
