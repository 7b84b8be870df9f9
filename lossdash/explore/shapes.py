"""What each loss does to one sample, and what that means for a fit: the loss-shape explorer.

Two pictures:

1. **Shapes.** Every regression loss as a function of the residual ``r = y_hat - y`` (computed
   as ``loss.pointwise(0, r)``), every classification loss as a function of the margin ``m``, the
   score the model gives the true class (binary losses: label 1 and logit ``m``; cross-entropy:
   two logits ``[0, m]`` and label 1, so ``m`` is how far the true class leads). Values and
   gradients come from the loss registry itself, so a new loss appears here with no other edit.

2. **Outliers.** The ``seed_linear`` data (``y = 3x + U(0, 1)``, best line ``w = 3, b = 0.5``)
   with ``k`` points moved far below the line at the right end, fitted by a linear model with
   ``mse``, ``mae`` and ``huber``. Squared error pays ``r^2`` for an outlier, so the line tilts
   to reach it; absolute error pays ``|r|`` (a bounded pull, ``|dl/dr| = 1``), so the MAE and
   Huber lines stay with the bulk of the data.

NumPy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lossdash import data as datasets
from lossdash import losses, models, optimizers, schedules
from lossdash.engine import Trainer

SPAN = 3.0  # residuals / margins from -3 to 3: past every loss's bend (huber's delta is 1)
POINTS = 601  # an odd count puts 0 on the grid, where mae and hinge have their kinks
ROBUST_LOSSES = ("mse", "mae", "huber")
OUTLIER_DROP = 12.0  # outliers sit this far below the line y = 3x + 0.5, in units of y
FIT_EPOCHS = 3000  # full-batch steps for mae and huber: converged to ~1e-4 from the mse line
FIT_LR = 0.05


# ==============================================================================================
# loss shapes
# ==============================================================================================


@dataclass
class Shapes:
    """Per-sample loss curves of one task.

    Attributes
    ----------
    task : "regression" or "classification"
    x : ndarray (k,)
        Residuals ``r = y_hat - y`` (regression) or margins ``m`` (classification).
    x_label : str
    values, grads : dict of name -> ndarray (k,)
        ``l(x)`` and ``dl/dx`` for every loss of the task, in registry order.
    latex : dict of name -> str
        Each loss's formula.
    """

    task: str
    x: np.ndarray
    x_label: str
    values: dict
    grads: dict
    latex: dict


def shape_of(loss, x):
    """``(l(x), dl/dx)`` of one loss at residuals (regression) or margins (classification).

    Parameters
    ----------
    loss : lossdash.losses.Loss
    x : array (k,)
        Regression: ``r = y_hat - y``, evaluated as ``pointwise(0, r)``. Binary losses: the
        logit ``m`` of a sample of class 1. Cross-entropy: logits ``[0, m]``, label 1, and
        the derivative with respect to ``m``.

    Returns
    -------
    values, grads : ndarray (k,)
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    ones = np.ones(len(x), dtype=np.intp)
    if loss.task == "regression":
        zeros = np.zeros_like(x)
        return loss.pointwise(zeros, x), loss.pointwise_grad(zeros, x)
    if loss.n_outputs(2) == 1:  # one logit per sample, label 1
        return loss.pointwise(ones, x), loss.pointwise_grad(ones, x)
    logits = np.column_stack([np.zeros_like(x), x])  # (k, 2): class 0 scores 0, class 1 m
    return loss.pointwise(ones, logits), loss.pointwise_grad(ones, logits)[:, 1]


