// lossdash live panel: a metrics row and Plotly charts kept in the page and updated in place.
//
// Python (lossdash/ui/live.py) sends, on every frame of a fragment, {metrics, progress, charts};
// each chart carries a FigureStream message (lossdash/charts/stream.py): the whole figure once,
// then only what changed. The figures live in `store`, outside the DOM, so a chart that React
// remounts is drawn again at once from what the page already has: a chart never goes blank.
// Drawing waits for the next animation frame, so several messages cost one Plotly.react.

const store = (window.__lossdashLive = window.__lossdashLive || new Map()); // chart id -> state
let plotly = null; // the Plotly module, once loaded

function loadPlotly(url) {
  if (!window.__lossdashPlotly) {
    window.__lossdashPlotly = window.Plotly
      ? Promise.resolve(window.Plotly)
      : new Promise((resolve, reject) => {
          const s = document.createElement("script");
          s.src = url;
          s.onload = () => resolve(window.Plotly);
          s.onerror = () => reject(new Error("could not load " + url));
          document.head.appendChild(s);
        });
  }
  return window.__lossdashPlotly;
}

// ---------------------------------------------------------------- typed arrays from Python
const TYPES = { f4: Float32Array, f8: Float64Array, i4: Int32Array, u1: Uint8Array };

function bytesOf(b64) {
  const text = atob(b64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function decodeArray(spec) {
  const typed = new TYPES[spec.dtype](bytesOf(spec.bdata).buffer);
  const flat = new Array(typed.length);
  if (spec.zmin !== undefined) {
    const scale = (spec.zmax - spec.zmin) / 254;
    for (let i = 0; i < typed.length; i++) flat[i] = typed[i] === 255 ? NaN : spec.zmin + typed[i] * scale;
  } else {
    for (let i = 0; i < typed.length; i++) flat[i] = typed[i];
  }
  if (spec.shape && spec.shape.length === 2) {
    const [rows, cols] = spec.shape;
    const out = new Array(rows);
    for (let r = 0; r < rows; r++) out[r] = flat.slice(r * cols, (r + 1) * cols);
    return out;
  }
  return flat;
}

function decode(value) {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === "object") {
    if (typeof value.bdata === "string" && value.dtype) return decodeArray(value);
    const out = {};
    for (const k of Object.keys(value)) out[k] = decode(value[k]);
    return out;
  }
  return value;
}

// ---------------------------------------------------------------- applying a message
function kept(old, value) {
  // `value`, with every part equal to the same part of `old` replaced by old's own object: a
  // whole figure sent again (a click's rerun) then leaves Plotly.react what changed only,
  // which it compares by identity (a field chart redraws its image, not its points)
  if (old === value) return old;
  if (Array.isArray(value)) {
    if (!Array.isArray(old) || old.length !== value.length) return value;
    let same = true;
    const out = value.map((v, i) => {
      const k = kept(old[i], v);
      if (k !== old[i]) same = false;
      return k;
    });
    return same ? old : out;
  }
  if (value && typeof value === "object") {
    if (!old || typeof old !== "object" || Array.isArray(old)) return value;
    const keys = Object.keys(value);
    let same = keys.length === Object.keys(old).length;
    const out = {};
    for (const key of keys) {
      out[key] = kept(old[key], value[key]);
      if (out[key] !== old[key]) same = false;
    }
    return same ? old : out;
  }
  return Number.isNaN(value) && Number.isNaN(old) ? old : value;
}

// Returns false when the message cannot apply to what the page holds (a resend is needed).
function apply(state, msg) {
  if (msg.full) {
    if (msg.gen === state.gen && msg.seq <= state.seq) return true; // late: already past it
    state.gen = msg.gen;
    state.seq = msg.seq;
    state.data = kept(state.data, decode(msg.data));
    state.layout = decode(msg.layout);
    return true;
  }
  if (msg.gen !== state.gen || state.data === null) return false;
  if (msg.seq <= state.seq) return true; // nothing new (a rerun that changed nothing, or late)
  // A patch holds every change since message `since`: it applies on top of any figure from
  // then on, so frames the page never saw (several arrived between two paints) cost nothing.
  if (!(msg.since <= state.seq)) return false;
  for (const p of msg.traces || []) {
    const trace = state.data[p.i];
    if (p.replace) {
      state.data[p.i] = decode(p.replace);
      continue;
    }
    if (p.from !== undefined) {
      for (const key of ["x", "y"]) {
        if (p[key]) trace[key] = (trace[key] || []).slice(0, p.from).concat(decodeArray(p[key]));
      }
    }
    for (const [key, spec] of Object.entries(p.set || {})) trace[key] = decodeArray(spec);
  }
  if (msg.layout) state.layout = decode(msg.layout);
  state.seq = msg.seq;
  return true;
}

// ---------------------------------------------------------------- fields as images
// A chart marked `field` (the decision boundary) shows its heatmaps as layout images and a
// one-level contour (the 0.5 boundary) as a layout shape. Plotly redraws every trace when
// any trace's data changes: a new heatmap each frame made it redraw the hundreds of data
// points too (in WebGL), 45-60 ms of the browser's core per frame plus as much again in its
// GPU process. Images and shapes are layout: Plotly redraws them alone, and the points,
// whose arrays do not change, are drawn once.
const imageCache = new WeakMap(); // z array -> its image source
const pathCache = new WeakMap(); // z array -> its contour path (a chart may share one z)
const scales = new Map(); // colorscale JSON -> 256 RGB entries
const bars = new Map(); // a heatmap's colour bar settings -> the invisible trace that draws it

function rgbOf(color) {
  measure.fillStyle = "#000";
  measure.fillStyle = color; // the canvas parses any CSS colour into #rrggbb or rgba(...)
  const c = measure.fillStyle;
  if (c[0] === "#") return [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
  return c.match(/[\d.]+/g).slice(0, 3).map(Number);
}

function lookup(colorscale) {
  // 256 colours along the scale, interpolated in RGB between its stops, as Plotly does
  const key = JSON.stringify(colorscale);
  let table = scales.get(key);
  if (!table) {
    const stops = colorscale.map(([at, color]) => [Number(at), rgbOf(color)]);
    table = new Uint8ClampedArray(256 * 3);
    for (let i = 0; i < 256; i++) {
      const t = i / 255;
      let k = 0;
      while (k < stops.length - 2 && t > stops[k + 1][0]) k++;
      const [a, ca] = stops[k];
      const [b, cb] = stops[Math.min(k + 1, stops.length - 1)];
      const f = b > a ? Math.max(0, Math.min(1, (t - a) / (b - a))) : 0;
      for (let j = 0; j < 3; j++) table[3 * i + j] = ca[j] + f * (cb[j] - ca[j]);
    }
    scales.set(key, table);
  }
  return table;
}

function axisOf(trace, key, n) {
  // a heatmap's cell centres along x or y: its array, or x0 + i dx
  const v = trace[key];
  if (v && v.length === n) return v;
  const start = trace[key + "0"] || 0;
  const step = trace["d" + key] || 1;
  return Array.from({ length: n }, (_, i) => start + i * step);
}

function imageOf(trace) {
  // the heatmap as a layout image: one pixel per cell, top row first, gaps transparent
  const z = trace.z;
  let source = imageCache.get(z);
  const rows = z.length;
  const cols = rows ? z[0].length : 0;
  if (!rows || !cols) return null;
  if (source === undefined) {
    let lo = trace.zmin;
    let hi = trace.zmax;
    if (lo === undefined || hi === undefined) {
      lo = Infinity;
      hi = -Infinity;
      for (const row of z) for (const v of row) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    }
    const table = lookup(trace.colorscale || [[0, "#0d0887"], [1, "#f0f921"]]);
    const canvas = document.createElement("canvas");
    canvas.width = cols;
    canvas.height = rows;
    const context = canvas.getContext("2d");
    const pixels = context.createImageData(cols, rows);
    const span = hi > lo ? hi - lo : 1;
    for (let r = 0; r < rows; r++) {
      const row = z[rows - 1 - r];
      for (let c = 0; c < cols; c++) {
        const v = row[c];
        const o = 4 * (r * cols + c);
        if (v === null || !Number.isFinite(v)) continue; // a gap: transparent
        const i = 3 * Math.round(255 * Math.max(0, Math.min(1, (v - lo) / span)));
        pixels.data[o] = table[i];
        pixels.data[o + 1] = table[i + 1];
        pixels.data[o + 2] = table[i + 2];
        pixels.data[o + 3] = 255;
      }
    }
    context.putImageData(pixels, 0, 0);
    source = canvas.toDataURL();
    imageCache.set(z, source);
  }
  const xs = axisOf(trace, "x", cols);
  const ys = axisOf(trace, "y", rows);
  const dx = cols > 1 ? (xs[cols - 1] - xs[0]) / (cols - 1) : 1;
  const dy = rows > 1 ? (ys[rows - 1] - ys[0]) / (rows - 1) : 1;
  return { source, xref: "x", yref: "y", x: xs[0] - dx / 2, y: ys[rows - 1] + dy / 2,
    sizex: dx * cols, sizey: dy * rows, sizing: "stretch", xanchor: "left", yanchor: "top",
    layer: "below", opacity: trace.opacity === undefined ? 1 : trace.opacity };
}

function barOf(trace) {
  // a heatmap's colour bar, drawn by a trace with no points (it never changes)
  if (trace.showscale === false) return null;
  const key = JSON.stringify([trace.colorscale, trace.zmin, trace.zmax, trace.colorbar]);
  let bar = bars.get(key);
  if (!bar) {
    bar = { type: "scatter", x: [null], y: [null], mode: "markers", hoverinfo: "skip",
      showlegend: false, marker: { color: [trace.zmin || 0, trace.zmax === undefined ? 1 : trace.zmax],
        cmin: trace.zmin, cmax: trace.zmax, colorscale: trace.colorscale, showscale: true,
        colorbar: trace.colorbar, opacity: 0 } };
    if (bars.size > 50) bars.clear(); // a handful of scales in practice
    bars.set(key, bar);
  }
  return bar;
}

// Marching squares: the segments where z crosses `level`, between the cell centres.
const CASES = [[], [[3, 0]], [[0, 1]], [[3, 1]], [[1, 2]], [[3, 0], [1, 2]], [[0, 2]], [[3, 2]],
  [[2, 3]], [[2, 0]], [[0, 1], [2, 3]], [[2, 1]], [[1, 3]], [[1, 0]], [[0, 3]], []];

function contourPath(trace, level) {
  const z = trace.z;
  let path = pathCache.get(z);
  if (path !== undefined) return path;
  const rows = z.length;
  const cols = rows ? z[0].length : 0;
  const xs = axisOf(trace, "x", cols);
  const ys = axisOf(trace, "y", rows);
  const parts = [];
  const cut = (a, b) => (level - a) / (b - a);
  for (let r = 0; r + 1 < rows; r++) {
    for (let c = 0; c + 1 < cols; c++) {
      const v = [z[r][c], z[r][c + 1], z[r + 1][c + 1], z[r + 1][c]]; // corners counter-clockwise
      if (v.some((x) => x === null || !Number.isFinite(x))) continue;
      const index = (v[0] > level) | ((v[1] > level) << 1) | ((v[2] > level) << 2) | ((v[3] > level) << 3);
      if (index === 0 || index === 15) continue;
      const edge = (e) => { // the crossing on edge e: 0 bottom, 1 right, 2 top, 3 left
        if (e === 0) return [xs[c] + cut(v[0], v[1]) * (xs[c + 1] - xs[c]), ys[r]];
        if (e === 1) return [xs[c + 1], ys[r] + cut(v[1], v[2]) * (ys[r + 1] - ys[r])];
        if (e === 2) return [xs[c] + cut(v[3], v[2]) * (xs[c + 1] - xs[c]), ys[r + 1]];
        return [xs[c], ys[r] + cut(v[0], v[3]) * (ys[r + 1] - ys[r])];
      };
      for (const [a, b] of CASES[index]) {
        const p = edge(a);
        const q = edge(b);
        parts.push(`M${p[0].toPrecision(6)},${p[1].toPrecision(6)}L${q[0].toPrecision(6)},${q[1].toPrecision(6)}`);
      }
    }
  }
  path = parts.join("");
  pathCache.set(z, path);
  return path;
}

export function asField(data, layout) {
  // heatmaps -> layout images, a one-level contour -> a layout shape; other traces kept
  // (exported for tests/e2e/test_live.py)
  const traces = [];
  const images = [];
  const shapes = [];
  for (const t of data) {
    if (t.type === "heatmap" && t.visible !== false && t.visible !== "legendonly") {
      const image = imageOf(t);
      if (image) images.push(image);
      const bar = barOf(t);
      if (bar) traces.push(bar);
    } else if (t.type === "contour" && t.contours && t.contours.start === t.contours.end) {
      if (t.visible === false || t.visible === "legendonly") continue;
      const path = contourPath(t, t.contours.start);
      const line = t.line || {};
      if (path) shapes.push({ type: "path", path, xref: "x", yref: "y", layer: "above",
        line: { color: line.color || "#333333", width: line.width || 2 } });
    } else traces.push(t);
  }
  const out = Object.assign({}, layout, { images: (layout.images || []).concat(images),
    shapes: (layout.shapes || []).concat(shapes) });
  for (const key of images.length ? ["xaxis", "yaxis"] : []) {
    out[key] = Object.assign({ showgrid: false, zeroline: false }, layout[key]); // the image covers them
  }
  return [traces, out];
}

// ---------------------------------------------------------------- a field's value under the pointer
// A field is an image, which Plotly cannot hover: the panel shows its value itself, as Plotly
// did for the heatmap ("P(class 1): 0.73"), unless Plotly is showing a data point's label.
function nearestCell(centres, t) {
  // the index of the (evenly spaced) cell whose centre is nearest t; -1 off the grid
  const n = centres.length;
  if (!n || !Number.isFinite(t)) return -1;
  const step = n > 1 ? (centres[n - 1] - centres[0]) / (n - 1) : 1;
  const i = Math.round((t - centres[0]) / step);
  return i >= 0 && i < n ? i : -1;
}

export function fieldValue(trace, x, y) {
  // the field's value at data point (x, y) and what it is called, or null off it or in a gap
  // (exported for tests/e2e/test_live.py)
  const z = trace.z;
  const rows = z ? z.length : 0;
  const cols = rows ? z[0].length : 0;
  const c = nearestCell(axisOf(trace, "x", cols), x);
  const r = nearestCell(axisOf(trace, "y", rows), y);
  if (c < 0 || r < 0) return null;
  const v = z[r][c];
  if (v === null || !Number.isFinite(v)) return null;
  const title = trace.colorbar && trace.colorbar.title;
  const name = trace.name || (title && title.text) || "value";
  return { name, value: v, text: `${name}: ${Number.isInteger(v) ? v : v.toPrecision(3)}` };
}

function hoverField(state) {
  // once per plot div: a tip that follows the pointer over the plot area
  const div = state.div;
  if (div.__lossdashFieldTip) return;
  const box = div.parentElement;
  const tip = document.createElement("div");
  tip.className = "ld-field-tip";
  tip.hidden = true;
  box.appendChild(tip);
  div.__lossdashFieldTip = tip;
  let onPoint = false;
  div.on("plotly_hover", () => { onPoint = true; tip.hidden = true; });
  div.on("plotly_unhover", () => { onPoint = false; });
  div.addEventListener("mouseleave", () => { tip.hidden = true; });
  div.addEventListener("mousemove", (event) => {
    const full = div._fullLayout;
    const xa = full && full.xaxis;
    const ya = full && full.yaxis;
    const field = (state.data || []).find((t) => t.type === "heatmap" && t.visible !== false &&
      t.visible !== "legendonly" && !(state.hidden && state.hidden.has(legendKey(t))));
    if (onPoint || !xa || !ya || !field) { tip.hidden = true; return; }
    const rect = div.getBoundingClientRect();
    const px = event.clientX - rect.left - xa._offset;
    const py = event.clientY - rect.top - ya._offset;
    const inside = px >= 0 && py >= 0 && px <= xa._length && py <= ya._length;
    const found = inside ? fieldValue(field, xa.p2d(px), ya.p2d(py)) : null;
    if (!found) { tip.hidden = true; return; }
    tip.textContent = found.text;
    tip.hidden = false;
    const frame = box.getBoundingClientRect();
    const x = event.clientX - frame.left;
    // right of the pointer, or left of it where the tip would leave the chart (a phone)
    tip.style.left = `${x + 12 + tip.offsetWidth > frame.width ? x - 12 - tip.offsetWidth : x + 12}px`;
    tip.style.top = `${event.clientY - frame.top + 12}px`;
  });
}

// ---------------------------------------------------------------- drawing
const CONFIG = { displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"] };

function draw(state) {
  if (!plotly || !state.div || !state.div.isConnected || state.data === null) return;
  if (state.drawn === state.seq && state.div === state.drawnDiv) return;
  // An explicit size (measured when the box resizes, not on every frame): Plotly then skips
  // measuring the page on each redraw.
  const size = sizeOf(state.div);
  let data = state.hidden && state.hidden.size
    ? state.data.map((t) => (state.hidden.has(legendKey(t)) ? Object.assign({}, t, { visible: "legendonly" }) : t))
    : state.data;
  let fitted = fitTitle(state.layout, size.width);
  if (state.field) [data, fitted] = asField(data, fitted);
  // A field's traces keep their arrays from frame to frame: Plotly.react compares arrays by
  // identity (apply() makes new ones for what changed), so only the images are redrawn.
  // Other charts say their data changed with every frame.
  const layout = Object.assign({}, fitted, { autosize: false, width: size.width, height: size.height },
    state.field ? {} : { datarevision: state.seq });
  // Tick labels may run past the plot: Plotly otherwise measures every label against all the
  // others on each redraw (a tenth of the page's time while a run plays).
  for (const key of Object.keys(layout)) {
    if (/^[xy]axis\d*$/.test(key) && layout[key] && layout[key].ticklabeloverflow === undefined) {
      layout[key] = Object.assign({}, layout[key], { ticklabeloverflow: "allow" });
    }
  }
  // The legend is the panel's own HTML under the plot (legendOf): Plotly measured and laid out
  // its legend on every redraw, 40% of the decision boundary's redraw, and it never collides
  // with a title or an axis title at any width.
  layout.showlegend = false;
  // Plotly.react diffs against what is on the div: it updates in place, never blanks the plot.
  const t0 = performance.now();
  plotly.react(state.div, data, layout, CONFIG);
  renderLegend(state);
  if (state.field) hoverField(state);
  if (state.click && !state.div.__lossdashClick) {
    state.div.__lossdashClick = true; // Plotly keeps its handlers on the div across redraws
    state.div.on("plotly_click", (event) => {
      const point = event && event.points && event.points[0];
      if (point && point.customdata !== undefined) state.click({ chart: state.id, customdata: point.customdata });
    });
  }
  // The last draw times, for `python -m lossdash.bench dashboard` (a bounded list).
  const draws = (window.__lossdashDraws = window.__lossdashDraws || []);
  draws.push([state.div.parentElement.dataset.chart, performance.now() - t0]);
  if (draws.length > 500) draws.splice(0, draws.length - 500);
  state.drawn = state.seq;
  state.drawnDiv = state.div;
  state.div.dataset.seq = String(state.seq);
}

// ---------------------------------------------------------------- titles that fit
// Plotly never wraps a title: on a phone a long one ran out of the chart. Each line (a
// `<br>` in the text; `<sup>` lines are the smaller subtitle) is broken between words to fit
// the chart's width, and the top margin grows by the added lines.
const measure = document.createElement("canvas").getContext("2d");
const TITLE_FONT = '"Open Sans", verdana, arial, sans-serif';

function textWidth(text, px) {
  measure.font = `${px}px ${TITLE_FONT}`;
  return measure.measureText(plainName(text)).width;
}

function wrapLine(line, px, width) {
  const sup = /^<sup>(.*)<\/sup>$/.exec(line);
  const inner = sup ? sup[1] : line;
  const size = sup ? px * 0.7 : px;
  if (textWidth(inner, size) <= width) return [line];
  const out = [];
  let current = "";
  for (const word of inner.split(" ")) {
    const next = current ? `${current} ${word}` : word;
    if (current && textWidth(next, size) > width) {
      out.push(current);
      current = word;
    } else current = next;
  }
  if (current) out.push(current);
  return sup ? out.map((l) => `<sup>${l}</sup>`) : out;
}

const wraps = new Map(); // "size|width|title" -> the title's lines

function fitTitle(layout, width) {
  const title = layout.title;
  const text = typeof title === "string" ? title : title && title.text;
  if (!text || width <= 0) return layout;
  const px = (title.font && title.font.size) || 14;
  const lines = String(text).split("<br>");
  const key = `${px}|${width}|${text}`; // a title keeps its text frame after frame: measured once
  let wrapped = wraps.get(key);
  if (!wrapped) {
    wrapped = lines.flatMap((line) => wrapLine(line, px, width - 24));
    if (wraps.size > 200) wraps.clear();
    wraps.set(key, wrapped);
  }
  if (wrapped.length === lines.length) return layout;
  const added = wrapped.length - lines.length;
  const margin = Object.assign({ t: 60 }, layout.margin);
  margin.t += Math.round(added * px * 1.25);
  const fitted = Object.assign({}, typeof title === "string" ? {} : title,
    { text: wrapped.join("<br>") });
  return Object.assign({}, layout, { title: fitted, margin });
}

// ---------------------------------------------------------------- the legend, as HTML
const parser = new DOMParser(); // an inert document: nothing in a name runs or loads

function legendKey(trace) {
  return `${trace.legendgroup || ""}|${trace.name || ""}`;
}

function plainName(name) {
  // names are escaped for Plotly's HTML-like text (lossdash.charts.base.plain): decode them
  return parser.parseFromString(String(name), "text/html").body.textContent || "";
}

function legendOf(data) {
  // the entries Plotly would show: named traces, fields and contours only when asked for
  const out = [];
  const seen = new Set();
  for (const t of data) {
    const field = ["heatmap", "contour", "surface", "histogram2d"].includes(t.type);
    if (!t.name || t.showlegend === false || (field && t.showlegend !== true)) continue;
    const key = legendKey(t);
    if (seen.has(key)) continue;
    seen.add(key);
    const line = t.line || {};
    const marker = t.marker || {};
    const color = line.color || (typeof marker.color === "string" ? marker.color : null)
      || "#6b7280";
    const lines = t.type === "contour" || String(t.mode || "lines").includes("lines");
    out.push({ key, name: String(t.name), color, lines, dash: line.dash || "solid",
      symbol: marker.symbol || "circle", opacity: t.opacity === undefined ? 1 : t.opacity });
  }
  return out;
}

function renderLegend(state) {
  const box = state.div.parentElement;
  if (!box) return;
  const entries = legendOf(state.data);
  const hidden = state.hidden || new Set();
  const signature = JSON.stringify([entries, [...hidden]]);
  let el = box.querySelector(":scope > .ld-legend");
  if (el && el.dataset.signature === signature) return;
  if (!el) {
    el = document.createElement("div");
    el.className = "ld-legend";
    box.insertBefore(el, state.div.nextSibling);
  }
  el.dataset.signature = signature;
  el.replaceChildren();
  el.hidden = entries.length === 0;
  for (const entry of entries) {
    const item = document.createElement("button");
    item.type = "button";
    item.className = "ld-legend-item" + (hidden.has(entry.key) ? " ld-off" : "");
    item.title = "Show or hide this curve";
    const swatch = document.createElement("span");
    swatch.className = entry.lines ? "ld-swatch ld-line" : "ld-swatch ld-marker";
    swatch.style.setProperty("--ld-color", entry.color);
    swatch.style.opacity = String(Math.max(entry.opacity, 0.5));
    if (entry.lines) swatch.style.borderTopStyle = { dash: "dashed", dot: "dotted", dashdot: "dashed" }[entry.dash] || "solid";
    else {
      if (/square/.test(entry.symbol)) swatch.style.borderRadius = "0";
      if (/open/.test(entry.symbol)) swatch.classList.add("ld-open");
      if (/^(x|cross)/.test(entry.symbol)) swatch.classList.add("ld-cross"); // validation points
    }
    const name = document.createElement("span");
    name.className = "ld-legend-name";
    name.textContent = plainName(entry.name); // decoded only when the legend changes
    item.append(swatch, name);
    item.addEventListener("click", () => {
      state.hidden = state.hidden || new Set();
      if (state.hidden.has(entry.key)) state.hidden.delete(entry.key);
      else state.hidden.add(entry.key);
      state.drawn = -1;
      schedule(state);
    });
    el.appendChild(item);
  }
}

const sizes = new WeakMap(); // plot div -> {width, height}, kept up to date by a ResizeObserver
const observer = new ResizeObserver((entries) => {
  for (const entry of entries) {
    const box = entry.contentRect;
    const old = sizes.get(entry.target);
    const size = { width: Math.round(box.width), height: Math.round(box.height) };
    sizes.set(entry.target, size);
    if (old && (old.width !== size.width || old.height !== size.height)) {
      for (const state of store.values()) {
        if (state.div === entry.target) {
          state.drawn = -1; // redraw at the new size
          schedule(state);
        }
      }
    }
  }
});

function sizeOf(div) {
  let size = sizes.get(div);
  if (!size) {
    observer.observe(div);
    size = { width: Math.round(div.clientWidth) || 600, height: Math.round(div.clientHeight) || 360 };
    sizes.set(div, size);
  }
  return size;
}

// ---------------------------------------------------------------- a click comes first
// A click on a control (Pause, Step, a setting) or a key starts a script run whose answer
// the user waits for. Until that run has ended (at most HOLD_MS), the panels draw no frame
// and ask for none: the page's one thread answers the click before it draws charts.
const HOLD_MS = 800;
const CONTROLS = "button, input, textarea, select, label, [role='radio'], [role='switch'], " +
  "[role='option'], [role='slider'], [role='combobox'], [role='tab']";
let held = null; // {since, ran}: a click waits for its answer
let watching = null; // the app element whose script state is observed

function release() {
  held = null;
  wake();
}

function hold() {
  const app = document.querySelector('[data-testid="stApp"]');
  // a run already going on (a fragment's tick) runs on into the click's: its end ends both
  held = { since: performance.now(), ran: Boolean(app && app.dataset.testScriptState === "running") };
  if (app && watching !== app) {
    watching = app;
    new MutationObserver(() => {
      if (!held) return;
      if (app.dataset.testScriptState === "running") held.ran = true;
      else if (held.ran) release(); // the click's run has ended: draw again
    }).observe(app, { attributes: true, attributeFilter: ["data-test-script-state"] });
  }
  setTimeout(() => { if (held && performance.now() - held.since >= HOLD_MS) release(); }, HOLD_MS);
}

function holding() {
  return held !== null && performance.now() - held.since < HOLD_MS;
}

document.addEventListener("pointerdown", (event) => {
  if (event.target && event.target.closest && event.target.closest(CONTROLS)) hold();
}, { capture: true });
document.addEventListener("keydown", hold, { capture: true });

// One chart per animation frame, the one that has waited longest (a fast-panel chart counts
// its wait FAST_WEIGHT times over): each task stays short, so clicks, timers and the
// server's next frame are never stuck behind a burst of redraws. A chart out of view waits
// until it scrolls in (it is drawn from the store at once then), so the page spends its time
// on what the user sees.
const FAST_WEIGHT = 4;
const dirty = new Map(); // state -> since when it has waited
const visible = new WeakMap(); // plot div -> in or near the viewport
const viewport = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    visible.set(entry.target, entry.isIntersecting);
    if (entry.isIntersecting) wake();
  }
}, { rootMargin: "200px" });
let ticking = false;

