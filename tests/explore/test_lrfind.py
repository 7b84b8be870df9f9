"""LR range test and LR sweep: the ramp, the suggestion, and vectorized == sequential."""

import numpy as np
import pytest

from lossdash import config, optimizers, schedules
from lossdash.explore.lrfind import (
    STOP_FACTOR,
    debiased_ema,
    log_grid,
    lr_find,
    sweep,
    sweep_sequential,
)

LINEAR = dict(dataset="seed_linear", loss="mse", optimizer="sgd")  # full batch by default
MOONS_MLP = dict(dataset="moons", n_samples=200, noise=0.1, loss="bce", model="mlp", hidden="8")


def prepared(**fields):
    cfg = config.RunConfig(**fields)
    train, val, _ = config.prepare(cfg, config.make_dataset(cfg))
    return cfg, train


# ------------------------------------------------------------------ helpers


def test_log_grid_is_geometric_and_includes_both_ends():
    np.testing.assert_allclose(log_grid(1e-3, 10.0, 5), [1e-3, 1e-2, 1e-1, 1.0, 10.0])


def test_log_grid_refuses_an_empty_range():
    with pytest.raises(ValueError, match="0 < lowest < highest"):
        log_grid(1.0, 0.1, 5)


def test_debiased_ema_is_the_weighted_mean_of_the_values_so_far():
    # beta = 0.5: s_2 = (0.5 * 1 + 2) / (0.5 + 1), s_3 = (0.25 + 1 + 3) / 1.75
    np.testing.assert_allclose(debiased_ema([1.0, 2.0, 3.0], 0.5), [1.0, 2.5 / 1.5, 4.25 / 1.75])


@pytest.mark.parametrize("name", list(optimizers.REGISTRY))
def test_optimizer_updates_a_stack_with_one_rate_per_row(name):
    """The sweep's assumption: lr of shape (K, 1) broadcasts, rows never mix."""
    rng = np.random.default_rng(0)
    lrs = np.array([0.01, 0.1, 0.5])
    theta0, grads = rng.normal(size=(3, 4)), [rng.normal(size=(3, 4)) for _ in range(3)]
    stack = optimizers.get(name, 1.0, weight_decay=0.01)
    stack.lr = lrs[:, None]
    thetas = theta0.copy()
    for g in grads:
        stack.step({"theta": thetas}, {"theta": g})
    for k, lr in enumerate(lrs):
        one, theta = optimizers.get(name, lr, weight_decay=0.01), theta0[k].copy()
        for g in grads:
            one.step({"theta": theta}, {"theta": g[k].copy()})
        np.testing.assert_allclose(thetas[k], theta, rtol=1e-14, atol=1e-15)


# ------------------------------------------------------------------ range test


def test_lr_find_ramps_the_rate_geometrically_from_lr_min():
    cfg, train = prepared(**LINEAR)
    result = lr_find(cfg, train, lr_min=1e-5, lr_max=100.0, n_steps=60)
    np.testing.assert_allclose(result.lrs, log_grid(1e-5, 100.0, 60)[: len(result.lrs)])


def test_lr_find_stops_once_the_smoothed_loss_passes_four_times_its_minimum():
    cfg, train = prepared(**LINEAR)
    result = lr_find(cfg, train)
    assert result.stopped == "diverged" and len(result.lrs) < 100
    assert result.smoothed[-1] > STOP_FACTOR * result.smoothed[:-1].min()
    assert (result.smoothed[:-1] <= STOP_FACTOR * np.minimum.accumulate(result.smoothed[:-1])).all()
    assert np.isfinite(result.losses).all()


def test_lr_find_first_loss_is_the_loss_at_the_initial_weights():
    cfg, train = prepared(**LINEAR)
    trainer = config.build_trainer(cfg, train)
    assert lr_find(cfg, train).losses[0] == pytest.approx(trainer.evaluate()[0], rel=1e-12)


def test_lr_find_leaves_the_given_trainer_untouched():
    cfg, train = prepared(**MOONS_MLP, optimizer="adam", lr=0.01, batch_size=20)
    trainer = config.build_trainer(cfg, train)
    trainer.run_steps(5)
    theta, m = trainer.model.theta.copy(), trainer.optimizer.state["theta"]["exp_avg"].copy()
    lr_find(trainer)
    assert trainer.step_count == 5 and len(trainer.history) == 5
    assert trainer.optimizer.lr == 0.01 and trainer.optimizer.t == 5
    np.testing.assert_array_equal(trainer.model.theta, theta)
    np.testing.assert_array_equal(trainer.optimizer.state["theta"]["exp_avg"], m)


def test_lr_find_from_a_trainer_starts_from_its_initial_weights():
    cfg, train = prepared(**LINEAR)
    trainer = config.build_trainer(cfg, train)
    trainer.run_steps(10)
    np.testing.assert_array_equal(lr_find(trainer).losses, lr_find(cfg, train).losses)


@pytest.mark.parametrize(
    "fields",
    [LINEAR, MOONS_MLP],
    ids=["seed_linear-linear-mse-sgd", "moons-mlp_2_8_1-bce-sgd"],
)
def test_lr_find_suggestion_is_within_3x_of_the_best_rate_of_a_fine_sweep(fields):
    cfg, train = prepared(**fields)
    best = sweep(cfg, train, epochs=10, lrs=log_grid(1e-4, 100.0, 25)).best_lr
    suggestion = lr_find(cfg, train).suggestion
    assert best / 3 <= suggestion <= 3 * best


