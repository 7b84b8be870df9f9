"""Tests for lossdash/charts.py: each figure checked by its traces and axes, without Streamlit."""

import io
from types import SimpleNamespace

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from lossdash.charts import training as charts

# ---------------------------------------------------------------------------------------------
# fakes: a trainer history and data sets with the attribute names of lossdash.data.Dataset


def make_history(n=200, eval_every=10, val=True, params=("W1[0,0]", "b1[0]")) -> pd.DataFrame:
    """A history shaped like Trainer.history: loss decays, eval every ``eval_every`` steps."""
    step = np.arange(1, n + 1)
    loss = 1.0 / step + 0.01 * np.sin(step)
    h = pd.DataFrame({"step": step, "epoch": step / 10.0, "loss": loss})
    h["eval"] = step % eval_every == 0
    h["train_loss"] = h["loss"].where(h["eval"]).ffill()
    if val:
        h["val_loss"] = 1.1 * h["train_loss"]
    h["train_metric"] = (1 - h["train_loss"]).where(h["eval"]).ffill()
    if val:
        h["val_metric"] = h["train_metric"] - 0.05
    h["grad_norm"] = 2.0 * loss
    h["update_norm"] = 0.1 * loss
    h["lr"] = 0.1 * 0.99**step
    for i, name in enumerate(params):
        h[name] = np.cos(step / (10.0 + i))
    return h


def make_data(n=50, d=2, task="regression", k=2, seed=0, names=None):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = rng.integers(0, k, n) if task == "classification" else X @ np.arange(1.0, d + 1)
    classes = [f"c{i}" for i in range(k)] if task == "classification" else None
    return SimpleNamespace(
        X=X,
        y=y,
        task=task,
        feature_names=names or [f"f{j}" for j in range(d)],
        target_name="price",
        classes=classes,
    )


def arrays(fig: go.Figure):
    """Every numeric x, y and z array of every trace, as float arrays (None -> NaN)."""
    for trace in fig.data:
        for key in ("x", "y", "z"):
            values = getattr(trace, key, None)
            if values is not None:
                yield (
                    trace.name,
                    key,
                    np.asarray(
                        pd.DataFrame(np.atleast_2d(np.asarray(values, dtype=object))).astype(float)
                    ),
                )


def names(fig: go.Figure) -> list[str]:
    return [trace.name for trace in fig.data]


def trace(fig: go.Figure, name: str):
    (found,) = [t for t in fig.data if t.name == name]
    return found


# ---------------------------------------------------------------------------------------------
# decimate


def test_smooth_matches_hand_computed_debiased_ema():
    # w = 0.6: m1 = 0.4, s1 = 0.4/0.4 = 1; m2 = 0.24 + 1.2 = 1.44, s2 = 1.44/0.64 = 2.25;
    # m3 = 0.864 + 2.0 = 2.864, s3 = 2.864/0.784
    np.testing.assert_allclose(charts.smooth([1.0, 3.0, 5.0], 0.6), [1.0, 2.25, 2.864 / 0.784])


def test_smooth_with_zero_weight_returns_the_values():
    values = np.array([3.0, -1.0, 7.5])
    np.testing.assert_array_equal(charts.smooth(values, 0.0), values)


def test_smooth_skips_non_finite_values_and_returns_nan_there():
    out = charts.smooth([1.0, np.nan, 3.0, np.inf], 0.6)
    np.testing.assert_allclose(out, [1.0, np.nan, 2.25, np.nan])


@pytest.mark.parametrize("weight", [1.0, -0.1])
def test_smooth_rejects_a_weight_outside_zero_to_one(weight):
    with pytest.raises(ValueError, match="smoothing"):
        charts.smooth([1.0, 2.0], weight)


# ---------------------------------------------------------------------------------------------
# loss_curve


def test_loss_curve_draws_batch_train_and_val_loss():
    assert names(charts.loss_curve(make_history())) == ["batch loss", "train loss", "val loss"]


def test_loss_curve_has_no_val_trace_without_a_val_column():
    assert names(charts.loss_curve(make_history(val=False))) == ["batch loss", "train loss"]


