"""A live chart's stream: the browser's copy always equals the figure, and a frame sends little."""

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from lossdash.charts import training
from lossdash.charts.stream import FigureStream, Receiver, common_prefix, decode, encode


def history(n, seed=0):
    rng = np.random.default_rng(seed)
    loss = np.exp(-np.arange(n) / 300) + 0.05 * rng.random(n)
    return pd.DataFrame({"step": np.arange(1, n + 1), "epoch": np.arange(1, n + 1) / 10,
                         "loss": loss, "train_loss": loss, "val_loss": loss * 1.1,
                         "eval": np.arange(n) % 10 == 0})


def arrays(fig):
    """(x, y) of every trace of a figure dict or go.Figure, as float arrays."""
    data = fig["data"] if isinstance(fig, dict) else fig.data
    return [(np.asarray(t["x"], float), np.asarray(t["y"], float)) for t in data]


def assert_same(received, fig):
    for (x1, y1), (x2, y2) in zip(arrays(received), arrays(fig), strict=True):
        np.testing.assert_allclose(x1, x2, rtol=1e-6)
        np.testing.assert_allclose(y1, y2, rtol=1e-6)


def test_the_first_message_is_the_whole_figure():
    fig = training.loss_curve(history(50), smoothing=0.6)
    msg = FigureStream().message(fig)
    assert msg["full"] and len(msg["data"]) == len(fig.data)
    receiver = Receiver()
    assert receiver.apply(msg)
    assert_same(receiver.figure, fig)
    assert receiver.figure["layout"]["title"]["text"] == "Loss"


def test_a_growing_history_sends_only_the_new_points_and_the_copy_stays_equal():
    stream, receiver = FigureStream(), Receiver()
    full = history(20_000)
    sizes = []
    for n in range(3_000, 3_400, 40):  # frames of a playing run, 40 steps apart
        fig = training.loss_curve(full.iloc[:n], smoothing=0.6, log_y=True)
        msg = stream.message(fig)
        assert receiver.apply(msg)
        assert_same(receiver.figure, fig)
        sizes.append(len(json.dumps(msg)))
    # after the first frame: the points of the last few frames (a patch holds every change
    # since the oldest of the last WINDOW messages, so a skipped frame costs nothing)
    assert sizes[0] > 5 * max(sizes[1:])
    assert max(sizes[1:]) < 2000


def test_a_figure_that_did_not_change_sends_no_patch():
    stream = FigureStream()
    fig = training.loss_curve(history(30))
    first = stream.message(fig)
    again = stream.message(fig)
    assert again == {"gen": first["gen"], "seq": first["seq"]}


def test_skipped_messages_cost_nothing_the_next_patch_applies_on_top_of_any_recent_one():
    stream, receiver = FigureStream(window=4), Receiver()
    receiver.apply(stream.message(training.loss_curve(history(30))))
    stream.message(training.loss_curve(history(40)))  # never reaches the browser
    stream.message(training.loss_curve(history(45)))  # nor this one
    gap = stream.message(training.loss_curve(history(50)))
    assert not gap.get("full") and receiver.apply(gap)
    assert_same(receiver.figure, training.loss_curve(history(50)))


