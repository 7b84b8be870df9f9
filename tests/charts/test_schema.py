"""Every chart a builder makes is valid Plotly: the builders skip Plotly's property checks
(``base.figure``, for speed), so this checks their figures against Plotly's schema."""

import numpy as np
import plotly.graph_objects as go
import pytest

from lossdash.charts import base, dynamics, network
from lossdash.charts import compare as charts_compare
from lossdash.charts import landscape as charts_landscape
from lossdash.charts import training as charts
from lossdash.explore import shapes
from lossdash.explore.compare import PinnedRun
from lossdash.explore.lrfind import LRFindResult
from tests.charts.test_compare import history, sweep_result
from tests.charts.test_landscape import demo_runs, make_landscape
from tests.charts.test_network import snap_of
from tests.charts.test_training import (
    DATA_CHARTS,
    HISTORY_CHARTS,
    LAYOUT,
    make_data,
    make_history,
    sigmoid_proba,
)

BUILDERS = {
    **{name: (lambda build=build: build(make_history(300))) for name, build in
       HISTORY_CHARTS.items()},
    **DATA_CHARTS,
    "decision_boundary": lambda: charts.decision_boundary(
        make_data(task="classification"), make_data(task="classification"), sigmoid_proba),
    "decision_boundary_webgl": lambda: charts.decision_boundary(
        make_data(n=charts.WEBGL_POINTS + 1, task="classification"), None, sigmoid_proba,
        webgl=True),
    "weight_distributions": lambda: charts.weight_distributions(
        np.arange(5), np.random.default_rng(0).normal(size=(5, 12)), LAYOUT),
    "sharpness": lambda: dynamics.sharpness_chart([1, 2, 3], [1.0, 2.0, 3.0], [1, 2, 3],
                                                  [0.1, 0.1, 0.05]),
    "update_ratio": lambda: dynamics.update_ratio_chart([1, 2, 3], {"W1": [1e-3, 2e-3, 1e-4]}),
    "network": lambda: network.network_figure(snap_of((3, 2))[1], (1, 0)),
    "neuron": lambda: network.neuron_figure(snap_of((3,))[1], 1, 2),
    "empty": lambda: base.empty(base.plot_layout("Loss", "step", "loss"), "nothing yet"),
    "loss_shape_regression": lambda: charts_landscape.loss_shape_figure(
        shapes.loss_shapes("regression", points=11), "value"),
    "loss_shape_classification": lambda: charts_landscape.loss_shape_figure(
        shapes.loss_shapes("classification", points=11), "gradient"),  # with a dashed twin
    "outliers": lambda: charts_landscape.outlier_figure(shapes.OutlierFit(
        np.array([[0.0], [1.0]]), np.array([0.5, -8.0]), np.array([False, True]),
        {"mse": (1.0, 0.0)})),
    "outliers_empty": lambda: charts_landscape.outlier_figure(shapes.OutlierFit(
        np.zeros((0, 1)), np.zeros(0), np.zeros(0, bool), {})),
    "compare_curves": lambda: charts_compare.compare_curves(
        [("sgd", history([3.0, 2.0, 1.0, 0.5])), ("adam", history([3.0, 1.0, 0.2, 0.1]))],
        [PinnedRun("momentum", history([3.0, 2.5, 2.0, 1.5]), "max_epochs", None)],
        log_y=True),
    "compare_curves_many": lambda: charts_compare.compare_curves(  # legend below
        [(f"run {i}", history([2.0, 1.0])) for i in range(6)], y="loss", x="step"),
    "compare_curves_empty": lambda: charts_compare.compare_curves([("a", history([]))]),
    "sweep": lambda: charts_compare.sweep_chart(
        sweep_result([2.0, 0.5, 0.1, 1e9, np.inf, np.nan], [0, 0, 0, 1, 1, 1])),
    "sweep_empty": lambda: charts_compare.sweep_chart(sweep_result([], []), log_y=False),
    "lr_finder": lambda: charts_compare.stability_marker(charts_compare.lr_finder_chart(
        LRFindResult(np.geomspace(1e-4, 1.0, 5), np.array([1.0, 0.8, 0.3, 0.2, 5.0]),
                     np.array([1.0, 0.9, 0.6, 0.4, 1.9]), 0.01, "why", "diverged")), 0.05),
    "lr_finder_no_suggestion": lambda: charts_compare.lr_finder_chart(LRFindResult(
        np.geomspace(1e-4, 1.0, 3), np.ones(3), np.ones(3), np.nan, "never fell", "end")),
    "lr_finder_empty": lambda: charts_compare.lr_finder_chart(LRFindResult(
        np.zeros(0), np.zeros(0), np.zeros(0), np.nan, "diverged at once", "diverged")),
    **{f"landscape_{kind}_{style}{'_log' if log else ''}": (
        lambda kind=kind, style=style, log=log: charts_landscape.landscape_figure(
            make_landscape(kind), style=style, log_color=log))
       for kind in ("exact", "random") for style in ("contour", "surface")
       for log in (False, True)},
    **{f"demo_{style}": (lambda style=style: charts_landscape.demo_figure(
        *demo_runs(steps=10), style=style, resolution=12)) for style in ("contour", "surface")},
}


@pytest.mark.parametrize("build", BUILDERS.values(), ids=BUILDERS.keys())
def test_every_property_is_one_plotly_knows(build):
    fig = build()
    checked = go.Figure(fig.to_plotly_json())  # validates: an unknown property raises
    assert len(checked.data) == len(fig.data)


def test_an_unknown_property_would_be_caught():
    fig = base.figure([{"type": "scatter", "x": [1], "y": [1], "colour": "red"}], {})
    with pytest.raises(ValueError, match="colour"):
        go.Figure(fig.to_plotly_json())
