"""Advice buttons in the app: each click does the fix it names."""

import threading

import pytest

from lossdash.ui import background
from tests.explore.test_diagnose import diabetes_like
from tests.ui.test_app import button, start


def step_until(at, status, tries=5):
    for _ in range(tries):
        if at.session_state["run"].trainer.status == status:
            break
        button(at, "Step").click().run()
    assert at.session_state["run"].trainer.status == status


@pytest.fixture
def stop_threads():
    """Stop any training thread a test started (a retry plays the run)."""
    runs = []
    yield runs
    for run in runs:
        background.stop(run)


def test_retry_button_resets_and_trains_under_the_stability_line(stop_threads):
    at = start(lr=50)
    step_until(at, "diverged")
    retry = next(b for b in at.button if b.label.startswith("Reset and retry at lr = "))
    assert retry.label == "Reset and retry at lr = 0.69"  # 0.9 * 2/λmax = 0.695 on seed_linear
    retry.click().run()
    assert not at.exception
    run = at.session_state["run"]
    stop_threads.append(run)
    assert at.session_state["lr"] == 0.69 and run.trainer.base_lr == 0.69
    assert run.trainer.status != "diverged"  # playing (or already done: 130 steps at 0.69)
    assert any("Back to the initial weights" in i.value for i in at.info)
    done = threading.Event()
    for _ in range(200):  # the training thread takes steps; wait on that, not on a clock
        if run.trainer.step_count > 3 or done.wait(0.05):
            break
    background.stop(run)
    assert run.trainer.step_count > 3 and run.trainer.status != "diverged"


def test_a_new_rate_after_a_divergence_restarts_the_run_and_enables_play():
    at = start(lr=50)
    step_until(at, "diverged")
    at.number_input(key="lr").set_value(0.5).run()
    assert not at.exception
    trainer = at.session_state["run"].trainer
    assert trainer.step_count == 0 and trainer.status == "running"
    assert not button(at, "Play").disabled
    assert any("starts it again from the initial weights" in i.value for i in at.info)


def test_standardize_button_rebuilds_the_run_on_standardized_features():
    at = start(dataset="csv")
    csv = diabetes_like().to_csv(index=False).encode()
    at.file_uploader(key="csv_file").upload("diabetes.csv", csv, "text/csv").run()
    step_until(at, "diverged")
    button(at, "Standardize features").click().run()
    assert not at.exception
    assert at.session_state["standardize"] is True
    run = at.session_state["run"]
    assert run.cfg.standardize and run.trainer.step_count == 0
    assert abs(run.train.X.std(axis=0) - 1).max() < 1e-9


def test_zero_init_mlp_is_offered_xavier_and_the_button_switches():
    at = start(dataset="moons", loss="bce", model="mlp", hidden="8", init="zeros")
    button(at, "Step").click().run()
    assert not any("Converged" in s.value for s in at.success)
    button(at, "Use xavier initialisation").click().run()
    assert not at.exception
    assert at.session_state["run"].cfg.init == "xavier"


def test_poor_linear_fit_on_circles_is_not_a_green_success():
    # x1,x2 named: the circle's recommended setup (x1², x2²) would solve it with a line
    at = start(dataset="circle", loss="bce", model="linear", features="x1,x2", max_epochs=3)
    for _ in range(3):
        if at.session_state["run"].trainer.done:
            break
        button(at, "Step").click().run()
    assert not at.success
    button(at, "Switch to an MLP").click().run()
    assert at.session_state["run"].cfg.model == "mlp"
