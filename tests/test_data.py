"""Tests for lossdash.data: Dataset, generators, from_frame, split, Standardizer.

CSV reading (bytes -> DataFrame) is tested in tests/test_csv.py.
"""

import numpy as np
import pandas as pd
import pytest

from lossdash import data
from lossdash.data import DataError, Dataset

REGRESSION = data.names("regression")
CLASSIFICATION = data.names("classification")


# --- Dataset ---------------------------------------------------------------------------------


def test_dataset_converts_to_float64_c_contiguous_and_names_features():
    X = np.asfortranarray(np.arange(6, dtype=np.int32).reshape(3, 2))
    ds = Dataset(X, [1, 2, 3], "regression")
    assert ds.X.dtype == np.float64 and ds.X.flags.c_contiguous
    assert ds.y.dtype == np.float64
    assert ds.feature_names == ["x1", "x2"]
    assert (ds.n_samples, ds.n_features, ds.n_classes) == (3, 2, None)


def test_dataset_classification_labels_are_int64_with_default_class_names():
    ds = Dataset(np.zeros((4, 1)), np.array([0.0, 2.0, 1.0, 2.0]), "classification")
    assert ds.y.dtype == np.int64
    assert ds.y.tolist() == [0, 2, 1, 2]
    assert ds.classes == ["0", "1", "2"]
    assert ds.n_classes == 3


def test_dataset_takes_a_1d_x_as_one_feature():
    assert Dataset(np.arange(3.0), np.arange(3.0), "regression").X.shape == (3, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"task": "ranking"}, "task must be"),
        ({"y": np.zeros(2)}, "y must have shape (3,)"),
        ({"X": np.array([[0.0], [np.nan], [1.0]])}, "missing or infinite"),
        ({"y": np.array([0.0, 1.5, 1.0]), "task": "classification"}, "whole numbers"),
        ({"y": np.array([0, -1, 1]), "task": "classification"}, "whole numbers"),
        ({"y": np.array([0, 1, 2]), "task": "classification", "classes": ["a", "b"]}, "label 2"),
        ({"feature_names": ["a", "b"]}, "2 feature names for 1 feature columns"),
        ({"classes": ["a", "b"]}, "only for classification"),
    ],
    ids=[
        "task",
        "y-length",
        "nan-x",
        "fractional-label",
        "negative-label",
        "unnamed-label",
        "feature-names",
        "classes-on-regression",
    ],
)
def test_dataset_rejects_inconsistent_fields(kwargs, message):
    fields = {"X": np.zeros((3, 1)), "y": np.array([0.0, 1.0, 2.0]), "task": "regression"}
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Dataset(**(fields | kwargs))


# --- generators ------------------------------------------------------------------------------


def test_registry_has_the_required_generators_with_their_tasks():
    assert {"seed_linear", "linear", "polynomial", "sine", "plane", "multi_gauss"} <= set(
        REGRESSION
    )
    assert {"circle", "xor", "gauss", "spiral", "moons", "blobs"} <= set(CLASSIFICATION)
    assert data.names() == list(data.GENERATORS)
    for fn, task, description in data.GENERATORS.values():
        assert callable(fn) and task in data.TASKS and description


@pytest.mark.parametrize("name", list(data.GENERATORS))
def test_generator_shapes_dtypes_and_task(name):
    ds = data.generate(name, n_samples=101, noise=0.1, seed=3)
    _, task, _ = data.GENERATORS[name]
    two_d = name not in ("seed_linear", "linear", "polynomial", "sine")
    assert ds.task == task
    assert ds.X.shape == (101, 2 if two_d else 1)
    assert ds.X.dtype == np.float64 and ds.X.flags.c_contiguous
    assert ds.feature_names == (["x1", "x2"] if two_d else ["x1"])
    assert ds.y.shape == (101,)
    assert ds.y.dtype == (np.int64 if task == "classification" else np.float64)


@pytest.mark.parametrize("name", list(data.GENERATORS))
def test_generator_is_deterministic_per_seed(name):
    a, b, c = (data.generate(name, 50, 0.2, seed) for seed in (7, 7, 8))
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_classification_generator_is_balanced_without_noise(name):
    ds = data.generate(name, n_samples=301, noise=0.0, seed=1)
    counts = np.bincount(ds.y, minlength=ds.n_classes)
    assert counts.max() - counts.min() <= 1
    assert ds.classes == [str(k) for k in range(3 if name == "blobs" else 2)]