function shown(div) {
  if (!visible.has(div)) {
    viewport.observe(div);
    return true; // not measured yet: draw (the observer answers before the next frame)
  }
  return visible.get(div);
}

function schedule(state) {
  if (!dirty.has(state)) dirty.set(state, performance.now());
  wake();
}

function wake() {
  if (ticking || dirty.size === 0 || holding()) return; // release() wakes it
  ticking = true;
  requestAnimationFrame(tick);
}

function tick() {
  ticking = false;
  if (holding()) return; // release() wakes it
  const now = performance.now();
  let best = null;
  let bestWait = -1;
  for (const [state, since] of dirty) {
    if (!state.div || !state.div.isConnected || state.data === null) {
      dirty.delete(state); // gone from the page, or nothing to draw yet: apply() schedules
      continue;
    }
    if (!shown(state.div)) continue;
    const wait = (now - since) * (state.fast ? FAST_WEIGHT : 1);
    if (wait > bestWait) {
      best = state;
      bestWait = wait;
    }
  }
  if (best) {
    dirty.delete(best);
    draw(best);
    // the fast panel's charts change together: drawn in the same frame, they show together
    if (best.fast) {
      for (const state of [...dirty.keys()]) {
        if (state.fast && state.div && state.div.isConnected && shown(state.div)) {
          dirty.delete(state);
          draw(state);
        }
      }
    }
  }
  // charts out of view stay dirty without a timer; the observer wakes the loop for them
  if ([...dirty.keys()].some((state) => shown(state.div))) wake();
}

