"""Figures for comparing runs and choosing a learning rate: results in, ``go.Figure`` out.

- :func:`compare_curves`: the loss curves of several runs overlaid, one colour each, the legend
  naming each run's settings; pinned runs from an earlier comparison are dashed.
- :func:`sweep_chart`: final loss against learning rate (log x) for an LR sweep; diverged runs
  are drawn as an ``x`` on the top edge (never as NaN or as a huge value), the best rate starred.
- :func:`lr_finder_chart`: the LR range test, loss and smoothed loss against the rate (log x),
  the suggested rate marked by a vertical line with a note.

Same conventions as :mod:`lossdash.charts` (Okabe-Ito colours, no non-finite value in a trace,
decimated long histories, legend above the plot).
"""

from __future__ import annotations

import math

import numpy as np

from lossdash.charts import base

PINNED_DASH = "dash"
DIVERGED_COLOR = "#D55E00"  # vermillion: the palette's warning colour
BEST_COLOR = "#009E73"  # bluish green
TOP_MARGIN = 1.6  # diverged markers sit this factor (log y) above the highest finite loss
Y_COLUMNS = {"train_loss": "train loss", "val_loss": "val loss", "loss": "batch loss"}


def _run_trace(label, history, x, y, color, log_y, dash=None):
    """One run's curve: evaluation rows for train/val loss, every step for the batch loss."""
    rows = history if y == "loss" else base.eval_rows(history)
    if y not in rows.columns or rows.empty:
        return None
    rows = base.decimate(rows[[x, y]], by=y)
    xs, ys = base.finite(rows[x], rows[y], positive=log_y)
    line = {"color": color, "dash": dash} if dash else {"color": color}
    return {"type": "scatter", "x": xs, "y": ys, "name": label, "mode": "lines", "line": line}


def compare_curves(runs, pinned=(), y="train_loss", x="epoch", log_y=False):
    """Loss curves of several runs on one chart.

    Parameters
    ----------
    runs : sequence of (label, history DataFrame)
        The live runs (``Comparison.histories()``); run ``i`` gets ``base.OKABE_ITO[i]``.
    pinned : sequence of PinnedRun or (label, history)
        Earlier runs, drawn dashed after the live ones and named "<label> (pinned)".
    y : {"train_loss", "val_loss", "loss"}
        Which loss: full-set train or val loss (at evaluation rows) or the per-step batch loss.
    x : {"epoch", "step"}
        Epoch is the fair axis when batch sizes differ.
    log_y : bool
        Log-scale loss axis (values <= 0 are dropped).
    """
    col = base.x_column(x)
    if y not in Y_COLUMNS:
        raise ValueError(f"compare_curves draws {', '.join(Y_COLUMNS)}, not {y!r}")
    y_title = f"{Y_COLUMNS[y]} (log scale)" if log_y else Y_COLUMNS[y]
    layout = base.plot_layout(f"Runs compared: {Y_COLUMNS[y]}", col, y_title,
                              yaxis={"type": "log" if log_y else "linear"},
                              uirevision=f"compare-{col}-{y}-{log_y}")
    pinned = [(p.label, p.history) if hasattr(p, "history") else tuple(p) for p in pinned]
    entries = [(label, h, None) for label, h in runs]
    entries += [(f"{label} (pinned)", h, PINNED_DASH) for label, h in pinned]
    data = []
    for i, (label, history, dash) in enumerate(entries):
        trace = _run_trace(label, history, col, y, base.palette(i), log_y, dash)
        if trace is not None and len(trace["x"]):
            data.append(trace)
    if not data:
        return base.empty(layout, "no steps yet: press Train")
    if len(data) > base.MANY_ENTRIES:
        base.legend_below(layout)
    return base.figure(data, layout)


def sweep_chart(result, log_y=True):
    """Final training loss against learning rate for an LR sweep.

    Traces: ``"final loss"`` (runs that did not diverge, line and markers), ``"diverged"``
    (an ``x`` per diverged run at ``TOP_MARGIN`` times the highest finite loss: on the chart,
    out of the way, and never NaN), ``"best"`` (a star at the lowest final loss).

    Parameters
    ----------
    result : lossdash.lrfind.SweepResult
    log_y : bool
        Log-scale loss axis (losses <= 0 then count as not plottable and are dropped).
    """
    layout = base.plot_layout(f"LR sweep: training loss after {result.epochs} epochs",
                              "learning rate (log scale)",
                              "final train loss" + (" (log)" if log_y else ""),
                              xaxis={"type": "log"}, yaxis={"type": "log" if log_y else "linear"})
    lrs = np.asarray(result.lrs, dtype=float)
    loss = np.asarray(result.final_loss, dtype=float)
    bad = np.asarray(result.diverged, dtype=bool)
    ok = ~bad & np.isfinite(loss) & ((loss > 0) if log_y else True)
    data = []
    if ok.any():
        data.append({"type": "scatter", "x": lrs[ok], "y": loss[ok], "name": "final loss",
                     "mode": "lines+markers", "line": {"color": base.COLORS["train"]},
                     "marker": {"size": 6}})
    if bad.any():
        top = _top_edge(loss[ok], log_y)
        data.append({"type": "scatter", "x": lrs[bad], "y": np.full(int(bad.sum()), top),
                     "name": "diverged", "mode": "markers",
                     "marker": {"symbol": "x", "size": 10, "color": DIVERGED_COLOR},
                     "hovertemplate": "lr=%{x:.3g}: diverged<extra></extra>"})
    best = result.best_index
    if best is not None and ok[best]:
        data.append({"type": "scatter", "x": [lrs[best]], "y": [loss[best]],
                     "name": f"best: lr={lrs[best]:.3g}", "mode": "markers",
                     "marker": {"symbol": "star", "size": 16, "color": BEST_COLOR,
                                "line": {"color": "#000000", "width": 1}}})
    if not data:
        return base.empty(layout, "no finished sweep")
    return base.figure(data, layout)


