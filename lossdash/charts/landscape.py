"""Figures of the loss itself: landscapes with the optimizer's path, demo surfaces, loss shapes.

Pure builders in the house style of :mod:`lossdash.charts` (Okabe-Ito colours, Viridis for
continuous values, compact margins, legend above the plot): data in, ``go.Figure`` out, no
widgets. Live figures carry ``uirevision`` so a redraw keeps the user's zoom and camera.

A landscape is drawn as a contour map (``style="contour"``) or a 3-D surface
(``style="surface"``). ``log_color=True`` colours (and, in 3-D, lifts) by ``log10`` of the loss,
for surfaces spanning decades such as Rosenbrock's; when the surface reaches 0 or below, the
logarithm is taken of ``loss - min + eps`` and the colour bar says so.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lossdash.charts import base
from lossdash.explore.landscape import thin

STYLES = ("contour", "surface")
PATH_COLOR = base.OKABE_ITO[3]  # vermillion: stands out on every part of Viridis
MARK_COLOR = "#FFFFFF"
LOG_EPS = 1e-6  # log colour of a surface reaching 0: log10(Z - min + 1e-6 * (max - min))
CONTOURS = 30
PATH_LIFT = 0.02  # 3-D paths float this share of the colour range above the surface
MAX_PATH = 500  # points per drawn path: 3 paths of 500 keep a demo figure near 150 kB
RUN_COLORS = [c for c in base.OKABE_ITO if c != "#F0E442"]  # no yellow lines on Viridis' yellow end


# ---------------------------------------------------------------------------------------------
# helpers


def _check_style(style: str) -> str:
    if style not in STYLES:
        raise ValueError(f"a landscape is drawn as 'contour' or 'surface', not {style!r}")
    return style


def _log_transform(Z):
    """``(f, label)``: the function mapping loss values to colour values, and its title."""
    finite = np.asarray(Z, dtype=float)[np.isfinite(Z)]
    lo = float(finite.min()) if finite.size else 1.0
    hi = float(finite.max()) if finite.size else 1.0
    if lo > 0:
        return (lambda v: np.log10(v)), "log10 loss"
    shift = -lo + LOG_EPS * max(hi - lo, 1e-12)
    return (lambda v: np.log10(np.asarray(v, dtype=float) + shift)), "log10(loss - min)"


def _colour_values(Z, log_color: bool):
    """``(colour values, their title, transform)``; linear unless ``log_color``."""
    if not log_color:
        return np.asarray(Z, dtype=float), "loss", (lambda v: np.asarray(v, dtype=float))
    f, label = _log_transform(Z)
    with np.errstate(all="ignore"):
        return f(Z), label, f


def _path_traces_2d(path, name, color, show_ends=True, legendgroup=None):
    """The path as line + markers, and (``show_ends``) a start circle and a current star."""
    path = np.asarray(path, dtype=float)
    group = legendgroup or name
    traces = [{"type": "scatter", "x": path[:, 0], "y": path[:, 1], "mode": "lines+markers",
               "name": name, "legendgroup": group, "line": {"color": color, "width": 2},
               "marker": {"size": 4, "color": color},
               "hovertemplate": "%{x:.4g}, %{y:.4g}<extra>" + name + "</extra>"}]
    if show_ends and len(path):
        traces.append({"type": "scatter", "x": path[:1, 0], "y": path[:1, 1], "mode": "markers",
                       "name": "start", "legendgroup": group,
                       "marker": {"size": 12, "symbol": "circle", "color": MARK_COLOR,
                                  "line": {"color": color, "width": 2}}})
        traces.append({"type": "scatter", "x": path[-1:, 0], "y": path[-1:, 1],
                       "mode": "markers", "name": "current", "legendgroup": group,
                       "marker": {"size": 15, "symbol": "star", "color": color,
                                  "line": {"color": MARK_COLOR, "width": 1}}})
    return traces


def _path_traces_3d(path, z, name, color, show_ends=True, legendgroup=None):
    """The 3-D version of :func:`_path_traces_2d`; ``z`` is the height of each point."""
    path = np.asarray(path, dtype=float)
    z = np.where(np.isfinite(z), z, None)
    group = legendgroup or name
    traces = [{"type": "scatter3d", "x": path[:, 0], "y": path[:, 1], "z": z,
               "mode": "lines+markers", "name": name, "legendgroup": group,
               "line": {"color": color, "width": 5}, "marker": {"size": 2, "color": color}}]
    if show_ends and len(path):
        traces.append({"type": "scatter3d", "x": path[:1, 0], "y": path[:1, 1], "z": z[:1],
                       "mode": "markers", "name": "start", "legendgroup": group,
                       "marker": {"size": 6, "color": MARK_COLOR,
                                  "line": {"color": color, "width": 2}}})
        traces.append({"type": "scatter3d", "x": path[-1:, 0], "y": path[-1:, 1],
                       "z": z[-1:], "mode": "markers", "name": "current", "legendgroup": group,
                       "marker": {"size": 7, "symbol": "diamond", "color": color}})
    return traces


def _minimum_traces(points, style, height=None):
    """Black crosses at the known minima ``points`` (k, 2); ``height`` (k,) in 3-D."""
    points = np.atleast_2d(np.asarray(points, dtype=float)).reshape(-1, 2)
    if not len(points):
        return []
    marker = {"size": 11, "symbol": "x", "color": "#000000"}
    if style == "contour":
        return [{"type": "scatter", "x": points[:, 0], "y": points[:, 1], "mode": "markers",
                 "name": "minimum", "marker": marker}]
    # 3-D markers are font glyphs: "x" has none in many fonts (a box shows), a diamond does
    return [{"type": "scatter3d", "x": points[:, 0], "y": points[:, 1], "z": height,
             "mode": "markers", "name": "minimum",
             "marker": {**marker, "symbol": "diamond", "size": 5}}]


def surface_figure(xs, ys, Z, runs=(), *, style="contour", log_color=False, x_title="",
                   y_title="", title="Loss landscape", minima=(), minima_loss=None,
                   uirevision="landscape") -> go.Figure:
    """A loss grid as a contour map or a 3-D surface, with optimizer paths on it.

    Parameters
    ----------
    xs : (nx,), ys : (ny,), Z : (ny, nx)
        ``Z[i, j]`` is the loss at ``(xs[j], ys[i])``.
    runs : sequence of (label, path (m, 2), path_loss (m,), colour)
        Each path is drawn as a line with markers; with one run its start and current point
        are marked too (several runs share one start, marked once).
    style : "contour" or "surface"
    log_color : colour (and in 3-D, height) by log10 of the loss.
    minima : (k, 2) points marked with a cross; ``minima_loss`` (k,) their heights in 3-D.
    uirevision : kept across redraws so zoom and camera survive live updates.

    Built from plain dicts in one ``base.figure`` call: the landscape is redrawn live with its
    growing path, and Plotly's checked ``add_trace``/``update_layout`` chain took ~100 ms of
    the server's core per frame.
    """
    _check_style(style)
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    C, c_title, f = _colour_values(Z, log_color)
    colorbar = {"title": {"text": c_title}, "thickness": 12}
    # With a log colour the hover still shows the loss itself, carried as customdata.
    grid = {"x": xs, "y": ys, "z": base.gaps(C), "name": "loss", "colorscale": "Viridis",
            "colorbar": colorbar,
            "hovertemplate": "%{x:.4g}, %{y:.4g}<br>loss %{"
                             + ("customdata" if log_color else "z") + ":.5g}<extra></extra>"}
    if log_color:
        grid["customdata"] = base.gaps(Z)
    many = len(runs) > 1
    if style == "contour":
        data = [{"type": "contour", "ncontours": CONTOURS, "line": {"width": 0.5}, **grid}]
        for k, (label, path, _, color) in enumerate(runs):
            data += _path_traces_2d(path, label, color, show_ends=not many or k == 0)
        data += _minimum_traces(minima, style)
        layout = base.plot_layout(title, x_title, y_title,
                                  xaxis={**base.NUMBERS, "range": [xs[0], xs[-1]]},
                                  yaxis={**base.NUMBERS, "range": [ys[0], ys[-1]]},
                                  uirevision=uirevision)
        if len(runs) > base.MANY_ENTRIES:
            base.legend_below(layout)
        return base.figure(data, layout)
    data = [{"type": "surface", "opacity": 0.85, **grid}]
    # A path lying exactly on the surface hides in it: lift it (and the markers) a little.
    finite = np.asarray(C, dtype=float)[np.isfinite(C)]
    lift = PATH_LIFT * float(np.ptp(finite)) if finite.size else 0.0
    with np.errstate(all="ignore"):
        for k, (label, path, loss, color) in enumerate(runs):
            data += _path_traces_3d(path, f(loss) + lift, label, color,
                                    show_ends=not many or k == 0)
        heights = None if minima_loss is None else f(np.asarray(minima_loss, dtype=float)) + lift
    data += _minimum_traces(minima, style, heights)
    layout = {**base.look(title), "uirevision": uirevision, "height": 520,
              "scene": {"xaxis": {"title": {"text": _short(x_title)}, "range": [xs[0], xs[-1]]},
                        "yaxis": {"title": {"text": _short(y_title)}, "range": [ys[0], ys[-1]]},
                        "zaxis": {"title": {"text": _short(c_title)}},
                        # further out than Plotly's default: axis titles stay whole
                        "camera": {"eye": {"x": 1.55, "y": -1.55, "z": 0.85}},
                        "aspectmode": "manual", "aspectratio": {"x": 1, "y": 1, "z": 0.65},
                        "domain": {"x": [0, 1], "y": [0.06, 1]}, "uirevision": uirevision},
              "legend": {**base.look(title)["legend"], "orientation": "h", "x": 0,
                         "xanchor": "left", "y": -0.02, "yanchor": "top"},
              "margin": {"l": 10, "r": 10, "t": 60, "b": 50}}
    return base.figure(data, layout)


def _short(title: str, room: int = 16) -> str:
    """A long axis title without its parenthesis: 3-D axis titles have little room
    ("direction 1 (filter-normalized)" -> "direction 1"; "w (W1[0,0])" stays)."""
    return title.split(" (")[0] if len(title) > room else title


# ---------------------------------------------------------------------------------------------
# landscapes of a trainer


def landscape_title(land) -> str:
    """What the picture is (and, for random directions, what it is not)."""
    if land.kind == "random":
        return (
            f"Loss along two random directions around the current weights<br><sup>A 2-D "
            f"slice through a {land.n_params}-dimensional loss, not the whole of it; the path "
            f"is its projection onto this plane ({land.off_plane:.0%} of the largest step "
            f"lies off it)</sup>"
        )
    return "Loss landscape: the exact objective at every (w, b) of the grid"


def landscape_figure(land, style: str = "contour", log_color: bool = False,
                     uirevision: str = "landscape") -> go.Figure:
    """A :class:`lossdash.landscape.Landscape` with its path, start, current point and minimum.

    The random-direction case has the centre (the current weights) at (0, 0), and its title
    says the picture is a slice and the path a projection.
    """
    minima = () if land.minimum is None else np.asarray(land.minimum, dtype=float)[None, :]
    minima_loss = None
    if land.minimum is not None and style == "surface":
        minima_loss = [_grid_value(land, land.minimum)]
    run = ("path", land.path, land.path_loss, PATH_COLOR)
    fig = surface_figure(land.xs, land.ys, land.Z, [run], style=style, log_color=log_color,
                         x_title=land.x_label, y_title=land.y_label, title=landscape_title(land),
                         minima=minima, minima_loss=minima_loss, uirevision=uirevision)
    if land.kind == "random":
        fig.update_layout(margin={"t": 80})
    return fig


def _grid_value(land, point) -> float:
    """The grid's loss at the grid node nearest ``point`` (a marker height, not a new value)."""
    j = int(np.abs(land.xs - point[0]).argmin())
    i = int(np.abs(land.ys - point[1]).argmin())
    return float(land.Z[i, j])


