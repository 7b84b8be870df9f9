"""The Search view: many whole runs of the sidebar's setup, a few settings drawn for each.

The choices (what to vary and over what, how many trials, random or grid, where to run) are
widgets bound to the URL. Start builds a :class:`lossdash.explore.search.Search` and runs it on a
thread of its own, so the page never waits: a fragment polls it on a timer and draws the progress,
the charts and the table from the rows finished so far. Cancel, a new Start, or the browser
session ending (``state.session_alive``) stops it and its worker processes.

The Dask scheduler address is a server setting (``LOSSDASH_DASK_SCHEDULER``), never a page
field: the server would run code the scheduler sends it, so a visitor must not pick the host.
"""

from __future__ import annotations

import math
import os

import streamlit as st

from lossdash import models, optimizers
from lossdash.charts import search as charts
from lossdash.explore import search
from lossdash.explore.search import Range
from lossdash.ui import fragments, live, state
from lossdash.ui.sidebar import BATCH_SIZES, LR_GRID

URL = "query-params"
TICK_SECONDS = 0.5  # progress and results redraw this often while a search runs
SCHEDULER_ENV = "LOSSDASH_DASK_SCHEDULER"
MAX_UI_TRIALS = 1000
FIELDS = {  # the settings the view can vary -> their label
    "lr": "learning rate",
    "batch_size": "batch size",
    "optimizer": "optimizer",
    "momentum": "momentum",
    "l2": "L2 penalty",
    "hidden": "hidden layers",
    "activation": "activation",
    "seed": "seed",
}
DEFAULT_FIELDS = ["lr", "batch_size", "optimizer"]
HIDDEN_CHOICES = ["4", "8", "16", "32", "8,8", "16,16", "32,32"]
L2_GRID = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]


def scheduler_address():
    """The Dask scheduler this server may use, from its environment ("" if none)."""
    return os.environ.get(SCHEDULER_ENV, "").strip()


def _fmt_batch(b):
    return "full" if b == 0 else str(b)


# --------------------------------------------------------------------------- the space
def _range_widget(container, name):
    """A range or a list of choices for one field (widget keys ``search_<field>``)."""
    key = f"search_{name}"
    if name == "lr":
        lo, hi = container.select_slider("Learning rate (log-uniform)", LR_GRID,
                                         value=(1e-4, 10.0), key=key, bind=URL,
                                         format_func="{:g}".format)
        return Range(lo, hi) if lo < hi else [lo]
    if name == "l2":
        lo, hi = container.select_slider("L2 penalty (log-uniform)", L2_GRID,
                                         value=(1e-5, 1e-1), key=key, bind=URL,
                                         format_func="{:g}".format)
        return Range(lo, hi) if lo < hi else [lo]
    if name == "momentum":
        lo, hi = container.slider("Momentum (uniform)", 0.0, 0.99, (0.5, 0.99), 0.01, key=key,
                                  bind=URL)
        return Range(lo, hi) if lo < hi else [lo]
    if name == "seed":
        n = container.number_input("Seeds (0 to n-1)", 1, 100, 3, key=key, bind=URL)
        return list(range(int(n)))
    options, default, fmt = {
        "batch_size": (BATCH_SIZES, [0, 8, 32], _fmt_batch),
        "optimizer": (optimizers.names(), ["sgd", "momentum", "adam"], str),
        "hidden": (HIDDEN_CHOICES, ["8", "8,8"], str),
        "activation": (list(models.ACTIVATIONS), list(models.ACTIVATIONS)[:2], str),
    }[name]
    return container.multiselect(FIELDS[name].capitalize(), options, default=default, key=key,
                                 bind=URL, format_func=fmt)


def space_widgets(cfg):
    """The fields to vary and their ranges, as a search space (empty choices left out)."""
    offered = [f for f in FIELDS if f != "hidden" or cfg.model == "mlp"]
    names = st.multiselect("Settings to vary", offered, default=DEFAULT_FIELDS,
                           key="search_fields", bind=URL, format_func=FIELDS.get,
                           help="Every other setting is the sidebar's.")
    space = {}
    columns = st.columns(3)
    for i, name in enumerate(names):
        dim = _range_widget(columns[i % 3], name)
        if isinstance(dim, Range) or dim:
            space[name] = dim
    return space


def run_widgets():
    """Number of trials, random or grid, seed of the draws, where to run: a dict."""
    address = scheduler_address()
    where = {"cores": f"this machine ({search.default_workers()} processes)",
             "thread": "one background thread"}
    if address:
        where["dask"] = f"Dask cluster at {address}"
    c = st.columns([1, 1, 1, 2])
    n = c[0].number_input("Trials", 1, MAX_UI_TRIALS, 32, key="search_trials", bind=URL,
                          help="Grid: at most this many (each range gets as many points as fit).")
    method = c[1].radio("Method", list(search.METHODS), key="search_method", bind=URL,
                        horizontal=True)
    seed = c[2].number_input("Seed of the draws", 0, 2**31 - 1, 0, key="search_seed", bind=URL)
    choice = c[3].radio("Run on", list(where), format_func=where.get, key="search_where",
                        bind=URL, help=f"A Dask cluster is offered when the server was started "
                        f"with {SCHEDULER_ENV}=tcp://host:8786.")
    executor = {"cores": None, "thread": "sequential", "dask": address}[choice]
    return {"n_trials": int(n), "method": method, "seed": int(seed), "executor": executor}


