"""Training with the dashboard open vs headless, and how often the charts redraw.

``python -m lossdash.bench dashboard`` starts the real ``streamlit run app.py`` on a free port,
opens it in headless Chromium (Debian's, at /usr/bin/chromium, through Playwright), presses Play
and watches for ``WINDOW_S`` seconds:

- frames per second: how often the ``Epoch`` metric changes in the page (polled every 5 ms in
  the page itself: every redraw of a playing full-batch run changes it);
- dashboard steps per second: epochs done during the window (the ``Epoch`` metric) times the
  steps per epoch, over the window's length.

The same setup then trains headless in this process (``Trainer.run_for``) for the same time, and
the ratio is printed. The server (and the headless run) get one core and the browser the
other (``taskset``), as when the browser runs on the user's own machine; otherwise the
software-rendered headless browser takes CPU from the training it watches. The run is the default
setup on a problem that keeps training for the whole window (the default seed_linear run
converges in 179 steps, well under a second).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from lossdash import config

ROOT = Path(__file__).resolve().parents[2]
WINDOW_S = 8.0  # seconds of live training measured
SETUP = {  # mini-batches keep the loss moving, so the run never stops as converged
    "dataset": "spiral", "n_samples": "400", "model": "mlp", "hidden": "8,8", "loss": "bce",
    "optimizer": "adam", "lr": "0.003", "max_epochs": "100000", "speed": "max",
    "batch_size": "32",
}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
COUNT_FRAMES = """(seconds) => new Promise((resolve) => {
  const value = () => [...document.querySelectorAll('[data-testid="stMetric"]')]
      .find((m) => m.innerText.startsWith('Epoch'))
      .querySelector('[data-testid="stMetricValue"]').innerText;
  const number = (text) => Number(text.replace(/,/g, ''));
  const start = number(value());
  const t0 = performance.now();
  let redraws = 0, seen = value();
  const watch = setInterval(() => {  // every redraw of a playing run changes the epoch
    const v = value();
    if (v !== seen) { redraws += 1; seen = v; }
  }, 5);
  setTimeout(() => {
    clearInterval(watch);
    resolve({redraws, steps: number(value()) - start, seconds: (performance.now() - t0) / 1000});
  }, seconds * 1000);
})"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER_CPU, BROWSER_CPU = "0", "1"  # the server and the browser each get a core of their own,
# as they would with the browser on the user's machine; headless training gets the server's core


def _pinned(cpu, command):
    """``command`` run on one core, where ``taskset`` exists (else unpinned)."""
    return (["taskset", "-c", cpu] if shutil.which("taskset") else []) + command


def _serve():
    port = _free_port()
    proc = subprocess.Popen(
        _pinned(SERVER_CPU, [sys.executable, "-m", "streamlit", "run", "app.py",
                             "--server.headless", "true",
                             "--server.port", str(port), "--browser.gatherUsageStats", "false"]),
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                if r.read().strip() == b"ok":
                    return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("streamlit did not start")


def dashboard_rate():
    """(steps/s, frames/s) while the dashboard plays SETUP in Chromium."""
    from playwright.sync_api import sync_playwright

    proc, url = _serve()
    if hasattr(os, "sched_setaffinity"):  # this process and the browser it starts
        os.sched_setaffinity(0, {int(BROWSER_CPU)})
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            query = "&".join(f"{k}={v}" for k, v in SETUP.items())
            page.goto(f"{url}/?{query}")
            page.wait_for_selector("[data-test-script-state='notRunning']", timeout=60_000)
            page.get_by_role("button", name="Play").click()
            page.wait_for_function(
                """() => [...document.querySelectorAll('[data-testid="stMetric"]')]
                .some((m) => m.innerText.startsWith('Epoch') && !m.innerText.includes('\\n0'))""",
                timeout=60_000,
            )
            result = page.evaluate(COUNT_FRAMES, WINDOW_S)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    steps = result["steps"] * _steps_per_epoch()  # the page shows whole epochs
    return steps / result["seconds"], result["redraws"] / result["seconds"]


def _trainer():
    cfg, _ = config.from_dict({k: v for k, v in SETUP.items() if k != "speed"})
    train, val, _ = config.prepare(cfg, config.make_dataset(cfg))
    return config.build_trainer(cfg, train, val)


def _steps_per_epoch():
    return _trainer().steps_per_epoch


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
    extra = os.environ.get("LOSSDASH_BENCH_QUERY")  # e.g. "show_landscape=false" to explore
    if extra:
        SETUP.update(dict(pair.split("=", 1) for pair in extra.split("&")))
    if not Path("/usr/bin/chromium").exists():
        print("dashboard: skipped (no /usr/bin/chromium; apt-get install chromium)")
        return
    print("dashboard: live training in Chromium vs the same run headless")
    print("  setup: " + ", ".join(f"{k}={v}" for k, v in SETUP.items()))
    live, fps = dashboard_rate()
    alone = headless_rate()
    print(f"  headless {alone:10,.0f} steps/s")
    print(f"  dashboard {live:9,.0f} steps/s  = {live / alone:.0%} of headless (target 70%)")
    print(f"  charts redrawn {fps:.1f} times a second (target 5)")
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    run()
