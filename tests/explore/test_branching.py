"""Branching a run with the sidebar's new settings."""

import numpy as np
import pytest

from lossdash import config
from lossdash.explore.branching import adopt

MOONS = dict(dataset="moons", model="mlp", hidden="6", loss="bce", val_fraction=0.0)


def trainer(**fields):
    cfg = config.RunConfig(**{**MOONS, **fields})
    train, _, _ = config.prepare(cfg, config.make_dataset(cfg))
    return config.build_trainer(cfg, train)


def test_a_branch_with_another_optimizer_starts_its_moments_fresh_from_the_same_weights():
    run = trainer(optimizer="adam", lr=0.01)
    run.run_steps(50)
    branch = adopt(run.branch(30), trainer(optimizer="momentum", lr=0.2))
    np.testing.assert_array_equal(branch.model.theta, run.branch(30).model.theta)
    assert branch.optimizer.name == "momentum" and branch.optimizer.state == {}
    branch.run_steps(5)
    assert branch.history["lr"].iloc[-1] == 0.2 and branch.step_count == 35


def test_a_branch_with_the_same_optimizer_keeps_its_moments():
    run = trainer(optimizer="adam", lr=0.01)
    run.run_steps(50)
    branch = adopt(run.branch(30), trainer(optimizer="adam", lr=0.05))
    assert branch.optimizer.t == 30 and branch.base_lr == 0.05


def test_a_branch_takes_the_new_loss():
    run = trainer()
    run.run_steps(20)
    branch = adopt(run.branch(10), trainer(loss="hinge"))
    assert branch.loss.name == "hinge"


def test_a_branch_refuses_another_architecture():
    run = trainer()
    run.run_steps(5)
    with pytest.raises(ValueError, match="layers differ"):
        adopt(run.branch(5), trainer(hidden="7"))
