"""Compare runs side by side, and find the learning rate (range test and sweep).

Everything here starts from the sidebar's setup: a comparison changes a few settings of it, the
LR finder and the sweep vary its learning rate. Their choices are bound to the URL like the rest.
"""

from __future__ import annotations

import itertools
import time

import streamlit as st

from lossdash import config, optimizers
from lossdash.charts import compare as charts_compare
from lossdash.charts import training as charts
from lossdash.explore import compare, lrfind
from lossdash.ui import fragments, guard, landscape_panel, live, stability_view
from lossdash.ui.sidebar import LR_GRID
from lossdash.ui.text import inert

URL = "query-params"
TICK_SECONDS = 0.25


@guard.callback("Using the learning rate")
def _use_lr(lr):
    """Button callback: put ``lr`` into the sidebar's learning rate (before it is drawn)."""
    st.session_state["lr"] = float(f"{lr:.3g}")
    st.rerun()  # the whole page, not the view: the sidebar shows the rate, the run is rebuilt


# --------------------------------------------------------------------------- compare
def variants_from_choices(cfg, opts, lrs, loss_names, batches, line_search):
    """Every combination of the chosen settings, as changed-field dicts.

    A setting the user varies stays in every variant (so each label names it, "sgd" beside
    "adam"); one left empty is the sidebar's value and stays out of the labels.
    """
    choices = {"optimizer": opts, "lr": lrs, "loss": loss_names, "batch_size": batches}
    varied = [k for k, v in choices.items() if v]
    grid = itertools.product(*(choices[k] for k in varied))
    variants = [dict(zip(varied, combo, strict=True)) for combo in grid] or [{}]
    if line_search:
        variants.append({"optimizer": "sgd", "batch_size": 0, "line_search": True})
    return variants


@guard.fragment("The comparison")
def compare_section(cfg, run):
    ss = st.session_state
    st.subheader("Compare runs")
    st.caption("Every run starts from the same initial weights and sees the same batches as the "
               "sidebar's setup; only what you pick here differs.")
    loss_options = config.compatible_losses(run.train)
    c = [*st.columns(2), *st.columns(2)]  # two rows: four in one cut the chosen names short
    opts = c[0].multiselect("Optimizers", optimizers.names(), default=["sgd", "adam"],
                            key="cmp_optimizers", bind=URL)
    lrs = c[1].multiselect("Learning rates", LR_GRID, default=[], key="cmp_lrs", bind=URL,
                           format_func="{:g}".format,
                           help="Empty: the sidebar's learning rate.")
    losses_ = c[2].multiselect("Losses", loss_options, default=[], key="cmp_losses", bind=URL,
                               help="Empty: the sidebar's loss.")
    batches = c[3].multiselect("Batch sizes", [0, 1, 8, 16, 32, 64, 128], default=[],
                               key="cmp_batches", bind=URL,
                               format_func=lambda b: "full" if b == 0 else str(b),
                               help="Empty: the sidebar's batch size.")
    line_search = st.checkbox("Add a full-batch gradient descent run with Armijo line search",
                              key="cmp_line_search", bind=URL)
    variants = variants_from_choices(cfg, opts, lrs, losses_, batches, line_search)
    n = len(variants)
    if n > compare.MAX_RUNS:
        st.error(f"These choices make {n} runs; compare at most {compare.MAX_RUNS} at a time "
                 "(pick fewer optimizers, rates, losses or batch sizes).")
        return
    b = st.container(horizontal=True, gap="small")  # each button as wide as its label
    start = b.button(f"Start {n} run{'s' * (n > 1)}", type="primary",
                     icon=":material/play_arrow:")
    comp = ss.compare
    playing = ss.get("cmp_playing", False)
    pause = b.button("Pause", disabled=comp is None or not playing, icon=":material/pause:")
    resume = b.button("Resume", disabled=comp is None or playing or comp.done,
                      icon=":material/play_arrow:")
    if start:
        pinned = comp.pinned if comp is not None else []
        try:
            comp = compare.Comparison(cfg, variants, run.train, run.val, pinned=pinned)
        except (config.ConfigError, ValueError) as err:
            st.error(f"Cannot build these runs: {inert(err)}")
            return
        ss.compare, playing = comp, True
    if pause:
        playing = False
    if resume:
        playing = True
    ss.cmp_playing = playing
    if comp is None:
        st.info("Pick what to vary, then press Start.")
        return
    fragments.fragment(_compare_live, run_every=TICK_SECONDS if playing else None)(comp)
    finished = [i for i, t in enumerate(comp.trainers) if t.done or not playing]
    if finished:
        p = st.columns([3, 1], vertical_alignment="bottom")
        which = p[0].selectbox("Keep a run to show under the next comparison", finished,
                               format_func=lambda i: comp.labels[i], key="cmp_pin_choice")
        if p[1].button("Pin run", icon=":material/push_pin:"):
            comp.pin(which)
            st.toast(f"Pinned {comp.labels[which]}")
    d = st.columns([3, 1], vertical_alignment="bottom")
    pick = d[0].selectbox("History of run", range(len(comp.labels)),
                          format_func=lambda i: comp.labels[i], key="cmp_csv_choice")
    d[1].download_button("Download CSV", data=lambda: charts.history_csv(
        comp.trainers[pick].history), file_name=f"lossdash_run_{pick + 1}.csv",
        mime="text/csv", icon=":material/download:", on_click="ignore")


