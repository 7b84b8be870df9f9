"""The learning rate: an exact number and a log-scale slider that never fight."""

from lossdash.ui import sidebar
from tests.ui.test_app import start


def test_the_nearest_stop_is_taken_on_a_log_scale():
    assert sidebar.nearest_stop(0.003) == 0.002  # log distance 0.41 against 0.51 to 0.005
    assert sidebar.nearest_stop(0.004) == 0.005
    assert sidebar.nearest_stop(1e-9) == sidebar.LR_GRID[0]
    assert sidebar.nearest_stop(float("nan")) == sidebar.LR_GRID[0]


def test_a_typed_rate_stays_exact_and_the_slider_keeps_its_stops():
    at = start(lr="0.003")
    slider = at.select_slider(key="lr_slider")
    assert list(slider.options) == [f"{v:g}" for v in sidebar.LR_GRID]
    at.number_input(key="lr").set_value(0.002).run()
    assert not at.exception
    assert at.session_state["run"].cfg.lr == 0.002
    assert at.select_slider(key="lr_slider").value == 0.002
    at.number_input(key="lr").set_value(0.0031).run()
    assert at.session_state["run"].cfg.lr == 0.0031  # exact, between two stops
    assert list(at.select_slider(key="lr_slider").options) == list(slider.options)


def test_moving_the_slider_sets_the_rate_to_that_stop():
    at = start(lr="0.003")
    at.select_slider(key="lr_slider").set_value(0.05).run()
    assert not at.exception
    assert at.session_state["run"].cfg.lr == 0.05
    assert at.number_input(key="lr").value == 0.05