def test_loss_curve_has_no_val_trace_when_val_loss_is_all_nan():
    h = make_history()
    h["val_loss"] = np.nan
    assert "val loss" not in names(charts.loss_curve(h))


def test_loss_curve_smoothed_trace_is_the_ema_of_the_batch_loss():
    h = make_history()
    fig = charts.loss_curve(h, smoothing=0.8)
    np.testing.assert_allclose(trace(fig, "batch loss (smoothed)").y, charts.smooth(h["loss"], 0.8))
    assert trace(fig, "batch loss").opacity < 1


def test_loss_curve_train_and_val_points_are_at_eval_rows():
    h = make_history(eval_every=25)
    fig = charts.loss_curve(h)
    np.testing.assert_array_equal(trace(fig, "val loss").x, [25, 50, 75, 100, 125, 150, 175, 200])
    np.testing.assert_allclose(trace(fig, "val loss").y, h.loc[h["eval"], "val_loss"])


@pytest.mark.parametrize("log_y, axis_type", [(True, "log"), (False, "linear")])
def test_loss_curve_log_toggle_sets_the_axis_type_and_title(log_y, axis_type):
    fig = charts.loss_curve(make_history(), log_y=log_y)
    assert fig.layout.yaxis.type == axis_type
    assert ("log scale" in fig.layout.yaxis.title.text) == log_y


def test_loss_curve_on_a_log_axis_drops_non_positive_losses():
    h = make_history(20)
    h.loc[3, "loss"] = 0.0
    h.loc[4, "loss"] = -1.0
    x = trace(charts.loss_curve(h, log_y=True), "batch loss").x
    assert 4 not in x and 5 not in x and len(x) == 18


def test_loss_curve_in_epochs_uses_the_epoch_column():
    h = make_history()
    fig = charts.loss_curve(h, x="epoch")
    np.testing.assert_array_equal(trace(fig, "batch loss").x, h["epoch"])
    assert fig.layout.xaxis.title.text == "epoch"


def test_loss_curve_rejects_an_unknown_x_axis():
    with pytest.raises(ValueError, match="'step' or 'epoch'"):
        charts.loss_curve(make_history(), x="time")


def test_loss_curve_keeps_zoom_across_redraws_with_uirevision():
    a, b = charts.loss_curve(make_history(50)), charts.loss_curve(make_history(60))
    assert a.layout.uirevision is not None and a.layout.uirevision == b.layout.uirevision


def test_loss_curve_of_an_empty_history_is_labelled_and_has_no_traces():
    fig = charts.loss_curve(make_history().iloc[:0])
    assert len(fig.data) == 0
    assert fig.layout.xaxis.title.text == "step" and fig.layout.yaxis.title.text == "loss"
    assert "no steps" in fig.layout.annotations[0].text


# ---------------------------------------------------------------------------------------------
# metric_curve, param_trajectories, gradient_chart


def test_metric_curve_draws_train_and_val_metric_at_eval_rows():
    h = make_history(eval_every=50)
    fig = charts.metric_curve(h, label="accuracy")
    assert names(fig) == ["train accuracy", "val accuracy"]
    np.testing.assert_array_equal(trace(fig, "val accuracy").x, [50, 100, 150, 200])


def test_param_columns_finds_the_parameter_columns():
    h = make_history(params=("W1[0,0]", "W1[1,0]", "b1[0]"))
    assert charts.param_columns(h) == ["W1[0,0]", "W1[1,0]", "b1[0]"]


def test_param_trajectories_draws_one_line_per_parameter():
    h = make_history()
    fig = charts.param_trajectories(h, ["W1[0,0]", "b1[0]", "missing[0]"])
    assert names(fig) == ["W1[0,0]", "b1[0]"]
    np.testing.assert_allclose(trace(fig, "b1[0]").y, h["b1[0]"])
    assert fig.layout.title.text == "Parameters"


def test_param_trajectories_caps_the_lines_and_says_so():
    params = [f"W1[{i},0]" for i in range(30)]
    fig = charts.param_trajectories(make_history(params=params), params)
    assert len(fig.data) == charts.MAX_LINES == 20
    assert "first 20 of 30" in fig.layout.title.text


