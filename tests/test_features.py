"""Engineered inputs: each feature's value by hand, the polynomial, and the Inputs chain."""

import numpy as np
import pytest

from lossdash import data, features
from lossdash.features import Inputs

POINT = np.array([[2.0, -3.0]])
BY_HAND = {"x1": 2.0, "x2": -3.0, "x1_sq": 4.0, "x2_sq": 9.0, "x1x2": -6.0,
           "sin_x1": np.sin(2.0), "sin_x2": np.sin(-3.0)}


@pytest.mark.parametrize("name", list(features.FEATURES))
def test_each_feature_has_its_hand_computed_value(name):
    assert features.engineer(POINT, [name])[0, 0] == pytest.approx(BY_HAND[name])


def test_parse_orders_the_features_as_the_registry_does():
    assert features.parse(" x2_sq, x1 ,x1_sq") == ("x1", "x1_sq", "x2_sq")


@pytest.mark.parametrize(("text", "words"), [("x1,x3", "unknown input feature 'x3'"),
                                             (" , ", "at least one")])
def test_parse_names_the_problem(text, words):
    with pytest.raises(ValueError, match=words):
        features.parse(text)


def test_polynomial_gives_the_powers_one_to_degree():
    np.testing.assert_allclose(features.polynomial(np.array([[2.0], [-1.0]]), 3),
                               [[2, 4, 8], [-1, 1, -1]])


def test_power_labels_use_superscripts():
    assert [features.power_label("x", k) for k in (1, 2, 12)] == ["x", "x²", "x¹²"]


def test_default_inputs_leave_the_data_alone():
    ds = data.generate("circle", 20)
    assert Inputs(features=features.DEFAULT).apply(ds) is ds


def test_apply_engineers_columns_and_names_them():
    ds = data.generate("circle", 20)
    out = Inputs(features=("x1_sq", "x1x2")).apply(ds)
    assert out.feature_names == ["x1²", "x1·x2"]
    np.testing.assert_allclose(out.X, np.column_stack([ds.X[:, 0] ** 2, ds.X[:, 0] * ds.X[:, 1]]))
    np.testing.assert_array_equal(out.y, ds.y)


def test_inputs_standardize_after_engineering():
    X = np.array([[1.0], [2.0], [3.0]])
    scaler = data.Standardizer().fit(features.polynomial(X, 2))
    Z = Inputs(degree=2, scaler=scaler)(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    # x² = 1, 4, 9 has mean 14/3: the square is taken before the rescaling
    np.testing.assert_allclose(Z[:, 1] * scaler.scale_[1] + 14 / 3, [1, 4, 9])