@pytest.mark.parametrize("name", REGRESSION)
def test_regression_noise_moves_y_but_not_x(name):
    clean, noisy = data.generate(name, 500, 0.0, 4), data.generate(name, 500, 0.5, 4)
    np.testing.assert_array_equal(clean.X, noisy.X)
    assert np.std(noisy.y - clean.y) == pytest.approx(0.5, rel=0.15)


def test_seed_linear_least_squares_fit_is_w3_b_half():
    ds = data.generate("seed_linear", n_samples=10_000, seed=0)
    A = np.column_stack([ds.X[:, 0], np.ones(ds.n_samples)])
    (w, b), *_ = np.linalg.lstsq(A, ds.y, rcond=None)
    assert w == pytest.approx(3.0, abs=0.05)
    assert b == pytest.approx(0.5, abs=0.03)
    assert ds.X.min() >= 0.0 and ds.X.max() < 1.0


@pytest.mark.parametrize(
    ("name", "formula"),
    [
        ("linear", lambda X: 2 * X[:, 0] + 1),
        ("polynomial", lambda X: X[:, 0] ** 3 - X[:, 0]),
        ("sine", lambda X: np.sin(X[:, 0])),
        ("plane", lambda X: (X[:, 0] + X[:, 1]) / 10),
    ],
    ids=["linear", "polynomial", "sine", "plane"],
)
def test_regression_generator_follows_its_formula_without_noise(name, formula):
    ds = data.generate(name, 200, 0.0, 0)
    np.testing.assert_allclose(ds.y, formula(ds.X), rtol=0, atol=1e-12)


def test_multi_gauss_is_the_largest_bump_and_bounded():
    ds = data.generate("multi_gauss", 2000, 0.0, 0)
    assert ds.y.min() >= -1 and ds.y.max() <= 1
    # near the bump at (-4, 2.5) of height +1, y = 1 - dist / 2
    dist = np.hypot(ds.X[:, 0] + 4, ds.X[:, 1] - 2.5)
    near = dist < 1.0
    assert near.sum() > 10
    np.testing.assert_allclose(ds.y[near], 1 - dist[near] / 2)


def test_circle_without_noise_labels_the_inner_disc_1():
    ds = data.generate("circle", 400, 0.0, 0)
    radius = np.hypot(ds.X[:, 0], ds.X[:, 1])
    np.testing.assert_array_equal(ds.y, (radius < 2.5).astype(int))
    assert radius.max() <= 5.0


def test_xor_without_noise_labels_same_sign_quadrants_1():
    ds = data.generate("xor", 400, 0.0, 0)
    np.testing.assert_array_equal(ds.y, (ds.X[:, 0] * ds.X[:, 1] >= 0).astype(int))
    assert np.abs(ds.X).min() >= 0.3


def test_gauss_clouds_sit_at_plus_and_minus_two():
    ds = data.generate("gauss", 4000, 0.0, 0)
    np.testing.assert_allclose(ds.X[ds.y == 1].mean(axis=0), [2, 2], atol=0.05)
    np.testing.assert_allclose(ds.X[ds.y == 0].mean(axis=0), [-2, -2], atol=0.05)
    assert ds.X[ds.y == 1].var(axis=0) == pytest.approx([0.5, 0.5], rel=0.1)


def test_spiral_without_noise_stays_within_radius_5():
    ds = data.generate("spiral", 200, 0.0, 0)
    assert np.hypot(ds.X[:, 0], ds.X[:, 1]).max() < 5.0


