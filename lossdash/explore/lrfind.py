"""Choosing a learning rate: the LR range test and the learning-rate sweep.

LR range test (Smith 2017, "Cyclical Learning Rates for Training Neural Networks"; fastai's
``lr_find``). One short run from the initial weights, the rate growing geometrically,

.. math::

    \\eta_i = \\eta_\\min \\left(\\frac{\\eta_\\max}{\\eta_\\min}\\right)^{i/(N-1)},
    \\qquad i = 0, \\dots, N-1,

recording the batch loss ``L_i`` of every step (measured before the step's update) and its
debiased exponential moving average

.. math::

    m_i = \\beta m_{i-1} + (1-\\beta) L_i \\;(m_{-1} = 0), \\qquad
    \\bar L_i = \\frac{m_i}{1 - \\beta^{i+1}}.

The test stops once ``bar L_i > STOP_FACTOR * min_j bar L_j`` or a loss is not finite: past that
point the rate is too large and the run has blown up.

LR sweep. ``K`` rates on a log grid, each trained ``E`` epochs from the same initial weights on
the same batches. :func:`sweep` trains all of them at once: the ``K`` weight vectors are the rows
of one ``(K, P)`` array that goes through :meth:`Model.loss_and_grads_batch`, and one optimizer
updates the whole stack with a per-run learning rate of shape ``(K, 1)`` (every optimizer of
``lossdash.optimizers`` multiplies by ``lr`` elementwise, so the column broadcasts over the
parameters). :func:`sweep_sequential` runs ``K`` ordinary trainers one after another; it is the
reference the tests and the benchmark compare with.

Both take either a :class:`~lossdash.config.RunConfig` with a prepared training set, or a
:class:`~lossdash.engine.Trainer`, and never touch the trainer they are given: they work on a
replica (a copy of its model at its initial weights, a fresh copy of its optimizer, the same loss,
data, batch size and seed).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np

from lossdash import config
from lossdash.engine import DIVERGE_FACTOR, Trainer

STOP_FACTOR = 4.0  # the range test stops when the smoothed loss passes 4x its minimum (fastai)
SMOOTHING = 0.9  # EMA weight; fastai's 0.98 lags ~50 steps, far too late on a 100-step run
LR_MIN, LR_MAX = 1e-6, 100.0  # range of the test; 100 is the largest rate a RunConfig allows
SWEEP_MIN, SWEEP_MAX = 1e-4, 10.0  # default sweep range: 5 decades around the usual rates
SUGGEST_DIVISOR = 10.0  # suggestion = rate at the smoothed minimum / 10 (see suggest)
N_STEPS = 100  # steps of the range test (fastai's default)
NEVER_CONVERGE = {"tol": -1.0, "gtol": 0.0}  # a run of fixed length must not stop as converged
FOREVER = 10**9  # max_epochs of a replica: the caller decides when it stops


# ---------------------------------------------------------------------------------------------
# a private copy of the run


def replica(source, train=None, max_epochs=FOREVER):
    """A fresh trainer that trains like ``source`` but shares no state with it.

    Parameters
    ----------
    source : RunConfig or Trainer
        A config (then ``train``, a prepared data set, is required) or a trainer, whose model is
        copied and reset to its initial weights and whose optimizer is copied and reset.
    train : Dataset, optional
        Training set for a config (ignored for a trainer, which has its own).
    max_epochs : int
        The replica's epoch limit.

    Returns
    -------
    Trainer
        Constant learning rate (the schedule is kept), no line search, no validation set, and
        no convergence stop.
    """
    if isinstance(source, config.RunConfig):
        if train is None:
            raise ValueError("give the prepared training set along with the config")
        source = config.build_trainer(source, train)
    model = source.model.copy()
    model.theta[...] = source.initial_theta
    opt = copy.deepcopy(source.optimizer)
    opt.lr = source.base_lr
    return Trainer(
        model,
        source.loss,
        opt,
        source.train,
        batch_size=source.batch_size,
        seed=source.seed,
        max_epochs=max_epochs,
        schedule=source.schedule,
        catch_diverging=False,  # the vectorized sweep mirrors only the hard divergence stops
        **NEVER_CONVERGE,
    )


def log_grid(lr_min, lr_max, k):
    """``k`` rates evenly spaced in log scale from ``lr_min`` to ``lr_max`` (both included)."""
    if not (0 < lr_min < lr_max and math.isfinite(lr_max)):
        raise ValueError(
            f"the learning-rate range needs 0 < lowest < highest; got {lr_min:g} to {lr_max:g}"
        )
    if k < 2:
        raise ValueError(f"a log grid needs at least 2 rates, got {k}")
    return np.geomspace(lr_min, lr_max, int(k))


# ---------------------------------------------------------------------------------------------
# LR range test


@dataclass
class LRFindResult:
    """What the range test saw, step by step, and the rate it suggests.

    Attributes
    ----------
    lrs : ndarray, shape (m,)
        Learning rate of each recorded step (m <= N: the test may stop early).
    losses : ndarray, shape (m,)
        Batch loss of each step, before its update (penalty included), all finite.
    smoothed : ndarray, shape (m,)
        Debiased EMA of ``losses`` (see the module docstring).
    suggestion : float
        Suggested learning rate, NaN when the curve never went down.
    reason : str
        How the suggestion was found, in words for the UI.
    stopped : str
        Why the test ended: "diverged" (the loss blew up, as it should) or "end of range".
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestion: float
    reason: str
    stopped: str


