"""The update-to-weight ratio of every layer: how much of itself a layer changes per step.

For the weight matrix ``W_l`` of layer ``l`` and the step's update ``dW_l = W_l' - W_l``,

.. math:: r_l = \\frac{\\lVert \\Delta W_l \\rVert_2}{\\lVert W_l \\rVert_2}

(Frobenius norms, ``W_l`` before the step). A rule of thumb (Karpathy, CS231n) puts a healthy
ratio near ``1e-3``: far below, the layer barely learns (rate too small); far above, each step
rewrites the layer (rate too large, or the weights are collapsing toward zero).
"""

from __future__ import annotations

import numpy as np

RULE_OF_THUMB = 1e-3
MAX_POINTS = 2000  # points kept per layer; every other one is dropped (and k doubled) when full
TINY = 1e-300  # a zero matrix (init=zeros) has ratio inf: shown as missing, not as a division


class UpdateRatios:
    """Records ``r_l`` every ``k`` steps (``k`` doubling when full); add it to
    ``trainer.observers``. ``steps`` (list) and ``ratios`` (layer name -> list) hold the points."""

    def __init__(self, max_points=MAX_POINTS):
        self.max_points = int(max_points)
        self.clear()

    def clear(self):
        self.steps, self.ratios, self.stride = [], {}, 1

    def __call__(self, trainer):
        step = trainer.step_count
        if self.steps and step <= self.steps[-1]:
            self.clear()  # the trainer was reset: start over
        if step % self.stride:
            return
        delta, theta = trainer.last_update, trainer.model.theta
        self.steps.append(step)
        for name, s, _ in trainer.model.layout:
            if name.startswith("W"):
                before = float(np.linalg.norm(theta[s] - delta[s]))
                ratio = float(np.linalg.norm(delta[s])) / before if before > TINY else np.nan
                self.ratios.setdefault(name, []).append(ratio)
        if len(self.steps) >= self.max_points:
            self.steps = self.steps[::2]
            self.ratios = {k: v[::2] for k, v in self.ratios.items()}
            self.stride *= 2
