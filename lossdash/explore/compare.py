"""Compare runs side by side: one base config, up to eight variants, trained together.

Every variant is the base :class:`~lossdash.config.RunConfig` with a few fields changed
(``{"optimizer": "adam", "lr": 0.01}``). All variants train on the same prepared data, start from
the same initial weights (the model seed is shared, so models of the same shape get identical
weights) and draw the same batch order (the trainer seed is shared, so runs with the same batch
size see the very same rows at every step). The only difference between two runs is therefore
the setting that was changed.

:meth:`Comparison.step_all` advances the runs round-robin within a time budget, always the one
furthest behind in epochs first, so they stay level and a chart compares them at equal epochs.
A finished run can be pinned (:meth:`Comparison.pin`): its label and a copy of its history are
kept, to be drawn (dashed) under the next comparison.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lossdash import config

MAX_RUNS = 8  # the palette has eight colours; more curves are unreadable
EPOCH_QUANTUM = 0.25  # step_all lets the last run get at most this far ahead (in epochs)
SHARED_FIELDS = (  # what every run of a comparison must share: the data and the seed
    "dataset",
    "n_samples",
    "noise",
    "data_seed",
    "val_fraction",
    "standardize",
    "seed",
)
BARE_FIELDS = ("optimizer",)  # labels show these values alone ("adam"), others as "lr=0.01"
RESULT_COLUMNS = ["label", "status", "epoch", "train_loss", "val_loss", "metric"]


@dataclass
class PinnedRun:
    """A finished run kept for later comparisons: its label, settings and a history copy."""

    label: str
    history: pd.DataFrame
    status: str
    config: config.RunConfig


def _format(value):
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def label_for(base, variant):
    """A short label from the settings the variant names: ``"adam, lr=0.01"``.

    A named setting shows even when it equals the base's (the user chose to vary it, so "sgd"
    stands beside "adam"); ``batch_size`` reads "batch 32" or "full batch"; ``{}`` is "base".
    """
    parts = []
    for key, value in variant.items():
        if key in BARE_FIELDS:
            parts.append(_format(value))
        elif key == "batch_size":
            parts.append(f"batch {value}" if value else "full batch")
        else:
            parts.append(f"{key}={_format(value)}")
    return ", ".join(parts) or "base"


def _unique(labels):
    """Labels made unique by numbering repeats: "base", "base (2)"."""
    seen, out = {}, []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def variant_config(base, variant):
    """``base`` with ``variant``'s changes, every value checked like a URL or JSON setting.

    Raises
    ------
    ConfigError
        For an unknown setting, a value out of range, or a change to the data or the seed.
    """
    shared = [key for key in variant if key in SHARED_FIELDS and variant[key] != getattr(base, key)]
    if shared:
        raise config.ConfigError(
            f"runs in a comparison share the data and the seed, so {shared[0]!r} cannot change "
            "between them: set it once for all runs"
        )
    cfg, problems = config.from_dict({**base.to_dict(), **variant})
    if problems:
        raise config.ConfigError("; ".join(problems))
    return cfg


def _pinned_row(run):
    """A pinned run's results row, from its history's last evaluation (its weights are gone)."""
    h = run.history
    evaluated = h[h["eval"]] if len(h) else h
    last = evaluated.iloc[-1] if len(evaluated) else None

    def value(col):
        return float(last[col]) if last is not None and col in h else math.nan

    metric = "val_metric" if "val_metric" in h else "train_metric"
    epoch = float(h["epoch"].iloc[-1]) if len(h) else 0.0
    return (f"{run.label} (pinned)", run.status, epoch, value("train_loss"), value("val_loss"),
            value(metric))


class Comparison:
    """Up to :data:`MAX_RUNS` trainers on the same data, weights and batches.

    Parameters
    ----------
    base : RunConfig
        Settings every run starts from.
    variants : list of dict
        Changed fields per run, e.g. ``[{"optimizer": "sgd"}, {"optimizer": "adam", "lr": 0.01}]``;
        ``{}`` is the base itself.
    train, val : Dataset
        The prepared data (``config.prepare``), shared by every run.
    pinned : sequence of PinnedRun
        Runs kept from an earlier comparison, carried along for the charts.

    Attributes
    ----------
    configs, labels, trainers : lists, one entry per variant, in order.
    pinned : list of PinnedRun
    """

    def __init__(self, base, variants, train, val=None, pinned=()):
        variants = [dict(v) for v in variants]
        if not 1 <= len(variants) <= MAX_RUNS:
            raise config.ConfigError(
                f"compare 1 to {MAX_RUNS} runs at a time; got {len(variants)}"
            )
        self.base, self.train, self.val = base, train, val
        self.configs = [variant_config(base, v) for v in variants]
        self.labels = _unique([label_for(base, v) for v in variants])
        self.trainers = [config.build_trainer(cfg, train, val) for cfg in self.configs]
        self.pinned = list(pinned)
        self._check_shared_weights()

    def _check_shared_weights(self):
        """Models of the same shape and init must start from identical weights."""
        first = {}
        for trainer in self.trainers:
            key = (trainer.model.sizes, trainer.model.init)
            ref = first.setdefault(key, trainer.initial_theta)
            if not np.array_equal(ref, trainer.initial_theta):
                raise RuntimeError("runs of the same architecture got different initial weights")

    def __len__(self):
        return len(self.trainers)

    @property
    def done(self):
        return all(t.done for t in self.trainers)

    def step_all(self, seconds):
        """Train the runs round-robin for about ``seconds``; returns the steps each one took.

        Each turn goes to the running trainer with the fewest epochs, which trains until it is
        ``EPOCH_QUANTUM`` epochs ahead of where it was (at least one step), so the runs never
        drift apart by more than that.
        """
        deadline = time.perf_counter() + seconds
        taken = [0] * len(self.trainers)
        while True:
            left = deadline - time.perf_counter()
            running = [i for i, t in enumerate(self.trainers) if not t.done]
            if left <= 0 or not running:
                return taken
            i = min(running, key=lambda j: self.trainers[j].epoch)
            t = self.trainers[i]
            n = max(1, math.ceil(EPOCH_QUANTUM * t.steps_per_epoch))
            taken[i] += t.run_for(left, max_steps=n)

    def metric_name(self):
        """"accuracy" for classification, "R²" for regression."""
        return "accuracy" if self.train.task == "classification" else "R²"

    def results(self):
        """One row per run: label, status, epoch, train_loss, val_loss, metric (at the weights
        it has now; the metric is on the validation set when there is one, else on train),
        then one per pinned run from its history's last evaluation."""
        rows = []
        for label, t in zip(self.labels, self.trainers, strict=True):
            train_loss, train_metric = t.evaluate(self.train)
            if self.val is not None:
                val_loss, metric = t.evaluate(self.val)
            else:
                val_loss, metric = math.nan, train_metric
            rows.append((label, t.status, t.epoch, train_loss, val_loss, metric))
        rows += [_pinned_row(run) for run in self.pinned]
        return pd.DataFrame(rows, columns=RESULT_COLUMNS)

    def histories(self):
        """``[(label, history DataFrame), ...]`` of the live runs, for the charts."""
        return [(label, t.history) for label, t in zip(self.labels, self.trainers, strict=True)]

    def pin(self, index):
        """Keep run ``index`` (its label, config and a copy of its history) in :attr:`pinned`."""
        t = self.trainers[index]
        run = PinnedRun(self.labels[index], t.history.copy(), t.status, self.configs[index])
        self.pinned.append(run)
        return run