def debiased_ema(values, beta=SMOOTHING):
    """``m_i / (1 - beta^(i+1))`` with ``m_i = beta m_{i-1} + (1 - beta) v_i``, shape (m,)."""
    values = np.asarray(values, dtype=float)
    m, out = 0.0, np.empty_like(values)
    for i, v in enumerate(values):  # m is at most N_STEPS long: one float per step
        m = beta * m + (1.0 - beta) * v
        out[i] = m / (1.0 - beta ** (i + 1))
    return out


def suggest(lrs, smoothed, divisor=SUGGEST_DIVISOR):
    """The rate at the minimum of the smoothed loss, divided by ``divisor`` (fastai's ``lr_min``).

    .. math:: \\eta^* = \\eta_{i_\\min} / 10, \\qquad i_\\min = \\arg\\min_i \\bar L_i

    Why this rule: the range test keeps lowering the loss a little past the rate where training
    becomes unstable (an unstable direction that earlier steps had flattened needs several steps
    to grow back), so the minimum sits some 3-10x above the largest stable rate. A tenth of it
    lands within a factor ~2 of the best rate of a fine sweep of short runs on the toy problems
    of lossdash, on the safe (too small) side. The other common rule, the steepest descent of
    the curve, was 5-10x too low there, and on mini-batches it can pick a noise dip at the start.

    Returns
    -------
    (float, str)
        The rate (NaN when the loss never fell) and a sentence saying how it was found.
    """
    lrs, smoothed = np.asarray(lrs, dtype=float), np.asarray(smoothed, dtype=float)
    if len(lrs) < 3:
        return math.nan, "the test stopped after too few steps: lower the smallest rate"
    i_min = int(np.argmin(smoothed))
    if i_min == 0:
        return math.nan, "the loss never went down: lower the smallest rate or check the data"
    reason = (
        f"the smoothed loss is lowest at lr = {lrs[i_min]:.3g}; "
        f"a rate {divisor:g}x smaller trains fast and stays stable"
    )
    if i_min == len(lrs) - 1:
        reason += " (the loss was still falling at the largest rate tried: raise it to be sure)"
    return float(lrs[i_min] / divisor), reason


def lr_find(
    source,
    train=None,
    lr_min=LR_MIN,
    lr_max=LR_MAX,
    n_steps=N_STEPS,
    beta=SMOOTHING,
    stop_factor=STOP_FACTOR,
):
    """LR range test: one run from the initial weights with the rate growing geometrically.

    Parameters
    ----------
    source : RunConfig or Trainer
        What to test (mini-batches, optimizer, loss and model as configured); never modified.
    train : Dataset, optional
        The prepared training set, required with a config.
    lr_min, lr_max : float
        First and last rate of the ramp.
    n_steps : int
        Steps of the ramp (N); the rate grows by ``(lr_max/lr_min)^(1/(N-1))`` per step.
    beta : float in [0, 1)
        EMA weight of the smoothed loss.
    stop_factor : float
        Stop once the smoothed loss exceeds this multiple of its minimum.

    Returns
    -------
    LRFindResult
    """
    lrs = log_grid(lr_min, lr_max, n_steps)
    trainer = replica(source, train)
    trainer.schedule = None  # the ramp is the schedule
    seen, losses, stopped = [], [], "end of range"
    m, best = 0.0, math.inf
    for i, lr in enumerate(lrs):
        trainer.set_lr(float(lr))
        row = trainer.step()  # None when the trainer saw the loss become non-finite
        if row is None or not math.isfinite(row["loss"]):
            stopped = "diverged"
            break
        seen.append(lr)
        losses.append(row["loss"])
        m = beta * m + (1.0 - beta) * row["loss"]
        smooth_now = m / (1.0 - beta ** (i + 1))
        if not math.isfinite(smooth_now) or smooth_now > stop_factor * best:
            stopped = "diverged"
            break
        best = min(best, smooth_now)
    lrs_seen, losses = np.array(seen), np.array(losses)
    smoothed = debiased_ema(losses, beta)
    suggestion, reason = suggest(lrs_seen, smoothed)
    return LRFindResult(lrs_seen, losses, smoothed, suggestion, reason, stopped)


