"""Tests for lossdash/shapes.py: loss shapes from the registry, and the outlier experiment."""

import math

import numpy as np
import pytest

from lossdash import losses
from lossdash.explore import shapes

ALL = losses.names()


@pytest.mark.parametrize(
    "name, r, value, grad",
    [("mse", 2.0, 4.0, 4.0), ("mae", 2.0, 2.0, 1.0), ("mae", -0.5, 0.5, -1.0),
     ("huber", 2.0, 1.5, 1.0), ("huber", 0.5, 0.125, 0.5), ("huber", -3.0, 2.5, -1.0),
     ("log_cosh", 2.0, math.log(math.cosh(2.0)), math.tanh(2.0))],
    ids=lambda v: str(v),
)
def test_regression_shape_by_hand(name, r, value, grad):
    values, grads = shapes.shape_of(losses.get(name), [r])
    assert values[0] == pytest.approx(value, rel=1e-12)
    assert grads[0] == pytest.approx(grad, rel=1e-12)


@pytest.mark.parametrize(
    "name, m, value, grad",
    [("bce", 0.0, math.log(2.0), -0.5), ("bce", 2.0, math.log1p(math.exp(-2.0)),
                                          -1.0 / (1.0 + math.exp(2.0))),
     ("hinge", 0.0, 1.0, -1.0), ("hinge", 0.5, 0.5, -1.0), ("hinge", 2.0, 0.0, 0.0),
     ("cross_entropy", 0.0, math.log(2.0), -0.5)],
    ids=lambda v: str(v),
)
def test_classification_shape_by_hand(name, m, value, grad):
    values, grads = shapes.shape_of(losses.get(name), [m])
    assert values[0] == pytest.approx(value, rel=1e-12)
    assert grads[0] == pytest.approx(grad, rel=1e-12)


def test_two_class_cross_entropy_has_the_shape_of_bce():
    m = np.linspace(-5, 5, 11)
    ce = shapes.shape_of(losses.get("cross_entropy"), m)
    bce = shapes.shape_of(losses.get("bce"), m)
    np.testing.assert_allclose(ce, bce, rtol=1e-12)


@pytest.mark.parametrize("name", ALL)
def test_shape_gradient_matches_central_differences(name):
    loss = losses.get(name)
    x = np.array([-2.3, -0.71, 0.37, 1.9])  # away from every kink (0, +-1)
    h = 1e-6
    _, grads = shapes.shape_of(loss, x)
    fd = (shapes.shape_of(loss, x + h)[0] - shapes.shape_of(loss, x - h)[0]) / (2 * h)
    np.testing.assert_allclose(grads, fd, atol=1e-6)


@pytest.mark.parametrize("task", ["regression", "classification"])
def test_loss_shapes_cover_every_loss_of_the_task(task):
    s = shapes.loss_shapes(task, span=2.0, points=5)
    assert list(s.values) == losses.names(task) == list(s.grads)
    np.testing.assert_array_equal(s.x, [-2.0, -1.0, 0.0, 1.0, 2.0])
    assert all(v.shape == (5,) for v in s.values.values())


def test_loss_shapes_pass_loss_settings():
    s = shapes.loss_shapes("regression", span=2.0, points=3, options={"huber": {"delta": 2.0}})
    assert s.values["huber"][-1] == pytest.approx(2.0)  # 0.5 * 2^2, still quadratic


# ---------------------------------------------------------------------------------------------
# outlier experiment


def test_outliers_are_deterministic_and_below_the_line():
    X, y, out = shapes.with_outliers(n=50, k=4, seed=3)
    X2, y2, _ = shapes.with_outliers(n=50, k=4, seed=3)
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(X, X2)
    assert out.sum() == 4 and len(y) == 54
    assert (y[out] < 3.0 * X[out, 0] + 0.5 - shapes.OUTLIER_DROP + 1e-12).all()


def test_outliers_leave_the_clean_points_unchanged():
    X, y, out = shapes.with_outliers(n=50, k=4, seed=3)
    X0, y0, _ = shapes.with_outliers(n=50, k=0, seed=3)
    np.testing.assert_array_equal(y[~out], y0)


def test_mse_fit_is_least_squares():
    X, y, _ = shapes.with_outliers(n=60, k=3, seed=1)
    np.testing.assert_allclose(shapes.fit_line(X, y, "mse"), np.polyfit(X[:, 0], y, 1),
                               rtol=1e-10)


def test_mae_fit_reaches_the_least_absolute_deviation_line():
    X, y, _ = shapes.with_outliers(n=60, k=3, seed=1)
    w, b = shapes.fit_line(X, y, "mae")
    # Brute force: an L1 line passes through two data points; try every pair.
    x = X[:, 0]
    i, j = np.triu_indices(len(x), 1)
    slopes = (y[j] - y[i]) / (x[j] - x[i])
    cuts = y[i] - slopes * x[i]
    best = np.abs(slopes[:, None] * x + cuts[:, None] - y).mean(axis=1).min()
    assert np.abs(w * x + b - y).mean() == pytest.approx(best, rel=1e-6)


def test_robust_losses_keep_the_slope_that_mse_loses():
    result = shapes.outlier_experiment(n=100, k=5, seed=0)
    slope = {name: w for name, (w, _) in result.fits.items()}
    assert abs(slope["mae"] - 3.0) < abs(slope["mse"] - 3.0)
    assert abs(slope["huber"] - 3.0) < abs(slope["mse"] - 3.0)
    assert abs(slope["mae"] - 3.0) < 0.5 and abs(slope["mse"] - 3.0) > 1.0
