"""Benchmark of the LR sweep: K rates on one extra array axis against K trainers in turn.

``run()`` prints, per case, the seconds of :func:`lossdash.lrfind.sweep_sequential` and of
:func:`lossdash.lrfind.sweep`, the speed-up, and the largest relative difference of their final
losses (they do the same arithmetic, so it should be ~1e-15). It prints figures, never asserts
them: machines are noisy.
"""

from __future__ import annotations

import time

import numpy as np

from lossdash import config
from lossdash.explore import lrfind

K_RATES = 16
EPOCHS = 50
CASES = {  # label -> RunConfig fields
    "linear, mse, seed_linear 500 pts, batch 32, sgd": dict(
        dataset="seed_linear", n_samples=500, loss="mse", batch_size=32, optimizer="sgd"
    ),
    "2-8-1 tanh MLP, bce, moons 500 pts, batch 32, adam": dict(
        dataset="moons", n_samples=500, noise=0.1, loss="bce", model="mlp", hidden="8",
        batch_size=32, optimizer="adam",
    ),
    "2-8-1 tanh MLP, bce, moons 500 pts, full batch, sgd": dict(
        dataset="moons", n_samples=500, noise=0.1, loss="bce", model="mlp", hidden="8",
        optimizer="sgd",
    ),
}


def _timed(fn, *args, **kw):
    """(seconds, result) of ``fn(*args, **kw)``."""
    start = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - start, out


def run(k=K_RATES, epochs=EPOCHS):
    """Print sequential vs vectorized seconds and the speed-up for every case; return the rows."""
    print(f"sweep: {k} learning rates x {epochs} epochs, sequential trainers vs one (K, P) stack")
    print(f"{'case':52s} {'sequential':>10s} {'vectorized':>10s} {'speed-up':>8s} {'max rel':>8s}")
    rows = []
    for label, fields in CASES.items():
        cfg = config.RunConfig(**fields)
        train, _, _ = config.prepare(cfg, config.make_dataset(cfg))
        lrs = lrfind.log_grid(1e-3, 10.0, k)
        lrfind.sweep(cfg, train, epochs=1, lrs=lrs)  # warm-up
        t_seq, seq = _timed(lrfind.sweep_sequential, cfg, train, epochs=epochs, lrs=lrs)
        t_vec, vec = _timed(lrfind.sweep, cfg, train, epochs=epochs, lrs=lrs)
        ok = ~seq.diverged
        with np.errstate(all="ignore"):
            rel = np.abs(vec.final_loss[ok] - seq.final_loss[ok]) / np.abs(seq.final_loss[ok])
        worst = float(rel.max()) if rel.size else float("nan")
        rows.append((label, t_seq, t_vec, t_seq / t_vec, worst))
        print(f"{label:52s} {t_seq:9.3f}s {t_vec:9.3f}s {t_seq / t_vec:7.1f}x {worst:8.1e}")
    return rows


if __name__ == "__main__":
    run()
