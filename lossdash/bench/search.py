"""Benchmark of the settings search: trials per second, one process against several.

``run()`` runs the same 64-trial random search (a 2-16-16-1 tanh MLP on 1,000 moons points, bce,
batch 32, 100 epochs; lr log-uniform over 1e-3..1, sgd or adam) sequentially, on a process pool
of 2 (its start included: every search opens its own pool) and on a 2-worker Dask LocalCluster
(the cluster's start shown apart: a cluster outlives its searches). It prints seconds, trials
per second and the speed-up over sequential, and checks the three tables agree. It prints
figures, never asserts them: machines are noisy.
"""

from __future__ import annotations

import time

import pandas as pd

from lossdash import config
from lossdash.explore import search

N_TRIALS = 64
WORKERS = 2
BASE = config.RunConfig(dataset="moons", n_samples=1000, noise=0.2, loss="bce", model="mlp",
                        hidden="16,16", batch_size=32, max_epochs=100)
SPACE = {"lr": search.Range(1e-3, 1.0), "optimizer": ["sgd", "adam"]}


def _timed(executor):
    start = time.perf_counter()
    table = search.run(BASE, SPACE, N_TRIALS, executor=executor, seed=0)
    return time.perf_counter() - start, table


def _dask():
    """(seconds to start the cluster, seconds of the search, table), or None without Dask."""
    try:
        import distributed
    except ImportError:
        return None
    start = time.perf_counter()
    with (
        distributed.LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True,
                                 dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        started = time.perf_counter() - start
        seconds, table = _timed(client.get_executor())
    return started, seconds, table


def _same(a, b):
    try:
        pd.testing.assert_frame_equal(a.drop(columns="seconds"), b.drop(columns="seconds"))
    except AssertionError:
        return "DIFFERENT"
    return "same"


def run():
    """Print seconds, trials/s and speed-up per executor; return the rows."""
    print(f"search: {N_TRIALS} trials of a 2-16-16-1 MLP on 1,000 points, batch 32, "
          f"{BASE.max_epochs} epochs; {search.default_workers()} cores here")
    print(f"{'executor':34s} {'seconds':>8s} {'trials/s':>9s} {'speed-up':>8s} {'table':>6s}")
    t_seq, seq = _timed("sequential")
    rows = [("sequential", t_seq, seq)]
    t_pool, pool = _timed(WORKERS)
    rows.append((f"process pool of {WORKERS} (start incl.)", t_pool, pool))
    dask = _dask()
    if dask is not None:
        rows.append((f"Dask LocalCluster, {WORKERS} workers", dask[1], dask[2]))
    for label, seconds, table in rows:
        print(f"{label:34s} {seconds:8.2f} {N_TRIALS / seconds:9.1f} {t_seq / seconds:7.2f}x "
              f"{_same(table, seq):>6s}")
    if dask is None:
        print("(no Dask: pip install 'lossdash[dask]')")
    else:
        print(f"(the LocalCluster took {dask[0]:.1f} s to start, not counted above)")
    return [(label, seconds) for label, seconds, _ in rows]


if __name__ == "__main__":
    run()