# --------------------------------------------------------------------------- start and stop
def _stop_when_closed():
    alive = state.session_alive()
    return None if alive is None else (lambda: not alive())


def start(cfg, run, space, options):
    """Cancel the session's search, if any, and start a new one in the background."""
    ss = st.session_state
    if ss.search is not None:
        ss.search.cancel()
    if not space:
        st.error("Pick at least one setting to vary, and give it at least one value.")
        return
    try:
        ss.search = search.Search((cfg, run.dataset), space, should_stop=_stop_when_closed(),
                                  **options).start_background()
    except ValueError as err:
        st.error(f"This search cannot start: {err}")


def _cancel():
    if st.session_state.search is not None:
        st.session_state.search.cancel()


def _use_best(settings, label):
    """Button callback: the trial's settings go into the sidebar's widgets before they draw."""
    ss = st.session_state
    for name, value in settings.items():
        ss[name] = value
    ss.search_applied = label
    st.rerun()  # the whole page, not the view: the sidebar shows them, the run is rebuilt


# --------------------------------------------------------------------------- results
def _progress_text(s):
    done = f"{s.n_done} of {s.n_trials} trials done"
    if s.done:
        verb = "cancelled" if s.cancelled else "finished"
        return f"{done}; {verb} in {s.elapsed():.1f} s."
    eta = s.eta()
    left = "estimating the time left" if eta is None else f"about {math.ceil(eta)} s left"
    return f"{done} · {s.elapsed():.0f} s · {left}"


def _best_settings(s, table):
    """(settings, label) of the best finished trial, or None when none finished well."""
    best = charts.ranked(table).iloc[0]
    if not math.isfinite(best[charts.loss_column(table)]):
        return None
    changes = {name: best[name].item() if hasattr(best[name], "item") else best[name]
               for name in s.fields}
    keep = {k: v for k, v in s.data.cfg.to_dict().items() if k not in search.DATA_FIELDS}
    shown = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                      for k, v in changes.items())
    return {**keep, **changes}, f"trial {int(best['trial'])} ({shown})"


def results(s):
    table = s.table()
    if table.empty:
        return
    # One under the other: side by side, a 1024 px screen with the sidebar open leaves each
    # about 300 px, where the legend covers the title and the parallel axes' labels collide.
    live.chart("search_lr_chart", charts.lr_vs_loss(table, s.fields))
    live.chart("search_parallel", charts.parallel(table, s.fields, s.metric))
    best = _best_settings(s, table)
    if best is not None:
        st.button(f"Use best: {best[1]}", on_click=_use_best, args=best, type="primary",
                  icon=":material/check:", key="search_use_best",
                  help="Put this trial's settings into the sidebar (open Train to watch it).")
    st.dataframe(charts.ranked(table), hide_index=True, width="stretch", key="search_table",
                 column_config={
                     "lr": st.column_config.NumberColumn(format="%.3g"),
                     "train_loss": st.column_config.NumberColumn("train loss", format="%.4g"),
                     "val_loss": st.column_config.NumberColumn("val loss", format="%.4g"),
                     "seconds": st.column_config.NumberColumn(format="%.2f"),
                     "epochs": st.column_config.NumberColumn(format="%.1f"),
                 })


def progress(s, ticking):
    """Progress, Cancel and results; while ``ticking``, rerun as a whole once it ends (so the
    timer stops and the view shows the finished state)."""
    if ticking and s.done:
        st.rerun()
    c = st.columns([3, 1], vertical_alignment="bottom")
    c[0].progress(s.n_done / max(s.n_trials, 1), text=_progress_text(s))
    c[1].button("Cancel", on_click=_cancel, disabled=s.done, icon=":material/stop:",
                key="search_cancel", width="stretch")
    if s.error:
        st.error(f"The search stopped: {s.error}")
    results(s)


def render(cfg, run):
    ss = st.session_state
    if run is None or cfg is None:
        st.info("Set up a run in the sidebar first.")
        return
    st.subheader("Search the settings")
    st.caption("Many whole runs of the sidebar's setup, each with the settings below drawn at "
               "random (or on a grid), trained to the end on the same data; the rest of the app "
               "stays usable while they run.")
    if ss.search_applied:
        st.success(f"The sidebar now holds the settings of {ss.search_applied}. "
                   "Open Train and press Play to watch it.", icon=":material/check:")
        ss.search_applied = None
    space = space_widgets(cfg)
    options = run_widgets()
    if st.button("Start the search", type="primary", icon=":material/play_arrow:",
                 key="search_start"):
        start(cfg, run, space, options)
    s = ss.search
    if s is None:
        st.info("Pick what to vary, then press Start.")
        return
    ticking = not s.done
    fragments.fragment(progress, run_every=TICK_SECONDS if ticking else None)(s, ticking)
