"""The trainer: it finds known answers, is reproducible and resumable, and fails cleanly."""

import warnings

import numpy as np
import pandas as pd
import pytest

from lossdash import config, data, engine, losses, models, optimizers, schedules
from lossdash.engine import HIGH_FACTOR, MAX_SNAPSHOTS, STAY_STEPS, Trainer


def regression_set(n=200, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ np.array([1.5, -2.0, 0.5]) + 0.7 + 0.1 * rng.normal(size=n)
    return data.Dataset(X, y, "regression")


def trainer_for(dataset, loss="mse", opt="sgd", lr=0.1, kind="linear", hidden=(), **kw):
    loss_obj = losses.get(loss)
    k = dataset.n_classes if loss == "cross_entropy" else 1
    model = models.make(kind, dataset.n_features, n_outputs=k, hidden=hidden, seed=0)
    return Trainer(model, loss_obj, optimizers.get(opt, lr), dataset, **kw)


def test_full_batch_gd_on_mse_reaches_least_squares():
    ds = regression_set()
    t = trainer_for(ds, lr=0.2, max_epochs=20_000, tol=0.0, gtol=1e-9)
    t.run_epochs(20_000)
    assert t.status == "converged" and t.history["grad_norm"].iloc[-1] < 1e-9
    A = np.hstack([ds.X, np.ones((ds.n_samples, 1))])
    exact, *_ = np.linalg.lstsq(A, ds.y, rcond=None)
    np.testing.assert_allclose(t.model.theta, exact, atol=1e-6)


def test_seed_linear_demo_finds_w_3_and_b_half():
    ds = data.generate("seed_linear", n_samples=100, seed=0)
    t = trainer_for(ds, lr=0.5, max_epochs=5000)
    t.run_epochs(5000)
    w, b = t.model.params["W1"][0, 0], t.model.params["b1"][0]
    assert w == pytest.approx(3.0, abs=0.25)
    assert b == pytest.approx(0.5, abs=0.15)
    A = np.hstack([ds.X, np.ones((100, 1))])
    np.testing.assert_allclose([w, b], np.linalg.lstsq(A, ds.y, rcond=None)[0], atol=1e-5)


def test_logistic_regression_separates_gaussian_blobs():
    ds = data.generate("gauss", n_samples=300, noise=0.0, seed=1)
    t = trainer_for(ds, loss="bce", lr=0.5, max_epochs=300)
    t.run_epochs(300)
    assert t.evaluate()[1] > 0.95


def test_small_mlp_learns_the_circle():
    ds = data.generate("circle", n_samples=300, noise=0.0, seed=2)
    t = trainer_for(
        ds,
        loss="bce",
        opt="adam",
        lr=0.03,
        kind="mlp",
        hidden=(8, 8),
        batch_size=32,
        max_epochs=300,
    )
    t.run_epochs(300)
    assert t.evaluate()[1] > 0.95


def test_softmax_mlp_learns_three_blobs():
    ds = data.generate("blobs", n_samples=300, seed=3)
    t = trainer_for(
        ds, loss="cross_entropy", opt="adam", lr=0.05, kind="mlp", hidden=(8,), max_epochs=200
    )
    t.run_epochs(200)
    assert t.evaluate()[1] > 0.95


def test_same_seed_gives_the_same_history():
    ds = data.generate("moons", n_samples=200, noise=0.1, seed=0)
    runs = []
    for _ in range(2):
        t = trainer_for(
            ds, loss="bce", opt="momentum", lr=0.1, kind="mlp", hidden=(4,), batch_size=16, seed=5
        )
        t.run_epochs(5)
        runs.append(t.history)
    assert runs[0].equals(runs[1])


def test_pause_and_resume_equals_one_long_run():
    ds = regression_set()
    one = trainer_for(ds, opt="adam", lr=0.05, batch_size=32, seed=1)
    one.run_steps(40)
    two = trainer_for(ds, opt="adam", lr=0.05, batch_size=32, seed=1)
    two.run_steps(13)
    two.run_steps(27)
    assert one.history.equals(two.history)
    np.testing.assert_array_equal(one.model.theta, two.model.theta)


def test_every_row_is_seen_once_per_epoch():
    ds = regression_set(n=50)
    t = trainer_for(ds, batch_size=16)
    seen = []
    for _ in range(t.steps_per_epoch):
        Xb, _ = t._next_batch()
        seen.append(Xb)
        t.step_count += 1
    assert t.steps_per_epoch == 4
    rows = np.vstack(seen)
    assert rows.shape == ds.X.shape
    np.testing.assert_array_equal(np.sort(rows, axis=0), np.sort(ds.X, axis=0))


def test_lr_50_on_seed_linear_diverges_without_warnings():
    ds = data.generate("seed_linear", n_samples=100, seed=0)
    t = trainer_for(ds, lr=50.0, max_epochs=1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t.run_epochs(1000)
    assert t.status == "diverged"
    assert "smaller" in t.message and "learning rate" in t.message
    h = t.history
    plotted = h[["loss", "train_loss", "grad_norm", "update_norm", "lr"]].to_numpy()
    assert np.isfinite(plotted).all()
    assert np.isfinite(t.model.theta).all()
    assert len(h) < 1000


def test_divergence_to_overflow_is_caught_for_every_optimizer():
    ds = data.generate("seed_linear", n_samples=100, seed=0)
    for name in optimizers.names():
        t = trainer_for(ds, opt=name, lr=100.0, max_epochs=3000)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            t.run_epochs(3000)
        assert np.isfinite(t.history.drop(columns=["eval"]).to_numpy()).all(), name


def test_max_epochs_ends_the_run():
    ds = regression_set()
    t = trainer_for(ds, lr=0.001, batch_size=50, max_epochs=3)
    t.run_steps(100)
    assert t.status == "max_epochs"
    assert t.step_count == 3 * 4
    assert t.step() is None


def test_run_epochs_trains_every_epoch_asked_for_even_past_max_epochs():
    ds = regression_set()
    t = trainer_for(ds, lr=0.001, batch_size=50, max_epochs=3)
    t.run_epochs(10)
    assert t.step_count == 10 * 4 and t.max_epochs == 10 and t.status == "max_epochs"
    t.run_epochs(2)  # a run that stopped at its limit resumes when asked
    assert t.step_count == 12 * 4 and t.status == "max_epochs"


def test_classic_demo_run_for_3000_epochs_reaches_least_squares():
    """The README's demo: the default max_epochs (100) must not cut an explicit 3000 short."""
    ds = data.generate("seed_linear", n_samples=100, seed=0)
    t = Trainer(models.make("linear", 1), losses.get("mse"), optimizers.get("sgd", 0.5), ds)
    t.run_epochs(3000)
    assert t.epoch == 3000 or t.status == "converged"
    A = np.hstack([ds.X, np.ones((100, 1))])
    np.testing.assert_allclose(t.model.theta, np.linalg.lstsq(A, ds.y, rcond=None)[0], atol=1e-4)


def test_history_columns_and_eval_rows():
    ds = regression_set(n=100)
    train, val = data.split(ds, 0.2, seed=0)
    t = trainer_for(train, batch_size=20, val=val)
    t.run_epochs(3)
    h = t.history
    for col in (
        "step",
        "epoch",
        "loss",
        "train_loss",
        "val_loss",
        "grad_norm",
        "update_norm",
        "lr",
        "train_metric",
        "val_metric",
        "W1[0,0]",
        "b1[0]",
    ):
        assert col in h.columns
    assert h["step"].tolist() == list(range(1, 13))
    assert h.loc[h["eval"], "step"].tolist() == [1, 5, 9]  # first step of each epoch
    assert h["epoch"].iloc[-1] == pytest.approx(3.0)


def test_first_row_records_the_initial_loss_and_weights():
    ds = regression_set()
    t = trainer_for(ds, lr=0.1)
    theta0 = t.model.theta.copy()
    row = t.step()
    assert row["loss"] == pytest.approx(
        losses.get("mse").value(ds.y, ds.X @ theta0[:3] + theta0[3])
    )
    assert row["train_loss"] == pytest.approx(row["loss"])
    assert row["W1[0,0]"] == theta0[0]
    assert row["update_norm"] == pytest.approx(0.1 * row["grad_norm"])


def test_reset_restores_the_start():
    ds = regression_set()
    t = trainer_for(ds, opt="adam", lr=0.1, batch_size=10)
    theta0 = t.model.theta.copy()
    t.run_steps(30)
    first = t.history.copy()
    t.reset()
    assert t.step_count == 0 and len(t.history) == 0
    np.testing.assert_array_equal(t.model.theta, theta0)
    t.run_steps(30)
    assert first.equals(t.history)


def test_lr_change_while_paused_takes_effect():
    ds = regression_set()
    t = trainer_for(ds, lr=0.1)
    t.run_steps(5)
    t.set_lr(0.01)
    t.run_steps(5)
    assert t.history["lr"].tolist() == [0.1] * 5 + [0.01] * 5


def test_schedule_sets_lr_by_completed_epoch():
    ds = regression_set(n=40)
    t = trainer_for(
        ds, lr=0.1, batch_size=20, schedule=schedules.get("step", step_size=2, gamma=0.5)
    )
    t.run_epochs(5)
    per_epoch = t.history["lr"].to_numpy()[::2]
    np.testing.assert_allclose(per_epoch, [0.1, 0.1, 0.05, 0.05, 0.025])


def test_armijo_line_search_never_increases_the_loss():
    ds = regression_set()
    t = trainer_for(ds, lr=10.0, line_search=True, max_epochs=50)  # 10 alone would diverge
    t.run_epochs(50)
    losses_ = t.history["loss"].to_numpy()
    assert t.status != "diverged"
    assert np.all(np.diff(losses_) <= 1e-12)
    assert t.history["lr"].max() < 10.0


def test_large_model_keeps_bounded_weight_snapshots():
    ds = regression_set(n=64)
    t = trainer_for(ds, kind="mlp", hidden=(16, 16), lr=0.01, batch_size=8, max_epochs=10_000)
    assert not t.track_params
    t.run_epochs(2 * MAX_SNAPSHOTS)
    steps, thetas = t.snapshots()
    assert len(steps) < MAX_SNAPSHOTS and thetas.shape[1] == t.model.n_params
    assert steps[0] == 0 and np.all(np.diff(steps) > 0)


def test_regression_metric_is_r2_and_classification_metric_is_accuracy():
    ds = regression_set()
    t = trainer_for(ds, lr=0.2, max_epochs=2000)
    t.run_epochs(2000)
    assert t.evaluate()[1] == pytest.approx(
        1 - np.var(ds.y - t.model.forward(ds.X)) / np.var(ds.y), rel=1e-9
    )


# ------------------------------------------------------------------ stops that tell the truth
def config_trainer(**changes):
    cfg = config.RunConfig(**changes)
    train, val, _ = config.prepare(cfg, config.make_dataset(cfg))
    return config.build_trainer(cfg, train, val)


def test_a_vanishing_minibatch_gradient_is_not_convergence():
    """The reported case: batch 3's gradient is 2e-15 while the full loss has risen."""
    t = config_trainer(dataset="moons", noise=0.1, n_samples=200, loss="bce",
                       optimizer="rmsprop", lr=1.0, batch_size=1)
    t.run_steps(3)
    assert t.history["grad_norm"].iloc[-1] < t.gtol
    assert t.status == "running"


def test_a_minibatch_run_never_converges_above_its_start():
    t = config_trainer(dataset="moons", noise=0.1, n_samples=200, loss="bce",
                       optimizer="rmsprop", lr=1.0, batch_size=1, max_epochs=20)
    t.run_epochs(20)
    start = t.history["train_loss"].iloc[0]
    assert t.status != "converged" or t.evaluate()[0] <= start


def test_a_run_that_settles_above_its_start_is_reported_stuck():
    ds = regression_set()
    t = trainer_for(ds, lr=1.2, tol=10.0)  # lr 1.2 overshoots; tol 10: settled at step 2
    t.run_steps(5)
    h = t.history
    assert h["loss"].iloc[1] > h["loss"].iloc[0]
    assert t.status == "diverged" and t.step_count == 2
    assert "stuck" in t.message and "try 0.12 or smaller" in t.message


def test_full_batch_gd_settling_below_its_start_converges():
    ds = regression_set()
    t = trainer_for(ds, lr=0.1, tol=1e-3, max_epochs=10_000)
    t.run_epochs(10_000)
    assert t.status == "converged" and t.history["loss"].iloc[-1] < t.history["loss"].iloc[0]


def test_linear_mse_on_polynomial_at_lr_1_stops_diverging_before_1e5():
    t = config_trainer(dataset="polynomial", lr=1.0)
    t.run_steps(1000)
    h = t.history
    assert t.status == "diverged" and len(h) < 200
    assert h["loss"].max() < 1e5 and h["loss"].iloc[-1] > HIGH_FACTOR * h["loss"].iloc[0]
    assert "learning rate 1 is too large" in t.message and "0.1 or smaller" in t.message
    assert np.isfinite(t.model.theta).all()


def test_a_minibatch_blow_up_is_caught_on_the_full_loss():
    t = config_trainer(dataset="polynomial", lr=1.0, batch_size=16)
    t.run_steps(3000)
    assert t.status == "diverged"
    assert t.evaluate()[0] > HIGH_FACTOR * t.history["train_loss"].iloc[0]
    assert t.history["loss"].max() < 1e5


def test_a_spike_that_comes_back_is_not_divergence():
    """Adam's first steps at lr 0.5 overshoot (the loss jumps far up) and then recover."""
    ds = regression_set()
    t = trainer_for(ds, opt="adam", lr=0.5, max_epochs=400)
    t.run_epochs(400)
    assert t.status != "diverged"
    assert t.history["loss"].iloc[-1] < t.history["loss"].iloc[0]


MATRIX_SETS = {
    "regression": data.generate("polynomial", n_samples=200, noise=0.1, seed=0),
    "classification": data.generate("moons", n_samples=200, noise=0.1, seed=0),
}
MATRIX = [(kind, loss, opt) for kind in ("linear", "mlp") for loss in losses.names()
          for opt in optimizers.names()]


def matrix_trainer(kind, loss, opt, lr):
    ds = MATRIX_SETS[losses.get(loss).task]
    k = ds.n_classes if loss == "cross_entropy" else 1
    model = models.make(kind, ds.n_features, n_outputs=k,
                        hidden=(8,) if kind == "mlp" else (), seed=0)
    return Trainer(model, losses.get(loss), optimizers.get(opt, lr), ds, max_epochs=10**6)


def run_quietly(trainer, steps):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trainer.run_steps(steps)
    return trainer.history


@pytest.mark.parametrize(("kind", "loss", "opt"), MATRIX, ids=["-".join(m) for m in MATRIX])
def test_huge_learning_rates_stop_within_50_steps(kind, loss, opt):
    for lr in (1e3, 1e6):
        t = matrix_trainer(kind, loss, opt, lr)
        h = run_quietly(t, 50)
        assert t.status in ("diverged", "converged"), (lr, t.status)
        if t.status == "diverged":
            assert "smaller" in t.message
        else:  # adagrad's shrinking steps may bring it back: then it settles below its start
            assert h["train_loss"].iloc[-1] <= h["train_loss"].iloc[0]
        assert np.isfinite(h.drop(columns=["eval"]).to_numpy()).all()
        assert np.isfinite(t.model.theta).all()


@pytest.mark.parametrize(("kind", "loss", "opt"), MATRIX, ids=["-".join(m) for m in MATRIX])
def test_lr_10_never_keeps_running_far_above_its_start(kind, loss, opt):
    t = matrix_trainer(kind, loss, opt, 10.0)
    h = run_quietly(t, 500)
    assert np.isfinite(h.drop(columns=["eval"]).to_numpy()).all()
    start, recent = h["loss"].iloc[0], h["loss"].to_numpy()[-STAY_STEPS:]
    assert t.status != "running" or not (recent > HIGH_FACTOR * start).all()
    assert t.status != "converged" or h["train_loss"].iloc[-1] <= start


# --------------------------------------------------------------------------- bounded history
@pytest.fixture
def small_history(monkeypatch):
    """History limits 100x smaller, so a few thousand steps show what a million would."""
    monkeypatch.setattr(engine, "MAX_ROWS", 200)
    monkeypatch.setattr(engine, "RECENT_ROWS", 50)
    monkeypatch.setattr(engine, "OLD_ROWS", 50)


def long_run(steps, batch_size=None, eval_every=None):
    ds = regression_set(n=40)
    t = trainer_for(ds, lr=1e-4, batch_size=batch_size, eval_every=eval_every,
                    max_epochs=10**9, tol=-1.0, gtol=0.0)
    t.run_steps(steps)
    return t


def test_history_rows_stay_bounded_over_a_long_run(small_history):
    t = long_run(20_000)
    assert t.step_count == 20_000 and t.thinned
    assert t._rows.shape[0] == 200 and len(t.history) <= 200


def test_thinning_keeps_the_recent_steps_whole_and_the_first_row(small_history):
    t = long_run(5_000)
    steps = t.history["step"].to_numpy()
    assert steps[0] == 1
    np.testing.assert_array_equal(steps[-50:], np.arange(4_951, 5_001))
    assert np.all(np.diff(steps) > 0)


def test_thinned_rows_equal_the_rows_of_an_unthinned_run(small_history):
    thin = long_run(1_000).history
    engine.MAX_ROWS = 10**6  # the same run, nothing dropped
    whole = long_run(1_000).history.set_index("step")
    assert list(thin.columns) == list(whole.reset_index().columns)
    pd.testing.assert_frame_equal(thin.set_index("step"), whole.loc[thin["step"]])


def test_thinning_keeps_every_evaluation_of_a_minibatch_run(small_history):
    t = long_run(1_000, batch_size=10, eval_every=40)  # 25 evaluations: under the budget
    assert t.thinned and len(t.history) < 1_000
    evals = t.history.loc[t.history["eval"], "step"].tolist()
    assert evals == list(range(1, 1_000, 40))


def test_a_tracked_models_snapshots_follow_the_thinned_history(small_history):
    t = long_run(2_000)
    steps, thetas = t.snapshots()
    np.testing.assert_array_equal(steps, t.history["step"].to_numpy() - 1)
    assert thetas.shape == (len(t.history), t.model.n_params)
