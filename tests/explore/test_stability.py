"""Sharpness against the exact Hessian, and the stability line against real GD runs."""

import math

import numpy as np
import pytest

from lossdash import config, losses, models, optimizers
from lossdash.engine import Trainer
from lossdash.explore.stability import (
    SharpnessTracker,
    hvp,
    nice_below,
    sharpness,
    stable_lr,
    trainer_sharpness,
)


def fd_hessian(model, loss, X, y, eps=1e-5):
    """The whole Hessian, column by column: central differences of the analytic gradient."""
    theta = model.theta.copy()
    P = theta.size
    plus = theta + eps * np.eye(P)
    minus = theta - eps * np.eye(P)
    _, gp = model.loss_and_grads_batch(X, y, loss, plus)
    _, gm = model.loss_and_grads_batch(X, y, loss, minus)
    H = (gp - gm) / (2 * eps)  # row j: d grad / d theta_j
    return (H + H.T) / 2


def problem(loss_name, seed=0, n=40, hidden=(3,), l2=0.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    loss = losses.get(loss_name)
    if loss.task == "regression":
        y = np.sin(X[:, 0]) + 0.3 * X[:, 1]
        k = 1
    elif loss_name == "cross_entropy":
        y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)
        k = 3
    else:
        y = (X[:, 0] * X[:, 1] > 0).astype(float)
        k = 1
    hidden = (2,) if k == 3 else hidden  # at most 20 weights: 20 Lanczos steps are exact
    model = models.make("mlp", 2, n_outputs=k, hidden=hidden, seed=seed, l2=l2)
    model.theta[...] += rng.normal(scale=0.3, size=model.n_params)  # away from the init
    return model, loss, X, y


@pytest.mark.parametrize("loss_name", losses.names())
def test_sharpness_of_a_small_mlp_equals_the_top_eigenvalue_of_its_hessian(loss_name):
    model, loss, X, y = problem(loss_name)
    exact = np.linalg.eigvalsh(fd_hessian(model, loss, X, y))[-1]
    assert model.n_params <= 20  # n_iter=20 spans the whole space
    assert sharpness(model, loss, X, y) == pytest.approx(exact, rel=1e-4)


def test_sharpness_includes_the_l2_penalty():
    model, loss, X, y = problem("mse", l2=0.5)
    exact = np.linalg.eigvalsh(fd_hessian(model, loss, X, y))[-1]
    assert sharpness(model, loss, X, y) == pytest.approx(exact, rel=1e-4)


def test_sharpness_of_a_larger_mlp_converges_within_twenty_steps():
    model, loss, X, y = problem("mse", hidden=(8, 8), n=80)  # 105 parameters
    exact = np.linalg.eigvalsh(fd_hessian(model, loss, X, y))[-1]
    assert sharpness(model, loss, X, y, n_iter=20) == pytest.approx(exact, rel=1e-3)


def test_sharpness_leaves_the_weights_and_gradient_buffer_alone():
    model, loss, X, y = problem("bce")
    theta, grad = model.theta.copy(), model.grad.copy()
    sharpness(model, loss, X, y)
    np.testing.assert_array_equal(model.theta, theta)
    np.testing.assert_array_equal(model.grad, grad)


def test_hvp_matches_the_hessian_times_the_vector():
    model, loss, X, y = problem("huber")
    v = np.random.default_rng(1).normal(size=model.n_params)
    H = fd_hessian(model, loss, X, y)
    np.testing.assert_allclose(hvp(model, loss, X, y, model.theta, v), H @ v, rtol=1e-5,
                               atol=1e-7)


def test_linear_mse_sharpness_is_the_closed_form():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 3)) * [1.0, 3.0, 0.2] + 2.0
    y = rng.normal(size=50)
    model = models.make("linear", 3, l2=0.1)
    Xb = np.hstack([X, np.ones((50, 1))])
    H = 2 / 50 * Xb.T @ Xb + np.diag([0.1, 0.1, 0.1, 0.0])
    assert sharpness(model, losses.get("mse"), X, y) == pytest.approx(
        np.linalg.eigvalsh(H)[-1], rel=1e-10)


def _linear_run(factor, optimizer="sgd", **hyper):
    cfg = config.RunConfig(dataset="seed_linear", val_fraction=0.0, max_epochs=400)
    train, val, _ = config.prepare(cfg, config.make_dataset(cfg))
    model = models.make("linear", train.n_features)
    loss = losses.get("mse")
    lam = sharpness(model, loss, train.X, train.y)
    lr = factor * stable_lr(lam, optimizer, **hyper)
    opt = optimizers.get(optimizer, lr, **hyper)
    trainer = Trainer(model, loss, opt, train, max_epochs=400, tol=0.0, gtol=0.0)
    trainer.run_epochs(400)
    return trainer