@pytest.mark.parametrize("seen", range(4))
def test_every_message_of_the_window_takes_the_next_patch_to_the_same_figure(seen):
    """A growing curve with a grid and a style change: whichever recent frame the browser
    holds, the next patch leaves it with exactly the new figure."""
    rng = np.random.default_rng(seen)
    figures = [go.Figure([go.Scatter(x=np.arange(n), y=np.sin(np.arange(n) / 7.0) + n,
                                     line={"color": "red" if n < 40 else "blue"}),
                          go.Heatmap(z=rng.random((5, 5)) if n % 20 else np.zeros((5, 5)))],
                         layout={"title": {"text": f"n={n // 30}"}})
               for n in range(10, 60, 10)]
    stream, receiver = FigureStream(window=4), Receiver()
    messages = [stream.message(f) for f in figures]
    assert receiver.apply(messages[0])
    for msg in messages[1:seen + 1]:
        assert receiver.apply(msg)
    assert receiver.apply(messages[-1])  # the frames after `seen` never arrived
    line = receiver.figure["data"][0]
    np.testing.assert_allclose(line["y"], figures[-1].data[0].y, rtol=1e-6)
    assert len(line["x"]) == len(figures[-1].data[0].x) and line["line"]["color"] == "blue"
    np.testing.assert_allclose(receiver.figure["data"][1]["z"], figures[-1].data[1].z, rtol=1e-6)
    assert receiver.figure["layout"]["title"]["text"] == "n=1"


def test_a_browser_older_than_the_window_is_refused_and_a_reset_sends_the_figure_whole():
    stream, receiver = FigureStream(window=2), Receiver()
    receiver.apply(stream.message(training.loss_curve(history(30))))
    for n in (40, 45):
        stream.message(training.loss_curve(history(n)))  # never reach the browser
    gap = stream.message(training.loss_curve(history(50)))
    assert not receiver.apply(gap)
    stream.reset()
    whole = stream.message(training.loss_curve(history(50)))
    assert whole["full"] and receiver.apply(whole)
    assert_same(receiver.figure, training.loss_curve(history(50)))


def test_a_late_message_changes_nothing():
    stream, receiver = FigureStream(), Receiver()
    first = stream.message(training.loss_curve(history(30)))
    second = stream.message(training.loss_curve(history(40)))
    receiver.apply(first)
    receiver.apply(second)
    assert receiver.apply(first) and receiver.seq == second["seq"]
    assert_same(receiver.figure, training.loss_curve(history(40)))


def test_a_message_of_another_stream_is_refused():
    receiver = Receiver()
    receiver.apply(FigureStream().message(training.loss_curve(history(30))))
    other = FigureStream()
    other.message(training.loss_curve(history(30)))
    assert not receiver.apply(other.message(training.loss_curve(history(40))))


def test_a_changed_style_replaces_the_trace_and_a_changed_layout_is_sent():
    stream, receiver = FigureStream(), Receiver()
    fig = go.Figure([go.Scatter(x=[1, 2], y=[3, 4], line={"color": "red"})],
                    layout={"title": {"text": "a"}})
    receiver.apply(stream.message(fig))
    fig2 = go.Figure([go.Scatter(x=[1, 2], y=[3, 4], line={"color": "blue"})],
                     layout={"title": {"text": "b"}})
    msg = stream.message(fig2)
    assert "replace" in msg["traces"][0] and msg["layout"]["title"]["text"] == "b"
    assert receiver.apply(msg)
    assert receiver.figure["data"][0]["line"]["color"] == "blue"


def test_more_traces_send_the_whole_figure():
    stream = FigureStream()
    stream.message(go.Figure([go.Scatter(x=[1], y=[1])]))
    assert stream.message(go.Figure([go.Scatter(x=[1], y=[1]), go.Scatter(x=[2], y=[2])]))["full"]


def test_a_changed_grid_is_sent_whole_and_quantized_to_a_byte_per_cell():
    rng = np.random.default_rng(0)
    z1, z2 = rng.random((60, 60)), rng.random((60, 60))
    z2[3, 4] = np.nan
    stream, receiver = FigureStream(quantize_grids=True), Receiver()
    receiver.apply(stream.message(go.Figure([go.Heatmap(z=z1)])))
    msg = stream.message(go.Figure([go.Heatmap(z=z2)]))
    spec = msg["traces"][0]["set"]["z"]
    assert spec["dtype"] == "u1" and len(json.dumps(msg)) < 60 * 60 * 4 / 3 + 300
    assert receiver.apply(msg)
    z = receiver.figure["data"][0]["z"]
    assert np.isnan(z[3, 4])
    ok = ~np.isnan(z2)
    step = (np.nanmax(z2) - np.nanmin(z2)) / 254
    assert np.abs(z[ok] - z2[ok]).max() <= step / 2 + 1e-12


