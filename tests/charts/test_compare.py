"""Comparison, sweep and LR-finder figures, tested by their traces and axes."""

import math

import numpy as np
import pandas as pd
import pytest

from lossdash.charts.base import OKABE_ITO
from lossdash.charts.compare import (
    TOP_MARGIN,
    compare_curves,
    finder_y_range,
    lr_finder_chart,
    sweep_chart,
)
from lossdash.explore.compare import PinnedRun
from lossdash.explore.lrfind import LRFindResult, SweepResult


def history(losses):
    n = len(losses)
    return pd.DataFrame({
        "step": np.arange(1, n + 1), "epoch": np.arange(1, n + 1) / 2.0,
        "loss": losses, "train_loss": losses, "eval": np.arange(n) % 2 == 0,
    })


def sweep_result(final, diverged):
    final = np.asarray(final, dtype=float)
    k = len(final)
    return SweepResult(
        lrs=np.geomspace(1e-3, 10.0, k), final_loss=final,
        diverged=np.asarray(diverged, dtype=bool),
        diverged_epoch=np.full(k, np.nan), epoch_loss=np.zeros((k, 6)),
        thetas=np.zeros((k, 2)), epochs=5,
    )


def test_compare_curves_draws_one_coloured_line_per_run_and_dashes_pinned_ones():
    runs = [("sgd", history([3.0, 2.0, 1.0, 0.5])),
            ("adam, lr=0.01", history([3.0, 1.0, 0.2, 0.1]))]
    pinned = [PinnedRun("momentum", history([3.0, 2.5, 2.0, 1.5]), "max_epochs", None)]
    fig = compare_curves(runs, pinned)
    assert [t.name for t in fig.data] == ["sgd", "adam, lr=0.01", "momentum (pinned)"]
    assert [t.line.color for t in fig.data] == OKABE_ITO[:3]
    assert [t.line.dash for t in fig.data] == [None, None, "dash"]
    np.testing.assert_array_equal(fig.data[0].y, [3.0, 1.0])  # eval rows of train_loss
    np.testing.assert_array_equal(fig.data[0].x, [0.5, 1.5])


def test_compare_curves_drops_non_finite_losses():
    fig = compare_curves([("a", history([1.0, np.nan, np.inf, 0.5]))], y="loss")
    np.testing.assert_array_equal(fig.data[0].y, [1.0, 0.5])


def test_compare_curves_without_steps_says_so():
    fig = compare_curves([("a", history([]))])
    assert not fig.data and "no steps yet" in fig.layout.annotations[0].text


def test_sweep_chart_puts_diverged_runs_on_the_top_edge_without_nan():
    result = sweep_result([2.0, 0.5, 0.1, 1e9, math.inf, math.nan], [0, 0, 0, 1, 1, 1])
    fig = sweep_chart(result)
    traces = {t.name.split(":")[0]: t for t in fig.data}
    np.testing.assert_array_equal(traces["final loss"].y, [2.0, 0.5, 0.1])
    np.testing.assert_allclose(traces["diverged"].y, [2.0 * TOP_MARGIN] * 3)
    np.testing.assert_allclose(traces["diverged"].x, result.lrs[3:])
    assert traces["diverged"].marker.symbol == "x"
    for trace in fig.data:
        assert np.isfinite(np.asarray(trace.y, dtype=float)).all()
    assert fig.layout.xaxis.type == "log"


def test_sweep_chart_stars_the_best_rate():
    result = sweep_result([2.0, 0.5, 0.1, 0.3], [0, 0, 0, 0])
    best = fig_trace(sweep_chart(result), "best")
    assert best.x == (result.lrs[2],) and best.y == (0.1,) and best.marker.symbol == "star"
    assert best.name == f"best: lr={result.lrs[2]:.3g}"


def fig_trace(fig, prefix):
    return next(t for t in fig.data if t.name.startswith(prefix))


def test_sweep_chart_when_every_run_diverged_has_no_best():
    fig = sweep_chart(sweep_result([math.inf, 1e12], [1, 1]))
    assert [t.name for t in fig.data] == ["diverged"]


def test_lr_finder_chart_marks_the_suggestion_with_a_vertical_line():
    lrs = np.geomspace(1e-4, 1.0, 5)
    result = LRFindResult(lrs, np.array([1.0, 0.8, 0.3, 0.2, 5.0]),
                          np.array([1.0, 0.9, 0.6, 0.4, 1.9]), 0.01, "why", "diverged")
    fig = lr_finder_chart(result)
    assert [t.name for t in fig.data] == ["loss", "smoothed loss"]
    assert fig.layout.xaxis.type == "log"
    line = fig.layout.shapes[0]
    assert line.x0 == line.x1 == pytest.approx(0.01)
    note = fig.layout.annotations[0]
    assert "suggested lr = 0.01" in note.text
    assert note.x == pytest.approx(-2)  # on a log axis an annotation's x is log10 of the rate
    low, high = fig.layout.yaxis.range  # both curves whole at the bottom, the blow-up cut
    assert low < 0.2 and 1.0 < high < 1.9


def test_lr_finder_chart_without_a_suggestion_has_no_line():
    lrs = np.geomspace(1e-4, 1.0, 3)
    result = LRFindResult(lrs, np.ones(3), np.ones(3), math.nan, "never fell", "end of range")
    fig = lr_finder_chart(result)
    assert not fig.layout.shapes and len(fig.data) == 2


def test_lr_finder_range_keeps_the_lowest_raw_loss_and_cuts_the_blow_up():
    smoothed = np.array([4.0, 3.0, 1.0, 0.5, 0.4, 8.0, 30.0])
    raw = np.array([4.0, 2.5, 0.5, 0.1, 0.3, 20.0, 90.0])  # the raw loss dips below the EMA
    low, high = finder_y_range(raw, smoothed, pad=0.05)
    assert low == pytest.approx(0.1 - 0.05 * 3.9) and high == pytest.approx(4.0 + 0.05 * 3.9)


def test_lr_finder_range_is_none_without_a_finite_smoothed_loss():
    assert finder_y_range([1.0], [math.nan]) is None


def test_compare_curves_put_a_long_legend_under_the_plot():
    many = compare_curves([(f"run {i}", history([2.0, 1.0])) for i in range(8)])
    assert many.layout.legend.yref == "container" and many.layout.legend.yanchor == "bottom"
    assert many.layout.legend.y == 0
    few = compare_curves([("sgd", history([2.0, 1.0]))])
    assert few.layout.legend.yanchor == "bottom" and few.layout.legend.y == 1.0  # above
