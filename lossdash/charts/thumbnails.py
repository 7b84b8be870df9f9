"""Small pictures of data sets for the data-set picker: an RGB array, no figure needed.

A thumbnail is a ``size x size`` image with every point drawn as a ``dot x dot`` square:
classes in the palette's colours; a 1-D regression set as its (x, y) points; a 2-D regression
set coloured by its target (blue low, orange high). Pure NumPy, so a dozen of them cost
nothing and need no browser-side chart.
"""

from __future__ import annotations

import numpy as np

from lossdash.charts import base

BACKGROUND = (247, 247, 247)


def rgb(hex_color):
    return np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


def _pixels(values, size, dot):
    """Values -> pixel index in [0, size - dot] over their range (a 5 % margin)."""
    lo, hi = float(values.min()), float(values.max())
    span = hi - lo if hi > lo else 1.0
    unit = (values - lo) / span * 0.9 + 0.05
    return np.clip((unit * (size - dot)).round().astype(int), 0, size - dot)


def _colors(dataset):
    """(n, 3) colour of each point."""
    y = np.asarray(dataset.y)
    if dataset.task == "classification":
        table = np.array([rgb(base.palette(k)) for k in range(int(y.max()) + 1)])
        return table[y.astype(int)]
    if dataset.n_features == 1:
        return np.tile(rgb("#333333"), (len(y), 1))
    t = (y - y.min()) / (np.ptp(y) or 1.0)
    low, high = rgb(base.OKABE_ITO[0]), rgb(base.OKABE_ITO[1])
    return low + t[:, None] * (high - low)


def thumbnail(dataset, size=96, dot=3):
    """The data set as a ``(size, size, 3)`` uint8 image (y axis up)."""
    X = np.asarray(dataset.X, dtype=float)
    second = X[:, 1] if X.shape[1] > 1 else np.asarray(dataset.y, dtype=float)
    cols = _pixels(X[:, 0], size, dot)
    rows = size - dot - _pixels(second, size, dot)  # image rows grow downwards
    image = np.empty((size, size, 3))
    image[:] = BACKGROUND
    colors = _colors(dataset)
    for dy in range(dot):  # a few shifted writes draw each point as a square, no per-point loop
        for dx in range(dot):
            image[rows + dy, cols + dx] = colors
    return image.astype(np.uint8)
