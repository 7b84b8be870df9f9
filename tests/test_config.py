"""RunConfig: validation of loose values, JSON round trips, and the trainer it builds."""

import dataclasses
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossdash import config, data
from lossdash.config import ConfigError, RunConfig


def test_defaults_are_the_classic_demo():
    cfg = RunConfig()
    assert (cfg.dataset, cfg.model, cfg.loss, cfg.optimizer) == (
        "seed_linear", "linear", "mse", "sgd")


def test_from_dict_coerces_url_text():
    cfg, problems = config.from_dict(
        {"lr": "0.01", "batch_size": "32", "standardize": "true", "optimizer": "adam"}
    )
    assert problems == []
    assert (cfg.lr, cfg.batch_size, cfg.standardize, cfg.optimizer) == (0.01, 32, True, "adam")


def test_full_batch_travels_as_the_word_full():
    assert config.from_dict({"batch_size": "full"})[0].batch_size == 0


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("lr", "-1", "between"),
        ("lr", "nan", "finite"),
        ("n_samples", "2.5", "whole number"),
        ("optimizer", "warp", "one of"),
        ("hidden", "8,x", "whole numbers"),
        ("standardize", "maybe", "true or false"),
        ("colour", "red", "unknown setting"),
    ],
)
def test_bad_values_fall_back_to_defaults_with_a_named_problem(key, value, words):
    cfg, problems = config.from_dict({key: value})
    assert len(problems) == 1 and key in problems[0] and words in problems[0]
    if hasattr(cfg, key):
        assert getattr(cfg, key) == getattr(RunConfig(), key)


def test_json_round_trip():
    cfg = RunConfig(dataset="moons", loss="bce", optimizer="adamw", lr=0.003, hidden="16,4",
                    model="mlp", batch_size=16, seed=7)
    assert config.from_json(cfg.to_json()) == cfg


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("not json at all", "not a JSON file"),
        ("[1, 2]", "not a lossdash setup"),
        ('{"lr": 0.1}', "not a lossdash setup"),
        ('{"lossdash_config": 1, "lr": "fast", "optimizer": "zzz"}', "lr"),
    ],
)
def test_bad_setup_files_raise_clear_errors(text, words):
    with pytest.raises(ConfigError, match=words):
        config.from_json(text)


def test_every_field_has_a_limit_or_choice_or_is_free_text():
    for field in dataclasses.fields(RunConfig):
        typed = field.type in ("bool", "str")
        assert field.name in config.LIMITS or field.name in config.CHOICES or typed, field.name


def test_build_trainer_uses_the_settings():
    cfg = RunConfig(dataset="moons", loss="bce", model="mlp", hidden="5,3", optimizer="adam",
                    lr=0.02, beta1=0.8, batch_size=16, max_epochs=7, seed=3)
    train, val, _ = config.prepare(cfg, config.make_dataset(cfg))
    trainer = config.build_trainer(cfg, train, val)
    assert trainer.model.sizes == (2, 5, 3, 1)
    assert trainer.optimizer.lr == 0.02 and trainer.optimizer.beta1 == 0.8
    assert trainer.batch_size == 16 and trainer.max_epochs == 7


def test_adamw_gets_torchs_decoupled_decay_by_default():
    assert config.optimizer_hyper(RunConfig(optimizer="adamw")) == {
        "beta1": 0.9, "beta2": 0.999, "weight_decay": 0.01}


def test_a_loss_that_does_not_fit_the_task_is_refused():
    cfg = RunConfig(dataset="blobs", loss="bce")
    train, val, _ = config.prepare(cfg, config.make_dataset(cfg))
    assert config.compatible_losses(train) == ["cross_entropy"]
    with pytest.raises(ConfigError, match="cross_entropy"):
        config.build_trainer(cfg, train, val)


def test_same_config_same_history():
    cfg = RunConfig(dataset="xor", loss="bce", model="mlp", hidden="4", batch_size=8,
                    optimizer="momentum", lr=0.05, noise=0.1)
    histories = []
    for _ in range(2):
        train, val, _ = config.prepare(cfg, config.make_dataset(cfg))
        trainer = config.build_trainer(cfg, train, val)
        trainer.run_epochs(3)
        histories.append(trainer.history)
    assert histories[0].equals(histories[1])


def test_standardize_fits_on_train_only():
    cfg = RunConfig(standardize=True, n_samples=200)
    train, val, scaler = config.prepare(cfg, config.make_dataset(cfg))
    assert np.allclose(train.X.mean(axis=0), 0) and np.allclose(train.X.std(axis=0), 1)
    assert isinstance(scaler, data.Standardizer)