def test_classification_noise_blurs_the_border():
    clean = data.generate("circle", 400, 0.0, 0)
    noisy = data.generate("circle", 400, 0.5, 0)
    radius = np.hypot(noisy.X[:, 0], noisy.X[:, 1])
    assert np.mean(noisy.y != (radius < 2.5)) > 0.05
    np.testing.assert_array_equal(clean.y, (np.hypot(clean.X[:, 0], clean.X[:, 1]) < 2.5))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "swirl"}, "unknown dataset 'swirl'; choose one of: seed_linear"),
        ({"n_samples": 2}, "between 3 and 200,000, not 2"),
        ({"n_samples": 10.5}, "whole number"),
        ({"noise": -0.1}, "noise must be a number >= 0"),
        ({"noise": float("nan")}, "noise must be a number >= 0"),
        ({"seed": 1.5}, "the seed must be a whole number >= 0, not 1.5"),
        ({"seed": -1}, "the seed must be a whole number >= 0"),
    ],
    ids=[
        "unknown",
        "too-few",
        "fractional-n",
        "negative-noise",
        "nan-noise",
        "half-seed",
        "negative-seed",
    ],
)
def test_generate_rejects_bad_arguments(kwargs, message):
    with pytest.raises(DataError) as err:
        data.generate(**({"name": "linear"} | kwargs))
    assert message in str(err.value)


def test_generate_accepts_a_whole_float_seed_from_a_widget():
    np.testing.assert_array_equal(data.generate("xor", seed=2.0).X, data.generate("xor", seed=2).X)


def test_names_filters_by_task_and_rejects_unknown_task():
    assert "circle" in data.names("classification") and "circle" not in data.names("regression")
    with pytest.raises(DataError, match="task must be"):
        data.names("clustering")


# --- from_frame ------------------------------------------------------------------------------


def frame(**columns):
    return pd.DataFrame(columns)


def test_from_frame_defaults_to_last_column_as_target_and_numeric_features():
    df = frame(a=[1.0, 2, 3, 4], city=["P", "L", "P", "M"], b=[0, 1, 0, 1], price=[1.5, 2, 3, 9])
    ds = data.from_frame(df)
    assert ds.target_name == "price" and ds.task == "regression"
    assert ds.feature_names == ["a", "b"]
    np.testing.assert_array_equal(ds.X, [[1, 0], [2, 1], [3, 0], [4, 1]])
    assert any("left out text column(s) 'city'" in note for note in ds.notes)


def test_from_frame_booleans_become_0_and_1():
    ds = data.from_frame(frame(flag=[True, False, True, True], y=[1.0, 2.0, 3.0, 5.0]))
    np.testing.assert_array_equal(ds.X[:, 0], [1, 0, 1, 1])


def test_from_frame_text_target_is_classification_with_sorted_classes():
    df = frame(x=[1.0, 2, 3, 4, 5], species=["virginica", "setosa", "setosa", "versicolor", "x"])
    ds = data.from_frame(df)
    assert ds.task == "classification"
    assert ds.classes == ["setosa", "versicolor", "virginica", "x"]
    assert ds.y.tolist() == [2, 0, 0, 1, 3]
    assert ds.y.dtype == np.int64


def test_from_frame_bool_target_is_classification():
    ds = data.from_frame(frame(x=[1.0, 2, 3, 4], ok=[True, False, False, True]))
    assert (ds.task, ds.classes, ds.y.tolist()) == (
        "classification",
        ["False", "True"],
        [1, 0, 0, 1],
    )


def test_from_frame_few_whole_numbers_mean_classification_sorted_numerically():
    y = [10, 2, 2, 10, 3, 3, 2, 10]
    ds = data.from_frame(frame(x=np.arange(8.0), label=y))
    assert ds.task == "classification"
    assert ds.classes == ["2", "3", "10"]
    assert ds.y.tolist() == [2, 0, 0, 2, 1, 1, 0, 2]
    assert any("classification" in note for note in ds.notes)


@pytest.mark.parametrize(
    "y",
    [[1, 2, 3, 4, 1, 2, 3, 4], [0.5, 1, 0.5, 1, 0.5, 1, 0.5, 1], list(range(11)) * 3],
    ids=["half-the-rows-distinct", "fractional", "11-distinct"],
)
def test_from_frame_other_numbers_mean_regression(y):
    assert data.from_frame(frame(x=np.arange(float(len(y))), y=y)).task == "regression"


def test_from_frame_float_whole_numbers_with_nan_count_as_integers():
    df = frame(x=np.arange(9.0), y=[0.0, 1, 0, 1, np.nan, 1, 0, 1, 0])
    ds = data.from_frame(df, drop_missing=True)
    assert ds.task == "classification" and ds.classes == ["0", "1"]


def test_from_frame_explicit_classification_of_numbers():
    ds = data.from_frame(frame(x=np.arange(4.0), y=[0.5, 1.5, 0.5, 1.5]), task="classification")
    assert ds.classes == ["0.5", "1.5"] and ds.y.tolist() == [0, 1, 0, 1]


