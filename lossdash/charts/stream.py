"""A live chart as a stream of small messages: the first figure whole, then only what changed.

A live chart is rebuilt from the training history many times a second, but from one frame to
the next almost all of it stays the same: the layout, the data points, and every point of a
curve but the last few (the chart builders decimate at fixed positions, see
:func:`lossdash.charts.base.decimated_rows`, so a growing history only appends). A
:class:`FigureStream` remembers what it sent and turns each new figure into a message:

- ``{"gen", "seq", "full": True, "data": [...], "layout": {...}}``: the whole figure, sent
  first, after a ``reset`` and when the traces change kind or number;
- ``{"gen", "seq", "since", "traces": [...], "layout"?}``: per changed trace either
  ``{"i": i, "from": k, "x": ..., "y": ...}`` (drop the points from index ``k`` on, append
  these: Plotly's ``extendTraces`` after a cut), ``{"i": i, "set": {"z": ...}}`` (a new grid),
  or ``{"i": i, "replace": trace}``; ``layout`` only when it changed.

A patch holds every change since message ``since``, the oldest of the last ``WINDOW`` it
sent, so it applies on top of any of them: the browser may never see some messages (Streamlit
draws only the latest data of an element when several frames arrive between two paints), and
a skipped frame must not cost a resend. A browser holding something older (or another ``gen``)
asks for the whole figure again, so a lost message costs one full figure, never a wrong chart.

Arrays travel as Plotly's typed-array specs, ``{"dtype": "f4", "bdata": base64, "shape"}``
(float32 halves the bytes of float64 and is ample for a picture); grids may be quantized to
one byte per cell (``{"dtype": "u1", ..., "zmin", "zmax"}``, 255 = no value).
"""

from __future__ import annotations

import base64
import json
import secrets
from collections import deque

import numpy as np

PREFIX_KEYS = ("x", "y")  # 1-D arrays that grow at the end: sent as a cut and an append
GRID_KEYS = ("z",)  # 2-D arrays resent whole when they change
NO_VALUE = 255  # quantized cell without a finite value
WINDOW = 6  # a patch applies on top of any of the last WINDOW messages (~0.6 s of frames)


def encode(values, quantize: bool = False) -> dict:
    """A numeric array as a typed-array spec: float32 (or int32), or one byte per value.

    Parameters
    ----------
    values : array-like of numbers (``None`` counts as no value).
    quantize : bool
        Map the finite range ``[zmin, zmax]`` onto 0..254 (``NO_VALUE`` for the rest); the
        browser maps back with ``zmin + q / 254 * (zmax - zmin)``.
    """
    a = np.asarray(values)
    if a.dtype == object:
        a = np.array(a, dtype=float)  # None -> nan
    spec = {"shape": list(a.shape)}
    if quantize:
        a = a.astype(float)
        ok = np.isfinite(a)
        lo, hi = (float(a[ok].min()), float(a[ok].max())) if ok.any() else (0.0, 1.0)
        q = np.where(ok, np.rint((np.where(ok, a, lo) - lo) / max(hi - lo, 1e-300) * 254), 255)
        a, spec["zmin"], spec["zmax"] = q.astype(np.uint8), lo, hi
    elif np.issubdtype(a.dtype, np.integer) and np.abs(a).max(initial=0) < 2**31:
        a = a.astype(np.int32)
    else:
        a = a.astype(np.float32)
    dtype = {np.uint8: "u1", np.int32: "i4", np.float32: "f4"}[a.dtype.type]
    return {"dtype": dtype, "bdata": base64.b64encode(a.tobytes()).decode("ascii"), **spec}


