"""The network view's data and figure: activations against a hand forward pass, the drawing."""

import numpy as np
import pytest

from lossdash import features, losses, models
from lossdash.charts import network

GX, GY = np.linspace(-1, 1, 5), np.linspace(-2, 2, 4)


def snap_of(hidden=(3,), n_inputs=2, inputs=None, loss="bce"):
    model = models.make("mlp", n_inputs, 1, hidden=hidden, seed=1)
    return model, network.network_snapshot(
        model, inputs or features.Inputs(), GX, GY, [f"x{i + 1}" for i in range(n_inputs)],
        losses.get(loss).proba, ["P(class 1)"])


def test_hidden_tiles_equal_a_hand_forward_pass():
    model, snap = snap_of()
    x = np.array([GX[2], GY[1]])  # row 1, column 2 of the grid
    a1 = np.tanh(x @ model.params["W1"] + model.params["b1"])
    np.testing.assert_allclose(snap.grids[1][:, 1, 2], a1, rtol=1e-6)


def test_output_tile_is_the_models_probability():
    model, snap = snap_of()
    G = np.column_stack([np.tile(GX, len(GY)), np.repeat(GY, len(GX))])
    p = losses.get("bce").proba(model.forward(G)).reshape(len(GY), len(GX))
    np.testing.assert_allclose(snap.grids[-1][0], p, rtol=1e-6)


def test_input_tiles_are_the_engineered_features():
    model = models.make("linear", 2, 1)
    inputs = features.Inputs(features=("x1_sq", "x1x2"))
    snap = network.network_snapshot(model, inputs, GX, GY, ["x1²", "x1·x2"])
    np.testing.assert_allclose(snap.grids[0][0, 3, :], GX**2, rtol=1e-6)
    np.testing.assert_allclose(snap.grids[0][1, 3, :], GX * GY[3], rtol=1e-6)


def test_weight_label_names_both_ends():
    _, snap = snap_of()
    assert network.weight_label(snap, 1, 0, 2) == "W1[0,2]: x1 → neuron 3 of hidden 1"
    assert network.weight_label(snap, 2, 1, 0) == "W2[1,0]: neuron 2 of hidden 1 → P(class 1)"


def test_figure_has_a_tile_per_unit_and_a_line_per_weight():
    _, snap = snap_of(hidden=(3,))
    fig = network.network_figure(snap)
    tiles = [t for t in fig.data if t.type == "heatmap"]
    assert len(tiles) == 2 + 3 + 1
    segments = sum(sum(v is None for v in t.x) for t in fig.data
                   if t.type == "scatter" and t.mode == "lines")
    assert segments == 2 * 3 + 3 * 1


def test_line_colour_follows_the_weight_sign():
    model, snap = snap_of(hidden=(1,))
    snap.weights[0][:] = [[2.0], [-2.0]]
    fig = network.network_figure(snap)
    lines = [t for t in fig.data if t.type == "scatter" and t.mode == "lines"]
    by_colour = {t.line.color: t.y[0] for t in lines if t.y[0] is not None and t.x[0] < 1}
    assert set(by_colour) == {network.POSITIVE, network.NEGATIVE}


def test_wider_lines_for_larger_weights():
    model, snap = snap_of(hidden=(1,))
    snap.weights[0][:] = [[0.1], [4.0]]
    fig = network.network_figure(snap)
    widths = {round(t.y[0], 3): t.line.width for t in fig.data
              if t.type == "scatter" and t.mode == "lines" and t.x[0] < 1}
    top, bottom = max(widths), min(widths)  # x1 is drawn above x2
    assert widths[bottom] > widths[top]


def test_a_wide_layer_draws_eight_neurons_and_counts_the_rest():
    _, snap = snap_of(hidden=(20,))
    fig = network.network_figure(snap)
    assert len([t for t in fig.data if t.type == "heatmap"]) == 2 + network.MAX_SHOWN + 1
    assert any(a.text == "+ 12 more" for a in fig.layout.annotations)


def test_neuron_hover_lists_bias_and_incoming_weights():
    _, snap = snap_of(hidden=(2,))
    text = network.neuron_text(snap, 1, 1)
    assert "neuron 2 of hidden 1" in text and "bias b1[1]" in text and "x2: w =" in text


@pytest.mark.parametrize("layer", [0, 1, 2])
def test_neuron_figure_shows_the_tile_large(layer):
    _, snap = snap_of(hidden=(2,))
    fig = network.neuron_figure(snap, layer, 0)
    assert fig.data[0].type == "heatmap" and len(fig.data[0].x) == len(GX)
    assert (len(fig.data) == 2) == (layer > 0)  # the incoming weights as bars


def test_softmax_outputs_get_one_tile_per_class():
    model = models.make("mlp", 2, 3, hidden=(2,))
    snap = network.network_snapshot(model, features.Inputs(), GX, GY, ["x1", "x2"],
                                    losses.get("cross_entropy").proba, ["P(0)", "P(1)", "P(2)"])
    assert snap.grids[-1].shape == (3, len(GY), len(GX))
    np.testing.assert_allclose(snap.grids[-1].sum(axis=0), 1.0, rtol=1e-5)