def test_from_frame_explicit_target_and_features():
    df = frame(a=[1.0, 2, 3], b=[4.0, 5, 7], c=[7.0, 8, 10])
    ds = data.from_frame(df, target="a", features=["c"])
    assert (ds.target_name, ds.feature_names) == ("a", ["c"])
    np.testing.assert_array_equal(ds.y, [1, 2, 3])


def msg(excinfo) -> str:
    text = str(excinfo.value)
    for leak in ("could not convert", "Error tokenizing", "Traceback", "dtype"):
        assert leak not in text
    return text


def test_unknown_target_lists_available_columns():
    with pytest.raises(DataError) as err:
        data.from_frame(frame(a=[1.0, 2, 3], b=[1.0, 2, 4]), target="price")
    assert "no column 'price'" in msg(err) and "'a', 'b'" in msg(err)


def test_unknown_feature_lists_available_columns():
    with pytest.raises(DataError) as err:
        data.from_frame(frame(a=[1.0, 2, 3], b=[1.0, 2, 4]), features=["a", "z"])
    assert "no column 'z'" in msg(err) and "the columns are: 'a', 'b'" in msg(err)


def test_target_among_features_is_an_error():
    with pytest.raises(DataError) as err:
        data.from_frame(frame(a=[1.0, 2, 3], b=[1.0, 2, 4]), target="b", features=["a", "b"])
    assert "target 'b' is also chosen as a feature" in msg(err)


def test_empty_feature_list_is_an_error():
    with pytest.raises(DataError, match="no feature columns were chosen"):
        data.from_frame(frame(a=[1.0, 2, 3], b=[1.0, 2, 4]), features=[])


def test_no_numeric_feature_column_is_an_error():
    with pytest.raises(DataError) as err:
        data.from_frame(frame(name=["a", "b", "c"], y=[1.0, 2, 4]))
    assert "no column other than the target 'y' holds numbers" in msg(err)
    assert "'name'" in msg(err)


def test_single_column_table_suggests_a_separator_problem():
    with pytest.raises(DataError) as err:
        data.from_frame(frame(**{"a;b": ["1;2", "3;4", "5;6"]}))
    assert "only one column" in msg(err) and "separator" in msg(err)


def test_explicit_text_feature_names_column_values_and_rows():
    df = frame(city=["Paris", "Lyon", "Nice"], y=[1.0, 2, 4])
    with pytest.raises(DataError) as err:
        data.from_frame(df, features=["city"])
    text = msg(err)
    assert "column 'city' holds text" in text
    assert "'Paris' in data row 1" in text and "'Lyon' in data row 2" in text
    assert "remove it from the features" in text


def test_explicit_date_feature_says_dates_are_not_supported():
    df = frame(day=["2024-01-05", "2024-01-06", "2024-01-07"], y=[1.0, 2, 4])
    with pytest.raises(DataError) as err:
        data.from_frame(df, features=["day"])
    assert "column 'day' holds dates" in msg(err) and "not supported as features" in msg(err)
    assert "'2024-01-05' in data row 1" in msg(err)


def test_default_features_leave_dates_out_with_a_note():
    df = frame(day=["05/01/2024", "06/01/2024", "07/01/2024"], x=[1.0, 2, 3], y=[1.0, 2, 4])
    ds = data.from_frame(df)
    assert ds.feature_names == ["x"]
    assert any("'day'" in note and "dates are not supported" in note for note in ds.notes)


def test_datetime_dtype_feature_is_a_date():
    df = frame(day=pd.date_range("2024-01-01", periods=3), y=[1.0, 2, 4])
    with pytest.raises(DataError, match="holds dates"):
        data.from_frame(df, features=["day"])


def test_missing_cells_name_column_count_rows_and_the_tick_box():
    df = frame(x=[1.0, 2, 3, np.nan, 5, 6, 7, 8, np.nan], price=[1.0, 2, 3, 4, 5, 6, 7, 8, 9])
    with pytest.raises(DataError) as err:
        data.from_frame(df)
    text = msg(err)
    assert "column 'x' has 2 empty cells (data rows 4 and 9)" in text
    assert "tick 'drop rows with missing values'" in text
    assert "counted from 1 at the first row under the header" in text


