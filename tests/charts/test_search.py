"""Figures of a settings search: traces per optimizer, failed trials on the edge, parallel axes."""

import math

import numpy as np
import pandas as pd
import pytest

from lossdash.charts import search as charts
from lossdash.charts.compare import TOP_MARGIN

TABLE = pd.DataFrame({
    "trial": [1, 2, 3, 4],
    "optimizer": ["sgd", "adam", "sgd", "adam"],
    "lr": [0.01, 0.1, 5.0, 0.001],
    "train_loss": [0.5, 0.2, math.nan, 0.3],
    "val_loss": [0.4, 0.1, math.nan, 1.0],
    "accuracy": [0.8, 0.95, math.nan, 0.7],
    "status": ["max_epochs", "converged", "diverged", "max_epochs"],
})
FIELDS = ["optimizer", "lr"]


def by_name(fig):
    return {trace.name: trace for trace in fig.data}


def test_lr_chart_has_one_trace_per_optimizer_on_log_axes():
    fig = charts.lr_vs_loss(TABLE, FIELDS)
    traces = by_name(fig)
    assert list(traces["sgd"].x) == [0.01] and list(traces["sgd"].y) == [0.4]
    assert list(traces["adam"].x) == [0.1, 0.001] and list(traces["adam"].y) == [0.1, 1.0]
    assert (fig.layout.xaxis.type, fig.layout.yaxis.type) == ("log", "log")


def test_lr_chart_puts_diverged_trials_on_the_top_edge_and_stars_the_best():
    traces = by_name(charts.lr_vs_loss(TABLE, FIELDS))
    failed = traces["diverged or failed"]
    assert list(failed.x) == [5.0] and list(failed.y) == [pytest.approx(1.0 * TOP_MARGIN)]
    assert list(traces["best: trial 2"].y) == [0.1]


def test_lr_chart_without_lr_says_so():
    fig = charts.lr_vs_loss(TABLE.drop(columns="lr"), ["optimizer"])
    assert not fig.data and "vary the learning rate" in fig.layout.annotations[0].text


def test_trials_rank_by_val_loss_with_failed_last():
    assert list(charts.ranked(TABLE)["trial"]) == [2, 1, 4, 3]


def test_without_a_validation_set_trials_rank_by_train_loss():
    table = TABLE.assign(val_loss=math.nan)
    assert charts.loss_column(table) == "train_loss"
    assert list(charts.ranked(table)["trial"]) == [2, 4, 1, 3]


def test_parallel_axes_show_choices_log_rates_and_a_failed_tick():
    dims = {d.label: d for d in charts.parallel(TABLE, FIELDS, "accuracy").data[0].dimensions}
    opt = dims["optimizer"]
    assert list(opt.ticktext) == ["sgd", "adam"] and list(opt.values) == [0, 1, 0, 1]
    np.testing.assert_allclose(dims["lr (log)"].values, np.log10(TABLE["lr"]))
    loss = dims["val loss (log)"]
    assert loss.ticktext[-1] == charts.FAILED_TICK
    assert loss.values[2] == loss.tickvals[-1]  # the diverged trial sits on the failed tick
    np.testing.assert_allclose(loss.values[[0, 1, 3]], np.log10([0.4, 0.1, 1.0]))