NUMBER = "%.4g"  # 21454193705 reads 2.145e+10, never a clipped 93705
RESULT_FORMATS = {
    "status": st.column_config.TextColumn(width=100),  # "max_epochs" whole, even on a phone
    "epoch": st.column_config.NumberColumn(format="%.1f"),
    "train loss": st.column_config.NumberColumn(format=NUMBER),
    "val loss": st.column_config.NumberColumn(format=NUMBER),
}


def results_table(results, metric_name, on_val):
    """``Comparison.results()`` with headers a reader knows: the metric named ("val R²",
    "train accuracy"), losses with a space, ``label`` as "run"."""
    metric = f"{'val' if on_val else 'train'} {metric_name}"
    return results.rename(columns={"label": "run", "train_loss": "train loss",
                                   "val_loss": "val loss", "metric": metric})


def _stop_comparing(comp):
    st.session_state.cmp_playing = False  # a failed frame must not fail again every tick


@guard.fragment("The compared runs", on_error=_stop_comparing)
def _compare_live(comp):
    ss = st.session_state
    if ss.get("cmp_playing") and not comp.done:
        comp.step_all(TICK_SECONDS * 0.7)
        if comp.done:
            ss.cmp_playing = False
            st.rerun()  # the whole view: Resume and Pin show the finished state
    live.chart("cmp_curves", charts_compare.compare_curves(
        comp.histories(), comp.pinned, y="train_loss", x="epoch", log_y=True))
    # Under the chart at full width: labels, statuses and losses of 1e10 are read whole.
    table = results_table(comp.results(), comp.metric_name(), comp.val is not None)
    formats = {**RESULT_FORMATS, table.columns[-1]: st.column_config.NumberColumn(format=NUMBER)}
    st.dataframe(table, hide_index=True, width="stretch", column_config=formats)
    landscape_panel.draw_compare(comp)
    if not ss.get("cmp_playing") and comp.done:
        st.caption("All runs finished.")


# --------------------------------------------------------------------------- LR finder
def lr_range(columns, prefix, low):
    """'From' and 'To' learning-rate sliders (URL keys ``<prefix>_min``/``_max``), or None
    after an error when they are the wrong way round."""
    lo = columns[0].select_slider("From", LR_GRID, value=low, key=f"{prefix}_min", bind=URL,
                                  format_func="{:g}".format)
    hi = columns[1].select_slider("To", LR_GRID, value=10.0, key=f"{prefix}_max", bind=URL,
                                  format_func="{:g}".format)
    if lo >= hi:
        st.error("'From' must be below 'To'.")
        return None
    return lo, hi


