"""Figures of a settings search: its table (one row per trial) in, ``go.Figure`` out.

- :func:`lr_vs_loss`: final loss against learning rate (log x, log y), one colour per optimizer;
  trials that diverged or failed are an ``x`` on the top edge, the best trial a star.
- :func:`parallel`: every trial as one line across parallel axes (each varied setting, then the
  final loss and the metric), coloured by the loss. Rates and losses sit on log10 axes labelled
  with the values themselves; choices (optimizer, ...) get one tick each.

Same conventions as the other chart modules (Okabe-Ito colours, no non-finite value in a trace).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lossdash.charts import base
from lossdash.charts.compare import BEST_COLOR, DIVERGED_COLOR, TOP_MARGIN

LOG_FIELDS = frozenset({"lr", "l1", "l2", "weight_decay", "adamw_decay", "decay"})
LABELS = {"lr": "learning rate", "batch_size": "batch size", "val_loss": "val loss",
          "train_loss": "train loss", "r2": "R²", "l2": "L2 penalty", "l1": "L1 penalty"}
AXIS_LABELS = {"lr": "lr", "batch_size": "batch", "val_loss": "val loss", "train_loss":
               "train loss", "r2": "R²", "activation": "activation", "l2": "L2"}  # short:
# a phone gives each parallel axis about 70 px
FAILED_TICK = "failed"  # where a diverged or failed trial sits on the loss axis


def loss_column(table):
    """The loss to rank trials by: validation loss, or train loss when there is no val set."""
    if "val_loss" in table and np.isfinite(table["val_loss"].to_numpy(float)).any():
        return "val_loss"
    return "train_loss"


def ranked(table):
    """The trials best first (lowest loss), failed ones last."""
    return table.sort_values([loss_column(table), "trial"], na_position="last", kind="stable")


def _label(name):
    return LABELS.get(name, name.replace("_", " "))


def _hover(table, fields):
    """One line per trial naming its settings and outcome (plain text: Plotly escapes it)."""
    parts = [f"trial {t}" for t in table["trial"]]
    for name in fields:
        parts = [f"{p}<br>{name}={v:.3g}" if isinstance(v, float) else f"{p}<br>{name}={v}"
                 for p, v in zip(parts, table[name], strict=True)]
    return [f"{p}<br>{s}" for p, s in zip(parts, table["status"], strict=True)]


def lr_vs_loss(table, fields):
    """Final loss against learning rate, one trace per optimizer.

    Parameters
    ----------
    table : DataFrame
        A search's table (``lossdash.explore.search``): needs ``lr``, the losses, ``status``.
    fields : list of str
        The varied settings, named in each point's hover text.
    """
    y = loss_column(table)
    layout = base.plot_layout(f"Learning rate against final {_label(y)}",
                              "learning rate (log scale)", f"final {_label(y)} (log scale)",
                              xaxis={"type": "log", "exponentformat": "power"},
                              yaxis={"type": "log", "exponentformat": "power"},
                              margin={"l": 55, "r": 15, "t": 80, "b": 45})  # 2 legend rows
    if "lr" not in table or table.empty:
        return base.empty(layout, "vary the learning rate to see this chart"
                          if "lr" not in table else "no trial has finished yet")
    loss = table[y].to_numpy(float)
    ok = np.isfinite(loss) & (loss > 0)
    hover = np.array(_hover(table, fields), dtype=object)
    groups = table["optimizer"] if "optimizer" in table else pd.Series("trials", table.index)
    traces = []
    for i, name in enumerate(dict.fromkeys(groups)):
        rows = ok & (groups == name).to_numpy()
        if rows.any():
            traces.append({"type": "scatter", "x": table["lr"][rows], "y": loss[rows],
                           "name": str(name), "mode": "markers", "text": hover[rows],
                           "hovertemplate": "%{text}<extra></extra>",
                           "marker": {"color": base.palette(i), "size": 8, "opacity": 0.85}})
    if (~ok).any():
        top = float(loss[ok].max()) * TOP_MARGIN if ok.any() else 1.0
        traces.append({"type": "scatter", "x": table["lr"][~ok], "y": np.full((~ok).sum(), top),
                       "name": "diverged or failed", "mode": "markers", "text": hover[~ok],
                       "hovertemplate": "%{text}<extra></extra>",
                       "marker": {"symbol": "x", "size": 10, "color": DIVERGED_COLOR}})
    if ok.any():
        best = int(np.flatnonzero(ok)[np.argmin(loss[ok])])
        traces.append({"type": "scatter", "x": [table["lr"].iloc[best]], "y": [loss[best]],
                       "name": f"best: trial {table['trial'].iloc[best]}", "mode": "markers",
                       "hoverinfo": "skip",
                       "marker": {"symbol": "star", "size": 16, "color": BEST_COLOR,
                                  "line": {"color": "#000000", "width": 1}}})
    return go.Figure(data=traces, layout=layout)


def _log_ticks(low, high):
    """Tick positions (log10 values) and labels at the powers of ten from low to high."""
    ticks = list(range(math.floor(low), math.ceil(high) + 1))
    return ticks, [f"{10.0**t:g}" for t in ticks]


def _dimension(name, values):
    """One parallel axis: numbers (log10 for rates), or one tick per choice."""
    values = pd.Series(values).reset_index(drop=True)
    label = AXIS_LABELS.get(name, name.replace("_", " "))
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        choices = list(dict.fromkeys(values.astype(str)))
        codes = values.astype(str).map({c: i for i, c in enumerate(choices)})
        return {"label": label, "values": codes.to_numpy(float),
                "tickvals": list(range(len(choices))), "ticktext": choices,
                "range": [-0.5, len(choices) - 0.5]}
    numbers = values.to_numpy(float)
    if name in LOG_FIELDS and (numbers > 0).all():
        logs = np.log10(numbers)
        ticks, text = _log_ticks(logs.min(), logs.max())
        return {"label": f"{label} (log)", "values": logs, "tickvals": ticks, "ticktext": text}
    if name == "batch_size":
        choices = sorted(set(values.astype(int)))
        text = ["full" if b == 0 else str(b) for b in choices]
        codes = values.astype(int).map({b: i for i, b in enumerate(choices)})
        return {"label": label, "values": codes.to_numpy(float),
                "tickvals": list(range(len(choices))), "ticktext": text,
                "range": [-0.5, len(choices) - 0.5]}
    return {"label": label, "values": numbers}


def _loss_dimension(name, loss):
    """The loss on a log10 axis; failed trials on a tick of their own above the worst."""
    ok = np.isfinite(loss) & (loss > 0)
    logs = np.log10(np.where(ok, loss, 1.0))
    low, high = (logs[ok].min(), logs[ok].max()) if ok.any() else (0.0, 0.0)
    ticks, text = _log_ticks(low, high)
    failed_at = ticks[-1] + 1
    if not ok.all():
        ticks, text = [*ticks, failed_at], [*text, FAILED_TICK]
    values = np.where(ok, logs, failed_at)
    return {"label": f"{AXIS_LABELS[name]} (log)", "values": values, "tickvals": ticks,
            "ticktext": text, "range": [ticks[0], ticks[-1]]}, values


def parallel(table, fields, metric):
    """Every trial as a line through its settings, its final loss and its metric.

    Lines are coloured by the log10 of the final loss (dark = low); a diverged or failed trial
    goes through the ``failed`` tick of the loss axis and gets the worst colour.
    """
    y = loss_column(table)
    layout = {**base.look(f"All trials: settings against final {_label(y)}"),
              "margin": {"l": 60, "r": 90, "t": 90, "b": 30}}
    if table.empty:
        return base.empty(layout, "no trial has finished yet")
    loss_dim, colour = _loss_dimension(y, table[y].to_numpy(float))
    dims = [_dimension(name, table[name]) for name in fields]
    metric_values = table[metric].to_numpy(float)
    dims.append(loss_dim)
    if np.isfinite(metric_values).any():
        dims.append({"label": AXIS_LABELS.get(metric, metric),
                     "values": np.where(np.isfinite(metric_values), metric_values,
                                        np.nanmin(metric_values))})
    line = {"color": colour, "colorscale": "Viridis", "showscale": True,
            "colorbar": {"title": {"text": "log10 loss", "side": "right"}, "thickness": 12,
                         "x": 1.06}}
    return go.Figure(data=[{"type": "parcoords", "dimensions": dims, "line": line,
                            "labelfont": {"size": 11}, "tickfont": {"size": 10}}],
                     layout=layout)
