"""Sharpness and the stability line: which learning rates gradient descent survives.

Near a minimum the training objective is close to its quadratic model
``J(theta + d) ~ J(theta) + g.d + d.H.d / 2``. Plain gradient descent multiplies the error along
the Hessian's eigenvector ``v_i`` by ``(1 - lr * lambda_i)`` every step, so it shrinks only while

.. math:: |1 - \\eta \\lambda_{max}| < 1 \\iff \\eta < 2 / \\lambda_{max}

``lambda_max``, the *sharpness*, is the largest eigenvalue of the Hessian of the objective (data
loss plus penalty). With heavy-ball momentum ``beta`` (torch's ``momentum``) the bound is
``eta < 2 (1 + beta) / lambda_max``; with Nesterov's, ``2 (1 + beta) / ((1 + 2 beta) lambda_max)``.
Adaptive methods (Adagrad, RMSprop, Adam) rescale every weight's step, so no single line applies.

Cohen et al. (2021), "Gradient descent on neural networks typically occurs at the edge of
stability": with GD the sharpness of a network rises during training until it reaches
``2 / lr``, then hovers there. :class:`SharpnessTracker` records it during a run, spending at most
a fixed share of the training time.

How ``lambda_max`` is found:

- linear model + MSE: exactly. ``J = mean((X w + b - y)^2) + (l2/2)|w|^2`` has the constant
  Hessian ``H = (2/n) Xb^T Xb + l2 * diag(1, ..., 1, 0)`` with ``Xb = [X, 1]``
  (the bias is not penalized); ``numpy.linalg.eigvalsh`` gives its top eigenvalue.
- any other model: Lanczos iteration (power iteration that keeps every iterate, so the top
  eigenvalue of the Krylov space converges far faster than the last iterate's Rayleigh quotient)
  on Hessian-vector products, each a central finite difference of the analytic gradient:
  ``H v ~ (g(theta + eps v) - g(theta - eps v)) / (2 eps)``, error ``O(eps^2)``.
"""

from __future__ import annotations

import math
import time

import numpy as np

FD_EPS = 1e-4  # finite-difference step along a unit vector, times max(1, |theta|)
BREAKDOWN = 1e-12  # a Lanczos vector this short means the Krylov space is complete
TRACK_BUDGET = 0.05  # the tracker spends at most this share of the training time
TRACK_ITERATIONS = 6  # Lanczos steps per tracked point, warm-started from the last eigenvector
# (the first point takes 20): sharpness moves slowly, so a few steps keep up with it
TRACK_MAX_ROWS = 2048  # rows the tracker's Hessian is measured on (a fixed sample)
MAX_TRACKED = 2000  # tracked points kept; every other one is dropped when full
STEP_CAP_SECONDS = 0.05  # a longer gap between two steps is a pause, not training time
MAX_WORK = 3e8  # rows x weights x Lanczos steps of one estimate: ~0.3 s here; a big net on
# many rows gets a smaller fixed row sample instead of a stalled page
MIN_ROWS = 64


# --------------------------------------------------------------------------- the Hessian
def is_exact(model, loss):
    """True when the Hessian is known in closed form (a linear model with one output and MSE)."""
    return model.kind == "linear" and model.n_outputs == 1 and loss.name == "mse"


def linear_mse_hessian(model, X):
    """``H = (2/n) Xb^T Xb + l2 diag(w-mask)`` in theta's order (weights, then bias): (P, P)."""
    X = np.asarray(X, dtype=np.float64)
    Xb = np.hstack([X, np.ones((X.shape[0], 1))])
    H = (2.0 / X.shape[0]) * (Xb.T @ Xb)
    H[np.arange(X.shape[1]), np.arange(X.shape[1])] += model.l2
    return H


def hvp(model, loss, X, y, theta, v):
    """Hessian-vector product ``H(theta) v`` by a central difference of the gradient.

    Both gradients come from one ``loss_and_grads_batch`` call on the stack
    ``[theta + eps v, theta - eps v]``; ``model.theta`` and ``model.grad`` are not touched.
    """
    norm = float(np.linalg.norm(v))
    if norm == 0.0:
        return np.zeros_like(v)
    eps = FD_EPS * max(1.0, float(np.linalg.norm(theta))) / norm
    stack = np.stack([theta + eps * v, theta - eps * v])
    with np.errstate(all="ignore"):
        _, grads = model.loss_and_grads_batch(X, y, loss, stack)
    return (grads[0] - grads[1]) / (2.0 * eps)


