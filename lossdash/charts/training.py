"""Pure figure builders for the dashboard: history or data set in, ``go.Figure`` out.

No widgets here (the UI decides where a figure goes); every function takes plain data and
returns a figure, so each one is tested by its traces and axes without Streamlit.

Conventions shared by every chart:

- Colours come from the Okabe-Ito palette (safe for the common colour-vision deficiencies);
  continuous colour uses Viridis, probabilities a blue-white-orange diverging scale.
- Non-finite numbers never reach a trace: they are dropped (lines, points) or left as gaps
  (``None`` in heatmaps). On a log axis, values <= 0 are dropped too (they have no position).
- Long histories are decimated to ``MAX_POINTS`` rows before plotting, keeping each bucket's
  minimum and maximum so a loss spike stays visible; data sets are thinned to ``MAX_SCATTER``
  points each (the title says so), so no figure passes ~300 kB of JSON.
- Compact margins and a horizontal legend above the plot area, so four charts fit in a grid
  and the legend never covers the data.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lossdash.charts import base, captions

# Probability of class 1: blue (class 0) -> white (undecided) -> orange (class 1).
PROBA_SCALE = [[0.0, base.OKABE_ITO[0]], [0.5, "#F7F7F7"], [1.0, base.OKABE_ITO[1]]]
TRAIN_MARKER = "circle"
VAL_MARKER = "x"

MAX_EVAL_MARKERS = 100  # train/val loss lines show a marker per evaluation up to this many
MAX_LINES = 20  # parameter trajectories: more lines than this are unreadable
MAX_SCATTER = 2500  # points per data set in a scatter: keeps a figure under 300 kB
WEBGL_POINTS = 1000  # a live decision boundary draws more points than this with WebGL
MAX_SNAPSHOTS = 120  # heatmap columns in weight_distributions (~5 px each, sent live)
MAX_LAYERS = 6  # weight-distribution subplots
PARAM_COLUMN = re.compile(r"^\w+\[\d+(,\d+)*\]$")  # "W1[0,0]", "b1[0]"


# ---------------------------------------------------------------------------------------------
# data helpers


def smooth(values, weight: float) -> np.ndarray:
    """TensorBoard's debiased exponential moving average.

    With ``w = weight`` and the finite values ``v_1..v_t`` seen so far::

        m_t = w * m_{t-1} + (1 - w) * v_t,   m_0 = 0
        s_t = m_t / (1 - w^t)                 (debiasing: the first point is v_1, not (1-w) v_1)

    which equals the weighted mean ``sum_i w^(t-i) v_i / sum_i w^(t-i)``; that is pandas'
    ``ewm(alpha=1 - w, adjust=True)``. Non-finite values are skipped (they do not count in
    ``t``) and come back as NaN so callers drop them.

    Parameters
    ----------
    values : array-like, shape (n,)
    weight : float in [0, 1); 0 returns the values unchanged.

    Returns
    -------
    ndarray, shape (n,), float64.
    """
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing must be at least 0 and below 1, got {weight}")
    v = np.asarray(values, dtype=float)
    finite = np.isfinite(v)
    all_finite = finite.all()  # the usual case: skip the two masking passes
    s = pd.Series(v if all_finite else np.where(finite, v, np.nan))
    out = s.ewm(alpha=1.0 - weight, adjust=True, ignore_na=True).mean().to_numpy()
    return out if all_finite else np.where(finite, out, np.nan)


def param_columns(history: pd.DataFrame) -> list[str]:
    """The history columns that track one parameter each (``"W1[0,0]"``, ``"b1[0]"``)."""
    return [c for c in history.columns if PARAM_COLUMN.match(str(c))]


THINNED_COLUMN = "steps_dropped_before"  # the CSV's note that a long run's history was thinned


def history_csv(history: pd.DataFrame) -> bytes:
    """The history as UTF-8 CSV bytes, one row per recorded step, for ``st.download_button``.

    A long run's older steps are thinned (``lossdash.engine.MAX_ROWS``); then the CSV says so
    with one more column, ``steps_dropped_before``: how many steps were left out between the
    row before and this one (0 where none were).
    """
    if "step" in history.columns and len(history) > 1:
        steps = history["step"].to_numpy()
        gaps = np.maximum(np.diff(steps, prepend=steps[0] - 1) - 1, 0)
        if gaps.any():
            history = history.assign(**{THINNED_COLUMN: gaps})
    buffer = io.StringIO()
    history.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")



# ---------------------------------------------------------------------------------------------
# training curves


def _eval_positions(history: pd.DataFrame) -> np.ndarray:
    """Positions (ints) of the rows ``eval_rows`` keeps."""
    if "eval" not in history.columns:
        return np.arange(len(history))
    return np.flatnonzero(history["eval"].fillna(False).to_numpy(dtype=bool))


def _steps(history: pd.DataFrame, rows=slice(None)):
    """The step of each of ``rows`` (all by default), the key a live chart decimates by, or
    None when the history has no step column."""
    return history["step"].to_numpy()[rows] if "step" in history.columns else None


def _eval_lines(history: pd.DataFrame, x: str, curves, **kw) -> list[dict]:
    """One line per ``(column, name, color)`` of ``curves`` through the evaluation rows,
    skipping missing or all non-finite columns; each decimated keeping its own spikes."""
    at = _eval_positions(history)
    xs = history[x].to_numpy()[at]
    steps = _steps(history, at)
    lines = []
    for column, name, color in curves:
        if column in history.columns:
            values = history[column].to_numpy(float)[at]
            if np.isfinite(values).any():
                rows = base.decimated_rows(len(values), [values], at=steps)
                lines.append(base.line(xs[rows], values[rows], name, color, **kw))
    return lines


def loss_curve(history: pd.DataFrame, smoothing: float = 0.0, log_y: bool = False,
               x: str = "step") -> go.Figure:
    """Loss against step or epoch.

    Traces: ``"batch loss"`` (the per-step objective; faint when a smoothed line is drawn),
    ``"batch loss (smoothed)"`` when ``smoothing > 0`` and the batches are mini-batches
    (TensorBoard EMA, see ``smooth``, computed on every step before decimation; a full batch
    is not noisy, and its average would only lag behind the loss), ``"train loss"`` and
    ``"val loss"`` at the evaluation rows, each only when its column exists and holds finite
    values.

    Parameters
    ----------
    history : DataFrame with ``step``, ``epoch``, ``loss``; optionally ``train_loss``,
        ``val_loss``, ``eval``.
    smoothing : float in [0, 1), EMA weight; 0 draws the raw batch loss only.
    log_y : bool, log-scale loss axis (values <= 0 are then dropped).
    x : "step" or "epoch".
    """
    col = base.x_column(x)
    layout = base.plot_layout("Loss", col, "loss (log scale)" if log_y else "loss",
                     xaxis=dict(base.NUMBERS), yaxis={"type": "log" if log_y else "linear"},
                     uirevision=f"loss-{col}-{log_y}")
    if history.empty or "loss" not in history.columns:
        layout["yaxis"]["range"] = [-1, 1] if log_y else [0, 1]  # not Plotly's 1..10k default
        return base.empty(layout, "no steps yet: press Play or Step")
    loss = history["loss"].to_numpy(float)
    if full_batch(history):
        smoothing = 0.0
    rows = base.decimated_rows(len(loss), [loss], at=_steps(history))
    xs = history[col].to_numpy()[rows]
    raw_style = {"opacity": 0.35} if smoothing > 0 else {}
    data = [base.line(xs, loss[rows], "batch loss", base.COLORS["batch"], log_y, **raw_style)]
    if smoothing > 0:
        smoothed = smooth(loss, smoothing)[rows]
        data.append(base.line(xs, smoothed, "batch loss (smoothed)", base.COLORS["smoothed"],
                              log_y))
    few = int(history["eval"].sum()) <= MAX_EVAL_MARKERS if "eval" in history else True
    data += _eval_lines(history, col, [(f"{role}_loss", f"{role} loss", base.COLORS[role])
                                       for role in ("train", "val")],
                        positive=log_y, mode="lines+markers" if few else "lines",
                        marker={"size": 4})
    return base.figure(data, layout)


def full_batch(history: pd.DataFrame) -> bool:
    """Whether every step used every row: then one step is one epoch (``epoch == step``)."""
    if not {"step", "epoch"} <= set(history.columns):
        return False
    return bool(np.allclose(history["epoch"].to_numpy(float), history["step"].to_numpy(float)))


def metric_curve(history: pd.DataFrame, x: str = "step", label: str = "metric") -> go.Figure:
    """Train and validation metric (R^2 or accuracy) at the evaluation rows.

    ``label`` names the metric on the y axis (the UI knows whether it is R^2 or accuracy).
    """
    col = base.x_column(x)
    layout = base.plot_layout(label.capitalize(), col, label, xaxis=dict(base.NUMBERS),
                              yaxis=dict(base.NUMBERS), uirevision=f"metric-{col}")
    data = _eval_lines(history, col, [(f"{role}_metric", f"{role} {label}", base.COLORS[role])
                                      for role in ("train", "val")])
    return base.figure(data, layout) if data else base.empty(layout, "no evaluations yet")


def param_trajectories(history: pd.DataFrame, names: Sequence[str],
                       max_lines: int = MAX_LINES, x: str = "step") -> go.Figure:
    """One line per parameter (value against step or epoch), for models small enough to track
    each one.

    Only the first ``max_lines`` of ``names`` found in ``history`` are drawn; the title says
    so when some are left out.
    """
    col = base.x_column(x)
    present = [n for n in names if n in history.columns]
    shown = present[:max_lines]
    title = "Parameters"
    if len(present) > len(shown):
        title += f" (first {len(shown)} of {len(present)} shown)"
    layout = base.plot_layout(title, col, "parameter value", xaxis=dict(base.NUMBERS),
                              yaxis=dict(base.NUMBERS), uirevision=f"params-{col}")
    if history.empty or not shown:
        return base.empty(layout, "no parameter values recorded")
    layout["legend"]["font"]["size"] = 9
    # parameters move smoothly: even spacing suffices
    rows = base.decimated_rows(len(history), at=_steps(history))
    steps = history[col].to_numpy()[rows]
    data = [base.line(steps, history[name].to_numpy()[rows], name, base.palette(i),
                      hovertemplate=f"{name}: {captions.describe_param(name)}"
                      f"<br>{col} %{{x}}: %{{y:.4g}}<extra></extra>")
            for i, name in enumerate(shown)]
    return base.figure(data, layout)


def gradient_chart(history: pd.DataFrame, log_y: bool = True, x: str = "step") -> go.Figure:
    """Gradient norm ``||g||_2`` and update size ``||theta_t - theta_(t-1)||_2`` per step,
    with the learning rate on a secondary (right, linear) axis; ``x`` is "step" or "epoch"."""
    col = base.x_column(x)
    layout = base.plot_layout("Gradient and update size", col,
                     "norm (log scale)" if log_y else "norm", xaxis=dict(base.NUMBERS),
                     yaxis={"type": "log" if log_y else "linear"},
                     yaxis2={"title": {"text": "learning rate"}, "overlaying": "y", **base.NUMBERS,
                             "side": "right", "showgrid": False, "rangemode": "tozero"},
                     uirevision=f"grad-{col}-{log_y}")
    layout["margin"]["r"] = 60  # room for the learning-rate axis
    columns = [c for c in ("grad_norm", "update_norm", "lr") if c in history.columns]
    if history.empty or not columns:
        return base.empty(layout, "no steps yet: press Play or Step")
    spiky = [history[c].to_numpy(float) for c in columns if c != "lr"]
    rows = base.decimated_rows(len(history), spiky, at=_steps(history))
    steps = history[col].to_numpy()[rows]
    data = [base.line(steps, history[column].to_numpy()[rows], name, color, log_y)
            for column, name, color in (("grad_norm", "gradient norm", base.COLORS["grad"]),
                                        ("update_norm", "update size", base.COLORS["update"]))
            if column in columns]
    if "lr" in columns:
        lr = history["lr"].to_numpy(float)
        data.append(base.line(steps, lr[rows], "learning rate",
                          base.COLORS["lr"], line={"dash": "dot"}, yaxis="y2"))
        top = float(np.nanmax(lr)) if np.isfinite(lr).any() else 1.0
        # A constant rate sits at 5/6 of the height; four round ticks, not eleven odd ones.
        layout["yaxis2"].update(range=[0, 1.2 * top], tickmode="auto", nticks=4,
                                tickformat=".2g")
    return base.figure(data, layout)


# ---------------------------------------------------------------------------------------------
# weights


def _weight_layers(layout) -> list:
    """The weight matrices of ``layout`` (2-D entries); every entry if there are none."""
    matrices = [entry for entry in layout if len(entry[2]) >= 2]
    return matrices or list(layout)


def _histograms(values: np.ndarray, bins: int):
    """Per-row histogram of ``values`` (snapshots, weights) over shared bins.

    Returns ``(centres (bins,), counts (bins, snapshots))``; non-finite weights are not counted.
    """
    finite = np.isfinite(values)
    lo, hi = (values[finite].min(), values[finite].max()) if finite.any() else (0.0, 0.0)
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, bins + 1)
    safe = np.where(finite, values, lo)
    index = np.clip(((safe - lo) / (hi - lo) * bins).astype(int), 0, bins - 1)
    rows = np.broadcast_to(np.arange(values.shape[0])[:, None], values.shape)
    flat = (index * values.shape[0] + rows)[finite]
    counts = np.bincount(flat, minlength=bins * values.shape[0]).reshape(bins, values.shape[0])
    return (edges[:-1] + edges[1:]) / 2, counts


SUBPLOT_SPACING = 0.06  # vertical gap between stacked subplots, as a fraction of the height


def _stacked_axes(titles: Sequence[str], x_title: str, y_title: str) -> dict:
    """Layout entries for ``len(titles)`` plots stacked in one column sharing the x axis.

    What ``make_subplots(rows, 1, shared_xaxes=True, vertical_spacing=SUBPLOT_SPACING,
    subplot_titles=titles)`` lays out, written out: row ``r`` (0 at the top) has axes
    ``x{r+1}``/``y{r+1}`` and the y domain ``[k (h + s), k (h + s) + h]`` with
    ``k = rows - 1 - r``, ``s`` the spacing and ``h = (1 - s (rows - 1)) / rows``; every x axis
    follows the bottom one, which alone shows its tick labels and ``x_title``.
    """
    rows = len(titles)
    height = (1.0 - SUBPLOT_SPACING * (rows - 1)) / rows
    layout, annotations = {}, []
    for r, title in enumerate(titles):
        suffix = "" if r == 0 else str(r + 1)
        bottom = min((rows - 1 - r) * (height + SUBPLOT_SPACING), 1.0)
        top = min(bottom + height, 1.0)
        xaxis = {"anchor": f"y{suffix}", "domain": [0.0, 1.0], "title": {"text": x_title}}
        if r < rows - 1:
            xaxis.update(matches=f"x{rows}", showticklabels=False, title={"text": ""})
        layout[f"xaxis{suffix}"] = xaxis
        layout[f"yaxis{suffix}"] = {"anchor": f"x{suffix}", "domain": [bottom, top],
                                    "title": {"text": y_title}}
        annotations.append({"text": title, "x": 0.5, "y": top, "xref": "paper", "yref": "paper",
                            "xanchor": "center", "yanchor": "bottom", "showarrow": False,
                            "font": {"size": 11}})
    return {**layout, "annotations": annotations}


def weight_distributions(steps, thetas, layout, bins: int = 40, x: str = "step",
                         steps_per_epoch: int = 1) -> go.Figure:
    """How the weights of each layer spread out over training: one heatmap per weight matrix.

    x is the step of the snapshot, y the weight value (``bins`` equal bins spanning the
    layer's range over the whole run), colour the number of that layer's weights in the bin.

    Parameters
    ----------
    steps : array-like, shape (s,), the step of each snapshot.
    thetas : array-like, shape (s, p), the flat parameter vector at each snapshot.
    layout : list of (name, slice, shape) over the flat vector; 2-D entries are drawn
        (the first ``MAX_LAYERS``, the title says so), or every entry when there are no
        matrices. Snapshots are thinned to ``MAX_SNAPSHOTS`` evenly spaced columns.
    x : "step" or "epoch"; an epoch is ``steps_per_epoch`` steps (``epoch = step / spe``).
    """
    col = base.x_column(x)
    steps, thetas = np.asarray(steps, dtype=float), np.atleast_2d(np.asarray(thetas, float))
    if col == "epoch":
        steps = steps / steps_per_epoch
    layers = _weight_layers(layout)
    title = "Weight distributions over time (colour = number of weights)"
    if len(layers) > MAX_LAYERS:
        title += f", first {MAX_LAYERS} of {len(layers)} layers"
        layers = layers[:MAX_LAYERS]
    if len(steps) == 0 or not layers:
        return base.empty(base.plot_layout(title, col, "weight value"), "no snapshots yet")
    keep = np.unique(np.linspace(0, len(steps) - 1, MAX_SNAPSHOTS).round().astype(int))
    steps, thetas = steps[keep], thetas[keep]
    data = []
    for row, (name, sl, _) in enumerate(layers, start=1):
        centres, counts = _histograms(thetas[:, sl], bins)
        suffix = "" if row == 1 else str(row)
        data.append({"type": "heatmap", "x": steps, "y": centres, "z": counts,
                     "colorscale": "Viridis", "showscale": False, "name": name,
                     "hovertemplate": col + " %{x:.4g}<br>weight %{y:.3g}<br>%{z} weights"
                                      "<extra></extra>",
                     "xaxis": f"x{suffix}", "yaxis": f"y{suffix}"})
    titles = [f"{name} {tuple(shape)}" for name, _, shape in layers]
    return base.figure(data, {**base.look(title), **_stacked_axes(titles, col,
                                                                       "weight value"),
                                        "height": max(320, 170 * len(layers) + 80)})


# ---------------------------------------------------------------------------------------------
# data set views


def _points(data, limit: int | None = MAX_SCATTER):
    """``(X (m, d), y (m,), (m, n_finite))``: the rows of ``data`` with finite values, at most
    ``limit`` of them kept at evenly spaced positions (deterministic, so nothing flickers)."""
    X, y = np.asarray(data.X, dtype=float), np.asarray(data.y)
    X = X[:, None] if X.ndim == 1 else X
    ok = np.isfinite(X).all(axis=1)
    if np.issubdtype(y.dtype, np.number):
        ok &= np.isfinite(y.astype(float))
    X, y = X[ok], y[ok]
    m = len(y) if limit is None else min(limit, len(y))
    keep = np.unique(np.linspace(0, len(y) - 1, m).round().astype(int))
    return X[keep], y[keep], (len(keep), len(y))


def _roles(train, val) -> list:
    """``[(train, "train"), (val, "val")]`` without a missing validation set."""
    return [(d, role) for d, role in ((train, "train"), (val, "val")) if d is not None]


def _shown(train, val) -> list:
    """``[(data, role, (X, y, counts)), ...]``: ``_points`` of each set, computed once."""
    return [(d, role, _points(d)) for d, role in _roles(train, val)]


def _marker(role: str, **style) -> dict:
    """Scatter marker: filled circles for training points, crosses for validation points."""
    return {"size": 6, "symbol": TRAIN_MARKER if role == "train" else VAL_MARKER, **style}


def _markers(x, y, name: str, marker: dict, kind: str = "scatter", **kw) -> dict:
    """A scatter trace of points (as a dict); ``kind="scattergl"`` draws them with WebGL."""
    return {"type": kind, "x": x, "y": y, "mode": "markers", "name": name,
            "marker": marker, **kw}


def _subset_note(shown) -> str:
    """\" (5,000 of 80,000 points shown)\" when a data set of ``_shown`` was thinned, else ""."""
    kept = sum(points[2][0] for _, _, points in shown)
    total = sum(points[2][1] for _, _, points in shown)
    return f" ({kept:,} of {total:,} points shown)" if kept < total else ""


def _feature_name(data, j: int) -> str:
    """The column's name, escaped (it is the user's text), or ``x<j+1>``."""
    names = getattr(data, "feature_names", None)
    return base.plain(names[j]) if names is not None and j < len(names) else f"x{j + 1}"


def _target_name(data) -> str:
    return base.plain(getattr(data, "target_name", None) or "target")


def _class_labels(train, val) -> np.ndarray:
    """Class indices to draw: ``0..len(classes)-1`` plus any other index found in ``y``."""
    classes = getattr(train, "classes", None)
    n = 0 if classes is None else len(classes)
    seen = np.concatenate([np.asarray(d.y).astype(int) for d, _ in _roles(train, val)])
    return np.union1d(np.arange(n), seen).astype(int)


def _class_name(data, i: int) -> str:
    """``data.classes[i]`` (escaped: it is the user's text) when known, else the index."""
    classes = getattr(data, "classes", None)
    return base.plain(classes[i]) if classes is not None and 0 <= i < len(classes) else str(i)


def _class_traces(shown, labels, second, kind="scatter") -> list[dict]:
    """One scatter trace per set of ``_shown`` and class (colour = class); ``second(X, y)``
    gives the y coordinate; ``kind`` is the trace type ("scatter" or "scattergl")."""
    traces = []
    for data, role, (X, y, _) in shown:
        y = y.astype(int)
        for label in labels:
            mask = y == label
            if mask.any():
                name = _class_name(data, label)
                color = base.palette(label)
                marker = _marker(role, color=color, line={"width": 0.5, "color": "#333333"})
                traces.append(_markers(X[mask, 0], second(X[mask], y[mask]), f"{name} ({role})",
                                       marker, kind, legendgroup=name))
    return traces


def data_scatter(train, val=None) -> go.Figure:
    """The data set at a glance; validation points are crosses, training points circles.

    - regression, 1 feature: feature against target;
    - regression, 2+ features: first two features, colour = target (Viridis);
    - classification: first two features (feature against class with 1 feature),
      one colour per class.
    """
    shown = _shown(train, val)
    d = shown[0][2][0].shape[1]
    note = _subset_note(shown)
    if train.task == "classification":
        return _classification_scatter(train, val, shown, d, note)
    target, x_title = _target_name(train), _feature_name(train, 0)
    if d == 1:
        layout = base.plot_layout("Data" + note, x_title, target)
        data = [_markers(X[:, 0], y.astype(float), role, _marker(role, color=base.COLORS[role]))
                for _, role, (X, y, _) in shown]
    else:
        colorbar = {"title": {"text": target}, "thickness": 12}
        layout = base.plot_layout(f"Data (colour = {target}){note}", x_title,
                                  _feature_name(train, 1),
                                  coloraxis={"colorscale": "Viridis", "colorbar": colorbar})
        data = [_markers(X[:, 0], X[:, 1], role,
                         _marker(role, color=y.astype(float), coloraxis="coloraxis"))
                for _, role, (X, y, _) in shown]
    return base.figure(data, layout)


def _classification_scatter(train, val, shown, d: int, note: str) -> go.Figure:
    """``data_scatter`` for a classification data set."""
    if d >= 2:
        y_title, second = _feature_name(train, 1), (lambda X, y: X[:, 1])
    else:
        y_title, second = f"{_target_name(train)} (class)", (lambda X, y: y)
    layout = base.plot_layout("Data" + note, _feature_name(train, 0), y_title)
    return base.figure(_class_traces(shown, _class_labels(train, val), second), layout)


def _predict(predict, X: np.ndarray) -> np.ndarray:
    """``predict(X)`` as a flat float array (models return (m,) or (m, 1))."""
    return np.asarray(predict(X), dtype=float).reshape(-1)


def regression_fit(train, val, predict: Callable[[np.ndarray], np.ndarray],
                   n_line: int = 200) -> go.Figure:
    """How well the model fits a regression data set.

    1 feature: the points and the fitted curve, ``predict`` evaluated at ``n_line`` evenly
    spaced x over the data's range. 2+ features: predicted against actual target, with the
    ``y = x`` diagonal (a perfect model puts every point on it).

    ``predict`` maps X (m, d) to predictions (m,).
    """
    shown = _shown(train, val)
    if shown[0][2][0].shape[1] > 1:
        return _predicted_vs_actual(train, shown, predict)
    layout = base.plot_layout("Model fit" + _subset_note(shown), _feature_name(train, 0),
                     _target_name(train))
    data = [_markers(X[:, 0], y.astype(float), role, _marker(role, color=base.COLORS[role]))
            for _, role, (X, y, _) in shown]
    xs = np.concatenate([X[:, 0] for _, _, (X, _, _) in shown])
    if len(xs):
        grid = np.linspace(xs.min(), xs.max(), n_line)
        data.append(base.line(grid, _predict(predict, grid[:, None]), "model", base.COLORS["model"],
                          line={"width": 2.5}))
    return base.figure(data, layout)


def _predicted_vs_actual(train, shown, predict) -> go.Figure:
    """``regression_fit`` for 2+ features: predicted against actual, with ``y = x``."""
    target = _target_name(train)
    layout = base.plot_layout("Predicted vs actual" + _subset_note(shown), f"actual {target}",
                     f"predicted {target}")
    data, ends = [], []
    for _, role, (X, y, _) in shown:
        actual, pred = base.finite(y, _predict(predict, X))
        ends += [actual.min(), actual.max(), pred.min(), pred.max()] if len(actual) else []
        data.append(_markers(actual, pred, role, _marker(role, color=base.COLORS[role])))
    if ends:
        lo, hi = min(ends), max(ends)
        data.append({"type": "scatter", "x": [lo, hi], "y": [lo, hi], "mode": "lines",
                     "name": "y = x", "line": {"color": "#666666", "dash": "dash"}})
    return base.figure(data, layout)


def _grid_axes(train, val, resolution: int, feature_ranges=None) -> list[np.ndarray]:
    """Evenly spaced values of features 0 and 1 covering the data plus a 10 % margin."""
    if feature_ranges is None:
        X = np.concatenate([_points(d, None)[0][:, :2] for d, _ in _roles(train, val)])
        lo, hi = X.min(axis=0), X.max(axis=0)
        pad = np.where(hi > lo, 0.1 * (hi - lo), 0.5)
        feature_ranges = list(zip(lo - pad, hi + pad, strict=True))
    return [np.linspace(lo, hi, resolution) for lo, hi in feature_ranges]


def boundary_grid(train, val=None, resolution: int = 80, feature_ranges=None):
    """The points where ``decision_boundary`` evaluates the model.

    Returns ``(gx (r,), gy (r,), G (r*r, d))``: row ``i * r + j`` of ``G`` is
    ``(gx[j], gy[i], mean of the other training features)``, so ``proba(G).reshape(r, r)``
    is the heatmap's ``z`` (rows follow feature 1, columns feature 0).
    """
    gx, gy = _grid_axes(train, val, resolution, feature_ranges)
    G = np.tile(_points(train, None)[0].mean(axis=0), (resolution * resolution, 1))
    G[:, 0], G[:, 1] = np.tile(gx, resolution), np.repeat(gy, resolution)
    return gx, gy, G


def decision_boundary(train, val, proba: Callable[[np.ndarray], np.ndarray],
                      resolution: int = 80, feature_ranges=None,
                      webgl: bool = False) -> go.Figure:
    """What the classifier predicts over the plane of the first two features.

    ``proba`` is evaluated on the grid of ``boundary_grid`` (the data's range padded by 10 %,
    or ``feature_ranges = ((lo0, hi0), (lo1, hi1))``; further features held at their training
    mean, which the title then says). It returns P(class 1), shape (m,) or (m, 1), or class
    probabilities (m, k). The heatmap shows P(class 1) with the 0.5 contour when k <= 2, and
    the predicted class ``argmax_k p_k`` otherwise. Training points are circles, validation
    points crosses, coloured by class. ``webgl`` draws more than ``WEBGL_POINTS`` points with
    WebGL (``scattergl``): thousands of points are the costliest part of an SVG redraw. Fewer
    stay SVG: a live panel redraws only the field between frames (``live.js``), and a WebGL
    context costs ~85 ms of the page's core every time the chart is mounted (a view switch).
    """
    shown = _shown(train, val)
    d = shown[0][2][0].shape[1]
    note = " (other features held at their mean)" if d > 2 else ""
    title = "Decision boundary" + note + _subset_note(shown)
    x_title, y_title = _feature_name(train, 0), _feature_name(train, 1) if d >= 2 else ""
    if d < 2:
        return base.empty(base.plot_layout(title, x_title, y_title),
                      "the decision boundary needs at least 2 features")
    gx, gy, G = boundary_grid(train, val, resolution, feature_ranges)
    p = np.asarray(proba(G), dtype=float).reshape(len(G), -1)
    data = _proba_traces(gx, gy, p) if p.shape[1] <= 2 else _class_map(gx, gy, p)
    many = sum(points[2][0] for _, _, points in shown) > WEBGL_POINTS
    data += _class_traces(shown, _class_labels(train, val), lambda X, y: X[:, 1],
                          "scattergl" if webgl and many else "scatter")
    layout = base.plot_layout(title, x_title, y_title, xaxis={"range": [gx[0], gx[-1]]},
                     yaxis={"range": [gy[0], gy[-1]]})
    # Five or more legend entries would run into the title: they go under the plot instead.
    layout["legend"] = {**layout["legend"], "y": -0.18, "yanchor": "top", "x": 0.5,
                        "xanchor": "center"}
    layout["margin"] = {**layout["margin"], "t": 40, "b": 80}
    return base.figure(data, layout)


def _proba_traces(gx, gy, p: np.ndarray) -> list[dict]:
    """Heatmap of P(class 1) = last column of ``p``, and its 0.5 contour (the boundary)."""
    z = base.gaps(p[:, -1].reshape(len(gy), len(gx)))
    colorbar = {"title": {"text": "P(class 1)"}, "thickness": 12}
    return [
        {"type": "heatmap", "x": gx, "y": gy, "z": z, "zmin": 0, "zmax": 1,
         "colorscale": PROBA_SCALE, "name": "P(class 1)", "colorbar": colorbar},
        {"type": "contour", "x": gx, "y": gy, "z": z, "showscale": False, "name": "P = 0.5",
         "hoverinfo": "skip", "contours": {"start": 0.5, "end": 0.5, "size": 1,
                                           "coloring": "none"},
         "line": {"color": "#333333", "width": 2}},
    ]


def _class_map(gx, gy, p: np.ndarray) -> list[dict]:
    """Heatmap of the predicted class ``argmax_k p_k`` (a gap where ``p`` is not finite)."""
    k = p.shape[1]
    finite = np.isfinite(p).all(axis=1)
    z = np.where(finite, np.argmax(np.where(finite[:, None], p, 0.0), axis=1), np.nan)
    return [{"type": "heatmap", "x": gx, "y": gy, "z": base.gaps(z.reshape(len(gy), len(gx))),
             "zmin": -0.5, "zmax": k - 0.5, "colorscale": _class_scale(k), "showscale": False,
             "opacity": 0.45, "name": "predicted class"}]


def _class_scale(k: int) -> list:
    """A stepped colour scale giving class ``i`` (z in [i - 0.5, i + 0.5]) palette colour i."""
    scale = []
    for i in range(k):
        color = base.palette(i)
        scale += [[i / k, color], [(i + 1) / k, color]]
    return scale