def test_gradient_chart_draws_norms_and_lr_on_a_secondary_axis():
    fig = charts.gradient_chart(make_history())
    assert names(fig) == ["gradient norm", "update size", "learning rate"]
    assert trace(fig, "learning rate").yaxis == "y2"
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis2.overlaying == "y"


def test_gradient_chart_linear_when_asked():
    assert charts.gradient_chart(make_history(), log_y=False).layout.yaxis.type == "linear"


def test_gradient_chart_keeps_a_gradient_spike_after_decimation():
    h = make_history(50_000)
    h.loc[31_337, "grad_norm"] = 1e9
    assert max(trace(charts.gradient_chart(h), "gradient norm").y) == 1e9


# ---------------------------------------------------------------------------------------------
# weight_distributions

LAYOUT = [("W1", slice(0, 6), (2, 3)), ("b1", slice(6, 9), (3,)), ("W2", slice(9, 12), (3, 1))]


def test_weight_distributions_has_one_heatmap_per_weight_matrix():
    rng = np.random.default_rng(0)
    fig = charts.weight_distributions(np.arange(5), rng.normal(size=(5, 12)), LAYOUT, bins=8)
    assert names(fig) == ["W1", "W2"]
    assert all(isinstance(t, go.Heatmap) for t in fig.data)
    assert fig.data[0].z.shape == (8, 5)
    np.testing.assert_array_equal(fig.data[0].z.sum(axis=0), [6] * 5)  # every W1 weight counted


def test_weight_distributions_counts_match_a_hand_histogram():
    theta = np.zeros((2, 12))
    theta[0, :6] = [0, 0, 0, 0, 0, 1]  # range [0, 1], 2 bins: centres 0.25, 0.75
    theta[1, :6] = [0, 1, 1, 1, 1, 1]
    fig = charts.weight_distributions([10, 20], theta, LAYOUT, bins=2)
    np.testing.assert_allclose(fig.data[0].y, [0.25, 0.75])
    np.testing.assert_array_equal(fig.data[0].z, [[5, 1], [1, 5]])
    np.testing.assert_array_equal(fig.data[0].x, [10, 20])


def test_weight_distributions_stacks_the_layers_on_one_shared_step_axis():
    fig = charts.weight_distributions(np.arange(5), np.ones((5, 12)), LAYOUT)
    assert [(t.xaxis, t.yaxis) for t in fig.data] == [("x", "y"), ("x2", "y2")]
    assert fig.layout.xaxis.matches == "x2" and fig.layout.xaxis.showticklabels is False
    assert fig.layout.xaxis2.title.text == "step"
    assert fig.layout.yaxis.domain[0] > fig.layout.yaxis2.domain[1]  # first layer on top
    assert [a.text for a in fig.layout.annotations] == ["W1 (2, 3)", "W2 (3, 1)"]


def test_weight_distributions_falls_back_to_every_entry_without_matrices():
    layout = [("w", slice(0, 3), (3,)), ("b", slice(3, 4), (1,))]
    fig = charts.weight_distributions([1, 2], np.ones((2, 4)), layout)
    assert names(fig) == ["w", "b"]


def test_weight_distributions_without_snapshots_is_labelled():
    fig = charts.weight_distributions([], np.empty((0, 12)), LAYOUT)
    assert len(fig.data) == 0 and "no snapshots" in fig.layout.annotations[0].text


def test_weight_distributions_caps_the_layers_and_says_so():
    layout = [(f"W{i}", slice(i, i + 1), (1, 1)) for i in range(8)]
    fig = charts.weight_distributions([1, 2], np.ones((2, 8)), layout)
    assert len(fig.data) == charts.MAX_LAYERS == 6
    assert "first 6 of 8 layers" in fig.layout.title.text


# ---------------------------------------------------------------------------------------------
# data_scatter


def test_data_scatter_one_feature_regression_plots_x_against_y():
    train, val = make_data(d=1), make_data(n=20, d=1, seed=1)
    fig = charts.data_scatter(train, val)
    assert names(fig) == ["train", "val"]
    np.testing.assert_allclose(fig.data[0].x, train.X[:, 0])
    np.testing.assert_allclose(fig.data[0].y, train.y)
    assert fig.data[0].marker.symbol != fig.data[1].marker.symbol
    assert fig.layout.yaxis.title.text == "price"


