"""What the browser benchmarks share: a core each for the server and the browser, and waiting
for a started ``streamlit run app.py``."""

from __future__ import annotations

import os
import shutil
import time
import urllib.request

# The server on one core, the browser (and the bench) on the other: as when they run on
# different machines. Unpinned, they fight over both cores, and Linux shares a busy core
# per thread, so whichever side has more busy threads (a browser per session) wins.
SERVER_CPU, BROWSER_CPU = "0", "1"


def pinned(cpu: str, command: list[str]) -> list[str]:
    """``command`` run on one core, where ``taskset`` exists (else unpinned)."""
    return (["taskset", "-c", cpu] if shutil.which("taskset") else []) + command


def pin_this_process(cpu: str) -> None:
    """This process (and what it starts from now on, a browser) on one core, where possible."""
    if hasattr(os, "sched_setaffinity") and int(cpu) < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {int(cpu)})


def wait_serving(proc, url: str, seconds: float = 90.0) -> None:
    """Return once ``url`` answers ok on Streamlit's health endpoint; else kill ``proc``, raise."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                if r.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"streamlit did not answer on {url} within {seconds:g} s")