def test_to_query_carries_every_changed_setting_and_reads_back():
    cfg = RunConfig(dataset="moons", loss="bce", model="mlp", hidden="16,16", activation="relu",
                    optimizer="momentum", momentum=0.8, lr=0.003, batch_size=0, standardize=True,
                    seed=9)
    query = cfg.to_query()
    assert "n_samples" not in query  # defaults stay out of the link
    assert config.from_dict(query) == (cfg, [])


def test_full_batch_link_value_reads_back():
    cfg = RunConfig(batch_size=32).replace(batch_size=0)
    assert config.from_dict({**cfg.to_query(), "batch_size": "full"})[0] == cfg


# ---------------------------------------------------------------------- hostile values
@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("seed", "inf", "finite whole number"),
        ("max_epochs", "1e309", "finite whole number"),
        ("step_size", "-inf", "finite whole number"),
        ("lr", "-inf", "finite number"),
        ("seed", 10**400, "between 0 and 2,147,483,647"),
        ("lr", 10**400, "finite number"),
        ("n_samples", "-5", "between 10 and 5,000"),
        ("batch_size", -1, "between 0 and 100,000"),
        ("lr", "", "empty"),
        ("seed", None, "empty"),
        ("hidden", "8," * 5000, "10,000 characters long"),
        ("lr", {"a": 1}, "not a list or an object"),
        ("standardize", 1.5, "true or false"),
        ("seed", True, "not true or false"),
    ],
)
def test_hostile_values_fall_back_to_the_default_with_a_short_notice(key, value, words):
    cfg, problems = config.from_dict({key: value})
    assert getattr(cfg, key) == getattr(RunConfig(), key)
    assert len(problems) == 1 and words in problems[0]
    assert len(problems[0]) < 250


def test_a_long_value_is_quoted_cut_to_forty_characters():
    problem = config.from_dict({"dataset": "x" * 10_000})[1][0]
    assert "x" * 39 + "…" in problem and "x" * 41 not in problem


def test_a_long_unknown_key_is_quoted_cut_short():
    problem = config.from_dict({"k" * 10_000: "1"})[1][0]
    assert problem == f"unknown setting '{'k' * 39}…' was ignored"


def test_a_400_digit_seed_in_a_setup_file_is_refused_with_its_size():
    text = '{"lossdash_config": 1, "seed": ' + "1" * 400 + "}"
    with pytest.raises(ConfigError, match="a 400-digit number.*between 0 and 2,147,483,647"):
        config.from_json(text)


@pytest.mark.parametrize(
    "text",
    ['{"lossdash_config": 1, "seed": ' + "1" * 5000 + "}", "[" * 100_000],
)
def test_json_beyond_pythons_parser_limits_is_refused_clearly(text):
    with pytest.raises(ConfigError, match="values no setup has"):
        config.from_json(text)


def test_a_setup_file_lists_ten_problems_then_says_how_many_more():
    values = {"lossdash_config": 1, **{f"extra{i}": 1 for i in range(25)}}
    with pytest.raises(ConfigError) as err:
        config.from_json(json.dumps(values))
    message = str(err.value)
    assert message.count("unknown setting") == config.MAX_LISTED
    assert message.endswith("and 15 more")


def test_a_5_mb_setup_file_is_refused_unread_with_a_short_message():
    values = {"lossdash_config": 1, **{f"unknown_{i:09d}": i for i in range(200_000)}}
    text = json.dumps(values)
    assert len(text) > 5_000_000
    with pytest.raises(ConfigError, match="export one") as err:
        config.from_json(text)
    assert len(str(err.value)) < 200


def test_listed_keeps_short_lists_whole():
    assert config.listed(["a", "b"]) == ["a", "b"]
    assert config.listed(list("abcdefghijkl"), limit=10)[-1] == "and 2 more"


# Any value a URL or a JSON file can carry: text (URL) and every JSON type, nested.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)
FIELD_NAMES = [f.name for f in dataclasses.fields(RunConfig)]


def _valid(cfg):
    """Every field of ``cfg`` passes the validator (what a RunConfig from outside must do)."""
    for name, value in cfg.to_dict().items():
        config.read_value(name, value)
    return True