// ---------------------------------------------------------------- the panel's DOM
function child(parent, cls, tag = "div") {
  let el = parent.querySelector(":scope > ." + cls);
  if (!el) {
    el = document.createElement(tag);
    el.className = cls;
    parent.appendChild(el);
  }
  return el;
}

function renderMetrics(root, metrics) {
  const row = child(root, "ld-metrics");
  row.hidden = !metrics || metrics.length === 0;
  (metrics || []).forEach((m, i) => {
    let box = row.children[i];
    if (!box) {
      box = document.createElement("div");
      box.className = "ld-metric";
      box.dataset.testid = "stMetric";
      box.innerHTML =
        '<div class="ld-metric-label" data-testid="stMetricLabel"></div>' +
        '<div class="ld-metric-value" data-testid="stMetricValue"></div>';
      row.appendChild(box);
    }
    box.children[0].textContent = m.label;
    box.children[1].textContent = m.value;
    box.title = m.help || "";
  });
  while (row.children.length > (metrics || []).length) row.lastChild.remove();
}

function renderProgress(root, progress) {
  const bar = child(root, "ld-progress");
  bar.hidden = !progress;
  if (!progress) return;
  const track = child(bar, "ld-progress-track");
  const fill = child(track, "ld-progress-fill");
  fill.style.width = `${Math.max(0, Math.min(1, progress.value)) * 100}%`;
  child(bar, "ld-progress-text").textContent = progress.text;
}

