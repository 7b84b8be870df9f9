"""Branch a run with other settings: the same weights at step k, a new rate, optimizer or loss.

:meth:`lossdash.engine.Trainer.branch` gives a trainer in exactly the state a run had at step
``k``. :func:`adopt` then gives that branch the settings of another trainer built from the
sidebar's current choices (same data and architecture): its learning rate, schedule and epoch
limit; its loss and penalties; its optimizer. Moments carry over only when the optimizer and
its hyperparameters are unchanged (Adam's moments mean nothing to SGD with momentum).
"""

from __future__ import annotations


def optimizer_settings(opt):
    """``(class, hyperparameters, clip_norm)``: equal settings mean compatible moments."""
    return type(opt), {k: getattr(opt, k) for k in opt.hyper}, opt.clip_norm


def fits(branch, fresh):
    """Why ``fresh``'s settings cannot be given to ``branch`` (None if they can)."""
    if branch.model.sizes != fresh.model.sizes or branch.model.activation != fresh.model.activation:
        return "the model's layers differ: a branch keeps the architecture of its run"
    if branch.batch_size != fresh.batch_size:
        return "the batch size differs: a branch keeps its run's batches"
    if branch.train.X.shape != fresh.train.X.shape or (branch.train.X != fresh.train.X).any():
        return "the data differ: a branch trains on its run's rows"
    return None


def adopt(branch, fresh):
    """Give ``branch`` the settings of ``fresh`` (a trainer built from the current choices).

    Returns ``branch``. Raises ValueError (see :func:`fits`) when the two cannot share weights.
    """
    problem = fits(branch, fresh)
    if problem:
        raise ValueError(problem)
    if optimizer_settings(branch.optimizer) != optimizer_settings(fresh.optimizer):
        branch.optimizer = fresh.optimizer
        branch.optimizer.reset()
    branch.loss = fresh.loss
    branch.model.l1, branch.model.l2 = fresh.model.l1, fresh.model.l2
    branch.line_search = fresh.line_search
    branch.schedule, branch.max_epochs = fresh.schedule, max(fresh.max_epochs, branch.epoch + 1)
    branch.set_lr(fresh.base_lr)
    return branch
