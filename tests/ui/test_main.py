"""The URL check of lossdash.ui.main, without a running app: which values go, and the notices."""

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossdash.config import RunConfig
from lossdash.ui import main

KEYS = st.sampled_from([f.name for f in dataclasses.fields(RunConfig)] + list(main.UI_KEYS))


@pytest.mark.parametrize(
    ("key", "value"),
    [("seed", "inf"), ("max_epochs", "1e309"), ("step_size", "-inf"), ("lrf_steps", "inf"),
     ("start_x_rosenbrock", "-1e999"), ("view", "v" * 10_000), ("speed", "s" * 10_000)],
)
def test_an_unusable_url_value_is_named_by_its_key(key, value):
    problems = main.url_problems({key: value})
    assert [k for k, _ in problems] == [key]


@pytest.mark.parametrize("key", ["hidden", "view", "speed", "k" * 10_000])
def test_a_10000_character_url_value_gives_a_short_notice(key):
    notices = main.url_notices({key: "x" * 10_000})
    assert len(notices) == 1 and len(notices[0]) < 200


def test_a_long_unknown_key_is_hostile_but_a_short_one_only_unknown():
    assert main.hostile("k" * 10_000, "1")
    assert not main.hostile("color", "red")
    assert main.url_notices({"color": "red"}) == ["unknown setting 'color' was ignored"]


def test_a_loss_of_the_wrong_task_is_named_once():
    assert main.url_notices({"dataset": "moons", "loss": "mse"}) == [
        "loss='mse' does not fit the classification data set 'moons'; using that task's "
        "default loss"]


def test_good_url_values_give_no_notice():
    assert main.url_notices({**RunConfig(lr=0.1, seed=3).to_query(), "view": "Compare",
                             "speed": "max", "smoothing": "0.3"}) == []


@settings(max_examples=300, deadline=None)
@given(params=st.dictionaries(KEYS | st.text(), st.text(max_size=300), max_size=4))
def test_the_url_check_answers_any_text_with_short_notices(params):
    notices = main.url_notices(params)
    assert all(isinstance(n, str) and len(n) < 400 for n in notices)


def test_settings_that_fell_back_come_before_unknown_keys():
    params = {**{f"extra{i}": "1" for i in range(12)}, "seed": "inf"}
    assert main.url_notices(params)[0].startswith("seed='inf'")
