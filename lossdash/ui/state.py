"""Per-session state: the current run (config + trainer), set up once, never in module globals.

A ``LiveRun`` is what survives between reruns: the trainer (weights, optimizer moments, RNG, step
count), the prepared data it trains on, and whether it is playing. A change to anything but the
*live* settings (learning rate, schedule, max epochs) builds a new run; those three are applied to
the existing trainer, so they take effect on resume.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, fields

import streamlit as st

from lossdash import config
from lossdash.config import RunConfig
from lossdash.ui import background, heap

LIVE_FIELDS = frozenset({"lr", "schedule", "step_size", "gamma", "decay", "max_epochs"})
RESET_FIELDS = tuple(f.name for f in fields(RunConfig) if f.name not in LIVE_FIELDS)


@dataclass
class LiveRun:
    """A trainer plus what the dashboard needs to stream it."""

    key: tuple  # what the run was built from; a different key means a new run
    cfg: RunConfig
    trainer: object
    train: object
    val: object
    dataset: object  # the full data set (before the split), for the data scatter
    playing: bool = False
    steps_per_s: float = 0.0  # measured by the training thread
    speed_limit: float | None = None  # steps per second while playing; None = as fast as it can
    lock: threading.Lock = field(default_factory=threading.Lock)  # trainer: train xor draw
    thread: threading.Thread | None = None  # the background trainer while playing
    last_seen: float = field(default_factory=time.perf_counter)  # the last frame drawn
    session_alive: object = None  # () -> bool: is the viewer's browser session still open?
    view_model: object = None  # a copy of the model the page predicts with (never the trainer's)
    landscape: object = None  # the landscape panel's job: lossdash.ui.landscape_panel.Job
    generation: int = 0  # counts resets: a step number names one state only within a generation
    built: dict = field(default_factory=dict)  # name -> (inputs, figure or numbers) last built
    problem: str | None = None  # why the training thread stopped, if it failed (lossdash.ui.guard)
    plane: config.Plane | None = None  # the rows in the original plane, for the charts


def init_state():
    """Every session key the app uses, set once (Streamlit's guidance: setdefault at the top)."""
    ss = st.session_state
    if "run" not in ss:  # a new session: its memory goes back once it has gone
        _watch_this_session()
    ss.setdefault("run", None)  # LiveRun or None
    ss.setdefault("csv", None)  # the last good upload: {"token", "name", "frame", "dataset"}
    ss.setdefault("url_checked", False)  # URL parameters are validated once per session
    ss.setdefault("pinned", [])  # runs kept for comparison: [(label, history)]
    ss.setdefault("compare", None)  # lossdash.compare.Comparison or None
    ss.setdefault("lr_find", None)  # last LR range test result
    ss.setdefault("sweep", None)  # last LR sweep result
    ss.setdefault("search", None)  # the settings search (lossdash.explore.search.Search) or None
    ss.setdefault("search_applied", None)  # the trial "Use best" last put into the sidebar


def built(run, name, inputs, build):
    """``build()``, or what it returned last time for the same ``inputs``: a rerun that changes
    nothing a chart shows (a click, a fragment tick of a paused run) does not rebuild it."""
    last = run.built.get(name)
    if last is not None and last[0] == inputs:
        return last[1]
    value = build()
    run.built[name] = (inputs, value)
    return value


def run_key(cfg, data_token):
    """Everything that, when changed, means a new run (the data itself included)."""
    return (data_token, *(getattr(cfg, name) for name in RESET_FIELDS))


def build_run(cfg, dataset, data_token):
    """A fresh LiveRun; raises DataError/ConfigError/ValueError with a user-facing message."""
    train, val, scaler = config.prepare(cfg, dataset)
    trainer = config.build_trainer(cfg, train, val)
    return LiveRun(run_key(cfg, data_token), cfg, trainer, train, val, dataset,
                   plane=config.plane(cfg, dataset, scaler))


def apply_live_settings(run, cfg):
    """Learning rate, schedule and max epochs change an existing run in place."""
    with run.lock:
        _apply(run, cfg)


def _apply(run, cfg):
    trainer = run.trainer
    restart = trainer.status == "diverged" and cfg.lr != trainer.base_lr
    trainer.set_lr(cfg.lr)
    if restart:  # its weights are the last finite ones before the blow-up: start over
        trainer.reset()
        run.generation += 1
        st.session_state.advice_notice = (
            f"The run had diverged, so the new learning rate {cfg.lr:g} starts it again from "
            "the initial weights: press Play.")
    trainer.schedule = config.make_schedule(cfg)
    if cfg.max_epochs != trainer.max_epochs:
        trainer.max_epochs = cfg.max_epochs
        if trainer.status == "max_epochs" and trainer.epoch < cfg.max_epochs:
            trainer.status, trainer.message = "running", ""
        elif trainer.status == "running" and trainer.epoch >= cfg.max_epochs:
            trainer.status, trainer.message = "max_epochs", f"Finished {cfg.max_epochs} epochs."
    run.cfg = cfg


NAMES = {  # RunConfig field -> what the sidebar calls it, for "New run: ... changed"
    "dataset": "data set", "n_samples": "number of points", "noise": "noise",
    "data_seed": "data seed", "val_fraction": "validation fraction",
    "standardize": "standardization", "model": "model", "hidden": "hidden layers",
    "activation": "activation", "init": "initialisation", "loss": "loss", "l1": "L1 penalty",
    "l2": "L2 penalty", "optimizer": "optimizer", "momentum": "momentum", "beta1": "β₁",
    "beta2": "β₂", "alpha": "α", "weight_decay": "weight decay",
    "adamw_decay": "decoupled weight decay", "clip_norm": "gradient clipping",
    "line_search": "line search", "batch_size": "batch size", "seed": "seed",
}


def what_changed(old_run, cfg, data_token):
    """``"New run: the optimizer changed (sgd → adam)."`` for a rebuild of ``old_run``."""
    changed = [f for f in RESET_FIELDS if getattr(old_run.cfg, f) != getattr(cfg, f)]
    if not changed and old_run.key[0] != data_token:
        return "New run: the data changed. Training starts again from epoch 0."
    if len(changed) == 1:
        f = changed[0]
        was, now = getattr(old_run.cfg, f), getattr(cfg, f)
        detail = f" ({was} → {now})" if len(str(was)) + len(str(now)) < 40 else ""
        return (f"New run: the {NAMES.get(f, f.replace('_', ' '))} changed{detail}. "
                "Training starts again from epoch 0.")
    names = [NAMES.get(f, f.replace("_", " ")) for f in changed]
    listed = ", ".join(names[:-1]) + " and " + names[-1]
    return f"New run: the {listed} changed. Training starts again from epoch 0."


def sync_run(cfg, dataset, data_token):
    """The session's run for ``cfg``: kept (live settings applied) or rebuilt. Returns it.

    A run rebuilt while it played keeps playing, and ``ss.run_notice`` says why it restarted
    (a silent jump back to epoch 0 looks like a bug).
    """
    ss = st.session_state
    key = run_key(cfg, data_token)
    run = ss.run
    if run is None or run.key != key:
        was_playing = run is not None and run.playing
        if run is not None:
            if was_playing:
                ss.run_notice = what_changed(run, cfg, data_token)
            background.stop(run)  # the old run's thread lets go before it is dropped
        old, run = run, build_run(cfg, dataset, data_token)
        ss.run = run
        if was_playing:
            # the speed the user chose holds from the first chunk (the page sets it on its
            # next frame; until then the new run would train flat out)
            run.speed_limit = old.speed_limit
            background.start(run, session_alive())
    else:
        apply_live_settings(run, cfg)
    return run


def _watch_this_session():
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    alive = session_alive()
    if alive is not None:
        heap.watch_session(get_script_run_ctx().session_id, alive)


def session_alive():
    """A function telling whether this browser session is still open (None outside a server)."""
    from streamlit import runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not runtime.exists():
        return None
    server, session_id = runtime.get_instance(), ctx.session_id
    return lambda: server.is_active_session(session_id)
