"""The network view of the Train view: the network as TensorFlow Playground draws it.

``render(run)`` draws +/- controls that write the ``hidden`` setting, then a fragment with the
network (``lossdash.charts.network``) and one neuron large. While the run plays the fragment
redraws itself every ``FRAME_SECONDS``; each frame evaluates the network on a 25 x 25 grid
under the trainer's lock (a few matmuls) and draws outside it.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from lossdash import config
from lossdash.charts import network
from lossdash.charts.training import boundary_grid
from lossdash.ui import background, feed, fragments, live

FRAME_SECONDS = 1.0  # the network moves slowly next to the loss: a frame a second at most
NEW_LAYER_WIDTH = 4  # neurons of a layer added with "+ layer"
CAPTION = ("Each square is one neuron: its output at every point of the plane (orange "
           "positive, blue negative, white near 0). Lines are weights: thicker means larger, "
           "orange positive, blue negative. The last square is the model's answer.")


def applies(run):
    """The view draws data in a 2-D plane (generated 2-D sets and 2-column tables)."""
    return run is not None and run.plane is not None and run.plane.train.n_features == 2


# --------------------------------------------------------------------------- +/- controls
def _widths(cfg):
    return list(cfg.hidden_sizes()) if cfg.model == "mlp" else []


def _write(widths):
    """Put new hidden widths in the settings (the sidebar's widgets and the URL follow: the
    whole page reruns, not only the Train view the buttons are in, and rebuilds the run)."""
    ss = st.session_state
    if widths:
        ss["model"], ss["hidden"] = "mlp", ",".join(map(str, widths))
    else:
        ss["model"] = "linear"
    st.rerun()


def _add_layer():
    widths = _widths(st.session_state.run.cfg)
    _write([*widths, NEW_LAYER_WIDTH][: config.MAX_HIDDEN_LAYERS])


def _remove_layer():
    _write(_widths(st.session_state.run.cfg)[:-1])


def _resize(layer, delta):
    widths = _widths(st.session_state.run.cfg)
    widths[layer] = int(np.clip(widths[layer] + delta, 1, config.MAX_WIDTH))
    _write(widths)


def layer_controls(run):
    """``+ layer``/``- layer`` and ``+``/``-`` per hidden layer; they write ``hidden``."""
    widths = _widths(run.cfg)
    cols = st.columns([2] + [1] * max(len(widths), 1), vertical_alignment="center")
    with cols[0]:
        a, b = st.columns(2)
        a.button("Layer", icon=":material/add:", on_click=_add_layer, key="net_add_layer",
                 disabled=len(widths) >= config.MAX_HIDDEN_LAYERS, width="stretch",
                 help="Add a hidden layer (a linear model becomes a neural net).")
        b.button("Layer", icon=":material/remove:", on_click=_remove_layer,
                 key="net_remove_layer", disabled=not widths, width="stretch",
                 help="Remove the last hidden layer (none left: the linear model).")
    if not widths:
        cols[1].caption("A linear model: no hidden layers.")
    for i, n in enumerate(widths):
        with cols[i + 1]:
            minus, label, plus = st.columns([1, 2, 1], gap="small", vertical_alignment="center")
            minus.button("", icon=":material/remove:", key=f"net_minus_{i}", on_click=_resize,
                         args=(i, -1), disabled=n <= 1, help=f"One neuron fewer in hidden {i + 1}")
            label.markdown(f"<div style='text-align:center;font-size:0.85rem'>hidden {i + 1}"
                           f"<br><b>{n}</b></div>", unsafe_allow_html=True)
            plus.button("", icon=":material/add:", key=f"net_plus_{i}", on_click=_resize,
                        args=(i, 1), disabled=n >= config.MAX_WIDTH,
                        help=f"One neuron more in hidden {i + 1}")


# --------------------------------------------------------------------------- the picture
def output_names(run):
    loss, train = run.trainer.loss, run.train
    if train.task == "regression":
        return [train.target_name]
    if loss.n_outputs(train.n_classes) == 1:
        return [f"P(class {train.classes[-1]})"]
    return [f"P(class {c})" for c in train.classes]


def snapshot(run):
    """The network of ``run`` evaluated on the grid: plain data."""
    plane = run.plane
    gx, gy, _ = boundary_grid(plane.train, plane.val, network.RESOLUTION)
    trainer = run.trainer
    with run.lock:  # only the copy happens under the lock; the grid is evaluated outside it
        model = trainer.model.copy()
    return network.network_snapshot(model, plane.inputs, gx, gy, run.train.feature_names,
                                    trainer.loss.proba, output_names(run), run.train.task)


def _units(snap):
    return [(layer, j) for layer, n in enumerate(snap.sizes) for j in range(n)]


def frame(run, whole=None):
    """The view's next live frame: the network and the chosen neuron large. No Streamlit
    element: the live feed builds it too, while the run plays."""
    ss = feed.session()
    snap = snapshot(run)
    if not feed.serving():  # a feed thread leaves Streamlit's session state alone (writing it
        ss["net_snapshot"] = snap  # there warned "missing ScriptRunContext" at every frame);
    # the script run's own frame keeps the names and units the selector and clicks need
    units = _units(snap)
    unit = ss.get("net_unit")
    if unit not in units:  # first frame, or the network changed shape
        unit = units[-1]
    names = run.plane.train.feature_names
    charts = [live.Chart("net/graph", network.network_figure(snap, unit), quantize=True,
                         clickable=True),
              live.Chart("net/neuron", network.neuron_figure(snap, *unit, names), quantize=True)]
    return live.frame(charts, whole=whole)


def _on_click():
    """A click on a neuron of the network (its tile's marker carries ``[layer, j]``)."""
    clicked = (st.session_state.get("live-net") or {}).get("click") or {}
    unit = tuple(clicked.get("customdata") or ())
    snap = st.session_state.get("net_snapshot")
    if snap is not None and unit in _units(snap):
        st.session_state["net_unit"] = unit


def panel(run):
    ss = st.session_state
    url = feed.register("net", run, frame, live.lock("net")) if run.playing else None
    if url is None:
        feed.forget("net")
    beat = url is not None and fragments.rerun_alone() and "net_snapshot" in ss
    if not beat:
        with live.lock("net"):
            data = frame(run)
    units = _units(ss["net_snapshot"])
    if ss.get("net_unit") not in units:
        ss["net_unit"] = units[-1]
    names = {u: network.unit_name(ss["net_snapshot"], *u) for u in units}
    st.selectbox("Look closer at", units, format_func=names.get, key="net_unit", width=320,
                 help="Or click a neuron in the network.")
    if beat:  # the feed draws; this tick only keeps it asking
        live.heartbeat("live-net", url, FRAME_SECONDS, on_click=_on_click)
    else:
        live.show("live-net", data, url, FRAME_SECONDS, on_click=_on_click)
    st.caption(CAPTION)


def guarded(run):
    try:
        panel(run)
    except Exception as err:  # a fragment rerun does not pass through main's guard
        background.stop(run)
        st.error(f"The network view hit a problem ({type(err).__name__}: {err}). "
                 "Press Reset, or change a setting.", icon=":material/error:")


def render(run):
    """The network view, for runs on 2-D data; nothing for other data."""
    if not applies(run):
        return
    with st.expander("The network", icon=":material/hub:", expanded=True):
        layer_controls(run)
        # with the live feed the page fetches the frames; a slow tick keeps it asking
        every = (live.HEARTBEAT_SECONDS if feed.mounted else FRAME_SECONDS) if run.playing else None
        fragments.fragment(guarded, run_every=every)(run)