def _jsonable(value, quantize=False):
    """``value`` with every NumPy array (and NumPy scalar) made JSON-ready."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "OUS" and not _numeric_objects(value):
            return value.tolist()
        return encode(value, quantize)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _numpy(value):
    """``value`` with Plotly's own typed-array specs (``to_plotly_json`` writes NumPy arrays
    as ``{"dtype", "bdata", "shape": "r, c"}``) turned back into arrays, so they can be
    compared; nested dicts and lists are walked."""
    if isinstance(value, dict):
        if isinstance(value.get("bdata"), str) and "dtype" in value:
            a = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
            shape = value.get("shape")
            if isinstance(shape, str):
                shape = [int(v) for v in shape.split(",")]
            return a.reshape(shape) if shape else a
        return {k: _numpy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numpy(v) for v in value]
    return value


def _numeric_objects(a: np.ndarray) -> bool:
    """An object array holding only numbers and None (a heatmap with gaps)."""
    return a.dtype == object and all(v is None or isinstance(v, int | float) for v in a.flat)


def _arrays(trace: dict) -> dict:
    """The streamed arrays of a trace, as float64 (what changes frame to frame)."""
    out = {}
    for key in (*PREFIX_KEYS, *GRID_KEYS):
        value = trace.get(key)
        if isinstance(value, np.ndarray) and value.dtype.kind in "fiuO":
            out[key] = np.array(value, dtype=float) if value.dtype == object else value
    return out


def same_array(a: np.ndarray, b: np.ndarray) -> bool:
    """Same shape and values (NaN equals NaN)."""
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def common_prefix(old: np.ndarray, new: np.ndarray) -> int:
    """How many leading entries ``old`` and ``new`` share (NaN equals NaN)."""
    n = min(len(old), len(new))
    same = (old[:n] == new[:n]) | (np.isnan(old[:n]) & np.isnan(new[:n])) if n else []
    differ = np.flatnonzero(~np.asarray(same, dtype=bool))
    return int(differ[0]) if len(differ) else n


def plain(figure) -> dict:
    """``{"data", "layout"}`` of a go.Figure (or the dict itself), read in place: the
    figure's own trace and layout dicts, which a stream only reads. ``to_plotly_json`` deep-
    copied them and wrote every array as base64, only for the stream to decode it again: half
    of a slow frame's time.

    The layout's ``template`` is left out: go.Figure fills in Plotly's default template, which
    once Streamlit is imported is Streamlit's, whose colours are placeholders (``#000011``...)
    that only ``st.plotly_chart`` replaces with the theme's. In a live panel a trace without
    its own colours was drawn in near-black, and the template was 90% of a chart's layout
    (4 of 4.4 kB, serialized again for every frame). Without it plotly.js's own defaults apply.
    """
    if isinstance(figure, dict):
        fig = figure
    else:
        data, layout = getattr(figure, "_data", None), getattr(figure, "_layout", None)
        fig = ({"data": data, "layout": layout} if isinstance(data, list)
               and isinstance(layout, dict) else figure.to_plotly_json())
    layout = fig.get("layout")
    if isinstance(layout, dict) and "template" in layout:
        fig = {**fig, "layout": {k: v for k, v in layout.items() if k != "template"}}
    return fig


class FigureStream:
    """Remembers the figure the browser holds and says how the next one differs.

    Parameters
    ----------
    quantize_grids : bool
        Send changed ``z`` grids at one byte per cell (a probability map or a loss surface
        drawn in colour needs no more), instead of float32.
    """

    def __init__(self, quantize_grids: bool = False, window: int = WINDOW):
        self.quantize_grids = quantize_grids
        self.gen = secrets.token_hex(4)  # a new stream: the browser drops what it holds
        self.seq = 0
        # what the last messages left in the browser, oldest first:
        # (seq, [(static JSON text, arrays)] per trace, layout JSON)
        self._sent = deque(maxlen=window)

    def reset(self):
        """Send the next figure whole (the browser lost its copy, or asked for it)."""
        self._sent.clear()

    def message(self, figure, latest: bool = False) -> dict:
        """The message that turns any of the last ``WINDOW`` figures sent into ``figure`` (a
        go.Figure or a dict with ``data`` and ``layout``). Nothing changed since the last one:
        ``{"gen", "seq"}`` of the last one.

        ``latest=True``: a patch on top of the last figure sent only (smaller), for a receiver
        that applies every message it gets, in order (the live feed's); one that missed the
        last message asks for the figure whole."""
        fig = plain(figure)
        traces = [_numpy(t) for t in fig.get("data", [])]
        layout = json.dumps(_jsonable(fig.get("layout", {})), sort_keys=True)
        parts = [self._split(t) for t in traces]
        if not self._sent or any(len(parts) != len(old) for _, old, _ in self._sent):
            return self._full(traces, parts, layout)
        if self._same(parts, layout, self._sent[-1]):
            return {"gen": self.gen, "seq": self.seq}
        base = [self._sent[-1]] if latest else list(self._sent)
        olds = [old for _, old, _ in base]
        patches = [p for i in range(len(parts))
                   if (p := self._patch(i, traces[i], parts[i], [o[i] for o in olds]))]
        since = base[0][0]
        self.seq += 1
        self._sent.append((self.seq, parts, layout))
        msg = {"gen": self.gen, "seq": self.seq, "since": since, "traces": patches}
        if any(layout != old_layout for _, _, old_layout in base):
            msg["layout"] = json.loads(layout)
        return msg

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _same(parts, layout, sent) -> bool:
        _, old_parts, old_layout = sent
        if layout != old_layout:
            return False
        for (static, arrays), (old_static, old_arrays) in zip(parts, old_parts, strict=True):
            if static != old_static or arrays.keys() != old_arrays.keys() or not all(
                    same_array(arrays[k], old_arrays[k]) for k in arrays):
                return False
        return True

    def _split(self, trace: dict):
        arrays = _arrays(trace)
        static = {k: v for k, v in trace.items() if k not in arrays}
        return json.dumps(_jsonable(static), sort_keys=True), arrays

    def _trace_json(self, trace: dict) -> dict:
        out = _jsonable({k: v for k, v in trace.items() if k not in GRID_KEYS})
        for key in GRID_KEYS:
            if key in trace and trace[key] is not None:
                out[key] = encode(_arrays(trace).get(key, trace[key]), self.quantize_grids)
        return out

    def _full(self, traces, parts, layout) -> dict:
        self.seq += 1
        self._sent.clear()
        self._sent.append((self.seq, parts, layout))
        return {"gen": self.gen, "seq": self.seq, "full": True,
                "data": [self._trace_json(t) for t in traces], "layout": json.loads(layout)}

    def _patch(self, i, trace, part, olds):
        """Trace ``i``'s patch, good on top of each of ``olds`` (its earlier versions)."""
        static, arrays = part
        if any(static != old_static or arrays.keys() != old_arrays.keys() or any(
                arrays[k].shape[1:] != old_arrays[k].shape[1:] for k in arrays)
                for old_static, old_arrays in olds):
            return {"i": i, "replace": self._trace_json(trace)}
        patch = {"i": i}
        line = [k for k in PREFIX_KEYS if k in arrays and arrays[k].ndim == 1]
        if line:
            k = min(common_prefix(old[key], arrays[key]) for _, old in olds for key in line)
            if k < max(len(arrays[key]) for key in line) or any(
                    len(old[key]) != len(arrays[key]) for _, old in olds for key in line):
                patch["from"] = k
                for key in line:
                    patch[key] = encode(arrays[key][k:])
        for key in GRID_KEYS:
            if key in arrays and not all(same_array(arrays[key], old[key]) for _, old in olds):
                patch.setdefault("set", {})[key] = encode(arrays[key], self.quantize_grids)
        return patch if len(patch) > 1 else None


# ---------------------------------------------------------------------- the receiving side
def decode(value):
    """A message part with every typed-array spec turned back into a NumPy array (grids
    de-quantized, no value as nan): what the browser's ``decode`` does, for tests and tools."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if isinstance(value.get("bdata"), str) and "dtype" in value:
            types = {"f4": np.float32, "f8": np.float64, "i4": np.int32, "u1": np.uint8}
            a = np.frombuffer(base64.b64decode(value["bdata"]), dtype=types[value["dtype"]])
            a = a.astype(float)
            if "zmin" in value:
                a = np.where(a == NO_VALUE, np.nan,
                             value["zmin"] + a / 254 * (value["zmax"] - value["zmin"]))
            return a.reshape(value.get("shape", [len(a)]))
        return {k: decode(v) for k, v in value.items()}
    return value


class Receiver:
    """Applies messages as the browser does (``lossdash/ui/live.js``); ``figure`` is what it
    would draw. ``apply`` returns False where the browser would ask for a resend."""

    def __init__(self):
        self.gen, self.seq, self.figure = None, -1, None

    def apply(self, msg: dict) -> bool:
        if msg.get("full"):
            if msg["gen"] == self.gen and msg["seq"] <= self.seq:
                return True  # a late copy of what it has moved past
            self.gen, self.seq = msg["gen"], msg["seq"]
            self.figure = {"data": decode(msg["data"]), "layout": decode(msg["layout"])}
            return True
        if msg["gen"] != self.gen or self.figure is None:
            return False
        if msg["seq"] <= self.seq:
            return True  # nothing new (a rerun that changed nothing, or a late message)
        if not msg["since"] <= self.seq:
            return False
        data = self.figure["data"]
        for p in msg.get("traces", []):
            if "replace" in p:
                data[p["i"]] = decode(p["replace"])
                continue
            if "from" in p:
                for key in PREFIX_KEYS:
                    if key in p:
                        old = np.asarray(data[p["i"]].get(key, []), dtype=float)
                        data[p["i"]][key] = np.concatenate([old[: p["from"]], decode(p[key])])
            for key, spec in p.get("set", {}).items():
                data[p["i"]][key] = decode(spec)
        if "layout" in msg:
            self.figure["layout"] = decode(msg["layout"])
        self.seq = msg["seq"]
        return True
