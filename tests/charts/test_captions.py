"""Plain words: chart captions and what a parameter joins."""

import pandas as pd
import pytest

from lossdash.charts import base, captions, training


@pytest.mark.parametrize(("name", "words"), [
    ("W1[0,2]", "weight from input 1 to neuron 3 of layer 1"),
    ("W2[1,0]", "weight from neuron 2 of layer 1 to neuron 1 of layer 2"),
    ("b1[3]", "bias of neuron 4 of layer 1"),
    ("nonsense", "nonsense"),
])
def test_describe_param_names_the_units_it_joins(name, words):
    assert captions.describe_param(name) == words


def test_describe_param_uses_input_names_and_the_output():
    assert (captions.describe_param("W2[0,0]", ["x1", "x2"], n_layers=2)
            == "weight from neuron 1 of layer 1 to output 1")
    assert captions.describe_param("W1[1,0]", ["x1", "x1²"]) == (
        "weight from input x1² to neuron 1 of layer 1")


def test_a_known_chart_has_its_caption_and_an_unknown_one_none():
    assert "answer flips" in captions.caption(
        "Decision boundary (other features held at their mean)")
    assert captions.caption("Something else") == ""


def test_the_caption_stays_out_of_the_figure_where_it_ran_into_the_legend():
    assert "subtitle" not in base.plot_layout("Decision boundary", "", "")["title"]


def test_a_live_chart_carries_its_caption_under_it():
    from lossdash.ui import live

    chart = live.Chart("x", training.loss_curve(pd.DataFrame()))
    assert "should fall" in live.frame([chart])["charts"][0]["caption"]


def test_parameter_lines_say_what_they_join_on_hover():
    history = pd.DataFrame({"step": [1, 2], "W1[0,0]": [0.1, 0.2]})
    fig = training.param_trajectories(history, ["W1[0,0]"])
    assert "weight from input 1 to neuron 1 of layer 1" in fig.data[0].hovertemplate


def test_the_landscapes_do_not_take_the_loss_curves_line():
    assert captions.caption("Loss").startswith("How wrong the model is")
    assert captions.caption("Loss along two random directions around the current weights") == ""
    assert captions.caption("Loss landscape: the exact objective at every (w, b)") == ""
