"""What the browser benchmarks share: waiting for a started ``streamlit run app.py``."""

from __future__ import annotations

import time
import urllib.request


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
