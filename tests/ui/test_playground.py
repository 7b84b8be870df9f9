"""The Playground parts of the app under AppTest: picker, inputs, network view, lessons,
classroom mode."""

import json

import pytest

from lossdash import config, lessons
from tests.helpers import live_figures
from tests.ui.test_app import button, start


def run_cfg(at):
    return at.session_state["run"].cfg


def chart_titles(at):
    """Titles of every chart on the page: Streamlit's Plotly charts and the live panels'."""
    titles = [json.loads(el.proto.spec)["layout"]["title"]["text"]
              for el in at.get("plotly_chart")]
    return titles + [(fig["layout"].get("title") or {}).get("text", "")
                     for fig in live_figures(at).values()]


def test_picker_shows_plain_names_and_applies_the_recommended_setup():
    at = start()
    pick = at.selectbox(key="dataset_pick")
    assert pick.format_func("circle") == "Two circles"
    pick.set_value("circle").run()
    assert not at.exception
    assert run_cfg(at) == config.recommended("circle")


def test_a_link_naming_only_the_data_set_opens_its_recommended_setup():
    at = start(dataset="xor")
    assert run_cfg(at).features == "x1x2" and run_cfg(at).loss == "bce"


def test_settings_in_the_link_win_over_the_recommended_ones():
    at = start(dataset="xor", lr="0.05")
    assert run_cfg(at).lr == 0.05 and run_cfg(at).features == "x1x2"


def test_feature_toggles_write_the_features_setting():
    at = start(dataset="circle")
    at.button_group(key="feature_toggles").set_value(["x1", "x2", "x1x2"]).run()
    assert not at.exception
    assert run_cfg(at).features == "x1,x2,x1x2"
    assert at.session_state["run"].train.feature_names == ["x1", "x2", "x1·x2"]


def test_a_one_feature_set_gets_a_polynomial_degree():
    at = start(dataset="polynomial")
    assert at.slider(key="degree").value == 3  # the recommended setup's
    at.slider(key="degree").set_value(5).run()
    assert at.session_state["run"].train.n_features == 5


def test_regenerate_draws_the_next_data_seed():
    at = start(dataset="moons")
    before = at.session_state["run"].dataset.X.copy()
    button(at, "Regenerate").click().run()
    assert run_cfg(at).data_seed == 1
    assert (at.session_state["run"].dataset.X != before).any()


def test_network_view_draws_for_two_inputs_and_not_for_one():
    assert any(t.startswith("The network") for t in chart_titles(start(dataset="circle")))
    assert not any(t.startswith("The network") for t in chart_titles(start()))


def test_network_view_changes_after_step():
    at = start(dataset="moons")
    before = at.session_state["net_snapshot"].grids[-1].copy()
    button(at, "Step").click().run()
    assert (at.session_state["net_snapshot"].grids[-1] != before).any()


def test_plus_layer_turns_a_linear_model_into_a_net():
    at = start(dataset="circle")
    at.button(key="net_add_layer").click().run()
    assert not at.exception
    assert (run_cfg(at).model, run_cfg(at).hidden) == ("mlp", "4")


def test_plus_and_minus_change_a_layers_width():
    at = start(dataset="moons")  # recommended: one hidden layer of 8
    at.button(key="net_plus_0").click().run()
    assert run_cfg(at).hidden == "9"
    at.button(key="net_minus_0").click().run()
    at.button(key="net_minus_0").click().run()
    assert run_cfg(at).hidden == "7"
    at.button(key="net_remove_layer").click().run()
    assert run_cfg(at).model == "linear"


def test_clicking_a_neuron_shows_it_large():
    at = start(dataset="moons")
    at.selectbox(key="net_unit").set_value((1, 2)).run()
    assert "neuron 3 of hidden 1: its output over the plane" in chart_titles(at)


@pytest.mark.parametrize("key", list(lessons.BY_KEY))
def test_a_lesson_link_loads_its_setup_and_shows_its_text(key):
    at = start(lesson=key)
    lesson = lessons.BY_KEY[key]
    assert not at.error
    assert any(lesson.title in m.value for m in at.markdown)
    if lesson.ui.get("view", "Train") == "Train":
        assert run_cfg(at) == lesson.config()
    for name, value in lesson.ui.items():
        assert at.session_state[name] == value


def test_start_in_the_lessons_view_loads_the_lesson():
    at = start(view="Lessons")
    at.button(key="lesson_unscaled").click().run()
    assert not at.exception
    assert run_cfg(at) == lessons.BY_KEY["unscaled"].config()
    assert at.session_state["view"] == "Train"


def test_classroom_link_turns_classroom_mode_on():
    at = start(classroom="true")
    assert at.toggle(key="classroom").value is True
    assert any("Space plays or pauses" in c.value for c in at.caption)
    assert [b.proto.shortcut.lower() for b in at.button if b.label == "Play"] == ["space"]
    assert [b.proto.shortcut for b in at.button if b.label == "Reset"] == ["0"]


def test_classroom_mode_is_off_by_default():
    at = start()
    assert at.toggle(key="classroom").value is False
    assert [b.proto.shortcut for b in at.button if b.label == "Reset"] == [""]  # no stray 0
