"""The per-layer update/weight ratio against a hand-computed SGD step."""

import numpy as np
import pytest

from lossdash import config
from lossdash.explore.updates import UpdateRatios


def trainer(**fields):
    cfg = config.RunConfig(**{"dataset": "moons", "model": "mlp", "hidden": "4", "loss": "bce",
                              "val_fraction": 0.0, **fields})
    train, _, _ = config.prepare(cfg, config.make_dataset(cfg))
    return config.build_trainer(cfg, train)


def test_ratio_is_lr_times_gradient_norm_over_weight_norm_for_sgd():
    t = trainer(lr=0.1)
    ratios = UpdateRatios()
    t.observers.append(ratios)
    W1 = t.model.params["W1"].copy()
    t.model.loss_and_grads(t.train.X, t.train.y, t.loss)
    expected = 0.1 * np.linalg.norm(t.model.grads["W1"]) / np.linalg.norm(W1)
    t.run_steps(1)
    assert ratios.steps == [1]
    assert ratios.ratios["W1"][0] == pytest.approx(expected, rel=1e-12)
    assert set(ratios.ratios) == {"W1", "W2"}


def test_a_zero_weight_matrix_has_no_ratio():
    t = trainer(init="zeros")
    ratios = UpdateRatios()
    t.observers.append(ratios)
    t.run_steps(1)
    assert np.isnan(ratios.ratios["W1"][0])


def test_points_stay_bounded():
    t = trainer(lr=0.1)
    ratios = UpdateRatios(max_points=10)
    t.observers.append(ratios)
    t.run_steps(100)
    assert len(ratios.steps) < 10 and ratios.stride > 1