def test_data_scatter_multi_feature_regression_colours_by_target():
    train = make_data(d=3)
    fig = charts.data_scatter(train)
    np.testing.assert_allclose(fig.data[0].y, train.X[:, 1])
    np.testing.assert_allclose(fig.data[0].marker.color, train.y)
    assert fig.layout.xaxis.title.text == "f0" and fig.layout.yaxis.title.text == "f1"


def test_data_scatter_classification_has_one_trace_per_class_and_set():
    train = make_data(task="classification", k=3)
    val = make_data(n=30, task="classification", k=3, seed=1)
    fig = charts.data_scatter(train, val)
    assert names(fig) == [
        "c0 (train)",
        "c1 (train)",
        "c2 (train)",
        "c0 (val)",
        "c1 (val)",
        "c2 (val)",
    ]
    assert len({t.marker.color for t in fig.data[:3]}) == 3
    assert {t.marker.symbol for t in fig.data[3:]} == {charts.VAL_MARKER}
    assert sum(len(t.x) for t in fig.data[:3]) == 50


def test_data_scatter_thins_a_large_data_set_and_says_so():
    fig = charts.data_scatter(make_data(n=20_000))
    assert len(fig.data[0].x) == charts.MAX_SCATTER
    assert "2,500 of 20,000 points shown" in fig.layout.title.text


# ---------------------------------------------------------------------------------------------
# regression_fit


def test_regression_fit_line_equals_predict_at_its_x():
    train, val = make_data(d=1), make_data(n=20, d=1, seed=1)
    fig = charts.regression_fit(train, val, lambda X: 3.0 * X[:, 0] - 1.0)
    line = trace(fig, "model")
    np.testing.assert_allclose(line.y, 3.0 * np.asarray(line.x) - 1.0)
    all_x = np.concatenate([train.X[:, 0], val.X[:, 0]])
    assert line.x[0] == all_x.min() and line.x[-1] == all_x.max()


def test_regression_fit_multi_feature_plots_predicted_against_actual_with_diagonal():
    train = make_data(d=3)
    fig = charts.regression_fit(train, None, lambda X: X.sum(axis=1))
    np.testing.assert_allclose(trace(fig, "train").x, train.y)
    np.testing.assert_allclose(trace(fig, "train").y, train.X.sum(axis=1))
    diagonal = trace(fig, "y = x")
    np.testing.assert_array_equal(diagonal.x, diagonal.y)


# ---------------------------------------------------------------------------------------------
# decision_boundary


def sigmoid_proba(G):
    return 1.0 / (1.0 + np.exp(-(G[:, 0] - 2.0 * G[:, 1])))


@pytest.mark.parametrize("n, kind", [(50, "scatter"), (charts.WEBGL_POINTS, "scatter"),
                                     (charts.WEBGL_POINTS + 1, "scattergl")])
def test_a_live_boundary_draws_its_points_with_webgl_only_when_there_are_many(n, kind):
    """WebGL pays for a context on every mount (~85 ms of the page's core here, per view
    switch) and a few hundred points draw as fast in SVG; thousands do not."""
    train = make_data(n=n, task="classification")
    fig = charts.decision_boundary(train, None, sigmoid_proba, resolution=10, webgl=True)
    assert {t.type for t in fig.data if t.type.startswith("scatter")} == {kind}
    still = charts.decision_boundary(train, None, sigmoid_proba, resolution=10)
    assert {t.type for t in still.data if t.type.startswith("scatter")} == {"scatter"}


def test_decision_boundary_heatmap_is_proba_on_the_grid():
    train = make_data(task="classification")
    fig = charts.decision_boundary(train, None, sigmoid_proba, resolution=30)
    heat = trace(fig, "P(class 1)")
    gx, gy, z = np.asarray(heat.x), np.asarray(heat.y), np.asarray(heat.z, dtype=float)
    assert z.shape == (30, 30)
    expected = 1.0 / (1.0 + np.exp(-(gx[None, :] - 2.0 * gy[:, None])))
    np.testing.assert_allclose(z, expected, rtol=1e-6)  # z is stored as float32


