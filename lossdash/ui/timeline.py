"""Replay and branch: a timeline over the paused run, "Branch here", and the weights as files.

The slider replays the run to any step (``Trainer.branch``: the nearest checkpoint, then the
steps after it, exactly) and draws the model on the data, the weights and the landscape position
there. "Branch here" continues from that step with the sidebar's current settings: a new rate
applies to this run; a new optimizer or loss builds a new run, and the timeline then offers to
branch the previous one (same data and layers) with them. The original's loss stays on the loss
chart, dashed, beside the branch's.
"""

from __future__ import annotations

from types import SimpleNamespace

import streamlit as st

from lossdash import weights
from lossdash.charts import base
from lossdash.charts import landscape as charts_landscape
from lossdash.charts import training as charts
from lossdash.explore import branching, landscape
from lossdash.ui import background, feed, landscape_panel, live

HEIGHT = 360
ORIGINAL_COLOR = "#999999"


def label(trainer):
    """What a run trained with: its optimizer, loss and last rate (the sidebar may have moved)."""
    history = trainer.history
    lr = float(history["lr"].iloc[-1]) if len(history) else trainer.base_lr
    return (f"{trainer.optimizer.name}, {trainer.loss.name}, lr={lr:g} "
            f"(step {trainer.step_count})")


def origin_for(run):
    """The run whose timeline to show: this one once it has steps; before that, the previous
    run, if this one could branch from it (same data and layers)."""
    ss = st.session_state
    if run.trainer.step_count > 0:
        ss.timeline_origin = run
        return run
    previous = ss.get("timeline_origin")
    if previous is None or previous is run or previous.trainer.step_count == 0:
        return None
    if branching.fits(previous.trainer, run.trainer) is not None:
        return None
    return previous


def replayed(origin, step):
    """The origin's state at ``step`` (cached while the slider stays there)."""
    ss = st.session_state
    key = (origin.trainer, origin.trainer.step_count, step)
    cached = ss.get("timeline_cache")
    if cached is None or cached[0] != key:
        if step == origin.trainer.step_count:  # the paused run as it is: nothing to replay
            cached = (key, origin.trainer)  # (the timeline is drawn only while it is paused)
        else:
            with origin.lock:
                cached = (key, origin.trainer.branch(step))
        ss.timeline_cache = cached
    return cached[1]


# --------------------------------------------------------------------------- branching
def branch_here(run, origin, step):
    """Continue from ``origin`` at ``step`` with the current settings, as the session's run."""
    ss = st.session_state
    background.stop(run)
    with origin.lock:
        twin = origin.trainer.branch(step)
        original = origin.trainer.history.copy()
        name = f"original: {label(origin.trainer)}"
    with run.lock:
        if origin is run:
            twin.set_lr(run.cfg.lr)
            twin.schedule, twin.max_epochs = run.trainer.schedule, run.trainer.max_epochs
        else:
            branching.adopt(twin, run.trainer)
        twin.max_epochs = max(twin.max_epochs, int(twin.epoch) + 1)
        run.trainer = twin
        run.generation += 1
    ss.branch_origin = {"trainer": twin, "label": name, "history": original}
    ss.timeline_origin = run
    ss.advice_notice = (f"Branched at step {step} with {run.cfg.optimizer}, {run.cfg.loss}, "
                        f"lr = {run.cfg.lr:g}: press Play. The loss chart keeps the original, "
                        "dashed.")


def overlay(fig, run, x="step"):
    """The loss chart with the original run's train loss, dashed, when ``run`` is a branch."""
    found = feed.session().get("branch_origin")
    if not found or found["trainer"] is not run.trainer:
        return fig
    rows = base.eval_rows(found["history"])
    if rows.empty or "train_loss" not in rows:
        return fig
    fig.add_trace(base.line(rows[x].to_numpy(), rows["train_loss"].to_numpy(float),
                            found["label"], ORIGINAL_COLOR, positive=True,
                            line={"dash": "dash"}))
    return fig


# --------------------------------------------------------------------------- weights files
def _import(run):
    ss = st.session_state
    upload = ss.get("weights_file")
    if upload is None:
        return
    try:
        theta = weights.read(upload.getvalue(), run.trainer.model)
    except weights.WeightsError as err:
        ss.weights_message = ("error", f"{upload.name}: {err}")
        return
    background.stop(run)
    with run.lock:
        run.trainer.initial_theta = theta
        run.trainer.reset()
        run.generation += 1
    ss.weights_message = ("success", f"Loaded the weights of {upload.name}: the run starts from "
                          "them (Reset returns to them). Press Play to continue training.")


