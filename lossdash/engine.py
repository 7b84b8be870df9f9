"""The trainer: one optimizer step at a time, resumable, recording everything a chart needs.

A training step on a batch ``(X_b, y_b)`` is

.. math::

    J(\\theta) = \\frac{1}{|b|}\\sum_{i \\in b} \\ell(y_i, f_\\theta(x_i))
              + \\text{penalty}(\\theta),
    \\qquad \\theta \\leftarrow \\theta - \\eta_t \\cdot \\text{update}(\\nabla J(\\theta))

where the update is the optimizer's (plain SGD: the gradient itself). Batches come from a fresh
permutation of the training rows every epoch (``batch_size=None`` is the full batch, in order),
drawn from the trainer's own generator, so the same seed gives the same batches and the same
history. Everything that makes a run resumable lives here: the weights (in the model), the
optimizer's moments, the generator, the epoch's permutation and the step count. A dashboard keeps
the trainer in its session state and calls :meth:`Trainer.run_for` a slice of time at a time.

Outcomes (``status``):

- ``running``: not finished.
- ``converged``: the full training objective (data loss on the training set, or on its fixed
  evaluation sample, plus the penalty) changed by less than ``tol`` (relative) between two
  evaluations, or its gradient norm fell under ``gtol``; and it is not above where it started.
  One mini-batch's gradient is never the judge: a batch whose gradient vanishes only triggers a
  check of the full gradient.
- ``diverged``: the loss or a weight became non-finite, or the loss grew past
  ``DIVERGE_FACTOR`` times its starting value. The step that did it is undone and not recorded, so
  the history holds finite numbers only and the model keeps its last finite weights.
  Caught earlier, and said in the same words: the loss is *diverging* when it passed
  ``DIVERGING_FACTOR`` times its start and rose at each of the last ``RISE_STEPS`` steps, or
  stayed past ``HIGH_FACTOR`` times its start for ``STAY_STEPS`` steps in a row (for
  mini-batches the full objective must confirm it). A run that stops changing *above* its start
  (its units saturated, its gradient vanished) ends ``diverged`` too: it is stuck somewhere worse
  than it began, and a smaller learning rate is the fix.
- ``max_epochs``: ``max_epochs`` epochs are done.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_TRACKED_PARAMS = 32  # models this small get one history column per weight
MAX_SNAPSHOTS = 400  # weight snapshots kept for distribution charts (thinned by 2 when full)
DIVERGE_FACTOR = 1e8  # a loss this many times its start (or 1, if larger) counts as exploding
DIVERGING_FACTOR = 1e3  # a loss past this many times its start that rose at each of the last
RISE_STEPS = 5  # this many steps is diverging;
HIGH_FACTOR = 10.0  # so is one that stayed past this many times its start for
STAY_STEPS = 20  # this many steps in a row (a saturated model bouncing up there never returns;
# an Adam spike that recovers is back under it sooner). A steady blow-up (x1.07 a step) stops at
# ~10x its start, long before the numbers reach 1e5.
RECENT_ROWS = 5_000  # history: the last this many rows are always kept whole
MAX_ROWS = 20_000  # history: at most this many rows (~7 MB with 32 weight columns, 1.8 MB without)
OLD_ROWS = 5_000  # when full, older rows are thinned to about this many (every k-th, k doubling)
LOSS_FLOOR = 1e-8  # the start a ratio is taken against is at least this (a perfect start is 0)
EVAL_MAX_ROWS = 2048  # history's train/val losses use a fixed sample of this many rows at most:
# a full pass over 10,000 rows every epoch would cost a third of the training time
ARMIJO_C = 1e-4  # sufficient-decrease constant of the backtracking line search
ARMIJO_SHRINK = 0.5  # the step shrinks by this factor until the Armijo condition holds
ARMIJO_MAX_TRIES = 40  # 0.5**40 ~ 1e-12: a step this small means the gradient is useless
MAX_CHECKPOINTS = 64  # full states kept for branch/replay (every k steps, k doubling when full)
CHECKPOINT_FLOATS = 8_000_000  # ... and at most this many numbers in all (64 MB)

STATUSES = ("running", "converged", "diverged", "max_epochs")
BASE_COLUMNS = (
    "step",
    "epoch",
    "loss",
    "train_loss",
    "val_loss",
    "eval",
    "train_metric",
    "val_metric",
    "grad_norm",
    "update_norm",
    "lr",
)


def r2_score(y, pred):
    """Coefficient of determination ``1 - sum (y - pred)^2 / sum (y - mean y)^2``."""
    resid = y - pred
    total = y - y.mean()
    ss_tot = float(total @ total)
    return 1.0 - float(resid @ resid) / ss_tot if ss_tot > 0 else 0.0


def accuracy(y, pred):
    """Fraction of rows whose predicted label equals the true one."""
    return float(np.mean(pred == y))


def _eval_sample(dataset, seed):
    """``dataset``, or a fixed random sample of ``EVAL_MAX_ROWS`` of its rows if it is larger."""
    n = dataset.X.shape[0]
    if n <= EVAL_MAX_ROWS:
        return dataset
    rows = np.random.default_rng(seed).choice(n, EVAL_MAX_ROWS, replace=False)
    return dataset.subset(np.sort(rows))


@dataclass(frozen=True)
class Checkpoint:
    """Everything a step depends on, after ``step`` steps: continuing from it replays the run."""

    step: int
    theta: np.ndarray  # the weights
    optimizer_state: dict  # the optimizer's moments (deep copy of ``opt.state``)
    optimizer_t: int  # the optimizer's step count
    rng_state: dict  # the batch generator, now
    epoch_rng_state: dict | None  # ... and before this epoch's permutation (rebuilds the order)
    first_loss: float | None  # the divergence test's reference
    last_eval: tuple  # train/val loss and metric carried forward to the next rows
    snapshots: tuple  # (count of due evaluations, stride) of the weight snapshots


class Trainer:
    """Trains ``model`` on ``train`` with ``loss`` and ``optimizer``, one step per call.

    Parameters
    ----------
    model : lossdash.models.Model
    loss : lossdash.losses.Loss
    optimizer : lossdash.optimizers.Optimizer
        Its ``lr`` at construction is the base learning rate the schedule scales.
    train, val : lossdash.data.Dataset
        ``val`` is optional; its loss and metric are recorded at every evaluation.
    batch_size : int or None
        Rows per step; None (or >= n) is full-batch gradient descent.
    seed : int
        Seed of the batch order.
    max_epochs : int
        The run stops with status ``max_epochs`` after this many epochs.
    schedule : object with ``lr_at(base_lr, epoch)``, optional
        Learning-rate schedule over completed epochs; None keeps the rate constant.
    tol, gtol : float
        Convergence: relative change of the train loss between evaluations, gradient norm.
    eval_every : int or None
        Steps between train/val evaluations; None: every step for full batch, else once
        per epoch (at the first step of each epoch, before its update). A set larger than
        ``EVAL_MAX_ROWS`` is evaluated on a fixed random sample of that many rows (an unbiased
        estimate); ``evaluate()`` always uses every row.
    line_search : bool
        Backtracking (Armijo) line search: each step starts at the learning rate and halves it
        until ``J(theta - eta g) <= J(theta) - c eta |g|^2`` (plain gradient steps; the optimizer's
        own rule is not used). Meant for full-batch gradient descent.
    catch_diverging : bool
        Stop a diverging loss early (``DIVERGING_FACTOR``); the LR tools turn it off, keeping
        only the non-finite and ``DIVERGE_FACTOR`` stops that their vectorized runs mirror.
    """

    def __init__(
        self,
        model,
        loss,
        optimizer,
        train,
        val=None,
        batch_size=None,
        seed=0,
        max_epochs=100,
        schedule=None,
        tol=1e-12,
        gtol=1e-8,
        eval_every=None,
        line_search=False,
        catch_diverging=True,
    ):
        self.model, self.loss, self.optimizer = model, loss, optimizer
        self.train, self.val = train, val
        n = train.X.shape[0]
        self.batch_size = None if batch_size is None or batch_size >= n else int(batch_size)
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError("batch_size must be at least 1 (or None for the full batch)")
        self.steps_per_epoch = 1 if self.batch_size is None else -(-n // self.batch_size)
        self.eval_every = int(eval_every) if eval_every else self.steps_per_epoch
        self.seed, self.max_epochs = int(seed), int(max_epochs)
        self.schedule, self.tol, self.gtol = schedule, float(tol), float(gtol)
        self.line_search = bool(line_search)
        self.catch_diverging = bool(catch_diverging)
        self._eval_train = _eval_sample(train, seed)
        self._eval_val = None if val is None else _eval_sample(val, seed)
        self.base_lr = float(optimizer.lr)
        self.initial_theta = model.theta.copy()
        self.track_params = model.n_params <= MAX_TRACKED_PARAMS
        self.columns = list(BASE_COLUMNS) + (model.param_names() if self.track_params else [])
        self._col = {c: i for i, c in enumerate(self.columns)}
        # Views that let the optimizer update every weight in a few NumPy calls.
        self._params = {"theta": model.theta}
        self._grads = {"theta": model.grad}
        self._prev = np.empty_like(model.theta)
        self._delta = np.empty_like(model.theta)
        self.observers = []  # callables obs(trainer), called after every step (e.g. trackers)
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self):
        """Back to the initial weights, a fresh optimizer and generator, an empty history."""
        self.model.theta[...] = self.initial_theta
        self.optimizer.reset()
        self.optimizer.lr = self.base_lr
        self.rng = np.random.default_rng(self.seed)
        self.step_count = 0
        self.status = "running"
        self.message = ""
        self._rows = np.zeros((min(1024, MAX_ROWS), len(self.columns)))
        self._n_rows = 0
        self._keep_every, self._keep_every_eval = 1, 1  # older rows' thinning (1 = none yet)
        self._last_eval = (math.nan, math.nan, math.nan, math.nan)
        self._first_loss = None
        self._start = None  # the full objective at the first evaluation
        self._objective = math.nan  # the full objective at the last evaluation
        self._eval_before = math.nan  # the train loss at the evaluation before the last
        self._last_value, self._rises, self._high = math.inf, 0, 0
        self._order_X, self._order_y = self.train.X, self.train.y
        self._snap_steps, self._snaps, self._snap_stride, self._n_due = [], [], 1, 0
        self._history_cache = None
        self._epoch_rng = None  # generator state before this epoch's permutation
        self._lr_changes = [(0, self.base_lr)]  # (step, base lr from then on): replay needs it
        self._checkpoints, self._checkpoint_stride = [], 1
        self._keep_checkpoint()

    @property
    def epoch(self):
        """Completed epochs (a float: 2.5 is half way through the third)."""
        return self.step_count / self.steps_per_epoch

    @property
    def last_update(self):
        """``theta_after - theta_before`` of the last step (a view the next step overwrites)."""
        return self._delta

    @property
    def done(self):
        return self.status != "running"

    def set_lr(self, lr):
        """Change the base learning rate (the schedule scales it from the next step on)."""
        if not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"the learning rate must be a positive number, got {lr}")
        self.base_lr = float(lr)
        if self._lr_changes[-1][1] != self.base_lr:
            if self._lr_changes[-1][0] == self.step_count:
                self._lr_changes.pop()
            self._lr_changes.append((self.step_count, self.base_lr))

    def current_lr(self):
        """The learning rate the next step will use."""
        if self.schedule is None:
            return self.base_lr
        return float(self.schedule.lr_at(self.base_lr, self.step_count // self.steps_per_epoch))

    # ------------------------------------------------------------------ batches
    def _next_batch(self):
        """The rows of the next step: full batch, or a slice of this epoch's permutation."""
        if self.batch_size is None:
            return self.train.X, self.train.y
        k = self.step_count % self.steps_per_epoch
        if k == 0:  # new epoch: one gather, then every batch is a contiguous slice
            self._epoch_rng = self.rng.bit_generator.state
            perm = self.rng.permutation(self.train.X.shape[0])
            self._order_X, self._order_y = self.train.X[perm], self.train.y[perm]
        lo = k * self.batch_size
        return self._order_X[lo : lo + self.batch_size], self._order_y[lo : lo + self.batch_size]

    # ------------------------------------------------------------------ evaluation
    def _predict_metric(self, data, output):
        pred = self.loss.predict(output)
        if data.task == "classification":
            return accuracy(data.y, pred)
        return r2_score(data.y, pred)

    def evaluate(self, data=None):
        """(data loss, metric) of the current weights on ``data`` (default: the training set)."""
        data = self.train if data is None else data
        with np.errstate(all="ignore"):
            out = self.model.forward(data.X)
            return float(self.loss.value(data.y, out)), self._predict_metric(data, out)

    def _evaluate_all(self, batch_value):
        """Train and val loss and metric at the weights the current step starts from."""
        if self.batch_size is None:  # the step's own forward pass already saw every row
            out = self.model.last_output
            out = out[:, 0] if out.ndim == 2 and out.shape[1] == 1 else out
            train_loss = batch_value - float(self.model.penalty())
            train_metric = self._predict_metric(self.train, out)
        else:
            train_loss, train_metric = self.evaluate(self._eval_train)
        if self.val is not None:
            val_loss, val_metric = self.evaluate(self._eval_val)
        else:
            val_loss, val_metric = math.nan, math.nan
        return train_loss, val_loss, train_metric, val_metric

    # ------------------------------------------------------------------ one step
    def step(self):
        """One optimizer step on one batch. Returns the recorded row as a dict (None when done)."""
        if self.done:
            return None
        with np.errstate(all="ignore"):
            recorded = self._step()
        if not recorded:
            return None
        return dict(zip(self.columns, self._rows[self._n_rows - 1].tolist(), strict=True))

    def _diverge(self, why):
        self.model.theta[...] = self._prev
        self.status = "diverged"
        self.message = (
            f"Training diverged at step {self.step_count}: {why}. "
            f"The learning rate {self.optimizer.lr:g} is too large for this problem: "
            f"try {self.optimizer.lr / 10:g} or smaller."
        )
        self._history_cache = None
        return False

    def _step(self):
        """The hot path: no Python work per sample, a fixed number of NumPy calls."""
        model, theta = self.model, self.model.theta
        lr = self.current_lr()
        self.optimizer.lr = lr
        np.copyto(self._prev, theta)
        Xb, yb = self._next_batch()
        value, _ = model.loss_and_grads(Xb, yb, self.loss)
        grad = model.grad
        grad_norm = math.sqrt(float(grad @ grad))
        if self._first_loss is None:
            self._first_loss = value
        if not (math.isfinite(value) and math.isfinite(grad_norm)):
            return self._diverge("the loss became infinite or not a number")
        if value > DIVERGE_FACTOR * max(abs(self._first_loss), 1.0):
            # The exploding loss is finite: record it (no update is taken), so the curve shows
            # the blow-up the message speaks of.
            self.step_count += 1
            self._record(value, False, grad_norm, 0.0, lr)
            return self._diverge(f"the loss grew from {self._first_loss:.4g} to {value:.4g}")

        due = self.step_count % self.eval_every == 0
        if due:
            self._eval_before = self._last_eval[0]
            self._last_eval = self._evaluate_all(value)
            self._objective = self._last_eval[0] + float(model.penalty())
            if self._start is None:
                self._start = self._objective
        if self.catch_diverging and self._diverging(value):
            self.step_count += 1
            self._record(value, due, grad_norm, 0.0, lr)
            return self._diverge(
                f"the loss grew from {self._start:.4g} to {value:.4g} and "
                + (f"kept rising ({value / self._start:.3g} times its start)"
                   if self._high < STAY_STEPS else
                   f"stayed above {HIGH_FACTOR:g} times its start for {STAY_STEPS} steps")
            )

        if self.line_search:
            lr = self._armijo(Xb, yb, value, grad, grad_norm, lr)
        else:
            self.optimizer.step(self._params, self._grads)
        np.subtract(theta, self._prev, out=self._delta)
        update_norm = math.sqrt(float(self._delta @ self._delta))
        if not math.isfinite(update_norm):
            return self._diverge("a weight became infinite or not a number")

        self.step_count += 1
        self._record(value, due, grad_norm, update_norm, lr)
        self._check_finished(due, grad_norm, value)
        if self.step_count % self._checkpoint_stride == 0:
            self._keep_checkpoint()
        for observe in self.observers:
            observe(self)
        return True

    def _diverging(self, value):
        """Is the loss diverging: past DIVERGING_FACTOR x its start and rising RISE_STEPS steps
        in a row, or past HIGH_FACTOR x its start for STAY_STEPS steps in a row?

        Two counters, a few comparisons per step. A mini-batch's loss only raises the alarm:
        the full objective (on the evaluation sample) must be past the mark too.
        """
        scale = max(abs(self._start), LOSS_FLOOR)
        self._rises = self._rises + 1 if value > self._last_value else 0
        self._last_value = value
        self._high = self._high + 1 if value > HIGH_FACTOR * scale else 0
        rising = self._rises >= RISE_STEPS and value > DIVERGING_FACTOR * scale
        if not (rising or self._high >= STAY_STEPS):
            return False
        if self.batch_size is None:
            return True
        loss, _ = self.evaluate(self._eval_train)
        mark = (DIVERGING_FACTOR if rising else HIGH_FACTOR) * scale
        return loss + float(self.model.penalty()) > mark

    def _armijo(self, Xb, yb, value, grad, grad_norm, lr):
        """Backtrack from ``lr`` until the Armijo condition holds; take that plain step."""
        g2 = grad_norm * grad_norm
        trial = np.empty((1, self.model.n_params))
        step = lr
        for _ in range(ARMIJO_MAX_TRIES):
            np.multiply(grad, -step, out=trial[0])
            trial[0] += self._prev
            new = float(self.model.loss_batch(Xb, yb, self.loss, trial)[0])
            if math.isfinite(new) and new <= value - ARMIJO_C * step * g2:
                break
            step *= ARMIJO_SHRINK
        self.model.theta[...] = trial[0]
        return step

    def _record(self, value, due, grad_norm, update_norm, lr):
        if self._n_rows == self._rows.shape[0]:
            self._make_room()
        row = self._rows[self._n_rows]
        train_loss, val_loss, train_metric, val_metric = self._last_eval
        row[:11] = (
            self.step_count,
            self.step_count / self.steps_per_epoch,
            value,
            train_loss,
            val_loss,
            due,
            train_metric,
            val_metric,
            grad_norm,
            update_norm,
            lr,
        )
        if self.track_params:
            row[11:] = self._prev  # the weights this step started from, like the losses
        elif due:
            self._snapshot()
        self._n_rows += 1
        self._history_cache = None

    def _make_room(self):
        """Double the history buffer up to MAX_ROWS rows; once there, thin the older rows.

        Like TensorBoard's reservoir, but deterministic: the last RECENT_ROWS rows stay whole;
        of the rows before them, a row survives when its step is a multiple of ``k`` (counted
        from step 1) or, for evaluation rows, when its evaluation's number is a multiple of
        ``k_eval``; each of ``k`` and ``k_eval`` doubles until at most OLD_ROWS / 2 rows pass its
        test. The first row and, in a mini-batch run, its evaluations (one per epoch) survive
        longest. Memory is bounded by MAX_ROWS rows whatever the run's length.
        """
        size = self._rows.shape[0]
        if size < MAX_ROWS:
            grown = np.zeros((min(2 * size, MAX_ROWS), self._rows.shape[1]))
            grown[:size] = self._rows
            self._rows = grown
            return
        old = self._rows[: self._n_rows - RECENT_ROWS]
        since_first = old[:, 0].astype(np.int64) - 1
        evals = since_first // self.eval_every
        is_eval = old[:, 5] != 0
        while np.count_nonzero(since_first % self._keep_every == 0) > OLD_ROWS // 2:
            self._keep_every *= 2
        while np.count_nonzero(is_eval & (evals % self._keep_every_eval == 0)) > OLD_ROWS // 2:
            self._keep_every_eval *= 2
        keep = since_first % self._keep_every == 0
        keep |= is_eval & (evals % self._keep_every_eval == 0)
        kept = np.concatenate([np.flatnonzero(keep), np.arange(len(old), self._n_rows)])
        thinned = np.zeros_like(self._rows)  # a new array: views from recorded() stay valid
        thinned[: len(kept)] = self._rows[kept]
        self._rows = thinned
        self._n_rows = len(kept)

    @property
    def thinned(self):
        """True once older history rows have been dropped (see ``_make_room``)."""
        return self._keep_every > 1 or self._keep_every_eval > 1

    def _snapshot(self):
        self._n_due += 1
        if (self._n_due - 1) % self._snap_stride:
            return
        self._snap_steps.append(self.step_count - 1)
        self._snaps.append(self._prev.copy())
        if len(self._snaps) >= MAX_SNAPSHOTS:  # keep every other one: memory stays bounded
            self._snap_steps, self._snaps = self._snap_steps[::2], self._snaps[::2]
            self._snap_stride *= 2

    def _check_finished(self, due, grad_norm, value):
        objective = self._settled(due, grad_norm, value)
        if objective is not None and objective > self._start + 1e-9 * abs(self._start):
            self.status = "diverged"
            self.message = (
                f"Training got stuck at step {self.step_count} (epoch {self.epoch:.1f}): the "
                f"train loss stopped changing at {objective:.4g}, above the {self._start:.4g} "
                f"it started from (its gradient vanished: the units saturated). The learning "
                f"rate {self.optimizer.lr:g} threw the weights too far: try "
                f"{self.optimizer.lr / 10:g} or smaller."
            )
        elif objective is not None:
            self.status = "converged"
            self.message = (
                f"Converged at step {self.step_count} (epoch {self.epoch:.1f}): the train loss "
                f"stopped changing at {objective:.4g} (gradient norm {grad_norm:.2g})."
            )
        elif self.step_count >= self.max_epochs * self.steps_per_epoch:
            self.status = "max_epochs"
            self.message = f"Finished {self.max_epochs} epochs."

    def _settled(self, due, grad_norm, value):
        """The full objective if training has stopped changing it, else None.

        Settled: the gradient of the full objective is under ``gtol`` (a mini-batch's gradient
        under it only asks for the full one: a single well-fitted row proves nothing), or the
        objective changed by at most ``tol`` (relative) since the previous evaluation.
        """
        if grad_norm < self.gtol:
            if self.batch_size is None:
                return value  # the step's loss is the full objective
            ev = self._eval_train
            value, _ = self.model.loss_and_grads(ev.X, ev.y, self.loss)
            grad = self.model.grad
            if math.sqrt(float(grad @ grad)) < self.gtol:
                return value
        if due:
            before, now = self._eval_before, self._last_eval[0]
            if abs(now - before) <= self.tol * max(1.0, abs(before)):
                return self._objective
        return None

    # ------------------------------------------------------------------ many steps
    def run_steps(self, n):
        """Up to ``n`` steps (fewer if the run ends). Returns the number taken."""
        taken = 0
        with np.errstate(all="ignore"):
            while taken < n and not self.done and self._step():
                taken += 1
        return taken

    def run_epochs(self, n=1):
        """Train until ``n`` more epochs are complete, or the run converges or diverges.
        Returns the steps taken.

        Asked for explicitly, the epochs are trained even past ``max_epochs``: the limit is
        raised to the target epoch (a run that had stopped at ``max_epochs`` resumes).
        """
        target = (self.step_count // self.steps_per_epoch + n) * self.steps_per_epoch
        self.max_epochs = max(self.max_epochs, target // self.steps_per_epoch)
        if self.status == "max_epochs" and self.step_count < target:
            self.status, self.message = "running", ""
        return self.run_steps(target - self.step_count)

    def run_for(self, seconds, max_steps=None):
        """Train for about ``seconds`` of wall time (checked every few steps). Returns steps."""
        deadline = time.perf_counter() + seconds
        taken, chunk = 0, 1
        limit = math.inf if max_steps is None else max_steps
        while taken < limit and not self.done and time.perf_counter() < deadline:
            n = int(min(chunk, limit - taken))
            done_now = self.run_steps(n)
            taken += done_now
            if done_now < n:
                break
            chunk = min(chunk * 2, 256)
        return taken

    # ------------------------------------------------------------------ branch and replay
    def _keep_checkpoint(self):
        opt = self.optimizer
        self._checkpoints.append(Checkpoint(
            self.step_count, self.model.theta.copy(), copy.deepcopy(opt.state), opt.t,
            self.rng.bit_generator.state, self._epoch_rng, self._first_loss, self._last_eval,
            (self._n_due, self._snap_stride)))
        per_state = self.model.n_params * (1 + sum(len(v) for v in opt.state.values()))
        limit = max(4, min(MAX_CHECKPOINTS, CHECKPOINT_FLOATS // max(per_state, 1)))
        if len(self._checkpoints) > limit:  # keep step 0 and every other one: k doubles
            self._checkpoint_stride *= 2
            self._checkpoints = [c for c in self._checkpoints
                                 if c.step % self._checkpoint_stride == 0]

    def checkpoints(self):
        """Steps whose full state is kept (0 first); :meth:`branch` can start at any step, by
        replaying from the checkpoint at or before it."""
        return [c.step for c in self._checkpoints]

    def _lr_at(self, step):
        """The base learning rate the run had at ``step`` (it may have been changed live)."""
        return next(lr for s, lr in reversed(self._lr_changes) if s <= step)

    def branch(self, step):
        """A new, independent trainer in exactly the state this one had after ``step`` steps.

        The nearest checkpoint at or before ``step`` is restored (weights, optimizer moments,
        generator, the epoch's batch order), with the history rows up to it, and the remaining
        steps are replayed with the learning rates this run used. Continuing the branch with
        unchanged settings reproduces this run's later history exactly.
        """
        step = int(step)
        if not 0 <= step <= self.step_count:
            raise ValueError(f"step {step} is outside this run (0 to {self.step_count})")
        cp = max((c for c in self._checkpoints if c.step <= step), key=lambda c: c.step)
        twin = Trainer(self.model.copy(), self.loss, copy.deepcopy(self.optimizer), self.train,
                       self.val, self.batch_size, self.seed, self.max_epochs, self.schedule,
                       self.tol, self.gtol, self.eval_every, self.line_search)
        twin.initial_theta = self.initial_theta.copy()
        twin._restore(cp, self)
        for s in range(cp.step, step):
            twin.base_lr = self._lr_at(s)
            twin.run_steps(1)
        twin.base_lr = self._lr_at(step)
        twin._lr_changes = [c for c in self._lr_changes if c[0] <= step]
        twin.status, twin.message = "running", ""
        return twin

    def _restore(self, cp, source):
        """Load checkpoint ``cp`` of trainer ``source``, with its history rows up to cp.step."""
        self.model.theta[...] = cp.theta
        self.optimizer.state, self.optimizer.t = copy.deepcopy(cp.optimizer_state), cp.optimizer_t
        self.rng.bit_generator.state = cp.rng_state
        self._epoch_rng, self._first_loss, self._last_eval = (
            cp.epoch_rng_state, cp.first_loss, cp.last_eval)
        self.step_count = cp.step
        # the objective at the first evaluation (step 0) is the run's yardstick for the
        # divergence checks; a checkpoint past it shares it (a replay from a step between two
        # evaluations would otherwise compare against nothing)
        self._start = source._start if cp.step > 0 else None
        if self.batch_size is not None and cp.step % self.steps_per_epoch:
            order = np.random.default_rng()
            order.bit_generator.state = cp.epoch_rng_state
            perm = order.permutation(self.train.X.shape[0])
            self._order_X, self._order_y = self.train.X[perm], self.train.y[perm]
        rows = source._rows[: source._n_rows]
        rows = rows[rows[:, 0] <= cp.step]
        self._rows = np.concatenate([rows, np.zeros((1024, rows.shape[1]))])
        self._n_rows = len(rows)
        kept = [i for i, s in enumerate(source._snap_steps) if s < cp.step]
        self._snap_steps = [source._snap_steps[i] for i in kept]
        self._snaps = [source._snaps[i].copy() for i in kept]
        self._n_due, self._snap_stride = cp.snapshots
        self._checkpoints = [c for c in source._checkpoints if c.step <= cp.step]
        self._checkpoint_stride = source._checkpoint_stride
        self._history_cache = None

    # ------------------------------------------------------------------ results
    @property
    def history(self):
        """One row per step (columns in ``self.columns``) as a DataFrame; cached until a step."""
        if self._history_cache is None:
            df = pd.DataFrame(self._rows[: self._n_rows], columns=self.columns)
            df["step"] = df["step"].astype(np.int64)
            df["eval"] = df["eval"].astype(bool)
            if self.val is None:
                df = df.drop(columns=["val_loss", "val_metric"])
            self._history_cache = df
        return self._history_cache

    def recorded(self):
        """``(rows, columns)``: the history so far as a read-only view, without a copy.

        Recorded rows never change: a new step writes past them, a full buffer is grown or
        thinned into a new array and ``reset`` starts a new one. So a reader (the dashboard,
        drawing while a thread trains) may take the view under the trainer's lock and use it
        after releasing the lock. ``rows`` has shape (steps, len(columns)); ``history`` is the
        same as a DataFrame.
        """
        rows = self._rows[: self._n_rows].view()
        rows.flags.writeable = False
        return rows, self.columns

    def snapshot_list(self):
        """``(steps, thetas)`` as new lists of the kept weight snapshots (for models too big
        to track every weight): cheap to take under a lock; ``numpy.array(thetas)`` later."""
        return list(self._snap_steps), list(self._snaps)

    def snapshots(self):
        """``(steps, thetas)``: weights at evaluation steps, for models too big to track."""
        if self.track_params:
            h = self._rows[: self._n_rows]
            return h[:, 0].astype(np.int64) - 1, h[:, 11:]
        if not self._snaps:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.model.n_params))
        return np.array(self._snap_steps), np.array(self._snaps)

    def path(self):
        """Every recorded weight vector, the initial one first, then the current: (m, P)."""
        steps, thetas = self.snapshots()
        return (
            np.vstack([thetas, self.model.theta[None, :]])
            if len(thetas)
            else (self.model.theta[None, :].copy())
        )