def _top_edge(finite_losses, log_y):
    """A y value just above the highest finite loss (1 when there is none)."""
    if finite_losses.size == 0:
        return 1.0
    high, low = float(finite_losses.max()), float(finite_losses.min())
    if log_y:
        return high * TOP_MARGIN
    return high + 0.1 * max(high - low, abs(high), 1e-12)


def finder_y_range(losses, smoothed, pad=0.05):
    """The loss axis of the range test: ``[low, high]`` widened by ``pad`` of its span.

    ``low`` is the lowest loss of either curve (neither is cut at the bottom, where the
    useful part is); ``high`` the highest of either curve up to the smoothed minimum, so the
    final blow-up runs off the top instead of flattening everything below it. None when the
    smoothed curve has no finite value.
    """
    losses, smoothed = np.asarray(losses, float), np.asarray(smoothed, float)
    ok = np.isfinite(smoothed)
    if not ok.any():
        return None
    best = int(np.flatnonzero(ok)[np.argmin(smoothed[ok])])
    before = np.concatenate([smoothed[: best + 1], losses[: best + 1]])
    everything = np.concatenate([smoothed, losses])
    low = float(np.min(everything[np.isfinite(everything)]))
    high = float(np.max(before[np.isfinite(before)]))
    margin = pad * max(high - low, 1e-12)
    return [low - margin, high + margin]


def lr_finder_chart(result):
    """LR range test: batch loss and smoothed loss against the learning rate (log x).

    Traces ``"loss"`` (faint) and ``"smoothed loss"``; the suggested rate, when there is one,
    is a vertical dashed line with a note ``"suggested lr = 0.0423"``. The y range is
    :func:`finder_y_range`: both curves whole at the bottom, the final blow-up cut at the top.

    Parameters
    ----------
    result : lossdash.lrfind.LRFindResult
    """
    layout = base.plot_layout("Learning-rate finder", "learning rate (log scale)", "loss",
                              xaxis={"type": "log"})
    lrs, losses, smoothed = (np.asarray(a, dtype=float)
                             for a in (result.lrs, result.losses, result.smoothed))
    if lrs.size == 0:
        return base.empty(layout, "the test took no step: the smallest rate already diverged")
    x, y = base.finite(lrs, losses)
    data = [{"type": "scatter", "x": x, "y": y, "name": "loss", "mode": "lines",
             "line": {"color": base.COLORS["batch"]}, "opacity": 0.45}]
    x, y = base.finite(lrs, smoothed)
    data.append({"type": "scatter", "x": x, "y": y, "name": "smoothed loss", "mode": "lines",
                 "line": {"color": base.COLORS["smoothed"]}})
    span = finder_y_range(losses, smoothed)
    if span is not None:
        layout["yaxis"]["range"] = span
    if math.isfinite(result.suggestion):
        # A line from the bottom to the top of the plot area at the rate, and the note at its
        # top, to its left. A shape's x is the rate; an annotation's x on a log axis is its
        # log10 (add_vline, used before, put the note at 10**lr: at 10 for a suggestion of 1).
        lr = result.suggestion
        layout["shapes"] = [{"type": "line", "xref": "x", "x0": lr, "x1": lr,
                             "yref": "y domain", "y0": 0, "y1": 1,
                             "line": {"color": BEST_COLOR, "dash": "dash"}}]
        layout["annotations"] = [{"text": f"suggested lr = {lr:.3g}", "showarrow": False,
                                  "xref": "x", "x": math.log10(lr), "xanchor": "right",
                                  "yref": "y domain", "y": 1, "yanchor": "top"}]
    return base.figure(data, layout)


def stability_marker(fig, lr_max):
    """Mark the stability line on a learning-rate chart: rates right of ``lr_max`` (2/λmax for
    plain GD) overshoot along the sharpest direction. Returns ``fig`` (unchanged if None)."""
    if lr_max is None or not math.isfinite(lr_max):
        return fig
    fig.add_vline(x=lr_max, line={"color": DIVERGED_COLOR, "dash": "dot"})
    # An annotation on a log axis takes log10(x) (a shape takes x itself).
    x = math.log10(lr_max) if fig.layout.xaxis.type == "log" else lr_max
    fig.add_annotation(x=x, y=0.5, xref="x", yref="paper", xanchor="left", showarrow=False,
                       text=f"stable below ~{lr_max:.3g}<br>(2/λmax)",
                       font={"color": DIVERGED_COLOR, "size": 11})
    return fig
