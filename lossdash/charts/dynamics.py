"""How training moves the weights: sharpness against the stability threshold, and each layer's
update-to-weight ratio. Plain arrays in, ``go.Figure`` out (no Streamlit).

- :func:`sharpness_chart`: ``lambda_max`` over the run with the threshold ``c / lr`` (``c = 2``
  for plain GD): where the two meet, GD sits at the edge of stability (Cohen et al. 2021).
- :func:`update_ratio_chart`: ``||dW_l|| / ||W_l||`` per layer (log y), the ``1e-3`` rule of
  thumb as a dashed line.
- :func:`mark_epoch`: a vertical marker (the best epoch on a loss chart).
"""

from __future__ import annotations

import numpy as np

from lossdash.charts import base

SHARPNESS_COLOR = "#CC79A7"  # reddish purple: apart from the loss and gradient colours
THRESHOLD_COLOR = "#D55E00"  # vermillion: the line not to cross
RULE_COLOR = "#666666"
BEST_COLOR = "#009E73"


def sharpness_chart(steps, values, lr_steps=None, lrs=None, factor=2.0):
    """Sharpness ``lambda_max`` against step, with the stability threshold ``factor / lr``.

    Parameters
    ----------
    steps, values : array-like
        Where sharpness was measured and its values.
    lr_steps, lrs : array-like or None
        The learning rate per step (the history's ``step`` and ``lr``).
    factor : float or None
        ``2`` for plain GD, ``2 (1 + beta)`` with heavy-ball momentum; None (adaptive
        optimizers): no threshold line.
    """
    layout = base.plot_layout("Sharpness λmax and the stability threshold", "step",
                              "λmax (log scale)", xaxis=dict(base.NUMBERS),
                              yaxis={"type": "log"},
                              uirevision="sharpness")
    steps, values = np.asarray(steps, float), np.asarray(values, float)
    if values.size == 0:
        return base.empty(layout, "measured while training: press Play or Step")
    data = [base.line(steps, values, "sharpness λmax", SHARPNESS_COLOR, positive=True,
                      mode="lines+markers", marker={"size": 4})]
    if factor is not None and lrs is not None and len(lrs):
        lr_steps, lrs = np.asarray(lr_steps, float), np.asarray(lrs, float)
        rows = base.decimated_rows(len(lrs), [lrs], at=lr_steps)
        data.append(base.line(lr_steps[rows], factor / lrs[rows], f"{factor:g} / lr: above it, "
                              "GD diverges", THRESHOLD_COLOR, positive=True,
                              line={"dash": "dash"}))
    return base.figure(data, layout)


def update_ratio_chart(steps, ratios, rule=1e-3):
    """Per-layer ``||dW|| / ||W||`` against step (log y), the rule of thumb ``rule`` marked.

    Parameters
    ----------
    steps : array-like
    ratios : dict of layer name -> array-like, one value per step in ``steps``
    """
    layout = base.plot_layout("Update / weight ratio per layer", "step",
                              "‖ΔW‖ / ‖W‖ (log scale)", xaxis=dict(base.NUMBERS),
                              yaxis={"type": "log"},
                              uirevision="update-ratio")
    steps = np.asarray(steps, float)
    if steps.size == 0 or not ratios:
        return base.empty(layout, "no steps yet: press Play or Step")
    rows = base.decimated_rows(len(steps), [np.asarray(r, float) for r in ratios.values()],
                                at=steps)
    data = [base.line(steps[rows], np.asarray(r, float)[rows], name, base.palette(i),
                      positive=True) for i, (name, r) in enumerate(ratios.items())]
    data.append(base.line([steps[0], steps[-1]], [rule, rule], f"{rule:g}: rule of thumb",
                          RULE_COLOR, line={"dash": "dot", "width": 1}))
    return base.figure(data, layout)


def mark_epoch(fig, x, text):
    """Add a vertical dashed marker at ``x`` with ``text`` on top; returns ``fig``.

    The shape and annotation ``add_vline(..., annotation_position="top left")`` makes,
    written out: ``add_vline`` took ~11 ms (it inspects every subplot), and the loss chart
    carrying this marker is rebuilt on every live frame."""
    line = {"type": "line", "xref": "x", "yref": "y domain", "x0": x, "x1": x, "y0": 0, "y1": 1,
            "line": {"color": BEST_COLOR, "dash": "dash"}}
    note = {"text": text, "showarrow": False, "xref": "x", "yref": "y domain", "x": x, "y": 1,
            "xanchor": "right", "yanchor": "top"}
    fig.update_layout(shapes=[*fig.layout.shapes, line],
                      annotations=[*fig.layout.annotations, note])
    return fig
