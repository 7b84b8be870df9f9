"""The stability line in the dashboard: under the learning-rate control, on the LR finder's
charts, and sharpness over the run beside each layer's update/weight ratio.

The line at the start (``2 / lambda_max`` of the initial weights, or the momentum variant) is a
pure function of the settings and the data, so it is cached by the run's key; the run's own
trackers (:class:`~lossdash.explore.stability.SharpnessTracker`,
:class:`~lossdash.explore.updates.UpdateRatios`) ride on the trainer as observers.
"""

from __future__ import annotations

import math

import streamlit as st

from lossdash import config
from lossdash.charts import dynamics
from lossdash.explore import stability, updates
from lossdash.ui import live, state

NAMES = {"sgd": "Gradient descent", "momentum": "Momentum", "nesterov": "Nesterov"}


@st.cache_data(max_entries=32, show_spinner=False)
def start_sharpness(key, _cfg, _dataset):
    """``lambda_max`` at the initial weights of the run ``_cfg`` builds (cached by its key)."""
    train, val, _ = config.prepare(_cfg, _dataset)
    return stability.trainer_sharpness(config.build_trainer(_cfg, train, val))


def start_line(cfg, dataset, token):
    """``(lambda_max, stable lr or None)`` at the start, or ``(nan, None)`` if it cannot be
    built (the page says why elsewhere). None also means: no single line for this optimizer."""
    if dataset is None:
        return math.nan, None
    try:
        lam = start_sharpness(state.run_key(cfg, token), cfg, dataset)
    except (ValueError, config.ConfigError):
        return math.nan, None
    if cfg.line_search:
        return lam, None
    return lam, stability.stable_lr(lam, cfg.optimizer, cfg.momentum, cfg.weight_decay)


def caption(slot, cfg, dataset, token):
    """Under the learning-rate control: where this setup starts to diverge."""
    lam, line = start_line(cfg, dataset, token)
    if not math.isfinite(lam):
        return
    if cfg.line_search:
        slot.caption(f"λmax = {lam:.3g} at the start; the line search picks each step's rate.")
    elif line is None:
        slot.caption(f"λmax = {lam:.3g} at the start. {cfg.optimizer} rescales each weight's "
                     "step, so no single rate marks divergence.")
    elif math.isinf(line):
        slot.caption("No curvature at the start: no rate is too large for the first steps.")
    else:
        over = " **:red[lr is above it]**" if cfg.lr > line else ""
        slot.caption(f"{NAMES[cfg.optimizer]} diverges above ~{line:.3g} "
                     f"(2/λmax at the start, λmax = {lam:.3g}).{over}",
                     help="Along the Hessian's sharpest direction each step multiplies the error "
                     "by (1 - lr·λmax): beyond 2/λmax it grows. An MLP's λmax changes as it "
                     "trains, so the line is an estimate; see the sharpness chart.")


def ensure_trackers(trainer):
    """The run's sharpness and update-ratio trackers (attached on first use)."""
    found = {type(o): o for o in trainer.observers}
    for kind in (stability.SharpnessTracker, updates.UpdateRatios):
        if kind not in found:
            found[kind] = kind()
            trainer.observers.append(found[kind])
    return found[stability.SharpnessTracker], found[updates.UpdateRatios]


def threshold_factor(cfg):
    """``c`` of the threshold ``c / lr`` for the run's optimizer (None: adaptive)."""
    line = stability.stable_lr(1.0, cfg.optimizer, cfg.momentum)
    return None if line is None or cfg.line_search else line


def figures(run, snap):
    """(update ratio figure, sharpness figure) for ``run`` at ``snap``."""
    with run.lock:  # the trackers' lists grow on the training thread: copy them under the lock
        sharp, ratios = ensure_trackers(run.trainer)
        steps, values = sharp.series(snap.step)
        ratio_steps = list(ratios.steps)
        ratio_values = {name: list(v[: len(ratio_steps)]) for name, v in ratios.ratios.items()}
    col = {c: i for i, c in enumerate(snap.columns)}
    lam_fig = dynamics.sharpness_chart(steps, values, snap.rows[:, col["step"]],
                                       snap.rows[:, col["lr"]], threshold_factor(run.cfg))
    ratio_fig = dynamics.update_ratio_chart(ratio_steps, ratio_values, updates.RULE_OF_THUMB)
    return ratio_fig, lam_fig


def charts(run, snap, height):
    """The slow panel's update/weight ratio (beside the gradients) and sharpness (beside the
    learning rate), rebuilt only when the run has moved."""
    ratio_fig, lam_fig = state.built(run, "stability", (run.generation, snap.step),
                                     lambda: figures(run, snap))
    return [live.Chart("slow/update-ratio", ratio_fig, height),
            live.Chart("slow/sharpness", lam_fig, height)]
