"""The live panel: a Components v2 element that keeps Plotly charts in the page and updates
them in place (``live.js`` beside this file does the drawing).

``st.plotly_chart`` sends the whole figure on every rerun and the browser rebuilds the chart
from it: while a run plays that is ~100 kB a frame and, now and then, a chart missing from the
page between two frames. This element instead holds a metrics row and a few Plotly charts; each
frame sends only what changed (:class:`lossdash.charts.stream.FigureStream`), and the browser
applies it to the figure it has and redraws with ``Plotly.react``, so a chart never leaves the
page. plotly.js comes from the installed ``plotly`` package, served by Streamlit's static file
serving (``.streamlit/config.toml``: ``server.enableStaticServing``) from ``static/`` next to
``app.py``: lossdash makes no request to another host.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import plotly
import streamlit as st

from lossdash.charts import captions
from lossdash.charts.stream import FigureStream
from lossdash.ui import feed, fragments

HERE = Path(__file__).resolve().parent
APP_DIR = HERE.parents[1]  # where app.py is: Streamlit serves APP_DIR/static at /app/static
STATIC = APP_DIR / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
# The element's own script is sent with every frame, so it only loads the real one (cached).
LOADER = """export default function (component) {
  const url = new URL(%s, document.baseURI).href;
  const loaded = (globalThis.__lossdashModules ||= {});
  if (loaded[url]) return loaded[url].render(component);
  import(url).then((m) => { loaded[url] = m; m.render(component); });
}"""


def _publish(source: Path, stem: str) -> str:
    """Copy ``source`` into ``static/`` under a name holding its content hash (a browser never
    runs a stale copy); returns its URL path. Copies only when missing."""
    digest = hashlib.sha1(source.read_bytes()).hexdigest()[:10]
    target = STATIC / f"{stem}.{digest}{source.suffix}"
    if not target.exists():
        STATIC.mkdir(exist_ok=True)
        tmp = target.with_suffix(".tmp")
        shutil.copyfile(source, tmp)
        tmp.replace(target)  # atomic: a concurrent request never reads half a file
    return f"app/static/{target.name}"


@functools.cache
def assets() -> dict:
    """URL paths of plotly.js, the panel's script and its style (published once a process)."""
    return {"plotly_url": _publish(PLOTLY_JS, f"plotly-{plotly.__version__}"),
            "js_url": _publish(HERE / "live.js", "lossdash-live"),
            "css_url": _publish(HERE / "live.css", "lossdash-live")}


@functools.cache
def _component():
    return st.components.v2.component(
        "lossdash_live", js=LOADER % json.dumps(assets()["js_url"]), isolate_styles=False)


@dataclass
class Chart:
    """One chart of a panel: a stable id (the browser keeps its figure under it), the figure
    (``go.Figure`` or ``{"data", "layout"}``), its height in pixels, and whether it spans the
    panel's full width."""

    id: str
    figure: object
    height: int = 360
    wide: bool = False
    quantize: bool = False  # send changed grids at one byte per cell
    clickable: bool = False  # a click on a point calls the panel's on_click (its customdata)
    field: bool = False  # heatmaps drawn as images: a new grid redraws the image alone (live.js)


def title_of(chart) -> str:
    """The figure's title text ("" when it has none)."""
    layout = getattr(chart.figure, "layout", None)
    if layout is not None:
        return layout.title.text or ""
    return (chart.figure.get("layout", {}).get("title") or {}).get("text", "")


def height_of(chart) -> int:
    """The figure's own height when it asks for one (stacked subplots), else the chart's."""
    layout = getattr(chart.figure, "layout", None)
    asked = getattr(layout, "height", None) if layout is not None else (
        chart.figure.get("layout", {}).get("height"))
    return int(asked) if asked else chart.height


def _streams() -> dict:
    return feed.session().setdefault("live_streams", {})


def lock(panel: str) -> threading.Lock:
    """The drawing lock of this session's panel ``panel``: its frame is built by one thread at
    a time (a fragment's run, a click's rerun or a feed request), since its frames share the
    charts' streams (and the fast panel's the page's model). Panels have their own, so a slow
    frame never holds up a fast one."""
    return feed.session().setdefault(f"live_lock_{panel}", threading.Lock())


def _resync(ids):
    """The browser lost a message for one of ``ids``: send those figures whole next time."""

    def callback():
        streams = _streams()
        for chart_id in ids:
            if chart_id in streams:
                streams[chart_id].reset()

    return callback


