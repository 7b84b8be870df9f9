"""Diagnoses of a run and the fixes they offer, on real runs and on hand-made histories."""

import numpy as np
import pandas as pd
import pytest

from lossdash import config, data
from lossdash.explore import diagnose as dg
from lossdash.explore.stability import stable_lr, trainer_sharpness


def run(frame=None, **fields):
    """(cfg, train, trainer, line) trained to its end."""
    cfg = config.RunConfig(**fields)
    dataset = data.from_frame(frame) if frame is not None else config.make_dataset(cfg)
    train, val, _ = config.prepare(cfg, dataset)
    trainer = config.build_trainer(cfg, train, val)
    line = stable_lr(trainer_sharpness(trainer), cfg.optimizer)
    trainer.run_epochs(cfg.max_epochs)
    return cfg, train, trainer, line


def advice(cfg, train, trainer, line=None, suggestion=None):
    metric = trainer.evaluate(trainer.val)[1] if trainer.val is not None else math_nan()
    return dg.diagnose(trainer.history, cfg, train, trainer.status, trainer.message, metric,
                       line, suggestion)


def math_nan():
    return float("nan")


def kinds(found):
    return [a.kind for a in found]


def diabetes_like(n=300, seed=0):
    """A table shaped like sklearn's raw diabetes data: features in their own units."""
    rng = np.random.default_rng(seed)
    age = rng.normal(48, 13, n)
    bmi = rng.normal(26, 4.4, n)
    bp = rng.normal(95, 14, n)
    s1 = rng.normal(189, 34, n)
    sex = rng.integers(1, 3, n).astype(float)
    ltg = rng.normal(4.6, 0.52, n)
    y = 150 + 3 * (bmi - 26) + 0.5 * (bp - 95) + 40 * (ltg - 4.6) + rng.normal(0, 20, n)
    return pd.DataFrame({"age": age, "sex": sex, "bmi": bmi, "bp": bp, "s1": s1, "ltg": ltg,
                         "target": y})


# --------------------------------------------------------------------------- diverged
def test_a_diverged_run_is_retried_under_the_stability_line():
    cfg, train, trainer, line = run(lr=5.0)
    assert trainer.status == "diverged"
    first = advice(cfg, train, trainer, line)[0]
    assert first.kind == "diverged"
    assert first.label == f"Reset and retry at lr = {first.action['lr']:g}"
    assert 0.8 * line < first.action["lr"] < line and first.action["reset"]


def test_the_retry_rate_trains_where_the_old_one_diverged():
    cfg, train, trainer, line = run(lr=1.2)
    retry = advice(cfg, train, trainer, line)[0].action["lr"]
    _, _, again, _ = run(lr=retry)
    assert again.status == "converged"


def test_without_a_line_the_retry_takes_the_range_tests_suggestion():
    assert dg.retry_rate(1.0, line=None, suggestion=0.0423) == pytest.approx(0.042)


def test_without_line_or_suggestion_the_retry_is_a_tenth():
    assert dg.retry_rate(0.5) == pytest.approx(0.05)


# --------------------------------------------------------------------------- scales
def test_unscaled_diabetes_like_table_gets_standardize():
    cfg, train, trainer, line = run(diabetes_like(), dataset="csv", lr=0.05)
    assert trainer.status == "diverged"
    found = {a.kind: a for a in advice(cfg, train, trainer, line)}
    assert found["scales"].action == {"standardize": True}
    assert "'s1'" in found["scales"].text and "'sex'" in found["scales"].text


def test_standardizing_the_diabetes_like_table_makes_it_train():
    cfg, train, trainer, line = run(diabetes_like(), dataset="csv", lr=0.05, standardize=True)
    assert trainer.status != "diverged"
    assert "scales" not in kinds(advice(cfg, train, trainer, line))


def test_features_of_similar_scale_need_no_standardizing():
    cfg, train, trainer, _ = run(dataset="moons", loss="bce")
    assert "scales" not in kinds(advice(cfg, train, trainer))


# --------------------------------------------------------------------------- oscillation
def history(losses, val=None, eval_every=1):
    n = len(losses)
    frame = pd.DataFrame({"step": np.arange(1, n + 1), "epoch": np.arange(1, n + 1) / 1.0,
                          "loss": losses, "train_loss": losses,
                          "eval": np.arange(n) % eval_every == 0})
    if val is not None:
        frame["val_loss"] = val
    return frame