def test_gd_just_below_the_stability_line_converges():
    trainer = _linear_run(0.9)
    assert trainer.status != "diverged"
    assert trainer.history["grad_norm"].iloc[-1] < 1e-6


def test_gd_just_above_the_stability_line_diverges():
    assert _linear_run(1.1).status == "diverged"


@pytest.mark.parametrize("name", ["momentum", "nesterov"])
@pytest.mark.parametrize("factor, diverges", [(0.95, False), (1.05, True)])
def test_momentum_lines_separate_convergence_from_divergence(name, factor, diverges):
    trainer = _linear_run(factor, name, momentum=0.5)
    assert (trainer.status == "diverged") is diverges


def test_weight_decay_lowers_the_line():
    assert stable_lr(4.0, "sgd", weight_decay=1.0) == pytest.approx(2 / 5)


def test_adaptive_optimizers_have_no_line():
    assert stable_lr(4.0, "adam") is None


def test_flat_curvature_has_no_upper_limit():
    assert stable_lr(0.0, "sgd") == math.inf


@pytest.mark.parametrize("x, nice", [(0.6947, 0.69), (1.0, 1.0), (73.99, 73.0), (0.0123, 0.012)])
def test_nice_below_rounds_down_to_two_significant_digits(x, nice):
    assert nice_below(x) == pytest.approx(nice)


def _mlp_trainer(lr=0.5):
    cfg = config.RunConfig(dataset="moons", model="mlp", hidden="8", loss="bce", lr=lr,
                           val_fraction=0.0, max_epochs=200)
    train, _, _ = config.prepare(cfg, config.make_dataset(cfg))
    return config.build_trainer(cfg, train)


def test_tracker_records_the_sharpness_of_the_weights_it_saw():
    trainer = _mlp_trainer()
    tracker = SharpnessTracker(budget=1e9)  # no budget limit: a point every step
    trainer.observers.append(tracker)
    trainer.run_steps(3)
    assert tracker.steps == [1, 2, 3]
    assert tracker.values[-1] == pytest.approx(trainer_sharpness(trainer), rel=1e-3)


def test_tracker_keeps_to_its_budget():
    trainer = _mlp_trainer()
    tracker = SharpnessTracker(budget=0.0)  # only the first point is free
    trainer.observers.append(tracker)
    trainer.run_steps(50)
    assert len(tracker.steps) == 1


def test_tracker_starts_over_after_a_reset():
    trainer = _mlp_trainer()
    tracker = SharpnessTracker(budget=1e9)
    trainer.observers.append(tracker)
    trainer.run_steps(3)
    trainer.reset()
    trainer.run_steps(1)
    assert tracker.steps == [1]


def test_gd_sharpness_rises_to_two_over_lr_at_the_edge_of_stability():
    # Cohen et al. (2021): an MLP trained by GD sharpens until lambda_max reaches 2/lr, then
    # hovers there. polynomial + MLP(8) at lr 0.3: it starts at 5.7, below 2/0.3 = 6.67.
    cfg = config.RunConfig(dataset="polynomial", model="mlp", hidden="8", lr=0.3,
                           max_epochs=1000)
    train, val, _ = config.prepare(cfg, config.make_dataset(cfg))
    trainer = config.build_trainer(cfg, train, val)
    start = trainer_sharpness(trainer)
    trainer.run_epochs(1000)
    assert start < 0.9 * (2 / 0.3)
    assert trainer_sharpness(trainer) == pytest.approx(2 / 0.3, rel=0.1)


def test_warm_started_tracker_follows_the_exact_sharpness():
    trainer = _mlp_trainer(lr=2.0)
    tracker = SharpnessTracker(budget=1e9)
    trainer.observers.append(tracker)
    trainer.run_steps(60)
    assert tracker.values[-1] == pytest.approx(trainer_sharpness(trainer), rel=1e-3)


def test_a_big_net_is_measured_on_fewer_rows():
    from lossdash.explore.stability import MIN_ROWS, TRACK_MAX_ROWS, affordable_rows

    assert affordable_rows(models.make("linear", 2), 20) == TRACK_MAX_ROWS
    big = models.make("mlp", 10, hidden=(256,) * 6)  # the largest the sidebar allows
    assert affordable_rows(big, 20) == MIN_ROWS