# ---------------------------------------------------------------------------------------------
# demo surfaces


def demo_figure(surf, paths: dict, style: str = "contour", log_color: bool | None = None,
                resolution: int = 100, uirevision: str = "demo") -> go.Figure:
    """A demo surface with several optimizers' paths, one colour each, and its minima.

    Parameters
    ----------
    surf : lossdash.landscape.Surface
    paths : dict of label -> path (m, 2), e.g. from ``landscape.race``; each is drawn thinned
        to at most ``MAX_PATH`` evenly spaced points (first and last kept).
    log_color : None uses the surface's own ``log_color``.
    """
    xs, ys, Z = surf.grid(resolution)
    log_color = surf.log_color if log_color is None else log_color
    runs = []
    for k, (label, path) in enumerate(paths.items()):
        path = thin(np.asarray(path, dtype=float).reshape(-1, 2), MAX_PATH)
        with np.errstate(all="ignore"):
            values = surf.value(path[:, 0], path[:, 1])
        runs.append((label, path, values, RUN_COLORS[k % len(RUN_COLORS)]))
    minima = np.asarray(surf.minima, dtype=float).reshape(-1, 2)
    heights = surf.value(minima[:, 0], minima[:, 1]) if len(minima) else None
    return surface_figure(xs, ys, Z, runs, style=style, log_color=log_color, x_title="x",
                          y_title="y", title=f"{surf.name}: optimizers from the same start",
                          minima=minima, minima_loss=heights, uirevision=uirevision)