def test_infinite_and_non_numeric_cells_are_reported_per_column():
    df = frame(x=["1", "?", "3", "4", "5"], z=[1.0, np.inf, 2, 3, 4], y=[1.0, 2, 3, 4, -np.inf])
    with pytest.raises(DataError) as err:
        data.from_frame(df)
    text = msg(err)
    assert "column 'x' has 1 cell that is not a number ('?' in data row 2)" in text
    assert "column 'z' has 1 value that is infinite" in text and "data row 2" in text
    assert "column 'y' has 1 value that is infinite" in text and "data row 5" in text


def test_cells_of_spaces_count_as_empty():
    df = frame(x=["1", " ", "3", "4"], y=[1.0, 2, 3, 5])
    with pytest.raises(DataError, match=r"column 'x' has 1 empty cell \(data row 2\)"):
        data.from_frame(df)


def test_missing_cells_list_only_the_first_rows():
    x = np.arange(20.0)
    x[[0, 2, 4, 6, 8, 10, 12]] = np.nan
    with pytest.raises(DataError) as err:
        data.from_frame(frame(x=x, y=np.arange(20.0)))
    assert "7 empty cells (data rows 1, 3, 5, 7, 9 and 2 more)" in msg(err)


def test_drop_missing_drops_the_rows_and_says_which():
    df = frame(
        x=[1.0, 2, 3, np.nan, 5, 6, 7, 8, 9],
        y=[1.0, 2, 3, 4, 5, 6, 7, 8, np.nan],
        name=["a", None, "c", "d", "e", "f", "g", "h", "i"],
    )
    ds = data.from_frame(df, features=["x"], target="y", drop_missing=True)
    assert ds.n_samples == 7
    np.testing.assert_array_equal(ds.X[:, 0], [1, 2, 3, 5, 6, 7, 8])
    assert any("dropped 2 of 9 rows" in note and "data rows 4 and 9" in note for note in ds.notes)


def test_drop_missing_also_drops_non_numeric_cells():
    df = frame(x=["1", "2", "?", "4", "5"], y=[1.0, 2, 3, 4, 6])
    ds = data.from_frame(df, drop_missing=True)
    np.testing.assert_array_equal(ds.X[:, 0], [1, 2, 4, 5])


def test_drop_missing_leaving_too_few_rows_is_an_error():
    df = frame(x=[1.0, np.nan, np.nan, 4], y=[1.0, 2, 3, np.nan])
    with pytest.raises(DataError, match="only 1 rows have a value in every chosen column"):
        data.from_frame(df, drop_missing=True)


def test_one_class_is_an_error():
    with pytest.raises(DataError) as err:
        data.from_frame(frame(x=[1.0, 2, 3], y=["cat", "cat", "cat"]))
    assert "target 'y' has only one class ('cat')" in msg(err)


def test_constant_regression_target_is_an_error():
    with pytest.raises(DataError) as err:
        data.from_frame(frame(x=[1.0, 2, 3, 4], price=[3.0] * 4), task="regression")
    assert "target 'price' has the same value 3.0 in every row: nothing to learn" in msg(err)


def test_regression_on_a_text_target_is_an_error():
    df = frame(x=[1.0, 2, 3], species=["setosa", "virginica", "setosa"])
    with pytest.raises(DataError) as err:
        data.from_frame(df, task="regression")
    assert "target 'species' holds text" in msg(err) and "'setosa' in data row 1" in msg(err)
    assert "choose classification" in msg(err)


def test_too_many_classes_is_an_error():
    with pytest.raises(DataError, match="has 60 different values; classification supports"):
        data.from_frame(frame(x=np.arange(60.0), y=np.arange(60)), task="classification")


def test_unknown_task_is_an_error():
    with pytest.raises(DataError, match="task must be"):
        data.from_frame(frame(x=[1.0, 2, 3], y=[1.0, 2, 4]), task="ranking")


def test_duplicate_column_names_in_a_frame_are_an_error():
    df = pd.DataFrame([[1, 2, 3]] * 3, columns=["a", "a", "y"])
    with pytest.raises(DataError, match="column 'a' appears more than once"):
        data.from_frame(df)