def test_decision_boundary_grid_is_padded_around_the_data():
    train, val = make_data(task="classification"), make_data(task="classification", seed=3)
    heat = trace(charts.decision_boundary(train, val, sigmoid_proba), "P(class 1)")
    X = np.concatenate([train.X, val.X])
    assert heat.x[0] < X[:, 0].min() and heat.x[-1] > X[:, 0].max()
    assert heat.y[0] < X[:, 1].min() and heat.y[-1] > X[:, 1].max()


def test_decision_boundary_uses_the_given_feature_ranges():
    train = make_data(task="classification")
    fig = charts.decision_boundary(
        train, None, sigmoid_proba, resolution=5, feature_ranges=((0, 4), (-1, 1))
    )
    np.testing.assert_allclose(fig.data[0].x, [0, 1, 2, 3, 4])
    np.testing.assert_allclose(fig.data[0].y, [-1, -0.5, 0, 0.5, 1])


def test_decision_boundary_holds_extra_features_at_their_mean_and_says_so():
    train = make_data(d=4, task="classification")
    seen = []
    fig = charts.decision_boundary(train, None, lambda G: seen.append(G) or sigmoid_proba(G))
    np.testing.assert_allclose(seen[0][:, 2:], np.tile(train.X[:, 2:].mean(axis=0), (6400, 1)))
    assert "held at their mean" in fig.layout.title.text


def test_decision_boundary_multiclass_shows_the_argmax_class():
    train = make_data(task="classification", k=3)

    def proba(G):  # class 0 left, 2 right, 1 in the middle
        return np.stack([-G[:, 0], 1.0 - np.abs(G[:, 0]), G[:, 0]], axis=1)

    fig = charts.decision_boundary(train, None, proba, resolution=20)
    heat = trace(fig, "predicted class")
    gx = np.asarray(heat.x)
    expected = np.argmax(np.stack([-gx, 1 - np.abs(gx), gx]), axis=0)
    np.testing.assert_array_equal(np.asarray(heat.z, dtype=float), np.tile(expected, (20, 1)))


def test_decision_boundary_draws_train_and_val_points_with_different_markers():
    train, val = make_data(task="classification"), make_data(task="classification", seed=2)
    fig = charts.decision_boundary(train, val, sigmoid_proba)
    symbols = {t.name: t.marker.symbol for t in fig.data if isinstance(t, go.Scatter)}
    assert symbols == {
        "c0 (train)": "circle",
        "c1 (train)": "circle",
        "c0 (val)": "x",
        "c1 (val)": "x",
    }


def test_decision_boundary_with_one_feature_explains_instead_of_plotting():
    fig = charts.decision_boundary(make_data(d=1, task="classification"), None, sigmoid_proba)
    note = fig.layout.annotations[0].text.replace("<br>", " ")  # a long note is on two lines
    assert len(fig.data) == 0 and "at least 2 features" in note


# ---------------------------------------------------------------------------------------------
# history_csv


def test_history_csv_round_trips_the_history():
    h = make_history(30)
    back = pd.read_csv(io.BytesIO(charts.history_csv(h)))
    assert list(back.columns) == list(h.columns)
    np.testing.assert_allclose(back["loss"], h["loss"])


def test_history_csv_of_a_thinned_history_says_how_many_steps_each_row_skips():
    h = make_history(30).iloc[[0, 4, 8, 9, 10]]  # steps 1, 5, 9, 10, 11
    back = pd.read_csv(io.BytesIO(charts.history_csv(h)))
    assert back[charts.THINNED_COLUMN].tolist() == [0, 3, 3, 0, 0]
    assert list(back.columns) == [*h.columns, charts.THINNED_COLUMN]


# ---------------------------------------------------------------------------------------------
# properties shared by every chart

HISTORY_CHARTS = {
    "loss_curve": lambda h: charts.loss_curve(h, smoothing=0.6),
    "loss_curve_log_epoch": lambda h: charts.loss_curve(h, log_y=True, x="epoch"),
    "metric_curve": charts.metric_curve,
    "param_trajectories": lambda h: charts.param_trajectories(h, charts.param_columns(h)),
    "gradient_chart": charts.gradient_chart,
}


