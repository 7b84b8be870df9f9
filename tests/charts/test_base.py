"""The helpers every chart shares: history decimation keeps spikes and the first and last rows."""

import numpy as np
import pandas as pd
import pytest

from lossdash.charts import base
from tests.charts.test_training import make_history


def test_decimate_returns_a_short_frame_unchanged():
    df = make_history(50)
    assert base.decimate(df, max_points=100) is df


@pytest.mark.parametrize("by", [None, "loss", ["grad_norm", "update_norm"]], ids=str)
def test_decimate_caps_length_and_keeps_first_and_last_rows(by):
    df = make_history(10_001)
    out = base.decimate(df, max_points=500, by=by)
    assert len(out) <= 500
    assert out["step"].iloc[0] == 1 and out["step"].iloc[-1] == 10_001
    assert out["step"].is_monotonic_increasing


def test_decimate_keeps_the_row_of_a_spike():
    df = make_history(100_000)
    df.loc[54_321, "loss"] = 1e6
    out = base.decimate(df, max_points=2000, by="loss")
    assert out["loss"].max() == 1e6
    assert 54_322 in out["step"].to_numpy()


def test_decimate_keeps_the_row_of_a_dip():
    df = make_history(100_000)
    df.loc[777, "loss"] = -5.0
    assert base.decimate(df, max_points=2000, by="loss")["loss"].min() == -5.0


def test_decimate_picks_finite_extremes_over_nan():
    df = pd.DataFrame({"step": np.arange(10_000), "loss": np.ones(10_000)})
    df.loc[::2, "loss"] = np.nan
    df.loc[5001, "loss"] = 9.0
    out = base.decimate(df, max_points=100, by="loss")
    assert out["loss"].max() == 9.0