def test_huge_magnitudes_load_but_overflowing_text_does_not():
    ds = data.from_frame(frame(x=[1e300, -1e300, 5e307], y=[1e-300, 2.0, -1e308]))
    assert np.isfinite(ds.X).all() and ds.y[2] == -1e308
    with pytest.raises(DataError) as err:
        data.from_frame(frame(x=["1", "1e400", "3"], y=[1.0, 2, 4]))
    assert "column 'x' has 1 value that is infinite or too large" in msg(err)


def test_integer_column_names_are_used_as_text():
    ds = data.from_frame(pd.DataFrame({0: [1.0, 2, 3], 1: [1.0, 2, 4]}), target="1")
    assert ds.feature_names == ["0"] and ds.target_name == "1"


def test_too_few_rows_in_a_frame_is_an_error():
    with pytest.raises(DataError, match="only 2 data rows; at least 3"):
        data.from_frame(frame(x=[1.0, 2], y=[1.0, 2]))


# --- split -----------------------------------------------------------------------------------


def test_split_sizes_and_disjoint_cover():
    ds = Dataset(np.arange(100.0), np.arange(100.0), "regression")
    train, val = data.split(ds, 0.25, seed=1)
    assert (train.n_samples, val.n_samples) == (75, 25)
    rows = np.concatenate([train.X[:, 0], val.X[:, 0]])
    assert sorted(rows.tolist()) == list(range(100))
    np.testing.assert_array_equal(train.X[:, 0], train.y)  # rows stay paired


def test_split_shuffles():
    ds = Dataset(np.arange(100.0), np.arange(100.0), "regression")
    train, _ = data.split(ds, 0.2, seed=0)
    assert not np.array_equal(train.y, np.sort(train.y))


def test_split_is_deterministic_per_seed():
    ds = data.generate("moons", 100, 0.1, 0)
    (a, va), (b, vb), (c, _) = (data.split(ds, 0.3, seed=s) for s in (5, 5, 6))
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(va.y, vb.y)
    assert not np.array_equal(a.X, c.X)


def test_split_is_stratified_for_classification():
    y = np.repeat([0, 1, 2], [60, 30, 10])
    ds = Dataset(np.arange(100.0), y, "classification", classes=["a", "b", "c"])
    train, val = data.split(ds, 0.2, seed=0)
    assert np.bincount(val.y).tolist() == [12, 6, 2]
    assert np.bincount(train.y).tolist() == [48, 24, 8]
    assert train.classes == val.classes == ["a", "b", "c"]


def test_split_keeps_every_class_in_training():
    y = np.array([0] * 9 + [1])
    ds = Dataset(np.arange(10.0), y, "classification")
    train, val = data.split(ds, 0.5, seed=0)
    assert val.n_samples == 5 and 1 in train.y


@pytest.mark.parametrize(
    ("counts", "fraction", "val_counts"),
    [([1, 1, 1, 97], 0.5, [0, 0, 0, 50]), ([1, 1, 1], 0.5, None), ([5, 5], 0.9, [5, 4])],
    ids=["rare-classes", "one-row-per-class", "large-fraction"],
)
def test_split_gives_exactly_the_validation_size(counts, fraction, val_counts):
    y = np.repeat(np.arange(len(counts)), counts)
    ds = Dataset(np.arange(float(len(y))), y, "classification")
    train, val = data.split(ds, fraction, seed=2)
    n_val = int(np.floor(fraction * len(y) + 0.5))
    assert (train.n_samples, val.n_samples) == (len(y) - n_val, n_val)
    if val_counts is not None:
        assert np.bincount(val.y, minlength=len(counts)).tolist() == val_counts


def test_split_zero_fraction_returns_no_validation_set():
    ds = data.generate("linear", 10)
    train, val = data.split(ds, 0.0)
    assert train is ds and val is None


@pytest.mark.parametrize(
    ("n", "fraction", "n_val"), [(3, 0.1, 1), (3, 0.9, 2), (10, 0.9, 9), (10, 0.25, 3)]
)
def test_split_leaves_at_least_one_sample_each_side(n, fraction, n_val):
    ds = Dataset(np.arange(float(n)), np.arange(float(n)), "regression")
    train, val = data.split(ds, fraction)
    assert (train.n_samples, val.n_samples) == (n - n_val, n_val)


