"""Chart benchmark: milliseconds per live-dashboard chart after a long run.

``run()`` trains two runs for ``STEPS`` steps each and prints, per chart, the median time of
building the figure and serializing it the way ``st.plotly_chart`` does (``fig.to_dict()``,
then ``plotly.io.to_json(..., validate=False)``):

- linear regression, batch 1, SGD (parameters tracked one by one): ``loss_curve``,
  ``gradient_chart``, ``param_trajectories``, ``regression_fit``;
- 2-8-8-1 MLP on the spiral, BCE, batch 16, Adam (too many parameters to track, so weight
  snapshots): ``loss_curve``, ``gradient_chart``, ``weight_distributions``,
  ``decision_boundary``.

Streamlit is imported first because importing it makes its own Plotly template the default,
and every figure carries (and ``to_dict`` copies) the default template: about 1 ms of each
chart's time, and what the dashboard pays.

The dashboard redraws four charts per 0.2 s frame and keeps at least 70 % of the frame for
training, so each chart should take under ~6 ms. Printed, never asserted: machines are noisy.
"""

from __future__ import annotations

import statistics
import time

import plotly.io

from lossdash import config
from lossdash.charts import training as charts

STEPS = 100_000  # history rows: a long run, the slow case for the history charts
REPEATS = 20  # calls per chart; the median is printed
TARGET_MS = 6.0  # per chart: four of them in 30 % of a 0.2 s frame, with room to spare

CASES = {
    "linear": dict(batch_size=1, lr=0.1, max_epochs=10**6),
    "mlp": dict(dataset="spiral", model="mlp", loss="bce", batch_size=16, optimizer="adam",
                lr=0.01, max_epochs=10**6),
}


def trained(case: str, steps: int = STEPS):
    """``(trainer, train, val)`` after ``steps`` steps of the run ``CASES[case]``."""
    cfg = config.RunConfig(**CASES[case])
    train, val, _ = config.prepare(cfg, config.make_dataset(cfg))
    trainer = config.build_trainer(cfg, train, val)
    trainer.run_steps(steps)
    return trainer, train, val


def builders(trainer, train, val) -> dict:
    """Chart name -> zero-argument function building it as ``lossdash.ui.train_view`` does."""
    history, model, loss = trainer.history, trainer.model, trainer.loss
    built = {
        "loss_curve": lambda: charts.loss_curve(history, 0.6, True, "step"),
        "gradient_chart": lambda: charts.gradient_chart(history),
    }
    if trainer.track_params:
        built["param_trajectories"] = lambda: charts.param_trajectories(
            history, model.param_names())
    else:
        steps, thetas = trainer.snapshots()
        built["weight_distributions"] = lambda: charts.weight_distributions(
            steps, thetas, model.layout)
    if train.task == "classification":
        built["decision_boundary"] = lambda: charts.decision_boundary(
            train, val, lambda X: loss.proba(model.forward(X)))
    else:
        built["regression_fit"] = lambda: charts.regression_fit(train, val, model.forward)
    return built


def drawn(build) -> str:
    """Build a figure and serialize it as Streamlit does; returns the JSON spec."""
    return plotly.io.to_json(build().to_dict(), validate=False)


def median_ms(build, repeats: int = REPEATS) -> float:
    """Median milliseconds of ``drawn(build)`` over ``repeats`` calls, after one warm-up."""
    drawn(build)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        drawn(build)
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def run(steps: int = STEPS, repeats: int = REPEATS) -> dict:
    """Print the median ms (and JSON size) per chart for both cases; returns ``{name: ms}``."""
    import streamlit  # noqa: F401  (sets Plotly's default template to Streamlit's, as in the app)

    print(f"charts: median of {repeats} builds + to_dict + to_json, {steps:,}-step histories "
          f"(target < {TARGET_MS:g} ms each; template {plotly.io.templates.default!r})")
    results = {}
    for case in CASES:
        built = builders(*trained(case, steps))
        for name, build in built.items():
            ms = median_ms(build, repeats)
            kb = len(drawn(build)) / 1000
            results[f"{case}/{name}"] = ms
            flag = "" if ms < TARGET_MS else "  (over target)"
            print(f"  {case:6s} {name:22s} {ms:7.2f} ms  {kb:7.1f} kB{flag}")
    return results


if __name__ == "__main__":
    run()