def loss_shapes(task: str = "regression", span: float = SPAN, points: int = POINTS,
                options: dict | None = None) -> Shapes:
    """Every loss of ``task`` and its derivative on ``points`` values from ``-span`` to ``span``.

    Parameters
    ----------
    task : "regression" or "classification"
    span, points : the grid of residuals (margins).
    options : dict of name -> settings, optional
        Loss settings, e.g. ``{"huber": {"delta": 2.0}}``.
    """
    options = options or {}
    x = np.linspace(-span, span, int(points))
    values, grads, latex = {}, {}, {}
    for name in losses.names(task):
        loss = losses.get(name, **options.get(name, {}))
        values[name], grads[name] = shape_of(loss, x)
        latex[name] = loss.latex
    label = "residual r = prediction - target" if task == "regression" else (
        "margin m (score of the true class)")
    return Shapes(task, x, label, values, grads, latex)


# ==============================================================================================
# outlier experiment
# ==============================================================================================


@dataclass
class OutlierFit:
    """The outlier experiment's data and fitted lines.

    Attributes
    ----------
    X : ndarray (n + k, 1), y : ndarray (n + k,)
    outlier : ndarray (n + k,) of bool, True on the added points.
    fits : dict of loss name -> (w, b)
        The line ``y = w x + b`` that minimizes each loss (mean over all points).
    true : (w, b) of the clean data's generator, (3, 0.5).
    """

    X: np.ndarray
    y: np.ndarray
    outlier: np.ndarray
    fits: dict
    true: tuple = (3.0, 0.5)


def with_outliers(n: int = 100, k: int = 5, noise: float = 0.0, seed: int = 0,
                  drop: float = OUTLIER_DROP):
    """``seed_linear`` data plus ``k`` outliers -> ``(X (n+k, 1), y (n+k,), outlier mask)``.

    The outliers are drawn from ``default_rng(seed)`` after the clean data's own generator:
    ``x ~ U(0.8, 1)`` (the right end, where they lever the slope) and
    ``y = 3x + 0.5 - drop - U(0, 1)``, far below the line. The same seed gives the same points.
    """
    clean = datasets.generate("seed_linear", n, noise, seed)
    rng = np.random.default_rng([seed, 1])  # a stream of its own: k does not move the clean data
    x_out = rng.uniform(0.8, 1.0, k)
    y_out = 3.0 * x_out + 0.5 - drop - rng.uniform(0.0, 1.0, k)
    X = np.vstack([clean.X, x_out[:, None]])
    y = np.concatenate([clean.y, y_out])
    return X, y, np.r_[np.zeros(n, bool), np.ones(k, bool)]


def fit_line(X, y, loss_name: str, epochs: int = FIT_EPOCHS, lr: float = FIT_LR) -> tuple:
    """The ``(w, b)`` of a one-feature linear model minimizing ``loss_name`` on ``(X, y)``.

    ``mse`` is solved exactly (least squares). Other losses are trained by the dashboard's own
    :class:`~lossdash.engine.Trainer`, full batch, Adam with a cosine-annealed learning rate,
    started from the least-squares line; annealing to 0 lets the non-smooth MAE settle instead
    of rattling around its kink at the step size.
    """
    A = np.column_stack([X[:, 0], np.ones(len(y))])
    w, b = np.linalg.lstsq(A, y, rcond=None)[0]
    if loss_name == "mse":
        return float(w), float(b)
    model = models.make("linear", 1)
    model.theta[...] = (w, b)
    train = datasets.Dataset(X, y, "regression")
    trainer = Trainer(model, losses.get(loss_name), optimizers.get("adam", lr), train,
                      max_epochs=epochs, schedule=schedules.get("cosine", T_max=epochs),
                      tol=0.0, gtol=0.0)
    trainer.run_epochs(epochs)
    return float(model.theta[0]), float(model.theta[1])


def outlier_experiment(n: int = 100, k: int = 5, noise: float = 0.0, seed: int = 0,
                       drop: float = OUTLIER_DROP, names=ROBUST_LOSSES) -> OutlierFit:
    """Fit ``seed_linear`` data with ``k`` outliers by every loss in ``names``."""
    X, y, outlier = with_outliers(n, k, noise, seed, drop)
    fits = {name: fit_line(X, y, name) for name in names}
    return OutlierFit(X, y, outlier, fits)