function renderCharts(root, charts, resync, click = null) {
  const grid = child(root, "ld-charts");
  grid.style.setProperty("--ld-columns", String(Math.max(1, Math.min(2, charts.length))));
  const wanted = new Set(charts.map((c) => c.id));
  for (const box of [...grid.children]) if (!wanted.has(box.dataset.chart)) box.remove();
  charts.forEach((chart, i) => {
    let box = grid.querySelector(`:scope > [data-chart="${CSS.escape(chart.id)}"]`);
    if (!box) {
      box = document.createElement("div");
      box.className = "ld-chart";
      box.dataset.chart = chart.id;
      const div = document.createElement("div");
      div.className = "ld-plot";
      box.appendChild(div);
    }
    if (grid.children[i] !== box) grid.insertBefore(box, grid.children[i] || null);
    box.classList.toggle("ld-wide", Boolean(chart.wide));
    const div = box.firstChild;
    div.style.height = `${chart.height || 360}px`;
    // The chart's plain-words line, under it (in the figure it ran into the legend).
    const caption = child(box, "ld-caption");
    caption.hidden = !chart.caption;
    caption.textContent = chart.caption || "";
    let state = store.get(chart.id);
    if (!state) {
      state = { id: chart.id, gen: null, seq: -1, data: null, layout: null, div: null };
      store.set(chart.id, state);
    }
    state.div = div;
    state.fast = chart.id.startsWith("fast/");
    state.field = Boolean(chart.field);
    if (chart.clickable && click) state.click = click; // the newest page's, kept for the feed
    // A message that does not fit what the page holds: ask for the whole figure, again after
    // a second if the answer is lost too (never once per frame).
    if (chart.msg && !apply(state, chart.msg) && performance.now() - (state.asked || -1e9) > 1000) {
      state.asked = performance.now();
      resync(chart.id);
    }
    if (chart.msg && chart.msg.full) state.asked = 0;
    schedule(state);
  });
}