def poisoned_history() -> pd.DataFrame:
    """A history with NaN, inf and -inf sprinkled through every float column."""
    h = make_history(300)
    for j, column in enumerate(c for c in h.columns if h[c].dtype == float):
        h.loc[(np.arange(300) + j) % 7 == 0, column] = np.nan
        h.loc[(np.arange(300) + j) % 11 == 0, column] = np.inf
        h.loc[(np.arange(300) + j) % 13 == 0, column] = -np.inf
    return h


@pytest.mark.parametrize("build", HISTORY_CHARTS.values(), ids=HISTORY_CHARTS.keys())
def test_non_finite_history_values_never_reach_a_trace(build):
    fig = build(poisoned_history())
    assert fig.data
    for name, key, values in arrays(fig):
        assert np.isfinite(values).all(), f"{name}.{key}"


def poisoned(data):
    data.X[3, 0], data.X[5, -1] = np.nan, np.inf
    if data.task == "regression":
        data.y = data.y.astype(float)
        data.y[7] = -np.inf
    return data


DATA_CHARTS = {
    "data_scatter_regression": lambda: charts.data_scatter(poisoned(make_data(d=1))),
    "data_scatter_colour": lambda: charts.data_scatter(poisoned(make_data(d=3))),
    "data_scatter_classes": lambda: charts.data_scatter(poisoned(make_data(task="classification"))),
    "regression_fit_line": lambda: charts.regression_fit(
        poisoned(make_data(d=1)), None, lambda X: np.where(X[:, 0] > 0, np.inf, X[:, 0])
    ),
    "regression_fit_diagonal": lambda: charts.regression_fit(
        poisoned(make_data(d=2)), None, lambda X: np.where(X[:, 0] > 0, np.nan, X[:, 0])
    ),
}


@pytest.mark.parametrize("build", DATA_CHARTS.values(), ids=DATA_CHARTS.keys())
def test_non_finite_data_values_never_reach_a_trace(build):
    for name, key, values in arrays(build()):
        assert np.isfinite(values).all(), f"{name}.{key}"


def test_non_finite_probabilities_become_gaps_in_the_decision_boundary():
    fig = charts.decision_boundary(
        poisoned(make_data(task="classification")),
        None,
        lambda G: np.where(G[:, 0] > 0, np.nan, 0.3),
        resolution=10,
    )
    z = np.asarray(trace(fig, "P(class 1)").z, dtype=object)
    assert all(v is None or np.isfinite(v) for v in z.ravel())
    assert any(v is None for v in z.ravel())
    for name, key, values in arrays(fig):
        if key != "z":
            assert np.isfinite(values).all(), f"{name}.{key}"


@pytest.mark.parametrize("build", HISTORY_CHARTS.values(), ids=HISTORY_CHARTS.keys())
def test_history_chart_stays_small_after_100_000_steps(build):
    fig = build(make_history(100_000, eval_every=1))
    assert len(fig.to_json()) < 300_000


def test_weight_distributions_stay_small_for_many_snapshots():
    rng = np.random.default_rng(0)
    fig = charts.weight_distributions(np.arange(5000), rng.normal(size=(5000, 12)), LAYOUT)
    assert len(fig.to_json()) < 300_000


@pytest.mark.parametrize("build", HISTORY_CHARTS.values(), ids=HISTORY_CHARTS.keys())
def test_history_chart_puts_its_legend_above_the_plot(build):
    legend = build(make_history()).layout.legend
    assert legend.orientation == "h" and legend.y >= 1 and legend.yanchor == "bottom"


DATA_SET_CHARTS = {
    "data_scatter": lambda tr, va: charts.data_scatter(tr, va),
    "regression_fit": lambda tr, va: charts.regression_fit(tr, va, lambda X: X.sum(axis=1)),
    "decision_boundary": lambda tr, va: charts.decision_boundary(tr, va, sigmoid_proba),
}


@pytest.mark.parametrize("build", DATA_SET_CHARTS.values(), ids=DATA_SET_CHARTS.keys())
def test_data_set_chart_stays_small_for_200_000_rows(build):
    task = "classification" if build is DATA_SET_CHARTS["decision_boundary"] else "regression"
    train, val = make_data(200_000, d=3, task=task), make_data(50_000, d=3, task=task, seed=1)
    assert len(build(train, val).to_json()) < 300_000


