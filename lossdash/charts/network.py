"""The network drawn as TensorFlow Playground draws it: every neuron a small heatmap of its
activation over the input plane, every weight a line.

Two steps, so a live view can compute under the trainer's lock and draw outside it:

1. :func:`network_snapshot` copies the weights and evaluates every neuron on a coarse grid
   (``RESOLUTION`` x ``RESOLUTION`` points of the plane, one forward pass of a few matmuls):

   .. math::

       a_0 = \\phi(G), \\qquad a_i = f(a_{i-1} W_i + b_i), \\qquad
       \\text{output} = p(a_{L-1} W_L + b_L)

   with ``G`` (r², 2) the grid points, ``phi`` the engineered inputs (then standardization) and
   ``p`` the loss's probability (or the identity for regression).
2. :func:`network_figure` draws that plain data: tiles coloured by each neuron's activation
   scaled by its largest ``|a|`` on the grid (blue negative, white 0, orange positive), lines
   whose width grows with ``|w|`` and whose colour is its sign; the output tile is the decision
   boundary (P(class) from 0 to 1) or the regression surface.

Wide layers show their first ``MAX_SHOWN`` neurons and say how many more there are, so a
layer of 64 stays readable instead of becoming a hairball.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lossdash import models
from lossdash.charts import base

RESOLUTION = 25  # grid points per axis: 625 rows, a forward pass well under a millisecond
MAX_SHOWN = 8  # neurons drawn per layer; the rest are counted under the column
MAX_LISTED = 8  # incoming weights listed in a neuron's hover text
WIDTHS = (1.0, 2.0, 3.5, 5.5)  # line widths of the four |w| buckets (quarters of the largest)
POSITIVE, NEGATIVE = base.OKABE_ITO[1], base.OKABE_ITO[0]  # orange, blue: as the heatmaps
SIGNED_SCALE = [[0.0, NEGATIVE], [0.5, "#F7F7F7"], [1.0, POSITIVE]]
TILE, GAP_X, GAP_Y = 1.0, 2.2, 1.35  # tile side, column spacing, row spacing (plot units)


@dataclass(frozen=True)
class NetworkSnapshot:
    """Plain data for one frame of the network view (no model object inside)."""

    input_names: list  # labels of the model's input columns ("x1", "x1²", ...)
    output_names: list  # labels of the outputs ("P(class 1)", "y", ...)
    activation: str  # hidden activation name
    weights: list  # W_i, shape (fan_in, fan_out), copies
    biases: list  # b_i, shape (fan_out,), copies
    gx: np.ndarray  # (r,) grid values of the first plane axis
    gy: np.ndarray  # (r,) grid values of the second plane axis
    grids: list  # per layer, inputs first: (units, r, r) activation of each unit on the grid
    task: str  # "classification" or "regression"

    @property
    def sizes(self):
        return [W.shape[0] for W in self.weights] + [self.weights[-1].shape[1]]


def layer_title(snap, layer):
    """``"Inputs"``, ``"Hidden 1"``, ..., ``"Output"``."""
    if layer == 0:
        return "Inputs"
    return "Output" if layer == len(snap.weights) else f"Hidden {layer}"


def unit_name(snap, layer, j):
    """A unit as the user reads it: ``"x1²"``, ``"neuron 3 of hidden 1"``, ``"P(class 1)"``."""
    if layer == 0:
        return snap.input_names[j]
    if layer == len(snap.weights):
        return snap.output_names[j]
    return f"neuron {j + 1} of hidden {layer}"


def short_name(snap, layer, j):
    """A unit in few characters, for axis labels: an input's name, or the neuron's number."""
    return snap.input_names[j] if layer == 0 else f"#{j + 1}"


def weight_label(snap, layer, i, j):
    """``W1[0,2]: x1 → neuron 3 of hidden 1``: which units a weight joins."""
    return (f"W{layer}[{i},{j}]: {unit_name(snap, layer - 1, i)} → "
            f"{unit_name(snap, layer, j)}")


def network_snapshot(model, inputs, gx, gy, input_names, output=None, output_names=None,
                     task="classification"):
    """Evaluate every unit of ``model`` over the grid ``gx`` x ``gy`` of the input plane.

    Parameters
    ----------
    model : lossdash.models.Model
    inputs : callable
        Points of the plane (m, 2) -> model input rows (m, d): the engineered features and the
        standardizer (``lossdash.features.Inputs``).
    gx, gy : ndarray, shape (r,)
        The grid; row ``i * r + j`` of the evaluated points is ``(gx[j], gy[i])``.
    output : callable, optional
        Raw outputs (m,) or (m, k) -> what the output tiles show (a loss's ``proba``).
    """
    gx, gy = np.asarray(gx, dtype=float), np.asarray(gy, dtype=float)
    r = len(gx)
    G = np.column_stack([np.tile(gx, len(gy)), np.repeat(gy, r)])
    Ws = [np.array(model.params[f"W{i}"]) for i in range(1, model.n_layers + 1)]
    bs = [np.array(model.params[f"b{i}"]) for i in range(1, model.n_layers + 1)]
    a = np.asarray(inputs(G), dtype=float)
    grids = [_tiles(a, len(gy), r)]
    fn = models.ACTIVATIONS[model.activation.name].fn
    for W, b in zip(Ws[:-1], bs[:-1], strict=True):
        a = fn(a @ W + b)
        grids.append(_tiles(a, len(gy), r))
    z = a @ Ws[-1] + bs[-1]
    shown = np.asarray(output(z[:, 0] if z.shape[1] == 1 else z) if output else z, dtype=float)
    grids.append(_tiles(shown.reshape(len(G), -1), len(gy), r))
    if output_names is None:
        output_names = [f"output {k + 1}" for k in range(Ws[-1].shape[1])]
    # user text (column names, class labels) is shown as written, never read as HTML
    return NetworkSnapshot([base.plain(n) for n in input_names],
                           [base.plain(n) for n in output_names], model.activation.name, Ws, bs,
                           gx, gy, grids, task)


def _tiles(a, ny, nx):
    """(m, units) activations -> (units, ny, nx) tiles, float32 (ample for a colour)."""
    return np.ascontiguousarray(a.T.reshape(-1, ny, nx), dtype=np.float32)


# ------------------------------------------------------------------------------- layout
def shown_units(snap, layer):
    """Indices of the units drawn in ``layer``: all, or the first ``MAX_SHOWN``."""
    return list(range(min(snap.sizes[layer], MAX_SHOWN)))


def positions(snap):
    """``{(layer, j): (x, y)}``: the centre of every drawn unit's tile."""
    pos = {}
    for layer in range(len(snap.sizes)):
        units = shown_units(snap, layer)
        for row, j in enumerate(units):
            pos[(layer, j)] = (layer * GAP_X, ((len(units) - 1) / 2 - row) * GAP_Y)
    return pos


def _scaled(tile):
    """A tile divided by its largest |value|, so its pattern shows whatever its range."""
    top = float(np.nanmax(np.abs(tile))) if np.isfinite(tile).any() else 0.0
    return tile / top if top > 0 else tile


def _tile_trace(snap, layer, j, centre, output):
    x, y = centre
    r = len(snap.gx)
    tile = snap.grids[layer][j]
    proba = output and snap.task == "classification"
    z = base.gaps(tile if proba else _scaled(tile))
    return {"type": "heatmap", "z": z, "x0": x - TILE / 2 + TILE / (2 * r), "dx": TILE / r,
            "y0": y - TILE / 2 + TILE / (2 * r), "dy": TILE / r,
            "coloraxis": "coloraxis2" if proba else "coloraxis", "hoverinfo": "skip",
            "name": unit_name(snap, layer, j)}


def _weight_traces(snap, pos):
    """Lines bucketed by sign and size (one trace each: Plotly has one width per trace),
    plus invisible midpoint markers that name each weight on hover."""
    top = max((float(np.abs(W).max()) for W in snap.weights), default=0.0) or 1.0
    buckets = {}
    mids, texts = ([], []), []
    for layer, W in enumerate(snap.weights, start=1):
        for i in shown_units(snap, layer - 1):
            for j in shown_units(snap, layer):
                w = float(W[i, j])
                if not np.isfinite(w):
                    continue
                (x0, y0), (x1, y1) = pos[(layer - 1, i)], pos[(layer, j)]
                xa, xb = x0 + TILE / 2, x1 - TILE / 2
                k = min(int(abs(w) / top * len(WIDTHS)), len(WIDTHS) - 1)
                xs, ys = buckets.setdefault((w >= 0, k), ([], []))
                xs += [xa, xb, None]
                ys += [y0, y1, None]
                mids[0].append(xa + 0.55 * (xb - xa))
                mids[1].append(y0 + 0.55 * (y1 - y0))
                texts.append(f"{weight_label(snap, layer, i, j)}<br>w = {w:.3g}")
    traces = [{"type": "scatter", "x": xs, "y": ys, "mode": "lines", "hoverinfo": "skip",
               "showlegend": False, "opacity": 0.75,
               "line": {"width": WIDTHS[k], "color": POSITIVE if positive else NEGATIVE}}
              for (positive, k), (xs, ys) in sorted(buckets.items())]
    traces.append({"type": "scatter", "x": mids[0], "y": mids[1], "mode": "markers",
                   "marker": {"size": 7, "opacity": 0}, "text": texts, "showlegend": False,
                   "hovertemplate": "%{text}<extra></extra>", "name": "weights"})
    return traces


def neuron_text(snap, layer, j):
    """Hover text of a unit: its name, bias and largest incoming weights."""
    lines = [f"<b>{unit_name(snap, layer, j)}</b>"]
    if layer == 0:
        return lines[0] + "<br>an input: its value over the plane"
    W = snap.weights[layer - 1][:, j]
    lines.append(f"bias b{layer}[{j}] = {float(snap.biases[layer - 1][j]):.3g}")
    order = np.argsort(-np.abs(W))[:MAX_LISTED]
    lines += [f"{unit_name(snap, layer - 1, i)}: w = {float(W[i]):.3g}" for i in order]
    if len(W) > MAX_LISTED:
        lines.append(f"... and {len(W) - MAX_LISTED} more incoming weights")
    return "<br>".join(lines)


def network_figure(snap, selected=None, height=None):
    """The network of ``snap``: tiles, weight lines, column titles; ``selected`` =
    ``(layer, j)`` is outlined. Hovering a tile names the unit and its incoming weights."""
    pos = positions(snap)
    n_layers = len(snap.sizes)
    data = _weight_traces(snap, pos)
    for (layer, j), centre in pos.items():
        data.append(_tile_trace(snap, layer, j, centre, layer == n_layers - 1))
    keys = list(pos)
    data.append({"type": "scatter", "x": [pos[k][0] for k in keys],
                 "y": [pos[k][1] for k in keys], "mode": "markers",
                 "marker": {"size": 28, "symbol": "square", "opacity": 0},
                 "customdata": [list(k) for k in keys], "showlegend": False,
                 "text": [neuron_text(snap, *k) for k in keys], "name": "neurons",
                 "hovertemplate": "%{text}<extra></extra>"})
    rows = max(len(shown_units(snap, layer)) for layer in range(n_layers))
    top_y = (rows - 1) / 2 * GAP_Y + TILE / 2
    annotations = [_column_title(snap, layer, top_y) for layer in range(n_layers)]
    annotations += [{"x": x - TILE / 2 - 0.08, "y": y, "text": snap.input_names[j],
                     "showarrow": False, "xanchor": "right", "font": {"size": 12}}
                    for (layer, j), (x, y) in pos.items() if layer == 0]
    annotations += [_more_note(snap, layer, pos) for layer in range(n_layers)
                    if snap.sizes[layer] > MAX_SHOWN]
    shapes = []
    if selected in pos:
        x, y = pos[selected]
        shapes.append({"type": "rect", "x0": x - 0.6, "x1": x + 0.6, "y0": y - 0.6,
                       "y1": y + 0.6, "line": {"color": "#333333", "width": 2.5}})
    hidden = {"visible": False, "fixedrange": True}
    bottom = -top_y - (0.9 if any(s > MAX_SHOWN for s in snap.sizes) else 0.3)
    layout = {
        **base.look("The network"),  # what the squares and lines mean: the caption under it
        "xaxis": {**hidden, "range": [-1.7, (n_layers - 1) * GAP_X + 0.8]},
        "yaxis": {**hidden, "range": [bottom, top_y + 0.7], "scaleanchor": "x"},
        "coloraxis": {"colorscale": SIGNED_SCALE, "cmin": -1, "cmax": 1, "showscale": False},
        "coloraxis2": {"colorscale": SIGNED_SCALE, "cmin": 0, "cmax": 1, "showscale": False},
        "annotations": annotations, "shapes": shapes, "showlegend": False,
        "height": height or int(140 + 70 * rows), "dragmode": False,
    }
    layout["margin"] = {"l": 10, "r": 10, "t": 40, "b": 10}
    return base.figure(data, layout)


def _column_title(snap, layer, top_y):
    n = snap.sizes[layer]
    text = layer_title(snap, layer)
    if 0 < layer < len(snap.sizes) - 1:
        text += f"<br>{n} {snap.activation}"
    return {"x": layer * GAP_X, "y": top_y + 0.15, "text": text, "showarrow": False,
            "yanchor": "bottom", "font": {"size": 11}}


def _more_note(snap, layer, pos):
    lowest = min(pos[(layer, j)][1] for j in shown_units(snap, layer))
    more = snap.sizes[layer] - MAX_SHOWN
    return {"x": layer * GAP_X, "y": lowest - TILE / 2 - 0.1, "yanchor": "top",
            "text": f"+ {more} more", "showarrow": False, "font": {"size": 11,
                                                                   "color": "#666666"}}


# ------------------------------------------------------------------------------- one neuron
def neuron_figure(snap, layer, j, plane_names=("x1", "x2")):
    """One unit large: its activation over the plane (real axes) and its incoming weights."""
    tile = snap.grids[layer][j]
    proba = layer == len(snap.sizes) - 1 and snap.task == "classification"
    scale = {"colorscale": SIGNED_SCALE, "zmid": None if proba else 0.0,
             "zmin": 0 if proba else None, "zmax": 1 if proba else None}
    data = [{"type": "heatmap", "x": snap.gx, "y": snap.gy, "z": base.gaps(tile),
             "showscale": False, "name": unit_name(snap, layer, j),
             "hovertemplate": "(%{x:.2f}, %{y:.2f}): %{z:.3g}<extra></extra>",
             "xaxis": "x", "yaxis": "y", **{k: v for k, v in scale.items() if v is not None}}]
    layout = {
        **base.look(f"{unit_name(snap, layer, j)}: its output over the plane"),
        "xaxis": {"domain": [0, 0.52], "title": {"text": base.plain(plane_names[0])}},
        "yaxis": {"title": {"text": base.plain(plane_names[1])}},
        "showlegend": False, "height": 340,
    }
    if layer > 0:
        W = snap.weights[layer - 1][:, j]
        names = [short_name(snap, layer - 1, i) for i in range(len(W))]
        data.append({"type": "bar", "x": W, "y": names, "orientation": "h",
                     "marker": {"color": [POSITIVE if w >= 0 else NEGATIVE for w in W]},
                     "xaxis": "x2", "yaxis": "y2", "name": "incoming weights", "showlegend": False,
                     "hovertemplate": "%{y}: w = %{x:.3g}<extra></extra>"})
        layout["xaxis2"] = {"domain": [0.74, 1.0], "anchor": "y2",
                            "title": {"text": "weight in"}}
        layout["yaxis2"] = {"anchor": "x2", "autorange": "reversed", "automargin": True,
                            "type": "category", "tickfont": {"size": 10}}
    return base.figure(data, layout)