# ---------------------------------------------------------------------------------------------
# LR sweep


@dataclass
class SweepResult:
    """Final losses of ``K`` runs that differ only by their learning rate.

    Attributes
    ----------
    lrs : ndarray, shape (K,)
        Base learning rate of each run.
    final_loss : ndarray, shape (K,)
        Data loss on the full training set after ``epochs`` epochs (no penalty); for a frozen
        run, at its last finite weights (may be huge or inf: check ``diverged`` before plotting).
    diverged : ndarray of bool, shape (K,)
        The run was frozen (its batch loss became non-finite or grew past ``DIVERGE_FACTOR``
        times its first, or a weight became non-finite), or it ended non-finite or above the
        full training loss it started from.
    diverged_epoch : ndarray, shape (K,)
        Epoch (completed steps / steps per epoch) at which the run froze; NaN if it did not.
    epoch_loss : ndarray, shape (K, epochs + 1)
        Full training loss at the start and after every epoch; NaN after a run froze.
    thetas : ndarray, shape (K, P)
        Final (or last finite) weights.
    epochs : int
    """

    lrs: np.ndarray
    final_loss: np.ndarray
    diverged: np.ndarray
    diverged_epoch: np.ndarray
    epoch_loss: np.ndarray
    thetas: np.ndarray
    epochs: int

    @property
    def best_index(self):
        """Index of the lowest final loss among the runs that did not diverge (None if none)."""
        ok = ~np.asarray(self.diverged, dtype=bool) & np.isfinite(self.final_loss)
        if not ok.any():
            return None
        return int(np.flatnonzero(ok)[np.argmin(self.final_loss[ok])])

    @property
    def best_lr(self):
        """The rate of :attr:`best_index`, NaN when every run diverged."""
        i = self.best_index
        return math.nan if i is None else float(self.lrs[i])


def _sweep_lrs(lrs, lr_min, lr_max, k):
    if lrs is None:
        return log_grid(lr_min, lr_max, k)
    lrs = np.asarray(lrs, dtype=float).reshape(-1)
    if lrs.size == 0 or not (np.isfinite(lrs).all() and (lrs > 0).all()):
        raise ValueError("every learning rate of the sweep must be a positive number")
    return lrs


def _data_loss(model, loss, data, thetas):
    """Full-set data loss (no penalty) of every row of ``thetas`` (K, P) -> (K,)."""
    return loss.pointwise(data.y, model.forward_batch(data.X, thetas)).mean(axis=-1)


def _exploded(values, first):
    """The trainer's divergence test: not finite, or past DIVERGE_FACTOR x max(|start|, 1)."""
    return ~np.isfinite(values) | (values > DIVERGE_FACTOR * np.maximum(np.abs(first), 1.0))


def _clip_rows(grads, max_norm):
    """Clip every row of ``grads`` (K, P) by its own norm, as clip_grad_norm does for one run."""
    norms = np.sqrt(np.einsum("kp,kp->k", grads, grads))
    scale = np.where(np.isfinite(norms), max_norm / (norms + 1e-6), 1.0)
    grads *= np.minimum(scale, 1.0)[:, None]


