"""Memory benchmark (``python -m lossdash.bench memory``): one session's history and chart
payloads over a long run.

Trains the two runs of ``lossdash.bench.charts`` (linear regression at batch 1 with its weights
tracked column by column; a 2-8-8-1 MLP with weight snapshots) to 10,000, 100,000 and 1,000,000
steps and prints, at each mark: the rows the history keeps (``lossdash.engine.MAX_ROWS`` at
most: the last ``RECENT_ROWS`` whole, older ones thinned), the history buffer and its DataFrame
in MB, the JSON the live charts send (loss, gradients, weights) in KB, and the process's RSS.
Without the cap the buffer grew ~11 MB per 131,000 rows and kept growing.
"""

from __future__ import annotations

import time

import plotly.io

from lossdash import config
from lossdash.bench.charts import CASES
from lossdash.charts import training as charts

MARKS = (10_000, 100_000, 1_000_000)  # steps at which the figures are printed


def rss_mb() -> float:
    """This process's resident memory in MB (Linux; NaN elsewhere)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def payload_kb(trainer) -> float:
    """KB of JSON of the history charts the live view sends for this trainer."""
    history = trainer.history
    figs = [charts.loss_curve(history, 0.6, True, "step"), charts.gradient_chart(history)]
    if trainer.track_params:
        figs.append(charts.param_trajectories(history, trainer.model.param_names()))
    else:
        figs.append(charts.weight_distributions(*trainer.snapshots(), trainer.model.layout))
    return sum(len(plotly.io.to_json(f.to_dict(), validate=False)) for f in figs) / 1024


def bench_case(name: str, marks=MARKS) -> list[tuple]:
    cfg = config.RunConfig(**CASES[name])
    train, val, _ = config.prepare(cfg, config.make_dataset(cfg))
    trainer = config.build_trainer(cfg, train, val)
    trainer.tol, trainer.gtol = -1.0, 0.0  # a fixed-length run: no convergence stop
    rows, start = [], time.perf_counter()
    for mark in marks:
        trainer.run_steps(mark - trainer.step_count)
        history = trainer.history
        row = (name, trainer.step_count, len(history), trainer._rows.nbytes / 2**20,
               history.memory_usage(deep=True).sum() / 2**20, payload_kb(trainer), rss_mb(),
               time.perf_counter() - start)
        rows.append(row)
        print(f"{row[0]:7s} {row[1]:>10,d} {row[2]:>7,d} {row[3]:9.2f} {row[4]:9.2f} "
              f"{row[5]:10.0f} {row[6]:8.0f} {row[7]:8.0f}", flush=True)
    return rows


def run(marks=MARKS):
    print("memory: one session's history and chart payloads over a long run")
    print(f"{'run':7s} {'steps':>10s} {'rows':>7s} {'buf MB':>9s} {'df MB':>9s} "
          f"{'charts KB':>10s} {'RSS MB':>8s} {'time s':>8s}")
    return [row for name in CASES for row in bench_case(name, marks)]
