"""The dashboard open in a real browser: frames, blank charts, bytes, click latency, training.

``python -m lossdash.bench dashboard`` starts the real ``streamlit run app.py`` on a free port and
opens it in headless Chromium (Debian's /usr/bin/chromium, through Playwright). The server gets
one core and the browser the other (``taskset``), as when the browser runs on the user's own
machine. It prints:

- frames per second of each live panel while a run plays at full speed: how often the loss
  chart (fast panel, the page's top in view) and the gradient chart (slow panel, scrolled
  into view: the page draws live charts in view only) show a new figure, sampled at every
  painted frame in the page (``requestAnimationFrame``);
- the share of those samples in which a chart that had drawn showed an empty plot area;
- bytes per frame: what the websocket and the live feed carried during a window, divided by
  the frames drawn,
  after ~1,000 and after ~100,000 steps (a long history must not make frames bigger);
- latency, from the click (the event reaching the page) to the page having answered: Pause
  (Play enabled, the server says
  it is not playing), Step (the epoch has moved), Reset (epoch 0), a sidebar change (the
  learning rate: the rerun has ended), a view switch (Loss shapes and back), and the first
  chart after opening a warm server;
- training steps per second with the page open, against the same run headless.
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from lossdash import config
from lossdash.bench.server import BROWSER_CPU, SERVER_CPU, pinned, wait_serving

ROOT = Path(__file__).resolve().parents[2]
WINDOW_S = 6.0  # seconds of live training per measurement
SETUP = {  # noisy classes and mini-batches keep the loss moving: the run never converges
    # (every setting is named: a link naming only the data set gets its recommended setup)
    "dataset": "spiral", "n_samples": "400", "noise": "0.3", "features": "x1,x2",
    "standardize": "false", "model": "mlp", "hidden": "8,8", "loss": "bce",
    "optimizer": "adam", "lr": "0.003", "max_epochs": "100000", "speed": "max",
    "batch_size": "32",
}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LATENCY_REPEATS = 3

# Samples every painted frame: per live chart, distinct figures shown and blank samples.
SAMPLE = """async (secs) => {
  const drawn = (box) => {
    const plot = box.querySelector('.js-plotly-plot');
    return !!plot && !!plot.querySelector('.main-svg') &&
      plot.querySelectorAll('g.trace, .heatmaplayer image, .imagelayer image, .gl-container canvas')
      .length > 0;
  };
  const epoch = () => Number(([...document.querySelectorAll('[data-testid="stMetric"]')]
    .find((m) => m.textContent.startsWith('Epoch'))
    ?.querySelector('[data-testid="stMetricValue"]').textContent || '0').replace(/,/g, ''));
  const frames = {}, blanks = {}, last = {}, seen = {};
  let samples = 0;
  performance.setResourceTimingBufferSize(100000);
  performance.clearResourceTimings();  // the live feed's requests of this window only
  const e0 = epoch(), t0 = performance.now();
  while (performance.now() - t0 < secs * 1000) {
    await new Promise((r) => requestAnimationFrame(r));
    samples += 1;
    for (const box of document.querySelectorAll('.ld-chart')) {
      const id = box.dataset.chart;
      if (drawn(box)) seen[id] = true; else if (seen[id]) blanks[id] = (blanks[id] || 0) + 1;
      const seq = box.querySelector('.js-plotly-plot')?.dataset.seq;
      if (seq !== last[id]) { frames[id] = (frames[id] || 0) + 1; last[id] = seq; }
    }
  }
  const draws = (window.__lossdashDraws || []).slice(-200);
  const feed = performance.getEntriesByType('resource')
    .filter((e) => e.name.includes('/lossdash/feed/'));
  return {samples, frames, blanks, epochs: epoch() - e0, seconds: (performance.now() - t0) / 1000,
          drawMs: draws.map((d) => d[1]),
          feedBytes: feed.reduce((sum, e) => sum + e.encodedBodySize, 0)};
}"""
EPOCH = """() => Number(([...document.querySelectorAll('[data-testid="stMetric"]')]
  .find((m) => m.textContent.startsWith('Epoch'))
  ?.querySelector('[data-testid="stMetricValue"]').textContent || '-1').replace(/,/g, ''))"""
RATE = r"""() => [...document.querySelectorAll('[data-testid="stMetric"]')]
  .some((m) => /^Steps\/s[1-9]/.test(m.textContent))"""  # a playing run's measured rate
IDLE = "() => document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState" \
       " === 'notRunning'"
WHOLE = ".st-key-train_end"  # the Train view's last element: drawn after its first chart


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve():
    port = _free_port()
    proc = subprocess.Popen(
        pinned(SERVER_CPU, [sys.executable, "-m", "streamlit", "run", "app.py",
                             "--server.headless", "true", "--server.fileWatcherType", "none",
                             "--server.port", str(port), "--browser.gatherUsageStats", "false"]),
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_serving(proc, url, 60.0)
    return proc, url


class Wire:
    """Bytes the page received on its websocket (the live feed's HTTP answers are counted in
    the page, see ``SAMPLE``)."""

    def __init__(self, page):
        self.bytes = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._count))

    def _count(self, payload):
        self.bytes += len(payload)


def _query(**extra):
    return "&".join(f"{k}={v}" for k, v in {**SETUP, **extra}.items())


# Marks, in the page, when the user's first click, key or input event of an action arrives.
ARM = """() => {
  window.__ldInput = null;
  window.__ldAnswer = null;
  window.__ldRan = false;
  const app = document.querySelector('[data-testid="stApp"]');
  const mark = () => {
    if (window.__ldInput !== null) return;
    window.__ldInput = performance.now();
    // a run going on (a fragment's tick) runs on into the one the input asks for: no new
    // "running" state is seen, and its first "notRunning" ends both
    if (app.dataset.testScriptState === 'running') window.__ldRan = true;
  };
  for (const type of ['click', 'keydown', 'input'])
    document.addEventListener(type, mark, {capture: true, once: true});
  // a script run started since (seen however short it is)
  if (window.__ldWatch) window.__ldWatch.disconnect();
  window.__ldWatch = new MutationObserver(() => {
    if (app.dataset.testScriptState === 'running') window.__ldRan = true;
  });
  window.__ldWatch.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def _timed(page, action, condition, timeout=60_000, from_input=True, rerun=False):
    """Seconds from the user's input reaching the page to ``condition`` holding (polled every
    frame, both read by the page's own clock). Playwright's own wait before it clicks (its
    element must hold still for two frames: up to a second on a busy page) is no latency a
    person feels, so it is left out. ``from_input=False``: from ``action()`` (a page load).
    ``rerun=True``: the condition counts only once a script run has started since the input
    (the address bar changes before the rerun that answers a setting)."""
    if from_input:
        page.evaluate(ARM)
    from playwright.sync_api import TimeoutError as NoAnswer

    start = time.perf_counter()
    action()
    try:
        page.wait_for_function(
            f"() => {{ const ok = ({'window.__ldRan' if rerun else 'true'}) && ({condition})(); "
            "if (ok && window.__ldAnswer === null) window.__ldAnswer = performance.now(); "
            "return ok; }", polling="raf", timeout=timeout)
    except NoAnswer as err:  # say which answer never came (a bench run stopped once so)
        shown = " ".join(condition.split())
        raise RuntimeError(f"no answer within {timeout / 1000:g} s: {shown[:300]}") from err
    wall = time.perf_counter() - start
    if not from_input:
        return wall
    began, answered = page.evaluate("() => [window.__ldInput, window.__ldAnswer]")
    return wall if began is None or answered is None else (answered - began) / 1000


def _button(page, name):
    # a button with a keyboard shortcut names it after its label ("Play Shortcut Space");
    # a chart's "Reset axes" is another button
    return page.get_by_role("button", name=re.compile(rf"^{re.escape(name)}( Shortcut \S+)?$"))


def _look_at(page, chart):
    """Scroll the live chart ``chart`` to the middle of the view (the page draws live charts
    in view only, as a reader sees them)."""
    page.evaluate("(id) => document.querySelector(`[data-chart=\"${id}\"]`)"
                  "?.scrollIntoView({block: 'center'})", chart)


def watch(page, wire, seconds=WINDOW_S):
    """Two sampled windows of a playing run, the first looking at the fast panel (page top),
    the second at the slow one: frames/s per panel, blank share, bytes/frame."""
    page.evaluate("() => document.querySelector('[data-chart=\"fast/loss\"]')"
                  "?.scrollIntoView({block: 'end'})")
    top = _window(page, wire, seconds / 2)
    _look_at(page, "slow/gradients")
    below = _window(page, wire, seconds / 2)
    _look_at(page, "fast/loss")
    out = {k: (top[k] + below[k]) / 2 for k in top}
    out["fast_fps"], out["slow_fps"] = top["fast_fps"], below["slow_fps"]
    return out


def _window(page, wire, seconds):
    before = wire.bytes
    seen = page.evaluate(SAMPLE, seconds)
    got = wire.bytes - before + seen["feedBytes"]  # the websocket and the live feed
    secs = seen["seconds"]
    fast = seen["frames"].get("fast/loss", 0)
    slow = seen["frames"].get("slow/gradients", 0)
    charts = max(len(seen["frames"]), 1)
    return {
        "fast_fps": fast / secs, "slow_fps": slow / secs,
        "blank_share": sum(seen["blanks"].values()) / max(seen["samples"] * charts, 1),
        "bytes_per_frame": got / max(fast + slow, 1), "bytes_per_s": got / secs,
        "epochs_per_s": seen["epochs"] / secs, "paint_fps": seen["samples"] / secs,
        "draw_ms": statistics.median(seen["drawMs"]) if seen["drawMs"] else float("nan"),
    }


def _change_lr(page):
    lr = page.get_by_test_id("stNumberInput").filter(has_text="Learning rate").locator("input")
    value = "0.002" if lr.input_value() != "0.002" else "0.004"
    return _timed(page, lambda: (lr.fill(value), lr.press("Enter")),
                  f"() => location.search.includes('lr={value}') && ({IDLE})()", rerun=True)


def _switch_view(page):
    """Seconds to Loss shapes (its charts drawn) and back to Train (the live charts drawn)."""
    there = _timed(
        page, lambda: page.get_by_role("radio", name="Loss shapes", exact=True).click(),
        f"() => location.search.includes('view=Loss') && ({IDLE})()"
        " && !!document.querySelector('[data-chart=\"shape_values\"] .main-svg')",
        rerun=True)
    back = _timed(
        page, lambda: page.get_by_role("radio", name="Train", exact=True).click(),
        f"() => !!document.querySelector('[data-chart=\"fast/loss\"] .main-svg') && ({IDLE})()",
        rerun=True)
    return there, back


def latencies(page, url):
    """Median seconds from a click to the page's answer, per control."""
    out = {k: [] for k in ("first chart", "Pause", "Step", "Reset", "setting",
                           "to Loss shapes", "back to Train")}
    for _ in range(LATENCY_REPEATS):
        out["first chart"].append(_timed(
            page, lambda: page.goto(f"{url}/?{_query(max_epochs='100000')}"),
            "() => !!document.querySelector('[data-chart=\"fast/loss\"] .main-svg')",
            from_input=False))
        page.wait_for_selector(WHOLE, state="attached")
        page.wait_for_function(IDLE)
        _button(page, "Play").click()
        page.wait_for_function(f"() => ({EPOCH})() > 2")
        page.wait_for_function(RATE)  # so the answer to Pause is the rate going back to '–'
        out["Pause"].append(_timed(
            page, lambda: _button(page, "Pause").click(),
            """() => [...document.querySelectorAll('button')]
                  .some((b) => /Play/.test(b.textContent) && !b.disabled)
                && [...document.querySelectorAll('[data-testid="stMetric"]')]
                   .some((m) => m.textContent === 'Steps/s–')"""))
        page.wait_for_function(IDLE)
        epoch = page.evaluate(EPOCH)
        out["Step"].append(_timed(page, lambda: _button(page, "Step").click(),
                                  f"() => ({EPOCH})() > {epoch} && ({IDLE})()"))
        out["Reset"].append(_timed(page, lambda: _button(page, "Reset").click(),
                                   f"() => ({EPOCH})() === 0 && ({IDLE})()"))
        out["setting"].append(_change_lr(page))
        there, back = _switch_view(page)
        out["to Loss shapes"].append(there)
        out["back to Train"].append(back)
    return {k: statistics.median(v) for k, v in out.items()}


def dashboard():
    """Every browser-side figure of the module docstring."""
    from playwright.sync_api import sync_playwright

    proc, url = _serve()
    if hasattr(os, "sched_setaffinity"):  # this process and the browser it starts
        os.sched_setaffinity(0, {int(BROWSER_CPU)})
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            wire = Wire(page)
            page.goto(f"{url}/?{_query()}")  # warms the server (imports, plotly.js)
            page.wait_for_selector("[data-chart='fast/loss'] .main-svg", timeout=120_000)
            page.wait_for_selector(WHOLE, state="attached")
            page.wait_for_function(IDLE)
            _button(page, "Play").click()
            page.wait_for_function(f"() => ({EPOCH})() >= 100")  # ~1,000 steps
            early = watch(page, wire)
            page.wait_for_function(f"() => ({EPOCH})() >= 10000", timeout=600_000)  # 100k
            late = watch(page, wire)
            _button(page, "Pause").click()
            lat = latencies(page, url)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return early, late, lat


def _trainer():
    cfg, _ = config.from_dict({k: v for k, v in SETUP.items() if k != "speed"})
    train, val, _ = config.prepare(cfg, config.make_dataset(cfg))
    return config.build_trainer(cfg, train, val)


def headless_rate(seconds=WINDOW_S):
    """Steps/s of the same run in this process, on the server's core."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(SERVER_CPU)})
    trainer = _trainer()
    trainer.run_steps(200)  # warm-up
    start = time.perf_counter()
    steps = trainer.run_for(seconds)
    return steps / (time.perf_counter() - start)


def run():
    if not Path(CHROMIUM).exists():
        print("dashboard: skipped (no /usr/bin/chromium; apt-get install chromium)")
        return
    print("dashboard: the real app in headless Chromium (server and browser on a core each)")
    print("  setup: " + ", ".join(f"{k}={v}" for k, v in SETUP.items()))
    early, late, lat = dashboard()
    per_epoch = _trainer().steps_per_epoch
    alone = headless_rate()
    print(f"  {'':28}{'~1k steps':>12}{'~100k steps':>14}   target")
    rows = [("fast panel frames/s", "fast_fps", "{:.1f}", ">= 10"),
            ("slow panel frames/s", "slow_fps", "{:.1f}", ">= 2"),
            ("blank chart samples", "blank_share", "{:.1%}", "0"),
            ("bytes per frame", "bytes_per_frame", "{:,.0f}", "bounded"),
            ("bytes per second", "bytes_per_s", "{:,.0f}", ""),
            ("page paints/s", "paint_fps", "{:.0f}", ""),
            ("median Plotly redraw (ms)", "draw_ms", "{:.0f}", "")]
    for label, key, fmt, target in rows:
        print(f"  {label:28}{fmt.format(early[key]):>12}{fmt.format(late[key]):>14}   {target}")
    live = late["epochs_per_s"] * per_epoch
    print(f"  training: headless {alone:,.0f} steps/s, page open {live:,.0f} steps/s "
          f"= {live / alone:.0%} (target 70%)")
    targets = {"first chart": 1.5, "Pause": 0.3, "Step": 0.3, "Reset": 0.5, "setting": 0.7,
               "to Loss shapes": 0.7, "back to Train": 0.7}
    print(f"  latency, click to answer (median of {LATENCY_REPEATS}; a view switch each way):")
    for name, seconds in lat.items():
        print(f"    {name:14}{seconds:6.2f} s   (target {targets[name]} s)")
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    run()