def sweep(source, train=None, epochs=20, lrs=None, lr_min=SWEEP_MIN, lr_max=SWEEP_MAX, k=16):
    """Train ``K`` learning rates together, as rows of one ``(K, P)`` weight array.

    Every run starts from the same weights, sees the same batches (one generator seeded like
    the trainer's, one permutation per epoch) and follows the trainer's rules: the schedule
    scales each run's base rate per epoch, and a run whose batch loss is non-finite or past
    ``DIVERGE_FACTOR`` times its first loss, or whose weights become non-finite, is frozen at
    its last finite weights (its rows get a zero gradient and are restored after every step).
    The line search, if configured, is not used: the sweep compares fixed rates.

    Parameters
    ----------
    source : RunConfig or Trainer
        The run to sweep (never modified).
    train : Dataset, optional
        Prepared training set, required with a config.
    epochs : int
        Epochs per run (E).
    lrs : array_like, shape (K,), optional
        The rates; default ``log_grid(lr_min, lr_max, k)``.

    Returns
    -------
    SweepResult
    """
    lrs = _sweep_lrs(lrs, lr_min, lr_max, k)
    tpl = replica(source, train)
    model, loss, data = tpl.model, tpl.loss, tpl.train
    K, n = lrs.size, data.X.shape[0]
    thetas = np.repeat(tpl.initial_theta[None, :], K, axis=0)
    prev, delta = np.empty_like(thetas), np.empty_like(thetas)
    settings = tpl.optimizer.settings()
    clip = settings.pop("clip_norm")
    settings.pop("lr")
    opt = type(tpl.optimizer)(1.0, **settings)  # clipping is per run, done here
    rng = np.random.default_rng(tpl.seed)
    active = np.ones(K, dtype=bool)
    diverged_epoch = np.full(K, np.nan)
    epoch_loss = np.full((K, epochs + 1), np.nan)
    first = None
    with np.errstate(all="ignore"):
        epoch_loss[:, 0] = _data_loss(model, loss, data, thetas)
        for epoch in range(epochs):
            rates = lrs if tpl.schedule is None else np.array(
                [tpl.schedule.lr_at(float(lr), epoch) for lr in lrs]
            )
            opt.lr = rates[:, None]
            if tpl.batch_size is None:
                batches = [(data.X, data.y)]
            else:
                perm = rng.permutation(n)
                Xp, yp = data.X[perm], data.y[perm]
                bs = tpl.batch_size
                batches = [(Xp[lo : lo + bs], yp[lo : lo + bs]) for lo in range(0, n, bs)]
            for j, (Xb, yb) in enumerate(batches):
                values, grads = model.loss_and_grads_batch(Xb, yb, loss, thetas)
                first = values.copy() if first is None else first
                norms = np.einsum("kp,kp->k", grads, grads)
                broken = ~(np.isfinite(values) & np.isfinite(norms))
                grown = active & _exploded(values, first) & ~broken
                broken &= active
                diverged_epoch[broken] = epoch + j / len(batches)
                # A finite blow-up is recorded by the trainer as one more (update-free) step.
                diverged_epoch[grown] = epoch + (j + 1) / len(batches)
                bad = broken | grown
                active &= ~bad
                frozen = ~active
                if frozen.any():
                    grads[frozen] = 0.0
                if clip is not None:
                    _clip_rows(grads, clip)
                np.copyto(prev, thetas)
                opt.step({"theta": thetas}, {"theta": grads})
                np.subtract(thetas, prev, out=delta)  # the trainer's test: |update|^2 finite
                bad = active & ~np.isfinite(np.einsum("kp,kp->k", delta, delta))
                diverged_epoch[bad] = epoch + j / len(batches)
                active &= ~bad
                frozen = ~active
                if frozen.any():  # frozen runs keep their last finite weights
                    thetas[frozen] = prev[frozen]
            epoch_loss[:, epoch + 1] = _data_loss(model, loss, data, thetas)
    return _result(lrs, epoch_loss, diverged_epoch, thetas)


def _result(lrs, epoch_loss, diverged_epoch, thetas):
    """The SweepResult; a run counts as diverged when it was frozen, or ended non-finite or
    above the loss it started from (a rate that makes things worse is too large, even if the
    trainer's far looser DIVERGE_FACTOR did not stop it)."""
    final = epoch_loss[:, -1].copy()
    with np.errstate(invalid="ignore"):
        worse = ~np.isfinite(final) | (final > epoch_loss[:, 0])
    diverged = np.isfinite(diverged_epoch) | worse
    _blank_after_divergence(epoch_loss, diverged_epoch)
    return SweepResult(lrs, final, diverged, diverged_epoch, epoch_loss, thetas,
                       epoch_loss.shape[1] - 1)


def _blank_after_divergence(epoch_loss, diverged_epoch):
    """NaN in ``epoch_loss`` after each run's divergence (the frozen weights mean nothing)."""
    cols = np.arange(epoch_loss.shape[1])
    with np.errstate(invalid="ignore"):
        after = cols[None, :] > np.nan_to_num(diverged_epoch, nan=np.inf)[:, None]
    epoch_loss[after] = np.nan


def sweep_sequential(
    source, train=None, epochs=20, lrs=None, lr_min=SWEEP_MIN, lr_max=SWEEP_MAX, k=16
):
    """The same sweep as :func:`sweep`, one ordinary :class:`Trainer` per rate, in turn.

    Slower by about a factor K on small models; it exists as the reference the vectorized
    sweep must equal, and for the benchmark.
    """
    lrs = _sweep_lrs(lrs, lr_min, lr_max, k)
    K, thetas = lrs.size, None
    diverged_epoch = np.full(K, np.nan)
    epoch_loss = np.full((K, epochs + 1), np.nan)
    for i, lr in enumerate(lrs):
        t = replica(source, train, max_epochs=epochs)
        t.set_lr(float(lr))
        epoch_loss[i, 0] = t.evaluate()[0]
        for epoch in range(epochs):
            t.run_epochs(1)  # a diverged trainer takes no more steps: its weights stay frozen
            epoch_loss[i, epoch + 1] = t.evaluate()[0]
        if thetas is None:
            thetas = np.empty((K, t.model.n_params))
        thetas[i] = t.model.theta
        if t.status == "diverged":
            diverged_epoch[i] = t.epoch
    return _result(lrs, epoch_loss, diverged_epoch, thetas)
