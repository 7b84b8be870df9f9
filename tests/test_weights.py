"""Weights export and import: round trips, and every misfit said in words."""

import json

import numpy as np
import pytest

from lossdash import models, weights
from lossdash.weights import WeightsError


def mlp(seed=0, hidden=(3,)):
    return models.make("mlp", 2, n_outputs=1, hidden=hidden, seed=seed)


@pytest.mark.parametrize("export", [weights.to_json, weights.to_npz], ids=["json", "npz"])
def test_exported_weights_load_back_exactly(export):
    source, target = mlp(seed=1), mlp(seed=2)
    raw = export(source)
    raw = raw.encode() if isinstance(raw, str) else raw
    np.testing.assert_array_equal(weights.read(raw, target), source.theta)


def test_npz_holds_the_layout_for_numpy_load():
    import io

    with np.load(io.BytesIO(weights.to_npz(mlp())), allow_pickle=False) as npz:
        assert npz["W1"].shape == (2, 3) and npz["b2"].shape == (1,)
        assert list(npz["sizes"]) == [2, 3, 1]


def test_a_file_from_another_architecture_is_refused_naming_both():
    raw = weights.to_json(mlp(hidden=(8, 8))).encode()
    with pytest.raises(WeightsError, match=r"2 -> 8 -> 8 -> 1.*current model is 2 -> 3 -> 1"):
        weights.read(raw, mlp())


def test_a_missing_parameter_is_named():
    doc = json.loads(weights.to_json(mlp()))
    del doc["params"]["b1"], doc["sizes"]
    with pytest.raises(WeightsError, match="no 'b1'"):
        weights.read(json.dumps(doc).encode(), mlp())


def test_a_wrong_shape_is_named():
    doc = json.loads(weights.to_json(mlp()))
    doc["params"]["W1"] = [[1.0, 2.0]]
    del doc["sizes"]
    with pytest.raises(WeightsError, match=r"'W1' in the file has shape \(1, 2\)"):
        weights.read(json.dumps(doc).encode(), mlp())


def test_non_finite_values_are_refused():
    doc = json.loads(weights.to_json(mlp()))
    doc["params"]["b1"] = ["NaN", 0, 0]
    with pytest.raises(WeightsError, match="not finite"):
        weights.read(json.dumps(doc).encode(), mlp())


def test_a_file_that_is_not_weights_says_what_to_do():
    with pytest.raises(WeightsError, match="Export weights"):
        weights.read(b"a,b\n1,2\n", mlp())


def test_a_broken_npz_is_refused():
    with pytest.raises(WeightsError, match="cannot be read"):
        weights.read(b"PK\x03\x04garbage", mlp())