# ---------------------------------------------------------------------------------------------
# user text in titles and legends

HOSTILE = '<a href="http://example.com">x2</a>'


def test_a_feature_name_with_html_is_an_escaped_axis_title():
    train = make_data(d=2, task="classification", names=["x1", HOSTILE])
    fig = charts.decision_boundary(train, None, lambda X: np.full(len(X), 0.5))
    assert fig.layout.yaxis.title.text == "&lt;a href=\"http://example.com\"&gt;x2&lt;/a&gt;"


def test_a_target_name_with_html_is_escaped_in_the_axis_title():
    train = make_data(d=1)
    train.target_name = "<b>y</b> & co"
    fig = charts.regression_fit(train, None, lambda X: X[:, 0])
    assert fig.layout.yaxis.title.text == "&lt;b&gt;y&lt;/b&gt; &amp; co"


def test_a_class_label_with_html_is_escaped_in_the_legend():
    train = make_data(task="classification")
    train.classes = ["<img src=x onerror=alert(1)>", "ok"]
    fig = charts.data_scatter(train)
    assert "&lt;img src=x onerror=alert(1)&gt; (train)" in names(fig)


# the x-axis choice reaches every step chart; a full batch is not smoothed


def test_gradient_chart_in_epochs_uses_the_epoch_column():
    h = make_history()
    fig = charts.gradient_chart(h, log_y=False, x="epoch")
    np.testing.assert_allclose(trace(fig, "gradient norm").x, h["epoch"])
    np.testing.assert_allclose(trace(fig, "learning rate").x, h["epoch"])
    assert fig.layout.xaxis.title.text == "epoch"


def test_param_trajectories_in_epochs_uses_the_epoch_column():
    h = make_history()
    fig = charts.param_trajectories(h, ["W1[0,0]"], x="epoch")
    np.testing.assert_allclose(trace(fig, "W1[0,0]").x, h["epoch"])
    assert fig.layout.xaxis.title.text == "epoch"


def test_weight_distributions_in_epochs_divide_steps_by_steps_per_epoch():
    fig = charts.weight_distributions([10, 20], np.ones((2, 12)), LAYOUT, x="epoch",
                                      steps_per_epoch=4)
    np.testing.assert_allclose(fig.data[0].x, [2.5, 5.0])
    assert fig.layout.xaxis2.title.text == "epoch"


@pytest.mark.parametrize("build", [charts.gradient_chart,
                                   lambda h, x: charts.param_trajectories(h, ["b1[0]"], x=x)])
def test_step_charts_reject_an_unknown_x_axis(build):
    with pytest.raises(ValueError, match="step"):
        build(make_history(), x="time")


def test_loss_curve_draws_no_smoothed_line_for_a_full_batch():
    h = make_history()
    h["epoch"] = h["step"].astype(float)  # one step per epoch: every row in every step
    fig = charts.loss_curve(h, smoothing=0.8)
    assert "batch loss (smoothed)" not in names(fig)
    assert trace(fig, "batch loss").opacity in (None, 1)
    assert charts.full_batch(h) and not charts.full_batch(make_history())


@pytest.mark.parametrize("build", [
    lambda h: charts.loss_curve(h, 0.6, True), lambda h: charts.loss_curve(h, 0.0, False, "epoch"),
    lambda h: charts.metric_curve(h), lambda h: charts.gradient_chart(h),
    lambda h: charts.param_trajectories(h, ["W1[0,0]", "b1[0]"])],
    ids=["loss-log", "loss-epoch", "metric", "gradient", "params"])
def test_history_charts_name_every_axis_type(build):
    """Live charts redraw many times a second: an axis without a type makes Plotly infer it
    from the data on every redraw. Every axis of a history chart says its type."""
    layout = build(make_history()).layout
    axes = [name for name in layout if name.startswith(("xaxis", "yaxis"))]
    assert {"xaxis", "yaxis"} <= set(axes)
    assert all(layout[name].type in ("linear", "log") for name in axes), axes