@guard.fragment("The learning-rate range test")
def lr_finder_section(cfg, run):
    ss = st.session_state
    st.subheader("Learning-rate range test")
    st.caption("One short run from the initial weights with the learning rate growing "
               "exponentially (Smith, 2017). The loss falls fastest a little below the rate where "
               "it blows up; the suggestion is the rate at the smoothed minimum, divided by 10.")
    c = st.columns(3)
    steps = c[2].number_input("Steps", 20, 1000, 100, 10, key="lrf_steps", bind=URL)
    span = lr_range(c, "lrf", 1e-5)
    if span is None:
        return
    lo, hi = span
    if st.button("Run the range test", icon=":material/search:"):
        ss.lr_find = lrfind.lr_find(run.trainer, lr_min=lo, lr_max=hi, n_steps=int(steps))
    result = ss.lr_find
    if result is not None:
        line = stability_view.start_line(cfg, run.dataset, run.key[0])[1]
        live.chart("lrf_chart", charts_compare.stability_marker(
            charts_compare.lr_finder_chart(result), line))
        st.caption(result.reason)
        if result.suggestion == result.suggestion:  # not NaN
            st.button(f"Use {result.suggestion:.3g}", on_click=_use_lr,
                      args=(result.suggestion,), icon=":material/check:")


def sweep_edge_note(result):
    """What to do when the best rate of a sweep is its smallest or largest: the best may lie
    outside the range tried. None when it lies inside (or nothing converged)."""
    best, k = result.best_index, len(result.lrs)
    if best is None or k < 2 or 0 < best < k - 1:
        return None
    rate = f"{result.lrs[best]:.3g}"
    if best == 0:
        return (f"The best rate, {rate}, is the smallest one tried: a smaller rate may be "
                "better still. Move 'From' lower and run the sweep again.")
    return (f"The best rate, {rate}, is the largest one tried: a larger rate may be better "
            "still. Move 'To' higher and run the sweep again.")


@guard.fragment("The learning-rate sweep")
def sweep_section(cfg, run):
    ss = st.session_state
    st.subheader("Learning-rate sweep")
    st.caption("K learning rates on a log grid, each trained for E epochs from the same weights "
               "with the same batches, all at once (the runs are an extra array axis).")
    c = st.columns(4)
    k = c[2].number_input("Rates (K)", 2, 64, 16, key="sw_k", bind=URL)
    epochs = c[3].number_input("Epochs (E)", 1, 2000, 30, key="sw_epochs", bind=URL)
    span = lr_range(c, "sw", 1e-4)
    if span is None:
        return
    lo, hi = span
    if st.button("Run the sweep", icon=":material/tune:"):
        t0 = time.perf_counter()
        with st.spinner("Training every rate..."):
            ss.sweep = lrfind.sweep(run.trainer, epochs=int(epochs), lr_min=lo, lr_max=hi,
                                    k=int(k))
        ss.sweep_seconds = time.perf_counter() - t0
    result = ss.sweep
    if result is not None:
        line = stability_view.start_line(cfg, run.dataset, run.key[0])[1]
        live.chart("sw_chart", charts_compare.stability_marker(
            charts_compare.sweep_chart(result), line))
        n_div = int(result.diverged.sum())
        st.caption(f"{len(result.lrs)} rates x {result.epochs} epochs in "
                   f"{ss.get('sweep_seconds', 0):.2f} s; {n_div} diverged (marked x).")
        note = sweep_edge_note(result)
        if note:
            st.warning(note, icon=":material/warning:")
        best = result.best_lr
        if best == best:
            st.button(f"Use the best rate, {best:.3g}", on_click=_use_lr, args=(best,),
                      icon=":material/check:", key="sw_use")


def render(view, cfg, run):
    if run is None or cfg is None:
        st.info("Set up a run in the sidebar first.")
        return
    st.caption(f"Setup: {run.train.n_samples} training rows, loss {cfg.loss}, "
               f"optimizer {cfg.optimizer}, lr {cfg.lr:g}, "
               f"{'full batch' if not cfg.batch_size else f'batch {cfg.batch_size}'}.")
    if view == "Compare":
        compare_section(cfg, run)
    else:
        lr_finder_section(cfg, run)
        st.divider()
        sweep_section(cfg, run)
