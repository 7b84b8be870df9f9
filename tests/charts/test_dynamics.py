"""Sharpness and update-ratio figures: their traces and axes."""

import numpy as np
import plotly.graph_objects as go

from lossdash.charts import compare, dynamics


def test_sharpness_chart_draws_the_threshold_two_over_lr():
    fig = dynamics.sharpness_chart([1, 5], [1.0, 3.0], [1, 2, 3, 4, 5], [0.5] * 5)
    names = [t.name for t in fig.data]
    assert names[0] == "sharpness λmax" and names[1].startswith("2 / lr")
    np.testing.assert_allclose(fig.data[1].y, 4.0)
    assert fig.layout.yaxis.type == "log"


def test_adaptive_optimizers_get_no_threshold():
    fig = dynamics.sharpness_chart([1], [2.0], [1], [0.1], factor=None)
    assert len(fig.data) == 1


def test_sharpness_chart_before_training_says_so():
    fig = dynamics.sharpness_chart([], [])
    assert not fig.data and "press Play" in fig.layout.annotations[0].text


def test_update_ratio_chart_has_a_line_per_layer_and_the_rule_of_thumb():
    fig = dynamics.update_ratio_chart([1, 2, 3], {"W1": [1e-2, 1e-3, 1e-4], "W2": [1, 2, 3]})
    assert [t.name for t in fig.data] == ["W1", "W2", "0.001: rule of thumb"]
    np.testing.assert_allclose(fig.data[2].y, 1e-3)
    assert fig.layout.yaxis.type == "log"


def test_mark_epoch_adds_a_vertical_line_with_its_text():
    fig = dynamics.mark_epoch(go.Figure(), 12.0, "best epoch 12")
    assert fig.layout.shapes[0].x0 == 12.0
    assert fig.layout.annotations[0].text == "best epoch 12"


def test_stability_marker_sits_at_the_line():
    fig = compare.stability_marker(go.Figure(), 0.77)
    assert fig.layout.shapes[0].x0 == 0.77
    assert "0.77" in fig.layout.annotations[0].text


def test_stability_marker_text_sits_at_the_line_on_a_log_axis():
    fig = go.Figure(layout={"xaxis": {"type": "log"}})
    fig = compare.stability_marker(fig, 0.1)
    assert fig.layout.shapes[0].x0 == 0.1 and fig.layout.annotations[0].x == -1.0


def test_no_line_no_marker():
    assert not compare.stability_marker(go.Figure(), None).layout.shapes


def test_dynamics_charts_name_their_axis_types():
    """Redrawn live: Plotly must not infer the axis types from the data on every redraw."""
    sharp = dynamics.sharpness_chart([0, 1, 2], [1.0, 2.0, 3.0], [0, 1, 2], [0.1] * 3)
    ratio = dynamics.update_ratio_chart([0, 1], {"W1": [1e-3, 2e-3]})
    for fig in (sharp, ratio):
        assert (fig.layout.xaxis.type, fig.layout.yaxis.type) == ("linear", "log")
