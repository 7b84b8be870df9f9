"""What went wrong with a run, why, and the one change that fixes it.

:func:`diagnose` reads a run's history, its config and its data (no Streamlit, no trainer) and
returns a list of :class:`Advice`, most urgent first. Each names what it saw in numbers and
carries an ``action``: the settings to change (RunConfig fields) plus, where it matters,
``"reset": True`` (back to the initial weights, then play) or ``"rewind": step`` (continue from
the state after that many steps). The dashboard turns each into a message and a button.

The diagnoses:

- ``diverged``: retry at a rate under the stability line ``2 / lambda_max`` at the start
  (:mod:`lossdash.explore.stability`), else the LR finder's suggestion, else a tenth.
- ``scales``: feature standard deviations differing by more than ``SCALE_RATIO``: one rate
  cannot suit them all (the steep direction diverges while the flat one crawls): standardize.
- ``oscillation``: the loss going up and down step after step (the sign of its change flips in
  at least ``FLIP_SHARE`` of the last ``WINDOW`` steps): the rate sits near the line; halve it.
- ``overfitting``: the validation loss rising for ``OVERFIT_EVALS`` evaluations after its best
  while the train loss kept falling: rewind to the best epoch.
- ``symmetry``: an MLP started from zeros: every neuron of a layer gets the same gradient and
  stays identical to its neighbours; random init breaks the tie.
- ``poor``: it converged (or ran out of epochs) with accuracy or R^2 under ``POOR_METRIC``:
  a linear model on curved data, or too small a network.
- ``converged`` / ``max_epochs``: what happened, when nothing above applies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from lossdash.explore.stability import nice_below

SCALE_RATIO = 10.0  # feature std ratios above this call for standardizing
WINDOW = 12  # steps (or evaluations, with mini-batches) the oscillation test looks at
FLIP_SHARE = 0.8  # ... of which at least this share must flip the loss' direction
FLIP_SIZE = 1e-3  # ... by more than this relative change (not rounding noise at a minimum)
OVERFIT_EVALS = 5  # evaluations of rising validation loss that make overfitting
OVERFIT_RISE = 0.01  # ... by more than this relative to the best
POOR_METRIC = 0.8  # accuracy or R^2 below this is not a success
LINE_MARGIN = 0.9  # a retry rate sits this far under the stability line
RELU_LIKE = ("relu", "leaky_relu")
MAX_EPOCHS = 100_000  # the config's limit


@dataclass(frozen=True)
class Advice:
    """One diagnosis: ``level`` (error, warning, info, success), the text, and the fix."""

    kind: str
    level: str
    text: str
    label: str | None = None  # the button's words
    action: dict = field(default_factory=dict)  # settings to write, "reset", "rewind"


# --------------------------------------------------------------------------- the rules
def retry_rate(lr, line=None, suggestion=None):
    """A learning rate to retry a diverged run with: under the stability line if there is
    one (and it is below ``lr``), else the LR finder's suggestion, else ``lr / 10``."""
    if line is not None and math.isfinite(line) and line > 0:
        rate = nice_below(LINE_MARGIN * line)
        if rate < lr:
            return rate
    if suggestion is not None and math.isfinite(suggestion) and 0 < suggestion < lr:
        return float(f"{suggestion:.2g}")
    return nice_below(lr / 10)


def diverged(message, lr, line=None, suggestion=None):
    """Advice for a diverged run."""
    what = message.split(". ")[0].rstrip(".") + "." if message else "Training diverged."
    rate = retry_rate(lr, line, suggestion)
    if line is not None and math.isfinite(line) and lr > line:
        why = (f" The rate {lr:g} is above the stability line at the start, lr < 2/λmax ≈ "
               f"{line:.3g}: along the steepest direction every step overshoots the minimum "
               "by more than it corrects.")
    elif line is not None and math.isfinite(line):
        why = (f" The rate {lr:g} was under the stability line at the start ({line:.3g}), but "
               "the loss surface grew sharper as it trained (or the mini-batches are noisy).")
    else:
        why = f" The rate {lr:g} is too large for this problem."
    return Advice("diverged", "error", f"{what}{why} Reset to the initial weights and retry at "
                  f"lr = {rate:g}.", f"Reset and retry at lr = {rate:g}",
                  {"lr": rate, "reset": True})


