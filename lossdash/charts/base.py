"""What every chart module shares: the palette, the layout helpers and history decimation.

Every figure is built in one ``go.Figure(data=[...], layout={...})`` call from plain dicts:
Plotly validates each property once there, where ``update_layout``/``update_xaxes``/
``add_trace`` chains validate (and copy) again at every call, which took several times
longer than the figure's data on a live frame.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

# Okabe & Ito (2008), "Color Universal Design": distinguishable with any common colour deficiency.
OKABE_ITO = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
]
def palette(i: int) -> str:
    """The i-th Okabe-Ito colour, cycling."""
    return OKABE_ITO[i % len(OKABE_ITO)]


COLORS = {
    "batch": "#56B4E9",
    "smoothed": "#0072B2",
    "train": "#009E73",
    "val": "#D55E00",
    "grad": "#0072B2",
    "update": "#E69F00",
    "lr": "#009E73",
    "model": "#000000",
}

def figure(data: list, layout: dict) -> go.Figure:
    """``go.Figure(data=data, layout=layout)`` from plain dicts, without Plotly's property
    checks: they were two thirds of a live frame's server time (the live charts are rebuilt
    up to ten times a second, on the core that trains). The chart tests check every
    builder's figure against Plotly's schema instead (``tests/charts/test_schema.py``).

    The figure names an empty template: without one go.Figure deep-copies Plotly's default
    into every figure (half of building a live chart, ~12% of a live frame's server time, py-spy
    while playing), and a live panel sends no template anyway (``stream.plain``)."""
    return go.Figure(data=data, layout={"template": {}, **layout}, _validate=False)


MAX_POINTS = 600  # rows per line chart: a chart is ~600 px wide, min/max buckets keep spikes,
# and a browser redraws four such charts several times a second (2,000 took ~4x longer)


def decimate(df: pd.DataFrame, max_points: int = MAX_POINTS, by=None) -> pd.DataFrame:
    """Keep at most ``max_points`` rows of ``df``, first and last always kept.

    Parameters
    ----------
    df : DataFrame, n rows in plotting order.
    max_points : int, upper bound on the rows returned.
    by : str or list of str, optional
        Columns whose spikes must survive. The rows are cut into buckets and, per bucket and
        per column, the rows holding the minimum and the maximum are kept (the "min-max"
        downsampling of plotting libraries), so a single huge batch loss is never lost.
        Without ``by`` one row per bucket is kept.

    Returns
    -------
    DataFrame, a subset of the rows of ``df`` in their original order (index unchanged).
    """
    if len(df) <= max_points:
        return df
    cols = [c for c in ([by] if isinstance(by, str) else by or []) if c in df.columns]
    return df.iloc[decimated_rows(len(df), [df[c].to_numpy(float) for c in cols], max_points)]


def bucket_size(n: int, n_buckets: int) -> int:
    """The smallest power of two ``s`` with ``ceil(n / s) <= n_buckets``.

    Buckets are ``[k s, (k + 1) s)``: fixed positions, so while a history grows every
    complete bucket keeps its rows, and a live chart only appends (``s`` doubles, and the
    whole trace changes, log2(n) times in a run).
    """
    return 1 << max(0, math.ceil(math.log2(max(n, 1) / max(n_buckets, 1))))


def decimated_rows(n: int, spiky: Sequence[np.ndarray] = (),
                   max_points: int = MAX_POINTS, at: np.ndarray | None = None) -> np.ndarray:
    """The sorted row positions ``decimate`` keeps out of ``n`` rows (all of them if few).

    The rows are cut into buckets of ``bucket_size`` rows at fixed positions. ``spiky`` holds
    the columns (each shape (n,)) whose per-bucket minimum and maximum are kept; with none,
    each bucket's first row is kept. The first and the last row are always kept. Rows kept
    from complete buckets do not depend on ``n``: a longer history keeps the same rows and
    adds new ones (until the bucket size doubles).

    ``at``, shape (n,), non-decreasing (a history's step of each row), buckets the rows by
    that value instead of by position: ``[k s, (k + 1) s)`` in steps. A long run's history
    thins its older rows (``engine.RECENT_ROWS``), so row positions shift with every step
    recorded, but steps do not: keyed by step, a live chart still only appends.
    """
    if n <= max_points:
        return np.arange(n)
    n_buckets = (max_points - 2) // (2 * len(spiky)) if spiky else max_points - 2
    if at is not None:
        at = np.asarray(at, dtype=np.int64)
        size = bucket_size(int(at[-1] - at[0]) + 1, max(n_buckets - 1, 1))
        return _keyed_rows(at // size, spiky)
    size = bucket_size(n, max(n_buckets, 1))
    if not spiky:
        return _sorted_unique(np.r_[np.arange(0, n, size), n - 1])
    return _sorted_unique(np.concatenate([[0, n - 1], _bucket_argextremes(spiky, size)]))


def _keyed_rows(bucket: np.ndarray, spiky: Sequence[np.ndarray]) -> np.ndarray:
    """Sorted rows: the first and last, and per run of equal ``bucket`` values its first row
    (no ``spiky``) or each column's finite minimum and maximum (ties and all-non-finite
    buckets: the bucket's first row)."""
    n = len(bucket)
    first = np.r_[True, bucket[1:] != bucket[:-1]]  # bucket is sorted: where each one starts
    starts = np.flatnonzero(first)
    found = [np.array([0, n - 1])]
    if not spiky:
        found.append(starts)
    # Linear in n (a live chart decimates its whole history every frame): each bucket's
    # extreme by ``reduceat``, spread back over its rows; the first row equal to it wins.
    segment = np.cumsum(first) - 1  # each row's bucket number
    for values in spiky:
        finite = np.isfinite(values)
        for fill, reduce in ((np.inf, np.minimum), (-np.inf, np.maximum)):
            key = np.where(finite, values, fill)
            hits = np.flatnonzero(key == reduce.reduceat(key, starts)[segment])
            found.append(hits[np.r_[True, segment[hits[1:]] != segment[hits[:-1]]]])
    return _sorted_unique(np.concatenate(found))


def _sorted_unique(positions: np.ndarray) -> np.ndarray:
    """``np.unique`` for a few thousand ints, by sorting (a few times faster here)."""
    positions = np.sort(positions)
    return positions[np.r_[True, positions[1:] != positions[:-1]]]


def _bucket_argextremes(columns: Sequence[np.ndarray], size: int) -> np.ndarray:
    """Row positions of the finite minimum and maximum of each column within each bucket.

    The rows are cut into buckets of ``size`` consecutive rows from row 0, the last one
    possibly shorter. The complete buckets are one reshape ``(n // size, size)``, so one
    ``argmin`` and one ``argmax`` along axis 1 find all their extremes at once; the short
    last bucket is searched on its own. Non-finite values never win; ties go to the first
    row; a bucket with no finite value gives its first row for both.

    Parameters
    ----------
    columns : sequence of arrays, each shape (n,).
    size : int, rows per bucket, at least 1.

    Returns
    -------
    ndarray of int, unsorted, with repeats.
    """
    n = len(columns[0])
    full = n // size * size  # rows in complete buckets
    starts = np.arange(0, full, size)
    found = []
    for values in columns:
        low = high = values
        if not np.isfinite(values).all():
            finite = np.isfinite(values)
            low, high = np.where(finite, values, np.inf), np.where(finite, values, -np.inf)
        for key, arg in ((low, np.argmin), (high, np.argmax)):
            found.append(starts + arg(key[:full].reshape(-1, size), axis=1))
            if full < n:
                found.append(np.array([full + arg(key[full:])]))
    return np.concatenate(found)


def finite(x, y, positive: bool = False):
    """``x``, ``y`` as float arrays without the points where either is non-finite.

    ``positive=True`` also drops ``y <= 0`` (no place on a log axis).
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    if positive:
        ok &= y > 0
    return x[ok], y[ok]


def gaps(z: np.ndarray) -> np.ndarray:
    """Heatmap values as float32 (half the JSON of float64, ample for a colour), every
    non-finite cell replaced by ``None`` (drawn as a gap)."""
    z = np.asarray(z, dtype=np.float32)
    return z if np.isfinite(z).all() else np.where(np.isfinite(z), z, None)


MAX_NAME_CHARS = 80  # a column name longer than this is cut in titles and legends


def plain(text) -> str:
    """User text (a column name, a class label) for a Plotly title, legend or hover label.

    Plotly reads a subset of HTML there (``<a href>``, ``<b>``, ``<br>``, entities): ``&``,
    ``<`` and ``>`` become entities, so the text is shown as written and never becomes a link.
    """
    text = str(text)
    if len(text) > MAX_NAME_CHARS:
        text = text[: MAX_NAME_CHARS - 1] + "…"
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def look(title: str) -> dict:
    """The shared look as layout entries: title, compact margins, legend above the plot area.

    No template is named, so Plotly's default applies (Streamlit's own once streamlit is
    imported) and Streamlit's theme styles the figure; copying ``plotly_white`` into every
    figure took most of a live frame's drawing time.
    """
    return {
        "title": {"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 14},
                  },
        "margin": {"l": 55, "r": 15, "t": 60, "b": 45},
        "legend": {"orientation": "h", "x": 1, "xanchor": "right", "y": 1.0,
                   "yanchor": "bottom", "font": {"size": 11}},
        "hovermode": "closest",
    }


NUMBERS = {"type": "linear"}  # an axis of numbers, said so: Plotly otherwise works out each
# axis's type from the data on every redraw (sampling values as dates: ~6 of the loss curve's
# ~45 ms per redraw in the browser)


def plot_layout(title: str, x_title: str, y_title: str, xaxis: dict | None = None,
            yaxis: dict | None = None, **extra) -> dict:
    """A whole single-plot layout: the shared look, axis titles (plus ``xaxis``/``yaxis``
    entries) and any other layout entries in ``extra``."""
    return {
        **look(title),
        "xaxis": {"title": {"text": x_title}, **(xaxis or {})},
        "yaxis": {"title": {"text": y_title}, **(yaxis or {})},
        **extra,
    }


def apply_style(fig: go.Figure, title: str, x_title: str, y_title: str, **layout) -> go.Figure:
    """Apply the shared look to an existing figure (every x and y axis gets the titles)."""
    fig.update_layout(look(title), **layout)
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title)
    return fig


MANY_ENTRIES = 4  # more legend entries than this wrap into rows that would cover the title


LEGEND_BELOW = {"orientation": "h", "x": 0.0, "xanchor": "left", "y": 0.0, "yanchor": "bottom",
                "yref": "container"}


def legend_below(layout: dict) -> dict:
    """Move the legend of ``layout`` (a :func:`plot_layout`) to the bottom of the figure, where
    its rows push the plot area up instead of climbing over the title (Plotly grows the bottom
    margin to fit it). Returns ``layout``."""
    layout["legend"] = {**layout.get("legend", {}), **LEGEND_BELOW}
    return layout


NOTE_CHARS = 24  # a note's longest line: fits a half-width chart's plot area at 1024 px


def wrapped(text: str, width: int = NOTE_CHARS) -> str:
    """``text`` in lines of at most ``width`` characters (``<br>``, Plotly's line break), cut
    after a colon first: "measured while training:<br>press Play or Step"."""
    if len(text) <= width:
        return text
    head, colon, tail = text.partition(": ")
    if colon and len(head) < width:
        return f"{head}:<br>{wrapped(tail, width)}"
    return "<br>".join(textwrap.wrap(text, width))


def annotation(text: str) -> dict:
    """``text`` in the middle of the plot area, for a figure with nothing to draw (a long one
    on several lines: Plotly never wraps, and a narrow chart cut it at its edges)."""
    return {"text": wrapped(text), "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper",
            "showarrow": False, "font": {"size": 13, "color": "#666666"}}


def note(fig: go.Figure, text: str) -> go.Figure:
    """Write ``text`` in the middle of an otherwise empty figure."""
    fig.add_annotation(annotation(text))
    return fig


def empty(layout: dict, text: str) -> go.Figure:
    """A figure with no traces and ``text`` in the middle."""
    return figure([], {**layout, "annotations": [annotation(text)]})


def line(x, y, name: str, color: str, positive: bool = False, line: dict | None = None,
          **kw) -> dict:
    """A line trace (as a dict) through the finite points of (x, y); ``line`` adds to the
    line style, ``kw`` to the trace."""
    x, y = finite(x, y, positive)
    return {"type": "scatter", "x": x, "y": y, "name": name, "mode": "lines",
            "line": {"color": color, **(line or {})}, **kw}


def x_column(x: str) -> str:
    if x not in ("step", "epoch"):
        raise ValueError(f"the x axis can show 'step' or 'epoch', not {x!r}")
    return x


def eval_rows(history: pd.DataFrame) -> pd.DataFrame:
    """The rows where train/val loss were measured (all rows when there is no ``eval`` column)."""
    if "eval" not in history.columns:
        return history
    return history[history["eval"].fillna(False).astype(bool)]


