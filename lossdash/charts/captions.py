"""Plain words for charts and parameter names, for someone who has not read a loss curve yet.

``caption(title)`` is the one line a chart with that title shows under it (the live panel,
``lossdash.ui.live``, draws it below the plot, clear of the legend).
``describe_param("W1[0,2]")`` says which units a parameter joins.
"""

from __future__ import annotations

import re

CAPTIONS = {  # title prefix -> one line under the title (the first prefix that fits wins)
    "Loss along": "",  # the landscapes: the panel explains them in its own words
    "Loss landscape": "",
    "Loss": "How wrong the model is as it trains: it should fall. Validation rising while "
            "training falls means overfitting.",
    "Decision boundary": "Colour: the model's answer at each point. Black line: where its "
                         "answer flips (P = 0.5).",
    "Model fit": "The black line is the model's prediction for every x; dots are the data.",
    "Predicted vs actual": "One dot per row: a perfect model puts every dot on the dashed line.",
    "Parameters": "Each weight and bias as training moves it; a flat line has settled. "
                  "Hover a line to see what it joins.",
    "Gradient and update size": "How steep the loss is where the weights are (gradient), and "
                                "how far each step moves them (update).",
    "Weight distributions": "How each layer's weights spread out as the model learns.",
}
PARAM = re.compile(r"^([Wb])(\d+)\[(\d+)(?:,(\d+))?\]$")


def caption(title):
    """The plain-words line for a chart titled ``title`` ("" when there is none)."""
    for prefix, text in CAPTIONS.items():
        if str(title).startswith(prefix):
            return text
    return ""


def describe_param(name, input_names=None, n_layers=None):
    """``"W1[0,2]"`` -> ``"weight from input x1 to neuron 3 of layer 1"``.

    Layers count from the input: ``W1`` joins the inputs to the first layer; with
    ``n_layers`` given, the last layer is called the output. Unknown names come back as they
    are.
    """
    match = PARAM.match(str(name))
    if not match:
        return str(name)
    kind, layer, i, j = match.group(1), int(match.group(2)), int(match.group(3)), match.group(4)
    if kind == "b":
        return f"bias of {_unit(layer, i, n_layers)}"
    if layer == 1:
        source = (f"input {input_names[i]}" if input_names is not None and i < len(input_names)
                  else f"input {i + 1}")
    else:
        source = _unit(layer - 1, i, n_layers)
    return f"weight from {source} to {_unit(layer, int(j), n_layers)}"


def _unit(layer, j, n_layers):
    if n_layers is not None and layer == n_layers:
        return f"output {j + 1}"
    return f"neuron {j + 1} of layer {layer}"
