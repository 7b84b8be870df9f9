"""Helpers the test modules share."""

import importlib
import os

import pytest


def need(module):
    """Import ``module`` for a reference test (PyTorch, kaleido, ...).

    A developer's machine without it skips the test with the reason; in CI (``CI=true``) a
    missing reference fails instead, so a green CI always means the comparison ran.
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        reason = f"could not import {module!r} ({err}): pip install -r requirements-dev.txt"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: reference tests must run here)", pytrace=False)
        pytest.skip(reason)


# --------------------------------------------------------------------------- the live panels
def live_panels(at):
    """``{key: data}`` of the live panel elements (lossdash.ui.live) of an AppTest run."""
    import json

    return {el.key: json.loads(el.proto.json) for el in at.get("bidi_component")}


def live_metrics(at):
    """``{label: value}`` of the metrics row the live panels show."""
    return {m["label"]: m["value"] for data in live_panels(at).values()
            for m in data.get("metrics") or []}


def live_figures(at):
    """``{chart id: {"data", "layout"}}``: every live chart as the browser would draw it.

    The panels send changes relative to what they sent before, so the figures are replayed
    through a :class:`lossdash.charts.stream.Receiver` per chart kept on ``at``. A chart whose
    earlier messages were not read here is asked for whole (as the browser asks on a gap).
    """
    from lossdash.charts.stream import Receiver

    receivers = at.__dict__.setdefault("_live_receivers", {})
    for attempt in range(2):
        missing = []
        for data in live_panels(at).values():
            for chart in data.get("charts", []):
                receiver = receivers.setdefault(chart["id"], Receiver())
                if not receiver.apply(chart["msg"]):
                    missing.append(chart["id"])
        if not missing or attempt:
            break
        streams = at.session_state["live_streams"]
        for chart_id in missing:
            streams[chart_id].reset()
        at.run()
    return {k: r.figure for k, r in receivers.items() if r.figure is not None}