def test_a_loss_going_up_and_down_is_oscillation_with_half_the_rate_offered():
    losses = 1.0 + 0.3 * (-1.0) ** np.arange(30)
    found = dg.oscillation(losses, lr=0.8)
    assert found.action == {"lr": 0.4} and "up and down" in found.text


def test_a_smoothly_falling_loss_is_not_oscillation():
    assert dg.oscillation(np.exp(-np.arange(30) / 5), lr=0.8) is None


def test_gd_at_the_edge_of_stability_oscillates():
    # An MLP's sharpness rises to 2/lr while it trains (Cohen et al. 2021); there the loss
    # alternates up and down step after step.
    cfg, train, trainer, _ = run(dataset="polynomial", model="mlp", hidden="8", lr=0.3,
                                 val_fraction=0.0)
    assert "oscillation" in kinds(advice(cfg, train, trainer))


# --------------------------------------------------------------------------- overfitting
def test_rising_validation_loss_with_falling_train_loss_is_overfitting():
    train = np.linspace(1.0, 0.1, 20)
    val = np.r_[np.linspace(1.0, 0.5, 10), np.linspace(0.55, 0.9, 10)]
    found = dg.overfitting(history(train, val))
    assert found.action == {"rewind": 9, "best_epoch": 10.0}  # best at step 10: after 9 steps
    assert "epoch 10" in found.text


def test_history_rows_with_eval_as_numbers_are_read():
    # The dashboard passes the trainer's raw rows, where ``eval`` is 0.0 or 1.0.
    frame = history(np.linspace(1.0, 0.1, 20), np.linspace(1.0, 0.2, 20)).astype(float)
    cfg = config.RunConfig()
    train = data.generate("seed_linear")
    assert dg.diagnose(frame, cfg, train, "running") == []


def test_validation_loss_that_keeps_falling_is_not_overfitting():
    train = np.linspace(1.0, 0.1, 20)
    assert dg.overfitting(history(train, train + 0.1)) is None


def test_validation_loss_worse_from_the_start_is_not_overfitting():
    train = np.linspace(1.0, 0.1, 20)
    assert dg.overfitting(history(train, np.linspace(1.0, 2.0, 20))) is None


# --------------------------------------------------------------------------- init zeros
def test_zero_init_mlp_is_told_its_neurons_stay_identical_not_that_it_converged():
    cfg, train, trainer, _ = run(dataset="moons", model="mlp", hidden="8", init="zeros",
                                 loss="bce")
    found = advice(cfg, train, trainer)
    assert kinds(found)[0] == "symmetry" and "converged" not in kinds(found)
    assert found[0].action == {"init": "xavier"}
    W1 = trainer.model.params["W1"]
    np.testing.assert_array_equal(W1, W1[:, :1].repeat(W1.shape[1], axis=1))


def test_zero_init_relu_mlp_is_offered_he():
    assert dg.symmetry("relu").action == {"init": "he"}


# --------------------------------------------------------------------------- poor results
def test_a_linear_model_that_converges_poorly_on_circles_is_offered_an_mlp():
    cfg, train, trainer, _ = run(dataset="circle", loss="bce", max_epochs=100)
    found = advice(cfg, train, trainer)
    assert "poor" in kinds(found) and "success" not in [a.level for a in found]
    assert next(a for a in found if a.kind == "poor").action == {"model": "mlp"}


def test_a_small_poor_mlp_is_offered_wider_layers():
    assert dg.poor("regression", 0.5, "mlp", "8,4").action == {"hidden": "16,8"}


def test_a_good_fit_is_a_success_alone():
    cfg, train, trainer, line = run()
    found = advice(cfg, train, trainer, line)
    assert trainer.status == "converged"
    assert [(a.kind, a.level) for a in found] == [("converged", "success")]


def test_running_out_of_epochs_offers_more():
    cfg, train, trainer, _ = run(dataset="moons", loss="bce", max_epochs=20)
    found = advice(cfg, train, trainer)
    assert found[-1].kind == "max_epochs" and found[-1].action == {"max_epochs": 40}
