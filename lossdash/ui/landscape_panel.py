"""The loss landscape under the live charts, and every compared run's path on one surface.

A model with two parameters gets its exact landscape: the grid depends only on its ranges and
is cached, so a live frame computes only the path (from the frame's snapshot, never the
trainer itself). A larger model gets a filter-normalized random slice around its current
weights. That grid moves with the weights and costs up to ~0.5 s, so it is computed on its own
thread (:class:`Job`), from a copy of the weights, at most every ``RANDOM_REFRESH_SECONDS``
while the run plays (on a coarser grid, one thread: the other core trains) and once more at
full resolution when it pauses, ``SETTLE_SECONDS`` (the next slow tick) after the weights
last moved (so a burst of Step clicks is answered by the charts at once and pays for one
slice, not one per click); the panel shows the latest finished slice meanwhile. Neither the
training thread nor a click's rerun waits for it.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from lossdash.charts import landscape as charts_landscape
from lossdash.explore import landscape
from lossdash.ui import feed, live, state

RANDOM_REFRESH_SECONDS = 2.0  # a random-direction slice costs ~0.2-0.5 s: not every frame
LIVE_RANDOM_RESOLUTION = 21  # grid while playing; 41 (the centre on a node) when paused
MAX_SLICE_WORK = 4e9  # multiply-adds for one random slice: about half a second here
MIN_RESOLUTION = 13  # below this the slice says little; fewer rows are used instead
MIN_ROWS = 64
INLINE_WORK = 5e7  # a paused run's slice this small (~20 ms) is computed in the frame itself
SETTLE_SECONDS = 0.3  # a paused run's full slice waits this long after the weights last moved
HEIGHT = 480
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
    ss = feed.session()
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


def explanation(run):
    return EXPLAIN_EXACT if run.trainer.model.n_params == 2 else EXPLAIN_RANDOM


def trainer_at(run, snap):
    """A stand-in for the trainer at the snapshot: a private model copy with the snapshot's
    weights, the loss, the data, and the path recorded up to it."""
    trainer = run.trainer
    model = trainer.model.copy()
    model.theta[...] = snap.theta
    if trainer.track_params:
        recorded = np.asarray(snap.rows[:, len(snap.columns) - model.n_params:])
    else:
        recorded = np.array(snap.snaps[1]) if snap.snaps and snap.snaps[1] else \
            np.zeros((0, model.n_params))
    path = np.vstack([recorded, snap.theta[None, :]])
    return SimpleNamespace(model=model, loss=trainer.loss, train=trainer.train,
                           path=lambda: path, seed=trainer.seed)


_VERSIONS = itertools.count()


@dataclass
class Job:
    """The random slice of one run: the latest finished one, and the thread computing the next."""

    result: object = None  # landscape.Landscape
    version: int = -1  # a number no other slice of the session has had (figures cache on it)
    step: int = -1  # the step it was computed at
    resolution: int = 0
    started: float = -np.inf
    seen_step: int = -1  # the latest step the panel was drawn at
    seen_at: float = -np.inf  # when it was first drawn at that step
    thread: threading.Thread | None = None
    computing: int = -1  # the step the thread computes a slice at
    cancel: threading.Event = field(default_factory=threading.Event)  # stops that thread
    error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def busy(self):
        return self.thread is not None and self.thread.is_alive()


def _compute(job, view, resolution, step, cache, threads=landscape.THREADS, cancel=None):
    try:
        view, resolution = affordable(view, resolution)
        land = landscape.random_landscape(view, resolution=resolution, seed=view.seed,
                                          cache=cache, threads=threads, cancel=cancel)
    except landscape.Cancelled:  # the weights moved on (another Step): a newer slice follows
        return
    except Exception as err:  # shown in the panel; never a dead thread with a traceback
        with job.lock:
            job.error = f"{type(err).__name__}: {err}"
        return
    with job.lock:
        job.result, job.step, job.resolution, job.error = land, step, resolution, None
        job.version = next(_VERSIONS)


def random_slice(run, snap):
    """The latest random slice of ``run`` (None before the first one is done); starts the
    next one when the weights have moved and the last one is old enough (playing) or the
    weights have stayed put for ``SETTLE_SECONDS`` (paused)."""
    if run.landscape is None or run.landscape.step > snap.step:  # new run, or reset
        run.landscape = Job()
    job = run.landscape
    now = time.perf_counter()
    if snap.step != job.seen_step:
        job.seen_step, job.seen_at = snap.step, now
    want = LIVE_RANDOM_RESOLUTION if run.playing else landscape.RANDOM_RESOLUTION
    stale = job.step != snap.step or job.resolution < want
    work = run.trainer.model.n_params * run.train.X.shape[0] * want**2
    inline = not run.playing and work <= INLINE_WORK  # quicker than a timer's round trip
    if run.playing:
        due = now - job.started > RANDOM_REFRESH_SECONDS
    else:
        due = inline or now - job.seen_at >= SETTLE_SECONDS
    if not run.playing and job.busy() and job.computing != snap.step:
        job.cancel.set()  # a paused run stepped on: that slice would be stale, and it takes
        job.thread.join(0.25)  # the core the click's rerun needs (it stops within one chunk)
    if stale and due and not job.busy():
        job.started, job.computing, job.cancel = now, snap.step, threading.Event()
        args = (job, trainer_at(run, snap), want, snap.step, _cache(),
                1 if run.playing else landscape.THREADS, job.cancel)
        if inline:
            _compute(*args)
        else:
            job.thread = threading.Thread(target=_compute, args=args, name="lossdash-landscape",
                                          daemon=True)
            job.thread.start()
    return job.result


def settled(run):
    """Does the panel show the final picture of a paused run? (An exact landscape always; a
    random slice once the one at full resolution for the current step is done.)"""
    if run.trainer.model.n_params == 2:
        return True
    job = run.landscape
    return (job is not None and not job.busy() and job.step == run.trainer.step_count
            and (job.resolution >= landscape.RANDOM_RESOLUTION or job.error is not None))


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
                           train=trainer.train.subset(np.sort(sample)),
                           seed=getattr(trainer, "seed", 0))
    return view, resolution


def compute(run, snap):
    """The Landscape to draw for ``run`` at ``snap`` (None while the first slice computes)."""
    if run.trainer.model.n_params == 2:
        ss = feed.session()
        prev = ss.get("ls_ranges") if ss.get("ls_run") is run else None
        land = landscape.exact_landscape(trainer_at(run, snap), previous=prev, cache=_cache())
        ss.ls_ranges, ss.ls_run = land.ranges, run
        return land
    return random_slice(run, snap)


def figure(run, snap):
    """The landscape of ``run`` with its path, in the style chosen in the chart options."""
    ss = feed.session()
    style, log_color = ss.get("ls_style", "contour"), ss.get("ls_log", False)
    land = compute(run, snap)
    if land is not None:  # the figure is cached on what it shows (~30 ms to build)
        shows = ((run.generation, snap.step) if run.trainer.model.n_params == 2
                 else run.landscape.version)
        return state.built(run, "landscape", (shows, style, log_color),
                           lambda: charts_landscape.landscape_figure(land, style, log_color))
    job = run.landscape
    text = (f"the landscape could not be computed ({job.error})" if job and job.error
            else "computing the landscape around the current weights...")
    return go.Figure(layout={"title": {"text": "Loss landscape", "x": 0.01},
                             "annotations": [{"text": text, "showarrow": False,
                                              "xref": "paper", "yref": "paper",
                                              "x": 0.5, "y": 0.5}],
                             "xaxis": {"visible": False}, "yaxis": {"visible": False}})


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
    diverged = [t.status == "diverged" for t in trainers]  # framed on the others
    ranges = landscape.grid_ranges(landscape.framed_points(paths, diverged, base.minimum))
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
    live.chart("cmp_landscape", fig, HEIGHT)