def frame(charts, metrics=(), progress=None, whole=None) -> dict:
    """The data of one frame: metrics as dicts, progress, and one stream message per chart.

    A run of the whole page (a setting, a view) sends every figure whole: such a run can be
    cut short by the next one, and the browser would then miss the message the next patch
    builds on. A fragment's run (a click in the Train view, a panel's tick) sends only what
    changed since the oldest of the stream's last messages, so a message lost with a run cut
    short costs nothing, and a browser holding none of them asks for a resend (``_resync``).
    Pause had sent the view's figures whole, ~200 kB, and the page's core decoded and redrew
    them before the metrics said the run had stopped: click to "Steps/s –" took 0.14-0.39 s
    (median 0.29 of 7 Pauses), 0.13-0.30 s with patches (median 0.20; same hour).
    ``whole`` says which where no script run can tell: a feed request, whose page applies
    every frame it gets in order, so its patches build on the last frame only.
    """
    streams = _streams()
    latest = whole is not None
    if whole is None:
        whole = not fragments.fragment_run()
    out = []
    for chart in charts:
        stream = streams.get(chart.id)
        if stream is None or stream.quantize_grids != chart.quantize:
            stream = streams[chart.id] = FigureStream(quantize_grids=chart.quantize)
        if whole:
            stream.reset()
        out.append({"id": chart.id, "height": height_of(chart), "wide": chart.wide,
                    "clickable": chart.clickable, "field": chart.field,
                    "caption": captions.caption(title_of(chart)),
                    "msg": stream.message(chart.figure, latest=latest)})
    return {**assets(), "metrics": list(metrics), "progress": progress, "charts": out}


def show(key, data, feed_url=None, every=None, on_click=None, on_ended=None,
         on_drawn=None) -> int:
    """Draw (or update) the live panel ``key`` from a :func:`frame`; with ``feed_url`` the
    page fetches the panel's next frames from it itself, one at most every ``every`` seconds
    (``lossdash.ui.feed``). ``on_click`` is called when a point of a clickable chart is
    clicked (``st.session_state[key]["click"]`` holds its ``customdata``); ``on_ended`` when
    a feed frame says the run is no longer playing; ``on_drawn`` once the page has drawn the
    panel's charts (the first time it is mounted). Returns the bytes this frame sent."""
    data = {**data, "feed": None if feed_url is None else
            {"url": feed_url, "every_ms": round(1000 * (every or 0))},
            "report_drawn": on_drawn is not None}
    if any(chart.get("msg") for chart in data["charts"]):  # a frame, not a heartbeat
        feed.session().setdefault("live_last", {})[key] = [
            {k: v for k, v in chart.items() if k != "msg"} for chart in data["charts"]]
    events = {f"on_{name}_change": fn for name, fn in (("click", on_click), ("ended", on_ended),
                                                        ("drawn", on_drawn)) if fn is not None}
    _component()(key=key, data=data,
                 on_resync_change=_resync([c["id"] for c in data["charts"]]), **events)
    return len(json.dumps(data))


def chart(key, figure, height=420, wide=False) -> None:
    """One still chart as its own live panel ``key``: drawn with the page's one plotly.js
    (Streamlit's Plotly element loads and parses a second copy, ~0.5 s on the first chart of a
    view) and updated in place when a rerun changes it, never rebuilt."""
    show(key, frame([Chart(key, figure, height, wide=wide)]))


HEARTBEAT_SECONDS = 15.0  # a panel fed by the live feed reruns this often all the same: a page
# whose feed stopped (a lost answer, a restarted server) starts asking again. Rarely: every
# fragment run re-renders the page in React (60-180 ms of the browser's one core here, CDP
# profile while playing), and a feed that answers "gone" asks for a rerun itself (live.js).


def heartbeat(key, feed_url, every, metrics=None, progress=None, **events) -> None:
    """Redraw the live panel ``key`` as it is, for a page whose frames come from the live feed:
    no figure (the page keeps what it has), the metrics if given, and the feed, so a page whose
    feed stopped (a lost answer, a server restart) starts asking again."""
    last = feed.session().get("live_last", {}).get(key)
    if last is None:
        return
    data = {**assets(), "metrics": None if metrics is None else list(metrics),
            "progress": progress, "charts": [{**chart, "msg": None} for chart in last]}
    show(key, data, feed_url, every, **events)


def metric(label, value, help=""):
    """A metrics-row entry (drawn like ``st.metric``)."""
    return {"label": label, "value": value, "help": help}


def forget(prefix=""):
    """Drop the streams whose id starts with ``prefix``: their next frame is sent whole."""
    streams = _streams()
    for chart_id in [c for c in streams if c.startswith(prefix)]:
        del streams[chart_id]