def feature_scales(X, names):
    """``(ratio, widest, narrowest)`` of the features' standard deviations (ratio 1 if < 2)."""
    std = np.asarray(X, dtype=float).std(axis=0)
    used = np.flatnonzero(std > 0)
    if used.size < 2:
        return 1.0, None, None
    hi, lo = used[np.argmax(std[used])], used[np.argmin(std[used])]
    return float(std[hi] / std[lo]), (names[hi], std[hi]), (names[lo], std[lo])


def scales(X, names, urgent=False):
    """Advice to standardize when feature scales differ more than ``SCALE_RATIO`` times."""
    ratio, widest, narrowest = feature_scales(X, names)
    if ratio <= SCALE_RATIO:
        return None
    (wide, s_wide), (narrow, s_narrow) = widest, narrowest
    return Advice("scales", "warning" if urgent else "info",
                  f"The features' scales differ {ratio:,.0f}x ('{wide}' has std {s_wide:.3g}, "
                  f"'{narrow}' {s_narrow:.3g}): a rate small enough for the widest feature "
                  "barely moves the narrowest. Standardize them (mean 0, std 1), and one rate "
                  "suits every direction.", "Standardize features", {"standardize": True})


def flip_share(values):
    """Share of consecutive changes in ``values`` whose direction reverses (0 to 1)."""
    diffs = np.diff(np.asarray(values, dtype=float))
    if diffs.size < 2:
        return 0.0
    return float(np.mean(np.sign(diffs[1:]) * np.sign(diffs[:-1]) < 0))


def oscillation(losses, lr):
    """Advice to halve the rate when the last ``WINDOW`` losses go up and down."""
    recent = np.asarray(losses, dtype=float)[-(WINDOW + 1):]
    if recent.size <= WINDOW or not np.all(np.isfinite(recent)):
        return None
    size = np.abs(np.diff(recent)).mean() / max(np.abs(recent).mean(), 1e-300)
    if flip_share(recent) < FLIP_SHARE or size < FLIP_SIZE:
        return None
    half = lr / 2
    return Advice("oscillation", "warning",
                  f"The loss goes up and down step after step: each step jumps across the "
                  f"valley instead of down it, a sign that lr = {lr:g} sits near the stability "
                  f"line. Half the rate, {half:g}, walks down instead (the run continues from "
                  "here).", f"Halve the rate: lr = {half:g}", {"lr": half})


def best_epoch(evals):
    """``(step, epoch, val_loss)`` of the lowest validation loss among evaluation rows."""
    i = int(np.nanargmin(evals["val_loss"].to_numpy()))
    row = evals.iloc[i]
    return int(row["step"]), float(row["epoch"]), float(row["val_loss"])


def overfitting(evals):
    """Advice when the validation loss has risen for ``OVERFIT_EVALS`` evaluations since its
    best while the train loss kept falling. ``evals``: the history's evaluation rows."""
    if "val_loss" not in evals or len(evals) <= OVERFIT_EVALS or evals["val_loss"].isna().all():
        return None
    step, epoch, best = best_epoch(evals)
    val, train = evals["val_loss"].to_numpy(), evals["train_loss"].to_numpy()
    at_best = int(np.flatnonzero(evals["step"].to_numpy() == step)[0])
    since = len(evals) - 1 - at_best
    learned = best < val[0] * (1 - OVERFIT_RISE)  # it improved before it got worse
    if (not learned or since < OVERFIT_EVALS or val[-1] <= best * (1 + OVERFIT_RISE)
            or train[-1] >= train[at_best]):
        return None
    # The evaluation at step s measures the weights before that step: after s - 1 steps.
    return Advice("overfitting", "warning",
                  f"Overfitting: the validation loss was lowest at epoch {epoch:g} ({best:.4g}) "
                  f"and has risen for {since} evaluations since (now {val[-1]:.4g}), while the "
                  "train loss kept falling: the model is learning the training rows' noise. "
                  "The loss chart marks the best epoch. Go back to it, or add an L2 penalty.",
                  f"Rewind to epoch {epoch:g}", {"rewind": step - 1, "best_epoch": epoch})