function loadStyle(url) {
  if (!url || document.querySelector(`link[data-lossdash="${CSS.escape(url)}"]`)) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = url;
  link.dataset.lossdash = url;
  document.head.appendChild(link);
}

// ---------------------------------------------------------------- the live feed
// While a run plays, a panel's next frames come from the server's live feed
// (lossdash/ui/feed.py), not from reruns of the page. The panel asks for a frame; as soon as
// it arrives it asks for the next one (at most one every `every_ms`), so the server builds
// frame n + 1 while the page draws frame n; and it never has more than one request out.
const feeds = new Map(); // feed url -> poller

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function drawnAll(ids) {
  // resolves once no chart of `ids` waits to be drawn, or after a second (a chart out of
  // view, or a hidden tab, where animation frames stop: its metrics still move once a second)
  const t0 = performance.now();
  const drawn = new Promise((resolve) => {
    const check = () => {
      const waiting = [...dirty.keys()].some((s) => ids.has(s.id) && shown(s.div));
      if (!waiting || performance.now() - t0 > 1000) resolve();
      else requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  });
  return Promise.race([drawn, sleep(1000)]);
}

async function ask(poller, after) {
  // the next frame, asked `after` ms from now: {frame}, {gone} or {failed}
  if (after > 0) await sleep(after);
  while (holding()) await sleep(50); // a click waits for its answer: no frame meanwhile
  poller.asked = performance.now();
  try {
    const response = await fetch(poller.url + (poller.whole ? "?whole=1" : ""),
      { cache: "no-store" });
    if (response.status === 404) return { gone: true }; // the run moved on: the page reruns
    return { frame: await response.json() };
  } catch (err) {
    return { failed: true };
  }
}

async function poll(poller) {
  let next = ask(poller, 0);
  while (!poller.stopped) {
    const answer = await next;
    if (poller.stopped) break;
    if (answer.gone) {
      // the server forgot this feed while the page still plays (a closed and reopened
      // session, a restarted server): a rerun draws the panel as the server now has it
      if (poller.ended) poller.ended();
      break;
    }
    if (!poller.root.isConnected) {
      await sleep(200); // a rerun may be putting the panel back
      if (!poller.root.isConnected) break; // the panel left the page (another view)
    }
    const frame = answer.frame;
    if (!frame || frame.error) {
      if (frame) console.warn("lossdash live feed:", frame.error);
      next = ask(poller, 1000); // the server is busy, restarting or failing: not every frame
      continue;
    }
    poller.whole = false;
    if (frame.playing === false) {
      // the run stopped by itself (converged, diverged, done): the page reruns for its buttons
      if (poller.ended) poller.ended();
      poller.stopped = true;
    } else {
      next = ask(poller, poller.every - (performance.now() - poller.asked));
    }
    renderMetrics(poller.root, frame.metrics);
    renderProgress(poller.root, frame.progress);
    renderCharts(poller.root, frame.charts || [], () => { poller.whole = true; });
    await drawnAll(new Set((frame.charts || []).map((c) => c.id)));
  }
  if (feeds.get(poller.url) === poller) feeds.delete(poller.url);
}

function follow(root, feed, ended) {
  // start, keep or stop the poller of the panel drawn in `root`
  for (const [url, poller] of feeds) {
    if (poller.root === root && (!feed || url !== feed.url)) {
      poller.stopped = true;
      feeds.delete(url);
    }
  }
  if (!feed) return;
  let poller = feeds.get(feed.url);
  if (!poller) {
    poller = { url: feed.url, root, every: feed.every_ms, stopped: false, whole: false };
    feeds.set(feed.url, poller);
    poll(poller);
  }
  poller.root = root;
  poller.every = feed.every_ms;
  poller.ended = ended;
}

export function render(component) {
  const { parentElement, data, setTriggerValue } = component;
  if (!data) return;
  loadStyle(data.css_url);
  const root = child(parentElement, "ld-live");
  if (data.metrics !== null) renderMetrics(root, data.metrics); // null: a heartbeat, keep them
  if (data.metrics !== null) renderProgress(root, data.progress);
  const resync = (id) => setTriggerValue("resync", id);
  const click = (payload) => setTriggerValue("click", payload);
  loadPlotly(data.plotly_url).then((P) => {
    const first = plotly === null;
    plotly = P;
    if (first) for (const state of store.values()) schedule(state);
  });
  renderCharts(root, data.charts || [], resync, click);
  follow(root, data.feed, () => setTriggerValue("ended", Date.now()));
  if (data.report_drawn && !root.dataset.reported) reportDrawn(root, data, setTriggerValue);
}

function reportDrawn(root, data, setTriggerValue) {
  // a page's first view draws this panel alone and the rest once it has drawn (or after
  // DRAWN_MS, should plotly.js never load): the page's one core renders the chart first
  root.dataset.reported = "1";
  const ids = new Set((data.charts || []).map((c) => c.id));
  const drawn = loadPlotly(data.plotly_url).then(() => drawnAll(ids));
  Promise.race([drawn, sleep(DRAWN_MS)]).then(() => setTriggerValue("drawn", Date.now()));
}
const DRAWN_MS = 3000;