@pytest.mark.parametrize("values", [[1.5, -2.0, 3.25], [0, 7, 2**20], [[1.0, None], [2.0, 3.0]]])
def test_encode_and_decode_round_trip(values):
    out = decode(encode(np.array(values, dtype=object if None in np.ravel(values) else None)))
    expected = np.array(values, dtype=float)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
    np.testing.assert_allclose(out[~np.isnan(out)], expected[~np.isnan(expected)], rtol=1e-7)


def test_common_prefix_counts_equal_leading_entries_nan_included():
    a = np.array([1.0, np.nan, 3.0, 4.0])
    assert common_prefix(a, np.array([1.0, np.nan, 3.0, 5.0, 6.0])) == 3
    assert common_prefix(a, a[:2]) == 2
    assert common_prefix(a, np.array([9.0])) == 0


def test_a_latest_patch_builds_on_the_last_frame_only_and_is_smaller():
    """The live feed's page applies every frame in order: its patches hold one frame's change."""
    window, latest, receiver = FigureStream(), FigureStream(), Receiver()
    full = history(20_000)
    by_window, by_latest = [], []
    for n in range(3_000, 3_400, 40):
        fig = training.loss_curve(full.iloc[:n], smoothing=0.6, log_y=True)
        by_window.append(len(json.dumps(window.message(fig))))
        msg = latest.message(fig, latest=True)
        assert receiver.apply(msg)
        assert_same(receiver.figure, fig)
        by_latest.append(len(json.dumps(msg)))
    assert sum(by_latest[6:]) < 0.5 * sum(by_window[6:])


def test_a_latest_patch_is_refused_by_a_page_that_missed_the_frame_before():
    stream, receiver = FigureStream(), Receiver()
    receiver.apply(stream.message(training.loss_curve(history(30)), latest=True))
    stream.message(training.loss_curve(history(40)), latest=True)  # lost on the way
    msg = stream.message(training.loss_curve(history(50)), latest=True)
    assert not receiver.apply(msg)  # asks for the figure whole: never a wrong chart
    stream.reset()
    assert receiver.apply(stream.message(training.loss_curve(history(50)), latest=True))
    assert_same(receiver.figure, training.loss_curve(history(50)))


def test_a_figure_read_in_place_sends_what_its_json_would():
    """``plain`` reads a go.Figure's own dicts instead of copying them through to_plotly_json:
    the messages must be the same, byte for byte, for every chart builder."""
    from lossdash.charts.stream import plain
    from tests.charts.test_schema import BUILDERS

    for build in BUILDERS.values():
        fig = build()
        by_json, in_place = FigureStream(), FigureStream()
        in_place.gen = by_json.gen
        a = by_json.message(fig.to_plotly_json())
        b = in_place.message(fig)
        assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
        assert plain(fig)["data"] is fig._data  # no copy


def test_a_live_chart_carries_no_template_and_so_no_placeholder_colours():
    """Streamlit's default Plotly template holds placeholder colours (#000011...) that only
    st.plotly_chart replaces: a live panel must send none of it."""
    import plotly.io as pio
    import streamlit  # noqa: F401  (makes its template Plotly's default, as in the app)

    assert pio.templates.default == "streamlit"
    fig = go.Figure(data=[{"type": "heatmap", "z": [[0.0, 1.0]]}], layout={"title": {"text": "t"}})
    msg = FigureStream().message(fig)
    assert "template" not in msg["layout"] and msg["layout"]["title"] == {"text": "t"}
    assert "#0000" not in json.dumps(msg)
    assert "template" in fig.to_plotly_json()["layout"]  # the figure itself is left as it was
