"""Landscape benchmarks: ``run()`` prints timings (``python -m lossdash.bench landscape``).

- exact: an 80 x 80 grid of the full objective on 10,000 points, for every regression loss
  (``seed_linear``) and every one-output classification loss (a one-feature classifier,
  label ``y > 2`` on the same points). Target: under 0.5 s each.
- random: a 41 x 41 filter-normalized random-direction grid for a 2-16-16-1 tanh MLP with BCE
  on 1,000 ``circle`` points. Target: under 1 s.

Each figure is the best of ``REPEATS`` runs (the least disturbed by other work on the machine);
the exact rows also show the whole ``exact_landscape`` call (range, minimum, path losses).
"""

from __future__ import annotations

import os
import time

import numpy as np

from lossdash import data, losses, models, optimizers
from lossdash.engine import Trainer
from lossdash.explore import landscape

REPEATS = 5
EXACT_TARGET, RANDOM_TARGET = 0.5, 1.0


def _best(fn, repeats=REPEATS):
    """Smallest wall time of ``repeats`` calls of ``fn`` (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _exact_trainers(n=10_000):
    """``{loss name: trainer}``: a 1-feature linear model, 30 full-batch SGD steps each."""
    reg = data.generate("seed_linear", n, 0.1, 0)
    cls = data.Dataset(reg.X, (reg.y > 2.0).astype(np.int64), "classification")
    names = losses.names("regression") + [
        name for name in losses.names("classification") if losses.get(name).n_outputs(2) == 1
    ]
    trainers = {}
    for name in names:
        loss = losses.get(name)
        train = reg if loss.task == "regression" else cls
        trainer = Trainer(models.make("linear", 1), loss, optimizers.get("sgd", 0.1), train)
        trainer.run_epochs(30)
        trainers[name] = trainer
    return trainers


def _time_exact(trainer, res):
    """``(grid seconds, whole exact_landscape seconds)`` for one trainer."""
    land = landscape.exact_landscape(trainer, res)
    m, d, loss = trainer.model, trainer.train, trainer.loss
    grid = _best(lambda: landscape.loss_grid(m, d.X, d.y, loss, land.xs, land.ys))
    whole = _best(lambda: landscape.exact_landscape(trainer, res), repeats=2)
    return grid, whole


def _mark(seconds, target):
    return "ok" if seconds < target else "SLOW"


def _load_note():
    """The 1-minute load average against the CPU count: busy machines inflate every figure."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not on every platform
        return ""
    cpus = os.cpu_count() or 1
    busy = " (busy: other work shares the CPUs, figures are inflated)" if load > 0.5 * cpus else ""
    return f"load average {load:.1f} on {cpus} CPU(s){busy}"


def run():
    """Print the exact-grid time per loss and the random-direction grid time."""
    note = _load_note()
    if note:
        print(note)
    res = landscape.EXACT_RESOLUTION
    print(f"landscape: exact {res} x {res} grid on 10,000 points "
          f"(best of {REPEATS}, {landscape.THREADS} thread(s), target < {EXACT_TARGET} s)")
    print(f"  {'loss':14s} {'grid':>8s} {'with path':>10s}")
    for name, trainer in _exact_trainers().items():
        grid, whole = _time_exact(trainer, res)
        print(f"  {name:14s} {grid:7.3f}s {whole:9.3f}s  {_mark(grid, EXACT_TARGET)}")

    res = landscape.RANDOM_RESOLUTION
    train = data.generate("circle", 1_000, 0.1, 0)
    model = models.make("mlp", 2, hidden=(16, 16))
    trainer = Trainer(model, losses.get("bce"), optimizers.get("adam", 0.01), train)
    trainer.run_epochs(50)
    seconds = _best(lambda: landscape.random_landscape(trainer, res), repeats=3)
    print(f"landscape: random directions {res} x {res}, 2-16-16-1 MLP ({model.n_params} "
          f"weights), 1,000 points: {seconds:.3f}s (target < {RANDOM_TARGET} s) "
          f"{_mark(seconds, RANDOM_TARGET)}")


if __name__ == "__main__":
    run()