def top_eigenpair(model, loss, X, y, n_iter=20, seed=0, v0=None, theta=None):
    """Largest eigenvalue of the objective's Hessian and its eigenvector, by Lanczos.

    Parameters
    ----------
    model, loss : the model and loss of the objective ``loss(y, f(X)) + penalty``.
    X, y : ndarray
        The rows the objective averages over, (n, d) and (n,).
    n_iter : int
        Lanczos steps (one Hessian-vector product each); the result is exact once
        ``n_iter >= model.n_params``.
    seed : int
        Seed of the random start vector (used when ``v0`` is None).
    v0 : ndarray or None
        Start vector, e.g. the eigenvector of an earlier call (a warm start).
    theta : ndarray or None
        The weights; default ``model.theta``.

    Returns
    -------
    (float, ndarray)
        ``lambda_max`` (nan if a gradient was not finite) and its unit eigenvector (P,).
    """
    theta = model.theta.copy() if theta is None else np.asarray(theta, dtype=np.float64)
    P = theta.size
    if is_exact(model, loss):
        vals, vecs = np.linalg.eigh(linear_mse_hessian(model, X))
        return float(vals[-1]), vecs[:, -1]
    q = np.random.default_rng(seed).standard_normal(P) if v0 is None else np.array(v0, float)
    q /= np.linalg.norm(q)
    basis, alphas, betas = [q], [], []
    for _ in range(min(int(n_iter), P)):
        w = hvp(model, loss, X, y, theta, basis[-1])
        if not np.all(np.isfinite(w)):
            return math.nan, basis[0]
        alphas.append(float(w @ basis[-1]))
        Q = np.array(basis)
        w -= Q.T @ (Q @ w)  # full re-orthogonalization: the basis stays orthonormal
        w -= Q.T @ (Q @ w)
        beta = float(np.linalg.norm(w))
        if beta < BREAKDOWN or len(basis) == P:
            break
        betas.append(beta)
        basis.append(w / beta)
    k = len(alphas)
    T = np.diag(alphas) + np.diag(betas[: k - 1], 1) + np.diag(betas[: k - 1], -1)
    vals, vecs = np.linalg.eigh(T)
    vector = np.array(basis[:k]).T @ vecs[:, -1]
    return float(vals[-1]), vector / np.linalg.norm(vector)


def sharpness(model, loss, X, y, n_iter=20, seed=0):
    """``lambda_max``: the largest eigenvalue of the Hessian of ``loss(y, f(X)) + penalty`` at
    the model's current weights (exact for linear + MSE, else ``n_iter`` Lanczos steps on
    finite-difference Hessian-vector products). See the module docstring."""
    return top_eigenpair(model, loss, X, y, n_iter=n_iter, seed=seed)[0]


# --------------------------------------------------------------------------- the line
def stable_lr(lam, optimizer="sgd", momentum=0.0, weight_decay=0.0):
    """The largest stable learning rate on a quadratic of curvature ``lam`` (= lambda_max).

    =========== =====================================
    sgd         ``2 / lam``
    momentum    ``2 (1 + beta) / lam``  (heavy ball)
    nesterov    ``2 (1 + beta) / ((1 + 2 beta) lam)``
    =========== =====================================

    ``weight_decay`` (torch's, added to every gradient) adds itself to the curvature. Returns
    None for the adaptive optimizers (no single line) and ``inf`` for ``lam <= 0`` (nothing to
    overshoot along the sharpest direction).
    """
    curvature = float(lam) + float(weight_decay)
    if not math.isfinite(curvature):
        return None
    if optimizer not in ("sgd", "momentum", "nesterov"):
        return None
    if curvature <= 0:
        return math.inf
    beta = float(momentum) if optimizer != "sgd" else 0.0
    if optimizer == "nesterov":
        return 2.0 * (1.0 + beta) / ((1.0 + 2.0 * beta) * curvature)
    return 2.0 * (1.0 + beta) / curvature