# ---------------------------------------------------------------------------------------------
# loss shapes and outliers


def loss_shape_figure(shapes, which: str = "value") -> go.Figure:
    """Every loss of a task against the residual (margin): its value or its gradient.

    ``shapes`` is a :class:`lossdash.shapes.Shapes`; ``which`` is "value" or "gradient". A
    curve equal to one drawn before it (cross_entropy on two classes is bce) is dashed and
    named "cross_entropy (= bce)", so neither hides the other.
    """
    if which not in ("value", "gradient"):
        raise ValueError(f"a loss-shape chart shows 'value' or 'gradient', not {which!r}")
    curves = shapes.values if which == "value" else shapes.grads
    var = "r" if shapes.task == "regression" else "m"
    y_title = f"loss of one sample l({var})" if which == "value" else f"gradient dl/d{var}"
    title = ("How each loss " + ("charges an error" if which == "value" else "pushes back")
             + (" (per sample)" if shapes.task == "regression" else ", by the margin"))
    data = []
    drawn = {}  # name -> curve, of the curves drawn solid
    for k, (name, y) in enumerate(curves.items()):
        line = {"color": RUN_COLORS[k % len(RUN_COLORS)], "width": 2.5}
        twin = next((other for other, seen in drawn.items() if _same_curve(seen, y)), None)
        if twin is None:
            drawn[name] = y
        else:  # dashed on top, so the curve it would hide under still shows
            name, line = f"{name} (= {twin})", {**line, "dash": "dash", "width": 3}
        data.append({"type": "scatter", "x": shapes.x, "y": y, "mode": "lines", "name": name,
                     "line": line})
    axis = {"color": "#999999", "width": 1}  # the axes r = 0 and l = 0, across the whole plot
    layout = base.plot_layout(
        title, shapes.x_label, y_title, uirevision="shapes",
        shapes=[{"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y",
                 "y0": 0, "y1": 0, "line": axis},
                {"type": "line", "xref": "x", "x0": 0, "x1": 0, "yref": "y domain",
                 "y0": 0, "y1": 1, "line": axis}])
    # below the plot: half a phone's width, and a legend above wraps onto the title
    return base.figure(data, base.legend_below(layout))