def weights_files(run):
    """Export the current weights (JSON, .npz), or import some to continue from them."""
    model = run.trainer.model
    row = st.container(horizontal=True, gap="small")  # labels whole at every width
    row.download_button("Weights (JSON)", data=lambda: weights.to_json(model),
                        file_name="lossdash_weights.json", mime="application/json",
                        icon=":material/download:", on_click="ignore")
    row.download_button("Weights (.npz)", data=lambda: weights.to_npz(model),
                        file_name="lossdash_weights.npz", mime="application/octet-stream",
                        icon=":material/download:", on_click="ignore")
    st.file_uploader("Import weights to continue from them", type=["json", "npz"],
                     key="weights_file", on_change=_import, args=(run,))
    kind, text = st.session_state.get("weights_message") or (None, None)
    if kind:
        (st.error if kind == "error" else st.success)(text)


# --------------------------------------------------------------------------- the section
def model_figure(run, trainer):
    model, loss = trainer.model, trainer.loss
    if run.train.task == "classification":
        return charts.decision_boundary(run.train, run.val, lambda X: loss.proba(model.forward(X)))
    return charts.regression_fit(run.train, run.val, model.forward)


def weights_figure(trainer):
    x = feed.session().get("x_axis", "step")  # as the live charts above
    if trainer.track_params:
        return charts.param_trajectories(trainer.history, trainer.model.param_names(), x=x)
    steps, thetas = trainer.snapshots()
    return charts.weight_distributions(steps, thetas, trainer.model.layout, x=x,
                                       steps_per_epoch=trainer.steps_per_epoch)


def landscape_at(run, at):
    """The landscape around the replayed trainer ``at`` with its path up to there: exact for
    two weights, else a random slice computed here (the user asked for it)."""
    rows, columns = at.recorded()
    snap = SimpleNamespace(rows=rows, columns=columns, theta=at.model.theta.copy(),
                           snaps=at.snapshot_list(), step=at.step_count)
    view = SimpleNamespace(trainer=at, train=run.train, val=run.val, playing=False,
                           landscape=None, generation=0, built={})
    if at.model.n_params == 2:
        return landscape_panel.figure(view, snap)
    stand_in, resolution = landscape_panel.affordable(landscape_panel.trainer_at(view, snap),
                                                      landscape.RANDOM_RESOLUTION)
    land = landscape.random_landscape(stand_in, resolution=resolution, seed=at.seed)
    ss = st.session_state
    return charts_landscape.landscape_figure(land, ss.get("ls_style", "contour"),
                                             ss.get("ls_log", False))


def replay_section(run, origin):
    total = origin.trainer.step_count
    step = st.slider("Step", 0, total, total, key=f"timeline_{id(origin.trainer)}_{total}",
                     help="Replays the run to this step: the nearest kept state, then the steps "
                     "after it, exactly as they happened.")
    at = replayed(origin, step)
    train_loss, metric = at.evaluate(run.train)
    name = "accuracy" if run.train.task == "classification" else "R²"
    st.caption(f"Step {step:,} (epoch {at.epoch:.1f}): train loss {train_loss:.4g}, "
               f"{name} {metric:.3g}, lr {at.current_lr():g}.")
    # A live panel, as the charts above: drawn with the page's plotly.js and updated in place
    # when the slider moves or a Step adds a step (Streamlit's own Plotly element would load
    # a second plotly.js and build its charts anew on every click).
    charts = [live.Chart("timeline/model", model_figure(run, at), HEIGHT, quantize=True),
              live.Chart("timeline/weights", weights_figure(at), HEIGHT, quantize=True)]
    small = at.model.n_params == 2  # exact and cached; a random slice takes a second to draw
    if st.toggle("Landscape at this step", value=small, key="timeline_landscape"):
        charts.append(live.Chart("timeline/landscape", landscape_at(run, at),
                                 landscape_panel.HEIGHT, wide=True))
    live.show("live-timeline", live.frame(charts))
    cfg = run.cfg
    what = (f"with {cfg.optimizer}, {cfg.loss}, lr = {cfg.lr:g}" if origin is run else
            f"of the previous run ({label(origin.trainer)}) with the new settings: "
            f"{cfg.optimizer}, {cfg.loss}, lr = {cfg.lr:g}")
    st.button(f"Branch here (step {step:,})", on_click=branch_here, args=(run, origin, step),
              icon=":material/call_split:", type="primary",
              help=f"Continue from step {step:,} {what}. Change the rate, optimizer or loss in "
              "the sidebar first.")
    st.caption(f"Branching continues {what}.")


def render(run):
    """The timeline and weights files, under the live charts while the run is paused."""
    origin = origin_for(run)
    with st.expander("Timeline: replay the run, branch from any step, weights files",
                     icon=":material/timeline:", expanded=origin is not None):
        if origin is None:
            st.caption("Train a few steps, then pause: the timeline replays the run to any "
                       "step and branches from there with other settings.")
        else:
            replay_section(run, origin)
        weights_files(run)