@pytest.mark.parametrize("name", FIELD_NAMES)
@settings(max_examples=30, deadline=None)
@given(value=JSON_VALUES | st.text(max_size=300))
def test_from_dict_turns_any_value_into_a_valid_config_or_a_notice(name, value):
    cfg, problems = config.from_dict({name: value})
    assert isinstance(cfg, RunConfig) and _valid(cfg)
    assert all(isinstance(p, str) and len(p) < 400 for p in problems)


@pytest.mark.parametrize("name", FIELD_NAMES)
@settings(max_examples=30, deadline=None)
@given(value=JSON_VALUES)
def test_from_json_turns_any_value_into_a_valid_config_or_a_config_error(name, value):
    text = json.dumps({"lossdash_config": 1, name: value})
    try:
        cfg = config.from_json(text)
    except ConfigError as err:
        assert len(str(err)) < 600
    else:
        assert _valid(cfg)


def test_a_rejected_setup_file_does_not_claim_defaults_were_used():
    with pytest.raises(ConfigError) as caught:
        config.from_json('{"lossdash_config": 1, "optimizer": "zzz", "lr": "fast"}')
    message = str(caught.value)
    assert "nothing was changed" in message and "optimizer='zzz'" in message
    assert "using the default" not in message


# ---------------------------------------------------------------------- engineered inputs
def test_features_travel_in_the_url_and_are_checked():
    assert config.from_dict({"features": "x1_sq,x2_sq"})[0].features == "x1_sq,x2_sq"
    cfg, problems = config.from_dict({"features": "x1,x9"})
    assert cfg.features == "x1,x2" and "x9" in problems[0]


def test_degree_is_limited_to_twelve():
    cfg, problems = config.from_dict({"degree": "13"})
    assert cfg.degree == 1 and "between 1 and 12" in problems[0]


def test_prepare_engineers_before_standardizing():
    cfg = RunConfig(dataset="circle", features="x1_sq,x2_sq", standardize=True, loss="bce")
    train, _, scaler = config.prepare(cfg, config.make_dataset(cfg))
    plane = config.plane(cfg, config.make_dataset(cfg), scaler)
    assert train.feature_names == ["x1²", "x2²"]
    np.testing.assert_allclose(scaler.mean_, (plane.train.X ** 2).mean(axis=0))
    np.testing.assert_allclose(plane.inputs(plane.train.X), train.X)


def test_polynomial_degree_applies_to_a_one_feature_set():
    cfg = RunConfig(dataset="sine", degree=4)
    train, _, _ = config.prepare(cfg, config.make_dataset(cfg))
    assert train.feature_names == ["x1", "x1²", "x1³", "x1⁴"]


def test_linear_model_with_squared_inputs_separates_the_circle():
    cfg = RunConfig(dataset="circle", features="x1_sq,x2_sq", standardize=True, loss="bce",
                    lr=0.5, max_epochs=200)
    train, val, _ = config.prepare(cfg, config.make_dataset(cfg))
    trainer = config.build_trainer(cfg, train, val)
    trainer.run_epochs(cfg.max_epochs)
    assert trainer.evaluate(val)[1] >= 0.95


def test_linear_model_on_the_plain_inputs_cannot_separate_the_circle():
    cfg = RunConfig(dataset="circle", standardize=True, loss="bce", lr=0.5, max_epochs=200)
    train, val, _ = config.prepare(cfg, config.make_dataset(cfg))
    trainer = config.build_trainer(cfg, train, val)
    trainer.run_epochs(cfg.max_epochs)
    assert trainer.evaluate(val)[1] < 0.8


# ---------------------------------------------------------------------- recommended setups
@pytest.mark.parametrize("name", data.names())
def test_recommended_setup_solves_its_data_set(name):
    cfg = config.recommended(name)
    train, val, _ = config.prepare(cfg, config.make_dataset(cfg))
    trainer = config.build_trainer(cfg, train, val)
    trainer.run_epochs(cfg.max_epochs)
    score = trainer.evaluate(val)[1]
    assert trainer.status != "diverged"
    assert score >= (0.9 if name == "spiral" or train.task == "regression" else 0.95)


def test_every_generated_set_has_a_recommended_setup():
    assert set(config.RECOMMENDED) == set(data.names())


def test_a_link_naming_only_a_data_set_gets_its_recommended_setup():
    changes = config.recommended_changes("circle", {"dataset": "circle"})
    assert changes["features"] == "x1_sq,x2_sq" and changes["loss"] == "bce"


def test_settings_named_in_the_link_win_over_the_recommended_ones():
    changes = config.recommended_changes("circle", {"dataset": "circle", "lr": "0.01"})
    assert "lr" not in changes and "features" in changes