def _same_curve(a, b) -> bool:
    """Two curves that would draw as one line (bce and cross_entropy on two classes)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-6, atol=1e-9))


def outlier_figure(result) -> go.Figure:
    """The outlier experiment: points (outliers as crosses) and each loss's fitted line.

    ``result`` is a :class:`lossdash.shapes.OutlierFit`.
    """
    x = np.asarray(result.X, dtype=float)[:, 0]
    y, out = np.asarray(result.y, dtype=float), np.asarray(result.outlier, dtype=bool)
    title = f"{int(out.sum())} outliers: which line do they drag?"
    layout = base.plot_layout(title, "x", "y")
    if not len(x):
        return base.empty(layout, "no data")
    ends = np.array([x.min(), x.max()])
    w0, b0 = result.true
    data = [{"type": "scatter", "x": x[~out], "y": y[~out], "mode": "markers", "name": "data",
             "marker": {"size": 6, "color": base.COLORS["train"]}},
            {"type": "scatter", "x": x[out], "y": y[out], "mode": "markers", "name": "outliers",
             "marker": {"size": 10, "symbol": "x", "color": base.OKABE_ITO[3]}},
            {"type": "scatter", "x": ends, "y": w0 * ends + b0, "mode": "lines",
             "name": f"true: y = {w0:g}x + {b0:g}", "line": {"color": "#666666", "dash": "dash"}}]
    for k, (name, (w, b)) in enumerate(result.fits.items()):
        data.append({"type": "scatter", "x": ends, "y": w * ends + b, "mode": "lines",
                     "name": f"{name}: y = {w:.2f}x + {b:.2f}",
                     "line": {"color": RUN_COLORS[k % len(RUN_COLORS)], "width": 2.5}})
    return base.figure(data, layout)