def reference_decimate_rows(columns, n, max_points):
    """decimate's rows the slow, obvious way: a Python loop over fixed buckets of 2^k rows."""
    n_buckets = (max_points - 2) // (2 * len(columns))
    size = 1
    while -(-n // size) > n_buckets:
        size *= 2
    keep = {0, n - 1}
    for values in columns:
        for start in range(0, n, size):
            rows = range(start, min(start + size, n))
            finite = [i for i in rows if np.isfinite(values[i])] or [rows[0]]
            keep.add(min(finite, key=lambda i: values[i]))  # min/max return the first on ties
            keep.add(max(finite, key=lambda i: values[i]))
    return sorted(keep)


@pytest.mark.parametrize("n", [1_000, 1_001, 1_500, 2_047, 5_000])
def test_decimated_rows_of_a_longer_history_extend_those_of_a_shorter_one(n):
    """A live chart appends: the rows kept from complete buckets never change as n grows."""
    rng = np.random.default_rng(n)
    longer = rng.normal(size=n + 37)
    short = base.decimated_rows(n, [longer[:n]], max_points=202)
    grown = base.decimated_rows(n + 37, [longer], max_points=202)
    if base.bucket_size(n, 50) == base.bucket_size(n + 37, 50):
        size = base.bucket_size(n, 50)
        complete = short[short < n // size * size]
        np.testing.assert_array_equal(grown[: len(complete)], complete)
    assert len(grown) <= 202


def thinned_steps(n_steps, recent, keep_every):
    """Steps of a history thinned as the engine thins it: every ``keep_every``-th of the
    older steps (counted from step 1), the last ``recent`` whole."""
    steps = np.arange(1, n_steps + 1)
    old = steps[: n_steps - recent]
    return np.r_[old[(old - 1) % keep_every == 0], steps[n_steps - recent:]]


@pytest.mark.parametrize("spiky", [0, 1, 2])
def test_rows_keyed_by_step_survive_a_history_thinned_at_the_front(spiky):
    """Keyed by step, a thinned history that grows by a few hundred steps keeps every point
    of the complete buckets: the live loss curve only appends (by row position it resent
    the whole curve every frame)."""
    rng = np.random.default_rng(spiky)
    values = rng.normal(size=(2, 30_000))

    def points(n_steps):
        steps = thinned_steps(n_steps, 5_000, 8)
        cols = [values[c, steps - 1] for c in range(spiky)]
        rows = base.decimated_rows(len(steps), cols, max_points=300, at=steps)
        return steps[rows], len(steps)

    before, _ = points(20_000)
    after, n_rows = points(20_400)
    assert len(after) <= 300 and n_rows > 300
    assert after[0] == 1 and after[-1] == 20_400  # the first and the last step
    size = base.bucket_size(20_400, 298 // (2 * spiky) - 1 if spiky else 297)
    # the buckets complete before 20,000 and thinned alike in both (steps up to 15,000)
    complete = before[before < min(20_000 // size * size, 15_000 // size * size)]
    np.testing.assert_array_equal(after[: len(complete)], complete)
    assert len(complete) > 0.6 * len(before)


def test_rows_keyed_by_step_keep_each_bucket_extremes():
    steps = thinned_steps(10_000, 1_000, 4)
    values = np.sin(steps / 50.0)
    values[np.searchsorted(steps, 4_001)] = 50.0  # a spike among the thinned rows
    values[-3] = -50.0  # and a dip among the recent ones
    values[10:20] = np.nan  # never a winner
    rows = base.decimated_rows(len(steps), [values], max_points=100, at=steps)
    assert {np.searchsorted(steps, 4_001), len(steps) - 3} <= set(rows)
    assert not np.isnan(values[rows[1:]]).any()
    assert len(rows) <= 100 and list(rows) == sorted(set(rows))


def test_bucket_size_is_the_smallest_power_of_two_that_fits():
    assert base.bucket_size(100, 100) == 1
    assert base.bucket_size(101, 100) == 2
    assert base.bucket_size(400, 100) == 4
    assert base.bucket_size(401, 100) == 8


@pytest.mark.parametrize("n, max_points", [(5_000, 202), (4_999, 301), (1_001, 1_000)], ids=str)
@pytest.mark.parametrize("by", ["a", ["a", "b"]], ids=str)
def test_decimate_keeps_the_same_rows_as_a_loop_over_buckets(n, max_points, by):
    rng = np.random.default_rng(n)
    df = pd.DataFrame({"a": rng.integers(0, 4, n).astype(float), "b": rng.normal(size=n)})
    df.loc[rng.random(n) < 0.2, "a"] = np.nan  # ties, gaps and infinities everywhere
    df.loc[rng.random(n) < 0.05, "b"] = np.inf
    df.loc[rng.random(n) < 0.05, "b"] = -np.inf
    df.loc[100:160, "b"] = np.nan  # buckets with no finite value at all
    columns = [df[c].to_numpy() for c in ([by] if isinstance(by, str) else by)]
    out = base.decimate(df, max_points=max_points, by=by)
    np.testing.assert_array_equal(out.index, reference_decimate_rows(columns, n, max_points))


# ---------------------------------------------------------------------------------------------
# smooth




def test_plain_escapes_the_html_plotly_reads():
    assert base.plain('<a href="u">x</a> & <br>') == (
        '&lt;a href="u"&gt;x&lt;/a&gt; &amp; &lt;br&gt;')


def test_plain_cuts_a_long_name():
    assert base.plain("n" * 500) == "n" * (base.MAX_NAME_CHARS - 1) + "…"


def test_a_long_note_is_cut_after_its_colon_and_a_short_one_is_kept():
    assert base.annotation("no steps yet")["text"] == "no steps yet"
    assert (base.annotation("measured while training: press Play or Step")["text"]
            == "measured while training:<br>press Play or Step")
    long = "a note with no colon that runs on for longer than one narrow chart can show"
    lines = base.annotation(long)["text"].split("<br>")
    assert len(lines) > 1 and max(map(len, lines)) <= base.NOTE_CHARS
    assert " ".join(lines) == long


def test_a_figure_copies_no_template_and_streams_as_before():
    """go.Figure deep-copies Plotly's default template (Streamlit's, once streamlit is
    imported) into a figure that names none; base.figure names an empty one. A live panel
    strips the template, so what it sends is the same as from the figure built the old way."""
    import plotly.graph_objects as go
    import plotly.io as pio
    import streamlit  # noqa: F401  (its template becomes Plotly's default, as in the app)

    from lossdash.charts.stream import FigureStream

    assert pio.templates.default == "streamlit"
    data = [{"type": "scatter", "x": np.arange(5.0), "y": np.arange(5.0) ** 2, "name": "a"}]
    layout = {**base.look("Loss"), "xaxis": {"title": {"text": "step"}}}
    fig = base.figure(data, layout)
    assert fig.to_plotly_json()["layout"]["template"] == {}
    old = go.Figure(data=data, layout=layout, _validate=False)
    assert old.to_plotly_json()["layout"]["template"]  # the copy base.figure avoids
    new_msg, old_msg = FigureStream().message(fig), FigureStream().message(old)
    assert new_msg.pop("gen") != old_msg.pop("gen")  # each stream's own id
    assert new_msg == old_msg
