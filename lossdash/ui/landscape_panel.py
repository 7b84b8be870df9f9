"""The loss landscape under the live charts, and every compared run's path on one surface.

A model with two parameters gets its exact landscape (the grid is cached by its ranges, so a
live frame only redraws the path). A larger model gets a filter-normalized random slice around
its current weights; that grid moves with the weights, so while the run plays it is recomputed
at most every ``RANDOM_REFRESH_SECONDS`` on a coarser grid, and at full resolution when paused.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import numpy as np
import streamlit as st

from lossdash.charts import landscape as charts_landscape
from lossdash.explore import landscape

RANDOM_REFRESH_SECONDS = 2.0  # a random-direction slice costs ~0.2 s: not every frame
LIVE_RANDOM_RESOLUTION = 21  # grid while playing; 41 (the centre on a node) when paused
MAX_SLICE_WORK = 4e9  # multiply-adds for one random slice: about half a second here
MIN_RESOLUTION = 13  # below this the slice says little; fewer rows are used instead
MIN_ROWS = 64
PLOT_CONFIG = {"displaylogo": False}
EXPLAIN_EXACT = (
    "The exact loss at every weight pair of the grid: the model has only these two "
    "parameters, so this is the whole surface the optimizer walks on. Orange line: the path, "
    "from the start (circle) to now (star); x: the minimum."
)
EXPLAIN_RANDOM = (
    "A slice, not the whole surface: the loss along two random directions through the current "
    "weights (0, 0), each scaled neuron by neuron to the size of the weights (filter "
    "normalization, Li et al. 2018). The path is its shadow on this plane; it can look like it "
    "climbs where in the full space it descends."
)


def _cache():
    ss = st.session_state
    if "landscape_cache" not in ss:
        ss.landscape_cache = landscape.LandscapeCache(maxsize=8)
    return ss.landscape_cache


def options():
    """The landscape's view choices (drawn with the chart options, outside the live frame)."""
    c1, c2 = st.columns(2)
    style = c1.radio("Landscape view", ["contour", "surface"], horizontal=True,
                     key="ls_style", bind="query-params",
                     help="contour: seen from above; surface: a 3-D surface you can turn.")
    log_color = c2.toggle("Log colour scale", value=False, key="ls_log", bind="query-params")
    return style, log_color


def compute(run):
    """The Landscape to draw for ``run`` now (cached and rate-limited as the module says)."""
    ss = st.session_state
    trainer = run.trainer
    if trainer.model.n_params == 2:
        prev = ss.get("ls_ranges") if ss.get("ls_run") is run else None
        land = landscape.exact_landscape(trainer, previous=prev, cache=_cache())
        ss.ls_ranges, ss.ls_run = land.ranges, run
        return land
    last = ss.get("ls_random")
    fresh = (last is not None and last[0] is run and last[1] == trainer.step_count)
    if fresh:
        return last[2]
    due = last is None or last[0] is not run or time.perf_counter() - last[3] > (
        RANDOM_REFRESH_SECONDS)
    if run.playing and not due:
        return last[2]
    res = LIVE_RANDOM_RESOLUTION if run.playing else landscape.RANDOM_RESOLUTION
    view, res = affordable(trainer, res)
    land = landscape.random_landscape(view, resolution=res, seed=trainer.seed, cache=_cache())
    ss.ls_random = (run, trainer.step_count, land, time.perf_counter())
    return land


def affordable(trainer, resolution):
    """The trainer (or a view of it on fewer rows) and a grid resolution whose slice costs at
    most ``MAX_SLICE_WORK`` multiply-adds: a big net on many rows would otherwise stall the page
    for minutes. Rows are a fixed sample, so the picture does not flicker between redraws."""
    weights = trainer.model.n_params
    rows = trainer.train.X.shape[0]
    while resolution > MIN_RESOLUTION and weights * rows * resolution**2 > MAX_SLICE_WORK:
        resolution -= 4  # stays odd: the current weights stay on a grid node
    keep = int(min(rows, max(MIN_ROWS, MAX_SLICE_WORK // (weights * resolution**2))))
    if keep >= rows:
        return trainer, resolution
    sample = np.random.default_rng(0).choice(rows, keep, replace=False)
    view = SimpleNamespace(model=trainer.model, loss=trainer.loss, path=trainer.path,
                           train=trainer.train.subset(np.sort(sample)))
    return view, resolution


def draw(run):
    """Lay out the landscape row and its explanation; returns the column for the figure."""
    left, right = st.columns([3, 1])
    right.caption(EXPLAIN_EXACT if run.trainer.model.n_params == 2 else EXPLAIN_RANDOM)
    return left


def figure(run):
    """The landscape of ``run`` with its path, in the style chosen in the chart options."""
    ss = st.session_state
    style, log_color = ss.get("ls_style", "contour"), ss.get("ls_log", False)
    return charts_landscape.landscape_figure(compute(run), style, log_color)


def draw_compare(comparison):
    """Every compared run's path on one exact surface (two-parameter models only)."""
    trainers = comparison.trainers
    if any(t.model.n_params != 2 for t in trainers):
        st.caption("The landscape with every path is drawn for two-parameter models (a linear "
                   "model on one feature); the Train view shows a random slice for this one.")
        return
    if len({repr(t.loss) for t in trainers}) > 1 or len({t.model.l2 for t in trainers}) > 1:
        st.caption("These runs minimize different losses, so their paths share no landscape.")
        return
    base = landscape.exact_landscape(trainers[0], cache=_cache())
    paths = [landscape.thin(t.path()) for t in trainers]
    points = [base.path, *paths]
    ranges = landscape.grid_ranges(np.vstack(points))
    land = landscape.exact_landscape(trainers[0], ranges=ranges, cache=_cache())
    runs = []
    for k, (label, t, path) in enumerate(zip(comparison.labels, trainers, paths, strict=True)):
        values = landscape.loss_at(t.model, t.train.X, t.train.y, t.loss, path)
        colors = charts_landscape.RUN_COLORS
        runs.append((label, path, values, colors[k % len(colors)]))
    fig = charts_landscape.surface_figure(
        land.xs, land.ys, land.Z, runs, x_title=land.x_label, y_title=land.y_label,
        title="Every run's path on the same exact landscape", uirevision="compare-landscape",
    )
    st.plotly_chart(fig, config=PLOT_CONFIG, key="cmp_landscape")