def optimizer_line(lam, optimizer):
    """:func:`stable_lr` for an optimizer object (its name, momentum and weight decay)."""
    return stable_lr(lam, optimizer.name, getattr(optimizer, "momentum", 0.0),
                     getattr(optimizer, "weight_decay", 0.0))


def eval_rows(data, max_rows=TRACK_MAX_ROWS, seed=0):
    """``(X, y)`` of ``data``, or of a fixed random sample of ``max_rows`` rows if larger."""
    n = data.X.shape[0]
    if n <= max_rows:
        return data.X, data.y
    rows = np.sort(np.random.default_rng(seed).choice(n, max_rows, replace=False))
    return data.X[rows], data.y[rows]


def affordable_rows(model, n_iter):
    """Rows an estimate may use: ``TRACK_MAX_ROWS``, fewer (not under ``MIN_ROWS``) when
    ``rows x weights x n_iter`` would pass ``MAX_WORK``."""
    return int(min(TRACK_MAX_ROWS, max(MIN_ROWS, MAX_WORK // (model.n_params * max(n_iter, 1)))))


def trainer_sharpness(trainer, n_iter=20):
    """Sharpness of a trainer's full-batch objective, on a fixed sample of at most
    :func:`affordable_rows` rows."""
    X, y = eval_rows(trainer.train, affordable_rows(trainer.model, n_iter), trainer.seed)
    return sharpness(trainer.model, trainer.loss, X, y, n_iter=n_iter, seed=trainer.seed)


def nice_below(x):
    """``x`` rounded down to two significant digits (0.6947 -> 0.69): a rate a person can
    type that is still on the safe side of ``x``."""
    if not (math.isfinite(x) and x > 0):
        return None
    unit = 10.0 ** (math.floor(math.log10(x)) - 1)
    return float(f"{math.floor(x / unit * (1 + 1e-12)) * unit:.2g}")


# --------------------------------------------------------------------------- during a run
class SharpnessTracker:
    """Records ``(step, lambda_max)`` while a trainer trains, within a time budget.

    Add it to ``trainer.observers``; the trainer calls it after every step. It measures the
    time between calls (a gap longer than ``STEP_CAP_SECONDS`` counts as a pause) and computes a
    new point only while its own time stays under ``budget`` of that training time. Each point
    is a few Lanczos steps warm-started from the previous eigenvector (sharpness moves slowly).
    A linear model with MSE has a constant Hessian: one exact point, extended to every step.
    """

    def __init__(self, budget=TRACK_BUDGET, n_iter=TRACK_ITERATIONS):
        self.budget, self.n_iter = float(budget), int(n_iter)
        self.steps, self.values = [], []
        self.trained = self.spent = 0.0
        self._last_call = None
        self._vector = None

    def clear(self):
        self.steps, self.values, self._vector = [], [], None

    def __call__(self, trainer):
        now = time.perf_counter()
        if self._last_call is not None:
            self.trained += min(now - self._last_call, STEP_CAP_SECONDS)
        self._last_call = now
        if self.steps and trainer.step_count <= self.steps[-1]:
            self.clear()  # the trainer was reset (or rewound): start over
        if self.values and is_exact(trainer.model, trainer.loss):
            return
        if self.values and self.spent > self.budget * self.trained:
            return
        self.measure(trainer)
        self._last_call = time.perf_counter()
        self.spent += self._last_call - now

    def measure(self, trainer):
        """One point now: sharpness of the trainer's current weights."""
        n_iter = self.n_iter if self._vector is not None else 20
        X, y = eval_rows(trainer.train, affordable_rows(trainer.model, 20), trainer.seed)
        lam, self._vector = top_eigenpair(trainer.model, trainer.loss, X, y, n_iter,
                                          trainer.seed, v0=self._vector)
        if not math.isfinite(lam):
            self._vector = None
            return
        self.steps.append(trainer.step_count)
        self.values.append(lam)
        if len(self.steps) >= MAX_TRACKED:
            self.steps, self.values = self.steps[::2], self.values[::2]

    def series(self, last_step=None):
        """``(steps, values)`` as arrays; a constant (exact) Hessian spans up to ``last_step``."""
        steps, values = np.array(self.steps, dtype=float), np.array(self.values, dtype=float)
        if len(values) == 1 and last_step is not None and last_step > steps[0]:
            steps, values = np.array([steps[0], last_step]), np.repeat(values, 2)
        return steps, values