# ------------------------------------------------------------------ sweep

SWEEP_CASES = {  # Adam and RMSprop at rates ~10 are chaotic: rounding grows to 1e-9 in 50 steps
    "linear-sgd-full_batch": dict(**LINEAR),
    "linear-mse-batch16-step_schedule": dict(**LINEAR, batch_size=16, schedule="step", step_size=3),
    "mlp-adam-batch20-clip-l2": dict(
        **MOONS_MLP, optimizer="adam", batch_size=20, clip_norm=0.5, l2=0.01
    ),
    "logistic-momentum-gauss": dict(dataset="gauss", loss="bce", optimizer="momentum"),
    "mlp-cross_entropy-rmsprop": dict(
        dataset="blobs", loss="cross_entropy", model="mlp", hidden="4", optimizer="rmsprop",
        batch_size=32,
    ),
}


@pytest.mark.parametrize("fields", SWEEP_CASES.values(), ids=SWEEP_CASES.keys())
def test_vectorized_sweep_equals_sequential_trainers(fields):
    cfg, train = prepared(**fields)
    adaptive = cfg.optimizer in ("adam", "rmsprop")
    lrs = log_grid(1e-4, 1.0, 8) if adaptive else log_grid(1e-3, 30.0, 8)
    fast = sweep(cfg, train, epochs=8, lrs=lrs)
    slow = sweep_sequential(cfg, train, epochs=8, lrs=lrs)
    np.testing.assert_array_equal(fast.diverged, slow.diverged)
    np.testing.assert_allclose(fast.diverged_epoch, slow.diverged_epoch, rtol=1e-12)
    np.testing.assert_allclose(fast.epoch_loss, slow.epoch_loss, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fast.thetas, slow.thetas, rtol=1e-10, atol=1e-12)


def test_sweep_runs_share_initial_weights_and_batches():
    """Equal rates must give bitwise equal runs: same start, same batches, rows never mix."""
    cfg, train = prepared(**MOONS_MLP, batch_size=10, optimizer="adam", lr=0.05)
    result = sweep(cfg, train, epochs=3, lrs=[0.05, 0.05, 0.05])
    assert (result.thetas == result.thetas[0]).all()
    trainer = config.build_trainer(cfg, train)
    trainer.run_epochs(3)
    np.testing.assert_allclose(result.thetas[0], trainer.model.theta, rtol=1e-12, atol=1e-14)


def test_sweep_marks_diverged_runs_and_keeps_them_finite():
    cfg, train = prepared(**LINEAR)
    result = sweep(cfg, train, epochs=20, lrs=[0.01, 0.1, 0.5, 1.5, 5.0, 50.0])
    # the largest Hessian eigenvalue of this problem is ~2.5: rates above 2/2.5 blow up
    np.testing.assert_array_equal(result.diverged, [False, False, False, True, True, True])
    assert np.isfinite(result.thetas).all()
    assert np.isfinite(result.final_loss[~result.diverged]).all()
    assert result.best_lr == 0.5


def test_a_frozen_run_has_no_loss_after_it_diverged():
    cfg, train = prepared(**LINEAR)
    result = sweep(cfg, train, epochs=20, lrs=[0.1, 50.0])
    at = result.diverged_epoch[1]
    assert np.isnan(result.diverged_epoch[0]) and 0 <= at < 20
    assert np.isnan(result.epoch_loss[1, int(at) + 1 :]).all()
    assert np.isfinite(result.epoch_loss[0]).all()


def test_best_lr_is_nan_when_every_run_diverged():
    cfg, train = prepared(**LINEAR)
    result = sweep(cfg, train, epochs=5, lrs=[20.0, 50.0])
    assert result.diverged.all() and np.isnan(result.best_lr) and result.best_index is None


def test_sweep_applies_the_schedule_to_every_rate():
    cfg, train = prepared(**LINEAR, schedule="exponential", gamma=0.5)
    lrs = np.array([0.1, 0.4])
    result = sweep(cfg, train, epochs=3, lrs=lrs)
    # full-batch GD with eta_e = lr * 0.5^e, run by hand on the normal equations
    X = np.hstack([train.X, np.ones((train.n_samples, 1))])
    theta0 = config.build_trainer(cfg, train).initial_theta
    for k, lr in enumerate(lrs):
        theta = theta0.copy()
        for e in range(3):
            grad = 2.0 / train.n_samples * X.T @ (X @ theta - train.y)
            theta -= schedules.get("exponential", gamma=0.5).lr_at(lr, e) * grad
        np.testing.assert_allclose(result.thetas[k], theta, rtol=1e-12)


def test_sweep_leaves_the_given_trainer_untouched():
    cfg, train = prepared(**LINEAR)
    trainer = config.build_trainer(cfg, train)
    trainer.run_steps(3)
    theta = trainer.model.theta.copy()
    sweep(trainer, epochs=2, lrs=[0.1, 0.2])
    assert trainer.step_count == 3 and trainer.optimizer.lr == cfg.lr
    np.testing.assert_array_equal(trainer.model.theta, theta)