@pytest.mark.parametrize("fraction", [-0.1, 0.95, 1.0, float("nan"), "half"])
def test_split_rejects_a_fraction_outside_0_to_0_9(fraction):
    with pytest.raises(DataError, match="between 0 and 0.9"):
        data.split(data.generate("linear", 10), fraction)


def test_split_keeps_names_and_notes():
    ds = Dataset(np.zeros((5, 2)), np.arange(5.0), "regression", ["u", "v"], "t", notes=("n",))
    train, val = data.split(ds, 0.4)
    assert (val.feature_names, val.target_name, val.notes) == (["u", "v"], "t", ("n",))


# --- Standardizer ----------------------------------------------------------------------------


def test_standardizer_mean_and_scale_by_hand():
    X = np.array([[1.0, 5.0], [3.0, 5.0]])
    s = data.Standardizer().fit(X)
    np.testing.assert_array_equal(s.mean_, [2.0, 5.0])
    np.testing.assert_array_equal(s.scale_, [1.0, 1.0])  # std 1; constant column -> 1.0
    np.testing.assert_array_equal(s.transform(X), [[-1.0, 0.0], [1.0, 0.0]])


def test_standardizer_gives_zero_mean_unit_std():
    X = np.random.default_rng(0).normal(3.0, 7.0, (500, 3))
    Z = data.Standardizer().fit_transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1.0)


def test_standardizer_round_trip():
    X = np.random.default_rng(1).uniform(-50, 50, (40, 4))
    s = data.Standardizer().fit(X)
    np.testing.assert_allclose(s.inverse_transform(s.transform(X)), X, rtol=1e-12)


def test_standardizer_handles_1d_and_huge_values_without_overflow():
    y = np.array([1e300, -1e300, 3e300])
    s = data.Standardizer().fit(y)
    assert s.mean_ == pytest.approx(1e300) and s.scale_ == pytest.approx(np.std([1, -1, 3]) * 1e300)
    np.testing.assert_allclose(s.inverse_transform(s.transform(y)), y)


def test_standardize_fits_on_train_only():
    train = Dataset(np.array([[0.0], [2.0]]), [0.0, 1.0], "regression")
    val = Dataset(np.array([[4.0]]), [2.0], "regression")
    train2, val2, scaler = data.standardize(train, val)
    np.testing.assert_array_equal(train2.X[:, 0], [-1.0, 1.0])
    np.testing.assert_array_equal(val2.X[:, 0], [3.0])
    np.testing.assert_array_equal(val2.y, val.y)
    assert scaler.mean_.tolist() == [1.0]
    assert data.standardize(train)[1] is None


# ---------------------------------------------------------------- what a newcomer tripped on
def _lengths_frame(n=150, seed=0):
    """Iris-like: a measured length with one decimal (~37 distinct values) and a feature."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"width": rng.normal(size=n),
                         "sepal_length": np.round(rng.uniform(4.3, 7.9, n), 1)})


def test_classes_forced_on_a_measured_quantity_get_a_warning():
    ds = data.from_frame(_lengths_frame(), "sepal_length", task="classification")
    warning = data.class_warning(ds)
    assert ds.n_classes > 30
    assert "'sepal_length'" in warning and f"{ds.n_classes} different values" in warning
    assert "regression" in warning


def test_a_few_text_or_whole_number_classes_get_no_warning():
    frame = pd.DataFrame({"x": np.arange(60.0), "grade": np.arange(60) % 12,
                          "kind": [f"k{i % 15}" for i in range(60)]})
    assert data.class_warning(data.from_frame(frame, "kind", ["x"])) is None  # text labels
    grades = data.from_frame(frame, "grade", ["x"], task="classification")
    assert grades.n_classes == 12 and data.class_warning(grades) is not None  # 5 rows a class
    many = pd.concat([frame] * 4, ignore_index=True)  # 20 rows a class: real classes
    assert data.class_warning(data.from_frame(many, "grade", ["x"], "classification")) is None


def test_a_number_column_with_a_few_text_cells_is_a_number_column():
    frame = pd.DataFrame({"age": ["31", "n/a", "45", "52", "?", "28"],
                          "city": ["a", "b", "c", "d", "e", "f"],
                          "ok": [True, False, True, True, False, True],
                          "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    assert not pd.api.types.is_numeric_dtype(frame["age"])  # pandas reads it as text
    assert data.number_columns(frame) == ["age", "ok", "y"]
