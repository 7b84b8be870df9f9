"""Branch and replay: the trainer's checkpoints and ``Trainer.branch``."""

import numpy as np
import pandas as pd
import pytest

from lossdash import config
from lossdash.engine import MAX_CHECKPOINTS


def trainer(**fields):
    cfg = config.RunConfig(**{"val_fraction": 0.2, "max_epochs": 1000, **fields})
    train, val, _ = config.prepare(cfg, config.make_dataset(cfg))
    return config.build_trainer(cfg, train, val)


MINIBATCH_ADAM = dict(dataset="moons", model="mlp", hidden="6", loss="bce", optimizer="adam",
                      lr=0.01, batch_size=16)


def test_a_new_run_keeps_its_initial_state():
    assert trainer().checkpoints() == [0]


def test_checkpoints_stay_bounded_and_spread_over_the_run():
    t = trainer(dataset="moons", model="mlp", hidden="4", loss="bce", lr=0.05)
    t.run_steps(1000)
    steps = t.checkpoints()
    assert len(steps) <= MAX_CHECKPOINTS
    assert steps[0] == 0 and steps[-1] > 900
    gaps = np.diff(steps)
    assert len(set(gaps)) == 1  # every k steps, one k


def test_branch_continues_exactly_like_the_original_full_batch():
    t = trainer(dataset="moons", model="mlp", hidden="6", loss="bce", optimizer="momentum",
                lr=0.1)
    t.run_steps(300)
    twin = t.branch(137)
    twin.run_steps(300 - 137)
    pd.testing.assert_frame_equal(twin.history, t.history, check_exact=True)
    np.testing.assert_array_equal(twin.model.theta, t.model.theta)


def test_branch_mid_epoch_with_adam_reproduces_the_later_history_bit_for_bit():
    t = trainer(**MINIBATCH_ADAM)
    t.run_steps(200)  # 5 steps per epoch: step 123 is inside an epoch
    twin = t.branch(123)
    twin.run_steps(77)
    pd.testing.assert_frame_equal(twin.history, t.history, check_exact=True)
    np.testing.assert_array_equal(twin.optimizer.state["theta"]["exp_avg_sq"],
                                  t.optimizer.state["theta"]["exp_avg_sq"])


def test_branch_from_a_checkpoint_between_two_evaluations_replays_and_continues():
    """Checkpoints double their spacing, so some fall between two evaluations of the full
    objective (every 10 steps here): the replay from there must still check for divergence
    against the run's start (it met None and failed with a TypeError)."""
    t = trainer(dataset="spiral", n_samples=400, noise=0.3, model="mlp", hidden="8,8",
                loss="bce", optimizer="adam", lr=0.003, batch_size=32)
    t.run_steps(3000)
    between = [c for c in t.checkpoints() if c % t.eval_every]
    assert between, "no checkpoint between two evaluations: the test lost its subject"
    step = between[0] + 1
    twin = t.branch(step)
    twin.run_steps(3000 - step)
    pd.testing.assert_frame_equal(twin.history, t.history, check_exact=True)


def test_branch_holds_the_history_up_to_its_step():
    t = trainer(**MINIBATCH_ADAM)
    t.run_steps(60)
    twin = t.branch(41)
    assert twin.step_count == 41
    pd.testing.assert_frame_equal(twin.history, t.history.iloc[:41], check_exact=True)


def test_branch_replays_a_learning_rate_changed_during_the_run():
    t = trainer(dataset="moons", model="mlp", hidden="6", loss="bce", lr=0.1)
    t.run_steps(100)
    t.set_lr(0.3)
    t.run_steps(100)
    twin = t.branch(150)
    assert twin.base_lr == 0.3
    twin.run_steps(50)
    pd.testing.assert_frame_equal(twin.history, t.history, check_exact=True)


def test_a_branch_is_independent_of_its_original():
    t = trainer()
    t.run_steps(20)
    before = t.model.theta.copy()
    twin = t.branch(10)
    twin.set_lr(0.01)
    twin.run_steps(30)
    np.testing.assert_array_equal(t.model.theta, before)
    assert t.step_count == 20 and len(t.history) == 20


def test_branch_outside_the_run_is_refused_in_words():
    t = trainer()
    t.run_steps(5)
    with pytest.raises(ValueError, match="step 6 is outside this run"):
        t.branch(6)


def test_reset_forgets_the_checkpoints():
    t = trainer()
    t.run_steps(20)
    t.reset()
    assert t.checkpoints() == [0]