def symmetry(activation):
    """Advice for an MLP whose weights all start at zero."""
    init = "he" if activation in RELU_LIKE else "xavier"
    return Advice("symmetry", "error",
                  "Every weight starts at zero, so every neuron of a hidden layer computes the "
                  "same output and receives the same gradient: they stay identical forever, and "
                  "the network acts like one neuron per layer (with tanh or relu it does not "
                  "learn at all; whatever 'converged' says). Random initial weights break the "
                  f"tie: {init} suits {activation}.", f"Use {init} initialisation",
                  {"init": init})


def wider(hidden):
    """``"8,8"`` -> ``"16,16"`` (doubled, at most 256 each)."""
    sizes = [int(s) for s in str(hidden).replace(";", ",").split(",") if s.strip()]
    return ",".join(str(min(2 * s, 256)) for s in sizes or [8])


def poor(task, metric, model, hidden):
    """Advice when a run stopped with accuracy or R^2 under ``POOR_METRIC``."""
    name = "accuracy" if task == "classification" else "R²"
    shown = f"{metric:.0%}" if task == "classification" else f"{metric:.2f}"
    if model == "linear":
        shape = "boundary" if task == "classification" else "line (or plane)"
        return Advice("poor", "warning",
                      f"It stopped improving, but it is not good: {name} {shown}. A straight "
                      f"{shape} cannot follow curved data. A neural net (MLP) can bend; so "
                      "can engineered features (x², x·y) on a linear model.",
                      "Switch to an MLP", {"model": "mlp"})
    bigger = wider(hidden)
    return Advice("poor", "warning",
                  f"It stopped improving, but it is not good: {name} {shown}. The network may "
                  f"be too small for this shape, or stuck on a plateau: try wider layers "
                  f"({bigger}), another activation, or more epochs.",
                  f"Try hidden layers {bigger}", {"hidden": bigger})


# --------------------------------------------------------------------------- all together
def diagnose(history, cfg, train, status, message="", metric=math.nan, line=None,
             suggestion=None):
    """Every diagnosis that applies to a run, most urgent first.

    Parameters
    ----------
    history : pandas.DataFrame
        The trainer's history (columns as :class:`lossdash.engine.Trainer` records them).
    cfg : lossdash.config.RunConfig
        The run's settings.
    train : lossdash.data.Dataset
        The training rows the model sees (after standardizing, when ``cfg.standardize``).
    status, message : str
        The trainer's status and message.
    metric : float
        Accuracy or R^2 now (validation rows if there are some).
    line : float or None
        The stable learning-rate bound at the start (None: unknown or adaptive optimizer).
    suggestion : float or None
        The LR range test's suggested rate, if one was run.

    Returns
    -------
    list of Advice
    """
    found = []
    mlp_zeros = cfg.model == "mlp" and cfg.init == "zeros"
    if mlp_zeros:
        found.append(symmetry(cfg.activation))
    if status == "diverged":
        found.append(diverged(message, cfg.lr, line, suggestion))
    if not cfg.standardize:
        found.append(scales(train.X, train.feature_names, urgent=status == "diverged"))
    if status != "diverged" and len(history):
        full_batch = cfg.batch_size == 0 or cfg.batch_size >= train.n_samples
        evals = history[history["eval"].astype(bool)]  # the raw rows hold eval as 0.0/1.0
        rows = history if full_batch else evals
        found.append(oscillation(rows["loss" if full_batch else "train_loss"], cfg.lr))
        found.append(overfitting(evals))
    if status in ("converged", "max_epochs") and not mlp_zeros:
        if math.isfinite(metric) and metric < POOR_METRIC:
            found.append(poor(train.task, metric, cfg.model, cfg.hidden))
    found = [a for a in found if a is not None]
    if status == "converged" and not mlp_zeros:
        level = "info" if any(a.kind == "poor" for a in found) else "success"
        found.append(Advice("converged", level, message))
    elif status == "max_epochs":
        more = min(2 * cfg.max_epochs, MAX_EPOCHS)
        found.append(Advice("max_epochs", "info", f"{message} The loss may still be falling: "
                            "train longer to see.", f"Continue to {more:,} epochs",
                            {"max_epochs": more}))
    return found
