"""Many users at once (``python -m lossdash.bench sessions``): 10 and 20 browser sessions of
one ``streamlit run app.py``, all playing.

For each count ``n`` a fresh server is started (on one core; the browser on the other, as if
on another machine) and ``n`` headless Chromium sessions open their
own links (their own learning rate and seed; batches of 8 on the noisy plane; speed ``max``)
and press Play. Printed:

- steps/s per session: each page's epochs (10 steps each) over ``WATCH_S`` seconds, the
  median and the slowest; and the frames/s its loss chart drew (median);
- the server's CPU while all play, in cores (its Python code runs on one core at a time, the
  GIL: training, frames and clicks share that one; the browsers share the machine);
- the server's threads (``/proc/<pid>/task``) and RSS before the sessions (after one warm-up
  session that played and closed and was dropped: it starts the server's lazily created
  threads and imports what only a playing run uses, one-time costs, not a session's), while all
  play, and after the browsers close: the seconds until the thread count is back, and the RSS
  then;
- the RSS once Streamlit has let go of the closed sessions. Streamlit keeps a closed session's
  state ``server.disconnectedSessionTTL`` seconds (120 by default) so that a dropped connection
  can resume its run; the bench's server uses ``TTL_S`` so this is seen within the bench. Expired
  sessions are dropped at the next connection, so one probe session is opened and closed.

Printed, never asserted: the machine is shared.
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from lossdash.bench.server import BROWSER_CPU, SERVER_CPU, pin_this_process, pinned, wait_serving

ROOT = Path(__file__).resolve().parents[2]
COUNTS = (10, 20)
WATCH_S = 10.0  # seconds of training measured while every session plays
TTL_S = 10  # the bench server's server.disconnectedSessionTTL (Streamlit's default: 120)
THREADS_BACK_S = 30.0  # the longest the bench waits for the threads to be back
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Mini-batches of 8 of the noisy plane's 80 training rows: the loss keeps moving, no run stops.
# Every setting is named: a link naming only the data set gets its recommended setup (with
# which a session converged and read 0 steps/s). Rates 0.01 to 0.05 keep every loss moving:
# at 0.001 a session converged after ~11,000 steps, and at 0.2 one diverged at once.
SETUP = ("dataset=plane&noise=0.5&n_samples=100&val_fraction=0.2&model=linear&batch_size=8"
         "&max_epochs=100000&speed=max&show_landscape=false")
STEPS_PER_EPOCH = 10
LOAD_MS = 120_000  # a page load on a busy machine with 20 sessions playing


def threads(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/task").iterdir()))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_server():
    """``streamlit run app.py`` on a free port; returns ``(process, url)`` once it answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        pinned(SERVER_CPU, [
            sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
            "--server.port", str(port), "--server.fileWatcherType", "none",
            "--server.disconnectedSessionTTL", str(TTL_S), "--browser.gatherUsageStats",
            "false"]),
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    wait_serving(proc, url)
    return proc, url


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds the process has used (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


LOSS_SEQ = """() => document.querySelector(
  '[data-chart="fast/loss"] .js-plotly-plot')?.dataset.seq"""


def frames_drawn(page) -> int:
    """The loss chart's frame number (the feed's message count it has drawn; -1: none)."""
    seq = page.evaluate(LOSS_SEQ)
    return int(seq) if seq is not None else -1


def epoch(page) -> int:
    box = page.get_by_test_id("stMetric").filter(has_text="Epoch")
    return int(box.get_by_test_id("stMetricValue").inner_text().replace(",", ""))


def open_page(browser, url: str, query: str):
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(LOAD_MS)
    page.goto(f"{url}/?{query}")
    page.wait_for_selector("[data-test-script-state='notRunning']")
    return page


def click_play(page) -> None:
    # its accessible name carries the shortcut: "Play Shortcut Space"
    page.get_by_role("button", name=re.compile(r"^Play( Shortcut \S+)?$")).click()


def wait_trained(page) -> None:
    """Until the page shows an epoch above 0."""
    page.wait_for_function("""() => [...document.querySelectorAll(
        '[data-testid="stMetric"]')].some(m => m.innerText.startsWith('Epoch')
        && !/\\n0$/.test(m.innerText.trim()))""")


def play(page) -> None:
    click_play(page)
    wait_trained(page)


def close_all(pages) -> None:
    for page in pages:
        page.context.close()


POOL_IDLE_S = 11.0  # AnyIO (Starlette's thread pool) stops a thread idle 10 s, on its next call


def wait_threads(pid: int, limit: int, seconds: float, url: str = "") -> tuple[int, float]:
    """(thread count, seconds waited) once the count is at most ``limit`` (or time is up).

    Starlette's pool grows while many pages load and keeps its idle threads until its next
    request: with ``url``, one file is asked for once they have been idle for 10 s, so what
    stays is what lossdash left."""
    start = time.monotonic()
    asked = not url
    while threads(pid) > limit and time.monotonic() - start < seconds:
        if not asked and time.monotonic() - start >= POOL_IDLE_S:
            from lossdash.ui import live

            urllib.request.urlopen(f"{url}/{live.assets()['js_url']}", timeout=10).read()
            asked = True
        time.sleep(0.25)
    return threads(pid), time.monotonic() - start


def bench_sessions(browser, n: int) -> dict:
    proc, url = start_server()
    pid = proc.pid
    try:
        warm = open_page(browser, url, SETUP)  # warm-up: lazy threads and imports
        play(warm)
        close_all([warm])
        time.sleep(TTL_S + 2)  # then dropped, as the measured sessions will be
        close_all([open_page(browser, url, SETUP)])
        time.sleep(2.0)
        fig = {"threads_before": threads(pid), "rss_before": rss_mb(pid)}
        pages = [open_page(browser, url, f"{SETUP}&lr={0.01 + 0.002 * i:g}&seed={i}")
                 for i in range(n)]
        for page in pages:
            click_play(page)
        for page in pages:
            wait_trained(page)
        first = [(epoch(p), frames_drawn(p), time.monotonic()) for p in pages]
        cpu0, wall0 = cpu_seconds(pid), time.monotonic()
        time.sleep(WATCH_S)
        cpu = (cpu_seconds(pid) - cpu0) / (time.monotonic() - wall0)
        rates, fps = [], []
        for p, (e0, f0, t0) in zip(pages, first, strict=True):
            e1, f1, t1 = epoch(p), frames_drawn(p), time.monotonic()
            rates.append((e1 - e0) * STEPS_PER_EPOCH / (t1 - t0))
            fps.append((f1 - f0) / (t1 - t0))
        fig.update(threads_during=threads(pid), rss_during=rss_mb(pid), cpu_cores=cpu,
                   rate_median=statistics.median(rates), rate_min=min(rates),
                   fps_median=statistics.median(fps))
        close_all(pages)
        fig["threads_after"], fig["threads_back_s"] = wait_threads(
            pid, fig["threads_before"], THREADS_BACK_S, url)
        fig["rss_after"] = rss_mb(pid)
        time.sleep(TTL_S + 2)  # Streamlit's reconnect window for closed sessions ends
        close_all([open_page(browser, url, SETUP)])  # the next connection drops expired ones
        time.sleep(2.0)
        fig["rss_freed"] = rss_mb(pid)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    log = err.decode(errors="replace")
    fig["tracebacks"] = log.count("Traceback")
    fig["errors"] = _errors(log)
    return fig


def _errors(log: str) -> list[str]:
    """The exception line (the last of each traceback) and the frame it was raised in."""
    out = []
    for block in log.split("Traceback (most recent call last):")[1:]:
        lines = [line for line in block.splitlines() if line.strip()]
        frames = [line.strip() for line in lines if line.lstrip().startswith("File ")]
        raised = next((line for line in lines if not line.startswith((" ", "\t"))), "?")
        out.append(f"{raised[:200]} (at {frames[-1][:160] if frames else '?'})")
    return out


def run(counts=COUNTS):
    if not Path(CHROMIUM).exists():
        print("sessions: skipped (no /usr/bin/chromium; apt-get install chromium)")
        return []
    from playwright.sync_api import sync_playwright

    print("sessions: n browser sessions of one server, all playing (batch 8, speed max)")
    print(f"{'n':>3s} {'steps/s/session':>16s} {'slowest':>8s} {'frames/s':>8s} {'server CPU':>10s}"
          f" {'threads before/during/after':>28s}"
          f" {'back in s':>9s} {'RSS MB before/during/after/freed':>33s} {'tracebacks':>10s}")
    rows = []
    pin_this_process(BROWSER_CPU)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for n in counts:
                f = bench_sessions(browser, n)
                rows.append((n, f))
                threads_ = f"{f['threads_before']}/{f['threads_during']}/{f['threads_after']}"
                rss = (f"{f['rss_before']:.0f}/{f['rss_during']:.0f}/{f['rss_after']:.0f}/"
                       f"{f['rss_freed']:.0f}")
                print(f"{n:3d} {f['rate_median']:16,.0f} {f['rate_min']:8,.0f}"
                      f" {f['fps_median']:8.1f} {f['cpu_cores']:10.2f} {threads_:>28s}"
                      f" {f['threads_back_s']:9.1f} {rss:>33s} {f['tracebacks']:10d}",
                      flush=True)
                for line in f["errors"]:
                    print(f"      traceback: {line}", flush=True)
        finally:
            browser.close()
    print(f"  (freed: {TTL_S} s after closing, Streamlit's reconnect window on this server; "
          "the default is 120 s)")
    return rows
